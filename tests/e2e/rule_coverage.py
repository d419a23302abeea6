#!/usr/bin/env python3
"""rule_coverage.py — every default rule fires on a real capture made for
it, and stays quiet on a similar one.

    rule_coverage.py --tlsmon PATH --captures DIR --map rule_coverage.json

The map names, per rule id, the capture it must fire on and the one it must
not fire on (NAME:keyed: run with --keylog captures/keys/NAME.keys); rules
no Debian stack can trigger are listed with the reason.
A default rule missing from the map fails the test, so a new rule comes
with its captures. Alerts are collected with --alert-window 0 (flood
control off) from each record's tlsmon.rules."""
import argparse
import json
import os
import subprocess
import sys


def rules_fired(tlsmon, captures, name, cache):
    if name in cache:
        return cache[name]
    label = name
    keyed = name.endswith(":keyed")  # run with captures/keys/NAME.keys
    if keyed:
        name = name[:-len(":keyed")]
    pcap = os.path.join(captures, name + ".pcap")
    args = []
    if keyed:
        args = ["--keylog", os.path.join("captures", "keys", name + ".keys")]
    args_file = os.path.join(captures, "expected", name + ".args")
    if os.path.exists(args_file):
        args += open(args_file).read().split()
    # args name files relative to the project root, where captures/ lives.
    root = os.path.dirname(os.path.abspath(captures))
    out = subprocess.run([os.path.abspath(tlsmon), "--format", "ndjson",
                          "--no-summary", "--alert-window", "0", *args,
                          os.path.abspath(pcap)],
                         capture_output=True, text=True, check=True,
                         cwd=root).stdout
    fired = set()
    for line in out.splitlines():
        rec = json.loads(line)
        if rec["event"]["dataset"] == "tlsmon.handshake":
            fired.update(rec.get("tlsmon", {}).get("rules", []))
    cache[label] = fired
    return fired


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--map", required=True)
    a = ap.parse_args()
    cover = json.load(open(a.map))
    untestable = cover.get("_untestable", {})
    listed = subprocess.run([a.tlsmon, "--list-rules"], capture_output=True,
                            text=True, check=True).stdout
    ids = [line.split()[0] for line in listed.splitlines() if line.strip()]
    cache = {}
    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        print(("ok   " if ok else "FAIL ") + what)
        if ok:
            passed += 1
        else:
            failed += 1

    for rid in ids:
        if rid in untestable:
            print(f"skip {rid}: {untestable[rid]}")
            continue
        entry = cover.get(rid)
        if not entry:
            report(False, f"{rid}: no capture in {a.map}")
            continue
        fires = rules_fired(a.tlsmon, a.captures, entry["fires"], cache)
        report(rid in fires, f"{rid} fires on {entry['fires']}")
        quiet = rules_fired(a.tlsmon, a.captures, entry["quiet"], cache)
        report(rid not in quiet, f"{rid} quiet on {entry['quiet']}")
    for rid in set(cover) - set(ids) - {"_comment", "_untestable"}:
        report(False, f"{rid}: in the map but not a default rule")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
