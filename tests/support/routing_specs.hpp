// Builders for the routing values tests compare against (controller/routing.hpp), shared by
// the netlink unit tests and the route actuator's namespace tests.
#pragma once

#include <cstdint>

#include "controller/routing.hpp"

namespace lifeline::testing {

inline IpAddress ip(const char* text) { return IpAddress::parse(text).value_or(IpAddress{}); }

inline routing::RouteSpec via(std::uint32_t table, Family family, const char* gateway,
                              const char* dev) {
  routing::RouteSpec r;
  r.table = table;
  r.family = family;
  r.gateway = ip(gateway);
  r.interface = dev;
  return r;
}

// A route out of an interface without a next hop (a point-to-point link).
inline routing::RouteSpec on_link(std::uint32_t table, Family family, const char* dev) {
  routing::RouteSpec r;
  r.table = table;
  r.family = family;
  r.interface = dev;
  return r;
}

inline routing::RouteSpec blackhole(std::uint32_t table, Family family) {
  routing::RouteSpec r;
  r.table = table;
  r.family = family;
  r.kind = routing::RouteSpec::Kind::blackhole;
  return r;
}

inline routing::RuleSpec mark_rule(std::uint32_t priority, Family family, std::uint32_t table,
                                   std::uint32_t mark) {
  routing::RuleSpec r;
  r.priority = priority;
  r.family = family;
  r.table = table;
  r.fwmark = mark;
  return r;
}

inline routing::RuleSpec oif_rule(std::uint32_t priority, Family family, std::uint32_t table,
                                  const char* dev) {
  routing::RuleSpec r;
  r.priority = priority;
  r.family = family;
  r.table = table;
  r.oif = dev;
  return r;
}

}  // namespace lifeline::testing
