/* test_decode.c — frames built byte by byte for every supported link type,
 * checked field by field; malformed and cut-short frames at every length;
 * padding, snaplen truncation and IPv4 reassembly through the decoder;
 * every tunnel (PPPoE, Cisco MetaData, MPLS, IP-in-IP, GRE, VXLAN, GTP-U,
 * CAPWAP) down to the inner packet, and the nesting bound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "analyzer/decode.h"

struct frame {
    uint8_t b[4096];
    size_t n;
};

static void put8(struct frame *f, uint8_t v)
{
    f->b[f->n++] = v;
}

static void put16(struct frame *f, uint16_t v)
{
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)v);
}

static void put32(struct frame *f, uint32_t v)
{
    put16(f, (uint16_t)(v >> 16));
    put16(f, (uint16_t)v);
}

static void put32le(struct frame *f, uint32_t v)
{
    put8(f, (uint8_t)v);
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)(v >> 16));
    put8(f, (uint8_t)(v >> 24));
}

static void putmem(struct frame *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static const uint8_t SRC4[4] = {192, 0, 2, 1};
static const uint8_t DST4[4] = {198, 51, 100, 7};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0, 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0, 2};
static const uint8_t ZERO12[12] = {0};

/* MSS 1460, NOP, NOP, then a 6-byte fake option: 12 bytes, data offset 8 */
static const uint8_t TCP_OPTS[12] = {2, 4, 0x05, 0xb4, 1, 1,
                                     8, 6, 0,    0,    0, 1};
static const char HELLO[] = "\x16\x03\x01hello";
#define HELLO_LEN 8

static void eth(struct frame *f, uint16_t type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    putmem(f, macs, 12);
    put16(f, type);
}

static void ipv4(struct frame *f, uint8_t proto, uint16_t l4_len, uint16_t id,
                 uint16_t frag)
{
    put8(f, 0x45);
    put8(f, 0);
    put16(f, (uint16_t)(20 + l4_len));
    put16(f, id);
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    putmem(f, SRC4, 4);
    putmem(f, DST4, 4);
}

static void ipv6(struct frame *f, uint8_t nh, uint16_t plen)
{
    put32(f, 0x60000000);
    put16(f, plen);
    put8(f, nh);
    put8(f, 64);
    putmem(f, SRC6, 16);
    putmem(f, DST6, 16);
}

#define TCP_LEN (32 + HELLO_LEN)

static void tcp(struct frame *f)
{
    put16(f, 51000);
    put16(f, 443);
    put32(f, 0x11223344);
    put32(f, 0x55667788);
    put8(f, 8 << 4);
    put8(f, TCPF_PSH | TCPF_ACK);
    put16(f, 65535);
    put16(f, 0);
    put16(f, 0);
    putmem(f, TCP_OPTS, sizeof(TCP_OPTS));
    putmem(f, HELLO, HELLO_LEN);
}

#define UDP_LEN (8 + HELLO_LEN)

static void udp(struct frame *f)
{
    put16(f, 5353);
    put16(f, 443);
    put16(f, UDP_LEN);
    put16(f, 0);
    putmem(f, HELLO, HELLO_LEN);
}

static struct decoder dec;

static int setup(void **state)
{
    (void)state;
    decoder_init(&dec, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    decoder_free(&dec);
    return 0;
}

static enum decode_status run(int lt, const struct frame *f, struct packet *p)
{
    return decode_packet(&dec, lt, f->b, (uint32_t)f->n, (uint32_t)f->n,
                         1234567, p);
}

static void check_v4_tcp(const struct packet *p, const struct frame *f,
                         size_t l3_off)
{
    static const uint8_t src[16] = {192, 0, 2, 1};
    static const uint8_t dst[16] = {198, 51, 100, 7};

    assert_int_equal(p->ip_version, 4);
    assert_int_equal(p->ip_proto, 6);
    assert_memory_equal(p->src, src, 16);
    assert_memory_equal(p->dst, dst, 16);
    assert_ptr_equal(p->l3, f->b + l3_off);
    assert_int_equal(p->l3_len, 20 + TCP_LEN);
    assert_int_equal(p->sport, 51000);
    assert_int_equal(p->dport, 443);
    assert_int_equal(p->seq, 0x11223344);
    assert_int_equal(p->ack, 0x55667788);
    assert_int_equal(p->tcp_flags, TCPF_PSH | TCPF_ACK);
    assert_ptr_equal(p->payload, f->b + l3_off + 20 + 32);
    assert_int_equal(p->payload_len, HELLO_LEN);
    assert_memory_equal(p->payload, HELLO, HELLO_LEN);
    assert_false(p->payload_truncated);
}

static void check_v6_tcp(const struct packet *p, const struct frame *f,
                         size_t l3_off, size_t ext_len)
{
    assert_int_equal(p->ip_version, 6);
    assert_int_equal(p->ip_proto, 6);
    assert_memory_equal(p->src, SRC6, 16);
    assert_memory_equal(p->dst, DST6, 16);
    assert_ptr_equal(p->l3, f->b + l3_off);
    assert_int_equal(p->l3_len, 40 + ext_len + TCP_LEN);
    assert_int_equal(p->sport, 51000);
    assert_int_equal(p->seq, 0x11223344);
    assert_ptr_equal(p->payload, f->b + l3_off + 40 + ext_len + 32);
    assert_int_equal(p->payload_len, HELLO_LEN);
    assert_false(p->payload_truncated);
}

static void test_ethernet_tcp_options(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0x4000);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14);
    assert_int_equal(p.ts_us, 1234567);
    assert_int_equal(p.cap_len, f.n);
    assert_int_equal(p.wire_len, f.n);
    assert_int_equal(p.n_vlan, 0);
    assert_int_equal(dec.stats.ok, 1);
    assert_int_equal(dec.stats.malformed, 0);
}

