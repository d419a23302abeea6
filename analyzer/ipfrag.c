/* ipfrag.c — IPv4 fragment reassembly: collect the fragments of a datagram,
 * hand back the whole datagram once every byte is present, and give up on
 * datagrams that time out, do not fit in the memory cap or contradict
 * themselves. */
#include "ipfrag.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define IP_MAX_LEN 65535u
#define IPV4_MAX_HDR 60u

/* A datagram scattered over more pieces than this is not a real sender's
 * fragmentation but an attempt to make reassembly expensive. */
#define IPFRAG_MAX_RANGES 256u

/* Lookups are linear; the cap keeps a fragment flood from making them slow.
 * Real traffic has a handful of datagrams in reassembly at once. */
#define IPFRAG_MAX_DATAGRAMS 1024u

struct byte_range {
    uint32_t start, end; /* [start, end) of the payload */
};

struct ipfrag_datagram {
    /* Arrival order. head->prev is the newest datagram so appending is O(1);
     * the newest datagram's next is NULL. */
    struct ipfrag_datagram *next, *prev;

    uint8_t src[4], dst[4];
    uint16_t id;
    uint8_t proto;

    uint64_t first_ts_us, last_ts_us;

    uint8_t hdr[IPV4_MAX_HDR]; /* from the fragment at offset 0 */
    uint32_t hdr_len;          /* 0 until that fragment arrives */
    bool have_last;
    uint32_t end; /* payload length, known once the MF=0 fragment arrived */

    uint8_t *data;
    uint32_t data_cap;

    /* Bytes received so far: sorted, disjoint, never adjacent. */
    struct byte_range *ranges;
    uint32_t n_ranges, ranges_cap;
};

static uint64_t datagram_footprint(const struct ipfrag_datagram *g)
{
    return sizeof(*g) + g->data_cap +
           (uint64_t)g->ranges_cap * sizeof(struct byte_range);
}

static void list_unlink(struct ipfrag_table *t, struct ipfrag_datagram *g)
{
    struct ipfrag_datagram *newest = t->head->prev;

    if (g == t->head) {
        t->head = g->next;
        if (t->head)
            t->head->prev = (newest == g) ? NULL : newest;
    } else {
        g->prev->next = g->next;
        if (g->next)
            g->next->prev = g->prev;
        else
            t->head->prev = g->prev; /* g was the newest */
    }
    g->next = g->prev = NULL;
}

static void list_append(struct ipfrag_table *t, struct ipfrag_datagram *g)
{
    g->next = NULL;
    if (!t->head) {
        g->prev = g;
        t->head = g;
        return;
    }
    g->prev = t->head->prev;
    t->head->prev->next = g;
    t->head->prev = g;
}

static void datagram_free(struct ipfrag_table *t, struct ipfrag_datagram *g)
{
    list_unlink(t, g);
    t->bytes_held -= datagram_footprint(g);
    t->n_datagrams--;
    free(g->data);
    free(g->ranges);
    free(g);
}

static void datagram_drop(struct ipfrag_table *t, struct ipfrag_datagram *g)
{
    datagram_free(t, g);
    t->dropped++;
}

void ipfrag_init(struct ipfrag_table *t, uint64_t memcap, uint64_t timeout_us)
{
    memset(t, 0, sizeof(*t));
    t->memcap = memcap;
    t->timeout_us = timeout_us;
}

void ipfrag_free(struct ipfrag_table *t)
{
    while (t->head)
        datagram_free(t, t->head);
    free(t->done);
    t->done = NULL;
    t->done_len = 0;
}

/* Packet time, not wall time: "now" is the newest timestamp among what we
 * hold and the fragment in hand, so replaying an old file times out the same
 * way as watching it live. */
static void expire(struct ipfrag_table *t, uint64_t ts_us)
{
    uint64_t newest = ts_us;
    struct ipfrag_datagram *g, *next;

    for (g = t->head; g; g = g->next)
        if (g->last_ts_us > newest)
            newest = g->last_ts_us;
    for (g = t->head; g; g = next) {
        next = g->next;
        if (newest - g->first_ts_us > t->timeout_us)
            datagram_drop(t, g);
    }
}

/* Make room for `need` more bytes by evicting the oldest datagrams other
 * than `keep`. */
static bool make_room(struct ipfrag_table *t, struct ipfrag_datagram *keep,
                      uint64_t need)
{
    struct ipfrag_datagram *g = t->head, *next;

    while (g && t->bytes_held + need > t->memcap) {
        next = g->next;
        if (g != keep)
            datagram_drop(t, g);
        g = next;
    }
    return t->bytes_held + need <= t->memcap;
}

