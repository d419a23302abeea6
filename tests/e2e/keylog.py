#!/usr/bin/env python3
"""keylog.py — key-log decryption on the captures made with their secrets
(captures/keys/NAME.keys, and pcapng files carrying a Decryption Secrets
Block).

    keylog.py --tlsmon PATH --captures DIR

For every such capture:
  1. established handshakes: the record with keys equals the record without
     them except for what the keys reveal (DECRYPTED_FACTS);
  2. failed TLS 1.3 handshakes: decrypted, and the cause is named with high
     confidence from a readable alert;
  3. tshark with the same key log is the oracle for what the records held:
     every handshake message tlsmon read from a decrypted record is one
     tshark read from that side, the server's encrypted flight is read
     whole, the decrypted alerts are tshark's alerts in order, and the leaf
     certificate tlsmon analyzed is tshark's first certificate;
  4. a key log with every secret damaged: no crash, exit 0, every record
     says the records did not authenticate, and outcomes stay those of the
     run without keys.
"""
import argparse
import glob
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_e2e import capture_args  # noqa: E402
from tlsmon_run import RunError, run_tlsmon  # noqa: E402

# Fields that keys may add or change in an established handshake's record.
DECRYPTED_FACTS = (
    "tls.server.", "tls.client.x509.", "tls.client.hash.",
    "tls.client.issuer", "tls.client.subject", "tls.client.not_",
    "tlsmon.certificate.", "tlsmon.client_certificate.", "tlsmon.ocsp.",
    "tlsmon.decryption.", "tlsmon.decrypted", "tls.next_protocol",
    "tlsmon.new_session_ticket", "tlsmon.certificate_request",
    "tlsmon.client_certificate_empty", "tlsmon.server_certificates.",
    "tlsmon.client_certificates.", "tlsmon.server.usual_issuer",
    "tlsmon.server.issuer_changed", "tlsmon.server.certificate.",
    # The leaf's hash and CN join the pivots once it can be read.
    "related.hosts", "related.hash",
    # What the rules conclude from the facts above.
    "tlsmon.cause", "tlsmon.fix", "tlsmon.confidence", "tlsmon.rules",
)
# The TLS 1.3 server flight: EncryptedExtensions, Certificate,
# CertificateRequest, CertificateVerify, Finished, CompressedCertificate.
TLS13_FLIGHT = {8, 11, 13, 15, 20, 25}
HS_NAMES = {4: "new_session_ticket", 5: "end_of_early_data",
            8: "encrypted_extensions", 11: "certificate",
            13: "certificate_request", 15: "certificate_verify",
            20: "finished", 24: "key_update", 25: "compressed_certificate"}


def keyed_captures(captures):
    out = []
    for keys in sorted(glob.glob(os.path.join(captures, "keys", "*.keys"))):
        name = os.path.basename(keys)[:-len(".keys")]
        out.append((os.path.join(captures, name + ".pcap"), name, keys))
    for cap in sorted(glob.glob(os.path.join(captures, "*.pcapng"))):
        out.append((cap, os.path.basename(cap)[:-len(".pcapng")], None))
    return out


def by_flow(records):
    return sorted(records, key=lambda r: (r.get("event.start", ""),
                                          r.get("tlsmon.flow_id", 0)))


