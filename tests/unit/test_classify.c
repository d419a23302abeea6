/* test_classify.c — nDPI's answer for a TLS flow from the server name
 * tlsmon read (classify_tls_by_name), without nDPI reading the hello: the
 * application its host list gives, its category, none of its readings; a
 * name of Tor's shape nDPI does not know is left to nDPI. And, against
 * nDPI itself, the answer for a QUIC Initial tlsmon could not open
 * (classify_quic_unopened) on the client Initials of captures/quic-*.pcap:
 * another nDPI that answers otherwise fails here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/classify.h"
#include "analyzer/decode.h"
#include "dissectors/quic.h"
#include "dissectors/tls.h"

static struct classifier *cls;

static int setup(void **state)
{
    (void)state;
    cls = classifier_new();
    return cls ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    classifier_free(cls);
    return 0;
}

/* The names of a flow's verdict, as a record gets them. */
struct names {
    char protocol[48], app[32], category[32];
};

static struct names names_of(const struct classify_state *st)
{
    struct names n;
    classify_names(cls, &st->result.verdict, n.protocol, sizeof n.protocol,
                   n.app, sizeof n.app, n.category, sizeof n.category);
    return n;
}

static void test_named_application(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    static const char name[] = "WWW.YouTube.com";
    static const uint8_t client[4] = {10, 0, 0, 1}, server[4] = {10, 0, 0, 2};
    assert_true(classify_tls_by_name(cls, &st, name, strlen(name), client,
                                     server));
    assert_true(st.done);
    assert_null(st.ndpi);
    struct names n = names_of(&st);
    assert_string_equal(n.protocol, "TLS.YouTube");
    assert_string_equal(n.app, "YouTube");
    assert_string_equal(n.category, "Media");
    assert_int_equal(st.result.risks, 0);
    assert_string_equal(st.result.server_name, "");
    assert_int_equal(st.result.tls_version, 0);
    /* Decided: a second call changes nothing. */
    assert_true(classify_tls_by_name(cls, &st, "x.test", 6, NULL, NULL));
    assert_string_equal(names_of(&st).protocol, "TLS.YouTube");
}

static void test_unknown_name_is_tls(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    assert_true(classify_tls_by_name(cls, &st, "server.test", 11, NULL, NULL));
    struct names n = names_of(&st);
    assert_string_equal(n.protocol, "TLS");
    assert_string_equal(n.app, "");
    assert_string_equal(n.category, "Web");
    /* Nothing concluded: no names at all. */
    memset(&st, 0, sizeof(st));
    n = names_of(&st);
    assert_string_equal(n.protocol, "");
    assert_string_equal(n.app, "");
    assert_string_equal(n.category, "");
}

static void test_tor_shaped_left_to_ndpi(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    assert_false(classify_tls_by_name(cls, &st, "www.q7zkx3vbn2.com", 18,
                                      NULL, NULL));
    assert_false(st.done);
    assert_null(st.ndpi);
    /* A known www.*.com name is not. */
    assert_true(classify_tls_by_name(cls, &st, "www.youtube.com", 15, NULL,
                                     NULL));
}

/* ---- QUIC Initials tlsmon could not open, against nDPI's own reading ---- */

static char captures_dir[4096];

/* One datagram as nDPI is given it. */
struct datagram {
    uint8_t l3[2048];
    uint32_t l3_len, payload_at;
    uint16_t sport, dport;
    uint64_t ts_us;
};

/* The first datagram of `file` that opens a QUIC client's connection. */
static void first_client_initial(const char *file, struct datagram *out)
{
    char path[4200], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof path, "%s/%s", captures_dir, file);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        fail_msg("%s: %s", path, err);
    struct decoder dec;
    decoder_init(&dec, 1 << 20);
    struct pcap_pkthdr *hdr;
    const u_char *frame;
    bool found = false;
    while (!found && pcap_next_ex(pc, &hdr, &frame) == 1) {
        struct packet pkt;
        uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000u +
                      (uint64_t)hdr->ts.tv_usec;
        if (decode_packet(&dec, pcap_datalink(pc), frame, hdr->caplen,
                          hdr->len, ts, &pkt) != DECODE_OK ||
            pkt.ip_proto != 17 || pkt.l3_len > sizeof out->l3 ||
            quic_sniff(pkt.payload, pkt.payload_len) != QUIC_SNIFF_CLIENT)
            continue;
        memcpy(out->l3, pkt.l3, pkt.l3_len);
        out->l3_len = pkt.l3_len;
        out->payload_at = (uint32_t)(pkt.payload - pkt.l3);
        out->sport = pkt.sport;
        out->dport = pkt.dport;
        out->ts_us = ts;
        found = true;
    }
    decoder_free(&dec);
    pcap_close(pc);
    if (!found)
        fail_msg("%s: no QUIC client Initial", file);
}

