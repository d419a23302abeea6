/* quic.h — the QUIC side of one UDP flow (RFC 8999, 9000, 9001, 9369),
 * read passively: long and short headers, Initial packets opened with the
 * keys every observer can derive, CRYPTO frames reassembled into the TLS
 * messages the TLS dissector parses, Version Negotiation, Retry, 0-RTT and
 * CONNECTION_CLOSE, and the decision the encrypted rest allows. Facts go
 * into the record of the TLS session it is given (quic_facts and the
 * usual TLS fields). */
#ifndef TLSMON_QUIC_H
#define TLSMON_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"

struct memcap;
struct tls_session;
struct quic_conn; /* private */

enum quic_sniff {
    QUIC_SNIFF_NO,
    QUIC_SNIFF_CLIENT, /* an Initial or 0-RTT packet: a client starting */
    QUIC_SNIFF_SERVER, /* Version Negotiation or Retry: a server's answer */
    QUIC_SNIFF_OTHER,  /* a Handshake packet: mid-connection */
};
/* Does this UDP payload open with a QUIC long header packet? */
enum quic_sniff quic_sniff(const uint8_t *data, uint32_t len);

/* `tls` (not owned, must outlive the connection) receives the CRYPTO
 * bytes and holds the record. `client_side` is the flow side believed to
 * be the client (the sender of the first Initial), or -1. Itself and the
 * CRYPTO bytes held for earlier ones are charged to `memcap` (may be NULL)
 * as they are allocated; NULL when it refuses the connection. */
struct quic_conn *quic_conn_new(struct tls_session *tls, int client_side,
                                struct memcap *memcap);
void quic_conn_free(struct quic_conn *q);
/* What it holds of the memcap now. */
size_t quic_conn_memory(const struct quic_conn *q);

/* One UDP payload from flow side `side` (0 or 1); `cut` bytes of it are
 * missing from the capture (snaplen), which the record says (gaps). */
void quic_datagram(struct quic_conn *q, int side, const uint8_t *data,
                   uint32_t len, uint32_t cut, uint64_t ts_us);
/* Its Initials are not to be decrypted (the server's budget of new
 * connections is spent): no keys are derived, the packets are counted,
 * and the record says so. Before its first datagram. */
void quic_skip_initials(struct quic_conn *q);
bool quic_initials_skipped(const struct quic_conn *q);
/* Did the datagram just read open with the connection's first client
 * Initial, of a version tlsmon knows, whose AEAD tag that version's
 * Initial keys of its own DCID did not verify (a packet no key opens, or
 * damaged)? */
bool quic_lead_initial_unopened(const struct quic_conn *q);
/* Is this a QUIC handshake tlsmon reports? Not when nothing showed it: a
 * version it cannot open (Google's own crypto, an unknown version no
 * known protection fits) and no server answer in QUIC's own terms. */
bool quic_reportable(const struct quic_conn *q);
/* The client opened another QUIC connection to the same server right
 * after this one: a Version Negotiation it got here was answered there. */
void quic_client_started_again(struct quic_conn *q);
/* No more datagrams will come: decide what the packets allow. */
void quic_finish(struct quic_conn *q, enum hs_ended_by why, uint64_t ts_us);
/* The flow side that is the client, -1 before any Initial. */
int quic_client_side(const struct quic_conn *q);

#endif
