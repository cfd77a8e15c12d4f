// Scenario tests: link traces replayed through the real links/ + policies/ code in virtual
// time, asserting the targets the decision core is built for.
#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/loader.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"

namespace lifeline::sim {
namespace {

const std::string kSource = LIFELINE_SOURCE_DIR;

config::Config load_config(const std::string& path) {
  auto loaded = config::load_config_file(kSource + "/" + path);
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  return loaded.ok() ? *loaded.config : config::Config{};
}

Scenario load_scenario(const std::string& path, const config::Config& config) {
  auto loaded = load_scenario_file(kSource + "/" + path, config);
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  return loaded.scenario ? *loaded.scenario : Scenario{};
}

SimResult run(const std::string& config_path, const std::string& scenario_path,
              std::optional<std::uint64_t> seed = std::nullopt) {
  const auto config = load_config(config_path);
  auto scenario = load_scenario(scenario_path, config);
  if (seed) scenario.seed = *seed;
  return simulate(config, scenario);
}

std::vector<TimelineEntry> class_changes(const SimResult& r, const std::string& name = "") {
  std::vector<TimelineEntry> out;
  for (const auto& e : r.timeline) {
    if (e.kind == TimelineEntry::Kind::klass && (name.empty() || e.name == name)) out.push_back(e);
  }
  return out;
}

const ClassSummary& summary(const SimResult& r, const std::string& name) {
  for (const auto& c : r.classes) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no class " + name);
}

Duration time_on(const SimResult& r, const std::string& cls, const std::string& target) {
  for (const auto& [t, d] : summary(r, cls).time_on) {
    if (t == target) return d;
  }
  return Duration::zero();
}

// Target: with the built-in defaults, a black hole on 5G moves every class off it within
// 50 ms of virtual time, and traffic returns only after `failback`.
TEST(Simulator, DefaultsMoveEveryClassOffABlackHoleWithin50ms) {
  Duration worst{};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto r =
        run("tests/fixtures/sim/defaults.yaml", "tests/fixtures/sim/blackhole.yaml", seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    for (const char* cls : {"c2", "isr", "logistics"}) {
      const auto changes = class_changes(r, cls);
      ASSERT_EQ(changes.size(), 2u) << cls;
      EXPECT_EQ(changes[0].from, "5g");
      EXPECT_EQ(changes[0].to, "leo");
      const Duration detection = changes[0].t - 30s;
      EXPECT_GT(detection, Duration::zero());
      EXPECT_LE(detection, 50ms) << cls;
      worst = std::max(worst, detection);
      // Back only after the link is up again and has been fit for the class's failback.
      TimePoint up{};
      for (const auto& e : r.timeline) {
        if (e.kind == TimelineEntry::Kind::link && e.name == "5g" && e.to == "up")
          up = TimePoint{} + e.t;
      }
      const Duration failback = std::string(cls) == "logistics" ? Duration(60s) : Duration(30s);
      EXPECT_EQ(changes[1].to, "5g");
      EXPECT_GE(TimePoint{} + changes[1].t, up + failback);
      EXPECT_LE(TimePoint{} + changes[1].t, up + failback + 1ms);
    }
  }
  std::cout << "[ figure ] worst black-hole detection over 20 seeds: " << format_duration(worst)
            << "\n";
}

// Target: 24 h of a healthy 5G with 2 % random loss and 5 ms jitter causes no failover.
TEST(Simulator, ANoisyButHealthyDayCausesNoFailover) {
  const auto r = run("tests/fixtures/sim/defaults.yaml", "tests/fixtures/sim/noisy-day.yaml");
  EXPECT_TRUE(class_changes(r).empty()) << class_changes(r).front().reason;
  EXPECT_EQ(r.links[0].downs, 0u);
  EXPECT_EQ(r.links[0].time_degraded, Duration::zero());
  EXPECT_EQ(summary(r, "c2").switches, 0u);
  // The simulated path really was lossy: ~2 % of 17.28 million probes.
  EXPECT_EQ(r.links[0].probes_sent, 17'280'000u);
  EXPECT_NEAR(static_cast<double>(r.links[0].probes_lost) / 17'280'000.0, 0.02, 0.001);
}

// Target: 2 s down / 8 s up for 10 minutes causes a handful of class switches, not 60.
TEST(Simulator, FlappingCausesOnlyAHandfulOfSwitches) {
  const auto r = run("tests/fixtures/sim/defaults.yaml", "tests/fixtures/sim/flapping.yaml");
  EXPECT_EQ(r.links[0].downs, 60u);
  for (const char* cls : {"c2", "isr", "logistics"}) {
    EXPECT_LE(summary(r, cls).switches, 4u) << cls;
    EXPECT_GE(summary(r, cls).switches, 2u) << cls;  // it did leave, and it did come back
  }
  std::cout << "[ figure ] 60 flaps -> c2 switched " << summary(r, "c2").switches << " times\n";
}

TEST(Simulator, SameSeedSameTimeline) {
  const auto a = run("config/examples/base-gateway.yaml", "lab/scenarios/5g-outage.yaml");
  const auto b = run("config/examples/base-gateway.yaml", "lab/scenarios/5g-outage.yaml");
  ASSERT_EQ(a.timeline.size(), b.timeline.size());
  for (std::size_t i = 0; i < a.timeline.size(); ++i) {
    EXPECT_EQ(a.timeline[i].t, b.timeline[i].t);
    EXPECT_EQ(a.timeline[i].reason, b.timeline[i].reason);
  }
  EXPECT_EQ(a.links[0].probes_lost, b.links[0].probes_lost);
  const auto c = run("config/examples/base-gateway.yaml", "lab/scenarios/5g-outage.yaml", 99);
  EXPECT_NE(a.timeline.front().t, c.timeline.front().t);
}

TEST(Simulator, TimeOnAddsUpToTheDuration) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/everything-down.yaml");
  for (const auto& c : r.classes) {
    Duration total{};
    for (const auto& [t, d] : c.time_on) total += d;
    EXPECT_EQ(total, r.duration) << c.name;
  }
  for (const auto& l : r.links) EXPECT_EQ(l.time_up + l.time_degraded + l.time_down, r.duration);
}

// ---- the shipped scenarios, with the shipped example config ----------------------------

// Trust decisions replay too: with 5G violating, a class that requires attested links spends
// the 5G outage scenario on LEO from the start, while one without the requirement uses 5G.
TEST(Simulator, TrustKeepsAClassThatRequiresAttestationOffAViolatingLink) {
  auto config = load_config("config/examples/base-gateway.yaml");
  ASSERT_EQ(config.links[0].name, "5g");
  ASSERT_EQ(config.links[1].name, "leo");
  ASSERT_EQ(config.classes[0].name, "c2");
  config.classes[0].require.trust = config::TrustRequirement::attested;
  const auto scenario = load_scenario("lab/scenarios/5g-outage.yaml", config);
  std::vector<links::Trust> trust(config.links.size(), links::Trust::attested);
  trust[0] = links::Trust::violating;
  const auto r = simulate(config, scenario, trust);
  EXPECT_EQ(time_on(r, "c2", "5g"), Duration::zero());
  EXPECT_EQ(time_on(r, "c2", "leo"), r.duration);
  EXPECT_GT(time_on(r, "isr", "5g"), Duration::zero());
  // Without the trust levels every link is unattested: c2 has nowhere to go (fail closed).
  const auto unattested = simulate(config, scenario);
  EXPECT_EQ(time_on(unattested, "c2", "blackhole"), unattested.duration);
}

TEST(ShippedScenarios, FiveGOutage) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/5g-outage.yaml");
  for (const char* cls : {"c2", "isr", "voice", "logistics"}) {
    const auto changes = class_changes(r, cls);
    ASSERT_GE(changes.size(), 2u) << cls;
    EXPECT_LE(changes.front().t, 30s + 50ms) << cls;
    EXPECT_EQ(changes.back().to, std::string(cls) == "logistics" ? "cloud" : "5g") << cls;
  }
  EXPECT_EQ(time_on(r, "c2", "leo") > 60s, true);
}

