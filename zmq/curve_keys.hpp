// CURVE key pairs (RFC 26/CurveZMQ) for the TCP control and event endpoints, in Z85 text,
// and the key file that holds one: what `lifelinectl keygen` prints, what
// control.tcp.server_key_file / events.tcp.server_key_file and `lifelinectl --key-file` read.
//   # comment lines and blank lines are ignored
//   public-key: <40 Z85 characters>     (optional; checked against the secret key)
//   secret-key: <40 Z85 characters>
// A file holding only the 40-character secret key on one line is accepted too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/z85.hpp"

namespace lifeline::curve {

struct KeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// What a CURVE client needs to connect to a server (keys in Z85): the server's public key and
// its own pair.
struct Client {
  std::string server_public_key;
  std::string client_public_key;
  std::string client_secret_key;
};

// True for 40 characters of the Z85 alphabet (a 32-byte key): common/z85.hpp's.
using ::lifeline::is_z85_key;

// A fresh key pair from libzmq (libsodium underneath). Throws std::runtime_error when libzmq
// was built without CURVE.
KeyPair generate_key_pair();

// The public key that belongs to `secret_key` (Z85), or nullopt when it is not a key.
std::optional<std::string> public_key_of(std::string_view secret_key);

// The key file's text for `pair` (what keygen prints).
std::string key_file_text(const KeyPair& pair);

// Parses a key file's text; nullopt with `error` saying what is wrong (never the secret).
std::optional<KeyPair> parse_key_file(std::string_view text, std::string& error);

// Reads and parses `path`. Refuses a file that others can read or the group can write: a
// secret key that others can read is no longer secret. The group may read it (0640): the
// packaged keys are root:lifeline, read by the daemon through its group.
std::optional<KeyPair> load_key_file(const std::string& path, std::string& error);

}  // namespace lifeline::curve
