#!/usr/bin/env python3
"""sensor_live.py — tlsmon as a sensor on a mirror-like port, fed by
tcpreplay: a veth pair between two network namespaces the test creates,
the project's captures, each moved to a host pair of its own, replayed
onto one end at 3000 packets per second (TLSMON_REPLAY_PPS: make
test-tsan sets it lower, as ThreadSanitizer makes tlsmon several times
slower and a burst then overflows the capture ring),
tlsmon -i on the other end (1 worker, then 3 in an AF_PACKET fanout group)
with --json, --syslog to a real rsyslog and --redis to a real redis-server,
both running in the sensor's namespace on its loopback.

  - the live handshake records and alerts are those of the offline run of
    the same captures (compared on what does not depend on the clock);
  - stats events count what tcpreplay sent (packets), per worker with 3;
  - rsyslog received every handshake and alert as RFC 5424, Redis the
    alerts and the stats events;
  - rsyslog stopped while traffic goes on (3 workers, a memory queue of
    20 events and an on-disk spool): the stats event shows the syslog
    output disconnected with events waiting in the spool, and after
    rsyslog is back the sender reconnects (reconnects 1 in stats), the
    spool empties, and rsyslog has every event: none was dropped;
  - every event of the live runs (records, alerts, stats with the
    observer, the summary) follows ECS (ecs_check.py's field table);
  - SIGTERM: exit 0, the summary written; also while tcpreplay is still
    sending.

    sensor_live.py --tlsmon PATH --captures DIR

Needs root (namespaces, capture) and tcpreplay; exits 77 (skipped) without
them."""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecs_check  # noqa: E402
import pcaplib  # noqa: E402
import siemlib  # noqa: E402
from siemlib import wait_for  # noqa: E402

REPLAY_PPS = os.environ.get("TLSMON_REPLAY_PPS", "3000")

results = []

# Record fields that do not depend on when the packets were seen.
KEYS = ("source.port", "destination.port", "destination.ip",
        "tlsmon.outcome", "tlsmon.stage", "tlsmon.failure_stage",
        "tls.version", "tls.cipher", "tls.client.server_name",
        "tlsmon.alert.description", "tls.server.hash.sha256",
        "tlsmon.client.ja3", "tlsmon.cause")


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond else f": {str(detail)[:2000]}"))


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True)


def flat(obj, prefix="", out=None):
    out = {} if out is None else out
    for k, v in obj.items():
        if isinstance(v, dict):
            flat(v, prefix + k + ".", out)
        else:
            out[prefix + k] = v
    return out


def key(rec):
    f = flat(rec)
    return tuple(json.dumps(f.get(k)) for k in KEYS)


def alert_key(ev):
    return (ev["rule"]["id"], ev["source"].get("port"),
            ev["destination"].get("port"))


def lines(path):
    out = []
    try:
        with open(path) as fp:
            for line in fp:
                if line.endswith("\n") and line.strip():
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def by_dataset(events, name):
    return [e for e in events if e["event"]["dataset"] == name]


class Sensor:
    def __init__(self, tlsmon, ns, iface, work, tag, workers, rs, redis,
                 extra=()):
        self.out = os.path.join(work, f"{tag}.ndjson")
        self.err_path = os.path.join(work, f"{tag}.stderr")
        self.errf = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, tlsmon, "-i", iface, "--workers",
             str(workers), "--format", "text", "-o", os.devnull, "--json",
             self.out, "--syslog", f"tcp://127.0.0.1:{rs.tcp_port}",
             "--syslog-events", "handshakes,alerts,stats", "--redis",
             f"127.0.0.1:{redis.port}", "--redis-key", f"tlsmon:{tag}",
             "--stats-interval", "1", "--summary",
             # What the captures hold (TCP, QUIC and DTLS over UDP, ICMP
             # unreachables), not the namespace's own IPv6 chatter.
             "-f", "tcp or udp or icmp", *extra],
            stderr=self.errf)

    def stderr(self):
        return open(self.err_path).read()

    def stats(self):
        return [e["tlsmon"]["stats"] for e in by_dataset(lines(self.out),
                                                          "tlsmon.stats")]

    def fresh_stats(self):
        """Ask for stats now and return them."""
        n = len(self.stats())
        os.kill(self.proc.pid, signal.SIGUSR1)
        wait_for(lambda: len(self.stats()) > n, 5)
        got = self.stats()
        return got[-1] if got else {"packets": -1, "pcap_received": -1,
                                    "pcap_dropped": -1, "outputs": []}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = None
        self.errf.close()
        return rc


