/* test_flow.c — the flow table: symmetric lookup, VLAN separation, LRU
 * order, growth and removal, closed connections. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "analyzer/flow.h"
#include "common/memcap.h"

static struct packet make_packet(uint32_t src, uint16_t sport, uint32_t dst,
                                 uint16_t dport, uint16_t vlan)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.ip_version = 4;
    p.ip_proto = 6;
    memcpy(p.src, &src, 4);
    memcpy(p.dst, &dst, 4);
    p.sport = sport;
    p.dport = dport;
    if (vlan) {
        p.vlan[0] = vlan;
        p.n_vlan = 1;
    }
    return p;
}

static void drain(struct flow_table *t)
{
    struct flow *f;
    while ((f = flow_oldest(t)) != NULL)
        flow_remove(t, f);
    flow_table_free(t);
}

static void test_both_directions_find_one_flow(void **state)
{
    (void)state;
    struct flow_table t;
    assert_true(flow_table_init(&t, 4));
    struct packet a = make_packet(0x0100000a, 40000, 0x0200000a, 443, 0);
    struct packet b = make_packet(0x0200000a, 443, 0x0100000a, 40000, 0);
    int side = -1;
    assert_null(flow_lookup(&t, &a, &side, false));
    struct flow *f = flow_lookup(&t, &a, &side, true);
    assert_non_null(f);
    assert_int_equal(side, 0);
    assert_ptr_equal(flow_lookup(&t, &b, &side, false), f);
    assert_int_equal(side, 1);
    assert_ptr_equal(flow_lookup(&t, &a, &side, false), f);
    assert_int_equal(side, 0);
    assert_int_equal(t.live.count, 1);
    drain(&t);
}

static void test_vlan_and_ports_separate_flows(void **state)
{
    (void)state;
    struct flow_table t;
    assert_true(flow_table_init(&t, 4));
    struct packet a = make_packet(1, 1000, 2, 443, 0);
    struct packet v = make_packet(1, 1000, 2, 443, 100);
    struct packet swapped_ports = make_packet(1, 443, 2, 1000, 0);
    int side;
    struct flow *fa = flow_lookup(&t, &a, &side, true);
    struct flow *fv = flow_lookup(&t, &v, &side, true);
    struct flow *fs = flow_lookup(&t, &swapped_ports, &side, true);
    assert_non_null(fa);
    assert_non_null(fv);
    assert_non_null(fs);
    assert_ptr_not_equal(fa, fv);
    assert_ptr_not_equal(fa, fs);
    assert_int_equal(t.live.count, 3);
    assert_int_equal(fv->vlan[0], 100);
    drain(&t);
}

static void test_lru_order_follows_activity(void **state)
{
    (void)state;
    struct flow_table t;
    assert_true(flow_table_init(&t, 4));
    int side;
    struct packet p1 = make_packet(1, 1, 2, 443, 0);
    struct packet p2 = make_packet(1, 2, 2, 443, 0);
    struct packet p3 = make_packet(1, 3, 2, 443, 0);
    struct flow *f1 = flow_lookup(&t, &p1, &side, true);
    struct flow *f2 = flow_lookup(&t, &p2, &side, true);
    struct flow *f3 = flow_lookup(&t, &p3, &side, true);
    assert_ptr_equal(flow_oldest(&t), f1);
    flow_touch(&t, f1, 10);
    assert_ptr_equal(flow_oldest(&t), f2);
    flow_touch(&t, f1, 5); /* time going back does not rewind activity */
    assert_int_equal(f1->last_ts_us, 10);
    flow_remove(&t, f2);
    assert_ptr_equal(flow_oldest(&t), f3);
    flow_remove(&t, f3);
    assert_ptr_equal(flow_oldest(&t), f1);
    assert_int_equal(t.live.count, 1);
    drain(&t);
}

static void test_growth_keeps_every_flow_findable(void **state)
{
    (void)state;
    struct flow_table t;
    assert_true(flow_table_init(&t, 4)); /* 16 buckets: forces growth */
    int side;
    for (uint32_t i = 0; i < 5000; i++) {
        struct packet p = make_packet(i, (uint16_t)(i * 7), ~i, 443, 0);
        assert_non_null(flow_lookup(&t, &p, &side, true));
    }
    assert_int_equal(t.live.count, 5000);
    assert_true(t.live.mask + 1 >= 2048);
    for (uint32_t i = 0; i < 5000; i++) {
        struct packet r = make_packet(~i, 443, i, (uint16_t)(i * 7), 0);
        struct flow *f = flow_lookup(&t, &r, &side, false);
        assert_non_null(f);
        assert_int_equal(side, 1);
        assert_int_equal(f->id, i + 1);
    }
    drain(&t);
}

/* Entries and buckets are charged to the memcap as they come; making room
 * for a new entry or a larger bucket array asks the owner to reclaim first,
 * and what cannot be made room for is refused, never charged past it. */
static struct flow_table *reclaim_table;
static unsigned reclaimed;

static bool reclaim_oldest(void *ctx, uint64_t need)
{
    (void)ctx, (void)need;
    struct flow *old = flow_oldest(reclaim_table);
    if (!old)
        return false;
    flow_remove(reclaim_table, old);
    reclaimed++;
    return true;
}

