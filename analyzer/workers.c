/* workers.c — N pipelines on N threads (see workers.h).
 *
 * Files come in two ways. A regular file is read by every worker itself:
 * the reader opens it once per worker, hands each worker its descriptor
 * (an ENTRY_FILE entry, struct file_job) and waits for all of them. Each
 * worker reads every frame through its own libpcap handle, numbers and
 * times it, hashes its address pair (decode_shard_hash: as much decoding
 * as that needs) and works on its own frames in place, in libpcap's
 * buffer; nothing is copied. As every worker sees every frame's time, each
 * ticks at the moments one pipeline would. Worker 0 alone reports the
 * file's errors and progress and counts it (files, failures, bad
 * timestamps); the file's size when it was opened bounds what each reads,
 * so all see the same frames even if it grows meanwhile.
 * Standard input, a pipe, or a file that cannot be opened once per worker
 * is read once, by the reader: it copies each frame into the batch being
 * filled for its worker and hands full batches over through a queue of at
 * most QUEUE_DEPTH, waiting when a worker is behind (offline, nothing is
 * dropped). A batch entry is a frame, a tick (end idle flows at this
 * time), an advance (move the clock only), the finish (decide what is
 * open), the end, or a file to read. Both kinds may follow each other in
 * one run: the frame count, the clock and the tick schedule go on from
 * where the other way left them.
 *
 * The decision order. Every entry has a place in the input: frame n is
 * n << 2, the tick after it n << 2 | 1, the finish FINISH_KEY; a record's
 * place is (major, minor) (struct decision_order in pipeline.h). A record
 * is decided once no other worker can still decide one placed before it.
 * A worker whose record's turn has not come holds it (the pipeline keeps
 * its session, up to HELD_MAX records) and goes on with its frames,
 * deciding what it holds, oldest first, as the others move past; it waits
 * only when its holding is full, or before it runs out of input, and while
 * it waits it decides the older records the others hold whose turn has
 * come (their owner would only get to them after its current frame). So
 * the workers are not held in step record by record: one can be a few
 * dozen records ahead of another. Once decided, a record is rendered (by
 * the worker that decided it) while the next is decided, and written in
 * its turn (output/write_turn.h). What makes that one pipeline's order,
 * and safe:
 *
 *  1. pos.entry is a lower bound of every place its worker may still
 *     decide a new record at, and only rises. It is the entry worked on;
 *     reading the file itself, also (n << 2) + 1 past frame n of another
 *     worker, and (frames + 1) << 2 at the end of the file; queue-fed,
 *     after a batch, just past the reader's place when the batch was
 *     handed over (every entry placed up to it was in that batch or an
 *     earlier one).
 *  2. pos.floor is the place of the record the worker waits with, then
 *     just past the last it decided; pos.held the oldest record it holds.
 *     The worker decides nothing before min(held, max(entry, floor)): what
 *     it holds is older than its entry, and decided oldest first.
 *  3. A record at place P is decided once every other worker's bound is
 *     past P, so no record before P can come later: records are decided
 *     in increasing place, which is one pipeline's order. Places are
 *     unique: a frame's records are one worker's, and a tick's or the
 *     finish's record is placed at its flow's last frame, also one
 *     worker's. A worker publishes a record it holds (pos.held) before its
 *     entry moves past the record's place.
 *  4. Someone always goes on: the lowest record anyone holds or waits
 *     with is decidable once every other worker's entry is past it, and
 *     an entry stops only at a full holding or a wait, both at places
 *     after it; a worker that reads the file itself goes on to the end of
 *     the file, past every place in it. Every worker decides what it holds
 *     before it waits for input. A queue-fed idle worker's bound moves
 *     on because the reader hands every worker what it has (or an empty
 *     marker) when a waiting worker asks (want_flush) and before it waits
 *     for a full queue itself. The reader waits for a file's workers only
 *     after every worker has the file entry, behind all it was handed.
 *  5. No wake-up is lost, and no other is made: a waiter stopped by
 *     worker v writes its major into v's wake_above before it reads v's
 *     bound again, and v raises `entry` before it reads its wake_above
 *     (both sequentially consistent), so either the waiter sees the new
 *     bound or v sees the wish and broadcasts under the lock. A worker
 *     reading the file itself raises its bound at every frame; it wakes
 *     others only when it passes a place one of them waits at. A floor
 *     that moves (a record waited with, or decided), or a held place that
 *     rises, broadcasts when someone waits.
 *  6. Whoever decides a held record claims it first, under the lock
 *     (pipeline_claim_held): one claim per owner at a time, its place
 *     still the owner's published held record until its decision is taken
 *     (order_done), so no later record can be decided before it. The
 *     owner frees it once it is rendered; a waiter claims only records
 *     older than its own, whose turn has come by every other bound. */
