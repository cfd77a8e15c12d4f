// What lifelinectl prints for people, from the daemon's result objects (cli/render.cpp):
// tolerant of missing fields and of both short and full object forms.
#include <gtest/gtest.h>

#include "cli/ctl.hpp"
#include "cli/render.hpp"
#include "common/utc_time.hpp"

namespace lifeline::cli {
namespace {

using namespace std::chrono_literals;

const SystemTime kNow = *lifeline::utc::parse("2026-11-29T12:05:12.000Z");

TEST(LifelinectlRender, HumanDurations) {
  EXPECT_EQ(human_duration(0s), "0s");
  EXPECT_EQ(human_duration(59s), "59s");
  EXPECT_EQ(human_duration(312s), "5m12s");
  EXPECT_EQ(human_duration(3700s), "1h01m");
  EXPECT_EQ(human_duration(2 * 86400s + 3 * 3600s + 59s), "2d03h");
  EXPECT_EQ(human_duration(-5s), "0s");
}

TEST(LifelinectlRender, LinksTableFromShortAndFullForms) {
  // Short form (status) and the full form (links): TARGETS comes out the same.
  const std::string out = render_result(
      "links",
      R"({"links":[{"name":"5g","health":"down","since":"2026-11-29T12:00:00.000Z",)"
      R"("reason":"gone","rtt_seconds":null,"jitter_seconds":null,"loss_ratio":1,)"
      R"("targets_alive":0,"targets_total":2,"drained":null},)"
      R"({"name":"leo","health":"up","since":"2026-11-29T11:00:00.000Z","reason":"fine",)"
      R"("rtt_seconds":0.04,"jitter_seconds":0.0004,"loss_ratio":0.001,)"
      R"("targets":[{"alive":true},{"alive":false}],"drained":{"until":"2026-11-29T14:05:12.000Z",)"
      R"("reason":"realign","by":"alice"}}]})",
      kNow);
  EXPECT_EQ(out,
            "LINK  HEALTH      SINCE      RTT ms  JITTER ms  LOSS %  TARGETS  REASON\n"
            "5g    down        5m12s ago       -          -   100.0      0/2  gone\n"
            "leo   up drained  1h05m ago    40.0        0.4     0.1      1/2  drained until "
            "2026-11-29 14:05:12Z (in 2h00m) by alice: realign; fine\n");
}

TEST(LifelinectlRender, MissingFieldsPrintAsDashes) {
  const std::string out = render_result("links", R"({"links":[{"name":"x"}]})", kNow);
  EXPECT_NE(out.find("x     -       -"), std::string::npos) << out;
  EXPECT_EQ(render_result("links", R"({"links":[]})", kNow), "no links\n");
  EXPECT_EQ(render_result("classes", R"({})", kNow), "no classes\n");
  EXPECT_EQ(render_result("history", R"({"events":[]})", kNow), "no events\n");
  EXPECT_NO_THROW(render_result("status", R"({"daemon":17,"links":"no"})", kNow));
  EXPECT_NO_THROW(render_result("explain", R"([1,2])", kNow));
}

TEST(LifelinectlRender, StatusSaysHowTheJournalIs) {
  const std::string base = R"({"node":"gw","version":"0.1.0","started":"2026-11-29T11:00:00.000Z",)"
                           R"("settled":true,"decisions":3,"route_errors":0,"drill":null,)"
                           R"("config":{"path":"/etc/lifeline/lifeline.yaml","loaded":"2026-11-29T11:00:00.000Z",)"
                           R"("reloads_ok":0,"reloads_failed":0,"last_reload":null,"last_reload_ok":true},)";
  auto status = [&](const std::string& journal) {
    return render_result("status", R"({"daemon":)" + base + R"("journal":)" + journal + R"(},"links":[],"classes":[]})",
                         kNow);
  };
  EXPECT_NE(status(R"({"path":"/var/lib/lifeline/journal.db","rows":1834,"errors":0})")
                .find("journal /var/lib/lifeline/journal.db: 1834 events\n"),
            std::string::npos);
  EXPECT_NE(status(R"({"path":"/j.db","rows":10,"errors":2})").find("2 ERRORS"), std::string::npos);
  EXPECT_NE(status("null").find("journal: NONE"), std::string::npos);
}

TEST(LifelinectlRender, StatusSaysHowLateTheLoopRuns) {
  auto status = [](const std::string& loop) {
    return render_result("status",
                         R"({"daemon":{"node":"gw","loop":)" + loop +
                             R"(},"links":[{"name":"5g","detection_seconds":0.04},{"name":"geo","detection_seconds":0.16}],"classes":[]})",
                         kNow);
  };
  const auto calm = status(R"({"scheduling":"fifo 50 + memory locked","timer_lag_max_seconds":0.0003,)"
                           R"("reply_lag_max_seconds":0.0002,"worker_queued":0,"journal_queued":0})");
  EXPECT_NE(calm.find("loop: fifo 50 + memory locked; late by at most 0.3 ms (timers), 0.2 ms (replies) in the "
                      "last minute, smallest detection time 40 ms\n"),
            std::string::npos)
      << calm;
  EXPECT_EQ(calm.find("LAGGING"), std::string::npos);
  const auto late = status(R"({"scheduling":"other","timer_lag_max_seconds":0.031,)"
                           R"("reply_lag_max_seconds":0.002,"worker_queued":2,"journal_queued":1})");
  EXPECT_NE(late.find("(LAGGING: failover is late by as much); 3 jobs waiting off the loop"), std::string::npos) << late;
}

TEST(LifelinectlRender, StatusSummarisesFindingsTheModemAndIncidents) {
  const auto out = render_result(
      "status",
      R"({"daemon":{"node":"gw","incidents":{"accepted":4,"duplicate":1,"bad_signature":2,"malformed":0,)"
      R"("expired":0,"quarantines":3,"published":5,"publish_failed":0,"rate_limited":1}},)"
      R"("links":[{"name":"5g","findings":[{"rule":"rat_below_min","verdict":"violation","count":1}],)"
      R"("radio":{"modem":"modem0","readings":3600,"malformed":2,"stale":false,)"
      R"("active":["cell_not_surveyed","rat_below_min"]}},{"name":"leo","findings":[]}],"classes":[]})",
      kNow);
  EXPECT_NE(out.find("integrity 5g: findings rat_below_min (violation) x1; modem modem0: 3600 readings, 2 malformed, "
                     "now: cell_not_surveyed, rat_below_min\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("integrity leo"), std::string::npos) << "nothing to say about leo";
  EXPECT_NE(out.find("incidents: 4 accepted (3 quarantines), 1 duplicate, 2 bad signature, 0 malformed, 0 expired; "
                     "5 published, 0 failed, 1 held back"),
            std::string::npos)
      << out;
}

TEST(LifelinectlRender, PinnedClassesSayIt) {
  const std::string full = render_result(
      "classes",
      R"({"classes":[{"name":"c2","precedence":"flash","target":"leo","target_kind":"link",)"
      R"("why":"pinned","since":"2026-11-29T12:05:00.000Z","reason":"operator pin",)"
      R"("pin":{"link":"leo"}},{"name":"isr","precedence":"routine","target":"none",)"
      R"("target_kind":"none","why":"initial","since":"2026-11-29T12:05:00.000Z","reason":"x",)"
      R"("pinned":false}]})",
      kNow);
  EXPECT_NE(full.find("c2     flash       leo (pinned)  pinned   12s ago  operator pin"),
            std::string::npos)
      << full;
  EXPECT_NE(full.find("isr    routine     -             initial"), std::string::npos) << full;
}

TEST(LifelinectlRender, EventLines) {
  EXPECT_EQ(render_event_line(
                R"J({"kind":"operator","time":"2026-11-29T12:05:00.000Z","node":"gw1",)J"
                R"J("action":"pin","class":"c2","link":"leo","until":"2026-11-29T12:35:00.000Z",)J"
                R"J("reason":"tower","by":{"user":"alice","transport":"ipc",)J"
                R"J("identity":"uid 1000 (alice)"}})J"),
            "2026-11-29 12:05:00.000Z  operator  c2          pin leo until 2026-11-29 "
            "12:35:00.000Z by alice (ipc uid 1000 (alice)): tower");
  EXPECT_EQ(
      render_event_line(R"({"kind":"reload","time":"2026-11-29T12:05:00.000Z","node":"gw1",)"
                        R"("ok":false,"errors":["a.yaml:1:1: bad","a.yaml:2:1: worse"]})"),
      "2026-11-29 12:05:00.000Z  reload    gw1         refused: a.yaml:1:1: bad (and 1 more)");
  EXPECT_EQ(render_event_line(R"({"kind":"daemon","time":"2026-11-29T12:05:00.000Z","node":"gw1",)"
                              R"("step":"started","version":"0.1.0"})"),
            "2026-11-29 12:05:00.000Z  daemon    gw1         started (lifelined 0.1.0)");
  EXPECT_EQ(render_event_line("not json"), "not json");
}

TEST(LifelinectlRender, UnknownResultsPrintAsATree) {
  EXPECT_EQ(render_result("drill.report",
                          R"({"id":"d1","passed":false,"measured":{"detection_seconds":0.04},)"
                          R"("classes":[{"name":"c2"}]})",
                          kNow),
            "id: d1\npassed: no\nmeasured:\n  detection_seconds: 0.04\nclasses:\n  -\n    name: "
            "c2\n");
}

TEST(LifelinectlRequest, FieldsUserAndLimit) {
  Command c;
  c.name = "history";
  c.fields = {{"since", "1h"}, {"class", "c2"}};
  c.limit = 50;
  EXPECT_EQ(request_json(c, "alice"),
            R"({"version":1,"command":"history","class":"c2","since":"1h","limit":50,)"
            R"("user":"alice"})");
}

TEST(LifelinectlRequest, EndpointDefaults) {
  Options o;
  EXPECT_EQ(endpoint_for(o, "status"), "ipc:///run/lifeline/control.sock");
  EXPECT_EQ(endpoint_for(o, "events"), "ipc:///run/lifeline/events.sock");
  o.socket = "/tmp/x.sock";
  EXPECT_EQ(endpoint_for(o, "events"), "ipc:///tmp/x.sock");
  o.connect = "tcp://198.18.0.1:7441";
  EXPECT_EQ(endpoint_for(o, "status"), "tcp://198.18.0.1:7441");
}

}  // namespace
}  // namespace lifeline::cli
