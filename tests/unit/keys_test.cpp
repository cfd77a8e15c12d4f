// Key files (links/probes/keys.hpp) as an operator writes them, and the ways they go wrong.
#include "links/probes/keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "links/probes/key_ring.hpp"

namespace lifeline::probes {
namespace {

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-keys-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text, mode_t mode = 0600) {
    const auto path = dir_ / ("key" + std::to_string(++files_));
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  std::optional<ProbeKey> load(const std::string& text, mode_t mode = 0600) {
    error_.clear();
    return load_key_file(write(text, mode), error_);
  }

  std::filesystem::path dir_;
  int files_ = 0;
  std::string error_;
};

TEST_F(KeyFileTest, ReadsAKeyWithComments) {
  const auto k = load("# HQ reflector, rotated 2024-05\n\n  7   " + kHex + "  \n# end\n");
  ASSERT_TRUE(k) << error_;
  EXPECT_EQ(k->id, 7);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(k->secret[i], i);
}

TEST_F(KeyFileTest, AcceptsUpperCaseHexCrLfAndNoFinalNewline) {
  std::string upper = kHex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  auto k = load("65535 " + upper + "\r\n");
  ASSERT_TRUE(k) << error_;
  EXPECT_EQ(k->id, 65535);
  k = load("1\t" + kHex);
  ASSERT_TRUE(k) << error_;
  EXPECT_EQ(k->id, 1);
  EXPECT_TRUE(load("1 " + kHex + "\n", 0400)) << error_;
}

TEST_F(KeyFileTest, RefusesBadHex) {
  std::string bad = kHex;
  bad[10] = 'g';
  EXPECT_FALSE(load("1 " + bad + "\n"));
  EXPECT_EQ(error_, "line 1: the key must be 64 hex digits (0-9, a-f)");
}

TEST_F(KeyFileTest, RefusesWrongLength) {
  EXPECT_FALSE(load("1 " + kHex.substr(2) + "\n"));
  EXPECT_EQ(error_, "line 1: the key must be 64 hex digits (32 bytes); it has 62 characters");
  EXPECT_FALSE(load("# c\n1 " + kHex + "00\n"));
  EXPECT_EQ(error_, "line 2: the key must be 64 hex digits (32 bytes); it has 66 characters");
}

TEST_F(KeyFileTest, RefusesIdsOutOfRange) {
  for (const char* id : {"0", "65536", "100000", "-1", "x", "1.5", "+3"}) {
    EXPECT_FALSE(load(std::string(id) + " " + kHex + "\n")) << id;
    EXPECT_EQ(error_, "line 1: the key id must be a number from 1 to 65535") << id;
  }
}

TEST_F(KeyFileTest, RefusesMissingOrExtraParts) {
  EXPECT_FALSE(load("# only a comment\n\n"));
  EXPECT_EQ(error_, "holds no key; expected a line '<key id> <64 hex digits>'");
  EXPECT_FALSE(load(""));
  EXPECT_FALSE(load(kHex + "\n"));
  EXPECT_EQ(error_, "line 1: expected '<key id> <64 hex digits>'");
  EXPECT_FALSE(load("1 " + kHex + " trailing\n"));
  EXPECT_EQ(error_, "line 1: expected '<key id> <64 hex digits>' and nothing after it");
  EXPECT_FALSE(load("1 " + kHex + "\n2 " + kHex + "\n"));
  EXPECT_EQ(error_, "line 2: a second key (the first is on line 1); a key file holds one key");
}

TEST_F(KeyFileTest, RefusesFilesOthersCanReadOrTheGroupCanWrite) {
  EXPECT_TRUE(load("1 " + kHex + "\n", 0640)) << "root:lifeline 0640: the daemon's group reads it";
  EXPECT_TRUE(load("1 " + kHex + "\n", 0440));
  EXPECT_FALSE(load("1 " + kHex + "\n", 0644));
  EXPECT_EQ(error_,
            "mode 0644 lets others read, or the group write, the key; allowed: 0600, 0640, 0400 or "
            "0440 (chmod 600)");
  EXPECT_FALSE(load("1 " + kHex + "\n", 0604));
  EXPECT_FALSE(load("1 " + kHex + "\n", 0602)) << "world-writable: anyone could replace it";
  EXPECT_FALSE(load("1 " + kHex + "\n", 0620));
}

TEST_F(KeyFileTest, RefusesWhatIsNotAKeyFile) {
  EXPECT_FALSE(load_key_file((dir_ / "missing").string(), error_));
  EXPECT_EQ(error_, "cannot open: No such file or directory");
  std::filesystem::create_directory(dir_ / "d");
  ::chmod((dir_ / "d").c_str(), 0700);
  EXPECT_FALSE(load_key_file((dir_ / "d").string(), error_));
  EXPECT_EQ(error_, "is not a regular file");
  EXPECT_FALSE(load("1 " + kHex + "\n" + std::string(20000, '#')));
}

TEST_F(KeyFileTest, ErrorsNeverQuoteTheSecret) {
  const std::string secretish = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbee";
  EXPECT_FALSE(load("1 " + secretish + "z\n"));
  EXPECT_EQ(error_.find("deadbeef"), std::string::npos) << error_;
  EXPECT_FALSE(load("1 " + secretish + "\n"));
  EXPECT_EQ(error_.find("deadbeef"), std::string::npos) << error_;
}

TEST_F(KeyFileTest, GeneratedKeysLoad) {
  std::string line = generate_key_line(42);
  const auto k = load("# generated\n" + line);
  ASSERT_TRUE(k) << error_;
  EXPECT_EQ(k->id, 42);
  EXPECT_NE(k->secret, (std::array<std::uint8_t, 32>{}));
  EXPECT_NE(generate_key_line(42), line) << "fresh randomness each time";
  EXPECT_THROW(generate_key_line(0), std::invalid_argument);
}

}  // namespace
}  // namespace lifeline::probes
