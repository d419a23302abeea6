/* test_quic_budget.c — the per-server budget of new QUIC connections:
 * the burst, the refill in packet time (and time that runs backwards),
 * servers kept apart, and the fixed table where colliding servers share
 * a bucket instead of resetting one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/quic_budget.h"

#define SEC 1000000ull

static void server(uint8_t out[16], uint8_t last)
{
    memset(out, 0, 16);
    out[10] = out[11] = 0xff; /* IPv4 mapped, as decode gives it */
    out[12] = 192;
    out[13] = 0;
    out[14] = 2;
    out[15] = last;
}

static unsigned take_n(struct quic_budget *b, const uint8_t srv[16],
                       uint16_t port, uint64_t ts_us, unsigned n)
{
    unsigned granted = 0;
    for (unsigned i = 0; i < n; i++)
        granted += quic_budget_take(b, srv, port, ts_us);
    return granted;
}

static void test_burst_then_refill_in_packet_time(void **state)
{
    (void)state;
    uint8_t s[16];
    server(s, 1);
    struct quic_budget *b = quic_budget_new(10, 30);
    assert_non_null(b);
    uint64_t t0 = 1700000000ull * SEC;
    /* A full bucket: the burst, then nothing at the same instant. */
    assert_int_equal(take_n(b, s, 443, t0, 100), 30);
    /* A tenth of a second brings one token at 10 a second. */
    assert_int_equal(take_n(b, s, 443, t0 + SEC / 10 - 1, 5), 0);
    assert_int_equal(take_n(b, s, 443, t0 + SEC / 10, 5), 1);
    /* Half a second: five more. */
    assert_int_equal(take_n(b, s, 443, t0 + 6 * SEC / 10, 100), 5);
    /* Time going backwards refills nothing... */
    assert_int_equal(take_n(b, s, 443, t0, 100), 0);
    /* ...and an hour later the bucket is full again, never past the
     * burst. */
    assert_int_equal(take_n(b, s, 443, t0 + 3600 * SEC, 100), 30);
    quic_budget_free(b);
    /* Without a burst of its own, the bucket holds a second's worth. */
    b = quic_budget_new(7, 0);
    assert_int_equal(take_n(b, s, 443, t0, 100), 7);
    quic_budget_free(b);
    /* A rate of 0 is no limit: no table, every connection granted. */
    b = quic_budget_new(0, 5);
    assert_null(b);
    assert_int_equal(take_n(b, s, 443, t0, 100000), 100000);
}

/* Another server, or another port of the same one, has its own bucket;
 * but the table never grows: with more servers than buckets, two of them
 * share one, and the second finds it as the first left it (no reset by
 * collision), until packet time refills it. */
static void test_servers_in_a_fixed_table(void **state)
{
    (void)state;
    uint8_t a[16], c[16], other[16];
    server(a, 1);
    server(c, 2);
    struct quic_budget *apart = quic_budget_new(1, 3);
    assert_int_equal(take_n(apart, a, 443, SEC, 10), 3);
    assert_int_equal(take_n(apart, c, 443, SEC, 10), 3);
    assert_int_equal(take_n(apart, a, 8443, SEC, 10), 3);
    quic_budget_free(apart);

    size_t slot = quic_budget_slot(a, 443);
    bool found = false;
    uint16_t port = 0;
    for (unsigned p = 1; p <= 65535 && !found; p++) {
        server(other, 7);
        if (quic_budget_slot(other, (uint16_t)p) == slot) {
            port = (uint16_t)p;
            found = true;
        }
    }
    assert_true(found); /* 65535 ports over 4096 buckets */
    struct quic_budget *b = quic_budget_new(2, 4);
    assert_int_equal(take_n(b, a, 443, SEC, 10), 4);
    assert_int_equal(take_n(b, other, port, SEC, 10), 0);
    assert_int_equal(take_n(b, other, port, SEC + SEC / 2, 10), 1);
    /* Buckets are as many as the table has, whatever the servers. */
    unsigned granted = 0;
    for (unsigned i = 0; i < 3 * QUIC_BUDGET_SLOTS; i++) {
        uint8_t s[16];
        server(s, (uint8_t)i);
        granted += quic_budget_take(b, s, (uint16_t)(i >> 8), 2 * SEC);
    }
    assert_true(granted <= 4 * QUIC_BUDGET_SLOTS);
    quic_budget_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refill_in_packet_time),
        cmocka_unit_test(test_servers_in_a_fixed_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
