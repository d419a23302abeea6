/* test_tcp_stream.c — unit tests for TCP reassembly: ordering, retransmits,
 * first-copy-wins overlaps, wrap-around, the ways a hole is declared (an
 * ack the data did not follow, a cap, --memcap, flush), late data after its
 * ack, the queue's cost and shape, and RST sequence checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/memcap.h"
#include "analyzer/tcp_stream.h"

/* A sink that appends delivered bytes to a buffer and records each gap with
 * the stream position where it happened. */
struct recorder {
    uint8_t buf[16384];
    uint32_t len;           /* bytes delivered */
    uint64_t pos;           /* stream position: delivered + gap bytes */
    uint32_t calls;
    uint32_t ngaps;
    uint64_t gap_pos[16];
    uint32_t gap_len[16];
    const uint8_t *last_ptr;
    uint64_t last_ts;
    int last_side;
    /* For the re-entrancy test: release this stream from the callback. */
    struct tcp_stream *release_me;
    const struct stream_limits *release_lim;
};

static void rec_data(void *ctx, int side, const uint8_t *data, uint32_t len,
                     uint64_t ts_us)
{
    struct recorder *r = ctx;

    assert_true(len > 0);
    assert_true(r->len + len <= sizeof(r->buf));
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    r->pos += len;
    r->calls++;
    r->last_ptr = data;
    r->last_ts = ts_us;
    r->last_side = side;
    if (r->release_me) {
        tcp_stream_release(r->release_me, r->release_lim);
        r->release_me = NULL;
    }
}

static void rec_gap(void *ctx, int side, uint32_t len)
{
    struct recorder *r = ctx;

    (void)side;
    assert_true(len > 0);
    assert_true(r->ngaps < 16);
    r->gap_pos[r->ngaps] = r->pos;
    r->gap_len[r->ngaps] = len;
    r->ngaps++;
    r->pos += len;
}

struct fixture {
    struct recorder rec;
    struct stream_sink sink;
    struct stream_limits lim;
    uint64_t held;
    struct tcp_stream s;
};

static struct fixture *fixture_new(uint32_t cap)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    f->sink.data = rec_data;
    f->sink.gap = rec_gap;
    f->sink.ctx = &f->rec;
    f->lim.max_queued_bytes = cap;
    f->lim.held_total = &f->held;
    tcp_stream_init(&f->s);
    return f;
}

static void fixture_free(struct fixture *f)
{
    tcp_stream_release(&f->s, &f->lim);
    assert_int_equal(f->held, 0);
    assert_int_equal(f->s.queued_bytes, 0);
    test_free(f);
}

static void seg(struct fixture *f, uint32_t seq, const char *text)
{
    tcp_stream_segment(&f->s, &f->lim, 1, seq, (const uint8_t *)text,
                       (uint32_t)strlen(text), 42, &f->sink);
}

/* An acknowledgement the data does not follow: after the packets a late
 * segment is waited for, the hole below it is declared. */
static void ack_and_wait(struct fixture *f, uint32_t ack, uint64_t ts)
{
    for (int i = 0; i <= TCP_HOLE_WAIT_PACKETS; i++)
        tcp_stream_acked(&f->s, &f->lim, 1, ack, ts, &f->sink);
}

static void assert_delivered(struct fixture *f, const char *text)
{
    assert_int_equal(f->rec.len, strlen(text));
    assert_memory_equal(f->rec.buf, text, strlen(text));
    assert_int_equal(f->s.delivered, strlen(text));
}

static void test_in_order(void **state)
{
    struct fixture *f = fixture_new(1024);
    const char *second = "world";
    (void)state;

    tcp_stream_syn(&f->s, 1000);
    assert_true(f->s.started);
    assert_int_equal(f->s.next_seq, 1001);
    seg(f, 1001, "hello ");
    seg(f, 1007, second);
    assert_delivered(f, "hello world");
    /* Delivered without a copy: the sink saw the caller's own pointer. */
    assert_ptr_equal(f->rec.last_ptr, second);
    assert_int_equal(f->rec.last_ts, 42);
    assert_int_equal(f->rec.last_side, 1);
    assert_int_equal(f->rec.calls, 2);
    assert_int_equal(f->s.next_seq, 1012);
    assert_int_equal(f->s.gaps, 0);
    assert_int_equal(f->s.dup_bytes, 0);
    assert_int_equal(f->s.queued_bytes, 0);
    fixture_free(f);
}

