// The pure half of lifeline-mm-bridge (docs/mm-bridge.md): ModemManager's values, as the
// D-Bus client read them, turned into one telemetry reading for lifelined's radio checks.
// Nothing here touches D-Bus, so every mapping rule is tested without a bus.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "links/radio.hpp"

namespace lifeline::bridge {

using SystemTime = std::chrono::system_clock::time_point;

// A basic D-Bus value from inside a variant. Integers are widened (every D-Bus integer type
// fits one of the two), object paths and signatures arrive as strings.
using DbusValue = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;
// An a{sv} dictionary, with its basic values only (ModemManager's dictionaries that matter here
// hold nothing else).
using VarDict = std::map<std::string, DbusValue, std::less<>>;

// A typed lookup: nullopt when the key is absent or holds another type (a double where an
// unsigned is expected is a publisher bug, not a value to guess at). T is one of DbusValue's.
template <typename T>
std::optional<T> get_as(const VarDict& dict, std::string_view key) {
  const auto it = dict.find(key);
  const T* value = it == dict.end() ? nullptr : std::get_if<T>(&it->second);
  return value ? std::optional<T>(*value) : std::nullopt;
}

// One modem as ModemManager 1.20 showed it. An empty dictionary or a nullopt means the call
// failed (or the modem lacks the interface): the fields it would have given are omitted.
struct ModemSnapshot {
  VarDict modem;       // org.freedesktop.ModemManager1.Modem properties
  VarDict modem_3gpp;  // ...Modem.Modem3gpp properties
  // ...Modem.Signal's per-technology dictionaries by property name ("Lte", "Nr5g", "Umts", "Gsm").
  std::map<std::string, VarDict, std::less<>> signal;
  std::optional<std::vector<VarDict>> cells;  // ...Modem.GetCellInfo()
  std::optional<std::string> location_3gpp;   // ...Modem.Location.GetLocation()[3GPP_LAC_CI]
};

// The newest generation among MMModemAccessTechnology flags (a modem on EN-DC reports LTE and
// 5GNR together: that is nr). CDMA 1xRTT counts as gsm and EV-DO as umts, by generation.
std::optional<config::Rat> rat_from_access_technologies(std::uint32_t flags);
// MMCellType: 2 gsm, 3 umts, 4 tdscdma (umts), 5 lte, 6 5gnr; 1 cdma and others: nullopt.
std::optional<config::Rat> rat_from_cell_type(std::uint32_t cell_type);
// MMModem3gppRegistrationState -> home | roaming | searching | denied | idle; UNKNOWN, and the
// states the contract has no word for (emergency only, RLOS), give nullopt.
std::optional<std::string_view> registration_name(std::uint32_t state);

// ModemManager's hex strings ("1A2B", upper case, no prefix, 3GPP TS 27.007): 1 to 16 digits.
std::optional<std::uint64_t> parse_hex(std::string_view text);

// Location source 3GPP_LAC_CI: "MCC,MNC,LAC,CI,TAC", MCC and MNC decimal, the rest hex.
struct Location3gpp {
  std::uint32_t mcc = 0, mnc = 0;
  std::uint64_t lac = 0, cell_id = 0, tac = 0;
};
std::optional<Location3gpp> parse_location_3gpp(std::string_view text);

// One telemetry message (docs/mm-bridge.md), and what was left out of it. The wire form is
// links::format_radio_reading(reading.radio): the contract has one writer. `modem` and `time`
// are always set; ModemManager gives no reject cause or cipher, so those stay unset.
struct Reading {
  links::RadioReading radio;
  // Values ModemManager gave that the contract cannot carry ("rsrp -200 out of -160..0"):
  // left out of the message, because lifelined drops a whole message for one bad field.
  std::vector<std::string> discarded;
};

Reading make_reading(std::string modem, SystemTime now, const ModemSnapshot& snapshot);

// --modem: "" (the first modem ModemManager lists), an index ("0", up to 6 digits), an object
// path ("/org/freedesktop/ModemManager1/Modem/0"), or an equipment identifier (the IMEI).
struct ModemSelector {
  enum class Kind { first, index, path, equipment_id };
  Kind kind = Kind::first;
  std::string value;  // the path for index and path; the identifier for equipment_id
};
ModemSelector parse_modem_selector(std::string_view text);
std::string to_string(const ModemSelector& selector);

inline constexpr std::string_view kModemPathPrefix = "/org/freedesktop/ModemManager1/Modem/";

// Which of ModemManager's modems (object path -> EquipmentIdentifier) the selector means.
// `first` takes the lowest index: ModemManager counts up on every re-plug, so "the modem"
// of a one-modem gateway keeps being found.
std::optional<std::string> select_modem(const ModemSelector& selector,
                                        const std::map<std::string, std::string>& modems);

}  // namespace lifeline::bridge
