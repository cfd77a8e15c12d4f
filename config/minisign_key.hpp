// minisign's text forms (https://jedisct1.github.io/minisign/): standard base64, and the
// public key line of a .pub file, "Ed" + 8-byte key id + 32-byte Ed25519 key. Kept in
// config/ so a bad authority key is a config error with its file:line:column; the
// signature check itself is links/attestation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline {

// Standard (RFC 4648 section 4) base64 with padding; nullopt for anything else.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);

struct MinisignPublicKey {
  std::array<std::uint8_t, 8> key_id{};
  std::array<std::uint8_t, 32> key{};
};

// The base64 line of a minisign .pub file ("RWQ…"); `error` says what is wrong.
std::optional<MinisignPublicKey> parse_minisign_public_key(std::string_view line, std::string& error);

// A key id as minisign prints it: 16 upper-case hex digits, most significant byte first.
std::string minisign_key_id_hex(const std::array<std::uint8_t, 8>& key_id);

}  // namespace lifeline
