/* summary_posture.c — the post-quantum and ECH part of the end-of-run
 * summary (see summary_posture.h). */
#include "summary_posture.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "array_len.h"
#include "json_writer.h"
#include "../../dissectors/tls_names.h"

void posture_counts_add(struct posture_counts *c, const struct handshake *h)
{
    if (!h->ch.seen)
        return;
    struct pq_posture pq;
    pq_posture(h, &pq);
    enum ech_status es = ech_status(h);
    c->hellos++;
    c->pq_offered += pq.n_offered > 0;
    switch (pq.status) {
    case PQ_NEGOTIATED:
    case PQ_NEGOTIATED_AFTER_HRR:
        c->pq_negotiated++;
        c->pq_after_hrr += pq.status == PQ_NEGOTIATED_AFTER_HRR;
        c->pq_draft += pq.kind == TLS_PQ_DRAFT;
        c->pq_group = pq.group;
        break;
    case PQ_NOT_NEGOTIATED:
        c->pq_not_used[pq.reason]++;
        break;
    case PQ_UNANSWERED:
        c->pq_unanswered++;
        break;
    default:
        break;
    }
    if (es != ECH_STATUS_NONE) {
        c->ech_offered++;
        c->ech[es]++;
    }
}

static void tally_group(struct posture_summary *p, uint16_t g, bool offered)
{
    for (uint8_t i = 0; i < p->n_groups; i++)
        if (p->groups[i].group == g) {
            if (offered)
                p->groups[i].offered++;
            else
                p->groups[i].negotiated++;
            return;
        }
    if (p->n_groups == POSTURE_GROUPS) {
        p->groups_other++;
        return;
    }
    p->groups[p->n_groups].group = g;
    p->groups[p->n_groups].offered = offered;
    p->groups[p->n_groups].negotiated = !offered;
    p->n_groups++;
}

void posture_summary_add(struct posture_summary *p, const struct handshake *h)
{
    uint64_t negotiated = p->all.pq_negotiated;
    posture_counts_add(&p->all, h);
    uint16_t g;
    for (size_t i = 0; pq_offered_at(h, i, &g); i++)
        tally_group(p, g, true);
    if (p->all.pq_negotiated != negotiated)
        tally_group(p, p->all.pq_group, false);
}

/* ---- text ------------------------------------------------------------- */

static const char *group_text(uint16_t g, char *buf, size_t n)
{
    const char *name = tls_group_name(g);
    if (name)
        return name;
    snprintf(buf, n, "0x%04X", g);
    return buf;
}

static uint64_t sum(const uint64_t *counts, int n)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += counts[i];
    return total;
}

/* "server_chose_classical 3, tls12_answer 1": the non-zero counts of
 * slots 1..n-1 with their names, into buf. */
static const char *counts_text(const uint64_t *counts, int n,
                               const char *(*name)(int), char *buf,
                               size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 1; i < n && o < len; i++)
        if (counts[i])
            o += (size_t)snprintf(buf + o, len - o, "%s%s %" PRIu64,
                                  o ? ", " : "", name(i), counts[i]);
    return buf;
}

static const char *reason_name(int r)
{
    return pq_reason_name((enum pq_reason)r);
}

static const char *ech_name(int st)
{
    return ech_status_name((enum ech_status)st);
}

void posture_summary_print_text(FILE *fp, const struct posture_summary *p,
                                bool color)
{
    const struct posture_counts *c = &p->all;
    char buf[256], g[16];
    if (!c->pq_offered && !c->ech_offered)
        return;
    fprintf(fp, "%spost-quantum key exchange and ECH%s\n",
            color ? "\033[1m" : "", color ? "\033[0m" : "");
    fprintf(fp, "  hellos %" PRIu64 "  pq offered %" PRIu64, c->hellos,
            c->pq_offered);
    bool any = false;
    for (uint8_t i = 0; i < p->n_groups; i++)
        if (p->groups[i].offered) {
            fprintf(fp, "%s%s %" PRIu64, any ? ", " : " (",
                    group_text(p->groups[i].group, g, sizeof(g)),
                    p->groups[i].offered);
            any = true;
        }
    fprintf(fp, "%s  negotiated %" PRIu64 " (after HRR %" PRIu64
                ", draft codepoint %" PRIu64 ")\n",
            any ? ")" : "", c->pq_negotiated, c->pq_after_hrr, c->pq_draft);
    uint64_t not_used = sum(c->pq_not_used, POSTURE_REASONS);
    if (not_used || c->pq_unanswered)
        fprintf(fp, "  pq not used %" PRIu64 ": %s  unanswered %" PRIu64 "\n",
                not_used,
                counts_text(c->pq_not_used, POSTURE_REASONS, reason_name, buf,
                            sizeof(buf)),
                c->pq_unanswered);
    if (c->ech_offered)
        fprintf(fp, "  ech offered %" PRIu64 ": %s\n", c->ech_offered,
                counts_text(c->ech, POSTURE_ECH, ech_name, buf, sizeof(buf)));
}

