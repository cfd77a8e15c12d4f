#include "config/loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "common/z85.hpp"
#include "config/minisign_key.hpp"
#include "config/yaml_reader.hpp"

namespace lifeline::config {
namespace {

constexpr std::size_t kMaxLinkName = 15;  // also the kernel's interface name limit (IFNAMSIZ-1)
constexpr std::size_t kMaxClassName = 31;
constexpr std::size_t kMaxNodeName = 63;
// Probe targets per link: a quorum over more far ends than this buys nothing, and the link
// monitor sizes its per-probe work for it.
constexpr std::size_t kMaxProbes = 16;
constexpr std::size_t kMaxQuorum = 255;

bool is_name(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool is_node_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNodeName) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// The kernel's dev_valid_name(): 1-15 bytes, not "." or "..", no '/', ':' or whitespace.
bool is_interface_name(std::string_view s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c == '\0' ||
           static_cast<unsigned char>(c) < 0x20;
  });
}

struct NamedNumber {
  std::string_view name;
  std::uint8_t value;
};

// RFC 2474 class selectors, RFC 2597 AF, RFC 3246 EF, RFC 5865 VOICE-ADMIT, RFC 8622 LE.
constexpr NamedNumber kDscpNames[] = {
    {"cs0", 0},   {"cs1", 8},   {"cs2", 16},  {"cs3", 24},  {"cs4", 32},  {"cs5", 40},
    {"cs6", 48},  {"cs7", 56},  {"af11", 10}, {"af12", 12}, {"af13", 14}, {"af21", 18},
    {"af22", 20}, {"af23", 22}, {"af31", 26}, {"af32", 28}, {"af33", 30}, {"af41", 34},
    {"af42", 36}, {"af43", 38}, {"ef", 46},   {"va", 44},   {"le", 1},    {"be", 0}};

constexpr NamedNumber kProtocolNames[] = {{"icmp", 1},    {"tcp", 6},    {"udp", 17},
                                          {"gre", 47},    {"esp", 50},   {"ah", 51},
                                          {"icmpv6", 58}, {"sctp", 132}, {"udplite", 136}};

// Protocols that carry ports.
bool has_ports(std::uint8_t protocol) {
  return protocol == 6 || protocol == 17 || protocol == 132 || protocol == 136;
}

// "icmp" for 1, "99" for a protocol without a name here.
std::string protocol_name(std::uint8_t number) {
  for (const auto& entry : kProtocolNames) {
    if (entry.value == number) return std::string(entry.name);
  }
  return std::to_string(number);
}

std::vector<std::string_view> names_of(const auto& table) {
  std::vector<std::string_view> names;
  for (const auto& entry : table) names.push_back(entry.name);
  return names;
}

struct Positioned {
  std::string name;
  YAML::Mark mark;
};

class ConfigParser {
 public:
  explicit ConfigParser(YamlReader& reader) : r_(reader) {}

  std::optional<Config> parse(const YAML::Node& root) {
    if (!root.IsDefined()) return std::nullopt;  // syntax error already reported
    if (root.IsNull()) {
      r_.error(root, "", "the file is empty; a config needs at least node, links and classes");
      return std::nullopt;
    }
    if (!r_.map(root, "", {"node", "links", "classes", "dampening", "control", "events",
                           "metrics", "journal", "drills", "trust", "integrity", "incidents",
                           "scheduling"})) {
      return std::nullopt;
    }
    config_.source = r_.file();

    if (r_.require(root, "node", "")) {
      const auto node = YamlReader::get(root, "node");
      if (auto name = r_.string(node, "node")) {
        if (is_node_name(*name)) {
          config_.node = *name;
        } else {
          r_.error(node, "node",
                   "'" + *name +
                       "' is not a valid node name; use 1-63 letters, "
                       "digits, '.', '-' or '_'");
        }
      }
    }
    if (r_.require(root, "links", "")) parse_links(YamlReader::get(root, "links"));
    if (const auto d = YamlReader::get(root, "dampening"); !YamlReader::is_null(d)) {
      parse_dampening(d);
    }
    if (r_.require(root, "classes", "")) parse_classes(YamlReader::get(root, "classes"));
    parse_operations(root);
    if (auto i = YamlReader::get(root, "integrity"); !YamlReader::is_null(i)) {
      if (r_.map(i, "integrity", {"quarantine"})) {
        if (auto q = YamlReader::get(i, "quarantine"); q.IsDefined()) {
          if (auto d = r_.duration(q, "integrity.quarantine", std::chrono::seconds(1), std::chrono::hours(24 * 7))) {
            config_.integrity.quarantine = *d;
          }
        }
      }
    }
    if (auto n = YamlReader::get(root, "scheduling"); !YamlReader::is_null(n)) parse_scheduling(n);
    const auto trust = YamlReader::get(root, "trust");
    if (!YamlReader::is_null(trust)) parse_trust(trust);
    // An attestation nobody may sign can never count: say so now, not at 3 a.m.
    if (!r_.failed() && config_.trust.authorities.empty()) {
      for (const auto& link : config_.links) {
        if (link.attestation.empty()) continue;
        r_.error(trust.IsDefined() ? trust : root, "trust.authorities",
                 "link " + link.name + " has an attestation, but no authority may sign one; list "
                 "the authority's minisign public key under trust.authorities");
        break;
      }
    }
    if (auto i = YamlReader::get(root, "incidents"); !YamlReader::is_null(i)) parse_incidents(i);
    if (r_.failed()) return std::nullopt;
    return std::move(config_);
  }

