/* summary.c — end-of-run counts: what was seen, what failed, why, and where.
 * Every table is fixed-size so a long live run cannot grow it; rankings are
 * made at print time, with ties broken by first appearance so the output is
 * stable for a given input. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "array_len.h"
#include "json_writer.h"
#include "../baseline.h"
#include "../fields.h"
#include "fnv1a.h"
#include "str_copy.h"
#include "../../dissectors/outcome.h"
#include "../../dissectors/tls_messages.h"
#include "../../dissectors/tls_names.h"
#include "../../rules/engine.h"

bool summary_init(struct summary *s)
{
    memset(s, 0, sizeof(*s));
    s->servers = calloc(SUMMARY_SERVER_SLOTS, sizeof(*s->servers));
    s->clients = calloc(SUMMARY_CLIENT_SLOTS, sizeof(*s->clients));
    return s->servers != NULL && s->clients != NULL;
}

void summary_free(struct summary *s)
{
    free(s->servers);
    free(s->clients);
    s->servers = NULL;
    s->clients = NULL;
}

struct summary_slots summary_server_slots(const struct summary *s)
{
    return (struct summary_slots){s->servers, sizeof(*s->servers),
                                  s->servers ? SUMMARY_SERVER_SLOTS : 0};
}

struct summary_slots summary_client_slots(const struct summary *s)
{
    return (struct summary_slots){s->clients, sizeof(*s->clients),
                                  s->clients ? SUMMARY_CLIENT_SLOTS : 0};
}

const struct summary_entry *summary_slot_entry(struct summary_slots t,
                                               size_t i)
{
    /* The entry is the first member of both slot types. */
    const struct summary_entry *e =
        (const void *)((const char *)t.slots + i * t.size);
    return e->used ? e : NULL;
}

static void tally(struct summary_tally *t, size_t *n, size_t cap,
                  uint64_t *other, uint32_t key)
{
    for (size_t i = 0; i < *n; i++) {
        if (t[i].key == key) {
            t[i].count++;
            return;
        }
    }
    if (*n == cap) {
        (*other)++;
        return;
    }
    t[*n].key = key;
    t[*n].count = 1;
    (*n)++;
}

static const char *record_sni(const struct handshake *h)
{
    if (!h->ch.seen || !h->ch.has_sni)
        return "";
    return h->ch.sni;
}

static uint32_t server_hash(const struct endpoint *ep, const char *sni)
{
    /* FNV-1a: the keys are not chosen to collide by anyone we care about
     * beyond slowing a summary table down, which stays bounded anyway. */
    uint32_t hash = fnv1a32_bytes(FNV1A32_START, ep->addr, sizeof(ep->addr));
    hash = fnv1a32_mix(hash, ep->port & 0xff);
    hash = fnv1a32_mix(hash, ep->port >> 8);
    hash = fnv1a32_mix(hash, ep->ip_version);
    return fnv1a32_str(hash, sni);
}

static bool same_server(const struct summary_server *e,
                        const struct endpoint *ep, const char *sni)
{
    return e->ep.ip_version == ep->ip_version && e->ep.port == ep->port &&
           memcmp(e->ep.addr, ep->addr, sizeof(ep->addr)) == 0 &&
           strcmp(e->sni, sni) == 0;
}

_Static_assert(SUMMARY_MAX_CAUSES >= RULES_MAX_CAUSES,
               "the summary counts every cause the catalogue can hold");

static size_t cause_index(const char *id)
{
    for (size_t i = 0; i < rules_causes_count() && i < SUMMARY_MAX_CAUSES;
         i++)
        if (strcmp(rules_cause_at(i)->id, id) == 0)
            return i;
    return SUMMARY_MAX_CAUSES;
}

static void note_cause(struct summary_server *e, const struct handshake *h)
{
    const struct rule *r = rules_primary(h);
    if (r && (!e->cause || h->decided_us >= e->cause_us)) {
        e->cause = rules_cause_find(r->cause)->id;
        e->fix = (uint8_t)r->fix;
        e->cause_us = h->decided_us;
    }
}

/* The record's primary cause counted in a per-entry table. */
static void count_cause(struct summary_causes *c, const struct handshake *h)
{
    const struct rule *r = rules_primary(h);
    if (!r)
        return;
    size_t idx = cause_index(r->cause);
    if (idx >= SUMMARY_MAX_CAUSES)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->top[i].cause == idx && c->top[i].fix == (uint8_t)r->fix) {
            c->top[i].count++;
            return;
        }
    if (c->n == SUMMARY_ENTRY_CAUSES) {
        c->other++;
        return;
    }
    c->top[c->n++] = (struct summary_cause_count){(uint8_t)idx,
                                                  (uint8_t)r->fix, 1};
}

/* What the server chose and showed in this handshake. */
static void note_accepted(struct summary_server *e, const struct handshake *h)
{
    if (h->sh.seen && h->outcome == OUTCOME_ESTABLISHED) {
        bool have = false;
        for (size_t i = 0; i < e->n_versions; i++)
            have |= e->versions[i] == h->sh.version;
        if (!have && e->n_versions < SUMMARY_SERVER_VERSIONS)
            e->versions[e->n_versions++] = h->sh.version;
        have = false;
        for (size_t i = 0; i < e->n_suites; i++)
            have |= e->suites[i] == h->sh.cipher;
        if (!have && e->n_suites < SUMMARY_SERVER_SUITES)
            e->suites[e->n_suites++] = h->sh.cipher;
        else if (!have)
            e->suites_more = true;
    }
    const struct cert_result *c = &h->report->server_cert;
    if (!c->visible || !c->leaf_parsed || !c->times_checked)
        return;
    e->not_yet_valid |= c->not_yet_valid;
    if (!e->has_expiry || c->days_to_expiry < e->days_to_expiry) {
        e->has_expiry = true;
        e->days_to_expiry = c->days_to_expiry;
    }
}

