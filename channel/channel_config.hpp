// The configuration of lifeline-channel, the incident-sharing channel (docs/incidents.md):
// its two endpoints, its CURVE key, the bases it admits, the message size cap and an optional
// upstream channel. Loading is pure (text in, values or "file:line:column: ..." out), so every
// error an operator can make is unit-tested; key files are read when the channel starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.hpp"
#include "config/loader.hpp"

namespace lifeline::channel {

// A ZeroMQ endpoint, parsed: tcp://ADDRESS:PORT, tcp://NAME:PORT (upstream only: a DNS name
// is resolved by libzmq at each connect) or ipc:///ABSOLUTE/PATH.
struct Endpoint {
  enum class Transport { tcp, ipc };
  Transport transport = Transport::tcp;
  std::optional<IpAddress> address;  // tcp, when the host is an address
  std::string host_name;             // tcp, when the host is a DNS name
  std::uint16_t port = 0;            // tcp
  std::string path;                  // ipc

  std::string uri() const;  // what libzmq's bind/connect take
  bool needs_ipv6() const;  // ZMQ_IPV6 must be set (an IPv6 address, or a name that may be)
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// A client the channel admits: a base (its publisher and subscriber use one key pair), or a
// downstream channel (its upstream key pair).
struct AllowedClient {
  std::string name;        // for the logs only
  std::string public_key;  // Z85, 40 characters
  friend bool operator==(const AllowedClient&, const AllowedClient&) = default;
};

struct UpstreamConfig {
  Endpoint xsub;               // where this channel publishes what its bases publish
  Endpoint xpub;               // where it receives what the rest of the fleet publishes
  std::string server_key;      // the upstream channel's public key, Z85
  std::string curve_key_file;  // this channel's client key pair (default: its own key)
  friend bool operator==(const UpstreamConfig&, const UpstreamConfig&) = default;
};

inline constexpr std::uint64_t kDefaultMaxMessageSize = 64 * 1024;
// A report is a few KiB of JSON; below 1 KiB no report fits, above 16 MiB one client could
// make every subscriber's queue hold gigabytes (1000 messages per subscriber by default).
inline constexpr std::uint64_t kMinMessageSize = 1024;
inline constexpr std::uint64_t kMaxMessageSize = 16 * 1024 * 1024;

struct ChannelConfig {
  Endpoint xsub;  // bases publish here (bind, CURVE server)
  Endpoint xpub;  // bases subscribe here (bind, CURVE server)
  std::string curve_key_file;
  std::vector<AllowedClient> allowed_clients;
  std::uint64_t max_message_size = kDefaultMaxMessageSize;  // all frames of a message, bytes
  std::optional<UpstreamConfig> upstream;
  friend bool operator==(const ChannelConfig&, const ChannelConfig&) = default;
};

struct ChannelLoadResult {
  std::optional<ChannelConfig> config;
  std::vector<config::Diagnostic> errors;  // every problem found; config is empty if any
  bool ok() const { return config.has_value(); }
};

ChannelLoadResult load_channel_config_text(std::string_view yaml, const std::string& name);
ChannelLoadResult load_channel_config_file(const std::string& path);

// "64KiB", "1MiB", "512B" or a bare number of bytes; nullopt for anything else.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace lifeline::channel
