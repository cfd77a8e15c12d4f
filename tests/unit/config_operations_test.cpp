// The operations keys of the config contract: control, events, metrics, journal, drills.
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace lifeline::config {
namespace {

const std::string kBase = R"(node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}] }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole }
)";

LoadResult load(const std::string& extra) { return load_config_text(kBase + extra, "ops.yaml"); }

const char* kKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";  // 40 Z85 characters

TEST(ConfigOperations, DefaultsWhenAbsent) {
  const auto r = load("");
  ASSERT_TRUE(r.ok());
  const auto& c = *r.config;
  EXPECT_EQ(c.control.socket, "/run/lifeline/control.sock");
  EXPECT_EQ(c.control.group, "lifeline");
  EXPECT_FALSE(c.control.tcp);
  EXPECT_EQ(c.events.socket, "/run/lifeline/events.sock");
  EXPECT_EQ(c.metrics.address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.metrics.port, kDefaultMetricsPort);
  EXPECT_EQ(c.journal.path, "/var/lib/lifeline/journal.db");
  EXPECT_EQ(c.journal.retention, std::chrono::hours(24 * 30));
  EXPECT_FALSE(c.drills.targets.outage);
}

TEST(ConfigOperations, EveryKeyIsRead) {
  const auto r = load(std::string(R"(control:
  socket: /run/lifeline-test/control.sock
  group: signal-corps
  tcp:
    listen: 198.18.0.1:7441
    server_key_file: /etc/lifeline/keys/control.key
    allowed_clients: [")") + kKey + R"("]
events:
  socket: /run/lifeline-test/events.sock
  tcp: { listen: "[2001:db8::1]:7442", server_key_file: /etc/lifeline/keys/events.key, allowed_clients: [")" +
                      kKey + R"("] }
metrics:
  listen: 127.0.0.1:0
journal:
  path: /var/lib/lifeline-test/journal.db
  retention: 7d
  max_rows: 5000
drills:
  targets: { detection: 100ms, switchover: 10ms, outage: 150ms, failback: 2m }
  max_duration: 10m
)");
  for (const auto& e : r.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(r.ok());
  const auto& c = *r.config;
  EXPECT_EQ(c.control.group, "signal-corps");
  ASSERT_TRUE(c.control.tcp);
  EXPECT_EQ(c.control.tcp->address.to_string(), "198.18.0.1");
  EXPECT_EQ(c.control.tcp->port, 7441);
  EXPECT_EQ(c.control.tcp->allowed_clients.size(), 1u);
  ASSERT_TRUE(c.events.tcp);
  EXPECT_EQ(c.events.tcp->address.to_string(), "2001:db8::1");
  EXPECT_EQ(c.metrics.address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.metrics.port, 0);
  EXPECT_EQ(c.journal.retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(c.journal.max_rows, 5000u);
  EXPECT_EQ(*c.drills.targets.outage, Duration(150ms));
  EXPECT_EQ(c.drills.max_duration, Duration(std::chrono::minutes(10)));
}

void expect_error(const std::string& extra, int line, const std::string& text) {
  const auto r = load(extra);
  ASSERT_FALSE(r.ok()) << extra;
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].line, line) << r.errors[0].to_string();
  EXPECT_NE(r.errors[0].message.find(text), std::string::npos) << r.errors[0].to_string();
}

TEST(ConfigOperations, MistakesAreNamedWithTheirPosition) {
  // kBase has 5 lines; the extra starts at line 6.
  expect_error("control: { socket: run/control.sock }\n", 6, "must be an absolute path");
  expect_error("control: { group: \"Signal Corps\" }\n", 6, "is not a valid group name");
  expect_error("control: { sokcet: /run/x.sock }\n", 6, "did you mean 'socket'?");
  expect_error("control:\n  tcp: { listen: 198.18.0.1:7441, server_key_file: /k }\n", 7, "allowed_clients: is required");
  expect_error("control:\n  tcp: { listen: 198.18.0.1, server_key_file: /k, allowed_clients: [x] }\n", 7,
               "is not address:port");
  expect_error("control:\n  tcp: { listen: 198.18.0.1:7441, server_key_file: /k, allowed_clients: [tooshort] }\n", 7,
               "is not a CURVE public key");
  expect_error("control:\n  tcp: { listen: 198.18.0.1:7441, server_key_file: /k, allowed_clients: [] }\n", 7,
               "needs at least one client public key");
  expect_error("events: { socket: /run/lifeline/control.sock }\n", 6, "same path as control.socket");
  expect_error("metrics: { listen: localhost:9100 }\n", 6, "is not address:port");
  expect_error("metrics: { listen: \"[::1]:9100\" }\n", 6, "listens on IPv4 only");
  expect_error("journal: { path: journal.db }\n", 6, "must be an absolute path");
  expect_error("journal: { retention: 10m }\n", 6, "out of range");
  expect_error("journal: { max_rows: 10 }\n", 6, "out of range");
  expect_error("drills: { targets: { outage: 150 } }\n", 6, "has no unit");
  expect_error("drills: { targets: { switch: 1ms } }\n", 6, "did you mean 'switchover'?");
}

constexpr const char* kNcaKey = "RWTkSgGBy/pisYxu4lOLRmq3isP3oTFCKy32Itj2iyjKMS/v5pkue5Kx";  // minisign -G

TEST(ConfigTrust, AuthoritiesVendorsStateAttestationsAndTheClassRequirement) {
  const std::string yaml = std::string(R"(node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}],
      attestation: /etc/lifeline/attestations/5g.yaml }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole,
      require: { trust: attested } }
trust:
  authorities: [{ name: nca, public_key: ")") + kNcaKey + R"(" }]
  untrusted_vendors: [Huawei, ZTE]
  state: /var/lib/lifeline-test/serials
)";
  const auto r = load_config_text(yaml, "trust.yaml");
  for (const auto& e : r.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(r.ok());
  const auto& c = *r.config;
  ASSERT_EQ(c.trust.authorities.size(), 1u);
  EXPECT_EQ(c.trust.authorities[0].name, "nca");
  EXPECT_EQ(c.trust.authorities[0].key_id[0], 0xe4);  // little-endian B162FACB81014AE4
  EXPECT_EQ(c.trust.untrusted_vendors, (std::vector<std::string>{"Huawei", "ZTE"}));
  EXPECT_EQ(c.trust.state, "/var/lib/lifeline-test/serials");
  EXPECT_EQ(c.links[0].attestation, "/etc/lifeline/attestations/5g.yaml");
  EXPECT_EQ(c.classes[0].require.trust, TrustRequirement::attested);
  // Defaults.
  const auto d = load("");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.config->trust.authorities.empty());
  EXPECT_EQ(d.config->trust.state, "/var/lib/lifeline/attestation-serials");
  EXPECT_EQ(d.config->classes[0].require.trust, TrustRequirement::any);
}

