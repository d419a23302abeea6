/* alert_event.c — renders one rule finding as an alert event (see
 * alert_event.h). Facts of the handshake come from the field registry, so
 * they read exactly as in the handshake record: copied from that record
 * when it was just rendered (record_json.h, struct record_facts), else
 * through the getters. What does not change between alerts is rendered
 * once: every key of the layout, and per rule the texts it repeats in
 * each of its alerts (escaped at its first alert, kept beside the compiled
 * rule). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert_event.h"
#include "array_len.h"
#include "../fields.h"
#include "../../rules/engine.h"

/* What one step of the layout writes after its key. */
enum alert_step_kind {
    STEP_FACT,        /* a fact of the record: the field `text` */
    STEP_CONSTANT,    /* `text`, the same JSON in every alert */
    STEP_EVENT_ID,    /* the record's id and the rule's: unique per alert */
    STEP_MESSAGE,     /* the rule's message template filled in */
    STEP_RULE_PIECE,  /* the rule's piece `piece` (rule_alert_text) */
    STEP_TAGS,        /* the rule's tags, when it has any */
    STEP_PRIMARY,     /* whether this finding is the record's diagnosis */
    STEP_REPEATS,     /* identical alerts held back before this one */
};

/* Texts of a rule that its alerts repeat, each the JSON written after one
 * key: the value, and with it the members of the same object that follow
 * it and come from the rule too. */
enum rule_piece {
    PIECE_SEVERITY, /* event.severity */
    PIECE_RULE,     /* rule.id, then name, description, category, ruleset */
    PIECE_TAGS,     /* tags */
    PIECE_TLSMON,   /* tlsmon.severity, then cause, fix, confidence,
                       remediation */
    N_PIECES
};

struct rule_alert_text {
    uint32_t at[N_PIECES + 1]; /* piece p is text[at[p], at[p + 1]) */
    char text[];
};

struct alert_step {
    enum alert_step_kind kind;
    const char *key; /* dotted */
    const char *text;
    enum rule_piece piece;
};

#define FACT(name) {STEP_FACT, name, name, 0}

/* The alert in order, grouped by prefix for json_path. It repeats of its
 * handshake, as the record has them, so that a SIEM pivots from an alert
 * without a join: the flow's identity and ECS categorization, the
 * endpoints and their names, the join keys (network.community_id, the
 * record's event.id, the flow id), the negotiated facts, the fingerprints
 * and the certificate; under its own tlsmon object, the record's id and
 * outcome. The ECS keys that come from the rule or are the alert's own go
 * between the record's, where their prefix is. */
static const struct alert_step steps[] = {
    FACT("@timestamp"),
    FACT("ecs.version"),
    {STEP_CONSTANT, "event.kind", "\"alert\"", 0},
    FACT("event.category"),
    /* event.dataset rides with event.type: nothing goes between them. */
    {STEP_CONSTANT, "event.type", "[\"info\"],\"dataset\":\"tlsmon.alert\"",
     0},
    {STEP_EVENT_ID, "event.id", NULL, 0},
    {STEP_RULE_PIECE, "event.severity", NULL, PIECE_SEVERITY},
    FACT("event.outcome"),
    FACT("event.start"),
    FACT("event.end"),
    {STEP_MESSAGE, "message", NULL, 0},
    {STEP_RULE_PIECE, "rule.id", NULL, PIECE_RULE},
    FACT("source.ip"),
    FACT("source.port"),
    FACT("destination.ip"),
    FACT("destination.port"),
    FACT("destination.domain"),
    FACT("network.transport"),
    FACT("network.type"),
    FACT("network.protocol"),
    FACT("network.community_id"),
    FACT("network.vlan.id"),
    FACT("observer.hostname"),
    FACT("observer.ingress.interface.name"),
    FACT("tls.version"),
    FACT("tls.version_protocol"),
    FACT("tls.cipher"),
    FACT("tls.established"),
    FACT("tls.client.server_name"),
    FACT("tls.client.ja3"),
    FACT("tls.server.ja3s"),
    FACT("tls.server.hash.sha256"),
    FACT("tls.server.x509.subject.common_name"),
    FACT("tls.server.x509.issuer.common_name"),
    FACT("tls.server.not_after"),
    FACT("related.ip"),
    FACT("related.hosts"),
    FACT("related.hash"),
    {STEP_TAGS, "tags", NULL, PIECE_TAGS},
    {STEP_FACT, "tlsmon.handshake_id", "event.id", 0},
    FACT("tlsmon.flow_id"),
    FACT("tlsmon.outcome"),
    FACT("tlsmon.failure_stage"),
    FACT("tlsmon.version"),
    FACT("tlsmon.client.ja4"),
    {STEP_RULE_PIECE, "tlsmon.severity", NULL, PIECE_TLSMON},
    {STEP_PRIMARY, "tlsmon.primary", NULL, 0},
    {STEP_REPEATS, "tlsmon.repeats", NULL, 0},
};
#define N_STEPS ARRAY_LEN(steps)

