// ICMP / ICMPv6 echo against golden bytes (computed independently, in Python, from RFC 792,
// RFC 4443 and RFC 1071).
#include "links/probes/icmp_codec.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lifeline::probes::icmp {
namespace {

constexpr std::uint64_t kSession = 0x0123456789abcdefULL;
constexpr std::uint64_t kSeq = 0x10002;  // low 16 bits: 2
constexpr std::uint16_t kId = 0xbeef;

const Message kGoldenV4Request = {
    0x08, 0x00, 0x9a, 0xe5, 0xbe, 0xef, 0x00, 0x02,  // echo request, checksum, id, seq & 0xffff
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  // session
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,  // sequence number
};

const Message kGoldenV6Request = {
    0x80, 0x00, 0x00, 0x00, 0xbe, 0xef, 0x00, 0x02,  // checksum left to the kernel
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,  //
};

// What a raw IPv4 ICMP socket reads: IP header (TTL 61, 198.18.0.1 -> 198.18.0.2), echo reply.
const std::vector<std::uint8_t> kGoldenV4Reply = {
    0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x40, 0x00, 0x3d, 0x01, 0x9f, 0x75, 0xc6, 0x12, 0x00,
    0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 0x00, 0xa2, 0xe5, 0xbe, 0xef, 0x00, 0x02, 0x01, 0x23,
    0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
};

std::vector<std::uint8_t> v6_reply() {
  std::vector<std::uint8_t> m(kGoldenV6Request.begin(), kGoldenV6Request.end());
  m[0] = kEchoReplyV6;
  return m;
}

std::array<std::uint8_t, 16> v6(const char* text) {
  return IpAddress::parse(text)->bytes();
}

TEST(InternetChecksum, Rfc1071Example) {
  // RFC 1071 section 3: the sum of these bytes is 0xddf2, so the checksum is its complement.
  const std::vector<std::uint8_t> bytes = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(bytes), 0x220d);
  std::vector<std::uint8_t> odd = {0x01};  // padded with a zero byte: 0x0100
  EXPECT_EQ(internet_checksum(odd), 0xfeff);
}

TEST(IcmpCodec, EncodesV4RequestAsGoldenBytes) {
  const auto m = encode_echo_request(Family::v4, kId, kSession, kSeq);
  EXPECT_EQ(m, kGoldenV4Request);
  EXPECT_EQ(internet_checksum(m), 0) << "a correct checksum sums to zero";
}

TEST(IcmpCodec, EncodesV6RequestWithTheChecksumLeftToTheKernel) {
  EXPECT_EQ(encode_echo_request(Family::v6, kId, kSession, kSeq), kGoldenV6Request);
}

TEST(IcmpCodec, Icmpv6ChecksumCoversThePseudoHeader) {
  EXPECT_EQ(icmpv6_checksum(v6("2001:db8::2"), v6("2001:db8::1"), kGoldenV6Request), 0xc71d);
  // Another destination, another checksum: the pseudo-header counts.
  EXPECT_NE(icmpv6_checksum(v6("2001:db8::2"), v6("2001:db8::3"), kGoldenV6Request), 0xc71d);
  Message with = kGoldenV6Request;
  with[2] = 0xc7;
  with[3] = 0x1d;
  EXPECT_EQ(icmpv6_checksum(v6("2001:db8::2"), v6("2001:db8::1"), with), 0);
}

TEST(IcmpCodec, DecodesV4ReplyWithIpHeader) {
  const auto d = decode(Family::v4, kGoldenV4Reply);
  ASSERT_EQ(d.status, DecodeStatus::echo_reply);
  EXPECT_EQ(d.reply.identifier, kId);
  EXPECT_EQ(d.reply.sequence, 2);
  EXPECT_EQ(d.reply.ttl, 61);
  EXPECT_EQ(d.reply.payload.size(), kPayloadSize);
}

