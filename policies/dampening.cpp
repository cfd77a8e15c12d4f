#include "policies/dampening.hpp"

#include <algorithm>
#include <cmath>

namespace lifeline::policy {

Dampening::Dampening(const config::DampeningConfig& config)
    : config_(config),
      ceiling_(config.reuse *
               std::exp2(to_seconds(config.max_suppress) / to_seconds(config.half_life))) {}

DampeningState Dampening::advance(DampeningState state, std::uint64_t downs, TimePoint now) const {
  if (now > state.updated && state.penalty > 0) {
    const double halves = to_seconds(now - state.updated) / to_seconds(config_.half_life);
    state.penalty *= std::exp2(-halves);
    if (state.penalty < 1e-3) state.penalty = 0;
  }
  state.updated = std::max(state.updated, now);
  if (downs > state.downs_seen) {
    state.penalty += config_.penalty * static_cast<double>(downs - state.downs_seen);
  }
  state.downs_seen = downs;
  state.penalty = std::min(state.penalty, ceiling_);
  if (!state.suppressed && state.penalty > config_.suppress) state.suppressed = true;
  if (state.suppressed && state.penalty <= config_.reuse) state.suppressed = false;
  return state;
}

std::optional<TimePoint> Dampening::reuse_at(const DampeningState& state) const {
  if (!state.suppressed) return std::nullopt;
  if (state.penalty <= config_.reuse) return state.updated;
  const double halves = std::log2(state.penalty / config_.reuse);
  // Round up to the next microsecond so that at the returned instant the penalty really is
  // at or below reuse.
  const auto wait =
      from_seconds(halves * to_seconds(config_.half_life)) + std::chrono::microseconds(1);
  return state.updated + wait;
}

}  // namespace lifeline::policy
