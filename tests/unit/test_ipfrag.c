/* test_ipfrag.c — IPv4 reassembly: in order, reversed, overlapping (the
 * first copy of a byte wins), duplicated, contradicting itself, timing out
 * in packet time and evicted by the memory cap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "analyzer/ipfrag.h"

#define TIMEOUT_US 30000000ull

struct pkt {
    uint8_t b[2048];
    uint32_t n;
};

static const uint8_t SRC[4] = {10, 0, 0, 1};
static const uint8_t DST[4] = {10, 0, 0, 2};

/* One fragment: 20-byte header (plus `opt_len` option bytes), then data. */
static void frag_opts(struct pkt *p, uint16_t id, uint8_t proto,
                      uint16_t off_units, bool more, const uint8_t *data,
                      uint32_t n, uint32_t opt_len)
{
    uint32_t hl = 20 + opt_len, total = hl + n;
    uint16_t fo = (uint16_t)((more ? 0x2000 : 0) | off_units);

    memset(p->b, 0, hl);
    p->b[0] = (uint8_t)(0x40 | (hl / 4));
    p->b[2] = (uint8_t)(total >> 8);
    p->b[3] = (uint8_t)total;
    p->b[4] = (uint8_t)(id >> 8);
    p->b[5] = (uint8_t)id;
    p->b[6] = (uint8_t)(fo >> 8);
    p->b[7] = (uint8_t)fo;
    p->b[8] = 64;
    p->b[9] = proto;
    memcpy(p->b + 12, SRC, 4);
    memcpy(p->b + 16, DST, 4);
    memset(p->b + 20, 0x01, opt_len); /* NOPs */
    memcpy(p->b + hl, data, n);
    p->n = total;
}

static void frag(struct pkt *p, uint16_t id, uint16_t off_units, bool more,
                 const uint8_t *data, uint32_t n)
{
    frag_opts(p, id, 17, off_units, more, data, n, 0);
}

static uint8_t payload[1024];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 1024; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    return 0;
}

static int offer(struct ipfrag_table *t, const struct pkt *p, uint64_t ts,
                 const uint8_t **d, uint32_t *dl)
{
    return ipfrag_offer(t, p->b, p->n, ts, d, dl);
}

static void check_header(const uint8_t *d, uint32_t len, uint16_t id)
{
    assert_int_equal(d[0], 0x45);
    assert_int_equal((d[2] << 8) | d[3], len);
    assert_int_equal((d[4] << 8) | d[5], id);
    assert_int_equal(d[6] & 0x3f, 0); /* MF and offset cleared */
    assert_int_equal(d[7], 0);
    assert_int_equal(d[9], 17);
    assert_memory_equal(d + 12, SRC, 4);
    assert_memory_equal(d + 16, DST, 4);
}

static void test_in_order(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d = NULL;
    uint32_t dl = 0;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    frag(&p, 5, 0, true, payload, 16);
    assert_int_equal(offer(&t, &p, 100, &d, &dl), 0);
    assert_null(d);
    assert_int_equal(t.n_datagrams, 1);
    assert_true(t.bytes_held > 0);
    frag(&p, 5, 2, true, payload + 16, 8);
    assert_int_equal(offer(&t, &p, 101, &d, &dl), 0);
    frag(&p, 5, 3, false, payload + 24, 5);
    assert_int_equal(offer(&t, &p, 102, &d, &dl), 1);
    assert_int_equal(dl, 20 + 29);
    assert_ptr_equal(d, t.done);
    assert_int_equal(t.done_len, dl);
    check_header(d, dl, 5);
    assert_memory_equal(d + 20, payload, 29);
    assert_int_equal(t.n_datagrams, 0);
    assert_int_equal(t.bytes_held, 0);
    assert_int_equal(t.dropped, 0);

    /* the result lives until the next call */
    frag(&p, 6, 0, true, payload, 8);
    assert_int_equal(offer(&t, &p, 103, &d, &dl), 0);
    assert_null(t.done);
    assert_int_equal(t.done_len, 0);
    ipfrag_free(&t);
    assert_int_equal(t.n_datagrams, 0);
    assert_null(t.head);
}

static void test_reverse_order(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    for (int i = 9; i >= 1; i--) {
        frag(&p, 9, (uint16_t)(i * 3), i != 9, payload + i * 24, 24);
        assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    }
    frag(&p, 9, 0, true, payload, 24);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    assert_int_equal(dl, 20 + 240);
    check_header(d, dl, 9);
    assert_memory_equal(d + 20, payload, 240);
    ipfrag_free(&t);
}

