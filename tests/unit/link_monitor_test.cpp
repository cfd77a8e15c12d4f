#include <gtest/gtest.h>

#include "link_harness.hpp"
#include "sim/random.hpp"

namespace lifeline::links {
namespace {

using testing::at;
using testing::config_with_link;
using testing::LinkHarness;

const char* kOneTarget = R"(name: l
interface: eth0
kind: cellular
detect: { interval: 5ms, multiplier: 8, rise: 10, min_stable: 2s }
sla: { rtt: 100ms, jitter: 30ms, loss: 5% }
probes:
  - { type: icmp, target: 198.19.0.1 }
)";

const char* kTwoTargets = R"(name: l
interface: eth0
kind: cellular
detect: { interval: 5ms, multiplier: 8, rise: 10, min_stable: 2s }
sla: { loss: 5% }
probes:
  - { type: icmp, target: 198.19.0.1 }
  - { type: icmp, target: 198.19.0.2 }
quorum: QUORUM
)";

config::LinkConfig link_from(const std::string& yaml) {
  return config_with_link(yaml).links.at(0);
}

std::string two_targets(int quorum) {
  std::string s = kTwoTargets;
  s.replace(s.find("QUORUM"), 6, std::to_string(quorum));
  return s;
}

TEST(LinkMonitor, StartsDownAndComesUpAfterRiseGoodProbes) {
  LinkHarness h(link_from(kOneTarget));
  EXPECT_EQ(h.monitor().status().health, Health::down);
  h.run_until(at(1s));
  ASSERT_EQ(h.transitions().size(), 1u);
  EXPECT_EQ(h.transitions()[0].to, Health::up);
  // 10 probes, the first at 5 ms, each answered 20 ms later; no min_stable at start.
  EXPECT_EQ(h.transitions()[0].at, at(50ms + 20ms));
  EXPECT_EQ(h.monitor().status().metrics.srtt, Duration(20ms));
}

TEST(LinkMonitor, BlackHoleIsDetectedWithinMultiplierIntervals) {
  LinkHarness h(link_from(kOneTarget));
  const TimePoint t0 = at(10s + 2ms);
  h.drop = [&](std::size_t, TimePoint sent) { return sent + 20ms >= t0; };  // replies stop at t0
  h.run_until(at(11s));
  ASSERT_EQ(h.transitions().size(), 2u);
  const auto& down = h.transitions()[1];
  EXPECT_EQ(down.to, Health::down);
  EXPECT_GT(down.at, t0);
  EXPECT_LE(down.at, t0 + 40ms);  // 8 x 5 ms after the last reply, which came before t0
  EXPECT_NE(down.reason.find("no valid reply for 40ms (8 x 5ms)"), std::string::npos)
      << down.reason;
  EXPECT_NE(down.reason.find("198.19.0.1"), std::string::npos);
  EXPECT_EQ(h.monitor().status().downs, 1u);
}

// A stalled loop (a slow disk, a busy CPU, SIGSTOP) sends nothing: the silence that follows
// is its own doing, not the path's. Twenty 200 ms stalls of a healthy link: never down.
TEST(LinkMonitor, AStalledLoopIsNotAnOutage) {
  LinkHarness h(link_from(kOneTarget));
  for (int i = 0; i < 20; ++i) {
    const TimePoint from = at(5s) + i * 1s + std::chrono::milliseconds(37 * i % 5);
    h.stall(from, from + 200ms);
  }
  h.run_until(at(30s));
  ASSERT_EQ(h.transitions().size(), 1u) << h.transitions().back().reason;
  EXPECT_EQ(h.transitions()[0].to, Health::up);
  EXPECT_EQ(h.monitor().status().downs, 0u);
}

