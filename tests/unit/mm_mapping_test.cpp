// lifeline-mm-bridge's mapping from ModemManager's values to a telemetry reading
// (docs/mm-bridge.md), without a bus: the snapshots are what the D-Bus client would fill in.
#include "bridge/mm_mapping.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <variant>

#include "links/radio.hpp"

namespace lifeline::bridge {
namespace {

using namespace std::chrono_literals;

const SystemTime kNoon = std::chrono::sys_days{std::chrono::year{2026} / 11 / 29} + 12h;
const std::string kModem = std::string(kModemPathPrefix);

// MMModemAccessTechnology and MMCellType values, as ModemManager sends them.
constexpr std::uint64_t kGsm = 1u << 1, kGprs = 1u << 3, kEdge = 1u << 4, kHspaPlus = 1u << 9,
                        k1xRtt = 1u << 10, kEvdoA = 1u << 12, kLte = 1u << 14, k5gnr = 1u << 15,
                        kLteCatM = 1u << 16;
constexpr std::uint64_t kCellGsm = 2, kCellUmts = 3, kCellLte = 5, kCellNr = 6;

// The message the bridge publishes for a snapshot.
std::string wire(const ModemSnapshot& s) {
  return links::format_radio_reading(make_reading("modem0", kNoon, s).radio);
}

VarDict cell(std::uint64_t type, bool serving, VarDict values = {}) {
  values["cell-type"] = type;
  values["serving"] = serving;
  return values;
}

// A modem on EN-DC: LTE anchor and NR secondary both serving, five NR neighbours.
ModemSnapshot nr_snapshot() {
  ModemSnapshot s;
  s.modem = {{"AccessTechnologies", kLte | k5gnr}, {"State", std::int64_t{11}}};
  s.modem_3gpp = {{"OperatorCode", std::string("24001")}, {"RegistrationState", std::uint64_t{1}}};
  s.signal["Nr5g"] = {{"rsrp", -95.0}, {"rsrq", -10.0}, {"snr", 12.0}};
  s.signal["Lte"] = {{"rsrp", -101.0}, {"rsrq", -12.0}, {"snr", 3.0}};
  std::vector<VarDict> cells = {
      cell(kCellLte, true,
           {{"tac", std::string("1A2B")},
            {"ci", std::string("1A2B301")},
            {"physical-ci", std::string("10")},
            {"earfcn", std::uint64_t{1300}}}),
      cell(kCellNr, true,
           {{"tac", std::string("1A2B")},
            {"ci", std::string("1234567")},
            {"physical-ci", std::string("7B")},
            {"nrarfcn", std::uint64_t{632628}}}),
  };
  for (int i = 0; i < 5; ++i)
    cells.push_back(cell(kCellNr, false, {{"nrarfcn", std::uint64_t{632628}}}));
  s.cells = cells;
  return s;
}

TEST(MmMapping, RatIsTheNewestAccessTechnology) {
  EXPECT_EQ(rat_from_access_technologies(kLte | k5gnr), config::Rat::nr);
  EXPECT_EQ(rat_from_access_technologies(kLte), config::Rat::lte);
  EXPECT_EQ(rat_from_access_technologies(kLteCatM), config::Rat::lte);
  EXPECT_EQ(rat_from_access_technologies(kHspaPlus | kEdge), config::Rat::umts);
  EXPECT_EQ(rat_from_access_technologies(kEvdoA), config::Rat::umts);
  EXPECT_EQ(rat_from_access_technologies(kGsm | kGprs | kEdge), config::Rat::gsm);
  EXPECT_EQ(rat_from_access_technologies(k1xRtt), config::Rat::gsm);
  EXPECT_EQ(rat_from_access_technologies(0), std::nullopt);  // UNKNOWN
  EXPECT_EQ(rat_from_access_technologies(1), std::nullopt);  // POTS
  EXPECT_EQ(rat_from_cell_type(kCellUmts), config::Rat::umts);
  EXPECT_EQ(rat_from_cell_type(4), config::Rat::umts);  // TD-SCDMA
  EXPECT_EQ(rat_from_cell_type(1), std::nullopt);       // CDMA
}

TEST(MmMapping, RegistrationStates) {
  const std::vector<std::pair<std::uint32_t, std::optional<std::string_view>>> cases = {
      {0, "idle"},     {1, "home"},        {2, "searching"},  {3, "denied"},     {4, std::nullopt},
      {5, "roaming"},  {6, "home"},        {7, "roaming"},    {8, std::nullopt}, {9, "home"},
      {10, "roaming"}, {11, std::nullopt}, {12, std::nullopt}};
  for (const auto& [state, name] : cases) {
    EXPECT_EQ(registration_name(state), name) << "state " << state;
  }
}

TEST(MmMapping, HexStrings) {
  EXPECT_EQ(parse_hex("1A2B"), 6699u);
  EXPECT_EQ(parse_hex("1a2b"), 6699u);
  EXPECT_EQ(parse_hex("0"), 0u);
  EXPECT_EQ(parse_hex("FFFFFFFFFFFFFFFF"), UINT64_MAX);
  EXPECT_FALSE(parse_hex(""));
  EXPECT_FALSE(parse_hex("0x1A"));
  EXPECT_FALSE(parse_hex("1G"));
  EXPECT_FALSE(parse_hex("-1"));
  EXPECT_FALSE(parse_hex("10000000000000000"));  // 17 digits
}

TEST(MmMapping, Location3gppString) {
  const auto l = parse_location_3gpp("240,1,4E2,ABCDEF1,3039");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->mcc, 240u);
  EXPECT_EQ(l->mnc, 1u);
  EXPECT_EQ(l->lac, 0x4E2u);
  EXPECT_EQ(l->cell_id, 0xABCDEF1u);
  EXPECT_EQ(l->tac, 0x3039u);
  EXPECT_FALSE(parse_location_3gpp("240,1,4E2,ABCDEF1"));
  EXPECT_FALSE(parse_location_3gpp("240,1,4E2,ABCDEF1,3039,7"));
  EXPECT_FALSE(parse_location_3gpp("240,1,4E2,XYZ,3039"));
  EXPECT_FALSE(parse_location_3gpp("2400,1,0,1,1"));
  EXPECT_FALSE(parse_location_3gpp(""));
}

TEST(MmMapping, NrReadingIsTheContractsExample) {
  EXPECT_TRUE(make_reading("modem0", kNoon, nr_snapshot()).discarded.empty());
  // The NR secondary is the serving cell of an nr reading, not the LTE anchor; Modem.Signal's
  // Nr5g values, not its Lte ones. No reject_cause: ModemManager cannot tell, so the reading
  // must not say "none".
  EXPECT_EQ(wire(nr_snapshot()),
            R"({"modem":"modem0","time":"2026-11-29T12:00:00Z","rat":"nr","plmn":"24001",)"
            R"("tac":6699,"cell_id":19088743,"pci":123,"arfcn":632628,"rsrp":-95.0,"rsrq":-10.0,)"
            R"("snr":12.0,"neighbours":5,"registration":"home"})");
}

TEST(MmMapping, LteReadingTakesTheAnchor) {
  ModemSnapshot s = nr_snapshot();
  s.modem["AccessTechnologies"] = kLte;
  const links::RadioReading r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.rat, config::Rat::lte);
  EXPECT_EQ(r.cell_id, 0x1A2B301u);
  EXPECT_EQ(r.pci, 16u);
  EXPECT_EQ(r.arfcn, 1300u);
  EXPECT_EQ(r.rsrp, -101.0);
  EXPECT_EQ(r.snr, 3.0);
}