static void test_reversed_order(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 99);
    seg(f, 109, "jklm");
    seg(f, 105, "fghi");
    seg(f, 103, "de");
    assert_int_equal(f->rec.len, 0);
    assert_int_equal(f->s.queued_bytes, 10);
    assert_int_equal(f->held, 10);
    seg(f, 100, "abc");
    assert_delivered(f, "abcdefghijklm");
    assert_int_equal(f->rec.calls, 4);
    assert_int_equal(f->s.queued_bytes, 0);
    assert_int_equal(f->held, 0);
    assert_int_equal(f->s.next_seq, 113);
    assert_int_equal(f->s.gaps, 0);
    assert_int_equal(f->s.dup_bytes, 0);
    fixture_free(f);
}

static void test_duplicates(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "abcde");
    seg(f, 1, "abcde");
    assert_int_equal(f->s.dup_bytes, 5);
    /* An out-of-order segment seen twice is held once. */
    seg(f, 11, "klmno");
    seg(f, 11, "klmno");
    assert_int_equal(f->s.queued_bytes, 5);
    assert_int_equal(f->s.dup_bytes, 10);
    seg(f, 6, "fghij");
    seg(f, 6, "fghij");
    assert_delivered(f, "abcdefghijklmno");
    assert_int_equal(f->s.dup_bytes, 15);
    assert_int_equal(f->s.gaps, 0);
    fixture_free(f);
}

static void test_overlap_first_wins(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    /* Queued first: positions 5..8 and 12..13 (stream offsets 4.., 11..). */
    seg(f, 5, "BBBB");
    seg(f, 12, "CC");
    /* A later copy covering both, with different bytes, fills only the
     * holes around them. */
    seg(f, 7, "xxxxxxxxx");  /* 7..15: 7,8 held; 9..11 new; 12,13 held */
    assert_int_equal(f->s.queued_bytes, 4 + 2 + 3 + 2);
    assert_int_equal(f->s.dup_bytes, 4);
    assert_int_equal(f->rec.len, 0);
    /* The in-order segment also overlaps the queue; queued bytes win. */
    seg(f, 1, "aaaaaaaaaaaaaaaaaa");  /* 1..18 */
    assert_delivered(f, "aaaaBBBBxxxCCxxaaa");
    assert_int_equal(f->s.dup_bytes, 4 + 11);
    assert_int_equal(f->s.queued_bytes, 0);
    /* Delivered bytes stay delivered: a different copy is dropped. */
    seg(f, 3, "ZZZZ");
    assert_delivered(f, "aaaaBBBBxxxCCxxaaa");
    assert_int_equal(f->s.dup_bytes, 4 + 11 + 4);
    assert_int_equal(f->s.gaps, 0);
    fixture_free(f);
}

static void test_partial_overlap_delivered(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "abcdef");
    seg(f, 4, "DEFghi");
    assert_delivered(f, "abcdefghi");
    assert_int_equal(f->s.dup_bytes, 3);
    /* The tail is passed on from the caller's buffer, not copied. */
    assert_int_equal(f->rec.calls, 2);
    fixture_free(f);
}

static void test_wrap_around(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0xFFFFFFF0u);
    assert_int_equal(f->s.next_seq, 0xFFFFFFF1u);
    /* 0xFFFFFFF1 + 10 = 0xFFFFFFFB; +10 crosses zero to 0x00000005. */
    seg(f, 0x00000005u, "KLMNO");
    seg(f, 0xFFFFFFFBu, "abcdefghij");
    assert_int_equal(f->rec.len, 0);
    assert_int_equal(f->s.queued_bytes, 15);
    seg(f, 0xFFFFFFF1u, "0123456789");
    assert_delivered(f, "0123456789abcdefghijKLMNO");
    assert_int_equal(f->s.next_seq, 0x0000000Au);
    assert_int_equal(f->s.queued_bytes, 0);
    /* A retransmission from before the wrap is still old data. */
    seg(f, 0xFFFFFFF5u, "zz");
    assert_int_equal(f->s.dup_bytes, 2);
    assert_int_equal(f->s.gaps, 0);
    /* An ack across the wrap declares the tail loss correctly. */
    ack_and_wait(f, 0x00000010u, 50);
    assert_int_equal(f->rec.ngaps, 1);
    assert_int_equal(f->rec.gap_len[0], 6);
    assert_int_equal(f->s.next_seq, 0x00000010u);
    fixture_free(f);
}

