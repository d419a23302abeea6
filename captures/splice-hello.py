#!/usr/bin/env python3
"""splice-hello.py — rewrite the hellos of a real capture into ones no
Debian 12 stack can send: post-quantum key shares (ML-KEM and hybrid groups,
the retired Kyber draft) and Encrypted Client Hello extensions (RFC 9849).

Debian 12's OpenSSL 3.0 and GnuTLS 3.7 have neither ML-KEM nor ECH, so the
captures that need them start from a real handshake made by those stacks
(make-captures.sh) and this script edits the plaintext hello messages in
place, with every length that depends on them made right again: the
extension, the extensions block, the handshake message, the TLS record, the
TCP sequence numbers of everything the edited side sent afterwards and the
acknowledgement numbers of everything the other side sent, the IP lengths
and both checksums. A hello that grows past one segment is cut into segments
of the largest payload that side already sent, as its stack would. Only the
bytes named below change; whatever the hellos' peers did (the transcript,
the encrypted flight) stays as the real stack sent it, which is all a
passive observer can check anyway.

The key shares and ECH payloads are filled with deterministic bytes of the
lengths the specifications give: X25519MLKEM768 is 1216 bytes from the
client and 1120 from the server (draft-ietf-tls-ecdhe-mlkem), the ECH
extension carries an HPKE suite, a config id, a 32-byte encapsulated X25519
key and a payload (RFC 9849 §5).

Usage:
  splice-hello.py IN.pcap OUT.pcap [--conn N]... EDIT...
    --conn N               edit only the N-th TCP connection (0-based, by
                           first packet); repeatable; default every one.
                           Options after --conn apply to that connection.
    --ch-group OLD=NEW:LEN in every ClientHello: group OLD becomes NEW in
                           supported_groups and key_share, whose key becomes
                           LEN bytes
    --sh-group OLD=NEW[:LEN]  in the ServerHello key_share (LEN bytes) and
                           in a HelloRetryRequest's selected group
    --ech CONFIG_ID        add an outer encrypted_client_hello to the first
                           ClientHello (HKDF-SHA256, AES-128-GCM)
Group numbers take 0x hex or decimal.
"""
import argparse
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "e2e"))
import pcaplib  # noqa: E402

EXT_SUPPORTED_GROUPS = 10
EXT_KEY_SHARE = 51
EXT_PRE_SHARED_KEY = 41
EXT_ECH = 0xFE0D
HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


class SpliceError(Exception):
    pass


