/* test_x509.c — the certificate stage of dissectors/x509.c on the private CA
 * in captures/certs: leaf facts as `openssl x509` prints them, and every
 * verdict at chosen capture times, against chosen trust stores; malformed
 * DER, the cache, TLS 1.3 and PEM output; the subject reader of CA files
 * (dissectors/der_subject.c) against OpenSSL's own decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "committed_certs.h"
#include "common/array_len.h"
#include "common/memcap.h"
#include "dissectors/der_subject.h"
#include "dissectors/x509.h"
#include "dissectors/x509_ext.h"

#define T_2027 1798761600ULL            /* 2027-01-01T00:00:00Z */
#define T_2026_JAN 1767225600ULL        /* 2026-01-01T00:00:00Z */
#define T_2020_JAN_15 1579046400ULL     /* 2020-01-15T00:00:00Z */
#define US 1000000ULL
#define RSA_NOT_AFTER 2426107353LL      /* 2046-11-17T22:42:33Z */

static char certs_dir[512];

static const char *cert_path(const char *name)
{
    static char path[600];
    snprintf(path, sizeof(path), "%s/%s", certs_dir, name);
    return path;
}

/* Appends every certificate of a PEM file to `c`, as the wire carries
 * them: DER back to back. */
static void add_pem(struct cert_chain *c, const char *name)
{
    FILE *fp = fopen(cert_path(name), "r");
    assert_non_null(fp);
    X509 *x;
    while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
        unsigned char *der = NULL;
        int len = i2d_X509(x, &der);
        assert_true(len > 0);
        c->der = realloc(c->der, c->der_len + (size_t)len);
        memcpy(c->der + c->der_len, der, (size_t)len);
        c->certs[c->n_certs].off = c->der_len;
        c->certs[c->n_certs].len = (uint32_t)len;
        c->n_certs++;
        c->n_certs_total++;
        c->der_len += (uint32_t)len;
        OPENSSL_free(der);
        X509_free(x);
    }
    fclose(fp);
    c->seen = true;
}

static void add_raw(struct cert_chain *c, const uint8_t *b, uint32_t len)
{
    c->der = realloc(c->der, c->der_len + len + 1);
    memcpy(c->der + c->der_len, b, len);
    c->certs[c->n_certs].off = c->der_len;
    c->certs[c->n_certs].len = len;
    c->n_certs++;
    c->n_certs_total++;
    c->der_len += len;
    c->seen = true;
}

static struct x509_stage *stage(const char *ca, bool pem)
{
    struct x509_config cfg = {0};
    char file[600];
    if (ca) {
        snprintf(file, sizeof(file), "%s", cert_path(ca));
        cfg.ca_file = file;
    }
    cfg.emit_pem = pem;
    struct x509_stage *st = x509_stage_new(&cfg);
    assert_non_null(st);
    return st;
}

/* A stage of `cfg` trusting root-ca.pem. */
static struct x509_stage *root_stage(struct x509_config *cfg)
{
    char file[600];
    snprintf(file, sizeof(file), "%s", cert_path("root-ca.pem"));
    cfg->ca_file = file;
    struct x509_stage *st = x509_stage_new(cfg);
    assert_non_null(st);
    return st;
}

static struct cert_result r;

static void run(const char *ca, const char *const *files, const char *host,
                uint64_t at)
{
    struct cert_chain c = {0};
    for (size_t i = 0; files[i]; i++)
        add_pem(&c, files[i]);
    struct x509_stage *st = stage(ca, false);
    x509_analyze_chain(st, &c, true, host, at * US, &r);
    x509_stage_free(st);
    free(c.der);
}

static void test_valid_chain_facts(void **state)
{
    (void)state;
    const char *files[] = {"server-rsa-chain.pem", NULL};
    run("root-ca.pem", files, "server.test", T_2027);
    assert_true(r.analyzed && r.visible && r.leaf_parsed);
    assert_false(r.malformed);
    assert_string_equal(r.subject, "CN=server.test,O=tlsmon test");
    assert_string_equal(r.issuer,
                        "CN=tlsmon test intermediate CA,O=tlsmon test");
    assert_string_equal(r.subject_cn, "server.test");
    assert_string_equal(r.issuer_cn, "tlsmon test intermediate CA");
    assert_int_equal(r.sans.n, 1);
    assert_int_equal(r.sans.total, 1);
    assert_string_equal(r.sans.v[0].text, "server.test");
    assert_string_equal(r.serial, "63508F36C2D2B7E6");
    assert_int_equal(r.not_after, RSA_NOT_AFTER);
    assert_int_equal(r.not_before, RSA_NOT_AFTER - 7300LL * 86400);
    assert_string_equal(r.key_alg, "RSA");
    assert_int_equal(r.key_bits, 2048);
    assert_string_equal(r.curve, "");
    assert_string_equal(r.sig_alg, "sha256WithRSAEncryption");
    assert_string_equal(r.sha256, "827F576D2B39F7609369DF468F3B2D1B337AC9B5"
                                  "8F1C4ECDC62D955A15E070E0");
    assert_int_equal(r.n_summaries, 2);
    assert_string_equal(r.chain[1].subject_cn, "tlsmon test intermediate CA");
    assert_true(r.chain[1].is_ca);
    assert_false(r.chain[0].is_ca);
    /* Verdicts: all clear, except the 20-year leaf. */
    assert_true(r.times_checked && r.hostname_checked && r.chain_checked);
    assert_false(r.expired);
    assert_false(r.not_yet_valid);
    assert_int_equal(r.days_to_expiry, 7260);
    assert_false(r.self_signed);
    assert_false(r.hostname_mismatch);
    assert_false(r.chain_out_of_order);
    assert_false(r.incomplete_chain);
    assert_false(r.untrusted);
    assert_int_equal(r.verify_code, 0);
    assert_string_equal(r.verify_error, "ok");
    assert_false(r.weak_key);
    assert_false(r.weak_signature);
    assert_true(r.validity_too_long);
}

/* Extensions: the cert-* leaves carry AIA and CRL URLs; the intermediate,
 * sent as a leaf, is a CA (a wrong purpose for a server); the client
 * certificate allows clientAuth only. */
static void test_extensions(void **state)
{
    (void)state;
    const char *wild[] = {"server-wildcard-chain.pem", NULL};
    run("root-ca.pem", wild, "www.wild.test", T_2027);
    assert_false(r.leaf_ca);
    assert_int_equal(r.path_len, -1);
    assert_true(r.has_key_usage);
    assert_int_equal(r.key_usage, 0x5); /* digitalSignature, keyEncipherment */
    assert_true(r.has_eku);
    assert_int_equal(r.eku, X509_EKU_SERVER_AUTH);
    assert_false(r.wrong_purpose);
    assert_int_equal(r.n_ocsp_urls, 1);
    assert_string_equal(r.ocsp_urls[0], "http://ocsp.tlsmon.test/");
    assert_int_equal(r.n_ca_issuers_urls, 1);
    assert_string_equal(r.ca_issuers_urls[0],
                        "http://ca.tlsmon.test/inter.crt");
    assert_int_equal(r.n_crl_urls, 1);
    assert_string_equal(r.crl_urls[0], "http://crl.tlsmon.test/inter.crl");
    assert_false(r.urls_truncated);
    assert_string_equal(x509_key_usage_name(0), "digitalSignature");
    assert_string_equal(x509_key_usage_name(6), "cRLSign");
    assert_null(x509_key_usage_name(9));
    assert_string_equal(x509_eku_name(1), "clientAuth");

    const char *ca_as_leaf[] = {"intermediate-ca.pem", NULL};
    run("root-ca.pem", ca_as_leaf, NULL, T_2027);
    assert_true(r.leaf_ca);
    assert_int_equal(r.path_len, 0);
    assert_true(r.wrong_purpose);
    assert_int_equal(r.n_ocsp_urls, 0);

    /* A clientAuth-only certificate presented by a server. */
    const char *client[] = {"client-mtls-chain.pem", NULL};
    run("root-ca.pem", client, NULL, T_2027);
    assert_int_equal(r.eku, X509_EKU_CLIENT_AUTH);
    assert_true(r.wrong_purpose);
}

