/* test_ech.c — the Encrypted Client Hello parsers of dissectors/ech.c on
 * bytes built to RFC 9849 (§4 ECHConfigList, §5 the ClientHello extension,
 * §7.2.1 the HelloRetryRequest confirmation, §7.1 retry_configs in
 * EncryptedExtensions), every truncation of them, and the extension inside
 * a whole ClientHello. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dissectors/ech.h"
#include "dissectors/tls_messages.h"

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void u8(struct buf *w, uint8_t v) { w->b[w->n++] = v; }
static void u16(struct buf *w, uint16_t v)
{
    u8(w, (uint8_t)(v >> 8));
    u8(w, (uint8_t)v);
}
static void bytes(struct buf *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void fill(struct buf *w, uint8_t v, size_t n)
{
    memset(w->b + w->n, v, n);
    w->n += n;
}
/* Opens a length-prefixed vector; close() writes its length. */
static size_t open16(struct buf *w)
{
    w->n += 2;
    return w->n;
}
static void close16(struct buf *w, size_t at)
{
    size_t len = w->n - at;
    w->b[at - 2] = (uint8_t)(len >> 8);
    w->b[at - 1] = (uint8_t)len;
}

/* ECHClientHello, outer: kdf, aead, config id, enc, payload. */
static void outer(struct buf *w, uint16_t kdf, uint16_t aead, uint8_t id,
                  size_t enc, size_t payload)
{
    u8(w, 0);
    u16(w, kdf);
    u16(w, aead);
    u8(w, id);
    u16(w, (uint16_t)enc);
    fill(w, 0xe1, enc);
    u16(w, (uint16_t)payload);
    fill(w, 0xc7, payload);
}

static bool parse_ext(const struct buf *w, size_t len, struct ech_hello *e)
{
    struct cursor c = cursor_make(w->b, len);
    return ech_parse_client_hello_ext(&c, e);
}

static void test_outer_extension(void **state)
{
    (void)state;
    static struct buf w;
    struct ech_hello e;
    w.n = 0;
    outer(&w, 1, 3, 0xd1, 32, 144);
    assert_true(parse_ext(&w, w.n, &e));
    assert_true(e.present);
    assert_false(e.malformed);
    assert_int_equal(e.type, ECH_OUTER);
    assert_int_equal(e.kdf_id, 1);
    assert_int_equal(e.aead_id, 3);
    assert_int_equal(e.config_id, 0xd1);
    assert_int_equal(e.enc_len, 32);
    assert_int_equal(e.payload_len, 144);
    assert_string_equal(ech_kdf_name(e.kdf_id), "HKDF-SHA256");
    assert_string_equal(ech_aead_name(e.aead_id), "ChaCha20Poly1305");
    assert_string_equal(ech_kem_name(0x0020), "DHKEM(X25519, HKDF-SHA256)");
    assert_null(ech_kdf_name(0x0999));

    /* Every cut of it fails, marked malformed, and never reads past. */
    for (size_t cut = 0; cut < w.n; cut++) {
        memset(&e, 0xa5, sizeof(e));
        assert_false(parse_ext(&w, cut, &e));
        assert_true(e.present);
        assert_true(e.malformed);
    }
    /* After an HRR the second hello may carry an empty enc (§6.1.5). */
    w.n = 0;
    outer(&w, 1, 1, 7, 0, 176);
    assert_true(parse_ext(&w, w.n, &e));
    assert_int_equal(e.enc_len, 0);
    /* An empty payload cannot hold a hello; trailing bytes are a fault. */
    w.n = 0;
    outer(&w, 1, 1, 7, 32, 0);
    assert_false(parse_ext(&w, w.n, &e));
    assert_true(e.malformed);
    w.n = 0;
    outer(&w, 1, 1, 7, 32, 16);
    u8(&w, 0);
    assert_false(parse_ext(&w, w.n, &e));
    assert_int_equal(e.payload_len, 16);
}

static void test_inner_and_unknown_types(void **state)
{
    (void)state;
    static struct buf w;
    struct ech_hello e;
    w.n = 0;
    u8(&w, 1);
    assert_true(parse_ext(&w, w.n, &e));
    assert_int_equal(e.type, ECH_INNER);
    assert_false(e.malformed);
    u8(&w, 0); /* the inner form is empty */
    assert_false(parse_ext(&w, w.n, &e));
    assert_true(e.malformed);
    w.n = 0;
    u8(&w, 2);
    fill(&w, 0, 10);
    assert_false(parse_ext(&w, w.n, &e));
    assert_int_equal(e.type, 2);
    assert_true(e.malformed);
}

