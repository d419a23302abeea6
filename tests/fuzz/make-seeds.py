#!/usr/bin/env python3
"""make-seeds.py — seed corpora for the fuzz targets, cut from the project's
captures (and, for fuzz_quic, the RFC 9001 sample payloads), in each
target's input format (see the header of each
tests/fuzz/fuzz_*.c). Rerun after the captures change:

    python3 tests/fuzz/make-seeds.py captures tests/fuzz/corpus
"""
import base64
import glob
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import pcaplib  # noqa: E402

DECODE_LINKTYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]


def write(corpus, target, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as fp:
        fp.write(data)


def streams(packets):
    """Per connection: the ordered list of (side, payload) in capture order,
    side 0 being the first sender."""
    conns = {}
    for p in packets:
        if p.tcp is None or not p.tcp.payload:
            continue
        key = p.flow_key()
        c = conns.setdefault(key, {"first": p.dir_key(), "chunks": []})
        side = 0 if p.dir_key() == c["first"] else 1
        c["chunks"].append((side, p.tcp.payload))
    return list(conns.values())


def session_input(chunks):
    """fuzz_tls_session: guess byte, limit byte, then feed ops of at most
    256 bytes each."""
    out = bytearray([1, 13])
    for side, data in chunks:
        for i in range(0, len(data), 256):
            piece = data[i:i + 256]
            out += bytes([side, len(piece) - 1]) + piece
    return bytes(out)


def starttls_input(chunks):
    """fuzz_starttls: roles unknown, then feed ops of at most 64 bytes, over
    the first 6 kB of the connection (the detector looks at 4 kB a side)."""
    out = bytearray([2])
    for side, data in chunks:
        for i in range(0, len(data), 64):
            piece = data[i:i + 64]
            out += bytes([side | ((len(piece) - 1) << 2)]) + piece
            if len(out) > 6144:
                return bytes(out)
    return bytes(out)


def handshake_messages(data):
    """Handshake message (type, body) pairs from one direction's bytes, as
    far as they are plaintext records."""
    hs = bytearray()
    i = 0
    while i + 5 <= len(data):
        ctype, _, length = struct.unpack(">BHH", data[i:i + 5])
        if ctype != 22:
            break
        hs += data[i + 5:i + 5 + length]
        i += 5 + length
    j = 0
    while j + 4 <= len(hs):
        mtype = hs[j]
        mlen = int.from_bytes(hs[j + 1:j + 4], "big")
        yield mtype, bytes(hs[j + 4:j + 4 + mlen])
        j += 4 + mlen


def keylog_seeds(src, corpus):
    """fuzz_keylog: the committed key logs (cut at a few places) and the
    pcapng files with Decryption Secrets Blocks."""
    for path in sorted(glob.glob(os.path.join(src, "keys", "*.keys"))):
        text = open(path, "rb").read()
        for cut in (0, 21, 63):
            write(corpus, "keylog", bytes([cut << 2]) + text)
    for path in sorted(glob.glob(os.path.join(src, "*.pcapng"))):
        write(corpus, "keylog", b"\x03" + open(path, "rb").read())


def der_header(data, off):
    """(tag, header length, content length) of the DER element at off."""
    tag, first = data[off], data[off + 1]
    if first < 0x80:
        return tag, 2, first
    n = first & 0x7F
    return tag, 2 + n, int.from_bytes(data[off + 2:off + 2 + n], "big")


def der_wrap(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + n.to_bytes(size, "big") + content


def der_subject_seeds(src, corpus):
    """fuzz_der_subject: the DER of every certificate of the committed
    PEM files; one cut short; one made v1 (its [0] version dropped, the
    signature left as it was: nothing here checks it); one whose outer
    length takes five bytes (refused); one whose serial has a two-byte tag
    and hides another name in its bytes (OpenSSL reads a serial there, the
    reader a name)."""
    ders = []
    for path in sorted(glob.glob(os.path.join(src, "certs", "*.pem"))):
        text = open(path).read()
        for block in text.split("-----BEGIN CERTIFICATE-----")[1:]:
            body = block.split("-----END CERTIFICATE-----")[0]
            ders.append(base64.b64decode("".join(body.split())))
    for der in ders:
        write(corpus, "der_subject", der)
    if not ders:
        return
    der = min(ders, key=len)
    write(corpus, "der_subject", der[:len(der) // 2])
    _, h, n = der_header(der, 0)
    cert = der[h:h + n]
    _, th, tn = der_header(cert, 0)
    tbs, rest = cert[th:th + tn], cert[th + tn:]
    tag, vh, vn = der_header(tbs, 0)
    if tag == 0xA0:
        v1 = der_wrap(0x30, tbs[vh + vn:])
        write(corpus, "der_subject", der_wrap(0x30, v1 + rest))
        _, sh, sn = der_header(tbs, vh + vn)
        atv = bytes.fromhex("0603550403") + der_wrap(0x0C, b"hidden")
        hidden = der_wrap(0x30, der_wrap(0x31, der_wrap(0x30, atv)))
        serial = b"\x01" + b"\x05\x00" * 3 + hidden
        tbs2 = tbs[:vh + vn] + b"\x1f\x02" + bytes([len(serial)]) + \
            serial + tbs[vh + vn + sh + sn:]
        write(corpus, "der_subject",
              der_wrap(0x30, der_wrap(0x30, tbs2) + rest))
    write(corpus, "der_subject",
          b"\x30\x85" + n.to_bytes(5, "big") + cert)


def rfc8448_hex(name):
    header = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "unit", "rfc8448.h")
    lines = open(header).read().splitlines()
    i = next(k for k, line in enumerate(lines)
             if line.split()[:2] == ["#define", name])
    body = lines[i]
    while lines[i].endswith("\\"):
        i += 1
        body += lines[i]
    return bytes.fromhex("".join(part for part in body.split('"')[1::2]))


def tls_decrypt_seeds(corpus):
    """fuzz_tls_decrypt: the plaintexts of RFC 8448's server flight and
    client Finished, an alert, and a compressed Certificate, in the
    target's [side][inner type][length][plaintext] records. Needs
    python3-cryptography to open the RFC's records; skipped without it."""
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        print("tls_decrypt: python3-cryptography missing, seeds not made")
        return
    import zlib

    def open13(key, iv, record):
        plain = AESGCM(rfc8448_hex(key)).decrypt(
            rfc8448_hex(iv), record[5:], record[:5])
        plain = plain.rstrip(b"\0")
        return plain[-1], plain[:-1]

    def rec(side, inner, plain):
        return bytes([side, inner]) + struct.pack(">H", len(plain)) + plain

    inner, flight = open13("R8448_S_HS_KEY", "R8448_S_HS_IV",
                           rfc8448_hex("R8448_FLIGHT_RECORD"))
    _, fin = open13("R8448_C_HS_KEY", "R8448_C_HS_IV",
                    rfc8448_hex("R8448_CFIN_RECORD"))
    write(corpus, "tls_decrypt", b"\0" + rec(1, inner, flight) +
          rec(0, 22, fin))
    write(corpus, "tls_decrypt", b"\0" + rec(1, inner, flight) +
          rec(0, 21, b"\x02\x2a"))
    # EncryptedExtensions, then the Certificate compressed with zlib.
    ee_len = 4 + struct.unpack(">I", b"\0" + flight[1:4])[0]
    cert_len = 4 + struct.unpack(">I", b"\0" + flight[ee_len + 1:ee_len + 4])[0]
    cert_body = flight[ee_len + 4:ee_len + cert_len]
    packed = zlib.compress(cert_body)
    cc = struct.pack(">H", 1) + struct.pack(">I", len(cert_body))[1:] + \
        struct.pack(">I", len(packed))[1:] + packed
    msg = bytes([25]) + struct.pack(">I", len(cc))[1:] + cc
    write(corpus, "tls_decrypt", b"\0" + rec(1, 22, flight[:ee_len] + msg +
                                             flight[ee_len + cert_len:]))
    # TLS 1.2 records for tls_record_open.
    for sel in range(8):
        write(corpus, "tls_decrypt", bytes([1 | sel << 1, sel]) +
              bytes(range(48)))
def hello_extension(body, want):
    """The body of extension `want` in a ClientHello body, or None."""
    try:
        off = 2 + 32
        off += 1 + body[off]
        off += 2 + int.from_bytes(body[off:off + 2], "big")
        off += 1 + body[off]
        end = off + 2 + int.from_bytes(body[off:off + 2], "big")
        off += 2
        while off + 4 <= end:
            t = int.from_bytes(body[off:off + 2], "big")
            n = int.from_bytes(body[off + 2:off + 4], "big")
            if t == want:
                return body[off + 4:off + 4 + n]
            off += 4 + n
    except IndexError:
        pass
    return None


def ech_config_list():
    """fuzz_ech seeds of the ECHConfigList and EncryptedExtensions forms,
    built to RFC 9849 §4 (no capture carries them in clear)."""
    def config(cid, name):
        body = bytes([cid]) + b"\x00\x20" + b"\x00\x20" + b"\x44" * 32 + \
            b"\x00\x04\x00\x01\x00\x01" + bytes([64, len(name)]) + name + \
            b"\x00\x00"
        return b"\xfe\x0d" + struct.pack(">H", len(body)) + body
    configs = config(0x2b, b"public.test") + config(0x2c, b"other.test")
    lst = struct.pack(">H", len(configs)) + configs
    ext = b"\xfe\x0d" + struct.pack(">H", len(lst)) + lst
    ee = struct.pack(">H", len(ext)) + ext
    return [bytes([2]) + lst, bytes([3]) + ee, bytes([1]) + b"\x01" * 8]


def datagrams(packets):
    """Per UDP conversation: the ordered list of (side, payload), side 0
    being the first sender."""
    conns = {}
    for p in packets:
        ip = p.ip
        if ip is None or ip.proto != 17 or ip.fragment or len(ip.payload) < 8:
            continue
        sport, dport = struct.unpack(">HH", ip.payload[:4])
        a, b = (ip.src, sport), (ip.dst, dport)
        c = conns.setdefault((min(a, b), max(a, b)), {"first": a, "dgrams": []})
        c["dgrams"].append((0 if a == c["first"] else 1, bytes(ip.payload[8:])))
    return list(conns.values())


def udp_input(prefix, dgrams, limit=16384):
    """fuzz_quic / fuzz_dtls: datagram ops (side, 2-byte length, bytes)."""
    out = bytearray(prefix)
    for side, data in dgrams:
        if len(out) + 3 + len(data) > limit:
            break
        out += bytes([side]) + struct.pack(">H", len(data)) + data
    return bytes(out)


def pcap_walk_seeds(src, corpus):
    """fuzz_pcap_walk: the four smallest committed pcap files whole, each
    cut within its last record, and the smallest again with nanosecond
    stamps and with a snaplen shorter than its frames."""
    paths = sorted(glob.glob(os.path.join(src, "*.pcap")),
                   key=lambda p: (os.path.getsize(p), p))[:4]
    for path in paths:
        data = open(path, "rb").read()
        if data[:4] != b"\xd4\xc3\xb2\xa1":
            continue
        write(corpus, "pcap_walk", data)
        write(corpus, "pcap_walk", data[:-7])
    data = open(paths[0], "rb").read()
    write(corpus, "pcap_walk", b"\x4d\x3c\xb2\xa1" + data[4:])
    write(corpus, "pcap_walk", data[:16] + struct.pack("<I", 40) + data[20:])
    # pcapng: the committed ones, cut, and the smallest pcap rewritten as
    # pcapng with a nanosecond interface, an offset one and a simple block.
    for path in sorted(glob.glob(os.path.join(src, "*.pcapng"))):
        ng = open(path, "rb").read()[:3000]
        write(corpus, "pcap_walk", ng)
        write(corpus, "pcap_walk", ng[:len(ng) * 2 // 3])
    write(corpus, "pcap_walk", pcap_as_pcapng(data))


def ng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def pcap_as_pcapng(data):
    """A classic pcap file's frames as pcapng: three interfaces (micro,
    nano, a millisecond clock with an offset), frames spread over them,
    one as a simple packet block."""
    out = ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for opts in (b"", struct.pack("<HHB3x", 9, 1, 9),
                 struct.pack("<HHB3xHHQ", 9, 1, 3, 14, 8, 1700000000)):
        out += ng_block(1, struct.pack("<HHI", 1, 0, 65535) + opts +
                        struct.pack("<I", 0))
    off, n = 24, 0
    while off + 16 <= len(data):
        sec, usec, cap, wire = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + cap]
        off += 16 + cap
        iface = n % 3
        t = [sec * 10**6 + usec, (sec * 10**6 + usec) * 1000,
             usec // 1000][iface]
        if n == 1:
            out += ng_block(3, struct.pack("<I", len(frame)) + frame)
        else:
            out += ng_block(6, struct.pack("<IIIII", iface, t >> 32,
                                           t & 0xFFFFFFFF, len(frame),
                                           wire) + frame)
        n += 1
    return out


def rfc_vectors():
    """The plaintext Initial payloads of RFC 9001 A.2/A.3, from the unit
    tests' copy, for fuzz_quic's sealed-Initial operation."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "unit", "quic_vectors.h")
    text = open(path).read()
    out = {}
    for name in ("V1_CLIENT_CRYPTO", "V1_SERVER_PAYLOAD"):
        block = text.split(f"#define {name}", 1)[1].split("\n\n", 1)[0]
        out[name] = bytes.fromhex("".join(
            part for part in block.split('"')[1::2]))
    return out


def main():
    src, corpus = sys.argv[1], sys.argv[2]
    keylog_seeds(src, corpus)
    der_subject_seeds(src, corpus)
    pcap_walk_seeds(src, corpus)
    tls_decrypt_seeds(corpus)
    v = rfc_vectors()
    ch, sh = v["V1_CLIENT_CRYPTO"], v["V1_SERVER_PAYLOAD"]
    # Sealed Initials: the client's hello, then the server's; and the
    # client's hello in two CRYPTO frames the other way round.
    write(corpus, "quic", bytes([0, 4]) + struct.pack(">H", len(ch)) + ch +
          bytes([5]) + struct.pack(">H", len(sh)) + sh)
    body = ch[4:]
    f1 = bytes([6, 0x40, 100, 0x40, len(body) - 100]) + body[100:]
    f2 = bytes([6, 0, 0x40, 100]) + body[:100]
    write(corpus, "quic", bytes([0, 4]) + struct.pack(">H", len(f1)) + f1 +
          bytes([4]) + struct.pack(">H", len(f2)) + f2)
    for seed in ech_config_list():
        write(corpus, "ech", seed)
    for path in sorted(glob.glob(os.path.join(src, "*.pcap"))):
        cap = pcaplib.read_pcap(path)
        if cap.linktype in DECODE_LINKTYPES:
            sel = DECODE_LINKTYPES.index(cap.linktype)
            for fr in cap.frames[:6]:
                write(corpus, "decode", bytes([sel]) + fr.data)
        packets = pcaplib.decode_capture(cap)
        name = os.path.basename(path)
        for c in datagrams(packets):
            if name.startswith("quic-"):
                write(corpus, "quic", udp_input(b"\x02", c["dgrams"]))
            elif name.startswith("dtls"):
                write(corpus, "dtls", udp_input(b"\x02\x0c", c["dgrams"]))
        for c in streams(packets):
            write(corpus, "tls_session", session_input(c["chunks"]))
            if os.path.basename(path).startswith("starttls-"):
                write(corpus, "starttls", starttls_input(c["chunks"]))
            for side in (0, 1):
                data = b"".join(d for s, d in c["chunks"] if s == side)
                for mtype, body in handshake_messages(data):
                    sel = {1: 0, 2: 2, 11: 3, 12: 5}.get(mtype)
                    if sel is not None:
                        write(corpus, "tls_messages", bytes([sel]) + body)
                    ech = hello_extension(body, 0xFE0D) if mtype == 1 \
                        else None
                    if ech is not None:
                        write(corpus, "ech", bytes([0]) + ech)
    for target in ("decode", "tls_session", "tls_messages", "tcp_stream",
                   "starttls", "keylog", "tls_decrypt", "quic", "dtls", "ech",
                   "der_subject", "pcap_walk"):
        os.makedirs(os.path.join(corpus, target), exist_ok=True)
        n = len(os.listdir(os.path.join(corpus, target)))
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    main()
