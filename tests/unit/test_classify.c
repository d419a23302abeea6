/* test_classify.c — nDPI's answer for a TLS flow from the server name
 * tlsmon read (classify_tls_by_name), without nDPI reading the hello: the
 * application its host list gives, its category, none of its readings; a
 * name of Tor's shape nDPI does not know is left to nDPI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "analyzer/classify.h"

static struct classifier *cls;

static int setup(void **state)
{
    (void)state;
    cls = classifier_new();
    return cls ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    classifier_free(cls);
    return 0;
}

/* The names of a flow's verdict, as a record gets them. */
struct names {
    char protocol[48], app[32], category[32];
};

static struct names names_of(const struct classify_state *st)
{
    struct names n;
    classify_names(cls, &st->result.verdict, n.protocol, sizeof n.protocol,
                   n.app, sizeof n.app, n.category, sizeof n.category);
    return n;
}

static void test_named_application(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    static const char name[] = "WWW.YouTube.com";
    static const uint8_t client[4] = {10, 0, 0, 1}, server[4] = {10, 0, 0, 2};
    assert_true(classify_tls_by_name(cls, &st, name, strlen(name), client,
                                     server));
    assert_true(st.done);
    assert_null(st.ndpi);
    struct names n = names_of(&st);
    assert_string_equal(n.protocol, "TLS.YouTube");
    assert_string_equal(n.app, "YouTube");
    assert_string_equal(n.category, "Media");
    assert_int_equal(st.result.risks, 0);
    assert_string_equal(st.result.server_name, "");
    assert_int_equal(st.result.tls_version, 0);
    /* Decided: a second call changes nothing. */
    assert_true(classify_tls_by_name(cls, &st, "x.test", 6, NULL, NULL));
    assert_string_equal(names_of(&st).protocol, "TLS.YouTube");
}

static void test_unknown_name_is_tls(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    assert_true(classify_tls_by_name(cls, &st, "server.test", 11, NULL, NULL));
    struct names n = names_of(&st);
    assert_string_equal(n.protocol, "TLS");
    assert_string_equal(n.app, "");
    assert_string_equal(n.category, "Web");
    /* Nothing concluded: no names at all. */
    memset(&st, 0, sizeof(st));
    n = names_of(&st);
    assert_string_equal(n.protocol, "");
    assert_string_equal(n.app, "");
    assert_string_equal(n.category, "");
}

static void test_tor_shaped_left_to_ndpi(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    assert_false(classify_tls_by_name(cls, &st, "www.q7zkx3vbn2.com", 18,
                                      NULL, NULL));
    assert_false(st.done);
    assert_null(st.ndpi);
    /* A known www.*.com name is not. */
    assert_true(classify_tls_by_name(cls, &st, "www.youtube.com", 15, NULL,
                                     NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_application),
        cmocka_unit_test(test_unknown_name_is_tls),
        cmocka_unit_test(test_tor_shaped_left_to_ndpi),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
