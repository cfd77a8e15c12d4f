#include "links/radio.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace lifeline::links {
namespace {

using json = nlohmann::json;
using config::Verdict;

constexpr std::pair<std::string_view, config::Rat> kRats[] = {
    {"gsm", config::Rat::gsm}, {"umts", config::Rat::umts}, {"lte", config::Rat::lte}, {"nr", config::Rat::nr}};
constexpr std::string_view kRegistrations[] = {"home", "roaming", "searching", "denied", "idle"};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A field that is absent or null is "not reported"; one of the wrong type makes the whole
// message malformed (a publisher that gets a type wrong gets other things wrong too).
const json* field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

template <typename T>
bool unsigned_field(const json& j, const char* key, std::uint64_t max, std::optional<T>& out, std::string& error) {
  const json* v = field(j, key);
  if (!v) return true;
  if (!v->is_number_integer() || (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() < 0) ||
      v->get<std::uint64_t>() > max) {
    error = std::string(key) + ": must be an integer from 0 to " + std::to_string(max);
    return false;
  }
  out = static_cast<T>(v->get<std::uint64_t>());
  return true;
}

bool number_field(const json& j, const char* key, double min, double max, std::optional<double>& out,
                  std::string& error) {
  const json* v = field(j, key);
  if (!v) return true;
  if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < min || v->get<double>() > max) {
    error = std::string(key) + ": must be a number from " + std::to_string(static_cast<int>(min)) + " to " +
            std::to_string(static_cast<int>(max));
    return false;
  }
  out = v->get<double>();
  return true;
}

bool string_field(const json& j, const char* key, std::size_t max, std::optional<std::string>& out,
                  std::string& error) {
  const json* v = field(j, key);
  if (!v) return true;
  if (!v->is_string() || v->get_ref<const std::string&>().size() > max) {
    error = std::string(key) + ": must be a string of at most " + std::to_string(max) + " characters";
    return false;
  }
  out = v->get<std::string>();
  return true;
}

std::string db(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

}  // namespace

bool is_null_cipher(std::string_view text) {
  const std::string cipher = lower(std::string(text));
  return cipher == "nea0" || cipher == "eea0" || cipher == "gea0" || cipher == "uea0" || cipher == "a5/0";
}

std::variant<RadioReading, std::string> parse_radio_reading(std::string_view text) {
  if (text.size() > kMaxReadingBytes) {
    return "message of " + std::to_string(text.size()) + " bytes; a reading is at most " +
           std::to_string(kMaxReadingBytes);
  }
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::string("not JSON");
  if (!j.is_object()) return std::string("not a JSON object");
  RadioReading r;
  std::string error;
  std::optional<std::string> modem, rat, registration, plmn, time;
  if (!string_field(j, "modem", 64, modem, error)) return error;
  if (!modem || modem->empty()) return std::string("modem: missing (which modem is this reading from?)");
  r.modem = *modem;
  if (!string_field(j, "time", 64, time, error)) return error;
  if (time) r.time = *time;
  if (!string_field(j, "rat", 8, rat, error)) return error;
  if (rat) {
    const auto it = std::find_if(std::begin(kRats), std::end(kRats), [&](const auto& p) { return p.first == lower(*rat); });
    if (it == std::end(kRats)) return "rat: '" + *rat + "' is not one of gsm, umts, lte, nr";
    r.rat = it->second;
  }
  if (const json* v = field(j, "plmn"); v && v->is_number_unsigned()) {
    plmn = std::to_string(v->get<std::uint64_t>());
  } else if (!string_field(j, "plmn", 6, plmn, error)) {
    return error;
  }
  if (plmn) {
    const bool digits = std::all_of(plmn->begin(), plmn->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || plmn->size() < 5) return "plmn: '" + *plmn + "' is not MCC + MNC (5 or 6 digits)";
    r.plmn = plmn;
  }
  if (!unsigned_field(j, "tac", 0xFFFFFF, r.tac, error) ||
      !unsigned_field(j, "cell_id", (std::uint64_t{1} << 36) - 1, r.cell_id, error) ||
      !unsigned_field(j, "pci", 1007, r.pci, error) || !unsigned_field(j, "arfcn", 3279165, r.arfcn, error) ||
      !unsigned_field(j, "neighbours", 1024, r.neighbours, error) ||
      !unsigned_field(j, "reject_cause", 255, r.reject_cause, error)) {
    return error;
  }
  if (!number_field(j, "rsrp", -160, 0, r.rsrp, error) || !number_field(j, "rsrq", -50, 30, r.rsrq, error) ||
      !number_field(j, "snr", -50, 60, r.snr, error)) {
    return error;
  }
  if (!string_field(j, "registration", 16, registration, error)) return error;
  if (registration) {
    const auto name = lower(*registration);
    if (std::find(std::begin(kRegistrations), std::end(kRegistrations), name) == std::end(kRegistrations)) {
      return "registration: '" + *registration + "' is not one of home, roaming, searching, denied, idle";
    }
    r.registration = name;
  }
  if (!string_field(j, "cipher", 16, r.cipher, error)) return error;
  if (r.cipher) r.cipher = lower(*r.cipher);
  return r;
}

