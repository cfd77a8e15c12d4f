#include "common/units.hpp"

#include <gtest/gtest.h>

#include "common/address.hpp"

namespace lifeline {
namespace {

TEST(Units, DurationsNeedAUnit) {
  EXPECT_EQ(parse_duration("5ms").value, Duration(5ms));
  EXPECT_EQ(parse_duration("250us").value, Duration(250us));
  EXPECT_EQ(parse_duration("1.5s").value, Duration(1500ms));
  EXPECT_EQ(parse_duration("2m").value, Duration(120s));
  EXPECT_EQ(parse_duration("1h").value, Duration(3600s));
  EXPECT_EQ(parse_duration("30d").value, Duration(std::chrono::hours(720)));
  EXPECT_FALSE(parse_duration("5").value);
  EXPECT_NE(parse_duration("5").error.find("no unit"), std::string::npos);
  EXPECT_FALSE(parse_duration("5 parsecs").value);
  EXPECT_FALSE(parse_duration("-5ms").value);
  EXPECT_FALSE(parse_duration("1e3ms").value);
  EXPECT_FALSE(parse_duration("ms").value);
  EXPECT_FALSE(parse_duration("1.ms").value);
  EXPECT_FALSE(parse_duration("400d").value);
  EXPECT_FALSE(parse_duration("99999999999999999999999999h").value);
}

TEST(Units, PercentagesAreRatios) {
  EXPECT_DOUBLE_EQ(*parse_percent("5%").value, 0.05);
  EXPECT_DOUBLE_EQ(*parse_percent("0.5%").value, 0.005);
  EXPECT_DOUBLE_EQ(*parse_percent("100%").value, 1.0);
  EXPECT_FALSE(parse_percent("5").value);
  EXPECT_FALSE(parse_percent("101%").value);
  EXPECT_FALSE(parse_percent("%").value);
  EXPECT_FALSE(parse_percent("-1%").value);
}

TEST(Units, RatesAreBitsPerSecond) {
  EXPECT_EQ(parse_rate("200Mbit").value, BitRate(200'000'000));
  EXPECT_EQ(parse_rate("64kbit").value, BitRate(64'000));
  EXPECT_EQ(parse_rate("1Gbit").value, BitRate(1'000'000'000));
  EXPECT_EQ(parse_rate("2.5mbit").value, BitRate(2'500'000));
  EXPECT_EQ(parse_rate("9600bit").value, BitRate(9600));
  EXPECT_FALSE(parse_rate("200").value);
  const auto bytes = parse_rate("20MB");
  EXPECT_FALSE(bytes.value);
  EXPECT_NE(bytes.error.find("bytes or bits"), std::string::npos);
}

TEST(Units, FormattingIsShortAndExact) {
  EXPECT_EQ(format_duration(5ms), "5ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(250us), "250us");
  EXPECT_EQ(format_duration(120s), "2m");
  EXPECT_EQ(format_duration(3600s), "1h");
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_rate(2'000'000), "2Mbit");
  EXPECT_EQ(format_percent(0.05), "5%");
}

TEST(Address, ParsesBothFamilies) {
  const auto v4 = IpAddress::parse("198.18.1.2");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->to_string(), "198.18.1.2");
  const auto v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("198.18.1"));
  EXPECT_FALSE(IpAddress::parse("198.18.1.256"));
  EXPECT_FALSE(IpAddress::parse("gateway.example"));
  EXPECT_FALSE(IpAddress::parse(""));
}

TEST(Address, PrefixesRefuseHostBits) {
  const auto ok = Prefix::parse("198.18.10.0/26");
  ASSERT_TRUE(ok.prefix);
  EXPECT_TRUE(ok.prefix->contains(*IpAddress::parse("198.18.10.63")));
  EXPECT_FALSE(ok.prefix->contains(*IpAddress::parse("198.18.10.64")));
  EXPECT_FALSE(ok.prefix->contains(*IpAddress::parse("2001:db8::1")));
  const auto host_bits = Prefix::parse("198.18.10.5/26");
  EXPECT_FALSE(host_bits.prefix);
  EXPECT_EQ(host_bits.error, Prefix::ParseError::host_bits_set);
  EXPECT_EQ(host_bits.masked().to_string(), "198.18.10.0/26");
  EXPECT_EQ(Prefix::parse("198.18.10.0/33").error, Prefix::ParseError::length_out_of_range);
  EXPECT_EQ(Prefix::parse("2001:db8::/129").error, Prefix::ParseError::length_out_of_range);
  EXPECT_EQ(Prefix::parse("2001:db8::/32").prefix->to_string(), "2001:db8::/32");
  EXPECT_EQ(Prefix::parse("198.18.1.1").prefix->length(), 32);
  EXPECT_EQ(Prefix::parse("198.18.1.0/").error, Prefix::ParseError::syntax);
  EXPECT_EQ(Prefix::parse("0.0.0.0/0").prefix->length(), 0);
}

}  // namespace
}  // namespace lifeline
