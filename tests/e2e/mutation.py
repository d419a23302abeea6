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
is the packet path.

Mutated files are given to tlsmon in batches (one run reads --batch files,
each a mutation of a different capture), because starting tlsmon (nDPI's
tables, the rules) costs more than reading a small capture, several times
more under the sanitizers. A batch that fails is run again file by file, so
the report names the input that fails alone; an input is kept next to the
report (a batch that fails only as a whole is kept whole, with the command
that replays it)."""
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


def run_once(tlsmon, paths, timeout):
    """(exit code or None on a hang, why it failed or None)."""
    try:
        p = subprocess.run([tlsmon, "--format", "ndjson", "--summary",
                            *paths], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"no exit within {timeout}s"
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 2):
        return p.returncode, f"exit code {p.returncode}: {err[-1500:]}"
    if any(m in err for m in SANITIZER_MARKS):
        return p.returncode, f"sanitizer report: {err[-3000:]}"
    return p.returncode, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--batch", type=int, default=16,
                    help="mutated files per tlsmon run (1: one run each)")
    ap.add_argument("--timeout", type=int, default=60,
                    help="seconds a run of one file may take (a batch: twice)")
    a = ap.parse_args()
    batch_size = max(1, a.batch)
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    if not caps:
        print("no captures")
        print("0 passed, 1 failed")
        return 1
    blobs = [open(c, "rb").read() for c in caps]
    work = tempfile.mkdtemp(prefix="tlsmon-mutation-")
    passed = failed = runs = 0
    exits = {}
    # Round by round, so that a batch holds mutations of different
    # captures (different connections), as a run over a folder would.
    inputs = [(i, r) for r in range(a.rounds) for i in range(len(caps))]
    for start in range(0, len(inputs), batch_size):
        batch = []
        for i, r in inputs[start:start + batch_size]:
            rng = random.Random(f"{a.seed}/{os.path.basename(caps[i])}/{r}")
            other = blobs[rng.randrange(len(blobs))]
            path = os.path.join(work, f"{i}-{r}.pcap")
            with open(path, "wb") as fp:
                fp.write(mutate(blobs[i], other, rng, in_place=r % 2 == 0))
            batch.append((caps[i], r, path))
        paths = [b[2] for b in batch]
        runs += 1
        rc, why = run_once(a.tlsmon, paths, a.timeout * 2)
        exits[rc] = exits.get(rc, 0) + 1
        if why is None:
            passed += len(batch)
            for path in paths:
                os.unlink(path)
            continue
        alone = []
        for cap, r, path in batch:
            runs += 1
            alone.append((cap, r, path, run_once(a.tlsmon, [path],
                                                 a.timeout)[1]))
        if any(w for *_, w in alone):
            for cap, r, path, why1 in alone:
                if why1:
                    failed += 1
                    print(f"FAIL {os.path.basename(cap)} round {r} (seed "
                          f"{a.seed}), input kept as {path}: {why1}")
                else:
                    passed += 1
                    os.unlink(path)
        else:
            # Only the batch as a whole fails: state carried from one file
            # to the next is part of what breaks. All of it is kept.
            failed += 1
            print(f"FAIL a batch of {len(batch)} files (seed {a.seed}), "
                  f"each passes alone; replay: {a.tlsmon} --format ndjson "
                  f"--summary {' '.join(paths)}: {why}")
    print(f"{len(inputs)} mutated inputs in {runs} runs; exit codes of the "
          f"batch runs: " + ", ".join(f"{k}: {v}" for k, v in
                                      sorted(exits.items(), key=str)))
    print(f"{passed} passed, {failed} failed")
    if not failed:
        os.rmdir(work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