void posture_counts_print_line(FILE *fp, const struct posture_counts *c,
                               const char *indent)
{
    char g[16], why[160];
    if (!c->pq_offered && !c->ech_offered)
        return;
    fprintf(fp, "%s", indent);
    uint64_t not_used = sum(c->pq_not_used, POSTURE_REASONS);
    if (!c->pq_offered)
        fputs("post-quantum not offered", fp);
    else if (c->pq_negotiated)
        fprintf(fp, "post-quantum %s %" PRIu64 "/%" PRIu64,
                group_text(c->pq_group, g, sizeof(g)), c->pq_negotiated,
                c->pq_offered);
    else
        fprintf(fp, "post-quantum offered %" PRIu64 ", never taken",
                c->pq_offered);
    if (not_used)
        fprintf(fp, " (not taken: %s)",
                counts_text(c->pq_not_used, POSTURE_REASONS, reason_name, why,
                            sizeof(why)));
    if (c->ech_offered)
        fprintf(fp, "; ECH %" PRIu64 ": %s", c->ech_offered,
                counts_text(c->ech, POSTURE_ECH, ech_name, why, sizeof(why)));
    fputc('\n', fp);
}

/* ---- JSON ------------------------------------------------------------- */

static void counts_json(struct json_writer *w, const char *key,
                        const uint64_t *counts, int n,
                        const char *(*name)(int))
{
    json_key(w, key);
    json_begin_object(w);
    for (int i = 1; i < n; i++)
        if (counts[i])
            json_member_uint(w, name(i), counts[i]);
    json_end_object(w);
}

#define PQ_COUNTER(key, member) {key, offsetof(struct posture_counts, member)}

static const struct json_counter pq_counters[] = {
    PQ_COUNTER("offered", pq_offered),
    PQ_COUNTER("negotiated", pq_negotiated),
    PQ_COUNTER("negotiated_after_hrr", pq_after_hrr),
    PQ_COUNTER("draft", pq_draft),
    PQ_COUNTER("unanswered", pq_unanswered),
};

void posture_counts_write_json(struct json_writer *w,
                               const struct posture_counts *c)
{
    char g[16];
    json_key(w, "pq");
    json_begin_object(w);
    json_member_counters(w, c, pq_counters,
                         ARRAY_LEN(pq_counters));
    if (c->pq_negotiated) {
        json_key(w, "group");
        json_string(w, group_text(c->pq_group, g, sizeof(g)));
    }
    counts_json(w, "not_used", c->pq_not_used, POSTURE_REASONS, reason_name);
    json_end_object(w);
    json_key(w, "ech");
    json_begin_object(w);
    json_member_uint(w, "offered", c->ech_offered);
    counts_json(w, "status", c->ech, POSTURE_ECH, ech_name);
    json_end_object(w);
}

void posture_summary_write_json(struct json_writer *w,
                                const struct posture_summary *p)
{
    char g[16];
    json_key(w, "posture");
    json_begin_object(w);
    json_member_uint(w, "hellos", p->all.hellos);
    posture_counts_write_json(w, &p->all);
    json_key(w, "pq_groups");
    json_begin_array(w);
    for (uint8_t i = 0; i < p->n_groups; i++) {
        json_begin_object(w);
        json_key(w, "group");
        json_string(w, group_text(p->groups[i].group, g, sizeof(g)));
        json_member_uint(w, "offered", p->groups[i].offered);
        json_member_uint(w, "negotiated", p->groups[i].negotiated);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}