/* An unused slot of either table taken for a new entry, unless the table
 * holds `max` entries already. */
static bool entry_claim(struct summary_entry *e, size_t *n, size_t max,
                        const struct handshake *h)
{
    if (*n >= max)
        return false;
    e->used = true;
    e->first_us = h->flow_start_us;
    (*n)++;
    return true;
}

/* A handshake counted in an entry of either table. */
static void entry_add(struct summary_entry *e, const struct handshake *h,
                      bool failed)
{
    e->handshakes++;
    if (h->flow_start_us < e->first_us)
        e->first_us = h->flow_start_us;
    e->failed += failed;
    count_cause(&e->causes, h);
}

static void count_server(struct summary *s, const struct handshake *h)
{
    bool failed = outcome_is_failure(h->outcome);
    if (!s->servers) {
        s->servers_untracked += failed;
        s->servers_untracked_handshakes++;
        return;
    }
    const char *sni = record_sni(h);
    size_t slot = server_hash(&h->server, sni) % SUMMARY_SERVER_SLOTS;
    for (size_t probe = 0; probe < SUMMARY_SERVER_SLOTS; probe++) {
        struct summary_server *e = &s->servers[slot];
        if (!e->entry.used) {
            if (!entry_claim(&e->entry, &s->n_servers, SUMMARY_MAX_SERVERS,
                             h))
                break;
            e->ep = h->server;
            snprintf(e->sni, sizeof(e->sni), "%s", sni);
        }
        if (same_server(e, &h->server, sni)) {
            entry_add(&e->entry, h, failed);
            if (failed)
                note_cause(e, h);
            note_accepted(e, h);
            posture_counts_add(&e->posture, h);
            return;
        }
        slot = (slot + 1) % SUMMARY_SERVER_SLOTS;
    }
    s->servers_untracked += failed;
    s->servers_untracked_handshakes++;
}

/* A ClientHello's fingerprint: JA4, else JA3; NULL without either
 * (fingerprint.c always terminates them). */
static const char *client_key(const struct handshake *h)
{
    if (h->report->ja4[0])
        return h->report->ja4;
    if (h->report->ja3[0])
        return h->report->ja3;
    return NULL;
}

static void count_client(struct summary *s, const struct handshake *h)
{
    const char *key = client_key(h);
    if (!key)
        return;
    if (!s->clients) {
        s->clients_untracked++;
        return;
    }
    size_t slot = fnv1a32_str(FNV1A32_START, key) % SUMMARY_CLIENT_SLOTS;
    for (size_t probe = 0; probe < SUMMARY_CLIENT_SLOTS; probe++) {
        struct summary_client *e = &s->clients[slot];
        if (!e->entry.used) {
            if (!entry_claim(&e->entry, &s->n_clients, SUMMARY_MAX_CLIENTS,
                             h))
                break;
            snprintf(e->ja4, sizeof(e->ja4), "%s", h->report->ja4);
            snprintf(e->ja3, sizeof(e->ja3), "%s", h->report->ja3);
            str_copy(e->sni, sizeof(e->sni), record_sni(h));
        }
        const char *ek = e->ja4[0] ? e->ja4 : e->ja3;
        if (strcmp(ek, key) == 0) {
            entry_add(&e->entry, h, outcome_is_failure(h->outcome));
            uint16_t top =
                h->ch.seen ? client_hello_highest_version(&h->ch) : 0;
            if (tls_version_rank(top) > tls_version_rank(e->highest_version))
                e->highest_version = top;
            return;
        }
        slot = (slot + 1) % SUMMARY_CLIENT_SLOTS;
    }
    s->clients_untracked++;
}

void summary_add(struct summary *s, const struct handshake *h)
{
    posture_summary_add(&s->posture, h);
    s->handshakes++;
    if ((unsigned)h->outcome <= OUTCOME_REFUSED)
        s->by_outcome[h->outcome]++;
    if (h->sh.seen && h->sh.version != 0)
        tally(s->versions, &s->n_versions, SUMMARY_MAX_VERSIONS,
              &s->versions_other, h->sh.version);
    if (h->sh.seen)
        tally(s->ciphers, &s->n_ciphers, SUMMARY_MAX_CIPHERS,
              &s->ciphers_other, h->sh.cipher);
    const struct rule *primary = rules_primary(h);
    /* The built-in rule for what no other rule explains is counted as
     * unexplained, not as a cause. */
    if (primary && strcmp(primary->cause, "unknown") == 0)
        primary = NULL;
    if (primary) {
        size_t c = cause_index(primary->cause);
        if (c < SUMMARY_MAX_CAUSES && (unsigned)primary->fix < SUMMARY_FIXES)
            s->by_cause[c][primary->fix]++;
    } else if (h->report->diagnosed && outcome_is_failure(h->outcome)) {
        s->failures_unexplained++;
    }
    count_server(s, h);
    count_client(s, h);
    if (!outcome_is_failure(h->outcome))
        return;

    s->failures++;
    if (h->outcome == OUTCOME_REFUSED) {
        /* No TLS was spoken: no alert, stage or close to count. */
        s->failures_refused++;
        return;
    }
    const struct tls_alert *a = outcome_deciding_alert(h);
    if (a && a->sender <= TLS_SIDE_SERVER)
        s->alerts[a->sender][a->encrypted ? SUMMARY_ALERT_ENCRYPTED
                                          : a->description]++;
    else
        s->failures_without_alert++;
    if ((unsigned)h->failure_stage < STAGE_COUNT)
        s->by_stage[h->failure_stage]++;
    if ((unsigned)h->ended_by < ENDED_COUNT)
        s->by_ended_by[h->ended_by]++;
}

/* ---- rankings ----------------------------------------------------------- */

/* Rankings must not depend on the order records arrive in (workers report
 * in any order): ties go to the lower `order`, a packet time or a key. */
struct ranked {
    uint64_t count;
    uint64_t order; /* lower first among equal counts */
    size_t index;
};

