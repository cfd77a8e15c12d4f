#include "links/incident.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <tuple>
#include <nlohmann/json.hpp>

#include "common/utc_time.hpp"
#include "links/attestation.hpp"

namespace lifeline::links {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kSeverities[] = {"low", "medium", "high", "critical"};
constexpr std::string_view kCategories[] = {"rogue-base-station", "downgrade", "null-cipher", "vendor-compromise",
                                            "probe-spoofing", "outage", "other"};
constexpr std::size_t kMaxListItems = 256;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <std::size_t N>
std::string one_of(const std::string_view (&names)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) out += (i ? ", " : "") + std::string(names[i]);
  return out;
}

bool string_list(const json& parent, const char* key, std::vector<std::string>& out, std::string& error,
                 const std::string& where) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return true;
  if (!it->is_array() || it->size() > kMaxListItems) {
    error = where + key + ": must be a list of at most " + std::to_string(kMaxListItems) + " strings";
    return false;
  }
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 256) {
      error = where + key + ": must be a list of strings";
      return false;
    }
    out.push_back(v.get<std::string>());
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> base64(std::string_view text) {
  std::vector<std::uint8_t> out(text.size());
  std::size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \t\r\n", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string to_base64(const std::uint8_t* bytes, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace

std::variant<IncidentReport, std::string> parse_incident(std::string_view text) {
  if (text.size() > kMaxIncidentBytes) {
    return "report of " + std::to_string(text.size()) + " bytes; at most " + std::to_string(kMaxIncidentBytes);
  }
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::string("not JSON");
  if (!j.is_object()) return std::string("not a JSON object");
  IncidentReport r;
  auto text_field = [&](const char* key, std::string& out, std::size_t max) -> std::optional<std::string> {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > max) {
      return std::string(key) + ": required, a string of 1-" + std::to_string(max) + " characters";
    }
    out = it->get<std::string>();
    return std::nullopt;
  };
  std::string time, expires;
  for (auto [key, out, max] : {std::tuple{"id", &r.id, std::size_t{128}}, std::tuple{"reporter", &r.reporter, std::size_t{64}},
                               std::tuple{"severity", &r.severity, std::size_t{16}},
                               std::tuple{"category", &r.category, std::size_t{32}},
                               std::tuple{"time", &time, std::size_t{64}}, std::tuple{"expires", &expires, std::size_t{64}}}) {
    if (auto e = text_field(key, *out, max)) return *e;
  }
  if (std::find(std::begin(kSeverities), std::end(kSeverities), r.severity) == std::end(kSeverities)) {
    return "severity: '" + r.severity + "' is not one of " + one_of(kSeverities);
  }
  if (std::find(std::begin(kCategories), std::end(kCategories), r.category) == std::end(kCategories)) {
    return "category: '" + r.category + "' is not one of " + one_of(kCategories);
  }
  const auto t = utc::parse(time);
  const auto x = utc::parse(expires);
  if (!t) return "time: '" + time + "' is not a UTC time like 2026-11-29T12:00:00Z";
  if (!x) return "expires: '" + expires + "' is not a UTC time like 2026-11-29T18:00:00Z";
  if (*x <= *t) return std::string("expires: must be after time");
  r.time = *t;
  r.expires = *x;
  std::string error;
  if (const auto a = j.find("affected"); a != j.end() && !a->is_null()) {
    if (!a->is_object()) return std::string("affected: must be an object");
    if (!string_list(*a, "operators", r.operators, error, "affected.") ||
        !string_list(*a, "plmns", r.plmns, error, "affected.") ||
        !string_list(*a, "vendors", r.vendors, error, "affected.")) {
      return error;
    }
    if (const auto c = a->find("cells"); c != a->end() && !c->is_null()) {
      if (!c->is_array() || c->size() > kMaxListItems) return std::string("affected.cells: must be a list");
      for (const auto& cell : *c) {
        const auto tac = cell.is_object() ? cell.find("tac") : cell.end();
        const auto id = cell.is_object() ? cell.find("cell_id") : cell.end();
        if (tac == cell.end() || id == cell.end() || !tac->is_number_unsigned() || !id->is_number_unsigned() ||
            tac->get<std::uint64_t>() > 0xFFFFFF || id->get<std::uint64_t>() >= (std::uint64_t{1} << 36)) {
          return std::string("affected.cells: each must be {tac: 0-16777215, cell_id: 0-2^36-1}");
        }
        r.cells.push_back({static_cast<std::uint32_t>(tac->get<std::uint64_t>()), id->get<std::uint64_t>()});
      }
    }
  }
  if (!string_list(j, "indicators", r.indicators, error, "")) return error;
  if (r.operators.empty() && r.plmns.empty() && r.cells.empty() && r.vendors.empty()) {
    return std::string("affected: names nothing (operators, plmns, cells or vendors)");
  }
  return r;
}

