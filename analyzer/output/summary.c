/* summary.c — end-of-run counts: what was seen, what failed, why, and where.
 * Every table is fixed-size so a long live run cannot grow it; rankings are
 * made at print time, with ties broken by first appearance so the output is
 * stable for a given input. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "json_writer.h"
#include "../fields.h"
#include "../../dissectors/outcome.h"
#include "../../dissectors/tls_names.h"
#include "../../rules/engine.h"

bool summary_init(struct summary *s)
{
    memset(s, 0, sizeof(*s));
    s->servers = calloc(SUMMARY_SERVER_SLOTS, sizeof(*s->servers));
    return s->servers != NULL;
}

void summary_free(struct summary *s)
{
    free(s->servers);
    s->servers = NULL;
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

static bool is_failure(const struct handshake *h)
{
    return h->outcome == OUTCOME_FAILED || h->outcome == OUTCOME_NOT_TLS;
}

static const char *record_sni(const struct handshake *h)
{
    if (!h->ch.seen || !h->ch.has_sni ||
        memchr(h->ch.sni, '\0', sizeof(h->ch.sni)) == NULL)
        return "";
    return h->ch.sni;
}

static uint32_t server_hash(const struct endpoint *ep, const char *sni)
{
    /* FNV-1a: the keys are not chosen to collide by anyone we care about
     * beyond slowing a summary table down, which stays bounded anyway. */
    uint32_t hash = 2166136261u;
    const uint8_t *p = ep->addr;
    for (size_t i = 0; i < sizeof(ep->addr); i++)
        hash = (hash ^ p[i]) * 16777619u;
    hash = (hash ^ (ep->port & 0xff)) * 16777619u;
    hash = (hash ^ (ep->port >> 8)) * 16777619u;
    hash = (hash ^ ep->ip_version) * 16777619u;
    for (; *sni; sni++)
        hash = (hash ^ (uint8_t)*sni) * 16777619u;
    return hash;
}

static bool same_server(const struct summary_server *e,
                        const struct endpoint *ep, const char *sni)
{
    return e->ep.ip_version == ep->ip_version && e->ep.port == ep->port &&
           memcmp(e->ep.addr, ep->addr, sizeof(ep->addr)) == 0 &&
           strcmp(e->sni, sni) == 0;
}

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

static void count_failing_server(struct summary *s, const struct handshake *h)
{
    if (!s->servers) {
        s->servers_untracked++;
        return;
    }
    const char *sni = record_sni(h);
    size_t slot = server_hash(&h->server, sni) % SUMMARY_SERVER_SLOTS;
    for (size_t probe = 0; probe < SUMMARY_SERVER_SLOTS; probe++) {
        struct summary_server *e = &s->servers[slot];
        if (e->used && same_server(e, &h->server, sni)) {
            e->count++;
            if (h->flow_start_us < e->first_us)
                e->first_us = h->flow_start_us;
            note_cause(e, h);
            return;
        }
        if (!e->used) {
            if (s->n_servers >= SUMMARY_MAX_SERVERS)
                break;
            e->used = true;
            e->first_us = h->flow_start_us;
            e->count = 1;
            e->ep = h->server;
            snprintf(e->sni, sizeof(e->sni), "%s", sni);
            note_cause(e, h);
            s->n_servers++;
            return;
        }
        slot = (slot + 1) % SUMMARY_SERVER_SLOTS;
    }
    s->servers_untracked++;
}

void summary_add(struct summary *s, const struct handshake *h)
{
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
    } else if (h->diagnosed && is_failure(h)) {
        s->failures_unexplained++;
    }
    if (!is_failure(h))
        return;

    s->failures++;
    const struct tls_alert *a = fields_deciding_alert(h);
    if (a && a->sender <= TLS_SIDE_SERVER)
        s->alerts[a->sender][a->encrypted ? SUMMARY_ALERT_ENCRYPTED
                                          : a->description]++;
    else
        s->failures_without_alert++;
    if ((unsigned)h->failure_stage < STAGE_COUNT)
        s->by_stage[h->failure_stage]++;
    if ((unsigned)h->ended_by <= ENDED_NOT_TLS)
        s->by_ended_by[h->ended_by]++;
    count_failing_server(s, h);
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

