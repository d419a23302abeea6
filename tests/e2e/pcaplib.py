"""pcaplib: read and write classic pcap files, and take packets apart and
put them back together, for tests that derive impaired captures from real
ones. Standard library only.

What it covers:
  - classic pcap, both byte orders, microsecond and nanosecond timestamps
    (pcapng is not read here: convert with `editcap -F pcap` first);
  - link layers: EN10MB (with any stack of 802.1Q / 802.1ad tags),
    LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP;
  - IPv4 (options kept, fragments passed through untouched), IPv6 (extension
    headers kept as opaque bytes), TCP (options kept).

Timestamps are kept as integer nanoseconds so no precision is lost between
micro and nano files.
"""

import struct
from dataclasses import dataclass, replace

# LINKTYPE_* values (the file format's numbers, not the DLT_* of a platform).
LINKTYPE_NULL = 0
LINKTYPE_EN10MB = 1
LINKTYPE_PPP = 9
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
# Some platforms' DLT_RAW values that also turn up in files.
_RAW_ALIASES = (12, 14)

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_QINQ_OLD = 0x9100

# BSD loopback address families. IPv4 is 2 everywhere; IPv6 differs by BSD
# (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). We write 24 and read all three.
AF_INET = 2
AF_INET6_WRITE = 24
AF_INET6_ALL = (24, 28, 30)

MAGIC_MICRO = 0xA1B2C3D4
MAGIC_NANO = 0xA1B23C4D
PCAPNG_MAGIC = 0x0A0D0D0A

IPPROTO_TCP = 6

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_PSH = 0x08
TCP_ACK = 0x10


class PcapError(Exception):
    pass


# ---------------------------------------------------------------------------
# Files

@dataclass
class Frame:
    """One captured frame: the bytes that were kept and the wire length."""
    ts_ns: int
    data: bytes
    orig_len: int


@dataclass
class Capture:
    linktype: int
    snaplen: int
    frames: list
    nano: bool = False
    big_endian: bool = False


def is_pcapng(path):
    with open(path, "rb") as f:
        head = f.read(4)
    return len(head) == 4 and struct.unpack("<I", head)[0] == PCAPNG_MAGIC


def read_pcap(path):
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 24:
        raise PcapError(f"{path}: too short for a pcap header")
    magic_le = struct.unpack_from("<I", buf, 0)[0]
    if magic_le == PCAPNG_MAGIC:
        raise PcapError(f"{path}: pcapng, convert with editcap -F pcap")
    endian = None
    nano = False
    for e in ("<", ">"):
        m = struct.unpack_from(e + "I", buf, 0)[0]
        if m in (MAGIC_MICRO, MAGIC_NANO):
            endian, nano = e, m == MAGIC_NANO
            break
    if endian is None:
        raise PcapError(f"{path}: not a pcap file (magic {magic_le:#010x})")
    _vmaj, _vmin, _tz, _sig, snaplen, network = struct.unpack_from(
        endian + "HHiIII", buf, 4)
    linktype = network & 0x0FFFFFFF  # upper bits: FCS length flags
    frames = []
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off < len(buf):
        if off + 16 > len(buf):
            raise PcapError(f"{path}: truncated record header at {off}")
        sec, frac, caplen, origlen = rec.unpack_from(buf, off)
        off += 16
        if off + caplen > len(buf):
            raise PcapError(f"{path}: truncated record at {off}")
        ts = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        frames.append(Frame(ts, bytes(buf[off:off + caplen]), origlen))
        off += caplen
    return Capture(linktype, snaplen, frames, nano, endian == ">")


def write_pcap(path, linktype, frames, snaplen=262144, nano=False,
               big_endian=False):
    """Write frames (Frame objects) as classic pcap. A frame longer than
    snaplen is cut to snaplen; its wire length is kept."""
    e = ">" if big_endian else "<"
    magic = MAGIC_NANO if nano else MAGIC_MICRO
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for fr in frames:
        data = fr.data[:snaplen]
        sec, rest = divmod(fr.ts_ns, 1_000_000_000)
        frac = rest if nano else rest // 1000
        orig = max(fr.orig_len, len(fr.data))
        out.append(struct.pack(e + "IIII", sec, frac, len(data), orig))
        out.append(data)
    with open(path, "wb") as f:
        f.write(b"".join(out))


