// Z85 text (ZeroMQ RFC 32), the form CURVE keys take in configs and key files. Only the check
// lives here, so that config/ can validate a key without linking libzmq (zmq/ has the rest).
#pragma once

#include <string_view>

namespace lifeline {

inline constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// True for 40 characters of the Z85 alphabet (a 32-byte key).
inline bool is_z85_key(std::string_view text) {
  return text.size() == 40 && text.find_first_not_of(kZ85Alphabet) == std::string_view::npos;
}

}  // namespace lifeline
