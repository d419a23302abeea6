/* memcap.h — the one memory budget of a pipeline (--memcap). Every buffer
 * that grows with what the traffic sends (flows, reassembly queues, TLS
 * records and handshake messages, certificate and OCSP copies, STARTTLS
 * buffers, QUIC CRYPTO bytes held out of order, DTLS messages being
 * rebuilt, nDPI's per-flow state) is charged here at the moment it grows,
 * at what it really costs (the allocation and the allocator's own header,
 * see memcap_cost), and released when it is freed.
 *
 * A charge that would pass the cap first asks the owner to reclaim (the
 * pipeline ends its least recently active flows, never the one being
 * processed); if that cannot make room, the charge is refused and the
 * caller drops the bytes and records the loss (a gap, a skipped message).
 * Growth the caller cannot refuse (a new flow entry, nDPI's own
 * allocations) is forced through and the cap enforced right after it. */
#ifndef TLSMON_MEMCAP_H
#define TLSMON_MEMCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memcap {
    uint64_t limit;     /* bytes; 0 = no limit */
    uint64_t used;
    uint64_t peak;
    uint64_t refused;   /* charges refused: data dropped, loss recorded */
    uint64_t refused_bytes;
    /* Free memory held elsewhere until `need` more bytes fit, or return
     * false when nothing more can be given up. NULL: never reclaims. */
    bool (*reclaim)(void *ctx, uint64_t need);
    void *reclaim_ctx;
    bool reclaiming;    /* a reclaim in progress does not recurse */
};

/* What a malloc of `n` bytes costs with glibc: the size word before the
 * block, rounded up to 16 bytes, never less than 32. (Large blocks are
 * mapped whole pages; the difference is under 0.1 % past 128 KiB.) */
static inline uint64_t memcap_cost(size_t n)
{
    uint64_t c = ((uint64_t)n + 8u + 15u) & ~(uint64_t)15u;
    return c < 32u ? 32u : c;
}

/* Charge `n` bytes, reclaiming if needed; false (nothing charged) when
 * they do not fit. A NULL budget accepts everything. */
bool memcap_charge(struct memcap *m, uint64_t n);
/* Charge `n` bytes only if they fit as things are, never ending a flow for
 * them: for what is worth less than any flow (a closed connection's
 * endpoints), which may be charged while a flow is being ended. */
bool memcap_charge_spare(struct memcap *m, uint64_t n);
/* Charge `n` bytes whatever the cap says; the caller calls memcap_enforce
 * (or the owner does) once it is safe to end other flows. */
void memcap_force(struct memcap *m, uint64_t n);
/* Reclaim until `n` more bytes would fit (nothing is charged): room made
 * before growth that cannot be refused, such as nDPI's. */
bool memcap_reserve(struct memcap *m, uint64_t n);
/* Reclaim until the budget is under its limit again. */
void memcap_enforce(struct memcap *m);
void memcap_release(struct memcap *m, uint64_t n);
/* A zeroed block of `n` bytes charged at memcap_cost(n) (memcap_charge's
 * rules); NULL, with nothing charged, when the budget refuses it or the
 * allocation fails. Free it with memcap_release(m, memcap_cost(n)). */
void *memcap_calloc(struct memcap *m, size_t n);

#endif
