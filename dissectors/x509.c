/* x509.c — the certificate stage: turns the DER chains a handshake carried
 * into certificate facts and verdicts, with OpenSSL doing all ASN.1 and path
 * building. Verdicts are taken at the capture time, never this machine's
 * clock. Each verdict is computed as often as what it depends on changes:
 * parsing and path verification once per (chain, day) in a bounded cache;
 * the name check once per handshake, against the leaf's names kept in that
 * cache (a wildcard certificate serves thousands of SNIs); the validity
 * period per second. The certificates above the leaf are decoded once while
 * a second cache keeps them: thousands of leaves share a few intermediates,
 * whose signatures by their store root are checked once too. One trust
 * store serves every stage of the process, its roots decoded on demand, and
 * the workers' stages share the chains they verified (x509_shared). */
#include "x509.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "age_list.h"
#include "array_len.h"
#include "cert_decode.h"
#include "der_subject.h"
#include "digest.h"
#include "memcap.h"
#include "distrust.h"
#include "escape.h"
#include "hex.h"
#include "hostname.h"
#include "ocsp.h"
#include "x509_ext.h"

#define DEFAULT_CACHE_ENTRIES 16384
#define DEFAULT_CACHE_BYTES (64u << 20)
#define OCSP_CACHE_ENTRIES 256
#define DEFAULT_CERT_CACHE_ENTRIES 256
#define CERT_CACHE_BYTES_MAX (4u << 20)
/* What OpenSSL 3.0 allocates for a decoded certificate beside its DER,
 * as an upper bound: 4.4 to 7.2 KB measured for RSA and EC certificates of
 * 0.8 to 1.6 KB (the public key decoded, the extensions cached). */
#define DECODED_CERT_COST(der_len) (4096u + 2u * (uint64_t)(der_len))
#define DAY 86400LL

/* CA/Browser Forum Baseline Requirements §6.3.2 (ballots SC31 and SC-081):
 * the longest validity a TLS server certificate may have, by the day it was
 * issued (its notBefore). */
static const struct {
    int64_t from;
    int32_t days;
} max_validity[] = {
    {1598918400LL, 398}, /* 2020-09-01 */
    {1773532800LL, 200}, /* 2026-03-15 */
    {1805068800LL, 100}, /* 2027-03-15 */
    {1868227200LL, 47},  /* 2029-03-15 */
};

/* Automated renewal (ACME clients, the CAs' own guidance for short-lived
 * certificates) replaces a certificate with a third of its lifetime left;
 * a year-long one is due a month before, as monitors have always said. */
#define RENEWAL_SHARE 3
#define RENEWAL_WINDOW_MAX (30 * DAY)

/* Post-quantum signature algorithms by OID (NIST CSOR sigAlgs arc; FIPS
 * 204 and 205), named even when this OpenSSL does not know them. */
static const struct {
    const char *oid, *name;
} pq_algorithms[] = {
    {"2.16.840.1.101.3.4.3.17", "ML-DSA-44"},
    {"2.16.840.1.101.3.4.3.18", "ML-DSA-65"},
    {"2.16.840.1.101.3.4.3.19", "ML-DSA-87"},
    {"2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s"},
    {"2.16.840.1.101.3.4.3.21", "SLH-DSA-SHA2-128f"},
    {"2.16.840.1.101.3.4.3.22", "SLH-DSA-SHA2-192s"},
    {"2.16.840.1.101.3.4.3.23", "SLH-DSA-SHA2-192f"},
    {"2.16.840.1.101.3.4.3.24", "SLH-DSA-SHA2-256s"},
    {"2.16.840.1.101.3.4.3.25", "SLH-DSA-SHA2-256f"},
    {"2.16.840.1.101.3.4.3.26", "SLH-DSA-SHAKE-128s"},
    {"2.16.840.1.101.3.4.3.27", "SLH-DSA-SHAKE-128f"},
    {"2.16.840.1.101.3.4.3.28", "SLH-DSA-SHAKE-192s"},
    {"2.16.840.1.101.3.4.3.29", "SLH-DSA-SHAKE-192f"},
    {"2.16.840.1.101.3.4.3.30", "SLH-DSA-SHAKE-256s"},
    {"2.16.840.1.101.3.4.3.31", "SLH-DSA-SHAKE-256f"},
    {"2.16.840.1.101.3.4.3.32", "HashML-DSA-44-SHA512"},
    {"2.16.840.1.101.3.4.3.33", "HashML-DSA-65-SHA512"},
    {"2.16.840.1.101.3.4.3.34", "HashML-DSA-87-SHA512"},
};

/* What both caches' entries start with: the least recently used slot is
 * the one reused. */
struct cache_slot {
    bool used;
    uint8_t key[32];
    uint64_t last_use;
};

/* One chain as analyzed on one day: every verdict but the name check, and
 * the leaf's names that check reads. The key (side, day, the certificates'
 * bytes) is compared in full on lookup; the hash only finds the bucket. One
 * allocation holds the entry, the certificates and the names. */
struct chain_entry {
    struct chain_entry *bucket_next;
    struct age_link recency; /* in x509_stage.recency */
    uint64_t hash;
    int64_t day;
    bool server, truncated;
    uint8_t n_certs;
    uint32_t cert_len[HS_MAX_CERTS]; /* UINT32_MAX: out of the DER's bounds */
    const uint8_t *der;              /* the certificates back to back */
    /* The leaf's identifiers (hostname.h): SAN dNSNames that print
     * unescaped, SAN iPAddresses, and whether the subject CN may stand in
     * for them. names_usable is false when the SAN extension is there but
     * does not decode: then no name can be trusted, not even the CN. */
    bool names_usable, cn_usable;
    const char *const *dns;
    size_t n_dns;
    const struct hostname_ip *ips;
    size_t n_ips;
    char *pem;                       /* --emit-certificates, own allocation */
    size_t pem_len;
    size_t size;                     /* the allocation: entry, names, DER */
    uint64_t cost;                   /* what the entry holds, in bytes */
    /* The seconds in which the path verdict holds (struct time_span): a
     * certificate that expires at noon is another verdict after it. */
    int64_t valid_from, valid_until;
    struct cert_result result;       /* hostname_* not filled */
};

/* A certificate sent above some leaf, decoded: on a real network thousands
 * of leaves share a few intermediates (and the roots some servers send
 * along), and decoding one, its public key above all, costs more than the
 * rest of a new chain's analysis. Found by a hash of its bytes, compared in
 * full; the entry holds one reference, each chain using it another. */
struct decoded_cert {
    struct decoded_cert *bucket_next;
    struct age_link recency; /* in x509_stage.cert_recency */
    uint64_t hash;
    X509 *x509;
    /* A trust store certificate whose key verified this one's signature
     * (one reference), or NULL: the link between a shared intermediate and
     * its root is checked once, not once per leaf (verify_links). */
    X509 *verified_by;
    uint32_t der_len;
    int8_t self_signed; /* summarize's answer; -1: not yet asked */
    uint8_t der[];
};

/* What a decoded certificate holds, the entry and its bytes included. */
static uint64_t decoded_cost(uint32_t der_len)
{
    return memcap_cost(sizeof(struct decoded_cert) + der_len) +
           DECODED_CERT_COST(der_len);
}

/* A server staples the same OCSP response to every handshake for hours;
 * decoding it and the two certificates it names costs more than the rest of
 * the handshake, so the answer is kept by the bytes it depends on. */
struct ocsp_entry {
    struct cache_slot slot;
    struct ocsp_result result;
};

/* Verdicts the workers' stages share (x509.h): copies of their chain
 * entries in a table like a stage's cache, under one lock. */
struct x509_shared {
    pthread_mutex_t lock;
    uint64_t seed; /* every sharing stage hashes chains with it */
    struct chain_entry **buckets;
    size_t n_buckets; /* a power of two */
    struct age_list recency;
    size_t entries, max_entries;
    uint64_t bytes, max_bytes;
};

struct x509_stage {
    struct x509_config cfg;
    struct trust_store *trust; /* shared with the other stages */
    bool store_tried;
    /* The chain cache: a hash table over a recency list, bounded by entry
     * count and by bytes (the buckets included), the least recently used
     * entry evicted first. */
    struct chain_entry **buckets;
    size_t n_buckets;                /* a power of two */
    struct age_list recency;
    size_t max_entries;
    uint64_t max_bytes, bytes;
    uint64_t hash_seed;
    /* An analysis the cache could not keep (too big for its bytes), per
     * side: valid for the record being decided, freed at the next one. */
    struct chain_entry *loose[2];
    uint64_t pem_bytes;         /* PEM text held, loose entries included */
    struct cert_result scratch; /* a new chain's analysis, before packing */
    struct ocsp_entry *ocsp_cache;
    size_t n_ocsp_cache;
    /* The decoded certificates above the leaf: a hash table over a recency
     * list like the chain cache's, bounded by entries and bytes. */
    struct decoded_cert **cert_buckets;
    size_t n_cert_buckets;           /* a power of two */
    struct age_list cert_recency;
    size_t max_certs;
    uint64_t max_cert_bytes, cert_bytes; /* cert_bytes: the table included */
    EVP_MD_CTX *key_md; /* reused for every cache key: no allocation each */
    uint64_t tick;
    struct x509_cache_stats stats;
};

/* Entries are charged to --memcap when made and released when freed. The
 * charge is forced: the record being decided needs its verdicts, and the
 * pipeline makes room once it is out (memcap_enforce); the cache's own
 * bound keeps what it forces through small. */
static void charge_entry(struct x509_stage *st, const struct chain_entry *e)
{
    memcap_force(st->cfg.memcap, e->cost);
    st->pem_bytes += e->pem_len;
}

static void free_entry(struct x509_stage *st, struct chain_entry *e)
{
    if (!e)
        return;
    memcap_release(st->cfg.memcap, e->cost);
    st->pem_bytes -= e->pem_len;
    free(e->pem);
    free(e);
}

