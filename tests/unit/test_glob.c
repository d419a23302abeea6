/* test_glob.c — the glob operator's fast shapes (rules/glob.c) against
 * fnmatch(FNM_CASEFOLD), the matcher whose answers they must keep: the
 * shape each pattern gets, edge cases (empty, stars only, case, bytes past
 * ASCII, pattern longer than the value, the literal at either end) and
 * random patterns and values, including values made from their pattern so
 * that matches are common. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "rules/glob.h"

#define MAX_TEXT 64

struct shaped {
    struct glob g;
    char lowered[MAX_TEXT + 1];
};

static const struct glob *shape(struct shaped *s, const char *pattern)
{
    assert_true(strlen(pattern) <= MAX_TEXT);
    glob_compile(&s->g, pattern, s->lowered);
    return &s->g;
}

/* Every way of asking must give fnmatch's answer; returns it. */
static bool same_answer(const char *pattern, const char *value)
{
    struct shaped s;
    const struct glob *g = shape(&s, pattern);
    bool want = fnmatch(pattern, value, FNM_CASEFOLD) == 0;
    char buf[MAX_TEXT + 1];
    size_t len = strlen(value);
    const char *lowered = glob_lower(value, len, buf, sizeof(buf));
    assert_non_null(lowered);
    bool fast = glob_match(g, value, lowered, len);
    bool general = glob_match(g, value, NULL, len);
    bool stars = g->shape == GLOB_GENERAL ? want
                                          : glob_match_stars(g, lowered, len);
    if (fast != want || general != want || stars != want) {
        print_error("pattern '%s' (shape %d) value '%s': fnmatch %d, fast %d,"
                    " without the lowered copy %d, stars %d\n", pattern,
                    (int)g->shape, value, want, fast, general, stars);
        fail();
    }
    return want;
}

static void test_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        enum glob_shape shape;
    } cases[] = {
        {"", GLOB_EXACT},           {"abc", GLOB_EXACT},
        {"a]b!", GLOB_EXACT},       {"abc*", GLOB_PREFIX},
        {"abc***", GLOB_PREFIX},    {"*abc", GLOB_SUFFIX},
        {"**abc", GLOB_SUFFIX},     {"*abc*", GLOB_CONTAINS},
        {"**abc**", GLOB_CONTAINS}, {"*", GLOB_CONTAINS},
        {"***", GLOB_CONTAINS},     {"a*b", GLOB_STARS},
        {"*a*b*", GLOB_STARS},      {"a*b*", GLOB_STARS},
        {"*a*b", GLOB_STARS},       {"a?c", GLOB_GENERAL},
        {"*[ab]*", GLOB_GENERAL},   {"a\\*", GLOB_GENERAL},
        {"*\\", GLOB_GENERAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct shaped s;
        if (shape(&s, cases[i].pattern)->shape != cases[i].shape) {
            print_error("'%s': shape %d, expected %d\n", cases[i].pattern,
                        (int)s.g.shape, (int)cases[i].shape);
            fail();
        }
    }
    struct shaped s;
    const struct glob *g = shape(&s, "**Zscaler Root CA*");
    assert_int_equal(g->needle_len, strlen("zscaler root ca"));
    assert_memory_equal(g->needle, "zscaler root ca", g->needle_len);
}

