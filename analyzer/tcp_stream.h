/* tcp_stream.h — reassembly of one direction of a TCP connection into the
 * in-order byte stream the dissectors read.
 *
 * Policy: out-of-order segments wait in a bounded queue; retransmitted and
 * overlapping bytes are dropped in favour of the first copy seen (what was
 * delivered stays delivered); sequence numbers compare modulo 2^32. A hole is
 * declared — and the sink told its size — when the peer has acknowledged data
 * past it and the data has still not come TCP_HOLE_WAIT_PACKETS packets
 * later (at a capture point the ACK often overtakes the segment it
 * acknowledges), when the queue exceeds one of its caps or --memcap refuses
 * to hold more, or when the stream is flushed at its end.
 *
 * The queue is a balanced tree by sequence number: a segment costs
 * O(log n) to place whatever the queue holds. */
#ifndef TLSMON_TCP_STREAM_H
#define TLSMON_TCP_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "stream_opening.h"

struct memcap;
struct tcp_segment; /* private */

/* Packets of the connection that may still bring the bytes below an
 * acknowledgement before the hole is declared. */
#define TCP_HOLE_WAIT_PACKETS 32
/* Segments queued per direction when the limits do not say. */
#define TCP_DEFAULT_MAX_SEGMENTS 4096

/* Where in-order bytes go. `side` is the flow side (0 or 1) this stream is. */
struct stream_sink {
    void (*data)(void *ctx, int side, const uint8_t *data, uint32_t len,
                 uint64_t ts_us);
    void (*gap)(void *ctx, int side, uint32_t len);
    void *ctx;
};

struct stream_limits {
    /* Memory the out-of-order queue of one direction may take: payload,
     * tree node and allocator header (memcap_cost) together. */
    uint32_t max_queued_bytes;
    uint32_t max_queued_segments; /* 0: TCP_DEFAULT_MAX_SEGMENTS */
    struct memcap *memcap;    /* every queued segment is charged; may be NULL */
    uint64_t *held_total;     /* global payload-bytes-held counter, may be NULL */
};

struct tcp_stream {
    bool started;       /* next_seq is known */
    bool fin;
    bool hole_pending;  /* acked past next_seq; the data may still come */
    bool peer_acked;    /* peer_ack is known */
    uint8_t hole_wait;  /* packets seen since the hole was acknowledged */
    uint32_t next_seq;  /* first byte not yet delivered */
    uint32_t hole_ack;  /* highest acknowledgement past next_seq */
    uint32_t peer_ack;  /* highest acknowledgement of this direction */
    uint32_t window;    /* largest window the receiver offered, bytes; 0 unknown */
    struct tcp_segment *queue; /* tree by seq, segments never overlap */
    uint32_t queued_bytes;     /* payload */
    uint32_t queued_segments;
    uint64_t queued_cost;      /* what the queue costs in memory */
    uint64_t delivered;
    uint32_t gaps;
    uint64_t gap_bytes;
    uint32_t dup_bytes; /* retransmitted or overlapping bytes dropped */
    struct stream_opening opening; /* how the first bytes crossed TCP */
    uint32_t late_fills; /* holes acknowledged before their data, then filled */
    uint32_t cap_gaps;   /* holes given up because a cap or --memcap was full */
};

void tcp_stream_init(struct tcp_stream *s);

/* A SYN (or SYN-ACK) with initial sequence number `isn`: data starts at
 * isn + 1. */
void tcp_stream_syn(struct tcp_stream *s, uint32_t isn);

/* One segment's payload. A stream that saw no SYN starts at the first
 * segment it is given (a capture that began mid-connection). */
void tcp_stream_segment(struct tcp_stream *s, const struct stream_limits *lim,
                        int side, uint32_t seq, const uint8_t *data,
                        uint32_t len, uint64_t ts_us,
                        const struct stream_sink *sink);

/* The peer acknowledged everything before `ack`. A hole below it will most
 * likely never be filled from this capture; it is declared once the data
 * has had TCP_HOLE_WAIT_PACKETS more packets to turn up. */
void tcp_stream_acked(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint32_t ack, uint64_t ts_us,
                      const struct stream_sink *sink);

/* The receiver of this direction offers `bytes` of window (already
 * scaled). Kept as the largest offer, for tcp_stream_rst_in_window. */
void tcp_stream_window(struct tcp_stream *s, uint32_t bytes);

/* Could a RST with sequence number `seq` sent by this direction's sender
 * be accepted by its peer? As a stack does (RFC 793, RFC 5961), only a
 * sequence number inside the receive window counts: from the lowest
 * unacknowledged byte to the window's end. Unknown state accepts. */
bool tcp_stream_rst_in_window(const struct tcp_stream *s, uint32_t seq);

/* The capture kept only the head of a segment (snaplen): the `lost` bytes
 * from `from` on crossed the wire but are not in the capture, and no copy
 * will be (a retransmission is cut the same way). When they are next in
 * line they are declared a hole at once, so the dissector knows. */
void tcp_stream_cut(struct tcp_stream *s, const struct stream_limits *lim,
                    int side, uint32_t from, uint32_t lost, uint64_t ts_us,
                    const struct stream_sink *sink);

/* End of stream: deliver what is queued, declaring the holes between. */
void tcp_stream_flush(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint64_t ts_us, const struct stream_sink *sink);

/* Drop all queued data (flow decided and bypassed, or evicted). */
void tcp_stream_release(struct tcp_stream *s, const struct stream_limits *lim);

/* What one queued segment of `len` payload bytes costs in memory. */
uint64_t tcp_stream_segment_cost(uint32_t len);
/* The height of the queue's tree (tests: it stays logarithmic). */
int tcp_stream_queue_height(const struct tcp_stream *s);

#endif
