// Radio integrity: the telemetry message contract and every rule of RadioWatch, in virtual
// time.
#include <gtest/gtest.h>

#include <random>

#include "links/radio.hpp"

namespace lifeline::links {
namespace {

using namespace std::chrono_literals;
using config::Verdict;

const TimePoint t0{};

config::RadioConfig radio_config() {
  config::RadioConfig c;
  c.feed = "ipc:///run/lifeline/modem0.sock";
  c.modem = "modem0";
  c.min_rat = config::Rat::lte;
  c.plmns = {"24001"};
  c.cells = {{6699, 19088743}, {6699, 19088744}};
  return c;
}

RadioReading good(double rsrp = -95) {
  RadioReading r;
  r.modem = "modem0";
  r.rat = config::Rat::nr;
  r.plmn = "24001";
  r.tac = 6699;
  r.cell_id = 19088743;
  r.rsrp = rsrp;
  r.neighbours = 5;
  r.registration = "home";
  r.cipher = "nea2";
  return r;
}

// Feeds `n` readings one second apart from `at`; returns the findings, and moves `at`.
std::vector<RadioFinding> feed(RadioWatch& w, TimePoint& at, const RadioReading& r, int n = 1) {
  std::vector<RadioFinding> all;
  for (int i = 0; i < n; ++i) {
    at += 1s;
    auto f = w.on_reading(r, at);
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
}

std::vector<RadioFinding> fresh(const std::vector<RadioFinding>& f) {
  std::vector<RadioFinding> out;
  for (const auto& x : f) {
    if (!x.renewed) out.push_back(x);
  }
  return out;
}

TEST(RadioReading, ParsesTheContractExample) {
  const auto parsed = parse_radio_reading(
      R"({"modem": "modem0", "time": "2026-11-29T12:00:00Z", "rat": "nr", "plmn": "24001",
          "tac": 6699, "cell_id": 19088743, "pci": 123, "arfcn": 632628,
          "rsrp": -95.0, "rsrq": -10.0, "snr": 12.0, "neighbours": 5,
          "registration": "home", "reject_cause": null, "cipher": "nea2", "vendor_extra": [1,2]})");
  ASSERT_TRUE(std::holds_alternative<RadioReading>(parsed)) << std::get<std::string>(parsed);
  const auto& r = std::get<RadioReading>(parsed);
  EXPECT_EQ(r.modem, "modem0");
  EXPECT_EQ(r.rat, config::Rat::nr);
  EXPECT_EQ(r.plmn, "24001");
  EXPECT_EQ(r.tac, 6699u);
  EXPECT_EQ(r.cell_id, 19088743u);
  EXPECT_EQ(r.pci, 123u);
  EXPECT_EQ(r.arfcn, 632628u);
  EXPECT_DOUBLE_EQ(*r.rsrp, -95.0);
  EXPECT_EQ(r.neighbours, 5u);
  EXPECT_EQ(r.registration, "home");
  EXPECT_FALSE(r.reject_cause);
  EXPECT_EQ(r.cipher, "nea2");
  // And back: the formatted form parses to the same values.
  const auto again = parse_radio_reading(format_radio_reading(r));
  ASSERT_TRUE(std::holds_alternative<RadioReading>(again));
  EXPECT_EQ(std::get<RadioReading>(again).cell_id, r.cell_id);
  EXPECT_EQ(std::get<RadioReading>(again).rat, r.rat);
}

TEST(RadioReading, OnlyTheModemIsRequired) {
  const auto parsed = parse_radio_reading(R"({"modem": "m"})");
  ASSERT_TRUE(std::holds_alternative<RadioReading>(parsed));
  EXPECT_FALSE(std::get<RadioReading>(parsed).rat);
}

TEST(RadioReading, RefusesMalformedMessagesWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"rat": "nr"})", "modem: missing"},
      {R"({"modem": "m", "rat": "5g"})", "rat: '5g' is not one of gsm, umts, lte, nr"},
      {R"({"modem": "m", "tac": -1})", "tac: must be an integer"},
      {R"({"modem": "m", "tac": "6699"})", "tac: must be an integer"},
      {R"({"modem": "m", "cell_id": 1e300})", "cell_id: must be an integer"},
      {R"({"modem": "m", "rsrp": "strong"})", "rsrp: must be a number"},
      {R"({"modem": "m", "plmn": "24a01"})", "plmn: '24a01' is not MCC + MNC"},
      {R"({"modem": "m", "registration": "lost"})", "registration: 'lost' is not one of"},
      {R"({"modem": 7})", "modem: must be a string"},
  };
  for (const auto& [text, why] : cases) {
    const auto parsed = parse_radio_reading(text);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << text;
    EXPECT_NE(std::get<std::string>(parsed).find(why), std::string::npos) << text << " -> " << std::get<std::string>(parsed);
  }
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_radio_reading(std::string(kMaxReadingBytes + 1, ' '))));
}

TEST(RadioWatch, ABenignReadingFindsNothing) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  EXPECT_TRUE(feed(w, at, good(), 60).empty());
  EXPECT_TRUE(w.active().empty());
}

