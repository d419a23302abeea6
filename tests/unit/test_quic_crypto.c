/* test_quic_crypto.c — QUIC packet protection on the published vectors:
 * RFC 9001 Appendix A (v1: Initial keys, the client's and the server's
 * Initial packets opened, the ChaCha20-Poly1305 short-header packet) and
 * RFC 9369 Appendix A (the same for v2); the version table, long-header
 * type numbering and the AEAD refusing a damaged packet. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "dissectors/digest.h"
#include "dissectors/quic_crypto.h"
#include "quic_vectors.h"

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    static uint8_t w[2048];
    size_t n = unhex(want, w, sizeof w);
    assert_int_equal(n, len);
    assert_memory_equal(got, w, len);
}

static void keys_for(uint32_t version, struct quic_keys *c,
                     struct quic_keys *s)
{
    uint8_t dcid[8];
    unhex(RFC_DCID, dcid, sizeof dcid);
    assert_true(quic_initial_keys(quic_version_lookup(version), dcid,
                                  sizeof dcid, c, s));
}

static void test_v1_initial_keys(void **state)
{
    (void)state;
    struct quic_keys c, s;
    keys_for(QUIC_V1, &c, &s);
    assert_int_equal(c.aead, QUIC_AEAD_AES_128_GCM);
    assert_hex(c.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
    assert_hex(c.iv, 12, "fa044b2f42a3fd3b46fb255c");
    assert_hex(c.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
    assert_hex(s.key, 16, "cf3a5331653c364c88f0f379b6067e37");
    assert_hex(s.iv, 12, "0ac1493ca1905853b0bba03e");
    assert_hex(s.hp, 16, "c206b8d9b9f0f37644430b490eeaa314");
}

static void test_v2_initial_keys(void **state)
{
    (void)state;
    struct quic_keys c, s;
    keys_for(QUIC_V2, &c, &s);
    assert_hex(c.key, 16, "8b1a0bc121284290a29e0971b5cd045d");
    assert_hex(c.iv, 12, "91f73e2351d8fa91660e909f");
    assert_hex(c.hp, 16, "45b95e15235d6f45a6b19cbcb0294ba9");
    assert_hex(s.key, 16, "82db637861d55e1d011f19ea71d5d2a7");
    assert_hex(s.iv, 12, "dd13c276499c0249d3310652");
    assert_hex(s.hp, 16, "edf6d05c83121201b436e16877593c3a");
}

/* One side's keys alone (the other pointer NULL) are that side's keys of
 * both: quic.c derives a side's when it first sends. */
static void test_one_side_keys(void **state)
{
    (void)state;
    struct quic_keys c, s, only;
    uint8_t dcid[8];
    unhex(RFC_DCID, dcid, sizeof dcid);
    keys_for(QUIC_V1, &c, &s);
    const struct quic_version_info *v1 = quic_version_lookup(QUIC_V1);
    assert_true(quic_initial_keys(v1, dcid, sizeof dcid, &only, NULL));
    assert_memory_equal(&only, &c, sizeof only);
    assert_true(quic_initial_keys(v1, dcid, sizeof dcid, NULL, &only));
    assert_memory_equal(&only, &s, sizeof only);
}

/* Remove header protection and open a long-header packet whose packet
 * number starts at pn_offset, the way a receiver does (RFC 9001 §5.4). */
static size_t open_long(const struct quic_keys *k, uint8_t *pkt, size_t len,
                        size_t pn_offset, uint64_t *pn, uint8_t *out)
{
    uint8_t mask[5];
    assert_true(quic_hp_mask(k, pkt + pn_offset + 4, mask));
    pkt[0] ^= mask[0] & 0x0f;
    size_t pn_len = (pkt[0] & 3) + 1;
    *pn = 0;
    for (size_t i = 0; i < pn_len; i++) {
        pkt[pn_offset + i] ^= mask[1 + i];
        *pn = (*pn << 8) | pkt[pn_offset + i];
    }
    size_t hdr = pn_offset + pn_len;
    assert_true(quic_aead_open(k, *pn, pkt, hdr, pkt + hdr, len - hdr, out));
    return len - hdr - QUIC_TAG_LEN;
}

