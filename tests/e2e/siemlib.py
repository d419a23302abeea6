"""siemlib.py — real receivers for the SIEM output tests: an rsyslog and a
redis-server from Debian, each started in the foreground with its own
configuration on loopback ports of the test's choosing, and the readers
that take what they received apart.

rsyslog writes every message it received as one line of its parsed RFC 5424
fields (pri|version|timestamp|host|app|procid|msgid|structured-data|msg), so
a message that was not valid RFC 5424 shows up as version 0 or an empty
field, and one with broken octet-counting framing as garbled JSON."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def have_receivers():
    return os.path.exists(RSYSLOGD) and os.path.exists(REDIS_SERVER)


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def tcp_listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Rsyslog:
    """rsyslogd -n with TCP, UDP and unix-socket inputs writing one parsed
    line per message to `out`. `prefix` runs it elsewhere (ip netns exec)."""

    def __init__(self, workdir, tcp_port, udp_port, sock_path, prefix=()):
        self.workdir = workdir
        self.tcp_port, self.udp_port, self.sock_path = tcp_port, udp_port, sock_path
        self.prefix = list(prefix)
        self.out = os.path.join(workdir, "received.log")
        self.conf = os.path.join(workdir, "rsyslog.conf")
        self.pidfile = os.path.join(workdir, "rsyslogd.pid")
        self.proc = None
        os.makedirs(os.path.join(workdir, "spool"), exist_ok=True)
        with open(self.conf, "w") as fp:
            fp.write(f"""
global(workDirectory="{workdir}/spool" maxMessageSize="1m")
module(load="imtcp")
module(load="imudp")
module(load="imuxsock" SysSock.Use="off")
template(name="fields" type="string"
  string="%pri%|%protocol-version%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n")
ruleset(name="tlsmon") {{
  action(type="omfile" file="{self.out}" template="fields"
         flushOnTXEnd="on" asyncWriting="off")
}}
input(type="imtcp" address="127.0.0.1" port="{tcp_port}" ruleset="tlsmon")
input(type="imudp" address="127.0.0.1" port="{udp_port}" ruleset="tlsmon")
input(type="imuxsock" Socket="{sock_path}" UseSpecialParser="off"
      ParseHostname="on" ruleset="tlsmon")
""")

    def start(self):
        self.log = open(os.path.join(self.workdir, "rsyslogd.stderr"), "a")
        self.proc = subprocess.Popen(
            self.prefix + [RSYSLOGD, "-n", "-f", self.conf, "-i", self.pidfile],
            stdout=self.log, stderr=self.log)
        ok = wait_for(lambda: self._listening(), 10)
        if not ok:
            raise RuntimeError("rsyslogd did not start: " + open(
                os.path.join(self.workdir, "rsyslogd.stderr")).read()[-1000:])

    def _listening(self):
        if self.prefix:  # another namespace: ask it
            r = subprocess.run(self.prefix + ["ss", "-ltn"],
                               capture_output=True, text=True)
            return f"127.0.0.1:{self.tcp_port} " in r.stdout and \
                os.path.exists(self.sock_path)
        return tcp_listening(self.tcp_port) and os.path.exists(self.sock_path)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)

    def messages(self):
        """Every received message: dict of the RFC 5424 fields, `json` the
        parsed MSG (None when it is not JSON)."""
        out = []
        try:
            with open(self.out, encoding="utf-8", errors="replace") as fp:
                for line in fp:
                    if not line.endswith("\n"):
                        continue
                    f = line[:-1].split("|", 8)
                    if len(f) < 9:
                        out.append({"bad": line})
                        continue
                    m = dict(zip(("pri", "version", "timestamp", "host", "app",
                                  "procid", "msgid", "sd", "msg"), f))
                    try:
                        m["json"] = json.loads(m["msg"])
                    except ValueError:
                        m["json"] = None
                    out.append(m)
        except FileNotFoundError:
            pass
        return out


class Redis:
    def __init__(self, workdir, port, prefix=()):
        self.port = port
        self.prefix = list(prefix)
        self.workdir = workdir
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.workdir, "redis.log"), "a")
        self.proc = subprocess.Popen(
            self.prefix + [REDIS_SERVER, "--port", str(self.port), "--bind",
                           "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--dir", self.workdir],
            stdout=self.log, stderr=self.log)
        if not wait_for(lambda: self.cli("PING") == "PONG", 10):
            raise RuntimeError("redis-server did not start")

    def cli(self, *args):
        r = subprocess.run(self.prefix + [REDIS_CLI, "-p", str(self.port),
                                          "--raw", *args],
                           capture_output=True, text=True)
        return r.stdout.strip()

    def list_items(self, key):
        out = self.cli("LRANGE", key, "0", "-1")
        return [json.loads(x) for x in out.splitlines() if x.strip()]

    def stream_items(self, key):
        # --raw XRANGE: id, field, value per entry, one a line.
        lines = self.cli("XRANGE", key, "-", "+").splitlines()
        return [json.loads(lines[i + 2]) for i in range(0, len(lines) - 2, 3)
                if lines[i + 1] == "event"]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# What each rule severity becomes in the syslog PRI (RFC 5424 severities).
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}


def reference_events(tlsmon, captures, extra=()):
    """The handshake records and alert events of an offline NDJSON run, in
    the order the network outputs send them: --json's, the order records
    are decided in (-o puts a file's records in capture-time order)."""
    p = subprocess.run([tlsmon, "--no-summary", "-o", os.devnull, "--json",
                        "/dev/stdout", *extra, *captures],
                       capture_output=True, text=True, timeout=300)
    if p.returncode not in (0, 2):
        raise RuntimeError(f"reference run failed: {p.stderr[-500:]}")
    return [json.loads(x) for x in p.stdout.splitlines() if x.strip()]


def event_key(ev):
    """What identifies an event across outputs: kind, flow, rule."""
    return (ev["event"]["dataset"], ev.get("tlsmon", {}).get("flow_id"),
            ev.get("rule", {}).get("id"))
