/* pipeline.c — drives one frame through the stages and owns flow lifecycle:
 * when a flow gets a TLS dissector, when its record is emitted, when it is
 * bypassed, timed out, evicted or finished at the end of input. */
#include "pipeline.h"

#include <malloc.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../dissectors/dtls.h"
#include "../dissectors/outcome.h"
#include "../dissectors/quic.h"
#include "quic_budget.h"
#include "../dissectors/starttls.h"
#include "../dissectors/tls.h"
#include "../dissectors/fingerprint.h"
#include "../dissectors/x509.h"
#include "../rules/alert_flood.h"
#include "../rules/engine.h"
#include "../rules/server_profile.h"
#include "classify.h"
#include "community_id.h"
#include "cursor.h"
#include "decode.h"
#include "flow.h"
#include "fnv1a.h"
#include "memcap.h"
#include "output/output.h"
#include "output/summary.h"
#include "spin_pause.h"
#include "str_copy.h"

/* Under an attack that keeps --memcap full, what evicted flows give back
 * lies scattered through the heap, and the allocator keeps those pages:
 * after this much has been given back, free pages go back to the system
 * (without it, resident memory grew a quarter past the cap). */
#define TRIM_AFTER_EVICTED (4u << 20)

/* Check idle timeouts at most this often in packet time: scanning the LRU
 * head is cheap, but not per packet. */
#define EXPIRY_INTERVAL_US 1000000ULL

/* How long a closed connection's endpoints are remembered after its last
 * packet: a sender retransmits data its peer never acknowledged, and sends
 * its last ACKs, after both FINs or a RST. As Zeek's tcp_close_delay. */
#define CLOSED_LINGER_US 5000000ULL

/* A flow that opens with STUN is watched this many datagrams for a DTLS
 * handshake (WebRTC) before it is let go. */
#define STUN_WATCH_PACKETS 64

/* QUIC blocked: a client whose Initials went unanswered and that reached
 * the same server over TCP within this long after its last one fell back.
 * Browsers fall back within a few seconds. */
#define QUIC_FALLBACK_US (10ULL * 1000000ULL)

/* Recent connection attempts (TCP SYNs, QUIC clients' first Initials) by
 * client, server address and port and protocol, for those checks: one
 * slot per hash (a collision forgets the older), each the first and last
 * attempt of a burst. Fixed size, part of the pipeline. */
#define CONN_STARTS 1024
#define CONN_BURST_GAP_US (60ULL * 1000000ULL)

struct conn_start {
    uint8_t client[16], server[16];
    uint16_t port;
    uint8_t proto;
    uint64_t first_us, last_us;
};


/* Workers on a file: a decided record whose turn to be decided in one
 * pipeline's order has not come; its session is kept for the record. Its
 * owner fills it and frees it; in between, whichever worker finds its turn
 * come first claims it (under the decision order's lock) and decides it. */
struct held_record {
    struct tls_session *tls;
    uint64_t major, minor; /* its place */
    uint64_t now_us;       /* the clock when it was decided (flood control) */
    uint64_t bytes;        /* what the session held (tls_session_shed) */
    atomic_bool decided;   /* rendered: the owner may free it */
};

/* Held records per worker: enough to ride out another worker's slow
 * stretch (a chain to verify, a burst of frames) without waiting. */
#define HELD_MAX 64
#define HELD_BYTES (8ULL << 20)

struct pipeline {
    struct pipeline_config cfg;
    struct decoder decoder;
    struct flow_table flows;
    struct classifier *classifier;
    struct output **outputs;
    size_t n_outputs;
    struct summary *summary;
    struct run_stats stats;
    uint64_t reassembly_held;
    /* --memcap: flows, queues, dissectors and nDPI charge it as they grow;
     * a charge past it ends the least recently active flow other than
     * `current`, the one whose packet is being processed. */
    struct memcap budget;
    struct flow *current;
    uint64_t evicted_bytes; /* given back by evictions since the last trim */
    uint64_t now_us;
    uint64_t next_expiry_us;
    struct stream_limits limits;
    struct tls_limits tls_limits;
    struct tls_limits udp_tls_limits; /* the same without the key log */
    struct x509_stage *x509;
    struct server_profiles *profiles;
    struct alert_flood *flood;
    struct quic_budget *quic_budget; /* NULL: every Initial decrypted */
    bool borrowed;  /* profiles and flood are another pipeline's */
    struct output_scratch scratch; /* what this worker renders records in */
    struct handshake_report report; /* the report of the record being
                                       emitted (one pipeline) */
    /* Workers on a file: records waiting for their turn, oldest first, and
     * a report for each (HELD_MAX of them, one per ring slot). */
    struct handshake_report *reports;
    struct held_record held[HELD_MAX];
    /* Records counted from the start, record i in slot i % HELD_MAX:
     * held_pushed were held (written by the owner under the order's lock),
     * held_claimed of them claimed by some worker to decide (under the
     * lock; read without it only by the owner, as a hint), held_freed
     * freed by the owner once decided. held_claim_busy: the last claimed
     * is being decided, and its place stays published until it is. */
    uint64_t held_pushed, held_freed;
    _Atomic uint64_t held_claimed;
    bool held_claim_busy;
    uint64_t held_bytes;
    /* Frame numbers name flows (tlsmon.flow_id): this pipeline's own count,
     * or the reader's number with workers on a file (frame_external). */
    uint64_t frame_no;
    bool frame_external;
    uint64_t id_first, id_step; /* live workers: ids apart per worker */
    /* Workers on a file: where the records decided now are placed. */
    const struct decision_order *order;
    size_t worker;
    uint64_t order_major, order_minor;
    bool order_by_age;
    struct conn_start conn_starts[CONN_STARTS];
};

static bool reclaim_memory(void *ctx, uint64_t need);
static void held_free_all(struct pipeline *p);

void pipeline_config_defaults(struct pipeline_config *cfg)
{
    cfg->flow_timeout_us = 120ULL * 1000000ULL;
    cfg->memcap = 512ULL << 20;
    cfg->stream_queue_cap = 256u << 10;
    cfg->max_handshake_msg = 256u << 10;
    cfg->stream_cap = 1ULL << 20;
    cfg->frag_memcap = 16ULL << 20;
    cfg->ca_file = cfg->ca_path = NULL;
    cfg->emit_certificates = false;
    cfg->distrust = NULL;
    cfg->rules = NULL;
    cfg->keylog = NULL;
    cfg->alert_window_us = 60ULL * 1000000ULL;
    cfg->max_servers = SERVER_PROFILES_DEFAULT;
    cfg->quic_decrypt_rate = QUIC_DECRYPT_RATE_DEFAULT;
    cfg->quic_decrypt_burst = 0;
    cfg->external_ticks = false;
    cfg->emit_lock = NULL;
    cfg->output_lock = NULL;
    cfg->x509_shared = NULL;
}

