/* cursor.h — the one bounds-checked reader every parser in tlsmon uses.
 *
 * A cursor is a read position over a byte span it does not own. Every read
 * either succeeds completely or fails without moving and without touching
 * bytes past the span; parsers propagate failure with CURSOR_TRY so that a
 * short or lying length can never turn into an out-of-bounds read. Nothing
 * else in the tree indexes packet memory directly. */
#ifndef TLSMON_CURSOR_H
#define TLSMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
    const uint8_t *base;
    size_t len;
    size_t off;
};

/* A read's result says whether it happened; ignoring it would let a parser
 * go on with a value it never read, so the compiler refuses that (with
 * -Werror). A (void) cast does not silence it: handle the failure. */
#define CURSOR_MUST_USE __attribute__((warn_unused_result))

/* Propagate a failed read to the caller: the only error path parsers need. */
#define CURSOR_TRY(expr)                                                       \
    do {                                                                       \
        if (!(expr))                                                           \
            return false;                                                      \
    } while (0)

static inline struct cursor cursor_make(const uint8_t *base, size_t len)
{
    struct cursor c = {base, base ? len : 0, 0};
    return c;
}

static inline size_t cursor_left(const struct cursor *c)
{
    return c->len - c->off;
}

static inline size_t cursor_pos(const struct cursor *c)
{
    return c->off;
}

static inline CURSOR_MUST_USE bool cursor_has(const struct cursor *c, size_t n)
{
    return n <= c->len - c->off;
}

static inline CURSOR_MUST_USE bool cursor_skip(struct cursor *c, size_t n)
{
    if (!cursor_has(c, n))
        return false;
    c->off += n;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_u8(struct cursor *c, uint8_t *out)
{
    if (!cursor_has(c, 1))
        return false;
    *out = c->base[c->off];
    c->off += 1;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_u16(struct cursor *c, uint16_t *out)
{
    if (!cursor_has(c, 2))
        return false;
    *out = (uint16_t)((c->base[c->off] << 8) | c->base[c->off + 1]);
    c->off += 2;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_u24(struct cursor *c, uint32_t *out)
{
    if (!cursor_has(c, 3))
        return false;
    *out = ((uint32_t)c->base[c->off] << 16) |
           ((uint32_t)c->base[c->off + 1] << 8) | c->base[c->off + 2];
    c->off += 3;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_u32(struct cursor *c, uint32_t *out)
{
    if (!cursor_has(c, 4))
        return false;
    *out = ((uint32_t)c->base[c->off] << 24) |
           ((uint32_t)c->base[c->off + 1] << 16) |
           ((uint32_t)c->base[c->off + 2] << 8) | c->base[c->off + 3];
    c->off += 4;
    return true;
}

/* Little-endian reads, for capture-format headers written in host order
 * (BSD loopback family, some pcap link headers). */
static inline CURSOR_MUST_USE bool cursor_u16le(struct cursor *c, uint16_t *out)
{
    if (!cursor_has(c, 2))
        return false;
    *out = (uint16_t)(c->base[c->off] | (c->base[c->off + 1] << 8));
    c->off += 2;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_u32le(struct cursor *c, uint32_t *out)
{
    if (!cursor_has(c, 4))
        return false;
    *out = (uint32_t)c->base[c->off] | ((uint32_t)c->base[c->off + 1] << 8) |
           ((uint32_t)c->base[c->off + 2] << 16) |
           ((uint32_t)c->base[c->off + 3] << 24);
    c->off += 4;
    return true;
}

/* Look at the byte `ahead` positions past the read position without
 * consuming anything. */
static inline CURSOR_MUST_USE bool cursor_peek_u8(const struct cursor *c, size_t ahead,
                                  uint8_t *out)
{
    if (!cursor_has(c, ahead + 1) || ahead + 1 == 0)
        return false;
    *out = c->base[c->off + ahead];
    return true;
}

static inline CURSOR_MUST_USE bool cursor_peek_u16(const struct cursor *c, size_t ahead,
                                   uint16_t *out)
{
    uint8_t hi, lo;
    if (!cursor_peek_u8(c, ahead, &hi) || !cursor_peek_u8(c, ahead + 1, &lo))
        return false;
    *out = (uint16_t)((hi << 8) | lo);
    return true;
}

/* Copy n bytes out. */
static inline CURSOR_MUST_USE bool cursor_copy(struct cursor *c, void *dst, size_t n)
{
    if (!cursor_has(c, n))
        return false;
    if (n)
        memcpy(dst, c->base + c->off, n);
    c->off += n;
    return true;
}

/* Split off the next n bytes as their own cursor (a length-prefixed vector):
 * reads inside `sub` can never reach past those n bytes. */
static inline CURSOR_MUST_USE bool cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
    if (!cursor_has(c, n))
        return false;
    *sub = cursor_make(c->base + c->off, n);
    c->off += n;
    return true;
}

/* Split off the next n bytes, or all that are left when fewer are (a span
 * the snaplen cut short): cannot fail. */
static inline struct cursor cursor_take(struct cursor *c, size_t n)
{
    size_t left = cursor_left(c);
    struct cursor sub = cursor_make(c->base ? c->base + c->off : NULL,
                                    n < left ? n : left);
    c->off += sub.len;
    return sub;
}

/* Vectors prefixed by a 1-, 2- or 3-byte length, the TLS wire idiom. */
static inline CURSOR_MUST_USE bool cursor_vec8(struct cursor *c, struct cursor *sub)
{
    uint8_t n;
    size_t save = c->off;
    if (!cursor_u8(c, &n) || !cursor_sub(c, n, sub)) {
        c->off = save;
        return false;
    }
    return true;
}

static inline CURSOR_MUST_USE bool cursor_vec16(struct cursor *c, struct cursor *sub)
{
    uint16_t n;
    size_t save = c->off;
    if (!cursor_u16(c, &n) || !cursor_sub(c, n, sub)) {
        c->off = save;
        return false;
    }
    return true;
}

static inline CURSOR_MUST_USE bool cursor_vec24(struct cursor *c, struct cursor *sub)
{
    uint32_t n;
    size_t save = c->off;
    if (!cursor_u24(c, &n) || !cursor_sub(c, n, sub)) {
        c->off = save;
        return false;
    }
    return true;
}

/* The unread remainder as a (pointer, length) pair, for handing a span on to
 * another stage (payload to reassembly, DER to libcrypto). The pointer is only
 * ever passed on with its length, never indexed. */
static inline const uint8_t *cursor_rest(const struct cursor *c, size_t *len)
{
    *len = c->len - c->off;
    return c->base ? c->base + c->off : NULL;
}

#endif