static struct chain_entry *oldest_entry(const struct x509_stage *st)
{
    return AGE_ENTRY(st->recency.oldest, struct chain_entry, recency);
}

static void remove_entry(struct x509_stage *st, struct chain_entry *e)
{
    struct chain_entry **link = &st->buckets[e->hash & (st->n_buckets - 1)];
    while (*link != e)
        link = &(*link)->bucket_next;
    *link = e->bucket_next;
    age_list_unlink(&st->recency, &e->recency);
    st->bytes -= e->cost;
    st->stats.entries--;
    free_entry(st, e);
}

static void evict_oldest(struct x509_stage *st)
{
    st->stats.evictions++;
    remove_entry(st, oldest_entry(st));
}

static void evict_oldest_cert(struct x509_stage *st)
{
    struct decoded_cert *e = AGE_ENTRY(st->cert_recency.oldest,
                                       struct decoded_cert, recency);
    struct decoded_cert **link =
        &st->cert_buckets[e->hash & (st->n_cert_buckets - 1)];
    while (*link != e)
        link = &(*link)->bucket_next;
    *link = e->bucket_next;
    age_list_unlink(&st->cert_recency, &e->recency);
    st->cert_bytes -= decoded_cost(e->der_len);
    st->stats.cert_entries--;
    st->stats.cert_evictions++;
    memcap_release(st->cfg.memcap, decoded_cost(e->der_len));
    X509_free(e->x509);
    X509_free(e->verified_by);
    free(e);
}

/* ---- trust store, one per process ---- */

/* Every worker's stage verifies against the same store: loading it is the
 * dearest step of a run, and OpenSSL 3 lets any number of threads verify
 * against one X509_STORE (each with its own X509_STORE_CTX; the store locks
 * what it changes). The stores are kept by the configuration they came
 * from, shared by the stages that use them and freed with the last.
 *
 * A CA file's certificates enter the store when a chain first names them.
 * X509_STORE_load_file decodes every certificate's public key (OpenSSL 3.0
 * runs its provider decoders for each: ~190 M instructions for the system
 * bundle), while a capture's chains end at a handful of roots. The file is
 * read at once (a bad one fails as before) and each certificate's subject
 * decoded; a certificate itself is decoded when a chain about to be
 * verified names it. OpenSSL asks a store for certificates only by subject
 * name (the issuer of each certificate on the path it builds), so a store
 * holding every certificate of each name the chain can ask for answers as
 * the whole file would. */
struct pending_cert {
    X509_NAME *subject;
    unsigned char *der;
    long len;
    bool added;
};

struct trust_store {
    struct trust_store *next;
    char *ca_file, *ca_path; /* as configured; both NULL: system bundle */
    X509_STORE *store;
    int64_t system_mtime;    /* seconds; 0 with --ca-file/--ca-path */
    size_t users;
    struct pending_cert *pending; /* the file's certificates, in its order */
    size_t n_pending, n_left;     /* n_left: not yet in the store */
};

static pthread_mutex_t trust_lock = PTHREAD_MUTEX_INITIALIZER;
static struct trust_store *trust_stores; /* under trust_lock */

static void free_pending(struct pending_cert *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        X509_NAME_free(p[i].subject);
        OPENSSL_free(p[i].der);
    }
    free(p);
}

/* The file's certificates by subject, none decoded. False when the file
 * holds anything else (a CRL, a TRUSTED CERTIFICATE, headers) or none: then
 * X509_STORE_load_file reads it whole as before. */
static bool read_pending(struct trust_store *t, const char *file)
{
    BIO *bio = BIO_new_file(file, "r");
    if (!bio)
        return false;
    struct pending_cert *v = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long len = 0;
        if (!PEM_read_bio(bio, &name, &header, &der, &len)) {
            unsigned long err = ERR_peek_last_error();
            ok = ERR_GET_LIB(err) == ERR_LIB_PEM &&
                 ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
            break;
        }
        bool plain = !strcmp(name, "CERTIFICATE") && !header[0];
        OPENSSL_free(name);
        OPENSSL_free(header);
        X509_NAME *subject =
            plain && len >= 0 ? der_subject(der, (size_t)len) : NULL;
        if (subject && n == cap) {
            cap = cap ? 2 * cap : 64;
            struct pending_cert *bigger = realloc(v, cap * sizeof(*v));
            if (!bigger) {
                X509_NAME_free(subject);
                subject = NULL;
            } else {
                v = bigger;
            }
        }
        if (!subject) {
            OPENSSL_free(der);
            ok = false;
            break;
        }
        v[n++] = (struct pending_cert){subject, der, len, false};
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!ok || n == 0) {
        free_pending(v, n);
        return false;
    }
    t->pending = v;
    t->n_pending = t->n_left = n;
    return true;
}

/* A file's certificates into the store now, or when chains name them. */
static bool add_file(struct trust_store *t, const char *file, bool lazy)
{
    if (lazy && read_pending(t, file))
        return true;
    return X509_STORE_load_file(t->store, file) == 1;
}

static void trust_free(struct trust_store *t)
{
    if (!t)
        return;
    X509_STORE_free(t->store);
    free_pending(t->pending, t->n_pending);
    free(t->ca_file);
    free(t->ca_path);
    free(t);
}

static struct trust_store *trust_open(const struct x509_config *cfg)
{
    struct trust_store *t = calloc(1, sizeof(*t));
    if (!t || !(t->store = X509_STORE_new()) ||
        (cfg->ca_file && !(t->ca_file = strdup(cfg->ca_file))) ||
        (cfg->ca_path && !(t->ca_path = strdup(cfg->ca_path)))) {
        trust_free(t);
        return NULL;
    }
    bool ok = true;
    if (cfg->ca_file || cfg->ca_path) {
        /* With a directory too, the file goes in whole: the directory's
         * lookup answers only names the store does not hold yet. */
        if (cfg->ca_file && !add_file(t, cfg->ca_file, !cfg->ca_path)) {
            fprintf(stderr, "tlsmon: cannot load CA file %s\n", cfg->ca_file);
            ok = false;
        }
        if (ok && cfg->ca_path &&
            !X509_STORE_load_path(t->store, cfg->ca_path)) {
            fprintf(stderr, "tlsmon: cannot use CA directory %s\n",
                    cfg->ca_path);
            ok = false;
        }
    } else if (add_file(t, X509_SYSTEM_BUNDLE, true)) {
        /* The bundle's date: roots removed since an old capture was made
         * make chains its clients accepted look untrusted today. */
        struct stat sb;
        if (stat(X509_SYSTEM_BUNDLE, &sb) == 0)
            t->system_mtime = (int64_t)sb.st_mtime;
    } else {
        /* No bundle where Debian keeps it: OpenSSL's compiled-in default.
         * An empty store still works; every chain is then untrusted. */
        X509_STORE_set_default_paths(t->store);
    }
    ERR_clear_error();
    if (!ok) {
        trust_free(t);
        return NULL;
    }
    return t;
}

static bool same_setting(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* The store for this configuration, loaded by the first stage to ask; NULL
 * when it cannot be loaded (a message went to stderr). */
static struct trust_store *trust_get(const struct x509_config *cfg)
{
    pthread_mutex_lock(&trust_lock);
    struct trust_store *t = trust_stores;
    while (t && !(same_setting(t->ca_file, cfg->ca_file) &&
                  same_setting(t->ca_path, cfg->ca_path)))
        t = t->next;
    if (!t && (t = trust_open(cfg)) != NULL) {
        t->next = trust_stores;
        trust_stores = t;
    }
    if (t)
        t->users++;
    pthread_mutex_unlock(&trust_lock);
    return t;
}

static void trust_put(struct trust_store *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&trust_lock);
    if (--t->users == 0) {
        struct trust_store **link = &trust_stores;
        while (*link != t)
            link = &(*link)->next;
        *link = t->next;
        trust_free(t);
    }
    pthread_mutex_unlock(&trust_lock);
}

/* Puts every pending certificate whose subject is `name` into the store,
 * and those that issued them. Same-named certificates go in file order
 * (OpenSSL tries them in the order they came): a call made for another
 * name on the way adds the rest of this name's in that order too. Under
 * trust_lock. */
static void add_named(struct trust_store *t, const X509_NAME *name)
{
    for (size_t i = 0; i < t->n_pending && t->n_left; i++) {
        struct pending_cert *p = &t->pending[i];
        if (p->added || X509_NAME_cmp(p->subject, name) != 0)
            continue;
        p->added = true;
        t->n_left--;
        const unsigned char *der = p->der;
        X509 *x = d2i_X509(NULL, &der, p->len);
        if (!x)
            continue;
        X509_STORE_add_cert(t->store, x);
        if (X509_NAME_cmp(X509_get_issuer_name(x), name) != 0)
            add_named(t, X509_get_issuer_name(x));
        X509_free(x);
    }
    ERR_clear_error();
}

/* Before a chain is verified: the store certificates its path can reach. */
static void trust_prepare(struct trust_store *t, X509 **certs, size_t n)
{
    pthread_mutex_lock(&trust_lock);
    for (size_t i = 0; i < n && t->n_left; i++) {
        add_named(t, X509_get_issuer_name(certs[i]));
        add_named(t, X509_get_subject_name(certs[i]));
    }
    pthread_mutex_unlock(&trust_lock);
}

static bool load_store(struct x509_stage *st)
{
    if (!st->store_tried) {
        st->store_tried = true;
        st->trust = trust_get(&st->cfg);
    }
    return st->trust != NULL;
}

