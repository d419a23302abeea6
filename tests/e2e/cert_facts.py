#!/usr/bin/env python3
"""cert_facts.py — tlsmon's certificate facts and verdicts against OpenSSL's
own command line, on every committed capture.

For each capture, tshark extracts the server's Certificate message (DER, in
clear before TLS 1.3); `openssl x509` reads the leaf and `openssl verify
-attime <capture time> -purpose sslserver -CAfile <trust> -untrusted <rest>`
judges the chain. tlsmon, run with the same trust store (the capture's
expected/NAME.args, else captures/certs/root-ca.pem), must report the same
subject, issuer, serial, validity, SHA-256, SANs, key type, size and
curve, signature algorithm (`openssl x509 -text`), and pass or fail
verification the same way with the same first error. Where tshark sees no
certificate, tlsmon must not claim any certificate fact. A client's chain
(mutual TLS) is checked the same way against tls.client.* with -purpose
sslclient. The leaf's extensions (basic constraints, key usage, EKU, AIA and
CRL URLs) must read as `openssl x509 -ext` prints them, and a stapled OCSP
response as tshark decodes it (response status, the leaf's status and
revocation reason)."""
import argparse
import calendar
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_cache  # noqa: E402
from tlsmon_run import RunError, run_tlsmon  # noqa: E402


def tshark_certs(pcap):
    """[(epoch seconds, src port, dst port, [der bytes, ...]), ...] from
    TLS over TCP and DTLS (whose fragments tshark reassembles)."""
    # Segments that came out of order are put back (ack-before-data: a
    # segment of the certificate flight seen after its ACK); tshark's
    # default leaves such a Certificate unread.
    out = oracle_cache.run(
        ["tshark", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", pcap,
         "-Y", "tls.handshake.certificate || dtls.handshake.certificate",
         "-T",
         "fields", "-e", "frame.time_epoch", "-e", "tcp.srcport", "-e",
         "tcp.dstport", "-e", "tls.handshake.certificate", "-e",
         "udp.srcport", "-e", "udp.dstport", "-e",
         "dtls.handshake.certificate"],
        text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t") + [""] * 7
        if parts[3]:
            sport, dport, certs = parts[1], parts[2], parts[3]
        elif parts[6]:
            sport, dport, certs = parts[4], parts[5], parts[6]
        else:
            continue
        ders = [bytes.fromhex(h.replace(":", "")) for h in certs.split(",")]
        rows.append((int(float(parts[0])), int(sport), int(dport), ders))
    return rows


OCSP_RESPONSE = {0: "successful", 1: "malformedRequest", 2: "internalError",
                 3: "tryLater", 5: "sigRequired", 6: "unauthorized"}
OCSP_CERT = {0: "good", 1: "revoked", 2: "unknown"}
OCSP_REASON = {0: "unspecified", 1: "keyCompromise", 2: "cACompromise",
               3: "affiliationChanged", 4: "superseded",
               5: "cessationOfOperation", 6: "certificateHold",
               8: "removeFromCRL", 9: "privilegeWithdrawn",
               10: "aACompromise"}


def tshark_ocsp(pcap):
    """{(server port, client port): {field: value}} for every stapled OCSP
    response, in tlsmon's names."""
    out = oracle_cache.run(
        ["tshark", "-r", pcap, "-Y", "tls.handshake.type==22", "-T",
         "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e",
         "ocsp.responseStatus", "-e", "ocsp.certStatus", "-e",
         "ocsp.revocationReason"],
        text=True, check=True).stdout
    staples = {}
    for line in out.splitlines():
        parts = (line.split("\t") + [""] * 5)[:5]
        f = {"tlsmon.ocsp.stapled": True}
        if parts[2]:
            f["tlsmon.ocsp.response_status"] = OCSP_RESPONSE.get(
                int(parts[2]))
        if parts[3]:
            f["tlsmon.ocsp.cert_status"] = OCSP_CERT.get(int(parts[3]))
            f["tlsmon.certificate.revoked"] = parts[3] == "1"
        if parts[4]:
            f["tlsmon.ocsp.revocation_reason"] = OCSP_REASON.get(
                int(parts[4]))
        staples[(int(parts[0]), int(parts[1]))] = f
    return staples


def pem(der):
    import base64
    b = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) +
            "\n-----END CERTIFICATE-----\n")


def openssl_time(s):
    """'Nov 22 22:42:33 2026 GMT' -> RFC 3339 as tlsmon writes it."""
    t = time.strptime(s.replace("GMT", "").strip(), "%b %d %H:%M:%S %Y")
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z",
                         time.gmtime(calendar.timegm(t)))


