// rtnetlink messages as bytes: pure encoders for the requests lifelined sends (routes, rules,
// dumps) and decoders for what the kernel answers (dump parts, ACKs). No sockets here, so
// every message is tested against golden bytes captured from iproute2 (tests/fixtures/netlink).
// Encoders follow iproute2's layout attribute for attribute, so `ip` and lifelined send the
// same bytes for the same change and a captured `ip` message is a valid fixture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/address.hpp"
#include "controller/routing.hpp"

namespace lifeline::netlink {

using Bytes = std::vector<std::uint8_t>;

// The metric the kernel gives a route created without RTA_PRIORITY: 0 for IPv4,
// IP6_RT_PRIO_USER for IPv6. A route's kernel identity includes it.
inline constexpr std::uint32_t kDefaultMetricV4 = 0;
inline constexpr std::uint32_t kDefaultMetricV6 = 1024;
inline std::uint32_t default_metric(Family family) {
  return family == Family::v4 ? kDefaultMetricV4 : kDefaultMetricV6;
}

// How RTM_NEWROUTE treats a route already in the slot (same table, prefix, tos, metric).
enum class WriteMode : std::uint8_t {
  create,   // NLM_F_CREATE | NLM_F_EXCL: EEXIST when the slot is taken, by anyone
  replace,  // NLM_F_CREATE | NLM_F_REPLACE: atomic swap of the slot's route (or create)
};

// What identifies one route to the kernel: enough for RTM_DELROUTE to remove exactly it.
struct RouteKey {
  Family family = Family::v4;
  std::uint32_t table = 0;
  Prefix dst;                 // a default route has length 0
  std::optional<Prefix> src;  // IPv6 source-specific routes only
  std::uint8_t tos = 0;
  std::optional<std::uint32_t> metric;  // RTA_PRIORITY; nullopt = any (delete) / default
  friend bool operator==(const RouteKey&, const RouteKey&) = default;
};

// The default-route slot lifelined writes in `table`: 0.0.0.0/0 or ::/0, metric unset.
RouteKey default_slot(Family family, std::uint32_t table);

// A route as a dump reports it.
struct KernelRoute {
  RouteKey key;               // metric: RTA_PRIORITY, or 0 when absent (IPv4)
  std::uint8_t protocol = 0;  // rtm_protocol: kRouteProtocol marks lifelined's own
  std::uint8_t type = 0;      // RTN_*
  std::uint8_t scope = 0;
  std::optional<IpAddress> gateway;
  std::uint32_t oif = 0;  // output ifindex, 0 = none
  std::string interface;  // name of `oif`; decoders leave it empty (they are pure)
  bool exotic = false;    // multipath, nexthop object, RTA_VIA or encap: never made by lifelined
  friend bool operator==(const KernelRoute&, const KernelRoute&) = default;
};

// A policy rule as a dump reports it.
struct KernelRule {
  Family family = Family::v4;
  std::uint32_t priority = 0;
  std::uint32_t table = 0;
  std::uint8_t action = 0;    // FR_ACT_*
  std::uint8_t protocol = 0;  // FRA_PROTOCOL (kernel >= 4.17)
  std::optional<std::uint32_t> fwmark;
  std::uint32_t fwmask = 0;
  std::string oif;
  std::string iif;
  std::optional<Prefix> src;
  std::optional<Prefix> dst;
  std::uint8_t tos = 0;
  bool other_selectors = false;  // ports, ip_proto, uid range, goto, suppress_*, l3mdev, ...
  friend bool operator==(const KernelRule&, const KernelRule&) = default;
};

// The RouteSpec / RuleSpec a kernel object is, when it has a shape lifelined creates:
// a route in its table's default slot (unicast or blackhole), a rule "fwmark M/0xffffffff
// lookup T" or "oif D lookup T". nullopt for anything else (such an object of ours is stale).
bool in_default_slot(const KernelRoute& route);
std::optional<routing::RouteSpec> as_route_spec(const KernelRoute& route);
std::optional<routing::RuleSpec> as_rule_spec(const KernelRule& rule);

// ---- requests (NLM_F_REQUEST | NLM_F_ACK, except dumps) ---------------------------------

// RTM_NEWROUTE for `route` in its table's default slot, rtm_protocol kRouteProtocol; a next
// hop on an interface is marked onlink (RTNH_F_ONLINK, see messages.cpp for the kernel
// reason). `oif_index` is the ifindex of route.interface (ignored for a blackhole; 0 = none).
Bytes encode_new_route(const routing::RouteSpec& route, std::uint32_t oif_index, WriteMode mode,
                       std::uint32_t seq);
// RTM_DELROUTE of lifelined's route at `key` (rtm_protocol kRouteProtocol, so the kernel
// never matches anyone else's route), whatever its type and next hop.
Bytes encode_del_route(const RouteKey& key, std::uint32_t seq);
// RTM_DELROUTE of exactly `route` (type, gateway and oif too): one of several in a slot.
Bytes encode_del_route(const KernelRoute& route, std::uint32_t seq);
// RTM_NEWRULE (NLM_F_CREATE | NLM_F_EXCL) with FRA_PROTOCOL kRouteProtocol.
Bytes encode_new_rule(const routing::RuleSpec& rule, std::uint32_t seq);
// RTM_DELRULE matching `rule`'s selectors and FRA_PROTOCOL kRouteProtocol.
Bytes encode_del_rule(const routing::RuleSpec& rule, std::uint32_t seq);
Bytes encode_del_rule(const KernelRule& rule, std::uint32_t seq);
// NLM_F_DUMP requests for every table of one family.
Bytes encode_route_dump(Family family, std::uint32_t seq);
Bytes encode_rule_dump(Family family, std::uint32_t seq);

// ---- replies ------------------------------------------------------------------------------

struct MessageHeader {
  std::uint32_t length = 0;
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t pid = 0;
};

// The well-formed messages at the front of a receive buffer, in order. Stops at the first
// message whose length is impossible (a truncated or corrupt buffer).
std::vector<std::span<const std::uint8_t>> split_messages(std::span<const std::uint8_t> buffer);
std::optional<MessageHeader> decode_header(std::span<const std::uint8_t> message);

// One RTM_NEWROUTE / RTM_NEWRULE of a dump; nullopt when the message is of another type or
// malformed (it is then skipped and counted, never trusted).
std::optional<KernelRoute> decode_route(std::span<const std::uint8_t> message);
std::optional<KernelRule> decode_rule(std::span<const std::uint8_t> message);

// NLMSG_ERROR: error 0 is the ACK of a success, otherwise a positive errno; `message` is the
// kernel's extended-ACK text (NLMSGERR_ATTR_MSG), when it sent one.
struct Ack {
  int error = 0;
  std::string message;
};
std::optional<Ack> decode_ack(std::span<const std::uint8_t> message);
// NLMSG_DONE closing a dump: the dump's error (positive errno), 0 when it completed.
std::optional<int> decode_done(std::span<const std::uint8_t> message);

}  // namespace lifeline::netlink
