/* test_common.c — the shared parts at the bottom (common/): the one hex
 * encoder, the one escaping policy, the one HOST:PORT reader, the one
 * code-name bisection and the one FNV-1a hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/code_names.h"
#include "common/escape.h"
#include "common/fnv1a.h"
#include "common/hex.h"
#include "common/host_port.h"
#include "common/memcap.h"

#include <stdlib.h>

static void test_hex(void **state)
{
    (void)state;
    const uint8_t b[] = {0x00, 0x9f, 0xa0, 0xff};
    char out[9];
    hex_encode(b, sizeof b, out, false);
    assert_string_equal(out, "009fa0ff");
    hex_encode(b, sizeof b, out, true);
    assert_string_equal(out, "009FA0FF");
    hex_encode(b, 0, out, false);
    assert_string_equal(out, "");
    assert_int_equal(hex_digit(0x1c, false), 'c');
    assert_int_equal(hex_digit(0x1c, true), 'C');
    /* Every digit reads back as the value it was written for. */
    for (unsigned v = 0; v < 16; v++) {
        assert_int_equal(hex_digit_value((uint8_t)hex_digit(v, false)), v);
        assert_int_equal(hex_digit_value((uint8_t)hex_digit(v, true)), v);
    }
    assert_int_equal(hex_digit_value('g'), -1);
    assert_int_equal(hex_digit_value('/'), -1);
    assert_int_equal(hex_digit_value(':'), -1);
    assert_int_equal(hex_digit_value('@'), -1);
    assert_int_equal(hex_digit_value(0xc0), -1);
}

/* Names lose spaces and backslashes to \xNN, text keeps spaces, stored
 * text keeps its backslashes (they are its escapes); control bytes, DEL and
 * bytes past ASCII are escaped under every policy. */
static void test_escape_policies(void **state)
{
    (void)state;
    const uint8_t in[] = "a b\\c\x01\x7f\xe9";
    size_t len = sizeof in - 1;
    char out[64];
    assert_int_equal(escape_bytes(in, len, out, sizeof out, ESCAPE_NAME), len);
    assert_string_equal(out, "a\\x20b\\x5cc\\x01\\x7f\\xe9");
    escape_bytes(in, len, out, sizeof out, ESCAPE_TEXT);
    assert_string_equal(out, "a b\\x5cc\\x01\\x7f\\xe9");
    escape_bytes(in, len, out, sizeof out, ESCAPE_STORED);
    assert_string_equal(out, "a b\\c\\x01\\x7f\\xe9");
    assert_int_equal(escape_preview_char(0x01), '.');
    assert_int_equal(escape_preview_char('Z'), 'Z');
    assert_int_equal(escape_preview_char(0x80), '.');
}

/* An escape is written whole or not at all, and the terminator always
 * fits: "ab" + \x01 needs 7 bytes. */