static void test_ethernet_udp_padding(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x0800);
    ipv4(&f, 17, UDP_LEN, 1, 0);
    udp(&f);
    /* pad to the 60-byte Ethernet minimum with junk, not zeros */
    while (f.n < 60)
        put8(&f, 0xee);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 17);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.l3_len, 20 + UDP_LEN);
    assert_int_equal(p.payload_len, HELLO_LEN);
    assert_ptr_equal(p.payload, f.b + 14 + 20 + 8);
    assert_false(p.payload_truncated);
    assert_int_equal(p.cap_len, 60);
}

static void test_vlan_stacks(void **state)
{
    (void)state;
    static const struct {
        uint16_t tpids[3];
        uint16_t tcis[3];
        int n;
    } cases[] = {
        {{0x8100}, {0x2064}, 1},                           /* prio 1, vid 100 */
        {{0x88a8, 0x8100}, {0x00c8, 0x012c}, 2},           /* QinQ 200/300 */
        {{0x9100, 0x8100}, {0x0fff, 0x0001}, 2},           /* old QinQ */
        {{0x88a8, 0x8100, 0x8100}, {0x0005, 0x0006, 0x0007}, 3}, /* 3 deep */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct frame f = {.n = 0};
        struct packet p;

        eth(&f, cases[i].tpids[0]);
        for (int t = 0; t < cases[i].n; t++) {
            put16(&f, cases[i].tcis[t]);
            put16(&f, t + 1 < cases[i].n ? cases[i].tpids[t + 1] : 0x0800);
        }
        ipv4(&f, 6, TCP_LEN, 1, 0);
        tcp(&f);
        assert_int_equal(run(1, &f, &p), DECODE_OK);
        check_v4_tcp(&p, &f, 14 + 4 * (size_t)cases[i].n);
        assert_int_equal(p.n_vlan, cases[i].n > 2 ? 2 : cases[i].n);
        assert_int_equal(p.vlan[0], cases[i].tcis[0] & 0x0fff);
        if (cases[i].n > 1)
            assert_int_equal(p.vlan[1], cases[i].tcis[1] & 0x0fff);
    }
}

