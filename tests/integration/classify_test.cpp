// The classification against the real nft and the real kernel, each test in a private network
// namespace: every rendered ruleset passes `nft -c`; apply() installs the table and touches no
// other; a failing transaction leaves the previous table as it was; forwarded flows get their
// class's mark in the original direction only (replies, uplink traffic and the router's own
// traffic stay unmarked); flush_flows(marks) deletes those classes' conntrack entries and no
// others, in both families, with one walk of the kernel's table.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "controller/classifier.hpp"
#include "controller/classify/nft_classifier.hpp"
#include "controller/routing.hpp"
#include "tests/integration/classify_helpers.hpp"
#include "tests/integration/netns.hpp"

namespace lifeline::classify {

namespace {

using lifeline::testing::run_command;
using lifeline::testing::TempFile;
using lifeline::testing::Topology;

std::string source_path(const std::string& relative) {
  return std::string(LIFELINE_SOURCE_DIR) + "/" + relative;
}

config::Config load_file(const std::string& path) {
  const auto loaded = config::load_config_file(path);
  std::string errors;
  for (const auto& e : loaded.errors) errors += "\n  " + e.to_string();
  EXPECT_TRUE(loaded.ok()) << path << " does not load:" << errors;
  return loaded.ok() ? *loaded.config : config::Config{};
}

config::Config load_text(const std::string& yaml) {
  const auto loaded = config::load_config_text(yaml, "test.yaml");
  std::string errors;
  for (const auto& e : loaded.errors) errors += "\n  " + e.to_string();
  EXPECT_TRUE(loaded.ok()) << errors;
  return loaded.ok() ? *loaded.config : config::Config{};
}

const std::string kExample = "config/examples/base-gateway.yaml";

std::vector<std::string> fixture_files(const std::string& extension) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("tests/fixtures/nft"))) {
    if (entry.path().extension() == extension) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string list_table(const std::string& table) {
  const auto r = run_command("nft list table " + table);
  return r.status == 0 ? r.output : "";
}

// Rules of `inet lifeline` per comment.
std::map<std::string, int> rules_by_comment() {
  std::map<std::string, int> out;
  for (const auto& rule : testing::json_rules(testing::nft_json("table inet lifeline"))) {
    ++out[rule.value("comment", "")];
  }
  return out;
}

TEST(ClassifyNft, EveryFixtureAndRenderingPassesNftCheck) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  const auto fixtures = fixture_files(".nft");
  ASSERT_GE(fixtures.size(), 4U);
  for (const auto& file : fixtures) {
    const auto r = run_command("nft -c -f " + file);
    EXPECT_EQ(r.status, 0) << file << ":\n" << r.output;
  }
  std::vector<std::string> configs = fixture_files(".yaml");
  configs.push_back(source_path(kExample));
  for (const auto& path : configs) {
    const TempFile rendered(render_ruleset(load_file(path)));
    const auto r = run_command("nft -c -f " + rendered.path());
    EXPECT_EQ(r.status, 0) << path << ":\n" << r.output;
  }
  // A check changes nothing.
  EXPECT_EQ(run_command("nft list ruleset").output, "");
}

TEST(ClassifyNft, ApplyInstallsTheTable) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  const auto classifier = make_nft_classifier();
  ASSERT_EQ(classifier->apply(load_file(source_path(kExample))), "");
  const auto listing = testing::nft_json("table inet lifeline");
  ASSERT_TRUE(listing.is_object()) << run_command("nft list ruleset").output;
  int chains = 0;
  for (const auto& item : listing["nftables"]) {
    if (!item.contains("chain")) continue;
    ++chains;
    const auto& chain = item["chain"];
    EXPECT_EQ(chain.value("name", ""), "prerouting");
    EXPECT_EQ(chain.value("hook", ""), "prerouting");
    EXPECT_EQ(chain.value("prio", 0), -150);
    EXPECT_EQ(chain.value("policy", ""), "accept");
  }
  EXPECT_EQ(chains, 1);
  const std::map<std::string, int> expected = {
      {"restore the class of the flow", 1},
      {"", 1},  // ct state != new return
      {"from an uplink: not LAN traffic", 1},
      {"to this router: not routed", 1},
      {"routed inside the base: not classified", 1},
      {"class c2", 1},
      {"class isr", 1},
      {"class voice", 2},
      {"class logistics", 1},
  };
  EXPECT_EQ(rules_by_comment(), expected);
  // Applying again replaces, it does not add.
  ASSERT_EQ(classifier->apply(load_file(source_path(kExample))), "");
  EXPECT_EQ(rules_by_comment(), expected);
  EXPECT_EQ(testing::json_rules(testing::nft_json("ruleset")).size(), 10U);
}

