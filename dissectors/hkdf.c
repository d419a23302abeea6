/* hkdf.c — HKDF extract and TLS 1.3 expand-label, computed here over HMAC
 * contexts kept per thread.
 *
 * Why not OpenSSL's HKDF: every QUIC Initial of a new connection derives
 * five to nine HMACs, and an EVP_KDF_CTX per call (parameters parsed by
 * name, an HMAC context made, keyed and freed inside) cost more than the
 * hashing itself. Each thread keeps a few keyed HMAC contexts, each
 * remembering its key, so a key that repeats (the version's salt, the
 * secret behind key, iv and hp) is not set again. */
#include "hkdf.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

/* Keys up to this length are remembered for reuse; longer ones are simply
 * set every time. */
#define REMEMBERED_KEY_MAX 64
/* Keyed contexts a thread keeps, the least recently used taken for a new
 * key. A QUIC Initial uses up to four keys (the version's salt, the initial
 * secret, the client's and the server's), so the salt is still there at
 * the next connection; TLS 1.3 key-log derivations fit as well. */
#define KEYED_CONTEXTS 6

struct keyed_hmac {
    const EVP_MD *md;
    EVP_MAC_CTX *ctx;
    unsigned long last_use;
    size_t key_len;
    bool keyed; /* key[0..key_len) is what ctx holds */
    uint8_t key[REMEMBERED_KEY_MAX];
};

struct thread_hmacs {
    unsigned long clock;
    struct keyed_hmac kh[KEYED_CONTEXTS];
};

static EVP_MAC *hmac;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static pthread_key_t hmacs_key;

static void free_hmacs(void *p)
{
    struct thread_hmacs *t = p;
    if (!t)
        return;
    for (int i = 0; i < KEYED_CONTEXTS; i++)
        EVP_MAC_CTX_free(t->kh[i].ctx);
    OPENSSL_clear_free(t, sizeof *t);
}

static void fetch(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    pthread_key_create(&hmacs_key, free_hmacs);
}

/* This thread's contexts, made on first use and freed when it exits. */
static struct thread_hmacs *thread_hmacs(void)
{
    pthread_once(&fetched, fetch);
    if (!hmac)
        return NULL;
    struct thread_hmacs *t = pthread_getspecific(hmacs_key);
    if (t)
        return t;
    t = OPENSSL_zalloc(sizeof *t);
    if (!t || pthread_setspecific(hmacs_key, t) != 0) {
        OPENSSL_free(t);
        return NULL;
    }
    return t;
}

static bool holds(const struct keyed_hmac *h, const EVP_MD *md,
                  const uint8_t *key, size_t key_len)
{
    return h->keyed && h->md == md && h->key_len == key_len &&
           memcmp(h->key, key, key_len) == 0;
}

/* Gives `h` a context for `md` with no key remembered. */
static bool rearm(struct keyed_hmac *h, const EVP_MD *md)
{
    h->keyed = false;
    if (h->md == md && h->ctx)
        return true;
    h->md = NULL;
    if (!h->ctx && !(h->ctx = EVP_MAC_CTX_new(hmac)))
        return false;
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)EVP_MD_get0_name(md), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(h->ctx, params) != 1)
        return false;
    h->md = md;
    return true;
}

/* A context of this thread started on HMAC-md(key, ...), or NULL. A NULL
 * key to EVP_MAC_init means "the key it holds", which a remembered key
 * gets; a new one is always passed non-NULL, even when empty. */
