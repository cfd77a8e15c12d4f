// common/utc_time: the one place lifeline writes and reads UTC times.
#include "common/utc_time.hpp"

#include <gtest/gtest.h>

namespace lifeline::utc {
namespace {

using namespace std::chrono_literals;

const SystemTime kNow = *parse("2026-11-29T12:00:00Z");

TEST(UtcTime, WritesEachForm) {
  const SystemTime t = kNow + 30s + 39ms + 900us;  // fractions below a millisecond are cut, not rounded
  EXPECT_EQ(format(t), "2026-11-29T12:00:30Z");
  EXPECT_EQ(format_millis(t), "2026-11-29T12:00:30.039Z");
  EXPECT_EQ(format_clock(t), "2026-11-29 12:00:30Z");
  EXPECT_EQ(format_compact(t), "20261129T120030Z");
  EXPECT_EQ(format_millis(kNow), "2026-11-29T12:00:00.000Z");
  // Before 1970 the second is rounded down, not towards zero.
  EXPECT_EQ(format_millis(SystemTime{} - 1ms), "1969-12-31T23:59:59.999Z");
}

TEST(UtcTime, ReadsBackWhatItWrites) {
  for (const auto t : {kNow, kNow + 1ms, kNow + 86'399'999ms, SystemTime{} + 1'700'000'000'123ms}) {
    EXPECT_EQ(parse(format_millis(t)), t) << format_millis(t);
  }
  EXPECT_EQ(parse("2026-11-29T12:00:00.123Z"), kNow + 123ms);
  EXPECT_EQ(parse("1970-01-01T00:00:01Z"), SystemTime{} + 1s);
  EXPECT_EQ(parse("1970-01-01T00:00:01.5Z"), SystemTime{} + 1500ms);
  EXPECT_EQ(parse("1970-01-01T00:00:01.000000001Z"), SystemTime{} + 1s + 1ns);
  EXPECT_TRUE(parse("2200-12-31T23:59:59Z"));
}

TEST(UtcTime, RefusesOtherForms) {
  // Years a 64-bit nanosecond clock cannot hold (the fuzzer's find: 1014) are refused, not wrapped.
  for (const char* bad : {"", "yesterday", "garbage garbage garbage!", "2026-11-01", "2026-11-01T00:00:00",
                          "2026-11-29 12:00:00Z", "2026-11-29 12:00:00.000Z", "2026-11-29T12:00:00.123",
                          "2026-11-01T00:00:00+01:00", "2026-11-29T12:00:00.000+01:00", "2026-13-01T00:00:00Z",
                          "2026-11-29T12:00:0x.000Z", "2026-11-01T00:00:00.Z", "2026-11-01T00:00:00.1234567890Z",
                          "1014-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace lifeline::utc
