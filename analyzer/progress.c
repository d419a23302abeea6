/* progress.c — the progress line (progress.h). Redrawn at most four times
 * a second from the reader's callback; a mutex keeps it from interleaving
 * with an output that clears it before writing to the same terminal. */
#include "progress.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array_len.h"

#define REDRAW_NS (250ull * 1000000ull)

struct progress {
    FILE *tty;
    uint64_t total;        /* all inputs, 0 unknown */
    uint64_t done_before;  /* bytes of the files finished */
    size_t n_files, file_index;
    uint64_t (*handshakes)(void *ctx);
    void *ctx;
    uint64_t start_ns, last_ns;
    bool drawn;
    pthread_mutex_t lock;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct progress *progress_new(FILE *tty, uint64_t total_bytes,
                              size_t n_files,
                              uint64_t (*handshakes)(void *ctx), void *ctx)
{
    struct progress *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->tty = tty;
    p->total = total_bytes;
    p->n_files = n_files;
    p->handshakes = handshakes;
    p->ctx = ctx;
    p->start_ns = now_ns();
    p->last_ns = 0; /* the first report draws at once */
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

/* "1.6 GB", "412.3 MB", "12 KB" */
static void size_text(char *buf, size_t n, uint64_t bytes)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < ARRAY_LEN(units)) {
        v /= 1000.0;
        u++;
    }
    if (u == 0 || v >= 100.0)
        snprintf(buf, n, "%.0f %s", v, units[u]);
    else
        snprintf(buf, n, "%.1f %s", v, units[u]);
}

void progress_format(char *buf, size_t n, const char *name, uint64_t done,
                     uint64_t total, double seconds, uint64_t handshakes,
                     size_t file_index, size_t n_files)
{
    char d[32], t[32], files[48] = "";
    size_text(d, sizeof(d), done);
    if (n_files > 1)
        snprintf(files, sizeof(files), " (file %zu of %zu)", file_index + 1,
                 n_files);
    int k;
    if (total && done <= total) {
        size_text(t, sizeof(t), total);
        k = snprintf(buf, n, "tlsmon: %s%s  %s of %s (%" PRIu64 "%%)", name,
                     files, d, t, done * 100 / total);
    } else {
        k = snprintf(buf, n, "tlsmon: %s%s  %s read", name, files, d);
    }
    if (k < 0 || (size_t)k >= n)
        return;
    double rate = seconds > 0 ? (double)handshakes / seconds : 0;
    int m = snprintf(buf + k, n - (size_t)k, "  %.0f handshakes/s", rate);
    if (m < 0 || (size_t)(k + m) >= n)
        return;
    k += m;
    if (total && done > 0 && done < total && seconds >= 1.0) {
        double left = seconds * (double)(total - done) / (double)done;
        uint64_t s = (uint64_t)(left + 0.5);
        if (s >= 3600)
            snprintf(buf + k, n - (size_t)k, "  ETA %" PRIu64 ":%02" PRIu64
                     ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
        else
            snprintf(buf + k, n - (size_t)k, "  ETA %" PRIu64 ":%02" PRIu64,
                     s / 60, s % 60);
    }
}

/* Draws the line, or with NULL erases it if it is there: \r and
 * erase-to-end rewrite it in place. */
static void show(struct progress *p, const char *line)
{
    pthread_mutex_lock(&p->lock);
    if (line || p->drawn) {
        fprintf(p->tty, "\r%s\033[K", line ? line : "");
        fflush(p->tty);
        p->drawn = line != NULL;
    }
    pthread_mutex_unlock(&p->lock);
}

void progress_update(void *ctx, const char *name, uint64_t done,
                     uint64_t total, bool end_of_file)
{
    struct progress *p = ctx;
    uint64_t t = now_ns();
    if (end_of_file) {
        /* Next file: what this one weighed counts as done; a pipe's size
         * was not in the total, so it does not count either. */
        p->done_before += total ? total : 0;
        p->file_index++;
        return;
    }
    if (t - p->last_ns < REDRAW_NS)
        return;
    p->last_ns = t;
    uint64_t hs = p->handshakes ? p->handshakes(p->ctx) : 0;
    char line[512];
    uint64_t all_done = p->done_before + (total ? done : 0);
    if (!p->total)
        all_done = done;
    progress_format(line, sizeof(line), name, all_done,
                    p->total ? p->total : 0, (double)(t - p->start_ns) / 1e9,
                    hs, p->file_index, p->n_files);
    show(p, line);
}

void progress_clear(struct progress *p)
{
    if (!p)
        return;
    show(p, NULL);
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    progress_clear(p);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