# ---------------------------------------------------------------------------
# Link layer: strip

@dataclass
class L2Info:
    """What the link layer said: the IP version of what it carries, the
    VLAN ids (outer first), and how many bytes it took."""
    ethertype: int
    vlans: list
    header_len: int


def strip_l2(linktype, data):
    """Return (L2Info, l3 bytes) or None when the frame carries no IP."""
    if linktype == LINKTYPE_EN10MB:
        if len(data) < 14:
            return None
        off = 12
        vlans = []
        etype = struct.unpack_from(">H", data, off)[0]
        off += 2
        while etype in (ETH_P_8021Q, ETH_P_8021AD, ETH_P_QINQ_OLD):
            if len(data) < off + 4:
                return None
            tci, etype = struct.unpack_from(">HH", data, off)
            vlans.append(tci & 0x0FFF)
            off += 4
        return _ip_or_none(etype, vlans, off, data)
    if linktype == LINKTYPE_LINUX_SLL:
        if len(data) < 16:
            return None
        etype = struct.unpack_from(">H", data, 14)[0]
        return _ip_or_none(etype, [], 16, data)
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(data) < 20:
            return None
        etype = struct.unpack_from(">H", data, 0)[0]
        return _ip_or_none(etype, [], 20, data)
    if linktype in (LINKTYPE_RAW,) + _RAW_ALIASES:
        if not data:
            return None
        v = data[0] >> 4
        etype = {4: ETH_P_IP, 6: ETH_P_IPV6}.get(v)
        return _ip_or_none(etype, [], 0, data)
    if linktype == LINKTYPE_IPV4:
        return _ip_or_none(ETH_P_IP, [], 0, data)
    if linktype == LINKTYPE_IPV6:
        return _ip_or_none(ETH_P_IPV6, [], 0, data)
    if linktype == LINKTYPE_PPP:
        off = 2 if data[:2] == b"\xff\x03" else 0
        if len(data) < off + 1:
            return None
        if data[off] & 1:  # protocol field compression
            proto, off = data[off], off + 1
        elif len(data) >= off + 2:
            proto, off = struct.unpack_from(">H", data, off)[0], off + 2
        else:
            return None
        etype = {PPP_IPV4: ETH_P_IP, PPP_IPV6: ETH_P_IPV6}.get(proto)
        return _ip_or_none(etype, [], off, data)
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if len(data) < 4:
            return None
        if linktype == LINKTYPE_LOOP:
            af = struct.unpack_from(">I", data, 0)[0]
        else:
            # Host order of the machine that wrote it: a family is small.
            af = struct.unpack_from("<I", data, 0)[0]
            if af > 0xFFFF:
                af = struct.unpack_from(">I", data, 0)[0]
        if af == AF_INET:
            return _ip_or_none(ETH_P_IP, [], 4, data)
        if af in AF_INET6_ALL:
            return _ip_or_none(ETH_P_IPV6, [], 4, data)
        return None
    raise PcapError(f"link type {linktype} not supported")


def _ip_or_none(etype, vlans, off, data):
    if etype not in (ETH_P_IP, ETH_P_IPV6):
        return None
    return L2Info(etype, vlans, off), bytes(data[off:])


# ---------------------------------------------------------------------------
# Link layer: build

def ethertype_of(l3):
    return ETH_P_IPV6 if l3 and l3[0] >> 4 == 6 else ETH_P_IP


def frame_en10mb(l3, vlans=(), dst=b"\x02\x00\x00\x00\x00\x02",
                 src=b"\x02\x00\x00\x00\x00\x01"):
    """Ethernet II. vlans: list of (tpid, vid), outermost first, e.g.
    [(0x88a8, 200), (0x8100, 100)] for QinQ."""
    out = [dst, src]
    for tpid, vid in vlans:
        out.append(struct.pack(">HH", tpid, vid & 0x0FFF))
    out.append(struct.pack(">H", ethertype_of(l3)))
    out.append(l3)
    return b"".join(out)