static EVP_MAC_CTX *hmac_start(const EVP_MD *md, const uint8_t *key,
                               size_t key_len)
{
    static const uint8_t empty[1];
    struct thread_hmacs *t = md ? thread_hmacs() : NULL;
    if (!t)
        return NULL;
    if (key_len == 0)
        key = empty;
    struct keyed_hmac *victim = &t->kh[0];
    for (int i = 0; i < KEYED_CONTEXTS; i++) {
        struct keyed_hmac *h = &t->kh[i];
        if (holds(h, md, key, key_len)) {
            h->last_use = ++t->clock;
            return EVP_MAC_init(h->ctx, NULL, 0, NULL) == 1 ? h->ctx : NULL;
        }
        if (h->last_use < victim->last_use)
            victim = h;
    }
    if (!rearm(victim, md) ||
        EVP_MAC_init(victim->ctx, key, key_len, NULL) != 1)
        return NULL;
    victim->last_use = ++t->clock;
    if (key_len <= REMEMBERED_KEY_MAX) {
        memcpy(victim->key, key, key_len);
        victim->key_len = key_len;
        victim->keyed = true;
    }
    return victim->ctx;
}

/* Finishes into `mac` (EVP_MAX_MD_SIZE bytes), its length to *mac_len. */
static bool hmac_finish(EVP_MAC_CTX *ctx, uint8_t *mac, size_t *mac_len)
{
    return EVP_MAC_final(ctx, mac, mac_len, EVP_MAX_MD_SIZE) == 1;
}

bool hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len,
                  const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
    int size = md ? EVP_MD_get_size(md) : 0;
    /* An empty salt is HashLen zero bytes (RFC 5869 §2.2). */
    static const uint8_t zeros[HKDF_MAX_LEN];
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;

    if (size <= 0 || size > HKDF_MAX_LEN || (ikm_len && !ikm))
        return false;
    if (!salt || salt_len == 0) {
        salt = zeros;
        salt_len = (size_t)size;
    }
    EVP_MAC_CTX *ctx = hmac_start(md, salt, salt_len);
    bool ok = ctx &&
              (ikm_len == 0 || EVP_MAC_update(ctx, ikm, ikm_len) == 1) &&
              hmac_finish(ctx, mac, &mac_len) && mac_len == (size_t)size;
    if (ok)
        memcpy(prk, mac, mac_len);
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

/* HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(prk, T(i-1) | info | i). */
static bool hkdf_expand(const EVP_MD *md, const uint8_t *prk, size_t prk_len,
                        const uint8_t *info, size_t info_len, uint8_t *out,
                        size_t out_len)
{
    uint8_t t[EVP_MAX_MD_SIZE];
    size_t t_len = 0, done = 0;
    bool ok = out_len > 0 && out_len <= HKDF_MAX_LEN;

    for (uint8_t i = 1; ok && done < out_len; i++) {
        EVP_MAC_CTX *ctx = hmac_start(md, prk, prk_len);
        ok = ctx && (t_len == 0 || EVP_MAC_update(ctx, t, t_len) == 1) &&
             EVP_MAC_update(ctx, info, info_len) == 1 &&
             EVP_MAC_update(ctx, &i, 1) == 1 &&
             hmac_finish(ctx, t, &t_len) && t_len > 0;
        if (ok) {
            size_t n = out_len - done < t_len ? out_len - done : t_len;
            memcpy(out + done, t, n);
            done += n;
        }
    }
    OPENSSL_cleanse(t, sizeof t);
    return ok;
}

bool hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
                       size_t secret_len, const char *label,
                       const uint8_t *context, size_t context_len,
                       uint8_t *out, size_t out_len)
{
    static const char prefix[] = "tls13 ";
    size_t label_len = label ? strlen(label) : 0;
    size_t full = sizeof prefix - 1 + label_len;
    /* HkdfLabel: uint16 length, opaque label<7..255>, opaque context<0..255> */
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t n = 0;

    if (full > 255 || context_len > 255 || out_len > UINT16_MAX ||
        (context_len && !context) || (secret_len && !secret))
        return false;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)full;
    memcpy(info + n, prefix, sizeof prefix - 1);
    n += sizeof prefix - 1;
    if (label_len)
        memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = (uint8_t)context_len;
    if (context_len)
        memcpy(info + n, context, context_len);
    n += context_len;
    return hkdf_expand(md, secret, secret_len, info, n, out, out_len);
}
