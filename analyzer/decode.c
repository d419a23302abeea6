/* decode.c — turn one captured frame into a `struct packet`: peel the link
 * layer, the IP layer (reassembling IPv4 fragments) and the TCP/UDP header,
 * and say plainly when a frame is not something tlsmon analyzes or is
 * broken. */
#include "decode.h"

#include <string.h>

#include "cursor.h"

/* pcap LINKTYPE values (and the DLT_RAW numbers some platforms write). */
#define LT_NULL 0
#define LT_EN10MB 1
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

/* BSD address families: AF_INET is 2 everywhere, AF_INET6 differs. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_NETBSD 24 /* also OpenBSD */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
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

/* `l4` holds the captured transport bytes (never more than the IP layer
 * declared); `declared` is what the IP layer says the transport layer is. */
static enum decode_status decode_tcp(struct cursor l4, uint32_t declared,
                                     struct packet *out)
{
    uint8_t off_byte, flags;
    uint32_t hdr_len;
    size_t n;

    if (declared < 20)
        return DECODE_MALFORMED;
    if (!cursor_u16(&l4, &out->sport) || !cursor_u16(&l4, &out->dport) ||
        !cursor_u32(&l4, &out->seq) || !cursor_u32(&l4, &out->ack) ||
        !cursor_u8(&l4, &off_byte) || !cursor_u8(&l4, &flags) ||
        !cursor_skip(&l4, 6))
        return DECODE_MALFORMED;
    hdr_len = (uint32_t)(off_byte >> 4) * 4;
    if (hdr_len < 20 || hdr_len > declared)
        return DECODE_MALFORMED;
    out->tcp_flags = flags;
    if (!cursor_skip(&l4, hdr_len - 20)) {
        /* Options are declared but the snaplen cut them off: the header
         * facts are all there, the payload is not. */
        out->payload_truncated = declared > hdr_len;
        return DECODE_OK;
    }
    out->payload = cursor_rest(&l4, &n);
    out->payload_len = (uint32_t)n;
    out->payload_truncated = declared - hdr_len > n;
    if (!n)
        out->payload = NULL;
    return DECODE_OK;
}

static enum decode_status decode_udp(struct cursor l4, uint32_t declared,
                                     struct packet *out)
{
    uint16_t udp_len;
    struct cursor body;
    size_t n, want;

    if (declared < 8)
        return DECODE_MALFORMED;
    if (!cursor_u16(&l4, &out->sport) || !cursor_u16(&l4, &out->dport) ||
        !cursor_u16(&l4, &udp_len) || !cursor_skip(&l4, 2))
        return DECODE_MALFORMED;
    if (udp_len < 8 || udp_len > declared)
        return DECODE_MALFORMED;
    want = udp_len - 8u;
    n = cursor_left(&l4) < want ? cursor_left(&l4) : want;
    cursor_sub(&l4, n, &body);
    out->payload = n ? cursor_rest(&body, &n) : NULL;
    out->payload_len = (uint32_t)n;
    out->payload_truncated = want > n;
    return DECODE_OK;
}

static enum decode_status decode_transport(struct cursor l4, uint32_t declared,
                                           struct packet *out)
{
    switch (out->ip_proto) {
    case IPPROTO_TCP_:
        return decode_tcp(l4, declared, out);
    case IPPROTO_UDP_:
        return decode_udp(l4, declared, out);
    default:
        return DECODE_IGNORED;
    }
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

static enum decode_status decode_ipv4(struct decoder *d, struct cursor c,
                                      bool frame_cut, uint64_t ts_us,
                                      bool reassembled, struct packet *out)
{
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

    hdr = c;
    if (!cursor_skip(&hdr, 2) || !cursor_u16(&hdr, &total) ||
        !cursor_skip(&hdr, 2) || !cursor_u16(&hdr, &frag) ||
        !cursor_skip(&hdr, 1) || !cursor_u8(&hdr, &proto) ||
        !cursor_skip(&hdr, 2) || !cursor_copy(&hdr, out->src, 4) ||
        !cursor_copy(&hdr, out->dst, 4))
        return DECODE_MALFORMED;
    /* Total length 0 is what a capture of a TSO/GSO send on the sending
     * host looks like: the real length is whatever was captured. */
    if (total == 0 && !reassembled)
        total = cursor_left(&c) > 65535 ? 65535 : (uint16_t)cursor_left(&c);
    if (total < hdr_len)
        return DECODE_MALFORMED;
    if (!captured_span(cursor_left(&c), total, frame_cut, &span, &cut))
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
        int r;

        if (reassembled)
            return DECODE_MALFORMED;
        d->stats.fragments++;
        /* Only TCP and UDP are analyzed: holding other fragments would
         * spend the memory cap on nothing. A fragment the snaplen cut can
         * never be reassembled. */
        if ((proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_) || cut)
            return DECODE_IGNORED;
        r = ipfrag_offer(&d->frags, l3, span, ts_us, &dgram, &dgram_len);
        d->stats.frag_dropped = d->frags.dropped;
        if (r < 0)
            return DECODE_MALFORMED;
        if (r == 0)
            return DECODE_HELD;
        d->stats.reassembled++;
        memset(out->src, 0, sizeof(out->src));
        memset(out->dst, 0, sizeof(out->dst));
        return decode_ipv4(d, cursor_make(dgram, dgram_len), false, ts_us,
                           true, out);
    }

