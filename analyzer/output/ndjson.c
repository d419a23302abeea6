/* ndjson.c — the NDJSON output: one JSON object a line per handshake, ECS
 * names from the field registry, followed by one alert event per rule
 * finding the flood control let through, stats events in a live run (each
 * kind as --json-events selects; events.c renders them all), and at the end
 * an optional summary line.
 * A record and its alert events are rendered into the worker's scratch
 * and written with one fwrite under the output's lock, so a reader tailing
 * the file never sees half a record, and with --workers a record's alerts
 * still follow it directly. (A mutex of ours rather than flockfile: the
 * thread checkers see it.) */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "output.h"
#include "events.h"
#include "outfile.h"
#include "json_writer.h"
#include "order.h"
#include "summary.h"
#include "../../rules/engine.h"

struct ndjson_output {
    struct output base; /* first: the pipeline holds a struct output * */
    struct json_writer w; /* stats and summary: one thread, outputs locked */
    pthread_mutex_t write_lock; /* the file and the counters */
    uint64_t lost;      /* lines not written (too big, or write error) */
    uint64_t written;
};

static void ndjson_line(void *ctx, const struct event *e)
{
    struct ndjson_output *n = ctx;
    if (json_write_line(e->w, n->base.fp))
        n->written++;
    else
        n->lost++;
}

/* Lines of one record, collected in the scratch (several workers may be
 * rendering for this output at once). */
struct record_lines {
    struct json_writer *lines;
    uint64_t count, lost;
};

static void collect_line(void *ctx, const struct event *e)
{
    struct record_lines *r = ctx;
    if (e->w->failed || e->w->depth != 0 ||
        !json_append_raw(r->lines, e->w->buf, e->w->len) ||
        !json_append_raw(r->lines, "\n", 1))
        r->lost++;
    else
        r->count++;
}

static void ndjson_handshake(struct output *o, const struct handshake *h,
                             struct output_scratch *s)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    struct record_lines r = {&s->lines, 0, 0};
    if (!rules_filter_match(o->filter, h))
        return;
    json_reset(&s->lines);
    r.lost = events_from_handshake(&s->event, h, o->events, collect_line, &r);
    output_take_turn(s);
    pthread_mutex_lock(&n->write_lock);
    o->shown++;
    if (s->lines.len &&
        !record_order_deliver(o->order, o->fp, h, s->lines.buf,
                              s->lines.len)) {
        r.lost += r.count;
        r.count = 0;
    }
    n->written += r.count;
    n->lost += r.lost;
    pthread_mutex_unlock(&n->write_lock);
    json_reset(&s->lines);
}

static void ndjson_stats(struct output *o, const struct stats_snapshot *s)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    if (!output_takes(o, OUT_EV_STATS))
        return;
    n->lost += events_from_stats(&n->w, s, ndjson_line, n);
    fflush(o->fp);
}

static void ndjson_counters(struct output *o, struct output_counters *c)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    struct outfile_result r = {0, 0, 0, false, false};
    if (o->file)
        outfile_result(o->file, &r);
    c->sent = n->written > r.lines_lost ? n->written - r.lines_lost : 0;
    c->dropped = n->lost + r.lines_lost;
    c->queued = 0;
    c->reconnects = 0;
    c->connected = true;
}

static void ndjson_finish(struct output *o, const struct summary *sum,
                          const struct run_stats *st)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    if (!record_order_flush(o->order, o->fp))
        n->lost++;
    if (sum) {
        summary_write_json(&n->w, sum, st);
        if (!json_write_line(&n->w, o->fp))
            n->lost++;
    }
    if (fflush(o->fp) != 0)
        n->lost++;
    if (n->lost)
        fprintf(stderr, "tlsmon: ndjson: %" PRIu64 " lines not written\n",
                n->lost);
}

static void ndjson_free(struct output *o)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    json_free(&n->w);
    pthread_mutex_destroy(&n->write_lock);
    free(n);
}

static const struct output_ops ndjson_ops = {
    .handshake = ndjson_handshake,
    .takes_turn = true,
    .stats = ndjson_stats,
    .counters = ndjson_counters,
    .finish = ndjson_finish,
    .free = ndjson_free,
};

struct output *output_ndjson_new(FILE *fp)
{
    struct ndjson_output *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->base.name = "ndjson";
    n->base.events = OUT_EV_ALL;
    n->base.ops = &ndjson_ops;
    n->base.fp = fp;
    n->base.color = false;
    json_init(&n->w);
    pthread_mutex_init(&n->write_lock, NULL);
    return &n->base;
}
