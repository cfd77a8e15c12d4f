#!/usr/bin/env python3
"""The lab's fake modem: publishes radio telemetry readings (docs/integrity.md) on a ZeroMQ
PUB socket, as lifeline-mm-bridge does for a real modem. What the modem "sees" is a JSON
object of overrides in the --state file, re-read before every reading, so a demo or a test
stages a rogue base station by writing that file:

    echo '{"rat": "gsm", "cell_id": 999}' > STATE     # the rogue cell
    echo '{}' > STATE                                  # the genuine one again
    echo '{"silent": true}' > STATE                    # publish nothing (a dead bridge)

Usage: fake-modem.py --feed ipc:///path.sock [--modem modem0] [--state FILE]
                     [--interval 1.0] [--ready FILE]
Exit codes: 0 on SIGTERM/SIGINT, 2 usage.
"""
import argparse
import datetime
import json
import signal
import sys
import time

import zmq

# The surveyed cell of config/examples/lab.yaml, on 5G standalone, ciphered.
GENUINE = {
    "rat": "nr", "plmn": "24001", "tac": 6699, "cell_id": 19088743, "pci": 123,
    "arfcn": 632628, "rsrp": -95.0, "rsrq": -10.0, "snr": 12.0, "neighbours": 5,
    "registration": "home", "reject_cause": None, "cipher": "nea2",
}


def overrides(path):
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        return json.loads(text) if text else {}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:  # a half-written file: use the last state
        print(f"fake-modem: state {path}: {e}", file=sys.stderr)
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--feed", required=True)
    p.add_argument("--modem", default="modem0")
    p.add_argument("--state")
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--ready")
    args = p.parse_args()
    if args.interval <= 0:
        p.error("--interval must be positive")

    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind(args.feed)
    if args.ready:
        open(args.ready, "w").close()
    state = {}
    while running:
        fresh = overrides(args.state)
        if fresh is not None:
            state = fresh
        if not state.get("silent"):
            reading = dict(GENUINE)
            reading.update({k: v for k, v in state.items() if k != "silent"})
            reading["modem"] = args.modem
            reading["time"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            pub.send_string(json.dumps(reading))
        deadline = time.monotonic() + args.interval
        while running and time.monotonic() < deadline:
            time.sleep(min(0.05, args.interval))
    pub.close()
    context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
