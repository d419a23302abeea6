#!/usr/bin/env python3
"""siem.py — the syslog and Redis outputs against real receivers: an
rsyslog (TCP with octet counting, UDP, a unix datagram socket) and a
redis-server (list and stream) from Debian, started by this test on
loopback ports it picks.

  - every handshake and alert of the captures arrives at rsyslog as a valid
    RFC 5424 message: version 1, app tlsmon, MSGID the event kind, the
    facility asked for, the severity mapped from the rule, structured data
    naming the rule, the JSON event as MSG equal to the NDJSON output's;
  - the default selection (alerts, stats) over UDP and the unix socket;
  - Redis: RPUSH to a list and XADD to a stream, the same events in order;
  - the receiver stopped mid-run: capture goes on, the queue holds what it
    can, the rest is dropped and counted (exit code 4), the sender
    reconnects when rsyslog is back and what was queued arrives;
    sent + dropped = every event;
  - syslog over TLS (RFC 5425) to an rsyslog with its GnuTLS driver that
    admits only a client certificate of its CA: every event arrives; a
    missing or foreign client certificate, an untrusted collector and a
    wrong name each deliver nothing, exit 4 and say why;
  - Redis AUTH with an ACL user (password from a file or the
    environment); a wrong password, a key the user may not write and no
    AUTH at all each exit 4 with the count; Redis over TLS through the
    stunnel tunnel README describes;
  - the spool: with the collector down everything is kept on disk (exit
    0), the next run sends it first, in order; a full spool drops the
    oldest and counts them (exit 4); a collector outage mid-run with a
    queue of 5 events loses nothing.

    siem.py --tlsmon PATH --captures DIR
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib  # noqa: E402
import siemlib  # noqa: E402
from siemlib import wait_for  # noqa: E402

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond else f": {str(detail)[:1500]}"))


def run(cmd, timeout=300):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def rfc5424_ok(m, facility):
    """The message as rsyslog parsed it is RFC 5424 from tlsmon, and its
    header agrees with the JSON event it carries."""
    ev = m.get("json")
    if not ev or m["version"] != "1" or m["app"] != "tlsmon":
        return False
    pri = int(m["pri"])
    if pri // 8 != facility:
        return False
    kind = ev["event"]["kind"]
    if kind == "alert":
        sev = siemlib.SYSLOG_SEVERITY[ev["tlsmon"]["severity"]]
        return (m["msgid"] == "alert" and pri % 8 == sev and
                f'rule="{ev["rule"]["id"]}"' in m["sd"] and
                m["sd"].startswith("[tlsmon@32473 "))
    if ev["event"]["dataset"] == "tlsmon.handshake":
        outcome = ev["tlsmon"]["outcome"]
        sev = 5 if outcome in ("failed", "not_tls", "refused") else 6
        return (m["msgid"] == "handshake" and pri % 8 == sev and
                f'outcome="{outcome}"' in m["sd"])
    return m["msgid"] == "stats" and pri % 8 == 6 and m["sd"] == "-"


def pcap_stream(paths):
    """One pcap byte stream of several EN10MB captures: the first header,
    then every file's records."""
    header = open(paths[0], "rb").read()[:24]
    parts = []
    for p in paths:
        cap = pcaplib.read_pcap(p)
        assert cap.linktype == pcaplib.LINKTYPE_EN10MB
        body = bytearray()
        for fr in cap.frames:
            sec, ns = divmod(fr.ts_ns, 1_000_000_000)
            body += (sec).to_bytes(4, "little") + (ns // 1000).to_bytes(4, "little")
            body += len(fr.data).to_bytes(4, "little") + \
                fr.orig_len.to_bytes(4, "little") + fr.data
        parts.append(bytes(body))
    return header, parts


def check_shipped_config(tlsmon, dist, work, caps, ref_alerts):
    """dist/rsyslog-tlsmon.conf as shipped (port and file substituted): the
    events come out as one JSON line each, equal to tlsmon's."""
    conf = open(os.path.join(dist, "rsyslog-tlsmon.conf")).read()
    port = siemlib.free_port()
    out = os.path.join(work, "collector.ndjson")
    conf = conf.replace('port="6514"', f'port="{port}"').replace(
        "/var/log/tlsmon/events.ndjson", out)
    spool = os.path.join(work, "collector-spool")
    os.makedirs(spool, exist_ok=True)
    path = os.path.join(work, "collector.conf")
    with open(path, "w") as fp:
        fp.write(f'global(workDirectory="{spool}")\n' + conf)
    log = open(os.path.join(work, "collector.stderr"), "w")
    proc = subprocess.Popen([siemlib.RSYSLOGD, "-n", "-f", path, "-i",
                             os.path.join(work, "collector.pid")],
                            stdout=log, stderr=log)
    try:
        up = wait_for(lambda: siemlib.tcp_listening(port), 10)
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--syslog", f"tcp://127.0.0.1:{port}",
                          *caps])

        def lines():
            try:
                return [json.loads(x) for x in open(out) if x.strip()]
            except FileNotFoundError:
                return []
        wait_for(lambda: len(lines()) >= len(ref_alerts), 10)
        check("dist/rsyslog-tlsmon.conf: every alert comes out as the same "
              "JSON event", up and rc == 0 and lines() == ref_alerts,
              f"{len(lines())} of {len(ref_alerts)} {err}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def tlsmon_to(tlsmon, caps, *args, env=None):
    """A run with NDJSON thrown away and only the network output(s)."""
    p = subprocess.run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                        os.devnull, *args, *caps], capture_output=True,
                       text=True, timeout=300, env=env)
    return p.returncode, p.stderr


