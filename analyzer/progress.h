/* progress.h — how far the reading of capture files has come, on one
 * terminal line of stderr that keeps rewriting itself: bytes and percent
 * read, handshakes per second, the time left. Only for a person watching
 * a terminal; main turns it on when stderr is one and files are read. */
#ifndef TLSMON_PROGRESS_H
#define TLSMON_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress;

/* `total_bytes`: all inputs' sizes (0 when some is a pipe: no percent).
 * `handshakes` returns the records decided so far (called from the reading
 * thread, ctx is its own). */
struct progress *progress_new(FILE *tty, uint64_t total_bytes,
                              size_t n_files,
                              uint64_t (*handshakes)(void *ctx), void *ctx);
/* A capture_progress callback (capture.h). */
void progress_update(void *p, const char *name, uint64_t done,
                     uint64_t total, bool end_of_file);
/* Take the line away before other text goes to the same terminal; the
 * next update draws it again. Safe from any thread. */
void progress_clear(struct progress *p);
/* Clear it for good. */
void progress_free(struct progress *p);

/* The figures as the line shows them (exposed for the unit test):
 * "412.3 MB of 1.6 GB (25%)  24 810 handshakes/s  ETA 0:42". */
void progress_format(char *buf, size_t n, const char *name, uint64_t done,
                     uint64_t total, double seconds, uint64_t handshakes,
                     size_t file_index, size_t n_files);

#endif
