/* cert_decode.c — certificates decoded in a library context of tlsmon's
 * own, whose one provider offers the default provider's algorithms with
 * only the decoders a certificate's public key can need.
 *
 * Why: d2i_X509 decodes the certificate's SubjectPublicKeyInfo through
 * OSSL_DECODER_CTX_new_for_pkey, and OpenSSL 3.0 builds that decoder
 * context anew for every certificate by walking every key manager and
 * every decoder the context's providers offer (the default provider has
 * 40 decoders: private keys, PEM, MSBLOB, PVK... of which a public key in
 * a certificate can use the 12 that read SubjectPublicKeyInfo DER). On a
 * network-shaped capture that walk was most of the time a new leaf costs
 * to decode (~150 µs of ~230 µs in the run, its tables cold). With only
 * those 12 decoders to walk, a certificate decodes in ~55 µs instead of
 * ~120 µs measured apart from tlsmon (OpenSSL 3.1 and later keep such
 * contexts in a cache of their own).
 *
 * The provider hands out the default provider's own algorithm tables and
 * its provider context, so every key, digest and signature is the default
 * provider's code with its state: a key decoded here verifies, compares
 * and prints as one d2i_X509 decoded. The default provider is only used
 * when the process has it: if this OpenSSL's configuration leaves it out
 * (a FIPS-only one), or the context cannot be made, certificates are
 * decoded in the default context, as d2i_X509 does.
 *
 * The context, like the digests of digest.c, lives until exit: certificates
 * decoded in it are kept in caches until their stages end. */
#include "cert_decode.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "array_len.h"

#define PROVIDER_NAME "tlsmon-cert-decode"

static OSSL_PROVIDER *default_provider;
/* The default provider's table of each operation, the decoders' filtered:
 * what the provider answers. */
static const OSSL_ALGORITHM *operations[OSSL_OP__HIGHEST + 1];
static int operation_no_cache[OSSL_OP__HIGHEST + 1];
static OSSL_ALGORITHM key_decoders[64];
static OSSL_LIB_CTX *decode_ctx; /* NULL: the default context */
static pthread_once_t made = PTHREAD_ONCE_INIT;

static const OSSL_ALGORITHM *query_operation(void *provctx, int operation,
                                             int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    if (operation < 0 || operation > OSSL_OP__HIGHEST)
        return NULL;
    if (operation == OSSL_OP_DECODER)
        return key_decoders; /* copied: ours to keep */
    *no_cache = operation_no_cache[operation];
    return operations[operation];
}

/* The provider context is the default provider's, freed by its owner. */
static void teardown(void *provctx)
{
    (void)provctx;
}

static const OSSL_DISPATCH provider_functions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query_operation},
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))teardown},
    {0, NULL},
};

static int provider_init(const OSSL_CORE_HANDLE *handle,
                         const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
                         void **provctx)
{
    (void)handle;
    (void)in;
    *out = provider_functions;
    *provctx = OSSL_PROVIDER_get0_provider_ctx(default_provider);
    return *provctx != NULL;
}

/* The decoders that read a public key's DER SubjectPublicKeyInfo: the
 * structure's own (which names the key type) and each key type's. */
static bool keep_key_decoders(void)
{
    int no_cache = 0;
    const OSSL_ALGORITHM *all = OSSL_PROVIDER_query_operation(
        default_provider, OSSL_OP_DECODER, &no_cache);
    size_t n = 0;
    for (; all && all->algorithm_names; all++) {
        const char *props = all->property_definition;
        if (!props || !strstr(props, "input=der") ||
            !strstr(props, "structure=SubjectPublicKeyInfo"))
            continue;
        if (n + 1 >= ARRAY_LEN(key_decoders))
            return false;
        key_decoders[n++] = *all;
    }
    return n > 0; /* the rest of the array is zero: the table's end */
}

static int note_default(OSSL_PROVIDER *provider, void *found)
{
    if (!strcmp(OSSL_PROVIDER_get0_name(provider), "default"))
        *(bool *)found = true;
    return 1;
}

static void make_context(void)
{
    /* Active: loaded by the configuration or as OpenSSL's fallback; the
     * load below then takes one more reference and adds nothing to what
     * the process uses. */
    bool active = false;
    OSSL_PROVIDER_do_all(NULL, note_default, &active);
    if (!active)
        goto failed;
    default_provider = OSSL_PROVIDER_load(NULL, "default");
    if (!default_provider || !keep_key_decoders())
        goto failed;
    for (int op = 1; op <= OSSL_OP__HIGHEST; op++)
        if (op != OSSL_OP_DECODER)
            operations[op] = OSSL_PROVIDER_query_operation(
                default_provider, op, &operation_no_cache[op]);
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    if (!ctx)
        goto failed;
    if (!OSSL_PROVIDER_add_builtin(ctx, PROVIDER_NAME, provider_init) ||
        !OSSL_PROVIDER_load(ctx, PROVIDER_NAME)) {
        OSSL_LIB_CTX_free(ctx);
        goto failed;
    }
    decode_ctx = ctx;
    return;
failed:
    ERR_clear_error();
}

X509 *cert_decode(const uint8_t *der, size_t len)
{
    pthread_once(&made, make_context);
    if (len == 0 || len > LONG_MAX)
        return NULL;
    const unsigned char *p = der;
    X509 *x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len,
                                       ASN1_ITEM_rptr(X509), decode_ctx,
                                       NULL);
    if (x && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

bool cert_decode_in_own_context(void)
{
    pthread_once(&made, make_context);
    return decode_ctx != NULL;
}