static void test_memcap_charged(void **state)
{
    (void)state;
    struct flow_table t;
    struct memcap m = {0};
    assert_true(flow_table_init(&t, 4));
    flow_table_charge(&t, &m);
    uint64_t buckets = m.used;
    assert_true(buckets >= 16 * sizeof(struct flow *));
    int side;
    for (uint32_t i = 0; i < 100; i++) {
        struct packet p = make_packet(i, 1000, ~i, 443, 0);
        assert_non_null(flow_lookup(&t, &p, &side, true));
    }
    /* Each entry at its real cost, the grown buckets too. */
    assert_true(m.used >= 100 * (sizeof(struct flow) + 8) + 64 * sizeof(void *));
    /* A cap: the oldest flows make room for new ones. */
    m.limit = m.used;
    m.reclaim = reclaim_oldest;
    reclaim_table = &t;
    reclaimed = 0;
    for (uint32_t i = 100; i < 200; i++) {
        struct packet p = make_packet(i, 1000, ~i, 443, 0);
        assert_non_null(flow_lookup(&t, &p, &side, true));
        assert_true(m.used <= m.limit);
    }
    assert_int_equal(reclaimed, 100);
    assert_int_equal(t.live.count, 100);
    assert_true(m.peak <= m.limit);
    drain(&t);
    assert_int_equal(m.used, 0);
}

/* Closed connections' endpoints are charged, and a full cap refuses them
 * without ending any flow for their sake. */
static void test_closed_connections_charged(void **state)
{
    (void)state;
    struct flow_table t;
    struct memcap m = {0};
    assert_true(flow_table_init(&t, 4));
    flow_table_charge(&t, &m);
    m.reclaim = reclaim_oldest;
    reclaim_table = &t;
    reclaimed = 0;
    int side;
    struct packet a = make_packet(1, 1000, 2, 443, 0);
    struct flow *f = flow_lookup(&t, &a, &side, true);
    uint64_t before = m.used;
    assert_true(flow_closed_add(&t, f, 10));
    assert_true(m.used >= before + sizeof(struct closed_flow));
    flow_remove(&t, f);

    struct packet b = make_packet(3, 1000, 4, 443, 0);
    struct packet c = make_packet(5, 1000, 6, 443, 0);
    struct flow *g = flow_lookup(&t, &b, &side, true);
    struct flow *h = flow_lookup(&t, &c, &side, true);
    m.limit = m.used; /* full */
    assert_false(flow_closed_add(&t, g, 20));
    assert_int_equal(reclaimed, 0);
    assert_int_equal(t.live.count, 2);
    assert_ptr_equal(flow_lookup(&t, &c, &side, false), h);
    drain(&t);
    assert_int_equal(m.used, 0);
}

static void test_ipv6_addresses_compare_whole(void **state)
{
    (void)state;
    struct flow_table t;
    assert_true(flow_table_init(&t, 4));
    struct packet a = make_packet(0, 5000, 0, 443, 0);
    a.ip_version = 6;
    a.src[15] = 1;
    a.dst[15] = 2;
    struct packet b = a;
    b.src[0] = 0x20; /* differs only in the first byte */
    int side;
    struct flow *fa = flow_lookup(&t, &a, &side, true);
    struct flow *fb = flow_lookup(&t, &b, &side, true);
    assert_ptr_not_equal(fa, fb);
    struct packet v4 = a;
    v4.ip_version = 4;
    assert_null(flow_lookup(&t, &v4, &side, false));
    drain(&t);
}

/* A closed connection is found from either direction by its endpoints
 * only, ages out oldest first (a late packet makes it young again), and is
 * gone once forgotten or when the table is freed. */
static void test_closed_connections(void **state)
{
    (void)state;
    struct flow_table t;
    assert_true(flow_table_init(&t, 4));
    struct packet a = make_packet(0x0100000a, 40000, 0x0200000a, 443, 0);
    struct packet back = make_packet(0x0200000a, 443, 0x0100000a, 40000, 0);
    struct packet other_vlan = make_packet(0x0100000a, 40000, 0x0200000a,
                                           443, 7);
    int side;
    struct flow *f = flow_lookup(&t, &a, &side, true);
    assert_null(flow_closed_find(&t, &a));
    assert_true(flow_closed_add(&t, f, 100));
    flow_remove(&t, f);
    assert_int_equal(t.live.count, 0);
    assert_int_equal(t.closed.count, 1);
    struct closed_flow *c = flow_closed_find(&t, &back);
    assert_non_null(c);
    assert_ptr_equal(flow_closed_find(&t, &a), c);
    assert_null(flow_closed_find(&t, &other_vlan));

    /* Many more, to grow the buckets; the first stays findable. */
    for (uint16_t i = 0; i < 200; i++) {
        struct packet q = make_packet(0x0300000a, (uint16_t)(1000 + i),
                                      0x0200000a, 443, 0);
        struct flow *g = flow_lookup(&t, &q, &side, true);
        assert_true(flow_closed_add(&t, g, 200 + i));
        flow_remove(&t, g);
    }
    assert_int_equal(t.closed.count, 201);
    assert_ptr_equal(flow_closed_find(&t, &a), c);
    assert_ptr_equal(flow_closed_oldest(&t), c);
    flow_closed_touch(&t, c, 1000);
    assert_int_equal(c->last_ts_us, 1000);
    assert_true(flow_closed_oldest(&t) != c);
    assert_int_equal(flow_closed_oldest(&t)->last_ts_us, 200);
    flow_closed_forget(&t, c);
    assert_null(flow_closed_find(&t, &a));
    assert_int_equal(t.closed.count, 200);
    drain(&t); /* frees the rest */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_directions_find_one_flow),
        cmocka_unit_test(test_vlan_and_ports_separate_flows),
        cmocka_unit_test(test_lru_order_follows_activity),
        cmocka_unit_test(test_growth_keeps_every_flow_findable),
        cmocka_unit_test(test_ipv6_addresses_compare_whole),
        cmocka_unit_test(test_closed_connections),
        cmocka_unit_test(test_memcap_charged),
        cmocka_unit_test(test_closed_connections_charged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
