// render_ruleset(): the classes as nft text. docs/classification.md shows the result for the
// example config and explains each rule; this file only has to agree with it.
#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "controller/classifier.hpp"
#include "controller/routing.hpp"

namespace lifeline::classify {
namespace {

std::string hex32(std::uint32_t value) {
  std::array<char, 11> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "0x%08x", value);
  return buffer.data();
}

// One value bare, several as an anonymous set: `ip saddr 198.18.10.0/26`, `th dport { 53, 123 }`.
std::string one_or_set(const std::vector<std::string>& items) {
  if (items.size() == 1) return items.front();
  std::string out = "{ ";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out + " }";
}

// The RFC names nft has known for as long as it has had `ip dscp` (cs*, af*, ef); other values
// as numbers. `le` cannot be written by name at all: nft reads it as the `<=` operator.
std::string dscp_text(std::uint8_t value) {
  if (value % 8 == 0) return "cs" + std::to_string(value / 8);
  const int klass = value / 8;
  const int drop = value % 8;
  if (klass >= 1 && klass <= 4 && drop % 2 == 0) {
    return "af" + std::to_string(klass) + std::to_string(drop / 2);
  }
  if (value == 46) return "ef";
  return std::to_string(value);
}

// Protocol names that are keywords of nft's grammar (so they do not depend on
// /etc/protocols); other protocols as numbers. `nft list` prints names for all of them.
std::string protocol_text(std::uint8_t number) {
  switch (number) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 58:
      return "icmpv6";
    case 132:
      return "sctp";
    case 136:
      return "udplite";
    default:
      return std::to_string(number);
  }
}

// The protocols that have a destination port where `th dport` reads it.
constexpr std::array<std::uint8_t, 4> kPortProtocols = {6, 17, 132, 136};

// The prefixes of `family`, in file order, without those inside another one of the list:
// `{ 198.18.0.0/15, 198.18.10.0/24 }` would be an overlapping interval in an nft set.
std::vector<std::string> prefixes_of(const std::vector<Prefix>& all, Family family) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Prefix& p = all[i];
    if (p.family() != family) continue;
    bool covered = false;
    for (std::size_t j = 0; j < all.size() && !covered; ++j) {
      const Prefix& q = all[j];
      if (j == i || q.family() != family || !q.contains(p.network())) continue;
      covered = q.length() < p.length() || (q.length() == p.length() && j < i);
    }
    if (!covered) out.push_back(p.to_string());
  }
  return out;
}

// Ports sorted, overlapping and adjacent ranges merged (an nft interval set refuses overlaps).
std::vector<std::string> ports_text(std::vector<config::PortRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<config::PortRange> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().last + 1) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  std::vector<std::string> out;
  for (const auto& r : merged) {
    out.push_back(r.first == r.last ? std::to_string(r.first)
                                    : std::to_string(r.first) + "-" + std::to_string(r.last));
  }
  return out;
}

// Interface names nft can hold in a quoted string as they are: a name with a quote cannot be
// written at all, and a trailing `*` would be read as a wildcard.
bool plain_interface_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '@' || c == '+';
  });
}

void add_rule(std::string& out, const std::vector<std::string>& parts) {
  out += "\t\t";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ' ';
    out += parts[i];
  }
  out += '\n';
}

