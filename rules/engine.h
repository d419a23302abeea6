/* engine.h — the rule engine: YAML rule files loaded and compiled once into
 * a rule set, then evaluated on every decided handshake record to say what
 * went wrong, how sure the evidence is, and which side must fix it.
 *
 * A rule set is immutable once loaded. Evaluation reads the record through
 * the field registry (the NDJSON names) and allocates nothing; findings
 * point at rules of the set, so a set must outlive the records evaluated
 * with it (a reload builds a new set and frees the old one between
 * records). */
#ifndef TLSMON_RULES_ENGINE_H
#define TLSMON_RULES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../dissectors/handshake.h"

enum rule_severity {
    SEVERITY_INFO = 0,
    SEVERITY_LOW,
    SEVERITY_MEDIUM,
    SEVERITY_HIGH,
    SEVERITY_CRITICAL,
};

enum rule_fix { FIX_CLIENT = 0, FIX_SERVER, FIX_NETWORK, FIX_EITHER };

enum rule_confidence {
    CONFIDENCE_LOW = 0,
    CONFIDENCE_MEDIUM,
    CONFIDENCE_HIGH,
};

/* What the outputs read of a rule. The compiled condition and template
 * stay private to the engine. */
struct rule {
    const char *id;
    const char *name;
    const char *description; /* the name when the file gives none */
    const char *cause;       /* an id of rules_causes() */
    const char *remediation;
    const char *file;        /* where it was defined, for --list-rules */
    unsigned line;
    enum rule_severity severity;
    enum rule_fix fix;
    enum rule_confidence confidence;
    bool enabled;
    const char *const *tags;
    size_t n_tags;
    /* tune: entries that changed it (the last one's place) and its
     * suppress conditions. */
    const char *tuned_file;
    unsigned tuned_line;
    size_t n_suppress;
};

struct rule_set;

/* Longest error text: "FILE:LINE:COLUMN: what is wrong, what was expected"
 * (room for every value of a field, e.g. all alert names). */
#define RULES_ERROR_LEN 4096

/* Sources of rules for one set: the built-in default set and/or files, in
 * order; each file's `include:`s are loaded where they appear. Returns NULL
 * and fills `err` when anything is wrong; nothing is partially loaded. */
struct rule_set *rules_load(bool with_default, const char *const *files,
                            size_t n_files, char *err, size_t err_len);
/* One rules document held in memory (`name` is used in messages). Its
 * includes are read from files relative to `name`. */
struct rule_set *rules_load_string(const char *name, const char *text,
                                   size_t len, char *err, size_t err_len);
void rules_free(struct rule_set *rs);

size_t rules_count(const struct rule_set *rs);
const struct rule *rules_at(const struct rule_set *rs, size_t i);

/* Evaluate every enabled rule on `h`: fills h->report->findings (in rule
 * order, the first HS_MAX_FINDINGS kept, findings.total counts all),
 * h->report->primary and h->report->diagnosed. Allocates nothing. The
 * conditions many rules require are tested once, and rules one of them
 * rules out are not visited (rules/prefilter.c). */
void rules_evaluate(const struct rule_set *rs, struct handshake *h);

/* The rule's message template with {field.name} placeholders filled from
 * `h`. Always NUL-terminates when n > 0; returns buf. */
const char *rules_message(const struct rule *r, const struct handshake *h,
                          char *buf, size_t n);

/* The slot beside a loaded rule where an output keeps what it renders
 * once per rule (alert_event.c: the texts each of its alerts repeats). It
 * starts NULL, is freed with free() by rules_free, and is the one part of
 * a rule written after loading: workers share the rule, so set it only
 * with compare-and-swap. */
struct rule_alert_text;
_Atomic(struct rule_alert_text *) *rules_alert_text_slot(const struct rule *r);

/* `tlsmon --list-rules`. */
void rules_print(const struct rule_set *rs, FILE *fp);
/* The README's default rules table (Markdown). */
void rules_print_markdown(const struct rule_set *rs, FILE *fp);

const char *rules_severity_name(enum rule_severity s);
/* ECS event.severity: 1 info, 21 low, 47 medium, 73 high, 99 critical
 * (Elastic's risk score bands), so that higher means worse. */
int rules_severity_number(enum rule_severity s);
const char *rules_fix_name(enum rule_fix f);
const char *rules_confidence_name(enum rule_confidence c);

/* A filter: conditions in the rule language (what a rule's `when:` holds:
 * FIELD: VALUE, {OP: VALUE}, all/any/not), each written as YAML, for
 * choosing which records to show (--where and its short forms). A record
 * matches when every condition holds; a filter without conditions, or
 * none at all (NULL), matches every record. */
struct rule_filter;
struct rule_filter *rules_filter_new(void);
/* Add one condition; `name` prefixes error messages ("--where:1:2:
 * unknown field ..."). False, with `err` filled, when it does not compile
 * (the filter is unchanged). */
bool rules_filter_add(struct rule_filter *f, const char *name,
                      const char *text, char *err, size_t err_len);
size_t rules_filter_count(const struct rule_filter *f);
bool rules_filter_match(const struct rule_filter *f,
                        const struct handshake *h);
void rules_filter_free(struct rule_filter *f);

/* The causes a rule may name: the rows of DIAGNOSES.md, in ranking order
 * (causes.c), then the causes site rule files declared. `unknown` is the
 * cause of the built-in rule every set ends with, for a failure no other
 * rule explains. */
struct rule_cause {
    const char *id;
    const char *summary;
    const char *what;    /* what is wrong, one sentence */
    bool has_fix;        /* site causes: the side that fixes it, the */
    enum rule_fix fix;   /* default of the rules naming the cause */
};
#define RULES_MAX_CAUSES 64 /* built-in and site causes together */
size_t rules_causes_count(void);
const struct rule_cause *rules_cause_at(size_t i);
const struct rule_cause *rules_cause_find(const char *id);
/* Position in the ranking: lower outranks higher (rules_causes_count() for
 * a cause not in the catalogue). */
size_t rules_cause_rank(const char *id);
/* Does rule `a` outrank rule `b` as the primary finding of a record?
 * Severity, then confidence, then the cause ranking, then the rule with
 * more conditions (the more specific evidence), then the smaller id: never
 * the order of the files. */
bool rules_outranks(const struct rule *a, const struct rule *b);
/* The cause catalogue as Markdown (docs/causes.md): each cause, what is
 * wrong, the rules that find it (their evidence) and who fixes it. */
void rules_print_causes_markdown(const struct rule_set *rs, FILE *fp);
bool rules_cause_builtin(const char *id);
/* Add a site cause to the catalogue for the rest of the process (a cause
 * already added keeps its first description). False with the reason when
 * it is built in or the catalogue is full. */
bool rules_cause_register(const struct rule_cause *c, char *err, size_t n);

/* The primary finding of a diagnosed record, NULL when none names a cause. */
static inline const struct rule *rules_primary(const struct handshake *h)
{
    if (!h->report->diagnosed || h->report->primary < 0 ||
        h->report->primary >= h->report->findings.n)
        return NULL;
    return h->report->findings.v[h->report->primary].rule;
}

#endif
