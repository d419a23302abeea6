/* fuzz_dtls.c — libFuzzer target for the DTLS dissector (dissectors/dtls.c).
 *
 * Input: byte 0 picks the client-side guess and whether a memory cap
 * (a little above what the session and the connection take empty) refuses
 * what passes it, byte 1 the handshake message limit; then operations, each an op byte (bit 0: flow side; bit 1: time
 * passes instead; bit 2: the datagram was cut by the snaplen) and for a
 * datagram a 2-byte length and that many bytes.
 * At the end the TLS session is finished. Checked: the alert array stays
 * bounded, the stage never goes back, a decision never changes, the
 * counters stay consistent, the memory held never exceeds what the
 * message limit allows, what is charged to the cap is always what the
 * session and the connection say they hold and all of it comes back when
 * they are freed, and after the finish the record is decided. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/memcap.h"
#include "dissectors/dtls.h"
#include "dissectors/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct watch {
    enum hs_stage stage;
    enum hs_outcome outcome;
    uint64_t decided_us;
};

static void check(struct dtls_conn *d, struct handshake *h, struct watch *w,
                  uint32_t max_msg, size_t empty)
{
    const struct handshake_rare *rare = hs_rare(h);
    if (rare->alerts.n > HS_MAX_ALERTS || rare->alerts.n > rare->alerts.total)
        abort();
    if (h->stage < w->stage || h->stage >= STAGE_COUNT)
        abort();
    if (w->outcome != OUTCOME_UNDECIDED &&
        (h->outcome != w->outcome || h->decided_us != w->decided_us))
        abort();
    if (h->server_certs.der_len > HS_MAX_CERT_BYTES ||
        h->server_certs.n_certs > HS_MAX_CERTS)
        abort();
    /* At most a flight of messages (8 a side) of the limit each. */
    if (dtls_conn_memory(d) > empty + 16 * memcap_cost((size_t)max_msg + 4))
        abort();
    if (memchr(h->parse_error_what, 0, sizeof h->parse_error_what) == NULL)
        abort();
    w->stage = h->stage;
    w->outcome = h->outcome;
    w->decided_us = h->decided_us;
}

static struct memcap budget;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t max_msg = 64u << (data[1] % 13);
    budget.limit = 0;
    struct tls_limits lim = {max_msg, NULL, &budget};
    struct tls_session *tls = tls_session_new(&lim, (int)(data[0] % 3) - 1);
    if (!tls)
        abort();
    struct dtls_conn *d =
        dtls_conn_new(tls, max_msg, (int)(data[0] % 3) - 1, &budget);
    if (!d)
        abort();
    if (data[0] & 0x40)
        budget.limit = budget.used + ((uint64_t)(data[0] & 0x3f) << 10);
    struct handshake *h = tls_record(tls);
    struct watch w = {0};
    uint64_t now = 1000000;
    size_t i = 2, empty = dtls_conn_memory(d);

    while (i < size) {
        uint8_t op = data[i++];
        if (op & 2) {
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
        dtls_datagram(d, op & 1, data + i, (uint32_t)n, op & 4 ? 9 : 0, now);
        i += n;
        check(d, h, &w, max_msg, empty);
        if (budget.used != tls_session_memory(tls) + dtls_conn_memory(d))
            abort();
    }
    tls_finish(tls, ENDED_CAPTURE_END, now);
    check(d, h, &w, max_msg, empty);
    if (h->outcome == OUTCOME_UNDECIDED && !tls_not_a_tls_flow(tls))
        abort();
    dtls_conn_free(d);
    tls_session_free(tls);
    if (budget.used != 0)
        abort();
    return 0;
}
