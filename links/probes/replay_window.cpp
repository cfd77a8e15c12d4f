#include "links/probes/replay_window.hpp"

#include <sodium.h>

#include <cassert>
#include <cstring>

#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {

const char* to_string(ReplayCheck check) {
  switch (check) {
    case ReplayCheck::fresh:
      return "fresh";
    case ReplayCheck::duplicate:
      return "duplicate";
    case ReplayCheck::too_old:
      return "too old";
  }
  return "?";
}

ReplayCheck ReplayWindow::check(std::uint64_t seq) const {
  if (empty_ || seq > highest_) return ReplayCheck::fresh;
  if (highest_ - seq >= kSize) return ReplayCheck::too_old;
  return (bits_[block(seq)] & bit(seq)) != 0 ? ReplayCheck::duplicate : ReplayCheck::fresh;
}

void ReplayWindow::accept(std::uint64_t seq) {
  if (empty_) {
    bits_.fill(0);
    highest_ = seq;
    empty_ = false;
  } else if (seq > highest_) {
    // Clear the blocks the window slides onto. The spare block keeps kSize bits behind the
    // highest number valid whatever its position inside its block.
    const std::uint64_t from = highest_ / 64;
    const std::uint64_t to = seq / 64;
    if (to - from >= kBlocks) {
      bits_.fill(0);
    } else {
      for (std::uint64_t b = from + 1; b <= to; ++b) bits_[b % kBlocks] = 0;
    }
    highest_ = seq;
  }
  assert(highest_ - seq < kSize);
  bits_[block(seq)] |= bit(seq);
}

ReplayCheck ReplayWindow::check_and_accept(std::uint64_t seq) {
  const ReplayCheck c = check(seq);
  if (c == ReplayCheck::fresh) accept(seq);
  return c;
}

std::size_t ReplayTable::Hash::operator()(const ReplayKey& k) const {
  // Serialise the fields (no padding bytes) and hash them.
  std::array<std::uint8_t, 1 + 16 + 2 + 2 + 8> buf{};
  buf[0] = static_cast<std::uint8_t>(k.address.family());
  std::memcpy(buf.data() + 1, k.address.bytes().data(), 16);
  std::memcpy(buf.data() + 17, &k.port, 2);
  std::memcpy(buf.data() + 19, &k.key_id, 2);
  std::memcpy(buf.data() + 21, &k.session, 8);
  std::array<std::uint8_t, crypto_shorthash_BYTES> out{};
  ::crypto_shorthash(out.data(), buf.data(), buf.size(), key.data());
  std::size_t h = 0;
  static_assert(sizeof(h) <= out.size());
  std::memcpy(&h, out.data(), sizeof(h));
  return h;
}

ReplayTable::ReplayTable(std::size_t max_entries)
    : max_entries_(max_entries == 0 ? 1 : max_entries), index_(0, Hash{}) {
  static_assert(crypto_shorthash_KEYBYTES == 16);
  init_crypto();
  Hash hash;
  ::crypto_shorthash_keygen(hash.key.data());
  index_ = std::unordered_map<ReplayKey, Lru::iterator, Hash>(0, hash);
  index_.reserve(max_entries_);
}

ReplayCheck ReplayTable::check_and_accept(const ReplayKey& key, std::uint64_t seq) {
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // now the most recently used
    return it->second->window.check_and_accept(seq);
  }
  if (index_.size() >= max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++evictions_;
  }
  lru_.push_front(Entry{key, {}});
  index_.emplace(key, lru_.begin());
  return lru_.front().window.check_and_accept(seq);
}

}  // namespace lifeline::probes
