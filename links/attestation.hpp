// Vendor attestations (docs/trust.md): an operator's signed statement of which vendors'
// equipment serves a link. The minisign signature (Ed25519; legacy or pre-hashed with
// BLAKE2b-512, and the trusted comment's global signature) is checked over the file's exact
// bytes before anything in it is read; then the validity window, the serial (never lower than
// the last accepted one for the link: rollback protection) and the vendors against the
// untrusted list. Pure: bytes and times in, a verdict out.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "links/link_state.hpp"

namespace lifeline::links {

using SystemTime = std::chrono::system_clock::time_point;

struct MinisignSignature {
  bool prehashed = false;  // "ED": the signature covers BLAKE2b-512(file); "Ed": the file
  std::array<std::uint8_t, 8> key_id{};
  std::array<std::uint8_t, 64> signature{};
  std::string trusted_comment;
  std::array<std::uint8_t, 64> global_signature{};  // over signature || trusted comment
};

// The four lines of a .minisig file; `error` says what is wrong.
std::optional<MinisignSignature> parse_minisig(std::string_view text, std::string& error);

struct SignatureCheck {
  bool ok = false;
  std::string authority;  // who signed, when ok
  std::string trusted_comment;
  std::string error;  // why not, when not ok
};

// Checks `minisig_text` over exactly `file` with the authorities' keys.
SignatureCheck verify_minisign(std::string_view file, std::string_view minisig_text,
                               const std::vector<config::TrustAuthority>& authorities);

struct Equipment {
  std::string role;  // ran, core, transport, ...
  std::string vendor;
  std::string model;
  std::string firmware_sha256;
};

struct Attestation {
  std::string operator_name;
  std::string link;
  std::uint64_t serial = 0;
  SystemTime issued{};
  SystemTime not_before{};
  SystemTime expires{};
  std::vector<Equipment> equipment;
};

// The attestation YAML (docs/trust.md); `error` says what is wrong and where.
std::optional<Attestation> parse_attestation(std::string_view yaml, std::string& error);

struct TrustVerdict {
  Trust trust = Trust::unattested;
  std::string reason;  // for people: why this trust level
  // Set when the signature and the serial were good: the serial to remember for the link.
  std::optional<std::uint64_t> accepted_serial;
  // When the verdict changes by itself (not_before reached, or expiry).
  std::optional<SystemTime> next_change;
  std::optional<Attestation> attestation;  // when it verified and parsed
  std::string authority;                   // who signed it
};

// The link's trust from its attestation file and signature (nullopt: no signature file).
TrustVerdict evaluate_attestation(std::string_view file, std::optional<std::string_view> minisig_text,
                                  const std::string& link, const config::TrustConfig& trust,
                                  std::optional<std::uint64_t> last_serial, SystemTime now);

// Reads `path` and `path`.minisig and judges them as above: what lifelined, lifeline-sim and
// lifeline-attest all do with a link's attestation. A file that cannot be read leaves the link
// unattested, with a reason that names the file and why.
TrustVerdict judge_attestation_file(const std::string& path, const std::string& link,
                                    const config::TrustConfig& trust,
                                    std::optional<std::uint64_t> last_serial, SystemTime now);

}  // namespace lifeline::links
