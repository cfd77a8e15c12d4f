// YAML -> Config. Every problem found is reported (not only the first) as
// "file:line:column: what is wrong; what is allowed", and no Config is produced unless there
// are none. The loader never throws and never aborts, whatever the bytes (it is fuzzed).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace lifeline::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (e.g. unreadable file)
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:column: message"
};

struct LoadResult {
  std::optional<Config> config;
  std::vector<Diagnostic> errors;
  bool ok() const { return config.has_value(); }
};

LoadResult load_config_file(const std::string& path);
// `name` is used in diagnostics in place of a path.
LoadResult load_config_text(std::string_view yaml, const std::string& name);

}  // namespace lifeline::config
