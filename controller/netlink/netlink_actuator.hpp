// The real RouteActuator: lifelined's rules and routes written over one rtnetlink socket,
// each request acknowledged (sequence numbers, NLM_F_ACK, extended ACK messages) within a
// deadline, so a lost answer can never block the daemon. Kernel and socket errors are
// reported and counted, never thrown. Not thread-safe: one owner (the controller loop) calls
// it, except read_kernel() (its own socket: the daemon's worker thread) and stats() (any).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "controller/routing.hpp"

namespace lifeline::netlink {

struct NetlinkOptions {
  // How long one request may wait for its ACK, or a dump for its last part.
  std::chrono::milliseconds timeout{1000};
};

// Counters for /metrics and `lifelinectl status`.
struct NetlinkStats {
  std::uint64_t requests = 0;  // messages sent (changes and dumps)
  std::uint64_t errors = 0;    // failed operations: kernel errors, timeouts, socket errors,
                               // unknown interfaces, refused writes into a foreign slot
  std::uint64_t timeouts = 0;  // of which: no answer within NetlinkOptions::timeout
};

class NetlinkRouteActuator final : public routing::RouteActuator {
 public:
  explicit NetlinkRouteActuator(NetlinkOptions options = {});
  ~NetlinkRouteActuator() override;
  NetlinkRouteActuator(const NetlinkRouteActuator&) = delete;
  NetlinkRouteActuator& operator=(const NetlinkRouteActuator&) = delete;

  routing::ReconcileReport reconcile(const routing::RoutingState& desired) override;
  // Thread-safe against the other calls (a socket of its own); one reader at a time.
  std::unique_ptr<routing::KernelView> read_kernel() override;
  routing::ReconcileReport reconcile(const routing::RoutingState& desired,
                                     const routing::KernelView& view) override;
  std::string set_class_route(std::uint32_t table, Family family,
                              const std::optional<routing::RouteSpec>& route) override;
  std::optional<routing::RoutingState> dump_own() override;

  NetlinkStats stats() const;
  std::optional<routing::ActuatorStats> counters() const override {
    const auto s = stats();
    return routing::ActuatorStats{s.requests, s.errors, s.timeouts};
  }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The actuator the daemon uses. The socket is opened here; if that fails, every call reports
// the error and tries again.
std::unique_ptr<NetlinkRouteActuator> make_netlink_actuator(NetlinkOptions options = {});

}  // namespace lifeline::netlink
