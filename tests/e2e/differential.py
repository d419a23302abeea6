#!/usr/bin/env python3
"""differential.py — tlsmon against tshark on the wire facts both read:
SNI, highest offered version, negotiated version, chosen cipher, selected
ALPN and plaintext alerts, per TCP connection, QUIC connection (tshark
removes the Initial packets' protection itself) and DTLS association; and,
where tshark's view comes with an outcome (`oracle_outcome` of the peer
captures' JSON), how the handshake ended.

    differential.py --tlsmon PATH [--report FILE] [--lenient]
        [--reread-out-of-order] [--reread-quic-unanswered]
        [--min-outcome-agreement PCT] DIR_OR_FILE...

tshark's view comes from NAME.tshark.json beside a capture when there is one
(the peer-captures folder ships them) and from running tshark otherwise.
Any crash, hang or sanitizer report fails. With --lenient (for public
captures, where tshark itself is sometimes wrong or blind) disagreements are
listed and counted but do not fail the run; otherwise each one fails."""
import argparse
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_cache  # noqa: E402
from tlsmon_run import RunError, run_tlsmon  # noqa: E402

VERSION_NAMES = {
    "SSLv2": "ssl2", "SSLv3": "ssl3", "TLSv1": "1.0", "TLSv1.0": "1.0",
    "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3",
    # DTLS versions are named as the TLS version they are built on.
    "DTLSv1.0": "1.0", "DTLSv1.2": "1.2", "DTLSv1.3": "1.3",
    "DTLSv1.0(OpenSSL pre-0.9.8f)": "1.0",
}
VERSION_CODES = {0x0002: "ssl2", 0x0300: "ssl3", 0x0301: "1.0",
                 0x0302: "1.1", 0x0303: "1.2", 0x0304: "1.3",
                 0xfeff: "1.0", 0xfefd: "1.2", 0xfefc: "1.3", 0x0100: "1.0"}
# What tshark calls the protocol of a connection, and tlsmon's name for it.
PROTOCOLS = {("tcp", "tls"): "tls", ("udp", "quic"): "quic",
             ("udp", "dtls"): "dtls"}
CAPTURE_EXTS = (".pcap", ".pcapng", ".cap", ".pcap.gz")


# Codes outside the final versions, named as tlsmon names them (tls_names.c).
FB_DRAFTS = {0xfb17: "1.3-fb-draft-23", 0xfb1a: "1.3-fb-draft-26"}


def version_code_name(code):
    """tlsmon's name for a version code: final versions, TLS 1.3 drafts
    (0x7fNN), Facebook's draft codes, else the code itself."""
    if code in VERSION_CODES:
        return VERSION_CODES[code]
    if code >> 8 == 0x7f:
        return f"1.3-draft-{code & 0xff}"
    if code in FB_DRAFTS:
        return FB_DRAFTS[code]
    return f"0x{code:04X}"


def norm_version(v):
    """tshark's spelling of a version, in tlsmon's. tshark writes drafts as
    "TLSv1.3-draft19", other codes as "TLSv1.3-experiment(fb1a)" or
    "unknown(002c)": the same codes, named differently."""
    if v is None:
        return None
    if isinstance(v, int):
        return version_code_name(v)
    if v in VERSION_NAMES:
        return VERSION_NAMES[v]
    m = re.fullmatch(r"TLSv1\.3-draft(\d+)", v)
    if m:
        return f"1.3-draft-{int(m.group(1))}"
    m = re.fullmatch(r"[\w.-]*\(([0-9a-fA-F]{4})\)", v)
    if m:
        return version_code_name(int(m.group(1), 16))
    try:
        return version_code_name(int(v, 16))
    except ValueError:
        return None


def norm_cipher(v):
    if v is None:
        return None
    try:
        return int(str(v), 16)
    except ValueError:
        return None


def hello_senders(c):
    """Which of tshark's endpoints sent the ClientHello and the ServerHello,
    from its event list ("C:ClientHello@4")."""
    senders = {}
    for e in c.get("events", []):
        who, _, what = e.partition(":")
        what = what.split("@")[0]
        if what in ("ClientHello", "ServerHello") and what not in senders:
            senders[what] = who
    return senders


