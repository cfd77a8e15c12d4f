// The control transport's rules without sockets: request limits and framing, the JSON error
// reply, ipc peer names, the ZAP allow-list decision, CURVE key files.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controller/control/control_server.hpp"
#include "controller/control/curve_keys.hpp"
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

TEST(ControlZap, AdmitsAnAllowListedCurveKeyAndNamesIt) {
  const auto request = parse_zap_request(zap_frames("lifeline.control", "CURVE", {kKeyBytes}));
  ASSERT_TRUE(request);
  const auto verdict = zap_decide(*request, "lifeline.control", {kOtherZ85, kKeyZ85});
  EXPECT_TRUE(verdict.admitted());
  EXPECT_EQ(verdict.status_code, "200");
  EXPECT_EQ(verdict.user_id, kKeyZ85);
  const auto reply = zap_reply_frames(*request, verdict);
  EXPECT_EQ(reply, (std::vector<std::string>{"1.0", "7", "200", "OK", kKeyZ85, ""}));
}

TEST(ControlZap, RefusesAnUnknownKey) {
  const auto request = parse_zap_request(zap_frames("lifeline.control", "CURVE", {kKeyBytes}));
  ASSERT_TRUE(request);
  const auto verdict = zap_decide(*request, "lifeline.control", {kOtherZ85});
  EXPECT_FALSE(verdict.admitted());
  EXPECT_EQ(verdict.status_code, "400");
  EXPECT_EQ(verdict.user_id, kKeyZ85);  // for the log line
  const auto reply = zap_reply_frames(*request, verdict);
  EXPECT_EQ(reply[2], "400");
  EXPECT_EQ(reply[4], "");  // no User-Id for a refused client
}

TEST(ControlZap, RefusesAnEmptyAllowList) {
  const auto request = parse_zap_request(zap_frames("lifeline.control", "CURVE", {kKeyBytes}));
  EXPECT_FALSE(zap_decide(*request, "lifeline.control", {}).admitted());
}

TEST(ControlZap, RefusesOtherMechanismsDomainsAndMalformedCredentials) {
  const std::vector<std::string> allowed = {kKeyZ85};
  EXPECT_FALSE(zap_decide(*parse_zap_request(zap_frames("lifeline.control", "NULL", {})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(zap_decide(*parse_zap_request(zap_frames("lifeline.control", "PLAIN", {"u", "p"})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(zap_decide(*parse_zap_request(zap_frames("lifeline.events", "CURVE", {kKeyBytes})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(zap_decide(*parse_zap_request(zap_frames("lifeline.control", "CURVE", {"short"})),
                          "lifeline.control", allowed)
                   .admitted());
  EXPECT_FALSE(zap_decide(*parse_zap_request(
                              zap_frames("lifeline.control", "CURVE", {kKeyBytes, kKeyBytes})),
                          "lifeline.control", allowed)
                   .admitted());
  auto wrong_version = zap_frames("lifeline.control", "CURVE", {kKeyBytes});
  wrong_version[0] = "2.0";
  EXPECT_EQ(zap_decide(*parse_zap_request(wrong_version), "lifeline.control", allowed).status_code,
            "500");
  EXPECT_FALSE(parse_zap_request({"1.0", "7", "d"}));
}

// ---- CURVE key files -------------------------------------------------------------------------

TEST(CurveKeys, GeneratedPairsAreConsistentAndDistinct) {
  const auto a = generate_curve_key_pair();
  const auto b = generate_curve_key_pair();
  EXPECT_TRUE(is_z85_key(a.public_key));
  EXPECT_TRUE(is_z85_key(a.secret_key));
  EXPECT_NE(a.public_key, b.public_key);
  EXPECT_EQ(curve_public_key(a.secret_key), a.public_key);
}

TEST(CurveKeys, RfcTestVectorPublicKey) {
  // The server key pair of libzmq's CURVE tests.
  EXPECT_EQ(curve_public_key("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"),
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
  EXPECT_FALSE(curve_public_key("too short"));
}

TEST(CurveKeys, KeygenOutputParsesBack) {
  const auto pair = generate_curve_key_pair();
  std::string error;
  const auto parsed = parse_key_file(key_file_text(pair), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->public_key, pair.public_key);
  EXPECT_EQ(parsed->secret_key, pair.secret_key);
}

TEST(CurveKeys, ABareSecretKeyIsAKeyFile) {
  const auto pair = generate_curve_key_pair();
  std::string error;
  const auto parsed = parse_key_file("# mine\n\n" + pair.secret_key + "\n", error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->public_key, pair.public_key);
}

TEST(CurveKeys, BadKeyFilesSayWhatIsWrongWithoutTheSecret) {
  const auto pair = generate_curve_key_pair();
  const auto other = generate_curve_key_pair();
  std::string error;
  EXPECT_FALSE(parse_key_file("# nothing\n", error));
  EXPECT_NE(error.find("no secret key"), std::string::npos) << error;
  EXPECT_FALSE(parse_key_file(
      "public-key: " + other.public_key + "\nsecret-key: " + pair.secret_key + "\n", error));
  EXPECT_NE(error.find("does not belong"), std::string::npos) << error;
  EXPECT_EQ(error.find(pair.secret_key), std::string::npos);
  EXPECT_FALSE(parse_key_file("secret-key: abc\n", error));
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
  EXPECT_FALSE(parse_key_file(
      "secret-key: " + pair.secret_key + "\nsecret-key: " + other.secret_key + "\n", error));
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_FALSE(parse_key_file("hello world\n", error));
  EXPECT_NE(error.find("expected"), std::string::npos) << error;
}

class CurveKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/lifeline-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& text, mode_t mode) {
    const std::string path = dir_ + "/key";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string dir_;
};

TEST_F(CurveKeyFileTest, LoadsAPrivateOrGroupReadableFile) {
  const auto pair = generate_curve_key_pair();
  for (const mode_t mode : {0600, 0400, 0640, 0440}) {
    std::string error;
    const auto loaded = load_key_file(write(key_file_text(pair), mode), error);
    ASSERT_TRUE(loaded) << std::oct << mode << ": " << error;
    EXPECT_EQ(loaded->secret_key, pair.secret_key);
  }
}

TEST_F(CurveKeyFileTest, RefusesAFileOthersCanReadOrTheGroupCanWrite) {
  const auto pair = generate_curve_key_pair();
  for (const mode_t mode : {0644, 0604, 0660, 0666}) {
    std::string error;
    EXPECT_FALSE(load_key_file(write(key_file_text(pair), mode), error)) << std::oct << mode;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
  }
  std::string error;
  EXPECT_FALSE(load_key_file(dir_ + "/missing", error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

}  // namespace
}  // namespace lifeline::control
