#!/usr/bin/env python3
"""templates.py — real TLS handshakes for the diverse benchmark corpus.

Run by bench/make-templates.sh inside a private network namespace while
tcpdump records its loopback. It makes a private PKI (roots, intermediates
and thousands of leaf chains, wildcard and multi-name, ECDSA and RSA), serves
every chain from one Python ssl (OpenSSL) server that picks the chain by
SNI, and runs real clients against it: Python ssl with several ClientHello
profiles, curl and gnutls-cli. Each connection is one template of a kind
bench/gendiverse.py replays (full, resumed by ticket or session ID, HRR,
alerts, resets, no answer), and its SNI is unique, so the manifest names
every captured connection by the SNI its ClientHello carries.

  templates.py --out DIR --chains 3000 --seed 19

Writes DIR/roots.pem (what a client of these servers trusts: tlsmon's
--ca-file for the corpus), DIR/manifest.json and DIR/keys/ (the chains).
The keys and every random byte of the handshakes differ from run to run;
the chains' names, issuers, key types, validity and the mix of connections
come from the seed.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"
PORTS = {
    "tls": 4443,         # every chain, session tickets on
    "tls-noticket": 4444,  # every chain, TLS 1.2 resumption by session ID
    "tls-hrr": 4445,     # P-256 only: a client offering X25519 gets an HRR
    "reset": 4446,       # reads the ClientHello, answers with RST
    "silent": 4447,      # reads the ClientHello, never answers
    "tls12-nocipher": 4448,  # TLS 1.2, a cipher no client here offers
    "tls12-only": 4449,  # at most TLS 1.2: a TLS 1.3-only client is refused
    "tls-close": 4450,   # the client's cipher order; the server closes first
}

# Well-known suffixes for the most used chains: nDPI names applications
# by SNI, so a realistic share of its host matches needs real-looking names.
# These names exist only in the private PKI made here, on loopback.
KNOWN = ["googleapis.com", "gstatic.com", "googlevideo.com", "fbcdn.net",
         "whatsapp.net", "cloudfront.net", "akamaized.net", "azureedge.net",
         "windows.net", "icloud.com", "amazonaws.com", "office.com",
         "spotify.com", "nflxvideo.net", "tiktokcdn.com", "twimg.com",
         "apple.com", "microsoft.com", "github.com", "youtube.com",
         "instagram.com", "linkedin.com", "zoom.us", "dropbox.com"]
TLDS = ["com"] * 50 + ["net"] * 10 + ["org"] * 8 + ["io"] * 5 + ["de"] * 5 + \
    ["co.uk"] * 3 + ["fr"] * 2 + ["jp"] * 2 + ["nl"] * 2 + ["br"] * 2 + \
    ["app", "dev", "cloud", "info", "eu", "es", "it", "pl", "ru", "in", "ca"]
SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ro", "vi", "do", "pe",
             "ga", "ri", "zo", "bu", "fe", "an", "el", "or", "us", "ix",
             "net", "web", "hub", "cdn", "app", "dat", "sys", "pro"]
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
SERVER_CIPHERS = ("ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:AES128-GCM-SHA256:"
                  "AES256-GCM-SHA384:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM")


def name_of(cn, org):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject, key, issuer_name, issuer_key, serial, not_before,
              not_after, ca, sans=None, pathlen=None):
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(issuer_name).public_key(key.public_key())
         .serial_number(serial).not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), False))
    if ca:
        b = (b.add_extension(x509.BasicConstraints(ca=True, path_length=pathlen), True)
             .add_extension(x509.KeyUsage(False, False, False, False, False,
                                          True, True, False, False), True))
    else:
        ee_rsa = isinstance(key, rsa.RSAPrivateKey)
        b = (b.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
             .add_extension(x509.KeyUsage(True, False, ee_rsa, False, False,
                                          False, False, False, False), True)
             .add_extension(x509.ExtendedKeyUsage(
                 [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
             .add_extension(x509.SubjectAlternativeName(
                 [x509.DNSName(s) for s in sans]), False))
    algo = hashes.SHA384() if isinstance(issuer_key, ec.EllipticCurvePrivateKey) and \
        issuer_key.curve.key_size == 384 else hashes.SHA256()
    return b.sign(issuer_key, algo)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class PKI:
    """Roots, intermediates and one leaf chain per server identity."""

    def __init__(self, rng, n_chains, out):
        self.out = out
        os.makedirs(os.path.join(out, "keys"), exist_ok=True)
        day = datetime.timedelta(days=1)
        long_ago, far = NOW - 3650 * day, NOW + 3650 * day
        # Roots as the public ones are: RSA 4096 and 2048, ECDSA P-384.
        self.roots = []
        for i, kind in enumerate(["rsa4096", "ec384", "rsa2048"]):
            key = (rsa.generate_private_key(65537, int(kind[3:])) if kind.startswith("rsa")
                   else ec.generate_private_key(ec.SECP384R1()))
            nm = name_of(f"Bench Root R{i + 1}", "tlsmon bench trust")
            cert = make_cert(nm, key, nm, key, rng.getrandbits(64), long_ago, far, True)
            self.roots.append((key, cert))
        # An unrelated root: clients that must not trust the servers.
        other_key = ec.generate_private_key(ec.SECP256R1())
        onm = name_of("Unrelated Root", "tlsmon bench elsewhere")
        self.other_root = make_cert(onm, other_key, onm, other_key, 7, long_ago, far, True)
        # Intermediates: RSA 2048 (two under R1, one under R3) and ECDSA
        # P-384 (two under R2, one under R1), like the public issuers.
        self.inters = []
        for i, (kind, root) in enumerate([("rsa", 0), ("rsa", 0), ("rsa", 2),
                                          ("ec", 1), ("ec", 1), ("ec", 0)]):
            key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else \
                ec.generate_private_key(ec.SECP384R1())
            rk, rc = self.roots[root]
            nm = name_of(f"Bench {'R' if kind == 'rsa' else 'E'}{i + 10}", "tlsmon bench CA")
            cert = make_cert(nm, key, rc.subject, rk, rng.getrandbits(64),
                             NOW - 900 * day, NOW + 1500 * day, True, pathlen=0)
            self.inters.append((kind, key, cert, root))
        # RSA 2048 keys cost ~0.2 s each to make: RSA leaves draw from a
        # pool (every certificate is still distinct); ECDSA keys are fresh.
        self.rsa_pool = [rsa.generate_private_key(65537, 2048)
                         for _ in range(min(64, max(4, n_chains // 40)))]
        with open(os.path.join(out, "roots.pem"), "wb") as f:
            for _, c in self.roots:
                f.write(pem(c))
        with open(os.path.join(out, "other-root.pem"), "wb") as f:
            f.write(pem(self.other_root))
        self.chains = []
        used = set()
        for c in range(n_chains):
            self.chains.append(self._chain(rng, c, n_chains, used))
        # Servers that present a default certificate for names they do not
        # host (a misconfigured virtual host): its own chain, no wildcard.
        self.default = self._chain(rng, n_chains, n_chains, used, default=True)

    def _domain(self, rng, c, used):
        if c < len(KNOWN):
            return KNOWN[c]
        while True:
            d = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            d += "." + rng.choice(TLDS)
            if d not in used:
                used.add(d)
                return d

    def _chain(self, rng, c, n, used, default=False):
        domain = "default-vhost.example" if default else self._domain(rng, c, used)
        ecdsa = rng.random() < 0.65
        wildcard = not default and (c < max(1, n // 10) or rng.random() < 0.5)
        # ECDSA leaves mostly under ECDSA issuers, RSA leaves under RSA ones.
        if ecdsa and rng.random() < 0.8:
            issuer = rng.choice([3, 4, 5])
        else:
            issuer = rng.choice([0, 1, 2])
        key = ec.generate_private_key(ec.SECP256R1()) if ecdsa else rng.choice(self.rsa_pool)
        # 90-day certificates (ACME) for most, a year for the rest; issued
        # some time before the capture.
        lifetime = 90 if rng.random() < 0.7 else 397
        age = rng.randint(1, lifetime - 2)
        nb = NOW - datetime.timedelta(days=age, seconds=rng.randint(0, 86399))
        na = nb + datetime.timedelta(days=lifetime)
        sans = [domain, "*." + domain] if wildcard else [domain]
        kind, ikey, icert, root = self.inters[issuer]
        leaf = make_cert(name_of(("*." if wildcard else "") + domain,
                                 "tlsmon bench server"),
                         key, icert.subject, ikey, rng.getrandbits(64), nb, na,
                         False, sans=sans)
        # Most servers send leaf and intermediate; some add the root too.
        with_root = rng.random() < 0.12
        chain = {"id": c, "domain": domain, "wildcard": wildcard,
                 "key": "ecdsa-p256" if ecdsa else "rsa-2048",
                 "issuer": issuer, "certs": 3 if with_root else 2,
                 "sans": sans, "leaf": leaf, "keyobj": key,
                 "not_before": nb, "not_after": na,
                 "file": os.path.join(self.out, "keys", f"chain{c}.pem")}
        with open(chain["file"], "wb") as f:
            f.write(key_pem(key) + pem(leaf) + pem(icert))
            if with_root:
                f.write(pem(self.roots[root][1]))
        return chain

    def add_names(self, chain, names):
        """A multi-name (not wildcard) certificate lists every name its
        templates ask for: re-issue the leaf with them."""
        if chain["wildcard"]:
            return
        chain["sans"] = sorted(set(chain["sans"]) | set(names))
        leaf = chain["leaf"]
        kind, ikey, icert, root = self.inters[chain["issuer"]]
        new = make_cert(leaf.subject, chain["keyobj"], icert.subject, ikey,
                        leaf.serial_number, chain["not_before"],
                        chain["not_after"], False, sans=chain["sans"])
        chain["leaf"] = new
        with open(chain["file"], "wb") as f:
            f.write(key_pem(chain["keyobj"]) + pem(new) + pem(icert))
            if chain["certs"] == 3:
                f.write(pem(self.roots[root][1]))


# ---- servers ----

def server_context(chain_file, noticket=False, groups=None, tls12_only=False,
                   ciphers=None, client_order=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain_file)
    ctx.set_ciphers(ciphers or SERVER_CIPHERS)
    if client_order:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if noticket:
        ctx.options |= ssl.OP_NO_TICKET
    if groups:
        ctx.set_ecdh_curve(groups)
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def chain_contexts(pki, chain_ids, **opts):
    """domain -> server context of its chain."""
    return {pki.chains[c]["domain"]: server_context(pki.chains[c]["file"], **opts)
            for c in chain_ids}


class TLSServer(threading.Thread):
    """One listening port; picks the chain by SNI; answers a request line
    "GET /<n>" with n bytes, then closes after the client (or first).
    Ticket, group and version options are the listening context's: OpenSSL
    keeps them when the SNI callback switches to the chain's context, so
    ports that differ only in those share the chains' contexts."""

    def __init__(self, port, pki, by_domain, closes_first=False, **opts):
        super().__init__(daemon=True)
        self.closes_first = closes_first
        self.by_domain = by_domain
        self.default = server_context(pki.default["file"], **opts)
        self.default.sni_callback = self.pick
        self.sock = socket.create_server((HOST, port), backlog=64)

    def pick(self, sslobj, name, ctx):
        if name:
            dom = name.split(".", 1)[1] if "." in name else name
            c = self.by_domain.get(dom) or self.by_domain.get(name)
            if c:
                sslobj.context = c
        return None

    def run(self):
        while True:
            conn, _ = self.sock.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                # Ragged EOFs raise: a client's close_notify (recv b"") is
                # then answered with the server's, a bare FIN is not (that
                # would meet a reset). OpenSSL drops a session from its ID
                # cache unless the server sent close_notify.
                tls = self.default.wrap_socket(conn, server_side=True,
                                               suppress_ragged_eofs=False)
            except (ssl.SSLError, OSError):
                conn.close()
                continue
            try:
                req = tls.recv(4096)
                n = int(req.split(b"/")[1].split(b" ")[0]) if req.startswith(b"GET /") else 0
                if n:
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n +
                                b"x" * n)
                while not self.closes_first and tls.recv(4096):
                    pass
                tls.unwrap()
            except (ssl.SSLError, OSError, ValueError, IndexError):
                pass
            tls.close()  # the TLS socket owns the descriptor now


