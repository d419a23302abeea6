/* cursor.h — the one bounds-checked reader every parser in tlsmon uses.
 *
 * A cursor is a read position over a byte span it does not own. Every read
 * either succeeds completely or fails without moving and without touching
 * bytes past the span; parsers propagate failure with CURSOR_TRY so that a
 * short or lying length can never turn into an out-of-bounds read. Nothing
 * else in the tree indexes packet memory directly, and nothing outside this
 * file writes a cursor's fields: positions move only through reads,
 * cursor_seek and cursor_rewind, which check their range, and
 * cursor_abort_to, which only goes back. "The structure ends here" is
 * cursor_expect_end, a fault when bytes are left.
 *
 * Faults are values (parse_fault.h). A cursor may carry a fault sink
 * (cursor_watch); every failed operation on it, or on a cursor split off
 * it, writes the kind and the offset from the start of the watched span
 * there. The last failure wins, as with errno: a parser that fails returns
 * at once, so the sink then holds the failure that stopped it. A parser
 * that goes on past a fault (an extension walk that keeps the facts after
 * a bad extension) saves the sink when it sees the fault it will report. */
#ifndef TLSMON_CURSOR_H
#define TLSMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse_fault.h"

struct cursor {
    const uint8_t *base;
    size_t len;
    size_t off;
    size_t origin;                /* offset of base in the watched span */
    struct parse_fault_at *fault; /* sink for failures, or NULL */
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
    struct cursor c = {base, base ? len : 0, 0, 0, NULL};
    return c;
}

/* Send this cursor's failures (and those of cursors split off it from now
 * on) to `sink`, which is cleared; offsets count from the current start of
 * the span. The sink must outlive the cursor and every cursor split off
 * it: watch a local cursor with a local sink. */
static inline void cursor_watch(struct cursor *c, struct parse_fault_at *sink)
{
    sink->kind = PARSE_FAULT_NONE;
    sink->offset = 0;
    c->origin = 0;
    c->fault = sink;
}

static inline size_t cursor_left(const struct cursor *c)
{
    return c->len - c->off;
}

static inline size_t cursor_pos(const struct cursor *c)
{
    return c->off;
}

/* The whole span's length, read or not. */
static inline size_t cursor_span(const struct cursor *c)
{
    return c->len;
}

/* Record a fault of `kind` at the read position; always false, so that a
 * parser says `return cursor_fail(c, PARSE_FAULT_BAD_VALUE);`. */
static inline CURSOR_MUST_USE bool cursor_fail(const struct cursor *c,
                                               enum parse_fault kind)
{
    if (c->fault) {
        c->fault->kind = kind;
        c->fault->offset = c->origin + c->off;
    }
    return false;
}

/* A failed parse puts the read position back to `pos` (where the field it
 * could not read began, at or before the read position), keeping the fault
 * already recorded; always false. */
static inline CURSOR_MUST_USE bool cursor_abort_to(struct cursor *c, size_t pos)
{
    if (pos <= c->off)
        c->off = pos;
    return false;
}

/* The same, recording a fault of `kind` at `pos`. */
static inline CURSOR_MUST_USE bool cursor_fail_at(struct cursor *c, size_t pos,
                                                  enum parse_fault kind)
{
    return cursor_abort_to(c, pos) || cursor_fail(c, kind);
}

/* The fault the watched span holds now (kind NONE when c is not watched or
 * nothing failed), for a parser that goes on past the fault it reports. */
static inline struct parse_fault_at cursor_last_fault(const struct cursor *c)
{
    struct parse_fault_at none = {PARSE_FAULT_NONE, 0};
    return c->fault ? *c->fault : none;
}

/* A fault of `kind` at the read position, not recorded yet: for a parser
 * that notes a fault, reads on, and reports it at the end. */
static inline struct parse_fault_at cursor_fault_here(const struct cursor *c,
                                                      enum parse_fault kind)
{
    struct parse_fault_at f = {kind, c->origin + c->off};
    return f;
}

/* Report `f` (a fault saved with cursor_last_fault) again; always false. */
static inline CURSOR_MUST_USE bool cursor_refail(const struct cursor *c,
                                                 struct parse_fault_at f)
{
    if (c->fault)
        *c->fault = f;
    return false;
}

static inline CURSOR_MUST_USE bool cursor_has(const struct cursor *c, size_t n)
{
    return n <= c->len - c->off;
}

/* Like cursor_has, but a shortfall is a fault (the bytes ended inside a
 * field). */
static inline CURSOR_MUST_USE bool cursor_need(const struct cursor *c, size_t n)
{
    return cursor_has(c, n) || cursor_fail(c, PARSE_FAULT_TRUNCATED);
}

/* The structure must end here: bytes left over are a fault. */
static inline CURSOR_MUST_USE bool cursor_expect_end(const struct cursor *c)
{
    return cursor_left(c) == 0 || cursor_fail(c, PARSE_FAULT_TRAILING);
}

/* Move the read position to `off` from the span's start (0..len). */
static inline CURSOR_MUST_USE bool cursor_seek(struct cursor *c, size_t off)
{
    if (off > c->len)
        return cursor_fail(c, PARSE_FAULT_TRUNCATED);
    c->off = off;
    return true;
}

/* Step back over `n` bytes already read: a parser that looked at a field
 * and found it is not its own leaves it for the caller. */
static inline CURSOR_MUST_USE bool cursor_rewind(struct cursor *c, size_t n)
{
    return n <= c->off && cursor_seek(c, c->off - n);
}

