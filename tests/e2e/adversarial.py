#!/usr/bin/env python3
"""adversarial.py — hostile captures made on the fly, each run through tlsmon
with a memcap: no crash, no sanitizer report, peak RSS under the cap plus
the program (measured on an empty capture) plus a documented fixed overhead,
the memory tlsmon charged never above the cap, evictions counted, and the
handshakes that fit still reported. The interleaved cases open many flows
first and grow them later, a little each, under a 16 MiB cap.

    adversarial.py --tlsmon PATH [--scale N] [--memcap 64M]

--scale divides the flow counts of the big cases (1 M SYN flows, 100 k
half-open TLS flows) so CI can run them quickly; 1 is the full size."""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))


class Writer:
    """Classic pcap, Ethernet frames, IPv4/TCP built by hand (checksums are
    not checked by tlsmon, so they are left zero)."""

    def __init__(self, path, snaplen=65535, linktype=1):
        self.fp = open(path, "wb")
        self.fp.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        self.ts = 1_700_000_000_000_000

    def raw(self, frame, orig=None, incl=None):
        self.ts += 10
        sec, usec = divmod(self.ts, 1_000_000)
        n = len(frame)
        self.fp.write(struct.pack("<IIII", sec, usec, n if incl is None else incl,
                                  n if orig is None else orig))
        self.fp.write(frame)

    def ip(self, src, dst, proto, payload, ident=0, frag=0):
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag,
                          64, proto, 0, src, dst)
        eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
        self.raw(eth + hdr + payload)

    def tcp(self, src, sport, dst, dport, seq, ack, flags, data=b""):
        seg = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0) + data
        self.ip(src, dst, 6, seg)

    def udp(self, src, sport, dst, dport, data):
        self.ip(src, dst, 17, struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data)

    def close(self):
        self.fp.close()


class PcapngWriter(Writer):
    """The same frames in pcapng (section, one interface, enhanced packet
    blocks), whose 64-bit timestamps can say anything."""

    def __init__(self, path, linktype=1):
        self.fp = open(path, "wb")
        self.fp.write(struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28))
        self.fp.write(struct.pack("<IIHHII", 1, 20, linktype, 0, 65535, 20))
        self.ts = 1_700_000_000_000_000
        self.raw_ts = None  # a timestamp for the next frame, as written

    def raw(self, frame, orig=None, incl=None):
        self.ts += 10
        ts = self.ts if self.raw_ts is None else self.raw_ts
        self.raw_ts = None
        pad = (-len(frame)) % 4
        total = 32 + len(frame) + pad
        self.fp.write(struct.pack("<IIIIIII", 6, total, 0, ts >> 32, ts & 0xFFFFFFFF,
                                  len(frame), len(frame)))
        self.fp.write(frame + b"\0" * pad + struct.pack("<I", total))


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def addr(i):
    return struct.pack(">I", 0x0A000000 | (i & 0xFFFFFF))


def record(ctype, body, version=0x0303):
    return struct.pack(">BHH", ctype, version, len(body)) + body


