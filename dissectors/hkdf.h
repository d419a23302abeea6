/* hkdf.h — HKDF (RFC 5869) and TLS 1.3's HKDF-Expand-Label (RFC 8446
 * §7.1), the key derivation that QUIC Initial protection (RFC 9001 §5.2)
 * and key-log decryption (TLS 1.3 traffic keys) share.
 *
 * Secrets and outputs are at most HKDF_MAX_LEN bytes (SHA-384's size); a
 * longer request fails rather than truncating. */
#ifndef TLSMON_HKDF_H
#define TLSMON_HKDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define HKDF_MAX_LEN 48

/* PRK = HMAC-Hash(salt, ikm); writes EVP_MD_get_size(md) bytes to prk. */
bool hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len,
                  const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/* HKDF-Expand-Label(secret, label, context, out_len): `label` without the
 * "tls13 " prefix, which is added here ("quic key", "c hs traffic" ...). */
bool hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
                       size_t secret_len, const char *label,
                       const uint8_t *context, size_t context_len,
                       uint8_t *out, size_t out_len);

#endif