struct pipeline *pipeline_new(const struct pipeline_config *cfg,
                              struct output **outputs, size_t n_outputs,
                              struct summary *summary)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->cfg = *cfg;
    /* The certificate cache holds at most an eighth of --memcap (like the
     * key log and the record order) and charges the budget with it. */
    struct x509_config xc = {.ca_file = cfg->ca_file,
                             .ca_path = cfg->ca_path,
                             .emit_pem = cfg->emit_certificates,
                             .cache_bytes = cfg->memcap / 8,
                             .memcap = &p->budget,
                             .distrust = cfg->distrust,
                             .shared = cfg->x509_shared};
    p->x509 = x509_stage_new(&xc);
    if (!p->x509) {
        free(p);
        return NULL;
    }
    decoder_init(&p->decoder, (uint32_t)cfg->frag_memcap);
    p->budget.limit = cfg->memcap;
    p->budget.reclaim = reclaim_memory;
    p->budget.reclaim_ctx = p;
    if (!flow_table_init(&p->flows, 14)) {
        decoder_free(&p->decoder);
        x509_stage_free(p->x509);
        free(p);
        return NULL;
    }
    p->profiles = server_profiles_new(cfg->max_servers);
    p->flood = alert_flood_new(cfg->alert_window_us);
    p->quic_budget = quic_budget_new((uint32_t)cfg->quic_decrypt_rate,
                                     (uint32_t)cfg->quic_decrypt_burst);
    if (!p->profiles || !p->flood ||
        (cfg->quic_decrypt_rate && !p->quic_budget)) {
        server_profiles_free(p->profiles);
        alert_flood_free(p->flood);
        quic_budget_free(p->quic_budget);
        flow_table_free(&p->flows);
        decoder_free(&p->decoder);
        x509_stage_free(p->x509);
        free(p);
        return NULL;
    }
    output_scratch_init(&p->scratch);
    flow_table_charge(&p->flows, &p->budget);
    p->classifier = classifier_new(); /* NULL: run without nDPI names */
    classifier_charge(p->classifier, &p->budget);
    p->outputs = outputs;
    p->n_outputs = n_outputs;
    p->summary = summary;
    p->id_first = p->id_step = 1;
    p->limits.max_queued_bytes = cfg->stream_queue_cap;
    p->limits.memcap = &p->budget;
    p->limits.held_total = &p->reassembly_held;
    p->tls_limits.max_handshake_msg = cfg->max_handshake_msg;
    p->tls_limits.keylog = cfg->keylog;
    p->tls_limits.memcap = &p->budget;
    /* Key logs open TLS records; QUIC and DTLS protect theirs otherwise
     * (packet numbers, epochs), which tls_decrypt.c does not do. */
    p->udp_tls_limits = p->tls_limits;
    p->udp_tls_limits.keylog = NULL;
    return p;
}

struct run_stats *pipeline_stats(struct pipeline *p)
{
    p->stats.server_profiles_evicted = server_profiles_evicted(p->profiles);
    p->stats.memory_bytes_max = p->budget.peak;
    p->stats.memcap_refused = p->budget.refused;
    p->stats.packets_too_deep = p->decoder.stats.too_deep;
    return &p->stats;
}

void pipeline_set_rules(struct pipeline *p, const struct rule_set *rules)
{
    p->cfg.rules = rules;
}

static uint64_t memory_in_use(const struct pipeline *p)
{
    return p->budget.used;
}

/* End nDPI's part in a flow: `conclude` takes its verdict (guessing from
 * ports if it must), otherwise its state is just dropped. */
static void classify_stop(struct pipeline *p, struct flow *f, bool conclude)
{
    if (conclude && !f->classify.done)
        classify_finish(p->classifier, &f->classify);
    else
        classify_release(p->classifier, &f->classify);
}

static uint32_t start_slot(const uint8_t client[16], const uint8_t server[16],
                           uint16_t port, uint8_t proto)
{
    uint32_t h = fnv1a32_bytes(FNV1A32_START, client, 16);
    h = fnv1a32_bytes(h, server, 16);
    h = fnv1a32_mix(h, port);
    h = fnv1a32_mix(h, proto);
    return h & (CONN_STARTS - 1);
}

static bool same_start(const struct conn_start *t, const uint8_t client[16],
                       const uint8_t server[16], uint16_t port, uint8_t proto)
{
    return t->port == port && t->proto == proto &&
           memcmp(t->client, client, 16) == 0 &&
           memcmp(t->server, server, 16) == 0;
}

/* A client opened a connection: this packet is its first (a TCP SYN, a
 * QUIC Initial that started a flow). */
static void note_conn_start(struct pipeline *p, const struct packet *pkt)
{
    struct conn_start *t = &p->conn_starts[start_slot(
        pkt->src, pkt->dst, pkt->dport, pkt->ip_proto)];
    if (!same_start(t, pkt->src, pkt->dst, pkt->dport, pkt->ip_proto) ||
        pkt->ts_us > t->last_us + CONN_BURST_GAP_US) {
        memcpy(t->client, pkt->src, 16);
        memcpy(t->server, pkt->dst, 16);
        t->port = pkt->dport;
        t->proto = pkt->ip_proto;
        t->first_us = pkt->ts_us;
    }
    t->last_us = pkt->ts_us;
}

/* Did `client` open a `proto` connection to server:port between from and
 * to? */
static bool conn_started_between(const struct pipeline *p,
                                 const uint8_t client[16],
                                 const uint8_t server[16], uint16_t port,
                                 uint8_t proto, uint64_t from_us,
                                 uint64_t to_us)
{
    const struct conn_start *t =
        &p->conn_starts[start_slot(client, server, port, proto)];
    return t->last_us && same_start(t, client, server, port, proto) &&
           t->first_us <= to_us && t->last_us >= from_us;
}

/* QUIC that the server never answered, and the same client reaching the
 * same server over TCP right after: UDP is blocked on the way. */
static void check_quic_fallback(const struct pipeline *p, struct flow *f)
{
    const struct handshake *h = tls_record(f->tls);
    if (h->transport != HS_OVER_QUIC || h->packets[TLS_SIDE_SERVER] != 0 ||
        h->outcome == OUTCOME_ESTABLISHED || h->icmp_unreach)
        return;
    struct handshake_rare *rare = tls_record_rare(f->tls);
    if (rare)
        rare->quic.tcp_fallback =
            conn_started_between(p, h->client.addr, h->server.addr,
                                 h->server.port, 6, h->flow_start_us,
                                 h->flow_end_us + QUIC_FALLBACK_US);
}

/* Enrichment, the first stage after the decision: a fresh report for the
 * record with nDPI's view of the flow and what is derived from the
 * record's facts alone (fingerprints, flow ids, certificate and OCSP
 * verdicts). Diagnosis adds to it under the decision lock. */
static void enrich(struct pipeline *p, const struct flow *f,
                   struct handshake *h, struct handshake_report *r)
{
    handshake_attach_report(h, r);
    classify_names(p->classifier, &f->classify.result.verdict,
                   r->ndpi_protocol, sizeof(r->ndpi_protocol), r->ndpi_app,
                   sizeof(r->ndpi_app), r->ndpi_category,
                   sizeof(r->ndpi_category));
    if (h->outcome == OUTCOME_NOT_TLS && f->server_answer.stored)
        classify_names(p->classifier, &f->server_answer, r->ndpi_protocol,
                       sizeof(r->ndpi_protocol), NULL, 0, NULL, 0);
    r->ndpi_risks = f->classify.result.risks;
    str_copy(r->ndpi_server_name, sizeof(r->ndpi_server_name),
             f->classify.result.server_name);
    r->ndpi_tls_version = f->classify.result.tls_version;
    fingerprint_compute(h, r);
    r->observer = p->cfg.observer;
    community_id_compute(h, r, p->cfg.community_id_seed);
    x509_analyze_handshake(p->x509, h, r);
}

/* Under the decision order's lock: the place no other worker may pass for
 * p's held records: the one being decided, else the oldest not claimed
 * (UINT64_MAX: none). */
static void held_place(const struct pipeline *p, uint64_t *major,
                       uint64_t *minor)
{
    uint64_t i = atomic_load_explicit(&p->held_claimed, memory_order_relaxed);
    if (p->held_claim_busy)
        i--;
    if (i < p->held_pushed) {
        *major = p->held[i % HELD_MAX].major;
        *minor = p->held[i % HELD_MAX].minor;
    } else {
        *major = *minor = UINT64_MAX;
    }
}

/* The decision proper, in one pipeline's order: what workers share (the
 * history, the flood table, the rules, swapped on SIGHUP, the summary and
 * the outputs) sees this record. `p` decides and renders it; `owner`'s
 * is the record (`claimed`: one it held). */