/* Does tlsmon's QUIC reader find the datagram's Initial unopened? */
static bool tlsmon_finds_unopened(const struct datagram *d)
{
    struct tls_session *tls = tls_session_new(NULL, 0);
    assert_non_null(tls);
    struct quic_conn *q = quic_conn_new(tls, 0, NULL);
    assert_non_null(q);
    quic_datagram(q, 0, d->l3 + d->payload_at, d->l3_len - d->payload_at, 0,
                  d->ts_us);
    bool unopened = quic_lead_initial_unopened(q);
    quic_conn_free(q);
    tls_session_free(tls);
    return unopened;
}

static void set_ports(struct datagram *d, uint16_t sport, uint16_t dport)
{
    uint8_t *udp = d->l3 + d->payload_at - 8;
    udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
    d->sport = sport;
    d->dport = dport;
}

/* The same UDP datagram from an IPv6 client to an IPv6 server. */
static void to_ipv6(struct datagram *d, const uint8_t server[16])
{
    uint32_t udp_len = d->l3_len - d->payload_at + 8;
    uint8_t l3[sizeof d->l3];
    assert_true(40 + udp_len <= sizeof l3);
    memset(l3, 0, 40);
    l3[0] = 0x60;
    l3[4] = (uint8_t)(udp_len >> 8), l3[5] = (uint8_t)udp_len;
    l3[6] = 17;
    l3[7] = 64;
    static const uint8_t client[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    memcpy(l3 + 8, client, 16);
    memcpy(l3 + 24, server, 16);
    memcpy(l3 + 40, d->l3 + d->payload_at - 8, udp_len);
    memcpy(d->l3, l3, 40 + udp_len);
    d->l3_len = 40 + udp_len;
    d->payload_at = 48;
}

/* nDPI reading the datagram and the shortcut must leave the same state. */
static void assert_same_answer(const struct datagram *d, bool taken)
{
    struct classify_state by_ndpi, by_tlsmon;
    memset(&by_ndpi, 0, sizeof by_ndpi);
    memset(&by_tlsmon, 0, sizeof by_tlsmon);
    classify_packet(cls, &by_ndpi, d->l3, d->l3_len, d->ts_us);
    bool took = classify_quic_unopened(cls, &by_tlsmon, d->l3, d->l3_len,
                                       d->payload_at, d->sport, d->dport,
                                       d->ts_us);
    assert_int_equal(took, taken);
    if (!took)
        classify_packet(cls, &by_tlsmon, d->l3, d->l3_len, d->ts_us);
    /* After the datagram, and as the record would conclude. */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(by_tlsmon.done, by_ndpi.done);
        assert_int_equal(by_tlsmon.named, by_ndpi.named);
        assert_int_equal(by_tlsmon.packets, by_ndpi.packets);
        assert_int_equal(by_tlsmon.ndpi == NULL, by_ndpi.ndpi == NULL);
        const struct classify_result *a = &by_ndpi.result,
                                     *b = &by_tlsmon.result;
        assert_int_equal(b->verdict.stored, a->verdict.stored);
        assert_int_equal(b->verdict.master, a->verdict.master);
        assert_int_equal(b->verdict.app, a->verdict.app);
        assert_int_equal(b->verdict.category, a->verdict.category);
        assert_int_equal(b->risks, a->risks);
        assert_string_equal(b->server_name, a->server_name);
        assert_int_equal(b->tls_version, a->tls_version);
        classify_finish(cls, &by_ndpi);
        classify_finish(cls, &by_tlsmon);
    }
    struct names n = names_of(&by_ndpi);
    print_message("      %s:%u>%u: %s, %s\n", d->payload_at == 48 ? "v6" : "v4",
                  d->sport, d->dport, n.protocol, n.category);
}

