/* code_names.c — bisection over a code-sorted name table, and the direct
 * index built from one (see code_names.h). */
#include "code_names.h"

#include <stdlib.h>

ptrdiff_t code_name_index(const struct code_name *t, size_t n, uint32_t code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].code == code)
            return (ptrdiff_t)mid;
        if (t[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *code_name_find(const struct code_name *t, size_t n,
                           uint32_t code)
{
    ptrdiff_t i = code_name_index(t, n, code);
    return i < 0 ? NULL : t[i].name;
}

/* The page of every high byte no row has. */
static const uint16_t no_rows[256];

bool code_index_build(struct code_index *ix)
{
    if (ix->n >= 0xffff)
        return false;
    bool used[256] = {false};
    size_t pages = 0;
    for (size_t i = 0; i < ix->n; i++) {
        uint32_t c = ix->t[i].code;
        if (c <= 0xffff && !used[c >> 8]) {
            used[c >> 8] = true;
            pages++;
        }
    }
    uint16_t *mem = pages ? calloc(pages * 256, sizeof(*mem)) : NULL;
    if (pages && !mem)
        return false;
    uint16_t *page_of[256] = {NULL};
    for (size_t hi = 0, k = 0; hi < 256; hi++)
        if (used[hi])
            page_of[hi] = mem + 256 * k++;
    for (size_t i = 0; i < ix->n; i++) {
        uint32_t c = ix->t[i].code;
        /* The first row of a code, as a table has at most one. */
        if (c <= 0xffff && page_of[c >> 8][c & 0xff] == 0)
            page_of[c >> 8][c & 0xff] = (uint16_t)(i + 1);
    }
    for (size_t hi = 0; hi < 256; hi++)
        ix->page[hi] = used[hi] ? page_of[hi] : no_rows;
    return true;
}
