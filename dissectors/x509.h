/* x509.h — the certificate stage: parses the certificate chains a handshake
 * carried (OpenSSL libcrypto) and decides the certificate verdicts at the
 * capture time, against a configured trust store. Each distinct chain is
 * parsed and verified once per day of capture time (a cache bounded in
 * entries and bytes); the name check runs per handshake against the leaf
 * names that cache keeps. The certificates above the leaf, which thousands
 * of chains share, are decoded once while a second bounded cache keeps
 * them, with whether their store root's key verified them. */
#ifndef TLSMON_X509_H
#define TLSMON_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"

struct distrust_table;
struct memcap;

struct x509_config {
    const char *ca_file;    /* replace the system bundle with this file */
    const char *ca_path;    /* ... or this hashed directory (c_rehash) */
    bool emit_pem;          /* keep the chain as PEM for the record */
    size_t cache_entries;   /* chains kept at most; 0: default (16384) */
    uint64_t cache_bytes;   /* bytes the chain cache may hold, its table,
                               certificates, names, verdicts and PEM
                               included; 0: default (64 MiB) */
    /* Decoded certificates above the leaf kept at most; 0: default (256).
     * Their bytes: an eighth of cache_bytes, 4 MiB at most. */
    size_t cert_cache_entries;
    struct memcap *memcap;  /* charged with all of it; NULL: not charged */
    /* Browsers' distrust dates (distrust.h); NULL: none. Not owned; it
     * must outlive the stage. */
    const struct distrust_table *distrust;
    /* Verdicts shared with the other stages of this configuration (the
     * workers'); NULL: none. Not owned; it must outlive the stage. */
    struct x509_shared *shared;
};

/* Verdicts shared by the workers' certificate stages. Each stage keeps its
 * own cache of chains; a chain another stage has already parsed and
 * verified is copied from here rather than analyzed again (flows are
 * shared out by host pair, and a popular chain reaches every worker).
 * Holds at most `max_entries` chains (0: 16384) and `max_bytes` of them,
 * the least recently used pushed out; thread-safe. Stages sharing one must
 * have the same configuration, as their verdicts stand for each other's. */
struct x509_shared;
struct x509_shared *x509_shared_new(size_t max_entries, uint64_t max_bytes);
void x509_shared_free(struct x509_shared *sh);

#define X509_SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct x509_stage;

/* NULL when the configured CA file or directory cannot be loaded (a message
 * goes to stderr). The system bundle is loaded on first use. Stages of the
 * same CA settings (the workers') share one trust store, thread-safely. */
struct x509_stage *x509_stage_new(const struct x509_config *cfg);
void x509_stage_free(struct x509_stage *st);

/* Analyze one chain as the `server` (or client) side sent it. `host` is the
 * SNI to check the leaf against (NULL: no check); `at_us` the capture time. */
void x509_analyze_chain(struct x509_stage *st, const struct cert_chain *chain,
                        bool server, const char *host, uint64_t at_us,
                        struct cert_result *out);

/* Fill the report's server_cert, client_cert and ocsp_result from the
 * record's chains and staple. TLS 1.3 certificates are encrypted:
 * visible=false and no verdicts, unless a key log opened them. */
void x509_analyze_handshake(struct x509_stage *st, const struct handshake *h,
                            struct handshake_report *out);

/* Cache counters, for tests and stats. */
struct x509_cache_stats {
    uint64_t lookups, hits, entries;  /* certificate chains */
    uint64_t evictions;               /* chains pushed out by the bounds */
    uint64_t bytes;                   /* what the chain cache holds */
    uint64_t ocsp_lookups, ocsp_hits; /* stapled OCSP responses */
    uint64_t pem_bytes;               /* PEM text held (cached or for the
                                         record being decided) */
    /* Decoded certificates above the leaf: looked up, found, kept, pushed
     * out, and the bytes charged for them (their table included). */
    uint64_t cert_lookups, cert_hits, cert_entries, cert_evictions;
    uint64_t cert_bytes;
    /* Signatures of kept intermediates by a store certificate that were
     * not checked again: the same link verified for an earlier chain. */
    uint64_t links_reused;
    /* Chains this stage had not seen, copied from the shared verdicts. */
    uint64_t shared_hits;
};
void x509_stage_cache_stats(const struct x509_stage *st,
                            struct x509_cache_stats *out);

#endif
