/* fuzz_der_subject.c — libFuzzer target for the subject reader of CA files
 * (dissectors/der_subject.c): the input is the DER of one certificate.
 * Beyond "no crash", it checks that a subject found is a slice of the
 * input (its encoding occurs there), that bytes after the certificate
 * change nothing, and that when OpenSSL decodes the same bytes as a whole
 * certificate, the subject found is the one OpenSSL sees.
 *
 * That last check needs one-byte tags on the path to the subject. OpenSSL
 * also reads a tag in several bytes (low five bits all set, then the
 * number), which the reader takes for a one-byte tag and a length: the two
 * then split the tbsCertificate differently, and the reader can find a
 * SEQUENCE inside, say, the serial number's bytes. Such inputs are skipped
 * (seed: a serial with a multi-byte tag hiding another name).
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

#include "common/cursor.h"
#include "dissectors/der_subject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

/* Both NULL, or both names and equal. */
static bool same_name(const X509_NAME *a, const X509_NAME *b)
{
    if (!a || !b)
        return a == b;
    return X509_NAME_cmp(a, b) == 0;
}

/* The next element of c as the reader walks it (one tag byte, lengths of
 * up to four bytes), and whether its tag really is one byte. */
static bool element(struct cursor *c, bool *one_byte, struct cursor *content)
{
    uint8_t t, l;
    CURSOR_TRY(cursor_u8(c, &t));
    CURSOR_TRY(cursor_u8(c, &l));
    uint32_t len = l;
    if (l & 0x80) {
        if ((l & 0x7f) == 0 || (l & 0x7f) > 4)
            return false;
        CURSOR_TRY(cursor_be(c, l & 0x7f, &len));
    }
    *one_byte = (t & 0x1f) != 0x1f;
    return cursor_sub(c, len, content);
}

/* Whether the certificate, its tbsCertificate and the six elements the
 * reader may look at inside it all have one-byte tags. Up to the first
 * that does not, the reader and OpenSSL split the bytes alike; where the
 * reader's walk fails first, it finds no subject. */
static bool tags_read_alike(const uint8_t *data, size_t size)
{
    struct cursor c = cursor_make(data, size), cert, tbs, skip;
    bool one;
    if (!element(&c, &one, &cert))
        return true;
    if (!one)
        return false;
    if (!element(&cert, &one, &tbs))
        return true;
    if (!one)
        return false;
    for (int i = 0; i < 6; i++) {
        if (!element(&tbs, &one, &skip))
            return true;
        if (!one)
            return false;
    }
    return true;
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
    if (x && name && tags_read_alike(data, size))
        CHECK(same_name(name, X509_get_subject_name(x)));
    X509_free(x);
    X509_NAME_free(name);
    return 0;
}
