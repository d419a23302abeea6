/* server_profile.c — per-server history across the handshakes of a run, for
 * the rules' evidence (see server_profile.h).
 *
 * A fixed array of profiles, a chained hash on (IP version, address, port)
 * and an LRU list, all by index, so the whole store is three allocations
 * made at start. Issuers are remembered per SNI in a few slots with a
 * majority vote, enough to tell "this name usually comes with issuer X". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_profile.h"
#include "fnv1a.h"
#include "str_copy.h"
#include "../dissectors/outcome.h"
#include "../dissectors/posture.h"
#include "../dissectors/tls_names.h"

#define NAME_SLOTS 4
#define CLIENT_SLOTS 4
/* A handful of ECH config ids: enough for a server's published configs,
 * few enough that GREASE's random ids rarely collide (4 in 256). */
#define ECH_ID_SLOTS 4
/* A client that retries after a failed ECH attempt does so at once
 * (RFC 9849 §6.1.6); ten seconds leaves room for a slow path. */
#define ECH_RETRY_WINDOW_US (10ULL * 1000000ULL)
#define NONE (-1)

struct name_issuer {
    uint64_t name_hash;        /* SNI, lowercased; 0 slot unused */
    uint64_t issuer_hash;
    uint32_t count;            /* votes for `issuer` */
    uint32_t others;           /* handshakes with another issuer */
    char issuer[HS_CERT_NAME_LEN];
    /* The last chain shown in clear for the name: what a handshake that
     * hides its chain (TLS 1.3) most likely got too. */
    bool cert_known;
    bool cert_untrusted, cert_incomplete_chain, cert_hostname_mismatch;
    bool cert_self_signed;
    int64_t cert_not_before, cert_not_after;
    char cert_subject_cn[HS_CERT_CN_LEN];
};

/* The few clients seen last at this server, for evidence that needs the
 * same client: an ECH attempt that failed, plain handshakes that worked. */
struct recent_client {
    uint8_t ip_version;       /* 0: slot unused */
    uint8_t addr[16];
    uint64_t last_us;
    uint32_t plain_established;
    uint64_t ech_fail_flow;   /* 0: none */
    uint64_t ech_fail_us;     /* when that handshake was decided */
    uint8_t ech_fail_kind;    /* 1 rejected, 2 blocked */
    uint8_t ech_config_id;
};

struct profile {
    uint8_t ip_version;
    uint8_t addr[16];
    uint16_t port;
    int32_t hash_next, lru_prev, lru_next;
    uint32_t established, failed;
    uint8_t version_ranks;
    uint8_t n_ciphers, n_groups;
    uint16_t ciphers[HS_PROFILE_CIPHERS];
    uint16_t groups[HS_PROFILE_GROUPS];
    struct name_issuer names[NAME_SLOTS];
    uint32_t plain_established; /* without ECH */
    struct recent_client clients[CLIENT_SLOTS];
    uint8_t ech_ids[ECH_ID_SLOTS]; /* config ids of recent outer ECH hellos */
    uint8_t n_ech_ids, next_ech_id;
};

struct server_profiles {
    struct profile *profiles;
    size_t max, used;
    int32_t *buckets;
    size_t n_buckets;          /* a power of two */
    int32_t lru_head, lru_tail; /* head: most recent */
    uint64_t evicted;
};

/* Case-folded, so that names differing only in ASCII case meet. */
static uint64_t text_hash(const char *s)
{
    uint64_t h = FNV1A64_START;
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        h = fnv1a64_mix(h, c);
    }
    return h | 1;
}

static size_t bucket_of(const struct server_profiles *sp,
                        const struct endpoint *e)
{
    uint64_t h = fnv1a64_bytes(FNV1A64_START, &e->ip_version, 1);
    h = fnv1a64_bytes(h, e->addr, 16);
    h = fnv1a64_bytes(h, &e->port, sizeof(e->port));
    return (size_t)(h & (sp->n_buckets - 1));
}

struct server_profiles *server_profiles_new(size_t max_servers)
{
    if (max_servers == 0)
        max_servers = SERVER_PROFILES_DEFAULT;
    struct server_profiles *sp = calloc(1, sizeof(*sp));
    if (!sp)
        return NULL;
    sp->max = max_servers;
    sp->n_buckets = 16;
    while (sp->n_buckets < max_servers * 2)
        sp->n_buckets *= 2;
    sp->profiles = calloc(max_servers, sizeof(*sp->profiles));
    sp->buckets = malloc(sp->n_buckets * sizeof(*sp->buckets));
    if (!sp->profiles || !sp->buckets) {
        server_profiles_free(sp);
        return NULL;
    }
    for (size_t i = 0; i < sp->n_buckets; i++)
        sp->buckets[i] = NONE;
    sp->lru_head = sp->lru_tail = NONE;
    return sp;
}