def received_since(rs, n0, want):
    wait_for(lambda: len(rs.messages()) >= n0 + want, 10)
    return [m["json"] for m in rs.messages()[n0:]]


def check_spool(tlsmon, rs, work, caps, ref):
    """Collector down: the spool keeps every event, the next run sends them
    first; a full spool drops the oldest and counts them."""
    spool = os.path.join(work, "spool-a")
    url = f"tcp://127.0.0.1:{rs.tcp_port}"
    sel = ["--syslog-events", "handshakes,alerts"]
    rs.stop()
    rc, err = tlsmon_to(tlsmon, caps, "--syslog", url, *sel, "--spool", spool)
    check("spool: collector down, every event kept on disk, exit 0",
          rc == 0 and f"0 dropped, {len(ref)} kept in the spool" in err and
          "events were dropped" not in err, err)
    rs.start()
    n0 = len(rs.messages())
    one = [c for c in caps if os.path.basename(c) == "tls12-rsa.pcap"]
    more = siemlib.reference_events(tlsmon, one)
    rc, err = tlsmon_to(tlsmon, one, "--syslog", url, *sel, "--spool", spool)
    got = received_since(rs, n0, len(ref) + len(more))
    check("spool: the next run sends the kept events first, in order, then "
          "its own (%d + %d)" % (len(ref), len(more)),
          rc == 0 and got == ref + more and "kept in the spool" not in err,
          f"rc {rc} {len(got)} {err}")
    left = [f for f in os.listdir(os.path.join(spool, siem_spool_name(url)))
            if f.endswith(".seg")]
    check("spool: emptied once delivered", not left, left)

    # A spool too small for the outage: the newest are kept.
    spool = os.path.join(work, "spool-b")
    rs.stop()
    rc, err = tlsmon_to(tlsmon, caps, "--syslog", url, *sel, "--spool", spool,
                        "--spool-size", "64K")
    m = re.search(r"0 events sent, (\d+) dropped, (\d+) kept", err)
    dropped, kept = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    check("spool: full, the oldest dropped and counted, exit 4",
          rc == 4 and dropped > 0 and kept > 0 and dropped + kept == len(ref)
          and f"{dropped} events were dropped" in err, err)
    rs.start()
    n0 = len(rs.messages())
    empty = os.path.join(work, "empty.pcap")
    with open(empty, "wb") as fp:
        fp.write(open(caps[0], "rb").read()[:24])
    rc, err = tlsmon_to(tlsmon, [empty], "--syslog", url, "--spool", spool)
    got = received_since(rs, n0, kept)
    check("spool: what was kept is the newest %d, delivered in order" % kept,
          rc == 0 and got == ref[len(ref) - kept:], f"rc {rc} {len(got)} {err}")


