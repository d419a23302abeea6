/* field_values.c — the enumerated record fields and their values (see
 * field_values.h). Each field has a function giving its i-th value (NULL:
 * none at i) over a range; values repeated by a name function (an
 * out-of-range enum named like a valid one) are listed once. */
#include "field_values.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "array_len.h"
#include "engine.h"
#include "../dissectors/ocsp.h"
#include "../dissectors/outcome.h"
#include "../dissectors/posture.h"
#include "../dissectors/starttls.h"
#include "../dissectors/tls_names.h"

#define FIXED(fn, ...)                                                        \
    static const char *fn(size_t i)                                           \
    {                                                                         \
        static const char *const v[] = {__VA_ARGS__};                         \
        return i < ARRAY_LEN(v) ? v[i] : NULL;                                \
    }

/* A field whose values a name function gives: index i read as its code. */
#define NAMED(fn, name_of, code_type)                                         \
    static const char *fn(size_t i)                                           \
    {                                                                         \
        return name_of((code_type)i);                                         \
    }

/* The same, for a name function that names codes past `last` like a valid
 * one: those are no values of their own. */
#define NAMED_THROUGH(fn, name_of, code_type, last)                           \
    static const char *fn(size_t i)                                           \
    {                                                                         \
        return i <= (size_t)(last) ? name_of((code_type)i) : NULL;            \
    }

FIXED(v_event_outcome, "success", "failure", "unknown")
FIXED(v_side, "client", "server")
FIXED(v_alert_level, "warning", "fatal")
FIXED(v_network_type, "ipv4", "ipv6")
FIXED(v_transport, "tcp", "udp")
FIXED(v_network_protocol, "tls", "quic", "dtls")
FIXED(v_version_protocol, "tls", "ssl")
FIXED(v_trust_store, "system", "custom")
FIXED(v_ech_type, "outer", "inner", "unknown")
FIXED(v_distrust_basis, "sct", "not_before")

NAMED(v_outcome, outcome_name, enum hs_outcome)
NAMED(v_ended_by, ended_by_name, enum hs_ended_by)
NAMED(v_alert, tls_alert_name, uint8_t)
NAMED(v_starttls, starttls_proto_name, enum starttls_proto)
NAMED(v_pq_status, pq_status_name, enum pq_status)
NAMED(v_pq_reason, pq_reason_name, enum pq_reason)
NAMED(v_pq_kind, tls_pq_kind_name, enum tls_pq_kind)
NAMED(v_ech_status, ech_status_name, enum ech_status)
NAMED(v_ocsp_cert_status, ocsp_cert_status_name, enum ocsp_cert_status)
NAMED_THROUGH(v_failure_stage, stage_failure_name, enum hs_stage,
              STAGE_COUNT - 1)
NAMED_THROUGH(v_fix, rules_fix_name, enum rule_fix, FIX_EITHER)
NAMED_THROUGH(v_confidence, rules_confidence_name, enum rule_confidence,
              CONFIDENCE_HIGH)
NAMED_THROUGH(v_severity, rules_severity_name, enum rule_severity,
              SEVERITY_CRITICAL)

static const char *v_stage(size_t i)
{
    const char *s = v_failure_stage(i);
    return s && strncmp(s, "after_", 6) == 0 ? s + 6 : s;
}

static const char *v_cause(size_t i)
{
    size_t n = rules_causes_count();
    if (i < n)
        return rules_cause_at(i)->id;
    return i == n ? "none" : i == n + 1 ? "unknown" : NULL;
}

struct enumerated {
    const char *field;
    const char *(*at)(size_t i);
    size_t range;          /* at() is asked for 0 .. range-1 */
    bool unknown_codes;    /* also "unknown_NN" (alert descriptions) */
};

static const struct enumerated table[] = {
    {"event.outcome", v_event_outcome, 8, false},
    {"network.type", v_network_type, 8, false},
    {"network.transport", v_transport, 8, false},
    {"network.protocol", v_network_protocol, 8, false},
    {"tls.version_protocol", v_version_protocol, 8, false},
    {"tlsmon.outcome", v_outcome, 32, false},
    {"tlsmon.stage", v_stage, 64, false},
    {"tlsmon.failure_stage", v_failure_stage, 64, false},
    {"tlsmon.ended_by", v_ended_by, 32, false},
    {"tlsmon.ended_by_side", v_side, 8, false},
    {"tlsmon.alert.sender", v_side, 8, false},
    {"tlsmon.alert.level", v_alert_level, 8, false},
    {"tlsmon.alert.description", v_alert, 256, true},
    {"tlsmon.certificate.trust_store", v_trust_store, 8, false},
    {"tlsmon.ocsp.cert_status", v_ocsp_cert_status, 16, false},
    {"tlsmon.starttls", v_starttls, 32, false},
    {"tlsmon.pq.status", v_pq_status, 16, false},
    {"tlsmon.pq.not_used_reason", v_pq_reason, 16, false},
    {"tlsmon.pq.kind", v_pq_kind, 8, false},
    {"tlsmon.ech.type", v_ech_type, 8, false},
    {"tlsmon.ech.status", v_ech_status, 16, false},
    {"tlsmon.certificate.distrust_basis", v_distrust_basis, 8, false},
    {"tlsmon.cause", v_cause, 256, false},
    {"tlsmon.fix", v_fix, 8, false},
    {"tlsmon.confidence", v_confidence, 8, false},
    {"tlsmon.severity", v_severity, 8, false},
};
#define N_TABLE ARRAY_LEN(table)