static void test_hostname(void **state)
{
    (void)state;
    const char *files[] = {"server-rsa-chain.pem", NULL};
    run("root-ca.pem", files, "SERVER.test.", T_2027);
    assert_false(r.hostname_mismatch);
    run("root-ca.pem", files, "other.test", T_2027);
    assert_true(r.hostname_checked);
    assert_true(r.hostname_mismatch);
    assert_false(r.untrusted); /* a name is not a path problem */
    run("root-ca.pem", files, "www.server.test", T_2027);
    assert_true(r.hostname_mismatch);
    run("root-ca.pem", files, NULL, T_2027);
    assert_false(r.hostname_checked);
    assert_false(r.hostname_mismatch);
    const char *other[] = {"other-name-chain.pem", NULL};
    run("root-ca.pem", other, "server.test", T_2027);
    assert_true(r.hostname_mismatch);
}

static void test_ecdsa(void **state)
{
    (void)state;
    const char *files[] = {"server-ecdsa-chain.pem", NULL};
    run("root-ca.pem", files, "server.test", T_2027);
    assert_string_equal(r.key_alg, "EC");
    assert_int_equal(r.key_bits, 256);
    assert_string_equal(r.curve, "prime256v1");
    assert_false(r.weak_key);
    assert_false(r.untrusted);
}

static void test_times(void **state)
{
    (void)state;
    const char *expired[] = {"server-expired-chain.pem", NULL};
    run("root-ca.pem", expired, "server.test", T_2027);
    assert_true(r.expired);
    assert_false(r.not_yet_valid);
    /* 2020-01-31 to 2027-01-01: 2527 days ago. */
    assert_int_equal(r.days_to_expiry, -2527);
    assert_false(r.untrusted);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_string_equal(r.verify_error, "certificate has expired");
    assert_false(r.validity_too_long); /* issued before 2020-09-01 */

    /* In its month of validity the leaf is fine, but the intermediate was
     * not issued yet. */
    run("root-ca.pem", expired, "server.test", T_2020_JAN_15);
    assert_false(r.expired);
    assert_false(r.not_yet_valid);
    assert_int_equal(r.days_to_expiry, 16);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_NOT_YET_VALID);

    const char *valid[] = {"server-rsa-chain.pem", NULL};
    run("root-ca.pem", valid, "server.test", T_2026_JAN);
    assert_true(r.not_yet_valid);
    assert_false(r.expired);
    assert_false(r.untrusted);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_NOT_YET_VALID);
}

static void test_self_signed(void **state)
{
    (void)state;
    const char *files[] = {"server-selfsigned.pem", NULL};
    run("root-ca.pem", files, "server.test", T_2027);
    assert_true(r.self_signed);
    assert_true(r.untrusted);
    assert_false(r.incomplete_chain);
    assert_false(r.validity_too_long); /* not a CA/B-governed leaf */
    assert_int_equal(r.verify_code, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    assert_string_equal(r.verify_error, "self-signed certificate");
    assert_string_equal(r.serial, "536BBAECAD34DBF85AAA8DB6B1DA6BFD4BC6A15B");
    assert_string_equal(r.sha1, "BA6B4B4700160F5A122D1C211ED58B7003B79667");
}

static void test_incomplete_and_unknown(void **state)
{
    (void)state;
    const char *leaf[] = {"server-rsa.pem", NULL};
    run("root-ca.pem", leaf, "server.test", T_2027);
    assert_true(r.incomplete_chain);
    assert_true(r.untrusted);
    assert_int_equal(r.verify_code,
                     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    /* The intermediate in the trust store completes it. */
    run("intermediate-ca.pem", leaf, "server.test", T_2027);
    assert_false(r.incomplete_chain);

    const char *chain[] = {"server-rsa-chain.pem", NULL};
    run("other-ca.pem", chain, "server.test", T_2027);
    assert_true(r.untrusted);
    assert_true(r.incomplete_chain); /* root neither sent nor trusted */
    assert_int_equal(r.verify_code,
                     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_false(r.hostname_mismatch);

    /* Root sent too: complete, but still not trusted. */
    const char *with_root[] = {"server-rsa-chain.pem", "root-ca.pem", NULL};
    run("other-ca.pem", with_root, "server.test", T_2027);
    assert_false(r.incomplete_chain);
    assert_true(r.untrusted);
    assert_int_equal(r.verify_code, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    assert_false(r.chain_out_of_order);
}

static void test_out_of_order(void **state)
{
    (void)state;
    const char *files[] = {"server-rsa.pem", "root-ca.pem",
                           "intermediate-ca.pem", NULL};
    run("root-ca.pem", files, "server.test", T_2027);
    assert_true(r.chain_out_of_order);
    assert_false(r.untrusted); /* OpenSSL sorts it out; clients may not */
    assert_false(r.incomplete_chain);
}

static void test_malformed(void **state)
{
    (void)state;
    struct x509_stage *st = stage("root-ca.pem", false);
    static const uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00};
    struct cert_chain c = {0};
    add_raw(&c, junk, sizeof(junk));
    x509_analyze_chain(st, &c, true, "server.test", T_2027 * US, &r);
    assert_true(r.analyzed && r.visible && r.malformed);
    assert_false(r.leaf_parsed);
    assert_false(r.times_checked || r.hostname_checked || r.chain_checked);
    assert_false(r.hostname_mismatch || r.untrusted || r.expired);
    assert_string_equal(r.subject, "");
    assert_string_equal(r.sha256, "");
    free(c.der);

    /* A good leaf followed by a truncated intermediate: leaf facts, no
     * chain verdicts. */
    struct cert_chain d = {0};
    add_pem(&d, "server-rsa.pem");
    struct cert_chain i = {0};
    add_pem(&i, "intermediate-ca.pem");
    add_raw(&d, i.der, i.der_len - 10);
    x509_analyze_chain(st, &d, true, "server.test", T_2027 * US, &r);
    assert_true(r.malformed && r.leaf_parsed);
    assert_false(r.chain[1].parsed);
    assert_string_equal(r.subject_cn, "server.test");
    assert_false(r.chain_checked);
    assert_false(r.incomplete_chain || r.untrusted);
    assert_true(r.hostname_checked);
    assert_false(r.hostname_mismatch);

    /* Trailing bytes after a valid certificate are not one certificate. */
    struct cert_chain e = {0};
    uint8_t *buf = malloc(i.der_len + 1);
    memcpy(buf, i.der, i.der_len);
    buf[i.der_len] = 0;
    add_raw(&e, buf, i.der_len + 1);
    x509_analyze_chain(st, &e, true, NULL, T_2027 * US, &r);
    assert_true(r.malformed);
    assert_false(r.leaf_parsed);
    free(buf);
    free(d.der);
    free(e.der);
    free(i.der);
    x509_stage_free(st);
}

static void test_cache_and_pem(void **state)
{
    (void)state;
    struct x509_stage *st = stage("root-ca.pem", true);
    struct cert_chain c = {0};
    add_pem(&c, "server-rsa-chain.pem");
    struct x509_cache_stats s;
    x509_analyze_chain(st, &c, true, "server.test", T_2027 * US, &r);
    x509_analyze_chain(st, &c, true, "server.test", (T_2027 + 23 * 3600) * US, &r);
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.lookups, 2);
    assert_int_equal(s.hits, 1);
    /* Same day, but the exact second still drives the expiry count. */
    assert_int_equal(r.days_to_expiry, 7259);
    assert_non_null(r.pem);
    assert_memory_equal(r.pem, "-----BEGIN CERTIFICATE-----\n", 28);
    const char *second = r.pem + strlen(r.pem) + 1;
    assert_memory_equal(second, "-----BEGIN CERTIFICATE-----\n", 28);
    assert_non_null(strstr(r.pem, "-----END CERTIFICATE-----\n"));
    assert_string_equal(second + strlen(second) + 1, "");
    /* Another SNI is the same entry, its name checked again; another day
     * is another entry. */
    x509_analyze_chain(st, &c, true, "other.test", T_2027 * US, &r);
    assert_true(r.hostname_mismatch);
    x509_analyze_chain(st, &c, true, "server.test", (T_2027 + 86400) * US, &r);
    assert_false(r.hostname_mismatch);
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.entries, 2);
    free(c.der);
    x509_stage_free(st);
}

/* A self-signed EC certificate made here: `cn` as subject CN (NULL: none),
 * `san` as subjectAltName in openssl's config syntax (NULL: none), as DER
 * appended to `c`. */
static void add_made_cert(struct cert_chain *c, const char *cn,
                          const char *san)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 19);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(T_2027 - 86400));
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T_2027 + 86400 * 90));
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *)"tlsmon test", -1, -1,
                               0);
    if (cn)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    if (san) {
        X509_EXTENSION *ext =
            X509V3_EXT_nconf_nid(NULL, NULL, NID_subject_alt_name, san);
        assert_non_null(ext);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    add_raw(c, der, (uint32_t)len);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
}

