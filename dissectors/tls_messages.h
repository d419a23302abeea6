/* tls_messages.h — parsers for single TLS handshake messages. Each takes a
 * cursor over exactly one message body (after the 4-byte handshake header)
 * and fills its part of the record; each returns false on malformed input,
 * keeping what it parsed before the fault. */
#ifndef TLSMON_TLS_MESSAGES_H
#define TLSMON_TLS_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "handshake.h"

bool tls_parse_client_hello(struct cursor *body, struct client_hello *out);

/* The SSLv2-format ClientHello: `rec` starts at the message type byte (after
 * the 2- or 3-byte SSLv2 record header). */
bool tls_parse_sslv2_client_hello(struct cursor *rec, struct client_hello *out);

/* The highest version a ClientHello offered: the best-ranked
 * supported_versions value (TLS 1.3 final over its drafts), else
 * legacy_version. tlsmon.client_hello.highest_version and the summary use
 * it; JA4 keeps its own rule (the spec's: the numerically highest
 * non-GREASE value). */
uint16_t client_hello_highest_version(const struct client_hello *ch);

/* A ServerHello, or a HelloRetryRequest (which shares its type and is told
 * apart by its fixed random): *is_hrr says which was filled. */
bool tls_parse_server_hello(struct cursor *body, struct server_hello *sh,
                            struct hello_retry *hrr, bool *is_hrr);

/* Certificate: `tls13` selects the 1.3 layout (context + per-entry
 * extensions). Copies the DER of each certificate into `out`. */
bool tls_parse_certificate(struct cursor *body, bool tls13,
                           struct cert_chain *out);

/* ServerKeyExchange of an ECDHE suite: the named group, when it says one. */
bool tls_parse_server_key_exchange_group(struct cursor *body, uint16_t *group);

/* CertificateStatus (RFC 6066 §8): the status type and, for OCSP, a copy
 * of the OCSPResponse DER (up to HS_MAX_OCSP_BYTES; longer ones are marked
 * truncated and not kept). */
bool tls_parse_certificate_status(struct cursor *body,
                                  struct ocsp_staple *out);

/* TLS 1.3 EncryptedExtensions (read with a key log): the extension types
 * in order, the server's ALPN choice and its 0-RTT acceptance. */
bool tls_parse_encrypted_extensions(struct cursor *body,
                                    struct encrypted_extensions *out);

void cert_chain_free(struct cert_chain *c);
void ocsp_staple_free(struct ocsp_staple *o);

#endif
