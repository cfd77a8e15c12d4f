#include "config/yaml_reader.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace lifeline::config {
namespace {

// Optimal string alignment distance, case-insensitive: insertions, deletions, substitutions
// and transpositions of neighbours ("tpc" -> "tcp") each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    before.swap(previous);
    previous.swap(row);
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      row[j] = std::min(
          {previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
  }
  return row[b.size()];
}

std::string normalise_separators(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

const char* type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
      return "empty";
    case YAML::NodeType::Undefined:
      break;
  }
  return "missing";
}

// Where a document's content starts: unset for the empty document that a trailing '---' or
// '...' leaves.
class DocumentStart final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> mark;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& at, YAML::anchor_t) override { note(at); }
  void OnScalar(const YAML::Mark& at, const std::string&, YAML::anchor_t,
                const std::string&) override {
    note(at);
  }
  void OnSequenceStart(const YAML::Mark& at, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(at);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& at, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(at);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& at) {
    if (!mark) mark = at;
  }
};

}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto candidate : candidates) {
    if (normalise_separators(word) == normalise_separators(candidate))
      return std::string(candidate);
  }
  // A word cut short ("switch" for "switchover", "max" for "max_suppress") names the one
  // candidate it begins, if only one does.
  if (word.size() >= 3) {
    std::string_view only;
    std::size_t starts = 0;
    for (const auto candidate : candidates) {
      if (candidate.size() > word.size() && candidate.substr(0, word.size()) == word) {
        only = candidate;
        ++starts;
      }
    }
    if (starts == 1) return std::string(only);
  }
  for (const auto candidate : candidates) {
    // Allow about one typo per three letters: "inteval" -> "interval", but not "foo" -> "rtt".
    const std::size_t budget =
        std::max<std::size_t>(1, std::min(word.size(), candidate.size()) / 3);
    // The distance is at least the difference in length: a long word (a key can be anything
    // up to the file size) is not compared letter by letter with a short one.
    const std::size_t longer = std::max(word.size(), candidate.size());
    const std::size_t shorter = std::min(word.size(), candidate.size());
    if (longer - shorter > budget) continue;
    const std::size_t distance = edit_distance(word, candidate);
    if (distance <= budget && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string one_of(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::optional<std::string> read_text_file(const std::string& path,
                                          std::vector<Diagnostic>& errors) {
  // ifstream opens a directory without complaint and then reads nothing, which would come
  // out as "the file is empty".
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    errors.push_back({path, 0, 0, "cannot read the file: it is a directory"});
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, 0, 0, "cannot read the file: " + std::string(std::strerror(errno))});
    return std::nullopt;
  }
  // Never more than one byte past what YamlReader::parse accepts: a path such as /dev/zero
  // or a runaway log must be refused by the size check, not fill the memory first.
  std::string text(YamlReader::kMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    errors.push_back({path, 0, 0, "cannot read the file: " + std::string(std::strerror(errno))});
    return std::nullopt;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::string indexed(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string member(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

YAML::Node YamlReader::parse(std::string_view text) {
  if (text.size() > kMaxBytes) {
    error_at_start("the file is larger than " + std::to_string(kMaxBytes / 1024) +
                   " KiB; a configuration is a few KiB");
    return YAML::Node(YAML::NodeType::Undefined);
  }
  try {
    YAML::Node root = YAML::Load(std::string(text));
    // Load reads the first document and silently drops the rest, so a second one (two files
    // concatenated) is looked for here. Not with LoadAll: on some malformed input (a stray
    // ',' at the top level) yaml-cpp 0.7's LoadAll loops forever, allocating.
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentStart first;
    DocumentStart second;
    if (parser.HandleNextDocument(first) && parser.HandleNextDocument(second) && second.mark) {
      error(*second.mark, "",
            "a second YAML document starts here; a file holds one document (remove the '---' "
            "before it, or split the file)");
    }
    return root;
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own depth guard (it parses recursively); without it the stack would overflow.
    error(e.mark, "",
          "the YAML is nested too deeply; a configuration nests maps and lists only a few "
          "levels deep");
  } catch (const YAML::Exception& e) {
    error(e.mark, "", "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    // yaml-cpp reports some malformed input with std exceptions (e.g. bad_alloc on absurd
    // nesting); report it like any other syntax error rather than dying.
    error_at_start(std::string("YAML could not be read: ") + e.what());
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void YamlReader::error(const YAML::Mark& mark, std::string_view path, std::string message) {
  if (diagnostics_.size() >= kMaxDiagnostics) return;
  Diagnostic d;
  d.file = file_;
  // yaml-cpp marks are 0-based, and -1 when unknown (null mark).
  d.line = mark.line >= 0 ? mark.line + 1 : 1;
  d.column = mark.column >= 0 ? mark.column + 1 : 1;
  d.message = path.empty() ? std::move(message) : std::string(path) + ": " + message;
  const int line = d.line;
  const int column = d.column;
  diagnostics_.push_back(std::move(d));
  if (diagnostics_.size() == kMaxDiagnostics) {
    diagnostics_.push_back({file_, line, column, "too many errors; stopping here"});
  }
}

void YamlReader::error(const YAML::Node& node, std::string_view path, std::string message) {
  if (node.IsNull()) {
    const auto [first, last] = empty_values_.equal_range(node.Mark().pos);
    for (auto it = first; it != last; ++it) {
      if (it->second.first.is(node)) return error(it->second.second, path, std::move(message));
    }
  }
  error(node.Mark(), path, std::move(message));
}

void YamlReader::error_at_start(std::string message) {
  diagnostics_.push_back({file_, 0, 0, std::move(message)});
}

bool YamlReader::map(const YAML::Node& node, std::string_view path,
                     std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) {
    error(node, path, std::string("must be a map of keys, but is ") + type_name(node));
    return false;
  }
  const std::vector<std::string_view> names(allowed);
  std::set<std::string> seen;
  // Range-for, not `const Node& key = it->first`: yaml-cpp's operator-> returns a temporary
  // proxy, so a reference taken through it dangles at the end of the statement.
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    const YAML::Node& value = entry.second;
    if (!key.IsScalar()) {
      error(key, path, "keys must be plain names");
      continue;
    }
    const std::string& name = key.Scalar();
    if (value.IsNull()) empty_values_.emplace(value.Mark().pos, std::pair{value, key.Mark()});
    if (!seen.insert(name).second) {
      error(key, member(path, name), "is given twice; keep one");
      continue;
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string message = "unknown key '" + name + "'";
    if (auto guess = did_you_mean(name, names); !guess.empty()) {
      message += "; did you mean '" + guess + "'?";
      misspelt_.emplace(node.Mark().pos, std::pair{node, guess});
    } else {
      message += "; allowed here: " + one_of(names);
    }
    error(key, path, std::move(message));
  }
  return true;
}

bool YamlReader::sequence(const YAML::Node& node, std::string_view path) {
  if (!node.IsSequence()) {
    error(node, path, std::string("must be a list, but is ") + type_name(node));
    return false;
  }
  return true;
}

YAML::Node YamlReader::get(const YAML::Node& node, std::string_view key) {
  if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& entry : node) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool YamlReader::present(const YAML::Node& node, std::string_view key) {
  return get(node, key).IsDefined();
}

bool YamlReader::require(const YAML::Node& map, std::string_view key, std::string_view path) {
  if (present(map, key)) return true;
  const auto [first, last] = misspelt_.equal_range(map.Mark().pos);
  const bool misspelt = std::any_of(first, last, [&](const auto& typo) {
    return typo.second.second == key && typo.second.first.is(map);
  });
  if (!misspelt) error(map, member(path, key), "is required");
  return false;
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar()) {
    error(node, path, std::string("must be a single value, but is ") + type_name(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& node, std::string_view path,
                                                std::int64_t min, std::int64_t max,
                                                std::string_view why_max) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!why_max.empty()) range += " (" + std::string(why_max) + ")";
  if (text->empty() || ec != std::errc() || end != text->data() + text->size()) {
    error(node, path, "'" + *text + "' is not " + range);
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(node, path, std::to_string(value) + " is out of range; use " + range);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, std::string_view path) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  error(node, path, "'" + *text + "' is not allowed; use true or false");
  return std::nullopt;
}

std::optional<Duration> YamlReader::duration(const YAML::Node& node, std::string_view path,
                                             Duration min, Duration max) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  auto parsed = parse_duration(*text);
  if (!parsed.value) {
    error(node, path, parsed.error);
    return std::nullopt;
  }
  if (*parsed.value < min || *parsed.value > max) {
    error(node, path,
          *text + " is out of range; use " + format_duration(min) + " to " + format_duration(max));
    return std::nullopt;
  }
  return parsed.value;
}

std::optional<double> YamlReader::percent(const YAML::Node& node, std::string_view path) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  auto parsed = parse_percent(*text);
  if (!parsed.value) error(node, path, parsed.error);
  return parsed.value;
}

std::optional<BitRate> YamlReader::rate(const YAML::Node& node, std::string_view path) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  auto parsed = parse_rate(*text);
  if (!parsed.value) {
    error(node, path, parsed.error);
    return std::nullopt;
  }
  if (*parsed.value == 0) {
    error(node, path, "must be more than 0bit");
    return std::nullopt;
  }
  return parsed.value;
}

std::optional<IpAddress> YamlReader::address(const YAML::Node& node, std::string_view path,
                                             std::optional<Family> family) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  auto parsed = IpAddress::parse(*text);
  const char* wanted = !family                 ? "an IPv4 or IPv6 address"
                       : *family == Family::v4 ? "an IPv4 address (e.g. 198.18.1.2)"
                                               : "an IPv6 address (e.g. 2001:db8::2)";
  if (!parsed) {
    std::string message = "'" + *text + "' is not " + std::string(wanted);
    if (text->find('/') != std::string::npos) message += "; write it without a prefix length";
    error(node, path, std::move(message));
    return std::nullopt;
  }
  if (family && parsed->family() != *family) {
    error(node, path, "'" + *text + "' is not " + std::string(wanted));
    return std::nullopt;
  }
  return parsed;
}

std::optional<Prefix> YamlReader::prefix(const YAML::Node& node, std::string_view path) {
  auto text = string(node, path);
  if (!text) return std::nullopt;
  const auto parsed = Prefix::parse(*text);
  if (parsed.prefix) return parsed.prefix;
  switch (*parsed.error) {
    case Prefix::ParseError::syntax:
      error(node, path,
            "'" + *text +
                "' is not a prefix; use address/length, e.g. 198.18.10.0/26 or "
                "2001:db8:10::/48");
      break;
    case Prefix::ParseError::length_out_of_range:
      error(node, path,
            "'" + *text +
                "' has a prefix length out of range (0-32 for IPv4, "
                "0-128 for IPv6)");
      break;
    case Prefix::ParseError::host_bits_set:
      error(node, path,
            "'" + *text + "' has host bits set; did you mean " + parsed.masked().to_string() + "?");
      break;
  }
  return std::nullopt;
}

}  // namespace lifeline::config
