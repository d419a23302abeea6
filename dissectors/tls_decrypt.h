/* tls_decrypt.h — TLS record protection, opened with keys from a key log:
 * the cipher suites tlsmon can open, TLS 1.3 traffic keys from a traffic
 * secret (RFC 8446 §7.3), TLS 1.0–1.2 key blocks from a master secret (the
 * PRF, RFC 5246 §6.3), and one record opened at a time (AEAD: AES-GCM,
 * AES-CCM, CCM_8, ChaCha20-Poly1305; CBC with MAC-then-encrypt or
 * encrypt-then-MAC, RFC 7366).
 *
 * A tls_decryptor is the key state of one connection: it asks the key log
 * for the secret each direction needs when it needs it, follows the epochs
 * (handshake, then application keys after each side's Finished, KeyUpdate)
 * and counts what it opened, what failed to authenticate and which secrets
 * were missing. Every buffer with a key in it is cleared (OPENSSL_cleanse)
 * when the decryptor is freed, which the dissector does as soon as the
 * handshake is decided. Record bytes are read through the cursor; only
 * (pointer, length) spans of them are handed to OpenSSL. */
#ifndef TLSMON_TLS_DECRYPT_H
#define TLSMON_TLS_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "age_list.h"
#include "cursor.h"
#include "keylog.h"
#include "quic_crypto.h"

/* The largest record body opened (TLSCiphertext's limit, RFC 5246
 * §6.2.3); the plaintext buffer given to the open functions must hold as
 * many bytes. */
#define TLS_DEC_MAX_RECORD (16384u + 2048u)

struct tls_suite; /* private: the shape of one cipher suite */

/* The suite `id` as negotiated with `version`, or NULL when tlsmon cannot
 * open its records (RC4, NULL, export, ARIA, SSLv3 ...). */
const struct tls_suite *tls_suite_find(uint16_t id, uint16_t version);

enum tls_dec_result {
    TLS_DEC_OK,
    TLS_DEC_AUTH_FAILED, /* wrong key or sequence number, or damaged */
    TLS_DEC_MALFORMED,   /* too short for the suite, bad padding, or a
                          * TLS 1.3 plaintext with no content type */
};

/* One direction's keys in one epoch. */
struct tls_record_key {
    const struct tls_suite *suite;
    uint16_t version;
    bool ready;
    bool etm;                /* encrypt-then-MAC (CBC suites) */
    uint64_t seq;
    uint8_t key[32];
    uint8_t iv[16];          /* TLS 1.3 and ChaCha: 12; GCM/CCM: 4; TLS 1.0
                              * CBC: the chained IV */
    uint8_t mac_key[48];
    uint8_t secret[48];      /* TLS 1.3: the traffic secret (KeyUpdate) */
    uint8_t secret_len;
};

/* TLS 1.3: key and IV from a traffic secret. */
bool tls13_record_key(struct tls_record_key *k, const struct tls_suite *suite,
                      const uint8_t *secret, size_t secret_len);
/* TLS 1.3 KeyUpdate: the next generation of the same direction's keys. */
bool tls13_record_key_update(struct tls_record_key *k);
/* TLS 1.0–1.2: both directions from the master secret and the randoms. */
bool tls12_record_keys(struct tls_record_key *client,
                       struct tls_record_key *server,
                       const struct tls_suite *suite, uint16_t version,
                       const uint8_t master[48], const uint8_t client_random[32],
                       const uint8_t server_random[32], bool etm);
void tls_record_key_clear(struct tls_record_key *k);

/* Open one record whose header said `type`, `version` and
 * cursor_left(body) bytes. The plaintext goes to out (at least
 * TLS_DEC_MAX_RECORD bytes); TLS 1.3's inner content type goes to
 * *inner_type and its padding is removed (TLS <= 1.2: *inner_type = type).
 * When the expected sequence number fails, the next few are tried (records
 * lost in a capture gap, 0-RTT records not seen); the key then goes on from
 * the one that opened. */
enum tls_dec_result tls_record_open(struct tls_record_key *k, uint8_t type,
                                    uint16_t version, const struct cursor *body,
                                    uint8_t *out, size_t *out_len,
                                    uint8_t *inner_type);
/* A record of this direction that is not opened (application data after
 * the handshake of TLS <= 1.2): the sequence number and TLS 1.0's chained
 * IV still move on. */
void tls_record_skip(struct tls_record_key *k, const struct cursor *body);

/* ---- QUIC (RFC 9001 §5.1) ----
 * The hook for QUIC Handshake packets: a QUIC dissector that found the
 * client random in the ClientHello of its CRYPTO frames looks the handshake
 * traffic secret of a direction up in the key log (keylog_lookup) and
 * derives that direction's packet protection keys here. */
