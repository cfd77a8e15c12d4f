// A what-if scenario for lifeline-sim: how each configured link's path behaves over virtual
// time (RTT, jitter, loss), and the changes to that behaviour at given instants. Loaded with
// the same strict YAML reader as the daemon config, checked against that config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/loader.hpp"

namespace lifeline::sim {

// Round-trip behaviour of a path. Loss is round-trip loss, split evenly over the two
// directions; jitter is what an RFC 3550 estimator would read on the path.
struct PathParams {
  Duration rtt{};
  Duration jitter{};
  double loss = 0;
};

struct ParamChange {
  std::optional<Duration> rtt;
  std::optional<Duration> jitter;
  std::optional<double> loss;
  PathParams apply(PathParams p) const;
};

struct ScenarioEvent {
  Duration at{};
  std::size_t link = 0;  // config link index
  ParamChange set;
};

struct Scenario {
  std::string source;
  Duration duration{};
  std::uint64_t seed = 1;
  std::vector<PathParams> baseline;   // by config link index
  std::vector<ScenarioEvent> events;  // expanded (repeats unrolled) and sorted by time
};

struct ScenarioLoad {
  std::optional<Scenario> scenario;
  std::vector<config::Diagnostic> errors;
};

// An event may repeat: `every: 10s` (and optionally `until: 600s`, default the end).
inline constexpr std::size_t kMaxExpandedEvents = 1'000'000;

ScenarioLoad load_scenario_file(const std::string& path, const config::Config& config);
ScenarioLoad load_scenario_text(std::string_view yaml, const std::string& name,
                                const config::Config& config);

}  // namespace lifeline::sim
