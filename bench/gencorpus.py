#!/usr/bin/env python3
"""gencorpus: build a benchmark capture from the project's real handshakes.

Each TCP connection in captures/*.pcap (made with real TLS stacks on
loopback) becomes a template: the ordered list of what each side sent, with
flags and payload. Each QUIC conversation (UDP port 443 of the quic-*
captures, ngtcp2's client and server) becomes one too: its datagrams as
sent, replayed with fresh addresses and ports (the Initial keys come from
the connection IDs inside, so every copy is opened again, as a new
connection would be). A corpus is many copies of the templates with fresh
addresses, ports and initial sequence numbers, payload re-cut to an MSS of
1448 (TCP timestamps option: 1500-byte IP packets, 1514-byte frames),
sequence and acknowledgment numbers recomputed, and the connections merged
in time like a busy link. Checksums are left zero: none of the tools timed
verifies them. A fixed seed makes the same file every time.

  gencorpus.py --kind handshake --connections 100000 -o out.pcap
  gencorpus.py --kind handshake --quic-share 0.2 --connections 100000 -o out.pcap
  gencorpus.py --kind bulk --connections 1000 --bulk-bytes 1500000 -o out.pcap
"""

import argparse
import contextlib
import glob
import heapq
import os
import random
import struct
import sys

MSS = 1448
RTT_NS = 20_000_000          # half of it between a packet and the answer
GAP_NS = 40_000              # between packets of one side's burst
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# Captures of what a capture point does to a connection (a segment moved
# after its ACK, a forged out-of-window RST: captures/capture-point.py) are
# not templates: sequence numbers recomputed here would make the forged RST
# valid, and the corpus would hold connections no stack makes.
NOT_TEMPLATES = {"ack-before-data.pcap", "rst-forged-out-of-window.pcap"}


def parse_templates(paths):
    """Each TCP connection of each file -> (name, events); an event is
    (from_client, flags, payload). Only connections seen from their SYN,
    with both sides, whose every segment starts where its side's bytes so
    far end (or a bare FIN sent again, which connection() renumbers as the
    first): connection() renumbers sequence and acknowledgment numbers as
    if each payload were new data delivered once, so a retransmission, a
    reordering or a hole in a template would turn into garbage bytes in
    the middle of every copy's stream (gaps and parse errors that no real
    connection had), and one side missing (a one-sided capture) is an
    artefact of where a capture was taken, not traffic on a busy link."""
    templates = []
    for path in paths:
        with open(path, "rb") as f:
            buf = f.read()
        if len(buf) < 24 or struct.unpack_from("<I", buf)[0] not in (0xA1B2C3D4, 0xA1B23C4D):
            continue
        if struct.unpack_from("<I", buf, 20)[0] != 1:
            continue
        conns = {}
        order = []
        off = 24
        while off + 16 <= len(buf):
            caplen = struct.unpack_from("<I", buf, off + 8)[0]
            pkt = buf[off + 16: off + 16 + caplen]
            off += 16 + caplen
            if len(pkt) < 14:
                continue
            et = struct.unpack_from("!H", pkt, 12)[0]
            if et == 0x0800:
                ihl = (pkt[14] & 15) * 4
                if pkt[23] != 6:
                    continue
                tot = struct.unpack_from("!H", pkt, 16)[0]
                src, dst = pkt[26:30], pkt[30:34]
                l4 = 14 + ihl
                end = 14 + tot
            elif et == 0x86DD:
                if pkt[20] != 6:
                    continue
                src, dst = pkt[22:38], pkt[38:54]
                l4 = 54
                end = l4 + struct.unpack_from("!H", pkt, 18)[0]
            else:
                continue
            sport, dport = struct.unpack_from("!HH", pkt, l4)
            doff = (pkt[l4 + 12] >> 4) * 4
            flags = pkt[l4 + 13]
            payload = bytes(pkt[l4 + doff:end])
            a, b = (src, sport), (dst, dport)
            key = (a, b) if (a, b) < (b, a) else (b, a)
            if key not in conns or (flags & SYN and not flags & ACK and
                                    has_close(conns[key][1])):
                # A new connection, or the address pair of one that ended
                # used again (a template capture of thousands).
                if not (flags & SYN) or (flags & ACK):
                    continue  # only connections seen from their SYN
                conns[key] = (a, [], {})
                # The connection itself: an address pair used again is
                # another one.
                order.append(conns[key])
            client, events, next_seq = conns[key]
            from_client = (src, sport) == client
            seq = struct.unpack_from("!I", pkt, l4 + 4)[0]
            used = len(payload) + (1 if flags & SYN else 0) + \
                (1 if flags & FIN else 0)
            fin_again = flags & FIN and not payload and \
                next_seq.get(from_client) == (seq + 1) & 0xFFFFFFFF
            if used and not fin_again:
                want = next_seq.get(from_client, seq)
                next_seq[from_client] = (seq + used) & 0xFFFFFFFF \
                    if seq == want else None
            events.append((from_client, flags, payload))
        base = os.path.basename(path)[:-5]
        for i, (_, events, next_seq) in enumerate(order):
            if len(next_seq) == 2 and None not in next_seq.values():
                templates.append((f"{base}#{i}", events))
    return templates


