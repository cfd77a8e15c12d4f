// The kernel routing state lifelined owns, as values: per traffic class a fwmark rule and a
// table holding one default route per family (via the chosen link, blackhole, or nothing),
// and per link a probe table that its own probes use whatever the class routes say.
// plan_routing() derives it from the configuration and the current decision (pure); a
// RouteActuator makes the kernel hold it (controller/netlink/ is the real one).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "policies/policy_engine.hpp"

namespace lifeline::routing {

// Everything lifelined creates carries these, and nothing else is ever changed or removed.
// 76 is 'L'; it is not assigned in iproute2's rt_protos or the kernel's RTPROT_* list.
// lifelined installs /etc/iproute2/rt_protos.d/lifeline.conf ("76 lifeline").
inline constexpr std::uint8_t kRouteProtocol = 76;
// Per class slot s (its index in the config): table kClassTableBase + s, rule priority
// kClassRulePriorityBase + s, fwmark kMarkBase | (s + 1). Per link l: probe table
// kLinkTableBase + l, rule priority kLinkRulePriorityBase + l (ahead of the class rules).
inline constexpr std::uint32_t kClassTableBase = 21000;
inline constexpr std::uint32_t kClassRulePriorityBase = 21000;
inline constexpr std::uint32_t kLinkTableBase = 20900;
inline constexpr std::uint32_t kLinkRulePriorityBase = 20900;
inline constexpr std::uint32_t kMaxClasses = 1000;
inline constexpr std::uint32_t kMaxLinks = 100;
inline constexpr std::uint32_t kMarkBase = 0x4c460000;  // "LF" in the upper 16 bits
inline constexpr std::uint32_t kMarkMask = 0xffff0000;

inline std::uint32_t class_mark(std::size_t slot) { return kMarkBase | static_cast<std::uint32_t>(slot + 1); }
inline std::uint32_t class_table(std::size_t slot) { return kClassTableBase + static_cast<std::uint32_t>(slot); }
inline std::uint32_t link_table(std::size_t link) { return kLinkTableBase + static_cast<std::uint32_t>(link); }

// One default route (0.0.0.0/0 or ::/0) in a table.
struct RouteSpec {
  enum class Kind : std::uint8_t { unicast, blackhole };
  std::uint32_t table = 0;
  Family family = Family::v4;
  Kind kind = Kind::unicast;
  std::optional<IpAddress> gateway;  // unicast: next hop, or none for a point-to-point link
  std::string interface;             // unicast: output interface
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

// `ip rule` entries: fwmark -> table (classes) or oif -> table (a link's probes).
struct RuleSpec {
  std::uint32_t priority = 0;
  Family family = Family::v4;
  std::uint32_t table = 0;
  std::optional<std::uint32_t> fwmark;  // matched with mask 0xffffffff
  std::string oif;                      // match packets sent through this interface
  friend bool operator==(const RuleSpec&, const RuleSpec&) = default;
};

struct RoutingState {
  std::vector<RuleSpec> rules;
  std::vector<RouteSpec> routes;
};

// The routes of one class for one family given its target; nullopt = no route (the class
// falls through to the ordinary routes).
std::optional<RouteSpec> class_route(const config::Config& config, std::size_t slot, Family family,
                                     const policy::Target& target);

// Everything lifelined wants in the kernel for `targets` (by class index).
RoutingState plan_routing(const config::Config& config, const std::vector<policy::Target>& targets);

struct ActuatorStats {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t timeouts = 0;
};

struct ReconcileReport {
  std::size_t added = 0;
  std::size_t replaced = 0;
  std::size_t removed = 0;
  std::vector<std::string> errors;  // one line per failed netlink operation
};

// The kernel's rules and routes as RouteActuator::read_kernel() found them, for a later
// reconcile(desired, view). Opaque: each actuator keeps what it needs. `error` is set (and
// nothing else is) when the read failed.
class KernelView {
 public:
  virtual ~KernelView() = default;
  std::string error;
};

// Makes the kernel hold lifelined's routing state. Implementations own only objects marked
// with kRouteProtocol; they never change or delete anything else.
class RouteActuator {
 public:
  virtual ~RouteActuator() = default;
  // Dumps the kernel's rules and routes, then adds what is missing, replaces what differs
  // and deletes lifelined's own objects that are not in `desired`.
  virtual ReconcileReport reconcile(const RoutingState& desired) = 0;
  // The same in two halves, so that the slow half can run elsewhere: read_kernel() dumps
  // the rules and routes of every table (with a full routing table that takes hundreds of
  // milliseconds; the daemon calls it on its worker thread, and it may run there while the
  // owner makes the other calls: it has a socket of its own), then reconcile(desired, view)
  // plans against that view and writes (the owner's thread). A view read before a
  // set_class_route() is stale: read again rather than use it.
  virtual std::unique_ptr<KernelView> read_kernel() = 0;
  virtual ReconcileReport reconcile(const RoutingState& desired, const KernelView& view) = 0;
  // The failover fast path: one RTM_NEWROUTE with NLM_F_REPLACE (atomic, no window
  // without a route), or one RTM_DELROUTE when `route` is nullopt for that table/family.
  // Returns an error message, or empty on success.
  virtual std::string set_class_route(std::uint32_t table, Family family,
                                      const std::optional<RouteSpec>& route) = 0;
  // lifelined's own rules and routes as the kernel holds them now (what reconcile() starts
  // from), or nullopt when they cannot be read. Used at start-up to adopt the routes a
  // previous run left (fail static) instead of replacing them before links are measured.
  virtual std::optional<RoutingState> dump_own() { return std::nullopt; }
  // Requests and failures so far (exported as metrics), when the implementation counts them.
  virtual std::optional<ActuatorStats> counters() const { return std::nullopt; }
};

}  // namespace lifeline::routing