static void test_ack_gap(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "abcde");
    seg(f, 11, "klmno");   /* 6..10 missing */
    seg(f, 21, "uvw");     /* 16..20 missing */
    /* Acks at or below next_seq change nothing. */
    tcp_stream_acked(&f->s, &f->lim, 1, 6, 1, &f->sink);
    tcp_stream_acked(&f->s, &f->lim, 1, 3, 1, &f->sink);
    assert_int_equal(f->s.gaps, 0);
    assert_false(f->s.hole_pending);
    /* Ack past the first hole only: that hole is lost, the next is not. */
    ack_and_wait(f, 12, 7);
    assert_delivered(f, "abcdeklmno");
    assert_int_equal(f->rec.last_ts, 7);
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.gap_bytes, 5);
    assert_int_equal(f->rec.gap_pos[0], 5);
    assert_int_equal(f->rec.gap_len[0], 5);
    assert_int_equal(f->s.queued_bytes, 3);
    /* Ack past everything: the second hole, then the lost tail. */
    ack_and_wait(f, 30, 8);
    assert_delivered(f, "abcdeklmnouvw");
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->rec.gap_pos[1], 15);
    assert_int_equal(f->rec.gap_len[1], 5);
    assert_int_equal(f->rec.gap_pos[2], 23);
    assert_int_equal(f->rec.gap_len[2], 6);
    assert_int_equal(f->s.gap_bytes, 16);
    assert_int_equal(f->s.next_seq, 30);
    assert_int_equal(f->s.late_fills, 0);
    /* Garbage acks: 2 GiB away, a gigabyte ahead, or a tail over 1 MiB. */
    ack_and_wait(f, 30u + 0x80000000u, 9);
    ack_and_wait(f, 30u + 0x40000000u, 9);
    ack_and_wait(f, 30u + (1u << 20), 9);
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->s.next_seq, 30);
    /* After a FIN the ack covers one sequence number that is not data. */
    f->s.fin = true;
    ack_and_wait(f, 31, 9);
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->s.next_seq, 30);
    fixture_free(f);
}

/* At a capture point the ACK often comes before the segment it
 * acknowledges: the hole waits, and the late segment fills it. */
static void test_ack_before_data(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "abc");
    seg(f, 7, "ghi");                 /* 4..6 still on its way */
    tcp_stream_acked(&f->s, &f->lim, 1, 10, 2, &f->sink);
    assert_true(f->s.hole_pending);
    for (int i = 0; i < TCP_HOLE_WAIT_PACKETS - 2; i++)
        tcp_stream_acked(&f->s, &f->lim, 1, 10, 3, &f->sink);
    assert_int_equal(f->s.gaps, 0);
    assert_delivered(f, "abc");
    seg(f, 4, "def");                 /* the late segment */
    assert_delivered(f, "abcdefghi");
    assert_int_equal(f->s.gaps, 0);
    assert_false(f->s.hole_pending);
    assert_int_equal(f->s.late_fills, 1);
    assert_int_equal(f->s.dup_bytes, 0);

    /* The tail acknowledged before it came: the same. */
    tcp_stream_acked(&f->s, &f->lim, 1, 14, 4, &f->sink);
    seg(f, 12, "lm");                 /* out of order within the tail */
    seg(f, 10, "jk");
    assert_delivered(f, "abcdefghijklm");
    assert_int_equal(f->s.late_fills, 2);
    assert_int_equal(f->s.gaps, 0);

    /* A hole whose data never comes is declared once the wait is over,
     * and a copy that comes after that is old data. */
    tcp_stream_acked(&f->s, &f->lim, 1, 18, 5, &f->sink);
    for (int i = 0; i < TCP_HOLE_WAIT_PACKETS - 1; i++)
        tcp_stream_acked(&f->s, &f->lim, 1, 18, 5, &f->sink);
    assert_int_equal(f->s.gaps, 0);
    tcp_stream_acked(&f->s, &f->lim, 1, 18, 6, &f->sink);
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.gap_bytes, 4);
    seg(f, 14, "nopq");
    assert_int_equal(f->s.dup_bytes, 4);
    assert_delivered(f, "abcdefghijklm");
    fixture_free(f);
}

