"""bench_corpus.py — a small run of the benchmark corpus generators
(bench/gencorpus.py, and as root bench/make-templates.sh with
bench/gendiverse.py): the same seed makes the same bytes; tlsmon reads every
replicated connection as its own flow, without gaps, QUIC conversations
too; the diverse corpus has the kinds it is meant to have, and its
rewritten names stay valid for the chains that serve them; and, with the
counting allocator shim (tests/alloc_count.c, plain builds only), ten times
more bypassed application-data packets (TLS records, QUIC 1-RTT datagrams)
cost no more allocations."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from tlsmon_run import run_tlsmon

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "bench", "gencorpus.py")
DIVERSE = os.path.join(ROOT, "bench", "gendiverse.py")
TEMPLATES = os.path.join(ROOT, "bench", "make-templates.sh")


def diverse(tlsmon, tmp):
    """A small diverse corpus from real handshakes captured now (8 chains,
    ~40 connections), replayed 400 times. Returns the number of failures."""
    tpl = os.path.join(tmp, "templates")
    p = subprocess.run([TEMPLATES, tpl], env=dict(os.environ, CHAINS="8"),
                       capture_output=True, text=True, timeout=240)
    if p.returncode != 0:
        print(f"FAIL: make-templates.sh: {p.stderr[-2000:]}")
        return 1
    failures = 0
    out = []
    for name in ("d1.pcap", "d2.pcap"):
        path = os.path.join(tmp, name)
        subprocess.run([sys.executable, DIVERSE, "--templates", tpl, "--connections", "400",
                        "-o", path, "--stats", path + ".json"],
                       check=True, capture_output=True)
        out.append(open(path, "rb").read())
    if out[0] != out[1]:
        print("FAIL: diverse: same seed and templates, different corpus")
        failures += 1
    stats = json.load(open(os.path.join(tmp, "d1.pcap.json")))
    manifest = json.load(open(os.path.join(tpl, "manifest.json")))
    domains = {c["id"]: c["domain"] for c in manifest["chains"]}
    captured = {t["sni"] for t in manifest["templates"]}
    recs, rc, err = run_tlsmon(tlsmon, os.path.join(tmp, "d1.pcap"),
                               extra=("--ca-file", os.path.join(tpl, "roots.pem")))
    flows = {(r["source.ip"], r["source.port"], r["destination.ip"]) for r in recs}
    gaps = sum(1 for r in recs if r.get("tlsmon.gaps"))
    if rc != 0 or len(recs) != 400 or len(flows) != 400 or gaps:
        print(f"FAIL: diverse corpus: rc {rc}, {len(recs)} records, {len(flows)} flows, "
              f"{gaps} with gaps")
        failures += 1
    seen = {}
    for r in recs:
        k = (r.get("tls.version"), r.get("tls.resumed"), r.get("tlsmon.outcome"))
        seen[k] = seen.get(k, 0) + 1
    for want in (("1.3", False, "established"), ("1.3", True, "established"),
                 ("1.2", False, "established"), ("1.2", True, "established")):
        if not seen.get(want):
            print(f"FAIL: diverse corpus has no {want} handshake: {seen}")
            failures += 1
    failed = sum(v for (_, _, o), v in seen.items() if o != "established")
    if not 0 < failed < 60:
        print(f"FAIL: diverse corpus: {failed} of 400 failed, {stats['kinds']}")
        failures += 1
    # The QUIC share: the quic-* captures' conversations as they are (their
    # names are the captures', not a chain's), each one a record.
    quic = [r for r in recs if r.get("network.protocol") == "quic"]
    if not quic or len(quic) != stats["kinds"].get("quic"):
        print(f"FAIL: diverse corpus: {len(quic)} QUIC records, "
              f"{stats['kinds'].get('quic')} QUIC connections made")
        failures += 1
    # Names rewritten under a wildcard chain: still the chain's, and the
    # certificate tlsmon checks them against (in the clear in TLS 1.2) agrees.
    rewritten = [r for r in recs if r.get("tls.client.server_name") not in captured
                 and r.get("network.protocol") != "quic"]
    bad = [r["tls.client.server_name"] for r in rewritten
           if not any(r["tls.client.server_name"].endswith("." + d) for d in domains.values())]
    checked = [r for r in rewritten if r.get("tlsmon.certificate.visible")]
    wrong = [r["tls.client.server_name"] for r in checked
             if r.get("tlsmon.certificate.hostname_mismatch") or
             r.get("tlsmon.certificate.untrusted")]
    if not rewritten or bad or not checked or wrong:
        print(f"FAIL: diverse names: {len(rewritten)} rewritten, outside their chain {bad[:3]}, "
              f"{len(checked)} checked against a certificate, refused {wrong[:3]}")
        failures += 1
    print(f"diverse: {len(recs)} records, {stats['distinct_snis']} names, "
          f"{stats['chains_visible']} chains in the clear, kinds {seen}")
    return failures


def gen(out, *args):
    subprocess.run([sys.executable, GEN, "-o", out, *args], check=True,
                   capture_output=True)
    with open(out, "rb") as f:
        return f.read()


def allocations(tlsmon, shim, capture):
    env = dict(os.environ, LD_PRELOAD=shim)
    p = subprocess.run([tlsmon, "--format", "ndjson", capture], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stderr.splitlines() if l.startswith("alloc_count: ")]
    assert lines, "shim printed no count"
    return int(lines[-1].split()[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--alloc-shim")
    a = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        h1 = gen(os.path.join(tmp, "h1.pcap"), "--kind", "handshake", "--connections", "300")
        h2 = gen(os.path.join(tmp, "h2.pcap"), "--kind", "handshake", "--connections", "300")
        if h1 != h2:
            print("FAIL: same seed, different corpus")
            failures += 1
        recs, rc, err = run_tlsmon(a.tlsmon, os.path.join(tmp, "h1.pcap"))
        outcomes = {}
        for r in recs:
            outcomes[r.get("tlsmon.outcome")] = outcomes.get(r.get("tlsmon.outcome"), 0) + 1
        clients = {(r["source.ip"], r["source.port"]) for r in recs}
        gaps = sum(1 for r in recs if r.get("tlsmon.gaps"))
        if rc != 0 or len(recs) != 300 or len(clients) != 300 or gaps:
            print(f"FAIL: handshake corpus: rc {rc}, {len(recs)} records, "
                  f"{len(clients)} clients, {gaps} with gaps")
            failures += 1
        if not outcomes.get("established") or not outcomes.get("failed"):
            print(f"FAIL: handshake corpus outcomes {outcomes}")
            failures += 1

        quic = os.path.join(tmp, "q.pcap")
        gen(quic, "--kind", "handshake", "--connections", "200",
            "--quic-share", "1")
        recs, rc, err = run_tlsmon(a.tlsmon, quic)
        kinds = {r.get("tlsmon.protocol") for r in recs}
        est = sum(1 for r in recs if r.get("tls.established"))
        if rc != 0 or len(recs) != 200 or kinds != {"quic"} or est < 50:
            print(f"FAIL: QUIC corpus: rc {rc}, {len(recs)} records, "
                  f"protocols {kinds}, {est} established")
            failures += 1

        small = os.path.join(tmp, "b-small.pcap")
        big = os.path.join(tmp, "b-big.pcap")
        gen(small, "--kind", "bulk", "--connections", "6", "--bulk-bytes", "100000")
        gen(big, "--kind", "bulk", "--connections", "6", "--bulk-bytes", "1000000")
        recs, rc, err = run_tlsmon(a.tlsmon, big)
        est = sum(1 for r in recs if r.get("tls.established"))
        if rc != 0 or len(recs) != 6 or est < 3:
            print(f"FAIL: bulk corpus: rc {rc}, {len(recs)} records, {est} established")
            failures += 1
        if a.alloc_shim:
            n_small = allocations(a.tlsmon, a.alloc_shim, small)
            n_big = allocations(a.tlsmon, a.alloc_shim, big)
            print(f"allocations: {n_small} (100 kB per flow) vs {n_big} (1 MB per flow)")
            if n_small != n_big:
                print("FAIL: bypassed packets allocate")
                failures += 1
            q10 = os.path.join(tmp, "q10.pcap")
            q100 = os.path.join(tmp, "q100.pcap")
            for path, tail in ((q10, "10"), (q100, "100")):
                gen(path, "--kind", "handshake", "--connections", "50",
                    "--quic-share", "1", "--quic-tail", tail)
            n10 = allocations(a.tlsmon, a.alloc_shim, q10)
            n100 = allocations(a.tlsmon, a.alloc_shim, q100)
            print(f"allocations: {n10} (10 1-RTT datagrams per QUIC flow) vs "
                  f"{n100} (100)")
            if n10 != n100:
                print("FAIL: 1-RTT packets after the handshake allocate")
                failures += 1
        else:
            print("no --alloc-shim: allocation check skipped")
        checks = 7 if a.alloc_shim else 5
        # Capturing the templates needs a network namespace and tcpdump.
        if os.geteuid() == 0 and not os.environ.get("TLSMON_SKIP_CAPTURE"):
            failures += diverse(a.tlsmon, tmp)
            checks += 8
        else:
            print("not root: the diverse corpus (bench/make-templates.sh) is not checked")
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
