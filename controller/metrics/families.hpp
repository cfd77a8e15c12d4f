// The Prometheus view of a Snapshot: a pure function from what the daemon knows (plus the few
// facts the exporter keeps about itself) to metric families, so every name, label and value in
// docs/metrics.md is tested without a socket. Exporter::Collect() calls it at every scrape.
#pragma once

#include <prometheus/metric_family.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "controller/snapshot.hpp"

namespace lifeline::metrics {

// What the exporter knows by itself, whether or not the daemon answered this scrape.
struct ExporterFacts {
  std::string version;                  // of this build (lifeline_build_info)
  std::uint64_t snapshot_failures = 0;  // scrapes that got no snapshot in time, since start
};

// `daemon` is null when the event loop did not answer in time: then only what stays true
// without it is exposed (build info, lifeline_snapshot_ok 0, the failure count), never stale
// numbers. `now` is the scrape's wall-clock time (for "seconds in the current state").
std::vector<prometheus::MetricFamily> build_families(const snapshot::Daemon* daemon,
                                                     snapshot::SystemTime now,
                                                     const ExporterFacts& facts);

}  // namespace lifeline::metrics
