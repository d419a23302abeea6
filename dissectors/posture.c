/* posture.c — post-quantum and ECH posture of a record (see posture.h).
 *
 * The post-quantum judgement follows the key exchange: TLS 1.3 names the
 * group in the ServerHello's key_share (or asks for one in a
 * HelloRetryRequest); TLS 1.2 and older cannot carry an ML-KEM group at all,
 * so a TLS 1.2 answer to a client that offered one is itself the reason.
 * The ECH judgement follows RFC 9849: acceptance is only visible in a
 * HelloRetryRequest (§7.2.1); a rejection shows as the client's ech_required
 * alert (121), in clear before TLS 1.3 or once decrypted, or as retry
 * configurations in the (encrypted) EncryptedExtensions. */
#include "posture.h"

#include <string.h>

#define ALERT_ECH_REQUIRED 121

static uint8_t clamp(uint8_t n, uint8_t cap)
{
    return n < cap ? n : cap;
}

static bool listed(const uint16_t *set, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v)
            return true;
    return false;
}

bool pq_offered_at(const struct handshake *h, size_t i, uint16_t *group)
{
    const struct client_hello *ch = &h->ch;
    if (!ch->seen)
        return false;
    size_t k = 0;
    for (size_t g = 0; g < ch->groups.n; g++)
        if (tls_group_pq_kind(ch->groups.v[g]) != TLS_PQ_NONE && k++ == i) {
            *group = ch->groups.v[g];
            return true;
        }
    /* A key share for a group the list left out is still an offer. */
    for (size_t s = 0; s < ch->key_shares.n; s++) {
        uint16_t g = ch->key_shares.v[s].group;
        if (tls_group_pq_kind(g) != TLS_PQ_NONE &&
            !listed(ch->groups.v, ch->groups.n, g) && k++ == i) {
            *group = g;
            return true;
        }
    }
    return false;
}

/* Did this server choose `pq`-ness before (server history)? */
static bool server_chose_pq_before(const struct server_evidence *ev)
{
    uint8_t n = clamp(ev->n_groups, HS_PROFILE_GROUPS);
    for (uint8_t i = 0; i < n; i++)
        if (tls_group_pq_kind(ev->groups[i]) != TLS_PQ_NONE)
            return true;
    return false;
}

void pq_posture(const struct handshake *h, struct pq_posture *out)
{
    memset(out, 0, sizeof(*out));
    if (!h->ch.seen)
        return;
    uint16_t g;
    while (out->n_offered < UINT8_MAX && pq_offered_at(h, out->n_offered, &g))
        out->n_offered++;
    for (size_t s = 0; s < h->ch.key_shares.n && !out->share_group; s++)
        if (tls_group_pq_kind(h->ch.key_shares.v[s].group) != TLS_PQ_NONE) {
            out->share_group = h->ch.key_shares.v[s].group;
            out->share_len = h->ch.key_shares.v[s].len;
        }
    if (out->n_offered == 0) {
        out->status = PQ_NOT_OFFERED;
        return;
    }

    const struct server_hello *sh = &h->sh;
    const struct hello_retry *hrr = &hs_rare(h)->hrr;
    if (hrr->seen && tls_group_pq_kind(hrr->group) != TLS_PQ_NONE) {
        /* The server asked for it by name: its choice, whatever followed. */
        out->status = PQ_NEGOTIATED_AFTER_HRR;
        out->group = hrr->group;
        out->kind = tls_group_pq_kind(hrr->group);
        return;
    }
    if (!sh->seen) {
        out->status = hrr->seen ? PQ_NOT_NEGOTIATED : PQ_UNANSWERED;
        if (hrr->seen)
            out->reason = PQ_REASON_HRR_TO_CLASSICAL;
        return;
    }
    if (sh->group && tls_group_pq_kind(sh->group) != TLS_PQ_NONE) {
        out->status = PQ_NEGOTIATED;
        out->group = sh->group;
        out->kind = tls_group_pq_kind(sh->group);
        return;
    }

    out->status = PQ_NOT_NEGOTIATED;
    const struct server_evidence *ev = &h->report->server_profile;
    if (sh->version != TLS_V_1_3) {
        bool spoke_13 = ev->version_ranks &
                        (1u << tls_version_rank(TLS_V_1_3));
        out->reason = spoke_13 || ev->issuer_changed == EVIDENCE_YES
                          ? PQ_REASON_TLS12_MIDDLEBOX
                          : PQ_REASON_TLS12_ANSWER;
    } else if (hrr->seen) {
        out->reason = PQ_REASON_HRR_TO_CLASSICAL;
    } else if (!sh->has_key_share) {
        out->reason = PQ_REASON_PSK_ONLY;
    } else if (server_chose_pq_before(ev)) {
        out->reason = PQ_REASON_CLASSICAL_UNLIKE_BEFORE;
    } else {
        out->reason = PQ_REASON_SERVER_CHOSE_CLASSICAL;
    }
}

