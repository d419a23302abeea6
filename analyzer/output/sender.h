/* sender.h — a bounded queue between the thread that decides records and
 * one network destination (syslog, Redis), drained by a thread of its own.
 *
 * Capture never waits for the network: a push copies the message and
 * returns; when the queue is full the message is dropped and counted. The
 * sender thread connects, sends, and on failure puts what was not delivered
 * back at the head of the queue, closes, and reconnects with exponential
 * backoff (what arrives meanwhile waits in the queue, up to its bounds).
 *
 * With a spool (spool.h), what would wait in memory while the destination
 * is down or slow goes to disk instead, and what is left at the end stays
 * there for the next run: the spool always holds the oldest events, so
 * they are sent first, and the order is kept. A push that finds the memory
 * queue full then waits (at most 200 ms, once until it drains) for the
 * sender thread to move it to disk: capture may wait for the local disk,
 * never for the network. */
#ifndef TLSMON_SENDER_H
#define TLSMON_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "output.h"

struct sender_msg {
    struct sender_msg *next;
    size_t len;
    char data[];
};

/* What a destination implements; every call runs on the sender thread. */
struct sender_transport {
    /* Connect. False with the reason in err. */
    bool (*open)(void *ctx, char *err, size_t errlen);
    /* Deliver msgs[0..n) in order. Returns how many were dealt with from
     * the start: delivered, or refused by the destination (counted in
     * *refused and dropped). Fewer than n: the connection failed at
     * msgs[return], reason in err; that one and the rest are sent again
     * after a reconnect. */
    size_t (*send)(void *ctx, struct sender_msg *const *msgs, size_t n,
                   size_t *refused, char *err, size_t errlen);
    void (*close)(void *ctx);
    void (*free)(void *ctx);
};

struct sender;
struct spool;

/* `label` names the destination in messages ("syslog tcp://..."). The
 * queue holds at most max_msgs messages and max_bytes bytes. `spool`
 * (NULL: none) becomes the sender's, closed by sender_free. */
struct sender *sender_new(const char *label, const struct sender_transport *t,
                          void *ctx, size_t max_msgs, size_t max_bytes,
                          struct spool *spool);

/* Queue the concatenation of iov[0..n) as one message. Never blocks on the
 * network; false (counted as dropped) when the queue is full (with a
 * spool: and stayed full for 200 ms). */
bool sender_push(struct sender *s, const struct iovec *iov, int n);

void sender_counters(struct sender *s, struct output_counters *c);

/* How long the end of a run waits for a queue to drain. */
#define SENDER_DRAIN_MS 5000

/* The end-of-run line on stderr, when something was dropped or is left in
 * the spool: "tlsmon: LABEL: N events sent, M dropped, K kept in the spool
 * DIR for the next run". `c` is the output's final counters. */
void sender_report(const struct sender *s, const struct output_counters *c);

/* Stop: deliver what is queued for at most drain_ms more (no more pushes
 * after this), then end the thread; what is left goes to the spool, or
 * without one is counted as dropped. */
void sender_finish(struct sender *s, unsigned drain_ms);
/* After sender_finish. Frees the transport's context too. */
void sender_free(struct sender *s);

#endif
