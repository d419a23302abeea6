/* outcome.c — decides how a handshake ended (established, failed,
 * incomplete, not_tls, refused), at which stage, and who or what ended it, from the
 * facts the dissector put in the record. The rules are those of
 * DIAGNOSES.md, "What TLS 1.3 hides". */
#include "outcome.h"

#include <stddef.h>

#include "tls_names.h"

/* TLS 1.3 drafts (0x7fNN, Facebook's 0xfb1N) hide the handshake the same
 * way the final version does. */
static bool is_tls13(const struct handshake *h)
{
    return h->sh.seen &&
           tls_version_rank(h->sh.version) == tls_version_rank(TLS_V_1_3);
}

/* Both sides finished. In TLS 1.3 the server's Finished is hidden in its
 * flight, so what shows it took the client's Finished is the server's
 * evidence after it (the dissector sets app_data[server] only for a record
 * that is not alert-sized, or a second one); the client's own data proves
 * nothing (an HTTP request rides with its Finished). */
static bool established(const struct handshake *h)
{
    const bool *fin = h->finished, *data = h->app_data;

    if (is_tls13(h))
        return fin[TLS_SIDE_CLIENT] && data[TLS_SIDE_SERVER];
    if (fin[TLS_SIDE_CLIENT] && fin[TLS_SIDE_SERVER])
        return true;
    return h->ccs[TLS_SIDE_CLIENT] && h->ccs[TLS_SIDE_SERVER] &&
           (data[TLS_SIDE_CLIENT] || data[TLS_SIDE_SERVER]);
}

/* An alert that ends an unfinished handshake: anything fatal, a
 * close_notify, or one whose description we cannot see; never one its
 * sender sent after finishing its own part (or after the decision). */
static bool alert_ends_handshake(const struct tls_alert *a)
{
    return !a->late &&
           (a->encrypted || a->level == 2 || a->description == 0);
}

static const struct tls_alert *ending_alert(const struct handshake *h)
{
    const struct handshake_rare *rare = hs_rare(h);
    for (unsigned i = 0; i < rare->alerts.n; i++)
        if (alert_ends_handshake(&rare->alerts.v[i]))
            return &rare->alerts.v[i];
    return NULL;
}

/* TLS <= 1.2 resumption is the abbreviated handshake: the server changes
 * keys right after its ServerHello, with no key exchange and no
 * certificate request, and the client sends no ClientKeyExchange. A
 * missing Certificate is not enough (anonymous and PSK suites send none),
 * and after a gap the messages that would say "full" may be what was
 * lost. */
static bool resumed(const struct handshake *h)
{
    if (is_tls13(h))
        return h->sh.psk_accepted;
    return h->sh.seen && h->ccs[TLS_SIDE_SERVER] && !h->gaps &&
           !h->server_key_exchange && !h->server_hello_done &&
           !h->certificate_request && !h->client_key_exchange &&
           !h->server_certs.seen;
}

/* A failure is "after" the furthest stage reached; once a ClientHello was
 * seen that is never STAGE_NONE. */
static enum hs_stage failure_stage_of(const struct handshake *h,
                                      enum hs_stage at)
{
    if (at == STAGE_NONE && h->ch.seen)
        return STAGE_CLIENT_HELLO;
    return at;
}

static void decide(struct handshake *h, enum hs_outcome o, enum hs_ended_by by,
                   int side, enum hs_stage at, uint64_t now_us)
{
    h->outcome = o;
    h->ended_by = by;
    h->ended_by_side = (int8_t)side;
    h->failure_stage =
        o == OUTCOME_ESTABLISHED ? STAGE_NONE : failure_stage_of(h, at);
    h->resumed = resumed(h);
    h->decided_us = now_us;
    if (h->ch.seen)
        h->handshake_us = now_us >= h->ch.ts_us
                              ? (int64_t)(now_us - h->ch.ts_us)
                              : 0;
    else
        h->handshake_us = -1;
}

bool outcome_check(struct handshake *h, uint64_t now_us)
{
    if (h->outcome != OUTCOME_UNDECIDED)
        return true;

    if (h->ended_by == ENDED_NOT_TLS) {
        decide(h, OUTCOME_NOT_TLS, ENDED_NOT_TLS, TLS_SIDE_SERVER, h->stage,
               now_us);
        return true;
    }
    if (established(h)) {
        decide(h, OUTCOME_ESTABLISHED, ENDED_NONE, -1, STAGE_NONE, now_us);
        return true;
    }
    /* Both hellos lost to gaps: an alert has no handshake to place in. */
    if (!h->ch.seen && !h->sh.seen && h->gaps)
        return false;
    const struct tls_alert *a = ending_alert(h);
    if (a) {
        decide(h, OUTCOME_FAILED, ENDED_ALERT, a->sender,
               (enum hs_stage)a->stage, now_us);
        return true;
    }
    return false;
}

/* TLS 1.3 at flow end: a Finished-sized client record that drew no alert is
 * taken as a completed handshake. A fatal alert would have decided it
 * already, so what is left to check is the Finished itself. */
static bool tls13_finished_at_end(const struct handshake *h)
{
    return is_tls13(h) && h->finished[TLS_SIDE_CLIENT];
}

/* What the flow's end (a close, silence, the capture's end) decides
 * before anything else: what the records said, or a TLS 1.3 Finished. */
