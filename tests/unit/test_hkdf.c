/* test_hkdf.c — HKDF and HKDF-Expand-Label on published vectors: RFC 5869
 * test case 1 (extract) and RFC 9001 Appendix A.1 (QUIC v1 Initial keys,
 * which exercise extract and expand-label with the "client in", "server
 * in", "quic key", "quic iv" and "quic hp" labels), plus the limits, an
 * output of two HMAC blocks, and the keyed HMAC contexts hkdf.c keeps per
 * thread: many keys in turn, two digests, two threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dissectors/digest.h"
#include "dissectors/hkdf.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (hex[0] && hex[1] && n < cap) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[HKDF_MAX_LEN];
    size_t n = unhex(want, w, sizeof w);
    assert_int_equal(n, len);
    assert_memory_equal(got, w, len);
}

static void test_rfc5869_case1_extract(void **state)
{
    (void)state;
    uint8_t ikm[22], salt[13], prk[HKDF_MAX_LEN];
    memset(ikm, 0x0b, sizeof ikm);
    for (size_t i = 0; i < sizeof salt; i++)
        salt[i] = (uint8_t)i;
    assert_true(hkdf_extract(digest_sha256(), salt, sizeof salt, ikm,
                             sizeof ikm, prk));
    assert_hex(prk, 32, "077709362c2e32df0ddc3f0dc47bba63"
                        "90b6c73bb50f9c3122ec844ad7c2b3e5");
}

/* RFC 9001 A.1: Destination Connection ID 0x8394c8f03e515708. */
static void test_rfc9001_initial_keys(void **state)
{
    (void)state;
    const EVP_MD *md = digest_sha256();
    uint8_t salt[20], dcid[8], initial[32], client[32], server[32], out[32];
    unhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", salt, sizeof salt);
    unhex("8394c8f03e515708", dcid, sizeof dcid);

    assert_true(hkdf_extract(md, salt, sizeof salt, dcid, sizeof dcid,
                             initial));
    assert_hex(initial, 32, "7db5df06e7a69e432496adedb0085192"
                            "3595221596ae2ae9fb8115c1e9ed0a44");
    assert_true(hkdf_expand_label(md, initial, 32, "client in", NULL, 0,
                                  client, 32));
    assert_hex(client, 32, "c00cf151ca5be075ed0ebfb5c80323c4"
                           "2d6b7db67881289af4008f1f6c357aea");
    assert_true(hkdf_expand_label(md, client, 32, "quic key", NULL, 0, out,
                                  16));
    assert_hex(out, 16, "1f369613dd76d5467730efcbe3b1a22d");
    assert_true(hkdf_expand_label(md, client, 32, "quic iv", NULL, 0, out,
                                  12));
    assert_hex(out, 12, "fa044b2f42a3fd3b46fb255c");
    assert_true(hkdf_expand_label(md, client, 32, "quic hp", NULL, 0, out,
                                  16));
    assert_hex(out, 16, "9f50449e04a0e810283a1e9933adedd2");

    assert_true(hkdf_expand_label(md, initial, 32, "server in", NULL, 0,
                                  server, 32));
    assert_hex(server, 32, "3c199828fd139efd216c155ad844cc81"
                           "fb82fa8d7446fa7d78be803acdda951b");
    assert_true(hkdf_expand_label(md, server, 32, "quic key", NULL, 0, out,
                                  16));
    assert_hex(out, 16, "cf3a5331653c364c88f0f379b6067e37");
    assert_true(hkdf_expand_label(md, server, 32, "quic iv", NULL, 0, out,
                                  12));
    assert_hex(out, 12, "0ac1493ca1905853b0bba03e");
    assert_true(hkdf_expand_label(md, server, 32, "quic hp", NULL, 0, out,
                                  16));
    assert_hex(out, 16, "c206b8d9b9f0f37644430b490eeaa314");
}

static void test_limits(void **state)
{
    (void)state;
    uint8_t secret[HKDF_MAX_LEN] = {0}, out[HKDF_MAX_LEN + 1];
    char long_label[256];
    memset(long_label, 'a', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    /* Longer than the buffer promises, a label over 255 bytes with its
     * prefix, a context length without a context, no digest. */
    assert_false(hkdf_expand_label(digest_sha256(), secret, 32, "key", NULL,
                                   0, out, HKDF_MAX_LEN + 1));
    assert_false(hkdf_expand_label(digest_sha256(), secret, 32, long_label,
                                   NULL, 0, out, 16));
    assert_false(hkdf_expand_label(digest_sha256(), secret, 32, "key", NULL,
                                   4, out, 16));
    assert_false(hkdf_expand_label(NULL, secret, 32, "key", NULL, 0, out,
                                   16));
    /* SHA-384 secrets are 48 bytes, the most the interface takes. */
    assert_true(hkdf_expand_label(digest_sha384(), secret, 48, "key", NULL,
                                  0, out, HKDF_MAX_LEN));
}

/* 48 bytes under SHA-256 are T(1) and half of T(2); the value is from
 * Python's hmac module, a separate implementation. */
static void test_two_blocks(void **state)
{
    (void)state;
    uint8_t secret[32], out[48];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)i;
    assert_true(hkdf_expand_label(digest_sha256(), secret, 32, "two blocks",
                                  NULL, 0, out, sizeof out));
    assert_hex(out, sizeof out,
               "0978a3493df546743acc4067f20fee96c533fcbb872c0f0161ddd8d07a26"
               "eac134361c022ca7aebaf60d39fda83df319");
}

enum { KEYS = 16 };

/* Expands KEYS secrets under both digests, in an order that makes each
 * key come back after more others than the thread keeps contexts for. */
static void derive_all(uint8_t out[2][KEYS][16], bool reversed)
{
    for (int r = 0; r < KEYS; r++) {
        int k = reversed ? KEYS - 1 - r : r;
        uint8_t secret[32];
        memset(secret, k + 1, sizeof secret);
        /* The same key under both digests: a context is its digest's. */
        assert_true(hkdf_expand_label(digest_sha256(), secret, 32, "key",
                                      NULL, 0, out[0][k], 16));
        assert_true(hkdf_expand_label(digest_sha384(), secret, 32, "key",
                                      NULL, 0, out[1][k], 16));
    }
}

static void test_contexts_kept_per_thread(void **state)
{
    (void)state;
    static uint8_t first[2][KEYS][16], again[2][KEYS][16];
    derive_all(first, false);
    derive_all(again, true);
    assert_memory_equal(first, again, sizeof first);
    for (int k = 1; k < KEYS; k++)
        assert_memory_not_equal(first[0][0], first[0][k], 16);
    assert_memory_not_equal(first[0][0], first[1][0], 16);
}

static void *derive_in_thread(void *out)
{
    derive_all(out, true);
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    static uint8_t mine[2][KEYS][16], theirs[2][KEYS][16];
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, derive_in_thread, theirs),
                     0);
    derive_all(mine, false);
    assert_int_equal(pthread_join(other, NULL), 0);
    assert_memory_equal(mine, theirs, sizeof mine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5869_case1_extract),
        cmocka_unit_test(test_rfc9001_initial_keys),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_two_blocks),
        cmocka_unit_test(test_contexts_kept_per_thread),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
