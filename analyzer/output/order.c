/* order.c — the reordering window of order.h: a binary min-heap of held
 * records keyed by capture time, endpoints and arrival, so equal times
 * come out the same way on every run and with any number of workers. */
#include "order.h"

#include <stdlib.h>
#include <string.h>

struct held {
    uint64_t ts;
    uint64_t start;
    struct endpoint client, server;
    uint32_t round;
    uint64_t seq;   /* arrival: the last tie-break */
    size_t len;
    char *bytes;
};

struct record_order {
    uint64_t window_us;
    size_t max_bytes;
    struct held *heap;
    size_t n, cap;
    size_t bytes;           /* held: the records and the heap array */
    uint64_t now_us;        /* latest decision time seen */
    uint64_t seq;
    bool written_any;
    struct held last;       /* key of the last record written */
    uint64_t late;
    uint64_t peak;
};

uint64_t record_order_time(const struct handshake *h)
{
    return h->ch.seen && h->ch.ts_us ? h->ch.ts_us : h->flow_start_us;
}

struct record_order *record_order_new(uint64_t window_us, size_t max_bytes)
{
    struct record_order *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->window_us = window_us;
    o->max_bytes = max_bytes;
    return o;
}

void record_order_free(struct record_order *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++)
        free(o->heap[i].bytes);
    free(o->heap);
    free(o);
}

static int cmp_endpoint(const struct endpoint *a, const struct endpoint *b)
{
    if (a->ip_version != b->ip_version)
        return a->ip_version < b->ip_version ? -1 : 1;
    int c = memcmp(a->addr, b->addr, sizeof(a->addr));
    if (c)
        return c;
    return (a->port > b->port) - (a->port < b->port);
}

/* Negative when a goes first. */
static int cmp_held(const struct held *a, const struct held *b)
{
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    int c = cmp_endpoint(&a->client, &b->client);
    if (c)
        return c;
    c = cmp_endpoint(&a->server, &b->server);
    if (c)
        return c;
    if (a->round != b->round)
        return a->round < b->round ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static void sift_up(struct held *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (cmp_held(&h[i], &h[parent]) >= 0)
            break;
        struct held t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

static void sift_down(struct held *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && cmp_held(&h[l], &h[m]) < 0)
            m = l;
        if (r < n && cmp_held(&h[r], &h[m]) < 0)
            m = r;
        if (m == i)
            return;
        struct held t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static bool write_bytes(struct record_order *o, FILE *fp, const struct held *e)
{
    if (o->written_any && cmp_held(e, &o->last) < 0)
        o->late++;
    o->last = *e;
    o->last.bytes = NULL;
    o->written_any = true;
    return e->len == 0 || fwrite(e->bytes, 1, e->len, fp) == e->len;
}

/* Write the earliest held record. */
static bool pop(struct record_order *o, FILE *fp)
{
    struct held top = o->heap[0];
    o->heap[0] = o->heap[--o->n];
    sift_down(o->heap, o->n, 0);
    o->bytes -= top.len;
    bool ok = write_bytes(o, fp, &top);
    free(top.bytes);
    return ok;
}

static void key_of(struct record_order *o, const struct handshake *h,
                   struct held *e)
{
    e->ts = record_order_time(h);
    e->start = h->flow_start_us;
    e->client = h->client;
    e->server = h->server;
    e->round = h->round;
    e->seq = o ? o->seq++ : 0;
}

bool record_order_deliver(struct record_order *o, FILE *fp,
                          const struct handshake *h, const char *bytes,
                          size_t len)
{
    if (!o)
        return len == 0 || fwrite(bytes, 1, len, fp) == len;
    struct held e;
    key_of(o, h, &e);
    e.len = len;
    uint64_t decided = h->decided_us ? h->decided_us : e.ts;
    if (decided > o->now_us)
        o->now_us = decided;
    bool ok = true;
    e.bytes = malloc(len ? len : 1);
    if (o->n == o->cap && e.bytes) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        struct held *n = realloc(o->heap, cap * sizeof(*n));
        if (n) {
            o->bytes += (cap - o->cap) * sizeof(*n);
            o->heap = n;
            o->cap = cap;
        }
    }
    if (!e.bytes || o->n == o->cap) {
        /* No room to hold it: better late than lost. */
        free(e.bytes);
        e.bytes = (char *)bytes;
        ok = write_bytes(o, fp, &e);
    } else {
        memcpy(e.bytes, bytes, len);
        o->heap[o->n] = e;
        sift_up(o->heap, o->n);
        o->n++;
        o->bytes += len;
        if (o->bytes > o->peak)
            o->peak = o->bytes;
    }
    /* Due: a window of packet time has passed since its time, so no
     * handshake still undecided can have begun before it (short of a flow
     * older than the window), or the cap wants room. */
    while (o->n > 0 && (o->heap[0].ts + o->window_us <= o->now_us ||
                        o->bytes > o->max_bytes))
        ok = pop(o, fp) && ok;
    return ok;
}

bool record_order_flush(struct record_order *o, FILE *fp)
{
    bool ok = true;
    while (o && o->n > 0)
        ok = pop(o, fp) && ok;
    return ok;
}

uint64_t record_order_late(const struct record_order *o)
{
    return o ? o->late : 0;
}

uint64_t record_order_peak_bytes(const struct record_order *o)
{
    return o ? o->peak : 0;
}
