/* field_registry.h — the field registry's mechanism: what a field row is
 * (name, type, description, accessor of the record), and the lookup of
 * rows by position and by name. The NDJSON writer, the rule engine and
 * `tlsmon --list-fields` all read fields through it, so a field is added in
 * one place and spelled the same everywhere.
 *
 * The rows are not here: each owner keeps its own as a segment (the
 * record's facts in analyzer/fields.c, the diagnosis in
 * rules/diagnosis_fields.c), and the program composes its table from them
 * in output order and hands it to the registry at start-up
 * (field_registry_use). The lookup code never knows who owns which row.
 *
 * Names are dotted NDJSON paths (ECS names where ECS has one, tlsmon.* for
 * the rest). The table is ordered so that fields sharing a dotted prefix are
 * contiguous, which lets the JSON writer nest objects in one pass.
 *
 * Accessors never allocate. A scalar getter returns false when the record
 * does not have the fact (the JSON omits the key). Strings it returns point
 * into the record, into static tables, or into the caller's scratch buffer,
 * and live until the next call with that scratch.
 *
 * List fields expose slots: count() is the number of slots and item(i)
 * returns false for a slot that is not part of the value (a GREASE entry),
 * so a reader walks all slots and skips the false ones. */
#ifndef TLSMON_FIELD_REGISTRY_H
#define TLSMON_FIELD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "handshake.h"

enum field_type {
    FT_STRING,
    FT_INT,
    FT_BOOL,
    FT_FLOAT,       /* milliseconds and the like, rendered with 3 decimals */
    FT_IP,          /* rendered as a string */
    FT_TIME,        /* num: microseconds since the epoch; RFC 3339 'Z' */
    FT_VERSION,     /* num: wire version; rendered "1.2", ordered by rank */
    FT_STRING_LIST,
    FT_INT_LIST,
    FT_ALERTS,      /* list of alert objects; items carry .alert */
};

struct field_value {
    enum field_type type;
    union {
        const char *str;              /* FT_STRING, FT_IP */
        int64_t num;                  /* FT_INT, FT_TIME, FT_VERSION */
        bool boolean;                 /* FT_BOOL */
        double real;                  /* FT_FLOAT */
        const struct tls_alert *alert;/* FT_ALERTS items */
    };
};

/* Enough scratch for any accessor: an IPv6 address, a hex code, a time. */
#define FIELD_SCRATCH 64

/* An accessor many rows share: each row hands it `arg`, what the row reads
 * (which certificate and which of its facts, say), so that such rows are
 * plain data rather than a getter each. */
struct field_reader {
    bool (*get)(const void *arg, const struct handshake *h,
                struct field_value *v, char *scratch, size_t scratch_len);
    size_t (*count)(const void *arg, const struct handshake *h);
    bool (*item)(const void *arg, const struct handshake *h, size_t i,
                 struct field_value *v, char *scratch, size_t scratch_len);
};

struct field_def {
    const char *name;
    enum field_type type; /* for lists, the list type; items are scalars */
    const char *description;
    /* Scalars. */
    bool (*get)(const struct handshake *h, struct field_value *v,
                char *scratch, size_t scratch_len);
    /* Lists (FT_STRING_LIST, FT_INT_LIST, FT_ALERTS). */
    size_t (*count)(const struct handshake *h);
    bool (*item)(const struct handshake *h, size_t i, struct field_value *v,
                 char *scratch, size_t scratch_len);
    /* Or, instead of the three: a shared reader and what this row reads. */
    const struct field_reader *reader;
    const void *arg;
};

/* Table rows are written with these. */
#define FIELD_SCALAR(n, t, d, g) {n, t, d, g, NULL, NULL, NULL, NULL}
#define FIELD_LIST(n, t, d, c, i) {n, t, d, NULL, c, i, NULL, NULL}
#define FIELD_READ(n, t, d, r, a) {n, t, d, NULL, NULL, NULL, r, a}

/* A scalar's value: false when the record does not have the fact. */
static inline bool field_get(const struct field_def *f,
                             const struct handshake *h, struct field_value *v,
                             char *scratch, size_t scratch_len)
{
    return f->reader ? f->reader->get(f->arg, h, v, scratch, scratch_len)
                     : f->get(h, v, scratch, scratch_len);
}

/* A list's slots, and slot i (false: not part of the value). */
static inline size_t field_count(const struct field_def *f,
                                 const struct handshake *h)
{
    return f->reader ? f->reader->count(f->arg, h) : f->count(h);
}

static inline bool field_item(const struct field_def *f,
                              const struct handshake *h, size_t i,
                              struct field_value *v, char *scratch,
                              size_t scratch_len)
{
    return f->reader
               ? f->reader->item(f->arg, h, i, v, scratch, scratch_len)
               : f->item(h, i, v, scratch, scratch_len);
}