def filler(label, n):
    """n deterministic bytes: the same capture comes out of every run."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def u16(b, off):
    return struct.unpack_from(">H", b, off)[0]


def vec16(items):
    body = b"".join(items)
    return struct.pack(">H", len(body)) + body


# ---- hello bodies ---------------------------------------------------------

def split_extensions(body, ext_off):
    n = u16(body, ext_off)
    end = ext_off + 2 + n
    if end != len(body):
        raise SpliceError("extensions block does not end the hello")
    exts, off = [], ext_off + 2
    while off < end:
        t, ln = struct.unpack_from(">HH", body, off)
        exts.append([t, body[off + 4:off + 4 + ln]])
        off += 4 + ln
    if off != end:
        raise SpliceError("extension runs past its block")
    return exts


def join_extensions(exts):
    return vec16(struct.pack(">HH", t, len(d)) + d for t, d in exts)


def client_hello_ext_offset(body):
    off = 2 + 32
    off += 1 + body[off]                  # session id
    off += 2 + u16(body, off)             # cipher suites
    off += 1 + body[off]                  # compression
    return off


def server_hello_ext_offset(body):
    off = 2 + 32
    off += 1 + body[off]                  # session id
    return off + 2 + 1                    # suite, compression


def replace_group_list(data, old, new):
    groups = [u16(data, 2 + 2 * i) for i in range(u16(data, 0) // 2)]
    return vec16(struct.pack(">H", new if g == old else g) for g in groups)


def edit_client_hello(body, args, first):
    ext_off = client_hello_ext_offset(body)
    exts = split_extensions(body, ext_off)
    for old, new, length in args.ch_group:
        for e in exts:
            if e[0] == EXT_SUPPORTED_GROUPS:
                e[1] = replace_group_list(e[1], old, new)
            elif e[0] == EXT_KEY_SHARE:
                shares, off, d = [], 2, e[1]
                while off < len(d):
                    g, ln = struct.unpack_from(">HH", d, off)
                    key = d[off + 4:off + 4 + ln]
                    if g == old:
                        g, key = new, filler(f"client-share-{new}", length)
                    shares.append(struct.pack(">HH", g, len(key)) + key)
                    off += 4 + ln
                e[1] = vec16(shares)
    if first and args.ech is not None:
        if any(t == EXT_ECH for t, _ in exts):
            raise SpliceError("the hello already carries ECH")
        ech = (struct.pack(">BHHB", 0, 1, 1, args.ech) +
               struct.pack(">H", 32) + filler(f"ech-enc-{args.ech}", 32) +
               struct.pack(">H", 176) + filler(f"ech-payload-{args.ech}", 176))
        # pre_shared_key must stay last (RFC 8446 §4.2.11).
        at = len(exts) - 1 if exts and exts[-1][0] == EXT_PRE_SHARED_KEY \
            else len(exts)
        exts.insert(at, [EXT_ECH, ech])
    return body[:ext_off] + join_extensions(exts)


def edit_server_hello(body, args):
    ext_off = server_hello_ext_offset(body)
    exts = split_extensions(body, ext_off)
    hrr = body[2:34] == HRR_RANDOM
    for old, new, length in args.sh_group:
        for e in exts:
            if e[0] != EXT_KEY_SHARE:
                continue
            g = u16(e[1], 0)
            if g != old:
                continue
            if hrr:
                e[1] = struct.pack(">H", new)
            else:
                if length is None:
                    raise SpliceError("--sh-group needs :LEN for a ServerHello")
                key = filler(f"server-share-{new}", length)
                e[1] = struct.pack(">HH", new, len(key)) + key
    return body[:ext_off] + join_extensions(exts)


# ---- records of one direction ---------------------------------------------

def edit_records(stream, side, args):
    """The plaintext handshake records at the start of one direction's
    stream: (start, end, new bytes) for each record that changed. Stops at
    the first record that is not a plaintext handshake."""
    edits, off, hellos = [], 0, 0
    while off + 5 <= len(stream):
        ctype, ver, ln = struct.unpack_from(">BHH", stream, off)
        if off + 5 + ln > len(stream):
            break
        if ctype == 20:               # ChangeCipherSpec: go on
            off += 5 + ln
            continue
        if ctype != 22:
            break
        frag = stream[off + 5:off + 5 + ln]
        msgs, m = [], 0
        while m + 4 <= len(frag):
            mtype = frag[m]
            mlen = int.from_bytes(frag[m + 1:m + 4], "big")
            if m + 4 + mlen > len(frag):
                break
            msgs.append([mtype, frag[m + 4:m + 4 + mlen]])
            m += 4 + mlen
        if m != len(frag) or not msgs:
            # Encrypted (a Finished after ChangeCipherSpec), or a message
            # that continues in the next record: no hello is read past it.
            break
        changed = False
        for msg in msgs:
            if side == "client" and msg[0] == 1:
                new = edit_client_hello(msg[1], args, hellos == 0)
                hellos += 1
            elif side == "server" and msg[0] == 2:
                new = edit_server_hello(msg[1], args)
            else:
                continue
            changed |= new != msg[1]
            msg[1] = new
        if changed:
            frag = b"".join(bytes([t]) + len(b).to_bytes(3, "big") + b
                            for t, b in msgs)
            if len(frag) > 16384:
                raise SpliceError("the hello outgrew one TLS record")
            edits.append((off, off + 5 + ln,
                          struct.pack(">BHH", ctype, ver, len(frag)) + frag))
        off += 5 + ln
    return edits


def shift(edits, x):
    """Old stream offset -> new one. Inside an edit, bytes keep their place
    from its start (clamped to the new length); past it, they move by its
    growth."""
    d = 0
    for s, e, new in edits:
        if x <= s:
            break
        if x < e:
            return x + d if x - s <= len(new) else s + d + len(new)
        d += len(new) - (e - s)
    return x + d


# ---- one connection --------------------------------------------------------

def syn_mss(p):
    """The MSS option of a SYN (kind 2), else TCP's default 536."""
    o = p.tcp.options
    i = 0
    while i < len(o):
        kind = o[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        if kind == 2 and o[i + 1] == 4 and i + 4 <= len(o):
            return u16(o, i + 2)
        i += o[i + 1]
    return 536


def splice_connection(pkts, args):
    syn = next((p for p in pkts if p.tcp.flags & pcaplib.TCP_SYN and
                not p.tcp.flags & pcaplib.TCP_ACK), None)
    if syn is None:
        raise SpliceError("connection without a SYN")
    client = syn.dir_key()
    sides = {"client": client, "server": (client[2], client[3], client[0],
                                          client[1])}
    isn = {}
    for name, key in sides.items():
        first = next(p for p in pkts if p.dir_key() == key and
                     p.tcp.flags & pcaplib.TCP_SYN)
        isn[name] = first.tcp.seq
    streams, edits, rebuilt = {}, {}, {}
    for name, key in sides.items():
        data = bytearray()
        for p in pkts:
            if p.dir_key() != key or not p.tcp.payload:
                continue
            rel = (p.tcp.seq - isn[name] - 1) & 0xFFFFFFFF
            if rel != len(data):
                raise SpliceError(f"{name} stream has a retransmission or "
                                  "a hole: not a capture to splice")
            data += p.tcp.payload
        streams[name] = bytes(data)
        edits[name] = edit_records(streams[name], name, args)
        rebuilt[name] = rebuild(streams[name], edits[name])
    # Segments as the stacks would cut them: at the smaller MSS the two
    # SYNs announced (the interface's MTU shows there).
    seg = min(syn_mss(p) for p in pkts if p.tcp.flags & pcaplib.TCP_SYN)
    mss = {"client": seg, "server": seg}
    out = []
    for p in pkts:
        name = "client" if p.dir_key() == sides["client"] else "server"
        other = "server" if name == "client" else "client"
        seq_rel = (p.tcp.seq - isn[name] - 1) & 0xFFFFFFFF
        syn_fin = p.tcp.flags & (pcaplib.TCP_SYN)
        tcp = p.tcp
        new_seq = p.tcp.seq
        if not syn_fin:
            new_seq = isn[name] + 1 + shift(edits[name], seq_rel)
        new_ack = p.tcp.ack
        if p.tcp.flags & pcaplib.TCP_ACK:
            ack_rel = (p.tcp.ack - isn[other] - 1) & 0xFFFFFFFF
            if ack_rel <= len(streams[other]) + 1:
                new_ack = isn[other] + 1 + shift(edits[other], ack_rel)
        payload = p.tcp.payload
        if payload and edits[name]:
            a = shift(edits[name], seq_rel)
            b = shift(edits[name], seq_rel + len(payload))
            payload = rebuilt[name][a:b]
        chunks = [payload[i:i + mss[name]]
                  for i in range(0, len(payload), mss[name])] or [b""]
        for k, chunk in enumerate(chunks):
            last = k == len(chunks) - 1
            flags = tcp.flags if last else tcp.flags & ~(pcaplib.TCP_PSH |
                                                         pcaplib.TCP_FIN)
            out.append(pcaplib.replace(
                p, ts_ns=p.ts_ns,
                tcp=pcaplib.replace(tcp, seq=(new_seq + k * mss[name]) &
                                    0xFFFFFFFF, ack=new_ack & 0xFFFFFFFF,
                                    flags=flags, payload=chunk)))
    changed = sum(len(e) for e in edits.values())
    return out, changed


def rebuild(stream, edits):
    out, at = [], 0
    for s, e, new in edits:
        out += [stream[at:s], new]
        at = e
    out.append(stream[at:])
    return b"".join(out)


def group_edit(text, need_len):
    old, rest = text.split("=", 1)
    new, _, length = rest.partition(":")
    if need_len and not length:
        raise argparse.ArgumentTypeError(f"{text}: OLD=NEW:LEN")
    return (int(old, 0), int(new, 0), int(length) if length else None)


def parse_edits(argv):
    """[(conn or None, namespace)]: options after --conn N apply to it."""
    groups, cur = [], [None, []]
    for a in argv:
        if a == "--conn":
            groups.append(cur)
            cur = ["?", []]
        elif cur[0] == "?":
            cur[0] = int(a)
        else:
            cur[1].append(a)
    groups.append(cur)
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--ch-group", action="append", default=[],
                    type=lambda t: group_edit(t, True))
    ap.add_argument("--sh-group", action="append", default=[],
                    type=lambda t: group_edit(t, False))
    ap.add_argument("--ech", type=lambda t: int(t, 0))
    return [(c, ap.parse_args(opts)) for c, opts in groups
            if c is not None or opts]


