#include "links/probes/udp_echo_codec.hpp"

#include <sodium.h>

#include <stdexcept>

namespace lifeline::probes {

void init_crypto() {
  // sodium_init() is itself safe to call repeatedly and from several threads; the static
  // only saves the call on hot paths.
  static const bool ok = ::sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialised");
}

namespace udp_echo {
namespace {

// Field offsets (docs/protocol.md has the diagram).
constexpr std::size_t kOffMagic = 0;
constexpr std::size_t kOffVersion = 2;
constexpr std::size_t kOffType = 3;
constexpr std::size_t kOffKeyId = 4;
constexpr std::size_t kOffReserved = 6;
constexpr std::size_t kOffSession = 8;
constexpr std::size_t kOffSeq = 16;
constexpr std::size_t kOffClientTs = 24;
constexpr std::size_t kOffReflectorRx = 32;
constexpr std::size_t kOffReflectorTx = 40;
static_assert(kOffReflectorTx + 8 == kMacOffset);
static_assert(kMacOffset + kMacSize == kPacketSize);
static_assert(crypto_auth_hmacsha256_BYTES == kMacSize);
static_assert(crypto_auth_hmacsha256_KEYBYTES == 32);

void put16(Packet& p, std::size_t at, std::uint16_t v) {
  p[at] = static_cast<std::uint8_t>(v >> 8);
  p[at + 1] = static_cast<std::uint8_t>(v);
}
void put64(Packet& p, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) p[at + i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
std::uint64_t get64(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

}  // namespace

const char* to_string(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::ok:
      return "ok";
    case DecodeStatus::malformed:
      return "malformed";
    case DecodeStatus::unknown_key:
      return "unknown key";
    case DecodeStatus::bad_mac:
      return "bad MAC";
  }
  return "?";
}

std::array<std::uint8_t, kMacSize> mac(const Packet& packet,
                                       const std::array<std::uint8_t, 32>& secret) {
  std::array<std::uint8_t, kMacSize> out{};
  ::crypto_auth_hmacsha256(out.data(), packet.data(), kMacOffset, secret.data());
  return out;
}

Packet encode(const Message& m, const std::array<std::uint8_t, 32>& secret) {
  Packet p{};
  p[kOffMagic] = kMagic0;
  p[kOffMagic + 1] = kMagic1;
  p[kOffVersion] = kVersion;
  p[kOffType] = static_cast<std::uint8_t>(m.type);
  put16(p, kOffKeyId, m.key_id);
  put16(p, kOffReserved, 0);
  put64(p, kOffSession, m.session);
  put64(p, kOffSeq, m.seq);
  put64(p, kOffClientTs, m.client_timestamp);
  put64(p, kOffReflectorRx, m.reflector_received);
  put64(p, kOffReflectorTx, m.reflector_sent);
  const auto tag = mac(p, secret);
  std::copy(tag.begin(), tag.end(), p.begin() + kMacOffset);
  return p;
}

Decoded decode(std::span<const std::uint8_t> bytes, const KeyLookup& keys) {
  Decoded d;
  if (bytes.size() != kPacketSize) return d;
  if (bytes[kOffMagic] != kMagic0 || bytes[kOffMagic + 1] != kMagic1) return d;
  if (bytes[kOffVersion] != kVersion) return d;
  const std::uint8_t type = bytes[kOffType];
  if (type != static_cast<std::uint8_t>(MessageType::request) &&
      type != static_cast<std::uint8_t>(MessageType::reply)) {
    return d;
  }
  if (get16(bytes, kOffReserved) != 0) return d;

  Message m;
  m.type = static_cast<MessageType>(type);
  m.key_id = get16(bytes, kOffKeyId);
  m.session = get64(bytes, kOffSession);
  m.seq = get64(bytes, kOffSeq);
  m.client_timestamp = get64(bytes, kOffClientTs);
  m.reflector_received = get64(bytes, kOffReflectorRx);
  m.reflector_sent = get64(bytes, kOffReflectorTx);
  d.message = m;

  const std::array<std::uint8_t, 32>* secret = keys ? keys(m.key_id) : nullptr;
  if (secret == nullptr) {
    d.status = DecodeStatus::unknown_key;
    return d;
  }
  Packet p;
  std::copy(bytes.begin(), bytes.end(), p.begin());
  auto expected = mac(p, *secret);
  const bool good = ::crypto_verify_32(expected.data(), bytes.data() + kMacOffset) == 0;
  ::sodium_memzero(expected.data(), expected.size());
  d.status = good ? DecodeStatus::ok : DecodeStatus::bad_mac;
  return d;
}

Decoded decode(std::span<const std::uint8_t> bytes, const ProbeKey& key) {
  return decode(bytes, [&key](std::uint16_t id) -> const std::array<std::uint8_t, 32>* {
    return id == key.id ? &key.secret : nullptr;
  });
}

Classified classify_reply(std::span<const std::uint8_t> bytes, const ProbeKey& key,
                          std::uint64_t session) {
  const Decoded d = decode(bytes, key);
  Classified c;
  if (d.message) c.seq = d.message->seq;
  switch (d.status) {
    case DecodeStatus::malformed:
      return c;
    case DecodeStatus::unknown_key:
      c.status = ReplyStatus::unknown_key;
      return c;
    case DecodeStatus::bad_mac:
      c.status = ReplyStatus::bad_mac;
      return c;
    case DecodeStatus::ok:
      break;
  }
  // Authenticated from here. A request is not a reply, even with a valid MAC: someone sent
  // our own probe (or one of our key) back at us.
  if (d.message->type != MessageType::reply) return c;
  c.status = d.message->session == session ? ReplyStatus::ok : ReplyStatus::wrong_session;
  return c;
}

}  // namespace udp_echo
}  // namespace lifeline::probes