    if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
        return DECODE_IGNORED;
    if (!cursor_skip(&ip, hdr_len))
        return DECODE_MALFORMED;
    return decode_transport(ip, total - hdr_len, out);
}

static enum decode_status decode_ipv6(struct decoder *d, struct cursor c,
                                      bool frame_cut, struct packet *out)
{
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
    declared = plen;
    /* Payload length 0 with a payload: a jumbogram or a BIG TCP / GSO send
     * captured on the sender. Take what was captured. */
    if (plen == 0 && nh != IPPROTO_NONE_)
        declared = cursor_left(&c) > UINT32_MAX - 40
                       ? UINT32_MAX - 40
                       : (uint32_t)cursor_left(&c);
    if (!captured_span(cursor_left(&c), declared, frame_cut, &span, &cut))
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
    return decode_transport(ip, declared, out);
}

static enum decode_status decode_ip_by_version(struct decoder *d,
                                               struct cursor c, bool frame_cut,
                                               uint64_t ts_us,
                                               struct packet *out)
{
    uint8_t v;

    if (!cursor_peek_u8(&c, 0, &v))
        return DECODE_MALFORMED;
    switch (v >> 4) {
    case 4:
        return decode_ipv4(d, c, frame_cut, ts_us, false, out);
    case 6:
        return decode_ipv6(d, c, frame_cut, out);
    default:
        return DECODE_MALFORMED;
    }
}

/* From an ethertype on: VLAN tags (any stack depth, first two kept), then
 * IPv4 or IPv6. Shared by Ethernet and both Linux cooked formats, since
 * libpcap puts the VLAN tag back into cooked captures as well. */
static enum decode_status decode_ethertype(struct decoder *d, struct cursor c,
                                           uint16_t type, bool frame_cut,
                                           uint64_t ts_us, struct packet *out)
{
    uint16_t tci;

    while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
        if (!cursor_u16(&c, &tci) || !cursor_u16(&c, &type))
            return DECODE_MALFORMED;
        if (out->n_vlan < PKT_MAX_VLANS)
            out->vlan[out->n_vlan++] = tci & 0x0fff;
    }
    switch (type) {
    case ETH_IPV4:
        return decode_ipv4(d, c, frame_cut, ts_us, false, out);
    case ETH_IPV6:
        return decode_ipv6(d, c, frame_cut, out);
    default:
        return DECODE_IGNORED;
    }
}

static bool bsd_family_known(uint32_t af)
{
    return af == BSD_AF_INET || af == BSD_AF_INET6_NETBSD ||
           af == BSD_AF_INET6_FREEBSD || af == BSD_AF_INET6_DARWIN;
}

static enum decode_status decode_bsd_family(struct decoder *d,
                                            struct cursor c, uint32_t af,
                                            bool frame_cut, uint64_t ts_us,
                                            struct packet *out)
{
    if (af == BSD_AF_INET)
        return decode_ipv4(d, c, frame_cut, ts_us, false, out);
    if (bsd_family_known(af))
        return decode_ipv6(d, c, frame_cut, out);
    return DECODE_IGNORED;
}

static enum decode_status decode_link(struct decoder *d, int linktype,
                                      struct cursor c, bool frame_cut,
                                      uint64_t ts_us, struct packet *out)
{
    uint16_t type;
    uint32_t af;
    struct cursor be;

    switch (linktype) {
    case LT_EN10MB:
        if (!cursor_skip(&c, 12) || !cursor_u16(&c, &type))
            return DECODE_MALFORMED;
        return decode_ethertype(d, c, type, frame_cut, ts_us, out);
    case LT_LINUX_SLL:
        /* packet type, ARPHRD type, address length, 8 address bytes */
        if (!cursor_skip(&c, 14) || !cursor_u16(&c, &type))
            return DECODE_MALFORMED;
        return decode_ethertype(d, c, type, frame_cut, ts_us, out);
    case LT_LINUX_SLL2:
        /* protocol first, then reserved, ifindex, ARPHRD, packet type,
         * address length and 8 address bytes */
        if (!cursor_u16(&c, &type) || !cursor_skip(&c, 18))
            return DECODE_MALFORMED;
        return decode_ethertype(d, c, type, frame_cut, ts_us, out);
    case LT_RAW:
    case LT_DLT_RAW_A:
    case LT_DLT_RAW_B:
        return decode_ip_by_version(d, c, frame_cut, ts_us, out);
    case LT_IPV4:
        return decode_ipv4(d, c, frame_cut, ts_us, false, out);
    case LT_IPV6:
        return decode_ipv6(d, c, frame_cut, out);
    case LT_NULL:
        /* Host byte order of whoever captured it, which need not be us:
         * the families are small numbers, so only one reading makes sense. */
        be = c;
        if (!cursor_u32le(&c, &af))
            return DECODE_MALFORMED;
        if (!bsd_family_known(af)) {
            cursor_u32(&be, &af);
            c = be;
        }
        return decode_bsd_family(d, c, af, frame_cut, ts_us, out);
    case LT_LOOP:
        if (!cursor_u32(&c, &af))
            return DECODE_MALFORMED;
        return decode_bsd_family(d, c, af, frame_cut, ts_us, out);
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

    st = decode_link(d, linktype, cursor_make(frame, cap_len),
                     cap_len < wire_len, ts_us, out);
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
