/* fuzz_tcp_stream.c — libFuzzer target for TCP reassembly. The input is a
 * script of operations on two streams sharing one memory counter:
 *
 *   side 0 carries slices of a known original byte string at their true
 *   sequence numbers, in any order, repeated and overlapping, with acks and
 *   keep-alives mixed in; some copies lie about the content. Every byte it
 *   delivers must be, at its stream position (gaps included), the first copy
 *   of that position given while it was still pending (first copy wins), and
 *   nothing may be lost or invented: bytes given = delivered + duplicates +
 *   still queued. Without lies, that is the original itself.
 *
 *   side 1 gets hostile input: arbitrary sequence numbers, contents, acks,
 *   SYNs with new ISNs, FIN, snaplen cuts, flushes and releases.
 *
 * On both: the delivered and gap counters match what the sink saw, the queue
 * never exceeds its caps (memory and segments), the shared counter and the
 * --memcap budget (whose limit the input also picks) equal what the two
 * queues hold and never pass the limit, and both return to zero after
 * release. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/memcap.h"
#include "analyzer/tcp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORIG_LEN 2048u

struct observed {
    uint64_t data_bytes;
    uint64_t gap_bytes;
    uint32_t gaps;
    uint64_t pos;       /* stream position: data and gap bytes so far */
    bool check_content; /* side 0: compare against the model below */
};

static uint8_t original[ORIG_LEN];
/* Side 0's model: the first byte given for each position while pending. */
static uint8_t expect[ORIG_LEN];
static bool have[ORIG_LEN];

static void check(bool ok)
{
    if (!ok)
        abort();
}

static uint8_t original_byte(uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 8) * 7u + 1u);
}

static void on_data(void *ctx, int side, const uint8_t *bytes, uint32_t len,
                    uint64_t ts_us)
{
    struct observed *obs = ctx;
    struct observed *o = &obs[side];
    struct cursor c = cursor_make(bytes, len);

    (void)ts_us;
    check(side == 0 || side == 1);
    check(len > 0 && bytes != NULL);
    if (o->check_content) {
        uint8_t b;
        check(o->pos + len <= ORIG_LEN);
        for (uint32_t k = 0; k < len; k++) {
            check(cursor_u8(&c, &b));
            check(have[o->pos + k] && b == expect[o->pos + k]);
        }
    }
    o->data_bytes += len;
    o->pos += len;
}

static void on_gap(void *ctx, int side, uint32_t len)
{
    struct observed *obs = ctx;
    struct observed *o = &obs[side];

    check(side == 0 || side == 1);
    check(len > 0);
    o->gap_bytes += len;
    o->gaps++;
    o->pos += len;
}

struct tracked {
    struct tcp_stream s;
    uint32_t base;       /* where the stream started: next_seq before any
                            byte was delivered or declared lost */
};

