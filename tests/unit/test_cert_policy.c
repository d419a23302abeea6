/* test_cert_policy.c — the certificate rules of 2025-2026 in the
 * certificate stage (dissectors/x509.c, x509_ext.c, distrust.c), on
 * certificates minted here with OpenSSL: embedded SCT lists, lifetimes
 * against the CA/Browser Forum maximum for their issue date, renewal
 * windows relative to the lifetime, post-quantum signatures this OpenSSL
 * cannot verify (built to the NIST OIDs, as no Debian 12 stack signs with
 * ML-DSA), and the browsers' distrust table from its file format to a
 * verdict on a chain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dissectors/distrust.h"
#include "dissectors/x509.h"

#define DAY 86400LL
#define US 1000000ULL
#define T_2024_11_05 1730764800LL
#define T_2024_11_20 1732060800LL
#define T_2024_12_05 1733356800LL
#define T_2026_03_14 1773446400LL
#define T_2026_03_15 1773532800LL
#define T_2029_03_15 1868227200LL

static EVP_PKEY *key;

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

/* One CT log entry as RFC 6962 §3.2 encodes it: v1, a log id, the time in
 * milliseconds, no extensions, a (dummy) ECDSA signature. */
static size_t put_sct(uint8_t *p, uint8_t log_byte, uint64_t ms)
{
    size_t o = 2; /* length, filled last */
    p[o++] = 0;   /* v1 */
    memset(p + o, log_byte, 32);
    o += 32;
    for (int i = 7; i >= 0; i--)
        p[o++] = (uint8_t)(ms >> (8 * i));
    p[o++] = 0;
    p[o++] = 0; /* extensions */
    p[o++] = 4; /* sha256 */
    p[o++] = 3; /* ecdsa */
    p[o++] = 0;
    p[o++] = 8;
    memset(p + o, 0x5a, 8);
    o += 8;
    p[0] = (uint8_t)((o - 2) >> 8);
    p[1] = (uint8_t)(o - 2);
    return o;
}

/* The embedded SCT list extension: the TLS-encoded list inside an OCTET
 * STRING inside extnValue. */
static void add_scts(X509 *x, const uint64_t *ms, const uint8_t *logs,
                     size_t n)
{
    uint8_t list[512];
    size_t o = 2;
    for (size_t i = 0; i < n; i++)
        o += put_sct(list + o, logs[i], ms[i]);
    list[0] = (uint8_t)((o - 2) >> 8);
    list[1] = (uint8_t)(o - 2);
    ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(inner, list, (int)o);
    unsigned char *der = NULL;
    int len = i2d_ASN1_OCTET_STRING(inner, &der);
    ASN1_OCTET_STRING *outer = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(outer, der, len);
    X509_EXTENSION *ext =
        X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_scts, 0, outer);
    assert_non_null(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(outer);
    ASN1_OCTET_STRING_free(inner);
    OPENSSL_free(der);
}

static X509_NAME *name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                               (const unsigned char *)"tlsmon policy test",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return n;
}

/* A certificate for `cn` issued by `issuer` (NULL: self-signed) valid from
 * nb to na, signed with `signer`. */
