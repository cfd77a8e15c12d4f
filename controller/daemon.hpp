// lifelined's composition root: one event loop (Boost.Asio io_context, one thread) that owns
// every piece of state. Probe replies and timer expiries feed the link monitors; when a
// link's state changes, the policy runs and the class routes are replaced in the same turn
// of the loop (the failover path has no tick). A periodic reconcile only repairs drift.
// Outside effects (routes, classification, probe sockets) come in through Effects, so the
// same loop runs against the kernel in the daemon and against fakes in tests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controller/classifier.hpp"
#include "controller/routing.hpp"
#include "links/probes/prober.hpp"

namespace lifeline::daemon {

using ProberFactory = std::function<std::unique_ptr<probes::Prober>(
    boost::asio::io_context& io, const config::ProbeConfig& probe, probes::ProbeSpec spec,
    probes::Prober::Handler handler)>;

// The real probers: UDP echo or ICMP by the probe's type.
ProberFactory socket_probers();

struct Effects {
  std::unique_ptr<routing::RouteActuator> routes;
  std::unique_ptr<classify::Classifier> classifier;
  ProberFactory probers;
};

struct Options {
  std::string config_path;  // re-read on SIGHUP
  Duration reconcile_interval = std::chrono::seconds(5);
  // Before the first decision the links need a chance to prove themselves; until then the
  // routes a previous run left stay as they are. Ends early once every link is up.
  Duration max_settle = std::chrono::seconds(10);
};

// Loads the key of every udp-echo probe. Empty on success, else one message per problem
// ("links[0].probes[0].key_file: ...").
std::vector<std::string> check_keys(const config::Config& config);

class Daemon {
 public:
  Daemon(config::Config config, Effects effects, Options options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs the loop until SIGTERM/SIGINT or stop(); returns the process exit code.
  int run();
  // Thread-safe.
  void stop();
  // Thread-safe: as SIGHUP.
  void reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::daemon
