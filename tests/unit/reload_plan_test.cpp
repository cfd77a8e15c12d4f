// What a reload carries over, by name, without Asio (controller/reload_plan).
#include "controller/reload_plan.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace lifeline::daemon {
namespace {

// Two links, three classes; `extra` is appended to the YAML.
std::string yaml(const std::string& links, const std::string& classes, const std::string& extra = "") {
  return "node: gw\nlinks:\n" + links + "classes:\n" + classes + extra;
}
const std::string k5g =
    "  - {name: 5g, interface: wwan0, kind: cellular, gateway: 198.18.1.2,\n"
    "     probes: [{type: icmp, target: 198.18.10.1}]}\n";
const std::string kLeo =
    "  - {name: leo, interface: sat0, kind: satellite, gateway: 198.18.2.2,\n"
    "     probes: [{type: icmp, target: 198.18.10.1}]}\n";
const std::string kClasses =
    "  - {name: c2, precedence: routine, match: {dscp: [ef]}, links: [5g, leo], when_none: blackhole}\n"
    "  - {name: isr, precedence: routine, match: {dscp: [af41]}, links: [5g, leo], when_none: blackhole}\n"
    "  - {name: bulk, precedence: routine, match: {dscp: [cs1]}, links: [leo], when_none: blackhole}\n";

config::Config load(const std::string& text) {
  auto r = config::load_config_text(text, "test.yaml");
  if (!r.ok()) {
    for (const auto& e : r.errors) ADD_FAILURE() << e.to_string();
    return {};
  }
  return *r.config;
}

TEST(ReloadPlan, AnUnchangedConfigKeepsEverything) {
  const auto c = load(yaml(k5g + kLeo, kClasses));
  const auto plan = plan_reload(c, c);
  ASSERT_EQ(plan.links.size(), 2u);
  for (std::size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(plan.links[l].from, l);
    EXPECT_TRUE(plan.links[l].kept);
    EXPECT_FALSE(plan.links[l].new_radio);
    EXPECT_EQ(plan.link_to[l], l);
  }
  EXPECT_EQ(plan.class_from, (std::vector<std::optional<std::size_t>>{0, 1, 2}));
  EXPECT_TRUE(plan.moved_slots.empty());
  EXPECT_FALSE(plan.incidents_changed);
  EXPECT_TRUE(plan.need_restart.empty());
}

TEST(ReloadPlan, LinksFollowTheirNameAndOnlyChangedProbingRebuildsOne) {
  const auto running = load(yaml(k5g + kLeo, kClasses));
  // Reordered, and 5G probes another target: rebuilt, but still "the 5g link" (its drain,
  // quarantine, findings and trust carry over); LEO is kept as it runs.
  std::string moved = k5g;
  moved.replace(moved.find("198.18.10.1"), 11, "198.18.10.2");
  const auto next = load(yaml(kLeo + moved, kClasses));
  const auto plan = plan_reload(running, next);
  EXPECT_EQ(plan.links[0].from, 1u);
  EXPECT_TRUE(plan.links[0].kept);
  EXPECT_EQ(plan.links[1].from, 0u);
  EXPECT_FALSE(plan.links[1].kept);
  EXPECT_EQ(plan.link_to[0], 1u);
  EXPECT_EQ(plan.link_to[1], 0u);
}

TEST(ReloadPlan, ANewLinkIsNewAndARemovedOneGoesNowhere) {
  const auto running = load(yaml(k5g + kLeo, kClasses));
  std::string geo = kLeo;
  geo.replace(geo.find("leo"), 3, "geo");
  const auto next = load(yaml(k5g + geo, "  - {name: c2, precedence: routine, match: {dscp: [ef]}, links: [5g, geo], when_none: blackhole}\n"));
  const auto plan = plan_reload(running, next);
  EXPECT_TRUE(plan.links[0].kept);
  EXPECT_FALSE(plan.links[1].from);
  EXPECT_FALSE(plan.links[1].kept);
  EXPECT_TRUE(plan.links[1].new_radio) << "a new link's radio is new";
  EXPECT_FALSE(plan.link_to[1]) << "leo is gone";
}

TEST(ReloadPlan, AClassThatChangesSlotOrGoesHasItsOldMarkFlushed) {
  const auto running = load(yaml(k5g + kLeo, kClasses));
  // isr removed: bulk moves from slot 2 to slot 1; slots 1 (isr's) and 2 (bulk's) are flushed.
  const auto next = load(yaml(k5g + kLeo,
                              "  - {name: c2, precedence: routine, match: {dscp: [ef]}, links: [5g, leo], when_none: blackhole}\n"
                              "  - {name: bulk, precedence: routine, match: {dscp: [cs1]}, links: [leo], when_none: blackhole}\n"));
  const auto plan = plan_reload(running, next);
  EXPECT_EQ(plan.class_from, (std::vector<std::optional<std::size_t>>{0, 2}));
  EXPECT_EQ(plan.moved_slots, (std::vector<std::size_t>{1, 2}));
}

TEST(ReloadPlan, SettingsThatNeedARestartAreNamed) {
  const auto running = load(yaml(k5g + kLeo, kClasses));
  const auto next = load(yaml(k5g + kLeo, kClasses, "metrics: {listen: \"127.0.0.1:9470\"}\n"));
  const auto plan = plan_reload(running, next);
  EXPECT_EQ(plan.need_restart, (std::vector<std::string>{"metrics"}));
  EXPECT_TRUE(plan.links[0].kept);
}

}  // namespace
}  // namespace lifeline::daemon
