/* events.h — the one serializer behind every output: a decided record
 * becomes a handshake event plus one alert event per rule finding the flood
 * control let through, a stats snapshot becomes a stats event. Each event is
 * one JSON object (ECS names) handed to the output's sink together with what
 * a transport needs to frame it: kind, syslog severity, rule id. */
#ifndef TLSMON_EVENTS_H
#define TLSMON_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "record_json.h"
#include "output.h"

enum event_kind { EVENT_HANDSHAKE, EVENT_ALERT, EVENT_STATS };

struct event {
    enum event_kind kind;
    const char *kind_name;     /* "handshake", "alert", "stats" */
    /* RFC 5424 severity: 2 critical, 3 error, 4 warning, 5 notice, 6 info */
    int syslog_severity;
    const char *rule_id;       /* alerts, else NULL */
    const char *rule_severity; /* alerts: "low" ... "critical" */
    const char *cause;         /* alerts: the rule's cause id */
    const char *outcome;       /* handshakes: tlsmon.outcome */
    /* The rendered object: json_text(w), w->len bytes, no newline. The
     * sink may consume the writer (json_write_line); it is reset after. */
    struct json_writer *w;
};

typedef void (*event_sink)(void *ctx, const struct event *e);

/* The events of one record that `mask` (OUT_EV_*) selects, in order: the
 * record, then its alerts. Returns how many could not be rendered (larger
 * than JSON_MAX_BYTES); the sink never sees those. */
size_t events_from_handshake(struct json_writer *w, const struct handshake *h,
                             unsigned mask, event_sink sink, void *ctx);
/* One stats event. Returns 1 if it could not be rendered, else 0. */
size_t events_from_stats(struct json_writer *w,
                         const struct stats_snapshot *s, event_sink sink,
                         void *ctx);

#endif
