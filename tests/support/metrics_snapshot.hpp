// A daemon snapshot as lifelined might report it a minute into a 5G outage (during a drill):
// 5G down and quarantined, c2 failed over to LEO, isr black-holed (fail closed), logistics
// pinned to its first link, GEO drained. Every optional part is set on some object and unset
// on another. Used by the metrics tests (unit: the families and the HTTP endpoint;
// integration: a real Prometheus server scraping it).
#pragma once

#include <chrono>

#include "controller/snapshot.hpp"

namespace lifeline::testing {

inline snapshot::Daemon synthetic_daemon(snapshot::SystemTime now) {
  using namespace std::chrono_literals;
  snapshot::Daemon d;
  d.node = "lab-gw";
  d.version = "0.1.0";
  d.started = now - 1h;
  d.config_path = "/etc/lifeline/lifeline.yaml";
  d.config_loaded = now - 30min;
  d.reloads_ok = 2;
  d.reloads_failed = 1;
  d.last_reload = now - 10min;
  d.last_reload_ok = false;
  d.settled = true;
  d.decisions = 42;
  d.decision_seconds.bounds = {0.0001, 0.001, 0.01, 0.1};
  d.decision_seconds.counts = {10, 35, 41, 42};
  d.decision_seconds.count = 42;
  d.decision_seconds.sum = 0.0375;
  d.route_errors = 1;
  d.netlink_requests = 300;
  d.netlink_errors = 2;
  d.nftables_errors = 0;
  d.conntrack_errors = 3;
  d.drift_repairs = 4;

  snapshot::Link g5;
  g5.name = "5g";
  g5.interface = "wwan0";
  g5.kind = "cellular";
  g5.health = "down";
  g5.since = now - 60s;
  g5.reason = "no valid reply for 40ms";
  g5.has_rtt = true;
  g5.rtt_seconds = 0.012;
  g5.rttvar_seconds = 0.003;
  g5.jitter_seconds = 0.0015;
  g5.loss_ratio = 1.0;
  g5.targets_alive = 0;
  g5.targets = {{"198.19.0.10:7070 (udp-echo)", false, 1000, 900, 100},
                {"198.19.0.1 (icmp)", false, 1000, 890, 110}};
  g5.downs = 3;
  g5.bad_mac = 5;
  g5.unknown_key = 1;
  g5.wrong_session = 2;
  g5.malformed = 0;
  g5.duplicate = 7;
  g5.late = 11;
  g5.unknown_seq = 13;
  g5.quarantined_until = now + 5min;
  g5.quarantine_reason = "replayed probe replies";
  g5.findings = {{"auth_failure", "violation", 8}, {"replay", "suspicion", 20}, {"rat_below_min", "violation", 1}};
  snapshot::Link::Radio radio;
  radio.modem = "modem0";
  radio.readings = 3600;
  radio.malformed = 2;
  radio.other_modem = 1;
  radio.last_reading = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000));
  radio.active = {"cell_not_surveyed", "rat_below_min"};
  g5.radio = radio;
  g5.trust = "attested";
  g5.suppressed = true;
  g5.penalty = 2500;
  g5.seconds_up = 3400;
  g5.seconds_degraded = 140;
  g5.seconds_down = 60;

  snapshot::Link leo;
  leo.name = "leo";
  leo.interface = "sat0";
  leo.kind = "satellite";
  leo.health = "up";
  leo.since = now - 50min;
  leo.has_rtt = true;
  leo.rtt_seconds = 0.041;
  leo.rttvar_seconds = 0.002;
  leo.jitter_seconds = 0.001;
  leo.loss_ratio = 0.01;
  leo.targets_alive = 1;
  leo.targets = {{"198.19.0.11:7070 (udp-echo)", true, 500, 495, 5}};
  leo.seconds_up = 3600;

  snapshot::Link geo;  // never answered: no RTT yet
  geo.name = "geo";
  geo.interface = "sat1";
  geo.kind = "satellite";
  geo.health = "degraded";
  geo.since = now - 2min;
  geo.targets = {{"198.19.0.12:7070 (udp-echo)", false, 10, 0, 10}};
  geo.drained_until = now + 1h;
  geo.drain_reason = "maintenance";
  geo.drained_by = "uid 1000 (alice)";
  geo.seconds_degraded = 3600;
  d.links = {g5, leo, geo};

  snapshot::Class c2;
  c2.name = "c2";
  c2.precedence = "flash";
  c2.when_none = "blackhole";
  c2.target = {"leo", "link"};
  c2.since = now - 60s;
  c2.why = "failover";
  c2.links = {"5g", "leo", "geo"};
  c2.switches = {{"5g", "leo", "failover", 2}, {"leo", "5g", "failback", 1}};
  c2.last_switch = now - 60s;
  c2.last_switch_seconds = 0.0008;

  snapshot::Class isr;
  isr.name = "isr";
  isr.precedence = "immediate";
  isr.when_none = "blackhole";
  isr.target = {"blackhole", "blackhole"};
  isr.since = now - 60s;
  isr.links = {"5g", "leo"};
  isr.switches = {{"5g", "blackhole", "failover", 1}};
  isr.last_switch = now - 60s;
  isr.last_switch_seconds = 0.0006;

  snapshot::Class logistics;  // never moved, pinned to its first link
  logistics.name = "logistics";
  logistics.precedence = "routine";
  logistics.when_none = "main";
  logistics.target = {"leo", "link"};
  logistics.since = now - 1h;
  logistics.links = {"leo", "geo"};
  logistics.pin = snapshot::Pin{"leo", now + 1h, "drill", "uid 0 (root)"};
  d.classes = {c2, isr, logistics};

  d.drill = snapshot::Drill{"d-1", "5g", "blackhole", "running", now - 60s, now + 60s, ""};
  // The drill before this one: c2 passed; isr never came back to 5g.
  d.last_drill_report = snapshot::DrillReport{
      "d-0", "5g", "loss=30%", "completed", now - 2h, false,
      {{"c2", "leo", 0.04, 0.0005, 0.0405, 12.5, true},
       {"isr", "leo", 0.04, 0.0007, 0.0407, std::nullopt, false}}};
  d.drills_passed = 3;
  d.drills_failed = 1;
  d.drills_aborted = 2;
  d.journal = snapshot::Journal{"/var/lib/lifeline/journal.db", 1234, 5};
  snapshot::Daemon::Incidents incidents;
  incidents.accepted = 4;
  incidents.duplicate = 2;
  incidents.bad_signature = 1;
  incidents.quarantines = 3;
  incidents.published = 6;
  d.incidents = incidents;
  return d;
}

}  // namespace lifeline::testing
