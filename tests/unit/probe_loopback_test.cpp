// The UDP echo prober and the reflector's server over the host's loopback, in one io_context:
// no privileges, no interface binding, nothing configured. What the network namespaces of the
// integration tests cannot make cheap to check: lifetimes (destroying a prober with a receive
// pending, or from its own handler), and send errors that are counted, not thrown.
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <vector>

#include "links/probes/key_ring.hpp"
#include "links/probes/prober.hpp"
#include "links/probes/reflector_server.hpp"

namespace lifeline::probes {
namespace {

ProbeKey key(std::uint8_t fill) {
  ProbeKey k;
  k.id = 3;
  k.secret.fill(fill);
  return k;
}

// Runs the loop until `done` or 2 s have passed; true when done.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

class ProbeLoopback : public ::testing::Test {
 protected:
  void start_reflector(const char* address, std::uint8_t fill = 0x33) {
    KeyRing keys;
    auto k = key(fill);
    keys.add(k);
    std::string error;
    server_ = std::make_unique<ReflectorServer>(
        io_, std::vector<Endpoint>{*parse_endpoint(address, error)}, std::move(keys), 64,
        [this](int, const std::string& line) { logs_.push_back(line); });
    target_ = server_->local_endpoints().at(0);
  }

  ProbeSpec spec(std::uint8_t fill = 0x33) {
    ProbeSpec s;
    s.target = target_.address;
    s.port = target_.port;
    s.key = key(fill);
    s.session = 0x5e5510;
    s.clock = [] { return TimePoint(std::chrono::steady_clock::now()); };
    return s;
  }