TEST(ShippedScenarios, FiveGFlapping) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/5g-flapping.yaml");
  for (const auto& c : r.classes) EXPECT_LE(c.switches, 4u) << c.name;
}

TEST(ShippedScenarios, GeoOnlyAdmitsWhatFits) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/geo-only.yaml");
  EXPECT_EQ(summary(r, "c2").initial, "geo");
  EXPECT_EQ(summary(r, "isr").initial, "blackhole");
  EXPECT_EQ(summary(r, "voice").initial, "main");
  EXPECT_EQ(summary(r, "logistics").initial, "main");
  EXPECT_TRUE(class_changes(r).empty());
}

TEST(ShippedScenarios, EverythingDownFailsClosed) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/everything-down.yaml");
  EXPECT_GT(time_on(r, "c2", "blackhole"), 115s);
  EXPECT_GT(time_on(r, "isr", "blackhole"), 115s);
  EXPECT_GT(time_on(r, "voice", "main"), 115s);
  EXPECT_EQ(time_on(r, "c2", "main"), Duration::zero());
  EXPECT_EQ(class_changes(r, "c2").back().to, "5g");
}

TEST(ShippedScenarios, CloudOverFiveG) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/cloud-over-5g.yaml");
  const auto logistics = class_changes(r, "logistics");
  ASSERT_FALSE(logistics.empty());
  EXPECT_EQ(logistics.front().from, "cloud");
  EXPECT_LE(logistics.front().t, 30s + 50ms);
  // While the VPN alone is down, 5G keeps its classes.
  for (const auto& e : class_changes(r, "c2")) EXPECT_GE(e.t, 240s);
  // When 5G dies, nothing stays on the VPN that rides over it.
  for (const auto& e : class_changes(r)) {
    if (e.t > 240s && e.t < 300s) {
      EXPECT_NE(e.to, "cloud");
    }
  }
}

