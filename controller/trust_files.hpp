// The daemon's state behind link trust (docs/trust.md): the highest serial accepted per link, kept under /var/lib/lifeline so that an older
// attestation cannot be brought back (rollback protection) across restarts.
#pragma once

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

}  // namespace lifeline::trust
