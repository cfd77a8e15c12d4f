// Vendor attestations as the security cell makes them: signed with the real `minisign`
// binary (Debian package minisign), in both of its signature forms, and checked by
// links/attestation: a good one is `attested`; an untrusted vendor is `violating`; a changed
// byte, a changed trusted comment, a stranger's key, no signature, the wrong link, a lower
// serial, not yet valid and expired are `unattested`, each with its reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/utc_time.hpp"
#include "config/minisign_key.hpp"
#include "links/attestation.hpp"

namespace lifeline::links {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const SystemTime kNow = *utc::parse("2026-11-29T12:00:00Z");

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string attestation_yaml(const std::string& link = "5g", int serial = 7,
                             const std::string& core_vendor = "Nokia",
                             const std::string& not_before = "2026-11-01T00:00:00Z",
                             const std::string& expires = "2027-05-01T00:00:00Z") {
  return "operator: Example Mobile\nlink: " + link + "\nserial: " + std::to_string(serial) +
         "\nissued: 2026-11-01T00:00:00Z\nnot_before: " + not_before + "\nexpires: " + expires +
         "\nequipment:\n  - { role: ran,  vendor: Ericsson, model: AIR 6449, firmware_sha256: \"ab12\" }\n"
         "  - { role: core, vendor: " + core_vendor + ", model: Cloud Core }\n";
}

class Attestations : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v minisign >/dev/null") != 0) {
      FAIL() << "minisign is not installed (Debian package minisign; scripts/setup.sh)";
    }
    dir_ = fs::temp_directory_path() / ("lifeline-attest-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    trust_.authorities.push_back(authority("nca"));
    stranger_ = authority("stranger");
    trust_.untrusted_vendors = {"Huawei", "ZTE"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A new minisign key pair, as the authority would make it (no password: -W).
  config::TrustAuthority authority(const std::string& name) {
    const auto pub = dir_ / (name + ".pub"), key = dir_ / (name + ".key");
    run("minisign -G -W -p " + pub.string() + " -s " + key.string());
    std::istringstream lines(read(pub));
    std::string line;
    std::getline(lines, line);  // untrusted comment
    std::getline(lines, line);
    std::string error;
    const auto parsed = parse_minisign_public_key(line, error);
    EXPECT_TRUE(parsed) << error;
    config::TrustAuthority a;
    a.name = name;
    a.public_key = line;
    if (parsed) {
      a.key_id = parsed->key_id;
      a.key = parsed->key;
    }
    return a;
  }

  // Writes `yaml` and signs it with `signer`'s key; returns {file bytes, signature text}.
  std::pair<std::string, std::string> signed_file(const std::string& yaml, const std::string& signer = "nca",
                                                  bool legacy = false) {
    const auto file = dir_ / "5g.yaml";
    write(file, yaml);
    fs::remove(file.string() + ".minisig");
    run("minisign -S " + std::string(legacy ? "-l " : "") + "-s " + (dir_ / (signer + ".key")).string() +
        " -m " + file.string() + " -t 'attestation of 5g'");
    return {read(file), read(file.string() + ".minisig")};
  }

  TrustVerdict evaluate(const std::pair<std::string, std::string>& f, std::optional<std::uint64_t> last = {},
                        SystemTime now = kNow) {
    return evaluate_attestation(f.first, f.second, "5g", trust_, last, now);
  }

  static void run(const std::string& command) {
    ASSERT_EQ(std::system((command + " </dev/null >/dev/null 2>&1").c_str()), 0) << command;
  }

  fs::path dir_;
  config::TrustConfig trust_;
  config::TrustAuthority stranger_;
};

TEST_F(Attestations, ASignedAttestationOfTrustedVendorsIsAttested) {
  for (const bool legacy : {false, true}) {
    const auto v = evaluate(signed_file(attestation_yaml(), "nca", legacy));
    EXPECT_EQ(v.trust, Trust::attested) << (legacy ? "legacy: " : "prehashed: ") << v.reason;
    EXPECT_EQ(v.authority, "nca");
    EXPECT_EQ(v.accepted_serial, 7u);
    EXPECT_EQ(v.next_change, utc::parse("2027-05-01T00:00:00Z"));
    ASSERT_TRUE(v.attestation);
    EXPECT_EQ(v.attestation->operator_name, "Example Mobile");
    ASSERT_EQ(v.attestation->equipment.size(), 2u);
    EXPECT_EQ(v.attestation->equipment[0].model, "AIR 6449");
    EXPECT_NE(v.reason.find("valid until 2027-05-01"), std::string::npos) << v.reason;
  }
}

TEST_F(Attestations, AnUntrustedVendorMakesTheLinkViolatingWhateverItsCase) {
  const auto v = evaluate(signed_file(attestation_yaml("5g", 7, "huawei")));
  EXPECT_EQ(v.trust, Trust::violating);
  EXPECT_NE(v.reason.find("untrusted vendor huawei (core)"), std::string::npos) << v.reason;
}

TEST_F(Attestations, AChangedByteBreaksTheSignature) {
  for (const bool legacy : {false, true}) {
    auto f = signed_file(attestation_yaml(), "nca", legacy);
    f.first.replace(f.first.find("Nokia"), 5, "Nokib");
    const auto v = evaluate(f);
    EXPECT_EQ(v.trust, Trust::unattested);
    EXPECT_NE(v.reason.find("does not match the file"), std::string::npos) << v.reason;
    EXPECT_FALSE(v.attestation) << "nothing of a file with a bad signature is read";
  }
}

TEST_F(Attestations, AChangedTrustedCommentBreaksTheGlobalSignature) {
  auto f = signed_file(attestation_yaml());
  f.second.replace(f.second.find("attestation of 5g"), 17, "attestation of 4g");
  const auto v = evaluate(f);
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("trusted comment"), std::string::npos) << v.reason;
}

