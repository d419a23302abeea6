/* sender.c — the queue and thread behind each network output (see
 * sender.h).
 *
 * One mutex guards the queue and the counters; the network calls happen
 * with it released, so a push from the capture thread waits at most for a
 * list splice, never for a send. Waits use CLOCK_MONOTONIC so the backoff
 * survives clock changes. */
#include "sender.h"
#include "spool.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define BATCH_MSGS 64
/* With a spool, a push finding the memory queue full waits this long for
 * the sender thread to move it to disk before the event is dropped (as
 * rsyslog's disk-assisted queues make their producers wait). */
#define SPOOL_PUSH_WAIT_MS 200

struct sender {
    char label[160];
    const struct sender_transport *t;
    void *ctx;

    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t room;      /* the queue shrank (pushes waiting, spool) */
    bool push_wait_failed;    /* a wait timed out: no more until it drains */
    pthread_t thread;
    bool started;

    struct sender_msg *head, *tail;
    size_t n_msgs, n_bytes;
    size_t max_msgs, max_bytes;

    bool stopping;
    struct timespec deadline; /* stopping: give up on the queue then */

    bool connected;
    bool ever_connected;
    bool complained;          /* the failure was logged; log the recovery */
    struct output_counters c;

    /* Only the sender thread touches the spool; what the counters need of
     * it is copied here under the lock. */
    struct spool *spool;
    uint64_t spool_dropped;
};

static void sync_spool_counters(struct sender *s)
{
    s->c.spooled = spool_records(s->spool);
    s->spool_dropped = spool_dropped(s->spool);
}

