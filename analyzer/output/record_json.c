/* record_json.c — a handshake record rendered as nested JSON from the
 * field registry.
 *
 * The registry is compiled once into an emission plan: per field its
 * accessor and its key text rendered beforehand,
 * escaped and quoted with the keys of the objects it sits in
 * ("tls":{"client":{"ja3":), with where the text starts for each depth.
 * The plan is cut into sections, the runs of fields that read one part
 * of the record (the registry's segments and their has_part): a record
 * costs one test per section, and per field of a section it has, its
 * accessor; per field present, one close of the objects the previous
 * field present does not share (numbered prefixes, no name comparison) and
 * one copy of the rest of its key text. A small record thus costs what it
 * has, not the registry's size. Nothing is looked up by name and no key is
 * scanned for escaping on the record path. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record_json.h"

#include "../fields.h"
#include "../../dissectors/outcome.h"

/* ---- values -------------------------------------------------------------*/

/* Not inlined: its scratch would make every write_value set up a stack
 * guard, and alerts are rare. */
__attribute__((noinline)) static void write_alert(struct json_writer *w,
                                                  const struct tls_alert *a)
{
    char scratch[FIELD_SCRATCH];
    json_begin_object(w);
    json_key(w, "sender");
    json_string(w, fields_side_name(a->sender));
    if (a->encrypted) {
        json_key(w, "encrypted");
        json_bool(w, true);
        json_key(w, "length");
        json_int(w, a->length);
    } else {
        if (a->decrypted) {
            json_key(w, "decrypted");
            json_bool(w, true);
            json_key(w, "length");
            json_int(w, a->length);
        }
        json_key(w, "level");
        if (a->level == 1)
            json_string(w, "warning");
        else if (a->level == 2)
            json_string(w, "fatal");
        else
            json_int(w, a->level);
        json_key(w, "description");
        json_string(w, fields_alert_description(a->description, scratch,
                                                sizeof(scratch)));
        json_key(w, "code");
        json_int(w, a->description);
    }
    const char *stage = stage_failure_name((enum hs_stage)a->stage);
    if (stage) {
        json_key(w, "stage");
        json_string(w, stage);
    }
    if (a->late) {
        json_key(w, "late");
        json_bool(w, true);
    }
    json_end_object(w);
}

/* A value formatted into scratch first (kept out of write_value, whose
 * other cases then need no scratch on the stack). */
__attribute__((noinline)) static void
write_formatted(struct json_writer *w, const struct field_value *v)
{
    char tmp[FIELD_SCRATCH];
    if (v->type == FT_TIME) /* written directly: field_value_format's
                               snprintf showed in the profile */
        json_string(w, fields_time_string((uint64_t)v->num, 6, tmp,
                                          sizeof(tmp)));
    else
        json_string(w, fields_version_number((uint16_t)v->num, tmp,
                                             sizeof(tmp)));
}

static void write_value(struct json_writer *w, const struct field_value *v)
{
    switch (v->type) {
    case FT_STRING:
    case FT_IP:
    case FT_STRING_LIST:
        json_string(w, v->str);
        break;
    case FT_INT:
    case FT_INT_LIST:
        json_int(w, v->num);
        break;
    case FT_BOOL:
        json_bool(w, v->boolean);
        break;
    case FT_FLOAT:
        json_fixed3(w, v->real);
        break;
    case FT_TIME:
    case FT_VERSION:
        write_formatted(w, v);
        break;
    case FT_ALERTS:
        write_alert(w, v->alert);
        break;
    }
}

/* ---- keys rendered beforehand -------------------------------------------*/

/* Segment k of a name: its start and length. */
struct segments {
    int n;
    uint16_t start[JSON_FIELD_MAX_SEGMENTS], len[JSON_FIELD_MAX_SEGMENTS];
};

static bool cut_name(const char *name, struct segments *s)
{
    size_t at = 0;
    s->n = 0;
    for (;;) {
        if (s->n == JSON_FIELD_MAX_SEGMENTS)
            return false;
        const char *dot = strchr(name + at, '.');
        size_t len = dot ? (size_t)(dot - name) - at : strlen(name + at);
        s->start[s->n] = (uint16_t)at;
        s->len[s->n] = (uint16_t)len;
        s->n++;
        if (!dot)
            return true;
        at += len + 1;
    }
}

static bool same_segments(const char *a, const struct segments *x,
                          const char *b, const struct segments *y, int upto)
{
    for (int k = 0; k <= upto; k++)
        if (k >= x->n || k >= y->n || x->len[k] != y->len[k] ||
            memcmp(a + x->start[k], b + y->start[k], x->len[k]) != 0)
            return false;
    return true;
}

