/* pcap_walk.h — the frames of a classic pcap file, read from its bytes in
 * memory by the rules libpcap 1.10 reads them with (sf-pcap.c): each frame
 * comes out as pcap_next_ex would give it, and a record libpcap refuses is
 * refused here with libpcap's words. Only what a mapped file needs: native
 * byte order, format 2.4, no patched (Kuznetzov) headers; capture_map.c
 * decides which files qualify. Pure and allocation-free: the fuzz target
 * feeds it any bytes. */
#ifndef TLSMON_PCAP_WALK_H
#define TLSMON_PCAP_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/cursor.h"

/* libpcap's MAXIMUM_SNAPLEN: the largest frame it hands out for every
 * link type tlsmon decodes (a few others have their own). */
#define PCAP_WALK_MAX_CAPLEN 262144u
#define PCAP_WALK_FILE_HEADER 24u
/* Room for a refusal's words (libpcap's PCAP_ERRBUF_SIZE). */
#define PCAP_WALK_WHY 256
#define PCAP_WALK_RECORD_HEADER 16u

/* libpcap's max_snaplen_for_dlt (for the link types whose DLT and
 * LINKTYPE numbers agree, as the ones with their own maximum do). */
uint32_t pcap_walk_max_caplen(uint32_t linktype);

/* What the 24-byte file header says, for a file this reader takes. */
struct pcap_walk_format {
    bool nanoseconds;  /* NSEC magic: stamps in ns, given out in µs */
    uint32_t snaplen;  /* as written; 0 or past INT_MAX means the maximum */
    uint32_t linktype; /* LINKTYPE_ value, FCS bits included */
};

/* True if `header` (the file's first bytes) is a pcap 2.4 header in this
 * machine's byte order with the plain record header. */
bool pcap_walk_format_read(const uint8_t *header, size_t len,
                           struct pcap_walk_format *fmt);

struct pcap_walk {
    struct cursor in;  /* the records, from the first past the header */
    uint64_t origin;   /* file offset of `in`'s first byte */
    uint32_t snapshot; /* libpcap's snapshot: snaplen, adjusted */
    uint32_t max_caplen; /* the link type's largest frame */
    bool nanoseconds;
};

struct pcap_walk_frame {
    const uint8_t *data;
    uint32_t cap_len, wire_len;
    /* As libpcap gives them: signed 32-bit fields, ns scaled down. */
    long long sec, usec;
    uint64_t offset; /* of the record's header in the file */
};

enum pcap_walk_result { PCAP_WALK_FRAME, PCAP_WALK_END, PCAP_WALK_BROKEN };

/* Start at the first record: `records` are the file's bytes from offset
 * PCAP_WALK_FILE_HEADER on. */
void pcap_walk_start(struct pcap_walk *w, const uint8_t *records, size_t len,
                     const struct pcap_walk_format *fmt);

/* The next frame. BROKEN: the record at `frame->offset` cannot be read,
 * `why` says why in libpcap's words; the walk stays there. */
enum pcap_walk_result pcap_walk_next(struct pcap_walk *w,
                                     struct pcap_walk_frame *frame, char *why,
                                     size_t why_len);

/* Where the byte `into` bytes into the record after the next one is (NULL:
 * no byte of the file there), to ask the memory for it early; never read
 * through. */
const uint8_t *pcap_walk_after_next(const struct pcap_walk *w, size_t into);

#endif
