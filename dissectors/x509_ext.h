/* x509_ext.h — what a leaf certificate's extensions say about its use:
 * CA flag and path length, key usage, extended key usage, where its issuer
 * publishes OCSP answers, its own certificate and its CRL. Read with
 * OpenSSL's decoders, never by hand. */
#ifndef TLSMON_X509_EXT_H
#define TLSMON_X509_EXT_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "handshake.h"

/* Extended key usage bits of struct cert_result.eku. */
#define X509_EKU_SERVER_AUTH 0x001
#define X509_EKU_CLIENT_AUTH 0x002
#define X509_EKU_EMAIL 0x004
#define X509_EKU_CODE_SIGNING 0x008
#define X509_EKU_OCSP_SIGNING 0x010
#define X509_EKU_TIME_STAMPING 0x020
#define X509_EKU_ANY 0x040
#define X509_EKU_OTHER 0x080

/* Fill r's extension facts from leaf `x`; `server` says which role it
 * played (serverAuth or clientAuth is the purpose it must allow). */
void x509_leaf_extensions(X509 *x, bool server, struct cert_result *r);

/* Names for the output: RFC 5280 KeyUsage bit `bit` (0..8), EKU bit. */
const char *x509_key_usage_name(unsigned bit);
const char *x509_eku_name(unsigned bit);

#endif
