#include "channel/channel_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>
#include <utility>

#include "config/yaml_reader.hpp"
#include "zmq/curve_keys.hpp"

namespace lifeline::channel {
namespace {

using config::indexed;
using config::member;
using config::YamlReader;

constexpr std::size_t kMaxClientName = 63;
// sizeof(sockaddr_un::sun_path) - 1: libzmq refuses longer ipc paths only at bind time.
constexpr std::size_t kMaxIpcPath = 107;
constexpr std::size_t kMaxHostName = 253;

bool is_client_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxClientName) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxHostName || s.front() == '-' || s.front() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// What an endpoint may be, for error messages.
std::string endpoint_forms(bool names_allowed) {
  return std::string(
             "use tcp://ADDRESS:PORT (e.g. tcp://198.18.50.1:7444 or "
             "tcp://[2001:db8::1]:7444") +
         (names_allowed ? ", or tcp://HOST-NAME:PORT" : "") + ") or ipc:///ABSOLUTE/PATH";
}

// The endpoint in `text`, or nullopt with `error` saying why not. A bound endpoint must name an
// address (0.0.0.0 or :: for all of them): the channel listens there, and a DNS name would
// make that depend on the resolver at start-up.
std::optional<Endpoint> parse_endpoint(std::string_view text, bool names_allowed,
                                       std::string& error) {
  const std::string quoted = "'" + std::string(text) + "'";
  Endpoint ep;
  if (text.substr(0, 6) == "ipc://") {
    ep.transport = Endpoint::Transport::ipc;
    ep.path = std::string(text.substr(6));
    if (ep.path.empty() || ep.path.front() != '/') {
      error = quoted + " needs an absolute path after ipc:// (three slashes: ipc:///run/x.sock)";
      return std::nullopt;
    }
    if (ep.path.size() > kMaxIpcPath) {
      error = quoted + " is longer than a unix socket path may be (" + std::to_string(kMaxIpcPath) +
              " bytes)";
      return std::nullopt;
    }
    return ep;
  }
  if (text.substr(0, 6) != "tcp://") {
    error = quoted + " is not a ZeroMQ endpoint; " + endpoint_forms(names_allowed);
    return std::nullopt;
  }
  const std::string_view rest = text.substr(6);
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      error = quoted + " is not tcp://[IPV6-ADDRESS]:PORT";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    bracketed = true;
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || rest.find(':') != colon) {
      error = quoted + " needs a port (an IPv6 address goes in brackets); " +
              endpoint_forms(names_allowed);
      return std::nullopt;
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0 ||
      number > 65535) {
    error = quoted + ": the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  ep.port = static_cast<std::uint16_t>(number);
  if (auto address = IpAddress::parse(host)) {
    if (bracketed == address->is_v4()) {
      error = quoted + ": only an IPv6 address goes in brackets";
      return std::nullopt;
    }
    ep.address = *address;
    return ep;
  }
  if (bracketed || !is_host_name(host)) {
    error = quoted + ": '" + std::string(host) + "' is not an IP address" +
            (names_allowed ? " or a host name" : "");
    return std::nullopt;
  }
  if (!names_allowed) {
    error = quoted +
            ": the channel binds here, so the host must be an IP address (0.0.0.0 or "
            "[::] for all of them), not a name";
    return std::nullopt;
  }
  ep.host_name = std::string(host);
  return ep;
}

class ChannelParser {
 public:
  explicit ChannelParser(YamlReader& reader) : r_(reader) {}

  std::optional<ChannelConfig> parse(const YAML::Node& root) {
    if (!root.IsDefined()) return std::nullopt;  // a syntax error, already reported
    if (root.IsNull()) {
      r_.error(root, "",
               "the file is empty; it needs at least xsub, xpub, curve_key_file and "
               "allowed_clients (see config/examples/channel.yaml)");
      return std::nullopt;
    }
    if (!r_.map(root, "",
                {"xsub", "xpub", "curve_key_file", "allowed_clients", "max_message_size",
                 "upstream"})) {
      return std::nullopt;
    }
    ChannelConfig c;
    endpoints(root, "", false, c.xsub, c.xpub);
    absolute_path(root, "curve_key_file", "", c.curve_key_file);
    allowed_clients(root, c.allowed_clients);
    if (const auto n = YamlReader::get(root, "max_message_size"); n.IsDefined()) {
      max_message_size(n, c.max_message_size);
    }
    if (const auto n = YamlReader::get(root, "upstream"); !YamlReader::is_null(n)) {
      c.upstream = upstream(n, c);
    }
    if (r_.failed()) return std::nullopt;
    return c;
  }

