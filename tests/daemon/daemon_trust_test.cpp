// Link trust in the running daemon (docs/trust.md), with attestations signed by the real
// minisign binary: C2 (require trust: attested) keeps off a link whose attestation names an
// untrusted vendor while bulk traffic uses it; a new, clean attestation installed and
// reloaded brings C2 back; an older one (a rollback) is refused and C2 leaves again; the
// accepted serials are kept on disk; each change is an event.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon_harness.hpp"

namespace lifeline::daemon {
namespace {

using namespace testing;
namespace fs = std::filesystem;

// Settled with C2 failing closed (no attested link for it) and bulk on 5G.
bool c2_black_holed_bulk_on_5g(DaemonHarness& h) {
  const auto s = h.snapshot();
  return s && s->settled && s->classes[0].target.kind == "blackhole" && h.class_on(1, "wwan0");
}

class DaemonTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v minisign >/dev/null") != 0) {
      FAIL() << "minisign is not installed (Debian package minisign; scripts/setup.sh)";
    }
    dir_ = fs::temp_directory_path() / ("lifeline-daemon-trust-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    run("minisign -G -W -p " + (dir_ / "nca.pub").string() + " -s " + (dir_ / "nca.key").string());
    std::ifstream pub(dir_ / "nca.pub");
    std::getline(pub, public_key_);
    std::getline(pub, public_key_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void run(const std::string& command) {
    ASSERT_EQ(std::system((command + " </dev/null >/dev/null 2>&1").c_str()), 0) << command;
  }

  void attest(const std::string& link, int serial, const std::string& core_vendor) {
    const auto file = dir_ / (link + ".yaml");
    std::ofstream(file) << "operator: Example Mobile\nlink: " << link << "\nserial: " << serial
                        << "\nissued: 2026-01-01T00:00:00Z\nnot_before: 2026-01-01T00:00:00Z\n"
                           "expires: 2099-01-01T00:00:00Z\nequipment:\n"
                           "  - { role: ran, vendor: Ericsson }\n  - { role: core, vendor: "
                        << core_vendor << " }\n";
    fs::remove(file.string() + ".minisig");
    run("minisign -S -s " + (dir_ / "nca.key").string() + " -m " + file.string());
  }

  std::string config() const {
    std::string yaml = kConfig;
    const auto at = [&](const std::string& link) { return "    attestation: " + (dir_ / (link + ".yaml")).string() + "\n"; };
    yaml.insert(yaml.find("  - name: leo"), at("5g"));
    yaml.insert(yaml.find("classes:"), at("leo"));
    yaml.replace(yaml.find("when_none: blackhole"), 20, "when_none: blackhole, require: { trust: attested }");
    yaml += "trust:\n  authorities: [{ name: nca, public_key: \"" + public_key_ + "\" }]\n"
            "  untrusted_vendors: [huawei]\n  state: " + (dir_ / "serials").string() + "\n";
    return yaml;
  }

  std::string serials() const {
    std::ifstream in(dir_ / "serials");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  std::string public_key_;
};

TEST_F(DaemonTrust, ClassesThatRequireAttestedLinksFollowTheAttestations) {
  attest("5g", 7, "Huawei");
  attest("leo", 3, "Nokia");
  DaemonHarness h(config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  // C2 keeps off the violating 5G; bulk (no requirement) uses it.
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0") && h.class_on(1, "wwan0"); }));
  auto s = h.snapshot();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->links[0].trust, "violating");
  EXPECT_NE(s->links[0].trust_reason.find("untrusted vendor Huawei (core)"), std::string::npos)
      << s->links[0].trust_reason;
  EXPECT_EQ(s->links[1].trust, "attested");
  EXPECT_TRUE(h.events_->has("trust", "\"to\":\"violating\""));
  EXPECT_NE(serials().find("5g 7"), std::string::npos) << serials();
  EXPECT_NE(serials().find("leo 3"), std::string::npos) << serials();

  // The operator's new attestation: the core was replaced.
  attest("5g", 8, "Nokia");
  h.reload();
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));  // back after its hold-down
  EXPECT_EQ(h.snapshot()->links[0].trust, "attested");
  EXPECT_NE(serials().find("5g 8"), std::string::npos) << serials();

  // Someone brings back the old one (serial 7, clean this time, but older): refused.
  attest("5g", 7, "Nokia");
  h.reload();
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  s = h.snapshot();
  EXPECT_EQ(s->links[0].trust, "unattested");
  EXPECT_NE(s->links[0].trust_reason.find("rollback"), std::string::npos) << s->links[0].trust_reason;
  EXPECT_TRUE(h.class_on(1, "wwan0"));  // bulk does not care
}

// Rollback protection fails closed: if the accepted serials cannot be read, no attestation
// counts (and nothing is written over them).
TEST_F(DaemonTrust, UnreadableSerialsAcceptNoAttestation) {
  attest("5g", 7, "Nokia");
  attest("leo", 3, "Nokia");
  fs::create_directories(dir_ / "serials");  // a directory where the file should be
  DaemonHarness h(config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return c2_black_holed_bulk_on_5g(h); }));
  const auto s = h.snapshot();
  EXPECT_EQ(s->links[0].trust, "unattested");
  EXPECT_NE(s->links[0].trust_reason.find("cannot be read"), std::string::npos) << s->links[0].trust_reason;
  EXPECT_TRUE(fs::is_directory(dir_ / "serials"));
}

TEST_F(DaemonTrust, WithoutAnyAttestedLinkAFailClosedClassIsBlackHoled) {
  attest("5g", 1, "ZTE");  // not untrusted here, but leo's signature is broken below
  attest("leo", 1, "Huawei");
  std::ofstream(dir_ / "5g.yaml", std::ios::app) << "# changed after signing\n";
  DaemonHarness h(config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ASSERT_TRUE(h.eventually([&] { return c2_black_holed_bulk_on_5g(h); }));
  const auto s = h.snapshot();
  EXPECT_EQ(s->links[0].trust, "unattested");
  EXPECT_NE(s->links[0].trust_reason.find("does not match the file"), std::string::npos) << s->links[0].trust_reason;
  EXPECT_EQ(s->links[1].trust, "violating");
}

}  // namespace
}  // namespace lifeline::daemon