std::string format_radio_reading(const RadioReading& r) {
  nlohmann::ordered_json j;  // the contract's field order
  j["modem"] = r.modem;
  if (!r.time.empty()) j["time"] = r.time;
  if (r.rat) j["rat"] = config::to_string(*r.rat);
  if (r.plmn) j["plmn"] = *r.plmn;
  if (r.tac) j["tac"] = *r.tac;
  if (r.cell_id) j["cell_id"] = *r.cell_id;
  if (r.pci) j["pci"] = *r.pci;
  if (r.arfcn) j["arfcn"] = *r.arfcn;
  if (r.rsrp) j["rsrp"] = *r.rsrp;
  if (r.rsrq) j["rsrq"] = *r.rsrq;
  if (r.snr) j["snr"] = *r.snr;
  if (r.neighbours) j["neighbours"] = *r.neighbours;
  if (r.registration) j["registration"] = *r.registration;
  if (r.reject_cause) j["reject_cause"] = *r.reject_cause;
  if (r.cipher) j["cipher"] = *r.cipher;
  return j.dump();
}

// ---- the rules ----------------------------------------------------------------------------

RadioWatch::RadioWatch(config::RadioConfig config, TimePoint start) : config_(std::move(config)), start_(start) {}

TimePoint RadioWatch::next_deadline() const {
  if (stale_) return stale_reported_ + config_.stale_after;
  return last_at_.value_or(start_) + config_.stale_after;
}

std::vector<RadioFinding> RadioWatch::on_timer(TimePoint at) {
  std::vector<RadioFinding> out;
  if (at < next_deadline()) return out;
  const TimePoint since = last_at_.value_or(start_);
  const auto silent = std::chrono::duration_cast<std::chrono::seconds>(at - since).count();
  out.push_back({"feed_stale", config_.rules.feed_stale,
                 std::string(last_at_ ? "no reading from modem " : "no reading yet from modem ") + config_.modem +
                     " for " + std::to_string(silent) + " s",
                 stale_});
  stale_ = true;
  holding_["feed_stale"] = {true, out.back().evidence};
  stale_reported_ = at;
  // What held when the feed went silent is assumed to hold still: a rogue cell that also
  // silenced the modem must not get its quarantine lifted by the silence.
  for (const auto& [rule, h] : holding_) {
    if (h.holds && rule != "feed_stale") out.push_back({rule, verdict_of(rule), h.evidence, true});
  }
  std::erase_if(out, [](const RadioFinding& f) { return f.verdict == Verdict::ignore; });
  return out;
}

config::Verdict RadioWatch::verdict_of(const std::string& rule) const {
  for (const auto& key : config::kRadioRuleKeys) {
    if (rule == key.name) return config_.rules.*key.verdict;
  }
  return Verdict::ignore;
}

