/* json_writer.h — a small streaming JSON writer into one growable buffer
 * (or a fixed caller buffer). A handshake record is rendered onto it by
 * record_json.h.
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

#define JSON_MAX_DEPTH 16
#define JSON_MAX_BYTES (4u * 1024u * 1024u) /* a record is far smaller */

struct json_writer {
    char *buf;
    size_t len, cap;
    bool owned;     /* buf is ours to grow and free */
    bool failed;    /* out of room: the contents are incomplete */
    bool after_key; /* the next value completes a "key": pair */
    int depth;
    /* bit d: level d holds an item, so a comma is due before the next
     * (one word: opening several levels at once sets their bits in one
     * step) */
    uint32_t has_items;
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
/* Keys rendered beforehand, for writers that emit the same nesting again
 * and again (record_json.c): `text` is one or more keys, each already
 * escaped and quoted with its colon, all but the last followed by the '{'
 * of the object it opens (`opens` of them), as in "a":{"b":{"c": — written
 * as the json_key/json_begin_object calls would write them, at once. A
 * value follows, as after json_key. */
void json_key_chain(struct json_writer *w, const char *text, size_t n,
                    int opens);
/* The same for a key that follows a value in the open object (after
 * `close` json_end_object calls): that object already holds an item, so
 * the comma is written without asking, the closes, comma and key under
 * one bounds check (a record's walk enters every key after the first this
 * way). */
void json_next_key_chain(struct json_writer *w, int close, const char *text,
                         size_t n, int opens);
/* A value rendered beforehand by a writer (a string with its quotes, a
 * number, an array), written as it is where a value goes. */
void json_raw_value(struct json_writer *w, const char *text, size_t n);
/* n json_end_object calls at once. */
void json_end_objects(struct json_writer *w, int n);
void json_key(struct json_writer *w, const char *key);
void json_key_n(struct json_writer *w, const char *key, size_t n);
void json_string(struct json_writer *w, const char *s);
void json_string_n(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, int64_t n);
void json_uint(struct json_writer *w, uint64_t n);
void json_bool(struct json_writer *w, bool b);
/* "key": n, the shape of every counter in summaries and stats. */
void json_member_uint(struct json_writer *w, const char *key, uint64_t n);
/* A uint64_t counter in some struct and its JSON key: the long runs of
 * counters in summaries are tables of these. */
struct json_counter {
    const char *key;
    size_t offset; /* offsetof the counter in its struct */
};
/* "key": n for each counter of the table, read from the struct at `base`,
 * in table order. */
void json_member_counters(struct json_writer *w, const void *base,
                          const struct json_counter *counters, size_t n);
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

/* "ecs": {"version": ...} as a member of the open object, for the events
 * the registry does not write (stats, summary). */
void json_write_ecs_version(struct json_writer *w);

#endif
