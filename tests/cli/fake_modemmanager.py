#!/usr/bin/python3
"""A stand-in for ModemManager 1.20 on a private bus, for tests/cli/mm_bridge_test.sh.

It owns org.freedesktop.ModemManager1 and exports what lifeline-mm-bridge reads: the object
manager and one modem with the Modem (GetCellInfo), Modem3gpp, Signal and Location
interfaces, with the D-Bus types ModemManager uses. A test-only interface,
org.lifeline.Test on /org/freedesktop/ModemManager1, lets the test change the radio state
(SetScenario), unplug and re-plug the modem (RemoveModem, AddModem: a re-plugged modem gets
the next index, as in ModemManager), and see what the bridge asked for (Calls).

Usage: fake_modemmanager.py BUS_ADDRESS   (prints "ready" once the name is owned)
"""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MM = "org.freedesktop.ModemManager1"
MM_PATH = "/org/freedesktop/ModemManager1"
MODEM = MM + ".Modem"
MODEM_3GPP = MODEM + ".Modem3gpp"
SIGNAL = MODEM + ".Signal"
LOCATION = MODEM + ".Location"
TEST = "org.lifeline.Test"
IMEI = "490154203237518"

U = dbus.UInt32
D = dbus.Double


def vardict(d):
    return dbus.Dictionary(d, signature="sv")


def cell(cell_type, serving, **values):
    d = {"cell-type": U(cell_type), "serving": dbus.Boolean(serving)}
    for key, value in values.items():
        d[key.replace("_", "-")] = value
    return vardict(d)


# MMModemAccessTechnology: GSM 1<<1, EDGE 1<<4, LTE 1<<14, 5GNR 1<<15.
# MMModem3gppRegistrationState: HOME 1, ROAMING 5. MMCellType: GSM 2, LTE 5, 5GNR 6.
SCENARIOS = {
    # EN-DC: LTE anchor and NR secondary both serving; the NR one is the reading's cell.
    "nr_home": {
        "access": (1 << 14) | (1 << 15),
        "operator": "24001",
        "registration": 1,
        "signal": {
            "Nr5g": {"rsrp": D(-95.0), "rsrq": D(-10.0), "snr": D(12.0)},
            "Lte": {"rsrp": D(-101.0), "rsrq": D(-12.0), "rssi": D(-70.0), "snr": D(3.0)},
        },
        "cells": [
            cell(5, True, operator_id="24001", tac="1A2B", ci="1A2B301", physical_ci="10",
                 earfcn=U(1300), rsrp=D(-101.0)),
            cell(6, True, operator_id="24001", tac="1A2B", ci="1234567", physical_ci="7B",
                 nrarfcn=U(632628), rsrp=D(-95.0)),
        ] + [cell(6, False, physical_ci="%X" % (200 + i), nrarfcn=U(632628)) for i in range(5)],
        "location": None,
    },
    "gsm_roaming": {
        "access": (1 << 1) | (1 << 4),
        "operator": "26201",
        "registration": 5,
        "signal": {"Gsm": {"rssi": D(-71.0)}},
        "cells": [
            cell(2, True, operator_id="26201", lac="4E2", ci="7D1", arfcn=U(62)),
            cell(2, False, lac="4E2", ci="7D2", arfcn=U(64)),
            cell(2, False, lac="4E3", ci="7D3", arfcn=U(70)),
        ],
        "location": None,
    },
    # An older modem: GetCellInfo is unsupported; the 3GPP location source names the cell once
    # it is enabled.
    "lte_no_cells": {
        "access": 1 << 14,
        "operator": "24001",
        "registration": 1,
        "signal": {"Lte": {"rsrp": D(-88.5), "rsrq": D(-9.0), "snr": D(20.0)}},
        "cells": None,
        "location": "240,1,0,ABCDEF1,3039",
    },
}


class ModemLocation(dbus.service.Object):
    """Modem.Location. A class of its own because Signal has a Setup too, and dbus-python finds
    a method by its Python name, walking the classes until the interface matches."""

    @dbus.service.method(LOCATION, in_signature="ub", out_signature="")
    def Setup(self, sources, signal_location):
        self.fake.location_setups.append(int(sources))
        self.fake.location_enabled = int(sources)

    @dbus.service.method(LOCATION, in_signature="", out_signature="a{uv}")
    def GetLocation(self):
        loc = self.fake.scenario["location"]
        out = dbus.Dictionary({}, signature="uv")
        if loc and self.fake.location_enabled & 1:
            out[U(1)] = dbus.String(loc, variant_level=1)
        return out