  boost::asio::io_context io_;
  std::unique_ptr<ReflectorServer> server_;
  Endpoint target_;
  std::vector<Received> replies_;
  std::vector<std::string> logs_;
};

TEST_F(ProbeLoopback, RepliesComeBackAuthenticatedV4) {
  start_reflector("127.0.0.1:0");
  const TimePoint before = TimePoint(std::chrono::steady_clock::now());
  auto prober =
      make_udp_echo_prober(io_, spec(), [&](const Received& r) { replies_.push_back(r); });
  for (std::uint64_t seq = 0; seq < 10; ++seq) prober->send(seq);
  ASSERT_TRUE(run_until(io_, [&] { return replies_.size() == 10; }));
  for (std::size_t i = 0; i < replies_.size(); ++i) {
    EXPECT_EQ(replies_[i].status, ReplyStatus::ok);
    EXPECT_EQ(replies_[i].seq, i);
    EXPECT_GE(replies_[i].at, before);
    EXPECT_EQ(replies_[i].ttl, 64) << "Linux's default TTL, read from the reply";
  }
  EXPECT_EQ(prober->stats().sent, 10u);
  EXPECT_EQ(prober->stats().received, 10u);
  EXPECT_EQ(prober->stats().send_errors, 0u);
  EXPECT_EQ(server_->counters().replied, 10u);
}

TEST_F(ProbeLoopback, RepliesComeBackAuthenticatedV6) {
  try {
    start_reflector("[::1]:0");
  } catch (const std::system_error& e) {
    // A host may run with IPv6 disabled on lo (net.ipv6.conf.lo.disable_ipv6). IPv6 probing
    // is tested regardless in network namespaces the tests configure themselves
    // (ProbeNetwork.UdpEchoV6AgainstTheReflector, integration label).
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  auto prober =
      make_udp_echo_prober(io_, spec(), [&](const Received& r) { replies_.push_back(r); });
  prober->send(0);
  ASSERT_TRUE(run_until(io_, [&] { return replies_.size() == 1; }));
  EXPECT_EQ(replies_[0].status, ReplyStatus::ok);
  EXPECT_EQ(replies_[0].ttl, 64) << "hop limit";
}

// Only the target can answer: a datagram from another port (or address) is dropped unread and
// counted as stray, so nobody off the path can make the prober report forged replies (which
// are path-integrity findings, docs/integrity.md).
TEST_F(ProbeLoopback, DatagramsFromAnotherEndpointThanTheTargetAreStray) {
  using boost::asio::ip::udp;
  udp::socket target(io_, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  udp::socket other(io_, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  target_ = Endpoint{IpAddress::v4({127, 0, 0, 1}), target.local_endpoint().port(), 0};
  auto prober = make_udp_echo_prober(io_, spec(), [&](const Received& r) { replies_.push_back(r); });
  prober->send(1);
  std::array<std::uint8_t, 256> request{};
  udp::endpoint prober_at;
  const auto n = target.receive_from(boost::asio::buffer(request), prober_at);
  ASSERT_GT(n, 0u);
  // The request's bytes sent back: from another port (stray), then from the target itself (a
  // well-formed but wrong reply: it reaches the handler as a refused one).
  other.send_to(boost::asio::buffer(request.data(), n), prober_at);
  ASSERT_TRUE(run_until(io_, [&] { return prober->stats().stray == 1; }));
  EXPECT_TRUE(replies_.empty());
  target.send_to(boost::asio::buffer(request.data(), n), prober_at);
  ASSERT_TRUE(run_until(io_, [&] { return replies_.size() == 1; }));
  EXPECT_NE(replies_[0].status, ReplyStatus::ok);
  EXPECT_EQ(prober->stats().stray, 1u);
  EXPECT_EQ(prober->stats().received, 2u);
}

TEST_F(ProbeLoopback, TheReflectorDropsProbesMadeWithAnotherSecret) {
  start_reflector("127.0.0.1:0", 0x33);
  auto prober =
      make_udp_echo_prober(io_, spec(0x44), [&](const Received& r) { replies_.push_back(r); });
  for (std::uint64_t seq = 0; seq < 3; ++seq) prober->send(seq);
  ASSERT_TRUE(run_until(io_, [&] { return server_->counters().bad_mac == 3; }));
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(replies_.empty());
  EXPECT_EQ(server_->counters().replied, 0u);
  ASSERT_EQ(logs_.size(), 1u) << "rate-limited: one line for the three";
  EXPECT_NE(logs_[0].find("bad MAC"), std::string::npos) << logs_[0];
}

TEST_F(ProbeLoopback, DestroyingAProberWithAReceivePendingIsSafe) {
  start_reflector("127.0.0.1:0");
  bool called = false;
  auto prober = make_udp_echo_prober(io_, spec(), [&](const Received&) { called = true; });
  prober->send(0);
  prober.reset();  // the reply is on its way, the wait for it pending
  ASSERT_TRUE(run_until(io_, [&] { return server_->counters().replied == 1; }));
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(called);
}

TEST_F(ProbeLoopback, AHandlerMayDestroyItsOwnProber) {
  start_reflector("127.0.0.1:0");
  std::unique_ptr<Prober> prober;
  int calls = 0;
  prober = make_udp_echo_prober(io_, spec(), [&](const Received&) {
    ++calls;
    prober.reset();  // as the daemon does on reload, from inside the loop
  });
  for (std::uint64_t seq = 0; seq < 5; ++seq) prober->send(seq);
  ASSERT_TRUE(run_until(io_, [&] { return server_->counters().replied == 5; }));
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 1) << "no callback after the prober is gone, even with replies queued";
}

TEST_F(ProbeLoopback, DestroyingTheServerWithAReceivePendingIsSafe) {
  start_reflector("127.0.0.1:0");
  auto prober =
      make_udp_echo_prober(io_, spec(), [&](const Received& r) { replies_.push_back(r); });
  prober->send(0);
  server_.reset();
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(replies_.empty());
}

TEST_F(ProbeLoopback, SendErrorsAreCountedAndTheProberCarriesOn) {
  start_reflector("127.0.0.1:0");
  auto s = spec();
  s.target = IpAddress::v4({255, 255, 255, 255});  // broadcast without SO_BROADCAST: EACCES
  auto prober = make_udp_echo_prober(io_, s, [&](const Received& r) { replies_.push_back(r); });
  EXPECT_NO_THROW(prober->send(0));
  EXPECT_NO_THROW(prober->send(1));
  EXPECT_EQ(prober->stats().send_errors, 2u);
  EXPECT_EQ(prober->stats().sent, 0u);
}

TEST_F(ProbeLoopback, SetupFailuresThrow) {
  start_reflector("127.0.0.1:0");
  auto s = spec();
  s.interface = "lifeline-no-such-if";
  EXPECT_THROW(make_udp_echo_prober(io_, s, [](const Received&) {}), std::system_error);
  s = spec();
  s.key.reset();
  EXPECT_THROW(make_udp_echo_prober(io_, s, [](const Received&) {}), std::invalid_argument);
  std::string error;
  EXPECT_THROW(ReflectorServer(io_, {*parse_endpoint(to_string(target_).c_str(), error)}, KeyRing{},
                               8, nullptr),
               std::system_error)
      << "port already taken";
}

}  // namespace
}  // namespace lifeline::probes