static const struct enumerated *find(const struct field_def *f)
{
    for (size_t i = 0; f && i < N_TABLE; i++)
        if (strcmp(table[i].field, f->name) == 0)
            return &table[i];
    return NULL;
}

bool field_values_enumerated(const struct field_def *f)
{
    return find(f) != NULL;
}

/* "unknown_" and one to three digits. */
static bool unknown_code(const char *s)
{
    if (strncasecmp(s, "unknown_", 8) != 0)
        return false;
    size_t n = strlen(s + 8);
    if (n == 0 || n > 3)
        return false;
    for (const char *p = s + 8; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

/* Was value i already given by an earlier index? */
static bool repeated(const struct enumerated *e, size_t i, const char *v)
{
    for (size_t k = 0; k < i; k++) {
        const char *w = e->at(k);
        if (w && strcmp(w, v) == 0)
            return true;
    }
    return false;
}

bool field_value_allowed(const struct field_def *f, const char *value,
                         const char *const *extra, size_t n_extra)
{
    const struct enumerated *e = find(f);
    if (!e)
        return true;
    for (size_t i = 0; i < e->range; i++) {
        const char *v = e->at(i);
        if (v && strcasecmp(v, value) == 0)
            return true;
    }
    if (e->at == v_cause)
        for (size_t i = 0; i < n_extra; i++)
            if (strcasecmp(extra[i], value) == 0)
                return true;
    return e->unknown_codes && unknown_code(value);
}

void field_values_describe(const struct field_def *f,
                           const char *const *extra, size_t n_extra,
                           char *buf, size_t n)
{
    const char *values[300];
    size_t count = 0;
    const struct enumerated *e = find(f);
    if (n)
        buf[0] = '\0';
    if (!e)
        return;
    for (size_t i = 0; i < e->range && count < 256; i++) {
        const char *v = e->at(i);
        if (v && !repeated(e, i, v))
            values[count++] = v;
    }
    for (size_t i = 0; e->at == v_cause && i < n_extra && count < 300; i++)
        values[count++] = extra[i];
    if (e->unknown_codes && count < 300)
        values[count++] = "unknown_NN";
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(buf + off, n - off, "%s%s",
                         i == 0 ? "" : i + 1 == count ? " or " : ", ",
                         values[i]);
        if (w < 0 || (size_t)w >= n - off)
            break;
        off += (size_t)w;
    }
}

size_t field_values_count(void)
{
    return N_TABLE;
}

const char *field_values_field_at(size_t i)
{
    return i < N_TABLE ? table[i].field : NULL;
}

static const struct {
    const char *old, *now;
} renamed[] = {
    {"server.established_count", "tlsmon.server.established_count"},
    {"server.failed_count", "tlsmon.server.failed_count"},
    {"server.accepted_versions", "tlsmon.server.accepted_versions"},
    {"server.accepted_ciphers", "tlsmon.server.accepted_ciphers"},
    {"server.accepted_groups", "tlsmon.server.accepted_groups"},
    {"server.usual_issuer", "tlsmon.server.usual_issuer"},
    {"server.usual_issuer_count", "tlsmon.server.usual_issuer_count"},
    {"server.offered_version_accepted",
     "tlsmon.server.offered_version_accepted"},
    {"server.offered_cipher_accepted",
     "tlsmon.server.offered_cipher_accepted"},
    {"server.issuer_changed", "tlsmon.server.issuer_changed"},
    {"server.certificate.subject", "tlsmon.server.certificate.subject"},
    {"server.certificate.untrusted", "tlsmon.server.certificate.untrusted"},
    {"server.certificate.incomplete_chain",
     "tlsmon.server.certificate.incomplete_chain"},
    {"server.certificate.hostname_mismatch",
     "tlsmon.server.certificate.hostname_mismatch"},
    {"server.certificate.self_signed",
     "tlsmon.server.certificate.self_signed"},
    {"server.certificate.expired", "tlsmon.server.certificate.expired"},
    {"tlsmon.packets.client", "source.packets"},
    {"tlsmon.packets.server", "destination.packets"},
    {"tlsmon.bytes.client", "source.bytes"},
    {"tlsmon.bytes.server", "destination.bytes"},
};

const char *field_renamed_to(const char *old_name)
{
    for (size_t i = 0; i < ARRAY_LEN(renamed); i++)
        if (strcmp(renamed[i].old, old_name) == 0)
            return renamed[i].now;
    return NULL;
}