 private:
  // Reads the required endpoint `key` of `map` into `out`; false when missing or bad.
  bool endpoint(const YAML::Node& map, std::string_view key, std::string_view parent,
                bool names_allowed, Endpoint& out) {
    const std::string path = member(parent, key);
    if (!r_.require(map, key, parent)) return false;
    const auto node = YamlReader::get(map, key);
    const auto text = r_.string(node, path);
    if (!text) return false;
    std::string error;
    auto parsed = parse_endpoint(*text, names_allowed, error);
    if (!parsed) {
      r_.error(node, path, error);
      return false;
    }
    out = std::move(*parsed);
    return true;
  }

  // The xsub and xpub endpoints of `map` (the channel's or its upstream's), which must differ;
  // whether each was read.
  std::pair<bool, bool> endpoints(const YAML::Node& map, std::string_view parent,
                                  bool names_allowed, Endpoint& xsub, Endpoint& xpub) {
    const bool xsub_ok = endpoint(map, "xsub", parent, names_allowed, xsub);
    const bool xpub_ok = endpoint(map, "xpub", parent, names_allowed, xpub);
    if (xsub_ok && xpub_ok && xsub == xpub) {
      r_.error(YamlReader::get(map, "xpub"), member(parent, "xpub"),
               "is the same endpoint as " + member(parent, "xsub") +
                   "; publishers and subscribers need one each");
    }
    return {xsub_ok, xpub_ok};
  }

  void absolute_path(const YAML::Node& map, std::string_view key, std::string_view parent,
                     std::string& out) {
    const std::string path = member(parent, key);
    if (!r_.require(map, key, parent)) return;
    const auto node = YamlReader::get(map, key);
    const auto text = r_.string(node, path);
    if (!text) return;
    if (text->empty() || text->front() != '/') {
      r_.error(node, path,
               "'" + *text +
                   "' must be an absolute path (e.g. "
                   "/etc/lifeline/keys/channel.curve)");
      return;
    }
    out = *text;
  }

  std::optional<std::string> curve_key(const YAML::Node& node, const std::string& path,
                                       std::string_view what) {
    const auto key = r_.string(node, path);
    if (!key) return std::nullopt;
    if (!curve::is_z85_key(*key)) {
      r_.error(node, path,
               "is not a CURVE public key; use the 40-character Z85 text of " + std::string(what) +
                   " (the public-key line that lifelinectl keygen prints)");
      return std::nullopt;
    }
    return key;
  }

  void allowed_clients(const YAML::Node& root, std::vector<AllowedClient>& out) {
    if (!r_.require(root, "allowed_clients", "")) return;
    const auto list = YamlReader::get(root, "allowed_clients");
    if (!r_.sequence(list, "allowed_clients")) return;
    if (list.size() == 0) {
      r_.error(list, "allowed_clients",
               "needs at least one client; the channel admits only the keys listed here");
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = indexed("allowed_clients", i);
      const auto entry = list[i];
      if (!r_.map(entry, path, {"name", "public_key"})) continue;
      std::optional<std::string> name;
      std::optional<std::string> key;
      if (r_.require(entry, "name", path)) {
        name = client_name(YamlReader::get(entry, "name"), member(path, "name"), out);
      }
      if (r_.require(entry, "public_key", path)) {
        key = client_key(YamlReader::get(entry, "public_key"), member(path, "public_key"), out);
      }
      if (name && key) out.push_back({std::move(*name), std::move(*key)});
    }
  }

  std::optional<std::string> client_name(const YAML::Node& node, const std::string& path,
                                         const std::vector<AllowedClient>& earlier) {
    auto name = r_.string(node, path);
    if (!name) return std::nullopt;
    if (!is_client_name(*name)) {
      r_.error(node, path,
               "'" + *name + "' is not a valid name; use 1-" + std::to_string(kMaxClientName) +
                   " letters, digits, '-', '.' or '_' (e.g. base-alpha-gw1)");
      return std::nullopt;
    }
    if (const auto other = find(earlier, &AllowedClient::name, *name)) {
      r_.error(node, path, "'" + *name + "' is also the name of " + *other + "; names must differ");
      return std::nullopt;
    }
    return name;
  }

