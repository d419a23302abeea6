#!/usr/bin/env python3
"""workers.py — --workers N on a file gives byte for byte the output of one
worker: the same records, alert events and flow ids in the same order, so
the per-server history, flood control and summary see the records in the
same sequence. Checked on every capture alone (with its expected .args),
all captures in one run (with the summary, whose per-worker split
worker_packets and the peaks flows_active_max, reassembly_bytes_max and
memory_bytes_max, sums of per-worker peaks, are left out), also as text
and with --emit-certificates, the captures merged with a host pair each
(the work really shared out, by the summary's per-worker packet counts),
and a reduced benchmark corpus (bench/gencorpus.py: many clients and
servers whose history decides diagnoses), also through --json, which is
written in decision order.

    workers.py --tlsmon PATH --captures DIR
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib  # noqa: E402
from run_e2e import capture_args  # noqa: E402
from tlsmon_run import SANITIZER_MARKS  # noqa: E402

GENCORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "bench", "gencorpus.py")

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond else f": {str(detail)[:2000]}"))


def strip(obj):
    """The summary's per-worker figures, which may differ."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items()
                if k not in ("flows_active_max", "reassembly_bytes_max",
                             "memory_bytes_max", "worker_packets")}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def run(tlsmon, workers, args, keep=False, fmt="ndjson"):
    """Output lines as written; with the summary (the last line) stripped
    of the per-worker figures unless `keep`."""
    p = subprocess.run([tlsmon, "--format", fmt, "--workers",
                        str(workers), *args], capture_output=True, text=True,
                       timeout=600)
    bad = p.returncode not in (0, 2) or any(m in p.stderr
                                            for m in SANITIZER_MARKS)
    lines = [x for x in p.stdout.splitlines() if x.strip()]
    if lines and not keep and '"tlsmon.summary"' in lines[-1]:
        lines[-1] = json.dumps(strip(json.loads(lines[-1])), sort_keys=True)
    return p.returncode, bad, p.stderr, lines


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i + 1}: {x[:300]} | {y[:300]}"
    return f"{len(a)} lines against {len(b)}"