// The rules of one class: one per address family its keys can match, or a single
// family-less rule when it has neither DSCP nor prefixes. None when its prefixes exclude
// each other (IPv4 sources with IPv6 destinations only): such a class matches nothing.
void add_class_rules(std::string& out, const config::ClassConfig& cls, std::uint32_t mark) {
  const auto& m = cls.match;
  std::vector<std::string> tail;
  if (!m.protocols.empty()) {
    std::vector<std::string> names;
    for (const auto p : m.protocols) names.push_back(protocol_text(p));
    tail.push_back("meta l4proto " + one_or_set(names));
  } else if (!m.ports.empty()) {
    // Only these protocols have a port where th dport looks; in ICMP it would read the
    // checksum. docs/configuration.md: a class with ports only matches these protocols.
    std::vector<std::string> names;
    for (const auto p : kPortProtocols) names.push_back(protocol_text(p));
    tail.push_back("meta l4proto " + one_or_set(names));
  }
  if (!m.ports.empty()) tail.push_back("th dport " + one_or_set(ports_text(m.ports)));
  tail.push_back("counter");
  tail.push_back("meta mark set " + hex32(mark));
  tail.push_back("ct mark set meta mark");
  tail.push_back("accept");
  tail.push_back("comment \"class " + cls.name + "\"");

  const bool per_family = !m.dscp.empty() || !m.sources.empty() || !m.destinations.empty();
  if (!per_family) {
    add_rule(out, tail);
    return;
  }
  for (const Family family : {Family::v4, Family::v6}) {
    const std::string ip = family == Family::v4 ? "ip" : "ip6";
    const auto sources = prefixes_of(m.sources, family);
    const auto destinations = prefixes_of(m.destinations, family);
    // A key that lists only the other family's prefixes can never match this family.
    if (!m.sources.empty() && sources.empty()) continue;
    if (!m.destinations.empty() && destinations.empty()) continue;
    std::vector<std::string> parts;
    if (!m.dscp.empty()) {
      std::vector<std::string> names;
      for (const auto d : m.dscp) names.push_back(dscp_text(d));
      parts.push_back(ip + " dscp " + one_or_set(names));
    }
    if (!sources.empty()) parts.push_back(ip + " saddr " + one_or_set(sources));
    if (!destinations.empty()) parts.push_back(ip + " daddr " + one_or_set(destinations));
    parts.insert(parts.end(), tail.begin(), tail.end());
    add_rule(out, parts);
  }
}

}  // namespace

std::string render_ruleset(const config::Config& config) {
  std::string out;
  // Create-then-delete makes the delete valid whether or not the table exists; nft sends the
  // whole buffer as one transaction, so the kernel swaps the old table for the new one
  // atomically, or (on any error) keeps the old one untouched.
  out += "table inet lifeline {}\n";
  out += "delete table inet lifeline\n";
  out += "table inet lifeline {\n";
  out += "\tcomment \"lifelined: traffic classes to fwmarks; generated, do not edit\"\n";
  out += "\tchain prerouting {\n";
  // Prerouting sees forwarded and incoming packets, never locally generated ones: the
  // daemon's own probes cannot get a class mark. mangle (-150): after conntrack (-200),
  // before the routing decision that the mark steers.
  out += "\t\ttype filter hook prerouting priority mangle; policy accept;\n";
  // Packets of a classified flow: the class chosen at its first packet, in the original
  // direction only. Replies go back to the LAN by the main table; a class mark would send
  // them out the class's uplink.
  add_rule(out, {"ct direction original", "ct mark & " + hex32(routing::kMarkMask),
                 "== " + hex32(routing::kMarkBase), "counter", "meta mark set ct mark", "accept",
                 "comment \"restore the class of the flow\""});
  add_rule(out, {"ct state != new", "return"});
  // New connections that are not LAN traffic to be routed: from an uplink (inbound, or a BFD
  // peer's cs6 packets), or to this router itself.
  std::vector<std::string> uplinks;
  for (const auto& link : config.links) {
    const std::string quoted = "\"" + link.interface + "\"";
    if (plain_interface_name(link.interface) &&
        std::find(uplinks.begin(), uplinks.end(), quoted) == uplinks.end()) {
      uplinks.push_back(quoted);
    }
  }
  if (!uplinks.empty()) {
    add_rule(out, {"iifname " + one_or_set(uplinks), "return",
                   "comment \"from an uplink: not LAN traffic\""});
  }
  add_rule(out, {"fib daddr type { local, broadcast, multicast }", "return",
                 "comment \"to this router: not routed\""});
  // Traffic the ordinary routes keep inside the base (another LAN, a site behind a LAN
  // router) is not the classes' business: a class table only has a default route and would
  // send it out an uplink. Only what the main table would send through an uplink, or has no
  // route for, is classified.
  if (!uplinks.empty()) {
    add_rule(out, {"fib daddr oif exists", "fib daddr oifname != " + one_or_set(uplinks),
                   "return", "comment \"routed inside the base: not classified\""});
  }

  // Highest precedence first, file order among equals (as policies/policy_model.cpp).
  std::vector<std::size_t> order(config.classes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&config](std::size_t a, std::size_t b) {
    return config.classes[a].precedence > config.classes[b].precedence;
  });
  for (const std::size_t slot : order) {
    add_class_rules(out, config.classes[slot], routing::class_mark(slot));
  }
  out += "\t}\n";
  out += "}\n";
  return out;
}

}  // namespace lifeline::classify
