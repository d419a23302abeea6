/* dtls.h — the DTLS side of one UDP flow (RFC 6347, RFC 9147): the record
 * layer with its epochs and sequence numbers, handshake messages rebuilt
 * from their fragments, retransmitted flights recognized and counted once,
 * the HelloVerifyRequest cookie exchange, DTLS 1.3's unified header, and
 * STUN on the same 5-tuple (WebRTC). What is left is a TLS conversation:
 * records go to the TLS dissector, which decides as it does for TLS. */
#ifndef TLSMON_DTLS_H
#define TLSMON_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memcap;
struct tls_session;
struct dtls_conn; /* private */

enum dtls_sniff {
    DTLS_SNIFF_NO,
    DTLS_SNIFF_CLIENT_HELLO, /* a client starting */
    DTLS_SNIFF_SERVER_HELLO, /* HelloVerifyRequest or ServerHello */
    DTLS_SNIFF_OTHER,        /* a DTLS record mid-connection */
    DTLS_SNIFF_STUN,         /* a STUN message (RFC 5389), WebRTC's start */
};
/* What this UDP payload opens with. */
enum dtls_sniff dtls_sniff(const uint8_t *data, uint32_t len);

/* `tls` (not owned, must outlive it) receives the records and holds the
 * record; `max_msg` bounds one handshake message; `client_side` is the
 * flow side believed to be the client, or -1. Itself and the handshake
 * messages being rebuilt are charged to `memcap` (may be NULL) as they are
 * allocated; NULL when it refuses the connection. */
struct dtls_conn *dtls_conn_new(struct tls_session *tls, uint32_t max_msg,
                                int client_side, struct memcap *memcap);
void dtls_conn_free(struct dtls_conn *d);
/* What it holds of the memcap now. */
size_t dtls_conn_memory(const struct dtls_conn *d);

/* One UDP payload from flow side `side` (0 or 1); `cut` bytes of it are
 * missing from the capture (snaplen): a gap in what that side sent. */
void dtls_datagram(struct dtls_conn *d, int side, const uint8_t *data,
                   uint32_t len, uint32_t cut, uint64_t ts_us);

#endif
