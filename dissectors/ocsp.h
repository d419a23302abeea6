/* ocsp.h — a stapled OCSP response (CertificateStatus) read with OpenSSL:
 * the responder's answer and, for the server's leaf, good / revoked /
 * unknown with the revocation reason and the update times. The response's
 * signature is not verified (see ocsp.c). */
#ifndef TLSMON_OCSP_H
#define TLSMON_OCSP_H

#include "handshake.h"

/* Fill `out` from `staple`, finding the leaf of `chain` (with its issuer,
 * the next certificate, when the chain has it) among the responses. */
void ocsp_analyze(const struct ocsp_staple *staple,
                  const struct cert_chain *chain, struct ocsp_result *out);

const char *ocsp_response_status_name(int status); /* NULL if unknown */
const char *ocsp_cert_status_name(enum ocsp_cert_status s);
const char *ocsp_reason_name(int reason);           /* NULL if unknown */

#endif