 private:
  // ---- incidents: the channel, our keys, who may report ------------------------------------
  void parse_incidents(const YAML::Node& n) {
    if (!r_.map(n, "incidents",
                {"subscribe", "publish", "server_key", "curve_key_file", "signing_key_file", "allowed_reporters",
                 "reporter", "publish_suspicions"})) {
      return;
    }
    IncidentsConfig in;
    in.reporter = config_.node;
    auto endpoint = [&](const char* key, std::string& out) {
      const auto v = YamlReader::get(n, key);
      if (YamlReader::is_null(v)) return;
      if (auto text = r_.string(v, member("incidents", key))) {
        if ((text->starts_with("tcp://") && text->size() > 6) || (text->starts_with("ipc:///") && text->size() > 7)) {
          out = *text;
        } else {
          r_.error(v, member("incidents", key),
                   "'" + *text + "' is not a ZeroMQ endpoint to connect to; use tcp://address:port (the channel) "
                   "or ipc:///path");
        }
      }
    };
    auto file = [&](const char* key, std::string& out) {
      const auto v = YamlReader::get(n, key);
      if (YamlReader::is_null(v)) return;
      if (auto text = r_.string(v, member("incidents", key))) {
        if (text->empty() || text->front() != '/') {
          r_.error(v, member("incidents", key), "'" + *text + "' must be an absolute path");
        } else {
          out = *text;
        }
      }
    };
    endpoint("subscribe", in.subscribe);
    endpoint("publish", in.publish);
    file("curve_key_file", in.curve_key_file);
    file("signing_key_file", in.signing_key_file);
    if (auto v = YamlReader::get(n, "server_key"); !YamlReader::is_null(v)) {
      if (auto key = r_.string(v, "incidents.server_key")) {
        if (is_z85_key(*key)) {
          in.server_key = *key;
        } else {
          r_.error(v, "incidents.server_key", "is not a CURVE public key; use the channel's 40-character Z85 public key");
        }
      }
    }
    if (auto v = YamlReader::get(n, "reporter"); !YamlReader::is_null(v)) {
      if (auto name = r_.string(v, "incidents.reporter")) {
        if (is_node_name(*name)) {
          in.reporter = *name;
        } else {
          r_.error(v, "incidents.reporter", "'" + *name + "' is not a valid name; use 1-63 letters, digits, '.', '-' or '_'");
        }
      }
    }
    if (auto v = YamlReader::get(n, "publish_suspicions"); !YamlReader::is_null(v)) {
      if (auto b = r_.boolean(v, "incidents.publish_suspicions")) in.publish_suspicions = *b;
    }
    const auto errors_before_reporters = r_.error_count();
    if (auto list = YamlReader::get(n, "allowed_reporters"); !YamlReader::is_null(list)) {
      if (r_.sequence(list, "incidents.allowed_reporters")) {
        for (std::size_t i = 0; i < list.size(); ++i) {
          const auto path = indexed("incidents.allowed_reporters", i);
          if (!r_.map(list[i], path, {"name", "public_key"})) continue;
          IncidentReporter reporter;
          if (r_.require(list[i], "name", path)) {
            if (auto name = r_.string(YamlReader::get(list[i], "name"), member(path, "name"))) reporter.name = *name;
          }
          if (r_.require(list[i], "public_key", path)) {
            const auto k = YamlReader::get(list[i], "public_key");
            if (auto text = r_.string(k, member(path, "public_key"))) {
              const auto bytes = decode_base64(*text);
              if (!bytes || bytes->size() != reporter.key.size()) {
                r_.error(k, member(path, "public_key"),
                         "is not an Ed25519 public key; use the base64 line lifeline-incident keygen prints "
                         "(44 characters)");
              } else {
                reporter.public_key = *text;
                std::copy(bytes->begin(), bytes->end(), reporter.key.begin());
              }
            }
          }
          if (!reporter.name.empty() && !reporter.public_key.empty()) in.allowed_reporters.push_back(reporter);
        }
      }
    }
    // What cannot work is refused now, not found out at 3 a.m.
    const auto tcp = [](const std::string& e) { return e.starts_with("tcp://"); };
    if (in.subscribe.empty() && in.publish.empty()) {
      r_.error(n, "incidents", "names no channel; set subscribe (to receive reports) and/or publish (to send them)");
    }
    if (!in.subscribe.empty() && in.allowed_reporters.empty() && r_.error_count() == errors_before_reporters) {
      r_.error(n, "incidents.allowed_reporters",
               "is required with subscribe: only reports signed by a listed reporter count");
    }
    if (!in.publish.empty() && in.signing_key_file.empty()) {
      r_.error(n, "incidents.signing_key_file", "is required with publish: every report we send is signed");
    }
    if ((tcp(in.subscribe) || tcp(in.publish)) && (in.server_key.empty() || in.curve_key_file.empty())) {
      r_.error(n, in.server_key.empty() ? "incidents.server_key" : "incidents.curve_key_file",
               "is required for a tcp:// channel: the channel admits only CURVE clients it knows");
    }
    config_.incidents = std::move(in);
  }

  // ---- trust: who may sign attestations, which vendors are not trusted -------------------
  void parse_scheduling(const YAML::Node& n) {
    if (!r_.map(n, "scheduling", {"policy", "priority", "lock_memory"})) return;
    auto& sc = config_.scheduling;
    if (auto v = YamlReader::get(n, "policy"); v.IsDefined()) {
      if (auto p = r_.choice<SchedPolicy>(v, "scheduling.policy",
                                          {{"other", SchedPolicy::other}, {"fifo", SchedPolicy::fifo}, {"rr", SchedPolicy::rr}})) {
        sc.policy = *p;
      } else {
        return;  // one mistake, one error: the priority cannot be judged without the policy
      }
    }
    const auto priority = YamlReader::get(n, "priority");
    if (priority.IsDefined()) {
      if (sc.policy == SchedPolicy::other) {
        r_.error(priority, "scheduling.priority", "needs policy fifo or rr (a real-time priority, 1-99)");
      } else if (auto v = r_.integer(priority, "scheduling.priority", 1, 99)) {
        sc.priority = static_cast<int>(*v);
      }
    } else if (sc.policy != SchedPolicy::other) {
      r_.error(n, "scheduling.priority", "is required with policy fifo or rr: a real-time priority, 1-99");
    }
    if (auto v = YamlReader::get(n, "lock_memory"); v.IsDefined()) {
      if (auto b = r_.boolean(v, "scheduling.lock_memory")) sc.lock_memory = *b;
    }
  }

  void parse_trust(const YAML::Node& n) {
    if (!r_.map(n, "trust", {"authorities", "untrusted_vendors", "state"})) return;
    auto& trust = config_.trust;
    if (auto list = YamlReader::get(n, "authorities"); !YamlReader::is_null(list)) {
      if (r_.sequence(list, "trust.authorities")) {
        for (std::size_t i = 0; i < list.size(); ++i) {
          const auto path = indexed("trust.authorities", i);
          const auto& a = list[i];
          if (!r_.map(a, path, {"name", "public_key"})) continue;
          TrustAuthority authority;
          if (r_.require(a, "name", path)) {
            if (auto name = r_.string(YamlReader::get(a, "name"), member(path, "name"))) {
              if (!is_name(*name, kMaxLinkName)) {
                r_.error(YamlReader::get(a, "name"), member(path, "name"),
                         "'" + *name + "' is not a valid name; use 1-" + std::to_string(kMaxLinkName) +
                             " characters from a-z, 0-9 and '-'");
              } else if (std::any_of(trust.authorities.begin(), trust.authorities.end(),
                                     [&](const auto& x) { return x.name == *name; })) {
                r_.error(YamlReader::get(a, "name"), member(path, "name"), "'" + *name + "' is listed twice");
              } else {
                authority.name = *name;
              }
            }
          }
          if (r_.require(a, "public_key", path)) {
            const auto k = YamlReader::get(a, "public_key");
            if (auto text = r_.string(k, member(path, "public_key"))) {
              std::string error;
              if (const auto key = parse_minisign_public_key(*text, error)) {
                authority.public_key = *text;
                authority.key_id = key->key_id;
                authority.key = key->key;
              } else {
                r_.error(k, member(path, "public_key"), "'" + *text + "' " + error);
              }
            }
          }
          if (!authority.name.empty() && !authority.public_key.empty()) trust.authorities.push_back(authority);
        }
      }
    }
    if (auto list = YamlReader::get(n, "untrusted_vendors"); !YamlReader::is_null(list)) {
      if (r_.sequence(list, "trust.untrusted_vendors")) {
        for (std::size_t i = 0; i < list.size(); ++i) {
          if (auto v = r_.string(list[i], indexed("trust.untrusted_vendors", i))) {
            if (v->empty()) {
              r_.error(list[i], indexed("trust.untrusted_vendors", i), "is empty; give the vendor's name");
            } else {
              trust.untrusted_vendors.push_back(*v);
            }
          }
        }
      }
    }
    if (auto s = YamlReader::get(n, "state"); s.IsDefined()) {
      if (auto text = r_.string(s, "trust.state")) {
        if (text->empty() || text->front() != '/') {
          r_.error(s, "trust.state", "'" + *text + "' must be an absolute path");
        } else {
          trust.state = *text;
        }
      }
    }
  }

