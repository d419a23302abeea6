/* spool.c — the on-disk queue behind a network output (see spool.h).
 *
 * Every segment stays open (read-write, appending) from the moment it is
 * created or found: the sender keeps working on its files after --user has
 * dropped the privileges they were created with. Segments are an eighth of
 * the cap, so making room drops at most an eighth of what is kept, and a
 * spool holds about nine files. Nothing is fsync'ed: a crash of tlsmon
 * loses nothing written (the kernel has it), a power cut may cut the last
 * records, which the CRC finds on the next start. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sender.h"

#define RECORD_HEADER 8
#define SEGMENT_MIN (4u << 10)
#define SEGMENT_MAX (16u << 20)
#define PEEK_MAX 256
#define SEQ_DIGITS 20

struct segment {
    uint64_t seq;
    uint64_t bytes;   /* file size */
    uint64_t records;
    int fd;
};

struct spool {
    char dir[PATH_MAX - 32];
    int lock_fd;
    uint64_t max_bytes, segment_bytes;

    struct segment *segs; /* oldest first; segs[0] is the head */
    size_t n_segs, cap_segs;
    uint64_t next_seq;

    uint64_t head_off;  /* next record to deliver, in segs[0] */
    uint64_t head_done; /* records of segs[0] already delivered */
    uint64_t total_bytes;
    uint64_t records;   /* waiting */
    uint64_t dropped;

    uint64_t peek_end[PEEK_MAX]; /* offset after each peeked record */
    size_t n_peeked;
    bool complained;
};

/* ---- CRC-32 ------------------------------------------------------------ */