TEST(ClassifyNft, ForeignTablesAreNeverTouched) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  const TempFile foreign(
      "table inet other {\n"
      "  chain input {\n"
      "    type filter hook input priority 0; policy accept;\n"
      "    counter\n"
      "  }\n"
      "  chain prerouting {\n"
      "    type filter hook prerouting priority mangle; policy accept;\n"
      "    meta mark set 0x7\n"
      "  }\n"
      "}\n"
      "table ip nat {\n"
      "  chain postrouting {\n"
      "    type nat hook postrouting priority srcnat; policy accept;\n"
      "    oifname \"wwan0\" masquerade\n"
      "  }\n"
      "}\n");
  ASSERT_EQ(run_command("nft -f " + foreign.path()).status, 0);
  const auto other = list_table("inet other");
  const auto nat = list_table("ip nat");
  ASSERT_NE(other, "");
  ASSERT_NE(nat, "");

  const auto classifier = make_nft_classifier();
  ASSERT_EQ(classifier->apply(load_file(source_path(kExample))), "");
  EXPECT_EQ(list_table("inet other"), other);
  EXPECT_EQ(list_table("ip nat"), nat);
  EXPECT_EQ(rules_by_comment().count("class c2"), 1U);

  // A changed config replaces our table and still leaves the others alone.
  ASSERT_EQ(classifier->apply(load_file(source_path("tests/fixtures/nft/families.yaml"))), "");
  EXPECT_EQ(list_table("inet other"), other);
  EXPECT_EQ(list_table("ip nat"), nat);
  const auto rules = rules_by_comment();
  EXPECT_EQ(rules.count("class c2"), 0U);
  EXPECT_EQ(rules.at("class dual"), 2);
}

TEST(ClassifyNft, AFailedApplyLeavesThePreviousTable) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  const auto classifier = make_nft_classifier();
  ASSERT_EQ(classifier->apply(load_file(source_path(kExample))), "");
  const auto before = list_table("inet lifeline");
  ASSERT_NE(before, "");
  const auto next = render_ruleset(load_file(source_path("tests/fixtures/nft/families.yaml")));

  // Refused by nft itself: nothing reaches the kernel.
  auto error = run_nft_transaction(next + "add rule inet lifeline prerouting no such thing\n");
  EXPECT_NE(error, "");
  EXPECT_EQ(list_table("inet lifeline"), before);

  // Refused by the kernel at the end of the transaction (a flowtable on a device that does
  // not exist), after the delete and the new table were already in it: all rolled back.
  error = run_nft_transaction(next +
                              "table inet lifeline {\n"
                              "  flowtable ft {\n"
                              "    hook ingress priority 0; devices = { lfnosuchdev0 };\n"
                              "  }\n"
                              "}\n");
  EXPECT_NE(error, "");
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_EQ(list_table("inet lifeline"), before);

  // apply() itself with a config that cannot be written as nft (a Config made in code,
  // past the loader's checks): an error, and the running table stays.
  auto broken = load_file(source_path(kExample));
  broken.classes[0].name = "bad\"name";
  error = classifier->apply(broken);
  EXPECT_NE(error, "");
  EXPECT_EQ(list_table("inet lifeline"), before);
}

// ---- real traffic ---------------------------------------------------------------------

constexpr std::uint16_t kServerPort = 9000;
constexpr std::uint8_t kEf = 46;
constexpr std::uint8_t kAf41 = 34;
constexpr std::uint8_t kBestEffort = 0;

// Slots: c2 = 0, isr = 1, web = 2, lan4 = 3. up0 is an uplink: traffic arriving there is
// never classified.
const char* const kTrafficConfig = R"(node: traffic-gw
links:
  - name: up
    interface: up0
    gateway: 198.18.200.2
    gateway6: 2001:db8:200::2
    kind: wired
    probes:
      - { type: icmp, target: 198.18.200.2 }
