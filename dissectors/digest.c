/* digest.c — digests fetched once for the whole run, and the one-shot
 * digest on contexts kept per thread (see digest.h). The fetched objects
 * live until exit, like OpenSSL's own static ones.
 *
 * Why contexts are kept: EVP_Digest makes and frees an EVP_MD_CTX for
 * every hash, about 600 of the 4 000 instructions a JA3 or JA4 hash cost
 * (callgrind, OpenSSL 3.0; its EVP_DigestInit_ex2 still remakes the
 * provider's state inside a kept context, which is most of what is left
 * beside the hashing). A thread keeps one context per algorithm, so that
 * a library which keeps that state finds it set up for the same digest;
 * they are made at the thread's first hash and freed when it exits. */
#include "digest.h"

#include <pthread.h>
#include <string.h>

#include "fnv1a.h"

static EVP_MD *md5, *sha1, *sha256, *sha384;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
}

/* A failed fetch (a FIPS-only configuration has no MD5) falls back to the
 * static object, which reports the same failure at use. */
static const EVP_MD *fetched_or(EVP_MD *const *fetched_md,
                                const EVP_MD *(*static_md)(void))
{
    pthread_once(&fetched, fetch);
    return *fetched_md ? *fetched_md : static_md();
}

const EVP_MD *digest_md5(void)
{
    return fetched_or(&md5, EVP_md5);
}

const EVP_MD *digest_sha1(void)
{
    return fetched_or(&sha1, EVP_sha1);
}

const EVP_MD *digest_sha256(void)
{
    return fetched_or(&sha256, EVP_sha256);
}

const EVP_MD *digest_sha384(void)
{
    return fetched_or(&sha384, EVP_sha384);
}

/* ---- one-shot digests on this thread's contexts ---- */

/* One per algorithm above; a caller's other algorithm shares the last. */
#define THREAD_CONTEXTS 4

/* The memo of digest_recent: sets of two entries chosen by a hash of the
 * data, each entry holding the whole data so that a reused digest is
 * always the data's own. Two ways, so that two lists landing on one set
 * do not push each other out at every hello. Fixed size, made at the
 * thread's first digest_recent: 256 entries of about 300 bytes. */
#define MEMO_SET_BITS 7
#define MEMO_SETS (1 << MEMO_SET_BITS)
#define MEMO_WAYS 2 /* digest_recent's replacement is written for two */
#define MEMO_DATA 256 /* longer data is always hashed (JA3: ~180 bytes) */
#define MEMO_DIGEST 32 /* up to SHA-256; longer digests are not kept */

struct memo_entry {
    const EVP_MD *md; /* NULL: empty */
    uint16_t len;
    uint8_t out_len;
    uint8_t out[MEMO_DIGEST];
    uint8_t data[MEMO_DATA];
};

struct thread_contexts {
    const EVP_MD *md[THREAD_CONTEXTS]; /* what ctx[i] was last set up for */
    EVP_MD_CTX *ctx[THREAD_CONTEXTS];
    struct memo_entry (*memo)[MEMO_WAYS]; /* MEMO_SETS sets, or NULL */
};

/* The key only frees a thread's contexts when it exits; finding them is
 * the thread-local pointer's job, with no lookup per hash. */
static pthread_once_t key_made = PTHREAD_ONCE_INIT;
static pthread_key_t contexts_key;
static bool have_key;
static _Thread_local struct thread_contexts *this_thread;

static void free_contexts(void *p)
{
    struct thread_contexts *t = p;
    if (!t)
        return;
    for (int i = 0; i < THREAD_CONTEXTS; i++)
        EVP_MD_CTX_free(t->ctx[i]);
    OPENSSL_free(t->memo);
    OPENSSL_free(t);
    this_thread = NULL; /* a later hash in this thread makes them anew */
}

static void make_key(void)
{
    have_key = pthread_key_create(&contexts_key, free_contexts) == 0;
}

/* This thread's contexts, made on first use; NULL when they cannot be (no
 * memory), and the hash then fails. */
static struct thread_contexts *thread_contexts(void)
{
    if (this_thread)
        return this_thread;
    pthread_once(&key_made, make_key);
    struct thread_contexts *t = have_key ? OPENSSL_zalloc(sizeof *t) : NULL;
    if (t && pthread_setspecific(contexts_key, t) != 0) {
        OPENSSL_free(t);
        t = NULL;
    }
    return this_thread = t;
}

/* The context that last hashed with md, else an unused one, else the
 * last (set up again for md, correct if slower). */
static EVP_MD_CTX *context_for(const EVP_MD *md)
{
    struct thread_contexts *t = thread_contexts();
    if (!t)
        return NULL;
    int i = 0;
    while (i < THREAD_CONTEXTS - 1 && t->md[i] != md && t->md[i])
        i++;
    if (!t->ctx[i] && !(t->ctx[i] = EVP_MD_CTX_new()))
        return NULL;
    t->md[i] = md;
    return t->ctx[i];
}

bool digest_oneshot(const EVP_MD *md, const void *data, size_t len,
                    uint8_t *out, unsigned int *out_len)
{
    EVP_MD_CTX *ctx = md ? context_for(md) : NULL;
    /* Init_ex2 starts the context afresh whatever a failed earlier use
     * left in it. */
    return ctx && EVP_DigestInit_ex2(ctx, md, NULL) == 1 &&
           EVP_DigestUpdate(ctx, data, len) == 1 &&
           EVP_DigestFinal_ex(ctx, out, out_len) == 1;
}

/* ---- the memo of recent short digests ---- */

/* FNV-1a fed a word at a time, then folded: the set is taken from the top
 * bits, which the multiplications carry every input bit into. */
static uint64_t memo_hash(const uint8_t *p, size_t len)
{
    uint64_t h = fnv1a64_mix(FNV1A64_START, len), w;
    size_t i = 0;
    for (; i + sizeof w <= len; i += sizeof w) {
        memcpy(&w, p + i, sizeof w);
        h = fnv1a64_mix(h, w);
    }
    w = 0;
    memcpy(&w, p + i, len - i);
    h = fnv1a64_mix(h, w);
    return fnv1a64_mix(h, h >> 29);
}

static bool memo_match(const struct memo_entry *e, const EVP_MD *md,
                       const void *data, size_t len)
{
    return e->md == md && e->len == len && memcmp(e->data, data, len) == 0;
}

bool digest_recent(const EVP_MD *md, const void *data, size_t len,
                   uint8_t *out, unsigned int *out_len)
{
    struct thread_contexts *t =
        md && data && len <= MEMO_DATA ? thread_contexts() : NULL;
    if (t && !t->memo)
        t->memo = OPENSSL_zalloc(MEMO_SETS * sizeof(*t->memo));
    if (!t || !t->memo)
        return digest_oneshot(md, data, len, out, out_len);

    struct memo_entry *set =
        t->memo[memo_hash(data, len) >> (64 - MEMO_SET_BITS)];
    for (int w = 0; w < MEMO_WAYS; w++) {
        if (memo_match(&set[w], md, data, len)) {
            memcpy(out, set[w].out, set[w].out_len);
            *out_len = set[w].out_len;
            return true;
        }
    }
    if (!digest_oneshot(md, data, len, out, out_len))
        return false;
    if (*out_len <= MEMO_DIGEST) {
        /* The newest in the first way, the one before it in the second:
         * of two lists taking turns, both stay. */
        set[1] = set[0];
        set[0].md = md;
        set[0].len = (uint16_t)len;
        set[0].out_len = (uint8_t)*out_len;
        memcpy(set[0].out, out, *out_len);
        memcpy(set[0].data, data, len);
    }
    return true;
}