#include "workers.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../dissectors/x509.h"
#include "age_list.h"
#include "decode.h"
#include "spin_pause.h"

#define BATCH_BYTES (512u * 1024u)
#define QUEUE_DEPTH 8
/* Must match pipeline.c's EXPIRY_INTERVAL_US: ticks come as often as one
 * pipeline would check its idle flows. */
#define TICK_INTERVAL_US 1000000ULL
/* Places: frame n is n << 2, its tick n << 2 | 1; the finish is last. */
#define FINISH_KEY (UINT64_MAX - 1)
#define DONE_KEY UINT64_MAX
/* Pauses a waiter spins before it sleeps: some tens of microseconds. */
#define ORDER_SPIN_ROUNDS 4000u
/* Places another worker's frames may move a bound before it is stored:
 * 64 frames. */
#define ORDER_LAZY_SPAN (64u << 2)

enum entry_kind {
    ENTRY_FRAME, ENTRY_TICK, ENTRY_ADVANCE, ENTRY_FINISH, ENTRY_END,
    ENTRY_FILE /* read workers.job yourself */
};

struct entry {
    uint64_t ts_us;
    uint64_t key;    /* place in the input (see above) */
    uint64_t now_us; /* frames: one pipeline's clock after this frame */
    uint32_t cap_len, wire_len;
    int32_t linktype;
    uint32_t kind;
    /* cap_len frame bytes follow, then padding to 8 */
};

struct batch {
    struct age_link order; /* in worker.queue */
    struct batch *next;    /* in worker.spare */
    size_t used, cap;
    uint8_t *buf;     /* NULL in an empty marker */
    uint64_t horizon; /* the reader's place when it was handed over */
};

/* Per worker, the lowest place it may still decide a record at: the
 * oldest record it holds, else the larger of `entry` (the entry it works
 * on, or just past the reader's place when idle) and `floor` (a record it
 * waits with, or just past the last it decided). */
struct order_pos {
    _Alignas(64) _Atomic uint64_t entry; /* a line each: stored per frame */
    /* A waiter's major: wake it once `entry` passes this (set under
     * sequencer.lock; UINT64_MAX: nobody waits for this worker). */
    _Atomic uint64_t wake_above;
    /* Written under sequencer.lock; read without it only by a waiter's
     * spin (as held_major below). */
    _Atomic uint64_t floor_major, floor_minor;
    /* The oldest record it holds to decide later (UINT64_MAX: none);
     * written under sequencer.lock, read without it only by a waiter's
     * spin, which the locked check after it corrects. */
    _Atomic uint64_t held_major, held_minor;
};

struct sequencer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int waiters;
    atomic_bool want_flush; /* a waiting worker asks the reader for markers */
    struct order_pos pos[WORKERS_MAX];
};

/* A file every worker reads itself: each its own descriptor of it. */
struct file_job {
    const char *path, *bpf;
    FILE *errs;
    uint64_t limit; /* the file's size when opened: all read the same */
    int fd[WORKERS_MAX];
};

/* A worker's walk through a file job: the reader's running state (set by
 * the reader before the job, read back after it), and the outcome. */
struct file_scan {
    uint64_t frames, now_us, next_tick_us;
    uint64_t unpublished; /* a bound order_progress_lazy has not stored */
    enum capture_status status;
    struct run_stats st; /* files, failures, bad timestamps: worker 0's */
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
    struct age_list queue; /* oldest first */
    size_t depth;
    struct batch *spare;
    struct batch *filling; /* the reader's, not shared */
    struct file_scan scan;
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
    /* File mode: frames read so far (they number flows), the place of
     * the last entry handed to every worker it was for, and the order. */
    uint64_t frames;
    uint64_t placed;
    bool seq_on;
    struct sequencer seq;
    struct decision_order order;
    struct write_turn turn;
    struct x509_shared *x509_shared; /* the workers' certificate verdicts */
    /* The file the workers read themselves, and how many are through. */
    struct file_job job;
    pthread_mutex_t job_lock;
    pthread_cond_t job_cond;
    size_t job_done;
};