TEST(RadioWatch, RatDowngradeIsAViolationWithTheDropAsEvidence) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  feed(w, at, good(), 5);
  auto r = good();
  r.rat = config::Rat::gsm;
  const auto f = feed(w, at, r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "rat_below_min");
  EXPECT_EQ(f[0].verdict, Verdict::violation);
  EXPECT_EQ(f[0].evidence, "RAT dropped nr -> gsm (below min_rat lte)");
  EXPECT_FALSE(f[0].renewed);
  // While it holds: renewed, not new.
  const auto g = feed(w, at, r);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_TRUE(g[0].renewed);
  // Cleared, then again: a new finding.
  EXPECT_TRUE(feed(w, at, good()).empty());
  EXPECT_EQ(fresh(feed(w, at, r)).size(), 1u);
}

TEST(RadioWatch, NullCipherPlmnAndCellRules) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  feed(w, at, good(), 3);
  auto r = good();
  r.cipher = "NEA0";
  auto f = feed(w, at, r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "null_cipher");
  EXPECT_EQ(f[0].evidence, "ciphering off (nea0)");

  r = good();
  r.plmn = "99999";
  f = fresh(feed(w, at, r));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "plmn_not_allowed");
  EXPECT_EQ(f[0].evidence, "PLMN 99999 not allowed");

  r = good();
  r.cell_id = 999;
  f = fresh(feed(w, at, r));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "cell_not_surveyed");
  EXPECT_EQ(f[0].evidence, "cell 999 (TAC 6699) not surveyed");
  // The other surveyed cell is fine.
  r.cell_id = 19088744;
  EXPECT_TRUE(feed(w, at, r).empty());
}

TEST(RadioWatch, EmptyListsAreNotChecked) {
  auto c = radio_config();
  c.plmns.clear();
  c.cells.clear();
  c.min_rat.reset();
  RadioWatch w(c, t0);
  TimePoint at = t0;
  auto r = good();
  r.plmn = "99999";
  r.cell_id = 5;
  r.rat = config::Rat::gsm;
  EXPECT_TRUE(feed(w, at, r, 3).empty());
}

TEST(RadioWatch, TacChangeUnderTheSameCell) {
  auto c = radio_config();
  c.cells.clear();
  RadioWatch w(c, t0);
  TimePoint at = t0;
  feed(w, at, good(), 3);
  auto r = good();
  r.tac = 1234;
  const auto f = feed(w, at, r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "tac_changed");
  EXPECT_EQ(f[0].evidence, "TAC 6699 -> 1234 for cell 19088743");
  EXPECT_TRUE(feed(w, at, r).empty());  // one change, one finding
  // A handover to another cell in another TAC is normal.
  r.cell_id = 42;
  r.tac = 7000;
  EXPECT_TRUE(feed(w, at, r).empty());
  // The same cell id on another RAT (an LTE cell after an NR one) is another cell.
  auto lte = r;
  lte.rat = config::Rat::lte;
  lte.tac = 7001;
  EXPECT_TRUE(feed(w, at, lte).empty());
}

TEST(RadioWatch, RsrpJumpAboveTheCellsBaseline) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(-100, 3);
  for (int i = 0; i < 600; ++i) EXPECT_TRUE(feed(w, at, good(noise(rng))).empty()) << i;
  const auto f = feed(w, at, good(-60));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "rsrp_jump");
  EXPECT_EQ(f[0].verdict, Verdict::suspicion);
  EXPECT_EQ(f[0].evidence.find("RSRP -60.0 dBm is 4"), 0u) << f[0].evidence;
  EXPECT_NE(f[0].evidence.find(" dB above cell 19088743's baseline -10"), std::string::npos) << f[0].evidence;
  // The outlier did not teach the baseline: it is still a jump a minute later.
  const auto g = feed(w, at, good(-60), 60);
  EXPECT_EQ(g.size(), 60u);
  EXPECT_TRUE(fresh(g).empty());
  // Held for kRelearn readings: it is the cell's level now.
  feed(w, at, good(-60), RadioWatch::kRelearn);
  EXPECT_TRUE(feed(w, at, good(-61)).empty());
}

TEST(RadioWatch, ANewCellIsComparedWithTheCellBeforeIt) {
  auto c = radio_config();
  c.cells.clear();
  RadioWatch w(c, t0);
  TimePoint at = t0;
  feed(w, at, good(-100), 30);
  // A handover to a cell 6 dB stronger is normal, and that cell learns its own baseline.
  auto next = good(-94);
  next.cell_id = 7;
  EXPECT_TRUE(feed(w, at, next, 30).empty());
  // A never-seen cell 45 dB above the cell that served: a jump, reading after reading.
  auto rogue = good(-49);
  rogue.cell_id = 999;
  const auto f = feed(w, at, rogue, 20);
  EXPECT_EQ(f.size(), 20u);
  EXPECT_EQ(fresh(f).size(), 1u);
  EXPECT_NE(f[0].evidence.find("the baseline of cell 7 that served before"), std::string::npos) << f[0].evidence;
}

