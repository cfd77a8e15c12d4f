#include "policies/policy_engine.hpp"

#include <algorithm>
#include <cassert>

namespace lifeline::policy {

const char* to_string(Reject reject) {
  switch (reject) {
    case Reject::none:
      return "fit";
    case Reject::down:
      return "down";
    case Reject::drained:
      return "drained";
    case Reject::underlay:
      return "underlay unusable";
    case Reject::risk_group:
      return "risk group failed";
    case Reject::suppressed:
      return "suppressed (flap dampening)";
    case Reject::thresholds:
      return "outside requirements";
    case Reject::untrusted:
      return "not attested";
    case Reject::quarantined:
      return "quarantined";
    case Reject::capacity:
      return "no capacity left";
    case Reject::not_listed:
      return "not in the class's links";
  }
  return "?";
}

const char* to_string(Why why) {
  switch (why) {
    case Why::initial:
      return "initial";
    case Why::preferred:
      return "preferred";
    case Why::failover:
      return "failover";
    case Why::failback:
      return "failback";
    case Why::holding:
      return "holding";
    case Why::no_preempt:
      return "no-preempt";
    case Why::pinned:
      return "pinned";
    case Why::none_fit:
      return "none-fit";
    case Why::restored:
      return "restored";
  }
  return "?";
}

namespace {

constexpr TimePoint kNever = TimePoint::max();

void earliest(std::optional<TimePoint>& wakeup, TimePoint t) {
  if (!wakeup || t < *wakeup) wakeup = t;
}

bool active_until(const std::optional<TimePoint>& until, TimePoint now) {
  return until && *until > now;
}

}  // namespace

PolicyState PolicyState::initial(const PolicyModel& model) {
  PolicyState s;
  s.classes.resize(model.classes.size());
  s.fit_since.assign(model.fit_slots, kNever);
  s.dampening.resize(model.links.size());
  return s;
}

PolicyEngine::PolicyEngine(const PolicyModel& model) : model_(model), dampening_(model.dampening) {}

void PolicyEngine::link_verdicts(std::span<const LinkInput> links, PolicyState& state,
                                 TimePoint now, Decision& out) const {
  const std::size_t n = model_.links.size();
  out.links.assign(n, LinkVerdict{});
  // Class-independent usability, in an order that lets an overlay see its underlay: resolve
  // recursively with a small explicit walk (carried_over has no cycles, checked at load).
  for (std::size_t l = 0; l < n; ++l) {
    const auto& in = links[l];
    auto& v = out.links[l];
    auto& damp = state.dampening[l];
    damp = dampening_.advance(damp, in.status->downs, now);
    if (auto reuse = dampening_.reuse_at(damp)) earliest(out.next_wakeup, *reuse);
    if (active_until(in.admin.drained_until, now))
      earliest(out.next_wakeup, *in.admin.drained_until);
    if (active_until(in.admin.quarantined_until, now)) {
      earliest(out.next_wakeup, *in.admin.quarantined_until);
    }

    if (in.status->health == links::Health::down) {
      v.reject = Reject::down;
    } else if (active_until(in.admin.drained_until, now)) {
      v.reject = Reject::drained;
    } else if (damp.suppressed) {
      v.reject = Reject::suppressed;
    }
  }
  for (std::size_t l = 0; l < n; ++l) {
    auto& v = out.links[l];
    if (v.reject != Reject::none) continue;
    // An underlay is usable when it is alive, within its own SLA and not drained, and so is
    // its own underlay.
    for (std::uint16_t u = model_.links[l].underlay; u != kNoLink; u = model_.links[u].underlay) {
      const auto& us = *links[u].status;
      if (us.health != links::Health::up || active_until(links[u].admin.drained_until, now)) {
        v.reject = Reject::underlay;
        v.other = u;
        break;
      }
    }
    if (v.reject != Reject::none) continue;
    for (const auto peer : model_.links[l].risk_peers) {
      if (links[peer].status->health == links::Health::down) {
        v.reject = Reject::risk_group;
        v.other = peer;
        break;
      }
    }
  }
}

Decision PolicyEngine::decide(std::span<const LinkInput> links,
                              std::span<const std::optional<Pin>> pins, PolicyState previous,
                              TimePoint now) const {
  assert(links.size() == model_.links.size());
  Decision out;
  out.state = std::move(previous);
  if (out.state.classes.size() != model_.classes.size()) out.state = PolicyState::initial(model_);
  PolicyState& state = out.state;
  link_verdicts(links, state, now, out);

  out.classes.resize(model_.classes.size());
  out.rejections.reserve(model_.fit_slots);

  // Scratch per class, sized for the longest preference list.
  std::size_t longest = 0;
  for (const auto& c : model_.classes) longest = std::max(longest, c.links.size());
  std::vector<Reject> reject(longest);

  for (const auto ci : model_.order) {
    const ModelClass& cls = model_.classes[ci];
    ClassState& cs = state.classes[ci];
    ClassDecision& d = out.classes[ci];
    d.previous = cs.target;
    d.rejections_begin = static_cast<std::uint32_t>(out.rejections.size());
    const BitRate rate = cls.rate.value_or(0);

    // 1. Which listed links fit this class right now, and since when.
    int first_fit = -1;
    int previous_pos = -1;
    for (std::size_t p = 0; p < cls.links.size(); ++p) {
      const std::uint16_t l = cls.links[p];
      const LinkVerdict& v = out.links[l];
      const LinkInput& in = links[l];
      Reject why = v.reject;
      // A risk group with a failed member makes its other links poor backups: no class
      // moves onto them, but a class already there stays while its link itself is fine.
      if (why == Reject::risk_group && cs.target == Target::to_link(l)) why = Reject::none;
      BitRate free = 0;
      if (why == Reject::none && !in.status->meets.test(cls.watch[p])) why = Reject::thresholds;
      if (why == Reject::none && cls.trust == config::TrustRequirement::attested &&
          in.trust != links::Trust::attested) {
        why = Reject::untrusted;
      }
      if (why == Reject::none && cls.integrity && active_until(in.admin.quarantined_until, now)) {
        why = Reject::quarantined;
      }
      if (why == Reject::none && rate > 0 && model_.links[l].capacity) {
        const BitRate cap = *model_.links[l].capacity;
        free = cap > v.allocated ? cap - v.allocated : 0;
        if (free < rate) why = Reject::capacity;
      }
      reject[p] = why;
      TimePoint& since = state.fit_since[cls.fit_offset + p];
      if (why == Reject::none) {
        if (since == kNever) since = now;
        if (first_fit < 0) first_fit = static_cast<int>(p);
      } else {
        since = kNever;
        out.rejections.push_back({l, why, v.other, free});
      }
      if (cs.target.kind == TargetKind::link && cs.target.link == l)
        previous_pos = static_cast<int>(p);
    }
    d.rejections_count = static_cast<std::uint32_t>(out.rejections.size()) - d.rejections_begin;

    // 2. Choose.
    Target chosen;
    Why why = Why::preferred;
    const auto pick = [&](int p) {
      chosen = Target::to_link(cls.links[static_cast<std::size_t>(p)]);
    };

    int pinned_pos = -1;
    if (!pins.empty() && pins[ci] && pins[ci]->until > now) {
      earliest(out.next_wakeup, pins[ci]->until);
      const auto it = std::find(cls.links.begin(), cls.links.end(), pins[ci]->link);
      if (it == cls.links.end()) {
        d.pin_reject = Reject::not_listed;
      } else if (reject[static_cast<std::size_t>(it - cls.links.begin())] != Reject::none) {
        d.pin_reject = reject[static_cast<std::size_t>(it - cls.links.begin())];
      } else {
        pinned_pos = static_cast<int>(it - cls.links.begin());
      }
    }

    int chosen_pos = -1;
    if (pinned_pos >= 0) {
      chosen_pos = pinned_pos;
      why = Why::pinned;
    } else if (previous_pos >= 0 &&
               reject[static_cast<std::size_t>(previous_pos)] == Reject::none) {
      // Still fit: stay, unless a more preferred link has been fit for long enough.
      chosen_pos = previous_pos;
      why = previous_pos == first_fit ? Why::preferred
                                      : (cls.preempt ? Why::holding : Why::no_preempt);
      for (int p = first_fit; why == Why::holding && p < previous_pos; ++p) {
        if (reject[static_cast<std::size_t>(p)] != Reject::none) continue;
        if (state.fit_since[cls.fit_offset + static_cast<std::size_t>(p)] + cls.failback <= now) {
          chosen_pos = p;
          why = Why::failback;
        }
      }
    } else if (first_fit >= 0) {
      chosen_pos = first_fit;
      switch (cs.target.kind) {
        case TargetKind::none:
          why = Why::initial;
          break;
        case TargetKind::link:
          why = Why::failover;
          d.previous_reject = previous_pos >= 0 ? reject[static_cast<std::size_t>(previous_pos)]
                                                : Reject::not_listed;
          break;
        case TargetKind::blackhole:
        case TargetKind::main:
          why = Why::restored;
          break;
      }
    } else {
      chosen = cls.when_none == config::WhenNone::blackhole ? Target::blackhole() : Target::main();
      why = Why::none_fit;
      if (cs.target.kind == TargetKind::link && previous_pos >= 0) {
        d.previous_reject = reject[static_cast<std::size_t>(previous_pos)];
      }
    }
    if (chosen_pos >= 0) {
      pick(chosen_pos);
      // A more preferred link that is fit but still in its hold-down: wake up when it may
      // be taken (it may be more preferred than the link just failed back to).
      if (why != Why::pinned && why != Why::no_preempt) {
        for (int p = first_fit; p >= 0 && p < chosen_pos; ++p) {
          if (reject[static_cast<std::size_t>(p)] != Reject::none) continue;
          const TimePoint ready =
              state.fit_since[cls.fit_offset + static_cast<std::size_t>(p)] + cls.failback;
          if (ready > now && (!d.hold_until || ready < *d.hold_until)) d.hold_until = ready;
        }
        if (d.hold_until) earliest(out.next_wakeup, *d.hold_until);
      }
    }

    if (chosen.kind == TargetKind::link) out.links[chosen.link].allocated += rate;
    d.target = chosen;
    d.why = why;
    if (chosen != cs.target) {
      cs.target = chosen;
      cs.since = now;
    }
    d.since = cs.since;
  }
  return out;
}

}  // namespace lifeline::policy