/* A hole the data trickles into waits as long as it keeps coming; at the
 * stream's end, what was acknowledged and never came is lost. */
static void test_acked_hole_slow_fill_and_flush(void **state)
{
    struct fixture *f = fixture_new(1 << 20);
    char one[2] = "x";
    (void)state;

    tcp_stream_syn(&f->s, 0);
    tcp_stream_acked(&f->s, &f->lim, 1, 201, 1, &f->sink); /* 200 bytes */
    for (uint32_t i = 0; i < 200; i++) {
        one[0] = (char)('a' + i % 26);
        seg(f, 1 + i, one);
        tcp_stream_acked(&f->s, &f->lim, 1, 201, 1, &f->sink);
    }
    assert_int_equal(f->s.gaps, 0);
    assert_int_equal(f->s.delivered, 200);
    assert_int_equal(f->s.late_fills, 1);

    /* The tail acknowledged, then the stream ends before the wait. */
    tcp_stream_acked(&f->s, &f->lim, 1, 211, 2, &f->sink);
    tcp_stream_flush(&f->s, &f->lim, 1, 3, &f->sink);
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.gap_bytes, 10);
    assert_false(f->s.hole_pending);
    fixture_free(f);
}

/* Packets of this direction count as well as acks: a hole waits for as
 * many packets whichever side sends them. */
static void test_hole_wait_counts_segments(void **state)
{
    struct fixture *f = fixture_new(1 << 20);
    char one[2] = "x";
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "a");
    tcp_stream_acked(&f->s, &f->lim, 1, 3, 1, &f->sink); /* byte 2 missing */
    for (uint32_t i = 0; i < TCP_HOLE_WAIT_PACKETS - 1; i++)
        seg(f, 10 + i, one);
    assert_int_equal(f->s.gaps, 0);
    seg(f, 100, one);
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.gap_bytes, 1);
    fixture_free(f);
}

static void test_cap_gap(void **state)
{
    /* Room for two small segments: the cap is in memory, not payload. */
    struct fixture *f =
        fixture_new((uint32_t)(2 * tcp_stream_segment_cost(4)));
    char big[81];
    (void)state;

    memset(big, 'e', 80);
    big[80] = '\0';
    tcp_stream_syn(&f->s, 0);
    seg(f, 11, "AAAA");   /* offsets 10..13 */
    seg(f, 21, "BBBB");   /* offsets 20..23 */
    assert_int_equal(f->s.queued_bytes, 8);
    assert_int_equal(f->s.queued_cost, 2 * tcp_stream_segment_cost(4));
    /* A third would exceed the cap: the first hole is given up. */
    seg(f, 31, "CCCC");
    assert_delivered(f, "AAAA");
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.cap_gaps, 1);
    assert_int_equal(f->rec.gap_pos[0], 0);
    assert_int_equal(f->rec.gap_len[0], 10);
    assert_int_equal(f->s.queued_bytes, 8);
    assert_int_equal(f->held, 8);
    assert_int_equal(f->s.next_seq, 15);
    /* Data below everything queued that does not fit is itself the earliest
     * data held: the hole up to it goes, and it is delivered. */
    seg(f, 17, "dddddd");  /* offsets 16..21, overlaps B at 20..21 */
    assert_delivered(f, "AAAAddddBBBB");
    assert_int_equal(f->s.gaps, 2);
    assert_int_equal(f->rec.gap_pos[1], 14);
    assert_int_equal(f->rec.gap_len[1], 2);
    assert_int_equal(f->s.dup_bytes, 2);
    assert_int_equal(f->s.queued_bytes, 4);
    /* One segment larger than the cap alone: delivered at once, after
     * giving up the holes before it and the queued data. */
    seg(f, 41, big);
    assert_int_equal(f->rec.len, 12 + 4 + 80);
    assert_int_equal(f->s.gaps, 4);
    assert_int_equal(f->s.cap_gaps, 4);
    assert_int_equal(f->rec.gap_pos[2], 24);
    assert_int_equal(f->rec.gap_len[2], 6);
    assert_int_equal(f->rec.gap_pos[3], 34);
    assert_int_equal(f->rec.gap_len[3], 6);
    assert_int_equal(f->s.queued_bytes, 0);
    assert_int_equal(f->s.queued_cost, 0);
    assert_int_equal(f->held, 0);
    assert_int_equal(f->s.gap_bytes, 10 + 2 + 6 + 6);
    fixture_free(f);
}

