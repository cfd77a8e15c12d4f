#include "controller/routing.hpp"

namespace lifeline::routing {
namespace {

// Does `link` carry `family`? A link with a next hop for a family does; a link with no next
// hop at all is point to point (a wwan or tunnel interface) and carries both.
bool carries(const config::LinkConfig& link, Family family) {
  if (!link.gateway && !link.gateway6) return true;
  return family == Family::v4 ? link.gateway.has_value() : link.gateway6.has_value();
}

std::optional<RouteSpec> link_default(const config::LinkConfig& link, std::uint32_t table,
                                      Family family) {
  if (!carries(link, family)) return std::nullopt;
  RouteSpec r;
  r.table = table;
  r.family = family;
  r.kind = RouteSpec::Kind::unicast;
  r.gateway = family == Family::v4 ? link.gateway : link.gateway6;
  r.interface = link.interface;
  return r;
}

}  // namespace

std::optional<RouteSpec> class_route(const config::Config& config, std::size_t slot,
                                     Family family, const policy::Target& target) {
  const std::uint32_t table = class_table(slot);
  const auto& cls = config.classes[slot];
  auto when_none = [&]() -> std::optional<RouteSpec> {
    if (cls.when_none == config::WhenNone::main) return std::nullopt;
    RouteSpec r;
    r.table = table;
    r.family = family;
    r.kind = RouteSpec::Kind::blackhole;
    return r;
  };
  switch (target.kind) {
    case policy::TargetKind::link: {
      // A link without this family cannot carry the class's traffic of that family: the
      // class's own rule for "nothing fits" applies to it.
      auto route = link_default(config.links[target.link], table, family);
      return route ? route : when_none();
    }
    case policy::TargetKind::blackhole:
      return when_none();
    case policy::TargetKind::main:
    case policy::TargetKind::none:
      break;
  }
  return std::nullopt;
}

RoutingState plan_routing(const config::Config& config, const std::vector<policy::Target>& targets) {
  RoutingState state;
  for (const Family family : {Family::v4, Family::v6}) {
    for (std::size_t l = 0; l < config.links.size(); ++l) {
      const auto& link = config.links[l];
      if (!carries(link, family)) continue;
      RuleSpec rule;
      rule.priority = kLinkRulePriorityBase + static_cast<std::uint32_t>(l);
      rule.family = family;
      rule.table = link_table(l);
      rule.oif = link.interface;
      state.rules.push_back(rule);
      state.routes.push_back(*link_default(link, link_table(l), family));
    }
    for (std::size_t s = 0; s < config.classes.size(); ++s) {
      RuleSpec rule;
      rule.priority = kClassRulePriorityBase + static_cast<std::uint32_t>(s);
      rule.family = family;
      rule.table = class_table(s);
      rule.fwmark = class_mark(s);
      state.rules.push_back(rule);
      const policy::Target target = s < targets.size() ? targets[s] : policy::Target{};
      if (auto route = class_route(config, s, family, target)) state.routes.push_back(*route);
    }
  }
  return state;
}

}  // namespace lifeline::routing
