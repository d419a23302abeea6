#!/usr/bin/env python3
"""check-expected.py — cross-check captures/expected/*.json against the
captures with tshark, independently of tlsmon. Run after remaking the
captures: python3 captures/check-expected.py [NAME ...]

It re-derives, per TCP connection, what the wire shows in clear (port, SNI,
chosen version and suite, HRR, resumption, plaintext alerts, 19-byte
encrypted records, RST) and fails on any expected fact it contradicts.
Facts it cannot see (TLS 1.3 established, failure stage) are left to the
scenario itself (make-captures.sh checks the client's own verdict)."""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = {0xc030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          0x1302: "TLS_AES_256_GCM_SHA384",
          0x1301: "TLS_AES_128_GCM_SHA256",
          0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
          0x000a: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
          0x00a7: "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
          0xc02c: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          0x00a8: "TLS_PSK_WITH_AES_128_GCM_SHA256"}
VERSIONS = {0x0301: "1.0", 0x0302: "1.1", 0x0303: "1.2", 0x0304: "1.3"}
ALERTS = {0: "close_notify", 10: "unexpected_message", 40: "handshake_failure", 42: "bad_certificate",
          43: "unsupported_certificate", 44: "certificate_revoked",
          45: "certificate_expired", 48: "unknown_ca", 50: "decode_error",
          70: "protocol_version", 86: "inappropriate_fallback", 112: "unrecognized_name",
          116: "certificate_required", 120: "no_application_protocol"}
GROUPS = {0x17: "secp256r1", 0x18: "secp384r1", 0x19: "secp521r1", 0x1d: "x25519",
          0x1e: "x448", 0x100: "ffdhe2048", 0x101: "ffdhe3072", 0x102: "ffdhe4096",
          0x103: "ffdhe6144", 0x104: "ffdhe8192", 0x11ec: "X25519MLKEM768",
          0x6399: "X25519Kyber768Draft00"}
HRR_RANDOM = "cf21ad74"
FIELDS = ["tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
          "tcp.flags.reset", "tls.handshake.type", "tls.handshake.extensions_server_name",
          "tls.handshake.ciphersuite", "tls.handshake.random",
          "tls.handshake.extensions.supported_version", "tls.handshake.version",
          "tls.handshake.extension.type", "tls.alert_message.level",
          "tls.alert_message.desc", "tls.record.content_type", "tls.record.opaque_type",
          "tls.record.length", "tls.handshake.extensions_alpn_str",
          "tls.handshake.extensions_supported_group",
          "tls.handshake.extensions_key_share_group"]


