/* code_names.c — bisection over a code-sorted name table (see
 * code_names.h). */
#include "code_names.h"

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
