#!/usr/bin/env python3
"""ecs_check.py — every NDJSON event tlsmon writes, checked against the
Elastic Common Schema's field table (../shared/ecs/fields.tsv, see its
README): every key outside `tlsmon.` must be an ECS field, its value of
that field's type (keyword a string, long an integer, ip an address, date
RFC 3339 …), an array exactly where ECS normalizes the field to one, and
one of the allowed values for the categorization fields (event.kind,
event.category, event.type, event.outcome), and what ECS says of a few
values (tls.version the number only, RFC 4514 names). Across a run: every
event.id unique, network.community_id the flow's Community ID v1
(recomputed here from the addresses and ports), and every alert naming
its handshake (tlsmon.handshake_id) with the same join keys. tlsmon's own
facts live under `tlsmon.`, which is not checked.

    ecs_check.py --tlsmon PATH [--ecs FIELDS.tsv] [--max-violations N]
                 CAPTURE_OR_DIR...

Each capture is read with the arguments of captures/expected/NAME.args
when there is one, with --summary (the summary event is checked too) and
once more with --emit-certificates. The report counts violations per field
and reason; any violation fails (exit 1). Importable: Schema(path).check().
"""
import argparse
import base64
import collections
import hashlib
import glob
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ECS = os.path.join(HERE, "..", "..", "..", "shared", "ecs",
                           "fields.tsv")
CAPTURE_EXTS = (".pcap", ".pcapng", ".cap", ".pcap.gz")
OWN = "tlsmon"

STRING_TYPES = {"keyword", "constant_keyword", "wildcard", "text",
                "match_only_text"}
INT_TYPES = {"long", "integer", "short", "byte", "unsigned_long"}
FLOAT_TYPES = {"float", "double", "half_float", "scaled_float"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?"
                  r"(Z|[+-]\d{2}:\d{2})$")


# What ECS says of a field's content beyond its type (the field's
# description in ECS): checked when the field is present.
SEMANTICS = {
    "tls.version": (re.compile(r"^\d+\.\d+$"),
                    "the numeric part of the version (1.2, 3.0)"),
    "tls.version_protocol": (re.compile(r"^[a-z]+$"),
                             "the lowercase protocol name (tls, ssl)"),
    "network.community_id": (re.compile(r"^1:[A-Za-z0-9+/]{27}=$"),
                             "a Community ID v1 (1:base64 of SHA-1)"),
    "network.protocol": (re.compile(r"^[a-z0-9]+$"),
                         "a lowercase protocol name"),
    "network.transport": (re.compile(r"^[a-z0-9]+$"),
                          "a lowercase transport name"),
    "network.type": (re.compile(r"^[a-z0-9]+$"), "a lowercase type"),
    "ecs.version": (re.compile(r"^\d+\.\d+\.\d+"), "an ECS version"),
}
# Distinguished names: RFC 4514 text, never a C-style \xNN escape.
DN_FIELDS = re.compile(r"(subject|issuer)(\.distinguished_name)?$")


class Schema:
    def __init__(self, path):
        self.fields = {}
        self.sets = set()
        with open(path, encoding="utf-8") as fp:
            for line in fp:
                if line.startswith("#") or not line.strip():
                    continue
                cols = line.rstrip("\n").split("\t")
                name, typ = cols[0], cols[1]
                array = len(cols) > 2 and cols[2] == "array"
                allowed = set(cols[3].split(",")) if len(cols) > 3 and \
                    cols[3] else None
                self.fields[name] = (typ, array, allowed)
                self.sets.add(name.split(".")[0])
        # An object field's parent keys are objects in the JSON.
        self.parents = set()
        for name in self.fields:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.parents.add(".".join(parts[:i]))

    def _value_ok(self, typ, v):
        if typ in STRING_TYPES:
            return isinstance(v, str), "a string"
        if typ in INT_TYPES:
            return isinstance(v, int) and not isinstance(v, bool), \
                "an integer"
        if typ in FLOAT_TYPES:
            return isinstance(v, (int, float)) and not isinstance(v, bool), \
                "a number"
        if typ == "boolean":
            return isinstance(v, bool), "true or false"
        if typ == "date":
            return isinstance(v, str) and bool(DATE.match(v)), \
                "an RFC 3339 date"
        if typ == "ip":
            if not isinstance(v, str):
                return False, "an IP address"
            try:
                ipaddress.ip_address(v)
                return True, ""
            except ValueError:
                return False, "an IP address"
        if typ in ("object", "flattened"):
            return isinstance(v, dict), "an object"
        if typ == "nested":
            return isinstance(v, list) and all(isinstance(x, dict)
                                               for x in v), "objects"
        return True, ""

    def check(self, event):
        """Violations of one event: (field, reason) pairs."""
        out = []
        self._walk(event, "", out)
        return out

    def _walk(self, obj, prefix, out):
        for key, value in obj.items():
            name = prefix + key
            if name == OWN or name.startswith(OWN + "."):
                continue
            if name in self.fields:
                self._check_field(name, value, out)
            elif isinstance(value, dict) and name in self.parents:
                self._walk(value, name + ".", out)
            elif name.split(".")[0] not in self.sets:
                out.append((name, "not ECS and not under tlsmon."))
            else:
                out.append((name, "not an ECS field"))

    def _check_field(self, name, value, out):
        typ, array, allowed = self.fields[name]
        if isinstance(value, dict) and typ not in ("object", "flattened",
                                                   "nested"):
            # An ECS field that is also a parent (rare): walk it.
            return self._walk(value, name + ".", out)
        if isinstance(value, list) and typ != "nested":
            if not array:
                out.append((name, f"an array, ECS has one {typ}"))
                return
            values = value
        else:
            if array:
                out.append((name, "not an array, ECS normalizes it to one"))
            values = [value]
        for v in values:
            ok, want = self._value_ok(typ, v)
            if not ok:
                out.append((name, f"{type(v).__name__} {json.dumps(v)[:40]}, "
                                  f"ECS {typ} wants {want}"))
                return
            if allowed and v not in allowed:
                out.append((name, f"'{v}' is not one of ECS's values"))
                return
            rule = SEMANTICS.get(name)
            if rule and not rule[0].match(str(v)):
                out.append((name, f"'{v}' is not {rule[1]}"))
                return
            if DN_FIELDS.search(name) and name.startswith("tls.") and \
                    isinstance(v, str) and "\\x" in v:
                out.append((name, "a C-style \\xNN escape, not RFC 4514"))
                return