static void sll_header(struct frame *f, uint16_t proto)
{
    put16(f, 0);     /* to us */
    put16(f, 1);     /* ARPHRD_ETHER */
    put16(f, 6);     /* address length */
    putmem(f, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
    put16(f, proto);
}

static void sll2_header(struct frame *f, uint16_t proto)
{
    put16(f, proto);
    put16(f, 0);     /* reserved */
    put32(f, 3);     /* ifindex */
    put16(f, 1);     /* ARPHRD_ETHER */
    put8(f, 4);      /* outgoing */
    put8(f, 6);
    putmem(f, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
}

static void test_sll(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    sll_header(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(113, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 16);

    /* libpcap reinserts the VLAN tag in cooked captures */
    f.n = 0;
    sll_header(&f, 0x8100);
    put16(&f, 42);
    put16(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(113, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 20);
    assert_int_equal(p.n_vlan, 1);
    assert_int_equal(p.vlan[0], 42);

    /* ARP in a cooked capture */
    f.n = 0;
    sll_header(&f, 0x0806);
    putmem(&f, ZERO12, 12);
    assert_int_equal(run(113, &f, &p), DECODE_IGNORED);
}

static void test_sll2(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    sll2_header(&f, 0x86dd);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(276, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 20, 0);

    f.n = 0;
    sll2_header(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(276, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 20);
}

static void test_null_both_orders(void **state)
{
    (void)state;
    static const uint32_t v6_families[] = {24, 28, 30};
    struct frame f = {.n = 0};
    struct packet p;

    put32le(&f, 2); /* captured on a little-endian host */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(0, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 4);

    f.n = 0;
    put32(&f, 2); /* captured on a big-endian host */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(0, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 4);

    for (size_t i = 0; i < 3; i++) {
        f.n = 0;
        put32le(&f, v6_families[i]);
        ipv6(&f, 6, TCP_LEN);
        tcp(&f);
        assert_int_equal(run(0, &f, &p), DECODE_OK);
        check_v6_tcp(&p, &f, 4, 0);

        f.n = 0;
        put32(&f, v6_families[i]);
        ipv6(&f, 6, TCP_LEN);
        tcp(&f);
        assert_int_equal(run(0, &f, &p), DECODE_OK);
        check_v6_tcp(&p, &f, 4, 0);
    }

    f.n = 0;
    put32le(&f, 7); /* AF_UNIX or whatever: not IP */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(0, &f, &p), DECODE_IGNORED);
}

static void test_loop(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    put32(&f, 2);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(108, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 4);

    f.n = 0;
    put32(&f, 30);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(108, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 4, 0);

    /* LOOP is always network order: a little-endian 2 is not AF_INET */
    f.n = 0;
    put32le(&f, 2);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(108, &f, &p), DECODE_IGNORED);
}

static void test_raw(void **state)
{
    (void)state;
    static const int raw_types[] = {101, 12, 14};
    struct frame f4 = {.n = 0}, f6 = {.n = 0};
    struct packet p;

    ipv4(&f4, 6, TCP_LEN, 1, 0);
    tcp(&f4);
    ipv6(&f6, 6, TCP_LEN);
    tcp(&f6);

    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(run(raw_types[i], &f4, &p), DECODE_OK);
        check_v4_tcp(&p, &f4, 0);
        assert_int_equal(run(raw_types[i], &f6, &p), DECODE_OK);
        check_v6_tcp(&p, &f6, 0, 0);
    }
    assert_int_equal(run(228, &f4, &p), DECODE_OK);
    check_v4_tcp(&p, &f4, 0);
    assert_int_equal(run(229, &f6, &p), DECODE_OK);
    check_v6_tcp(&p, &f6, 0, 0);
    /* the link type promises a version the packet does not have */
    assert_int_equal(run(228, &f6, &p), DECODE_MALFORMED);
    assert_int_equal(run(229, &f4, &p), DECODE_MALFORMED);

    f4.b[0] = 0x55; /* version 5 */
    assert_int_equal(run(101, &f4, &p), DECODE_MALFORMED);
}

static void test_ipv6_ext_chain(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    /* hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP */
    eth(&f, 0x86dd);
    ipv6(&f, 0, 24 + TCP_LEN);
    put8(&f, 60);
    put8(&f, 0);
    putmem(&f, "\x01\x04\x00\x00\x00\x00", 6); /* PadN */
    put8(&f, 6);
    put8(&f, 1);
    putmem(&f, "\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
           14);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 14, 24);

    /* routing (8) -> AH (len 4 => 24 bytes) -> mobility (8) -> UDP */
    f.n = 0;
    ipv6(&f, 43, 8 + 24 + 8 + UDP_LEN);
    put8(&f, 51);
    put8(&f, 0);
    putmem(&f, ZERO12, 6);
    put8(&f, 135);
    put8(&f, 4);
    putmem(&f, ZERO12, 12);
    putmem(&f, ZERO12, 10);
    put8(&f, 17);
    put8(&f, 0);
    putmem(&f, ZERO12, 6);
    udp(&f);
    assert_int_equal(run(101, &f, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 17);
    assert_int_equal(p.dport, 443);
    assert_ptr_equal(p.payload, f.b + 40 + 40 + 8);
    assert_int_equal(p.payload_len, HELLO_LEN);

    /* an extension header longer than the payload length */
    f.n = 0;
    ipv6(&f, 0, 8);
    put8(&f, 6);
    put8(&f, 1); /* 16 bytes, only 8 declared */
    putmem(&f, ZERO12, 12);
    putmem(&f, ZERO12, 2);
    assert_int_equal(run(101, &f, &p), DECODE_MALFORMED);

    /* no next header */
    f.n = 0;
    ipv6(&f, 0, 8);
    put8(&f, 59);
    put8(&f, 0);
    putmem(&f, ZERO12, 6);
    assert_int_equal(run(101, &f, &p), DECODE_IGNORED);

    /* ICMPv6 */
    f.n = 0;
    ipv6(&f, 58, 8);
    putmem(&f, ZERO12, 8);
    assert_int_equal(run(101, &f, &p), DECODE_IGNORED);
}

static void ipv6_frag(struct frame *f, uint16_t offset_units, bool more)
{
    f->n = 0;
    ipv6(f, 44, 8 + UDP_LEN);
    put8(f, 17);
    put8(f, 0);
    put16(f, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
    put32(f, 0xabcdef01);
    udp(f);
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    struct frame f;
    struct packet p;
    uint64_t frags = dec.stats.fragments;

    ipv6_frag(&f, 0, true); /* first fragment */
    assert_int_equal(run(101, &f, &p), DECODE_IGNORED);
    ipv6_frag(&f, 100, true);
    assert_int_equal(run(101, &f, &p), DECODE_IGNORED);
    ipv6_frag(&f, 100, false);
    assert_int_equal(run(101, &f, &p), DECODE_IGNORED);
    assert_int_equal(dec.stats.fragments, frags + 3);

    ipv6_frag(&f, 0, false); /* atomic fragment: a whole packet */
    assert_int_equal(run(101, &f, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 17);
    assert_ptr_equal(p.payload, f.b + 48 + 8);
    assert_int_equal(p.payload_len, HELLO_LEN);
}

static void test_transport_validation(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    /* TCP data offset 4 */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    f.b[20 + 12] = 4 << 4;
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    /* data offset 15 (60 bytes) past the 40-byte segment */
    f.b[20 + 12] = 15 << 4;
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    /* data offset 10 = exactly the segment: no payload */
    f.b[20 + 12] = 10 << 4;
    assert_int_equal(run(228, &f, &p), DECODE_OK);
    assert_int_equal(p.payload_len, 0);
    assert_false(p.payload_truncated);

    /* UDP length larger than the IP payload */
    f.n = 0;
    ipv4(&f, 17, UDP_LEN, 1, 0);
    udp(&f);
    f.b[20 + 5] = UDP_LEN + 1;
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    f.b[20 + 5] = 7;
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    /* UDP length shorter than the IP payload: trailing bytes dropped */
    f.b[20 + 5] = 8 + 3;
    assert_int_equal(run(228, &f, &p), DECODE_OK);
    assert_int_equal(p.payload_len, 3);
    assert_ptr_equal(p.payload, f.b + 28);

    /* IP payload too short for the headers it claims */
    f.n = 0;
    ipv4(&f, 6, 12, 1, 0);
    putmem(&f, ZERO12, 12);
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    f.n = 0;
    ipv4(&f, 17, 4, 1, 0);
    putmem(&f, ZERO12, 4);
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
}

static void test_ipv4_validation(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);

    f.b[0] = 0x44; /* IHL 4 */
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    f.b[0] = 0x45;
    f.b[3] = 19; /* total length shorter than the header */
    f.b[2] = 0;
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    f.b[3] = (uint8_t)(20 + TCP_LEN + 1); /* one more than captured */
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);
    /* total length 0: a TSO send captured on the host */
    f.b[3] = 0;
    assert_int_equal(run(228, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 0);

    /* IHL 15 with only 20 bytes of frame */
    f.n = 0;
    ipv4(&f, 6, 0, 1, 0);
    f.b[0] = 0x4f;
    assert_int_equal(run(228, &f, &p), DECODE_MALFORMED);

    /* 4 bytes of IP options are skipped */
    f.n = 0;
    put8(&f, 0x46);
    put8(&f, 0);
    put16(&f, 24 + TCP_LEN);
    put32(&f, 0);
    put8(&f, 64);
    put8(&f, 6);
    put16(&f, 0);
    putmem(&f, SRC4, 4);
    putmem(&f, DST4, 4);
    put32(&f, 0x01010100); /* NOP NOP NOP EOL */
    tcp(&f);
    assert_int_equal(run(228, &f, &p), DECODE_OK);
    assert_int_equal(p.sport, 51000);
    assert_ptr_equal(p.payload, f.b + 24 + 32);
    assert_int_equal(p.l3_len, 24 + TCP_LEN);
}

static void test_ignored(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;
    uint64_t ignored = dec.stats.ignored;

    eth(&f, 0x0806); /* ARP */
    putmem(&f, ZERO12, 12);
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);

    f.n = 0;
    eth(&f, 0x0064); /* 802.3 length field */
    putmem(&f, ZERO12, 12);
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);

    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, 1, 8, 1, 0); /* ICMP */
    putmem(&f, ZERO12, 8);
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
    assert_int_equal(dec.stats.ignored, ignored + 3);

    assert_int_equal(run(147, &f, &p), DECODE_UNSUPPORTED_LINK);
    assert_int_equal(dec.stats.ignored, ignored + 3);
}

