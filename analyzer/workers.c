/* workers.c — N pipelines on N threads (see workers.h).
 *
 * File mode moves frames in batches: the reader copies each frame into the
 * batch being filled for its worker and hands full batches over through a
 * queue of at most QUEUE_DEPTH, waiting when a worker is behind (offline,
 * nothing is dropped). A batch entry is a frame, a tick (end idle flows at
 * this time), an advance (move the clock only) or the end. */
#include "workers.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define BATCH_BYTES (512u * 1024u)
#define QUEUE_DEPTH 8
/* Must match pipeline.c's EXPIRY_INTERVAL_US: ticks come as often as one
 * pipeline would check its idle flows. */
#define TICK_INTERVAL_US 1000000ULL

enum entry_kind { ENTRY_FRAME, ENTRY_TICK, ENTRY_ADVANCE, ENTRY_END };

struct entry {
    uint64_t ts_us;
    uint32_t cap_len, wire_len;
    int32_t linktype;
    uint32_t kind;
    /* cap_len frame bytes follow, then padding to 8 */
};

struct batch {
    struct batch *next;
    size_t used, cap;
    uint8_t *buf;
};

struct worker {
    struct workers *ws;
    size_t index;
    struct pipeline *p;
    pthread_t thread;
    bool running;
    pthread_mutex_t busy;

    /* File mode queue: full batches waiting, and emptied ones for reuse. */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct batch *head, *tail;
    size_t depth;
    struct batch *spare;
    struct batch *filling; /* the reader's, not shared */
};

struct workers {
    size_t n;
    struct worker w[WORKERS_MAX];
    pthread_mutex_t emit_lock;
    pthread_rwlock_t output_lock;
    bool threaded;
    struct run_stats reader; /* files, files_failed */
    uint64_t now_us;         /* the latest packet time of all workers */
    uint64_t next_tick_us;
    bool finished;
};

struct workers *workers_new(size_t n, const struct pipeline_config *cfg,
                            struct output **outputs, size_t n_outputs,
                            struct summary *summary)
{
    if (n == 0 || n > WORKERS_MAX)
        return NULL;
    struct workers *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return NULL;
    ws->n = n;
    pthread_mutex_init(&ws->emit_lock, NULL);
    pthread_rwlock_init(&ws->output_lock, NULL);
    struct pipeline_config c = *cfg;
    if (n > 1) {
        c.memcap = cfg->memcap / n;
        c.external_ticks = true;
        c.emit_lock = &ws->emit_lock;
        c.output_lock = &ws->output_lock;
    }
    for (size_t i = 0; i < n; i++) {
        struct worker *w = &ws->w[i];
        w->ws = ws;
        w->index = i;
        pthread_mutex_init(&w->busy, NULL);
        pthread_mutex_init(&w->qlock, NULL);
        pthread_cond_init(&w->qcond, NULL);
        w->p = pipeline_new(&c, outputs, n_outputs, summary);
        if (!w->p) {
            ws->n = i;
            workers_free(ws);
            return NULL;
        }
        if (n > 1)
            pipeline_share(w->p, ws->w[0].p, i + 1, n);
    }
    return ws;
}

size_t workers_count(const struct workers *ws)
{
    return ws->n;
}

struct pipeline *workers_pipeline(struct workers *ws, size_t i)
{
    return ws->w[i].p;
}

pthread_mutex_t *workers_emit_lock(struct workers *ws)
{
    return ws->n > 1 ? &ws->emit_lock : NULL;
}

pthread_rwlock_t *workers_output_lock(struct workers *ws)
{
    return ws->n > 1 ? &ws->output_lock : NULL;
}

void workers_busy_lock(struct workers *ws, size_t i)
{
    pthread_mutex_lock(&ws->w[i].busy);
}

void workers_busy_unlock(struct workers *ws, size_t i)
{
    pthread_mutex_unlock(&ws->w[i].busy);
}

/* ---- worker threads (file mode) ------------------------------------------*/

static struct batch *batch_take(struct worker *w)
{
    pthread_mutex_lock(&w->qlock);
    while (!w->head)
        pthread_cond_wait(&w->qcond, &w->qlock);
    struct batch *b = w->head;
    w->head = b->next;
    if (!w->head)
        w->tail = NULL;
    w->depth--;
    pthread_cond_broadcast(&w->qcond);
    pthread_mutex_unlock(&w->qlock);
    return b;
}