struct x509_stage *x509_stage_new(const struct x509_config *cfg)
{
    struct x509_stage *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->cfg = *cfg;
    st->max_entries = cfg->cache_entries ? cfg->cache_entries
                                         : DEFAULT_CACHE_ENTRIES;
    st->max_bytes = cfg->cache_bytes ? cfg->cache_bytes : DEFAULT_CACHE_BYTES;
    /* About one bucket per entry that can fit. */
    size_t fit = st->max_bytes / sizeof(struct chain_entry);
    size_t want = fit < st->max_entries ? fit : st->max_entries;
    st->n_buckets = 16;
    while (st->n_buckets < want && st->n_buckets < (1u << 20))
        st->n_buckets <<= 1;
    st->buckets = calloc(st->n_buckets, sizeof(*st->buckets));
    st->bytes = memcap_cost(st->n_buckets * sizeof(*st->buckets));
    memcap_force(cfg->memcap, st->bytes);
    /* Chains come from the traffic: a seed nobody outside knows keeps a
     * sender from filling one bucket on purpose. */
    if (cfg->shared)
        st->hash_seed = cfg->shared->seed; /* its keys are the stage's */
    else if (getrandom(&st->hash_seed, sizeof(st->hash_seed),
                       GRND_NONBLOCK) != (ssize_t)sizeof(st->hash_seed))
        st->hash_seed = (uint64_t)(uintptr_t)st ^ (uint64_t)time(NULL);
    st->n_ocsp_cache = cfg->cache_entries && cfg->cache_entries <
                       OCSP_CACHE_ENTRIES ? cfg->cache_entries
                                          : OCSP_CACHE_ENTRIES;
    st->ocsp_cache = calloc(st->n_ocsp_cache, sizeof(*st->ocsp_cache));
    st->max_certs = cfg->cert_cache_entries ? cfg->cert_cache_entries
                                            : DEFAULT_CERT_CACHE_ENTRIES;
    st->max_cert_bytes = st->max_bytes / 8 < CERT_CACHE_BYTES_MAX
                             ? st->max_bytes / 8
                             : CERT_CACHE_BYTES_MAX;
    /* Two entries a bucket on average when full. */
    st->n_cert_buckets = 1;
    while (st->n_cert_buckets * 2 < st->max_certs &&
           st->n_cert_buckets < (1u << 20))
        st->n_cert_buckets <<= 1;
    st->cert_buckets = calloc(st->n_cert_buckets, sizeof(*st->cert_buckets));
    st->cert_bytes = memcap_cost(st->n_cert_buckets *
                                 sizeof(*st->cert_buckets));
    memcap_force(cfg->memcap, st->cert_bytes);
    st->key_md = EVP_MD_CTX_new();
    if (!st->buckets || !st->ocsp_cache || !st->cert_buckets ||
        !st->key_md) {
        x509_stage_free(st);
        return NULL;
    }
    /* A CA the user named must load now, so a typo fails the run at once;
     * the system bundle waits until a chain needs it. */
    if ((cfg->ca_file || cfg->ca_path) && !load_store(st)) {
        x509_stage_free(st);
        return NULL;
    }
    return st;
}

void x509_stage_free(struct x509_stage *st)
{
    if (!st)
        return;
    while (st->recency.oldest)
        evict_oldest(st);
    while (st->cert_recency.oldest)
        evict_oldest_cert(st);
    memcap_release(st->cfg.memcap,
                   memcap_cost(st->n_cert_buckets * sizeof(*st->cert_buckets)));
    free(st->cert_buckets);
    free_entry(st, st->loose[0]);
    free_entry(st, st->loose[1]);
    memcap_release(st->cfg.memcap,
                   memcap_cost(st->n_buckets * sizeof(*st->buckets)));
    free(st->buckets);
    free(st->ocsp_cache);
    EVP_MD_CTX_free(st->key_md);
    trust_put(st->trust);
    free(st);
}

void x509_stage_cache_stats(const struct x509_stage *st,
                            struct x509_cache_stats *out)
{
    *out = st->stats;
    out->bytes = st->bytes;
    out->pem_bytes = st->pem_bytes;
    out->cert_bytes = st->cert_bytes;
}

/* ---- facts of one certificate ---- */

/* Text from a certificate made safe for every output (escape.h's
 * ESCAPE_TEXT). */
static void copy_printable(char *dst, size_t n, const unsigned char *src,
                           size_t len)
{
    escape_bytes(src, len, dst, n, ESCAPE_TEXT);
}

/* The name as an RFC 4514 string, as OpenSSL prints it with its RFC 2253
 * flags: ",+\"\\<>;" and edge spaces escaped with a backslash, and every
 * byte outside printable ASCII (UTF-8 included) as a \XX hex pair, so the
 * text is plain ASCII and means exactly the name. A byte that is not
 * printable anyway (never seen) becomes a hex pair too. Cut to fit at a
 * whole character or escape. */
static void name_rfc4514(X509_NAME *name, char *dst, size_t n)
{
    dst[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        size_t o = 0;
        for (long i = 0; i < len; i++) {
            unsigned char c = (unsigned char)data[i];
            bool plain = c >= 0x20 && c < 0x7f;
            /* An escape goes whole or not at all. */
            size_t need = !plain ? 3 : c == '\\' && i + 1 < len ? 2 : 1;
            if (o + need >= n)
                break;
            if (!plain) {
                dst[o++] = '\\';
                dst[o++] = hex_digit(c >> 4, true);
                dst[o++] = hex_digit(c, true);
                continue;
            }
            dst[o++] = (char)c;
            if (need == 2) {
                unsigned char e = (unsigned char)data[++i];
                bool hex = (e >= '0' && e <= '9') || (e >= 'A' && e <= 'F');
                if (hex && i + 1 < len) { /* \XX: the pair together */
                    if (o + 2 >= n) {
                        o--;
                        break;
                    }
                    dst[o++] = (char)e;
                    dst[o++] = data[++i];
                } else {
                    dst[o++] = (char)e;
                }
            }
        }
        dst[o] = '\0';
    }
    BIO_free(bio);
}

/* The values of one attribute (O, C) of a name, in name order. */
static void name_values(X509_NAME *name, int nid,
                        char out[][HS_NAME_ATTR_LEN], uint8_t *count)
{
    *count = 0;
    int idx = -1;
    while (*count < HS_NAME_ATTRS &&
           (idx = X509_NAME_get_index_by_NID(name, nid, idx)) >= 0) {
        ASN1_STRING *s =
            X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, s);
        if (len < 0)
            continue;
        copy_printable(out[*count], HS_NAME_ATTR_LEN, utf8, (size_t)len);
        OPENSSL_free(utf8);
        if (out[*count][0])
            (*count)++;
    }
}

/* The last CN: the most specific one when a name carries several. Returns
 * false when there is none or it holds a NUL (which could hide a suffix). */
static bool common_name(X509_NAME *name, char *dst, size_t n)
{
    dst[0] = '\0';
    int idx = -1, last = -1;
    while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
        last = idx;
    if (last < 0)
        return false;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len < 0)
        return false;
    copy_printable(dst, n, utf8, (size_t)len);
    bool clean = memchr(utf8, '\0', (size_t)len) == NULL;
    OPENSSL_free(utf8);
    return clean;
}

static bool asn1_time_seconds(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

/* The name of a post-quantum algorithm OID, or NULL. */
static const char *pq_name(const ASN1_OBJECT *obj)
{
    char oid[64];
    if (!obj || OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
        return NULL;
    for (size_t i = 0; i < ARRAY_LEN(pq_algorithms); i++)
        if (strcmp(oid, pq_algorithms[i].oid) == 0)
            return pq_algorithms[i].name;
    return NULL;
}

static void key_facts(X509 *x, char *alg, size_t alg_n, uint16_t *bits,
                      char *curve, size_t curve_n)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);
    alg[0] = '\0';
    *bits = 0;
    if (curve)
        curve[0] = '\0';
    if (!pk) {
        /* A key type this OpenSSL cannot load: name it from the OID. */
        ASN1_OBJECT *obj = NULL;
        ERR_clear_error();
        if (X509_PUBKEY_get0_param(&obj, NULL, NULL, NULL,
                                   X509_get_X509_PUBKEY(x)) &&
            pq_name(obj))
            snprintf(alg, alg_n, "%s", pq_name(obj));
        return;
    }
    const char *name;
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA: name = "RSA"; break;
    case EVP_PKEY_RSA_PSS: name = "RSA-PSS"; break;
    case EVP_PKEY_DSA: name = "DSA"; break;
    case EVP_PKEY_EC: name = "EC"; break;
    case EVP_PKEY_ED25519: name = "Ed25519"; break;
    case EVP_PKEY_ED448: name = "Ed448"; break;
    default: name = "other"; break;
    }
    snprintf(alg, alg_n, "%s", name);
    int b = EVP_PKEY_get_bits(pk);
    if (b > 0 && b < 65536)
        *bits = (uint16_t)b;
    if (curve && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
        size_t got = 0;
        if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
                                            curve, curve_n, &got))
            curve[0] = '\0';
    }
}

static void signature_name(X509 *x, char *dst, size_t n)
{
    int nid = X509_get_signature_nid(x);
    const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
    if (ln) {
        snprintf(dst, n, "%s", ln);
        return;
    }
    const X509_ALGOR *alg;
    const ASN1_OBJECT *obj;
    X509_get0_signature(NULL, &alg, x);
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (pq_name(obj))
        snprintf(dst, n, "%s", pq_name(obj));
    else if (OBJ_obj2txt(dst, (int)n, obj, 1) <= 0)
        dst[0] = '\0';
}

/* Can this OpenSSL check the signature on x at all? ML-DSA and SLH-DSA
 * arrived in OpenSSL 3.5; Debian 12 has 3.0, which knows neither the OIDs
 * nor the keys. */
static bool signature_verifiable(X509 *x)
{
    int md = NID_undef, pk = NID_undef;
    int nid = X509_get_signature_nid(x);
    return nid != NID_undef && OBJ_find_sigid_algs(nid, &md, &pk) &&
           pk != NID_undef;
}

