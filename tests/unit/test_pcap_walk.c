/* test_pcap_walk.c — pcap and pcapng files read from memory and from a
 * mapping: every frame and every refusal as libpcap has them (the same
 * bytes read by both, pcap_walk_oracle.h), on made files and on thousands
 * of damaged ones, and on every capture the project made with real TLS
 * stacks; the files the walk leaves to libpcap; and a mapped file
 * cut short while it is read, which must end the walk with an error, not
 * the process with SIGBUS. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glob.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "analyzer/capture_map.h"
#include "analyzer/pcap_walk.h"
#include "tests/pcap_walk_oracle.h"

#define MAGIC_MICRO 0xa1b2c3d4u
#define MAGIC_NANO 0xa1b23c4du

struct file {
    uint8_t bytes[1 << 16];
    size_t len;
};

static void put32(struct file *f, uint32_t v)
{
    memcpy(f->bytes + f->len, &v, 4); /* this machine's order */
    f->len += 4;
}

static void put16(struct file *f, uint16_t v)
{
    memcpy(f->bytes + f->len, &v, 2);
    f->len += 2;
}

static void file_header(struct file *f, uint32_t magic, uint16_t minor,
                        uint32_t snaplen)
{
    f->len = 0;
    put32(f, magic);
    put16(f, 2);
    put16(f, minor);
    put32(f, 0);
    put32(f, 0);
    put32(f, snaplen);
    put32(f, 1); /* Ethernet */
}

/* A record of `cap_len` bytes (a counting pattern), claiming `caplen`. */
static void record(struct file *f, uint32_t sec, uint32_t usec,
                   uint32_t caplen, uint32_t wire_len, size_t cap_len)
{
    put32(f, sec);
    put32(f, usec);
    put32(f, caplen);
    put32(f, wire_len);
    for (size_t i = 0; i < cap_len; i++, f->len++)
        f->bytes[f->len] = (uint8_t)(i * 7 + f->len);
}

static size_t agree(const struct file *f)
{
    size_t frames;
    char diff[512] = "";
    enum oracle_verdict v =
        pcap_walk_oracle(f->bytes, f->len, &frames, diff, sizeof(diff));
    if (v != ORACLE_AGREE)
        fail_msg("walk and libpcap differ: %s", diff);
    return frames;
}

/* The first refusal's words, for the tests that expect one. */
static enum pcap_walk_result walk_all(const struct file *f, size_t *frames,
                                      char *why, size_t why_len)
{
    struct pcap_walk_format fmt;
    assert_true(pcap_walk_format_read(f->bytes, f->len, &fmt));
    struct pcap_walk w;
    pcap_walk_start(&w, f->bytes + PCAP_WALK_FILE_HEADER,
                    f->len - PCAP_WALK_FILE_HEADER, &fmt);
    struct pcap_walk_frame fr;
    enum pcap_walk_result r;
    *frames = 0;
    while ((r = pcap_walk_next(&w, &fr, why, why_len)) == PCAP_WALK_FRAME)
        (*frames)++;
    return r;
}

