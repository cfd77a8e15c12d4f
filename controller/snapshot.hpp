// What lifelined knows, as plain values: a Snapshot is built by the event loop on request
// (Daemon::snapshot(), thread-safe) and read by everything that shows state to people and
// machines: the control API (status, links, classes, explain), the Prometheus collector,
// drills. No component keeps a second copy of the daemon's state.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lifeline::snapshot {

using SystemTime = std::chrono::system_clock::time_point;

struct Target {
  std::string name;  // link name, "blackhole", "main", or "none"
  std::string kind;  // "link", "blackhole", "main", "none"
};

struct ProbeTarget {
  std::string name;  // "198.19.0.10:7070 (udp-echo)"
  bool alive = false;
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t lost = 0;  // resolved as lost, outages included
};

struct Link {
  std::string name;
  std::string interface;
  std::string kind;    // cellular | satellite | cloud | wired
  std::string health;  // up | degraded | down
  SystemTime since{};  // when `health` last changed
  std::string reason;
  double detection_seconds = 0;  // detect: interval x multiplier
  bool has_rtt = false;
  double rtt_seconds = 0;
  double rttvar_seconds = 0;
  double jitter_seconds = 0;
  double loss_ratio = 0;
  std::uint32_t targets_alive = 0;
  std::vector<ProbeTarget> targets;
  std::uint64_t downs = 0;
  // Replies that did not count as signs of life (path-integrity signals).
  std::uint64_t bad_mac = 0;
  std::uint64_t unknown_key = 0;
  std::uint64_t wrong_session = 0;  // replayed from another run
  std::uint64_t malformed = 0;
  std::uint64_t duplicate = 0;      // replayed within this run
  std::uint64_t late = 0;
  std::uint64_t unknown_seq = 0;    // a reply to a probe never sent
  // Admin overlays and trust.
  std::optional<SystemTime> drained_until;
  std::string drain_reason;
  std::string drained_by;
  std::optional<SystemTime> quarantined_until;
  std::string quarantine_reason;
  // Integrity findings by rule and verdict since the daemon started.
  struct Finding {
    std::string rule;     // auth_failure | replay | hop_limit | rat_below_min | ...
    std::string verdict;  // violation | suspicion
    std::uint64_t count = 0;
  };
  std::vector<Finding> findings;
  std::string trust = "unattested";
  std::string trust_reason;  // why, from the attestation check
  // Radio integrity (only for a link with `radio:`).
  struct Radio {
    std::string modem;
    std::uint64_t readings = 0;     // accepted readings of this link's modem
    std::uint64_t malformed = 0;    // messages dropped as not a reading
    std::uint64_t other_modem = 0;  // readings of other modems on the same feed
    bool stale = false;
    std::optional<SystemTime> last_reading;
    std::string last;                 // the last reading, as JSON
    std::vector<std::string> active;  // rules whose condition holds now
  };
  std::optional<Radio> radio;
  bool suppressed = false;  // RFC 2439 dampening
  double penalty = 0;
  // Seconds spent in each health state since the daemon started.
  double seconds_up = 0;
  double seconds_degraded = 0;
  double seconds_down = 0;
};

struct SwitchCount {
  std::string from;
  std::string to;
  std::string reason;  // why (policy::to_string(Why)): failover, failback, pinned, ...
  std::uint64_t count = 0;
};

struct Pin {
  std::string link;
  SystemTime until{};
  std::string reason;
  std::string by;
};

struct Class {
  std::string name;
  std::string precedence;
  std::string when_none;  // blackhole | main
  Target target;
  SystemTime since{};
  std::string why;          // policy::to_string(Why)
  std::string reason;       // one line
  std::vector<std::string> explain;  // the full explanation, one line per listed link
  std::vector<std::string> links;    // preference order
  std::optional<Pin> pin;
  std::optional<SystemTime> hold_until;  // a more preferred link may be taken then
  std::vector<SwitchCount> switches;     // since the daemon started
  std::optional<SystemTime> last_switch;
  double last_switch_seconds = 0;  // decision start -> routes replaced, of the last switch
};

