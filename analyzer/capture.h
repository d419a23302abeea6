/* capture.h — reading capture files with libpcap (pcap and pcapng, plain,
 * gzip or zstd; "-" for standard input) into the pipeline, with the error
 * reporting of a tool people trust with evidence: which file, which packet,
 * what was kept. */
#ifndef TLSMON_CAPTURE_H
#define TLSMON_CAPTURE_H

#include <stdio.h>

#include "pipeline.h"

enum capture_status {
    CAPTURE_OK = 0,
    CAPTURE_UNREADABLE, /* not opened: missing, no permission, not a capture */
    CAPTURE_BROKEN,     /* read until a packet that could not be read */
    CAPTURE_BAD_FILTER,
    CAPTURE_BAD_LINKTYPE,
};

/* A packet's timestamp in microseconds. One that cannot be a time (a
 * negative second — the top bit set in a 64-bit pcapng field —, a year
 * past 9999, microseconds past a second) would put the run's clock where
 * no packet time can follow it: it is replaced by the last good one
 * (*last_good, 0 before any) and counted in *invalid. */
uint64_t capture_timestamp(long long sec, long long usec, uint64_t *last_good,
                           uint64_t *invalid);

/* Read every packet of `path` into `p`, applying `bpf` (may be NULL). Errors
 * go to `errs` as one line each. */
enum capture_status capture_read_file(const char *path, const char *bpf,
                                      struct pipeline *p, FILE *errs);

/* The same, handing every frame to `frame` (workers share them out);
 * files read and failed are counted in `st`. */
typedef void (*capture_frame_fn)(void *ctx, int linktype, const uint8_t *frame,
                                 uint32_t cap_len, uint32_t wire_len,
                                 uint64_t ts_us);
enum capture_status capture_read_file_to(const char *path, const char *bpf,
                                         capture_frame_fn frame, void *ctx,
                                         struct run_stats *st, FILE *errs);
/* The same for `path` already open as `fd` (owned from then on), reading
 * at most `limit` bytes (0: all); `errs` NULL reads quietly, without
 * reports or progress (workers that each read the file: one reports). */
enum capture_status capture_read_fd_to(int fd, uint64_t limit,
                                       const char *path, const char *bpf,
                                       capture_frame_fn frame, void *ctx,
                                       struct run_stats *st, FILE *errs);

/* Progress of the file being read, for a person watching a terminal:
 * called every few thousand packets and once at the end of each file with
 * the bytes of the file read so far and its size (0: unknown, a pipe). */
struct capture_progress {
    void (*update)(void *ctx, const char *name, uint64_t done,
                   uint64_t total, bool end_of_file);
    void *ctx;
};
/* NULL: none (the default). The reader calls it from its own thread. */
void capture_set_progress(const struct capture_progress *progress);

#endif