static void client_initial(uint32_t version, const char *packet_hex,
                           const char *crypto_hex, uint8_t first_byte)
{
    static uint8_t pkt[1200], plain[1200], crypto[300];
    struct quic_keys c, s;
    uint64_t pn;
    keys_for(version, &c, &s);
    assert_int_equal(unhex(packet_hex, pkt, sizeof pkt), 1200);
    /* first byte, version, DCID (1+8), SCID (1+0), token length (1),
     * length (2) */
    size_t n = open_long(&c, pkt, sizeof pkt, 18, &pn, plain);
    assert_int_equal(pkt[0], first_byte);
    assert_int_equal(pn, 2);
    assert_int_equal(n, 1162);
    size_t cl = unhex(crypto_hex, crypto, sizeof crypto);
    assert_memory_equal(plain, crypto, cl);
    for (size_t i = cl; i < n; i++)
        assert_int_equal(plain[i], 0); /* PADDING */
}

static void server_initial(uint32_t version, const char *packet_hex,
                           const char *payload_hex, uint8_t first_byte)
{
    static uint8_t pkt[200], plain[200];
    struct quic_keys c, s;
    uint64_t pn;
    keys_for(version, &c, &s);
    size_t len = unhex(packet_hex, pkt, sizeof pkt);
    assert_int_equal(len, 135);
    /* first byte, version, DCID (1+0), SCID (1+8), token (1), length (2) */
    size_t n = open_long(&s, pkt, len, 18, &pn, plain);
    assert_int_equal(pkt[0], first_byte);
    assert_int_equal(pn, 1);
    assert_hex(plain, n, payload_hex);
}

static void test_v1_client_initial(void **state)
{
    (void)state;
    client_initial(QUIC_V1, V1_CLIENT_PACKET, V1_CLIENT_CRYPTO, 0xc3);
}

static void test_v1_server_initial(void **state)
{
    (void)state;
    server_initial(QUIC_V1, V1_SERVER_PACKET, V1_SERVER_PAYLOAD, 0xc1);
}

static void test_v2_client_initial(void **state)
{
    (void)state;
    client_initial(QUIC_V2, V2_CLIENT_PACKET, V2_CLIENT_CRYPTO, 0xd3);
}

static void test_v2_server_initial(void **state)
{
    (void)state;
    server_initial(QUIC_V2, V2_SERVER_PACKET, V2_SERVER_PAYLOAD, 0xd1);
}

/* A.5 (v1) and RFC 9369 A.5 (v2): a server's 1-RTT packet carrying one
 * PING, under ChaCha20-Poly1305 keys from the same secret. */
static void chacha_short_header(bool v2, const char *key, const char *iv,
                                const char *hp, const char *mask_hex,
                                const char *packet_hex)
{
    uint8_t secret[32], pkt[21], mask[5], plain[8];
    struct quic_keys k;
    unhex("9ac312a7f877468ebe69422748ad00a1"
          "5443f18203a07d6060f688f30f21632b", secret, sizeof secret);
    assert_true(quic_keys_from_secret(&k, QUIC_AEAD_CHACHA20_POLY1305,
                                      digest_sha256(), secret, sizeof secret,
                                      v2));
    assert_hex(k.key, 32, key);
    assert_hex(k.iv, 12, iv);
    assert_hex(k.hp, 32, hp);
    assert_int_equal(unhex(packet_hex, pkt, sizeof pkt), 21);
    /* The sample starts 4 bytes after the packet number's first byte. */
    assert_true(quic_hp_mask(&k, pkt + 1 + 4, mask));
    assert_hex(mask, 5, mask_hex);
    pkt[0] ^= mask[0] & 0x1f;
    size_t pn_len = (pkt[0] & 3) + 1;
    assert_int_equal(pn_len, 3);
    for (size_t i = 0; i < pn_len; i++)
        pkt[1 + i] ^= mask[1 + i];
    assert_hex(pkt, 4, "4200bff4");
    /* 49140 (0xbff4) expands to 654360564 next to the largest seen. */
    assert_true(quic_aead_open(&k, 654360564, pkt, 4, pkt + 4, 17, plain));
    assert_int_equal(plain[0], 0x01);
    /* One bit off in the tag: refused. */
    pkt[20] ^= 1;
    assert_false(quic_aead_open(&k, 654360564, pkt, 4, pkt + 4, 17, plain));
}

