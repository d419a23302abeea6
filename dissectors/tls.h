/* tls.h — the TLS/SSL dissector of one connection: record layer for both
 * directions, handshake message reassembly, and the calls into the message
 * parsers and the outcome decision. It is fed in-order bytes per flow side
 * (0 or 1: the flow's own orientation) and fills one `struct handshake`. */
#ifndef TLSMON_TLS_H
#define TLSMON_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"

/* Is this the start of a TLS/SSL connection (a handshake record or an SSLv2
 * ClientHello)? Used to decide whether a flow gets a dissector. */
enum tls_sniff {
    TLS_SNIFF_NEED_MORE, /* too few bytes to tell */
    TLS_SNIFF_NO,
    TLS_SNIFF_CLIENT_HELLO,
    TLS_SNIFF_SERVER_HELLO, /* capture started after the ClientHello */
    TLS_SNIFF_OTHER_RECORD, /* a TLS record, mid-connection */
};
enum tls_sniff tls_sniff(const uint8_t *data, uint32_t len);

struct keylog;
struct memcap;

struct tls_limits {
    uint32_t max_handshake_msg; /* bytes of one handshake message kept */
    struct keylog *keylog;      /* secrets to decrypt with; NULL: none */
    /* Charged for the session and every buffer it grows (records,
     * handshake messages, certificate and OCSP copies, key-log state); a
     * refused charge skips what it was for and says so in the record. May
     * be NULL. */
    struct memcap *memcap;
};

struct tls_session; /* private */

/* `client_side` is the flow side known to be the client (from the SYN, or
 * a STARTTLS upgrade), or -1: then the first ClientHello (or a ServerHello,
 * in a capture that began after it) sets the roles. A later hello never
 * swaps them: a ClientHello coming back from the server is not TLS. */
struct tls_session *tls_session_new(const struct tls_limits *lim,
                                    int client_side);
void tls_session_free(struct tls_session *s);
/* A decided session kept only for its record: the reading buffers go, and
 * all it held of the memcap is given back. Returns those bytes (the caller
 * bounds what it keeps this way); tls_session_free frees the rest. */
uint64_t tls_session_shed(struct tls_session *s);
/* Memory the session holds now (the record, buffers, certificate DER), as
 * charged to the memcap. */
size_t tls_session_memory(const struct tls_session *s);

void tls_feed(struct tls_session *s, int side, const uint8_t *data,
              uint32_t len, uint64_t ts_us);
void tls_gap(struct tls_session *s, int side, uint32_t len);
/* One record whose framing another layer took off, read as if it came off
 * the wire whole: a DTLS record (its handshake fragments already rebuilt
 * into messages with TLS's 4-byte headers), or in-order CRYPTO bytes of a
 * QUIC Initial packet number space (type 22, version 0: QUIC has no record
 * header). */
void tls_feed_record(struct tls_session *s, int side, uint8_t type,
                     uint16_t version, const uint8_t *body, uint32_t len,
                     uint64_t ts_us);

/* A side closed. A FIN from the side that spoke last waits for the other
 * side's answer (a handshake both sides finished is established, whoever
 * closed first); otherwise the close decides what is undecided. */
enum tls_close { TLS_CLOSE_FIN, TLS_CLOSE_RST };
void tls_closed(struct tls_session *s, int side, enum tls_close how,
                uint64_t ts_us);
/* The pipeline stops reading this session before a decision (its bytes
 * passed the per-direction cap): its buffers go and the record says so;
 * tls_finish decides it when the flow ends. */
void tls_capped(struct tls_session *s);
/* No more bytes will come: decide what is still undecided, stop watching. */
void tls_finish(struct tls_session *s, enum hs_ended_by why, uint64_t ts_us);

/* The server spoke first and not TLS (`greeting`, its first bytes, at
 * `ts_us`); the client's ClientHello that follows decides not_tls with the
 * greeting as the preview. Call before feeding the client's bytes. */
void tls_server_spoke_first(struct tls_session *s, int server_side,
                            const uint8_t *greeting, uint32_t len,
                            uint64_t ts_us);

/* The outcome is known (the record may still gain late alerts). */
bool tls_decided(const struct tls_session *s);
/* Decided, and no side is watched any more: the record is final. After a
 * failure each side is read, alerts only, until its own close (at most 16
 * records); after an established handshake the client, until its first
 * record after the handshake, or its close. */
bool tls_done(const struct tls_session *s);
/* Are this side's bytes still read? */
bool tls_reads(const struct tls_session *s, int side);
/* The flow side that is the client, once known (else -1). */
int tls_client_side(const struct tls_session *s);
/* True once this flow has shown it is not TLS at all (no record emitted). */
bool tls_not_a_tls_flow(const struct tls_session *s);

struct handshake *tls_record(struct tls_session *s);
/* The record's rare part for writing (struct handshake_rare), allocated on
 * first use and charged to the session; NULL only when memory ran out (the
 * record notes it). */
struct handshake_rare *tls_record_rare(struct tls_session *s);

#endif