static void decide(struct pipeline *p, struct pipeline *owner,
                   struct handshake *h, bool claimed, uint64_t major,
                   uint64_t minor, uint64_t now_us)
{
    if (p->cfg.emit_lock)
        pthread_mutex_lock(p->cfg.emit_lock);
    server_profiles_observe(p->profiles, h);
    if (p->cfg.rules) {
        rules_evaluate(p->cfg.rules, h);
        size_t quiet = alert_flood_filter(p->flood, h, now_us);
        p->stats.alerts += h->report->findings.n - quiet;
        p->stats.alerts_suppressed += quiet;
    }

    if (p->summary)
        summary_add(p->summary, h);
    /* Rendering is most of a record's cost: workers do it side by side.
     * The read lock is taken before the decision lock is let go, so new
     * rules cannot free what this record's findings point at meanwhile. */
    struct output_scratch *s = &p->scratch;
    if (p->order) {
        s->turn = p->order->turn;
        s->ticket = write_turn_ticket(s->turn);
        s->turn_taken = false;
    }
    if (p->cfg.emit_lock) {
        pthread_rwlock_rdlock(p->cfg.output_lock);
        pthread_mutex_unlock(p->cfg.emit_lock);
    }
    /* Decided: the next record may be, while this one is rendered; the
     * write turn keeps the outputs in the decisions' order. */
    if (p->order) {
        const struct decision_order *d = p->order;
        uint64_t held_major, held_minor;
        pthread_mutex_lock(d->lock);
        if (claimed)
            owner->held_claim_busy = false;
        held_place(owner, &held_major, &held_minor);
        d->done(d->ctx, owner->worker, major, minor, held_major, held_minor);
        pthread_mutex_unlock(d->lock);
    }
    for (size_t i = 0; i < p->n_outputs; i++) {
        if (!p->outputs[i]->ops->takes_turn)
            output_take_turn(s);
        p->outputs[i]->ops->handshake(p->outputs[i], h, s);
    }
    if (s->turn) {
        output_take_turn(s);
        write_turn_pass(s->turn, s->ticket);
        s->turn = NULL;
    }
    if (p->cfg.emit_lock)
        pthread_rwlock_unlock(p->cfg.output_lock);
    h->report = NULL; /* its report is the next record's */
    p->stats.handshakes++;
}

static uint64_t held_count(const struct pipeline *p)
{
    return p->held_pushed - p->held_freed;
}

/* Free the oldest held records that are decided, by whichever worker. */
static void held_reclaim(struct pipeline *p)
{
    while (p->held_freed < p->held_pushed) {
        struct held_record *o = &p->held[p->held_freed % HELD_MAX];
        if (!atomic_load_explicit(&o->decided, memory_order_acquire))
            return;
        tls_session_free(o->tls);
        o->tls = NULL;
        p->held_bytes -= o->bytes;
        p->held_freed++;
    }
}

struct held_record *pipeline_claim_held(struct pipeline *owner)
{
    uint64_t i = atomic_load_explicit(&owner->held_claimed,
                                      memory_order_relaxed);
    if (owner->held_claim_busy || i >= owner->held_pushed)
        return NULL;
    owner->held_claim_busy = true;
    atomic_store_explicit(&owner->held_claimed, i + 1, memory_order_relaxed);
    return &owner->held[i % HELD_MAX];
}

void pipeline_decide_claimed(struct pipeline *self, struct pipeline *owner,
                             struct held_record *o)
{
    decide(self, owner, tls_record(o->tls), true, o->major, o->minor,
           o->now_us);
    atomic_store_explicit(&o->decided, true, memory_order_release);
}

/* The owner's claim on its oldest held record: NULL when another worker
 * has it. */
static struct held_record *claim_own_oldest(struct pipeline *p)
{
    struct held_record *o = NULL;
    pthread_mutex_lock(p->order->lock);
    if (atomic_load_explicit(&p->held_claimed, memory_order_relaxed) ==
        p->held_freed)
        o = pipeline_claim_held(p);
    pthread_mutex_unlock(p->order->lock);
    return o;
}

/* Another worker decides it: a record's rendering, some microseconds. */
static void await_decided(const struct held_record *o)
{
    for (unsigned spins = 0;
         !atomic_load_explicit(&o->decided, memory_order_acquire); spins++) {
        if (spins < 4000u)
            spin_pause();
        else
            sched_yield();
    }
}

/* The oldest held record, once its turn has come (`wait`: wait for it),
 * decided here or by another worker. False when its turn has not come. */
static bool decide_oldest_held(struct pipeline *p, bool wait)
{
    held_reclaim(p);
    if (!held_count(p))
        return true;
    struct held_record *o = &p->held[p->held_freed % HELD_MAX];
    if (atomic_load_explicit(&p->held_claimed, memory_order_relaxed) ==
        p->held_freed) {
        if (wait)
            p->order->wait(p->order->ctx, p->worker, o->major, o->minor);
        else if (!p->order->ready(p->order->ctx, p->worker, o->major,
                                  o->minor))
            return false;
        if (claim_own_oldest(p) == o) {
            decide(p, p, tls_record(o->tls), true, o->major, o->minor,
                   o->now_us);
            atomic_store_explicit(&o->decided, true, memory_order_relaxed);
            held_reclaim(p);
            return true;
        }
    }
    if (!wait && !atomic_load_explicit(&o->decided, memory_order_acquire))
        return false;
    await_decided(o);
    held_reclaim(p);
    return true;
}

void pipeline_decide_held(struct pipeline *p, bool all)
{
    while (held_count(p) && decide_oldest_held(p, all))
        ;
}

/* Workers on a file: decide this record now if its turn has come and
 * nothing older is held; else hold it and go on. A record that points at
 * what the next record overwrites (the PEM of --emit-certificates) is
 * decided now, after every older one. */
static void decide_in_order(struct pipeline *p, struct flow *f,
                            struct handshake *h)
{
    uint64_t major = p->order_major;
    uint64_t minor = p->order_by_age ? f->last_frame : p->order_minor++;
    const struct handshake_report *r = h->report;
    bool self_contained = !r->server_cert.pem && !r->client_cert.pem;

    held_reclaim(p);
    if (held_count(p) == 0 &&
        p->order->ready(p->order->ctx, p->worker, major, minor)) {
        decide(p, p, h, false, major, minor, p->now_us);
        return;
    }
    if (!self_contained) {
        pipeline_decide_held(p, true);
        p->order->wait(p->order->ctx, p->worker, major, minor);
        decide(p, p, h, false, major, minor, p->now_us);
        return;
    }
    struct held_record *o = &p->held[p->held_pushed % HELD_MAX];
    o->tls = f->tls;
    f->tls = NULL; /* the flow ends now (bypass, end_flow): no one misses it */
    o->major = major;
    o->minor = minor;
    o->now_us = p->now_us;
    o->bytes = tls_session_shed(o->tls);
    atomic_store_explicit(&o->decided, false, memory_order_relaxed);
    p->held_bytes += o->bytes;
    uint64_t held_major, held_minor;
    pthread_mutex_lock(p->order->lock);
    p->held_pushed++;
    held_place(p, &held_major, &held_minor);
    p->order->hold(p->order->ctx, p->worker, held_major, held_minor);
    pthread_mutex_unlock(p->order->lock);
    while (p->held_bytes > HELD_BYTES && held_count(p) > 1)
        decide_oldest_held(p, true);
}

/* Copy what the flow knows into the record, then decide it. */
static void emit(struct pipeline *p, struct flow *f)
{
    struct handshake *h = tls_record(f->tls);
    int cs = tls_client_side(f->tls);
    if (cs < 0 && f->quic)
        cs = quic_client_side(f->quic);
    if (cs < 0)
        cs = f->syn_client_side >= 0 ? f->syn_client_side : 0;
    int ss = 1 - cs;

    h->flow_id = f->id;
    h->client.ip_version = h->server.ip_version = f->ip_version;
    memcpy(h->client.addr, f->addr[cs], 16);
    memcpy(h->server.addr, f->addr[ss], 16);
    h->client.port = f->port[cs];
    h->server.port = f->port[ss];
    h->n_vlan = f->n_vlan;
    memcpy(h->vlan, f->vlan, sizeof(h->vlan));
    h->roles_from_syn = f->syn_client_side >= 0 && f->syn_client_side == cs;
    h->midstream = !f->syn_seen;
    h->flow_start_us = f->first_ts_us;
    h->flow_end_us = f->last_ts_us;
    h->packets[TLS_SIDE_CLIENT] = f->packets[cs];
    h->packets[TLS_SIDE_SERVER] = f->packets[ss];
    h->bytes[TLS_SIDE_CLIENT] = f->bytes[cs];
    h->bytes[TLS_SIDE_SERVER] = f->bytes[ss];
    /* How the ClientHello crossed TCP (split over segments, lost). */
    stream_opening_hello_facts(&f->stream[cs].opening,
                               h->ch.seen && !h->ch.sslv2 ? 9 + h->ch.length
                                                          : 0,
                               h);

    memcap_reserve(&p->budget, classify_growth_bound(&f->classify, 0));
    classify_stop(p, f, true);
    check_quic_fallback(p, f);
    f->emitted = true;
    if (!p->order) {
        enrich(p, f, h, &p->report);
        decide(p, p, h, false, 0, 0, p->now_us);
        return;
    }
    /* A report for it: a free slot of the ring of held records. */
    held_reclaim(p);
    while (held_count(p) == HELD_MAX)
        decide_oldest_held(p, true);
    enrich(p, f, h, &p->reports[p->held_pushed % HELD_MAX]);
    decide_in_order(p, f, h);
}

