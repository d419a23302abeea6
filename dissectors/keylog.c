/* keylog.c — reads key log lines (RFC 9850) from files, followed files and
 * Decryption Secrets Blocks, and keeps their secrets in one bounded table
 * keyed by client random. Every line is read through the bounds-checked
 * cursor: a key log inside a pcapng is as hostile as the packets. */
#include "keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "array_len.h"
#include "cursor.h"
#include "fnv1a.h"
#include "hex.h"

/* The longest line read whole. Key log lines tlsmon uses are under 200
 * bytes; ECH_CONFIG lines can be longer and are skipped anyway. */
#define KEYLOG_LINE_MAX 4096
#define KEYLOG_READ_CHUNK (64u * 1024u)
/* Followed files are checked for new lines at most this often: a lookup
 * that misses for a handshake without keys costs an fstat at most. */
#define KEYLOG_POLL_NS (10ull * 1000000ull)
#define KEYLOG_NONE UINT32_MAX
#define KEYLOG_MIN_ENTRIES 64u

static const char *const labels[KEYLOG_SECRETS] = {
    [KEYLOG_MASTER_SECRET] = "CLIENT_RANDOM",
    [KEYLOG_CLIENT_EARLY] = "CLIENT_EARLY_TRAFFIC_SECRET",
    [KEYLOG_CLIENT_HANDSHAKE] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    [KEYLOG_SERVER_HANDSHAKE] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    [KEYLOG_CLIENT_TRAFFIC_0] = "CLIENT_TRAFFIC_SECRET_0",
    [KEYLOG_SERVER_TRAFFIC_0] = "SERVER_TRAFFIC_SECRET_0",
};

/* Labels of RFC 9850 that carry nothing tlsmon decrypts with. */
static const char *const skipped_labels[] = {
    "EXPORTER_SECRET", "EARLY_EXPORTER_SECRET", "ECH_SECRET", "ECH_CONFIG",
    "RSA",
};

struct entry {
    uint8_t random[KEYLOG_RANDOM_LEN];
    uint32_t next; /* hash chain */
    struct keylog_secrets s;
};

/* A file read once, or followed while it grows. */
struct source {
    char *path;
    int fd;
    bool follow;
    dev_t dev;
    ino_t ino;
    off_t off;
    size_t carry_len;  /* start of a line not yet ended */
    bool skipping;     /* inside an overlong line: drop up to its end */
    uint8_t carry[KEYLOG_LINE_MAX];
};

struct keylog {
    pthread_mutex_t lock;
    size_t max_entries;
    struct entry *entries; /* a ring once full: `oldest` is evicted next */
    uint32_t cap, count, oldest;
    uint32_t *buckets;
    uint32_t n_buckets; /* a power of two */
    uint64_t seed;
    struct source *sources;
    size_t n_sources;
    atomic_bool active;
    bool following;
    uint64_t last_poll_ns;
    struct keylog_stats stats;
};

const char *keylog_label(enum keylog_secret which)
{
    return (unsigned)which < KEYLOG_SECRETS ? labels[which] : "";
}

void keylog_secrets_clear(struct keylog_secrets *s)
{
    if (s)
        OPENSSL_cleanse(s, sizeof *s);
}

/* ---- the table ---- */

static uint32_t slot_of(const struct keylog *kl, const uint8_t *random)
{
    /* Randoms are random, but a hostile key log can choose them: mix with
     * a per-run seed so that it cannot aim at one chain. */
    uint64_t h = fnv1a64_bytes(kl->seed, random, KEYLOG_RANDOM_LEN);
    h ^= h >> 29;
    return (uint32_t)h & (kl->n_buckets - 1);
}

static size_t table_bytes(const struct keylog *kl)
{
    return (size_t)kl->cap * sizeof(struct entry) +
           (size_t)kl->n_buckets * sizeof(uint32_t);
}

static void rebuild_buckets(struct keylog *kl)
{
    for (uint32_t i = 0; i < kl->n_buckets; i++)
        kl->buckets[i] = KEYLOG_NONE;
    for (uint32_t i = 0; i < kl->count; i++) {
        uint32_t b = slot_of(kl, kl->entries[i].random);
        kl->entries[i].next = kl->buckets[b];
        kl->buckets[b] = i;
    }
}

