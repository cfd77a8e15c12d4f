// A strict reader for our YAML files (the daemon config, simulator scenarios): typed getters
// that report "file:line:column: path: what is wrong; what is allowed" instead of throwing,
// unknown keys with a "did you mean", duplicate keys. Shared by config/loader.cpp and
// sim/scenario.cpp so that both files read and fail the same way.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/address.hpp"
#include "common/units.hpp"
#include "config/loader.hpp"

namespace lifeline::config {

// Closest of `candidates` to `word` when it is plausibly a typo of it, else empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);
// "a, b or c"
std::string one_of(const std::vector<std::string_view>& names);

class YamlReader {
 public:
  // Refuses to parse more than this many bytes (a config is a few KiB).
  static constexpr std::size_t kMaxBytes = 1 << 20;
  static constexpr std::size_t kMaxDiagnostics = 100;

  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  // Parses `text` (one YAML document); on a syntax error records it and returns an undefined
  // node. An empty document is a null node.
  YAML::Node parse(std::string_view text);

  void error(const YAML::Mark& mark, std::string_view path, std::string message);
  void error(const YAML::Node& node, std::string_view path, std::string message);
  void error_at_start(std::string message);  // no position: line 0
  bool failed() const { return !diagnostics_.empty(); }
  std::size_t error_count() const { return diagnostics_.size(); }
  std::vector<Diagnostic> take_diagnostics() { return std::move(diagnostics_); }
  const std::string& file() const { return file_; }

  // True when `node` is a map. Reports unknown keys (with a suggestion) and duplicate keys.
  bool map(const YAML::Node& node, std::string_view path,
           std::initializer_list<std::string_view> allowed);
  bool sequence(const YAML::Node& node, std::string_view path);
  // The value of `key` in map `node` (an undefined node when absent).
  static YAML::Node get(const YAML::Node& node, std::string_view key);
  static bool present(const YAML::Node& node, std::string_view key);
  // Absent, or explicitly null/empty (`key:` or `key: null`).
  static bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }
  // Reports "path is required" at the map's position when `key` is missing (unless map()
  // already reported an unknown key as a typo of it).
  bool require(const YAML::Node& map, std::string_view key, std::string_view path);

  std::optional<std::string> string(const YAML::Node& node, std::string_view path);
  // `why_max`, when given, says where the upper bound comes from ("the number of probes").
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view path,
                                      std::int64_t min, std::int64_t max,
                                      std::string_view why_max = {});
  std::optional<bool> boolean(const YAML::Node& node, std::string_view path);
  std::optional<Duration> duration(const YAML::Node& node, std::string_view path, Duration min,
                                   Duration max);
  std::optional<double> percent(const YAML::Node& node, std::string_view path);
  std::optional<BitRate> rate(const YAML::Node& node, std::string_view path);
  std::optional<IpAddress> address(const YAML::Node& node, std::string_view path,
                                   std::optional<Family> family = std::nullopt);
  std::optional<Prefix> prefix(const YAML::Node& node, std::string_view path);

  template <typename E>
  std::optional<E> choice(const YAML::Node& node, std::string_view path,
                          std::initializer_list<std::pair<std::string_view, E>> options) {
    std::vector<std::string_view> names;
    for (const auto& option : options) names.push_back(option.first);
    if (node.IsNull()) {  // `kind:` with nothing after it
      error(node, path, "is empty; use " + one_of(names));
      return std::nullopt;
    }
    auto text = string(node, path);
    if (!text) return std::nullopt;
    for (const auto& [name, value] : options) {
      if (*text == name) return value;
    }
    std::string message = "'" + *text + "' is not allowed; use " + one_of(names);
    if (auto guess = did_you_mean(*text, names); !guess.empty())
      message += " (did you mean '" + guess + "'?)";
    error(node, path, std::move(message));
    return std::nullopt;
  }

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  // Both are indexed by the node's byte offset (Mark().pos), then told apart with is(): a
  // file can hold many thousands of maps, and lookups must not be linear in them.
  // Values left empty (`kind:`), with the position of their key. yaml-cpp marks an empty
  // value at the next token, often the next line's key, so errors about it use the key's.
  std::multimap<int, std::pair<YAML::Node, YAML::Mark>> empty_values_;
  // (map, key) for each unknown key reported as "did you mean 'key'?": require() does not
  // report that key missing as well, since the typo is the whole problem.
  std::multimap<int, std::pair<YAML::Node, std::string>> misspelt_;
};

// The whole file, or a diagnostic (file:0:0) saying why it cannot be read.
std::optional<std::string> read_text_file(const std::string& path, std::vector<Diagnostic>& errors);

// "links[2]", "links[2].name"
std::string indexed(std::string_view path, std::size_t index);
std::string member(std::string_view path, std::string_view key);

}  // namespace lifeline::config
