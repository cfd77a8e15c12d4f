#include "links/probes/keys.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "common/secret_file.hpp"
#include "links/probes/key_ring.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {

ProbeKey::~ProbeKey() { ::sodium_memzero(secret.data(), secret.size()); }

namespace {

// A key file is one line and a few comments; anything much larger is not one.
constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;

// Parses "<id> <64 hex>"; never puts the secret (or any part of it) into `error`.
bool parse_key_line(std::string_view line, std::size_t number, ProbeKey& key, std::string& error) {
  const std::size_t space = line.find_first_of(" \t");
  if (space == std::string_view::npos) {
    error = at_key_file_line(number, "expected '<key id> <64 hex digits>'");
    return false;
  }
  const std::string_view id_text = line.substr(0, space);
  const std::string_view secret_text = trim_blanks(line.substr(space));
  if (id_text.empty() || id_text.size() > 5 ||
      id_text.find_first_not_of("0123456789") != std::string_view::npos) {
    error = at_key_file_line(number, "the key id must be a number from 1 to 65535");
    return false;
  }
  unsigned long id = 0;
  for (char c : id_text) id = id * 10 + static_cast<unsigned long>(c - '0');
  if (id < 1 || id > 65535) {
    error = at_key_file_line(number, "the key id must be a number from 1 to 65535");
    return false;
  }
  if (secret_text.find_first_of(" \t") != std::string_view::npos) {
    error = at_key_file_line(number, "expected '<key id> <64 hex digits>' and nothing after it");
    return false;
  }
  if (secret_text.size() != 2 * key.secret.size()) {
    error = at_key_file_line(number, "the key must be 64 hex digits (32 bytes); it has " +
                                std::to_string(secret_text.size()) + " characters");
    return false;
  }
  if (secret_text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    error = at_key_file_line(number, "the key must be 64 hex digits (0-9, a-f)");
    return false;
  }
  std::size_t length = 0;
  if (::sodium_hex2bin(key.secret.data(), key.secret.size(), secret_text.data(), secret_text.size(),
                       nullptr, &length, nullptr) != 0 ||
      length != key.secret.size()) {
    error = at_key_file_line(number, "the key must be 64 hex digits (0-9, a-f)");
    return false;
  }
  key.id = static_cast<std::uint16_t>(id);
  return true;
}

}  // namespace

void wipe(ProbeKey& key) {
  ::sodium_memzero(key.secret.data(), key.secret.size());
}

std::optional<ProbeKey> load_key_file(const std::string& path, std::string& error) {
  init_crypto();
  const auto file = read_secret_file(path, kMaxKeyFileBytes, error);
  if (!file) return std::nullopt;
  const std::string_view text = file->view();
  std::optional<ProbeKey> key;
  std::size_t key_line = 0;
  for (const auto& [number, line] : key_file_lines(text)) {
    if (key) {
      error = at_key_file_line(number, "a second key (the first is on line " + std::to_string(key_line) +
                                  "); a key file holds one key");
      wipe(*key);
      return std::nullopt;
    }
    ProbeKey parsed;
    if (!parse_key_line(line, number, parsed, error)) {
      wipe(parsed);
      return std::nullopt;
    }
    key = parsed;
    wipe(parsed);
    key_line = number;
  }
  if (!key) {
    error = "holds no key; expected a line '<key id> <64 hex digits>'";
    return std::nullopt;
  }
  return key;
}

KeyRing::~KeyRing() {
  for (auto& [id, secret] : keys_) ::sodium_memzero(secret.data(), secret.size());
}

bool KeyRing::add(ProbeKey& key) {
  const bool added = keys_.emplace(key.id, key.secret).second;
  wipe(key);
  return added;
}

const std::array<std::uint8_t, 32>* KeyRing::find(std::uint16_t id) const {
  const auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::string generate_key_line(std::uint16_t id) {
  if (id == 0) throw std::invalid_argument("key id 0 is reserved; use 1-65535");
  init_crypto();
  std::array<std::uint8_t, 32> secret{};
  ::randombytes_buf(secret.data(), secret.size());
  std::array<char, 2 * 32 + 1> hex{};
  ::sodium_bin2hex(hex.data(), hex.size(), secret.data(), secret.size());
  // Reserved up front so that no reallocation leaves a copy of the secret in freed memory.
  std::string line;
  line.reserve(5 + 1 + 64 + 1);
  line += std::to_string(id);
  line += ' ';
  line.append(hex.data(), 64);
  line += '\n';
  ::sodium_memzero(secret.data(), secret.size());
  ::sodium_memzero(hex.data(), hex.size());
  return line;
}

}  // namespace lifeline::probes
