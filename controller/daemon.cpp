#include "controller/daemon.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <deque>
#include <set>
#include <ctime>
#include <future>
#include <map>
#include <random>

#include "common/log.hpp"
#include "common/utc_time.hpp"
#include "config/loader.hpp"
#include "controller/daemon_api.hpp"
#include "controller/event_json.hpp"
#include "controller/flow_flusher.hpp"
#include "controller/journal_thread.hpp"
#include "controller/loop_lag.hpp"
#include "controller/realtime.hpp"
#include "controller/reload_plan.hpp"
#include "controller/trust_files.hpp"
#include "controller/worker.hpp"
#include "links/attestation.hpp"
#include "links/hop_watch.hpp"
#include "links/incident.hpp"
#include "links/link_monitor.hpp"
#include "links/probes/keys.hpp"
#include "links/radio.hpp"
#include "links/rtt_floor_watch.hpp"
#include "policies/explain.hpp"
#include "policies/policy_engine.hpp"

namespace lifeline::daemon {

namespace asio = boost::asio;

namespace {

TimePoint now() { return std::chrono::steady_clock::now(); }

std::string probe_path(std::size_t link, std::size_t probe) {
  return "links[" + std::to_string(link) + "].probes[" + std::to_string(probe) + "]";
}

// Identity of a link's probing: if none of this changed on reload, its monitor, probers and
// timers carry on without a gap.
void notify(const std::string& state) { ::sd_notify(0, state.c_str()); }

using SystemTime = std::chrono::system_clock::time_point;

// The wall-clock instant of a steady-clock instant (for people, events and the journal).
SystemTime wall(TimePoint t) {
  const auto steady_now = now();
  const auto system_now = std::chrono::system_clock::now();
  return system_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - steady_now);
}

double seconds_between(TimePoint a, TimePoint b) { return to_seconds(b - a); }

std::string actor_name(const api::Actor& by) {
  std::string who = by.user.empty() ? "unknown user" : by.user;
  if (!by.peer.transport.empty()) {
    who += " via " + by.peer.transport;
    if (!by.peer.identity.empty()) who += " (" + by.peer.identity + ")";
  }
  return who;
}

// Buckets of the decision-latency histogram (seconds): decide + applying its result.
constexpr double kDecisionBuckets[] = {10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3,
                                       2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3};

}  // namespace

std::vector<std::string> check_keys(const config::Config& config) {
  std::vector<std::string> problems;
  for (std::size_t l = 0; l < config.links.size(); ++l) {
    const auto& probes = config.links[l].probes;
    for (std::size_t p = 0; p < probes.size(); ++p) {
      if (probes[p].type != config::ProbeType::udp_echo) continue;
      std::string error;
      if (!probes::load_key_file(probes[p].key_file, error)) {
        problems.push_back(config.source + ": " + probe_path(l, p) + ".key_file: " + error);
      }
    }
  }
  return problems;
}

ProberFactory socket_probers() {
  return [](asio::io_context& io, const config::ProbeConfig& probe, probes::ProbeSpec spec,
            probes::Prober::Handler handler) -> std::unique_ptr<probes::Prober> {
    if (probe.type == config::ProbeType::udp_echo) {
      return probes::make_udp_echo_prober(io, std::move(spec), std::move(handler));
    }
    return probes::make_icmp_prober(io, std::move(spec), std::move(handler));
  };
}

// ---------------------------------------------------------------------------------------

struct Daemon::Impl : api::DaemonApi {
  struct Target {
    std::size_t index = 0;  // within the link
    Duration interval{};
    TimePoint next_send{};
    std::unique_ptr<probes::Prober> prober;
    std::unique_ptr<asio::steady_timer> timer;
  };

  struct RadioCounters {
    std::uint64_t readings = 0, malformed = 0, other_modem = 0;
  };

  struct Link {
    config::LinkConfig config;
    std::unique_ptr<links::LinkMonitor> monitor;
    std::vector<std::unique_ptr<Target>> targets;
    std::unique_ptr<asio::steady_timer> deadline_timer;
    TimePoint armed{TimePoint::max()};
    std::uint64_t generation = 0;
    links::Health health = links::Health::down;
    // Operator drain (the policy reads it through LinkInput::admin).
    std::optional<TimePoint> drained_until;
    std::string drain_reason;
    std::string drained_by;
    // Vendor attestation (refresh_trust); the policy reads it through LinkInput::trust.
    links::Trust trust = links::Trust::unattested;
    std::string trust_reason = "no attestation configured";
    // From the accepted attestation: what incident reports may name (docs/incidents.md).
    std::string operator_name;
    std::vector<std::string> vendors;
    // Integrity quarantine (path_finding); the policy reads it through LinkInput::admin.
    std::optional<TimePoint> quarantined_until;
    std::string quarantine_reason;
    // Findings by (rule, verdict), and when each rule last reported one (rate limit).
    std::map<std::pair<std::string, std::string>, std::uint64_t> findings;
    std::map<std::string, TimePoint> last_finding;
    std::vector<links::HopWatch> hops;  // per probe target
    std::vector<links::RttFloorWatch> floors;  // per probe target
    // Radio integrity (make_radio): the rules, the feed subscription, the stale timer.
    std::unique_ptr<links::RadioWatch> radio;
    std::shared_ptr<void> radio_feed;
    std::uint64_t radio_id = 0;
    std::unique_ptr<asio::steady_timer> radio_timer;
    RadioCounters radio_counters;
    // Time spent in each health state (index: links::Health), up to health_since.
    std::array<Duration, 3> time_in{};
    TimePoint health_since{};
    // Shared with the probers' handlers: false once this Link is gone (reload), so a
    // handler that races with destruction does nothing.
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  };

  // Per class, what the operations side reports.
  struct ClassBook {
    std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> switches;
    std::optional<TimePoint> last_switch;
    double last_switch_seconds = 0;
    std::string pinned_by;
  };

  // A drill in progress (or the last one, until the next starts).
  struct DrillRun {
    std::string id;
    std::size_t link = 0;
    std::string link_name;
    api::Fault fault;
    Duration hold{};
    TimePoint started{};
    SystemTime started_wall{};
    std::optional<TimePoint> fault_ended;
    std::optional<TimePoint> link_down;
    std::string state = "running";  // running | completed | aborted
    std::string abort_reason;
    struct ClassRun {
      std::size_t cls = 0;
      std::string to;
      std::optional<TimePoint> switched;
      double switch_seconds = 0;
      std::optional<TimePoint> back;
    };
    std::vector<ClassRun> classes;  // classes on the drilled link when it started
    std::unique_ptr<links::LinkStatus> simulated;  // simulate: what the policy sees instead
    std::unique_ptr<asio::steady_timer> timer;
  };

  Impl(config::Config c, Effects e, Options o)
      : config(std::move(c)),
        effects(std::move(e)),
        options(std::move(o)),
        signals(io, SIGTERM, SIGINT, SIGHUP),
        wakeup_timer(io),
        reconcile_timer(io),
        settle_timer(io),
        watchdog_timer(io),
        retention_timer(io),
        trust_timer(io) {
    std::random_device rd;
    session = (std::uint64_t{rd()} << 32) ^ rd();
    started_wall = std::chrono::system_clock::now();
    config_loaded = started_wall;
    decision_histogram.bounds.assign(std::begin(kDecisionBuckets), std::end(kDecisionBuckets));
    decision_histogram.counts.assign(decision_histogram.bounds.size(), 0);
  }

  // ---- start and stop ------------------------------------------------------------------
  int run() {
    if (auto error = effects.classifier->apply(config); !error.empty()) {
      ++nftables_errors;
      log::error("cannot install the nftables classification: " + error);
      return 1;
    }
    // A drill never outlives the daemon: a fault left by a run that died is removed now.
    if (effects.faults) {
      if (auto error = effects.faults->clear(); !error.empty()) {
        log::warning("cannot remove a leftover drill fault: " + error);
      }
    }
    if (!start_operations()) return 1;
    try {
      incident_io = make_incidents(config);
    } catch (const std::exception& e) {
      log::error(std::string("cannot join the incident channel: ") + e.what());
      return 1;
    }
    model = std::make_unique<policy::PolicyModel>(policy::PolicyModel::compile(config));
    engine = std::make_unique<policy::PolicyEngine>(*model);
    const TimePoint start = now();
    try {
      for (std::size_t l = 0; l < config.links.size(); ++l) {
        links.push_back(make_link(config.links[l], model->watches[l], start));
        install_radio(*links.back(), make_radio(config.links[l], l, start));
      }
    } catch (const std::exception& e) {
      log::error(std::string("cannot set up probes: ") + e.what());
      return 1;
    }
    rebuild_inputs();
    lag_warning = half_smallest_detection(config);
    last.state = policy::PolicyState::initial(*model);
    applied.assign(config.classes.size(), policy::Target{});
    installed.assign(config.classes.size(), {});
    pins.assign(config.classes.size(), std::nullopt);
    books.assign(config.classes.size(), ClassBook{});
    restore_standing_orders(start);
    refresh_trust(start);
    adopt_existing_routes();
    // Once every thread of ours exists: they keep normal priority (only the loop is
    // real-time), and threads made later start normal too (SCHED_RESET_ON_FORK). Before the
    // timers: locking the memory faults every page in (tens of ms).
    const auto scheduling = apply_scheduling(config.scheduling);
    for (const auto& w : scheduling.warnings) log::warning(w);
    scheduling_text = scheduling.applied;
    if (config.scheduling.policy != config::SchedPolicy::other && scheduling.warnings.empty()) {
      loop_cpu = keep_cpu_for_loop();
      if (loop_cpu) scheduling_text += " on " + loop_cpu->text() + " (lifelined's other threads elsewhere)";
    }
    if (config.scheduling != config::SchedulingConfig{}) log::notice("event loop scheduling: " + scheduling_text);

    // The probes start now: what start-up took (reading the kernel, locking memory) is not
    // the loop's lag.
    const TimePoint go = now();
    signals.async_wait([this](const boost::system::error_code& ec, int signo) { on_signal(ec, signo); });
    for (auto& link : links) start_link(*link, go);
    begin_settle(go);
    arm_reconcile();
    arm_watchdog();
    log::notice("lifelined " + config.node + ": " + std::to_string(config.links.size()) +
                " links, " + std::to_string(config.classes.size()) + " classes; waiting for probes");
    emit(events::daemon_step(config.node, "started", LIFELINE_VERSION_STRING, std::chrono::system_clock::now()));
    arm_retention();
    notify("READY=1\nSTATUS=settling: measuring links");
    io.run();
    operations.clear();  // control server, publisher, exporter go before the state they read
    return exit_code;
  }

  // ---- integrity findings (docs/integrity.md) -------------------------------------------
  // Findings about one link from one source ("path": its probes, "radio": its modem). Every
  // new finding is counted; it is reported (logged, evented, journaled) at most once per rule
  // and link every 10 s. A violation (re)starts the link's quarantine for classes that
  // require integrity, deciding at once: those classes leave the link in this turn of the
  // loop. A renewed finding (a condition that still holds) only keeps the quarantine going.
  void integrity_findings(Link& link, const std::string& source, const std::vector<links::Finding>& found,
                          TimePoint at, std::optional<TimePoint> until_at = std::nullopt) {
    const bool was_quarantined = link.quarantined_until && *link.quarantined_until > at;
    bool violation = false;
    bool reason_due = !was_quarantined;  // a new quarantine, or a new violation to report
    std::vector<std::string> evidence;
    std::vector<ops::Event> reports;
    std::vector<const links::Finding*> shared;
    for (const auto& f : found) {
      if (f.verdict == config::Verdict::ignore) continue;
      const bool is_violation = f.verdict == config::Verdict::violation;
      if (is_violation) {
        violation = true;
        evidence.push_back(f.evidence);
      }
      // A renewal only keeps a quarantine going; one that starts a quarantine again (it ran out
      // while the condition held unseen, e.g. the feed went silent) is reported as new.
      if (f.renewed && !(is_violation && !was_quarantined)) continue;
      const std::string verdict_name = is_violation ? "violation" : "suspicion";
      ++link.findings[{f.rule, verdict_name}];
      const auto last_seen = link.last_finding.find(f.rule);
      if (last_seen != link.last_finding.end() && at - last_seen->second < std::chrono::seconds(10)) continue;
      link.last_finding[f.rule] = at;
      if (is_violation) reason_due = true;
      if (!is_violation) log::warning("link " + link.config.name + ": suspicion: " + source + ": " + f.rule + ": " + f.evidence);
      reports.push_back(events::finding(config.node, link.config.name, f.rule, verdict_name, f.evidence,
                                        is_violation ? std::optional<SystemTime>(wall(until_at.value_or(at + config.integrity.quarantine)))
                                                     : std::nullopt,
                                        wall(at)));
      // Only the radio's findings name something another base can recognise (a cell, a
      // network); a silent feed is our own outage, a path finding is about our own path to
      // our own far end, and a report someone else made is not passed on again.
      if (source == "radio" && f.rule != "feed_stale") shared.push_back(&f);
    }
    // One report for what one reading showed.
    if (!shared.empty()) publish_incident(link, shared, at);
    if (violation) {
      const TimePoint until = until_at.value_or(at + config.integrity.quarantine);
      if (!link.quarantined_until || *link.quarantined_until < until) link.quarantined_until = until;
      if (reason_due) {
        std::string joined;
        for (const auto& e : evidence) joined += (joined.empty() ? "" : "; ") + e;
        link.quarantine_reason = source + ": " + joined + " at " + utc::format_millis(wall(at));
      }
      const auto l = static_cast<std::size_t>(config.link_index(link.config.name));
      inputs[l].admin.quarantined_until = link.quarantined_until;
      inputs[l].admin.quarantine_reason = link.quarantine_reason;
      inputs[l].admin.quarantine_until_text = utc::format_millis(wall(*link.quarantined_until));
      if (!was_quarantined) {
        log::warning("link " + link.config.name + ": quarantined until " + utc::format_millis(wall(*link.quarantined_until)) +
                     " for classes that require integrity: " + link.quarantine_reason);
      }
    }
    // Published after the routes they cause are replaced, as a link change is. An extended
    // quarantine needs no decision: the policy wakes at the old expiry and finds the new one.
    // Only a quarantine that starts moves classes.
    for (auto& e : reports) emit_after_switch(std::move(e));
    if (violation && !was_quarantined) decide(at);
    flush_after_switch();
  }