struct name_case {
    const char *host;
    bool checked, mismatch;
};

/* Every host against one chain: the first lookup analyzes it, all the
 * others are cache hits whose name check reads the names the entry kept. */
static void check_names(struct cert_chain *c, const struct name_case *cases,
                        size_t n)
{
    struct x509_stage *st = stage("root-ca.pem", false);
    for (size_t i = 0; i < n; i++) {
        x509_analyze_chain(st, c, true, cases[i].host, T_2027 * US, &r);
        assert_int_equal(r.hostname_checked, cases[i].checked);
        if (r.hostname_mismatch != cases[i].mismatch)
            fail_msg("%s: mismatch %d, want %d",
                     cases[i].host ? cases[i].host : "(none)",
                     r.hostname_mismatch, cases[i].mismatch);
    }
    struct x509_cache_stats s;
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.lookups, n);
    assert_int_equal(s.hits, n - 1);
    assert_int_equal(s.entries, 1);
    x509_stage_free(st);
    free(c->der);
}

static void test_name_check_wildcard(void **state)
{
    (void)state;
    struct cert_chain c = {0};
    add_pem(&c, "server-wildcard-chain.pem");
    const struct name_case cases[] = {
        {"a.wild.test", true, false},
        {"B.Wild.Test.", true, false},  /* case, one trailing dot */
        {"wild.test", true, true},      /* the wildcard needs a label */
        {"x.y.wild.test", true, true},  /* one label, never two */
        {"a.wild.test.evil", true, true},
        {"127.0.0.1", true, true},      /* an IP never matches a DNS name */
        {NULL, false, false},
        {"zz.wild.test", true, false},
    };
    check_names(&c, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_name_check_ip(void **state)
{
    (void)state;
    struct cert_chain c = {0};
    add_pem(&c, "server-ip-chain.pem");
    const struct name_case cases[] = {
        {"127.0.0.1", true, false},
        {"::1", true, false},
        {"[::1]", true, false},
        {"0:0:0:0:0:0:0:1", true, false},
        {"127.0.0.2", true, true},
        {"::2", true, true},
        /* The CN spells the address, but only iPAddress SANs count. */
        {"localhost", true, true},
    };
    check_names(&c, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_name_check_cn(void **state)
{
    (void)state;
    /* No SAN: the CN stands in, wildcard rules and all. */
    struct cert_chain only_cn = {0};
    add_made_cert(&only_cn, "*.cn-only.test", NULL);
    const struct name_case cn_cases[] = {
        {"a.cn-only.test", true, false},
        {"cn-only.test", true, true},
        {"b.cn-only.test", true, false},
        {"other.test", true, true},
    };
    check_names(&only_cn, cn_cases, sizeof(cn_cases) / sizeof(cn_cases[0]));

    /* A DNS SAN present: the CN is never used. */
    struct cert_chain with_san = {0};
    add_made_cert(&with_san, "cn.test", "DNS:san.test");
    const struct name_case san_cases[] = {
        {"san.test", true, false},
        {"cn.test", true, true},
    };
    check_names(&with_san, san_cases,
                sizeof(san_cases) / sizeof(san_cases[0]));

    /* Only an IP SAN: no DNS SAN, so a DNS name falls back to the CN. */
    struct cert_chain ip_san = {0};
    add_made_cert(&ip_san, "ip-cn.test", "IP:192.0.2.7");
    const struct name_case ip_cases[] = {
        {"ip-cn.test", true, false},
        {"192.0.2.7", true, false},
        {"192.0.2.8", true, true},
    };
    check_names(&ip_san, ip_cases, sizeof(ip_cases) / sizeof(ip_cases[0]));

    /* No CN and no SAN: nothing matches. */
    struct cert_chain nameless = {0};
    add_made_cert(&nameless, NULL, NULL);
    const struct name_case none[] = {{"server.test", true, true},
                                     {"a.test", true, true}};
    check_names(&nameless, none, sizeof(none) / sizeof(none[0]));
}

/* The leaf of server-future-chain.pem ends at 2028-12-21T23:58:48Z: valid
 * up to that second included, expired from the next, and the path verdict
 * follows it within the day the entry is cached for. */
#define FUTURE_NOT_AFTER 1861055928ULL

static void test_expiry_day_boundary(void **state)
{
    (void)state;
    struct x509_stage *st = stage("root-ca.pem", false);
    struct cert_chain c = {0};
    add_pem(&c, "server-future-chain.pem");
    struct x509_cache_stats s;

    x509_analyze_chain(st, &c, true, "server.test",
                       (FUTURE_NOT_AFTER - 3600) * US, &r);
    assert_false(r.expired);
    assert_int_equal(r.verify_code, 0);
    assert_int_equal(r.days_to_expiry, 0);
    x509_analyze_chain(st, &c, true, "server.test", FUTURE_NOT_AFTER * US,
                       &r);
    assert_false(r.expired);
    assert_int_equal(r.verify_code, 0);
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.hits, 1);

    /* One second later, the same day: expired, and OpenSSL says so too
     * (the entry's verdict held only until then). */
    x509_analyze_chain(st, &c, true, "server.test",
                       (FUTURE_NOT_AFTER + 1) * US, &r);
    assert_true(r.expired);
    assert_int_equal(r.days_to_expiry, -1);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_false(r.untrusted);
    assert_false(r.hostname_mismatch);
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.entries, 1);
    x509_analyze_chain(st, &c, true, "www.server.test",
                       (FUTURE_NOT_AFTER + 60) * US, &r);
    assert_true(r.expired);
    assert_true(r.hostname_mismatch);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_HAS_EXPIRED);

    /* The next day is another entry, with the same verdicts. */
    x509_analyze_chain(st, &c, true, "server.test",
                       (FUTURE_NOT_AFTER + 120) * US, &r);
    assert_true(r.expired);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_false(r.hostname_mismatch);
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.lookups, 5);
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.entries, 2);
    free(c.der);
    x509_stage_free(st);
}