static X509 *mint(const char *cn, X509 *issuer, EVP_PKEY *subject_key,
                  EVP_PKEY *signer, int64_t nb, int64_t na, bool ca)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    X509_NAME *n = name(cn);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_NAME_free(n);
    X509_set_pubkey(x, subject_key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(
        NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    if (!ca) {
        char san[128];
        snprintf(san, sizeof(san), "DNS:%s", cn);
        e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    if (signer)
        assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
    return x;
}

static void add_der(struct cert_chain *c, const uint8_t *der, size_t len)
{
    c->der = realloc(c->der, c->der_len + len);
    memcpy(c->der + c->der_len, der, len);
    c->certs[c->n_certs].off = c->der_len;
    c->certs[c->n_certs].len = (uint32_t)len;
    c->n_certs++;
    c->n_certs_total++;
    c->der_len += (uint32_t)len;
    c->seen = true;
}

static void chain_add(struct cert_chain *c, X509 *x)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    add_der(c, der, (size_t)len);
    OPENSSL_free(der);
}

static struct cert_result r;

/* Analyze `leaf` (+ `more`, may be NULL) at `at` against a store holding
 * `anchor` (may be NULL: no store file) with `table` (may be NULL). */
static void analyze(X509 *leaf, X509 *more, X509 *anchor, int64_t at,
                    const struct distrust_table *table)
{
    char ca_file[] = "/tmp/tlsmon-policy-ca-XXXXXX";
    struct x509_config cfg = {0};
    if (anchor) {
        int fd = mkstemp(ca_file);
        assert_true(fd >= 0);
        FILE *fp = fdopen(fd, "w");
        PEM_write_X509(fp, anchor);
        fclose(fp);
        cfg.ca_file = ca_file;
    }
    cfg.distrust = table;
    struct x509_stage *st = x509_stage_new(&cfg);
    assert_non_null(st);
    struct cert_chain c = {0};
    chain_add(&c, leaf);
    if (more)
        chain_add(&c, more);
    x509_analyze_chain(st, &c, true, NULL, (uint64_t)at * US, &r);
    /* The same chain again with a name: a cache hit (#19) must give every
     * fact but the name check as the analysis did (SCTs, distrust,
     * lifetime, post-quantum names are all kept per chain and day). */
    struct cert_result again;
    x509_analyze_chain(st, &c, true, "policy-other.test", (uint64_t)at * US,
                       &again);
    struct x509_cache_stats stats;
    x509_stage_cache_stats(st, &stats);
    assert_int_equal(stats.hits, 1);
    assert_true(again.hostname_checked == r.leaf_parsed);
    again.hostname_checked = r.hostname_checked;
    again.hostname_mismatch = r.hostname_mismatch;
    assert_memory_equal(&again, &r, sizeof(r));
    x509_stage_free(st);
    free(c.der);
    if (anchor)
        unlink(ca_file);
}

/* ---- SCTs -------------------------------------------------------------- */

static void test_embedded_scts(void **state)
{
    (void)state;
    X509 *root = mint("policy root", NULL, key, key, T_2024_11_05 - DAY,
                      T_2024_11_05 + 3650 * DAY, true);
    X509 *leaf = mint("sct.test", root, key, NULL, T_2024_11_20,
                      T_2024_11_20 + 90 * DAY, false);
    /* Three SCTs from two logs, the earliest not first. */
    const uint64_t ms[] = {(uint64_t)T_2024_11_20 * 1000 + 900,
                           (uint64_t)T_2024_11_20 * 1000 - 61500,
                           (uint64_t)T_2024_11_20 * 1000 + 5};
    const uint8_t logs[] = {0xa1, 0xb2, 0xa1};
    add_scts(leaf, ms, logs, 3);
    X509_sign(leaf, key, EVP_sha256());
    analyze(leaf, NULL, root, T_2024_11_20 + DAY, NULL);
    assert_true(r.has_scts);
    assert_false(r.scts_malformed);
    assert_int_equal(r.n_scts, 3);
    assert_int_equal(r.n_sct_logs, 2);
    assert_int_equal(r.sct_log_ids[0][0], 0xa1);
    assert_int_equal(r.sct_log_ids[1][31], 0xb2);
    assert_int_equal(r.sct_earliest_us,
                     ((uint64_t)T_2024_11_20 * 1000 - 61500) * 1000);
    assert_false(r.untrusted);
    X509_free(leaf);

    /* No extension: nothing, and no claim of a broken one. */
    leaf = mint("nosct.test", root, key, key, T_2024_11_20,
                T_2024_11_20 + 90 * DAY, false);
    analyze(leaf, NULL, root, T_2024_11_20 + DAY, NULL);
    assert_false(r.has_scts);
    assert_int_equal(r.n_scts, 0);
    assert_int_equal(r.sct_earliest_us, 0);
    X509_free(leaf);

    /* An extension whose list does not decode is called malformed. */
    leaf = mint("badsct.test", root, key, NULL, T_2024_11_20,
                T_2024_11_20 + 90 * DAY, false);
    ASN1_OCTET_STRING *junk = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(junk, (const unsigned char *)"\x04\x03\x00\x09\x00",
                          5);
    X509_EXTENSION *ext =
        X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_scts, 0, junk);
    X509_add_ext(leaf, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(junk);
    X509_sign(leaf, key, EVP_sha256());
    analyze(leaf, NULL, root, T_2024_11_20 + DAY, NULL);
    assert_true(r.has_scts);
    assert_true(r.scts_malformed);
    assert_int_equal(r.n_scts, 0);
    X509_free(leaf);
    X509_free(root);
}

/* ---- lifetimes --------------------------------------------------------- */

struct lifetime_case {
    int64_t nb, life; /* notAfter = nb + life - 1: exactly `life` s */
    int32_t days, max;
    bool too_long;
};

static void test_lifetime_by_issue_date(void **state)
{
    (void)state;
    X509 *root = mint("policy root", NULL, key, key, 1500000000,
                      1500000000 + 9000 * DAY, true);
    static const struct lifetime_case cases[] = {
        /* 398 days before 2026-03-15 ... */
        {T_2026_03_14, 398 * DAY, 398, 398, false},
        {T_2026_03_14, 398 * DAY + 1, 399, 398, true},
        /* ... 200 from it (a day's second past counts as a day) ... */
        {T_2026_03_15, 200 * DAY, 200, 200, false},
        {T_2026_03_15, 200 * DAY + 1, 201, 200, true},
        {T_2026_03_15, 398 * DAY, 398, 200, true},
        /* ... 47 from 2029-03-15. */
        {T_2029_03_15, 47 * DAY, 47, 47, false},
        {T_2029_03_15, 48 * DAY, 48, 47, true},
        /* Before 2020-09-01 no maximum is claimed. */
        {1590969600, 800 * DAY, 800, 0, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct lifetime_case *c = &cases[i];
        X509 *leaf = mint("life.test", root, key, key, c->nb,
                          c->nb + c->life - 1, false);
        analyze(leaf, NULL, root, c->nb + DAY, NULL);
        assert_int_equal(r.lifetime_days, c->days);
        assert_int_equal(r.max_lifetime_days, c->max);
        assert_int_equal(r.validity_too_long, c->too_long);
        X509_free(leaf);
    }
    X509_free(root);
}

/* A 47-day certificate with ten days left is overdue (renewal at a third
 * left, 15.7 days); a year-long one with ten days left too (the window is
 * capped at 30 days), but not with 40. */
static void test_renewal_window(void **state)
{
    (void)state;
    X509 *root = mint("policy root", NULL, key, key, 1500000000,
                      1500000000 + 9000 * DAY, true);
    int64_t nb = T_2026_03_15;
    X509 *short_leaf = mint("short.test", root, key, key, nb,
                            nb + 47 * DAY - 1, false);
    analyze(short_leaf, NULL, root, nb + 37 * DAY, NULL);
    assert_int_equal(r.days_to_expiry, 9);
    assert_int_equal(r.lifetime_left_pct, 21);
    assert_true(r.renewal_overdue);
    analyze(short_leaf, NULL, root, nb + 30 * DAY, NULL);
    assert_int_equal(r.lifetime_left_pct, 36);
    assert_false(r.renewal_overdue); /* 17 days left > 15.7 */
    /* Expired is not "overdue": it is expired. */
    analyze(short_leaf, NULL, root, nb + 48 * DAY, NULL);
    assert_true(r.expired);
    assert_false(r.renewal_overdue);
    assert_int_equal(r.lifetime_left_pct, 0);
    X509_free(short_leaf);

    X509 *year = mint("year.test", root, key, key, nb, nb + 365 * DAY - 1,
                      false);
    analyze(year, NULL, root, nb + 325 * DAY, NULL);
    assert_false(r.renewal_overdue); /* 40 days left */
    assert_int_equal(r.lifetime_left_pct, 10);
    analyze(year, NULL, root, nb + 355 * DAY, NULL);
    assert_true(r.renewal_overdue); /* 10 days left */
    X509_free(year);
    X509_free(root);
}

/* ---- post-quantum signatures ------------------------------------------ */

/* DER length octets. */
static size_t der_len(uint8_t *p, size_t n)
{
    if (n < 0x80) {
        p[0] = (uint8_t)n;
        return 1;
    }
    if (n < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)n;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(n >> 8);
    p[2] = (uint8_t)n;
    return 3;
}

/* A certificate as FIPS 204 / the LAMPS drafts lay it out: the TBS made by
 * OpenSSL with the ML-DSA OID as signature algorithm and key algorithm
 * (parameters absent), then the outer AlgorithmIdentifier and a signature
 * of the algorithm's length. The signature is random: nothing here can
 * check it, which is the point. */
static uint8_t *mint_pq(const char *cn, const char *issuer_cn,
                        const char *oid, size_t key_len, size_t sig_len,
                        bool ca, size_t *out_len)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T_2026_03_15);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T_2026_03_15 + 90 * DAY));
    X509_NAME *s = name(cn), *i = name(issuer_cn);
    X509_set_subject_name(x, s);
    X509_set_issuer_name(x, i);
    X509_NAME_free(s);
    X509_NAME_free(i);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(
        NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);

    uint8_t *pk = malloc(key_len);
    memset(pk, 0x33, key_len);
    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_txt2obj(oid, 1),
                           V_ASN1_UNDEF, NULL, pk, (int)key_len);
    X509_ALGOR *tbs_alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
    X509_ALGOR_set0(tbs_alg, OBJ_txt2obj(oid, 1), V_ASN1_UNDEF, NULL);
    unsigned char *tbs = NULL;
    int tbs_len = i2d_re_X509_tbs(x, &tbs);
    assert_true(tbs_len > 0);
    unsigned char *alg = NULL;
    int alg_len = i2d_X509_ALGOR(tbs_alg, &alg);
    assert_true(alg_len > 0);

    size_t bits = 1 + sig_len; /* unused-bits octet */
    uint8_t hdr[8];
    size_t body = (size_t)tbs_len + (size_t)alg_len + 1 + der_len(hdr, bits) +
                  bits;
    uint8_t *out = malloc(body + 8);
    size_t o = 0;
    out[o++] = 0x30;
    o += der_len(out + o, body);
    memcpy(out + o, tbs, (size_t)tbs_len);
    o += (size_t)tbs_len;
    memcpy(out + o, alg, (size_t)alg_len);
    o += (size_t)alg_len;
    out[o++] = 0x03;
    o += der_len(out + o, bits);
    out[o++] = 0;
    for (size_t k = 0; k < sig_len; k++)
        out[o++] = (uint8_t)(k * 7 + 1);
    *out_len = o;
    OPENSSL_free(tbs);
    OPENSSL_free(alg);
    X509_free(x);
    return out;
}