static void test_frames_as_libpcap(void **state)
{
    (void)state;
    static struct file f;
    file_header(&f, MAGIC_MICRO, 4, 65535);
    record(&f, 1700000000, 1, 60, 60, 60);
    record(&f, 1700000000, 999999, 1514, 1514, 1514);
    record(&f, 1700000001, 0, 0, 0, 0);           /* an empty frame */
    record(&f, 1700000002, 5, 40, 9000, 40);      /* cut by the capture */
    record(&f, 0xffffffffu, 2000000, 20, 20, 20); /* times that are not */
    assert_int_equal(agree(&f), 5);

    file_header(&f, MAGIC_NANO, 4, 0); /* snaplen 0: the maximum */
    record(&f, 1700000000, 123456789, 70, 70, 70);
    record(&f, 1700000000, 0xfffffc18u, 70, 70, 70); /* -1000 ns */
    assert_int_equal(agree(&f), 2);

    struct pcap_walk_format fmt;
    assert_true(pcap_walk_format_read(f.bytes, f.len, &fmt));
    struct pcap_walk w;
    pcap_walk_start(&w, f.bytes + 24, f.len - 24, &fmt);
    struct pcap_walk_frame fr;
    char why[128];
    assert_int_equal(pcap_walk_next(&w, &fr, why, sizeof(why)),
                     PCAP_WALK_FRAME);
    assert_int_equal(fr.usec, 123456);
    assert_int_equal(fr.offset, 24);
    assert_int_equal(pcap_walk_next(&w, &fr, why, sizeof(why)),
                     PCAP_WALK_FRAME);
    assert_int_equal(fr.usec, -1);
    assert_int_equal(fr.offset, 24 + 16 + 70);

    /* Where the record after the next lies, for prefetching. */
    file_header(&f, MAGIC_MICRO, 4, 65535);
    record(&f, 1, 0, 10, 10, 10);
    record(&f, 2, 0, 20, 20, 20);
    record(&f, 3, 0, 30, 30, 30);
    pcap_walk_start(&w, f.bytes + 24, f.len - 24, &fmt);
    assert_ptr_equal(pcap_walk_after_next(&w, 0), f.bytes + 24 + 26);
    assert_ptr_equal(pcap_walk_after_next(&w, 83), NULL); /* past the end */
    assert_ptr_equal(pcap_walk_after_next(&w, 8), f.bytes + 24 + 26 + 8);
    assert_int_equal(pcap_walk_next(&w, &fr, why, sizeof(why)),
                     PCAP_WALK_FRAME);
    assert_ptr_equal(pcap_walk_after_next(&w, 0), f.bytes + 24 + 26 + 36);
    assert_int_equal(pcap_walk_next(&w, &fr, why, sizeof(why)),
                     PCAP_WALK_FRAME);
    /* The next is the last: nothing after it. */
    assert_ptr_equal(pcap_walk_after_next(&w, 0), NULL);
}

static void test_snapshot_cuts(void **state)
{
    (void)state;
    static struct file f;
    /* Past the file's snaplen: cut to it, the rest skipped. */
    file_header(&f, MAGIC_MICRO, 4, 64);
    record(&f, 1, 0, 100, 100, 100);
    record(&f, 2, 0, 64, 64, 64);
    assert_int_equal(agree(&f), 2);
    /* The file ends within the part that would be skipped. */
    file_header(&f, MAGIC_MICRO, 4, 64);
    record(&f, 1, 0, 100, 100, 80);
    assert_int_equal(agree(&f), 0);
    /* ... and within the part that would be kept. */
    file_header(&f, MAGIC_MICRO, 4, 64);
    record(&f, 1, 0, 100, 100, 30);
    assert_int_equal(agree(&f), 0);
}

/* The walk stops after `frames` frames with `text`, and so does libpcap. */
static void expect_refusal(const struct file *f, size_t frames,
                           const char *text)
{
    size_t walked;
    char why[PCAP_ERRBUF_SIZE];
    assert_int_equal(walk_all(f, &walked, why, sizeof(why)),
                     PCAP_WALK_BROKEN);
    assert_int_equal(walked, frames);
    assert_string_equal(why, text);
    assert_int_equal(agree(f), frames);
}

static void test_refusals_in_libpcaps_words(void **state)
{
    (void)state;
    static struct file f;

    file_header(&f, MAGIC_MICRO, 4, 65535);
    record(&f, 1, 0, 10, 10, 10);
    f.len += 5; /* five bytes of a header */
    memset(f.bytes + f.len - 5, 0, 5);
    expect_refusal(&f, 1, "truncated dump file; tried to read 16 header "
                          "bytes, only got 5");

    file_header(&f, MAGIC_MICRO, 4, 65535);
    record(&f, 1, 0, 300000, 300000, 0);
    expect_refusal(&f, 0, "invalid packet capture length 300000, bigger "
                          "than snaplen of 65535");

    file_header(&f, MAGIC_MICRO, 4, 0x7fffffffu);
    record(&f, 1, 0, 300000, 300000, 0);
    expect_refusal(&f, 0, "invalid packet capture length 300000, bigger "
                          "than maximum of 262144");

    file_header(&f, MAGIC_MICRO, 4, 65535);
    record(&f, 1, 0, 1000, 1000, 999);
    expect_refusal(&f, 0, "truncated dump file; tried to read 1000 "
                          "captured bytes, only got 999");
}

