/* report.c — the HTML report (report.h). While the run goes on, each
 * record the filter lets through becomes a row (JSON, in a temporary
 * file) and its detail sections are stored: sections that many
 * connections share (hellos, fingerprints, chains) once, by SHA-256, in a
 * shared table; the rest in the current block, gzip-compressed and
 * base64-encoded into another temporary file every 1 000 rows. At the end
 * the page is written in one pass: the summary's tables and charts as
 * static HTML and SVG (they need no script), then the data, then the
 * script. Every text from the wire is escaped for HTML here, and the
 * script only ever sets textContent. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "array_len.h"
#include "detail.h"
#include "json_writer.h"
#include "summary.h"
#include "../baseline.h"
#include "../fields.h"
#include "../../dissectors/outcome.h"
#include "../../rules/engine.h"

extern const char report_css[];
extern const char report_js[];

#define CHUNK_MAX_BYTES (1u << 20) /* a block is closed early past this */
#define HIST_BINS 120
#define HIST_FIRST_WIDTH_US 10000ULL /* 10 ms, doubled as the run grows */
#define TABLE_ROWS 100               /* servers and fingerprints listed */

/* Outcome categories of the chart, in stacking order. */
enum { CAT_ESTABLISHED, CAT_FAILED, CAT_NOT_TLS, CAT_REFUSED, CAT_INCOMPLETE,
       N_CATS };
static const char *const cat_names[N_CATS] = {
    "established", "failed", "not_tls", "refused", "incomplete"};

/* Counts per time bin; the bin width doubles whenever a record falls
 * outside the bins, so memory stays fixed however long the run. */
struct histogram {
    bool any;
    uint64_t start, width;
    uint64_t counts[HIST_BINS][N_CATS];
};

struct shared_slot {
    uint8_t digest[16];
    uint32_t id_plus1; /* 0: empty */
};

struct report_output {
    struct output base; /* first: the pipeline holds a struct output * */
    pthread_mutex_t lock;
    char *path;
    const struct summary *sum;
    struct report_info info;
    FILE *rows, *shared, *chunks;
    struct json_writer row, chunk, scratch, refs;
    uint32_t chunk_rows;
    uint64_t n_rows, rows_dropped, n_chunks;
    uint32_t n_shared;
    struct shared_slot *slots;
    size_t cap_slots;
    struct histogram hist;
    bool broken; /* a temporary file or the compressor failed */
};

/* ---- the outcomes-over-time histogram ------------------------------------ */

static int category(const struct handshake *h)
{
    switch (h->outcome) {
    case OUTCOME_ESTABLISHED: return CAT_ESTABLISHED;
    case OUTCOME_FAILED: return CAT_FAILED;
    case OUTCOME_NOT_TLS: return CAT_NOT_TLS;
    case OUTCOME_REFUSED: return CAT_REFUSED;
    default: return CAT_INCOMPLETE;
    }
}

static void hist_rebin(struct histogram *g, uint64_t lo, uint64_t hi)
{
    uint64_t w = g->width;
    while (hi / w - lo / w + 1 > HIST_BINS)
        w *= 2;
    uint64_t start = lo / w * w;
    uint64_t old[HIST_BINS][N_CATS];
    memcpy(old, g->counts, sizeof(old));
    memset(g->counts, 0, sizeof(g->counts));
    for (size_t i = 0; i < HIST_BINS; i++) {
        uint64_t t = g->start + i * g->width;
        size_t j = (size_t)((t - start) / w);
        for (size_t c = 0; c < N_CATS; c++)
            g->counts[j][c] += old[i][c];
    }
    g->start = start;
    g->width = w;
}

static void hist_add(struct histogram *g, uint64_t ts, int cat)
{
    if (!g->any) {
        g->any = true;
        g->width = HIST_FIRST_WIDTH_US;
        g->start = ts / g->width * g->width;
    }
    uint64_t end = g->start + g->width * HIST_BINS; /* exclusive */
    if (ts < g->start || ts >= end)
        hist_rebin(g, ts < g->start ? ts : g->start,
                   ts >= end ? ts : end - 1);
    g->counts[(ts - g->start) / g->width][cat]++;
}

/* ---- shared sections -------------------------------------------------------*/

static bool is_shared_kind(const char *title)
{
    static const char *const kinds[] = {
        "client hello", "server hello", "fingerprints",
        "server certificate chain", "client certificate chain",
        "OCSP stapling",
    };
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        if (strcmp(title, kinds[i]) == 0)
            return true;
    return false;
}

static bool grow_slots(struct report_output *r)
{
    size_t cap = r->cap_slots ? r->cap_slots * 2 : 4096;
    struct shared_slot *n = calloc(cap, sizeof(*n));
    if (!n)
        return false;
    for (size_t i = 0; i < r->cap_slots; i++) {
        if (!r->slots[i].id_plus1)
            continue;
        size_t j;
        memcpy(&j, r->slots[i].digest, sizeof(j));
        j &= cap - 1;
        while (n[j].id_plus1)
            j = (j + 1) & (cap - 1);
        n[j] = r->slots[i];
    }
    free(r->slots);
    r->slots = n;
    r->cap_slots = cap;
    return true;
}