static void test_edge_cases(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "", "*", "**", "***", "a", "A", "ab", "abc", "abcd", "abc*", "*abc",
        "*abc*", "**abc**", "ABC*", "*Abc", "*aBC*", "a*", "*a", "*a*",
        "a*c", "a**c", "*a*c*", "a*b*c", "ab*bc", "*b*b*", "abc*abc",
        "*\xc3\xa9*", "\xc3\x89*", "*\xff", "*\xe9t\xe9*", "*.example.com",
        "*Zscaler Root CA*", "*Check Point*Inspection*", "a?c", "*[b]*",
        "*[!b]*", "[a-c]*", "a\\*c", "\\a*", "*]*", "*/*", ".*", "*\\",
        "[", "*[*", "x*y*z*", "*xyz", "xyzxyz*", "*-*",
    };
    static const char *const values[] = {
        "", "a", "A", "b", "ab", "AB", "abc", "ABC", "aBc", "abcd", "xabc",
        "abcx", "xabcx", "xABCx", "abcabc", "ac", "aXc", "a*c", "a\\c",
        "bb", "bcb", "abbc", "abc abc", "\xc3\xa9", "\xc3\x89",
        "x\xc3\xa9y", "\xff", "a\xff", "\xe9t\xe9", "\xc9T\xc9",
        "www.example.com", "WWW.EXAMPLE.COM", ".example.com", "example.com",
        "CN=Zscaler Root CA,O=Zscaler Inc.", "zscaler root c",
        "Check Point Deep Inspection CA", "inspection check point",
        "]", "a/b", ".hidden", "\\", "[", "x[y", "xyz", "xyzxyz", "-",
        "xxyyzz", "zyx",
    };
    size_t matched = 0;
    for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
            matched += same_answer(patterns[p], values[v]);
    assert_true(matched > 150);
}

/* xorshift64: the same cases on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Small alphabets, so that literals recur and matches happen. */
static const char literal_bytes[] = "aAbBz.\xc3\xa9\xc9\xff]!-/";
static const char special_bytes[] = "*?[\\";

static void random_text(char *out, size_t max, bool stars, bool specials)
{
    size_t n = pick((unsigned)max + 1);
    for (size_t i = 0; i < n; i++) {
        if (stars && pick(4) == 0)
            out[i] = '*';
        else if (specials && pick(12) == 0)
            out[i] = special_bytes[pick(sizeof(special_bytes) - 1)];
        else
            out[i] = literal_bytes[pick(sizeof(literal_bytes) - 1)];
    }
    out[n] = 0;
}

/* A value the pattern matches, or nearly: each star becomes a random run,
 * letters may change case, and now and then a byte is dropped. */
static void value_from(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 4 < cap; p++) {
        if (*p == '*') {
            for (unsigned k = pick(4); k > 0 && n + 4 < cap; k--)
                out[n++] = literal_bytes[pick(sizeof(literal_bytes) - 1)];
            continue;
        }
        if (pick(16) == 0)
            continue;
        char c = *p;
        if (pick(2) && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            c ^= 0x20;
        out[n++] = c;
    }
    out[n] = 0;
}

static void test_random(void **state)
{
    (void)state;
    char pattern[MAX_TEXT + 1], value[MAX_TEXT + 1];
    size_t matched[GLOB_STARS + 1] = {0}, tried[GLOB_STARS + 1] = {0};
    for (int i = 0; i < 200000; i++) {
        random_text(pattern, 10, true, pick(4) == 0);
        if (pick(2))
            value_from(pattern, value, sizeof(value));
        else
            random_text(value, 12, false, false);
        struct shaped s;
        enum glob_shape k = shape(&s, pattern)->shape;
        tried[k]++;
        matched[k] += same_answer(pattern, value);
    }
    /* Every shape was tried often, and matched as well as failed. */
    for (int k = GLOB_GENERAL; k <= GLOB_STARS; k++) {
        assert_true(tried[k] > 1000);
        assert_true(matched[k] > tried[k] / 20);
        assert_true(matched[k] < tried[k]);
    }
}

/* Only ASCII letters are lowered, and only into a buffer with room for
 * the value and its NUL. */
static void test_lower(void **state)
{
    (void)state;
    char buf[4];
    assert_null(glob_lower("abcd", 4, buf, sizeof(buf)));
    assert_string_equal(glob_lower("A\xc9Z", 3, buf, sizeof(buf)),
                        "a\xc9z");
}

/* A value too long for the caller's buffer is matched without the copy. */
static void test_without_copy(void **state)
{
    (void)state;
    struct shaped s;
    const struct glob *g = shape(&s, "*bcd");
    assert_true(glob_match(g, "ABCD", NULL, 4));
    assert_false(glob_match(g, "ABCE", NULL, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_lower),
        cmocka_unit_test(test_without_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