static bool ranks_above(const struct ranked *a, const struct ranked *b,
                        const void *ctx)
{
    (void)ctx;
    return a->count > b->count ||
           (a->count == b->count &&
            (a->order < b->order ||
             (a->order == b->order && a->index < b->index)));
}

typedef bool ranks_above_fn(const struct ranked *, const struct ranked *,
                            const void *);

/* Keep the best SUMMARY_TOP entries in `top` (n of them), best first. */
static void top_insert(struct ranked *top, size_t *n, struct ranked r,
                       ranks_above_fn *above, const void *ctx)
{
    size_t pos = *n;
    while (pos > 0 && above(&r, &top[pos - 1], ctx))
        pos--;
    if (pos >= SUMMARY_TOP)
        return;
    size_t last = *n < SUMMARY_TOP ? *n : SUMMARY_TOP - 1;
    memmove(&top[pos + 1], &top[pos], (last - pos) * sizeof(*top));
    top[pos] = r;
    if (*n < SUMMARY_TOP)
        (*n)++;
}

/* Entries of the server or client table tied on counts and first time go
 * in the table's key order (slots are hash positions: no order a reader
 * could follow). */
struct entry_order {
    struct summary_slots slots;
    int (*key_order)(const void *a, const void *b);
};

static bool entry_ranks_above(const struct ranked *a, const struct ranked *b,
                              const void *ctx)
{
    if (a->count != b->count || a->order != b->order)
        return ranks_above(a, b, NULL);
    const struct entry_order *o = ctx;
    return o->key_order(summary_slot_entry(o->slots, a->index),
                        summary_slot_entry(o->slots, b->index)) < 0;
}

/* Servers: address, port, then name. */
static int server_key_order(const void *a, const void *b)
{
    const struct summary_server *x = a, *y = b;
    int c = memcmp(x->ep.addr, y->ep.addr, sizeof x->ep.addr);
    if (c == 0)
        c = (int)x->ep.port - (int)y->ep.port;
    if (c == 0)
        c = strcmp(x->sni, y->sni);
    return c;
}

int summary_client_key_order(const void *a, const void *b)
{
    const struct summary_client *x = a, *y = b;
    int c = strcmp(x->ja4, y->ja4);
    return c ? c : strcmp(x->ja3, y->ja3);
}

static size_t top_tallies(const struct summary_tally *t, size_t n,
                          struct ranked *top)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        top_insert(top, &k, (struct ranked){t[i].count, t[i].key, i},
                   ranks_above, NULL);
    return k;
}

static size_t top_alerts(const struct summary *s, struct ranked *top)
{
    size_t k = 0;
    for (size_t side = 0; side < 2; side++)
        for (size_t code = 0; code <= SUMMARY_ALERT_ENCRYPTED; code++) {
            uint64_t c = s->alerts[side][code];
            size_t index = side * (SUMMARY_ALERT_ENCRYPTED + 1) + code;
            if (c)
                top_insert(top, &k,
                           (struct ranked){c, (uint32_t)index, index},
                           ranks_above, NULL);
        }
    return k;
}

static size_t top_servers(const struct summary *s, struct ranked *top)
{
    size_t k = 0;
    struct entry_order order = {summary_server_slots(s), server_key_order};
    for (size_t i = 0; i < order.slots.n; i++) {
        const struct summary_entry *e = summary_slot_entry(order.slots, i);
        if (e && e->failed)
            top_insert(top, &k, (struct ranked){e->failed, e->first_us, i},
                       entry_ranks_above, &order);
    }
    return k;
}

/* Failures first, then handshakes: the key one count carries. */
static uint64_t failures_then_handshakes(uint64_t failed, uint64_t hs)
{
    uint64_t f = failed > 0xffffffffu ? 0xffffffffu : failed;
    uint64_t n = hs > 0xffffffffu ? 0xffffffffu : hs;
    return f << 32 | n;
}

/* An alert as counted in summary.alerts, from its index there. */
struct counted_alert {
    int side;
    bool encrypted;
    uint8_t code; /* 0 when encrypted */
};

static struct counted_alert alert_of_index(size_t index)
{
    size_t c = index % (SUMMARY_ALERT_ENCRYPTED + 1);
    bool encrypted = c == SUMMARY_ALERT_ENCRYPTED;
    return (struct counted_alert){
        (int)(index / (SUMMARY_ALERT_ENCRYPTED + 1)), encrypted,
        encrypted ? 0 : (uint8_t)c};
}

/* "10.0.0.5:443" or "[2001:db8::1]:443". */
static const char *server_string(const struct endpoint *ep, char *buf,
                                 size_t n)
{
    char ip[64];
    fields_ip_string(ep, ip, sizeof(ip));
    if (ep->ip_version == 6)
        snprintf(buf, n, "[%s]:%u", ip, (unsigned)ep->port);
    else
        snprintf(buf, n, "%s:%u", ip, (unsigned)ep->port);
    return buf;
}

/* ---- text --------------------------------------------------------------- */

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RESET "\033[0m"

static const char *outcome_color(enum hs_outcome o)
{
    switch (o) {
    case OUTCOME_ESTABLISHED: return ANSI_GREEN;
    case OUTCOME_FAILED:
    case OUTCOME_NOT_TLS: return ANSI_RED;
    default: return ANSI_YELLOW; /* refused too, as on the text line */
    }
}

static void heading(FILE *fp, bool color, const char *title)
{
    fprintf(fp, "%s%s%s\n", color ? ANSI_BOLD : "", title,
            color ? ANSI_RESET : "");
}

