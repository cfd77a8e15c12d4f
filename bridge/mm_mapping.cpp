#include "bridge/mm_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "common/utc_time.hpp"

namespace lifeline::bridge {

using config::Rat;

namespace {

// MMModemAccessTechnology (ModemManager-enums.h).
constexpr std::uint32_t kAccessGsm = 1u << 1;
constexpr std::uint32_t kAccessGsmCompact = 1u << 2;
constexpr std::uint32_t kAccessGprs = 1u << 3;
constexpr std::uint32_t kAccessEdge = 1u << 4;
constexpr std::uint32_t kAccessUmts = 1u << 5;
constexpr std::uint32_t kAccessHsdpa = 1u << 6;
constexpr std::uint32_t kAccessHsupa = 1u << 7;
constexpr std::uint32_t kAccessHspa = 1u << 8;
constexpr std::uint32_t kAccessHspaPlus = 1u << 9;
constexpr std::uint32_t kAccess1xRtt = 1u << 10;
constexpr std::uint32_t kAccessEvdo0 = 1u << 11;
constexpr std::uint32_t kAccessEvdoA = 1u << 12;
constexpr std::uint32_t kAccessEvdoB = 1u << 13;
constexpr std::uint32_t kAccessLte = 1u << 14;
constexpr std::uint32_t kAccess5gnr = 1u << 15;
constexpr std::uint32_t kAccessLteCatM = 1u << 16;
constexpr std::uint32_t kAccessLteNbIot = 1u << 17;

// MMCellType.
constexpr std::uint32_t kCellGsm = 2;
constexpr std::uint32_t kCellUmts = 3;
constexpr std::uint32_t kCellTdscdma = 4;
constexpr std::uint32_t kCellLte = 5;
constexpr std::uint32_t kCell5gnr = 6;

// The bounds lifelined's parser accepts (docs/mm-bridge.md "Telemetry"): a value outside them
// would make it drop the whole message, so it is left out here instead.
constexpr std::uint64_t kMaxTac = 0xFFFFFF;             // 24-bit TAC (16-bit LAC fits)
constexpr std::uint64_t kMaxCellId = (1ull << 36) - 1;  // 36-bit NR cell identity
constexpr std::uint64_t kMaxPci = 1007;                 // NR PCI; LTE's 503 and PSC's 511 fit
constexpr std::uint64_t kMaxArfcn = 3279165;            // NR-ARFCN
constexpr std::uint64_t kMaxNeighbours = 1024;

// The signal dictionary (Modem.Signal property) for a RAT.
const char* signal_property(Rat rat) {
  switch (rat) {
    case Rat::gsm:
      return "Gsm";
    case Rat::umts:
      return "Umts";
    case Rat::lte:
      return "Lte";
    case Rat::nr:
      return "Nr5g";
  }
  return "";
}

// The serving cell: the one of the current RAT when several serve (EN-DC: the LTE anchor and
// the NR secondary both do), else the newest. nullptr when no cell is marked serving.
const VarDict* serving_cell(const std::vector<VarDict>& cells, std::optional<Rat> rat) {
  // Ranks rather than optional<Rat> comparisons: g++ 12 sees those as maybe-uninitialized.
  const int wanted = rat ? static_cast<int>(*rat) : -2;
  const VarDict* best = nullptr;
  int best_rank = -2;
  for (const auto& cell : cells) {
    if (!get_as<bool>(cell, "serving").value_or(false)) continue;
    const auto type = get_as<std::uint64_t>(cell, "cell-type");
    const auto cell_rat =
        type ? rat_from_cell_type(static_cast<std::uint32_t>(*type)) : std::nullopt;
    const int rank = cell_rat ? static_cast<int>(*cell_rat) : -1;
    if (rank == wanted) return &cell;
    if (!best || rank > best_rank) {
      best = &cell;
      best_rank = rank;
    }
  }
  return best;
}

class Builder {
 public:
  explicit Builder(Reading& reading) : r_(reading) {}

  template <typename T>
  void set_unsigned(std::optional<T>& field, const char* name, std::optional<std::uint64_t> value,
                    std::uint64_t max) {
    if (field || !value) return;
    if (*value > max) {
      discard(std::string(name) + " " + std::to_string(*value) + " out of 0.." +
              std::to_string(max));
      return;
    }
    field = static_cast<T>(*value);
  }