def parse_quic_templates(paths):
    """Each UDP port 443 conversation of each quic-* file -> (name, events);
    an event is (from_client, datagram payload). The client is the sender
    of the first datagram."""
    templates = []
    for path in paths:
        with open(path, "rb") as f:
            buf = f.read()
        if len(buf) < 24 or struct.unpack_from("<I", buf, 20)[0] != 1:
            continue
        conns, order = {}, []
        off = 24
        while off + 16 <= len(buf):
            caplen = struct.unpack_from("<I", buf, off + 8)[0]
            pkt = buf[off + 16: off + 16 + caplen]
            off += 16 + caplen
            if len(pkt) < 42 or struct.unpack_from("!H", pkt, 12)[0] != 0x0800 \
                    or pkt[23] != 17:
                continue
            ihl = (pkt[14] & 15) * 4
            src, dst = pkt[26:30], pkt[30:34]
            sport, dport, ulen = struct.unpack_from("!HHH", pkt, 14 + ihl)
            if 443 not in (sport, dport):
                continue
            payload = bytes(pkt[14 + ihl + 8: 14 + ihl + ulen])
            a, b = (src, sport), (dst, dport)
            key = (a, b) if (a, b) < (b, a) else (b, a)
            if key not in conns:
                conns[key] = (a, [])
                order.append(key)
            client, events = conns[key]
            events.append(((src, sport) == client, payload))
        base = os.path.basename(path)[:-5]
        for i, key in enumerate(order):
            templates.append((f"{base}#{i}", conns[key][1]))
    return templates


def quic_connection(events, idx, start_ns, rng):
    """Frames of one QUIC conversation instance, as (ts_ns, bytes)."""
    cip = struct.pack("!BBBB", 10, 128 | ((idx >> 16) & 127), (idx >> 8) & 255,
                      idx & 255)
    sip = struct.pack("!BBBB", 172, 17, rng.randrange(256), rng.randrange(1, 255))
    cport = 1024 + rng.randrange(64000)
    eth_c = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    eth_s = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    ts, last_dir, ipid = start_ns, None, rng.randrange(65536)
    for from_client, payload in events:
        if last_dir is not None:
            ts += GAP_NS if from_client == last_dir else RTT_NS // 2
        last_dir = from_client
        udp = struct.pack("!HHHH", cport if from_client else 443,
                          443 if from_client else cport, 8 + len(payload), 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload),
                         ipid & 0xFFFF, 0x4000, 64, 17, 0,
                         cip if from_client else sip, sip if from_client else cip)
        ipid += 1
        yield ts, (eth_c if from_client else eth_s) + ip + udp + payload


@contextlib.contextmanager
def pcap_output(path):
    """A nanosecond pcap of Ethernet frames at `path`; yields
    emit(ts_ns, frame), which appends one frame."""
    with open(path, "wb", buffering=1 << 22) as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        hdr = struct.Struct("<IIII")

        def emit(ts, frame):
            out.write(hdr.pack(ts // 1_000_000_000, ts % 1_000_000_000,
                               len(frame), len(frame)))
            out.write(frame)

        yield emit