void RadioWatch::condition(std::vector<RadioFinding>& out, const char* rule, Verdict verdict, bool holds,
                           const std::string& evidence) {
  Holding& h = holding_[rule];
  if (holds) out.push_back({rule, verdict, evidence, h.holds});
  h.holds = holds;
  if (holds) h.evidence = evidence;
}

std::vector<std::string> RadioWatch::active() const {
  std::vector<std::string> rules;
  for (const auto& [rule, h] : holding_) {
    if (h.holds) rules.push_back(rule);
  }
  return rules;
}

RadioWatch::Baseline& RadioWatch::baseline(std::uint64_t cell) {
  auto it = cells_.find(cell);
  if (it == cells_.end()) {
    if (cells_.size() >= kMaxCells) {
      cells_.erase(std::min_element(cells_.begin(), cells_.end(),
                                    [](const auto& a, const auto& b) { return a.second.used < b.second.used; }));
    }
    it = cells_.emplace(cell, Baseline{}).first;
  }
  it->second.used = ++tick_;
  return it->second;
}

void RadioWatch::check_rsrp(std::vector<RadioFinding>& out, const RadioReading& r) {
  if (!r.rsrp || !r.cell_id) {
    condition(out, "rsrp_jump", config_.rules.rsrp_jump, false, "");
    return;
  }
  Baseline& own = baseline(*r.cell_id);
  // The reference: the cell's own baseline once learnt, else the cell that served before.
  const Baseline* ref = own.samples >= kLearn ? &own : nullptr;
  std::string whose = "cell " + std::to_string(*r.cell_id) + "'s baseline";
  if (!ref && reference_cell_ && *reference_cell_ != *r.cell_id) {
    if (auto it = cells_.find(*reference_cell_); it != cells_.end() && it->second.samples >= kLearn) {
      ref = &it->second;
      whose = "the baseline of cell " + std::to_string(*reference_cell_) + " that served before";
    }
  }
  bool jump = false;
  std::string evidence;
  if (ref) {
    const double limit = std::max(config_.rsrp_jump_db, 4 * ref->dev);
    const double above = *r.rsrp - ref->mean;
    jump = above > limit;
    evidence = "RSRP " + db(*r.rsrp) + " dBm is " + db(above) + " dB above " + whose + " " + db(ref->mean) +
               " dBm (deviation " + db(ref->dev) + " dB)";
  }
  condition(out, "rsrp_jump", config_.rules.rsrp_jump, jump, evidence);
  if (jump) {
    if (++own.outliers < kRelearn) return;  // an outlier does not teach the baseline
    // The new level held for minutes: it is this cell's level now (a finding was reported
    // for every reading until then).
    own = Baseline{*r.rsrp, 0, kLearn, 0, own.used};
    reference_cell_ = r.cell_id;
    return;
  }
  own.outliers = 0;
  if (own.samples == 0) {
    own.mean = *r.rsrp;
    own.dev = 0;
  } else {
    own.dev += (std::abs(*r.rsrp - own.mean) - own.dev) / 4;
    own.mean += (*r.rsrp - own.mean) / 8;
  }
  own.samples = std::min(own.samples + 1, kLearn);  // only "learnt yet?" is asked of it
  if (own.samples >= kLearn) reference_cell_ = r.cell_id;
}