/* The id of this section in the shared table, adding it when new; -1 when
 * the table is full (the section is then stored with its connection). */
static int64_t shared_id(struct report_output *r, const char *title,
                         const char *text, size_t len)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
              EVP_DigestUpdate(ctx, title, strlen(title) + 1) &&
              EVP_DigestUpdate(ctx, text, len) &&
              EVP_DigestFinal_ex(ctx, md, &md_len);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    if ((r->n_shared + 1) * 2 > r->cap_slots && !grow_slots(r))
        return -1;
    size_t j;
    memcpy(&j, md, sizeof(j));
    j &= r->cap_slots - 1;
    while (r->slots[j].id_plus1) {
        if (memcmp(r->slots[j].digest, md, 16) == 0)
            return r->slots[j].id_plus1 - 1;
        j = (j + 1) & (r->cap_slots - 1);
    }
    if (r->n_shared >= REPORT_MAX_SHARED)
        return -1;
    memcpy(r->slots[j].digest, md, 16);
    r->slots[j].id_plus1 = ++r->n_shared;
    /* The table's JSON, one entry after another. */
    struct json_writer *w = &r->row;
    json_reset(w);
    json_begin_array(w);
    json_string(w, title);
    json_string_n(w, text, len);
    json_end_array(w);
    if (w->failed || fwrite(r->n_shared > 1 ? ",\n" : "\n", 1,
                            r->n_shared > 1 ? 2 : 1, r->shared) == 0 ||
        fwrite(w->buf, 1, w->len, r->shared) != w->len)
        r->broken = true;
    json_reset(w);
    return r->n_shared - 1;
}

static void on_section(void *ctx, const char *title, const char *text,
                       size_t len)
{
    struct report_output *r = ctx;
    int64_t id = is_shared_kind(title) ? shared_id(r, title, text, len) : -1;
    if (id >= 0) {
        json_uint(&r->refs, (uint64_t)id);
        return;
    }
    json_begin_array(&r->refs);
    json_string(&r->refs, title);
    json_string_n(&r->refs, text, len);
    json_end_array(&r->refs);
}

/* ---- detail blocks ---------------------------------------------------------*/

/* gzip and base64 the block, one line of the blocks file. */
static void close_chunk(struct report_output *r)
{
    if (r->chunk_rows == 0)
        return;
    json_end_array(&r->chunk);
    if (r->chunk.failed) {
        r->broken = true;
        goto out;
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        r->broken = true;
        goto out;
    }
    uLong bound = deflateBound(&z, (uLong)r->chunk.len);
    uint8_t *gz = malloc(bound);
    uint8_t *b64 = gz ? malloc(4 * (bound / 3 + 1) + 1) : NULL;
    if (!gz || !b64) {
        free(gz);
        deflateEnd(&z);
        r->broken = true;
        goto out;
    }
    z.next_in = (Bytef *)r->chunk.buf;
    z.avail_in = (uInt)r->chunk.len;
    z.next_out = gz;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t gz_len = bound - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        r->broken = true;
    } else {
        int n = EVP_EncodeBlock(b64, gz, (int)gz_len);
        if (n < 0 || fwrite(b64, 1, (size_t)n, r->chunks) != (size_t)n ||
            fputc('\n', r->chunks) == EOF)
            r->broken = true;
    }
    free(gz);
    free(b64);
out:
    r->n_chunks++;
    r->chunk_rows = 0;
    json_reset(&r->chunk);
}

/* ---- rows -----------------------------------------------------------------*/

static void row_string(struct json_writer *w, const char *s)
{
    static __thread char safe[HS_SNI_LEN * 4];
    json_string(w, fields_printable(s ? s : "", safe, sizeof(safe)));
}

/* The negotiated version, named with what carried it when that was not
 * TCP: a DTLS 1.2 or QUIC handshake is not read as one of TLS over TCP. */
static void version_cell(struct json_writer *w, const struct handshake *h)
{
    char buf[32], cell[48];
    if (!h->sh.seen) {
        json_string(w, "");
        return;
    }
    const char *v = fields_version_string(h->sh.version, buf, sizeof(buf));
    switch (h->transport) {
    case HS_OVER_QUIC: snprintf(cell, sizeof(cell), "QUIC %s", v); break;
    case HS_OVER_DTLS: snprintf(cell, sizeof(cell), "DTLS %s", v); break;
    case HS_OVER_TCP: snprintf(cell, sizeof(cell), "%s", v); break;
    }
    json_string(w, cell);
}

