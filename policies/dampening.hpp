// RFC 2439 route-flap dampening applied to links: every down transition adds a penalty that
// decays exponentially with a half-life; above `suppress` the link is not chosen, until the
// penalty decays below `reuse`. The penalty is capped so that no link stays suppressed for
// longer than `max_suppress` after its last flap (RFC 2439 4.2, "maximum hold-down").
#pragma once

#include <cstdint>
#include <optional>

#include "config/config.hpp"

namespace lifeline::policy {

struct DampeningState {
  double penalty = 0;
  TimePoint updated{};           // instant `penalty` was computed for
  std::uint64_t downs_seen = 0;  // LinkStatus::downs already charged
  bool suppressed = false;
  friend bool operator==(const DampeningState&, const DampeningState&) = default;
};

class Dampening {
 public:
  explicit Dampening(const config::DampeningConfig& config);

  // Decays the penalty to `now`, charges the down transitions since the last call
  // (`downs` is the link's running count) and updates the suppressed flag.
  DampeningState advance(DampeningState state, std::uint64_t downs, TimePoint now) const;
  // The instant a suppressed link's penalty decays to `reuse` (nullopt if not suppressed).
  std::optional<TimePoint> reuse_at(const DampeningState& state) const;
  double ceiling() const { return ceiling_; }

 private:
  config::DampeningConfig config_;
  double ceiling_;
};

}  // namespace lifeline::policy