static bool weak_signature(X509 *x)
{
    int md = NID_undef, pk = NID_undef;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
        return false;
    return md == NID_md5 || md == NID_sha1 || md == NID_md4 ||
           md == NID_md2 || md == NID_mdc2;
}

static bool weak_key(const struct cert_summary *s)
{
    if (!s->key_bits)
        return false;
    if (!strcmp(s->key_alg, "RSA") || !strcmp(s->key_alg, "RSA-PSS") ||
        !strcmp(s->key_alg, "DSA"))
        return s->key_bits < 2048;
    if (!strcmp(s->key_alg, "EC"))
        return s->key_bits < 224;
    return false;
}

static bool issues(X509 *issuer, X509 *subject, bool by_name);

/* Self-signed: issuer is subject and its own key verifies it; when this
 * OpenSSL cannot check the signature (a post-quantum one), by names and key
 * identifiers alone. */
static bool is_self_signed(X509 *x)
{
    if (X509_self_signed(x, 1) == 1)
        return true;
    ERR_clear_error();
    return !signature_verifiable(x) && issues(x, x, true);
}

/* `memo`: a decoded certificate's earlier answer to the self-signature
 * check (-1: none yet, filled here), or NULL. A root sent along costs a
 * signature check to answer, and thousands of chains send the same one. */
static void summarize(X509 *x, struct cert_summary *s, int8_t *memo)
{
    s->parsed = true;
    if (memo && *memo >= 0) {
        s->self_signed = *memo;
    } else {
        s->self_signed = is_self_signed(x);
        if (memo)
            *memo = s->self_signed;
    }
    s->is_ca = X509_check_ca(x) != 0;
    common_name(X509_get_subject_name(x), s->subject_cn,
                sizeof(s->subject_cn));
    key_facts(x, s->key_alg, sizeof(s->key_alg), &s->key_bits, NULL, 0);
    signature_name(x, s->sig_alg, sizeof(s->sig_alg));
}

/* SANs for output and for matching. `dns`/`ips` get every usable entry;
 * the record keeps the first HS_MAX_SANS in wire order. Returns false when
 * the extension is there but does not decode: then no name can be trusted,
 * not even the CN. */
static bool collect_sans(X509 *x, struct cert_result *r, char ***dns,
                         size_t *n_dns, struct hostname_ip **ips,
                         size_t *n_ips)
{
    *dns = NULL;
    *ips = NULL;
    *n_dns = *n_ips = 0;
    int crit = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit,
                                           NULL);
    if (!gens)
        return X509_get_ext_by_NID(x, NID_subject_alt_name, -1) < 0;
    int n = sk_GENERAL_NAME_num(gens);
    *dns = calloc((size_t)n + 1, sizeof(char *));
    *ips = calloc((size_t)n + 1, sizeof(struct hostname_ip));
    if (!*dns || !*ips) {
        GENERAL_NAMES_free(gens);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char text[HS_SAN_LEN];
        text[0] = '\0';
        if (g->type == GEN_DNS) {
            const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
            int len = ASN1_STRING_length(g->d.dNSName);
            if (len < 0)
                continue;
            copy_printable(text, sizeof(text), d, (size_t)len);
            /* Only names that survived unescaped are matched. */
            if (strlen(text) == (size_t)len && !strchr(text, '\\'))
                (*dns)[(*n_dns)++] = strdup(text);
        } else if (g->type == GEN_IPADD) {
            const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);
            int len = ASN1_STRING_length(g->d.iPAddress);
            if (len != 4 && len != 16)
                continue;
            struct hostname_ip *ip = &(*ips)[(*n_ips)++];
            ip->len = (uint8_t)len;
            memcpy(ip->addr, d, (size_t)len);
            inet_ntop(len == 4 ? AF_INET : AF_INET6, d, text, sizeof(text));
        } else {
            continue;
        }
        struct san_text *san = HS_LIST_SLOT(r->sans);
        if (san)
            snprintf(san->text, sizeof san->text, "%s", text);
    }
    GENERAL_NAMES_free(gens);
    return true;
}

static void free_sans(char **dns, size_t n_dns, struct hostname_ip *ips)
{
    for (size_t i = 0; i < n_dns; i++)
        free(dns[i]);
    free(dns);
    free(ips);
}

/* The lifetime as the Baseline Requirements count it: notBefore to
 * notAfter inclusive, any part of a day a whole day; and the maximum for
 * the issue date. A self-signed leaf answers to no CA rules. */
static void lifetime_facts(struct cert_result *r)
{
    r->lifetime_left_pct = -1;
    if (!r->times_checked || r->not_after < r->not_before)
        return;
    int64_t secs = r->not_after - r->not_before + 1;
    int64_t days = (secs + DAY - 1) / DAY;
    r->lifetime_days = days > INT32_MAX ? INT32_MAX : (int32_t)days;
    for (size_t i = 0; i < ARRAY_LEN(max_validity); i++)
        if (r->not_before >= max_validity[i].from)
            r->max_lifetime_days = max_validity[i].days;
    if (r->max_lifetime_days && !r->self_signed &&
        secs > (int64_t)r->max_lifetime_days * DAY)
        r->validity_too_long = true;
}


/* The leaf's identifiers as collect_sans read them, until they are packed
 * into the cache entry. */
struct leaf_names {
    bool usable, cn_usable;
    char **dns;
    size_t n_dns;
    struct hostname_ip *ips;
    size_t n_ips;
};

static void leaf_facts(X509 *x, struct cert_result *r,
                       struct leaf_names *names)
{
    r->leaf_parsed = true;
    name_rfc4514(X509_get_subject_name(x), r->subject, sizeof(r->subject));
    name_rfc4514(X509_get_issuer_name(x), r->issuer, sizeof(r->issuer));
    bool cn_clean = common_name(X509_get_subject_name(x), r->subject_cn,
                                sizeof(r->subject_cn));
    common_name(X509_get_issuer_name(x), r->issuer_cn, sizeof(r->issuer_cn));
    name_values(X509_get_subject_name(x), NID_organizationName, r->subject_o,
                &r->n_subject_o);
    name_values(X509_get_issuer_name(x), NID_organizationName, r->issuer_o,
                &r->n_issuer_o);
    name_values(X509_get_subject_name(x), NID_countryName, r->subject_c,
                &r->n_subject_c);
    name_values(X509_get_issuer_name(x), NID_countryName, r->issuer_c,
                &r->n_issuer_c);
    long version = X509_get_version(x);
    r->version_number = version >= 0 && version <= 2 ? (uint8_t)(version + 1)
                                                    : 0;

    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *serial = bn ? BN_bn2hex(bn) : NULL;
    if (serial)
        snprintf(r->serial, sizeof(r->serial), "%s", serial);
    OPENSSL_free(serial);
    BN_free(bn);

    r->times_checked = asn1_time_seconds(X509_get0_notBefore(x),
                                         &r->not_before) &&
                       asn1_time_seconds(X509_get0_notAfter(x),
                                         &r->not_after);
    key_facts(x, r->key_alg, sizeof(r->key_alg), &r->key_bits, r->curve,
              sizeof(r->curve));
    signature_name(x, r->sig_alg, sizeof(r->sig_alg));

    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    /* The digests fetched once (digest.h): EVP_sha256() would look the
     * algorithm up in the provider tables on every call. */
    if (X509_digest(x, digest_sha256(), md, &md_len) && md_len == 32)
        hex_encode(md, 32, r->sha256, true);
    if (X509_digest(x, digest_sha1(), md, &md_len) && md_len == 20)
        hex_encode(md, 20, r->sha1, true);

    names->usable = collect_sans(x, r, &names->dns, &names->n_dns,
                                 &names->ips, &names->n_ips);
    names->cn_usable = cn_clean && r->subject_cn[0];

    r->self_signed = r->chain[0].self_signed; /* summarize asked already */
    lifetime_facts(r);
}

/* ---- chain verdicts ---- */

/* OpenSSL's test needs the issuer's key; a post-quantum key it cannot load
 * fails it even for the right issuer, so such chains are linked by names
 * (and key identifiers when both carry them). */
static bool issues(X509 *issuer, X509 *subject, bool by_name)
{
    if (!by_name)
        return X509_check_issued(issuer, subject) == X509_V_OK;
    if (X509_NAME_cmp(X509_get_subject_name(issuer),
                      X509_get_issuer_name(subject)) != 0)
        return false;
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(issuer);
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(subject);
    return !skid || !akid || ASN1_OCTET_STRING_cmp(skid, akid) == 0;
}

struct verify_log {
    int first_error;
    bool path_error; /* anything but the validity period */
    /* For verify_links: the chain as sent, the cache entries its
     * certificates above the leaf came from (NULL: none), and OpenSSL's own
     * pass it stands in for. */
    X509 *const *certs;
    struct decoded_cert *const *entries;
    size_t n;
    int64_t at;
    X509_STORE_CTX_verify_fn openssl_verify;
    uint64_t *links_reused; /* the stage's counter */
};

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    if (!ok) {
        struct verify_log *log = X509_STORE_CTX_get_app_data(ctx);
        int err = X509_STORE_CTX_get_error(ctx);
        if (log) {
            if (!log->first_error)
                log->first_error = err;
            if (err != X509_V_ERR_CERT_HAS_EXPIRED &&
                err != X509_V_ERR_CERT_NOT_YET_VALID)
                log->path_error = true;
        }
    }
    /* Go on past every error so that one run sees them all; the first is
     * the one `openssl verify` would report. */
    return 1;
}

/* The cache entry a link's subject came from, when its issuer is a trust
 * store certificate (not one of those sent): store certificates live as
 * long as the store, so the issuer's address names it for the entry's
 * life. NULL otherwise. */
static struct decoded_cert *link_entry(const struct verify_log *log, X509 *xs,
                                       X509 *xi)
{
    struct decoded_cert *e = NULL;
    for (size_t i = 0; i < log->n; i++) {
        if (log->certs[i] == xi)
            return NULL;
        if (log->certs[i] == xs && log->entries[i] &&
            log->entries[i]->x509 == xs)
            e = log->entries[i];
    }
    return e;
}

