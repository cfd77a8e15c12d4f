#include "sim/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <queue>

#include "links/link_monitor.hpp"
#include "links/radio.hpp"
#include "policies/explain.hpp"
#include "policies/policy_engine.hpp"
#include "sim/random.hpp"

namespace lifeline::sim {
namespace {

using links::Health;
using links::LinkMonitor;
using policy::Decision;
using policy::PolicyEngine;
using policy::PolicyModel;

struct Arrival {
  TimePoint at;
  std::uint64_t seq;
  bool operator>(const Arrival& o) const { return at > o.at || (at == o.at && seq > o.seq); }
};

struct SimTarget {
  std::size_t link = 0;
  std::size_t index = 0;  // within the link
  Duration interval{};
  TimePoint next_send{};
  Random rng{0};
  std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> arrivals;
};

// One-way loss probability that gives round-trip loss `p` when both directions drop
// independently: (1 - q)^2 = 1 - p.
double one_way(double p) {
  return p >= 1 ? 1.0 : 1.0 - std::sqrt(1.0 - p);
}

// sigma of a normal RTT whose RFC 3550 jitter reads `jitter`: E|X1 - X2| = 2 sigma / sqrt(pi).
double sigma_for(Duration jitter) {
  return to_seconds(jitter) * std::sqrt(M_PI) / 2.0;
}

class Simulation {
 public:
  Simulation(const config::Config& config, const Scenario& scenario, const std::vector<links::Trust>& trust,
             const std::vector<links::LinkFacts>& attested)
      : scenario_(scenario),
        config_(config),
        attested_(attested),
        model_(PolicyModel::compile(config)),
        engine_(model_),
        origin_(TimePoint{} + warm_up(config)),
        end_(origin_ + scenario.duration) {
    const TimePoint start{};
    monitors_.reserve(config.links.size());
    for (std::size_t l = 0; l < config.links.size(); ++l) {
      monitors_.emplace_back(config.links[l], model_.watches[l], start);
    }
    own_ = scenario.baseline;
    refresh_paths();
    std::uint64_t seed = scenario.seed;
    for (std::size_t l = 0; l < config.links.size(); ++l) {
      const auto& link = config.links[l];
      for (std::size_t i = 0; i < link.probes.size(); ++i) {
        SimTarget t;
        t.link = l;
        t.index = i;
        t.interval = link.detect.interval;
        t.rng = Random(Random::splitmix64(seed));
        // A random phase, as two real probers would not tick in step.
        t.next_send = start + from_seconds(t.rng.uniform() * to_seconds(t.interval));
        targets_.push_back(std::move(t));
      }
    }
    inputs_.resize(config.links.size());
    for (std::size_t l = 0; l < monitors_.size(); ++l) {
      inputs_[l].status = &monitors_[l].status();
      if (l < trust.size()) inputs_[l].trust = trust[l];
    }
    // Radio: a watch per link whose modem the scenario simulates; its readings start with
    // the warm-up, so baselines are learnt by t = 0.
    quarantine_ = config.integrity.quarantine;
    radio_ = scenario.radio;
    radio_.resize(config.links.size());
    watches_.resize(config.links.size());
    next_reading_.assign(config.links.size(), TimePoint::max());
    radio_rng_ = Random(Random::splitmix64(seed));
    for (std::size_t l = 0; l < config.links.size(); ++l) {
      if (!radio_[l] || !config.links[l].radio) continue;
      watches_[l] = std::make_unique<links::RadioWatch>(*config.links[l].radio, start);
      next_reading_[l] = start + std::chrono::seconds(1);
    }
    generations_.assign(monitors_.size(), 0);
    health_.assign(monitors_.size(), Health::down);
    health_since_.assign(monitors_.size(), start);
    last_.state = policy::PolicyState::initial(model_);
    class_since_.assign(model_.classes.size(), start);
    result_.duration = scenario.duration;
    result_.seed = scenario.seed;
    for (const auto& c : config.classes) result_.classes.push_back({c.name, {}, 0, {}});
    for (const auto& l : config.links) result_.links.push_back({l.name, {}, 0, {}, {}, {}, 0, 0, 0, 0, 0});
    decide(start);
  }

