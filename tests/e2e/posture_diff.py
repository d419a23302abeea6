#!/usr/bin/env python3
"""posture_diff.py — tlsmon's post-quantum and ECH facts against tshark's
reading of the same hellos, per TCP connection:

  - the post-quantum groups offered (supported_groups, then key shares of
    groups not listed), the first PQ key share's length;
  - the group the server chose (ServerHello key_share) or asked for (HRR),
    and whether tlsmon calls it post-quantum;
  - the encrypted_client_hello extension: tshark 4.0 does not decode it, so
    its raw bytes are taken apart here, independently of dissectors/ech.c
    (RFC 9849 §5: type, KDF, AEAD, config id, enc and payload lengths).

    posture_diff.py --tlsmon PATH [--lenient] [--report FILE] DIR_OR_FILE...

A capture's expected/NAME.args (for --ca-file and the like) is not needed:
none of these facts depends on trust. Connections tshark does not see as
TLS are skipped. With --lenient disagreements are listed, not failed."""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from differential import captures_in  # noqa: E402
import oracle_cache  # noqa: E402
from tlsmon_run import RunError, run_tlsmon  # noqa: E402

PQ = {0x0200: "MLKEM512", 0x0201: "MLKEM768", 0x0202: "MLKEM1024",
      0x11EB: "SecP256r1MLKEM768", 0x11EC: "X25519MLKEM768",
      0x11ED: "SecP384r1MLKEM1024", 0x11EE: "curveSM2MLKEM768",
      0x4138: "CECPQ2", 0x6399: "X25519Kyber768Draft00",
      0x639A: "SecP256r1Kyber768Draft00"}
HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
KDF = {1: "HKDF-SHA256", 2: "HKDF-SHA384", 3: "HKDF-SHA512"}
AEAD = {1: "AES-128-GCM", 2: "AES-256-GCM", 3: "ChaCha20Poly1305",
        0xFFFF: "Export-only"}
BASE = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst",
        "ipv6.dst", "tcp.dstport"]


