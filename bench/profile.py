#!/usr/bin/env python3
"""profile.py — where tlsmon's instructions go on a capture, by stage.

Runs tlsmon under valgrind's callgrind (instruction counts: repeatable on a
shared, loaded machine where wall times vary by 10-30 %) and sums the
inclusive counts of each stage's entry points; prints a Markdown table and
the top functions by their own (exclusive) counts.

  bench/profile.py CAPTURE [--tlsmon build/tlsmon] [--keep OUT] [--from OUT] \
      [-- tlsmon options]

The default tlsmon options are "--format ndjson" (the default rules), and
the capture's .args file beside it (bench/corpus/NAME.args) is added when
present. Stages may nest (the certificate stage runs inside the record's
emission); the table says which.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

# stage -> (functions whose inclusive counts add up to it, note)
STAGES = [
    ("reading the capture (libpcap, outside the pipeline)", ["@read"], ""),
    ("decoding (Ethernet, IP, TCP)", ["decode_packet"], ""),
    ("flow table (lookup, LRU, removal)", ["flow_lookup", "flow_touch", "flow_remove",
                                           "flow_oldest"], ""),
    ("nDPI (classify_*: ndpi_detection_process_packet, giveup)",
     ["classify_packet", "classify_finish", "classify_single"], ""),
    ("TCP reassembly and the TLS dissector (tcp_stream_* → tls_feed)",
     ["tcp_stream_segment", "tcp_stream_acked", "tcp_stream_flush", "tls_closed",
      "tls_finish"], ""),
    ("record emission (`emit`, all of the rows below)", ["emit"], ""),
    ("  certificate stage (x509_analyze_handshake)", ["x509_analyze_handshake"], "in emit"),
    ("  fingerprints (JA3, JA3S, JA4)", ["fingerprint_compute"], "in emit"),
    ("  rules and flood control", ["rules_evaluate", "alert_flood_filter"], "in emit"),
    ("  NDJSON writing (record and alert events)", ["ndjson_handshake"], "in emit"),
    ("  server history and summary", ["server_profiles_observe", "summary_add"], "in emit"),
    ("freeing a flow's state", ["release_flow_state"], ""),
]
LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?):([^\s']+)(?:'\d+)?(?:\s+\[(.*)\])?\s*$")


def annotate(out, inclusive):
    p = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                        "--threshold=100", "--auto=no", out],
                       capture_output=True, text=True, check=True,
                       cwd="/")  # from where sources resolve, it splits a function by path
    rows = []
    total = None
    for line in p.stdout.splitlines():
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            continue
        m = LINE.match(line)
        if m:
            rows.append((int(m.group(1).replace(",", "")), m.group(3), m.group(2),
                         os.path.basename(m.group(4) or "")))
    return total, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("--tlsmon", default=os.path.join(os.path.dirname(__file__), "..",
                                                      "build", "tlsmon"))
    ap.add_argument("--keep", help="keep callgrind's output file here")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--from", dest="reuse", help="read this callgrind output, run nothing")
    ap.add_argument("rest", nargs="*", help="tlsmon options (after --)")
    a = ap.parse_args()
    opts = a.rest or ["--format", "ndjson"]
    args_file = os.path.splitext(a.capture)[0] + ".args"
    if os.path.exists(args_file):
        opts += open(args_file).read().split()
    out = a.reuse or a.keep or tempfile.mktemp(prefix="callgrind.", dir="/tmp")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
           a.tlsmon, *opts, a.capture]
    if not a.reuse:
        print(f"profile: {' '.join(cmd)}", file=sys.stderr)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    total, incl = annotate(out, True)
    by_name = defaultdict(int)
    for n, fn, _, _ in incl:
        fn = fn.split(".")[0]  # emit.isra.0, decode_link.constprop.0
        by_name[fn] = max(by_name[fn], n)  # listed twice: recursion, clones
    read = by_name.get("capture_read_file_to", 0) - by_name.get("to_pipeline", 0)
    print(f"Instructions: {total:,} ({' '.join(opts)})\n")
    print("| stage | instructions | share |")
    print("|---|---|---|")
    for title, fns, note in STAGES:
        n = read if fns == ["@read"] else sum(by_name.get(f, 0) for f in fns)
        print(f"| {title} | {n:,} | {100.0 * n / total:.1f} % |")
    _, excl = annotate(out, False)
    print(f"\nTop {a.top} functions by their own instructions:\n")
    print("| function | object | instructions | share |")
    print("|---|---|---|---|")
    for n, fn, _, obj in sorted(excl, reverse=True)[:a.top]:
        print(f"| `{fn}` | {obj} | {n:,} | {100.0 * n / total:.1f} % |")
    if not a.keep and not a.reuse:
        os.unlink(out)


if __name__ == "__main__":
    main()
