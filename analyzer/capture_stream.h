/* capture_stream.h — a capture file opened as a stdio stream for libpcap:
 * plain, gzip or zstd (told apart by their first bytes, not by the name),
 * a file or standard input. Analysts get captures as .pcap.gz and
 * .pcapng.zst; they are read as they are, without a temporary copy. */
#ifndef TLSMON_CAPTURE_STREAM_H
#define TLSMON_CAPTURE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* zstd frames may ask for a window this large (zstd's own default limit);
 * a file that needs more is refused, so a hostile header cannot make the
 * reader allocate without bound. */
#define CAPTURE_ZSTD_WINDOW_LOG_MAX 27

struct capture_stream;

/* Open `path` ("-": standard input). On failure NULL, with the reason in
 * `err`. The stream's FILE goes to pcap_fopen_offline, which owns it from
 * then on: pcap_close (or fclose) ends the stream and frees it. */
struct capture_stream *capture_stream_open(const char *path, char *err,
                                           size_t err_len);
/* The same for a file already open (owned from then on, closed on
 * failure), reading at most `limit` bytes of it (0: to its end): workers
 * that each read the file see the same bytes even if it grows meanwhile. */
struct capture_stream *capture_stream_open_fd(int fd, uint64_t limit,
                                              char *err, size_t err_len);
FILE *capture_stream_file(struct capture_stream *s);

/* "gzip", "zstd", or NULL for an uncompressed file. */
const char *capture_stream_compression(const struct capture_stream *s);
/* The descriptor of an uncompressed regular file opened by name or
 * descriptor (its bytes to read: capture_stream_size), for reading it
 * mapped; -1 for anything else (compressed, standard input, a pipe). */
int capture_stream_plain_fd(const struct capture_stream *s);
/* Bytes of the file read so far, and its size (0 when unknown: a pipe).
 * Valid until the FILE is closed. */
uint64_t capture_stream_consumed(const struct capture_stream *s);
uint64_t capture_stream_size(const struct capture_stream *s);
/* Why decompression stopped early ("" if it did not), e.g. "gzip: the
 * compressed data ends early". Valid until the FILE is closed. */
const char *capture_stream_error(const struct capture_stream *s);

#endif
