/* test_fingerprint.c — JA3, JA3S and JA4 on the published examples: the
 * JA3 README's example string, and FoxIO's JA4 example (a Chrome
 * ClientHello: t13d1516h2_8daaf6152771_e5627efa2ab1, whose raw form the JA4
 * README prints), with GREASE added where Chrome puts it; then the edge
 * cases of the specifications. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dissectors/fingerprint.h"

static struct handshake rec;
static struct handshake_report rec_report;

/* Puts suite i of a hand-built hello, past the record's room in a spill
 * as the session would give one. */
static void put_suite(struct client_hello *ch, size_t i, uint16_t suite)
{
    static uint16_t spill[HS_CIPHERS_SPILL / sizeof(uint16_t)];
    if (i < HS_CIPHERS_INLINE) {
        ch->ciphers.head[i] = suite;
    } else {
        ch->cipher_spill = spill;
        spill[i - HS_CIPHERS_INLINE] = suite;
    }
    ch->ciphers.n = (uint16_t)(i + 1);
}

/* Chrome's ClientHello of FoxIO's example, GREASE values included. */
static struct handshake *chrome(void)
{
    static const uint16_t ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303,
                                       0xc02b, 0xc02f, 0xc02c, 0xc030,
                                       0xcca9, 0xcca8, 0xc013, 0xc014,
                                       0x009c, 0x009d, 0x002f, 0x0035};
    static const uint16_t exts[] = {0x2a2a, 65281, 51, 45, 5, 17513, 13, 16,
                                    35, 27, 43, 0, 18, 10, 23, 11, 21,
                                    0x3a3a};
    static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                       0x0805, 0x0501, 0x0806, 0x0601};
    static const uint16_t groups[] = {0x5a5a, 29, 23, 24};
    memset(&rec, 0, sizeof(rec));
    handshake_attach_report(&rec, &rec_report);
    struct client_hello *ch = &rec.ch;
    ch->seen = true;
    ch->legacy_version = TLS_V_1_2;
    for (size_t i = 0; i < sizeof(ciphers) / 2; i++)
        ch->ciphers.head[ch->ciphers.n++] = ciphers[i];
    ch->ciphers.total = ch->ciphers.n;
    for (size_t i = 0; i < sizeof(exts) / 2; i++)
        ch->extensions.v[ch->extensions.n++] = exts[i];
    ch->extensions.total = ch->extensions.n;
    for (size_t i = 0; i < sizeof(sigalgs) / 2; i++)
        ch->sigalgs.v[ch->sigalgs.n++] = sigalgs[i];
    for (size_t i = 0; i < sizeof(groups) / 2; i++)
        ch->groups.v[ch->groups.n++] = groups[i];
    ch->point_formats.v[ch->point_formats.n++] = 0;
    ch->has_supported_versions = true;
    ch->versions.v[ch->versions.n++] = 0x1a1a;
    ch->versions.v[ch->versions.n++] = TLS_V_1_3;
    ch->versions.v[ch->versions.n++] = TLS_V_1_2;
    ch->has_sni = true;
    strcpy(ch->sni, "clientservices.googleapis.com");
    memcpy(ch->alpn_text, "h2\0http/1.1", sizeof "h2\0http/1.1");
    ch->alpn_at[1] = 3;
    ch->n_alpn = 2;
    ch->alpn_first_raw[0] = 'h';
    ch->alpn_first_raw[1] = '2';
    return &rec;
}

