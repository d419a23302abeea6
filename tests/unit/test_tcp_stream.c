/* test_tcp_stream.c — unit tests for TCP reassembly: ordering, retransmits,
 * first-copy-wins overlaps, wrap-around, and the three ways a hole is
 * declared (ack, cap, flush). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "analyzer/tcp_stream.h"

/* A sink that appends delivered bytes to a buffer and records each gap with
 * the stream position where it happened. */
struct recorder {
    uint8_t buf[4096];
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
    tcp_stream_acked(&f->s, &f->lim, 1, 0x00000010u, 50, &f->sink);
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
    /* Ack past the first hole only: that hole is lost, the next is not. */
    tcp_stream_acked(&f->s, &f->lim, 1, 12, 7, &f->sink);
    assert_delivered(f, "abcdeklmno");
    assert_int_equal(f->rec.last_ts, 7);
    assert_int_equal(f->s.gaps, 1);
    assert_int_equal(f->s.gap_bytes, 5);
    assert_int_equal(f->rec.gap_pos[0], 5);
    assert_int_equal(f->rec.gap_len[0], 5);
    assert_int_equal(f->s.queued_bytes, 3);
    /* Ack past everything: the second hole, then the lost tail. */
    tcp_stream_acked(&f->s, &f->lim, 1, 30, 8, &f->sink);
    assert_delivered(f, "abcdeklmnouvw");
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->rec.gap_pos[1], 15);
    assert_int_equal(f->rec.gap_len[1], 5);
    assert_int_equal(f->rec.gap_pos[2], 23);
    assert_int_equal(f->rec.gap_len[2], 6);
    assert_int_equal(f->s.gap_bytes, 16);
    assert_int_equal(f->s.next_seq, 30);
    /* Garbage acks: 2 GiB away, a gigabyte ahead, or a tail over 1 MiB. */
    tcp_stream_acked(&f->s, &f->lim, 1, 30u + 0x80000000u, 9, &f->sink);
    tcp_stream_acked(&f->s, &f->lim, 1, 30u + 0x40000000u, 9, &f->sink);
    tcp_stream_acked(&f->s, &f->lim, 1, 30u + (1u << 20), 9, &f->sink);
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->s.next_seq, 30);
    /* After a FIN the ack covers one sequence number that is not data. */
    f->s.fin = true;
    tcp_stream_acked(&f->s, &f->lim, 1, 31, 9, &f->sink);
    assert_int_equal(f->s.gaps, 3);
    assert_int_equal(f->s.next_seq, 30);
    fixture_free(f);
}

static void test_cap_gap(void **state)
{
    struct fixture *f = fixture_new(8);
    (void)state;

    tcp_stream_syn(&f->s, 0);
    seg(f, 11, "AAAA");   /* offsets 10..13 */
    seg(f, 21, "BBBB");   /* offsets 20..23 */
    assert_int_equal(f->s.queued_bytes, 8);
    /* A third would exceed the cap: the first hole is given up. */
    seg(f, 31, "CCCC");
    assert_delivered(f, "AAAA");
    assert_int_equal(f->s.gaps, 1);
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
    seg(f, 41, "eeeeeeeeeeee");
    assert_delivered(f, "AAAAddddBBBBCCCCeeeeeeeeeeee");
    assert_int_equal(f->s.gaps, 4);
    assert_int_equal(f->rec.gap_pos[2], 24);
    assert_int_equal(f->rec.gap_len[2], 6);
    assert_int_equal(f->rec.gap_pos[3], 34);
    assert_int_equal(f->rec.gap_len[3], 6);
    assert_int_equal(f->s.queued_bytes, 0);
    assert_int_equal(f->held, 0);
    assert_int_equal(f->s.gap_bytes, 10 + 2 + 6 + 6);
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
        cmocka_unit_test(test_cap_gap),
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
