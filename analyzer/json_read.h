/* json_read.h — reading one JSON document (an NDJSON line tlsmon or
 * another tool wrote) as its leaves: every string, number, boolean and
 * null with its dotted path ("tls.server.hash.sha256"; items of an array
 * share the array's path). That is all --baseline needs of an old run's
 * NDJSON. The input is not trusted: it is read through the bounds-checked
 * cursor, nesting is limited, and a malformed document is rejected with
 * the offset where it broke. */
#ifndef TLSMON_JSON_READ_H
#define TLSMON_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_READ_MAX_DEPTH 32
#define JSON_READ_MAX_PATH 256   /* bytes of a dotted path; deeper keys are
                                    cut and their leaves not reported */
#define JSON_READ_MAX_STRING 4096 /* longer strings are reported cut */

enum json_leaf_kind { JSON_LEAF_STRING, JSON_LEAF_NUMBER, JSON_LEAF_TRUE,
                      JSON_LEAF_FALSE, JSON_LEAF_NULL };

/* `text` is the unescaped string (UTF-8), or the number as written, or
 * "true"/"false"/"null"; NUL-terminated, valid for the call. */
typedef void (*json_leaf_fn)(void *ctx, const char *path,
                             enum json_leaf_kind kind, const char *text,
                             size_t len);

/* False when `data` is not one JSON value (whitespace around it allowed);
 * *error_at is then the offset where it stopped making sense. Leaves are
 * reported as they are read, so some may precede a failure. */
bool json_read(const char *data, size_t len, json_leaf_fn fn, void *ctx,
               size_t *error_at);

#endif
