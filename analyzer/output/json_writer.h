/* json_writer.h — a small streaming JSON writer into one growable buffer
 * (or a fixed caller buffer), and the rendering of a handshake record as
 * nested JSON from the field registry.
 *
 * The writer tracks commas itself: callers say key, value, begin, end.
 * When the buffer cannot grow (or the fixed buffer is full, or nesting is
 * too deep) the writer sets `failed` and ignores further calls, so a caller
 * checks once at the end instead of after every call. */
#ifndef TLSMON_JSON_WRITER_H
#define TLSMON_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../dissectors/handshake.h"

#define JSON_MAX_DEPTH 16
#define JSON_MAX_BYTES (4u * 1024u * 1024u) /* a record is far smaller */
/* Dot-separated segments a record field name may have. */
#define JSON_FIELD_MAX_SEGMENTS 8

struct json_writer {
    char *buf;
    size_t len, cap;
    bool owned;     /* buf is ours to grow and free */
    bool failed;    /* out of room: the contents are incomplete */
    bool after_key; /* the next value completes a "key": pair */
    int depth;
    bool has_items[JSON_MAX_DEPTH + 1]; /* per level: a comma is due */
};

/* A growable writer; json_free releases it. */
void json_init(struct json_writer *w);
/* A growable writer with room for `cap` bytes from the start (none when
 * that allocation fails: it grows on demand as json_init's does). */
void json_init_capacity(struct json_writer *w, size_t cap);
/* A writer over a fixed buffer the caller owns; it never grows. */
void json_init_fixed(struct json_writer *w, char *buf, size_t cap);
void json_free(struct json_writer *w);
/* Empty it for the next document, keeping the buffer. */
void json_reset(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_key_n(struct json_writer *w, const char *key, size_t n);
void json_string(struct json_writer *w, const char *s);
void json_string_n(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, int64_t n);
void json_uint(struct json_writer *w, uint64_t n);
void json_bool(struct json_writer *w, bool b);
/* "key": n, the shape of every counter in summaries and stats. */
void json_member_uint(struct json_writer *w, const char *key, uint64_t n);
/* A number with exactly 3 decimals, locale independent. */
void json_fixed3(struct json_writer *w, double d);

/* Append n bytes as they are (no JSON structure): for collecting finished
 * lines. False, and nothing appended, when they do not fit. */
bool json_append_raw(struct json_writer *w, const char *s, size_t n);
/* The same for printf-formatted text (the text outputs build their lines
 * in the scratch this way). */
bool json_append_fmt(struct json_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The contents as a NUL-terminated string ("" after a failure). */
const char *json_text(struct json_writer *w);

/* Append a newline and write the whole document with one fwrite, then
 * reset. Returns false if the document was incomplete or the write failed
 * (nothing partial is written for an incomplete document). */
bool json_write_line(struct json_writer *w, FILE *fp);

/* One handshake record as one JSON object, every present registry field,
 * dotted names nested as objects. */
void json_write_record(struct json_writer *w, const struct handshake *h);

/* Dotted keys written as nested objects, for events put together by hand
 * (alerts): each key closes the objects of the previous one it does not
 * share and opens the ones it adds, so keys must come grouped by prefix
 * (all tls.* together). Objects open only when a value is written under
 * them: an absent field leaves no empty object. */
struct json_path {
    struct json_writer *w;
    char prev[128]; /* the last key written */
    int open;       /* objects opened */
};

void json_path_begin(struct json_path *p, struct json_writer *w);
/* Write `dotted`'s key (opening its parents); then write one value. */
void json_path_key(struct json_path *p, const char *dotted);
/* The record field `name` of h under the key `dotted`, a scalar or a list
 * as in the record, when h has it. */
bool json_path_field(struct json_path *p, const char *dotted,
                     const char *name, const struct handshake *h);
/* Close what is open. */
void json_path_end(struct json_path *p);

/* "ecs": {"version": ...} as a member of the open object, for the events
 * the registry does not write (stats, summary). */
void json_write_ecs_version(struct json_writer *w);

#endif
