// How late the event loop is. A timer handler that runs after its expiry, and a probe reply
// handled after the kernel received it, both measure the same thing: how long the loop was
// busy elsewhere (a long handler, a slow effect, a starved CPU). A stall never makes a link
// fail (links/target_tracker.hpp), but it delays detection by as much: operators see it here
// (lifelinectl status, /metrics) before it matters. Pure: instants are passed in.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "common/units.hpp"
#include "controller/snapshot.hpp"

namespace lifeline::daemon {

class LoopLag {
 public:
  enum class Source : std::uint8_t { timer, reply };
  static constexpr std::size_t kSources = 2;
  // recent_max() looks back at most this far, a second at a time.
  static constexpr std::int64_t kSeconds = 120;

  LoopLag();
  // One handler ran `late` after it was due (negative lateness counts as none).
  void observe(Source source, Duration late, TimePoint now);
  const snapshot::Histogram& histogram(Source source) const { return histograms_[index(source)]; }
  // The largest lag seen in the last `window` (whole seconds, at most kSeconds; the current
  // second counts as one), 0 when nothing was seen.
  Duration recent_max(Source source, TimePoint now, std::chrono::seconds window) const;
  // The largest lag ever seen.
  Duration max(Source source) const { return max_[index(source)]; }

 private:
  static std::size_t index(Source s) { return static_cast<std::size_t>(s); }
  static std::int64_t second_of(TimePoint t);

  std::array<snapshot::Histogram, kSources> histograms_;
  std::array<Duration, kSources> max_{};
  // Per second of the steady clock (a ring): which second a slot holds, and its maxima.
  std::array<std::int64_t, kSeconds> second_{};
  std::array<std::array<Duration, kSources>, kSeconds> per_second_{};
};

const char* to_string(LoopLag::Source source);

}  // namespace lifeline::daemon
