#include "links/probes/endpoint.hpp"

#include <netinet/in.h>

#include <cstring>

namespace lifeline::probes {

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& error) {
  const std::string allowed = "; use ADDRESS:PORT, or [IPV6-ADDRESS]:PORT";
  std::string_view address_text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "'" + std::string(text) + "' is not an endpoint" + allowed;
      return std::nullopt;
    }
    address_text = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "'" + std::string(text) + "' has no port" + allowed;
      return std::nullopt;
    }
    address_text = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (address_text.find(':') != std::string_view::npos) {
      error = "'" + std::string(text) + "': an IPv6 address needs brackets" + allowed;
      return std::nullopt;
    }
  }
  const auto address = IpAddress::parse(address_text);
  if (!address) {
    error = "'" + std::string(address_text) + "' is not an IP address" + allowed;
    return std::nullopt;
  }
  const bool bracketed = text.front() == '[';
  if (bracketed != !address->is_v4()) {
    error = "'" + std::string(text) + "': only IPv6 addresses take brackets" + allowed;
    return std::nullopt;
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    error = "'" + std::string(port_text) + "' is not a port; use 0-65535";
    return std::nullopt;
  }
  unsigned long port = 0;
  for (char c : port_text) port = port * 10 + static_cast<unsigned long>(c - '0');
  if (port > 65535) {
    error = "'" + std::string(port_text) + "' is not a port; use 0-65535";
    return std::nullopt;
  }
  return Endpoint{*address, static_cast<std::uint16_t>(port), 0};
}

std::string to_string(const Endpoint& endpoint) {
  const std::string port = std::to_string(endpoint.port);
  if (endpoint.address.is_v4()) return endpoint.address.to_string() + ":" + port;
  return "[" + endpoint.address.to_string() + "]:" + port;
}

socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof storage);
  if (endpoint.address.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(endpoint.port);
    std::memcpy(&sin.sin_addr, endpoint.address.bytes().data(), 4);
    std::memcpy(&storage, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(endpoint.port);
  sin6.sin6_scope_id = endpoint.scope_id;
  std::memcpy(&sin6.sin6_addr, endpoint.address.bytes().data(), 16);
  std::memcpy(&storage, &sin6, sizeof sin6);
  return sizeof sin6;
}

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& storage, socklen_t length) {
  if (storage.ss_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin{};
    std::memcpy(&sin, &storage, sizeof sin);
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &sin.sin_addr, 4);
    return Endpoint{IpAddress::v4(bytes), ntohs(sin.sin_port), 0};
  }
  if (storage.ss_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &storage, sizeof sin6);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
    return Endpoint{IpAddress::v6(bytes), ntohs(sin6.sin6_port), sin6.sin6_scope_id};
  }
  return std::nullopt;
}

bool is_link_local(const IpAddress& address) {
  return !address.is_v4() && address.bytes()[0] == 0xfe && (address.bytes()[1] & 0xc0) == 0x80;
}

}  // namespace lifeline::probes
