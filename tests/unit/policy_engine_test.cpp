#include <gtest/gtest.h>

#include <cmath>

#include "link_harness.hpp"
#include "policy_fixture.hpp"

namespace lifeline::policy {
namespace {

using links::Health;
using testing::at;
using testing::PolicyFixture;

std::string link_yaml(const std::string& name, const std::string& extra = "") {
  return "  - name: " + name + "\n    interface: if-" + name +
         "\n    kind: wired\n    probes: [{type: icmp, target: 198.19.0.1}]\n" + extra;
}

// 5g preferred, then leo, then geo (small); c2 fails closed, bulk uses main.
const std::string kBase = "node: t\nlinks:\n" + link_yaml("5g", "    capacity: 100Mbit\n") +
                          link_yaml("leo", "    capacity: 50Mbit\n") +
                          link_yaml("geo", "    capacity: 4Mbit\n") + R"(classes:
  - name: c2
    precedence: flash
    match: {dscp: [cs6]}
    links: [5g, leo, geo]
    rate: 2Mbit
    when_none: blackhole
    failback: 30s
  - name: bulk
    precedence: routine
    match: {dscp: [cs1]}
    links: [5g, leo, geo]
    rate: 3Mbit
    when_none: main
    failback: 10s
)";

TEST(PolicyEngine, ClassesTakeTheFirstFitLink) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "5g");
  EXPECT_EQ(f.target("bulk"), "5g");
  EXPECT_EQ(f.decision("c2").why, Why::initial);
}

TEST(PolicyEngine, LeavingAnUnfitLinkIsImmediate) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  f.set("5g", Health::down);
  const auto& d = f.decide(at(10s));
  EXPECT_EQ(f.target("c2"), "leo");
  EXPECT_TRUE(d.classes[f.class_index("c2")].changed());
  EXPECT_EQ(f.decision("c2").why, Why::failover);
  EXPECT_EQ(f.reason("c2"), "5g down; leo is the next fit link");
}

TEST(PolicyEngine, FailbackWaitsForTheHoldDown) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  f.set("5g", Health::down);
  f.decide(at(10s));
  f.set("5g", Health::up);
  const auto& d = f.decide(at(20s));
  EXPECT_EQ(f.target("c2"), "leo");
  EXPECT_EQ(f.decision("c2").why, Why::holding);
  ASSERT_TRUE(f.decision("c2").hold_until);
  EXPECT_EQ(*f.decision("c2").hold_until, at(50s));
  // bulk holds for 10 s: the engine asks to be woken for the earliest hold-down.
  ASSERT_TRUE(d.next_wakeup);
  EXPECT_EQ(*d.next_wakeup, at(30s));
  f.decide(at(30s));
  EXPECT_EQ(f.target("bulk"), "5g");
  EXPECT_EQ(f.decision("bulk").why, Why::failback);
  EXPECT_EQ(f.target("c2"), "leo");
  f.decide(at(50s));
  EXPECT_EQ(f.target("c2"), "5g");
  EXPECT_EQ(f.reason("c2"), "5g fit for 30s (failback)");
}

TEST(PolicyEngine, AFlapDuringTheHoldDownRestartsIt) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  f.set("5g", Health::down);
  f.decide(at(10s));
  f.set("5g", Health::up);
  f.decide(at(20s));
  f.set("5g", Health::down);
  f.decide(at(25s));
  f.set("5g", Health::up);
  f.decide(at(40s));
  f.decide(at(50s));  // would have been the failback time without the flap
  EXPECT_EQ(f.target("c2"), "leo");
  f.decide(at(70s));
  EXPECT_EQ(f.target("c2"), "5g");
}

TEST(PolicyEngine, NoPreemptStaysOnTheBackup) {
  auto yaml = kBase;
  yaml.replace(yaml.find("failback: 30s"), 13, "failback: 30s\n    preempt: false");
  PolicyFixture f(yaml);
  f.decide(at(0s));
  f.set("5g", Health::down);
  f.decide(at(10s));
  f.set("5g", Health::up);
  f.decide(at(20s));
  f.decide(at(500s));
  EXPECT_EQ(f.target("c2"), "leo");
  EXPECT_EQ(f.decision("c2").why, Why::no_preempt);
  f.set("leo", Health::down);
  f.decide(at(501s));
  EXPECT_EQ(f.target("c2"), "5g");
}

