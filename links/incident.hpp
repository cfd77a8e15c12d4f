// Shared cyber-incident reports (docs/incidents.md): what one base tells the others about an
// operator, a network, a cell or a vendor it caught misbehaving. On the channel a report is
// three ZeroMQ frames: "incident", the report's JSON bytes, and the reporter's Ed25519
// signature over exactly those bytes — so who wrote it survives the channel's proxies. Pure:
// parsing, signing, verifying and matching; the daemon does the I/O.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/units.hpp"
#include "config/config.hpp"

namespace lifeline::links {

using SystemTime = std::chrono::system_clock::time_point;

inline constexpr std::string_view kIncidentTopic = "incident";
inline constexpr std::size_t kMaxIncidentBytes = 16 * 1024;

struct IncidentReport {
  std::string id;
  SystemTime time{};
  std::string reporter;
  std::string severity;  // low | medium | high | critical
  std::string category;  // rogue-base-station | downgrade | null-cipher | vendor-compromise | ...
  std::vector<std::string> operators;
  std::vector<std::string> plmns;
  std::vector<config::SurveyedCell> cells;
  std::vector<std::string> vendors;
  std::vector<std::string> indicators;
  SystemTime expires{};
};

// A report, or why the JSON is not one ("severity: 'urgent' is not one of low, ...").
std::variant<IncidentReport, std::string> parse_incident(std::string_view json);
std::string format_incident(const IncidentReport& report);

// Ed25519 (libsodium) keys as written in files and configs: base64 of the 32-byte public key,
// of the 64-byte secret key (seed + public key).
std::optional<std::array<std::uint8_t, 32>> decode_public_key(std::string_view base64);
std::optional<std::array<std::uint8_t, 64>> decode_secret_key(std::string_view base64);
struct SigningKeyPair {
  std::string public_key;  // base64
  std::string secret_key;  // base64
};
SigningKeyPair generate_signing_key();

std::string sign_incident(std::string_view json, const std::array<std::uint8_t, 64>& secret_key);

// The `reporter` a report's bytes name, found without parsing them (a hint for which key to
// try; nullopt when there is no plain one).
std::optional<std::string_view> claimed_reporter(std::string_view json);

// The allowed reporter — the one the report claims to be from — whose key verifies
// `signature` over `json`, or nullptr.
const config::IncidentReporter* verify_incident(std::string_view json, std::string_view signature,
                                                const std::vector<config::IncidentReporter>& reporters);

// What a report may name of a link: the operator of its attestation and the vendors of its
// equipment, the PLMNs and cells its radio config allows and the ones its modem reports.
struct LinkFacts {
  std::string operator_name;
  std::vector<std::string> vendors;
  std::vector<std::string> plmns;
  std::vector<config::SurveyedCell> cells;
};

// Why `report` names the link ("PLMN 24001"), or nullopt. Operators and vendors match
// case-insensitively.
std::optional<std::string> incident_matches(const IncidentReport& report, const LinkFacts& link);

}  // namespace lifeline::links
