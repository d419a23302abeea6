/* pipeline.h — the data path of DESIGN.md for one run: decode → flows →
 * reassembly → classify → TLS dissector → decided records → outputs. The
 * capture layer pushes frames in; records come out of the outputs. */
#ifndef TLSMON_PIPELINE_H
#define TLSMON_PIPELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output.h"
#include "stats.h"

struct pipeline_config {
    uint64_t flow_timeout_us;     /* idle time, in packet time */
    uint64_t memcap;              /* flows + dissectors + reassembly, bytes */
    uint32_t stream_queue_cap;    /* out-of-order bytes per direction */
    uint32_t max_handshake_msg;   /* bytes of one handshake message */
    uint64_t stream_cap;          /* bytes dissected per direction undecided */
    uint64_t frag_memcap;
    const char *ca_file;          /* trust store: NULL = system bundle */
    const char *ca_path;
    bool emit_certificates;       /* keep the chains as PEM in records */
    const struct distrust_table *distrust; /* browsers' distrust dates */
    const struct rule_set *rules; /* NULL: no diagnosis */
    struct keylog *keylog;        /* secrets for decryption, shared by all
                                     workers; NULL: none */
    uint64_t alert_window_us;     /* flood control window; 0 sends all */
    size_t max_servers;           /* server profiles kept; 0 default */
    uint64_t quic_decrypt_rate;   /* new QUIC connections a second per
                                     server whose Initials are decrypted;
                                     0: all (quic_budget.h) */
    uint64_t quic_decrypt_burst;  /* held at most; 0: the rate */
    uint16_t community_id_seed;   /* network.community_id's seed */
    struct observer observer;     /* live: this sensor (main.c); file: none */
    /* Workers (workers.h): the driver sends the time ticks that end idle
     * flows instead of the packets' own schedule; records are decided
     * (history, rules, flood control, summary) under emit_lock, shared by
     * every worker's pipeline, and handed to the outputs under a read lock
     * of output_lock, so workers render at once. Whoever touches the
     * outputs otherwise (stats, a reopen, new rules whose findings records
     * point at) takes emit_lock, then output_lock for writing. */
    bool external_ticks;
    pthread_mutex_t *emit_lock;   /* NULL: one pipeline, no lock */
    pthread_rwlock_t *output_lock; /* with emit_lock */
    /* Workers: the certificate verdicts their stages share (x509.h);
     * NULL: each stage analyzes every chain it sees itself. */
    struct x509_shared *x509_shared;
};

/* Workers reading a file (workers.c): records are decided in the order one
 * pipeline would decide them, so that the server history, flood control,
 * summary and outputs see the same sequence. A record's place is
 * (major, minor): major is the input entry being processed (a frame, the
 * idle tick after it, or the end), minor the record's rank within it (in
 * emission order for a frame; the flow's last frame for a tick or the end,
 * oldest first as one flow table ends them). `wait` returns when no other
 * worker can still decide a record placed before, and meanwhile decides
 * the records other workers hold whose turn has come (a worker deep in a
 * frame of its own would keep everyone waiting); `done` says one is out. */
struct decision_order {
    void (*wait)(void *ctx, size_t worker, uint64_t major, uint64_t minor);
    /* Without waiting: may this record be decided now? */
    bool (*ready)(void *ctx, size_t worker, uint64_t major, uint64_t minor);
    /* Under `lock`. A record of `worker`'s at (major, minor) is decided;
     * the records it still holds start at (held_major, held_minor)
     * (UINT64_MAX: none). */
    void (*done)(void *ctx, size_t worker, uint64_t major, uint64_t minor,
                 uint64_t held_major, uint64_t held_minor);
    /* Under `lock`. The worker holds records to decide later, the oldest
     * at this place (UINT64_MAX: none): no other worker may pass it
     * meanwhile. */
    void (*hold)(void *ctx, size_t worker, uint64_t major, uint64_t minor);
    void *ctx;
    /* Guards every worker's held records as the others see them: which
     * are published, and which one some worker is deciding. */
    pthread_mutex_t *lock;
    /* Records are written in the order they were decided, each rendered
     * by the worker that decided it while later ones are decided. */
    struct write_turn *turn;
};

