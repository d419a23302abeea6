#!/usr/bin/env python3
"""results: turn bench/run.sh's timings into the tables of bench/RESULTS.md
(the notes below the tables are kept in bench/NOTES.md and appended)."""
import argparse
import json
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
cpu = defaultdict(list)
rss = defaultdict(list)
bad = set()
order = []
for line in open(a.times):
    corp, name, us, kb, rc, *rest = line.rstrip("\n").split("|")
    if (corp, name) not in runs:
        order.append((corp, name))
    runs[corp, name].append(int(us) / 1e6)
    if rest and rest[0]:
        cpu[corp, name].append(float(rest[0]))
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

TITLES = {
    "diverse": "diverse (shaped like a real network: bench/gendiverse.py)",
    "handshake-heavy": "handshake-heavy (the earlier corpus: the committed captures replayed)",
    "bulk-heavy": "bulk-heavy",
}


def pct(n, total):
    return f"{100.0 * n / total:.1f} %" if total else "-"


def diverse_model(path):
    """What the diverse corpus is made of, from gendiverse.py --stats."""
    try:
        st = json.load(open(path))
    except (OSError, ValueError):
        return
    n = st["connections"]
    print("What it models (measured in the file, `bench/corpus/diverse.json`):\n")
    print("| property | value |")
    print("|---|---|")
    kinds = ", ".join(f"{k} {pct(v, n)}" for k, v in st["kinds"].items())
    print(f"| connections by kind | {kinds} |")
    print("| TLS versions | " + ", ".join(f"{k} {pct(v, n)}" for k, v in
                                        sorted(st["versions"].items(), key=lambda kv: -kv[1])) + " |")
    print("| cipher suites | " + ", ".join(f"{k} {pct(v, n)}" for k, v in st["ciphers"].items()) + " |")
    print(f"| resumed (PSK ticket, TLS 1.2 ticket, session ID) | {pct(st['resumed_share'] * n, n)} |")
    print(f"| failed (alerts, resets, no answer) | {pct(st['failed_share'] * n, n)} |")
    print(f"| server chains | {st['chains_used']:,} used of {st['template_chains']:,} made; "
          f"{st['chains_visible']:,} distinct chains in the clear (TLS 1.2 full handshakes, "
          f"{pct(st['visible_share'] * n, n)} of connections) |")
    print(f"| chain popularity | Zipf, exponent {st['zipf']}: the most used chain "
          f"{pct(st['top_chain_share'] * n, n)} of connections, the top ten "
          f"{pct(st['top10_chains_share'] * n, n)} |")
    keys = st["visible_chain_keys"]
    print("| chains in the clear by leaf key | " + ", ".join(
        f"{k} {pct(v, sum(keys.values()))}" for k, v in keys.items()) + " |")
    lens = st["visible_chain_lengths"]
    print("| certificates per chain sent | " + ", ".join(
        f"{k}: {pct(v, sum(lens.values()))}" for k, v in sorted(lens.items())) + " |")
    spc, spw = st["snis_per_chain"], st["snis_per_wildcard_chain"]
    print(f"| server names (SNI) | {st['distinct_snis']:,} distinct; per chain median "
          f"{spc['p50']}, p90 {spc['p90']}, p99 {spc['p99']}, max {spc['max']:,}; "
          f"{spc['chains_with_1000_or_more']} chains with ≥ 1 000 names, "
          f"{spc['chains_with_100_or_more']} with ≥ 100; {spw['chains']:,} wildcard chains "
          f"(median {spw['p50']} names) |")
    print("| client programs | " + ", ".join(f"{k} {pct(v, n)}" for k, v in
                                            sorted(st["client_stacks"].items(), key=lambda kv: -kv[1])) + " |")
    print(f"| clients, rate | {st['clients']:,} client addresses; "
          f"{st['rate_per_s']:,.0f} new connections per second of capture time; "
          f"round-trip times log-normal, median 20 ms |")
    qt = st.get("quic_templates", {})
    print(f"| QUIC | {pct(st['kinds'].get('quic', 0), n)} of connections, from "
          f"{len(qt)} conversations of the quic-* captures (ngtcp2; a completed "
          f"handshake 4x as likely as each failing one) |")
    print()


corpora = []
for c, _ in order:
    if c not in corpora:
        corpora.append(c)
for corp in corpora:
    path = os.path.join(a.corpus, corp + ".pcap")
    size = os.path.getsize(path) if os.path.exists(path) else 0
    fl = open(os.path.join(a.flows, corp + ".flows")).read().split()
    packets, flows = int(fl[0]), int(fl[2])
    print(f"## {TITLES.get(corp, corp)}\n")
    print(f"{flows} connections, {packets} packets, {size / 1e6:.0f} MB.\n")
    if corp == "diverse":
        diverse_model(os.path.join(a.corpus, "diverse.json"))
    med = {n: statistics.median(runs[c, n]) for c, n in order if c == corp}
    fr, ff = med.get("floor_read"), med.get("floor_flow")
    cmed = {n: statistics.median(cpu[c, n]) for c, n in order if c == corp and cpu[c, n]}
    cfr, cff = cmed.get("floor_read"), cmed.get("floor_flow")
    print("| program | runs | median s | x floor_read | x floor_flow | connections/s | packets/s "
          "| CPU s | CPU x floor_flow | connections/CPU s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for c, n in order:
        if c != corp:
            continue
        m = med[n]
        cm = cmed.get(n)
        flag = " (exit≠0)" if (c, n) in bad else ""
        cpu_cols = (f"{cm:.2f} | {cm / cff:.2f} | {flows / cm:,.0f}" if cm and cff
                    else "- | - | -")
        print(f"| {n}{flag} | {len(runs[c, n])} | {m:.3f} | {m / fr:.2f} | {m / ff:.2f} | "
              f"{flows / m:,.0f} | {packets / m:,.0f} | {cpu_cols} | {max(rss[c, n]) / 1024:.0f} |")
    t = med.get("tlsmon ndjson")
    two = med.get("tlsmon ndjson --workers 2")
    print()
    old = med.get("tlsmon ndjson (compared)")
    if old:
        cold, cnew = cmed.get("tlsmon ndjson (compared)"), cmed.get("tlsmon ndjson")
        print(f"This build against the compared binary (`COMPARE`): **{old / t:.2f}x** "
              f"the throughput in wall time" +
              (f", **{cold / cnew:.2f}x** in CPU time" if cold and cnew else "") + ".\n")
    if two:
        print(f"`--workers 2` on two cores: **{t / two:.2f}x** the throughput "
              f"of one worker on one core.\n")
    if corp != "bulk-heavy":
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
        print(f"Target: ≤ 1.2x floor_read: **{t / fr:.2f}x** "
              f"({'holds' if t / fr <= 1.2 else 'does not hold'}).\n")

notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
if os.path.exists(notes):
    print(open(notes).read())