/* Tiny segments cost far more than their payload: the queue is also
 * capped in segments, and each is charged at its real cost. */
static void test_segment_cap_and_cost(void **state)
{
    struct fixture *f = fixture_new(1 << 20);
    (void)state;

    f->lim.max_queued_segments = 4;
    tcp_stream_syn(&f->s, 0);
    seg(f, 3, "b");
    seg(f, 5, "c");
    seg(f, 7, "d");
    seg(f, 9, "e");
    assert_int_equal(f->s.queued_segments, 4);
    assert_int_equal(f->s.queued_cost, 4 * tcp_stream_segment_cost(1));
    assert_true(tcp_stream_segment_cost(1) >= 32 + 1);
    seg(f, 11, "f");          /* a fifth: the first hole goes */
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.cap_gaps, 1);
    assert_delivered(f, "b");
    assert_int_equal(f->s.queued_segments, 4);
    fixture_free(f);
}

/* --memcap refuses what the queue would take: the hole before the data
 * is declared, nothing is held past the budget, and the budget is given
 * back whole. */
static unsigned reclaim_calls;
static bool reclaim_nothing(void *ctx, uint64_t need)
{
    (void)ctx, (void)need;
    reclaim_calls++;
    return false;
}

static void test_memcap_refuses(void **state)
{
    struct fixture *f = fixture_new(1 << 20);
    struct memcap budget = {0};
    (void)state;

    budget.limit = 3 * tcp_stream_segment_cost(2);
    budget.reclaim = reclaim_nothing;
    f->lim.memcap = &budget;
    reclaim_calls = 0;
    tcp_stream_syn(&f->s, 0);
    seg(f, 3, "cc");
    seg(f, 7, "gg");
    seg(f, 11, "kk");
    assert_int_equal(budget.used, 3 * tcp_stream_segment_cost(2));
    assert_int_equal(budget.used, f->s.queued_cost);
    assert_int_equal(f->s.gaps, 0);
    seg(f, 15, "oo");
    assert_int_equal(reclaim_calls, 1);
    assert_int_equal(budget.refused, 1);
    assert_int_equal(f->s.cap_gaps, 1);
    assert_delivered(f, "cc");
    assert_true(budget.used <= budget.limit);
    assert_int_equal(budget.used, f->s.queued_cost);
    tcp_stream_flush(&f->s, &f->lim, 1, 1, &f->sink);
    assert_delivered(f, "ccggkkoo");
    assert_int_equal(budget.used, 0);
    assert_true(budget.peak <= budget.limit);
    fixture_free(f);
}

/* One flow of one-byte segments with every other byte missing, in both
 * orders: the queue stays a balanced tree, so each segment costs
 * O(log n) (a list here cost O(n) per segment: seconds for 100 000). */
static void test_many_tiny_segments(void **state)
{
    enum { N = 4000 };
    (void)state;

    for (int order = 0; order < 2; order++) {
        struct fixture *f = fixture_new(1u << 30);
        f->lim.max_queued_segments = N;
        tcp_stream_syn(&f->s, 0);
        for (uint32_t i = 0; i < N; i++) {
            uint32_t k = order == 0 ? i : N - 1 - i;
            seg(f, 3 + 2 * k, "z");
        }
        assert_int_equal(f->s.queued_segments, N);
        assert_int_equal(f->s.gaps, 0);
        /* An AVL tree of N nodes is at most 1.44 log2(N + 2) high. */
        assert_true(tcp_stream_queue_height(&f->s) <= 18);
        /* One segment across all of them fills every hole at once. */
        char fill[2 * N + 2];
        memset(fill, 'y', sizeof fill);
        tcp_stream_segment(&f->s, &f->lim, 1, 1, (const uint8_t *)fill,
                           2 * N + 2, 1, &f->sink);
        assert_int_equal(f->s.queued_segments, 0);
        assert_int_equal(f->s.delivered, 2 * N + 2);
        assert_int_equal(f->s.dup_bytes, N);
        assert_int_equal(f->rec.buf[2], 'z');
        assert_int_equal(f->rec.buf[1], 'y');
        fixture_free(f);
    }
}

