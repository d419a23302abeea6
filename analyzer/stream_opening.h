/* stream_opening.h — how the first bytes of one TCP direction crossed the
 * wire: the segments that carried them, which were sent again, and how far
 * the peer acknowledged them. The client's first flight is its ClientHello,
 * so this says whether a hello was split over several segments (servers
 * and middleboxes that read one segment fail on those) and whether a large
 * hello segment was lost on the path again and again (a path MTU black
 * hole).
 *
 * Fed by tcp_stream.c with every segment, SYN and acknowledgement of the
 * direction; read when the handshake record is made. Fixed size: the first
 * STREAM_OPENING_SEGS segments within the first STREAM_OPENING_WINDOW
 * bytes are kept, later ones only counted. */
#ifndef TLSMON_STREAM_OPENING_H
#define TLSMON_STREAM_OPENING_H

#include <stdbool.h>
#include <stdint.h>

#define STREAM_OPENING_SEGS 16
#define STREAM_OPENING_WINDOW 65536u

struct stream_opening {
    bool based;            /* the SYN gave the stream's first byte */
    uint32_t base;         /* sequence number of the first data byte */
    uint32_t sent_end;     /* highest relative end sent so far */
    uint32_t acked;        /* highest relative byte the peer acknowledged */
    uint8_t n_segs;
    uint64_t first_ts_us;  /* when the first kept segment came */
    /* 16 bytes a segment: every flow holds these for both directions. */
    struct {
        uint32_t start, end; /* relative to base */
        uint32_t after_us;   /* first copy, after first_ts_us (saturates) */
        uint16_t resent;     /* copies sent again */
    } segs[STREAM_OPENING_SEGS];
};

struct handshake;

void stream_opening_syn(struct stream_opening *o, uint32_t first_seq);
void stream_opening_segment(struct stream_opening *o, uint32_t seq,
                            uint32_t len, uint64_t ts_us);
void stream_opening_ack(struct stream_opening *o, uint32_t ack);

/* The facts about the first `first_flight_bytes` of the client's stream
 * (its ClientHello records) into h->hello_tcp. The server's first
 * reaction (data, or the close that ended the handshake) comes from the
 * record's own times. */
void stream_opening_hello_facts(const struct stream_opening *client,
                                uint32_t first_flight_bytes,
                                struct handshake *h);

#endif
