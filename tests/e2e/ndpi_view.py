#!/usr/bin/env python3
"""ndpi_view.py — where nDPI's readings of the SNI and the TLS version
(tlsmon.ndpi.server_name, tlsmon.ndpi.tls_version) differ from tlsmon's own
on the project's captures, and why; and that nDPI stops at the ClientHello.

    ndpi_view.py --tlsmon PATH --captures DIR

tlsmon's dissector is the one the record trusts; nDPI's readings are kept
beside it. Over TCP, a flow whose first payload is a ClientHello that
tlsmon read with a server name is not given to nDPI at all: its answer
(tlsmon.ndpi.protocol, app, category) comes from that name through nDPI's
host list (analyzer/classify.c, classify_tls_by_name), and it has no
readings (no server name, version or risks: kind "named-from-sni"). A
hello with a name that nDPI did see (split over segments, after other
payload) stops nDPI there (analyzer/pipeline.c): none of the risks nDPI
derives from the server's messages (SERVER_RISKS) may appear then. nDPI's version
reading is compared with the ClientHello's (tlsmon.client_hello.version)
when tlsmon read one, else with tls.version: nDPI takes the version from
the first hello it reads and replaces it with the ServerHello's, so a record
whose nameless hello let nDPI read on is a kind of its own. Every difference must fall in one of
the explained kinds below, else the test fails (a new kind is a finding to
explain, in tlsmon or in nDPI). The counts per kind are printed."""
import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlsmon_run import RunError, run_tlsmon  # noqa: E402

# nDPI 4.2 keeps the SNI in host_server_name[80]: ndpi_hostname_sni_set()
# copies the last 79 bytes of a longer name, lowercased.
NDPI_SNI_MAX = 79

KINDS = {
    "offered-as-negotiated": "no ServerHello: nDPI reports the version the "
                             "ClientHello offered, tlsmon no negotiated "
                             "version",
    "client-hello-version-kept": "nDPI 4.2 reads a ServerHello's version only "
                                 "from its supported_versions extension (TLS "
                                 "1.3); a server choosing 1.1 or older leaves "
                                 "nDPI with the ClientHello's legacy_version",
    "hrr-as-server-hello": "nDPI takes a HelloRetryRequest for a ServerHello "
                           "and reports its selected version (1.3); tlsmon "
                           "reports a version only from a ServerHello "
                           "(tlsmon.hrr says TLS 1.3 was chosen)",
    "named-from-sni": "over TCP, a first payload that is a ClientHello "
                      "with a server name: nDPI reads none of the flow, "
                      "its answer comes from the name tlsmon read (nDPI's "
                      "host list), so it has no readings to compare",
    "sni-tail-kept": "an SNI longer than 79 bytes: nDPI keeps its last 79 "
                     "bytes (host_server_name[80])",
    "nameless-hello-read-on": "a ClientHello without a server name: nDPI "
                              "reads on (it names the application from the "
                              "certificate then) and reports the "
                              "ServerHello's version",
    "after-starttls": "nDPI 4.2 classifies the plaintext protocol and does "
                      "not read the TLS handshake after a STARTTLS upgrade",
    "smtp-ehlo-name": "nDPI stores the SMTP EHLO name as the server name of "
                      "a session that never reached TLS",
    "greeting-first": "the server greeted in another protocol (an SSH "
                      "banner) before the ClientHello: nDPI's verdict is "
                      "that protocol, taken before the hello, which it "
                      "does not read",
    "quic-without-server-hello": "QUIC without a ServerHello: nDPI reports "
                                 "TLS 1.3 (what QUIC always runs), tlsmon no "
                                 "negotiated version",
    "quic-version-unknown-to-ndpi": "nDPI 4.2 does not open the Initial "
                                    "packets of this QUIC version (v2-draft, "
                                    "0x709a50c4)",
}

VERSION_ORDER = ["ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3"]

# nDPI 4.2's risks from the ServerHello and the certificate (ndpi_risk2str
# names): nDPI never sees those messages of a flow whose ClientHello tlsmon
# read. tlsmon's own fields say the same things (README, "nDPI's view").
SERVER_RISKS = {
    "Weak TLS Cipher", "TLS Certificate Validity Too Long",
    "TLS Expired Certificate", "TLS Certificate About To Expire",
    "TLS Certificate Mismatch", "Self-signed Certificate",
    "Malicious SSL Cert/SHA1 Fingerprint",
}


def sni_kind(sni, nsni):
    """The explained kind of an SNI difference, None when they agree."""
    if sni == nsni:
        return None
    if sni is not None and nsni is not None and len(sni) > NDPI_SNI_MAX and \
            nsni == sni.lower()[-NDPI_SNI_MAX:]:
        return "sni-tail-kept"
    return "unexplained"