/* "untrusted_cert 3 (fix: server), cert_expired 1 (fix: server)" */
static void print_causes(FILE *fp, const struct summary_causes *in)
{
    /* Most frequent first; equal counts in the order they came. */
    struct summary_causes sorted = *in, *c = &sorted;
    for (size_t i = 1; i < c->n; i++)
        for (size_t j = i; j > 0 && c->top[j].count > c->top[j - 1].count;
             j--) {
            struct summary_cause_count t = c->top[j];
            c->top[j] = c->top[j - 1];
            c->top[j - 1] = t;
        }
    for (size_t i = 0; i < c->n; i++)
        fprintf(fp, "%s%s %" PRIu32 " (fix: %s)", i ? ", " : "",
                rules_cause_at(c->top[i].cause)->id, c->top[i].count,
                rules_fix_name((enum rule_fix)c->top[i].fix));
    if (c->other)
        fprintf(fp, ", %" PRIu64 " other", c->other);
}

/* ---- the server and client-fingerprint tables --------------------------- */

/* The server table and the client-fingerprint table are ranked, printed
 * and written alike: most failures first, the top SUMMARY_TOP one per row,
 * the rest summed on a "N more" line. A table says where they differ. */
struct entry_sizes {
    size_t used;                   /* entries in the table */
    uint64_t untracked_handshakes; /* handshakes past the table */
    uint64_t untracked_failed;     /* their failures, if counted */
};

struct entry_table {
    const char *title, *column; /* text heading; column after the counts */
    const char *noun, *json_key; /* "N more <noun>"; "<json_key>_more" */
    int max_entries;
    bool untracked_failures_counted;
    struct summary_slots (*slots)(const struct summary *s);
    int (*key_order)(const void *a, const void *b); /* ties */
    struct entry_sizes (*sizes)(const struct summary *s);
    /* The text after the counts, through its last line; the members of
     * the row's JSON object. */
    void (*print_row)(FILE *fp, const void *entry);
    void (*write_row)(struct json_writer *w, const void *entry);
};

static size_t top_entries(const struct summary *s, const struct entry_table *t,
                          struct ranked *top)
{
    size_t k = 0;
    struct entry_order order = {t->slots(s), t->key_order};
    for (size_t i = 0; i < order.slots.n; i++) {
        const struct summary_entry *e = summary_slot_entry(order.slots, i);
        if (e)
            top_insert(top, &k,
                       (struct ranked){failures_then_handshakes(
                                           e->failed, e->handshakes),
                                       e->first_us, i},
                       entry_ranks_above, &order);
    }
    return k;
}

/* Handshakes and failures of the entries past the top `k`. */
static void entries_not_shown(struct summary_slots slots,
                              const struct ranked *top, size_t k,
                              uint64_t *handshakes, uint64_t *failed)
{
    *handshakes = *failed = 0;
    for (size_t i = 0; i < slots.n; i++) {
        const struct summary_entry *e = summary_slot_entry(slots, i);
        *handshakes += e ? e->handshakes : 0;
        *failed += e ? e->failed : 0;
    }
    for (size_t i = 0; i < k; i++) {
        const struct summary_entry *e = summary_slot_entry(slots, top[i].index);
        *handshakes -= e->handshakes;
        *failed -= e->failed;
    }
}

static void print_entry_table(FILE *fp, const struct summary *s,
                              const struct entry_table *t, bool color)
{
    struct ranked top[SUMMARY_TOP];
    struct summary_slots slots = t->slots(s);
    size_t k = top_entries(s, t, top);
    if (k == 0)
        return;
    heading(fp, color, t->title);
    fprintf(fp, "  handshakes  failed  %s\n", t->column);
    for (size_t i = 0; i < k; i++) {
        const struct summary_entry *e = summary_slot_entry(slots, top[i].index);
        fprintf(fp, "  %10" PRIu64 "  %6" PRIu64 "  ", e->handshakes,
                e->failed);
        t->print_row(fp, e);
    }
    uint64_t hs_rest, failed_rest;
    entries_not_shown(slots, top, k, &hs_rest, &failed_rest);
    struct entry_sizes n = t->sizes(s);
    if (n.used > k)
        fprintf(fp, "  %10" PRIu64 "  %6" PRIu64 "  %zu more %s\n", hs_rest,
                failed_rest, n.used - k, t->noun);
    if (n.untracked_handshakes) {
        fprintf(fp, "  %10" PRIu64, n.untracked_handshakes);
        if (t->untracked_failures_counted)
            fprintf(fp, "  %6" PRIu64 "  ", n.untracked_failed);
        else
            fputs("          ", fp);
        fprintf(fp, "%s past the table (%d kept)\n", t->noun,
                t->max_entries);
    }
}

static void write_entry_table(struct json_writer *w, const struct summary *s,
                              const struct entry_table *t)
{
    struct ranked top[SUMMARY_TOP];
    struct summary_slots slots = t->slots(s);
    char key[64];
    size_t k = top_entries(s, t, top);
    json_key(w, t->json_key);
    json_begin_array(w);
    for (size_t i = 0; i < k; i++) {
        json_begin_object(w);
        t->write_row(w, summary_slot_entry(slots, top[i].index));
        json_end_object(w);
    }
    json_end_array(w);
    uint64_t hs_rest, failed_rest;
    entries_not_shown(slots, top, k, &hs_rest, &failed_rest);
    struct entry_sizes n = t->sizes(s);
    snprintf(key, sizeof(key), "%s_more", t->json_key);
    json_key(w, key);
    json_begin_object(w);
    json_member_uint(w, t->noun, n.used - k);
    json_member_uint(w, "handshakes", hs_rest);
    json_member_uint(w, "failed", failed_rest);
    json_member_uint(w, "untracked_handshakes", n.untracked_handshakes);
    json_end_object(w);
}

static void print_causes_line(FILE *fp, const struct summary_causes *c)
{
    if (!c->n && !c->other)
        return;
    fputs("                      causes: ", fp);
    print_causes(fp, c);
    fputc('\n', fp);
}

/* -- servers -- */

static struct entry_sizes server_sizes(const struct summary *s)
{
    return (struct entry_sizes){s->n_servers, s->servers_untracked_handshakes,
                                s->servers_untracked};
}

