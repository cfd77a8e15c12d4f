// The events lifelined publishes and journals (docs/events.md), built as ops::Event values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/daemon_api.hpp"
#include "controller/ops.hpp"

namespace lifeline::events {

using Time = std::chrono::system_clock::time_point;

ops::Event link_change(const std::string& node, const std::string& link, const std::string& from,
                       const std::string& to, const std::string& reason, Time at);
ops::Event class_switch(const std::string& node, const std::string& cls, const std::string& from,
                        const std::string& to, const std::string& why, const std::string& reason,
                        double switch_seconds, Time at);
ops::Event operator_action(const std::string& node, const std::string& action,
                           const std::string& cls, const std::string& link,
                           const std::optional<Time>& until, const std::string& reason,
                           const api::Actor& by, Time at);
ops::Event reload(const std::string& node, bool ok, const std::vector<std::string>& errors,
                  std::size_t links, std::size_t classes, Time at);
// `report_json`: the drill report object (completed / aborted steps), or empty.
ops::Event drill_step(const std::string& node, const std::string& id, const std::string& step,
                      const std::string& link, const std::string& fault,
                      const std::string& report_json, Time at);
// A link's trust changed (its attestation verified, expired, was replaced, names an untrusted
// vendor): kind "trust".
ops::Event trust_change(const std::string& node, const std::string& link, const std::string& from,
                        const std::string& to, const std::string& reason, Time at);
// A path-integrity finding (docs/integrity.md): kind "finding"; `quarantined_until` for a
// violation.
ops::Event finding(const std::string& node, const std::string& link, const std::string& rule,
                   const std::string& verdict, const std::string& evidence,
                   const std::optional<Time>& quarantined_until, Time at);
// An incident report (docs/incidents.md): kind "incident"; `direction` "received" (verified,
// with the links it names) or "published" (ours); `report_json` the report itself.
ops::Event incident(const std::string& node, const std::string& direction, const std::string& report_json,
                    const std::vector<std::string>& links, Time at);
ops::Event daemon_step(const std::string& node, const std::string& step,
                       const std::string& version, Time at);

// A pin or a drain an operator gave that is still in force: how lifelined keeps them across a
// restart (the journal has them; docs/control-api.md).
struct StandingOrder {
  std::string action;  // "pin" or "drain"
  std::string cls;     // pin: the class
  std::string link;    // pin: the link it is pinned to; drain: the link drained
  Time until{};
  std::string reason;
  api::Actor by;
};

// From operator events (JSON texts, newest first, as the journal's history returns them): for
// each class the newest pin or unpin, for each link the newest drain or undrain, kept if it is
// a pin or drain whose `until` is after `now`. Events that do not parse are skipped.
std::vector<StandingOrder> standing_orders(const std::vector<std::string>& newest_first, Time now);

}  // namespace lifeline::events