  // ---- operations: control, events, metrics, journal, drills ----------------------------
  void parse_operations(const YAML::Node& root) {
    if (auto n = YamlReader::get(root, "control"); !YamlReader::is_null(n)) {
      if (r_.map(n, "control", {"socket", "group", "tcp"})) {
        socket_path(YamlReader::get(n, "socket"), "control.socket", config_.control.socket);
        if (auto g = YamlReader::get(n, "group"); g.IsDefined()) {
          if (auto name = r_.string(g, "control.group")) {
            if (is_group_name(*name)) {
              config_.control.group = *name;
            } else {
              r_.error(g, "control.group", "'" + *name + "' is not a valid group name; use 1-32 "
                                                         "characters from a-z, 0-9, '_' and '-'");
            }
          }
        }
        if (auto t = YamlReader::get(n, "tcp"); !YamlReader::is_null(t)) {
          config_.control.tcp = curve_endpoint(t, "control.tcp");
        }
      }
    }
    if (auto n = YamlReader::get(root, "events"); !YamlReader::is_null(n)) {
      if (r_.map(n, "events", {"socket", "tcp"})) {
        socket_path(YamlReader::get(n, "socket"), "events.socket", config_.events.socket);
        if (auto t = YamlReader::get(n, "tcp"); !YamlReader::is_null(t)) {
          config_.events.tcp = curve_endpoint(t, "events.tcp");
        }
      }
      if (config_.events.socket == config_.control.socket) {
        r_.error(YamlReader::get(n, "socket"), "events.socket",
                 "is the same path as control.socket; use two different paths");
      }
    }
    if (auto n = YamlReader::get(root, "metrics"); !YamlReader::is_null(n)) {
      if (r_.map(n, "metrics", {"listen"})) {
        if (auto l = YamlReader::get(n, "listen"); l.IsDefined()) {
          if (auto text = r_.string(l, "metrics.listen")) {
            const auto ep = host_port(*text, true);
            if (!ep) {
              r_.error(l, "metrics.listen", "'" + *text + "' is not address:port; use e.g. 127.0.0.1:" +
                                                std::to_string(kDefaultMetricsPort) +
                                                " (port 0 picks a free one)");
            } else if (!ep->first.is_v4()) {
              // Debian 12's civetweb (under prometheus-cpp) is built without IPv6.
              r_.error(l, "metrics.listen", "'" + *text + "' is IPv6; the metrics server listens on "
                                                "IPv4 only (e.g. 127.0.0.1:" +
                                                std::to_string(kDefaultMetricsPort) + ")");
            } else {
              config_.metrics.address = ep->first;
              config_.metrics.port = ep->second;
            }
          }
        }
      }
    }
    if (auto n = YamlReader::get(root, "journal"); !YamlReader::is_null(n)) {
      if (r_.map(n, "journal", {"path", "retention", "max_rows"})) {
        if (auto p = YamlReader::get(n, "path"); p.IsDefined()) {
          if (auto text = r_.string(p, "journal.path")) {
            if (text->empty() || text->front() != '/') {
              r_.error(p, "journal.path", "'" + *text + "' must be an absolute path");
            } else {
              config_.journal.path = *text;
            }
          }
        }
        if (auto v = YamlReader::get(n, "retention"); v.IsDefined()) {
          if (auto d = r_.duration(v, "journal.retention", 1h, std::chrono::hours(24 * 366))) {
            config_.journal.retention = *d;
          }
        }
        if (auto v = YamlReader::get(n, "max_rows"); v.IsDefined()) {
          if (auto x = r_.integer(v, "journal.max_rows", 1000, 1'000'000'000)) {
            config_.journal.max_rows = static_cast<std::uint64_t>(*x);
          }
        }
      }
    }
    if (auto n = YamlReader::get(root, "drills"); !YamlReader::is_null(n)) {
      if (r_.map(n, "drills", {"targets", "max_duration"})) {
        if (auto t = YamlReader::get(n, "targets"); !YamlReader::is_null(t)) {
          if (r_.map(t, "drills.targets", {"detection", "switchover", "outage", "failback"})) {
            auto& targets = config_.drills.targets;
            auto target = [&](const char* key, std::optional<Duration>& out) {
              if (auto v = YamlReader::get(t, key); v.IsDefined()) {
                out = r_.duration(v, member("drills.targets", key), 1ms, 1h);
              }
            };
            target("detection", targets.detection);
            target("switchover", targets.switchover);
            target("outage", targets.outage);
            target("failback", targets.failback);
          }
        }
        if (auto v = YamlReader::get(n, "max_duration"); v.IsDefined()) {
          if (auto d = r_.duration(v, "drills.max_duration", 1s, 24h)) config_.drills.max_duration = *d;
        }
      }
    }
  }

  static bool is_group_name(std::string_view s) {
    if (s.empty() || s.size() > 32) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
  }

  void socket_path(const YAML::Node& node, const char* path, std::string& out) {
    if (!node.IsDefined()) return;
    auto text = r_.string(node, path);
    if (!text) return;
    // sockaddr_un holds 107 bytes of path.
    if (text->empty() || text->front() != '/' || text->size() > 107) {
      r_.error(node, path, "'" + *text + "' must be an absolute path of at most 107 bytes");
      return;
    }
    out = *text;
  }

  // "198.18.0.1:7441" or "[2001:db8::1]:7441"; port 0 only when `allow_zero`.
  static std::optional<std::pair<IpAddress, std::uint16_t>> host_port(std::string_view t,
                                                                      bool allow_zero) {
    std::string_view host;
    std::string_view port;
    if (!t.empty() && t.front() == '[') {
      const auto close = t.find(']');
      if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':') {
        return std::nullopt;
      }
      host = t.substr(1, close - 1);
      port = t.substr(close + 2);
    } else {
      const auto colon = t.rfind(':');
      if (colon == std::string_view::npos || t.find(':') != colon) return std::nullopt;
      host = t.substr(0, colon);
      port = t.substr(colon + 1);
    }
    const auto address = IpAddress::parse(host);
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (!address || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
        number > 65535 || (number == 0 && !allow_zero) ||
        (t.front() == '[' && address->is_v4())) {
      return std::nullopt;
    }
    return std::make_pair(*address, static_cast<std::uint16_t>(number));
  }

  std::optional<CurveEndpoint> curve_endpoint(const YAML::Node& n, const std::string& path) {
    if (!r_.map(n, path, {"listen", "server_key_file", "allowed_clients"})) return std::nullopt;
    const auto before = r_.error_count();
    CurveEndpoint ep;
    if (r_.require(n, "listen", path)) {
      const auto l = YamlReader::get(n, "listen");
      if (auto text = r_.string(l, member(path, "listen"))) {
        if (auto hp = host_port(*text, false)) {
          ep.address = hp->first;
          ep.port = hp->second;
        } else {
          r_.error(l, member(path, "listen"),
                   "'" + *text + "' is not address:port; use e.g. 198.18.0.1:7441 or "
                                 "[2001:db8::1]:7441");
        }
      }
    }
    if (r_.require(n, "server_key_file", path)) {
      const auto k = YamlReader::get(n, "server_key_file");
      if (auto file = r_.string(k, member(path, "server_key_file"))) {
        if (file->empty() || file->front() != '/') {
          r_.error(k, member(path, "server_key_file"), "'" + *file + "' must be an absolute path");
        } else {
          ep.server_key_file = *file;
        }
      }
    }
    if (r_.require(n, "allowed_clients", path)) {
      const auto list = YamlReader::get(n, "allowed_clients");
      const std::string lpath = member(path, "allowed_clients");
      if (r_.sequence(list, lpath)) {
        if (list.size() == 0) {
          r_.error(list, lpath, "needs at least one client public key (CURVE lets only these in)");
        }
        for (std::size_t i = 0; i < list.size(); ++i) {
          auto key = r_.string(list[i], indexed(lpath, i));
          if (!key) continue;
          if (!is_z85_key(*key)) {
            r_.error(list[i], indexed(lpath, i),
                     "is not a CURVE public key; use the 40-character Z85 text that "
                     "lifelinectl keygen prints");
          } else if (std::find(ep.allowed_clients.begin(), ep.allowed_clients.end(), *key) ==
                     ep.allowed_clients.end()) {
            ep.allowed_clients.push_back(*key);
          }
        }
      }
    }
    if (r_.error_count() != before) return std::nullopt;
    return ep;
  }