void server_profiles_free(struct server_profiles *sp)
{
    if (!sp)
        return;
    free(sp->profiles);
    free(sp->buckets);
    free(sp);
}

size_t server_profiles_memory(const struct server_profiles *sp)
{
    return sizeof(*sp) + sp->max * sizeof(*sp->profiles) +
           sp->n_buckets * sizeof(*sp->buckets);
}

uint64_t server_profiles_evicted(const struct server_profiles *sp)
{
    return sp->evicted;
}

/* ---- table and LRU ----------------------------------------------------- */

static void lru_unlink(struct server_profiles *sp, int32_t i)
{
    struct profile *p = &sp->profiles[i];
    if (p->lru_prev != NONE)
        sp->profiles[p->lru_prev].lru_next = p->lru_next;
    else
        sp->lru_head = p->lru_next;
    if (p->lru_next != NONE)
        sp->profiles[p->lru_next].lru_prev = p->lru_prev;
    else
        sp->lru_tail = p->lru_prev;
}

static void lru_push_front(struct server_profiles *sp, int32_t i)
{
    struct profile *p = &sp->profiles[i];
    p->lru_prev = NONE;
    p->lru_next = sp->lru_head;
    if (sp->lru_head != NONE)
        sp->profiles[sp->lru_head].lru_prev = i;
    sp->lru_head = i;
    if (sp->lru_tail == NONE)
        sp->lru_tail = i;
}

static void hash_unlink(struct server_profiles *sp, int32_t i)
{
    struct profile *p = &sp->profiles[i];
    struct endpoint e = {.ip_version = p->ip_version, .port = p->port};
    memcpy(e.addr, p->addr, 16);
    int32_t *link = &sp->buckets[bucket_of(sp, &e)];
    while (*link != NONE && *link != i)
        link = &sp->profiles[*link].hash_next;
    if (*link == i)
        *link = p->hash_next;
}

/* The profile of `server`, created (evicting the least recent) when new.
 * `*fresh` says it has no history. */
static struct profile *lookup(struct server_profiles *sp,
                              const struct endpoint *server, bool *fresh)
{
    size_t b = bucket_of(sp, server);
    for (int32_t i = sp->buckets[b]; i != NONE;
         i = sp->profiles[i].hash_next) {
        struct profile *p = &sp->profiles[i];
        if (p->port == server->port && p->ip_version == server->ip_version &&
            memcmp(p->addr, server->addr, 16) == 0) {
            lru_unlink(sp, i);
            lru_push_front(sp, i);
            *fresh = false;
            return p;
        }
    }
    int32_t i;
    if (sp->used < sp->max) {
        i = (int32_t)sp->used++;
    } else {
        i = sp->lru_tail;
        lru_unlink(sp, i);
        hash_unlink(sp, i);
        sp->evicted++;
    }
    struct profile *p = &sp->profiles[i];
    memset(p, 0, sizeof(*p));
    p->ip_version = server->ip_version;
    memcpy(p->addr, server->addr, 16);
    p->port = server->port;
    p->hash_next = sp->buckets[b];
    sp->buckets[b] = i;
    lru_push_front(sp, i);
    *fresh = true;
    return p;
}

/* ---- evidence ---------------------------------------------------------- */

static bool has16(const uint16_t *set, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v)
            return true;
    return false;
}

/* Versions the client offered, as rank bits: supported_versions when sent,
 * else everything up to the legacy version (pre-1.3 negotiation). */
static uint8_t offered_ranks(const struct client_hello *ch)
{
    uint8_t bits = 0;
    if (ch->has_supported_versions) {
        for (size_t i = 0; i < ch->versions.n; i++) {
            int r = tls_version_rank(ch->versions.v[i]);
            if (r > 0)
                bits |= (uint8_t)(1u << r);
        }
        return bits;
    }
    int top = ch->sslv2 && ch->legacy_version == TLS_V_SSL2
                  ? tls_version_rank(TLS_V_SSL2)
                  : tls_version_rank(ch->legacy_version);
    for (int r = 1; r <= top; r++)
        bits |= (uint8_t)(1u << r);
    return bits;
}