def drain(heap, until, emit):
    """Write the interleaved connections' frames due up to `until` (heap of
    (ts, index, frame, generator of the connection's next frames)); returns
    how many were written."""
    n = 0
    while heap and heap[0][0] <= until:
        ts, i, frame, gen = heapq.heappop(heap)
        emit(ts, frame)
        n += 1
        nxt = next(gen, None)
        if nxt is not None:
            heapq.heappush(heap, (nxt[0], i, nxt[1], gen))
    return n


def quic_established_like(name):
    return not any(w in name for w in ("mismatch", "untrusted", "expired",
                                       "wrong-name", "required", "no-server",
                                       "silent", "blocked"))


def has_close(events):
    return any(f & (FIN | RST) for _, f, _ in events)


def established_like(name):
    return not any(w in name for w in ("fail", "reset", "silent", "not-tls", "cipher"))


def bulk_events(template, nbytes, rng):
    """The template up to its first FIN/RST, then nbytes of application data
    from the server (client ACKs every second segment), then the close."""
    head = []
    for ev in template:
        if ev[1] & (FIN | RST):
            break
        head.append(ev)
    rec = bytearray()
    chunk = rng.randbytes(16384 + 17)
    while len(rec) < nbytes:
        rec += b"\x17\x03\x03" + struct.pack("!H", len(chunk)) + chunk
    data = bytes(rec[:nbytes])
    out = list(head)
    i = 0
    nseg = 0
    while i < len(data):
        out.append((False, PSH | ACK, data[i:i + MSS * 8]))  # cut below
        i += MSS * 8
        nseg += 1
    out.append((True, FIN | ACK, b""))
    out.append((False, FIN | ACK, b""))
    out.append((True, ACK, b""))
    return out


