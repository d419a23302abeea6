/* flow.c — the flow table: chained hash on a symmetric hash of both
 * endpoints, doubled when it gets crowded, plus the LRU list; and the
 * endpoints of recently closed connections, hashed the same way. */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "memcap.h"

/* Grow when the average chain would pass this length. */
#define FLOW_MAX_LOAD 2
/* RFC 7323 §2.3: a shift count above 14 is used as 14. */
#define MAX_WSCALE 14
/* The scale assumed when the SYNs were not seen (a capture that began
 * mid-connection): Linux's default. Taking 14 would make the window a
 * gigabyte and let a quarter of all random RSTs through. */
#define UNSEEN_WSCALE 7

static uint64_t buckets_cost(uint32_t n)
{
    return memcap_cost((size_t)n * sizeof(struct flow *));
}

static uint64_t closed_buckets_cost(uint32_t n)
{
    return memcap_cost((size_t)n * sizeof(struct closed_flow *));
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t endpoint_hash(const uint8_t addr[16], uint16_t port)
{
    uint64_t a, b;
    memcpy(&a, addr, 8);
    memcpy(&b, addr + 8, 8);
    return mix64(a ^ mix64(b ^ ((uint64_t)port << 1)));
}

/* Same value from either direction: the two endpoint hashes are combined
 * with an order-free operation. */
static uint32_t flow_hash(const uint8_t *a, uint16_t pa, const uint8_t *b,
                          uint16_t pb, uint16_t vlan, uint8_t proto)
{
    uint64_t h = endpoint_hash(a, pa) + endpoint_hash(b, pb);
    return (uint32_t)mix64(h ^ vlan ^ ((uint64_t)proto << 16));
}

bool flow_table_init(struct flow_table *t, uint32_t buckets_log2)
{
    memset(t, 0, sizeof(*t));
    if (buckets_log2 < 4)
        buckets_log2 = 4;
    if (buckets_log2 > 26)
        buckets_log2 = 26;
    uint32_t n = 1u << buckets_log2;
    t->buckets = calloc(n, sizeof(*t->buckets));
    if (!t->buckets)
        return false;
    t->mask = n - 1;
    t->next_id = 1;
    t->id_step = 1;
    t->closed_buckets = calloc(n, sizeof(*t->closed_buckets));
    if (!t->closed_buckets) {
        free(t->buckets);
        t->buckets = NULL;
        return false;
    }
    t->closed_mask = n - 1;
    return true;
}

void flow_table_free(struct flow_table *t)
{
    while (t->closed_oldest)
        flow_closed_forget(t, t->closed_oldest);
    if (t->closed_buckets)
        memcap_release(t->memcap, closed_buckets_cost(t->closed_mask + 1));
    free(t->closed_buckets);
    t->closed_buckets = NULL;
    if (t->buckets)
        memcap_release(t->memcap, buckets_cost(t->mask + 1));
    free(t->buckets);
    t->buckets = NULL;
}

void flow_table_charge(struct flow_table *t, struct memcap *m)
{
    t->memcap = m;
    memcap_force(m, buckets_cost(t->mask + 1) +
                        closed_buckets_cost(t->closed_mask + 1) +
                        (uint64_t)t->count * memcap_cost(sizeof(struct flow)) +
                        (uint64_t)t->closed_count *
                            memcap_cost(sizeof(struct closed_flow)));
}

static uint16_t outer_vlan(const struct packet *p)
{
    return p->n_vlan ? p->vlan[0] : 0;
}

static bool same_endpoints(const struct flow *f, const struct packet *p,
                           int *side)
{
    uint16_t vlan = f->n_vlan ? f->vlan[0] : 0;
    if (f->ip_version != p->ip_version || f->ip_proto != p->ip_proto ||
        vlan != outer_vlan(p))
        return false;
    if (f->port[0] == p->sport && f->port[1] == p->dport &&
        memcmp(f->addr[0], p->src, 16) == 0 &&
        memcmp(f->addr[1], p->dst, 16) == 0) {
        *side = 0;
        return true;
    }
    if (f->port[1] == p->sport && f->port[0] == p->dport &&
        memcmp(f->addr[1], p->src, 16) == 0 &&
        memcmp(f->addr[0], p->dst, 16) == 0) {
        *side = 1;
        return true;
    }
    return false;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        t->lru_head = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        t->lru_tail = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f)
{
    f->lru_prev = t->lru_tail;
    f->lru_next = NULL;
    if (t->lru_tail)
        t->lru_tail->lru_next = f;
    else
        t->lru_head = f;
    t->lru_tail = f;
}

/* Double the bucket array; a failed allocation just keeps chains longer. */
static void grow(struct flow_table *t)
{
    uint32_t n = (t->mask + 1) * 2;
    if (n == 0 || n > (1u << 26))
        return;
    /* The old and the new array exist at once while the flows move. */
    if (!memcap_charge(t->memcap, buckets_cost(n)))
        return;
    struct flow **nb = calloc(n, sizeof(*nb));
    if (!nb) {
        memcap_release(t->memcap, buckets_cost(n));
        return;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        struct flow *f = t->buckets[i];
        while (f) {
            struct flow *next = f->hash_next;
            f->hash_next = nb[f->hash & (n - 1)];
            nb[f->hash & (n - 1)] = f;
            f = next;
        }
    }
    memcap_release(t->memcap, buckets_cost(t->mask + 1));
    free(t->buckets);
    t->buckets = nb;
    t->mask = n - 1;
}

struct flow *flow_lookup(struct flow_table *t, const struct packet *p,
                         int *side, bool create)
{
    uint32_t h = flow_hash(p->src, p->sport, p->dst, p->dport, outer_vlan(p),
                           p->ip_proto);
    for (struct flow *f = t->buckets[h & t->mask]; f; f = f->hash_next)
        if (f->hash == h && same_endpoints(f, p, side))
            return f;
    if (!create)
        return NULL;

    /* Room is made (older flows ended) before the entry exists. */
    if (!memcap_charge(t->memcap, memcap_cost(sizeof(struct flow))))
        return NULL;
    struct flow *f = calloc(1, sizeof(*f));
    if (!f) {
        memcap_release(t->memcap, memcap_cost(sizeof(struct flow)));
        return NULL;
    }
    f->hash = h;
    f->ip_version = p->ip_version;
    f->ip_proto = p->ip_proto;
    f->n_vlan = p->n_vlan;
    memcpy(f->vlan, p->vlan, sizeof(f->vlan));
    memcpy(f->addr[0], p->src, 16);
    memcpy(f->addr[1], p->dst, 16);
    f->port[0] = p->sport;
    f->port[1] = p->dport;
    f->id = t->next_id;
    t->next_id += t->id_step;
    f->first_ts_us = f->last_ts_us = p->ts_us;
    f->syn_client_side = -1;
    f->wscale[0] = f->wscale[1] = -1;
    tcp_stream_init(&f->stream[0]);
    tcp_stream_init(&f->stream[1]);

    if (t->count + 1 > (uint64_t)(t->mask + 1) * FLOW_MAX_LOAD)
        grow(t);
    f->hash_next = t->buckets[h & t->mask];
    t->buckets[h & t->mask] = f;
    t->count++;
    lru_append(t, f);
    *side = 0;
    return f;
}

void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
    /* Packet time can step back between files or on reordered captures;
     * activity time never does. */
    if (ts_us > f->last_ts_us)
        f->last_ts_us = ts_us;
    if (t->lru_tail != f) {
        lru_unlink(t, f);
        lru_append(t, f);
    }
}

