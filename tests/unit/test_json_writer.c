/* test_json_writer.c — the generic JSON writer's fast paths against slow
 * references: the escaping scan (sixteen or eight bytes a step, an
 * overlapping last step) on every byte value at every position and length
 * the steps split differently, and pre-rendered key chains against the
 * key/object calls they stand for, and counter tables against the members
 * they stand for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/output/json_writer.h"

/* The escaping of one byte that is not part of a valid UTF-8 sequence, as
 * RFC 8259 allows it and the writer spells it. */
static void escape_byte(unsigned char c, char *out)
{
    switch (c) {
    case '"': strcpy(out, "\\\""); return;
    case '\\': strcpy(out, "\\\\"); return;
    case '\n': strcpy(out, "\\n"); return;
    case '\r': strcpy(out, "\\r"); return;
    case '\t': strcpy(out, "\\t"); return;
    case '\b': strcpy(out, "\\b"); return;
    case '\f': strcpy(out, "\\f"); return;
    }
    if (c >= 0x20 && c < 0x7f) {
        out[0] = (char)c;
        out[1] = '\0';
        return;
    }
    snprintf(out, 8, "\\u%04x", c);
}

static void test_escaping_every_position(void **state)
{
    (void)state;
    struct json_writer w;
    json_init(&w);
    char in[64], want[64 * 8];
    /* Lengths around the 8- and 16-byte steps and their overlapping
     * tails; one byte of every value (a lone byte from 0x80 up is never
     * valid UTF-8) at every position, the rest plain. */
    for (size_t len = 1; len <= 49; len++)
        for (size_t at = 0; at < len; at++)
            for (unsigned c = 0; c < 256; c++) {
                memset(in, 'a' + (int)(len % 26), len);
                in[at] = (char)c;
                char esc[8];
                escape_byte((unsigned char)c, esc);
                snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", (int)at, in,
                         esc, (int)(len - at - 1), in + at + 1);
                json_reset(&w);
                json_string_n(&w, in, len);
                if (strcmp(json_text(&w), want) != 0)
                    fail_msg("len %zu at %zu byte 0x%02x: %s, want %s", len,
                             at, c, json_text(&w), want);
            }
    /* All plain, every length. */
    for (size_t len = 0; len <= 49; len++) {
        memset(in, 'x', len);
        snprintf(want, sizeof(want), "\"%.*s\"", (int)len, in);
        json_reset(&w);
        json_string_n(&w, in, len);
        assert_string_equal(json_text(&w), want);
    }
    json_free(&w);
}

static void test_escaping_fixed_buffer_edges(void **state)
{
    (void)state;
    /* A string that fills a fixed buffer to the byte, and one byte more:
     * the plain copy's single bounds check and the closing quote. */
    char buf[20];
    struct json_writer w;
    json_init_fixed(&w, buf, sizeof(buf));
    json_string_n(&w, "0123456789abcdefg", 17); /* 19 bytes + NUL */
    assert_false(w.failed);
    assert_string_equal(json_text(&w), "\"0123456789abcdefg\"");
    json_reset(&w);
    json_string_n(&w, "0123456789abcdefgh", 18);
    assert_true(w.failed);
    assert_string_equal(json_text(&w), "");
}

