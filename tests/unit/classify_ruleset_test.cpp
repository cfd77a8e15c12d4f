// The nftables classification as text: the shipped example and the configs in
// tests/fixtures/nft/ render exactly the rulesets next to them (an operator reads the same
// text in docs/classification.md and `nft list table inet lifeline`), and the rules say
// what docs/configuration.md promises: precedence order, first match wins, one rule per
// address family, ports only on protocols that have them. tests/integration/
// classify_test.cpp feeds the same text to the real nft and the real kernel.
//
// After an intended change of the output: LIFELINE_UPDATE_GOLDEN=1 lifeline_unit_tests
// --gtest_filter='ClassifyRuleset.*' rewrites the .nft files; review the diff.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "controller/classifier.hpp"
#include "controller/classify/conntrack.hpp"
#include "controller/classify/nft_classifier.hpp"
#include "controller/routing.hpp"

namespace lifeline::classify {
namespace {

std::string source_path(const std::string& relative) {
  return std::string(LIFELINE_SOURCE_DIR) + "/" + relative;
}

config::Config load_file(const std::string& relative) {
  const auto loaded = config::load_config_file(source_path(relative));
  std::string errors;
  for (const auto& e : loaded.errors) errors += "\n  " + e.to_string();
  EXPECT_TRUE(loaded.ok()) << relative << " does not load:" << errors;
  return loaded.ok() ? *loaded.config : config::Config{};
}

// A config with one link and the given `classes:` block (YAML, indented by two).
config::Config with_classes(const std::string& classes) {
  const std::string yaml =
      "node: test-gw\n"
      "links:\n"
      "  - name: 5g\n"
      "    interface: wwan0\n"
      "    gateway: 198.18.1.2\n"
      "    kind: cellular\n"
      "    probes:\n"
      "      - { type: icmp, target: 198.19.0.1 }\n"
      "classes:\n" +
      classes;
  const auto loaded = config::load_config_text(yaml, "test.yaml");
  std::string errors;
  for (const auto& e : loaded.errors) errors += "\n  " + e.to_string();
  EXPECT_TRUE(loaded.ok()) << errors << "\n" << yaml;
  return loaded.ok() ? *loaded.config : config::Config{};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The rules of class `name`, in order.
std::vector<std::string> rules_of(const std::string& ruleset, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(ruleset)) {
    if (line.find("comment \"class " + name + "\"") != std::string::npos) out.push_back(line);
  }
  return out;
}

// Class names in the order their rules appear.
std::vector<std::string> class_order(const std::string& ruleset) {
  std::vector<std::string> out;
  const std::string key = "comment \"class ";
  for (const auto& line : lines_of(ruleset)) {
    const auto at = line.find(key);
    if (at == std::string::npos) continue;
    const auto begin = at + key.size();
    const auto name = line.substr(begin, line.find('"', begin) - begin);
    if (out.empty() || out.back() != name) out.push_back(name);
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Golden {
  const char* config;
  const char* expected;
};

constexpr Golden kGolden[] = {
    {"config/examples/base-gateway.yaml", "tests/fixtures/nft/base-gateway.nft"},
    {"tests/fixtures/nft/families.yaml", "tests/fixtures/nft/families.nft"},
    {"tests/fixtures/nft/ports.yaml", "tests/fixtures/nft/ports.nft"},
    {"tests/fixtures/nft/precedence.yaml", "tests/fixtures/nft/precedence.nft"},
};

TEST(ClassifyRuleset, RendersTheGoldenFiles) {
  const bool update = std::getenv("LIFELINE_UPDATE_GOLDEN") != nullptr;
  for (const auto& g : kGolden) {
    SCOPED_TRACE(g.config);
    const std::string rendered = render_ruleset(load_file(g.config));
    if (update) std::ofstream(source_path(g.expected)) << rendered;
    EXPECT_EQ(rendered, read_file(source_path(g.expected)))
        << "rendering " << g.config << " differs from " << g.expected;
  }
}

TEST(ClassifyRuleset, TheOperatorGuideShowsTheExampleAsRendered) {
  const auto guide = read_file(source_path("docs/classification.md"));
  const auto rendered = render_ruleset(load_file("config/examples/base-gateway.yaml"));
  EXPECT_NE(guide.find("```\n" + rendered + "```\n"), std::string::npos)
      << "docs/classification.md no longer shows what base-gateway.yaml renders; paste:\n"
      << rendered;
}

TEST(ClassifyRuleset, ReplacesOnlyItsOwnTableInOneBuffer) {
  const auto text = render_ruleset(load_file("config/examples/base-gateway.yaml"));
  const auto lines = lines_of(text);
  ASSERT_GE(lines.size(), 3U);
  // Create (so the delete cannot fail), delete, define: one transaction swaps the table.
  EXPECT_EQ(lines[0], "table inet lifeline {}");
  EXPECT_EQ(lines[1], "delete table inet lifeline");
  EXPECT_EQ(lines[2], "table inet lifeline {");
  std::size_t tables = 0;
  for (const auto& line : lines) {
    if (line.rfind("table ", 0) == 0 || line.rfind("delete ", 0) == 0 ||
        line.rfind("flush ", 0) == 0 || line.rfind("add ", 0) == 0) {
      EXPECT_TRUE(contains(line, " inet lifeline")) << "touches another table: " << line;
      ++tables;
    }
  }
  EXPECT_EQ(tables, 3U);
  // One base chain, at prerouting: forwarded traffic, never the router's own (output).
  EXPECT_TRUE(contains(text, "type filter hook prerouting priority mangle; policy accept;"));
  EXPECT_FALSE(contains(text, "hook output"));
  EXPECT_FALSE(contains(text, "hook postrouting"));
}

TEST(ClassifyRuleset, RestoresTheMarkOnlyInTheOriginalDirection) {
  const auto text = render_ruleset(load_file("config/examples/base-gateway.yaml"));
  const auto lines = lines_of(text);
  std::vector<std::string> restoring;
  for (const auto& line : lines) {
    if (contains(line, "meta mark set ct mark")) restoring.push_back(line);
  }
  ASSERT_EQ(restoring.size(), 1U);
  EXPECT_TRUE(contains(restoring[0], "ct direction original ct mark & 0xffff0000 == 0x4c460000"))
      << restoring[0];
  // Classification happens only for the first packet of a connection, after the restore.
  const auto restore_at = text.find("meta mark set ct mark");
  const auto new_only_at = text.find("ct state != new return");
  const auto first_class_at = text.find("comment \"class ");
  EXPECT_LT(restore_at, new_only_at);
  EXPECT_LT(new_only_at, first_class_at);
}

TEST(ClassifyRuleset, SkipsTrafficFromUplinksAndToTheRouter) {
  const auto text = render_ruleset(load_file("config/examples/base-gateway.yaml"));
  const auto first_class_at = text.find("comment \"class ");
  const auto uplinks_at = text.find("iifname { \"wwan0\", \"sat0\", \"sat1\", \"wg0\" } return");
  const auto local_at = text.find("fib daddr type { local, broadcast, multicast } return");
  ASSERT_NE(uplinks_at, std::string::npos) << text;
  ASSERT_NE(local_at, std::string::npos) << text;
  EXPECT_LT(uplinks_at, first_class_at);
  EXPECT_LT(local_at, first_class_at);
}

TEST(ClassifyRuleset, OrdersClassesByPrecedenceThenFileOrder) {
  const auto config = load_file("tests/fixtures/nft/precedence.yaml");
  const auto text = render_ruleset(config);
  EXPECT_EQ(class_order(text),
            (std::vector<std::string>{"override", "c2", "isr", "voice", "video", "bulk"}));
  // The mark is the class's slot in the file, not its rank.
  for (std::size_t slot = 0; slot < config.classes.size(); ++slot) {
    char mark[16];
    std::snprintf(mark, sizeof mark, "0x%08x", routing::class_mark(slot));
    for (const auto& rule : rules_of(text, config.classes[slot].name)) {
      EXPECT_TRUE(contains(rule, std::string("meta mark set ") + mark)) << rule;
    }
  }
}

TEST(ClassifyRuleset, FirstMatchWinsEachRuleEndsInAccept) {
  const auto text = render_ruleset(load_file("config/examples/base-gateway.yaml"));
  for (const auto& line : lines_of(text)) {
    if (!contains(line, "comment \"class ")) continue;
    EXPECT_TRUE(contains(line, "ct mark set meta mark accept comment")) << line;
  }
}

TEST(ClassifyRuleset, DscpOnlyClassIsOneRulePerFamily) {
  const auto text = render_ruleset(with_classes(
      "  - { name: voice, precedence: priority, match: { dscp: [ef, af31] }, links: [5g],\n"
      "      when_none: main }\n"));
  const auto rules = rules_of(text, "voice");
  ASSERT_EQ(rules.size(), 2U) << text;
  EXPECT_EQ(rules[0],
            "\t\tip dscp { ef, af31 } counter meta mark set 0x4c460001 ct mark set meta mark "
            "accept comment \"class voice\"");
  EXPECT_EQ(rules[1],
            "\t\tip6 dscp { ef, af31 } counter meta mark set 0x4c460001 ct mark set meta mark "
            "accept comment \"class voice\"");
}

TEST(ClassifyRuleset, SplitsPrefixesByFamily) {
  const auto text = render_ruleset(load_file("tests/fixtures/nft/families.yaml"));
  const auto dual = rules_of(text, "dual");
  ASSERT_EQ(dual.size(), 2U);
  EXPECT_TRUE(contains(dual[0], "ip dscp ef ip saddr 198.18.10.0/24 ")) << dual[0];
  EXPECT_TRUE(contains(dual[1], "ip6 dscp ef ip6 saddr 2001:db8:10::/48 ")) << dual[1];
  // IPv6 prefixes only: no IPv4 rule, so IPv4 packets can never match it.
  const auto v6 = rules_of(text, "v6-only");
  ASSERT_EQ(v6.size(), 1U);
  EXPECT_TRUE(contains(v6[0], "ip6 daddr { 2001:db8:20::/48, 2001:db8:21::/48 } ")) << v6[0];
  // Sources of both families but IPv4 destinations: only the IPv4 pair can match.
  const auto v4 = rules_of(text, "v4-to-v4");
  ASSERT_EQ(v4.size(), 1U);
  EXPECT_TRUE(contains(v4[0], "ip saddr 198.18.12.0/24 ip daddr 198.18.200.0/24 ")) << v4[0];
  // IPv4 sources with IPv6 destinations: no packet has both.
  EXPECT_TRUE(rules_of(text, "disjoint").empty());
  // A prefix inside another of the same key is dropped (an nft set refuses overlaps).
  const auto nested = rules_of(text, "nested");
  ASSERT_EQ(nested.size(), 2U);
  EXPECT_TRUE(contains(nested[0], "ip saddr 198.18.0.0/15 counter")) << nested[0];
  EXPECT_TRUE(contains(nested[1], "ip6 saddr 2001:db8::/32 counter")) << nested[1];
}

TEST(ClassifyRuleset, PortsWithoutProtocolsMeanThePortProtocols) {
  const auto text = render_ruleset(load_file("tests/fixtures/nft/ports.yaml"));
  const auto dns = rules_of(text, "dns-ntp");
  ASSERT_EQ(dns.size(), 1U);
  EXPECT_EQ(dns[0],
            "\t\tmeta l4proto { tcp, udp, sctp, udplite } th dport { 53, 123 } counter meta mark "
            "set 0x4c460001 ct mark set meta mark accept comment \"class dns-ntp\"");
  // Overlapping and adjacent ranges merge.
  const auto sip = rules_of(text, "sip");
  ASSERT_EQ(sip.size(), 1U);
  EXPECT_TRUE(contains(sip[0], "meta l4proto udp th dport { 5000-5101, 6000-6020 } ")) << sip[0];
  const auto tunnels = rules_of(text, "tunnels");
  ASSERT_EQ(tunnels.size(), 1U);
  EXPECT_TRUE(contains(tunnels[0], "meta l4proto { 47, esp, ah, 4 } counter")) << tunnels[0];
  EXPECT_FALSE(contains(tunnels[0], "dport"));
}

TEST(ClassifyRuleset, IsDeterministic) {
  const auto config = load_file("config/examples/base-gateway.yaml");
  const auto first = render_ruleset(config);
  const config::Config copy = config;
  EXPECT_EQ(render_ruleset(copy), first);
  EXPECT_EQ(render_ruleset(config), first);
  // Reloading the same file gives the same text (nothing depends on addresses in memory).
  EXPECT_EQ(render_ruleset(load_file("config/examples/base-gateway.yaml")), first);
}

TEST(ClassifyConntrack, FlushRefusesMarksThatAreNotLifelines) {
  // Checked before any socket is opened: mark 0 would be every unclassified flow. One bad
  // mark among good ones refuses the whole request (nothing is deleted).
  const auto classifier = make_nft_classifier();
  for (const std::vector<std::uint32_t>& marks :
       {std::vector<std::uint32_t>{0}, {0x12340001}, {routing::kMarkBase},
        {routing::class_mark(0), 0x12340001}}) {
    const auto r = classifier->flush_flows(marks);
    EXPECT_EQ(r.error, -EINVAL);
    EXPECT_EQ(r.walks, 0U);
  }
  // And the conntrack layer itself refuses a mark outside the range it is given.
  const auto r = conntrack::delete_by_marks({0x12340001}, {routing::kMarkBase, routing::kMarkMask});
  EXPECT_EQ(r.error, -EINVAL);
  EXPECT_EQ(r.walks, 0U);
}

}  // namespace
}  // namespace lifeline::classify