/* ICMP destination unreachable: the packet becomes the quoted datagram's
 * 5-tuple (client to server), marked with the reason; other ICMP, and an
 * unreachable quoting something that is not TCP or UDP, is ignored. */
static void test_icmp_unreachable(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;
    static const struct {
        uint8_t code;
        enum icmp_unreach kind;
    } v4[] = {{3, ICMP_UNREACH_PORT}, {1, ICMP_UNREACH_HOST},
              {0, ICMP_UNREACH_NET}, {13, ICMP_UNREACH_PROHIBITED},
              {4, ICMP_UNREACH_OTHER}};

    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        f.n = 0;
        eth(&f, 0x0800);
        ipv4(&f, 1, 8 + 20 + UDP_LEN, 9, 0); /* outer: server host to client */
        put8(&f, 3);
        put8(&f, v4[i].code);
        put16(&f, 0);
        put32(&f, 0);
        /* The quoted datagram: DST4 -> SRC4 reversed, so the client is
         * the outer destination. */
        put8(&f, 0x45);
        put8(&f, 0);
        put16(&f, 20 + UDP_LEN);
        put32(&f, 0);
        put8(&f, 64);
        put8(&f, 17);
        put16(&f, 0);
        putmem(&f, DST4, 4);
        putmem(&f, SRC4, 4);
        udp(&f);
        assert_int_equal(run(1, &f, &p), DECODE_OK);
        assert_int_equal(p.icmp_unreach, v4[i].kind);
        assert_int_equal(p.ip_proto, 17);
        assert_memory_equal(p.src, DST4, 4);
        assert_memory_equal(p.dst, SRC4, 4);
        assert_int_equal(p.sport, 5353);
        assert_int_equal(p.dport, 443);
        assert_int_equal(p.payload_len, 0);
    }

    /* ICMPv6 port unreachable (type 1 code 4) quoting a UDP datagram. */
    f.n = 0;
    eth(&f, 0x86dd);
    ipv6(&f, 58, 8 + 40 + UDP_LEN);
    put8(&f, 1);
    put8(&f, 4);
    put16(&f, 0);
    put32(&f, 0);
    put32(&f, 0x60000000);
    put16(&f, UDP_LEN);
    put8(&f, 17);
    put8(&f, 64);
    putmem(&f, DST6, 16);
    putmem(&f, SRC6, 16);
    udp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    assert_int_equal(p.icmp_unreach, ICMP_UNREACH_PORT);
    assert_memory_equal(p.src, DST6, 16);
    assert_int_equal(p.dport, 443);

    /* An echo request, and an unreachable cut before the ports. */
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, 1, 8, 1, 0);
    put8(&f, 8);
    put8(&f, 0);
    putmem(&f, ZERO12, 6);
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
    f.n = 0;
    eth(&f, 0x0800);
    ipv4(&f, 1, 8 + 20, 1, 0);
    put8(&f, 3);
    put8(&f, 3);
    putmem(&f, ZERO12, 6);
    put8(&f, 0x45);
    putmem(&f, ZERO12, 8);
    put8(&f, 17);
    putmem(&f, ZERO12, 10);
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
}

static void test_linktype_supported(void **state)
{
    (void)state;
    static const int yes[] = {0,   1,   9,   12,  14,  50,  51, 101,
                              104, 108, 113, 204, 228, 229, 276};
    static const int no[] = {-1, 2, 10, 105, 127, 147, 192, 230, 275, 277};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(decode_linktype_supported(yes[i]));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(decode_linktype_supported(no[i]));
}

static void test_snaplen_truncation(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    /* a 14+20+32+3 byte snaplen over the full frame */
    assert_int_equal(decode_packet(&dec, 1, f.b, 14 + 20 + 32 + 3,
                                   (uint32_t)f.n, 9, &p),
                     DECODE_OK);
    assert_true(p.payload_truncated);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(p.payload_lost, TCP_LEN - 32 - 3);
    assert_ptr_equal(p.payload, f.b + 14 + 52);
    assert_int_equal(p.l3_len, 20 + 32 + 3);
    assert_int_equal(p.cap_len, 14 + 20 + 32 + 3);
    assert_int_equal(p.wire_len, f.n);

    /* cut inside the TCP options: header facts kept, no payload */
    assert_int_equal(decode_packet(&dec, 1, f.b, 14 + 20 + 24,
                                   (uint32_t)f.n, 9, &p),
                     DECODE_OK);
    assert_true(p.payload_truncated);
    assert_int_equal(p.payload_len, 0);
    assert_int_equal(p.payload_lost, TCP_LEN - 32);
    assert_null(p.payload);
    assert_int_equal(p.seq, 0x11223344);

    /* the same length with no snaplen to explain it is a lie */
    assert_int_equal(decode_packet(&dec, 1, f.b, 14 + 20 + 32 + 3,
                                   14 + 20 + 32 + 3, 9, &p),
                     DECODE_MALFORMED);

    /* UDP cut short */
    f.n = 0;
    ipv6(&f, 17, UDP_LEN);
    udp(&f);
    assert_int_equal(decode_packet(&dec, 229, f.b, 40 + 8 + 2,
                                   (uint32_t)f.n, 9, &p),
                     DECODE_OK);
    assert_true(p.payload_truncated);
    assert_int_equal(p.payload_len, 2);
}

/* Every cut length of a frame, copied to a buffer of exactly that size so a
 * sanitizer sees any read past it. Without a snaplen to explain the cut the
 * frame is malformed; with one, it decodes once the headers are in. */
