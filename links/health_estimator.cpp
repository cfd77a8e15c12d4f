#include "links/health_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace lifeline::links {
namespace {

constexpr double kZ = 3.0;

// Wilson score interval bounds for `k` successes in `n` trials.
double wilson(std::size_t k, std::size_t n, double sign) {
  if (n == 0) return sign < 0 ? 0.0 : 1.0;
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double z2 = kZ * kZ;
  const double centre = p + z2 / (2 * nn);
  const double spread = kZ * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return std::clamp((centre + sign * spread) / (1 + z2 / nn), 0.0, 1.0);
}

Duration abs(Duration d) {
  return d < Duration::zero() ? -d : d;
}

}  // namespace

HealthEstimator::HealthEstimator(std::size_t window) : window_(std::max<std::size_t>(1, window)) {}

void HealthEstimator::on_reply(Duration rtt) {
  if (rtt < Duration::zero()) rtt = Duration::zero();
  if (samples_ == 0) {
    // RFC 6298 2.2: first measurement.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    min_rtt_ = rtt;
  } else {
    // RFC 6298 2.3 with alpha = 1/8, beta = 1/4.
    rttvar_ = (rttvar_ * 3 + abs(srtt_ - rtt)) / 4;
    srtt_ = (srtt_ * 7 + rtt) / 8;
    min_rtt_ = std::min(min_rtt_, rtt);
    // RFC 3550 A.8: J += (|D| - J) / 16, where D is the change in transit time between
    // consecutive packets; for an echo that is the change in RTT.
    jitter_ += (abs(rtt - last_rtt_) - jitter_) / 16;
  }
  last_rtt_ = rtt;
  ++samples_;
  consecutive_losses_ = 0;
  record(false);
}

void HealthEstimator::on_loss() {
  ++lost_;
  ++consecutive_losses_;
  record(true);
}

void HealthEstimator::record(bool lost) {
  if (fill_ == window_.size()) {
    losses_ -= window_[next_];
  } else {
    ++fill_;
  }
  window_[next_] = lost ? 1 : 0;
  losses_ += lost ? 1 : 0;
  next_ = next_ + 1 == window_.size() ? 0 : next_ + 1;
}

void HealthEstimator::reset_loss_window() {
  std::fill(window_.begin(), window_.end(), 0);
  next_ = fill_ = losses_ = 0;
}

double HealthEstimator::loss_lower_bound() const {
  return wilson(losses_, fill_, -1);
}
double HealthEstimator::loss_upper_bound() const {
  return wilson(losses_, fill_, +1);
}

}  // namespace lifeline::links
