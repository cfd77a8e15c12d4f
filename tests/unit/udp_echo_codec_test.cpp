// The authenticated UDP echo packet against golden bytes. The expected packets were computed
// independently of this code (Python's hmac/hashlib), from the layout in docs/protocol.md.
#include "links/probes/udp_echo_codec.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lifeline::probes::udp_echo {
namespace {

ProbeKey test_key() {
  ProbeKey k;
  k.id = 0x0102;
  for (std::size_t i = 0; i < k.secret.size(); ++i) k.secret[i] = static_cast<std::uint8_t>(i);
  return k;
}

Message test_request() {
  Message m;
  m.type = MessageType::request;
  m.key_id = 0x0102;
  m.session = 0x0123456789abcdefULL;
  m.seq = 42;
  m.client_timestamp = 0x1000000000000001ULL;
  return m;
}

Message test_reply() {
  Message m = test_request();
  m.type = MessageType::reply;
  m.reflector_received = 0x17d5c0a0b0c0d0e0ULL;
  m.reflector_sent = 0x17d5c0a0b0c0d1e0ULL;
  return m;
}

const Packet kGoldenRequest = {
    0x4c, 0x4c, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00,  // magic "LL", version 1, request, key 258
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  // session
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,  // sequence 42
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // client timestamp
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // reflector receive (0 in a request)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // reflector send (0 in a request)
    0xb6, 0x21, 0xa8, 0x76, 0x5f, 0x1a, 0xb8, 0x78,  // HMAC-SHA-256
    0x31, 0x1a, 0x4a, 0x25, 0x68, 0x88, 0xa1, 0x1b,  //
    0x8e, 0x29, 0x9d, 0xcc, 0xc4, 0x38, 0x26, 0x72,  //
    0xf2, 0x2b, 0x77, 0x6f, 0x82, 0x7d, 0xb5, 0x3e,  //
};

const Packet kGoldenReply = {
    0x4c, 0x4c, 0x01, 0x02, 0x01, 0x02, 0x00, 0x00,  // reply
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,  //
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
    0x17, 0xd5, 0xc0, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0,  // reflector receive
    0x17, 0xd5, 0xc0, 0xa0, 0xb0, 0xc0, 0xd1, 0xe0,  // reflector send
    0x75, 0xa3, 0x3d, 0xcb, 0xb0, 0x5e, 0xec, 0x6d,  //
    0x2f, 0xe1, 0xa1, 0x5e, 0xdd, 0x22, 0xb9, 0xcd,  //
    0x56, 0x00, 0xac, 0xe2, 0xf6, 0x8c, 0x8d, 0x95,  //
    0xfb, 0x0f, 0xbf, 0xb0, 0xc8, 0xac, 0x44, 0x55,  //
};

TEST(UdpEchoCodec, EncodesRequestAsGoldenBytes) {
  EXPECT_EQ(encode(test_request(), test_key().secret), kGoldenRequest);
}

TEST(UdpEchoCodec, EncodesReplyAsGoldenBytes) {
  EXPECT_EQ(encode(test_reply(), test_key().secret), kGoldenReply);
}

TEST(UdpEchoCodec, DecodesGoldenPackets) {
  const auto req = decode(kGoldenRequest, test_key());
  ASSERT_EQ(req.status, DecodeStatus::ok);
  EXPECT_EQ(*req.message, test_request());
  const auto rep = decode(kGoldenReply, test_key());
  ASSERT_EQ(rep.status, DecodeStatus::ok);
  EXPECT_EQ(*rep.message, test_reply());
}

TEST(UdpEchoCodec, EveryTamperedByteIsDetected) {
  for (std::size_t i = 0; i < kPacketSize; ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
      Packet p = kGoldenReply;
      p[i] ^= flip;
      const auto d = decode(p, test_key());
      EXPECT_NE(d.status, DecodeStatus::ok) << "byte " << i << " flip " << int(flip);
      // Header damage is malformed or (key id) unknown; everything else fails the MAC.
      if (i >= 8) {
        EXPECT_EQ(d.status, DecodeStatus::bad_mac) << "byte " << i;
      }
    }
  }
}