TEST(ConfigTrust, MistakesAreNamedWithTheirPosition) {
  expect_error("trust: { authorities: [{ name: nca, public_key: \"RWTkSgGBy\" }] }\n", 6, "is not base64");
  expect_error("trust: { authorities: [{ name: nca, public_key: \"QUJD\" }] }\n", 6, "is not a minisign public key");
  expect_error(std::string("trust: { authorities: [{ name: nca, public_key: \"") + kNcaKey +
                   "\" }, { name: nca, public_key: \"" + kNcaKey + "\" }] }\n",
               6, "is listed twice");
  expect_error("trust: { authorities: [{ name: nca }] }\n", 6, "public_key: is required");
  expect_error("trust: { untrusted_vendors: [\"\"] }\n", 6, "is empty");
  expect_error("trust: { state: serials }\n", 6, "must be an absolute path");
  expect_error("trust: { authorites: [] }\n", 6, "did you mean 'authorities'?");
  // An attestation nobody may sign.
  const auto r = load_config_text(R"(node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}], attestation: /etc/a.yaml }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole,
      require: { trust: attested } }
)",
                                  "t.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors[0].message.find("no authority may sign one"), std::string::npos) << r.errors[0].to_string();
  const auto bad = load_config_text(R"(node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}] }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole,
      require: { trust: yes } }
)",
                                    "t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.errors[0].line, 6);
  EXPECT_NE(bad.errors[0].message.find("any"), std::string::npos) << bad.errors[0].to_string();
}

TEST(ConfigIntegrity, QuarantinePathIntegrityAndTheClassRequirement) {
  const auto r = load_config_text(R"(node: t
links:
  - { name: 5g, interface: wwan0, kind: cellular, probes: [{type: icmp, target: 198.19.0.1}],
      path_integrity: { auth_failures: suspicion, replays: violation } }
classes:
  - { name: c2, precedence: flash, match: {dscp: [ef]}, links: [5g], when_none: blackhole,
      require: { integrity: true } }
integrity: { quarantine: 30m }
)",
                                  "i.yaml");
  for (const auto& e : r.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->links[0].path_integrity.auth_failures, Verdict::suspicion);
  EXPECT_EQ(r.config->links[0].path_integrity.replays, Verdict::violation);
  EXPECT_TRUE(r.config->classes[0].require.integrity);
  EXPECT_EQ(r.config->integrity.quarantine, std::chrono::minutes(30));
  const auto d = load("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.config->links[0].path_integrity.auth_failures, Verdict::violation);
  EXPECT_EQ(d.config->links[0].path_integrity.replays, Verdict::suspicion);
  EXPECT_FALSE(d.config->classes[0].require.integrity);
  EXPECT_EQ(d.config->integrity.quarantine, std::chrono::minutes(10));
  expect_error("integrity: { quarantine: 0s }\n", 6, "out of range");
  expect_error("integrity: { quarantine: 10m, expiry: 1h }\n", 6, "unknown key 'expiry'");
}

}  // namespace
}  // namespace lifeline::config