static inline bool field_is_list(const struct field_def *f)
{
    return f->type == FT_STRING_LIST || f->type == FT_INT_LIST ||
           f->type == FT_ALERTS;
}

/* One owner's rows, in their output order, that read one part of the
 * record. */
struct field_segment {
    const struct field_def *rows;
    size_t n;
    /* Whether h has the part the rows read (its client hello, its server
     * certificate, its QUIC facts...): false promises that no row of the
     * segment has a value in h, so a writer of whole records skips the
     * segment without asking its rows (analyzer/output/record_json.c).
     * NULL: rows of the record's core, asked one by one.
     * fields_part_misses checks the promise. */
    bool (*has_part)(const struct handshake *h);
};

/* A table: segments, one after the other. */
struct field_table {
    const struct field_segment *const *segments;
    size_t n_segments;
    /* Fills the rows rendered from other data rather than written out,
     * and the size of a segment it renders (NULL: none);
     * field_registry_use runs it, before any lookup. Nothing changes
     * after. */
    void (*prepare)(void);
};

size_t field_table_count(const struct field_table *t);
const struct field_def *field_table_at(const struct field_table *t, size_t i);

/* The rows of a table sorted by name, for lookups by name (alert events
 * and the rule loader look fields up a dozen times per alert). */
struct field_index {
    const struct field_def **by_name;
    size_t n;
};
/* False when out of memory. */
bool field_index_build(struct field_index *ix, const struct field_table *t);
const struct field_def *field_index_find(const struct field_index *ix,
                                         const char *name);
void field_index_free(struct field_index *ix);

/* The program's table, which the lookups below read: the program gives
 * it once at start-up, before any lookup and before its threads start
 * (tlsmon's main() gives the one analyzer/fields.c composes), and the
 * registry prepares it then. The registry names nothing of the layers
 * above it. */
void field_registry_use(const struct field_table *t);

/* Lookups in the program's table. */
size_t fields_count(void);
const struct field_def *fields_at(size_t i);
const struct field_def *fields_find(const char *name); /* NULL if unknown */
/* The table's segments: their rows, one after the other, are fields_at's. */
size_t fields_segment_count(void);
const struct field_segment *fields_segment_at(size_t s);

/* Whether h has a value for f: a scalar, or a list with an entry kept. */
bool field_has_value(const struct field_def *f, const struct handshake *h);

/* The first row with a value in h although its segment says h lacks the
 * part it reads (NULL: none), which a writer skipping that segment would
 * drop: the tests ask it of their records. */
const struct field_def *fields_part_misses(const struct handshake *h);

/* Number of entries a list field really has in `h` (skipped slots not
 * counted); 0 for a scalar. */
size_t field_list_len(const struct field_def *f, const struct handshake *h);

/* "string", "int", "string list" … as --list-fields shows them. */
const char *field_type_name(enum field_type t);

/* `tlsmon --list-fields`: one field a line, name, type, description. */
void fields_print_list(FILE *fp);
/* The README field reference: a Markdown table. */
void fields_print_markdown(FILE *fp);

/* ---- for accessors: fill `v`, say whether the record has the fact ----- */

static inline bool field_put_str(struct field_value *v, const char *s)
{
    *v = (struct field_value){.type = FT_STRING, .str = s};
    return s != NULL;
}

static inline bool field_put_int(struct field_value *v, int64_t n)
{
    *v = (struct field_value){.type = FT_INT, .num = n};
    return true;
}

/* Microseconds since the epoch; 0 is no time. */
static inline bool field_put_time(struct field_value *v, uint64_t us)
{
    *v = (struct field_value){.type = FT_TIME, .num = (int64_t)us};
    return us != 0;
}

static inline bool field_put_bool(struct field_value *v, bool b)
{
    *v = (struct field_value){.type = FT_BOOL, .boolean = b};
    return true;
}

/* A span in microseconds, as milliseconds; negative is no span. */
static inline bool field_put_ms(struct field_value *v, int64_t us)
{
    *v = (struct field_value){.type = FT_FLOAT, .real = (double)us / 1000.0};
    return us >= 0;
}

static inline bool field_put_version(struct field_value *v, uint16_t version)
{
    *v = (struct field_value){.type = FT_VERSION, .num = version};
    return true;
}

/* Text arrays in the record are filled by the dissectors; a record is only
 * as good as its writer, so refuse one without a terminator, or empty. */
static inline bool field_put_cstr(struct field_value *v, const char *s,
                                  size_t cap)
{
    if (memchr(s, '\0', cap) == NULL || s[0] == '\0')
        return false;
    return field_put_str(v, s);
}

#endif
