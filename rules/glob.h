/* glob.h — the `glob` operator's patterns, shaped once when rules load so
 * that evaluation mostly compares bytes instead of running fnmatch. */
#ifndef TLSMON_RULES_GLOB_H
#define TLSMON_RULES_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* What a pattern needs. Only `*` is special in the fast shapes; any `?`,
 * `[` or `\` makes a pattern general. */
enum glob_shape {
    GLOB_GENERAL,  /* fnmatch(FNM_CASEFOLD) */
    GLOB_EXACT,    /* abc */
    GLOB_PREFIX,   /* abc* */
    GLOB_SUFFIX,   /* *abc */
    GLOB_CONTAINS, /* *abc*, and `*` alone (an empty needle) */
    GLOB_STARS,    /* other literals between stars: a*b, *a*b* ... */
};

/* Runs of `*` count as one star in every shape. */
struct glob {
    const char *pattern;  /* as written: what the general shape matches */
    enum glob_shape shape;
    /* The pattern with ASCII letters lowered, stars kept, and its length;
     * head: the literal before the first star, tail: after the last one
     * (their lengths), needle: the one literal of a contains shape. */
    const char *lowered;
    size_t len, head, tail;
    const char *needle;
    size_t needle_len;
};

/* Classifies `pattern` into *g; `lowered` has room for strlen(pattern) + 1
 * bytes and must live as long as g. */
void glob_compile(struct glob *g, const char *pattern, char *lowered);

/* The first `len` bytes of value with ASCII letters lowered, into buf (cap
 * bytes, NUL included); NULL when it does not fit. Made once for all the
 * patterns a value is tested against. */
const char *glob_lower(const char *value, size_t len, char *buf,
                       size_t cap);

/* Does `value` (len bytes, no NUL inside) match? `lowered` is
 * glob_lower's copy of it, or NULL: then fnmatch decides every shape. */
bool glob_match(const struct glob *g, const char *value,
                const char *lowered, size_t len);

/* What every shape must agree with: fnmatch on the pattern as written,
 * ASCII case ignored (tlsmon never leaves the C locale). */
bool glob_match_general(const struct glob *g, const char *value);

/* The literals-between-stars matcher that every non-general shape is a
 * case of (exposed so tests compare it with fnmatch on all of them). */
bool glob_match_stars(const struct glob *g, const char *lowered,
                      size_t len);

#endif
