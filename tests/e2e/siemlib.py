"""siemlib.py — real receivers for the SIEM output tests: an rsyslog and a
redis-server from Debian, each started in the foreground with its own
configuration on loopback ports of the test's choosing, and the readers
that take what they received apart.

rsyslog writes every message it received as one line of its parsed RFC 5424
fields (pri|version|timestamp|host|app|procid|msgid|structured-data|msg), so
a message that was not valid RFC 5424 shows up as version 0 or an empty
field, and one with broken octet-counting framing as garbled JSON."""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
# rsyslog's TLS driver (Debian's rsyslog-gnutls).
RSYSLOG_GTLS = next(iter(glob.glob("/usr/lib/*/rsyslog/lmnsd_gtls.so")), None)
STUNNEL = shutil.which("stunnel4") or shutil.which("stunnel") or \
    "/usr/bin/stunnel4"
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


def make_pki(workdir):
    """A private CA with a collector certificate (localhost, 127.0.0.1),
    a client certificate (CN tlsmon-sensor, clientAuth) and, from another
    CA, a second client certificate: the files for syslog over TLS."""
    d = os.path.join(workdir, "pki")
    os.makedirs(d, exist_ok=True)

    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def key_and_csr(name, cn):
        ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr",
             "-subj", f"/CN={cn}")

    def sign(name, ca, ext):
        with open(f"{d}/{name}.ext", "w") as fp:
            fp.write(ext)
        ossl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.pem",
             "-CAkey", f"{d}/{ca}.key", "-CAcreateserial", "-days", "30",
             "-out", f"{d}/{name}.pem", "-extfile", f"{d}/{name}.ext")

    for ca in ("ca", "other-ca"):
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{d}/{ca}.key",
             "-out", f"{d}/{ca}.pem", "-days", "30", "-subj", f"/CN=tlsmon test {ca}")
    key_and_csr("collector", "localhost")
    sign("collector", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
         "extendedKeyUsage=serverAuth\n")
    key_and_csr("client", "tlsmon-sensor")
    sign("client", "ca", "subjectAltName=DNS:tlsmon-sensor\n"
         "extendedKeyUsage=clientAuth\n")
    key_and_csr("stranger", "tlsmon-sensor")
    sign("stranger", "other-ca", "extendedKeyUsage=clientAuth\n")
    return {k: f"{d}/{k}" for k in ("ca.pem", "other-ca.pem", "collector.pem",
                                     "collector.key", "client.pem",
                                     "client.key", "stranger.pem",
                                     "stranger.key")}


class Rsyslog:
    """rsyslogd -n with TCP, UDP and unix-socket inputs writing one parsed
    line per message to `out`. `prefix` runs it elsewhere (ip netns exec).
    With `tls` (make_pki's files) the TCP input is syslog over TLS (RFC
    5425, Debian's rsyslog-gnutls) that admits only clients with a
    certificate of the CA named tlsmon-sensor."""

    def __init__(self, workdir, tcp_port, udp_port, sock_path, prefix=(),
                 tls=None):
        self.workdir = workdir
        self.tcp_port, self.udp_port, self.sock_path = tcp_port, udp_port, sock_path
        self.prefix = list(prefix)
        self.out = os.path.join(workdir, "received.log")
        self.conf = os.path.join(workdir, "rsyslog.conf")
        self.pidfile = os.path.join(workdir, "rsyslogd.pid")
        self.proc = None
        os.makedirs(os.path.join(workdir, "spool"), exist_ok=True)
        tls_global = tls_module = ""
        if tls:
            tls_global = (f' DefaultNetstreamDriverCAFile="{tls["ca.pem"]}"'
                          f' DefaultNetstreamDriverCertFile="{tls["collector.pem"]}"'
                          f' DefaultNetstreamDriverKeyFile="{tls["collector.key"]}"')
            tls_module = (' StreamDriver.Name="gtls" StreamDriver.Mode="1"'
                          ' StreamDriver.AuthMode="x509/name"'
                          ' PermittedPeer=["tlsmon-sensor"]')
        with open(self.conf, "w") as fp:
            fp.write(f"""
global(workDirectory="{workdir}/spool" maxMessageSize="1m"{tls_global})
module(load="imtcp"{tls_module})
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
    """redis-server on loopback. With `admin_password` the default user
    needs it (requirepass), so a client that does not AUTH is refused;
    `extra` are more server arguments (TLS ports)."""

    def __init__(self, workdir, port, prefix=(), admin_password=None,
                 extra=(), name="redis"):
        self.port = port
        self.prefix = list(prefix)
        self.workdir = workdir
        self.admin_password = admin_password
        self.extra = list(extra)
        self.name = name
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.workdir, self.name + ".log"), "a")
        auth = ["--requirepass", self.admin_password] \
            if self.admin_password else []
        self.proc = subprocess.Popen(
            self.prefix + [REDIS_SERVER, "--port", str(self.port), "--bind",
                           "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--dir", self.workdir, *auth, *self.extra],
            stdout=self.log, stderr=self.log)
        if not wait_for(lambda: self.cli("PING") == "PONG", 10):
            raise RuntimeError("redis-server did not start")

    def cli(self, *args):
        auth = ["--no-auth-warning", "-a", self.admin_password] \
            if self.admin_password else []
        r = subprocess.run(self.prefix + [REDIS_CLI, "-p", str(self.port),
                                          *auth, "--raw", *args],
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
