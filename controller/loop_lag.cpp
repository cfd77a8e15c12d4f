#include "controller/loop_lag.hpp"

#include <algorithm>
#include <iterator>

namespace lifeline::daemon {

namespace {

// Seconds: from "on time" (tens of microseconds of scheduling) to "a probe interval" (5 ms)
// to "a detection time" (40 ms, 160 ms) and beyond.
constexpr double kBuckets[] = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 5e-3,
                               10e-3, 20e-3,  40e-3,  80e-3,  160e-3, 500e-3, 1.0};

}  // namespace

const char* to_string(LoopLag::Source source) {
  return source == LoopLag::Source::timer ? "timer" : "reply";
}

LoopLag::LoopLag() {
  for (auto& h : histograms_) {
    h.bounds.assign(std::begin(kBuckets), std::end(kBuckets));
    h.counts.assign(h.bounds.size(), 0);
  }
}

void LoopLag::roll(TimePoint now) {
  if (window_start_ == TimePoint{}) window_start_ = now;
  if (now - window_start_ < kWindow) return;
  // One window on: the current becomes the previous; more than one: both are old news.
  previous_ = now - window_start_ < 2 * kWindow ? current_ : std::array<Duration, kSources>{};
  current_ = {};
  window_start_ = now;
}

void LoopLag::observe(Source source, Duration late, TimePoint now) {
  late = std::max(late, Duration::zero());
  roll(now);
  const auto i = index(source);
  auto& h = histograms_[i];
  const double seconds = to_seconds(late);
  ++h.count;
  h.sum += seconds;
  for (std::size_t b = 0; b < h.bounds.size(); ++b) {
    if (seconds <= h.bounds[b]) ++h.counts[b];
  }
  max_[i] = std::max(max_[i], late);
  current_[i] = std::max(current_[i], late);
}

Duration LoopLag::recent_max(Source source, TimePoint now) const {
  const auto i = index(source);
  if (window_start_ == TimePoint{} || now - window_start_ >= 2 * kWindow) return Duration::zero();
  if (now - window_start_ >= kWindow) return current_[i];
  return std::max(current_[i], previous_[i]);
}

}  // namespace lifeline::daemon
