// IP addresses and prefixes as values. Parsed once at config load; everything after that
// works with these types, never with strings (CONVENTIONS.md: "Addresses and prefixes are
// types, not strings, after parsing").
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lifeline {

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  // Accepts dotted-quad IPv4 or RFC 4291 text IPv6 (no brackets, no zone).
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  // Network byte order; 4 significant bytes for IPv4, 16 for IPv6.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  Prefix(IpAddress network, std::uint8_t length) : network_(network), length_(length) {}

  enum class ParseError { syntax, length_out_of_range, host_bits_set };
  struct Parsed;
  // "198.18.10.0/26", "2001:db8::/32"; a bare address is a host prefix (/32 or /128).
  static Parsed parse(std::string_view text);

  const IpAddress& network() const { return network_; }
  std::uint8_t length() const { return length_; }
  Family family() const { return network_.family(); }
  bool contains(const IpAddress& address) const;
  std::string to_string() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;

 private:
  IpAddress network_;
  std::uint8_t length_ = 0;
};

struct Prefix::Parsed {
  std::optional<Prefix> prefix;
  std::optional<ParseError> error;
  IpAddress address;
  std::uint8_t length = 0;
  Prefix masked() const;  // when error == host_bits_set: the prefix it probably meant
};

// Zeroes every bit of `address` after the first `length` bits.
IpAddress mask_address(const IpAddress& address, std::uint8_t length);

}  // namespace lifeline