def main():
    if len(sys.argv) < 4 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) > 1 else 1
    src, dst = sys.argv[1], sys.argv[2]
    edits = parse_edits(sys.argv[3:])
    cap = pcaplib.read_pcap(src)
    pkts = pcaplib.decode_capture(cap)
    conns, order = {}, []
    for p in pkts:
        if p.tcp is None:
            continue
        k = p.flow_key()
        if k not in conns:
            conns[k] = []
            order.append(k)
        conns[k].append(p)
    replaced = {}
    for i, k in enumerate(order):
        for conn, opts in edits:
            if conn is not None and conn != i:
                continue
            new, changed = splice_connection(conns[k], opts)
            if not changed:
                raise SpliceError(f"connection {i}: nothing to edit")
            conns[k] = new
            replaced[k] = True
    out, emitted = [], set()
    for p in pkts:
        if p.tcp is None:
            out.append(p)
            continue
        k = p.flow_key()
        if k in replaced:
            if k not in emitted:
                emitted.add(k)
            continue
        out.append(p)
    # Put the rewritten connections back in time order.
    for k in replaced:
        out.extend(conns[k])
    out.sort(key=lambda p: p.ts_ns)
    frames = pcaplib.same_l2_frames(out, cap.linktype)
    pcaplib.write_pcap(dst, cap.linktype, frames, cap.snaplen, cap.nano,
                       cap.big_endian)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SpliceError as e:
        sys.exit(f"splice-hello: {e}")