  template <typename T>
  void set_hex(std::optional<T>& field, const char* name, std::optional<std::string> text,
               std::uint64_t max) {
    if (field || !text) return;
    const auto value = parse_hex(*text);
    if (!value) {
      discard(std::string(name) + " '" + *text + "' is not hexadecimal");
      return;
    }
    set_unsigned(field, name, value, max);
  }

  void set_double(std::optional<double>& field, const char* name, std::optional<double> value,
                  double min, double max) {
    if (field || !value) return;
    if (!std::isfinite(*value) || *value < min || *value > max) {
      discard(std::string(name) + " " + std::to_string(*value) + " out of " +
              std::to_string(static_cast<int>(min)) + ".." + std::to_string(static_cast<int>(max)));
      return;
    }
    field = *value;
  }

  void set_plmn(std::optional<std::string> text) {
    if (r_.radio.plmn || !text || text->empty()) return;
    const bool digits =
        std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || text->size() < 5 || text->size() > 6) {
      discard("plmn '" + *text + "' is not MCC + MNC (5 or 6 digits)");
      return;
    }
    r_.radio.plmn = *text;
  }

  void discard(std::string what) { r_.discarded.push_back(std::move(what)); }

 private:
  Reading& r_;
};

// Radio values of the current RAT from Modem.Signal (MM reports only the values it has).
void signal_values(Builder& b, links::RadioReading& r, const VarDict& signal) {
  b.set_double(r.rsrp, "rsrp", get_as<double>(signal, "rsrp"), -160, 0);
  b.set_double(r.rsrq, "rsrq", get_as<double>(signal, "rsrq"), -50, 30);
  b.set_double(r.snr, "snr", get_as<double>(signal, "snr"), -50, 60);
  b.set_double(r.snr, "snr", get_as<double>(signal, "sinr"), -50, 60);
}

std::uint32_t cell_type(const VarDict& cell) {
  return static_cast<std::uint32_t>(get_as<std::uint64_t>(cell, "cell-type").value_or(0));
}

// Where the modem is registered: PLMN, area and cell id, together from one cell.
void cell_identity(Builder& b, links::RadioReading& r, const VarDict& cell) {
  const auto type = cell_type(cell);
  b.set_plmn(get_as<std::string>(cell, "operator-id"));
  // 2G and 3G have a location area where LTE and NR have a tracking area: the same role
  // (the area the modem registered in), so the LAC goes in `tac`.
  const bool area_is_lac = type == kCellGsm || type == kCellUmts || type == kCellTdscdma;
  b.set_hex(r.tac, "tac", get_as<std::string>(cell, area_is_lac ? "lac" : "tac"), kMaxTac);
  b.set_hex(r.cell_id, "cell_id", get_as<std::string>(cell, "ci"), kMaxCellId);
}

// The radio the modem uses: physical id, channel, and the cell's own measurements.
void cell_radio(Builder& b, links::RadioReading& r, const VarDict& cell) {
  const auto type = cell_type(cell);
  if (type == kCellLte || type == kCell5gnr) {
    b.set_hex(r.pci, "pci", get_as<std::string>(cell, "physical-ci"), kMaxPci);
  } else if (type == kCellUmts) {  // the scrambling code is the UMTS counterpart
    b.set_unsigned(r.pci, "pci", get_as<std::uint64_t>(cell, "psc"), kMaxPci);
  }
  const char* arfcn_key = type == kCell5gnr  ? "nrarfcn"
                          : type == kCellLte ? "earfcn"
                          : type == kCellGsm ? "arfcn"
                                             : "uarfcn";
  b.set_unsigned(r.arfcn, "arfcn", get_as<std::uint64_t>(cell, arfcn_key), kMaxArfcn);
  // Only where Modem.Signal had none.
  b.set_double(r.rsrp, "rsrp", get_as<double>(cell, "rsrp"), -160, 0);
  b.set_double(r.rsrq, "rsrq", get_as<double>(cell, "rsrq"), -50, 30);
  b.set_double(r.snr, "snr", get_as<double>(cell, "sinr"), -50, 60);
}

// The serving cell that names where the modem is registered: `serving` itself, unless it has
// no cell id, as an NR secondary on EN-DC (non-standalone) usually has not: the modem is
// registered through its LTE anchor, which does.
const VarDict* identity_cell(const std::vector<VarDict>& cells, const VarDict& serving) {
  if (get_as<std::string>(serving, "ci")) return &serving;
  for (const auto& cell : cells) {
    if (&cell != &serving && get_as<bool>(cell, "serving").value_or(false) &&
        get_as<std::string>(cell, "ci")) {
      return &cell;
    }
  }
  return &serving;
}

}  // namespace

