// The configuration contract, as an operator meets it: the shipped example loads with the
// values it says, omitted keys take their documented defaults, every mistake in
// tests/fixtures/bad-configs/ is refused with one "file:line:column: path: message" that
// points at it, and no input, however hostile, makes the loader throw, crash or hang.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace lifeline::config {
namespace {

std::string source_path(const std::string& relative) {
  return std::string(LIFELINE_SOURCE_DIR) + "/" + relative;
}

const std::string kExample = "config/examples/base-gateway.yaml";
const std::string kBadConfigDir = "tests/fixtures/bad-configs";

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
Prefix prefix(const char* text) {
  return *Prefix::parse(text).prefix;
}

std::string all(const LoadResult& result) {
  std::string out;
  for (const auto& e : result.errors) out += "\n  " + e.to_string();
  return out;
}

// Loaded once: several tests read it.
const Config& example() {
  static const LoadResult loaded = load_config_file(source_path(kExample));
  if (!loaded.ok()) ADD_FAILURE() << kExample << " does not load:" << all(loaded);
  static const Config empty;
  return loaded.ok() ? *loaded.config : empty;
}

const LinkConfig& link(const Config& config, const std::string& name) {
  const int i = config.link_index(name);
  if (i < 0) throw std::runtime_error("no link " + name);
  return config.links[static_cast<std::size_t>(i)];
}

const ClassConfig& traffic_class(const Config& config, const std::string& name) {
  const int i = config.class_index(name);
  if (i < 0) throw std::runtime_error("no class " + name);
  return config.classes[static_cast<std::size_t>(i)];
}

// ---- the shipped example ----------------------------------------------------------------

TEST(ConfigExample, LoadsWithoutErrors) {
  const auto loaded = load_config_file(source_path(kExample));
  ASSERT_TRUE(loaded.ok()) << all(loaded);
  EXPECT_TRUE(loaded.errors.empty());
  const Config& c = *loaded.config;
  EXPECT_EQ(c.source, source_path(kExample));
  EXPECT_EQ(c.node, "base-alpha-gw1");
  ASSERT_EQ(c.links.size(), 4u);
  ASSERT_EQ(c.classes.size(), 4u);
  // File order is kept for both.
  EXPECT_EQ(c.links[0].name, "5g");
  EXPECT_EQ(c.links[3].name, "cloud");
  EXPECT_EQ(c.classes[0].name, "c2");
  EXPECT_EQ(c.classes[3].name, "logistics");
}

TEST(ConfigExample, LinkWithEveryKeyHasTheValuesWritten) {
  const LinkConfig& l = link(example(), "5g");
  EXPECT_EQ(l.interface, "wwan0");
  EXPECT_EQ(l.gateway, ip("198.18.1.2"));
  EXPECT_FALSE(l.gateway6);
  EXPECT_EQ(l.kind, LinkKind::cellular);
  EXPECT_EQ(l.capacity, BitRate(200'000'000));
  EXPECT_EQ(l.risk_groups, std::vector<std::string>{"tower-7"});
  EXPECT_FALSE(l.carried_over);  // `carried_over: null` is the same as leaving it out
  EXPECT_EQ(l.detect.interval, Duration(5ms));
  EXPECT_EQ(l.detect.multiplier, 8u);
  EXPECT_EQ(l.detect.rise, 50u);
  EXPECT_EQ(l.detect.min_stable, Duration(5s));
  EXPECT_EQ(l.detect.detection_time(), Duration(40ms));
  EXPECT_EQ(l.sla.rtt, Duration(150ms));
  EXPECT_EQ(l.sla.jitter, Duration(30ms));
  ASSERT_TRUE(l.sla.loss);
  EXPECT_DOUBLE_EQ(*l.sla.loss, 0.05);
  EXPECT_EQ(l.sla.window, Duration(10s));  // not in the file: the default
  ASSERT_EQ(l.probes.size(), 2u);
  EXPECT_EQ(l.probes[0].type, ProbeType::udp_echo);
  EXPECT_EQ(l.probes[0].target, ip("198.19.0.10"));
  EXPECT_EQ(l.probes[0].port, 7070);
  EXPECT_EQ(l.probes[0].key_file, "/etc/lifeline/keys/5g.key");
  EXPECT_EQ(l.probes[1].type, ProbeType::icmp);
  EXPECT_EQ(l.probes[1].target, ip("198.19.0.1"));
  EXPECT_EQ(l.probes[1].port, 0);
  EXPECT_EQ(l.probes[1].key_file, "");
  EXPECT_EQ(l.quorum, 1u);
}

TEST(ConfigExample, LinksWithoutDetectGetTheDefaultsOfTheirKind) {
  const Config& c = example();
  for (const char* name : {"leo", "geo", "cloud"}) {
    SCOPED_TRACE(name);
    const LinkConfig& l = link(c, name);
    const DetectConfig expected = default_detect(l.kind);
    EXPECT_EQ(l.detect.interval, expected.interval);
    EXPECT_EQ(l.detect.multiplier, expected.multiplier);
    EXPECT_EQ(l.detect.rise, expected.rise);
    EXPECT_EQ(l.detect.min_stable, expected.min_stable);
  }
  EXPECT_EQ(link(c, "leo").detect.interval, Duration(20ms));   // satellite
  EXPECT_EQ(link(c, "cloud").detect.interval, Duration(5ms));  // cloud
}

TEST(ConfigExample, OtherLinks) {
  const Config& c = example();
  EXPECT_EQ(link(c, "leo").kind, LinkKind::satellite);
  EXPECT_EQ(link(c, "leo").capacity, BitRate(100'000'000));
  EXPECT_EQ(link(c, "geo").capacity, BitRate(8'000'000));
  EXPECT_EQ(link(c, "geo").quorum, 1u);  // not in the file
  EXPECT_EQ(link(c, "geo").sla.rtt, Duration(900ms));
  const LinkConfig& cloud = link(c, "cloud");
  EXPECT_EQ(cloud.kind, LinkKind::cloud);
  EXPECT_EQ(cloud.carried_over, "5g");
  EXPECT_EQ(cloud.sla.rtt, Duration(200ms));
  EXPECT_FALSE(cloud.sla.jitter);  // unset thresholds stay unset
  EXPECT_TRUE(cloud.risk_groups.empty());
}

TEST(ConfigExample, ClassWithEveryKeyHasTheValuesWritten) {
  const ClassConfig& c2 = traffic_class(example(), "c2");
  EXPECT_EQ(c2.precedence, Precedence::flash);
  // [cs6, ef, 46]: names become numbers, and ef and 46 are the same value, kept once.
  EXPECT_EQ(c2.match.dscp, (std::vector<std::uint8_t>{48, 46}));
  EXPECT_EQ(c2.match.sources, std::vector<Prefix>{prefix("198.18.10.0/26")});
  EXPECT_TRUE(c2.match.destinations.empty());
  EXPECT_EQ(c2.match.protocols, (std::vector<std::uint8_t>{17, 6}));
  EXPECT_EQ(c2.match.ports, (std::vector<PortRange>{{5060, 5060}, {10000, 20000}}));
  EXPECT_EQ(c2.links, (std::vector<std::string>{"5g", "leo", "geo"}));
  EXPECT_EQ(c2.require.rtt, Duration(800ms));
  EXPECT_EQ(c2.require.jitter, Duration(50ms));
  ASSERT_TRUE(c2.require.loss);
  EXPECT_DOUBLE_EQ(*c2.require.loss, 0.02);
  EXPECT_EQ(c2.rate, BitRate(2'000'000));
  EXPECT_EQ(c2.when_none, WhenNone::blackhole);
  EXPECT_EQ(c2.failback, Duration(30s));
  EXPECT_TRUE(c2.preempt);
}

TEST(ConfigExample, OtherClasses) {
  const Config& c = example();
  const ClassConfig& isr = traffic_class(c, "isr");
  EXPECT_EQ(isr.precedence, Precedence::immediate);
  EXPECT_EQ(isr.match.dscp, (std::vector<std::uint8_t>{34, 36}));  // af41, af42
  EXPECT_FALSE(isr.require.rtt);
  ASSERT_TRUE(isr.require.loss);
  EXPECT_DOUBLE_EQ(*isr.require.loss, 0.03);
  EXPECT_TRUE(isr.preempt);  // not in the file: the default
  const ClassConfig& voice = traffic_class(c, "voice");
  EXPECT_EQ(voice.precedence, Precedence::priority);
  EXPECT_EQ(voice.match.dscp, std::vector<std::uint8_t>{26});  // af31
  EXPECT_EQ(voice.match.ports, (std::vector<PortRange>{{16384, 32767}}));
  EXPECT_EQ(voice.when_none, WhenNone::main);
  const ClassConfig& logistics = traffic_class(c, "logistics");
  EXPECT_EQ(logistics.precedence, Precedence::routine);
  EXPECT_EQ(logistics.links, (std::vector<std::string>{"cloud", "5g", "leo", "geo"}));
  EXPECT_FALSE(logistics.require.rtt);
  EXPECT_FALSE(logistics.require.jitter);
  EXPECT_FALSE(logistics.require.loss);
  EXPECT_EQ(logistics.failback, Duration(60s));
}

TEST(ConfigExample, DampeningIsTheDefaults) {
  const DampeningConfig& d = example().dampening;
  const DampeningConfig defaults;
  EXPECT_EQ(d.half_life, Duration(15s));
  EXPECT_EQ(d.penalty, 1000);
  EXPECT_EQ(d.suppress, 2000);
  EXPECT_EQ(d.reuse, 750);
  EXPECT_EQ(d.max_suppress, Duration(120s));
  EXPECT_EQ(d.half_life, defaults.half_life);
  EXPECT_EQ(d.penalty, defaults.penalty);
  EXPECT_EQ(d.suppress, defaults.suppress);
  EXPECT_EQ(d.reuse, defaults.reuse);
  EXPECT_EQ(d.max_suppress, defaults.max_suppress);
}

// ---- defaults -----------------------------------------------------------------------------

// One link per kind and one class, each with only its required keys.
const char* kMinimal = R"(node: gw1
links:
  - {name: cell, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}]}
  - {name: sat, interface: sat0, kind: satellite, probes: [{type: icmp, target: 198.19.0.1}]}
  - {name: vpn, interface: wg0, kind: cloud, probes: [{type: icmp, target: 198.19.0.1}]}
  - {name: fibre, interface: eth1, kind: wired, probes: [{type: icmp, target: 198.19.0.1}]}