TEST(PolicyEngine, WhenNoneFailsClosedOrUsesMain) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  for (const auto* l : {"5g", "leo", "geo"}) f.set(l, Health::down);
  f.decide(at(1s));
  EXPECT_EQ(f.target("c2"), "blackhole");
  EXPECT_EQ(f.target("bulk"), "main");
  EXPECT_EQ(f.decision("c2").why, Why::none_fit);
  EXPECT_NE(f.reason("c2").find("fail closed"), std::string::npos);
  f.set("geo", Health::up);
  f.decide(at(2s));
  EXPECT_EQ(f.target("c2"), "geo");
  EXPECT_EQ(f.decision("c2").why, Why::restored);
}

TEST(PolicyEngine, DegradedLinksAreAvoidedByClassesWithoutRequirements) {
  PolicyFixture f(kBase);
  f.link("5g").health = Health::degraded;
  f.link("5g").meets.set(0, false);
  f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "leo");
  const auto lines = f.explain("c2");
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines[1].find("5g: rejected, 5g outside limits"), std::string::npos) << lines[1];
}

TEST(PolicyEngine, CapacityIsAdmittedInPrecedenceOrder) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  f.set("5g", Health::down);
  f.set("leo", Health::down);
  // geo has 4 Mbit/s: c2 (flash, 2 Mbit/s) fits, bulk (3 Mbit/s) no longer does.
  const auto& d = f.decide(at(1s));
  EXPECT_EQ(f.target("c2"), "geo");
  EXPECT_EQ(f.target("bulk"), "main");
  EXPECT_EQ(d.links[f.index("geo")].allocated, 2'000'000u);
  bool capacity_rejection = false;
  const auto& bulk = f.decision("bulk");
  for (std::uint32_t i = 0; i < bulk.rejections_count; ++i) {
    const auto& r = d.rejections[bulk.rejections_begin + i];
    if (r.link == f.index("geo")) {
      capacity_rejection = r.why == Reject::capacity && r.free == 2'000'000u;
    }
  }
  EXPECT_TRUE(capacity_rejection);
}

TEST(PolicyEngine, HigherPrecedenceBumpsLowerFromAFullLink) {
  PolicyFixture f(kBase);
  f.set("5g", Health::down);
  f.set("leo", Health::down);
  f.set("geo", Health::down);
  f.decide(at(0s));
  f.set("geo", Health::up);
  f.decide(at(1s));
  EXPECT_EQ(f.target("c2"), "geo");
  EXPECT_EQ(f.target("bulk"), "main");
}

TEST(PolicyEngine, DampingSuppressesAFlappingLink) {
  PolicyFixture f(kBase);
  f.decide(at(0s));
  // Three flaps ten seconds apart: 1000, then 1000 + 1000 * 2^(-10/15) = 1630, then 2027.
  for (int i = 0; i < 3; ++i) {
    f.set("5g", Health::down);
    f.decide(at(std::chrono::seconds(10 * i + 1)));
    f.set("5g", Health::up);
    f.decide(at(std::chrono::seconds(10 * i + 3)));
  }
  const auto& d = f.decide(at(25s));
  EXPECT_TRUE(d.state.dampening[f.index("5g")].suppressed);
  // 2027 at the third flap (21 s), decayed for 4 s: 2027 * 2^(-4/15).
  EXPECT_NEAR(d.state.dampening[f.index("5g")].penalty, 2027.0 * std::exp2(-4.0 / 15), 1.0);
  EXPECT_EQ(f.target("c2"), "leo");
  // Reuse when 2000-ish decays to 750: about 15 s * log2(2000/750) = 21 s after the last flap.
  ASSERT_TRUE(d.next_wakeup);
  const auto reuse = *d.next_wakeup;
  EXPECT_GT(reuse, at(40s));
  EXPECT_LT(reuse, at(45s));
  f.decide(reuse);
  EXPECT_FALSE(f.last().state.dampening[f.index("5g")].suppressed);
  // ...and then the ordinary failback hold-down applies from the moment it is usable.
  EXPECT_EQ(f.target("c2"), "leo");
  f.decide(reuse + 30s);
  EXPECT_EQ(f.target("c2"), "5g");
}