static void test_files_left_to_libpcap(void **state)
{
    (void)state;
    static struct file f;
    struct pcap_walk_format fmt;
    file_header(&f, MAGIC_MICRO, 3, 65535); /* lengths may be swapped */
    assert_false(pcap_walk_format_read(f.bytes, f.len, &fmt));
    file_header(&f, 0xd4c3b2a1u, 4, 65535); /* the other byte order */
    assert_false(pcap_walk_format_read(f.bytes, f.len, &fmt));
    file_header(&f, 0xa1b2cd34u, 4, 65535); /* patched headers */
    assert_false(pcap_walk_format_read(f.bytes, f.len, &fmt));
    file_header(&f, 0x0a0d0d0au, 4, 65535); /* pcapng */
    assert_false(pcap_walk_format_read(f.bytes, f.len, &fmt));
    file_header(&f, MAGIC_MICRO, 4, 65535);
    assert_false(pcap_walk_format_read(f.bytes, 23, &fmt));
    assert_true(pcap_walk_format_read(f.bytes, 24, &fmt));
}

/* Damaged copies of `base`: cut at every length, and bytes changed past
 * `from`. Each either agrees with libpcap or is a file the walk does not
 * take; returns how many agreed. */
static size_t damaged_copies_agree(const struct file *base, size_t from)
{
    static struct file f;
    size_t compared = 0;
    for (size_t cut = 0; cut <= base->len; cut++) {
        f = *base;
        f.len = cut;
        size_t frames;
        char diff[512] = "";
        enum oracle_verdict v =
            pcap_walk_oracle(f.bytes, f.len, &frames, diff, sizeof(diff));
        if (v == ORACLE_DIFFER)
            fail_msg("cut at %zu: %s", cut, diff);
        compared += v == ORACLE_AGREE;
    }
    uint32_t seed = 12345;
    for (int round = 0; round < 4000; round++) {
        f = *base;
        int changes = 1 + round % 3;
        for (int c = 0; c < changes; c++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = from + (seed >> 8) % (base->len - from);
            seed = seed * 1103515245u + 12345u;
            f.bytes[at] = (uint8_t)(seed >> 16);
        }
        size_t frames;
        char diff[512] = "";
        enum oracle_verdict v =
            pcap_walk_oracle(f.bytes, f.len, &frames, diff, sizeof(diff));
        if (v == ORACLE_DIFFER)
            fail_msg("round %d: %s", round, diff);
        compared += v == ORACLE_AGREE;
    }
    return compared;
}

static void test_damaged_files_agree(void **state)
{
    (void)state;
    static struct file base;
    file_header(&base, MAGIC_MICRO, 4, 200);
    uint32_t lens[] = {60, 1514, 0, 199, 200, 201, 40};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        record(&base, 100 + (uint32_t)i, (uint32_t)i * 1000, lens[i],
               lens[i] + 3, lens[i]);
    assert_true(damaged_copies_agree(&base, 24) > 4000);
}

/* ---- pcapng -------------------------------------------------------------*/

static void put64(struct file *f, uint64_t v)
{
    memcpy(f->bytes + f->len, &v, 8);
    f->len += 8;
}

/* A block: its type, `body` bytes, padded to 4, lengths at both ends. */
static void block(struct file *f, uint32_t type, const uint8_t *body,
                  size_t n)
{
    uint32_t total = (uint32_t)(12 + (n + 3) / 4 * 4);
    put32(f, type);
    put32(f, total);
    memcpy(f->bytes + f->len, body, n);
    memset(f->bytes + f->len + n, 0, (n + 3) / 4 * 4 - n);
    f->len += (n + 3) / 4 * 4;
    put32(f, total);
}

static void shb(struct file *f)
{
    struct file b = {.len = 0};
    put32(&b, 0x1A2B3C4Du);
    put16(&b, 1);
    put16(&b, 0);
    put64(&b, UINT64_MAX);
    block(f, 0x0A0D0D0Au, b.bytes, b.len);
}

