/* tls_names.h — IANA names of TLS numbers: versions, cipher suites, alerts,
 * extensions, groups, signature schemes; GREASE recognition. */
#ifndef TLSMON_TLS_NAMES_H
#define TLSMON_TLS_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* "ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3", TLS 1.3 drafts as
 * "1.3-draft-NN", DTLS versions as the TLS version they are built on
 * (DTLS 1.2 is "1.2"), else NULL. */
const char *tls_version_name(uint16_t v);
/* "tls", "ssl" or "dtls", as ECS tls.version_protocol wants; NULL if
 * unknown. */
const char *tls_version_protocol(uint16_t v);
/* 0xfeff, 0xfefd, 0xfefc or OpenSSL's early 0x0100. */
bool tls_version_is_dtls(uint16_t v);
/* Place in protocol order (ssl2 < ssl3 < 1.0 < 1.1 < 1.2 < 1.3), 0 unknown. */
int tls_version_rank(uint16_t v);

const char *tls_cipher_name(uint32_t suite);  /* NULL if unknown */
const char *tls_alert_name(uint8_t code);     /* NULL if unknown */
const char *tls_extension_name(uint16_t type);/* NULL if unknown */
const char *tls_group_name(uint16_t group);   /* NULL if unknown */

/* Whether a group is post-quantum: a hybrid of a classical curve and
 * ML-KEM (X25519MLKEM768 ...), ML-KEM alone, or a retired pre-standard
 * codepoint (X25519Kyber768Draft00 0x6399, CECPQ2 ...). */
enum tls_pq_kind {
    TLS_PQ_NONE = 0,
    TLS_PQ_HYBRID,
    TLS_PQ_PURE,
    TLS_PQ_DRAFT,
};
/* The ML-KEM groups of draft-ietf-tls-mlkem and
 * draft-ietf-tls-ecdhe-mlkem, and the pre-standard experiments clients
 * have since dropped. Inline: the posture asks it of every offered group,
 * several times per hello. */
static inline enum tls_pq_kind tls_group_pq_kind(uint16_t group)
{
    switch (group) {
    case 0x0200: /* MLKEM512 */
    case 0x0201: /* MLKEM768 */
    case 0x0202: /* MLKEM1024 */
        return TLS_PQ_PURE;
    case 0x11eb: /* SecP256r1MLKEM768 */
    case 0x11ec: /* X25519MLKEM768 */
    case 0x11ed: /* SecP384r1MLKEM1024 */
    case 0x11ee: /* curveSM2MLKEM768 */
        return TLS_PQ_HYBRID;
    case 0x4138: /* CECPQ2 */
    case 0x6399: /* X25519Kyber768Draft00 */
    case 0x639a: /* SecP256r1Kyber768Draft00 */
        return TLS_PQ_DRAFT;
    default:
        return TLS_PQ_NONE;
    }
}

const char *tls_pq_kind_name(enum tls_pq_kind k); /* "hybrid" ..., NULL */
const char *tls_sigalg_name(uint16_t scheme); /* NULL if unknown */
const char *tls_handshake_type_name(uint8_t type);

/* RFC 8701: 0x?A?A with equal bytes. Inline: the fingerprints and the
 * fields ask it of every value of every hello list. */
static inline bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Properties of a cipher suite used by the diagnosis rules. */
#define TLS_CIPHER_NO_PFS 0x01  /* static RSA/DH/ECDH key exchange */
#define TLS_CIPHER_RC4 0x02
#define TLS_CIPHER_3DES 0x04
#define TLS_CIPHER_NULL 0x08
#define TLS_CIPHER_EXPORT 0x10
#define TLS_CIPHER_ANON 0x20
#define TLS_CIPHER_CBC 0x40
unsigned tls_cipher_flags(uint32_t suite);
/* A known suite with forward secrecy and an AEAD, none of the weaknesses
 * above, and not a signalling value (GREASE, the SCSVs). */
bool tls_cipher_is_modern(uint32_t suite);

#endif
