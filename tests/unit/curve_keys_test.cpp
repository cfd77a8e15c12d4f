// CURVE key pairs and key files (zmq/curve_keys): what keygen writes reads back; bad files and
// files others can read are refused with a reason that never shows the secret.
#include "zmq/curve_keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace lifeline::curve {
namespace {

TEST(CurveKeys, GeneratedPairsAreConsistentAndDistinct) {
  const auto a = generate_key_pair();
  const auto b = generate_key_pair();
  EXPECT_TRUE(is_z85_key(a.public_key));
  EXPECT_TRUE(is_z85_key(a.secret_key));
  EXPECT_NE(a.public_key, b.public_key);
  EXPECT_EQ(public_key_of(a.secret_key), a.public_key);
}

TEST(CurveKeys, RfcTestVectorPublicKey) {
  // The server key pair of libzmq's CURVE tests.
  EXPECT_EQ(public_key_of("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"),
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
  EXPECT_FALSE(public_key_of("too short"));
}

TEST(CurveKeys, KeygenOutputParsesBack) {
  const auto pair = generate_key_pair();
  std::string error;
  const auto parsed = parse_key_file(key_file_text(pair), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->public_key, pair.public_key);
  EXPECT_EQ(parsed->secret_key, pair.secret_key);
}

TEST(CurveKeys, ABareSecretKeyIsAKeyFile) {
  const auto pair = generate_key_pair();
  std::string error;
  const auto parsed = parse_key_file("# mine\n\n" + pair.secret_key + "\n", error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->public_key, pair.public_key);
}

TEST(CurveKeys, BadKeyFilesSayWhatIsWrongWithoutTheSecret) {
  const auto pair = generate_key_pair();
  const auto other = generate_key_pair();
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
  const auto pair = generate_key_pair();
  for (const mode_t mode : {0600, 0400, 0640, 0440}) {
    std::string error;
    const auto loaded = load_key_file(write(key_file_text(pair), mode), error);
    ASSERT_TRUE(loaded) << std::oct << mode << ": " << error;
    EXPECT_EQ(loaded->secret_key, pair.secret_key);
  }
}

TEST_F(CurveKeyFileTest, RefusesAFileOthersCanReadOrTheGroupCanWrite) {
  const auto pair = generate_key_pair();
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
}  // namespace lifeline::curve