TEST(RadioWatch, NeighboursVanish) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  feed(w, at, good(), 20);
  auto r = good();
  r.neighbours = 0;
  const auto f = feed(w, at, r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "neighbours_vanished");
  EXPECT_EQ(f[0].evidence, "no neighbour cells reported (usually 5.0)");
  // Too early to know what is usual: nothing.
  RadioWatch early(radio_config(), t0);
  TimePoint at2 = t0;
  feed(early, at2, good(), 3);
  EXPECT_TRUE(feed(early, at2, r).empty());
}

TEST(RadioWatch, RejectBurst) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  feed(w, at, good(), 3);
  auto reject = good();
  reject.reject_cause = 15;
  // Two rejects in a minute: not yet a burst; a cause repeated in every reading is one reject.
  EXPECT_TRUE(feed(w, at, reject, 5).empty());
  feed(w, at, good(), 5);
  EXPECT_TRUE(feed(w, at, reject, 5).empty());
  feed(w, at, good(), 5);
  const auto f = feed(w, at, reject);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "reject_burst");
  EXPECT_EQ(f[0].evidence, "3 registration rejects within 60 s (last cause 15)");
  // Spread over more than the window: no burst.
  RadioWatch slow(radio_config(), t0);
  TimePoint at2 = t0;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(feed(slow, at2, reject).empty());
    feed(slow, at2, good(), 40);
  }
}

TEST(RadioWatch, FeedStaleFromTheStartAndAfterTheLastReading) {
  RadioWatch w(radio_config(), t0);  // stale_after 10 s
  EXPECT_EQ(w.next_deadline(), t0 + 10s);
  EXPECT_TRUE(w.on_timer(t0 + 9s).empty());
  auto f = w.on_timer(t0 + 10s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "feed_stale");
  EXPECT_EQ(f[0].evidence, "no reading yet from modem modem0 for 10 s");
  EXPECT_FALSE(f[0].renewed);
  EXPECT_TRUE(w.stale());
  // Still stale one period later: renewed.
  f = w.on_timer(t0 + 20s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].renewed);
  // A reading clears it; silence after it is a new finding.
  TimePoint at = t0 + 20s;
  feed(w, at, good());
  EXPECT_FALSE(w.stale());
  EXPECT_EQ(w.next_deadline(), at + 10s);
  f = w.on_timer(at + 10s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].renewed);
  EXPECT_EQ(f[0].evidence, "no reading from modem modem0 for 10 s");
}

TEST(RadioWatch, ASilentFeedKeepsWhatHeldBeforeIt) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  feed(w, at, good(), 3);
  auto r = good();
  r.cipher = "nea0";
  feed(w, at, r);
  // The feed goes silent while ciphering is off: the violation is renewed, not forgotten.
  const auto f = w.on_timer(w.next_deadline());
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].rule, "feed_stale");
  EXPECT_EQ(f[1].rule, "null_cipher");
  EXPECT_EQ(f[1].verdict, Verdict::violation);
  EXPECT_TRUE(f[1].renewed);
  EXPECT_EQ(f[1].evidence, "ciphering off (nea0)");
}

TEST(RadioWatch, ALastingEmptyNeighbourListIsLearnt) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  feed(w, at, good(), 20);
  auto r = good();
  r.neighbours = 0;
  const auto f = feed(w, at, r, RadioWatch::kRelearn);
  EXPECT_EQ(fresh(f).size(), 1u);
  EXPECT_TRUE(feed(w, at, r, 10).empty()) << "after kRelearn readings it is this place's normal";
}

TEST(RadioWatch, IgnoredRulesReportNothing) {
  auto c = radio_config();
  c.rules.rat_below_min = Verdict::ignore;
  RadioWatch w(c, t0);
  TimePoint at = t0;
  auto r = good();
  r.rat = config::Rat::gsm;
  EXPECT_TRUE(feed(w, at, r, 3).empty());
}

// Ordinary life: handovers among surveyed cells, ±3 dB of fading, 3-8 neighbours, a reject
// now and then: a day of it finds nothing.
TEST(RadioWatch, ADayOfBenignTelemetryFindsNothing) {
  RadioWatch w(radio_config(), t0);
  TimePoint at = t0;
  std::mt19937 rng(7);
  std::normal_distribution<double> fading(0, 3);
  std::uniform_int_distribution<int> neighbours(3, 8);
  std::uniform_int_distribution<int> percent(0, 99);
  const double level[2] = {-100, -94};
  int cell = 0;
  for (int s = 0; s < 24 * 3600; ++s) {
    if (percent(rng) == 0 && percent(rng) < 10) cell ^= 1;  // a handover every ~17 min
    auto r = good(level[cell] + fading(rng));
    r.cell_id = 19088743 + static_cast<std::uint64_t>(cell);
    r.neighbours = static_cast<std::uint32_t>(neighbours(rng));
    if (s % 3600 == 0) r.reject_cause = 15;
    at += 1s;
    const auto f = w.on_reading(r, at);
    ASSERT_TRUE(f.empty()) << s << ": " << f[0].rule << ": " << f[0].evidence;
  }
}

}  // namespace
}  // namespace lifeline::links
