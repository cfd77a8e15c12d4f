// What reconcile() must change, as a pure function of what the kernel holds and what
// lifelined wants (tested table-driven, without a kernel). The rules it follows:
//   - only objects with lifelined's protocol (76) are ever changed or removed;
//   - rules are identified by (family, priority, table, fwmark, oif) and only added or
//     removed; duplicates of ours are removed;
//   - a route is identified by its table's default slot (family, table, default prefix,
//     default metric) and then compared; a differing route of ours is replaced in place
//     (NLM_F_REPLACE), never deleted first, so the table is never without a route;
//   - a slot that another owner's route occupies is not written (NLM_F_REPLACE would swap
//     that route out): it is reported as a conflict instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controller/netlink/messages.hpp"
#include "controller/routing.hpp"

namespace lifeline::netlink {

struct KernelState {
  std::vector<KernelRule> rules;
  std::vector<KernelRoute> routes;  // `interface` filled from `oif` for lifelined's own
};

// (family, table) of a default-route slot.
using Slot = std::pair<Family, std::uint32_t>;

struct ChangePlan {
  std::vector<routing::RouteSpec> add_routes;      // slot empty: NLM_F_CREATE | NLM_F_EXCL
  std::vector<routing::RouteSpec> replace_routes;  // slot holds ours, different: NLM_F_REPLACE
  std::vector<routing::RuleSpec> add_rules;
  std::vector<KernelRule> remove_rules;    // ours, not wanted (or a duplicate)
  std::vector<KernelRoute> remove_routes;  // ours, not wanted
  std::vector<std::string> conflicts;      // wanted, but blocked: one line each, for the report
  std::vector<Slot> foreign_slots;         // every default slot another owner's route holds

  std::size_t changes() const {
    return add_routes.size() + replace_routes.size() + add_rules.size() + remove_rules.size() +
           remove_routes.size();
  }
};

ChangePlan plan_changes(const KernelState& actual, const routing::RoutingState& desired);

// lifelined's own objects in `actual` that have a shape it creates, as a RoutingState
// (what a previous run left behind).
routing::RoutingState own_state(const KernelState& actual);

// One-line descriptions in `ip` words, for reports and logs.
std::string describe(const routing::RouteSpec& route);
std::string describe(const routing::RuleSpec& rule);
std::string describe(const KernelRoute& route);
std::string describe(const KernelRule& rule);
std::string describe(Family family);

}  // namespace lifeline::netlink