def community_id(saddr, daddr, sport, dport, proto, seed=0):
    """Community ID v1, written from the specification for this check."""
    a = ipaddress.ip_address(saddr).packed
    b = ipaddress.ip_address(daddr).packed
    if (b, dport) < (a, sport):
        a, b, sport, dport = b, a, dport, sport
    data = struct.pack("!H", seed) + a + b + bytes([proto, 0]) + \
        struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def run_consistency(events):
    """Across one run's events: event.id unique; each alert names its
    handshake (tlsmon.handshake_id) and repeats its join keys; the
    Community ID is the flow's; event.duration is end - start."""
    out = []
    ids = collections.Counter(e.get("event", {}).get("id") for e in events
                              if e.get("event", {}).get("id"))
    out += [("event.id", "not unique in the run")] * sum(
        n - 1 for n in ids.values() if n > 1)
    records = {e["event"]["id"]: e for e in events
               if e.get("event", {}).get("dataset") == "tlsmon.handshake" and
               "id" in e["event"]}
    for e in events:
        net, src, dst = (e.get("network", {}), e.get("source", {}),
                         e.get("destination", {}))
        if "community_id" in net and "ip" in src and "ip" in dst:
            proto = 17 if net.get("transport") == "udp" else 6
            want = community_id(src["ip"], dst["ip"], src.get("port", 0),
                                dst.get("port", 0), proto)
            if net["community_id"] != want:
                out.append(("network.community_id", "not the flow's"))
        if e.get("event", {}).get("kind") != "alert":
            continue
        rec = records.get(e.get("tlsmon", {}).get("handshake_id"))
        if rec is None:
            out.append(("tlsmon.handshake_id", "names no handshake of the "
                                                "run"))
            continue
        for path in (("network", "community_id"), ("tlsmon", "flow_id"),
                     ("tls", "client", "ja3"), ("tls", "server", "ja3s"),
                     ("tls", "server", "hash", "sha256")):
            got, want = e, rec
            for k in path:
                got = got.get(k, {}) if isinstance(got, dict) else None
                want = want.get(k, {}) if isinstance(want, dict) else None
            if got != want:
                out.append((".".join(path), "differs from the handshake's"))
    return out


def captures_in(paths):
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(glob.glob(os.path.join(p, "**", "*"),
                                      recursive=True)):
                if f.endswith(CAPTURE_EXTS):
                    yield f
        else:
            yield p


def capture_args(cap):
    """captures/expected/NAME.args of the project's captures."""
    name = os.path.splitext(os.path.basename(cap))[0]
    path = os.path.join(os.path.dirname(cap), "expected", name + ".args")
    if not os.path.exists(path):
        return []
    root = os.path.dirname(os.path.dirname(os.path.abspath(cap)))
    out = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            full = os.path.join(root, line)
            out.append(full if os.path.exists(full) else line)
    return out


def events_of(tlsmon, cap, extra):
    p = subprocess.run([tlsmon, "--format", "ndjson", "--summary", *extra,
                        cap], capture_output=True, timeout=600)
    if p.returncode < 0 or p.returncode > 2:
        raise RuntimeError(f"{cap}: exit {p.returncode}: "
                           f"{p.stderr.decode('utf-8', 'replace')[-500:]}")
    return [json.loads(x) for x in p.stdout.decode("utf-8").splitlines()
            if x.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--ecs", default=DEFAULT_ECS)
    ap.add_argument("--max-violations", type=int, default=0,
                    help="pass with at most this many (default 0)")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if not os.path.exists(a.ecs):
        print(f"no ECS field table at {a.ecs}: skipped")
        return 77
    schema = Schema(a.ecs)
    by_reason = collections.Counter()
    example = {}
    n_events = n_caps = 0
    kinds = collections.Counter()
    for cap in captures_in(a.paths):
        n_caps += 1
        for extra in ([], ["--emit-certificates"]):
            try:
                events = events_of(a.tlsmon, cap, capture_args(cap) + extra)
            except (RuntimeError, subprocess.TimeoutExpired,
                    json.JSONDecodeError) as e:
                by_reason[("(run)", str(e)[:200])] += 1
                continue
            for ev in events:
                n_events += 1
                kinds[ev.get("event", {}).get("dataset")] += 1
                for v in schema.check(ev):
                    by_reason[v] += 1
                    example.setdefault(v, cap)
            for v in run_consistency(events):
                by_reason[v] += 1
                example.setdefault(v, cap)
    total = sum(by_reason.values())
    for (field, reason), n in sorted(by_reason.items(),
                                     key=lambda x: (-x[1], x[0])):
        print(f"{n:8d}  {field}: {reason}  (e.g. "
              f"{os.path.basename(example.get((field, reason), ''))})")
    print(f"{n_caps} captures, {n_events} events "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items(), key=str))}), "
          f"{total} ECS violations in {len(by_reason)} kinds")
    return 0 if total <= a.max_violations else 1


if __name__ == "__main__":
    sys.exit(main())
