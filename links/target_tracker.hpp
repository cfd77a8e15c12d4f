// Liveness of one probe target of a link. It numbers the probes, matches replies to them,
// resolves unanswered probes as lost after a timeout, and decides when the target is alive:
//   - down when no valid reply arrived for `multiplier x interval` (as BFD's detection time,
//     RFC 5880 6.8.4) AND that silence is evidence: `multiplier` probes were sent after the
//     last answered one and the last of them has been out as long as that one's round trip.
//     A silence we caused ourselves (a stalled loop that sent nothing) proves nothing: the
//     verdict is late then, never wrong. Event driven, through next_deadline(), never polled;
//   - up again after `rise` answered probes in a row and `min_stable` since the end of the
//     last silent period (hysteresis, so a flapping path does not come back on one reply).
// Pure: the caller passes every instant in; nothing here reads a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "links/health_estimator.hpp"

namespace lifeline::links {

enum class ReplyVerdict : std::uint8_t {
  accepted,   // a valid reply to an outstanding probe
  duplicate,  // that probe was already answered (a duplicate, or a replay)
  late,       // that probe was already resolved as lost
  unknown,    // we never sent that sequence number (forged or from another sender)
};
const char* to_string(ReplyVerdict verdict);

class TargetTracker {
 public:
  static constexpr Duration kInitialTimeout = std::chrono::seconds(2);
  static constexpr Duration kMinTimeout = std::chrono::seconds(1);
  static constexpr Duration kMaxTimeout = std::chrono::seconds(10);

  TargetTracker(const config::DetectConfig& detect, Duration loss_window);

  // A probe leaves now; returns its sequence number (consecutive from 0).
  std::uint64_t on_sent(TimePoint at);
  ReplyVerdict on_reply(std::uint64_t seq, TimePoint at);
  // Processes everything due at or before `now`. Call it at next_deadline().
  void on_timer(TimePoint now);
  // The next instant something is due, or TimePoint::max().
  TimePoint next_deadline() const;

  bool alive() const { return alive_; }
  const HealthEstimator& health() const { return health_; }
  std::optional<TimePoint> last_reply() const { return last_reply_; }
  // When the probes sent since the last answered one prove a silence of the detection time
  // (see above): TimePoint::max() while too few have been sent.
  TimePoint evidence_at() const;
  std::uint32_t good_run() const { return good_run_; }
  Duration probe_timeout() const;

  std::uint64_t sent() const { return next_seq_; }
  // Every probe resolved as lost, outages included (health().lost() counts only those
  // that happened while the target was alive).
  std::uint64_t lost() const { return lost_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t late() const { return late_; }
  std::uint64_t unknown() const { return unknown_; }

 private:
  struct Outstanding {
    std::uint64_t seq = ~std::uint64_t{0};
    TimePoint sent_at{};
    bool answered = false;
  };
  Outstanding& slot(std::uint64_t seq) { return ring_[seq & mask_]; }
  void resolve(TimePoint now);
  void check_detection(TimePoint now);
  void maybe_come_up(TimePoint now);

  config::DetectConfig detect_;
  Duration detection_time_;
  HealthEstimator health_;

  std::vector<Outstanding> ring_;
  std::uint64_t mask_ = 0;
  std::uint64_t next_seq_ = 0;  // next sequence number to send
  std::uint64_t oldest_ = 0;    // oldest unresolved probe; always unanswered unless none is left

  bool alive_ = false;
  std::optional<TimePoint> last_reply_;
  // The highest sequence number answered so far, and that probe's round trip.
  std::optional<std::uint64_t> highest_answered_;
  Duration highest_answered_rtt_{};
  // End of the most recent silent period (a gap of at least the detection time).
  std::optional<TimePoint> last_failure_;
  std::uint32_t good_run_ = 0;

  std::uint64_t lost_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t unknown_ = 0;
};

}  // namespace lifeline::links