classes:
  - name: c2
    precedence: flash
    match: { dscp: [ef] }
    links: [up]
    when_none: blackhole
  - name: isr
    precedence: immediate
    match: { dscp: [af41], sources: [198.18.100.0/24, 2001:db8:100::/64] }
    links: [up]
    when_none: blackhole
  - name: web
    precedence: routine
    match: { ports: [8443] }
    links: [up]
    when_none: main
  - name: lan4
    precedence: routine
    match: { dscp: [af21], sources: [198.18.100.0/24] }
    links: [up]
    when_none: main
)";

const std::uint32_t kC2 = routing::class_mark(0);
const std::uint32_t kIsr = routing::class_mark(1);
const std::uint32_t kWeb = routing::class_mark(2);
const std::uint32_t kLan4 = routing::class_mark(3);
constexpr std::uint8_t kAf21 = 18;

// Counts, in the gateway's forward path (after classification), packets by direction and
// mark: what the routing decision saw.
const char* const kObserver = R"(table inet observe {
  chain forward {
    type filter hook forward priority filter; policy accept;
    ip saddr 198.18.100.2 ip daddr 198.18.200.2 meta mark 0x4c460001 counter comment "v4 original c2"
    ip6 saddr 2001:db8:100::2 ip6 daddr 2001:db8:200::2 meta mark 0x4c460001 counter comment "v6 original c2"
    ip saddr 198.18.200.2 ip daddr 198.18.100.2 meta mark 0 counter comment "v4 reply unmarked"
    ip saddr 198.18.200.2 ip daddr 198.18.100.2 meta mark != 0 counter comment "v4 reply marked"
    ip6 saddr 2001:db8:200::2 ip6 daddr 2001:db8:100::2 meta mark 0 counter comment "v6 reply unmarked"
    ip6 saddr 2001:db8:200::2 ip6 daddr 2001:db8:100::2 meta mark != 0 counter comment "v6 reply marked"
  }
}
)";

std::uint16_t local_port(const testing::Fd& fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  ::getsockname(fd.get(), static_cast<sockaddr*>(static_cast<void*>(&local)), &length);
  if (local.ss_family == AF_INET6) {
    return ntohs(static_cast<const sockaddr_in6*>(static_cast<const void*>(&local))->sin6_port);
  }
  return ntohs(static_cast<const sockaddr_in*>(static_cast<const void*>(&local))->sin_port);
}

class ClassifyTraffic : public ::testing::Test {
 protected:
  // Every test starts with LIFELINE_ENTER_PRIVATE_NETNS() (it may skip), then this.
  void build() {
    const auto error = topology_.build();
    ASSERT_EQ(error, "");
    ASSERT_EQ(classifier_->apply(load_text(kTrafficConfig)), "");
    const TempFile observer(kObserver);
    const auto r = run_command("nft -f " + observer.path());
    ASSERT_EQ(r.status, 0) << r.output;
  }

  // One datagram client -> server:port and the answer back; true when both arrived.
  bool exchange(const testing::Fd& client, Family family, std::uint16_t port = kServerPort) {
    const bool v6 = family == Family::v6;
    auto& server = servers_[{v6, port}];
    if (!server.valid()) server = topology_.server_socket(family, port);
    const auto to = testing::socket_address(v6 ? Topology::kServer6 : Topology::kServer4, port);
    if (::sendto(client.get(), "x", 1, 0, testing::as_sockaddr(to), testing::address_length(to)) !=
        1) {
      return false;
    }
    sockaddr_storage from{};
    if (testing::receive_one(server.get(), &from) != 1) return false;
    if (::sendto(server.get(), "y", 1, 0, testing::as_sockaddr(from),
                 testing::address_length(from)) != 1) {
      return false;
    }
    return testing::receive_one(client.get(), nullptr) == 1;
  }

  // A new flow: a fresh client socket (a new source port) with one exchange.
  testing::Fd flow(Family family, std::uint8_t dscp, std::uint16_t port = kServerPort) {
    auto client = topology_.client_socket(family, dscp);
    EXPECT_TRUE(client.valid());
    EXPECT_TRUE(exchange(client, family, port)) << "no answer through the gateway";
    return client;
  }

