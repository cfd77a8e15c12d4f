// Prometheus metrics (prometheus-cpp): an exposer on metrics.listen whose collector turns a
// fresh Snapshot of the daemon into metric families at every scrape, so there is no second
// copy of the state to keep in step. Names follow Prometheus conventions (docs/metrics.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "controller/snapshot.hpp"

namespace lifeline::metrics {

// Called on the exposer's thread; returns nullopt when the event loop did not answer in time.
using SnapshotSource = std::function<std::optional<snapshot::Daemon>()>;

class Exporter {
 public:
  // Listens on config.address:port (port 0: a free port). Throws std::runtime_error
  // ("metrics.listen 127.0.0.1:10470: address already in use") when it cannot.
  Exporter(const config::MetricsConfig& config, SnapshotSource source);
  ~Exporter();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::metrics