def caps_start_ns(caps):
    """The first capture's start: merged captures keep real packet times,
    so certificate validity is judged as in the captures themselves."""
    frames = pcaplib.read_pcap(caps[0]).frames
    return frames[0].ts_ns if frames else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--alone-every", type=int, default=1, metavar="N",
                    help="the captures-alone check on every N-th capture "
                         "only (the ThreadSanitizer run, where a run costs "
                         "over a second, uses 4; the runs of all captures "
                         "together still read all of them)")
    a = ap.parse_args()
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    differ = []
    total = 0
    alone = caps[::max(1, a.alone_every)]
    for cap in alone:
        name = os.path.basename(cap)[:-5]
        args = ["--no-summary", *capture_args(a.captures, name), cap]
        rc1, bad1, err1, one = run(a.tlsmon, 1, args)
        rc3, bad3, err3, three = run(a.tlsmon, 3, args)
        total += len(one)
        if bad1 or bad3 or rc1 != rc3 or one != three:
            differ.append((name, rc1, rc3, err3[-300:],
                           first_difference(one, three)))
    check(f"every capture alone: 3 workers write byte for byte what 1 "
          f"writes ({len(alone)} captures, {total} lines)",
          not differ and total, differ[:3])

    for n in (2, 4):
        rc1, bad1, _, one = run(a.tlsmon, 1, ["--summary", *caps])
        rcn, badn, errn, many = run(a.tlsmon, n, ["--summary", *caps])
        check(f"all captures in one run, {n} workers: the same lines in the "
              f"same order, and the summary ({len(one)} lines)",
              not bad1 and not badn and rc1 == rcn and one == many,
              (errn[-500:], first_difference(one, many)))

    # Two ways a record is handed over besides the NDJSON line: a text
    # line (another output that renders before its write turn), and a
    # record pointing at the PEM the worker's next record overwrites
    # (--emit-certificates), which is decided at once, never held.
    for extra, fmt in ((["--emit-certificates"], "ndjson"), ([], "text")):
        args = ["--no-summary", *extra, *caps]
        rc1, bad1, _, one = run(a.tlsmon, 1, args, fmt=fmt)
        rc2, bad2, err2, two = run(a.tlsmon, 2, args, fmt=fmt)
        check(f"all captures in one run, 2 workers, {fmt} {' '.join(extra)}:"
              f" the same {len(one)} lines in the same order",
              one and not bad1 and not bad2 and rc1 == rc2 and one == two,
              (err2[-500:], first_difference(one, two)))

    with tempfile.TemporaryDirectory() as work:
        merged = os.path.join(work, "hosts.pcap")
        pcaplib.merge_host_pairs(caps, merged, caps_start_ns(caps))
        rc1, bad1, _, one = run(a.tlsmon, 1, ["--summary", merged])
        rc3, bad3, err3, three = run(a.tlsmon, 3, ["--summary", merged])
        _, _, _, raw = run(a.tlsmon, 3, ["--summary", merged], keep=True)
        shares = json.loads(raw[-1])["tlsmon"]["summary"]["run"].get(
            "worker_packets", []) if raw else []
        total = json.loads(one[-1])["tlsmon"]["summary"]["run"]["packets"] if one else 0
        misplaced, alerts, record = 0, 0, None
        for line in raw:
            ev = json.loads(line)
            if ev["event"]["kind"] != "alert":
                record = ev
                continue
            alerts += 1
            if not record or record["tlsmon"].get("flow_id") != \
                    ev["tlsmon"].get("flow_id") or \
                    record["event"].get("id") != \
                    ev["tlsmon"].get("handshake_id"):
                misplaced += 1
        check(f"every alert line follows "
              f"its record ({alerts} alerts)", alerts and not misplaced,
              misplaced)
        check(f"a host pair per capture, 3 workers: the same lines in the "
              f"same order, and every worker had a share ({shares})",
              not bad1 and not bad3 and rc1 == rc3 and one == three and
              len(shares) == 3 and all(shares) and sum(shares) == total,
              (err3[-500:], first_difference(one, three)))

        # The benchmark corpus, reduced: thousands of connections between
        # many clients and servers, interleaved, so that the workers decide
        # at once and the history of a server spans workers.
        corpus = os.path.join(work, "handshake.pcap")
        subprocess.run([sys.executable, GENCORPUS, "--kind", "handshake",
                        "--connections", "2000", "-o", corpus], check=True,
                       capture_output=True)
        rc1, bad1, _, one = run(a.tlsmon, 1, ["--summary", corpus])
        for n in (2, 3):
            rcn, badn, errn, many = run(a.tlsmon, n, ["--summary", corpus])
            check(f"benchmark corpus (2000 connections), {n} workers: the "
                  f"same {len(one)} lines in the same order",
                  not bad1 and not badn and rc1 == rcn and one == many,
                  (errn[-500:], first_difference(one, many)))

        # --json is written in decision order (no capture-time ordering):
        # there the workers' decisions and writes show as they happen.
        decided = {}
        for n in (1, 2):
            path = os.path.join(work, f"decided-{n}.ndjson")
            rcn, badn, errn, _ = run(a.tlsmon, n, ["--no-summary", "--json",
                                                   path, corpus])
            with open(path) as f:
                decided[n] = (rcn, badn, errn, f.read().splitlines())
        one, two = decided[1][3], decided[2][3]
        check(f"benchmark corpus, --json (decision order), 2 workers: the "
              f"same {len(one)} lines in the same order",
              one and not decided[1][1] and not decided[2][1] and
              decided[1][0] == decided[2][0] and one == two,
              (decided[2][2][-500:], first_difference(one, two)))

    p = subprocess.run([a.tlsmon, "--workers", "0", caps[0]],
                       capture_output=True, text=True)
    check("--workers 0: exit 1 with the reason", p.returncode == 1 and
          "--workers" in p.stderr, p.stderr)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