/* Servers tied on count and first failure time go in address, port and
 * name order (slots are hash positions: no order a reader could follow). */
static bool server_ranks_above(const struct ranked *a, const struct ranked *b,
                               const void *ctx)
{
    if (a->count != b->count || a->order != b->order)
        return ranks_above(a, b, NULL);
    const struct summary *sum = ctx;
    const struct summary_server *sa = &sum->servers[a->index];
    const struct summary_server *sb = &sum->servers[b->index];
    int c = memcmp(sa->ep.addr, sb->ep.addr, sizeof sa->ep.addr);
    if (c == 0)
        c = (int)sa->ep.port - (int)sb->ep.port;
    if (c == 0)
        c = strcmp(sa->sni, sb->sni);
    return c < 0;
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
    if (!s->servers)
        return 0;
    for (size_t i = 0; i < SUMMARY_SERVER_SLOTS; i++)
        if (s->servers[i].used)
            top_insert(top, &k,
                       (struct ranked){s->servers[i].count,
                                       s->servers[i].first_us, i},
                       server_ranks_above, s);
    return k;
}

static void alert_of_index(size_t index, int *side, bool *encrypted,
                           uint8_t *code)
{
    *side = (int)(index / (SUMMARY_ALERT_ENCRYPTED + 1));
    size_t c = index % (SUMMARY_ALERT_ENCRYPTED + 1);
    *encrypted = c == SUMMARY_ALERT_ENCRYPTED;
    *code = *encrypted ? 0 : (uint8_t)c;
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
    default: return ANSI_YELLOW;
    }
}

static void heading(FILE *fp, bool color, const char *title)
{
    fprintf(fp, "%s%s%s\n", color ? ANSI_BOLD : "", title,
            color ? ANSI_RESET : "");
}

