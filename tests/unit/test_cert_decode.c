/* test_cert_decode.c — dissectors/cert_decode.c against d2i_X509: every
 * committed certificate and one certificate of each key type OpenSSL 3.0
 * can put in a SubjectPublicKeyInfo decode to the same certificate, the
 * same key and the same verdicts; a key decoded in tlsmon's context checks
 * signatures; cut or overlong DER decodes to nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "committed_certs.h"
#include "common/array_len.h"
#include "dissectors/cert_decode.h"

static char certs_dir[512];

static void assert_same_key(EVP_PKEY *a, EVP_PKEY *b)
{
    if (!a) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    assert_int_equal(EVP_PKEY_eq(a, b), 1);
    assert_int_equal(EVP_PKEY_get_base_id(a), EVP_PKEY_get_base_id(b));
    assert_int_equal(EVP_PKEY_get_bits(a), EVP_PKEY_get_bits(b));
    assert_int_equal(EVP_PKEY_get_security_bits(a),
                     EVP_PKEY_get_security_bits(b));
    char group_a[64] = "", group_b[64] = "";
    size_t len;
    EVP_PKEY_get_utf8_string_param(a, OSSL_PKEY_PARAM_GROUP_NAME, group_a,
                                   sizeof(group_a), &len);
    EVP_PKEY_get_utf8_string_param(b, OSSL_PKEY_PARAM_GROUP_NAME, group_b,
                                   sizeof(group_b), &len);
    assert_string_equal(group_a, group_b);
}

/* cert_decode's certificate is d2i_X509's: the same encoding, key,
 * extension flags and self-signature verdict. Returned for more checks. */
static X509 *assert_same_decoding(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *want = d2i_X509(NULL, &p, (long)len);
    X509 *got = cert_decode(der, len);
    assert_non_null(want);
    assert_non_null(got);

    unsigned char *want_der = NULL, *got_der = NULL;
    int want_len = i2d_X509(want, &want_der);
    int got_len = i2d_X509(got, &got_der);
    assert_true(want_len > 0);
    assert_int_equal(want_len, got_len);
    assert_memory_equal(want_der, got_der, (size_t)want_len);
    OPENSSL_free(want_der);
    OPENSSL_free(got_der);

    assert_same_key(X509_get0_pubkey(want), X509_get0_pubkey(got));
    assert_int_equal(X509_get_extension_flags(want),
                     X509_get_extension_flags(got));
    assert_int_equal(X509_check_ca(want), X509_check_ca(got));
    assert_int_equal(X509_self_signed(want, 1), X509_self_signed(got, 1));
    ERR_clear_error();
    X509_free(want);
    return got;
}

static void test_own_context(void **state)
{
    (void)state;
    /* Debian's OpenSSL has the default provider: the faster context is
     * made, or every other test here compares d2i_X509 with itself. */
    assert_true(cert_decode_in_own_context());
}

static void same_decoding(const unsigned char *der, size_t len)
{
    X509_free(assert_same_decoding(der, len));
}

static void test_committed_certs(void **state)
{
    (void)state;
    assert_true(each_committed_cert(certs_dir, same_decoding) >= 20);
}

static EVP_PKEY *make_key(const char *type, const char *group, bool explicit)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    assert_non_null(ctx);
    EVP_PKEY *key = NULL;
    if (!strcmp(type, "DSA")) {
        /* DSA keys need parameters made first. */
        EVP_PKEY *params = NULL;
        assert_int_equal(EVP_PKEY_paramgen_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_dsa_paramgen_bits(ctx, 1024), 1);
        assert_int_equal(EVP_PKEY_paramgen(ctx, &params), 1);
        EVP_PKEY_CTX_free(ctx);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
        EVP_PKEY_free(params);
        assert_non_null(ctx);
    }
    assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
    if (group) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                             (char *)group, 0),
            OSSL_PARAM_construct_utf8_string(
                OSSL_PKEY_PARAM_EC_ENCODING,
                explicit ? (char *)OSSL_PKEY_EC_ENCODING_EXPLICIT
                         : (char *)OSSL_PKEY_EC_ENCODING_GROUP,
                0),
            OSSL_PARAM_construct_end(),
        };
        assert_int_equal(EVP_PKEY_CTX_set_params(ctx, params), 1);
    } else if (!strcmp(type, "RSA") || !strcmp(type, "RSA-PSS")) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
    }
    assert_int_equal(EVP_PKEY_keygen(ctx, &key), 1);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* A certificate for `key`, issued by `issuer_key` (its own when NULL). */