TEST_F(Attestations, AStrangersSignatureIsNotTrusted) {
  const auto v = evaluate(signed_file(attestation_yaml(), "stranger"));
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("not a trusted authority"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find(minisign_key_id_hex(stranger_.key_id)), std::string::npos) << v.reason;
}

TEST_F(Attestations, NoSignatureOrAGarbledOneIsUnattested) {
  const auto f = signed_file(attestation_yaml());
  EXPECT_EQ(evaluate_attestation(f.first, std::nullopt, "5g", trust_, {}, kNow).trust, Trust::unattested);
  for (const std::string& bad : std::vector<std::string>{"", "untrusted comment: x\nnot base64\n", f.second.substr(0, f.second.size() / 2)}) {
    const auto v = evaluate({f.first, bad});
    EXPECT_EQ(v.trust, Trust::unattested) << bad;
    EXPECT_NE(v.reason.find("signature:"), std::string::npos) << v.reason;
  }
}

TEST_F(Attestations, AnAttestationForAnotherLinkDoesNotCount) {
  const auto v = evaluate(signed_file(attestation_yaml("leo")));
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("is for link 'leo'"), std::string::npos) << v.reason;
}

TEST_F(Attestations, ALowerSerialThanAcceptedBeforeIsARollback) {
  const auto f = signed_file(attestation_yaml("5g", 7));
  EXPECT_EQ(evaluate(f, 7).trust, Trust::attested);  // the same one again: fine
  const auto v = evaluate(f, 8);
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("rollback"), std::string::npos) << v.reason;
  EXPECT_FALSE(v.accepted_serial);
}

TEST_F(Attestations, OutsideItsValidityWindowItIsUnattested) {
  const auto f = signed_file(attestation_yaml("5g", 7, "Nokia", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"));
  auto v = evaluate(f);
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("not valid before 2026-12-01"), std::string::npos) << v.reason;
  EXPECT_EQ(v.next_change, utc::parse("2026-12-01T00:00:00Z"));  // re-checked then
  v = evaluate(f, {}, *utc::parse("2026-12-01T00:00:00Z"));
  EXPECT_EQ(v.trust, Trust::attested) << v.reason;
  v = evaluate(f, {}, *utc::parse("2027-01-01T00:00:00Z"));
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("expired 2027-01-01"), std::string::npos) << v.reason;
}

TEST_F(Attestations, ASignedButMalformedAttestationSaysWhere) {
  const auto v = evaluate(signed_file("operator: X\nlink: 5g\nserial: seven\n"));
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_NE(v.reason.find("signed by nca but unreadable"), std::string::npos) << v.reason;
}

// Reading the pair from disk: what cannot be read is named, and the link stays unattested.
TEST(AttestationFiles, AFileThatCannotBeReadIsNamedAndLeavesTheLinkUnattested) {
  const fs::path dir = fs::temp_directory_path() / ("lifeline-attest-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "5g.yaml").string();
  auto v = judge_attestation_file(path, "5g", {}, std::nullopt, kNow);
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_EQ(v.reason.rfind(path + ": ", 0), 0u) << v.reason;
  std::ofstream(path) << "operator: X\nlink: 5g\nserial: 1\n";
  v = judge_attestation_file(path, "5g", {}, std::nullopt, kNow);
  EXPECT_EQ(v.trust, Trust::unattested);
  EXPECT_EQ(v.reason.rfind(path + ".minisig: ", 0), 0u) << v.reason;
  fs::remove_all(dir);
}

TEST(MinisignKey, ReadsThePublicKeyLineAndRefusesOthers) {
  std::string error;
  // From a real `minisign -G`: key id B162FACB81014AE4.
  const auto key = parse_minisign_public_key("RWTkSgGBy/pisYxu4lOLRmq3isP3oTFCKy32Itj2iyjKMS/v5pkue5Kx", error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(minisign_key_id_hex(key->key_id), "B162FACB81014AE4");
  EXPECT_FALSE(parse_minisign_public_key("RWTkSgGBy/pis", error));
  EXPECT_FALSE(parse_minisign_public_key("not base64 at all!!", error));
  // A signature line is base64 too, but not a key.
  EXPECT_FALSE(parse_minisign_public_key(
      "RUTkSgGBy/pisSHcHtmTv1xFoXcS7/O+0ru7bIC1W6+2ME5VBWNVoGwf6+uH7Icb55Sn+rahJa2Cnc0pjcKzMGLIB2FdR0mx9AM=", error));
}

}  // namespace
}  // namespace lifeline::links
