// The authenticated UDP echo packet (docs/protocol.md): encoding and decoding as pure
// functions of bytes and keys, so that the prober, the reflector, the tests (golden bytes) and
// the fuzzer all exercise the same code. Nothing here touches a socket or a clock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "links/probes/keys.hpp"
#include "links/probes/prober.hpp"

namespace lifeline::probes::udp_echo {

// Requests and replies have the same fixed size, so the reflector never sends more bytes
// than it receives (it cannot amplify a spoofed request).
inline constexpr std::size_t kPacketSize = 80;
inline constexpr std::size_t kMacOffset = 48;  // the HMAC covers bytes [0, 48)
inline constexpr std::size_t kMacSize = 32;
inline constexpr std::uint8_t kMagic0 = 0x4c;  // 'L'
inline constexpr std::uint8_t kMagic1 = 0x4c;  // 'L'
inline constexpr std::uint8_t kVersion = 1;

enum class MessageType : std::uint8_t { request = 1, reply = 2 };

struct Message {
  MessageType type = MessageType::request;
  std::uint16_t key_id = 0;
  std::uint64_t session = 0;
  std::uint64_t seq = 0;
  std::uint64_t client_timestamp = 0;  // opaque to the reflector, echoed
  std::uint64_t reflector_received =
      0;                             // ns since the Unix epoch, reflector's clock; 0 in requests
  std::uint64_t reflector_sent = 0;  // idem
  friend bool operator==(const Message&, const Message&) = default;
};

using Packet = std::array<std::uint8_t, kPacketSize>;

// The packet for `message`, MAC'd with `secret` (the key whose id is message.key_id).
Packet encode(const Message& message, const std::array<std::uint8_t, 32>& secret);

enum class DecodeStatus : std::uint8_t {
  ok,
  malformed,    // wrong size, magic, version, type or reserved bits
  unknown_key,  // the key id is not one we hold
  bad_mac,      // the HMAC does not verify with the key of that id
};
const char* to_string(DecodeStatus status);

struct Decoded {
  DecodeStatus status = DecodeStatus::malformed;
  // Set from `ok` on, and also for unknown_key and bad_mac (unauthenticated: for logs only).
  std::optional<Message> message;
};

// Returns the secret of key `id`, or nullptr when it is not held.
using KeyLookup = std::function<const std::array<std::uint8_t, 32>*(std::uint16_t id)>;

// Checks size, magic, version, type and reserved bits, looks the key up and verifies the MAC
// in constant time. Any bytes are fine: this never reads outside `bytes` and never throws.
Decoded decode(std::span<const std::uint8_t> bytes, const KeyLookup& keys);

// The same with a single key (the prober's).
Decoded decode(std::span<const std::uint8_t> bytes, const ProbeKey& key);

struct Classified {
  ReplyStatus status = ReplyStatus::malformed;
  std::uint64_t seq = 0;  // meaningful for ok (authenticated); unauthenticated otherwise
};

// What a datagram read by the prober holding `key` for `session` means.
Classified classify_reply(std::span<const std::uint8_t> bytes, const ProbeKey& key,
                          std::uint64_t session);

// HMAC-SHA-256 of bytes [0, kMacOffset) of `packet`.
std::array<std::uint8_t, kMacSize> mac(const Packet& packet,
                                       const std::array<std::uint8_t, 32>& secret);

}  // namespace lifeline::probes::udp_echo

namespace lifeline::probes {
// sodium_init() once per process (thread-safe); throws std::runtime_error if it fails.
void init_crypto();
}  // namespace lifeline::probes