static void print_server_row(FILE *fp, const void *entry)
{
    const struct summary_server *e = entry;
    char buf[128], sni[HS_SNI_LEN * 4];
    fputs(server_string(&e->ep, buf, sizeof(buf)), fp);
    if (e->sni[0])
        fprintf(fp, " [%s]", fields_printable(e->sni, sni, sizeof(sni)));
    fputc('\n', fp);
    print_causes_line(fp, &e->entry.causes);
    if (e->n_versions || e->has_expiry) {
        fputs(e->n_versions ? "                      established with"
                            : "                      never established",
              fp);
        for (size_t v = 0; v < e->n_versions; v++)
            fprintf(fp, "%s%s", v ? ", " : " ",
                    fields_version_string(e->versions[v], buf,
                                          sizeof(buf)));
        for (size_t c = 0; c < e->n_suites; c++)
            fprintf(fp, "%s%s", c ? ", " : ": ",
                    fields_cipher_string(e->suites[c], buf, sizeof(buf)));
        if (e->suites_more)
            fputs(", ...", fp);
        if (e->not_yet_valid)
            fputs("; a certificate not valid yet", fp);
        if (e->has_expiry && e->days_to_expiry >= 0)
            fprintf(fp, "; certificate expires in %" PRId32 " days",
                    e->days_to_expiry);
        else if (e->has_expiry)
            fprintf(fp, "; certificate expired %" PRId32 " days ago",
                    -e->days_to_expiry);
        fputc('\n', fp);
    }
    posture_counts_print_line(fp, &e->posture, "                      ");
}

static void write_server_row(struct json_writer *w, const void *entry);

static const struct entry_table server_table = {
    "servers (most failures first)", "server", "servers", "servers",
    SUMMARY_MAX_SERVERS, true, summary_server_slots, server_key_order,
    server_sizes, print_server_row, write_server_row};

/* -- client fingerprints -- */

/* Fingerprints past the table are counted by handshake only. */
static struct entry_sizes client_sizes(const struct summary *s)
{
    return (struct entry_sizes){s->n_clients, s->clients_untracked, 0};
}

static void print_client_row(FILE *fp, const void *entry)
{
    const struct summary_client *e = entry;
    char buf[64], sni[256];
    fputs(e->ja4[0] ? e->ja4 : "-", fp);
    if (e->ja3[0])
        fprintf(fp, " (%s)", e->ja3);
    fputc('\n', fp);
    fprintf(fp, "                      offers up to %s",
            e->highest_version
                ? fields_version_string(e->highest_version, buf, sizeof(buf))
                : "?");
    if (e->sni[0])
        fprintf(fp, ", first asked for %s",
                fields_printable(e->sni, sni, sizeof(sni)));
    fputc('\n', fp);
    print_causes_line(fp, &e->entry.causes);
}

static void write_client_row(struct json_writer *w, const void *entry);

static const struct entry_table client_table = {
    "client fingerprints (most failures first)", "JA4 (JA3)", "fingerprints",
    "client_fingerprints", SUMMARY_MAX_CLIENTS, false, summary_client_slots,
    summary_client_key_order, client_sizes, print_client_row, write_client_row};