/* A stage with --emit-certificates whose cache holds `cache_bytes` and
 * charges `budget`. */
static struct x509_stage *charged_stage(uint64_t cache_bytes,
                                        struct memcap *budget)
{
    struct x509_config cfg = {
        .emit_pem = true, .cache_bytes = cache_bytes, .memcap = budget};
    return root_stage(&cfg);
}

/* The cache stays within its bytes: entries are evicted oldest first, and
 * a chain bigger than all of them is analyzed for its record alone. */
static void test_cache_bytes(void **state)
{
    (void)state;
    struct memcap budget = {0};
    struct x509_stage *st = charged_stage(40000, &budget);
    const char *chains[] = {"server-rsa-chain.pem", "server-ecdsa-chain.pem",
                            "other-name-chain.pem", "server-wildcard-chain.pem",
                            "server-ip-chain.pem"};
    struct x509_cache_stats s;
    for (size_t round = 0; round < 2; round++)
        for (size_t i = 0; i < 5; i++) {
            struct cert_chain c = {0};
            add_pem(&c, chains[i]);
            x509_analyze_chain(st, &c, true, "server.test", T_2027 * US, &r);
            assert_true(r.chain_checked);
            assert_non_null(r.pem);
            x509_stage_cache_stats(st, &s);
            assert_true(s.bytes <= 40000u);
            /* Every chain fits: nothing held beside the cache and the
             * decoded certificates' cache. */
            assert_int_equal(budget.used, s.bytes + s.cert_bytes);
            free(c.der);
        }
    assert_true(s.evictions > 0);
    assert_true(s.entries >= 1 && s.entries < 5);
    x509_stage_free(st);
    assert_int_equal(budget.used, 0);

    /* Room for the table alone: every chain goes through uncached. */
    st = charged_stage(4096, &budget);
    struct cert_chain c = {0};
    add_pem(&c, "server-wildcard-chain.pem");
    for (size_t i = 0; i < 2; i++) {
        x509_analyze_chain(st, &c, true, "a.wild.test", T_2027 * US, &r);
        assert_false(r.hostname_mismatch);
        assert_false(r.untrusted);
        assert_non_null(r.pem);
    }
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.hits, 0);
    assert_int_equal(s.entries, 0);
    assert_true(s.bytes <= 4096u);
    assert_true(budget.used > s.bytes); /* the record's chain */
    free(c.der);
    x509_stage_free(st);
    assert_int_equal(budget.used, 0);
}

static void test_cache_bounded(void **state)
{
    (void)state;
    struct x509_config cfg = {0};
    char file[600];
    snprintf(file, sizeof(file), "%s", cert_path("root-ca.pem"));
    cfg.ca_file = file;
    cfg.cache_entries = 2;
    struct x509_stage *st = x509_stage_new(&cfg);
    struct cert_chain c = {0};
    add_pem(&c, "server-rsa-chain.pem");
    for (uint64_t d = 0; d < 5; d++)
        x509_analyze_chain(st, &c, true, "server.test",
                           (T_2027 + d * 86400) * US, &r);
    struct x509_cache_stats s;
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.entries, 2);
    assert_int_equal(s.hits, 0);
    assert_int_equal(r.days_to_expiry, 7256);
    free(c.der);
    x509_stage_free(st);
}

/* --emit-certificates: the PEM texts the cache keeps are bounded (4 MiB)
 * however large and many the chains; a chain past that still gets its PEM,
 * made for its record alone. */
static void test_pem_cache_bounded(void **state)
{
    (void)state;
    struct memcap budget = {0};
    struct x509_stage *st = charged_stage(4u << 20, &budget);
    enum { DER = 100000, CHAINS = 100 };
    struct cert_chain c = {0};
    c.der = malloc(DER);
    assert_non_null(c.der);
    memset(c.der, 0x30, DER);
    c.der_len = DER;
    c.n_certs = 1;
    c.n_certs_total = 1;
    c.certs[0].off = 0;
    c.certs[0].len = DER;
    c.seen = true;
    struct x509_cache_stats s;
    for (int i = 0; i < CHAINS; i++) {
        c.der[1] = (uint8_t)i; /* another chain each time */
        c.der[2] = (uint8_t)(i >> 8);
        x509_analyze_chain(st, &c, true, "server.test", T_2027 * US, &r);
        assert_non_null(r.pem);
        assert_memory_equal(r.pem, "-----BEGIN CERTIFICATE-----\n", 28);
        x509_stage_cache_stats(st, &s);
        assert_true(s.bytes <= 4u << 20);
        /* The cache and the record's own (loose) chains, all charged. */
        assert_true(budget.used >= s.bytes && budget.used <= s.bytes +
                    2 * (sizeof(struct cert_result) + DER + 140000 + 4096));
    }
    /* About 137 KB of PEM and 100 KB of DER each: about 17 fit. */
    assert_true(s.pem_bytes > (2u << 20));
    assert_true(s.evictions > 50);
    free(c.der);
    x509_stage_free(st);
    assert_int_equal(budget.used, 0);
}

static void test_handshake(void **state)
{
    (void)state;
    static struct handshake h;
    static struct handshake_report h_report;
    struct x509_stage *st = stage("root-ca.pem", false);
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    h.sh.seen = true;
    h.sh.version = TLS_V_1_3;
    h.sh.ts_us = T_2027 * US;
    h.ch.has_sni = true;
    strcpy(h.ch.sni, "server.test");
    x509_analyze_handshake(st, &h, h.report);
    assert_true(h.report->server_cert.analyzed);
    assert_false(h.report->server_cert.visible);
    assert_false(h.report->server_cert.hostname_checked ||
                 h.report->server_cert.untrusted);
    assert_false(h.report->client_cert.analyzed);

    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    h.sh.seen = true;
    h.sh.version = TLS_V_1_2;
    h.sh.ts_us = T_2027 * US;
    h.ch.has_sni = true;
    strcpy(h.ch.sni, "other.test");
    add_pem(&h.server_certs, "server-rsa-chain.pem");
    struct handshake_rare rare;
    add_pem(&handshake_attach_rare(&h, &rare)->client_certs,
            "server-ecdsa-chain.pem");
    x509_analyze_handshake(st, &h, h.report);
    assert_true(h.report->server_cert.visible &&
                h.report->server_cert.hostname_mismatch);
    assert_true(h.report->client_cert.visible);
    assert_false(h.report->client_cert.hostname_checked);
    /* A server certificate is the wrong purpose for a client. */
    assert_true(h.report->client_cert.untrusted);
    assert_int_equal(h.report->client_cert.verify_code,
                     X509_V_ERR_INVALID_PURPOSE);
    free(h.server_certs.der);
    free(rare.client_certs.der);
    x509_stage_free(st);
}

/* A stapled response for the chain's leaf with `status`, signed by the
 * intermediate CA as a responder would. */