  SimResult run() {
    // next_[k] for k < targets: target k's next send or arrival; then one slot per link
    // monitor deadline. Scanning this small flat array is the whole scheduler.
    const std::size_t nt = targets_.size();
    // Then one slot per link's radio (its next reading or stale deadline).
    const std::size_t nm = monitors_.size();
    next_.assign(nt + 2 * nm, TimePoint::max());
    for (std::size_t k = 0; k < nt; ++k) refresh_target(k);
    for (std::size_t l = 0; l < nm; ++l) next_[nt + l] = monitors_[l].next_deadline();
    for (std::size_t l = 0; l < nm; ++l) next_[nt + nm + l] = radio_due(l);

    std::size_t next_event = 0;
    const auto& events = scenario_.events;
    while (true) {
      // On equal times: scenario events first, then targets, then deadlines, then wakeups.
      TimePoint best =
          next_event < events.size() ? origin_ + events[next_event].at : TimePoint::max();
      std::size_t which = next_.size();
      for (std::size_t k = 0; k < next_.size(); ++k) {
        // Branch-free: which source is next is unpredictable, the scan itself is not.
        const bool earlier = next_[k] < best;
        best = earlier ? next_[k] : best;
        which = earlier ? k : which;
      }
      bool wakeup = false;
      if (last_.next_wakeup && *last_.next_wakeup < best) {
        best = *last_.next_wakeup;
        wakeup = true;
      }
      if (!recording_ && best >= origin_) start_recording();
      if (best > end_ || best == TimePoint::max()) break;

      if (wakeup) {
        decide(best);
      } else if (which == next_.size()) {
        const auto& e = events[next_event++];
        if (e.set) {
          own_[e.link] = e.set->apply(own_[e.link]);
          refresh_paths();
        }
        if (e.radio && radio_[e.link]) e.radio->apply(*radio_[e.link]);
        if (e.incident) incident(*e.incident, best);
      } else if (which < nt) {
        SimTarget& t = targets_[which];
        if (!t.arrivals.empty() && t.arrivals.top().at <= t.next_send) {
          arrive(t, best);
        } else {
          send(t, best);
        }
        refresh_target(which);
        next_[nt + t.link] = monitors_[t.link].next_deadline();
      } else if (which < nt + nm) {
        const std::size_t l = which - nt;
        monitors_[l].on_timer(best);
        observe(l, best);
        next_[which] = monitors_[l].next_deadline();
      } else {
        const std::size_t l = which - nt - nm;
        radio_step(l, best);
        next_[which] = radio_due(l);
      }
    }
    finish();
    return std::move(result_);
  }

 private:
  // The path each link's probes see; recomputed only when the scenario changes something.
  void refresh_paths() {
    path_.resize(own_.size());
    one_way_loss_.resize(own_.size());
    for (std::size_t l = 0; l < own_.size(); ++l) {
      path_[l] = effective(l);
      one_way_loss_[l] = one_way(path_[l].loss);
    }
  }

  PathParams effective(std::size_t l) const {
    PathParams p = own_[l];
    // A link carried over another rides its path too: delays add, losses compound.
    for (std::uint16_t u = model_.links[l].underlay; u != policy::kNoLink;
         u = model_.links[u].underlay) {
      const PathParams& q = own_[u];
      p.rtt += q.rtt;
      p.jitter = from_seconds(std::hypot(to_seconds(p.jitter), to_seconds(q.jitter)));
      p.loss = 1 - (1 - p.loss) * (1 - q.loss);
    }
    return p;
  }

  void refresh_target(std::size_t k) {
    const SimTarget& t = targets_[k];
    next_[k] = t.arrivals.empty() ? t.next_send : std::min(t.next_send, t.arrivals.top().at);
  }

  void send(SimTarget& t, TimePoint now) {
    const std::uint64_t seq = monitors_[t.link].on_probe_sent(t.index, now);
    ++result_.probes;
    t.next_send += t.interval;
    const PathParams& p = path_[t.link];
    if (t.rng.uniform() < one_way_loss_[t.link]) return;  // lost on the way out
    const double base = to_seconds(p.rtt);
    double rtt = base;
    if (p.jitter > Duration::zero())
      rtt = std::max(base / 2, base + sigma_for(p.jitter) * t.rng.normal());
    t.arrivals.push({now + from_seconds(rtt), seq});
  }

  void arrive(SimTarget& t, TimePoint now) {
    const Arrival a = t.arrivals.top();
    t.arrivals.pop();
    if (t.rng.uniform() < one_way_loss_[t.link]) return;  // lost on the way back
    monitors_[t.link].on_probe_reply(t.index, a.seq, now);
    observe(t.link, now);
  }

  // After link `l` handled an input: if its state moved, record it and re-run the policy in
  // the same turn, as the daemon does.
  void observe(std::size_t l, TimePoint now) {
    const auto& m = monitors_[l];
    if (m.generation() == generations_[l]) return;
    generations_[l] = m.generation();
    const Health h = m.status().health;
    if (h != health_[l]) {
      account_link(l, now);
      if (recording_) {
        if (h == Health::down) ++result_.links[l].downs;
        result_.timeline.push_back({now - origin_, TimelineEntry::Kind::link, m.name(),
                                    links::to_string(health_[l]), links::to_string(h),
                                    m.status().reason});
      }
      health_[l] = h;
    }
    decide(now);
  }