static void add_row(struct report_output *r, const struct handshake *h)
{
    char buf[256], ep[80], ip[64];
    struct json_writer *w = &r->row;
    json_reset(w);
    json_begin_array(w);
    json_uint(w, r->n_rows);
    json_uint(w, h->flow_id);
    uint64_t ts = h->ch.seen && h->ch.ts_us ? h->ch.ts_us : h->flow_start_us;
    json_string(w, fields_time_string(ts, 3, buf, sizeof(buf)));
    fields_ip_string(&h->client, ip, sizeof(ip));
    snprintf(ep, sizeof(ep), h->client.ip_version == 6 ? "[%s]:%u" : "%s:%u",
             ip, (unsigned)h->client.port);
    json_string(w, ep);
    fields_ip_string(&h->server, ip, sizeof(ip));
    snprintf(ep, sizeof(ep), h->server.ip_version == 6 ? "[%s]:%u" : "%s:%u",
             ip, (unsigned)h->server.port);
    json_string(w, ep);
    row_string(w, h->ch.seen && h->ch.has_sni ? h->ch.sni : "");
    version_cell(w, h);
    json_string(w, h->sh.seen ? fields_cipher_string(h->sh.cipher, buf,
                                                     sizeof(buf))
                              : "");
    json_string(w, outcome_name(h->outcome));
    if (h->outcome == OUTCOME_ESTABLISHED)
        json_string(w, h->resumed ? "resumed" : "");
    else if (h->outcome == OUTCOME_REFUSED)
        row_string(w, hs_rare(h)->starttls_refusal);
    else if (h->outcome == OUTCOME_NOT_TLS)
        row_string(w, h->not_tls_preview);
    else {
        const char *stage = stage_failure_name(h->failure_stage);
        char reason[160];
        text_reason(h, reason, sizeof(reason));
        snprintf(buf, sizeof(buf), "%s%s%s", stage ? stage : "",
                 stage ? ": " : "", reason);
        json_string(w, buf);
    }
    const struct rule *p = rules_primary(h);
    json_string(w, p ? p->cause : "");
    json_string(w, p ? rules_fix_name(p->fix) : "");
    json_string(w, h->report->ja4);
    if (h->handshake_us >= 0)
        json_fixed3(w, (double)h->handshake_us / 1000.0);
    else
        json_string(w, "");
    json_uint(w, r->n_chunks);
    json_uint(w, r->chunk_rows);
    json_end_array(w);
    if (w->failed || fwrite(r->n_rows ? ",\n" : "\n", 1, r->n_rows ? 2 : 1,
                            r->rows) == 0 ||
        fwrite(w->buf, 1, w->len, r->rows) != w->len)
        r->broken = true;
    json_reset(w);
}

static void report_handshake(struct output *o, const struct handshake *h,
                             struct output_scratch *s)
{
    (void)s;
    struct report_output *r = (struct report_output *)o;
    pthread_mutex_lock(&r->lock);
    uint64_t ts = h->ch.seen && h->ch.ts_us ? h->ch.ts_us : h->flow_start_us;
    hist_add(&r->hist, ts, category(h));
    if (!rules_filter_match(o->filter, h)) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    o->shown++;
    if (r->n_rows >= REPORT_MAX_ROWS || r->broken) {
        r->rows_dropped++;
        pthread_mutex_unlock(&r->lock);
        return;
    }
    add_row(r, h);
    json_reset(&r->refs);
    json_begin_array(&r->refs);
    detail_sections(h, &r->scratch, 2, on_section, r);
    json_end_array(&r->refs);
    if (r->chunk_rows == 0)
        json_begin_array(&r->chunk);
    if (r->refs.failed || !json_append_raw(&r->chunk, r->chunk_rows ? "," : "",
                                           r->chunk_rows ? 1 : 0) ||
        !json_append_raw(&r->chunk, r->refs.buf, r->refs.len))
        r->broken = true;
    /* json_append_raw leaves the writer's comma state alone: the block is
     * an array whose items are written raw, commas by hand. */
    r->chunk_rows++;
    r->n_rows++;
    if (r->chunk_rows >= REPORT_CHUNK_ROWS || r->chunk.len >= CHUNK_MAX_BYTES)
        close_chunk(r);
    pthread_mutex_unlock(&r->lock);
}

/* ---- the page ---------------------------------------------------------------*/

/* Text for HTML: made printable, then & < > " ' escaped. */
static void html(FILE *fp, const char *s)
{
    char safe[HS_SNI_LEN * 4 + 256];
    for (const char *p = fields_printable(s ? s : "", safe, sizeof(safe)); *p;
         p++) {
        switch (*p) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*p, fp);
        }
    }
}

/* A temporary file of JSON into the page: '<' (only ever inside strings)
 * as \u003c, so no text can close the script element. */