static void starttls_drop(struct pipeline *p, struct flow *f)
{
    if (!f->starttls)
        return;
    starttls_free(f->starttls);
    f->starttls = NULL;
    memcap_release(&p->budget, memcap_cost(starttls_memory()));
}

/* What reading a flow holds: reassembly queues, STARTTLS watch, nDPI. */
static void release_reading_state(struct pipeline *p, struct flow *f)
{
    starttls_drop(p, f);
    quic_conn_free(f->quic);
    f->quic = NULL;
    dtls_conn_free(f->dtls);
    f->dtls = NULL;
    for (int s = 0; s < 2; s++) {
        p->stats.tcp_gaps += f->stream[s].gaps;
        p->stats.tcp_gap_bytes += f->stream[s].gap_bytes;
        p->stats.tcp_cap_gaps += f->stream[s].cap_gaps;
        p->stats.tcp_late_segments += f->stream[s].late_fills;
        f->stream[s].gaps = 0;
        f->stream[s].gap_bytes = 0;
        f->stream[s].cap_gaps = 0;
        f->stream[s].late_fills = 0;
        tcp_stream_release(&f->stream[s], &p->limits);
    }
}

/* Everything a flow holds beyond its table entry. */
static void release_flow_state(struct pipeline *p, struct flow *f)
{
    release_reading_state(p, f);
    if (f->tls) {
        tls_session_free(f->tls);
        f->tls = NULL;
    }
    classify_stop(p, f, false);
}

/* Decided or never TLS: from now on the flow's packets are only counted. */
static void bypass(struct pipeline *p, struct flow *f)
{
    if (f->tls && !f->emitted && tls_decided(f->tls))
        emit(p, f);
    if (f->tls == NULL)
        classify_stop(p, f, false);
    if (f->capped && !f->emitted) {
        /* Past the dissection cap: the record waits for the flow's end,
         * nothing else is kept. */
        classify_stop(p, f, true);
        release_reading_state(p, f);
    } else {
        release_flow_state(p, f);
    }
    f->state = FLOW_BYPASS;
}

/* A QUIC client that got a Version Negotiation and started over: ngtcp2
 * (and others) do it from a new socket, so the new attempt is another
 * flow to the same server. */
static bool quic_started_again(const struct pipeline *p, const struct flow *f)
{
    int cs = quic_client_side(f->quic);
    if (cs < 0)
        return false;
    return conn_started_between(p, f->addr[cs], f->addr[1 - cs],
                                f->port[1 - cs], 17, f->first_ts_us + 1,
                                f->last_ts_us + QUIC_FALLBACK_US);
}

/* The flow will see no more packets: deliver what reassembly holds, decide
 * the handshake with `why` (or stop watching a decided one), report it,
 * and drop the flow. */
static void end_flow(struct pipeline *p, struct flow *f, enum hs_ended_by why)
{
    if (f->state == FLOW_ACTIVE && f->quic) {
        if (quic_started_again(p, f))
            quic_client_started_again(f->quic);
        quic_finish(f->quic, why, p->now_us);
    }
    if ((f->state == FLOW_ACTIVE || f->capped) && f->tls &&
        !tls_done(f->tls) && !tls_not_a_tls_flow(f->tls) &&
        (!f->quic || quic_reportable(f->quic)))
        tls_finish(f->tls, why, p->now_us);
    if (f->tls && !f->emitted && tls_decided(f->tls))
        emit(p, f);
    release_flow_state(p, f);
    if (why == ENDED_FIN || why == ENDED_RST)
        flow_closed_add(&p->flows, f, f->last_ts_us);
    flow_remove(&p->flows, f);
}

/* Reassembly delivers here, possibly several times per segment. */
static void on_stream_data(void *ctx, int side, const uint8_t *data,
                           uint32_t len, uint64_t ts_us);
static void on_stream_gap(void *ctx, int side, uint32_t len);

struct sink_ctx {
    struct pipeline *p;
    struct flow *f;
};

static bool start_tls_session(struct pipeline *p, struct flow *f, int guess)
{
    f->tls = tls_session_new(f->ip_proto == 17 ? &p->udp_tls_limits
                                               : &p->tls_limits,
                             guess);
    if (!f->tls)
        return false;
    p->stats.flows_tls++;
    return true;
}

/* A flow that opened in plaintext: the STARTTLS detector sees its bytes
 * until it upgrades (the TLS session then starts with the bytes after the
 * upgrade, as if the connection began there), is refused (a record says
 * so), or gives up (a plain flow: nothing to report, as before). Returns
 * the bytes of `data` that are left for the TLS session. */
static uint32_t watch_starttls(struct pipeline *p, struct flow *f, int side,
                               const uint8_t *data, uint32_t len,
                               uint64_t ts_us)
{
    uint32_t taken;
    enum starttls_status st =
        starttls_feed(f->starttls, side, data, len, &taken);
    if (st == STARTTLS_WATCHING)
        return 0;
    if (st == STARTTLS_GAVE_UP && f->greeting_len &&
        f->stream[1 - f->greeting_side].delivered == 0) {
        /* A server greeting no upgrade follows (an SSH banner): the
         * client's first bytes may still be a ClientHello. */
        starttls_drop(p, f);
        f->awaiting_hello = true;
        return 0;
    }
    if (st == STARTTLS_GAVE_UP ||
        !start_tls_session(p, f, starttls_client_side(f->starttls))) {
        starttls_drop(p, f);
        f->decided_in_callback = true;
        return 0;
    }
    struct handshake *h = tls_record(f->tls);
    h->starttls = (uint8_t)starttls_proto(f->starttls);
    if (st == STARTTLS_REFUSED) {
        struct handshake_rare *rare = tls_record_rare(f->tls);
        if (rare)
            snprintf(rare->starttls_refusal, sizeof rare->starttls_refusal,
                     "%s", starttls_refusal(f->starttls));
        outcome_refused(h, ts_us);
        starttls_drop(p, f);
        f->decided_in_callback = true;
        return 0;
    }
    /* What each side sent past the upgrade point: client first, as the
     * ClientHello came first. */
    int cs = starttls_client_side(f->starttls);
    for (int i = 0; i < 2; i++) {
        const uint8_t *held;
        uint32_t n;
        int s = i == 0 ? cs : 1 - cs;
        starttls_held(f->starttls, s, &held, &n);
        if (n)
            tls_feed(f->tls, s, held, n, ts_us);
    }
    starttls_drop(p, f);
    return len - taken;
}

/* Can these first bytes (too few for tls_sniff) still be a TLS or SSLv2
 * record header? Plaintext protocols start with other bytes. */
static bool may_start_tls(const uint8_t *data, uint32_t len)
{
    struct cursor c = cursor_make(data, len);
    uint8_t first;
    return cursor_u8(&c, &first) && ((first >= 20 && first <= 24) ||
                                     (first & 0x80));
}

/* The first plaintext of a flow, from the side that may be the server,
 * until the other side speaks: kept in case that answer is a ClientHello. */
