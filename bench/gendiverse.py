#!/usr/bin/env python3
"""gendiverse: a benchmark capture shaped like a real network's TLS, from
the real handshakes bench/make-templates.sh captured.

What it models (bench/RESULTS.md has the figures of the default corpus):
- many server chains, used as a network uses them: chain popularity falls
  off as a Zipf law (rank r gets weight 1/r^--zipf), so a few CDN-like
  chains carry a large share and thousands appear a few times each;
- many names per chain: a wildcard chain is asked for a pool of names that
  grows with its traffic (--names-per-connection), every replayed
  ClientHello's SNI rewritten to a name of the pool of the same length (the
  lengths of every record, message and extension stay valid); a multi-name
  chain keeps the names its certificate lists;
- a mix of handshakes (--share KIND=WEIGHT, defaults in SHARES): TLS 1.3
  full and resumed by PSK ticket, HRR, TLS 1.2 full and resumed by ticket
  or session ID, and failures: alerts from either side, resets from either
  side, servers that never answer;
- a client population (each client's connections from one address, ports
  counting up from a random start), servers at one address per chain (a
  few for the most used ones), a round-trip time per connection
  (log-normal, median 20 ms), a fresh client and server random per
  connection.

Replays keep every byte the real stacks sent, but for the SNI and the two
randoms; TCP framing as in gencorpus.py (MSS 1448, checksums zero). Times
start at the templates' capture time, so the certificates are as valid in
the corpus as when they were captured. A fixed seed and the same templates
make the same file. QUIC: a share of the quic-* captures' conversations
(--quic-captures, SHARES["quic"]).

  gendiverse.py --templates bench/corpus/templates --connections 100000 \\
      -o bench/corpus/diverse.pcap --stats bench/corpus/diverse.json
"""

import argparse
import bisect
import hashlib
import heapq
import json
import math
import os
import random
import struct
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gencorpus import (FIN, RST, SYN, connection, has_close,  # noqa: E402
                       drain, parse_quic_templates, parse_templates,
                       pcap_output, quic_connection, quic_established_like)

# Connection kinds and their default shares of all connections. The failure
# kinds together are 4 %; TLS 1.3 is 70 % of connections (73 % of those
# that complete), about a third of the completed ones resumed.
SHARES = {
    "tls13-full": 43.0,
    "tls13-resumed": 24.0,
    "tls13-hrr": 1.0,
    "tls12-full": 17.0,
    "tls12-resumed-ticket": 6.0,
    "tls12-resumed-id": 5.0,
    "client-alert-unknown-ca": 0.8,   # the client does not trust the chain
    "client-alert-bad-name": 0.4,     # a default certificate for the name
    "server-alert-handshake-failure": 0.4,  # no cipher in common
    "server-alert-protocol-version": 0.4,   # a TLS 1.3-only client
    "server-reset": 0.6,              # RST answers the ClientHello
    "client-reset": 0.6,              # the client resets after the server's flight
    "no-answer": 0.8,                 # the server never answers; the client gives up
    # QUIC: the UDP conversations of the project's quic-* captures (ngtcp2's
    # client and server, captures/make-captures.sh), replayed as
    # bench/gencorpus.py does (fresh addresses and ports; the Initials are
    # keyed by the client's first connection ID, which stays valid). 100/9
    # of a total of 100 for the rest: 10 % of the connections.
    "quic": 100.0 / 9,
}
# Manifest kinds (bench/templates.py) -> corpus kinds.
KIND_OF = {"tls13-resumed-ticket": "tls13-resumed", "tls13-hrr-full": "tls13-hrr"}
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def client_hello_offsets(payload):
    """(random offset, SNI offset, SNI length) in a ClientHello record, or
    None; SNI offset None when it has none."""
    try:
        if payload[0] != 22 or payload[5] != 1:
            return None
        p = 5 + 4 + 2
        rnd = p
        p += 32
        p += 1 + payload[p]
        p += 2 + struct.unpack_from("!H", payload, p)[0]
        p += 1 + payload[p]
        end = p + 2 + struct.unpack_from("!H", payload, p)[0]
        p += 2
        while p + 4 <= end:
            etype, elen = struct.unpack_from("!HH", payload, p)
            if etype == 0:
                # server_name_list length, name type, name length, name
                nlen = struct.unpack_from("!H", payload, p + 7)[0]
                return rnd, p + 9, nlen
            p += 4 + elen
        return rnd, None, 0
    except (IndexError, struct.error):
        return None