static void cut_everywhere(int lt, const struct frame *f, size_t ok_from)
{
    struct packet p;

    for (size_t cut = 0; cut < f->n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        enum decode_status st;

        memcpy(copy, f->b, cut);
        st = decode_packet(&dec, lt, copy, (uint32_t)cut, (uint32_t)cut, 0,
                           &p);
        assert_int_equal(st, DECODE_MALFORMED);

        st = decode_packet(&dec, lt, copy, (uint32_t)cut, (uint32_t)f->n, 0,
                           &p);
        if (cut < ok_from) {
            assert_int_equal(st, DECODE_MALFORMED);
        } else {
            assert_int_equal(st, DECODE_OK);
            assert_true(p.payload_truncated);
            assert_true(p.payload_len <= p.cap_len);
            if (p.payload_len)
                assert_true(p.payload + p.payload_len <= copy + cut);
        }
        free(copy);
    }
}

static void test_truncated_every_byte(void **state)
{
    (void)state;
    struct frame f = {.n = 0};

    eth(&f, 0x88a8);
    put16(&f, 10);
    put16(&f, 0x8100);
    put16(&f, 20);
    put16(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    cut_everywhere(1, &f, 22 + 20 + 20);

    f.n = 0;
    sll_header(&f, 0x86dd);
    ipv6(&f, 0, 24 + UDP_LEN);
    put8(&f, 60);
    put8(&f, 0);
    putmem(&f, ZERO12, 6);
    put8(&f, 17);
    put8(&f, 1);
    putmem(&f, ZERO12, 12);
    putmem(&f, ZERO12, 2);
    udp(&f);
    cut_everywhere(113, &f, 16 + 40 + 24 + 8);

    f.n = 0;
    sll2_header(&f, 0x0800);
    ipv4(&f, 17, UDP_LEN, 1, 0);
    udp(&f);
    cut_everywhere(276, &f, 20 + 20 + 8);

    f.n = 0;
    put32le(&f, 28);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    cut_everywhere(0, &f, 4 + 40 + 20);

    f.n = 0;
    put32(&f, 2);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    cut_everywhere(108, &f, 4 + 20 + 20);

    f.n = 0;
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    cut_everywhere(101, &f, 20 + 20);
}

/* Ethernet frames padded with junk, cut everywhere: malformed or OK, and
 * when OK never a payload past the IP total length. */
static void test_padding_cut(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x0800);
    ipv4(&f, 17, UDP_LEN, 1, 0);
    udp(&f);
    while (f.n < 64)
        put8(&f, 0xaa);
    for (size_t cut = 0; cut <= f.n; cut++) {
        enum decode_status st = decode_packet(&dec, 1, f.b, (uint32_t)cut,
                                              (uint32_t)cut, 0, &p);
        if (cut < 14 + 20 + UDP_LEN) {
            assert_int_equal(st, DECODE_MALFORMED);
        } else {
            assert_int_equal(st, DECODE_OK);
            assert_int_equal(p.payload_len, HELLO_LEN);
            assert_int_equal(p.l3_len, 20 + UDP_LEN);
        }
    }
}

static void frag4(struct frame *f, uint16_t id, uint16_t off_units, bool more,
                  const uint8_t *data, size_t n)
{
    f->n = 0;
    eth(f, 0x0800);
    ipv4(f, 17, (uint16_t)n, id,
         (uint16_t)((more ? 0x2000 : 0) | off_units));
    putmem(f, data, n);
}

static void test_ipv4_reassembly(void **state)
{
    (void)state;
    struct frame f1, f2;
    struct packet p;
    uint8_t udp_dgram[8 + 24];
    struct decode_stats before = dec.stats;

    /* UDP header (length 32) + 24 payload bytes, split 16 + 16 */
    udp_dgram[0] = 0x13;
    udp_dgram[1] = 0x88;
    udp_dgram[2] = 0x01;
    udp_dgram[3] = 0xbb;
    udp_dgram[4] = 0;
    udp_dgram[5] = 32;
    udp_dgram[6] = 0;
    udp_dgram[7] = 0;
    for (int i = 0; i < 24; i++)
        udp_dgram[8 + i] = (uint8_t)(0x40 + i);

    frag4(&f2, 77, 2, false, udp_dgram + 16, 16);
    frag4(&f1, 77, 0, true, udp_dgram, 16);
    assert_int_equal(run(1, &f2, &p), DECODE_HELD);
    assert_int_equal(run(1, &f1, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.ip_proto, 17);
    assert_memory_equal(p.src, SRC4, 4);
    assert_ptr_equal(p.l3, dec.frags.done);
    assert_int_equal(p.l3_len, 20 + 32);
    assert_int_equal(p.sport, 5000);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.payload_len, 24);
    assert_memory_equal(p.payload, udp_dgram + 8, 24);
    assert_ptr_equal(p.payload, dec.frags.done + 28);
    assert_int_equal(p.cap_len, f1.n);
    assert_int_equal(dec.stats.fragments, before.fragments + 2);
    assert_int_equal(dec.stats.reassembled, before.reassembled + 1);
    assert_int_equal(dec.stats.ok, before.ok + 1);

    /* fragments of something tlsmon does not analyze (IGMP) are not held */
    f1.b[14 + 9] = 2;
    assert_int_equal(run(1, &f1, &p), DECODE_IGNORED);
    assert_int_equal(dec.frags.n_datagrams, 0);

    /* a non-last fragment whose length is not a multiple of 8 */
    frag4(&f1, 78, 0, true, udp_dgram, 12);
    assert_int_equal(run(1, &f1, &p), DECODE_MALFORMED);

    /* a fragment cut by the snaplen can never be completed */
    frag4(&f1, 79, 0, true, udp_dgram, 16);
    assert_int_equal(decode_packet(&dec, 1, f1.b, (uint32_t)f1.n - 1,
                                   (uint32_t)f1.n, 0, &p),
                     DECODE_IGNORED);
    assert_int_equal(dec.frags.n_datagrams, 0);
}

/* ---- tunnels: the packet is the innermost datagram ---- */

static const uint8_t OUTER4_SRC[4] = {203, 0, 113, 1};
static const uint8_t OUTER4_DST[4] = {203, 0, 113, 2};