  void path_finding(Link& link, const std::string& rule, config::Verdict verdict, const std::string& evidence,
                    TimePoint at) {
    if (verdict == config::Verdict::ignore) return;
    integrity_findings(link, "path", {links::Finding{rule, verdict, evidence, false}}, at);
  }

  // ---- incident sharing (docs/incidents.md) -----------------------------------------------
  struct IncidentIo {
    std::shared_ptr<void> feed;
    std::shared_ptr<void> publisher;
    ops::FeedSend send;
    std::optional<std::array<std::uint8_t, 64>> signing_key;
  };

  // Connects to the channel and reads our signing key; throws with what is wrong.
  IncidentIo make_incidents(const config::Config& c) {
    IncidentIo out;
    if (!c.incidents) return out;
    const auto& in = *c.incidents;
    if (!in.signing_key_file.empty()) {
      std::string error;
      out.signing_key = trust::load_signing_key(in.signing_key_file, error);
      if (!out.signing_key) throw std::runtime_error("incidents.signing_key_file " + in.signing_key_file + ": " + error);
    }
    auto spec = [&](const char* what, const std::string& endpoint) {
      ops::FeedSpec f;
      f.what = std::string("incidents.") + what;
      f.endpoint = endpoint;
      f.server_public_key = in.server_key;
      f.client_key_file = in.curve_key_file;
      // Larger than any frame the channel forwards (its cap is at most 16 MiB): an oversized
      // report is dropped and counted here, rather than costing us the connection.
      f.max_bytes = std::int64_t{17} << 20;
      return f;
    };
    if (!in.subscribe.empty() && effects.subscribe) {
      out.feed = effects.subscribe(io, spec("subscribe", in.subscribe),
                                   [this](const std::vector<std::string>& frames, std::size_t total) {
                                     on_incident(frames, total);
                                   });
    }
    if (!in.publish.empty() && effects.publish) {
      auto [handle, send] = effects.publish(io, spec("publish", in.publish));
      out.publisher = std::move(handle);
      out.send = std::move(send);
    }
    return out;
  }

  links::LinkFacts facts_of(const Link& link) const {
    links::LinkFacts f;
    f.operator_name = link.operator_name;
    f.vendors = link.vendors;
    if (link.config.radio) {
      f.plmns = link.config.radio->plmns;
      f.cells = link.config.radio->cells;
    }
    if (link.radio && link.radio->last()) {
      const auto& r = *link.radio->last();
      if (r.plmn) f.plmns.push_back(*r.plmn);
      if (r.tac && r.cell_id) f.cells.push_back({*r.tac, *r.cell_id});
    }
    return f;
  }

  // A report from the channel: verified against allowed_reporters before it is even parsed,
  // new, in force; every link it names is quarantined until it expires (a low-severity report
  // is a suspicion: reported, nothing moves). Everything else is dropped and counted.
  void on_incident(const std::vector<std::string>& frames, std::size_t total) {
    if (!config.incidents) return;
    auto& st = incident_stats;
    auto drop = [&](std::uint64_t& counter, const std::string& why) {
      ++counter;
      incident_log.write(log::Level::warning, "incidents: dropped a message: " + why);
    };
    if (total != 3 || frames.size() < 3 || frames[0] != links::kIncidentTopic) {
      return drop(st.malformed, std::to_string(total) + " frames; a report is \"incident\", its JSON, its signature");
    }
    const std::string& text = frames[1];
    if (text.size() > links::kMaxIncidentBytes) return drop(st.malformed, "oversized report");
    if (own_incidents.count(frames[2])) return;  // our own report, back from the channel
    // Cheap checks first: a report must name an allowed reporter and carry a signature.
    const auto claimed = links::claimed_reporter(text);
    const auto& allowed = config.incidents->allowed_reporters;
    if (frames[2].size() != 64 || !claimed ||
        std::none_of(allowed.begin(), allowed.end(), [&](const auto& r) { return r.name == *claimed; })) {
      return drop(st.bad_signature, "unsigned, or from no allowed reporter");
    }
    // A signature check costs ~50 us of the loop's time: a flood from someone the channel
    // admits must not delay a failover. Each claimed reporter has its own budget, so a flood
    // in one name cannot silence the others. Incidents are human-scale events.
    const TimePoint arrived = now();
    auto& budget = incident_budget[std::string(*claimed)];
    if (arrived - budget.first >= std::chrono::seconds(1)) budget = {arrived, 0};
    if (++budget.second > kIncidentsPerSecond) {
      return drop(st.flooded, "more than " + std::to_string(kIncidentsPerSecond) + " reports a second in the name of " +
                                  std::string(*claimed));
    }
    const auto* reporter = links::verify_incident(text, frames[2], allowed);
    if (!reporter) return drop(st.bad_signature, "no allowed reporter's key verifies its signature");
    auto parsed = links::parse_incident(text);
    if (auto* why = std::get_if<std::string>(&parsed)) return drop(st.malformed, "from " + reporter->name + ": " + *why);
    const auto& report = std::get<links::IncidentReport>(parsed);
    if (report.reporter != reporter->name) {
      return drop(st.bad_signature, "signed by " + reporter->name + " but claims to be from " + report.reporter);
    }
    const TimePoint at = now();
    const SystemTime wall_now = wall(at);
    while (!incidents_by_expiry.empty() && incidents_by_expiry.begin()->first <= wall_now) {
      seen_incidents.erase(incidents_by_expiry.begin()->second);
      incidents_by_expiry.erase(incidents_by_expiry.begin());
    }
    const auto key = report.reporter + "\n" + report.id;
    if (seen_incidents.count(key)) {
      ++st.duplicate;
      return;
    }
    if (report.expires <= wall_now) return drop(st.expired, "report " + report.id + " expired " + utc::format_millis(report.expires));
    // A report from the future is a reporter's clock (or ours) gone wrong: its times mean nothing.
    if (report.time > wall_now + kIncidentClockSkew) {
      return drop(st.malformed, "report " + report.id + " is dated " + utc::format_millis(report.time) + ", in the future");
    }
    if (seen_incidents.size() >= kMaxSeenIncidents) {  // forget the one that expires first
      seen_incidents.erase(incidents_by_expiry.begin()->second);
      incidents_by_expiry.erase(incidents_by_expiry.begin());
    }
    seen_incidents.insert(key);
    incidents_by_expiry.emplace(report.expires, key);
    ++st.accepted;
    const bool suspicion = report.severity == "low";
    // In force until it expires, but never longer than the report's own span (its issuer's
    // clock) nor a week: a typo in a year, or our clock far behind, cannot quarantine a link
    // for decades. (A shorter remaining time, from our clock, wins.)
    const auto remaining = std::chrono::duration_cast<Duration>(report.expires - wall_now);
    const auto span = std::chrono::duration_cast<Duration>(report.expires - report.time);
    const TimePoint until = at + std::min({remaining, span, Duration(kMaxIncidentQuarantine)});
    std::vector<std::string> named;
    for (auto& lp : links) {
      const auto what = links::incident_matches(report, facts_of(*lp));
      if (!what) continue;
      named.push_back(lp->config.name);
      const std::string evidence = "report " + report.id + " from " + report.reporter + ": " + report.category + " (" +
                                   report.severity + ") names " + *what + ", until " + utc::format_millis(wall(until));
      log::warning("link " + lp->config.name + ": incident " + evidence);
      if (!suspicion && !(lp->quarantined_until && *lp->quarantined_until >= until)) ++st.quarantines;
      integrity_findings(*lp, "incident",
                         {links::Finding{"incident", suspicion ? config::Verdict::suspicion : config::Verdict::violation,
                                         evidence, false}},
                         at, until);
    }
    if (named.empty()) {
      log::notice("incidents: report " + report.id + " from " + report.reporter + " (" + report.category +
                  ") names none of our links");
    }
    emit(events::incident(config.node, "received", text, named, wall_now));
  }

  static const char* incident_category(const std::string& rule) {
    if (rule == "rat_below_min") return "downgrade";
    if (rule == "null_cipher") return "null-cipher";
    return "rogue-base-station";
  }

  // Our own new radio findings from one reading, shared as one signed report (its indicators
  // are the findings): violations, and suspicions if configured. At most one report per link and rule
  // a minute, and 10 a minute in all, so a flapping condition cannot flood the channel.
  void publish_incident(const Link& link, const std::vector<const links::Finding*>& found, TimePoint at) {
    if (!config.incidents || !incident_io.send || !incident_io.signing_key) return;
    std::vector<const links::Finding*> findings;
    for (const auto* f : found) {
      if (f->verdict == config::Verdict::violation) findings.push_back(f);
    }
    const bool violation = !findings.empty();
    if (!violation && config.incidents->publish_suspicions) findings = found;
    if (findings.empty()) return;
    const links::Finding& f = *findings.front();
    auto& st = incident_stats;
    const auto key = std::make_pair(link.config.name, f.rule);
    if (auto it = last_published.find(key); it != last_published.end() && at - it->second < std::chrono::minutes(1)) {
      ++st.rate_limited;
      return;
    }
    while (!published_times.empty() && at - published_times.front() > std::chrono::minutes(1)) published_times.pop_front();
    if (published_times.size() >= 10) {
      ++st.rate_limited;
      return;
    }
    const auto facts = facts_of(link);
    links::IncidentReport r;
    std::array<std::uint8_t, 16> id{};
    std::random_device rd;
    for (auto& b : id) b = static_cast<std::uint8_t>(rd());
    static constexpr char kHex[] = "0123456789abcdef";
    for (auto b : id) r.id += std::string{kHex[b >> 4], kHex[b & 15]};
    const SystemTime wall_now = wall(at);
    r.time = std::chrono::time_point_cast<std::chrono::seconds>(wall_now);
    r.reporter = config.incidents->reporter;
    r.severity = violation ? "high" : "low";
    r.category = incident_category(f.rule);
    if (!facts.operator_name.empty()) r.operators.push_back(facts.operator_name);
    if (link.radio && link.radio->last()) {
      const auto& reading = *link.radio->last();
      if (reading.plmn) r.plmns.push_back(*reading.plmn);
      if (reading.tac && reading.cell_id) r.cells.push_back({*reading.tac, *reading.cell_id});
    }
    if (r.operators.empty() && r.plmns.empty() && r.cells.empty()) {
      return;  // nothing another base could recognise (no attestation, no modem reading)
    }
    for (const auto* x : findings) r.indicators.push_back(x->rule + ": " + x->evidence);
    r.expires = r.time + std::chrono::duration_cast<std::chrono::seconds>(config.integrity.quarantine);
    const std::string text = links::format_incident(r);
    const std::string sig = links::sign_incident(text, *incident_io.signing_key);
    last_published[key] = at;
    published_times.push_back(at);
    own_incidents.insert(sig);
    if (own_incidents.size() > 10000) own_incidents.clear();
    if (incident_io.send({std::string(links::kIncidentTopic), text, sig})) {
      ++st.published;
      log::notice("incidents: published report " + r.id + " (" + r.category + ") about link " + link.config.name);
      emit(events::incident(config.node, "published", text, {link.config.name}, wall_now));
    } else {
      ++st.publish_failed;
      incident_log.write(log::Level::warning, "incidents: could not queue report " + r.id + " (not connected?)");
    }
  }

  // ---- radio integrity: the modem's telemetry feed (docs/integrity.md) ---------------------
  struct Radio {
    std::unique_ptr<links::RadioWatch> watch;
    std::shared_ptr<void> feed;
    std::uint64_t id = 0;
  };

  // A link's radio watch and its feed subscription; throws if the feed cannot be used.
  Radio make_radio(const config::LinkConfig& lc, std::size_t index, TimePoint at) {
    Radio radio;
    if (!lc.radio) return radio;
    radio.watch = std::make_unique<links::RadioWatch>(*lc.radio, at);
    radio.id = ++radio_ids;
    if (effects.subscribe) {
      ops::FeedSpec spec;
      spec.what = "links[" + std::to_string(index) + "].radio.feed";
      spec.endpoint = lc.radio->feed;
      // The handler finds its link by name: the Link object may be replaced by a reload
      // while the subscription carries on.
      radio.feed = effects.subscribe(io, spec, [this, name = lc.name, id = radio.id](
                                                   const std::vector<std::string>& frames, std::size_t total) {
        on_radio_message(name, id, frames, total);
      });
    }
    return radio;
  }

