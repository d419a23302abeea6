/* detail.c — the detail view of one handshake (detail.h). Sections are
 * built one at a time in a scratch writer and handed to a callback, so the
 * text output can print them and the report can store each distinct one
 * once (a thousand connections from one client share one ClientHello
 * section). */
#include "detail.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "array_len.h"
#include "../fields.h"
#include "../../dissectors/outcome.h"
#include "../../dissectors/starttls.h"
#include "../../rules/engine.h"

#define LABEL_WIDTH 19
#define WRAP_COLUMN 100
#define VALUE_LEN 4096 /* longest value shown whole (a JA3 string) */

struct sec {
    struct json_writer *w;
    const struct handshake *h;
    int indent;
};

/* Returns the column the value starts at. */
static int label(struct sec *s, const char *name)
{
    static const char spaces[] = "                                        ";
    int width = (int)strlen(name);
    int pad = width < LABEL_WIDTH ? LABEL_WIDTH - width : 0;
    json_append_raw(s->w, spaces, (size_t)s->indent);
    json_append_raw(s->w, name, (size_t)width);
    json_append_raw(s->w, spaces, (size_t)pad + 1);
    return s->indent + width + pad + 1;
}

/* A line of our own text (no wire bytes in it). */
static void fact(struct sec *s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fact(struct sec *s, const char *name, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    label(s, name);
    json_append_fmt(s->w, "%s\n", buf);
}

/* Text that came from the wire, made printable first. */
static void wire_fact(struct sec *s, const char *name, const char *text)
{
    static __thread char safe[VALUE_LEN * 4];
    label(s, name);
    json_append_fmt(s->w, "%s\n", fields_printable(text, safe, sizeof(safe)));
}

/* A registry field under `name`: a scalar as JSON would show it, a list
 * joined with commas and wrapped under its label. False (nothing written)
 * when the record does not have it. */
static bool field(struct sec *s, const char *name, const char *field_name)
{
    const struct field_def *f = fields_find(field_name);
    char scratch[FIELD_SCRATCH];
    static __thread char text[VALUE_LEN], safe[VALUE_LEN * 4];
    struct field_value v;
    if (!f || f->type == FT_ALERTS)
        return false;
    if (!field_is_list(f)) {
        if (!field_get(f, s->h, &v, scratch, sizeof(scratch)))
            return false;
        wire_fact(s, name, field_value_format(&v, text, sizeof(text)));
        return true;
    }
    size_t slots = field_count(f, s->h), shown = 0;
    int column = s->indent + LABEL_WIDTH + 1;
    for (size_t i = 0; i < slots; i++) {
        if (!field_item(f, s->h, i, &v, scratch, sizeof(scratch)))
            continue;
        const char *item = fields_printable(
            field_value_format(&v, text, sizeof(text)), safe, sizeof(safe));
        int len = (int)strlen(item);
        if (shown == 0) {
            size_t n = field_list_len(f, s->h);
            char head[64];
            snprintf(head, sizeof(head), "%s (%zu)", name, n);
            column = label(s, n > 1 ? head : name);
        } else if (column + len + 2 > WRAP_COLUMN) {
            json_append_fmt(s->w, ",\n%*s", s->indent + LABEL_WIDTH + 1, "");
            column = s->indent + LABEL_WIDTH + 1;
        } else {
            json_append_raw(s->w, ", ", 2);
            column += 2;
        }
        json_append_raw(s->w, item, (size_t)len);
        column += len;
        shown++;
    }
    if (shown)
        json_append_raw(s->w, "\n", 1);
    return shown > 0;
}

/* A registry field and the label it is shown under. */
struct labelled_field {
    const char *label, *name;
};

/* Each field of a table under its label, in table order. `prefix` goes
 * before every name: the two certificate chains share one table. */
static void fields_under(struct sec *s, const char *prefix,
                         const struct labelled_field *rows, size_t n)
{
    char name[128];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s%s", prefix, rows[i].name);
        field(s, rows[i].label, name);
    }
}

/* The names of the boolean fields `prefix`+name[i] that are true, on one
 * line; false when none is. */
