// What a reload carries over, by name, as a pure function of the running and the next config
// (no Asio, no sockets: tests/unit/reload_plan_test.cpp). The daemon then moves the pieces.
//  - A link whose probing is unchanged (same name, interface, probes, detection, SLA window,
//    quorum) is kept as it runs: no gap in its probes, its state machine and counters go on.
//  - A link of the same name whose probing changed is rebuilt, but what the operator and the
//    integrity checks decided about it carries over: drain, quarantine, findings, trust.
//  - Its radio is made anew only when its radio config changed (or the link is new).
//  - Classes carry their target, hold-downs, pins and books over by name; a class whose slot
//    changed has a new conntrack mark, so the flows under its old mark are flushed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace lifeline::daemon {

// Whether the two link configs probe the same way (the link can keep running as it is).
bool same_probing(const config::LinkConfig& a, const config::LinkConfig& b);

struct ReloadPlan {
  struct Link {
    std::optional<std::size_t> from;  // the running link of the same name
    bool kept = false;                // kept as it runs (implies `from`)
    bool new_radio = false;           // its radio (and feed) is made anew
  };
  std::vector<Link> links;                            // one per link of the next config
  std::vector<std::optional<std::size_t>> link_to;    // one per running link: its next index
  std::vector<std::optional<std::size_t>> class_from; // one per next class: the running one
  std::vector<std::size_t> moved_slots;               // running class slots whose class moved or went
  bool incidents_changed = false;                     // the incident channel is rebuilt
  std::vector<std::string> need_restart;              // sections that change only at the next start
};

ReloadPlan plan_reload(const config::Config& running, const config::Config& next);

}  // namespace lifeline::daemon