static void test_hrr_confirmation(void **state)
{
    (void)state;
    static const uint8_t conf[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct hello_retry hrr = {0};
    struct cursor c = cursor_make(conf, 8);
    assert_true(ech_parse_hrr_ext(&c, &hrr));
    assert_true(hrr.ech_confirmation);
    memset(&hrr, 0, sizeof(hrr));
    c = cursor_make(conf, 7);
    assert_false(ech_parse_hrr_ext(&c, &hrr));
    c = cursor_make(conf, 9);
    assert_false(ech_parse_hrr_ext(&c, &hrr));
    assert_false(hrr.ech_confirmation);

    /* In a whole HelloRetryRequest (the ServerHello with the RFC 8446
     * random): key_share asks for a group, ECH confirms. */
    static const uint8_t hrr_random[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
        0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
        0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
    for (int with_ech = 0; with_ech < 2; with_ech++) {
        static struct buf w;
        w.n = 0;
        u16(&w, 0x0303);
        bytes(&w, hrr_random, 32);
        u8(&w, 0);
        u16(&w, 0x1301);
        u8(&w, 0);
        size_t exts = open16(&w);
        u16(&w, 51);
        u16(&w, 2);
        u16(&w, 0x11ec);
        if (with_ech) {
            u16(&w, ECH_EXTENSION_TYPE);
            u16(&w, 8);
            bytes(&w, conf, 8);
        }
        close16(&w, exts);
        struct server_hello sh = {0};
        bool is_hrr = false;
        memset(&hrr, 0, sizeof(hrr));
        c = cursor_make(w.b, w.n);
        assert_true(tls_parse_server_hello(&c, &sh, &hrr, &is_hrr));
        assert_true(is_hrr);
        assert_int_equal(hrr.group, 0x11ec);
        assert_int_equal(hrr.ech_confirmation, with_ech);
    }
}

/* One ECHConfig of version `version` (0xfe0d: RFC 9849 contents). */
static void config(struct buf *w, uint16_t version, uint8_t id, uint16_t kem,
                   const char *public_name, size_t n_suites)
{
    u16(w, version);
    size_t c = open16(w);
    u8(w, id);
    u16(w, kem);
    u16(w, 32);
    fill(w, 0x44, 32);
    u16(w, (uint16_t)(4 * n_suites));
    for (size_t i = 0; i < n_suites; i++) {
        u16(w, 1);
        u16(w, (uint16_t)(1 + i));
    }
    u8(w, 64); /* maximum_name_length */
    u8(w, (uint8_t)strlen(public_name));
    bytes(w, public_name, strlen(public_name));
    u16(w, 0); /* extensions */
    close16(w, c);
}

static void test_config_list(void **state)
{
    (void)state;
    static struct buf w;
    struct ech_retry out;
    w.n = 0;
    size_t l = open16(&w);
    config(&w, 0xfe0a, 1, 0x20, "old.draft.test", 1); /* skipped */
    config(&w, 0xfe0d, 0x2b, 0x20, "public.test", 2);
    config(&w, 0xfe0d, 0x2c, 0x41, "other\x01.test", 1);
    close16(&w, l);
    memset(&out, 0, sizeof(out));
    struct cursor c = cursor_make(w.b, w.n);
    assert_true(ech_parse_config_list(&c, &out));
    assert_int_equal(out.n_configs_total, 3);
    assert_int_equal(out.n_configs, 2);
    assert_int_equal(out.config_ids[0], 0x2b);
    assert_int_equal(out.config_ids[1], 0x2c);
    assert_int_equal(out.kem_ids[1], 0x41);
    assert_string_equal(ech_kem_name(out.kem_ids[1]), "ML-KEM-768");
    assert_string_equal(out.public_name, "public.test");

    /* Cut anywhere: false, nothing read past the cut. */
    for (size_t cut = 0; cut < w.n; cut++) {
        memset(&out, 0, sizeof(out));
        c = cursor_make(w.b, cut);
        assert_false(ech_parse_config_list(&c, &out));
        assert_true(out.n_configs <= HS_MAX_ECH_CONFIGS);
    }
    /* A config without a cipher suite is malformed; the list says so. */
    w.n = 0;
    l = open16(&w);
    config(&w, 0xfe0d, 9, 0x20, "x.test", 0);
    close16(&w, l);
    memset(&out, 0, sizeof(out));
    c = cursor_make(w.b, w.n);
    assert_false(ech_parse_config_list(&c, &out));
    assert_int_equal(out.n_configs, 0);
}

/* EncryptedExtensions, decrypted with a key log: the ECH retry configs
 * beside ALPN (tls_parse_encrypted_extensions hands them to ech.c). */
static void test_encrypted_extensions(void **state)
{
    (void)state;
    static struct buf w;
    static struct encrypted_extensions out;
    w.n = 0;
    size_t exts = open16(&w);
    u16(&w, 16);
    u16(&w, 5);
    u16(&w, 3);
    u8(&w, 2);
    bytes(&w, "h2", 2);
    u16(&w, ECH_EXTENSION_TYPE);
    size_t ext = open16(&w);
    size_t l = open16(&w);
    config(&w, 0xfe0d, 0x77, 0x20, "cover.example", 1);
    close16(&w, l);
    close16(&w, ext);
    close16(&w, exts);
    struct cursor c = cursor_make(w.b, w.n);
    assert_true(tls_parse_encrypted_extensions(&c, &out));
    assert_true(out.seen);
    assert_string_equal(out.alpn, "h2");
    assert_true(out.ech.has_retry_configs);
    assert_false(out.ech.malformed);
    assert_int_equal(out.ech.n_configs, 1);
    assert_int_equal(out.ech.config_ids[0], 0x77);
    assert_string_equal(out.ech.public_name, "cover.example");

    /* Without ECH: read, nothing to retry with. */
    w.n = 0;
    u16(&w, 0);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_encrypted_extensions(&c, &out));
    assert_false(out.ech.has_retry_configs);
    /* Retry configs that do not parse are marked, the message still read. */
    w.n = 0;
    exts = open16(&w);
    u16(&w, ECH_EXTENSION_TYPE);
    u16(&w, 3);
    bytes(&w, "\x00\x01\x00", 3);
    close16(&w, exts);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_encrypted_extensions(&c, &out));
    assert_true(out.ech.has_retry_configs);
    assert_true(out.ech.malformed);
    assert_int_equal(out.ech.n_configs, 0);
}

