// lifeline-mm-bridge: one modem's radio state from ModemManager, as telemetry readings for
// lifelined (docs/mm-bridge.md).
#include <signal.h>
#include <sys/signalfd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <csignal>
#include <iostream>
#include <string>

#include "bridge/bridge.hpp"
#include "common/log.hpp"
#include "common/units.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

const char* kDescription =
    R"(lifeline-mm-bridge: publishes one modem's radio state, read from ModemManager over
D-Bus, as telemetry readings for lifelined's radio-integrity checks (docs/mm-bridge.md).

Every --interval, and soon after the modem's access technology, registration or operator
changes, it publishes one JSON object on a ZeroMQ PUB socket bound at --feed:

  {"modem":"modem0","time":"2026-11-29T12:00:00Z","rat":"nr","plmn":"24001","tac":6699,
   "cell_id":19088743,"pci":123,"arfcn":632628,"rsrp":-95.0,"rsrq":-10.0,"snr":12.0,
   "neighbours":5,"registration":"home"}

A value ModemManager cannot give is left out; cipher and reject_cause never appear
(ModemManager does not expose them). A read that fails is skipped, counted and logged; while
the modem is missing nothing is published, and the bridge keeps looking for it.

  lifeline-mm-bridge --feed ipc:///run/lifeline/modem0.sock --name modem0 --modem 0

Logs go to stderr with syslog priority prefixes ("<4>...") for the journal. SIGTERM or
SIGINT stops it; the counters are logged on the way out.

Exit codes: 0 ok (stopped by a signal), 1 runtime failure (cannot connect to the bus, or
lost it), 2 usage error (bad arguments, an endpoint libzmq cannot bind at all).)";

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '@';
  });
}

}  // namespace

int main(int argc, char** argv) {
  namespace bridge = lifeline::bridge;
  namespace log = lifeline::log;

  CLI::App app{kDescription, "lifeline-mm-bridge"};
  std::string feed, name, modem, interval_text = "1s", bus = "system";
  app.add_option("--feed", feed,
                 "ZeroMQ endpoint to bind the PUB socket on, e.g. ipc:///run/lifeline/modem0.sock")
      ->required()
      ->type_name("ENDPOINT");
  app.add_option("--name", name, "the modem's name in each reading (lifelined's radio.modem)")
      ->required()
      ->type_name("NAME");
  app.add_option("--modem", modem,
                 "which modem: an index (0), an object path, or the IMEI; default: the first "
                 "modem ModemManager lists")
      ->type_name("N|PATH|IMEI");
  app.add_option("--interval", interval_text, "time between readings (1s to 1h)")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--bus", bus,
                 "where ModemManager is: system, session, or a D-Bus address "
                 "(unix:path=/run/x/bus)")
      ->type_name("BUS")
      ->capture_default_str();
  app.set_version_flag("--version", std::string("lifeline-mm-bridge ") + LIFELINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  const auto interval = lifeline::parse_duration(interval_text);
  if (!interval.value) {
    std::cerr << "lifeline-mm-bridge: --interval " << interval_text << ": " << interval.error
              << "\n";
    return kExitUsage;
  }
  if (*interval.value < std::chrono::seconds(1) || *interval.value > std::chrono::hours(1)) {
    // ModemManager refreshes signal values in whole seconds; faster readings would repeat them.
    std::cerr << "lifeline-mm-bridge: --interval " << interval_text << ": must be from 1s to 1h\n";
    return kExitUsage;
  }
  if (!valid_name(name)) {
    std::cerr << "lifeline-mm-bridge: --name '" << name
              << "': 1 to 64 letters, digits, '-', '_', '.' or '@'\n";
    return kExitUsage;
  }

  // Signals are read from a descriptor in the loop; blocked first, so that libzmq's threads
  // (started below) inherit the mask and never take them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  const int stop_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (stop_fd < 0) {
    log::error("signalfd failed");
    return kExitRuntime;
  }

  try {
    bridge::FeedPublisher publisher(feed);
    const auto bound = publisher.ensure_bound();
    if (bound.usage_error) {
      std::cerr << "lifeline-mm-bridge: --feed " << bound.error << "\n";
      return kExitUsage;
    }
    if (!bound.ok) log::warning(name + ": cannot bind the feed yet: " + bound.error);

    const auto interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*interval.value);
    // A call may take as long as an interval, within 1 to 5 s: cell info on an AT modem takes
    // a while, and a hung ModemManager must not stall the loop for long.
    const auto call_timeout =
        std::clamp(interval_ms, std::chrono::milliseconds(1000), std::chrono::milliseconds(5000));
    bridge::ModemManagerClient client(bus, call_timeout);
    bridge::Bridge loop({name, bridge::parse_modem_selector(modem), interval_ms}, client,
                        publisher);
    log::info(name + ": publishing on " + feed + " every " +
              lifeline::format_duration(*interval.value) + " (bus " + bus + ", " +
              bridge::to_string(bridge::parse_modem_selector(modem)) + ")");
    int signal = 0;
    try {
      signal = loop.run(stop_fd);
    } catch (const bridge::BusError& e) {
      log::error(name + ": " + e.what() + "; " + loop.counters_text());
      return kExitRuntime;
    }
    log::info(name + ": stopping (" + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
              "): " + loop.counters_text());
  } catch (const bridge::BusError& e) {
    log::error(name + ": " + e.what());
    return kExitRuntime;
  } catch (const std::exception& e) {
    log::error(name + ": " + e.what());
    return kExitRuntime;
  }
  return kExitOk;
}
