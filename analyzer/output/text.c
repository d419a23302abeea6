/* text.c — the output for a person: one line per handshake saying who spoke
 * to whom, what they agreed on, and how it ended; colour only on request.
 * Names from the wire (SNI, a non-TLS answer) are made printable first so a
 * hostile peer cannot write escape sequences to the operator's terminal. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "detail.h"
#include "order.h"
#include "summary.h"
#include "../fields.h"
#include "../../dissectors/outcome.h"
#include "../../rules/engine.h"
#include "../../dissectors/starttls.h"
#include "../../dissectors/quic_crypto.h"
#include "../../dissectors/tls_names.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"

/* Long enough for a full SNI with every byte escaped. */
#define LINE_MAX_LEN (HS_SNI_LEN * 4 + 512)

struct line {
    char buf[LINE_MAX_LEN];
    size_t len;
};

struct text_output {
    struct output base; /* first: the pipeline holds a struct output * */
    /* With --workers a record's lines and its findings stay together. */
    pthread_mutex_t write_lock;
    uint64_t lost; /* records that could not be written */
};

static void append(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void append(struct line *l, const char *fmt, ...)
{
    if (l->len >= sizeof(l->buf) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    l->len += (size_t)n;
    if (l->len > sizeof(l->buf) - 1)
        l->len = sizeof(l->buf) - 1;
}

static void append_endpoint(struct line *l, const struct endpoint *ep)
{
    char ip[64];
    fields_ip_string(ep, ip, sizeof(ip));
    if (ep->ip_version == 6)
        append(l, "[%s]:%u", ip, (unsigned)ep->port);
    else
        append(l, "%s:%u", ip, (unsigned)ep->port);
}

/* "TLS1.2", "DTLS1.2", "SSL3", or the hex of an unnamed version. */
static void append_version(struct line *l, uint16_t v)
{
    char buf[16];
    const char *name = fields_version_string(v, buf, sizeof(buf));
    if (strncmp(name, "ssl", 3) == 0)
        append(l, "SSL%s", name + 3);
    else if (name[0] == '0')
        append(l, "%s", name);
    else
        append(l, "%s%s", tls_version_is_dtls(v) ? "DTLS" : "TLS", name);
}

static void append_ms(struct line *l, int64_t us)
{
    if (us < 0)
        return;
    int64_t tenths = (us + 50) / 100;
    append(l, " %" PRId64 ".%" PRId64 "ms", tenths / 10, tenths % 10);
}

/* Why it ended: the deciding alert, else who closed it and how. */
static void append_reason(struct line *l, const struct handshake *h)
{
    const struct tls_alert *a = outcome_deciding_alert(h);
    char buf[32];
    if (a && a->encrypted) {
        append(l, "%s encrypted alert (%u bytes)", fields_side_name(a->sender),
               (unsigned)a->length);
        return;
    }
    if (a) {
        append(l, "%s alert %s %s(%u)%s", fields_side_name(a->sender),
               a->level == 2 ? "fatal" : a->level == 1 ? "warning" : "level?",
               fields_alert_description(a->description, buf, sizeof(buf)),
               (unsigned)a->description, a->decrypted ? " decrypted" : "");
        return;
    }
    if (h->ended_by == ENDED_NONE) {
        append(l, "no alert");
        return;
    }
    const char *why = ended_by_name(h->ended_by);
    if (h->ended_by_side == TLS_SIDE_CLIENT ||
        h->ended_by_side == TLS_SIDE_SERVER)
        append(l, "%s ", fields_side_name(h->ended_by_side));
    append(l, "%s", why ? why : "unknown");
}

const char *text_reason(const struct handshake *h, char *buf, size_t n)
{
    struct line l;
    l.len = 0;
    l.buf[0] = '\0';
    append_reason(&l, h);
    snprintf(buf, n, "%s", l.buf);
    return buf;
}

static const char *stage_for(const struct handshake *h)
{
    const char *s = stage_failure_name(h->failure_stage);
    return s ? s : stage_failure_name(h->stage);
}

/* " FAILED after_server_hello: why" (or incomplete): the word, the stage
 * it stopped after, the reason. */
static void append_unfinished(struct line *l, const char *on, const char *word,
                              const char *off, const char *stage,
                              const struct handshake *h)
{
    append(l, " %s%s%s", on, word, off);
    if (stage)
        append(l, " %s", stage);
    append(l, ": ");
    append_reason(l, h);
}

/* A text the record keeps from the wire, made printable; NULL when it is
 * empty. The record's texts are always terminated (bounded copies). */
static const char *wire_text(const char *s, char *tmp, size_t n)
{
    return s[0] ? fields_printable(s, tmp, n) : NULL;
}

static void format_line(struct line *l, const struct handshake *h, bool color)
{
    char tmp[HS_SNI_LEN * 4];
    const char *t;
    uint64_t ts = h->ch.seen && h->ch.ts_us ? h->ch.ts_us : h->flow_start_us;

    l->len = 0;
    l->buf[0] = '\0';
    append(l, "%s #%" PRIu64 " ", fields_time_string(ts, 3, tmp, sizeof(tmp)),
           h->flow_id);
    append_endpoint(l, &h->client);
    append(l, " -> ");
    append_endpoint(l, &h->server);
    if (h->transport == HS_OVER_QUIC) {
        char v[16];
        uint32_t version = hs_rare(h)->quic.version;
        append(l, " quic=%s",
               version ? quic_version_name(version, v, sizeof v) : "?");
    }
    if (starttls_proto_name((enum starttls_proto)h->starttls))
        append(l, " starttls=%s",
               starttls_proto_name((enum starttls_proto)h->starttls));
    if (h->ch.seen && h->ch.has_sni)
        append(l, " sni=%s%s", fields_printable(h->ch.sni, tmp, sizeof(tmp)),
               /* with ECH the name in clear is the outer one */
               h->ch.ech_info.present && h->ch.ech_info.type == 0
                   ? " (ech outer)"
                   : "");
    if (h->sh.seen) {
        append(l, " ");
        append_version(l, h->sh.version);
        append(l, " %s", fields_cipher_string(h->sh.cipher, tmp, sizeof(tmp)));
        if (tls_group_pq_kind(h->sh.group) != TLS_PQ_NONE)
            append(l, " %s", tls_group_name(h->sh.group));
    }

    const char *on = "", *off = color ? ANSI_RESET : "";
    const char *stage = stage_for(h);
    switch (h->outcome) {
    case OUTCOME_ESTABLISHED:
        on = color ? ANSI_GREEN : "";
        append(l, " %sestablished%s%s", on, off, h->resumed ? " resumed" : "");
        append_ms(l, h->handshake_us);
        break;
    case OUTCOME_FAILED:
        append_unfinished(l, color ? ANSI_RED : "", "FAILED", off, stage, h);
        break;
    case OUTCOME_NOT_TLS:
        on = color ? ANSI_RED : "";
        append(l, " %sNOT_TLS%s", on, off);
        if ((t = wire_text(h->report->ndpi_protocol, tmp, sizeof(tmp))))
            append(l, " (%s)", t);
        if ((t = wire_text(h->not_tls_preview, tmp, sizeof(tmp))))
            append(l, ": server answered \"%s\"", t);
        break;
    case OUTCOME_REFUSED:
        on = color ? ANSI_YELLOW : "";
        append(l, " %sREFUSED%s server refused STARTTLS", on, off);
        if ((t = wire_text(hs_rare(h)->starttls_refusal, tmp,
                           sizeof(tmp))))
            append(l, ": \"%s\"", t);
        break;
    case OUTCOME_INCOMPLETE:
        append_unfinished(l, color ? ANSI_YELLOW : "", "incomplete", off, stage,
                          h);
        break;
    default:
        on = color ? ANSI_YELLOW : "";
        append(l, " %sundecided%s", on, off);
        break;
    }
    if (h->gaps)
        append(l, " gaps=%" PRIu32, h->gaps);
    append(l, "\n");
    if (l->buf[l->len - 1] != '\n') /* cut short: still end the line */
        l->buf[l->len - 1] = '\n';
}

/* Each finding under its handshake: the cause, who must fix it, the
 * evidence and the remedy. Flood control limits alert events, not this:
 * a handshake line always carries its own diagnosis. Messages carry names
 * from the wire, so they are made printable like the SNI. */
static void format_findings(struct output *o, const struct handshake *h,
                            struct json_writer *out)
{
    char message[1024], safe[sizeof(message) * 4];
    for (size_t i = 0; i < h->report->findings.n; i++) {
        const struct finding *f = &h->report->findings.v[i];
        const struct rule *r = f->rule;
        bool loud = r->severity >= SEVERITY_HIGH;
        const char *on = !o->color ? "" : loud ? ANSI_RED : ANSI_YELLOW;
        const char *off = o->color ? ANSI_RESET : "";
        json_append_fmt(out, "    %s! %s %s%s [%s, fix: %s, confidence %s]",
                        on, rules_severity_name(r->severity), r->cause, off,
                        r->id, rules_fix_name(r->fix),
                        rules_confidence_name(r->confidence));
        if (f->repeats)
            json_append_fmt(out, " (+%u identical before)",
                            (unsigned)f->repeats);
        if (f->suppressed)
            json_append_fmt(out, " (alert event held back: identical "
                                 "within --alert-window)");
        json_append_fmt(
            out, "\n      %s\n      fix: %s\n",
            fields_printable(rules_message(r, h, message, sizeof(message)),
                             safe, sizeof(safe)),
            r->remediation);
    }
}

static void text_handshake(struct output *o, const struct handshake *h,
                           struct output_scratch *s)
{
    struct text_output *t = (struct text_output *)o;
    if (!rules_filter_match(o->filter, h))
        return;
    struct line l;
    format_line(&l, h, o->color);
    json_reset(&s->lines);
    json_append_raw(&s->lines, l.buf, l.len);
    if (o->detail) {
        detail_append(&s->lines, h, 6);
        json_append_raw(&s->lines, "\n", 1);
    } else {
        format_findings(o, h, &s->lines);
    }
    output_take_turn(s);
    pthread_mutex_lock(&t->write_lock);
    o->shown++;
    if (o->before_write)
        o->before_write(o->before_write_ctx);
    if (s->lines.failed ||
        !record_order_deliver(o->order, o->fp, h, s->lines.buf,
                              s->lines.len))
        t->lost++;
    pthread_mutex_unlock(&t->write_lock);
    json_reset(&s->lines);
}

static void text_finish(struct output *o, const struct summary *sum,
                        const struct run_stats *st)
{
    struct text_output *t = (struct text_output *)o;
    if (o->before_write)
        o->before_write(o->before_write_ctx);
    if (!record_order_flush(o->order, o->fp))
        t->lost++;
    if (sum)
        summary_print_text(o->fp, sum, st, o->color);
    fflush(o->fp);
    if (t->lost)
        fprintf(stderr, "tlsmon: text: %" PRIu64 " records not written\n",
                t->lost);
}

static void text_free(struct output *o)
{
    struct text_output *t = (struct text_output *)o;
    pthread_mutex_destroy(&t->write_lock);
    free(t);
}

static const struct output_ops text_ops = {
    .handshake = text_handshake,
    .takes_turn = true,
    .finish = text_finish,
    .free = text_free,
};

struct output *output_text_new(FILE *fp, bool color)
{
    struct text_output *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    pthread_mutex_init(&t->write_lock, NULL);
    struct output *o = &t->base;
    o->name = "text";
    o->ops = &text_ops;
    o->fp = fp;
    o->color = color;
    return o;
}