void flow_remove(struct flow_table *t, struct flow *f)
{
    struct flow **pp = &t->buckets[f->hash & t->mask];
    while (*pp && *pp != f)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = f->hash_next;
    lru_unlink(t, f);
    t->count--;
    memcap_release(t->memcap, memcap_cost(sizeof(struct flow)));
    free(f);
}

/* ---- closed connections ------------------------------------------------ */

static void closed_unlink_age(struct flow_table *t, struct closed_flow *c)
{
    if (c->older)
        c->older->newer = c->newer;
    else
        t->closed_oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        t->closed_newest = c->older;
    c->older = c->newer = NULL;
}

static void closed_append_age(struct flow_table *t, struct closed_flow *c)
{
    c->older = t->closed_newest;
    c->newer = NULL;
    if (t->closed_newest)
        t->closed_newest->newer = c;
    else
        t->closed_oldest = c;
    t->closed_newest = c;
}

/* Double the closed buckets; a failed allocation keeps chains longer. */
static void closed_grow(struct flow_table *t)
{
    uint32_t n = (t->closed_mask + 1) * 2;
    if (n == 0 || n > (1u << 26))
        return;
    if (!memcap_charge_spare(t->memcap, closed_buckets_cost(n)))
        return;
    struct closed_flow **nb = calloc(n, sizeof(*nb));
    if (!nb) {
        memcap_release(t->memcap, closed_buckets_cost(n));
        return;
    }
    for (uint32_t i = 0; i <= t->closed_mask; i++) {
        struct closed_flow *c = t->closed_buckets[i];
        while (c) {
            struct closed_flow *next = c->hash_next;
            c->hash_next = nb[c->hash & (n - 1)];
            nb[c->hash & (n - 1)] = c;
            c = next;
        }
    }
    memcap_release(t->memcap, closed_buckets_cost(t->closed_mask + 1));
    free(t->closed_buckets);
    t->closed_buckets = nb;
    t->closed_mask = n - 1;
}

