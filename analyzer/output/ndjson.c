/* ndjson.c — the NDJSON output: one JSON object a line per handshake, ECS
 * names from the field registry, followed by one alert event per rule
 * finding the flood control let through, and at the end an optional
 * summary line.
 * Each line is rendered into one reused buffer and written with one fwrite,
 * so a reader tailing the file never sees half a record. */
#include <inttypes.h>
#include <stdlib.h>

#include "output.h"
#include "alert_event.h"
#include "json_writer.h"
#include "summary.h"

struct ndjson_output {
    struct output base; /* first: the pipeline holds a struct output * */
    struct json_writer w;
    uint64_t lost;      /* records not written (too big, or write error) */
};

static void ndjson_handshake(struct output *o, const struct handshake *h)
{
    struct ndjson_output *n = (struct ndjson_output *)o;
    json_write_record(&n->w, h);
    if (!json_write_line(&n->w, o->fp))
        n->lost++;
    for (size_t i = 0; i < h->n_findings; i++) {
        if (h->findings[i].suppressed)
            continue;
        json_write_alert(&n->w, h, &h->findings[i]);
        if (!json_write_line(&n->w, o->fp))
            n->lost++;
    }
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
    n->base.handshake = ndjson_handshake;
    n->base.finish = ndjson_finish;
    n->base.free = ndjson_free;
    n->base.fp = fp;
    n->base.color = false;
    json_init(&n->w);
    return &n->base;
}
