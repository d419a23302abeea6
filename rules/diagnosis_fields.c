/* diagnosis_fields.c — the diagnosis rows of the field registry, read from
 * the findings rules_evaluate left in the record's report. */
#include "diagnosis_fields.h"

#include "array_len.h"
#include "engine.h"

/* A clean record has cause "none"; a failed one no rule explains,
 * "unknown". Both only once the rules ran. */
static bool g_cause(const struct handshake *h, struct field_value *v,
                    char *scratch, size_t len)
{
    (void)scratch, (void)len;
    if (!h->report->diagnosed)
        return false;
    const struct rule *r = rules_primary(h);
    if (r)
        return field_put_str(v, r->cause);
    return field_put_str(v, h->outcome == OUTCOME_FAILED ? "unknown" : "none");
}

/* The primary rule's fix, confidence, severity: only when one names a
 * cause. */
#define PRIMARY_FACT(fn, expr)                                                \
    static bool fn(const struct handshake *h, struct field_value *v,          \
                   char *scratch, size_t len)                                 \
    {                                                                         \
        (void)scratch, (void)len;                                             \
        const struct rule *r = rules_primary(h);                              \
        return r && field_put_str(v, expr);                                   \
    }
PRIMARY_FACT(g_fix, rules_fix_name(r->fix))
PRIMARY_FACT(g_confidence, rules_confidence_name(r->confidence))
PRIMARY_FACT(g_severity, rules_severity_name(r->severity))

static size_t c_rules(const struct handshake *h)
{
    return h->report->diagnosed ? h->report->findings.n : 0;
}

static bool i_rules(const struct handshake *h, size_t i,
                    struct field_value *v, char *scratch, size_t len)
{
    (void)scratch, (void)len;
    return field_put_str(v, h->report->findings.v[i].rule->id);
}

static const struct field_def rows[] = {
    FIELD_SCALAR("tlsmon.cause", FT_STRING,
                 "primary cause (DIAGNOSES.md id) from the highest-severity "
                 "matching rule; none when clean, unknown for an "
                 "unexplained failure", g_cause),
    FIELD_SCALAR("tlsmon.fix", FT_STRING,
                 "who must fix the primary cause: client, server, network, "
                 "either", g_fix),
    FIELD_SCALAR("tlsmon.confidence", FT_STRING,
                 "how sure the evidence for the primary cause is: low, "
                 "medium, high", g_confidence),
    FIELD_SCALAR("tlsmon.severity", FT_STRING,
                 "severity of the primary finding: info ... critical",
                 g_severity),
    FIELD_LIST("tlsmon.rules", FT_STRING_LIST, "ids of every matching rule",
               c_rules, i_rules),
};

const struct field_segment diagnosis_fields = {
    rows, ARRAY_LEN(rows),
};