TEST(PolicyEngine, DampingPenaltyIsCappedByMaxSuppress) {
  PolicyFixture f(kBase);
  for (int i = 0; i < 50; ++i) {
    f.set("5g", Health::down);
    f.decide(at(std::chrono::milliseconds(100 * i)));
    f.set("5g", Health::up);
    f.decide(at(std::chrono::milliseconds(100 * i + 50)));
  }
  const auto& d = f.decide(at(5s));
  const auto& damp = d.state.dampening[f.index("5g")];
  // ceiling = reuse * 2^(max_suppress / half_life) = 750 * 2^8
  EXPECT_LE(damp.penalty, 750.0 * 256 + 1e-6);
  ASSERT_TRUE(d.next_wakeup);
  EXPECT_LE(*d.next_wakeup, at(5s + 120s + 1ms));
}

const std::string kOverlay = "node: t\nlinks:\n" + link_yaml("5g", "    risk_groups: [tower-7]\n") +
                             link_yaml("5g-b", "    risk_groups: [tower-7]\n") +
                             link_yaml("cloud", "    carried_over: 5g\n") + link_yaml("leo") +
                             R"(classes:
  - name: c2
    precedence: flash
    match: {dscp: [cs6]}
    links: [5g, 5g-b, leo]
    when_none: blackhole
  - name: b
    precedence: routine
    match: {dscp: [cs1]}
    links: [5g-b, leo]
    when_none: main
  - name: vpn
    precedence: routine
    match: {dscp: [cs2]}
    links: [cloud, leo]
    when_none: main
)";

TEST(PolicyEngine, AnOverlayIsUnusableWhenItsUnderlayIsNot) {
  PolicyFixture f(kOverlay);
  f.decide(at(0s));
  EXPECT_EQ(f.target("vpn"), "cloud");
  f.link("5g").health = Health::degraded;  // its probes may still pass; the underlay is unfit
  f.decide(at(1s));
  EXPECT_EQ(f.target("vpn"), "leo");
  EXPECT_EQ(f.reason("vpn"), "cloud rides over 5g, which is degraded; leo is the next fit link");
}

TEST(PolicyEngine, ARiskGroupPeerIsNoBackupButItsOwnClassesStay) {
  PolicyFixture f(kOverlay);
  f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "5g");
  EXPECT_EQ(f.target("b"), "5g-b");
  f.set("5g", Health::down);
  f.decide(at(1s));
  EXPECT_EQ(f.target("c2"), "leo");  // 5g-b shares tower-7 with the failed 5g
  EXPECT_EQ(f.target("b"), "5g-b");  // already there and itself fine: stays
  const auto lines = f.explain("c2");
  EXPECT_NE(lines[2].find("shares a risk group with 5g"), std::string::npos) << lines[2];
}

TEST(PolicyEngine, DrainsHoldUntilTheyExpire) {
  PolicyFixture f(kBase);
  f.input("5g").admin.drained_until = at(100s);
  f.input("5g").admin.drain_reason = "maintenance";
  const auto& d = f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "leo");
  ASSERT_TRUE(d.next_wakeup);
  EXPECT_EQ(*d.next_wakeup, at(100s));
  f.decide(at(100s));
  EXPECT_EQ(f.target("c2"), "leo");  // fit again from now, failback from 130 s
  f.decide(at(130s));
  EXPECT_EQ(f.target("c2"), "5g");
}

const std::string kTrust = "node: t\nlinks:\n" + link_yaml("5g") + link_yaml("leo") + R"(classes:
  - name: c2
    precedence: flash
    match: {dscp: [cs6]}
    links: [5g, leo]
    when_none: blackhole
  - name: bulk
    precedence: routine
    match: {dscp: [cs1]}
    links: [5g, leo]
    when_none: main
)";

