/* decode.c — turn one captured frame into a `struct packet`: peel the link
 * layer, any tunnels (PPPoE, MPLS, Cisco MetaData, IP-in-IP, GRE, VXLAN,
 * CAPWAP data, GTP-U), the IP layer (reassembling IPv4 fragments) and the TCP/UDP
 * header, and say plainly when a frame is not something tlsmon analyzes or
 * is broken. A tunnelled packet is described by its innermost datagram: that
 * is the connection the endpoints made. */
#include "decode.h"

#include <string.h>

#include "cursor.h"

/* pcap LINKTYPE values (and the DLT_RAW numbers some platforms write). */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_PPP 9
#define LT_PPP_HDLC 50  /* PPP in HDLC-like framing (RFC 1662) */
#define LT_PPP_ETHER 51 /* PPPoE session frames without the Ethernet header */
#define LT_C_HDLC 104   /* Cisco HDLC: address, control, ethertype */
#define LT_PPP_WITH_DIR 204
#define LT_DLT_RAW_A 12 /* DLT_RAW on most BSDs */
#define LT_DLT_RAW_B 14 /* DLT_RAW on OpenBSD */
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen on old gear */
#define ETH_PPPOE_SESSION 0x8864
#define ETH_MPLS_UNICAST 0x8847
#define ETH_MPLS_MULTICAST 0x8848
#define ETH_CISCO_METADATA 0x8909 /* carries the TrustSec SGT */
#define ETH_TEB 0x6558            /* GRE: a whole Ethernet frame inside */
#define ETH_ERSPAN_2 0x88be

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_ADDRESS 0xff /* RFC 1662 all-stations address, then UI control */
#define PPP_CONTROL 0x03
#define CHDLC_UNICAST 0x0f
#define CHDLC_MULTICAST 0x8f

#define UDP_PORT_VXLAN 4789
#define UDP_PORT_CAPWAP_DATA 5247
#define UDP_PORT_GTP_U 2152
#define GTP_G_PDU 0xff
#define GTP_MAX_EXT_HEADERS 8

/* Tunnels inside tunnels are legal but rare; past this many layers a frame
 * is an attack on the decoder, not traffic. */
#define DECODE_MAX_DEPTH 4
/* Decoders entered for one frame, whatever the path: every decoder counts
 * itself in, so nesting that is no tunnel (an Ethernet frame whose type
 * says Ethernet again, 0x6558) cannot recurse past it either. The deepest
 * legal frame (MPLS, pseudowire Ethernet, IP, GRE, ERSPAN Ethernet, IP,
 * UDP, VXLAN Ethernet, IP) enters about 16. */
#define DECODE_MAX_LAYERS 32
/* Labels in one MPLS stack worth reading before calling it malformed. */
#define MPLS_MAX_LABELS 16

/* BSD address families: AF_INET is 2 everywhere, AF_INET6 differs. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_NETBSD 24 /* also OpenBSD */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_IPIP_ 4
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_IPV6_ 41
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_GRE_ 47
#define IPPROTO_AH_ 51
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MOBILITY_ 135

/* A chain longer than this is an attack on the decoder, not a packet. */
#define IPV6_MAX_EXT_HEADERS 16

/* RFC 791 asks for 15 s, Linux uses 30 s: a fragment later than that is
 * from a datagram nobody will finish. */
#define IPFRAG_TIMEOUT_US (30ull * 1000000ull)

void decoder_init(struct decoder *d, uint32_t frag_memcap)
{
    memset(d, 0, sizeof(*d));
    ipfrag_init(&d->frags, frag_memcap, IPFRAG_TIMEOUT_US);
}