std::vector<RadioFinding> RadioWatch::on_reading(const RadioReading& r, TimePoint at) {
  std::vector<RadioFinding> out;
  const auto& rules = config_.rules;
  const RadioReading* before = last_ ? &*last_ : nullptr;

  if (config_.min_rat && r.rat) {
    std::string evidence = before && before->rat && *before->rat > *r.rat
                               ? std::string("RAT dropped ") + config::to_string(*before->rat) + " -> " +
                                     config::to_string(*r.rat)
                               : std::string("RAT ") + config::to_string(*r.rat);
    evidence += std::string(" (below min_rat ") + config::to_string(*config_.min_rat) + ")";
    // The evidence of the start is kept while it holds (a later reading no longer shows the drop).
    condition(out, "rat_below_min", rules.rat_below_min, *r.rat < *config_.min_rat, evidence);
  }
  condition(out, "null_cipher", rules.null_cipher, r.cipher && is_null_cipher(*r.cipher),
            r.cipher ? "ciphering off (" + lower(*r.cipher) + ")" : "");
  if (!config_.plmns.empty() && r.plmn) {
    condition(out, "plmn_not_allowed", rules.plmn_not_allowed,
              std::find(config_.plmns.begin(), config_.plmns.end(), *r.plmn) == config_.plmns.end(),
              "PLMN " + *r.plmn + " not allowed");
  }
  if (!config_.cells.empty() && r.cell_id && r.tac) {
    const config::SurveyedCell cell{*r.tac, *r.cell_id};
    condition(out, "cell_not_surveyed", rules.cell_not_surveyed,
              std::find(config_.cells.begin(), config_.cells.end(), cell) == config_.cells.end(),
              "cell " + std::to_string(*r.cell_id) + " (TAC " + std::to_string(*r.tac) + ") not surveyed");
  }
  // A cell identity belongs to one tracking area; the same cell id in another TAC is a
  // second transmitter claiming to be that cell (a classic false base station). Cell ids are
  // per network and per RAT: the same number on another PLMN or RAT is another cell.
  if (before && before->cell_id && before->tac && r.cell_id && r.tac && *before->cell_id == *r.cell_id &&
      *before->tac != *r.tac && before->plmn == r.plmn && before->rat == r.rat) {
    out.push_back({"tac_changed", rules.tac_changed,
                   "TAC " + std::to_string(*before->tac) + " -> " + std::to_string(*r.tac) + " for cell " +
                       std::to_string(*r.cell_id),
                   false});
  }
  check_rsrp(out, r);
  if (r.neighbours) {
    bool vanished = neighbours_samples_ >= kLearn && neighbours_mean_ >= kMinNeighbours && *r.neighbours == 0;
    // An empty list that lasts kRelearn readings is this place's normal now (a modem that
    // stopped listing neighbours): learnt, as a lasting RSRP level is.
    neighbours_outliers_ = vanished ? neighbours_outliers_ + 1 : 0;
    if (neighbours_outliers_ >= kRelearn) {
      neighbours_mean_ = 0;
      neighbours_outliers_ = 0;
      vanished = false;
    }
    condition(out, "neighbours_vanished", rules.neighbours_vanished, vanished,
              "no neighbour cells reported (usually " + db(neighbours_mean_) + ")");
    if (!vanished) {
      neighbours_mean_ = neighbours_samples_ == 0 ? *r.neighbours : neighbours_mean_ + (*r.neighbours - neighbours_mean_) / 8;
      neighbours_samples_ = std::min(neighbours_samples_ + 1, kLearn);
    }
  }
  // A reject is a reading that starts reporting a cause (or a new one), or a registration
  // that turns to denied: the modem repeats its last cause in every reading until it clears.
  const bool new_cause = r.reject_cause && (!before || before->reject_cause != r.reject_cause);
  const bool denied = r.registration == "denied" && (!before || before->registration != "denied");
  if (new_cause || denied) rejects_.push_back(at);
  while (!rejects_.empty() && (at - rejects_.front() > kRejectWindow || rejects_.size() > static_cast<std::size_t>(kRejectBurst))) {
    rejects_.pop_front();
  }
  condition(out, "reject_burst", rules.reject_burst, static_cast<int>(rejects_.size()) >= kRejectBurst,
            std::to_string(rejects_.size()) + " registration rejects within " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kRejectWindow).count()) + " s" +
                (r.reject_cause ? " (last cause " + std::to_string(*r.reject_cause) + ")" : ""));

  stale_ = false;
  holding_["feed_stale"].holds = false;
  last_ = r;
  last_at_ = at;
  // Findings of rules that are switched off are dropped here, not in each rule.
  std::erase_if(out, [](const RadioFinding& f) { return f.verdict == Verdict::ignore; });
  return out;
}

}  // namespace lifeline::links
