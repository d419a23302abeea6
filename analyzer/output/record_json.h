/* record_json.h — a handshake record rendered as nested JSON from the
 * field registry (the NDJSON record and the facts alert events repeat),
 * onto the generic writer of json_writer.h. */
#ifndef TLSMON_RECORD_JSON_H
#define TLSMON_RECORD_JSON_H

#include <stdbool.h>

#include "json_writer.h"
#include "../../dissectors/handshake.h"

/* Dot-separated segments a record field name may have. */
#define JSON_FIELD_MAX_SEGMENTS 8

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

#endif