def from_peer_json(path, skipped):
    """Connections from a NAME.tshark.json file of the peer-captures folder.
    Only connections where tshark saw a ClientHello or a ServerHello are
    compared: one it calls TLS only for records in the middle of a
    connection (a capture that began after the handshake) has no handshake
    facts, and tlsmon reports handshakes. Those are counted in `skipped`."""
    with open(path) as fp:
        data = json.load(fp)
    conns = {}
    for c in data.get("connections", []):
        proto = PROTOCOLS.get((c.get("transport"), c.get("protocol")))
        if proto is None:
            continue  # Google QUIC and the like: not a TLS handshake
        if not c.get("client_hello_count") and not c.get("server_hello_count"):
            skipped["no hello seen by tshark"] = skipped.get("no hello seen by tshark", 0) + 1
            continue
        client, server = c["client"], c["server"]
        # tshark's roles come from the SYN or, without one, from the first
        # packet; a capture that begins with the ServerHello makes the
        # server its "client". The hellos decide the TLS roles.
        senders = hello_senders(c)
        if senders.get("ServerHello") == "C" and senders.get("ClientHello") != "C":
            client, server = server, client
            skipped["roles taken from the ServerHello"] = skipped.get("roles taken from the ServerHello", 0) + 1
        key = (client["ip"], client["port"], server["ip"], server["port"])
        conns.setdefault(key, []).append({
            "protocol": proto,
            "sni": c.get("sni"),
            "client_version_max": norm_version(c.get("client_version_max")),
            "version": norm_version(c.get("negotiated_version")),
            "cipher": norm_cipher(c.get("cipher_id")),
            "alpn": c.get("alpn_selected"),
            "alerts": sorted((a["sender"], a["description_code"])
                             for a in c.get("alerts", [])),
            "ja3": c.get("ja3"), "ja3s": c.get("ja3s"), "ja4": c.get("ja4"),
            "client_hellos": c.get("client_hello_count", 0),
            "outcome": c.get("oracle_outcome"),
            "outcome_reason": c.get("outcome_reason"),
        })
    return conns


HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891"
# Captures tshark reads wrongly with its defaults, and the option that
# makes it read them as the stacks did. A RST forged outside the window
# (the client's stack ignored it) becomes, for tshark's sequence analysis,
# the server's own numbering: the real ServerHello then looks like a
# retransmission and is not decoded.
TSHARK_OPTIONS = {
    "rst-forged-out-of-window.pcap": ["-o", "tcp.analyze_sequence_numbers:FALSE"],
}