  void install_radio(Link& link, Radio radio) {
    link.radio = std::move(radio.watch);
    link.radio_feed = std::move(radio.feed);
    link.radio_id = radio.id;
    if (!link.radio_timer) link.radio_timer = std::make_unique<asio::steady_timer>(io);
    link.radio_timer->cancel();
    if (link.radio) arm_radio(link);
  }

  void arm_radio(Link& link) {
    link.radio_timer->expires_at(link.radio->next_deadline());
    link.radio_timer->async_wait([this, name = link.config.name, id = link.radio_id](const boost::system::error_code& ec) {
      if (ec) return;
      Link* found = radio_link(name, id);
      if (!found) return;
      const TimePoint at = now();
      auto findings = found->radio->on_timer(at);
      arm_radio(*found);
      if (!findings.empty()) integrity_findings(*found, "radio", findings, at);
    });
  }

  Link* radio_link(const std::string& name, std::uint64_t id) {
    const int l = config.link_index(name);
    if (l < 0 || static_cast<std::size_t>(l) >= links.size()) return nullptr;
    Link& link = *links[static_cast<std::size_t>(l)];
    return link.radio && link.radio_id == id ? &link : nullptr;
  }

  void on_radio_message(const std::string& name, std::uint64_t id, const std::vector<std::string>& frames,
                        std::size_t total) {
    Link* link = radio_link(name, id);
    if (!link) return;
    auto& c = link->radio_counters;
    auto parsed = total == 1 ? links::parse_radio_reading(frames[0])
                             : std::variant<links::RadioReading, std::string>(
                                   std::to_string(total) + " frames; a reading is one JSON frame");
    if (auto* why = std::get_if<std::string>(&parsed)) {
      ++c.malformed;
      radio_log.write(log::Level::warning, "link " + name + ": radio feed: dropped a message: " + *why);
      return;
    }
    const auto& reading = std::get<links::RadioReading>(parsed);
    if (reading.modem != link->config.radio->modem) {
      ++c.other_modem;
      return;
    }
    ++c.readings;
    const TimePoint at = now();
    const bool was_stale = link->radio->stale();
    auto findings = link->radio->on_reading(reading, at);
    if (was_stale) log::notice("link " + name + ": radio feed of modem " + reading.modem + " is back");
    arm_radio(*link);
    if (!findings.empty()) integrity_findings(*link, "radio", findings, at);
  }

