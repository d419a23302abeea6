/* fuzz_json_read.c — libFuzzer target for the NDJSON reader behind
 * --baseline: arbitrary bytes as one JSON document, then as NDJSON lines
 * through a run profile. Beyond "no crash": every leaf's path and text are
 * NUL-terminated within their limits, the reported length matches the
 * text, a failure points inside the input, and the same bytes read twice
 * give the same answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/baseline.h"
#include "analyzer/json_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

struct tally {
    size_t leaves;
    size_t bytes;
};

static void on_leaf(void *ctx, const char *path, enum json_leaf_kind kind,
                    const char *text, size_t len)
{
    struct tally *t = ctx;
    CHECK(strlen(path) < JSON_READ_MAX_PATH);
    CHECK(len <= JSON_READ_MAX_STRING);
    CHECK(kind == JSON_LEAF_STRING || strlen(text) == len);
    CHECK(kind <= JSON_LEAF_NULL);
    t->leaves++;
    t->bytes += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally a = {0, 0}, b = {0, 0};
    size_t at_a = 0, at_b = 0;
    bool ok_a = json_read((const char *)data, size, on_leaf, &a, &at_a);
    bool ok_b = json_read((const char *)data, size, on_leaf, &b, &at_b);
    CHECK(ok_a == ok_b && a.leaves == b.leaves && a.bytes == b.bytes);
    CHECK(ok_a || (at_a <= size && at_a == at_b));

    /* The same bytes as an NDJSON file for a baseline. */
    FILE *fp = fmemopen((void *)data, size ? size : 1, "r");
    if (!fp)
        return 0;
    if (size == 0) {
        fclose(fp);
        return 0;
    }
    struct run_profile *p = run_profile_new();
    char err[256];
    if (p) {
        run_profile_read_ndjson(p, fp, "fuzz", err, sizeof(err));
        struct run_profile *empty = run_profile_new();
        if (empty) {
            struct run_changes *c = run_changes_compute(empty, p, "fuzz");
            FILE *sink = fopen("/dev/null", "w");
            if (c && sink) {
                run_changes_print_text(sink, c, false);
                run_changes_write_html(sink, c);
            }
            if (sink)
                fclose(sink);
            run_changes_free(c);
            run_profile_free(empty);
        }
        run_profile_free(p);
    }
    fclose(fp);
    return 0;
}
