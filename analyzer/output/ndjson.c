/* ndjson.c — the NDJSON output: one JSON object a line per handshake, ECS
 * names from the field registry, followed by one alert event per rule
 * finding the flood control let through, stats events in a live run (each
 * kind as --json-events selects; events.c renders them all), and at the end
 * an optional summary line.
 * Each line is rendered into one reused buffer and written with one fwrite,
 * so a reader tailing the file never sees half a record. */
#include <inttypes.h>
#include <stdlib.h>

#include "output.h"
#include "events.h"
#include "json_writer.h"
#include "summary.h"

struct ndjson_output {
    struct output base; /* first: the pipeline holds a struct output * */
    struct json_writer w;
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

static void ndjson_handshake(struct output *o, const struct handshake *h)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    n->lost += events_from_handshake(&n->w, h, o->events, ndjson_line, n);
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
    c->sent = n->written;
    c->dropped = n->lost;
    c->queued = 0;
    c->reconnects = 0;
    c->connected = true;
}

static void ndjson_finish(struct output *o, const struct summary *sum,
                          const struct run_stats *st)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
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
    free(n);
}

struct output *output_ndjson_new(FILE *fp)
{
    struct ndjson_output *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->base.name = "ndjson";
    n->base.events = OUT_EV_ALL;
    n->base.handshake = ndjson_handshake;
    n->base.stats = ndjson_stats;
    n->base.counters = ndjson_counters;
    n->base.finish = ndjson_finish;
    n->base.free = ndjson_free;
    n->base.fp = fp;
    n->base.color = false;
    json_init(&n->w);
    return &n->base;
}
