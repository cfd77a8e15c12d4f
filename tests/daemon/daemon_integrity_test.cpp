// Path integrity in the running daemon (docs/integrity.md), against the fake network: forged
// probe replies on 5G are a violation that quarantines it for classes that require integrity
// (C2 leaves in that turn, bulk stays), reported once per 10 s as a `finding` event and
// counted; the quarantine ends by itself and C2 returns; replayed replies are a suspicion by
// default: reported and counted, nothing moves.
#include "daemon_harness.hpp"

namespace lifeline::daemon {
namespace {

using namespace testing;

std::string integrity_config(const std::string& extra_5g = "") {
  std::string yaml = kConfig;
  if (!extra_5g.empty()) yaml.insert(yaml.find("  - name: leo"), extra_5g);
  yaml.replace(yaml.find("when_none: blackhole"), 20, "when_none: blackhole, require: { integrity: true }");
  return yaml + "integrity: { quarantine: 1s }\n";
}

std::uint64_t findings(const snapshot::Link& l, const std::string& rule, const std::string& verdict) {
  for (const auto& f : l.findings) {
    if (f.rule == rule && f.verdict == verdict) return f.count;
  }
  return 0;
}

bool settled(DaemonHarness& h) { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }

TEST(DaemonIntegrity, ForgedRepliesQuarantineTheLinkForClassesThatRequireIntegrity) {
  DaemonHarness h(integrity_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.net.forge_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  EXPECT_TRUE(h.class_on(1, "wwan0")) << "bulk does not require integrity: it stays";
  auto s = h.snapshot();
  ASSERT_TRUE(s && s->links[0].quarantined_until);
  EXPECT_NE(s->links[0].quarantine_reason.find("path: bad MAC reply from"), std::string::npos)
      << s->links[0].quarantine_reason;
  EXPECT_EQ(s->links[0].health, "up") << "genuine replies still arrive: the link is healthy, not trusted";
  EXPECT_TRUE(h.events_->has("finding", "\"verdict\":\"violation\""));
  // Every forged reply counts; the report is rate limited (one event per rule per 10 s).
  ASSERT_TRUE(h.eventually([&] { return findings(h.snapshot()->links[0], "auth_failure", "violation") > 20; }));
  std::size_t reported = 0;
  for (const auto& e : h.events_->events()) reported += e.kind == "finding";
  EXPECT_EQ(reported, 1u);
  // The prober's count is the link's (one home per counter): one per forged reply.
  const auto counted = h.snapshot();
  EXPECT_EQ(counted->links[0].bad_mac, findings(counted->links[0], "auth_failure", "violation"));
  EXPECT_EQ(counted->links[1].bad_mac, 0u);
  const auto explain = h.control(R"({"version":1,"command":"explain","class":"c2"})");
  EXPECT_NE(explain.find("quarantined"), std::string::npos) << explain;

  // The forger stops: the quarantine (1 s here) runs out, and C2 returns after its failback.
  h.net.forge_5g = false;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }, std::chrono::seconds(8)));
  s = h.snapshot();
  EXPECT_FALSE(s->links[0].quarantined_until);
}

