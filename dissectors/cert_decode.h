/* cert_decode.h — one certificate decoded from the DER a peer sent, as
 * d2i_X509 would decode it, in less of OpenSSL 3.0's time (see
 * cert_decode.c for how and why). */
#ifndef TLSMON_CERT_DECODE_H
#define TLSMON_CERT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* NULL unless der[0..len) is one well-formed certificate: trailing bytes
 * mean the length and the DER disagree. Thread-safe; the caller frees the
 * certificate with X509_free. */
X509 *cert_decode(const uint8_t *der, size_t len);

/* Whether certificates are decoded in tlsmon's own context (false: in the
 * default one, which this OpenSSL's configuration left no other way to). */
bool cert_decode_in_own_context(void);

#endif
