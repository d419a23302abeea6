/* test_field_registry.c — the registry's lookup over segments: rows keep
 * their segments' order, names are found in any segment, unknown names are
 * not; and the program's table ends with the rules' diagnosis rows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "analyzer/fields.h"
#include "rules/diagnosis_fields.h"

static const struct field_def first_rows[] = {
    FIELD_SCALAR("b.one", FT_INT, "first segment, first row", NULL),
    FIELD_SCALAR("z.two", FT_STRING, "first segment, second row", NULL),
};
static const struct field_def second_rows[] = {
    FIELD_SCALAR("a.three", FT_BOOL, "second segment, only row", NULL),
};
static const struct field_segment first = {first_rows, 2};
static const struct field_segment second = {second_rows, 1};
static const struct field_segment *const both[] = {&first, &second};
static const struct field_table two_segments = {both, 2};

static void test_rows_in_segment_order(void **state)
{
    (void)state;
    assert_int_equal(field_table_count(&two_segments), 3);
    assert_string_equal(field_table_at(&two_segments, 0)->name, "b.one");
    assert_string_equal(field_table_at(&two_segments, 1)->name, "z.two");
    assert_string_equal(field_table_at(&two_segments, 2)->name, "a.three");
    assert_null(field_table_at(&two_segments, 3));
}

static void test_find_across_segments(void **state)
{
    (void)state;
    struct field_index ix;
    assert_true(field_index_build(&ix, &two_segments));
    assert_ptr_equal(field_index_find(&ix, "a.three"), &second_rows[0]);
    assert_ptr_equal(field_index_find(&ix, "b.one"), &first_rows[0]);
    assert_ptr_equal(field_index_find(&ix, "z.two"), &first_rows[1]);
    assert_null(field_index_find(&ix, "b"));
    assert_null(field_index_find(&ix, "b.one.more"));
    assert_null(field_index_find(&ix, ""));
    field_index_free(&ix);
    assert_null(field_index_find(&ix, "b.one"));
}

static void test_empty_table(void **state)
{
    (void)state;
    static const struct field_table none = {NULL, 0};
    struct field_index ix;
    assert_int_equal(field_table_count(&none), 0);
    assert_null(field_table_at(&none, 0));
    assert_true(field_index_build(&ix, &none));
    assert_null(field_index_find(&ix, "b.one"));
    field_index_free(&ix);
}

/* The record's rows first, the diagnosis last: the JSON's key order. */
static void test_program_ends_with_diagnosis(void **state)
{
    (void)state;
    size_t n = fields_count(), d = diagnosis_fields.n;
    assert_true(n > d);
    for (size_t i = 0; i < d; i++) {
        const struct field_def *f = fields_at(n - d + i);
        assert_ptr_equal(f, &diagnosis_fields.rows[i]);
        assert_ptr_equal(fields_find(f->name), f);
    }
    assert_string_equal(fields_at(n - 1)->name, "tlsmon.rules");
    assert_string_equal(fields_at(0)->name, "@timestamp");
    assert_null(fields_at(n));
    assert_null(fields_find("tlsmon.no_such_field"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_in_segment_order),
        cmocka_unit_test(test_find_across_segments),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_program_ends_with_diagnosis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
