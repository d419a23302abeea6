#!/usr/bin/env python3
"""keylog_live.py — --keylog on a live interface: the key log file does not
exist when the sensor starts, and the clients write their secrets to it
while their handshakes are on the wire (a veth pair between two network
namespaces the test creates, real OpenSSL and GnuTLS). The sensor must
follow the file, hold the records whose secrets are not written yet, and
decrypt: a GnuTLS client refusing an expired certificate (its alert is
encrypted) gets cert_expired with high confidence from the decrypted
chain and alert, and an OpenSSL connection is established and decrypted.

    keylog_live.py --tlsmon PATH --certs DIR

Needs root (namespaces, capture); exits 77 (skipped) without it."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True)


def handshakes(path):
    out = []
    try:
        with open(path) as fp:
            for line in fp:
                if line.strip() and line.endswith("\n"):
                    r = json.loads(line)
                    if r["event"]["dataset"] == "tlsmon.handshake":
                        out.append(r)
    except FileNotFoundError:
        pass
    return out


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--certs", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("live capture needs root: skipped")
        return 77
    tlsmon = os.path.abspath(a.tlsmon)
    tag = str(os.getpid())
    ns_srv, ns_cli = f"tlsmon-kl-s{tag}", f"tlsmon-kl-c{tag}"
    veth_s, veth_c = f"tlk{tag}s"[:15], f"tlk{tag}c"[:15]
    work = tempfile.mkdtemp(prefix="tlsmon-keylog-live-")
    keys = os.path.join(work, "sslkeys.txt")  # made by the clients
    out = os.path.join(work, "out.ndjson")
    certs = a.certs
    procs = []
    try:
        sh("ip", "netns", "add", ns_srv)
        sh("ip", "netns", "add", ns_cli)
        sh("ip", "link", "add", veth_s, "type", "veth", "peer", "name",
           veth_c)
        sh("ip", "link", "set", veth_s, "netns", ns_srv)
        sh("ip", "link", "set", veth_c, "netns", ns_cli)
        for ns, dev, ip in ((ns_srv, veth_s, "10.198.0.1/24"),
                            (ns_cli, veth_c, "10.198.0.2/24")):
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", ip, "dev", dev)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        errf = open(os.path.join(work, "stderr.txt"), "w")
        sensor = subprocess.Popen(
            ["ip", "netns", "exec", ns_srv, tlsmon, "-i", veth_s,
             "--format", "ndjson", "-o", out, "--keylog", keys,
             "--ca-file", os.path.join(certs, "root-ca.pem"),
             "--stats-interval", "0", "-f", "tcp"], stderr=errf)
        procs.append(sensor)
        time.sleep(1.0)

        def server(port, leaf):
            p = subprocess.Popen(
                ["ip", "netns", "exec", ns_srv, "openssl", "s_server",
                 "-accept", str(port), "-naccept", "1", "-rev", "-tls1_3",
                 "-cert", os.path.join(certs, leaf + ".pem"),
                 "-key", os.path.join(certs, leaf + ".key"),
                 "-cert_chain", os.path.join(certs, "intermediate-ca.pem")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            procs.append(p)
            return p

        server(4701, "server-expired")
        time.sleep(0.5)
        env = dict(os.environ, SSLKEYLOGFILE=keys)
        refused = subprocess.run(
            ["ip", "netns", "exec", ns_cli, "gnutls-cli", "-p", "4701",
             "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
             "--x509cafile", os.path.join(certs, "root-ca.pem"),
             "--sni-hostname", "server.test", "--verify-hostname",
             "server.test", "10.198.0.1"], input="", capture_output=True,
            text=True, timeout=20, env=env)
        server(4702, "server-rsa")
        time.sleep(0.5)
        ok = subprocess.run(
            ["ip", "netns", "exec", ns_cli, "openssl", "s_client",
             "-connect", "10.198.0.1:4702", "-servername", "server.test",
             "-CAfile", os.path.join(certs, "root-ca.pem"),
             "-keylogfile", keys], input="hello\n", capture_output=True,
            text=True, timeout=20)
        check("the clients ran (the GnuTLS one refused the chain)",
              refused.returncode != 0 and ok.returncode == 0,
              refused.stderr[-300:] + ok.stderr[-300:])
        got = wait_for(lambda: len(handshakes(out)) >= 2, 15)
        by_port = {r["destination"]["port"]: r for r in handshakes(out)}
        bad = by_port.get(4701, {}).get("tlsmon", {})
        check("records while running", got, handshakes(out))
        check("refused chain: decrypted live from a key log written during "
              "the handshake", bad.get("decryption", {}).get("status") ==
              "decrypted" and bad.get("certificate", {}).get("visible"),
              bad)
        alert = bad.get("alert", {})
        check("refused chain: the decrypted alert and cert_expired with high "
              "confidence", alert.get("decrypted") and
              alert.get("description") == "bad_certificate" and
              bad.get("cause") == "cert_expired" and
              bad.get("confidence") == "high", bad)
        good = by_port.get(4702, {})
        check("OpenSSL connection: established and decrypted",
              good.get("tlsmon", {}).get("outcome") == "established" and
              good.get("tlsmon", {}).get("decryption", {}).get("status") ==
              "decrypted" and good.get("tls", {}).get("server", {}).get(
                  "x509", {}).get("subject", {}).get("common_name") ==
              ["server.test"], good)
        sensor.terminate()
        sensor.wait(timeout=10)
        check("the sensor exits 0 on SIGTERM", sensor.returncode == 0,
              sensor.returncode)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in (ns_srv, ns_cli):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
