#!/usr/bin/env python3
"""ndpi_view.py — where nDPI's readings of the SNI and the TLS version
(tlsmon.ndpi.server_name, tlsmon.ndpi.tls_version) differ from tlsmon's own
(tls.client.server_name, tls.version) on the project's captures, and why.

    ndpi_view.py --tlsmon PATH --captures DIR

tlsmon's dissector is the one the record trusts; nDPI's readings are kept
beside it. Every difference must fall in one of the explained kinds below,
else the test fails (a new kind is a finding to explain, in tlsmon or in
nDPI). The counts per kind are printed."""
import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlsmon_run import RunError, run_tlsmon  # noqa: E402

KINDS = {
    "offered-as-negotiated": "no ServerHello: nDPI reports the version the "
                             "ClientHello offered, tlsmon no negotiated "
                             "version",
    "after-starttls": "nDPI 4.2 classifies the plaintext protocol and does "
                      "not read the TLS handshake after a STARTTLS upgrade",
    "smtp-ehlo-name": "nDPI stores the SMTP EHLO name as the server name of "
                      "a session that never reached TLS",
    "greeting-first": "the server greeted in another protocol (an SSH "
                      "banner) before the ClientHello: nDPI's verdict is "
                      "that protocol, taken before the hello, which it "
                      "does not read",
}


def kind_of(r):
    sni, nsni = r.get("tls.client.server_name"), r.get("tlsmon.ndpi.server_name")
    ver, nver = r.get("tls.version"), r.get("tlsmon.ndpi.tls_version")
    if sni == nsni and ver == nver:
        return None
    if r.get("tlsmon.starttls"):
        if r.get("tlsmon.outcome") == "refused" and sni is None and \
                r.get("tlsmon.starttls") == "smtp" and ver is None:
            return "smtp-ehlo-name"
        if nver is None and (nsni is None or nsni == sni):
            return "after-starttls"
    if r.get("tlsmon.outcome") == "not_tls" and nsni is None and \
            nver is None and r.get("tlsmon.ndpi.protocol") not in ("TLS", None):
        return "greeting-first"
    if sni == nsni and ver is None and nver is not None and \
            r.get("tlsmon.client_hello.version") == nver:
        return "offered-as-negotiated"
    return "unexplained"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    a = ap.parse_args()
    counts = {}
    failed = 0
    for pcap in sorted(glob.glob(os.path.join(a.captures, "*.pcap"))):
        try:
            records, _, _ = run_tlsmon(a.tlsmon, pcap)
        except RunError as e:
            print(f"FAIL {e}")
            failed += 1
            continue
        for r in records:
            k = kind_of(r)
            if k is None:
                counts["same"] = counts.get("same", 0) + 1
                continue
            counts[k] = counts.get(k, 0) + 1
            if k == "unexplained":
                failed += 1
                print(f"FAIL {os.path.basename(pcap)}: tlsmon "
                      f"{r.get('tls.client.server_name')!r}/"
                      f"{r.get('tls.version')!r}, nDPI "
                      f"{r.get('tlsmon.ndpi.server_name')!r}/"
                      f"{r.get('tlsmon.ndpi.tls_version')!r}")
    for k, n in sorted(counts.items()):
        print(f"{n:5d}  {k}: {KINDS.get(k, 'nDPI and tlsmon agree')}"
              if k != "unexplained" else f"{n:5d}  unexplained")
    print(f"{counts.get('same', 0)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