def connection(events, idx, start_ns, rng, cip=None, sip=None, cport=None,
               rtt_ns=RTT_NS):
    """Frames of one connection instance, as (ts_ns, bytes). Addresses and
    the client port not given are made from idx and rng."""
    if cip is None:
        cip = struct.pack("!BBBB", 10, (idx >> 16) & 255, (idx >> 8) & 255, idx & 255)
    if sip is None:
        sip = struct.pack("!BBBB", 172, 16, rng.randrange(256), rng.randrange(1, 255))
    if cport is None:
        cport = 1024 + rng.randrange(64000)
    sport = 443
    seq = [rng.getrandbits(32), rng.getrandbits(32)]   # [client, server]
    eth_c = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    eth_s = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    ts = start_ns
    last_dir = None
    ipid = rng.randrange(65536)
    acks_pending = 0
    fin_sent = [False, False]  # a second FIN is a retransmission: same seq
    for from_client, flags, payload in events:
        pieces = [payload[i:i + MSS] for i in range(0, len(payload), MSS)] or [b""]
        for n, piece in enumerate(pieces):
            if last_dir is not None:
                ts += GAP_NS if from_client == last_dir else rtt_ns // 2
            last_dir = from_client
            f = flags if n == len(pieces) - 1 else (flags & ~(FIN | PSH))
            me, peer = (0, 1) if from_client else (1, 0)
            again = bool(f & FIN) and fin_sent[me] and not piece
            if again:
                seq[me] = (seq[me] - 1) & 0xFFFFFFFF
            fin_sent[me] = fin_sent[me] or bool(f & FIN)
            tcp = struct.pack("!HHIIBBHHH", cport if from_client else sport,
                              sport if from_client else cport,
                              seq[me], seq[peer] if f & ACK else 0,
                              (32 // 4) << 4, f, 65535, 0, 0) + \
                struct.pack("!BBBBII", 1, 1, 8, 10, (ts // 1_000_000) & 0xFFFFFFFF, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(piece),
                             ipid & 0xFFFF, 0x4000, 64, 6, 0,
                             cip if from_client else sip, sip if from_client else cip)
            ipid += 1
            seq[me] = (seq[me] + len(piece) + (1 if f & (SYN | FIN) else 0)) & 0xFFFFFFFF
            yield ts, (eth_c if from_client else eth_s) + ip + tcp + piece
            if not from_client and len(piece) == MSS and flags == PSH | ACK and len(payload) > MSS:
                acks_pending += 1
                if acks_pending == 2:   # the client's delayed ACK, within the burst
                    acks_pending = 0
                    ts += GAP_NS
                    tcp = struct.pack("!HHIIBBHHH", cport, sport, seq[0], seq[1],
                                      (32 // 4) << 4, ACK, 65535, 0, 0) + \
                        struct.pack("!BBBBII", 1, 1, 8, 10, (ts // 1_000_000) & 0xFFFFFFFF, 0)
                    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid & 0xFFFF,
                                     0x4000, 64, 6, 0, cip, sip)
                    ipid += 1
                    yield ts, eth_c + ip + tcp
                    last_dir = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=("handshake", "bulk"), required=True)
    ap.add_argument("--connections", type=int, required=True)
    ap.add_argument("--rate", type=float, default=None,
                    help="new connections per second of capture time")
    ap.add_argument("--bulk-bytes", type=int, default=1_500_000)
    ap.add_argument("--captures", default=os.path.join(os.path.dirname(__file__), "..", "captures"))
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--quic-share", type=float, default=0.0,
                    help="fraction of the connections that are QUIC (handshake kind)")
    ap.add_argument("--quic-tail", type=int, default=0,
                    help="1-RTT datagrams (1200 bytes, 7 from the server to 1 "
                         "from the client) appended to each QUIC conversation")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    paths = [p for p in sorted(glob.glob(os.path.join(args.captures, "*.pcap")))
             if os.path.basename(p) not in NOT_TEMPLATES]
    templates = [t for t in parse_templates(paths) if has_close(t[1])]
    if not templates:
        sys.exit("gencorpus: no templates found")
    if args.kind == "handshake":
        weights = [4 if established_like(n) else 1 for n, _ in templates]
        rate = args.rate or 20000.0
    else:
        templates = [t for t in templates if established_like(t[0])]
        weights = [1] * len(templates)
        rate = args.rate or 100.0
        bulk_rng = random.Random(args.seed + 1)
        templates = [(n, bulk_events(ev, args.bulk_bytes, bulk_rng)) for n, ev in templates]

    picks = rng.choices(range(len(templates)), weights=weights, k=args.connections)
    quic = []
    if args.kind == "handshake" and args.quic_share > 0:
        quic = parse_quic_templates(sorted(glob.glob(os.path.join(args.captures, "quic-*.pcap"))))
        if not quic:
            sys.exit("gencorpus: no QUIC templates found")
        qweights = [4 if quic_established_like(n) else 1 for n, _ in quic]
        if args.quic_tail:
            trng = random.Random(args.seed + 3)
            tail = [(i % 8 == 7, b"\x41" + trng.randbytes(1199))
                    for i in range(args.quic_tail)]
            quic = [(n, ev + tail) for n, ev in quic]
        qrng = random.Random(args.seed + 2)
        for i in range(len(picks)):
            if qrng.random() < args.quic_share:
                picks[i] = -1 - qrng.choices(range(len(quic)), weights=qweights)[0]
    heap = []
    t0 = 1_700_000_000 * 1_000_000_000
    start = t0
    packets = 0
    with pcap_output(args.output) as emit:
        for idx, tpl in enumerate(picks):
            start += int(rng.expovariate(rate) * 1e9)
            packets += drain(heap, start, emit)
            if tpl < 0:
                gen = quic_connection(quic[-1 - tpl][1], idx + 1, start, rng)
            else:
                gen = connection(templates[tpl][1], idx + 1, start, rng)
            ts, frame = next(gen)
            heapq.heappush(heap, (ts, idx, frame, gen))
        packets += drain(heap, float("inf"), emit)
    print(f"{args.output}: {args.connections} connections, {packets} packets, "
          f"{os.path.getsize(args.output)} bytes, {len(templates)} templates"
          + (f", {len(quic)} QUIC templates" if quic else ""))


if __name__ == "__main__":
    main()
