/* test_field_registry.c — the registry's lookup over segments: rows keep
 * their segments' order, names are found in any segment, unknown names are
 * not; rows sharing a reader get what they name; the lookups read the
 * table given to them, prepared; a segment's part is checked against its
 * rows; and the program's table ends with the rules' diagnosis rows. */
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

/* Rows that share a reader: each hands it what it reads. */
static bool read_number(const void *arg, const struct handshake *h,
                        struct field_value *v, char *scratch, size_t len)
{
    (void)h, (void)scratch, (void)len;
    return field_put_int(v, *(const int *)arg);
}
static size_t count_copies(const void *arg, const struct handshake *h)
{
    (void)h;
    return (size_t)*(const int *)arg;
}
static bool read_copy(const void *arg, const struct handshake *h, size_t i,
                      struct field_value *v, char *scratch, size_t len)
{
    (void)h, (void)scratch, (void)len;
    return i % 2 == 0 && field_put_int(v, *(const int *)arg);
}
static const struct field_reader numbers = {read_number, count_copies,
                                            read_copy};
static const int three = 3, seven = 7;

static void test_shared_reader(void **state)
{
    (void)state;
    const struct field_def rows[] = {
        FIELD_READ("n.three", FT_INT, "reads 3", &numbers, &three),
        FIELD_READ("n.sevens", FT_INT_LIST, "7, 7 slots", &numbers, &seven),
    };
    struct handshake h;
    memset(&h, 0, sizeof(h));
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    assert_true(field_get(&rows[0], &h, &v, scratch, sizeof(scratch)));
    assert_int_equal(v.num, 3);
    assert_int_equal(field_count(&rows[1], &h), 7);
    assert_true(field_item(&rows[1], &h, 2, &v, scratch, sizeof(scratch)));
    assert_int_equal(v.num, 7);
    assert_false(field_item(&rows[1], &h, 1, &v, scratch, sizeof(scratch)));
    assert_int_equal(field_list_len(&rows[1], &h), 4);
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

/* The lookups read the table the program gave, prepared once given. */
static struct field_def rendered_rows[1];
static const struct field_segment rendered = {rendered_rows, 1};
static const struct field_segment *const first_then_rendered[] = {&first,
                                                                  &rendered};
static int prepared;

static void render_row(void)
{
    prepared++;
    rendered_rows[0] = (struct field_def)FIELD_SCALAR(
        "r.rendered", FT_INT, "filled by prepare", NULL);
}

static void test_use_gives_the_table(void **state)
{
    (void)state;
    static const struct field_table given = {first_then_rendered, 2,
                                             render_row};
    field_registry_use(&given);
    assert_int_equal(prepared, 1);
    assert_int_equal(fields_count(), 3);
    assert_ptr_equal(fields_at(0), &first_rows[0]);
    assert_string_equal(fields_at(2)->name, "r.rendered");
    assert_null(fields_at(3));
    /* Back to the program's, which the other tests read (and which the
     * index by name was or will be built from). */
    field_registry_use(&fields_program);
    assert_int_equal(prepared, 1);
    assert_string_equal(fields_at(0)->name, "@timestamp");
}

/* A part of the record: here, whether its flow id is odd; the row reads
 * it, and has a value where the part is there, or, misdeclared, always. */
static bool odd_flow(const struct handshake *h)
{
    return h->flow_id & 1;
}

static bool g_odd(const struct handshake *h, struct field_value *v,
                  char *scratch, size_t len)
{
    (void)scratch, (void)len;
    return field_put_int(v, (int64_t)h->flow_id) && odd_flow(h);
}

static bool g_any(const struct handshake *h, struct field_value *v,
                  char *scratch, size_t len)
{
    (void)scratch, (void)len;
    return field_put_int(v, (int64_t)h->flow_id);
}

static const struct field_def part_rows[] = {
    FIELD_SCALAR("p.odd", FT_INT, "read from the part", g_odd),
};
static const struct field_def misdeclared_rows[] = {
    FIELD_SCALAR("p.any", FT_INT, "a value without the part", g_any),
};

/* Segments say which part their rows read; fields_part_misses names a row
 * with a value in a record its segment says lacks the part, which a
 * writer skipping the segment would drop. */
static void test_segment_parts(void **state)
{
    (void)state;
    static const struct field_segment part = {part_rows, 1, odd_flow};
    static const struct field_segment misdeclared = {misdeclared_rows, 1,
                                                     odd_flow};
    static const struct field_segment *const honest[] = {&first, &part};
    static const struct field_segment *const lying[] = {&part, &misdeclared};
    static const struct field_table honest_table = {honest, 2};
    static const struct field_table lying_table = {lying, 2};
    struct handshake h = {0};

    field_registry_use(&honest_table);
    assert_int_equal(fields_segment_count(), 2);
    assert_ptr_equal(fields_segment_at(1), &part);
    assert_null(fields_segment_at(2));
    h.flow_id = 2;
    assert_false(field_has_value(&part_rows[0], &h));
    assert_null(fields_part_misses(&h));
    h.flow_id = 3;
    assert_true(field_has_value(&part_rows[0], &h));
    assert_null(fields_part_misses(&h));

    field_registry_use(&lying_table);
    assert_null(fields_part_misses(&h)); /* the part is there */
    h.flow_id = 4;
    assert_ptr_equal(fields_part_misses(&h), &misdeclared_rows[0]);

    field_registry_use(&fields_program);
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
    /* As main() does: the program's table, before any lookup. */
    field_registry_use(&fields_program);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_in_segment_order),
        cmocka_unit_test(test_find_across_segments),
        cmocka_unit_test(test_shared_reader),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_use_gives_the_table),
        cmocka_unit_test(test_segment_parts),
        cmocka_unit_test(test_program_ends_with_diagnosis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
