#!/usr/bin/env bash
# lifeline-channel as bases use it, with real CURVE clients (python3-zmq) on 127.0.0.1: an
# allowed base's 3-frame report reaches an allowed subscriber intact; an unknown key and a
# plain (NULL) client get nothing in and nothing out; an oversized message is dropped; two
# chained channels deliver each report once on both sides (no echo); SIGHUP reloads the allow
# list; SIGTERM is a clean exit 0; bind, key and config errors exit 1, 2 and 2.
# Usage: channel_test.sh PATH/TO/lifeline-channel REPO_ROOT
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $# -eq 2 && -x $1 ]] || fail "usage: $0 PATH/TO/lifeline-channel REPO_ROOT"
channel=$(realpath "$1")
root=$2
py=/usr/bin/python3
"$py" -c 'import zmq; assert zmq.has("curve")' 2>/dev/null ||
  fail "python3-zmq with CURVE is missing (Debian package python3-zmq; scripts/setup.sh)"

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Key files as `lifelinectl keygen` writes them (public-key/secret-key lines, mode 0600), and
# the public keys alone for the configs. chan-a and chan-b are the channels' own keys; chan-b's
# is also B's client key towards A.
"$py" - "$work" <<'PY'
import os, sys, zmq
for name in ("chan-a", "chan-b", "base-1", "base-2", "stranger"):
    public, secret = zmq.curve_keypair()
    fd = os.open(os.path.join(sys.argv[1], name + ".curve"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"# test key\npublic-key: " + public + b"\nsecret-key: " + secret + b"\n")
    os.close(fd)
    open(os.path.join(sys.argv[1], name + ".pub"), "wb").write(public)
PY
pub() { cat "$work/$1.pub"; }

# Four free ports on 127.0.0.1 (held together while chosen, so they differ).
read -r a_xsub a_xpub b_xsub b_xpub < <("$py" -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

cat >"$work/a.yaml" <<YAML
xsub: tcp://127.0.0.1:$a_xsub
xpub: tcp://127.0.0.1:$a_xpub
curve_key_file: $work/chan-a.curve
max_message_size: 64KiB
allowed_clients:
  - { name: base-1, public_key: "$(pub base-1)" }
  - { name: channel-b, public_key: "$(pub chan-b)" }
YAML
cat >"$work/b.yaml" <<YAML
xsub: tcp://127.0.0.1:$b_xsub
xpub: tcp://127.0.0.1:$b_xpub
curve_key_file: $work/chan-b.curve
allowed_clients:
  - { name: base-2, public_key: "$(pub base-2)" }
upstream:
  xsub: tcp://127.0.0.1:$a_xsub
  xpub: tcp://127.0.0.1:$a_xpub
  server_key: "$(pub chan-a)"
YAML

# Polls FILE for a fixed string until DEADLINE seconds have passed.
wait_for_line() {  # file, text, seconds, what
  local end=$((SECONDS + $3))
  until grep -qF -- "$2" "$1"; do
    ((SECONDS < end)) || fail "$4: no '$2' within $3 s in $1: $(cat "$1")"
    sleep 0.1
  done
}

# Starts a channel in the background; returns once it is listening (or fails if it exits).
start_channel() {  # name, config
  "$channel" --config "$2" 2>"$work/$1.log" &
  local pid=$!
  pids+=("$pid")
  eval "pid_$1=$pid"
  local end=$((SECONDS + 10))
  until grep -qF "listening:" "$work/$1.log"; do
    kill -0 "$pid" 2>/dev/null || fail "channel $1 exited: $(cat "$work/$1.log")"
    ((SECONDS < end)) || fail "channel $1 not listening within 10 s: $(cat "$work/$1.log")"
    sleep 0.1
  done
}

start_channel a "$work/a.yaml"
grep -qF "2 allowed clients" "$work/a.log" || fail "start line: $(cat "$work/a.log")"
grep -qF "public key $(pub chan-a)" "$work/a.log" || fail "start line: $(cat "$work/a.log")"
echo "ok   - channel A listening, its start line names endpoints, clients and key"
start_channel b "$work/b.yaml"
wait_for_line "$work/b.log" "upstream.xsub tcp://127.0.0.1:$a_xsub: connected" 10 "B to A"
wait_for_line "$work/b.log" "upstream.xpub tcp://127.0.0.1:$a_xpub: connected" 10 "B to A"
echo "ok   - channel B connected to its upstream A with CURVE"

# The clients, in one program: each assertion waits on a deadline, never on a bare sleep.
cat >"$work/clients.py" <<'PY'
import json, os, signal, sys, time
import zmq

work, a_xsub, a_xpub, b_xsub, b_xpub, pid_a = sys.argv[1:7]
ctx = zmq.Context()
ctx.linger = 0
def key(name): return open(os.path.join(work, name + ".pub"), "rb").read()
def secret(name):
    for line in open(os.path.join(work, name + ".curve"), "rb"):
        if line.startswith(b"secret-key: "): return line.split()[1]
A, B = key("chan-a"), key("chan-b")

def client(kind, port, name=None, server=None):
    s = ctx.socket(kind)
    if name:
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server, key(name), secret(name)
    s.connect("tcp://127.0.0.1:%s" % port)
    if kind == zmq.SUB:
        s.subscribe(b"incident")
        s.subscribe(b"marker")
    return s

def ok(text): print("ok   - " + text, flush=True)

def wait_log(name, text, seconds=10):
    end = time.monotonic() + seconds
    path = os.path.join(work, name + ".log")
    while text not in open(path).read():
        assert time.monotonic() < end, "no %r in %s: %s" % (text, path, open(path).read())
        time.sleep(0.05)

marker_count = 0
def marker():
    global marker_count
    marker_count += 1
    return [b"marker", b"%d" % marker_count]

def collect(sub, until, seconds=10):
    """Everything `sub` receives up to and including the message `until`."""
    got, end = [], time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        assert left > 0, "%r not received within %s s (got %r)" % (until[:2], seconds, got[-3:])
        if sub.poll(int(left * 1000)):
            m = sub.recv_multipart()
            got.append(m)
            if m == until: return got

def settle(pub, subs, seconds=10):
    """PUB/SUB connections come up in the background: publish markers until every subscriber
    has one, then make sure the last one went through to each."""
    pending, end = set(subs), time.monotonic() + seconds
    while pending:
        assert time.monotonic() < end, "no marker got through within %s s" % seconds
        pub.send_multipart(marker())
        for s in list(pending):
            if s.poll(100):
                pending.discard(s)
    last = marker()
    pub.send_multipart(last)
    for s in subs: collect(s, last)

def report(text):
    body = json.dumps({"kind": "scan", "source": "198.18.7.7", "text": text}).encode()
    return [b"incident", body, bytes(range(64))]  # a 64-byte "signature", zero bytes included

def incidents(messages): return [m for m in messages if m[0] == b"incident"]

# ---- (a) an allowed base's report reaches an allowed subscriber intact -------------------------
pub1, sub1 = client(zmq.PUB, a_xsub, "base-1", A), client(zmq.SUB, a_xpub, "base-1", A)
pub2, sub2 = client(zmq.PUB, b_xsub, "base-2", B), client(zmq.SUB, b_xpub, "base-2", B)
settle(pub1, [sub1, sub2])
settle(pub2, [sub1, sub2])
r = report("a")
pub1.send_multipart(r)
got = collect(sub1, r)
assert incidents(got) == [r], got
assert len(r) == 3 and len(r[2]) == 64
ok("(a) an allowed base's 3-frame report reaches an allowed subscriber intact")

def shut_out(pub, sub, who, log_lines):
    """`pub` and `sub` are refused (the log says so, and the test waits for it): what `pub`
    publishes reaches nobody, and `sub` gets nothing of what base-1 publishes meanwhile."""
    for line in log_lines: wait_log("a", line)
    pub.send_multipart(report("from " + who))
    r = report("while %s knocks" % who)
    pub1.send_multipart(r)
    got = collect(sub1, r)
    assert incidents(got) == [r], got
    assert sub.poll(200) == 0, "%s received %r" % (who, sub.recv_multipart())
    pub.close()
    sub.close()

# ---- (b) an unknown key gets nothing and publishes to nobody ------------------------------------
stranger = key("stranger").decode()
shut_out(client(zmq.PUB, a_xsub, "stranger", A), client(zmq.SUB, a_xpub, "stranger", A),
         "the stranger", ["xsub: refused CURVE client " + stranger,
                          "xpub: refused CURVE client " + stranger])
ok("(b) an unknown CURVE key is refused and logged with its key; it receives and delivers nothing")

# ---- (c) a plain (NULL) client gets nothing and publishes to nobody -----------------------------
# Usually "it does not use CURVE"; when the client notices the mismatch first and hangs up,
# the channel sees a broken pipe instead.
shut_out(client(zmq.PUB, a_xsub), client(zmq.SUB, a_xpub), "a plain client",
         ["xsub: refused a client on tcp://127.0.0.1:%s: " % a_xsub,
          "xpub: refused a client on tcp://127.0.0.1:%s: " % a_xpub])
ok("(c) a plain client is refused and logged; it receives and delivers nothing")

# ---- (d) oversized messages are not forwarded -------------------------------------------------
big = [b"incident", b"x" * 40000, b"y" * 40000]  # each frame under 64 KiB, the message over
pub1.send_multipart(big)
r = report("d")
pub1.send_multipart(r)
got = collect(sub1, r)
assert incidents(got) == [r], [len(b"".join(m)) for m in got]
wait_log("a", "xsub: dropped a message of 3 frames and 80008 bytes")
# One frame over the cap: libzmq drops the connection before reading it (ZMQ_MAXMSGSIZE); the
# base's PUB reconnects by itself.
pub1.send_multipart([b"incident", b"z" * 100000, bytes(64)])
r = report("d2")
got = []
end = time.monotonic() + 15
while not any(m == r for m in got):
    assert time.monotonic() < end, "the base did not get back in after an oversized frame"
    pub1.send_multipart(r)
    if sub1.poll(200):
        while sub1.poll(0): got.append(sub1.recv_multipart())
assert all(len(b"".join(m)) < 65536 for m in got), [len(b"".join(m)) for m in got]
ok("(d) a message over max_message_size is dropped (and logged); a frame over it costs the "
   "connection, which comes back")

# ---- (e) chained channels: each report once on each side, no echo ------------------------------
settle(pub1, [sub1, sub2])
settle(pub2, [sub1, sub2])
def once_on_both_sides(pub, message, other_pub):
    """`message` from `pub` reaches sub1 and sub2 once each. A marker then published on the
    other side travels back behind any echo of it (one FIFO path per channel pair), so once the
    marker is in, an echo that got through would be in too."""
    pub.send_multipart(message)
    got1, got2 = collect(sub1, message), collect(sub2, message)
    sync = marker()
    other_pub.send_multipart(sync)
    got1 += collect(sub1, sync)
    got2 += collect(sub2, sync)
    assert got1.count(message) == 1 and got2.count(message) == 1, \
        (message[1], got1.count(message), got2.count(message))
once_on_both_sides(pub2, report("from B's base to A's"), pub1)
once_on_both_sides(pub1, report("from A's base to B's"), pub2)
ok("(e) chained: a report published at B reaches A's subscriber, and one published at A "
   "reaches B's, each exactly once on both sides")

# ---- (g) SIGHUP reloads the allow list --------------------------------------------------------
config = os.path.join(work, "a.yaml")
good = open(config).read()
open(config, "w").write(good + "  - { name: newcomer, public_key: not-a-key }\n")
os.kill(int(pid_a), signal.SIGHUP)
wait_log("a", "reload refused (1 errors in %s); the allow list of 2 clients stays" % config)
wait_log("a", "%s:8:35: allowed_clients[2].public_key: is not a CURVE public key" % config)
open(config, "w").write(good + '  - { name: newcomer, public_key: "%s" }\n' % key("stranger").decode())
os.kill(int(pid_a), signal.SIGHUP)
wait_log("a", "reloaded allowed_clients: 3 clients")
spub, ssub = client(zmq.PUB, a_xsub, "stranger", A), client(zmq.SUB, a_xpub, "stranger", A)
settle(pub1, [ssub], seconds=30)
r = report("g")
spub_ok = False
end = time.monotonic() + 30
while not spub_ok:
    assert time.monotonic() < end, "the newcomer's reports do not get through"
    spub.send_multipart(r)
    if sub1.poll(200):
        while sub1.poll(0):
            spub_ok = sub1.recv_multipart() == r or spub_ok
ok("(g) SIGHUP: a bad file is refused (naming line:column) and the list stays; a key added "
   "to allowed_clients gets in without a restart")
PY
"$py" "$work/clients.py" "$work" "$a_xsub" "$a_xpub" "$b_xsub" "$b_xpub" "$pid_a" ||
  fail "clients (channel logs: A: $(cat "$work/a.log") B: $(cat "$work/b.log"))"

# A second channel on A's endpoints: bind fails, exit 1.
rc=0
"$channel" --config "$work/a.yaml" 2>"$work/second.log" || rc=$?
[[ $rc == 1 ]] || fail "second channel on the same endpoints: exit $rc, want 1: $(cat "$work/second.log")"
grep -qF "xsub tcp://127.0.0.1:$a_xsub: cannot bind" "$work/second.log" ||
  fail "bind error: $(cat "$work/second.log")"
echo "ok   - an endpoint in use: exit 1, naming it"

# SIGTERM: exit 0, with the counters; B dropped A's echoes of its own reports.
for name in b a; do
  eval "pid=\$pid_$name"
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [[ $rc == 0 ]] || fail "channel $name: exit $rc after SIGTERM: $(cat "$work/$name.log")"
  grep -qF "stopping (SIGTERM): " "$work/$name.log" || fail "no stop line: $(cat "$work/$name.log")"
done
pids=()
grep -Eq "dropped [1-9][0-9]* duplicates" "$work/b.log" || fail "B dropped no echo: $(tail -1 "$work/b.log")"
grep -Eq "and [1-9][0-9]* oversized; refused [1-9][0-9]* unknown keys and [1-9][0-9]* handshakes" \
  "$work/a.log" || fail "A's counters: $(tail -1 "$work/a.log")"
echo "ok   - SIGTERM: exit 0 with the counters (B dropped echoes; A counted what it refused)"

# A key file others can read: exit 2, naming the file.
cp "$work/chan-a.curve" "$work/open.curve"
chmod 644 "$work/open.curve"
sed "s|$work/chan-a.curve|$work/open.curve|" "$work/a.yaml" >"$work/open.yaml"
rc=0
"$channel" --config "$work/open.yaml" 2>"$work/open.log" || rc=$?
[[ $rc == 2 ]] || fail "world-readable key: exit $rc, want 2: $(cat "$work/open.log")"
grep -qF "curve_key_file $work/open.curve: mode 0644" "$work/open.log" || fail "$(cat "$work/open.log")"
echo "ok   - a key file others can read: exit 2, naming it"

# --check-config: the example is valid; a bad file exits 2 with FILE:LINE:COLUMN.
rc=0
"$channel" --check-config "$root/config/examples/channel.yaml" >"$work/out" 2>&1 || rc=$?
[[ $rc == 0 ]] || fail "--check-config example: exit $rc: $(cat "$work/out")"
grep -qF "channel.yaml: ok" "$work/out" || fail "--check-config example: $(cat "$work/out")"
cat >"$work/bad.yaml" <<'YAML'
xsub: tcp://127.0.0.1:7444
xpub: tcp://localhost:7443
alowed_clients: []
YAML
rc=0
"$channel" --check-config "$work/bad.yaml" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] || fail "--check-config bad.yaml: exit $rc, want 2: $(cat "$work/err")"
grep -qF "$work/bad.yaml:2:7: xpub: 'tcp://localhost:7443': the channel binds here, so the host must be an IP address" "$work/err" ||
  fail "--check-config bad.yaml: $(cat "$work/err")"
grep -qF "$work/bad.yaml:3:1: unknown key 'alowed_clients'; did you mean 'allowed_clients'?" "$work/err" ||
  fail "--check-config bad.yaml: $(cat "$work/err")"
[[ ! -s $work/out ]] || fail "--check-config bad.yaml printed to stdout: $(cat "$work/out")"
echo "ok   - --check-config: the example is valid; a bad file exits 2 naming line:column"

rc=0
"$channel" --help >"$work/out" 2>&1 || rc=$?
[[ $rc == 0 ]] || fail "--help: exit $rc"
grep -qF "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error" "$work/out" ||
  fail "--help: $(cat "$work/out")"
rc=0
"$channel" --no-such-option >"$work/out" 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "unknown option: exit $rc, want 2"
echo "ok   - --help exits 0 and lists the exit codes; a usage error exits 2"
echo "channel_test: all checks passed"
