/* alert_flood.c — identical alerts within a window counted, not repeated
 * (see alert_flood.h). */
#include <stdlib.h>
#include <string.h>

#include "alert_flood.h"
#include "engine.h"
#include "fnv1a.h"

/* The size of the fixed table the header promises; no caller depends on
 * it, so it is kept here. */
#define ALERT_FLOOD_SLOTS 8192

struct flood_slot {
    const struct rule *rule;  /* NULL: free */
    struct endpoint server;
    uint8_t client_version;
    uint8_t client_addr[16];
    uint64_t window_start_us;
    uint32_t suppressed;      /* since the last alert sent for the key */
};

struct alert_flood {
    uint64_t window_us;
    struct flood_slot slots[ALERT_FLOOD_SLOTS];
};

struct alert_flood *alert_flood_new(uint64_t window_us)
{
    struct alert_flood *af = calloc(1, sizeof(*af));
    if (af)
        af->window_us = window_us;
    return af;
}

void alert_flood_free(struct alert_flood *af)
{
    free(af);
}

/* The rule enters by its id, never its address: where the allocator put
 * the rules differs between runs (address randomisation) and builds, and
 * which keys share a slot, so which alerts are held back, must not. */
static size_t slot_of(const struct rule *r, const struct handshake *h)
{
    uint64_t x = fnv1a64_str(FNV1A64_START, r->id);
    const uint8_t *parts[2] = {h->server.addr, h->client.addr};
    for (int k = 0; k < 2; k++)
        x = fnv1a64_bytes(x, parts[k], 16);
    x = fnv1a64_mix(x, h->server.port);
    return (size_t)(x % ALERT_FLOOD_SLOTS);
}

static bool same_key(const struct flood_slot *s, const struct rule *r,
                     const struct handshake *h)
{
    return s->rule == r && s->server.port == h->server.port &&
           s->server.ip_version == h->server.ip_version &&
           !memcmp(s->server.addr, h->server.addr, 16) &&
           s->client_version == h->client.ip_version &&
           !memcmp(s->client_addr, h->client.addr, 16);
}

size_t alert_flood_filter(struct alert_flood *af, struct handshake *h,
                          uint64_t now_us)
{
    size_t suppressed = 0;
    for (size_t i = 0; i < h->report->findings.n; i++) {
        struct finding *f = &h->report->findings.v[i];
        f->suppressed = false;
        f->repeats = 0;
        if (!af || af->window_us == 0)
            continue;
        struct flood_slot *s = &af->slots[slot_of(f->rule, h)];
        if (same_key(s, f->rule, h) && now_us >= s->window_start_us &&
            now_us - s->window_start_us < af->window_us) {
            f->suppressed = true;
            s->suppressed++;
            suppressed++;
            continue;
        }
        if (same_key(s, f->rule, h))
            f->repeats = s->suppressed;
        s->rule = f->rule;
        s->server = h->server;
        s->client_version = h->client.ip_version;
        memcpy(s->client_addr, h->client.addr, 16);
        s->window_start_us = now_us;
        s->suppressed = 0;
    }
    return suppressed;
}