static void copy_json(FILE *to, FILE *from)
{
    char buf[65536];
    size_t n;
    rewind(from);
    while ((n = fread(buf, 1, sizeof(buf), from)) > 0) {
        size_t start = 0;
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '<') {
                fwrite(buf + start, 1, i - start, to);
                fputs("\\u003c", to);
                start = i + 1;
            }
        fwrite(buf + start, 1, n - start, to);
    }
}

static const char *fix_color(int fix)
{
    switch (fix) {
    case FIX_CLIENT: return "#2563eb";
    case FIX_SERVER: return "#dc2626";
    case FIX_NETWORK: return "#7c3aed";
    default: return "#6b7280";
    }
}

static const char *const cat_colors[N_CATS] = {"#16a34a", "#dc2626",
                                               "#ea580c", "#ca8a04",
                                               "#9ca3af"};

static void page_overview(FILE *fp, const struct report_output *r)
{
    const struct summary *s = r->sum;
    fputs("<section id=\"overview\"><h2>Overview</h2><div class=\"cards\">",
          fp);
    fprintf(fp, "<div class=\"card\"><b>%" PRIu64 "</b>handshakes</div>",
            s->handshakes);
    static const int order[] = {OUTCOME_ESTABLISHED, OUTCOME_FAILED,
                                OUTCOME_NOT_TLS, OUTCOME_REFUSED,
                                OUTCOME_INCOMPLETE, OUTCOME_UNDECIDED};
    for (size_t i = 0; i < ARRAY_LEN(order); i++) {
        int o = order[i];
        if (!s->by_outcome[o] && o != OUTCOME_ESTABLISHED &&
            o != OUTCOME_FAILED)
            continue;
        fprintf(fp, "<div class=\"card %s\"><b>%" PRIu64 "</b>%s</div>",
                outcome_name((enum hs_outcome)o), s->by_outcome[o],
                outcome_name((enum hs_outcome)o));
    }
    fputs("</div>", fp);
    if (r->base.filter && rules_filter_count(r->base.filter))
        fprintf(fp, "<p class=\"note\" id=\"filter-note\">The connection "
                "table lists the %" PRIu64 " handshakes the filter chose (",
                r->base.shown);
    if (r->base.filter && rules_filter_count(r->base.filter)) {
        html(fp, s->view_filter ? s->view_filter : "a filter");
        fputs("); the charts and tables count all of them.</p>", fp);
    }
    if (r->rows_dropped)
        fprintf(fp, "<p class=\"note\">%" PRIu64 " more handshakes are "
                "counted but not listed (the table keeps %u).</p>",
                r->rows_dropped, REPORT_MAX_ROWS);
    fputs("</section>\n", fp);
}

/* "10 ms", "2.7 s", "5.5 min", "3.2 h", "2.0 days" */
static void duration_text(char *buf, size_t n, uint64_t us)
{
    double s = (double)us / 1e6;
    if (s < 1)
        snprintf(buf, n, "%.0f ms", s * 1000);
    else if (s < 120)
        snprintf(buf, n, "%.1f s", s);
    else if (s < 7200)
        snprintf(buf, n, "%.1f min", s / 60);
    else if (s < 172800)
        snprintf(buf, n, "%.1f h", s / 3600);
    else
        snprintf(buf, n, "%.1f days", s / 86400);
}

/* The first and last bins with a count; false when all are empty. */
static bool hist_used(const struct histogram *g, size_t *first, size_t *last)
{
    bool any = false;
    for (size_t i = 0; i < HIST_BINS; i++)
        for (size_t c = 0; c < N_CATS; c++)
            if (g->counts[i][c]) {
                if (!any)
                    *first = i;
                any = true;
                *last = i;
            }
    return any;
}

static void page_timeline(FILE *fp, const struct histogram *g)
{
    size_t first = 0, last = 0;
    uint64_t peak = 0;
    for (size_t i = 0; i < HIST_BINS; i++) {
        uint64_t total = 0;
        for (size_t c = 0; c < N_CATS; c++)
            total += g->counts[i][c];
        if (total > peak)
            peak = total;
    }
    fputs("<section id=\"over-time\"><h2>Outcomes over time</h2>", fp);
    if (!hist_used(g, &first, &last)) {
        fputs("<p>No handshakes.</p></section>\n", fp);
        return;
    }
    size_t bins = last - first + 1;
    const int W = 960, H = 220, top = 10, bottom = 30;
    double bw = (double)W / (double)bins;
    fprintf(fp, "<svg class=\"chart\" id=\"chart-time\" viewBox=\"0 0 %d %d\" "
            "role=\"img\" aria-label=\"handshakes by outcome over capture "
            "time\">", W, H);
    for (size_t i = 0; i < bins; i++) {
        double y = H - bottom;
        uint64_t total = 0;
        for (size_t c = 0; c < N_CATS; c++)
            total += g->counts[first + i][c];
        for (size_t c = 0; c < N_CATS; c++) {
            uint64_t n = g->counts[first + i][c];
            if (!n)
                continue;
            double h = (double)n / (double)peak * (H - top - bottom);
            y -= h;
            char t0[40];
            fields_time_string(g->start + (first + i) * g->width, 3, t0,
                               sizeof(t0));
            fprintf(fp, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" "
                    "width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>%s: "
                    "%" PRIu64 " %s of %" PRIu64 "</title></rect>",
                    cat_names[c], (double)i * bw, y, bw > 1.5 ? bw - 1 : bw,
                    h, cat_colors[c], t0, n, cat_names[c], total);
        }
    }
    char a[40], b[40];
    fields_time_string(g->start + first * g->width, 0, a, sizeof(a));
    fields_time_string(g->start + (last + 1) * g->width, 0, b, sizeof(b));
    char width[48];
    duration_text(width, sizeof(width), g->width);
    fprintf(fp, "<text x=\"0\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
            "text-anchor=\"end\">%s</text><text x=\"%d\" y=\"%d\" "
            "text-anchor=\"middle\">%s a bar, %" PRIu64 " handshakes at "
            "most</text></svg>", H - 8, a, W, H - 8, b, W / 2, H - 8,
            width, peak);
    fputs("<p class=\"legend\">", fp);
    for (size_t c = 0; c < N_CATS; c++)
        fprintf(fp, "<span><i style=\"background:%s\"></i>%s</span>",
                cat_colors[c], cat_names[c]);
    fputs("</p></section>\n", fp);
}