static struct name_issuer *name_slot(struct profile *p, uint64_t name_hash,
                                     bool create)
{
    struct name_issuer *weakest = &p->names[0];
    for (size_t i = 0; i < NAME_SLOTS; i++) {
        struct name_issuer *n = &p->names[i];
        if (n->name_hash == name_hash)
            return n;
        if (n->name_hash == 0 || n->count < weakest->count)
            weakest = n;
        if (n->name_hash == 0)
            break;
    }
    if (!create)
        return NULL;
    memset(weakest, 0, sizeof(*weakest));
    weakest->name_hash = name_hash;
    return weakest;
}

static struct recent_client *client_slot(struct profile *p,
                                         const struct endpoint *c, bool create)
{
    struct recent_client *oldest = &p->clients[0];
    for (size_t i = 0; i < CLIENT_SLOTS; i++) {
        struct recent_client *r = &p->clients[i];
        if (r->ip_version == c->ip_version && r->ip_version != 0 &&
            memcmp(r->addr, c->addr, 16) == 0)
            return r;
        if (r->ip_version == 0 ||
            (oldest->ip_version != 0 && r->last_us < oldest->last_us))
            oldest = r;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    oldest->ip_version = c->ip_version;
    memcpy(oldest->addr, c->addr, 16);
    return oldest;
}

static uint64_t hello_time(const struct handshake *h)
{
    return h->ch.seen && h->ch.ts_us ? h->ch.ts_us : h->flow_start_us;
}

static void ech_evidence(const struct profile *p, struct handshake *h,
                         const struct recent_client *rc)
{
    struct server_evidence *ev = &h->report->server_profile;
    ev->plain_established = p->plain_established;
    if (h->ch.ech_info.present && h->ch.ech_info.type == 0 && p->n_ech_ids) {
        ev->ech_config_known = EVIDENCE_NO;
        for (uint8_t i = 0; i < p->n_ech_ids; i++)
            if (p->ech_ids[i] == h->ch.ech_info.config_id)
                ev->ech_config_known = EVIDENCE_YES;
    }
    if (!rc)
        return;
    ev->client_plain_established = rc->plain_established;
    uint64_t t = hello_time(h);
    uint64_t gap = t > rc->ech_fail_us ? t - rc->ech_fail_us
                                       : rc->ech_fail_us - t;
    if (rc->ech_fail_flow && rc->ech_fail_flow != h->flow_id &&
        gap <= ECH_RETRY_WINDOW_US) {
        ev->ech_prior_flow = rc->ech_fail_flow;
        ev->ech_prior_failure = rc->ech_fail_kind;
        ev->ech_prior_config_id = rc->ech_config_id;
    }
}

static void ech_learn(struct profile *p, const struct handshake *h)
{
    enum ech_status es = ech_status(h);
    bool plain_ok = h->outcome == OUTCOME_ESTABLISHED && !h->ch.ech;
    bool failed = ech_status_rejected(es) || ech_status_blocked(es);
    if (plain_ok)
        p->plain_established++;
    if (h->ch.ech_info.present && h->ch.ech_info.type == 0) {
        bool known = false;
        for (uint8_t i = 0; i < p->n_ech_ids; i++)
            known |= p->ech_ids[i] == h->ch.ech_info.config_id;
        if (!known) {
            p->ech_ids[p->next_ech_id] = h->ch.ech_info.config_id;
            p->next_ech_id = (uint8_t)((p->next_ech_id + 1) % ECH_ID_SLOTS);
            if (p->n_ech_ids < ECH_ID_SLOTS)
                p->n_ech_ids++;
        }
    }
    struct recent_client *rc = client_slot(p, &h->client, true);
    rc->last_us = hello_time(h);
    if (plain_ok)
        rc->plain_established++;
    if (failed) {
        rc->ech_fail_flow = h->flow_id;
        rc->ech_fail_us = h->decided_us ? h->decided_us : hello_time(h);
        rc->ech_fail_kind = ech_status_rejected(es) ? 1 : 2;
        rc->ech_config_id = h->ch.ech_info.config_id;
    }
}

static void snapshot(struct profile *p, struct handshake *h,
                     const struct name_issuer *names)
{
    struct server_evidence *ev = &h->report->server_profile;
    ev->known = p->established + p->failed > 0;
    ev->established = p->established;
    ev->failed = p->failed;
    ev->version_ranks = p->version_ranks;
    ev->n_ciphers = p->n_ciphers;
    memcpy(ev->ciphers, p->ciphers, sizeof(ev->ciphers));
    ev->n_groups = p->n_groups;
    memcpy(ev->groups, p->groups, sizeof(ev->groups));
    if (names && names->count > 0) {
        memcpy(ev->usual_issuer, names->issuer, sizeof(ev->usual_issuer));
        ev->usual_issuer_count = names->count;
    }
    if (names && names->cert_known) {
        ev->cert_known = true;
        ev->cert_untrusted = names->cert_untrusted;
        ev->cert_incomplete_chain = names->cert_incomplete_chain;
        ev->cert_hostname_mismatch = names->cert_hostname_mismatch;
        ev->cert_self_signed = names->cert_self_signed;
        ev->cert_not_before = names->cert_not_before;
        ev->cert_not_after = names->cert_not_after;
        memcpy(ev->cert_subject_cn, names->cert_subject_cn,
               sizeof(ev->cert_subject_cn));
    }

    if (h->ch.seen && p->version_ranks)
        ev->offered_version_accepted =
            (offered_ranks(&h->ch) & p->version_ranks) ? EVIDENCE_YES
                                                       : EVIDENCE_NO;
    if (h->ch.seen && p->n_ciphers) {
        ev->offered_cipher_accepted = EVIDENCE_NO;
        for (size_t i = 0; i < h->ch.ciphers.n; i++)
            if (client_hello_cipher(&h->ch, i) <= 0xffff &&
                has16(p->ciphers, p->n_ciphers, client_hello_suite(&h->ch, i)))
                ev->offered_cipher_accepted = EVIDENCE_YES;
    }
    ech_evidence(p, h, client_slot(p, &h->client, false));
    /* Two earlier sightings make an issuer "usual" for the name. */
    if (names && names->count >= 2 && h->report->server_cert.leaf_parsed)
        ev->issuer_changed =
            text_hash(h->report->server_cert.issuer) != names->issuer_hash
                ? EVIDENCE_YES
                : EVIDENCE_NO;
}

static void remember_certificate(struct name_issuer *n,
                                 const struct cert_result *c)
{
    n->cert_known = c->chain_checked;
    /* Today's roots say nothing about the chain of an old capture. */
    n->cert_untrusted = c->untrusted && !c->trust_store_newer;
    n->cert_incomplete_chain = c->incomplete_chain && !c->trust_store_newer;
    n->cert_hostname_mismatch = c->hostname_checked && c->hostname_mismatch;
    n->cert_self_signed = c->self_signed;
    n->cert_not_before = c->times_checked ? c->not_before : 0;
    n->cert_not_after = c->times_checked ? c->not_after : 0;
    str_copy(n->cert_subject_cn, sizeof(n->cert_subject_cn), c->subject_cn);
}

static void learn(struct profile *p, const struct handshake *h,
                  uint64_t name_hash)
{
    ech_learn(p, h);
    if (h->outcome == OUTCOME_ESTABLISHED)
        p->established++;
    else if (outcome_is_failure(h->outcome))
        p->failed++;
    if (h->sh.seen) {
        int r = tls_version_rank(h->sh.version);
        if (r > 0)
            p->version_ranks |= (uint8_t)(1u << r);
        if (p->n_ciphers < HS_PROFILE_CIPHERS &&
            !has16(p->ciphers, p->n_ciphers, h->sh.cipher))
            p->ciphers[p->n_ciphers++] = h->sh.cipher;
        uint16_t g = h->sh.group ? h->sh.group : hs_rare(h)->hrr.group;
        if (g && p->n_groups < HS_PROFILE_GROUPS &&
            !has16(p->groups, p->n_groups, g))
            p->groups[p->n_groups++] = g;
    }
    if (!h->report->server_cert.leaf_parsed)
        return;
    struct name_issuer *n = name_slot(p, name_hash, true);
    remember_certificate(n, &h->report->server_cert);
    uint64_t ih = text_hash(h->report->server_cert.issuer);
    if (n->count > 0 && n->issuer_hash == ih) {
        n->count++;
        return;
    }
    /* Majority vote: another issuer replaces the usual one only once it
     * has been seen more often since. */
    if (n->count > 0 && ++n->others <= n->count)
        return;
    n->issuer_hash = ih;
    n->count = 1;
    n->others = 0;
    str_copy(n->issuer, sizeof(n->issuer), h->report->server_cert.issuer);
}

bool server_profile_applies(const struct handshake *h)
{
    return h->ch.seen || h->sh.seen;
}

void server_profiles_observe(struct server_profiles *sp, struct handshake *h)
{
    memset(&h->report->server_profile, 0, sizeof(h->report->server_profile));
    if (!server_profile_applies(h))
        return; /* not a TLS conversation: no evidence about the server */
    bool fresh;
    struct profile *p = lookup(sp, &h->server, &fresh);
    uint64_t name_hash = text_hash(h->ch.has_sni ? h->ch.sni : "");
    if (!fresh)
        snapshot(p, h, name_slot(p, name_hash, false));
    learn(p, h, name_hash);
}
