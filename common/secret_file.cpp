#include "common/secret_file.hpp"

#include <fcntl.h>
#include <string.h>  // explicit_bzero
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>

namespace lifeline {

SecretText& SecretText::operator=(SecretText&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretText::~SecretText() { wipe(); }

void SecretText::wipe() {
  // explicit_bzero: a plain memset before a free may be optimised away.
  if (!bytes_.empty()) ::explicit_bzero(bytes_.data(), bytes_.size());
  bytes_.clear();
}

namespace {

// Opens `path`, checks it is a regular file (and, for a secret, its mode), and reads it whole
// into a buffer of at most `max_bytes`. A secret's buffer is wiped on every way out but the
// successful one, where the caller takes it over.
std::optional<std::vector<char>> read_regular(const std::string& path, std::size_t max_bytes, bool secret,
                                              std::string& error) {
  // O_NONBLOCK: a FIFO in the file's place must not block the event loop in open().
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
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
  if (secret && (st.st_mode & (S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = std::string("mode ") + mode +
            " lets others read, or the group write, the key; allowed: 0600, 0640, 0400 or 0440 "
            "(chmod 600)";
    return std::nullopt;
  }
  const char* what = secret ? "a key file" : "this file";
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    error = "is " + std::to_string(st.st_size) + " bytes; " + what + " is at most " + std::to_string(max_bytes);
    return std::nullopt;
  }
  // Read one byte more than allowed: a file that grew since fstat is caught too.
  std::vector<char> bytes(max_bytes + 1);
  std::size_t size = 0;
  auto fail = [&](std::string message) {
    if (secret) ::explicit_bzero(bytes.data(), bytes.size());
    error = std::move(message);
    return std::nullopt;
  };
  while (size < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > max_bytes) {
    return fail("is larger than " + std::to_string(max_bytes) + " bytes; " + what + " is not that large");
  }
  // Shrinking keeps the same storage (no copy of a secret left behind); the bytes past `size`
  // were never written.
  bytes.resize(size);
  return bytes;
}

}  // namespace

std::string_view trim_blanks(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<KeyFileLine> key_file_lines(std::string_view text) {
  std::vector<KeyFileLine> out;
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim_blanks(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (!line.empty() && line.front() != '#') out.push_back({number, line});
  }
  return out;
}

std::string at_key_file_line(std::size_t number, const std::string& what) {
  return "line " + std::to_string(number) + ": " + what;
}

std::optional<SecretText> read_secret_file(const std::string& path, std::size_t max_bytes,
                                           std::string& error) {
  auto bytes = read_regular(path, max_bytes, true, error);
  if (!bytes) return std::nullopt;
  return SecretText(std::move(*bytes));
}

std::optional<std::string> read_named_file(const std::string& path, std::size_t max_bytes, std::string& error) {
  const auto bytes = read_regular(path, max_bytes, false, error);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace lifeline
