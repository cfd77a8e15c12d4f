#include "sim/scenario.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace lifeline::sim {
namespace {

config::Config two_links() {
  const auto loaded = config::load_config_text(R"(node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}] }
  - { name: leo, interface: sat0, kind: satellite, probes: [{type: icmp, target: 198.19.0.1}] }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g, leo], when_none: blackhole }
)",
                                               "t.yaml");
  EXPECT_TRUE(loaded.ok());
  return *loaded.config;
}

ScenarioLoad load(const std::string& yaml) {
  return load_scenario_text(yaml, "s.yaml", two_links());
}

const char* kBaseline = "links:\n  5g: {rtt: 25ms, jitter: 3ms, loss: 0%}\n  leo: {rtt: 45ms}\n";

TEST(Scenario, LoadsBaselineAndEvents) {
  const auto s = load(std::string("duration: 60s\nseed: 5\n") + kBaseline +
                      "events:\n  - {at: 30s, link: 5g, set: {loss: 100%}}\n"
                      "  - {at: 10s, link: leo, set: {rtt: 600ms}}\n");
  ASSERT_TRUE(s.scenario);
  EXPECT_EQ(s.scenario->duration, Duration(60s));
  EXPECT_EQ(s.scenario->seed, 5u);
  EXPECT_EQ(s.scenario->baseline[0].rtt, Duration(25ms));
  EXPECT_EQ(s.scenario->baseline[1].jitter, Duration(0ms));
  ASSERT_EQ(s.scenario->events.size(), 2u);
  EXPECT_EQ(s.scenario->events[0].at, Duration(10s));  // sorted by time
  EXPECT_EQ(s.scenario->events[1].set->loss, 1.0);
}

TEST(Scenario, RepeatsAreUnrolled) {
  const auto s =
      load(std::string("duration: 100s\n") + kBaseline +
           "events:\n  - {at: 10s, link: 5g, set: {loss: 100%}, every: 10s, until: 50s}\n");
  ASSERT_TRUE(s.scenario);
  EXPECT_EQ(s.scenario->events.size(), 5u);
  EXPECT_EQ(s.scenario->events.back().at, Duration(50s));
}

void expect_error(const std::string& yaml, int line, const std::string& text) {
  const auto s = load(yaml);
  ASSERT_FALSE(s.scenario);
  ASSERT_FALSE(s.errors.empty());
  EXPECT_EQ(s.errors[0].line, line) << s.errors[0].to_string();
  EXPECT_NE(s.errors[0].message.find(text), std::string::npos) << s.errors[0].to_string();
}

TEST(Scenario, ErrorsNameTheLineAndWhatIsAllowed) {
  expect_error(std::string("duration: 60s\n") + kBaseline +
                   "events:\n  - {at: 5s, link: 5h, set: {loss: 1%}}\n",
               6, "did you mean '5g'?");
  expect_error("duration: 60s\nlinks:\n  5g: {rtt: 25ms}\n", 3, "no baseline for link 'leo'");
  expect_error(std::string("duration: 60s\n") + kBaseline +
                   "events:\n  - {at: 90s, link: 5g, set: {loss: 1%}}\n",
               6, "after the end");
  expect_error(
      std::string("duration: 60s\n") + kBaseline + "events:\n  - {at: 5s, link: 5g, set: {}}\n", 6,
      "at least one of rtt, jitter or loss");
  expect_error(std::string("duration: 60s\n") + kBaseline +
                   "events:\n  - {at: 5s, link: 5g, set: {loss: 1%}, until: 9s}\n",
               6, "only makes sense with 'every'");
  expect_error(std::string("duration: 60\n") + kBaseline, 1, "no unit");
  expect_error(std::string("duraton: 60s\n") + kBaseline, 1, "did you mean 'duration'?");
  expect_error(std::string("duration: 20m\n") + kBaseline +
                   "events:\n  - {at: 5s, link: 5g, set: {loss: 1%}, every: 1ms}\n",
               6, "more than 1000000 events");
  expect_error("duration: 60s\nlinks:\n  5g: {jitter: 3ms}\n  leo: {rtt: 45ms}\n", 3,
               "rtt: is required");
  expect_error(std::string("duration: 60s\n") + kBaseline + "events:\n  - {at: 5s, link: 5g}\n", 6,
               "needs 'set' (rtt, jitter, loss), 'radio' (telemetry fields) or 'incident' (a report)");
  expect_error(std::string("duration: 60s\n") + kBaseline +
                   "events:\n  - {at: 5s, link: 5g, radio: {rat: gsm}}\n",
               6, "link '5g' has no radio in the config");
}

}  // namespace
}  // namespace lifeline::sim
