/* fuzz_der_subject.c — libFuzzer target for the subject reader of CA files
 * (dissectors/der_subject.c): the input is the DER of one certificate.
 * Beyond "no crash", it checks that a subject found is a slice of the
 * input (its encoding occurs there), that bytes after the certificate
 * change nothing, and that when OpenSSL decodes the same bytes as a whole
 * certificate, the subject found is the one OpenSSL sees.
 *
 * A tag written in several bytes is refused (OpenSSL reads it whole; read
 * as a tag and a length it would split the certificate differently, and
 * a name hidden in a serial number could pass for the subject: a seed).
 *
 * The other way round does not hold and is not checked: OpenSSL reads BER
 * forms (indefinite lengths, lengths of more than four bytes) that the
 * reader refuses by design, so a certificate OpenSSL decodes may have no
 * subject here. A refused CA file is read whole by OpenSSL instead. */
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/der_subject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

/* Both NULL, or both names and equal. */
static bool same_name(const X509_NAME *a, const X509_NAME *b)
{
    if (!a || !b)
        return a == b;
    return X509_NAME_cmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509_NAME *name = der_subject(data, size);

    if (name) {
        /* Decoded from a slice of the input, whose bytes the name keeps:
         * its encoding is that slice. */
        unsigned char *enc = NULL;
        int n = i2d_X509_NAME(name, &enc);
        CHECK(n > 0 && (size_t)n <= size);
        CHECK(memmem(data, size, enc, (size_t)n) != NULL);
        OPENSSL_free(enc);
    }

    /* The certificate's own bytes decide: one byte more after them is
     * never read. */
    unsigned char *longer = malloc(size + 1);
    CHECK(longer != NULL);
    if (size)
        memcpy(longer, data, size);
    longer[size] = 0x30;
    X509_NAME *again = der_subject(longer, size + 1);
    free(longer);
    CHECK(!name || same_name(name, again));
    X509_NAME_free(again);

    /* What OpenSSL decodes as a whole certificate has the same subject. */
    const unsigned char *p = data;
    X509 *x = size <= 0x7fffffff ? d2i_X509(NULL, &p, (long)size) : NULL;
    if (x && name)
        CHECK(same_name(name, X509_get_subject_name(x)));
    X509_free(x);
    X509_NAME_free(name);
    return 0;
}
