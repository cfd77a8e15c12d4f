#include "channel/recent_messages.hpp"

#include <sodium.h>

#include <cassert>
#include <cstring>
#include <stdexcept>

namespace lifeline::channel {

MessageDigester::MessageDigester() {
  if (::sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  ::randombytes_buf(key_.data(), key_.size());
}

MessageDigester::MessageDigester(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {
  if (::sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
}

Digest MessageDigester::digest(const std::vector<std::string_view>& frames) const {
  crypto_generichash_state state;
  ::crypto_generichash_init(&state, key_.data(), key_.size(), sizeof(Digest));
  for (const auto frame : frames) {
    // The length first: ["ab", "c"] and ["a", "bc"] are different messages.
    std::array<unsigned char, 8> length{};
    std::uint64_t n = frame.size();
    for (auto& byte : length) {
      byte = static_cast<unsigned char>(n & 0xff);
      n >>= 8;
    }
    ::crypto_generichash_update(&state, length.data(), length.size());
    ::crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(frame.data()),
                                frame.size());
  }
  Digest out{};
  ::crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

std::size_t RecentMessages::DigestHash::operator()(const Digest& d) const {
  // The digest is already uniform (and keyed): any 8 of its bytes make a good bucket hash.
  std::size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

RecentMessages::RecentMessages(std::size_t capacity, Duration window)
    : capacity_(capacity), window_(window) {
  assert(capacity_ > 0);
}

void RecentMessages::forget_oldest() {
  seen_.erase(order_.front().first);
  order_.pop_front();
}

bool RecentMessages::first_sighting(const Digest& digest, TimePoint now) {
  while (!order_.empty() && now - order_.front().second >= window_) forget_oldest();
  if (seen_.contains(digest)) return false;
  if (order_.size() == capacity_) {
    forget_oldest();
    ++forgotten_early_;
  }
  seen_.insert(digest);
  order_.emplace_back(digest, now);
  return true;
}

}  // namespace lifeline::channel