static void test_overlap_first_wins(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;
    uint8_t a[32], b[32], c[32], want[48];

    memset(a, 'A', sizeof(a));
    memset(b, 'B', sizeof(b));
    memset(c, 'C', sizeof(c));

    /* A = [0,16), then B = [8,24) last: B only fills [16,24) */
    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    frag(&p, 1, 0, true, a, 16);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 1, 1, false, b, 16);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    assert_int_equal(dl, 44);
    memset(want, 'A', 16);
    memset(want + 16, 'B', 8);
    assert_memory_equal(d + 20, want, 24);

    /* the same two, B first: now A only fills [0,8) */
    frag(&p, 2, 1, false, b, 16);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 2, 0, true, a, 16);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    memset(want, 'A', 8);
    memset(want + 8, 'B', 16);
    assert_memory_equal(d + 20, want, 24);

    /* [0,8)=A, [16,24)=B and the last [32,40)=A held, then C = [0,32)
     * fills only the holes [8,16) and [24,32) */
    frag(&p, 3, 0, true, a, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 3, 2, true, b, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 3, 4, false, a, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 3, 0, true, c, 32);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    assert_int_equal(dl, 60);
    memset(want, 'A', 8);
    memset(want + 8, 'C', 8);
    memset(want + 16, 'B', 8);
    memset(want + 24, 'C', 8);
    memset(want + 32, 'A', 8);
    assert_memory_equal(d + 20, want, 40);

    /* a fragment wholly inside received data changes nothing */
    frag(&p, 4, 0, true, a, 24);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 4, 1, true, c, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 4, 3, false, b, 4);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    memset(want, 'A', 24);
    memset(want + 24, 'B', 4);
    assert_memory_equal(d + 20, want, 28);
    assert_int_equal(t.dropped, 0);
    ipfrag_free(&t);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    frag(&p, 7, 0, true, payload, 16);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    assert_int_equal(offer(&t, &p, 2, &d, &dl), 0);
    frag(&p, 7, 4, false, payload + 32, 8); /* leaves a hole [16,32) */
    assert_int_equal(offer(&t, &p, 3, &d, &dl), 0);
    assert_int_equal(offer(&t, &p, 4, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 1);
    frag(&p, 7, 2, true, payload + 16, 16);
    assert_int_equal(offer(&t, &p, 5, &d, &dl), 1);
    assert_int_equal(dl, 60);
    assert_memory_equal(d + 20, payload, 40);
    /* the datagram is gone: the same fragment again starts afresh */
    assert_int_equal(offer(&t, &p, 6, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 1);
    assert_int_equal(t.dropped, 0);
    ipfrag_free(&t);
}

static void test_keys_and_first_header(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    /* same id, different protocol: two datagrams */
    frag_opts(&p, 11, 6, 0, true, payload, 8, 4);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 11, 1, false, payload + 8, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 2);
    /* the TCP one completes with its first fragment's 24-byte header */
    frag_opts(&p, 11, 6, 1, false, payload + 8, 8, 0);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    assert_int_equal(dl, 24 + 16);
    assert_int_equal(d[0], 0x46);
    assert_int_equal(d[9], 6);
    assert_int_equal((d[2] << 8) | d[3], 40);
    assert_memory_equal(d + 20, "\x01\x01\x01\x01", 4);
    assert_memory_equal(d + 24, payload, 16);
    assert_int_equal(t.n_datagrams, 1);

    /* not a fragment at all: handed straight back */
    frag(&p, 12, 0, false, payload, 10);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 1);
    assert_ptr_equal(d, p.b);
    assert_int_equal(dl, 30);
    ipfrag_free(&t);
}

