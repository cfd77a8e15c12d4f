#include "links/probes/icmp_codec.hpp"

namespace lifeline::probes::icmp {
namespace {

constexpr std::uint8_t kProtocolIcmp = 1;
constexpr std::uint8_t kProtocolIcmpV6 = 58;

std::uint32_t sum16(std::span<const std::uint8_t> bytes, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2)
    sum += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);  // odd: pad with 0
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint64_t get64(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}
void put64(Message& m, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) m[at + i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

Decoded decode_message(std::span<const std::uint8_t> icmp, std::uint8_t reply_type) {
  Decoded d;
  if (icmp.size() < kHeaderSize) return d;
  if (icmp[0] != reply_type) {
    d.status = DecodeStatus::other;
    return d;
  }
  if (icmp[1] != 0) return d;  // echo reply has code 0
  d.status = DecodeStatus::echo_reply;
  d.reply.identifier = static_cast<std::uint16_t>(icmp[4] << 8 | icmp[5]);
  d.reply.sequence = static_cast<std::uint16_t>(icmp[6] << 8 | icmp[7]);
  d.reply.payload = icmp.subspan(kHeaderSize);
  return d;
}

}  // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
  return fold(sum16(bytes, 0));
}

std::uint16_t icmpv6_checksum(const std::array<std::uint8_t, 16>& source,
                              const std::array<std::uint8_t, 16>& destination,
                              std::span<const std::uint8_t> message) {
  std::uint32_t sum = sum16(source, 0);
  sum = sum16(destination, sum);
  const auto length = static_cast<std::uint32_t>(message.size());
  sum += length >> 16;
  sum += length & 0xffff;
  sum += kProtocolIcmpV6;
  return fold(sum16(message, sum));
}

Message encode_echo_request(Family family, std::uint16_t identifier, std::uint64_t session,
                            std::uint64_t seq) {
  Message m{};
  m[0] = family == Family::v4 ? kEchoRequestV4 : kEchoRequestV6;
  m[1] = 0;
  m[4] = static_cast<std::uint8_t>(identifier >> 8);
  m[5] = static_cast<std::uint8_t>(identifier);
  m[6] = static_cast<std::uint8_t>(seq >> 8);
  m[7] = static_cast<std::uint8_t>(seq);
  put64(m, kHeaderSize, session);
  put64(m, kHeaderSize + 8, seq);
  if (family == Family::v4) {
    const std::uint16_t c = internet_checksum(m);
    m[2] = static_cast<std::uint8_t>(c >> 8);
    m[3] = static_cast<std::uint8_t>(c);
  }
  return m;
}

Decoded decode(Family family, std::span<const std::uint8_t> datagram) {
  if (family == Family::v6) return decode_message(datagram, kEchoReplyV6);

  Decoded d;
  if (datagram.size() < 20) return d;
  if ((datagram[0] >> 4) != 4) return d;
  const std::size_t header = static_cast<std::size_t>(datagram[0] & 0x0f) * 4;
  const std::size_t total = static_cast<std::size_t>(datagram[2] << 8 | datagram[3]);
  if (header < 20 || total < header || total > datagram.size()) return d;
  if (datagram[9] != kProtocolIcmp) {
    d.status = DecodeStatus::other;
    return d;
  }
  const auto icmp = datagram.subspan(header, total - header);
  if (icmp.size() < kHeaderSize) return d;
  if (icmp[0] != kEchoReplyV4) {
    d.status = DecodeStatus::other;
    return d;
  }
  d = decode_message(icmp, kEchoReplyV4);
  if (d.status == DecodeStatus::echo_reply) {
    d.reply.ttl = datagram[8];
    if (internet_checksum(icmp) != 0) d.status = DecodeStatus::bad_checksum;
  }
  return d;
}

std::optional<Classified> classify_reply(Family family, std::span<const std::uint8_t> datagram,
                                         std::uint16_t identifier, std::uint64_t session) {
  const Decoded d = decode(family, datagram);
  // Only echo replies carrying our identifier are ours to judge; anything else on the raw
  // socket belongs to someone else (every raw ICMP socket sees every ICMP packet).
  if (d.status != DecodeStatus::echo_reply && d.status != DecodeStatus::bad_checksum) {
    return std::nullopt;
  }
  if (d.reply.identifier != identifier) return std::nullopt;
  Classified c;
  if (d.status == DecodeStatus::bad_checksum) return c;  // corrupted on the way: malformed
  if (d.reply.payload.size() != kPayloadSize) return c;  // malformed
  c.seq = get64(d.reply.payload, 8);
  if (static_cast<std::uint16_t>(c.seq) != d.reply.sequence) return c;  // tampered: malformed
  if (get64(d.reply.payload, 0) != session) {
    c.status = ReplyStatus::wrong_session;
    return c;
  }
  c.status = ReplyStatus::ok;
  return c;
}

}  // namespace lifeline::probes::icmp