static void test_v1_chacha20_short_header(void **state)
{
    (void)state;
    chacha_short_header(false,
                        "c6d98ff3441c3fe1b2182094f69caa2e"
                        "d4b716b65488960a7a984979fb23e1c8",
                        "e0459b3474bdd0e44a41c144",
                        "25a282b9e82f06f21f488917a4fc8f1b"
                        "73573685608597d0efcb076b0ab7a7a4",
                        "aefefe7d03",
                        "4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
}

static void test_v2_chacha20_short_header(void **state)
{
    (void)state;
    chacha_short_header(true,
                        "3bfcddd72bcf02541d7fa0dd1f5f9eee"
                        "a817e09a6963a0e6c7df0f9a1bab90f2",
                        "a6b5bc6ab7dafce30ffff5dd",
                        "d659760d2ba434a226fd37b35c69e2da"
                        "8211d10c4f12538787d65645d5d1b8e2",
                        "97580e32bf",
                        "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba");
}

/* AES-128-CCM (TLS_AES_128_CCM_SHA256, allowed by RFC 9001 §5.3): no
 * published QUIC vector, so a packet sealed here with OpenSSL's CCM opens,
 * and one bit off does not. */
static void test_ccm_round_trip(void **state)
{
    (void)state;
    uint8_t secret[32], hdr[4] = {0x42, 0x00, 0xbf, 0xf4}, pkt[64], plain[64];
    struct quic_keys k;
    enum quic_aead aead;
    int n;
    memset(secret, 0x5a, sizeof secret);
    assert_true(quic_aead_of_suite(0x1304, &aead));
    assert_int_equal(aead, QUIC_AEAD_AES_128_CCM);
    assert_false(quic_aead_of_suite(0xc02f, &aead));
    assert_true(quic_keys_from_secret(&k, aead, digest_sha256(), secret,
                                      sizeof secret, false));
    assert_int_equal(k.key_len, 16);
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    uint64_t pn = 654360564;
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    static const uint8_t payload[5] = {0x01, 0x00, 0x00, 0x00, 0x00};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ccm(), NULL, NULL,
                                        NULL), 1);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, NULL);
    assert_int_equal(EVP_EncryptInit_ex(ctx, NULL, NULL, k.key, nonce), 1);
    EVP_EncryptUpdate(ctx, NULL, &n, NULL, sizeof payload);
    EVP_EncryptUpdate(ctx, NULL, &n, hdr, sizeof hdr);
    assert_int_equal(EVP_EncryptUpdate(ctx, pkt, &n, payload,
                                       sizeof payload), 1);
    EVP_EncryptFinal_ex(ctx, pkt + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, pkt + sizeof payload);
    EVP_CIPHER_CTX_free(ctx);
    assert_true(quic_aead_open(&k, pn, hdr, sizeof hdr, pkt,
                               sizeof payload + 16, plain));
    assert_memory_equal(plain, payload, sizeof payload);
    pkt[2] ^= 1;
    assert_false(quic_aead_open(&k, pn, hdr, sizeof hdr, pkt,
                                sizeof payload + 16, plain));
}

/* Damage anywhere in the protected payload, or the wrong direction's
 * keys: the tag does not verify. */