class RawServer(threading.Thread):
    """Not TLS: 'reset' answers the ClientHello with RST; 'silent' never
    answers and closes once the client has gone."""

    def __init__(self, port, mode):
        super().__init__(daemon=True)
        self.mode = mode
        self.sock = socket.create_server((HOST, port), backlog=64)

    def run(self):
        while True:
            conn, _ = self.sock.accept()
            try:
                if self.mode == "reset":
                    conn.recv(16384)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                else:
                    while conn.recv(16384):
                        pass
            except OSError:
                pass
            conn.close()


# ---- clients ----

PROFILES13 = [("h2", 60), ("http1", 25), ("noalpn", 15)]
PROFILES12 = [("tls12-h2", 50), ("tls12-plain", 30), ("tls12-rsa-kex", 10),
              ("tls12-cbc", 10)]


def client_context(profile, roots):
    ctx = ssl.create_default_context(cafile=roots)
    if profile in ("h2", "tls12-h2"):
        ctx.set_alpn_protocols(["h2", "http/1.1"])
    elif profile in ("http1", "tls12-plain"):
        ctx.set_alpn_protocols(["http/1.1"])
    if profile.startswith("tls12"):
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if profile == "tls12-rsa-kex":
        ctx.set_ciphers("AES128-GCM-SHA256:AES256-GCM-SHA384")
    elif profile == "tls12-cbc":
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"
                        "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384")
    if profile == "tls13-only":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def pick(rng, table):
    return rng.choices([p for p, _ in table], [w for _, w in table])[0]


