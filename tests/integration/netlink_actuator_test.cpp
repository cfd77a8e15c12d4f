// NetlinkRouteActuator against the real kernel, each test in its own private network
// namespace (two veth links with addresses from 198.18.0.0/15 and 2001:db8::/32), checked
// the way an operator would: `ip -j rule show` and `ip -j route show table all`.
#include "tests/support/routing_specs.hpp"
#include "controller/netlink/netlink_actuator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "controller/routing.hpp"
#include "tests/integration/netns.hpp"

namespace lifeline::netlink {
namespace {

using testing::blackhole;
using testing::ip;
using testing::mark_rule;
using testing::oif_rule;
using testing::on_link;
using testing::via;

using routing::RouteSpec;
using routing::RoutingState;
using routing::RuleSpec;

struct Shell {
  int status = -1;
  std::string output;
};

Shell shell(const std::string& command) {
  Shell r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    r.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

#define SH(command)                                                            \
  do {                                                                         \
    const auto sh_result_ = shell(command);                                    \
    ASSERT_EQ(sh_result_.status, 0) << (command) << ": " << sh_result_.output; \
  } while (0)

// `ip` prints "lifeline" for protocol 76 where lifeline.conf is installed; tests accept both.
std::string protocol_text(const nlohmann::json& object) {
  // `ip` leaves out the default protocol (boot) of routes.
  std::string proto = object.value("protocol", "boot");
  return proto == "lifeline" ? "76" : proto;
}

// `ip -j rule show` as one line per rule, e.g. "21000 fwmark 0x4c460001 lookup 21000 proto 76".
std::vector<std::string> rules(Family family) {
  const auto r = shell(std::string("ip -j ") + (family == Family::v4 ? "-4" : "-6") + " rule show");
  std::vector<std::string> out;
  const auto listing = nlohmann::json::parse(r.output, nullptr, false);
  if (!listing.is_array()) {
    ADD_FAILURE() << "ip rule: " << r.output;
    return out;
  }
  for (const auto& rule : listing) {
    std::string text = std::to_string(rule.value("priority", 0));
    if (rule.value("src", "all") != "all") {
      text += " from " + rule.value("src", "") + "/" + std::to_string(rule.value("srclen", 0));
    }
    if (rule.contains("fwmark")) text += " fwmark " + rule.value("fwmark", "");
    if (rule.contains("fwmask")) text += "/" + rule.value("fwmask", "");
    if (rule.contains("oif")) text += " oif " + rule.value("oif", "");
    text += " lookup " + rule.value("table", "") + " proto " + protocol_text(rule);
    out.push_back(text);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// `ip -j route show table all` as one line per route, e.g.
// "table 21000 default via 198.18.1.2 dev wwan0 proto 76 onlink".
std::vector<std::string> routes(Family family) {
  const auto r =
      shell(std::string("ip -j ") + (family == Family::v4 ? "-4" : "-6") + " route show table all");
  std::vector<std::string> out;
  const auto listing = nlohmann::json::parse(r.output, nullptr, false);
  if (!listing.is_array()) {
    ADD_FAILURE() << "ip route: " << r.output;
    return out;
  }
  for (const auto& route : listing) {
    const std::string type = route.value("type", "unicast");
    std::string text = "table " + route.value("table", "main");
    if (type != "unicast") text += " " + type;
    text += " " + route.value("dst", "");
    if (route.contains("gateway")) text += " via " + route.value("gateway", "");
    // IPv6 puts blackholes on lo; that is the kernel's business, not the route's.
    if (route.contains("dev") && type != "blackhole") text += " dev " + route.value("dev", "");
    text += " proto " + protocol_text(route);
    for (const auto& flag : route.value("flags", nlohmann::json::array())) {
      if (flag == "onlink") text += " onlink";
    }
    const int metric = route.value("metric", 0);
    if (metric != 0 && !(family == Family::v6 && metric == 1024)) {
      text += " metric " + std::to_string(metric);
    }
    out.push_back(text);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_ours(const std::string& line) {
  return line.ends_with(" proto 76") || line.ends_with(" proto 76 onlink");
}

std::vector<std::string> ours(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  std::copy_if(lines.begin(), lines.end(), std::back_inserter(out), is_ours);
  return out;
}

std::string expected(const RuleSpec& rule) {
  char mark[16];
  std::string text = std::to_string(rule.priority);
  if (rule.fwmark) {
    std::snprintf(mark, sizeof(mark), "0x%x", *rule.fwmark);
    text += std::string(" fwmark ") + mark;
  }
  if (!rule.oif.empty()) text += " oif " + rule.oif;
  return text + " lookup " + std::to_string(rule.table) + " proto 76";
}

std::string expected(const RouteSpec& route) {
  std::string text = "table " + std::to_string(route.table);
  if (route.kind == RouteSpec::Kind::blackhole) return text + " blackhole default proto 76";
  text += " default";
  if (!route.gateway) return text + " dev " + route.interface + " proto 76";
  // lifelined marks a next hop on its link onlink (see controller/netlink/messages.cpp).
  return text + " via " + route.gateway->to_string() + " dev " + route.interface +
         " proto 76 onlink";
}

std::vector<std::string> expected_rules(const RoutingState& state, Family family) {
  std::vector<std::string> out;
  for (const auto& rule : state.rules) {
    if (rule.family == family) out.push_back(expected(rule));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> expected_routes(const RoutingState& state, Family family) {
  std::vector<std::string> out;
  for (const auto& route : state.routes) {
    if (route.family == family) out.push_back(expected(route));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool contains(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line + "\n";
  return out;
}

constexpr const char* kConfig = R"(
node: netlink-test
links:
  - name: 5g
    interface: wwan0
    gateway: 198.18.1.2
    gateway6: 2001:db8:1::2
    kind: cellular
    probes:
      - type: icmp
        target: 198.18.1.2
  - name: leo
    interface: sat0
    gateway: 198.18.2.2
    gateway6: 2001:db8:2::2
    kind: satellite
    probes:
      - type: icmp
        target: 198.18.2.2
classes:
  - name: c2
    precedence: flash
    match: {dscp: [ef]}
    links: [5g, leo]
    when_none: blackhole
  - name: isr
    precedence: immediate
    match: {dscp: [af41]}
    links: [leo, 5g]
    when_none: blackhole
  - name: bulk
    precedence: routine
    match: {dscp: [cs1]}
    links: [5g]
    when_none: main
)";

config::Config test_config(const std::string& yaml = kConfig) {
  auto loaded = config::load_config_text(yaml, "netlink-test.yaml");
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  return loaded.ok() ? *loaded.config : config::Config{};
}

// c2 on 5g, isr on leo, bulk has nothing (falls through to main: no route).
RoutingState desired_state(const config::Config& cfg) {
  return routing::plan_routing(
      cfg, {policy::Target::to_link(0), policy::Target::to_link(1), policy::Target::main()});
}

class NetlinkActuatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LIFELINE_ENTER_PRIVATE_NETNS();
    add_link("wwan0", "198.18.1.1/24", "2001:db8:1::1/64");
    add_link("sat0", "198.18.2.1/24", "2001:db8:2::1/64");
  }

  static void add_link(const std::string& name, const std::string& v4, const std::string& v6) {
    SH("ip link add " + name + " type veth peer name " + name + "p");
    SH("ip link set " + name + " up && ip link set " + name + "p up");
    SH("ip addr add " + v4 + " dev " + name);
    SH("ip -6 addr add " + v6 + " dev " + name + " nodad");
  }

  // Other owners' rules and routes, some in lifelined's own tables.
  static void add_foreign_objects() {
    SH("ip -4 rule add priority 100 fwmark 0x10/0xff table 100 protocol static");
    SH("ip -4 rule add priority 21000 fwmark 0x4c460001 table 21000 protocol static");
    SH("ip -6 rule add priority 150 from 2001:db8:77::/48 table 21001 protocol boot");
    SH("ip -4 route add 198.18.50.0/24 via 198.18.1.2 dev wwan0 table 21000 proto static");
    SH("ip -4 route add default via 198.18.2.2 dev sat0 table 21001 metric 100 proto static");
    SH("ip -4 route add default via 198.18.1.2 dev wwan0 proto boot");
    SH("ip -6 route add 2001:db8:50::/48 via 2001:db8:2::2 dev sat0 table 21000 proto static");
    SH("ip -6 route add default via 2001:db8:2::2 dev sat0 table 21002 metric 2000 proto static");
  }

  static std::vector<std::string> foreign_rules(Family family) {
    if (family == Family::v4) {
      return {"100 fwmark 0x10/0xff lookup 100 proto static",
              "21000 fwmark 0x4c460001 lookup 21000 proto static"};
    }
    return {"150 from 2001:db8:77::/48 lookup 21001 proto boot"};
  }

  static std::vector<std::string> foreign_routes(Family family) {
    if (family == Family::v4) {
      return {"table 21000 198.18.50.0/24 via 198.18.1.2 dev wwan0 proto static",
              "table 21001 default via 198.18.2.2 dev sat0 proto static metric 100",
              "table main default via 198.18.1.2 dev wwan0 proto boot"};
    }
    return {"table 21000 2001:db8:50::/48 via 2001:db8:2::2 dev sat0 proto static",
            "table 21002 default via 2001:db8:2::2 dev sat0 proto static metric 2000"};
  }

  static void expect_foreign_intact() {
    for (const Family family : {Family::v4, Family::v6}) {
      const auto rule_lines = rules(family);
      for (const auto& rule : foreign_rules(family)) {
        EXPECT_TRUE(contains(rule_lines, rule)) << "lost foreign rule " << rule << " in\n"
                                                << joined(rule_lines);
      }
      const auto route_lines = routes(family);
      for (const auto& route : foreign_routes(family)) {
        EXPECT_TRUE(contains(route_lines, route)) << "lost foreign route " << route << " in\n"
                                                  << joined(route_lines);
      }
    }
  }

  static void expect_kernel_holds(const RoutingState& state) {
    for (const Family family : {Family::v4, Family::v6}) {
      EXPECT_EQ(ours(rules(family)), expected_rules(state, family));
      EXPECT_EQ(ours(routes(family)), expected_routes(state, family));
    }
  }
};

TEST_F(NetlinkActuatorTest, ReconcileInstallsExactlyThePlanAndLeavesForeignObjects) {
  add_foreign_objects();
  const auto cfg = test_config();
  const RoutingState desired = desired_state(cfg);
  ASSERT_EQ(desired.rules.size(), 10u);  // per family: 2 link rules + 3 class rules
  ASSERT_EQ(desired.routes.size(), 8u);  // per family: 2 link tables + c2 + isr

  auto actuator = make_netlink_actuator();
  const auto report = actuator->reconcile(desired);
  EXPECT_TRUE(report.errors.empty()) << joined(report.errors);
  EXPECT_EQ(report.added, 18u);
  EXPECT_EQ(report.replaced, 0u);
  EXPECT_EQ(report.removed, 0u);
  expect_kernel_holds(desired);
  expect_foreign_intact();
  EXPECT_TRUE(
      contains(routes(Family::v4), "table 21000 default via 198.18.1.2 dev wwan0 proto 76 onlink"));
  EXPECT_TRUE(contains(routes(Family::v6),
                       "table 21001 default via 2001:db8:2::2 dev sat0 proto 76 onlink"));
  EXPECT_TRUE(contains(rules(Family::v6), "20901 oif sat0 lookup 20901 proto 76"));

  const auto own = actuator->dump_own();
  ASSERT_TRUE(own);
  EXPECT_EQ(own->rules.size(), desired.rules.size());
  for (const auto& rule : desired.rules) {
    EXPECT_NE(std::find(own->rules.begin(), own->rules.end(), rule), own->rules.end());
  }
  for (const auto& route : desired.routes) {
    EXPECT_NE(std::find(own->routes.begin(), own->routes.end(), route), own->routes.end());
  }
  EXPECT_GE(actuator->stats().requests, 18u + 4u);
  EXPECT_EQ(actuator->stats().errors, 0u);
}

TEST_F(NetlinkActuatorTest, SecondReconcileChangesNothing) {
  add_foreign_objects();
  const RoutingState desired = desired_state(test_config());
  auto actuator = make_netlink_actuator();
  ASSERT_TRUE(actuator->reconcile(desired).errors.empty());
  const auto rules_before = rules(Family::v4);
  const auto rules6_before = rules(Family::v6);

  const auto again = actuator->reconcile(desired);
  EXPECT_TRUE(again.errors.empty()) << joined(again.errors);
  EXPECT_EQ(again.added + again.replaced + again.removed, 0u);
  EXPECT_EQ(rules(Family::v4), rules_before);  // no duplicate rules
  EXPECT_EQ(rules(Family::v6), rules6_before);
  // A new actuator (a restarted daemon) sees the same: nothing to do, no gap.
  const auto restarted = make_netlink_actuator()->reconcile(desired);
  EXPECT_EQ(restarted.added + restarted.replaced + restarted.removed, 0u);
  expect_kernel_holds(desired);
}

// The daemon's split: the kernel read on a worker thread (its own socket) while the owner
// switches a class on the main socket, then the plan written against that read. The same
// result as a one-piece reconcile, foreign objects untouched, and a read taken before a
// switch is what the daemon drops (here: it would put the old route back, which is why).
TEST_F(NetlinkActuatorTest, AKernelReadOnAnotherThreadThenReconcileAgainstIt) {
  add_foreign_objects();
  const auto cfg = test_config();
  const RoutingState desired = desired_state(cfg);
  auto actuator = make_netlink_actuator();
  std::unique_ptr<routing::KernelView> view;
  std::thread reader([&] { view = actuator->read_kernel(); });
  reader.join();
  ASSERT_TRUE(view);
  ASSERT_TRUE(view->error.empty()) << view->error;
  const auto report = actuator->reconcile(desired, *view);
  EXPECT_TRUE(report.errors.empty()) << joined(report.errors);
  EXPECT_EQ(report.added, 18u);
  expect_kernel_holds(desired);
  expect_foreign_intact();

  // Reads on another thread while the owner keeps switching c2: both sockets work side by
  // side, every read parses, and the last switch stands.
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, read_errors{0};
  std::thread busy([&] {
    while (!done) {
      const auto v = actuator->read_kernel();
      ++reads;
      if (!v->error.empty()) ++read_errors;
    }
  });
  for (int i = 0; i < 200 || (reads < 20 && i < 200000); ++i) {
    const auto target = i % 2 == 0 ? policy::Target::to_link(1) : policy::Target::to_link(0);
    const auto route = routing::class_route(cfg, 0, Family::v4, target);
    EXPECT_EQ(actuator->set_class_route(routing::class_table(0), Family::v4, route), "");
  }
  EXPECT_EQ(actuator->set_class_route(routing::class_table(0), Family::v4,
                                      routing::class_route(cfg, 0, Family::v4, policy::Target::to_link(0))),
            "");
  done = true;
  busy.join();
  EXPECT_GE(reads.load(), 20);
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_TRUE(contains(routes(Family::v4), "table 21000 default via 198.18.1.2 dev wwan0 proto 76 onlink"));

  // A view from before a switch is stale: reconciling against it with the new plan finds
  // nothing to do for c2 only because the plan is re-made from what is wanted now.
  const auto old_view = actuator->read_kernel();
  const auto moved = routing::plan_routing(cfg, {policy::Target::to_link(1), policy::Target::main(), policy::Target::main()});
  ASSERT_EQ(actuator->set_class_route(routing::class_table(0), Family::v4,
                                      routing::class_route(cfg, 0, Family::v4, policy::Target::to_link(1))),
            "");
  const auto late = actuator->reconcile(moved, *old_view);
  EXPECT_TRUE(late.errors.empty()) << joined(late.errors);
  expect_kernel_holds(moved);
}

TEST_F(NetlinkActuatorTest, ReconcileToNothingRemovesOnlyOurs) {
  add_foreign_objects();
  // isr fails closed: blackholes too (IPv6 reports those on lo), all removed exactly.
  const RoutingState desired = routing::plan_routing(
      test_config(),
      {policy::Target::to_link(0), policy::Target::blackhole(), policy::Target::main()});
  auto actuator = make_netlink_actuator();
  ASSERT_TRUE(actuator->reconcile(desired).errors.empty());
  expect_kernel_holds(desired);

  const auto report = actuator->reconcile(RoutingState{});
  EXPECT_TRUE(report.errors.empty()) << joined(report.errors);
  EXPECT_EQ(report.removed, 18u);
  for (const Family family : {Family::v4, Family::v6}) {
    EXPECT_TRUE(ours(rules(family)).empty()) << joined(rules(family));
    EXPECT_TRUE(ours(routes(family)).empty()) << joined(routes(family));
  }
  expect_foreign_intact();
}

TEST_F(NetlinkActuatorTest, ReconcileReplacesChangedRoutesAndRemovesStaleOnes) {
  add_foreign_objects();
  const auto cfg = test_config();
  auto actuator = make_netlink_actuator();
  ASSERT_TRUE(actuator->reconcile(desired_state(cfg)).errors.empty());
  // Leftovers of an earlier run: a route and a rule of ours lifelined would never make now.
  SH("ip -4 route add 198.18.60.0/24 via 198.18.2.2 dev sat0 table 21000 proto 76");
  SH("ip -6 rule add priority 21500 fwmark 0x4c460099 table 21500 protocol 76");

  // c2 moves to leo, isr fails closed, bulk stays on main.
  const RoutingState moved = routing::plan_routing(
      cfg, {policy::Target::to_link(1), policy::Target::blackhole(), policy::Target::main()});
  const auto report = actuator->reconcile(moved);
  EXPECT_TRUE(report.errors.empty()) << joined(report.errors);
  EXPECT_EQ(report.replaced, 4u);  // c2 and isr, both families
  EXPECT_EQ(report.removed, 2u);
  EXPECT_EQ(report.added, 0u);
  expect_kernel_holds(moved);
  EXPECT_TRUE(contains(routes(Family::v6), "table 21001 blackhole default proto 76"));
  expect_foreign_intact();
}

TEST_F(NetlinkActuatorTest, SetClassRouteSwitchesBetweenLinkBlackholeAndNothing) {
  add_foreign_objects();
  auto actuator = make_netlink_actuator();
  ASSERT_TRUE(actuator->reconcile(desired_state(test_config())).errors.empty());

  // Every transition, each checked to leave exactly one route of ours in the table. IPv6
  // swaps a route with a gateway for a blackhole (and back) only through the kernel's
  // fallback for routes of different "ECMP-ability"; an append would leave two. From
  // reconcile, table 21000 starts via wwan0 (the IPv6 case that needs RTNH_F_ONLINK, since
  // the probe rules "oif <link> lookup <link table>" exist by then).
  enum class To { sat0, wwan0, blackhole, nothing };
  const To steps[] = {To::sat0,    To::blackhole, To::wwan0,   To::nothing,
                      To::nothing, To::blackhole, To::nothing, To::sat0};
  for (const Family family : {Family::v4, Family::v6}) {
    const bool v4 = family == Family::v4;
    for (const To to : steps) {
      std::optional<RouteSpec> route;
      if (to == To::sat0) route = via(21000, family, v4 ? "198.18.2.2" : "2001:db8:2::2", "sat0");
      if (to == To::wwan0) route = via(21000, family, v4 ? "198.18.1.2" : "2001:db8:1::2", "wwan0");
      if (to == To::blackhole) route = blackhole(21000, family);
      const std::string what = (v4 ? "v4 " : "v6 ") + (route ? expected(*route) : "removal");

      const auto requests_before = actuator->stats().requests;
      EXPECT_EQ(actuator->set_class_route(21000, family, route), "") << what;
      EXPECT_EQ(actuator->stats().requests, requests_before + 1) << what;  // one message
      std::vector<std::string> in_table;
      for (const auto& line : ours(routes(family))) {
        if (line.starts_with("table 21000 ")) in_table.push_back(line);
      }
      EXPECT_EQ(in_table,
                route ? std::vector<std::string>{expected(*route)} : std::vector<std::string>{})
          << what;
    }
  }
  expect_foreign_intact();
  EXPECT_EQ(actuator->stats().errors, 0u);
}

TEST_F(NetlinkActuatorTest, MissingInterfaceIsReportedAndTheRestApplied) {
  std::string yaml = kConfig;
  yaml.replace(yaml.find("interface: sat0"), 15, "interface: sat9");
  const auto cfg = test_config(yaml);
  const RoutingState desired = desired_state(cfg);
  auto actuator = make_netlink_actuator();
  const auto report = actuator->reconcile(desired);

  // Every route through sat9 fails (link table and isr, both families); nothing else does.
  ASSERT_EQ(report.errors.size(), 4u) << joined(report.errors);
  for (const auto& error : report.errors) {
    EXPECT_NE(error.find("sat9"), std::string::npos) << error;
    EXPECT_NE(error.find("ENODEV"), std::string::npos) << error;
  }
  // Rules match interface names, which the kernel accepts before the interface exists.
  EXPECT_EQ(report.added, 10u + 4u);
  EXPECT_TRUE(
      contains(routes(Family::v4), "table 21000 default via 198.18.1.2 dev wwan0 proto 76 onlink"));
  EXPECT_TRUE(contains(routes(Family::v6),
                       "table 20900 default via 2001:db8:1::2 dev wwan0 proto 76 onlink"));
  EXPECT_GE(actuator->stats().errors, 4u);

  const auto error =
      actuator->set_class_route(21001, Family::v4, via(21001, Family::v4, "198.18.2.2", "sat9"));
  EXPECT_NE(error.find("interface sat9 does not exist"), std::string::npos) << error;
}

TEST_F(NetlinkActuatorTest, KernelErrorsCarryTheKernelsExplanation) {
  auto actuator = make_netlink_actuator();
  SH("ip link set sat0 down");
  // A link that is down takes no route: the kernel refuses and says why, in both families.
  const auto error4 =
      actuator->set_class_route(21000, Family::v4, via(21000, Family::v4, "198.18.2.2", "sat0"));
  EXPECT_NE(error4.find("ENETDOWN"), std::string::npos) << error4;
  EXPECT_NE(error4.find("Nexthop device is not up"), std::string::npos) << error4;
  const auto error6 =
      actuator->set_class_route(21000, Family::v6, via(21000, Family::v6, "2001:db8:2::2", "sat0"));
  EXPECT_NE(error6.find("ENETDOWN"), std::string::npos) << error6;
  EXPECT_EQ(actuator->stats().errors, 2u);
  EXPECT_TRUE(ours(routes(Family::v4)).empty());
  EXPECT_TRUE(ours(routes(Family::v6)).empty());
}

TEST_F(NetlinkActuatorTest, ForeignRouteInOurSlotIsNeverReplaced) {
  SH("ip -4 route add default via 198.18.2.2 dev sat0 table 21000 proto static");
  const std::string foreign = "table 21000 default via 198.18.2.2 dev sat0 proto static";
  const RoutingState desired = desired_state(test_config());
  auto actuator = make_netlink_actuator();

  const auto report = actuator->reconcile(desired);
  ASSERT_EQ(report.errors.size(), 1u) << joined(report.errors);
  EXPECT_NE(report.errors[0].find("does not own"), std::string::npos) << report.errors[0];
  EXPECT_EQ(report.added, 17u);  // everything but v4 table 21000's route
  EXPECT_TRUE(contains(routes(Family::v4), foreign));

  // The fast path refuses too (NLM_F_REPLACE would swap the other owner's route out) ...
  const auto error =
      actuator->set_class_route(21000, Family::v4, via(21000, Family::v4, "198.18.1.2", "wwan0"));
  EXPECT_NE(error.find("another owner"), std::string::npos) << error;
  // ... and a removal only ever matches our own protocol.
  EXPECT_EQ(actuator->set_class_route(21000, Family::v4, std::nullopt), "");
  EXPECT_TRUE(contains(routes(Family::v4), foreign)) << joined(routes(Family::v4));
  // Another table of the same family is not blocked.
  EXPECT_EQ(actuator->set_class_route(21001, Family::v4, blackhole(21001, Family::v4)), "");
}

TEST_F(NetlinkActuatorTest, RouteOfTheWrongTableIsRefused) {
  auto actuator = make_netlink_actuator();
  const auto error =
      actuator->set_class_route(21001, Family::v4, via(21000, Family::v4, "198.18.1.2", "wwan0"));
  EXPECT_NE(error.find("refusing"), std::string::npos) << error;
  EXPECT_TRUE(ours(routes(Family::v4)).empty());
}

TEST_F(NetlinkActuatorTest, AnUnansweredRequestTimesOutInsteadOfBlocking) {
  // A zero deadline: no answer can arrive in time, which is what a lost ACK looks like.
  NetlinkOptions options;
  options.timeout = std::chrono::milliseconds(0);
  auto impatient = make_netlink_actuator(options);
  const auto error = impatient->set_class_route(21000, Family::v4, blackhole(21000, Family::v4));
  EXPECT_NE(error.find("ETIMEDOUT"), std::string::npos) << error;
  const auto report = impatient->reconcile(desired_state(test_config()));
  ASSERT_EQ(report.errors.size(), 1u) << joined(report.errors);
  EXPECT_NE(report.errors[0].find("nothing changed"), std::string::npos) << report.errors[0];
  EXPECT_EQ(report.added + report.replaced + report.removed, 0u);
  EXPECT_EQ(impatient->stats().timeouts, 2u);
  EXPECT_EQ(impatient->stats().errors, 2u);

  // The request itself went out: its outcome is unknown to the sender, and a reconcile (with
  // a patient actuator) finds the kernel as it is.
  auto patient = make_netlink_actuator();
  const auto own = patient->dump_own();
  ASSERT_TRUE(own);
  EXPECT_EQ(own->routes, std::vector<RouteSpec>{blackhole(21000, Family::v4)});
}

}  // namespace
}  // namespace lifeline::netlink
