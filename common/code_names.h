/* code_names.h — names of protocol code points (TLS suites, extensions,
 * alerts, HPKE algorithms...) kept as tables sorted by code: the one row
 * type and the one bisection every name table uses. */
#ifndef TLSMON_CODE_NAMES_H
#define TLSMON_CODE_NAMES_H

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

#endif