struct cause_bar {
    size_t cause, fix;
    uint64_t count;
};

static int by_count_desc(const void *a, const void *b)
{
    const struct cause_bar *x = a, *y = b;
    return (x->count < y->count) - (x->count > y->count);
}

static void page_causes(FILE *fp, const struct summary *s)
{
    struct cause_bar bars[SUMMARY_MAX_CAUSES * SUMMARY_FIXES];
    size_t n = 0;
    for (size_t c = 0; c < rules_causes_count() && c < SUMMARY_MAX_CAUSES;
         c++)
        for (size_t f = 0; f < SUMMARY_FIXES; f++)
            if (s->by_cause[c][f])
                bars[n++] = (struct cause_bar){c, f, s->by_cause[c][f]};
    qsort(bars, n, sizeof(bars[0]), by_count_desc);
    fputs("<section id=\"causes\"><h2>Failures and weaknesses by cause, and "
          "who must fix them</h2>", fp);
    if (n == 0 && !s->failures_unexplained) {
        fputs("<p>No rule found anything.</p></section>\n", fp);
        return;
    }
    uint64_t peak = n ? bars[0].count : 1;
    if (s->failures_unexplained > peak)
        peak = s->failures_unexplained;
    const int W = 960, row = 24, label = 330;
    size_t rows = n + (s->failures_unexplained ? 1 : 0);
    fprintf(fp, "<svg class=\"chart\" id=\"chart-causes\" viewBox=\"0 0 %d "
            "%zu\" role=\"img\" aria-label=\"handshakes by cause\">", W,
            rows * (size_t)row + 4);
    for (size_t i = 0; i < rows; i++) {
        bool unknown = i == n;
        const char *id = unknown ? "unknown" : rules_cause_at(bars[i].cause)->id;
        const char *fix = unknown ? "-" : rules_fix_name((enum rule_fix)bars[i].fix);
        uint64_t count = unknown ? s->failures_unexplained : bars[i].count;
        double len = (double)count / (double)peak * (W - label - 60);
        int y = (int)i * row;
        fprintf(fp, "<g class=\"cause-bar\"><text x=\"%d\" y=\"%d\" "
                "text-anchor=\"end\">%s (fix: %s)</text><rect x=\"%d\" "
                "y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%"
                PRIu64 " %s, fix: %s</title></rect><text x=\"%.1f\" "
                "y=\"%d\">%" PRIu64 "</text></g>",
                label - 8, y + 16, id, fix, label, y + 3, len < 1 ? 1 : len,
                row - 6, unknown ? "#9ca3af" : fix_color((int)bars[i].fix),
                count, id, fix, label + len + 6, y + 16, count);
    }
    fputs("</svg><p class=\"legend\">", fp);
    for (int f = 0; f < SUMMARY_FIXES; f++)
        fprintf(fp, "<span><i style=\"background:%s\"></i>fix: %s</span>",
                fix_color(f), rules_fix_name((enum rule_fix)f));
    fputs("</p><table class=\"small\"><thead><tr><th>cause</th><th>fix</th>"
          "<th class=\"num\">handshakes</th><th>what it means</th></tr>"
          "</thead><tbody>", fp);
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "<tr><td>%s</td><td>%s</td><td class=\"num\">%" PRIu64
                "</td><td>%s</td></tr>", rules_cause_at(bars[i].cause)->id,
                rules_fix_name((enum rule_fix)bars[i].fix), bars[i].count,
                rules_cause_at(bars[i].cause)->summary);
    if (s->failures_unexplained)
        fprintf(fp, "<tr><td>unknown</td><td>-</td><td class=\"num\">%" PRIu64
                "</td><td>failed, no rule explains it</td></tr>",
                s->failures_unexplained);
    fputs("</tbody></table></section>\n", fp);
}