def tshark(pcap, port):
    # STARTTLS captures: tshark's dissector of the plaintext protocol must
    # find the upgrade itself (decoding the port as TLS would hide it) —
    # except FTP: tshark 4.0 does not follow the AUTH SSL that curl sends.
    name = os.path.basename(pcap)
    decode = [] if name.startswith("starttls-") and \
        not name.startswith("starttls-ftp") else ["-d", f"tcp.port=={port},tls"]
    # A RST forged outside the window becomes, for tshark's sequence
    # analysis, the server's numbering: it would not decode the ServerHello.
    if name == "rst-forged-out-of-window.pcap":
        decode += ["-o", "tcp.analyze_sequence_numbers:FALSE"]
    cmd = ["tshark", "-r", pcap, *decode, "-T", "fields",
           "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        vals = line.split("\t")
        yield {f: (v.split(";") if v else []) for f, v in zip(FIELDS, vals)}


def first_port(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-c", "1", "-T", "fields", "-e",
                          "tcp.dstport"], capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


def connections(pcap):
    conns = {}
    for fr in tshark(pcap, first_port(pcap)):
        c = conns.setdefault(fr["tcp.stream"][0], {
            "dport": None, "sni": None, "version": None, "cipher": None, "hrr": False,
            "server_cert": False, "full": False, "sh_psk": False,
            "sh_count": 0, "alerts": [],
            "enc19": [], "rst": False, "ch": None, "alpn": None})
        if fr["tcp.flags.syn"] == ["1"] and fr["tcp.flags.ack"] == ["0"]:
            c["dport"] = int(fr["tcp.dstport"][0])
        side = "client" if int(fr["tcp.dstport"][0]) == c["dport"] else "server"
        if fr["tcp.flags.reset"] == ["1"]:
            c["rst"] = True
        types = fr["tls.handshake.type"]
        if side == "client" and "1" in types and c["ch"] is None:
            c["sni"] = (fr["tls.handshake.extensions_server_name"] or [None])[0]
            c["ch"] = {
                "alpn": fr["tls.handshake.extensions_alpn_str"],
                "fallback_scsv": "0x5600" in fr["tls.handshake.ciphersuite"],
                "groups": [GROUPS.get(int(g, 0), g)
                           for g in fr["tls.handshake.extensions_supported_group"]],
                "key_share_groups": [GROUPS.get(int(g, 0), g)
                                     for g in fr["tls.handshake.extensions_key_share_group"]]}
        if side == "server" and "2" in types:
            if any(r.replace(":", "").startswith(HRR_RANDOM) for r in fr["tls.handshake.random"]):
                c["hrr"] = True
            else:
                c["sh_count"] += 1
                sv = fr["tls.handshake.extensions.supported_version"]
                c["version"] = VERSIONS[int((sv or fr["tls.handshake.version"])[-1], 16)]
                c["cipher"] = SUITES[int(fr["tls.handshake.ciphersuite"][-1], 16)]
                c["sh_psk"] = "41" in fr["tls.handshake.extension.type"]
                c["alpn"] = (fr["tls.handshake.extensions_alpn_str"] or [None])[0]
        if side == "server" and "11" in types:
            c["server_cert"] = True
        # A full handshake: the server's key exchange, certificate request
        # or ServerHelloDone, or the client's key exchange.
        if (side == "server" and {"11", "12", "13", "14"} & set(types)) or \
                (side == "client" and "16" in types):
            c["full"] = True
        for lvl, desc in zip(fr["tls.alert_message.level"], fr["tls.alert_message.desc"]):
            c["alerts"].append({"sender": side,
                                "level": "fatal" if lvl == "2" else "warning",
                                "description": ALERTS.get(int(desc), f"unknown_{desc}"),
                                "code": int(desc)})
        if "23" in fr["tls.record.opaque_type"] and "19" in fr["tls.record.length"]:
            c["enc19"].append(side)
    return list(conns.values())


def check(name):
    exp = json.load(open(os.path.join(HERE, "expected", name + ".json")))
    got = connections(os.path.join(HERE, name + ".pcap"))
    errs = []
    if len(exp) != len(got):
        return [f"{len(got)} connections, expected {len(exp)}"]
    for i, (e, g) in enumerate(zip(exp, got)):
        def cmp(key, val):
            if key in e and e[key] != val:
                errs.append(f"conn {i}: {key} is {val!r} on the wire, expected {e[key]!r}")
        cmp("destination.port", g["dport"])
        cmp("tls.client.server_name", g["sni"])
        cmp("tls.version", g["version"])
        cmp("tls.cipher", g["cipher"])
        # Without any server hello, whether there was a retry is unknown.
        cmp("tlsmon.hrr", g["hrr"] if g["sh_count"] or g["hrr"] else None)
        if g["version"] != "1.3":  # TLS 1.3 hides the server's ALPN choice
            cmp("tls.next_protocol", g["alpn"])
        for k in ("alpn", "fallback_scsv", "groups", "key_share_groups"):
            ch = g["ch"] or {}
            cmp("tlsmon.client_hello." + k, ch.get(k) or (None if k == "alpn" else ch.get(k)))
        if g["sh_count"]:
            resumed = g["sh_psk"] if g["version"] == "1.3" else not g["full"]
            cmp("tls.resumed", resumed)
        if "tlsmon.alerts" in e:
            plain = [{k: a[k] for k in ("sender", "level", "description", "code")
                      if k in a}
                     for a in e["tlsmon.alerts"] or [] if not a.get("encrypted")]
            enc = [a["sender"] for a in e["tlsmon.alerts"] or [] if a.get("encrypted")]
            if plain != g["alerts"]:
                errs.append(f"conn {i}: plaintext alerts {g['alerts']} expected {plain}")
            # An established connection's expected alerts are the ones its
            # outcome rests on (a client's closing alert); others may follow.
            est = e.get("tlsmon.outcome") == "established"
            if g["version"] == "1.3" and (
                    any(x not in g["enc19"] for x in enc) if est
                    else enc != g["enc19"]):
                errs.append(f"conn {i}: 19-byte encrypted records from {g['enc19']}, expected {enc}")
        if e.get("tlsmon.ended_by") == "rst" and not g["rst"]:
            errs.append(f"conn {i}: no RST")
        if e.get("tlsmon.outcome") == "established" and g["alerts"]:
            errs.append(f"conn {i}: established but plaintext alerts {g['alerts']}")
    return errs


def main():
    names = sys.argv[1:] or sorted(f[:-5] for f in os.listdir(os.path.join(HERE, "expected"))
                                 if f.endswith(".json"))
    bad = 0
    for name in names:
        errs = check(name)
        print(f"{'ok  ' if not errs else 'FAIL'} {name}")
        for e in errs:
            print("     " + e)
        bad += bool(errs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
