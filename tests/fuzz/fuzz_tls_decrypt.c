/* fuzz_tls_decrypt.c — libFuzzer target for the decrypted-record path.
 *
 * Random ciphertext never authenticates, so the harness seals what the
 * fuzzer writes: a TLS 1.3 session is started with the ClientHello and
 * ServerHello of RFC 8448 §3 and a key log holding its secrets; then the
 * input is a sequence of records, each [side][inner type][length 2 bytes]
 * [plaintext], sealed with the RFC's handshake traffic key of that side
 * (AES-128-GCM, the session's own sequence numbers) and fed to the
 * dissector. The handshake and alert readers thus see any plaintext a
 * peer could encrypt. Byte 0 bit 0 instead sends the rest to
 * tls_record_open for a TLS 1.2 suite (CBC or AEAD) under fixed keys: the
 * padding, MAC and length checks on whatever a key makes of random bytes.
 * Checked: the record stays bounded, nothing is opened that was not
 * sealed, and a decided session stays decided. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dissectors/digest.h"
#include "dissectors/hkdf.h"
#include "dissectors/keylog.h"
#include "dissectors/outcome.h"
#include "dissectors/tls.h"
#include "dissectors/tls_decrypt.h"
#include "tests/unit/rfc8448.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

#define unhex rfc8448_unhex

static void add_line(struct keylog *kl, const char *label, const char *hex)
{
    char line[300];
    uint8_t r[32], sec[48];
    size_t n = unhex(hex, sec, sizeof sec), off;
    unhex(R8448_CLIENT_RANDOM, r, sizeof r);
    off = (size_t)snprintf(line, sizeof line, "%s ", label);
    for (int i = 0; i < 32; i++)
        off += (size_t)snprintf(line + off, sizeof line - off, "%02x", r[i]);
    line[off++] = ' ';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(line + off, sizeof line - off, "%02x", sec[i]);
    line[off++] = '\n';
    keylog_add_text(kl, (const uint8_t *)line, off, true);
}

/* AES-128-GCM seal of TLSInnerPlaintext as record `seq`. */
static size_t seal13(const uint8_t key[16], const uint8_t iv[12], uint64_t seq,
                     const uint8_t *pt, size_t len, uint8_t inner,
                     uint8_t *rec)
{
    uint8_t nonce[12], tag[16];
    size_t ct_len = len + 1 + 16;
    int n;
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
    rec[0] = 23;
    rec[1] = 3;
    rec[2] = 3;
    rec[3] = (uint8_t)(ct_len >> 8);
    rec[4] = (uint8_t)ct_len;
    uint8_t *plain = malloc(len + 1);
    if (!plain)
        return 0;
    memcpy(plain, pt, len);
    plain[len] = inner;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, nonce);
    EVP_EncryptUpdate(ctx, NULL, &n, rec, 5);
    EVP_EncryptUpdate(ctx, rec + 5, &n, plain, (int)(len + 1));
    EVP_EncryptFinal_ex(ctx, rec + 5 + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(ctx);
    memcpy(rec + 5 + len + 1, tag, 16);
    free(plain);
    return 5 + ct_len;
}

static void fuzz_records12(const uint8_t *data, size_t size)
{
    static const uint16_t ids[] = {0xC02F, 0xCCA8, 0xC0A0, 0xC013, 0x003C,
                                   0xC028};
    if (size < 3)
        return;
    uint16_t version = data[1] & 1 ? 0x0303 : (data[1] & 2 ? 0x0301 : 0x0302);
    const struct tls_suite *suite =
        tls_suite_find(ids[(data[0] >> 1) % 6], version);
    if (!suite)
        suite = tls_suite_find(0xC013, version);
    uint8_t master[48] = {1}, cr[32] = {2}, sr[32] = {3};
    struct tls_record_key c, s;
    if (!tls12_record_keys(&c, &s, suite, version, master, cr, sr,
                           data[1] & 4))
        return;
    static uint8_t out[TLS_DEC_MAX_RECORD];
    struct cursor body = cursor_make(data + 2, size - 2);
    size_t n = 0;
    uint8_t type;
    enum tls_dec_result r =
        tls_record_open(&c, 22, version, &body, out, &n, &type);
    CHECK(r != TLS_DEC_OK || n <= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ch[256], sh[128];
    static size_t ch_len, sh_len;
    static uint8_t key[2][16], iv[2][12];
    if (!ch_len) {
        ch_len = unhex(R8448_CH_RECORD, ch, sizeof ch);
        sh_len = unhex(R8448_SH_RECORD, sh, sizeof sh);
        unhex(R8448_C_HS_KEY, key[0], 16);
        unhex(R8448_C_HS_IV, iv[0], 12);
        unhex(R8448_S_HS_KEY, key[1], 16);
        unhex(R8448_S_HS_IV, iv[1], 12);
    }
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        fuzz_records12(data + 1, size - 1);
        return 0;
    }
    struct keylog *kl = keylog_new(1 << 16);
    add_line(kl, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", R8448_C_HS_TRAFFIC);
    add_line(kl, "SERVER_HANDSHAKE_TRAFFIC_SECRET", R8448_S_HS_TRAFFIC);
    add_line(kl, "CLIENT_TRAFFIC_SECRET_0", R8448_C_AP_TRAFFIC);
    add_line(kl, "SERVER_TRAFFIC_SECRET_0", R8448_S_AP_TRAFFIC);
    struct tls_limits lim = {64u << (data[0] >> 1 & 15), kl};
    struct tls_session *s = tls_session_new(&lim, 0);
    uint64_t now = 1000000, seq[2] = {0, 0};
    tls_feed(s, 0, ch, (uint32_t)ch_len, now);
    tls_feed(s, 1, sh, (uint32_t)sh_len, now);
    static uint8_t rec[5 + 65536 + 17];
    enum hs_outcome decided = OUTCOME_UNDECIDED;
    size_t i = 1;
    while (i + 4 <= size) {
        int side = data[i] & 1;
        uint8_t inner = data[i + 1];
        size_t len = (size_t)data[i + 2] << 8 | data[i + 3];
        i += 4;
        if (len > size - i)
            len = size - i;
        if (len > 16384)
            len = 16384;
        size_t n = seal13(key[side], iv[side], seq[side]++, data + i, len,
                          inner, rec);
        i += len;
        now += 1000;
        tls_feed(s, side, rec, (uint32_t)n, now);
        const struct handshake *h = tls_record(s);
        CHECK(hs_rare(h)->alerts.n <= HS_MAX_ALERTS);
        CHECK(h->server_certs.der_len <= HS_MAX_CERT_BYTES);
        CHECK(!h->ee || h->ee->extensions.n <= HS_MAX_EXTENSIONS);
        CHECK(decided == OUTCOME_UNDECIDED || h->outcome == decided);
        decided = h->outcome;
    }
    tls_finish(s, ENDED_CAPTURE_END, now + 1000);
    const struct handshake *h = tls_record(s);
    CHECK(h->outcome != OUTCOME_UNDECIDED);
    CHECK(h->decryption.records <= (uint32_t)size);
    tls_session_free(s);
    keylog_free(kl);
    return 0;
}