/* A RST counts only with a sequence number a stack would accept: inside
 * the window its peer offered. */
static void test_rst_window(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    /* Nothing known yet: accepted. */
    assert_true(tcp_stream_rst_in_window(&f->s, 12345));
    tcp_stream_syn(&f->s, 1000);
    assert_true(tcp_stream_rst_in_window(&f->s, 77));   /* no window yet */
    tcp_stream_window(&f->s, 500);
    tcp_stream_window(&f->s, 100);  /* the largest offer counts */
    seg(f, 1001, "abcd");
    assert_true(tcp_stream_rst_in_window(&f->s, 1005));
    assert_true(tcp_stream_rst_in_window(&f->s, 1005 + 500));
    assert_false(tcp_stream_rst_in_window(&f->s, 1005 + 501));
    assert_false(tcp_stream_rst_in_window(&f->s, 1004));
    assert_false(tcp_stream_rst_in_window(&f->s, 1005 + 0x40000000u));
    assert_false(tcp_stream_rst_in_window(&f->s, 5));
    /* Bytes sent but not yet acknowledged may be reset from. */
    tcp_stream_acked(&f->s, &f->lim, 1, 1003, 1, &f->sink);
    assert_true(tcp_stream_rst_in_window(&f->s, 1003));
    assert_false(tcp_stream_rst_in_window(&f->s, 1002));
    /* Data acknowledged that the capture has not seen: the window starts
     * past it. */
    tcp_stream_acked(&f->s, &f->lim, 1, 1105, 1, &f->sink);
    assert_true(tcp_stream_rst_in_window(&f->s, 1105 + 500));
    assert_false(tcp_stream_rst_in_window(&f->s, 1105 + 501));
    fixture_free(f);

    /* A capture that began mid-connection, before any byte of this
     * direction: the peer's acknowledgement is where it stands. */
    f = fixture_new(1024);
    tcp_stream_acked(&f->s, &f->lim, 1, 70000, 1, &f->sink);
    tcp_stream_window(&f->s, 1000);
    assert_true(tcp_stream_rst_in_window(&f->s, 70000));
    assert_true(tcp_stream_rst_in_window(&f->s, 71000));
    assert_false(tcp_stream_rst_in_window(&f->s, 71001));
    assert_false(tcp_stream_rst_in_window(&f->s, 69999));
    assert_false(tcp_stream_rst_in_window(&f->s, 70000 + (256u << 20)));
    fixture_free(f);
}

static void test_cap_zero(void **state)
{
    struct fixture *f = fixture_new(0);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 4, "xy");
    assert_delivered(f, "xy");
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.gap_bytes, 3);
    assert_int_equal(f->s.queued_bytes, 0);
    fixture_free(f);
}

/* A snaplen cut: the lost tail of a segment is a hole as soon as it is next
 * in line, bytes already held inside it stay, and a cut past an open hole
 * waits for that hole. */
static void test_snaplen_cut(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "abc");              /* 3 of 10 bytes kept */
    tcp_stream_cut(&f->s, &f->lim, 1, 4, 7, 5, &f->sink);
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->rec.gap_pos[0], 3);
    assert_int_equal(f->rec.gap_len[0], 7);
    assert_int_equal(f->s.next_seq, 11);
    seg(f, 11, "klm");
    assert_delivered(f, "abcklm");

    /* Out of order: 20..21 held, then a cut at 14..23 around it. */
    seg(f, 20, "tu");
    seg(f, 14, "");                /* nothing kept of the cut segment */
    tcp_stream_cut(&f->s, &f->lim, 1, 14, 10, 6, &f->sink);
    assert_delivered(f, "abcklmtu");
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->s.next_seq, 24);
    assert_int_equal(f->s.queued_bytes, 0);

    /* A cut segment queued behind a hole: nothing is declared yet. */
    tcp_stream_cut(&f->s, &f->lim, 1, 30, 5, 7, &f->sink);
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->s.next_seq, 24);
    /* Garbage: a cut of 2^30 bytes or more is not one segment's. */
    tcp_stream_cut(&f->s, &f->lim, 1, 24, 1u << 30, 7, &f->sink);
    assert_int_equal(f->s.next_seq, 24);
    fixture_free(f);
}