static struct timespec mono_after_ms(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static bool mono_passed(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec ||
           (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* The memory queue got room: pushes waiting for it (with a spool) go on. */
static void queue_shrank(struct sender *s)
{
    if (!s->spool)
        return;
    if (s->n_msgs <= s->max_msgs / 2)
        s->push_wait_failed = false;
    pthread_cond_broadcast(&s->room);
}

/* Move everything queued in memory to the spool, in order. Called and
 * returns with the lock held; the disk is written with it released, so
 * pushes go on meanwhile (they are newer, and stay behind). */
static void spill(struct sender *s)
{
    struct sender_msg *m = s->head;
    s->head = s->tail = NULL;
    s->n_msgs = s->n_bytes = 0;
    queue_shrank(s);
    pthread_mutex_unlock(&s->lock);
    while (m) {
        struct sender_msg *next = m->next;
        spool_append(s->spool, m->data, m->len);
        free(m);
        m = next;
    }
    pthread_mutex_lock(&s->lock);
    sync_spool_counters(s);
}

/* Sleep for the backoff, or until told to stop and the deadline passed.
 * Meanwhile what is pushed goes to the spool, if there is one, so that
 * a long outage costs disk, not events. Called and returns with the lock
 * held. */
static void backoff_wait(struct sender *s, unsigned ms)
{
    struct timespec until = mono_after_ms(ms);
    if (s->stopping &&
        (s->deadline.tv_sec < until.tv_sec ||
         (s->deadline.tv_sec == until.tv_sec &&
          s->deadline.tv_nsec < until.tv_nsec)))
        until = s->deadline;
    while (!mono_passed(&until)) {
        if (s->spool && s->head) {
            spill(s);
            continue;
        }
        if (pthread_cond_timedwait(&s->wake, &s->lock, &until) == ETIMEDOUT)
            break;
    }
}

static void drop_all(struct sender *s)
{
    struct sender_msg *m = s->head;
    while (m) {
        struct sender_msg *next = m->next;
        s->c.dropped++;
        free(m);
        m = next;
    }
    s->head = s->tail = NULL;
    s->n_msgs = s->n_bytes = 0;
}

static void lost_connection(struct sender *s, const char *err)
{
    fprintf(stderr, "tlsmon: %s: connection lost (%s); reconnecting\n",
            s->label, err[0] ? err : "unknown error");
    s->complained = true;
    s->connected = false;
    s->c.connected = false;
}

/* Deliver one batch from the head of the spool. Called and returns with
 * the lock held. */
static void send_from_spool(struct sender *s)
{
    struct sender_msg *batch[BATCH_MSGS];
    char err[256] = "";
    pthread_mutex_unlock(&s->lock);
    size_t n = spool_peek(s->spool, batch, BATCH_MSGS);
    size_t refused = 0, done = 0;
    if (n > 0) {
        done = s->t->send(s->ctx, batch, n, &refused, err, sizeof(err));
        if (done > n)
            done = n;
        if (done < n)
            s->t->close(s->ctx);
        spool_consume(s->spool, done);
        for (size_t i = 0; i < n; i++)
            free(batch[i]);
    }
    pthread_mutex_lock(&s->lock);
    s->c.sent += done - refused;
    s->c.dropped += refused;
    sync_spool_counters(s);
    if (done < n)
        lost_connection(s, err);
}

static bool over_half(const struct sender *s)
{
    return s->n_msgs > s->max_msgs / 2 || s->n_bytes > s->max_bytes / 2;
}

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    unsigned backoff = BACKOFF_FIRST_MS;
    char err[256];

    pthread_mutex_lock(&s->lock);
    for (;;) {
        bool spooled = s->spool && spool_records(s->spool) > 0;
        if (s->stopping && ((s->head == NULL && !spooled) ||
                            mono_passed(&s->deadline)))
            break;
        if (!s->connected) {
            if (s->spool && s->head)
                spill(s);
            pthread_mutex_unlock(&s->lock);
            err[0] = '\0';
            bool ok = s->t->open(s->ctx, err, sizeof(err));
            pthread_mutex_lock(&s->lock);
            if (!ok) {
                if (!s->complained)
                    fprintf(stderr, "tlsmon: %s: cannot connect (%s); "
                                    "retrying, events wait in the %s\n",
                            s->label, err, s->spool ? "spool" : "queue");
                s->complained = true;
                backoff_wait(s, backoff);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                       : backoff * 2;
                continue;
            }
            if (s->ever_connected)
                s->c.reconnects++;
            if (s->complained)
                fprintf(stderr, "tlsmon: %s: connected\n", s->label);
            s->complained = false;
            s->ever_connected = true;
            s->connected = true;
            s->c.connected = true;
            backoff = BACKOFF_FIRST_MS;
            continue;
        }
        /* The spool holds what is older than anything in memory. */
        if (spooled) {
            if (over_half(s))
                spill(s);
            send_from_spool(s);
            continue;
        }
        if (s->head == NULL) {
            pthread_cond_wait(&s->wake, &s->lock);
            continue;
        }
        if (s->spool && over_half(s)) { /* the destination is slow */
            spill(s);
            continue;
        }

        /* Take a batch off the queue; the capture thread can push meanwhile. */
        struct sender_msg *batch[BATCH_MSGS];
        size_t n = 0;
        while (n < BATCH_MSGS && s->head) {
            struct sender_msg *m = s->head;
            s->head = m->next;
            s->n_msgs--;
            s->n_bytes -= m->len;
            batch[n++] = m;
        }
        if (!s->head)
            s->tail = NULL;
        queue_shrank(s);
        pthread_mutex_unlock(&s->lock);

        size_t refused = 0;
        err[0] = '\0';
        size_t done = s->t->send(s->ctx, batch, n, &refused, err, sizeof(err));
        if (done > n)
            done = n;
        if (done < n)
            s->t->close(s->ctx);

        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < done; i++)
            free(batch[i]);
        s->c.sent += done - refused;
        s->c.dropped += refused;
        if (done < n) {
            /* Back to the head, in order, to go first on the next
             * connection. The queue may now hold a little more than its
             * bound: these were counted in it already. */
            for (size_t i = n; i-- > done;) {
                batch[i]->next = s->head;
                s->head = batch[i];
                if (!s->tail)
                    s->tail = batch[i];
                s->n_msgs++;
                s->n_bytes += batch[i]->len;
            }
            lost_connection(s, err);
        }
    }
    /* What could not be sent in time: kept on disk for the next run, or
     * lost. */
    if (s->spool)
        spill(s);
    else
        drop_all(s);
    bool was_connected = s->connected;
    s->connected = false;
    s->c.connected = false;
    pthread_mutex_unlock(&s->lock);
    if (was_connected)
        s->t->close(s->ctx);
    return NULL;
}

struct sender *sender_new(const char *label, const struct sender_transport *t,
                          void *ctx, size_t max_msgs, size_t max_bytes,
                          struct spool *spool)
{
    struct sender *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    snprintf(s->label, sizeof(s->label), "%s", label);
    s->spool = spool;
    if (spool)
        sync_spool_counters(s);
    s->t = t;
    s->ctx = ctx;
    s->max_msgs = max_msgs;
    s->max_bytes = max_bytes;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->room, &ca);
    pthread_condattr_destroy(&ca);
    /* The thread starts with every signal blocked: the process's signals
     * go to the capture thread, and a write to a collector that went away
     * (TLS writes cannot pass MSG_NOSIGNAL) fails with EPIPE instead of
     * killing the sensor. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, sender_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_cond_destroy(&s->room);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    s->started = true;
    return s;
}

bool sender_push(struct sender *s, const struct iovec *iov, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += iov[i].iov_len;

    pthread_mutex_lock(&s->lock);
    bool room = !s->stopping && s->n_msgs < s->max_msgs &&
                s->n_bytes + len <= s->max_bytes;
    if (!room && s->spool && !s->stopping && !s->push_wait_failed) {
        /* The disk is close: wait for the sender thread to move the
         * queue there rather than lose the event. */
        struct timespec until = mono_after_ms(SPOOL_PUSH_WAIT_MS);
        pthread_cond_signal(&s->wake);
        while (!room && !s->stopping && !mono_passed(&until)) {
            pthread_cond_timedwait(&s->room, &s->lock, &until);
            room = s->n_msgs < s->max_msgs &&
                   s->n_bytes + len <= s->max_bytes;
        }
        room = room && !s->stopping;
        s->push_wait_failed = !room;
    }
    if (!room) {
        s->c.dropped++;
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    pthread_mutex_unlock(&s->lock);

    /* Copied outside the lock; the room was checked before, so a burst can
     * overshoot the bound by what other threads push meanwhile, not more. */
    struct sender_msg *m = malloc(sizeof(*m) + len);
    if (!m) {
        pthread_mutex_lock(&s->lock);
        s->c.dropped++;
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    m->next = NULL;
    m->len = len;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        memcpy(m->data + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }

    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = m;
    else
        s->head = m;
    s->tail = m;
    s->n_msgs++;
    s->n_bytes += len;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    return true;
}

void sender_counters(struct sender *s, struct output_counters *c)
{
    pthread_mutex_lock(&s->lock);
    *c = s->c;
    c->queued = s->n_msgs;
    c->dropped += s->spool_dropped;
    pthread_mutex_unlock(&s->lock);
}

void sender_report(const struct sender *s, const struct output_counters *c)
{
    if (c->dropped == 0 && c->spooled == 0)
        return;
    fprintf(stderr, "tlsmon: %s: %" PRIu64 " events sent, %" PRIu64
            " dropped", s->label, c->sent, c->dropped);
    if (s->spool)
        fprintf(stderr, ", %" PRIu64 " kept in the spool %s for the next run",
                c->spooled, spool_dir(s->spool));
    fputc('\n', stderr);
}

void sender_finish(struct sender *s, unsigned drain_ms)
{
    if (!s || !s->started)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    s->deadline = mono_after_ms(drain_ms);
    pthread_cond_signal(&s->wake);
    pthread_cond_broadcast(&s->room);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->started = false;
}

void sender_free(struct sender *s)
{
    if (!s)
        return;
    sender_finish(s, 0);
    drop_all(s);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->room);
    pthread_mutex_destroy(&s->lock);
    if (s->t->free)
        s->t->free(s->ctx);
    spool_close(s->spool);
    free(s);
}
