/* spool.h — a bounded on-disk queue of framed events for one network
 * output, so that a collector outage (or a stop while it is down) costs
 * disk space instead of events.
 *
 * The spool is a directory of segment files (SEQ.seg, each record a 4-byte
 * length, a CRC-32 of the data and the data) and a `head` file naming the
 * first record not yet delivered. Records are appended at the tail and read
 * from the head in the order they were appended; when the size cap would be
 * passed, the oldest segment is dropped and its records counted. A run that
 * stops with records left keeps them for the next run on the same
 * directory, which sends them first. One process owns a spool at a time
 * (an flock on DIR/lock).
 *
 * Not thread-safe: the output's sender thread is its only user once open. */
#ifndef TLSMON_SPOOL_H
#define TLSMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sender_msg;
struct spool;

/* The largest record the spool takes; a longer one is dropped. */
#define SPOOL_RECORD_MAX (64u << 20)

/* Open (creating it) the spool in `dir`, at most `max_bytes` of segments.
 * Records left by an earlier run are found again (a torn last record, from
 * a crash mid-write, is cut off and reported on stderr). NULL with a
 * one-line reason in err. */
struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err,
                         size_t errlen);
/* The spool of one destination under a base directory (--spool DIR):
 * DIR/NAME with NAME made of the destination's URL ("tcp://host:6514"
 * becomes "tcp_host_6514"), so that each destination keeps its own
 * framing. DIR is created if missing. */
struct spool *spool_open_for(const char *base, const char *destination,
                             uint64_t max_bytes, char *err, size_t errlen);
void spool_close(struct spool *sp);

/* Append one record, dropping the oldest segment while the cap would be
 * passed. False when the record itself could not be kept (larger than the
 * cap, a write error); either way what was lost is in spool_dropped. */
bool spool_append(struct spool *sp, const void *data, size_t len);

/* Up to `max` records from the head, in order, each a fresh sender_msg
 * (malloc; the caller frees them). They stay in the spool until
 * spool_consume. Returns how many. */
size_t spool_peek(struct spool *sp, struct sender_msg **out, size_t max);
/* The first n records peeked are done with (delivered or refused). */
void spool_consume(struct spool *sp, size_t n);

uint64_t spool_records(const struct spool *sp); /* waiting on disk */
uint64_t spool_bytes(const struct spool *sp);
/* Records lost since open: dropped to make room, or not writable. */
uint64_t spool_dropped(const struct spool *sp);
const char *spool_dir(const struct spool *sp);

/* CRC-32 (IEEE 802.3, as zlib's crc32), exposed for the unit test. */
uint32_t spool_crc32(const void *data, size_t len);

#endif
