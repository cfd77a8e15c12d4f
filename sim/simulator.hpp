// lifeline-sim's engine: replays a Scenario through the real links/ (LinkMonitor) and
// policies/ (PolicyEngine) code in virtual time. Each probe target is simulated packet by
// packet (sends every interval, seeded loss and RTT per direction, replies out of order
// when jitter says so), and the policy runs exactly when the daemon would run it: when a
// link's state changes, or when the engine asked to be woken up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "links/incident.hpp"
#include "links/link_state.hpp"
#include "sim/scenario.hpp"

namespace lifeline::sim {

struct TimelineEntry {
  enum class Kind : std::uint8_t { link, klass, finding };
  Duration t{};  // virtual time since the start of the scenario
  Kind kind = Kind::link;
  std::string name;  // link or class (a finding: its link)
  std::string from;  // a finding: its rule
  std::string to;    // a finding: its verdict (violation | suspicion)
  std::string reason;  // a finding: its evidence
};

struct ClassSummary {
  std::string name;
  std::string initial;  // target at t = 0
  std::uint32_t switches = 0;
  std::vector<std::pair<std::string, Duration>> time_on;  // in order of first use
};

struct LinkSummary {
  std::string name;
  std::string initial;
  std::uint32_t downs = 0;
  Duration time_up{};
  Duration time_degraded{};
  Duration time_down{};
  std::uint64_t probes_sent = 0;
  std::uint64_t probes_lost = 0;  // resolved as lost, outages included
  std::uint32_t findings = 0;     // integrity findings (new ones, not renewals)
  std::uint32_t quarantines = 0;  // quarantines that started
  std::uint64_t readings = 0;     // radio telemetry readings published
};

struct SimResult {
  Duration duration{};
  std::uint64_t seed = 0;
  std::vector<TimelineEntry> timeline;
  std::vector<ClassSummary> classes;  // config order
  std::vector<LinkSummary> links;     // config order
  std::uint64_t probes = 0;           // simulated probe packets, warm-up included
  std::uint64_t decisions = 0;        // PolicyEngine::decide calls
};

// Before t = 0 the links run on their baseline for kWarmUp plus the longest class failback,
// so that the scenario starts from a settled gateway (links up, every class on its
// preferred fit link) rather than from a cold start.
inline constexpr Duration kWarmUp = std::chrono::seconds(30);
Duration warm_up(const config::Config& config);

// `trust`: each link's trust (config order; lifeline-sim judges the attestations the config
// names, docs/trust.md); empty: every link is unattested, as a link without an attestation.
// `attested`: each link's operator and equipment vendors from its accepted attestation (what
// an incident report may name); empty: none.
SimResult simulate(const config::Config& config, const Scenario& scenario,
                   const std::vector<links::Trust>& trust = {}, const std::vector<links::LinkFacts>& attested = {});

}  // namespace lifeline::sim
