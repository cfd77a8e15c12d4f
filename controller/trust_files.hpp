// The daemon's state behind link trust (docs/trust.md): the highest serial accepted per link, kept under /var/lib/lifeline so that an older
// attestation cannot be brought back (rollback protection) across restarts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace lifeline::trust {

// "LINK SERIAL" lines. A file that does not exist yet is empty, not an error.
std::map<std::string, std::uint64_t> load_serials(const std::string& path, std::string& error);
// Written to a temporary file and renamed over the old one: never half written.
bool save_serials(const std::string& path, const std::map<std::string, std::uint64_t>& serials,
                  std::string& error);

// An incident signing key file (docs/incidents.md), as lifeline-incident keygen writes it:
// `#` comments and one line with the base64 Ed25519 secret key; a secret file (0600/0640).
std::optional<std::array<std::uint8_t, 64>> load_signing_key(const std::string& path, std::string& error);

}  // namespace lifeline::trust
