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
    uint8_t *slot_of; /* per emission plan entry: its slot, or none */
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

/* A dotted key rendered beforehand, as record fields' keys are: the key
 * of each segment escaped and quoted with its colon, all but the last
 * followed by the '{' of the object it opens ("a":{"b":{"c":). */
struct json_dotted_key {
    const char *text;
    uint16_t len;
    uint8_t parents; /* objects the key sits in: its segments but one */
    /* prefix[k]: the same number for every key of one rendering whose
     * segments 0..k are equal, so two keys' shared parents are found
     * without comparing their names. */
    uint16_t prefix[JSON_FIELD_MAX_SEGMENTS];
    /* where the key of segment k starts in text (what a key sharing k
     * parents with the one before still writes) */
    uint16_t from[JSON_FIELD_MAX_SEGMENTS];
    /* parents shared with the key before it in the rendering: two keys
     * share the least of this over the keys after the first up to the
     * second (names grouped by prefix, none also an object), so a walk
     * carries that least along instead of comparing keys */
    uint8_t shared_prev;
};

/* keys[i] for the dotted names[i], which must come grouped by prefix (all
 * tls.* together). The texts are kept for the life of the process. False
 * when out of memory or a name has more than JSON_FIELD_MAX_SEGMENTS
 * segments. */
bool json_dotted_keys_render(struct json_dotted_key *keys,
                             const char *const *names, size_t n);

/* Key e of a rendering after prev, its neighbour in the same object
 * (NULL: e is the object's first): the objects of prev that e does not
 * share closed, the ones e adds opened, its key written. A value
 * follows. */
void json_dotted_key_enter(struct json_writer *w,
                           const struct json_dotted_key *prev,
                           const struct json_dotted_key *e);

/* Dotted keys written as nested objects, for events put together by hand
 * (alerts): each key closes the objects of the previous one it does not
 * share and opens the ones it adds. The keys come from one
 * json_dotted_keys_render, in its order, any of them left out. Objects
 * open only when a value is written under them: an absent field leaves no
 * empty object. */
struct json_path {
    struct json_writer *w;
    const struct json_dotted_key *prev; /* the last key written */
};

void json_path_begin(struct json_path *p, struct json_writer *w);
/* Write the key (opening its parents); then write one value. */
void json_path_key(struct json_path *p, const struct json_dotted_key *key);
/* The record field `name` of h under `key`, a scalar or a list as in the
 * record, when h has it. */
bool json_path_field(struct json_path *p, const struct json_dotted_key *key,
                     const char *name, const struct handshake *h);
/* The same for the field `name` that is slot `slot` of k's set: its
 * bytes as the record has them when k kept them, else (k NULL, the record
 * not rendered, no room) through the getter. */
bool json_path_fact(struct json_path *p, const struct json_dotted_key *key,
                    const char *name, const struct record_facts *k,
                    size_t slot, const struct handshake *h);
/* Close what is open. */
void json_path_end(struct json_path *p);

#endif
