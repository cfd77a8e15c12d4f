#include "controller/metrics/families.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <string_view>
#include <utility>

namespace lifeline::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// The values a one-hot family always carries, so that `== 1` and `== 0` both mean something
// (a state that is absent would make an alert on it silently never fire).
constexpr std::array<std::string_view, 3> kHealthStates = {"up", "degraded", "down"};
constexpr std::array<std::string_view, 3> kTrustLevels = {"attested", "unattested", "violating"};

double seconds_since_epoch(snapshot::SystemTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

double as_double(std::uint64_t n) {
  return static_cast<double>(n);
}
double as_double(bool b) {
  return b ? 1.0 : 0.0;
}

// One metric family being filled; empty families are not exposed.
class Family {
 public:
  Family(std::string name, std::string help, MetricType type) : type_(type) {
    family_.name = std::move(name);
    family_.help = std::move(help);
    family_.type = type;
  }

  Family& add(Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    if (type_ == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    family_.metric.push_back(std::move(m));
    return *this;
  }

  Family& add_histogram(Labels labels, const snapshot::Histogram& h) {
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = h.sum;
    // The snapshot's buckets are already cumulative (Prometheus' shape); +Inf is the count.
    const std::size_t n = std::min(h.bounds.size(), h.counts.size());
    for (std::size_t i = 0; i < n; ++i) {
      m.histogram.bucket.push_back({h.counts[i], h.bounds[i]});
    }
    m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
    family_.metric.push_back(std::move(m));
    return *this;
  }

  void move_into(std::vector<MetricFamily>& out) {
    if (!family_.metric.empty()) out.push_back(std::move(family_));
  }

 private:
  MetricType type_;
  MetricFamily family_;
};

// Families are collected here in the order they are declared, one per name.
class Families {
 public:
  Family& counter(std::string name, std::string help) {
    return add(std::move(name), std::move(help), MetricType::Counter);
  }
  Family& gauge(std::string name, std::string help) {
    return add(std::move(name), std::move(help), MetricType::Gauge);
  }
  Family& histogram(std::string name, std::string help) {
    return add(std::move(name), std::move(help), MetricType::Histogram);
  }

  std::vector<MetricFamily> take() {
    std::vector<MetricFamily> out;
    out.reserve(families_.size());
    for (auto& f : families_) f.move_into(out);
    return out;
  }

 private:
  Family& add(std::string name, std::string help, MetricType type) {
    families_.emplace_back(std::move(name), std::move(help), type);
    return families_.back();
  }

  std::deque<Family> families_;  // a deque: the references handed out stay valid
};

// A one-hot family: one sample per known value, 1 for the current one; an unknown current
// value is exposed too rather than hidden.
template <std::size_t N>
void one_hot(Family& family, const Labels& base, const char* label,
             const std::array<std::string_view, N>& known, const std::string& current) {
  for (const auto value : known) {
    Labels labels = base;
    labels.push_back({label, std::string(value)});
    family.add(std::move(labels), as_double(value == current));
  }
  if (std::find(known.begin(), known.end(), current) == known.end()) {
    Labels labels = base;
    labels.push_back({label, current});
    family.add(std::move(labels), 1);
  }
}

// The last drill's report (docs/drills.md): what an operator graphs drill after drill.
void add_last_drill(Families& f, const snapshot::Daemon& d) {
  if (!d.last_drill_report) return;
  const auto& r = *d.last_drill_report;
  f.gauge("lifeline_drill_last_timestamp_seconds",
          "When the last drill finished, in seconds since the epoch")
      .add({{"link", r.link}, {"fault", r.fault}, {"state", r.state}},
           seconds_since_epoch(r.finished));
  f.gauge("lifeline_drill_last_passed", "1 if the last drill passed, 0 if it did not")
      .add({{"link", r.link}, {"fault", r.fault}}, as_double(r.passed));
  auto& passed = f.gauge("lifeline_drill_class_passed",
                         "1 if the class met every drill target in the last drill, 0 if not");
  auto& detection = f.gauge("lifeline_drill_class_detection_seconds",
                            "Last drill: fault start to the drilled link declared down");
  auto& switchover = f.gauge("lifeline_drill_class_switch_seconds",
                             "Last drill: link declared down to the class's routes replaced");
  auto& outage = f.gauge("lifeline_drill_class_outage_seconds",
                         "Last drill: fault start to the class's routes replaced");
  auto& failback = f.gauge("lifeline_drill_class_failback_seconds",
                           "Last drill: fault end to the class's routes back on the drilled link");
  for (const auto& c : r.classes) {
    const Labels labels = {{"class", c.cls}, {"link", r.link}};
    passed.add(labels, as_double(c.passed));
    if (c.detection_seconds) detection.add(labels, *c.detection_seconds);
    if (c.switch_seconds) switchover.add(labels, *c.switch_seconds);
    if (c.outage_seconds) outage.add(labels, *c.outage_seconds);
    if (c.failback_seconds) failback.add(labels, *c.failback_seconds);
  }
}

void add_daemon(Families& f, const snapshot::Daemon& d) {
  f.gauge("lifeline_node_info", "The node name of this lifelined (config: node); always 1")
      .add({{"node", d.node}}, 1);
  f.gauge("lifeline_start_time_seconds", "When lifelined started, in seconds since the epoch")
      .add({}, seconds_since_epoch(d.started));
  f.gauge("lifeline_settled",
          "1 once the links have been measured and the policy places the classes, 0 while "
          "lifelined is settling after its start")
      .add({}, as_double(d.settled));
  f.counter("lifeline_decisions_total", "Policy decisions taken (each may move several classes)")
      .add({}, as_double(d.decisions));
  f.histogram("lifeline_decision_duration_seconds",
              "Time to take a policy decision and apply it (routes replaced), in seconds")
      .add_histogram({}, d.decision_seconds);
  f.histogram("lifeline_loop_lag_seconds",
              "How late the event loop handled what was due: timer handlers after their expiry "
              "(source=timer), probe replies after the kernel received them (source=reply)")
      .add_histogram({{"source", "timer"}}, d.loop.timer_lag)
      .add_histogram({{"source", "reply"}}, d.loop.reply_lag);
  f.gauge("lifeline_loop_lag_max_seconds",
          "The largest loop lag of the last minute, by source; compare with "
          "lifeline_link_detection_time_seconds")
      .add({{"source", "timer"}}, d.loop.timer_lag_max_recent)
      .add({{"source", "reply"}}, d.loop.reply_lag_max_recent);
  f.gauge("lifeline_worker_jobs_queued",
          "Slow work waiting off the event loop: worker=kernel (conntrack, route dumps, "
          "nftables, NSS), worker=journal (writes and queries)")
      .add({{"worker", "kernel"}}, static_cast<double>(d.loop.worker_queued))
      .add({{"worker", "journal"}}, static_cast<double>(d.loop.journal_queued));
  f.counter("lifeline_netlink_requests_total", "Netlink requests sent to the kernel")
      .add({}, as_double(d.netlink_requests));
  f.counter("lifeline_netlink_errors_total",
            "Netlink requests that failed or got no answer within 1 s")
      .add({}, as_double(d.netlink_errors));
  f.counter("lifeline_route_errors_total", "Class route switches that could not be applied")
      .add({}, as_double(d.route_errors));
  f.counter("lifeline_nftables_errors_total", "Classification rulesets that nftables refused")
      .add({}, as_double(d.nftables_errors));
  f.counter("lifeline_conntrack_errors_total", "Conntrack flushes that failed")
      .add({}, as_double(d.conntrack_errors));
  f.counter("lifeline_conntrack_walks_total",
            "Walks of the kernel's conntrack table (one per flush, however many classes moved)")
      .add({}, as_double(d.conntrack_walks));
  f.counter("lifeline_conntrack_flows_flushed_total",
            "Conntrack entries of moved classes deleted so their flows re-establish on the new link")
      .add({}, as_double(d.conntrack_flows_flushed));
  f.counter("lifeline_drift_repairs_total",
            "Periodic reconciles that found the kernel differing from the plan and repaired it")
      .add({}, as_double(d.drift_repairs));

  f.gauge("lifeline_config_last_reload_successful",
          "1 if the last configuration reload (SIGHUP) succeeded or none was tried, 0 if it "
          "was refused and the previous configuration is still running")
      .add({}, as_double(d.last_reload_ok));
  f.gauge("lifeline_config_last_reload_success_timestamp_seconds",
          "When the running configuration was loaded (start or last successful reload), in "
          "seconds since the epoch")
      .add({}, seconds_since_epoch(d.config_loaded));
  if (d.last_reload) {
    f.gauge("lifeline_config_last_reload_timestamp_seconds",
            "When the last reload was tried, successful or not, in seconds since the epoch")
        .add({}, seconds_since_epoch(*d.last_reload));
  }
  f.counter("lifeline_config_reloads_total", "Configuration reloads tried, by result")
      .add({{"result", "success"}}, as_double(d.reloads_ok))
      .add({{"result", "failure"}}, as_double(d.reloads_failed));

  f.gauge("lifeline_drill_running", "1 while a failover drill is running")
      .add({}, as_double(d.drill && d.drill->state == "running"));
  f.counter("lifeline_drills_total",
            "Failover drills finished since lifelined started, by result: passed, failed (a "
            "target missed) or aborted")
      .add({{"result", "passed"}}, as_double(d.drills_passed))
      .add({{"result", "failed"}}, as_double(d.drills_failed))
      .add({{"result", "aborted"}}, as_double(d.drills_aborted));
  add_last_drill(f, d);

  f.gauge("lifeline_journal_up",
          "1 if the journal is open, 0 if lifelined runs without one (it could not be opened)")
      .add({}, as_double(d.journal.has_value()));
  if (d.journal) {
    f.gauge("lifeline_journal_rows", "Events in the journal").add({}, as_double(d.journal->rows));
    f.counter("lifeline_journal_errors_total",
              "Events and drill reports the journal could not record, and failed queries")
        .add({}, as_double(d.journal->errors));
  }
  if (d.incidents) {
    const auto& i = *d.incidents;
    f.counter("lifeline_incidents_received_total",
              "Messages from the incident channel by result: accepted (verified, new, in force), duplicate, "
              "bad_signature (no allowed reporter's key verifies it), malformed, expired, flooded (over 50 a second)")
        .add({{"result", "accepted"}}, as_double(i.accepted))
        .add({{"result", "duplicate"}}, as_double(i.duplicate))
        .add({{"result", "bad_signature"}}, as_double(i.bad_signature))
        .add({{"result", "malformed"}}, as_double(i.malformed))
        .add({{"result", "expired"}}, as_double(i.expired))
        .add({{"result", "flooded"}}, as_double(i.flooded));
    f.counter("lifeline_incidents_published_total",
              "Our own findings shared as signed reports by result: sent, failed (not queued), rate_limited")
        .add({{"result", "sent"}}, as_double(i.published))
        .add({{"result", "failed"}}, as_double(i.publish_failed))
        .add({{"result", "rate_limited"}}, as_double(i.rate_limited));
    f.counter("lifeline_incident_quarantines_total", "Quarantines of our links that a received report started")
        .add({}, as_double(i.quarantines));
  }
}

void add_links(Families& f, const snapshot::Daemon& d, snapshot::SystemTime now) {
  auto& info = f.gauge("lifeline_link_info",
                       "Static facts about a link (interface, kind); always 1, for joins");
  auto& state = f.gauge("lifeline_link_state",
                        "1 for the link's current health state (up, degraded, down), 0 for the "
                        "others");
  auto& changed = f.gauge("lifeline_link_state_change_timestamp_seconds",
                          "When the link's health state last changed, in seconds since the "
                          "epoch");
  auto& in_state = f.gauge("lifeline_link_time_in_state_seconds",
                           "Seconds since the link's health state last changed");
  auto& state_seconds = f.counter("lifeline_link_state_seconds_total",
                                  "Seconds the link spent in each health state since lifelined "
                                  "started");
  auto& downs = f.counter("lifeline_link_downs_total", "Times the link went down");
  auto& detection = f.gauge("lifeline_link_detection_time_seconds",
                            "How long the link's probes may go unanswered before it is down "
                            "(detect: interval x multiplier)");
  auto& rtt = f.gauge("lifeline_link_rtt_seconds",
                      "Smoothed round-trip time of the link's probes (RFC 6298 SRTT), in "
                      "seconds; absent until a probe was answered");
  auto& rttvar = f.gauge("lifeline_link_rttvar_seconds",
                         "Round-trip time variation of the link's probes (RFC 6298 RTTVAR), in "
                         "seconds; absent until a probe was answered");
  auto& jitter = f.gauge("lifeline_link_jitter_seconds",
                         "Interarrival jitter of the link's probes (RFC 3550), in seconds; "
                         "absent until a probe was answered");
  auto& loss = f.gauge("lifeline_link_loss_ratio",
                       "Share of the link's probes lost over the loss window (0 to 1)");
  auto& alive =
      f.gauge("lifeline_link_targets_alive", "Probe targets of the link that currently answer");
  auto& target_up = f.gauge("lifeline_link_target_up",
                            "1 if the probe target currently answers, 0 if it is down");
  auto& sent = f.counter("lifeline_link_probes_sent_total", "Probes sent to the target");
  auto& answered = f.counter("lifeline_link_probes_answered_total",
                             "Probes that got a valid reply from the target");
  auto& lost = f.counter("lifeline_link_probes_lost_total",
                         "Probes resolved as lost (no valid reply in time), outages included");
  auto& auth = f.counter("lifeline_link_auth_failures_total",
                         "Probe replies refused before they could count as a sign of life: "
                         "bad_mac, unknown_key, wrong_session (a replay from an earlier run), "
                         "malformed");
  auto& replays = f.counter("lifeline_link_replays_total",
                            "Authenticated probe replies whose sequence number was not "
                            "outstanding: duplicate (a replay within this run), late (after the "
                            "probe was resolved as lost), unknown_seq (never sent)");
  auto& drained =
      f.gauge("lifeline_link_drained", "1 while the link is drained by an operator or a drill");
  auto& quarantined = f.gauge("lifeline_link_quarantined",
                              "1 while the link is quarantined after an integrity violation");
  auto& suppressed = f.gauge("lifeline_link_suppressed",
                             "1 while the link is suppressed by flap dampening (RFC 2439)");
  auto& penalty = f.gauge("lifeline_link_dampening_penalty",
                          "The link's current flap dampening penalty (RFC 2439 figure of merit)");
  auto& findings = f.counter("lifeline_link_findings_total",
                             "Integrity findings on the link (path: forged, replayed or rerouted probe "
                             "replies; radio: the modem's telemetry) by rule and verdict: a violation "
                             "quarantines the link for classes that require integrity, a suspicion is "
                             "only reported");
  auto& readings = f.counter("lifeline_link_radio_readings_total",
                             "Messages on the link's radio telemetry feed by result: accepted (a reading "
                             "of its modem), malformed (dropped), other_modem (another modem's reading)");
  auto& stale = f.gauge("lifeline_link_radio_stale",
                        "1 while the link's radio telemetry feed has sent nothing for radio.stale_after");
  auto& reading_at = f.gauge("lifeline_link_radio_last_reading_timestamp_seconds",
                             "When the link's modem last sent an accepted reading (Unix time)");
  auto& rule_active = f.gauge("lifeline_link_radio_rule_active",
                              "1 for each radio-integrity rule whose condition holds now on the link");
  auto& trust = f.gauge("lifeline_link_trust",
                        "1 for the link's current trust level (attested, unattested, "
                        "violating), 0 for the others");

  for (const auto& l : d.links) {
    const Labels link = {{"link", l.name}};
    info.add({{"link", l.name}, {"interface", l.interface}, {"kind", l.kind}}, 1);
    for (const auto& fnd : l.findings) {
      findings.add({{"link", l.name}, {"rule", fnd.rule}, {"verdict", fnd.verdict}}, as_double(fnd.count));
    }
    one_hot(state, link, "state", kHealthStates, l.health);
    changed.add(link, seconds_since_epoch(l.since));
    in_state.add(link, std::max(0.0, std::chrono::duration<double>(now - l.since).count()));
    state_seconds.add({{"link", l.name}, {"state", "up"}}, l.seconds_up)
        .add({{"link", l.name}, {"state", "degraded"}}, l.seconds_degraded)
        .add({{"link", l.name}, {"state", "down"}}, l.seconds_down);
    downs.add(link, as_double(l.downs));
    detection.add(link, l.detection_seconds);
    if (l.has_rtt) {
      rtt.add(link, l.rtt_seconds);
      rttvar.add(link, l.rttvar_seconds);
      jitter.add(link, l.jitter_seconds);
    }
    loss.add(link, l.loss_ratio);
    alive.add(link, static_cast<double>(l.targets_alive));
    for (const auto& t : l.targets) {
      const Labels target = {{"link", l.name}, {"target", t.name}};
      target_up.add(target, as_double(t.alive));
      sent.add(target, as_double(t.sent));
      answered.add(target, as_double(t.answered));
      lost.add(target, as_double(t.lost));
    }
    const std::pair<const char*, std::uint64_t> auth_reasons[] = {
        {"bad_mac", l.bad_mac},
        {"unknown_key", l.unknown_key},
        {"wrong_session", l.wrong_session},
        {"malformed", l.malformed}};
    for (const auto& [reason, n] : auth_reasons) {
      auth.add({{"link", l.name}, {"reason", reason}}, as_double(n));
    }
    const std::pair<const char*, std::uint64_t> replay_reasons[] = {
        {"duplicate", l.duplicate}, {"late", l.late}, {"unknown_seq", l.unknown_seq}};
    for (const auto& [reason, n] : replay_reasons) {
      replays.add({{"link", l.name}, {"reason", reason}}, as_double(n));
    }
    drained.add(link, as_double(l.drained_until.has_value()));
    quarantined.add(link, as_double(l.quarantined_until.has_value()));
    suppressed.add(link, as_double(l.suppressed));
    penalty.add(link, l.penalty);
    one_hot(trust, link, "trust", kTrustLevels, l.trust);
    if (l.radio) {
      readings.add({{"link", l.name}, {"result", "accepted"}}, as_double(l.radio->readings))
          .add({{"link", l.name}, {"result", "malformed"}}, as_double(l.radio->malformed))
          .add({{"link", l.name}, {"result", "other_modem"}}, as_double(l.radio->other_modem));
      stale.add(link, as_double(l.radio->stale));
      if (l.radio->last_reading) reading_at.add(link, seconds_since_epoch(*l.radio->last_reading));
      for (const auto& rule : l.radio->active) rule_active.add({{"link", l.name}, {"rule", rule}}, 1);
    }
  }
}

void add_classes(Families& f, const snapshot::Daemon& d) {
  auto& info = f.gauge("lifeline_class_info",
                       "Static facts about a class (precedence, what it does when no link "
                       "fits); always 1, for joins");
  auto& target = f.gauge("lifeline_class_target_info",
                         "The class's current target: a link, blackhole (fails closed), main "
                         "(the ordinary routes) or none; always 1");
  auto& since = f.gauge("lifeline_class_target_since_timestamp_seconds",
                        "When the class took its current target, in seconds since the epoch");
  auto& preferred = f.gauge("lifeline_class_on_preferred_link",
                            "1 while the class is carried by the first link of its list, 0 when "
                            "it is on a backup, on main or black-holed");
  auto& pinned = f.gauge("lifeline_class_pinned", "1 while an operator pin is set on the class");
  auto& switches = f.counter("lifeline_class_switches_total",
                             "Times the class's routes moved, by from, to and reason");
  auto& last = f.gauge("lifeline_class_last_switch_timestamp_seconds",
                       "When the class's routes last moved, in seconds since the epoch; absent "
                       "until the first switch");
  auto& last_duration = f.gauge("lifeline_class_last_switch_duration_seconds",
                                "Time from the start of the decision to the routes being "
                                "replaced, of the class's last switch, in seconds");

  for (const auto& c : d.classes) {
    const Labels cls = {{"class", c.name}};
    info.add({{"class", c.name}, {"precedence", c.precedence}, {"when_none", c.when_none}}, 1);
    target.add({{"class", c.name}, {"target", c.target.name}, {"kind", c.target.kind}}, 1);
    since.add(cls, seconds_since_epoch(c.since));
    preferred.add(cls, as_double(c.target.kind == "link" && !c.links.empty() &&
                                 c.target.name == c.links.front()));
    pinned.add(cls, as_double(c.pin.has_value()));
    for (const auto& s : c.switches) {
      switches.add({{"class", c.name}, {"from", s.from}, {"to", s.to}, {"reason", s.reason}},
                   as_double(s.count));
    }
    if (c.last_switch) {
      last.add(cls, seconds_since_epoch(*c.last_switch));
      last_duration.add(cls, c.last_switch_seconds);
    }
  }
}

}  // namespace

std::vector<prometheus::MetricFamily> build_families(const snapshot::Daemon* daemon,
                                                     snapshot::SystemTime now,
                                                     const ExporterFacts& facts) {
  Families f;
  f.gauge("lifeline_build_info", "The version of lifelined serving these metrics; always 1")
      .add({{"version", facts.version}}, 1);
  f.gauge("lifeline_snapshot_ok",
          "1 if this scrape got the daemon's state, 0 if its event loop did not answer in time "
          "(then only build info and this are exposed)")
      .add({}, as_double(daemon != nullptr));
  f.counter("lifeline_snapshot_failures_total",
            "Scrapes that got no state from the event loop in time, since lifelined started")
      .add({}, as_double(facts.snapshot_failures));
  if (daemon) {
    add_daemon(f, *daemon);
    add_links(f, *daemon, now);
    add_classes(f, *daemon);
  }
  return f.take();
}

}  // namespace lifeline::metrics
