// The RTT floor of a probe target: the least round-trip time its replies show, which is the
// path's propagation delay and no less. Queues and jitter only ever add to it; a floor that
// suddenly drops means the replies now come from somewhere nearer than the target (someone on
// the path answering in its name) or the path itself changed. A path-integrity signal
// (docs/integrity.md). Pure; one per probe target.
#pragma once

#include <optional>
#include <string>

#include "common/units.hpp"

namespace lifeline::links {

class RttFloorWatch {
 public:
  // The floor is the least RTT of the last kLearn replies; once learnt, kConfirm replies in a
  // row below it by more than kDropRatio and kMinDrop are a drop (one lucky fast reply is
  // not). The new floor is then learnt again.
  static constexpr int kLearn = 50;
  static constexpr int kConfirm = 5;
  static constexpr double kDropRatio = 0.3;  // 30 % below the floor
  static constexpr Duration kMinDrop = std::chrono::milliseconds(2);

  // One valid reply's RTT. Returns the evidence when a drop is confirmed
  // ("RTT floor 24.8 ms -> 6.1 ms").
  std::optional<std::string> on_reply(Duration rtt);

  std::optional<Duration> floor() const { return learnt_ >= kLearn ? std::optional<Duration>(floor_) : std::nullopt; }

 private:
  Duration floor_{};
  int learnt_ = 0;      // replies that taught the floor (capped at kLearn)
  int below_ = 0;       // consecutive replies below the floor by more than the margin
  Duration lowest_{};   // the least of them
};

}  // namespace lifeline::links
