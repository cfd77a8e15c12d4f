#include "controller/netlink/reconcile_plan.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace lifeline::netlink {
namespace {

bool ours(std::uint8_t protocol) {
  return protocol == routing::kRouteProtocol;
}

// A rule's identity; a rule has no other content.
using RuleKey =
    std::tuple<Family, std::uint32_t, std::uint32_t, std::optional<std::uint32_t>, std::string>;
RuleKey key_of(const routing::RuleSpec& rule) {
  return {rule.family, rule.priority, rule.table, rule.fwmark, rule.oif};
}

Slot slot_of(const routing::RouteSpec& route) {
  return {route.family, route.table};
}
Slot slot_of(const KernelRoute& route) {
  return {route.key.family, route.key.table};
}

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%x", value);
  return text;
}

std::string type_name(std::uint8_t type) {
  switch (type) {
    case RTN_UNICAST:
      return "unicast";
    case RTN_BLACKHOLE:
      return "blackhole";
    case RTN_UNREACHABLE:
      return "unreachable";
    case RTN_PROHIBIT:
      return "prohibit";
    case RTN_THROW:
      return "throw";
    case RTN_LOCAL:
      return "local";
    case RTN_BROADCAST:
      return "broadcast";
    case RTN_MULTICAST:
      return "multicast";
    default:
      return "type " + std::to_string(type);
  }
}

void plan_rules(const KernelState& actual, const routing::RoutingState& desired, ChangePlan& plan) {
  // Our kernel rules by identity, in kernel order; each desired rule keeps the first one.
  std::map<RuleKey, std::vector<std::size_t>> ours_by_key;
  for (std::size_t i = 0; i < actual.rules.size(); ++i) {
    if (!ours(actual.rules[i].protocol)) continue;
    if (auto spec = as_rule_spec(actual.rules[i])) ours_by_key[key_of(*spec)].push_back(i);
  }
  std::vector<bool> keep(actual.rules.size(), false);
  std::set<RuleKey> wanted;
  for (const auto& rule : desired.rules) {
    const RuleKey key = key_of(rule);
    if (!wanted.insert(key).second) continue;  // listed twice: one rule is enough
    auto it = ours_by_key.find(key);
    if (it != ours_by_key.end()) {
      keep[it->second.front()] = true;
    } else {
      plan.add_rules.push_back(rule);
    }
  }
  for (std::size_t i = 0; i < actual.rules.size(); ++i) {
    if (ours(actual.rules[i].protocol) && !keep[i]) plan.remove_rules.push_back(actual.rules[i]);
  }
}

void plan_routes(const KernelState& actual, const routing::RoutingState& desired,
                 ChangePlan& plan) {
  std::map<Slot, std::vector<std::size_t>> ours_in_slot;
  std::map<Slot, std::size_t> foreign_in_slot;  // the first one, for the message
  for (std::size_t i = 0; i < actual.routes.size(); ++i) {
    const KernelRoute& route = actual.routes[i];
    if (!in_default_slot(route)) continue;
    if (ours(route.protocol)) {
      ours_in_slot[slot_of(route)].push_back(i);
    } else {
      foreign_in_slot.emplace(slot_of(route), i);
    }
  }
  for (const auto& [slot, index] : foreign_in_slot) plan.foreign_slots.push_back(slot);

  std::vector<bool> keep(actual.routes.size(), false);
  std::map<Slot, const routing::RouteSpec*> wanted;
  for (const auto& route : desired.routes) {
    const Slot slot = slot_of(route);
    auto [it, inserted] = wanted.emplace(slot, &route);
    if (!inserted) {
      if (*it->second != route) {
        plan.conflicts.push_back("two different routes wanted for " + describe(slot.first) +
                                 " table " + std::to_string(slot.second) + ": " +
                                 describe(*it->second) + " (kept) and " + describe(route));
      }
      continue;
    }
    auto& in_slot = ours_in_slot[slot];
    if (auto foreign = foreign_in_slot.find(slot); foreign != foreign_in_slot.end()) {
      // Writing would replace (or fail on) the other owner's route: leave the slot as it is.
      for (const std::size_t i : in_slot) keep[i] = true;
      plan.conflicts.push_back("not installing " + describe(route) +
                               ": the slot holds a route lifelined does not own (" +
                               describe(actual.routes[foreign->second]) + ")");
      continue;
    }
    if (in_slot.empty()) {
      plan.add_routes.push_back(route);
      continue;
    }
    // The kernel replaces the first route of the slot, which is the first the dump lists;
    // any further routes of ours in the slot are removed one by one (exact match).
    keep[in_slot.front()] = true;
    if (as_route_spec(actual.routes[in_slot.front()]) != route)
      plan.replace_routes.push_back(route);
  }
  for (std::size_t i = 0; i < actual.routes.size(); ++i) {
    if (ours(actual.routes[i].protocol) && !keep[i]) plan.remove_routes.push_back(actual.routes[i]);
  }
}

}  // namespace

