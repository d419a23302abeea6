/* digest.c — digests fetched once for the whole run (see digest.h). The
 * objects live until exit, like OpenSSL's own static ones. */
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
