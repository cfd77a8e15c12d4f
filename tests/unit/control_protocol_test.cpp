// The control transport's rules without sockets: request limits and framing, the JSON error
// reply, ipc peer names. (The ZAP decision and CURVE key files: zap_test.cpp, curve_keys_test.cpp.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/control/control_server.hpp"
#include "controller/control/protocol.hpp"

namespace lifeline::control {
namespace {

using nlohmann::json;

TEST(ControlErrorReply, HasTheDocumentedShape) {
  const json reply = json::parse(error_reply("bad_request", "the request is empty"));
  EXPECT_EQ(reply, json::parse(R"({"version": 1, "ok": false, "error":
                                   {"code": "bad_request", "message": "the request is empty"}})"));
}

TEST(ControlErrorReply, EscapesAnyTextIntoValidJson) {
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' +
                            " bell \x07 bad utf-8 \xC3\x28 \xFF end é ✓";
  const std::string text = error_reply("failed", nasty);
  json reply;
  ASSERT_NO_THROW(reply = json::parse(text)) << text;
  const std::string message = reply["error"]["message"];
  EXPECT_NE(message.find("quote \" backslash \\ newline \n tab \t nul "), std::string::npos);
  EXPECT_NE(message.find(std::string("nul ") + '\0' + " bell \x07"), std::string::npos);
  EXPECT_NE(message.find("bad utf-8 \xEF\xBF\xBD( \xEF\xBF\xBD end é ✓"), std::string::npos);
}

TEST(ControlJsonString, RefusesOverlongAndSurrogateUtf8) {
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(json_string("\xED\xA0\x80"),
            "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");                      // a UTF-16 surrogate
  EXPECT_EQ(json_string("\xF4\x90\x80\x80").substr(0, 4), "\"\xEF\xBF\xBD");  // > U+10FFFF
  EXPECT_EQ(json_string("\xF0\x9F\x9A\x80"), "\"\xF0\x9F\x9A\x80\"");         // U+1F680 is fine
}

TEST(ControlRequestLimits, OneFrameOfAtMostTheLimitGoesToTheDaemon) {
  EXPECT_EQ(request_problem(1, 1, kMaxRequestBytes), std::nullopt);
  EXPECT_EQ(request_problem(1, kMaxRequestBytes, kMaxRequestBytes), std::nullopt);
}

TEST(ControlRequestLimits, OversizedRequestsAreRefused) {
  const auto problem = request_problem(1, kMaxRequestBytes + 1, kMaxRequestBytes);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("65537 bytes"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("at most 65536"), std::string::npos) << *problem;
  EXPECT_TRUE(request_problem(1, 1024 * 1024, kMaxRequestBytes));
}

TEST(ControlRequestLimits, MultiFrameEmptyAndMissingRequestsAreRefused) {
  const auto three = request_problem(3, 10, kMaxRequestBytes);
  ASSERT_TRUE(three);
  EXPECT_NE(three->find("3 frames"), std::string::npos) << *three;
  EXPECT_TRUE(request_problem(0, 0, kMaxRequestBytes));
  EXPECT_TRUE(request_problem(1, 0, kMaxRequestBytes));
}

TEST(ControlEnvelope, ReqFramingHasAnEmptyDelimiter) {
  EXPECT_EQ(envelope_frames({5, 0, 40}), 2u);        // REQ: id, "", body
  EXPECT_EQ(envelope_frames({5, 0, 40, 3, 3}), 2u);  // REQ sending three frames
  EXPECT_EQ(envelope_frames({5, 40}), 1u);           // DEALER without a delimiter
  EXPECT_EQ(envelope_frames({5}), 1u);               // nothing but the routing id
  EXPECT_EQ(envelope_frames({}), 0u);
}

TEST(ControlIpcPeer, ParsesLibzmqPeerAddress) {
  // libzmq 4.3 on Linux: "<address>:<uid>:<gid>:<pid>" from SO_PEERCRED.
  const auto cred = parse_ipc_peer_address("localhost:1000:1001:4242");
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->uid, 1000u);
  EXPECT_EQ(cred->gid, 1001u);
  EXPECT_EQ(cred->pid, 4242);
  const auto no_address = parse_ipc_peer_address(":0:0:1");
  ASSERT_TRUE(no_address);
  EXPECT_EQ(no_address->uid, 0u);
  EXPECT_FALSE(parse_ipc_peer_address("localhost"));
  EXPECT_FALSE(parse_ipc_peer_address("198.18.0.1"));
  EXPECT_FALSE(parse_ipc_peer_address("a:b:c:d"));
  EXPECT_FALSE(parse_ipc_peer_address("x:1:2:"));
  EXPECT_FALSE(parse_ipc_peer_address("x:99999999999:2:3"));
}

TEST(ControlIpcPeer, IdentityNamesUidAndUser) {
  EXPECT_EQ(ipc_identity(1000, "alice"), "uid 1000 (alice)");
  EXPECT_EQ(ipc_identity(4711, ""), "uid 4711");
}

}  // namespace
}  // namespace lifeline::control
