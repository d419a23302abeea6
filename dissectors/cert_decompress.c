/* cert_decompress.c — inflates RFC 8879 compressed certificates (see
 * cert_decompress.h). Each library writes into a buffer of exactly the
 * announced size, so none can write or allocate past it. */
#include "cert_decompress.h"

#include <stdlib.h>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

const char *cert_compression_name(uint16_t alg)
{
    switch (alg) {
    case CERT_COMPRESSION_ZLIB: return "zlib";
    case CERT_COMPRESSION_BROTLI: return "brotli";
    case CERT_COMPRESSION_ZSTD: return "zstd";
    default: return NULL;
    }
}

static bool inflate_into(uint16_t alg, const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t out_len)
{
    switch (alg) {
    case CERT_COMPRESSION_ZLIB: {
        uLongf n = (uLongf)out_len;
        return uncompress(out, &n, in, (uLong)in_len) == Z_OK && n == out_len;
    }
    case CERT_COMPRESSION_BROTLI: {
        size_t n = out_len;
        return BrotliDecoderDecompress(in_len, in, &n, out) ==
                   BROTLI_DECODER_RESULT_SUCCESS &&
               n == out_len;
    }
    case CERT_COMPRESSION_ZSTD: {
        size_t n = ZSTD_decompress(out, out_len, in, in_len);
        return !ZSTD_isError(n) && n == out_len;
    }
    default:
        return false;
    }
}

bool tls_parse_compressed_certificate(struct cursor *body, uint32_t max_len,
                                      uint16_t *alg, uint8_t **out,
                                      uint32_t *out_len)
{
    uint32_t want;
    struct cursor data;
    size_t in_len;

    *out = NULL;
    *out_len = 0;
    CURSOR_TRY(cursor_u16(body, alg));
    CURSOR_TRY(cursor_u24(body, &want));
    CURSOR_TRY(cursor_vec24(body, &data));
    if (!cert_compression_name(*alg) || want == 0 || want > max_len ||
        cursor_left(&data) == 0)
        return false;
    const uint8_t *in = cursor_rest(&data, &in_len);
    uint8_t *buf = malloc(want);
    if (!buf)
        return false;
    if (!inflate_into(*alg, in, in_len, buf, want)) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = want;
    return true;
}