def canonical_ip(text):
    """openssl prints IPv6 SANs uncompressed; tlsmon as inet_ntop does."""
    import ipaddress
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def rfc4514_attributes(dn):
    """(type, value bytes) of an RFC 4514 string, in certificate order
    (the string lists the most specific first)."""
    out, i, typ, val, in_value = [], 0, "", bytearray(), False
    while i <= len(dn):
        c = dn[i] if i < len(dn) else ","
        if not in_value:
            if c == "=":
                in_value = True
            else:
                typ += c
            i += 1
            continue
        if c == "\\" and i + 1 < len(dn):
            pair = dn[i + 1:i + 3]
            if re.fullmatch(r"[0-9A-Fa-f]{2}", pair):
                val.append(int(pair, 16))
                i += 3
                continue
            val += dn[i + 1].encode()
            i += 2
            continue
        if c in ",+":
            out.append((typ.strip(), bytes(val)))
            typ, val, in_value = "", bytearray(), False
        else:
            val += c.encode()
        i += 1
    return out[::-1]


def printable(b):
    """tlsmon's policy for certificate text: printable ASCII as is, the
    rest (and the backslash) as \\xNN."""
    return "".join(chr(x) if 0x20 <= x < 0x7f and x != 0x5c else f"\\x{x:02x}"
                   for x in b)


def name_attributes(dn, prefix):
    """ECS organization and country lists (tlsmon keeps the first two)."""
    attrs = rfc4514_attributes(dn)
    f = {}
    for typ, key in (("O", "organization"), ("C", "country")):
        vals = [printable(v) for t, v in attrs if t == typ][:2]
        f[f"{prefix}.{key}"] = vals or None
    return f


def openssl_facts(leaf_path, side="server"):
    out = oracle_cache.run(
        ["openssl", "x509", "-in", leaf_path, "-noout", "-nameopt", "RFC2253",
         "-subject", "-issuer", "-serial", "-startdate", "-enddate",
         "-fingerprint", "-sha256", "-ext", "subjectAltName"],
        text=True, check=True).stdout
    f = {}
    sans = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("subject="):
            f[f"tls.{side}.subject"] = line[8:]
            f.update(name_attributes(line[8:], f"tls.{side}.x509.subject"))
        elif line.startswith("issuer="):
            f[f"tls.{side}.issuer"] = line[7:]
            f.update(name_attributes(line[7:], f"tls.{side}.x509.issuer"))
        elif line.startswith("serial="):
            f[f"tls.{side}.x509.serial_number"] = line[7:]
        elif line.startswith("notBefore="):
            f[f"tls.{side}.x509.not_before"] = openssl_time(line[10:])
        elif line.startswith("notAfter="):
            f[f"tls.{side}.x509.not_after"] = openssl_time(line[9:])
        elif "Fingerprint=" in line:
            f[f"tls.{side}.hash.sha256"] = \
                line.split("=", 1)[1].replace(":", "")
        elif line.startswith(("DNS:", "IP Address:")):
            for item in line.split(", "):
                sans.append(canonical_ip(item.split(":", 1)[1]))
    if sans:
        f[f"tls.{side}.x509.alternative_names"] = sans
    text = oracle_cache.run(["openssl", "x509", "-in", leaf_path, "-noout",
                             "-text"], text=True, check=True).stdout
    algs = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC",
            "ED25519": "Ed25519", "dsaEncryption": "DSA"}
    m = re.search(r"Public Key Algorithm: (\S+)", text)
    if m:
        f[f"tls.{side}.x509.public_key_algorithm"] = algs.get(m.group(1),
                                                              m.group(1))
    m = re.search(r"Public-Key: \((\d+) bit\)", text)
    if m:
        f[f"tls.{side}.x509.public_key_size"] = int(m.group(1))
    m = re.search(r"ASN1 OID: (\S+)", text)
    f[f"tls.{side}.x509.public_key_curve"] = m.group(1) if m else None
    m = re.search(r"Version: (\d+) ", text)
    if m:
        f[f"tls.{side}.x509.version_number"] = m.group(1)
    m = re.search(r"Signature Algorithm: (\S+)", text)
    if m:
        f[f"tls.{side}.x509.signature_algorithm"] = m.group(1)
    f.update(openssl_extensions(leaf_path, side))
    return f


KEY_USAGE = {"Digital Signature": "digitalSignature",
             "Non Repudiation": "nonRepudiation",
             "Key Encipherment": "keyEncipherment",
             "Data Encipherment": "dataEncipherment",
             "Key Agreement": "keyAgreement",
             "Certificate Sign": "keyCertSign", "CRL Sign": "cRLSign",
             "Encipher Only": "encipherOnly", "Decipher Only": "decipherOnly"}
