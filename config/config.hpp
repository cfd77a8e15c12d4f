// The typed, validated configuration of lifelined (the contract in docs/configuration.md).
// A Config value only exists when every check in config/loader.cpp passed, so the rest of
// the code never re-validates: names resolve, ranges hold, carried_over has no cycle.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/address.hpp"
#include "common/units.hpp"

namespace lifeline::config {

enum class LinkKind : std::uint8_t { cellular, satellite, cloud, wired };
enum class ProbeType : std::uint8_t { udp_echo, icmp };
// Ordered lowest to highest, so `a < b` means b is served first (MLPP, STANAG 4406 names).
enum class Precedence : std::uint8_t { routine, priority, immediate, flash, flash_override };
enum class WhenNone : std::uint8_t { blackhole, main };

const char* to_string(LinkKind kind);
const char* to_string(ProbeType type);
const char* to_string(Precedence precedence);
const char* to_string(WhenNone when_none);

// Failure detection of one link (docs/detection.md explains the defaults).
struct DetectConfig {
  Duration interval{};           // probe interval per target
  std::uint32_t multiplier = 0;  // intervals without any valid reply -> target down
  std::uint32_t rise = 0;        // consecutive answered probes before a target may come back
  Duration min_stable{};         // and no detection failure for this long
  Duration detection_time() const { return interval * multiplier; }
  friend bool operator==(const DetectConfig&, const DetectConfig&) = default;
};

// Built-in detection defaults for a link of `kind` with no `detect:` block (or a partial one).
DetectConfig default_detect(LinkKind kind);

// Outside these the link is 'degraded'. Unset fields are not checked.
struct SlaConfig {
  std::optional<Duration> rtt;
  std::optional<Duration> jitter;
  std::optional<double> loss;                  // ratio 0..1
  Duration window = std::chrono::seconds(10);  // loss is measured over this sliding window
  friend bool operator==(const SlaConfig&, const SlaConfig&) = default;
};

struct ProbeConfig {
  ProbeType type = ProbeType::icmp;
  IpAddress target;
  std::uint16_t port = 0;  // udp-echo only
  std::string key_file;    // udp-echo only
  friend bool operator==(const ProbeConfig&, const ProbeConfig&) = default;
};

// What a path-integrity finding does (docs/integrity.md): a violation quarantines the link
// for classes that require integrity; a suspicion is reported and counted; ignore: neither.
enum class Verdict : std::uint8_t { ignore, suspicion, violation };

// Findings from the link's authenticated probes.
struct PathIntegrityConfig {
  // Replies refused before they could count: bad MAC, unknown key, a replay from another run.
  Verdict auth_failures = Verdict::violation;
  // Authenticated replies to no outstanding probe: duplicates, replies to probes never sent.
  Verdict replays = Verdict::suspicion;
  // The hop count (TTL / hop limit) of a target's valid replies changed and stayed changed.
  Verdict hop_limit = Verdict::suspicion;
  // The least RTT of a target's valid replies dropped well below what the path ever showed.
  Verdict rtt_floor = Verdict::suspicion;
  friend bool operator==(const PathIntegrityConfig&, const PathIntegrityConfig&) = default;
};

// Radio access technology, ordered oldest (weakest security) to newest: `a < b` means a is
// a downgrade from b. GSM has no mutual authentication (a false base station needs no keys).
enum class Rat : std::uint8_t { gsm, umts, lte, nr };
const char* to_string(Rat rat);

// A surveyed cell: where the operator's own survey found this link's modem may be served.
struct SurveyedCell {
  std::uint32_t tac = 0;
  std::uint64_t cell_id = 0;
  friend bool operator==(const SurveyedCell&, const SurveyedCell&) = default;
};

// What each radio-integrity rule's finding does (docs/integrity.md has the defaults' reasons).
struct RadioRules {
  Verdict rat_below_min = Verdict::violation;
  Verdict null_cipher = Verdict::violation;
  Verdict plmn_not_allowed = Verdict::violation;
  Verdict cell_not_surveyed = Verdict::violation;
  Verdict tac_changed = Verdict::violation;
  Verdict rsrp_jump = Verdict::suspicion;
  Verdict neighbours_vanished = Verdict::suspicion;
  Verdict reject_burst = Verdict::suspicion;
  Verdict feed_stale = Verdict::suspicion;
  friend bool operator==(const RadioRules&, const RadioRules&) = default;
};

// Each radio rule's config key (radio.rules.KEY, also the finding's rule name) and its field.
struct RadioRuleKey {
  const char* name;
  Verdict RadioRules::*verdict;
};
inline constexpr RadioRuleKey kRadioRuleKeys[] = {
    {"rat_below_min", &RadioRules::rat_below_min},
    {"null_cipher", &RadioRules::null_cipher},
    {"plmn_not_allowed", &RadioRules::plmn_not_allowed},
    {"cell_not_surveyed", &RadioRules::cell_not_surveyed},
    {"tac_changed", &RadioRules::tac_changed},
    {"rsrp_jump", &RadioRules::rsrp_jump},
    {"neighbours_vanished", &RadioRules::neighbours_vanished},
    {"reject_burst", &RadioRules::reject_burst},
    {"feed_stale", &RadioRules::feed_stale},
};

// The modem telemetry feed of a cellular link and what it is checked against.
struct RadioConfig {
  std::string feed;   // ZeroMQ endpoint of the feed's PUB socket (we connect a SUB)
  std::string modem;  // which modem's readings on that feed
  std::optional<Rat> min_rat;
  std::vector<std::string> plmns;    // allowed MCC+MNC; empty: not checked
  std::vector<SurveyedCell> cells;   // surveyed allow list; empty: not checked
  Duration stale_after = std::chrono::seconds(10);
  double rsrp_jump_db = 20;          // least jump above the cell's baseline that counts
  RadioRules rules;
  friend bool operator==(const RadioConfig&, const RadioConfig&) = default;
};

struct LinkConfig {
  std::string name;
  std::string interface;
  std::optional<IpAddress> gateway;   // IPv4
  std::optional<IpAddress> gateway6;  // IPv6
  LinkKind kind = LinkKind::wired;
  std::optional<BitRate> capacity;
  std::vector<std::string> risk_groups;
  std::optional<std::string> carried_over;
  DetectConfig detect;
  SlaConfig sla;
  std::vector<ProbeConfig> probes;
  std::uint32_t quorum = 1;
  // The operator's signed vendor attestation (YAML; the minisign signature beside it, the
  // same path + ".minisig"). Empty: none, the link is `unattested`.
  std::string attestation;
  PathIntegrityConfig path_integrity;
  std::optional<RadioConfig> radio;
  friend bool operator==(const LinkConfig&, const LinkConfig&) = default;
};

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// Every listed key must match (AND); within one key, any listed value matches (OR).
struct MatchConfig {
  std::vector<std::uint8_t> dscp;  // 0..63
  std::vector<Prefix> sources;
  std::vector<Prefix> destinations;
  std::vector<std::uint8_t> protocols;  // IANA protocol numbers
  std::vector<PortRange> ports;         // destination ports (tcp, udp, sctp)
};

// Minimum trust a class demands of a link. Vendor attestations (the integrity issue) set a
// link's trust; until then every link is `unattested`.
enum class TrustRequirement : std::uint8_t { any, attested };

struct Requirements {
  std::optional<Duration> rtt;
  std::optional<Duration> jitter;
  std::optional<double> loss;  // ratio 0..1
  TrustRequirement trust = TrustRequirement::any;
  bool integrity = false;  // leave links that are quarantined for an integrity violation
};

struct ClassConfig {
  std::string name;
  Precedence precedence = Precedence::routine;
  MatchConfig match;
  std::vector<std::string> links;  // preference order
  Requirements require;
  std::optional<BitRate> rate;
  WhenNone when_none = WhenNone::blackhole;
  Duration failback = std::chrono::seconds(30);
  bool preempt = true;
};

// RFC 2439 route-flap dampening, applied per link.
struct DampeningConfig {
  Duration half_life = std::chrono::seconds(15);
  double penalty = 1000;  // added per down transition
  double suppress = 2000;
  double reuse = 750;
  Duration max_suppress = std::chrono::seconds(120);
};

// A TCP endpoint that only CURVE clients on an allow list may use (ZeroMQ, RFC 26/CurveZMQ).
struct CurveEndpoint {
  IpAddress address;
  std::uint16_t port = 0;
  std::string server_key_file;               // our CURVE secret key, Z85 (40 characters)
  std::vector<std::string> allowed_clients;  // Z85 public keys (40 characters each)
  friend bool operator==(const CurveEndpoint&, const CurveEndpoint&) = default;
};

struct ControlConfig {
  std::string socket = "/run/lifeline/control.sock";  // ZeroMQ ipc endpoint path, mode 0660
  std::string group = "lifeline";                     // group owning the socket
  std::optional<CurveEndpoint> tcp;
  friend bool operator==(const ControlConfig&, const ControlConfig&) = default;
};

struct EventsConfig {
  std::string socket = "/run/lifeline/events.sock";  // ZeroMQ PUB, ipc
  std::optional<CurveEndpoint> tcp;
  friend bool operator==(const EventsConfig&, const EventsConfig&) = default;
};

// Prometheus exporter. The default port is documented in docs/metrics.md.
inline constexpr std::uint16_t kDefaultMetricsPort = 10470;
struct MetricsConfig {
  IpAddress address = IpAddress::v4({127, 0, 0, 1});
  std::uint16_t port = kDefaultMetricsPort;  // 0: any free port (tests)
  friend bool operator==(const MetricsConfig&, const MetricsConfig&) = default;
};

struct JournalConfig {
  std::string path = "/var/lib/lifeline/journal.db";
  Duration retention = std::chrono::hours(24 * 30);  // rows older than this are deleted
  std::uint64_t max_rows = 200'000;                  // and the oldest beyond this many (~70 MB)
  friend bool operator==(const JournalConfig&, const JournalConfig&) = default;
};

// What a failover drill must achieve to pass (docs/drills.md). Unset: not judged.
struct DrillTargets {
  std::optional<Duration> detection;  // fault start -> link declared down
  std::optional<Duration> switchover;  // link down -> class routes replaced
  std::optional<Duration> outage;     // fault start -> class carried by its backup
  std::optional<Duration> failback;   // fault end -> class back on its preferred link
  friend bool operator==(const DrillTargets&, const DrillTargets&) = default;
};

struct DrillConfig {
  DrillTargets targets;
  Duration max_duration = std::chrono::hours(1);  // longest --for accepted
  friend bool operator==(const DrillConfig&, const DrillConfig&) = default;
};

// A certification authority that may sign vendor attestations: a minisign public key.
struct TrustAuthority {
  std::string name;
  std::string public_key;  // the base64 line of its minisign .pub file, as written
  std::array<std::uint8_t, 8> key_id{};
  std::array<std::uint8_t, 32> key{};  // Ed25519 public key
  friend bool operator==(const TrustAuthority&, const TrustAuthority&) = default;
};

struct TrustConfig {
  std::vector<TrustAuthority> authorities;
  std::vector<std::string> untrusted_vendors;  // matched case-insensitively
  // The highest attestation serial accepted per link (rollback protection).
  std::string state = "/var/lib/lifeline/attestation-serials";
  friend bool operator==(const TrustConfig&, const TrustConfig&) = default;
};

struct IntegrityConfig {
  // How long a violation keeps a link from the classes that require integrity (each new
  // violation starts it again).
  Duration quarantine = std::chrono::minutes(10);
  friend bool operator==(const IntegrityConfig&, const IntegrityConfig&) = default;
};

// A base allowed to report incidents: its Ed25519 public key.
struct IncidentReporter {
  std::string name;
  std::string public_key;  // base64 of the 32-byte key, as written
  std::array<std::uint8_t, 32> key{};
  friend bool operator==(const IncidentReporter&, const IncidentReporter&) = default;
};

// Incident sharing through lifeline-channel (docs/incidents.md).
struct IncidentsConfig {
  std::string subscribe;         // the channel's XPUB side (we connect a SUB); empty: not read
  std::string publish;           // the channel's XSUB side (we connect a PUB); empty: nothing sent
  std::string server_key;        // the channel's CURVE public key (Z85); empty only for ipc://
  std::string curve_key_file;    // our CURVE key pair (lifelinectl keygen)
  std::string signing_key_file;  // our Ed25519 secret key (lifeline-incident keygen)
  std::vector<IncidentReporter> allowed_reporters;
  std::string reporter;            // our name in our reports; default: node
  bool publish_suspicions = false;  // also report suspicions (low severity)
  friend bool operator==(const IncidentsConfig&, const IncidentsConfig&) = default;
};

// How lifelined's event loop is scheduled (docs/operator-guide.md#real-time-priority). By
// default: as any process. A real-time policy keeps 5 ms probes and 40 ms detection on time
// on a gateway whose cores are busy (a build, a scan, a storm of traffic to the router);
// locked memory keeps the loop from waiting for its pages to come back from swap.
enum class SchedPolicy : std::uint8_t { other, fifo, rr };
struct SchedulingConfig {
  SchedPolicy policy = SchedPolicy::other;
  int priority = 0;          // 1..99 with fifo or rr
  bool lock_memory = false;  // mlockall(MCL_CURRENT | MCL_FUTURE)
  friend bool operator==(const SchedulingConfig&, const SchedulingConfig&) = default;
};
const char* to_string(SchedPolicy policy);

struct Config {
  std::string source;  // file the config was read from, for messages
  std::string node;
  std::vector<LinkConfig> links;
  std::vector<ClassConfig> classes;  // in file order (policies/ sorts them by precedence)
  DampeningConfig dampening;
  ControlConfig control;
  EventsConfig events;
  MetricsConfig metrics;
  JournalConfig journal;
  DrillConfig drills;
  TrustConfig trust;
  IntegrityConfig integrity;
  std::optional<IncidentsConfig> incidents;
  SchedulingConfig scheduling;

  // Index of the link called `name`, or -1.
  int link_index(std::string_view name) const;
  int class_index(std::string_view name) const;
};

}  // namespace lifeline::config
