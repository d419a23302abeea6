#!/usr/bin/env python3
"""live.py — tlsmon as a sensor on a real interface: a veth pair between two
network namespaces the test creates, real openssl s_server / s_client
across it, and the operations a sensor needs: records while running, idle
flows ended in live time without packets, periodic and SIGUSR1 stats (text
and NDJSON), SIGHUP reloading rules (a broken file keeps the running ones)
and reopening the output file, --user dropping root, SIGTERM deciding open
handshakes and exiting 0; plus the one-line errors for a missing interface
and a bad filter.

    live.py --tlsmon PATH --certs DIR

Needs root (namespaces, capture); exits 77 (skipped) without it."""
import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))


def sh(*cmd, check_rc=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check_rc)


def records(path):
    out = []
    try:
        with open(path) as fp:
            for line in fp:
                # A line still being written has no newline yet.
                if line.strip() and line.endswith("\n"):
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def world_reachable(path):
    """Can any user reach `path`: every folder above it searchable by
    others? A clone in a home directory of mode 0700, or under a private
    TMPDIR, is not."""
    path = os.path.abspath(path)
    while True:
        parent = os.path.dirname(path)
        if not os.stat(parent).st_mode & 0o001:
            return False
        if parent == path or parent == "/":
            return True
        path = parent


def copy_for_others(tlsmon, into):
    """The binary where another user can run it: a copy in a folder made
    for it (mode 0755) under a place every user reaches. The checkout may
    live anywhere."""
    os.chmod(into, 0o755)
    copy = os.path.join(into, "tlsmon")
    shutil.copy2(tlsmon, copy)
    os.chmod(copy, 0o755)
    return copy