// EN-DC (non-standalone): the NR secondary usually comes without a cell id or TAC; the modem
// is registered through the LTE anchor, whose identity the reading then carries, with the NR
// leg's radio values.
TEST(MmMapping, NrSecondaryWithoutIdentityTakesTheAnchors) {
  ModemSnapshot s = nr_snapshot();
  s.cells->at(1).erase("ci");
  s.cells->at(1).erase("tac");
  const links::RadioReading r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.rat, config::Rat::nr);
  EXPECT_EQ(r.cell_id, 0x1A2B301u);
  EXPECT_EQ(r.tac, 6699u);
  EXPECT_EQ(r.pci, 123u);
  EXPECT_EQ(r.arfcn, 632628u);
  EXPECT_EQ(r.rsrp, -95.0);
}

ModemSnapshot gsm_snapshot() {
  ModemSnapshot s;
  s.modem = {{"AccessTechnologies", kGsm | kEdge}};
  s.modem_3gpp = {{"OperatorCode", std::string("26201")}, {"RegistrationState", std::uint64_t{5}}};
  s.signal["Gsm"] = {{"rssi", -71.0}};
  s.cells = std::vector<VarDict>{cell(kCellGsm, true,
                                      {{"lac", std::string("4E2")},
                                       {"ci", std::string("7D1")},
                                       {"arfcn", std::uint64_t{62}},
                                       {"base-station-id", std::string("3F")}}),
                                 cell(kCellGsm, false, {{"ci", std::string("7D2")}}),
                                 cell(kCellGsm, false, {{"ci", std::string("7D3")}})};
  return s;
}

