#!/usr/bin/env python3
"""attacks.py — packets per second under each hostile capture of
tests/e2e/adversarial.py, against the benign handshake-heavy corpus, and
whether each stays within a factor of it. Writes the "Under attack" section
of bench/RESULTS.md (between its markers) and exits 1 when an attack is
slower than MAX_SLOWDOWN times the benign rate.

    bench/attacks.py --tlsmon build/tlsmon [--benign FILE] [--repeat 3]

One core (taskset -c 0), medians of wall time, peak RSS from /usr/bin/time.
Without --benign it uses bench/corpus/handshake-heavy.pcap, or builds a
10 000-connection one with gencorpus.py. Timing lives here, never in a test.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import adversarial  # noqa: E402

# A packet of an attack may cost this many times a packet of real
# handshakes (which pay for certificates, rules and a 5 KB record each).
MAX_SLOWDOWN = 4.0
# Captures with fewer packets are listed, not rated: their time is mostly
# the start (nDPI's automata, the trust store).
MIN_PACKETS = 20_000
BEGIN, END = "<!-- attacks:begin -->", "<!-- attacks:end -->"


def run(tlsmon, path, memcap):
    """(seconds, packets, peak RSS KiB, run stats)"""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "RSS_KB=%M", "taskset", "-c", "0",
                        tlsmon, "--format", "ndjson", "--summary", "--memcap", memcap,
                        path], capture_output=True, timeout=1800)
    secs = time.monotonic() - t0
    rss = 0
    for line in p.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("RSS_KB="):
            rss = int(line.split("=", 1)[1])
    last = p.stdout.decode("utf-8", "replace").splitlines()[-1]
    stats = json.loads(last)["tlsmon"]["summary"]["run"]
    return secs, stats["packets"], rss, stats


def measure(tlsmon, path, memcap, repeat):
    results = [run(tlsmon, path, memcap) for _ in range(repeat)]
    secs = statistics.median(r[0] for r in results)
    return secs, results[0][1], max(r[2] for r in results), results[0][3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--benign", default=os.path.join(HERE, "corpus", "handshake-heavy.pcap"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tlsmon-attacks-")
    try:
        benign = a.benign
        if not os.path.exists(benign):
            benign = os.path.join(tmp, "benign.pcap")
            subprocess.run([sys.executable, os.path.join(HERE, "gencorpus.py"), "--kind",
                            "handshake", "--connections", "10000", "-o", benign], check=True)
        empty = os.path.join(tmp, "empty.pcap")
        adversarial.Writer(empty).close()
        start = statistics.median(run(a.tlsmon, empty, "64M")[0] for _ in range(a.repeat))
        b_secs, b_pkts, b_rss, _ = measure(a.tlsmon, benign, "512M", a.repeat)
        b_secs -= start
        b_pps = b_pkts / b_secs
        print(f"benign {os.path.basename(benign)}: {b_pkts} packets, {b_secs:.2f} s, "
              f"{b_pps:,.0f} packets/s", file=sys.stderr)
        cases = adversarial.make_cases(tmp, 1)
        rows, worst, failed = [], 0.0, []
        for name, path in cases.items():
            memcap = adversarial.INTERLEAVED_MEMCAP if name.startswith("interleaved") else "64M"
            secs, pkts, rss, stats = measure(a.tlsmon, path, memcap, a.repeat)
            secs = max(secs - start, 1e-3)
            pps = pkts / secs
            rated = pkts >= MIN_PACKETS
            slowdown = b_pps / pps
            if rated:
                worst = max(worst, slowdown)
            ok = not rated or slowdown <= MAX_SLOWDOWN
            if not ok:
                failed.append(name)
            rows.append(f"| {name} | {memcap} | {pkts:,} | {secs:.2f} | {pps:,.0f} | "
                        + (f"{slowdown:.2f}x" if rated else "(not rated)") +
                        f" | {rss // 1024} | {stats.get('memory_bytes_max', 0) >> 20} | "
                        f"{stats.get('flows_evicted', 0):,} | {'ok' if ok else 'SLOW'} |")
            print(rows[-1], file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    section = [BEGIN, "## Under attack", "",
               f"`bench/attacks.py`: packets per second of each hostile capture of "
               f"`tests/e2e/adversarial.py` against the benign handshake-heavy corpus "
               f"({b_pkts:,} packets, {b_pps:,.0f} packets/s, peak RSS {b_rss // 1024} MB), "
               f"one core, median of {a.repeat}, the start of an empty run ({start:.2f} s) "
               f"taken off every time. An attack passes when a packet costs at most "
               f"{MAX_SLOWDOWN:g} times a benign one (worst here: {worst:.2f}x); captures "
               f"of fewer than {MIN_PACKETS:,} packets are listed, not rated.", "",
               "| capture | --memcap | packets | seconds | packets/s | cost vs benign | "
               "peak RSS MB | charged peak MB | flows evicted | |",
               "|---|---|---|---|---|---|---|---|---|---|"] + rows + ["", END]
    text = open(a.results).read() if os.path.exists(a.results) else "# Benchmark results\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(section) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(section) + "\n"
    with open(a.results, "w") as fp:
        fp.write(text)
    print(f"wrote {a.results}; worst {worst:.2f}x" +
          (f"; slower than {MAX_SLOWDOWN:g}x: {', '.join(failed)}" if failed else ""),
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
