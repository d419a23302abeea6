/* escape.h — text read off the wire (SNI, ALPN, certificate names, previews
 * of what was not TLS) made safe to print and to put in JSON: the one
 * policy every field and output uses. */
#ifndef TLSMON_ESCAPE_H
#define TLSMON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "hex.h"

/* Which bytes are copied as they are; every other byte is written as
 * \xNN (lower-case hex), so text from the wire is safe to print and to put
 * in JSON, and reads back as exactly the bytes that came. One rule, three
 * inputs:
 *  - ESCAPE_NAME, names read off the wire (SNI, ALPN, nDPI's reading of
 *    the SNI): printable ASCII but the space and the backslash, so a name
 *    is one unambiguous token;
 *  - ESCAPE_TEXT, free text read off the wire (certificate names): the
 *    same, spaces kept;
 *  - ESCAPE_STORED, text that was escaped when it was stored, shown again
 *    (the text and summary outputs): its backslashes are its escapes and
 *    stay; only what is still unprintable is escaped. */
enum escape_policy { ESCAPE_NAME, ESCAPE_TEXT, ESCAPE_STORED };

static inline bool escape_keeps(uint8_t b, enum escape_policy p)
{
    if (b < 0x20 || b >= 0x7f)
        return false;
    if (p == ESCAPE_STORED)
        return true;
    return b != '\\' && (b != ' ' || p == ESCAPE_TEXT);
}

/* Appends b to dst (`cap` bytes, `*n` used, terminated by the caller) as
 * itself or as \xNN. False, with nothing written, when it does not fit
 * with room left for the terminator. */
static inline bool escape_put(uint8_t b, char *dst, size_t *n, size_t cap,
                              enum escape_policy p)
{
    if (escape_keeps(b, p)) {
        if (*n + 1 >= cap)
            return false;
        dst[(*n)++] = (char)b;
        return true;
    }
    if (*n + 4 >= cap)
        return false;
    dst[(*n)++] = '\\';
    dst[(*n)++] = 'x';
    dst[(*n)++] = hex_digit(b >> 4, false);
    dst[(*n)++] = hex_digit(b, false);
    return true;
}

/* `len` bytes of src into dst (`cap` bytes, always terminated) under
 * policy p; stops before a byte that would not fit. Returns the number of
 * bytes of src copied. */
static inline size_t escape_bytes(const uint8_t *src, size_t len, char *dst,
                                  size_t cap, enum escape_policy p)
{
    size_t n = 0, i = 0;
    if (cap == 0)
        return 0;
    while (i < len && escape_put(src[i], dst, &n, cap, p))
        i++;
    dst[n] = '\0';
    return i;
}

/* A preview (the start of an answer that is not TLS, a refused STARTTLS
 * command's answer) keeps its length and shape: an unprintable byte is
 * shown as '.', as hex dumps do. */
static inline char escape_preview_char(uint8_t b)
{
    return (b >= 0x20 && b < 0x7f) ? (char)b : '.';
}

/* The bytes left in `src` under ESCAPE_NAME into dst (`cap` bytes, always
 * terminated). Stops at the first byte that would not fit; returns false
 * when something was left out. */
static inline bool escape_copy(struct cursor *src, char *dst, size_t cap)
{
    size_t n = 0;
    uint8_t b;

    if (cap == 0)
        return cursor_left(src) == 0;
    while (cursor_peek_u8(src, 0, &b) &&
           escape_put(b, dst, &n, cap, ESCAPE_NAME))
        if (!cursor_skip(src, 1))
            break;
    dst[n] = '\0';
    return cursor_left(src) == 0;
}

#endif