// Today's rule alone ("no reply for 8 x 5 ms") would take it down after any stall longer than
// the detection time; the evidence rule waits for probes that were actually sent.
TEST(LinkMonitor, AStallLongerThanTheRoundTripIsNotAnOutageEither) {
  // GEO: 600 ms round trip, 160 ms detection. After a 300 ms stall the first reply to a
  // fresh probe takes 600 ms, far beyond the detection time: still not silence.
  LinkHarness h(link_from(R"(name: l
interface: eth0
kind: satellite
detect: { interval: 20ms, multiplier: 8, rise: 5, min_stable: 2s }
probes:
  - { type: icmp, target: 198.19.0.1 }
)"));
  h.rtt = [](std::size_t, TimePoint) { return Duration(600ms); };
  h.stall(at(10s), at(10s + 300ms));
  h.run_until(at(20s));
  ASSERT_EQ(h.transitions().size(), 1u) << h.transitions().back().reason;
  EXPECT_EQ(h.monitor().status().downs, 0u);
}

// A path that dies while the loop is stalled is still found: late (by the stall), not wrong.
TEST(LinkMonitor, APathThatDiesDuringAStallIsFoundAfterIt) {
  LinkHarness h(link_from(kOneTarget));
  const TimePoint t0 = at(10s);
  h.drop = [&](std::size_t, TimePoint sent) { return sent >= t0; };
  h.stall(t0, t0 + 200ms);
  h.run_until(at(11s));
  ASSERT_EQ(h.transitions().size(), 2u);
  const auto& down = h.transitions()[1];
  EXPECT_EQ(down.to, Health::down);
  // Eight probes sent after the stall, the last out for one round trip (20 ms).
  EXPECT_GE(down.at, t0 + 200ms + 35ms + 20ms);
  EXPECT_LE(down.at, t0 + 200ms + 40ms + 20ms);
}

// Replies that reached the socket during a stall count at their arrival time: the ones the
// path answered before it died do not look late, and detection is measured from the last.
TEST(LinkMonitor, ABlackHoleDuringAShortStallIsDetectedOnTime) {
  LinkHarness h(link_from(kOneTarget));
  const TimePoint t0 = at(10s + 2ms);
  h.drop = [&](std::size_t, TimePoint sent) { return sent + 20ms >= t0; };
  h.stall(t0 + 10ms, t0 + 30ms);  // shorter than the detection time
  h.run_until(at(11s));
  ASSERT_EQ(h.transitions().size(), 2u);
  EXPECT_GT(h.transitions()[1].at, t0);
  EXPECT_LE(h.transitions()[1].at, t0 + 40ms + 20ms);
}

TEST(LinkMonitor, ComesBackOnlyAfterMinStableSinceTheOutageEnded) {
  LinkHarness h(link_from(kOneTarget));
  h.drop = [](std::size_t, TimePoint sent) { return sent >= at(5s) && sent < at(7s); };
  h.run_until(at(20s));
  ASSERT_EQ(h.transitions().size(), 3u);
  EXPECT_EQ(h.transitions()[1].to, Health::down);
  EXPECT_EQ(h.transitions()[2].to, Health::up);
  // The first reply after the outage arrives at about 7.02 s; up 2 s (min_stable) later.
  EXPECT_GE(h.transitions()[2].at, at(9s + 20ms));
  EXPECT_LE(h.transitions()[2].at, at(9s + 30ms));
  // The outage's losses are the outage's: after it the SLA sees a clean window.
  EXPECT_EQ(h.monitor().status().health, Health::up);
  EXPECT_DOUBLE_EQ(h.monitor().status().metrics.loss, 0.0);
}

TEST(LinkMonitor, ASilenceWhenMinStableEndsRestartsTheWait) {
  // Regression: the stability deadline fell inside a new silent gap, was never cleared, and
  // the caller spun on it at one instant.
  LinkHarness h(link_from(kOneTarget));
  h.drop = [](std::size_t, TimePoint sent) {
    return (sent >= at(5s) && sent < at(7s)) || (sent >= at(8950ms) && sent < at(9200ms));
  };
  h.run_until(at(20s));
  ASSERT_EQ(h.transitions().size(), 3u);
  EXPECT_EQ(h.transitions()[2].to, Health::up);
  // The second gap (~9.22 s) is a failure too: 2 s of stability from its end.
  EXPECT_GE(h.transitions()[2].at, at(11s + 200ms));
}

TEST(LinkMonitor, AFlappingPathDoesNotComeBackBetweenFlaps) {
  LinkHarness h(link_from(kOneTarget));
  // 300 ms down every second: never 2 s stable, so the link stays down after the first.
  h.drop = [](std::size_t, TimePoint sent) {
    const auto phase = (sent - TimePoint{}) % 1s;
    return sent >= at(3s) && phase < 300ms;
  };
  h.run_until(at(30s));
  ASSERT_EQ(h.transitions().size(), 2u);
  EXPECT_EQ(h.transitions()[1].to, Health::down);
}

TEST(LinkMonitor, QuorumOneSurvivesOneSilentTarget) {
  LinkHarness h(link_from(two_targets(1)));
  h.drop = [](std::size_t target, TimePoint sent) { return target == 1 && sent >= at(3s); };
  h.run_until(at(10s));
  ASSERT_EQ(h.transitions().size(), 1u);  // only the initial up
  EXPECT_EQ(h.monitor().status().metrics.targets_alive, 1u);
  EXPECT_EQ(h.monitor().status().health, Health::up);
  // The silent target's losses do not make the link look lossy.
  EXPECT_DOUBLE_EQ(h.monitor().status().metrics.loss, 0.0);
}

TEST(LinkMonitor, QuorumTwoFailsOnOneSilentTarget) {
  LinkHarness h(link_from(two_targets(2)));
  h.drop = [](std::size_t target, TimePoint sent) { return target == 1 && sent >= at(3s); };
  h.run_until(at(10s));
  ASSERT_EQ(h.transitions().size(), 2u);
  EXPECT_EQ(h.transitions()[1].to, Health::down);
  EXPECT_NE(h.transitions()[1].reason.find("198.19.0.2"), std::string::npos);
  EXPECT_NE(h.transitions()[1].reason.find("1 of 2 answering, quorum 2"), std::string::npos)
      << h.transitions()[1].reason;
}

TEST(LinkMonitor, BothTargetsSilentTakesAQuorumOneLinkDown) {
  LinkHarness h(link_from(two_targets(1)));
  h.drop = [](std::size_t, TimePoint sent) { return sent >= at(3s); };
  h.run_until(at(4s));
  ASSERT_EQ(h.transitions().size(), 2u);
  EXPECT_LE(h.transitions()[1].at, at(3s + 20ms + 40ms));
}

TEST(LinkMonitor, SustainedLossAboveSlaDegradesAndRecovers) {
  LinkHarness h(link_from(kOneTarget));
  sim::Random rng(1);
  // 15 % loss from 5 s to 30 s, then clean.
  h.drop = [&](std::size_t, TimePoint sent) {
    return sent >= at(5s) && sent < at(30s) && rng.uniform() < 0.15;
  };
  h.run_until(at(60s));
  std::vector<Health> seen;
  for (const auto& t : h.transitions()) seen.push_back(t.to);
  ASSERT_EQ(seen, (std::vector<Health>{Health::up, Health::degraded, Health::up}));
  EXPECT_NE(h.transitions()[1].reason.find("loss"), std::string::npos) << h.transitions()[1].reason;
  EXPECT_GT(h.transitions()[1].at, at(5s));
  EXPECT_LT(h.transitions()[1].at, at(15s));
  EXPECT_GT(h.transitions()[2].at, at(30s));
}

TEST(LinkMonitor, TwoPercentLossNeverDegradesAFivePercentSla) {
  LinkHarness h(link_from(kOneTarget));
  sim::Random rng(7);
  h.drop = [&](std::size_t, TimePoint) { return rng.uniform() < 0.02; };
  h.run_until(at(std::chrono::minutes(30)));
  ASSERT_EQ(h.transitions().size(), 1u) << "went " << links::to_string(h.transitions().back().to)
                                        << ": " << h.transitions().back().reason;
  EXPECT_NEAR(h.monitor().status().metrics.loss, 0.02, 0.015);
}

TEST(LinkMonitor, RttAboveSlaDegrades) {
  LinkHarness h(link_from(kOneTarget));
  // RTT climbs from 20 ms to 150 ms over 2 s (a queue filling), without a silent gap.
  h.rtt = [](std::size_t, TimePoint sent) {
    if (sent < at(5s)) return Duration(20ms);
    return std::min<Duration>(150ms, 20ms + (sent - at(5s)) * 65 / 1000);
  };
  h.run_until(at(10s));
  ASSERT_EQ(h.transitions().size(), 2u);
  EXPECT_EQ(h.transitions()[1].to, Health::degraded);
  EXPECT_NE(h.transitions()[1].reason.find("rtt"), std::string::npos);
  // A slower path is not a dead one: the probes still count as answered.
  EXPECT_EQ(h.monitor().status().metrics.targets_alive, 1u);
}

TEST(LinkMonitor, AnRttStepLongerThanTheDetectionTimeIsAnOutage) {
  // 20 ms -> 150 ms at once: no reply for 130 ms, which is indistinguishable from a black
  // hole while it lasts. The link goes down, and comes back after min_stable.
  LinkHarness h(link_from(kOneTarget));
  h.rtt = [](std::size_t, TimePoint sent) {
    return sent >= at(5s) ? Duration(150ms) : Duration(20ms);
  };
  h.run_until(at(10s));
  std::vector<Health> seen;
  for (const auto& t : h.transitions()) seen.push_back(t.to);
  EXPECT_EQ(seen, (std::vector<Health>{Health::up, Health::down, Health::degraded}));
}

TEST(LinkMonitor, ExtraWatchesFlipWithoutChangingHealth) {
  const auto link = link_from(kOneTarget);
  Thresholds strict;
  strict.rtt = 30ms;
  LinkHarness h(link, {LinkMonitor::sla_thresholds(link.sla), strict});
  h.rtt = [](std::size_t, TimePoint sent) {
    return sent >= at(5s) ? Duration(50ms) : Duration(20ms);
  };
  h.run_until(at(10s));  // a 30 ms step: shorter than the 40 ms detection time
  EXPECT_EQ(h.monitor().status().health, Health::up);
  EXPECT_TRUE(h.monitor().status().meets.test(0));
  EXPECT_FALSE(h.monitor().status().meets.test(1));
  // up, then the strict watch failing: two generation changes, nothing else.
  EXPECT_EQ(h.generation_changes(), 2u);
}

TEST(LinkMonitor, NewWatchesOnReloadKeepHealthAndKnownVerdicts) {
  const auto link = link_from(kOneTarget);
  Thresholds strict;
  strict.rtt = 30ms;
  LinkHarness h(link, {LinkMonitor::sla_thresholds(link.sla), strict});
  h.rtt = [](std::size_t, TimePoint) { return Duration(50ms); };
  h.run_until(at(5s));
  ASSERT_FALSE(h.monitor().status().meets.test(1));
  Thresholds loose;
  loose.rtt = 80ms;
  // The strict set moves to index 2, a loose one is added at 1.
  h.monitor().set_watches({LinkMonitor::sla_thresholds(link.sla), loose, strict}, h.now());
  EXPECT_EQ(h.monitor().status().health, Health::up);
  EXPECT_TRUE(h.monitor().status().meets.test(1));
  EXPECT_FALSE(h.monitor().status().meets.test(2));  // its verdict came along
  h.run_until(at(6s));
  EXPECT_TRUE(h.monitor().status().meets.test(1));
  EXPECT_EQ(h.transitions().size(), 1u);  // never went down
}

TEST(LinkMonitor, ForgedDuplicateAndLateRepliesAreRecognised) {
  LinkHarness h(link_from(kOneTarget));
  h.run_until(at(1s));
  const auto& target = h.monitor().target(0);
  EXPECT_EQ(h.inject(0, target.sent() + 100), ReplyVerdict::unknown);
  EXPECT_EQ(h.inject(0, target.sent() - 10), ReplyVerdict::duplicate);  // answered long ago
  EXPECT_EQ(target.unknown(), 1u);
  EXPECT_EQ(target.duplicates(), 1u);
}

TEST(LinkMonitor, ForgedRepliesDoNotKeepADeadLinkAlive) {
  LinkHarness h(link_from(kOneTarget));
  h.drop = [](std::size_t, TimePoint sent) { return sent >= at(2s); };
  h.run_until(at(2s + 10ms));
  // A stranger keeps sending "replies" with sequence numbers it guesses wrong.
  for (int i = 0; i < 20; ++i) {
    h.run_until(at(2s + 10ms + i * 5ms));
    EXPECT_NE(h.inject(0, 1'000'000 + static_cast<std::uint64_t>(i)), ReplyVerdict::accepted);
  }
  h.run_until(at(3s));
  EXPECT_EQ(h.monitor().status().health, Health::down);
}

TEST(LinkMonitor, ReplyAfterTheTimeoutIsLate) {
  LinkHarness h(link_from(kOneTarget));
  h.run_until(at(1s));
  h.rtt = [](std::size_t, TimePoint) { return Duration(3s); };  // beyond the 1 s minimum timeout
  h.run_until(at(5s));
  bool late = false;
  for (auto v : h.verdicts()) late |= v == ReplyVerdict::late;
  EXPECT_TRUE(late);
  EXPECT_GT(h.monitor().target(0).lost(), 0u);
}

}  // namespace
}  // namespace lifeline::links
