/* workers.h — --workers N: N pipelines on N threads, each with its own flow
 * table, decoder, reassembly, nDPI and certificate stage. Records are
 * decided under one lock (pipeline_config.emit_lock), so the outputs, the
 * summary, the per-server history and the alert flood control stay shared
 * and see every record.
 *
 * Files: each frame is the worker's of its outer IP address pair
 * (decode_shard_hash: both directions of a connection, every fragment of a
 * datagram and every connection between two hosts go to one worker), and
 * every worker ticks at the packet-time moments one pipeline would end
 * idle flows, so the records are those of one pipeline. A regular file is
 * read by every worker itself, each working on its own frames in place;
 * standard input or a pipe by a reading thread that copies each frame to
 * its worker through a bounded queue of batches.
 * Live: live.c gives each worker its own capture handle, joined in one
 * AF_PACKET fanout group.
 *
 * With N = 1 there is no thread and no lock: the pipeline is driven as
 * before. */
#ifndef TLSMON_WORKERS_H
#define TLSMON_WORKERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "capture.h"
#include "pipeline.h"

#define WORKERS_MAX RUN_STATS_WORKERS_MAX

struct workers;

/* `cfg.memcap` is shared out equally among the workers. */
struct workers *workers_new(size_t n, const struct pipeline_config *cfg,
                            struct output **outputs, size_t n_outputs,
                            struct summary *summary);
void workers_free(struct workers *w);

size_t workers_count(const struct workers *w);
struct pipeline *workers_pipeline(struct workers *w, size_t i);
/* The lock records are decided under; NULL with one worker. Hold it to
 * touch the summary or the rules from another thread; for the outputs,
 * hold it and then the output lock for writing (pipeline.h). */
pthread_mutex_t *workers_emit_lock(struct workers *w);
pthread_rwlock_t *workers_output_lock(struct workers *w);
/* Held by a live worker while it works on packets; hold it to read that
 * worker's pipeline from another thread (stats). */
void workers_busy_lock(struct workers *w, size_t i);
void workers_busy_unlock(struct workers *w, size_t i);

/* Files: read `path` (same errors as capture_read_file) into the workers. */
enum capture_status workers_read_file(struct workers *w, const char *path,
                                      const char *bpf, FILE *errs);
/* End of input: let every worker drain its queue, then decide and report
 * what is still open, with every pipeline's clock at the last packet. */
void workers_finish(struct workers *w);

/* Every worker's counters added up (files counted once). Call
 * with the workers idle, or hold each busy lock meanwhile. */
void workers_total_stats(struct workers *w, struct run_stats *out);
void run_stats_add(struct run_stats *total, const struct run_stats *part);

#endif
