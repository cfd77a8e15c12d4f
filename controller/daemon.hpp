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
#include "controller/drills.hpp"
#include "controller/ops.hpp"
#include "controller/routing.hpp"
#include "controller/snapshot.hpp"
#include "links/probes/prober.hpp"

namespace lifeline::daemon {

using ProberFactory = std::function<std::unique_ptr<probes::Prober>(
    boost::asio::io_context& io, const config::ProbeConfig& probe, probes::ProbeSpec spec,
    probes::Prober::Handler handler)>;

// The real probers: UDP echo or ICMP by the probe's type.
ProberFactory socket_probers();

// Thread-safe: a fresh snapshot from the event loop, or nullopt if it did not answer in time.
using SnapshotSource = std::function<std::optional<snapshot::Daemon>()>;

struct Effects {
  std::unique_ptr<routing::RouteActuator> routes;
  std::unique_ptr<classify::Classifier> classifier;
  ProberFactory probers;
  // Drills' faults (nftables); without one, only `simulate` drills are possible.
  std::unique_ptr<drills::FaultInjector> faults;
  // Operations, each optional (tests leave out what they do not need). The daemon creates
  // the ones that need its event loop at start and owns them until it stops.
  std::unique_ptr<ops::JournalStore> journal;
  std::function<std::unique_ptr<ops::EventSink>(boost::asio::io_context&)> event_stream;
  std::function<std::shared_ptr<void>(boost::asio::io_context&, ops::ControlHandler, ops::Offload)> control;
  std::function<std::shared_ptr<void>(SnapshotSource)> metrics;
  // Feeds (radio telemetry, incidents): subscribe returns a handle that unsubscribes when
  // dropped; handlers run on the loop. Throw std::runtime_error for an endpoint that cannot
  // be used. Without them no feed is read (a link's radio then goes stale).
  std::function<std::shared_ptr<void>(boost::asio::io_context&, const ops::FeedSpec&, ops::FeedHandler)> subscribe;
  std::function<std::pair<std::shared_ptr<void>, ops::FeedSend>(boost::asio::io_context&, const ops::FeedSpec&)>
      publish;
};

struct Options {
  std::string config_path;  // re-read on SIGHUP
  Duration reconcile_interval = std::chrono::seconds(5);
  // Before the first decision the links need a chance to prove themselves; until then the
  // routes a previous run left stay as they are. Ends early once every link is up.
  Duration max_settle = std::chrono::seconds(10);
  // How often the journal's retention (and its WAL checkpoint) runs: this bounds what a
  // power loss can take from the journal (docs/journal.md).
  Duration retention_interval = std::chrono::minutes(1);
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
  // Thread-safe: a snapshot of the state from the loop (nullopt if it does not answer within
  // `timeout`, e.g. before run() or after it stopped).
  std::optional<snapshot::Daemon> snapshot(std::chrono::milliseconds timeout);
  // Thread-safe: one control request (docs/control-api.md) answered by the loop, as the
  // control socket would; for tests and embedding.
  std::string control(const std::string& request, const ops::Peer& peer,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::daemon