static void make_staple(const struct cert_chain *c, int status,
                        struct ocsp_staple *out)
{
    const unsigned char *p = c->der + c->certs[0].off;
    X509 *leaf = d2i_X509(NULL, &p, c->certs[0].len);
    p = c->der + c->certs[1].off;
    X509 *issuer = d2i_X509(NULL, &p, c->certs[1].len);
    FILE *fp = fopen(cert_path("intermediate-ca.key"), "r");
    assert_non_null(fp);
    EVP_PKEY *key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(key);
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
    ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)T_2027);
    assert_non_null(OCSP_basic_add1_status(
        bs, id, status, status == V_OCSP_CERTSTATUS_REVOKED ? 1 : -1,
        status == V_OCSP_CERTSTATUS_REVOKED ? now : NULL, now, NULL));
    assert_int_equal(OCSP_basic_sign(bs, issuer, key, EVP_sha256(), NULL,
                                     OCSP_NOCERTS), 1);
    OCSP_RESPONSE *resp =
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    unsigned char *der = NULL;
    int len = i2d_OCSP_RESPONSE(resp, &der);
    assert_true(len > 0);
    memset(out, 0, sizeof(*out));
    out->seen = true;
    out->status_type = 1;
    out->der_len = (uint32_t)len;
    out->der = malloc((size_t)len);
    memcpy(out->der, der, (size_t)len);
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    ASN1_TIME_free(now);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    EVP_PKEY_free(key);
    X509_free(issuer);
    X509_free(leaf);
}

/* The OCSP answer is cached by the staple and the two certificates it
 * names: the same staple again is a hit with the same answer, another
 * staple for the same leaf is not, and the cache stays within its size. */
static void test_ocsp_cache(void **state)
{
    (void)state;
    static struct handshake h;
    static struct handshake_report h_report;
    struct x509_config cfg = {0};
    cfg.cache_entries = 2;
    struct x509_stage *st = x509_stage_new(&cfg);
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    h.sh.seen = true;
    h.sh.version = TLS_V_1_2;
    h.sh.ts_us = T_2027 * US;
    add_pem(&h.server_certs, "server-rsa-chain.pem");
    struct ocsp_staple good, revoked, unknown;
    make_staple(&h.server_certs, V_OCSP_CERTSTATUS_GOOD, &good);
    make_staple(&h.server_certs, V_OCSP_CERTSTATUS_REVOKED, &revoked);
    make_staple(&h.server_certs, V_OCSP_CERTSTATUS_UNKNOWN, &unknown);

    const struct {
        struct ocsp_staple *staple;
        enum ocsp_cert_status want;
    } seq[] = {
        {&good, OCSP_CERT_GOOD},       {&good, OCSP_CERT_GOOD},
        {&revoked, OCSP_CERT_REVOKED}, {&good, OCSP_CERT_GOOD},
        {&unknown, OCSP_CERT_UNKNOWN}, {&revoked, OCSP_CERT_REVOKED},
    };
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        h.ocsp = *seq[i].staple;
        x509_analyze_handshake(st, &h, h.report);
        assert_true(h.report->ocsp_result.parsed);
        assert_int_equal(h.report->ocsp_result.cert_status, seq[i].want);
        assert_int_equal(h.report->ocsp_result.reason,
                         seq[i].want == OCSP_CERT_REVOKED ? 1 : -1);
    }
    struct x509_cache_stats s;
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.ocsp_lookups, 6);
    /* good, good (hit), revoked, good (hit), unknown evicts revoked,
     * revoked again a miss. */
    assert_int_equal(s.ocsp_hits, 2);

    /* A leaf with a trailing byte is malformed to the certificate stage:
     * the staple is not matched against it either. */
    static struct handshake bad;
    static struct handshake_report bad_report;
    memset(&bad, 0, sizeof(bad));
    handshake_attach_report(&bad, &bad_report);
    bad.sh = h.sh;
    const struct cert_chain *c = &h.server_certs;
    uint8_t *leaf = malloc(c->certs[0].len + 1);
    memcpy(leaf, c->der + c->certs[0].off, c->certs[0].len);
    leaf[c->certs[0].len] = 0;
    add_raw(&bad.server_certs, leaf, c->certs[0].len + 1);
    add_raw(&bad.server_certs, c->der + c->certs[1].off, c->certs[1].len);
    bad.ocsp = good;
    x509_analyze_handshake(st, &bad, bad.report);
    assert_true(bad.report->ocsp_result.parsed);
    assert_int_equal(bad.report->ocsp_result.cert_status, OCSP_CERT_NONE);
    free(leaf);
    free(bad.server_certs.der);

    /* No staple: nothing read, nothing cached. */
    memset(&h.ocsp, 0, sizeof(h.ocsp));
    x509_analyze_handshake(st, &h, h.report);
    assert_false(h.report->ocsp_result.analyzed);
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.ocsp_lookups, 7);

    free(good.der);
    free(revoked.der);
    free(unknown.der);
    free(h.server_certs.der);
    x509_stage_free(st);
}

/* A chain of the PEM files named, with `extra` (a PEM file, NULL: none)
 * appended `times` times: the intermediate sent twice, a root sent along. */
static void load_chain(struct cert_chain *c, const char *file,
                       const char *extra, int times)
{
    memset(c, 0, sizeof(*c));
    add_pem(c, file);
    for (int i = 0; i < times; i++)
        add_pem(c, extra);
}

/* The verdicts of a chain from a stage that never saw a certificate
 * before: every certificate decoded for it alone. */
static void analyze_cold(const struct cert_chain *c, uint64_t at,
                         struct cert_result *out)
{
    struct x509_stage *st = stage("root-ca.pem", false);
    x509_analyze_chain(st, c, true, "server.test", at * US, out);
    x509_stage_free(st);
}

/* Chains of captures/certs sent as they are, most of them under the test
 * intermediate. */
static const char *const chains_as_sent[] = {
    "server-rsa-chain.pem", "server-ecdsa-chain.pem", "other-name-chain.pem",
    "server-wildcard-chain.pem", "server-ip-chain.pem",
    "server-expired-chain.pem", "server-future-chain.pem",
    "server-sha1-chain.pem", "server-rsa1024-chain.pem",
    "server-under-sha1-chain.pem", "big-chain.pem",
    "root-then-intermediate.pem"};

/* Chains that share the test intermediate (and some the root), through one
 * stage: from the second on, the intermediate is the decoded one the cache
 * kept, and every verdict and fact is what a cold stage says. A second
 * round on the next day (another chain cache key) reuses every certificate
 * above the leaf. */
static void test_cert_cache_same_results(void **state)
{
    (void)state;
    /* Three more chains: a certificate added (`extra`, `times` times). */
    static struct {
        const char *file, *extra;
        int times;
    } chains[ARRAY_LEN(chains_as_sent) + 3] = {
        [ARRAY_LEN(chains_as_sent)] =
            {"server-rsa-chain.pem", "root-ca.pem", 1},
        {"server-ecdsa-chain.pem", "intermediate-ca.pem", 1},
        {"server-rsa-chain.pem", "intermediate-ca.pem", 2},
    };
    for (size_t i = 0; i < ARRAY_LEN(chains_as_sent); i++)
        chains[i].file = chains_as_sent[i];
    struct x509_stage *st = stage("root-ca.pem", false);
    static struct cert_result cold, warm;
    struct x509_cache_stats s;
    for (uint64_t day = 0; day < 2; day++)
        for (size_t i = 0; i < ARRAY_LEN(chains); i++) {
            struct cert_chain c;
            load_chain(&c, chains[i].file, chains[i].extra, chains[i].times);
            uint64_t at = T_2027 + day * 86400;
            analyze_cold(&c, at, &cold);
            x509_analyze_chain(st, &c, true, "server.test", at * US, &warm);
            if (memcmp(&cold, &warm, sizeof(cold)) != 0)
                fail_msg("%s (+%d): cached certificates changed the result "
                         "on day %d", chains[i].file, chains[i].times,
                         (int)day);
            free(c.der);
        }
    x509_stage_cache_stats(st, &s);
    assert_int_equal(s.hits, 0); /* every chain analyzed anew */
    /* 20 certificates above a leaf a day; 5 distinct (the intermediate,
     * the SHA-1 one, two big-chain CAs, the root), each decoded once. An
     * intermediate sent twice in a chain is decoded again for its second
     * place (3 a day): one object per place, as before. */
    assert_int_equal(s.cert_lookups, 40);
    assert_int_equal(s.cert_entries, 5);
    assert_int_equal(s.cert_hits, 40 - 5 - 2 * 3);
    x509_stage_free(st);
}