static void test_open_refuses(void **state)
{
    (void)state;
    static uint8_t pkt[1200], copy[1200], plain[1200];
    struct quic_keys c, s;
    uint8_t mask[5];
    keys_for(QUIC_V1, &c, &s);
    unhex(V1_CLIENT_PACKET, pkt, sizeof pkt);
    memcpy(copy, pkt, sizeof pkt);
    assert_true(quic_hp_mask(&c, pkt + 22, mask));
    pkt[0] ^= mask[0] & 0x0f;
    for (int i = 0; i < 4; i++)
        pkt[18 + i] ^= mask[1 + i];
    assert_false(quic_aead_open(&s, 2, pkt, 22, pkt + 22, 1178, plain));
    pkt[600] ^= 0x80;
    assert_false(quic_aead_open(&c, 2, pkt, 22, pkt + 22, 1178, plain));
    pkt[600] ^= 0x80;
    assert_false(quic_aead_open(&c, 3, pkt, 22, pkt + 22, 1178, plain));
    assert_true(quic_aead_open(&c, 2, pkt, 22, pkt + 22, 1178, plain));
    /* Too short to hold a tag. */
    assert_false(quic_aead_open(&c, 2, pkt, 22, pkt + 22, 15, plain));
}

static void test_versions(void **state)
{
    (void)state;
    char buf[16];
    const struct quic_version_info *v1 = quic_version_lookup(QUIC_V1);
    const struct quic_version_info *v2 = quic_version_lookup(QUIC_V2);
    assert_non_null(v1);
    assert_non_null(v2);
    assert_false(v1->v2);
    assert_true(v2->v2);
    assert_true(quic_version_lookup(QUIC_V2_DRAFT)->v2);
    assert_string_equal(quic_version_name(0xff00001d, buf, sizeof buf),
                        "draft-29");
    assert_string_equal(quic_version_name(0xff000022, buf, sizeof buf),
                        "draft-34");
    assert_string_equal(quic_version_name(0xfaceb002, buf, sizeof buf),
                        "mvfst-27");
    assert_string_equal(quic_version_name(0x1a2a3a4a, buf, sizeof buf),
                        "0x1a2a3a4a");
    assert_null(quic_version_lookup(0xff000010)); /* before draft 21 */
    assert_null(quic_version_lookup(0x51303436)); /* Google Q046 */
    assert_false(quic_version_lookup(0x51303530)->tls); /* Q050 */
    assert_true(quic_version_lookup(0x54303531)->gquic_frames);
    assert_true(quic_version_is_reserved(0x1a2a3a4a));
    assert_true(quic_version_is_reserved(0x0a0a0a0a));
    assert_false(quic_version_is_reserved(QUIC_V1));
    /* Candidates for unknown versions: v1 first, each known. */
    assert_ptr_equal(quic_version_candidate(0), v1);
    size_t i = 0;
    while (quic_version_candidate(i))
        i++;
    assert_true(i >= 4);
}

/* v2 rotates the long-header types (RFC 9369 §3.2). */
static void test_long_types(void **state)
{
    (void)state;
    const struct quic_version_info *v2 = quic_version_lookup(QUIC_V2);
    assert_int_equal(quic_long_type(NULL, 0xc0), QUIC_INITIAL);
    assert_int_equal(quic_long_type(NULL, 0xd0), QUIC_0RTT);
    assert_int_equal(quic_long_type(NULL, 0xe0), QUIC_HANDSHAKE);
    assert_int_equal(quic_long_type(NULL, 0xf0), QUIC_RETRY);
    assert_int_equal(quic_long_type(v2, 0xd0), QUIC_INITIAL);
    assert_int_equal(quic_long_type(v2, 0xe0), QUIC_0RTT);
    assert_int_equal(quic_long_type(v2, 0xf0), QUIC_HANDSHAKE);
    assert_int_equal(quic_long_type(v2, 0xc0), QUIC_RETRY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_initial_keys),
        cmocka_unit_test(test_v2_initial_keys),
        cmocka_unit_test(test_one_side_keys),
        cmocka_unit_test(test_v1_client_initial),
        cmocka_unit_test(test_v1_server_initial),
        cmocka_unit_test(test_v2_client_initial),
        cmocka_unit_test(test_v2_server_initial),
        cmocka_unit_test(test_v1_chacha20_short_header),
        cmocka_unit_test(test_v2_chacha20_short_header),
        cmocka_unit_test(test_open_refuses),
        cmocka_unit_test(test_ccm_round_trip),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_long_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