/* Whether OpenSSL's pass over this path could report nothing but bad
 * signatures: no flag that changes it, a self-signed top (whose own
 * signature is not checked), every certificate well inside its validity
 * at the verification time, and every issuer's key decoded and allowed to
 * sign certificates. */
static bool plain_path(X509_STORE_CTX *ctx, STACK_OF(X509) *path,
                       const struct verify_log *log)
{
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    unsigned long flags = X509_VERIFY_PARAM_get_flags(param);
    if (!(flags & X509_V_FLAG_USE_CHECK_TIME) ||
        (flags & (X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN |
                  X509_V_FLAG_CHECK_SS_SIGNATURE)) ||
        X509_VERIFY_PARAM_get_time(param) != (time_t)log->at)
        return false;
    int n = path ? sk_X509_num(path) : 0;
    if (n < 2)
        return false;
    X509 *top = sk_X509_value(path, n - 1);
    if (X509_check_issued(top, top) != X509_V_OK ||
        X509_self_signed(top, 0) != 1)
        return false;
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(path, i);
        int64_t nb, na;
        if (!asn1_time_seconds(X509_get0_notBefore(x), &nb) ||
            !asn1_time_seconds(X509_get0_notAfter(x), &na) ||
            !(nb < log->at && log->at < na))
            return false;
        if (i == n - 1)
            break;
        X509 *issuer = sk_X509_value(path, i + 1);
        if (!X509_get0_pubkey(issuer) ||
            !(X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN) ||
            (X509_get_extension_flags(x) & EXFLAG_PROXY))
            return false;
    }
    return true;
}

/* Stands in for OpenSSL's signature and validity pass (internal_verify)
 * on the paths where that pass can only find bad signatures, and there
 * skips a link's signature check when the same decoded intermediate was
 * verified before by the same store certificate: on a network thousands of
 * leaves share a few such links, and an ECDSA P-384 check costs ~9 M
 * instructions on OpenSSL 3.0. Only links that verified are remembered, so
 * a bad signature is checked and reported every time. Every other path
 * goes to OpenSSL's pass unchanged. The errors reach verify_cb as
 * OpenSSL's pass reports them: top down, at the subject's depth. */
static int verify_links(X509_STORE_CTX *ctx)
{
    const struct verify_log *log = X509_STORE_CTX_get_app_data(ctx);
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    if (!plain_path(ctx, path, log))
        return log->openssl_verify(ctx);
    X509_STORE_CTX_verify_cb cb = X509_STORE_CTX_get_verify_cb(ctx);
    int top = sk_X509_num(path) - 1;
    X509 *xi = sk_X509_value(path, top);
    for (int depth = top; depth >= 0; depth--) {
        X509 *xs = sk_X509_value(path, depth);
        if (xs != xi) {
            struct decoded_cert *e = link_entry(log, xs, xi);
            if (e && e->verified_by == xi) {
                (*log->links_reused)++;
            } else {
                if (X509_verify(xs, X509_get0_pubkey(xi)) > 0) {
                    if (e && X509_up_ref(xi)) {
                        X509_free(e->verified_by);
                        e->verified_by = xi;
                    }
                } else {
                    X509_STORE_CTX_set_error_depth(ctx, depth);
                    X509_STORE_CTX_set_current_cert(ctx, xs);
                    X509_STORE_CTX_set_error(ctx,
                                             X509_V_ERR_CERT_SIGNATURE_FAILURE);
                    if (!cb(0, ctx))
                        return 0;
                }
            }
        }
        X509_STORE_CTX_set_error_depth(ctx, depth);
        X509_STORE_CTX_set_current_cert(ctx, xs);
        if (!cb(1, ctx))
            return 0;
        xi = xs;
    }
    return 1;
}

/* The browsers' distrust table against every certificate of the path
 * OpenSSL built (the trust anchor from the store included) and every one
 * that was sent. */
static void distrust_verdict(struct x509_stage *st, X509_STORE_CTX *ctx,
                             X509 **certs, size_t n, struct cert_result *r)
{
    uint8_t fps[2 * HS_MAX_CERTS][32];
    size_t n_fps = 0;
    unsigned int len;
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; path && i < sk_X509_num(path) && n_fps < HS_MAX_CERTS;
         i++)
        if (X509_digest(sk_X509_value(path, i), digest_sha256(), fps[n_fps],
                        &len) && len == 32)
            n_fps++;
    for (size_t i = 0; i < n; i++)
        if (X509_digest(certs[i], digest_sha256(), fps[n_fps], &len) &&
            len == 32)
            n_fps++;
    distrust_check(st->cfg.distrust, (const uint8_t(*)[32])fps, n_fps,
                   r->not_before, r->sct_earliest_us, r);
}

/* The seconds around `at` in which no certificate of a verified path
 * starts or ends its validity: OpenSSL's verdict is the same anywhere in
 * [from, until). A certificate is valid from notBefore to notAfter, both
 * included. */
struct time_span {
    int64_t from, until;
};

static void narrow_span(struct time_span *span, X509 *x, int64_t at)
{
    int64_t nb, na;
    if (!asn1_time_seconds(X509_get0_notBefore(x), &nb) ||
        !asn1_time_seconds(X509_get0_notAfter(x), &na))
        return;
    const int64_t edges[2] = {nb, na < INT64_MAX ? na + 1 : na};
    for (size_t i = 0; i < 2; i++) {
        if (edges[i] <= at && edges[i] > span->from)
            span->from = edges[i];
        if (edges[i] > at && edges[i] < span->until)
            span->until = edges[i];
    }
}

static void chain_verdicts(struct x509_stage *st, X509 **certs,
                           struct decoded_cert *const *entries, size_t n,
                           bool server, int64_t at, struct cert_result *r,
                           struct time_span *span)
{
    bool by_name = r->signature_unverifiable;
    /* Out of order: some certificate's issuer is in the chain, but not
     * right after it. */
    for (size_t i = 0; i + 1 < n && !r->chain_out_of_order; i++) {
        if (issues(certs[i + 1], certs[i], by_name))
            continue;
        for (size_t j = 1; j < n; j++)
            if (j != i && j != i + 1 && issues(certs[j], certs[i], by_name) &&
                !r->chain[i].self_signed)
                r->chain_out_of_order = true;
    }
    /* Trust needs signatures checked: without that, say so and judge
     * nothing rather than call the chain incomplete or untrusted. */
    if (by_name) {
        snprintf(r->verify_error, sizeof(r->verify_error),
                 "cannot verify here: %s signature (OpenSSL %s)",
                 r->unverifiable_alg, OpenSSL_version(OPENSSL_VERSION_STRING));
        return;
    }

    if (!load_store(st))
        return;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!ctx || !untrusted)
        goto done;
    for (size_t i = 1; i < n; i++)
        sk_X509_push(untrusted, certs[i]);
    trust_prepare(st->trust, certs, n);
    if (!X509_STORE_CTX_init(ctx, st->trust->store, certs[0], untrusted))
        goto done;

    /* The top of what was sent: follow issuers from the leaf. */
    X509 *top = certs[0];
    bool used[HS_MAX_CERTS] = {true};
    for (size_t step = 0; step < n; step++) {
        X509 *next = NULL;
        for (size_t j = 1; j < n && !next; j++)
            if (!used[j] && issues(certs[j], top, false)) {
                next = certs[j];
                used[j] = true;
            }
        if (!next)
            break;
        top = next;
    }
    if (X509_self_signed(top, 0) != 1) {
        X509 *anchor = NULL;
        if (X509_STORE_CTX_get1_issuer(&anchor, ctx, top) > 0)
            X509_free(anchor);
        else
            r->incomplete_chain = true;
    }
    ERR_clear_error();

    struct verify_log log = {.certs = certs, .entries = entries, .n = n,
                             .at = at,
                             .openssl_verify = X509_STORE_CTX_get_verify(ctx),
                             .links_reused = &st->stats.links_reused};
    X509_STORE_CTX_set_app_data(ctx, &log);
    if (log.openssl_verify)
        X509_STORE_CTX_set_verify(ctx, verify_links);
    X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
    X509_STORE_CTX_set_purpose(ctx, server ? X509_PURPOSE_SSL_SERVER
                                           : X509_PURPOSE_SSL_CLIENT);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
    int ok = X509_verify_cert(ctx);
    if (ok <= 0 && !log.first_error) {
        log.first_error = X509_STORE_CTX_get_error(ctx);
        log.path_error = true;
    }
    r->verify_code = log.first_error;
    r->untrusted = log.path_error;
    /* The path OpenSSL built, its anchor from the store included, and
     * every certificate sent (those it left out could join another day). */
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; path && i < sk_X509_num(path); i++)
        narrow_span(span, sk_X509_value(path, i), at);
    for (size_t i = 0; i < n; i++)
        narrow_span(span, certs[i], at);
    snprintf(r->verify_error, sizeof(r->verify_error), "%s",
             X509_verify_cert_error_string(log.first_error));
    if (server)
        distrust_verdict(st, ctx, certs, n, r);
done:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
}

/* ---- one chain, cached ---- */

static X509 *decode_shared_cert(struct x509_stage *st, const uint8_t *der,
                                uint32_t len, X509 *const *earlier,
                                size_t n_earlier, struct decoded_cert **entry);

static void analyze_uncached(struct x509_stage *st,
                             const struct cert_chain *chain, bool server,
                             int64_t at, struct cert_result *r,
                             struct leaf_names *names, struct time_span *span)
{
    X509 *certs[HS_MAX_CERTS] = {0};
    struct decoded_cert *entries[HS_MAX_CERTS] = {0};
    size_t n = chain->n_certs;
    bool all_parsed = n > 0;
    uint64_t evictions = st->stats.cert_evictions;

