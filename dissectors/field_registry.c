/* field_registry.c — lookup of field rows across the segments of a table,
 * by position and by name, and the field listings (see field_registry.h). */
#include "field_registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

size_t field_table_count(const struct field_table *t)
{
    size_t n = 0;
    for (size_t s = 0; s < t->n_segments; s++)
        n += t->segments[s]->n;
    return n;
}

const struct field_def *field_table_at(const struct field_table *t, size_t i)
{
    for (size_t s = 0; s < t->n_segments; s++) {
        if (i < t->segments[s]->n)
            return &t->segments[s]->rows[i];
        i -= t->segments[s]->n;
    }
    return NULL;
}

static int compare_names(const void *a, const void *b)
{
    const struct field_def *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

bool field_index_build(struct field_index *ix, const struct field_table *t)
{
    ix->n = field_table_count(t);
    ix->by_name = calloc(ix->n ? ix->n : 1, sizeof(ix->by_name[0]));
    if (!ix->by_name) {
        ix->n = 0;
        return false;
    }
    for (size_t i = 0; i < ix->n; i++)
        ix->by_name[i] = field_table_at(t, i);
    qsort(ix->by_name, ix->n, sizeof(ix->by_name[0]), compare_names);
    return true;
}

const struct field_def *field_index_find(const struct field_index *ix,
                                         const char *name)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->by_name[mid]->name, name);
        if (c == 0)
            return ix->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void field_index_free(struct field_index *ix)
{
    free(ix->by_name);
    ix->by_name = NULL;
    ix->n = 0;
}

/* Set once, before the program's threads start; only read after. */
static const struct field_table *program;

void field_registry_use(const struct field_table *t)
{
    if (t->prepare)
        t->prepare();
    program = t;
}

/* A lookup before the table is given is the program's bug, not a missing
 * field: say so rather than answer "unknown". */
static const struct field_table *program_table(void)
{
    if (!program) {
        fputs("tlsmon: a field was looked up before field_registry_use\n",
              stderr);
        abort();
    }
    return program;
}

size_t fields_count(void)
{
    return field_table_count(program_table());
}

const struct field_def *fields_at(size_t i)
{
    return field_table_at(program_table(), i);
}

size_t fields_segment_count(void)
{
    return program_table()->n_segments;
}

const struct field_segment *fields_segment_at(size_t s)
{
    const struct field_table *t = program_table();
    return s < t->n_segments ? t->segments[s] : NULL;
}

const struct field_def *fields_part_misses(const struct handshake *h)
{
    const struct field_table *t = program_table();
    for (size_t s = 0; s < t->n_segments; s++) {
        const struct field_segment *seg = t->segments[s];
        if (!seg->has_part || seg->has_part(h))
            continue;
        for (size_t i = 0; i < seg->n; i++)
            if (field_has_value(&seg->rows[i], h))
                return &seg->rows[i];
    }
    return NULL;
}

/* The program's index, built on the first lookup and kept for the
 * process: it only mirrors the table, which does not change once
 * prepared. */
static struct field_index program_index;
static pthread_once_t program_index_once = PTHREAD_ONCE_INIT;

static void index_program(void)
{
    if (!field_index_build(&program_index, program_table())) {
        fputs("tlsmon: out of memory indexing the field registry\n", stderr);
        abort();
    }
}

const struct field_def *fields_find(const char *name)
{
    pthread_once(&program_index_once, index_program);
    return field_index_find(&program_index, name);
}

size_t field_list_len(const struct field_def *f, const struct handshake *h)
{
    if (!field_is_list(f))
        return 0;
    size_t slots = field_count(f, h), n = 0;
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    for (size_t i = 0; i < slots; i++)
        if (field_item(f, h, i, &v, scratch, sizeof(scratch)))
            n++;
    return n;
}

bool field_has_value(const struct field_def *f, const struct handshake *h)
{
    if (field_is_list(f))
        return field_list_len(f, h) > 0;
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    return field_get(f, h, &v, scratch, sizeof(scratch));
}

const char *field_type_name(enum field_type t)
{
    switch (t) {
    case FT_STRING: return "string";
    case FT_INT: return "int";
    case FT_BOOL: return "bool";
    case FT_FLOAT: return "float";
    case FT_IP: return "ip";
    case FT_TIME: return "time";
    case FT_VERSION: return "version";
    case FT_STRING_LIST: return "string list";
    case FT_INT_LIST: return "int list";
    case FT_ALERTS: return "alert list";
    }
    return "?";
}

void fields_print_list(FILE *fp)
{
    size_t n = fields_count(), width = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = strlen(fields_at(i)->name);
        if (w > width)
            width = w;
    }
    for (size_t i = 0; i < n; i++) {
        const struct field_def *f = fields_at(i);
        fprintf(fp, "%-*s  %-11s  %s\n", (int)width, f->name,
                field_type_name(f->type), f->description);
    }
}

void fields_print_markdown(FILE *fp)
{
    fputs("| field | type | description |\n|---|---|---|\n", fp);
    for (size_t i = 0, n = fields_count(); i < n; i++) {
        const struct field_def *f = fields_at(i);
        fprintf(fp, "| `%s` | %s | ", f->name, field_type_name(f->type));
        /* A '|' would split the cell. */
        for (const char *c = f->description; *c; c++) {
            if (*c == '|')
                fputc('\\', fp);
            fputc(*c, fp);
        }
        fputs(" |\n", fp);
    }
}
