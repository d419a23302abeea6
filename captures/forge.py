#!/usr/bin/env python3
"""forge.py — captures no Debian stack can make on loopback, for the cause
rules: built byte by byte to the RFCs, or a real capture impaired.

    forge.py hrr-abandon IN.pcap OUT.pcap   a real TLS 1.3 HelloRetryRequest
        capture (tls13-hrr.pcap) cut after the HRR: the client never sends
        its second ClientHello and closes (no Debian client gives up there)
    forge.py heartbleed OUT.pcap            RFC 6520 heartbeat request whose
        payload_length (16 384) runs past its 3-byte record, answered by a
        16 403-byte heartbeat response (a vulnerable OpenSSL 1.0.1): the
        Heartbleed attack of CVE-2014-0160, fixed in every Debian OpenSSL
    forge.py heartbeat-benign OUT.pcap      the same handshake with a
        well-formed heartbeat request and an answer of the same size
    forge.py one-sided IN.pcap OUT.pcap     a real capture with only the
        client's packets kept (a one-way mirror port)

The handshakes are built to RFC 5246 (TLS 1.1 record layer, RSA suite,
heartbeat extension of RFC 6520); the TCP/IP around them is correct
(checksums, sequence numbers, acknowledgements) and is that of an Ethernet
path between two hosts: the SYNs announce an MSS of 1460, no segment is
longer (the 16 KiB Heartbleed answer crosses in 12), and the receiver
acknowledges every second full segment as Linux does."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "e2e"))
import pcaplib  # noqa: E402
from pcaplib import (TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST,  # noqa: E402
                     TCP_SYN, Frame)

CLIENT = bytes([10, 20, 0, 1])
SERVER = bytes([10, 20, 0, 2])
# Without an MSS option a peer may send no more than 536 bytes a segment
# (RFC 9293 3.7.1): the SYNs announce an Ethernet path's.
MSS = 1460
MSS_OPTION = struct.pack(">BBH", 2, 4, MSS)


def ipv4(src, dst, segment, ident):
    hdr = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(segment),
                                ident & 0xFFFF, 0x4000, 64, 6, 0, src, dst))
    struct.pack_into(">H", hdr, 10, pcaplib.checksum16(bytes(hdr)))
    return bytes(hdr) + segment


class Conversation:
    """One TCP connection, both directions, with sequence numbers kept."""

    def __init__(self, cport, sport, t0_ns):
        self.ports = (cport, sport)
        self.seq = [1000, 5000]  # client, server
        self.t = t0_ns
        self.frames = []
        self.ident = 1

    def send(self, side, flags, payload=b"", gap_us=100):
        """payload in segments of at most MSS bytes; PSH and FIN on the
        last. The peer acknowledges every second full segment."""
        pieces = [payload[i:i + MSS] for i in range(0, len(payload), MSS)]
        pieces = pieces or [b""]
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            self.segment(side, flags if last else
                         flags & ~(TCP_PSH | TCP_FIN), piece,
                         gap_us if n == 0 else 10)
            if not last and n % 2 == 1:
                self.segment(1 - side, TCP_ACK, gap_us=5)

    def segment(self, side, flags, payload=b"", gap_us=100):
        self.t += gap_us * 1000
        src, dst = (CLIENT, SERVER) if side == 0 else (SERVER, CLIENT)
        sp, dp = self.ports if side == 0 else self.ports[::-1]
        ack = self.seq[1 - side] if flags & TCP_ACK else 0
        seg = TCP(sp, dp, self.seq[side], ack, flags, 65535,
                  options=MSS_OPTION if flags & TCP_SYN else b"",
                  payload=payload).build(src, dst)
        self.seq[side] += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN)
                                          else 0)
        l3 = ipv4(src, dst, seg, self.ident)
        self.ident += 1
        data = pcaplib.encapsulate(pcaplib.LINKTYPE_EN10MB, l3)
        self.frames.append(Frame(self.t, data, len(data)))

    def open(self):
        self.send(0, TCP_SYN)
        self.send(1, TCP_SYN | TCP_ACK)
        self.send(0, TCP_ACK)


def record(ctype, body, version=0x0302):
    return struct.pack(">BHH", ctype, version, len(body)) + body


def handshake_msg(htype, body):
    return struct.pack(">B", htype) + len(body).to_bytes(3, "big") + body


def ext(etype, body):
    return struct.pack(">HH", etype, len(body)) + body


HEARTBEAT_EXT = ext(0x000F, b"\x01")  # peer_allowed_to_send


def client_hello():
    sni = b"vulnerable.test"
    body = (struct.pack(">H", 0x0302) + bytes(range(32)) + b"\x00" +
            struct.pack(">H", 4) + struct.pack(">HH", 0x002F, 0x0035) +
            b"\x01\x00")
    exts = (ext(0x0000, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni)
            + HEARTBEAT_EXT)
    body += struct.pack(">H", len(exts)) + exts
    return record(22, handshake_msg(1, body), version=0x0301)


def server_flight():
    body = (struct.pack(">H", 0x0302) + bytes(range(32, 64)) + b"\x00" +
            struct.pack(">H", 0x002F) + b"\x00")
    exts = HEARTBEAT_EXT
    body += struct.pack(">H", len(exts)) + exts
    return record(22, handshake_msg(2, body) + handshake_msg(14, b""))


def heartbeat(mtype, payload_length, payload, padding=16):
    return record(24, struct.pack(">BH", mtype, payload_length) + payload +
                  b"\x00" * padding)


def make_heartbeat(out, attack):
    c = Conversation(40000, 4543 if attack else 4544, 1_764_000_000 * 10**9)
    c.open()
    c.send(0, TCP_ACK | TCP_PSH, client_hello())
    c.send(1, TCP_ACK | TCP_PSH, server_flight(), gap_us=400)
    c.send(0, TCP_ACK, gap_us=50)
    if attack:
        # payload_length 16384 with no payload at all: the server copies
        # 16 KiB of its memory into the answer.
        c.send(0, TCP_ACK | TCP_PSH, record(24, b"\x01\x40\x00"), gap_us=300)
        leaked = bytes((i * 7) & 0xFF for i in range(16384))
        c.send(1, TCP_ACK | TCP_PSH, heartbeat(2, 16384, leaked), gap_us=200)
    else:
        c.send(0, TCP_ACK | TCP_PSH, heartbeat(1, 16, b"tlsmon heartbeat"),
               gap_us=300)
        c.send(1, TCP_ACK | TCP_PSH, heartbeat(2, 16, b"tlsmon heartbeat"),
               gap_us=200)
    c.send(0, TCP_ACK, gap_us=50)
    c.send(0, TCP_RST | TCP_ACK, gap_us=1000)
    pcaplib.write_pcap(out, pcaplib.LINKTYPE_EN10MB, c.frames)


def hrr_abandon(src, out):
    cap = pcaplib.read_pcap(src)
    pkts = pcaplib.decode_capture(cap)
    tcp_pkts = [p for p in pkts if p.tcp is not None]
    server_port = tcp_pkts[0].tcp.dport  # the SYN goes to the server
    keep = []
    hrr = None
    for p in pkts:
        keep.append(p)
        if p.tcp is not None and p.tcp.sport == server_port and p.tcp.payload:
            hrr = p  # the server's first flight: the HelloRetryRequest
            break
    if hrr is None:
        sys.exit(f"{src}: no server answer found")
    client_seq = max((p.tcp.seq + len(p.tcp.payload)
                      for p in keep if p.tcp is not None and
                      p.tcp.dport == server_port), default=0)
    server_seq = hrr.tcp.seq + len(hrr.tcp.payload)
    first = next(p for p in keep if p.tcp is not None and
                 p.tcp.dport == server_port)
    server_first = hrr

    def make(like, ts_ns, seq, ack, flags):
        return pcaplib.replace(like, ts_ns=ts_ns,
                               tcp=pcaplib.replace(like.tcp, seq=seq, ack=ack,
                                                   flags=flags, payload=b"",
                                                   options=b""))

    t = hrr.ts_ns
    # The client acknowledges the HRR, waits, and closes without a second
    # ClientHello; the server closes too.
    keep.append(make(first, t + 50_000, client_seq, server_seq, TCP_ACK))
    keep.append(make(first, t + 1_000_000_000, client_seq, server_seq,
                     TCP_FIN | TCP_ACK))
    keep.append(make(server_first, t + 1_000_100_000, server_seq,
                     client_seq + 1, TCP_FIN | TCP_ACK))
    keep.append(make(first, t + 1_000_150_000, client_seq + 1,
                     server_seq + 1, TCP_ACK))
    frames = pcaplib.same_l2_frames(keep, cap.linktype)
    pcaplib.write_pcap(out, cap.linktype, frames, cap.snaplen, cap.nano)


def one_sided(src, out):
    cap = pcaplib.read_pcap(src)
    pkts = pcaplib.decode_capture(cap)
    syn = next(p for p in pkts if p.tcp is not None and
               p.tcp.flags & TCP_SYN and not p.tcp.flags & TCP_ACK)
    client = (syn.ip.src, syn.tcp.sport)
    keep = [p for p in pkts if p.tcp is not None and
            (p.ip.src, p.tcp.sport) == client]
    frames = pcaplib.same_l2_frames(keep, cap.linktype)
    pcaplib.write_pcap(out, cap.linktype, frames, cap.snaplen, cap.nano)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "hrr-abandon":
        hrr_abandon(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "one-sided":
        one_sided(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "heartbleed":
        make_heartbeat(sys.argv[2], True)
    elif len(sys.argv) == 3 and sys.argv[1] == "heartbeat-benign":
        make_heartbeat(sys.argv[2], False)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
