// An IP address and a port, as the probe sockets and the reflector use them: text forms
// ("198.18.0.1:7070", "[2001:db8::1]:7070") and the sockaddr the kernel wants.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/address.hpp"

namespace lifeline::probes {

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;  // IPv6 link-local only: the interface index
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), port 0-65535. nullopt with `error` set when not.
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& error);
std::string to_string(const Endpoint& endpoint);

// Fills `storage`; returns the length to pass with it.
socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& storage);
// nullopt for families other than AF_INET/AF_INET6 or a short length.
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& storage, socklen_t length);

// fe80::/10: needs an interface (scope id) to be reachable.
bool is_link_local(const IpAddress& address);

}  // namespace lifeline::probes
