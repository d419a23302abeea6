#!/usr/bin/env python3
"""byte_identical.py — do two tlsmon binaries write the same NDJSON?

For a change meant to be output-neutral (a refactoring, a move of code): runs
tlsmon A and tlsmon B over every committed capture (captures/*.pcap and
*.pcapng, with captures/expected/NAME.args, and again with --keylog where
captures/keys/NAME.keys exists) and over every peer capture under
../shared/peer-captures, and compares their standard output line by line,
byte for byte. Exit code 0 when every run is identical, 1 when any differs
(each difference is printed: capture, line, and the first differing
fields), 2 on a usage error.

No field is unique per run: event.id is derived from the flow and the sensor
(the same on every run on the same packets), there is no ingest time, and
--no-summary keeps the run statistics (timings) out of stdout. --ignore FIELD
(a dotted name, repeatable) is there for a field that one day must be; the
two runs' exit codes are compared too.

    python3 tests/e2e/byte_identical.py --a /tmp/tlsmon-main --b build/tlsmon
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from run_e2e import capture_args  # noqa: E402
from tlsmon_run import flatten  # noqa: E402

CAPTURE_EXTS = (".pcap", ".pcapng", ".cap")


def committed_runs(captures):
    caps = sorted(glob.glob(os.path.join(captures, "*.pcap")) +
                  glob.glob(os.path.join(captures, "*.pcapng")))
    for cap in caps:
        name = os.path.splitext(os.path.basename(cap))[0]
        args = capture_args(captures, name)
        yield cap, args
        keys = os.path.join(captures, "keys", name + ".keys")
        if os.path.exists(keys):
            yield cap, args + ["--keylog", keys]


def peer_runs(peer_dir):
    for f in sorted(glob.glob(os.path.join(peer_dir, "**", "*"),
                              recursive=True)):
        if f.endswith(CAPTURE_EXTS):
            yield f, []


def run(tlsmon, cap, args, timeout, fmt):
    cmd = [tlsmon, "--format", fmt, "--no-summary", *args, cap]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"timeout"
    except OSError as e:
        return None, b"", str(e).encode()
    return p.returncode, p.stdout, p.stderr


def drop(obj, dotted):
    head, _, rest = dotted.partition(".")
    if isinstance(obj, dict):
        if dotted in obj:
            del obj[dotted]
        elif head in obj and rest:
            drop(obj[head], rest)


def normalise(line, ignore):
    if not ignore:
        return line
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    for f in ignore:
        drop(obj, f)
    return json.dumps(obj, sort_keys=False, separators=(",", ":")).encode()


def explain(la, lb):
    try:
        fa, fb = flatten(json.loads(la)), flatten(json.loads(lb))
    except ValueError:
        return [f"    A: {la[:300]!r}", f"    B: {lb[:300]!r}"]
    out = []
    for k in sorted(set(fa) | set(fb)):
        if fa.get(k, "<absent>") != fb.get(k, "<absent>"):
            out.append(f"    {k}: A={fa.get(k, '<absent>')!r} "
                       f"B={fb.get(k, '<absent>')!r}")
    if not out:
        out.append("    same fields and values, different bytes "
                   "(key order or number format)")
    return out[:12]


def compare(job):
    a, b, cap, args, ignore, timeout, fmt = job
    ra, oa, ea = run(a, cap, args, timeout, fmt)
    rb, ob, eb = run(b, cap, args, timeout, fmt)
    problems = []
    if ra != rb:
        problems.append(f"  exit code A={ra} B={rb}; stderr B: "
                        f"{eb.decode('utf-8', 'replace')[-300:]!r}")
    la = [normalise(x, ignore) for x in oa.splitlines()]
    lb = [normalise(x, ignore) for x in ob.splitlines()]
    if len(la) != len(lb):
        problems.append(f"  {len(la)} lines from A, {len(lb)} from B")
    shown = 0
    for i, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            if shown < 5:
                problems.append(f"  line {i}:")
                problems += explain(x, y)
            shown += 1
    if shown > 5:
        problems.append(f"  ... {shown - 5} more differing lines")
    return cap, args, len(la), problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", required=True, help="reference tlsmon binary")
    ap.add_argument("--b", required=True, help="tlsmon binary under test")
    ap.add_argument("--captures", default=os.path.join(ROOT, "captures"))
    ap.add_argument("--peer", default=os.path.join(ROOT, "..", "shared",
                                                   "peer-captures"),
                    help="peer-capture directory (skipped if absent)")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--ignore", action="append", default=[],
                    help="dotted field name to leave out of the comparison")
    ap.add_argument("--format", default="ndjson",
                    help="tlsmon's --format for both (text compares the "
                         "text lines the same way)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    for t in (args.a, args.b):
        if not os.access(t, os.X_OK):
            print(f"byte_identical: {t} is not an executable", file=sys.stderr)
            return 2

    # Copies, so a rebuild during the run does not change what is compared.
    tmp = tempfile.mkdtemp(prefix="byte-identical-")
    args.a = shutil.copy(args.a, os.path.join(tmp, "tlsmon-a"))
    args.b = shutil.copy(args.b, os.path.join(tmp, "tlsmon-b"))
    runs = list(committed_runs(args.captures))
    if not args.no_peer:
        if os.path.isdir(args.peer):
            runs += list(peer_runs(args.peer))
        else:
            print(f"no {args.peer}: peer captures skipped")
    jobs = [(args.a, args.b, cap, extra, args.ignore, args.timeout,
             args.format)
            for cap, extra in runs]
    differ = lines = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        for cap, extra, n, problems in ex.map(compare, jobs):
            lines += n
            if problems:
                differ += 1
                label = os.path.relpath(cap, ROOT)
                if extra:
                    label += " " + " ".join(os.path.basename(x)
                                            for x in extra)
                print(f"DIFFER {label}")
                for p in problems:
                    print(p)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(jobs)} runs, {lines} {args.format} lines compared, "
          f"{len(jobs) - differ} identical, {differ} differ")
    if not jobs:
        print("byte_identical: no captures found: nothing was compared")
        return 1
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
