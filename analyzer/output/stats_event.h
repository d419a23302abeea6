/* stats_event.h — a sensor's periodic stats: one text line for stderr and
 * one NDJSON event (event.dataset "tlsmon.stats") with the same numbers. */
#ifndef TLSMON_STATS_EVENT_H
#define TLSMON_STATS_EVENT_H

#include <stdint.h>
#include <stdio.h>

#include "../live.h"
#include "../stats.h"
#include "json_writer.h"
#include "output.h"
#include "summary.h"

/* One worker's share (--workers N). */
struct worker_snapshot {
    uint64_t packets, bytes, pcap_dropped, pcap_if_dropped;
    uint64_t flows_active, handshakes, memory_bytes;
};

struct stats_snapshot {
    const struct run_stats *run;
    const struct summary *summary;   /* handshakes by outcome; may be NULL */
    struct live_counters pcap;
    uint64_t memory_bytes;           /* under the memcap now */
    uint64_t flows_active;
    uint64_t reassembly_bytes;       /* out-of-order bytes held now */
    uint64_t now_us;
    struct observer observer;        /* the sensor (pipeline_config) */
    /* Outputs with counters (delivered, dropped, queued); may be none. */
    struct output *const *outputs;
    size_t n_outputs;
    /* More than one worker: each one's share. */
    const struct worker_snapshot *workers;
    size_t n_workers;
};

/* Events every output lost so far (queue full, refused, write errors). */
uint64_t stats_output_dropped(const struct stats_snapshot *s);

void stats_print_line(FILE *fp, const struct stats_snapshot *s);
void stats_write_json(struct json_writer *w, const struct stats_snapshot *s);

#endif
