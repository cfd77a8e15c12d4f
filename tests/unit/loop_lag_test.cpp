// LoopLag: how late the event loop ran, by source, as a Prometheus histogram and as the
// largest lag of the last one to two minutes (what `lifelinectl status` shows).
#include "controller/loop_lag.hpp"

#include <gtest/gtest.h>

namespace lifeline::daemon {
namespace {

using namespace std::chrono_literals;
using Source = LoopLag::Source;

TimePoint at(Duration d) { return TimePoint{} + 1h + d; }

TEST(LoopLag, CountsEachObservationInItsBucketsBySource) {
  LoopLag lag;
  lag.observe(Source::timer, 30us, at(0s));
  lag.observe(Source::timer, 3ms, at(1s));
  lag.observe(Source::timer, -2us, at(2s));  // early: counts as on time
  lag.observe(Source::reply, 200ms, at(3s));
  const auto& t = lag.histogram(Source::timer);
  EXPECT_EQ(t.count, 3u);
  EXPECT_NEAR(t.sum, 0.00303, 1e-9);
  ASSERT_EQ(t.bounds.front(), 50e-6);
  EXPECT_EQ(t.counts.front(), 2u);  // 30 µs and the early one
  EXPECT_EQ(t.counts.back(), 3u);   // cumulative
  const auto& r = lag.histogram(Source::reply);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(r.counts.front(), 0u);
  EXPECT_EQ(lag.max(Source::reply), Duration(200ms));
  EXPECT_EQ(lag.max(Source::timer), Duration(3ms));
}

TEST(LoopLag, RecentMaxLooksBackAWindowOfWholeSeconds) {
  LoopLag lag;
  const auto minute = std::chrono::seconds(60);
  lag.observe(Source::timer, 100us, at(0s));
  lag.observe(Source::timer, 250ms, at(10s));  // a stall
  lag.observe(Source::timer, 100us, at(20s));
  EXPECT_EQ(lag.recent_max(Source::timer, at(30s), minute), Duration(250ms));
  EXPECT_EQ(lag.recent_max(Source::timer, at(30s), std::chrono::seconds(5)), Duration::zero());
  EXPECT_EQ(lag.recent_max(Source::timer, at(21s), std::chrono::seconds(5)), Duration(100us));
  EXPECT_EQ(lag.recent_max(Source::timer, at(69s), minute), Duration(250ms));
  EXPECT_EQ(lag.recent_max(Source::timer, at(71s), minute), Duration(100us));
  // Two minutes later the ring has gone round: an old slot is not mistaken for a new one.
  lag.observe(Source::timer, 120us, at(135s));
  EXPECT_EQ(lag.recent_max(Source::timer, at(140s), minute), Duration(120us));
  EXPECT_EQ(lag.recent_max(Source::timer, at(600s), minute), Duration::zero());
  EXPECT_EQ(lag.recent_max(Source::reply, at(140s), minute), Duration::zero());
  EXPECT_EQ(lag.max(Source::timer), Duration(250ms));
}

}  // namespace
}  // namespace lifeline::daemon
