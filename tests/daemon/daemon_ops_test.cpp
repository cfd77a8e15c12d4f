// The daemon's operations side through its control API (docs/control-api.md), against the
// fake network of daemon_harness.hpp: status and explain, pins and drains with their events
// and journal rows, reloads, drills (simulated and with a black hole), malformed requests.
#include <nlohmann/json.hpp>

#include "daemon_harness.hpp"

namespace lifeline::daemon {
namespace {

using namespace testing;
using json = nlohmann::json;

json ask(DaemonHarness& h, const std::string& request) {
  const auto reply = json::parse(h.control(request), nullptr, false);
  EXPECT_FALSE(reply.is_discarded());
  EXPECT_EQ(reply.value("version", 0), 1);
  return reply;
}

json ok(DaemonHarness& h, const std::string& request) {
  const auto reply = ask(h, request);
  EXPECT_TRUE(reply.value("ok", false)) << reply.dump();
  return reply.contains("result") ? reply["result"] : json();
}

std::string error_code(DaemonHarness& h, const std::string& request) {
  const auto reply = ask(h, request);
  EXPECT_FALSE(reply.value("ok", true)) << reply.dump();
  return reply.contains("error") ? reply["error"].value("code", "") : "";
}

bool settled(DaemonHarness& h) { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }

TEST(DaemonOps, StatusLinksClassesAndExplain) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto status = ok(h, R"({"version":1,"command":"status"})");
  EXPECT_EQ(status["daemon"]["node"], "test");
  EXPECT_TRUE(status["daemon"]["settled"].get<bool>());
  ASSERT_EQ(status["links"].size(), 2u);
  EXPECT_EQ(status["links"][0]["name"], "5g");
  EXPECT_EQ(status["links"][0]["health"], "up");
  ASSERT_EQ(status["classes"].size(), 2u);
  EXPECT_EQ(status["classes"][0]["target"], "5g");

  const auto links = ok(h, R"({"version":1,"command":"links"})");
  EXPECT_GT(links["links"][0]["targets"][0]["answered"].get<int>(), 0);
  EXPECT_GT(links["links"][0]["rtt_seconds"].get<double>(), 0.0);

  const auto explain = ok(h, R"({"version":1,"command":"explain","class":"c2"})");
  EXPECT_EQ(explain["target"], "5g");
  ASSERT_GE(explain["explain"].size(), 3u);
  EXPECT_NE(explain["explain"][1].get<std::string>().find("5g: chosen"), std::string::npos);
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"explain","class":"c9"})"), "unknown_class");
}

TEST(DaemonOps, MalformedRequestsGetErrorsNotCrashes) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  EXPECT_EQ(error_code(h, "not json"), "bad_request");
  EXPECT_EQ(error_code(h, "[1,2,3]"), "bad_request");
  EXPECT_EQ(error_code(h, R"({"command":"status"})"), "bad_request");
  EXPECT_EQ(error_code(h, R"({"version":2,"command":"status"})"), "unsupported_version");
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"dance"})"), "unknown_command");
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"pin","class":5})"), "bad_request");
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"pin","class":"c2","link":"leo","for":"30","reason":"x"})"),
            "invalid_argument");
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"pin","class":"c2","link":"leo","for":"30m","reason":""})"),
            "invalid_argument");
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"history"})"), "journal_unavailable");
  // Still alive and answering.
  EXPECT_TRUE(ok(h, R"({"version":1,"command":"status"})")["daemon"]["settled"].get<bool>());
}

TEST(DaemonOps, APinMovesTheClassAndIsJournaledBeforeTheReply) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = false, .journal = true, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto pin = ok(h, R"({"version":1,"command":"pin","class":"c2","link":"leo","for":"30m",)"
                         R"("reason":"tower maintenance","user":"alice"})");
  EXPECT_EQ(pin["link"], "leo");
  EXPECT_EQ(pin["reason"], "tower maintenance");
  EXPECT_NE(pin["by"].get<std::string>().find("alice"), std::string::npos);
  // Committed before the reply came back.
  const auto rows = h.journal_->history({std::nullopt, "c2", "", "operator", 10});
  ASSERT_FALSE(rows.empty());
  EXPECT_NE(rows.front().find("\"action\":\"pin\""), std::string::npos);
  EXPECT_TRUE(h.class_on(0, "sat0"));  // moved in the same turn
  EXPECT_TRUE(h.class_on(1, "wwan0"));
  const auto explain = ok(h, R"({"version":1,"command":"explain","class":"c2"})");
  EXPECT_EQ(explain["why"], "pinned");
  EXPECT_EQ(explain["pin"]["link"], "leo");
  EXPECT_TRUE(h.events_->has("class", "\"why\":\"pinned\""));

  EXPECT_EQ(error_code(h, R"({"version":1,"command":"pin","class":"c2","link":"geo","for":"1m","reason":"x"})"),
            "unknown_link");
  const auto unpin = ok(h, R"({"version":1,"command":"unpin","class":"c2","user":"alice"})");
  EXPECT_EQ(unpin["was"]["link"], "leo");
  // Back to 5G after its failback hold-down (500 ms here).
  EXPECT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  const auto history = ok(h, R"({"version":1,"command":"history","class":"c2","limit":50})");
  EXPECT_GE(history["events"].size(), 3u);  // pin, switch, unpin, switch back
}

