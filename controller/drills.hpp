// Failover drills: a fault put on one link for a while (a real nftables black hole or loss on
// its interface, or a simulated failure that only the policy sees), and a report of what the
// gateway did about it, class by class, judged against the configured targets
// (docs/drills.md). The run itself lives in the event loop (controller/daemon.cpp); this is
// the fault injection and the report.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controller/snapshot.hpp"

namespace lifeline::drills {

class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  // Drops `loss_percent` % (100: everything) of the packets entering and leaving `interface`.
  // Replaces any fault already injected. Returns an error message, or empty.
  virtual std::string inject(const std::string& interface, int loss_percent) = 0;
  // Removes the fault (also one left behind by an earlier run). Returns an error, or empty.
  virtual std::string clear() = 0;
};

// nftables table `inet lifeline_drill`, one transaction each way.
std::unique_ptr<FaultInjector> make_nft_fault_injector();
// The nft text that installs the fault (pure; tested and checked with nft -c).
std::string render_fault(const std::string& interface, int loss_percent);
std::string render_clear();

struct ClassResult {
  std::string cls;
  std::string from;   // the drilled link
  std::string to;     // where it went ("" if it never moved)
  std::optional<double> detection;  // fault start -> drilled link declared down (s)
  std::optional<double> switchover;  // link down -> the class's routes replaced (s)
  std::optional<double> outage;     // fault start -> the class's routes replaced (s)
  std::optional<double> failback;   // fault end -> back on the drilled link (s)
  bool passed = true;
  std::vector<std::string> failures;
};

struct Report {
  std::string id;
  std::string link;
  std::string fault;
  std::string state;  // completed | aborted
  std::string abort_reason;
  snapshot::SystemTime started{};
  std::optional<snapshot::SystemTime> fault_ended;
  snapshot::SystemTime finished{};
  double planned_seconds = 0;
  std::optional<double> link_detection;
  config::DrillTargets targets;
  std::vector<ClassResult> classes;
  bool passed = true;
};

// Fills passed/failures of every class and of the report from the targets. An aborted drill
// does not pass; a class that never left the link, or never came back, fails.
void judge(Report& report);
std::string to_json(const Report& report);

}  // namespace lifeline::drills
