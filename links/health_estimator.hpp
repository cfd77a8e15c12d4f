// Path quality of one probe target, from its stream of probe outcomes: smoothed RTT and RTT
// variation (RFC 6298 2.3), interarrival jitter (RFC 3550 6.4.1 / A.8), loss over a sliding
// window of the most recent probes, and the run of consecutive losses. Pure arithmetic: no
// clock, no I/O; the caller says what happened.
#pragma once

#include <cstdint>
#include <vector>

#include "common/units.hpp"

namespace lifeline::links {

class HealthEstimator {
 public:
  // `window` probes make up the loss window (at least 1).
  explicit HealthEstimator(std::size_t window);

  void on_reply(Duration rtt);
  void on_loss();
  // Forget the loss window (RTT state is kept). Used when a target comes back after an
  // outage: the outage was already accounted as 'down', not as loss.
  void reset_loss_window();

  bool has_rtt() const { return samples_ > 0; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  Duration jitter() const { return jitter_; }
  Duration min_rtt() const { return min_rtt_; }
  Duration last_rtt() const { return last_rtt_; }

  // Losses / outcomes in the window (0 while it is empty).
  double loss_ratio() const {
    return fill_ == 0 ? 0.0 : static_cast<double>(losses_) / static_cast<double>(fill_);
  }
  std::size_t window_fill() const { return fill_; }
  std::size_t window_losses() const { return losses_; }
  // Wilson score interval of the loss ratio at z = 3 (99.87 % one-sided): a threshold is
  // crossed only when the evidence says so, so a short or noisy sample never flips it.
  double loss_lower_bound() const;
  double loss_upper_bound() const;

  std::uint32_t consecutive_losses() const { return consecutive_losses_; }
  std::uint64_t answered() const { return samples_; }
  std::uint64_t lost() const { return lost_; }

 private:
  void record(bool lost);

  Duration srtt_{};
  Duration rttvar_{};
  Duration jitter_{};
  Duration min_rtt_{};
  Duration last_rtt_{};
  std::uint64_t samples_ = 0;
  std::uint64_t lost_ = 0;
  std::uint32_t consecutive_losses_ = 0;

  std::vector<std::uint8_t> window_;  // 1 = lost; ring buffer
  std::size_t next_ = 0;
  std::size_t fill_ = 0;
  std::size_t losses_ = 0;
};

}  // namespace lifeline::links
