/* tcp_stream.c — turns the segments of one TCP direction into the in-order
 * byte stream the dissectors read, holding out-of-order data in a bounded
 * queue and telling the sink exactly where bytes were lost.
 *
 * Sequence numbers are compared modulo 2^32. Every queued byte lies less than
 * 2 GiB ahead of next_seq (segments starting a gigabyte or more ahead are
 * refused), so the serial comparison is always well defined, and the queue
 * can be ordered by it.
 *
 * The queue is an AVL tree of non-overlapping segments keyed by sequence
 * number: placing a segment costs O(log n) per queued segment it touches,
 * and a segment touches at most one more than it has bytes, so no input
 * makes the cost of a packet grow with the length of the queue. (A sorted
 * list here made one flow of 100 000 one-byte segments, every other byte
 * missing, take seconds.) Every queued segment is charged to --memcap at
 * what it costs — payload, node and allocator header — and the queue of a
 * direction is capped in that cost and in segments.
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
#include "memcap.h"

struct tcp_segment {
    struct tcp_segment *left, *right;
    uint32_t seq;
    uint32_t len;
    int32_t height; /* of the subtree rooted here: 1 for a leaf */
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

static uint64_t segment_cost(uint32_t len)
{
    return memcap_cost(sizeof(struct tcp_segment) + len);
}

uint64_t tcp_stream_segment_cost(uint32_t len)
{
    return segment_cost(len);
}

/* ---- the tree ---------------------------------------------------------- */

static int32_t tree_height(const struct tcp_segment *n)
{
    return n ? n->height : 0;
}

static void update_height(struct tcp_segment *n)
{
    int32_t l = tree_height(n->left), r = tree_height(n->right);
    n->height = 1 + (l > r ? l : r);
}

static struct tcp_segment *rotate_right(struct tcp_segment *n)
{
    struct tcp_segment *l = n->left;
    n->left = l->right;
    l->right = n;
    update_height(n);
    update_height(l);
    return l;
}

static struct tcp_segment *rotate_left(struct tcp_segment *n)
{
    struct tcp_segment *r = n->right;
    n->right = r->left;
    r->left = n;
    update_height(n);
    update_height(r);
    return r;
}

static struct tcp_segment *rebalance(struct tcp_segment *n)
{
    update_height(n);
    int32_t balance = tree_height(n->left) - tree_height(n->right);
    if (balance > 1) {
        if (tree_height(n->left->left) < tree_height(n->left->right))
            n->left = rotate_left(n->left);
        return rotate_right(n);
    }
    if (balance < -1) {
        if (tree_height(n->right->right) < tree_height(n->right->left))
            n->right = rotate_right(n->right);
        return rotate_left(n);
    }
    return n;
}

/* The recursion is as deep as the tree: under 1.45 log2(n) + 2 levels. */
static struct tcp_segment *tree_insert(struct tcp_segment *root,
                                       struct tcp_segment *node)
{
    if (!root)
        return node;
    if (seq_before(node->seq, root->seq))
        root->left = tree_insert(root->left, node);
    else
        root->right = tree_insert(root->right, node);
    return rebalance(root);
}

/* Unlink the first segment into *first; returns the new root. */
static struct tcp_segment *tree_take_first(struct tcp_segment *root,
                                           struct tcp_segment **first)
{
    if (!root->left) {
        *first = root;
        return root->right;
    }
    root->left = tree_take_first(root->left, first);
    return rebalance(root);
}

static const struct tcp_segment *tree_first(const struct tcp_segment *n)
{
    while (n && n->left)
        n = n->left;
    return n;
}

/* The first segment that ends after `pos`. Segments do not overlap, so
 * their ends are in the same order as their starts. */