def server_sends_certificate(events):
    """Does the server's flight carry a Certificate message in the clear
    (TLS 1.2 and older: the chain tlsmon's certificate stage reads)?"""
    data = b"".join(p for c, _, p in events if not c and p)
    hs = bytearray()
    p = 0
    while p + 5 <= len(data) and data[p] == 22:
        n = struct.unpack_from("!H", data, p + 3)[0]
        hs += data[p + 5:p + 5 + n]
        p += 5 + n
    q = 0
    while q + 4 <= len(hs):
        if hs[q] == 11:
            return True
        q += 4 + int.from_bytes(hs[q + 1:q + 4], "big")
    return False


SUITES = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
          0x1303: "TLS_CHACHA20_POLY1305_SHA256",
          0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
          0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
          0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
          0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
          0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
          0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384"}


def server_hello_facts(events):
    """(version, cipher suite) the server's ServerHello chose, read from
    the bytes (after an HRR, the second one); (None, None) without one."""
    data = b"".join(p for c, _, p in events if not c and p)
    p = 0
    while p + 5 <= len(data) and data[p] == 22:
        n = struct.unpack_from("!H", data, p + 3)[0]
        body = data[p + 5:p + 5 + n]
        p += 5 + n
        if len(body) < 40 or body[0] != 2 or body[6:38] == HRR_RANDOM:
            continue
        try:
            q = 4 + 2 + 32
            q += 1 + body[q]
            suite = struct.unpack_from("!H", body, q)[0]
            version = struct.unpack_from("!H", body, 4)[0]
            q += 3
            end = q + 2 + struct.unpack_from("!H", body, q)[0]
            q += 2
            while q + 4 <= end:
                etype, elen = struct.unpack_from("!HH", body, q)
                if etype == 43 and elen == 2:
                    version = struct.unpack_from("!H", body, q + 4)[0]
                q += 4 + elen
        except (IndexError, struct.error):
            return None, None
        names = {0x0304: "TLS 1.3", 0x0303: "TLS 1.2", 0x0302: "TLS 1.1", 0x0301: "TLS 1.0"}
        return names.get(version, hex(version)), SUITES.get(suite, "0x%04X" % suite)
    return None, None


def server_random_offset(payload):
    if len(payload) >= 43 and payload[0] == 22 and payload[5] == 2 and \
            payload[11:43] != HRR_RANDOM:
        return 11
    return None


class Template:
    def __init__(self, meta, events):
        self.meta = meta
        self.events = events
        self.kind = KIND_OF.get(meta["kind"], meta["kind"])
        self.hello_at = next(i for i, (c, _, p) in enumerate(events) if c and p)
        self.rnd, self.sni_at, self.sni_len = client_hello_offsets(events[self.hello_at][2])
        self.server_at = next((i for i, (c, _, p) in enumerate(events) if not c and p), None)
        sni = meta["sni"]
        self.suffix = sni[sni.index("."):]
        self.label_len = self.sni_len - len(self.suffix)
        self.cert_visible = server_sends_certificate(events)
        self.version, self.cipher = server_hello_facts(events)

    def instance(self, rng, name):
        """The events with this connection's SNI and randoms."""
        ev = list(self.events)
        c, f, hello = ev[self.hello_at]
        hello = bytearray(hello)
        hello[self.rnd:self.rnd + 32] = rng.randbytes(32)
        if name is not None:
            hello[self.sni_at:self.sni_at + self.sni_len] = name
        ev[self.hello_at] = (c, f, bytes(hello))
        if self.server_at is not None:
            c, f, first = ev[self.server_at]
            off = server_random_offset(first)
            if off is not None:
                first = bytearray(first)
                first[off:off + 32] = rng.randbytes(32)
                ev[self.server_at] = (c, f, bytes(first))
        return ev


