// lifeline-mm-bridge's side of D-Bus (sd-bus): asks ModemManager for one modem's values, and
// notices when they change or when modems come and go. Calls are synchronous with a time-out:
// the bridge does nothing else meanwhile, and a reading is only as fresh as its slowest call.
#pragma once

#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bridge/mm_mapping.hpp"

namespace lifeline::bridge {

// The connection to the bus itself failed or was lost (not one call: see CallFailure).
class BusError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One call that failed: what was asked, and the D-Bus error.
struct CallFailure {
  std::string what;     // "Modem3gpp properties", "GetCellInfo", ...
  std::string name;     // "org.freedesktop.DBus.Error.AccessDenied", or "malformed reply"
  std::string message;  // the error's own words
};
using CallFailures = std::vector<CallFailure>;

class ModemManagerClient {
 public:
  // `bus`: "system", "session", or a D-Bus address ("unix:path=/tmp/test/bus"). Throws BusError.
  ModemManagerClient(const std::string& bus, std::chrono::milliseconds call_timeout);
  ~ModemManagerClient();
  ModemManagerClient(const ModemManagerClient&) = delete;
  ModemManagerClient& operator=(const ModemManagerClient&) = delete;

  // For poll(): the connection's descriptor, the events to wait for, and how long sd-bus itself
  // may wait (nullopt: no deadline of its own).
  int fd() const;
  short events() const;
  std::optional<std::chrono::milliseconds> timeout() const;
  // Handles everything that has arrived (the signals below). Throws BusError when the
  // connection is gone.
  void process();

  // What the signals said since the last take_changes().
  struct Changes {
    bool modem_state = false;  // the watched modem's RAT, state, registration or operator
    bool modems = false;       // modems were added or removed, or ModemManager (re)started
  };
  Changes take_changes();
  // Whose PropertiesChanged count as modem_state (none: nullopt).
  void watch(std::optional<std::string> modem_path) { watched_ = std::move(modem_path); }

  // ModemManager's modems: object path -> EquipmentIdentifier ("" when it has none).
  // nullopt when ModemManager could not be asked (not running, not allowed).
  std::optional<std::map<std::string, std::string>> list_modems(CallFailures& failures);

  struct ModemRead {
    ModemSnapshot snapshot;
    // The modem object is not there any more (or ModemManager is not): nothing was read.
    bool gone = false;
    std::optional<std::uint32_t> signal_rate;       // Modem.Signal's Rate: 0 when not set up
    std::optional<std::uint32_t> location_sources;  // Modem.Location's Enabled, when asked
  };
  // Every value the mapping uses; a call that fails leaves its part empty and adds a failure.
  ModemRead read(const std::string& path, CallFailures& failures);

  // Modem.Signal.Setup(rate): ModemManager refreshes the extended signal values every `rate`
  // seconds (0 would turn them off).
  bool setup_signal(const std::string& path, std::uint32_t rate_seconds, CallFailures& failures);
  // Adds the 3GPP location source to those enabled (keeping the others and the signalling
  // setting as they are: GPS users stay undisturbed).
  bool enable_location_3gpp(const std::string& path, CallFailures& failures);

 private:
  static int on_properties_changed(sd_bus_message* m, void* self, sd_bus_error* error);
  static int on_modems_changed(sd_bus_message* m, void* self, sd_bus_error* error);
  void add_match(const char* rule, int (*handler)(sd_bus_message*, void*, sd_bus_error*));

  sd_bus* bus_ = nullptr;
  std::vector<sd_bus_slot*> slots_;
  std::optional<std::string> watched_;
  Changes changes_;
};

// D-Bus errors that mean "no such modem (any more)", not "this call failed".
bool means_modem_gone(const std::string& error_name);

}  // namespace lifeline::bridge
