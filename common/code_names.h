/* code_names.h — names of protocol code points (TLS suites, extensions,
 * alerts, HPKE algorithms...) kept as tables sorted by code: the one row
 * type, the one bisection every name table uses, and the direct index the
 * tables asked about for every value of every hello keep beside it. */
#ifndef TLSMON_CODE_NAMES_H
#define TLSMON_CODE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 32-bit codes so that one type serves 16-bit registries and the 24-bit
 * SSLv2 cipher kinds alike; the row is no larger for it. */
struct code_name {
    uint32_t code;
    const char *name;
};

/* The row of `code` in t[0..n), which must be sorted by code; -1 if absent. */
ptrdiff_t code_name_index(const struct code_name *t, size_t n, uint32_t code);

/* The name of `code` in t[0..n) sorted by code; NULL if absent. */
const char *code_name_find(const struct code_name *t, size_t n,
                           uint32_t code);

/* A direct index over a code-sorted table, for 16-bit codes: a lookup is
 * two array reads where the bisection of a 380-row table takes nine steps,
 * and the hello's suites, extensions, groups and signature schemes are
 * looked up a few times each per handshake (the bisection was 2% of all
 * instructions). Per high byte, a page of 256 entries holding row + 1
 * (0: no such code); the high bytes no row has share one page of zeros,
 * so the memory is 512 bytes per high byte in use, fixed at build.
 *
 * Declare one as CODE_INDEX(table, n): until code_index_build has run,
 * and for codes above 16 bits, lookups bisect the table, so a lookup is
 * always right and the index only makes it quicker. */
struct code_index {
    const struct code_name *t;
    size_t n;
    const uint16_t *page[256];
};

#define CODE_INDEX(table, rows) { (table), (rows), {0} }

/* Fill the pages of ix from its table (sorted by code, fewer than 65 535
 * rows); false when memory is short, and ix then keeps bisecting. Build
 * once before the index is shared between threads; the pages live until
 * exit. */
bool code_index_build(struct code_index *ix);

/* The row of `code` in ix's table; -1 if absent. */
static inline ptrdiff_t code_index_row(const struct code_index *ix,
                                       uint32_t code)
{
    const uint16_t *page = code <= 0xffff ? ix->page[code >> 8] : NULL;
    if (page)
        return (ptrdiff_t)page[code & 0xff] - 1;
    return code_name_index(ix->t, ix->n, code);
}

/* The name of `code` in ix's table; NULL if absent. */
static inline const char *code_index_name(const struct code_index *ix,
                                          uint32_t code)
{
    ptrdiff_t i = code_index_row(ix, code);
    return i < 0 ? NULL : ix->t[i].name;
}

#endif
