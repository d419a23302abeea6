#!/usr/bin/env python3
"""unknown_causes.py — how many failed handshakes no rule explains.

Runs tlsmon over every capture under a folder (by default the peer captures
in ../shared/peer-captures) and counts the handshake records whose outcome
is `failed` and whose cause is `unknown`. Prints the count, and with
--list each such record: capture, endpoints, stage, who ended it and how.

    python3 tests/e2e/unknown_causes.py --tlsmon build/tlsmon \
        [--captures DIR] [--list] [--max N]

Exit 0 always when it ran (it measures; --max N makes it exit 1 when the
count is above N, for CI)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlsmon_run import RunError, run_tlsmon  # noqa: E402

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz")


def captures_under(root):
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith(CAPTURE_SUFFIXES):
                yield os.path.join(dirpath, name)


def describe(rec):
    alert = rec.get("tlsmon.alert.description")
    if rec.get("tlsmon.alert.encrypted"):
        alert = "encrypted alert"
    how = (f"{rec.get('tlsmon.alert.sender')} alert {alert}" if alert else
           f"{rec.get('tlsmon.ended_by_side', '-')} "
           f"{rec.get('tlsmon.ended_by', '-')}")
    return (f"{rec.get('source.ip')}:{rec.get('source.port')} -> "
            f"{rec.get('destination.ip')}:{rec.get('destination.port')} "
            f"v{rec.get('tls.version', rec.get('tlsmon.client_hello.highest_version', '?'))} "
            f"stage={rec.get('tlsmon.failure_stage', rec.get('tlsmon.stage'))} "
            f"ended: {how}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", default=os.path.normpath(
        os.path.join(here, "..", "..", "..", "shared", "peer-captures")))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--max", type=int, default=None)
    args = ap.parse_args()
    if not os.path.isdir(args.captures):
        print(f"unknown_causes: no folder {args.captures}; nothing measured")
        return 0
    failed = unknown = files = 0
    listing = []
    for path in captures_under(args.captures):
        files += 1
        try:
            records, _, _ = run_tlsmon(args.tlsmon, path)
        except RunError as e:
            print(f"unknown_causes: {e}", file=sys.stderr)
            continue
        for rec in records:
            if rec.get("tlsmon.outcome") != "failed":
                continue
            failed += 1
            if rec.get("tlsmon.cause") == "unknown":
                unknown += 1
                listing.append(f"{os.path.relpath(path, args.captures)}: "
                               f"{describe(rec)}")
    if args.list:
        for line in listing:
            print(line)
    print(f"captures {files}, failed handshakes {failed}, "
          f"cause unknown {unknown}")
    if args.max is not None and unknown > args.max:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