class Modem(ModemLocation):
    def __init__(self, bus, path, fake):
        super().__init__(bus, path)
        self.path = path
        self.fake = fake

    def props(self, interface):
        s = self.fake.scenario
        if interface == MODEM:
            return vardict({
                "AccessTechnologies": U(s["access"]),
                "State": dbus.Int32(11),  # CONNECTED
                "EquipmentIdentifier": dbus.String(IMEI),
                "Manufacturer": dbus.String("lifeline test"),
                # Container-typed properties, as the real ones: the bridge must skip them.
                "Ports": dbus.Array([dbus.Struct(("cdc-wdm0", U(6)), signature="su")],
                                    signature="(su)"),
                "SignalQuality": dbus.Struct((U(80), dbus.Boolean(True)), signature="ub"),
                "Bearers": dbus.Array([], signature="o"),
            })
        if interface == MODEM_3GPP:
            return vardict({
                "Imei": dbus.String(IMEI),
                "RegistrationState": U(s["registration"]),
                "OperatorCode": dbus.String(s["operator"]),
                "OperatorName": dbus.String("Test"),
                "Pco": dbus.Array([], signature="(ubay)"),
            })
        if interface == SIGNAL:
            d = {"Rate": U(self.fake.signal_rate), "RssiThreshold": U(0)}
            for name in ("Cdma", "Evdo", "Gsm", "Umts", "Lte", "Nr5g"):
                d[name] = vardict(s["signal"].get(name, {}) if self.fake.signal_rate else {})
            return vardict(d)
        if interface == LOCATION:
            return vardict({
                "Capabilities": U(1 | 2 | 4),
                "Enabled": U(self.fake.location_enabled),
                "SignalsLocation": dbus.Boolean(False),
                "Location": dbus.Dictionary({}, signature="uv"),
            })
        raise dbus.exceptions.DBusException(
            "No such interface '%s'" % interface, name="org.freedesktop.DBus.Error.InvalidArgs")

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self.props(interface)

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        return self.props(interface)[name]

    @dbus.service.signal(dbus.PROPERTIES_IFACE, signature="sa{sv}as")
    def PropertiesChanged(self, interface, changed, invalidated):
        pass

    @dbus.service.method(MODEM, in_signature="", out_signature="aa{sv}")
    def GetCellInfo(self):
        self.fake.calls["GetCellInfo"] += 1
        cells = self.fake.scenario["cells"]
        if cells is None:
            raise dbus.exceptions.DBusException(
                "Cell info not supported", name="org.freedesktop.ModemManager1.Error.Core.Unsupported")
        return dbus.Array(cells, signature="a{sv}")

    @dbus.service.method(SIGNAL, in_signature="u", out_signature="")
    def Setup(self, rate):
        self.fake.signal_rates.append(int(rate))
        self.fake.signal_rate = int(rate)

    def all_interfaces(self):
        return dbus.Dictionary({i: self.props(i) for i in (MODEM, MODEM_3GPP, SIGNAL, LOCATION)},
                               signature="sa{sv}")


class Manager(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, MM_PATH)
        self.bus = bus
        self.scenario = SCENARIOS["nr_home"]
        self.signal_rate = 0
        self.signal_rates = []
        self.location_enabled = 0
        self.location_setups = []
        self.calls = {"GetCellInfo": 0}
        self.next_index = 0
        self.modem = None
        self.AddModem()

    @dbus.service.method("org.freedesktop.DBus.ObjectManager", in_signature="",
                         out_signature="a{oa{sa{sv}}}")
    def GetManagedObjects(self):
        out = dbus.Dictionary({}, signature="oa{sa{sv}}")
        if self.modem:
            out[dbus.ObjectPath(self.modem.path)] = self.modem.all_interfaces()
        return out

    @dbus.service.signal("org.freedesktop.DBus.ObjectManager", signature="oa{sa{sv}}")
    def InterfacesAdded(self, path, interfaces):
        pass

    @dbus.service.signal("org.freedesktop.DBus.ObjectManager", signature="oas")
    def InterfacesRemoved(self, path, interfaces):
        pass

    @dbus.service.method(TEST, in_signature="s", out_signature="")
    def SetScenario(self, name):
        self.scenario = SCENARIOS[str(name)]
        if self.modem:
            # What ModemManager signals when the radio state changes.
            self.modem.PropertiesChanged(MODEM, vardict({"AccessTechnologies": U(self.scenario["access"])}),
                                         dbus.Array([], signature="s"))
            self.modem.PropertiesChanged(MODEM_3GPP, vardict({
                "RegistrationState": U(self.scenario["registration"]),
                "OperatorCode": dbus.String(self.scenario["operator"])}), dbus.Array([], signature="s"))

    @dbus.service.method(TEST, in_signature="", out_signature="")
    def RemoveModem(self):
        if not self.modem:
            return
        path = self.modem.path
        self.modem.remove_from_connection()
        self.modem = None
        # A re-plugged modem starts with its extended signal and location sources off.
        self.signal_rate = 0
        self.location_enabled = 0
        self.InterfacesRemoved(dbus.ObjectPath(path),
                               dbus.Array([MODEM, MODEM_3GPP, SIGNAL, LOCATION], signature="s"))

    @dbus.service.method(TEST, in_signature="", out_signature="s")
    def AddModem(self):
        if self.modem:
            return self.modem.path
        path = "%s/Modem/%d" % (MM_PATH, self.next_index)
        self.next_index += 1
        self.modem = Modem(self.bus, path, self)
        self.InterfacesAdded(dbus.ObjectPath(path), self.modem.all_interfaces())
        return path

    @dbus.service.method(TEST, in_signature="", out_signature="a{sv}")
    def Calls(self):
        return vardict({
            "signal_rates": dbus.Array([U(r) for r in self.signal_rates], signature="u"),
            "location_setups": dbus.Array([U(s) for s in self.location_setups], signature="u"),
            "get_cell_info": U(self.calls["GetCellInfo"]),
        })


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(sys.argv[1])
    name = dbus.service.BusName(MM, bus, do_not_queue=True)
    manager = Manager(bus)
    print("ready", flush=True)
    loop = GLib.MainLoop()
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    del name, manager
    return 0


if __name__ == "__main__":
    sys.exit(main())
