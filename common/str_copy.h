/* str_copy.h — a bounded string copy for the per-record path, where
 * snprintf(dst, n, "%s", src) spent its time parsing the format. */
#ifndef TLSMON_STR_COPY_H
#define TLSMON_STR_COPY_H

#include <stddef.h>
#include <string.h>

/* src (NULL as "") into dst of `cap` bytes, cut to fit, always terminated. */
static inline void str_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

#endif