/* The decoded certificates' cache keeps what it was told and no more, and
 * two certificates that share a bucket (two entries: one bucket) are told
 * apart by their bytes. Each chain is the leaf and a CA made for it (a key
 * of its own: another DER each); a new day each pass, so that the chain
 * cache does not answer for them. */
static void test_cert_cache_bounded(void **state)
{
    (void)state;
    enum { MADE = 10 };
    struct memcap budget = {0};
    struct x509_config cfg = {0};
    char file[600];
    snprintf(file, sizeof(file), "%s", cert_path("root-ca.pem"));
    cfg.ca_file = file;
    cfg.cert_cache_entries = 2;
    cfg.memcap = &budget;
    struct x509_stage *st = x509_stage_new(&cfg);
    assert_non_null(st);
    struct cert_chain chains[MADE];
    char cn[32];
    for (int i = 0; i < MADE; i++) {
        memset(&chains[i], 0, sizeof(chains[i]));
        add_pem(&chains[i], "server-rsa.pem");
        snprintf(cn, sizeof(cn), "made CA %d", i);
        add_made_cert(&chains[i], cn, NULL);
    }
    static struct cert_result cold;
    struct x509_cache_stats s;
    uint64_t full_bytes = 0, day = 0;
    /* Past the capacity, twice over; then two CAs in turn, both kept. */
    int order[3 * MADE];
    for (int i = 0; i < 2 * MADE; i++)
        order[i] = i % MADE;
    for (int i = 2 * MADE; i < 3 * MADE; i++)
        order[i] = 2 + i % 2;
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        struct cert_chain *c = &chains[order[k]];
        uint64_t at = T_2027 + day++ * 86400;
        analyze_cold(c, at, &cold);
        x509_analyze_chain(st, c, true, "server.test", at * US, &r);
        if (memcmp(&cold, &r, sizeof(r)) != 0)
            fail_msg("chain %d (pass %zu): not its own certificate's result",
                     order[k], k);
        snprintf(cn, sizeof(cn), "made CA %d", order[k]);
        assert_string_equal(r.chain[1].subject_cn, cn);
        x509_stage_cache_stats(st, &s);
        assert_true(s.cert_entries <= 2);
        if (s.cert_entries == 2 && !full_bytes)
            full_bytes = s.cert_bytes;
        /* Every made CA has the same size, give or take a byte or two. */
        if (full_bytes)
            assert_true(s.cert_bytes <= full_bytes + 64);
        assert_int_equal(budget.used, s.bytes + s.cert_bytes);
        if (k == 2 * MADE - 1) {
            assert_int_equal(s.cert_hits, 0); /* each pushed out in time */
            assert_int_equal(s.cert_evictions, 2 * MADE - 2);
        }
    }
    /* The last ten: the first two decoded, the other eight found. */
    assert_int_equal(s.cert_hits, MADE - 2);
    assert_int_equal(s.cert_lookups, 3 * MADE);
    for (int i = 0; i < MADE; i++)
        free(chains[i].der);
    x509_stage_free(st);
    assert_int_equal(budget.used, 0);
}

/* A certificate for the lazily loaded store's tests: `cn` as subject,
 * issued by `issuer` (NULL: self-signed) with `issuer_key`; key
 * identifiers tell same-named issuers apart. */
static X509 *made_ca_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                          EVP_PKEY *issuer_key, bool ca)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(uintptr_t)key & 0xffff);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(T_2027 - 86400));
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T_2027 + 86400 * 90));
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
                                   : X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    const struct {
        int nid;
        const char *value;
    } exts[] = {
        {NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid"},
        {NID_subject_alt_name, ca ? NULL : "DNS:lazy.test"},
    };
    for (size_t i = 0; i < ARRAY_LEN(exts); i++) {
        if (!exts[i].value || (!issuer && exts[i].nid ==
                                              NID_authority_key_identifier))
            continue;
        X509_EXTENSION *ext =
            X509V3_EXT_nconf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        assert_non_null(ext);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
    return x;
}

static void add_x509(struct cert_chain *c, X509 *x)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 0);
    add_raw(c, der, (uint32_t)len);
    OPENSSL_free(der);
}

/* The CA file's certificates enter the store when a chain names them: every
 * one of a name (two roots called the same, the second the issuer) and the
 * ones above a certificate of the file that is not self-signed. Two stages
 * of one configuration share the store, which outlives the first freed. */
static void test_lazy_store(void **state)
{
    (void)state;
    EVP_PKEY *k_a1 = EVP_EC_gen("P-256"), *k_a2 = EVP_EC_gen("P-256");
    EVP_PKEY *k_y = EVP_EC_gen("P-256"), *k_x = EVP_EC_gen("P-256");
    EVP_PKEY *k_leaf = EVP_EC_gen("P-256");
    X509 *a1 = made_ca_cert("Root A", k_a1, NULL, k_a1, true);
    X509 *a2 = made_ca_cert("Root A", k_a2, NULL, k_a2, true);
    X509 *y = made_ca_cert("Root Y", k_y, NULL, k_y, true);
    X509 *x = made_ca_cert("Cross X", k_x, y, k_y, true);
    X509 *leaf_a = made_ca_cert("lazy.test", k_leaf, a2, k_a2, false);
    X509 *leaf_x = made_ca_cert("lazy.test", k_leaf, x, k_x, false);

    char file[] = "/tmp/tlsmon-lazy-ca-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    X509 *in_file[] = {a1, x, a2, y};
    for (size_t i = 0; i < ARRAY_LEN(in_file); i++)
        assert_true(PEM_write_X509(fp, in_file[i]));
    fclose(fp);

    struct x509_config cfg = {0};
    cfg.ca_file = file;
    struct x509_stage *one = x509_stage_new(&cfg);
    struct x509_stage *two = x509_stage_new(&cfg);
    assert_non_null(one);
    assert_non_null(two);
    struct cert_chain ca = {0}, cx = {0}, cbad = {0};
    add_x509(&ca, leaf_a);
    add_x509(&cx, leaf_x);
    /* Issued in A1's name, signed by another key: a bad signature. */
    X509 *leaf_bad = made_ca_cert("lazy.test", k_leaf, a1, k_y, false);
    add_x509(&cbad, leaf_bad);

    x509_analyze_chain(one, &ca, true, "lazy.test", T_2027 * US, &r);
    assert_true(r.chain_checked);
    assert_false(r.untrusted);
    assert_false(r.incomplete_chain);
    x509_stage_free(one);
    x509_analyze_chain(two, &cx, true, "lazy.test", T_2027 * US, &r);
    assert_true(r.chain_checked);
    assert_false(r.untrusted);
    assert_false(r.incomplete_chain);
    x509_analyze_chain(two, &cbad, true, "lazy.test", T_2027 * US, &r);
    assert_true(r.untrusted);
    assert_int_equal(r.verify_code, X509_V_ERR_CERT_SIGNATURE_FAILURE);
    x509_stage_free(two);
    unlink(file);

    free(ca.der);
    free(cx.der);
    free(cbad.der);
    X509 *all[] = {a1, a2, y, x, leaf_a, leaf_x, leaf_bad};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        X509_free(all[i]);
    EVP_PKEY *keys[] = {k_a1, k_a2, k_y, k_x, k_leaf};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        EVP_PKEY_free(keys[i]);
}

