/* test_spool.c — the on-disk spool and the sender that uses it: order kept
 * across peeks, consumes and restarts; the size cap drops the oldest and
 * counts them; a torn or corrupt record left by a crash is cut off; one
 * process per spool; and a sender whose destination is down keeps every
 * event on disk and delivers them in order once it is back (a fake
 * transport, switched up and down by the test). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/output/sender.h"
#include "analyzer/output/spool.h"

static char *make_dir(void)
{
    char tmpl[] = "/tmp/tlsmon-spool-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void remove_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void append_n(struct spool *sp, int from, int to, size_t pad)
{
    char buf[4096];
    for (int i = from; i < to; i++) {
        int n = snprintf(buf, sizeof(buf), "event %d ", i);
        memset(buf + n, 'x', pad);
        assert_true(spool_append(sp, buf, (size_t)n + pad));
    }
}

/* Reads every record left, checking they are numbered from `first` up;
 * returns how many. */
static int drain(struct spool *sp, int first)
{
    struct sender_msg *m[17];
    int seen = 0;
    size_t n;
    while ((n = spool_peek(sp, m, 17)) > 0) {
        for (size_t i = 0; i < n; i++) {
            int id = -1;
            assert_int_equal(sscanf(m[i]->data, "event %d", &id), 1);
            assert_int_equal(id, first + seen);
            seen++;
            free(m[i]);
        }
        spool_consume(sp, n);
    }
    assert_int_equal(spool_records(sp), 0);
    return seen;
}

static void test_crc32_check_value(void **state)
{
    (void)state;
    /* The CRC-32 catalogue's check value. */
    assert_int_equal(spool_crc32("123456789", 9), 0xCBF43926u);
}

static void test_order_and_restart(void **state)
{
    (void)state;
    char *dir = make_dir();
    char err[256];
    struct spool *sp = spool_open(dir, 1 << 20, err, sizeof(err));
    assert_non_null(sp);
    append_n(sp, 0, 500, 100);
    assert_int_equal(spool_records(sp), 500);

    /* Deliver 120, peek 10 more without consuming them, then stop. */
    struct sender_msg *m[60];
    int done = 0;
    while (done < 120) {
        size_t n = spool_peek(sp, m, 60);
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++)
            free(m[i]);
        spool_consume(sp, n);
        done += (int)n;
    }
    size_t n = spool_peek(sp, m, 10);
    for (size_t i = 0; i < n; i++)
        free(m[i]);
    spool_close(sp);

    /* Another process can not take it while it is open; after close, the
     * next run finds the undelivered ones, in order. */
    sp = spool_open(dir, 1 << 20, err, sizeof(err));
    assert_non_null(sp);
    struct spool *other = spool_open(dir, 1 << 20, err, sizeof(err));
    assert_null(other);
    assert_non_null(strstr(err, "in use"));
    assert_int_equal(spool_records(sp), 500 - 120);
    append_n(sp, 500, 520, 10);
    assert_int_equal(drain(sp, 120), 400);
    spool_close(sp);
    remove_dir(dir);
    free(dir);
}

static void test_cap_drops_oldest(void **state)
{
    (void)state;
    char *dir = make_dir();
    char err[256];
    const uint64_t cap = 64 << 10;
    struct spool *sp = spool_open(dir, cap, err, sizeof(err));
    assert_non_null(sp);
    append_n(sp, 0, 1000, 200);
    assert_true(spool_bytes(sp) <= cap);
    uint64_t kept = spool_records(sp), lost = spool_dropped(sp);
    assert_int_equal(kept + lost, 1000);
    assert_true(lost > 0);
    /* Segments are an eighth of the cap: most of it stays in use. */
    assert_true(spool_bytes(sp) > cap / 2);
    /* What is kept is the newest, in order. */
    assert_int_equal(drain(sp, (int)lost), (int)kept);

    /* A record larger than the cap is refused and counted. */
    char *big = calloc(1, cap);
    assert_false(spool_append(sp, big, cap));
    assert_int_equal(spool_dropped(sp), lost + 1);
    free(big);
    spool_close(sp);

    /* A smaller cap on the next run keeps the newest that fit. */
    sp = spool_open(dir, cap, err, sizeof(err));
    append_n(sp, 0, 300, 200);
    spool_close(sp);
    sp = spool_open(dir, cap / 2, err, sizeof(err));
    assert_non_null(sp);
    assert_true(spool_bytes(sp) <= cap / 2);
    assert_int_equal(drain(sp, (int)spool_dropped(sp)), 300 - (int)spool_dropped(sp));
    spool_close(sp);
    remove_dir(dir);
    free(dir);
}

