// Secret files (probe keys, CURVE keys): read whole, after checking that they are what a
// secret file must be. The bytes live in a SecretText, which wipes them when it goes. Shared
// by every key format so that all of them refuse the same files with the same words.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline {

class SecretText {
 public:
  SecretText() = default;
  explicit SecretText(std::vector<char> bytes) : bytes_(std::move(bytes)) {}
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;
  SecretText(SecretText&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  SecretText& operator=(SecretText&& other) noexcept;
  ~SecretText();

  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }

 private:
  void wipe();
  std::vector<char> bytes_;
};

// The contents of `path`, or nullopt with `error` saying what is wrong (never the secret):
// it must open, be a regular file of at most `max_bytes`, and let nobody but its owner and
// its group read it and nobody but its owner write it (0600, 0640, 0400, 0440): the packaged
// keys are owned by the daemon's user or readable by its group, and unchangeable by it.
// fstat() on the open descriptor: what is checked is what is read.
std::optional<SecretText> read_secret_file(const std::string& path, std::size_t max_bytes,
                                           std::string& error);

// Key file text: `s` without surrounding blanks (space, tab, CR).
std::string_view trim_blanks(std::string_view s);

// The lines of a key file that say something: trimmed, without blank lines and `#`
// comments, with their 1-based numbers. Views into `text` (no copy of a secret).
struct KeyFileLine {
  std::size_t number = 0;
  std::string_view text;
};
std::vector<KeyFileLine> key_file_lines(std::string_view text);

// "line N: what", for a key file's error messages.
std::string at_key_file_line(std::size_t number, const std::string& what);

// A file the configuration names that is not secret (an attestation, its signature): the
// whole file if it is a regular file of at most `max_bytes`; `error` says why not.
std::optional<std::string> read_named_file(const std::string& path, std::size_t max_bytes, std::string& error);

}  // namespace lifeline
