// lifelined: keeps each traffic class of a base gateway on a link that is fit for it.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "controller/classify/nft_classifier.hpp"
#include "controller/control/control_server.hpp"
#include "controller/daemon.hpp"
#include "controller/drills.hpp"
#include "controller/journal/journal.hpp"
#include "controller/metrics/exporter.hpp"
#include "controller/netlink/netlink_actuator.hpp"
#include "zmq/curve_keys.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

const char* kDescription = R"(lifelined: keeps each traffic class of a base gateway on a link that is fit for it.

It probes every configured link (authenticated UDP echo and ICMP, bound to the link's
interface), measures loss, latency and jitter, and puts each traffic class on the first link
of its preference list that meets its requirements, by Linux policy routing: a fwmark per
class (set by the nftables table `inet lifeline`), a routing table per class, one default
route per family, replaced atomically when the class moves. A class that fits nowhere is
black-holed (when_none: blackhole) or left to the ordinary routes (when_none: main).

Signals: SIGHUP reloads the configuration (a bad one is refused and the running one stays);
SIGTERM/SIGINT stop the daemon and leave the routes as they are (fail static). Under systemd
(Type=notify) it reports READY/RELOADING/STOPPING and pings the watchdog from its loop.

Operations (each configurable, see docs/configuration.md):
  control socket  /run/lifeline/control.sock   lifelinectl: status, explain, pin, drain, drills
  event stream    /run/lifeline/events.sock    every link change, class switch, action, drill
  metrics         http://127.0.0.1:10470/metrics   Prometheus (docs/metrics.md)
  journal         /var/lib/lifeline/journal.db     lifelinectl history (docs/journal.md)
Pins and drains stay in force across a restart (they are in the journal).

Files: /etc/lifeline/lifeline.yaml (configuration), /etc/lifeline/keys/ (key files, mode
0600/0640/0400/0440). Operator guide: docs/operator-guide.md (/usr/share/doc/lifeline/).

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
(1: e.g. a probe socket cannot be opened, nftables refused the classification, the control
 socket or the metrics port cannot be bound; 2: also an unreadable key file. See
 docs/daemon.md.))";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "lifelined"};
  std::string config_path = "/etc/lifeline/lifeline.yaml";
  std::string positional;
  bool check_only = false;
  bool verbose = false;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only,
               "validate the configuration (--config FILE, or FILE) and exit: 0 valid, 2 not. "
               "Key files are checked when the daemon starts");
  app.add_flag("-v,--verbose", verbose, "log debug messages too");
  app.add_option("file", positional, "configuration file (same as --config)");
  app.set_version_flag("--version", std::string("lifelined ") + LIFELINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!positional.empty()) config_path = positional;
  if (verbose) lifeline::log::set_max_level(lifeline::log::Level::debug);

  auto loaded = lifeline::config::load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    std::cerr << config_path << ": " << loaded.errors.size()
              << (loaded.errors.size() == 1 ? " error" : " errors") << "\n";
    return kExitUsage;
  }
  const auto& config = *loaded.config;
  if (check_only) {
    std::cout << config_path << ": ok (node " << config.node << ", " << config.links.size()
              << " links, " << config.classes.size() << " classes)\n";
    return kExitOk;
  }
  // Key files are the host's business, not the file's: they are checked when the daemon
  // starts (and on every reload), so a config can be validated on another machine.
  if (const auto problems = lifeline::daemon::check_keys(config); !problems.empty()) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return kExitUsage;
  }

  try {
    namespace ll = lifeline;
    ll::daemon::Effects effects;
    effects.routes = ll::netlink::make_netlink_actuator();
    effects.classifier = ll::classify::make_nft_classifier();
    effects.probers = ll::daemon::socket_probers();
    effects.faults = ll::drills::make_nft_fault_injector();
    // A journal that cannot be opened (a corrupt file, a full disk) must not take failover
    // away: run without it, loudly (history and drill reports answer journal_unavailable).
    try {
      effects.journal = ll::journal::Journal::open(config.journal);
    } catch (const std::exception& e) {
      ll::log::error(std::string("journal unavailable, running without it: ") + e.what());
    }
    effects.event_stream = [events = config.events](boost::asio::io_context& io) -> std::unique_ptr<ll::ops::EventSink> {
      return std::make_unique<ll::control::EventPublisher>(io, events);
    };
    effects.control = [control = config.control](boost::asio::io_context& io, ll::ops::ControlHandler handler,
                                                 ll::ops::Offload offload) {
      return std::shared_ptr<void>(
          std::make_shared<ll::control::ControlServer>(io, control, std::move(handler), std::move(offload)));
    };
    effects.metrics = [metrics = config.metrics](ll::daemon::SnapshotSource source) {
      auto exporter = std::make_shared<ll::metrics::Exporter>(metrics, std::move(source));
      ll::log::info("metrics on http://" + (metrics.address.is_v4() ? metrics.address.to_string()
                                                                      : "[" + metrics.address.to_string() + "]") +
                    ":" + std::to_string(exporter->port()) + "/metrics");
      return std::shared_ptr<void>(exporter);
    };
    auto curve_of = [](const ll::ops::FeedSpec& spec) -> std::optional<ll::curve::Client> {
      if (spec.server_public_key.empty()) return std::nullopt;
      std::string error;
      const auto keys = ll::curve::load_key_file(spec.client_key_file, error);
      if (!keys) throw std::runtime_error(spec.what + ": " + spec.client_key_file + ": " + error);
      return ll::curve::Client{spec.server_public_key, keys->public_key, keys->secret_key};
    };
    effects.subscribe = [curve_of](boost::asio::io_context& io, const ll::ops::FeedSpec& spec,
                                   ll::ops::FeedHandler handler) {
      return std::shared_ptr<void>(std::make_shared<ll::control::FeedSubscriber>(
          io, spec.what, spec.endpoint, curve_of(spec), spec.max_bytes, std::move(handler)));
    };
    effects.publish = [curve_of](boost::asio::io_context& io, const ll::ops::FeedSpec& spec) {
      auto publisher = std::make_shared<ll::control::FeedPublisher>(io, spec.what, spec.endpoint, curve_of(spec));
      ll::ops::FeedSend send = [weak = std::weak_ptr<ll::control::FeedPublisher>(publisher)](
                                   const std::vector<std::string>& frames) {
        auto p = weak.lock();
        return p && p->publish(frames);
      };
      return std::make_pair(std::shared_ptr<void>(publisher), send);
    };
    lifeline::daemon::Options options;
    options.config_path = config_path;
    lifeline::daemon::Daemon daemon(std::move(*loaded.config), std::move(effects), options);
    return daemon.run();
  } catch (const std::exception& e) {
    lifeline::log::error(std::string("lifelined: ") + e.what());
    return kExitRuntime;
  }
}
