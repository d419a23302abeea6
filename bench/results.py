#!/usr/bin/env python3
"""results: turn bench/run.sh's timings into the tables of bench/RESULTS.md
(the notes below the tables are kept in bench/NOTES.md and appended)."""
import argparse
import os
import statistics
import subprocess
from collections import defaultdict


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except Exception:
        return ""


ap = argparse.ArgumentParser()
ap.add_argument("--times", required=True)
ap.add_argument("--corpus", required=True)
ap.add_argument("--tlsmon", required=True)
ap.add_argument("--flows", required=True)
a = ap.parse_args()

runs = defaultdict(list)
rss = defaultdict(list)
bad = set()
order = []
for line in open(a.times):
    corp, name, us, kb, rc = line.rstrip("\n").split("|")
    if (corp, name) not in runs:
        order.append((corp, name))
    runs[corp, name].append(int(us) / 1e6)
    rss[corp, name].append(int(kb) if kb.isdigit() else 0)
    if rc != "0":
        bad.add((corp, name))

lscpu = {}
for l in sh("lscpu").splitlines():
    k, _, v = l.partition(":")
    lscpu[k.strip()] = v.strip()
print("# Benchmark results\n")
print("Written by `bench/run.sh` (corpus: `bench/make-corpus.sh`). One core "
      "(`taskset -c 0`; the `--workers 2` rows two, `taskset -c 0,1`), runs "
      "interleaved, wall-time medians, peak RSS from `/usr/bin/time`. "
      "`tlsmon ndjson` runs the default rules (built in); `--no-rules` "
      "shows what they cost.\n")
print("## Machine\n")
print(f"- CPU: {lscpu.get('Model name', '?')}, {lscpu.get('CPU(s)', '?')} CPUs, "
      f"L2 {lscpu.get('L2 cache', '?')}, L3 {lscpu.get('L3 cache', '?')}")
mem = sh("free -g | awk '/Mem/{print $2}'")
kern = sh("uname -srm")
print(f"- Kernel: {kern}; memory {mem} GiB")
tv, ccv = sh(a.tlsmon + " -V"), sh("cc --version | head -1")
print(f"- tlsmon {tv}; compiler {ccv}")
def ver(pkg):
    return sh("dpkg-query -W -f='${Version}' " + pkg) or "absent"


print(f"- libpcap {ver('libpcap0.8')}, nDPI {ver('libndpi4.2')}, "
      f"tshark {ver('tshark')}, ssldump {ver('ssldump')}, "
      f"ndpiReader (libndpi-bin) {ver('libndpi-bin')}")
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"- Load average when the run ended: {load} "
      "(a shared machine: other work can run beside the benchmark).\n")

for corp in ("handshake-heavy", "bulk-heavy"):
    path = os.path.join(a.corpus, corp + ".pcap")
    size = os.path.getsize(path) if os.path.exists(path) else 0
    fl = open(os.path.join(a.flows, corp + ".flows")).read().split()
    packets, flows = int(fl[0]), int(fl[2])
    print(f"## {corp}\n")
    print(f"{flows} connections, {packets} packets, {size / 1e6:.0f} MB.\n")
    med = {n: statistics.median(runs[c, n]) for c, n in order if c == corp}
    fr, ff = med.get("floor_read"), med.get("floor_flow")
    print("| program | runs | median s | x floor_read | x floor_flow | connections/s | packets/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for c, n in order:
        if c != corp:
            continue
        m = med[n]
        flag = " (exit≠0)" if (c, n) in bad else ""
        print(f"| {n}{flag} | {len(runs[c, n])} | {m:.3f} | {m / fr:.2f} | {m / ff:.2f} | "
              f"{flows / m:,.0f} | {packets / m:,.0f} | {max(rss[c, n]) / 1024:.0f} |")
    t = med.get("tlsmon ndjson")
    two = med.get("tlsmon ndjson --workers 2")
    print()
    if two:
        print(f"`--workers 2` on two cores: **{t / two:.2f}x** the throughput "
              f"of one worker on one core.\n")
    if corp == "handshake-heavy":
        print(f"Targets: ≥ 100 000 handshakes/s with NDJSON: **{flows / t:,.0f}/s** "
              f"({'holds' if flows / t >= 100000 else 'does not hold'}); "
              f"≤ 2.5x floor_flow: **{t / ff:.2f}x** "
              f"({'holds' if t / ff <= 2.5 else 'does not hold'})", end="")
        if "ndpiReader" in med:
            print(f"; ≥ 5x faster than ndpiReader: **{med['ndpiReader'] / t:.2f}x**", end="")
        if "tshark TLS fields" in med:
            print(f"; ≥ 50x faster than tshark: **{med['tshark TLS fields'] / t:.1f}x**", end="")
        print(".\n")
    else:
        print(f"Target: ≤ 1.5x floor_read: **{t / fr:.2f}x** "
              f"({'holds' if t / fr <= 1.5 else 'does not hold'}).\n")

notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
if os.path.exists(notes):
    print(open(notes).read())
