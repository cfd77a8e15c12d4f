// Radio integrity in the simulator (docs/integrity.md, the targets): every rule is
// detected in its own scenario (lab/scenarios/radio/), C2 leaves 5G at the same virtual
// instant as a violation — the same decision turn — while logistics stays, and a day of
// benign telemetry (handovers between surveyed cells, ordinary fading, a reject now and then)
// quarantines nothing.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "sim/simulator.hpp"

namespace lifeline::sim {
namespace {

const std::string kSource = LIFELINE_SOURCE_DIR;

config::Config example() {
  auto loaded = config::load_config_file(kSource + "/config/examples/base-gateway.yaml");
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  return loaded.ok() ? *loaded.config : config::Config{};
}

SimResult run(const config::Config& config, const std::string& scenario) {
  auto loaded = load_scenario_file(kSource + "/lab/scenarios/radio/" + scenario, config);
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  return loaded.scenario ? simulate(config, *loaded.scenario) : SimResult{};
}

struct RuleCase {
  const char* scenario;
  const char* rule;
  bool violation_by_default;
};

constexpr RuleCase kRules[] = {
    {"rat-below-min.yaml", "rat_below_min", true},
    {"null-cipher.yaml", "null_cipher", true},
    {"plmn-not-allowed.yaml", "plmn_not_allowed", true},
    {"cell-not-surveyed.yaml", "cell_not_surveyed", true},
    {"tac-changed.yaml", "tac_changed", true},
    {"rsrp-jump.yaml", "rsrp_jump", false},
    {"neighbours-vanished.yaml", "neighbours_vanished", false},
    {"reject-burst.yaml", "reject_burst", false},
    {"feed-stale.yaml", "feed_stale", false},
};

const TimelineEntry* first_finding(const SimResult& r, const std::string& rule) {
  for (const auto& e : r.timeline) {
    if (e.kind == TimelineEntry::Kind::finding && e.from == rule) return &e;
  }
  return nullptr;
}

const TimelineEntry* first_switch(const SimResult& r, const std::string& cls) {
  for (const auto& e : r.timeline) {
    if (e.kind == TimelineEntry::Kind::klass && e.name == cls) return &e;
  }
  return nullptr;
}

TEST(SimulatorRadio, EveryRuleIsDetectedInItsOwnScenarioWithItsDefaultVerdict) {
  const auto config = example();
  int detected = 0;
  for (const auto& c : kRules) {
    SCOPED_TRACE(c.scenario);
    const auto r = run(config, c.scenario);
    const auto* f = first_finding(r, c.rule);
    ASSERT_NE(f, nullptr) << c.rule << " not detected";
    ++detected;
    EXPECT_EQ(f->name, "5g");
    EXPECT_EQ(f->to, c.violation_by_default ? "violation" : "suspicion");
    const auto* moved = first_switch(r, "c2");
    if (c.violation_by_default) {
      ASSERT_NE(moved, nullptr) << "c2 (requires integrity) did not leave 5G";
      EXPECT_EQ(moved->t, f->t) << "c2 must move in the decision turn of the finding";
      EXPECT_EQ(moved->to, "leo");
      EXPECT_NE(moved->reason.find("5g quarantined: radio: "), std::string::npos) << moved->reason;
      EXPECT_EQ(r.links[0].quarantines, 1u);
    } else {
      EXPECT_EQ(moved, nullptr) << "a suspicion moves nothing";
      EXPECT_EQ(r.links[0].quarantines, 0u);
    }
    EXPECT_EQ(first_switch(r, "logistics"), nullptr) << "logistics does not require integrity";
  }
  EXPECT_EQ(detected, 9);
}

TEST(SimulatorRadio, WithEveryRuleAViolationC2LeavesInTheSameTurnForEachRule) {
  auto config = example();
  auto& rules = config.links[0].radio->rules;
  for (auto* v : {&rules.rat_below_min, &rules.null_cipher, &rules.plmn_not_allowed, &rules.cell_not_surveyed,
                  &rules.tac_changed, &rules.rsrp_jump, &rules.neighbours_vanished, &rules.reject_burst,
                  &rules.feed_stale}) {
    *v = config::Verdict::violation;
  }
  for (const auto& c : kRules) {
    SCOPED_TRACE(c.scenario);
    const auto r = run(config, c.scenario);
    const auto* f = first_finding(r, c.rule);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->to, "violation");
    const auto* moved = first_switch(r, "c2");
    ASSERT_NE(moved, nullptr);
    EXPECT_EQ(moved->t, f->t);
  }
}

TEST(SimulatorRadio, TheRogueBaseStationActMovesC2AndLogisticsStays) {
  const auto r = run(example(), "rogue-base-station.yaml");
  const auto* moved = first_switch(r, "c2");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->t, std::chrono::seconds(60));
  EXPECT_NE(moved->reason.find("RAT dropped nr -> gsm (below min_rat lte); cell 999 (TAC 6699) not surveyed"),
            std::string::npos)
      << moved->reason;
  EXPECT_EQ(first_switch(r, "logistics"), nullptr);
  EXPECT_EQ(r.links[0].quarantines, 1u);
}

// A day at 1 Hz telemetry. The probes are slowed to 100 ms here (the radio is what is under
// test, and a day of 5 ms probes on four links takes 11 s); lab/scenarios/radio/benign-24h.yaml
// with the example as it is gives the same: no finding.
TEST(SimulatorRadio, ADayOfBenignTelemetryQuarantinesNothing) {
  auto config = example();
  for (auto& l : config.links) l.detect.interval = std::chrono::milliseconds(100);
  const auto r = run(config, "benign-24h.yaml");
  EXPECT_EQ(r.links[0].findings, 0u);
  EXPECT_EQ(r.links[0].quarantines, 0u);
  EXPECT_GE(r.links[0].readings, 86400u);
  for (const auto& e : r.timeline) {
    EXPECT_NE(e.kind, TimelineEntry::Kind::finding) << e.from << ": " << e.reason;
  }
}

TEST(SimulatorRadio, AnIncidentReportQuarantinesTheLinkItNamesUntilItExpires) {
  const auto r = run(example(), "incident.yaml");
  const auto* f = first_finding(r, "incident");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->t, std::chrono::seconds(40));
  EXPECT_EQ(f->to, "violation");
  EXPECT_EQ(f->reason, "report 3f1c from base-bravo-gw1: rogue-base-station (high) names PLMN 24001, until 160.000s");
  const auto* moved = first_switch(r, "c2");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->t, f->t);
  EXPECT_EQ(moved->to, "leo");
  // The low-severity report names another network: nothing; c2 is back after expiry + failback.
  int c2_switches = 0;
  Duration back{};
  for (const auto& e : r.timeline) {
    if (e.kind == TimelineEntry::Kind::finding && e.from == "incident") {
      EXPECT_EQ(e.t, std::chrono::seconds(40));
    }
    if (e.kind == TimelineEntry::Kind::klass && e.name == "c2") {
      ++c2_switches;
      back = e.t;
    }
  }
  EXPECT_EQ(c2_switches, 2);
  EXPECT_EQ(back, std::chrono::seconds(190)) << "expiry at 160 s, then c2's 30 s failback";
  EXPECT_EQ(r.links[0].quarantines, 1u);
}

}  // namespace
}  // namespace lifeline::sim