static void test_flush_with_holes(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 500);
    seg(f, 501, "ab");
    seg(f, 510, "ij");
    seg(f, 505, "ef");
    seg(f, 512, "kl");
    tcp_stream_flush(&f->s, &f->lim, 1, 77, &f->sink);
    assert_delivered(f, "abefijkl");
    assert_int_equal(f->rec.last_ts, 77);
    assert_int_equal(f->s.gaps, 2);
    assert_int_equal(f->rec.gap_pos[0], 2);
    assert_int_equal(f->rec.gap_len[0], 2);
    assert_int_equal(f->rec.gap_pos[1], 6);
    assert_int_equal(f->rec.gap_len[1], 3);
    assert_int_equal(f->s.queued_bytes, 0);
    assert_int_equal(f->held, 0);
    assert_int_equal(f->s.next_seq, 514);
    /* Flushing an empty stream does nothing. */
    tcp_stream_flush(&f->s, &f->lim, 1, 78, &f->sink);
    assert_int_equal(f->s.gaps, 2);
    fixture_free(f);
}

static void test_keepalive_not_gap(void **state)
{
    struct fixture *f = fixture_new(1024);
    const uint8_t zero = 0;
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 1, "0123456789");
    /* Keep-alive: one garbage byte, or none, at next_seq - 1. */
    tcp_stream_segment(&f->s, &f->lim, 1, 10, &zero, 1, 1, &f->sink);
    tcp_stream_segment(&f->s, &f->lim, 1, 10, &zero, 0, 1, &f->sink);
    assert_delivered(f, "0123456789");
    assert_int_equal(f->s.dup_bytes, 1);
    assert_int_equal(f->s.gaps, 0);
    assert_int_equal(f->s.queued_bytes, 0);
    assert_int_equal(f->s.next_seq, 11);
    /* The ack of a keep-alive is next_seq: still no gap. */
    tcp_stream_acked(&f->s, &f->lim, 1, 11, 1, &f->sink);
    assert_int_equal(f->s.gaps, 0);
    seg(f, 11, "ab");
    assert_delivered(f, "0123456789ab");
    fixture_free(f);
}

static void test_held_total_shared(void **state)
{
    struct fixture *f = fixture_new(1024);
    struct tcp_stream other;
    (void)state;

    tcp_stream_init(&other);
    tcp_stream_syn(&f->s, 0);
    tcp_stream_syn(&other, 1000);
    seg(f, 5, "abc");
    seg(f, 20, "defg");
    tcp_stream_segment(&other, &f->lim, 0, 1010, (const uint8_t *)"xyz", 3, 1,
                       &f->sink);
    assert_int_equal(f->held, 10);
    assert_int_equal(other.queued_bytes, 3);
    /* A partial drain gives back exactly what it delivers. */
    seg(f, 1, "0123");
    assert_int_equal(f->held, 7);
    assert_int_equal(f->s.queued_bytes, 4);
    tcp_stream_release(&other, &f->lim);
    assert_int_equal(f->held, 4);
    assert_int_equal(other.queued_bytes, 0);
    tcp_stream_release(&f->s, &f->lim);
    assert_int_equal(f->held, 0);
    /* Releasing twice is harmless. */
    tcp_stream_release(&f->s, &f->lim);
    assert_int_equal(f->held, 0);
    fixture_free(f);
}