/* Drop the last `n` unread bytes from the span (trailing padding, a line
 * end). */
static inline CURSOR_MUST_USE bool cursor_trim_end(struct cursor *c, size_t n)
{
    CURSOR_TRY(cursor_need(c, n));
    c->len -= n;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_skip(struct cursor *c, size_t n)
{
    CURSOR_TRY(cursor_need(c, n));
    c->off += n;
    return true;
}

/* An unsigned integer of `width` (1..4) bytes, most significant first
 * unless `little_endian`. */
static inline CURSOR_MUST_USE bool cursor_uint(struct cursor *c, size_t width,
                                               bool little_endian,
                                               uint32_t *out)
{
    uint32_t v = 0;
    CURSOR_TRY(cursor_need(c, width));
    const uint8_t *b = c->base + c->off;
    /* The fixed widths are spelled out: the compiler turns each into one
     * load (and a byte swap), where it leaves a loop over a 4-byte field
     * a loop. */
    if (width == 2 && !little_endian)
        v = (uint32_t)b[0] << 8 | b[1];
    else if (width == 4 && !little_endian)
        v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
            (uint32_t)b[2] << 8 | b[3];
    else
        for (size_t i = 0; i < width; i++)
            v = (v << 8) | b[little_endian ? width - 1 - i : i];
    c->off += width;
    *out = v;
    return true;
}

/* A two-byte field narrowed to the type callers keep it in. */
static inline CURSOR_MUST_USE bool cursor_uint16(struct cursor *c,
                                                 bool little_endian,
                                                 uint16_t *out)
{
    uint32_t v;
    CURSOR_TRY(cursor_uint(c, 2, little_endian, &v));
    *out = (uint16_t)v;
    return true;
}

static inline CURSOR_MUST_USE bool cursor_u8(struct cursor *c, uint8_t *out)
{
    CURSOR_TRY(cursor_need(c, 1));
    *out = c->base[c->off++];
    return true;
}

/* The fixed widths below come in network order and, where a reader needs
 * them, little-endian: capture-format headers written in host order (BSD
 * loopback family, some pcap link headers). */
static inline CURSOR_MUST_USE bool cursor_be(struct cursor *c, size_t width,
                                             uint32_t *out)
{
    return cursor_uint(c, width, false, out);
}

static inline CURSOR_MUST_USE bool cursor_le(struct cursor *c, size_t width,
                                             uint32_t *out)
{
    return cursor_uint(c, width, true, out);
}

static inline CURSOR_MUST_USE bool cursor_u16(struct cursor *c, uint16_t *out)
{
    return cursor_uint16(c, false, out);
}

static inline CURSOR_MUST_USE bool cursor_u16le(struct cursor *c, uint16_t *out)
{
    return cursor_uint16(c, true, out);
}

static inline CURSOR_MUST_USE bool cursor_u24(struct cursor *c, uint32_t *out)
{
    return cursor_be(c, 3, out);
}

static inline CURSOR_MUST_USE bool cursor_u32(struct cursor *c, uint32_t *out)
{
    return cursor_be(c, 4, out);
}

static inline CURSOR_MUST_USE bool cursor_u32le(struct cursor *c, uint32_t *out)
{
    return cursor_le(c, 4, out);
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
    CURSOR_TRY(cursor_need(c, n));
    if (n)
        memcpy(dst, c->base + c->off, n);
    c->off += n;
    return true;
}

/* The next n bytes (n <= left) as a cursor of their own that reports its
 * faults where `c` does, at offsets in the same watched span. */
static inline struct cursor cursor_split(struct cursor *c, size_t n)
{
    struct cursor sub = cursor_make(c->base ? c->base + c->off : NULL, n);
    sub.origin = c->origin + c->off;
    sub.fault = c->fault;
    c->off += sub.len;
    return sub;
}

/* Split off the next n bytes as their own cursor (a length-prefixed vector):
 * reads inside `sub` can never reach past those n bytes. */
static inline CURSOR_MUST_USE bool cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
    CURSOR_TRY(cursor_need(c, n));
    *sub = cursor_split(c, n);
    return true;
}

/* Split off the next n bytes, or all that are left when fewer are (a span
 * the snaplen cut short): cannot fail. */
static inline struct cursor cursor_take(struct cursor *c, size_t n)
{
    size_t left = cursor_left(c);
    return cursor_split(c, n < left ? n : left);
}

/* A vector prefixed by a `width`-byte big-endian length, the TLS wire idiom.
 * A length running past the bytes left is a bad length, reported at the
 * prefix, which is left unread. */
static inline CURSOR_MUST_USE bool cursor_vec(struct cursor *c, size_t width,
                                              struct cursor *sub)
{
    uint32_t n;
    CURSOR_TRY(cursor_be(c, width, &n));
    if (cursor_has(c, n)) {
        *sub = cursor_split(c, n);
        return true;
    }
    c->off -= width; /* just read: cannot underflow */
    return cursor_fail(c, PARSE_FAULT_BAD_LENGTH);
}

static inline CURSOR_MUST_USE bool cursor_vec8(struct cursor *c, struct cursor *sub)
{
    return cursor_vec(c, 1, sub);
}

static inline CURSOR_MUST_USE bool cursor_vec16(struct cursor *c, struct cursor *sub)
{
    return cursor_vec(c, 2, sub);
}

static inline CURSOR_MUST_USE bool cursor_vec24(struct cursor *c, struct cursor *sub)
{
    return cursor_vec(c, 3, sub);
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
