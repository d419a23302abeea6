/* pcapng_walk.h — the packets of a pcapng file, read from its bytes in
 * memory by the rules libpcap 1.10 reads them with (sf-pcapng.c): each
 * packet comes out as pcap_next_ex would give it (enhanced, simple and
 * obsolete packet blocks; each interface's time resolution and offset),
 * and what libpcap refuses is refused at the same block with its words.
 * Only sections in this machine's byte order; capture_map.c decides which
 * files qualify. Every byte is read through the cursor; the interface
 * table is the one allocation. */
#ifndef TLSMON_PCAPNG_WALK_H
#define TLSMON_PCAPNG_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/cursor.h"
#include "pcap_walk.h"

struct pcapng_iface {
    uint64_t tsresol, tsoffset, scale;
    int scale_type;
};

struct pcapng_walk {
    struct cursor in;   /* the whole file */
    int dlt;            /* the first interface's link type, as libpcap maps it */
    uint32_t snapshot;  /* the first interface's snaplen, adjusted */
    uint32_t bufsize;   /* libpcap's first buffer: blocks past it are checked */
    uint32_t max_blocksize;
    uint32_t ifcount;
    struct pcapng_iface *ifaces;
    size_t ifaces_cap;
};

/* True if `bytes` start a pcapng file in this machine's byte order whose
 * header and first interface libpcap accepts; `dlt` is the link type
 * libpcap gave it (pcap_datalink). The walk then stands at the block
 * after that interface, where libpcap's reading of packets begins. False:
 * nothing is left to free. */
bool pcapng_walk_open(struct pcapng_walk *w, const uint8_t *bytes, size_t len,
                      int dlt);

/* The next packet (pcap_walk.h's results and frame). */
enum pcap_walk_result pcapng_walk_next(struct pcapng_walk *w,
                                       struct pcap_walk_frame *frame,
                                       char *why, size_t why_len);

/* As pcap_walk_after_next: a byte of the block after the next one. */
const uint8_t *pcapng_walk_after_next(const struct pcapng_walk *w,
                                      size_t into);

void pcapng_walk_free(struct pcapng_walk *w);

#endif