def shared_tmp():
    """A temporary folder others can enter (the sensor runs as nobody
    after dropping root): under $TMPDIR when others reach it, else /tmp."""
    base = tempfile.gettempdir()
    if not world_reachable(os.path.join(base, "x")) and os.path.isdir("/tmp"):
        base = "/tmp"
    return tempfile.mkdtemp(prefix="tlsmon-live-", dir=base)


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--certs", required=True)
    a = ap.parse_args()
    tlsmon = os.path.abspath(a.tlsmon)

    rc, _, err = (lambda p: (p.returncode, p.stdout, p.stderr))(
        subprocess.run([tlsmon, "-i", "nosuch0"], capture_output=True,
                       text=True))
    check("missing interface: exit 1, one line", rc == 1 and
          err.strip() == "tlsmon: -i nosuch0: no such interface", err)
    if os.geteuid() != 0:
        print("live capture needs root: skipped")
        return 77
    # As nobody: a copy of the binary in a folder nobody can enter, since
    # the checkout may be in one nobody cannot (a home of mode 0700).
    exe_dir = shared_tmp()
    p = subprocess.run(["runuser", "-u", "nobody", "--",
                        copy_for_others(tlsmon, exe_dir), "-i",
                        "lo"], capture_output=True, text=True)
    shutil.rmtree(exe_dir, ignore_errors=True)
    check("no permission: exit 1, one line naming the capabilities",
          p.returncode == 1 and p.stderr.strip() ==
          "tlsmon: -i lo: permission denied (run as root, or give tlsmon "
          "CAP_NET_RAW and CAP_NET_ADMIN)", p.stderr)
    p = subprocess.run([tlsmon, "-i", "lo", "-f", "tcp port"],
                       capture_output=True, text=True)
    check("bad filter: exit 1, one line", p.returncode == 1 and
          len(p.stderr.strip().splitlines()) == 1 and
          "bad filter" in p.stderr, p.stderr)

    tag = str(os.getpid())
    ns_srv, ns_cli = f"tlsmon-live-s{tag}", f"tlsmon-live-c{tag}"
    veth_s, veth_c = f"tlsv{tag}s"[:15], f"tlsv{tag}c"[:15]
    work = shared_tmp()
    os.chmod(work, 0o777)  # the sensor runs as nobody after the drop
    procs = []
    try:
        sh("ip", "netns", "add", ns_srv)
        sh("ip", "netns", "add", ns_cli)
        sh("ip", "link", "add", veth_s, "type", "veth", "peer", "name",
           veth_c)
        sh("ip", "link", "set", veth_s, "netns", ns_srv)
        sh("ip", "link", "set", veth_c, "netns", ns_cli)
        for ns, dev, ip in ((ns_srv, veth_s, "10.199.0.1/24"),
                            (ns_cli, veth_c, "10.199.0.2/24")):
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", ip, "dev", dev)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

        rules = os.path.join(work, "site.yaml")
        good_rules = ("rules:\n  - {id: live-any-failure, name: n, severity: "
                      "low, cause: not_tls, fix: client, message: m, "
                      "remediation: r, when: {tlsmon.outcome: failed}}\n")
        with open(rules, "w") as fp:
            fp.write(good_rules)
        os.chmod(rules, 0o644)
        out = os.path.join(work, "out.ndjson")
        text_out = os.path.join(work, "out.txt")
        err_path = os.path.join(work, "stderr.txt")
        errf = open(err_path, "w")
        sensor = subprocess.Popen(
            ["ip", "netns", "exec", ns_srv, tlsmon, "-i", veth_s,
             "--format", "text", "-o", text_out, "--json", out,
             "--stats-interval", "1",
             "--flow-timeout", "2", "--summary", "--rules", "+" + rules,
             "--user",
             "nobody", "-f", "tcp"], stderr=errf)
        procs.append(sensor)
        time.sleep(1.0)
        status = open(f"/proc/{sensor.pid}/status").read()
        uid_line = [x for x in status.splitlines() if x.startswith("Uid:")]
        nobody = pwd.getpwnam("nobody").pw_uid
        check("--user nobody: the sensor runs as nobody",
              uid_line and uid_line[0].split()[1:] == [str(nobody)] * 4,
              uid_line)

        cert = os.path.join(a.certs, "server-rsa.pem")
        key = os.path.join(a.certs, "server-rsa.key")
        chain = os.path.join(a.certs, "intermediate-ca.pem")
        root = os.path.join(a.certs, "root-ca.pem")
        server = subprocess.Popen(
            ["ip", "netns", "exec", ns_srv, "openssl", "s_server", "-accept",
             "4433", "-naccept", "2", "-rev", "-tls1_3", "-cert", cert,
             "-key", key, "-cert_chain", chain], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(server)
        time.sleep(0.5)
        ok = subprocess.run(
            ["ip", "netns", "exec", ns_cli, "openssl", "s_client",
             "-connect", "10.199.0.1:4433", "-servername", "server.test",
             "-CAfile", root, "-verify_return_error"], input="hello\n",
            capture_output=True, text=True, timeout=20)
        bad = subprocess.run(
            ["ip", "netns", "exec", ns_cli, "openssl", "s_client",
             "-connect", "10.199.0.1:4433", "-servername", "server.test",
             "-tls1_2"], input="", capture_output=True, text=True,
            timeout=20)
        check("the clients ran", ok.returncode == 0 and bad.returncode != 0,
              ok.stderr[-300:] + bad.stderr[-300:])

        # A silent server: the flow must end by the idle timeout, in live
        # time, with no packet to move the clock.
        silent = subprocess.Popen(
            ["ip", "netns", "exec", ns_srv, "python3", "-c",
             "import socket,time\ns=socket.socket();s.setsockopt(socket."
             "SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('10.199.0.1',4434));"
             "s.listen(1);c,_=s.accept();time.sleep(30)"])
        procs.append(silent)
        time.sleep(0.5)
        client = subprocess.Popen(
            ["ip", "netns", "exec", ns_cli, "openssl", "s_client",
             "-connect", "10.199.0.1:4434", "-servername", "server.test"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        procs.append(client)

        def hs():
            return [r for r in records(out)
                    if r["event"]["dataset"] == "tlsmon.handshake"]
        got = wait_for(lambda: len(hs()) >= 3, 10)
        rs = hs()
        by_port = {(r["destination"]["port"], r["tlsmon"]["outcome"]): r
                   for r in rs}
        check("records while running: established TLS 1.3 and a failed "
              "TLS 1.2 attempt", (4433, "established") in by_port and
              (4433, "failed") in by_port, [r["tlsmon"] for r in rs])
        idle = by_port.get((4434, "incomplete"))
        check("an idle flow ends by the timeout in live time (silence)",
              got and idle is not None and
              idle["tlsmon"]["ended_by"] == "silence", rs)
        failed = by_port.get((4433, "failed"), {})
        check("the added rule fires live",
              "live-any-failure" in failed.get("tlsmon", {}).get("rules", []),
              failed)

        def stats_events():
            return [r for r in records(out)
                    if r["event"]["dataset"] == "tlsmon.stats"]
        host = socket.gethostname()
        every = rs + stats_events() + [r for r in records(out) if
                                       r["event"]["kind"] == "alert"]
        check("records, alerts and stats name the sensor (observer.*)",
              len(every) > len(rs) and all(
                  r.get("observer", {}).get("hostname") == host and
                  r["observer"]["ingress"]["interface"]["name"] == veth_s
                  for r in every), [r.get("observer") for r in every][:3])
        n_before = len(stats_events())
        check("periodic stats as NDJSON events", n_before >= 1 and
              "pcap_dropped" in stats_events()[0]["tlsmon"]["stats"],
              n_before)
        errf.flush()
        os.kill(sensor.pid, signal.SIGUSR1)
        check("SIGUSR1: stats now", wait_for(
            lambda: len(stats_events()) > n_before, 3))
        check("stats lines on stderr", "tlsmon: stats: packets" in
              open(err_path).read())

        with open(rules, "w") as fp:
            fp.write("rules:\n  - {id: broken\n")
        os.kill(sensor.pid, signal.SIGHUP)
        check("SIGHUP with a broken rules file keeps the running rules",
              wait_for(lambda: "keeping the running rules" in
                       open(err_path).read(), 3), open(err_path).read())
        check("... and names file, line and column", f"{rules}:" in
              open(err_path).read())
        with open(rules, "w") as fp:
            fp.write(good_rules)
        os.rename(out, out + ".1")
        os.kill(sensor.pid, signal.SIGHUP)
        check("SIGHUP reloads good rules", wait_for(
            lambda: "rules loaded" in open(err_path).read(), 3))
        check("SIGHUP reopens the output file (rotation)",
              wait_for(lambda: os.path.exists(out), 3))

        client.kill()
        os.kill(sensor.pid, signal.SIGTERM)
        try:
            rc = sensor.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        check("SIGTERM: exit 0", rc == 0, rc)
        final = records(out)
        check("SIGTERM: the summary is written",
              any(r["event"]["dataset"] == "tlsmon.summary" for r in final),
              final[-1:] if final else "no output")
        text = open(text_out).read()
        check("the text output beside --json has the same handshakes",
              "established" in text and "FAILED" in text and
              "protocol_version_mismatch" in text, text[-500:])
        errf.close()
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
        subprocess.run(["ip", "netns", "del", ns_srv], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns_cli], capture_output=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