static void keep_greeting(struct flow *f, int side, const uint8_t *data,
                          uint32_t len, uint64_t ts_us)
{
    struct cursor c = cursor_make(data, len);
    uint32_t room = sizeof f->greeting - f->greeting_len;
    uint32_t n = len < room ? len : room;

    if (f->greeting_len == 0) {
        if (f->syn_client_side == side)
            return;
        f->greeting_side = (int8_t)side;
        f->greeting_ts = ts_us;
    }
    if (side != f->greeting_side || f->stream[1 - side].delivered ||
        !cursor_copy(&c, f->greeting + f->greeting_len, n))
        return;
    f->greeting_len = (uint8_t)(f->greeting_len + n);
}

/* The client's first bytes answer a plaintext greeting with a ClientHello
 * (or the start of a handshake record: the session reads the rest): the
 * server does not speak TLS, whatever the STARTTLS watch made of it. */
static bool hello_after_greeting(struct pipeline *p, struct flow *f, int side,
                                 const uint8_t *data, uint32_t len)
{
    struct cursor c = cursor_make(data, len);
    uint8_t first;

    if (f->tls || !f->greeting_len || side == f->greeting_side ||
        f->stream[side].delivered != len || !cursor_u8(&c, &first))
        return false;
    enum tls_sniff sn = tls_sniff(data, len);
    if (sn != TLS_SNIFF_CLIENT_HELLO &&
        !(sn == TLS_SNIFF_NEED_MORE &&
          (first == CT_HANDSHAKE || (first & 0x80))))
        return false;
    starttls_drop(p, f);
    f->awaiting_hello = false;
    /* nDPI's verdict on the greeting names what the server speaks; the
     * server's answer to the hello is not what it is asked about. */
    classify_stop(p, f, true);
    f->server_answer_seen = true;
    f->server_answer = f->classify.result.verdict;
    if (!start_tls_session(p, f, side)) {
        f->decided_in_callback = true; /* out of memory: nothing to say */
        return true;
    }
    tls_server_spoke_first(f->tls, f->greeting_side, f->greeting,
                           f->greeting_len, f->greeting_ts);
    return true;
}

static void on_stream_data(void *ctx, int side, const uint8_t *data,
                           uint32_t len, uint64_t ts_us)
{
    struct sink_ctx *c = ctx;
    struct pipeline *p = c->p;
    struct flow *f = c->f;

    if (f->decided_in_callback || len == 0)
        return;
    if (f->greeting_len && !f->tls)
        keep_greeting(f, side, data, len, ts_us);
    bool hello = hello_after_greeting(p, f, side, data, len);
    if (f->decided_in_callback)
        return;
    if (!hello && f->awaiting_hello) {
        /* Anything but a hello from the client makes it a plain flow. */
        if (side != f->greeting_side)
            f->decided_in_callback = true;
        return;
    }
    if (!f->tls && !f->starttls) {
        enum tls_sniff sn = tls_sniff(data, len);
        if (sn == TLS_SNIFF_NO ||
            (sn == TLS_SNIFF_NEED_MORE && !may_start_tls(data, len))) {
            /* Not TLS yet: perhaps a protocol that upgrades to it. */
            if (!memcap_charge(&p->budget, memcap_cost(starttls_memory()))) {
                f->decided_in_callback = true;
                return;
            }
            f->starttls = starttls_new(f->syn_client_side);
            if (!f->starttls) {
                memcap_release(&p->budget, memcap_cost(starttls_memory()));
                f->decided_in_callback = true;
                return;
            }
            keep_greeting(f, side, data, len, ts_us);
        }
    }
    if (f->starttls) {
        uint32_t rest = watch_starttls(p, f, side, data, len, ts_us);
        if (!f->tls || f->decided_in_callback)
            return;
        struct cursor in = cursor_make(data, len);
        if (!cursor_skip(&in, len - rest))
            return; /* rest <= len: cannot happen */
        size_t n;
        data = cursor_rest(&in, &n);
        len = (uint32_t)n;
        if (len == 0)
            goto account;
    }
    if (!f->tls) {
        enum tls_sniff sn = tls_sniff(data, len);
        if (sn == TLS_SNIFF_NO || sn == TLS_SNIFF_OTHER_RECORD) {
            /* Not the start of a handshake: nothing to report on. */
            f->decided_in_callback = true;
            return;
        }
        /* Roles from the SYN; without one, the first hello sets them. */
        if (!start_tls_session(p, f, f->syn_client_side)) {
            f->decided_in_callback = true;
            return;
        }
    }
    if (f->stream[side].delivered > p->cfg.stream_cap) {
        /* A handshake does not need this much: stop paying for it. It is
         * decided when the flow really ends (FIN, RST, silence), not now. */
        f->capped = true;
        tls_capped(f->tls);
        p->stats.stream_cap_hits++;
        f->decided_in_callback = true;
        return;
    }
    tls_feed(f->tls, side, data, len, ts_us);
account:
    if (tls_done(f->tls) || tls_not_a_tls_flow(f->tls))
        f->decided_in_callback = true;
}

static void on_stream_gap(void *ctx, int side, uint32_t len)
{
    struct sink_ctx *c = ctx;
    if (c->f->starttls && !c->f->decided_in_callback) {
        /* A hole in the plaintext: where TLS would begin is lost. */
        starttls_drop(c->p, c->f);
        c->f->decided_in_callback = true;
        return;
    }
    if (c->f->tls && !c->f->decided_in_callback)
        tls_gap(c->f->tls, side, len);
}

/* --memcap is full: end the least recently active flow that is not the
 * one being processed. False when there is none left to end. */
static bool reclaim_memory(void *ctx, uint64_t need)
{
    struct pipeline *p = ctx;
    (void)need;
    /* Closed connections' endpoints are the cheapest to lose. */
    struct closed_flow *closed = flow_closed_oldest(&p->flows);
    if (closed) {
        flow_closed_forget(&p->flows, closed);
        return true;
    }
    struct flow *old = flow_oldest(&p->flows);
    if (old && old == p->current)
        old = flow_newer(old);
    if (!old)
        return false;
    p->stats.flows_evicted++;
    uint64_t before = p->budget.used;
    end_flow(p, old, ENDED_EVICTED);
    if (before > p->budget.used)
        p->evicted_bytes += before - p->budget.used;
    if (p->evicted_bytes >= TRIM_AFTER_EVICTED) {
        malloc_trim(0);
        p->evicted_bytes = 0;
    }
    return true;
}

static void expire_idle(struct pipeline *p)
{
    struct closed_flow *c;
    while ((c = flow_closed_oldest(&p->flows)) != NULL &&
           c->last_ts_us + CLOSED_LINGER_US < p->now_us)
        flow_closed_forget(&p->flows, c);
    for (;;) {
        struct flow *old = flow_oldest(&p->flows);
        if (!old || old->last_ts_us >= p->now_us ||
            p->now_us - old->last_ts_us <= p->cfg.flow_timeout_us)
            break;
        p->current = old;
        p->stats.flows_timed_out++;
        if (old->state == FLOW_ACTIVE) {
            for (int s = 0; s < 2; s++) {
                struct sink_ctx ctx = {p, old};
                struct stream_sink sink = {on_stream_data, on_stream_gap, &ctx};
                tcp_stream_flush(&old->stream[s], &p->limits, s, p->now_us,
                                 &sink);
            }
        }
        end_flow(p, old, ENDED_SILENCE);
    }
    p->current = NULL;
}

static void track_memory_peak(struct pipeline *p)
{
    if (p->budget.peak > p->stats.memory_bytes_max)
        p->stats.memory_bytes_max = p->budget.peak;
    if (p->reassembly_held > p->stats.reassembly_bytes_max)
        p->stats.reassembly_bytes_max = p->reassembly_held;
    if (p->flows.live.count > p->stats.flows_active_max)
        p->stats.flows_active_max = p->flows.live.count;
}

/* The flow-level nDPI verdict of a client that sent a ClientHello is
 * "TLS" whatever the server said; a not_tls record wants to name what the
 * server spoke, so the server's first answer is classified on its own when
 * it does not open with a TLS record. */