def tshark_rows(capture, display_filter, fields):
    cmd = ["tshark", *TSHARK_OPTIONS.get(os.path.basename(capture), []),
           "-r", capture, "-Y", display_filter, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = oracle_cache.run(cmd).stdout
    for line in out.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        yield dict(zip(fields, cols))


def addr(row, prefix):
    return row[f"ip.{prefix}"] or row[f"ipv6.{prefix}"]


# How tshark names the same facts over each transport: (protocol, stream
# field, port field prefix, TLS field prefix).
TSHARK_VIEWS = {
    "tls": ("tcp.stream", "tcp", "tls"),
    "quic": ("udp.stream", "udp", "tls"),
    "dtls": ("udp.stream", "udp", "dtls"),
}
# One tshark pass per capture reads every frame that can carry a fact.
TSHARK_FILTER = ("tls.handshake.type == 1 || tls.handshake.type == 2 || "
                 "tls.alert_message.desc || dtls.handshake.type == 1 || "
                 "dtls.handshake.type == 2 || dtls.alert_message.desc || "
                 "(quic.long.packet_type == 0 && quic.cc.error_code)")
TLS_FIELDS = ["handshake.type", "handshake.extensions_server_name",
              "handshake.extensions.supported_version", "handshake.version",
              "handshake.ja3", "handshake.ciphersuite",
              "handshake.extensions_alpn_str", "handshake.ja3s",
              "handshake.random", "alert_message.desc"]


def view_of(row):
    protos = row["frame.protocols"].split(":")
    if "quic" in protos:
        return "quic"
    if "dtls" in protos:
        return "dtls"
    return "tls" if "tcp" in protos else None


def first(value):
    return value.split(",")[0]


def from_tshark(capture):
    """The same facts, read by running tshark on the capture: TLS over TCP,
    QUIC (tshark opens the Initial packets itself) and DTLS."""
    fields = ["frame.protocols", "tcp.stream", "udp.stream", "ip.src",
              "ipv6.src", "tcp.srcport", "udp.srcport", "ip.dst", "ipv6.dst",
              "tcp.dstport", "udp.dstport", "quic.long.packet_type",
              "quic.cc.error_code"]
    fields += [f"{p}.{f}" for p in ("tls", "dtls") for f in TLS_FIELDS]
    streams = {}
    for r in tshark_rows(capture, TSHARK_FILTER, fields):
        proto = view_of(r)
        if proto is None:
            continue
        stream, port, tls = TSHARK_VIEWS[proto]
        sid = (proto, r[stream])
        types = r[f"{tls}.handshake.type"].split(",")
        if "1" in types and sid not in streams:
            versions = [int(v, 16) for v in
                        (r[f"{tls}.handshake.extensions.supported_version"] or
                         r[f"{tls}.handshake.version"]).split(",") if v]
            versions = [v for v in versions if v in VERSION_CODES]
            streams[sid] = {
                "key": (addr(r, "src"), int(r[f"{port}.srcport"]),
                        addr(r, "dst"), int(r[f"{port}.dstport"])),
                "protocol": proto,
                "sni": first(r[f"{tls}.handshake.extensions_server_name"]) or None,
                "client_version_max": VERSION_CODES.get(max(versions)) if versions else None,
                "version": None, "cipher": None, "alpn": None, "alerts": [],
                "ja3": first(r[f"{tls}.handshake.ja3"]) or None, "ja3s": None,
                "closes": set(),
            }
            continue  # a second ClientHello (HRR, cookie) adds nothing
        s = streams.get(sid)
        if not s:
            continue
        # tshark calls a HelloRetryRequest a ServerHello; tlsmon's version
        # and suite are the real ServerHello's (none when the client never
        # answered the HRR).
        hrr = first(r[f"{tls}.handshake.random"]).replace(":", "").startswith(HRR_RANDOM)
        if "2" in types and s["version"] is None and not hrr:
            # The ServerHello's fields come first in the frame.
            sv = first(r[f"{tls}.handshake.extensions.supported_version"])
            lv = first(r[f"{tls}.handshake.version"])
            s["version"] = norm_version(sv or lv)
            s["cipher"] = norm_cipher(first(r[f"{tls}.handshake.ciphersuite"]))
            s["alpn"] = first(r[f"{tls}.handshake.extensions_alpn_str"]) or None
            s["ja3s"] = first(r[f"{tls}.handshake.ja3s"]) or None
        sender = "client" if (addr(r, "src"), int(r[f"{port}.srcport"])) == s["key"][:2] else "server"
        for d in r[f"{tls}.alert_message.desc"].split(","):
            if d:
                s["alerts"].append((sender, int(d)))
        # QUIC: a crypto error (0x100 + N) in a CONNECTION_CLOSE of an
        # Initial packet is TLS alert N, as tlsmon reports it; a close its
        # sender repeats is one.
        if proto == "quic" and "0" in r["quic.long.packet_type"].split(","):
            for c in r["quic.cc.error_code"].split(","):
                if c and 0x100 <= int(c, 0) <= 0x1ff and sender not in s["closes"]:
                    s["closes"].add(sender)
                    s["alerts"].append((sender, int(c, 0) - 0x100))
    conns = {}
    for s in streams.values():
        s["alerts"].sort()
        del s["closes"]
        conns.setdefault(s.pop("key"), []).append(s)
    return conns


def from_tlsmon(records):
    conns = {}
    records.sort(key=lambda r: (r.get("event.start", ""), r.get("tlsmon.flow_id", 0)))
    for r in records:
        key = (r.get("source.ip"), r.get("source.port"),
               r.get("destination.ip"), r.get("destination.port"))
        alerts = sorted((a.get("sender"), a.get("code"))
                        for a in r.get("tlsmon.alerts", []) if not a.get("encrypted"))
        conns.setdefault(key, []).append({
            "protocol": r.get("tlsmon.protocol", "tls"),
            "sni": r.get("tls.client.server_name"),
            "client_version_max": r.get("tlsmon.client_hello.highest_version"),
            "version": r.get("tls.version"),
            "cipher": norm_cipher(r.get("tlsmon.server_hello.cipher_id")),
            "alpn": r.get("tls.next_protocol"),
            "alerts": alerts,
            "ja3": r.get("tls.client.ja3"), "ja3s": r.get("tls.server.ja3s"),
            "ja4": r.get("tlsmon.client.ja4"),
            "outcome": OUTCOME_CLASSES.get(r.get("tlsmon.outcome"),
                                           r.get("tlsmon.outcome")),
        })
    return conns


# tshark's outcome has three classes (established, failed, incomplete);
# tlsmon's not_tls and refused are failures of the connection as well
# (event.outcome "failure"), of a kind tshark does not name.
OUTCOME_CLASSES = {"not_tls": "failed", "refused": "failed"}


FACTS = ("protocol", "sni", "client_version_max", "version", "cipher", "alpn",
         "alerts", "ja3", "ja3s", "ja4")


def tunnel_match(key, theirs, ours):
    """tshark's endpoint of a tunnelled connection is the outer IP header
    (6in4, 4in6, GRE…) while tlsmon reports the inner one, which is what
    the endpoints connected to. Same ports, addresses nobody else claims,
    and only one such connection: the same connection."""
    if key in ours:
        return key
    cands = [k for k in ours if k[1] == key[1] and k[3] == key[3]
             and k not in theirs]
    return cands[0] if len(cands) == 1 else key


# Where the tshark of Debian 12 (4.0) cannot read what tlsmon reads, for
# the project's own captures: facts tshark leaves empty there are not
# counted against tlsmon. Every entry says why.
TSHARK_BLIND = {
    # QUIC v2's provisional version 0x709a50c4 (ngtcp2 0.12's "v2draft"):
    # tshark 4.0 knows only the final v2 (0x6b3343cf) and cannot open
    # these Initials, so it has no ServerHello (or no connection at all).
    "quic-v2-upgrade": "QUIC v2-draft Initials",
    "quic-v2": "QUIC v2-draft Initials",
}


def compare(theirs, ours, blind=False):
    """Disagreements as strings. Only connections tshark saw a hello in are
    compared; a connection tshark saw and tlsmon did not is one. `blind`:
    facts tshark has no value for are not compared (TSHARK_BLIND)."""
    out = []
    for key, tconns in theirs.items():
        oconns = ours.get(tunnel_match(key, theirs, ours), [])
        for i, t in enumerate(tconns):
            if i >= len(oconns):
                out.append(f"{key}: tshark saw a TLS connection tlsmon did not report")
                continue
            o = oconns[i]
            for fact in FACTS:
                if fact not in t:
                    continue  # a fact this reference does not give (JA4)
                if blind and t.get(fact) is None:
                    continue
                if t.get(fact) != o.get(fact):
                    out.append(f"{key}: {fact}: tshark {t.get(fact)!r}, tlsmon {o.get(fact)!r}")
    return out


def reread_out_of_order(capture, theirs):
    """tshark's oracle calls a handshake incomplete when tshark 4.0, with
    its default settings, flags segments as lost; most were only out of
    order (PEER-DIFFERENCES.md). For those connections tshark reads the
    capture again with its own out-of-order reassembly on, and the oracle's
    rules for "established" are applied to what it sees then:
    ChangeCipherSpec from both sides (TLS <= 1.2), or encrypted records from
    both sides after a TLS 1.3 ServerHello. The connection's outcome and
    reason are updated in place; returns how many were."""
    todo = {k: t for k, tl in theirs.items() for t in tl
            if (t.get("outcome_reason") or "").startswith("capture gap")}
    if not todo:
        return 0
    fields = ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
              "tcp.dstport", "tls.record.content_type", "tls.handshake.type",
              "tls.handshake.extensions.supported_version"]
    cmd = ["tshark", "-r", capture, "-o", "tcp.reassemble_out_of_order:TRUE",
           "-Y", "tls", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = oracle_cache.run(cmd).stdout
    seen = {}
    for line in out.decode("utf-8", "replace").splitlines():
        r = dict(zip(fields, line.split("\t") + [""] * len(fields)))
        src = (addr(r, "src"), int(r["tcp.srcport"] or 0))
        dst = (addr(r, "dst"), int(r["tcp.dstport"] or 0))
        for key, side in (((*src, *dst), "client"), ((*dst, *src), "server")):
            if key in todo:
                v = seen.setdefault(key, {"ccs": set(), "enc": set(),
                                          "tls13": False, "sh": False})
                types = r["tls.record.content_type"].split(",")
                hs = r["tls.handshake.type"].split(",")
                if "2" in hs and side == "server":
                    v["sh"] = True
                    v["tls13"] |= "0x0304" in r[
                        "tls.handshake.extensions.supported_version"]
                if "20" in types:
                    v["ccs"].add(side)
                if "23" in types and v["sh"]:
                    v["enc"].add(side)
    n = 0
    for key, t in todo.items():
        v = seen.get(key)
        if not v:
            continue
        both = {"client", "server"}
        if (not v["tls13"] and v["ccs"] == both) or \
                (v["tls13"] and v["enc"] == both):
            t["outcome"] = "established"
            t["outcome_reason"] += " (out of order only: with " \
                "tcp.reassemble_out_of_order, established)"
            n += 1
    return n


def reread_quic_unanswered(capture, theirs):
    """tshark's oracle calls a QUIC connection incomplete ("nothing from
    the server") when the server sent no Initial or Handshake packet, and
    counts nothing else. What tshark itself shows for such a connection
    decides as an answer or a close does over TCP: a Version Negotiation
    from the server (the client did not go on in this flow), an ICMP
    unreachable quoting the client's datagram, or a CONNECTION_CLOSE in the
    client's Initial make it failed. The connection's outcome and reason are
    updated in place; returns how many were."""
    todo = {k: t for k, tl in theirs.items() for t in tl
            if t.get("protocol") == "quic" and
            (t.get("outcome_reason") or "").startswith(
                "QUIC: nothing from the server")}
    if not todo:
        return 0
    fields = ["ip.src", "ipv6.src", "udp.srcport", "ip.dst", "ipv6.dst",
              "udp.dstport", "quic.version", "quic.cc.error_code",
              "icmp.type", "icmpv6.type"]
    rows = tshark_rows(capture, "quic.version == 0 || icmp.type == 3 || "
                       "icmpv6.type == 1 || quic.cc.error_code", fields)
    why = {}
    for r in rows:
        src = (r["ip.src"] or r["ipv6.src"]).split(",")
        dst = (r["ip.dst"] or r["ipv6.dst"]).split(",")
        sport = int((r["udp.srcport"] or "0").split(",")[0])
        dport = int((r["udp.dstport"] or "0").split(",")[0])
        if r["icmp.type"] or r["icmpv6.type"]:
            # the quoted datagram, the client's: the inner addresses
            if len(src) < 2 or len(dst) < 2:
                continue
            why.setdefault((src[1], sport, dst[1], dport), "an ICMP unreachable")
        elif r["quic.version"].split(",")[0] == "0x00000000":
            why.setdefault((dst[0], dport, src[0], sport),
                           "the server's Version Negotiation")
        elif r["quic.cc.error_code"]:
            why.setdefault((src[0], sport, dst[0], dport),
                           "the client's CONNECTION_CLOSE")
    n = 0
    for key, t in todo.items():
        if key in why:
            t["outcome"] = "failed"
            t["outcome_reason"] += f" (re-read: {why[key]}, failed)"
            n += 1
    return n


def compare_outcomes(theirs, ours):
    """(agree, disagreements, not reported) over the connections tshark
    gives an outcome for. A connection tlsmon did not report is counted
    apart: compare() lists it already."""
    agree, diffs, missing = 0, [], 0
    for key, tconns in theirs.items():
        oconns = ours.get(tunnel_match(key, theirs, ours), [])
        for i, t in enumerate(tconns):
            if not t.get("outcome"):
                continue
            if i >= len(oconns):
                missing += 1
                continue
            o = oconns[i]
            if t["outcome"] == o.get("outcome"):
                agree += 1
            else:
                diffs.append(f"{key}: outcome: tshark {t['outcome']!r} "
                             f"({t.get('outcome_reason')}), tlsmon "
                             f"{o.get('outcome')!r}")
    return agree, diffs, missing


def captures_in(paths):
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(glob.glob(os.path.join(p, "**", "*"), recursive=True)):
                if f.endswith(CAPTURE_EXTS):
                    yield f
        else:
            yield p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--report", help="write every disagreement here")
    ap.add_argument("--lenient", action="store_true",
                    help="list disagreements without failing on them")
    ap.add_argument("--reread-out-of-order", action="store_true",
                    help="where tshark's oracle blames lost segments, read "
                         "the capture again with tshark's out-of-order "
                         "reassembly before comparing outcomes")
    ap.add_argument("--reread-quic-unanswered", action="store_true",
                    help="where tshark's oracle calls a QUIC connection "
                         "unanswered, read what tshark shows of it (Version "
                         "Negotiation, ICMP unreachable, the client's close) "
                         "before comparing outcomes")
    ap.add_argument("--min-outcome-agreement", type=float, metavar="PCT",
                    help="fail when fewer than PCT percent of the "
                         "connections both tools report agree on the "
                         "outcome")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()

    passed = failed = 0
    agree = disagree = 0
    out_agree = out_missing = raw_agree = reread = reread_quic = 0
    out_lines = []
    skipped = {}
    lines = []
    for cap in captures_in(args.paths):
        stem = cap
        for ext in CAPTURE_EXTS:
            if stem.endswith(ext):
                stem = stem[: -len(ext)]
                break
        peer_json = stem + ".tshark.json"
        try:
            theirs = from_peer_json(peer_json, skipped) if os.path.exists(peer_json) else from_tshark(cap)
            records, _, _ = run_tlsmon(args.tlsmon, cap, timeout=300)
        except RunError as e:
            print(f"FAIL {cap}: {e}")
            failed += 1
            continue
        ours = from_tlsmon(records)
        blind = os.path.basename(stem) in TSHARK_BLIND and not os.path.exists(peer_json)
        diffs = compare(theirs, ours, blind)
        rereading = args.reread_out_of_order or args.reread_quic_unanswered
        if rereading and os.path.exists(peer_json):
            oa, od, om = compare_outcomes(theirs, ours)
            raw_agree += oa
            if args.reread_out_of_order:
                reread += reread_out_of_order(cap, theirs)
            if args.reread_quic_unanswered:
                reread_quic += reread_quic_unanswered(cap, theirs)
        oa, od, om = compare_outcomes(theirs, ours)
        out_agree += oa
        out_missing += om
        out_lines += [f"{cap}: {d}" for d in od]
        n_facts = sum(len(v) for v in theirs.values()) * len(FACTS)
        disagree += len(diffs)
        agree += max(n_facts - len(diffs), 0)
        lines += [f"{cap}: {d}" for d in diffs]
        if diffs and not args.lenient:
            print(f"FAIL {cap}:")
            for d in diffs:
                print(f"    {d}")
            failed += 1
        else:
            print(f"ok   {cap} ({len(diffs)} disagreements)")
            passed += 1
    if args.report:
        with open(args.report, "w") as fp:
            every = lines + out_lines
            fp.write("\n".join(every) + ("\n" if every else ""))
    print(f"facts: {agree} agree, {disagree} disagree")
    compared = out_agree + len(out_lines)
    if (args.reread_out_of_order or args.reread_quic_unanswered) and compared:
        print(f"outcomes against the JSON's oracle as shipped: {raw_agree} "
              f"of {compared} agree ({100.0 * raw_agree / compared:.2f}%); "
              f"{reread} connections re-read with out-of-order reassembly, "
              f"{reread_quic} unanswered QUIC connections re-read")
    if compared:
        print(f"outcomes: {out_agree} of {compared} connections agree "
              f"({100.0 * out_agree / compared:.2f}%); {out_missing} more "
              f"not reported by tlsmon "
              f"({100.0 * out_agree / (compared + out_missing):.2f}% of all)")
    if args.min_outcome_agreement is not None and compared and \
            100.0 * out_agree / compared < args.min_outcome_agreement:
        print(f"FAIL outcome agreement below {args.min_outcome_agreement}%")
        failed += 1
    for why, n in sorted(skipped.items()):
        print(f"tshark connections {why}: {n}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