bool flow_closed_add(struct flow_table *t, const struct flow *f,
                     uint64_t ts_us)
{
    /* Endpoints are the first thing given up for room (see the owner's
     * reclaim), so they never make room for themselves. */
    if (!memcap_charge_spare(t->memcap, memcap_cost(sizeof(struct closed_flow))))
        return false;
    struct closed_flow *c = calloc(1, sizeof(*c));
    if (!c) {
        memcap_release(t->memcap, memcap_cost(sizeof(struct closed_flow)));
        return false;
    }
    c->hash = f->hash;
    c->ip_version = f->ip_version;
    c->vlan = f->n_vlan ? f->vlan[0] : 0;
    memcpy(c->addr, f->addr, sizeof(c->addr));
    memcpy(c->port, f->port, sizeof(c->port));
    c->last_ts_us = ts_us;
    if (t->closed_count + 1 > (uint64_t)(t->closed_mask + 1) * FLOW_MAX_LOAD)
        closed_grow(t);
    c->hash_next = t->closed_buckets[c->hash & t->closed_mask];
    t->closed_buckets[c->hash & t->closed_mask] = c;
    t->closed_count++;
    closed_append_age(t, c);
    return true;
}

static bool closed_matches(const struct closed_flow *c,
                           const struct packet *p)
{
    if (c->ip_version != p->ip_version || c->vlan != outer_vlan(p))
        return false;
    for (int s = 0; s < 2; s++)
        if (c->port[s] == p->sport && c->port[1 - s] == p->dport &&
            memcmp(c->addr[s], p->src, 16) == 0 &&
            memcmp(c->addr[1 - s], p->dst, 16) == 0)
            return true;
    return false;
}

struct closed_flow *flow_closed_find(const struct flow_table *t,
                                     const struct packet *p)
{
    if (t->closed_count == 0)
        return NULL;
    uint32_t h = flow_hash(p->src, p->sport, p->dst, p->dport, outer_vlan(p),
                           p->ip_proto);
    for (struct closed_flow *c = t->closed_buckets[h & t->closed_mask]; c;
         c = c->hash_next)
        if (c->hash == h && closed_matches(c, p))
            return c;
    return NULL;
}

void flow_closed_touch(struct flow_table *t, struct closed_flow *c,
                       uint64_t ts_us)
{
    if (ts_us > c->last_ts_us)
        c->last_ts_us = ts_us;
    if (t->closed_newest != c) {
        closed_unlink_age(t, c);
        closed_append_age(t, c);
    }
}

void flow_closed_forget(struct flow_table *t, struct closed_flow *c)
{
    struct closed_flow **pp = &t->closed_buckets[c->hash & t->closed_mask];
    while (*pp && *pp != c)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = c->hash_next;
    closed_unlink_age(t, c);
    t->closed_count--;
    free(c);
    memcap_release(t->memcap, memcap_cost(sizeof(struct closed_flow)));
}

void flow_note_syn(struct flow *f, int side, int wscale)
{
    f->syn_from[side] = true;
    f->wscale[side] = (int8_t)(wscale < 0            ? -1
                               : wscale > MAX_WSCALE ? MAX_WSCALE
                                                     : wscale);
}

uint32_t flow_offered_window(const struct flow *f, int side, uint16_t window,
                             bool syn)
{
    int shift;
    if (syn)
        shift = 0;
    else if (!f->syn_from[0] || !f->syn_from[1])
        shift = UNSEEN_WSCALE;
    else if (f->wscale[0] < 0 || f->wscale[1] < 0)
        shift = 0;
    else
        shift = f->wscale[side];
    return (uint32_t)window << shift;
}
