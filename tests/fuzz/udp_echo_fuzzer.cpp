// libFuzzer target: the probe packet decoders (authenticated UDP echo, ICMP, ICMPv6), the
// reflector's request handling and its replay window must take any bytes from the network
// without crashing, and what they accept must be exactly what was sent. Pure code only: no
// sockets, no Asio (DEPENDENCIES.md pitfall 3).
//
// Input: one mode byte, then the packet. Mode bit 0 set: the packet's MAC is recomputed with
// the test key first, so that the fuzzer also reaches what lies behind MAC verification
// (type checks, the replay window, the reply) instead of stopping at every forged MAC.
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <vector>

#include "links/probes/icmp_codec.hpp"
#include "links/probes/reflector.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace {

using namespace lifeline;
using namespace lifeline::probes;

ProbeKey test_key() {
  ProbeKey k;
  k.id = 0x0102;
  for (std::size_t i = 0; i < k.secret.size(); ++i) k.secret[i] = static_cast<std::uint8_t>(i);
  return k;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void fuzz_udp_echo(std::span<const std::uint8_t> bytes) {
  const ProbeKey key = test_key();
  const auto d = udp_echo::decode(bytes, key);
  check(d.status == udp_echo::DecodeStatus::malformed || d.message.has_value());
  if (d.status == udp_echo::DecodeStatus::ok) {
    // Accepted means authentic: re-encoding gives back exactly the bytes received.
    const auto again = udp_echo::encode(*d.message, key.secret);
    check(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
  }
  const auto c = udp_echo::classify_reply(bytes, key, 0x0123456789abcdefULL);
  check(c.status != ReplyStatus::ok || (d.status == udp_echo::DecodeStatus::ok &&
                                        d.message->type == udp_echo::MessageType::reply));

  KeyRing keys;
  ProbeKey k = key;
  keys.add(k);
  Reflector reflector(std::move(keys), 4, [] { return std::uint64_t{42}; });
  const Endpoint client{IpAddress::v4({198, 18, 0, 2}), 40000, 0};
  const auto first = reflector.handle(bytes, client, 41);
  if (first.reply) {
    // Only authentic requests are answered, with an authentic reply to the same probe.
    check(d.status == udp_echo::DecodeStatus::ok &&
          d.message->type == udp_echo::MessageType::request);
    const auto r = udp_echo::decode(*first.reply, key);
    check(r.status == udp_echo::DecodeStatus::ok);
    check(r.message->type == udp_echo::MessageType::reply);
    check(r.message->seq == d.message->seq && r.message->session == d.message->session);
    // The same request again is a replay.
    check(reflector.handle(bytes, client, 43).verdict == Verdict::duplicate);
  }
}

void fuzz_icmp(std::span<const std::uint8_t> bytes) {
  for (const Family family : {Family::v4, Family::v6}) {
    const auto d = icmp::decode(family, bytes);
    if (d.status == icmp::DecodeStatus::echo_reply) {
      // The payload lies inside the input.
      check(d.reply.payload.data() >= bytes.data() &&
            d.reply.payload.data() + d.reply.payload.size() <= bytes.data() + bytes.size());
    }
    const auto c = icmp::classify_reply(family, bytes, 0xbeef, 0x0123456789abcdefULL);
    if (c && c->status == ReplyStatus::ok)
      check(static_cast<std::uint16_t>(c->seq) == d.reply.sequence);
  }
}

// The bytes as a series of sequence numbers, against a reference model of the window.
void fuzz_replay_window(std::span<const std::uint8_t> bytes) {
  ReplayWindow window;
  std::set<std::uint64_t> seen;
  std::uint64_t highest = 0;
  for (std::size_t i = 0; i + 2 <= bytes.size(); i += 2) {
    // Small steps around a moving point, so that the window's edges get exercised.
    const std::uint64_t base = highest > 600 ? highest - 600 : 0;
    const std::uint64_t seq = base + ((std::uint64_t{bytes[i]} << 8 | bytes[i + 1]) % 2048);
    ReplayCheck expected = ReplayCheck::fresh;
    if (!seen.empty() && seq + ReplayWindow::kSize <= highest) {
      expected = ReplayCheck::too_old;
    } else if (seen.count(seq) != 0) {
      expected = ReplayCheck::duplicate;
    }
    check(window.check_and_accept(seq) == expected);
    if (expected == ReplayCheck::fresh) {
      seen.insert(seq);
      if (seq > highest) highest = seq;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::vector<std::uint8_t> packet(data + 1, data + size);
  if ((mode & 1) != 0 && packet.size() == udp_echo::kPacketSize) {
    udp_echo::Packet p;
    std::copy(packet.begin(), packet.end(), p.begin());
    const auto tag = udp_echo::mac(p, test_key().secret);
    std::copy(tag.begin(), tag.end(), packet.begin() + udp_echo::kMacOffset);
  }
  fuzz_udp_echo(packet);
  fuzz_icmp(packet);
  fuzz_replay_window(packet);
  return 0;
}