static void test_pq_signatures(void **state)
{
    (void)state;
    size_t leaf_len, root_len;
    /* ML-DSA-65: 1952-byte public key, 3309-byte signature (FIPS 204). */
    uint8_t *leaf = mint_pq("mldsa.test", "pq root", "2.16.840.1.101.3.4.3.18",
                            1952, 3309, false, &leaf_len);
    uint8_t *root = mint_pq("pq root", "pq root", "2.16.840.1.101.3.4.3.18",
                            1952, 3309, true, &root_len);
    struct x509_config cfg = {0};
    struct x509_stage *st = x509_stage_new(&cfg);
    struct cert_chain c = {0};
    add_der(&c, leaf, leaf_len);
    add_der(&c, root, root_len);
    x509_analyze_chain(st, &c, true, "mldsa.test",
                       (uint64_t)(T_2026_03_15 + DAY) * US, &r);
    assert_true(r.leaf_parsed);
    assert_false(r.malformed);
    assert_string_equal(r.sig_alg, "ML-DSA-65");
    assert_string_equal(r.key_alg, "ML-DSA-65");
    assert_string_equal(r.chain[1].sig_alg, "ML-DSA-65");
    assert_true(r.signature_unverifiable);
    assert_string_equal(r.unverifiable_alg, "ML-DSA-65");
    assert_non_null(strstr(r.verify_error, "cannot verify here: ML-DSA-65"));
    /* Linked by names: in order, the root self-signed by its name. */
    assert_true(r.chain_checked);
    assert_false(r.chain_out_of_order);
    assert_true(r.chain[1].self_signed);
    assert_false(r.self_signed);
    /* Trust is not judged rather than judged wrong. */
    assert_false(r.incomplete_chain);
    assert_false(r.untrusted);
    assert_int_equal(r.verify_code, 0);
    assert_false(r.hostname_mismatch);
    /* Another name for the same chain the same day: from the cache, the
     * post-quantum facts kept, the name checked anew. */
    x509_analyze_chain(st, &c, true, "other.test",
                       (uint64_t)(T_2026_03_15 + DAY) * US, &r);
    struct x509_cache_stats stats;
    x509_stage_cache_stats(st, &stats);
    assert_int_equal(stats.hits, 1);
    assert_string_equal(r.sig_alg, "ML-DSA-65");
    assert_string_equal(r.key_alg, "ML-DSA-65");
    assert_true(r.signature_unverifiable);
    assert_string_equal(r.unverifiable_alg, "ML-DSA-65");
    assert_false(r.untrusted);
    assert_true(r.hostname_mismatch);
    free(c.der);
    x509_stage_free(st);

    /* SLH-DSA-SHA2-128s leaf alone (32-byte key, 7856-byte signature). */
    free(leaf);
    leaf = mint_pq("slh.test", "slh ca", "2.16.840.1.101.3.4.3.20", 32, 7856,
                   false, &leaf_len);
    st = x509_stage_new(&cfg);
    memset(&c, 0, sizeof(c));
    add_der(&c, leaf, leaf_len);
    x509_analyze_chain(st, &c, true, NULL,
                       (uint64_t)(T_2026_03_15 + DAY) * US, &r);
    assert_string_equal(r.sig_alg, "SLH-DSA-SHA2-128s");
    assert_true(r.signature_unverifiable);
    assert_false(r.incomplete_chain);
    free(c.der);
    x509_stage_free(st);
    free(leaf);
    free(root);
}

