// The reflector's logic (pure): what it answers, what it drops, and what it counts.
#include <gtest/gtest.h>

#include "links/probes/reflector.hpp"

namespace lifeline::probes {
namespace {

ProbeKey key(std::uint16_t id, std::uint8_t fill) {
  ProbeKey k;
  k.id = id;
  k.secret.fill(fill);
  return k;
}

KeyRing ring() {
  KeyRing r;
  auto a = key(1, 0x11);
  auto b = key(2, 0x22);
  r.add(a);
  r.add(b);
  return r;
}

udp_echo::Packet request(std::uint64_t seq, std::uint16_t key_id = 1, std::uint8_t fill = 0x11,
                         std::uint64_t session = 0xabc) {
  udp_echo::Message m;
  m.type = udp_echo::MessageType::request;
  m.key_id = key_id;
  m.session = session;
  m.seq = seq;
  m.client_timestamp = 1000 + seq;
  return udp_echo::encode(m, key(key_id, fill).secret);
}

const Endpoint kClient{IpAddress::v4({198, 18, 0, 2}), 40000, 0};

class ReflectorTest : public ::testing::Test {
 protected:
  std::uint64_t now = 5'000'000'000;
  Reflector reflector{ring(), 16, [this] { return now; }};
};

TEST_F(ReflectorTest, AnswersAnAuthenticRequestWithAMacdReply) {
  const auto r = reflector.handle(request(7), kClient, 4'999'999'000);
  ASSERT_EQ(r.verdict, Verdict::reply);
  ASSERT_TRUE(r.reply);
  const auto d = udp_echo::decode(*r.reply, key(1, 0x11));
  ASSERT_EQ(d.status, udp_echo::DecodeStatus::ok);
  EXPECT_EQ(d.message->type, udp_echo::MessageType::reply);
  EXPECT_EQ(d.message->key_id, 1);
  EXPECT_EQ(d.message->session, 0xabcu);
  EXPECT_EQ(d.message->seq, 7u);
  EXPECT_EQ(d.message->client_timestamp, 1007u);
  EXPECT_EQ(d.message->reflector_received, 4'999'999'000u);
  EXPECT_EQ(d.message->reflector_sent, 5'000'000'000u);
  EXPECT_EQ(r.reply->size(), request(7).size()) << "never larger than the request";
}

TEST_F(ReflectorTest, RepliesWithTheKeyOfTheRequest) {
  const auto r = reflector.handle(request(1, 2, 0x22), kClient, 0);
  ASSERT_EQ(r.verdict, Verdict::reply);
  EXPECT_EQ(udp_echo::decode(*r.reply, key(2, 0x22)).status, udp_echo::DecodeStatus::ok);
  EXPECT_EQ(udp_echo::decode(*r.reply, key(2, 0x11)).status, udp_echo::DecodeStatus::bad_mac);
}

TEST_F(ReflectorTest, DropsReplays) {
  EXPECT_EQ(reflector.handle(request(10), kClient, 0).verdict, Verdict::reply);
  EXPECT_EQ(reflector.handle(request(10), kClient, 0).verdict, Verdict::duplicate);
  EXPECT_EQ(reflector.handle(request(9), kClient, 0).verdict, Verdict::reply) << "reordered";
  EXPECT_EQ(reflector.handle(request(5000), kClient, 0).verdict, Verdict::reply);
  EXPECT_EQ(reflector.handle(request(11), kClient, 0).verdict, Verdict::too_old);
  EXPECT_EQ(reflector.counters().replayed, 2u);
}

TEST_F(ReflectorTest, ForgedRequestsAreDroppedAndDoNotMoveTheWindow) {
  // A forger sends sequence number 100 first; the genuine 100 must still be answered.
  EXPECT_EQ(reflector.handle(request(100, 1, 0x99), kClient, 0).verdict, Verdict::bad_mac);
  EXPECT_EQ(reflector.handle(request(100), kClient, 0).verdict, Verdict::reply);
  // Nor can a forged far-ahead number push genuine ones out of the window.
  EXPECT_EQ(reflector.handle(request(1'000'000, 1, 0x99), kClient, 0).verdict, Verdict::bad_mac);
  EXPECT_EQ(reflector.handle(request(101), kClient, 0).verdict, Verdict::reply);
  EXPECT_EQ(reflector.counters().bad_mac, 2u);
  EXPECT_EQ(reflector.clients(), 1u) << "forgeries create no state";
}

TEST_F(ReflectorTest, CountsWhatItDrops) {
  EXPECT_EQ(reflector.handle(request(1, 3, 0x33), kClient, 0).verdict, Verdict::unknown_key);
  auto bad = request(1);
  bad[0] = 'X';
  EXPECT_EQ(reflector.handle(bad, kClient, 0).verdict, Verdict::malformed);
  EXPECT_EQ(reflector.handle(std::span(bad.data(), 10), kClient, 0).verdict, Verdict::malformed);
  // A reply sent to the reflector (an attacker reflecting our traffic) is not answered.
  const auto reply = reflector.handle(request(1), kClient, 0).reply;
  EXPECT_EQ(reflector.handle(*reply, kClient, 0).verdict, Verdict::not_request);
  Endpoint port_zero = kClient;
  port_zero.port = 0;
  EXPECT_EQ(reflector.handle(request(2), port_zero, 0).verdict, Verdict::malformed);
  const auto& c = reflector.counters();
  EXPECT_EQ(c.unknown_key, 1u);
  EXPECT_EQ(c.malformed, 3u);
  EXPECT_EQ(c.not_request, 1u);
}

TEST_F(ReflectorTest, WindowsAreSeparatePerSourcePortAndSession) {
  EXPECT_EQ(reflector.handle(request(0), kClient, 0).verdict, Verdict::reply);
  Endpoint other_port = kClient;
  other_port.port = 40001;  // a replaced prober: new socket, sequence numbers from 0 again
  EXPECT_EQ(reflector.handle(request(0), other_port, 0).verdict, Verdict::reply);
  // A restarted daemon: new session, sequence numbers from 0 again.
  EXPECT_EQ(reflector.handle(request(0, 1, 0x11, 0xdef), kClient, 0).verdict, Verdict::reply);
  EXPECT_EQ(reflector.clients(), 3u);
}

TEST_F(ReflectorTest, ClientStateIsBounded) {
  for (std::uint16_t port = 1; port <= 100; ++port) {
    Endpoint e = kClient;
    e.port = port;
    EXPECT_EQ(reflector.handle(request(0), e, 0).verdict, Verdict::reply);
  }
  EXPECT_EQ(reflector.clients(), 16u);
  EXPECT_EQ(reflector.counters().clients_evicted, 84u);
}

TEST(KeyRing, RefusesDuplicateIdsAndWipesWhatItIsGiven) {
  KeyRing r;
  auto a = key(5, 0x55);
  EXPECT_TRUE(r.add(a));
  EXPECT_EQ(a.secret, (std::array<std::uint8_t, 32>{})) << "the caller's copy is wiped";
  auto b = key(5, 0x66);
  EXPECT_FALSE(r.add(b));
  ASSERT_NE(r.find(5), nullptr);
  EXPECT_EQ((*r.find(5))[0], 0x55);
  EXPECT_EQ(r.find(6), nullptr);
}

}  // namespace
}  // namespace lifeline::probes
