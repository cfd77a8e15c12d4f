#include "zmq/curve_keys.hpp"

#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/secret_file.hpp"

namespace lifeline::curve {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;

// Overwrites a buffer that held a secret (the compiler may not drop a volatile write).
void wipe(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
}

}  // namespace

KeyPair generate_key_pair() {
  std::array<char, 41> pub{};
  std::array<char, 41> sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0) {
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") +
                             zmq_strerror(zmq_errno()) + " (libzmq built without CURVE?)");
  }
  KeyPair pair{std::string(pub.data(), 40), std::string(sec.data(), 40)};
  std::memset(sec.data(), 0, sec.size());
  return pair;
}

std::optional<std::string> public_key_of(std::string_view secret_key) {
  if (!is_z85_key(secret_key)) return std::nullopt;
  std::array<char, 41> sec{};
  std::array<char, 41> pub{};
  std::memcpy(sec.data(), secret_key.data(), 40);
  const int rc = zmq_curve_public(pub.data(), sec.data());
  std::memset(sec.data(), 0, sec.size());
  if (rc != 0) return std::nullopt;
  return std::string(pub.data(), 40);
}

std::string key_file_text(const KeyPair& pair) {
  return "# lifeline CURVE key pair (Z85), made by lifelinectl keygen.\n"
         "# Give the public key to the other side: a client's goes into the server's\n"
         "# allowed_clients, a server's is the clients' --server-key. Keep this file private\n"
         "# (chmod 600): it holds the secret key.\n"
         "public-key: " +
         pair.public_key + "\nsecret-key: " + pair.secret_key + "\n";
}

std::optional<KeyPair> parse_key_file(std::string_view text, std::string& error) {
  std::optional<std::string> stated_public;
  std::optional<std::string> secret;
  for (const auto& [number, line] : key_file_lines(text)) {
    std::string_view name;
    std::string_view value;
    for (const std::string_view prefix : {"public-key:", "secret-key:"}) {
      if (line.substr(0, prefix.size()) == prefix) {
        name = prefix.substr(0, prefix.size() - 1);
        value = trim_blanks(line.substr(prefix.size()));
      }
    }
    if (name.empty() && is_z85_key(line) && !secret) {  // a bare secret key
      name = "secret-key";
      value = line;
    }
    if (name == "public-key") {
      if (!is_z85_key(value)) {
        error = at_key_file_line(number, "the public key must be 40 Z85 characters");
        return std::nullopt;
      }
      stated_public = std::string(value);
    } else if (name == "secret-key") {
      if (secret) {
        error = at_key_file_line(number, "a second secret key; a key file holds one key pair");
        return std::nullopt;
      }
      if (!is_z85_key(value)) {
        error = at_key_file_line(number, "the secret key must be 40 Z85 characters");
        return std::nullopt;
      }
      secret = std::string(value);
    } else {
      error = at_key_file_line(number,
                      "expected 'public-key: <Z85>' or 'secret-key: <Z85>' (as "
                      "lifelinectl keygen prints them)");
      return std::nullopt;
    }
  }
  if (!secret) {
    error = "no secret key; the file needs a 'secret-key: <Z85>' line (lifelinectl keygen)";
    return std::nullopt;
  }
  auto derived = public_key_of(*secret);
  if (!derived) {
    wipe(*secret);
    error = "the secret key is not a CURVE key";
    return std::nullopt;
  }
  if (stated_public && *stated_public != *derived) {
    wipe(*secret);
    error = "the public key does not belong to the secret key";
    return std::nullopt;
  }
  return KeyPair{*derived, std::move(*secret)};
}

std::optional<KeyPair> load_key_file(const std::string& path, std::string& error) {
  const auto text = read_secret_file(path, kMaxKeyFileBytes, error);
  if (!text) return std::nullopt;
  return parse_key_file(text->view(), error);
}

}  // namespace lifeline::curve