/* The link between a kept intermediate and its store root is checked for
 * the first chain through it only; a bad signature on such a link is never
 * remembered, and is reported for every chain that carries it. */
static void test_link_reuse(void **state)
{
    (void)state;
    EVP_PKEY *k_root = EVP_EC_gen("P-384"), *k_int = EVP_EC_gen("P-256");
    EVP_PKEY *k_other = EVP_EC_gen("P-256"), *k_leaf = EVP_EC_gen("P-256");
    X509 *root = made_ca_cert("Link Root", k_root, NULL, k_root, true);
    X509 *inter = made_ca_cert("Link Int", k_int, root, k_root, true);
    X509 *forged = made_ca_cert("Link Int", k_int, root, k_other, true);
    char file[] = "/tmp/tlsmon-link-ca-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    assert_true(PEM_write_X509(fp, root));
    fclose(fp);
    struct x509_config cfg = {0};
    cfg.ca_file = file;
    struct x509_stage *st = x509_stage_new(&cfg);
    assert_non_null(st);
    struct x509_cache_stats s;
    for (int i = 0; i < 6; i++) {
        /* Leaves differ (a new key each), so every chain is new. */
        EVP_PKEY *k = EVP_EC_gen("P-256");
        X509 *leaf = made_ca_cert("lazy.test", k, i < 3 ? inter : forged,
                                  k_int, false);
        struct cert_chain c = {0};
        add_x509(&c, leaf);
        add_x509(&c, i < 3 ? inter : forged);
        x509_analyze_chain(st, &c, true, "lazy.test", T_2027 * US, &r);
        assert_true(r.chain_checked);
        if (i < 3) {
            assert_false(r.untrusted);
            assert_int_equal(r.verify_code, X509_V_OK);
        } else {
            assert_true(r.untrusted);
            assert_int_equal(r.verify_code,
                             X509_V_ERR_CERT_SIGNATURE_FAILURE);
        }
        x509_stage_cache_stats(st, &s);
        assert_int_equal(s.links_reused, i < 3 ? (uint64_t)i : 2);
        free(c.der);
        X509_free(leaf);
        EVP_PKEY_free(k);
    }
    x509_stage_free(st);
    unlink(file);
    X509_free(root);
    X509_free(inter);
    X509_free(forged);
    EVP_PKEY *keys[] = {k_root, k_int, k_other, k_leaf};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        EVP_PKEY_free(keys[i]);
}

static void test_bad_ca_file(void **state)
{
    (void)state;
    struct x509_config cfg = {0};
    cfg.ca_file = "/nonexistent/ca.pem";
    assert_null(x509_stage_new(&cfg));
}

/* ---- verdicts shared by the workers' stages ---- */

static struct x509_stage *sharing_stage(struct x509_shared *sh, bool pem)
{
    struct x509_config cfg = {.emit_pem = pem, .shared = sh};
    return root_stage(&cfg);
}

/* A chain one stage analyzed is copied to another, verdicts, names and
 * PEM as that stage would have made them; another second of the same day
 * is still a copy, another day is analyzed anew. */
static void test_shared_verdicts(void **state)
{
    (void)state;
    struct x509_shared *sh = x509_shared_new(0, 0);
    assert_non_null(sh);
    struct x509_stage *a = sharing_stage(sh, true);
    struct x509_stage *b = sharing_stage(sh, true);
    struct x509_stage *alone = stage("root-ca.pem", true);
    struct cert_chain c = {0};
    add_pem(&c, "server-rsa-chain.pem");
    struct cert_result mine, copied;
    x509_analyze_chain(alone, &c, true, "other.test", T_2027 * US, &mine);
    x509_analyze_chain(a, &c, true, "server.test", T_2027 * US, &r);
    x509_analyze_chain(b, &c, true, "other.test", (T_2027 + 3600) * US,
                       &copied);
    struct x509_cache_stats s;
    x509_stage_cache_stats(b, &s);
    assert_int_equal(s.shared_hits, 1);
    assert_int_equal(s.hits, 0);
    assert_true(copied.chain_checked && copied.hostname_mismatch);
    assert_int_equal(copied.verify_code, mine.verify_code);
    assert_int_equal(copied.untrusted, mine.untrusted);
    assert_true(copied.not_after == mine.not_after);
    assert_string_equal(copied.subject, mine.subject);
    assert_string_equal(copied.sha256, mine.sha256);
    assert_non_null(copied.pem);
    assert_string_equal(copied.pem, mine.pem);
    /* Its own copy now: a hit in b's cache, not the shared one. */
    x509_analyze_chain(b, &c, true, "server.test", T_2027 * US, &copied);
    x509_stage_cache_stats(b, &s);
    assert_int_equal(s.shared_hits, 1);
    assert_int_equal(s.hits, 1);
    assert_false(copied.hostname_mismatch);
    /* Another day: analyzed by b itself, and shared from then on. */
    x509_analyze_chain(b, &c, true, "server.test", (T_2027 + 86400) * US,
                       &copied);
    x509_analyze_chain(a, &c, true, "server.test", (T_2027 + 86400) * US, &r);
    x509_stage_cache_stats(b, &s);
    assert_int_equal(s.shared_hits, 1);
    x509_stage_cache_stats(a, &s);
    assert_int_equal(s.shared_hits, 1);
    free(c.der);
    x509_stage_free(alone);
    x509_stage_free(a);
    x509_stage_free(b);
    x509_shared_free(sh);
}

/* A stage whose first chain is another's copy reads the verdicts that
 * need its own trust store as the other does: against the system bundle,
 * whether the bundle is over a year newer than the capture. */
static void test_shared_verdicts_system_store(void **state)
{
    (void)state;
    struct x509_shared *sh = x509_shared_new(0, 0);
    assert_non_null(sh);
    struct x509_config cfg = {.shared = sh};
    struct x509_stage *a = x509_stage_new(&cfg);
    struct x509_stage *b = x509_stage_new(&cfg);
    assert_non_null(a);
    assert_non_null(b);
    struct cert_chain c = {0};
    add_pem(&c, "server-rsa-chain.pem");
    struct cert_result mine, copied;
    uint64_t at = 946684800; /* 2000-01-01: the bundle is newer */
    x509_analyze_chain(a, &c, true, "server.test", at * US, &mine);
    x509_analyze_chain(b, &c, true, "server.test", at * US, &copied);
    struct x509_cache_stats s;
    x509_stage_cache_stats(b, &s);
    assert_int_equal(s.shared_hits, 1);
    assert_true(mine.trust_store_newer);
    assert_true(copied.trust_store_newer);
    assert_false(copied.custom_trust);
    free(c.der);
    x509_stage_free(a);
    x509_stage_free(b);
    x509_shared_free(sh);
}

/* Bounded: with room for one chain, the older one is pushed out and a
 * stage that asks for it analyzes it itself. */
