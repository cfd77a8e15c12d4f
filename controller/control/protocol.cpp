#include "controller/control/protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace lifeline::control {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return n;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string json_string(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text.front());
    const std::size_t n = utf8_sequence(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    if (n > 1) {
      out.append(text.substr(0, n));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
    text.remove_prefix(n);
  }
  out += '"';
  return out;
}

std::string error_reply(std::string_view code, std::string_view message) {
  return R"({"version":1,"ok":false,"error":{"code":)" + json_string(code) + R"(,"message":)" +
         json_string(message) + "}}";
}

std::size_t envelope_frames(const std::vector<std::size_t>& frame_sizes) {
  if (frame_sizes.empty()) return 0;
  if (frame_sizes.size() >= 2 && frame_sizes[1] == 0) return 2;
  return 1;
}

std::optional<std::string> request_problem(std::size_t body_frames, std::size_t body_bytes,
                                           std::size_t max_bytes) {
  if (body_frames == 0) {
    return "the message has no request frame; send one frame holding one JSON object";
  }
  if (body_frames > 1) {
    return "the request has " + std::to_string(body_frames) +
           " frames; send one frame holding one JSON object";
  }
  if (body_bytes > max_bytes) {
    return "the request is " + std::to_string(body_bytes) + " bytes; at most " +
           std::to_string(max_bytes) + " are accepted";
  }
  if (body_bytes == 0) return "the request is empty; send one JSON object";
  return std::nullopt;
}

std::optional<PeerCredentials> parse_ipc_peer_address(std::string_view peer_address) {
  // The address part may itself hold colons: take the last three fields.
  std::array<std::string_view, 3> fields;
  std::string_view rest = peer_address;
  for (int i = 2; i >= 0; --i) {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    fields[static_cast<std::size_t>(i)] = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  const auto uid = number<std::uint32_t>(fields[0]);
  const auto gid = number<std::uint32_t>(fields[1]);
  const auto pid = number<std::int64_t>(fields[2]);
  if (!uid || !gid || !pid) return std::nullopt;
  return PeerCredentials{*uid, *gid, *pid};
}

std::string ipc_identity(std::uint32_t uid, std::string_view user_name) {
  std::string out = "uid " + std::to_string(uid);
  if (!user_name.empty()) {
    out += " (";
    out += user_name;
    out += ')';
  }
  return out;
}

}  // namespace lifeline::control
