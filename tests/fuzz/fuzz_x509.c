/* fuzz_x509.c — libFuzzer target for the certificate stage: arbitrary bytes
 * become a DER chain (first byte: host name choice; then 2-byte length
 * prefixed certificates) analyzed at a fixed capture time. Beyond "no
 * crash", it checks that no fact or verdict is claimed for what OpenSSL did
 * not parse, that every string is terminated within its buffer, and that
 * each certificate decodes in tlsmon's own context (cert_decode.c) as
 * d2i_X509 decodes it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "dissectors/cert_decode.h"
#include "dissectors/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

#define TERMINATED(a) CHECK(memchr((a), '\0', sizeof(a)) != NULL)

static struct x509_stage *st;

static void check(const struct cert_chain *c, const struct cert_result *r)
{
    CHECK(r->analyzed && r->visible);
    CHECK(r->sans.n <= HS_MAX_SANS && r->sans.n <= r->sans.total);
    CHECK(r->n_summaries == c->n_certs);
    TERMINATED(r->subject);
    TERMINATED(r->issuer);
    TERMINATED(r->subject_cn);
    TERMINATED(r->issuer_cn);
    TERMINATED(r->serial);
    TERMINATED(r->key_alg);
    TERMINATED(r->curve);
    TERMINATED(r->sig_alg);
    TERMINATED(r->sha256);
    TERMINATED(r->sha1);
    TERMINATED(r->verify_error);
    CHECK(r->n_ocsp_urls <= HS_MAX_URLS && r->n_crl_urls <= HS_MAX_URLS &&
          r->n_ca_issuers_urls <= HS_MAX_URLS);
    for (unsigned i = 0; i < r->n_ocsp_urls; i++)
        TERMINATED(r->ocsp_urls[i]);
    for (unsigned i = 0; i < r->n_ca_issuers_urls; i++)
        TERMINATED(r->ca_issuers_urls[i]);
    for (unsigned i = 0; i < r->n_crl_urls; i++)
        TERMINATED(r->crl_urls[i]);
    /* Extension facts only come from a parsed leaf. */
    if (!r->leaf_parsed)
        CHECK(!r->leaf_ca && !r->wrong_purpose && !r->has_eku &&
              !r->has_key_usage && r->n_ocsp_urls == 0);
    for (unsigned i = 0; i < r->sans.n; i++)
        TERMINATED(r->sans.v[i].text);
    bool all = c->n_certs > 0;
    for (unsigned i = 0; i < r->n_summaries; i++) {
        TERMINATED(r->chain[i].subject_cn);
        TERMINATED(r->chain[i].sig_alg);
        all &= r->chain[i].parsed;
    }
    CHECK(r->malformed == !all);
    if (!r->leaf_parsed) {
        /* Nothing is said about a leaf OpenSSL could not read. */
        CHECK(!r->chain[0].parsed || c->n_certs == 0);
        CHECK(!r->subject[0] && !r->sha256[0] && !r->sans.n);
        CHECK(!r->times_checked && !r->hostname_checked);
        CHECK(!r->expired && !r->not_yet_valid && !r->self_signed);
        CHECK(!r->hostname_mismatch && !r->validity_too_long);
    } else {
        CHECK(strlen(r->sha256) == 64 && strlen(r->sha1) == 40);
    }
    if (!r->chain_checked) {
        CHECK(!r->untrusted && !r->incomplete_chain && !r->chain_out_of_order);
        CHECK(r->verify_code == 0 && !r->verify_error[0]);
    } else {
        CHECK(!r->malformed && r->verify_error[0]);
        CHECK(r->untrusted || r->verify_code == 0 ||
              r->verify_code == 9 || r->verify_code == 10);
    }
    if (r->times_checked) {
        CHECK(!(r->expired && r->not_yet_valid) ||
              r->not_after < r->not_before);
    }
    /* The 2026 facts: bounded lists, a maximum only when there is a
     * lifetime, no trust verdict beside "cannot verify here". */
    CHECK(r->n_sct_logs <= HS_MAX_SCT_LOGS && r->n_sct_logs <= r->n_scts);
    CHECK(r->has_scts || (r->n_scts == 0 && !r->sct_earliest_us));
    CHECK(r->leaf_parsed || !r->has_scts);
    CHECK(r->n_distrusted_by <= HS_MAX_DISTRUST);
    CHECK(!r->validity_too_long || r->max_lifetime_days > 0);
    CHECK(r->lifetime_left_pct >= -1 && r->lifetime_left_pct <= 100);
    CHECK(!r->renewal_overdue || (r->times_checked && !r->expired));
    TERMINATED(r->unverifiable_alg);
    if (r->signature_unverifiable) {
        CHECK(r->unverifiable_alg[0] != '\0');
        CHECK(!r->untrusted && !r->incomplete_chain && r->verify_code == 0);
        CHECK(!r->chain_checked ||
              strncmp(r->verify_error, "cannot verify here", 18) == 0);
    }
}

