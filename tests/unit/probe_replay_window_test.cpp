// The reflector's anti-replay window and its bounded table of clients.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "links/probes/replay_window.hpp"

namespace lifeline::probes {
namespace {

TEST(ReplayWindow, InOrderIsFreshOnce) {
  ReplayWindow w;
  for (std::uint64_t s = 0; s < 5000; ++s) {
    ASSERT_EQ(w.check_and_accept(s), ReplayCheck::fresh) << s;
    ASSERT_EQ(w.check_and_accept(s), ReplayCheck::duplicate) << s;
  }
  EXPECT_EQ(w.highest(), 4999u);
}

TEST(ReplayWindow, StartsAnywhere) {
  ReplayWindow w;
  EXPECT_EQ(w.check_and_accept(1'000'000), ReplayCheck::fresh);
  EXPECT_EQ(w.check_and_accept(999'999), ReplayCheck::fresh);
  EXPECT_EQ(w.check_and_accept(1'000'000 - ReplayWindow::kSize), ReplayCheck::too_old);
}

TEST(ReplayWindow, OutOfOrderWithinTheWindowIsAccepted) {
  ReplayWindow w;
  EXPECT_EQ(w.check_and_accept(100), ReplayCheck::fresh);
  EXPECT_EQ(w.check_and_accept(90), ReplayCheck::fresh);
  EXPECT_EQ(w.check_and_accept(95), ReplayCheck::fresh);
  EXPECT_EQ(w.check_and_accept(90), ReplayCheck::duplicate);
  EXPECT_EQ(w.check_and_accept(101), ReplayCheck::fresh);
  EXPECT_EQ(w.check_and_accept(100), ReplayCheck::duplicate);
}

TEST(ReplayWindow, WindowEdges) {
  ReplayWindow w;
  const std::uint64_t top = 10'000;
  w.accept(top);
  EXPECT_EQ(w.check(top - (ReplayWindow::kSize - 1)), ReplayCheck::fresh) << "oldest in window";
  EXPECT_EQ(w.check(top - ReplayWindow::kSize), ReplayCheck::too_old) << "just behind it";
  w.accept(top - (ReplayWindow::kSize - 1));
  EXPECT_EQ(w.check(top - (ReplayWindow::kSize - 1)), ReplayCheck::duplicate);
}

TEST(ReplayWindow, CheckDoesNotRecord) {
  ReplayWindow w;
  w.accept(10);
  EXPECT_EQ(w.check(11), ReplayCheck::fresh);
  EXPECT_EQ(w.check(11), ReplayCheck::fresh);
  EXPECT_EQ(w.highest(), 10u);
}

TEST(ReplayWindow, AJumpForgetsWhatFellBehind) {
  ReplayWindow w;
  for (std::uint64_t s = 0; s < 64; ++s) w.accept(s);
  w.accept(100'000);
  EXPECT_EQ(w.check(63), ReplayCheck::too_old);
  // Numbers in the new window that were never seen are fresh, even where old bits lived.
  for (std::uint64_t s = 100'000 - 1023; s < 100'000; ++s) {
    ASSERT_EQ(w.check(s), ReplayCheck::fresh) << s;
  }
}

// Against a reference model (every number seen, in a set) on random orders.
TEST(ReplayWindow, MatchesAReferenceModel) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 6; ++round) {
    ReplayWindow w;
    std::set<std::uint64_t> seen;
    std::uint64_t highest = 0;
    std::uint64_t next = rng() % 5000;
    for (int i = 0; i < 10'000; ++i) {
      // Mostly forward, sometimes reordered, replayed or far behind, sometimes a jump.
      std::uint64_t s;
      const auto r = rng() % 100;
      if (r < 70) {
        s = next++;
      } else if (r < 90) {
        s = next > 1100 ? next - 1 - rng() % 1100 : next;
      } else if (r < 99) {
        s = seen.empty() ? next : *std::next(seen.begin(), static_cast<long>(rng() % seen.size()));
      } else {
        next += rng() % 3000;
        s = next;
      }
      ReplayCheck expected;
      if (!seen.empty() && s + ReplayWindow::kSize <= highest) {
        expected = ReplayCheck::too_old;
      } else if (seen.count(s) != 0) {
        expected = ReplayCheck::duplicate;
      } else {
        expected = ReplayCheck::fresh;
      }
      ASSERT_EQ(w.check_and_accept(s), expected) << "round " << round << " step " << i;
      if (expected == ReplayCheck::fresh) {
        seen.insert(s);
        highest = std::max(highest, s);
      }
      if (seen.size() > 4096) seen.erase(seen.begin());  // keep the model small (all too old)
    }
  }
}

ReplayKey client(std::uint8_t last, std::uint16_t port = 40000, std::uint16_t key = 1,
                 std::uint64_t session = 77) {
  return ReplayKey{IpAddress::v4({198, 18, 0, last}), port, key, session};
}

TEST(ReplayTable, OneWindowPerClientPortKeyAndSession) {
  ReplayTable t(100);
  EXPECT_EQ(t.check_and_accept(client(1), 5), ReplayCheck::fresh);
  EXPECT_EQ(t.check_and_accept(client(1), 5), ReplayCheck::duplicate);
  EXPECT_EQ(t.check_and_accept(client(2), 5), ReplayCheck::fresh);
  EXPECT_EQ(t.check_and_accept(client(1, 40001), 5), ReplayCheck::fresh);
  EXPECT_EQ(t.check_and_accept(client(1, 40000, 2), 5), ReplayCheck::fresh);
  EXPECT_EQ(t.check_and_accept(client(1, 40000, 1, 78), 5), ReplayCheck::fresh);
  const ReplayKey v6{IpAddress::parse("2001:db8::1").value(), 40000, 1, 77};
  EXPECT_EQ(t.check_and_accept(v6, 5), ReplayCheck::fresh);
  EXPECT_EQ(t.check_and_accept(v6, 5), ReplayCheck::duplicate);
  EXPECT_EQ(t.size(), 6u);
}

TEST(ReplayTable, StaysBoundedAndEvictsTheLeastRecentlyUsed) {
  ReplayTable t(3);
  t.check_and_accept(client(1), 1);
  t.check_and_accept(client(2), 1);
  t.check_and_accept(client(3), 1);
  t.check_and_accept(client(1), 2);  // 1 is now the most recent; 2 the least
  t.check_and_accept(client(4), 1);  // evicts 2
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_EQ(t.check_and_accept(client(1), 2), ReplayCheck::duplicate) << "1 was kept";
  EXPECT_EQ(t.check_and_accept(client(3), 1), ReplayCheck::duplicate) << "3 was kept";
  // 2 was forgotten: its old number looks fresh again (the price of bounded state).
  EXPECT_EQ(t.check_and_accept(client(2), 1), ReplayCheck::fresh);
  EXPECT_EQ(t.size(), 3u);
  for (std::uint8_t i = 10; i < 200; ++i) t.check_and_accept(client(i), 1);
  EXPECT_EQ(t.size(), 3u);
}

}  // namespace
}  // namespace lifeline::probes