/* ---- the decision order (file mode) ---------------------------------------*/

static bool before(uint64_t a_major, uint64_t a_minor, uint64_t b_major,
                   uint64_t b_minor)
{
    return a_major < b_major || (a_major == b_major && a_minor < b_minor);
}

/* Is (major, minor) before the lowest place worker `v` may still decide
 * at? Under seq->lock (or, as a hint, by a spinning waiter). */
static bool passed(struct sequencer *q, size_t v, uint64_t major,
                   uint64_t minor)
{
    const struct order_pos *o = &q->pos[v];
    uint64_t entry = atomic_load(&o->entry);
    return before(major, minor, atomic_load(&o->held_major),
                  atomic_load(&o->held_minor)) &&
           (before(major, minor, entry, 0) ||
            before(major, minor, atomic_load(&o->floor_major),
                   atomic_load(&o->floor_minor)));
}

/* Before it sleeps, a waiter watches the others' bounds a while: the
 * worker it waits for is usually a frame or two from passing its place,
 * or from deciding the older record it holds, and sleeping and being
 * woken for every record cost more than that (two workers on the
 * handshake corpus switched context 110 000 times for 100 000 records, a
 * third of their time; on the diverse corpus 98 % of the sleeps were for
 * a record the other held, its entry long past). It reads the bounds
 * without the lock (passed() reads only atomics: a pair read while it
 * changes can only end the spin early or late); the locked loop after it
 * decides, so spinning only ever delays. */
static void spin_until_passed(struct sequencer *q, size_t n, size_t w,
                              uint64_t major, uint64_t minor)
{
    unsigned left = ORDER_SPIN_ROUNDS;
    for (size_t v = 0; v < n; v++)
        while (v != w && left && !passed(q, v, major, minor)) {
            spin_pause();
            left--;
        }
}

static void order_progress(struct sequencer *q, size_t w, uint64_t key);

/* Has every worker but `w` passed (major, minor)? Under seq->lock. */
static bool others_passed(struct sequencer *q, size_t n, size_t w,
                          uint64_t major, uint64_t minor)
{
    for (size_t v = 0; v < n; v++)
        if (v != w && !passed(q, v, major, minor))
            return false;
    return true;
}

/* Under seq->lock, which it lets go while it decides: worker `w`, waiting
 * with (major, minor), decides the older records other workers hold whose
 * turn has come. Their owners would decide each at their next frame, but
 * a frame can be a chain to verify or a record to render, and the waiter
 * would wait that long for every record of theirs between it and its own
 * (98 % of the waits of two workers on the diverse corpus). True when it
 * decided one. */
static bool decide_for_others(struct workers *ws, size_t w, uint64_t major,
                              uint64_t minor)
{
    struct sequencer *q = &ws->seq;
    bool any = false;
    for (size_t v = 0; v < ws->n; v++) {
        if (v == w)
            continue;
        uint64_t held_major = atomic_load(&q->pos[v].held_major);
        uint64_t held_minor = atomic_load(&q->pos[v].held_minor);
        if (!before(held_major, held_minor, major, minor) ||
            !others_passed(q, ws->n, v, held_major, held_minor))
            continue;
        struct held_record *o = pipeline_claim_held(ws->w[v].p);
        if (!o)
            continue;
        pthread_mutex_unlock(&q->lock);
        pipeline_decide_claimed(ws->w[w].p, ws->w[v].p, o);
        pthread_mutex_lock(&q->lock);
        any = true;
        v = (size_t)-1; /* the next one may be anyone's */
    }
    return any;
}

static void order_wait(void *ctx, size_t w, uint64_t major, uint64_t minor)
{
    struct workers *ws = ctx;
    struct sequencer *q = &ws->seq;

    /* Whoever waits for this worker must see how far it really is. */
    order_progress(q, w, ws->w[w].scan.unpublished);
    pthread_mutex_lock(&q->lock);
    atomic_store(&q->pos[w].floor_major, major);
    atomic_store(&q->pos[w].floor_minor, minor);
    pthread_cond_broadcast(&q->cond);
    decide_for_others(ws, w, major, minor);
    pthread_mutex_unlock(&q->lock);
    spin_until_passed(q, ws->n, w, major, minor);
    pthread_mutex_lock(&q->lock);
    atomic_fetch_add(&q->waiters, 1);
    for (;;) {
        size_t v = 0;
        while (v < ws->n && (v == w || passed(q, v, major, minor)))
            v++;
        if (v == ws->n)
            break;
        if (decide_for_others(ws, w, major, minor))
            continue;
        /* Worker v wakes this one when it passes `major`; what it did
         * before it saw that wish, the check below sees. */
        if (major < atomic_load(&q->pos[v].wake_above)) {
            atomic_store(&q->pos[v].wake_above, major);
            if (passed(q, v, major, minor))
                continue;
        }
        atomic_store(&q->want_flush, true);
        pthread_cond_wait(&q->cond, &q->lock);
    }
    atomic_fetch_sub(&q->waiters, 1);
    pthread_mutex_unlock(&q->lock);
}

