/* test_community_id.c — Community ID v1 against the vectors published with
 * its specification (corelight/community-id-spec, baseline/
 * baseline_deflt.json and baseline_seed1.json): TCP over IPv4 and IPv6,
 * UDP, both directions of each flow, seeds 0 and 1; a QUIC or DTLS
 * record's id is its UDP flow's; that anything but a
 * pair of same-family addresses gives no id; and that a record's event.id
 * is the same for the same flow and differs with its time, round, ends or
 * sensor. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "analyzer/community_id.h"

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof(e));
    if (inet_pton(AF_INET, ip, e.addr) == 1)
        e.ip_version = 4;
    else if (inet_pton(AF_INET6, ip, e.addr) == 1)
        e.ip_version = 6;
    e.port = port;
    return e;
}

struct vector {
    uint8_t proto;
    const char *saddr, *daddr;
    uint16_t sport, dport, seed;
    const char *id;
};

static const struct vector vectors[] = {
    {6, "128.232.110.120", "66.35.250.204", 34855, 80, 0,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {6, "66.35.250.204", "128.232.110.120", 80, 34855, 0,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
     63943, 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
     25, 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {17, "192.168.1.52", "8.8.8.8", 54585, 53, 0,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, 0,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7, 0,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {6, "128.232.110.120", "66.35.250.204", 34855, 80, 1,
     "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
     25, 63943, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, 1,
     "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
};

static void test_published_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        struct endpoint a = ep(v->saddr, v->sport), b = ep(v->daddr, v->dport);
        char id[COMMUNITY_ID_LEN];
        assert_true(community_id_v1(&a, &b, v->proto, v->seed, id,
                                    sizeof(id)));
        assert_string_equal(id, v->id);
    }
}

static void test_no_id_without_a_pair(void **state)
{
    (void)state;
    struct endpoint a = ep("10.0.0.1", 1), b = ep("::1", 2), none;
    memset(&none, 0, sizeof(none));
    char id[COMMUNITY_ID_LEN];
    assert_false(community_id_v1(&a, &b, 6, 0, id, sizeof(id)));
    assert_string_equal(id, "");
    assert_false(community_id_v1(&none, &none, 6, 0, id, sizeof(id)));
    assert_false(community_id_v1(&a, &a, 6, 0, id, 10)); /* no room */
}

static struct handshake rec;
static struct handshake_report rec_report;
/* The sensor event_id_of's records were seen by (the run's observer). */
static struct observer sensor;

static const char *event_id_of(const char *client, uint16_t cport,
                               uint64_t start, uint16_t round)
{
    static char out[16][24];
    static int k;
    memset(&rec, 0, sizeof(rec));
    handshake_attach_report(&rec, &rec_report);
    rec.client = ep(client, cport);
    rec.server = ep("192.0.2.5", 443);
    rec.flow_start_us = start;
    rec.round = round;
    rec.report->observer = sensor;
    community_id_compute(&rec, rec.report, 0);
    assert_int_equal(strlen(rec.report->event_id), 20);
    assert_true(strncmp(rec.report->community_id, "1:", 2) == 0);
    k = (k + 1) % 16;
    memcpy(out[k], rec.report->event_id, sizeof(out[k]));
    return out[k];
}

/* A record's id names its transport: QUIC and DTLS flows are UDP (17),
 * as Zeek and Suricata count them; the published UDP vector. */
static void test_record_transport(void **state)
{
    (void)state;
    static const enum hs_transport over_udp[] = {HS_OVER_QUIC, HS_OVER_DTLS};
    for (size_t i = 0; i < 2; i++) {
        memset(&rec, 0, sizeof(rec));
        handshake_attach_report(&rec, &rec_report);
        rec.client = ep("192.168.1.52", 54585);
        rec.server = ep("8.8.8.8", 53);
        rec.transport = over_udp[i];
        community_id_compute(&rec, rec.report, 0);
        assert_string_equal(rec.report->community_id,
                            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    }
    rec.transport = HS_OVER_TCP;
    community_id_compute(&rec, rec.report, 0);
    assert_string_not_equal(rec.report->community_id,
                            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
}

static void test_event_ids(void **state)
{
    (void)state;
    const char *base = event_id_of("10.0.0.9", 50000, 1700000000000000, 0);
    assert_string_equal(base, event_id_of("10.0.0.9", 50000,
                                          1700000000000000, 0));
    assert_string_not_equal(base, event_id_of("10.0.0.9", 50000,
                                              1700000000000001, 0));
    assert_string_not_equal(base, event_id_of("10.0.0.9", 50000,
                                              1700000000000000, 1));
    assert_string_not_equal(base, event_id_of("10.0.0.9", 50001,
                                              1700000000000000, 0));
    assert_string_not_equal(base, event_id_of("10.0.0.10", 50000,
                                              1700000000000000, 0));
    /* The same connection on two VLANs of one mirror port: two flows. */
    event_id_of("10.0.0.9", 50000, 1700000000000000, 0);
    rec.vlan[0] = 93;
    rec.n_vlan = 1;
    char untagged[24];
    memcpy(untagged, rec.report->event_id, sizeof(untagged));
    community_id_compute(&rec, rec.report, 0);
    assert_string_not_equal(untagged, rec.report->event_id);
    sensor = (struct observer){"sensor-a", "eth1"};
    const char *a = event_id_of("10.0.0.9", 50000, 1700000000000000, 0);
    sensor = (struct observer){"sensor-b", "eth1"};
    const char *b = event_id_of("10.0.0.9", 50000, 1700000000000000, 0);
    sensor = (struct observer){NULL, NULL};
    assert_string_not_equal(base, a);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_vectors),
        cmocka_unit_test(test_no_id_without_a_pair),
        cmocka_unit_test(test_record_transport),
        cmocka_unit_test(test_event_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