static void html_causes(FILE *fp, const struct summary_causes *c)
{
    for (size_t i = 0; i < c->n; i++)
        fprintf(fp, "%s%s&nbsp;%" PRIu32, i ? ", " : "",
                rules_cause_at(c->top[i].cause)->id, c->top[i].count);
    if (c->other)
        fprintf(fp, ", %" PRIu64 "&nbsp;other", c->other);
}

static void html_fixes(FILE *fp, const struct summary_causes *c)
{
    unsigned seen = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (seen & (1u << c->top[i].fix))
            continue;
        fprintf(fp, "%s%s", seen ? ", " : "",
                rules_fix_name((enum rule_fix)c->top[i].fix));
        seen |= 1u << c->top[i].fix;
    }
}

/* The server and client-fingerprint tables: every entry the summary kept,
 * most failures first, then most handshakes, then packet time and the key
 * (the same order however many workers reported the records, in whatever
 * order); TABLE_ROWS of them one per row, the rest summed on one row. */
struct table_entry {
    const struct summary_entry *entry;
    int (*key_order)(const void *a, const void *b); /* the table's */
};

struct html_table {
    const char *head;  /* the section, through <tbody> */
    const char *noun;  /* "N more <noun>" */
    int rest_columns;  /* columns after handshakes and failed */
    struct summary_slots (*slots)(const struct summary *s);
    int (*key_order)(const void *a, const void *b);
    void (*row)(FILE *fp, const void *entry);
};

static int rank_entries(const void *a, const void *b)
{
    const struct summary_entry *x = ((const struct table_entry *)a)->entry;
    const struct summary_entry *y = ((const struct table_entry *)b)->entry;
    if (x->failed != y->failed)
        return x->failed < y->failed ? 1 : -1;
    if (x->handshakes != y->handshakes)
        return x->handshakes < y->handshakes ? 1 : -1;
    if (x->first_us != y->first_us)
        return x->first_us < y->first_us ? -1 : 1;
    return ((const struct table_entry *)a)->key_order(x, y);
}

static void html_table_write(FILE *fp, const struct summary *s,
                       const struct html_table *t, size_t n_used)
{
    fputs(t->head, fp);
    struct summary_slots slots = t->slots(s);
    struct table_entry *list = malloc(n_used * sizeof(*list) + 1);
    size_t n = 0;
    for (size_t i = 0; list && i < slots.n && n < n_used; i++) {
        const struct summary_entry *e = summary_slot_entry(slots, i);
        if (e)
            list[n++] = (struct table_entry){e, t->key_order};
    }
    if (n)
        qsort(list, n, sizeof(*list), rank_entries);
    uint64_t hs_more = 0, failed_more = 0;
    for (size_t i = 0; i < n; i++) {
        if (i < TABLE_ROWS) {
            t->row(fp, list[i].entry);
            continue;
        }
        hs_more += list[i].entry->handshakes;
        failed_more += list[i].entry->failed;
    }
    if (n > TABLE_ROWS)
        fprintf(fp, "<tr class=\"more\"><td colspan=\"2\">%zu more %s</td>"
                "<td class=\"num\">%" PRIu64 "</td><td class=\"num\">%"
                PRIu64 "</td><td colspan=\"%d\"></td></tr>", n - TABLE_ROWS,
                t->noun, hs_more, failed_more, t->rest_columns);
    free(list);
}

static int server_key_order(const void *a, const void *b)
{
    const struct summary_server *x = a, *y = b;
    if (x->ep.ip_version != y->ep.ip_version)
        return x->ep.ip_version < y->ep.ip_version ? -1 : 1;
    int c = memcmp(x->ep.addr, y->ep.addr, sizeof(x->ep.addr));
    if (c)
        return c;
    if (x->ep.port != y->ep.port)
        return x->ep.port < y->ep.port ? -1 : 1;
    return strcmp(x->sni, y->sni);
}

