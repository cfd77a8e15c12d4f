// The reflector's keys (several, for rotation), wiped from memory when it goes, and a fresh
// key in key-file form for `lifeline-reflector --generate-key`.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "links/probes/keys.hpp"

namespace lifeline::probes {

class KeyRing {
 public:
  KeyRing() = default;
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;
  KeyRing(KeyRing&&) = default;
  KeyRing& operator=(KeyRing&&) = delete;
  ~KeyRing();

  // Takes the key and wipes `key`. False (and `key` still wiped) when its id is already held.
  bool add(ProbeKey& key);
  const std::array<std::uint8_t, 32>* find(std::uint16_t id) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::uint16_t, std::array<std::uint8_t, 32>> keys_;
};

// One key line for a key file ("<id> <64 hex digits>\n") with a fresh random secret.
// `id` must be 1-65535. The caller should wipe the string once written out.
std::string generate_key_line(std::uint16_t id);

// Overwrites the secret with zeros (sodium_memzero: not optimised away).
void wipe(ProbeKey& key);

}  // namespace lifeline::probes