static bool true_flags(struct sec *s, const char *name, const char *prefix,
                       const char *const *names, size_t n)
{
    char buf[512] = "", full[128], scratch[FIELD_SCRATCH];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(full, sizeof(full), "%s%s", prefix, names[i]);
        const struct field_def *f = fields_find(full);
        struct field_value v;
        if (!f || f->type != FT_BOOL ||
            !field_get(f, s->h, &v, scratch, sizeof(scratch)) || !v.boolean)
            continue;
        int k = snprintf(buf + used, sizeof(buf) - used, "%s%s",
                         used ? ", " : "", names[i]);
        if (k > 0 && (size_t)k < sizeof(buf) - used)
            used += (size_t)k;
    }
    if (!used)
        return false;
    fact(s, name, "%s", buf);
    return true;
}

static const char *endpoint_text(const struct endpoint *ep, char *buf,
                                 size_t n)
{
    char ip[64];
    fields_ip_string(ep, ip, sizeof(ip));
    snprintf(buf, n, ep->ip_version == 6 ? "[%s]:%u" : "%s:%u", ip,
             (unsigned)ep->port);
    return buf;
}

/* ---- sections ------------------------------------------------------------ */

static void connection(struct sec *s)
{
    const struct handshake *h = s->h;
    char a[80], b[80];
    fact(s, "flow", "%" PRIu64 "%s", h->flow_id,
         h->round ? " (a later handshake on the connection)" : "");
    fact(s, "client", "%s", endpoint_text(&h->client, a, sizeof(a)));
    fact(s, "server", "%s", endpoint_text(&h->server, b, sizeof(b)));
    static const struct labelled_field link_fields[] = {
        {"vlan", "network.vlan.id"},
        {"inner vlan", "network.inner.vlan.id"},
        {"starttls", "tlsmon.starttls"},
    };
    fields_under(s, "", link_fields, ARRAY_LEN(link_fields));
    fact(s, "packets", "client %" PRIu64 ", server %" PRIu64,
         h->packets[TLS_SIDE_CLIENT], h->packets[TLS_SIDE_SERVER]);
    fact(s, "bytes", "client %" PRIu64 ", server %" PRIu64,
         h->bytes[TLS_SIDE_CLIENT], h->bytes[TLS_SIDE_SERVER]);
    static const struct labelled_field ndpi_fields[] = {
        {"nDPI protocol", "tlsmon.ndpi.protocol"},
        {"nDPI category", "tlsmon.ndpi.category"},
        {"nDPI risks", "tlsmon.ndpi.risks"},
    };
    fields_under(s, "", ndpi_fields, ARRAY_LEN(ndpi_fields));
    static const char *const quality[] = {"midstream", "roles_inferred",
                                          "resynced", "truncated"};
    true_flags(s, "capture notes", "tlsmon.", quality, ARRAY_LEN(quality));
    if (h->gaps)
        fact(s, "gaps", "%" PRIu32 " holes, %" PRIu64 " bytes missing",
             h->gaps, h->gap_bytes);
    field(s, "parse error", "tlsmon.parse_error");
}

static void outcome(struct sec *s)
{
    const struct handshake *h = s->h;
    static const struct labelled_field decision_fields[] = {
        {"outcome", "tlsmon.outcome"},
        {"stage reached", "tlsmon.stage"},
        {"failed at", "tlsmon.failure_stage"},
    };
    fields_under(s, "", decision_fields, ARRAY_LEN(decision_fields));
    if (h->ended_by != ENDED_NONE) {
        const char *side = h->ended_by_side == TLS_SIDE_CLIENT   ? "client "
                           : h->ended_by_side == TLS_SIDE_SERVER ? "server "
                                                                 : "";
        const char *how = ended_by_name(h->ended_by);
        fact(s, "ended by", "%s%s", side, how ? how : "unknown");
    }
    const struct tls_alert *a = outcome_deciding_alert(h);
    char buf[32];
    if (a && a->encrypted)
        fact(s, "deciding alert", "%s, encrypted (%u-byte record)",
             fields_side_name(a->sender), (unsigned)a->length);
    else if (a)
        fact(s, "deciding alert", "%s %s %s(%u)", fields_side_name(a->sender),
             a->level == 2 ? "fatal" : a->level == 1 ? "warning" : "level?",
             fields_alert_description(a->description, buf, sizeof(buf)),
             (unsigned)a->description);
    static const struct labelled_field ending_fields[] = {
        {"resumed", "tls.resumed"},
        {"server answered", "tlsmon.not_tls_preview"},
        {"refusal", "tlsmon.starttls_refusal"},
        {"handshake ms", "tlsmon.handshake_ms"},
    };
    fields_under(s, "", ending_fields, ARRAY_LEN(ending_fields));
}