/* The same certificate or none either way: the same encoding and key. */
static void check_decoding(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *want = d2i_X509(NULL, &p, (long)len);
    if (want && p != der + len) {
        X509_free(want);
        want = NULL;
    }
    X509 *got = cert_decode(der, len);
    CHECK(!want == !got);
    if (want && got) {
        unsigned char *a = NULL, *b = NULL;
        int la = i2d_X509(want, &a), lb = i2d_X509(got, &b);
        CHECK(la == lb && (la <= 0 || memcmp(a, b, (size_t)la) == 0));
        OPENSSL_free(a);
        OPENSSL_free(b);
        EVP_PKEY *ka = X509_get0_pubkey(want), *kb = X509_get0_pubkey(got);
        CHECK(!ka == !kb && (!ka || EVP_PKEY_eq(ka, kb) == 1));
    }
    X509_free(want);
    X509_free(got);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!st) {
        struct x509_config cfg = {0};
        cfg.ca_file = getenv("TLSMON_FUZZ_CA"); /* NULL: system bundle */
        cfg.cache_entries = 4;
        cfg.cert_cache_entries = 2; /* evictions and a shared bucket */
        cfg.emit_pem = true;
        st = x509_stage_new(&cfg);
        if (!st)
            abort();
    }
    static const char *hosts[] = {NULL, "server.test", "*.test",
                                  "192.0.2.1", "a.b.c.d.example.com."};
    if (size < 1)
        return 0;
    const char *host = hosts[data[0] % 5];
    uint64_t at = (uint64_t)(1500000000 + (data[0] * 86400ULL * 30)) *
                  1000000ULL;

    struct cert_chain c = {0};
    c.seen = true;
    c.der = malloc(size ? size : 1);
    size_t pos = 1;
    while (pos + 2 <= size && c.n_certs < HS_MAX_CERTS) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        memcpy(c.der + c.der_len, data + pos, len);
        c.certs[c.n_certs].off = c.der_len;
        c.certs[c.n_certs].len = (uint32_t)len;
        c.der_len += (uint32_t)len;
        c.n_certs++;
        pos += len;
    }
    c.n_certs_total = c.n_certs;
    for (size_t i = 0; i < c.n_certs; i++)
        check_decoding(c.der + c.certs[i].off, c.certs[i].len);

    struct cert_result r;
    x509_analyze_chain(st, &c, data[0] & 0x80, host, at, &r);
    check(&c, &r);
    CHECK(r.pem != NULL);
    /* A second look must come from the cache and say the same. */
    struct cert_result again;
    x509_analyze_chain(st, &c, data[0] & 0x80, host, at, &again);
    CHECK(again.pem == r.pem);
    r.pem = again.pem = NULL;
    CHECK(memcmp(&r, &again, sizeof(r)) == 0);
    free(c.der);
    return 0;
}