  // ---- trust: vendor attestations (docs/trust.md) ----------------------------------------
  // Reads every link's attestation and signature, judges it, remembers accepted serials, and
  // re-arms itself for the next expiry or not_before. Returns whether any trust changed (the
  // caller decides); also called by its own timer, which decides.
  bool refresh_trust(TimePoint t) {
    // Without attestations every link is unattested: no state to read, nothing to re-check.
    const bool attesting = std::any_of(config.links.begin(), config.links.end(),
                                       [](const auto& lc) { return !lc.attestation.empty(); });
    std::string error;
    auto serials = attesting ? trust::load_serials(config.trust.state, error) : std::map<std::string, std::uint64_t>{};
    // Rollback protection fails closed: with the serials unreadable (and none known from
    // earlier in this run), no attestation is accepted, and nothing is written over them.
    bool serials_unknown = false;
    if (!error.empty()) {
      log::warning("attestation serials: " + error);
      if (known_serials) {
        serials = *known_serials;
      } else {
        serials_unknown = true;
      }
    }
    bool serials_changed = false;
    bool changed = false;
    std::optional<SystemTime> next;
    const SystemTime wall_now = wall(t);
    for (std::size_t l = 0; l < links.size(); ++l) {
      const auto& lc = config.links[l];
      Link& lk = *links[l];
      links::TrustVerdict v;
      if (lc.attestation.empty()) {
        v.reason = "no attestation configured";
      } else {
        const auto accepted = serials.count(lc.name) ? std::optional<std::uint64_t>(serials[lc.name]) : std::nullopt;
        if (serials_unknown) {
          v.reason = "the accepted serials (" + config.trust.state + ") cannot be read: " + error;
        } else {
          v = links::judge_attestation_file(lc.attestation, lc.name, config.trust, accepted, wall_now);
        }
        if (v.accepted_serial && (!accepted || *v.accepted_serial > *accepted)) {
          serials[lc.name] = *v.accepted_serial;
          serials_changed = true;
        }
      }
      if (v.next_change && (!next || *v.next_change < *next)) next = v.next_change;
      if (v.trust != lk.trust) {
        const auto level = v.trust == links::Trust::attested ? log::Level::notice : log::Level::warning;
        log::write(level, "link " + lc.name + ": trust " + links::to_string(lk.trust) + " -> " +
                              links::to_string(v.trust) + ": " + v.reason);
        emit(events::trust_change(config.node, lc.name, links::to_string(lk.trust), links::to_string(v.trust),
                                  v.reason, wall_now));
        changed = true;
      } else if (v.reason != lk.trust_reason && !lc.attestation.empty()) {
        log::notice("link " + lc.name + ": trust " + links::to_string(v.trust) + ": " + v.reason);
      }
      lk.trust = v.trust;
      lk.trust_reason = v.reason;
      lk.operator_name.clear();
      lk.vendors.clear();
      if (v.attestation) {
        lk.operator_name = v.attestation->operator_name;
        for (const auto& e : v.attestation->equipment) lk.vendors.push_back(e.vendor);
      }
    }
    if (!serials_unknown) known_serials = serials;
    if (serials_changed && !trust::save_serials(config.trust.state, serials, error)) {
      log::warning("cannot save the accepted attestation serials (rollback protection): " + error);
    }
    trust_timer.cancel();
    if (attesting) {
      if (!next) next = wall_now + std::chrono::minutes(5);
      // A second late rather than early: at the instant itself the verdict has not changed yet.
      // At most 5 minutes: the wall clock may be stepped meanwhile (NTP after a boot with a
      // stale clock), and a re-check is cheap.
      const auto in = std::min<Duration>(std::chrono::duration_cast<Duration>(*next - wall_now) + std::chrono::seconds(1),
                                         std::chrono::minutes(5));
      trust_timer.expires_at(t + std::max(in, Duration::zero()));
      trust_timer.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        const TimePoint at = now();
        if (refresh_trust(at)) decide(at);
      });
    }
    // Only the trust: a full rebuild_inputs() would also undo a simulated drill's failure.
    for (std::size_t l = 0; l < links.size() && l < inputs.size(); ++l) inputs[l].trust = links[l]->trust;
    return changed;
  }

  // Pins and drains survive a restart (a crash, the watchdog, an upgrade): an operator who was
  // told "drained until 14:05" must not find the link back in use at 13:10 because the daemon
  // restarted. The journal has them, committed before the operator got the answer.
  void restore_standing_orders(TimePoint t) {
    if (!journal) return;
    ops::HistoryQuery query;
    query.kind = "operator";
    query.limit = 10000;
    // Before the loop runs: waiting for the journal here delays the start, nothing else.
    auto read = journal->history_now(query);
    if (!read.value) {
      log::warning("cannot read the pins and drains in force from the journal: " + read.error);
      return;
    }
    const std::vector<std::string> rows = std::move(*read.value);
    const SystemTime wall_now = wall(t);
    for (const auto& order : events::standing_orders(rows, wall_now)) {
      const TimePoint until = t + std::chrono::duration_cast<Duration>(order.until - wall_now);
      const std::string by = actor_name(order.by);
      const std::string ends = " until " + utc::format_millis(order.until);
      const int l = config.link_index(order.link);
      if (order.action == "pin") {
        const int c = config.class_index(order.cls);
        const auto& listed = c >= 0 ? config.classes[static_cast<std::size_t>(c)].links : std::vector<std::string>{};
        if (l < 0 || std::find(listed.begin(), listed.end(), order.link) == listed.end()) {
          log::warning("not restoring the pin of class " + order.cls + " to " + order.link + ends +
                       ": the configuration no longer allows it");
          continue;
        }
        pins[static_cast<std::size_t>(c)] = policy::Pin{static_cast<std::uint16_t>(l), until, order.reason};
        books[static_cast<std::size_t>(c)].pinned_by = by;
        log::notice("restored from the journal: class " + order.cls + " pinned to " + order.link + ends +
                    " by " + by + ": " + order.reason);
      } else {
        if (l < 0) {
          log::warning("not restoring the drain of link " + order.link + ends + ": no such link any more");
          continue;
        }
        Link& lk = *links[static_cast<std::size_t>(l)];
        lk.drained_until = until;
        lk.drain_reason = order.reason;
        lk.drained_by = by;
        log::notice("restored from the journal: link " + order.link + " drained" + ends + " by " + by + ": " +
                    order.reason);
      }
    }
    rebuild_inputs();
  }

  // The operations components that need the loop: created here, owned until the loop ends.
  // A component that cannot start (a socket path that cannot be bound, a taken metrics
  // port) is a clear start-up error: exit 1, rather than a daemon no one can see or reach.
  bool start_operations() {
    try {
      if (effects.event_stream) publisher = effects.event_stream(io);
      if (effects.control) {
        operations.push_back(effects.control(
            io,
            [this](const std::string& request, const ops::Peer& peer, std::function<void(std::string)> reply) {
              answer_control(request, peer, std::move(reply));
            },
            [this](std::function<std::string()> work, std::function<void(std::string)> then) {
              control_worker.run(to_loop, std::move(work), std::move(then));
            }));
      }
      if (effects.metrics) {
        operations.push_back(effects.metrics([this] { return snapshot_from_any_thread(std::chrono::seconds(2)); }));
      }
    } catch (const std::exception& e) {
      log::error(e.what());
      return false;
    }
    return true;
  }

  void stop() {
    asio::post(io, [this] { shutdown(0); });
  }

  void shutdown(int code) {
    if (stopping) return;
    stopping = true;
    exit_code = code;
    notify("STOPPING=1");
    if (drill && drill->state == "running") abort_drill("the daemon is stopping");
    log::notice("stopping; the class routes stay as they are (fail static)");
    emit(events::daemon_step(config.node, "stopping", LIFELINE_VERSION_STRING, std::chrono::system_clock::now()));
    links.clear();  // probers close their sockets; their handlers see alive == false
    signals.cancel();
    trust_timer.cancel();
    wakeup_timer.cancel();
    reconcile_timer.cancel();
    settle_timer.cancel();
    watchdog_timer.cancel();
    retention_timer.cancel();
    if (drill && drill->timer) drill->timer->cancel();
    io.stop();
  }

  void on_signal(const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
    } else {
      log::notice(std::string("received ") + (signo == SIGTERM ? "SIGTERM" : "SIGINT"));
      shutdown(0);
      return;
    }
    signals.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
  }

  // ---- links and probes ----------------------------------------------------------------
  std::unique_ptr<Link> make_link(const config::LinkConfig& cfg,
                                  const std::vector<links::Thresholds>& watches, TimePoint start) {
    auto link = std::make_unique<Link>();
    link->config = cfg;
    link->monitor = std::make_unique<links::LinkMonitor>(link->config, watches, start);
    link->deadline_timer = std::make_unique<asio::steady_timer>(io);
    for (std::size_t i = 0; i < link->config.probes.size(); ++i) {
      const auto& probe = link->config.probes[i];
      auto target = std::make_unique<Target>();
      target->index = i;
      target->interval = link->config.detect.interval;
      target->timer = std::make_unique<asio::steady_timer>(io);
      probes::ProbeSpec spec;
      spec.interface = link->config.interface;
      spec.target = probe.target;
      spec.port = probe.port;
      spec.session = session;
      spec.clock = [] { return now(); };
      if (probe.type == config::ProbeType::udp_echo) {
        std::string error;
        spec.key = probes::load_key_file(probe.key_file, error);
        if (!spec.key) throw std::runtime_error(probe.key_file + ": " + error);
      }
      Link* raw = link.get();
      std::weak_ptr<bool> alive = link->alive;
      target->prober = effects.probers(
          io, probe, std::move(spec), [this, raw, alive, i](const probes::Received& r) {
            if (auto a = alive.lock(); a && *a) on_reply(*raw, i, r);
          });
      link->targets.push_back(std::move(target));
    }
    return link;
  }

  void start_link(Link& link, TimePoint start) {
    // Stagger the targets of a link over one interval so their probes do not leave together.
    const auto n = static_cast<std::int64_t>(std::max<std::size_t>(1, link.targets.size()));
    for (auto& t : link.targets) {
      t->next_send = start + t->interval * static_cast<std::int64_t>(t->index) / n;
      arm_send(link, *t);
    }
    link.generation = link.monitor->generation();
    link.health = link.monitor->status().health;
    link.health_since = start;
  }

  void arm_send(Link& link, Target& t) {
    t.timer->expires_at(t.next_send);
    std::weak_ptr<bool> alive = link.alive;
    Link* raw = &link;
    Target* target = &t;
    t.timer->async_wait([this, raw, target, alive](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto a = alive.lock(); !a || !*a) return;
      on_send(*raw, *target);
    });
  }

  static Duration half_smallest_detection(const config::Config& c) {
    Duration smallest = Duration::max();
    for (const auto& l : c.links) smallest = std::min(smallest, l.detect.detection_time());
    return smallest == Duration::max() ? Duration(std::chrono::milliseconds(20)) : smallest / 2;
  }

  // How late the loop handled something due; a lag of half the smallest detection time is
  // logged (rate-limited): detection is late by as much, and the log says when.
  void observe_lag(LoopLag::Source source, Duration late, TimePoint at) {
    loop_lag.observe(source, late, at);
    if (late < lag_warning) return;
    lag_log.write(log::Level::warning, std::string("event loop: a ") + (source == LoopLag::Source::timer ? "timer" : "probe reply") +
                                           " was handled " + format_duration(std::chrono::duration_cast<Duration>(late)) +
                                           " late; failure detection is late by as much (lifelinectl status: loop)");
  }

  void on_send(Link& link, Target& t) {
    const TimePoint at = now();
    observe_lag(LoopLag::Source::timer, at - t.next_send, at);
    const std::uint64_t seq = link.monitor->on_probe_sent(t.index, at);
    t.prober->send(seq);
    t.next_send += t.interval;
    // A loop that fell behind (a stall) skips the missed slots rather than bursting.
    if (t.next_send <= at) t.next_send = at + t.interval;
    arm_send(link, t);
    after_link_event(link, at);
  }

  void on_reply(Link& link, std::size_t target, const probes::Received& r) {
    const TimePoint handled = now();
    observe_lag(LoopLag::Source::reply, handled - r.at, handled);
    // (Reply statuses are counted where they are decided: the prober, the target tracker.)
    if (r.status != probes::ReplyStatus::ok) {
      bad_reply_log.write(log::Level::warning,
                          "link " + link.config.name + ": reply from " +
                              link.monitor->target_name(target) + " rejected (" +
                              probes::to_string(r.status) + "); it does not count as alive");
      if (r.status != probes::ReplyStatus::malformed) {
        path_finding(link, "auth_failure", link.config.path_integrity.auth_failures,
                     std::string(probes::to_string(r.status)) + " reply from " + link.monitor->target_name(target),
                     r.at);
      }
      return;
    }
    const auto verdict = link.monitor->on_probe_reply(target, r.seq, r.at);
    switch (verdict) {
      case links::ReplyVerdict::accepted:
        if (link.hops.size() <= target) link.hops.resize(target + 1);
        if (auto change = link.hops[target].on_reply(r.ttl)) {
          path_finding(link, "hop_limit", link.config.path_integrity.hop_limit,
                       *change + " on replies from " + link.monitor->target_name(target), r.at);
        }
        if (link.floors.size() <= target) link.floors.resize(target + 1);
        if (auto drop = link.floors[target].on_reply(link.monitor->target(target).health().last_rtt())) {
          path_finding(link, "rtt_floor", link.config.path_integrity.rtt_floor,
                       *drop + " on replies from " + link.monitor->target_name(target), r.at);
        }
        break;
      case links::ReplyVerdict::duplicate:
        path_finding(link, "replay", link.config.path_integrity.replays,
                     "a second reply to probe " + std::to_string(r.seq) + " from " + link.monitor->target_name(target),
                     r.at);
        break;
      case links::ReplyVerdict::late:
        break;
      case links::ReplyVerdict::unknown:
        bad_reply_log.write(log::Level::warning, "link " + link.config.name + ": reply from " +
                                                     link.monitor->target_name(target) +
                                                     " to a probe never sent (seq " +
                                                     std::to_string(r.seq) + ")");
        path_finding(link, "replay", link.config.path_integrity.replays,
                     "a reply to probe " + std::to_string(r.seq) + ", never sent, from " +
                         link.monitor->target_name(target),
                     r.at);
        break;
    }
    after_link_event(link, r.at);
  }

  // The link's monitor handled an input: keep its deadline timer armed, and if its state
  // moved, decide now.
  void after_link_event(Link& link, TimePoint at) {
    arm_deadline(link);
    if (link.monitor->generation() == link.generation) return;
    link.generation = link.monitor->generation();
    const auto& status = link.monitor->status();
    if (status.health != link.health) {
      const auto level = status.health == links::Health::down ? log::Level::warning : log::Level::notice;
      log::write(level, "link " + link.config.name + ": " + links::to_string(link.health) +
                            " -> " + links::to_string(status.health) + ": " + status.reason);
      link.time_in[static_cast<std::size_t>(link.health)] += at - link.health_since;
      link.health_since = at;
      emit_after_switch(events::link_change(config.node, link.config.name, links::to_string(link.health),
                                            links::to_string(status.health), status.reason, wall(at)));
      link.health = status.health;
      if (drill && drill->state == "running" && !drill->link_down && status.health == links::Health::down &&
          links[drill->link].get() == &link) {
        drill->link_down = at;
      }
      if (!settled && all_links_up()) end_settle();
    }
    decide(at);
    flush_after_switch();
  }

  // The deadline timer is re-armed only when the deadline moves earlier; a deadline that
  // moved later is found when the timer fires (most replies push it later: no churn).
  void arm_deadline(Link& link) {
    const TimePoint deadline = link.monitor->next_deadline();
    if (deadline >= link.armed) return;
    link.armed = deadline;
    link.deadline_timer->expires_at(deadline);
    std::weak_ptr<bool> alive = link.alive;
    Link* raw = &link;
    link.deadline_timer->async_wait([this, raw, alive, deadline](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto a = alive.lock(); !a || !*a) return;
      raw->armed = TimePoint::max();
      const TimePoint woke = now();
      observe_lag(LoopLag::Source::timer, woke - deadline, woke);
      if (raw->monitor->next_deadline() <= now()) {
        // Replies that arrived while the loop was busy elsewhere are read before silence is
        // declared (Prober::poll); each is handled as it would have been.
        for (auto& t : raw->targets) t->prober->poll();
        if (auto a = alive.lock(); !a || !*a) return;
      }
      const TimePoint at = now();
      if (raw->monitor->next_deadline() <= at) raw->monitor->on_timer(at);
      after_link_event(*raw, at);
    });
  }

  bool all_links_up() const {
    return std::all_of(links.begin(), links.end(),
                       [](const auto& l) { return l->health != links::Health::down; });
  }

  void rebuild_inputs() {
    inputs.assign(links.size(), policy::LinkInput{});
    for (std::size_t l = 0; l < links.size(); ++l) {
      inputs[l].status = &links[l]->monitor->status();
      inputs[l].admin.drained_until = links[l]->drained_until;
      inputs[l].admin.drain_reason = links[l]->drain_reason;
      inputs[l].trust = links[l]->trust;
      inputs[l].admin.quarantined_until = links[l]->quarantined_until;
      inputs[l].admin.quarantine_reason = links[l]->quarantine_reason;
      if (links[l]->quarantined_until) {
        inputs[l].admin.quarantine_until_text = utc::format_millis(wall(*links[l]->quarantined_until));
      }
    }
  }

  // ---- decisions -----------------------------------------------------------------------
  void decide(TimePoint at) {
    // While settling, links are still being measured: a decision now would only record
    // which link happened to answer first (and start hold-downs against the others).
    if (!settled) return;
    decision_started = now();
    ++decisions;
    last = engine->decide(inputs, pins, std::move(last.state), at);
    apply_pending();
    arm_wakeup();
  }

  void observe_decision(double seconds) {
    auto& h = decision_histogram;
    ++h.count;
    h.sum += seconds;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
      if (seconds <= h.bounds[i]) ++h.counts[i];
    }
  }

  // Puts every class whose target differs from the last decision onto its new route: one
  // netlink message per family, highest precedence first, then its log line and event. One
  // turn of the loop does this for at most kSliceBudget of route switching: a decision that
  // moves hundreds of classes goes on in the next turns, so that the probes and replies due
  // meanwhile are not held up (the loop's lag stays within a couple of milliseconds), and the
  // classes that matter most are always in the first slice. The moved classes' conntrack
  // entries go to the worker once the last slice is done: one walk for all of them.
  // A failback leaves a link that still works, so nothing on the way may be lost: its flows
  // are collected first (one walk on the worker, for all the classes failing back), then
  // deleted right before the switch; deleted after it, the first packet of each NATed flow
  // would meet an entry for the old link (the kernel drops a masqueraded flow's packet that
  // leaves by another interface). The failback waits the walk out: tens of milliseconds.
  static constexpr Duration kSliceBudget = std::chrono::microseconds(300);
  // A class with more flows than this is not worth the loop's time to delete before its
  // failback: its flows are deleted after the switch, on the worker, as for a failover.
  static constexpr std::size_t kMaxFlowsBeforeSwitch = 512;

  // Whether class c's move is a failback off a link that still works. The policy says
  // "failback" only in the decision that makes the move; while its flows are collected, later
  // decisions say "preferred" for the same target: the move stays a failback as long as the
  // target is the same and the link it leaves is not down, drained or quarantined (then it is
  // urgent again: no waiting on a link that stopped working).
  bool graceful(std::size_t c) {
    const auto& d = last.classes[c];
    if (applied[c].kind != policy::TargetKind::link || !fit_for(c, applied[c].link)) return false;
    if (d.why == policy::Why::failback) {
      if (failback_to.size() != applied.size()) failback_to.assign(applied.size(), std::nullopt);
      failback_to[c] = d.target;
      return true;
    }
    return c < failback_to.size() && failback_to[c] == d.target && d.why == policy::Why::preferred;
  }

  // Whether the last decision found link `l` fit for class `c` (listed, and no rejection of
  // it for this class: down, drained, quarantined for an integrity class, untrusted, over a
  // threshold, full).
  bool fit_for(std::size_t c, std::uint16_t l) const {
    const auto& listed = model->classes[c].links;
    if (std::find(listed.begin(), listed.end(), l) == listed.end()) return false;
    const auto& d = last.classes[c];
    for (std::uint32_t i = d.rejections_begin; i < d.rejections_begin + d.rejections_count; ++i) {
      if (i < last.rejections.size() && last.rejections[i].link == l) return false;
    }
    return true;
  }

  void apply_pending() {
    if (last.classes.size() != applied.size()) return;  // a reload is swapping the state
    const TimePoint slice_start = now();
    std::vector<std::pair<std::size_t, policy::Target>> moved;  // class, previous target
    std::set<std::size_t> deleted_first;  // moved classes whose flows were deleted before
    std::vector<std::uint32_t> to_collect;
    bool failed = false;
    bool more = false;
    for (const auto c : model->order) {
      const auto& target = last.classes[c].target;
      if (target == applied[c]) continue;
      const std::uint32_t mark = routing::class_mark(c);
      const bool gentle = graceful(c);
      if (gentle) {
        // A collection more than 2 s old misses too many new flows: collected again.
        if (!failback_flows || !failback_marks.contains(mark) || now() - failback_collected_at > std::chrono::seconds(2)) {
          to_collect.push_back(mark);  // waits for its flows to be collected
          continue;
        }
      }
      if (!moved.empty() && now() - slice_start >= kSliceBudget) {
        more = true;
        break;
      }
      if (gentle && failback_flows->error == 0 && failback_flows->count(mark) <= kMaxFlowsBeforeSwitch) {
        flusher->delete_collected(*failback_flows, mark, config.classes[c].name);
        deleted_first.insert(c);
      }
      failback_marks.erase(mark);
      if (c < failback_to.size()) failback_to[c].reset();
      for (const Family family : {Family::v4, Family::v6}) {
        const auto route = routing::class_route(config, c, family, target);
        auto& current = installed[c][family == Family::v4 ? 0 : 1];
        if (current.known && current.route == route) continue;
        const auto error = effects.routes->set_class_route(routing::class_table(c), family, route);
        ++route_writes;
        current = {error.empty(), route};
        if (!error.empty()) {
          failed = true;  // unknown now: the repair reconcile will set it
          ++route_errors;
          log::warning("class " + config.classes[c].name + ": cannot set its " +
                       (family == Family::v4 ? "IPv4" : "IPv6") + " route: " + error +
                       "; retrying by reconcile");
        }
      }
      moved.emplace_back(c, applied[c]);
      applied[c] = target;
      if (deleted_first.contains(c)) flusher->delete_collected(*failback_flows, mark, config.classes[c].name, true);
    }
    const TimePoint switched = now();
    flush_after_switch();
    for (const auto& [c, before] : moved) {
      const auto from = policy::target_name(*model, before);
      const auto to = policy::target_name(*model, applied[c]);
      const auto reason = policy::reason_text(*model, inputs, last, c);
      const double took = seconds_between(decision_started, switched);
      log::notice("class " + config.classes[c].name + ": " + from + " -> " + to + ": " + reason);
      auto& book = books[c];
      ++book.switches[{from, to, policy::to_string(last.classes[c].why)}];
      book.last_switch = switched;
      book.last_switch_seconds = took;
      emit(events::class_switch(config.node, config.classes[c].name, from, to,
                                policy::to_string(last.classes[c].why), reason, took, wall(switched)));
      drill_observe_switch(c, before, applied[c], switched, took);
      // Flows NATed out of the old link cannot continue on another one: drop their conntrack
      // entries so they re-establish (and are re-marked) on the new path.
      // Also after a failback: flows that began during the collection's walk (or since) were
      // not collected, and still carry the old link's NAT binding.
      if (before.kind == policy::TargetKind::link) stale_flows.emplace(routing::class_mark(c), config.classes[c].name);
    }
    if (failed) schedule_repair();
    if (!to_collect.empty() && !collecting) {
      // One walk for every class failing back now; they move when it is back.
      collecting = true;
      flusher->collect(to_collect, [this, marks = to_collect, generation = reload_generation](FlowFlusher::Collected flows) {
        collecting = false;
        if (stopping) return;
        if (generation == reload_generation) {  // (a reload renumbers the class slots)
          failback_flows = flows ? flows : std::make_shared<const FailedCollection>();
          failback_collected_at = now();
          // Marks of an earlier collection not used yet are not in this one: collected again.
          failback_marks = std::set<std::uint32_t>(marks.begin(), marks.end());
        }
        apply_pending();
      });
    }
    // Marks of classes that no longer move (the move was reversed) are forgotten.
    std::erase_if(failback_marks, [this](std::uint32_t mark) {
      const std::size_t c = (mark & 0xffff) - 1;
      return c >= applied.size() || last.classes[c].target == applied[c];
    });
    if (failback_marks.empty() && to_collect.empty()) failback_flows.reset();
    if (more) {
      if (!slice_posted) {
        slice_posted = true;
        asio::post(io, [this] {
          slice_posted = false;
          if (!stopping) apply_pending();
        });
      }
      return;
    }
    // All of them with one walk of the conntrack table, on the worker: the loop goes on.
    if (!stale_flows.empty()) {
      flusher->flush(stale_flows);
      stale_flows.clear();
    }
    if (collecting || !to_collect.empty()) return;  // failbacks still to come
    observe_decision(seconds_between(decision_started, now()));
  }

  void arm_wakeup() {
    if (!last.next_wakeup) {
      wakeup_timer.cancel();
      return;
    }
    wakeup_timer.expires_at(*last.next_wakeup);
    wakeup_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) decide(now());
    });
  }

  // ---- start-up: adopt what a previous run left, then settle ---------------------------
  void adopt_existing_routes() {
    // Fail static across restarts: keep the class routes a previous run left until the links
    // have been measured. A class with no route yet that must fail closed gets a blackhole
    // right away, so nothing leaks while we measure.
    const auto existing = effects.routes->dump_own();
    routing::RoutingState desired = routing::plan_routing(config, std::vector<policy::Target>(
                                                                      config.classes.size(),
                                                                      policy::Target::main()));
    for (std::size_t c = 0; c < config.classes.size(); ++c) {
      for (const Family family : {Family::v4, Family::v6}) {
        std::optional<routing::RouteSpec> keep;
        if (existing) {
          for (const auto& r : existing->routes) {
            if (r.table == routing::class_table(c) && r.family == family) keep = r;
          }
        }
        if (!keep && config.classes[c].when_none == config::WhenNone::blackhole) {
          keep = routing::class_route(config, c, family, policy::Target::blackhole());
        }
        installed[c][family == Family::v4 ? 0 : 1] = {true, keep};
        if (keep) desired.routes.push_back(*keep);
      }
    }
    const auto report = effects.routes->reconcile(desired);
    report_reconcile("start-up", report);
    if (!report.errors.empty()) forget_installed();
  }

  void forget_installed() {
    for (auto& per_family : installed) per_family = {};
  }

  void begin_settle(TimePoint start) {
    Duration settle{};
    for (const auto& l : config.links) {
      settle = std::max(settle, l.detect.interval * l.detect.rise + l.detect.detection_time() * 2);
    }
    settle = std::min(settle + std::chrono::milliseconds(500), options.max_settle);
    settle_timer.expires_at(start + settle);
    settle_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !settled) end_settle();
    });
  }

  void end_settle() {
    settled = true;
    settle_timer.cancel();
    // Whatever the decision is now, put it in the kernel: installed[] holds what start-up
    // left there, so only real differences cause a netlink message.
    applied.assign(config.classes.size(), policy::Target{});
    last.state = policy::PolicyState::initial(*model);
    decide(now());
    reconcile("settled");
    notify("STATUS=running");
    log::notice("links measured; class routes follow the policy now");
  }

  // ---- reconcile (drift repair) --------------------------------------------------------
  // The kernel is read on the worker (a dump walks every routing table: hundreds of ms with
  // full tables), then the plan is made and written here, against what is wanted now. A
  // class switch between the read and its result makes the read stale: it is read again.
  void reconcile(const char* why) {
    if (reading_kernel) {
      reconcile_again = why;  // once the read in flight is back
      return;
    }
    reading_kernel = true;
    const std::uint64_t writes = route_writes;
    routing::RouteActuator* routes = effects.routes.get();
    worker.run(
        to_loop, [routes] { return std::shared_ptr<routing::KernelView>(routes->read_kernel()); },
        [this, why, writes](std::shared_ptr<routing::KernelView> view) {
          reading_kernel = false;
          const char* again = std::exchange(reconcile_again, nullptr);
          if (stopping) return;
          if (!view) {  // the read failed outright (the worker logged why)
            schedule_repair();
            return;
          }
          if (writes != route_writes) {
            ++stale_kernel_reads;
            reconcile(why);
            return;
          }
          reconcile_against(why, *view);
          if (again != nullptr) reconcile(again);
        });
  }

  void reconcile_against(const char* why, const routing::KernelView& view) {
    const auto desired = routing::plan_routing(config, applied);
    const auto report = effects.routes->reconcile(desired, view);
    ++route_writes;
    report_reconcile(why, report);
    if (!report.errors.empty()) {
      forget_installed();
      return;
    }
    // What is installed now is what we planned.
    for (std::size_t c = 0; c < config.classes.size(); ++c) {
      for (const Family family : {Family::v4, Family::v6}) {
        installed[c][family == Family::v4 ? 0 : 1] = {true, routing::class_route(config, c, family, applied[c])};
      }
    }
  }

  void report_reconcile(const char* why, const routing::ReconcileReport& r) {
    if (std::string_view(why) == "periodic" && r.added + r.replaced + r.removed > 0) ++drift_repairs;
    for (const auto& e : r.errors) {
      ++route_errors;
      log::warning(std::string("reconcile (") + why + "): " + e);
    }
    if (r.added + r.replaced + r.removed > 0) {
      log::write(std::string_view(why) == "periodic" ? log::Level::warning : log::Level::info,
                 std::string("reconcile (") + why + "): " + std::to_string(r.added) + " added, " +
                     std::to_string(r.replaced) + " replaced, " + std::to_string(r.removed) +
                     " removed");
    }
    if (!r.errors.empty()) schedule_repair();
  }

  void arm_reconcile() {
    reconcile_timer.expires_after(options.reconcile_interval);
    reconcile_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (settled) {
        reconcile("periodic");
        repair_classification();
      }
      arm_reconcile();
    });
  }

  // Without `table inet lifeline` no traffic is classified and every class follows the main
  // routes (C2 included): a firewall reload that flushed the ruleset must not go unnoticed.
  void repair_classification() {
    // Both the check (`nft list`) and the repair are nftables transactions: the worker's. A
    // reload in flight installs its own table; a repair now could only race with it.
    if (reloading) return;
    classify::Classifier* classifier = effects.classifier.get();
    struct Repair {
      bool needed = false;
      std::string error;
    };
    worker.run(
        to_loop,
        [classifier, wanted = config]() {
          Repair r;
          if (classifier->installed() != false) return r;
          r.needed = true;
          r.error = classifier->apply(wanted);
          return r;
        },
        [this](Repair r) {
          if (!r.needed) return;
          ++drift_repairs;
          log::warning("table inet lifeline was gone (a flushed ruleset?); installing it again");
          if (!r.error.empty()) {
            ++nftables_errors;
            log::error("cannot install the nftables classification again: " + r.error);
          }
        });
  }

  void schedule_repair() {
    // Sooner than the periodic reconcile, but not in a tight loop if the kernel keeps saying
    // no (an interface that is gone).
    const auto repair_at = now() + std::chrono::milliseconds(500);
    if (reconcile_timer.expiry() <= repair_at) return;
    reconcile_timer.expires_at(repair_at);
    reconcile_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (settled) reconcile("repair");
      arm_reconcile();
    });
  }

  // ---- watchdog ------------------------------------------------------------------------
  void arm_watchdog() {
    std::uint64_t usec = 0;
    if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    // Pinged from the loop itself: a stuck loop stops pinging and systemd restarts us.
    watchdog_timer.expires_after(std::chrono::microseconds(usec / 2));
    watchdog_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      notify("WATCHDOG=1");
      arm_watchdog();
    });
  }

  // ---- reload --------------------------------------------------------------------------
  // Reading and checking the files and installing the new classification (an nftables
  // transaction) run on the worker; the loop goes on probing and only swaps the state in once
  // that is done. `done` gets the errors that made it refuse the new config (empty: applied).
  // A reload asked for while one runs is done after it (the file may have changed again).
  using ReloadDone = std::function<void(std::vector<std::string>)>;

  struct PreparedReload {
    std::optional<config::Config> next;
    std::vector<std::string> errors;
    bool nftables_refused = false;
  };

  void reload(ReloadDone done = {}) {
    if (reloading) {
      reload_waiters.push_back(std::move(done));
      return;
    }
    reloading = true;
    notify("RELOADING=1\nMONOTONIC_USEC=" +
           std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count()));
    if (drill && drill->state == "running") abort_drill("the configuration was reloaded");
    log::notice("reloading " + options.config_path);
    classify::Classifier* classifier = effects.classifier.get();
    worker.run(
        to_loop,
        [classifier, path = options.config_path] {
          auto p = std::make_shared<PreparedReload>();
          auto loaded = config::load_config_file(path);
          if (!loaded.ok()) {
            for (const auto& e : loaded.errors) p->errors.push_back(e.to_string());
            return p;
          }
          if (auto problems = check_keys(*loaded.config); !problems.empty()) {
            p->errors = std::move(problems);
            return p;
          }
          if (auto error = classifier->apply(*loaded.config); !error.empty()) {
            p->nftables_refused = true;
            p->errors.push_back("nftables refused the classification: " + error);
            return p;
          }
          p->next = std::move(*loaded.config);
          return p;
        },
        [this, done = std::move(done)](std::shared_ptr<PreparedReload> p) {
          if (stopping) return;
          if (!p) {
            p = std::make_shared<PreparedReload>();
            p->errors.push_back("internal error while reading the configuration (see the log)");
          }
          std::vector<std::string> errors = std::move(p->errors);
          bool ok = false;
          if (p->next) {
            try {
              ok = try_reload(std::move(*p->next), errors);
            } catch (const std::exception& e) {
              // A bug: the reload is refused and the daemon carries on with what it has.
              log::error(std::string("reload failed: ") + e.what());
              errors.push_back(std::string("internal error: ") + e.what());
              ok = false;
            }
          } else {
            if (p->nftables_refused) ++nftables_errors;
            for (const auto& e : errors) log::error(e);
            log::error("reload rejected: " + std::to_string(errors.size()) +
                       (errors.size() == 1 ? " error" : " errors") + "; the running configuration stays in force");
          }
          last_reload = std::chrono::system_clock::now();
          last_reload_ok = ok;
          if (ok) {
            ++reloads_ok;
            config_loaded = *last_reload;
          } else {
            ++reloads_failed;
          }
          emit(events::reload(config.node, ok, errors, config.links.size(), config.classes.size(), *last_reload));
          notify("READY=1");
          reloading = false;
          if (done) done(errors);
          if (!reload_waiters.empty()) {
            auto waiters = std::move(reload_waiters);
            reload_waiters.clear();
            reload([waiters = std::move(waiters)](std::vector<std::string> e) {
              for (const auto& w : waiters) {
                if (w) w(e);
              }
            });
          }
        });
  }

  // The loop's half of a reload: `next` is read, checked and its classification installed.
  bool try_reload(config::Config next, std::vector<std::string>& errors) {
    const TimePoint at = now();
    auto next_model = std::make_unique<policy::PolicyModel>(policy::PolicyModel::compile(next));

    // What carries over, by name (controller/reload_plan.hpp). Links whose probing is
    // unchanged are kept (no probe gap); the others are built first: if that fails, nothing
    // has changed yet.
    const ReloadPlan plan = plan_reload(config, next);
    std::vector<std::unique_ptr<Link>> fresh(next.links.size());
    std::vector<std::optional<Radio>> radios(next.links.size());
    std::optional<IncidentIo> fresh_incidents;
    std::optional<std::array<std::uint8_t, 64>> fresh_key;
    try {
      for (std::size_t l = 0; l < next.links.size(); ++l) {
        if (!plan.links[l].kept) fresh[l] = make_link(next.links[l], next_model->watches[l], at);
        // A radio whose config is unchanged carries on (its baselines, its feed).
        if (plan.links[l].new_radio) radios[l] = make_radio(next.links[l], l, at);
      }
      if (plan.incidents_changed) {
        fresh_incidents = make_incidents(next);
      } else if (next.incidents && !next.incidents->signing_key_file.empty()) {
        // Same channel, but the signing key may have been rotated on disk.
        std::string error;
        auto key = trust::load_signing_key(next.incidents->signing_key_file, error);
        if (!key) throw std::runtime_error("incidents.signing_key_file " + next.incidents->signing_key_file + ": " + error);
        fresh_key = *key;
      }
    } catch (const std::exception& e) {
      log::error(std::string("reload rejected: ") + e.what());
      errors.push_back(e.what());
      restore_classification();
      return false;
    }
    std::vector<std::unique_ptr<Link>> next_links(next.links.size());
    for (std::size_t l = 0; l < next.links.size(); ++l) {
      if (plan.links[l].kept) {
        next_links[l] = std::move(links[*plan.links[l].from]);
        next_links[l]->config = next.links[l];
        next_links[l]->monitor->set_watches(next_model->watches[l], at);
      } else {
        next_links[l] = std::move(fresh[l]);
        // A link whose probing changed is new to the monitor, not to the operator: its drain,
        // its quarantine and its findings carry over by name.
        if (const auto old = plan.links[l].from; old && links[*old]) {
          Link& was = *links[*old];
          Link& now_link = *next_links[l];
          if (!radios[l]) {
            install_radio(now_link, Radio{std::move(was.radio), std::move(was.radio_feed), was.radio_id});
            now_link.radio_counters = was.radio_counters;
          }
          now_link.drained_until = was.drained_until;
          now_link.drain_reason = was.drain_reason;
          now_link.drained_by = was.drained_by;
          now_link.quarantined_until = was.quarantined_until;
          now_link.quarantine_reason = was.quarantine_reason;
          now_link.findings = was.findings;
          now_link.last_finding = was.last_finding;
          now_link.trust = was.trust;
          now_link.trust_reason = was.trust_reason;
          now_link.operator_name = was.operator_name;
          now_link.vendors = was.vendors;
        }
        start_link(*next_links[l], at);
      }
      if (radios[l]) install_radio(*next_links[l], std::move(*radios[l]));
    }
    for (auto& l : links) {
      if (l) *l->alive = false;  // its probers stop mattering before they are destroyed
    }

    // Carry the policy state over by name: targets, hold-downs, dampening.
    policy::PolicyState state = policy::PolicyState::initial(*next_model);
    std::vector<policy::Target> next_applied(next.classes.size());
    std::vector<std::array<Installed, 2>> next_installed(next.classes.size());
    auto map_target = [&](policy::Target t) {
      if (t.kind != policy::TargetKind::link) return t;
      const auto l = t.link < plan.link_to.size() ? plan.link_to[t.link] : std::nullopt;
      return l ? policy::Target::to_link(static_cast<std::uint16_t>(*l)) : policy::Target{};
    };
    for (std::size_t c = 0; c < next.classes.size(); ++c) {
      if (!plan.class_from[c]) continue;
      const std::size_t o = *plan.class_from[c];
      state.classes[c] = {map_target(last.state.classes[o].target), last.state.classes[o].since};
      next_applied[c] = map_target(applied[o]);
      if (o == c) next_installed[c] = installed[o];  // same table: what is there is known
      const auto& old_cls = model->classes[o];
      const auto& new_cls = next_model->classes[c];
      for (std::size_t p = 0; p < new_cls.links.size(); ++p) {
        const auto& name = next_model->links[new_cls.links[p]].name;
        for (std::size_t q = 0; q < old_cls.links.size(); ++q) {
          if (model->links[old_cls.links[q]].name == name) {
            state.fit_since[new_cls.fit_offset + p] = last.state.fit_since[old_cls.fit_offset + q];
          }
        }
      }
    }
    for (std::size_t l = 0; l < next.links.size(); ++l) {
      if (plan.links[l].kept) state.dampening[l] = last.state.dampening[*plan.links[l].from];
    }

    // A class that moved to another slot (classes reordered or removed) has a new mark; its
    // existing flows still carry the old one, which now selects another class's table.
    // Flush them so they re-establish under their new mark.
    std::map<std::uint32_t, std::string> moved_slots;
    for (const std::size_t o : plan.moved_slots) {
      moved_slots.emplace(routing::class_mark(o), "mark slot " + std::to_string(o));
    }
    if (!moved_slots.empty()) flusher->flush(moved_slots);

    // Pins and the per-class books follow their class by name.
    std::vector<std::optional<policy::Pin>> next_pins(next.classes.size());
    std::vector<ClassBook> next_books(next.classes.size());
    for (std::size_t c = 0; c < next.classes.size(); ++c) {
      if (!plan.class_from[c]) continue;
      const std::size_t o = *plan.class_from[c];
      next_books[c] = std::move(books[o]);
      const auto& pin = pins[o];
      if (!pin) continue;
      if (const auto l = plan.link_to[pin->link]) {
        next_pins[c] = *pin;
        next_pins[c]->link = static_cast<std::uint16_t>(*l);
      }
    }
    if (!plan.need_restart.empty()) {
      std::string sections;
      for (const auto& s : plan.need_restart) sections += (sections.empty() ? "" : ", ") + s;
      log::warning("reload: the changed " + sections + " settings take effect at the next start of lifelined");
    }

    links = std::move(next_links);
    config = std::move(next);
    if (fresh_incidents) incident_io = std::move(*fresh_incidents);
    if (fresh_key) incident_io.signing_key = fresh_key;
    model = std::move(next_model);
    engine = std::make_unique<policy::PolicyEngine>(*model);
    pins = std::move(next_pins);
    books = std::move(next_books);
    rebuild_inputs();
    last = policy::Decision{};
    last.state = std::move(state);
    applied = std::move(next_applied);
    installed = std::move(next_installed);
    lag_warning = half_smallest_detection(config);
    // Class slots may have moved: failbacks under way start over with the new plan.
    ++reload_generation;
    failback_to.clear();
    failback_marks.clear();
    failback_flows.reset();
    for (auto& link : links) {
      link->armed = TimePoint::max();
      arm_deadline(*link);
    }
    refresh_trust(at);
    // Threads the reload made (ZeroMQ contexts of new feeds) start on the loop's CPU.
    if (loop_cpu) keep_cpu_for_loop(*loop_cpu);
    decide(at);
    if (settled) reconcile("reload");
    log::notice("reloaded: " + std::to_string(config.links.size()) + " links, " +
                std::to_string(config.classes.size()) + " classes");
    return true;
  }

  // Back to the running classification after a reload that installed the new one and then
  // failed: on the worker, in order after that install.
  void restore_classification() {
    classify::Classifier* classifier = effects.classifier.get();
    worker.submit([classifier, running = config] {
      if (auto error = classifier->apply(running); !error.empty()) {
        log::error("cannot put the running classification back after a refused reload: " + error);
      }
    });
  }

  // ---- events and the journal -----------------------------------------------------------
  void emit(const ops::Event& event) {
    if (journal) journal->publish(event);  // queued: committed on the journal's thread
    if (publisher) publisher->publish(event);
  }

  // One control request. An action that wrote to the journal is answered only once that is
  // committed (an operator told "drained" finds the drain in the journal after a crash), but
  // the loop does not wait for the disk meanwhile.
  void answer_control(const std::string& request, const ops::Peer& peer, std::function<void(std::string)> reply) {
    // A query: the snapshot here, the JSON on the worker (milliseconds for hundreds of classes).
    if (api::is_query(request)) {
      auto snap = std::make_shared<const snapshot::Daemon>(state());
      control_worker.run(
          to_loop, [snap, request, peer] { return api::answer_from_snapshot(*snap, request, peer); },
          [reply = std::move(reply)](std::string text) {
            if (text.empty()) {
              text = R"json({"version":1,"ok":false,"error":{"code":"failed","message":"internal error (see the log)"}})json";
            }
            reply(std::move(text));
          });
      return;
    }
    const std::uint64_t writes_before = journal ? journal->writes_queued() : 0;
    api::handle_request(*this, request, peer, [this, writes_before, reply = std::move(reply)](std::string text) {
      if (journal && journal->writes_queued() != writes_before) {
        journal->after_writes([reply, text = std::move(text)] { reply(text); });
      } else {
        reply(std::move(text));
      }
    });
  }

  // A link change is published once the class routes it causes are replaced: the journal's
  // INSERT and the event stream stay off the failover path, and the stream still shows the
  // cause before its effects.
  void emit_after_switch(ops::Event event) { after_switch.push_back(std::move(event)); }
  void flush_after_switch() {
    for (const auto& e : after_switch) emit(e);
    after_switch.clear();
  }

  void arm_retention() {
    if (!journal) return;
    journal->apply_retention(std::chrono::system_clock::now());
    retention_timer.expires_after(options.retention_interval);
    retention_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) arm_retention();
    });
  }

  // ---- snapshots ---------------------------------------------------------------------------
  std::optional<snapshot::Daemon> snapshot_from_any_thread(std::chrono::milliseconds timeout) {
    if (io.stopped()) return std::nullopt;
    auto promise = std::make_shared<std::promise<snapshot::Daemon>>();
    auto future = promise->get_future();
    asio::post(io, [this, promise] { promise->set_value(state()); });
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
  }

  snapshot::Daemon state() override {
    const TimePoint t = now();
    snapshot::Daemon s;
    s.node = config.node;
    s.version = LIFELINE_VERSION_STRING;
    s.started = started_wall;
    s.config_path = options.config_path;
    s.config_loaded = config_loaded;
    s.reloads_ok = reloads_ok;
    s.reloads_failed = reloads_failed;
    s.last_reload = last_reload;
    s.last_reload_ok = last_reload_ok;
    s.settled = settled;
    s.decisions = decisions;
    s.decision_seconds = decision_histogram;
    s.loop.timer_lag = loop_lag.histogram(LoopLag::Source::timer);
    s.loop.reply_lag = loop_lag.histogram(LoopLag::Source::reply);
    s.loop.timer_lag_max_recent = to_seconds(loop_lag.recent_max(LoopLag::Source::timer, t, std::chrono::seconds(60)));
    s.loop.reply_lag_max_recent = to_seconds(loop_lag.recent_max(LoopLag::Source::reply, t, std::chrono::seconds(60)));
    s.loop.timer_lag_max_5s = to_seconds(loop_lag.recent_max(LoopLag::Source::timer, t, std::chrono::seconds(5)));
    s.loop.reply_lag_max_5s = to_seconds(loop_lag.recent_max(LoopLag::Source::reply, t, std::chrono::seconds(5)));
    s.loop.timer_lag_max = to_seconds(loop_lag.max(LoopLag::Source::timer));
    s.loop.reply_lag_max = to_seconds(loop_lag.max(LoopLag::Source::reply));
    s.loop.worker_queued = worker.queued();
    s.loop.journal_queued = journal ? journal->backlog() : 0;
    s.loop.scheduling = scheduling_text;
    s.route_errors = route_errors;
    s.nftables_errors = nftables_errors;
    s.conntrack_errors = flusher->stats().errors;
    s.conntrack_walks = flusher->stats().walks;
    s.conntrack_flows_flushed = flusher->stats().flows;
    s.drift_repairs = drift_repairs;
    if (auto stats = effects.routes->counters()) {
      s.netlink_requests = stats->requests;
      s.netlink_errors = stats->errors;
    }
    for (std::size_t l = 0; l < links.size(); ++l) {
      const Link& link = *links[l];
      const auto& st = link.monitor->status();
      snapshot::Link out;
      out.name = link.config.name;
      out.interface = link.config.interface;
      out.kind = config::to_string(link.config.kind);
      out.health = links::to_string(st.health);
      out.since = wall(st.since);
      out.reason = st.reason;
      out.has_rtt = st.metrics.has_rtt;
      out.rtt_seconds = to_seconds(st.metrics.srtt);
      out.rttvar_seconds = to_seconds(st.metrics.rttvar);
      out.jitter_seconds = to_seconds(st.metrics.jitter);
      out.loss_ratio = st.metrics.loss;
      out.targets_alive = st.metrics.targets_alive;
      for (std::size_t i = 0; i < link.monitor->target_count(); ++i) {
        const auto& tt = link.monitor->target(i);
        out.targets.push_back({link.monitor->target_name(i), tt.alive(), tt.sent(),
                               tt.health().answered(), tt.lost()});
      }
      out.downs = st.downs;
      out.detection_seconds = to_seconds(link.config.detect.detection_time());
      for (const auto& target : link.targets) {
        const auto& p = target->prober->stats();
        out.bad_mac += p.bad_mac;
        out.unknown_key += p.unknown_key;
        out.wrong_session += p.wrong_session;
        out.malformed += p.malformed;
      }
      for (std::size_t i = 0; i < link.monitor->target_count(); ++i) {
        const auto& tt = link.monitor->target(i);
        out.duplicate += tt.duplicates();
        out.late += tt.late();
        out.unknown_seq += tt.unknown();
      }
      if (link.drained_until && *link.drained_until > t) {
        out.drained_until = wall(*link.drained_until);
        out.drain_reason = link.drain_reason;
        out.drained_by = link.drained_by;
      }
      const auto& admin = inputs[l].admin;
      if (admin.quarantined_until && *admin.quarantined_until > t) {
        out.quarantined_until = wall(*admin.quarantined_until);
        out.quarantine_reason = admin.quarantine_reason;
      }
      out.trust = links::to_string(inputs[l].trust);
      out.trust_reason = link.trust_reason;
      for (const auto& [key, count] : link.findings) out.findings.push_back({key.first, key.second, count});
      if (link.radio) {
        snapshot::Link::Radio radio;
        radio.modem = link.config.radio->modem;
        radio.readings = link.radio_counters.readings;
        radio.malformed = link.radio_counters.malformed;
        radio.other_modem = link.radio_counters.other_modem;
        radio.stale = link.radio->stale();
        if (link.radio->last_at()) radio.last_reading = wall(*link.radio->last_at());
        if (link.radio->last()) radio.last = links::format_radio_reading(*link.radio->last());
        radio.active = link.radio->active();
        out.radio = std::move(radio);
      }
      if (l < last.state.dampening.size()) {
        out.suppressed = last.state.dampening[l].suppressed;
        out.penalty = last.state.dampening[l].penalty;
      }
      auto time_in = link.time_in;
      time_in[static_cast<std::size_t>(link.health)] += t - link.health_since;
      out.seconds_down = to_seconds(time_in[0]);
      out.seconds_degraded = to_seconds(time_in[1]);
      out.seconds_up = to_seconds(time_in[2]);
      s.links.push_back(std::move(out));
    }
    for (std::size_t c = 0; c < config.classes.size(); ++c) {
      const auto& cc = config.classes[c];
      snapshot::Class out;
      out.name = cc.name;
      out.precedence = config::to_string(cc.precedence);
      out.when_none = config::to_string(cc.when_none);
      out.links = cc.links;
      const auto target = settled && c < last.classes.size() ? last.classes[c].target : applied[c];
      out.target.name = policy::target_name(*model, target);
      out.target.kind = target.kind == policy::TargetKind::link        ? "link"
                        : target.kind == policy::TargetKind::blackhole ? "blackhole"
                        : target.kind == policy::TargetKind::main      ? "main"
                                                                         : "none";
      if (settled && c < last.classes.size()) {
        const auto& cd = last.classes[c];
        out.since = wall(cd.since);
        out.why = policy::to_string(cd.why);
        out.reason = policy::reason_text(*model, inputs, last, c);
        out.explain = policy::explain(*model, inputs, last, c);
        if (cd.hold_until) out.hold_until = wall(*cd.hold_until);
      } else {
        out.since = started_wall;
        out.why = "initial";
        out.reason = "the links are being measured";
        out.explain = {cc.name + ": the links are being measured (settling)"};
      }
      if (pins[c] && pins[c]->until > t) {
        out.pin = snapshot::Pin{model->links[pins[c]->link].name, wall(pins[c]->until),
                                pins[c]->reason, books[c].pinned_by};
      }
      for (const auto& [key, count] : books[c].switches) {
        out.switches.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
      }
      if (books[c].last_switch) {
        out.last_switch = wall(*books[c].last_switch);
        out.last_switch_seconds = books[c].last_switch_seconds;
      }
      s.classes.push_back(std::move(out));
    }
    if (drill) s.drill = drill_snapshot(*drill);
    if (drill_results) {
      const auto& r = *drill_results;
      snapshot::DrillReport out{r.id, r.link, r.fault, r.state, r.finished, r.passed, {}};
      for (const auto& c : r.classes) {
        out.classes.push_back({c.cls, c.to, c.detection, c.switchover, c.outage, c.failback, c.passed});
      }
      s.last_drill_report = std::move(out);
    }
    if (config.incidents) s.incidents = incident_stats;
    if (journal) {
      s.journal = snapshot::Journal{config.journal.path, journal->rows(), journal->errors()};
    }
    s.drills_passed = drill_outcomes[0];
    s.drills_failed = drill_outcomes[1];
    s.drills_aborted = drill_outcomes[2];
    return s;
  }

  // ---- operator actions (DaemonApi) ---------------------------------------------------
  // The index of the class or link called `name`, or an error that lists the known names.
  template <typename Named>
  static std::optional<std::size_t> find_named(const std::vector<Named>& all, int index,
                                               const char* what, const std::string& name,
                                               api::Error& error) {
    if (index >= 0) return static_cast<std::size_t>(index);
    std::string names;
    for (const auto& n : all) names += (names.empty() ? "" : ", ") + n.name;
    error = {std::string("unknown_") + what,
             "no " + std::string(what) + " '" + name + "'; the " + what + "s are " + names};
    return std::nullopt;
  }
  std::optional<std::size_t> find_class(const std::string& name, api::Error& error) const {
    return find_named(config.classes, config.class_index(name), "class", name, error);
  }
  std::optional<std::size_t> find_link(const std::string& name, api::Error& error) const {
    return find_named(config.links, config.link_index(name), "link", name, error);
  }

  api::Result<snapshot::Pin> pin(const std::string& cls, const std::string& link, Duration hold,
                                 const std::string& reason, const api::Actor& by) override {
    api::Error error;
    const auto c = find_class(cls, error);
    if (!c) return error;
    const auto l = find_link(link, error);
    if (!l) return error;
    const auto& listed = config.classes[*c].links;
    if (std::find(listed.begin(), listed.end(), link) == listed.end()) {
      return api::Error{"invalid_argument", "class " + cls + " may not use link " + link +
                                                 " (its links are " + [&] {
                                                   std::string out;
                                                   for (const auto& n : listed) out += (out.empty() ? "" : ", ") + n;
                                                   return out;
                                                 }() + ")"};
    }
    const TimePoint t = now();
    pins[*c] = policy::Pin{static_cast<std::uint16_t>(*l), t + hold, reason};
    books[*c].pinned_by = actor_name(by);
    // Journaled before the reply: an acknowledged pin survives a crash.
    emit(events::operator_action(config.node, "pin", cls, link, wall(t + hold), reason, by, wall(t)));
    log::notice("class " + cls + " pinned to " + link + " for " + format_duration(hold) + " by " +
                actor_name(by) + ": " + reason);
    decide(t);
    return snapshot::Pin{link, wall(t + hold), reason, books[*c].pinned_by};
  }

  api::Result<std::optional<snapshot::Pin>> unpin(const std::string& cls, const std::string& reason,
                                                  const api::Actor& by) override {
    api::Error error;
    const auto c = find_class(cls, error);
    if (!c) return error;
    const TimePoint t = now();
    std::optional<snapshot::Pin> was;
    if (pins[*c] && pins[*c]->until > t) {
      was = snapshot::Pin{model->links[pins[*c]->link].name, wall(pins[*c]->until), pins[*c]->reason,
                          books[*c].pinned_by};
    }
    pins[*c].reset();
    emit(events::operator_action(config.node, "unpin", cls, was ? was->link : "", std::nullopt, reason, by, wall(t)));
    log::notice("class " + cls + " unpinned by " + actor_name(by));
    decide(t);
    return was;
  }

  api::Result<api::DrainInfo> drain(const std::string& link, Duration hold, const std::string& reason,
                                    const api::Actor& by) override {
    api::Error error;
    const auto l = find_link(link, error);
    if (!l) return error;
    const TimePoint t = now();
    Link& lk = *links[*l];
    lk.drained_until = t + hold;
    lk.drain_reason = reason;
    lk.drained_by = actor_name(by);
    inputs[*l].admin.drained_until = lk.drained_until;
    inputs[*l].admin.drain_reason = reason;
    emit(events::operator_action(config.node, "drain", "", link, wall(t + hold), reason, by, wall(t)));
    log::notice("link " + link + " drained for " + format_duration(hold) + " by " + actor_name(by) + ": " + reason);
    decide(t);
    return api::DrainInfo{link, wall(t + hold), reason, lk.drained_by};
  }

  api::Result<std::optional<snapshot::SystemTime>> undrain(const std::string& link, const std::string& reason,
                                                           const api::Actor& by) override {
    api::Error error;
    const auto l = find_link(link, error);
    if (!l) return error;
    const TimePoint t = now();
    Link& lk = *links[*l];
    std::optional<snapshot::SystemTime> was;
    if (lk.drained_until && *lk.drained_until > t) was = wall(*lk.drained_until);
    lk.drained_until.reset();
    lk.drain_reason.clear();
    lk.drained_by.clear();
    inputs[*l].admin.drained_until.reset();
    inputs[*l].admin.drain_reason.clear();
    emit(events::operator_action(config.node, "undrain", "", link, std::nullopt, reason, by, wall(t)));
    log::notice("link " + link + " undrained by " + actor_name(by));
    decide(t);
    return was;
  }

  void reload(const api::Actor& by, api::Then<api::ReloadInfo> then) override {
    emit(events::operator_action(config.node, "reload", "", "", std::nullopt, "", by,
                                 std::chrono::system_clock::now()));
    reload([this, then = std::move(then)](std::vector<std::string> errors) {
      if (!errors.empty()) {
        std::string message = "the new configuration was refused; the running one stays in force:";
        for (const auto& e : errors) message += "\n" + e;
        return then(api::Error{"failed", message});
      }
      then(api::ReloadInfo{config.links.size(), config.classes.size()});
    });
  }

  void history(const ops::HistoryQuery& query, api::Then<std::vector<std::string>> then) override {
    if (!journal) return then(api::Error{"journal_unavailable", "this daemon runs without a journal"});
    journal->history(query, [then = std::move(then)](JournalThread::Answer<std::vector<std::string>> a) {
      if (!a.value) return then(api::Error{"journal_unavailable", "the journal cannot be read: " + a.error});
      then(std::move(*a.value));
    });
  }

  // ---- drills -------------------------------------------------------------------------------
  snapshot::Drill drill_snapshot(const DrillRun& d) const {
    return snapshot::Drill{d.id, d.link_name, d.fault.text(), d.state, d.started_wall,
                           d.started_wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(d.hold),
                           d.abort_reason};
  }

  void drill_start(const std::string& link, const api::Fault& fault, Duration hold, const api::Actor& by,
                   api::Then<snapshot::Drill> then) override {
    auto refused = check_drill_start(link, fault, hold);
    if (refused) return then(std::move(*refused));
    auto started = begin_drill(link, fault, hold, by);
    if (fault.kind == api::FaultKind::simulate) return then(std::move(started));
    // The nftables fault is a transaction: the worker's. The drill watches from now on; its
    // clock starts when the fault is in place.
    drill_starting = true;
    drills::FaultInjector* faults = effects.faults.get();
    struct FaultInstalled {
      std::string failure = "internal error (see the log)";  // (a job that threw)
      TimePoint at{};
    };
    worker.run(
        to_loop,
        [faults, interface = links[drill->link]->config.interface, percent = fault.loss_percent] {
          FaultInstalled r{faults->inject(interface, percent), {}};
          r.at = now();
          return r;
        },
        [this, id = drill->id, then = std::move(then)](FaultInstalled r) {
          drill_starting = false;
          if (stopping) return;
          if (!drill || drill->id != id || drill->state != "running") {
            return then(api::Error{"failed", "the drill was aborted while its fault was being installed" +
                                                 (drill && drill->id == id ? ": " + drill->abort_reason : std::string())});
          }
          if (!r.failure.empty()) {
            abort_drill("cannot install the drill's nftables fault: " + r.failure);
            return then(api::Error{"failed", "cannot install the drill's nftables fault: " + r.failure});
          }
          if (drill->state == "running") {
            drill->started = r.at;
            drill->started_wall = wall(r.at);
          }
          then(drill_snapshot(*drill));
        });
  }

  std::optional<std::size_t> config_link(const std::string& name) const {
    const int l = config.link_index(name);
    return l < 0 ? std::nullopt : std::optional<std::size_t>(static_cast<std::size_t>(l));
  }

  std::optional<api::Error> check_drill_start(const std::string& link, const api::Fault& fault, Duration hold) {
    api::Error error;
    const auto l = find_link(link, error);
    if (!l) return error;
    if (drill && drill->state == "running") {
      return api::Error{"conflict", "drill " + drill->id + " is running; abort it first"};
    }
    if (drill_starting) return api::Error{"conflict", "a drill's fault is being installed; try again in a moment"};
    if (!settled) return api::Error{"conflict", "the links are still being measured; try again in a few seconds"};
    if (hold > config.drills.max_duration) {
      return api::Error{"invalid_argument", "for: at most " + format_duration(config.drills.max_duration) +
                                                " (drills.max_duration)"};
    }
    if (fault.kind != api::FaultKind::simulate && !effects.faults) {
      return api::Error{"failed", "this daemon cannot inject faults; use fault simulate"};
    }
    return std::nullopt;
  }

  // The drill runs from now: its fault is in place (or simulated from now on).
  api::Result<snapshot::Drill> begin_drill(const std::string& link, const api::Fault& fault, Duration hold,
                                           const api::Actor& by) {
    const auto l = config_link(link);
    const TimePoint t = now();
    auto run = std::make_unique<DrillRun>();
    run->link = *l;
    run->link_name = link;
    run->fault = fault;
    run->hold = hold;
    run->started = t;
    run->started_wall = wall(t);
    run->id = utc::format_compact(run->started_wall) + "-" + link;
    for (std::size_t c = 0; c < applied.size(); ++c) {
      if (applied[c] == policy::Target::to_link(static_cast<std::uint16_t>(*l))) run->classes.push_back({c, {}, {}, 0, {}});
    }
    if (fault.kind == api::FaultKind::simulate) {
      // The monitor keeps measuring the real link; the policy sees it failed.
      run->simulated = std::make_unique<links::LinkStatus>(links[*l]->monitor->status());
      run->simulated->health = links::Health::down;
      run->simulated->since = t;
      ++run->simulated->downs;
      run->simulated->reason = "drill " + run->id + ": simulated failure";
      inputs[*l].status = run->simulated.get();
      run->link_down = t;
    }
    drill = std::move(run);
    drill->timer = std::make_unique<asio::steady_timer>(io);
    drill->timer->expires_at(t + hold);
    drill->timer->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) end_drill_fault();
    });
    emit(events::operator_action(config.node, "drill.start", "", link, wall(t + hold), fault.text(), by, wall(t)));
    emit(events::drill_step(config.node, drill->id, "started", link, fault.text(), "", wall(t)));
    log::notice("drill " + drill->id + ": " + fault.text() + " on " + link + " for " + format_duration(hold) +
                ", started by " + actor_name(by));
    if (fault.kind == api::FaultKind::simulate) decide(t);
    return drill_snapshot(*drill);
  }

  std::optional<snapshot::Drill> drill_status() override {
    if (!drill) return std::nullopt;
    return drill_snapshot(*drill);
  }

  api::Result<snapshot::Drill> drill_abort(const std::string& reason, const api::Actor& by) override {
    if (!drill || drill->state != "running") return api::Error{"conflict", "no drill is running"};
    emit(events::operator_action(config.node, "drill.abort", "", drill->link_name, std::nullopt, reason, by,
                                 std::chrono::system_clock::now()));
    abort_drill(reason + " (" + actor_name(by) + ")");
    return drill_snapshot(*drill);
  }

  void drill_report(const std::string& id, api::Then<std::string> then) override {
    if (!journal) {
      if (drill && drill->state != "running" && (id.empty() || id == drill->id)) return then(last_drill_report);
      return then(api::Error{"journal_unavailable", "this daemon runs without a journal"});
    }
    journal->drill_report(id, [id, then = std::move(then)](JournalThread::Answer<std::optional<std::string>> a) {
      if (!a.value) return then(api::Error{"journal_unavailable", "the journal cannot be read: " + a.error});
      if (!*a.value) return then(api::Error{"not_found", id.empty() ? "no drill has been run" : "no drill '" + id + "'"});
      then(std::move(**a.value));
    });
  }

  // The fault ends: remove it, then wait for the classes to come back (or give up).
  void end_drill_fault() {
    if (!drill || drill->state != "running" || drill->fault_ended) return;
    const TimePoint t = now();
    remove_drill_fault();
    drill->fault_ended = t;
    emit(events::drill_step(config.node, drill->id, "fault_ended", drill->link_name, drill->fault.text(), "", wall(t)));
    log::notice("drill " + drill->id + ": fault removed; waiting for the classes to return");
    if (drill->classes.empty()) {
      finish_drill("completed", "");
      return;
    }
    // Long enough for rise + min_stable + the longest failback of the drilled classes.
    const auto& lc = links[drill->link]->config;
    Duration wait = lc.detect.interval * lc.detect.rise + lc.detect.min_stable + std::chrono::seconds(30);
    Duration longest{};
    for (const auto& cr : drill->classes) longest = std::max(longest, config.classes[cr.cls].failback);
    drill->timer->expires_at(t + wait + longest);
    drill->timer->async_wait([this](const boost::system::error_code& ec) {
      if (!ec && drill && drill->state == "running") finish_drill("completed", "");
    });
    decide(t);
  }

  void remove_drill_fault() {
    if (drill->fault.kind == api::FaultKind::simulate) {
      if (drill->link < inputs.size()) inputs[drill->link].status = &links[drill->link]->monitor->status();
      drill->simulated.reset();
    } else if (effects.faults) {
      clear_drill_fault(drill->id);
    }
  }

  // On the worker, in order after the fault's install (even while the daemon stops: the
  // worker runs its queue out before it ends).
  void clear_drill_fault(const std::string& id) {
    drills::FaultInjector* faults = effects.faults.get();
    worker.submit([faults, id] {
      if (auto error = faults->clear(); !error.empty()) {
        log::error("drill " + id + ": cannot remove its nftables fault: " + error);
      }
    });
  }

  void abort_drill(const std::string& reason) {
    if (!drill || drill->state != "running") return;
    if (!drill->fault_ended) remove_drill_fault();
    drill->abort_reason = reason;
    log::warning("drill " + drill->id + " aborted: " + reason);
    finish_drill("aborted", reason);
    if (!stopping) decide(now());
  }

  void finish_drill(const std::string& state_name, const std::string& reason) {
    if (drill->timer) drill->timer->cancel();
    drill->state = state_name;
    drill->abort_reason = reason;
    const TimePoint t = now();
    drills::Report r;
    r.id = drill->id;
    r.link = drill->link_name;
    r.fault = drill->fault.text();
    r.state = state_name;
    r.abort_reason = reason;
    r.started = drill->started_wall;
    if (drill->fault_ended) r.fault_ended = wall(*drill->fault_ended);
    r.finished = wall(t);
    r.planned_seconds = to_seconds(drill->hold);
    if (drill->link_down) r.link_detection = seconds_between(drill->started, *drill->link_down);
    r.targets = config.drills.targets;
    for (const auto& cr : drill->classes) {
      drills::ClassResult c;
      c.cls = cr.cls < config.classes.size() ? config.classes[cr.cls].name : "?";
      c.from = drill->link_name;
      c.to = cr.to;
      if (drill->link_down) c.detection = seconds_between(drill->started, *drill->link_down);
      if (cr.switched) {
        c.outage = seconds_between(drill->started, *cr.switched);
        if (drill->link_down) c.switchover = seconds_between(*drill->link_down, *cr.switched);
      }
      if (cr.back && drill->fault_ended) c.failback = seconds_between(*drill->fault_ended, *cr.back);
      r.classes.push_back(std::move(c));
    }
    drills::judge(r);
    last_drill_report = drills::to_json(r);
    drill_results = r;
    ++drill_outcomes[r.state != "completed" ? 2 : r.passed ? 0 : 1];
    if (journal) journal->store_drill_report(r.id, r.started, last_drill_report);
    emit(events::drill_step(config.node, r.id, state_name, r.link, r.fault, last_drill_report, wall(t)));
    log::notice("drill " + r.id + " " + state_name + ": " + (r.passed ? "passed" : "did not pass"));
  }

  // Called for every class switch while a drill runs.
  void drill_observe_switch(std::size_t c, policy::Target before, policy::Target after, TimePoint at,
                            double took) {
    if (!drill || drill->state != "running") return;
    const auto drilled = policy::Target::to_link(static_cast<std::uint16_t>(drill->link));
    for (auto& cr : drill->classes) {
      if (cr.cls != c) continue;
      if (!cr.switched && before == drilled && after != drilled) {
        cr.switched = at;
        cr.switch_seconds = took;
        cr.to = policy::target_name(*model, after);
        // The drill proves nothing, and must not go on, if the backups failed too.
        if (after.kind != policy::TargetKind::link && !drill->fault_ended) {
          asio::post(io, [this, name = config.classes[c].name, to = cr.to] {
            abort_drill("the backups failed too: class " + name + " has no fitting link (" + to + ")");
          });
        }
      } else if (drill->fault_ended && !cr.back && after == drilled) {
        cr.back = at;
      }
    }
    if (drill->fault_ended &&
        std::all_of(drill->classes.begin(), drill->classes.end(), [](const auto& x) { return x.back.has_value(); })) {
      asio::post(io, [this] {
        if (drill && drill->state == "running") finish_drill("completed", "");
      });
    }
  }

  // ---- state ---------------------------------------------------------------------------
  config::Config config;
  Effects effects;
  Options options;
  asio::io_context io{1};
  asio::signal_set signals;
  asio::steady_timer wakeup_timer;
  asio::steady_timer reconcile_timer;
  asio::steady_timer settle_timer;
  asio::steady_timer watchdog_timer;
  asio::steady_timer retention_timer;
  asio::steady_timer trust_timer;
  std::optional<std::map<std::string, std::uint64_t>> known_serials;  // refresh_trust
  std::unique_ptr<policy::PolicyModel> model;
  std::unique_ptr<policy::PolicyEngine> engine;
  std::vector<std::unique_ptr<Link>> links;
  std::vector<policy::LinkInput> inputs;
  std::vector<std::optional<policy::Pin>> pins;
  policy::Decision last;
  // What the kernel holds: the target each class's routes were last set for, and per family
  // (index 0 = IPv4) the route as installed, when it is known.
  struct Installed {
    bool known = false;
    std::optional<routing::RouteSpec> route;  // nullopt: no route in the table
  };
  std::vector<policy::Target> applied;
  std::vector<std::array<Installed, 2>> installed;
  std::uint64_t session = 0;
  bool settled = false;
  bool stopping = false;
  int exit_code = 0;
  std::uint64_t route_errors = 0;
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
  std::uint64_t nftables_errors = 0;
  std::uint64_t drift_repairs = 0;
  std::uint64_t decisions = 0;
  snapshot::Histogram decision_histogram;
  LoopLag loop_lag;
  Duration lag_warning = std::chrono::milliseconds(20);  // half the smallest detection time
  log::RateLimit lag_log{5, std::chrono::seconds(60)};
  // apply_pending(): when the decision being applied was taken, whether its next slice is
  // queued, and the marks of the classes it moved so far (flushed after the last slice).
  TimePoint decision_started{};
  bool slice_posted = false;
  std::map<std::uint32_t, std::string> stale_flows;
  // Failbacks: the flows collected for the classes failing back, and which marks they cover.
  struct FailedCollection final : classify::Classifier::Collected {
    FailedCollection() { error = -EIO; }
    std::size_t count(std::uint32_t) const override { return 0; }
  };
  bool collecting = false;
  std::uint64_t reload_generation = 0;
  TimePoint failback_collected_at{};
  std::vector<std::optional<policy::Target>> failback_to;  // by class: a failback under way
  std::shared_ptr<const classify::Classifier::Collected> failback_flows;
  std::set<std::uint32_t> failback_marks;
  std::string scheduling_text = "other";  // how the loop runs (apply_scheduling)
  std::optional<CpuPlan> loop_cpu;         // when the loop keeps a CPU to itself
  SystemTime started_wall{};
  SystemTime config_loaded{};
  std::optional<SystemTime> last_reload;
  bool last_reload_ok = true;
  std::vector<ClassBook> books;
  std::unique_ptr<DrillRun> drill;
  std::string last_drill_report;
  std::optional<drills::Report> drill_results;
  std::vector<ops::Event> after_switch;  // emit_after_switch()
  std::array<std::uint64_t, 3> drill_outcomes{};  // passed, failed, aborted
  std::unique_ptr<ops::EventSink> publisher;
  std::vector<std::shared_ptr<void>> operations;  // control server, metrics exporter
  log::RateLimit bad_reply_log{10, std::chrono::seconds(10)};
  log::RateLimit radio_log{10, std::chrono::seconds(10)};
  // Incident sharing.
  IncidentIo incident_io;
  snapshot::Daemon::Incidents incident_stats;
  // Reports seen (reporter + id) until they expire; the index finds the next to expire.
  std::set<std::string> seen_incidents;
  std::multimap<SystemTime, std::string> incidents_by_expiry;
  static constexpr std::size_t kMaxSeenIncidents = 100000;
  static constexpr auto kIncidentClockSkew = std::chrono::minutes(5);
  static constexpr auto kMaxIncidentQuarantine = std::chrono::hours(24 * 7);
  std::set<std::string> own_incidents;  // the signatures of the reports we sent
  std::map<std::pair<std::string, std::string>, TimePoint> last_published;
  std::deque<TimePoint> published_times;
  log::RateLimit incident_log{10, std::chrono::seconds(10)};
  static constexpr int kIncidentsPerSecond = 50;  // per claimed reporter
  std::map<std::string, std::pair<TimePoint, int>> incident_budget;  // keyed by allowed names only
  std::uint64_t radio_ids = 0;
  // Reconcile: a kernel read in flight on the worker, one asked for meanwhile, and how many
  // route writes there were (a read older than the last write is stale).
  bool reading_kernel = false;
  const char* reconcile_again = nullptr;
  std::uint64_t route_writes = 0;
  std::uint64_t stale_kernel_reads = 0;
  bool reloading = false;  // a reload's slow half runs on the worker
  bool drill_starting = false;  // its fault being installed on the worker
  std::vector<std::function<void(std::vector<std::string>)>> reload_waiters;  // asked for meanwhile
  // Last, so they go first: the journal writes its queue out and the worker finishes its own
  // (their jobs use the effects above) before anything else is destroyed.
  std::unique_ptr<JournalThread> journal =
      effects.journal ? std::make_unique<JournalThread>(std::move(effects.journal),
                                                        [this](std::function<void()> f) { asio::post(io, std::move(f)); })
                      : nullptr;
  Worker worker{"lifelined-work"};
  // The operators' side (NSS look-ups, rendering query replies) on a thread of its own: a
  // user's LDAP look-up that hangs must not hold up a conntrack flush or a failback.
  Worker control_worker{"lifelined-ctl"};
  Worker::Post to_loop = [this](std::function<void()> f) { asio::post(io, std::move(f)); };
  std::unique_ptr<FlowFlusher> flusher =
      std::make_unique<FlowFlusher>(*effects.classifier, worker, to_loop);
};

Daemon::Daemon(config::Config config, Effects effects, Options options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(effects), std::move(options))) {}

Daemon::~Daemon() = default;

int Daemon::run() { return impl_->run(); }

void Daemon::stop() { impl_->stop(); }

void Daemon::reload() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->reload(); });
}

std::optional<snapshot::Daemon> Daemon::snapshot(std::chrono::milliseconds timeout) {
  return impl_->snapshot_from_any_thread(timeout);
}

std::string Daemon::control(const std::string& request, const ops::Peer& peer,
                            std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto future = promise->get_future();
  asio::post(impl_->io, [impl = impl_.get(), promise, request, peer] {
    impl->answer_control(request, peer, [promise](std::string reply) { promise->set_value(std::move(reply)); });
  });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return R"({"version":1,"ok":false,"error":{"code":"failed","message":"the daemon did not answer"}})";
  }
  return future.get();
}

}  // namespace lifeline::daemon
