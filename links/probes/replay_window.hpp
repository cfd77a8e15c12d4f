// Anti-replay for the reflector: an IPsec-style sliding window of sequence numbers per client
// (RFC 4303 3.4.3 and appendix A, with RFC 6479's block ring so that advancing the window
// costs at most a few word writes), and a table of windows bounded in size, evicting the
// least recently used, so that no sender can make the reflector's state grow.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "common/address.hpp"

namespace lifeline::probes {

enum class ReplayCheck : std::uint8_t {
  fresh,      // never seen, inside or ahead of the window
  duplicate,  // seen before
  too_old,    // behind the window: cannot be told apart from a replay
};
const char* to_string(ReplayCheck check);

class ReplayWindow {
 public:
  static constexpr std::uint64_t kSize = 1024;  // sequence numbers tracked behind the highest

  ReplayCheck check(std::uint64_t seq) const;
  // Records `seq`; call only after check(seq) == fresh and the packet's MAC verified (RFC 4303:
  // an unauthenticated packet must not move the window).
  void accept(std::uint64_t seq);
  // check() then accept() when fresh.
  ReplayCheck check_and_accept(std::uint64_t seq);

  std::uint64_t highest() const { return highest_; }

 private:
  static constexpr std::size_t kBlocks = kSize / 64 + 1;  // one spare block (RFC 6479)
  static std::size_t block(std::uint64_t seq) { return (seq / 64) % kBlocks; }
  static std::uint64_t bit(std::uint64_t seq) { return std::uint64_t{1} << (seq % 64); }

  std::array<std::uint64_t, kBlocks> bits_{};
  std::uint64_t highest_ = 0;
  bool empty_ = true;
};

// Whose window a request falls in. The source port and the session are part of it: a daemon
// that replaces a prober (new socket, new port) or restarts (new session) starts again from
// sequence number 0 without its probes being taken for replays.
struct ReplayKey {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint16_t key_id = 0;
  std::uint64_t session = 0;
  friend bool operator==(const ReplayKey&, const ReplayKey&) = default;
};

class ReplayTable {
 public:
  explicit ReplayTable(std::size_t max_entries);

  // The window of `key` checks `seq` and records it when fresh. Creates the window (evicting
  // the least recently used one when full). Call only for authenticated requests.
  ReplayCheck check_and_accept(const ReplayKey& key, std::uint64_t seq);

  std::size_t size() const { return index_.size(); }
  std::size_t max_entries() const { return max_entries_; }
  std::uint64_t evictions() const { return evictions_; }

 private:
  // SipHash with a random key: the table's keys come from the network.
  struct Hash {
    std::array<std::uint8_t, 16> key{};
    std::size_t operator()(const ReplayKey& k) const;
  };
  struct Entry {
    ReplayKey key;
    ReplayWindow window;
  };
  using Lru = std::list<Entry>;  // most recently used first

  std::size_t max_entries_;
  Lru lru_;
  std::unordered_map<ReplayKey, Lru::iterator, Hash> index_;
  std::uint64_t evictions_ = 0;
};

}  // namespace lifeline::probes