    memset(r, 0, sizeof(*r));
    r->analyzed = true;
    r->visible = true;
    r->weak_key_at = r->weak_signature_at = -1;
    r->n_summaries = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        uint32_t off = chain->certs[i].off, len = chain->certs[i].len;
        if (!chain->der || off > chain->der_len ||
            len > chain->der_len - off || len == 0) {
            all_parsed = false;
            continue;
        }
        /* Leaves are what differs from chain to chain: not kept. */
        certs[i] = i == 0 ? cert_decode(chain->der + off, len)
                          : decode_shared_cert(st, chain->der + off, len,
                                               certs + 1, i - 1, &entries[i]);
        if (certs[i])
            summarize(certs[i], &r->chain[i],
                      entries[i] ? &entries[i]->self_signed : NULL);
        else
            all_parsed = false;
    }
    /* An entry pushed out by a later certificate of this chain is gone. */
    if (st->stats.cert_evictions != evictions)
        memset(entries, 0, sizeof(entries));
    ERR_clear_error();
    r->malformed = !all_parsed || n == 0;

    if (certs[0]) {
        leaf_facts(certs[0], r, names);
        x509_leaf_extensions(certs[0], server, r);
    }
    for (size_t i = 0; i < n; i++) {
        if (!certs[i])
            continue;
        /* A trust anchor sent along is never checked by its signature. */
        if (!r->signature_unverifiable && !(i > 0 && r->chain[i].self_signed) &&
            !signature_verifiable(certs[i])) {
            r->signature_unverifiable = true;
            snprintf(r->unverifiable_alg, sizeof(r->unverifiable_alg), "%s",
                     r->chain[i].sig_alg);
        }
        /* The first weak one is named in messages: it need not be the
         * leaf (a SHA-1 intermediate under a SHA-256 leaf). */
        if (weak_key(&r->chain[i]) && !r->weak_key) {
            r->weak_key = true;
            r->weak_key_at = (int8_t)i;
        }
        /* A trust anchor's own signature is never checked, so its hash
         * does not weaken anything. */
        if (!(i > 0 && r->chain[i].self_signed) && !r->weak_signature &&
            weak_signature(certs[i])) {
            r->weak_signature = true;
            r->weak_signature_at = (int8_t)i;
        }
    }
    if (all_parsed && !chain->truncated) {
        r->chain_checked = true;
        chain_verdicts(st, certs, entries, n, server, at, r, span);
    }
    for (size_t i = 0; i < n; i++)
        X509_free(certs[i]);
    ERR_clear_error();
}

/* The chain as PEM blocks, each NUL-terminated, back to back; *out_len
 * counts the final NUL. */
static char *chain_pem(const struct cert_chain *chain, size_t *out_len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (!bio)
        return NULL;
    for (size_t i = 0; i < chain->n_certs; i++) {
        uint32_t off = chain->certs[i].off, len = chain->certs[i].len;
        if (chain->der && off <= chain->der_len &&
            len <= chain->der_len - off)
            PEM_write_bio(bio, "CERTIFICATE", "", chain->der + off, len);
        /* One string per certificate: fields list them one by one. */
        BIO_write(bio, "", 1);
    }
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    if (len >= 0 && (out = malloc((size_t)len + 1)) != NULL) {
        if (len > 0)
            memcpy(out, data, (size_t)len);
        out[len] = '\0';
        *out_len = (size_t)len + 1;
    }
    BIO_free(bio);
    return out;
}

/* The entry whose key matches (*hit), else the slot to reuse: an empty
 * one, or the least recently used. Entries are `stride` bytes apart and
 * start with a struct cache_slot. */
static struct cache_slot *cache_find(void *entries, size_t n, size_t stride,
                                     const uint8_t key[32], bool *hit)
{
    unsigned char *base = entries;
    struct cache_slot *victim = (struct cache_slot *)base;
    for (size_t i = 0; i < n; i++) {
        struct cache_slot *c = (struct cache_slot *)(base + i * stride);
        if (c->used && !memcmp(c->key, key, 32)) {
            *hit = true;
            return c;
        }
        if (!c->used || (victim->used && c->last_use < victim->last_use))
            victim = c;
    }
    *hit = false;
    return victim;
}

static void digest_cert(EVP_MD_CTX *md, const struct cert_chain *chain,
                        size_t i)
{
    uint32_t off = chain->certs[i].off, l = chain->certs[i].len;
    uint8_t lb[4] = {(uint8_t)(l >> 24), (uint8_t)(l >> 16),
                     (uint8_t)(l >> 8), (uint8_t)l};
    EVP_DigestUpdate(md, lb, 4);
    if (chain->der && off <= chain->der_len && l <= chain->der_len - off)
        EVP_DigestUpdate(md, chain->der + off, l);
}

/* ---- the chain cache ---- */

/* A certificate's bytes, NULL when its offsets leave the chain's DER. */
static const uint8_t *cert_bytes(const struct cert_chain *chain, size_t i)
{
    uint32_t off = chain->certs[i].off, len = chain->certs[i].len;
    if (!chain->der || off > chain->der_len || len > chain->der_len - off)
        return NULL;
    return chain->der + off;
}

/* How much of its lifetime the leaf has left at the capture time, and
 * whether that is less than the renewal window: a 47-day certificate with
 * ten days left is overdue (automation should have replaced it at 15), a
 * year-long one is not yet. */
static void renewal_verdict(struct cert_result *r, int64_t at)
{
    int64_t life = r->not_after - r->not_before + 1;
    r->lifetime_left_pct = -1;
    r->renewal_overdue = false;
    if (life <= 0 || at < r->not_before)
        return;
    int64_t left = r->not_after - at;
    if (left < 0)
        left = 0;
    r->lifetime_left_pct = (int8_t)(left >= life ? 100 : left * 100 / life);
    int64_t window = life / RENEWAL_SHARE;
    if (window > RENEWAL_WINDOW_MAX)
        window = RENEWAL_WINDOW_MAX;
    r->renewal_overdue = !r->expired && left < window;
}

/* A multiply-rotate hash over 8-byte words (the chain is a few KB: SHA-256
 * of it per handshake cost more than the rest of the lookup). Equality is
 * decided by comparing the bytes, so the hash needs spread, not strength. */
static uint64_t hash_word(uint64_t h, uint64_t w)
{
    h ^= w * 0x9E3779B97F4A7C15ULL;
    h = (h << 29 | h >> 35) * 0xBF58476D1CE4E5B9ULL;
    return h;
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = hash_word(h, w);
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    return hash_word(h, tail ^ (uint64_t)n << 56);
}

static uint64_t chain_hash(const struct x509_stage *st,
                           const struct cert_chain *chain, bool server,
                           int64_t day)
{
    uint64_t h = hash_word(st->hash_seed, (uint64_t)day);
    h = hash_word(h, (uint64_t)server | (uint64_t)chain->truncated << 1 |
                         (uint64_t)chain->n_certs << 8);
    for (size_t i = 0; i < chain->n_certs; i++) {
        const uint8_t *b = cert_bytes(chain, i);
        h = hash_word(h, b ? chain->certs[i].len : UINT32_MAX);
        if (b)
            h = hash_bytes(h, b, chain->certs[i].len);
    }
    h ^= h >> 31;
    return h * 0x94D049BB133111EBULL ^ (h >> 29);
}

/* ---- the decoded certificates above the leaf ---- */

/* Only what no chain changes is kept: X509_verify_cert copies missing
 * key parameters (DSA's, inherited) from the issuer of the day into the
 * key, which would change the key's size for the chains after. */
static bool cert_keepable(X509 *x)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);
    return pk && !EVP_PKEY_missing_parameters(pk);
}

/* The new entry, or NULL when it was not kept. */
static struct decoded_cert *keep_cert(struct x509_stage *st, uint64_t hash,
                                      const uint8_t *der, uint32_t len, X509 *x)
{
    uint64_t cost = decoded_cost(len);
    if (!st->max_certs || cost > st->max_cert_bytes)
        return NULL;
    uint64_t table = memcap_cost(st->n_cert_buckets *
                                 sizeof(*st->cert_buckets));
    while (st->cert_recency.oldest &&
           (st->stats.cert_entries >= st->max_certs ||
            st->cert_bytes - table + cost > st->max_cert_bytes))
        evict_oldest_cert(st);
    struct decoded_cert *e = malloc(sizeof(*e) + len);
    if (!e || !X509_up_ref(x)) {
        free(e);
        return NULL;
    }
    memcpy(e->der, der, len);
    e->der_len = len;
    e->hash = hash;
    e->x509 = x;
    e->verified_by = NULL;
    e->self_signed = -1;
    struct decoded_cert **b =
        &st->cert_buckets[hash & (st->n_cert_buckets - 1)];
    e->bucket_next = *b;
    *b = e;
    age_list_push_newest(&st->cert_recency, &e->recency);
    st->cert_bytes += cost;
    st->stats.cert_entries++;
    memcap_force(st->cfg.memcap, cost);
    return e;
}

/* A certificate above the leaf, from the cache (one more reference) or
 * decoded and kept; *entry: the cache entry holding it, or NULL. One
 * object stands for one position of a chain, as when each was decoded:
 * bytes sent twice in a chain are decoded again for the second place. */
static X509 *decode_shared_cert(struct x509_stage *st, const uint8_t *der,
                                uint32_t len, X509 *const *earlier,
                                size_t n_earlier, struct decoded_cert **entry)
{
    *entry = NULL;
    uint64_t hash = hash_bytes(st->hash_seed, der, len);
    st->stats.cert_lookups++;
    for (struct decoded_cert *e =
             st->cert_buckets[hash & (st->n_cert_buckets - 1)];
         e; e = e->bucket_next) {
        if (e->hash != hash || e->der_len != len ||
            memcmp(e->der, der, len) != 0)
            continue;
        for (size_t i = 0; i < n_earlier; i++)
            if (earlier[i] == e->x509)
                return cert_decode(der, len);
        if (!X509_up_ref(e->x509))
            return cert_decode(der, len);
        st->stats.cert_hits++;
        age_list_touch(&st->cert_recency, &e->recency);
        *entry = e;
        return e->x509;
    }
    X509 *x = cert_decode(der, len);
    if (x && cert_keepable(x))
        *entry = keep_cert(st, hash, der, len, x);
    return x;
}