/* The layout compiled once: the facts' slots (the STEP_FACTs in order),
 * every key rendered, the constants' lengths. */
static struct {
    struct record_fact_set facts;
    uint8_t slot[N_STEPS];
    size_t text_len[N_STEPS];
    struct json_dotted_key keys[N_STEPS];
    bool keys_ok; /* false when out of memory: alerts fail */
} layout;
static pthread_once_t layout_once = PTHREAD_ONCE_INIT;

static void compile_layout(void)
{
    const char *facts[N_STEPS], *keys[N_STEPS];
    size_t n_facts = 0;
    for (size_t i = 0; i < N_STEPS; i++) {
        keys[i] = steps[i].key;
        if (steps[i].kind == STEP_FACT) {
            layout.slot[i] = (uint8_t)n_facts;
            facts[n_facts++] = steps[i].text;
        } else if (steps[i].kind == STEP_CONSTANT)
            layout.text_len[i] = strlen(steps[i].text);
    }
    /* On failure the set stays empty and alerts ask the getters. */
    record_fact_set_compile(&layout.facts, facts, n_facts);
    layout.keys_ok = json_dotted_keys_render(layout.keys, keys, N_STEPS);
}

const struct record_fact_set *alert_fact_set(void)
{
    pthread_once(&layout_once, compile_layout);
    return &layout.facts;
}

/* texts[0] as a string, then "texts[i]": texts[i + 1] for each pair after
 * it: a value and the members of its object that follow it. */
static void write_strings(struct json_writer *w, const char *const *texts,
                          size_t n)
{
    json_string(w, texts[0]);
    for (size_t i = 1; i + 1 < n; i += 2) {
        json_key(w, texts[i]);
        json_string(w, texts[i + 1]);
    }
}

/* Piece p of rule r, rendered as its alerts write it. */
static void write_piece(struct json_writer *w, const struct rule *r,
                        enum rule_piece p)
{
    switch (p) {
    case PIECE_SEVERITY:
        json_int(w, rules_severity_number(r->severity));
        break;
    case PIECE_RULE: {
        const char *const texts[] = {
            r->id,          "name",     r->name,  "description",
            r->description, "category", r->cause, "ruleset",
            r->file};
        write_strings(w, texts, ARRAY_LEN(texts));
        break;
    }
    case PIECE_TAGS:
        json_begin_array(w);
        for (size_t t = 0; t < r->n_tags; t++)
            json_string(w, r->tags[t]);
        json_end_array(w);
        break;
    case PIECE_TLSMON: {
        const char *const texts[] = {
            rules_severity_name(r->severity),
            "cause",
            r->cause,
            "fix",
            rules_fix_name(r->fix),
            "confidence",
            rules_confidence_name(r->confidence),
            "remediation",
            r->remediation};
        write_strings(w, texts, ARRAY_LEN(texts));
        break;
    }
    case N_PIECES:
        break;
    }
}