void summary_print_text(FILE *fp, const struct summary *s,
                        const struct run_stats *st, bool color)
{
    struct ranked top[SUMMARY_TOP];
    char buf[128], sni[HS_SNI_LEN * 4];
    size_t k;

    heading(fp, color, "summary");
    fprintf(fp, "  handshakes  %" PRIu64, s->handshakes);
    for (int o = OUTCOME_UNDECIDED; o <= OUTCOME_REFUSED; o++) {
        if (s->by_outcome[o] == 0)
            continue;
        fprintf(fp, "  %s%s%s %" PRIu64, color ? outcome_color(o) : "",
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
            int side;
            bool enc;
            uint8_t code;
            alert_of_index(top[i].index, &side, &enc, &code);
            if (enc)
                fprintf(fp, "  %8" PRIu64 "  %s encrypted alert\n",
                        top[i].count, fields_side_name(side));
            else
                fprintf(fp, "  %8" PRIu64 "  %s %s(%u)\n", top[i].count,
                        fields_side_name(side),
                        fields_alert_description(code, buf, sizeof(buf)),
                        (unsigned)code);
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

        heading(fp, color, "failures ended by");
        for (int e = 0; e <= ENDED_NOT_TLS; e++)
            if (s->by_ended_by[e])
                fprintf(fp, "  %8" PRIu64 "  %s\n", s->by_ended_by[e],
                        e == ENDED_NONE ? "undecided"
                                        : ended_by_name((enum hs_ended_by)e));

        heading(fp, color, "top failing servers");
        k = top_servers(s, top);
        for (size_t i = 0; i < k; i++) {
            const struct summary_server *e = &s->servers[top[i].index];
            fprintf(fp, "  %8" PRIu64 "  %s", e->count,
                    server_string(&e->ep, buf, sizeof(buf)));
            if (e->sni[0])
                fprintf(fp, " [%s]",
                        fields_printable(e->sni, sni, sizeof(sni)));
            if (e->cause)
                fprintf(fp, "  %s (fix: %s)", e->cause,
                        rules_fix_name((enum rule_fix)e->fix));
            fputc('\n', fp);
        }
        if (s->servers_untracked)
            fprintf(fp, "  %8" PRIu64 "  (servers past the table)\n",
                    s->servers_untracked);
    }

    if (st) {
        heading(fp, color, "run");
        fprintf(fp,
                "  files %" PRIu64 " (%" PRIu64 " failed)  packets %" PRIu64
                " (%" PRIu64 " malformed, %" PRIu64 " truncated, %" PRIu64
                " ignored)\n",
                st->files, st->files_failed, st->packets,
                st->packets_malformed, st->packets_truncated,
                st->packets_ignored);
        fprintf(fp,
                "  flows %" PRIu64 " (%" PRIu64 " tls, %" PRIu64
                " evicted, %" PRIu64 " timed out)  gaps %" PRIu64 " (%" PRIu64
                " bytes)\n",
                st->flows, st->flows_tls, st->flows_evicted,
                st->flows_timed_out, st->tcp_gaps, st->tcp_gap_bytes);
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

static void write_run_stats(struct json_writer *w, const struct run_stats *st)
{
    json_key(w, "run");
    json_begin_object(w);
    json_member_uint(w, "files", st->files);
    json_member_uint(w, "files_failed", st->files_failed);
    json_member_uint(w, "packets", st->packets);
    json_member_uint(w, "bytes", st->bytes);
    json_member_uint(w, "packets_ignored", st->packets_ignored);
    json_member_uint(w, "packets_malformed", st->packets_malformed);
    json_member_uint(w, "packets_truncated", st->packets_truncated);
    json_member_uint(w, "ip_fragments", st->ip_fragments);
    json_member_uint(w, "ip_reassembled", st->ip_reassembled);
    json_member_uint(w, "ip_frag_dropped", st->ip_frag_dropped);
    json_member_uint(w, "flows", st->flows);
    json_member_uint(w, "flows_tls", st->flows_tls);
    json_member_uint(w, "flows_evicted", st->flows_evicted);
    json_member_uint(w, "flows_timed_out", st->flows_timed_out);
    json_member_uint(w, "flows_active_max", st->flows_active_max);
    json_member_uint(w, "tcp_gaps", st->tcp_gaps);
    json_member_uint(w, "tcp_gap_bytes", st->tcp_gap_bytes);
    json_member_uint(w, "reassembly_bytes_max", st->reassembly_bytes_max);
    json_member_uint(w, "handshakes", st->handshakes);
    json_member_uint(w, "alerts", st->alerts);
    json_member_uint(w, "alerts_suppressed", st->alerts_suppressed);
    json_member_uint(w, "server_profiles_evicted", st->server_profiles_evicted);
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
    json_key(w, "event");
    json_begin_object(w);
    json_key(w, "kind");
    json_string(w, "metric");
    json_key(w, "dataset");
    json_string(w, "tlsmon.summary");
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

    json_key(w, "outcomes");
    json_begin_object(w);
    for (int o = OUTCOME_UNDECIDED; o <= OUTCOME_REFUSED; o++)
        json_member_uint(w, outcome_name((enum hs_outcome)o), s->by_outcome[o]);
    json_end_object(w);

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
        int side;
        bool enc;
        uint8_t code;
        alert_of_index(top[i].index, &side, &enc, &code);
        json_begin_object(w);
        json_key(w, "sender");
        json_string(w, fields_side_name(side));
        if (enc) {
            json_key(w, "encrypted");
            json_bool(w, true);
        } else {
            json_key(w, "description");
            json_string(w, fields_alert_description(code, buf, sizeof(buf)));
            json_key(w, "code");
            json_int(w, code);
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
    for (int e = 0; e <= ENDED_NOT_TLS; e++)
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
        json_key(w, "ip");
        json_string(w, fields_ip_string(&e->ep, buf, sizeof(buf)));
        json_key(w, "port");
        json_int(w, e->ep.port);
        if (e->sni[0]) {
            json_key(w, "server_name");
            json_string(w, e->sni);
        }
        if (e->cause) {
            json_key(w, "cause");
            json_string(w, e->cause);
            json_key(w, "fix");
            json_string(w, rules_fix_name((enum rule_fix)e->fix));
        }
        json_member_uint(w, "count", e->count);
        json_end_object(w);
    }
    json_end_array(w);
    json_member_uint(w, "failing_servers_untracked", s->servers_untracked);

    if (st)
        write_run_stats(w, st);
    json_end_object(w); /* summary */
    json_end_object(w); /* tlsmon */
    json_end_object(w);
}