/* The extension inside a ClientHello: parsed, and a malformed one does not
 * hide the SNI that follows it. */
static void test_in_client_hello(void **state)
{
    (void)state;
    static struct buf w;
    static struct client_hello ch;
    for (int broken = 0; broken < 2; broken++) {
        w.n = 0;
        u16(&w, 0x0303);
        fill(&w, 0x11, 32);
        u8(&w, 0);
        u16(&w, 2);
        u16(&w, 0x1301);
        u8(&w, 1);
        u8(&w, 0);
        size_t exts = open16(&w);
        u16(&w, ECH_EXTENSION_TYPE);
        size_t e = open16(&w);
        outer(&w, 1, 1, 0x42, 32, broken ? 0 : 208);
        close16(&w, e);
        u16(&w, 0); /* server_name */
        size_t sni = open16(&w);
        size_t list = open16(&w);
        u8(&w, 0);
        u16(&w, 18);
        bytes(&w, "cloudflare-ech.com", 18);
        close16(&w, list);
        close16(&w, sni);
        close16(&w, exts);
        struct cursor c = cursor_make(w.b, w.n);
        assert_int_equal(tls_parse_client_hello(&c, &ch), !broken);
        assert_true(ch.ech);
        assert_true(ch.ech_info.present);
        assert_int_equal(ch.ech_info.malformed, broken);
        assert_int_equal(ch.ech_info.config_id, 0x42);
        assert_true(ch.has_sni);
        assert_string_equal(ch.sni, "cloudflare-ech.com");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outer_extension),
        cmocka_unit_test(test_inner_and_unknown_types),
        cmocka_unit_test(test_hrr_confirmation),
        cmocka_unit_test(test_config_list),
        cmocka_unit_test(test_encrypted_extensions),
        cmocka_unit_test(test_in_client_hello),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