TEST(MmMapping, GsmCellGivesLacAsTacAndNoPci) {
  EXPECT_EQ(wire(gsm_snapshot()),
            R"({"modem":"modem0","time":"2026-11-29T12:00:00Z","rat":"gsm","plmn":"26201",)"
            R"("tac":1250,"cell_id":2001,"arfcn":62,"neighbours":2,"registration":"roaming"})");
}

TEST(MmMapping, UmtsPscIsThePci) {
  ModemSnapshot s;
  s.modem = {{"AccessTechnologies", kHspaPlus}};
  s.cells = std::vector<VarDict>{cell(kCellUmts, true,
                                      {{"lac", std::string("10")},
                                       {"ci", std::string("ABCDE")},
                                       {"psc", std::uint64_t{301}},
                                       {"uarfcn", std::uint64_t{10700}}})};
  const links::RadioReading r = make_reading("m", kNoon, s).radio;
  EXPECT_EQ(r.rat, config::Rat::umts);
  EXPECT_EQ(r.tac, 16u);
  EXPECT_EQ(r.cell_id, 0xABCDEu);
  EXPECT_EQ(r.pci, 301u);
  EXPECT_EQ(r.arfcn, 10700u);
  EXPECT_EQ(r.neighbours, 0u);  // cells reported, none of them neighbours
}

TEST(MmMapping, ServingCellMeasurementsWhenSignalHasNone) {
  ModemSnapshot s = nr_snapshot();
  s.signal.clear();  // Signal.Setup refused, or not set up yet
  s.cells->at(1)["rsrp"] = -97.5;
  s.cells->at(1)["rsrq"] = -11.0;
  s.cells->at(1)["sinr"] = 9.0;
  const links::RadioReading r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.rsrp, -97.5);
  EXPECT_EQ(r.rsrq, -11.0);
  EXPECT_EQ(r.snr, 9.0);
}

TEST(MmMapping, SinrStandsInForSnr) {
  ModemSnapshot s = nr_snapshot();
  s.signal["Nr5g"] = {{"rsrp", -95.0}, {"sinr", 7.0}};
  EXPECT_EQ(make_reading("modem0", kNoon, s).radio.snr, 7.0);
}

