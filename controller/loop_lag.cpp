#include "controller/loop_lag.hpp"

#include <algorithm>
#include <iterator>

namespace lifeline::daemon {

namespace {

// Seconds: from "on time" (tens of microseconds of scheduling) to "a probe interval" (5 ms)
// to "a detection time" (40 ms, 160 ms) and beyond; 2 ms is the loop's own budget.
constexpr double kBuckets[] = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2e-3, 5e-3,
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
  second_.fill(-1);
}

std::int64_t LoopLag::second_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

void LoopLag::observe(Source source, Duration late, TimePoint now) {
  late = std::max(late, Duration::zero());
  const auto i = index(source);
  auto& h = histograms_[i];
  const double seconds = to_seconds(late);
  ++h.count;
  h.sum += seconds;
  for (std::size_t b = 0; b < h.bounds.size(); ++b) {
    if (seconds <= h.bounds[b]) ++h.counts[b];
  }
  max_[i] = std::max(max_[i], late);
  const std::int64_t s = second_of(now);
  const auto slot = static_cast<std::size_t>(((s % kSeconds) + kSeconds) % kSeconds);
  if (second_[slot] != s) {
    second_[slot] = s;
    per_second_[slot] = {};
  }
  per_second_[slot][i] = std::max(per_second_[slot][i], late);
}

Duration LoopLag::recent_max(Source source, TimePoint now, std::chrono::seconds window) const {
  const std::int64_t s = second_of(now);
  const std::int64_t n = std::clamp<std::int64_t>(window.count(), 1, kSeconds);
  Duration out{};
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t want = s - k;
    const auto slot = static_cast<std::size_t>(((want % kSeconds) + kSeconds) % kSeconds);
    if (second_[slot] == want) out = std::max(out, per_second_[slot][index(source)]);
  }
  return out;
}

}  // namespace lifeline::daemon