uint32_t spool_crc32(const void *data, size_t len)
{
    static uint32_t table[256];
    static _Atomic int ready;
    if (!ready) { /* idempotent: racing threads write the same values */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---- helpers ------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void segment_path(const struct spool *sp, uint64_t seq, char *out,
                         size_t n)
{
    snprintf(out, n, "%s/%0*" PRIu64 ".seg", sp->dir, SEQ_DIGITS, seq);
}

static bool read_full(int fd, void *buf, size_t len, uint64_t off)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

/* The position of the next record to deliver, for the next run: written
 * aside and renamed, so a crash leaves the old or the new one. */
static void save_head(struct spool *sp)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(path, sizeof(path), "%s/head", sp->dir);
    snprintf(tmp, sizeof(tmp), "%s/head.tmp", sp->dir);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return;
    uint64_t seq = sp->n_segs ? sp->segs[0].seq : sp->next_seq;
    fprintf(fp, "%" PRIu64 " %" PRIu64 "\n", seq,
            sp->n_segs ? sp->head_off : 0);
    if (fclose(fp) == 0)
        rename(tmp, path);
}

static void remove_head_segment(struct spool *sp)
{
    char path[PATH_MAX];
    struct segment *s = &sp->segs[0];
    segment_path(sp, s->seq, path, sizeof(path));
    unlink(path);
    close(s->fd);
    sp->total_bytes -= s->bytes;
    memmove(sp->segs, sp->segs + 1, (sp->n_segs - 1) * sizeof(*sp->segs));
    sp->n_segs--;
    sp->head_off = 0;
    sp->head_done = 0;
    sp->n_peeked = 0;
}

/* Make room: the oldest segment goes, and what it held undelivered is
 * counted as dropped. */
static void drop_oldest(struct spool *sp)
{
    uint64_t lost = sp->segs[0].records - sp->head_done;
    sp->dropped += lost;
    sp->records -= lost;
    remove_head_segment(sp);
    save_head(sp);
}

static bool add_segment(struct spool *sp, uint64_t seq, int fd, uint64_t bytes,
                        uint64_t records)
{
    if (sp->n_segs == sp->cap_segs) {
        size_t cap = sp->cap_segs ? sp->cap_segs * 2 : 16;
        struct segment *n = realloc(sp->segs, cap * sizeof(*n));
        if (!n)
            return false;
        sp->segs = n;
        sp->cap_segs = cap;
    }
    sp->segs[sp->n_segs++] = (struct segment){seq, bytes, records, fd};
    sp->total_bytes += bytes;
    sp->records += records;
    if (seq >= sp->next_seq)
        sp->next_seq = seq + 1;
    return true;
}

/* ---- opening: find what an earlier run left ------------------------------ */

/* Count the records of a segment, cutting a torn or corrupt tail. Returns
 * false when the file cannot be read at all. `head_off` is the saved
 * position (for the head segment, else 0): its record index lands in
 * *before (records wholly before it) and it is moved to a record start. */
static bool scan_segment(int fd, const char *path,
                         uint64_t *bytes, uint64_t *records,
                         uint64_t *head_off, uint64_t *before)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    uint64_t size = (uint64_t)st.st_size, off = 0, n = 0, n_before = 0;
    uint64_t want = head_off ? *head_off : 0;
    bool head_set = want == 0;
    char *buf = NULL;
    size_t buf_cap = 0;
    const char *why = NULL;
    while (off < size) {
        unsigned char hdr[RECORD_HEADER];
        if (size - off < RECORD_HEADER || !read_full(fd, hdr, sizeof(hdr), off)) {
            why = "a torn record";
            break;
        }
        uint32_t len = get_u32(hdr);
        if (len > SPOOL_RECORD_MAX || size - off - RECORD_HEADER < len) {
            why = "a torn record";
            break;
        }
        if (len > buf_cap) {
            char *nb = realloc(buf, len);
            if (!nb) {
                why = "out of memory";
                break;
            }
            buf = nb;
            buf_cap = len;
        }
        if (!read_full(fd, buf, len, off + RECORD_HEADER) ||
            spool_crc32(buf, len) != get_u32(hdr + 4)) {
            why = "a corrupt record";
            break;
        }
        if (!head_set && off >= want) {
            *head_off = off;
            n_before = n;
            head_set = true;
        }
        off += RECORD_HEADER + len;
        n++;
    }
    free(buf);
    if (why) {
        fprintf(stderr, "tlsmon: spool %s: %s at byte %" PRIu64 "; the %"
                PRIu64 " bytes from there are cut off\n", path, why, off,
                size - off);
        if (ftruncate(fd, (off_t)off) != 0)
            return false;
    }
    if (!head_set) { /* the saved position was at or past the end */
        *head_off = off;
        n_before = n;
    }
    if (before)
        *before = n_before;
    *bytes = off;
    *records = n;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Segment numbers in the directory, sorted. */
static bool list_segments(const char *dir, uint64_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    uint64_t *seqs = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;
    bool ok = true;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strlen(name) != SEQ_DIGITS + 4 ||
            strcmp(name + SEQ_DIGITS, ".seg") != 0 ||
            strspn(name, "0123456789") != SEQ_DIGITS)
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *ns = realloc(seqs, cap * sizeof(*ns));
            if (!ns) {
                ok = false;
                break;
            }
            seqs = ns;
        }
        seqs[len++] = strtoull(name, NULL, 10);
    }
    closedir(d);
    if (!ok) {
        free(seqs);
        return false;
    }
    if (len > 1)
        qsort(seqs, len, sizeof(*seqs), cmp_u64);
    *out = seqs;
    *n = len;
    return true;
}

