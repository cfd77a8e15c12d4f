// The ZAP decision (zmq/zap): only allow-listed CURVE client keys get in, on the right domain.
#include "zmq/zap.hpp"

#include <gtest/gtest.h>

namespace lifeline::zap {
namespace {

// A ZAP request as libzmq sends it for a CURVE client with public key `key` (32 bytes).
std::vector<std::string> zap_frames(const std::string& domain, const std::string& mechanism,
                                    const std::vector<std::string>& credentials) {
  std::vector<std::string> f = {"1.0", "7", domain, "198.18.0.5", "", mechanism};
  f.insert(f.end(), credentials.begin(), credentials.end());
  return f;
}

// The 32 bytes of kKeyZ85, a client public key of libzmq's CURVE tests:
const std::string kKeyBytes(
    "\xBB\x88\x47\x1D\x65\xE2\x65\x9B\x30\xC5\x5A\x53\x21\xCE\xBB\x5A"
    "\xAB\x2B\x70\xA3\x98\x64\x5C\x26\xDC\xA2\xB2\xFC\xB4\x3F\xC5\x18",
    32);
const std::string kKeyZ85 = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
const std::string kOtherZ85 = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

TEST(Zap, AdmitsAnAllowListedCurveKeyAndNamesIt) {
  const auto request = parse_request(zap_frames("lifeline.control", "CURVE", {kKeyBytes}));
  ASSERT_TRUE(request);
  const auto verdict = decide(*request, "lifeline.control", {kOtherZ85, kKeyZ85});
  EXPECT_TRUE(verdict.admitted());
  EXPECT_EQ(verdict.status_code, "200");
  EXPECT_EQ(verdict.user_id, kKeyZ85);
  const auto reply = reply_frames(*request, verdict);
  EXPECT_EQ(reply, (std::vector<std::string>{"1.0", "7", "200", "OK", kKeyZ85, ""}));
}

TEST(Zap, RefusesAnUnknownKey) {
  const auto request = parse_request(zap_frames("lifeline.control", "CURVE", {kKeyBytes}));
  ASSERT_TRUE(request);
  const auto verdict = decide(*request, "lifeline.control", {kOtherZ85});
  EXPECT_FALSE(verdict.admitted());
  EXPECT_EQ(verdict.status_code, "400");
  EXPECT_EQ(verdict.user_id, kKeyZ85);  // for the log line
  const auto reply = reply_frames(*request, verdict);
  EXPECT_EQ(reply[2], "400");
  EXPECT_EQ(reply[4], "");  // no User-Id for a refused client
}

TEST(Zap, RefusesAnEmptyAllowList) {
  const auto request = parse_request(zap_frames("lifeline.control", "CURVE", {kKeyBytes}));
  EXPECT_FALSE(decide(*request, "lifeline.control", {}).admitted());
}

TEST(Zap, RefusesOtherMechanismsDomainsAndMalformedCredentials) {
  const std::vector<std::string> allowed = {kKeyZ85};
  EXPECT_FALSE(decide(*parse_request(zap_frames("lifeline.control", "NULL", {})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(decide(*parse_request(zap_frames("lifeline.control", "PLAIN", {"u", "p"})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(decide(*parse_request(zap_frames("lifeline.events", "CURVE", {kKeyBytes})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(decide(*parse_request(zap_frames("lifeline.control", "CURVE", {"short"})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(decide(*parse_request(
                              zap_frames("lifeline.control", "CURVE", {kKeyBytes, kKeyBytes})),
                          "lifeline.control", allowed)
                   .admitted());
  auto wrong_version = zap_frames("lifeline.control", "CURVE", {kKeyBytes});
  wrong_version[0] = "2.0";
  EXPECT_EQ(decide(*parse_request(wrong_version), "lifeline.control", allowed).status_code,
            "500");
  EXPECT_FALSE(parse_request({"1.0", "7", "d"}));
}

}  // namespace
}  // namespace lifeline::zap