TEST(IcmpCodec, V4OptionsInTheIpHeaderAreSkipped) {
  // IHL 6: four bytes of options (NOPs) before the ICMP message.
  std::vector<std::uint8_t> p(kGoldenV4Reply.begin(), kGoldenV4Reply.begin() + 20);
  p[0] = 0x46;
  p[3] = 0x30;
  for (int i = 0; i < 4; ++i) p.push_back(0x01);
  p.insert(p.end(), kGoldenV4Reply.begin() + 20, kGoldenV4Reply.end());
  const auto d = decode(Family::v4, p);
  ASSERT_EQ(d.status, DecodeStatus::echo_reply);
  EXPECT_EQ(d.reply.identifier, kId);
}

TEST(IcmpCodec, ClassifiesRepliesForTheProber) {
  auto c = classify_reply(Family::v4, kGoldenV4Reply, kId, kSession);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ReplyStatus::ok);
  EXPECT_EQ(c->seq, kSeq);

  c = classify_reply(Family::v6, v6_reply(), kId, kSession);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ReplyStatus::ok);
  EXPECT_EQ(c->seq, kSeq);

  EXPECT_FALSE(classify_reply(Family::v4, kGoldenV4Reply, kId + 1, kSession))
      << "another prober's reply is not ours";
  c = classify_reply(Family::v4, kGoldenV4Reply, kId, kSession + 1);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ReplyStatus::wrong_session);
}

TEST(IcmpCodec, OtherIcmpIsIgnored) {
  EXPECT_FALSE(classify_reply(
      Family::v6, std::vector<std::uint8_t>(kGoldenV6Request.begin(), kGoldenV6Request.end()), kId,
      kSession))
      << "an echo request is not a reply";
  auto unreachable = kGoldenV4Reply;
  unreachable[20] = 3;
  EXPECT_EQ(decode(Family::v4, unreachable).status, DecodeStatus::other);
  EXPECT_FALSE(classify_reply(Family::v4, unreachable, kId, kSession));
  auto udp = kGoldenV4Reply;
  udp[9] = 17;
  EXPECT_EQ(decode(Family::v4, udp).status, DecodeStatus::other);
}

TEST(IcmpCodec, CorruptedOrTamperedRepliesAreMalformed) {
  auto corrupt = kGoldenV4Reply;
  corrupt[40] ^= 0x10;  // inside the payload: the checksum no longer verifies
  EXPECT_EQ(decode(Family::v4, corrupt).status, DecodeStatus::bad_checksum);
  auto c = classify_reply(Family::v4, corrupt, kId, kSession);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ReplyStatus::malformed);

  // ICMP sequence field and payload sequence disagree (IPv6: no checksum to catch it here).
  auto tampered = v6_reply();
  tampered[7] = 3;
  c = classify_reply(Family::v6, tampered, kId, kSession);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ReplyStatus::malformed);

  auto short_payload = v6_reply();
  short_payload.pop_back();
  c = classify_reply(Family::v6, short_payload, kId, kSession);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, ReplyStatus::malformed);
}

TEST(IcmpCodec, TruncatedPacketsNeverReadOutOfBounds) {
  for (std::size_t n = 0; n < kGoldenV4Reply.size(); ++n) {
    const auto d = decode(Family::v4, std::span(kGoldenV4Reply.data(), n));
    EXPECT_EQ(d.status, DecodeStatus::malformed) << n;  // total length says 44
  }
  const auto reply = v6_reply();
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(decode(Family::v6, std::span(reply.data(), n)).status, DecodeStatus::malformed);
  }
  auto bad_ihl = kGoldenV4Reply;
  bad_ihl[0] = 0x44;  // IHL 4 < 5
  EXPECT_EQ(decode(Family::v4, bad_ihl).status, DecodeStatus::malformed);
  bad_ihl[0] = 0x4f;  // IHL 15: 60 bytes of header, more than the packet
  EXPECT_EQ(decode(Family::v4, bad_ihl).status, DecodeStatus::malformed);
}

}  // namespace
}  // namespace lifeline::probes::icmp
