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

/* Facts of a record that an event rendered after it repeats (alert
 * events): while the record is rendered, each chosen field's value is
 * copied as written (escaped, quoted, a list as its array), so the event
 * writes those bytes instead of fetching and escaping the value again.
 * They are copied out of the record's writer, not pointed at, because the
 * record leaves that writer (and it is reset) before the event is
 * rendered in it. */
#define RECORD_FACTS_MAX 48
#define RECORD_FACTS_TEXT 4096

/* Which fields to keep, each given a slot by its place in the names it is
 * compiled from. */
struct record_fact_set {
    size_t n;
    uint8_t *slot_of;
    uint16_t plan_at[RECORD_FACTS_MAX]; /* per slot: its plan entry */ /* per emission plan entry: its slot, or none */
};

/* Once per process; false when a name is not a registry field, there are
 * too many, or memory ran out (then callers keep to the getters). */
bool record_fact_set_compile(struct record_fact_set *s,
                             const char *const *names, size_t n);

enum record_fact_state {
    FACT_ABSENT, /* the record lacks the field (no key was written) */
    FACT_COPIED, /* its value is in text */
    FACT_LEFT    /* present, but text had no room: ask the getter */
};

struct record_facts {
    const struct record_fact_set *set;
    bool kept; /* the whole record was rendered: the states hold */
    uint8_t state[RECORD_FACTS_MAX];
    uint16_t at[RECORD_FACTS_MAX], len[RECORD_FACTS_MAX];
    size_t used;
    char text[RECORD_FACTS_TEXT];
};

/* json_write_record, keeping set's facts in *k (k->set = set; NULL set:
 * none kept). */
void json_write_record_keeping(struct json_writer *w,
                               const struct handshake *h,
                               const struct record_fact_set *set,
                               struct record_facts *k);

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
/* The same for the field `name` that is slot `slot` of k's set: its
 * bytes as the record has them when k kept them, else (k NULL, the record
 * not rendered, no room) through the getter. When dotted is name itself
 * (the same pointer), its key text comes from the emission plan too. */
bool json_path_fact(struct json_path *p, const char *dotted,
                    const char *name, const struct record_facts *k,
                    size_t slot, const struct handshake *h);
/* Close what is open. */
void json_path_end(struct json_path *p);

#endif
