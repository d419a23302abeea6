/* hkdf.c — HKDF extract and TLS 1.3 expand-label over OpenSSL's HKDF,
 * fetched once (an implicit fetch per call takes the provider lock). */
#include "hkdf.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

static EVP_KDF *hkdf;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

/* One HKDF call in `mode` (extract only or expand only). */
static bool run_hkdf(const EVP_MD *md, int mode, const uint8_t *key,
                     size_t key_len, const uint8_t *salt, size_t salt_len,
                     const uint8_t *info, size_t info_len, uint8_t *out,
                     size_t out_len)
{
    pthread_once(&fetched, fetch);
    if (!hkdf || !md || out_len == 0 || out_len > HKDF_MAX_LEN)
        return false;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(hkdf);
    if (!ctx)
        return false;
    OSSL_PARAM params[6], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(
        OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key,
                                             key_len);
    if (salt)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *)salt, salt_len);
    if (info)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    bool ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    return ok;
}

bool hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len,
                  const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
    int size = md ? EVP_MD_get_size(md) : 0;
    /* An empty salt is HashLen zero bytes (RFC 5869 §2.2). */
    static const uint8_t zeros[HKDF_MAX_LEN];
    if (size <= 0 || size > HKDF_MAX_LEN)
        return false;
    if (!salt || salt_len == 0) {
        salt = zeros;
        salt_len = (size_t)size;
    }
    return run_hkdf(md, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, salt,
                    salt_len, NULL, 0, prk, (size_t)size);
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
        (context_len && !context))
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
    return run_hkdf(md, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, secret_len,
                    NULL, 0, info, n, out, out_len);
}