static void server_row(FILE *fp, const void *entry)
{
    const struct summary_server *e = entry;
    char buf[128], ip[64];
    fields_ip_string(&e->ep, ip, sizeof(ip));
    fprintf(fp, "<tr%s><td>%s%s%s:%u</td><td>", e->entry.failed ? " class=\"bad\"" : "",
            e->ep.ip_version == 6 ? "[" : "", ip,
            e->ep.ip_version == 6 ? "]" : "", (unsigned)e->ep.port);
    html(fp, e->sni);
    fprintf(fp, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%"
            PRIu64 "</td><td>", e->entry.handshakes, e->entry.failed);
    html_causes(fp, &e->entry.causes);
    fputs("</td><td>", fp);
    html_fixes(fp, &e->entry.causes);
    fputs("</td><td>", fp);
    for (size_t v = 0; v < e->n_versions; v++)
        fprintf(fp, "%s%s", v ? ", " : "",
                fields_version_string(e->versions[v], buf, sizeof(buf)));
    fputs("</td><td>", fp);
    for (size_t c = 0; c < e->n_suites; c++)
        fprintf(fp, "%s%s", c ? "<br>" : "",
                fields_cipher_string(e->suites[c], buf, sizeof(buf)));
    if (e->suites_more)
        fputs("<br>…", fp);
    fputs("</td><td class=\"num\">", fp);
    if (e->has_expiry)
        fprintf(fp, "%s%" PRId32 "%s", e->days_to_expiry < 30 ? "<b>" : "",
                e->days_to_expiry, e->days_to_expiry < 30 ? "</b>" : "");
    fputs("</td></tr>", fp);
}

static const struct html_table server_rows = {
    "<section id=\"servers\"><h2>Servers</h2><table id=\"server-table\">"
    "<thead><tr><th>server</th><th>SNI</th><th class=\"num\">handshakes</th>"
    "<th class=\"num\">failed</th><th>top causes</th><th>fix</th>"
    "<th>versions</th><th>suites</th><th class=\"num\">cert expires (days)"
    "</th></tr></thead><tbody>",
    "servers", 5, summary_server_slots, server_key_order, server_row};

static void page_servers(FILE *fp, const struct summary *s)
{
    html_table_write(fp, s, &server_rows, s->n_servers);
    if (s->servers_untracked_handshakes)
        fprintf(fp, "<tr class=\"more\"><td colspan=\"2\">servers past the "
                "table (%d kept)</td><td class=\"num\">%" PRIu64 "</td><td "
                "class=\"num\">%" PRIu64 "</td><td colspan=\"5\"></td></tr>",
                SUMMARY_MAX_SERVERS, s->servers_untracked_handshakes,
                s->servers_untracked);
    fputs("</tbody></table></section>\n", fp);
}

static void client_row(FILE *fp, const void *entry)
{
    const struct summary_client *e = entry;
    char buf[32];
    fprintf(fp, "<tr%s><td class=\"mono\">", e->entry.failed ? " class=\"bad\"" : "");
    html(fp, e->ja4);
    fputs("</td><td class=\"mono\">", fp);
    html(fp, e->ja3);
    fprintf(fp, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%"
            PRIu64 "</td><td>%s</td><td>", e->entry.handshakes, e->entry.failed,
            e->highest_version ? fields_version_string(e->highest_version,
                                                       buf, sizeof(buf))
                               : "");
    html(fp, e->sni);
    fputs("</td><td>", fp);
    html_causes(fp, &e->entry.causes);
    fputs("</td></tr>", fp);
}

static const struct html_table client_rows = {
    "<section id=\"clients\"><h2>Client fingerprints</h2><table id=\"client-"
    "table\"><thead><tr><th>JA4</th><th>JA3</th><th class=\"num\">handshakes"
    "</th><th class=\"num\">failed</th><th>offers up to</th><th>first SNI"
    "</th><th>top causes</th></tr></thead><tbody>",
    "fingerprints", 3, summary_client_slots, summary_client_key_order,
    client_row};

static void page_clients(FILE *fp, const struct summary *s)
{
    html_table_write(fp, s, &client_rows, s->n_clients);
    fputs("</tbody></table></section>\n", fp);
}

static const char *const connection_columns[] = {
    "time", "flow", "client", "server", "SNI", "version", "cipher",
    "outcome", "why", "cause", "fix", "JA4", "ms",
};

static void page_connections(FILE *fp, const struct report_output *r)
{
    fprintf(fp, "<section id=\"connections\"><h2>Connections</h2>"
            "<div class=\"controls\"><input id=\"q\" type=\"search\" "
            "placeholder=\"filter: any text (an address, a name, a cause)\" "
            "size=\"40\"><select id=\"outcome\"><option value=\"\">every "
            "outcome</option></select><select id=\"cause\"><option "
            "value=\"\">every cause</option></select><label><input "
            "type=\"checkbox\" id=\"failures\"> failures only</label></div>"
            "<noscript><p>The connection table needs JavaScript; everything "
            "above does not.</p></noscript><p id=\"count\">%" PRIu64
            " connections</p><table id=\"conn\"><thead><tr>", r->n_rows);
    for (size_t i = 0; i < ARRAY_LEN(connection_columns); i++)
        fprintf(fp, "<th data-col=\"%zu\">%s</th>", i,
                connection_columns[i]);
    fputs("</tr></thead><tbody id=\"conn-body\"></tbody></table>"
          "<div class=\"pager\"><button id=\"prev\">&larr; previous</button>"
          "<span id=\"page\"></span><button id=\"next\">next &rarr;"
          "</button></div></section>\n", fp);
}

