// ICMP and ICMPv6 echo as the ICMP prober sends and reads them (docs/protocol.md): pure
// functions of bytes. A probe carries the daemon's session id and the full 64-bit sequence
// number in its payload, which the far end echoes, so a reply is matched to exactly one probe
// of this run; the 16-bit ICMP sequence field holds the low bits, for packet captures.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "common/address.hpp"
#include "links/probes/prober.hpp"

namespace lifeline::probes::icmp {

inline constexpr std::uint8_t kEchoRequestV4 = 8;
inline constexpr std::uint8_t kEchoReplyV4 = 0;
inline constexpr std::uint8_t kEchoRequestV6 = 128;
inline constexpr std::uint8_t kEchoReplyV6 = 129;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kPayloadSize = 16;  // session id, sequence number
inline constexpr std::size_t kMessageSize = kHeaderSize + kPayloadSize;

using Message = std::array<std::uint8_t, kMessageSize>;

// RFC 1071: the value for the checksum field of `bytes` (whose checksum field is zero), or 0
// when `bytes` (checksum included) verifies.
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

// RFC 4443 2.3: the ICMPv6 checksum over the IPv6 pseudo-header and `message`. The prober
// does not need it (the kernel computes and verifies it for raw ICMPv6 sockets, RFC 3542
// 3.1), the tests do.
std::uint16_t icmpv6_checksum(const std::array<std::uint8_t, 16>& source,
                              const std::array<std::uint8_t, 16>& destination,
                              std::span<const std::uint8_t> message);

// An echo request. IPv4: checksum filled in. IPv6: checksum left 0 for the kernel.
Message encode_echo_request(Family family, std::uint16_t identifier, std::uint64_t session,
                            std::uint64_t seq);

enum class DecodeStatus : std::uint8_t {
  echo_reply,
  bad_checksum,  // an IPv4 echo reply whose checksum fails (reply fields set, untrustworthy)
  other,         // not an echo reply
  malformed,     // too short, or not what the socket can deliver
};

struct EchoReply {
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  std::span<const std::uint8_t> payload;  // points into the decoded bytes
  int ttl = -1;                           // IPv4: from the IP header; IPv6: unknown here
};

struct Decoded {
  DecodeStatus status = DecodeStatus::malformed;
  EchoReply reply;  // set when status is echo_reply or bad_checksum
};

// What a raw socket of `family` delivers: for IPv4 the IP header and the ICMP message (the
// ICMP checksum is verified here: raw sockets see packets before icmp_rcv checks them); for
// IPv6 the ICMPv6 message alone (the kernel has verified its checksum).
Decoded decode(Family family, std::span<const std::uint8_t> datagram);

struct Classified {
  ReplyStatus status = ReplyStatus::malformed;
  std::uint64_t seq = 0;
};

// What a datagram read by the prober with `identifier` and `session` means: nullopt when it
// is not an echo reply to this prober (someone else's ICMP: ignore it), else its status and
// the probe's sequence number.
std::optional<Classified> classify_reply(Family family, std::span<const std::uint8_t> datagram,
                                         std::uint16_t identifier, std::uint64_t session);

}  // namespace lifeline::probes::icmp
