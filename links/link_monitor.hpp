// The state machine of one link: its probe targets (TargetTracker), the quorum that makes
// the link alive, and the quality thresholds it is watched against (its SLA and every class
// requirement that applies to it), each with hysteresis. It turns probe events and timer
// expiries into a LinkStatus; generation() moves whenever anything a decision depends on
// changes, which is the event that makes the caller re-run the policy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "links/link_state.hpp"
#include "links/target_tracker.hpp"

namespace lifeline::links {

class LinkMonitor {
 public:
  // watches[0] is the link's own SLA (degraded when it is not met); the rest are extra
  // threshold sets to evaluate (class requirements), reported in status().meets.
  LinkMonitor(const config::LinkConfig& link, std::vector<Thresholds> watches, TimePoint now);

  // Not copyable: loss_source_ points into targets_ (moving keeps the elements in place).
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;
  LinkMonitor(LinkMonitor&&) = default;
  LinkMonitor& operator=(LinkMonitor&&) = default;

  static Thresholds sla_thresholds(const config::SlaConfig& sla);

  std::size_t target_count() const { return targets_.size(); }
  const TargetTracker& target(std::size_t i) const { return targets_[i]; }
  // "198.19.0.10:7070 (udp-echo)"
  const std::string& target_name(std::size_t i) const { return target_names_[i]; }

  // A probe to target `i` leaves now; returns the sequence number to put in it.
  std::uint64_t on_probe_sent(std::size_t target, TimePoint at);
  ReplyVerdict on_probe_reply(std::size_t target, std::uint64_t seq, TimePoint at);
  void on_timer(TimePoint now);
  // The next instant on_timer() has work to do, or TimePoint::max().
  TimePoint next_deadline() const { return deadline_; }

  const LinkStatus& status() const { return status_; }
  std::uint64_t generation() const { return generation_; }
  const std::string& name() const { return name_; }
  const std::vector<Thresholds>& watches() const { return watches_; }
  // A reload changed the classes: watch `watches` from now on. A threshold set that was
  // already watched keeps its verdict; a new one starts as met and is evaluated on the next
  // sample. Probe state, health and history are untouched (no probe gap on reload).
  void set_watches(std::vector<Thresholds> watches, TimePoint now);

 private:
  void update(TimePoint now);
  void aggregate_metrics();
  void refresh_deadline();
  bool loss_exceeds(double limit) const;
  bool loss_within(double limit) const;
  bool evaluate_watches(TimePoint now);
  std::string describe_down() const;
  std::string describe_watch_violation(const Thresholds& t) const;

  std::string name_;
  config::DetectConfig detect_;
  std::uint32_t quorum_;
  Duration recover_hold_;
  std::vector<TargetTracker> targets_;
  std::vector<std::string> target_names_;
  std::vector<Thresholds> watches_;
  // Per watch: since when its thresholds have been met while it is marked as not met.
  std::vector<std::optional<TimePoint>> recovering_since_;
  // The target whose loss window stands for the link (the quorum-th best).
  const HealthEstimator* loss_source_ = nullptr;
  TimePoint deadline_ = TimePoint::max();
  LinkStatus status_;
  std::uint64_t generation_ = 0;
};

}  // namespace lifeline::links
