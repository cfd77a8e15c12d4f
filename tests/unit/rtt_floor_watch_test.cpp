// The RTT floor (docs/integrity.md): learnt from the least RTT, a drop well below it that
// holds for a few replies is a finding; jitter, one lucky reply or sub-millisecond noise is
// not.
#include <gtest/gtest.h>

#include <random>

#include "links/rtt_floor_watch.hpp"

namespace lifeline::links {
namespace {

using namespace std::chrono_literals;

Duration ms(double x) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(x)); }

TEST(RttFloorWatch, ADropThatHoldsIsReportedOnceAndBecomesTheFloor) {
  RttFloorWatch w;
  std::mt19937 rng(3);
  std::exponential_distribution<double> queueing(1.0 / 3);  // ms of queueing on a 25 ms path
  for (int i = 0; i < 10000; ++i) EXPECT_FALSE(w.on_reply(ms(25 + queueing(rng)))) << i;
  ASSERT_TRUE(w.floor());
  EXPECT_NEAR(to_seconds(*w.floor()) * 1e3, 25, 0.1);
  for (int i = 0; i < RttFloorWatch::kConfirm - 1; ++i) EXPECT_FALSE(w.on_reply(ms(6.1 + i * 0.1)));
  const auto finding = w.on_reply(ms(6.5));
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->rfind("RTT floor 25.0 ms -> 6.1 ms", 0), 0u) << *finding;
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(w.on_reply(ms(6.5 + queueing(rng))));
}

TEST(RttFloorWatch, OneFastReplyOrJitterIsNot) {
  RttFloorWatch w;
  for (int i = 0; i < 100; ++i) w.on_reply(ms(25));
  EXPECT_FALSE(w.on_reply(ms(5)));  // one
  EXPECT_FALSE(w.on_reply(ms(25)));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(w.on_reply(ms(19)));  // 24 % below: within the margin
}

TEST(RttFloorWatch, SubMillisecondPathsNeedAnAbsoluteDrop) {
  RttFloorWatch w;
  for (int i = 0; i < 100; ++i) w.on_reply(ms(0.4));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(w.on_reply(ms(0.1))) << "a LAN-like path: noise, not a drop";
}

TEST(RttFloorWatch, NothingBeforeTheFloorIsLearnt) {
  RttFloorWatch w;
  for (int i = 0; i < RttFloorWatch::kLearn - 1; ++i) EXPECT_FALSE(w.on_reply(ms(i < 10 ? 30 : 5)));
  EXPECT_FALSE(w.floor());
}

}  // namespace
}  // namespace lifeline::links