def client_hello(n_ext=4, sni=b"adversary.test"):
    exts = b""
    name = struct.pack(">BH", 0, len(sni)) + sni
    exts += struct.pack(">HHH", 0, len(name) + 2, len(name)) + name
    for i in range(n_ext):
        exts += struct.pack(">HH", 0x3000 + (i % 20000), 0)
    body = struct.pack(">H", 0x0303) + b"\x11" * 32 + b"\x00"
    body += struct.pack(">H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    return b"\x01" + len(body).to_bytes(3, "big") + body


def handshake_records(msg, chunk=16384):
    return b"".join(record(22, msg[i:i + chunk]) for i in range(0, len(msg), chunk))


def conn(w, i, client_bytes_list, server_bytes_list=(), close=True, port=443):
    c, s = addr(i), addr(i + 0x800000)
    cp = 1024 + (i % 60000)
    w.tcp(c, cp, s, port, 1000, 0, SYN)
    w.tcp(s, port, c, cp, 5000, 1001, SYN | ACK)
    cseq, sseq = 1001, 5001
    for data in client_bytes_list:
        w.tcp(c, cp, s, port, cseq, sseq, PSH | ACK, data)
        cseq += len(data)
    for data in server_bytes_list:
        w.tcp(s, port, c, cp, sseq, cseq, PSH | ACK, data)
        sseq += len(data)
    if close:
        w.tcp(c, cp, s, port, cseq, sseq, FIN | ACK)
        w.tcp(s, port, c, cp, sseq, cseq + 1, FIN | ACK)


def segments(data, size=1400):
    return [data[i:i + size] for i in range(0, len(data), size)]


# The interleaved attacks: many flows opened first, then each grown a
# little at a time, so that no flow is new when memory grows. They run
# under a smaller cap (INTERLEAVED_MEMCAP) so that what they would hold
# without it is several times the cap.
INTERLEAVED_MEMCAP = "16M"


def open_flows(w, flows, first=0):
    """SYN, SYN-ACK and ACK for each flow; returns (client, server, port)."""
    ends = []
    for i in range(first, first + flows):
        c, s = addr(i), addr(i + 0x800000)
        cp = 1024 + (i % 60000)
        w.tcp(c, cp, s, 443, 1000, 0, SYN)
        w.tcp(s, 443, c, cp, 5000, 1001, SYN | ACK)
        w.tcp(c, cp, s, 443, 1001, 5001, ACK)
        ends.append((c, s, cp))
    return ends


def grow_round_robin(w, ends, stream, rounds, chunk=1400, server=False):
    """Round after round, each flow sends the next `chunk` bytes of
    `stream` (from the client, or the server)."""
    for r in range(rounds):
        piece = stream[r * chunk:(r + 1) * chunk]
        if not piece:
            break
        for c, s, cp in ends:
            if server:
                w.tcp(s, 443, c, cp, 5001 + len(SERVER_PREFIX) + r * chunk, 1001 + CH_LEN,
                      PSH | ACK, piece)
            else:
                w.tcp(c, cp, s, 443, 1001 + r * chunk, 5001, PSH | ACK, piece)


CH = None
CH_LEN = 0
SERVER_PREFIX = b""


def make_interleaved(new, scale):
    global CH, CH_LEN, SERVER_PREFIX
    CH = handshake_records(client_hello())
    CH_LEN = len(CH)

    # Partial ClientHellos: 3 000 flows each announce a 200 KB hello, then
    # all of them get 1 400 more bytes per round for 60 rounds (84 KB each,
    # 250 MB held without a cap).
    w = new("interleaved-partial-hellos")
    ends = open_flows(w, 3000 // scale)
    big = handshake_records(b"\x01" + (200_000).to_bytes(3, "big") + b"\x03\x03" +
                            b"\x00" * 199_998)
    grow_round_robin(w, ends, big, 60)
    w.close()

    # Certificates held open: the hello is answered, then a 250 KB
    # Certificate message grows on every server at once (126 KB each, 190 MB
    # without a cap).
    w = new("interleaved-partial-certificates")
    ends = open_flows(w, 1500 // scale, first=100_000)
    sh = b"\x02\x00\x00\x26" + struct.pack(">H", 0x0303) + b"\x22" * 32 + b"\x00\xc0\x2f\x00"
    SERVER_PREFIX = handshake_records(sh)
    cert = b"\x30\x83" + (250_000 - 5).to_bytes(3, "big") + b"\x00" * (250_000 - 5)
    certs = (len(cert)).to_bytes(3, "big") + cert
    msg = b"\x0b" + (len(certs) + 3).to_bytes(3, "big") + (len(certs)).to_bytes(3, "big") + certs
    for c, s, cp in ends:
        w.tcp(c, cp, s, 443, 1001, 5001, PSH | ACK, CH)
        w.tcp(s, 443, c, cp, 5001, 1001 + CH_LEN, PSH | ACK, SERVER_PREFIX)
    grow_round_robin(w, ends, handshake_records(msg), 90, server=True)
    w.close()

    # Tiny out-of-order segments: every other byte missing, one byte a
    # segment, ascending and descending, round robin over the flows (each
    # segment costs an allocation and a node, 48 bytes: 43 MB of them,
    # which counted as payload were 0.9 MB).
    for order in ("ascending", "descending"):
        w = new(f"interleaved-tiny-ooo-{order}")
        flows, per_flow = 300 // scale, 3000
        ends = open_flows(w, flows, first=200_000 if order == "ascending" else 300_000)
        for k in range(per_flow):
            kk = k if order == "ascending" else per_flow - 1 - k
            for c, s, cp in ends:
                w.tcp(c, cp, s, 443, 1001 + 1 + 2 * kk, 5001, PSH | ACK, b"\x16")
        w.close()

    # One flow, 100 000 one-byte segments with every other byte missing
    # (a sorted list made this O(n^2): 14 s).
    w = new("one-flow-tiny-ooo")
    c, s = addr(500_000), addr(500_000 + 0x800000)
    w.tcp(c, 7000, s, 443, 1000, 0, SYN)
    w.tcp(s, 443, c, 7000, 5000, 1001, SYN | ACK)
    for k in range(100_000 // scale):
        w.tcp(c, 7000, s, 443, 1001 + 1 + 2 * k, 5001, PSH | ACK, b"\x16")
    w.close()

    # A SYN flood first (20 000 flows, 12 MB of entries), then the last
    # 1 500 grow: memory grows only after every flow exists.
    w = new("interleaved-syn-then-grow")
    ends = open_flows(w, 20_000 // scale, first=400_000)
    grow_round_robin(w, ends[-1500 // scale:], big, 30)
    w.close()


def make_cases(tmp, scale):
    cases = {}

    def new(name):
        path = os.path.join(tmp, name + ".pcap")
        cases[name] = path
        return Writer(path)

    make_interleaved(new, scale)

    w = new("syn-flood")
    for i in range(1_000_000 // scale):
        c = addr(i)
        w.tcp(c, 1024 + (i % 60000), addr(0x800000), 443, i, 0, SYN)
    w.close()

    w = new("half-open-tls")
    ch = handshake_records(client_hello())
    for i in range(100_000 // scale):
        c, s = addr(i), addr(0x800000)
        cp = 1024 + (i % 60000)
        w.tcp(c, cp, s, 443, 1000, 0, SYN)
        w.tcp(c, cp, s, 443, 1001, 1, PSH | ACK, ch)
    w.close()

    w = new("announces-16mb")
    msg = b"\x01\xff\xff\xff" + b"\x00" * 16000
    conn(w, 1, segments(record(22, msg)) + segments(handshake_records(b"\x00" * 200_000)))
    w.close()

    # 4 bytes each, 16 000 empty extensions fill the 64 KiB an extensions
    # block can hold (the "30 000" cannot fit a real ClientHello).
    w = new("64k-hello-16000-extensions")
    conn(w, 2, segments(handshake_records(client_hello(n_ext=16000))))
    w.close()

    w = new("one-byte-records")
    conn(w, 3, segments(handshake_records(client_hello()) +
                        b"".join(record(22, b"\x00") for _ in range(60000))))
    w.close()

    w = new("zero-length-records")
    conn(w, 4, segments(handshake_records(client_hello()) +
                        b"".join(record(23, b"") for _ in range(60000))))
    w.close()

    # Past the per-direction dissection cap (1 MiB) before any decision,
    # then both FINs: the record is decided by the FIN that really ended
    # it, not at the end of the capture.
    w = new("past-stream-cap")
    filler = b"".join(record(22, b"\x0e\x00\x00\x00" * 4000) for _ in range(80))
    conn(w, 12, segments(handshake_records(client_hello()) + filler))
    w.close()

    # A server name of attacker bytes: invalid UTF-8, U+2028, ESC, a
    # backslash. Every name field, nDPI's reading too, is escaped.
    w = new("hostile-sni")
    conn(w, 13, [handshake_records(client_hello(sni=b"evil\xff\xe2\x80\xa8\x1b[2J\\x.test"))])
    w.close()

    w = new("10000-alerts")
    sh = b"\x02\x00\x00\x26" + struct.pack(">H", 0x0303) + b"\x22" * 32 + b"\x00\xc0\x2f\x00"
    conn(w, 5, segments(handshake_records(client_hello())),
         segments(handshake_records(sh) + b"".join(record(21, b"\x01\x70") for _ in range(10000))))
    w.close()

    w = new("overlapping-disagree")
    c, s = addr(6), addr(0x800006)
    w.tcp(c, 4000, s, 443, 1000, 0, SYN)
    w.tcp(s, 443, c, 4000, 5000, 1001, SYN | ACK)
    ch = handshake_records(client_hello())
    w.tcp(c, 4000, s, 443, 1001, 5001, PSH | ACK, ch[:100])
    w.tcp(c, 4000, s, 443, 1051, 5001, PSH | ACK, b"\xee" * 200)   # disagrees
    w.tcp(c, 4000, s, 443, 1101, 5001, PSH | ACK, ch[100:])
    w.close()

    w = new("messages-out-of-order")
    fin = b"\x14\x00\x00\x0c" + b"\x00" * 12
    done = b"\x0e\x00\x00\x00"
    conn(w, 7, segments(handshake_records(fin + client_hello())),
         segments(handshake_records(done + sh)))
    w.close()

    w = new("fragments-never-complete")
    for i in range(50_000 // scale):
        w.ip(addr(i), addr(0x800000), 6, b"\x00" * 1400, ident=i & 0xFFFF, frag=0x2000)
    w.close()

    w = new("fragments-overlap")
    for i in range(2000):
        w.ip(addr(9), addr(0x800009), 6, bytes([i & 0xFF]) * 64, ident=7,
             frag=0x2000 | (i % 5))
    w.close()

    # A timestamp with the top bit set (2^64 - 2^32 microseconds), on a
    # packet of flow 11, which waits for an answer. Read as it is, it is
    # flow 11's event.end (a date 584 000 years away) and the clock stays
    # there: flow 13, silent after its hello, would never time out. 200 s
    # later flow 14 is a whole connection.
    path = os.path.join(tmp, "timestamp-top-bit.pcapng")
    cases["timestamp-top-bit"] = path
    w = PcapngWriter(path)
    hello = handshake_records(client_hello())
    conn(w, 11, [hello], close=False)
    w.raw_ts = 0xFFFFFFFF00000000
    w.tcp(addr(11), 1024 + 11, addr(11 + 0x800000), 443, 1001 + len(hello), 5001, ACK)
    w.ts += 1_000_000
    conn(w, 13, [hello], close=False)
    w.ts += 200_000_000
    sh_only = b"\x02\x00\x00\x26" + struct.pack(">H", 0x0303) + b"\x22" * 32 + b"\x00\xc0\x2f\x00"
    conn(w, 14, [hello], [handshake_records(sh_only)])
    w.close()

    # QUIC Initials from as many clients, each with its own connection ID
    # (keys derived for every one) and a payload no key opens.
    w = new("quic-initial-flood")
    for i in range(100_000 // scale):
        dcid = struct.pack(">Q", i * 2654435761 & 0xFFFFFFFFFFFFFFFF)
        hdr = b"\xc3\x00\x00\x00\x01\x08" + dcid + b"\x00\x00\x44\x9e"
        w.udp(addr(i), 1024 + (i % 60000), addr(0x800000), 443,
              hdr + bytes([i & 0xFF]) * (1200 - len(hdr)))
    w.close()

    # DTLS fragments that announce the largest messages a flight may hold:
    # each flow's first datagrams make tlsmon hold 8 messages of 256 KiB.
    w = new("dtls-fragments-held")
    for i in range(400 // min(scale, 4)):
        c, sp = addr(0x10000 + i), 20000 + i
        for seq in range(8):
            frag = struct.pack(">B", 1 if seq == 0 else 11) + (256 * 1024 - 1).to_bytes(3, "big") + \
                struct.pack(">H", seq) + (0).to_bytes(3, "big") + (64).to_bytes(3, "big") + \
                bytes(64)
            rec = struct.pack(">BHHHIH", 22, 0xfefd, 0, 0, seq, len(frag)) + frag
            w.udp(c, sp, addr(0x800001), 4433, rec)
    w.close()

    w = new("lying-record-lengths")
    conn(w, 10, segments(handshake_records(client_hello())))
    w.raw(b"\x00" * 60, orig=60, incl=0x7FFFFFF0)  # a length no file can hold
    w.close()
    return cases


# What a run holds beyond --memcap besides the program itself (the
# baseline, measured on an empty capture: code, libraries, nDPI's automata
# and the trust store): code pages the traffic touches (~2 MiB), the
# server history (10 000 servers x 1 KiB), the certificate and OCSP caches
# (256 entries, ~1.3 MiB), the alert flood table (0.5 MiB) and heap pages
# freed since the allocator last gave them back (pipeline.c trims after
# every 4 MiB evictions free). Measured at most 23 MiB above baseline +
# --memcap + the record order's cap from 16 MiB to 200 MiB caps; README's
# Security section has the figures. IP fragments have their own 16 MiB cap on top, and so do the
# rendered records held for capture-time order (an eighth of --memcap, 16
# MiB at most: analyzer/output/order.h).
FIXED_OVERHEAD_KB = 24 * 1024
FRAGMENT_CAP_KB = 16 * 1024


def order_cap_kb(memcap):
    return min(parse_size(memcap) // 8, 16 << 20) // 1024


def run_measured(tlsmon, path, memcap):
    proc = subprocess.run(["/usr/bin/time", "-f", "RSS_KB=%M", tlsmon, "--format", "ndjson",
                           "--summary", "--memcap", memcap, path],
                          capture_output=True, timeout=900)
    err = proc.stderr.decode("utf-8", "replace")
    rss = None
    for line in err.splitlines():
        if line.startswith("RSS_KB="):
            rss = int(line.split("=", 1)[1])
    return proc, err, rss


def check_quic_budget(tlsmon, path, memcap, lines, run_stats, want, scale):
    """The flood is `want` Initials to one server in 1/scale s of packet
    time: past the default budget (1 000 a second, 1 000 at once) the rest
    are tracked and reported unread, and with the budget off every one is
    read."""
    skipped = run_stats.get("quic_initials_skipped", -1)
    read_at_most = 1000 + 1000 // scale + 1
    check(f"quic-initial-flood: past the budget, Initials not decrypted "
          f"({skipped} of {want})",
          want - read_at_most <= skipped < want, run_stats)
    marked = sum(1 for l in lines if '"initial_skipped":true' in l)
    check("quic-initial-flood: each of them says so in its record",
          marked == skipped, f"{marked} records, {skipped} counted")
    proc = subprocess.run([tlsmon, "--format", "ndjson", "--summary",
                           "--memcap", memcap, "--quic-decrypt-rate", "0",
                           path], capture_output=True, timeout=900)
    out = proc.stdout.decode("utf-8", "replace").splitlines()
    try:
        summary = json.loads(out[-1])["tlsmon"]["summary"]
    except (IndexError, KeyError, ValueError):
        summary = {}
    check("quic-initial-flood, --quic-decrypt-rate 0: every Initial tried, "
          "every flow reported",
          summary.get("run", {}).get("quic_initials_skipped") == 0 and
          summary.get("handshakes") == want and
          not any('"initial_skipped"' in l for l in out),
          summary.get("run"))


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1].upper(), 1)
    return int(s[:-1] if s[-1].isalpha() else s) * mult


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--memcap", default="64M")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tlsmon-adv-")
    cases = make_cases(tmp, a.scale)

    # Under AddressSanitizer RSS measures the sanitizer's shadow memory and
    # quarantine, not tlsmon: the bound is checked on plain builds only.
    with open(a.tlsmon, "rb") as fp:
        sanitized = b"__asan_init" in fp.read()
    if sanitized:
        print("sanitizer build: peak RSS not checked")
    empty = os.path.join(tmp, "empty.pcap")
    Writer(empty).close()
    _, _, base_kb = run_measured(a.tlsmon, empty, a.memcap)
    print(f"baseline RSS {base_kb} KiB; limit: baseline + --memcap + "
          f"{FIXED_OVERHEAD_KB >> 10} MiB + the record order's cap")

    for name, path in cases.items():
        memcap = INTERLEAVED_MEMCAP if name.startswith("interleaved") else a.memcap
        limit_kb = (base_kb + parse_size(memcap) // 1024 + FIXED_OVERHEAD_KB +
                    order_cap_kb(memcap))
        if name.startswith("fragments"):
            limit_kb += FRAGMENT_CAP_KB
        proc, err, rss = run_measured(a.tlsmon, path, memcap)
        sane = proc.returncode in (0, 2) and "Sanitizer" not in err and "runtime error" not in err
        check(f"{name}: exits cleanly", sane, f"rc={proc.returncode} {err[-800:]}")
        if not sanitized:
            check(f"{name}: peak RSS {rss} KiB under {limit_kb} KiB "
                  f"(--memcap {memcap})",
                  rss is not None and rss <= limit_kb, err[-300:])
        lines = proc.stdout.decode("utf-8", "replace").splitlines()
        summary = {}
        try:
            summary = json.loads(lines[-1])["tlsmon"]["summary"]
        except (IndexError, KeyError, ValueError):
            pass
        check(f"{name}: summary written", bool(summary), lines[-1:] if lines else "no output")
        run_stats = summary.get("run", {})
        # What tlsmon charged never passes the cap: the RSS above the cap is
        # the fixed overhead, not traffic.
        peak = run_stats.get("memory_bytes_max", -1)
        check(f"{name}: memory charged at most --memcap ({peak} bytes)",
              0 <= peak <= parse_size(memcap), run_stats)
        if name.startswith("interleaved") and a.scale == 1:
            check(f"{name}: the cap was enforced (flows evicted or growth refused)",
                  run_stats.get("flows_evicted", 0) + run_stats.get("memcap_refused", 0) > 0,
                  run_stats)
        print(f"     rss {rss} KiB, charged peak {peak >> 10} KiB, evicted "
              f"{run_stats.get('flows_evicted')}, refused {run_stats.get('memcap_refused')}")
        if name == "syn-flood" and a.scale == 1:
            check("syn-flood: evictions counted", run_stats.get("flows_evicted", 0) > 0, run_stats)
        if name == "half-open-tls":
            hs = summary.get("handshakes", 0)
            want = 100_000 // a.scale
            check("half-open-tls: every ClientHello reported (incomplete or evicted)",
                  hs == want, f"{hs} of {want}")
        if name == "quic-initial-flood":
            hs = summary.get("handshakes", 0)
            want = 100_000 // a.scale
            check("quic-initial-flood: every Initial's flow reported (incomplete "
                  "or evicted)", hs == want, f"{hs} of {want}")
            check_quic_budget(a.tlsmon, path, memcap, lines, run_stats, want,
                              a.scale)
        if name == "dtls-fragments-held":
            check("dtls-fragments-held: evictions counted",
                  run_stats.get("flows_evicted", 0) > 0, run_stats)
        if name == "lying-record-lengths":
            check("lying-record-lengths: exit 2 and the packet number",
                  proc.returncode == 2 and "packet" in err, err[-300:])
            check("lying-record-lengths: the handshake before the break is kept",
                  summary.get("handshakes", 0) == 1, summary.get("handshakes"))
        if name == "hostile-sni":
            import re
            recs = [json.loads(l) for l in lines if '"tlsmon.handshake"' in l]
            names = [recs[0]["tls"]["client"]["server_name"],
                     recs[0]["tlsmon"].get("ndpi", {}).get("server_name", "")] if recs else []
            escaped = re.compile(r"^(?:[\x21-\x5b\x5d-\x7e]|\\x[0-9a-f]{2})*$")
            check("hostile-sni: every name field escaped (nDPI's too)",
                  len(names) == 2 and all(escaped.match(n) for n in names)
                  and all(b < 0x80 for b in proc.stdout), names)
        if name == "past-stream-cap":
            recs = [json.loads(l) for l in lines if '"tlsmon.handshake"' in l]
            t = recs[0]["tlsmon"] if len(recs) == 1 else {}
            check("past-stream-cap: one record, ended by the FIN, marked capped",
                  len(recs) == 1 and t.get("ended_by") == "fin"
                  and t.get("stream_capped") is True, recs[:1])
            check("past-stream-cap: cap hit counted", run_stats.get("stream_cap_hits") == 1,
                  run_stats)
        if name == "timestamp-top-bit":
            recs = [json.loads(l) for l in lines if '"tlsmon.handshake"' in l]
            ends = sorted(r["event"]["end"] for r in recs)
            check("timestamp-top-bit: counted", run_stats.get("timestamps_invalid") == 1,
                  run_stats)
            check("timestamp-top-bit: every event.end is a real date",
                  len(recs) == 3 and all("2023-" <= e[:5] <= "2024-" for e in ends), ends)
            ended = {r["destination"]["ip"]: r["tlsmon"]["ended_by"] for r in recs}
            check("timestamp-top-bit: idle timeouts still work (both waiting flows "
                  "time out, the later one ends by its FIN)",
                  sorted(ended.values()) == ["fin", "silence", "silence"], ended)
        if name == "10000-alerts":
            check("10000-alerts: one record", summary.get("handshakes") == 1, summary.get("handshakes"))

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