ChangePlan plan_changes(const KernelState& actual, const routing::RoutingState& desired) {
  ChangePlan plan;
  plan_rules(actual, desired, plan);
  plan_routes(actual, desired, plan);
  return plan;
}

routing::RoutingState own_state(const KernelState& actual) {
  routing::RoutingState state;
  for (const auto& rule : actual.rules) {
    if (!ours(rule.protocol)) continue;
    if (auto spec = as_rule_spec(rule)) state.rules.push_back(*spec);
  }
  for (const auto& route : actual.routes) {
    if (!ours(route.protocol)) continue;
    if (auto spec = as_route_spec(route)) state.routes.push_back(*spec);
  }
  return state;
}

std::string describe(Family family) {
  return family == Family::v4 ? "v4" : "v6";
}

std::string describe(const routing::RouteSpec& route) {
  std::string text = describe(route.family) + " table " + std::to_string(route.table);
  if (route.kind == routing::RouteSpec::Kind::blackhole) return text + " blackhole default";
  text += " default";
  if (route.gateway) text += " via " + route.gateway->to_string();
  if (!route.interface.empty()) text += " dev " + route.interface;
  return text;
}

std::string describe(const routing::RuleSpec& rule) {
  std::string text = describe(rule.family) + " rule priority " + std::to_string(rule.priority);
  if (rule.fwmark) text += " fwmark " + hex(*rule.fwmark);
  if (!rule.oif.empty()) text += " oif " + rule.oif;
  return text + " lookup " + std::to_string(rule.table);
}

std::string describe(const KernelRoute& route) {
  std::string text = describe(route.key.family) + " table " + std::to_string(route.key.table);
  if (route.type != RTN_UNICAST) text += " " + type_name(route.type);
  text += " " + (route.key.dst.length() == 0 ? std::string("default") : route.key.dst.to_string());
  if (route.key.src && route.key.src->length() > 0) text += " from " + route.key.src->to_string();
  if (route.gateway) text += " via " + route.gateway->to_string();
  if (!route.interface.empty()) {
    text += " dev " + route.interface;
  } else if (route.oif != 0 && route.type == RTN_UNICAST) {
    text += " dev #" + std::to_string(route.oif);
  }
  if (route.exotic) text += " (multipath/nexthop object/extra attributes)";
  text += " proto " + std::to_string(route.protocol);
  if (route.key.metric && *route.key.metric != default_metric(route.key.family)) {
    text += " metric " + std::to_string(*route.key.metric);
  }
  return text;
}

std::string describe(const KernelRule& rule) {
  std::string text = describe(rule.family) + " rule priority " + std::to_string(rule.priority);
  if (rule.src) text += " from " + rule.src->to_string();
  if (rule.dst) text += " to " + rule.dst->to_string();
  if (rule.fwmark) {
    text += " fwmark " + hex(*rule.fwmark);
    if (rule.fwmask != 0xffffffff) text += "/" + hex(rule.fwmask);
  }
  if (!rule.iif.empty()) text += " iif " + rule.iif;
  if (!rule.oif.empty()) text += " oif " + rule.oif;
  if (rule.other_selectors) text += " (more selectors)";
  if (rule.action == FR_ACT_TO_TBL) {
    text += " lookup " + std::to_string(rule.table);
  } else {
    text += " action " + std::to_string(rule.action);
  }
  return text + " proto " + std::to_string(rule.protocol);
}

}  // namespace lifeline::netlink
