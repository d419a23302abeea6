/* capture_map.h — a capture file read where it lies: mapped read-only and
 * walked frame by frame (pcap_walk.h, pcapng_walk.h), instead of copied by
 * read(2) into stdio's buffer and again into libpcap's. A run spends most
 * of its reading in those copies (a bulk capture: ~0.28 s a
 * GB-and-a-half with libpcap, ~0.12 s mapped), and every worker reading a
 * file pays them again. What is mapped: a regular, uncompressed file in
 * pcap 2.4 or pcapng format, in this machine's byte order; everything else
 * is read by libpcap.
 *
 * A file cut short while it is read (another program truncating it) would
 * end the process with SIGBUS when a mapped page past the new end is read:
 * a handler puts zeroes where the lost pages were and marks the mapping,
 * and the walk stops there with an error, as at any broken record. Pages
 * the walk has passed are given back as it goes, so the run's resident
 * memory does not grow with the file. */
#ifndef TLSMON_CAPTURE_MAP_H
#define TLSMON_CAPTURE_MAP_H

#include <stdint.h>

#include "pcap_walk.h"

struct capture_map;

/* Map the first `size` bytes of the file open as `fd` if this reader takes
 * it; NULL otherwise (fd is left as it was: read it with libpcap). `dlt`
 * is the link type libpcap gave the file (pcapng compares later
 * interfaces with it). */
struct capture_map *capture_map_open(int fd, uint64_t size, int dlt);

/* The next frame (pcap_walk_next); BROKEN also when the file shrank. */
enum pcap_walk_result capture_map_next(struct capture_map *m,
                                       struct pcap_walk_frame *frame,
                                       char *why, size_t why_len);

/* Bytes of the file walked so far. */
uint64_t capture_map_consumed(const struct capture_map *m);

void capture_map_close(struct capture_map *m);

#endif