/* Room for one more entry while under the cap; false when full. */
static bool grow(struct keylog *kl)
{
    if (kl->cap >= kl->max_entries)
        return false;
    uint32_t cap = kl->cap ? kl->cap * 2 : KEYLOG_MIN_ENTRIES;
    if (cap > kl->max_entries)
        cap = (uint32_t)kl->max_entries;
    uint32_t nb = 1;
    while (nb < cap * 2u)
        nb <<= 1;
    struct entry *e = calloc(cap, sizeof *e);
    uint32_t *b = malloc(nb * sizeof *b);
    if (!e || !b) {
        free(e);
        free(b);
        return false;
    }
    if (kl->count)
        memcpy(e, kl->entries, kl->count * sizeof *e);
    if (kl->entries)
        OPENSSL_cleanse(kl->entries, kl->cap * sizeof *kl->entries);
    free(kl->entries);
    free(kl->buckets);
    kl->entries = e;
    kl->buckets = b;
    kl->cap = cap;
    kl->n_buckets = nb;
    rebuild_buckets(kl);
    kl->stats.bytes = table_bytes(kl);
    return true;
}

static struct entry *find(struct keylog *kl, const uint8_t *random)
{
    if (!kl->n_buckets)
        return NULL;
    for (uint32_t i = kl->buckets[slot_of(kl, random)]; i != KEYLOG_NONE;
         i = kl->entries[i].next)
        if (memcmp(kl->entries[i].random, random, KEYLOG_RANDOM_LEN) == 0)
            return &kl->entries[i];
    return NULL;
}

static void unlink_entry(struct keylog *kl, uint32_t idx)
{
    uint32_t *link = &kl->buckets[slot_of(kl, kl->entries[idx].random)];
    while (*link != KEYLOG_NONE && *link != idx)
        link = &kl->entries[*link].next;
    if (*link == idx)
        *link = kl->entries[idx].next;
}

/* The entry for `random`, made (evicting the oldest when full) if new. */
static struct entry *entry_for(struct keylog *kl, const uint8_t *random)
{
    struct entry *e = find(kl, random);
    if (e)
        return e;
    uint32_t idx;
    if (kl->count < kl->cap || grow(kl)) {
        idx = kl->count++;
    } else if (kl->cap > 0) {
        idx = kl->oldest;
        unlink_entry(kl, idx);
        kl->oldest = (kl->oldest + 1) % kl->cap;
        kl->stats.evicted++;
    } else {
        return NULL;
    }
    e = &kl->entries[idx];
    OPENSSL_cleanse(e, sizeof *e);
    memcpy(e->random, random, KEYLOG_RANDOM_LEN);
    uint32_t b = slot_of(kl, random);
    e->next = kl->buckets[b];
    kl->buckets[b] = idx;
    kl->stats.entries = kl->count;
    return e;
}

struct keylog *keylog_new(size_t max_bytes)
{
    struct keylog *kl = calloc(1, sizeof *kl);
    if (!kl)
        return NULL;
    pthread_mutex_init(&kl->lock, NULL);
    /* Each entry also costs two bucket slots. */
    size_t per = sizeof(struct entry) + 2 * sizeof(uint32_t);
    kl->max_entries = max_bytes / per;
    if (kl->max_entries < KEYLOG_MIN_ENTRIES)
        kl->max_entries = KEYLOG_MIN_ENTRIES;
    if (kl->max_entries > (1u << 30))
        kl->max_entries = 1u << 30;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    kl->seed = FNV1A64_START ^ ((uint64_t)ts.tv_nsec << 17) ^
               (uint64_t)(uintptr_t)kl;
    atomic_init(&kl->active, false);
    return kl;
}

void keylog_free(struct keylog *kl)
{
    if (!kl)
        return;
    if (kl->entries)
        OPENSSL_cleanse(kl->entries, kl->cap * sizeof *kl->entries);
    free(kl->entries);
    free(kl->buckets);
    for (size_t i = 0; i < kl->n_sources; i++) {
        struct source *src = &kl->sources[i];
        if (src->fd >= 0)
            close(src->fd);
        OPENSSL_cleanse(src->carry, sizeof src->carry);
        free(src->path);
    }
    free(kl->sources);
    pthread_mutex_destroy(&kl->lock);
    free(kl);
}

bool keylog_active(const struct keylog *kl)
{
    return kl && atomic_load_explicit(&kl->active, memory_order_acquire);
}

bool keylog_following(const struct keylog *kl)
{
    return kl && kl->following;
}

/* ---- lines ---- */

/* `n` bytes of hex digits from `c` into out. */
static bool read_hex(struct cursor *c, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t hi, lo;
        CURSOR_TRY(cursor_u8(c, &hi) && cursor_u8(c, &lo));
        int h = hex_digit_value(hi), l = hex_digit_value(lo);
        if (h < 0 || l < 0)
            return false;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return true;
}

