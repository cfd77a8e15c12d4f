// Incident sharing in the running daemon (docs/incidents.md), the channel played by the test:
// a report signed by an allowed reporter that names 5G's network quarantines 5G until the
// report expires (C2 leaves, bulk stays), once however often it arrives; a report signed by
// anyone else, or not three frames, changes nothing and is counted; our own radio violation
// goes out as a report signed with our key that names what our modem sees.
#include <sys/stat.h>

#include "controller/event_json.hpp"
#include "daemon_harness.hpp"
#include "links/attestation.hpp"
#include "links/incident.hpp"
#include "links/radio.hpp"

namespace lifeline::daemon {
namespace {

using namespace testing;

constexpr const char* kFeed = "ipc:///run/lifeline/test-incident-modem0.sock";
constexpr const char* kFromChannel = "ipc:///run/lifeline/test-channel-xpub.sock";
constexpr const char* kToChannel = "ipc:///run/lifeline/test-channel-xsub.sock";

struct Keys {
  links::SigningKeyPair ours = links::generate_signing_key();
  links::SigningKeyPair bravo = links::generate_signing_key();
  links::SigningKeyPair stranger = links::generate_signing_key();
  std::string our_file;
  Keys() {
    our_file = ::testing::TempDir() + "/lifeline-incident-test-" + std::to_string(::getpid()) + ".sign";
    std::ofstream(our_file) << "# test key\n" << ours.secret_key << "\n";
    ::chmod(our_file.c_str(), 0600);
  }
  ~Keys() { std::remove(our_file.c_str()); }
};

std::string incident_config(const Keys& k) {
  std::string yaml = kConfig;
  const std::string radio = std::string("    radio: { feed: \"") + kFeed +
                            "\", modem: modem0, min_rat: lte, plmns: [\"24001\"] }\n";
  yaml.insert(yaml.find("  - name: leo"), radio);
  yaml.replace(yaml.find("when_none: blackhole"), 20, "when_none: blackhole, require: { integrity: true }");
  return yaml + "integrity: { quarantine: 1s }\nincidents:\n  subscribe: " + kFromChannel + "\n  publish: " + kToChannel +
         "\n  signing_key_file: " + k.our_file + "\n  reporter: base-alpha-gw1\n  allowed_reporters:\n" +
         "    - { name: base-bravo-gw1, public_key: \"" + k.bravo.public_key + "\" }\n";
}

// A report about PLMN 24001 from `reporter`, in force for `seconds`.
std::string report(const std::string& id, const std::string& reporter, int seconds, const std::string& severity = "high") {
  links::IncidentReport r;
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  r.id = id;
  r.time = now - std::chrono::seconds(1);
  r.reporter = reporter;
  r.severity = severity;
  r.category = "rogue-base-station";
  r.plmns = {"24001"};
  r.indicators = {"RAT downgrade nr->gsm"};
  r.expires = now + std::chrono::seconds(seconds);
  return links::format_incident(r);
}

std::vector<std::string> signed_frames(const std::string& json, const std::string& secret) {
  return {"incident", json, links::sign_incident(json, *links::decode_secret_key(secret))};
}

bool settled(DaemonHarness& h) { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }

TEST(DaemonIncident, AnAllowedReportQuarantinesTheLinkItNamesUntilItExpires) {
  Keys k;
  DaemonHarness h(incident_config(k), std::nullopt, {.faults = false, .journal = true, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto text = report("r-1", "base-bravo-gw1", 3);
  ASSERT_EQ(h.feeds.send(kFromChannel, signed_frames(text, k.bravo.secret_key)), 1);
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  EXPECT_TRUE(h.class_on(1, "wwan0")) << "bulk does not require integrity";
  auto s = h.snapshot();
  ASSERT_TRUE(s->links[0].quarantined_until);
  EXPECT_NE(s->links[0].quarantine_reason.find(
                "incident: report r-1 from base-bravo-gw1: rogue-base-station (high) names PLMN 24001"),
            std::string::npos)
      << s->links[0].quarantine_reason;
  const auto until = *s->links[0].quarantined_until - std::chrono::system_clock::now();
  EXPECT_GT(until, std::chrono::seconds(1)) << "until the report expires, not integrity.quarantine (1 s)";
  EXPECT_TRUE(h.events_->has("incident", "\"direction\":\"received\""));
  EXPECT_TRUE(h.events_->has("incident", "\"links\":[\"5g\"]"));
  // The same report again (another copy through another channel): ignored.
  h.feeds.send(kFromChannel, signed_frames(text, k.bravo.secret_key));
  ASSERT_TRUE(h.eventually([&] { return h.snapshot()->incidents->duplicate == 1; }));
  EXPECT_EQ(h.snapshot()->incidents->accepted, 1u);
  EXPECT_EQ(h.snapshot()->incidents->quarantines, 1u);
  // It expires: C2 returns after its failback.
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }, std::chrono::seconds(8)));
}

TEST(DaemonIncident, ReportsNotSignedByAnAllowedReporterChangeNothing) {
  Keys k;
  DaemonHarness h(incident_config(k), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto text = report("r-2", "base-bravo-gw1", 60);
  h.feeds.send(kFromChannel, signed_frames(text, k.stranger.secret_key));          // a stranger's key
  h.feeds.send(kFromChannel, {"incident", text, std::string(64, '\0')});            // a forged signature
  h.feeds.send(kFromChannel, {"incident", text});                                   // unsigned
  h.feeds.send(kFromChannel, signed_frames(report("r-3", "base-charlie", 60), k.bravo.secret_key));  // a lie
  h.feeds.send(kFromChannel, signed_frames("{\"not\": \"a report\"}", k.bravo.secret_key));  // names no one
  ASSERT_TRUE(h.eventually([&] {
    const auto i = h.snapshot()->incidents;
    return i->bad_signature == 4 && i->malformed == 1;
  })) << h.control(R"({"version":1,"command":"status"})");
  EXPECT_EQ(h.snapshot()->incidents->accepted, 0u);
  EXPECT_TRUE(h.class_on(0, "wwan0"));
  EXPECT_FALSE(h.snapshot()->links[0].quarantined_until);
}

TEST(DaemonIncident, AFloodIsCutAtFiftyReportsASecond) {
  Keys k;
  DaemonHarness h(incident_config(k), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  const auto text = report("r-flood", "base-bravo-gw1", 60);
  const auto frames = signed_frames(text, k.stranger.secret_key);
  for (int i = 0; i < 300; ++i) h.feeds.send(kFromChannel, frames);
  ASSERT_TRUE(h.eventually([&] {
    const auto i = h.snapshot()->incidents;
    return i->flooded + i->bad_signature == 300;
  }));
  EXPECT_GE(h.snapshot()->incidents->flooded, 150u) << "at most 50 a second are checked";
  EXPECT_TRUE(h.class_on(0, "wwan0"));
}

TEST(DaemonIncident, AReportFromTheFutureOrForDecadesIsNotTakenAtItsWord) {
  Keys k;
  DaemonHarness h(incident_config(k), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  // Dated an hour ahead: a clock gone wrong somewhere; dropped.
  auto future = std::get<links::IncidentReport>(links::parse_incident(report("r-5", "base-bravo-gw1", 60)));
  future.time += std::chrono::hours(1);
  future.expires += std::chrono::hours(2);
  h.feeds.send(kFromChannel, signed_frames(links::format_incident(future), k.bravo.secret_key));
  ASSERT_TRUE(h.eventually([&] { return h.snapshot()->incidents->malformed == 1; }));
  EXPECT_TRUE(h.class_on(0, "wwan0"));
  // Expiring in 2126 (a typo): in force for a week at most.
  auto typo = std::get<links::IncidentReport>(links::parse_incident(report("r-6", "base-bravo-gw1", 60)));
  typo.expires += std::chrono::hours(24 * 365 * 100);
  h.feeds.send(kFromChannel, signed_frames(links::format_incident(typo), k.bravo.secret_key));
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  const auto until = *h.snapshot()->links[0].quarantined_until - std::chrono::system_clock::now();
  EXPECT_LE(until, std::chrono::hours(24 * 7));
  EXPECT_GT(until, std::chrono::hours(24 * 6));
}

TEST(DaemonIncident, ALowSeverityReportIsASuspicion) {
  Keys k;
  DaemonHarness h(incident_config(k), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.feeds.send(kFromChannel, signed_frames(report("r-4", "base-bravo-gw1", 60, "low"), k.bravo.secret_key));
  ASSERT_TRUE(h.eventually([&] { return h.events_->has("finding", "\"verdict\":\"suspicion\""); }));
  EXPECT_TRUE(h.class_on(0, "wwan0"));
}

TEST(DaemonIncident, OurOwnViolationIsPublishedSignedWithOurKey) {
  Keys k;
  DaemonHarness h(incident_config(k), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  links::RadioReading r;
  r.modem = "modem0";
  r.rat = config::Rat::nr;
  r.plmn = "24001";
  r.tac = 6699;
  r.cell_id = 999;
  h.feeds.send(kFeed, {links::format_radio_reading(r)});
  r.rat = config::Rat::gsm;
  r.cipher = "nea0";
  h.feeds.send(kFeed, {links::format_radio_reading(r)});
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  ASSERT_TRUE(h.eventually([&] { return !h.feeds.published().empty(); }));
  const auto [endpoint, frames] = h.feeds.published()[0];
  EXPECT_EQ(endpoint, kToChannel);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], "incident");
  const config::IncidentReporter us{"base-alpha-gw1", k.ours.public_key, *links::decode_public_key(k.ours.public_key)};
  EXPECT_NE(links::verify_incident(frames[1], frames[2], {us}), nullptr) << "signed with our key";
  const auto parsed = links::parse_incident(frames[1]);
  ASSERT_TRUE(std::holds_alternative<links::IncidentReport>(parsed)) << std::get<std::string>(parsed);
  const auto& report = std::get<links::IncidentReport>(parsed);
  EXPECT_EQ(report.reporter, "base-alpha-gw1");
  EXPECT_EQ(report.category, "downgrade");
  EXPECT_EQ(report.plmns, std::vector<std::string>{"24001"});
  ASSERT_EQ(report.cells.size(), 1u);
  EXPECT_EQ(report.cells[0].cell_id, 999u);
  EXPECT_EQ(h.snapshot()->incidents->published, 1u);
  EXPECT_EQ(report.indicators.size(), 2u) << "one report for what one reading showed";
  // Our own report back from the channel is not news (nor a bad signature).
  h.feeds.send(kFromChannel, frames);
  h.feeds.send(kFromChannel, {"incident", frames[1]});
  ASSERT_TRUE(h.eventually([&] { return h.snapshot()->incidents->malformed == 1; }));
  EXPECT_EQ(h.snapshot()->incidents->bad_signature, 0u);
}

}  // namespace
}  // namespace lifeline::daemon