/* Under seq->lock: a record of worker `w`'s was decided, by it or by
 * another worker. The floor only rises: a worker that waits with a later
 * record of its own has already said it decides nothing before that. */
static void order_done(void *ctx, size_t w, uint64_t major, uint64_t minor,
                       uint64_t held_major, uint64_t held_minor)
{
    struct sequencer *q = &((struct workers *)ctx)->seq;
    struct order_pos *o = &q->pos[w];

    if (before(atomic_load(&o->floor_major), atomic_load(&o->floor_minor),
               major, minor + 1)) {
        atomic_store(&o->floor_major, major);
        atomic_store(&o->floor_minor, minor + 1);
    }
    atomic_store(&o->held_major, held_major);
    atomic_store(&o->held_minor, held_minor);
    if (atomic_load(&q->waiters))
        pthread_cond_broadcast(&q->cond);
}

/* A held record's turn, without waiting: every other worker's entry is
 * past it, or one waits (read without the lock: most tries stop here), and
 * then, under the lock, their bounds with their floors and held records. */
static bool order_ready(void *ctx, size_t w, uint64_t major, uint64_t minor)
{
    struct workers *ws = ctx;
    struct sequencer *q = &ws->seq;
    bool entries_past = true;
    for (size_t v = 0; v < ws->n && entries_past; v++)
        entries_past = v == w ||
                       before(major, minor, atomic_load(&q->pos[v].entry), 0);
    /* A waiter's floor can pass a place its entry has not (two records of
     * one tick): then the lock decides. */
    if (!entries_past && atomic_load(&q->waiters) == 0)
        return false;
    pthread_mutex_lock(&q->lock);
    size_t v = 0;
    while (v < ws->n && (v == w || passed(q, v, major, minor)))
        v++;
    pthread_mutex_unlock(&q->lock);
    return v == ws->n;
}

/* Under seq->lock: worker `w`'s oldest held record is now at (major,
 * minor). When it rises, a waiter may go on. */
static void order_hold(void *ctx, size_t w, uint64_t major, uint64_t minor)
{
    struct sequencer *q = &((struct workers *)ctx)->seq;
    struct order_pos *o = &q->pos[w];
    bool rises = before(atomic_load(&o->held_major),
                        atomic_load(&o->held_minor), major, minor);
    atomic_store(&o->held_major, major);
    atomic_store(&o->held_minor, minor);
    if (rises && atomic_load(&q->waiters))
        pthread_cond_broadcast(&q->cond);
}

/* Worker `w` will decide nothing before `key` any more. */
static void order_progress(struct sequencer *q, size_t w, uint64_t key)
{
    if (key <= atomic_load(&q->pos[w].entry))
        return;
    atomic_store(&q->pos[w].entry, key);
    /* Only passing a waiter's place wakes: a worker reading the file
     * itself moves on at every frame. */
    if (key > atomic_load(&q->pos[w].wake_above)) {
        pthread_mutex_lock(&q->lock);
        atomic_store(&q->pos[w].wake_above, UINT64_MAX);
        pthread_cond_broadcast(&q->cond);
        pthread_mutex_unlock(&q->lock);
    }
}

/* Another worker's frame moves the bound on too, but storing it at every
 * frame (a shared line, a full fence) cost a tenth of a two-worker run on
 * bulk traffic. It is stored every ORDER_LAZY_SPAN places, at once when
 * someone waits for this worker, and before this worker waits itself
 * (order_wait); a bound behind the truth is still a bound: the others only
 * hold a record a few frames longer. */
