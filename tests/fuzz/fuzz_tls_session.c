/* fuzz_tls_session.c — libFuzzer target for the per-connection TLS dissector.
 *
 * Input: byte 0 picks the client-side guess, byte 1 the handshake message
 * limit; then a sequence of operations, each an op byte (bit 0: flow side;
 * bits 1-4: what) and its arguments: feed a chunk of 1-256 bytes, report a
 * gap, close, a plaintext greeting from the server, or let time pass. The
 * same sequence is replayed a second time one byte per call. Checked: the
 * alert array stays bounded, the stage never goes back, a decision never
 * changes, every alert added after it is late, a side not read stays
 * unread, both replays give the same record, and after tls_finish every
 * flow is decided and final, or dropped as not TLS. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/memcap.h"
#include "dissectors/outcome.h"
#include "dissectors/tls.h"

/* Both absent, or both present with the same n bytes. */
static bool same_part(const void *a, const void *b, size_t n)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n) == 0;
}

/* Two ClientHellos alike, their ALPN and cipher spills compared by
 * content. */
static bool same_hello(const struct client_hello *a,
                       const struct client_hello *b)
{
    struct client_hello p = *a, q = *b;
    if (!same_part(p.alpn_spill, q.alpn_spill, HS_ALPN_SPILL) ||
        !same_part(p.cipher_spill, q.cipher_spill, HS_CIPHERS_SPILL))
        return false;
    p.alpn_spill = q.alpn_spill = NULL;
    p.cipher_spill = q.cipher_spill = NULL;
    return memcmp(&p, &q, sizeof p) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct watch {
    enum hs_stage stage;
    enum hs_outcome outcome;
    uint64_t decided_us;
    uint16_t alerts_at_decision;
    bool unread[2]; /* decided and no longer read */
};

static void check(const struct tls_session *s, struct watch *w)
{
    const struct handshake *h = tls_record((struct tls_session *)s);

    const struct handshake_rare *rare = hs_rare(h);
    if (rare->alerts.n > HS_MAX_ALERTS || rare->alerts.n > rare->alerts.total)
        abort();
    if (h->stage < w->stage || h->stage >= STAGE_COUNT)
        abort();
    if (w->outcome != OUTCOME_UNDECIDED &&
        (h->outcome != w->outcome || h->decided_us != w->decided_us))
        abort();
    if (h->outcome == OUTCOME_FAILED && h->ch.seen &&
        h->failure_stage == STAGE_NONE)
        abort();
    if (memchr(h->not_tls_preview, 0, sizeof h->not_tls_preview) == NULL ||
        memchr(h->parse_error_what, 0, sizeof h->parse_error_what) == NULL)
        abort();
    if (h->server_certs.der_len > HS_MAX_CERT_BYTES ||
        h->server_certs.n_certs > HS_MAX_CERTS)
        abort();
    if (w->outcome == OUTCOME_UNDECIDED && h->outcome != OUTCOME_UNDECIDED)
        w->alerts_at_decision = hs_rare(h)->alerts.n;
    for (uint16_t i = w->alerts_at_decision; i < hs_rare(h)->alerts.n; i++)
        if (h->outcome != OUTCOME_UNDECIDED && !hs_rare(h)->alerts.v[i].late)
            abort();
    for (int side = 0; side < 2; side++) {
        bool reads = tls_reads(s, side);
        if (w->unread[side] && reads)
            abort();
        w->unread[side] = tls_decided(s) && !reads;
    }
    if (tls_done(s) && (tls_reads(s, 0) || tls_reads(s, 1)))
        abort();
    w->stage = h->stage;
    w->outcome = h->outcome;
    w->decided_us = h->decided_us;
}

/* What the sessions charge (no limit: a refusal would make the two
 * replays differ); it must always be what the session says it holds, and
 * come back to zero when it is freed. */
static struct memcap budget;

static struct tls_session *replay(const uint8_t *data, size_t size,
                                  bool bytewise)
{
    struct tls_limits lim = {64u << (data[1] % 14), NULL, &budget};
    uint64_t before = budget.used;
    struct tls_session *s = tls_session_new(&lim, (int)(data[0] % 3) - 1);
    struct watch w = {0};
    uint64_t now = 1000000;
    size_t i = 2;

    if (!s)
        abort();
    while (i < size) {
        uint8_t op = data[i++];
        int side = op & 1;
        unsigned what = (op >> 1) & 15;
        if (what < 11) { /* feed */
            size_t n = i < size ? (size_t)data[i++] + 1 : 0;
            if (n > size - i)
                n = size - i;
            if (bytewise)
                for (size_t k = 0; k < n; k++)
                    tls_feed(s, side, data + i + k, 1, now);
            else if (n)
                tls_feed(s, side, data + i, (uint32_t)n, now);
            i += n;
        } else if (what < 13) {
            uint32_t len = i < size ? data[i++] : 0;
            tls_gap(s, side, len * 97u);
        } else if (what == 13) {
            tls_closed(s, side, (op & 0x20) ? TLS_CLOSE_RST : TLS_CLOSE_FIN,
                       now);
        } else if (what == 14) {
            static const uint8_t banner[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
            tls_server_spoke_first(s, side, banner, sizeof banner - 1, now);
        } else {
            now += 1000u * (op >> 5);
        }
        check(s, &w);
        if (budget.used - before != tls_session_memory(s))
            abort();
        now++;
    }
    tls_finish(s, ENDED_CAPTURE_END, now);
    check(s, &w);
    if (!tls_decided(s) && !tls_not_a_tls_flow(s))
        abort();
    if (tls_decided(s) && !tls_done(s))
        abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct tls_session *a = replay(data, size, false);
    struct tls_session *b = replay(data, size, true);
    struct handshake x = *tls_record(a), y = *tls_record(b);

    if (x.server_certs.der_len != y.server_certs.der_len)
        abort();
    if (x.server_certs.der_len &&
        memcmp(x.server_certs.der, y.server_certs.der, x.server_certs.der_len))
        abort();
    x.server_certs.der = y.server_certs.der = NULL;
    if ((x.rare == NULL) != (y.rare == NULL))
        abort();
    if (x.rare) {
        struct handshake_rare xr = *x.rare, yr = *y.rare;
        if (xr.client_certs.der_len != yr.client_certs.der_len ||
            !same_part(xr.client_certs.der, yr.client_certs.der,
                       xr.client_certs.der_len))
            abort();
        xr.client_certs.der = yr.client_certs.der = NULL;
        if (memcmp(&xr, &yr, sizeof xr) != 0)
            abort();
    }
    x.rare = y.rare = NULL;
    /* The record's other heap parts: the same bytes in both replays, then
     * out of the whole-record comparison (their addresses differ). */
    if (x.ocsp.der_len != y.ocsp.der_len ||
        !same_part(x.ocsp.der, y.ocsp.der, x.ocsp.der_len))
        abort();
    x.ocsp.der = y.ocsp.der = NULL;
    if (!same_hello(&x.ch, &y.ch))
        abort();
    x.ch.alpn_spill = y.ch.alpn_spill = NULL;
    x.ch.cipher_spill = y.ch.cipher_spill = NULL;
    if ((x.ch2 == NULL) != (y.ch2 == NULL) ||
        (x.ch2 && !same_hello(x.ch2, y.ch2)))
        abort();
    x.ch2 = y.ch2 = NULL;
    if (!same_part(x.ee, y.ee, sizeof *x.ee))
        abort();
    x.ee = y.ee = NULL;
    if (memcmp(&x, &y, sizeof x) != 0)
        abort();
    tls_session_free(a);
    tls_session_free(b);
    if (budget.used != 0)
        abort();
    return 0;
}
