/* test_cursor.c — the bounds-checked reader: every read exactly at and one
 * past the end, length-prefixed vectors whose lengths lie, and sub-cursors
 * that must not see past their span. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cursor.h"

static const uint8_t BYTES[8] = {0x01, 0x02, 0x03, 0x04,
                                 0x05, 0x06, 0x07, 0x08};

static void test_make_null(void **state)
{
    (void)state;
    struct cursor c = cursor_make(NULL, 100);
    uint8_t b;
    size_t n;

    assert_int_equal(cursor_left(&c), 0);
    assert_false(cursor_u8(&c, &b));
    assert_true(cursor_skip(&c, 0));
    assert_false(cursor_skip(&c, 1));
    assert_null(cursor_rest(&c, &n));
    assert_int_equal(n, 0);
}

static void test_u8_boundary(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 2);
    uint8_t b = 0xee;

    assert_true(cursor_u8(&c, &b));
    assert_int_equal(b, 0x01);
    assert_true(cursor_u8(&c, &b));
    assert_int_equal(b, 0x02);
    assert_int_equal(cursor_left(&c), 0);
    b = 0xee;
    assert_false(cursor_u8(&c, &b));
    assert_int_equal(b, 0xee); /* untouched on failure */
    assert_int_equal(cursor_pos(&c), 2);
}

static void test_u16_boundary(void **state)
{
    (void)state;
    uint16_t v = 0;
    struct cursor c = cursor_make(BYTES, 2);

    assert_true(cursor_u16(&c, &v));
    assert_int_equal(v, 0x0102);
    assert_false(cursor_u16(&c, &v));

    c = cursor_make(BYTES, 3);
    assert_true(cursor_skip(&c, 2));
    v = 0xbeef;
    assert_false(cursor_u16(&c, &v)); /* one byte left */
    assert_int_equal(v, 0xbeef);
    assert_int_equal(cursor_pos(&c), 2);

    c = cursor_make(BYTES, 2);
    assert_true(cursor_u16le(&c, &v));
    assert_int_equal(v, 0x0201);
    c = cursor_make(BYTES, 1);
    assert_false(cursor_u16le(&c, &v));
    assert_int_equal(cursor_pos(&c), 0);
}

static void test_u24_boundary(void **state)
{
    (void)state;
    uint32_t v = 0;
    struct cursor c = cursor_make(BYTES, 3);

    assert_true(cursor_u24(&c, &v));
    assert_int_equal(v, 0x010203);
    assert_false(cursor_u24(&c, &v));

    c = cursor_make(BYTES, 2);
    v = 7;
    assert_false(cursor_u24(&c, &v));
    assert_int_equal(v, 7);
    assert_int_equal(cursor_pos(&c), 0);
}

static void test_u32_boundary(void **state)
{
    (void)state;
    uint32_t v = 0;
    struct cursor c = cursor_make(BYTES, 8);

    assert_true(cursor_skip(&c, 4));
    assert_true(cursor_u32(&c, &v));
    assert_int_equal(v, 0x05060708);
    assert_false(cursor_u32(&c, &v));

    for (size_t len = 0; len < 4; len++) {
        c = cursor_make(BYTES, len);
        assert_false(cursor_u32(&c, &v));
        assert_false(cursor_u32le(&c, &v));
        assert_int_equal(cursor_pos(&c), 0);
    }
    c = cursor_make(BYTES, 4);
    assert_true(cursor_u32le(&c, &v));
    assert_int_equal(v, 0x04030201);

    /* Bytes with the top bit set: no sign spreads into the value. */
    static const uint8_t high[] = {0xfe, 0xdc, 0xba, 0x98, 0x87, 0x96};
    uint16_t v16 = 0;
    c = cursor_make(high, sizeof high);
    assert_true(cursor_u32(&c, &v));
    assert_int_equal(v, 0xfedcba98u);
    assert_true(cursor_u16(&c, &v16));
    assert_int_equal(v16, 0x8796);
    assert_int_equal(cursor_pos(&c), 6);
}

