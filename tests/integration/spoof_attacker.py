"""An attacker on the 5G carrier's path (run inside the carrier's namespace): records the
reflector's genuine UDP echo replies to the gateway, then, while the real path is black-holed,
keeps sending the gateway three kinds of fake replies at 1 kHz: the recorded ones replayed
as they were (valid MAC, old sequence numbers), forged ones (a newer sequence number under the
old MAC), and ones under an unknown key id. None of them may keep the link alive.
Usage: spoof_attacker.py record IFACE SRC DST SECONDS OUT | replay IN SECONDS"""
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800


def record(iface, src, dst, seconds, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    s.bind((iface, ETH_P_IP))
    s.settimeout(0.2)
    want_src, want_dst = socket.inet_aton(src), socket.inet_aton(dst)
    packets = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(packets) < 2000:
        try:
            p = s.recv(2048)
        except socket.timeout:
            continue
        if len(p) < 28 or p[9] != 17 or p[12:16] != want_src or p[16:20] != want_dst:
            continue
        ihl = (p[0] & 0x0F) * 4
        sport = struct.unpack("!H", p[ihl:ihl + 2])[0]
        if sport == 7070 and len(p) - ihl - 8 == 80:
            packets.append(p)
    with open(out, "wb") as f:
        for p in packets:
            f.write(struct.pack("!H", len(p)) + p)
    print(f"recorded {len(packets)} replies")


def rewrite(p, offset, value):
    """A copy of IPv4 packet p with UDP payload bytes at offset replaced; UDP checksum 0."""
    ihl = (p[0] & 0x0F) * 4
    b = bytearray(p)
    start = ihl + 8 + offset
    b[start:start + len(value)] = value
    b[ihl + 6:ihl + 8] = b"\x00\x00"  # no UDP checksum (allowed for IPv4)
    return bytes(b)


def replay(path, seconds):
    packets = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack("!H", data[i:i + 2])
        packets.append(data[i + 2:i + 2 + n])
        i += 2 + n
    if not packets:
        print("nothing recorded", file=sys.stderr)
        sys.exit(1)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    end = time.monotonic() + seconds
    newest_seq = max(struct.unpack("!Q", p[(p[0] & 0x0F) * 4 + 8 + 16:][:8])[0] for p in packets)
    k = 0
    while time.monotonic() < end:
        p = packets[k % len(packets)]
        dst = socket.inet_ntoa(p[16:20])
        kind = k % 3
        if kind == 0:
            fake = p  # a genuine reply, replayed
        elif kind == 1:  # a reply to a probe sent after the recording, under an old MAC
            fake = rewrite(p, 16, struct.pack("!Q", newest_seq + 1 + k))
        else:  # a key id the gateway does not have
            fake = rewrite(p, 4, struct.pack("!H", 0xBEEF))
        s.sendto(fake, (dst, 0))
        sent += 1
        k += 1
        time.sleep(0.001)
    print(f"sent {sent} fake replies")


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
    else:
        replay(sys.argv[2], float(sys.argv[3]))