const char *pq_status_name(enum pq_status s)
{
    switch (s) {
    case PQ_NOT_OFFERED: return "not_offered";
    case PQ_NEGOTIATED: return "negotiated";
    case PQ_NEGOTIATED_AFTER_HRR: return "negotiated_after_hrr";
    case PQ_NOT_NEGOTIATED: return "not_negotiated";
    case PQ_UNANSWERED: return "unanswered";
    default: return NULL;
    }
}

const char *pq_reason_name(enum pq_reason r)
{
    switch (r) {
    case PQ_REASON_SERVER_CHOSE_CLASSICAL: return "server_chose_classical";
    case PQ_REASON_HRR_TO_CLASSICAL: return "hrr_to_classical";
    case PQ_REASON_CLASSICAL_UNLIKE_BEFORE: return "classical_unlike_before";
    case PQ_REASON_TLS12_ANSWER: return "tls12_answer";
    case PQ_REASON_TLS12_MIDDLEBOX: return "tls12_answer_middlebox";
    case PQ_REASON_PSK_ONLY: return "psk_only";
    default: return NULL;
    }
}

/* ---- ECH ------------------------------------------------------------- */

static bool alert_from(const struct handshake *h, enum tls_side side,
                       bool (*match)(const struct tls_alert *))
{
    const struct handshake_rare *rare = hs_rare(h);
    for (size_t i = 0; i < rare->alerts.n; i++)
        if (rare->alerts.v[i].sender == side && match(&rare->alerts.v[i]))
            return true;
    return false;
}

static bool is_ech_required(const struct tls_alert *a)
{
    return !a->encrypted && a->description == ALERT_ECH_REQUIRED;
}

static bool is_any(const struct tls_alert *a)
{
    (void)a;
    return true;
}

/* A visible alert other than ech_required names another problem. */
static bool is_encrypted(const struct tls_alert *a)
{
    return a->encrypted;
}

enum ech_status ech_status(const struct handshake *h)
{
    const struct ech_hello *e = &h->ch.ech_info;
    if (!h->ch.seen || !e->present || e->type != 0)
        return ECH_STATUS_NONE;
    if ((h->ee && h->ee->ech.has_retry_configs) ||
        alert_from(h, TLS_SIDE_CLIENT, is_ech_required))
        return ECH_REJECTED;
    if (hs_rare(h)->hrr.seen && hs_rare(h)->hrr.ech_confirmation)
        return ECH_ACCEPTED;
    if (h->outcome == OUTCOME_ESTABLISHED) {
        /* A server that did not take ECH (TLS 1.2 cannot; an HRR without
         * the confirmation says so) makes a real ECH client abort (RFC
         * 9849 §6.1.6); a client that goes on sent GREASE. */
        if ((h->sh.seen && h->sh.version != TLS_V_1_3) || hs_rare(h)->hrr.seen)
            return ECH_GREASE;
        return ECH_NOT_CONFIRMED;
    }
    if (h->outcome != OUTCOME_FAILED && h->outcome != OUTCOME_INCOMPLETE)
        return ECH_FAILED_OTHER;
    if (!h->sh.seen && !hs_rare(h)->hrr.seen)
        return alert_from(h, TLS_SIDE_SERVER, is_any) ? ECH_FAILED_OTHER
                                                      : ECH_UNANSWERED;
    if (h->sh.seen && h->sh.version == TLS_V_1_3 &&
        h->failure_stage == STAGE_SERVER_ENCRYPTED_FLIGHT &&
        h->ended_by_side == TLS_SIDE_CLIENT &&
        alert_from(h, TLS_SIDE_CLIENT, is_encrypted))
        return ECH_ABORTED_AFTER_FLIGHT;
    return ECH_FAILED_OTHER;
}

const char *ech_status_name(enum ech_status s)
{
    switch (s) {
    case ECH_ACCEPTED: return "accepted";
    case ECH_REJECTED: return "rejected";
    case ECH_ABORTED_AFTER_FLIGHT: return "aborted_after_server_flight";
    case ECH_UNANSWERED: return "unanswered";
    case ECH_GREASE: return "grease";
    case ECH_NOT_CONFIRMED: return "not_confirmed";
    case ECH_FAILED_OTHER: return "failed_other";
    default: return NULL;
    }
}

bool ech_status_rejected(enum ech_status s)
{
    return s == ECH_REJECTED || s == ECH_ABORTED_AFTER_FLIGHT;
}

bool ech_status_blocked(enum ech_status s)
{
    return s == ECH_UNANSWERED;
}