classes:
  - {name: bulk, precedence: routine, match: {dscp: [be]}, links: [fibre], when_none: main}
)";

Config load_ok(const std::string& yaml) {
  const auto loaded = load_config_text(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << all(loaded);
  return loaded.ok() ? *loaded.config : Config{};
}

TEST(ConfigDefaults, DetectionDefaultsPerKind) {
  for (const auto kind : {LinkKind::cellular, LinkKind::wired, LinkKind::cloud}) {
    SCOPED_TRACE(to_string(kind));
    const DetectConfig d = default_detect(kind);
    EXPECT_EQ(d.interval, Duration(5ms));
    EXPECT_EQ(d.multiplier, 8u);
    EXPECT_EQ(d.rise, 50u);
    EXPECT_EQ(d.min_stable, Duration(5s));
    EXPECT_EQ(d.detection_time(), Duration(40ms));
  }
  const DetectConfig sat = default_detect(LinkKind::satellite);
  EXPECT_EQ(sat.interval, Duration(20ms));
  EXPECT_EQ(sat.multiplier, 8u);
  EXPECT_EQ(sat.rise, 50u);
  EXPECT_EQ(sat.min_stable, Duration(5s));
  EXPECT_EQ(sat.detection_time(), Duration(160ms));
}

TEST(ConfigDefaults, OmittedKeysTakeTheirDefaults) {
  const Config c = load_ok(kMinimal);
  ASSERT_EQ(c.links.size(), 4u);
  for (const auto& l : c.links) {
    SCOPED_TRACE(l.name);
    EXPECT_EQ(l.detect.interval, default_detect(l.kind).interval);
    EXPECT_EQ(l.detect.multiplier, default_detect(l.kind).multiplier);
    EXPECT_FALSE(l.gateway);
    EXPECT_FALSE(l.gateway6);
    EXPECT_FALSE(l.capacity);
    EXPECT_FALSE(l.carried_over);
    EXPECT_TRUE(l.risk_groups.empty());
    EXPECT_FALSE(l.sla.rtt);
    EXPECT_FALSE(l.sla.jitter);
    EXPECT_FALSE(l.sla.loss);
    EXPECT_EQ(l.sla.window, Duration(10s));
    EXPECT_EQ(l.quorum, 1u);
  }
  const ClassConfig& bulk = c.classes.at(0);
  EXPECT_FALSE(bulk.rate);
  EXPECT_FALSE(bulk.require.rtt);
  EXPECT_FALSE(bulk.require.jitter);
  EXPECT_FALSE(bulk.require.loss);
  EXPECT_EQ(bulk.failback, Duration(30s));
  EXPECT_TRUE(bulk.preempt);
  EXPECT_EQ(c.dampening.half_life, Duration(15s));
  EXPECT_EQ(c.dampening.penalty, 1000);
  EXPECT_EQ(c.dampening.suppress, 2000);
  EXPECT_EQ(c.dampening.reuse, 750);
  EXPECT_EQ(c.dampening.max_suppress, Duration(120s));
}

TEST(ConfigDefaults, APartialDetectBlockKeepsTheOtherDefaultsOfTheKind) {
  const Config c = load_ok(R"(node: gw1
links:
  - name: sat
    interface: sat0
    kind: satellite
    detect: {multiplier: 4}
    probes: [{type: icmp, target: 198.19.0.1}]
classes:
  - {name: bulk, precedence: routine, match: {dscp: [be]}, links: [sat], when_none: main}
)");
  ASSERT_EQ(c.links.size(), 1u);
  EXPECT_EQ(c.links[0].detect.multiplier, 4u);
  EXPECT_EQ(c.links[0].detect.interval, Duration(20ms));  // satellite default
  EXPECT_EQ(c.links[0].detect.rise, 50u);
  EXPECT_EQ(c.links[0].detect.min_stable, Duration(5s));
}

// ---- accepted spellings ---------------------------------------------------------------------

TEST(ConfigValues, NamesAndNumbersAreTheSameValues) {
  const Config c = load_ok(R"(node: gw1
links:
  - {name: a, interface: eth0, kind: wired, probes: [{type: icmp, target: 198.19.0.1}]}
classes:
  - name: x
    precedence: routine
    match:
      dscp: [cs0, be, 0, af11, 10, va, le, cs7, 63]
      protocols: [udp, 17, tcp, gre, esp, ah, icmpv6, sctp, udplite, 0, 255]
    links: [a]
    when_none: main
  - name: y
    precedence: flash-override
    match: {protocols: [icmp]}
    links: [a]
    when_none: blackhole
)");
  ASSERT_EQ(c.classes.size(), 2u);
  EXPECT_EQ(c.classes[0].match.dscp, (std::vector<std::uint8_t>{0, 10, 44, 1, 56, 63}));
  EXPECT_EQ(c.classes[0].match.protocols,
            (std::vector<std::uint8_t>{17, 6, 47, 50, 51, 58, 132, 136, 0, 255}));
  EXPECT_EQ(c.classes[1].precedence, Precedence::flash_override);
  EXPECT_EQ(c.classes[1].match.protocols, std::vector<std::uint8_t>{1});
}

TEST(ConfigValues, UnitsPortsAndAddresses) {
  const Config c = load_ok(R"(node: gw1.base-alpha_2
links:
  - name: a
    interface: eth0
    gateway6: 2001:db8::1
    kind: wired
    capacity: 1.5Gbit
    sla: {rtt: 250us, jitter: 1.5ms, loss: 0.5%, window: 2m}
    detect: {interval: 1ms, multiplier: 255, rise: 1, min_stable: 0s}
    probes:
      - {type: udp-echo, target: '[2001:db8::10]:7070', key_file: /etc/lifeline/a.key}
      - {type: icmp, target: 2001:db8::1}
    quorum: 2
  - name: b
    interface: eth1
    kind: wired
    capacity: 64KBIT
    probes: [{type: icmp, target: 198.19.0.1}]
classes:
  - name: x
    precedence: immediate
    match:
      sources: [2001:db8:10::/48, 198.18.10.7]
      destinations: [0.0.0.0/0]
      ports: [1-65535, 443, 8000-8000]
    links: [a, b]
    require: {rtt: 100us, loss: 100%}
    rate: 64kbit
    when_none: main
    failback: 0s
    preempt: false
)");
  ASSERT_EQ(c.links.size(), 2u);
  const LinkConfig& a = c.links[0];
  EXPECT_EQ(a.gateway6, ip("2001:db8::1"));
  EXPECT_EQ(a.capacity, BitRate(1'500'000'000));
  EXPECT_EQ(a.sla.rtt, Duration(250us));
  EXPECT_EQ(a.sla.jitter, Duration(1500us));
  EXPECT_DOUBLE_EQ(*a.sla.loss, 0.005);
  EXPECT_EQ(a.sla.window, Duration(120s));
  EXPECT_EQ(a.detect.interval, Duration(1ms));
  EXPECT_EQ(a.detect.multiplier, 255u);
  EXPECT_EQ(a.detect.rise, 1u);
  EXPECT_EQ(a.detect.min_stable, Duration(0s));
  EXPECT_EQ(a.probes.at(0).target, ip("2001:db8::10"));
  EXPECT_EQ(a.probes.at(0).port, 7070);
  EXPECT_EQ(a.quorum, 2u);
  EXPECT_EQ(c.links[1].capacity, BitRate(64'000));  // units are case-insensitive
  const ClassConfig& x = c.classes.at(0);
  EXPECT_EQ(x.match.sources,
            (std::vector<Prefix>{prefix("2001:db8:10::/48"), prefix("198.18.10.7/32")}));
  EXPECT_EQ(x.match.destinations, std::vector<Prefix>{prefix("0.0.0.0/0")});
  EXPECT_EQ(x.match.ports, (std::vector<PortRange>{{1, 65535}, {443, 443}, {8000, 8000}}));
  EXPECT_EQ(x.require.rtt, Duration(100us));
  EXPECT_DOUBLE_EQ(*x.require.loss, 1.0);
  EXPECT_EQ(x.rate, BitRate(64'000));  // fits b exactly: a rate equal to a capacity fits
  EXPECT_EQ(x.failback, Duration(0s));
  EXPECT_FALSE(x.preempt);
}

TEST(ConfigValues, ALinkMayRideOverALinkThatRidesOverAnother) {
  const Config c = load_ok(R"(node: gw1
links:
  - name: top
    interface: wg1
    kind: cloud
    carried_over: mid
    probes: &p [{type: icmp, target: 198.19.0.1}]
  - {name: mid, interface: wg0, kind: cloud, carried_over: base, probes: *p}
  - {name: base, interface: wwan0, kind: cellular, probes: *p}
classes:
  - {name: x, precedence: routine, match: {dscp: [be]}, links: [top, base], when_none: main}
)");
  ASSERT_EQ(c.links.size(), 3u);
  EXPECT_EQ(c.links[0].carried_over, "mid");
  EXPECT_EQ(c.links[1].carried_over, "base");
}

// ---- bad configs: one mistake each, reported once, where it is -----------------------------

TEST(Config, SchedulingIsOffUnlessAskedFor) {
  const std::string head = R"(node: gw
links:
  - {name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}]}
classes:
  - {name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole}
)";
  auto plain = load_config_text(head, "t.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.config->scheduling, SchedulingConfig{});
  auto rt = load_config_text(head + "scheduling: {policy: rr, priority: 42, lock_memory: true}\n", "t.yaml");
  ASSERT_TRUE(rt.ok()) << rt.errors.front().to_string();
  EXPECT_EQ(rt.config->scheduling.policy, SchedPolicy::rr);
  EXPECT_EQ(rt.config->scheduling.priority, 42);
  EXPECT_TRUE(rt.config->scheduling.lock_memory);
  auto locked = load_config_text(head + "scheduling: {lock_memory: true}\n", "t.yaml");
  ASSERT_TRUE(locked.ok());
  EXPECT_EQ(locked.config->scheduling.policy, SchedPolicy::other);
}

struct BadConfig {
  const char* file;  // under tests/fixtures/bad-configs/
  int line;
  int column;
  const char* message;  // a part of the message
};

void PrintTo(const BadConfig& bad, std::ostream* out) {
  *out << bad.file;
}

// Positions are 1-based; line 1 of each fixture is a comment saying what is wrong.
constexpr BadConfig kBadConfigs[] = {
    {"01-yaml-syntax-error.yaml", 26, 10, "YAML syntax error: end of sequence flow not found"},
    {"02-empty-file.yaml", 1, 1, "the file is empty"},
    {"03-top-level-list.yaml", 2, 1, "must be a map of keys, but is a list"},
    {"04-unknown-top-level-key.yaml", 21, 1, "unknown key 'clases'; did you mean 'classes'?"},
    {"05-unknown-link-key.yaml", 5, 5,
     "links[0]: unknown key 'inteface'; did you mean 'interface'?"},
    {"06-unknown-detect-key.yaml", 11, 7,
     "links[0].detect: unknown key 'multipler'; did you mean 'multiplier'?"},
    {"07-unknown-sla-key.yaml", 11, 7, "links[0].sla: unknown key 'los'; did you mean 'loss'?"},
    {"08-unknown-probe-key.yaml", 11, 9,
     "links[0].probes[0]: unknown key 'targt'; did you mean 'target'?"},
    {"09-unknown-class-key.yaml", 27, 5,
     "classes[0]: unknown key 'when-none'; did you mean 'when_none'?"},
    {"10-unknown-match-key.yaml", 26, 7,
     "classes[0].match: unknown key 'source'; did you mean 'sources'?"},
    {"11-unknown-require-key.yaml", 29, 7,
     "classes[0].require: unknown key 'jiter'; did you mean 'jitter'?"},
    {"12-unknown-dampening-key.yaml", 30, 3,
     "dampening: unknown key 'supress'; did you mean 'suppress'?"},
    {"13-duplicate-key.yaml", 9, 5, "links[0].capacity: is given twice"},
    {"14-missing-node.yaml", 2, 1, "node: is required"},
    {"15-missing-links.yaml", 2, 1, "links: is required"},
    {"16-missing-classes.yaml", 2, 1, "classes: is required"},
    {"17-empty-links.yaml", 3, 8, "links: needs at least one link"},
    {"18-link-name-uppercase.yaml", 4, 11,
     "'Primary' is not a valid link name; use 1-15 characters from a-z, 0-9 and '-'"},
    {"19-link-name-too-long.yaml", 12, 11, "'backup-leo-sat-16' is not a valid link name"},
    {"20-link-name-leading-dash.yaml", 12, 11, "'-backup' is not a valid link name"},
    {"21-interface-with-slash.yaml", 13, 16,
     "'sat0/1' is not a valid interface name; use 1-15 characters without '/'"},
    {"22-interface-too-long.yaml", 13, 16, "'satellite-modem0' is not a valid interface name"},
    {"23-gateway-not-ipv4.yaml", 14, 14, "links[1].gateway: '2001:db8::2' is not an IPv4 address"},
    {"24-gateway6-not-ipv6.yaml", 15, 15, "links[1].gateway6: '198.18.2.3' is not an IPv6 address"},
    {"25-gateway-with-prefix-length.yaml", 14, 14, "write it without a prefix length"},
    {"26-bad-kind.yaml", 15, 11,
     "'satelite' is not allowed; use cellular, satellite, cloud or wired (did you mean "
     "'satellite'?)"},
    {"27-empty-kind.yaml", 15, 5,
     "links[1].kind: is empty; use cellular, satellite, cloud or wired"},
    {"28-capacity-in-bytes.yaml", 8, 15, "'200MB' is ambiguous (bytes or bits?)"},
    {"29-capacity-zero.yaml", 16, 15, "links[1].capacity: must be more than 0bit"},
    {"30-detect-interval-no-unit.yaml", 10, 17, "links[0].detect.interval: '5' has no unit"},
    {"31-detect-interval-too-short.yaml", 10, 17, "500us is out of range; use 1ms to 1m"},
    {"32-detect-multiplier-1.yaml", 10, 19,
     "multiplier: 1 is out of range; use a whole number from 2 to 255"},
    {"33-detect-multiplier-256.yaml", 10, 19,
     "multiplier: 256 is out of range; use a whole number from 2 to 255"},
    {"34-detect-rise-0.yaml", 10, 13,
     "rise: 0 is out of range; use a whole number from 1 to 100000"},
    {"35-sla-loss-zero.yaml", 10, 13, "sla.loss: must be above 0%"},
    {"36-sla-loss-150.yaml", 10, 13, "'150%' is above 100%"},
    {"37-sla-loss-without-percent.yaml", 10, 13, "'0.05' is not a percentage"},
    {"38-probes-empty.yaml", 9, 13, "links[0].probes: needs at least one probe"},
    {"39-probe-bad-type.yaml", 10, 15, "'ping' is not allowed; use udp-echo or icmp"},
    {"40-udp-echo-without-port.yaml", 19, 17, "'198.19.0.11' has no port"},
    {"41-udp-echo-port-0.yaml", 19, 17, "has port '0'; use a port from 1 to 65535"},
    {"42-udp-echo-port-70000.yaml", 19, 17, "has port '70000'; use a port from 1 to 65535"},
    {"43-udp-echo-hostname.yaml", 19, 17, "'reflector.hq.example' is not an IP address"},
    {"44-udp-echo-ipv6-without-brackets.yaml", 19, 17, "write an IPv6 address in brackets"},
    {"45-udp-echo-ipv4-in-brackets.yaml", 19, 17, "brackets are for IPv6 addresses only"},
    {"46-icmp-with-key-file.yaml", 12, 19, "remove key_file from an icmp probe"},
    {"47-udp-echo-without-key-file.yaml", 18, 9, "links[1].probes[0].key_file: is required"},
    {"48-relative-key-file.yaml", 20, 19, "'keys/backup.key' must be an absolute path"},
    {"49-quorum-0.yaml", 21, 13,
     "quorum: 0 is out of range; use a whole number from 1 to 1 (the number of probes"},
    {"50-quorum-above-probes.yaml", 23, 13,
     "quorum: 3 is out of range; use a whole number from 1 to 2 (the number of probes"},
    {"51-duplicate-link-name.yaml", 12, 5, "link name 'primary' is already used at line 4"},
    {"52-duplicate-class-name.yaml", 28, 5, "class name 'c2' is already used at line 22"},
    {"53-same-interface-and-gateway.yaml", 12, 5,
     "link 'backup' has the same interface and gateways as link 'primary'"},
    {"54-carried-over-unknown-link.yaml", 17, 19,
     "no link is called 'primery'; did you mean 'primary'?"},
    {"55-carried-over-empty-name.yaml", 17, 19, "carried_over: is an empty name"},
    {"56-carried-over-itself.yaml", 17, 19, "link 'backup' cannot ride over itself"},
    {"57-carried-over-2-cycle.yaml", 9, 19,
     "carried_over forms a cycle: primary -> backup -> primary"},
    {"58-carried-over-3-cycle.yaml", 9, 19,
     "carried_over forms a cycle: primary -> backup -> cloud -> primary"},
    {"59-class-unknown-link.yaml", 26, 22,
     "classes[0].links[1]: no link is called 'bakup'; did you mean 'backup'?"},
    {"60-class-empty-links.yaml", 26, 12, "classes[0].links: needs at least one link"},
    {"61-class-link-listed-twice.yaml", 26, 30,
     "classes[0].links[2]: link 'primary' is listed twice"},
    {"62-missing-when-none.yaml", 22, 5, "classes[0].when_none: is required"},
    {"63-bad-when-none.yaml", 27, 16, "'drop' is not allowed; use blackhole or main"},
    {"64-bad-precedence.yaml", 23, 17,
     "use flash-override, flash, immediate, priority or routine (did you mean 'flash-override'?)"},
    {"65-match-without-keys.yaml", 25, 7,
     "needs at least one non-empty key: dscp, sources, destinations, protocols or ports"},
    {"66-dscp-64.yaml", 25, 18, "dscp[1]: 64 is out of range; use a whole number from 0 to 63"},
    {"67-dscp-unknown-name.yaml", 25, 14, "'expedited' is not a DSCP; use 0-63 or one of cs0"},
    {"68-prefix-host-bits.yaml", 26, 17,
     "'198.18.10.1/26' has host bits set; did you mean 198.18.10.0/26?"},
    {"69-prefix-length-33.yaml", 26, 22, "'198.18.20.0/33' has a prefix length out of range"},
    {"70-port-range-reversed.yaml", 27, 21, "'20000-10000' is an empty range"},
    {"71-port-0.yaml", 26, 15, "'0' is not a port; use 1-65535"},
    {"72-ports-with-icmp.yaml", 27, 14, "protocols also lists icmp"},
    {"73-rate-above-every-capacity.yaml", 27, 11,
     "200Mbit is more than the capacity of every link the class may use"},
    {"74-failback-negative.yaml", 28, 15, "'-5s' is negative"},
    {"75-failback-no-unit.yaml", 28, 15, "'30' has no unit"},
    {"76-preempt-yes.yaml", 28, 14, "'yes' is not allowed; use true or false"},
    {"77-dampening-reuse-above-suppress.yaml", 30, 10,
     "reuse (2500) must be below suppress (2000)"},
    {"78-dampening-max-suppress-too-short.yaml", 30, 17, "make max_suppress at least 85s"},
    {"79-links-is-a-map.yaml", 4, 3, "links: must be a list, but is a map"},
    {"80-link-is-a-scalar.yaml", 4, 5, "links[0]: must be a map of keys, but is a single value"},
    {"81-node-name-invalid.yaml", 2, 7, "'gw1/alpha' is not a valid node name"},
    {"82-risk-group-invalid.yaml", 9, 19, "'tower_7' is not a valid group name"},
    {"83-sla-window-too-long.yaml", 11, 15, "window: 1h is out of range; use 1s to 10m"},
    {"84-detect-not-a-map.yaml", 9, 13,
     "links[0].detect: must be a map of keys, but is a single value"},
    {"85-icmp-target-hostname.yaml", 11, 17,
     "'hq.example' is not an IP address; an icmp target is an IPv4 or IPv6 address"},
    {"86-protocol-unknown.yaml", 26, 19, "'tpc' is not a protocol; did you mean 'tcp'?"},
    {"87-rate-without-unit.yaml", 27, 11, "'2M' has an unknown unit 'M'"},
    {"88-require-rtt-too-small.yaml", 28, 12, "require.rtt: 50us is out of range; use 100us to 1m"},
    {"89-two-documents.yaml", 29, 1, "a second YAML document starts here"},
    {"90-undefined-alias.yaml", 26, 12, "the referenced anchor is not defined"},
    {"91-min-stable-too-long.yaml", 10, 19, "min_stable: 2h is out of range; use 0s to 1h"},
    {"92-too-many-probes.yaml", 7, 7, "has 17 probes; at most 16 per link"},
    {"93-radio-feed-not-endpoint.yaml", 8, 13, "radio.feed: '/run/lifeline/modem0.sock' is not a ZeroMQ endpoint"},
    {"94-radio-min-rat.yaml", 10, 16, "radio.min_rat: '5g' is not allowed; use gsm, umts, lte or nr"},
    {"95-radio-plmn.yaml", 10, 15, "radio.plmns[0]: '240-01' is not a PLMN; use MCC + MNC"},
    {"96-radio-tac-range.yaml", 10, 21, "radio.cells[0].tac: 16777216 is out of range"},
    {"97-radio-unknown-rule.yaml", 10, 15, "radio.rules: unknown key 'rat_downgrade'"},
    {"98-radio-no-feed.yaml", 8, 7, "radio.feed: is required"},
    {"99-incidents-tcp-without-curve.yaml", 10, 3, "incidents.server_key: is required for a tcp:// channel"},
    {"100-incidents-no-reporters.yaml", 10, 3, "incidents.allowed_reporters: is required with subscribe"},
    {"101-incidents-bad-reporter-key.yaml", 13, 33, "allowed_reporters[0].public_key: is not an Ed25519 public key"},
    {"102-incidents-publish-unsigned.yaml", 10, 3, "incidents.signing_key_file: is required with publish"},
    {"103-scheduling-fifo-without-priority.yaml", 10, 3, "scheduling.priority: is required with policy fifo or rr"},
    {"104-scheduling-priority-without-policy.yaml", 10, 13, "scheduling.priority: needs policy fifo or rr"},
    {"105-scheduling-priority-100.yaml", 11, 13, "scheduling.priority"},
    {"106-scheduling-bad-policy.yaml", 10, 11, "scheduling.policy: 'deadline' is not allowed; use"},
};

class BadConfigTest : public testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsRefusedWithOneErrorAtTheMistake) {
  const BadConfig& bad = GetParam();
  const std::string path = source_path(kBadConfigDir + "/" + bad.file);
  LoadResult result;
  ASSERT_NO_THROW(result = load_config_file(path));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << "one mistake, so one error; got:" << all(result);
  const Diagnostic& d = result.errors[0];
  EXPECT_EQ(d.file, path);
  EXPECT_EQ(d.line, bad.line) << d.to_string();
  EXPECT_EQ(d.column, bad.column) << d.to_string();
  EXPECT_NE(d.message.find(bad.message), std::string::npos)
      << d.to_string() << "\n  should contain: " << bad.message;
}

std::string fixture_test_name(const testing::TestParamInfo<BadConfig>& info) {
  std::string name = std::filesystem::path(info.param.file).stem().string();
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadConfigTest, testing::ValuesIn(kBadConfigs),
                         fixture_test_name);

TEST(BadConfigs, EveryFixtureHasAnExpectation) {
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(source_path(kBadConfigDir))) {
    if (entry.path().extension() == ".yaml") on_disk.insert(entry.path().filename().string());
  }
  std::set<std::string> in_table;
  for (const auto& bad : kBadConfigs) {
    EXPECT_TRUE(in_table.insert(bad.file).second) << bad.file << " is in the table twice";
  }
  EXPECT_EQ(on_disk, in_table);
  EXPECT_GE(in_table.size(), 45u);
}

// ---- diagnostics ---------------------------------------------------------------------------

TEST(Diagnostics, EveryIndependentMistakeIsReported) {
  const auto result = load_config_text(R"(node: gw1
links:
  - name: a
    interface: eth0
    kind: wird
    probes: [{type: icmp, target: 198.19.0.1}]
  - name: b
    interface: eth1
    kind: wired
    capacity: 10MB
    probes: [{type: icmp, target: 198.19.0.1}]
classes:
  - name: x
    precedence: routine
    match: {dscp: [ef, 99]}
    links: [a, b]
    when_none: main
    failback: 30
dampening:
  half_life: 0s
)",
                                       "several.yaml");
  ASSERT_FALSE(result.ok());
  struct Expected {
    int line;
    const char* text;
  };
  const Expected expected[] = {{5, "links[0].kind: 'wird'"},
                               {10, "links[1].capacity: '10MB'"},
                               {20, "dampening.half_life: 0s is out of range"},
                               {15, "classes[0].match.dscp[1]: 99 is out of range"},
                               {18, "classes[0].failback: '30' has no unit"}};
  ASSERT_EQ(result.errors.size(), std::size(expected)) << all(result);
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(result.errors[i].line, expected[i].line) << result.errors[i].to_string();
    EXPECT_NE(result.errors[i].message.find(expected[i].text), std::string::npos)
        << result.errors[i].to_string();
  }
}

TEST(Diagnostics, PositionsAreOneBased) {
  // The very first character of the file is line 1, column 1.
  const auto result = load_config_text("nodes: gw1\nlinks: []\nclasses: []\n", "one.yaml");
  ASSERT_FALSE(result.errors.empty());
  EXPECT_EQ(result.errors[0].line, 1);
  EXPECT_EQ(result.errors[0].column, 1);
  EXPECT_EQ(result.errors[0].to_string(),
            "one.yaml:1:1: unknown key 'nodes'; did you mean 'node'?");
}

TEST(Diagnostics, ToStringIsFileLineColumnMessage) {
  EXPECT_EQ((Diagnostic{"lifeline.yaml", 12, 7, "links[0].kind: 'x' is not allowed"}.to_string()),
            "lifeline.yaml:12:7: links[0].kind: 'x' is not allowed");
  // No position (the file could not be read): no numbers either.
  EXPECT_EQ((Diagnostic{"lifeline.yaml", 0, 0, "cannot read the file"}.to_string()),
            "lifeline.yaml: cannot read the file");
}

TEST(Diagnostics, TooManyErrorsAreCut) {
  std::string yaml = "node: gw1\nlinks:\n";
  for (int i = 0; i < 300; ++i) yaml += "  - " + std::to_string(i) + "\n";
  const auto result = load_config_text(yaml, "many.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.size(), 101u);  // 100, and the note that there were more
  EXPECT_EQ(result.errors.back().message, "too many errors; stopping here");
}

TEST(LoadConfigFile, AMissingFileCannotBeRead) {
  const std::string path = source_path("tests/fixtures/no-such-file.yaml");
  const auto result = load_config_file(path);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, path);
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_EQ(result.errors[0].column, 0);
  EXPECT_NE(result.errors[0].message.find("cannot read the file"), std::string::npos);
  EXPECT_NE(result.errors[0].message.find("No such file"), std::string::npos);
}

TEST(LoadConfigFile, ADirectoryCannotBeRead) {
  const auto result = load_config_file(source_path(kBadConfigDir));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_NE(result.errors[0].message.find("cannot read the file: it is a directory"),
            std::string::npos)
      << result.errors[0].to_string();
}

TEST(LoadConfigFile, AnEndlessFileIsRefusedWithoutReadingItAll) {
  const auto result = load_config_file("/dev/zero");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].message.find("larger than 1024 KiB"), std::string::npos);
}