std::optional<Rat> rat_from_access_technologies(std::uint32_t flags) {
  if (flags & kAccess5gnr) return Rat::nr;
  if (flags & (kAccessLte | kAccessLteCatM | kAccessLteNbIot)) return Rat::lte;
  if (flags & (kAccessUmts | kAccessHsdpa | kAccessHsupa | kAccessHspa | kAccessHspaPlus |
               kAccessEvdo0 | kAccessEvdoA | kAccessEvdoB)) {
    return Rat::umts;
  }
  if (flags & (kAccessGsm | kAccessGsmCompact | kAccessGprs | kAccessEdge | kAccess1xRtt)) {
    return Rat::gsm;
  }
  return std::nullopt;  // UNKNOWN (0), POTS
}

std::optional<Rat> rat_from_cell_type(std::uint32_t cell_type) {
  switch (cell_type) {
    case kCellGsm:
      return Rat::gsm;
    case kCellUmts:
    case kCellTdscdma:
      return Rat::umts;
    case kCellLte:
      return Rat::lte;
    case kCell5gnr:
      return Rat::nr;
    default:
      return std::nullopt;
  }
}

std::optional<std::string_view> registration_name(std::uint32_t state) {
  switch (state) {
    case 0:
      return "idle";
    case 1:  // HOME
    case 6:  // HOME_SMS_ONLY
    case 9:  // HOME_CSFB_NOT_PREFERRED
      return "home";
    case 2:
      return "searching";
    case 3:
      return "denied";
    case 5:   // ROAMING
    case 7:   // ROAMING_SMS_ONLY
    case 10:  // ROAMING_CSFB_NOT_PREFERRED
      return "roaming";
    default:  // 4 UNKNOWN, 8 EMERGENCY_ONLY, 11 ATTACHED_RLOS, anything newer
      return std::nullopt;
  }
}

