// Shared keys of the authenticated UDP echo (docs/protocol.md). A key file holds one key:
//   # comment lines are ignored
//   <key id, 1-65535> <64 hex digits = 32 bytes of secret>
// The reflector may hold several (key rotation); a prober uses one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace lifeline::probes {

struct ProbeKey {
  std::uint16_t id = 0;
  std::array<std::uint8_t, 32> secret{};

  ProbeKey() = default;
  ProbeKey(const ProbeKey&) = default;
  ProbeKey& operator=(const ProbeKey&) = default;
  // Every copy wipes its secret when it goes (sodium_memzero: not optimised away).
  ~ProbeKey();
};

// The key in `path`, or nullopt with `error` saying what is wrong (never the secret).
// Refuses files readable by group or others.
std::optional<ProbeKey> load_key_file(const std::string& path, std::string& error);

}  // namespace lifeline::probes