def tshark_view(cap, keys, port):
    """Per client port: handshake types and alerts by sender, and the
    server's first certificate, as tshark decrypts them."""
    cmd = ["tshark", "-r", cap, "-d", f"tcp.port=={port},tls",
           "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
           "-E", "aggregator=,", "-e", "tcp.srcport", "-e", "tcp.dstport",
           "-e", "tls.handshake.type", "-e", "tls.alert_message.desc",
           "-e", "tls.handshake.certificate"]
    if keys:
        cmd[3:3] = ["-o", f"tls.keylog_file:{keys}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    flows = {}
    for line in out.stdout.splitlines():
        src, dst, types, alerts, certs = (line.split("|") + [""] * 5)[:5]
        if not src:
            continue
        server = int(src) == port
        client_port = int(dst) if server else int(src)
        f = flows.setdefault(client_port, {
            "types": {True: [], False: []}, "alerts": {True: [], False: []},
            "leaf": None})
        f["types"][server] += [int(t) for t in types.split(",") if t]
        f["alerts"][server] += [int(a) for a in alerts.split(",") if a]
        if server and certs and f["leaf"] is None:
            der = bytes.fromhex(certs.split(",")[0].replace(":", ""))
            f["leaf"] = hashlib.sha256(der).hexdigest().upper()
    return flows


def check_against_tshark(name, rec, flow, problems):
    who = f"{name} port {rec.get('source.port')}"
    for side, server in (("server", True), ("client", False)):
        mine = set(rec.get(f"tlsmon.decryption.{side}_messages") or [])
        theirs = {HS_NAMES.get(t, str(t)) for t in flow["types"][server]}
        if not mine <= theirs:
            problems.append(f"{who}: {side} messages {sorted(mine)} not all "
                            f"in tshark's {sorted(theirs)}")
    if rec.get("tls.version") == "1.3":
        flight = {HS_NAMES[t] for t in flow["types"][True]
                  if t in TLS13_FLIGHT}
        mine = set(rec.get("tlsmon.decryption.server_messages") or [])
        if not flight <= mine:
            problems.append(f"{who}: server flight {sorted(flight)} not all "
                            f"read: {sorted(mine)}")
    for a in rec.get("tlsmon.alerts") or []:
        if not a.get("decrypted"):
            continue
        theirs = flow["alerts"][a["sender"] == "server"]
        if a["code"] not in theirs:
            problems.append(f"{who}: decrypted alert {a['description']} "
                            f"from the {a['sender']} not in tshark's "
                            f"{theirs}")
    leaf = rec.get("tls.server.hash.sha256")
    if leaf and flow["leaf"] and leaf != flow["leaf"]:
        problems.append(f"{who}: leaf {leaf} is not tshark's {flow['leaf']}")
    if rec.get("tls.version") == "1.3" and flow["leaf"] and not leaf:
        problems.append(f"{who}: tshark read the certificate, tlsmon did not")


def without_secrets(path):
    """The pcapng's blocks without its Decryption Secrets Blocks (editcap
    4.0 cannot write such a file without them)."""
    data = open(path, "rb").read()
    out, off, order = bytearray(), 0, "<"
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" \
                else ">"
        btype, blen = struct.unpack(order + "II", data[off:off + 8])
        if btype != 0x0000000A:
            out += data[off:off + blen]
        off += blen
    return bytes(out)


def damaged_keylog(keys):
    """Every secret with its last hex digit changed."""
    fd, path = tempfile.mkstemp(suffix=".keys")
    with os.fdopen(fd, "w") as out, open(keys) as src:
        for line in src:
            parts = line.split()
            if len(parts) == 3:
                last = parts[2][-1]
                parts[2] = parts[2][:-1] + ("0" if last != "0" else "1")
                line = " ".join(parts) + "\n"
            out.write(line)
    return path


# QUIC and DTLS protect their records in their own ways (packet numbers,
# epochs): a key log naming their client randoms must change nothing, not
# start TLS-over-TCP decryption on them.
UDP_KEYLESS = ("quic-v1", "dtls12-openssl")


def udp_ignores_keys(tlsmon, captures, name):
    cap = os.path.join(captures, name + ".pcap")
    randoms = subprocess.run(
        ["tshark", "-r", cap, "-Y",
         "tls.handshake.type == 1 || dtls.handshake.type == 1",
         "-T", "fields", "-e", "tls.handshake.random",
         "-e", "dtls.handshake.random"],
        capture_output=True, text=True).stdout.split()
    if not randoms:
        return ["tshark found no ClientHello random"]
    fd, keys = tempfile.mkstemp(suffix=".keys")
    with os.fdopen(fd, "w") as out:
        for r in randoms:
            r = r.replace(":", "")
            out.write(f"CLIENT_RANDOM {r} {'11' * 48}\n")
            for label in ("CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                          "SERVER_HANDSHAKE_TRAFFIC_SECRET"):
                out.write(f"{label} {r} {'22' * 32}\n")
    problems = []
    try:
        args = capture_args(captures, name)
        plain, _, _ = run_tlsmon(tlsmon, cap, args)
        keyed, rc, err = run_tlsmon(tlsmon, cap, args + ["--keylog", keys])
        if rc != 0:
            problems.append(f"exit {rc}: {err}")
        for r, p in zip(by_flow(keyed), by_flow(plain)):
            if r != p:
                diff = sorted(k for k in set(r) | set(p)
                              if r.get(k) != p.get(k))
                problems.append(f"the record changed: {diff}")
    except RunError as e:
        problems.append(str(e))
    finally:
        os.unlink(keys)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    a = ap.parse_args()
    have_tshark = subprocess.run(["which", "tshark"],
                                 capture_output=True).returncode == 0
    passed = failed = 0
    caps = keyed_captures(a.captures)
    if not caps:
        print("no captures with key logs")
        return 1
    for cap, name, keys in caps:
        problems = []
        args = capture_args(a.captures, name)
        try:
            keyed = by_flow(run_tlsmon(a.tlsmon, cap, args + (
                ["--keylog", keys] if keys else []))[0])
            if keys:
                plain = by_flow(run_tlsmon(a.tlsmon, cap, args)[0])
            else:  # a pcapng's own secrets: compare with it without them
                with tempfile.NamedTemporaryFile(suffix=".pcapng") as tmp:
                    tmp.write(without_secrets(cap))
                    tmp.flush()
                    plain = by_flow(run_tlsmon(a.tlsmon, tmp.name, args)[0])
        except (RunError, subprocess.CalledProcessError) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        if len(keyed) != len(plain):
            problems.append(f"{len(keyed)} records with keys, {len(plain)} "
                            "without")
        for k, p in zip(keyed, plain):
            who = f"port {k.get('source.port')}"
            if k.get("tlsmon.decryption.status") != "decrypted":
                problems.append(f"{who}: decryption "
                                f"{k.get('tlsmon.decryption.status')}")
            if k.get("tlsmon.outcome") == "established":
                for f in sorted(set(k) | set(p)):
                    if k.get(f) != p.get(f) and not f.startswith(
                            DECRYPTED_FACTS):
                        problems.append(f"{who}: {f} differs: {k.get(f)!r} "
                                        f"with keys, {p.get(f)!r} without")
            elif k.get("tls.version") == "1.3":
                if k.get("tlsmon.alert.encrypted") or \
                        k.get("tlsmon.confidence") != "high" or \
                        k.get("tlsmon.cause") in (None, "unknown", "none"):
                    problems.append(
                        f"{who}: failed TLS 1.3 handshake: cause "
                        f"{k.get('tlsmon.cause')} confidence "
                        f"{k.get('tlsmon.confidence')}, alert encrypted "
                        f"{k.get('tlsmon.alert.encrypted')}")
        if have_tshark and keyed:
            port = keyed[0].get("destination.port")
            flows = tshark_view(cap, keys, port)
            for k in keyed:
                flow = flows.get(k.get("source.port"))
                if flow is None:
                    problems.append(f"port {k.get('source.port')}: not in "
                                    "tshark's view")
                else:
                    check_against_tshark(name, k, flow, problems)
        if keys:
            bad = damaged_keylog(keys)
            try:
                recs, rc, err = run_tlsmon(a.tlsmon, cap,
                                           args + ["--keylog", bad])
                recs = by_flow(recs)
                if rc != 0:
                    problems.append(f"damaged key log: exit {rc}: {err}")
                for r, p in zip(recs, plain):
                    st = r.get("tlsmon.decryption.status")
                    if st != "failed" or r.get("tlsmon.decrypted"):
                        problems.append(f"damaged key log: status {st}")
                    if r.get("tlsmon.outcome") != p.get("tlsmon.outcome"):
                        problems.append(
                            f"damaged key log: outcome "
                            f"{r.get('tlsmon.outcome')}, without keys "
                            f"{p.get('tlsmon.outcome')}")
            except RunError as e:
                problems.append(f"damaged key log: {e}")
            finally:
                os.unlink(bad)
        if problems:
            print(f"FAIL {name}:")
            for p in problems:
                print(f"    {p}")
            failed += 1
        else:
            print(f"ok   {name} ({len(keyed)} handshakes)")
            passed += 1
    if have_tshark:
        for name in UDP_KEYLESS:
            problems = udp_ignores_keys(a.tlsmon, a.captures, name)
            if problems:
                print(f"FAIL {name} with a key log:")
                for p in problems:
                    print(f"    {p}")
                failed += 1
            else:
                print(f"ok   {name} with a key log: records as without it")
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
