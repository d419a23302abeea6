/* stream_opening.c — the segments of a stream's first bytes (see
 * stream_opening.h). Sequence numbers compare modulo 2^32 relative to the
 * first data byte. */
#include "stream_opening.h"

#include "../dissectors/handshake.h"

void stream_opening_syn(struct stream_opening *o, uint32_t first_seq)
{
    /* A new SYN before any data: the first attempt was abandoned. */
    if (o->based && o->n_segs > 0)
        return;
    *o = (struct stream_opening){0};
    o->based = true;
    o->base = first_seq;
}

void stream_opening_segment(struct stream_opening *o, uint32_t seq,
                            uint32_t len, uint64_t ts_us)
{
    if (!o->based || len == 0)
        return;
    uint32_t start = seq - o->base;
    if (start >= STREAM_OPENING_WINDOW)
        return; /* before the base (a stale copy) or far past the hello */
    uint32_t end = start + len;
    if (start < o->sent_end) {
        /* Sent again: counted on the first kept segment it overlaps. */
        for (uint8_t i = 0; i < o->n_segs; i++)
            if (start < o->segs[i].end && end > o->segs[i].start) {
                if (o->segs[i].resent < UINT16_MAX)
                    o->segs[i].resent++;
                break;
            }
        if (end <= o->sent_end)
            return;
    }
    if (end > o->sent_end)
        o->sent_end = end;
    if (o->n_segs < STREAM_OPENING_SEGS) {
        if (o->n_segs == 0)
            o->first_ts_us = ts_us;
        uint64_t after = ts_us > o->first_ts_us ? ts_us - o->first_ts_us : 0;
        o->segs[o->n_segs].start = start;
        o->segs[o->n_segs].end = end;
        o->segs[o->n_segs].after_us =
            after < UINT32_MAX ? (uint32_t)after : UINT32_MAX;
        o->segs[o->n_segs].resent = 0;
        o->n_segs++;
    }
}

void stream_opening_ack(struct stream_opening *o, uint32_t ack)
{
    if (!o->based)
        return;
    uint32_t rel = ack - o->base;
    if (rel <= STREAM_OPENING_WINDOW && rel > o->acked)
        o->acked = rel;
}

void stream_opening_hello_facts(const struct stream_opening *client,
                                uint32_t first_flight_bytes,
                                struct handshake *h)
{
    h->hello_tcp.known = false;
    if (!client->based || first_flight_bytes == 0 || client->n_segs == 0)
        return;
    uint8_t segments = 0;
    uint16_t resent = 0;
    uint32_t largest = 0;
    uint64_t last_ts = 0;
    for (uint8_t i = 0; i < client->n_segs; i++) {
        if (client->segs[i].start >= first_flight_bytes)
            continue;
        segments++;
        if ((uint32_t)(resent + client->segs[i].resent) <= UINT16_MAX)
            resent = (uint16_t)(resent + client->segs[i].resent);
        uint32_t n = client->segs[i].end - client->segs[i].start;
        if (n > largest)
            largest = n;
        uint64_t ts = client->first_ts_us + client->segs[i].after_us;
        if (ts > last_ts)
            last_ts = ts;
    }
    if (segments == 0)
        return;
    h->hello_tcp.known = true;
    h->hello_tcp.segments = segments;
    h->hello_tcp.retransmissions = resent;
    h->hello_tcp.largest_segment = largest;
    h->hello_tcp.acked = client->acked >= first_flight_bytes;
    /* The server's first reaction: its first byte, or the close that
     * ended the handshake. */
    uint64_t reacted = 0;
    if (h->server_response_us >= 0 && h->ch.ts_us)
        reacted = h->ch.ts_us + (uint64_t)h->server_response_us;
    if (h->ended_by_side == TLS_SIDE_SERVER &&
        (h->ended_by == ENDED_RST || h->ended_by == ENDED_FIN) &&
        h->decided_us && (reacted == 0 || h->decided_us < reacted))
        reacted = h->decided_us;
    h->hello_tcp.server_reacted_early = reacted != 0 && reacted < last_ts;
}
