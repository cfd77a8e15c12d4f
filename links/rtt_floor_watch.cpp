#include "links/rtt_floor_watch.hpp"

#include <algorithm>
#include <cstdio>

namespace lifeline::links {
namespace {

std::string ms(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", to_seconds(d) * 1e3);
  return buf;
}

}  // namespace

std::optional<std::string> RttFloorWatch::on_reply(Duration rtt) {
  if (learnt_ < kLearn) {
    floor_ = learnt_ == 0 ? rtt : std::min(floor_, rtt);
    ++learnt_;
    return std::nullopt;
  }
  const Duration margin = std::max<Duration>(std::chrono::duration_cast<Duration>(floor_ * kDropRatio), kMinDrop);
  if (rtt >= floor_ - margin) {
    below_ = 0;
    // A reply a little under the floor (a quieter moment than any so far) lowers it.
    floor_ = std::min(floor_, rtt);
    return std::nullopt;
  }
  lowest_ = below_ == 0 ? rtt : std::min(lowest_, rtt);
  if (++below_ < kConfirm) return std::nullopt;
  const Duration was = floor_;
  floor_ = lowest_;
  learnt_ = kConfirm;  // the new floor is learnt on from these replies
  below_ = 0;
  return "RTT floor " + ms(was) + " -> " + ms(lowest_);
}

}  // namespace lifeline::links