static struct ipfrag_datagram *find(struct ipfrag_table *t,
                                    const uint8_t src[4], const uint8_t dst[4],
                                    uint16_t id, uint8_t proto)
{
    struct ipfrag_datagram *g;

    for (g = t->head; g; g = g->next)
        if (g->id == id && g->proto == proto && !memcmp(g->src, src, 4) &&
            !memcmp(g->dst, dst, 4))
            return g;
    return NULL;
}

static bool grow_data(struct ipfrag_table *t, struct ipfrag_datagram *g,
                      uint32_t need)
{
    uint32_t cap;
    uint8_t *p;

    if (need <= g->data_cap)
        return true;
    /* Fragments mostly arrive in order: doubling keeps reallocs rare. */
    cap = g->data_cap * 2 > need ? g->data_cap * 2 : need;
    if (cap > IP_MAX_LEN)
        cap = IP_MAX_LEN;
    if (!make_room(t, g, cap - g->data_cap))
        return false;
    p = realloc(g->data, cap);
    if (!p)
        return false;
    t->bytes_held += cap - g->data_cap;
    g->data = p;
    g->data_cap = cap;
    return true;
}

static bool grow_ranges(struct ipfrag_table *t, struct ipfrag_datagram *g)
{
    uint32_t cap;
    struct byte_range *p;

    if (g->n_ranges < g->ranges_cap)
        return true;
    if (g->ranges_cap >= IPFRAG_MAX_RANGES)
        return false;
    cap = g->ranges_cap ? g->ranges_cap * 2 : 4;
    if (!make_room(t, g, (uint64_t)(cap - g->ranges_cap) * sizeof(*p)))
        return false;
    p = realloc(g->ranges, cap * sizeof(*p));
    if (!p)
        return false;
    t->bytes_held += (uint64_t)(cap - g->ranges_cap) * sizeof(*p);
    g->ranges = p;
    g->ranges_cap = cap;
    return true;
}

/* Copy payload[from, to) (offsets within the datagram) out of the fragment
 * whose first byte sits at datagram offset `frag_off`. */
static void copy_piece(struct ipfrag_datagram *g, struct cursor payload,
                       uint32_t frag_off, uint32_t from, uint32_t to)
{
    if (from >= to)
        return;
    /* Both hold by construction (the piece lies inside the fragment); a
     * failure leaves the bytes out rather than reading past it. */
    if (!cursor_skip(&payload, from - frag_off) ||
        !cursor_copy(&payload, g->data + from, to - from))
        return;
}

/* Store the fragment's bytes where no earlier copy exists (the first copy of
 * a byte wins) and record [s, e) as received. */
static bool store(struct ipfrag_table *t, struct ipfrag_datagram *g,
                  struct cursor payload, uint32_t s, uint32_t e)
{
    uint32_t i, first, last, pos = s;

    if (s == e)
        return true;
    if (!grow_data(t, g, e) || !grow_ranges(t, g))
        return false;

    for (i = 0; i < g->n_ranges && g->ranges[i].start < e; i++) {
        if (g->ranges[i].end <= pos)
            continue;
        copy_piece(g, payload, s, pos, g->ranges[i].start);
        if (g->ranges[i].end > pos)
            pos = g->ranges[i].end;
    }
    if (pos < e)
        copy_piece(g, payload, s, pos, e);

    /* Merge [s, e) with every range it overlaps or touches. */
    for (first = 0; first < g->n_ranges && g->ranges[first].end < s; first++)
        ;
    for (last = first; last < g->n_ranges && g->ranges[last].start <= e;
         last++)
        ;
    if (first == last) {
        memmove(&g->ranges[first + 1], &g->ranges[first],
                (g->n_ranges - first) * sizeof(g->ranges[0]));
        g->ranges[first].start = s;
        g->ranges[first].end = e;
        g->n_ranges++;
    } else {
        if (g->ranges[first].start < s)
            s = g->ranges[first].start;
        if (g->ranges[last - 1].end > e)
            e = g->ranges[last - 1].end;
        g->ranges[first].start = s;
        g->ranges[first].end = e;
        memmove(&g->ranges[first + 1], &g->ranges[last],
                (g->n_ranges - last) * sizeof(g->ranges[0]));
        g->n_ranges -= last - first - 1;
    }
    return true;
}

static bool complete(const struct ipfrag_datagram *g)
{
    return g->have_last && g->hdr_len && g->n_ranges == 1 &&
           g->ranges[0].start == 0 && g->ranges[0].end == g->end;
}

/* Turn a complete datagram into t->done: the first fragment's header with
 * the total length set and the fragment fields cleared. The checksum is left
 * stale; nothing downstream checks it. */
