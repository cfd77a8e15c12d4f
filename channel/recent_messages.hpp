// Loop and echo suppression for chained channels: a digest of every message the channel has
// forwarded in the last few minutes, so that a message coming back (from the upstream it was
// sent to, or round a loop of channels) is dropped instead of forwarded again. Bounded in
// both time and entries: a flood can make it forget early, never grow without limit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/units.hpp"

namespace lifeline::channel {

using Digest = std::array<unsigned char, 16>;

// BLAKE2b (libsodium's crypto_generichash) over every frame and its length, keyed with a
// secret of this process: the digests are only ever compared within the process, and the
// key keeps anyone from choosing messages that collide in the set's buckets.
class MessageDigester {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  MessageDigester();  // a random key
  explicit MessageDigester(const std::array<unsigned char, kKeyBytes>& key);
  Digest digest(const std::vector<std::string_view>& frames) const;

 private:
  std::array<unsigned char, kKeyBytes> key_{};
};

class RecentMessages {
 public:
  static constexpr std::size_t kDefaultCapacity = 65536;  // ~3 MiB with the set's overhead
  static constexpr Duration kDefaultWindow = std::chrono::minutes(10);

  RecentMessages(std::size_t capacity = kDefaultCapacity, Duration window = kDefaultWindow);

  // True the first time `digest` is seen in the window (and it is remembered from `now`);
  // false when it was seen less than the window ago. `now` must not go backwards.
  bool first_sighting(const Digest& digest, TimePoint now);

  std::size_t size() const { return order_.size(); }
  // Digests forgotten before their window ended because the set was full: a message that
  // comes back after that is forwarded once more (docs/incidents.md).
  std::uint64_t forgotten_early() const { return forgotten_early_; }

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const;
  };
  void forget_oldest();

  std::size_t capacity_;
  Duration window_;
  std::deque<std::pair<Digest, TimePoint>> order_;  // oldest first
  std::unordered_set<Digest, DigestHash> seen_;
  std::uint64_t forgotten_early_ = 0;
};

}  // namespace lifeline::channel