/* An outer IPv4 header with addresses that are not the inner ones. */
static void outer_ipv4(struct frame *f, uint8_t proto, uint16_t l4_len)
{
    put8(f, 0x45);
    put8(f, 0);
    put16(f, (uint16_t)(20 + l4_len));
    put16(f, 9);
    put16(f, 0x4000);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    putmem(f, OUTER4_SRC, 4);
    putmem(f, OUTER4_DST, 4);
}

static void outer_udp(struct frame *f, uint16_t dport, uint16_t payload_len)
{
    put16(f, 40000);
    put16(f, dport);
    put16(f, (uint16_t)(8 + payload_len));
    put16(f, 0);
}

#define INNER4_LEN (20 + TCP_LEN)

static void test_pppoe(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x8864);
    put8(&f, 0x11);
    put8(&f, 0x00);
    put16(&f, 0x069d);
    put16(&f, 2 + INNER4_LEN);
    put16(&f, 0x0021);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    put8(&f, 0xee); /* Ethernet padding past the PPPoE length */
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 8);

    f.n = 0;
    eth(&f, 0x8864);
    put8(&f, 0x11);
    put8(&f, 0x00);
    put16(&f, 0x069d);
    put16(&f, 2 + 40 + TCP_LEN);
    put16(&f, 0x0057);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 14 + 8, 0);

    /* LCP is link control, not a packet */
    f.b[14 + 6] = 0xc0;
    f.b[14 + 7] = 0x21;
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
    /* a PPPoE length past the frame, with no snaplen to explain it */
    f.b[14 + 6] = 0x00;
    f.b[14 + 7] = 0x57;
    f.b[14 + 4] = 0x05;
    assert_int_equal(run(1, &f, &p), DECODE_MALFORMED);
    /* discovery stage (PADI) carries no packet */
    f.b[14 + 4] = 0x00;
    f.b[14 + 1] = 0x09;
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
}

/* PPP link types (zeek's and mercury's PPP captures): bare protocol,
 * HDLC-like framing, a compressed protocol field, a direction byte, PPPoE
 * without Ethernet, and Cisco HDLC's ethertype. */
static void test_ppp(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    put16(&f, 0x0021);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(9, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 2);

    f.n = 0;
    put8(&f, 0xff);
    put8(&f, 0x03);
    put16(&f, 0x0057);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(9, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 4, 0);
    assert_int_equal(run(50, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 4, 0);

    f.n = 0;
    put8(&f, 0x21); /* protocol field compression */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(9, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 1);

    f.n = 0;
    put8(&f, 1); /* sent */
    put16(&f, 0x0021);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(204, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 3);

    f.n = 0;
    put8(&f, 0x11);
    put8(&f, 0x00);
    put16(&f, 0x069d);
    put16(&f, 2 + INNER4_LEN);
    put16(&f, 0x0021);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(51, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 8);

    f.n = 0;
    put8(&f, 0x0f);
    put8(&f, 0x00);
    put16(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(104, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 4);
    f.b[0] = 0x42; /* not a Cisco HDLC address */
    assert_int_equal(run(104, &f, &p), DECODE_MALFORMED);

    /* LCP is link control; an empty frame and a lone byte are broken */
    f.n = 0;
    put16(&f, 0xc021);
    putmem(&f, ZERO12, 8);
    assert_int_equal(run(9, &f, &p), DECODE_IGNORED);
    f.n = 0;
    assert_int_equal(run(9, &f, &p), DECODE_MALFORMED);
    put8(&f, 0x00);
    assert_int_equal(run(9, &f, &p), DECODE_MALFORMED);
    f.n = 0;
    put8(&f, 0xff);
    put8(&f, 0x03);
    assert_int_equal(run(50, &f, &p), DECODE_MALFORMED);
    f.n = 1;
    assert_int_equal(run(204, &f, &p), DECODE_MALFORMED);
}

/* Bytes of mercury/tls_sgt.pcap: version 1, one option word (SGT option
 * 0x0001, SGT 2), then the real ethertype. */
static void test_cisco_metadata(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x8909);
    put8(&f, 0x01);
    put8(&f, 0x01);
    put16(&f, 0x0001);
    put16(&f, 0x0002);
    put16(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 8);

    /* behind a VLAN tag too */
    f.n = 0;
    eth(&f, 0x8100);
    put16(&f, 42);
    put16(&f, 0x8909);
    put8(&f, 0x01);
    put8(&f, 0x01);
    put16(&f, 0x0001);
    put16(&f, 0x0002);
    put16(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 18 + 8);
    assert_int_equal(p.n_vlan, 1);
    assert_int_equal(p.vlan[0], 42);
    /* an option length running past the frame */
    f.b[18 + 1] = 0xff;
    assert_int_equal(run(1, &f, &p), DECODE_MALFORMED);
}

static void test_mpls(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x8847);
    put32(&f, (1000u << 12) | 64);          /* label 1000, not bottom */
    put32(&f, (2000u << 12) | 0x100 | 64);  /* label 2000, bottom */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 8);

    f.n = 0;
    eth(&f, 0x8848);
    put32(&f, (16u << 12) | 0x100 | 64);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 14 + 4, 0);

    /* Ethernet pseudowire with a control word */
    f.n = 0;
    eth(&f, 0x8847);
    put32(&f, (16u << 12) | 0x100 | 64);
    put32(&f, 0);
    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 8 + 14);

    /* a stack that never reaches its bottom */
    f.n = 0;
    eth(&f, 0x8847);
    for (int i = 0; i < 17; i++)
        put32(&f, (16u << 12) | 64);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_MALFORMED);
}

static void test_ip_in_ip(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    /* 6in4 (ndpi/6in4tunnel.pcap) */
    eth(&f, 0x0800);
    outer_ipv4(&f, 41, 40 + TCP_LEN);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 14 + 20, 0);

    /* 4in6 (ndpi/4in6tunnel.pcap): no byte of the outer IPv6 address may
     * be left behind the inner IPv4 one */
    f.n = 0;
    eth(&f, 0x86dd);
    ipv6(&f, 4, INNER4_LEN);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 40);

    /* 4in4 */
    f.n = 0;
    eth(&f, 0x0800);
    outer_ipv4(&f, 4, INNER4_LEN);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20);

    /* the inner header says IPv6 where IPv4 was announced */
    f.b[14 + 20] = 0x65;
    assert_int_equal(run(1, &f, &p), DECODE_MALFORMED);
}