  // ---- radio integrity: the modem publishes once a second; findings as in the daemon -----
  TimePoint radio_due(std::size_t l) const {
    return watches_[l] ? std::min(next_reading_[l], watches_[l]->next_deadline()) : TimePoint::max();
  }

  void radio_step(std::size_t l, TimePoint now) {
    auto& watch = *watches_[l];
    std::vector<links::Finding> found;
    if (now >= next_reading_[l]) {
      next_reading_[l] += std::chrono::seconds(1);
      const RadioState& state = *radio_[l];
      if (!state.silent) {
        links::RadioReading reading = state.reading;
        if (reading.rsrp && state.rsrp_sigma > 0) {
          reading.rsrp = std::clamp(*reading.rsrp + state.rsrp_sigma * radio_rng_.normal(), -160.0, 0.0);
        }
        if (recording_) ++result_.links[l].readings;
        found = watch.on_reading(reading, now);
      }
    }
    if (now >= watch.next_deadline()) {
      auto stale = watch.on_timer(now);
      found.insert(found.end(), stale.begin(), stale.end());
    }
    if (!found.empty()) findings(l, found, now);
  }

  // As the daemon: a new finding is counted and reported; a violation (re)starts the link's
  // quarantine for classes that require integrity, and a quarantine that starts is decided at
  // once, in the same turn as the finding.
  // An incident report from the channel (verified, as the scenario says): every link it
  // names gets an `incident` finding; a violation lasts until the report expires.
  void incident(const ScenarioIncident& in, TimePoint now) {
    const auto& r = in.report;
    for (std::size_t l = 0; l < monitors_.size(); ++l) {
      links::LinkFacts facts = l < attested_.size() ? attested_[l] : links::LinkFacts{};
      if (const auto& radio = config_.links[l].radio) {
        facts.plmns = radio->plmns;
        facts.cells = radio->cells;
      }
      if (radio_[l]) {
        const auto& reading = radio_[l]->reading;
        if (reading.plmn) facts.plmns.push_back(*reading.plmn);
        if (reading.tac && reading.cell_id) facts.cells.push_back({*reading.tac, *reading.cell_id});
      }
      const auto what = links::incident_matches(r, facts);
      if (!what) continue;
      char until[32];
      std::snprintf(until, sizeof until, "%.3fs", to_seconds(now + in.expires_in - origin_));
      findings(l,
               {links::Finding{"incident", r.severity == "low" ? config::Verdict::suspicion : config::Verdict::violation,
                               "report " + r.id + " from " + r.reporter + ": " + r.category + " (" + r.severity +
                                   ") names " + *what + ", until " + until,
                               false}},
               now, "incident", now + in.expires_in);
    }
  }

  void findings(std::size_t l, const std::vector<links::Finding>& found, TimePoint now,
                const char* source = "radio", std::optional<TimePoint> until_at = std::nullopt) {
    auto& admin = inputs_[l].admin;
    const bool was_quarantined = admin.quarantined_until && *admin.quarantined_until > now;
    bool violation = false, fresh_violation = false;
    std::string evidence;
    for (const auto& f : found) {
      if (f.verdict == config::Verdict::ignore) continue;
      const bool is_violation = f.verdict == config::Verdict::violation;
      if (is_violation) {
        violation = true;
        evidence += (evidence.empty() ? "" : "; ") + f.evidence;
      }
      if (f.renewed) continue;
      fresh_violation = fresh_violation || is_violation;
      if (recording_) {
        ++result_.links[l].findings;
        result_.timeline.push_back({now - origin_, TimelineEntry::Kind::finding, monitors_[l].name(), f.rule,
                                    is_violation ? "violation" : "suspicion", f.evidence});
      }
    }
    if (!violation) return;
    const TimePoint until = until_at.value_or(now + quarantine_);
    if (!admin.quarantined_until || *admin.quarantined_until < until) {
      admin.quarantined_until = until;
      char text[32];
      std::snprintf(text, sizeof text, "%.3fs", to_seconds(until - origin_));
      admin.quarantine_until_text = text;
    }
    if (!was_quarantined || fresh_violation) {
      const double t = to_seconds(now - origin_);
      char at[32];
      std::snprintf(at, sizeof at, "%.3fs", t);
      admin.quarantine_reason = std::string(source) + ": " + evidence + " at " + at;
    }
    if (!was_quarantined) {
      if (recording_) ++result_.links[l].quarantines;
      decide(now);
    }
  }