static bool emit(struct ipfrag_table *t, struct ipfrag_datagram *g)
{
    uint32_t len = g->hdr_len + g->end;
    uint8_t *out;

    if (len > IP_MAX_LEN)
        return false;
    out = malloc(len);
    if (!out)
        return false;
    memcpy(out, g->hdr, g->hdr_len);
    memcpy(out + g->hdr_len, g->data, g->end);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    out[6] &= 0xc0; /* keep reserved and DF, clear MF and the offset */
    out[7] = 0;
    t->done = out;
    t->done_len = len;
    return true;
}

int ipfrag_offer(struct ipfrag_table *t, const uint8_t *ip, uint32_t ip_len,
                 uint64_t ts_us, const uint8_t **dgram, uint32_t *dgram_len)
{
    struct cursor c = cursor_make(ip, ip_len), hdr_c, payload;
    uint8_t vihl, proto, src[4], dst[4];
    uint16_t total, id, frag;
    uint32_t hdr_len, off, len, end;
    bool more;
    struct ipfrag_datagram *g;

    free(t->done);
    t->done = NULL;
    t->done_len = 0;
    *dgram = NULL;
    *dgram_len = 0;

    if (!cursor_peek_u8(&c, 0, &vihl) || vihl >> 4 != 4)
        return -1;
    hdr_len = (uint32_t)(vihl & 0x0f) * 4;
    if (hdr_len < 20 || !cursor_sub(&c, hdr_len, &hdr_c))
        return -1;
    if (!cursor_skip(&hdr_c, 2) || !cursor_u16(&hdr_c, &total) ||
        !cursor_u16(&hdr_c, &id) || !cursor_u16(&hdr_c, &frag) ||
        !cursor_skip(&hdr_c, 1) || !cursor_u8(&hdr_c, &proto) ||
        !cursor_skip(&hdr_c, 2) || !cursor_copy(&hdr_c, src, 4) ||
        !cursor_copy(&hdr_c, dst, 4))
        return -1;
    if (total < hdr_len || total > ip_len)
        return -1;
    len = total - hdr_len;
    if (!cursor_sub(&c, len, &payload))
        return -1;
    more = (frag & 0x2000) != 0;
    off = (uint32_t)(frag & 0x1fff) * 8;
    end = off + len;

    if (!more && off == 0) {
        /* Not a fragment after all: it is its own datagram. */
        *dgram = ip;
        *dgram_len = total;
        return 1;
    }
    /* Every fragment but the last carries a multiple of 8 bytes, and no
     * datagram can outgrow the 16-bit total length. */
    if ((more && (len == 0 || len % 8)) || hdr_len + end > IP_MAX_LEN)
        return -1;

    expire(t, ts_us);

    g = find(t, src, dst, id, proto);
    if (!g) {
        if (t->n_datagrams >= IPFRAG_MAX_DATAGRAMS && t->head)
            datagram_drop(t, t->head);
        if (!make_room(t, NULL, sizeof(*g))) {
            t->dropped++;
            return 0;
        }
        g = calloc(1, sizeof(*g));
        if (!g) {
            t->dropped++;
            return 0;
        }
        memcpy(g->src, src, 4);
        memcpy(g->dst, dst, 4);
        g->id = id;
        g->proto = proto;
        g->first_ts_us = ts_us;
        list_append(t, g);
        t->n_datagrams++;
        t->bytes_held += datagram_footprint(g);
    }
    if (ts_us > g->last_ts_us)
        g->last_ts_us = ts_us;

    /* A second "last" fragment that disagrees, or bytes past the end, mean
     * the sender (or an attacker) contradicts itself: nothing sound can be
     * rebuilt. */
    if (!more) {
        if ((g->have_last && g->end != end) ||
            (g->n_ranges && g->ranges[g->n_ranges - 1].end > end)) {
            datagram_drop(t, g);
            return -1;
        }
        g->have_last = true;
        g->end = end;
    } else if (g->have_last && end > g->end) {
        datagram_drop(t, g);
        return -1;
    }

    if (off == 0 && !g->hdr_len) {
        struct cursor h = cursor_make(ip, hdr_len);
        if (cursor_copy(&h, g->hdr, hdr_len))
            g->hdr_len = hdr_len;
    }

    if (!store(t, g, payload, off, end)) {
        datagram_drop(t, g);
        return 0;
    }

    if (!complete(g))
        return 0;
    if (!emit(t, g)) {
        datagram_drop(t, g);
        return 0;
    }
    datagram_free(t, g);
    *dgram = t->done;
    *dgram_len = t->done_len;
    return 1;
}