// A cumulative histogram (Prometheus' shape): bucket i counts observations <= bounds[i].
struct Histogram {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;  // cumulative, same size as bounds
  std::uint64_t count = 0;
  double sum = 0;
};

struct Drill {
  std::string id;
  std::string link;
  std::string fault;   // blackhole | loss=30% | simulate
  std::string state;   // running | completed | aborted
  SystemTime started{};
  SystemTime ends{};
  std::string abort_reason;
};

// The last finished drill's report, in the numbers the metrics export (docs/drills.md).
struct DrillClassResult {
  std::string cls;
  std::string to;  // where the class went; empty if it never moved
  std::optional<double> detection_seconds;
  std::optional<double> switch_seconds;
  std::optional<double> outage_seconds;
  std::optional<double> failback_seconds;
  bool passed = false;
};

struct DrillReport {
  std::string id;
  std::string link;
  std::string fault;
  std::string state;  // completed | aborted
  SystemTime finished{};
  bool passed = false;
  std::vector<DrillClassResult> classes;
};

// The journal (docs/journal.md), when lifelined has one open.
struct Journal {
  std::string path;
  std::uint64_t rows = 0;
  std::uint64_t errors = 0;  // events and reports not recorded, failed queries
};

// How late the event loop runs (controller/loop_lag.hpp) and what waits off it.
struct Loop {
  Histogram timer_lag;  // timer handlers: run - due
  Histogram reply_lag;  // probe replies: handled - received by the kernel
  double timer_lag_max_recent = 0;  // seconds, the last minute
  double reply_lag_max_recent = 0;
  double timer_lag_max_5s = 0;  // the last 5 seconds: what happens now
  double reply_lag_max_5s = 0;
  double timer_lag_max = 0;  // since the start
  double reply_lag_max = 0;
  std::size_t worker_queued = 0;   // conntrack, route dumps, nftables, NSS
  std::size_t journal_queued = 0;  // writes and queries waiting for the disk
  std::string scheduling;          // "other", "fifo 50", ...; "+ memory locked"
};

struct Daemon {
  std::string node;
  std::string version;
  SystemTime started{};
  std::string config_path;
  SystemTime config_loaded{};
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
  std::optional<SystemTime> last_reload;
  bool last_reload_ok = true;
  bool settled = false;
  std::uint64_t decisions = 0;
  Histogram decision_seconds;  // PolicyEngine::decide + applying its result
  Loop loop;
  std::uint64_t route_errors = 0;
  std::uint64_t netlink_requests = 0;
  std::uint64_t netlink_errors = 0;
  std::uint64_t nftables_errors = 0;
  std::uint64_t conntrack_errors = 0;
  std::uint64_t conntrack_walks = 0;          // walks of the kernel's conntrack table
  std::uint64_t conntrack_flows_flushed = 0;  // entries deleted after switches
  std::uint64_t drift_repairs = 0;  // periodic reconciles that had to change something
  std::vector<Link> links;
  std::vector<Class> classes;
  std::optional<Drill> drill;
  std::optional<DrillReport> last_drill_report;
  std::optional<Journal> journal;  // nullopt: running without one (it could not be opened)
  // Incident sharing (only with `incidents:`); docs/incidents.md.
  struct Incidents {
    std::uint64_t accepted = 0;       // verified, new, in force: matched against the links
    std::uint64_t duplicate = 0;      // an id already seen
    std::uint64_t bad_signature = 0;  // unsigned, or no allowed reporter's key verifies it
    std::uint64_t malformed = 0;      // not three frames, not a report, oversized
    std::uint64_t expired = 0;
    std::uint64_t flooded = 0;        // over 50 a second: not even checked
    std::uint64_t quarantines = 0;    // links quarantined by a report
    std::uint64_t published = 0;      // our own reports sent
    std::uint64_t publish_failed = 0;
    std::uint64_t rate_limited = 0;   // our own reports not sent (duplicate or over the limit)
  };
  std::optional<Incidents> incidents;
  // Drills finished since the daemon started, by outcome.
  std::uint64_t drills_passed = 0;
  std::uint64_t drills_failed = 0;   // completed, but a target was missed
  std::uint64_t drills_aborted = 0;  // by an operator, a reload, a stop, or failing backups
};

}  // namespace lifeline::snapshot
