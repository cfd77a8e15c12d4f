#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include "tests/support/routing_specs.hpp"
#include "config/loader.hpp"
#include "controller/netlink/reconcile_plan.hpp"

namespace lifeline::netlink {
namespace {

using testing::blackhole;
using testing::ip;
using testing::mark_rule;
using testing::oif_rule;
using testing::on_link;
using testing::via;

using routing::RouteSpec;
using routing::RuleSpec;

constexpr std::uint8_t kOurs = routing::kRouteProtocol;

// A dump entry for `spec` as the kernel reports it, with protocol `proto`.
KernelRoute kernel_route(const RouteSpec& spec, std::uint8_t proto = kOurs) {
  KernelRoute route;
  route.key = default_slot(spec.family, spec.table);
  if (spec.family == Family::v6) route.key.metric = 1024;  // IPv6 always reports it
  route.protocol = proto;
  route.type = spec.kind == RouteSpec::Kind::blackhole ? RTN_BLACKHOLE : RTN_UNICAST;
  route.gateway = spec.gateway;
  route.interface = spec.interface;
  route.oif = spec.interface.empty() ? 0 : 3;
  return route;
}

KernelRoute kernel_route_to(std::uint32_t table, const char* prefix, std::uint8_t proto) {
  KernelRoute route;
  const auto parsed = Prefix::parse(prefix);
  route.key.family = parsed.prefix->family();
  route.key.table = table;
  route.key.dst = *parsed.prefix;
  route.protocol = proto;
  route.type = RTN_UNICAST;
  route.interface = "wwan0";
  route.oif = 3;
  return route;
}

KernelRule kernel_rule(const RuleSpec& spec, std::uint8_t proto = kOurs) {
  KernelRule rule;
  rule.family = spec.family;
  rule.priority = spec.priority;
  rule.table = spec.table;
  rule.action = 1;  // FR_ACT_TO_TBL
  rule.protocol = proto;
  rule.fwmark = spec.fwmark;
  rule.fwmask = spec.fwmark ? 0xffffffff : 0;
  rule.oif = spec.oif;
  return rule;
}

const RuleSpec kMark4 = mark_rule(21000, Family::v4, 21000, 0x4c460001);
const RuleSpec kMark6 = mark_rule(21000, Family::v6, 21000, 0x4c460001);
const RuleSpec kOif4 = oif_rule(20900, Family::v4, 20900, "wwan0");
const RouteSpec kVia4 = via(21000, Family::v4, "198.18.1.2", "wwan0");
const RouteSpec kVia6 = via(21000, Family::v6, "2001:db8:1::2", "wwan0");
const RouteSpec kLink4 = via(20900, Family::v4, "198.18.1.2", "wwan0");

struct PlanCase {
  const char* name;
  KernelState actual;
  routing::RoutingState desired;
  std::size_t add_routes = 0;
  std::size_t replace_routes = 0;
  std::size_t add_rules = 0;
  std::size_t remove_rules = 0;
  std::size_t remove_routes = 0;
  std::size_t conflicts = 0;
};

class PlanChanges : public ::testing::TestWithParam<PlanCase> {};

TEST_P(PlanChanges, Counts) {
  const PlanCase& c = GetParam();
  const ChangePlan plan = plan_changes(c.actual, c.desired);
  EXPECT_EQ(plan.add_routes.size(), c.add_routes);
  EXPECT_EQ(plan.replace_routes.size(), c.replace_routes);
  EXPECT_EQ(plan.add_rules.size(), c.add_rules);
  EXPECT_EQ(plan.remove_rules.size(), c.remove_rules);
  EXPECT_EQ(plan.remove_routes.size(), c.remove_routes);
  EXPECT_EQ(plan.conflicts.size(), c.conflicts);
  // Whatever the case: nothing of another owner is ever in a removal list.
  for (const auto& rule : plan.remove_rules) EXPECT_EQ(rule.protocol, kOurs) << describe(rule);
  for (const auto& route : plan.remove_routes) EXPECT_EQ(route.protocol, kOurs) << describe(route);
}

INSTANTIATE_TEST_SUITE_P(
    Netlink, PlanChanges,
    ::testing::Values(
        PlanCase{"empty_kernel_adds_everything",
                 {},
                 {{kMark4, kMark6, kOif4}, {kVia4, kVia6, kLink4}},
                 3,
                 0,
                 3,
                 0,
                 0,
                 0},
        PlanCase{"in_sync_is_a_no_op",
                 {{kernel_rule(kMark4), kernel_rule(kMark6)},
                  {kernel_route(kVia4), kernel_route(kVia6)}},
                 {{kMark4, kMark6}, {kVia4, kVia6}}},
        PlanCase{
            "other_gateway_is_replaced",
            {{kernel_rule(kMark4)}, {kernel_route(via(21000, Family::v4, "198.18.2.2", "sat0"))}},
            {{kMark4}, {kVia4}},
            0,
            1},
        PlanCase{"unicast_to_blackhole_is_replaced",
                 {{}, {kernel_route(kVia6)}},
                 {{}, {blackhole(21000, Family::v6)}},
                 0,
                 1},
        PlanCase{"stale_rule_and_route_of_ours_are_removed",
                 {{kernel_rule(kMark4), kernel_rule(kOif4)},
                  {kernel_route(kVia4), kernel_route(kLink4)}},
                 {{kMark4}, {kVia4}},
                 0,
                 0,
                 0,
                 1,
                 1},
        PlanCase{"empty_desired_removes_only_ours",
                 {{kernel_rule(kMark4), kernel_rule(kMark6, RTPROT_STATIC),
                   kernel_rule(oif_rule(100, Family::v4, 100, "eth0"), RTPROT_BOOT)},
                  {kernel_route(kVia4), kernel_route(kVia6, RTPROT_STATIC),
                   kernel_route_to(254, "198.18.0.0/24", RTPROT_KERNEL)}},
                 {},
                 0,
                 0,
                 0,
                 1,
                 1},
        PlanCase{"foreign_rule_like_ours_does_not_count_as_ours",
                 {{kernel_rule(kMark4, RTPROT_STATIC)}, {}},
                 {{kMark4}, {}},
                 0,
                 0,
                 1},
        PlanCase{
            "foreign_route_elsewhere_in_our_table_is_left_alone",
            {{}, {kernel_route_to(21000, "198.18.50.0/24", RTPROT_STATIC), kernel_route(kVia4)}},
            {{}, {kVia4}}},
        PlanCase{"foreign_route_in_our_slot_is_a_conflict_not_a_write",
                 {{}, {kernel_route(via(21000, Family::v4, "198.18.9.9", "eth0"), RTPROT_STATIC)}},
                 {{}, {kVia4}},
                 0,
                 0,
                 0,
                 0,
                 0,
                 1},
        PlanCase{
            "our_route_beside_a_foreign_one_in_the_slot_stays",
            {{}, {kernel_route(kVia4), kernel_route(blackhole(21000, Family::v4), RTPROT_STATIC)}},
            {{}, {blackhole(21000, Family::v4)}},
            0,
            0,
            0,
            0,
            0,
            1},
        PlanCase{"duplicate_rules_of_ours_are_removed",
                 {{kernel_rule(kMark4), kernel_rule(kMark4), kernel_rule(kMark4)}, {}},
                 {{kMark4}, {}},
                 0,
                 0,
                 0,
                 2},
        PlanCase{"our_non_default_route_is_stale",
                 {{}, {kernel_route_to(21000, "198.18.60.0/24", kOurs)}},
                 {{}, {kVia4}},
                 1,
                 0,
                 0,
                 0,
                 1},
        PlanCase{"wanted_twice_the_same_is_wanted_once",
                 {},
                 {{kMark4, kMark4}, {kVia4, kVia4}},
                 1,
                 0,
                 1},
        PlanCase{"wanted_twice_differently_is_a_conflict",
                 {},
                 {{}, {kVia4, blackhole(21000, Family::v4)}},
                 1,
                 0,
                 0,
                 0,
                 0,
                 1},
        PlanCase{"families_are_separate_slots",
                 {{kernel_rule(kMark4)}, {kernel_route(kVia4)}},
                 {{kMark4, kMark6}, {kVia4, kVia6}},
                 1,
                 0,
                 1}),
    [](const ::testing::TestParamInfo<PlanCase>& param) { return std::string(param.param.name); });

TEST(PlanChanges, ReplacementCarriesTheWantedRoute) {
  const KernelState actual{{}, {kernel_route(kVia4)}};
  const auto plan = plan_changes(actual, {{}, {blackhole(21000, Family::v4)}});
  ASSERT_EQ(plan.replace_routes.size(), 1u);
  EXPECT_EQ(plan.replace_routes[0], blackhole(21000, Family::v4));
}

TEST(PlanChanges, RuleWithAnotherMaskIsReplacedByAdditionAndRemoval) {
  KernelRule odd = kernel_rule(kMark4);
  odd.fwmask = 0xffff;
  const auto plan = plan_changes({{odd}, {}}, {{kMark4}, {}});
  ASSERT_EQ(plan.add_rules.size(), 1u);
  ASSERT_EQ(plan.remove_rules.size(), 1u);
  EXPECT_EQ(plan.remove_rules[0].fwmask, 0xffffu);
}

TEST(PlanChanges, ExoticRouteOfOursInTheSlotIsRewritten) {
  KernelRoute multipath = kernel_route(kVia4);
  multipath.exotic = true;
  const auto plan = plan_changes({{}, {multipath}}, {{}, {kVia4}});
  EXPECT_EQ(plan.replace_routes.size(), 1u);
  EXPECT_TRUE(plan.remove_routes.empty());
}

TEST(PlanChanges, RouteOfOursAtAnotherMetricIsStale) {
  KernelRoute metric5 = kernel_route(kVia4);
  metric5.key.metric = 5;
  const auto plan = plan_changes({{}, {metric5}}, {{}, {kVia4}});
  EXPECT_EQ(plan.add_routes.size(), 1u);
  ASSERT_EQ(plan.remove_routes.size(), 1u);
  EXPECT_EQ(plan.remove_routes[0].key.metric, 5u);
}

TEST(PlanChanges, ForeignSlotsAreListedForTheFastPath) {
  const KernelState actual{
      {},
      {kernel_route(kVia4, RTPROT_STATIC), kernel_route(kVia6),
       kernel_route(via(254, Family::v4, "198.18.1.2", "wwan0"), RTPROT_BOOT)}};
  const auto plan = plan_changes(actual, {});
  EXPECT_EQ(plan.foreign_slots, (std::vector<Slot>{{Family::v4, 254}, {Family::v4, 21000}}));
  ASSERT_EQ(plan.remove_routes.size(), 1u);
  EXPECT_EQ(plan.remove_routes[0].key.family, Family::v6);
}

TEST(PlanChanges, ConflictMessageNamesTheOtherOwner) {
  const KernelState actual{
      {}, {kernel_route(via(21000, Family::v4, "198.18.9.9", "eth0"), RTPROT_STATIC)}};
  const auto plan = plan_changes(actual, {{}, {kVia4}});
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_NE(plan.conflicts[0].find("v4 table 21000 default via 198.18.1.2 dev wwan0"),
            std::string::npos)
      << plan.conflicts[0];
  EXPECT_NE(plan.conflicts[0].find("proto 4"), std::string::npos) << plan.conflicts[0];
}

// The plan of the example configuration: everything is added to an empty kernel, and once
// the kernel holds it, nothing changes.
TEST(PlanChanges, ExampleConfigurationConverges) {
  const auto loaded = config::load_config_file(std::string(LIFELINE_SOURCE_DIR) +
                                               "/config/examples/base-gateway.yaml");
  ASSERT_TRUE(loaded.ok());
  const auto& cfg = *loaded.config;
  std::vector<policy::Target> targets(cfg.classes.size(), policy::Target::to_link(0));
  targets[1] = policy::Target::blackhole();
  const auto desired = routing::plan_routing(cfg, targets);

  const auto first = plan_changes({}, desired);
  EXPECT_EQ(first.add_rules.size(), desired.rules.size());
  EXPECT_EQ(first.add_routes.size(), desired.routes.size());
  EXPECT_EQ(first.changes(), desired.rules.size() + desired.routes.size());

  KernelState applied;
  for (const auto& rule : desired.rules) applied.rules.push_back(kernel_rule(rule));
  for (const auto& route : desired.routes) applied.routes.push_back(kernel_route(route));
  const auto second = plan_changes(applied, desired);
  EXPECT_EQ(second.changes(), 0u);
  EXPECT_TRUE(second.conflicts.empty());
  EXPECT_EQ(own_state(applied).rules, desired.rules);
  EXPECT_EQ(own_state(applied).routes, desired.routes);
}

TEST(Describe, ReadsLikeIp) {
  EXPECT_EQ(describe(kVia4), "v4 table 21000 default via 198.18.1.2 dev wwan0");
  EXPECT_EQ(describe(blackhole(21001, Family::v6)), "v6 table 21001 blackhole default");
  EXPECT_EQ(describe(kMark4), "v4 rule priority 21000 fwmark 0x4c460001 lookup 21000");
  EXPECT_EQ(describe(kOif4), "v4 rule priority 20900 oif wwan0 lookup 20900");
  EXPECT_EQ(describe(kernel_route_to(21000, "198.18.60.0/24", kOurs)),
            "v4 table 21000 198.18.60.0/24 dev wwan0 proto 76");
}

}  // namespace
}  // namespace lifeline::netlink
