// PolicyEngine::decide: which link each traffic class uses now. A pure function of the
// compiled policy, the links' states, operator pins, the previous state and the time:
//   - classes in precedence order take the first link in their preference list that is
//     alive, meets the class's thresholds, is trusted enough, and has capacity for its rate;
//     a class that fits nowhere gets its `when_none` (blackhole = fail closed, or main);
//   - leaving an unfit link is immediate; returning to a more preferred link waits until it
//     has been fit for `failback` (and never happens with preempt: false);
//   - links suppressed by flap dampening, drained, riding over an unusable underlay, or
//     sharing a risk group with a link that is down, are not candidates;
//   - every choice and every rejected link carries a reason (explain.hpp turns them to text).
// The returned state goes back in as `previous` next time; next_wakeup says when to call
// again even if no link changes (a hold-down, dampening or pin expiring).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "links/link_state.hpp"
#include "policies/dampening.hpp"
#include "policies/policy_model.hpp"

namespace lifeline::policy {

enum class TargetKind : std::uint8_t { none, link, blackhole, main };

struct Target {
  TargetKind kind = TargetKind::none;
  std::uint16_t link = kNoLink;
  static Target to_link(std::uint16_t l) { return {TargetKind::link, l}; }
  static Target blackhole() { return {TargetKind::blackhole, kNoLink}; }
  static Target main() { return {TargetKind::main, kNoLink}; }
  friend bool operator==(const Target&, const Target&) = default;
};

// Why a link is not a candidate for a class.
enum class Reject : std::uint8_t {
  none,
  down,         // the link's own probes say so
  drained,      // operator drain (or a drill) until expiry
  underlay,     // carried_over: the link it rides on is not usable
  risk_group,   // shares a risk group with a link that is down (not a backup)
  suppressed,   // RFC 2439 dampening
  thresholds,   // outside the class's rtt/jitter/loss limits (or the link's SLA)
  untrusted,    // the class requires an attested link
  quarantined,  // integrity quarantine, for classes that require integrity
  capacity,     // not enough capacity left for the class's rate
  not_listed,   // (pins) the pinned link is not in the class's list
};
const char* to_string(Reject reject);

// Why a class has the target it has.
enum class Why : std::uint8_t {
  initial,     // first decision
  preferred,   // on its most preferred fit link
  failover,    // its previous link became unfit
  failback,    // back to a more preferred link after it was fit for `failback`
  holding,     // a more preferred link is fit, but not yet for `failback`
  no_preempt,  // a more preferred link is fit, but preempt is false
  pinned,      // operator pin
  none_fit,    // no listed link fits: when_none
  restored,    // from blackhole/main back onto a link
};
const char* to_string(Why why);

struct Rejection {
  std::uint16_t link = kNoLink;
  Reject why = Reject::none;
  std::uint16_t other = kNoLink;  // underlay / risk peer that caused it
  BitRate free = 0;               // capacity left, for Reject::capacity
};

struct ClassDecision {
  Target target;
  Target previous;
  Why why = Why::initial;
  TimePoint since{};  // when the class got `target`
  // When a more preferred link that is fit now may be taken (its failback hold-down ends).
  std::optional<TimePoint> hold_until;
  Reject previous_reject = Reject::none;  // why the previous link was left (failover)
  Reject pin_reject = Reject::none;       // a pin that could not be honoured, and why
  std::uint32_t rejections_begin = 0;     // into Decision::rejections
  std::uint32_t rejections_count = 0;
  bool changed() const { return target != previous; }
};

struct Pin {
  std::uint16_t link = kNoLink;
  TimePoint until{};
  std::string reason;
};

struct LinkInput {
  const links::LinkStatus* status = nullptr;
  links::LinkAdmin admin;
  links::Trust trust = links::Trust::unattested;
};

struct ClassState {
  Target target;
  TimePoint since{};
};

struct PolicyState {
  std::vector<ClassState> classes;        // by class index
  std::vector<TimePoint> fit_since;       // PolicyModel::fit_slots; TimePoint::max() = unfit
  std::vector<DampeningState> dampening;  // by link
  static PolicyState initial(const PolicyModel& model);
};

struct LinkVerdict {
  Reject reject = Reject::none;  // class-independent part (down, drained, ...)
  std::uint16_t other = kNoLink;
  BitRate allocated = 0;  // sum of the rates of classes placed on it
};

struct Decision {
  std::vector<ClassDecision> classes;  // by class index
  std::vector<Rejection> rejections;
  std::vector<LinkVerdict> links;  // by link index
  PolicyState state;
  std::optional<TimePoint> next_wakeup;
};

class PolicyEngine {
 public:
  explicit PolicyEngine(const PolicyModel& model);

  // `links` by link index; `pins` by class index (may be empty: no pins).
  Decision decide(std::span<const LinkInput> links, std::span<const std::optional<Pin>> pins,
                  PolicyState previous, TimePoint now) const;

  const PolicyModel& model() const { return model_; }

 private:
  void link_verdicts(std::span<const LinkInput> links, PolicyState& state, TimePoint now,
                     Decision& out) const;

  const PolicyModel& model_;
  Dampening dampening_;
};

}  // namespace lifeline::policy