TEST(MmMapping, LocationNamesTheCellWithoutCellInfo) {
  ModemSnapshot s;
  s.modem = {{"AccessTechnologies", kLte}};
  s.location_3gpp = "240,1,0,ABCDEF1,3039";  // GetCellInfo failed: cells stays nullopt
  links::RadioReading r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.tac, 0x3039u);
  EXPECT_EQ(r.cell_id, 0xABCDEF1u);
  EXPECT_FALSE(r.neighbours);
  EXPECT_FALSE(r.plmn);  // the location's MNC has lost its leading zero: not a PLMN
  // On 2G the location area is the one to report.
  s.modem = {{"AccessTechnologies", kGsm}};
  s.location_3gpp = "262,1,4E2,7D1,0";
  r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.tac, 0x4E2u);
  EXPECT_EQ(r.cell_id, 0x7D1u);
}

TEST(MmMapping, ServingCellWinsOverLocation) {
  ModemSnapshot s = nr_snapshot();
  s.location_3gpp = "240,1,0,1,1";
  EXPECT_EQ(make_reading("modem0", kNoon, s).radio.cell_id, 19088743u);
}

TEST(MmMapping, NothingReadableLeavesOnlyModemAndTime) {
  EXPECT_EQ(wire(ModemSnapshot{}), R"({"modem":"modem0","time":"2026-11-29T12:00:00Z"})");
}

TEST(MmMapping, UnknownRegistrationAndEmptyOperatorAreOmitted) {
  ModemSnapshot s = nr_snapshot();
  s.modem_3gpp = {{"OperatorCode", std::string("")}, {"RegistrationState", std::uint64_t{4}}};
  s.cells->at(1).erase("operator-id");
  const Reading reading = make_reading("modem0", kNoon, s);
  EXPECT_FALSE(reading.radio.registration);
  EXPECT_FALSE(reading.radio.plmn);
  EXPECT_TRUE(reading.discarded.empty());
}

TEST(MmMapping, OperatorIdOfTheServingCellWhenNotRegistered) {
  ModemSnapshot s = nr_snapshot();
  s.modem_3gpp.erase("OperatorCode");
  s.cells->at(1)["operator-id"] = std::string("310260");
  EXPECT_EQ(make_reading("modem0", kNoon, s).radio.plmn, "310260");
}

TEST(MmMapping, EmptyCellListIsNotZeroNeighbours) {
  ModemSnapshot s = nr_snapshot();
  s.cells = std::vector<VarDict>{};
  EXPECT_FALSE(make_reading("modem0", kNoon, s).radio.neighbours);
}

TEST(MmMapping, RatFromTheServingCellWhenAccessTechnologiesAreUnknown) {
  ModemSnapshot s = nr_snapshot();
  s.modem.erase("AccessTechnologies");
  const links::RadioReading r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.rat, config::Rat::nr);  // the newest serving cell
  EXPECT_EQ(r.cell_id, 19088743u);
}

TEST(MmMapping, ValuesOfTheWrongTypeAreNotGuessedAt) {
  ModemSnapshot s = nr_snapshot();
  s.modem["AccessTechnologies"] = std::string("lte");
  s.modem_3gpp["RegistrationState"] = 1.0;
  s.cells->at(1)["nrarfcn"] = std::int64_t{632628};
  s.cells->at(0)["cell-type"] = std::uint64_t{99};
  const links::RadioReading r = make_reading("modem0", kNoon, s).radio;
  EXPECT_EQ(r.rat, config::Rat::nr);  // from the serving NR cell instead
  EXPECT_FALSE(r.registration);
  EXPECT_FALSE(r.arfcn);
}

// lifelined drops a whole message for one field out of its bounds: such a value is left out
// (and reported), the rest of the reading still goes.
ModemSnapshot out_of_bounds_snapshot() {
  ModemSnapshot s = nr_snapshot();
  s.signal["Nr5g"] = {{"rsrp", -200.0}, {"rsrq", std::nan("")}, {"snr", 12.0}};
  s.modem_3gpp["OperatorCode"] = std::string("24F01");
  s.cells->at(1)["physical-ci"] = std::string("FFFF");
  s.cells->at(1)["nrarfcn"] = std::uint64_t{4294967295};  // G_MAXUINT, "unknown"
  s.cells->at(1)["ci"] = std::string("not hex");
  return s;
}

