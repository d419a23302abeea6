/* events.c — handshake, alert and stats events for every output (see
 * events.h). */
#include "events.h"

#include <string.h>

#include "array_len.h"
#include "../../dissectors/outcome.h"
#include "../../rules/engine.h"
#include "alert_event.h"
#include "stats_event.h"

/* The rule's severity as syslog understands it: a critical finding is
 * "Critical", an informational one "Informational". */
static int syslog_severity_of_rule(enum rule_severity s)
{
    switch (s) {
    case SEVERITY_CRITICAL: return 2;
    case SEVERITY_HIGH: return 3;
    case SEVERITY_MEDIUM: return 4;
    case SEVERITY_LOW: return 5;
    case SEVERITY_INFO: break;
    }
    return 6;
}

/* A finding flood control let through. */
static bool alerts_follow(const struct handshake *h)
{
    for (size_t i = 0; i < h->report->findings.n; i++)
        if (!h->report->findings.v[i].suppressed)
            return true;
    return false;
}

static size_t deliver(struct json_writer *w, struct event *e,
                      event_sink sink, void *ctx)
{
    size_t lost = 0;
    if (w->failed || w->depth != 0)
        lost = 1;
    else {
        e->w = w;
        json_text(w); /* NUL-terminates */
        sink(ctx, e);
    }
    json_reset(w);
    return lost;
}

size_t events_from_handshake(struct json_writer *w, const struct handshake *h,
                             unsigned mask, event_sink sink, void *ctx)
{
    size_t lost = 0;
    /* The record's facts an alert repeats, kept as the record renders
     * them when alerts follow it here. */
    struct record_facts facts;
    const struct record_facts *kept = NULL;
    if (mask & OUT_EV_HANDSHAKE) {
        struct event e;
        memset(&e, 0, sizeof(e));
        e.kind = EVENT_HANDSHAKE;
        e.kind_name = "handshake";
        e.outcome = outcome_name(h->outcome);
        e.syslog_severity = outcome_is_failure(h->outcome) ? 5 : 6;
        if ((mask & OUT_EV_ALERT) && alerts_follow(h)) {
            json_write_record_keeping(w, h, alert_fact_set(), &facts);
            kept = &facts;
        } else
            json_write_record(w, h);
        lost += deliver(w, &e, sink, ctx);
    }
    if (!(mask & OUT_EV_ALERT))
        return lost;
    for (size_t i = 0; i < h->report->findings.n; i++) {
        const struct finding *f = &h->report->findings.v[i];
        if (f->suppressed)
            continue;
        struct event e;
        memset(&e, 0, sizeof(e));
        e.kind = EVENT_ALERT;
        e.kind_name = "alert";
        e.rule_id = f->rule->id;
        e.rule_severity = rules_severity_name(f->rule->severity);
        e.cause = f->rule->cause;
        e.syslog_severity = syslog_severity_of_rule(f->rule->severity);
        json_write_alert(w, h, f, kept);
        lost += deliver(w, &e, sink, ctx);
    }
    return lost;
}

size_t events_from_stats(struct json_writer *w,
                         const struct stats_snapshot *s, event_sink sink,
                         void *ctx)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = EVENT_STATS;
    e.kind_name = "stats";
    e.syslog_severity = 6;
    stats_write_json(w, s);
    return deliver(w, &e, sink, ctx);
}

/* Room for a record with its certificate facts and alerts from the start:
 * grown on demand, the buffers were reallocated whenever a record longer
 * than any before came, so how often depended on the order records were
 * decided in (bench_corpus: one allocation more or less as connections
 * overlapped differently). */
#define SCRATCH_START_BYTES (64u * 1024u)

void output_scratch_init(struct output_scratch *s)
{
    json_init_capacity(&s->event, SCRATCH_START_BYTES);
    json_init_capacity(&s->lines, SCRATCH_START_BYTES);
    s->turn = NULL;
    s->ticket = 0;
    s->turn_taken = false;
}

void output_scratch_free(struct output_scratch *s)
{
    json_free(&s->event);
    json_free(&s->lines);
}

void output_take_turn(struct output_scratch *s)
{
    if (s->turn && !s->turn_taken) {
        write_turn_wait(s->turn, s->ticket);
        s->turn_taken = true;
    }
}

bool output_parse_events(const char *list, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        {"handshakes", OUT_EV_HANDSHAKE}, {"handshake", OUT_EV_HANDSHAKE},
        {"alerts", OUT_EV_ALERT},         {"alert", OUT_EV_ALERT},
        {"stats", OUT_EV_STATS},          {"all", OUT_EV_ALL},
        {"none", 0},
    };
    unsigned m = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        size_t i;
        for (i = 0; i < ARRAY_LEN(names); i++)
            if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
                break;
        if (i == ARRAY_LEN(names))
            return false;
        m |= names[i].bits;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *mask = m;
    return true;
}