void summary_print_text(FILE *fp, const struct summary *s,
                        const struct run_stats *st, bool color)
{
    struct ranked top[SUMMARY_TOP];
    char buf[128];
    size_t k;

    heading(fp, color, "summary");
    if (s->view_filter)
        fprintf(fp, "  shown       %" PRIu64 " of %" PRIu64
                " handshakes (%s); everything below counts all of them\n",
                s->view_shown, s->handshakes, s->view_filter);
    fprintf(fp, "  handshakes  %" PRIu64, s->handshakes);
    for (int o = OUTCOME_UNDECIDED; o <= OUTCOME_REFUSED; o++) {
        if (s->by_outcome[o] == 0)
            continue;
        fprintf(fp, "  %s%s%s %" PRIu64, color ? outcome_color((enum hs_outcome)o) : "",
                outcome_name((enum hs_outcome)o), color ? ANSI_RESET : "",
                s->by_outcome[o]);
    }
    fputc('\n', fp);

    if (s->n_versions) {
        fputs("  versions   ", fp);
        k = top_tallies(s->versions, s->n_versions, top);
        for (size_t i = 0; i < k; i++)
            fprintf(fp, "  %s %" PRIu64,
                    fields_version_string(
                        (uint16_t)s->versions[top[i].index].key, buf,
                        sizeof(buf)),
                    top[i].count);
        if (s->versions_other)
            fprintf(fp, "  other %" PRIu64, s->versions_other);
        fputc('\n', fp);
    }

    if (s->n_ciphers) {
        heading(fp, color, "ciphers");
        k = top_tallies(s->ciphers, s->n_ciphers, top);
        for (size_t i = 0; i < k; i++)
            fprintf(fp, "  %8" PRIu64 "  %s\n", top[i].count,
                    fields_cipher_string(s->ciphers[top[i].index].key, buf,
                                         sizeof(buf)));
        if (s->n_ciphers > k || s->ciphers_other) {
            uint64_t rest = s->ciphers_other;
            for (size_t i = 0; i < s->n_ciphers; i++)
                rest += s->ciphers[i].count;
            for (size_t i = 0; i < k; i++)
                rest -= top[i].count;
            fprintf(fp, "  %8" PRIu64 "  (others)\n", rest);
        }
    }

    bool any_cause = s->failures_unexplained > 0;
    for (size_t c = 0; c < SUMMARY_MAX_CAUSES; c++)
        for (size_t f = 0; f < SUMMARY_FIXES; f++)
            any_cause |= s->by_cause[c][f] > 0;
    if (any_cause) {
        heading(fp, color, "diagnoses by cause (who must fix it)");
        for (size_t c = 0; c < rules_causes_count() && c < SUMMARY_MAX_CAUSES;
             c++)
            for (size_t f = 0; f < SUMMARY_FIXES; f++)
                if (s->by_cause[c][f])
                    fprintf(fp, "  %8" PRIu64 "  %-26s %-8s %s\n",
                            s->by_cause[c][f], rules_cause_at(c)->id,
                            rules_fix_name((enum rule_fix)f),
                            rules_cause_at(c)->summary);
        if (s->failures_unexplained)
            fprintf(fp, "  %8" PRIu64 "  %-26s %-8s %s\n",
                    s->failures_unexplained, "unknown", "-",
                    "failed, no rule explains it");
    }

    if (s->failures) {
        heading(fp, color, "failures by alert");
        k = top_alerts(s, top);
        for (size_t i = 0; i < k; i++) {
            struct counted_alert a = alert_of_index(top[i].index);
            if (a.encrypted)
                fprintf(fp, "  %8" PRIu64 "  %s encrypted alert\n",
                        top[i].count, fields_side_name(a.side));
            else
                fprintf(fp, "  %8" PRIu64 "  %s %s(%u)\n", top[i].count,
                        fields_side_name(a.side),
                        fields_alert_description(a.code, buf, sizeof(buf)),
                        (unsigned)a.code);
        }
        if (s->failures_without_alert)
            fprintf(fp, "  %8" PRIu64 "  no alert\n",
                    s->failures_without_alert);

        heading(fp, color, "failures by stage");
        for (int st_i = 0; st_i < STAGE_COUNT; st_i++) {
            if (!s->by_stage[st_i])
                continue;
            const char *name = stage_failure_name((enum hs_stage)st_i);
            fprintf(fp, "  %8" PRIu64 "  %s\n", s->by_stage[st_i],
                    name ? name : "unknown");
        }
        if (s->failures_refused)
            fprintf(fp, "  %8" PRIu64 "  starttls_refused\n",
                    s->failures_refused);

        heading(fp, color, "failures ended by");
        for (int e = 0; e < ENDED_COUNT; e++)
            if (s->by_ended_by[e])
                fprintf(fp, "  %8" PRIu64 "  %s\n", s->by_ended_by[e],
                        e == ENDED_NONE ? "undecided"
                                        : ended_by_name((enum hs_ended_by)e));
    }
    print_entry_table(fp, s, &server_table, color);
    print_entry_table(fp, s, &client_table, color);
    if (s->changes)
        run_changes_print_text(fp, s->changes, color);

    posture_summary_print_text(fp, &s->posture, color);

    if (st) {
        heading(fp, color, "run");
        fprintf(fp,
                "  files %" PRIu64 " (%" PRIu64 " failed)  packets %" PRIu64
                " (%" PRIu64 " malformed, %" PRIu64 " truncated, %" PRIu64
                " ignored)\n",
                st->files, st->files_failed, st->packets,
                st->packets_malformed, st->packets_truncated,
                st->packets_ignored);
        if (st->packets_ignored)
            fprintf(fp,
                    "  ignored: %" PRIu64 " not IP, %" PRIu64 " ICMP, %" PRIu64
                    " UDP not QUIC/DTLS, %" PRIu64 " other IP\n",
                    st->ignored_not_ip, st->ignored_icmp, st->ignored_udp,
                    st->ignored_other_ip);
        fprintf(fp,
                "  flows %" PRIu64 " (%" PRIu64 " tls, %" PRIu64
                " evicted, %" PRIu64 " timed out)  gaps %" PRIu64 " (%" PRIu64
                " bytes)\n",
                st->flows, st->flows_tls, st->flows_evicted,
                st->flows_timed_out, st->tcp_gaps, st->tcp_gap_bytes);
        if (st->quic_initials_skipped)
            fprintf(fp,
                    "  QUIC connections whose Initials were not decrypted "
                    "(--quic-decrypt-rate): %" PRIu64 "\n",
                    st->quic_initials_skipped);
        fprintf(fp,
                "  memory peak %" PRIu64 " bytes (%" PRIu64
                " growths refused)  queue-full gaps %" PRIu64
                "  late segments %" PRIu64 "  stream cap hits %" PRIu64
                "\n",
                st->memory_bytes_max, st->memcap_refused, st->tcp_cap_gaps,
                st->tcp_late_segments, st->stream_cap_hits);
        if (st->rst_out_of_window || st->timestamps_invalid ||
            st->packets_too_deep)
            fprintf(fp,
                    "  ignored: %" PRIu64 " out-of-window RSTs, %" PRIu64
                    " invalid timestamps, %" PRIu64 " packets nested too deep\n",
                    st->rst_out_of_window, st->timestamps_invalid,
                    st->packets_too_deep);
        if (st->alerts || st->alerts_suppressed)
            fprintf(fp, "  alerts %" PRIu64 " (%" PRIu64
                    " identical ones suppressed)\n",
                    st->alerts, st->alerts_suppressed);
        if (st->n_workers > 1) {
            fprintf(fp, "  workers %zu  packets", st->n_workers);
            for (size_t i = 0; i < st->n_workers; i++)
                fprintf(fp, "%s%" PRIu64, i ? "/" : " ",
                        st->worker_packets[i]);
            fputc('\n', fp);
        }
    }
}

/* ---- JSON --------------------------------------------------------------- */

static void write_causes(struct json_writer *w, const struct summary_causes *c)
{
    json_key(w, "causes");
    json_begin_array(w);
    for (size_t i = 0; i < c->n; i++) {
        json_begin_object(w);
        json_key(w, "cause");
        json_string(w, rules_cause_at(c->top[i].cause)->id);
        json_key(w, "fix");
        json_string(w, rules_fix_name((enum rule_fix)c->top[i].fix));
        json_member_uint(w, "count", c->top[i].count);
        json_end_object(w);
    }
    json_end_array(w);
    if (c->other)
        json_member_uint(w, "causes_other", c->other);
}