static void test_skip_copy(void **state)
{
    (void)state;
    uint8_t out[8] = {0};
    struct cursor c = cursor_make(BYTES, 8);

    assert_false(cursor_skip(&c, 9));
    assert_int_equal(cursor_pos(&c), 0);
    assert_false(cursor_skip(&c, SIZE_MAX));
    assert_true(cursor_skip(&c, 8));
    assert_true(cursor_skip(&c, 0));
    assert_false(cursor_skip(&c, 1));

    c = cursor_make(BYTES, 8);
    assert_true(cursor_skip(&c, 5));
    memset(out, 0xaa, sizeof(out));
    assert_false(cursor_copy(&c, out, 4));
    assert_int_equal(out[0], 0xaa); /* nothing copied */
    assert_int_equal(cursor_pos(&c), 5);
    assert_true(cursor_copy(&c, out, 3));
    assert_memory_equal(out, "\x06\x07\x08", 3);
    assert_true(cursor_copy(&c, out, 0));
    /* volatile: the compiler must not see the impossible size as a constant
     * and warn about a memcpy the bounds check never reaches. */
    volatile size_t huge = SIZE_MAX;
    assert_false(cursor_copy(&c, out, huge));
}

static void test_peek(void **state)
{
    (void)state;
    uint8_t b = 0;
    uint16_t w = 0;
    struct cursor c = cursor_make(BYTES, 4);

    assert_true(cursor_skip(&c, 1));
    assert_true(cursor_peek_u8(&c, 0, &b));
    assert_int_equal(b, 0x02);
    assert_true(cursor_peek_u8(&c, 2, &b));
    assert_int_equal(b, 0x04);
    assert_false(cursor_peek_u8(&c, 3, &b));
    assert_false(cursor_peek_u8(&c, SIZE_MAX, &b));
    assert_true(cursor_peek_u16(&c, 1, &w));
    assert_int_equal(w, 0x0304);
    assert_false(cursor_peek_u16(&c, 2, &w));
    assert_false(cursor_peek_u16(&c, SIZE_MAX, &w));
    assert_int_equal(cursor_pos(&c), 1); /* peeks never move */
}

static void test_vec8(void **state)
{
    (void)state;
    /* length 3, then 3 bytes, then a length that lies (5 with 1 byte) */
    static const uint8_t buf[] = {3, 0xa, 0xb, 0xc, 5, 0xd};
    struct cursor c = cursor_make(buf, sizeof(buf)), v;
    uint8_t b;

    assert_true(cursor_vec8(&c, &v));
    assert_int_equal(cursor_left(&v), 3);
    assert_true(cursor_u8(&v, &b));
    assert_int_equal(b, 0xa);
    assert_int_equal(cursor_pos(&c), 4);
    assert_false(cursor_vec8(&c, &v));
    assert_int_equal(cursor_pos(&c), 4); /* restored, length not eaten */

    /* exactly fits at the end */
    static const uint8_t fit[] = {1, 0x55};
    c = cursor_make(fit, 2);
    assert_true(cursor_vec8(&c, &v));
    assert_int_equal(cursor_left(&c), 0);
    assert_false(cursor_vec8(&c, &v));

    /* zero-length vector is fine */
    static const uint8_t empty[] = {0};
    c = cursor_make(empty, 1);
    assert_true(cursor_vec8(&c, &v));
    assert_int_equal(cursor_left(&v), 0);
}

static void test_vec16(void **state)
{
    (void)state;
    static const uint8_t lie[] = {0x01, 0x00, 1, 2, 3}; /* claims 256 */
    static const uint8_t ok[] = {0x00, 0x03, 1, 2, 3, 9};
    static const uint8_t half[] = {0x00};
    struct cursor c = cursor_make(lie, sizeof(lie)), v;
    uint16_t w;

    assert_false(cursor_vec16(&c, &v));
    assert_int_equal(cursor_pos(&c), 0);

    c = cursor_make(half, 1);
    assert_false(cursor_vec16(&c, &v));
    assert_int_equal(cursor_pos(&c), 0);

    c = cursor_make(ok, sizeof(ok));
    assert_true(cursor_vec16(&c, &v));
    assert_int_equal(cursor_left(&v), 3);
    assert_true(cursor_u16(&v, &w));
    assert_int_equal(w, 0x0102);
    assert_false(cursor_u16(&v, &w)); /* 9 lies outside the vector */
    assert_int_equal(cursor_left(&c), 1);

    /* off by one: claims 4 with 3 */
    static const uint8_t one_short[] = {0x00, 0x04, 1, 2, 3};
    c = cursor_make(one_short, sizeof(one_short));
    assert_false(cursor_vec16(&c, &v));
}

