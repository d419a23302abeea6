/* cert_decompress.h — TLS certificate compression (RFC 8879): the
 * CompressedCertificate message that replaces Certificate when both sides
 * agreed on compress_certificate, inflated with Debian's zlib, brotli and
 * zstd. The output must be exactly the length the message announces and
 * never more than the caller's cap: a decompression bomb stops there. */
#ifndef TLSMON_CERT_DECOMPRESS_H
#define TLSMON_CERT_DECOMPRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

enum cert_compression {
    CERT_COMPRESSION_ZLIB = 1,
    CERT_COMPRESSION_BROTLI = 2,
    CERT_COMPRESSION_ZSTD = 3,
};

/* The name of an algorithm ("zlib", "brotli", "zstd"), or NULL. */
const char *cert_compression_name(uint16_t alg);

/* Parse a CompressedCertificate body and inflate it into a new buffer
 * (*out, *out_len: the Certificate message body, to be parsed as TLS 1.3's;
 * free() it). False when the message is malformed, the algorithm unknown,
 * the announced length above `max_len`, or the data does not inflate to
 * exactly that length. *alg is set once read. */
bool tls_parse_compressed_certificate(struct cursor *body, uint32_t max_len,
                                      uint16_t *alg, uint8_t **out,
                                      uint32_t *out_len);

#endif