EKU = {"TLS Web Server Authentication": "serverAuth",
       "TLS Web Client Authentication": "clientAuth",
       "E-mail Protection": "emailProtection", "Code Signing": "codeSigning",
       "OCSP Signing": "OCSPSigning", "Time Stamping": "timeStamping",
       "Any Extended Key Usage": "anyExtendedKeyUsage"}


def openssl_extensions(leaf_path, side):
    """The leaf's basic constraints, key usages and URLs as `openssl x509
    -ext` prints them, in tlsmon's names."""
    out = oracle_cache.run(
        ["openssl", "x509", "-in", leaf_path, "-noout", "-ext",
         "basicConstraints,keyUsage,extendedKeyUsage,authorityInfoAccess,"
         "crlDistributionPoints"],
        text=True).stdout
    pre = "tlsmon.certificate." if side == "server" \
        else "tlsmon.client_certificate."
    f = {pre + "ca": False}
    section = None
    ocsp, issuers, crl = [], [], []
    for raw in out.splitlines():
        line = raw.strip()
        if line.startswith("X509v3 ") or line.startswith("Authority "):
            section = line.split(":")[0]
            continue
        if section == "X509v3 Basic Constraints":
            f[pre + "ca"] = "CA:TRUE" in line
            m = re.search(r"pathlen:(\d+)", line)
            if m:
                f[pre + "path_length"] = int(m.group(1))
        elif section == "X509v3 Key Usage":
            f[pre + "key_usage"] = [KEY_USAGE[x] for x in line.split(", ")]
        elif section == "X509v3 Extended Key Usage":
            f[pre + "extended_key_usage"] = [EKU.get(x, "other")
                                             for x in line.split(", ")]
        elif section == "Authority Information Access":
            if line.startswith("OCSP - URI:"):
                ocsp.append(line[len("OCSP - URI:"):])
            elif line.startswith("CA Issuers - URI:"):
                issuers.append(line[len("CA Issuers - URI:"):])
        elif section == "X509v3 CRL Distribution Points" and \
                line.startswith("URI:"):
            crl.append(line[4:])
    for key, urls in (("ocsp_urls", ocsp), ("ca_issuers_urls", issuers),
                      ("crl_urls", crl)):
        f[pre + key] = urls or None
    # tlsmon lists usages in RFC 5280 bit order, EKUs in its own order.
    if pre + "key_usage" in f:
        order = list(KEY_USAGE.values())
        f[pre + "key_usage"].sort(key=order.index)
    if pre + "extended_key_usage" in f:
        order = list(EKU.values()) + ["other"]
        f[pre + "extended_key_usage"] = sorted(
            set(f[pre + "extended_key_usage"]), key=order.index)
    return f


def openssl_verify(tmp, ders, at, ca, purpose="sslserver"):
    leaf = os.path.join(tmp, "leaf.pem")
    rest = os.path.join(tmp, "rest.pem")
    with open(leaf, "w") as fp:
        fp.write(pem(ders[0]))
    with open(rest, "w") as fp:
        fp.write("".join(pem(d) for d in ders[1:]))
    cmd = ["openssl", "verify", "-attime", str(at), "-purpose", purpose,
           "-CAfile", ca]
    if len(ders) > 1:
        cmd += ["-untrusted", rest]
    proc = oracle_cache.run(cmd + [leaf], text=True)
    m = re.search(r"error \d+ at \d+ depth lookup: (.*)",
                  proc.stdout + proc.stderr)
    return leaf, proc.returncode == 0, m.group(1).strip() if m else None


def trust_file(captures, name):
    path = os.path.join(captures, "expected", name + ".args")
    root = os.path.dirname(os.path.abspath(captures))
    args = []
    if os.path.exists(path):
        args = [line.strip() for line in open(path) if line.strip()]
    if "--ca-file" in args:
        return os.path.join(root, args[args.index("--ca-file") + 1])
    return os.path.join(captures, "certs", "root-ca.pem")


def check_client(r, client, tmp, ca, port):
    at, ders = client
    problems = []
    leaf, ok, error = openssl_verify(tmp, ders, at, ca, "sslclient")
    for k, want in openssl_facts(leaf, "client").items():
        if r.get(k) != want:
            problems.append(f"port {port}: {k}: openssl {want!r}, "
                            f"tlsmon {r.get(k)!r}")
    failed = any(r.get("tlsmon.client_certificate." + v) for v in
                 ("untrusted", "expired", "not_yet_valid"))
    if failed == ok:
        problems.append(f"port {port}: client chain: openssl verify "
                        f"{'ok' if ok else 'fails'} ({error}), tlsmon {failed}")
    if r.get("tlsmon.client_certificate.verify_error") != error:
        problems.append(f"port {port}: client verify error: openssl "
                        f"{error!r}, tlsmon "
                        f"{r.get('tlsmon.client_certificate.verify_error')!r}")
    return problems