def frame_sll(l3, pkttype=0, addr=b"\x00" * 6, hatype=772):
    """Linux cooked v1: packet type, ARPHRD type (772 = loopback), address
    length, 8 address bytes, protocol."""
    a = addr[:8]
    return (struct.pack(">HHH", pkttype, hatype, len(a)) +
            a.ljust(8, b"\x00") + struct.pack(">H", ethertype_of(l3)) + l3)


def frame_sll2(l3, ifindex=1, pkttype=0, addr=b"\x00" * 6, hatype=772):
    """Linux cooked v2: protocol, reserved, ifindex, ARPHRD type, packet
    type, address length, 8 address bytes."""
    a = addr[:8]
    return (struct.pack(">HHIHBB", ethertype_of(l3), 0, ifindex, hatype,
                        pkttype, len(a)) + a.ljust(8, b"\x00") + l3)


PPP_IPV4, PPP_IPV6 = 0x0021, 0x0057


def frame_ppp(l3):
    """PPP in HDLC-like framing (RFC 1662): address 0xff, control 0x03,
    then the protocol."""
    proto = PPP_IPV6 if ethertype_of(l3) == ETH_P_IPV6 else PPP_IPV4
    return b"\xff\x03" + struct.pack(">H", proto) + l3


def frame_raw(l3):
    return bytes(l3)


def _af(l3):
    return AF_INET6_WRITE if ethertype_of(l3) == ETH_P_IPV6 else AF_INET


def frame_null(l3):
    """DLT_NULL: the family in the writer's byte order; we write
    little-endian, as a little-endian BSD host would."""
    return struct.pack("<I", _af(l3)) + l3


def frame_loop(l3):
    """DLT_LOOP: the family in network byte order."""
    return struct.pack(">I", _af(l3)) + l3


def encapsulate(linktype, l3, vlans=()):
    if linktype == LINKTYPE_EN10MB:
        return frame_en10mb(l3, vlans)
    if vlans:
        raise PcapError("VLAN tags need EN10MB")
    if linktype == LINKTYPE_LINUX_SLL:
        return frame_sll(l3)
    if linktype == LINKTYPE_LINUX_SLL2:
        return frame_sll2(l3)
    if linktype == LINKTYPE_RAW:
        return frame_raw(l3)
    if linktype == LINKTYPE_NULL:
        return frame_null(l3)
    if linktype == LINKTYPE_LOOP:
        return frame_loop(l3)
    if linktype == LINKTYPE_PPP:
        return frame_ppp(l3)
    raise PcapError(f"cannot build link type {linktype}")


# ---------------------------------------------------------------------------
# IP and TCP