def rows(capture, flt, fields):
    cmd = ["tshark", "-r", capture, "-Y", flt, "-T", "fields", "-E",
           "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = oracle_cache.run(cmd).stdout
    for line in out.decode("utf-8", "replace").splitlines():
        cols = line.split("\t") + [""] * len(fields)
        yield dict(zip(fields, cols))


def ints(text, base=10):
    return [int(x, base) for x in text.split(",") if x]


def ech_fields(hexdata):
    """The outer ECHClientHello, read from its bytes."""
    b = bytes.fromhex(hexdata)
    if len(b) < 1:
        return {"malformed": True}
    if b[0] == 1:
        return {"type": "inner"}
    if b[0] != 0 or len(b) < 8:
        return {"malformed": True}
    kdf, aead, cid, enc = struct.unpack_from(">HHBH", b, 1)
    off = 8 + enc
    if off + 2 > len(b):
        return {"malformed": True}
    (plen,) = struct.unpack_from(">H", b, off)
    if off + 2 + plen != len(b) or plen == 0:
        return {"malformed": True}
    return {"type": "outer", "kdf": KDF.get(kdf, f"0x{kdf:04X}"),
            "aead": AEAD.get(aead, f"0x{aead:04X}"), "config_id": cid,
            "enc_length": enc, "payload_length": plen}


def ech_extensions(capture):
    """Per connection, the first ClientHello's encrypted_client_hello bytes,
    from tshark's JSON tree (each extension is its own subtree there)."""
    cmd = ["tshark", "-r", capture, "-Y",
           "tls.handshake.type == 1 && tls.handshake.extension.type == 65037",
           "-T", "json"]
    out = oracle_cache.run(cmd).stdout
    try:
        packets = json.loads(out or b"[]")
    except ValueError:
        return {}
    found = {}

    def walk(o, hits):
        if isinstance(o, dict):
            if o.get("tls.handshake.extension.type") == "65037":
                hits.append(o.get("tls.handshake.extension.data", ""))
            for v in o.values():
                walk(v, hits)
        elif isinstance(o, list):
            for v in o:
                walk(v, hits)

    for p in packets:
        layers = p.get("_source", {}).get("layers", {})
        ip = layers.get("ip") or layers.get("ipv6") or {}
        tcp = layers.get("tcp", {})
        src = ip.get("ip.src") or ip.get("ipv6.src")
        dst = ip.get("ip.dst") or ip.get("ipv6.dst")
        try:
            key = (src, int(tcp.get("tcp.srcport")), dst,
                   int(tcp.get("tcp.dstport")))
        except (TypeError, ValueError):
            continue
        hits = []
        walk(layers.get("tls"), hits)
        if hits and key not in found:
            found[key] = hits[0].replace(":", "")
    return found


def conn_key(r, reverse=False):
    """(client ip, port, server ip, port) of a row, None when the row is
    not one plain TCP connection (UDP, or a tunnel's several headers)."""
    src = r["ip.src"] or r["ipv6.src"]
    dst = r["ip.dst"] or r["ipv6.dst"]
    sp, dp = r["tcp.srcport"], r["tcp.dstport"]
    if not (sp.isdigit() and dp.isdigit()) or "," in src or "," in dst:
        return None
    if reverse:
        return (dst, int(dp), src, int(sp))
    return (src, int(sp), dst, int(dp))


def from_tshark(capture):
    conns = {}
    ech_raw = None  # tshark's JSON pass only for captures that carry ECH
    fields = BASE + ["tls.handshake.type", "tls.handshake.extensions_supported_group",
                     "tls.handshake.extensions_key_share_group",
                     "tls.handshake.extensions_key_share_key_exchange_length",
                     "tls.handshake.extension.type"]
    for r in rows(capture, "tls.handshake.type == 1", fields):
        if r["tls.handshake.type"].split(",").count("1") != 1:
            continue  # several hellos in one frame: not compared
        key = conn_key(r)
        if key is None or key in conns:
            continue  # the second ClientHello after an HRR
        groups = ints(r["tls.handshake.extensions_supported_group"], 16)
        shares = ints(r["tls.handshake.extensions_key_share_group"])
        lens = ints(r["tls.handshake.extensions_key_share_key_exchange_length"])
        offered = [g for g in groups if g in PQ]
        offered += [g for g in shares if g in PQ and g not in groups]
        share = next(((g, n) for g, n in zip(shares, lens) if g in PQ), None)
        ech = None
        if 0xFE0D in ints(r["tls.handshake.extension.type"]):
            if ech_raw is None:
                ech_raw = ech_extensions(capture)
            ech = {"present": True}
            ech.update(ech_fields(ech_raw.get(key, "")))
        conns[key] = {"offered": [PQ[g] for g in offered],
                      "share": PQ[share[0]] if share else None,
                      "share_len": share[1] if share else None,
                      "chosen": None, "ech": ech}
    if not any(c["offered"] for c in conns.values()):
        return conns  # the chosen group is compared for PQ offers only
    for r in rows(capture, "tls.handshake.type == 2", BASE + [
            "tls.handshake.random",
            "tls.handshake.extensions_key_share_group",
            "tls.handshake.extensions_key_share_selected_group"]):
        c = conns.get(conn_key(r, reverse=True))
        if not c:
            continue
        hrr = r["tls.handshake.random"].split(",")[0].replace(":", "") == HRR_RANDOM
        sel = ints(r["tls.handshake.extensions_key_share_selected_group"])
        grp = ints(r["tls.handshake.extensions_key_share_group"])
        g = sel[0] if hrr and sel else (grp[0] if grp else None)
        if g is not None and (c["chosen"] is None or not hrr):
            c["chosen"] = PQ.get(g, "classical")
    return conns


def from_tlsmon(records):
    conns = {}
    for r in records:
        if r.get("network.transport", "tcp") != "tcp" or \
                r.get("tlsmon.pq.status") is None:
            continue
        key = (r.get("source.ip"), r.get("source.port"),
               r.get("destination.ip"), r.get("destination.port"))
        ech = None
        if r.get("tlsmon.client_hello.ech"):
            ech = {"present": True}
            for k in ("type", "kdf", "aead", "config_id", "enc_length",
                      "payload_length"):
                if r.get(f"tlsmon.ech.{k}") is not None:
                    ech[k] = r[f"tlsmon.ech.{k}"]
            if r.get("tlsmon.ech.malformed"):
                ech = {"present": True, "malformed": True}
        group = r.get("tlsmon.pq.group")
        chosen = None
        if group:
            chosen = group
        elif r.get("tls.curve") or r.get("tlsmon.hrr_group"):
            chosen = "classical"
        conns[key] = {"offered": r.get("tlsmon.pq.offered_groups") or [],
                      "share": r.get("tlsmon.pq.key_share"),
                      "share_len": r.get("tlsmon.pq.key_share_length"),
                      "chosen": chosen if r.get("tls.version") == "1.3" or
                      r.get("tlsmon.hrr") else None,
                      "ech": ech}
    return conns


def compare(theirs, ours):
    problems, n = [], 0
    for key, t in theirs.items():
        o = ours.get(key)
        if o is None:
            continue
        n += 1
        for field in ("offered", "share", "share_len", "ech"):
            if t[field] != o[field]:
                problems.append(f"{key}: {field}: tshark {t[field]!r}, "
                                f"tlsmon {o[field]!r}")
        if t["chosen"] and o["chosen"] and t["chosen"] != o["chosen"]:
            problems.append(f"{key}: chosen: tshark {t['chosen']!r}, "
                            f"tlsmon {o['chosen']!r}")
    return n, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--lenient", action="store_true")
    ap.add_argument("--report")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    total = pq = ech = failed = 0
    lines = []
    for cap in captures_in(a.paths):
        try:
            records, _code, _err = run_tlsmon(a.tlsmon, cap)
        except RunError as e:
            print(f"FAIL {e}")
            failed += 1
            continue
        theirs = from_tshark(cap)
        n, problems = compare(theirs, from_tlsmon(records))
        total += n
        pq += sum(1 for t in theirs.values() if t["offered"])
        ech += sum(1 for t in theirs.values() if t["ech"])
        for p in problems:
            lines.append(f"{os.path.basename(cap)}: {p}")
        if problems and not a.lenient:
            failed += 1
    for line in lines:
        print(line)
    summary = (f"{total} connections compared, {pq} offering post-quantum "
               f"groups, {ech} with ECH; {len(lines)} disagreements")
    print(summary)
    if a.report:
        with open(a.report, "w") as fp:
            fp.write("\n".join(lines + [summary]) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