TEST(PolicyEngine, QuarantineMovesOnlyClassesThatRequireIntegrity) {
  // The integrity keys arrive with the integrity work; the hook is in the model already.
  PolicyFixture f(kTrust, [](config::Config& c) { c.classes[0].require.integrity = true; });
  f.input("5g").admin.quarantined_until = at(60s);
  f.input("5g").admin.quarantine_reason = "radio: RAT dropped nr -> gsm";
  f.input("5g").admin.quarantine_until_text = "14:05:00Z";
  f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "leo");
  EXPECT_EQ(f.target("bulk"), "5g");
  EXPECT_NE(f.explain("c2")[1].find("5g: rejected, 5g quarantined until 14:05:00Z: radio: RAT dropped"), std::string::npos)
      << f.explain("c2")[1];
}

TEST(PolicyEngine, TrustRequirementNeedsAttestedLinks) {
  PolicyFixture f(kTrust, [](config::Config& c) {
    c.classes[0].require.trust = config::TrustRequirement::attested;
  });
  f.input("leo").trust = links::Trust::attested;
  f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "leo");
  f.set("leo", Health::down);
  f.decide(at(1s));
  EXPECT_EQ(f.target("c2"), "blackhole");
}

TEST(PolicyEngine, PinsWinWhileTheLinkIsFit) {
  PolicyFixture f(kBase);
  f.pin("c2", "leo", at(60s));
  auto d = f.decide(at(0s));
  EXPECT_EQ(f.target("c2"), "leo");
  EXPECT_EQ(f.decision("c2").why, Why::pinned);
  EXPECT_EQ(*d.next_wakeup, at(60s));
  f.set("leo", Health::down);
  f.decide(at(10s));
  EXPECT_EQ(f.target("c2"), "5g");
  EXPECT_EQ(f.decision("c2").pin_reject, Reject::down);
  f.set("leo", Health::up);
  f.decide(at(20s));
  EXPECT_EQ(f.target("c2"), "leo");
  f.decide(at(60s));  // pin expired: back to preference order (5g fit for long)
  EXPECT_EQ(f.target("c2"), "5g");
}

TEST(PolicyEngine, ClassThresholdsComeFromTheirWatch) {
  const std::string yaml = "node: t\nlinks:\n" + link_yaml("5g", "    sla: {rtt: 150ms}\n") +
                           link_yaml("leo") + R"(classes:
  - name: voice
    precedence: priority
    match: {dscp: [ef]}
    links: [5g, leo]
    require: {rtt: 50ms}
    when_none: main
  - name: bulk
    precedence: routine
    match: {dscp: [cs1]}
    links: [5g, leo]
    when_none: main
)";
  PolicyFixture f(yaml);
  // 5g watches its SLA {150ms} and voice's merged {50ms}.
  ASSERT_EQ(f.model().watches[f.index("5g")].size(), 2u);
  EXPECT_EQ(f.model().watches[f.index("5g")][1].rtt, Duration(50ms));
  f.link("5g").meets.set(1, false);  // 5g's RTT is over 50 ms but within its SLA
  f.link("5g").metrics.has_rtt = true;
  f.link("5g").metrics.srtt = 80ms;
  f.decide(at(0s));
  EXPECT_EQ(f.target("voice"), "leo");
  EXPECT_EQ(f.target("bulk"), "5g");
  EXPECT_NE(f.explain("voice")[1].find("rtt 80ms > 50ms"), std::string::npos)
      << f.explain("voice")[1];
}

TEST(PolicyEngine, SameInputsSameDecision) {
  PolicyFixture a(kBase), b(kBase);
  for (auto* f : {&a, &b}) {
    f->decide(at(0s));
    f->set("5g", Health::down);
    f->decide(at(1s));
  }
  EXPECT_EQ(a.target("c2"), b.target("c2"));
  EXPECT_EQ(a.reason("c2"), b.reason("c2"));
}

}  // namespace
}  // namespace lifeline::policy
