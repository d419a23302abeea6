/* quic_budget.c — a budget of new QUIC connections per second per server
 * whose Initials are decrypted. A flood of Initials from many sources to
 * one server, none of which any key opens, costs the Initial key
 * derivation (five HMACs) per packet; past the budget a connection is
 * tracked and reported without it.
 *
 * Bounded: a fixed array of token buckets indexed by a hash of the server
 * address and port. Servers whose hash meets share a bucket rather than
 * evict each other: a newcomer never finds a bucket refilled by eviction,
 * so aiming at a busy server's slot buys nothing the server's own address
 * would not. Time is packet time: a capture read later spends and refills
 * as it did on the wire. */
#include "quic_budget.h"

#include <stdlib.h>

#include "../common/fnv1a.h"

/* Tokens are counted in millionths, so that a microsecond of packet time
 * refills exactly `rate` of them. */
#define MICRO 1000000ull

struct bucket {
    uint64_t micro_tokens;
    uint64_t last_us; /* packet time of the last refill */
};

struct quic_budget {
    uint64_t rate;       /* tokens a second = millionths a microsecond */
    uint64_t full;       /* burst, in millionths */
    struct bucket slots[QUIC_BUDGET_SLOTS];
};

struct quic_budget *quic_budget_new(uint32_t rate, uint32_t burst)
{
    if (rate == 0)
        return NULL;
    struct quic_budget *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    b->rate = rate;
    b->full = (uint64_t)(burst ? burst : rate) * MICRO;
    for (size_t i = 0; i < QUIC_BUDGET_SLOTS; i++) {
        b->slots[i].micro_tokens = b->full;
        b->slots[i].last_us = 0;
    }
    return b;
}

void quic_budget_free(struct quic_budget *b)
{
    free(b);
}

size_t quic_budget_slot(const uint8_t server[16], uint16_t port)
{
    uint32_t h = fnv1a32_bytes(FNV1A32_START, server, 16);
    h = fnv1a32_mix(h, port);
    h = fnv1a32_mix(h, port >> 8);
    return h & (QUIC_BUDGET_SLOTS - 1);
}

/* Packet time that runs backwards (reordered captures, merged files)
 * refills nothing and does not move the bucket's clock back. */
static void refill(const struct quic_budget *b, struct bucket *s,
                   uint64_t ts_us)
{
    if (ts_us <= s->last_us)
        return;
    uint64_t dt = ts_us - s->last_us;
    /* Full once dt * rate reaches the room left, asked without the
     * product (an idle hour at a high rate would overflow it). */
    uint64_t room = b->full - s->micro_tokens;
    s->micro_tokens = dt > room / b->rate ? b->full
                                           : s->micro_tokens + dt * b->rate;
    s->last_us = ts_us;
}

bool quic_budget_take(struct quic_budget *b, const uint8_t server[16],
                      uint16_t port, uint64_t ts_us)
{
    if (!b)
        return true;
    struct bucket *s = &b->slots[quic_budget_slot(server, port)];
    refill(b, s, ts_us);
    if (s->micro_tokens < MICRO)
        return false;
    s->micro_tokens -= MICRO;
    return true;
}