static bool is_blank(uint8_t b)
{
    return b == ' ' || b == '\t' || b == '\r';
}

/* One line without its newline. */
static void add_line(struct keylog *kl, struct cursor line)
{
    uint8_t b, random[KEYLOG_RANDOM_LEN], secret[KEYLOG_SECRET_MAX];
    char label[40];
    size_t n = 0;

    kl->stats.lines++;
    /* Trailing blanks (a CRLF file) are not part of the secret. */
    while (cursor_peek_u8(&line, cursor_left(&line) - 1, &b) && is_blank(b) &&
           cursor_trim_end(&line, 1))
        ;
    if (cursor_left(&line) == 0 || (cursor_peek_u8(&line, 0, &b) && b == '#'))
        return;
    while (cursor_u8(&line, &b) && b != ' ') {
        if (n + 1 >= sizeof label) {
            kl->stats.malformed++;
            return;
        }
        label[n++] = (char)b;
    }
    label[n] = '\0';

    int which = -1;
    for (int i = 0; i < KEYLOG_SECRETS; i++)
        if (strcmp(label, labels[i]) == 0)
            which = i;
    if (which < 0) {
        for (size_t i = 0; i < ARRAY_LEN(skipped_labels); i++)
            if (strcmp(label, skipped_labels[i]) == 0) {
                kl->stats.ignored++;
                return;
            }
        kl->stats.malformed++;
        return;
    }

    size_t hex_len;
    if (!read_hex(&line, random, sizeof random) || !cursor_u8(&line, &b) ||
        b != ' ') {
        kl->stats.malformed++;
        return;
    }
    hex_len = cursor_left(&line);
    /* The master secret is 48 bytes; traffic secrets are a hash long. */
    bool sized = which == KEYLOG_MASTER_SECRET
                     ? hex_len == 96
                     : (hex_len == 64 || hex_len == 96);
    if (!sized || !read_hex(&line, secret, hex_len / 2)) {
        OPENSSL_cleanse(secret, sizeof secret);
        kl->stats.malformed++;
        return;
    }
    struct entry *e = entry_for(kl, random);
    if (e) {
        memcpy(e->s.secret[which], secret, hex_len / 2);
        e->s.len[which] = (uint8_t)(hex_len / 2);
        e->s.have |= (uint8_t)(1u << which);
        kl->stats.secrets++;
        atomic_store_explicit(&kl->active, true, memory_order_release);
    }
    OPENSSL_cleanse(secret, sizeof secret);
}

/* The lines of `text`; returns the bytes up to the end of the last whole
 * line (all of them when `final`). */
static size_t add_lines(struct keylog *kl, const uint8_t *text, size_t len,
                        bool final)
{
    struct cursor c = cursor_make(text, len);
    size_t start = 0, used = 0;
    uint8_t b;

    while (cursor_u8(&c, &b)) {
        if (b != '\n')
            continue;
        struct cursor all = cursor_make(text, len), line;
        if (cursor_skip(&all, start) &&
            cursor_sub(&all, cursor_pos(&c) - 1 - start, &line))
            add_line(kl, line);
        start = used = cursor_pos(&c);
    }
    if (final && start < len) {
        struct cursor all = cursor_make(text, len), line;
        if (cursor_skip(&all, start) && cursor_sub(&all, len - start, &line))
            add_line(kl, line);
        used = len;
    }
    return used;
}

size_t keylog_add_text(struct keylog *kl, const uint8_t *text, size_t len,
                       bool final)
{
    if (!kl || !text)
        return 0;
    pthread_mutex_lock(&kl->lock);
    size_t used = add_lines(kl, text, len, final);
    pthread_mutex_unlock(&kl->lock);
    return used;
}

/* ---- files ---- */

/* Bytes newly read from a source, after what was left of its last line. */
static void take_bytes(struct keylog *kl, struct source *src,
                       const uint8_t *data, size_t len)
{
    struct cursor in = cursor_make(data, len);
    uint8_t b = 0;

    while (cursor_left(&in) > 0) {
        if (src->skipping) {
            while (cursor_u8(&in, &b) && b != '\n')
                ;
            if (b == '\n')
                src->skipping = false;
            continue;
        }
        size_t room = sizeof src->carry - src->carry_len;
        size_t n = cursor_left(&in) < room ? cursor_left(&in) : room;
        if (!cursor_copy(&in, src->carry + src->carry_len, n))
            return; /* n <= what is left: cannot happen */
        src->carry_len += n;
        size_t used = add_lines(kl, src->carry, src->carry_len, false);
        memmove(src->carry, src->carry + used, src->carry_len - used);
        src->carry_len -= used;
        if (src->carry_len == sizeof src->carry) {
            /* A line longer than any key log line: not one. */
            kl->stats.lines++;
            kl->stats.malformed++;
            src->carry_len = 0;
            src->skipping = true;
        }
    }
}

