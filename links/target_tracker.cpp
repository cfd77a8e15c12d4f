#include "links/target_tracker.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

namespace lifeline::links {

const char* to_string(ReplyVerdict verdict) {
  switch (verdict) {
    case ReplyVerdict::accepted:
      return "accepted";
    case ReplyVerdict::duplicate:
      return "duplicate";
    case ReplyVerdict::late:
      return "late";
    case ReplyVerdict::unknown:
      return "unknown";
  }
  return "?";
}

namespace {

std::size_t window_probes(Duration window, Duration interval) {
  return static_cast<std::size_t>(std::max<std::int64_t>(1, window / interval));
}

}  // namespace

TargetTracker::TargetTracker(const config::DetectConfig& detect, Duration loss_window)
    : detect_(detect),
      detection_time_(detect.detection_time()),
      health_(window_probes(loss_window, detect.interval)) {
  // Room for every probe that can be outstanding at the longest timeout, and for the
  // `multiplier` probes that detection looks back at.
  const auto needed =
      std::max<std::uint64_t>(static_cast<std::uint64_t>(kMaxTimeout / detect.interval), detect.multiplier) + 16;
  const auto size = std::bit_ceil(std::clamp<std::uint64_t>(needed, 64, 1 << 16));
  ring_.resize(size);
  mask_ = size - 1;
}

Duration TargetTracker::probe_timeout() const {
  // Generous on purpose: the timeout only settles loss statistics. Liveness comes from the
  // detection time, which does not wait for it; a tight timeout would turn an RTT increase
  // into 100 % "loss" that never lets srtt learn the new RTT.
  if (!health_.has_rtt()) return kInitialTimeout;
  return std::clamp(health_.srtt() * 3 + health_.rttvar() * 4, kMinTimeout, kMaxTimeout);
}

std::uint64_t TargetTracker::on_sent(TimePoint at) {
  // The ring is sized for the longest timeout; if it is still full, the oldest probe is
  // overdue by definition.
  while (next_seq_ - oldest_ > mask_) {
    if (!slot(oldest_).answered) {
      ++lost_;
      good_run_ = 0;
      if (alive_) health_.on_loss();
    }
    ++oldest_;
  }
  const std::uint64_t seq = next_seq_++;
  slot(seq) = {seq, at, false};
  return seq;
}

ReplyVerdict TargetTracker::on_reply(std::uint64_t seq, TimePoint at) {
  on_timer(at);
  if (seq >= next_seq_) {
    ++unknown_;
    return ReplyVerdict::unknown;
  }
  Outstanding& probe = slot(seq);
  if (probe.seq == seq && probe.answered) {
    ++duplicates_;
    return ReplyVerdict::duplicate;
  }
  if (seq < oldest_) {
    ++late_;
    return ReplyVerdict::late;
  }
  probe.answered = true;
  while (oldest_ < next_seq_ && slot(oldest_).answered) ++oldest_;
  health_.on_reply(at - probe.sent_at);
  if (!highest_answered_ || seq > *highest_answered_) {
    highest_answered_ = seq;
    highest_answered_rtt_ = at - probe.sent_at;
  }
  if (last_reply_ && at - *last_reply_ >= detection_time_) {
    // A silent period of at least the detection time has just ended: that is a failure,
    // whether or not it took the target down (it may have been down already).
    last_failure_ = at;
  }
  last_reply_ = at;
  ++good_run_;
  maybe_come_up(at);
  return ReplyVerdict::accepted;
}

void TargetTracker::on_timer(TimePoint now) {
  resolve(now);
  check_detection(now);
  maybe_come_up(now);
  // Whatever was due has been handled; a deadline left in the past would spin the caller.
  assert(next_deadline() > now);
}

void TargetTracker::resolve(TimePoint now) {
  const Duration timeout = probe_timeout();
  while (oldest_ < next_seq_) {
    const Outstanding& probe = slot(oldest_);
    if (!probe.answered) {
      if (probe.sent_at + timeout > now) break;
      ++lost_;
      // Probes sent before the end of the last outage belong to that outage, which is
      // accounted as 'down': they do not spoil the rise run. And while the target is not
      // alive its losses are not the SLA's business either: the loss window describes a
      // working path, and is started afresh when the target comes back.
      if (!last_failure_ || probe.sent_at >= *last_failure_) good_run_ = 0;
      if (alive_) health_.on_loss();
    }
    ++oldest_;
  }
}

TimePoint TargetTracker::evidence_at() const {
  if (!highest_answered_) return TimePoint::max();
  // The multiplier-th probe after the last answered one: sent, and out for as long as that
  // one took to come back. On a loop that kept its schedule this is exactly when the
  // detection time after the last reply ends (sent + multiplier x interval + its RTT), so the
  // rule costs a working daemon nothing; after a stall it waits for probes that were sent.
  const std::uint64_t seq = *highest_answered_ + detect_.multiplier;
  if (seq >= next_seq_) return TimePoint::max();
  // A probe that has left the ring was sent longer ago than the longest timeout.
  if (next_seq_ - seq > mask_ || ring_[seq & mask_].seq != seq) return TimePoint::min();
  return ring_[seq & mask_].sent_at + highest_answered_rtt_;
}

void TargetTracker::check_detection(TimePoint now) {
  if (!last_reply_ || now - *last_reply_ < detection_time_) return;
  if (evidence_at() > now) return;  // silent, but not for lack of answers to what we sent
  if (alive_) {
    alive_ = false;
    last_failure_ = now;
  }
  // Silent for the detection time: whatever run of good probes was building up is over.
  good_run_ = 0;
}

void TargetTracker::maybe_come_up(TimePoint now) {
  if (alive_ || good_run_ < detect_.rise || !last_reply_) return;
  if (now - *last_reply_ >= detection_time_) return;  // silent right now
  if (last_failure_ && now - *last_failure_ < detect_.min_stable) return;
  alive_ = true;
  // The outage is over; its probes are not the SLA's business (see resolve()).
  health_.reset_loss_window();
}

TimePoint TargetTracker::next_deadline() const {
  TimePoint next = TimePoint::max();
  // The oldest unresolved probe is unanswered (answered ones are popped as they arrive) and
  // times out first.
  if (oldest_ < next_seq_) next = ring_[oldest_ & mask_].sent_at + probe_timeout();
  // Detection: an alive target goes down, a rising one starts its run again. Until enough
  // probes have been sent there is no detection deadline: the next on_sent() brings it.
  if ((alive_ || good_run_ > 0) && last_reply_) {
    const TimePoint evidence = evidence_at();
    if (evidence != TimePoint::max()) next = std::min(next, std::max(*last_reply_ + detection_time_, evidence));
  }
  // Stability: a target with enough good probes waits out min_stable since the last failure.
  if (!alive_ && good_run_ >= detect_.rise && last_failure_) {
    next = std::min(next, *last_failure_ + detect_.min_stable);
  }
  return next;
}

}  // namespace lifeline::links