static void test_key_chain_matches_calls(void **state)
{
    (void)state;
    struct json_writer a, b;
    json_init(&a);
    json_init(&b);
    /* {"x":1,"tls":{"client":{"ja3":"j"},"v":2},"y":3} both ways. */
    json_begin_object(&a);
    json_key(&a, "x");
    json_int(&a, 1);
    json_key(&a, "tls");
    json_begin_object(&a);
    json_key(&a, "client");
    json_begin_object(&a);
    json_key(&a, "ja3");
    json_string(&a, "j");
    json_end_object(&a);
    json_key(&a, "v");
    json_int(&a, 2);
    json_end_object(&a);
    json_key(&a, "y");
    json_int(&a, 3);
    json_end_object(&a);

    json_begin_object(&b);
    json_key_chain(&b, "\"x\":", 4, 0);
    json_int(&b, 1);
    json_key_chain(&b, "\"tls\":{\"client\":{\"ja3\":", 23, 2);
    json_string(&b, "j");
    json_end_objects(&b, 1);
    json_key_chain(&b, "\"v\":", 4, 0);
    json_int(&b, 2);
    json_end_objects(&b, 1);
    json_key_chain(&b, "\"y\":", 4, 0);
    json_int(&b, 3);
    json_end_objects(&b, 0); /* nothing */
    json_end_object(&b);
    assert_false(a.failed);
    assert_false(b.failed);
    assert_int_equal(b.depth, 0);
    assert_string_equal(json_text(&a), json_text(&b));

    /* The same with the keys after the first entered as following a
     * value: closes, comma and key at once. */
    struct json_writer c;
    json_init(&c);
    json_begin_object(&c);
    json_key_chain(&c, "\"x\":", 4, 0);
    json_int(&c, 1);
    json_next_key_chain(&c, 0, "\"tls\":{\"client\":{\"ja3\":", 23, 2);
    json_string(&c, "j");
    json_next_key_chain(&c, 1, "\"v\":", 4, 0);
    json_int(&c, 2);
    json_next_key_chain(&c, 1, "\"y\":", 4, 0);
    json_int(&c, 3);
    json_end_object(&c);
    assert_false(c.failed);
    assert_int_equal(c.depth, 0);
    assert_string_equal(json_text(&a), json_text(&c));
    /* A key right after a key, or closing more than is open, fails. */
    json_reset(&c);
    json_begin_object(&c);
    json_key_chain(&c, "\"x\":", 4, 0);
    json_next_key_chain(&c, 0, "\"y\":", 4, 0);
    assert_true(c.failed);
    json_reset(&c);
    json_begin_object(&c);
    json_key_chain(&c, "\"x\":", 4, 0);
    json_int(&c, 1);
    json_next_key_chain(&c, 2, "\"y\":", 4, 0);
    assert_true(c.failed);
    json_free(&c);

    /* Closing more than is open, or opening past the depth limit, fails
     * the document as the single calls do. */
    json_reset(&b);
    json_begin_object(&b);
    json_end_objects(&b, 2);
    assert_true(b.failed);
    json_reset(&b);
    json_begin_object(&b);
    json_key_chain(&b, "\"a\":{", 5, JSON_MAX_DEPTH);
    assert_true(b.failed);
    json_free(&a);
    json_free(&b);
}

/* A counter table writes each counter in table order, whatever the order
 * of the struct, with only the counters it names. */
static void test_counter_table(void **state)
{
    (void)state;
    struct sample {
        uint64_t first, skipped, last;
    } sample = {7, 8, UINT64_MAX};
    static const struct json_counter table[] = {
        {"last", offsetof(struct sample, last)},
        {"first", offsetof(struct sample, first)},
    };
    struct json_writer w;
    json_init(&w);
    json_begin_object(&w);
    json_member_counters(&w, &sample, table, 2);
    json_end_object(&w);
    assert_string_equal(json_text(&w),
                        "{\"last\":18446744073709551615,\"first\":7}");
    json_free(&w);
}

/* Integers, written two digits a step, read as printf writes them at
 * every digit count and the extremes. */
static void test_integers(void **state)
{
    (void)state;
    struct json_writer w;
    json_init(&w);
    char want[32];
    for (uint64_t n = 1, k = 0; k < 20; k++, n *= 10) {
        const uint64_t near[] = {n - 1, n, n + 1, n * 9 + n - 1};
        for (size_t i = 0; i < 4; i++) {
            json_reset(&w);
            json_uint(&w, near[i]);
            snprintf(want, sizeof(want), "%" PRIu64, near[i]);
            assert_string_equal(json_text(&w), want);
            json_reset(&w);
            json_int(&w, -(int64_t)(near[i] % INT64_MAX));
            snprintf(want, sizeof(want), "%" PRId64,
                     -(int64_t)(near[i] % INT64_MAX));
            assert_string_equal(json_text(&w), want);
        }
    }
    json_reset(&w);
    json_int(&w, INT64_MIN);
    snprintf(want, sizeof(want), "%" PRId64, INT64_MIN);
    assert_string_equal(json_text(&w), want);
    json_reset(&w);
    json_uint(&w, UINT64_MAX);
    assert_string_equal(json_text(&w), "18446744073709551615");
    json_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping_every_position),
        cmocka_unit_test(test_escaping_fixed_buffer_edges),
        cmocka_unit_test(test_key_chain_matches_calls),
        cmocka_unit_test(test_counter_table),
        cmocka_unit_test(test_integers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
