#include "bridge/mm_client.hpp"

#include <systemd/sd-bus.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace lifeline::bridge {
namespace {

constexpr const char* kService = "org.freedesktop.ModemManager1";
constexpr const char* kManagerPath = "/org/freedesktop/ModemManager1";
constexpr const char* kModem = "org.freedesktop.ModemManager1.Modem";
constexpr const char* kModem3gpp = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
constexpr const char* kSignal = "org.freedesktop.ModemManager1.Modem.Signal";
constexpr const char* kLocation = "org.freedesktop.ModemManager1.Modem.Location";
constexpr const char* kProperties = "org.freedesktop.DBus.Properties";
constexpr const char* kObjectManager = "org.freedesktop.DBus.ObjectManager";
// MMModemLocationSource 3GPP_LAC_CI; GetLocation()'s key for it.
constexpr std::uint32_t kLocation3gppLacCi = 1;

struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;

// Thrown by the readers below on a reply of an unexpected shape; caught per call.
struct Malformed {
  int error;
};

void check(int r) {
  if (r < 0) throw Malformed{-r};
}

bool enter(sd_bus_message* m, char type, const char* contents) {
  const int r = sd_bus_message_enter_container(m, type, contents);
  check(r);
  return r > 0;
}

void leave(sd_bus_message* m) {
  check(sd_bus_message_exit_container(m));
}

bool is_basic(const char* signature) {
  return signature && std::strlen(signature) == 1 && std::strchr("bynqiuxtdsog", signature[0]);
}

// The basic value at the read position, read as sd-bus stores a `type` (T: int for 'b',
// const char* for strings, else the fixed-size integer or double).
template <typename T>
T read_raw(sd_bus_message* m, char type) {
  T v{};
  check(sd_bus_message_read_basic(m, type, &v));
  return v;
}

// A string, object path or signature at the read position ("" for a null one).
std::string read_string(sd_bus_message* m, char type) {
  const char* v = read_raw<const char*>(m, type);
  return v ? v : "";
}

// A basic value at the read position (its type is `type`), widened to a DbusValue.
DbusValue read_basic(sd_bus_message* m, char type) {
  switch (type) {
    case 'b':
      return read_raw<int>(m, type) != 0;
    case 'y':
      return std::uint64_t{read_raw<std::uint8_t>(m, type)};
    case 'q':
      return std::uint64_t{read_raw<std::uint16_t>(m, type)};
    case 'u':
      return std::uint64_t{read_raw<std::uint32_t>(m, type)};
    case 't':
      return read_raw<std::uint64_t>(m, type);
    case 'n':
      return std::int64_t{read_raw<std::int16_t>(m, type)};
    case 'i':
      return std::int64_t{read_raw<std::int32_t>(m, type)};
    case 'x':
      return read_raw<std::int64_t>(m, type);
    case 'd':
      return read_raw<double>(m, type);
    default:  // s, o, g
      return read_string(m, type);
  }
}

// Enters the variant at the read position; the signature of what it holds.
std::string enter_variant(sd_bus_message* m) {
  const char* contents = nullptr;
  check(sd_bus_message_peek_type(m, nullptr, &contents));
  std::string signature(contents ? contents : "");
  check(sd_bus_message_enter_container(m, 'v', signature.c_str()));
  return signature;
}

using NestedDicts = std::map<std::string, VarDict, std::less<>>;

// An a{sv} at the read position: basic values into `out`; values that are themselves a{sv}
// into `nested` when given (Modem.Signal's per-technology properties); the rest skipped.
void read_vardict(sd_bus_message* m, VarDict& out, NestedDicts* nested = nullptr) {
  if (!enter(m, 'a', "{sv}")) throw Malformed{EBADMSG};
  while (enter(m, 'e', "sv")) {
    const std::string key = read_string(m, 's');
    const std::string signature = enter_variant(m);
    if (is_basic(signature.c_str())) {
      out[key] = read_basic(m, signature[0]);
    } else if (nested && signature == "a{sv}") {
      read_vardict(m, (*nested)[key]);
    } else {
      check(sd_bus_message_skip(m, signature.c_str()));
    }
    leave(m);  // v
    leave(m);  // e
  }
  leave(m);  // a
}

std::int64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace

bool means_modem_gone(const std::string& name) {
  // GDBus (ModemManager) answers UnknownMethod for an object path it no longer exports.
  return name == "org.freedesktop.DBus.Error.UnknownObject" ||
         name == "org.freedesktop.DBus.Error.UnknownInterface" ||
         name == "org.freedesktop.DBus.Error.UnknownMethod" ||
         name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
         name == "org.freedesktop.DBus.Error.NameHasNoOwner";
}

ModemManagerClient::ModemManagerClient(const std::string& bus,
                                       std::chrono::milliseconds call_timeout) {
  int r = 0;
  if (bus == "system") {
    r = sd_bus_open_system(&bus_);
  } else if (bus == "session") {
    r = sd_bus_open_user(&bus_);
  } else {
    r = sd_bus_new(&bus_);
    if (r >= 0) r = sd_bus_set_address(bus_, bus.c_str());
    if (r >= 0) r = sd_bus_set_bus_client(bus_, 1);
    if (r >= 0) r = sd_bus_start(bus_);
  }
  if (r < 0) {
    if (bus_) bus_ = sd_bus_flush_close_unref(bus_);
    throw BusError("cannot connect to the " + bus + " bus: " + std::strerror(-r));
  }
  sd_bus_set_method_call_timeout(bus_, static_cast<std::uint64_t>(call_timeout.count()) * 1000);

  // No sender= in the rules: sd-bus cannot match a well-known sender name itself, and the
  // paths are ModemManager's own.
  add_match(
      "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
      "path_namespace='/org/freedesktop/ModemManager1'",
      &ModemManagerClient::on_properties_changed);
  add_match(
      "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded',"
      "path='/org/freedesktop/ModemManager1'",
      &ModemManagerClient::on_modems_changed);
  add_match(
      "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesRemoved',"
      "path='/org/freedesktop/ModemManager1'",
      &ModemManagerClient::on_modems_changed);
  add_match(
      "type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged',"
      "arg0='org.freedesktop.ModemManager1'",
      &ModemManagerClient::on_modems_changed);
}

ModemManagerClient::~ModemManagerClient() {
  for (auto* slot : slots_) sd_bus_slot_unref(slot);
  sd_bus_flush_close_unref(bus_);
}

void ModemManagerClient::add_match(const char* rule,
                                   int (*handler)(sd_bus_message*, void*, sd_bus_error*)) {
  sd_bus_slot* slot = nullptr;
  const int r = sd_bus_add_match(bus_, &slot, rule, handler, this);
  if (r < 0)
    throw BusError(std::string("cannot watch ModemManager's signals: ") + std::strerror(-r));
  slots_.push_back(slot);
}

int ModemManagerClient::fd() const {
  return sd_bus_get_fd(bus_);
}

short ModemManagerClient::events() const {
  const int e = sd_bus_get_events(bus_);
  return static_cast<short>(e < 0 ? 0 : e);
}

std::optional<std::chrono::milliseconds> ModemManagerClient::timeout() const {
  std::uint64_t at = 0;
  if (sd_bus_get_timeout(bus_, &at) < 0 || at == UINT64_MAX) return std::nullopt;
  const std::int64_t left = static_cast<std::int64_t>(at) - monotonic_usec();
  // Rounded up, so that a wait never ends just before sd-bus's deadline.
  return std::chrono::milliseconds(left <= 0 ? 0 : (left + 999) / 1000);
}

void ModemManagerClient::process() {
  int r = 0;
  while ((r = sd_bus_process(bus_, nullptr)) > 0) {
  }
  if (r < 0) throw BusError(std::string("lost the bus: ") + std::strerror(-r));
}

ModemManagerClient::Changes ModemManagerClient::take_changes() {
  const Changes c = changes_;
  changes_ = {};
  return c;
}

int ModemManagerClient::on_properties_changed(sd_bus_message* m, void* self, sd_bus_error*) {
  auto* client = static_cast<ModemManagerClient*>(self);
  const char* path = sd_bus_message_get_path(m);
  if (!client->watched_ || !path || *client->watched_ != path) return 0;
  // Only what a reading's identity is made of: Modem.Signal changes at its own rate, and
  // Modem's SignalQuality every few seconds; the periodic readings carry those.
  try {
    const std::string iface = read_string(m, 's');
    if (iface != kModem && iface != kModem3gpp) return 0;
    VarDict changed;
    read_vardict(m, changed);
    for (const char* key : {"AccessTechnologies", "State", "RegistrationState", "OperatorCode"}) {
      if (changed.count(key)) client->changes_.modem_state = true;
    }
  } catch (const Malformed&) {
    client->changes_.modem_state = true;  // cannot tell what changed: read it all again
  }
  return 0;
}

int ModemManagerClient::on_modems_changed(sd_bus_message*, void* self, sd_bus_error*) {
  static_cast<ModemManagerClient*>(self)->changes_.modems = true;
  return 0;
}

namespace {

// A call to ModemManager; nullptr (and a failure) when it failed. Never auto-starts
// ModemManager: an operator who stopped it does not want a bridge to start it every second.
template <typename... Args>
Message call(sd_bus* bus, CallFailures& failures, const char* what, const std::string& path,
             const char* interface, const char* member, const char* types, Args... args) {
  sd_bus_message* request = nullptr;
  int r = sd_bus_message_new_method_call(bus, &request, kService, path.c_str(), interface, member);
  const Message owned_request(request);
  if (r >= 0 && *types) r = sd_bus_message_append(request, types, args...);
  if (r >= 0) r = sd_bus_message_set_auto_start(request, 0);
  if (r < 0) {
    failures.push_back({what, "cannot build the call", std::strerror(-r)});
    return nullptr;
  }
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal (clang -Wc99-extensions)
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(bus, request, 0, &error, &reply);  // 0: the connection's call time-out
  if (r < 0) {
    failures.push_back({what, error.name ? error.name : "errno",
                        error.message ? error.message : std::strerror(-r)});
    sd_bus_error_free(&error);
    return nullptr;
  }
  return Message(reply);
}

// Properties.GetAll(interface); false (and a failure) when the call or the reply was bad.
bool get_all(sd_bus* bus, CallFailures& failures, const char* what, const std::string& path,
             const char* interface, VarDict& out, NestedDicts* nested = nullptr) {
  Message reply = call(bus, failures, what, path, kProperties, "GetAll", "s", interface);
  if (!reply) return false;
  try {
    read_vardict(reply.get(), out, nested);
    return true;
  } catch (const Malformed& e) {
    out.clear();
    failures.push_back({what, "malformed reply", std::strerror(e.error)});
    return false;
  }
}

}  // namespace

std::optional<std::map<std::string, std::string>> ModemManagerClient::list_modems(
    CallFailures& failures) {
  Message reply = call(bus_, failures, "modem list (GetManagedObjects)", kManagerPath,
                       kObjectManager, "GetManagedObjects", "");
  if (!reply) return std::nullopt;
  sd_bus_message* m = reply.get();
  std::map<std::string, std::string> modems;
  try {
    if (!enter(m, 'a', "{oa{sa{sv}}}")) throw Malformed{EBADMSG};
    while (enter(m, 'e', "oa{sa{sv}}")) {
      const std::string object = read_string(m, 'o');
      std::optional<std::string> equipment_id;
      if (!enter(m, 'a', "{sa{sv}}")) throw Malformed{EBADMSG};
      while (enter(m, 'e', "sa{sv}")) {
        if (read_string(m, 's') == kModem) {
          VarDict props;
          read_vardict(m, props);
          equipment_id = get_as<std::string>(props, "EquipmentIdentifier").value_or("");
        } else {
          check(sd_bus_message_skip(m, "a{sv}"));
        }
        leave(m);  // e
      }
      leave(m);  // a
      leave(m);  // e
      if (equipment_id) modems[object] = *equipment_id;
    }
    leave(m);
  } catch (const Malformed& e) {
    failures.push_back(
        {"modem list (GetManagedObjects)", "malformed reply", std::strerror(e.error)});
    return std::nullopt;
  }
  return modems;
}

ModemManagerClient::ModemRead ModemManagerClient::read(const std::string& path,
                                                       CallFailures& failures) {
  ModemRead out;
  ModemSnapshot& s = out.snapshot;
  // The modem (or ModemManager) vanished under the read: what was read is not a reading.
  const std::size_t before = failures.size();
  auto gone = [&] {
    out.gone = std::any_of(failures.begin() + static_cast<std::ptrdiff_t>(before), failures.end(),
                           [](const CallFailure& f) { return means_modem_gone(f.name); });
    return out.gone;
  };
  get_all(bus_, failures, "Modem properties", path, kModem, s.modem);
  if (gone()) return out;
  get_all(bus_, failures, "Modem3gpp properties", path, kModem3gpp, s.modem_3gpp);
  if (gone()) return out;

  VarDict signal;
  if (get_all(bus_, failures, "Signal properties", path, kSignal, signal, &s.signal)) {
    if (const auto rate = get_as<std::uint64_t>(signal, "Rate")) {
      out.signal_rate = static_cast<std::uint32_t>(*rate);
    }
  }
  if (gone()) return out;

  if (Message reply = call(bus_, failures, "GetCellInfo", path, kModem, "GetCellInfo", "")) {
    try {
      std::vector<VarDict> cells;
      if (!enter(reply.get(), 'a', "a{sv}")) throw Malformed{EBADMSG};
      while (true) {
        char type = 0;
        const int r = sd_bus_message_peek_type(reply.get(), &type, nullptr);
        check(r);
        if (r == 0) break;
        read_vardict(reply.get(), cells.emplace_back());
      }
      leave(reply.get());
      s.cells = std::move(cells);
    } catch (const Malformed& e) {
      failures.push_back({"GetCellInfo", "malformed reply", std::strerror(e.error)});
    }
  }
  if (gone()) return out;

  // The location is only the fallback for the cell identity (older modems have no cell info).
  const bool have_serving_cell =
      s.cells && std::any_of(s.cells->begin(), s.cells->end(), [](const VarDict& cell) {
        return get_as<bool>(cell, "serving").value_or(false);
      });
  if (!have_serving_cell) {
    VarDict location_props;
    if (get_all(bus_, failures, "Location properties", path, kLocation, location_props)) {
      if (const auto enabled = get_as<std::uint64_t>(location_props, "Enabled")) {
        out.location_sources = static_cast<std::uint32_t>(*enabled);
      }
    }
    if (Message reply = call(bus_, failures, "GetLocation", path, kLocation, "GetLocation", "")) {
      sd_bus_message* m = reply.get();
      try {
        if (!enter(m, 'a', "{uv}")) throw Malformed{EBADMSG};
        while (enter(m, 'e', "uv")) {
          const auto source = read_raw<std::uint32_t>(m, 'u');
          const std::string signature = enter_variant(m);
          if (source == kLocation3gppLacCi && signature == "s") {
            s.location_3gpp = read_string(m, 's');
          } else {
            check(sd_bus_message_skip(m, signature.c_str()));
          }
          leave(m);  // v
          leave(m);  // e
        }
        leave(m);
      } catch (const Malformed& e) {
        failures.push_back({"GetLocation", "malformed reply", std::strerror(e.error)});
      }
    }
  }
  gone();
  return out;
}

bool ModemManagerClient::setup_signal(const std::string& path, std::uint32_t rate_seconds,
                                      CallFailures& failures) {
  return call(bus_, failures, "Signal.Setup", path, kSignal, "Setup", "u", rate_seconds) != nullptr;
}

bool ModemManagerClient::enable_location_3gpp(const std::string& path, CallFailures& failures) {
  VarDict props;
  if (!get_all(bus_, failures, "Location properties", path, kLocation, props)) return false;
  const auto enabled =
      static_cast<std::uint32_t>(get_as<std::uint64_t>(props, "Enabled").value_or(0));
  if (enabled & kLocation3gppLacCi) return true;
  const int signals = get_as<bool>(props, "SignalsLocation").value_or(false) ? 1 : 0;
  return call(bus_, failures, "Location.Setup", path, kLocation, "Setup", "ub",
              enabled | kLocation3gppLacCi, signals) != nullptr;
}

}  // namespace lifeline::bridge
