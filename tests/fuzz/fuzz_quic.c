/* fuzz_quic.c — libFuzzer target for the QUIC dissector (dissectors/quic.c).
 *
 * Input: byte 0 picks the client-side guess and whether a memory cap (a
 * little above what the session and the connection take empty) refuses
 * what passes it; then operations, each an op
 * byte (bit 0: flow side; bits 1-2: what; bit 3: the datagram was cut by
 * the snaplen) and its arguments:
 *   0, 1  a datagram: 2-byte length, then that many bytes, fed as is;
 *   2     a sealed Initial: 2-byte length, then that many bytes of frames,
 *         which the harness protects as an Initial packet of QUIC v1 for a
 *         fixed connection ID (client's or server's keys by side), so that
 *         the frame parser, CRYPTO reassembly and the TLS messages behind
 *         it are reached whatever the AEAD;
 *   3     time passes.
 * At the end, quic_finish. Checked: the alert array stays bounded, the
 * stage never goes back, a decision never changes, text fields stay
 * terminated, the memory count never drops below the struct, what is
 * charged to the cap is always what the session and the connection say
 * they hold and all of it comes back when they are freed, and after
 * quic_finish a reportable connection is decided. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/memcap.h"
#include "dissectors/quic.h"
#include "dissectors/quic_crypto.h"
#include "dissectors/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t DCID[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

struct watch {
    enum hs_stage stage;
    enum hs_outcome outcome;
    uint64_t decided_us;
};

static void check(struct quic_conn *q, struct handshake *h, struct watch *w)
{
    const struct handshake_rare *rare = hs_rare(h);
    if (rare->alerts.n > HS_MAX_ALERTS || rare->alerts.n > rare->alerts.total)
        abort();
    if (h->stage < w->stage || h->stage >= STAGE_COUNT)
        abort();
    if (w->outcome != OUTCOME_UNDECIDED &&
        (h->outcome != w->outcome || h->decided_us != w->decided_us))
        abort();
    if (rare->quic.server_versions.n > HS_QUIC_MAX_VERSIONS ||
        rare->quic.dcid_len > sizeof rare->quic.dcid)
        abort();
    if (memchr(rare->quic.close_reason, 0, sizeof rare->quic.close_reason) ==
            NULL ||
        memchr(h->parse_error_what, 0, sizeof h->parse_error_what) == NULL)
        abort();
    if (quic_conn_memory(q) < 64)
        abort();
    w->stage = h->stage;
    w->outcome = h->outcome;
    w->decided_us = h->decided_us;
}

/* A v1 Initial carrying `frames`, protected with the keys of DCID. */
static size_t seal_initial(uint8_t *out, bool client, uint64_t pn,
                           const uint8_t *frames, size_t fl)
{
    struct quic_keys ck, sk;
    if (!quic_initial_keys(quic_version_lookup(QUIC_V1), DCID, 8, &ck, &sk))
        return 0;
    const struct quic_keys *k = client ? &ck : &sk;
    size_t n = 0, payload = fl < 20 ? 20 : fl;
    out[n++] = 0xc3;
    out[n++] = 0, out[n++] = 0, out[n++] = 0, out[n++] = 1;
    out[n++] = 8;
    memcpy(out + n, client ? DCID : DCID + 4, client ? 8 : 4);
    n += client ? 8 : 4;
    out[n++] = 4;
    memcpy(out + n, DCID, 4);
    n += 4;
    if (client)
        out[n++] = 0; /* token */
    else
        out[n++] = 0;
    size_t len = 4 + payload + 16;
    out[n++] = (uint8_t)(0x40 | (len >> 8));
    out[n++] = (uint8_t)len;
    size_t pn_off = n;
    for (int i = 3; i >= 0; i--)
        out[n++] = (uint8_t)(pn >> (8 * i));
    memcpy(out + n, frames, fl);
    memset(out + n + fl, 0, payload - fl);

    uint8_t nonce[12];
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int m = 0;
    if (!ctx ||
        EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &m, out, (int)n) != 1 ||
        EVP_EncryptUpdate(ctx, out + n, &m, out + n, (int)payload) != 1 ||
        EVP_EncryptFinal_ex(ctx, out + n + m, &m) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
                            out + n + payload) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return 0;
    }
    EVP_CIPHER_CTX_free(ctx);
    n += payload + 16;
    uint8_t mask[5];
    if (!quic_hp_mask(k, out + pn_off + 4, mask))
        return 0;
    out[0] ^= mask[0] & 0x0f;
    for (size_t i = 0; i < 4; i++)
        out[pn_off + i] ^= mask[1 + i];
    return n;
}

static struct memcap budget;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t sealed[70000];
    if (size < 1)
        return 0;
    budget.limit = 0;
    struct tls_limits lim = {0, NULL, &budget};
    struct tls_session *tls = tls_session_new(&lim, 0);
    if (!tls)
        abort();
    struct quic_conn *q = quic_conn_new(tls, (int)(data[0] % 3) - 1, &budget);
    if (!q)
        abort();
    if (data[0] & 0x40)
        budget.limit = budget.used + ((uint64_t)(data[0] & 0x3f) << 10);
    struct handshake *h = tls_record(tls);
    struct watch w = {0};
    uint64_t now = 1000000, pn[2] = {0, 0};
    size_t i = 1;

    while (i < size) {
        uint8_t op = data[i++];
        int side = op & 1;
        unsigned what = (op >> 1) & 3;
        if (what == 3) {
            now += 1000u * op;
            continue;
        }
        size_t n = 0;
        if (i + 2 <= size)
            n = ((size_t)data[i] << 8) | data[i + 1];
        i += 2;
        if (i > size)
            break;
        if (n > size - i)
            n = size - i;
        if (what == 2) {
            size_t fl = n > 60000 ? 60000 : n;
            size_t sl = seal_initial(sealed, side == 0, pn[side]++, data + i,
                                     fl);
            if (sl)
                quic_datagram(q, side, sealed, (uint32_t)sl, 0, now);
        } else {
            quic_datagram(q, side, data + i, (uint32_t)n, op & 8 ? 7 : 0, now);
        }
        i += n;
        check(q, h, &w);
        if (budget.used != tls_session_memory(tls) + quic_conn_memory(q))
            abort();
    }
    quic_finish(q, ENDED_CAPTURE_END, now);
    check(q, h, &w);
    if (quic_reportable(q) && h->outcome == OUTCOME_UNDECIDED)
        abort();
    quic_conn_free(q);
    tls_session_free(tls);
    if (budget.used != 0)
        abort();
    return 0;
}
