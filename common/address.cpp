#include "common/address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace lifeline {

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = Family::v4;
  for (std::size_t i = 0; i < 4; ++i) a.bytes_[i] = bytes[i];
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::v6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short, anything longer is wrong.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  text.copy(buffer, text.size());
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    a.family_ = Family::v4;
    if (inet_pton(AF_INET, buffer, a.bytes_.data()) != 1) return std::nullopt;
  } else {
    a.family_ = Family::v6;
    if (inet_pton(AF_INET6, buffer, a.bytes_.data()) != 1) return std::nullopt;
  }
  return a;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof buffer);
  return buffer;
}

IpAddress mask_address(const IpAddress& address, std::uint8_t length) {
  auto bytes = address.bytes();
  for (std::size_t i = 0; i < address.size(); ++i) {
    const int keep = static_cast<int>(length) - static_cast<int>(i * 8);
    if (keep >= 8) continue;
    bytes[i] = keep <= 0 ? 0 : static_cast<std::uint8_t>(bytes[i] & (0xff << (8 - keep)));
  }
  if (address.is_v4()) return IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  return IpAddress::v6(bytes);
}

Prefix Prefix::Parsed::masked() const {
  return Prefix(mask_address(address, length), length);
}

Prefix::Parsed Prefix::parse(std::string_view text) {
  Parsed result;
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    result.error = ParseError::syntax;
    return result;
  }
  const unsigned max_length = address->is_v4() ? 32 : 128;
  unsigned length = max_length;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      result.error = ParseError::syntax;
      return result;
    }
    if (length > max_length) {
      result.error = ParseError::length_out_of_range;
      return result;
    }
  }
  result.address = *address;
  result.length = static_cast<std::uint8_t>(length);
  if (mask_address(*address, result.length) != *address) {
    result.error = ParseError::host_bits_set;
    return result;
  }
  result.prefix = Prefix(*address, result.length);
  return result;
}

bool Prefix::contains(const IpAddress& address) const {
  return address.family() == family() && mask_address(address, length_) == network_;
}

std::string Prefix::to_string() const {
  return network_.to_string() + "/" + std::to_string(length_);
}

}  // namespace lifeline