TEST(UdpEchoCodec, RequestTurnedIntoReplyFailsTheMac) {
  Packet p = kGoldenRequest;
  p[3] = static_cast<std::uint8_t>(MessageType::reply);
  EXPECT_EQ(decode(p, test_key()).status, DecodeStatus::bad_mac);
}

TEST(UdpEchoCodec, WrongKeyIdIsUnknownKey) {
  ProbeKey other = test_key();
  other.id = 7;
  const auto d = decode(kGoldenReply, other);
  EXPECT_EQ(d.status, DecodeStatus::unknown_key);
  ASSERT_TRUE(d.message);
  EXPECT_EQ(d.message->key_id, 0x0102);
}

TEST(UdpEchoCodec, WrongSecretIsBadMac) {
  ProbeKey wrong = test_key();
  wrong.secret[31] ^= 1;
  EXPECT_EQ(decode(kGoldenReply, wrong).status, DecodeStatus::bad_mac);
}

TEST(UdpEchoCodec, KeyLookupPicksTheKeyOfTheId) {
  const ProbeKey right = test_key();
  ProbeKey decoy = test_key();
  decoy.id = 1;
  decoy.secret.fill(0xaa);
  const KeyLookup keys = [&](std::uint16_t id) -> const std::array<std::uint8_t, 32>* {
    if (id == right.id) return &right.secret;
    if (id == decoy.id) return &decoy.secret;
    return nullptr;
  };
  EXPECT_EQ(decode(kGoldenRequest, keys).status, DecodeStatus::ok);
  EXPECT_EQ(decode(kGoldenRequest, KeyLookup{}).status, DecodeStatus::unknown_key);
}

TEST(UdpEchoCodec, WrongSizesAreMalformed) {
  for (std::size_t n = 0; n < kPacketSize; ++n) {
    const auto d = decode(std::span(kGoldenReply.data(), n), test_key());
    EXPECT_EQ(d.status, DecodeStatus::malformed) << n << " bytes";
    EXPECT_FALSE(d.message);
  }
  std::vector<std::uint8_t> longer(kGoldenReply.begin(), kGoldenReply.end());
  longer.push_back(0);
  EXPECT_EQ(decode(longer, test_key()).status, DecodeStatus::malformed);
}

TEST(UdpEchoCodec, HeaderChecks) {
  auto with = [](std::size_t at, std::uint8_t value) {
    Packet p = kGoldenReply;
    p[at] = value;
    return decode(p, test_key()).status;
  };
  EXPECT_EQ(with(0, 'X'), DecodeStatus::malformed);  // magic
  EXPECT_EQ(with(1, 'X'), DecodeStatus::malformed);
  EXPECT_EQ(with(2, 2), DecodeStatus::malformed);  // version
  EXPECT_EQ(with(3, 0), DecodeStatus::malformed);  // type
  EXPECT_EQ(with(3, 3), DecodeStatus::malformed);
  EXPECT_EQ(with(6, 1), DecodeStatus::malformed);  // reserved
  EXPECT_EQ(with(7, 1), DecodeStatus::malformed);
}

TEST(UdpEchoCodec, ClassifiesRepliesForTheProber) {
  const ProbeKey key = test_key();
  const std::uint64_t session = 0x0123456789abcdefULL;
  auto c = classify_reply(kGoldenReply, key, session);
  EXPECT_EQ(c.status, ReplyStatus::ok);
  EXPECT_EQ(c.seq, 42u);

  EXPECT_EQ(classify_reply(kGoldenReply, key, session + 1).status, ReplyStatus::wrong_session);
  EXPECT_EQ(classify_reply(kGoldenRequest, key, session).status, ReplyStatus::malformed)
      << "our own request sent back is not a reply";
  Packet forged = kGoldenReply;
  forged[20] ^= 1;
  EXPECT_EQ(classify_reply(forged, key, session).status, ReplyStatus::bad_mac);
  ProbeKey other = key;
  other.id = 9;
  EXPECT_EQ(classify_reply(kGoldenReply, other, session).status, ReplyStatus::unknown_key);
  EXPECT_EQ(classify_reply(std::span(kGoldenReply.data(), 79), key, session).status,
            ReplyStatus::malformed);
}

}  // namespace
}  // namespace lifeline::probes::udp_echo