static bool entry_matches(const struct chain_entry *e, uint64_t hash,
                          const struct cert_chain *chain, bool server,
                          int64_t day)
{
    if (e->hash != hash || e->day != day || e->server != server ||
        e->truncated != chain->truncated || e->n_certs != chain->n_certs)
        return false;
    const uint8_t *der = e->der;
    for (size_t i = 0; i < e->n_certs; i++) {
        const uint8_t *b = cert_bytes(chain, i);
        uint32_t len = b ? chain->certs[i].len : UINT32_MAX;
        if (e->cert_len[i] != len)
            return false;
        if (!b)
            continue;
        if (memcmp(der, b, len) != 0)
            return false;
        der += len;
    }
    return true;
}

/* One allocation with the entry, the certificates' bytes and the leaf's
 * names; NULL when out of memory. */
static struct chain_entry *pack_entry(const struct cert_chain *chain,
                                      bool server, int64_t day, uint64_t hash,
                                      const struct leaf_names *names)
{
    size_t der_len = 0, text_len = 0;
    for (size_t i = 0; i < chain->n_certs; i++)
        if (cert_bytes(chain, i))
            der_len += chain->certs[i].len;
    for (size_t i = 0; i < names->n_dns; i++)
        text_len += strlen(names->dns[i]) + 1;
    size_t size = sizeof(struct chain_entry) +
                  names->n_dns * sizeof(char *) +
                  names->n_ips * sizeof(struct hostname_ip) + der_len +
                  text_len;
    struct chain_entry *e = malloc(size);
    if (!e)
        return NULL;
    memset(e, 0, sizeof(*e));
    unsigned char *p = (unsigned char *)(e + 1);
    const char **dns = (const char **)p;
    p += names->n_dns * sizeof(char *);
    struct hostname_ip *ips = (struct hostname_ip *)p;
    p += names->n_ips * sizeof(struct hostname_ip);
    e->der = p;
    for (size_t i = 0; i < chain->n_certs; i++) {
        const uint8_t *b = cert_bytes(chain, i);
        e->cert_len[i] = b ? chain->certs[i].len : UINT32_MAX;
        if (b) {
            memcpy(p, b, chain->certs[i].len);
            p += chain->certs[i].len;
        }
    }
    for (size_t i = 0; i < names->n_dns; i++) {
        size_t l = strlen(names->dns[i]) + 1;
        memcpy(p, names->dns[i], l);
        dns[i] = (const char *)p;
        p += l;
    }
    if (names->n_ips)
        memcpy(ips, names->ips, names->n_ips * sizeof(*ips));
    e->dns = dns;
    e->n_dns = names->n_dns;
    e->ips = ips;
    e->n_ips = names->n_ips;
    e->names_usable = names->usable;
    e->cn_usable = names->cn_usable;
    e->hash = hash;
    e->day = day;
    e->server = server;
    e->truncated = chain->truncated;
    e->n_certs = chain->n_certs;
    e->size = size;
    e->cost = memcap_cost(size);
    return e;
}

/* ---- verdicts shared by the workers' stages ---- */

struct x509_shared *x509_shared_new(size_t max_entries, uint64_t max_bytes)
{
    struct x509_shared *sh = calloc(1, sizeof(*sh));
    if (!sh)
        return NULL;
    sh->max_entries = max_entries ? max_entries : DEFAULT_CACHE_ENTRIES;
    sh->max_bytes = max_bytes ? max_bytes : DEFAULT_CACHE_BYTES;
    sh->n_buckets = 1;
    while (sh->n_buckets < sh->max_entries)
        sh->n_buckets <<= 1;
    sh->buckets = calloc(sh->n_buckets, sizeof(*sh->buckets));
    if (!sh->buckets) {
        free(sh);
        return NULL;
    }
    if (getrandom(&sh->seed, sizeof(sh->seed), GRND_NONBLOCK) !=
        (ssize_t)sizeof(sh->seed))
        sh->seed = (uint64_t)(uintptr_t)sh ^ (uint64_t)time(NULL);
    pthread_mutex_init(&sh->lock, NULL);
    return sh;
}

/* A copy of an entry's verdicts, names and certificates, for another
 * cache: the pointers into its one allocation moved to the copy's, no PEM
 * (each stage makes its own), no links. NULL when out of memory. */
static struct chain_entry *copy_entry(const struct chain_entry *src)
{
    struct chain_entry *e = malloc(src->size);
    if (!e)
        return NULL;
    memcpy(e, src, src->size);
    const unsigned char *from = (const unsigned char *)src;
    unsigned char *to = (unsigned char *)e;
    e->der = to + (e->der - from);
    const char **dns = (const char **)(to + ((const unsigned char *)src->dns -
                                              from));
    for (size_t i = 0; i < e->n_dns; i++)
        dns[i] = (const char *)to + (src->dns[i] - (const char *)from);
    e->dns = dns;
    e->ips = (const struct hostname_ip *)(to + ((const unsigned char *)src->ips -
                                                from));
    e->bucket_next = NULL;
    memset(&e->recency, 0, sizeof(e->recency));
    e->pem = NULL;
    e->pem_len = 0;
    e->result.pem = NULL;
    e->cost = memcap_cost(e->size);
    return e;
}

/* Drop the entry `*link` points at (its place in a bucket list). */
static void shared_remove(struct x509_shared *sh, struct chain_entry **link)
{
    struct chain_entry *e = *link;
    *link = e->bucket_next;
    age_list_unlink(&sh->recency, &e->recency);
    sh->entries--;
    sh->bytes -= e->cost;
    free(e);
}

static void shared_unlink_oldest(struct x509_shared *sh)
{
    struct chain_entry *e =
        AGE_ENTRY(sh->recency.oldest, struct chain_entry, recency);
    struct chain_entry **b = &sh->buckets[e->hash & (sh->n_buckets - 1)];
    while (*b != e)
        b = &(*b)->bucket_next;
    shared_remove(sh, b);
}

void x509_shared_free(struct x509_shared *sh)
{
    if (!sh)
        return;
    while (sh->recency.oldest)
        shared_unlink_oldest(sh);
    free(sh->buckets);
    pthread_mutex_destroy(&sh->lock);
    free(sh);
}

static bool entry_matches(const struct chain_entry *e, uint64_t hash,
                          const struct cert_chain *chain, bool server,
                          int64_t day);

/* The entry for this chain in a table's bucket list, or NULL. */
static struct chain_entry *bucket_find(struct chain_entry *e, uint64_t hash,
                                       const struct cert_chain *chain,
                                       bool server, int64_t day)
{
    for (; e; e = e->bucket_next)
        if (entry_matches(e, hash, chain, server, day))
            return e;
    return NULL;
}

/* Another stage's verdicts for this chain at second `at`, copied; NULL
 * when none holds then. */
static struct chain_entry *shared_take(struct x509_shared *sh, uint64_t hash,
                                       const struct cert_chain *chain,
                                       bool server, int64_t day, int64_t at)
{
    pthread_mutex_lock(&sh->lock);
    struct chain_entry *e = bucket_find(
        sh->buckets[hash & (sh->n_buckets - 1)], hash, chain, server, day);
    struct chain_entry *copy = NULL;
    if (e && at >= e->valid_from && at < e->valid_until) {
        age_list_touch(&sh->recency, &e->recency);
        copy = copy_entry(e);
    }
    pthread_mutex_unlock(&sh->lock);
    return copy;
}

/* The same chain on the same day, from two entries. */
static bool same_chain(const struct chain_entry *a,
                       const struct chain_entry *b)
{
    if (a->hash != b->hash || a->day != b->day || a->server != b->server ||
        a->truncated != b->truncated || a->n_certs != b->n_certs ||
        memcmp(a->cert_len, b->cert_len, a->n_certs * sizeof(a->cert_len[0])))
        return false;
    size_t len = 0;
    for (size_t i = 0; i < a->n_certs; i++)
        if (a->cert_len[i] != UINT32_MAX)
            len += a->cert_len[i];
    return memcmp(a->der, b->der, len) == 0;
}

/* This stage's new verdicts, for the others: a copy is kept, in place of
 * one for the same chain that held for other seconds of the day. */
static void shared_put(struct x509_shared *sh, const struct chain_entry *e)
{
    struct chain_entry *copy = copy_entry(e);
    if (!copy)
        return;
    pthread_mutex_lock(&sh->lock);
    for (struct chain_entry **b = &sh->buckets[e->hash & (sh->n_buckets - 1)];
         *b; b = &(*b)->bucket_next)
        if (same_chain(*b, e)) {
            shared_remove(sh, b);
            break;
        }
    while (sh->recency.oldest && (sh->entries >= sh->max_entries ||
                                  sh->bytes + copy->cost > sh->max_bytes))
        shared_unlink_oldest(sh);
    if (copy->cost > sh->max_bytes) {
        free(copy);
    } else {
        struct chain_entry **b =
            &sh->buckets[copy->hash & (sh->n_buckets - 1)];
        copy->bucket_next = *b;
        *b = copy;
        age_list_push_newest(&sh->recency, &copy->recency);
        sh->entries++;
        sh->bytes += copy->cost;
    }
    pthread_mutex_unlock(&sh->lock);
}

static struct chain_entry *cache_lookup(struct x509_stage *st, uint64_t hash,
                                        const struct cert_chain *chain,
                                        bool server, int64_t day)
{
    return bucket_find(st->buckets[hash & (st->n_buckets - 1)], hash, chain,
                       server, day);
}