/* The newest segment file in dir. */
static void last_segment(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char best[256] = "";
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".seg") && strcmp(e->d_name, best) > 0)
            snprintf(best, sizeof(best), "%s", e->d_name);
    closedir(d);
    assert_true(best[0]);
    snprintf(out, n, "%s/%s", dir, best);
}

static void test_torn_and_corrupt_records(void **state)
{
    (void)state;
    char *dir = make_dir();
    char err[256], seg[800];
    struct spool *sp = spool_open(dir, 1 << 20, err, sizeof(err));
    append_n(sp, 0, 50, 20);
    spool_close(sp);

    /* A crash mid-write: a header promising more than follows. */
    last_segment(dir, seg, sizeof(seg));
    FILE *fp = fopen(seg, "ab");
    fwrite("\0\0\1\0\xde\xad\xbe\xefpartial", 1, 15, fp);
    fclose(fp);
    sp = spool_open(dir, 1 << 20, err, sizeof(err));
    assert_non_null(sp);
    assert_int_equal(spool_records(sp), 50);
    append_n(sp, 50, 60, 20); /* lands after the cut, readable */
    spool_close(sp);

    /* A flipped byte inside record 30: it and the rest of the segment go. */
    int fd = open(seg, O_RDWR);
    off_t at = 0;
    for (int i = 0; i < 30; i++) {
        unsigned char hdr[4];
        assert_int_equal(pread(fd, hdr, 4, at), 4);
        at += 8 + ((off_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3]);
    }
    assert_int_equal(pwrite(fd, "Y", 1, at + 10), 1);
    close(fd);
    sp = spool_open(dir, 1 << 20, err, sizeof(err));
    assert_non_null(sp);
    assert_int_equal(drain(sp, 0), 30);
    spool_close(sp);
    remove_dir(dir);
    free(dir);
}

/* ---- the sender over a spool, with a fake destination ------------------ */

struct fake_dest {
    atomic_bool up;
    pthread_mutex_t lock;
    int got[5000];
    int n_got;
};

static bool fake_open(void *ctx, char *err, size_t n)
{
    struct fake_dest *d = ctx;
    if (!d->up)
        snprintf(err, n, "down");
    return d->up;
}

static size_t fake_send(void *ctx, struct sender_msg *const *msgs, size_t n,
                        size_t *refused, char *err, size_t errlen)
{
    struct fake_dest *d = ctx;
    (void)refused;
    for (size_t i = 0; i < n; i++) {
        if (!d->up) {
            snprintf(err, errlen, "went away");
            return i;
        }
        int id = -1;
        sscanf(msgs[i]->data, "event %d", &id);
        pthread_mutex_lock(&d->lock);
        if (d->n_got < 5000)
            d->got[d->n_got++] = id;
        pthread_mutex_unlock(&d->lock);
    }
    return n;
}

static void fake_close(void *ctx)
{
    (void)ctx;
}

static const struct sender_transport fake_transport = {
    fake_open, fake_send, fake_close, NULL,
};

static void push_n(struct sender *s, int from, int to)
{
    char buf[64];
    for (int i = from; i < to; i++) {
        int n = snprintf(buf, sizeof(buf), "event %d", i);
        struct iovec iov = {buf, (size_t)n + 1};
        sender_push(s, &iov, 1);
    }
}

/* Polls the counters until `pred` holds (10 s at most). */
static bool wait_counters(struct sender *s, bool (*pred)(const struct output_counters *))
{
    struct timespec step = {0, 2000000};
    for (int i = 0; i < 5000; i++) {
        struct output_counters c = {0};
        sender_counters(s, &c);
        if (pred(&c))
            return true;
        nanosleep(&step, NULL);
    }
    struct output_counters c = {0};
    sender_counters(s, &c);
    fprintf(stderr, "counters: sent %llu dropped %llu queued %llu spooled %llu\n",
            (unsigned long long)c.sent, (unsigned long long)c.dropped,
            (unsigned long long)c.queued, (unsigned long long)c.spooled);
    return false;
}

