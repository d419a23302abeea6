/* output.h — where finished handshake records go. Each output (text,
 * ndjson, later syslog and redis) implements these calls; the pipeline hands
 * every decided record to every open output, in decision order. */
#ifndef TLSMON_OUTPUT_H
#define TLSMON_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../dissectors/handshake.h"
#include "../stats.h"
#include "json_writer.h"
#include "write_turn.h"

struct summary; /* summary.h */
struct rule_filter; /* rules/engine.h */
struct record_order; /* order.h */
struct outfile; /* outfile.h */
struct stats_snapshot; /* stats_event.h */

/* The kinds of events an output takes (--json-events, --syslog-events,
 * --redis-events): a handshake record, the alert events of its rule
 * findings, the sensor's stats. */
enum {
    OUT_EV_HANDSHAKE = 1u << 0,
    OUT_EV_ALERT = 1u << 1,
    OUT_EV_STATS = 1u << 2,
};
#define OUT_EV_ALL (OUT_EV_HANDSHAKE | OUT_EV_ALERT | OUT_EV_STATS)

/* "handshakes,alerts,stats" (any of them, or "all"/"none") to a mask. */
bool output_parse_events(const char *list, unsigned *mask);

/* What an output delivered so far, for the stats. */
struct output_counters {
    uint64_t sent;       /* events delivered (written or acknowledged) */
    uint64_t dropped;    /* events lost: queue full, refused, write error */
    uint64_t queued;     /* waiting to be sent, in memory */
    uint64_t spooled;    /* waiting to be sent, in the on-disk spool */
    uint64_t reconnects;
    bool connected;
};

/* What the pipeline lends an output for one record: outputs render into
 * it, not into buffers of their own, so that several workers can hand
 * records to one output at once (each worker has its own scratch). */
struct output_scratch {
    struct json_writer event; /* one event at a time */
    struct json_writer lines; /* a record's finished lines, written at once */
    /* Workers on a file: the record's turn to be written (write_turn.h);
     * NULL: written as soon as it is rendered. */
    struct write_turn *turn;
    uint64_t ticket;
    bool turn_taken;
};

void output_scratch_init(struct output_scratch *s);
void output_scratch_free(struct output_scratch *s);
/* Wait for the record's turn to be written, once per record: outputs that
 * take turns call it after rendering, before writing. */
void output_take_turn(struct output_scratch *s);

struct output;

/* What an output does, one const table per kind of output (Redis's
 * command table style): its instances share it. */
struct output_ops {
    /* May be called from several workers at once (with --workers), never
     * at the same time as stats, finish or a reopen of fp. */
    void (*handshake)(struct output *o, const struct handshake *h,
                      struct output_scratch *s);
    /* `handshake` renders before the record's turn and calls
     * output_take_turn before it writes; else the caller waits for the
     * turn before it calls `handshake`. */
    bool takes_turn;
    /* A stats event (live: --stats-interval, SIGUSR1); NULL: takes none. */
    void (*stats)(struct output *o, const struct stats_snapshot *s);
    /* NULL for outputs that cannot lose events once written. */
    void (*counters)(struct output *o, struct output_counters *c);
    /* End of run: `sum` is the summary when one was asked for, else NULL. */
    void (*finish)(struct output *o, const struct summary *sum,
                   const struct run_stats *st);
    void (*free)(struct output *o);
};

struct output {
    const char *name;
    /* OUT_EV_* this output takes (the text output reads every record). */
    unsigned events;
    const struct output_ops *ops;
    FILE *fp;
    /* When fp is a result file: told of every whole record written, so a
     * failed write is counted in records (NULL: not tracked). */
    struct outfile *file;
    bool color;
    /* What a person asked to see (the -o output, the report): the records
     * `filter` lets through (NULL: all), counted in `shown` under the
     * output's lock; `order` holds them back for capture-time order (NULL:
     * written when decided). `detail`: the text output adds every fact
     * under each record. */
    const struct rule_filter *filter;
    uint64_t shown;
    struct record_order *order;
    bool detail;
    /* Called (under the output's lock) before writing to a terminal that
     * a progress line shares; NULL: nothing to do. */
    void (*before_write)(void *ctx);
    void *before_write_ctx;
};

/* Text for a person: one line per handshake, `color` for a terminal. */
struct output *output_text_new(FILE *fp, bool color);
/* Why a handshake ended, as the text line says it: "client alert fatal
 * unknown_ca(48)", "server rst", "no alert". Returns buf. */
const char *text_reason(const struct handshake *h, char *buf, size_t n);
/* One JSON object per line, ECS names, driven by the field registry. */
struct output *output_ndjson_new(FILE *fp);

/* Whether `o` takes events of `kind` (an OUT_EV_* bit). */
static inline bool output_takes(const struct output *o, unsigned kind)
{
    return (o->events & kind) != 0;
}

#endif