static void test_quic_unopened_as_ndpi_reads_it(void **state)
{
    (void)state;
    static const char *const files[] = {
        "quic-v1.pcap",         "quic-0rtt.pcap",
        "quic-retry.pcap",      "quic-hello-two-initials.pcap",
        "quic-expired.pcap",    "quic-version-negotiation.pcap",
        "quic-no-server.pcap",  "quic-alpn-mismatch.pcap",
    };
    static const uint8_t google6[16] = {0x2a, 0x00, 0x14, 0x50, 0x40, 0x01,
                                        [15] = 1};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct datagram real;
        first_client_initial(files[i], &real);
        print_message("    %s\n", files[i]);
        /* tlsmon opens the real Initial: nDPI reads it itself. */
        assert_false(tlsmon_finds_unopened(&real));
        /* The same Initial with one byte of its ciphertext changed. */
        struct datagram d = real;
        d.l3[d.payload_at + 300] ^= 0x01;
        static const uint8_t v1[4] = {0, 0, 0, 1};
        if (memcmp(d.l3 + d.payload_at + 1, v1, 4) != 0) {
            /* Another version (the one a server refuses): not for the
             * shortcut, whatever tlsmon made of it. */
            assert_same_answer(&d, false);
            continue;
        }
        assert_true(tlsmon_finds_unopened(&d));
        assert_same_answer(&d, d.dport == 443 || d.sport == 443);
        /* To a server in nDPI's address list of Google's. */
        struct datagram g = d;
        static const uint8_t google4[4] = {142, 250, 185, 78};
        if ((g.l3[0] >> 4) == 4)
            memcpy(g.l3 + 16, google4, 4);
        assert_same_answer(&g, true);
        /* Ports nDPI knows for another protocol, or for none. */
        static const uint16_t ports[][2] = {
            {50000, 443}, {443, 50000}, {50000, 4433}, {50000, 53},
            {50000, 3478}, {50000, 80}, {1024, 8443}};
        for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
            struct datagram v = d;
            set_ports(&v, ports[p][0], ports[p][1]);
            bool quic_first = ports[p][0] == 443 || ports[p][1] == 443;
            assert_same_answer(&v, quic_first);
        }
        struct datagram v6 = d;
        set_ports(&v6, 50000, 443);
        to_ipv6(&v6, google6);
        assert_same_answer(&v6, true);
        /* Too short for nDPI to take it for an Initial. */
        struct datagram shortened = d;
        shortened.l3_len = shortened.payload_at + 1199;
        assert_same_answer(&shortened, false);
    }
}

/* A datagram of another version is not for the shortcut. */
static void test_quic_unopened_refuses_other_versions(void **state)
{
    (void)state;
    struct datagram d;
    first_client_initial("quic-v2.pcap", &d);
    struct classify_state st;
    memset(&st, 0, sizeof st);
    assert_false(classify_quic_unopened(cls, &st, d.l3, d.l3_len,
                                        d.payload_at, d.sport, d.dport,
                                        d.ts_us));
    assert_null(st.ndpi);
    assert_false(st.done);
}

int main(void)
{
    const char *root = getenv("TLSMON_SOURCE_ROOT");
    if (root) {
        snprintf(captures_dir, sizeof captures_dir, "%s/captures", root);
    } else {
        /* __FILE__ ends in tests/unit/test_classify.c. */
        snprintf(captures_dir, sizeof captures_dir, "%s", __FILE__);
        char *cut = strstr(captures_dir, "tests/unit/test_classify.c");
        if (cut)
            strcpy(cut, "captures");
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_application),
        cmocka_unit_test(test_unknown_name_is_tls),
        cmocka_unit_test(test_tor_shaped_left_to_ndpi),
        cmocka_unit_test(test_quic_unopened_as_ndpi_reads_it),
        cmocka_unit_test(test_quic_unopened_refuses_other_versions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