static bool load_existing(struct spool *sp, char *err, size_t errlen)
{
    uint64_t head_seq = 0, head_off = 0;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/head", sp->dir);
    FILE *fp = fopen(path, "r");
    if (fp) {
        if (fscanf(fp, "%" SCNu64 " %" SCNu64, &head_seq, &head_off) != 2)
            head_seq = head_off = 0;
        fclose(fp);
    }
    uint64_t *seqs;
    size_t n;
    if (!list_segments(sp->dir, &seqs, &n)) {
        snprintf(err, errlen, "%s: %s", sp->dir, strerror(errno));
        return false;
    }
    if (head_seq > sp->next_seq)
        sp->next_seq = head_seq;
    for (size_t i = 0; i < n; i++) {
        segment_path(sp, seqs[i], path, sizeof(path));
        if (seqs[i] < head_seq) { /* delivered before a crash */
            unlink(path);
            continue;
        }
        int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            free(seqs);
            return false;
        }
        bool first = sp->n_segs == 0;
        uint64_t off = first && seqs[i] == head_seq ? head_off : 0, before = 0;
        uint64_t bytes, records;
        if (!scan_segment(fd, path, &bytes, &records, &off, &before)) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            close(fd);
            free(seqs);
            return false;
        }
        if (records == before) { /* empty, or all of it delivered */
            close(fd);
            unlink(path);
            if (seqs[i] >= sp->next_seq)
                sp->next_seq = seqs[i] + 1;
            continue;
        }
        if (!add_segment(sp, seqs[i], fd, bytes, records)) {
            snprintf(err, errlen, "out of memory");
            close(fd);
            free(seqs);
            return false;
        }
        if (first) {
            sp->head_off = off;
            sp->head_done = before;
            sp->records -= before;
        }
    }
    free(seqs);
    if (sp->next_seq == 0)
        sp->next_seq = 1;
    /* A smaller cap than the last run's: keep the newest. */
    while (sp->n_segs > 1 && sp->total_bytes > sp->max_bytes)
        drop_oldest(sp);
    save_head(sp);
    return true;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err,
                         size_t errlen)
{
    struct spool *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (strlen(dir) >= sizeof(sp->dir)) {
        snprintf(err, errlen, "%s: path too long", dir);
        free(sp);
        return NULL;
    }
    snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
    sp->max_bytes = max_bytes;
    uint64_t seg = max_bytes / 8;
    sp->segment_bytes = seg < SEGMENT_MIN ? SEGMENT_MIN
                        : seg > SEGMENT_MAX ? SEGMENT_MAX : seg;
    sp->lock_fd = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        free(sp);
        return NULL;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/lock", dir);
    sp->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sp->lock_fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(sp);
        return NULL;
    }
    if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "%s is in use by another tlsmon", dir);
        close(sp->lock_fd);
        free(sp);
        return NULL;
    }
    if (!load_existing(sp, err, errlen)) {
        spool_close(sp);
        return NULL;
    }
    return sp;
}

struct spool *spool_open_for(const char *base, const char *destination,
                             uint64_t max_bytes, char *err, size_t errlen)
{
    if (mkdir(base, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", base, strerror(errno));
        return NULL;
    }
    char name[256];
    size_t j = 0;
    for (const char *p = destination; *p && j + 1 < sizeof(name); p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-';
        if (keep)
            name[j++] = *p;
        else if (j > 0 && name[j - 1] != '_')
            name[j++] = '_';
    }
    while (j > 0 && name[j - 1] == '_')
        j--;
    name[j] = '\0';
    char dir[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", base, name) >=
        sizeof(dir)) {
        snprintf(err, errlen, "%s: path too long", base);
        return NULL;
    }
    return spool_open(dir, max_bytes, err, errlen);
}

void spool_close(struct spool *sp)
{
    if (!sp)
        return;
    for (size_t i = 0; i < sp->n_segs; i++)
        close(sp->segs[i].fd);
    free(sp->segs);
    if (sp->lock_fd >= 0)
        close(sp->lock_fd); /* releases the flock */
    free(sp);
}

/* ---- appending and reading ---------------------------------------------- */

bool spool_append(struct spool *sp, const void *data, size_t len)
{
    uint64_t rec = RECORD_HEADER + (uint64_t)len;
    if (len > SPOOL_RECORD_MAX || rec > sp->max_bytes) {
        sp->dropped++;
        return false;
    }
    while (sp->n_segs > 0 && sp->total_bytes + rec > sp->max_bytes)
        drop_oldest(sp);
    struct segment *tail = sp->n_segs ? &sp->segs[sp->n_segs - 1] : NULL;
    if (!tail || (tail->records > 0 &&
                  tail->bytes + rec > sp->segment_bytes)) {
        char path[PATH_MAX];
        uint64_t seq = sp->next_seq;
        segment_path(sp, seq, path, sizeof(path));
        int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0600);
        if (fd < 0 || !add_segment(sp, seq, fd, 0, 0)) {
            if (!sp->complained)
                fprintf(stderr, "tlsmon: spool %s: cannot create a segment: "
                        "%s\n", sp->dir, strerror(errno));
            sp->complained = true;
            if (fd >= 0) {
                close(fd);
                unlink(path);
            }
            sp->dropped++;
            return false;
        }
        if (sp->n_segs == 1)
            save_head(sp);
        tail = &sp->segs[sp->n_segs - 1];
    }
    unsigned char hdr[RECORD_HEADER];
    put_u32(hdr, (uint32_t)len);
    put_u32(hdr + 4, spool_crc32(data, len));
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
    ssize_t w;
    do
        w = writev(tail->fd, iov, 2);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)rec) {
        if (!sp->complained)
            fprintf(stderr, "tlsmon: spool %s: write failed: %s; events "
                    "are dropped until it works\n", sp->dir,
                    w < 0 ? strerror(errno) : "short write (disk full?)");
        sp->complained = true;
        if (w > 0 && ftruncate(tail->fd, (off_t)tail->bytes) != 0) {
            /* The torn record stays; the next start cuts it off. */
        }
        sp->dropped++;
        return false;
    }
    sp->complained = false;
    tail->bytes += rec;
    tail->records++;
    sp->total_bytes += rec;
    sp->records++;
    return true;
}

