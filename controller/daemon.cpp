#include "controller/daemon.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <map>
#include <random>

#include "config/loader.hpp"
#include "controller/log.hpp"
#include "links/link_monitor.hpp"
#include "links/probes/keys.hpp"
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
bool same_probing(const config::LinkConfig& a, const config::LinkConfig& b) {
  return a.name == b.name && a.interface == b.interface && a.probes == b.probes &&
         a.detect == b.detect && a.sla.window == b.sla.window && a.quorum == b.quorum;
}

void notify(const std::string& state) { ::sd_notify(0, state.c_str()); }

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

struct Daemon::Impl {
  struct Target {
    std::size_t index = 0;  // within the link
    Duration interval{};
    TimePoint next_send{};
    std::unique_ptr<probes::Prober> prober;
    std::unique_ptr<asio::steady_timer> timer;
  };

  // Path-integrity signals and reply bookkeeping per link (exported by the operations work).
  struct LinkCounters {
    std::uint64_t bad_mac = 0, unknown_key = 0, wrong_session = 0, malformed = 0;
    std::uint64_t duplicate = 0, late = 0, unknown_seq = 0;
  };

  struct Link {
    config::LinkConfig config;
    std::unique_ptr<links::LinkMonitor> monitor;
    std::vector<std::unique_ptr<Target>> targets;
    std::unique_ptr<asio::steady_timer> deadline_timer;
    TimePoint armed{TimePoint::max()};
    std::uint64_t generation = 0;
    links::Health health = links::Health::down;
    LinkCounters counters;
    // Shared with the probers' handlers: false once this Link is gone (reload), so a
    // handler that races with destruction does nothing.
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  };

  Impl(config::Config c, Effects e, Options o)
      : config(std::move(c)),
        effects(std::move(e)),
        options(std::move(o)),
        signals(io, SIGTERM, SIGINT, SIGHUP),
        wakeup_timer(io),
        reconcile_timer(io),
        settle_timer(io),
        watchdog_timer(io) {
    std::random_device rd;
    session = (std::uint64_t{rd()} << 32) ^ rd();
  }

  // ---- start and stop ------------------------------------------------------------------
  int run() {
    if (auto error = effects.classifier->apply(config); !error.empty()) {
      log::error("cannot install the nftables classification: " + error);
      return 1;
    }
    model = std::make_unique<policy::PolicyModel>(policy::PolicyModel::compile(config));
    engine = std::make_unique<policy::PolicyEngine>(*model);
    const TimePoint start = now();
    try {
      for (std::size_t l = 0; l < config.links.size(); ++l) {
        links.push_back(make_link(config.links[l], model->watches[l], start));
      }
    } catch (const std::exception& e) {
      log::error(std::string("cannot set up probes: ") + e.what());
      return 1;
    }
    rebuild_inputs();
    last.state = policy::PolicyState::initial(*model);
    applied.assign(config.classes.size(), policy::Target{});
    installed.assign(config.classes.size(), {});
    pins.assign(config.classes.size(), std::nullopt);
    adopt_existing_routes();

    signals.async_wait([this](const boost::system::error_code& ec, int signo) { on_signal(ec, signo); });
    for (auto& link : links) start_link(*link, start);
    begin_settle(start);
    arm_reconcile();
    arm_watchdog();
    log::notice("lifelined " + config.node + ": " + std::to_string(config.links.size()) +
                " links, " + std::to_string(config.classes.size()) + " classes; waiting for probes");
    notify("READY=1\nSTATUS=settling: measuring links");
    io.run();
    return exit_code;
  }

  void stop() {
    asio::post(io, [this] { shutdown(0); });
  }