  // The conntrack mark of the UDP flow from `client` to the server's `port`, if it has an
  // entry.
  static std::optional<std::uint32_t> mark_of(const testing::Fd& client, Family family,
                                              std::uint16_t port = kServerPort) {
    const auto source_port = local_port(client);
    for (const auto& f : testing::conntrack_table()) {
      if (f.family == family && f.protocol == 17 && f.source_port == source_port &&
          f.destination_port == port) {
        return f.mark;
      }
    }
    return std::nullopt;
  }

  Topology topology_;
  std::unique_ptr<Classifier> classifier_ = make_nft_classifier();
  std::map<std::pair<bool, std::uint16_t>, testing::Fd> servers_;
};

TEST_F(ClassifyTraffic, MarksForwardedFlowsInTheOriginalDirectionOnly) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_NO_FATAL_FAILURE(build());
  for (const Family family : {Family::v4, Family::v6}) {
    const bool v6 = family == Family::v6;
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    const std::string prefix = v6 ? "v6 " : "v4 ";
    auto c2 = topology_.client_socket(family, kEf);
    // Three packets each way: the first is classified, the next two get the mark restored
    // from the conntrack entry; the replies get none.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(exchange(c2, family));
    EXPECT_EQ(testing::counter_packets("observe", prefix + "original c2"), 3);
    EXPECT_EQ(testing::counter_packets("observe", prefix + "reply unmarked"), 3);
    EXPECT_EQ(testing::counter_packets("observe", prefix + "reply marked"), 0);
    EXPECT_EQ(mark_of(c2, family), kC2);
    const auto isr = flow(family, kAf41);
    EXPECT_EQ(mark_of(isr, family), kIsr);
    const auto plain = flow(family, kBestEffort);
    EXPECT_EQ(mark_of(plain, family), 0U);
  }
  // Per-class counters in our own table, as an operator reads them: one new flow each per
  // family (the later packets of a flow take the restore rule).
  EXPECT_EQ(testing::counter_packets("lifeline", "class c2"), 2);
  EXPECT_EQ(testing::counter_packets("lifeline", "class isr"), 2);
  EXPECT_EQ(testing::counter_packets("lifeline", "restore the class of the flow"), 4);
}

TEST_F(ClassifyTraffic, MatchesPortsAndFamiliesAsConfigured) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_NO_FATAL_FAILURE(build());
  // web: destination port 8443, in both families, whatever the DSCP.
  const auto web4 = flow(Family::v4, kBestEffort, 8443);
  const auto web6 = flow(Family::v6, kAf21, 8443);
  EXPECT_EQ(mark_of(web4, Family::v4, 8443), kWeb);
  // lan4 (af21, IPv4 sources only) comes before web, but cannot match an IPv6 packet.
  EXPECT_EQ(mark_of(web6, Family::v6, 8443), kWeb);
  // lan4 itself: IPv4 matches; the same DSCP over IPv6 matches no class.
  const auto lan4 = flow(Family::v4, kAf21);
  const auto lan6 = flow(Family::v6, kAf21);
  EXPECT_EQ(mark_of(lan4, Family::v4), kLan4);
  EXPECT_EQ(mark_of(lan6, Family::v6), 0U);
  EXPECT_EQ(testing::counter_packets("lifeline", "class web"), 2);
  EXPECT_EQ(testing::counter_packets("lifeline", "class lan4"), 1);
}