// ---- hostile input: refused, never a throw, a crash or a hang ------------------------------
// A hang shows as the test's ctest TIMEOUT (CONVENTIONS.md: no wall-clock limits in unit
// tests); each of these takes milliseconds.

LoadResult load_hostile(const std::string& text) {
  LoadResult result;
  EXPECT_NO_THROW(result = load_config_text(text, "hostile.yaml"));
  // A config or errors: never both, never neither.
  EXPECT_NE(result.ok(), !result.errors.empty());
  for (const auto& e : result.errors) EXPECT_FALSE(e.message.empty());
  return result;
}

void expect_refused(const std::string& text, const std::string& because) {
  const auto result = load_hostile(text);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.errors[0].message.find(because), std::string::npos) << all(result);
}

TEST(HostileInput, DeeplyNestedFlowLists) {
  expect_refused(std::string(10000, '[') + std::string(10000, ']'), "nested too deeply");
}

TEST(HostileInput, DeeplyNestedFlowMaps) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "{a: ";
  text += "1" + std::string(10000, '}');
  expect_refused(text, "nested too deeply");
}

TEST(HostileInput, DeeplyNestedBlockLists) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "- ";
  expect_refused(text + "x\n", "nested too deeply");
}

TEST(HostileInput, ATwoMebibyteFile) {
  expect_refused(std::string(kMinimal) + "# " + std::string(2 << 20, 'x') + "\n",
                 "larger than 1024 KiB");
}

