/* hex.h — hexadecimal digits, written by hand (snprintf per value showed in
 * the profiles): the one digit table and the one byte encoder every output
 * and fingerprint uses, and its inverse. */
#ifndef TLSMON_HEX_H
#define TLSMON_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The digit for the low four bits of v. */
static inline char hex_digit(unsigned v, bool upper)
{
    return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[v & 15];
}

/* The value of one digit, either case; -1 for any other character. */
static inline int hex_digit_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* n bytes as 2n digits into dst, which holds 2n + 1: NUL-terminated. */
static inline void hex_encode(const uint8_t *src, size_t n, char *dst,
                              bool upper)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = hex_digit(src[i] >> 4, upper);
        dst[2 * i + 1] = hex_digit(src[i], upper);
    }
    dst[2 * n] = '\0';
}

#endif