TEST_F(ClassifyTraffic, UplinkAndRouterTrafficIsNotClassified) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_NO_FATAL_FAILURE(build());
  // From the uplink side towards the LAN, with DSCP EF (an inbound connection).
  auto lan_listener = topology_.client_socket(Family::v4, kBestEffort);
  const auto any = testing::socket_address("0.0.0.0", 7000);
  // (client_socket made it in the client namespace; bind it there to receive.)
  ASSERT_EQ(::bind(lan_listener.get(), testing::as_sockaddr(any), testing::address_length(any)), 0);
  auto inbound = topology_.server_socket(Family::v4, 7001);
  const int tos = kEf << 2;
  ::setsockopt(inbound.get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  const auto to_client = testing::socket_address(Topology::kClient4, 7000);
  ASSERT_EQ(::sendto(inbound.get(), "x", 1, 0, testing::as_sockaddr(to_client),
                     testing::address_length(to_client)),
            1);
  ASSERT_EQ(testing::receive_one(lan_listener.get(), nullptr), 1);

  // From the LAN to the gateway's own address, with EF.
  auto to_router = topology_.gateway_socket(Family::v4, kBestEffort);
  const auto router_any = testing::socket_address("0.0.0.0", 7002);
  ASSERT_EQ(::bind(to_router.get(), testing::as_sockaddr(router_any),
                   testing::address_length(router_any)),
            0);
  auto lan_client = topology_.client_socket(Family::v4, kEf);
  const auto gw = testing::socket_address(Topology::kGatewayLan4, 7002);
  ASSERT_EQ(
      ::sendto(lan_client.get(), "x", 1, 0, testing::as_sockaddr(gw), testing::address_length(gw)),
      1);
  ASSERT_EQ(testing::receive_one(to_router.get(), nullptr), 1);

  // The gateway's own traffic (a probe, say) with EF: output, never prerouting.
  auto own = topology_.gateway_socket(Family::v4, kEf);
  auto server = topology_.server_socket(Family::v4, 7003);
  const auto to_server = testing::socket_address(Topology::kServer4, 7003);
  ASSERT_EQ(::sendto(own.get(), "x", 1, 0, testing::as_sockaddr(to_server),
                     testing::address_length(to_server)),
            1);
  ASSERT_EQ(testing::receive_one(server.get(), nullptr), 1);

  std::size_t seen = 0;
  for (const auto& f : testing::conntrack_table()) {
    if (f.destination_port == 7000 || f.destination_port == 7002 || f.destination_port == 7003) {
      ++seen;
      EXPECT_EQ(f.mark, 0U) << "flow to port " << f.destination_port << " got a class mark";
    }
  }
  EXPECT_EQ(seen, 3U);
  EXPECT_EQ(testing::counter_packets("lifeline", "class c2"), 0);
}

TEST_F(ClassifyTraffic, TrafficRoutedInsideTheBaseIsNotClassified) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_NO_FATAL_FAILURE(build());
  // A site behind a LAN router (here the client itself): the main table sends it back out
  // of lan0. With EF it would be C2, and C2's table would send it out of the uplink.
  const auto r = run_command(std::string("ip route add 198.18.150.0/24 via ") +
                             Topology::kClient4 + " dev lan0");
  ASSERT_EQ(r.status, 0) << r.output;
  auto lan_client = topology_.client_socket(Family::v4, kEf);
  const auto site = testing::socket_address("198.18.150.1", 7004);
  ASSERT_EQ(::sendto(lan_client.get(), "x", 1, 0, testing::as_sockaddr(site),
                     testing::address_length(site)),
            1);
  // The same client, same DSCP, to the server behind the uplink: classified as usual.
  auto to_uplink = flow(Family::v4, kEf);
  std::size_t seen = 0;
  for (const auto& f : testing::conntrack_table()) {
    if (f.destination_port == 7004) {
      ++seen;
      EXPECT_EQ(f.mark, 0U) << "a flow routed inside the base got a class mark";
    }
  }
  EXPECT_EQ(seen, 1U);
  EXPECT_EQ(mark_of(to_uplink, Family::v4), kC2);
}

