#!/usr/bin/env python3
"""run_e2e.py — every committed capture against its expected records.

captures/expected/NAME.json holds, per TLS connection in order of its first
packet, the facts known to be true of captures/NAME.pcap (how it was made, and
tshark's reading). Each fact is compared field by field with tlsmon's NDJSON
record; a fact given as null must be absent. Extra connections or missing ones
fail, and so does any capture without expectations.

An optional captures/expected/NAME.args gives extra tlsmon arguments, one a
line (e.g. --ca-file, then captures/certs/root-ca.pem); a line naming an
existing path relative to the repository root is made absolute.

A capture whose secrets were logged (captures/keys/NAME.keys) is also run
with --keylog on it and compared with captures/expected/NAME.keyed.json,
which must exist. pcapng captures (NAME.pcapng) are read like pcap ones."""
import argparse
import concurrent.futures
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlsmon_run import RunError, run_tlsmon  # noqa: E402


def compare_alerts(expected, actual):
    if not isinstance(actual, list) or len(actual) != len(expected):
        return f"alerts: expected {expected}, got {actual}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        for k, v in e.items():
            if a.get(k) != v:
                return f"alert {i}: {k}: expected {v!r}, got {a.get(k)!r} ({a})"
    return None


def compare(expected, actual):
    problems = []
    for key, want in expected.items():
        got = actual.get(key)
        if key == "tlsmon.alerts":
            msg = compare_alerts(want or [], got or [])
            if msg:
                problems.append(msg)
        elif got != want:
            problems.append(f"{key}: expected {want!r}, got {got!r}")
    return problems


def capture_args(captures_dir, name):
    path = os.path.join(captures_dir, "expected", name + ".args")
    if not os.path.exists(path):
        return []
    root = os.path.dirname(os.path.abspath(captures_dir))
    out = []
    with open(path) as fp:
        for line in fp:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            full = os.path.join(root, line)
            out.append(full if os.path.exists(full) else line)
    return out


def check_run(args, cap, name, label, extra):
    """(passed, report lines) for one run of tlsmon on a capture."""
    exp_path = os.path.join(args.captures, "expected", label + ".json")
    if not os.path.exists(exp_path):
        return False, [f"FAIL {label}: no expected records ({exp_path})"]
    with open(exp_path) as fp:
        expected = json.load(fp)
    try:
        records, rc, err = run_tlsmon(
            args.tlsmon, cap, capture_args(args.captures, name) + extra)
    except RunError as e:
        return False, [f"FAIL {label}: {e}"]
    if rc != 0:
        return False, [f"FAIL {label}: exit code {rc}: {err.strip()}"]
    records.sort(key=lambda r: (r.get("event.start", ""),
                                r.get("tlsmon.flow_id", 0)))
    problems = []
    if len(records) != len(expected):
        problems.append(f"{len(records)} handshakes, expected {len(expected)}")
    for i, (e, a) in enumerate(zip(expected, records)):
        problems += [f"connection {i}: {p}" for p in compare(e, a)]
    if problems:
        return False, [f"FAIL {label}:"] + [f"    {p}" for p in problems]
    return True, [f"ok   {label} ({len(records)} handshakes)"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    passed = failed = 0
    captures = sorted(glob.glob(os.path.join(args.captures, "*.pcap")) +
                      glob.glob(os.path.join(args.captures, "*.pcapng")))
    if not captures:
        print(f"no captures in {args.captures}")
        print("0 passed, 1 failed")
        return 1
    runs = []
    for cap in captures:
        name = os.path.splitext(os.path.basename(cap))[0]
        runs.append((cap, name, name, []))
        keys = os.path.join(args.captures, "keys", name + ".keys")
        if os.path.exists(keys):
            runs.append((cap, name, name + ".keyed", ["--keylog", keys]))
    # Runs are independent: side by side on every core (the valgrind stage
    # of `make test` runs this whole script under valgrind's slowdown).
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = pool.map(lambda run: check_run(args, *run), runs)
        for ok, lines in results:
            for line in lines:
                print(line)
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