/* Keeps `e` when it fits the cache's bounds after evicting the least
 * recently used entries, but never `keep` (the other side's chain of the
 * record being decided, whose PEM that record still points to). */
static bool cache_insert(struct x509_stage *st, struct chain_entry *e,
                         const struct chain_entry *keep)
{
    for (;;) {
        bool full = st->stats.entries >= st->max_entries ||
                    st->bytes > st->max_bytes ||
                    e->cost > st->max_bytes - st->bytes;
        if (!full)
            break;
        const struct chain_entry *oldest = oldest_entry(st);
        if (!oldest || oldest == keep)
            return false;
        evict_oldest(st);
    }
    struct chain_entry **b = &st->buckets[e->hash & (st->n_buckets - 1)];
    e->bucket_next = *b;
    *b = e;
    age_list_push_newest(&st->recency, &e->recency);
    st->bytes += e->cost;
    st->stats.entries++;
    return true;
}

/* Parse and verify a chain not seen today, and keep the result. */
static struct chain_entry *analyze_new(struct x509_stage *st,
                                       const struct cert_chain *chain,
                                       bool server, int64_t at, int64_t day,
                                       uint64_t hash,
                                       const struct chain_entry *keep)
{
    struct chain_entry *e =
        st->cfg.shared
            ? shared_take(st->cfg.shared, hash, chain, server, day, at)
            : NULL;
    if (e) {
        /* As analyzing would have: the verdicts read with it (whether the
         * system bundle is much newer than the capture) need the store. */
        load_store(st);
        st->stats.shared_hits++;
    } else {
        struct leaf_names names = {0};
        struct cert_result *r = &st->scratch;
        struct time_span span = {INT64_MIN, INT64_MAX};
        analyze_uncached(st, chain, server, at, r, &names, &span);
        e = pack_entry(chain, server, day, hash, &names);
        free_sans(names.dns, names.n_dns, names.ips);
        if (!e)
            return NULL;
        e->result = *r;
        e->valid_from = span.from;
        e->valid_until = span.until;
        if (st->cfg.shared)
            shared_put(st->cfg.shared, e);
    }
    if (st->cfg.emit_pem) {
        size_t len = 0;
        e->pem = chain_pem(chain, &len);
        if (e->pem) {
            e->pem_len = len;
            e->cost += memcap_cost(len);
        }
    }
    charge_entry(st, e);
    if (cache_insert(st, e, keep))
        return e;
    /* Bigger than the cache may hold: for this record alone. */
    struct chain_entry **loose = &st->loose[server ? 0 : 1];
    free_entry(st, *loose);
    *loose = e;
    return e;
}

/* The per-SNI verdict, from the names the entry kept: no decoding. */
static void check_name(const struct chain_entry *e, const char *host,
                       struct cert_result *out)
{
    if (!host || !e->result.leaf_parsed)
        return;
    struct hostname_ids ids = {e->dns, e->n_dns, e->ips, e->n_ips,
                               e->cn_usable ? e->result.subject_cn : NULL};
    out->hostname_checked = true;
    out->hostname_mismatch = !e->names_usable || !hostname_verify(host, &ids);
}

static void analyze_chain(struct x509_stage *st,
                          const struct cert_chain *chain, bool server,
                          const char *host, uint64_t at_us,
                          const struct chain_entry *keep,
                          struct cert_result *out,
                          const struct chain_entry **used)
{
    int64_t at = (int64_t)(at_us / 1000000u);
    int64_t day = at / 86400;
    uint64_t hash = chain_hash(st, chain, server, day);
    st->stats.lookups++;

    struct chain_entry *e = cache_lookup(st, hash, chain, server, day);
    if (e && (at < e->valid_from || at >= e->valid_until) && e != keep) {
        /* A certificate's validity began or ended since: verify again. */
        remove_entry(st, e);
        e = NULL;
    }
    if (e) {
        st->stats.hits++;
        age_list_touch(&st->recency, &e->recency);
    } else {
        e = analyze_new(st, chain, server, at, day, hash, keep);
    }
    if (used)
        *used = e;
    if (!e) { /* out of memory: the chain goes unanalyzed */
        cert_result_reset(out);
        return;
    }
    *out = e->result;
    out->pem = e->pem;
    check_name(e, host, out);
    out->custom_trust = st->cfg.ca_file || st->cfg.ca_path;
    out->trust_store_newer = !out->custom_trust &&
                             st->trust &&
                             st->trust->system_mtime > at + 365 * 86400;

    /* The validity verdicts depend on the second, not the day the cache
     * key holds. */
    if (out->times_checked) {
        out->expired = at > out->not_after;
        out->not_yet_valid = at < out->not_before;
        int64_t left = out->not_after - at;
        int64_t days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
        if (days > INT32_MAX)
            days = INT32_MAX;
        if (days < INT32_MIN)
            days = INT32_MIN;
        out->days_to_expiry = (int32_t)days;
        renewal_verdict(out, at);
    }
}

void x509_analyze_chain(struct x509_stage *st, const struct cert_chain *chain,
                        bool server, const char *host, uint64_t at_us,
                        struct cert_result *out)
{
    analyze_chain(st, chain, server, host, at_us, NULL, out, NULL);
}

/* A client that rejects a certificate as expired although it is valid at
 * the capture time has its clock wrong; OpenSSL clients say bad_certificate
 * for a leaf not yet valid to them, so that counts too when nothing else is
 * wrong with the chain. */
static void client_clock(const struct handshake *h, struct cert_result *r)
{
    if (!r->times_checked || r->expired || r->not_yet_valid)
        return;
    /* bad_certificate says nothing about time: it counts only when every
     * other check passed, the name included (no SNI: not checked). */
    bool clean = r->chain_checked && r->hostname_checked &&
                 !r->untrusted && !r->incomplete_chain &&
                 !r->self_signed && !r->hostname_mismatch &&
                 !r->weak_key && !r->weak_signature && !r->malformed;
    const struct handshake_rare *rare = hs_rare(h);
    for (size_t i = 0; i < rare->alerts.n; i++) {
        const struct tls_alert *a = &rare->alerts.v[i];
        if (a->sender != TLS_SIDE_CLIENT || a->encrypted || a->level != 2)
            continue;
        if (a->description == 45 || (a->description == 42 && clean))
            r->client_clock = true;
        break; /* only the first fatal alert says why */
    }
}

/* ocsp_analyze reads only the staple and the chain's first two
 * certificates, so those bytes are the key. */
static void ocsp_analyze_cached(struct x509_stage *st,
                                const struct handshake *h,
                                struct ocsp_result *out)
{
    const struct ocsp_staple *staple = &h->ocsp;
    if (!staple->seen || staple->status_type != 1 || !staple->der) {
        ocsp_analyze(staple, &h->server_certs, out);
        return;
    }
    uint8_t key[32] = {0};
    unsigned int len = 0;
    EVP_MD_CTX *md = st->key_md;
    uint8_t head[8] = {(uint8_t)(staple->der_len >> 24),
                       (uint8_t)(staple->der_len >> 16),
                       (uint8_t)(staple->der_len >> 8),
                       (uint8_t)staple->der_len,
                       (uint8_t)h->server_certs.n_certs};
    EVP_DigestInit_ex(md, digest_sha256(), NULL);
    EVP_DigestUpdate(md, head, sizeof(head));
    EVP_DigestUpdate(md, staple->der, staple->der_len);
    for (size_t i = 0; i < h->server_certs.n_certs && i < 2; i++)
        digest_cert(md, &h->server_certs, i);
    EVP_DigestFinal_ex(md, key, &len);

    bool hit;
    st->tick++;
    st->stats.ocsp_lookups++;
    struct ocsp_entry *e = (struct ocsp_entry *)cache_find(
        st->ocsp_cache, st->n_ocsp_cache, sizeof(*st->ocsp_cache), key, &hit);
    if (hit) {
        st->stats.ocsp_hits++;
    } else {
        ocsp_analyze(staple, &h->server_certs, &e->result);
        memcpy(e->slot.key, key, 32);
        e->slot.used = true;
    }
    e->slot.last_use = st->tick;
    *out = e->result;
}

void x509_analyze_handshake(struct x509_stage *st, const struct handshake *h,
                            struct handshake_report *out)
{
    cert_result_reset(&out->server_cert);
    cert_result_reset(&out->client_cert);
    ocsp_analyze_cached(st, h, &out->ocsp_result);
    uint64_t at = h->sh.ts_us ? h->sh.ts_us : h->flow_start_us;
    const char *host = h->ch.has_sni && h->ch.sni[0] ? h->ch.sni : NULL;
    const struct cert_chain *client_certs = &hs_rare(h)->client_certs;

    if (h->sh.seen && h->sh.version == TLS_V_1_3 && !h->server_certs.seen &&
        !client_certs->seen) {
        /* Both chains travel encrypted: say so, and decide nothing. A key
         * log that opened them makes them chains like any other. */
        out->server_cert.analyzed = true;
        out->server_cert.visible = false;
        if (h->certificate_request) {
            out->client_cert.analyzed = true;
            out->client_cert.visible = false;
        }
        return;
    }
    const struct chain_entry *server_entry = NULL;
    if (h->server_certs.seen)
        analyze_chain(st, &h->server_certs, true, host, at, NULL,
                      &out->server_cert, &server_entry);
    if (client_certs->seen && client_certs->n_certs > 0)
        analyze_chain(st, client_certs, false, NULL, at, server_entry,
                      &out->client_cert, NULL);
    else if (h->sh.version == TLS_V_1_3 && h->certificate_request &&
             !client_certs->seen) {
        /* Its records were not opened. */
        out->client_cert.analyzed = true;
        out->client_cert.visible = false;
    }
    client_clock(h, &out->server_cert);
}