TEST(DaemonIntegrity, ReplayedRepliesAreASuspicionByDefault) {
  DaemonHarness h(integrity_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.net.duplicate_5g = true;
  ASSERT_TRUE(h.eventually([&] { return findings(h.snapshot()->links[0], "replay", "suspicion") > 10; }));
  // The target tracker's count is the link's: one per replayed reply.
  const auto counted = h.snapshot();
  EXPECT_EQ(counted->links[0].duplicate + counted->links[0].unknown_seq,
            findings(counted->links[0], "replay", "suspicion"));
  EXPECT_GT(counted->links[0].duplicate, 10u);
  EXPECT_TRUE(h.events_->has("finding", "\"verdict\":\"suspicion\""));
  EXPECT_TRUE(h.class_on(0, "wwan0")) << "a suspicion moves nothing";
  EXPECT_FALSE(h.snapshot()->links[0].quarantined_until);
}

TEST(DaemonIntegrity, AChangedHopCountIsASuspicionOrAViolation) {
  {
    DaemonHarness h(integrity_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
    ASSERT_TRUE(h.eventually([&] { return settled(h); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the baseline is learnt
    h.net.ttl_5g = 57;
    ASSERT_TRUE(h.eventually([&] { return h.events_->has("finding", "hop limit 64 -> 57"); }));
    EXPECT_TRUE(h.events_->has("finding", "\"verdict\":\"suspicion\""));
    EXPECT_EQ(findings(h.snapshot()->links[0], "hop_limit", "suspicion"), 1u);
    EXPECT_TRUE(h.class_on(0, "wwan0"));
  }
  DaemonHarness h(integrity_config("    path_integrity: { hop_limit: violation }\n"), std::nullopt,
                  {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  h.net.ttl_5g = 57;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  EXPECT_NE(h.snapshot()->links[0].quarantine_reason.find("path: hop limit 64 -> 57"), std::string::npos);
  EXPECT_TRUE(h.class_on(1, "wwan0"));
}

TEST(DaemonIntegrity, RulesAreConfigurablePerLink) {
  // Replays made a violation, forgeries ignored.
  DaemonHarness h(integrity_config("    path_integrity: { auth_failures: ignore, replays: violation }\n"), std::nullopt,
                  {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.net.forge_5g = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(h.class_on(0, "wwan0"));
  EXPECT_EQ(findings(h.snapshot()->links[0], "auth_failure", "violation"), 0u);
  h.net.forge_5g = false;
  h.net.duplicate_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  EXPECT_NE(h.snapshot()->links[0].quarantine_reason.find("path: a second reply to probe"), std::string::npos);
}

TEST(DaemonIntegrity, ASuddenDropOfTheRttFloorIsASuspicion) {
  // 20 ms from the first probe on: the floor must be learnt from 20 ms replies only (setting it
  // after the daemon started raced with its first probes on a busy machine).
  DaemonHarness h(integrity_config(), std::nullopt,
                  {.faults = false, .journal = false, .events = true, .rtt_ms_5g = 20});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the floor is learnt (50 replies)
  h.net.rtt_ms_5g = 3;  // something answers from much nearer
  ASSERT_TRUE(h.eventually([&] { return h.events_->has("finding", "\"rule\":\"rtt_floor\""); }));
  EXPECT_TRUE(h.events_->has("finding", "RTT floor 2"));
  EXPECT_EQ(findings(h.snapshot()->links[0], "rtt_floor", "suspicion"), 1u);
  EXPECT_TRUE(h.class_on(0, "wwan0")) << "a suspicion moves nothing";
}

// A class failing back waits while its flows are collected. If the link it waits on is
// quarantined meanwhile (for integrity classes only: not a link-wide verdict), it must leave
// at once, not after the walk.
TEST(DaemonIntegrity, AQuarantineDuringAFailbacksCollectionMovesTheClassAtOnce) {
  DaemonHarness h(integrity_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0") && h.class_on(1, "sat0"); }));
  h.classifier_->collect_delay_ms = 1500;
  h.net.blackhole_5g = false;
  ASSERT_TRUE(h.eventually([&] { return h.classifier_->collecting.load(); }, std::chrono::seconds(3)));
  ASSERT_TRUE(h.class_on(0, "sat0"));
  const auto t0 = Clock::now();
  h.net.forge_leo = true;  // LEO is quarantined for c2 (it requires integrity), not for bulk
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }, std::chrono::milliseconds(400)))
      << "c2 waited on a quarantined link for the failback's collection";
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(400));
  EXPECT_TRUE(h.class_on(1, "sat0")) << "bulk may wait for its flows (LEO still works for it)";
}

}  // namespace
}  // namespace lifeline::daemon