class Clients:
    def __init__(self, pki, out, rng):
        self.pki, self.rng = pki, rng
        self.roots = os.path.join(out, "roots.pem")
        self.other = os.path.join(out, "other-root.pem")
        self.ctx = {}
        self.manifest = []
        self.n = 0
        self.bad = 0

    def context(self, profile, trust="roots"):
        k = (profile, trust)
        if k not in self.ctx:
            self.ctx[k] = client_context(profile, self.roots if trust == "roots" else self.other)
        return self.ctx[k]

    def sni(self, chain):
        """A name no other template uses: the manifest's key."""
        self.n += 1
        code = ""
        v = self.n
        while v:
            code = B36[v % 36] + code
            v //= 36
        length = max(len(code) + 1, int(self.rng.lognormvariate(2.0, 0.5)))
        label = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz")
                        for _ in range(length - len(code))) + code
        return label + "." + (chain["domain"] if chain else "unhosted%d.example" % self.n)

    def note(self, sni, kind, chain, stack, expect, got):
        ok = expect == got[0] if expect else True
        if not ok:
            self.bad += 1
            print(f"templates: {kind} {sni}: expected {expect}, got {got}", file=sys.stderr)
        self.manifest.append({
            "sni": sni, "kind": kind, "chain": chain["id"] if chain else None,
            "stack": stack, "version": got[1], "cipher": got[2],
            "resumed": got[3], "result": got[0], "ok": ok})

    def request_size(self):
        return min(60000, int(self.rng.lognormvariate(7.6, 1.0)))

    def talk(self, port, ctx, sni, session=None, close_notify=True):
        """One python connection: handshake, request, response, close.
        Returns (result, version, cipher, resumed, session)."""
        s = socket.create_connection((HOST, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = ctx.wrap_socket(s, server_hostname=sni, session=session)
        except ssl.SSLCertVerificationError as e:
            s.close()
            return ("alert-" + (e.verify_message or "verify"), None, None, False, None)
        except (ssl.SSLError, OSError) as e:
            s.close()
            return ("error-" + type(e).__name__, None, None, False, None)
        try:
            n = self.request_size()
            tls.sendall(b"GET /%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (n, sni.encode()))
            got = 0
            want = None
            while want is None or got < want:
                d = tls.recv(65536)
                if not d:
                    break
                got += len(d)
                if want is None and b"\r\n\r\n" in d:
                    want = n + d.index(b"\r\n\r\n") + 4
            res = ("ok", tls.version(), tls.cipher()[0], tls.session_reused, tls.session)
            if close_notify:
                try:
                    tls.unwrap()
                except (ssl.SSLError, OSError):
                    pass
        except (ssl.SSLError, OSError) as e:
            res = ("error-" + type(e).__name__, tls.version(), None, False, None)
        tls.close()
        return res

    def python_pair(self, chain, kind, port, profile, resume, snis):
        """A full handshake, then (resume) a resumed one with its session."""
        ctx = self.context(profile)
        sni = snis[0]
        # Half the clients close with close_notify; resumption by session
        # ID needs it (the server answers it, and only then keeps the ID).
        cn = self.rng.random() < 0.5 or resume == "resumed-id"
        r = self.talk(port, ctx, sni, close_notify=cn)
        self.note(sni, kind + "-full", chain, "python-" + profile, "ok", r[:4])
        if resume:
            sni2 = snis[1]
            r2 = self.talk(port, ctx, sni2, session=r[4], close_notify=cn)
            self.note(sni2, kind + "-" + resume, chain, "python-" + profile, "ok", r2[:4])
            if r2[0] == "ok" and not r2[3]:
                self.bad += 1
                print(f"templates: {sni2} was not resumed", file=sys.stderr)
        return sni

    def python_fail(self, chain, kind, port, profile, trust="roots", sni=None,
                    timeout=None):
        ctx = self.context(profile, trust)
        sni = sni or self.sni(chain)
        s = socket.create_connection((HOST, port))
        if timeout:
            s.settimeout(timeout)
        try:
            tls = ctx.wrap_socket(s, server_hostname=sni)
            tls.close()
            res = ("ok", None, None, False)
        except ssl.SSLCertVerificationError as e:
            res = ("alert-" + str(e.verify_code), None, None, False)
        except (ssl.SSLError, OSError) as e:
            res = ("failed-" + type(e).__name__, None, None, False)
        s.close()
        self.note(sni, kind, chain, "python-" + profile, None, res)

    def client_reset(self, chain, profile):
        """The client gives up after the server's first flight: a real
        ClientHello (ssl over memory BIOs), then RST."""
        ctx = self.context(profile)
        sni = self.sni(chain)
        inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, outg, server_hostname=sni)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s = socket.create_connection((HOST, PORTS["tls"]))
        s.sendall(outg.read())
        s.settimeout(2)
        try:
            s.recv(65536)
        except OSError:
            pass
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        self.note(sni, "client-reset", chain, "python-" + profile, None,
                  ("reset", None, None, False))

    def external(self, chain, kind, argv, stack, sni):
        """Another client program; its stdin stays open until the server
        has answered and closed (at EOF it would close first)."""
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            p.stdin.write(b"GET /%d HTTP/1.1\r\nHost: %s\r\n\r\n" %
                          (self.request_size(), sni.encode()))
            p.stdin.flush()
            rc = p.wait(timeout=20)
        except (subprocess.TimeoutExpired, OSError):
            p.kill()
            rc = p.wait()
        try:
            p.stdin.close()
        except OSError:
            pass
        self.note(sni, kind, chain, stack, "ok",
                  ("ok" if rc == 0 else "exit-%d" % rc, None, None, False))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--chains", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--ready", help="file to create once the servers listen")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = time.time()
    os.makedirs(a.out, exist_ok=True)
    pki = PKI(rng, a.chains, a.out)
    print(f"templates: PKI of {a.chains} chains in {time.time() - t0:.1f}s", file=sys.stderr)

    n = a.chains
    # Which chains get which extra kinds (the four main kinds: all chains).
    few = max(4, n // 30)
    hrr_chains = list(range(0, n, max(1, n // few)))[:few]
    fail_chains = rng.sample(range(n), min(n, few))
    names = Clients(pki, a.out, rng)

    # Every chain: TLS 1.3 full + resumed by ticket, TLS 1.2 full + resumed
    # (ticket on even chains, session ID on odd ones); a few chains an HRR.
    # The names are drawn now: a multi-name certificate lists them.
    plan = []
    for c in range(n):
        ch = pki.chains[c]
        plan.append((c, "tls13", PORTS["tls"], pick(rng, PROFILES13), "resumed-ticket",
                     [names.sni(ch), names.sni(ch)]))
        prof = pick(rng, PROFILES12)
        if prof == "tls12-rsa-kex" and ch["key"] != "rsa-2048":
            prof = "tls12-plain"
        resume = "resumed-ticket" if c % 2 == 0 else "resumed-id"
        plan.append((c, "tls12", PORTS["tls" if c % 2 == 0 else "tls-noticket"], prof,
                     resume, [names.sni(ch), names.sni(ch)]))
    for c in hrr_chains:
        plan.append((c, "tls13-hrr", PORTS["tls-hrr"], "h2", None, [names.sni(pki.chains[c])]))
    want = {}
    for c, _, _, _, _, snis in plan:
        want.setdefault(c, []).extend(snis)
    for c in range(n):
        pki.add_names(pki.chains[c], want.get(c, []))
    # Extra templates (HRR, failures, other stacks) use names drawn later:
    # only wildcard chains serve them, or the failure is about the name.
    wild = [c for c in range(n) if pki.chains[c]["wildcard"]]
    fail_wild = [c for c in fail_chains if pki.chains[c]["wildcard"]] or wild[:few]
    ext_chains = [c for c in wild[:max(2, n // 40)]] + \
        rng.sample(wild, min(len(wild), max(2, n // 40)))

    every = chain_contexts(pki, range(n))
    servers = [TLSServer(PORTS["tls"], pki, every),
               TLSServer(PORTS["tls-noticket"], pki, every, noticket=True),
               TLSServer(PORTS["tls-hrr"], pki, chain_contexts(pki, hrr_chains, groups="prime256v1"),
                         groups="prime256v1"),
               TLSServer(PORTS["tls12-nocipher"], pki,
                         chain_contexts(pki, fail_wild, tls12_only=True, ciphers="AES256-SHA"),
                         tls12_only=True, ciphers="AES256-SHA"),
               TLSServer(PORTS["tls12-only"], pki, chain_contexts(pki, fail_wild, tls12_only=True),
                         tls12_only=True),
               TLSServer(PORTS["tls-close"], pki, chain_contexts(pki, ext_chains, client_order=True),
                         closes_first=True, client_order=True),
               RawServer(PORTS["reset"], "reset"), RawServer(PORTS["silent"], "silent")]
    for s in servers:
        s.start()
    if a.ready:
        open(a.ready, "w").close()
    print(f"templates: servers up at {time.time() - t0:.1f}s", file=sys.stderr)

    for c, kind, port, prof, resume, snis in plan:
        names.python_pair(pki.chains[c], kind, port, prof, resume, snis)
    print(f"templates: {len(names.manifest)} handshakes at {time.time() - t0:.1f}s",
          file=sys.stderr)
    for i, c in enumerate(fail_wild):
        ch = pki.chains[c]
        p13 = pick(rng, PROFILES13)
        names.python_fail(ch, "client-alert-unknown-ca", PORTS["tls"],
                          p13 if i % 2 else "tls12-h2", trust="other")
        # A name the server does not host: its default certificate.
        names.python_fail(None, "client-alert-bad-name", PORTS["tls"],
                          p13 if i % 2 else "tls12-plain")
        names.python_fail(ch, "server-alert-handshake-failure",
                          PORTS["tls12-nocipher"], p13)
        names.python_fail(ch, "server-alert-protocol-version",
                          PORTS["tls12-only"], "tls13-only")
        names.python_fail(ch, "server-reset", PORTS["reset"], p13)
        names.python_fail(ch, "no-answer", PORTS["silent"], p13, timeout=0.05)
        names.client_reset(ch, p13 if i % 2 else "tls12-h2")
    # Other stacks (curl, GnuTLS, openssl s_client) on the most used
    # chains and a few others, through a server that lets the client's
    # cipher order decide (they order TLS 1.3 suites differently) and
    # closes first.
    roots = os.path.join(a.out, "roots.pem")
    port = str(PORTS["tls-close"])
    for i, c in enumerate(ext_chains):
        ch = pki.chains[c]
        tls12 = i % 2 == 0
        kind = "tls12-full" if tls12 else "tls13-full"
        if shutil.which("curl"):
            sni = names.sni(ch)
            names.external(ch, kind, [
                "curl", "-s", "-o", "/dev/null", "--cacert", roots, "--http1.1",
                "--resolve", f"{sni}:{port}:{HOST}", *(["--tls-max", "1.2"] if tls12 else []),
                f"https://{sni}:{port}/{names.request_size()}"], "curl", sni)
        if shutil.which("gnutls-cli"):
            sni = names.sni(ch)
            names.external(ch, kind, [
                "gnutls-cli", "--x509cafile", roots, "-p", port, "--sni-hostname", sni,
                "--verify-hostname", sni, "--alpn", "h2", "--alpn", "http/1.1",
                *(["--priority", "NORMAL:-VERS-TLS1.3"] if tls12 else []), HOST],
                "gnutls", sni)
        if shutil.which("openssl"):
            sni = names.sni(ch)
            names.external(ch, kind, [
                "openssl", "s_client", "-quiet", "-no_ign_eof", "-connect", f"{HOST}:{port}",
                "-servername", sni, "-verify_hostname", sni, "-CAfile", roots,
                "-verify_return_error", "-alpn", "h2,http/1.1",
                *(["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                   "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"] if tls12 else
                  ["-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
                   "TLS_AES_256_GCM_SHA384" if i % 4 == 1 else
                   "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"])],
                "openssl", sni)
    meta = {"seed": a.seed, "chains": [
        {k: ch[k] for k in ("id", "domain", "wildcard", "key", "issuer", "certs")}
        for ch in pki.chains],
        "captured_at": int(t0), "ports": PORTS, "templates": names.manifest}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(meta, f, indent=0)
    print(f"templates: {len(names.manifest)} connections in {time.time() - t0:.1f}s, "
          f"{names.bad} not as planned", file=sys.stderr)
    return 1 if names.bad > len(names.manifest) // 100 else 0


if __name__ == "__main__":
    sys.exit(main())