static void test_vec24(void **state)
{
    (void)state;
    static const uint8_t lie[] = {0xff, 0xff, 0xff, 1};
    static const uint8_t ok[] = {0x00, 0x00, 0x02, 0xaa, 0xbb};
    static const uint8_t short_len[] = {0x00, 0x00};
    struct cursor c = cursor_make(lie, sizeof(lie)), v = cursor_make(NULL, 0);
    uint8_t b;

    assert_false(cursor_vec24(&c, &v));
    assert_int_equal(cursor_pos(&c), 0);
    c = cursor_make(short_len, sizeof(short_len));
    assert_false(cursor_vec24(&c, &v));
    assert_int_equal(cursor_pos(&c), 0);

    c = cursor_make(ok, sizeof(ok));
    assert_true(cursor_vec24(&c, &v));
    assert_true(cursor_u8(&v, &b));
    assert_int_equal(b, 0xaa);
    assert_true(cursor_u8(&v, &b));
    assert_int_equal(b, 0xbb);
    assert_false(cursor_u8(&v, &b));
    assert_int_equal(cursor_left(&c), 0);
}

static void test_sub_containment(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 8), s, inner;
    uint32_t v;
    uint8_t b;
    size_t n;
    const uint8_t *p;

    assert_true(cursor_skip(&c, 1));
    assert_false(cursor_sub(&c, 8, &s)); /* only 7 left */
    assert_int_equal(cursor_pos(&c), 1);
    assert_true(cursor_sub(&c, 3, &s));
    assert_int_equal(cursor_pos(&c), 4);

    /* the sub-cursor sees 02 03 04 and nothing of 05.. */
    assert_false(cursor_u32(&s, &v));
    assert_false(cursor_skip(&s, 4));
    assert_false(cursor_peek_u8(&s, 3, &b));
    assert_true(cursor_sub(&s, 2, &inner));
    assert_false(cursor_sub(&inner, 3, &s));
    assert_true(cursor_u8(&s, &b));
    assert_int_equal(b, 0x04);
    assert_false(cursor_u8(&s, &b));

    p = cursor_rest(&inner, &n);
    assert_int_equal(n, 2);
    assert_ptr_equal(p, &BYTES[1]);

    /* the parent carries on after the sub-span */
    assert_true(cursor_u8(&c, &b));
    assert_int_equal(b, 0x05);
}

static bool read_pair(struct cursor *c, uint16_t *a, uint16_t *b)
{
    CURSOR_TRY(cursor_u16(c, a));
    CURSOR_TRY(cursor_u16(c, b));
    return true;
}

static void test_cursor_try(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 3);
    uint16_t a = 0, b = 0;

    assert_false(read_pair(&c, &a, &b));
    assert_int_equal(a, 0x0102);
    assert_int_equal(b, 0);
    c = cursor_make(BYTES, 4);
    assert_true(read_pair(&c, &a, &b));
    assert_int_equal(b, 0x0304);
}

/* Cursor v2: positions move only through checked seeks. */
static void test_seek_rewind(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 8);
    uint8_t b;

    assert_true(cursor_seek(&c, 8)); /* the end itself is a position */
    assert_int_equal(cursor_left(&c), 0);
    assert_false(cursor_seek(&c, 9));
    assert_int_equal(cursor_pos(&c), 8); /* unmoved on failure */
    assert_true(cursor_seek(&c, 3));
    assert_true(cursor_u8(&c, &b));
    assert_int_equal(b, 0x04);
    assert_true(cursor_rewind(&c, 4));
    assert_int_equal(cursor_pos(&c), 0);
    assert_false(cursor_rewind(&c, 1)); /* before the start */
    assert_int_equal(cursor_pos(&c), 0);
    assert_false(cursor_rewind(&c, SIZE_MAX));
}

static void test_expect_end(void **state)
{
    (void)state;
    struct parse_fault_at f;
    struct cursor c = cursor_make(BYTES, 3);
    uint16_t v;

    cursor_watch(&c, &f);
    assert_true(cursor_u16(&c, &v));
    assert_false(cursor_expect_end(&c));
    assert_int_equal(f.kind, PARSE_FAULT_TRAILING);
    assert_int_equal(f.offset, 2);
    assert_true(cursor_skip(&c, 1));
    assert_true(cursor_expect_end(&c));

    struct cursor empty = cursor_make(NULL, 0);
    assert_true(cursor_expect_end(&empty));
}

static void test_trim_end(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 4);
    uint8_t b;

    assert_true(cursor_u8(&c, &b));
    assert_false(cursor_trim_end(&c, 4)); /* only 3 are unread */
    assert_int_equal(cursor_left(&c), 3);
    assert_true(cursor_trim_end(&c, 2));
    assert_int_equal(cursor_left(&c), 1);
    assert_int_equal(cursor_span(&c), 2);
    assert_true(cursor_u8(&c, &b));
    assert_int_equal(b, 0x02);
    assert_false(cursor_u8(&c, &b)); /* the trimmed bytes are gone */
}

/* Every failed read says its kind and where, in the watched span's
 * offsets, even from a sub-cursor split off it. */
