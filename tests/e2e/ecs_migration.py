#!/usr/bin/env python3
"""ecs_migration.py — proves the move to ECS names changed names, not facts.

Dump every record of a set of captures with one tlsmon, then compare with
another: each old record, its keys renamed by RENAMED and its values
reshaped by the ECS rules below, must equal the new record with the new
fields (ADDED) left out. Anything else is reported.

    ecs_migration.py dump --tlsmon OLD --out DIR CAPTURE_OR_DIR...
    ecs_migration.py compare --tlsmon NEW --old DIR CAPTURE_OR_DIR...
    ecs_migration.py expected --captures captures   (rewrite expected/*.json)

Value reshaping allowed, each what ECS asks for:
  - x509 common names are arrays: "x" -> ["x"];
  - tls.version is the numeric part: ssl3 -> 3.0, ssl2 -> 2.0; drafts and
    unknown versions leave tls.version and go to tlsmon.version;
  - every other version field names SSL versions the same way (3.0, 2.0);
  - distinguished names are RFC 4514: a "\\x5c" escape was OpenSSL's "\\";
  - network.vlan.id and network.inner.vlan.id are keywords: 100 -> "100".
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ecs_check import capture_args, captures_in  # noqa: E402
from tlsmon_run import flatten  # noqa: E402

RENAMED = {
    "server.established_count": "tlsmon.server.established_count",
    "server.failed_count": "tlsmon.server.failed_count",
    "server.accepted_versions": "tlsmon.server.accepted_versions",
    "server.accepted_ciphers": "tlsmon.server.accepted_ciphers",
    "server.accepted_groups": "tlsmon.server.accepted_groups",
    "server.usual_issuer": "tlsmon.server.usual_issuer",
    "server.usual_issuer_count": "tlsmon.server.usual_issuer_count",
    "server.offered_version_accepted":
        "tlsmon.server.offered_version_accepted",
    "server.offered_cipher_accepted": "tlsmon.server.offered_cipher_accepted",
    "server.issuer_changed": "tlsmon.server.issuer_changed",
    "server.certificate.subject": "tlsmon.server.certificate.subject",
    "server.certificate.untrusted": "tlsmon.server.certificate.untrusted",
    "server.certificate.incomplete_chain":
        "tlsmon.server.certificate.incomplete_chain",
    "server.certificate.hostname_mismatch":
        "tlsmon.server.certificate.hostname_mismatch",
    "server.certificate.self_signed": "tlsmon.server.certificate.self_signed",
    "server.certificate.expired": "tlsmon.server.certificate.expired",
    "tlsmon.packets.client": "source.packets",
    "tlsmon.packets.server": "destination.packets",
    "tlsmon.bytes.client": "source.bytes",
    "tlsmon.bytes.server": "destination.bytes",
}

# New fields (tlsmon.version and source/destination bytes and packets are
# not: they carry old values, compared above).
ADDED = {
    "ecs.version", "event.category", "event.type", "event.id",
    "event.duration", "destination.domain",
    "client.ip", "client.port", "server.ip", "server.port",
    "network.protocol", "network.community_id", "related.ip",
    "related.hosts", "related.hash",
}
for side in ("client", "server"):
    for who in ("subject", "issuer"):
        for attr in ("organization", "country"):
            ADDED.add(f"tls.{side}.x509.{who}.{attr}")
    ADDED.add(f"tls.{side}.x509.version_number")

CN_FIELDS = {f"tls.{s}.x509.{w}.common_name" for s in ("client", "server")
             for w in ("subject", "issuer")}
DN_FIELDS = re.compile(r"^tls\.(client|server)\.(subject|issuer|x509\."
                       r"(subject|issuer)\.distinguished_name)$|"
                       r"usual_issuer$")
FINAL = {"1.0", "1.1", "1.2", "1.3", "ssl3", "ssl2"}


def ssl_number(v):
    return {"ssl3": "3.0", "ssl2": "2.0"}.get(v, v)


def reshape_value(key, v):
    if key in CN_FIELDS and isinstance(v, str):
        return [v]
    if DN_FIELDS.search(key) and isinstance(v, str):
        return v.replace("\\x5c", "\\")
    if key in ("network.vlan.id", "network.inner.vlan.id") and \
            isinstance(v, int):
        return str(v)
    if isinstance(v, str) and key.endswith(("version", "highest_version",
                                            "record_version",
                                            "legacy_version",
                                            "tls_version")):
        return ssl_number(v)
    if isinstance(v, list) and key.endswith(("versions",)):
        return [ssl_number(x) if isinstance(x, str) else x for x in v]
    return v


def reshape(rec):
    """An old flat record as the new tlsmon writes it (new fields left
    out)."""
    out = {}
    for k, v in rec.items():
        k = RENAMED.get(k, k)
        if k == "tls.version" and v not in FINAL:
            out["tlsmon.version"] = v  # a draft or an unknown version
            continue
        out[k] = reshape_value(k, v)
    return out


def records(tlsmon, cap):
    p = subprocess.run([tlsmon, "--format", "ndjson", "--no-summary",
                        *capture_args(cap), cap], capture_output=True,
                       timeout=600)
    return [flatten(json.loads(x)) for x in
            p.stdout.decode("utf-8").splitlines() if x.strip()]


def safe(cap):
    return re.sub(r"[^A-Za-z0-9._-]", "_", os.path.abspath(cap))


def dump(a):
    os.makedirs(a.out, exist_ok=True)
    n = 0
    for cap in captures_in(a.paths):
        with open(os.path.join(a.out, safe(cap) + ".json"), "w") as fp:
            json.dump(records(a.tlsmon, cap), fp)
        n += 1
    print(f"{n} captures dumped to {a.out}")
    return 0


def compare(a):
    bad = 0
    n_recs = n_caps = 0
    for cap in captures_in(a.paths):
        path = os.path.join(a.old, safe(cap) + ".json")
        if not os.path.exists(path):
            print(f"FAIL {cap}: no old dump")
            bad += 1
            continue
        old = json.load(open(path))
        new = records(a.tlsmon, cap)
        n_caps += 1
        if len(old) != len(new):
            print(f"FAIL {cap}: {len(old)} events before, {len(new)} now")
            bad += 1
            continue
        for i, (o, n) in enumerate(zip(old, new)):
            n_recs += 1
            want = reshape(o)
            if n.get("event.kind") == "alert":
                # Alerts gained the handshake's join keys: every old key
                # must be there unchanged, new ones may be added.
                got = {k: n.get(k) for k in want}
            else:
                got = {k: v for k, v in n.items() if k not in ADDED}
            for k, v in want.items():
                # A name cut to fit the record is cut later now that "\"
                # takes one byte instead of four: the old one is a prefix.
                g = got.get(k)
                if DN_FIELDS.search(k) and isinstance(v, str) and \
                        isinstance(g, str) and len(v) >= 180 and \
                        g.startswith(v):
                    got[k] = v
            if got != want:
                pairs = lambda d: {(k, json.dumps(v)) for k, v in d.items()}
                diff = sorted(pairs(got) ^ pairs(want))
                print(f"FAIL {cap} event {i}: {diff[:6]}")
                bad += 1
    print(f"{n_caps} captures, {n_recs} events compared, {bad} differences "
          f"beyond renames and the new fields")
    return 1 if bad else 0


def expected(a):
    """Rename keys and reshape values in captures/expected/*.json."""
    n = 0
    for path in sorted(glob.glob(os.path.join(a.captures, "expected",
                                              "*.json"))):
        recs = json.load(open(path))
        fresh = []
        for rec in recs:
            out = {}
            for k, v in rec.items():
                k2 = RENAMED.get(k, k)
                if k2 == "tls.version" and v is not None and v not in FINAL:
                    out["tlsmon.version"] = v
                    out["tls.version"] = None
                    continue
                out[k2] = reshape_value(k2, v) if v is not None else None
            fresh.append(out)
        if fresh != recs:
            with open(path, "w") as fp:
                json.dump(fresh, fp, indent=2, ensure_ascii=False)
                fp.write("\n")
            n += 1
    print(f"{n} expected files rewritten")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--tlsmon", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("paths", nargs="+")
    c = sub.add_parser("compare")
    c.add_argument("--tlsmon", required=True)
    c.add_argument("--old", required=True)
    c.add_argument("paths", nargs="+")
    e = sub.add_parser("expected")
    e.add_argument("--captures", required=True)
    a = ap.parse_args()
    return {"dump": dump, "compare": compare, "expected": expected}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
