// lifeline-channel's configuration as an operator meets it: the shipped example and a full
// file load with the values written and the documented defaults; each kind of mistake is
// refused with "file:line:column: path: what is wrong; what is allowed" pointing at it. And
// the duplicate filter that keeps chained channels from echoing (channel/recent_messages.hpp).
#include "channel/channel_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channel/recent_messages.hpp"

namespace lifeline::channel {
namespace {

constexpr const char* kKeyA = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr const char* kKeyB = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
constexpr const char* kKeyC = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

std::string all(const ChannelLoadResult& result) {
  std::string out;
  for (const auto& e : result.errors) out += "\n  " + e.to_string();
  return out;
}

ChannelLoadResult load(const std::string& yaml) {
  return load_channel_config_text(yaml, "channel.yaml");
}

// The head of a valid file; tests append or replace lines after it.
std::string head() {
  return "xsub: tcp://198.18.50.1:7444\n"                      // line 1
         "xpub: tcp://198.18.50.1:7443\n"                      // line 2
         "curve_key_file: /etc/lifeline/keys/channel.curve\n"  // line 3
         "allowed_clients:\n"                                  // line 4
         "  - { name: base-alpha-gw1, public_key: \"" +
         std::string(kKeyA) + "\" }\n";  // line 5
}

// Exactly one error, at `line`:`column`, whose message contains `text`.
void expect_error(const std::string& yaml, int line, int column, const std::string& text) {
  const auto result = load(yaml);
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << yaml << all(result);
  const auto& e = result.errors[0];
  EXPECT_EQ(e.file, "channel.yaml");
  EXPECT_EQ(e.line, line) << e.to_string();
  EXPECT_EQ(e.column, column) << e.to_string();
  EXPECT_NE(e.message.find(text), std::string::npos)
      << "'" << text << "' not in: " << e.to_string();
}

// ---- what loads ---------------------------------------------------------------------------

TEST(ChannelConfig, ShippedExampleLoads) {
  const auto result =
      load_channel_config_file(std::string(LIFELINE_SOURCE_DIR) + "/config/examples/channel.yaml");
  ASSERT_TRUE(result.ok()) << all(result);
  EXPECT_EQ(result.config->xsub.uri(), "tcp://198.18.50.1:7444");
  EXPECT_EQ(result.config->xpub.uri(), "tcp://198.18.50.1:7443");
  EXPECT_EQ(result.config->allowed_clients.size(), 3u);
}

TEST(ChannelConfig, MinimalFileTakesTheDefaults) {
  const auto result = load(head());
  ASSERT_TRUE(result.ok()) << all(result);
  const auto& c = *result.config;
  EXPECT_EQ(c.xsub.transport, Endpoint::Transport::tcp);
  EXPECT_EQ(c.xsub.address, IpAddress::parse("198.18.50.1"));
  EXPECT_EQ(c.xsub.port, 7444);
  EXPECT_EQ(c.curve_key_file, "/etc/lifeline/keys/channel.curve");
  ASSERT_EQ(c.allowed_clients.size(), 1u);
  EXPECT_EQ(c.allowed_clients[0], (AllowedClient{"base-alpha-gw1", kKeyA}));
  EXPECT_EQ(c.max_message_size, 64u * 1024);
  EXPECT_FALSE(c.upstream.has_value());
}

TEST(ChannelConfig, FullFileHasTheValuesWritten) {
  const auto result = load(
      "xsub: tcp://[2001:db8::50]:7444\n"
      "xpub: ipc:///run/lifeline-channel/xpub.sock\n"
      "curve_key_file: /etc/lifeline/keys/channel.curve\n"
      "allowed_clients:\n"
      "  - { name: base-alpha-gw1, public_key: \"" +
      std::string(kKeyA) +
      "\" }\n"
      "  - name: channel_north.2\n"
      "    public_key: \"" +
      std::string(kKeyB) +
      "\"\n"
      "max_message_size: 1MiB\n"
      "upstream:\n"
      "  xsub: tcp://channel.hq.example:7444\n"
      "  xpub: tcp://198.18.60.1:7443\n"
      "  server_key: \"" +
      std::string(kKeyC) +
      "\"\n"
      "  curve_key_file: /etc/lifeline/keys/up.curve\n");
  ASSERT_TRUE(result.ok()) << all(result);
  const auto& c = *result.config;
  EXPECT_EQ(c.xsub.uri(), "tcp://[2001:db8::50]:7444");
  EXPECT_TRUE(c.xsub.needs_ipv6());
  EXPECT_EQ(c.xpub.transport, Endpoint::Transport::ipc);
  EXPECT_EQ(c.xpub.path, "/run/lifeline-channel/xpub.sock");
  EXPECT_EQ(c.xpub.uri(), "ipc:///run/lifeline-channel/xpub.sock");
  EXPECT_FALSE(c.xpub.needs_ipv6());
  ASSERT_EQ(c.allowed_clients.size(), 2u);
  EXPECT_EQ(c.allowed_clients[1], (AllowedClient{"channel_north.2", kKeyB}));
  EXPECT_EQ(c.max_message_size, 1024u * 1024);
  ASSERT_TRUE(c.upstream.has_value());
  EXPECT_EQ(c.upstream->xsub.host_name, "channel.hq.example");
  EXPECT_EQ(c.upstream->xsub.uri(), "tcp://channel.hq.example:7444");
  EXPECT_TRUE(c.upstream->xsub.needs_ipv6());  // a name may resolve to IPv6
  EXPECT_EQ(c.upstream->xpub.uri(), "tcp://198.18.60.1:7443");
  EXPECT_FALSE(c.upstream->xpub.needs_ipv6());
  EXPECT_EQ(c.upstream->server_key, kKeyC);
  EXPECT_EQ(c.upstream->curve_key_file, "/etc/lifeline/keys/up.curve");
}

TEST(ChannelConfig, UpstreamKeyFileDefaultsToTheChannelsOwn) {
  const auto result = load(head() +
                           "upstream:\n"
                           "  xsub: tcp://198.18.60.1:7444\n"
                           "  xpub: tcp://198.18.60.1:7443\n"
                           "  server_key: \"" +
                           std::string(kKeyC) + "\"\n");
  ASSERT_TRUE(result.ok()) << all(result);
  EXPECT_EQ(result.config->upstream->curve_key_file, "/etc/lifeline/keys/channel.curve");
}

// ---- each kind of mistake, where it is ------------------------------------------------------

TEST(ChannelConfigErrors, EmptyFileAndSyntaxError) {
  expect_error("", 1, 1, "the file is empty; it needs at least xsub, xpub");
  expect_error("xsub: [tcp://1.2.3.4:1\n", 2, 1, "YAML syntax error");
  expect_error("- xsub\n", 1, 1, "must be a map of keys, but is a list");
}

TEST(ChannelConfigErrors, UnknownKeyWithSuggestion) {
  expect_error(head() + "max_msg_size: 64KiB\n", 6, 1,
               "unknown key 'max_msg_size'; did you mean 'max_message_size'?");
  expect_error(head() + "colour: blue\n", 6, 1,
               "allowed here: xsub, xpub, curve_key_file, allowed_clients, max_message_size or "
               "upstream");
}

TEST(ChannelConfigErrors, RequiredKeysAreNamed) {
  expect_error(
      "xpub: tcp://198.18.50.1:7443\n"
      "curve_key_file: /k\n"
      "allowed_clients: [{ name: a, public_key: \"" +
          std::string(kKeyA) + "\" }]\n",
      1, 1, "xsub: is required");
  // A misspelt key is reported once, as a typo, not also as missing.
  expect_error(
      "xsub: tcp://198.18.50.1:7444\n"
      "xpub: tcp://198.18.50.1:7443\n"
      "curve_key_file: /k\n"
      "alowed_clients: []\n",
      4, 1, "did you mean 'allowed_clients'?");
}

TEST(ChannelConfigErrors, Endpoints) {
  const std::string rest = "curve_key_file: /k\nallowed_clients: [{ name: a, public_key: \"" +
                           std::string(kKeyA) + "\" }]\n";
  const auto with_xsub = [&](const std::string& xsub) {
    return "xsub: " + xsub + "\nxpub: tcp://198.18.50.1:7443\n" + rest;
  };
  expect_error(with_xsub("http://198.18.50.1:7444"), 1, 7,
               "is not a ZeroMQ endpoint; use tcp://ADDRESS:PORT");
  expect_error(with_xsub("tcp://198.18.50.1"), 1, 7, "needs a port");
  expect_error(with_xsub("tcp://198.18.50.1:0"), 1, 7, "the port must be a number from 1 to 65535");
  expect_error(with_xsub("tcp://198.18.50.1:70000"), 1, 7, "from 1 to 65535");
  expect_error(with_xsub("tcp://2001:db8::1:7444"), 1, 7, "an IPv6 address goes in brackets");
  expect_error(with_xsub("tcp://[198.18.50.1]:7444"), 1, 7,
               "only an IPv6 address goes in brackets");
  expect_error(with_xsub("tcp://channel.example:7444"), 1, 7,
               "the channel binds here, so the host must be an IP address");
  expect_error(with_xsub("tcp://bad_host!:7444"), 1, 7, "is not an IP address");
  expect_error(with_xsub("ipc://run/x.sock"), 1, 7, "needs an absolute path after ipc://");
  expect_error(with_xsub("ipc:///" + std::string(200, 'x')), 1, 7,
               "longer than a unix socket path may be");
  expect_error(with_xsub("tcp://198.18.50.1:7443"), 2, 7, "xpub: is the same endpoint as xsub");
  expect_error("xsub: [a, b]\nxpub: tcp://198.18.50.1:7443\n" + rest, 1, 7,
               "xsub: must be a single value, but is a list");
}

TEST(ChannelConfigErrors, KeyFile) {
  std::string yaml = head();
  yaml.replace(yaml.find("/etc/lifeline/keys/channel.curve"), 32, "keys/channel.curve");
  expect_error(yaml, 3, 17, "curve_key_file: 'keys/channel.curve' must be an absolute path");
}

TEST(ChannelConfigErrors, AllowedClients) {
  const std::string top =
      "xsub: tcp://198.18.50.1:7444\nxpub: tcp://198.18.50.1:7443\n"
      "curve_key_file: /k\n";
  const std::string a = std::string(kKeyA);
  expect_error(top + "allowed_clients: []\n", 4, 18, "allowed_clients: needs at least one client");
  expect_error(top + "allowed_clients: " + a + "\n", 4, 18, "must be a list");
  expect_error(top + "allowed_clients:\n  - { name: a }\n", 5, 5,
               "allowed_clients[0].public_key: is required");
  expect_error(top + "allowed_clients:\n  - { name: a, public_key: abc }\n", 5, 28,
               "allowed_clients[0].public_key: is not a CURVE public key; use the 40-character "
               "Z85 text");
  expect_error(top + "allowed_clients:\n  - { name: 'a b', public_key: \"" + a + "\" }\n", 5, 13,
               "'a b' is not a valid name; use 1-63 letters, digits");
  expect_error(top + "allowed_clients:\n  - { name: a, public_key: \"" + a + "\", key: x }\n", 5,
               72, "allowed_clients[0]: unknown key 'key'");
  expect_error(top +
                   "allowed_clients:\n"
                   "  - { name: a, public_key: \"" +
                   a +
                   "\" }\n"
                   "  - { name: b, public_key: \"" +
                   a + "\" }\n",
               6, 28,
               "is also the key of allowed_clients[0] (a); each base needs its own key pair");
  expect_error(top +
                   "allowed_clients:\n"
                   "  - { name: a, public_key: \"" +
                   a +
                   "\" }\n"
                   "  - { name: a, public_key: \"" +
                   std::string(kKeyB) + "\" }\n",
               6, 13, "'a' is also the name of allowed_clients[0] (a); names must differ");
}

TEST(ChannelConfigErrors, MaxMessageSize) {
  expect_error(head() + "max_message_size: 64KB\n", 6, 19,
               "'64KB' is not a size; use e.g. 64KiB, 1MiB or 65536 (bytes)");
  expect_error(head() + "max_message_size: 512B\n", 6, 19,
               "512B is out of range; use 1KiB to 16MiB");
  expect_error(head() + "max_message_size: 17MiB\n", 6, 19, "out of range");
}

TEST(ChannelConfigErrors, Upstream) {
  const std::string c = std::string(kKeyC);
  expect_error(head() + "upstream:\n  xsub: tcp://198.18.60.1:7444\n  server_key: \"" + c + "\"\n",
               7, 3, "upstream.xpub: is required");
  expect_error(head() +
                   "upstream:\n  xsub: tcp://198.18.60.1:7444\n"
                   "  xpub: tcp://198.18.60.1:7443\n  server_key: nope\n",
               9, 15, "upstream.server_key: is not a CURVE public key");
  expect_error(head() +
                   "upstream:\n  xsub: tcp://198.18.50.1:7444\n"
                   "  xpub: tcp://198.18.60.1:7443\n  server_key: \"" +
                   c + "\"\n",
               7, 9, "upstream.xsub: is this channel's own endpoint");
  expect_error(head() +
                   "upstream:\n  xsub: tcp://198.18.60.1:7444\n"
                   "  xpub: tcp://198.18.60.1:7444\n  server_key: \"" +
                   c + "\"\n",
               8, 9, "upstream.xpub: is the same endpoint as upstream.xsub");
  expect_error(head() +
                   "upstream:\n  xsub: tcp://198.18.60.1:7444\n"
                   "  xpub: tcp://198.18.60.1:7443\n  server_key: \"" +
                   c +
                   "\"\n"
                   "  curve_key_file: up.curve\n",
               10, 19, "upstream.curve_key_file: 'up.curve' must be an absolute path");
  expect_error(head() +
                   "upstream:\n  xusb: tcp://198.18.60.1:7444\n"
                   "  xpub: tcp://198.18.60.1:7443\n  server_key: \"" +
                   c + "\"\n",
               7, 3, "upstream: unknown key 'xusb'; did you mean 'xsub'?");
}

TEST(ChannelConfigErrors, EveryProblemIsReported) {
  const auto result = load(
      "xsub: tcp://198.18.50.1\n"
      "xpub: tcp://198.18.50.1:7443\n"
      "curve_key_file: relative\n"
      "allowed_clients: []\n");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.errors.size(), 3u) << all(result);
}

TEST(ChannelByteSize, UnitsAndBareNumbers) {
  EXPECT_EQ(parse_byte_size("65536"), 65536u);
  EXPECT_EQ(parse_byte_size("512B"), 512u);
  EXPECT_EQ(parse_byte_size("64KiB"), 65536u);
  EXPECT_EQ(parse_byte_size("16MiB"), 16u * 1024 * 1024);
  for (const char* bad : {"", "KiB", "64 KiB", "64kib", "64KB", "64k", "-1", "1.5MiB",
                          "99999999999999999999", "18014398509481984MiB"}) {
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
  }
}

// ---- the duplicate filter ---------------------------------------------------------------------

TimePoint at(int seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

Digest digest_of(int n) {
  Digest d{};
  d[0] = static_cast<unsigned char>(n & 0xff);
  d[1] = static_cast<unsigned char>(n >> 8);
  return d;
}

TEST(ChannelRecentMessages, ForwardsOnceWithinTheWindow) {
  RecentMessages recent(16, std::chrono::minutes(10));
  EXPECT_TRUE(recent.first_sighting(digest_of(1), at(0)));
  EXPECT_FALSE(recent.first_sighting(digest_of(1), at(1)));  // the echo
  EXPECT_TRUE(recent.first_sighting(digest_of(2), at(2)));
  EXPECT_FALSE(recent.first_sighting(digest_of(1), at(599)));  // still within 10 minutes
  EXPECT_TRUE(recent.first_sighting(digest_of(1), at(600)));   // forgotten: a new sighting
  EXPECT_EQ(recent.forgotten_early(), 0u);
}

TEST(ChannelRecentMessages, FullSetForgetsTheOldestAndCountsIt) {
  RecentMessages recent(3, std::chrono::minutes(10));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(recent.first_sighting(digest_of(i), at(i)));
  EXPECT_TRUE(recent.first_sighting(digest_of(3), at(3)));  // pushes out 0
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent.forgotten_early(), 1u);
  EXPECT_TRUE(recent.first_sighting(digest_of(0), at(4)));   // 0 comes back as new
  EXPECT_FALSE(recent.first_sighting(digest_of(3), at(5)));  // 3 is still remembered
}

TEST(ChannelRecentMessages, DigestCoversEveryFrameAndItsBoundaries) {
  std::array<unsigned char, MessageDigester::kKeyBytes> key{};
  const MessageDigester digester(key);
  const std::string signature(64, '\0');
  const auto report = digester.digest({"incident", "{\"kind\":\"scan\"}", signature});
  EXPECT_EQ(report, digester.digest({"incident", "{\"kind\":\"scan\"}", signature}));
  EXPECT_NE(report, digester.digest({"incident", "{\"kind\":\"scan\"}", std::string(64, '\1')}));
  EXPECT_NE(digester.digest({"ab", "c"}), digester.digest({"a", "bc"}));
  EXPECT_NE(digester.digest({"abc"}), digester.digest({"abc", ""}));
  key[0] = 1;
  EXPECT_NE(report, MessageDigester(key).digest({"incident", "{\"kind\":\"scan\"}", signature}));
}

}  // namespace
}  // namespace lifeline::channel