static void order_progress_lazy(struct worker *wk, uint64_t key)
{
    struct sequencer *q = &wk->ws->seq;
    struct order_pos *o = &q->pos[wk->index];
    wk->scan.unpublished = key;
    if (key - atomic_load_explicit(&o->entry, memory_order_relaxed) <
            ORDER_LAZY_SPAN &&
        atomic_load_explicit(&o->wake_above, memory_order_relaxed) ==
            UINT64_MAX)
        return;
    order_progress(q, wk->index, key);
}

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
    pthread_mutex_init(&ws->seq.lock, NULL);
    pthread_cond_init(&ws->seq.cond, NULL);
    for (size_t i = 0; i < WORKERS_MAX; i++) {
        atomic_init(&ws->seq.pos[i].wake_above, UINT64_MAX);
        atomic_init(&ws->seq.pos[i].held_major, UINT64_MAX);
        atomic_init(&ws->seq.pos[i].held_minor, UINT64_MAX);
    }
    pthread_mutex_init(&ws->job_lock, NULL);
    pthread_cond_init(&ws->job_cond, NULL);
    ws->order.wait = order_wait;
    ws->order.done = order_done;
    ws->order.ready = order_ready;
    ws->order.hold = order_hold;
    ws->order.lock = &ws->seq.lock;
    write_turn_init(&ws->turn);
    ws->order.turn = &ws->turn;
    ws->order.ctx = ws;
    struct pipeline_config c = *cfg;
    if (n > 1) {
        c.memcap = cfg->memcap / n;
        /* As much as one worker's chain cache (an eighth of its share of
         * --memcap), beside them and not charged to any. */
        ws->x509_shared = x509_shared_new(0, c.memcap / 8);
        if (!ws->x509_shared) {
            ws->n = 0;
            workers_free(ws);
            return NULL;
        }
        c.x509_shared = ws->x509_shared;
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

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    free(b->buf);
    free(b);
}

static struct batch *batch_take(struct worker *w)
{
    pthread_mutex_lock(&w->qlock);
    struct batch *b;
    while ((b = AGE_ENTRY(w->queue.oldest, struct batch, order)) == NULL)
        pthread_cond_wait(&w->qcond, &w->qlock);
    age_list_unlink(&w->queue, &b->order);
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
    batch_free(b);
}

static size_t entry_size(uint32_t cap_len)
{
    return (sizeof(struct entry) + cap_len + 7u) & ~(size_t)7u;
}

/* A frame of the file every worker reads: numbered, timed and ticked as
 * the reader would, worked on in place if it is this worker's. */
static void own_frame(void *ctx, int linktype, const uint8_t *frame,
                      uint32_t cap_len, uint32_t wire_len, uint64_t ts_us)
{
    struct worker *w = ctx;
    struct workers *ws = w->ws;
    struct file_scan *s = &w->scan;
    uint64_t key = ++s->frames << 2;
    if (ts_us > s->now_us)
        s->now_us = ts_us;
    if (decode_shard_hash(linktype, frame, cap_len) % ws->n == w->index) {
        order_progress(&ws->seq, w->index, key);
        pipeline_position(w->p, key >> 2, key, false);
        pipeline_advance(w->p, s->now_us);
        pipeline_frame(w->p, linktype, frame, cap_len, wire_len, ts_us);
    } else {
        order_progress_lazy(w, key + 1);
    }
    if (s->now_us >= s->next_tick_us) {
        order_progress(&ws->seq, w->index, key | 1);
        pipeline_position(w->p, 0, key | 1, true);
        pipeline_tick(w->p, s->now_us);
        s->next_tick_us = s->now_us + TICK_INTERVAL_US;
    }
    pipeline_decide_held(w->p, false);
}

