/* hkdf.c — HKDF extract and TLS 1.3 expand-label, computed here over HMAC
 * contexts kept per thread.
 *
 * Why not OpenSSL's HKDF: every QUIC Initial of a new connection derives
 * nine HMACs, and an EVP_KDF_CTX per call (parameters parsed by name, an
 * HMAC context made, keyed and freed inside) cost several times the
 * hashing itself. Each thread keeps one EVP_MAC_CTX per digest, its
 * digest set once, and remembers the last key: re-keying is skipped when
 * the key repeats (the version's salt, the secret behind key, iv and hp). */
#include "hkdf.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

/* Keys up to this length are remembered for reuse; longer ones are simply
 * set every time. */
#define REMEMBERED_KEY_MAX 64
/* Digests a thread keeps a context for (SHA-256 and SHA-384 in practice);
 * a further one takes over the last slot. */
#define DIGEST_SLOTS 4

struct hmac_slot {
    const EVP_MD *md;
    EVP_MAC_CTX *ctx;
    size_t key_len;
    bool keyed; /* key[0..key_len) is what ctx holds */
    uint8_t key[REMEMBERED_KEY_MAX];
};

struct thread_hmacs {
    struct hmac_slot slot[DIGEST_SLOTS];
};

static EVP_MAC *hmac;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static pthread_key_t hmacs_key;

static void free_hmacs(void *p)
{
    struct thread_hmacs *t = p;
    if (!t)
        return;
    for (int i = 0; i < DIGEST_SLOTS; i++)
        EVP_MAC_CTX_free(t->slot[i].ctx);
    OPENSSL_clear_free(t, sizeof *t);
}

static void fetch(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    pthread_key_create(&hmacs_key, free_hmacs);
}

/* This thread's slot for `md`, its context made with the digest set. */
static struct hmac_slot *slot_for(const EVP_MD *md)
{
    pthread_once(&fetched, fetch);
    if (!hmac)
        return NULL;
    struct thread_hmacs *t = pthread_getspecific(hmacs_key);
    if (!t) {
        t = OPENSSL_zalloc(sizeof *t);
        if (!t || pthread_setspecific(hmacs_key, t) != 0) {
            OPENSSL_free(t);
            return NULL;
        }
    }
    struct hmac_slot *s = &t->slot[DIGEST_SLOTS - 1];
    for (int i = 0; i < DIGEST_SLOTS; i++)
        if (t->slot[i].md == md || !t->slot[i].ctx) {
            s = &t->slot[i];
            break;
        }
    if (s->md == md && s->ctx)
        return s;
    if (!s->ctx && !(s->ctx = EVP_MAC_CTX_new(hmac)))
        return NULL;
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)EVP_MD_get0_name(md), 0),
        OSSL_PARAM_construct_end()};
    s->md = NULL;
    s->keyed = false;
    if (EVP_MAC_CTX_set_params(s->ctx, params) != 1)
        return NULL;
    s->md = md;
    return s;
}

/* Starts an HMAC under `key`. A NULL key to EVP_MAC_init means "the key of
 * last time", which is what a repeated key gets; a new one is always
 * passed non-NULL, even when empty. */
static bool hmac_start(struct hmac_slot *s, const uint8_t *key,
                       size_t key_len)
{
    static const uint8_t empty[1];
    if (key_len == 0)
        key = empty;
    if (s->keyed && s->key_len == key_len &&
        memcmp(s->key, key, key_len) == 0)
        return EVP_MAC_init(s->ctx, NULL, 0, NULL) == 1;
    s->keyed = false;
    if (EVP_MAC_init(s->ctx, key, key_len, NULL) != 1)
        return false;
    if (key_len <= REMEMBERED_KEY_MAX) {
        memcpy(s->key, key, key_len);
        s->key_len = key_len;
        s->keyed = true;
    }
    return true;
}

/* Finishes into `mac` (EVP_MAX_MD_SIZE bytes), its length to *mac_len. */
static bool hmac_finish(struct hmac_slot *s, uint8_t *mac, size_t *mac_len)
{
    return EVP_MAC_final(s->ctx, mac, mac_len, EVP_MAX_MD_SIZE) == 1;
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
    struct hmac_slot *s = slot_for(md);
    bool ok = s && hmac_start(s, salt, salt_len) &&
              (ikm_len == 0 || EVP_MAC_update(s->ctx, ikm, ikm_len) == 1) &&
              hmac_finish(s, mac, &mac_len) && mac_len == (size_t)size;
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
    struct hmac_slot *s = md ? slot_for(md) : NULL;
    uint8_t t[EVP_MAX_MD_SIZE];
    size_t t_len = 0, done = 0;
    bool ok = s && out_len > 0 && out_len <= HKDF_MAX_LEN;

    for (uint8_t i = 1; ok && done < out_len; i++) {
        ok = hmac_start(s, prk, prk_len) &&
             (t_len == 0 || EVP_MAC_update(s->ctx, t, t_len) == 1) &&
             EVP_MAC_update(s->ctx, info, info_len) == 1 &&
             EVP_MAC_update(s->ctx, &i, 1) == 1 &&
             hmac_finish(s, t, &t_len) && t_len > 0;
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