static void note_server_answer(struct pipeline *p, struct flow *f, int side,
                               const struct packet *pkt)
{
    if (f->server_answer_seen || !f->tls || tls_client_side(f->tls) != 1 - side)
        return;
    f->server_answer_seen = true;
    struct cursor c = cursor_make(pkt->payload, pkt->payload_len);
    uint8_t first;
    if (!cursor_u8(&c, &first) || (first >= 20 && first <= 24) || (first & 0x80))
        return;
    struct classify_result r;
    classify_single(p->classifier, pkt->l3, pkt->l3_len, pkt->ts_us, &r);
    f->server_answer = r.verdict;
}

/* A packet of a flow: its activity, its counts, and, when it opened the
 * flow, the flow's id (tlsmon.flow_id). The flow is the one being read from
 * now on: reclaiming memory for it never ends it. */
static void count_packet(struct pipeline *p, struct flow *f, int side,
                         const struct packet *pkt, bool is_new)
{
    if (is_new)
        f->id = p->frame_external ? p->frame_no
                                  : p->id_first + (p->frame_no - 1) * p->id_step;
    flow_touch(&p->flows, f, pkt->ts_us);
    f->last_frame = p->frame_no;
    f->packets[side]++;
    f->bytes[side] += pkt->l3_len;
    p->current = f;
}

/* nDPI's look at one packet of the flow. nDPI cannot be refused memory:
 * room for what one packet may make it take is made first. */
static void classify_flow_packet(struct pipeline *p, struct flow *f,
                                 const struct packet *pkt)
{
    memcap_reserve(&p->budget,
                   classify_growth_bound(&f->classify, pkt->l3_len));
    classify_packet(p->classifier, &f->classify, pkt->l3, pkt->l3_len,
                    pkt->ts_us);
    memcap_enforce(&p->budget);
}

/* A first payload that is a ClientHello, after tlsmon's dissector has
 * read it: when it has a server name, nDPI's answer comes from that name
 * (and the addresses) without nDPI parsing the hello again (about a third
 * of a handshake's instructions: it builds its own JA3 strings); else nDPI
 * reads the packet as it would have. */
static void classify_tls_hello(struct pipeline *p, struct flow *f, int side,
                               const struct packet *pkt)
{
    const struct handshake *h = f->tls ? tls_record(f->tls) : NULL;
    if (f->classify.done)
        return;
    if (!h || !h->ch.seen || h->ch.sni_len == 0) {
        classify_flow_packet(p, f, pkt);
        return;
    }
    bool v4 = pkt->ip_version == 4;
    if (!classify_tls_by_name(p->classifier, &f->classify, h->ch.sni,
                              strlen(h->ch.sni), v4 ? f->addr[side] : NULL,
                              v4 ? f->addr[1 - side] : NULL))
        classify_flow_packet(p, f, pkt);
}

/* A QUIC client's first datagram, after tlsmon's QUIC reader has read
 * it: an Initial of a version nDPI keys as tlsmon does, that its keys did
 * not open (a flood of them costs nDPI's second try a third of each
 * packet), or one past its server's budget that tlsmon did not try, is
 * given to nDPI in a form it gives up on without the keys: it names the
 * flow QUIC without reading the hello (so without an application from the
 * server name, which tlsmon did not read either). Else nDPI reads the
 * datagram as it would have. */
static void classify_quic_start(struct pipeline *p, struct flow *f,
                                const struct packet *pkt)
{
    if (f->classify.done || pkt->payload_len == 0)
        return;
    if (!pkt->payload_truncated && (quic_lead_initial_unopened(f->quic) ||
                                    quic_initials_skipped(f->quic))) {
        memcap_reserve(&p->budget,
                       classify_growth_bound(&f->classify, pkt->l3_len));
        bool read = classify_quic_unopened(
            p->classifier, &f->classify, pkt->l3, pkt->l3_len,
            (uint32_t)(pkt->payload - pkt->l3), pkt->sport, pkt->dport,
            pkt->ts_us);
        memcap_enforce(&p->budget);
        if (read)
            return;
    }
    classify_flow_packet(p, f, pkt);
}

static void tcp_packet(struct pipeline *p, const struct packet *pkt)
{
    int side;
    bool is_new = false;
    struct flow *f = flow_lookup(&p->flows, pkt, &side, false);
    if (!f) {
        /* A late packet of a connection that ended is its own, not a new
         * connection seen midstream: only a SYN reuses the endpoints. */
        struct closed_flow *closed = flow_closed_find(&p->flows, pkt);
        if (closed && !(pkt->tcp_flags & TCPF_SYN)) {
            flow_closed_touch(&p->flows, closed, pkt->ts_us);
            return;
        }
        if (closed)
            flow_closed_forget(&p->flows, closed);
        /* A bare ACK, FIN or RST opens nothing: it is most often the tail
         * of a connection that already ended (the last ACK after both
         * FINs), and a capture that starts mid-connection is picked up at
         * its first payload. */
        if (!(pkt->tcp_flags & TCPF_SYN) && pkt->payload_len == 0)
            return;
        f = flow_lookup(&p->flows, pkt, &side, true);
        if (!f)
            return; /* out of memory: the packet is lost (memcap_refused) */
        is_new = true;
        p->stats.flows++;
    }
    count_packet(p, f, side, pkt, is_new);

    bool closing = false;
    if (f->state == FLOW_BYPASS) {
        p->current = NULL;
        if (pkt->tcp_flags & TCPF_RST)
            closing = true;
        if (pkt->tcp_flags & TCPF_FIN)
            f->fin[side] = true;
        if (closing || (f->fin[0] && f->fin[1]))
            end_flow(p, f, closing ? ENDED_RST : ENDED_FIN);
        return;
    }

    /* nDPI starts at the first payload: a flow that never carries any (a
     * SYN scan, a flood) costs no nDPI state. A first payload that is a
     * ClientHello waits for tlsmon's dissector (classify_tls_hello). */
    bool hello_first = false;
    if (!f->classify.done && (pkt->payload_len > 0 || f->classify.ndpi)) {
        hello_first = !f->classify.ndpi && !f->tls &&
                      tls_sniff(pkt->payload, pkt->payload_len) ==
                          TLS_SNIFF_CLIENT_HELLO;
        if (!hello_first)
            classify_flow_packet(p, f, pkt);
    }

    if (pkt->payload_len > 0)
        note_server_answer(p, f, side, pkt);

    struct sink_ctx ctx = {p, f};
    struct stream_sink sink = {on_stream_data, on_stream_gap, &ctx};

    if (pkt->tcp_flags & TCPF_SYN) {
        f->syn_seen = true;
        if (!(pkt->tcp_flags & TCPF_ACK)) {
            f->syn_client_side = (int8_t)side;
            note_conn_start(p, pkt);
        } else if (f->syn_client_side < 0)
            f->syn_client_side = (int8_t)(1 - side);
        tcp_stream_syn(&f->stream[side], pkt->seq);
        flow_note_syn(f, side, pkt->wscale);
    }
    if (pkt->tcp_flags & TCPF_ACK)
        tcp_stream_window(&f->stream[1 - side],
                          flow_offered_window(f, side, pkt->window,
                                              pkt->tcp_flags & TCPF_SYN));
    /* Once decided, a side no longer watched is not reassembled. */
    if (pkt->payload_len > 0 && (!f->tls || tls_reads(f->tls, side))) {
        uint32_t seq = pkt->seq + ((pkt->tcp_flags & TCPF_SYN) ? 1u : 0u);
        tcp_stream_segment(&f->stream[side], &p->limits, side, seq,
                           pkt->payload, pkt->payload_len, pkt->ts_us, &sink);
    }
    if (pkt->payload_lost > 0 && !f->decided_in_callback &&
        (!f->tls || tls_reads(f->tls, side)))
        tcp_stream_cut(&f->stream[side], &p->limits, side,
                       pkt->seq + ((pkt->tcp_flags & TCPF_SYN) ? 1u : 0u) +
                           pkt->payload_len,
                       pkt->payload_lost, pkt->ts_us, &sink);
    if ((pkt->tcp_flags & TCPF_ACK) && !f->decided_in_callback &&
        (!f->tls || tls_reads(f->tls, 1 - side)))
        tcp_stream_acked(&f->stream[1 - side], &p->limits, 1 - side, pkt->ack,
                         pkt->ts_us, &sink);

    if ((pkt->tcp_flags & TCPF_RST) &&
        !tcp_stream_rst_in_window(&f->stream[side], pkt->seq)) {
        /* No stack would accept it: a forged or stale RST ends nothing. */
        p->stats.rst_out_of_window++;
    } else if (pkt->tcp_flags & (TCPF_FIN | TCPF_RST)) {
        bool rst = pkt->tcp_flags & TCPF_RST;
        if (rst) {
            f->rst = true;
        } else {
            f->fin[side] = true;
            /* The FIN takes a sequence number: the peer's ACK of it is not
             * a byte the capture lost. */
            f->stream[side].fin = true;
        }
        /* No more bytes come from a closed side: what reassembly still holds
         * is delivered across its holes before the close is reported. */
        if (!f->decided_in_callback)
            tcp_stream_flush(&f->stream[side], &p->limits, side, pkt->ts_us,
                             &sink);
        if (rst && !f->decided_in_callback)
            tcp_stream_flush(&f->stream[1 - side], &p->limits, 1 - side,
                             pkt->ts_us, &sink);
        if (f->tls && !f->decided_in_callback) {
            tls_closed(f->tls, side, rst ? TLS_CLOSE_RST : TLS_CLOSE_FIN,
                       pkt->ts_us);
            if (tls_done(f->tls))
                f->decided_in_callback = true;
        }
        closing = rst || (f->fin[0] && f->fin[1]);
    }

    /* tlsmon's dissector has read a ClientHello with a server name and
     * nDPI, fed each packet before reassembly, has named the flow from it:
     * the server's messages nDPI would go on to parse are tlsmon's to
     * read. Flows tlsmon cannot name keep nDPI, and so do a hello without
     * a name (nDPI names the application from the certificate then) and
     * one nDPI could not read (a TSO frame's IP total length 0). */
    if (f->classify.named && !f->classify.done && f->tls &&
        tls_record(f->tls)->ch.seen && tls_record(f->tls)->ch.sni_len > 0)
        classify_stop(p, f, true);
    if (hello_first)
        classify_tls_hello(p, f, side, pkt);

    if (f->decided_in_callback)
        bypass(p, f);
    if (closing)
        end_flow(p, f, f->rst ? ENDED_RST : ENDED_FIN);
    /* Growth that could not be refused (nDPI, key-log state) is brought
     * back under the cap before the next packet. */
    memcap_enforce(&p->budget);
    p->current = NULL;
    track_memory_peak(p);
}