def siem_spool_name(url):
    return re.sub(r"_+$", "", re.sub(r"[^A-Za-z0-9.-]+", "_", url))


def check_spool_outage(tlsmon, rs, work, header, parts, first, middle, total):
    """The outage of main() again, with a spool: a queue of 5 events
    loses nothing, and everything arrives in order."""
    base = len(rs.messages())
    err_path = os.path.join(work, "spool-outage.stderr")
    errf = open(err_path, "w")
    sensor = subprocess.Popen(
        [tlsmon, "--no-summary", "--format", "ndjson", "-o", os.devnull,
         "--syslog", f"tcp://127.0.0.1:{rs.tcp_port}", "--syslog-events",
         "handshakes,alerts", "--output-queue", "5", "--spool",
         os.path.join(work, "spool-outage"), "-"],
        stdin=subprocess.PIPE, stderr=errf)
    sensor.stdin.write(header)
    for i in range(len(first)):
        sensor.stdin.write(parts[i])
    sensor.stdin.flush()
    wait_for(lambda: len(rs.messages()) > base, 10)
    rs.stop()
    # Unpaced, far more than the queue holds.
    for i in range(len(first), len(parts)):
        sensor.stdin.write(parts[i])
    sensor.stdin.flush()
    check("spool outage: tlsmon notices", wait_for(
        lambda: "connection lost" in open(err_path).read() or
        "cannot connect" in open(err_path).read(), 10),
        open(err_path).read())
    rs.start()
    check("spool outage: the sender reconnects", wait_for(
        lambda: "connected\n" in open(err_path).read(), 40),
        open(err_path).read())
    sensor.stdin.close()
    rc = sensor.wait(timeout=60)
    errf.close()
    err = open(err_path).read()
    wait_for(lambda: len(rs.messages()) >= base + len(total), 10)
    got = [m["json"] for m in rs.messages()[base:]]
    check("spool outage: exit 0, nothing dropped, every event arrived in "
          "order (%d)" % len(total),
          rc == 0 and "dropped" not in err and got == total,
          f"rc {rc} {len(got)} {err[-600:]}")


