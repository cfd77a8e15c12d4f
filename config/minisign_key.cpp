#include "config/minisign_key.hpp"

#include <cstdio>

namespace lifeline {

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<std::size_t>(j)];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;  // "=" then a letter
      v[j] = value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                            (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (padding < 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
    if (padding < 1) out.push_back(static_cast<std::uint8_t>(n));
  }
  return out;
}

std::optional<MinisignPublicKey> parse_minisign_public_key(std::string_view line, std::string& error) {
  const auto bytes = decode_base64(line);
  if (!bytes) {
    error = "is not base64; use the second line of the authority's minisign .pub file (RWQ...)";
    return std::nullopt;
  }
  if (bytes->size() != 42 || (*bytes)[0] != 'E' || (*bytes)[1] != 'd') {
    error = "is not a minisign public key (42 bytes starting with 'Ed'); use the second line of "
            "the authority's .pub file";
    return std::nullopt;
  }
  MinisignPublicKey key;
  std::copy(bytes->begin() + 2, bytes->begin() + 10, key.key_id.begin());
  std::copy(bytes->begin() + 10, bytes->end(), key.key.begin());
  return key;
}

std::string minisign_key_id_hex(const std::array<std::uint8_t, 8>& key_id) {
  // minisign stores the id little-endian and prints it as a number.
  std::string out;
  char buf[3];
  for (std::size_t i = key_id.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned>(key_id[i]));
    out += buf;
  }
  return out;
}

}  // namespace lifeline
