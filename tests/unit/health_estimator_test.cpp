#include "links/health_estimator.hpp"

#include <gtest/gtest.h>

namespace lifeline::links {
namespace {

TEST(HealthEstimator, FirstSampleFollowsRfc6298) {
  HealthEstimator h(100);
  EXPECT_FALSE(h.has_rtt());
  h.on_reply(40ms);
  EXPECT_TRUE(h.has_rtt());
  EXPECT_EQ(h.srtt(), Duration(40ms));
  EXPECT_EQ(h.rttvar(), Duration(20ms));
  EXPECT_EQ(h.min_rtt(), Duration(40ms));
  EXPECT_EQ(h.jitter(), Duration(0ms));
}

TEST(HealthEstimator, LaterSamplesFollowRfc6298) {
  HealthEstimator h(100);
  h.on_reply(40ms);
  h.on_reply(48ms);
  // RTTVAR = 3/4 * 20 + 1/4 * |40 - 48| = 17; SRTT = 7/8 * 40 + 1/8 * 48 = 41.
  EXPECT_EQ(h.rttvar(), Duration(17ms));
  EXPECT_EQ(h.srtt(), Duration(41ms));
  // RFC 3550: J = 0 + (8 - 0) / 16.
  EXPECT_EQ(h.jitter(), Duration(500us));
  h.on_reply(30ms);
  EXPECT_EQ(h.min_rtt(), Duration(30ms));
}

TEST(HealthEstimator, JitterConvergesToTheMeanRttChange) {
  HealthEstimator h(100);
  for (int i = 0; i < 400; ++i) h.on_reply(i % 2 ? 30ms : 20ms);
  EXPECT_NEAR(to_seconds(h.jitter()), 0.010, 0.0002);
  EXPECT_NEAR(to_seconds(h.srtt()), 0.025, 0.0015);
}

TEST(HealthEstimator, LossWindowSlides) {
  HealthEstimator h(10);
  for (int i = 0; i < 7; ++i) h.on_reply(10ms);
  for (int i = 0; i < 3; ++i) h.on_loss();
  EXPECT_EQ(h.window_fill(), 10u);
  EXPECT_DOUBLE_EQ(h.loss_ratio(), 0.3);
  EXPECT_EQ(h.consecutive_losses(), 3u);
  for (int i = 0; i < 7; ++i) h.on_reply(10ms);
  EXPECT_DOUBLE_EQ(h.loss_ratio(), 0.3);  // the three losses are still in the last 10
  for (int i = 0; i < 3; ++i) h.on_reply(10ms);
  EXPECT_DOUBLE_EQ(h.loss_ratio(), 0.0);
  EXPECT_EQ(h.consecutive_losses(), 0u);
  EXPECT_EQ(h.lost(), 3u);
  EXPECT_EQ(h.answered(), 17u);
}

TEST(HealthEstimator, ResetForgetsLossButKeepsRtt) {
  HealthEstimator h(10);
  h.on_reply(10ms);
  h.on_loss();
  h.reset_loss_window();
  EXPECT_EQ(h.window_fill(), 0u);
  EXPECT_DOUBLE_EQ(h.loss_ratio(), 0.0);
  EXPECT_EQ(h.srtt(), Duration(10ms));
}

TEST(HealthEstimator, WilsonBoundsNeedEvidence) {
  HealthEstimator empty(100);
  EXPECT_DOUBLE_EQ(empty.loss_lower_bound(), 0.0);
  EXPECT_DOUBLE_EQ(empty.loss_upper_bound(), 1.0);

  // 1 loss in 10: the point estimate is 10 %, but that is no evidence of more than 5 %.
  HealthEstimator few(100);
  for (int i = 0; i < 9; ++i) few.on_reply(10ms);
  few.on_loss();
  EXPECT_DOUBLE_EQ(few.loss_ratio(), 0.1);
  EXPECT_LT(few.loss_lower_bound(), 0.05);

  // 2 % over 2000 probes is well inside 5 %: the upper bound says so.
  HealthEstimator many(2000);
  for (int i = 0; i < 2000; ++i) (i % 50 == 0) ? many.on_loss() : many.on_reply(10ms);
  EXPECT_NEAR(many.loss_ratio(), 0.02, 1e-9);
  EXPECT_LT(many.loss_upper_bound(), 0.05);
  EXPECT_GT(many.loss_lower_bound(), 0.005);

  // 10 % over 2000 probes is evidence of more than 5 %.
  HealthEstimator bad(2000);
  for (int i = 0; i < 2000; ++i) (i % 10 == 0) ? bad.on_loss() : bad.on_reply(10ms);
  EXPECT_GT(bad.loss_lower_bound(), 0.05);
}

}  // namespace
}  // namespace lifeline::links
