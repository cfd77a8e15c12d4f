// The failover fast path against the real kernel: one set_class_route() (RTM_NEWROUTE with
// NLM_F_REPLACE, sent and acknowledged) switching a class table between two links, and a
// reconcile() that finds everything in place. Runs in a private network namespace it creates
// (root only; skipped otherwise), with two veth links from 198.18.0.0/15 and 2001:db8::/32.
// Each switch is timed on its own; the median and p99 are reported as counters (us).
#include <benchmark/benchmark.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "controller/netlink/netlink_actuator.hpp"
#include "controller/routing.hpp"

namespace lifeline::netlink {
namespace {

// Moves this process into a fresh network namespace with links wwan0 and sat0, once.
// Returns an empty string, or why it cannot.
std::string enter_bench_namespace() {
  static const std::string result = [] {
    if (::geteuid() != 0) return std::string("needs root to create a network namespace");
    if (::unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET) failed");
    const char* commands[] = {
        "ip link set lo up",
        "ip link add wwan0 type veth peer name wwan0p",
        "ip link add sat0 type veth peer name sat0p",
        "ip link set wwan0 up && ip link set wwan0p up && ip link set sat0 up && ip link set sat0p "
        "up",
        "ip addr add 198.18.1.1/24 dev wwan0 && ip addr add 198.18.2.1/24 dev sat0",
        "ip -6 addr add 2001:db8:1::1/64 dev wwan0 nodad",
        "ip -6 addr add 2001:db8:2::1/64 dev sat0 nodad",
    };
    for (const char* command : commands) {
      if (std::system(command) != 0) return std::string("failed: ") + command;
    }
    return std::string();
  }();
  return result;
}

routing::RouteSpec via(Family family, const char* gateway, const char* dev) {
  routing::RouteSpec r;
  r.table = routing::class_table(0);
  r.family = family;
  r.gateway = IpAddress::parse(gateway);
  r.interface = dev;
  return r;
}

void report_percentiles(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["median_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
  state.counters["max_us"] = micros.back();
}

// Switch one class between two links, alternating, arg 4 or 6 = family.
void BM_SetClassRouteSwitch(benchmark::State& state) {
  if (const auto why = enter_bench_namespace(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  const bool v4 = state.range(0) == 4;
  const auto a =
      v4 ? via(Family::v4, "198.18.1.2", "wwan0") : via(Family::v6, "2001:db8:1::2", "wwan0");
  const auto b =
      v4 ? via(Family::v4, "198.18.2.2", "sat0") : via(Family::v6, "2001:db8:2::2", "sat0");
  auto actuator = make_netlink_actuator();
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(state.max_iterations));
  bool flip = false;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const std::string error = actuator->set_class_route(a.table, a.family, flip ? a : b);
    const auto end = std::chrono::steady_clock::now();
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    flip = !flip;
  }
  report_percentiles(state, micros);
}
BENCHMARK(BM_SetClassRouteSwitch)->Arg(4)->Arg(6)->Iterations(1000)->Unit(benchmark::kMicrosecond);

// Start-up / periodic check of the example-sized state (2 links, 3 classes, both families:
// 10 rules, 8 routes) when the kernel already holds it: four dumps and a diff, no change.
void BM_ReconcileInSync(benchmark::State& state) {
  if (const auto why = enter_bench_namespace(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  routing::RoutingState desired;
  for (const Family family : {Family::v4, Family::v6}) {
    const bool v4 = family == Family::v4;
    for (std::uint32_t l = 0; l < 2; ++l) {
      routing::RuleSpec rule;
      rule.priority = routing::kLinkRulePriorityBase + l;
      rule.family = family;
      rule.table = routing::link_table(l);
      rule.oif = l == 0 ? "wwan0" : "sat0";
      desired.rules.push_back(rule);
      auto route = l == 0 ? via(family, v4 ? "198.18.1.2" : "2001:db8:1::2", "wwan0")
                          : via(family, v4 ? "198.18.2.2" : "2001:db8:2::2", "sat0");
      route.table = routing::link_table(l);
      desired.routes.push_back(route);
    }
    for (std::uint32_t s = 0; s < 3; ++s) {
      routing::RuleSpec rule;
      rule.priority = routing::kClassRulePriorityBase + s;
      rule.family = family;
      rule.table = routing::class_table(s);
      rule.fwmark = routing::class_mark(s);
      desired.rules.push_back(rule);
      if (s == 2) continue;
      auto route = via(family, v4 ? "198.18.1.2" : "2001:db8:1::2", "wwan0");
      route.table = routing::class_table(s);
      desired.routes.push_back(route);
    }
  }
  auto actuator = make_netlink_actuator();
  if (const auto first = actuator->reconcile(desired); !first.errors.empty()) {
    state.SkipWithError(first.errors.front().c_str());
    return;
  }
  std::vector<double> micros;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto report = actuator->reconcile(desired);
    const auto end = std::chrono::steady_clock::now();
    if (!report.errors.empty() || report.added + report.replaced + report.removed != 0) {
      state.SkipWithError("reconcile of an in-sync state changed something");
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  report_percentiles(state, micros);
}
BENCHMARK(BM_ReconcileInSync)->Iterations(200)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lifeline::netlink