/* Keys of the TLS 1.3 suite `suite_id` from a traffic secret (labels
 * "quic key", "quic iv", "quic hp"). Clear *out with OPENSSL_cleanse. */
bool tls_quic_keys(uint16_t suite_id, const uint8_t *secret,
                   size_t secret_len, struct quic_keys *out);

/* ---- one connection ---- */

enum tls_dec_dir { TLS_DEC_CLIENT = 0, TLS_DEC_SERVER = 1 };

/* What a decryptor did, for the record. */
struct tls_dec_report {
    uint32_t opened;       /* records opened */
    uint32_t failed;       /* records that did not authenticate */
    uint8_t missing;       /* bits of enum keylog_secret needed, absent */
    uint8_t used;          /* bits of enum keylog_secret that opened some */
};

struct tls_decryptor;

/* NULL when the suite cannot be opened (or out of memory). `random`s are
 * the hellos'; `etm` when both hellos had encrypt_then_mac. */
struct tls_decryptor *tls_decryptor_new(struct keylog *kl, uint16_t version,
                                        uint16_t suite,
                                        const uint8_t client_random[32],
                                        const uint8_t server_random[32],
                                        bool etm);
void tls_decryptor_free(struct tls_decryptor *d);

/* Does direction `dir` have what its next record needs? Looks it up (and,
 * with followed key logs, reads what they gained; `force` skips the poll
 * interval) when not. */
bool tls_decryptor_ready(struct tls_decryptor *d, enum tls_dec_dir dir,
                         bool force);
/* The secret direction `dir` waits for (enum keylog_secret), or -1. */
int tls_decryptor_wanted(const struct tls_decryptor *d, enum tls_dec_dir dir);
/* Give up waiting: the secret `dir` needs is missing. */
void tls_decryptor_give_up(struct tls_decryptor *d, enum tls_dec_dir dir);
/* Has `dir` stopped (missing secret, records that no longer open)? */
bool tls_decryptor_stopped(const struct tls_decryptor *d, enum tls_dec_dir dir);

/* Open the next record of `dir`; counts what happened. A direction whose
 * records stop authenticating is given up after two in a row. */
enum tls_dec_result tls_decryptor_open(struct tls_decryptor *d,
                                       enum tls_dec_dir dir, uint8_t type,
                                       uint16_t version,
                                       const struct cursor *body, uint8_t *out,
                                       size_t *out_len, uint8_t *inner_type);
void tls_decryptor_skip(struct tls_decryptor *d, enum tls_dec_dir dir,
                        const struct cursor *body);

/* TLS 1.3 epochs: `dir` sent its Finished (the next records use the
 * application traffic secret), its EndOfEarlyData (the handshake secret),
 * or a KeyUpdate. */
void tls_decryptor_finished(struct tls_decryptor *d, enum tls_dec_dir dir);
void tls_decryptor_end_of_early_data(struct tls_decryptor *d);
void tls_decryptor_key_update(struct tls_decryptor *d, enum tls_dec_dir dir);
/* TLS 1.3: the client offered 0-RTT; its first records may be early data,
 * opened with the early secret when the handshake secret does not (the
 * record is then reported with inner type 0: nothing of the handshake). */
void tls_decryptor_expect_early(struct tls_decryptor *d);

void tls_decryptor_report(const struct tls_decryptor *d,
                          struct tls_dec_report *out);
size_t tls_decryptor_memory(void);

/* ---- records waiting for keys (live capture) ---- */

/* Records held in order, while a followed key log may still get the
 * secret they need; bounded by `TLS_DEC_HOLD_MAX` bytes. */
#define TLS_DEC_HOLD_MAX (256u * 1024u)

struct tls_held_record {
    struct age_link order; /* in tls_hold.records */
    int side;        /* flow side */
    uint8_t type;
    uint16_t version;
    uint64_t ts_us;
    uint32_t len;
    uint8_t body[];
};

struct tls_hold {
    struct age_list records; /* oldest first */
    uint32_t bytes;
    uint64_t since_us; /* when the first held record came */
};

/* False (nothing held) when the bound would be passed or out of memory. */
bool tls_hold_push(struct tls_hold *h, int side, uint8_t type, uint16_t version,
                   uint64_t ts_us, const struct cursor *body);
/* The oldest record, NULL when none is held. */
static inline struct tls_held_record *tls_hold_oldest(const struct tls_hold *h)
{
    return AGE_ENTRY(h->records.oldest, struct tls_held_record, order);
}
/* The oldest record, unlinked; the caller frees it with tls_hold_free_one. */
struct tls_held_record *tls_hold_pop(struct tls_hold *h);
void tls_hold_free_one(struct tls_held_record *r);
void tls_hold_clear(struct tls_hold *h);

#endif