static void batch_recycle(struct worker *w, struct batch *b)
{
    pthread_mutex_lock(&w->qlock);
    if (b->cap == BATCH_BYTES) {
        b->used = 0;
        b->next = w->spare;
        w->spare = b;
        b = NULL;
    }
    pthread_mutex_unlock(&w->qlock);
    if (b) {
        free(b->buf);
        free(b);
    }
}

static size_t entry_size(uint32_t cap_len)
{
    return (sizeof(struct entry) + cap_len + 7u) & ~(size_t)7u;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        struct batch *b = batch_take(w);
        bool end = false;
        size_t off = 0;
        while (off < b->used) {
            struct entry e;
            memcpy(&e, b->buf + off, sizeof(e));
            const uint8_t *frame = b->buf + off + sizeof(e);
            switch (e.kind) {
            case ENTRY_FRAME:
                pipeline_frame(w->p, e.linktype, frame, e.cap_len, e.wire_len,
                               e.ts_us);
                break;
            case ENTRY_TICK:
                pipeline_tick(w->p, e.ts_us);
                break;
            case ENTRY_ADVANCE:
                pipeline_advance(w->p, e.ts_us);
                break;
            default:
                end = true;
                break;
            }
            off += entry_size(e.cap_len);
        }
        batch_recycle(w, b);
        if (end)
            return NULL;
    }
}

static bool start_threads(struct workers *ws)
{
    if (ws->threaded)
        return true;
    for (size_t i = 0; i < ws->n; i++) {
        if (pthread_create(&ws->w[i].thread, NULL, worker_main, &ws->w[i]) !=
            0)
            return false;
        ws->w[i].running = true;
    }
    ws->threaded = true;
    return true;
}

/* ---- the reader -----------------------------------------------------------*/

static void submit(struct worker *w)
{
    struct batch *b = w->filling;
    if (!b || b->used == 0)
        return;
    w->filling = NULL;
    pthread_mutex_lock(&w->qlock);
    while (w->depth >= QUEUE_DEPTH)
        pthread_cond_wait(&w->qcond, &w->qlock);
    b->next = NULL;
    if (w->tail)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    w->depth++;
    pthread_cond_broadcast(&w->qcond);
    pthread_mutex_unlock(&w->qlock);
}

/* Room for an entry of `cap_len` bytes in the worker's batch; false when
 * no memory could be had (the entry is lost, as a frame lost to memory
 * would be in one pipeline). */
static bool room(struct worker *w, uint32_t cap_len)
{
    size_t need = entry_size(cap_len);
    if (w->filling && w->filling->used + need > w->filling->cap)
        submit(w);
    if (w->filling)
        return true;
    struct batch *b = NULL;
    if (need <= BATCH_BYTES) {
        pthread_mutex_lock(&w->qlock);
        b = w->spare;
        if (b)
            w->spare = b->next;
        pthread_mutex_unlock(&w->qlock);
    }
    if (!b) {
        b = calloc(1, sizeof(*b));
        size_t cap = need > BATCH_BYTES ? need : BATCH_BYTES;
        if (!b || !(b->buf = malloc(cap))) {
            free(b);
            return false;
        }
        b->cap = cap;
    }
    b->used = 0;
    w->filling = b;
    return true;
}

static void put_entry(struct worker *w, uint32_t kind, int linktype,
                      const uint8_t *frame, uint32_t cap_len,
                      uint32_t wire_len, uint64_t ts_us)
{
    if (!room(w, cap_len))
        return;
    struct batch *b = w->filling;
    struct entry e = {ts_us, cap_len, wire_len, linktype, kind};
    memcpy(b->buf + b->used, &e, sizeof(e));
    if (cap_len)
        memcpy(b->buf + b->used + sizeof(e), frame, cap_len);
    b->used += entry_size(cap_len);
}

static void broadcast(struct workers *ws, uint32_t kind, uint64_t ts_us)
{
    for (size_t i = 0; i < ws->n; i++)
        put_entry(&ws->w[i], kind, 0, NULL, 0, 0, ts_us);
}

static void dispatch(void *ctx, int linktype, const uint8_t *frame,
                     uint32_t cap_len, uint32_t wire_len, uint64_t ts_us)
{
    struct workers *ws = ctx;
    size_t i = decode_shard_hash(linktype, frame, cap_len) % ws->n;
    put_entry(&ws->w[i], ENTRY_FRAME, linktype, frame, cap_len, wire_len,
              ts_us);
    /* The schedule pipeline_frame keeps on its own with one worker. */
    if (ts_us > ws->now_us)
        ws->now_us = ts_us;
    if (ws->now_us >= ws->next_tick_us) {
        broadcast(ws, ENTRY_TICK, ws->now_us);
        ws->next_tick_us = ws->now_us + TICK_INTERVAL_US;
    }
}

