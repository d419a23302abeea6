/* quic_crypto.h — QUIC packet protection as a passive reader needs it
 * (RFC 9001 §5, RFC 9369 §3.3): what each version changes (the Initial
 * salt, the key labels, the long-header type numbers), the Initial keys
 * derived from the client's Destination Connection ID, header protection
 * masks and AEAD opening. Ciphers come from OpenSSL, fetched once; each
 * thread reuses one pair of cipher contexts. */
#ifndef TLSMON_QUIC_CRYPTO_H
#define TLSMON_QUIC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu
#define QUIC_V2_DRAFT 0x709a50c4u /* provisional v2 (ngtcp2 0.12 "v2draft") */

#define QUIC_SALT_LEN 20
#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16

/* Long header packet types, as v1 numbers them; v2 rotates the wire
 * values (RFC 9369 §3.2), quic_long_type() maps them back. */
enum quic_long_type {
    QUIC_INITIAL = 0,
    QUIC_0RTT = 1,
    QUIC_HANDSHAKE = 2,
    QUIC_RETRY = 3,
};

/* What a version's packet protection looks like. */
struct quic_version_info {
    uint32_t version;
    const char *name;          /* "1", "2", "draft-29", "mvfst-27" ... */
    const uint8_t *salt;       /* QUIC_SALT_LEN bytes */
    bool v2;                   /* "quicv2 " labels, rotated packet types */
    bool tls;                  /* its CRYPTO frames carry TLS (not gQUIC) */
    bool gquic_frames;         /* Google's T05x: gQUIC frame types */
};

/* The version's description, or NULL for a version tlsmon does not know. */
const struct quic_version_info *quic_version_lookup(uint32_t version);
/* For an unknown version, the known protections to try in turn: the
 * i-th candidate, NULL past the last. */
const struct quic_version_info *quic_version_candidate(size_t i);
/* "1", "draft-29" ... or "0x1a2a3a4a" into buf. */
const char *quic_version_name(uint32_t version, char *buf, size_t n);
/* RFC 9000 §15: versions 0x?a?a?a?a are reserved to exercise negotiation. */
bool quic_version_is_reserved(uint32_t version);

/* The v1-numbered type of a long header first byte under `info` (NULL:
 * v1 numbering). */
enum quic_long_type quic_long_type(const struct quic_version_info *info,
                                   uint8_t first_byte);

/* The AEADs of TLS 1.3's suites QUIC may use (RFC 9001 §5.3). */
enum quic_aead {
    QUIC_AEAD_AES_128_GCM,       /* TLS_AES_128_GCM_SHA256 */
    QUIC_AEAD_AES_256_GCM,       /* TLS_AES_256_GCM_SHA384 */
    QUIC_AEAD_CHACHA20_POLY1305, /* TLS_CHACHA20_POLY1305_SHA256 */
    QUIC_AEAD_AES_128_CCM,       /* TLS_AES_128_CCM_SHA256 */
};

/* One direction's packet protection: the AEAD key and IV, and the header
 * protection key (as long as the AEAD key). Also what key-log decryption
 * derives for Handshake packets (tls_decrypt.h, tls_quic_keys). */
struct quic_keys {
    enum quic_aead aead;
    uint8_t key_len;
    uint8_t key[32];
    uint8_t iv[12];
    uint8_t hp[32];
};

/* The AEAD of a TLS 1.3 suite, false for any other suite. */
bool quic_aead_of_suite(uint16_t suite, enum quic_aead *out);

/* key, iv and hp from a traffic secret (RFC 9001 §5.1): `v2` selects the
 * "quicv2 " labels. */
bool quic_keys_from_secret(struct quic_keys *k, enum quic_aead aead,
                           const EVP_MD *md, const uint8_t *secret,
                           size_t secret_len, bool v2);

/* The Initial keys for `info` and the client's Destination Connection ID
 * (RFC 9001 §5.2): of both directions, or of one when the other's pointer
 * is NULL (a flood of new connections seldom hears a server). */
bool quic_initial_keys(const struct quic_version_info *info,
                       const uint8_t *dcid, size_t dcid_len,
                       struct quic_keys *client, struct quic_keys *server);

/* The 5-byte header protection mask of a 16-byte sample (§5.4). */
bool quic_hp_mask(const struct quic_keys *k,
                  const uint8_t sample[QUIC_SAMPLE_LEN], uint8_t mask[5]);

/* Open a protected payload: `in` is in_len bytes of ciphertext ending with
 * the 16-byte tag, `aad` the unprotected header. Writes in_len - 16 bytes
 * to `out`. False when the tag does not verify (wrong keys, damage). */
bool quic_aead_open(const struct quic_keys *k, uint64_t packet_number,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in,
                    size_t in_len, uint8_t *out);

#endif