static bool nothing_in_memory(const struct output_counters *c)
{
    return c->queued == 0;
}

static bool all_spooled(const struct output_counters *c)
{
    return c->queued == 0 && c->spooled == 1000;
}

static bool all_sent(const struct output_counters *c)
{
    return c->sent == 1200 && c->queued == 0 && c->spooled == 0;
}

static void test_sender_keeps_everything_while_down(void **state)
{
    (void)state;
    char *dir = make_dir();
    char err[256];
    struct fake_dest d = {0};
    pthread_mutex_init(&d.lock, NULL);
    struct spool *sp = spool_open(dir, 8 << 20, err, sizeof(err));
    /* A memory queue of 100 events: without the spool 900 would be lost.
     * Pushed 50 at a time, each batch moved to disk before the next. */
    struct sender *s = sender_new("fake", &fake_transport, &d, 100, 1 << 20,
                                  sp);
    assert_non_null(s);
    for (int i = 0; i < 1000; i += 50) {
        push_n(s, i, i + 50);
        assert_true(wait_counters(s, nothing_in_memory));
    }
    assert_true(wait_counters(s, all_spooled));
    struct output_counters c = {0};
    sender_counters(s, &c);
    assert_int_equal(c.dropped, 0);

    /* The destination comes back; new events follow the spooled ones. */
    d.up = true;
    for (int i = 1000; i < 1200; i += 50) {
        push_n(s, i, i + 50);
        assert_true(wait_counters(s, nothing_in_memory));
    }
    assert_true(wait_counters(s, all_sent));
    sender_counters(s, &c);
    assert_int_equal(c.dropped, 0);
    sender_finish(s, 1000);
    sender_free(s);
    assert_int_equal(d.n_got, 1200);
    for (int i = 0; i < 1200; i++)
        assert_int_equal(d.got[i], i);
    pthread_mutex_destroy(&d.lock);
    remove_dir(dir);
    free(dir);
}

static void test_sender_leaves_the_rest_for_the_next_run(void **state)
{
    (void)state;
    char *dir = make_dir();
    char err[256];
    struct fake_dest d = {0};
    pthread_mutex_init(&d.lock, NULL);
    struct sender *s = sender_new("fake", &fake_transport, &d, 100000,
                                  1 << 20,
                                  spool_open(dir, 8 << 20, err, sizeof(err)));
    push_n(s, 0, 1000);
    sender_finish(s, 50); /* down all along: nothing could go */
    struct output_counters c = {0};
    sender_counters(s, &c);
    assert_int_equal(c.dropped, 0);
    assert_int_equal(c.spooled, 1000);
    sender_free(s);

    d.up = true;
    s = sender_new("fake", &fake_transport, &d, 100000, 1 << 20,
                   spool_open(dir, 8 << 20, err, sizeof(err)));
    push_n(s, 1000, 1200);
    assert_true(wait_counters(s, all_sent));
    sender_finish(s, 1000);
    sender_free(s);
    assert_int_equal(d.n_got, 1200);
    for (int i = 0; i < 1200; i++)
        assert_int_equal(d.got[i], i);
    pthread_mutex_destroy(&d.lock);
    remove_dir(dir);
    free(dir);
}

static bool some_dropped(const struct output_counters *c)
{
    return c->dropped == 990;
}

static void test_sender_without_spool_counts_drops(void **state)
{
    (void)state;
    struct fake_dest d = {0};
    pthread_mutex_init(&d.lock, NULL);
    struct sender *s = sender_new("fake", &fake_transport, &d, 10, 1 << 20,
                                  NULL);
    push_n(s, 0, 1000);
    assert_true(wait_counters(s, some_dropped));
    sender_finish(s, 0);
    struct output_counters c = {0};
    sender_counters(s, &c);
    assert_int_equal(c.dropped, 1000); /* the 10 queued too, at the end */
    assert_int_equal(c.spooled, 0);
    sender_free(s);
    pthread_mutex_destroy(&d.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_order_and_restart),
        cmocka_unit_test(test_cap_drops_oldest),
        cmocka_unit_test(test_torn_and_corrupt_records),
        cmocka_unit_test(test_sender_keeps_everything_while_down),
        cmocka_unit_test(test_sender_leaves_the_rest_for_the_next_run),
        cmocka_unit_test(test_sender_without_spool_counts_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