def check_tls(tlsmon, work, caps, ref, ref_alerts):
    """Syslog over TLS to rsyslog's GnuTLS driver, mutual authentication."""
    if not siemlib.RSYSLOG_GTLS:
        check("rsyslog-gnutls is installed (make deps)", False)
        return
    pki = siemlib.make_pki(work)
    tdir = os.path.join(work, "tls")
    os.makedirs(tdir)
    rs = siemlib.Rsyslog(tdir, siemlib.free_port(),
                         siemlib.free_port(siemlib.socket.SOCK_DGRAM),
                         os.path.join(tdir, "log.sock"), tls=pki)
    client = ["--syslog-ca", pki["ca.pem"], "--syslog-cert",
              pki["client.pem"], "--syslog-key", pki["client.key"]]
    one = [c for c in caps if os.path.basename(c) == "fail-expired.pcap"]
    one_alerts = [e for e in siemlib.reference_events(tlsmon, one)
                  if e["event"]["kind"] == "alert"]
    try:
        rs.start()
        url = f"tls://localhost:{rs.tcp_port}"
        rc, err = tlsmon_to(tlsmon, caps, "--syslog", url, *client,
                            "--syslog-events", "handshakes,alerts")
        wait_for(lambda: len(rs.messages()) >= len(ref), 10)
        got = rs.messages()
        check("tls: every handshake and alert over TLS with a client "
              "certificate, RFC 5424, in order, exit 0",
              rc == 0 and [m["json"] for m in got] == ref and
              all(rfc5424_ok(m, 16) for m in got),
              f"rc {rc} {len(got)} of {len(ref)} {err}")
        n0 = len(got)
        rc, err = tlsmon_to(tlsmon, caps, "--syslog",
                            f"tls://127.0.0.1:{rs.tcp_port}", *client)
        got = received_since(rs, n0, len(ref_alerts))
        check("tls: the collector named by its IP address (IP SAN)",
              rc == 0 and got == ref_alerts, f"rc {rc} {len(got)} {err}")

        def refused(name, args, why):
            n = len(rs.messages())
            rc, err = tlsmon_to(tlsmon, one, "--syslog", url, *args)
            check(f"tls: {name}: nothing delivered, exit 4, the reason and "
                  f"the count said",
                  rc == 4 and len(rs.messages()) == n and why in err and
                  f"{len(one_alerts)} events were dropped" in err, err)
        refused("no client certificate", ["--syslog-ca", pki["ca.pem"]],
                "closed the connection right after the TLS handshake")
        refused("a client certificate of another CA",
                ["--syslog-ca", pki["ca.pem"], "--syslog-cert",
                 pki["stranger.pem"], "--syslog-key", pki["stranger.key"]],
                "cannot connect")
        refused("a collector the CA file does not vouch for",
                ["--syslog-ca", pki["other-ca.pem"], *client[2:]],
                "certificate is not accepted: unable to get local issuer")
        refused("a collector certificate for another name",
                [*client, "--syslog-tls-name", "collector.example"],
                "hostname mismatch")
        rc, err = tlsmon_to(tlsmon, one, "--syslog",
                            f"tcp://127.0.0.1:{rs.tcp_port}",
                            "--syslog-ca", pki["ca.pem"])
        check("tls: TLS options with a tcp:// URL: usage error (exit 1)",
              rc == 1 and "tls://" in err, err)
        rc, err = tlsmon_to(tlsmon, one, "--syslog", url, "--syslog-ca",
                            os.path.join(work, "missing.pem"))
        check("tls: a CA file that does not load: exit 1 at start",
              rc == 1 and "missing.pem" in err, err)
    finally:
        rs.stop()


def check_redis_auth(tlsmon, work, caps, ref, ref_alerts):
    """AUTH as an ACL user that may only RPUSH/XADD to tlsmon:*; and Redis
    over TLS through a local stunnel, as README describes."""
    redis = siemlib.Redis(work, siemlib.free_port(), admin_password="admin-pw",
                          name="redis-auth")
    pw = os.path.join(work, "redis-password")
    with open(pw, "w") as fp:
        fp.write("s3cret-pw\n")
    try:
        redis.start()
        redis.cli("ACL", "SETUSER", "tlsmon", "on", ">s3cret-pw",
                  "~tlsmon:*", "-@all", "+rpush", "+xadd", "+ping")
        addr = f"127.0.0.1:{redis.port}"
        user = ["--redis", addr, "--redis-user", "tlsmon"]
        rc, err = tlsmon_to(tlsmon, caps, *user, "--redis-password-file", pw,
                            "--redis-key", "tlsmon:events", "--redis-events",
                            "handshakes,alerts")
        items = redis.list_items("tlsmon:events")
        check("redis auth: an ACL user with its password (file): every "
              "event, in order, exit 0", rc == 0 and items == ref,
              f"rc {rc} {len(items)} of {len(ref)} {err}")
        env = dict(os.environ, TLSMON_REDIS_PASSWORD="s3cret-pw")
        rc, err = tlsmon_to(tlsmon, caps, *user, "--redis-key",
                            "tlsmon:stream", "--redis-stream", env=env)
        items = redis.stream_items("tlsmon:stream")
        check("redis auth: the password from TLSMON_REDIS_PASSWORD, a stream",
              rc == 0 and items == ref_alerts, f"rc {rc} {len(items)} {err}")

        bad = os.path.join(work, "wrong-password")
        with open(bad, "w") as fp:
            fp.write("wrong\n")
        rc, err = tlsmon_to(tlsmon, caps, *user, "--redis-password-file", bad,
                            "--redis-key", "tlsmon:x")
        check("redis auth: a wrong password: said once, nothing delivered, "
              "exit 4 with the count",
              rc == 4 and err.count("WRONGPASS") == 1 and
              f"{len(ref_alerts)} events were dropped" in err and
              redis.cli("EXISTS", "tlsmon:x") == "0", err)
        rc, err = tlsmon_to(tlsmon, caps, *user, "--redis-password-file", pw,
                            "--redis-key", "elsewhere")
        check("redis auth: a key the ACL user may not write: refused "
              "(NOPERM), counted, exit 4",
              rc == 4 and err.count("NOPERM") == 1 and
              f"{len(ref_alerts)} events were dropped" in err, err)
        rc, err = tlsmon_to(tlsmon, caps, "--redis", addr, "--redis-key",
                            "tlsmon:anon")
        check("redis auth: no AUTH to a server that wants it: exit 4",
              rc == 4 and "NOAUTH" in err and
              redis.cli("EXISTS", "tlsmon:anon") == "0", err)
        rc, err = tlsmon_to(tlsmon, caps, *user)
        check("redis auth: a user without a password: exit 1 at start",
              rc == 1 and "needs a password" in err, err)
    finally:
        redis.stop()
    check_redis_stunnel(tlsmon, work, caps, ref_alerts)