static bool open_source(struct source *src)
{
    struct stat st;
    src->fd = open(src->path, O_RDONLY | O_CLOEXEC);
    if (src->fd < 0)
        return false;
    if (fstat(src->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* A FIFO or device would block the reader; only files. */
        close(src->fd);
        src->fd = -1;
        errno = EINVAL;
        return false;
    }
    src->dev = st.st_dev;
    src->ino = st.st_ino;
    src->off = 0;
    src->carry_len = 0;
    src->skipping = false;
    return true;
}

/* Read what the file has past where we stopped. A followed file that was
 * replaced (rotated, or truncated and rewritten) is read from its start. */
static void read_source(struct keylog *kl, struct source *src)
{
    struct stat st, now;
    if (src->fd < 0 && !open_source(src))
        return;
    if (src->follow && stat(src->path, &now) == 0 &&
        (now.st_dev != src->dev || now.st_ino != src->ino)) {
        close(src->fd);
        src->fd = -1;
        if (!open_source(src))
            return;
    }
    if (fstat(src->fd, &st) != 0)
        return;
    if (st.st_size < src->off) {
        src->off = 0;
        src->carry_len = 0;
        src->skipping = false;
    }
    if (st.st_size == src->off)
        return;
    uint8_t *buf = malloc(KEYLOG_READ_CHUNK);
    if (!buf)
        return;
    for (;;) {
        ssize_t n = pread(src->fd, buf, KEYLOG_READ_CHUNK, src->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        src->off += n;
        take_bytes(kl, src, buf, (size_t)n);
    }
    OPENSSL_cleanse(buf, KEYLOG_READ_CHUNK);
    free(buf);
}

bool keylog_add_file(struct keylog *kl, const char *path, bool follow,
                     char *err, size_t err_len)
{
    struct source *grown =
        realloc(kl->sources, (kl->n_sources + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, err_len, "%s: out of memory", path);
        return false;
    }
    kl->sources = grown;
    struct source *src = &kl->sources[kl->n_sources];
    memset(src, 0, sizeof *src);
    src->fd = -1;
    src->follow = follow;
    src->path = strdup(path);
    if (!src->path) {
        snprintf(err, err_len, "%s: out of memory", path);
        return false;
    }
    if (!open_source(src) && !follow) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        free(src->path);
        return false;
    }
    kl->n_sources++;
    pthread_mutex_lock(&kl->lock);
    read_source(kl, src);
    if (!follow) {
        /* A last line without its newline still counts. */
        if (src->carry_len && !src->skipping)
            add_lines(kl, src->carry, src->carry_len, true);
        src->carry_len = 0;
        close(src->fd);
        src->fd = -1;
    } else {
        kl->following = true;
        atomic_store_explicit(&kl->active, true, memory_order_release);
    }
    pthread_mutex_unlock(&kl->lock);
    return true;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void poll_sources(struct keylog *kl, bool force)
{
    if (!kl->following)
        return;
    uint64_t now = monotonic_ns();
    if (!force && now - kl->last_poll_ns < KEYLOG_POLL_NS)
        return;
    kl->last_poll_ns = now;
    for (size_t i = 0; i < kl->n_sources; i++)
        if (kl->sources[i].follow)
            read_source(kl, &kl->sources[i]);
}

bool keylog_lookup(struct keylog *kl, const uint8_t random[KEYLOG_RANDOM_LEN],
                   uint8_t want, bool force, struct keylog_secrets *out)
{
    if (!kl || !random || !out)
        return false;
    pthread_mutex_lock(&kl->lock);
    struct entry *e = find(kl, random);
    if (!e || (e->s.have & want) != want || force) {
        poll_sources(kl, force);
        e = find(kl, random);
    }
    if (e)
        *out = e->s;
    pthread_mutex_unlock(&kl->lock);
    return e != NULL;
}

void keylog_get_stats(struct keylog *kl, struct keylog_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!kl)
        return;
    pthread_mutex_lock(&kl->lock);
    *out = kl->stats;
    out->entries = kl->count;
    out->bytes = table_bytes(kl) + kl->n_sources * sizeof(struct source);
    pthread_mutex_unlock(&kl->lock);
}