/* An interface; `tsresol` 0: none (microseconds), `tsoffset` 0: none. */
static void idb(struct file *f, uint16_t linktype, uint32_t snaplen,
                uint8_t tsresol, uint64_t tsoffset)
{
    struct file b = {.len = 0};
    put16(&b, linktype);
    put16(&b, 0);
    put32(&b, snaplen);
    if (tsresol) {
        put16(&b, 9);
        put16(&b, 1);
        put32(&b, tsresol); /* the first byte counts, the rest is padding */
    }
    if (tsoffset) {
        put16(&b, 14);
        put16(&b, 8);
        put64(&b, tsoffset);
    }
    put32(&b, 0); /* opt_endofopt */
    block(f, 1, b.bytes, b.len);
}

static void epb(struct file *f, uint32_t iface, uint64_t t, uint32_t cap_len,
                uint32_t wire_len)
{
    struct file b = {.len = 0};
    put32(&b, iface);
    put32(&b, (uint32_t)(t >> 32));
    put32(&b, (uint32_t)t);
    put32(&b, cap_len);
    put32(&b, wire_len);
    for (uint32_t i = 0; i < cap_len; i++, b.len++)
        b.bytes[b.len] = (uint8_t)(i * 13 + t);
    block(f, 6, b.bytes, b.len);
}

static void spb(struct file *f, uint32_t wire_len)
{
    struct file b = {.len = 0};
    put32(&b, wire_len);
    for (uint32_t i = 0; i < wire_len; i++, b.len++)
        b.bytes[b.len] = (uint8_t)i;
    block(f, 3, b.bytes, b.len);
}

/* Enhanced, simple and other blocks; microsecond, nanosecond, 2^-20 and
 * millisecond clocks, an offset; a second section: all as libpcap. */
static void test_pcapng_as_libpcap(void **state)
{
    (void)state;
    static struct file f;
    f.len = 0;
    shb(&f);
    uint8_t comment[] = "a name-resolution block libpcap skips";
    block(&f, 4, comment, sizeof(comment));
    idb(&f, 1, 65535, 0, 0);
    idb(&f, 1, 65535, 9, 0);            /* nanoseconds */
    idb(&f, 1, 65535, 0x80 | 20, 0);    /* 2^-20 */
    idb(&f, 1, 65535, 3, 1700000000);   /* milliseconds and an offset */
    epb(&f, 0, 1700000000123456ull, 60, 60);
    epb(&f, 1, 1700000000123456789ull, 1514, 1514);
    epb(&f, 2, (1700000000ull << 20) | 123456, 40, 9000);
    epb(&f, 3, 123456, 0, 0);
    spb(&f, 70);
    shb(&f);                            /* a new section: no interfaces */
    idb(&f, 1, 65535, 6, 0);
    epb(&f, 0, 5, 10, 10);
    assert_int_equal(agree(&f), 6);
    assert_true(damaged_copies_agree(&f, 0) > 4000);

    /* Refusals, with libpcap's words: a packet before its interface, a
     * second interface of another link type, a snaplen past the first's. */
    f.len = 0;
    shb(&f);
    idb(&f, 1, 65535, 0, 0);
    epb(&f, 1, 5, 10, 10);
    assert_int_equal(agree(&f), 0);
    f.len = 0;
    shb(&f);
    idb(&f, 1, 65535, 0, 0);
    epb(&f, 0, 5, 10, 10);
    idb(&f, 113, 65535, 0, 0);
    epb(&f, 0, 5, 10, 10);
    assert_int_equal(agree(&f), 1);
    f.len = 0;
    shb(&f);
    idb(&f, 1, 100, 0, 0);
    epb(&f, 0, 5, 101, 101);
    assert_int_equal(agree(&f), 0);
}

/* The project's captures, made with real TLS stacks (pcap and pcapng):
 * every one read by both agrees, frame for frame. */