/* ---- the distrust table ------------------------------------------------ */

static void fingerprint_hex(X509 *x, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    X509_digest(x, EVP_sha256(), md, &len);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02X", md[i]);
}

static void test_distrust_file_format(void **state)
{
    (void)state;
    char err[256];
    const char *ok =
        "# comment\n\n"
        "CA A\tAA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
        "EE:FF:00:11:22:33:44:55:66:77:88:99\tchrome\tsct\t2024-11-11T23:59:59Z"
        "\thttps://example.test/a\n"
        "  # indented comment\r\n"
        "CA B\taabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
        "\tfirefox\tnot_before\t2024-11-30\thttps://example.test/b\r\n";
    struct distrust_table *t = distrust_parse(ok, strlen(ok), "t.tsv", err,
                                              sizeof(err));
    assert_non_null(t);
    assert_int_equal(distrust_count(t), 2);
    distrust_free(t);

    static const struct {
        const char *line, *error;
    } bad[] = {
        {"A\tAA\tchrome\tsct\t2024-11-11\tsrc\n",
         "t.tsv:1: sha256: 64 hex digits (colons allowed)"},
        {"A\taabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
         "\tchrome\tdate\t2024-11-11\tsrc\n",
         "t.tsv:1: basis: sct or not_before"},
        {"A\taabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
         "\tchrome\tsct\t2024-02-30\tsrc\n",
         "t.tsv:1: after: a UTC date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"},
        {"A\taabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
         "\tchrome browser\tsct\t2024-02-03\tsrc\n",
         "t.tsv:1: browser: 1 to 15 letters, digits, '-' or '_'"},
        {"A\taabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
         "\tchrome\tsct\t2024-02-03\t\n",
         "t.tsv:1: source: where the decision is published (required)"},
        {"\n# x\nA\tB\n", "t.tsv:3: expected 6 tab-separated fields: ca, "
                           "sha256, browser, basis, after, source"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(distrust_parse(bad[i].line, strlen(bad[i].line), "t.tsv",
                                   err, sizeof(err)));
        assert_string_equal(err, bad[i].error);
    }
    /* The built-in table loads, with every decision it documents. */
    t = distrust_load_builtin(err, sizeof(err));
    assert_non_null(t);
    assert_true(distrust_count(t) >= 30);
    distrust_free(t);
    assert_null(distrust_load_file("/nonexistent/distrust.tsv", err,
                                   sizeof(err)));
}

/* A root the trust store accepts, distrusted by "chrome" by earliest SCT
 * after 2024-11-11 and by "firefox" by notBefore after 2024-11-30. */
static void test_distrust_verdict(void **state)
{
    (void)state;
    EVP_PKEY *root_key = new_key();
    X509 *root = mint("distrusted root", NULL, root_key, root_key,
                      T_2024_11_05 - 3650 * DAY, T_2024_11_05 + 3650 * DAY,
                      true);
    char fp[65], text[512], err[256];
    fingerprint_hex(root, fp);
    snprintf(text, sizeof(text),
             "Test CA\t%s\tchrome\tsct\t2024-11-11T23:59:59Z\thttps://a\n"
             "Test CA\t%s\tfirefox\tnot_before\t2024-11-30\thttps://b\n",
             fp, fp);
    struct distrust_table *t = distrust_parse(text, strlen(text), "t", err,
                                              sizeof(err));
    assert_non_null(t);

    /* SCT after Chrome's date, notBefore before Firefox's: Chrome only. */
    X509 *leaf = mint("d1.test", root, key, NULL, T_2024_11_20,
                      T_2024_11_20 + 90 * DAY, false);
    const uint64_t ms[] = {(uint64_t)T_2024_11_20 * 1000};
    const uint8_t logs[] = {7};
    add_scts(leaf, ms, logs, 1);
    X509_sign(leaf, root_key, EVP_sha256());
    analyze(leaf, NULL, root, T_2024_11_20 + DAY, t);
    assert_false(r.untrusted);
    assert_int_equal(r.n_distrusted_by, 1);
    assert_string_equal(r.distrusted_by[0], "chrome");
    assert_string_equal(r.distrusted_ca, "Test CA");
    assert_true(r.distrust_by_sct);
    /* Without the table: nothing. */
    analyze(leaf, NULL, root, T_2024_11_20 + DAY, NULL);
    assert_int_equal(r.n_distrusted_by, 0);
    X509_free(leaf);

    /* Issued before both dates: trusted by both. */
    leaf = mint("d2.test", root, key, NULL, T_2024_11_05,
                T_2024_11_05 + 90 * DAY, false);
    const uint64_t early[] = {(uint64_t)T_2024_11_05 * 1000};
    add_scts(leaf, early, logs, 1);
    X509_sign(leaf, root_key, EVP_sha256());
    analyze(leaf, NULL, root, T_2024_11_05 + DAY, t);
    assert_int_equal(r.n_distrusted_by, 0);
    X509_free(leaf);

    /* No SCT: Chrome's date is compared with notBefore; both refuse. */
    leaf = mint("d3.test", root, key, root_key, T_2024_12_05,
                T_2024_12_05 + 90 * DAY, false);
    analyze(leaf, NULL, root, T_2024_12_05 + DAY, t);
    assert_int_equal(r.n_distrusted_by, 2);
    assert_string_equal(r.distrusted_by[0], "chrome");
    assert_string_equal(r.distrusted_by[1], "firefox");
    assert_false(r.distrust_by_sct);
    /* The root sent along (no store): still its fingerprint in the path. */
    analyze(leaf, root, NULL, T_2024_12_05 + DAY, t);
    assert_int_equal(r.n_distrusted_by, 2);
    X509_free(leaf);

    distrust_free(t);
    X509_free(root);
    EVP_PKEY_free(root_key);
}

int main(void)
{
    key = new_key();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_scts),
        cmocka_unit_test(test_lifetime_by_issue_date),
        cmocka_unit_test(test_renewal_window),
        cmocka_unit_test(test_pq_signatures),
        cmocka_unit_test(test_distrust_file_format),
        cmocka_unit_test(test_distrust_verdict),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    EVP_PKEY_free(key);
    return rc;
}