TEST(HostileInput, BinaryGarbage) {
  std::mt19937 random(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20; ++round) {
    std::string text(4096 * (round + 1), '\0');
    for (auto& c : text) c = static_cast<char>(byte(random));
    SCOPED_TRACE(round);
    EXPECT_FALSE(load_hostile(text).ok());
  }
}

TEST(HostileInput, AnAliasToAnAnchorThatDoesNotExist) {
  expect_refused("node: *nowhere\n", "the referenced anchor is not defined");
}

TEST(HostileInput, AStrayCommaAtTheTopLevel) {
  // yaml-cpp 0.7's LoadAll loops forever on this (found by the fuzzer); the reader must not.
  EXPECT_FALSE(load_hostile("#\n, links: []\n").ok());
}

TEST(HostileInput, ABillionLaughs) {
  // Ten levels of ten aliases each: 10^10 links if the aliases were copied. yaml-cpp shares
  // aliased nodes, and the loader never walks a tree it does not expect.
  std::string text =
      "node: gw1\nlinks: &l0 [{name: a, interface: eth0, kind: wired, "
      "probes: [{type: icmp, target: 198.19.0.1}]}]\n";
  text += "classes:\n";
  for (int level = 1; level <= 10; ++level) {
    text += "  - &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", *l" : "*l") + std::to_string(level - 1);
    text += "]\n";
  }
  const auto result = load_hostile(text);
  EXPECT_FALSE(result.ok());
}