/* r's pieces in one block; NULL when out of memory. */
static struct rule_alert_text *render_rule_text(const struct rule *r)
{
    struct json_writer all, piece;
    uint32_t at[N_PIECES + 1];
    json_init(&all);
    json_init(&piece);
    for (int p = 0; p < N_PIECES; p++) {
        at[p] = (uint32_t)all.len;
        json_reset(&piece); /* each piece its own document: no comma */
        write_piece(&piece, r, (enum rule_piece)p);
        if (piece.failed || !json_append_raw(&all, piece.buf, piece.len))
            all.failed = true;
    }
    at[N_PIECES] = (uint32_t)all.len;
    struct rule_alert_text *t =
        all.failed ? NULL : malloc(sizeof(*t) + all.len);
    if (t) {
        memcpy(t->at, at, sizeof(at));
        memcpy(t->text, all.buf, all.len);
    }
    json_free(&piece);
    json_free(&all);
    return t;
}

/* r's texts, rendered at its first alert; NULL when out of memory (the
 * pieces are then rendered in each alert). */
static const struct rule_alert_text *rule_text(const struct rule *r)
{
    _Atomic(struct rule_alert_text *) *slot = rules_alert_text_slot(r);
    struct rule_alert_text *t =
        atomic_load_explicit(slot, memory_order_acquire);
    if (t)
        return t;
    t = render_rule_text(r);
    struct rule_alert_text *first = NULL;
    if (t && !atomic_compare_exchange_strong_explicit(
                 slot, &first, t, memory_order_acq_rel,
                 memory_order_acquire)) {
        free(t); /* another worker's came first: the same text */
        return first;
    }
    return t;
}

static void put_piece(struct json_writer *w, const struct rule_alert_text *t,
                      const struct rule *r, enum rule_piece p)
{
    if (t)
        json_raw_value(w, t->text + t->at[p], t->at[p + 1] - t->at[p]);
    else
        write_piece(w, r, p);
}

/* The record's id, '-', the rule's: as snprintf "%s-%s" into a buffer of
 * ID_LEN bytes would have it (cut at its end). */
#define ID_LEN (sizeof(((struct handshake_report *)0)->event_id) + 160)
static void write_event_id(struct json_writer *w, const char *event_id,
                           const char *rule_id)
{
    char id[ID_LEN];
    size_t n = strnlen(event_id, sizeof(id) - 1);
    memcpy(id, event_id, n);
    if (n < sizeof(id) - 1)
        id[n++] = '-';
    size_t rest = strnlen(rule_id, sizeof(id) - 1 - n);
    memcpy(id + n, rule_id, rest);
    json_string_n(w, id, n + rest);
}

void json_write_alert(struct json_writer *w, const struct handshake *h,
                      const struct finding *f, const struct record_facts *k)
{
    const struct rule *r = f->rule;
    char message[ALERT_MESSAGE_LEN];
    struct json_path p;

    pthread_once(&layout_once, compile_layout);
    if (!layout.keys_ok) {
        w->failed = true;
        return;
    }
    const struct rule_alert_text *t = rule_text(r);
    json_begin_object(w);
    json_path_begin(&p, w);
    for (size_t i = 0; i < N_STEPS; i++) {
        const struct alert_step *s = &steps[i];
        const struct json_dotted_key *key = &layout.keys[i];
        switch (s->kind) {
        case STEP_FACT:
            json_path_fact(&p, key, s->text, k, layout.slot[i], h);
            break;
        case STEP_CONSTANT:
            json_path_key(&p, key);
            json_raw_value(w, s->text, layout.text_len[i]);
            break;
        case STEP_EVENT_ID:
            if (h->report->event_id[0]) {
                json_path_key(&p, key);
                write_event_id(w, h->report->event_id, r->id);
            }
            break;
        case STEP_MESSAGE:
            json_path_key(&p, key);
            json_string(w, rules_message(r, h, message, sizeof(message)));
            break;
        case STEP_TAGS:
            if (!r->n_tags)
                break;
            /* fall through */
        case STEP_RULE_PIECE:
            json_path_key(&p, key);
            put_piece(w, t, r, s->piece);
            break;
        case STEP_PRIMARY:
            json_path_key(&p, key);
            json_bool(w, h->report->primary >= 0 &&
                             &h->report->findings.v[h->report->primary] == f);
            break;
        case STEP_REPEATS:
            if (f->repeats) {
                json_path_key(&p, key);
                json_uint(w, f->repeats);
            }
            break;
        }
    }
    json_path_end(&p);
    json_end_object(w);
}