  void decide(TimePoint now) {
    ++result_.decisions;
    Decision next = engine_.decide(inputs_, {}, std::move(last_.state), now);
    for (std::size_t c = 0; c < next.classes.size(); ++c) {
      const auto& d = next.classes[c];
      if (!d.changed()) continue;
      account_class(c, d.previous, now);
      if (recording_) {
        ++result_.classes[c].switches;
        result_.timeline.push_back({now - origin_, TimelineEntry::Kind::klass,
                                    model_.classes[c].name, policy::target_name(model_, d.previous),
                                    policy::target_name(model_, d.target),
                                    policy::reason_text(model_, inputs_, next, c)});
      }
    }
    last_ = std::move(next);
  }

  void start_recording() {
    recording_ = true;
    for (std::size_t c = 0; c < result_.classes.size(); ++c) {
      result_.classes[c].initial = policy::target_name(model_, last_.classes[c].target);
      class_since_[c] = origin_;
    }
    for (std::size_t l = 0; l < result_.links.size(); ++l) {
      result_.links[l].initial = links::to_string(health_[l]);
      health_since_[l] = origin_;
      const auto& m = monitors_[l];
      for (std::size_t i = 0; i < m.target_count(); ++i) {
        sent_at_origin_.push_back(m.target(i).sent());
        lost_at_origin_.push_back(m.target(i).lost());
      }
    }
  }

  void account_class(std::size_t c, policy::Target previous, TimePoint now) {
    if (recording_ && previous.kind != policy::TargetKind::none) {
      const std::string name = policy::target_name(model_, previous);
      auto& time_on = result_.classes[c].time_on;
      auto it = std::find_if(time_on.begin(), time_on.end(),
                             [&](const auto& e) { return e.first == name; });
      if (it == time_on.end()) it = time_on.insert(time_on.end(), {name, Duration::zero()});
      it->second += now - class_since_[c];
    }
    class_since_[c] = now;
  }

  void account_link(std::size_t l, TimePoint now) {
    if (recording_) {
      auto& s = result_.links[l];
      const Duration d = now - health_since_[l];
      (health_[l] == Health::up         ? s.time_up
       : health_[l] == Health::degraded ? s.time_degraded
                                        : s.time_down) += d;
    }
    health_since_[l] = now;
  }

  void finish() {
    if (!recording_) start_recording();
    for (std::size_t c = 0; c < result_.classes.size(); ++c) {
      account_class(c, last_.classes[c].target, end_);
    }
    std::size_t k = 0;
    for (std::size_t l = 0; l < monitors_.size(); ++l) {
      account_link(l, end_);
      const auto& m = monitors_[l];
      for (std::size_t i = 0; i < m.target_count(); ++i, ++k) {
        result_.links[l].probes_sent += m.target(i).sent() - sent_at_origin_[k];
        result_.links[l].probes_lost += m.target(i).lost() - lost_at_origin_[k];
      }
    }
  }

  const Scenario& scenario_;
  const config::Config& config_;
  const std::vector<links::LinkFacts>& attested_;
  PolicyModel model_;
  PolicyEngine engine_;
  TimePoint origin_;
  TimePoint end_;
  std::vector<LinkMonitor> monitors_;
  std::vector<PathParams> own_;   // each link's own path, as the scenario sets it
  std::vector<PathParams> path_;  // with its underlays
  std::vector<double> one_way_loss_;
  std::vector<SimTarget> targets_;
  std::vector<TimePoint> next_;
  std::vector<policy::LinkInput> inputs_;
  std::vector<std::uint64_t> generations_;
  std::vector<Health> health_;
  std::vector<TimePoint> health_since_;
  std::vector<TimePoint> class_since_;
  std::vector<std::uint64_t> sent_at_origin_;
  std::vector<std::uint64_t> lost_at_origin_;
  Decision last_;
  Duration quarantine_{};
  std::vector<std::optional<RadioState>> radio_;  // each link's modem, as the scenario sets it
  std::vector<std::unique_ptr<links::RadioWatch>> watches_;
  std::vector<TimePoint> next_reading_;
  Random radio_rng_{0};
  bool recording_ = false;
  SimResult result_;
};

}  // namespace

Duration warm_up(const config::Config& config) {
  Duration longest{};
  for (const auto& c : config.classes) longest = std::max(longest, c.failback);
  return kWarmUp + longest;
}

SimResult simulate(const config::Config& config, const Scenario& scenario,
                   const std::vector<links::Trust>& trust, const std::vector<links::LinkFacts>& attested) {
  Simulation simulation(config, scenario, trust, attested);
  return simulation.run();
}

}  // namespace lifeline::sim