TEST(HostileInput, TheExampleCutAnywhere) {
  // Every prefix of a valid file is either valid or refused with positions inside the file.
  const auto full = load_config_file(source_path(kExample));
  ASSERT_TRUE(full.ok());
  std::string text;
  {
    std::ifstream in(source_path(kExample));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  for (std::size_t cut = 0; cut < text.size(); cut += 7) {
    SCOPED_TRACE(cut);
    const auto result = load_hostile(text.substr(0, cut));
    for (const auto& e : result.errors) {
      EXPECT_GE(e.line, 1) << e.to_string();
      EXPECT_LE(e.line, lines + 1) << e.to_string();
      EXPECT_GE(e.column, 1) << e.to_string();
    }
  }
}

// carried_over chains used to be checked in cubic time: a 10000-link chain (0.8 MB) took
// minutes. It is linear now.
std::string chain_of_links(int count, bool closed) {
  std::string text = "node: gw1\nlinks:\n";
  for (int i = 0; i < count; ++i) {
    const std::string name = "l" + std::to_string(i);
    text += "  - {name: " + name + ", interface: " + name + ", kind: wired";
    if (i > 0 || closed) text += ", carried_over: l" + std::to_string(i > 0 ? i - 1 : count - 1);
    text += i == 0 ? ", probes: &p [{type: icmp, target: 198.19.0.1}]}\n" : ", probes: *p}\n";
  }
  return text +
         "classes:\n  - {name: x, precedence: routine, match: {dscp: [be]}, links: [l0], "
         "when_none: main}\n";
}

TEST(HostileInput, AVeryLongCarriedOverChain) {
  const auto text = chain_of_links(10000, false);
  ASSERT_LT(text.size(), std::size_t{1} << 20);
  const auto result = load_hostile(text);
  ASSERT_TRUE(result.ok()) << all(result);
  EXPECT_EQ(result.config->links.back().carried_over, "l9998");
}

TEST(HostileInput, AVeryLongCarriedOverCycleIsReportedOnce) {
  const auto result = load_hostile(chain_of_links(10000, true));
  ASSERT_EQ(result.errors.size(), 1u) << all(result);
  EXPECT_EQ(result.errors[0].line, 3);
  EXPECT_NE(result.errors[0].message.find(
                "carried_over forms a cycle: l0 -> l9999 -> l9998 -> l9997 -> l9996 -> l9995 -> "
                "l9994 -> l9993 -> ... (10000 links) -> l0"),
            std::string::npos)
      << result.errors[0].to_string();
}

}  // namespace
}  // namespace lifeline::config