static void read_job(struct worker *w)
{
    struct workers *ws = w->ws;
    const struct file_job *j = &ws->job;
    struct file_scan *s = &w->scan;
    memset(&s->st, 0, sizeof(s->st));
    s->status = capture_read_fd_to(j->fd[w->index], j->limit, j->path,
                                   j->bpf, own_frame, w, &s->st,
                                   w->index == 0 ? j->errs : NULL);
    /* Nothing more from this file: the next place is the next file's. */
    order_progress(&ws->seq, w->index, (s->frames + 1) << 2);
    pipeline_decide_held(w->p, true);
    pthread_mutex_lock(&ws->job_lock);
    ws->job_done++;
    pthread_cond_broadcast(&ws->job_cond);
    pthread_mutex_unlock(&ws->job_lock);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct sequencer *q = &w->ws->seq;
    for (;;) {
        struct batch *b = batch_take(w);
        bool end = false;
        size_t off = 0;
        while (off < b->used) {
            struct entry e;
            memcpy(&e, b->buf + off, sizeof(e));
            const uint8_t *frame = b->buf + off + sizeof(e);
            order_progress(q, w->index, e.key);
            switch (e.kind) {
            case ENTRY_FRAME:
                pipeline_position(w->p, e.key >> 2, e.key, false);
                pipeline_advance(w->p, e.now_us);
                pipeline_frame(w->p, e.linktype, frame, e.cap_len, e.wire_len,
                               e.ts_us);
                break;
            case ENTRY_TICK:
                pipeline_position(w->p, 0, e.key, true);
                pipeline_tick(w->p, e.ts_us);
                break;
            case ENTRY_ADVANCE:
                pipeline_advance(w->p, e.ts_us);
                break;
            case ENTRY_FINISH:
                pipeline_position(w->p, 0, e.key, true);
                pipeline_finish(w->p);
                break;
            case ENTRY_FILE:
                read_job(w);
                break;
            default:
                end = true;
                break;
            }
            pipeline_decide_held(w->p, false);
            off += entry_size(e.cap_len);
        }
        /* Whatever comes next was placed after the reader's place then. */
        if (b->horizon < FINISH_KEY)
            order_progress(q, w->index, b->horizon + 1);
        batch_recycle(w, b);
        /* Before it waits for more input, nothing is left held: a worker
         * waiting for input cannot see its turn come. */
        pipeline_decide_held(w->p, true);
        if (end) {
            order_progress(q, w->index, DONE_KEY);
            return NULL;
        }
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

/* Under w->qlock. */
static void enqueue(struct worker *w, struct batch *b)
{
    b->horizon = w->ws->placed;
    age_list_push_newest(&w->queue, &b->order);
    w->depth++;
    pthread_cond_broadcast(&w->qcond);
}

/* Ordered mode: hand every worker but `except` what it has, or an empty
 * marker, without waiting for a full queue: an idle worker's place moves
 * on to the reader's. */
static void hand_over_all(struct workers *ws, const struct worker *except)
{
    for (size_t i = 0; i < ws->n; i++) {
        struct worker *w = &ws->w[i];
        if (w == except)
            continue;
        pthread_mutex_lock(&w->qlock);
        if (w->depth < QUEUE_DEPTH) {
            struct batch *b = w->filling;
            if (b && b->used)
                w->filling = NULL;
            else
                b = calloc(1, sizeof(*b));
            if (b)
                enqueue(w, b);
        }
        pthread_mutex_unlock(&w->qlock);
    }
}

static void submit(struct worker *w)
{
    struct workers *ws = w->ws;
    struct batch *b = w->filling;
    if (!b || b->used == 0)
        return;
    w->filling = NULL;
    pthread_mutex_lock(&w->qlock);
    while (w->depth >= QUEUE_DEPTH) {
        if (!ws->seq_on) {
            pthread_cond_wait(&w->qcond, &w->qlock);
            continue;
        }
        /* This worker may be waiting for another that waits for input:
         * give the others theirs, then look again shortly. */
        pthread_mutex_unlock(&w->qlock);
        hand_over_all(ws, w);
        pthread_mutex_lock(&w->qlock);
        if (w->depth >= QUEUE_DEPTH) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            t.tv_nsec += 1000000;
            if (t.tv_nsec >= 1000000000) {
                t.tv_sec++;
                t.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&w->qcond, &w->qlock, &t);
        }
    }
    enqueue(w, b);
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

static void put_entry(struct worker *w, uint32_t kind, uint64_t key,
                      int linktype, const uint8_t *frame, uint32_t cap_len,
                      uint32_t wire_len, uint64_t ts_us)
{
    if (!room(w, cap_len))
        return;
    struct batch *b = w->filling;
    struct entry e = {ts_us, key, w->ws->now_us, cap_len, wire_len,
                      linktype, kind};
    memcpy(b->buf + b->used, &e, sizeof(e));
    if (cap_len)
        memcpy(b->buf + b->used + sizeof(e), frame, cap_len);
    b->used += entry_size(cap_len);
}

static void broadcast(struct workers *ws, uint32_t kind, uint64_t key,
                      uint64_t ts_us)
{
    for (size_t i = 0; i < ws->n; i++)
        put_entry(&ws->w[i], kind, key, 0, NULL, 0, 0, ts_us);
    ws->placed = key;
}

static void dispatch(void *ctx, int linktype, const uint8_t *frame,
                     uint32_t cap_len, uint32_t wire_len, uint64_t ts_us)
{
    struct workers *ws = ctx;
    size_t i = decode_shard_hash(linktype, frame, cap_len) % ws->n;
    uint64_t key = ++ws->frames << 2;
    if (ts_us > ws->now_us)
        ws->now_us = ts_us;
    put_entry(&ws->w[i], ENTRY_FRAME, key, linktype, frame, cap_len,
              wire_len, ts_us);
    ws->placed = key;
    /* The schedule pipeline_frame keeps on its own with one worker. */
    if (ws->now_us >= ws->next_tick_us) {
        broadcast(ws, ENTRY_TICK, key | 1, ws->now_us);
        ws->next_tick_us = ws->now_us + TICK_INTERVAL_US;
    }
    if (atomic_load(&ws->seq.want_flush)) {
        atomic_store(&ws->seq.want_flush, false);
        hand_over_all(ws, NULL);
    }
}

/* One descriptor of `path` for each worker, all of the same regular,
 * non-empty file; false (none kept) when that cannot be had: a pipe, or
 * standard input, is read once, by the reader, which also says why a file
 * cannot be read. */
static bool open_for_each(struct workers *ws, const char *path)
{
    struct file_job *j = &ws->job;
    if (strcmp(path, "-") == 0)
        return false;
    struct stat first;
    memset(&first, 0, sizeof(first));
    size_t i;
    for (i = 0; i < ws->n; i++) {
        struct stat st;
        j->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (j->fd[i] < 0)
            break;
        if (fstat(j->fd[i], &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_size <= 0 ||
            (i > 0 && (st.st_dev != first.st_dev ||
                       st.st_ino != first.st_ino))) {
            close(j->fd[i]);
            break;
        }
        if (i == 0)
            first = st;
    }
    if (i < ws->n) {
        while (i--)
            close(j->fd[i]);
        return false;
    }
    j->limit = (uint64_t)first.st_size;
    return true;
}

/* Every worker reads the file itself (read_job); the reader waits, then
 * takes up the running state where they left it. */
static enum capture_status read_in_each(struct workers *ws, const char *path,
                                        const char *bpf, FILE *errs)
{
    struct file_job *j = &ws->job;
    for (size_t i = 0; i < ws->n; i++) {
        if (!room(&ws->w[i], 0)) {
            /* No memory for the entry: the reader reads it once. */
            for (size_t k = 0; k < ws->n; k++)
                close(j->fd[k]);
            return capture_read_file_to(path, bpf, dispatch, ws, &ws->reader,
                                        errs);
        }
    }
    j->path = path;
    j->bpf = bpf;
    j->errs = errs;
    ws->job_done = 0;
    for (size_t i = 0; i < ws->n; i++) {
        struct worker *w = &ws->w[i];
        w->scan.frames = ws->frames;
        w->scan.now_us = ws->now_us;
        w->scan.next_tick_us = ws->next_tick_us;
        /* No new place: the worker publishes its own as it reads. */
        put_entry(w, ENTRY_FILE, ws->placed, 0, NULL, 0, 0, 0);
    }
    for (size_t i = 0; i < ws->n; i++)
        submit(&ws->w[i]);
    pthread_mutex_lock(&ws->job_lock);
    while (ws->job_done < ws->n)
        pthread_cond_wait(&ws->job_cond, &ws->job_lock);
    pthread_mutex_unlock(&ws->job_lock);

    const struct file_scan *lead = &ws->w[0].scan;
    enum capture_status status = lead->status;
    bool same = true;
    for (size_t i = 0; i < ws->n; i++) {
        const struct file_scan *s = &ws->w[i].scan;
        same = same && s->status == status && s->frames == lead->frames;
        /* Numbers stay unique even if the workers disagree. */
        if (s->frames > ws->frames)
            ws->frames = s->frames;
        if (s->now_us > ws->now_us)
            ws->now_us = s->now_us;
    }
    ws->next_tick_us = lead->next_tick_us;
    if (ws->frames && (ws->frames << 2 | 1) > ws->placed)
        ws->placed = ws->frames << 2 | 1;
    run_stats_add(&ws->reader, &lead->st);
    if (!same) {
        /* Only a failure to allocate or to read (EIO) tells them apart. */
        fprintf(errs, "tlsmon: %s: the workers could not all read it the "
                      "same way; some of it is missing\n", path);
        if (status == CAPTURE_OK)
            status = CAPTURE_BROKEN;
    }
    return status;
}

enum capture_status workers_read_file(struct workers *ws, const char *path,
                                      const char *bpf, FILE *errs)
{
    if (ws->n == 1)
        return capture_read_file(path, bpf, ws->w[0].p, errs);
    if (!ws->threaded && !ws->seq_on) {
        /* Decide in one pipeline's order (live capture has no such order
         * to follow, so only files get it). */
        ws->seq_on = true;
        for (size_t i = 0; i < ws->n; i++)
            if (!pipeline_set_order(ws->w[i].p, &ws->order, i)) {
                fputs("tlsmon: --workers: out of memory\n", errs);
                return CAPTURE_UNREADABLE;
            }
    }
    if (!start_threads(ws)) {
        fputs("tlsmon: --workers: cannot start threads\n", errs);
        return CAPTURE_UNREADABLE;
    }
    if (open_for_each(ws, path))
        return read_in_each(ws, path, bpf, errs);
    return capture_read_file_to(path, bpf, dispatch, ws, &ws->reader, errs);
}

void workers_finish(struct workers *ws)
{
    if (ws->finished)
        return;
    ws->finished = true;
    if (ws->threaded) {
        broadcast(ws, ENTRY_ADVANCE, ws->placed, ws->now_us);
        /* The open flows are decided in the workers, in order too. */
        broadcast(ws, ENTRY_FINISH, FINISH_KEY, ws->now_us);
        broadcast(ws, ENTRY_END, DONE_KEY, 0);
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
    t->ignored_not_ip += s->ignored_not_ip;
    t->ignored_icmp += s->ignored_icmp;
    t->ignored_udp += s->ignored_udp;
    t->ignored_other_ip += s->ignored_other_ip;
    t->packets_malformed += s->packets_malformed;
    t->packets_truncated += s->packets_truncated;
    t->packets_too_deep += s->packets_too_deep;
    t->timestamps_invalid += s->timestamps_invalid;
    t->ip_fragments += s->ip_fragments;
    t->ip_reassembled += s->ip_reassembled;
    t->ip_frag_dropped += s->ip_frag_dropped;
    t->flows += s->flows;
    t->flows_tls += s->flows_tls;
    t->flows_evicted += s->flows_evicted;
    t->quic_initials_skipped += s->quic_initials_skipped;
    t->flows_timed_out += s->flows_timed_out;
    /* Peaks of different workers need not coincide: their sum bounds the
     * peak of the whole. */
    t->flows_active_max += s->flows_active_max;
    t->tcp_gaps += s->tcp_gaps;
    t->tcp_gap_bytes += s->tcp_gap_bytes;
    t->tcp_cap_gaps += s->tcp_cap_gaps;
    t->tcp_late_segments += s->tcp_late_segments;
    t->rst_out_of_window += s->rst_out_of_window;
    t->stream_cap_hits += s->stream_cap_hits;
    t->reassembly_bytes_max += s->reassembly_bytes_max;
    t->memory_bytes_max += s->memory_bytes_max;
    t->memcap_refused += s->memcap_refused;
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
        broadcast(ws, ENTRY_END, DONE_KEY, 0);
        for (size_t i = 0; i < ws->n; i++) {
            submit(&ws->w[i]);
            pthread_join(ws->w[i].thread, NULL);
        }
    }
    for (size_t i = 0; i < ws->n; i++) {
        struct worker *w = &ws->w[i];
        struct batch *b;
        while ((b = AGE_ENTRY(w->queue.oldest, struct batch, order))) {
            age_list_unlink(&w->queue, &b->order);
            batch_free(b);
        }
        while ((b = w->spare) != NULL) {
            w->spare = b->next;
            batch_free(b);
        }
        batch_free(w->filling);
        pipeline_free(w->p);
        pthread_cond_destroy(&w->qcond);
        pthread_mutex_destroy(&w->qlock);
        pthread_mutex_destroy(&w->busy);
    }
    pthread_mutex_destroy(&ws->emit_lock);
    pthread_rwlock_destroy(&ws->output_lock);
    pthread_cond_destroy(&ws->seq.cond);
    pthread_cond_destroy(&ws->job_cond);
    pthread_mutex_destroy(&ws->job_lock);
    pthread_mutex_destroy(&ws->seq.lock);
    write_turn_destroy(&ws->turn);
    x509_shared_free(ws->x509_shared);
    free(ws);
}