static void test_midstream_start(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    assert_false(f->s.started);
    /* No SYN: an ack cannot declare anything yet. */
    tcp_stream_acked(&f->s, &f->lim, 1, 7000, 1, &f->sink);
    assert_int_equal(f->s.gaps, 0);
    seg(f, 5000, "hello");
    assert_true(f->s.started);
    assert_int_equal(f->s.next_seq, 5005);
    seg(f, 5010, "there");
    seg(f, 5005, "_ _ ");
    assert_delivered(f, "hello_ _ ");
    assert_int_equal(f->s.queued_bytes, 5);
    seg(f, 5009, "!");
    assert_delivered(f, "hello_ _ !there");
    /* Data before the first segment seen is old, not a new start. */
    seg(f, 4990, "early");
    assert_int_equal(f->s.dup_bytes, 5);
    assert_delivered(f, "hello_ _ !there");
    fixture_free(f);
}

static void test_syn_retransmit(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 100);
    tcp_stream_syn(&f->s, 100);
    assert_int_equal(f->s.next_seq, 101);
    /* New ISN before any data: the new attempt wins. */
    tcp_stream_syn(&f->s, 9000);
    assert_int_equal(f->s.next_seq, 9001);
    seg(f, 9001, "abc");
    /* After data a SYN changes nothing. */
    tcp_stream_syn(&f->s, 50);
    assert_int_equal(f->s.next_seq, 9004);
    assert_delivered(f, "abc");
    fixture_free(f);
}

static void test_zero_length_and_window(void **state)
{
    struct fixture *f = fixture_new(1 << 20);
    (void)state;

    tcp_stream_segment(&f->s, &f->lim, 1, 77, NULL, 0, 1, &f->sink);
    assert_false(f->s.started);
    tcp_stream_syn(&f->s, 0);
    tcp_stream_segment(&f->s, &f->lim, 1, 1, (const uint8_t *)"a", 0, 1,
                       &f->sink);
    assert_int_equal(f->s.next_seq, 1);
    assert_int_equal(f->rec.calls, 0);
    /* A segment a gigabyte or more ahead is outside any TCP window. */
    seg(f, 1u + 0x40000000u, "far");
    seg(f, 1u + 0x7FFFFFFFu, "far");
    assert_int_equal(f->s.queued_bytes, 0);
    /* Just inside the window it is held. */
    seg(f, 0x40000000u, "near");
    assert_int_equal(f->s.queued_bytes, 4);
    tcp_stream_flush(&f->s, &f->lim, 1, 1, &f->sink);
    assert_delivered(f, "near");
    assert_int_equal(f->s.gap_bytes, 0x40000000u - 1);
    fixture_free(f);
}

static void test_release_from_callback(void **state)
{
    struct fixture *f = fixture_new(1024);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 4, "def");
    seg(f, 10, "jkl");
    assert_int_equal(f->held, 6);
    /* The sink decides the flow on the first bytes and releases the stream
     * while it is being delivered to. */
    f->rec.release_me = &f->s;
    f->rec.release_lim = &f->lim;
    seg(f, 1, "abc");
    assert_int_equal(f->held, 0);
    assert_int_equal(f->s.queued_bytes, 0);
    assert_null(f->rec.release_me);
    /* Nothing queued survives the release, and nothing more is delivered. */
    assert_delivered(f, "abc");
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reversed_order),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_overlap_first_wins),
        cmocka_unit_test(test_partial_overlap_delivered),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_ack_gap),
        cmocka_unit_test(test_ack_before_data),
        cmocka_unit_test(test_hole_wait_counts_segments),
        cmocka_unit_test(test_acked_hole_slow_fill_and_flush),
        cmocka_unit_test(test_cap_gap),
        cmocka_unit_test(test_segment_cap_and_cost),
        cmocka_unit_test(test_memcap_refuses),
        cmocka_unit_test(test_many_tiny_segments),
        cmocka_unit_test(test_rst_window),
        cmocka_unit_test(test_cap_zero),
        cmocka_unit_test(test_snaplen_cut),
        cmocka_unit_test(test_flush_with_holes),
        cmocka_unit_test(test_keepalive_not_gap),
        cmocka_unit_test(test_held_total_shared),
        cmocka_unit_test(test_midstream_start),
        cmocka_unit_test(test_syn_retransmit),
        cmocka_unit_test(test_zero_length_and_window),
        cmocka_unit_test(test_release_from_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