  void shutdown(int code) {
    if (stopping) return;
    stopping = true;
    exit_code = code;
    notify("STOPPING=1");
    log::notice("stopping; the class routes stay as they are (fail static)");
    links.clear();  // probers close their sockets; their handlers see alive == false
    signals.cancel();
    wakeup_timer.cancel();
    reconcile_timer.cancel();
    settle_timer.cancel();
    watchdog_timer.cancel();
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

  void on_send(Link& link, Target& t) {
    const TimePoint at = now();
    const std::uint64_t seq = link.monitor->on_probe_sent(t.index, at);
    t.prober->send(seq);
    t.next_send += t.interval;
    // A loop that fell behind (a stall) skips the missed slots rather than bursting.
    if (t.next_send <= at) t.next_send = at + t.interval;
    arm_send(link, t);
    after_link_event(link, at);
  }

  void on_reply(Link& link, std::size_t target, const probes::Received& r) {
    auto& c = link.counters;
    if (r.status != probes::ReplyStatus::ok) {
      switch (r.status) {
        case probes::ReplyStatus::bad_mac:
          ++c.bad_mac;
          break;
        case probes::ReplyStatus::unknown_key:
          ++c.unknown_key;
          break;
        case probes::ReplyStatus::wrong_session:
          ++c.wrong_session;
          break;
        case probes::ReplyStatus::malformed:
        case probes::ReplyStatus::ok:
          ++c.malformed;
          break;
      }
      bad_reply_log.write(log::Level::warning,
                          "link " + link.config.name + ": reply from " +
                              link.monitor->target_name(target) + " rejected (" +
                              probes::to_string(r.status) + "); it does not count as alive");
      return;
    }
    const auto verdict = link.monitor->on_probe_reply(target, r.seq, r.at);
    switch (verdict) {
      case links::ReplyVerdict::accepted:
        break;
      case links::ReplyVerdict::duplicate:
        ++c.duplicate;
        break;
      case links::ReplyVerdict::late:
        ++c.late;
        break;
      case links::ReplyVerdict::unknown:
        ++c.unknown_seq;
        bad_reply_log.write(log::Level::warning, "link " + link.config.name + ": reply from " +
                                                     link.monitor->target_name(target) +
                                                     " to a probe never sent (seq " +
                                                     std::to_string(r.seq) + ")");
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
      link.health = status.health;
      if (!settled && all_links_up()) end_settle();
    }
    decide(at);
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
    link.deadline_timer->async_wait([this, raw, alive](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto a = alive.lock(); !a || !*a) return;
      raw->armed = TimePoint::max();
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
    for (std::size_t l = 0; l < links.size(); ++l) inputs[l].status = &links[l]->monitor->status();
  }

  // ---- decisions -----------------------------------------------------------------------
  void decide(TimePoint at) {
    // While settling, links are still being measured: a decision now would only record
    // which link happened to answer first (and start hold-downs against the others).
    if (!settled) return;
    policy::Decision next = engine->decide(inputs, pins, std::move(last.state), at);
    apply(next);
    last = std::move(next);
    arm_wakeup();
  }

  // Puts every class whose target changed onto its new route: one netlink message per
  // family, highest precedence first, all in this turn of the loop. Only then the slower
  // work: conntrack flushes and log lines, so no class waits for another's flush.
  void apply(const policy::Decision& d) {
    std::vector<std::pair<std::size_t, policy::Target>> moved;  // class, previous target
    bool failed = false;
    for (const auto c : model->order) {
      const auto& cd = d.classes[c];
      if (cd.target == applied[c]) continue;
      for (const Family family : {Family::v4, Family::v6}) {
        const auto route = routing::class_route(config, c, family, cd.target);
        auto& current = installed[c][family == Family::v4 ? 0 : 1];
        if (current.known && current.route == route) continue;
        const auto error = effects.routes->set_class_route(routing::class_table(c), family, route);
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
      applied[c] = cd.target;
    }
    for (const auto& [c, before] : moved) {
      log::notice("class " + config.classes[c].name + ": " + policy::target_name(*model, before) +
                  " -> " + policy::target_name(*model, applied[c]) + ": " +
                  policy::reason_text(*model, inputs, d, c));
      // Flows NATed out of the old link cannot continue on another one: drop their conntrack
      // entries so they re-establish (and are re-marked) on the new path.
      if (before.kind == policy::TargetKind::link) {
        const long flushed = effects.classifier->flush_flows(routing::class_mark(c));
        if (flushed < 0) {
          log::warning("class " + config.classes[c].name + ": conntrack flush failed: errno " +
                       std::to_string(-flushed));
        }
      }
    }
    if (failed) schedule_repair();
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
  void reconcile(const char* why) {
    const auto desired = routing::plan_routing(config, applied);
    const auto report = effects.routes->reconcile(desired);
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
      if (settled) reconcile("periodic");
      arm_reconcile();
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
  void reload() {
    notify("RELOADING=1\nMONOTONIC_USEC=" +
           std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count()));
    const bool ok = try_reload();
    if (ok) {
      ++reloads_ok;
    } else {
      ++reloads_failed;
    }
    notify("READY=1");
  }

  bool try_reload() {
    log::notice("reloading " + options.config_path);
    auto loaded = config::load_config_file(options.config_path);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) log::error(e.to_string());
      log::error("reload rejected: " + std::to_string(loaded.errors.size()) +
                 " errors; the running configuration stays in force");
      return false;
    }
    config::Config next = std::move(*loaded.config);
    if (auto problems = check_keys(next); !problems.empty()) {
      for (const auto& p : problems) log::error(p);
      log::error("reload rejected; the running configuration stays in force");
      return false;
    }
    if (auto error = effects.classifier->apply(next); !error.empty()) {
      log::error("reload rejected: nftables refused the classification: " + error);
      return false;
    }
    const TimePoint at = now();
    auto next_model = std::make_unique<policy::PolicyModel>(policy::PolicyModel::compile(next));

    // Links: keep the ones whose probing is unchanged (no probe gap), rebuild the others.
    // New links are built first: if that fails, nothing has changed yet.
    std::vector<int> reuse(next.links.size(), -1);
    std::vector<std::unique_ptr<Link>> fresh(next.links.size());
    try {
      for (std::size_t l = 0; l < next.links.size(); ++l) {
        for (std::size_t o = 0; o < links.size(); ++o) {
          if (same_probing(links[o]->config, next.links[l])) reuse[l] = static_cast<int>(o);
        }
        if (reuse[l] < 0) fresh[l] = make_link(next.links[l], next_model->watches[l], at);
      }
    } catch (const std::exception& e) {
      log::error(std::string("reload rejected: cannot set up probes: ") + e.what());
      effects.classifier->apply(config);  // back to the running classification
      return false;
    }
    std::vector<std::unique_ptr<Link>> next_links(next.links.size());
    for (std::size_t l = 0; l < next.links.size(); ++l) {
      if (reuse[l] >= 0) {
        next_links[l] = std::move(links[static_cast<std::size_t>(reuse[l])]);
        next_links[l]->config = next.links[l];
        next_links[l]->monitor->set_watches(next_model->watches[l], at);
      } else {
        next_links[l] = std::move(fresh[l]);
        start_link(*next_links[l], at);
      }
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
      const int l = next_model->link_index(model->links[t.link].name);
      return l < 0 ? policy::Target{} : policy::Target::to_link(static_cast<std::uint16_t>(l));
    };
    for (std::size_t c = 0; c < next.classes.size(); ++c) {
      const int old = model->class_index(next.classes[c].name);
      if (old < 0) continue;
      const auto o = static_cast<std::size_t>(old);
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
      const int old = model->link_index(next.links[l].name);
      if (old >= 0 && same_probing(config.links[static_cast<std::size_t>(old)], next.links[l])) {
        state.dampening[l] = last.state.dampening[static_cast<std::size_t>(old)];
      }
    }

    // A class that moved to another slot (classes reordered or removed) has a new mark; its
    // existing flows still carry the old one, which now selects another class's table.
    // Flush them so they re-establish under their new mark.
    for (std::size_t o = 0; o < config.classes.size(); ++o) {
      const int c = next_model->class_index(config.classes[o].name);
      if (c != static_cast<int>(o)) {
        const long flushed = effects.classifier->flush_flows(routing::class_mark(o));
        if (flushed < 0) log::warning("reload: conntrack flush of mark slot " + std::to_string(o) + " failed");
      }
    }

    links = std::move(next_links);
    config = std::move(next);
    model = std::move(next_model);
    engine = std::make_unique<policy::PolicyEngine>(*model);
    pins.assign(config.classes.size(), std::nullopt);
    rebuild_inputs();
    last = policy::Decision{};
    last.state = std::move(state);
    applied = std::move(next_applied);
    installed = std::move(next_installed);
    for (auto& link : links) {
      link->armed = TimePoint::max();
      arm_deadline(*link);
    }
    decide(at);
    if (settled) reconcile("reload");
    log::notice("reloaded: " + std::to_string(config.links.size()) + " links, " +
                std::to_string(config.classes.size()) + " classes");
    return true;
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
  log::RateLimit bad_reply_log{10, std::chrono::seconds(10)};
};

Daemon::Daemon(config::Config config, Effects effects, Options options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(effects), std::move(options))) {}

Daemon::~Daemon() = default;

int Daemon::run() { return impl_->run(); }

void Daemon::stop() { impl_->stop(); }

void Daemon::reload() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->reload(); });
}

}  // namespace lifeline::daemon
