/* committed_certs.h — for unit tests: the certificates of captures/certs
 * as their files hold the DER (not re-encoded), one by one or all of them,
 * and a certificate cut short at every length. Its checks are cmocka's:
 * include it after <cmocka.h>. */
#ifndef TLSMON_TEST_COMMITTED_CERTS_H
#define TLSMON_TEST_COMMITTED_CERTS_H

#include <glob.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The DER of the first certificate of a PEM file; its length in *len.
 * The caller frees it with OPENSSL_free. */
static unsigned char *committed_cert_der(const char *path, long *len)
{
    BIO *bio = BIO_new_file(path, "r");
    assert_non_null(bio);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    assert_true(PEM_read_bio(bio, &name, &header, &der, len));
    assert_string_equal(name, "CERTIFICATE");
    OPENSSL_free(name);
    OPENSSL_free(header);
    BIO_free(bio);
    return der;
}

/* `check` on every proper prefix of der[0..full), each in a buffer of its
 * own size, so that the sanitizers see a read past it. */
static void each_cut(const unsigned char *der, size_t full,
                     void (*check)(const unsigned char *part, size_t len))
{
    for (size_t cut = 0; cut < full; cut++) {
        unsigned char *part = malloc(cut ? cut : 1);
        assert_non_null(part);
        memcpy(part, der, cut);
        check(part, cut);
        free(part);
    }
}

/* Calls `each` on every certificate of every *.pem of `dir`; returns how
 * many (a test asserts there were some). */
static size_t each_committed_cert(const char *dir,
                                  void (*each)(const unsigned char *der,
                                               size_t len))
{
    char pattern[600];
    snprintf(pattern, sizeof(pattern), "%s/*.pem", dir);
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    size_t n_certs = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        BIO *bio = BIO_new_file(g.gl_pathv[i], "r");
        assert_non_null(bio);
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long len = 0;
        while (PEM_read_bio(bio, &name, &header, &der, &len)) {
            if (!strcmp(name, "CERTIFICATE")) {
                each(der, (size_t)len);
                n_certs++;
            }
            OPENSSL_free(name);
            OPENSSL_free(header);
            OPENSSL_free(der);
        }
        BIO_free(bio);
    }
    ERR_clear_error();
    globfree(&g);
    return n_certs;
}

#endif
