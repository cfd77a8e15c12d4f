#include "config/secret_file.hpp"

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

std::optional<SecretText> read_secret_file(const std::string& path, std::size_t max_bytes,
                                           std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = std::string("cannot stat: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "is not a regular file";
    return std::nullopt;
  }
  if ((st.st_mode & (S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = std::string("mode ") + mode +
            " lets others read, or the group write, the key; allowed: 0600, 0640, 0400 or 0440 "
            "(chmod 600)";
    return std::nullopt;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    error = "is " + std::to_string(st.st_size) + " bytes; a key file is at most " +
            std::to_string(max_bytes);
    return std::nullopt;
  }
  // Read one byte more than allowed: a file that grew since fstat is caught too.
  std::vector<char> bytes(max_bytes + 1);
  std::size_t size = 0;
  while (size < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("cannot read: ") + std::strerror(errno);
      ::explicit_bzero(bytes.data(), bytes.size());
      return std::nullopt;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > max_bytes) {
    ::explicit_bzero(bytes.data(), bytes.size());
    error = "is larger than " + std::to_string(max_bytes) + " bytes; not a key file";
    return std::nullopt;
  }
  // Shrinking keeps the same storage (no copy of the secret left behind); the bytes past
  // `size` were never written.
  bytes.resize(size);
  return SecretText(std::move(bytes));
}

}  // namespace lifeline
