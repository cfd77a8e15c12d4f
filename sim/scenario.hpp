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
#include "links/incident.hpp"
#include "links/radio.hpp"

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

// What a link's modem reports (a telemetry reading, published once a second), plus how the
// simulation varies it: RSRP with normal noise of `rsrp_sigma` dB, and `silent` stops the
// feed (the feed_stale rule).
struct RadioState {
  links::RadioReading reading;
  double rsrp_sigma = 0;
  bool silent = false;
};

// Fields a radio event changes; `reject_cause: null` clears the cause.
struct RadioChange {
  links::RadioReading set;  // the fields given (modem unused)
  bool clear_reject = false;
  std::optional<double> rsrp_sigma;
  std::optional<bool> silent;
  void apply(RadioState& state) const;
};

// An incident report arriving from the channel, as if signed by an allowed reporter
// (docs/incidents.md); it expires `expires_in` after it arrives (scenarios run in virtual time).
struct ScenarioIncident {
  links::IncidentReport report;  // time and expires unused
  Duration expires_in = std::chrono::hours(6);
};

struct ScenarioEvent {
  Duration at{};
  std::size_t link = 0;  // config link index (not for an incident)
  std::optional<ParamChange> set;
  std::optional<RadioChange> radio;
  std::optional<ScenarioIncident> incident;
};

struct Scenario {
  std::string source;
  Duration duration{};
  std::uint64_t seed = 1;
  std::vector<PathParams> baseline;   // by config link index
  // By config link index: a link whose radio is simulated (it has `radio:` in the config and
  // in the scenario); the others publish no telemetry and are not watched.
  std::vector<std::optional<RadioState>> radio;
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