// A slow disk delays the journal and the operator's answer, never the probes: a pin is
// acknowledged only once it is committed, and meanwhile the loop goes on.
TEST(DaemonOps, ASlowJournalDelaysTheReplyNotTheLoop) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = false, .journal = true, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.journal_->commit_delay_ms = 400;
  std::string reply;
  std::thread operator_thread([&] {
    reply = h.control(R"({"version":1,"command":"pin","class":"c2","link":"leo","for":"30m","reason":"x"})");
  });
  // The class moves at once (the switch does not wait for the disk)...
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }, std::chrono::milliseconds(300)));
  // ...and the probes go on while the commit is under way (2 links x 200 probes/s).
  const auto sent = h.net.probes_sent.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GT(h.net.probes_sent.load(), sent + 20);
  EXPECT_TRUE(reply.empty()) << "answered before the pin was committed: " << reply;
  operator_thread.join();
  EXPECT_NE(reply.find("\"ok\":true"), std::string::npos) << reply;
  h.journal_->commit_delay_ms = 0;
  const auto rows = h.journal_->history({std::nullopt, "c2", "", "operator", 10});
  ASSERT_FALSE(rows.empty());
  EXPECT_NE(rows.front().find("\"action\":\"pin\""), std::string::npos);
  // Read-only requests do not wait for the disk.
  h.journal_->commit_delay_ms = 400;
  const auto t0 = Clock::now();
  EXPECT_TRUE(ok(h, R"({"version":1,"command":"status"})")["daemon"]["settled"].get<bool>());
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(200));
}

TEST(DaemonOps, ADrainEmptiesTheLinkUntilUndrained) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto drain = ok(h, R"({"version":1,"command":"drain","link":"5g","for":"2h","reason":"swap the modem"})");
  EXPECT_EQ(drain["link"], "5g");
  EXPECT_TRUE(h.class_on(0, "sat0"));
  EXPECT_TRUE(h.class_on(1, "sat0"));
  const auto links = ok(h, R"({"version":1,"command":"links"})");
  EXPECT_EQ(links["links"][0]["drained"]["reason"], "swap the modem");
  EXPECT_TRUE(h.events_->has("operator", "\"action\":\"drain\""));
  const auto undrain = ok(h, R"({"version":1,"command":"undrain","link":"5g"})");
  EXPECT_FALSE(undrain["was_until"].is_null());
  EXPECT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
}

TEST(DaemonOps, ReloadThroughTheApiReportsConfigErrors) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.write_config("node: test\nlinks: [\n");
  const auto reply = ask(h, R"({"version":1,"command":"reload"})");
  EXPECT_FALSE(reply["ok"].get<bool>());
  EXPECT_EQ(reply["error"]["code"], "failed");
  EXPECT_NE(reply["error"]["message"].get<std::string>().find(".yaml:3:1"), std::string::npos);
  EXPECT_TRUE(h.events_->has("reload", "\"ok\":false"));
  h.write_config(kConfig);
  EXPECT_EQ(ok(h, R"({"version":1,"command":"reload"})")["classes"], 2);
  const auto status = ok(h, R"({"version":1,"command":"status"})");
  EXPECT_EQ(status["daemon"]["config"]["reloads_ok"], 1);
  EXPECT_EQ(status["daemon"]["config"]["reloads_failed"], 1);
}

// A drill's fault is installed on the worker. Meanwhile a second drill is refused, and a
// drill aborted before its fault is in place still gets its answer (and the fault is removed
// after it is installed: the worker keeps their order).
TEST(DaemonOps, ADrillBeingStartedIsAnsweredAndNotDoubled) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = true, .journal = true, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.faults_->inject_delay_ms = 400;
  std::string first;
  std::thread starter([&] {
    first = h.control(R"({"version":1,"command":"drill.start","link":"5g","fault":"blackhole","for":"10s"})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"drill.start","link":"leo","fault":"blackhole","for":"1s"})"),
            "conflict");
  EXPECT_NE(h.control(R"({"version":1,"command":"drill.abort","reason":"changed my mind"})").find("\"ok\":true"),
            std::string::npos);
  starter.join();
  EXPECT_NE(first.find("\"ok\":false"), std::string::npos) << first;
  EXPECT_NE(first.find("aborted while its fault was being installed"), std::string::npos) << first;
  EXPECT_TRUE(h.eventually([&] { return h.faults_->cleared.load() >= 1 && !h.net.blackhole_5g.load(); }));
}

