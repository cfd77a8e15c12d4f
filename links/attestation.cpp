#include "links/attestation.hpp"

#include <sodium.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

#include "common/secret_file.hpp"
#include "common/utc_time.hpp"
#include "config/minisign_key.hpp"

namespace lifeline::links {
namespace {

constexpr std::string_view kUntrusted = "untrusted comment: ";
constexpr std::string_view kTrusted = "trusted comment: ";

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<MinisignSignature> parse_minisig(std::string_view text, std::string& error) {
  const auto lines = lines_of(text);
  if (lines.size() < 4 || lines[0].substr(0, kUntrusted.size()) != kUntrusted ||
      lines[2].substr(0, kTrusted.size()) != kTrusted) {
    error = "not a minisign signature file (untrusted comment, signature, trusted comment, global "
            "signature)";
    return std::nullopt;
  }
  for (std::size_t i = 4; i < lines.size(); ++i) {
    if (!lines[i].empty()) {
      error = "unexpected text after the global signature";
      return std::nullopt;
    }
  }
  const auto sig = decode_base64(lines[1]);
  if (!sig || sig->size() != 74 || (*sig)[0] != 'E' || ((*sig)[1] != 'd' && (*sig)[1] != 'D')) {
    error = "the signature line is not a minisign Ed25519 signature";
    return std::nullopt;
  }
  const auto global = decode_base64(lines[3]);
  if (!global || global->size() != 64) {
    error = "the global signature line is not 64 bytes of base64";
    return std::nullopt;
  }
  MinisignSignature out;
  out.prehashed = (*sig)[1] == 'D';
  std::copy(sig->begin() + 2, sig->begin() + 10, out.key_id.begin());
  std::copy(sig->begin() + 10, sig->end(), out.signature.begin());
  out.trusted_comment = std::string(lines[2].substr(kTrusted.size()));
  std::copy(global->begin(), global->end(), out.global_signature.begin());
  return out;
}

SignatureCheck verify_minisign(std::string_view file, std::string_view minisig_text,
                               const std::vector<config::TrustAuthority>& authorities) {
  if (::sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  SignatureCheck check;
  const auto sig = parse_minisig(minisig_text, check.error);
  if (!sig) return check;
  const auto authority = std::find_if(authorities.begin(), authorities.end(),
                                      [&](const auto& a) { return a.key_id == sig->key_id; });
  if (authority == authorities.end()) {
    check.error = "signed with key " + minisign_key_id_hex(sig->key_id) + ", which is not a trusted authority's";
    return check;
  }
  bool valid;
  if (sig->prehashed) {
    std::array<std::uint8_t, crypto_generichash_BYTES_MAX> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(file.data()),
                       file.size(), nullptr, 0);
    valid = crypto_sign_verify_detached(sig->signature.data(), digest.data(), digest.size(),
                                        authority->key.data()) == 0;
  } else {
    valid = crypto_sign_verify_detached(sig->signature.data(), reinterpret_cast<const unsigned char*>(file.data()),
                                        file.size(), authority->key.data()) == 0;
  }
  if (!valid) {
    check.error = "the signature of " + authority->name + " does not match the file (changed after signing?)";
    return check;
  }
  // The trusted comment is signed too (minisign's global signature): it cannot be swapped.
  std::vector<std::uint8_t> global(sig->signature.begin(), sig->signature.end());
  global.insert(global.end(), sig->trusted_comment.begin(), sig->trusted_comment.end());
  if (crypto_sign_verify_detached(sig->global_signature.data(), global.data(), global.size(),
                                  authority->key.data()) != 0) {
    check.error = "the trusted comment's signature does not match (the comment was changed)";
    return check;
  }
  check.ok = true;
  check.authority = authority->name;
  check.trusted_comment = sig->trusted_comment;
  return check;
}

std::optional<Attestation> parse_attestation(std::string_view yaml, std::string& error) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    error = "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return std::nullopt;
  }
  if (!root.IsMap()) {
    error = "not a YAML map (operator, link, serial, issued, not_before, expires, equipment)";
    return std::nullopt;
  }
  auto where = [](const YAML::Node& n) { return "line " + std::to_string(n.Mark().line + 1) + ": "; };
  auto text = [&](const YAML::Node& map, const char* key, std::string& out) {
    const auto n = map[key];
    if (!n.IsDefined() || !n.IsScalar() || n.Scalar().empty()) {
      error = (map.Mark().line >= 0 ? where(map) : std::string()) + "'" + key + "' is missing or not text";
      return false;
    }
    out = n.Scalar();
    return true;
  };
  auto time = [&](const char* key, SystemTime& out) {
    std::string t;
    if (!text(root, key, t)) return false;
    const auto parsed = utc::parse(t);
    if (!parsed) {
      error = where(root[key]) + "'" + key + "': '" + t + "' is not a UTC time like 2026-11-01T00:00:00Z";
      return false;
    }
    out = *parsed;
    return true;
  };
  Attestation a;
  std::string serial;
  if (!text(root, "operator", a.operator_name) || !text(root, "link", a.link) || !text(root, "serial", serial) ||
      !time("issued", a.issued) || !time("not_before", a.not_before) || !time("expires", a.expires)) {
    return std::nullopt;
  }
  if (serial.empty() || serial.size() > 18 ||
      !std::all_of(serial.begin(), serial.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    error = where(root["serial"]) + "'serial' must be a whole number";
    return std::nullopt;
  }
  a.serial = std::stoull(serial);
  if (a.expires <= a.not_before) {
    error = where(root["expires"]) + "'expires' is not after 'not_before'";
    return std::nullopt;
  }
  const auto equipment = root["equipment"];
  if (!equipment.IsDefined() || !equipment.IsSequence() || equipment.size() == 0) {
    error = "'equipment' must list the equipment that serves the link (role, vendor, model)";
    return std::nullopt;
  }
  for (const auto& e : equipment) {
    Equipment item;
    if (!e.IsMap() || !text(e, "role", item.role) || !text(e, "vendor", item.vendor)) {
      if (!e.IsMap()) error = where(e) + "an equipment entry must be a map with role and vendor";
      return std::nullopt;
    }
    if (e["model"].IsDefined() && e["model"].IsScalar()) item.model = e["model"].Scalar();
    if (e["firmware_sha256"].IsDefined() && e["firmware_sha256"].IsScalar()) {
      item.firmware_sha256 = e["firmware_sha256"].Scalar();
    }
    a.equipment.push_back(std::move(item));
  }
  return a;
}

TrustVerdict evaluate_attestation(std::string_view file, std::optional<std::string_view> minisig_text,
                                  const std::string& link, const config::TrustConfig& trust,
                                  std::optional<std::uint64_t> last_serial, SystemTime now) {
  TrustVerdict v;
  if (!minisig_text) {
    v.reason = "no signature (.minisig) beside the attestation";
    return v;
  }
  // The signature first: nothing of an unsigned file is read.
  const auto check = verify_minisign(file, *minisig_text, trust.authorities);
  if (!check.ok) {
    v.reason = "signature: " + check.error;
    return v;
  }
  v.authority = check.authority;
  std::string error;
  auto a = parse_attestation(file, error);
  if (!a) {
    v.reason = "signed by " + check.authority + " but unreadable: " + error;
    return v;
  }
  const std::string what = a->operator_name + " serial " + std::to_string(a->serial) + ", signed by " + check.authority;
  if (a->link != link) {
    v.reason = what + ", is for link '" + a->link + "', not " + link;
    return v;
  }
  if (last_serial && a->serial < *last_serial) {
    v.reason = what + ": rollback (serial " + std::to_string(*last_serial) + " was accepted before)";
    return v;
  }
  if (now < a->not_before) {
    v.reason = what + ", not valid before " + utc::format(a->not_before);
    v.next_change = a->not_before;
    v.attestation = std::move(a);
    return v;
  }
  if (now >= a->expires) {
    v.reason = what + ", expired " + utc::format(a->expires);
    v.attestation = std::move(a);
    return v;
  }
  // Remembered only once in force: an attestation deployed before its not_before must not
  // turn the one still in force into a "rollback".
  v.accepted_serial = a->serial;
  v.next_change = a->expires;
  std::vector<std::string> banned;
  for (const auto& e : a->equipment) {
    const auto vendor = lower(e.vendor);
    for (const auto& u : trust.untrusted_vendors) {
      if (vendor == lower(u)) banned.push_back(e.vendor + " (" + e.role + ")");
    }
  }
  if (!banned.empty()) {
    v.trust = Trust::violating;
    std::string list;
    for (const auto& b : banned) list += (list.empty() ? "" : ", ") + b;
    v.reason = what + ": untrusted vendor " + list;
  } else {
    v.trust = Trust::attested;
    v.reason = what + ", valid until " + utc::format(a->expires);
  }
  v.attestation = std::move(a);
  return v;
}

TrustVerdict judge_attestation_file(const std::string& path, const std::string& link,
                                    const config::TrustConfig& trust,
                                    std::optional<std::uint64_t> last_serial, SystemTime now) {
  std::string file_error, sig_error;
  const auto file = read_named_file(path, 1 << 20, file_error);
  const auto sig = read_named_file(path + ".minisig", 4096, sig_error);
  TrustVerdict v;
  if (!file) {
    v.reason = path + ": " + file_error;
    return v;
  }
  v = evaluate_attestation(*file, sig ? std::optional<std::string_view>(*sig) : std::nullopt, link, trust,
                           last_serial, now);
  if (!sig) v.reason = path + ".minisig: " + sig_error;
  return v;
}

}  // namespace lifeline::links
