// How late the event loop is. A timer handler that runs after its expiry, and a probe reply
// handled after the kernel received it, both measure the same thing: how long the loop was
// busy elsewhere (a long handler, a slow effect, a starved CPU). A stall never makes a link
// fail (links/target_tracker.hpp), but it delays detection by as much: operators see it here
// (lifelinectl status, /metrics) before it matters. Pure: instants are passed in.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "config/units.hpp"
#include "controller/snapshot.hpp"

namespace lifeline::daemon {

class LoopLag {
 public:
  enum class Source : std::uint8_t { timer, reply };
  static constexpr std::size_t kSources = 2;
  // The window of recent_max(): the largest lag in the current and the previous minute.
  static constexpr Duration kWindow = std::chrono::seconds(60);

  LoopLag();
  // One handler ran `late` after it was due (negative lateness counts as none).
  void observe(Source source, Duration late, TimePoint now);
  const snapshot::Histogram& histogram(Source source) const { return histograms_[index(source)]; }
  // The largest lag seen within the last one to two minutes (0 when nothing was seen).
  Duration recent_max(Source source, TimePoint now) const;
  // The largest lag ever seen.
  Duration max(Source source) const { return max_[index(source)]; }

 private:
  static std::size_t index(Source s) { return static_cast<std::size_t>(s); }
  void roll(TimePoint now);

  std::array<snapshot::Histogram, kSources> histograms_;
  std::array<Duration, kSources> max_{};
  // Max per window: the current one (since window_start_) and the one before it.
  TimePoint window_start_{};
  std::array<Duration, kSources> current_{};
  std::array<Duration, kSources> previous_{};
};

const char* to_string(LoopLag::Source source);

}  // namespace lifeline::daemon