/* "ip", "port" and "server_name" (when it had one) of a server. */
static void write_server_id(struct json_writer *w,
                            const struct summary_server *e)
{
    char buf[64];
    json_key(w, "ip");
    json_string(w, fields_ip_string(&e->ep, buf, sizeof(buf)));
    json_key(w, "port");
    json_int(w, e->ep.port);
    if (e->sni[0]) {
        json_key(w, "server_name");
        json_string(w, e->sni);
    }
}

static void write_server_row(struct json_writer *w, const void *entry)
{
    const struct summary_server *e = entry;
    char buf[128];
    write_server_id(w, e);
    json_member_uint(w, "handshakes", e->entry.handshakes);
    json_member_uint(w, "failed", e->entry.failed);
    write_causes(w, &e->entry.causes);
    json_key(w, "versions");
    json_begin_array(w);
    for (size_t v = 0; v < e->n_versions; v++)
        json_string(w, fields_version_string(e->versions[v], buf,
                                             sizeof(buf)));
    json_end_array(w);
    json_key(w, "ciphers");
    json_begin_array(w);
    for (size_t c = 0; c < e->n_suites; c++)
        json_string(w, fields_cipher_string(e->suites[c], buf, sizeof(buf)));
    json_end_array(w);
    if (e->has_expiry) {
        json_key(w, "days_to_expiry");
        json_int(w, e->days_to_expiry);
    }
    posture_counts_write_json(w, &e->posture);
}

static void write_client_row(struct json_writer *w, const void *entry)
{
    const struct summary_client *e = entry;
    char buf[128];
    if (e->ja4[0]) {
        json_key(w, "ja4");
        json_string(w, e->ja4);
    }
    if (e->ja3[0]) {
        json_key(w, "ja3");
        json_string(w, e->ja3);
    }
    json_member_uint(w, "handshakes", e->entry.handshakes);
    json_member_uint(w, "failed", e->entry.failed);
    if (e->highest_version) {
        json_key(w, "highest_version");
        json_string(w, fields_version_string(e->highest_version, buf,
                                             sizeof(buf)));
    }
    if (e->sni[0]) {
        json_key(w, "server_name");
        json_string(w, e->sni);
    }
    write_causes(w, &e->entry.causes);
}

/* The per-server and per-fingerprint tables, most failures first, and
 * what the filter of the printed records was. */
static void write_tables(struct json_writer *w, const struct summary *s)
{
    write_entry_table(w, s, &server_table);
    write_entry_table(w, s, &client_table);
    json_member_uint(w, "failures_refused", s->failures_refused);
    if (s->view_filter) {
        json_key(w, "shown");
        json_begin_object(w);
        json_key(w, "filter");
        json_string(w, s->view_filter);
        json_member_uint(w, "handshakes", s->view_shown);
        json_end_object(w);
    }
}

void summary_write_outcomes(struct json_writer *w, const struct summary *s)
{
    json_key(w, "outcomes");
    json_begin_object(w);
    for (int o = OUTCOME_UNDECIDED; o <= OUTCOME_REFUSED; o++)
        json_member_uint(w, outcome_name((enum hs_outcome)o), s->by_outcome[o]);
    json_end_object(w);
}

void summary_begin_metric_event(struct json_writer *w, const char *dataset)
{
    json_write_ecs_version(w);
    json_key(w, "event");
    json_begin_object(w);
    json_key(w, "kind");
    json_string(w, "metric");
    json_key(w, "dataset");
    json_string(w, dataset);
}

#define RUN_COUNTER(key, member) {key, offsetof(struct run_stats, member)}

/* The run's counters, in the order the "run" object has them. */
static const struct json_counter run_input[] = {
    RUN_COUNTER("files", files),
    RUN_COUNTER("files_failed", files_failed),
    RUN_COUNTER("packets", packets),
    RUN_COUNTER("bytes", bytes),
    RUN_COUNTER("packets_ignored", packets_ignored),
};
static const struct json_counter run_ignored_by_kind[] = {
    RUN_COUNTER("not_ip", ignored_not_ip),
    RUN_COUNTER("icmp", ignored_icmp),
    RUN_COUNTER("udp_other", ignored_udp),
    RUN_COUNTER("other_ip", ignored_other_ip),
};
static const struct json_counter run_analysis[] = {
    RUN_COUNTER("packets_malformed", packets_malformed),
    RUN_COUNTER("packets_truncated", packets_truncated),
    RUN_COUNTER("packets_too_deep", packets_too_deep),
    RUN_COUNTER("timestamps_invalid", timestamps_invalid),
    RUN_COUNTER("ip_fragments", ip_fragments),
    RUN_COUNTER("ip_reassembled", ip_reassembled),
    RUN_COUNTER("ip_frag_dropped", ip_frag_dropped),
    RUN_COUNTER("flows", flows),
    RUN_COUNTER("flows_tls", flows_tls),
    RUN_COUNTER("flows_evicted", flows_evicted),
    RUN_COUNTER("quic_initials_skipped", quic_initials_skipped),
    RUN_COUNTER("flows_timed_out", flows_timed_out),
    RUN_COUNTER("flows_active_max", flows_active_max),
    RUN_COUNTER("tcp_gaps", tcp_gaps),
    RUN_COUNTER("tcp_gap_bytes", tcp_gap_bytes),
    RUN_COUNTER("tcp_cap_gaps", tcp_cap_gaps),
    RUN_COUNTER("tcp_late_segments", tcp_late_segments),
    RUN_COUNTER("rst_out_of_window", rst_out_of_window),
    RUN_COUNTER("stream_cap_hits", stream_cap_hits),
    RUN_COUNTER("reassembly_bytes_max", reassembly_bytes_max),
    RUN_COUNTER("memory_bytes_max", memory_bytes_max),
    RUN_COUNTER("memcap_refused", memcap_refused),
    RUN_COUNTER("handshakes", handshakes),
    RUN_COUNTER("alerts", alerts),
    RUN_COUNTER("alerts_suppressed", alerts_suppressed),
    RUN_COUNTER("server_profiles_evicted", server_profiles_evicted),
};

