#!/usr/bin/env python3
"""flow_memory.py — bytes tlsmon holds per flow while a handshake is open.

The first frames of a real handshake (captures/*.pcap) are replayed as
N connections at once, each on a host pair of its own, frame 1 of every
connection, then frame 2 of every one, and so on, so that all N are open
when the last frame is read; no connection finishes. tlsmon's summary
reports the peak of the memory it charges to --memcap (flows, reassembly,
dissectors, nDPI's flow state); the figure per flow is the difference
between a run with N and one with N/2 connections, divided by N/2, so
that what a run holds whatever the traffic (tables, caches) cancels out.

    bench/flow_memory.py --tlsmon build/tlsmon [--capture C] [-n N]

Prints one row per cut: after the ClientHello, and after the server's
first flight (every frame up to the client's second flight)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import pcaplib as P  # noqa: E402


def payload_frames(cap, server_port):
    """Indexes of the frames that carry TCP payload, with who sent them."""
    out = []
    for i, p in enumerate(P.decode_capture(cap)):
        if p.tcp is not None and p.tcp.payload:
            out.append((i, p.tcp.sport == server_port))
    return out


def cuts(cap, server_port):
    """{label: number of frames to keep} for the two cuts."""
    sent = payload_frames(cap, server_port)
    first_client = next(i for i, from_server in sent if not from_server)
    first_server = next((i for i, from_server in sent if from_server), None)
    after_server = None
    if first_server is not None:
        after_server = next((i for i, from_server in sent
                             if not from_server and i > first_server), None)
    out = {"after the ClientHello": first_client + 1}
    if after_server is not None:
        out["after the server's first flight"] = after_server
    return out


def replay(cap, keep, n, server_port, path):
    frames = cap.frames[:keep]
    t0 = frames[0].ts_ns
    out = []
    for k, fr in enumerate(frames):
        for c in range(n):
            data = P.host_pair(fr.data, c + 1, server_port)
            # 1 µs apart: all connections open within the flow timeout.
            out.append(P.Frame(t0 + (k * n + c) * 1000, data,
                               len(data) + fr.orig_len - len(fr.data)))
    P.write_pcap(path, cap.linktype, out, snaplen=max(cap.snaplen, 65535))


def peak_memory(tlsmon, path):
    p = subprocess.run([tlsmon, "--format", "ndjson", "--summary", path],
                       capture_output=True, text=True, check=False)
    last = [x for x in p.stdout.splitlines() if x.strip()][-1]
    return json.loads(last)["tlsmon"]["summary"]["run"]["memory_bytes_max"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--capture",
                    default=os.path.join(ROOT, "captures",
                                         "cert-ecdsa-tls12.pcap"))
    ap.add_argument("-n", type=int, default=2000)
    a = ap.parse_args()
    cap = P.read_pcap(a.capture)
    server_port = P.server_port_of(cap)
    print(f"{os.path.basename(a.capture)}, {a.n} connections open at once")
    print("| cut | bytes per open handshake |")
    print("|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for label, keep in cuts(cap, server_port).items():
            peaks = []
            for n in (a.n // 2, a.n):
                path = os.path.join(work, f"{n}.pcap")
                replay(cap, keep, n, server_port, path)
                peaks.append(peak_memory(a.tlsmon, path))
            per_flow = (peaks[1] - peaks[0]) / (a.n - a.n // 2)
            print(f"| {label} | {per_flow:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
