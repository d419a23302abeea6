/* der_subject.h — the subject Name of a DER certificate, read without
 * decoding the certificate. A CA file is indexed by subject at start-up
 * (x509.c), and decoding each certificate's public key for that would cost
 * more than the rest of the start; only the subject's bytes go to OpenSSL. */
#ifndef TLSMON_DER_SUBJECT_H
#define TLSMON_DER_SUBJECT_H

#include <openssl/x509.h>
#include <stddef.h>

/* The subject of the certificate in der[0..len), decoded by OpenSSL alone;
 * NULL when the bytes are not a certificate whose tbsCertificate reaches a
 * SEQUENCE subject (or OpenSSL refuses it). Only the DER forms
 * certificates use are read: one tag byte, lengths of up to four bytes.
 * The caller frees the name with X509_NAME_free. */
X509_NAME *der_subject(const unsigned char *der, size_t len);

#endif