static void test_fault_kinds(void **state)
{
    (void)state;
    /* 00 02 aa 01 | 05 bb: a 16-bit vector of 2 bytes, then one whose
     * 8-bit length (5) runs past the 1 byte left. */
    static const uint8_t msg[] = {0x00, 0x02, 0xaa, 0x01, 0x05, 0xbb};
    struct parse_fault_at f;
    struct cursor c = cursor_make(msg, sizeof msg), outer, inner;
    uint32_t v;

    cursor_watch(&c, &f);
    assert_int_equal(f.kind, PARSE_FAULT_NONE);
    assert_true(cursor_vec16(&c, &outer));
    assert_true(cursor_u8(&outer, &(uint8_t){0}));
    assert_false(cursor_u16(&outer, &(uint16_t){0}));
    assert_int_equal(f.kind, PARSE_FAULT_TRUNCATED);
    assert_int_equal(f.offset, 3); /* in msg, not in outer */

    assert_false(cursor_vec8(&c, &inner));
    assert_int_equal(f.kind, PARSE_FAULT_BAD_LENGTH);
    assert_int_equal(f.offset, 4); /* at the length, which stays unread */
    assert_int_equal(cursor_pos(&c), 4);

    assert_false(cursor_fail(&c, PARSE_FAULT_BAD_VALUE));
    assert_int_equal(f.kind, PARSE_FAULT_BAD_VALUE);

    assert_true(cursor_be(&c, 2, &v));
    assert_int_equal(v, 0x05bb);
    assert_false(cursor_fail_at(&c, 1, PARSE_FAULT_TRAILING));
    assert_int_equal(cursor_pos(&c), 1);
    assert_int_equal(f.offset, 1);
    /* A position ahead of the read position is not a place to go back to. */
    assert_false(cursor_abort_to(&c, 5));
    assert_int_equal(cursor_pos(&c), 1);
    assert_false(cursor_abort_to(&c, 0));
    assert_int_equal(cursor_pos(&c), 0);
    assert_int_equal(f.kind, PARSE_FAULT_TRAILING); /* kept */

    /* A saved fault comes back unchanged. */
    struct parse_fault_at saved = cursor_fault_here(&c, PARSE_FAULT_BAD_VALUE);
    assert_true(cursor_skip(&c, 6));
    assert_false(cursor_skip(&c, 1));
    assert_int_equal(f.offset, 6);
    assert_false(cursor_refail(&c, saved));
    assert_int_equal(f.kind, PARSE_FAULT_BAD_VALUE);
    assert_int_equal(f.offset, 0);
    assert_int_equal(cursor_last_fault(&c).kind, PARSE_FAULT_BAD_VALUE);

    assert_string_equal(parse_fault_name(PARSE_FAULT_TRAILING),
                        "trailing_bytes");
    assert_null(parse_fault_name(PARSE_FAULT_NONE));
}

/* An unwatched cursor fails the same way and records nowhere. */
static void test_unwatched(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 1);
    struct cursor sub = cursor_take(&c, 5);

    assert_false(cursor_skip(&sub, 2));
    assert_false(cursor_fail(&sub, PARSE_FAULT_BAD_VALUE));
    assert_int_equal(cursor_last_fault(&sub).kind, PARSE_FAULT_NONE);
    assert_int_equal(cursor_span(&sub), 1);
}

/* Little-endian reads of each width. */
static void test_le(void **state)
{
    (void)state;
    struct cursor c = cursor_make(BYTES, 8);
    uint32_t v;
    uint16_t w;

    assert_true(cursor_le(&c, 3, &v));
    assert_int_equal(v, 0x030201);
    assert_true(cursor_u16le(&c, &w));
    assert_int_equal(w, 0x0504);
    assert_false(cursor_u32le(&c, &v)); /* 3 left */
    assert_int_equal(cursor_left(&c), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_null),
        cmocka_unit_test(test_u8_boundary),
        cmocka_unit_test(test_u16_boundary),
        cmocka_unit_test(test_u24_boundary),
        cmocka_unit_test(test_u32_boundary),
        cmocka_unit_test(test_skip_copy),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_vec8),
        cmocka_unit_test(test_vec16),
        cmocka_unit_test(test_vec24),
        cmocka_unit_test(test_sub_containment),
        cmocka_unit_test(test_cursor_try),
        cmocka_unit_test(test_seek_rewind),
        cmocka_unit_test(test_expect_end),
        cmocka_unit_test(test_trim_end),
        cmocka_unit_test(test_fault_kinds),
        cmocka_unit_test(test_unwatched),
        cmocka_unit_test(test_le),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