/* "seg":{"seg":{"last": with every segment escaped as a JSON string. */
static bool render_key(struct json_dotted_key *p, const char *name,
                       const struct segments *s)
{
    struct json_writer t;
    json_init(&t);
    for (int k = 0; k < s->n; k++) {
        struct json_writer seg;
        json_init(&seg);
        json_string_n(&seg, name + s->start[k], s->len[k]);
        p->from[k] = (uint16_t)t.len;
        if (!seg.failed)
            json_append_raw(&t, seg.buf, seg.len);
        json_free(&seg);
        json_append_raw(&t, k + 1 < s->n ? ":{" : ":", k + 1 < s->n ? 2 : 1);
    }
    if (t.failed || t.len > UINT16_MAX) {
        json_free(&t);
        return false;
    }
    p->text = t.buf; /* kept for the life of the process */
    p->len = (uint16_t)t.len;
    return true;
}

/* Parents shared by two keys of one rendering. */
static int shared_parents(const struct json_dotted_key *a,
                          const struct json_dotted_key *b)
{
    int keep = 0;
    while (keep < a->parents && keep < b->parents &&
           a->prefix[keep] == b->prefix[keep])
        keep++;
    return keep;
}

bool json_dotted_keys_render(struct json_dotted_key *keys,
                             const char *const *names, size_t n)
{
    struct segments *segs = calloc(n ? n : 1, sizeof(*segs));
    uint16_t next = 0;
    bool ok = segs != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ok = cut_name(names[i], &segs[i]) &&
             render_key(&keys[i], names[i], &segs[i]);
        if (!ok)
            break;
        keys[i].parents = (uint8_t)(segs[i].n - 1);
        /* Keys sharing a prefix are contiguous: the previous key is the
         * only one to compare with. */
        for (int k = 0; k < segs[i].n; k++)
            keys[i].prefix[k] =
                i > 0 && same_segments(names[i], &segs[i], names[i - 1],
                                       &segs[i - 1], k)
                    ? keys[i - 1].prefix[k]
                    : next++;
        keys[i].shared_prev =
            i > 0 ? (uint8_t)shared_parents(&keys[i - 1], &keys[i]) : 0;
    }
    free(segs);
    return ok;
}

/* Key e after prev, `keep` of their parents shared: the objects of prev
 * it does not share closed, e's own opened, its key written. */
static inline void enter_shared(struct json_writer *w,
                                const struct json_dotted_key *prev,
                                const struct json_dotted_key *e, int keep)
{
    if (prev)
        json_next_key_chain(w, prev->parents - keep, e->text + e->from[keep],
                            e->len - e->from[keep], e->parents - keep);
    else
        json_key_chain(w, e->text, e->len, e->parents);
}

void json_dotted_key_enter(struct json_writer *w,
                           const struct json_dotted_key *prev,
                           const struct json_dotted_key *e)
{
    enter_shared(w, prev, e, prev ? shared_parents(prev, e) : 0);
}

/* ---- the plan -----------------------------------------------------------*/

struct plan_field {
    const struct field_def *f;
    struct json_dotted_key key; /* its name's key text (test_fields
                                   checks the names are grouped by prefix
                                   and none is also an object, as
                                   key.shared_prev requires) */
};

/* Plan entries [first, end) read one part of the record: has_part(h)
 * false skips them all (NULL: the record's core, always walked). */
struct plan_section {
    bool (*has_part)(const struct handshake *h);
    size_t first, end;
    uint8_t least_shared; /* of its keys' shared_prev: for skipping it */
};

/* NULL when out of memory or a name is deeper than JSON_FIELD_MAX_SEGMENTS
 * (test_fields checks the registry never is): records then fail. */
static struct plan_field *plan;
static size_t plan_len;
static struct plan_section *sections;
static size_t n_sections;
static pthread_once_t plan_once = PTHREAD_ONCE_INIT;

/* The registry's segments as sections, neighbours that are both the core
 * made one; false when out of memory. */
static bool cut_sections(void)
{
    size_t n = fields_segment_count(), at = 0, k = 0;
    sections = calloc(n ? n : 1, sizeof(*sections));
    if (!sections)
        return false;
    for (size_t s = 0; s < n; s++) {
        const struct field_segment *seg = fields_segment_at(s);
        if (seg->n == 0)
            continue;
        if (k > 0 && !seg->has_part && !sections[k - 1].has_part) {
            sections[k - 1].end += seg->n;
        } else {
            sections[k] = (struct plan_section){seg->has_part, at,
                                                at + seg->n};
            k++;
        }
        at += seg->n;
    }
    n_sections = k;
    return true;
}