TEST(MmMapping, ValuesOutOfTheContractsBoundsAreLeftOut) {
  const Reading reading = make_reading("modem0", kNoon, out_of_bounds_snapshot());
  const links::RadioReading& r = reading.radio;
  EXPECT_FALSE(r.rsrp);
  EXPECT_FALSE(r.rsrq);
  EXPECT_EQ(r.snr, 12.0);
  EXPECT_FALSE(r.plmn);
  EXPECT_FALSE(r.pci);
  EXPECT_FALSE(r.arfcn);
  EXPECT_FALSE(r.cell_id);
  EXPECT_EQ(r.tac, 6699u);
  EXPECT_EQ(reading.discarded.size(), 6u);
  const auto j = nlohmann::json::parse(links::format_radio_reading(r));
  for (const auto& [key, value] : j.items()) EXPECT_FALSE(value.is_null()) << key;
}

// The other end of the feed: lifelined's own parser takes every reading the bridge makes, with
// the values the bridge meant (formatted again, what it parsed is the same message).
TEST(MmMapping, LifelinedParsesEveryReading) {
  ModemSnapshot location;
  location.modem = {{"AccessTechnologies", kLte}};
  location.location_3gpp = "240,1,0,ABCDEF1,3039";
  for (const auto& s :
       {nr_snapshot(), gsm_snapshot(), location, out_of_bounds_snapshot(), ModemSnapshot{}}) {
    const std::string json = wire(s);
    const auto parsed = links::parse_radio_reading(json);
    ASSERT_TRUE(std::holds_alternative<links::RadioReading>(parsed))
        << json << ": " << std::get<std::string>(parsed);
    EXPECT_EQ(links::format_radio_reading(std::get<links::RadioReading>(parsed)), json);
  }
}

TEST(MmSelector, ParsesIndexPathAndEquipmentIdentifier) {
  EXPECT_EQ(parse_modem_selector("").kind, ModemSelector::Kind::first);
  auto s = parse_modem_selector("0");
  EXPECT_EQ(s.kind, ModemSelector::Kind::index);
  EXPECT_EQ(s.value, kModem + "0");
  EXPECT_EQ(parse_modem_selector("007").value, kModem + "7");
  s = parse_modem_selector("/org/freedesktop/ModemManager1/Modem/3");
  EXPECT_EQ(s.kind, ModemSelector::Kind::path);
  EXPECT_EQ(s.value, kModem + "3");
  s = parse_modem_selector("490154203237518");  // an IMEI is all digits too, but 15 of them
  EXPECT_EQ(s.kind, ModemSelector::Kind::equipment_id);
  EXPECT_EQ(parse_modem_selector("A1000049CDEF12").kind, ModemSelector::Kind::equipment_id);
}

TEST(MmSelector, SelectsAmongTheListedModems) {
  const std::map<std::string, std::string> modems = {{kModem + "10", "490154203237518"},
                                                     {kModem + "2", "A1000049CDEF12"}};
  // Lowest index, not lowest string ("10" < "2").
  EXPECT_EQ(select_modem(parse_modem_selector(""), modems), kModem + "2");
  EXPECT_EQ(select_modem(parse_modem_selector("10"), modems), kModem + "10");
  EXPECT_EQ(select_modem(parse_modem_selector("3"), modems), std::nullopt);
  EXPECT_EQ(select_modem(parse_modem_selector(kModem + "2"), modems), kModem + "2");
  EXPECT_EQ(select_modem(parse_modem_selector("490154203237518"), modems), kModem + "10");
  EXPECT_EQ(select_modem(parse_modem_selector("a1000049cdef12"), modems), kModem + "2");
  EXPECT_EQ(select_modem(parse_modem_selector("356938035643809"), modems), std::nullopt);
  EXPECT_EQ(select_modem(parse_modem_selector(""), {}), std::nullopt);
}

}  // namespace
}  // namespace lifeline::bridge
