#!/usr/bin/env python3
"""impairments.py: tlsmon must tell the same story about a handshake however
the packets reach it.

For every captures/*.pcap this derives variants (re-segmented, reordered,
duplicated, midstream, other link layers, pcapng, other pcap flavours,
snaplen-truncated), runs tlsmon on the original and on each variant, and
checks that the handshake facts agree, connection by connection.

    python3 tests/e2e/impairments.py --tlsmon build/tlsmon --captures captures

Prints one line per check (details indented under it) and ends with
"N passed, M failed"; exits non-zero when anything failed.

Degradations that are accepted are listed in ALLOWED below and printed as
"ALLOW" lines whenever they are used; anything else that differs fails.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib as P  # noqa: E402
import tlsmon_run  # noqa: E402

# The facts compared between a variant and its original.
FACTS = (
    "tls.version",
    "tls.cipher",
    "tls.client.server_name",
    "tls.next_protocol",
    "tlsmon.outcome",
    "tlsmon.failure_stage",
    "tlsmon.alerts",
    "tlsmon.hrr",
    "tls.resumed",
    "tls.established",
)
ALERT_KEYS = ("sender", "level", "description", "code", "encrypted")
# Fields by which a record says its facts may be partial.
DEGRADED_MARKERS = ("tlsmon.truncated", "tlsmon.gaps", "tlsmon.gap_bytes",
                    "tlsmon.resynced", "tlsmon.parse_error")

# Legitimate degradations, per variant kind. Printed when used.
ALLOWED = {
    "seg": "none",
    "reorder/dup": "none",
    "midstream": "a connection that carried no payload leaves nothing to "
                 "see midstream (its record may be missing); the outcome and "
                 "all other facts stay the same",
    "encap": "none",
    "format": "none",
    "snaplen": "any fact may be absent; a present fact must equal the "
               "original's; the outcome may be 'incomplete' (with "
               "tls.established false and any failure_stage) only when the "
               "record carries a degradation marker (" +
               ", ".join(DEGRADED_MARKERS) + "); alerts may be a subset "
               "of the original's (any alerts when the cut took both "
               "hellos); a failure_stage may be earlier than the "
               "original's (the furthest stage the cut bytes showed) only "
               "when marked; never an extra connection",
}

# dissectors/handshake.h enum hs_stage, in handshake order, as
# tlsmon.failure_stage names them.
STAGE_ORDER = [
    "after_client_hello", "after_hello_retry_request",
    "after_client_hello_2", "after_server_hello", "after_server_certificate",
    "after_server_key_exchange", "after_certificate_request",
    "after_server_hello_done", "after_server_encrypted_flight",
    "after_client_certificate", "after_client_key_exchange",
    "after_client_finished", "after_server_finished",
    "after_application_data",
]


def stage_before(a, b):
    """Is failure stage a strictly earlier than b (both known names)?"""
    return (a in STAGE_ORDER and b in STAGE_ORDER
            and STAGE_ORDER.index(a) < STAGE_ORDER.index(b))

SEG_LIMIT = 64 * 1024  # bytes per direction re-segmented; the rest kept
TLSMON_TIMEOUT = 60


# ---------------------------------------------------------------------------
# Variants

def payload_len(p):
    return len(p.tcp.payload) if p.tcp is not None else 0


def segment(packets, size):
    """Cut every TCP payload into `size`-byte segments. Each piece keeps the
    ACK of the packet that carried its bytes; FIN and PSH go on the last
    piece only. SYN-with-data is left alone."""
    out = []
    first_seq = {}
    for p in packets:
        n = payload_len(p)
        if n == 0:
            out.append(p)
            continue
        t = p.tcp
        d = p.dir_key()
        base = first_seq.setdefault(d, t.seq)
        if t.flags & P.TCP_SYN or (t.seq - base) % (1 << 32) >= SEG_LIMIT:
            out.append(p)
            continue
        for off in range(0, n, size):
            last = off + size >= n
            flags = t.flags if last else t.flags & ~(P.TCP_FIN | P.TCP_PSH)
            out.append(p.with_tcp(seq=(t.seq + off) & 0xFFFFFFFF,
                                  flags=flags,
                                  payload=t.payload[off:off + size]))
    return out


def _swappable(p):
    return payload_len(p) > 0 and not p.tcp.flags & (
        P.TCP_SYN | P.TCP_FIN | P.TCP_RST)


def reorder(packets):
    """Within each connection, swap each pair of data segments that are
    next to each other in the connection's data (no data from the other side
    between them) and go the same way. The pure ACKs of that connection that
    lay between the two move after both: a receiver cannot acknowledge a
    segment before it has arrived, so an ACK of the first segment seen before
    it would not be reordering but loss from the capture. Slots keep their
    timestamps."""
    out = list(packets)
    by_flow = {}
    for i, p in enumerate(packets):
        if p.tcp is not None:
            by_flow.setdefault(p.flow_key(), []).append(i)
    swaps = 0
    for idx in by_flow.values():
        data = [n for n, i in enumerate(idx) if payload_len(packets[i]) > 0]
        k = 0
        while k + 1 < len(data):
            a, b = packets[idx[data[k]]], packets[idx[data[k + 1]]]
            if (a.dir_key() == b.dir_key() and _swappable(a)
                    and _swappable(b)):
                slots = idx[data[k]:data[k + 1] + 1]
                moved = [b, a] + [packets[i] for i in slots[1:-1]]
                for slot, p in zip(slots, moved):
                    out[slot] = P.replace(p, ts_ns=packets[slot].ts_ns)
                swaps += 1
                k += 2
            else:
                k += 1
    return out, swaps


def duplicate(packets):
    out = []
    for p in packets:
        out.append(p)
        if payload_len(p) > 0:
            out.append(p)
    return out


def midstream(packets):
    """Drop, per connection, everything before its first payload packet."""
    started = set()
    out = []
    for p in packets:
        if p.tcp is None:
            out.append(p)
            continue
        k = p.flow_key()
        if k not in started:
            if payload_len(p) == 0:
                continue
            started.add(k)
        out.append(p)
    return out


def streams(packets):
    """Per direction, the payload bytes in sequence order (first copy of a
    byte wins; holes are left out), for checking that a variant carries
    the same bytes as its original."""
    segs = {}
    for p in packets:
        if payload_len(p) > 0:
            segs.setdefault(p.dir_key(), []).append((p.tcp.seq, p.tcp.payload))
    out = {}
    for d, lst in segs.items():
        base = lst[0][0]
        rel = []
        for seq, data in lst:
            off = (seq - base) & 0xFFFFFFFF
            if off >= 1 << 31:
                off -= 1 << 32
            rel.append((off, data))
        lo = min(o for o, _ in rel)
        hi = max(o + len(b) for o, b in rel)
        buf = bytearray(hi - lo)
        have = bytearray(hi - lo)
        for off, data in rel:
            a = off - lo
            if not any(have[a:a + len(data)]):
                buf[a:a + len(data)] = data
                have[a:a + len(data)] = b"\x01" * len(data)
                continue
            for i, byte in enumerate(data):
                if not have[a + i]:
                    buf[a + i] = byte
                    have[a + i] = 1
        out[d] = bytes(b for b, h in zip(buf, have) if h) \
            if 0 in have else bytes(buf)
    return out


def connections_with_payload(packets):
    """Port pairs, both orders, of connections that carried payload."""
    out = set()
    for p in packets:
        if payload_len(p) > 0:
            out.add((p.tcp.dport, p.tcp.sport))
            out.add((p.tcp.sport, p.tcp.dport))
    return out


def client_hello_ports(packets):
    """Destination ports of packets that start with a ClientHello."""
    ports = set()
    for p in packets:
        pl = p.tcp.payload if p.tcp is not None else b""
        if len(pl) >= 6 and pl[0] == 0x16 and pl[1] == 3 and pl[5] == 1:
            ports.add(p.tcp.dport)
        elif len(pl) >= 3 and pl[0] & 0x80 and pl[2] == 1:  # SSLv2 hello
            ports.add(p.tcp.dport)
    return ports


def has_client_hello(packets):
    return bool(client_hello_ports(packets))


class Variant:
    def __init__(self, name, kind, path, **extra):
        self.name = name
        self.kind = kind  # key of ALLOWED, or "vlan"/"qinq" (encap)
        self.path = path
        self.extra = extra


# Variants that re-wrap the same packets for another link layer or file
# format: what they reach (one link decoder, one file reader) depends little
# on the capture inside, so with --spread N each goes to every N-th capture
# only, a different N-th for each variant.
WRAPPERS = ("vlan", "qinq", "sll", "sll2", "raw", "null", "loop", "ppp",
            "nano-be", "pcapng")


def make_variants(cap, packets, src_path, outdir, index=0, spread=1):
    """Write the variants of one capture (the `index`-th); return
    (variants, problems) where problems are generator self-check
    failures."""
    lt = cap.linktype
    variants = []
    problems = []
    orig_streams = streams(packets)

    def write_same_l2(name, kind, pkts, **extra):
        path = os.path.join(outdir, name + ".pcap")
        P.write_pcap(path, lt, P.same_l2_frames(pkts, lt),
                     snaplen=max(cap.snaplen, 65535))
        variants.append(Variant(name, kind, path, **extra))

    def check_streams(name, pkts, want=None):
        got = streams(pkts)
        want = orig_streams if want is None else want
        if got != want:
            problems.append(f"generator: {name} does not carry the "
                            "original byte streams")

    for size in (1, 7):
        s = segment(packets, size)
        check_streams(f"seg{size}", s)
        write_same_l2(f"seg{size}", "seg", s)

    r, swaps = reorder(packets)
    check_streams("reorder", r)
    write_same_l2("reorder", "reorder/dup", r, swaps=swaps)
    d = duplicate(packets)
    check_streams("dup", d)
    write_same_l2("dup", "reorder/dup", d)
    rd = duplicate(r)
    write_same_l2("reorder-dup", "reorder/dup", rd, swaps=swaps)
    s7r, swaps7 = reorder(segment(packets, 7))
    check_streams("seg7-reorder", s7r)
    write_same_l2("seg7-reorder", "reorder/dup", s7r, swaps=swaps7)

    m = midstream(packets)
    write_same_l2("midstream", "midstream", m,
                  with_payload=connections_with_payload(packets))

    encaps = (
        ("vlan", P.LINKTYPE_EN10MB, [(P.ETH_P_8021Q, 100)], "vlan"),
        ("qinq", P.LINKTYPE_EN10MB,
         [(P.ETH_P_8021AD, 200), (P.ETH_P_8021Q, 100)], "qinq"),
        ("sll", P.LINKTYPE_LINUX_SLL, [], "encap"),
        ("sll2", P.LINKTYPE_LINUX_SLL2, [], "encap"),
        ("raw", P.LINKTYPE_RAW, [], "encap"),
        ("null", P.LINKTYPE_NULL, [], "encap"),
        ("loop", P.LINKTYPE_LOOP, [], "encap"),
        ("ppp", P.LINKTYPE_PPP, [], "encap"),
    )

    def wanted(name):
        return (index + WRAPPERS.index(name)) % spread == 0

    for name, linktype, vlans, kind in encaps:
        if not wanted(name):
            continue
        path = os.path.join(outdir, name + ".pcap")
        frames = P.encode_packets(packets, linktype, vlans)
        P.write_pcap(path, linktype, frames, snaplen=max(cap.snaplen, 65535))
        variants.append(Variant(name, kind, path))

    if wanted("nano-be"):
        path = os.path.join(outdir, "nano-be.pcap")
        P.write_pcap(path, lt, cap.frames, snaplen=cap.snaplen, nano=True,
                     big_endian=True)
        variants.append(Variant("nano-be", "format", path))

    if wanted("pcapng"):
        path = os.path.join(outdir, "pcapng.pcapng")
        r = subprocess.run(["editcap", "-F", "pcapng", src_path, path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"generator: editcap failed: {r.stderr.strip()}")
        else:
            variants.append(Variant("pcapng", "format", path))

    path = os.path.join(outdir, "snap96.pcap")
    P.write_pcap(path, lt, cap.frames, snaplen=96)
    variants.append(Variant("snap96", "snaplen", path))
    return variants, problems


# ---------------------------------------------------------------------------
# Running tlsmon and reading its records

def run_tlsmon(tlsmon, path):
    """-> (records, error). Records are flattened handshake objects."""
    try:
        records, rc, err = tlsmon_run.run_tlsmon(tlsmon, path, timeout=TLSMON_TIMEOUT)
    except tlsmon_run.RunError as e:
        return [], str(e)
    except OSError as e:
        return [], f"cannot run tlsmon: {e}"
    if rc != 0:
        return [], f"tlsmon exited {rc}: {' | '.join(err.strip().splitlines()[-3:])}"
    return records, None


def conn_key(rec):
    return (rec.get("destination.port"), rec.get("source.port"))


def by_connection(records):
    out = {}
    for rec in records:
        out.setdefault(conn_key(rec), []).append(rec)
    for recs in out.values():
        recs.sort(key=lambda r: r.get("tlsmon.round") or 0)
    return out


def facts(rec):
    f = {}
    for name in FACTS:
        if name not in rec:
            continue
        v = rec[name]
        if v is None or v == []:
            continue  # the same as absent
        if name == "tlsmon.alerts" and isinstance(v, list):
            v = [{k: a.get(k) for k in ALERT_KEYS if k in a}
                 if isinstance(a, dict) else a for a in v]
        f[name] = v
    return f


def degraded(rec):
    for m in DEGRADED_MARKERS:
        v = rec.get(m)
        if v not in (None, False, 0, "", []):
            return m
    return None


def fmt_key(k):
    return f"{k[0]}<-{k[1]}"


# ---------------------------------------------------------------------------
# Comparing

def compare_exact(orig, var, variant, notes, problems):
    """Same connections, same number of records, same facts. The
    midstream kind may miss connections that carried no payload."""
    o, v = by_connection(orig), by_connection(var)
    for k in sorted(set(o) | set(v), key=str):
        if k not in v:
            if (variant.kind == "midstream"
                    and k not in variant.extra["with_payload"]):
                notes.append(f"ALLOW {fmt_key(k)}: no payload, "
                             "no record midstream")
                continue
            problems.append(f"{fmt_key(k)}: record missing "
                            f"(original: {brief(o[k][0])})")
            continue
        if k not in o:
            problems.append(f"{fmt_key(k)}: extra record "
                            f"({brief(v[k][0])}); roles swapped?")
            continue
        if len(o[k]) != len(v[k]):
            problems.append(f"{fmt_key(k)}: {len(v[k])} records, "
                            f"original has {len(o[k])}")
        for i, (ro, rv) in enumerate(zip(o[k], v[k])):
            fo, fv = facts(ro), facts(rv)
            for name in FACTS:
                if fo.get(name, ABSENT) != fv.get(name, ABSENT):
                    problems.append(
                        f"{fmt_key(k)}#{i} {name}: original "
                        f"{show(fo.get(name, ABSENT))}, variant "
                        f"{show(fv.get(name, ABSENT))}")
    if variant.kind in ("vlan", "qinq"):
        want_outer = "100" if variant.kind == "vlan" else "200"  # keywords
        for rec in var:
            got = rec.get("network.vlan.id", ABSENT)
            inner = rec.get("network.inner.vlan.id", ABSENT)
            if got != want_outer:
                problems.append(f"{fmt_key(conn_key(rec))}: network.vlan.id "
                                f"{show(got)}, want {want_outer} (outer)")
            if variant.kind == "qinq" and inner not in (ABSENT, "100"):
                problems.append(f"{fmt_key(conn_key(rec))}: "
                                f"network.inner.vlan.id {show(inner)}, "
                                "want 100")
        if var and variant.kind == "qinq":
            rec = var[0]
            notes.append(f"reports network.vlan.id="
                         f"{show(rec.get('network.vlan.id', ABSENT))} "
                         f"network.inner.vlan.id="
                         f"{show(rec.get('network.inner.vlan.id', ABSENT))}")


OUTCOME_GROUP = ("tlsmon.outcome", "tlsmon.failure_stage", "tls.established")


def compare_snaplen(orig, var, variant, notes, problems):
    """Nothing invented: every fact present must be the original's, or a
    marked degradation (see ALLOWED["snaplen"])."""
    o, v = by_connection(orig), by_connection(var)
    for k in sorted(v, key=str):
        if k not in o:
            problems.append(f"{fmt_key(k)}: invented connection "
                            f"({brief(v[k][0])})")
            continue
        if len(v[k]) > len(o[k]):
            problems.append(f"{fmt_key(k)}: {len(v[k])} records, original "
                            f"has {len(o[k])}")
        for i, (ro, rv) in enumerate(zip(o[k], v[k])):
            fo, fv = facts(ro), facts(rv)
            marker = degraded(rv)
            where = f"{fmt_key(k)}#{i}"
            outcome_ok = fo.get("tlsmon.outcome") == fv.get(
                "tlsmon.outcome", fo.get("tlsmon.outcome"))
            outcome_degraded = (not outcome_ok and marker
                                and fv.get("tlsmon.outcome") == "incomplete")
            if outcome_degraded:
                notes.append(f"ALLOW {where}: outcome incomplete "
                             f"(original {show(fo.get('tlsmon.outcome'))}),"
                             f" marked by {marker}")
            for name in FACTS:
                if name not in fv:
                    continue
                got, want = fv[name], fo.get(name, ABSENT)
                if got == want:
                    continue
                if (outcome_degraded and name in OUTCOME_GROUP
                        and (name != "tls.established" or got is False)):
                    continue
                if (name == "tlsmon.failure_stage" and marker
                        and stage_before(got, want)):
                    notes.append(f"ALLOW {where}: failure_stage {got} "
                                 f"(original {want}), marked by {marker}")
                    continue
                if (name == "tlsmon.alerts" and marker
                        and isinstance(got, list) and isinstance(want, list)
                        and is_submultiset(got, want)):
                    notes.append(f"ALLOW {where}: {len(got)} of "
                                 f"{len(want)} alerts, marked by {marker}")
                    continue
                # The cut took both hellos: nothing placed the alerts read
                # after it in a handshake, nor ended the reading where the
                # original's decision did (an echo's not_tls).
                if (name == "tlsmon.alerts" and marker
                        and "tlsmon.client_hello.length" not in rv
                        and "tls.version" not in rv):
                    notes.append(f"ALLOW {where}: alerts without a hello, "
                                 f"marked by {marker}")
                    continue
                problems.append(f"{where} {name}: original {show(want)}, "
                                f"truncated run says {show(got)}"
                                + ("" if marker else " (no degradation "
                                   "marker)"))
    missing = len(set(o) - set(v))
    if missing:
        notes.append(f"ALLOW {missing} of {len(o)} connections without a "
                     "record")


def is_submultiset(small, big):
    rest = [json.dumps(x, sort_keys=True) for x in big]
    for x in small:
        s = json.dumps(x, sort_keys=True)
        if s not in rest:
            return False
        rest.remove(s)
    return True


class _Absent:
    def __repr__(self):
        return "absent"


ABSENT = _Absent()


def show(v):
    if v is ABSENT:
        return "absent"
    return json.dumps(v)


def brief(rec):
    return (f"{rec.get('tls.version', '-')} "
            f"{rec.get('tlsmon.outcome', '-')} "
            f"sni={rec.get('tls.client.server_name', '-')}")


# ---------------------------------------------------------------------------
# Optional: the same variants through tshark (checks the generator itself)

def tshark_view(path, ports):
    """Per direction (src port, dst port): the handshake message types and
    the record content types, in order, and the SNI. `ports` are decoded as
    TLS: tshark's heuristic needs more than one byte to find TLS."""
    decode_as = []
    for port in sorted(ports):
        decode_as += ["-d", f"tcp.port=={port},tls"]
    r = subprocess.run(
        ["tshark", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE"] +
        decode_as + [
            "-Y", "tls", "-T", "fields", "-E", "separator=|",
            "-e", "tcp.srcport", "-e", "tcp.dstport",
            "-e", "tls.record.content_type", "-e", "tls.handshake.type",
            "-e", "tls.handshake.extensions_server_name"],
        capture_output=True, text=True)
    view = {}
    for line in r.stdout.splitlines():
        sp, dp, ct, ht, sni = (line.split("|") + [""] * 5)[:5]
        if not (ct or ht or sni):
            continue  # a forced decode of bytes that are not TLS
        v = view.setdefault((sp, dp), [[], [], set()])
        v[0] += ct.split(",") if ct else []
        v[1] += ht.split(",") if ht else []
        if sni:
            v[2].add(sni)
    return view


# ---------------------------------------------------------------------------

def load(path, tmpdir):
    """Copy a capture into tmpdir (so the original run, the variants and
    tshark all see the same bytes even if the file is being remade) and
    read it; pcapng is turned into pcap first. -> (cap, packets, copy)"""
    copy = os.path.join(tmpdir, "original" + (
        ".pcapng" if P.is_pcapng(path) else ".pcap"))
    shutil.copyfile(path, copy)
    src = copy
    if P.is_pcapng(copy):
        src = os.path.join(tmpdir, "as-pcap.pcap")
        subprocess.run(["editcap", "-F", "pcap", copy, src], check=True,
                       capture_output=True)
    cap = P.read_pcap(src)
    return cap, P.decode_capture(cap), copy


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tlsmon", help="path to the tlsmon binary")
    ap.add_argument("--captures", required=True,
                    help="directory with the *.pcap captures")
    ap.add_argument("--only", action="append", default=[],
                    help="capture name (without .pcap) to test; repeatable")
    ap.add_argument("--keep", metavar="DIR",
                    help="write the variants to DIR and keep them")
    ap.add_argument("--tshark", action="store_true",
                    help="also compare variants with tshark's view of the "
                         "original (checks the generator; slow)")
    ap.add_argument("--spread", type=int, default=1, metavar="N",
                    help="each link-layer and file-format variant on every "
                         "N-th capture only (rotating; default 1: all). "
                         "The sanitizer builds' run, where each tlsmon run "
                         "costs four times as much, uses 4")
    ap.add_argument("-j", "--jobs", type=int,
                    default=max(2, (os.cpu_count() or 2) * 2))
    args = ap.parse_args()
    if not args.tlsmon and not args.tshark:
        ap.error("--tlsmon is required (or --tshark to check only variants)")
    if args.tlsmon and not os.access(args.tlsmon, os.X_OK):
        print(f"FAIL setup: {args.tlsmon} is not an executable")
        print("0 passed, 1 failed")
        return 1

    paths = sorted(glob.glob(os.path.join(args.captures, "*.pcap")))
    if args.only:
        paths = [p for p in paths
                 if os.path.basename(p)[:-5] in args.only]
    passed = failed = 0
    if not paths:
        print(f"FAIL setup: no *.pcap in {args.captures}")
        print("0 passed, 1 failed")
        return 1

    print("allowed degradations:")
    for kind, text in ALLOWED.items():
        print(f"  {kind}: {text}")

    root = args.keep or tempfile.mkdtemp(prefix="tlsmon-impair-")
    os.makedirs(root, exist_ok=True)
    pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
    jobs = []  # (capture name, path, packets, variants, problems, futures)
    try:
        for index, path in enumerate(paths):
            name = os.path.basename(path)[:-5]
            outdir = os.path.join(root, name)
            os.makedirs(outdir, exist_ok=True)
            try:
                cap, packets, copy = load(path, outdir)
                variants, problems = make_variants(cap, packets, copy,
                                                   outdir, index,
                                                   max(1, args.spread))
            except (P.PcapError, subprocess.CalledProcessError, OSError) as e:
                jobs.append((name, path, None, [], [f"cannot read: {e}"], {}))
                continue
            futs = {}
            for target in [Variant("original", "original", copy)] + variants:
                if args.tlsmon:
                    futs[target.name] = pool.submit(run_tlsmon, args.tlsmon,
                                                    target.path)
                if args.tshark and target.kind != "snaplen":
                    futs["tshark:" + target.name] = pool.submit(
                        tshark_view, target.path, client_hello_ports(packets))
            jobs.append((name, path, packets, variants, problems, futs))

        for name, path, packets, variants, problems, futs in jobs:
            ok = report_capture(name, packets, variants, problems, futs,
                                args)
            passed += ok[0]
            failed += ok[1]
    finally:
        pool.shutdown(wait=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def emit(status, label, lines):
    print(f"{status} {label}" + (f": {lines[0]}" if len(lines) == 1 and
                                 status == "FAIL" else ""))
    if not (len(lines) == 1 and status == "FAIL"):
        for ln in lines:
            print(f"    {ln}")


def report_capture(name, packets, variants, problems, futs, args):
    passed = failed = 0
    if packets is None:
        emit("FAIL", f"{name}/read", problems)
        return 0, 1
    if problems:
        emit("FAIL", f"{name}/generator", problems)
        failed += 1

    if args.tshark:
        want = futs["tshark:original"].result()
        for v in variants:
            key = "tshark:" + v.name
            if key not in futs:
                continue
            got = futs[key].result()
            if got == want or (v.kind == "midstream" and got ==
                               {k: x for k, x in want.items() if k in got}):
                sw = (f", {v.extra['swaps']} swaps" if "swaps" in v.extra
                      else "")
                emit("PASS", f"{name}/{v.name} (tshark{sw})", [])
                passed += 1
            else:
                diff = [f"{k}: original {want.get(k)}, variant {got.get(k)}"
                        for k in sorted(set(want) | set(got))
                        if want.get(k) != got.get(k)]
                emit("FAIL", f"{name}/{v.name} (tshark)", diff[:6])
                failed += 1

    if not args.tlsmon:
        return passed, failed

    orig, err = futs["original"].result()
    if err:
        emit("FAIL", f"{name}/original", [err])
        return passed, failed + 1 + len(variants)
    if not orig and has_client_hello(packets):
        emit("FAIL", f"{name}/original",
             ["a ClientHello is in the capture but tlsmon wrote no "
              "handshake record"])
        return passed, failed + 1 + len(variants)
    emit("PASS", f"{name}/original ({len(orig)} handshake records)", [])
    passed += 1

    for v in variants:
        var, err = futs[v.name].result()
        notes, probs = [], []
        label = f"{name}/{v.name}"
        if "swaps" in v.extra:
            label += f" ({v.extra['swaps']} swaps)"
        if err:
            probs.append(err)
        elif v.kind == "snaplen":
            compare_snaplen(orig, var, v, notes, probs)
        else:
            compare_exact(orig, var, v, notes, probs)
        if probs:
            emit("FAIL", label, probs + notes)
            failed += 1
        else:
            emit("PASS", label, notes)
            passed += 1
    return passed, failed


if __name__ == "__main__":
    sys.exit(main())