static void check_stream(struct tracked *t, const struct observed *o,
                         const struct stream_limits *lim)
{
    const struct tcp_stream *s = &t->s;

    check(s->delivered == o->data_bytes);
    check(s->gap_bytes == o->gap_bytes);
    check(s->gaps == o->gaps);
    check(s->queued_cost <= lim->max_queued_bytes);
    check(s->queued_segments <= lim->max_queued_segments);
    check(s->queued_bytes <= s->queued_cost);
    check((s->queued_bytes == 0) == (s->queue == NULL));
    check(tcp_stream_queue_height(s) <= 24);
    if (!s->started)
        return;
    check((uint32_t)(s->next_seq - t->base) ==
          (uint32_t)(s->delivered + s->gap_bytes));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor in = cursor_make(data, size);
    struct observed obs[2] = {{0}};
    struct stream_sink sink = {on_data, on_gap, obs};
    uint64_t held = 0;
    struct memcap budget = {0};
    struct stream_limits lim = {0, 0, &budget, &held};
    struct tracked t[2];
    uint8_t covered[ORIG_LEN] = {0};
    uint8_t scratch[ORIG_LEN];
    uint32_t isn0, max_end = 0;
    uint16_t cap;
    uint64_t given0 = 0;
    uint64_t ts = 0;
    uint8_t op;

    for (uint32_t i = 0; i < ORIG_LEN; i++)
        original[i] = original_byte(i);
    memset(have, 0, sizeof(have));
    if (!cursor_u32(&in, &isn0) || !cursor_u16(&in, &cap))
        return 0;
    lim.max_queued_bytes = (uint32_t)(cap & 0x1FFF) * 4u;
    lim.max_queued_segments = 1u + ((cap >> 13) & 7u) * 16u;
    budget.limit = (cap & 0x8000) ? 1 + (cap & 0x1FFF) * 3u : 0;
    obs[0].check_content = true;
    memset(t, 0, sizeof(t));
    tcp_stream_init(&t[0].s);
    tcp_stream_init(&t[1].s);
    tcp_stream_syn(&t[0].s, isn0);
    t[0].base = isn0 + 1;

    while (cursor_u8(&in, &op)) {
        ts += 10;
        switch (op & 7) {
        case 0: case 1: case 2: { /* side 0: a slice of the original */
            uint16_t off;
            uint8_t len8;
            if (!cursor_u16(&in, &off) || !cursor_u8(&in, &len8))
                goto done; /* truncated script */
            uint32_t start = off % ORIG_LEN;
            uint32_t len = len8 + ((op & 0x18u) << 4); /* up to 255 + 384 */
            if (len > ORIG_LEN - start)
                len = ORIG_LEN - start;
            struct cursor whole = cursor_make(original, ORIG_LEN), slice;
            size_t slen;
            check(cursor_skip(&whole, start) && cursor_sub(&whole, len, &slice));
            const uint8_t *p = cursor_rest(&slice, &slen);
            if (op & 0x80) { /* a copy with different content */
                check(cursor_copy(&slice, scratch, len));
                for (uint32_t k = 0; k < len; k++)
                    scratch[k] ^= (uint8_t)(0x5Au + (op & 0x60u));
                p = scratch;
            }
            uint32_t pending = t[0].s.next_seq - (isn0 + 1);
            for (uint32_t k = 0; k < len; k++) {
                if (start + k >= pending && !have[start + k]) {
                    have[start + k] = true;
                    expect[start + k] = p == scratch ? scratch[k]
                                                     : original[start + k];
                }
            }
            tcp_stream_segment(&t[0].s, &lim, 0, isn0 + 1 + start, p, len, ts,
                               &sink);
            given0 += len;
            for (uint32_t k = start; k < start + len; k++)
                covered[k] = 1;
            if (len > 0 && start + len > max_end)
                max_end = start + len;
            break;
        }
        case 3: { /* side 0: the receiver acknowledges up to an offset */
            uint16_t off;
            if (!cursor_u16(&in, &off))
                goto done; /* truncated script */
            tcp_stream_acked(&t[0].s, &lim, 0,
                             isn0 + 1 + (off % (ORIG_LEN + 64)), ts, &sink);
            break;
        }
        case 4: { /* side 0: keep-alive, then maybe a flush */
            const uint8_t junk = 0xA5;
            uint64_t delivered = t[0].s.delivered;
            uint32_t dups = t[0].s.dup_bytes, gaps = t[0].s.gaps;
            /* A keep-alive is a packet too: it may end the wait of a hole
             * already acknowledged, and that hole is then declared. */
            bool waiting = t[0].s.hole_pending;
            tcp_stream_segment(&t[0].s, &lim, 0, t[0].s.next_seq - 1, &junk, 1,
                               ts, &sink);
            given0 += 1;
            check(t[0].s.dup_bytes == dups + 1);
            if (!waiting) {
                check(t[0].s.delivered == delivered);
                check(t[0].s.gaps == gaps);
            }
            if (op & 0x80)
                tcp_stream_flush(&t[0].s, &lim, 0, ts, &sink);
            break;
        }
        case 5: case 6: { /* side 1: hostile segment */
            uint32_t delta;
            uint8_t len8;
            if (!cursor_u32(&in, &delta) || !cursor_u8(&in, &len8))
                goto done; /* truncated script */
            /* Mostly near next_seq, sometimes anywhere at all. */
            uint32_t seq = (op & 0x80) ? delta
                                       : t[1].s.next_seq + (delta % 4096u) - 256u;
            size_t avail = cursor_left(&in);
            uint32_t len = len8 < avail ? len8 : (uint32_t)avail;
            struct cursor payload;
            size_t plen;
            check(cursor_sub(&in, len, &payload));
            const uint8_t *p = cursor_rest(&payload, &plen);
            if (!t[1].s.started)
                t[1].base = seq;
            tcp_stream_segment(&t[1].s, &lim, 1, seq, p, len, ts, &sink);
            break;
        }
        case 7: { /* side 1: control */
            uint32_t v;
            if (!cursor_u32(&in, &v))
                goto done; /* truncated script */
            switch ((op >> 3) & 7) {
            case 0: case 1:
                tcp_stream_acked(&t[1].s, &lim, 1, t[1].s.next_seq + v % 8192u,
                                 ts, &sink);
                break;
            case 2:
                tcp_stream_acked(&t[1].s, &lim, 1, v, ts, &sink);
                break;
            case 3:
                if (t[1].s.delivered == 0 && t[1].s.gap_bytes == 0 &&
                    t[1].s.queue == NULL)
                    t[1].base = v + 1;
                tcp_stream_syn(&t[1].s, v);
                break;
            case 4:
                t[1].s.fin = true;
                break;
            case 7:
                tcp_stream_window(&t[1].s, v >> (op & 7));
                (void)tcp_stream_rst_in_window(&t[1].s, v);
                (void)tcp_stream_rst_in_window(&t[1].s, t[1].s.next_seq);
                break;
            case 5:
                tcp_stream_flush(&t[1].s, &lim, 1, ts, &sink);
                check(t[1].s.queued_bytes == 0);
                break;
            case 6: /* a snaplen cut near next_seq, of any length */
                tcp_stream_cut(&t[1].s, &lim, 1,
                               t[1].s.next_seq + (v & 0xFFF) - 0x800u,
                               v >> 12, ts, &sink);
                break;
            default:
                tcp_stream_release(&t[1].s, &lim);
                check(t[1].s.queued_bytes == 0);
                break;
            }
            break;
        }
        }
        check_stream(&t[0], &obs[0], &lim);
        check_stream(&t[1], &obs[1], &lim);
        check(held == (uint64_t)t[0].s.queued_bytes + t[1].s.queued_bytes);
        check(budget.used == t[0].s.queued_cost + t[1].s.queued_cost);
        check(budget.limit == 0 || budget.used <= budget.limit);
        check(given0 == t[0].s.delivered + t[0].s.dup_bytes +
                            t[0].s.queued_bytes);
        check(obs[0].pos == (uint32_t)(t[0].s.next_seq - (isn0 + 1)));
    }

done:
    tcp_stream_flush(&t[0].s, &lim, 0, ts, &sink);
    tcp_stream_flush(&t[1].s, &lim, 1, ts, &sink);
    check_stream(&t[0], &obs[0], &lim);
    check_stream(&t[1], &obs[1], &lim);
    check(t[0].s.queued_bytes == 0 && t[1].s.queued_bytes == 0);
    check(held == 0);
    check(given0 == t[0].s.delivered + t[0].s.dup_bytes);
    /* Without a declared hole, the whole covered original came through. */
    if (t[0].s.gaps == 0) {
        check(t[0].s.delivered == max_end);
        for (uint32_t k = 0; k < max_end; k++)
            check(covered[k]);
    }
    tcp_stream_release(&t[0].s, &lim);
    tcp_stream_release(&t[1].s, &lim);
    check(held == 0);
    check(budget.used == 0);
    return 0;
}