static const struct tcp_segment *tree_first_ending_after(
    const struct tcp_segment *n, uint32_t pos)
{
    const struct tcp_segment *found = NULL;
    while (n) {
        if (seq_before(pos, n->seq + n->len)) {
            found = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return found;
}

int tcp_stream_queue_height(const struct tcp_stream *s)
{
    return (int)tree_height(s->queue);
}

static void tree_free(struct tcp_segment *n)
{
    if (!n)
        return;
    tree_free(n->left);
    tree_free(n->right);
    free(n);
}

/* ---- delivery ----------------------------------------------------------- */

static void deliver(struct tcp_stream *s, int side, const uint8_t *data,
                    uint32_t len, uint64_t ts_us,
                    const struct stream_sink *sink)
{
    if (len == 0)
        return;
    s->next_seq += len;
    s->delivered += len;
    if (s->hole_pending && !seq_before(s->next_seq, s->hole_ack)) {
        /* The bytes the peer had acknowledged came after all. */
        s->hole_pending = false;
        s->late_fills++;
    } else if (s->hole_pending) {
        s->hole_wait = 0; /* they are coming: wait on from here */
    }
    if (sink && sink->data)
        sink->data(sink->ctx, side, data, len, ts_us);
}

/* Declare everything between next_seq and `target` lost. */
static void skip_to(struct tcp_stream *s, int side, uint32_t target,
                    bool over_cap, const struct stream_sink *sink)
{
    uint32_t len = target - s->next_seq;

    if (len == 0)
        return;
    s->next_seq = target;
    s->gaps++;
    s->gap_bytes += len;
    if (over_cap)
        s->cap_gaps++;
    if (s->hole_pending && !seq_before(s->next_seq, s->hole_ack))
        s->hole_pending = false;
    if (sink && sink->gap)
        sink->gap(sink->ctx, side, len);
}

static void unaccount(struct tcp_stream *s, const struct stream_limits *lim,
                      const struct tcp_segment *node)
{
    uint64_t cost = segment_cost(node->len);

    s->queued_bytes -= node->len;
    s->queued_segments--;
    s->queued_cost -= cost;
    if (lim && lim->held_total)
        *lim->held_total -= node->len;
    if (lim)
        memcap_release(lim->memcap, cost);
}

/* Deliver queued segments that have become contiguous with next_seq. */
static void drain(struct tcp_stream *s, const struct stream_limits *lim,
                  int side, uint64_t ts_us, const struct stream_sink *sink)
{
    const struct tcp_segment *first;

    while ((first = tree_first(s->queue)) != NULL &&
           !seq_before(s->next_seq, first->seq)) {
        struct tcp_segment *node;
        s->queue = tree_take_first(s->queue, &node);
        unaccount(s, lim, node);

        uint32_t behind = s->next_seq - node->seq;
        struct cursor c = cursor_make(node->data, node->len);
        size_t n = 0;
        const uint8_t *rest = NULL;
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

/* ---- placing out-of-order data ----------------------------------------- */

/* What the bytes [seq, seq + len) not already queued would add. */
struct insert_plan {
    uint32_t bytes;
    uint32_t segments;
    uint64_t cost;
};

/* Walk the queue over [seq, seq + len): the pieces not held yet are new
 * (the first copy of a byte wins). With `payload` NULL only plan; else
 * queue the pieces, consuming `payload` as the walk goes, and return false
 * if memory ran out (the bytes left are dropped; the hole they leave is
 * declared later, by an ack or the flush). */
static bool walk_insert(struct tcp_stream *s, const struct stream_limits *lim,
                        uint32_t seq, uint32_t len, struct cursor *payload,
                        struct insert_plan *plan)
{
    uint32_t pos = seq, end = seq + len;

    *plan = (struct insert_plan){0, 0, 0};
    while (pos != end) {
        const struct tcp_segment *held = tree_first_ending_after(s->queue, pos);
        uint32_t stop = held && seq_before(held->seq, end) ? held->seq : end;

        if (seq_before(pos, stop)) {
            uint32_t n = stop - pos;
            plan->bytes += n;
            plan->segments++;
            plan->cost += segment_cost(n);
            if (payload) {
                struct tcp_segment *fresh = malloc(sizeof(*fresh) + n);
                if (fresh == NULL || !cursor_copy(payload, fresh->data, n)) {
                    free(fresh);
                    return false;
                }
                fresh->seq = pos;
                fresh->len = n;
                fresh->left = fresh->right = NULL;
                fresh->height = 1;
                s->queue = tree_insert(s->queue, fresh);
                s->queued_bytes += n;
                s->queued_segments++;
                s->queued_cost += segment_cost(n);
                if (lim && lim->held_total)
                    *lim->held_total += n;
            }
        }
        if (stop == end)
            break;
        /* Step over the bytes `held` already has. */
        uint32_t from = seq_before(pos, stop) ? stop : pos;
        uint32_t held_end = held->seq + held->len;
        uint32_t next = seq_before(held_end, end) ? held_end : end;
        if (payload) {
            add_dup(s, next - from);
            if (!cursor_skip(payload, next - from))
                return true;
        }
        pos = next;
    }
    return true;
}

/* Can the queue take `plan`? Charges --memcap when it can. */
static bool queue_room(struct tcp_stream *s, const struct stream_limits *lim,
                       const struct insert_plan *plan)
{
    uint64_t cap = lim ? lim->max_queued_bytes : 0;
    uint32_t max_segments = lim && lim->max_queued_segments
                                ? lim->max_queued_segments
                                : TCP_DEFAULT_MAX_SEGMENTS;

    if (s->queued_cost + plan->cost > cap ||
        (uint64_t)s->queued_segments + plan->segments > max_segments)
        return false;
    return memcap_charge(lim->memcap, plan->cost);
}

static void place_segment(struct tcp_stream *s,
                          const struct stream_limits *lim, int side,
                          uint32_t seq, struct cursor payload, uint64_t ts_us,
                          const struct stream_sink *sink)
{
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
            if (!cursor_skip(&payload, behind))
                return; /* behind < left: cannot happen */
            seq += behind;
            left -= behind;
        }
        if (left == 0)
            return;

        const struct tcp_segment *first = tree_first(s->queue);
        if (seq == s->next_seq) {
            /* In order: hand the caller's bytes straight on, stopping where
             * queued data begins, because those bytes were seen first. */
            uint32_t n = left;
            struct cursor piece;
            size_t plen = 0;
            const uint8_t *p = NULL;

            if (first && first->seq - seq < n)
                n = first->seq - seq;
            if (cursor_sub(&payload, n, &piece))
                p = cursor_rest(&piece, &plen);
            seq += n;
            deliver(s, side, p, (uint32_t)plen, ts_us, sink);
            continue;
        }

        struct insert_plan plan;
        walk_insert(s, lim, seq, left, NULL, &plan);
        if (plan.bytes == 0) {
            add_dup(s, left);
            return;
        }
        if (!queue_room(s, lim, &plan)) {
            /* Over a cap: give up on the earliest hole and deliver the
             * earliest data held, then try again. A segment that alone
             * exceeds the cap ends up delivered at once. */
            if (first && seq_before(first->seq, seq))
                skip_to(s, side, first->seq, true, sink);
            else
                skip_to(s, side, seq, true, sink);
            continue;
        }
        uint64_t before = s->queued_cost;
        if (!walk_insert(s, lim, seq, left, &payload, &plan) && lim)
            memcap_release(lim->memcap, plan.cost - (s->queued_cost - before));
        return;
    }
}

/* The peer acknowledged bytes we do not have, and they have not come:
 * the holes below the acknowledgement are lost. */
static void declare_acked_holes(struct tcp_stream *s,
                                const struct stream_limits *lim, int side,
                                uint64_t ts_us, const struct stream_sink *sink)
{
    uint32_t ack = s->hole_ack;

    s->hole_pending = false;
    while (seq_before(s->next_seq, ack)) {
        const struct tcp_segment *first = tree_first(s->queue);
        if (first && !seq_before(ack, first->seq)) {
            /* The receiver has the bytes below the queue; we never will. */
            skip_to(s, side, first->seq, false, sink);
            drain(s, lim, side, ts_us, sink);
            continue;
        }
        /* Nothing held below the ack: the capture lost the tail. After a FIN
         * the ack also covers the FIN's own sequence number, not a byte. */
        uint32_t target = s->fin ? ack - 1 : ack;
        if (seq_before(s->next_seq, target) &&
            target - s->next_seq < MAX_TAIL_LOSS) {
            skip_to(s, side, target, false, sink);
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
        const struct tcp_segment *first = tree_first(s->queue);
        if (first && seq_before(first->seq, end))
            target = first->seq;
        skip_to(s, side, target, false, sink);
        drain(s, lim, side, ts_us, sink);
        if (s->next_seq == before)
            break;
    }
}

/* One more packet of the connection while a hole waits for its data. */
static void hole_tick(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint64_t ts_us, const struct stream_sink *sink)
{
    if (!s->hole_pending)
        return;
    if (++s->hole_wait < TCP_HOLE_WAIT_PACKETS)
        return;
    declare_acked_holes(s, lim, side, ts_us, sink);
}

/* ---- API ------------------------------------------------------------------ */

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
        s->hole_pending = false;
        s->peer_acked = false;
    }
    stream_opening_syn(&s->opening, isn + 1);
}

void tcp_stream_segment(struct tcp_stream *s, const struct stream_limits *lim,
                        int side, uint32_t seq, const uint8_t *data,
                        uint32_t len, uint64_t ts_us,
                        const struct stream_sink *sink)
{
    struct cursor payload = cursor_make(data, len);

    if (cursor_left(&payload) == 0 || len >= SEQ_WINDOW)
        return;
    stream_opening_segment(&s->opening, seq, len, ts_us);
    place_segment(s, lim, side, seq, payload, ts_us, sink);
    hole_tick(s, lim, side, ts_us, sink);
}

void tcp_stream_acked(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint32_t ack, uint64_t ts_us,
                      const struct stream_sink *sink)
{
    stream_opening_ack(&s->opening, ack);
    if (!s->started) {
        /* No byte of this direction yet (a capture that began
         * mid-connection): the acknowledgement says where it stands. */
        if (!s->peer_acked || (seq_before(s->peer_ack, ack) &&
                               ack - s->peer_ack < SEQ_WINDOW))
            s->peer_ack = ack;
        s->peer_acked = true;
        return;
    }
    bool ahead = seq_before(s->next_seq, ack);
    uint32_t distance = ahead ? ack - s->next_seq : s->next_seq - ack;
    if (distance >= SEQ_WINDOW)
        return; /* not an acknowledgement of this connection's bytes */
    if (!ahead || distance < MAX_TAIL_LOSS) {
        if (!s->peer_acked || seq_before(s->peer_ack, ack))
            s->peer_ack = ack;
        s->peer_acked = true;
    }
    if (ahead && !s->hole_pending) {
        s->hole_pending = true;
        s->hole_wait = 0;
        s->hole_ack = ack;
        return;
    }
    if (ahead && seq_before(s->hole_ack, ack))
        s->hole_ack = ack;
    hole_tick(s, lim, side, ts_us, sink);
}

void tcp_stream_window(struct tcp_stream *s, uint32_t bytes)
{
    if (bytes > s->window)
        s->window = bytes;
}

bool tcp_stream_rst_in_window(const struct tcp_stream *s, uint32_t seq)
{
    if ((!s->started && !s->peer_acked) || s->window == 0)
        return true;
    /* From the lowest byte the receiver may still expect (a stack resets
     * from its unacknowledged data too) to the end of the largest window it
     * offered past the highest byte known to be sent; one more for a FIN.
     * Before any byte of this direction, the peer's acknowledgement is
     * where it stands. */
    uint32_t start = s->started ? s->next_seq : s->peer_ack;
    uint32_t low = start, high = start;
    if (s->peer_acked && seq_before(s->peer_ack, low))
        low = s->peer_ack;
    if (s->peer_acked && seq_before(high, s->peer_ack))
        high = s->peer_ack;
    if (s->hole_pending && seq_before(high, s->hole_ack))
        high = s->hole_ack;
    uint32_t window = s->window < SEQ_WINDOW ? s->window : SEQ_WINDOW;
    return !seq_before(seq, low) && seq_before(seq, high + window + 1);
}

void tcp_stream_flush(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint64_t ts_us, const struct stream_sink *sink)
{
    /* No more bytes come: what the peer acknowledged and we never saw is
     * lost now. */
    if (s->hole_pending)
        declare_acked_holes(s, lim, side, ts_us, sink);
    for (;;) {
        drain(s, lim, side, ts_us, sink);
        const struct tcp_segment *first = tree_first(s->queue);
        if (first == NULL)
            break;
        skip_to(s, side, first->seq, false, sink);
    }
}

void tcp_stream_release(struct tcp_stream *s, const struct stream_limits *lim)
{
    tree_free(s->queue);
    s->queue = NULL;
    if (lim && lim->held_total)
        *lim->held_total -= s->queued_bytes;
    if (lim)
        memcap_release(lim->memcap, s->queued_cost);
    s->queued_bytes = 0;
    s->queued_segments = 0;
    s->queued_cost = 0;
    s->hole_pending = false;
}
