/* escape.h — names read off the wire (SNI, nDPI's reading of it) made safe
 * to print and to put in JSON: the one escaping every name field uses. */
#ifndef TLSMON_ESCAPE_H
#define TLSMON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

/* Copy the bytes of `src` into `dst` (`cap` bytes, always terminated),
 * writing every byte outside printable ASCII, the space and the backslash
 * as \xNN so names are safe to print and unambiguous. Stops before an
 * escape or byte that would not fit; returns false when something was left
 * out. */
static inline bool escape_copy(struct cursor *src, char *dst, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    uint8_t b;

    if (cap == 0)
        return cursor_left(src) == 0;
    while (cursor_u8(src, &b)) {
        if (b > 0x20 && b < 0x7f && b != '\\') {
            if (n + 1 >= cap)
                break;
            dst[n++] = (char)b;
        } else {
            if (n + 4 >= cap)
                break;
            dst[n++] = '\\';
            dst[n++] = 'x';
            dst[n++] = hex[b >> 4];
            dst[n++] = hex[b & 0x0f];
        }
    }
    dst[n] = '\0';
    return cursor_left(src) == 0;
}

#endif
