#!/usr/bin/env python3
"""capture-point.py — what a capture point does to a real connection,
applied to a capture made on loopback by make-captures.sh.

  ack-first FILE PORT
      A mirror port or a TAP merges the two directions with their own
      delays: one segment of the server's flight is seen after the client's
      ACK that covers it. The segment moves to just after that ACK (its
      bytes and every other packet unchanged).

  forged-rst FILE PORT
      An attacker on the path sends the client a RST in the server's name
      right after the ClientHello, with a sequence number outside the
      window the client offered (no stack accepts it, and the handshake goes
      on). The RST is built to RFC 793: the server's addresses and ports,
      RST|ACK, the client's next sequence number acknowledged.

The file is rewritten in place. Standard library and tests/e2e/pcaplib.py.
"""
import os
import sys
from dataclasses import replace

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "e2e"))
import pcaplib  # noqa: E402

RST, ACK = 0x04, 0x10


def server_data(packets, port):
    return [i for i, p in enumerate(packets)
            if p.tcp and p.tcp.sport == port and p.tcp.payload]


def ack_first(packets, port):
    data = server_data(packets, port)
    if len(data) < 4:
        sys.exit("ack-first: the server's flight is not several segments")
    # A segment in the middle of the first flight.
    moved = data[2]
    seg = packets[moved].tcp
    end = (seg.seq + len(seg.payload)) & 0xFFFFFFFF
    for j in range(moved + 1, len(packets)):
        t = packets[j].tcp
        if t and t.dport == port and t.flags & ACK and \
                ((t.ack - seg.seq) & 0xFFFFFFFF) - 1 < 0x80000000 and \
                ((t.ack - end) & 0xFFFFFFFF) < 0x80000000:
            p = replace(packets[moved], ts_ns=packets[j].ts_ns + 1000)
            out = packets[:moved] + packets[moved + 1:j + 1] + [p] + packets[j + 1:]
            print(f"ack-first: server segment {moved + 1} ({len(seg.payload)} bytes) "
                  f"now after the client's ACK (packet {j + 1})")
            return out
    sys.exit("ack-first: no client ACK covers the segment")


def forged_rst(packets, port):
    hello = next((i for i, p in enumerate(packets)
                  if p.tcp and p.tcp.dport == port and p.tcp.payload), None)
    synack = next((p for p in packets
                   if p.tcp and p.tcp.sport == port and p.tcp.flags & 0x02), None)
    if hello is None or synack is None:
        sys.exit("forged-rst: no ClientHello or SYN-ACK")
    ch = packets[hello]
    # The server's next sequence number is its ISN + 1; 256 MiB past it is
    # far outside any window the client offered (at most 64 KiB << 14).
    seq = (synack.tcp.seq + 1 + (256 << 20)) & 0xFFFFFFFF
    ack = (ch.tcp.seq + len(ch.tcp.payload)) & 0xFFFFFFFF
    tcp = pcaplib.TCP(port, ch.tcp.sport, seq, ack, RST | ACK, 0)
    ip = replace(synack.ip, payload=b"")
    forged = pcaplib.Packet(ch.ts_ns + 1000, synack.l2, b"", ip, tcp, 0, synack.frame)
    print(f"forged-rst: RST with seq {seq} after the ClientHello (packet {hello + 1})")
    return packets[:hello + 1] + [forged] + packets[hello + 1:]


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("ack-first", "forged-rst"):
        sys.exit(__doc__)
    mode, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cap = pcaplib.read_pcap(path)
    packets = pcaplib.decode_capture(cap)
    packets = (ack_first if mode == "ack-first" else forged_rst)(packets, port)
    frames = pcaplib.same_l2_frames(packets, cap.linktype)
    pcaplib.write_pcap(path, cap.linktype, frames, cap.snaplen, cap.nano, cap.big_endian)


if __name__ == "__main__":
    main()