static void test_ja4_foxio_example(void **state)
{
    (void)state;
    struct handshake *h = chrome();
    fingerprint_compute(h, h->report);
    assert_string_equal(h->report->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_string_equal(
        fingerprint_ja4_r(h),
        "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,"
        "c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,"
        "002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601");
    /* The same hello's JA3, as tshark computes it. */
    assert_string_equal(h->report->ja3, "1c258ebef8eee2dfa3df6d8d07285af9");
    assert_string_equal(
        fingerprint_ja3_string(h),
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-"
        "156-157-47-53,65281-51-45-5-17513-13-16-35-27-43-0-18-10-23-11-21,"
        "29-23-24,0");
}

/* The JA3 README's example: TLS 1.0, no GREASE. */
static void test_ja3_readme_example(void **state)
{
    (void)state;
    static const uint16_t ciphers[] = {47, 53, 5, 10, 49161, 49162, 49171,
                                       49172, 50, 56, 19, 4};
    memset(&rec, 0, sizeof(rec));
    handshake_attach_report(&rec, &rec_report);
    struct client_hello *ch = &rec.ch;
    ch->seen = true;
    ch->legacy_version = TLS_V_1_0;
    for (size_t i = 0; i < sizeof(ciphers) / 2; i++)
        ch->ciphers.head[ch->ciphers.n++] = ciphers[i];
    ch->ciphers.total = ch->ciphers.n;
    ch->extensions.v[0] = 0;
    ch->extensions.v[1] = 10;
    ch->extensions.v[2] = 11;
    ch->extensions.n = ch->extensions.total = 3;
    ch->groups.v[0] = 23;
    ch->groups.v[1] = 24;
    ch->groups.v[2] = 25;
    ch->groups.n = 3;
    ch->point_formats.v[0] = 0;
    ch->point_formats.n = 1;
    fingerprint_compute(&rec, rec.report);
    assert_string_equal(fingerprint_ja3_string(&rec),
                        "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,"
                        "0-10-11,23-24-25,0");
    assert_string_equal(rec.report->ja3, "ada70206e40642a3e4461f35503241d5");
    /* JA4 of a TLS 1.0 hello with SNI's extension but no ALPN or sigalgs. */
    assert_string_equal(rec.report->ja4,
                        "t10d120300_d94e65cdb899_33a13ba74d1c");
}

static void test_ja3s(void **state)
{
    (void)state;
    memset(&rec, 0, sizeof(rec));
    handshake_attach_report(&rec, &rec_report);
    rec.sh.seen = true;
    rec.sh.legacy_version = TLS_V_1_2;
    rec.sh.cipher = 0xc02f;
    rec.sh.extensions.v[0] = 0xff01;
    rec.sh.extensions.v[1] = 0x000b;
    rec.sh.extensions.n = rec.sh.extensions.total = 2;
    fingerprint_compute(&rec, rec.report);
    assert_string_equal(fingerprint_ja3s_string(&rec), "771,49199,65281-11");
    assert_string_equal(rec.report->ja3, ""); /* no ClientHello */
    assert_null(fingerprint_ja3_string(&rec));
    assert_null(fingerprint_ja4_r(&rec));
}

static void test_ja4_edges(void **state)
{
    (void)state;
    /* No SNI extension: "i"; ALPN bytes that are not alphanumeric: the
     * first hex digit of the first byte, the last of the last. */
    struct handshake *h = chrome();
    h->ch.extensions.v[11] = 0x0a0a; /* SNI's slot becomes GREASE */
    h->ch.alpn_first_raw[0] = 0xab;
    h->ch.alpn_first_raw[1] = 0xcd;
    fingerprint_compute(h, h->report);
    assert_memory_equal(h->report->ja4, "t13i1515ad_", 11);
    /* A one-character ALPN value repeats it. */
    h = chrome();
    h->ch.alpn_first_raw[0] = h->ch.alpn_first_raw[1] = 'x';
    fingerprint_compute(h, h->report);
    assert_memory_equal(h->report->ja4, "t13d1516xx_", 11);
    /* No ALPN: "00"; no supported_versions: the legacy version. */
    h = chrome();
    h->ch.n_alpn = 0;
    h->ch.has_supported_versions = false;
    fingerprint_compute(h, h->report);
    assert_memory_equal(h->report->ja4, "t12d151600_", 11);
    /* No ciphers and no extensions: the hashes are twelve zeros. */
    memset(&rec, 0, sizeof(rec));
    handshake_attach_report(&rec, &rec_report);
    rec.ch.seen = true;
    rec.ch.legacy_version = TLS_V_1_2;
    fingerprint_compute(&rec, rec.report);
    assert_string_equal(rec.report->ja4,
                        "t12i000000_000000000000_000000000000");
    assert_string_equal(rec.report->ja3, "bddda940f9963577c41d7c28b1a5f65f");
    /* A hello too big for the record's arrays gets no fingerprint. */
    h = chrome();
    h->ch.ciphers.total = 300;
    fingerprint_compute(h, h->report);
    assert_string_equal(h->report->ja4, "");
    assert_string_equal(h->report->ja3, "");
    assert_null(fingerprint_ja4_r(h));
}

/* JA4_r lists the ciphers in ascending order: a short list (sorted by
 * insertion) and one past 64 (sorted by qsort), both offered backwards. */
static void test_ja4_r_sorted(void **state)
{
    (void)state;
    const size_t counts[] = {20, 100};
    for (size_t c = 0; c < 2; c++) {
        struct handshake *h = chrome();
        h->ch.ciphers.n = 0;
        for (size_t i = 0; i <= counts[c]; i++) /* the last a duplicate */
            put_suite(&h->ch, i, (uint16_t)(i < counts[c] ? 0x1100 - 3 * i
                                                          : 0x1100));
        h->ch.ciphers.total = h->ch.ciphers.n;
        fingerprint_compute(h, h->report);
        const char *r = fingerprint_ja4_r(h);
        assert_non_null(r);
        const char *p = strchr(r, '_');
        assert_non_null(p);
        size_t seen = 0;
        long last = -1;
        while (*p == '_' || *p == ',') {
            char *end;
            long v = strtol(p + 1, &end, 16);
            assert_true(v >= last);
            last = v;
            seen++;
            p = end;
            if (*p == '_')
                break;
        }
        assert_int_equal(seen, counts[c] + 1);
        assert_int_equal(last, 0x1100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ja4_foxio_example),
        cmocka_unit_test(test_ja3_readme_example),
        cmocka_unit_test(test_ja3s),
        cmocka_unit_test(test_ja4_edges),
        cmocka_unit_test(test_ja4_r_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