def checksum16(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


@dataclass
class TCP:
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    urgent: int = 0
    options: bytes = b""
    payload: bytes = b""

    def build(self, src, dst):
        """TCP header + payload with a correct checksum for the pseudo
        header of src/dst (4 or 16 byte addresses)."""
        opts = self.options
        if len(opts) % 4:
            opts += b"\x00" * (4 - len(opts) % 4)
        hlen = 20 + len(opts)
        hdr = struct.pack(">HHIIBBHHH", self.sport, self.dport,
                          self.seq & 0xFFFFFFFF, self.ack & 0xFFFFFFFF,
                          (hlen // 4) << 4, self.flags & 0xFF, self.window,
                          0, self.urgent) + opts
        seg = hdr + self.payload
        if len(src) == 4:
            pseudo = src + dst + struct.pack(">BBH", 0, IPPROTO_TCP, len(seg))
        else:
            pseudo = src + dst + struct.pack(">I3xB", len(seg), IPPROTO_TCP)
        c = checksum16(pseudo + seg)
        return seg[:16] + struct.pack(">H", c) + seg[18:]


def parse_tcp(data):
    """TCP segment bytes -> TCP, or None when the header does not fit."""
    if len(data) < 20:
        return None
    sport, dport, seq, ack, off, flags, win, _ck, urg = struct.unpack_from(
        ">HHIIBBHHH", data, 0)
    hlen = (off >> 4) * 4
    if hlen < 20 or hlen > len(data):
        return None
    return TCP(sport, dport, seq, ack, flags, win, urg,
               bytes(data[20:hlen]), bytes(data[hlen:]))


@dataclass
class IPPacket:
    """An IP packet taken apart. `header` keeps what we do not rebuild:
    the IPv4 header with its options (lengths and checksum are redone), or
    the IPv6 fixed header followed by the extension headers."""
    version: int
    src: bytes
    dst: bytes
    proto: int            # the transport protocol (after IPv6 ext headers)
    header: bytes
    payload: bytes        # transport bytes (TCP segment when proto == 6)
    fragment: bool = False

    def build(self, payload=None):
        p = self.payload if payload is None else payload
        h = bytearray(self.header)
        if self.version == 4:
            struct.pack_into(">H", h, 2, len(h) + len(p))
            struct.pack_into(">H", h, 10, 0)
            struct.pack_into(">H", h, 10, checksum16(bytes(h)))
        else:
            struct.pack_into(">H", h, 4, len(h) - 40 + len(p))
        return bytes(h) + p


_IPV6_EXT = (0, 43, 60, 135, 139, 140)  # hop, routing, dstopts, mobility...
_IPV6_FRAG = 44


def parse_ip(l3):
    """IP bytes -> IPPacket, or None. Trailing bytes past the IP length
    (Ethernet padding) are dropped."""
    if not l3:
        return None
    v = l3[0] >> 4
    if v == 4:
        if len(l3) < 20:
            return None
        ihl = (l3[0] & 0x0F) * 4
        total = struct.unpack_from(">H", l3, 2)[0]
        if ihl < 20 or total < ihl or len(l3) < ihl:
            return None
        frag = struct.unpack_from(">H", l3, 6)[0]
        is_frag = bool(frag & 0x2000) or (frag & 0x1FFF) != 0
        end = min(total, len(l3))
        return IPPacket(4, bytes(l3[12:16]), bytes(l3[16:20]), l3[9],
                        bytes(l3[:ihl]), bytes(l3[ihl:end]), is_frag)
    if v == 6:
        if len(l3) < 40:
            return None
        plen = struct.unpack_from(">H", l3, 4)[0]
        end = min(40 + plen, len(l3))
        nh = l3[6]
        off = 40
        is_frag = False
        while nh in _IPV6_EXT or nh == _IPV6_FRAG:
            if off + 8 > end:
                return None
            if nh == _IPV6_FRAG:
                is_frag = True
                hl = 8
            else:
                hl = (l3[off + 1] + 1) * 8
            nh = l3[off]
            off += hl
            if off > end:
                return None
        return IPPacket(6, bytes(l3[8:24]), bytes(l3[24:40]), nh,
                        bytes(l3[:off]), bytes(l3[off:end]), is_frag)
    return None


# ---------------------------------------------------------------------------
# A decoded packet: what the variant makers work on

@dataclass
class Packet:
    """One frame decoded down to TCP where possible.

    ip is None for frames that carry no IP (they are dropped when a capture
    is re-encapsulated). tcp is None for non-TCP, fragmented or cut packets:
    those are passed through as their original IP bytes (`l3`)."""
    ts_ns: int
    l2: object            # L2Info or None
    l3: bytes             # the IP bytes as captured (may be cut)
    ip: object = None     # IPPacket
    tcp: object = None    # TCP
    cut: int = 0          # wire bytes missing from the capture
    frame: object = None  # the original Frame

    def flow_key(self):
        """Direction-independent key of the TCP connection."""
        a = (self.ip.src, self.tcp.sport)
        b = (self.ip.dst, self.tcp.dport)
        return (min(a, b), max(a, b))

    def dir_key(self):
        return (self.ip.src, self.tcp.sport, self.ip.dst, self.tcp.dport)

    def with_tcp(self, **changes):
        return replace(self, tcp=replace(self.tcp, **changes))

    def rebuild_l3(self):
        """The IP bytes for this packet as it stands now."""
        if self.tcp is None:
            return self.l3
        return self.ip.build(self.tcp.build(self.ip.src, self.ip.dst))


def decode_capture(cap):
    """Capture -> list of Packet."""
    out = []
    for fr in cap.frames:
        r = strip_l2(cap.linktype, fr.data)
        if r is None:
            out.append(Packet(fr.ts_ns, None, b"", frame=fr))
            continue
        l2, l3 = r
        cut = max(0, fr.orig_len - len(fr.data))
        ip = parse_ip(l3)
        tcp = None
        if ip is not None and ip.proto == IPPROTO_TCP and not ip.fragment \
                and cut == 0:
            declared = _declared_len(ip, l3)
            if declared is not None and declared <= len(l3):
                tcp = parse_tcp(ip.payload)
        out.append(Packet(fr.ts_ns, l2, l3, ip, tcp, cut, fr))
    return out


def _declared_len(ip, l3):
    if ip.version == 4:
        return struct.unpack_from(">H", l3, 2)[0]
    return 40 + struct.unpack_from(">H", l3, 4)[0]


def encode_packets(packets, linktype, vlans=()):
    """list of Packet -> list of Frame in `linktype`. Frames without IP are
    dropped; a packet cut in the original keeps its missing byte count."""
    frames = []
    for p in packets:
        if p.l2 is None:
            continue
        l3 = p.rebuild_l3()
        data = encapsulate(linktype, l3, vlans)
        frames.append(Frame(p.ts_ns, data, len(data) + p.cut))
    return frames


def same_l2_frames(packets, linktype):
    """Frames for packets in the capture's own link type, keeping each
    frame's original link header (MACs, SLL fields, VLAN tags)."""
    frames = []
    for p in packets:
        if p.l2 is None:
            frames.append(p.frame)
            continue
        hdr = p.frame.data[:p.l2.header_len]
        l3 = p.rebuild_l3()
        data = hdr + l3
        frames.append(Frame(p.ts_ns, data, len(data) + p.cut))
    return frames


def host_pair(data, index, server_port):
    """An IPv4 loopback frame of capture `index` moved to a host pair of its
    own (client 10.1.x.y, server 10.2.x.y; the server is the side that
    sends from `server_port`): on a mirror port every conversation has its
    own addresses, and workers share the work out by address pair."""
    if len(data) < 38 or data[12:14] != b"\x08\x00" or data[14] >> 4 != 4:
        return data
    ihl = (data[14] & 0x0F) * 4
    if data[23] != 6 or len(data) < 14 + ihl + 4:
        return data
    sport = int.from_bytes(data[14 + ihl:16 + ihl], "big")
    client = bytes([10, 1, index >> 8, index & 0xFF])
    server = bytes([10, 2, index >> 8, index & 0xFF])
    src, dst = (server, client) if sport == server_port else (client, server)
    hdr = bytearray(data[14:14 + ihl])
    hdr[12:16], hdr[16:20] = src, dst
    hdr[10:12] = b"\0\0"
    hdr[10:12] = checksum16(bytes(hdr)).to_bytes(2, "big")
    # The TCP checksum is left stale: the sensor does not check it.
    return data[:14] + bytes(hdr) + data[14 + ihl:]


def server_port_of(cap):
    """The port the first SYN (else the first segment) went to."""
    first = None
    for fr in cap.frames:
        d = fr.data
        if len(d) < 38 or d[12:14] != b"\x08\x00" or d[23] != 6:
            continue
        ihl = (d[14] & 0x0F) * 4
        tcp = d[14 + ihl:]
        if len(tcp) < 14:
            continue
        dport = int.from_bytes(tcp[2:4], "big")
        if first is None:
            first = dport
        if tcp[13] & 0x12 == 0x02:
            return dport
    return first


def merge_host_pairs(paths, out, start_ns, first_index=0):
    """The captures one after the other in one file, each shifted to start
    10 ms after the previous one ended and moved to a host pair of its own:
    what tcpreplay puts on the wire, with packet times an offline run can
    follow (no hour-long gaps between captures made at different times).
    Returns the end time."""
    frames = []
    t = start_ns
    for index, p in enumerate(paths, first_index):
        cap = read_pcap(p)
        if not cap.frames:
            continue
        shift = t - cap.frames[0].ts_ns
        server_port = server_port_of(cap)
        for fr in cap.frames:
            data = host_pair(fr.data, index, server_port)
            frames.append(Frame(fr.ts_ns + shift, data,
                                        fr.orig_len))
        t = frames[-1].ts_ns + 10_000_000
    write_pcap(out, LINKTYPE_EN10MB, frames)
    return t