static unsigned char *make_cert(EVP_PKEY *key, EVP_PKEY *issuer_key,
                                int *len)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"key.test", -1, -1, 0);
    X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)(issuer_key ? "issuer"
                                                                  : "key.test"),
                               -1, -1, 0);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    EVP_PKEY *signer = issuer_key ? issuer_key : key;
    int id = EVP_PKEY_get_base_id(signer);
    const EVP_MD *md =
        id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
    assert_true(X509_sign(x, signer, md) > 0);
    unsigned char *der = NULL;
    *len = i2d_X509(x, &der);
    assert_true(*len > 0);
    X509_free(x);
    return der;
}

/* Every key type a certificate can carry that OpenSSL 3.0 decodes: the
 * same key either way, and a key from tlsmon's context verifies what it
 * signed. */
static void test_key_types(void **state)
{
    (void)state;
    const struct {
        const char *type, *group;
        bool explicit, can_sign;
    } keys[] = {
        {"RSA", NULL, false, true},
        {"RSA-PSS", NULL, false, true},
        {"EC", "P-256", false, true},
        {"EC", "P-384", false, true},
        {"EC", "P-521", false, true},
        {"EC", "secp256k1", false, true},
        {"EC", "brainpoolP256r1", false, true},
        {"EC", "P-256", true, true}, /* explicit curve parameters */
        {"ED25519", NULL, false, true},
        {"ED448", NULL, false, true},
        {"DSA", NULL, false, true},
        {"X25519", NULL, false, false},
        {"X448", NULL, false, false},
    };
    EVP_PKEY *issuer_key = make_key("ED25519", NULL, false);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        EVP_PKEY *key = make_key(keys[i].type, keys[i].group,
                                 keys[i].explicit);
        int len;
        unsigned char *der =
            make_cert(key, keys[i].can_sign ? NULL : issuer_key, &len);
        X509 *x = assert_same_decoding(der, (size_t)len);
        EVP_PKEY *decoded = X509_get0_pubkey(x);
        assert_non_null(decoded);
        if (keys[i].can_sign) {
            /* Self-signed: checked with the key decoded here. */
            assert_int_equal(X509_verify(x, decoded), 1);
            /* ... and a certificate it issued. */
            int issued_len;
            unsigned char *issued = make_cert(issuer_key, key, &issued_len);
            X509 *child = cert_decode(issued, (size_t)issued_len);
            assert_non_null(child);
            assert_int_equal(X509_verify(child, decoded), 1);
            X509_free(child);
            OPENSSL_free(issued);
        }
        X509_free(x);
        OPENSSL_free(der);
        EVP_PKEY_free(key);
    }
    EVP_PKEY_free(issuer_key);
    ERR_clear_error();
}

static void assert_no_certificate(const unsigned char *der, size_t len)
{
    assert_null(cert_decode(der, len));
}

/* Cut at every length (each cut in a buffer of its own size, so the
 * sanitizers see a read past it), a byte too many, and nothing. */
static void test_malformed(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof(path), "%s/server-rsa.pem", certs_dir);
    long full = 0;
    unsigned char *der = committed_cert_der(path, &full);
    each_cut(der, (size_t)full, assert_no_certificate);
    unsigned char *longer = malloc((size_t)full + 1);
    assert_non_null(longer);
    memcpy(longer, der, (size_t)full);
    longer[full] = 0;
    assert_null(cert_decode(longer, (size_t)full + 1));
    X509 *whole = cert_decode(longer, (size_t)full);
    assert_non_null(whole);
    X509_free(whole);
    assert_null(cert_decode(NULL, 0));
    free(longer);
    OPENSSL_free(der);
    ERR_clear_error();
}

int main(void)
{
    const char *root = getenv("TLSMON_SOURCE_ROOT");
    snprintf(certs_dir, sizeof(certs_dir), "%s/captures/certs",
             root ? root : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_context),
        cmocka_unit_test(test_committed_certs),
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