static void test_committed_captures_agree(void **state)
{
    (void)state;
    const char *root = getenv("TLSMON_SOURCE_ROOT");
    char pattern[4096];
    snprintf(pattern, sizeof(pattern), "%s/captures/*.pcap*",
             root ? root : ".");
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    size_t agreed = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        FILE *fp = fopen(g.gl_pathv[i], "rb");
        assert_non_null(fp);
        static uint8_t bytes[1 << 22];
        size_t len = fread(bytes, 1, sizeof(bytes), fp);
        fclose(fp);
        assert_true(len < sizeof(bytes));
        size_t frames;
        char diff[512] = "";
        enum oracle_verdict v =
            pcap_walk_oracle(bytes, len, &frames, diff, sizeof(diff));
        if (v != ORACLE_AGREE)
            fail_msg("%s: %s", g.gl_pathv[i],
                     v == ORACLE_DIFFER ? diff : "not taken");
        agreed++;
    }
    globfree(&g);
    assert_true(agreed >= 100);
}

/* A file of nothing but interfaces: refused past a million, where libpcap
 * would grow its table without bound. */
static void test_pcapng_interfaces_bounded(void **state)
{
    (void)state;
    static struct file head;
    size_t n = (1u << 20) + 1;
    head.len = 0;
    shb(&head);
    uint8_t *bytes = malloc(head.len + n * 20);
    assert_non_null(bytes);
    memcpy(bytes, head.bytes, head.len);
    size_t at = head.len;
    for (size_t i = 0; i < n; i++) {
        uint32_t words[5] = {1, 20, 1 | (0u << 16), 65535, 20};
        memcpy(bytes + at, words, sizeof(words)); /* this machine's order */
        at += sizeof(words);
    }
    struct pcapng_walk w;
    assert_true(pcapng_walk_open(&w, bytes, at, 1));
    struct pcap_walk_frame fr;
    char why[PCAP_WALK_WHY];
    assert_int_equal(pcapng_walk_next(&w, &fr, why, sizeof(why)),
                     PCAP_WALK_BROKEN);
    assert_string_equal(why, "more than 1048576 interfaces in the file");
    assert_int_equal(w.ifcount, 1u << 20);
    pcapng_walk_free(&w);
    free(bytes);
}

/* A mapped file cut short under the walk: the frames before the cut come,
 * then an error; no SIGBUS. */
static void test_mapped_file_cut_short(void **state)
{
    (void)state;
    static struct file f;
    file_header(&f, MAGIC_MICRO, 4, 65535);
    size_t pagesize = (size_t)sysconf(_SC_PAGESIZE);
    while (f.len < 8 * pagesize)
        record(&f, 1, 0, 1000, 1000, 1000);
    char path[] = "/tmp/tlsmon-test-map-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, f.bytes, f.len), (ssize_t)f.len);
    struct capture_map *m = capture_map_open(fd, f.len, 1);
    assert_non_null(m);
    struct pcap_walk_frame fr;
    char why[PCAP_ERRBUF_SIZE];
    assert_int_equal(capture_map_next(m, &fr, why, sizeof(why)),
                     PCAP_WALK_FRAME);
    assert_int_equal(fr.cap_len, 1000);
    assert_int_equal(ftruncate(fd, (off_t)(2 * pagesize)), 0);
    size_t frames = 1;
    enum pcap_walk_result r;
    while ((r = capture_map_next(m, &fr, why, sizeof(why))) ==
           PCAP_WALK_FRAME)
        frames++;
    assert_int_equal(r, PCAP_WALK_BROKEN);
    assert_string_equal(why, "the file was cut short while it was read");
    /* The frames wholly in the two pages left, and not many more. */
    assert_true(frames >= (2 * pagesize - 24) / 1016);
    assert_true(frames <= 2 * pagesize / 1016 + 1);
    capture_map_close(m);
    /* Not a pcap file this reader takes: left alone. */
    assert_int_equal(pwrite(fd, "\x0a\x0d\x0d\x0a", 4, 0), 4);
    assert_null(capture_map_open(fd, 2 * pagesize, 1));
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_as_libpcap),
        cmocka_unit_test(test_snapshot_cuts),
        cmocka_unit_test(test_refusals_in_libpcaps_words),
        cmocka_unit_test(test_files_left_to_libpcap),
        cmocka_unit_test(test_damaged_files_agree),
        cmocka_unit_test(test_pcapng_as_libpcap),
        cmocka_unit_test(test_pcapng_interfaces_bounded),
        cmocka_unit_test(test_committed_captures_agree),
        cmocka_unit_test(test_mapped_file_cut_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