  // The same key twice would make two names for one client, and the logs would lie about one.
  std::optional<std::string> client_key(const YAML::Node& node, const std::string& path,
                                        const std::vector<AllowedClient>& earlier) {
    auto key = curve_key(node, path, "the client's key");
    if (!key) return std::nullopt;
    if (const auto other = find(earlier, &AllowedClient::public_key, *key)) {
      r_.error(node, path,
               "is also the key of " + *other +
                   "; each base needs its own key pair (lifelinectl keygen)");
      return std::nullopt;
    }
    return key;
  }

  // "allowed_clients[N] (NAME)" of the client whose `field` is `value`, if there is one.
  static std::optional<std::string> find(const std::vector<AllowedClient>& clients,
                                         std::string AllowedClient::*field,
                                         const std::string& value) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (clients[i].*field == value) {
        return indexed("allowed_clients", i) + " (" + clients[i].name + ")";
      }
    }
    return std::nullopt;
  }

  void max_message_size(const YAML::Node& node, std::uint64_t& out) {
    const auto text = r_.string(node, "max_message_size");
    if (!text) return;
    const auto size = parse_byte_size(*text);
    if (!size) {
      r_.error(node, "max_message_size",
               "'" + *text + "' is not a size; use e.g. 64KiB, 1MiB or 65536 (bytes)");
      return;
    }
    if (*size < kMinMessageSize || *size > kMaxMessageSize) {
      r_.error(node, "max_message_size",
               *text + " is out of range; use 1KiB to 16MiB (a report is a few KiB)");
      return;
    }
    out = *size;
  }

  std::optional<UpstreamConfig> upstream(const YAML::Node& n, const ChannelConfig& own) {
    if (!r_.map(n, "upstream", {"xsub", "xpub", "server_key", "curve_key_file"})) {
      return std::nullopt;
    }
    const auto before = r_.error_count();
    UpstreamConfig up;
    const auto [xsub_ok, xpub_ok] = endpoints(n, "upstream", true, up.xsub, up.xpub);
    // A channel that is its own upstream would receive everything it forwards twice.
    for (const auto& [ok, ep, key] :
         {std::tuple{xsub_ok, &up.xsub, "xsub"}, std::tuple{xpub_ok, &up.xpub, "xpub"}}) {
      if (ok && (*ep == own.xsub || *ep == own.xpub)) {
        r_.error(YamlReader::get(n, key), member("upstream", key),
                 "is this channel's own endpoint; upstream names another channel");
      }
    }
    if (r_.require(n, "server_key", "upstream")) {
      if (auto key = curve_key(YamlReader::get(n, "server_key"), "upstream.server_key",
                               "the upstream channel's key")) {
        up.server_key = std::move(*key);
      }
    }
    if (YamlReader::present(n, "curve_key_file")) {
      absolute_path(n, "curve_key_file", "upstream", up.curve_key_file);
    } else {
      up.curve_key_file = own.curve_key_file;
    }
    if (r_.error_count() != before) return std::nullopt;
    return up;
  }

  YamlReader& r_;
};

}  // namespace

std::string Endpoint::uri() const {
  if (transport == Transport::ipc) return "ipc://" + path;
  std::string host = host_name;
  if (address) host = address->is_v4() ? address->to_string() : "[" + address->to_string() + "]";
  return "tcp://" + host + ":" + std::to_string(port);
}

bool Endpoint::needs_ipv6() const {
  if (transport != Transport::tcp) return false;
  return address ? !address->is_v4() : true;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1024;
  } else if (unit == "MiB") {
    scale = 1024 * 1024;
  } else {
    return std::nullopt;  // kB, KB, k: decimal or binary? Refuse rather than guess.
  }
  if (number > UINT64_MAX / scale) return std::nullopt;
  return number * scale;
}

ChannelLoadResult load_channel_config_text(std::string_view yaml, const std::string& name) {
  YamlReader reader(name);
  // Braces evaluate left to right: the diagnostics are taken after parsing.
  return {ChannelParser(reader).parse(reader.parse(yaml)), reader.take_diagnostics()};
}

ChannelLoadResult load_channel_config_file(const std::string& path) {
  std::vector<config::Diagnostic> errors;
  if (const auto text = config::read_text_file(path, errors)) {
    return load_channel_config_text(*text, path);
  }
  return {std::nullopt, std::move(errors)};
}

}  // namespace lifeline::channel