static void test_shared_verdicts_bounded(void **state)
{
    (void)state;
    struct x509_shared *sh = x509_shared_new(1, 0);
    assert_non_null(sh);
    struct x509_stage *a = sharing_stage(sh, false);
    struct x509_stage *b = sharing_stage(sh, false);
    struct cert_chain c = {0}, d = {0};
    add_pem(&c, "server-rsa-chain.pem");
    add_pem(&d, "other-name-chain.pem");
    x509_analyze_chain(a, &c, true, "server.test", T_2027 * US, &r);
    x509_analyze_chain(a, &d, true, "server.test", T_2027 * US, &r);
    x509_analyze_chain(b, &c, true, "server.test", T_2027 * US, &r);
    struct x509_cache_stats s;
    x509_stage_cache_stats(b, &s);
    assert_int_equal(s.shared_hits, 0);
    assert_true(r.chain_checked);
    x509_analyze_chain(b, &d, true, "server.test", T_2027 * US, &r);
    x509_stage_cache_stats(b, &s);
    assert_int_equal(s.shared_hits, 0); /* c, analyzed by b, took d's place */
    free(c.der);
    free(d.der);
    x509_stage_free(a);
    x509_stage_free(b);
    x509_shared_free(sh);
}

/* ---- the subject reader of CA files (der_subject.c) ---- */

/* Its subject as OpenSSL decodes the whole certificate. */
static void assert_subject_of(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    X509_NAME *name = der_subject(der, len);
    assert_non_null(name);
    assert_int_equal(X509_NAME_cmp(name, X509_get_subject_name(x)), 0);
    X509_NAME_free(name);
    X509_free(x);
}

/* Every certificate of every PEM file of captures/certs: the subject read
 * alone is the one OpenSSL finds decoding the certificate. */
static void test_der_subject_all_certs(void **state)
{
    (void)state;
    assert_true(each_committed_cert(certs_dir, assert_subject_of) >= 20);
}

/* A certificate cut short at every length, each cut in a buffer of its
 * own size (the sanitizers see a read past it): the outer SEQUENCE then
 * claims more than there is, so no subject. One byte more than the
 * certificate is not read. */
static void assert_no_subject(const unsigned char *der, size_t len)
{
    assert_null(der_subject(der, len));
}

static void test_der_subject_truncated(void **state)
{
    (void)state;
    long full;
    unsigned char *der = committed_cert_der(cert_path("server-rsa.pem"), &full);
    each_cut(der, (size_t)full, assert_no_subject);
    assert_null(der_subject(NULL, 0));
    unsigned char *longer = malloc((size_t)full + 1);
    assert_non_null(longer);
    memcpy(longer, der, (size_t)full);
    longer[full] = 0x30;
    assert_subject_of(longer, (size_t)full + 1);
    free(longer);
    OPENSSL_free(der);
}

/* A v1 certificate has no [0] version: its subject is the fifth element
 * of the tbsCertificate, not the sixth. */
static void test_der_subject_v1(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    assert_int_equal(X509_get_version(x), X509_VERSION_1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T_2027);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T_2027 + 86400));
    X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"v1 issuer", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"v1 subject", -1, -1,
                               0);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    assert_true(len > 8);
    /* Into the certificate and its tbsCertificate: the serial's INTEGER
     * comes first. */
    const unsigned char *p = der;
    long n;
    int tag, cls;
    for (int depth = 0; depth < 2; depth++) {
        assert_int_equal(ASN1_get_object(&p, &n, &tag, &cls, len - (p - der)),
                         V_ASN1_CONSTRUCTED);
        assert_int_equal(tag, V_ASN1_SEQUENCE);
    }
    assert_int_equal(*p, V_ASN1_INTEGER);
    assert_subject_of(der, (size_t)len);
    X509_NAME *name = der_subject(der, (size_t)len);
    char cn[32];
    assert_int_equal(X509_NAME_get_text_by_NID(name, NID_commonName, cn,
                                               sizeof(cn)),
                     10);
    assert_string_equal(cn, "v1 subject");
    X509_NAME_free(name);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* The outer length written in four bytes is read; in five (which OpenSSL
 * reads, skipping the leading zeros) it is refused: then the CA file is
 * read whole by OpenSSL. */
static void test_der_subject_long_length(void **state)
{
    (void)state;
    long full;
    unsigned char *der = committed_cert_der(cert_path("server-rsa.pem"), &full);
    assert_int_equal(der[0], 0x30);
    assert_int_equal(der[1], 0x82); /* two length bytes */
    size_t content = (size_t)full - 4;
    for (size_t width = 4; width <= 5; width++) {
        size_t len = 2 + width + content;
        unsigned char *wide = calloc(1, len);
        assert_non_null(wide);
        wide[0] = 0x30;
        wide[1] = (unsigned char)(0x80 | width);
        wide[2 + width - 2] = der[2];
        wide[2 + width - 1] = der[3];
        memcpy(wide + 2 + width, der + 4, content);
        X509_NAME *name = der_subject(wide, len);
        if (width == 4) {
            assert_subject_of(wide, len);
        } else {
            assert_null(name);
            const unsigned char *p = wide;
            X509 *x = d2i_X509(NULL, &p, (long)len);
            assert_non_null(x); /* OpenSSL reads it: the refusal is ours */
            X509_free(x);
        }
        X509_NAME_free(name);
        free(wide);
    }
    OPENSSL_free(der);
}

/* A serial number whose tag is written in two bytes, with a name hidden
 * in its bytes (the fuzz seed made by make-seeds.py): OpenSSL reads the
 * serial and the real subject; read as a one-byte tag and a length, the
 * hidden name would pass for the subject. The reader refuses it. */
static void test_der_subject_multibyte_tag(void **state)
{
    (void)state;
    char path[700];
    snprintf(path, sizeof(path),
             "%s/../../tests/fuzz/corpus/der_subject/e6d379eeac40efd1",
             certs_dir);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char der[4096];
    size_t len = fread(der, 1, sizeof(der), fp);
    fclose(fp);
    assert_true(len > 0 && len < sizeof(der));
    assert_non_null(memmem(der, len, "hidden", 6));
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x); /* OpenSSL reads it, with another subject */
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
    assert_null(strstr(subject, "hidden"));
    X509_free(x);
    assert_null(der_subject(der, len));
}

int main(void)
{
    const char *root = getenv("TLSMON_SOURCE_ROOT");
    if (root) {
        snprintf(certs_dir, sizeof(certs_dir), "%s/captures/certs", root);
    } else {
        /* __FILE__ ends in tests/unit/test_x509.c. */
        snprintf(certs_dir, sizeof(certs_dir), "%s", __FILE__);
        char *cut = strstr(certs_dir, "tests/unit/test_x509.c");
        if (cut)
            strcpy(cut, "captures/certs");
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_chain_facts),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_hostname),
        cmocka_unit_test(test_ecdsa),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_self_signed),
        cmocka_unit_test(test_incomplete_and_unknown),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_cache_and_pem),
        cmocka_unit_test(test_cache_bounded),
        cmocka_unit_test(test_pem_cache_bounded),
        cmocka_unit_test(test_name_check_wildcard),
        cmocka_unit_test(test_name_check_ip),
        cmocka_unit_test(test_name_check_cn),
        cmocka_unit_test(test_expiry_day_boundary),
        cmocka_unit_test(test_cache_bytes),
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_ocsp_cache),
        cmocka_unit_test(test_cert_cache_same_results),
        cmocka_unit_test(test_cert_cache_bounded),
        cmocka_unit_test(test_lazy_store),
        cmocka_unit_test(test_link_reuse),
        cmocka_unit_test(test_bad_ca_file),
        cmocka_unit_test(test_shared_verdicts),
        cmocka_unit_test(test_shared_verdicts_bounded),
        cmocka_unit_test(test_shared_verdicts_system_store),
        cmocka_unit_test(test_der_subject_all_certs),
        cmocka_unit_test(test_der_subject_truncated),
        cmocka_unit_test(test_der_subject_v1),
        cmocka_unit_test(test_der_subject_long_length),
        cmocka_unit_test(test_der_subject_multibyte_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
