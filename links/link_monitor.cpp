#include "links/link_monitor.hpp"

#include <algorithm>
#include <array>

namespace lifeline::links {

namespace {

std::string target_label(const config::ProbeConfig& probe) {
  std::string address = probe.target.to_string();
  if (probe.type == config::ProbeType::udp_echo) {
    if (!probe.target.is_v4()) address = "[" + address + "]";
    address += ":" + std::to_string(probe.port);
  }
  return address + " (" + config::to_string(probe.type) + ")";
}

// The k-th smallest (1-based) of `values`; with quorum k, the value that k targets achieve.
template <typename T, std::size_t N>
T kth_smallest(std::array<T, N>& values, std::size_t count, std::size_t k) {
  if (count == 1) return values[0];
  if (count == 2) return k == 1 ? std::min(values[0], values[1]) : std::max(values[0], values[1]);
  std::nth_element(values.begin(), values.begin() + (k - 1), values.begin() + count);
  return values[k - 1];
}

}  // namespace

Thresholds LinkMonitor::sla_thresholds(const config::SlaConfig& sla) {
  return Thresholds{sla.rtt, sla.jitter, sla.loss};
}

LinkMonitor::LinkMonitor(const config::LinkConfig& link, std::vector<Thresholds> watches,
                         TimePoint now)
    : name_(link.name),
      detect_(link.detect),
      quorum_(std::max<std::uint32_t>(1, link.quorum)),
      // A threshold that was crossed is trusted again only after it has held for this long;
      // the same "no failure for min_stable" rule as a target coming back, but never less
      // than a second, so a metric that sits on its threshold cannot flip every probe.
      recover_hold_(std::max<Duration>(link.detect.min_stable, std::chrono::seconds(1))),
      watches_(std::move(watches)) {
  if (watches_.empty()) watches_.push_back(sla_thresholds(link.sla));
  for (const auto& probe : link.probes) {
    targets_.emplace_back(link.detect, link.sla.window);
    target_names_.push_back(target_label(probe));
  }
  recovering_since_.resize(watches_.size());
  status_.since = now;
  status_.meets.resize(watches_.size());
  status_.metrics.targets_total = static_cast<std::uint32_t>(targets_.size());
  status_.reason = "no probe answered yet";
}

void LinkMonitor::set_watches(std::vector<Thresholds> watches, TimePoint now) {
  if (watches.empty()) watches.push_back(watches_.front());
  ThresholdBits meets;
  meets.resize(watches.size());
  std::vector<std::optional<TimePoint>> recovering(watches.size());
  for (std::size_t i = 0; i < watches.size(); ++i) {
    const auto old = std::find(watches_.begin(), watches_.end(), watches[i]);
    if (old == watches_.end()) continue;
    const auto j = static_cast<std::size_t>(old - watches_.begin());
    meets.set(i, status_.meets.test(j));
    recovering[i] = recovering_since_[j];
  }
  watches_ = std::move(watches);
  recovering_since_ = std::move(recovering);
  status_.meets = std::move(meets);
  ++generation_;
  update(now);
}

std::uint64_t LinkMonitor::on_probe_sent(std::size_t target, TimePoint at) {
  const auto seq = targets_[target].on_sent(at);
  refresh_deadline();
  return seq;
}

ReplyVerdict LinkMonitor::on_probe_reply(std::size_t target, std::uint64_t seq, TimePoint at) {
  const auto verdict = targets_[target].on_reply(seq, at);
  update(at);
  return verdict;
}

void LinkMonitor::on_timer(TimePoint now) {
  for (auto& t : targets_) {
    if (t.next_deadline() <= now) t.on_timer(now);
  }
  update(now);
}

void LinkMonitor::refresh_deadline() {
  deadline_ = TimePoint::max();
  for (const auto& t : targets_) deadline_ = std::min(deadline_, t.next_deadline());
}

void LinkMonitor::aggregate_metrics() {
  auto& m = status_.metrics;
  std::uint32_t alive = 0;
  for (const auto& t : targets_) alive += t.alive() ? 1 : 0;
  m.targets_alive = alive;
  if (targets_.size() == 1) {  // the common case, without the sorting
    const auto& h = targets_[0].health();
    m.has_rtt = h.has_rtt();
    m.srtt = h.srtt();
    m.rttvar = h.rttvar();
    m.jitter = h.jitter();
    m.min_rtt = h.min_rtt();
    m.loss = h.loss_ratio();
    loss_source_ = &h;
    return;
  }
  // With quorum k, the link is as good as its k-th best alive target: one target that
  // stops answering, or a far-away one, does not make a good link look bad.
  constexpr std::size_t kMax = 16;  // the loader allows at most 16 probes per link
  std::array<Duration, kMax> srtt, rttvar, jitter, min_rtt;
  std::array<double, kMax> loss;
  std::array<const HealthEstimator*, kMax> by_loss;
  std::size_t n = 0;
  for (const auto& t : targets_) {
    if (n == kMax) break;
    // Alive targets describe the link; while too few are alive, every target with data.
    if ((alive >= quorum_ && !t.alive()) || !t.health().has_rtt()) continue;
    const auto& h = t.health();
    srtt[n] = h.srtt();
    rttvar[n] = h.rttvar();
    jitter[n] = h.jitter();
    min_rtt[n] = h.min_rtt();
    loss[n] = h.loss_ratio();
    by_loss[n] = &h;
    ++n;
  }
  m.has_rtt = n > 0;
  if (n == 0) return;
  const std::size_t k = std::min<std::size_t>(quorum_, n);
  m.srtt = kth_smallest(srtt, n, k);
  m.rttvar = kth_smallest(rttvar, n, k);
  m.jitter = kth_smallest(jitter, n, k);
  m.min_rtt = kth_smallest(min_rtt, n, k);
  std::nth_element(by_loss.begin(), by_loss.begin() + (k - 1), by_loss.begin() + n,
                   [](const HealthEstimator* a, const HealthEstimator* b) {
                     return a->loss_ratio() < b->loss_ratio();
                   });
  loss_source_ = by_loss[k - 1];
  m.loss = loss_source_->loss_ratio();
}

// The loss window's confidence bounds cost a square root; the point estimate decides most
// comparisons on its own (the lower bound is never above it, the upper never below).
bool LinkMonitor::loss_exceeds(double limit) const {
  return loss_source_ && loss_source_->loss_ratio() > limit &&
         loss_source_->loss_lower_bound() > limit;
}

bool LinkMonitor::loss_within(double limit) const {
  return !loss_source_ ||
         (loss_source_->loss_ratio() < limit && loss_source_->loss_upper_bound() < limit);
}

bool LinkMonitor::evaluate_watches(TimePoint now) {
  const auto& m = status_.metrics;
  if (!m.has_rtt) return false;
  bool changed = false;
  for (std::size_t i = 0; i < watches_.size(); ++i) {
    const Thresholds& t = watches_[i];
    const bool met = status_.meets.test(i);
    if (met) {
      // Leave on evidence: the smoothed value above the limit, or loss whose lower
      // confidence bound is above it.
      const bool violated = (t.rtt && m.srtt > *t.rtt) || (t.jitter && m.jitter > *t.jitter) ||
                            (t.loss && loss_exceeds(*t.loss));
      if (violated) {
        status_.meets.set(i, false);
        recovering_since_[i].reset();
        changed = true;
      }
    } else {
      const bool within = (!t.rtt || m.srtt <= *t.rtt) && (!t.jitter || m.jitter <= *t.jitter) &&
                          (!t.loss || loss_within(*t.loss));
      if (!within) {
        recovering_since_[i].reset();
      } else if (!recovering_since_[i]) {
        recovering_since_[i] = now;
      } else if (now - *recovering_since_[i] >= recover_hold_) {
        status_.meets.set(i, true);
        recovering_since_[i].reset();
        changed = true;
      }
    }
  }
  return changed;
}

void LinkMonitor::update(TimePoint now) {
  refresh_deadline();
  aggregate_metrics();
  const bool alive = status_.metrics.targets_alive >= quorum_;
  // While the link is down its thresholds keep their last verdict: what a dead path
  // "measures" says nothing about the quality it will have when it comes back.
  const bool watches_changed = alive && evaluate_watches(now);
  const Health health =
      !alive ? Health::down : (status_.meets.test(0) ? Health::up : Health::degraded);
  if (health != status_.health) {
    const Health before = status_.health;
    if (health == Health::down) {
      ++status_.downs;
      status_.reason = describe_down();
    } else if (health == Health::degraded) {
      status_.reason = describe_watch_violation(watches_[0]);
    } else if (before == Health::degraded) {
      status_.reason = "within SLA again for " + format_duration(recover_hold_);
    } else {
      status_.reason = std::to_string(status_.metrics.targets_alive) + " of " +
                       std::to_string(targets_.size()) + " targets answering (" +
                       std::to_string(detect_.rise) + " good probes in a row";
      status_.reason += detect_.min_stable > Duration::zero() && status_.downs > 0
                            ? ", stable " + format_duration(detect_.min_stable) + ")"
                            : ")";
    }
    status_.health = health;
    status_.since = now;
    ++generation_;
  } else if (watches_changed) {
    if (health == Health::degraded) status_.reason = describe_watch_violation(watches_[0]);
    ++generation_;
  }
}

std::string LinkMonitor::describe_down() const {
  std::string silent;
  std::size_t count = 0;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].alive()) continue;
    silent += (count++ ? ", " : "") + target_names_[i];
  }
  return "no valid reply for " + format_duration(detect_.detection_time()) + " (" +
         std::to_string(detect_.multiplier) + " x " + format_duration(detect_.interval) +
         ") from " + silent + "; " + std::to_string(targets_.size() - count) + " of " +
         std::to_string(targets_.size()) + " answering, quorum " + std::to_string(quorum_);
}

std::string LinkMonitor::describe_watch_violation(const Thresholds& t) const {
  const auto& m = status_.metrics;
  std::string out;
  auto add = [&out](std::string part) { out += (out.empty() ? "" : ", ") + std::move(part); };
  if (t.rtt && m.srtt > *t.rtt)
    add("rtt " + format_duration(m.srtt) + " > " + format_duration(*t.rtt));
  if (t.jitter && m.jitter > *t.jitter)
    add("jitter " + format_duration(m.jitter) + " > " + format_duration(*t.jitter));
  if (t.loss && loss_exceeds(*t.loss))
    add("loss " + format_percent(m.loss) + " > " + format_percent(*t.loss));
  if (out.empty()) out = "recovering";  // crossed earlier, not yet stable within the limits
  return "outside SLA: " + out;
}

}  // namespace lifeline::links