/* Four tunnels deep is followed; a fifth is not. */
static void test_tunnel_depth(void **state)
{
    (void)state;
    struct frame f;
    struct packet p;

    for (int tunnels = 4; tunnels <= 5; tunnels++) {
        f.n = 0;
        eth(&f, 0x0800);
        for (int i = 0; i < tunnels; i++)
            outer_ipv4(&f, 4, (uint16_t)((tunnels - i - 1) * 20 + INNER4_LEN));
        ipv4(&f, 6, TCP_LEN, 1, 0);
        tcp(&f);
        if (tunnels == 4) {
            assert_int_equal(run(1, &f, &p), DECODE_OK);
            check_v4_tcp(&p, &f, 14 + 20 * (size_t)tunnels);
        } else {
            assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
        }
    }
}

/* Ethernet frames whose type says Ethernet again (0x6558, the bridging
 * type) are tunnels too: four are followed, a fifth is not, and 18 000 of
 * them (the decoder once recursed through all of them) are ignored and
 * counted after a bounded number of layers. */
static void test_ethernet_in_ethernet(void **state)
{
    (void)state;
    struct packet p;
    const size_t deep = 18000;
    uint8_t *b = test_malloc(deep * 14 + sizeof(struct frame));

    for (size_t nested = 4; nested <= 5; nested++) {
        struct frame f = {.n = 0};
        for (size_t i = 0; i < nested; i++)
            eth(&f, 0x6558);
        eth(&f, 0x0800);
        ipv4(&f, 6, TCP_LEN, 1, 0);
        tcp(&f);
        uint64_t before = dec.stats.too_deep;
        if (nested == 4) {
            assert_int_equal(run(1, &f, &p), DECODE_OK);
            check_v4_tcp(&p, &f, 14 * (nested + 1));
            assert_int_equal(dec.stats.too_deep, before);
        } else {
            assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
            assert_int_equal(dec.stats.too_deep, before + 1);
        }
    }

    /* 18 000 layers with a TCP packet at the bottom. */
    struct frame inner = {.n = 0};
    eth(&inner, 0x0800);
    ipv4(&inner, 6, TCP_LEN, 1, 0);
    tcp(&inner);
    size_t n = 0;
    for (size_t i = 0; i < deep; i++) {
        memset(b + n, 0x02, 12);
        b[n + 12] = 0x65;
        b[n + 13] = 0x58;
        n += 14;
    }
    memcpy(b + n, inner.b, inner.n);
    n += inner.n;
    uint64_t before = dec.stats.too_deep;
    assert_int_equal(decode_packet(&dec, 1, b, (uint32_t)n, (uint32_t)n, 1, &p),
                     DECODE_IGNORED);
    assert_int_equal(dec.stats.too_deep, before + 1);
    assert_true(dec.layers <= 32);
    test_free(b);
}

static void test_gre(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    /* key and sequence present */
    eth(&f, 0x0800);
    outer_ipv4(&f, 47, 12 + INNER4_LEN);
    put16(&f, 0x3000);
    put16(&f, 0x0800);
    put32(&f, 0xdeadbeef);
    put32(&f, 7);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 12);

    /* transparent Ethernet bridging, with a checksum word */
    f.n = 0;
    eth(&f, 0x0800);
    outer_ipv4(&f, 47, 8 + 14 + INNER4_LEN);
    put16(&f, 0x8000);
    put16(&f, 0x6558);
    put32(&f, 0);
    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 8 + 14);

    /* IPv6 over GRE over IPv6 */
    f.n = 0;
    eth(&f, 0x86dd);
    ipv6(&f, 47, 4 + 40 + TCP_LEN);
    put16(&f, 0x0000);
    put16(&f, 0x86dd);
    ipv6(&f, 6, TCP_LEN);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v6_tcp(&p, &f, 14 + 40 + 4, 0);

    /* version 1 (PPTP) is not followed */
    f.b[14 + 40 + 1] = 0x01;
    assert_int_equal(run(1, &f, &p), DECODE_IGNORED);
    /* optional words announced but cut off */
    f.n = 0;
    eth(&f, 0x0800);
    outer_ipv4(&f, 47, 8);
    put16(&f, 0xb000);
    put16(&f, 0x0800);
    put32(&f, 1);
    assert_int_equal(run(1, &f, &p), DECODE_MALFORMED);
}

static void test_vxlan(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x0800);
    outer_ipv4(&f, 17, 8 + 8 + 18 + INNER4_LEN);
    outer_udp(&f, 4789, 8 + 18 + INNER4_LEN);
    put32(&f, 0x08000000);
    put32(&f, 1111u << 8);
    eth(&f, 0x8100);
    put16(&f, 5);
    put16(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 8 + 8 + 18);
    assert_int_equal(p.n_vlan, 1);
    assert_int_equal(p.vlan[0], 5);

    /* not VXLAN after all (I flag clear): the UDP packet it was */
    f.b[14 + 20 + 8] = 0x00;
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 17);
    assert_memory_equal(p.src, OUTER4_SRC, 4);
    assert_int_equal(p.dport, 4789);
    assert_int_equal(p.payload_len, 8 + 18 + INNER4_LEN);

    /* cut everywhere: never a read past the cut, and an inner packet only
     * with its own addresses */
    f.b[14 + 20 + 8] = 0x08;
    for (size_t cut = 0; cut < f.n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        enum decode_status st;

        memcpy(copy, f.b, cut);
        st = decode_packet(&dec, 1, copy, (uint32_t)cut, (uint32_t)f.n, 0, &p);
        assert_true(st == DECODE_OK || st == DECODE_MALFORMED);
        if (st == DECODE_OK && p.ip_proto == 6)
            assert_memory_equal(p.src, SRC4, 4);
        if (st == DECODE_OK && p.payload_len)
            assert_true(p.payload + p.payload_len <= copy + cut);
        free(copy);
    }
}

