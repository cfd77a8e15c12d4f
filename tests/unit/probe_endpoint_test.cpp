// Listen addresses as lifeline-reflector's --listen takes them.
#include <gtest/gtest.h>

#include "links/probes/endpoint.hpp"

namespace lifeline::probes {
namespace {

std::optional<Endpoint> parse(const char* text) {
  std::string error;
  return parse_endpoint(text, error);
}

std::string error_of(const char* text) {
  std::string error;
  EXPECT_FALSE(parse_endpoint(text, error)) << text;
  return error;
}

TEST(ProbeEndpoint, ParsesAndFormatsBothFamilies) {
  auto e = parse("198.18.0.10:7070");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->address, *IpAddress::parse("198.18.0.10"));
  EXPECT_EQ(e->port, 7070);
  EXPECT_EQ(to_string(*e), "198.18.0.10:7070");

  e = parse("[2001:db8::10]:7070");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->address, *IpAddress::parse("2001:db8::10"));
  EXPECT_EQ(to_string(*e), "[2001:db8::10]:7070");

  e = parse("0.0.0.0:0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 0);
  ASSERT_TRUE(parse("[::]:65535"));
}

TEST(ProbeEndpoint, SaysWhatIsWrong) {
  EXPECT_EQ(error_of("198.18.0.10"),
            "'198.18.0.10' has no port; use ADDRESS:PORT, or [IPV6-ADDRESS]:PORT");
  EXPECT_EQ(error_of("2001:db8::1:7070"),
            "'2001:db8::1:7070': an IPv6 address needs brackets; use ADDRESS:PORT, or "
            "[IPV6-ADDRESS]:PORT");
  EXPECT_EQ(error_of("[198.18.0.1]:7070"),
            "'[198.18.0.1]:7070': only IPv6 addresses take brackets; use ADDRESS:PORT, or "
            "[IPV6-ADDRESS]:PORT");
  EXPECT_EQ(error_of("198.18.0.10:70000"), "'70000' is not a port; use 0-65535");
  EXPECT_EQ(error_of("198.18.0.10:"), "'' is not a port; use 0-65535");
  EXPECT_EQ(error_of("hq.example:7070"),
            "'hq.example' is not an IP address; use ADDRESS:PORT, or [IPV6-ADDRESS]:PORT");
  error_of("[2001:db8::1]");
  error_of("[2001:db8::1]7070");
  error_of("");
}

TEST(ProbeEndpoint, SockaddrRoundTrip) {
  for (const char* text : {"198.18.0.10:7070", "[2001:db8::10]:1"}) {
    const auto e = parse(text);
    sockaddr_storage sa{};
    const socklen_t n = to_sockaddr(*e, sa);
    EXPECT_EQ(from_sockaddr(sa, n), e) << text;
    EXPECT_FALSE(from_sockaddr(sa, n - 1)) << "short";
  }
}

TEST(ProbeEndpoint, LinkLocal) {
  EXPECT_TRUE(is_link_local(*IpAddress::parse("fe80::1")));
  EXPECT_TRUE(is_link_local(*IpAddress::parse("febf::1")));
  EXPECT_FALSE(is_link_local(*IpAddress::parse("fec0::1")));
  EXPECT_FALSE(is_link_local(*IpAddress::parse("2001:db8::1")));
  EXPECT_FALSE(is_link_local(*IpAddress::parse("198.18.0.1")));
}

}  // namespace
}  // namespace lifeline::probes