def check(tlsmon, captures, pcap, tmp):
    name = os.path.splitext(os.path.basename(pcap))[0]
    ca = trust_file(captures, name)
    records, rc, err = run_tlsmon(tlsmon, pcap, ["--ca-file", ca])
    if rc != 0:
        return [f"exit code {rc}: {err.strip()}"]
    problems = []
    rows = tshark_certs(pcap)
    # A chain sent from a record's server port is the server's; one sent
    # to it, a client's (mutual TLS).
    server_ports = {r.get("destination.port") for r in records}
    by_port, clients = {}, {}
    for at, sport, dport, ders in rows:
        side = by_port if sport in server_ports else clients
        side.setdefault((sport, dport), (at, ders))
    checked = checked_clients = 0
    for r in records:
        key = (r.get("destination.port"), r.get("source.port"))
        server = by_port.get(key)
        if server is None:
            for k in r:
                if k.startswith("tls.server.x509") or k == "tls.server.hash.sha256":
                    problems.append(f"port {key[1]}: {k} claimed, tshark saw "
                                    "no server certificate")
            continue
        at, ders = server
        leaf, ok, error = openssl_verify(tmp, ders, at, ca)
        for k, want in openssl_facts(leaf).items():
            if r.get(k) != want:
                problems.append(f"port {key[1]}: {k}: openssl {want!r}, "
                                f"tlsmon {r.get(k)!r}")
        failed = any(r.get("tlsmon.certificate." + v) for v in
                     ("untrusted", "expired", "not_yet_valid"))
        if failed == ok:
            problems.append(f"port {key[1]}: openssl verify "
                            f"{'ok' if ok else 'fails'} ({error}), tlsmon "
                            f"untrusted/expired/not_yet_valid = {failed}")
        if r.get("tlsmon.certificate.verify_error") != error:
            problems.append(f"port {key[1]}: verify error: openssl {error!r}, "
                            f"tlsmon {r.get('tlsmon.certificate.verify_error')!r}")
        if r.get("tlsmon.server_certificates.count") not in (None, len(ders)):
            problems.append(f"port {key[1]}: {len(ders)} certificates, tlsmon "
                            f"{r.get('tlsmon.server_certificates.count')}")
        checked += 1
        client = clients.get((r.get("source.port"), r.get("destination.port")))
        if client is not None:
            problems += check_client(r, client, tmp, ca, key[1])
            checked_clients += 1
    if checked_clients != len(clients):
        problems.append(f"tshark saw {len(clients)} client chains, tlsmon "
                        f"reported {checked_clients}")
    if checked != len(by_port):
        problems.append(f"tshark saw {len(by_port)} server chains, tlsmon "
                        f"reported {checked}")
    staples = tshark_ocsp(pcap)
    for r in records:
        key = (r.get("destination.port"), r.get("source.port"))
        want = staples.pop(key, None)
        if want is None:
            if r.get("tlsmon.ocsp.stapled"):
                problems.append(f"port {key[1]}: tlsmon saw a staple, "
                                "tshark none")
            continue
        for k, v in want.items():
            if r.get(k) != v:
                problems.append(f"port {key[1]}: {k}: tshark {v!r}, tlsmon "
                                f"{r.get(k)!r}")
    if staples:
        problems.append(f"tshark saw {len(staples)} staples tlsmon did not "
                        "report")
    return problems, checked


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    args = ap.parse_args()
    passed = failed = chains = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pcap in sorted(glob.glob(os.path.join(args.captures, "*.pcap"))):
            name = os.path.splitext(os.path.basename(pcap))[0]
            try:
                result = check(args.tlsmon, args.captures, pcap, tmp)
            except (RunError, subprocess.CalledProcessError) as e:
                result = ([str(e)], 0)
            problems, n = result if isinstance(result, tuple) else (result, 0)
            chains += n
            if problems:
                print(f"FAIL {name}:")
                for p in problems:
                    print(f"    {p}")
                failed += 1
            else:
                print(f"ok   {name} ({n} chains)")
                passed += 1
    print(f"{passed} passed, {failed} failed, {chains} chains compared")
    return 1 if failed or chains == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