TEST_F(ClassifyTraffic, FlushDeletesExactlyThoseClassesInBothFamiliesWithOneWalk) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_NO_FATAL_FAILURE(build());
  const auto classifier = make_nft_classifier();
  std::vector<testing::Fd> flows;
  for (int i = 0; i < 3; ++i) flows.push_back(flow(Family::v4, kEf));
  for (int i = 0; i < 2; ++i) flows.push_back(flow(Family::v6, kEf));
  for (int i = 0; i < 2; ++i) flows.push_back(flow(Family::v4, kAf41));
  flows.push_back(flow(Family::v6, kAf41));
  for (int i = 0; i < 2; ++i) flows.push_back(flow(Family::v4, kBestEffort));
  auto table = testing::conntrack_table();
  ASSERT_EQ(testing::count_marked(table, kC2), 5U);
  ASSERT_EQ(testing::count_marked(table, kIsr), 3U);
  ASSERT_EQ(testing::count_marked(table, 0), 2U);
  // Our own dump agrees with the kernel's /proc view.
  EXPECT_EQ(conntrack::dump(conntrack::MarkFilter{kC2}).flows.size(), 5U);
  EXPECT_EQ(conntrack::dump(conntrack::MarkFilter{routing::kMarkBase, routing::kMarkMask}).flows.size(), 8U);
  EXPECT_EQ(conntrack::dump().flows.size(), table.size());

  auto r = classifier->flush_flows({kC2});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.deleted, 5U);
  EXPECT_EQ(r.walks, 1U);
  table = testing::conntrack_table();
  EXPECT_EQ(testing::count_marked(table, kC2), 0U);
  EXPECT_EQ(testing::count_marked(table, kIsr), 3U);
  EXPECT_EQ(testing::count_marked(table, 0), 2U);

  // Nothing left with that mark: nothing to do (still one walk to find out).
  r = classifier->flush_flows({kC2});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.deleted, 0U);

  // The next packet of a flushed flow is a new connection, classified again.
  ASSERT_TRUE(exchange(flows[0], Family::v4));
  EXPECT_EQ(testing::count_marked(testing::conntrack_table(), kC2), 1U);

  // Two classes at once: one walk, both gone, the unclassified flows untouched.
  r = classifier->flush_flows({kC2, kIsr});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.deleted, 4U);
  EXPECT_EQ(r.walks, 1U);
  table = testing::conntrack_table();
  EXPECT_EQ(testing::count_marked(table, kIsr), 0U);
  EXPECT_EQ(testing::count_marked(table, kC2), 0U);
  EXPECT_EQ(testing::count_marked(table, 0), 2U);
}

// The two halves a failback uses: one walk collects both classes' flows; each class's are
// then deleted on their own (by tuple and id, no walk), and nothing else.
TEST_F(ClassifyTraffic, CollectedFlowsAreDeletedOneClassAtATime) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_NO_FATAL_FAILURE(build());
  const auto classifier = make_nft_classifier();
  std::vector<testing::Fd> flows;
  for (int i = 0; i < 3; ++i) flows.push_back(flow(Family::v4, kEf));
  flows.push_back(flow(Family::v6, kEf));
  for (int i = 0; i < 2; ++i) flows.push_back(flow(Family::v4, kAf41));
  flows.push_back(flow(Family::v4, kBestEffort));
  const auto collected = classifier->collect_flows({kC2, kIsr});
  ASSERT_TRUE(collected);
  EXPECT_EQ(collected->error, 0);
  EXPECT_EQ(collected->walks, 1U);
  EXPECT_EQ(collected->count(kC2), 4U);
  EXPECT_EQ(collected->count(kIsr), 2U);
  auto r = classifier->delete_flows(*collected, kC2);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.deleted, 4U);
  EXPECT_EQ(r.walks, 0U);
  auto table = testing::conntrack_table();
  EXPECT_EQ(testing::count_marked(table, kC2), 0U);
  EXPECT_EQ(testing::count_marked(table, kIsr), 2U);
  EXPECT_EQ(testing::count_marked(table, 0), 1U);
  // A flow of the class that began after the walk was not collected: it stays (the flush
  // after the switch is for those). (Not tested: a collected flow re-established since. The
  // kernel's id is a hash of the entry's address and tuple, and a new entry for the same tuple
  // often gets the freed entry's memory, so it may carry the same id and go too. Before the
  // switch it is on the old path anyway; after it, the next packet re-creates it.)
  const auto later = flow(Family::v4, kEf);
  r = classifier->delete_flows(*collected, kC2);
  EXPECT_EQ(r.deleted, 0U);
  EXPECT_EQ(testing::count_marked(testing::conntrack_table(), kC2), 1U);
  // The second pass (by tuple only) takes what holds a collected tuple now, and nothing else.
  ASSERT_TRUE(exchange(flows[0], Family::v4));
  r = classifier->delete_flows(*collected, kC2, true);
  EXPECT_EQ(r.deleted, 1U);
  EXPECT_EQ(testing::count_marked(testing::conntrack_table(), kC2), 1U);
  r = classifier->delete_flows(*collected, kIsr);
  EXPECT_EQ(r.deleted, 2U);
  EXPECT_EQ(testing::count_marked(testing::conntrack_table(), kIsr), 0U);
  // Marks that are not lifelined's are refused.
  EXPECT_EQ(classifier->collect_flows({0})->error, -EINVAL);
  EXPECT_EQ(classifier->delete_flows(*collected, 0).error, -EINVAL);
}

}  // namespace
}  // namespace lifeline::classify