static void compile_plan(void)
{
    size_t n = fields_count();
    const char **names = calloc(n ? n : 1, sizeof(*names));
    struct json_dotted_key *keys = calloc(n ? n : 1, sizeof(*keys));
    struct plan_field *p = calloc(n ? n : 1, sizeof(*p));
    bool ok = names && keys && p && cut_sections();
    for (size_t i = 0; ok && i < n; i++)
        names[i] = fields_at(i)->name;
    /* Fields sharing a prefix are contiguous (the registry's order,
     * test_fields checks it), as the rendered keys require. */
    ok = ok && json_dotted_keys_render(keys, names, n);
    for (size_t i = 0; ok && i < n; i++) {
        p[i].f = fields_at(i);
        p[i].key = keys[i];
    }
    for (size_t s = 0; ok && s < n_sections; s++) {
        uint8_t least = JSON_FIELD_MAX_SEGMENTS;
        for (size_t i = sections[s].first; i < sections[s].end; i++)
            if (p[i].key.shared_prev < least)
                least = p[i].key.shared_prev;
        sections[s].least_shared = least;
    }
    free(names);
    free(keys);
    if (!ok) {
        free(p); /* the texts rendered so far stay: once, and small */
        free(sections);
        sections = NULL;
        return;
    }
    plan = p;
    plan_len = n;
}

/* A field's value being written: a scalar, or a list's slots from k on. */
struct field_walk {
    struct field_value v;
    size_t k, slots;
    char scratch[FIELD_SCRATCH];
};

/* The scalar, or the list's first kept entry, into it->v: false when h
 * lacks the field or the list keeps no entry (then no key is written).
 * Inline: asked of every field of every record, present or not. */
static inline bool first_value(const struct field_def *f,
                               const struct handshake *h,
                               struct field_walk *it)
{
    if (!field_is_list(f))
        return field_get(f, h, &it->v, it->scratch, sizeof(it->scratch));
    it->slots = field_count(f, h);
    for (it->k = 0; it->k < it->slots; it->k++)
        if (field_item(f, h, it->k, &it->v, it->scratch, sizeof(it->scratch)))
            return true;
    return false;
}

/* After its key: the scalar, or the list's kept entries as an array. */
static void write_values(struct json_writer *w, const struct field_def *f,
                         const struct handshake *h, struct field_walk *it)
{
    if (!field_is_list(f)) {
        write_value(w, &it->v);
        return;
    }
    json_begin_array(w);
    write_value(w, &it->v);
    for (it->k++; it->k < it->slots; it->k++)
        if (field_item(f, h, it->k, &it->v, it->scratch, sizeof(it->scratch)))
            write_value(w, &it->v);
    json_end_array(w);
}

#define NO_SLOT UINT8_MAX

bool record_fact_set_compile(struct record_fact_set *s,
                             const char *const *names, size_t n)
{
    pthread_once(&plan_once, compile_plan);
    s->n = 0;
    s->slot_of = NULL;
    if (!plan || n > RECORD_FACTS_MAX || plan_len > UINT16_MAX)
        return false;
    uint8_t *slot_of = malloc(plan_len); /* kept for the process */
    if (!slot_of)
        return false;
    memset(slot_of, NO_SLOT, plan_len);
    for (size_t i = 0; i < n; i++) {
        const struct field_def *f = fields_find(names[i]);
        size_t at = 0;
        while (at < plan_len && plan[at].f != f)
            at++;
        if (!f || at == plan_len || slot_of[at] != NO_SLOT) {
            free(slot_of);
            return false;
        }
        slot_of[at] = (uint8_t)i;
    }
    s->n = n;
    s->slot_of = slot_of;
    return true;
}

/* The value of slot `slot` just written from `start` on: into k->text
 * when there is room. */
static void keep_fact(struct record_facts *k, size_t slot,
                      const struct json_writer *w, size_t start)
{
    size_t n = w->len - start;
    if (w->failed || n > sizeof(k->text) - k->used) {
        k->state[slot] = FACT_LEFT;
        return;
    }
    memcpy(k->text + k->used, w->buf + start, n);
    k->at[slot] = (uint16_t)k->used;
    k->len[slot] = (uint16_t)n;
    k->used += n;
    k->state[slot] = FACT_COPIED;
}

