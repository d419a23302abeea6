/* tcp_stream.c — turns the segments of one TCP direction into the in-order
 * byte stream the dissectors read, holding out-of-order data in a bounded
 * queue and telling the sink exactly where bytes were lost.
 *
 * Sequence numbers are compared modulo 2^32. Every queued byte lies less than
 * 2 GiB ahead of next_seq (segments starting a gigabyte or more ahead are
 * refused), so the serial comparison is always well defined.
 *
 * Data carried on a SYN: the caller first calls tcp_stream_syn(isn), then
 * passes the payload to tcp_stream_segment with seq = isn + 1, where it is
 * simply the first in-order data.
 *
 * The sink may release this stream from inside a callback (the flow was
 * decided and bypassed), so the state is made consistent before every
 * callback and re-read after it. */
#include "tcp_stream.h"

#include <stdlib.h>

#include "cursor.h"

struct tcp_segment {
    struct tcp_segment *next;
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

/* RFC 7323 caps the window at 2^30: anything further away is not part of
 * this connection's window, and accepting it would let one forged packet push
 * the stream forward through a gap. */
#define SEQ_WINDOW (UINT32_C(1) << 30)

/* An ack past everything we hold means the capture lost the tail; beyond
 * this it is more likely a bogus ack than a loss worth declaring. */
#define MAX_TAIL_LOSS (UINT32_C(1) << 20)

static bool seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static void add_dup(struct tcp_stream *s, uint32_t n)
{
    s->dup_bytes = n > UINT32_MAX - s->dup_bytes ? UINT32_MAX
                                                  : s->dup_bytes + n;
}

static void deliver(struct tcp_stream *s, int side, const uint8_t *data,
                    uint32_t len, uint64_t ts_us,
                    const struct stream_sink *sink)
{
    if (len == 0)
        return;
    s->next_seq += len;
    s->delivered += len;
    if (sink && sink->data)
        sink->data(sink->ctx, side, data, len, ts_us);
}

/* Declare everything between next_seq and `target` lost. */
static void skip_to(struct tcp_stream *s, int side, uint32_t target,
                    const struct stream_sink *sink)
{
    uint32_t len = target - s->next_seq;

    if (len == 0)
        return;
    s->next_seq = target;
    s->gaps++;
    s->gap_bytes += len;
    if (sink && sink->gap)
        sink->gap(sink->ctx, side, len);
}

static void unlink_head(struct tcp_stream *s, const struct stream_limits *lim)
{
    struct tcp_segment *node = s->queue;

    s->queue = node->next;
    s->queued_bytes -= node->len;
    if (lim && lim->held_total)
        *lim->held_total -= node->len;
}

/* Deliver queued segments that have become contiguous with next_seq. */
static void drain(struct tcp_stream *s, const struct stream_limits *lim,
                  int side, uint64_t ts_us, const struct stream_sink *sink)
{
    struct tcp_segment *node;

    while ((node = s->queue) != NULL && !seq_before(s->next_seq, node->seq)) {
        uint32_t behind = s->next_seq - node->seq;
        struct cursor c = cursor_make(node->data, node->len);
        size_t n = 0;
        const uint8_t *rest = NULL;

        unlink_head(s, lim);
        /* The queue never holds bytes below next_seq; trimming here keeps a
         * broken invariant from turning into a repeated delivery. */
        if (behind >= node->len) {
            add_dup(s, node->len);
        } else {
            add_dup(s, behind);
            if (cursor_skip(&c, behind))
                rest = cursor_rest(&c, &n);
            deliver(s, side, rest, (uint32_t)n, ts_us, sink);
        }
        free(node);
    }
}

/* Walk the queue for the bytes [seq, seq + len) not already held there (the
 * first copy of a byte wins). With `commit` unset, only count them; with it
 * set, copy them into new nodes, consuming `payload` as it goes. Returns the
 * number of new bytes. */
static uint32_t queue_insert(struct tcp_stream *s,
                             const struct stream_limits *lim, uint32_t seq,
                             uint32_t len, struct cursor *payload, bool commit)
{
    struct tcp_segment **link = &s->queue;
    uint32_t pos = seq, end = seq + len, added = 0;

    while (pos != end) {
        struct tcp_segment *node = *link;

        if (node == NULL || seq_before(pos, node->seq)) {
            uint32_t stop =
                node && seq_before(node->seq, end) ? node->seq : end;
            uint32_t n = stop - pos;

            if (commit) {
                struct tcp_segment *fresh = malloc(sizeof(*fresh) + n);
                if (fresh == NULL || !cursor_copy(payload, fresh->data, n)) {
                    /* Out of memory: the bytes are dropped and the hole is
                     * declared later, by an ack or the flush. */
                    free(fresh);
                    return added;
                }
                fresh->seq = pos;
                fresh->len = n;
                fresh->next = node;
                *link = fresh;
                link = &fresh->next;
                s->queued_bytes += n;
                if (lim && lim->held_total)
                    *lim->held_total += n;
            }
            /* Without commit, `link` stays on `node` so that the next pass
             * steps over the bytes it already holds. */
            added += n;
            pos = stop;
            continue;
        }

        uint32_t node_end = node->seq + node->len;
        if (seq_before(pos, node_end)) {
            uint32_t stop = seq_before(node_end, end) ? node_end : end;
            if (commit) {
                add_dup(s, stop - pos);
                cursor_skip(payload, stop - pos);
            }
            pos = stop;
        }
        link = &node->next;
    }
    return added;
}

void tcp_stream_init(struct tcp_stream *s)
{
    *s = (struct tcp_stream){0};
}

void tcp_stream_syn(struct tcp_stream *s, uint32_t isn)
{
    /* A retransmitted SYN with a new ISN before any data replaces the first:
     * the first connection attempt was abandoned. */
    bool no_data_yet =
        s->delivered == 0 && s->queue == NULL && s->gap_bytes == 0;

    if (!s->started || no_data_yet) {
        s->next_seq = isn + 1;
        s->started = true;
    }
    stream_opening_syn(&s->opening, isn + 1);
}

void tcp_stream_segment(struct tcp_stream *s, const struct stream_limits *lim,
                        int side, uint32_t seq, const uint8_t *data,
                        uint32_t len, uint64_t ts_us,
                        const struct stream_sink *sink)
{
    struct cursor payload = cursor_make(data, len);
    uint32_t cap = lim ? lim->max_queued_bytes : 0;

    if (cursor_left(&payload) == 0 || len >= SEQ_WINDOW)
        return;
    stream_opening_segment(&s->opening, seq, len, ts_us);
    if (!s->started) {
        s->next_seq = seq;
        s->started = true;
    }
    if (!seq_before(seq, s->next_seq) && seq - s->next_seq >= SEQ_WINDOW)
        return;

    for (;;) {
        uint32_t left = (uint32_t)cursor_left(&payload);

        drain(s, lim, side, ts_us, sink);

        /* Bytes below next_seq were already delivered or declared lost:
         * retransmissions and keep-alives (one byte at next_seq - 1) end
         * here. */
        if (seq_before(seq, s->next_seq)) {
            uint32_t behind = s->next_seq - seq;
            if (behind >= left) {
                add_dup(s, left);
                return;
            }
            add_dup(s, behind);
            cursor_skip(&payload, behind);
            seq += behind;
            left -= behind;
        }
        if (left == 0)
            return;

        if (seq == s->next_seq) {
            /* In order: hand the caller's bytes straight on, stopping where
             * queued data begins, because those bytes were seen first. */
            uint32_t n = left;
            struct cursor piece;
            size_t plen = 0;
            const uint8_t *p = NULL;

            if (s->queue && s->queue->seq - seq < n)
                n = s->queue->seq - seq;
            if (cursor_sub(&payload, n, &piece))
                p = cursor_rest(&piece, &plen);
            seq += n;
            deliver(s, side, p, (uint32_t)plen, ts_us, sink);
            continue;
        }

        uint32_t need = queue_insert(s, lim, seq, left, NULL, false);
        if (need == 0) {
            add_dup(s, left);
            return;
        }
        if ((uint64_t)s->queued_bytes + need > cap) {
            /* Over the cap: give up on the earliest hole and deliver the
             * earliest data held, then try again. A segment that alone
             * exceeds the cap ends up delivered at once. */
            if (s->queue && seq_before(s->queue->seq, seq))
                skip_to(s, side, s->queue->seq, sink);
            else
                skip_to(s, side, seq, sink);
            continue;
        }
        queue_insert(s, lim, seq, left, &payload, true);
        return;
    }
}

void tcp_stream_acked(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint32_t ack, uint64_t ts_us,
                      const struct stream_sink *sink)
{
    stream_opening_ack(&s->opening, ack);
    if (!s->started)
        return;
    if (!seq_before(s->next_seq, ack) || ack - s->next_seq >= SEQ_WINDOW)
        return;

    while (seq_before(s->next_seq, ack)) {
        if (s->queue && !seq_before(ack, s->queue->seq)) {
            /* The receiver has the bytes below the queue; we never will. */
            skip_to(s, side, s->queue->seq, sink);
            drain(s, lim, side, ts_us, sink);
            continue;
        }
        /* Nothing held below the ack: the capture lost the tail. After a FIN
         * the ack also covers the FIN's own sequence number, not a byte. */
        uint32_t target = s->fin ? ack - 1 : ack;
        if (seq_before(s->next_seq, target) &&
            target - s->next_seq < MAX_TAIL_LOSS) {
            skip_to(s, side, target, sink);
            drain(s, lim, side, ts_us, sink);
        }
        break;
    }
}

void tcp_stream_cut(struct tcp_stream *s, const struct stream_limits *lim,
                    int side, uint32_t from, uint32_t lost, uint64_t ts_us,
                    const struct stream_sink *sink)
{
    uint32_t end = from + lost;

    if (!s->started || lost == 0 || lost >= SEQ_WINDOW)
        return;
    /* Only a cut that reaches next_seq is a hole now; one past a hole still
     * open (the cut segment was queued out of order) is found later, as any
     * hole is: by an ack past it or at the flush. */
    if (seq_before(s->next_seq, from))
        return;
    while (seq_before(s->next_seq, end)) {
        uint32_t before = s->next_seq;
        uint32_t target = end;
        /* Bytes held inside the cut came from another copy: they stay. */
        if (s->queue && seq_before(s->queue->seq, end))
            target = s->queue->seq;
        skip_to(s, side, target, sink);
        drain(s, lim, side, ts_us, sink);
        if (s->next_seq == before)
            break;
    }
}

void tcp_stream_flush(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint64_t ts_us, const struct stream_sink *sink)
{
    for (;;) {
        drain(s, lim, side, ts_us, sink);
        if (s->queue == NULL)
            break;
        skip_to(s, side, s->queue->seq, sink);
    }
}

void tcp_stream_release(struct tcp_stream *s, const struct stream_limits *lim)
{
    while (s->queue) {
        struct tcp_segment *node = s->queue;
        unlink_head(s, lim);
        free(node);
    }
}