def version_kind(r, ver, nver):
    """The explained kind of a version difference, None when they agree."""
    if ver == nver:
        return None
    offered = r.get("tlsmon.client_hello.version")
    if ver is None and nver is not None:
        if r.get("tlsmon.hrr") and nver == "1.3":
            return "hrr-as-server-hello"
        if offered == nver:
            return "offered-as-negotiated"
    if ver in VERSION_ORDER and offered in VERSION_ORDER and \
            VERSION_ORDER.index(ver) < VERSION_ORDER.index("1.2") and \
            nver == offered:
        return "client-hello-version-kept"
    return "unexplained"


def kinds_of(r):
    """Every kind of difference on record r (empty when nDPI agrees)."""
    sni, nsni = r.get("tls.client.server_name"), r.get("tlsmon.ndpi.server_name")
    hello_ver = r.get("tlsmon.client_hello.version")
    nver = r.get("tlsmon.ndpi.tls_version")
    # Over TCP nDPI stops at a hello with a name: its version is the
    # hello's. A nameless hello lets it read on to the ServerHello, and so
    # does QUIC and DTLS over UDP (analyzer/pipeline.c stops it in the TCP
    # path only).
    stops = r.get("network.transport") == "tcp" and hello_ver is not None \
        and bool(sni)
    if stops and nsni is None and nver is None and \
            not r.get("tlsmon.starttls") and not r.get("tlsmon.ndpi.risks"):
        # Not given to nDPI: no readings at all, and still nDPI's name for
        # a TLS flow (for a server that answered in another protocol, the
        # record names what it answered: tlsmon.ndpi.protocol).
        named = (r.get("tlsmon.ndpi.protocol") or "").split(".")[0] == "TLS"
        if named or r.get("tlsmon.outcome") == "not_tls":
            return ["named-from-sni"]
    if stops and SERVER_RISKS & set(r.get("tlsmon.ndpi.risks") or []):
        return ["unexplained"]  # nDPI read past the ClientHello
    read_on = not stops
    ver = r.get("tls.version") if read_on else hello_ver
    if sni == nsni and ver == nver:
        if hello_ver is not None and not sni and hello_ver != nver and \
                r.get("network.transport") == "tcp":
            return ["nameless-hello-read-on"]
        return []
    if r.get("tlsmon.starttls"):
        if r.get("tlsmon.outcome") == "refused" and sni is None and \
                r.get("tlsmon.starttls") == "smtp" and ver is None:
            return ["smtp-ehlo-name"]
        if nver is None and (nsni is None or nsni == sni):
            return ["after-starttls"]
    if r.get("tlsmon.outcome") == "not_tls" and nsni is None and \
            nver is None and r.get("tlsmon.ndpi.protocol") not in ("TLS", None):
        return ["greeting-first"]
    if r.get("tlsmon.protocol") == "quic":
        if sni == nsni and ver is None and nver == "1.3":
            return ["quic-without-server-hello"]
        if nsni is None and nver is None and \
                r.get("tlsmon.quic.version") == "2-draft":
            return ["quic-version-unknown-to-ndpi"]
    kinds = [k for k in (sni_kind(sni, nsni), version_kind(r, ver, nver)) if k]
    return ["unexplained"] if "unexplained" in kinds else kinds


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
            kinds = kinds_of(r)
            if not kinds:
                counts["same"] = counts.get("same", 0) + 1
                continue
            for k in kinds:
                counts[k] = counts.get(k, 0) + 1
            if "unexplained" in kinds:
                failed += 1
                print(f"FAIL {os.path.basename(pcap)}: tlsmon "
                      f"{r.get('tls.client.server_name')!r}/"
                      f"{r.get('tls.version')!r} (hello "
                      f"{r.get('tlsmon.client_hello.version')!r}), nDPI "
                      f"{r.get('tlsmon.ndpi.server_name')!r}/"
                      f"{r.get('tlsmon.ndpi.tls_version')!r}, risks "
                      f"{r.get('tlsmon.ndpi.risks')!r}")
    for k, n in sorted(counts.items()):
        print(f"{n:5d}  {k}: {KINDS.get(k, 'nDPI and tlsmon agree')}"
              if k != "unexplained" else f"{n:5d}  unexplained")
    # The captures' plain TLS clients all open with a named hello: nDPI
    # must have been spared them.
    if not counts.get("named-from-sni"):
        failed += 1
        print("FAIL no record named from the SNI without nDPI reading the "
              "hello (analyzer/pipeline.c, classify_tls_hello)")
    print(f"{counts.get('same', 0)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
