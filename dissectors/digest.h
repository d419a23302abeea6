/* digest.h — the message digests tlsmon computes per handshake (JA3's MD5,
 * JA4's and the certificate cache's SHA-256, the Community ID's SHA-1, TLS 1.3 key schedules' SHA-256
 * and SHA-384), fetched from OpenSSL once, and the one-shot digest of a
 * buffer that the per-handshake hashes share, with a per-thread memo of
 * recent ones for the fingerprints.
 *
 * With OpenSSL 3, EVP_md5() and friends are looked up in the provider store
 * at every EVP_DigestInit (a lock and a search); fetched objects skip that,
 * and it showed in the handshake-heavy profile. */
#ifndef TLSMON_DIGEST_H
#define TLSMON_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

const EVP_MD *digest_md5(void);
const EVP_MD *digest_sha1(void); /* Community ID */
const EVP_MD *digest_sha256(void);
const EVP_MD *digest_sha384(void);

/* md(data[0..len)) into `out` (EVP_MAX_MD_SIZE bytes), its length to
 * *out_len, as EVP_Digest would; false on any failure (a NULL md, an
 * algorithm the configuration refuses, no memory), and then nothing in
 * `out` is to be used. Thread-safe: each thread hashes on its own
 * contexts. */
bool digest_oneshot(const EVP_MD *md, const void *data, size_t len,
                    uint8_t *out, unsigned int *out_len);

/* digest_oneshot, but a short buffer this thread hashed lately with the
 * same md is answered from memory, after comparing it whole. For the
 * fingerprints: a network's clients are a few kinds of software sending
 * the same lists in every hello (2 000 handshakes of a test capture hold
 * 55 distinct JA3 strings), and the hash was most of a fingerprint's cost.
 * Only for data that is no secret: it stays in the memo until replaced. */
bool digest_recent(const EVP_MD *md, const void *data, size_t len,
                   uint8_t *out, unsigned int *out_len);

#endif
