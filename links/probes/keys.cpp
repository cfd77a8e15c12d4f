#include "links/probes/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "links/probes/key_ring.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {

ProbeKey::~ProbeKey() { ::sodium_memzero(secret.data(), secret.size()); }

namespace {

// A key file is one line and a few comments; anything much larger is not one.
constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;

// The file's bytes, wiped when this goes out of scope.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer() {
    if (!bytes_.empty()) ::sodium_memzero(bytes_.data(), bytes_.size());
  }
  std::vector<char>& bytes() { return bytes_; }

 private:
  std::vector<char> bytes_;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string at_line(std::size_t line, const std::string& what) {
  return "line " + std::to_string(line) + ": " + what;
}

std::string mode_string(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Parses "<id> <64 hex>"; never puts the secret (or any part of it) into `error`.
bool parse_key_line(std::string_view line, std::size_t number, ProbeKey& key, std::string& error) {
  const std::size_t space = line.find_first_of(" \t");
  if (space == std::string_view::npos) {
    error = at_line(number, "expected '<key id> <64 hex digits>'");
    return false;
  }
  const std::string_view id_text = line.substr(0, space);
  const std::string_view secret_text = trim(line.substr(space));
  if (id_text.empty() || id_text.size() > 5 ||
      id_text.find_first_not_of("0123456789") != std::string_view::npos) {
    error = at_line(number, "the key id must be a number from 1 to 65535");
    return false;
  }
  unsigned long id = 0;
  for (char c : id_text) id = id * 10 + static_cast<unsigned long>(c - '0');
  if (id < 1 || id > 65535) {
    error = at_line(number, "the key id must be a number from 1 to 65535");
    return false;
  }
  if (secret_text.find_first_of(" \t") != std::string_view::npos) {
    error = at_line(number, "expected '<key id> <64 hex digits>' and nothing after it");
    return false;
  }
  if (secret_text.size() != 2 * key.secret.size()) {
    error = at_line(number, "the key must be 64 hex digits (32 bytes); it has " +
                                std::to_string(secret_text.size()) + " characters");
    return false;
  }
  if (secret_text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    error = at_line(number, "the key must be 64 hex digits (0-9, a-f)");
    return false;
  }
  std::size_t length = 0;
  if (::sodium_hex2bin(key.secret.data(), key.secret.size(), secret_text.data(), secret_text.size(),
                       nullptr, &length, nullptr) != 0 ||
      length != key.secret.size()) {
    error = at_line(number, "the key must be 64 hex digits (0-9, a-f)");
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
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  // fstat on the open descriptor: what is checked is what is read.
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = std::string("cannot stat: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "is not a regular file";
    return std::nullopt;
  }
  if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    error = "mode " + mode_string(st.st_mode) +
            " lets group or others read or write the key; allowed: 0600 or 0400 (chmod 600)";
    return std::nullopt;
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxKeyFileBytes) {
    error = "is " + std::to_string(st.st_size) + " bytes; a key file is at most " +
            std::to_string(kMaxKeyFileBytes);
    return std::nullopt;
  }

  SecretBuffer buffer;
  auto& bytes = buffer.bytes();
  bytes.resize(kMaxKeyFileBytes + 1);
  std::size_t size = 0;
  while (size < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("cannot read: ") + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > kMaxKeyFileBytes) {
    error = "is larger than " + std::to_string(kMaxKeyFileBytes) + " bytes";
    return std::nullopt;
  }

  const std::string_view text(bytes.data(), size);
  std::optional<ProbeKey> key;
  std::size_t key_line = 0;
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    if (key) {
      error = at_line(number, "a second key (the first is on line " + std::to_string(key_line) +
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