/* ---- UDP: QUIC, DTLS, STUN before DTLS ---- */

/* What a UDP flow's first datagram starts: a QUIC or DTLS handshake (and
 * which side began it), STUN that WebRTC follows with DTLS, or nothing
 * tlsmon reads. */
enum udp_start { UDP_NOTHING, UDP_QUIC, UDP_DTLS, UDP_STUN };

static enum udp_start udp_sniff(const struct packet *pkt, bool *sender_client,
                                bool *starts)
{
    *sender_client = true;
    *starts = true;
    switch (quic_sniff(pkt->payload, pkt->payload_len)) {
    case QUIC_SNIFF_CLIENT:
        return UDP_QUIC;
    case QUIC_SNIFF_SERVER:
        *sender_client = false;
        *starts = false;
        return UDP_QUIC;
    case QUIC_SNIFF_OTHER: /* mid-connection: no hello to report on */
    case QUIC_SNIFF_NO:
        break;
    }
    switch (dtls_sniff(pkt->payload, pkt->payload_len)) {
    case DTLS_SNIFF_CLIENT_HELLO:
        return UDP_DTLS;
    case DTLS_SNIFF_SERVER_HELLO:
        *sender_client = false;
        *starts = false;
        return UDP_DTLS;
    case DTLS_SNIFF_STUN:
        return UDP_STUN;
    case DTLS_SNIFF_OTHER:
    case DTLS_SNIFF_NO:
        break;
    }
    return UDP_NOTHING;
}

/* The TLS session of a QUIC or DTLS flow and the transport around it. */
static bool start_udp_session(struct pipeline *p, struct flow *f,
                              enum udp_start kind, bool after_stun)
{
    if (!start_tls_session(p, f, f->syn_client_side))
        return false;
    if (kind == UDP_QUIC)
        f->quic = quic_conn_new(f->tls, f->syn_client_side, &p->budget);
    else
        f->dtls = dtls_conn_new(f->tls, p->cfg.max_handshake_msg,
                                f->syn_client_side, &p->budget);
    if (!f->quic && !f->dtls)
        return false;
    tls_record(f->tls)->dtls.stun = after_stun;
    return true;
}

/* A STUN flow, watched for the DTLS handshake WebRTC runs after it on the
 * same 5-tuple. Returns the kind of datagram to go on with, or nothing. */
static enum udp_start watch_stun(struct flow *f, int side,
                                 const struct packet *pkt)
{
    bool client, starts;
    enum udp_start k = udp_sniff(pkt, &client, &starts);
    if (k == UDP_DTLS) {
        f->syn_client_side = (int8_t)(client ? side : 1 - side);
        return UDP_DTLS;
    }
    if (++f->stun_packets >= STUN_WATCH_PACKETS)
        f->state = FLOW_BYPASS; /* STUN alone, or something else: let go */
    return UDP_NOTHING;
}

/* A QUIC client that gave up on a server that never answered may try TCP
 * next (QUIC blocked): its record waits for the flow's end, when the TCP
 * attempt, if any, has been seen. It holds the record meanwhile, not its
 * packets: datagrams after the decision are not read. */
static bool awaits_fallback(const struct flow *f)
{
    if (!f->quic)
        return false;
    int cs = quic_client_side(f->quic);
    return cs >= 0 && f->packets[1 - cs] == 0 &&
           !tls_record(f->tls)->icmp_unreach;
}

static void udp_packet(struct pipeline *p, const struct packet *pkt)
{
    int side;
    bool is_new = false, sender_client = true, starts = true;
    enum udp_start kind = UDP_NOTHING;
    struct flow *f = flow_lookup(&p->flows, pkt, &side, false);

    if (!f) {
        kind = udp_sniff(pkt, &sender_client, &starts);
        if (kind == UDP_NOTHING) {
            p->stats.packets_ignored++;
            p->stats.ignored_udp++;
            return;
        }
        f = flow_lookup(&p->flows, pkt, &side, true);
        if (!f)
            return; /* out of memory: the packet is lost */
        is_new = true;
        p->stats.flows++;
        f->syn_seen = starts;
        if (kind != UDP_STUN)
            f->syn_client_side = (int8_t)(sender_client ? side : 1 - side);
        if (kind == UDP_QUIC && starts)
            note_conn_start(p, pkt);
    }
    count_packet(p, f, side, pkt, is_new);
    if (f->state == FLOW_BYPASS) {
        p->current = NULL;
        return;
    }
    /* A client's first datagram of QUIC waits for tlsmon's QUIC reader
     * (classify_quic_start); room for nDPI is made here all the same. */
    bool quic_first = is_new && kind == UDP_QUIC && starts;
    if (quic_first)
        memcap_reserve(&p->budget,
                       classify_growth_bound(&f->classify, pkt->l3_len));
    else if (!f->classify.done && pkt->payload_len > 0)
        classify_flow_packet(p, f, pkt);

    if (!f->tls) {
        bool after_stun = kind == UDP_STUN || f->stun_packets > 0;
        if (kind == UDP_STUN || (!is_new && kind == UDP_NOTHING))
            kind = watch_stun(f, side, pkt);
        if (kind == UDP_NOTHING) {
            if (f->state == FLOW_BYPASS)
                classify_stop(p, f, false);
            p->current = NULL;
            return;
        }
        if (after_stun)
            f->syn_seen = true;
        if (!start_udp_session(p, f, kind, after_stun)) {
            if (quic_first)
                classify_quic_start(p, f, pkt);
            bypass(p, f);
            p->current = NULL;
            return;
        }
    }
    /* A new connection past its server's budget: tracked and reported,
     * its Initials not decrypted, by tlsmon or by nDPI
     * (classify_quic_start). */
    if (quic_first && f->quic &&
        !quic_budget_take(p->quic_budget, pkt->dst, pkt->dport, pkt->ts_us)) {
        quic_skip_initials(f->quic);
        p->stats.quic_initials_skipped++;
    }
    /* Bytes the snaplen cut: a frame's missing tail is its payload's. */
    uint32_t cut = pkt->payload_truncated ? pkt->wire_len - pkt->cap_len : 0;
    if (f->quic)
        quic_datagram(f->quic, side, pkt->payload, pkt->payload_len, cut,
                      pkt->ts_us);
    else if (f->dtls)
        dtls_datagram(f->dtls, side, pkt->payload, pkt->payload_len, cut,
                      pkt->ts_us);
    if (quic_first)
        classify_quic_start(p, f, pkt);
    if (tls_decided(f->tls) && !awaits_fallback(f))
        bypass(p, f);
    memcap_enforce(&p->budget);
    p->current = NULL;
    track_memory_peak(p);
}

