/* ech.h — Encrypted Client Hello (RFC 9849) as a passive observer sees it:
 * the encrypted_client_hello extension of a ClientHello (outer or inner
 * form, HPKE suite, config id, lengths of the encapsulated key and of the
 * encrypted inner hello), the confirmation a HelloRetryRequest carries when
 * the server accepted ECH, and the retry configurations (ECHConfigList) a
 * rejecting server puts in its EncryptedExtensions, which only a key log
 * opens (tls_parse_encrypted_extensions reads them with this parser).
 *
 * Every parser reads through the cursor, keeps what it read before a fault
 * and returns false on malformed input. */
#ifndef TLSMON_ECH_H
#define TLSMON_ECH_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "handshake.h"

#define ECH_EXTENSION_TYPE 0xfe0d
#define ECH_CONFIG_VERSION 0xfe0d /* ECHConfig.version of RFC 9849 */

enum ech_hello_type { ECH_OUTER = 0, ECH_INNER = 1 };

/* The body of a ClientHello's encrypted_client_hello extension. */
bool ech_parse_client_hello_ext(struct cursor *ext, struct ech_hello *out);

/* The body of a HelloRetryRequest's encrypted_client_hello extension: the
 * 8-byte accept_confirmation (RFC 9849 §7.2.1). */
bool ech_parse_hrr_ext(struct cursor *ext, struct hello_retry *hrr);

/* An ECHConfigList (RFC 9849 §4): what a DNS HTTPS record publishes and
 * what a server sends as retry_configs. Configs of another version are
 * counted and skipped, as clients do. */
bool ech_parse_config_list(struct cursor *list, struct ech_retry *out);

/* IANA HPKE names (RFC 9180 §7): "HKDF-SHA256", "AES-128-GCM",
 * "DHKEM(X25519, HKDF-SHA256)" ...; NULL when unassigned. */
const char *ech_kdf_name(uint16_t id);
const char *ech_aead_name(uint16_t id);
const char *ech_kem_name(uint16_t id);

#endif