static bool decided_at_end(struct handshake *h, uint64_t now_us)
{
    if (outcome_check(h, now_us))
        return true;
    if (!tls13_finished_at_end(h))
        return false;
    decide(h, OUTCOME_ESTABLISHED, ENDED_NONE, -1, STAGE_NONE, now_us);
    return true;
}

void outcome_closed(struct handshake *h, enum tls_side side, bool rst,
                    uint64_t now_us)
{
    if (decided_at_end(h, now_us))
        return;
    /* Before any hello there is no handshake to fail; the flow's end will
     * call it incomplete. */
    if (h->stage == STAGE_NONE && !h->ch.seen && !h->sh.seen)
        return;
    /* Bytes of the handshake were lost (a snaplen cut, a capture drop): what
     * they held may have finished it, so the close proves no failure. */
    if (h->gaps) {
        outcome_finish(h, rst ? ENDED_RST : ENDED_FIN, now_us);
        h->ended_by_side = (int8_t)side;
        return;
    }
    /* Also when the server never answered and the client closed: the client
     * gave up, which is a failure, not a capture that stopped short. */
    decide(h, OUTCOME_FAILED, rst ? ENDED_RST : ENDED_FIN, (int)side, h->stage,
           now_us);
}

void outcome_failed(struct handshake *h, enum hs_ended_by by,
                    enum tls_side side, uint64_t now_us)
{
    if (h->outcome != OUTCOME_UNDECIDED)
        return;
    decide(h, OUTCOME_FAILED, by, (int)side, h->stage, now_us);
}

/* Not a TLS failure: the server said no before any TLS byte was sent. */
void outcome_refused(struct handshake *h, uint64_t now_us)
{
    if (h->outcome != OUTCOME_UNDECIDED)
        return;
    decide(h, OUTCOME_REFUSED, ENDED_NONE, -1, STAGE_NONE, now_us);
}

void outcome_finish(struct handshake *h, enum hs_ended_by why,
                    uint64_t now_us)
{
    if (decided_at_end(h, now_us))
        return;
    if (why == ENDED_NONE)
        why = ENDED_CAPTURE_END;
    /* The stage says where it stopped: "after_client_hello" with no answer
     * is what no_response looks for. */
    decide(h, OUTCOME_INCOMPLETE, why, -1, h->stage, now_us);
}

bool outcome_is_failure(enum hs_outcome o)
{
    return o == OUTCOME_FAILED || o == OUTCOME_NOT_TLS ||
           o == OUTCOME_REFUSED;
}

const struct tls_alert *outcome_deciding_alert(const struct handshake *h)
{
    const struct tls_alert *a = ending_alert(h);
    if (a)
        return a;
    const struct handshake_rare *rare = hs_rare(h);
    for (unsigned i = 0; i < rare->alerts.n; i++)
        if (!rare->alerts.v[i].late)
            return &rare->alerts.v[i];
    return NULL;
}

const char *outcome_name(enum hs_outcome o)
{
    switch (o) {
    case OUTCOME_UNDECIDED: return "undecided";
    case OUTCOME_ESTABLISHED: return "established";
    case OUTCOME_FAILED: return "failed";
    case OUTCOME_INCOMPLETE: return "incomplete";
    case OUTCOME_NOT_TLS: return "not_tls";
    case OUTCOME_REFUSED: return "refused";
    }
    return "undecided";
}

const char *ended_by_name(enum hs_ended_by e)
{
    switch (e) {
    case ENDED_NONE: return NULL;
    case ENDED_ALERT: return "alert";
    case ENDED_FIN: return "fin";
    case ENDED_RST: return "rst";
    case ENDED_SILENCE: return "silence";
    case ENDED_CAPTURE_END: return "capture_end";
    case ENDED_EVICTED: return "evicted";
    case ENDED_NOT_TLS: return "not_tls";
    case ENDED_CLOSE: return "close";
    case ENDED_ICMP: return "icmp";
    case ENDED_VERSION_NEGOTIATION: return "version_negotiation";
    }
    return NULL;
}

const char *stage_failure_name(enum hs_stage s)
{
    static const char *const names[STAGE_COUNT] = {
        [STAGE_NONE] = NULL,
        [STAGE_CLIENT_HELLO] = "after_client_hello",
        [STAGE_HELLO_RETRY_REQUEST] = "after_hello_retry_request",
        [STAGE_CLIENT_HELLO_2] = "after_client_hello_2",
        [STAGE_SERVER_HELLO] = "after_server_hello",
        [STAGE_SERVER_CERTIFICATE] = "after_server_certificate",
        [STAGE_SERVER_KEY_EXCHANGE] = "after_server_key_exchange",
        [STAGE_CERTIFICATE_REQUEST] = "after_certificate_request",
        [STAGE_SERVER_HELLO_DONE] = "after_server_hello_done",
        [STAGE_SERVER_ENCRYPTED_FLIGHT] = "after_server_encrypted_flight",
        [STAGE_CLIENT_CERTIFICATE] = "after_client_certificate",
        [STAGE_CLIENT_KEY_EXCHANGE] = "after_client_key_exchange",
        [STAGE_CLIENT_FINISHED] = "after_client_finished",
        [STAGE_SERVER_FINISHED] = "after_server_finished",
        [STAGE_APPLICATION_DATA] = "after_application_data",
    };
    if ((unsigned)s >= STAGE_COUNT)
        return NULL;
    return names[s];
}