/* An ICMP destination unreachable quoting a datagram of a flow: when the
 * server is what could not be reached and it never answered, that is how
 * the handshake ended. */
static void icmp_packet(struct pipeline *p, const struct packet *pkt)
{
    int side;
    struct flow *f = flow_lookup(&p->flows, pkt, &side, false);
    if (!f || !f->tls || f->state != FLOW_ACTIVE) {
        p->stats.packets_ignored++;
        p->stats.ignored_icmp++;
        return;
    }
    int cs = tls_client_side(f->tls);
    if (cs < 0)
        cs = f->syn_client_side;
    if (side != cs) {
        /* The client is gone (its port closed): not why it failed. */
        p->stats.packets_ignored++;
        p->stats.ignored_icmp++;
        return;
    }
    struct handshake *h = tls_record(f->tls);
    if (tls_decided(f->tls) || f->packets[1 - side] != 0) {
        p->stats.packets_ignored++; /* the server had answered: a stray */
        p->stats.ignored_icmp++;
        return;
    }
    h->icmp_unreach = (uint8_t)pkt->icmp_unreach;
    outcome_failed(h, ENDED_ICMP, TLS_SIDE_SERVER, pkt->ts_us);
    bypass(p, f);
}

void pipeline_frame(struct pipeline *p, int linktype, const uint8_t *frame,
                    uint32_t cap_len, uint32_t wire_len, uint64_t ts_us)
{
    struct packet pkt;
    p->stats.packets++;
    if (!p->frame_external)
        p->frame_no = p->stats.packets;
    p->order_minor = 0;
    p->stats.bytes += wire_len;
    if (p->stats.first_ts_us == 0 || ts_us < p->stats.first_ts_us)
        p->stats.first_ts_us = ts_us;
    if (ts_us > p->stats.last_ts_us)
        p->stats.last_ts_us = ts_us;
    if (cap_len < wire_len)
        p->stats.packets_truncated++;
    if (ts_us > p->now_us)
        p->now_us = ts_us;

    enum decode_status st = decode_packet(&p->decoder, linktype, frame,
                                          cap_len, wire_len, ts_us, &pkt);
    switch (st) {
    case DECODE_OK:
        if (pkt.icmp_unreach) {
            icmp_packet(p, &pkt);
        } else if (pkt.ip_proto == 6) {
            tcp_packet(p, &pkt);
        } else if (pkt.ip_proto == 17) {
            udp_packet(p, &pkt);
        } else {
            p->stats.packets_ignored++;
            p->stats.ignored_other_ip++;
        }
        break;
    case DECODE_HELD:
        break;
    case DECODE_IGNORED:
        p->stats.packets_ignored++;
        if (pkt.ip_version == 0)
            p->stats.ignored_not_ip++;
        else if (pkt.ip_proto == 1 || pkt.ip_proto == 58)
            p->stats.ignored_icmp++;
        else
            p->stats.ignored_other_ip++;
        break;
    case DECODE_MALFORMED:
    case DECODE_UNSUPPORTED_LINK:
        p->stats.packets_malformed++;
        break;
    }

    if (!p->cfg.external_ticks && p->now_us >= p->next_expiry_us) {
        expire_idle(p);
        p->next_expiry_us = p->now_us + EXPIRY_INTERVAL_US;
    }
}

void pipeline_tick(struct pipeline *p, uint64_t now_us)
{
    if (now_us > p->now_us)
        p->now_us = now_us;
    expire_idle(p);
    p->next_expiry_us = p->now_us + EXPIRY_INTERVAL_US;
}

void pipeline_advance(struct pipeline *p, uint64_t now_us)
{
    if (now_us > p->now_us)
        p->now_us = now_us;
}

void pipeline_share(struct pipeline *p, struct pipeline *owner,
                    uint64_t first_flow_id, uint64_t step)
{
    p->id_first = first_flow_id;
    p->id_step = step;
    if (owner == p)
        return;
    if (!p->borrowed) {
        server_profiles_free(p->profiles);
        alert_flood_free(p->flood);
    }
    p->profiles = owner->profiles;
    p->flood = owner->flood;
    p->borrowed = true;
}

bool pipeline_set_order(struct pipeline *p, const struct decision_order *order,
                        size_t worker)
{
    if (!p->reports) {
        p->reports = calloc(HELD_MAX, sizeof(*p->reports));
        if (!p->reports)
            return false;
    }
    p->order = order;
    p->worker = worker;
    return true;
}

/* Error paths only: a run that ends normally has decided all it held. */
static void held_free_all(struct pipeline *p)
{
    for (; p->held_freed < p->held_pushed; p->held_freed++)
        tls_session_free(p->held[p->held_freed % HELD_MAX].tls);
    p->held_bytes = 0;
}

void pipeline_position(struct pipeline *p, uint64_t frame_no, uint64_t major,
                       bool by_age)
{
    if (frame_no) {
        p->frame_external = true;
        p->frame_no = frame_no;
    }
    p->order_major = major;
    p->order_minor = 0;
    p->order_by_age = by_age;
}

uint64_t pipeline_memory(const struct pipeline *p)
{
    return memory_in_use(p);
}

uint64_t pipeline_active_flows(const struct pipeline *p)
{
    return p->flows.live.count;
}

uint64_t pipeline_reassembly_bytes(const struct pipeline *p)
{
    return p->reassembly_held;
}

void pipeline_invalid_timestamp(struct pipeline *p)
{
    p->stats.timestamps_invalid++;
}

void pipeline_finish(struct pipeline *p)
{
    struct flow *f;
    while ((f = flow_oldest(&p->flows)) != NULL) {
        p->current = f;
        if (f->state == FLOW_ACTIVE) {
            struct sink_ctx ctx = {p, f};
            struct stream_sink sink = {on_stream_data, on_stream_gap, &ctx};
            for (int s = 0; s < 2 && !f->decided_in_callback; s++)
                tcp_stream_flush(&f->stream[s], &p->limits, s, p->now_us,
                                 &sink);
        }
        end_flow(p, f, ENDED_CAPTURE_END);
    }
    p->current = NULL;
    p->stats.packets_too_deep = p->decoder.stats.too_deep;
    p->stats.ip_fragments = p->decoder.stats.fragments;
    p->stats.ip_reassembled = p->decoder.stats.reassembled;
    p->stats.ip_frag_dropped = p->decoder.stats.frag_dropped;
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    struct flow *f;
    while ((f = flow_oldest(&p->flows)) != NULL) {
        release_flow_state(p, f);
        flow_remove(&p->flows, f);
    }
    flow_table_free(&p->flows);
    classifier_free(p->classifier);
    decoder_free(&p->decoder);
    x509_stage_free(p->x509);
    quic_budget_free(p->quic_budget);
    if (!p->borrowed) {
        server_profiles_free(p->profiles);
        alert_flood_free(p->flood);
    }
    held_free_all(p);
    free(p->reports);
    output_scratch_free(&p->scratch);
    free(p);
}