def check_redis_stunnel(tlsmon, work, caps, ref_alerts):
    if not os.path.exists(siemlib.STUNNEL):
        check("stunnel4 is installed (make deps)", False)
        return
    pki = siemlib.make_pki(work)
    tls_port, local_port = siemlib.free_port(), siemlib.free_port()
    redis = siemlib.Redis(work, tls_port, name="redis-tls", extra=[
        "--port", "0", "--tls-port", str(tls_port), "--tls-cert-file",
        pki["collector.pem"], "--tls-key-file", pki["collector.key"],
        "--tls-ca-cert-file", pki["ca.pem"], "--tls-auth-clients", "no"])
    redis.cli = lambda *args: subprocess.run(
        [siemlib.REDIS_CLI, "-p", str(tls_port), "--tls", "--cacert",
         pki["ca.pem"], "--raw", *args], capture_output=True,
        text=True).stdout.strip()
    conf = os.path.join(work, "stunnel.conf")
    with open(conf, "w") as fp:
        fp.write(f"""foreground = yes
pid =
[redis]
client = yes
accept = 127.0.0.1:{local_port}
connect = 127.0.0.1:{tls_port}
CAfile = {pki["ca.pem"]}
verifyChain = yes
checkHost = localhost
""")
    tunnel = None
    try:
        redis.start()
        log = open(os.path.join(work, "stunnel.log"), "w")
        tunnel = subprocess.Popen([siemlib.STUNNEL, conf], stdout=log,
                                  stderr=log)
        wait_for(lambda: siemlib.tcp_listening(local_port), 10)
        rc, err = tlsmon_to(tlsmon, caps, "--redis",
                            f"127.0.0.1:{local_port}", "--redis-key",
                            "tlsmon:tls")
        items = redis.list_items("tlsmon:tls")
        check("redis over TLS: through a local stunnel to redis-server's "
              "TLS port (README's recipe)", rc == 0 and items == ref_alerts,
              f"rc {rc} {len(items)} {err}")
    finally:
        if tunnel:
            tunnel.terminate()
            tunnel.wait(timeout=10)
        redis.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--dist", help="dist/ folder (rsyslog-tlsmon.conf)")
    a = ap.parse_args()
    tlsmon = os.path.abspath(a.tlsmon)
    if not siemlib.have_receivers():
        print("rsyslog or redis-server is not installed (make deps): skipped")
        return 77
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    work = tempfile.mkdtemp(prefix="tlsmon-siem-")
    rs = siemlib.Rsyslog(work, siemlib.free_port(),
                         siemlib.free_port(siemlib.socket.SOCK_DGRAM),
                         os.path.join(work, "log.sock"))
    redis = siemlib.Redis(work, siemlib.free_port())
    try:
        rs.start()
        redis.start()
        ref = siemlib.reference_events(tlsmon, caps)
        ref_alerts = [e for e in ref if e["event"]["kind"] == "alert"]
        check("the captures give handshakes and alerts",
              len(ref) > 50 and len(ref_alerts) > 10, len(ref))

        # --- TCP, every event kind, facility local0 (default) -------------
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--syslog", f"tcp://127.0.0.1:{rs.tcp_port}",
                          "--syslog-events", "handshakes,alerts", *caps])
        check("tcp: the run exits 0", rc == 0, err)
        wait_for(lambda: len(rs.messages()) >= len(ref), 10)
        got = rs.messages()
        check("tcp: every handshake and alert arrived",
              len(got) == len(ref), f"{len(got)} of {len(ref)}")
        bad = [m for m in got if not rfc5424_ok(m, 16)]
        check("tcp: each is RFC 5424 (version 1, app tlsmon, MSGID, local0, "
              "severity from the rule, SD with the rule id)", not bad and got,
              bad[:2])
        check("tcp: the JSON events are the NDJSON output's, in order",
              [m["json"] for m in got] == ref,
              next((i for i, (x, y) in enumerate(zip(got, ref))
                    if x["json"] != y), None))
        big = max((len(m["msg"]) for m in got), default=0)
        check("tcp: octet counting carries messages longer than a line "
              "buffer (largest %d bytes)" % big, big > 4096, big)

        # --- UDP and the unix socket: the default selection -----------------
        n0 = len(rs.messages())
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--syslog",
                          f"udp://127.0.0.1:{rs.udp_port}", *caps])
        wait_for(lambda: len(rs.messages()) >= n0 + len(ref_alerts), 10)
        got = rs.messages()[n0:]
        check("udp: the default events are the alerts (no handshakes offline)",
              rc == 0 and [m["json"] for m in got] == ref_alerts,
              f"rc {rc} {len(got)} of {len(ref_alerts)} {err}")
        check("udp: RFC 5424", got and all(rfc5424_ok(m, 16) for m in got))
        n0 = len(rs.messages())
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--syslog", f"unix:{rs.sock_path}",
                          "--syslog-facility", "daemon", *caps])
        wait_for(lambda: len(rs.messages()) >= n0 + len(ref_alerts), 10)
        got = rs.messages()[n0:]
        check("unix: the alerts, facility daemon",
              rc == 0 and [m["json"] for m in got] == ref_alerts and
              all(rfc5424_ok(m, 3) for m in got),
              f"rc {rc} {len(got)} of {len(ref_alerts)} {err}")

        # --- Redis -----------------------------------------------------------
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--redis", f"127.0.0.1:{redis.port}",
                          "--redis-key", "tls:list", "--redis-events",
                          "handshakes,alerts", *caps])
        items = redis.list_items("tls:list")
        check("redis list: RPUSH of every event, in order", rc == 0 and
              items == ref, f"rc {rc} {len(items)} of {len(ref)} {err}")
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--redis", f"127.0.0.1:{redis.port}",
                          "--redis-key", "tls:stream", "--redis-stream",
                          "--redis-maxlen", "100000", *caps])
        items = redis.stream_items("tls:stream")
        check("redis stream: XADD of the alerts (default events), in order",
              rc == 0 and items == ref_alerts,
              f"rc {rc} {len(items)} of {len(ref_alerts)} {err}")
        redis.cli("SET", "tls:string", "x")
        rc, _, err = run([tlsmon, "--no-summary", "--format", "ndjson", "-o",
                          os.devnull, "--redis", f"127.0.0.1:{redis.port}",
                          "--redis-key", "tls:string", *caps])
        check("redis: a key of the wrong type refuses events: one line, "
              "counted as dropped, exit 4 with the count",
              rc == 4 and err.count("WRONGTYPE") == 1 and
              f"{len(ref_alerts)} dropped" in err and
              f"{len(ref_alerts)} events were dropped" in err, err)

        # --- the collector configuration README ships ----------------------
        if a.dist:
            check_shipped_config(tlsmon, a.dist, work, caps, ref_alerts)

        # --- the receiver goes away mid-run and comes back -------------------
        # tlsmon reads a pcap stream from a pipe: a long run whose pace the
        # test sets, with no root needed.
        first = [c for c in caps if os.path.basename(c) in
                 ("tls12-rsa.pcap", "fail-expired.pcap", "tls13-ecdsa.pcap")]
        middle = [c for c in caps if os.path.basename(c).startswith("fail-")
                  and c not in first]
        last = [c for c in caps if os.path.basename(c).startswith("cert-")]
        header, parts = pcap_stream(first + middle + last)
        stream_file = os.path.join(work, "stream.pcap")
        with open(stream_file, "wb") as fp:
            fp.write(header + b"".join(parts))
        total = siemlib.reference_events(tlsmon, [stream_file])
        n_first = len(siemlib.reference_events(tlsmon, first))
        base = len(rs.messages())

        def received():
            return rs.messages()[base:]
        queue = 5
        err_path = os.path.join(work, "outage.stderr")
        errf = open(err_path, "w")
        sensor = subprocess.Popen(
            [tlsmon, "--no-summary", "--format", "ndjson", "-o", os.devnull,
             "--syslog", f"tcp://127.0.0.1:{rs.tcp_port}", "--syslog-events",
             "handshakes,alerts", "--output-queue", str(queue), "-"],
            stdin=subprocess.PIPE, stderr=errf)
        sensor.stdin.write(header)
        for i in range(len(first)):
            sensor.stdin.write(parts[i])
        sensor.stdin.flush()
        wait_for(lambda: len(received()) >= n_first - 2, 10)
        time.sleep(0.5)
        before = len(received())
        check("outage: events flow before the receiver stops", before > 0,
              before)
        rs.stop()
        for i in range(len(first), len(first) + len(middle)):
            sensor.stdin.write(parts[i])
        sensor.stdin.flush()
        check("outage: tlsmon notices and keeps going", wait_for(
            lambda: "connection lost" in open(err_path).read() or
            "cannot connect" in open(err_path).read(), 10),
            open(err_path).read())
        time.sleep(0.5)
        check("outage: tlsmon is still running", sensor.poll() is None)
        rs.start()
        check("outage: the sender reconnects", wait_for(
            lambda: "connected\n" in open(err_path).read(), 40),
            open(err_path).read())
        # Paced: a capture's few events at a time fit the small queue.
        for i in range(len(first) + len(middle), len(parts)):
            sensor.stdin.write(parts[i])
            sensor.stdin.flush()
            time.sleep(0.2)
        sensor.stdin.close()
        rc = sensor.wait(timeout=60)
        errf.close()
        err = open(err_path).read()
        wait_for(lambda: len(received()) > before, 5)
        time.sleep(0.5)
        got = received()
        m = re.search(r"(\d+) events sent, (\d+) dropped", err)
        sent, dropped = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
        check("outage: exit 4 and a line with what was sent and dropped",
              rc == 4 and m is not None, err)
        check("outage: drops were counted (queue of %d)" % queue,
              dropped > 0, err)
        check("outage: sent + dropped = every event (%d)" % len(total),
              sent + dropped == len(total), f"{sent} + {dropped}")
        check("outage: the receiver has exactly what was sent",
              len(got) == sent, f"{len(got)} received, {sent} sent")
        keys_total = [siemlib.event_key(e) for e in total]
        keys_got = [siemlib.event_key(x["json"]) for x in got if x.get("json")]
        tail = keys_total[-5:]
        check("outage: what came after the reconnect arrived, in order",
              keys_got[-5:] == tail, (keys_got[-5:], tail))

        check_spool_outage(tlsmon, rs, work, header, parts, first, middle,
                           total)
        check_spool(tlsmon, rs, work, caps, ref)
        check_tls(tlsmon, work, caps, ref, ref_alerts)
        check_redis_auth(tlsmon, work, caps, ref, ref_alerts)
    finally:
        rs.stop()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