void json_write_record_keeping(struct json_writer *w,
                               const struct handshake *h,
                               const struct record_fact_set *set,
                               struct record_facts *k)
{
    struct field_walk it;
    const struct plan_field *prev = NULL;

    pthread_once(&plan_once, compile_plan);
    if (k) {
        k->set = set && set->slot_of ? set : NULL;
        k->kept = false;
        k->used = 0;
        memset(k->state, FACT_ABSENT, sizeof(k->state));
    }
    if (!plan) {
        w->failed = true;
        return;
    }
    const uint8_t *slot_of = k && k->set ? k->set->slot_of : NULL;
    /* parents prev shares with the entry at hand (see shared_prev) */
    int keep = JSON_FIELD_MAX_SEGMENTS;
    json_begin_object(w);
    for (const struct plan_section *s = sections; s < sections + n_sections;
         s++) {
        if (s->has_part && !s->has_part(h)) {
            if (s->least_shared < keep)
                keep = s->least_shared;
            continue;
        }
        for (const struct plan_field *e = plan + s->first;
             e < plan + s->end; e++) {
            if (e->key.shared_prev < keep)
                keep = e->key.shared_prev;
            if (!first_value(e->f, h, &it))
                continue;
            enter_shared(w, prev ? &prev->key : NULL, &e->key, keep);
            size_t start = w->len;
            write_values(w, e->f, h, &it);
            if (slot_of && slot_of[e - plan] != NO_SLOT)
                keep_fact(k, slot_of[e - plan], w, start);
            prev = e;
            keep = JSON_FIELD_MAX_SEGMENTS;
        }
    }
    if (prev)
        json_end_objects(w, prev->key.parents);
    json_end_object(w);
    if (slot_of)
        k->kept = !w->failed;
}

void json_write_record(struct json_writer *w, const struct handshake *h)
{
    json_write_record_keeping(w, h, NULL, NULL);
}

/* ---- dotted keys by hand ------------------------------------------------ */

void json_path_begin(struct json_path *p, struct json_writer *w)
{
    p->w = w;
    p->prev = NULL;
}

void json_path_key(struct json_path *p, const struct json_dotted_key *key)
{
    /* the key right after the last one written shares what the rendering
     * says; keys left out between them take the comparison */
    int keep = 0;
    if (p->prev && p->prev + 1 == key)
        keep = key->shared_prev;
    else if (p->prev)
        keep = shared_parents(p->prev, key);
    enter_shared(p->w, p->prev, key, keep);
    p->prev = key;
}

/* fields_find by the caller's name pointer: alert events look up the same
 * few dozen names, from static tables, for every alert, and a binary
 * search over the registry each time showed in the profile. A hit is
 * checked by content, so a reused buffer never gets a stale answer. */
#define FIND_CACHE_SLOTS 64
static _Thread_local struct {
    const char *name;
    const struct field_def *f;
} find_cache[FIND_CACHE_SLOTS];

static const struct field_def *find_field(const char *name)
{
    uintptr_t at = (uintptr_t)name;
    size_t slot = (size_t)((at >> 3) ^ (at >> 9)) % FIND_CACHE_SLOTS;
    if (find_cache[slot].name == name && find_cache[slot].f &&
        strcmp(find_cache[slot].f->name, name) == 0)
        return find_cache[slot].f;
    const struct field_def *f = fields_find(name);
    if (f) {
        find_cache[slot].name = name;
        find_cache[slot].f = f;
    }
    return f;
}

bool json_path_field(struct json_path *p, const struct json_dotted_key *key,
                     const char *name, const struct handshake *h)
{
    struct field_walk it;
    const struct field_def *f = find_field(name);
    if (!f || !first_value(f, h, &it))
        return false;
    json_path_key(p, key);
    write_values(p->w, f, h, &it);
    return true;
}

bool json_path_fact(struct json_path *p, const struct json_dotted_key *key,
                    const char *name, const struct record_facts *k,
                    size_t slot, const struct handshake *h)
{
    if (k && k->kept && slot < k->set->n) {
        if (k->state[slot] == FACT_ABSENT)
            return false;
        if (k->state[slot] == FACT_COPIED) {
            json_path_key(p, key);
            json_raw_value(p->w, k->text + k->at[slot], k->len[slot]);
            return true;
        }
    }
    return json_path_field(p, key, name, h);
}

void json_path_end(struct json_path *p)
{
    if (p->prev)
        json_end_objects(p->w, p->prev->parents);
    p->prev = NULL;
}
