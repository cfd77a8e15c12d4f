// The hop count of a target's replies (links/hop_watch): learnt from the first replies, a
// change confirmed by a run of replies is reported once and becomes the baseline; odd single
// replies and unknown TTLs are not changes.
#include "links/hop_watch.hpp"

#include <gtest/gtest.h>

namespace lifeline::links {
namespace {

// Feeds `n` replies with `ttl`; returns the evidence reported, if any.
std::optional<std::string> feed(HopWatch& w, int ttl, int n) {
  std::optional<std::string> out;
  for (int i = 0; i < n; ++i) {
    if (auto e = w.on_reply(ttl)) out = e;
  }
  return out;
}

TEST(HopWatch, AConfirmedChangeIsReportedOnceAndBecomesTheBaseline) {
  HopWatch w;
  EXPECT_FALSE(feed(w, 60, HopWatch::kLearn));
  EXPECT_EQ(w.baseline(), 60);
  EXPECT_FALSE(feed(w, 57, HopWatch::kConfirm - 1));
  EXPECT_EQ(w.on_reply(57), "hop limit 60 -> 57");
  EXPECT_EQ(w.baseline(), 57);
  EXPECT_FALSE(feed(w, 57, 100));
  // And back, which is a change too.
  EXPECT_EQ(feed(w, 60, HopWatch::kConfirm), "hop limit 57 -> 60");
}

TEST(HopWatch, OddRepliesAndUnknownTtlsAreNotChanges) {
  HopWatch w;
  feed(w, 64, HopWatch::kLearn);
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(w.on_reply(i % 7 == 0 ? 63 : 64));  // one odd reply now and then
    EXPECT_FALSE(w.on_reply(-1));
  }
  // Alternating values never make a run.
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(w.on_reply(i % 2 ? 50 : 51));
  EXPECT_EQ(w.baseline(), 64);
}

TEST(HopWatch, WhileLearningAChangeOnlyCorrectsTheBaseline) {
  HopWatch w;
  feed(w, 64, 3);
  EXPECT_FALSE(feed(w, 61, HopWatch::kConfirm));  // the path settled during the first replies
  EXPECT_EQ(w.baseline(), 61);
  feed(w, 61, HopWatch::kLearn);
  EXPECT_EQ(feed(w, 55, HopWatch::kConfirm), "hop limit 61 -> 55");
}

}  // namespace
}  // namespace lifeline::links