  // ---- links --------------------------------------------------------------------------
  void parse_links(const YAML::Node& list) {
    if (!r_.sequence(list, "links")) return;
    if (list.size() == 0) {
      r_.error(list, "links", "needs at least one link");
      return;
    }
    links_usable_ = true;
    std::vector<Positioned> carried;  // carried_over reference per parsed link
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = indexed("links", i);
      LinkConfig link;
      Positioned over;
      if (parse_link(list[i], path, link, over)) {
        link_marks_.push_back(list[i].Mark());
        config_.links.push_back(std::move(link));
        carried.push_back(std::move(over));
      }
    }
    check_links(carried);
  }

  bool parse_link(const YAML::Node& n, const std::string& path, LinkConfig& link,
                  Positioned& over) {
    if (!r_.map(n, path,
                {"name", "interface", "gateway", "gateway6", "kind", "capacity", "risk_groups",
                 "carried_over", "detect", "sla", "probes", "quorum", "attestation", "path_integrity",
                 "radio"})) {
      return false;
    }
    // A link with errors is still kept (the Config is refused anyway), so that classes that
    // name it are not also reported as naming an unknown link.
    if (r_.require(n, "name", path)) {
      const auto node = YamlReader::get(n, "name");
      if (auto name = r_.string(node, member(path, "name"))) {
        if (is_name(*name, kMaxLinkName)) {
          link.name = *name;
        } else {
          rejected_link_names_.insert(*name);
          r_.error(node, member(path, "name"),
                   "'" + *name +
                       "' is not a valid link name; use 1-15 characters from a-z, 0-9 "
                       "and '-'");
        }
      }
    }
    if (r_.require(n, "interface", path)) {
      const auto node = YamlReader::get(n, "interface");
      if (auto name = r_.string(node, member(path, "interface"))) {
        if (is_interface_name(*name)) {
          link.interface = *name;
        } else {
          r_.error(node, member(path, "interface"),
                   "'" + *name +
                       "' is not a valid interface name; use 1-15 characters without "
                       "'/', ':' or spaces");
        }
      }
    }
    if (auto g = YamlReader::get(n, "gateway"); !YamlReader::is_null(g)) {
      link.gateway = r_.address(g, member(path, "gateway"), Family::v4);
    }
    if (auto g = YamlReader::get(n, "gateway6"); !YamlReader::is_null(g)) {
      link.gateway6 = r_.address(g, member(path, "gateway6"), Family::v6);
    }
    if (r_.require(n, "kind", path)) {
      if (auto kind = r_.choice<LinkKind>(YamlReader::get(n, "kind"), member(path, "kind"),
                                          {{"cellular", LinkKind::cellular},
                                           {"satellite", LinkKind::satellite},
                                           {"cloud", LinkKind::cloud},
                                           {"wired", LinkKind::wired}})) {
        link.kind = *kind;
      }
    }
    if (auto c = YamlReader::get(n, "capacity"); !YamlReader::is_null(c)) {
      link.capacity = r_.rate(c, member(path, "capacity"));
    }
    if (auto groups = YamlReader::get(n, "risk_groups"); !YamlReader::is_null(groups)) {
      const std::string gpath = member(path, "risk_groups");
      if (r_.sequence(groups, gpath)) {
        for (std::size_t i = 0; i < groups.size(); ++i) {
          auto name = r_.string(groups[i], indexed(gpath, i));
          if (!name) continue;
          if (!is_name(*name, kMaxClassName)) {
            r_.error(groups[i], indexed(gpath, i),
                     "'" + *name +
                         "' is not a valid group name; use 1-31 characters from a-z, "
                         "0-9 and '-'");
          } else if (std::find(link.risk_groups.begin(), link.risk_groups.end(), *name) ==
                     link.risk_groups.end()) {
            link.risk_groups.push_back(*name);
          }
        }
      }
    }
    if (auto c = YamlReader::get(n, "carried_over"); !YamlReader::is_null(c)) {
      if (auto name = r_.string(c, member(path, "carried_over"))) {
        if (name->empty()) {
          // Without this, "" would pass every later check (they skip links that ride over
          // nothing) and leave a carried_over that names no link.
          r_.error(c, member(path, "carried_over"),
                   "is an empty name; name the link this one rides over, or leave it out");
        } else {
          over = {*name, c.Mark()};
          link.carried_over = *name;
        }
      }
    }
    link.detect = default_detect(link.kind);
    if (auto d = YamlReader::get(n, "detect"); !YamlReader::is_null(d)) {
      parse_detect(d, member(path, "detect"), link.detect);
    }
    if (auto s = YamlReader::get(n, "sla"); !YamlReader::is_null(s)) {
      parse_sla(s, member(path, "sla"), link.sla);
    }
    if (r_.require(n, "probes", path)) {
      const auto probes = YamlReader::get(n, "probes");
      const std::string ppath = member(path, "probes");
      if (r_.sequence(probes, ppath)) {
        if (probes.size() == 0) r_.error(probes, ppath, "needs at least one probe");
        if (probes.size() > kMaxProbes) {
          r_.error(probes, ppath,
                   "has " + std::to_string(probes.size()) + " probes; at most " +
                       std::to_string(kMaxProbes) + " per link");
        }
        for (std::size_t i = 0; i < probes.size(); ++i) {
          ProbeConfig probe;
          if (parse_probe(probes[i], indexed(ppath, i), probe)) link.probes.push_back(probe);
        }
      }
    }
    if (auto q = YamlReader::get(n, "quorum"); !YamlReader::is_null(q)) {
      // Bounded by the probes as written (not only the valid ones), so that a broken probe
      // is reported once, not again as a quorum out of range.
      const auto probes = YamlReader::get(n, "probes");
      const bool counted = probes.IsSequence() && probes.size() > 0;
      const auto count = static_cast<std::int64_t>(counted ? probes.size() : kMaxQuorum);
      if (auto v = r_.integer(q, member(path, "quorum"), 1, count,
                              counted ? "the number of probes of this link" : "")) {
        link.quorum = static_cast<std::uint32_t>(*v);
      }
    }
    if (auto pi = YamlReader::get(n, "path_integrity"); !YamlReader::is_null(pi)) {
      const auto ppath = member(path, "path_integrity");
      if (r_.map(pi, ppath, {"auth_failures", "replays", "hop_limit", "rtt_floor"})) {
        verdict(pi, ppath, "auth_failures", link.path_integrity.auth_failures);
        verdict(pi, ppath, "replays", link.path_integrity.replays);
        verdict(pi, ppath, "hop_limit", link.path_integrity.hop_limit);
        verdict(pi, ppath, "rtt_floor", link.path_integrity.rtt_floor);
      }
    }
    if (auto radio = YamlReader::get(n, "radio"); !YamlReader::is_null(radio)) {
      link.radio = RadioConfig{};
      parse_radio(radio, member(path, "radio"), *link.radio);
    }
    if (auto a = YamlReader::get(n, "attestation"); !YamlReader::is_null(a)) {
      if (auto text = r_.string(a, member(path, "attestation"))) {
        if (text->empty() || text->front() != '/') {
          r_.error(a, member(path, "attestation"),
                   "'" + *text + "' must be an absolute path (its signature is the same path + .minisig)");
        } else {
          link.attestation = *text;
        }
      }
    }
    return true;
  }

  // A finding's verdict: `key` of map `n`, when present.
  void verdict(const YAML::Node& n, const std::string& path, const char* key, Verdict& out) {
    if (auto v = YamlReader::get(n, key); v.IsDefined()) {
      if (auto x = r_.choice<Verdict>(v, member(path, key),
                                      {{"violation", Verdict::violation},
                                       {"suspicion", Verdict::suspicion},
                                       {"ignore", Verdict::ignore}})) {
        out = *x;
      }
    }
  }

  void parse_radio(const YAML::Node& n, const std::string& path, RadioConfig& radio) {
    if (!r_.map(n, path, {"feed", "modem", "min_rat", "plmns", "cells", "stale_after", "rsrp_jump_db", "rules"})) {
      return;
    }
    if (r_.require(n, "feed", path)) {
      const auto node = YamlReader::get(n, "feed");
      if (auto feed = r_.string(node, member(path, "feed"))) {
        const bool ipc = feed->starts_with("ipc:///") && feed->size() > 7;
        const bool tcp = feed->starts_with("tcp://") && feed->size() > 6;
        if (ipc || tcp) {
          radio.feed = *feed;
        } else {
          r_.error(node, member(path, "feed"),
                   "'" + *feed + "' is not a ZeroMQ endpoint we can connect to; use ipc:///path "
                   "(e.g. ipc:///run/lifeline/modem0.sock) or tcp://address:port");
        }
      }
    }
    if (r_.require(n, "modem", path)) {
      const auto node = YamlReader::get(n, "modem");
      if (auto modem = r_.string(node, member(path, "modem"))) {
        if (modem->empty() || modem->size() > 64) {
          r_.error(node, member(path, "modem"), "must be the modem's name on the feed, 1-64 characters");
        } else {
          radio.modem = *modem;
        }
      }
    }
    if (auto v = YamlReader::get(n, "min_rat"); !YamlReader::is_null(v)) {
      radio.min_rat = r_.choice<Rat>(v, member(path, "min_rat"),
                                     {{"gsm", Rat::gsm}, {"umts", Rat::umts}, {"lte", Rat::lte}, {"nr", Rat::nr}});
    }
    if (auto list = YamlReader::get(n, "plmns"); !YamlReader::is_null(list)) {
      const auto lpath = member(path, "plmns");
      if (r_.sequence(list, lpath)) {
        for (std::size_t i = 0; i < list.size(); ++i) {
          // Quoted or not: 24001 is an integer to YAML, "024001" must stay a string.
          auto plmn = r_.string(list[i], indexed(lpath, i));
          if (!plmn) continue;
          const bool digits = std::all_of(plmn->begin(), plmn->end(), [](char c) { return c >= '0' && c <= '9'; });
          if (!digits || plmn->size() < 5 || plmn->size() > 6) {
            r_.error(list[i], indexed(lpath, i),
                     "'" + *plmn + "' is not a PLMN; use MCC + MNC, 5 or 6 digits (e.g. \"24001\")");
          } else if (std::find(radio.plmns.begin(), radio.plmns.end(), *plmn) == radio.plmns.end()) {
            radio.plmns.push_back(*plmn);
          }
        }
      }
    }
    if (auto list = YamlReader::get(n, "cells"); !YamlReader::is_null(list)) {
      const auto lpath = member(path, "cells");
      if (r_.sequence(list, lpath)) {
        for (std::size_t i = 0; i < list.size(); ++i) {
          const auto cpath = indexed(lpath, i);
          if (!r_.map(list[i], cpath, {"tac", "cell_id"})) continue;
          SurveyedCell cell;
          bool ok = r_.require(list[i], "tac", cpath) && r_.require(list[i], "cell_id", cpath);
          if (!ok) continue;
          // 24-bit TAC (5G NR; LTE uses 16 bits of it), 36-bit NR cell identity (LTE: 28).
          auto tac = r_.integer(YamlReader::get(list[i], "tac"), member(cpath, "tac"), 0, 0xFFFFFF);
          auto id = r_.integer(YamlReader::get(list[i], "cell_id"), member(cpath, "cell_id"), 0,
                               (std::int64_t{1} << 36) - 1);
          if (!tac || !id) continue;
          cell.tac = static_cast<std::uint32_t>(*tac);
          cell.cell_id = static_cast<std::uint64_t>(*id);
          if (std::find(radio.cells.begin(), radio.cells.end(), cell) == radio.cells.end()) radio.cells.push_back(cell);
        }
      }
    }
    if (auto v = YamlReader::get(n, "stale_after"); !YamlReader::is_null(v)) {
      if (auto d = r_.duration(v, member(path, "stale_after"), 1s, std::chrono::hours(1))) radio.stale_after = *d;
    }
    if (auto v = YamlReader::get(n, "rsrp_jump_db"); !YamlReader::is_null(v)) {
      if (auto x = r_.integer(v, member(path, "rsrp_jump_db"), 6, 100)) radio.rsrp_jump_db = static_cast<double>(*x);
    }
    if (auto rules = YamlReader::get(n, "rules"); !YamlReader::is_null(rules)) {
      const auto rpath = member(path, "rules");
      if (r_.map(rules, rpath,
                 {"rat_below_min", "null_cipher", "plmn_not_allowed", "cell_not_surveyed", "tac_changed",
                  "rsrp_jump", "neighbours_vanished", "reject_burst", "feed_stale"})) {
        for (const auto& rule : kRadioRuleKeys) verdict(rules, rpath, rule.name, radio.rules.*rule.verdict);
      }
    }
  }

  void parse_detect(const YAML::Node& n, const std::string& path, DetectConfig& d) {
    if (!r_.map(n, path, {"interval", "multiplier", "rise", "min_stable"})) return;
    if (auto v = YamlReader::get(n, "interval"); v.IsDefined()) {
      if (auto x = r_.duration(v, member(path, "interval"), 1ms, 60s)) d.interval = *x;
    }
    if (auto v = YamlReader::get(n, "multiplier"); v.IsDefined()) {
      if (auto x = r_.integer(v, member(path, "multiplier"), 2, 255)) {
        d.multiplier = static_cast<std::uint32_t>(*x);
      }
    }
    if (auto v = YamlReader::get(n, "rise"); v.IsDefined()) {
      if (auto x = r_.integer(v, member(path, "rise"), 1, 100000)) {
        d.rise = static_cast<std::uint32_t>(*x);
      }
    }
    if (auto v = YamlReader::get(n, "min_stable"); v.IsDefined()) {
      if (auto x = r_.duration(v, member(path, "min_stable"), 0s, 1h)) d.min_stable = *x;
    }
  }

  void parse_sla(const YAML::Node& n, const std::string& path, SlaConfig& s) {
    if (!r_.map(n, path, {"rtt", "jitter", "loss", "window"})) return;
    if (auto v = YamlReader::get(n, "rtt"); v.IsDefined()) {
      s.rtt = r_.duration(v, member(path, "rtt"), 100us, 60s);
    }
    if (auto v = YamlReader::get(n, "jitter"); v.IsDefined()) {
      s.jitter = r_.duration(v, member(path, "jitter"), 10us, 60s);
    }
    if (auto v = YamlReader::get(n, "loss"); v.IsDefined()) {
      s.loss = loss_threshold(v, member(path, "loss"));
    }
    if (auto v = YamlReader::get(n, "window"); v.IsDefined()) {
      if (auto x = r_.duration(v, member(path, "window"), 1s, 10min)) s.window = *x;
    }
  }

  std::optional<double> loss_threshold(const YAML::Node& v, const std::string& path) {
    auto loss = r_.percent(v, path);
    if (loss && *loss <= 0) {
      r_.error(v, path, "must be above 0% (a threshold of 0% would fail on the first lost probe)");
      return std::nullopt;
    }
    return loss;
  }

  bool parse_probe(const YAML::Node& n, const std::string& path, ProbeConfig& probe) {
    if (!r_.map(n, path, {"type", "target", "key_file"})) return false;
    const auto before = r_.error_count();
    if (r_.require(n, "type", path)) {
      if (auto t = r_.choice<ProbeType>(
              YamlReader::get(n, "type"), member(path, "type"),
              {{"udp-echo", ProbeType::udp_echo}, {"icmp", ProbeType::icmp}})) {
        probe.type = *t;
      } else {
        return false;
      }
    } else {
      return false;
    }
    if (r_.require(n, "target", path)) {
      const auto node = YamlReader::get(n, "target");
      if (auto text = r_.string(node, member(path, "target"))) {
        parse_target(node, member(path, "target"), *text, probe);
      }
    }
    const auto key = YamlReader::get(n, "key_file");
    if (probe.type == ProbeType::udp_echo) {
      if (r_.require(n, "key_file", path)) {
        if (auto file = r_.string(key, member(path, "key_file"))) {
          if (file->empty() || file->front() != '/') {
            r_.error(key, member(path, "key_file"),
                     "'" + *file + "' must be an absolute path (the daemon runs from /)");
          } else {
            probe.key_file = *file;
          }
        }
      }
    } else if (key.IsDefined()) {
      r_.error(key, member(path, "key_file"),
               "only udp-echo probes are authenticated; remove key_file from an icmp probe");
    }
    return r_.error_count() == before;
  }

  void parse_target(const YAML::Node& node, const std::string& path, const std::string& text,
                    ProbeConfig& probe) {
    if (probe.type == ProbeType::icmp) {
      if (auto a = IpAddress::parse(text)) {
        probe.target = *a;
        return;
      }
      r_.error(node, path,
               "'" + text +
                   "' is not an IP address; an icmp target is an IPv4 or "
                   "IPv6 address (names are not resolved: a probe must not "
                   "depend on DNS)");
      return;
    }
    // udp-echo: "198.19.0.10:7070" or "[2001:db8::10]:7070".
    static constexpr const char* kForm =
        "a udp-echo target is address:port, e.g. 198.19.0.10:7070 or [2001:db8::10]:7070";
    const std::string_view t = text;
    std::string_view host;
    std::optional<std::string_view> port;
    if (!t.empty() && t.front() == '[') {
      const auto close = t.find(']');
      if (close == std::string_view::npos || (close + 1 < t.size() && t[close + 1] != ':')) {
        r_.error(node, path, "'" + text + "' is not address:port; " + kForm);
        return;
      }
      host = t.substr(1, close - 1);
      if (close + 1 < t.size()) port = t.substr(close + 2);
    } else if (const auto colon = t.find(':'); colon == std::string_view::npos) {
      host = t;
    } else if (t.find(':', colon + 1) != std::string_view::npos) {
      // Two or more colons: an IPv6 address. Without brackets its port cannot be told apart.
      r_.error(node, path,
               "'" + text +
                   "': write an IPv6 address in brackets, as in "
                   "[2001:db8::10]:7070");
      return;
    } else {
      host = t.substr(0, colon);
      port = t.substr(colon + 1);
    }
    const auto address = IpAddress::parse(host);
    if (host.empty()) {
      r_.error(node, path, "'" + text + "' has no address; " + kForm);
      return;
    }
    if (!address) {
      r_.error(node, path,
               "'" + std::string(host) + "' is not an IP address; " + kForm +
                   " (names are not resolved: a probe must not depend on DNS)");
      return;
    }
    if (t.front() == '[' && address->is_v4()) {
      r_.error(node, path,
               "'" + text +
                   "': brackets are for IPv6 addresses only; write an IPv4 "
                   "target without them, as in 198.19.0.10:7070");
      return;
    }
    if (!port) {
      r_.error(node, path, "'" + text + "' has no port; " + kForm);
      return;
    }
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), number);
    if (port->empty() || ec != std::errc() || end != port->data() + port->size() || number < 1 ||
        number > 65535) {
      r_.error(node, path,
               "'" + text + "' has port '" + std::string(*port) + "'; use a port from 1 to 65535");
      return;
    }
    probe.target = *address;
    probe.port = static_cast<std::uint16_t>(number);
  }

  void check_links(const std::vector<Positioned>& carried) {
    // Every lookup by name (classes, carried_over) resolves to the first link of that name.
    std::map<std::tuple<std::string, std::optional<IpAddress>, std::optional<IpAddress>>,
             std::size_t>
        next_hops;
    for (std::size_t i = 0; i < config_.links.size(); ++i) {
      const auto& link = config_.links[i];
      if (link.name.empty()) continue;
      auto [it, fresh] = link_by_name_.emplace(link.name, i);
      if (!fresh) {
        r_.error(link_marks_[i], indexed("links", i),
                 "link name '" + link.name + "' is already used at line " +
                     std::to_string(link_marks_[it->second].line + 1) + "; names must be unique");
      }
      if (link.interface.empty()) continue;
      auto [hop, new_hop] =
          next_hops.emplace(std::tuple{link.interface, link.gateway, link.gateway6}, i);
      if (!new_hop) {
        r_.error(link_marks_[i], indexed("links", i),
                 "link '" + link.name + "' has the same interface and gateways as link '" +
                     config_.links[hop->second].name +
                     "'; two links must differ in interface or next hop");
      }
    }
    // carried_over: must name another link, without cycles.
    const std::size_t n = config_.links.size();
    std::vector<std::optional<std::size_t>> underlay(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& ref = carried[i];
      if (ref.name.empty()) continue;
      if (ref.name == config_.links[i].name) {
        r_.error(ref.mark, member(indexed("links", i), "carried_over"),
                 "link '" + ref.name + "' cannot ride over itself; name the link that carries it");
        continue;
      }
      const auto found = link_by_name_.find(ref.name);
      if (found == link_by_name_.end()) {
        unknown_link(ref.mark, member(indexed("links", i), "carried_over"), ref.name);
        continue;
      }
      underlay[i] = found->second;
    }
    // Each link rides over at most one other, so following carried_over from any link ends
    // at a link that rides over nothing, or in a cycle. One walk per unvisited link, marking
    // what it passes, finds every cycle in linear time (a chain of thousands of links must
    // not stall a reload), and each cycle is reported once, where it first appears.
    enum class Seen : std::uint8_t { no, on_this_walk, done };
    std::vector<Seen> seen(n, Seen::no);
    std::vector<std::size_t> walk;
    for (std::size_t start = 0; start < n; ++start) {
      walk.clear();
      std::optional<std::size_t> at = start;
      while (at && seen[*at] == Seen::no) {
        seen[*at] = Seen::on_this_walk;
        walk.push_back(*at);
        at = underlay[*at];
      }
      if (at && seen[*at] == Seen::on_this_walk) {
        std::vector<std::size_t> cycle(std::find(walk.begin(), walk.end(), *at), walk.end());
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        // A cycle through thousands of links is named by its first few.
        constexpr std::size_t kShown = 8;
        std::string chain;
        for (std::size_t k = 0; k < cycle.size() && k < kShown; ++k) {
          chain += config_.links[cycle[k]].name + " -> ";
        }
        if (cycle.size() > kShown) {
          chain += "... (" + std::to_string(cycle.size()) + " links) -> ";
        }
        chain += config_.links[cycle.front()].name;
        r_.error(carried[cycle.front()].mark,
                 member(indexed("links", cycle.front()), "carried_over"),
                 "carried_over forms a cycle: " + chain +
                     "; a link cannot ride over itself, even through other links");
      }
      for (const auto l : walk) seen[l] = Seen::done;
    }
  }

  void unknown_link(const YAML::Mark& mark, const std::string& path, const std::string& name) {
    // Already reported: the links list itself is unusable, or a link was given this name and
    // it was refused. Saying again that no link has it would only bury the first error.
    if (!links_usable_ || rejected_link_names_.contains(name)) return;
    std::vector<std::string_view> names;
    for (const auto& l : config_.links) {
      if (!l.name.empty()) names.push_back(l.name);
    }
    std::string message = "no link is called '" + name + "'";
    if (auto guess = did_you_mean(name, names); !guess.empty()) {
      message += "; did you mean '" + guess + "'?";
    } else if (!names.empty()) {
      message += "; links are " + one_of(names);
    }
    r_.error(mark, path, std::move(message));
  }

  // ---- classes ------------------------------------------------------------------------
  void parse_classes(const YAML::Node& list) {
    if (!r_.sequence(list, "classes")) return;
    if (list.size() == 0) {
      r_.error(list, "classes", "needs at least one traffic class");
      return;
    }
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = indexed("classes", i);
      ClassConfig cls;
      if (!parse_class(list[i], path, cls)) continue;
      auto [it, fresh] = seen.emplace(cls.name, list[i].Mark().line + 1);
      if (!fresh) {
        r_.error(list[i], path,
                 "class name '" + cls.name + "' is already used at line " +
                     std::to_string(it->second) + "; names must be unique");
        continue;
      }
      config_.classes.push_back(std::move(cls));
    }
  }

  bool parse_class(const YAML::Node& n, const std::string& path, ClassConfig& cls) {
    if (!r_.map(n, path,
                {"name", "precedence", "match", "links", "require", "rate", "when_none", "failback",
                 "preempt"})) {
      return false;
    }
    const auto before = r_.error_count();
    if (r_.require(n, "name", path)) {
      const auto node = YamlReader::get(n, "name");
      if (auto name = r_.string(node, member(path, "name"))) {
        if (is_name(*name, kMaxClassName)) {
          cls.name = *name;
        } else {
          r_.error(node, member(path, "name"),
                   "'" + *name +
                       "' is not a valid class name; use 1-31 characters from a-z, "
                       "0-9 and '-'");
        }
      }
    }
    if (r_.require(n, "precedence", path)) {
      if (auto p =
              r_.choice<Precedence>(YamlReader::get(n, "precedence"), member(path, "precedence"),
                                    {{"flash-override", Precedence::flash_override},
                                     {"flash", Precedence::flash},
                                     {"immediate", Precedence::immediate},
                                     {"priority", Precedence::priority},
                                     {"routine", Precedence::routine}})) {
        cls.precedence = *p;
      }
    }
    if (r_.require(n, "match", path)) {
      parse_match(YamlReader::get(n, "match"), member(path, "match"), cls.match);
    }
    if (r_.require(n, "links", path)) {
      parse_class_links(YamlReader::get(n, "links"), member(path, "links"), cls);
    }
    if (auto req = YamlReader::get(n, "require"); !YamlReader::is_null(req)) {
      const std::string rpath = member(path, "require");
      if (r_.map(req, rpath, {"rtt", "jitter", "loss", "trust", "integrity"})) {
        if (auto v = YamlReader::get(req, "rtt"); v.IsDefined()) {
          cls.require.rtt = r_.duration(v, member(rpath, "rtt"), 100us, 60s);
        }
        if (auto v = YamlReader::get(req, "jitter"); v.IsDefined()) {
          cls.require.jitter = r_.duration(v, member(rpath, "jitter"), 10us, 60s);
        }
        if (auto v = YamlReader::get(req, "loss"); v.IsDefined()) {
          cls.require.loss = loss_threshold(v, member(rpath, "loss"));
        }
        if (auto v = YamlReader::get(req, "trust"); v.IsDefined()) {
          if (auto t = r_.choice<TrustRequirement>(v, member(rpath, "trust"),
                                                   {{"any", TrustRequirement::any},
                                                    {"attested", TrustRequirement::attested}})) {
            cls.require.trust = *t;
          }
        }
        if (auto v = YamlReader::get(req, "integrity"); v.IsDefined()) {
          if (auto b = r_.boolean(v, member(rpath, "integrity"))) cls.require.integrity = *b;
        }
      }
    }
    if (auto v = YamlReader::get(n, "rate"); !YamlReader::is_null(v)) {
      cls.rate = r_.rate(v, member(path, "rate"));
    }
    if (r_.require(n, "when_none", path)) {
      const auto node = YamlReader::get(n, "when_none");
      if (auto w =
              r_.choice<WhenNone>(node, member(path, "when_none"),
                                  {{"blackhole", WhenNone::blackhole}, {"main", WhenNone::main}})) {
        cls.when_none = *w;
      }
    }
    if (auto v = YamlReader::get(n, "failback"); !YamlReader::is_null(v)) {
      if (auto d = r_.duration(v, member(path, "failback"), 0s, 24h)) cls.failback = *d;
    }
    if (auto v = YamlReader::get(n, "preempt"); !YamlReader::is_null(v)) {
      if (auto b = r_.boolean(v, member(path, "preempt"))) cls.preempt = *b;
    }
    if (cls.rate && r_.error_count() == before) check_rate_fits(n, path, cls);
    return r_.error_count() == before;
  }

  void parse_class_links(const YAML::Node& list, const std::string& path, ClassConfig& cls) {
    if (!r_.sequence(list, path)) return;
    if (list.size() == 0) {
      r_.error(list, path, "needs at least one link (in order of preference)");
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto name = r_.string(list[i], indexed(path, i));
      if (!name) continue;
      if (!link_by_name_.contains(*name)) {
        unknown_link(list[i].Mark(), indexed(path, i), *name);
      } else if (std::find(cls.links.begin(), cls.links.end(), *name) != cls.links.end()) {
        r_.error(list[i], indexed(path, i),
                 "link '" + *name +
                     "' is listed twice; list each link once, in order of "
                     "preference");
      } else {
        cls.links.push_back(*name);
      }
    }
  }

  void check_rate_fits(const YAML::Node& n, const std::string& path, const ClassConfig& cls) {
    if (cls.links.empty()) return;  // its links were refused, and reported, elsewhere
    for (const auto& name : cls.links) {
      const auto found = link_by_name_.find(name);
      if (found == link_by_name_.end()) return;
      const auto& capacity = config_.links[found->second].capacity;
      if (!capacity || *capacity >= *cls.rate) return;
    }
    r_.error(YamlReader::get(n, "rate"), member(path, "rate"),
             format_rate(*cls.rate) +
                 " is more than the capacity of every link the class may "
                 "use, so it could never be placed");
  }

  void parse_match(const YAML::Node& n, const std::string& path, MatchConfig& m) {
    if (!r_.map(n, path, {"dscp", "sources", "destinations", "protocols", "ports"})) return;
    const auto before = r_.error_count();
    if (auto list = YamlReader::get(n, "dscp"); !YamlReader::is_null(list)) {
      named_numbers(list, member(path, "dscp"), kDscpNames, 63, "DSCP", m.dscp);
    }
    if (auto list = YamlReader::get(n, "sources"); !YamlReader::is_null(list)) {
      prefixes(list, member(path, "sources"), m.sources);
    }
    if (auto list = YamlReader::get(n, "destinations"); !YamlReader::is_null(list)) {
      prefixes(list, member(path, "destinations"), m.destinations);
    }
    if (auto list = YamlReader::get(n, "protocols"); !YamlReader::is_null(list)) {
      named_numbers(list, member(path, "protocols"), kProtocolNames, 255, "protocol", m.protocols);
    }
    if (auto list = YamlReader::get(n, "ports"); !YamlReader::is_null(list)) {
      ports(list, member(path, "ports"), m.ports);
      if (!m.ports.empty()) {
        for (const auto p : m.protocols) {
          if (!has_ports(p)) {
            r_.error(list, member(path, "ports"),
                     "ports only apply to tcp, udp, sctp or udplite, but protocols also lists " +
                         protocol_name(p) + "; put port-less protocols in a separate class");
            break;
          }
        }
      }
    }
    if (m.dscp.empty() && m.sources.empty() && m.destinations.empty() && m.protocols.empty() &&
        m.ports.empty() && r_.error_count() == before) {
      r_.error(n, path,
               "needs at least one non-empty key: dscp, sources, destinations, "
               "protocols or ports");
    }
  }

  void named_numbers(const YAML::Node& list, const std::string& path, const auto& table,
                     std::int64_t max, const char* what, std::vector<std::uint8_t>& out) {
    if (!r_.sequence(list, path)) return;
    const auto names = names_of(table);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string ipath = indexed(path, i);
      auto text = r_.string(list[i], ipath);
      if (!text) continue;
      std::optional<std::uint8_t> value;
      for (const auto& entry : table) {
        if (*text == entry.name) value = entry.value;
      }
      if (!value && !text->empty() && std::isdigit(static_cast<unsigned char>(text->front()))) {
        if (auto v = r_.integer(list[i], ipath, 0, max)) value = static_cast<std::uint8_t>(*v);
        if (!value) continue;
      }
      if (!value) {
        std::string message = "'" + *text + "' is not a " + std::string(what) + "; use 0-" +
                              std::to_string(max) + " or one of " + one_of(names);
        if (auto guess = did_you_mean(*text, names); !guess.empty()) {
          message =
              "'" + *text + "' is not a " + std::string(what) + "; did you mean '" + guess + "'?";
        }
        r_.error(list[i], ipath, std::move(message));
        continue;
      }
      // `[ef, 46]` names one value twice; that is harmless, keep it once.
      if (std::find(out.begin(), out.end(), *value) == out.end()) out.push_back(*value);
    }
  }

  void prefixes(const YAML::Node& list, const std::string& path, std::vector<Prefix>& out) {
    if (!r_.sequence(list, path)) return;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (auto p = r_.prefix(list[i], indexed(path, i))) {
        if (std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
      }
    }
  }

  void ports(const YAML::Node& list, const std::string& path, std::vector<PortRange>& out) {
    if (!r_.sequence(list, path)) return;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string ipath = indexed(path, i);
      auto text = r_.string(list[i], ipath);
      if (!text) continue;
      const auto dash = text->find('-');
      auto number = [](std::string_view s) -> std::optional<unsigned> {
        unsigned v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 65535)
          return std::nullopt;
        return v;
      };
      const std::string_view t = *text;
      const auto first = number(t.substr(0, dash));
      const auto last = dash == std::string::npos ? first : number(t.substr(dash + 1));
      if (!first || !last) {
        r_.error(list[i], ipath,
                 "'" + *text +
                     "' is not a port; use 1-65535 or a range like "
                     "10000-20000");
        continue;
      }
      if (*first > *last) {
        r_.error(list[i], ipath, "'" + *text + "' is an empty range; write the lower port first");
        continue;
      }
      out.push_back({static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)});
    }
  }

  // ---- dampening ----------------------------------------------------------------------
  void parse_dampening(const YAML::Node& n) {
    const std::string path = "dampening";
    if (!r_.map(n, path, {"half_life", "penalty", "suppress", "reuse", "max_suppress"})) return;
    auto& d = config_.dampening;
    const auto before = r_.error_count();
    if (auto v = YamlReader::get(n, "half_life"); v.IsDefined()) {
      if (auto x = r_.duration(v, member(path, "half_life"), 1s, 24h)) d.half_life = *x;
    }
    if (auto v = YamlReader::get(n, "penalty"); v.IsDefined()) {
      if (auto x = r_.integer(v, member(path, "penalty"), 1, 1'000'000)) d.penalty = *x;
    }
    if (auto v = YamlReader::get(n, "suppress"); v.IsDefined()) {
      if (auto x = r_.integer(v, member(path, "suppress"), 1, 1'000'000)) d.suppress = *x;
    }
    if (auto v = YamlReader::get(n, "reuse"); v.IsDefined()) {
      if (auto x = r_.integer(v, member(path, "reuse"), 1, 1'000'000)) d.reuse = *x;
    }
    if (auto v = YamlReader::get(n, "max_suppress"); v.IsDefined()) {
      if (auto x = r_.duration(v, member(path, "max_suppress"), 1s, 24h)) d.max_suppress = *x;
    }
    if (r_.error_count() != before) return;
    // Point at the value the operator most likely has to change, when it is in the file.
    const auto at = [&n](std::string_view first, std::string_view second) {
      if (const auto v = YamlReader::get(n, first); v.IsDefined()) return v.Mark();
      if (const auto v = YamlReader::get(n, second); v.IsDefined()) return v.Mark();
      return n.Mark();
    };
    if (d.reuse >= d.suppress) {
      r_.error(at("reuse", "suppress"), path,
               "reuse (" + std::to_string(static_cast<long>(d.reuse)) +
                   ") must be below suppress (" + std::to_string(static_cast<long>(d.suppress)) +
                   "): a link is suppressed above suppress and reused below reuse");
      return;
    }
    // RFC 2439 4.2: the penalty ceiling is reuse * 2^(max_suppress / half_life). If that is
    // not above suppress, no link could ever be suppressed.
    const double ceiling =
        d.reuse * std::exp2(to_seconds(d.max_suppress) / to_seconds(d.half_life));
    if (ceiling <= d.suppress) {
      // The shortest max_suppress that works: half_life * log2(suppress / reuse), rounded up
      // to the next whole second (strictly above, as the ceiling must exceed suppress).
      const double needed = to_seconds(d.half_life) * std::log2(d.suppress / d.reuse);
      const auto minimum = std::chrono::seconds(static_cast<std::int64_t>(std::floor(needed)) + 1);
      r_.error(at("max_suppress", "half_life"), path,
               "max_suppress " + format_duration(d.max_suppress) + " is too short for half_life " +
                   format_duration(d.half_life) +
                   ": the penalty ceiling, reuse x 2^(max_suppress "
                   "/ half_life) = " +
                   std::to_string(static_cast<long>(ceiling)) + ", never reaches suppress (" +
                   std::to_string(static_cast<long>(d.suppress)) +
                   "); make max_suppress at least " + format_duration(minimum) +
                   ", or lower reuse");
    }
  }

  YamlReader& r_;
  Config config_;
  std::vector<YAML::Mark> link_marks_;
  std::unordered_map<std::string, std::size_t> link_by_name_;  // first link of each name
  bool links_usable_ = false;                                  // `links` is a non-empty list
  std::set<std::string, std::less<>> rejected_link_names_;     // names refused as invalid
};

}  // namespace

LoadResult load_config_text(std::string_view yaml, const std::string& name) {
  YamlReader reader(name);
  const YAML::Node root = reader.parse(yaml);
  LoadResult result;
  ConfigParser parser(reader);
  result.config = parser.parse(root);
  result.errors = reader.take_diagnostics();
  if (!result.errors.empty()) result.config.reset();
  return result;
}

LoadResult load_config_file(const std::string& path) {
  LoadResult result;
  const auto text = read_text_file(path, result.errors);
  if (!text) return result;
  return load_config_text(*text, path);
}

}  // namespace lifeline::config
