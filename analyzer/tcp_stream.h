/* tcp_stream.h — reassembly of one direction of a TCP connection into the
 * in-order byte stream the dissectors read.
 *
 * Policy: out-of-order segments wait in a bounded queue; retransmitted and
 * overlapping bytes are dropped in favour of the first copy seen (what was
 * delivered stays delivered); sequence numbers compare modulo 2^32. A hole is
 * declared — and the sink told its size — when the peer acknowledges data
 * past it (we missed it; the receiver did not), when the queue exceeds its
 * cap, or when the stream is flushed at its end. */
#ifndef TLSMON_TCP_STREAM_H
#define TLSMON_TCP_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "stream_opening.h"

struct tcp_segment; /* private */

/* Where in-order bytes go. `side` is the flow side (0 or 1) this stream is. */
struct stream_sink {
    void (*data)(void *ctx, int side, const uint8_t *data, uint32_t len,
                 uint64_t ts_us);
    void (*gap)(void *ctx, int side, uint32_t len);
    void *ctx;
};

struct stream_limits {
    uint32_t max_queued_bytes; /* out-of-order bytes held per direction */
    uint64_t *held_total;      /* global bytes-held counter, may be NULL */
};

struct tcp_stream {
    bool started;       /* next_seq is known */
    bool fin;
    uint32_t next_seq;  /* first byte not yet delivered */
    struct tcp_segment *queue; /* sorted by seq, non-overlapping */
    uint32_t queued_bytes;
    uint64_t delivered;
    uint32_t gaps;
    uint64_t gap_bytes;
    uint32_t dup_bytes; /* retransmitted or overlapping bytes dropped */
    struct stream_opening opening; /* how the first bytes crossed TCP */
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

/* The peer acknowledged everything before `ack`: any hole below it will never
 * be filled from this capture. */
void tcp_stream_acked(struct tcp_stream *s, const struct stream_limits *lim,
                      int side, uint32_t ack, uint64_t ts_us,
                      const struct stream_sink *sink);

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

#endif
