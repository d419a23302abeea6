/* text_buf.h — text appended to a fixed buffer that stays terminated and
 * cuts what does not fit: fingerprint strings and alert messages are built
 * this way, one bounds check per piece instead of snprintf per piece. */
#ifndef TLSMON_TEXT_BUF_H
#define TLSMON_TEXT_BUF_H

#include <stddef.h>
#include <string.h>

struct text_buf {
    char *buf;
    size_t len, cap; /* cap includes the terminating NUL */
};

static inline struct text_buf text_buf_make(char *buf, size_t cap)
{
    struct text_buf t = {buf, 0, cap};
    return t;
}

/* As many of the n bytes as fit. */
static inline void text_put(struct text_buf *t, const char *s, size_t n)
{
    if (t->len + 1 >= t->cap)
        return;
    size_t room = t->cap - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static inline void text_put_str(struct text_buf *t, const char *s)
{
    text_put(t, s, strlen(s));
}

static inline void text_put_char(struct text_buf *t, char c)
{
    if (t->len + 1 < t->cap) {
        t->buf[t->len++] = c;
        t->buf[t->len] = '\0';
    }
}

#endif