def replay(ns, iface, caps):
    p = subprocess.run(["ip", "netns", "exec", ns, "tcpreplay", "-i", iface,
                        "--pps", REPLAY_PPS, *caps], capture_output=True,
                       text=True, timeout=300)
    m = re.search(r"Actual: (\d+) packets", p.stdout)
    # A frame longer than the veth's MTU is not sent ("Message too long"):
    # the sensor never sees it, and the records would differ for that
    # reason alone. Count it as nothing sent.
    failed = re.search(r"Failed packets:\s+(\d+)", p.stdout)
    if not m or (failed and int(failed.group(1))):
        return -1, p.stdout + p.stderr
    return int(m.group(1)), p.stdout + p.stderr


def settled(sensor, quiet=1.0, timeout=20):
    """Wait until the output file stops growing."""
    end = time.time() + timeout
    last, since = -1, time.time()
    while time.time() < end:
        size = os.path.getsize(sensor.out) if os.path.exists(sensor.out) else 0
        if size != last:
            last, since = size, time.time()
        elif time.time() - since >= quiet:
            return True
        time.sleep(0.1)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    a = ap.parse_args()
    tlsmon = os.path.abspath(a.tlsmon)
    if os.geteuid() != 0:
        print("live capture in network namespaces needs root: skipped")
        return 77
    if not shutil.which("tcpreplay") or not siemlib.have_receivers():
        print("tcpreplay, rsyslog or redis-server missing (make deps): "
              "skipped")
        return 77
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    schema = ecs_check.Schema(ecs_check.DEFAULT_ECS) \
        if os.path.exists(ecs_check.DEFAULT_ECS) else None
    outage_caps = [c for c in caps if os.path.basename(c).startswith("fail-")]

    tag = str(os.getpid())
    ns_s, ns_c = f"tlsmon-sl-s{tag}", f"tlsmon-sl-c{tag}"
    veth_s, veth_c = f"tlsr{tag}s"[:15], f"tlsr{tag}c"[:15]
    work = tempfile.mkdtemp(prefix="tlsmon-sensor-")
    os.chmod(work, 0o755)
    rs = redis = None
    sensors = []
    try:
        sh("ip", "netns", "add", ns_s)
        sh("ip", "netns", "add", ns_c)
        sh("ip", "link", "add", veth_s, "type", "veth", "peer", "name", veth_c)
        sh("ip", "link", "set", veth_s, "netns", ns_s)
        sh("ip", "link", "set", veth_c, "netns", ns_c)
        for ns, dev in ((ns_s, veth_s), (ns_c, veth_c)):
            # Loopback captures carry frames up to 5 KB.
            sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "mtu",
               "9000", "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        # As README says for any capture interface: with segmentation
        # offloads on, libpcap cuts its ring into 64 KiB slots (512 in
        # 32 MiB, under 0.2 s at 3000 pps), and a sensor starved of CPU
        # on a loaded machine drops; at MTU 9000 the ring holds 3 600.
        sh("ip", "netns", "exec", ns_s, "ethtool", "-K", veth_s, "gro", "off",
           "lro", "off", "tso", "off", "gso", "off")
        prefix = ["ip", "netns", "exec", ns_s]
        rs = siemlib.Rsyslog(work, siemlib.free_port(),
                             siemlib.free_port(siemlib.socket.SOCK_DGRAM),
                             os.path.join(work, "log.sock"), prefix=prefix)
        rs.start()
        redis = siemlib.Redis(work, siemlib.free_port(), prefix=prefix)
        redis.start()

        # Connections of different captures that share a port pair are one
        # flow when replayed back to back; offline, hours apart, they are
        # two. The reference is the offline run of what is replayed.
        merged = os.path.join(work, "all.pcap")
        # Packet times close to now: certificates are judged at them.
        end = pcaplib.merge_host_pairs(caps, merged,
                                       int(time.time() - 600) * 10**9)
        merged_outage = os.path.join(work, "outage.pcap")
        pcaplib.merge_host_pairs(outage_caps, merged_outage,
                                 end + 5 * 10**9, len(caps))
        caps, outage_caps = [merged], [merged_outage]
        ref = siemlib.reference_events(tlsmon, caps)
        ref_hs = sorted(key(r) for r in by_dataset(ref, "tlsmon.handshake"))
        ref_alerts = sorted(alert_key(e) for e in by_dataset(ref,
                                                             "tlsmon.alert"))
        ref_outage = siemlib.reference_events(tlsmon, caps + outage_caps)
        ref_outage_hs = sorted(key(r) for r in by_dataset(ref_outage,
                                                          "tlsmon.handshake"))

        for workers in (1, 3):
            t = f"w{workers}"
            n_rs = len(rs.messages())
            # With 3 workers rsyslog goes away: a queue far smaller than
            # the outage, and the spool behind it, as nobody.
            extra = ["--output-queue", "20", "--spool",
                     os.path.join(work, "spool"), "--user", "nobody"] \
                if workers > 1 else []
            s = Sensor(tlsmon, ns_s, veth_s, work, t, workers, rs, redis,
                       extra)
            sensors.append(s)
            check(f"{t}: the sensor is up (stats line)", wait_for(
                lambda: "tlsmon: stats:" in s.stderr(), 10), s.stderr())
            sent, out = replay(ns_c, veth_c, caps)
            check(f"{t}: tcpreplay sent the captures", sent > 1000, out)
            sent_total = sent
            settled(s)
            st = s.fresh_stats()
            check(f"{t}: stats count every replayed packet ({sent_total})",
                  st["packets"] == sent_total and st["pcap_dropped"] == 0,
                  {k: st[k] for k in ("packets", "pcap_received",
                                      "pcap_dropped")})
            if workers > 1:
                per = st.get("workers", [])
                check(f"{t}: per-worker stats add up, and work was shared",
                      len(per) == workers and
                      sum(w["packets"] for w in per) == sent and
                      sum(1 for w in per if w["packets"]) >= 2, per)
            syslog = [o for o in st["outputs"] if o["name"] == "syslog"]
            check(f"{t}: stats show the syslog output connected",
                  syslog and syslog[0]["connected"] and
                  syslog[0]["sent"] > 0, st["outputs"])

            if workers > 1:
                # The receiver goes away while traffic goes on.
                rs.stop()
                sent2, out = replay(ns_c, veth_c, outage_caps)
                sent_total += sent2
                settled(s)
                st = s.fresh_stats()
                sy = ([o for o in st["outputs"] if o["name"] == "syslog"] or
                      [{"connected": None, "spooled": 0}])[0]
                check(f"{t}: rsyslog down: stats show syslog disconnected "
                      f"with events waiting in the spool, none dropped",
                      not sy["connected"] and sy["spooled"] > 20 and
                      sy["dropped"] == 0, sy)
                rs.start()
                check(f"{t}: the sender reconnects", wait_for(
                    lambda: "connected\n" in s.stderr(), 40), s.stderr())
                def syslog_out():
                    return ([o for o in s.fresh_stats()["outputs"]
                             if o["name"] == "syslog"] or
                            [{"connected": None, "queued": -1,
                              "spooled": -1, "reconnects": -1}])[0]
                wait_for(lambda: syslog_out()["spooled"] == 0, 10)
                sy = syslog_out()
                check(f"{t}: stats count the reconnect, nothing left queued "
                      f"or spooled, nothing dropped",
                      sy["connected"] and sy["reconnects"] == 1 and
                      sy["queued"] == 0 and sy["spooled"] == 0 and
                      sy["dropped"] == 0, sy)

            rc = s.stop()
            check(f"{t}: SIGTERM: exit 0", rc == 0, s.stderr()[-1000:])
            events = lines(s.out)
            if schema:
                bad = [v for e in events for v in schema.check(e)]
                check(f"{t}: every live event (records, alerts, stats with "
                      f"the observer, summary) follows ECS ({len(events)})",
                      events and not bad, bad[:5])
            check(f"{t}: SIGTERM: the summary is written",
                  by_dataset(events, "tlsmon.summary"))
            hs = sorted(key(r) for r in by_dataset(events, "tlsmon.handshake"))
            want = ref_outage_hs if workers > 1 else ref_hs
            check(f"{t}: the live records are the offline ones "
                  f"({len(want)})", hs == want,
                  sorted(set(hs) ^ set(want))[:4])
            alerts = sorted(alert_key(e) for e in by_dataset(events,
                                                             "tlsmon.alert"))
            if workers == 1:
                check(f"{t}: the live alerts are the offline ones "
                      f"({len(ref_alerts)})", alerts == ref_alerts,
                      sorted(set(alerts) ^ set(ref_alerts))[:4])

            wanted = [e for e in events if e["event"]["dataset"] in
                      ("tlsmon.handshake", "tlsmon.alert")]
            wait_for(lambda: len([m for m in rs.messages()[n_rs:]
                                  if m["msgid"] != "stats"]) >= len(wanted),
                     10)
            got = [m for m in rs.messages()[n_rs:] if m["msgid"] != "stats"]
            check(f"{t}: rsyslog has every handshake and alert as RFC 5424 "
                  f"({len(wanted)})",
                  sorted(json.dumps(m["json"], sort_keys=True) for m in got)
                  == sorted(json.dumps(e, sort_keys=True) for e in wanted)
                  and all(m["version"] == "1" for m in got),
                  f"{len(got)} of {len(wanted)}")
            items = redis.list_items(f"tlsmon:{t}")
            check(f"{t}: Redis has the alerts and the stats events",
                  sorted(alert_key(e) for e in items
                         if e["event"]["kind"] == "alert") == alerts and
                  any(e["event"]["dataset"] == "tlsmon.stats" for e in items),
                  len(items))

        # --- SIGTERM in the middle of the traffic --------------------------
        t = "mid"
        s = Sensor(tlsmon, ns_s, veth_s, work, t, 2, rs, redis)
        sensors.append(s)
        wait_for(lambda: "tlsmon: stats:" in s.stderr(), 10)
        player = subprocess.Popen(["ip", "netns", "exec", ns_c, "tcpreplay",
                                   "-i", veth_c, "--pps", "300", *caps],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_for(lambda: len(by_dataset(lines(s.out),
                                        "tlsmon.handshake")) >= 5, 20)
        rc = s.stop()
        player.wait(timeout=300)
        events = lines(s.out)
        hs = by_dataset(events, "tlsmon.handshake")
        summ = by_dataset(events, "tlsmon.summary")
        check(f"{t}: SIGTERM while packets arrive: exit 0, the records so "
              f"far and the summary written ({len(hs)} records)",
              rc == 0 and 5 <= len(hs) < len(ref_hs) and summ and
              summ[-1]["tlsmon"]["summary"]["handshakes"] == len(hs),
              (rc, len(hs), s.stderr()[-500:]))
    finally:
        for s in sensors:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        if rs:
            rs.stop()
        if redis:
            redis.stop()
        subprocess.run(["ip", "netns", "del", ns_s], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns_c], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