static bool write_page(struct report_output *r, FILE *fp)
{
    char t0[40], t1[40];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" "
          "content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'; img-src data:\">", fp);
    fprintf(fp, "<title>tlsmon report: %" PRIu64 " TLS handshakes</title>"
            "<style>%s</style></head>\n<body data-rows=\"%" PRIu64 "\">"
            "<header><h1>TLS handshakes</h1><p class=\"meta\">",
            r->sum->handshakes, report_css, r->n_rows);
    for (size_t i = 0; i < r->info.n_inputs && i < 5; i++) {
        fputs(i ? ", " : "from ", fp);
        html(fp, strcmp(r->info.inputs[i], "-") ? r->info.inputs[i]
                                                : "standard input");
    }
    if (r->info.n_inputs > 5)
        fprintf(fp, " and %zu more files", r->info.n_inputs - 5);
    size_t first = 0, last = 0;
    if (hist_used(&r->hist, &first, &last)) {
        /* Capture time, not the analyzer's. */
        fields_time_string(r->hist.start + first * r->hist.width, 0, t0,
                           sizeof(t0));
        fields_time_string(r->hist.start + (last + 1) * r->hist.width, 0, t1,
                           sizeof(t1));
        fprintf(fp, "; capture time %s to %s", t0, t1);
    }
    fprintf(fp, "; made by tlsmon %s</p></header><main>\n",
            r->info.version ? r->info.version : "");
    page_overview(fp, r);
    page_timeline(fp, &r->hist);
    page_causes(fp, r->sum);
    if (r->sum->changes)
        run_changes_write_html(fp, r->sum->changes);
    page_servers(fp, r->sum);
    page_clients(fp, r->sum);
    page_connections(fp, r);
    fputs("</main><div id=\"detail\" hidden><div class=\"panel\" "
          "role=\"dialog\" aria-modal=\"true\"><button id=\"detail-close\" "
          "title=\"close (Esc)\">&times;</button><h2 id=\"detail-title\">"
          "</h2><div id=\"detail-body\"></div></div></div>\n", fp);
    fputs("<script type=\"application/json\" id=\"rows\">[", fp);
    copy_json(fp, r->rows);
    fputs("]</script>\n<script type=\"application/json\" id=\"shared\">[",
          fp);
    copy_json(fp, r->shared);
    fputs("]</script>\n", fp);
    rewind(r->chunks);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    for (uint64_t i = 0; (len = getline(&line, &cap, r->chunks)) > 0; i++) {
        fprintf(fp, "<script type=\"text/plain\" id=\"chunk-%" PRIu64 "\">",
                i);
        fwrite(line, 1, (size_t)(len - 1), fp);
        fputs("</script>\n", fp);
    }
    free(line);
    fprintf(fp, "<script>%s</script>\n</body></html>\n", report_js);
    return !ferror(fp);
}

static void report_finish(struct output *o, const struct summary *sum,
                          const struct run_stats *st)
{
    (void)sum;
    (void)st;
    struct report_output *r = (struct report_output *)o;
    close_chunk(r);
    FILE *fp = fopen(r->path, "w");
    if (!fp) {
        fprintf(stderr, "tlsmon: --report %s: cannot write: %s\n", r->path,
                strerror(errno));
        return;
    }
    bool ok = write_page(r, fp);
    if (fclose(fp) != 0)
        ok = false;
    if (!ok || r->broken)
        fprintf(stderr, "tlsmon: --report %s: %s\n", r->path,
                ok ? "some connections could not be stored (out of memory "
                     "or temporary space): the page is incomplete"
                   : "writing failed");
}

static void report_free(struct output *o)
{
    struct report_output *r = (struct report_output *)o;
    if (r->rows)
        fclose(r->rows);
    if (r->shared)
        fclose(r->shared);
    if (r->chunks)
        fclose(r->chunks);
    json_free(&r->row);
    json_free(&r->chunk);
    json_free(&r->scratch);
    json_free(&r->refs);
    free(r->slots);
    free(r->path);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static const struct output_ops report_ops = {
    .handshake = report_handshake,
    .finish = report_finish,
    .free = report_free,
};

struct output *output_report_new(const char *path, const struct summary *sum,
                                 const struct report_info *info)
{
    struct report_output *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->path = strdup(path);
    r->sum = sum;
    r->info = *info;
    /* tmpfile(): unlinked at once, gone with the process. */
    r->rows = tmpfile();
    r->shared = r->rows ? tmpfile() : NULL;
    r->chunks = r->shared ? tmpfile() : NULL;
    json_init(&r->row);
    json_init(&r->chunk);
    json_init(&r->scratch);
    json_init(&r->refs);
    if (!r->path || !r->chunks) {
        int e = errno;
        report_free(&r->base);
        errno = e;
        return NULL;
    }
    r->base.name = "report";
    r->base.events = OUT_EV_HANDSHAKE;
    r->base.ops = &report_ops;
    return &r->base;
}