static void test_gtp_u(void **state)
{
    (void)state;
    struct frame f = {.n = 0};
    struct packet p;

    /* plain G-PDU */
    eth(&f, 0x0800);
    outer_ipv4(&f, 17, 8 + 8 + INNER4_LEN);
    outer_udp(&f, 2152, 8 + INNER4_LEN);
    put8(&f, 0x30);
    put8(&f, 0xff);
    put16(&f, INNER4_LEN);
    put32(&f, 0x0badcafe);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 8 + 8);

    /* sequence number and one extension header (PDU session container) */
    f.n = 0;
    eth(&f, 0x0800);
    outer_ipv4(&f, 17, 8 + 16 + INNER4_LEN);
    outer_udp(&f, 2152, 16 + INNER4_LEN);
    put8(&f, 0x36);
    put8(&f, 0xff);
    put16(&f, 8 + INNER4_LEN);
    put32(&f, 1);
    put16(&f, 77);  /* sequence */
    put8(&f, 0);    /* N-PDU */
    put8(&f, 0x85); /* next: PDU session container */
    put8(&f, 1);    /* one 4-byte unit */
    put16(&f, 0x0001);
    put8(&f, 0);    /* no more */
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 8 + 16);

    /* an extension of length 0 would never advance */
    f.b[14 + 20 + 8 + 12] = 0;
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 17); /* left as the UDP packet */
}

/* ndpi/capwap_data.pcapng: an 802.11 data frame with the frame control
 * bytes swapped, as Cisco access points send it, then LLC/SNAP. */
static void test_capwap(void **state)
{
    (void)state;
    static const uint8_t capwap_hdr[16] = {0x00, 0x20, 0x03, 0x20, 0, 0, 0, 0,
                                           0x04, 0xbf, 0x23, 0,    0, 0, 0, 0};
    static const uint8_t llc[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
    struct frame f = {.n = 0};
    struct packet p;

    eth(&f, 0x0800);
    outer_ipv4(&f, 17, 8 + 16 + 24 + 8 + INNER4_LEN);
    outer_udp(&f, 5247, 16 + 24 + 8 + INNER4_LEN);
    putmem(&f, capwap_hdr, 16);
    put8(&f, 0x11); /* flags: to-DS, power management */
    put8(&f, 0x08); /* data */
    putmem(&f, ZERO12, 12);
    putmem(&f, ZERO12, 10);
    putmem(&f, llc, 8);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 8 + 16 + 24 + 8);

    /* a protected frame is opaque: the UDP packet stays */
    f.b[14 + 20 + 8 + 16] = 0x51;
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 17);

    /* 802.3 payload (T clear) */
    f.n = 0;
    eth(&f, 0x0800);
    outer_ipv4(&f, 17, 8 + 8 + 14 + INNER4_LEN);
    outer_udp(&f, 5247, 8 + 14 + INNER4_LEN);
    put32(&f, 0x00100000); /* HLEN 2 words, T clear */
    put32(&f, 0);
    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 1, 0);
    tcp(&f);
    assert_int_equal(run(1, &f, &p), DECODE_OK);
    check_v4_tcp(&p, &f, 14 + 20 + 8 + 8 + 14);
}

/* A reassembled outer datagram whose tunnelled packet is itself a fragment:
 * the inner fragment cannot be held (the reassembly buffer is in use), so it
 * is ignored, never read from a freed buffer. */
static void test_tunnel_fragments(void **state)
{
    (void)state;
    struct frame f1 = {.n = 0}, f2 = {.n = 0};
    struct frame inner = {.n = 0};
    struct packet p;

    /* inner: an IPv4 first fragment of a TCP datagram */
    ipv4(&inner, 6, TCP_LEN, 5, 0x2000);
    tcp(&inner);
    /* outer: 4in4, split in two fragments of 32 and the rest */
    eth(&f1, 0x0800);
    put8(&f1, 0x45);
    put8(&f1, 0);
    put16(&f1, 20 + 32);
    put16(&f1, 99);
    put16(&f1, 0x2000);
    put8(&f1, 64);
    put8(&f1, 4);
    put16(&f1, 0);
    putmem(&f1, OUTER4_SRC, 4);
    putmem(&f1, OUTER4_DST, 4);
    putmem(&f1, inner.b, 32);
    eth(&f2, 0x0800);
    put8(&f2, 0x45);
    put8(&f2, 0);
    put16(&f2, (uint16_t)(20 + inner.n - 32));
    put16(&f2, 99);
    put16(&f2, 4);
    put8(&f2, 64);
    put8(&f2, 4);
    put16(&f2, 0);
    putmem(&f2, OUTER4_SRC, 4);
    putmem(&f2, OUTER4_DST, 4);
    putmem(&f2, inner.b + 32, inner.n - 32);
    assert_int_equal(run(1, &f1, &p), DECODE_HELD);
    assert_int_equal(run(1, &f2, &p), DECODE_IGNORED);

    /* the same inner packet whole: followed through the reassembly */
    inner.b[6] = 0;
    f1.b[14 + 20 + 6] = 0;
    assert_int_equal(run(1, &f1, &p), DECODE_HELD);
    assert_int_equal(run(1, &f2, &p), DECODE_OK);
    assert_int_equal(p.ip_proto, 6);
    assert_memory_equal(p.src, SRC4, 4);
    assert_int_equal(p.dport, 443);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ethernet_tcp_options, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ethernet_udp_padding, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vlan_stacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sll2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_both_orders, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_ext_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_fragments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_validation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_validation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_icmp_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored, setup, teardown),
        cmocka_unit_test(test_linktype_supported),
        cmocka_unit_test_setup_teardown(test_snaplen_truncation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_truncated_every_byte, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_padding_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pppoe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ppp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cisco_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mpls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_in_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tunnel_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ethernet_in_ethernet, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gre, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vxlan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gtp_u, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capwap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tunnel_fragments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_reassembly, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