struct moment {
    uint64_t ts;
    char what[160];
};

static void add_moment(struct moment *m, size_t *n, size_t cap, uint64_t ts,
                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add_moment(struct moment *m, size_t *n, size_t cap, uint64_t ts,
                       const char *fmt, ...)
{
    if (!ts || *n >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m[*n].what, sizeof(m[*n].what), fmt, ap);
    va_end(ap);
    /* Insert in time order; equal times keep the order they were added. */
    size_t pos = *n;
    struct moment tmp = m[pos];
    tmp.ts = ts;
    while (pos > 0 && m[pos - 1].ts > ts) {
        m[pos] = m[pos - 1];
        pos--;
    }
    m[pos] = tmp;
    (*n)++;
}

static void timeline(struct sec *s)
{
    const struct handshake *h = s->h;
    struct moment m[8 + HS_MAX_ALERTS];
    size_t n = 0, cap = ARRAY_LEN(m);
    char a[32], b[64];

    if (h->midstream)
        add_moment(m, &n, cap, h->flow_start_us,
                   "first packet (the capture began mid-connection)");
    else
        add_moment(m, &n, cap, h->flow_start_us, "SYN (client)");
    if (h->ch.seen)
        add_moment(m, &n, cap, h->ch.ts_us, "ClientHello (%" PRIu32
                   " bytes)", h->ch.length);
    if (h->ch2 && h->ch2->seen)
        add_moment(m, &n, cap, h->ch2->ts_us,
                   "second ClientHello (after the HelloRetryRequest)");
    if (h->sh.seen) {
        const char *v = fields_version_string(h->sh.version, a, sizeof(a));
        add_moment(m, &n, cap, h->sh.ts_us, "ServerHello (%s, %s)", v,
                   fields_cipher_string(h->sh.cipher, b, sizeof(b)));
    }
    add_moment(m, &n, cap, h->finished_ts_us[TLS_SIDE_CLIENT],
               "client Finished");
    add_moment(m, &n, cap, h->finished_ts_us[TLS_SIDE_SERVER],
               h->sh.seen && h->sh.version == TLS_V_1_3
                   ? "server's encrypted flight (its Finished) ends"
                   : "server Finished");
    const struct handshake_rare *rare = hs_rare(h);
    for (size_t i = 0; i < rare->alerts.n; i++) {
        const struct tls_alert *al = &rare->alerts.v[i];
        const char *st = stage_failure_name((enum hs_stage)al->stage);
        if (al->encrypted)
            add_moment(m, &n, cap, al->ts_us,
                       "%s alert, encrypted (%u-byte record)%s%s",
                       fields_side_name(al->sender), (unsigned)al->length,
                       st ? ", " : "", st ? st : "");
        else
            add_moment(m, &n, cap, al->ts_us, "%s alert %s %s(%u)%s%s",
                       fields_side_name(al->sender),
                       al->level == 2   ? "fatal"
                       : al->level == 1 ? "warning"
                                        : "level?",
                       fields_alert_description(al->description, a,
                                                sizeof(a)),
                       (unsigned)al->description, st ? ", " : "",
                       st ? st : "");
    }
    const char *oc = outcome_name(h->outcome);
    add_moment(m, &n, cap, h->decided_us, "decided: %s", oc ? oc : "?");
    add_moment(m, &n, cap, h->flow_end_us, "last packet seen");
    if (n == 0)
        return;
    char t0[48];
    fact(s, "from", "%s", fields_time_string(m[0].ts, 6, t0, sizeof(t0)));
    for (size_t i = 0; i < n; i++) {
        uint64_t d = m[i].ts - m[0].ts;
        json_append_fmt(s->w, "%*s+%6" PRIu64 ".%03" PRIu64 " ms  %s\n",
                        s->indent, "", d / 1000, d % 1000, m[i].what);
    }
}

static void client_hello(struct sec *s)
{
    static const struct labelled_field hello_fields[] = {
        {"record version", "tlsmon.client_hello.record_version"},
        {"legacy version", "tlsmon.client_hello.version"},
        {"versions", "tlsmon.client_hello.versions"},
        {"highest", "tlsmon.client_hello.highest_version"},
        {"server name", "tls.client.server_name"},
        {"ALPN", "tlsmon.client_hello.alpn"},
        {"cipher suites", "tls.client.supported_ciphers"},
        {"modern suites", "tlsmon.client_hello.modern_ciphers"},
        {"groups", "tlsmon.client_hello.groups"},
        {"key shares", "tlsmon.client_hello.key_share_groups"},
        {"signatures", "tlsmon.client_hello.signature_algorithms"},
        {"extensions", "tlsmon.client_hello.extensions"},
        {"point formats", "tlsmon.client_hello.point_formats"},
        {"compression", "tlsmon.client_hello.compression"},
        {"session id bytes", "tlsmon.client_hello.session_id_length"},
    };
    fields_under(s, "", hello_fields, ARRAY_LEN(hello_fields));
    static const char *const offers[] = {
        "session_ticket", "psk",    "early_data",     "ech",
        "esni",           "sslv2",  "fallback_scsv",
    };
    true_flags(s, "also", "tlsmon.client_hello.", offers, ARRAY_LEN(offers));
    field(s, "length", "tlsmon.client_hello.length");
}

static void server_hello(struct sec *s)
{
    static const struct labelled_field hello_fields[] = {
        {"version", "tls.version"},
        {"legacy version", "tlsmon.server_hello.legacy_version"},
        {"cipher suite", "tls.cipher"},
        {"suite number", "tlsmon.server_hello.cipher_id"},
        {"weaknesses", "tlsmon.cipher.weaknesses"},
        {"forward secrecy", "tlsmon.cipher.forward_secrecy"},
        {"group", "tlsmon.server_hello.group"},
        {"ALPN", "tls.next_protocol"},
        {"extensions", "tlsmon.server_hello.extensions"},
        {"compression", "tlsmon.server_hello.compression"},
        {"HelloRetryRequest", "tlsmon.hrr_group"},
    };
    fields_under(s, "", hello_fields, ARRAY_LEN(hello_fields));
    static const char *const more[] = {"certificate_request",
                                       "client_certificate_empty",
                                       "new_session_ticket"};
    true_flags(s, "also", "tlsmon.", more, ARRAY_LEN(more));
}

static void fingerprints(struct sec *s)
{
    static const struct labelled_field fingerprint_fields[] = {
        {"JA3", "tls.client.ja3"},
        {"JA3 string", "tlsmon.client.ja3_string"},
        {"JA4", "tlsmon.client.ja4"},
        {"JA4 raw", "tlsmon.client.ja4_r"},
        {"JA3S", "tls.server.ja3s"},
        {"JA3S string", "tlsmon.server.ja3s_string"},
    };
    fields_under(s, "", fingerprint_fields, ARRAY_LEN(fingerprint_fields));
}

static bool chain_has_facts(const struct cert_result *r)
{
    return r->analyzed;
}

/* One side's chain: each certificate, the leaf's facts, the verdicts.
 * `ecs` is tls.server or tls.client, `verdicts` tlsmon.certificate or
 * tlsmon.client_certificate. */
static void chain(struct sec *s, const struct cert_result *r,
                  const struct cert_chain *wire, const char *ecs,
                  const char *verdicts)
{
    char name[128], sig[64], cn[HS_CERT_CN_LEN * 4];
    if (!r->visible) {
        fact(s, "chain", "not visible (encrypted: TLS 1.3)");
        return;
    }
    fact(s, "certificates", "%u sent%s", (unsigned)wire->n_certs_total,
         wire->truncated ? ", not all kept" : "");
    for (size_t i = 0; i < r->n_summaries; i++) {
        const struct cert_summary *c = &r->chain[i];
        char idx[16];
        snprintf(idx, sizeof(idx), "#%zu%s", i, i == 0 ? " leaf" : "");
        if (!c->parsed) {
            fact(s, idx, "could not be parsed");
            continue;
        }
        snprintf(sig, sizeof(sig), "%s", c->sig_alg);
        fact(s, idx, "%s  %s %u  %s%s%s",
             fields_printable(c->subject_cn[0] ? c->subject_cn : "(no CN)",
                              cn, sizeof(cn)),
             c->key_alg, (unsigned)c->key_bits, sig,
             c->self_signed ? "  self-signed" : "",
             c->is_ca ? "  CA" : "");
    }
    static const struct labelled_field leaf[] = {
        {"subject", ".x509.subject.distinguished_name"},
        {"issuer", ".x509.issuer.distinguished_name"},
        {"names", ".x509.alternative_names"},
        {"valid from", ".x509.not_before"},
        {"valid until", ".x509.not_after"},
        {"serial", ".x509.serial_number"},
        {"key", ".x509.public_key_algorithm"},
        {"key bits", ".x509.public_key_size"},
        {"curve", ".x509.public_key_curve"},
        {"signature", ".x509.signature_algorithm"},
        {"SHA-256", ".hash.sha256"},
    };
    fields_under(s, ecs, leaf, ARRAY_LEN(leaf));
    static const struct labelled_field ext[] = {
        {"days to expiry", ".days_to_expiry"},
        {"key usage", ".key_usage"},
        {"extended usage", ".extended_key_usage"},
        {"OCSP at", ".ocsp_urls"},
        {"issuer at", ".ca_issuers_urls"},
        {"CRL at", ".crl_urls"},
        {"trust store", ".trust_store"},
    };
    fields_under(s, verdicts, ext, ARRAY_LEN(ext));
    static const char *const problems[] = {
        "malformed",     "expired",          "not_yet_valid",
        "self_signed",   "hostname_mismatch", "chain_out_of_order",
        "incomplete_chain", "untrusted",     "weak_key",
        "weak_signature", "validity_too_long", "wrong_purpose",
        "revoked",       "client_clock",
    };
    snprintf(name, sizeof(name), "%s.", verdicts);
    if (!true_flags(s, "verdicts", name, problems, ARRAY_LEN(problems)))
        fact(s, "verdicts", "no problem found");
    snprintf(name, sizeof(name), "%s.verify_error", verdicts);
    field(s, "verify error", name);
}

static void ocsp(struct sec *s)
{
    static const struct labelled_field ocsp_fields[] = {
        {"requested", "tlsmon.ocsp.requested"},
        {"stapled", "tlsmon.ocsp.stapled"},
        {"response", "tlsmon.ocsp.response_status"},
        {"leaf status", "tlsmon.ocsp.cert_status"},
        {"reason", "tlsmon.ocsp.revocation_reason"},
        {"revoked at", "tlsmon.ocsp.revoked_at"},
        {"this update", "tlsmon.ocsp.this_update"},
        {"next update", "tlsmon.ocsp.next_update"},
    };
    fields_under(s, "", ocsp_fields, ARRAY_LEN(ocsp_fields));
}

static void history(struct sec *s)
{
    static const struct labelled_field history_fields[] = {
        {"established", "tlsmon.server.established_count"},
        {"failed", "tlsmon.server.failed_count"},
        {"versions", "tlsmon.server.accepted_versions"},
        {"cipher suites", "tlsmon.server.accepted_ciphers"},
        {"groups", "tlsmon.server.accepted_groups"},
        {"usual issuer", "tlsmon.server.usual_issuer"},
        {"issuer seen", "tlsmon.server.usual_issuer_count"},
        {"version accepted", "tlsmon.server.offered_version_accepted"},
        {"suite accepted", "tlsmon.server.offered_cipher_accepted"},
        {"issuer changed", "tlsmon.server.issuer_changed"},
    };
    fields_under(s, "", history_fields, ARRAY_LEN(history_fields));
}

static void diagnosis(struct sec *s)
{
    const struct handshake *h = s->h;
    static const struct labelled_field diagnosis_fields[] = {
        {"cause", "tlsmon.cause"},
        {"fix", "tlsmon.fix"},
        {"confidence", "tlsmon.confidence"},
    };
    fields_under(s, "", diagnosis_fields, ARRAY_LEN(diagnosis_fields));
    char message[1024];
    static __thread char safe[sizeof(message) * 4];
    for (size_t i = 0; i < h->report->findings.n; i++) {
        const struct finding *f = &h->report->findings.v[i];
        const struct rule *r = f->rule;
        json_append_fmt(s->w, "%*s! %s %s [%s] fix: %s, confidence %s%s%s\n",
                        s->indent, "", rules_severity_name(r->severity),
                        r->cause, r->id, rules_fix_name(r->fix),
                        rules_confidence_name(r->confidence),
                        (int)i == h->report->primary ? " (primary)" : "",
                        f->suppressed ? " (alert not repeated: identical "
                                        "within --alert-window)"
                                      : "");
        json_append_fmt(s->w, "%*s  evidence: %s\n%*s  remedy:   %s\n",
                        s->indent, "",
                        fields_printable(
                            rules_message(r, h, message, sizeof(message)),
                            safe, sizeof(safe)),
                        s->indent, "", r->remediation);
    }
    if (h->report->findings.total > h->report->findings.n)
        json_append_fmt(
            s->w, "%*s(%u more matching rules not kept)\n", s->indent, "",
            (unsigned)(h->report->findings.total - h->report->findings.n));
}

/* ---- assembly ------------------------------------------------------------ */

static void emit(struct sec *s, const char *title, detail_section_fn fn,
                 void *ctx)
{
    if (s->w->failed || s->w->len == 0) {
        json_reset(s->w);
        return;
    }
    json_append_raw(s->w, "", 1); /* a terminator, not counted */
    s->w->len--;
    fn(ctx, title, s->w->buf, s->w->len);
    json_reset(s->w);
}

void detail_sections(const struct handshake *h, struct json_writer *scratch,
                     int indent, detail_section_fn fn, void *ctx)
{
    struct sec s = {scratch, h, indent < 0 ? 0 : indent > 16 ? 16 : indent};
    json_reset(scratch);
    connection(&s);
    emit(&s, "connection", fn, ctx);
    outcome(&s);
    emit(&s, "outcome", fn, ctx);
    timeline(&s);
    emit(&s, "timeline", fn, ctx);
    if (h->ch.seen) {
        client_hello(&s);
        emit(&s, "client hello", fn, ctx);
    }
    if (h->sh.seen || hs_rare(h)->hrr.seen) {
        server_hello(&s);
        emit(&s, "server hello", fn, ctx);
    }
    fingerprints(&s);
    emit(&s, "fingerprints", fn, ctx);
    if (chain_has_facts(&h->report->server_cert)) {
        chain(&s, &h->report->server_cert, &h->server_certs, "tls.server",
              "tlsmon.certificate");
        emit(&s, "server certificate chain", fn, ctx);
    }
    if (chain_has_facts(&h->report->client_cert)) {
        chain(&s, &h->report->client_cert, &hs_rare(h)->client_certs,
              "tls.client", "tlsmon.client_certificate");
        emit(&s, "client certificate chain", fn, ctx);
    }
    if (h->ch.status_request || h->ocsp.seen) {
        ocsp(&s);
        emit(&s, "OCSP stapling", fn, ctx);
    }
    if (h->report->server_profile.known) {
        history(&s);
        emit(&s, "this server earlier in the run", fn, ctx);
    }
    if (h->report->diagnosed) {
        diagnosis(&s);
        emit(&s, "diagnosis", fn, ctx);
    }
}

struct append_ctx {
    struct json_writer *out;
    int indent;
};

static void append_section(void *ctx, const char *title, const char *text,
                           size_t len)
{
    struct append_ctx *a = ctx;
    json_append_fmt(a->out, "%*s%s\n", a->indent > 2 ? a->indent - 2 : 0, "",
                    title);
    json_append_raw(a->out, text, len);
}

void detail_append(struct json_writer *out, const struct handshake *h,
                   int indent)
{
    struct json_writer scratch;
    json_init(&scratch);
    struct append_ctx a = {out, indent};
    detail_sections(h, &scratch, indent, append_section, &a);
    json_free(&scratch);
}