size_t spool_peek(struct spool *sp, struct sender_msg **out, size_t max)
{
    sp->n_peeked = 0;
    if (max > PEEK_MAX)
        max = PEEK_MAX;
    /* A head segment wholly delivered goes; so does one that cannot be
     * read any more (its records are counted as dropped). */
    while (sp->n_segs > 0 && sp->head_off >= sp->segs[0].bytes) {
        if (sp->n_segs == 1)
            return 0;
        remove_head_segment(sp);
        save_head(sp);
    }
    if (sp->n_segs == 0)
        return 0;
    struct segment *s = &sp->segs[0];
    uint64_t off = sp->head_off;
    size_t n = 0;
    while (n < max && off < s->bytes) {
        unsigned char hdr[RECORD_HEADER];
        struct sender_msg *m = NULL;
        uint32_t len = 0;
        bool ok = read_full(s->fd, hdr, sizeof(hdr), off);
        if (ok) {
            len = get_u32(hdr);
            ok = len <= SPOOL_RECORD_MAX && len <= s->bytes - off;
        }
        if (ok) {
            m = malloc(sizeof(*m) + len);
            ok = m && read_full(s->fd, m->data, len, off + RECORD_HEADER) &&
                 spool_crc32(m->data, len) == get_u32(hdr + 4);
        }
        if (!ok) {
            free(m);
            if (n > 0)
                break; /* deliver what was read; the error comes back */
            fprintf(stderr, "tlsmon: spool %s: segment %" PRIu64 " cannot "
                    "be read at byte %" PRIu64 "; dropping it\n", sp->dir,
                    s->seq, off);
            drop_oldest(sp);
            return 0;
        }
        m->next = NULL;
        m->len = len;
        off += RECORD_HEADER + len;
        sp->peek_end[n] = off;
        out[n++] = m;
    }
    sp->n_peeked = n;
    return n;
}

void spool_consume(struct spool *sp, size_t n)
{
    if (n > sp->n_peeked)
        n = sp->n_peeked;
    if (n == 0 || sp->n_segs == 0)
        return;
    sp->head_off = sp->peek_end[n - 1];
    sp->head_done += n;
    sp->records -= n;
    sp->n_peeked = 0;
    if (sp->head_off >= sp->segs[0].bytes) {
        /* The last segment, emptied, goes too: the next append starts a
         * fresh one. */
        remove_head_segment(sp);
    }
    save_head(sp);
}

uint64_t spool_records(const struct spool *sp)
{
    return sp->records;
}

uint64_t spool_bytes(const struct spool *sp)
{
    return sp->total_bytes;
}

uint64_t spool_dropped(const struct spool *sp)
{
    return sp->dropped;
}

const char *spool_dir(const struct spool *sp)
{
    return sp->dir;
}