def label(seed, chain, n, length):
    """Name n of a chain's pool, `length` characters, a letter first."""
    h = hashlib.blake2b(f"{seed}/{chain}/{n}/{length}".encode(), digest_size=64).digest()
    out = [LABEL_CHARS[h[0] % 26]]
    out += [LABEL_CHARS[b % 36] for b in h[1:length]]
    while len(out) < length:  # labels longer than the digest: repeat it
        out.append(LABEL_CHARS[h[len(out) % 64] % 36])
    return "".join(out)


def percentile(sorted_values, q):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", required=True, help="make-templates.sh output")
    ap.add_argument("--connections", type=int, required=True)
    ap.add_argument("--rate", type=float, default=20000.0,
                    help="new connections per second of capture time")
    ap.add_argument("--zipf", type=float, default=1.0,
                    help="chain popularity exponent (weight of rank r: 1/r^zipf)")
    ap.add_argument("--names-per-connection", type=float, default=0.6,
                    help="a wildcard chain's name pool, per connection it expects")
    ap.add_argument("--clients", type=int, default=None,
                    help="client addresses (default: one per 25 connections)")
    ap.add_argument("--share", action="append", default=[], metavar="KIND=WEIGHT")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--quic-captures", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "captures"),
        help="where the quic-*.pcap captures are (the QUIC share)")
    ap.add_argument("--stats", help="write the corpus's distributions here (JSON)")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()

    shares = dict(SHARES)
    for s in args.share:
        k, _, w = s.partition("=")
        if k not in shares:
            sys.exit(f"gendiverse: unknown kind {k} (kinds: {', '.join(shares)})")
        shares[k] = float(w)

    with open(os.path.join(args.templates, "manifest.json")) as f:
        manifest = json.load(f)
    by_sni = {t["sni"]: t for t in manifest["templates"]}
    chains = manifest["chains"]
    pool = defaultdict(list)          # kind -> templates
    skipped = Counter()
    for name, events in parse_templates([os.path.join(args.templates, "templates.pcap")]):
        if not has_close(events) or not any(c and p for c, _, p in events):
            skipped["no close or no ClientHello"] += 1
            continue
        hello = next(p for c, _, p in events if c and p)
        off = client_hello_offsets(hello)
        if not off or off[1] is None:
            skipped["no SNI"] += 1
            continue
        sni = hello[off[1]:off[1] + off[2]].decode("ascii", "replace")
        meta = by_sni.get(sni)
        if meta is None or not meta["ok"]:
            skipped["not in manifest or not as planned"] += 1
            continue
        t = Template(meta, events)
        pool[t.kind].append(t)
    if skipped:
        print(f"gendiverse: templates skipped: {dict(skipped)}", file=sys.stderr)
    quic, quic_weights = [], []
    if shares.get("quic", 0) > 0:
        import glob
        quic = parse_quic_templates(sorted(glob.glob(os.path.join(args.quic_captures,
                                                                  "quic-*.pcap"))))
        # As in gencorpus.py: a completed handshake four times as often as
        # each failing one.
        quic_weights = [4 if quic_established_like(n) else 1 for n, _ in quic]
        pool["quic"] = quic
    for k, w in shares.items():
        if w > 0 and not pool.get(k):
            sys.exit(f"gendiverse: no templates of kind {k}")
    kinds = [k for k, w in shares.items() if w > 0]
    weights = [shares[k] for k in kinds]
    tls_kinds = [k for k in kinds if k != "quic"]

    rng = random.Random(args.seed)
    n_chains = len(chains)
    pop = [1.0 / (r + 1) ** args.zipf for r in range(n_chains)]
    total_pop = sum(pop)
    # Per kind and chain, the templates to replay; chains drawn by
    # popularity among those that have the kind (the main kinds: all).
    by_kind_chain = {k: defaultdict(list) for k in tls_kinds}
    for k in tls_kinds:
        for t in pool[k]:
            by_kind_chain[k][t.meta["chain"]].append(t)
    kind_chains = {k: sorted(by_kind_chain[k], key=lambda c: -1 if c is None else c)
                   for k in tls_kinds}
    kind_cum = {}
    for k in tls_kinds:
        ws = [pop[c] if c is not None else 1.0 / n_chains for c in kind_chains[k]]
        acc, cum = 0.0, []
        for w in ws:
            acc += w
            cum.append(acc)
        kind_cum[k] = cum
    # A wildcard chain's pool of names grows with the connections it can
    # expect (at least one).
    name_pool = [max(1, round(args.connections * pop[c] / total_pop * args.names_per_connection))
                 for c in range(n_chains)]
    # Server addresses: one per chain, four for the 50 most used.
    server_ips = []
    k = 0
    for c in range(n_chains):
        ips = []
        for _ in range(4 if c < 50 else 1):
            k += 1
            ips.append(struct.pack("!BBBB", 172, 16 + ((k >> 16) & 15), (k >> 8) & 255, k & 255))
        server_ips.append(ips)
    misconfigured = [struct.pack("!BBBB", 192, 0, 2, i) for i in range(1, 33)]
    n_clients = args.clients or max(20, args.connections // 25)
    client_port = [1024 + rng.randrange(60000) for _ in range(n_clients)]

    stats = {"kinds": Counter(), "versions": Counter(), "ciphers": Counter(),
             "stacks": Counter(), "chain_keys_visible": Counter(),
             "chain_certs_visible": Counter(), "quic_templates": Counter()}
    names_of_chain = defaultdict(set)
    conns_of_chain = Counter()
    chains_used, chains_visible = set(), set()

    picks = rng.choices(kinds, weights=weights, k=args.connections)
    t0 = manifest["captured_at"] * 1_000_000_000
    start = t0
    heap = []
    packets = 0
    with pcap_output(args.output) as emit:
        for idx, kind in enumerate(picks):
            if kind == "quic":
                qi = rng.choices(range(len(quic)), weights=quic_weights)[0]
                stats["kinds"]["quic"] += 1
                stats["versions"]["QUIC (TLS 1.3)"] += 1
                stats["quic_templates"][quic[qi][0]] += 1
                start += int(rng.expovariate(args.rate) * 1e9)
                packets += drain(heap, start, emit)
                gen = quic_connection(quic[qi][1], idx + 1, start, rng)
                ts, frame = next(gen)
                heapq.heappush(heap, (ts, idx, frame, gen))
                continue
            cum = kind_cum[kind]
            chain = kind_chains[kind][bisect.bisect_left(cum, rng.random() * cum[-1])]
            t = rng.choice(by_kind_chain[kind][chain])
            name = None
            if chain is not None and chains[chain]["wildcard"]:
                n = rng.randrange(name_pool[chain])
                name = (label(args.seed, chain, n, t.label_len) + t.suffix).encode()
            sni = name.decode() if name else t.meta["sni"]
            cl = rng.randrange(n_clients)
            cip = struct.pack("!BBBB", 10, (cl >> 16) & 255, (cl >> 8) & 255, cl & 255)
            client_port[cl] = 1024 + (client_port[cl] - 1024 + 1) % 64000
            sip = rng.choice(server_ips[chain] if chain is not None else misconfigured)
            rtt = int(min(300.0, max(1.0, rng.lognormvariate(math.log(20.0), 0.8))) * 1_000_000)

            stats["kinds"][kind] += 1
            stats["versions"][t.version or "no ServerHello"] += 1
            stats["ciphers"][t.cipher or "none"] += 1
            stats["stacks"][t.meta["stack"].split("-")[0]] += 1
            if chain is not None:
                chains_used.add(chain)
                names_of_chain[chain].add(sni)
                conns_of_chain[chain] += 1
                if t.cert_visible:
                    chains_visible.add(chain)
                    stats["chain_keys_visible"][chains[chain]["key"]] += 1
                    stats["chain_certs_visible"][chains[chain]["certs"]] += 1

            start += int(rng.expovariate(args.rate) * 1e9)
            packets += drain(heap, start, emit)
            gen = connection(t.instance(rng, name), idx + 1, start, rng, cip=cip, sip=sip,
                             cport=client_port[cl], rtt_ns=rtt)
            ts, frame = next(gen)
            heapq.heappush(heap, (ts, idx, frame, gen))
        packets += drain(heap, float("inf"), emit)

    per_chain = sorted(len(v) for v in names_of_chain.values())
    wild = sorted(len(v) for c, v in names_of_chain.items() if chains[c]["wildcard"])
    conns = args.connections
    failed = sum(v for k, v in stats["kinds"].items()
                 if not k.startswith("tls1") and k != "quic")
    resumed = sum(v for k, v in stats["kinds"].items() if "resumed" in k)
    top = conns_of_chain.most_common(10)
    summary = {
        "connections": conns, "packets": packets,
        "bytes": os.path.getsize(args.output),
        "seed": args.seed, "zipf": args.zipf, "templates": sum(len(v) for v in pool.values()),
        "template_chains": n_chains,
        "kinds": dict(sorted(stats["kinds"].items(), key=lambda kv: -kv[1])),
        "versions": dict(stats["versions"]), "ciphers": dict(stats["ciphers"].most_common()),
        "client_stacks": dict(stats["stacks"]),
        "resumed_share": round(resumed / conns, 4),
        "failed_share": round(failed / conns, 4),
        "chains_used": len(chains_used),
        "chains_visible": len(chains_visible),
        "visible_chain_keys": dict(stats["chain_keys_visible"]),
        "visible_chain_lengths": {str(k): v for k, v in stats["chain_certs_visible"].items()},
        "distinct_snis": sum(per_chain),
        "snis_per_chain": {"max": per_chain[-1] if per_chain else 0,
                           "p50": percentile(per_chain, 0.5),
                           "p90": percentile(per_chain, 0.9),
                           "p99": percentile(per_chain, 0.99),
                           "chains_with_1000_or_more": sum(1 for v in per_chain if v >= 1000),
                           "chains_with_100_or_more": sum(1 for v in per_chain if v >= 100)},
        "snis_per_wildcard_chain": {"chains": len(wild), "max": wild[-1] if wild else 0,
                                    "p50": percentile(wild, 0.5), "p90": percentile(wild, 0.9)},
        "quic_share": round(stats["kinds"]["quic"] / conns, 4),
        "quic_templates": dict(stats["quic_templates"].most_common()),
        "top_chain_share": round(top[0][1] / conns, 4) if top else 0,
        "top10_chains_share": round(sum(v for _, v in top) / conns, 4),
        "visible_share": round(sum(stats["chain_keys_visible"].values()) / conns, 4),
        "clients": n_clients, "rate_per_s": args.rate,
    }
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(summary, f, indent=1)
    print(f"{args.output}: {conns} connections, {packets} packets, "
          f"{summary['bytes']} bytes, {summary['templates']} templates, "
          f"{len(chains_used)} chains ({len(chains_visible)} seen in clear), "
          f"{summary['distinct_snis']} names")


if __name__ == "__main__":
    main()