TEST(ShippedScenarios, SmallSatelliteTakesOnlyWhatFits) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/small-satellite.yaml");
  EXPECT_GT(time_on(r, "c2", "geo"), 100s);
  EXPECT_EQ(time_on(r, "logistics", "geo"), Duration::zero());  // 10 Mbit/s > 8 - 2
  EXPECT_GT(time_on(r, "isr", "blackhole"), 100s);              // geo is not in its list
  EXPECT_GT(time_on(r, "logistics", "main"), 100s);
}

TEST(SimReport, JsonFollowsTheDocumentedShape) {
  const auto r = run("config/examples/base-gateway.yaml", "lab/scenarios/5g-outage.yaml");
  const auto doc = nlohmann::json::parse(render_json(r, 0.5));
  ASSERT_TRUE(doc["timeline"].is_array());
  const auto& first = doc["timeline"][0];
  for (const char* key : {"t", "kind", "from", "to", "reason"})
    EXPECT_TRUE(first.contains(key)) << key;
  bool saw_class = false;
  for (const auto& e : doc["timeline"]) {
    if (e["kind"] == "class") {
      saw_class = true;
      EXPECT_TRUE(e.contains("class"));
    } else {
      EXPECT_EQ(e["kind"], "link");
      EXPECT_TRUE(e.contains("link"));
    }
    EXPECT_TRUE(e["t"].is_number());
  }
  EXPECT_TRUE(saw_class);
  const auto& c2 = doc["summary"]["classes"]["c2"];
  EXPECT_EQ(c2["switches"], 2);
  double total = 0;
  for (const auto& [target, seconds] : c2["time_on"].items()) total += seconds.get<double>();
  EXPECT_NEAR(total, 300.0, 1e-3);
  const std::string text = render_text(r, "base-gateway.yaml", "5g-outage.yaml", 0.5);
  EXPECT_NE(text.find("5g -> leo"), std::string::npos);
}

}  // namespace
}  // namespace lifeline::sim