std::string format_incident(const IncidentReport& r) {
  json cells = json::array();
  for (const auto& c : r.cells) cells.push_back({{"tac", c.tac}, {"cell_id", c.cell_id}});
  json j;
  j["id"] = r.id;
  j["time"] = utc::format(r.time);
  j["reporter"] = r.reporter;
  j["severity"] = r.severity;
  j["category"] = r.category;
  j["affected"] = {{"operators", r.operators}, {"plmns", r.plmns}, {"cells", cells}, {"vendors", r.vendors}};
  j["indicators"] = r.indicators;
  j["expires"] = utc::format(r.expires);
  return j.dump();
}

std::optional<std::array<std::uint8_t, 32>> decode_public_key(std::string_view text) {
  const auto bytes = base64(text);
  if (!bytes || bytes->size() != crypto_sign_PUBLICKEYBYTES) return std::nullopt;
  std::array<std::uint8_t, 32> key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::optional<std::array<std::uint8_t, 64>> decode_secret_key(std::string_view text) {
  auto bytes = base64(text);
  if (!bytes || bytes->size() != crypto_sign_SECRETKEYBYTES) return std::nullopt;
  std::array<std::uint8_t, 64> key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

SigningKeyPair generate_signing_key() {
  if (sodium_init() < 0) return {};
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  SigningKeyPair pair{to_base64(pk.data(), pk.size()), to_base64(sk.data(), sk.size())};
  sodium_memzero(sk.data(), sk.size());
  return pair;
}

std::string sign_incident(std::string_view json_text, const std::array<std::uint8_t, 64>& secret_key) {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(json_text.data()), json_text.size(), secret_key.data());
  return sig;
}

std::optional<std::string_view> claimed_reporter(std::string_view json_text) {
  constexpr std::string_view kKey = "\"reporter\"";
  // The first "reporter" followed by a colon and a plain string (the same text inside an
  // indicator is followed by something else, and skipped).
  for (auto at = json_text.find(kKey); at != std::string_view::npos; at = json_text.find(kKey, at + 1)) {
    std::size_t i = at + kKey.size();
    auto skip = [&] {
      while (i < json_text.size() &&
             (json_text[i] == ' ' || json_text[i] == '\t' || json_text[i] == '\n' || json_text[i] == '\r')) {
        ++i;
      }
    };
    skip();
    if (i >= json_text.size() || json_text[i] != ':') continue;
    ++i;
    skip();
    if (i >= json_text.size() || json_text[i] != '"') continue;
    const auto end = json_text.find('"', ++i);
    if (end == std::string_view::npos || end - i > 64) continue;
    const auto name = json_text.substr(i, end - i);
    if (name.find('\\') != std::string_view::npos) continue;
    return name;
  }
  return std::nullopt;
}

const config::IncidentReporter* verify_incident(std::string_view json_text, std::string_view signature,
                                                const std::vector<config::IncidentReporter>& reporters) {
  if (signature.size() != crypto_sign_BYTES) return nullptr;
  // Only the key of the reporter the report claims to be from is tried (one Ed25519
  // verification, ~50 us, however many bases are allowed); whether the claim matches the
  // parsed report is checked after parsing, as the signature then covers it.
  const auto claimed = claimed_reporter(json_text);
  if (!claimed) return nullptr;
  for (const auto& r : reporters) {
    if (r.name != *claimed) continue;
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                    reinterpret_cast<const unsigned char*>(json_text.data()), json_text.size(),
                                    r.key.data()) == 0) {
      return &r;
    }
  }
  return nullptr;
}

std::optional<std::string> incident_matches(const IncidentReport& report, const LinkFacts& link) {
  if (!link.operator_name.empty()) {
    for (const auto& o : report.operators) {
      if (lower(o) == lower(link.operator_name)) return "operator " + link.operator_name;
    }
  }
  for (const auto& p : report.plmns) {
    if (std::find(link.plmns.begin(), link.plmns.end(), p) != link.plmns.end()) return "PLMN " + p;
  }
  for (const auto& c : report.cells) {
    if (std::find(link.cells.begin(), link.cells.end(), c) != link.cells.end()) {
      return "cell " + std::to_string(c.cell_id) + " (TAC " + std::to_string(c.tac) + ")";
    }
  }
  for (const auto& v : report.vendors) {
    for (const auto& mine : link.vendors) {
      if (lower(v) == lower(mine)) return "vendor " + mine;
    }
  }
  return std::nullopt;
}

}  // namespace lifeline::links