/* --quic-decrypt-rate's default: more new connections a second than most
 * servers' clients open, a hundredth of the adversarial flood's rate; a
 * busier server is read with a higher rate. */
#define QUIC_DECRYPT_RATE_DEFAULT 1000
#define QUIC_DECRYPT_RATE_MAX 100000000 /* and burst: a bucket's millionths
                                           stay far inside 64 bits */

void pipeline_config_defaults(struct pipeline_config *cfg);

struct pipeline;
struct summary;
struct rule_set;

/* `outputs` (n of them) and `summary` (may be NULL) stay owned by the caller
 * and must outlive the pipeline. */
struct pipeline *pipeline_new(const struct pipeline_config *cfg,
                              struct output **outputs, size_t n_outputs,
                              struct summary *summary);
void pipeline_free(struct pipeline *p);

void pipeline_frame(struct pipeline *p, int linktype, const uint8_t *frame,
                    uint32_t cap_len, uint32_t wire_len, uint64_t ts_us);
/* Live capture: time passes without packets. Flows idle past the timeout
 * at `now_us` (wall clock, the packets' clock) are ended as offline. */
void pipeline_tick(struct pipeline *p, uint64_t now_us);
/* What the stats report: bytes held under the memcap, flows in the table. */
uint64_t pipeline_memory(const struct pipeline *p);
uint64_t pipeline_active_flows(const struct pipeline *p);
uint64_t pipeline_reassembly_bytes(const struct pipeline *p);

/* Move the clock to `now_us` without ending idle flows (workers: every
 * pipeline ends the run at the same time). */
void pipeline_advance(struct pipeline *p, uint64_t now_us);
/* Workers: use `owner`'s server profiles and alert flood control (under
 * emit_lock), and number flows from the frames this worker counts as
 * first + (n - 1) * step (live capture, where no frame number is shared). */
void pipeline_share(struct pipeline *p, struct pipeline *owner,
                    uint64_t first_flow_id, uint64_t step);
/* Workers on a file: decide records in `order`, as worker `worker`;
 * false when the held records' reports cannot be had. */
bool pipeline_set_order(struct pipeline *p, const struct decision_order *order,
                        size_t worker);
/* Workers on a file: a record whose turn has not come is held, and the
 * worker goes on with its frames (records held per worker: HELD_MAX, and
 * at most HELD_BYTES of what their handshakes kept). Decide the held
 * records whose turn has come; with `all`, every one, waiting for each
 * turn (before the worker runs out of input). */
void pipeline_decide_held(struct pipeline *p, bool all);
/* Workers on a file, under the decision order's lock: claim `owner`'s
 * oldest held record for the caller to decide, when no worker is deciding
 * one of owner's already (NULL otherwise). It is owner's published held
 * place; the caller has checked that its turn has come. */
struct held_record *pipeline_claim_held(struct pipeline *owner);
/* Decide and render a record claimed from `owner` on `self`'s thread,
 * with self's scratch; owner frees it later. Without the lock. */
void pipeline_decide_claimed(struct pipeline *self, struct pipeline *owner,
                             struct held_record *o);
/* Workers on a file: the entry processed next is the reader's frame
 * `frame_no` (it numbers flows: tlsmon.flow_id is the number of the frame
 * that opened the flow, as with one pipeline), placed at `major`; `by_age`
 * for a tick or the end, whose records are ranked by flow age. */
void pipeline_position(struct pipeline *p, uint64_t frame_no, uint64_t major,
                       bool by_age);

/* Live capture: the kernel handed over a timestamp that is no time
 * (capture_timestamp replaced it); counted in the stats. */
void pipeline_invalid_timestamp(struct pipeline *p);

/* End of all input: decide and report every open handshake. */
void pipeline_finish(struct pipeline *p);

struct run_stats *pipeline_stats(struct pipeline *p);

/* Rules for the records decided from now on (a reload); the caller frees
 * the old set afterwards. */
void pipeline_set_rules(struct pipeline *p, const struct rule_set *rules);

#endif