static void test_timeout(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    frag(&p, 20, 0, true, payload, 8); /* never completed */
    assert_int_equal(offer(&t, &p, 1000, &d, &dl), 0);

    /* exactly the timeout later: still alive */
    frag(&p, 21, 0, true, payload, 8);
    assert_int_equal(offer(&t, &p, 1000 + TIMEOUT_US, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 2);
    assert_int_equal(t.dropped, 0);

    /* one microsecond more: datagram 20 goes, 21 stays */
    frag(&p, 22, 0, true, payload, 8);
    assert_int_equal(offer(&t, &p, 1001 + TIMEOUT_US, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 2);
    assert_int_equal(t.dropped, 1);

    /* the rest of 20 arrives too late and cannot complete it */
    frag(&p, 20, 1, false, payload + 8, 8);
    assert_int_equal(offer(&t, &p, 1002 + TIMEOUT_US, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 3);

    /* time is the newest timestamp seen, not the one in hand: a datagram
     * started by a stale packet is already older than the timeout */
    frag(&p, 23, 0, true, payload, 8);
    assert_int_equal(offer(&t, &p, 10, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 4);
    frag(&p, 24, 0, true, payload, 8);
    assert_int_equal(offer(&t, &p, 11, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 4); /* 23 went, 24 came */
    assert_int_equal(t.dropped, 2);

    frag(&p, 25, 0, true, payload, 8);
    assert_int_equal(offer(&t, &p, 3 * TIMEOUT_US, &d, &dl), 0);
    assert_int_equal(t.n_datagrams, 1); /* only 25 */
    assert_int_equal(t.dropped, 6);
    ipfrag_free(&t);
}

static void test_memcap_eviction(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;
    uint64_t one;

    /* measure what one held 64-byte fragment costs */
    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    frag(&p, 1, 0, true, payload, 64);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    one = t.bytes_held;
    ipfrag_free(&t);

    ipfrag_init(&t, 2 * one + one / 2, TIMEOUT_US);
    for (uint16_t id = 1; id <= 3; id++) {
        frag(&p, id, 0, true, payload, 64);
        assert_int_equal(offer(&t, &p, id, &d, &dl), 0);
        assert_true(t.bytes_held <= t.memcap);
    }
    /* the third pushed out the oldest */
    assert_int_equal(t.n_datagrams, 2);
    assert_int_equal(t.dropped, 1);
    assert_int_equal(t.bytes_held, 2 * one);

    /* datagram 3 still completes */
    frag(&p, 3, 8, false, payload + 64, 8);
    assert_int_equal(offer(&t, &p, 4, &d, &dl), 1);
    assert_int_equal(dl, 20 + 72);
    assert_memory_equal(d + 20, payload, 72);
    assert_int_equal(t.n_datagrams, 1);

    /* the tail of evicted datagram 1 starts anew and never completes */
    frag(&p, 1, 8, false, payload + 64, 8);
    assert_int_equal(offer(&t, &p, 5, &d, &dl), 0);
    assert_true(t.bytes_held <= t.memcap);

    /* one datagram bigger than the whole cap is dropped, not kept */
    frag(&p, 9, 0, true, payload, 1024);
    assert_int_equal(offer(&t, &p, 6, &d, &dl), 0);
    assert_true(t.bytes_held <= t.memcap);
    assert_int_equal(t.n_datagrams, 0);
    assert_int_equal(t.dropped, 4); /* 1, then 2, the restarted 1, and 9 */
    ipfrag_free(&t);
    assert_int_equal(t.bytes_held, 0);
}

static void test_inconsistent(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    /* two last fragments that disagree on the end */
    frag(&p, 30, 2, false, payload, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 30, 2, false, payload, 16);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    assert_int_equal(t.dropped, 1);
    assert_int_equal(t.n_datagrams, 0);

    /* a fragment past the known end */
    frag(&p, 31, 2, false, payload, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 31, 3, true, payload, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    assert_int_equal(t.dropped, 2);

    /* a last fragment ending before bytes already held */
    frag(&p, 32, 4, true, payload, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    frag(&p, 32, 1, false, payload, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    assert_int_equal(t.dropped, 3);
    assert_int_equal(t.n_datagrams, 0);
    ipfrag_free(&t);
}

static void test_malformed(void **state)
{
    (void)state;
    struct ipfrag_table t;
    struct pkt p;
    const uint8_t *d;
    uint32_t dl;

    ipfrag_init(&t, 1 << 20, TIMEOUT_US);
    frag(&p, 40, 0, true, payload, 12); /* MF with 12 bytes */
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    frag(&p, 40, 0, true, payload, 0); /* MF with nothing */
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    frag(&p, 40, 0x1fff, false, payload, 16); /* past 65535 */
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    frag(&p, 40, 0, true, payload, 16);
    assert_int_equal(ipfrag_offer(&t, p.b, p.n - 1, 1, &d, &dl), -1);
    assert_int_equal(ipfrag_offer(&t, p.b, 19, 1, &d, &dl), -1);
    assert_int_equal(ipfrag_offer(&t, p.b, 0, 1, &d, &dl), -1);
    assert_int_equal(ipfrag_offer(&t, NULL, 0, 1, &d, &dl), -1);
    p.b[0] = 0x65;
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    p.b[0] = 0x44;
    assert_int_equal(offer(&t, &p, 1, &d, &dl), -1);
    assert_int_equal(t.n_datagrams, 0);
    assert_int_equal(t.dropped, 0);

    /* the largest legal last fragment is accepted */
    frag(&p, 41, (65535 - 20 - 8) / 8, false, payload, 8);
    assert_int_equal(offer(&t, &p, 1, &d, &dl), 0);
    ipfrag_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reverse_order),
        cmocka_unit_test(test_overlap_first_wins),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_keys_and_first_header),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_memcap_eviction),
        cmocka_unit_test(test_inconsistent),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
