// The classes and links of a Config compiled for fast, allocation-light decisions: names
// resolved to indices, classes sorted by precedence, and for each link the list of
// threshold sets its LinkMonitor must watch (its SLA first, then every distinct class
// requirement on it, each a class's `require` laid over the link's `sla` field by field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "links/link_state.hpp"

namespace lifeline::policy {

constexpr std::uint16_t kNoLink = 0xffff;

struct ModelLink {
  std::string name;
  std::optional<BitRate> capacity;
  std::uint16_t underlay = kNoLink;       // carried_over
  std::vector<std::uint16_t> risk_peers;  // links sharing at least one risk group
  std::vector<std::string> risk_groups;
};

struct ModelClass {
  std::string name;
  std::uint16_t index = 0;  // position in Config::classes
  config::Precedence precedence = config::Precedence::routine;
  std::vector<std::uint16_t> links;           // preference order
  std::vector<std::uint32_t> watch;           // per listed link: index into that link's watches
  std::vector<links::Thresholds> thresholds;  // per listed link: the merged limits
  std::uint32_t fit_offset = 0;               // first slot in PolicyState::fit_since
  std::optional<BitRate> rate;
  config::WhenNone when_none = config::WhenNone::blackhole;
  Duration failback{};
  bool preempt = true;
  config::TrustRequirement trust = config::TrustRequirement::any;
  bool integrity = false;
};

struct PolicyModel {
  std::vector<ModelLink> links;
  std::vector<ModelClass> classes;                      // by Config::classes index
  std::vector<std::uint16_t> order;                     // class indices, highest precedence first
  std::vector<std::vector<links::Thresholds>> watches;  // per link; [0] is its SLA
  std::uint32_t fit_slots = 0;
  config::DampeningConfig dampening;

  static PolicyModel compile(const config::Config& config);
  int link_index(std::string_view name) const;
  int class_index(std::string_view name) const;
};

// Field by field: what a class requires where it says so, the link's SLA elsewhere.
links::Thresholds merge(const links::Thresholds& sla, const config::Requirements& require);

}  // namespace lifeline::policy
