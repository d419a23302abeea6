/* test_hostname.c — the RFC 6125 matcher of dissectors/hostname.c: exact
 * names, wildcards (allowed, partial, across labels, too broad), case and
 * trailing dots, SAN-before-CN, and IP references against IP SANs only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dissectors/hostname.h"

static void test_exact(void **state)
{
    (void)state;
    assert_true(hostname_match_pattern("server.test", "server.test"));
    assert_true(hostname_match_pattern("Server.TEST", "server.test"));
    assert_true(hostname_match_pattern("server.test.", "server.test"));
    assert_true(hostname_match_pattern("server.test", "SERVER.test."));
    assert_false(hostname_match_pattern("server.test", "server.test.."));
    assert_false(hostname_match_pattern("server.test", "www.server.test"));
    assert_false(hostname_match_pattern("www.server.test", "server.test"));
    assert_false(hostname_match_pattern("server.tes", "server.test"));
    assert_false(hostname_match_pattern("", "server.test"));
    assert_false(hostname_match_pattern("server.test", ""));
    assert_false(hostname_match_pattern("a..test", "a..test"));
    assert_false(hostname_match_pattern(".test", ".test"));
}

static void test_wildcards(void **state)
{
    (void)state;
    assert_true(hostname_match_pattern("*.example.com", "www.example.com"));
    assert_true(hostname_match_pattern("*.example.com", "WWW.Example.Com."));
    assert_true(hostname_match_pattern("*.Example.com", "x.example.com"));
    /* Exactly one label: not the bare domain, not two labels. */
    assert_false(hostname_match_pattern("*.example.com", "example.com"));
    assert_false(hostname_match_pattern("*.example.com", "a.b.example.com"));
    assert_false(hostname_match_pattern("*.example.com", ".example.com"));
    /* Partial wildcards are refused. */
    assert_false(hostname_match_pattern("f*o.example.com", "foo.example.com"));
    assert_false(hostname_match_pattern("*oo.example.com", "foo.example.com"));
    assert_false(hostname_match_pattern("fo*.example.com", "foo.example.com"));
    /* Only the leftmost label. */
    assert_false(hostname_match_pattern("www.*.com", "www.example.com"));
    assert_false(hostname_match_pattern("*.*.example.com", "a.b.example.com"));
    assert_false(hostname_match_pattern("example.*", "example.com"));
    /* Too broad. */
    assert_false(hostname_match_pattern("*.com", "example.com"));
    assert_false(hostname_match_pattern("*", "localhost"));
    assert_false(hostname_match_pattern("*.", "com"));
    /* A wildcard never matches a differently long suffix. */
    assert_false(hostname_match_pattern("*.example.com", "www.example.co"));
    assert_false(hostname_match_pattern("*.example.com", "wwwexample.com"));
}

static void test_ip_parse(void **state)
{
    (void)state;
    struct hostname_ip ip;
    assert_true(hostname_parse_ip("192.0.2.7", &ip));
    assert_int_equal(ip.len, 4);
    assert_memory_equal(ip.addr, "\xc0\x00\x02\x07", 4);
    assert_true(hostname_parse_ip("2001:db8::1", &ip));
    assert_int_equal(ip.len, 16);
    assert_int_equal(ip.addr[0], 0x20);
    assert_int_equal(ip.addr[15], 0x01);
    assert_true(hostname_parse_ip("[::1]", &ip));
    assert_int_equal(ip.len, 16);
    assert_false(hostname_parse_ip("server.test", &ip));
    assert_false(hostname_parse_ip("192.0.2", &ip));
    assert_false(hostname_parse_ip("1.2.3.4.example", &ip));
}

static void test_san_before_cn(void **state)
{
    (void)state;
    const char *dns[] = {"other.test", "*.wild.test"};
    struct hostname_ids ids = {dns, 2, NULL, 0, "server.test"};
    /* With DNS SANs present the CN is not consulted. */
    assert_false(hostname_verify("server.test", &ids));
    assert_true(hostname_verify("other.test", &ids));
    assert_true(hostname_verify("a.wild.test", &ids));
    assert_false(hostname_verify("wild.test", &ids));
    /* No DNS SAN: the CN decides, with the same rules. */
    struct hostname_ids cn_only = {NULL, 0, NULL, 0, "server.test"};
    assert_true(hostname_verify("SERVER.test.", &cn_only));
    assert_false(hostname_verify("other.test", &cn_only));
    struct hostname_ids cn_wild = {NULL, 0, NULL, 0, "*.server.test"};
    assert_true(hostname_verify("www.server.test", &cn_wild));
    /* No names at all, or no host: nothing matches. */
    struct hostname_ids none = {NULL, 0, NULL, 0, NULL};
    assert_false(hostname_verify("server.test", &none));
    assert_false(hostname_verify("", &cn_only));
    assert_false(hostname_verify(NULL, &cn_only));
}

static void test_ip_references(void **state)
{
    (void)state;
    struct hostname_ip ips[2] = {{4, {192, 0, 2, 7}},
                                 {16, {0x20, 0x01, 0x0d, 0xb8}}};
    ips[1].addr[15] = 1;
    const char *dns[] = {"192.0.2.8", "server.test"};
    struct hostname_ids ids = {dns, 2, ips, 2, "192.0.2.9"};
    assert_true(hostname_verify("192.0.2.7", &ids));
    assert_true(hostname_verify("2001:db8::1", &ids));
    /* An IP never matches a DNS SAN or the CN spelling it. */
    assert_false(hostname_verify("192.0.2.8", &ids));
    assert_false(hostname_verify("192.0.2.9", &ids));
    assert_false(hostname_verify("2001:db8::2", &ids));
    /* A v4 address does not match a v4-mapped v6 SAN of the same bytes. */
    struct hostname_ip mapped = {16, {0}};
    mapped.addr[10] = mapped.addr[11] = 0xff;
    memcpy(mapped.addr + 12, "\xc0\x00\x02\x0a", 4);
    struct hostname_ids v6 = {NULL, 0, &mapped, 1, NULL};
    assert_false(hostname_verify("192.0.2.10", &v6));
    assert_true(hostname_verify("::ffff:192.0.2.10", &v6));
    /* DNS names still go to DNS SANs when IP SANs exist. */
    assert_true(hostname_verify("server.test", &ids));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_ip_parse),
        cmocka_unit_test(test_san_before_cn),
        cmocka_unit_test(test_ip_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
