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

struct thread_contexts {
    const EVP_MD *md[THREAD_CONTEXTS]; /* what ctx[i] was last set up for */
    EVP_MD_CTX *ctx[THREAD_CONTEXTS];
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
