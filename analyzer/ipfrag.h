/* ipfrag.h — IPv4 fragment reassembly with a memory cap and a timeout in
 * packet time. Overlapping fragments: the first copy of a byte wins. */
#ifndef TLSMON_IPFRAG_H
#define TLSMON_IPFRAG_H

#include <stdint.h>

struct ipfrag_datagram; /* private */

struct ipfrag_table {
    struct ipfrag_datagram *head; /* oldest first */
    uint32_t n_datagrams;
    uint64_t bytes_held;
    uint64_t memcap;
    uint64_t timeout_us;
    uint64_t dropped; /* datagrams given up: timeout, cap, inconsistency */
    /* The last completed datagram; owned here, valid until the next call. */
    uint8_t *done;
    uint32_t done_len;
};

void ipfrag_init(struct ipfrag_table *t, uint64_t memcap, uint64_t timeout_us);
void ipfrag_free(struct ipfrag_table *t);

/* Offer one fragment: `ip` is the whole IPv4 packet (header included).
 * Returns 1 and sets *dgram and *dgram_len to the reassembled datagram (a fresh
 * IPv4 header with offset 0 and MF clear, then the payload) when this
 * fragment completed it; 0 when it was held; -1 when it was malformed. */
int ipfrag_offer(struct ipfrag_table *t, const uint8_t *ip, uint32_t ip_len,
                 uint64_t ts_us, const uint8_t **dgram, uint32_t *dgram_len);

#endif