static void write_run_stats(struct json_writer *w, const struct run_stats *st)
{
    json_key(w, "run");
    json_begin_object(w);
    json_member_counters(w, st, run_input, ARRAY_LEN(run_input));
    json_key(w, "packets_ignored_by_kind");
    json_begin_object(w);
    json_member_counters(w, st, run_ignored_by_kind,
                         ARRAY_LEN(run_ignored_by_kind));
    json_end_object(w);
    json_member_counters(w, st, run_analysis, ARRAY_LEN(run_analysis));
    if (st->n_workers > 1) {
        json_key(w, "worker_packets");
        json_begin_array(w);
        for (size_t i = 0; i < st->n_workers; i++)
            json_uint(w, st->worker_packets[i]);
        json_end_array(w);
    }
    json_end_object(w);
}

void summary_write_json(struct json_writer *w, const struct summary *s,
                        const struct run_stats *st)
{
    struct ranked top[SUMMARY_TOP];
    char buf[128];
    size_t k;

    json_begin_object(w);
    if (st && st->last_ts_us) {
        json_key(w, "@timestamp");
        json_string(w, fields_time_string(st->last_ts_us, 6, buf,
                                          sizeof(buf)));
    }
    summary_begin_metric_event(w, "tlsmon.summary");
    if (st && st->first_ts_us) {
        json_key(w, "start");
        json_string(w, fields_time_string(st->first_ts_us, 6, buf,
                                          sizeof(buf)));
        json_key(w, "end");
        json_string(w, fields_time_string(st->last_ts_us, 6, buf,
                                          sizeof(buf)));
    }
    json_end_object(w);

    json_key(w, "tlsmon");
    json_begin_object(w);
    json_key(w, "summary");
    json_begin_object(w);
    json_member_uint(w, "handshakes", s->handshakes);

    summary_write_outcomes(w, s);

    json_key(w, "versions");
    json_begin_object(w);
    k = top_tallies(s->versions, s->n_versions, top);
    for (size_t i = 0; i < k; i++)
        json_member_uint(w,
                     fields_version_string(
                         (uint16_t)s->versions[top[i].index].key, buf,
                         sizeof(buf)),
                     top[i].count);
    if (s->versions_other)
        json_member_uint(w, "other", s->versions_other);
    json_end_object(w);

    json_key(w, "ciphers");
    json_begin_array(w);
    k = top_tallies(s->ciphers, s->n_ciphers, top);
    for (size_t i = 0; i < k; i++) {
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, fields_cipher_string(s->ciphers[top[i].index].key, buf,
                                            sizeof(buf)));
        json_member_uint(w, "count", top[i].count);
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "causes");
    json_begin_array(w);
    for (size_t c = 0; c < rules_causes_count() && c < SUMMARY_MAX_CAUSES; c++)
        for (size_t f = 0; f < SUMMARY_FIXES; f++) {
            if (!s->by_cause[c][f])
                continue;
            json_begin_object(w);
            json_key(w, "cause");
            json_string(w, rules_cause_at(c)->id);
            json_key(w, "fix");
            json_string(w, rules_fix_name((enum rule_fix)f));
            json_member_uint(w, "count", s->by_cause[c][f]);
            json_end_object(w);
        }
    json_end_array(w);
    json_member_uint(w, "failures_unexplained", s->failures_unexplained);

    json_member_uint(w, "failures", s->failures);
    json_key(w, "failure_alerts");
    json_begin_array(w);
    k = top_alerts(s, top);
    for (size_t i = 0; i < k; i++) {
        struct counted_alert a = alert_of_index(top[i].index);
        json_begin_object(w);
        json_key(w, "sender");
        json_string(w, fields_side_name(a.side));
        if (a.encrypted) {
            json_key(w, "encrypted");
            json_bool(w, true);
        } else {
            json_key(w, "description");
            json_string(w, fields_alert_description(a.code, buf, sizeof(buf)));
            json_key(w, "code");
            json_int(w, a.code);
        }
        json_member_uint(w, "count", top[i].count);
        json_end_object(w);
    }
    json_end_array(w);
    json_member_uint(w, "failures_without_alert", s->failures_without_alert);

    json_key(w, "failure_stages");
    json_begin_object(w);
    for (int i = 0; i < STAGE_COUNT; i++) {
        const char *name = stage_failure_name((enum hs_stage)i);
        if (s->by_stage[i])
            json_member_uint(w, name ? name : "unknown", s->by_stage[i]);
    }
    json_end_object(w);

    json_key(w, "failures_ended_by");
    json_begin_object(w);
    for (int e = 0; e < ENDED_COUNT; e++)
        if (s->by_ended_by[e])
            json_member_uint(w,
                         e == ENDED_NONE ? "undecided"
                                         : ended_by_name((enum hs_ended_by)e),
                         s->by_ended_by[e]);
    json_end_object(w);

    json_key(w, "failing_servers");
    json_begin_array(w);
    k = top_servers(s, top);
    for (size_t i = 0; i < k; i++) {
        const struct summary_server *e = &s->servers[top[i].index];
        json_begin_object(w);
        write_server_id(w, e);
        if (e->cause) {
            json_key(w, "cause");
            json_string(w, e->cause);
            json_key(w, "fix");
            json_string(w, rules_fix_name((enum rule_fix)e->fix));
        }
        json_member_uint(w, "count", e->entry.failed);
        json_end_object(w);
    }
    json_end_array(w);
    json_member_uint(w, "failing_servers_untracked", s->servers_untracked);
    posture_summary_write_json(w, &s->posture);

    if (st)
        write_run_stats(w, st);
    write_tables(w, s);
    if (s->changes)
        run_changes_write_json(w, s->changes);
    json_end_object(w); /* summary */
    json_end_object(w); /* tlsmon */
    json_end_object(w);
}
