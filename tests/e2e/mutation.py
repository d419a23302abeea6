#!/usr/bin/env python3
"""mutation.py — every capture of the project, mutated many times, must be
read without a crash, a sanitizer report or a hang, exiting 0 (read to the
end) or 2 (broke mid-way, results up to there written).

    mutation.py --tlsmon PATH --captures DIR [--rounds N] [--seed S]

A small deterministic mutator (seeded, so a failure can be replayed with
the seed and round printed) flips bits, overwrites, inserts and deletes byte
runs, and splices in bytes of another capture (every other round only flips
and overwrites, keeping the record framing intact) — always after the 24-byte
pcap file header, so the input stays a capture file and what is exercised
is the packet path. The failing input is kept next to the report."""
import argparse
import glob
import os
import random
import subprocess
import sys
import tempfile

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "AddressSanitizer:DEADLYSIGNAL")
HEADER = 24


def mutate(data, other, rng, in_place):
    """`in_place`: only flips and overwrites, which keep the file's record
    framing, so the mutations reach the packet parsers rather than the
    file reader."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if len(buf) <= HEADER + 1:
            break
        pos = rng.randrange(HEADER, len(buf))
        op = rng.randrange(2 if in_place else 5)
        if op == 0:  # flip bits
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == 1:  # overwrite a run with interesting bytes
            n = rng.randint(1, 8)
            val = rng.choice([0x00, 0xff, 0x7f, 0x80, rng.randrange(256)])
            buf[pos:pos + n] = bytes([val]) * len(buf[pos:pos + n])
        elif op == 2:  # insert random bytes
            buf[pos:pos] = bytes(rng.randrange(256)
                                 for _ in range(rng.randint(1, 32)))
        elif op == 3:  # delete a run
            del buf[pos:pos + rng.randint(1, 64)]
        else:  # splice a run of another capture in
            if len(other) > HEADER + 1:
                start = rng.randrange(HEADER, len(other))
                buf[pos:pos] = other[start:start + rng.randint(16, 512)]
    return bytes(buf)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--timeout", type=int, default=60)
    a = ap.parse_args()
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    if not caps:
        print("no captures")
        print("0 passed, 1 failed")
        return 1
    blobs = [open(c, "rb").read() for c in caps]
    work = tempfile.mkdtemp(prefix="tlsmon-mutation-")
    passed = failed = 0
    exits = {}
    for i, (cap, data) in enumerate(zip(caps, blobs)):
        for r in range(a.rounds):
            rng = random.Random(f"{a.seed}/{os.path.basename(cap)}/{r}")
            other = blobs[rng.randrange(len(blobs))]
            path = os.path.join(work, f"{i}-{r}.pcap")
            with open(path, "wb") as fp:
                fp.write(mutate(data, other, rng, in_place=r % 2 == 0))
            why = None
            try:
                p = subprocess.run([a.tlsmon, "--format", "ndjson",
                                    "--summary", path], capture_output=True,
                                   timeout=a.timeout)
                err = p.stderr.decode("utf-8", "replace")
                exits[p.returncode] = exits.get(p.returncode, 0) + 1
                if p.returncode not in (0, 2):
                    why = f"exit code {p.returncode}: {err[-1500:]}"
                elif any(m in err for m in SANITIZER_MARKS):
                    why = f"sanitizer report: {err[-3000:]}"
            except subprocess.TimeoutExpired:
                why = f"no exit within {a.timeout}s"
            if why:
                failed += 1
                print(f"FAIL {os.path.basename(cap)} round {r} (seed "
                      f"{a.seed}), input kept as {path}: {why}")
            else:
                passed += 1
                os.unlink(path)
    print("exit codes: " + ", ".join(f"{k}: {v}" for k, v in
                                    sorted(exits.items())))
    print(f"{passed} passed, {failed} failed")
    if not failed:
        os.rmdir(work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
