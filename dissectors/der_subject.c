/* der_subject.c — a certificate's subject found by walking its DER through
 * the cursor and decoded alone (see der_subject.h): the rest of the
 * certificate, its public key above all, is never decoded here. Its own
 * module so that a fuzz target can reach it. */
#include "der_subject.h"

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

/* One DER element: its tag and a cursor over its content. Only the forms
 * certificates use: one tag byte, lengths of up to four bytes. A tag
 * written in several bytes (low five bits all set) is refused, not read as
 * a tag and a length: OpenSSL reads it whole, and reading it otherwise
 * would split the certificate differently, so a name hidden in a serial
 * number's bytes would pass for the subject. */
static bool der_element(struct cursor *c, uint8_t *tag, struct cursor *content)
{
    uint8_t t, l;
    CURSOR_TRY(cursor_u8(c, &t));
    if ((t & 0x1f) == 0x1f)
        return false;
    CURSOR_TRY(cursor_u8(c, &l));
    uint32_t len = l;
    if (l & 0x80) {
        if ((l & 0x7f) == 0 || (l & 0x7f) > 4)
            return false;
        CURSOR_TRY(cursor_be(c, l & 0x7f, &len));
    }
    *tag = t;
    return cursor_sub(c, len, content);
}

X509_NAME *der_subject(const unsigned char *der, size_t len)
{
    struct cursor c = cursor_make(der, len), cert, tbs, skip;
    uint8_t tag, first;
    if (!der_element(&c, &tag, &cert) || tag != 0x30 ||
        !der_element(&cert, &tag, &tbs) || tag != 0x30 ||
        !cursor_peek_u8(&tbs, 0, &first))
        return NULL;
    /* [0] version (absent in v1), serial, signature, issuer, validity. */
    for (int i = first == 0xa0 ? 0 : 1; i < 5; i++)
        if (!der_element(&tbs, &tag, &skip))
            return NULL;
    size_t before, after;
    const unsigned char *start = cursor_rest(&tbs, &before);
    if (!der_element(&tbs, &tag, &skip) || tag != 0x30)
        return NULL;
    cursor_rest(&tbs, &after);
    return d2i_X509_NAME(NULL, &start, (long)(before - after));
}
