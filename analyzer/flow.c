/* flow.c — the flow table: the live flows and the endpoints of recently
 * closed connections, each a flow_set (a chained hash on a symmetric hash
 * of both endpoints, doubled when it gets crowded, with its entries in age
 * order). */
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
    return memcap_cost((size_t)n * sizeof(struct flow_link *));
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

static bool set_init(struct flow_set *s, uint32_t n)
{
    s->buckets = calloc(n, sizeof(*s->buckets));
    if (!s->buckets)
        return false;
    s->mask = n - 1;
    return true;
}

static void set_free(struct flow_table *t, struct flow_set *s)
{
    if (s->buckets)
        memcap_release(t->memcap, buckets_cost(s->mask + 1));
    free(s->buckets);
    s->buckets = NULL;
}

bool flow_table_init(struct flow_table *t, uint32_t buckets_log2)
{
    memset(t, 0, sizeof(*t));
    if (buckets_log2 < 4)
        buckets_log2 = 4;
    if (buckets_log2 > 26)
        buckets_log2 = 26;
    uint32_t n = 1u << buckets_log2;
    if (!set_init(&t->live, n))
        return false;
    t->next_id = 1;
    t->id_step = 1;
    if (!set_init(&t->closed, n)) {
        set_free(t, &t->live);
        return false;
    }
    return true;
}

void flow_table_free(struct flow_table *t)
{
    struct closed_flow *c;
    while ((c = flow_closed_oldest(t)) != NULL)
        flow_closed_forget(t, c);
    set_free(t, &t->closed);
    set_free(t, &t->live);
}

void flow_table_charge(struct flow_table *t, struct memcap *m)
{
    t->memcap = m;
    memcap_force(m, buckets_cost(t->live.mask + 1) +
                        buckets_cost(t->closed.mask + 1) +
                        (uint64_t)t->live.count *
                            memcap_cost(sizeof(struct flow)) +
                        (uint64_t)t->closed.count *
                            memcap_cost(sizeof(struct closed_flow)));
}

/* Double the bucket array; a failed allocation just keeps chains longer.
 * A `spare` set takes only memory that is free: its entries are the first
 * thing given up for room, so they never make room for themselves. */
static void set_grow(struct flow_table *t, struct flow_set *s, bool spare)
{
    uint32_t n = (s->mask + 1) * 2;
    if (n == 0 || n > (1u << 26))
        return;
    /* The old and the new array exist at once while the entries move. */
    if (!(spare ? memcap_charge_spare(t->memcap, buckets_cost(n))
                : memcap_charge(t->memcap, buckets_cost(n))))
        return;
    struct flow_link **nb = calloc(n, sizeof(*nb));
    if (!nb) {
        memcap_release(t->memcap, buckets_cost(n));
        return;
    }
    for (uint32_t i = 0; i <= s->mask; i++) {
        struct flow_link *e = s->buckets[i];
        while (e) {
            struct flow_link *next = e->hash_next;
            e->hash_next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    memcap_release(t->memcap, buckets_cost(s->mask + 1));
    free(s->buckets);
    s->buckets = nb;
    s->mask = n - 1;
}

/* `e`, its hash set, joins the set as its newest entry. */
static void set_add(struct flow_table *t, struct flow_set *s,
                    struct flow_link *e, bool spare)
{
    if (s->count + 1 > (uint64_t)(s->mask + 1) * FLOW_MAX_LOAD)
        set_grow(t, s, spare);
    e->hash_next = s->buckets[e->hash & s->mask];
    s->buckets[e->hash & s->mask] = e;
    s->count++;
    age_list_push_newest(&s->age, &e->age);
}

static void set_remove(struct flow_set *s, struct flow_link *e)
{
    struct flow_link **pp = &s->buckets[e->hash & s->mask];
    while (*pp && *pp != e)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = e->hash_next;
    age_list_unlink(&s->age, &e->age);
    s->count--;
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

struct flow *flow_lookup(struct flow_table *t, const struct packet *p,
                         int *side, bool create)
{
    uint32_t h = flow_hash(p->src, p->sport, p->dst, p->dport, outer_vlan(p),
                           p->ip_proto);
    for (struct flow_link *e = t->live.buckets[h & t->live.mask]; e;
         e = e->hash_next)
        if (e->hash == h && same_endpoints((struct flow *)e, p, side))
            return (struct flow *)e;
    if (!create)
        return NULL;

    /* Room is made (older flows ended) before the entry exists. */
    struct flow *f = memcap_calloc(t->memcap, sizeof(*f));
    if (!f)
        return NULL;
    f->link.hash = h;
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
    set_add(t, &t->live, &f->link, false);
    *side = 0;
    return f;
}

void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
    /* Packet time can step back between files or on reordered captures;
     * activity time never does. */
    if (ts_us > f->last_ts_us)
        f->last_ts_us = ts_us;
    age_list_touch(&t->live.age, &f->link.age);
}

void flow_remove(struct flow_table *t, struct flow *f)
{
    set_remove(&t->live, &f->link);
    memcap_release(t->memcap, memcap_cost(sizeof(struct flow)));
    free(f);
}

/* ---- closed connections ------------------------------------------------ */

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
    c->link.hash = f->link.hash;
    c->ip_version = f->ip_version;
    c->vlan = f->n_vlan ? f->vlan[0] : 0;
    memcpy(c->addr, f->addr, sizeof(c->addr));
    memcpy(c->port, f->port, sizeof(c->port));
    c->last_ts_us = ts_us;
    set_add(t, &t->closed, &c->link, true);
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
    if (t->closed.count == 0)
        return NULL;
    uint32_t h = flow_hash(p->src, p->sport, p->dst, p->dport, outer_vlan(p),
                           p->ip_proto);
    for (struct flow_link *e = t->closed.buckets[h & t->closed.mask]; e;
         e = e->hash_next)
        if (e->hash == h && closed_matches((struct closed_flow *)e, p))
            return (struct closed_flow *)e;
    return NULL;
}

void flow_closed_touch(struct flow_table *t, struct closed_flow *c,
                       uint64_t ts_us)
{
    if (ts_us > c->last_ts_us)
        c->last_ts_us = ts_us;
    age_list_touch(&t->closed.age, &c->link.age);
}

void flow_closed_forget(struct flow_table *t, struct closed_flow *c)
{
    set_remove(&t->closed, &c->link);
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