void decoder_free(struct decoder *d)
{
    ipfrag_free(&d->frags);
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case LT_NULL:
    case LT_EN10MB:
    case LT_PPP:
    case LT_PPP_HDLC:
    case LT_PPP_ETHER:
    case LT_C_HDLC:
    case LT_PPP_WITH_DIR:
    case LT_DLT_RAW_A:
    case LT_DLT_RAW_B:
    case LT_RAW:
    case LT_LOOP:
    case LT_LINUX_SLL:
    case LT_IPV4:
    case LT_IPV6:
    case LT_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

/* What every layer needs to know about the frame it is peeling. Copied,
 * not shared, when a tunnel is entered, so an inner layer cannot change
 * what the outer one believes. */
struct layer {
    struct decoder *d;
    uint64_t ts_us;
    bool frame_cut; /* the snaplen cut these bytes short */
    int depth;      /* tunnels already peeled */
    bool frag_buf;  /* the bytes live in the reassembly table */
    bool outer_only;/* stop at the first IP header's addresses (sharding) */
};

/* Every decoder starts with this: one more layer for the frame, or the
 * frame is ignored as too deep. */
#define LAYER_ENTER(L)                                                         \
    do {                                                                       \
        if ((L)->d->layers >= DECODE_MAX_LAYERS) {                             \
            (L)->d->too_deep = true;                                           \
            return DECODE_IGNORED;                                             \
        }                                                                      \
        (L)->d->layers++;                                                      \
    } while (0)

static enum decode_status decode_ethernet(const struct layer *L,
                                          struct cursor c, struct packet *out);
static enum decode_status decode_ethertype(const struct layer *L,
                                           struct cursor c, uint16_t type,
                                           struct packet *out);
static enum decode_status decode_ipv4(const struct layer *L, struct cursor c,
                                      bool reassembled, struct packet *out);
static enum decode_status decode_ipv6(const struct layer *L, struct cursor c,
                                      struct packet *out);
static enum decode_status decode_ip_by_version(const struct layer *L,
                                               struct cursor c,
                                               struct packet *out);

/* The layer one tunnel further in, or false when the nesting is already as
 * deep as tlsmon follows. */
static bool enter_tunnel(const struct layer *L, bool cut, struct layer *in)
{
    if (L->depth >= DECODE_MAX_DEPTH) {
        L->d->too_deep = true;
        return false;
    }
    *in = *L;
    in->depth++;
    in->frame_cut = L->frame_cut || cut;
    return true;
}

/* The window scale option of a SYN (RFC 7323 §2.2), -1 without one. The
 * options are kind, length, data, except the one-byte EOL and NOP. */
static int8_t syn_window_scale(struct cursor opts)
{
    uint8_t kind, len, shift;
    struct cursor body;

    while (cursor_u8(&opts, &kind) && kind != 0) {
        if (kind == 1)
            continue;
        if (!cursor_u8(&opts, &len) || len < 2 ||
            !cursor_sub(&opts, len - 2u, &body))
            return -1;
        if (kind == 3 && len == 3 && cursor_u8(&body, &shift))
            return (int8_t)(shift > 14 ? 14 : shift);
    }
    return -1;
}

/* `l4` holds the captured transport bytes (never more than the IP layer
 * declared); `declared` is what the IP layer says the transport layer is. */
static enum decode_status decode_tcp(struct cursor l4, uint32_t declared,
                                     struct packet *out)
{
    uint8_t off_byte, flags;
    uint32_t hdr_len;
    size_t n;
    struct cursor hdr, opts;

    out->wscale = -1;
    if (declared < 20)
        return DECODE_MALFORMED;
    /* The fixed header as a 20-byte cursor: one bounds check for all of
     * its fields (the compiler folds the rest away). */
    if (!cursor_sub(&l4, 20, &hdr))
        return DECODE_MALFORMED;
    if (!cursor_u16(&hdr, &out->sport) || !cursor_u16(&hdr, &out->dport) ||
        !cursor_u32(&hdr, &out->seq) || !cursor_u32(&hdr, &out->ack) ||
        !cursor_u8(&hdr, &off_byte) || !cursor_u8(&hdr, &flags) ||
        !cursor_u16(&hdr, &out->window))
        return DECODE_MALFORMED;
    hdr_len = (uint32_t)(off_byte >> 4) * 4;
    if (hdr_len < 20 || hdr_len > declared)
        return DECODE_MALFORMED;
    out->tcp_flags = flags;
    if (!cursor_sub(&l4, hdr_len - 20, &opts)) {
        /* Options are declared but the snaplen cut them off: the header
         * facts are all there, the payload is not. */
        out->payload_truncated = declared > hdr_len;
        out->payload_lost = declared - hdr_len;
        return DECODE_OK;
    }
    if (flags & TCPF_SYN)
        out->wscale = syn_window_scale(opts);
    out->payload = cursor_rest(&l4, &n);
    out->payload_len = (uint32_t)n;
    out->payload_truncated = declared - hdr_len > n;
    out->payload_lost = declared - hdr_len - (uint32_t)n;
    if (!n)
        out->payload = NULL;
    return DECODE_OK;
}

/* VXLAN (RFC 7348): flags with the VNI-valid bit, reserved bytes, the VNI,
 * then a whole Ethernet frame. */
static enum decode_status decode_vxlan(const struct layer *L, struct cursor c,
                                       struct packet *out)
{
    LAYER_ENTER(L);
    uint8_t flags;

    if (!cursor_u8(&c, &flags) || !(flags & 0x08) || !cursor_skip(&c, 7))
        return DECODE_MALFORMED;
    return decode_ethernet(L, c, out);
}

/* An 802.11 data frame as a CAPWAP access point forwards it: its header,
 * then an LLC/SNAP header naming the ethertype. Cisco access points send the
 * frame control field byte-swapped, so the order that reads as a version-0
 * data frame is the one taken. */
static enum decode_status decode_80211_data(const struct layer *L,
                                            struct cursor c,
                                            struct packet *out)
{
    LAYER_ENTER(L);
    uint8_t fc0, fc1, fc_type, fc_flags, dsap, ssap, ctrl;
    uint16_t type;
    size_t hdr = 24;

    if (!cursor_u8(&c, &fc0) || !cursor_u8(&c, &fc1))
        return DECODE_MALFORMED;
    if ((fc0 & 0x0f) == 0x08) {
        fc_type = fc0;
        fc_flags = fc1;
    } else if ((fc1 & 0x0f) == 0x08) {
        fc_type = fc1;
        fc_flags = fc0;
    } else {
        return DECODE_IGNORED; /* management or control: no packet inside */
    }
    /* Null-function subtypes carry nothing; a protected body is opaque. */
    if ((fc_type & 0x40) || (fc_flags & 0x40))
        return DECODE_IGNORED;
    if ((fc_flags & 0x03) == 0x03)
        hdr += 6; /* a fourth address in a wireless distribution system */
    if (fc_type & 0x80) {
        hdr += 2; /* QoS control */
        if (fc_flags & 0x80)
            hdr += 4; /* HT control */
    }
    if (!cursor_skip(&c, hdr - 2) || !cursor_u8(&c, &dsap) ||
        !cursor_u8(&c, &ssap) || !cursor_u8(&c, &ctrl) ||
        !cursor_skip(&c, 3) || !cursor_u16(&c, &type))
        return DECODE_MALFORMED;
    if (dsap != 0xaa || ssap != 0xaa || ctrl != 0x03)
        return DECODE_IGNORED;
    return decode_ethertype(L, c, type, out);
}

/* CAPWAP data channel (RFC 5415 §4.3): a header of HLEN 4-byte words, then
 * either an 802.3 frame (T clear) or the native frame of the wireless
 * binding (T set; only IEEE 802.11, WBID 1, is read). DTLS-protected data
 * and fragments are left alone. */
static enum decode_status decode_capwap(const struct layer *L, struct cursor c,
                                        struct packet *out)
{
    LAYER_ENTER(L);
    struct cursor start = c;
    uint8_t preamble;
    uint32_t bits, hlen, wbid;
    bool native, fragment;

    if (!cursor_u8(&c, &preamble) || !cursor_u24(&c, &bits))
        return DECODE_MALFORMED;
    if (preamble != 0)
        return DECODE_IGNORED;
    hlen = ((bits >> 19) & 0x1f) * 4;
    wbid = (bits >> 9) & 0x1f;
    native = (bits >> 8) & 1;
    fragment = (bits >> 7) & 1;
    if (hlen < 8 || !cursor_skip(&start, hlen))
        return DECODE_MALFORMED;
    if (fragment)
        return DECODE_IGNORED;
    if (!native)
        return decode_ethernet(L, start, out);
    if (wbid != 1)
        return DECODE_IGNORED;
    return decode_80211_data(L, start, out);
}

/* GTP-U (3GPP TS 29.281): the mobile core's user-plane tunnel. A G-PDU
 * carries one IP datagram after an 8-byte header, 4 more bytes when any of
 * E, S or PN is set, and a chain of extension headers when E is. */
static enum decode_status decode_gtp_u(const struct layer *L, struct cursor c,
                                       struct packet *out)
{
    LAYER_ENTER(L);
    uint8_t flags, type, ext_len, next;
    uint16_t len;
    struct cursor pdu;

    if (!cursor_u8(&c, &flags) || !cursor_u8(&c, &type) ||
        !cursor_u16(&c, &len) || !cursor_skip(&c, 4))
        return DECODE_MALFORMED;
    if ((flags >> 5) != 1 || !(flags & 0x10) || type != GTP_G_PDU)
        return DECODE_IGNORED; /* GTP' or a signalling message */
    if (!cursor_sub(&c, len, &pdu)) {
        if (!L->frame_cut)
            return DECODE_MALFORMED;
        pdu = cursor_take(&c, len);
    }
    if (flags & 0x07) {
        if (!cursor_skip(&pdu, 3) || !cursor_u8(&pdu, &next))
            return DECODE_MALFORMED;
        for (int i = 0; (flags & 0x04) && next != 0; i++) {
            /* length counts 4-byte units, its own byte and `next` included */
            if (i >= GTP_MAX_EXT_HEADERS || !cursor_u8(&pdu, &ext_len) ||
                ext_len == 0 || !cursor_skip(&pdu, (size_t)ext_len * 4 - 2) ||
                !cursor_u8(&pdu, &next))
                return DECODE_MALFORMED;
        }
    }
    memset(out->src, 0, sizeof out->src);
    memset(out->dst, 0, sizeof out->dst);
    return decode_ip_by_version(L, pdu, out);
}

static enum decode_status decode_udp(const struct layer *L, struct cursor l4,
                                     uint32_t declared, struct packet *out)
{
    LAYER_ENTER(L);
    uint16_t udp_len;
    struct cursor body;
    struct layer in;
    size_t n, want;

    if (declared < 8)
        return DECODE_MALFORMED;
    if (!cursor_u16(&l4, &out->sport) || !cursor_u16(&l4, &out->dport) ||
        !cursor_u16(&l4, &udp_len) || !cursor_skip(&l4, 2))
        return DECODE_MALFORMED;
    if (udp_len < 8 || udp_len > declared)
        return DECODE_MALFORMED;
    want = udp_len - 8u;
    body = cursor_take(&l4, want);
    n = cursor_left(&body);
    out->payload = n ? cursor_rest(&body, &n) : NULL;
    out->payload_len = (uint32_t)n;
    out->payload_truncated = want > n;

    /* A tunnel on its well-known port. Anything else that happens to use
     * the port stays the UDP packet it was. */
    if ((out->dport == UDP_PORT_VXLAN || out->dport == UDP_PORT_CAPWAP_DATA ||
         out->dport == UDP_PORT_GTP_U) &&
        enter_tunnel(L, out->payload_truncated, &in)) {
        struct packet inner = *out;
        enum decode_status st;

        memset(inner.src, 0, sizeof inner.src);
        memset(inner.dst, 0, sizeof inner.dst);
        inner.payload = NULL;
        inner.payload_len = 0;
        inner.payload_truncated = false;
        inner.payload_lost = 0;
        if (out->dport == UDP_PORT_VXLAN)
            st = decode_vxlan(&in, body, &inner);
        else if (out->dport == UDP_PORT_CAPWAP_DATA)
            st = decode_capwap(&in, body, &inner);
        else
            st = decode_gtp_u(&in, body, &inner);
        if (st == DECODE_OK || st == DECODE_HELD) {
            *out = inner;
            return st;
        }
    }
    return DECODE_OK;
}

/* An IP datagram carried as the payload of another (IP-in-IP, 6in4, 4in6). */
static enum decode_status decode_ip_in_ip(const struct layer *L,
                                          struct cursor c, bool cut,
                                          int version, struct packet *out)
{
    LAYER_ENTER(L);
    struct layer in;

    if (!enter_tunnel(L, cut, &in))
        return DECODE_IGNORED;
    memset(out->src, 0, sizeof out->src);
    memset(out->dst, 0, sizeof out->dst);
    return version == 4 ? decode_ipv4(&in, c, false, out)
                        : decode_ipv6(&in, c, out);
}

/* GRE (RFC 2784, RFC 2890): flags and protocol, then the optional checksum,
 * key and sequence words. Version 1 (PPTP) and source routing are not
 * followed. ERSPAN type II puts its own 8 bytes before the mirrored frame. */
static enum decode_status decode_gre(const struct layer *L, struct cursor c,
                                     bool cut, struct packet *out)
{
    LAYER_ENTER(L);
    uint16_t flags, proto;
    struct layer in;

    if (!cursor_u16(&c, &flags) || !cursor_u16(&c, &proto))
        return DECODE_MALFORMED;
    if ((flags & 0x0007) != 0 || (flags & 0x4000) != 0)
        return DECODE_IGNORED;
    if (((flags & 0x8000) && !cursor_skip(&c, 4)) ||
        ((flags & 0x2000) && !cursor_skip(&c, 4)) ||
        ((flags & 0x1000) && !cursor_skip(&c, 4)))
        return DECODE_MALFORMED;
    if (!enter_tunnel(L, cut, &in))
        return DECODE_IGNORED;
    memset(out->src, 0, sizeof out->src);
    memset(out->dst, 0, sizeof out->dst);
    if (proto == ETH_ERSPAN_2) {
        if (!cursor_skip(&c, 8))
            return DECODE_MALFORMED;
        return decode_ethernet(&in, c, out);
    }
    if (proto == ETH_TEB) /* this tunnel's own payload, not one more */
        return decode_ethernet(&in, c, out);
    return decode_ethertype(&in, c, proto, out);
}

/* ICMP destination unreachable (RFC 792 type 3, RFC 4443 type 1): it
 * quotes the IP header and first 8 bytes of the datagram that could not be
 * delivered. The packet becomes that datagram's 5-tuple (client to server),
 * marked with what the ICMP said, so the flow it speaks of is found. Other
 * ICMP is ignored. */
static enum decode_status decode_icmp_error(struct cursor c, int version,
                                            struct packet *out)
{
    uint8_t type, code, vihl, proto;
    enum icmp_unreach kind;

    if (!cursor_u8(&c, &type) || !cursor_u8(&c, &code) || !cursor_skip(&c, 6))
        return DECODE_MALFORMED;
    if (type != (version == 4 ? 3 : 1))
        return DECODE_IGNORED;
    if (version == 4)
        kind = code == 3 ? ICMP_UNREACH_PORT
               : code == 1 ? ICMP_UNREACH_HOST
               : code == 0 ? ICMP_UNREACH_NET
               : (code == 9 || code == 10 || code == 13) ? ICMP_UNREACH_PROHIBITED
                                                         : ICMP_UNREACH_OTHER;
    else
        kind = code == 4 ? ICMP_UNREACH_PORT
               : code == 3 ? ICMP_UNREACH_HOST
               : code == 0 ? ICMP_UNREACH_NET
               : code == 1 ? ICMP_UNREACH_PROHIBITED
                           : ICMP_UNREACH_OTHER;
    if (version == 4) {
        if (!cursor_peek_u8(&c, 0, &vihl) || vihl >> 4 != 4 ||
            (vihl & 0x0f) < 5)
            return DECODE_IGNORED;
        struct cursor h = c;
        if (!cursor_skip(&h, 9) || !cursor_u8(&h, &proto) ||
            !cursor_skip(&h, 2) || !cursor_copy(&h, out->src, 4) ||
            !cursor_copy(&h, out->dst, 4) ||
            !cursor_skip(&c, (size_t)(vihl & 0x0f) * 4))
            return DECODE_IGNORED;
        memset(out->src + 4, 0, 12);
        memset(out->dst + 4, 0, 12);
    } else {
        if (!cursor_peek_u8(&c, 0, &vihl) || vihl >> 4 != 6 ||
            !cursor_skip(&c, 6) || !cursor_u8(&c, &proto) ||
            !cursor_skip(&c, 1) || !cursor_copy(&c, out->src, 16) ||
            !cursor_copy(&c, out->dst, 16))
            return DECODE_IGNORED;
    }
    if ((proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_) ||
        !cursor_u16(&c, &out->sport) || !cursor_u16(&c, &out->dport))
        return DECODE_IGNORED;
    out->ip_proto = proto;
    out->icmp_unreach = kind;
    out->payload = NULL;
    out->payload_len = 0;
    return DECODE_OK;
}

/* What the IP layer carries: `l4` is the captured payload, `declared` its
 * length by the IP header, `cut` whether the capture holds less. */
static enum decode_status decode_ip_payload(const struct layer *L,
                                            const struct cursor *payload,
                                            uint32_t declared, bool cut,
                                            struct packet *out)
{
    /* Taken by reference: every packet passes here, and a copy per call
     * costs more than the dispatch. */
    struct cursor l4 = *payload;

    LAYER_ENTER(L);
    switch (out->ip_proto) {
    case IPPROTO_TCP_:
        return decode_tcp(l4, declared, out);
    case IPPROTO_UDP_:
        return decode_udp(L, l4, declared, out);
    case IPPROTO_IPIP_:
        return decode_ip_in_ip(L, l4, cut, 4, out);
    case IPPROTO_IPV6_:
        return decode_ip_in_ip(L, l4, cut, 6, out);
    case IPPROTO_GRE_:
        return decode_gre(L, l4, cut, out);
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        if ((out->ip_proto == IPPROTO_ICMP_) != (out->ip_version == 4))
            return DECODE_IGNORED;
        return decode_icmp_error(l4, out->ip_version, out);
    default:
        return DECODE_IGNORED;
    }
}

static bool ip_proto_followed(uint8_t proto)
{
    return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ ||
           proto == IPPROTO_IPIP_ || proto == IPPROTO_IPV6_ ||
           proto == IPPROTO_GRE_ || proto == IPPROTO_ICMP_;
}

/* How many bytes of the IP datagram were captured, given its declared
 * length. A short capture is fine only when the snaplen explains it. */
static bool captured_span(size_t avail, uint32_t declared, bool frame_cut,
                          uint32_t *span, bool *cut)
{
    if (declared <= avail) {
        *span = declared;
        *cut = false;
        return true;
    }
    if (!frame_cut)
        return false;
    *span = (uint32_t)avail;
    *cut = true;
    return true;
}

static enum decode_status decode_ipv4(const struct layer *L, struct cursor c,
                                      bool reassembled, struct packet *out)
{
    LAYER_ENTER(L);
    struct decoder *d = L->d;
    uint8_t vihl, proto;
    uint16_t total, frag;
    uint32_t hdr_len, span;
    bool cut;
    struct cursor ip, hdr;
    const uint8_t *l3;
    size_t n;

    if (!cursor_peek_u8(&c, 0, &vihl) || vihl >> 4 != 4)
        return DECODE_MALFORMED;
    hdr_len = (uint32_t)(vihl & 0x0f) * 4;
    if (hdr_len < 20 || !cursor_has(&c, hdr_len))
        return DECODE_MALFORMED;

    /* The fixed part as a cursor of its own, 20 bytes long: one bounds
     * check here, and the compiler sees that every read below fits. */
    ip = c;
    if (!cursor_sub(&ip, 20, &hdr))
        return DECODE_MALFORMED;
    if (!cursor_skip(&hdr, 2) || !cursor_u16(&hdr, &total) ||
        !cursor_skip(&hdr, 2) || !cursor_u16(&hdr, &frag) ||
        !cursor_skip(&hdr, 1) || !cursor_u8(&hdr, &proto) ||
        !cursor_skip(&hdr, 2) || !cursor_copy(&hdr, out->src, 4) ||
        !cursor_copy(&hdr, out->dst, 4))
        return DECODE_MALFORMED;
    if (L->outer_only)
        return DECODE_OK;
    /* Total length 0 is what a capture of a TSO/GSO send on the sending
     * host looks like: the real length is whatever was captured. */
    if (total == 0 && !reassembled)
        total = cursor_left(&c) > 65535 ? 65535 : (uint16_t)cursor_left(&c);
    if (total < hdr_len)
        return DECODE_MALFORMED;
    if (!captured_span(cursor_left(&c), total, L->frame_cut, &span, &cut))
        return DECODE_MALFORMED;
    /* Trimming to the total length drops Ethernet padding. */
    if (!cursor_sub(&c, span, &ip))
        return DECODE_MALFORMED;
    l3 = cursor_rest(&ip, &n);

    out->ip_version = 4;
    out->ip_proto = proto;
    out->l3 = l3;
    out->l3_len = span;

    if ((frag & 0x3fff) != 0) {
        const uint8_t *dgram;
        uint32_t dgram_len;
        struct layer whole;
        int r;

        if (reassembled)
            return DECODE_MALFORMED;
        d->stats.fragments++;
        /* Only what tlsmon follows is held: other fragments would spend
         * the memory cap on nothing. A fragment the snaplen cut can never
         * be reassembled, and a fragment inside a datagram that itself
         * came out of the reassembly table cannot go back into it. */
        if (!ip_proto_followed(proto) || cut || L->frag_buf)
            return DECODE_IGNORED;
        r = ipfrag_offer(&d->frags, l3, span, L->ts_us, &dgram, &dgram_len);
        d->stats.frag_dropped = d->frags.dropped;
        if (r < 0)
            return DECODE_MALFORMED;
        if (r == 0)
            return DECODE_HELD;
        d->stats.reassembled++;
        memset(out->src, 0, sizeof(out->src));
        memset(out->dst, 0, sizeof(out->dst));
        whole = *L;
        whole.frame_cut = false;
        whole.frag_buf = true;
        return decode_ipv4(&whole, cursor_make(dgram, dgram_len), true, out);
    }

    if (!ip_proto_followed(proto))
        return DECODE_IGNORED;
    if (!cursor_skip(&ip, hdr_len))
        return DECODE_MALFORMED;
    return decode_ip_payload(L, &ip, total - hdr_len, cut, out);
}

static enum decode_status decode_ipv6(const struct layer *L, struct cursor c,
                                      struct packet *out)
{
    LAYER_ENTER(L);
    struct decoder *d = L->d;
    uint32_t vtcfl, declared, span;
    uint16_t plen;
    uint8_t nh, hdr_nh, hdr_units;
    uint16_t frag_field;
    bool cut;
    struct cursor ip;
    const uint8_t *l3;
    size_t n, ext_len;
    int ext;

    l3 = cursor_rest(&c, &n);
    if (!cursor_has(&c, 40))
        return DECODE_MALFORMED;
    if (!cursor_u32(&c, &vtcfl) || vtcfl >> 28 != 6)
        return DECODE_MALFORMED;
    if (!cursor_u16(&c, &plen) || !cursor_u8(&c, &nh) ||
        !cursor_skip(&c, 1) || !cursor_copy(&c, out->src, 16) ||
        !cursor_copy(&c, out->dst, 16))
        return DECODE_MALFORMED;
    if (L->outer_only)
        return DECODE_OK;
    declared = plen;
    /* Payload length 0 with a payload: a jumbogram or a BIG TCP / GSO send
     * captured on the sender. Take what was captured. */
    if (plen == 0 && nh != IPPROTO_NONE_)
        declared = cursor_left(&c) > UINT32_MAX - 40
                       ? UINT32_MAX - 40
                       : (uint32_t)cursor_left(&c);
    if (!captured_span(cursor_left(&c), declared, L->frame_cut, &span, &cut))
        return DECODE_MALFORMED;
    if (!cursor_sub(&c, span, &ip))
        return DECODE_MALFORMED;

    out->ip_version = 6;
    out->l3 = l3;
    out->l3_len = 40 + span;

    for (ext = 0;; ext++) {
        if (ext > IPV6_MAX_EXT_HEADERS)
            return DECODE_MALFORMED;
        switch (nh) {
        case IPPROTO_HOPOPTS_:
        case IPPROTO_ROUTING_:
        case IPPROTO_DSTOPTS_:
        case IPPROTO_MOBILITY_:
        case IPPROTO_AH_:
            if (!cursor_peek_u8(&ip, 0, &hdr_nh) ||
                !cursor_peek_u8(&ip, 1, &hdr_units))
                return DECODE_MALFORMED;
            ext_len = nh == IPPROTO_AH_ ? ((size_t)hdr_units + 2) * 4
                                        : ((size_t)hdr_units + 1) * 8;
            if (ext_len > declared || !cursor_skip(&ip, ext_len))
                return DECODE_MALFORMED;
            declared -= (uint32_t)ext_len;
            nh = hdr_nh;
            continue;
        case IPPROTO_FRAGMENT_:
            if (declared < 8 || !cursor_u8(&ip, &hdr_nh) ||
                !cursor_skip(&ip, 1) || !cursor_u16(&ip, &frag_field) ||
                !cursor_skip(&ip, 4))
                return DECODE_MALFORMED;
            declared -= 8;
            /* IPv6 fragmentation is rare on TCP paths (PMTUD handles it)
             * and TLS over UDP is not analyzed: any real fragment, the first
             * one included, is counted and left alone. An atomic fragment
             * (offset 0, M clear) is a whole packet and goes on. */
            if (frag_field & 0xfff9) {
                d->stats.fragments++;
                return DECODE_IGNORED;
            }
            nh = hdr_nh;
            continue;
        case IPPROTO_NONE_:
            return DECODE_IGNORED;
        default:
            break;
        }
        break;
    }

    out->ip_proto = nh;
    return decode_ip_payload(L, &ip, declared, cut, out);
}

/* IPv4 or IPv6 as the version nibble of the first byte, `first`, says;
 * `other` for any other nibble. */
static enum decode_status decode_ip_of_nibble(const struct layer *L,
                                              struct cursor c, uint8_t first,
                                              enum decode_status other,
                                              struct packet *out)
{
    switch (first >> 4) {
    case 4:
        return decode_ipv4(L, c, false, out);
    case 6:
        return decode_ipv6(L, c, out);
    default:
        return other;
    }
}

static enum decode_status decode_ip_by_version(const struct layer *L,
                                               struct cursor c,
                                               struct packet *out)
{
    LAYER_ENTER(L);
    uint8_t v;

    if (!cursor_peek_u8(&c, 0, &v))
        return DECODE_MALFORMED;
    return decode_ip_of_nibble(L, c, v, DECODE_MALFORMED, out);
}

/* A PPP frame (RFC 1661): the address and control bytes of HDLC-like
 * framing when present (RFC 1662), then the protocol, one byte when the
 * peers agreed on protocol field compression (an odd first byte), and the
 * datagram it names. */
static enum decode_status decode_ppp(const struct layer *L, struct cursor c,
                                     struct packet *out)
{
    uint8_t first, second;
    uint16_t proto;

    if (cursor_peek_u8(&c, 0, &first) && cursor_peek_u8(&c, 1, &second) &&
        first == PPP_ADDRESS && second == PPP_CONTROL && !cursor_skip(&c, 2))
        return DECODE_MALFORMED;
    if (!cursor_peek_u8(&c, 0, &first))
        return DECODE_MALFORMED;
    if (first & 1) {
        if (!cursor_skip(&c, 1))
            return DECODE_MALFORMED;
        proto = first;
    } else if (!cursor_u16(&c, &proto)) {
        return DECODE_MALFORMED;
    }
    switch (proto) {
    case PPP_IPV4:
        return decode_ipv4(L, c, false, out);
    case PPP_IPV6:
        return decode_ipv6(L, c, out);
    default:
        return DECODE_IGNORED; /* LCP, IPCP, CHAP…: link control */
    }
}

/* PPPoE session stage (RFC 2516): version/type, code, session id, length,
 * then a PPP frame whose protocol names what it carries. */
static enum decode_status decode_pppoe(const struct layer *L, struct cursor c,
                                       struct packet *out)
{
    LAYER_ENTER(L);
    uint8_t ver_type, code;
    uint16_t len;
    struct cursor ppp;

    if (!cursor_u8(&c, &ver_type) || !cursor_u8(&c, &code) ||
        !cursor_skip(&c, 2) || !cursor_u16(&c, &len))
        return DECODE_MALFORMED;
    if (ver_type != 0x11 || code != 0)
        return DECODE_IGNORED;
    if (!cursor_sub(&c, len, &ppp)) {
        if (!L->frame_cut)
            return DECODE_MALFORMED;
        ppp = cursor_take(&c, len);
    }
    return decode_ppp(L, ppp, out);
}

/* An MPLS label stack (RFC 3032) down to its bottom entry. The payload has
 * no type field: IPv4 and IPv6 tell themselves apart by their first nibble,
 * and a first nibble of 0 is a pseudowire control word (RFC 4385) ahead of
 * an Ethernet frame. */
static enum decode_status decode_mpls(const struct layer *L, struct cursor c,
                                      struct packet *out)
{
    LAYER_ENTER(L);
    uint32_t entry;
    uint8_t first;
    struct layer in;

    for (int i = 0;; i++) {
        if (i >= MPLS_MAX_LABELS || !cursor_u32(&c, &entry))
            return DECODE_MALFORMED;
        if (entry & 0x100)
            break; /* bottom of stack */
    }
    if (!cursor_peek_u8(&c, 0, &first))
        return DECODE_MALFORMED;
    if (first >> 4 == 0) {
        if (!cursor_skip(&c, 4) || !enter_tunnel(L, false, &in))
            return DECODE_IGNORED;
        return decode_ethernet(&in, c, out);
    }
    return decode_ip_of_nibble(L, c, first, DECODE_IGNORED, out);
}

/* From an ethertype on: VLAN tags (any stack depth, first two kept), Cisco
 * MetaData, PPPoE and MPLS, then IPv4 or IPv6. Shared by Ethernet, both
 * Linux cooked formats (libpcap puts the VLAN tag back into cooked captures
 * as well) and GRE. */
static enum decode_status decode_ethertype(const struct layer *L,
                                           struct cursor c, uint16_t type,
                                           struct packet *out)
{
    LAYER_ENTER(L);
    uint16_t tci;
    uint8_t cmd_len;

    for (;;) {
        switch (type) {
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD:
            if (!cursor_u16(&c, &tci) || !cursor_u16(&c, &type))
                return DECODE_MALFORMED;
            if (out->n_vlan < PKT_MAX_VLANS)
                out->vlan[out->n_vlan++] = tci & 0x0fff;
            continue;
        case ETH_CISCO_METADATA:
            /* version, length in 4-byte option words (the SGT option is
             * one), the options, then the real ethertype */
            if (!cursor_skip(&c, 1) || !cursor_u8(&c, &cmd_len) ||
                !cursor_skip(&c, (size_t)cmd_len * 4) ||
                !cursor_u16(&c, &type))
                return DECODE_MALFORMED;
            continue;
        case ETH_IPV4:
            return decode_ipv4(L, c, false, out);
        case ETH_IPV6:
            return decode_ipv6(L, c, out);
        case ETH_PPPOE_SESSION:
            return decode_pppoe(L, c, out);
        case ETH_MPLS_UNICAST:
        case ETH_MPLS_MULTICAST:
            return decode_mpls(L, c, out);
        case ETH_TEB: {
            /* Ethernet inside Ethernet is a tunnel like any other. */
            struct layer in;
            if (!enter_tunnel(L, false, &in))
                return DECODE_IGNORED;
            return decode_ethernet(&in, c, out);
        }
        default:
            return DECODE_IGNORED;
        }
    }
}

static enum decode_status decode_ethernet(const struct layer *L,
                                          struct cursor c, struct packet *out)
{
    LAYER_ENTER(L);
    uint16_t type;
    struct cursor hdr;

    /* Both MAC addresses and the type as one 14-byte cursor: one bounds
     * check. */
    if (!cursor_sub(&c, 14, &hdr) || !cursor_skip(&hdr, 12) ||
        !cursor_u16(&hdr, &type))
        return DECODE_MALFORMED;
    return decode_ethertype(L, c, type, out);
}

static bool bsd_family_known(uint32_t af)
{
    return af == BSD_AF_INET || af == BSD_AF_INET6_NETBSD ||
           af == BSD_AF_INET6_FREEBSD || af == BSD_AF_INET6_DARWIN;
}

static enum decode_status decode_bsd_family(const struct layer *L,
                                            struct cursor c, uint32_t af,
                                            struct packet *out)
{
    LAYER_ENTER(L);
    if (af == BSD_AF_INET)
        return decode_ipv4(L, c, false, out);
    if (bsd_family_known(af))
        return decode_ipv6(L, c, out);
    return DECODE_IGNORED;
}

static enum decode_status decode_link(const struct layer *L, int linktype,
                                      struct cursor c, struct packet *out)
{
    LAYER_ENTER(L);
    uint16_t type;
    uint32_t af;
    struct cursor be;

    switch (linktype) {
    case LT_EN10MB:
        return decode_ethernet(L, c, out);
    case LT_LINUX_SLL:
        /* packet type, ARPHRD type, address length, 8 address bytes */
        if (!cursor_skip(&c, 14) || !cursor_u16(&c, &type))
            return DECODE_MALFORMED;
        return decode_ethertype(L, c, type, out);
    case LT_PPP:
    case LT_PPP_HDLC:
        return decode_ppp(L, c, out);
    case LT_PPP_WITH_DIR:
        /* one byte of direction (0 received, 1 sent) first */
        if (!cursor_skip(&c, 1))
            return DECODE_MALFORMED;
        return decode_ppp(L, c, out);
    case LT_PPP_ETHER:
        return decode_pppoe(L, c, out);
    case LT_C_HDLC: {
        uint8_t address;
        if (!cursor_u8(&c, &address) || !cursor_skip(&c, 1) ||
            !cursor_u16(&c, &type))
            return DECODE_MALFORMED;
        if (address != CHDLC_UNICAST && address != CHDLC_MULTICAST)
            return DECODE_MALFORMED;
        return decode_ethertype(L, c, type, out);
    }
    case LT_LINUX_SLL2:
        /* protocol first, then reserved, ifindex, ARPHRD, packet type,
         * address length and 8 address bytes */
        if (!cursor_u16(&c, &type) || !cursor_skip(&c, 18))
            return DECODE_MALFORMED;
        return decode_ethertype(L, c, type, out);
    case LT_RAW:
    case LT_DLT_RAW_A:
    case LT_DLT_RAW_B:
        return decode_ip_by_version(L, c, out);
    case LT_IPV4:
        return decode_ipv4(L, c, false, out);
    case LT_IPV6:
        return decode_ipv6(L, c, out);
    case LT_NULL:
        /* Host byte order of whoever captured it, which need not be us:
         * the families are small numbers, so only one reading makes sense. */
        be = c;
        if (!cursor_u32le(&c, &af))
            return DECODE_MALFORMED;
        if (!bsd_family_known(af)) {
            if (!cursor_u32(&be, &af))
                return DECODE_MALFORMED;
            c = be;
        }
        return decode_bsd_family(L, c, af, out);
    case LT_LOOP:
        if (!cursor_u32(&c, &af))
            return DECODE_MALFORMED;
        return decode_bsd_family(L, c, af, out);
    default:
        return DECODE_UNSUPPORTED_LINK;
    }
}

enum decode_status decode_packet(struct decoder *d, int linktype,
                                 const uint8_t *frame, uint32_t cap_len,
                                 uint32_t wire_len, uint64_t ts_us,
                                 struct packet *out)
{
    enum decode_status st;

    memset(out, 0, sizeof(*out));
    out->ts_us = ts_us;
    out->wire_len = wire_len;
    out->cap_len = cap_len;

    struct layer L = {d, ts_us, cap_len < wire_len, 0, false, false};

    d->layers = 0;
    d->too_deep = false;
    st = decode_link(&L, linktype, cursor_make(frame, cap_len), out);
    if (d->too_deep)
        d->stats.too_deep++;
    switch (st) {
    case DECODE_OK:
        d->stats.ok++;
        break;
    case DECODE_IGNORED:
        d->stats.ignored++;
        break;
    case DECODE_MALFORMED:
        d->stats.malformed++;
        break;
    case DECODE_HELD:
    case DECODE_UNSUPPORTED_LINK:
        break;
    }
    return st;
}

/* One 8-byte word of an address into the shard hash: a multiply and a
 * shift. Every worker reading a file hashes every frame, and FNV-1a byte
 * by byte over the 32 bytes was most of this function's time. */
static uint64_t shard_mix(uint64_t h, const uint8_t word[8])
{
    uint64_t w;
    memcpy(&w, word, sizeof(w));
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

uint32_t decode_shard_hash(int linktype, const uint8_t *frame,
                           uint32_t cap_len)
{
    struct decoder unused; /* the outer header needs no decoder state */
    struct packet pkt;
    memset(&unused, 0, sizeof(unused));
    memset(&pkt, 0, sizeof(pkt));
    struct layer L = {&unused, 0, false, 0, false, true};
    if (decode_link(&L, linktype, cursor_make(frame, cap_len), &pkt) !=
        DECODE_OK)
        return 0;
    /* Order the pair so both directions hash alike. */
    const uint8_t(*a)[16] = &pkt.src, (*b)[16] = &pkt.dst;
    if (memcmp(*a, *b, 16) > 0) {
        a = &pkt.dst;
        b = &pkt.src;
    }
    uint64_t h = shard_mix(shard_mix(0, &(*a)[0]), &(*a)[8]);
    return (uint32_t)(shard_mix(shard_mix(h, &(*b)[0]), &(*b)[8]) >> 32);
}