enum capture_status workers_read_file(struct workers *ws, const char *path,
                                      const char *bpf, FILE *errs)
{
    if (ws->n == 1)
        return capture_read_file(path, bpf, ws->w[0].p, errs);
    if (!start_threads(ws)) {
        fputs("tlsmon: --workers: cannot start threads\n", errs);
        return CAPTURE_UNREADABLE;
    }
    return capture_read_file_to(path, bpf, dispatch, ws, &ws->reader, errs);
}

void workers_finish(struct workers *ws)
{
    if (ws->finished)
        return;
    ws->finished = true;
    if (ws->threaded) {
        broadcast(ws, ENTRY_ADVANCE, ws->now_us);
        broadcast(ws, ENTRY_END, 0);
        for (size_t i = 0; i < ws->n; i++)
            submit(&ws->w[i]);
        for (size_t i = 0; i < ws->n; i++) {
            pthread_join(ws->w[i].thread, NULL);
            ws->w[i].running = false;
        }
        ws->threaded = false;
    }
    for (size_t i = 0; i < ws->n; i++)
        pipeline_finish(ws->w[i].p);
}

/* ---- stats ----------------------------------------------------------------*/

void run_stats_add(struct run_stats *t, const struct run_stats *s)
{
    t->files += s->files;
    t->files_failed += s->files_failed;
    t->packets += s->packets;
    t->bytes += s->bytes;
    t->packets_ignored += s->packets_ignored;
    t->packets_malformed += s->packets_malformed;
    t->packets_truncated += s->packets_truncated;
    t->ip_fragments += s->ip_fragments;
    t->ip_reassembled += s->ip_reassembled;
    t->ip_frag_dropped += s->ip_frag_dropped;
    t->flows += s->flows;
    t->flows_tls += s->flows_tls;
    t->flows_evicted += s->flows_evicted;
    t->flows_timed_out += s->flows_timed_out;
    /* Peaks of different workers need not coincide: their sum bounds the
     * peak of the whole. */
    t->flows_active_max += s->flows_active_max;
    t->tcp_gaps += s->tcp_gaps;
    t->tcp_gap_bytes += s->tcp_gap_bytes;
    t->reassembly_bytes_max += s->reassembly_bytes_max;
    t->handshakes += s->handshakes;
    t->alerts += s->alerts;
    t->alerts_suppressed += s->alerts_suppressed;
    /* One shared table: every worker reports the same number. */
    if (s->server_profiles_evicted > t->server_profiles_evicted)
        t->server_profiles_evicted = s->server_profiles_evicted;
    if (s->first_ts_us && (!t->first_ts_us || s->first_ts_us < t->first_ts_us))
        t->first_ts_us = s->first_ts_us;
    if (s->last_ts_us > t->last_ts_us)
        t->last_ts_us = s->last_ts_us;
}

void workers_total_stats(struct workers *ws, struct run_stats *out)
{
    memset(out, 0, sizeof(*out));
    run_stats_add(out, &ws->reader);
    for (size_t i = 0; i < ws->n; i++)
        run_stats_add(out, pipeline_stats(ws->w[i].p));
    if (ws->n > 1) {
        out->n_workers = ws->n;
        for (size_t i = 0; i < ws->n; i++)
            out->worker_packets[i] = pipeline_stats(ws->w[i].p)->packets;
    }
}

void workers_free(struct workers *ws)
{
    if (!ws)
        return;
    if (ws->threaded) {
        broadcast(ws, ENTRY_END, 0);
        for (size_t i = 0; i < ws->n; i++) {
            submit(&ws->w[i]);
            pthread_join(ws->w[i].thread, NULL);
        }
    }
    for (size_t i = 0; i < ws->n; i++) {
        struct worker *w = &ws->w[i];
        struct batch *lists[] = {w->head, w->spare, w->filling};
        for (size_t k = 0; k < 3; k++)
            for (struct batch *b = lists[k]; b;) {
                struct batch *next = k == 2 ? NULL : b->next;
                free(b->buf);
                free(b);
                b = next;
            }
        pipeline_free(w->p);
        pthread_cond_destroy(&w->qcond);
        pthread_mutex_destroy(&w->qlock);
        pthread_mutex_destroy(&w->busy);
    }
    pthread_mutex_destroy(&ws->emit_lock);
    pthread_rwlock_destroy(&ws->output_lock);
    free(ws);
}
