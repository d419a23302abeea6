/* glob.c — matching of the `glob` operator's patterns. Their syntax and
 * case rule are fnmatch's with FNM_CASEFOLD and no other flag: `*`, `?`,
 * `[...]` and `\` escapes, `/` and a leading `.` ordinary characters, ASCII
 * case ignored (tlsmon never calls setlocale, so fnmatch folds ASCII only
 * and treats every other byte as itself). Most patterns are literals and
 * stars (`*Zscaler Root CA*`): those are matched here by comparing the
 * lowered pattern with a lowered copy of the value, made once per value;
 * every other pattern is fnmatch's. */
#include <fnmatch.h>
#include <string.h>

#include "glob.h"

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void glob_compile(struct glob *g, const char *pattern, char *lowered)
{
    size_t len = strlen(pattern);
    *g = (struct glob){.pattern = pattern, .shape = GLOB_GENERAL,
                       .lowered = lowered, .len = len};
    for (size_t i = 0; i <= len; i++)
        lowered[i] = ascii_lower(pattern[i]);
    if (strpbrk(pattern, "?[\\"))
        return;
    const char *first = memchr(lowered, '*', len);
    if (!first) {
        g->shape = GLOB_EXACT;
        g->head = len;
        return;
    }
    const char *last = strrchr(lowered, '*');
    g->head = (size_t)(first - lowered);
    g->tail = len - (size_t)(last - lowered) - 1;
    /* The literals between the first star and the last one. */
    size_t literals = 0;
    for (const char *p = first; p < last; p++) {
        if (*p == '*')
            continue;
        const char *star = memchr(p, '*', (size_t)(last + 1 - p));
        if (literals++ == 0) {
            g->needle = p;
            g->needle_len = (size_t)(star - p);
        }
        p = star;
    }
    if (literals == 0 && g->tail == 0)
        g->shape = g->head ? GLOB_PREFIX : GLOB_CONTAINS;
    else if (literals == 0 && g->head == 0)
        g->shape = GLOB_SUFFIX;
    else if (literals == 1 && g->head == 0 && g->tail == 0)
        g->shape = GLOB_CONTAINS;
    else
        g->shape = GLOB_STARS;
    if (g->shape == GLOB_CONTAINS && literals == 0)
        g->needle = lowered;
}

const char *glob_lower(const char *value, size_t len, char *buf, size_t cap)
{
    if (len >= cap)
        return NULL;
    for (size_t i = 0; i < len; i++)
        buf[i] = ascii_lower(value[i]);
    buf[len] = 0;
    return buf;
}

/* Where `needle` (n bytes) first occurs in hay, or NULL. The haystacks
 * are names of a few dozen bytes: finding the needle's first byte with
 * memchr and comparing the rest beats memmem, which sets up a shift table
 * on every call. */
static const char *find_literal(const char *hay, size_t hay_len,
                                const char *needle, size_t n)
{
    if (n == 0)
        return hay;
    if (n > hay_len)
        return NULL;
    const char *last = hay + (hay_len - n);
    for (const char *p = hay; p <= last; p++) {
        p = memchr(p, needle[0], (size_t)(last - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p + 1, needle + 1, n - 1) == 0)
            return p;
    }
    return NULL;
}

bool glob_match_general(const struct glob *g, const char *value)
{
    return fnmatch(g->pattern, value, FNM_CASEFOLD) == 0;
}

/* Head and tail anchored, then each literal between them at its leftmost
 * place after the previous one: with no `?` or class, the leftmost place
 * leaves the most room for the rest, so it never loses a match. */
bool glob_match_stars(const struct glob *g, const char *lowered, size_t len)
{
    const char *pat = g->lowered;
    size_t head = g->head, tail = g->tail;
    if (g->shape == GLOB_EXACT)
        return len == g->len && memcmp(lowered, pat, len) == 0;
    if (len < head + tail || memcmp(lowered, pat, head) != 0 ||
        memcmp(lowered + len - tail, pat + g->len - tail, tail) != 0)
        return false;
    const char *at = lowered + head, *end = lowered + len - tail;
    /* Between head and tail the pattern starts and ends with a star. */
    const char *p = pat + head, *p_end = pat + g->len - tail;
    while (p < p_end) {
        if (*p == '*') {
            p++;
            continue;
        }
        const char *star = memchr(p, '*', (size_t)(p_end - p));
        size_t n = (size_t)(star - p);
        const char *found = find_literal(at, (size_t)(end - at), p, n);
        if (!found)
            return false;
        at = found + n;
        p = star;
    }
    return true;
}

bool glob_match(const struct glob *g, const char *value, const char *lowered,
                size_t len)
{
    if (!lowered || g->shape == GLOB_GENERAL)
        return glob_match_general(g, value);
    switch (g->shape) {
    case GLOB_EXACT:
        return len == g->len && memcmp(lowered, g->lowered, len) == 0;
    case GLOB_PREFIX:
        return len >= g->head && memcmp(lowered, g->lowered, g->head) == 0;
    case GLOB_SUFFIX:
        return len >= g->tail &&
               memcmp(lowered + len - g->tail, g->lowered + g->len - g->tail,
                      g->tail) == 0;
    case GLOB_CONTAINS:
        return find_literal(lowered, len, g->needle, g->needle_len) != NULL;
    default:
        return glob_match_stars(g, lowered, len);
    }
}