TEST(DaemonOps, ABlackHoleDrillIsMeasuredAndReported) {
  std::string yaml = kConfig;
  yaml += "drills: { targets: { detection: 200ms, outage: 500ms, failback: 5s } }\n";
  DaemonHarness h(yaml, std::nullopt, {.faults = true, .journal = true, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto drill = ok(h, R"({"version":1,"command":"drill.start","link":"5g","fault":"blackhole","for":"1s"})");
  EXPECT_EQ(drill["state"], "running");
  EXPECT_EQ(h.faults_->injected.load(), 1);
  EXPECT_EQ(error_code(h, R"({"version":1,"command":"drill.start","link":"leo","fault":"simulate","for":"1s"})"),
            "conflict");
  // The fault takes 5G down (detection 40 ms), the classes move, then the fault ends and
  // they come back after min_stable (200 ms) and failback (500 ms).
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  ASSERT_TRUE(h.eventually(
      [&] { return ok(h, R"({"version":1,"command":"drill.status"})")["drill"]["state"] == "completed"; },
      std::chrono::seconds(10)));
  EXPECT_GE(h.faults_->cleared.load(), 2);  // at start-up (leftovers) and at the end
  const auto report = ok(h, R"({"version":1,"command":"drill.report"})");
  EXPECT_EQ(report["state"], "completed");
  EXPECT_EQ(report["link"], "5g");
  ASSERT_EQ(report["classes"].size(), 2u);
  for (const auto& c : report["classes"]) {
    EXPECT_EQ(c["to"], "leo");
    EXPECT_GT(c["detection_seconds"].get<double>(), 0.0);
    EXPECT_LT(c["detection_seconds"].get<double>(), 0.2);
    EXPECT_GE(c["outage_seconds"].get<double>(), c["detection_seconds"].get<double>());
    EXPECT_GE(c["failback_seconds"].get<double>(), 0.69);
    EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
  }
  EXPECT_TRUE(report["passed"].get<bool>());
  EXPECT_TRUE(h.events_->has("drill", "\"step\":\"completed\""));
}

TEST(DaemonOps, ASimulatedDrillMovesTrafficWithoutTouchingTheLink) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto sent = h.net.probes_sent.load();
  ok(h, R"({"version":1,"command":"drill.start","link":"5g","fault":"simulate","for":"10s"})");
  EXPECT_TRUE(h.class_on(0, "sat0"));  // in the same turn: detection is immediate
  EXPECT_FALSE(h.net.blackhole_5g.load());
  // The real link stays up under the simulation.
  const auto links = ok(h, R"({"version":1,"command":"links"})");
  EXPECT_EQ(links["links"][0]["health"], "up");
  EXPECT_TRUE(h.eventually([&] { return h.net.probes_sent.load() > sent + 10; }));  // still probing
  const auto aborted = ok(h, R"({"version":1,"command":"drill.abort","reason":"enough"})");
  EXPECT_EQ(aborted["state"], "aborted");
  const auto report = ok(h, R"({"version":1,"command":"drill.report"})");
  EXPECT_EQ(report["state"], "aborted");
  EXPECT_FALSE(report["passed"].get<bool>());
  EXPECT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
}

TEST(DaemonOps, ADrillAbortsItselfWhenTheBackupsFailToo) {
  // Only one link: when it is drilled, C2 has nowhere to go and would be black-holed.
  const std::string yaml = R"(node: test
links:
  - name: 5g
    interface: wwan0
    gateway: 198.18.1.2
    kind: cellular
    detect: { interval: 5ms, multiplier: 8, rise: 5, min_stable: 200ms }
    probes: [{ type: icmp, target: 198.19.0.1 }]
classes:
  - { name: c2, precedence: flash, match: { dscp: [ef] }, links: [5g], when_none: blackhole }
)";
  DaemonHarness h(yaml, std::nullopt, {.faults = true, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  ok(h, R"({"version":1,"command":"drill.start","link":"5g","fault":"blackhole","for":"30s"})");
  ASSERT_TRUE(h.eventually(
      [&] { return ok(h, R"({"version":1,"command":"drill.status"})")["drill"]["state"] == "aborted"; }));
  const auto status = ok(h, R"({"version":1,"command":"drill.status"})");
  EXPECT_NE(status["drill"]["abort_reason"].get<std::string>().find("backups failed"), std::string::npos);
  EXPECT_FALSE(h.net.blackhole_5g.load());  // the fault is gone
  EXPECT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
}

TEST(DaemonOps, SnapshotsCountSwitchesAndDecisions) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  const auto s = h.snapshot();
  ASSERT_TRUE(s);
  EXPECT_GT(s->decisions, 0u);
  EXPECT_EQ(s->decision_seconds.count, s->decisions);
  const auto& c2 = s->classes[0];
  bool failover = false;
  for (const auto& sw : c2.switches) failover |= sw.from == "5g" && sw.to == "leo" && sw.reason == "failover";
  EXPECT_TRUE(failover);
  ASSERT_TRUE(c2.last_switch);
  EXPECT_GT(c2.last_switch_seconds, 0.0);
  EXPECT_GT(s->links[0].seconds_up, 0.0);
  EXPECT_EQ(s->links[0].health, "down");
}

}  // namespace
}  // namespace lifeline::daemon