std::optional<std::uint64_t> parse_hex(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Location3gpp> parse_location_3gpp(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (parts.size() != 5) return std::nullopt;
  auto decimal = [](std::string_view s, std::uint32_t& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
    return !s.empty() && s.size() <= 3 && ec == std::errc{} && end == s.data() + s.size();
  };
  Location3gpp l;
  const auto lac = parse_hex(parts[2]), ci = parse_hex(parts[3]), tac = parse_hex(parts[4]);
  if (!decimal(parts[0], l.mcc) || !decimal(parts[1], l.mnc) || !lac || !ci || !tac) {
    return std::nullopt;
  }
  l.lac = *lac;
  l.cell_id = *ci;
  l.tac = *tac;
  return l;
}

Reading make_reading(std::string modem, SystemTime now, const ModemSnapshot& s) {
  Reading reading;
  links::RadioReading& r = reading.radio;
  r.modem = std::move(modem);
  r.time = utc::format(now);
  Builder b(reading);

  if (const auto flags = get_as<std::uint64_t>(s.modem, "AccessTechnologies")) {
    r.rat = rat_from_access_technologies(static_cast<std::uint32_t>(*flags));
  }
  const VarDict* serving = s.cells ? serving_cell(*s.cells, r.rat) : nullptr;
  if (!r.rat && serving) {
    const auto type = get_as<std::uint64_t>(*serving, "cell-type");
    if (type) r.rat = rat_from_cell_type(static_cast<std::uint32_t>(*type));
  }

  b.set_plmn(get_as<std::string>(s.modem_3gpp, "OperatorCode"));
  if (const auto state = get_as<std::uint64_t>(s.modem_3gpp, "RegistrationState")) {
    if (const auto name = registration_name(static_cast<std::uint32_t>(*state))) {
      r.registration = std::string(*name);
    }
  }

  // Modem.Signal first: ModemManager refreshes it at the rate the bridge set up, for the
  // technology in use; the serving cell's own measurements only fill what it lacks.
  if (r.rat) {
    const auto it = s.signal.find(signal_property(*r.rat));
    if (it != s.signal.end()) signal_values(b, r, it->second);
  }
  if (serving) {
    cell_identity(b, r, *identity_cell(*s.cells, *serving));
    cell_radio(b, r, *serving);
  }
  if (s.cells && !s.cells->empty()) {
    // An empty list is a modem that reports no cells at all, not one that sees no neighbours.
    const auto count = std::count_if(s.cells->begin(), s.cells->end(), [](const VarDict& c) {
      return !get_as<bool>(c, "serving").value_or(false);
    });
    b.set_unsigned(r.neighbours, "neighbours",
                   std::optional<std::uint64_t>(static_cast<std::uint64_t>(count)), kMaxNeighbours);
  }

  // Older modems have no cell info: the 3GPP location source still names the cell. Its MNC is
  // printed without leading zeros ("01" -> "1"), so it cannot give the PLMN.
  if (!serving && s.location_3gpp) {
    if (const auto loc = parse_location_3gpp(*s.location_3gpp)) {
      const bool area_is_tac = r.rat ? *r.rat >= Rat::lte : loc->tac != 0;
      const std::uint64_t area = area_is_tac ? loc->tac : loc->lac;
      if (area != 0) b.set_unsigned(r.tac, "tac", std::optional<std::uint64_t>(area), kMaxTac);
      if (loc->cell_id != 0) {
        b.set_unsigned(r.cell_id, "cell_id", std::optional<std::uint64_t>(loc->cell_id),
                       kMaxCellId);
      }
    } else {
      b.discard("3GPP location '" + *s.location_3gpp + "' is not MCC,MNC,LAC,CI,TAC");
    }
  }
  return reading;
}

ModemSelector parse_modem_selector(std::string_view text) {
  ModemSelector s;
  if (text.empty()) return s;
  const bool digits =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && text.size() <= 6) {
    s.kind = ModemSelector::Kind::index;
    s.value = std::string(kModemPathPrefix) + std::to_string(std::stoul(std::string(text)));
  } else if (text.front() == '/') {
    s.kind = ModemSelector::Kind::path;
    s.value = std::string(text);
  } else {
    s.kind = ModemSelector::Kind::equipment_id;
    s.value = std::string(text);
  }
  return s;
}

std::string to_string(const ModemSelector& s) {
  switch (s.kind) {
    case ModemSelector::Kind::first:
      return "the first modem";
    case ModemSelector::Kind::index:
    case ModemSelector::Kind::path:
      return "modem " + s.value;
    case ModemSelector::Kind::equipment_id:
      return "the modem with equipment identifier " + s.value;
  }
  return "?";
}

std::optional<std::string> select_modem(const ModemSelector& selector,
                                        const std::map<std::string, std::string>& modems) {
  // Lowest index first; paths that are not ModemManager's usual ones after them, by name.
  auto index_of = [](const std::string& path) -> std::uint64_t {
    if (path.compare(0, kModemPathPrefix.size(), kModemPathPrefix) != 0) return UINT64_MAX;
    const std::string_view tail = std::string_view(path).substr(kModemPathPrefix.size());
    std::uint64_t index = 0;
    const auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), index);
    return ec == std::errc{} && end == tail.data() + tail.size() ? index : UINT64_MAX;
  };
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::optional<std::string> best;
  for (const auto& [path, equipment_id] : modems) {
    bool match = false;
    switch (selector.kind) {
      case ModemSelector::Kind::first:
        match = true;
        break;
      case ModemSelector::Kind::index:
      case ModemSelector::Kind::path:
        match = path == selector.value;
        break;
      case ModemSelector::Kind::equipment_id:
        match = !equipment_id.empty() && lower(equipment_id) == lower(selector.value);
        break;
    }
    if (match && (!best || index_of(path) < index_of(*best))) best = path;
  }
  return best;
}

}  // namespace lifeline::bridge