static void test_escape_cut(void **state)
{
    (void)state;
    const uint8_t in[] = {'a', 'b', 0x01};
    char out[8];
    memset(out, 'X', sizeof out);
    assert_int_equal(escape_bytes(in, 3, out, 6, ESCAPE_NAME), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(escape_bytes(in, 3, out, 7, ESCAPE_NAME), 3);
    assert_string_equal(out, "ab\\x01");
    assert_int_equal(escape_bytes(in, 3, out, 0, ESCAPE_NAME), 0);

    /* escape_copy says whether the whole name fit: a last byte that did
     * not fit is not counted as copied. */
    struct cursor c = cursor_make(in, 3);
    assert_false(escape_copy(&c, out, 6));
    assert_string_equal(out, "ab");
    assert_int_equal(cursor_left(&c), 1);
    c = cursor_make(in, 3);
    assert_true(escape_copy(&c, out, 7));
    assert_string_equal(out, "ab\\x01");
}

static void test_host_port(void **state)
{
    (void)state;
    char host[16];
    int port = 0;
    assert_int_equal(host_port_parse("collector:514", host, sizeof host,
                                     &port), HOST_PORT_OK);
    assert_string_equal(host, "collector");
    assert_int_equal(port, 514);
    assert_int_equal(host_port_parse("[::1]:6379", host, sizeof host, &port),
                     HOST_PORT_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 6379);
    /* The last ':' splits, so a bare IPv6 address ends in its port. */
    assert_int_equal(host_port_parse("::1:80", host, sizeof host, &port),
                     HOST_PORT_OK);
    assert_string_equal(host, "::1");

    assert_int_equal(host_port_parse("[::1]6379", host, sizeof host, &port),
                     HOST_PORT_BAD_BRACKET);
    assert_int_equal(host_port_parse("[::1", host, sizeof host, &port),
                     HOST_PORT_BAD_BRACKET);
    assert_int_equal(host_port_parse("collector", host, sizeof host, &port),
                     HOST_PORT_NO_HOST);
    assert_int_equal(host_port_parse(":514", host, sizeof host, &port),
                     HOST_PORT_NO_HOST);
    assert_int_equal(host_port_parse("[]:514", host, sizeof host, &port),
                     HOST_PORT_NO_HOST);
    assert_int_equal(host_port_parse("a-very-long-host-name:1", host,
                                     sizeof host, &port),
                     HOST_PORT_NO_HOST);
    const char *bad_ports[] = {"h:", "h:0", "h:65536", "h:12x", "h:-1"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++)
        assert_int_equal(host_port_parse(bad_ports[i], host, sizeof host,
                                         &port),
                         HOST_PORT_BAD_PORT);
    assert_int_equal(host_port_parse("h:65535", host, sizeof host, &port),
                     HOST_PORT_OK);
    assert_int_equal(port, 65535);
}

/* A charged allocation: zeroed, charged at its real cost, and refused
 * (nothing charged, nothing allocated) when the budget is full. */
static void test_memcap_calloc(void **state)
{
    (void)state;
    struct memcap m = {.limit = 200};
    uint8_t *p = memcap_calloc(&m, 100);

    assert_non_null(p);
    assert_int_equal(m.used, memcap_cost(100));
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(p[i], 0);
    assert_null(memcap_calloc(&m, 100)); /* 112 + 112 > 200 */
    assert_int_equal(m.used, memcap_cost(100));
    assert_int_equal(m.refused, 1);
    free(p);
    memcap_release(&m, memcap_cost(100));
    assert_int_equal(m.used, 0);

    p = memcap_calloc(NULL, 8); /* no budget: accepted */
    assert_non_null(p);
    free(p);
}

static void test_code_names(void **state)
{
    (void)state;
    static const struct code_name t[] = {
        {0x0001, "one"}, {0x0003, "three"}, {0x00ff, "ff"},
        {0xffff, "top16"}, {0x050080, "sslv2"},
    };
    size_t n = sizeof t / sizeof t[0];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(code_name_index(t, n, t[i].code), (ptrdiff_t)i);
        assert_string_equal(code_name_find(t, n, t[i].code), t[i].name);
    }
    /* Below, between and above the rows. */
    assert_null(code_name_find(t, n, 0));
    assert_null(code_name_find(t, n, 2));
    assert_null(code_name_find(t, n, 0x10000));
    assert_null(code_name_find(t, n, UINT32_MAX));
    assert_int_equal(code_name_index(t, n, 2), -1);
    assert_null(code_name_find(t, 0, 1));
    assert_string_equal(code_name_find(t, 1, 1), "one");

    /* The direct index answers as the bisection does for every 16-bit
     * code and a few wider ones, before it is built and after. */
    struct code_index ix = CODE_INDEX(t, n);
    for (int built = 0; built < 2; built++) {
        if (built)
            assert_true(code_index_build(&ix));
        for (uint32_t c = 0; c <= 0x10001; c++)
            assert_int_equal(code_index_row(&ix, c), code_name_index(t, n, c));
        assert_int_equal(code_index_row(&ix, 0x050080), 4);
        assert_int_equal(code_index_row(&ix, UINT32_MAX), -1);
        assert_string_equal(code_index_name(&ix, 0xffff), "top16");
        assert_null(code_index_name(&ix, 0x0100));
    }
    free((void *)ix.page[0]); /* the pages, one block from the lowest */
}

/* The published FNV-1a vectors, so that a slip in a constant shows here
 * rather than as tables that quietly spread worse. */
static void test_fnv1a(void **state)
{
    (void)state;
    assert_true(fnv1a64_str(FNV1A64_START, "") == 0xcbf29ce484222325ULL);
    assert_true(fnv1a64_str(FNV1A64_START, "a") == 0xaf63dc4c8601ec8cULL);
    assert_true(fnv1a64_str(FNV1A64_START, "foobar") ==
                0x85944171f73967e8ULL);
    assert_true(fnv1a32_str(FNV1A32_START, "") == 0x811c9dc5u);
    assert_true(fnv1a32_str(FNV1A32_START, "a") == 0xe40c292cu);
    assert_true(fnv1a32_str(FNV1A32_START, "foobar") == 0xbf9cf968u);
    /* Bytes and strings agree, and a hash continues where it stopped. */
    assert_true(fnv1a64_bytes(FNV1A64_START, "foobar", 6) ==
                0x85944171f73967e8ULL);
    assert_true(fnv1a32_bytes(FNV1A32_START, "foobar", 6) == 0xbf9cf968u);
    assert_true(fnv1a64_str(fnv1a64_bytes(FNV1A64_START, "foo", 3), "bar") ==
                0x85944171f73967e8ULL);
    assert_true(fnv1a32_bytes(fnv1a32_str(FNV1A32_START, "foo"), "bar", 3) ==
                0xbf9cf968u);
    /* A step takes a value wider than a byte whole (ports, as some tables
     * feed them), which is not the same as feeding its two bytes. */
    assert_true(fnv1a32_mix(FNV1A32_START, 0x1bb) == 0xbe0a5a5au);
    assert_true(fnv1a64_mix(FNV1A64_START, 0x1bb) == 0xaf63364c8600d27aULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_escape_policies),
        cmocka_unit_test(test_escape_cut),
        cmocka_unit_test(test_host_port),
        cmocka_unit_test(test_memcap_calloc),
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_fnv1a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
