/* output.h — where finished handshake records go. Each output (text,
 * ndjson, later syslog and redis) implements these calls; the pipeline hands
 * every decided record to every open output, in decision order. */
#ifndef TLSMON_OUTPUT_H
#define TLSMON_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "../../dissectors/handshake.h"
#include "../stats.h"

struct summary; /* summary.h */

struct output {
    const char *name;
    void (*handshake)(struct output *o, const struct handshake *h);
    /* End of run: `sum` is the summary when one was asked for, else NULL. */
    void (*finish)(struct output *o, const struct summary *sum,
                   const struct run_stats *st);
    void (*free)(struct output *o);
    FILE *fp;
    bool color;
};

/* Text for a person: one line per handshake, `color` for a terminal. */
struct output *output_text_new(FILE *fp, bool color);
/* One JSON object per line, ECS names, driven by the field registry. */
struct output *output_ndjson_new(FILE *fp);

#endif
