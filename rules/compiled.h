/* compiled.h — the evaluation form of a rule set, shared by the loader that
 * builds it (loader.c) and the evaluator that runs it (engine.c). Every
 * literal is parsed, typed for its field, and every regex compiled at load
 * time, so evaluation only compares. */
#ifndef TLSMON_RULES_COMPILED_H
#define TLSMON_RULES_COMPILED_H

#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "glob.h"
/* A rule names fields, and the registry says what they are and reads
 * them from the record. */
#include "../dissectors/field_registry.h"

enum cond_kind { COND_ALL, COND_ANY, COND_NOT, COND_TEST };

enum cond_op {
    OP_EQ,
    OP_NE,
    OP_IN,
    OP_NOT_IN,
    OP_EXISTS,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_CONTAINS,
    OP_GLOB,
    OP_REGEX,
    OP_CIDR,
};

/* Alert literals: a description code, or any encrypted alert. */
#define ALERT_ENCRYPTED (-1)

struct cond_value {
    const char *str;   /* strings, canonical IP text, glob patterns */
    int64_t num;       /* ints, times (µs), version ranks, alert codes */
    double real;
    bool boolean;
    regex_t *re;
    const struct glob *glob; /* a glob pattern, shaped */
    uint8_t addr[16];  /* cidr */
    uint8_t family;    /* 4 or 6 */
    uint8_t prefix;
};

struct cond {
    enum cond_kind kind;
    struct cond *kids;              /* ALL, ANY; NOT has exactly one */
    size_t n_kids;
    const struct field_def *field;  /* TEST */
    enum cond_op op;
    struct cond_value *values;      /* one, or the alternatives of in/any */
    size_t n_values;
    bool exists;                    /* OP_EXISTS: the wanted answer */
};

/* A message template: literal text and field placeholders, in order. */
struct template_piece {
    const char *text;               /* literal, when field is NULL */
    size_t len;
    const struct field_def *field;
};

struct compiled_rule {
    struct rule pub;
    struct cond when;
    struct template_piece *message;
    size_t n_pieces;
    /* tune: suppress: the rule does not match a record any of these hold
     * for (shared between the rules one tune entry names). */
    const struct cond **suppress;
    size_t n_suppress;
    /* The one part written after loading (rules_alert_text_slot): the
     * texts its alerts repeat, escaped at its first alert by
     * analyzer/output/alert_event.c, so they die with the rule and a later
     * set never meets them. One malloc'd block, freed by rules_free. */
    _Atomic(struct rule_alert_text *) alert_text;
};

struct rule_set {
    struct compiled_rule *rules;
    size_t n_rules;
    /* Every allocation of the set, freed together. */
    void **allocs;
    size_t n_allocs, cap_allocs;
    regex_t **regexes;
    size_t n_regexes, cap_regexes;
    /* How evaluation runs the rules (prefilter.c); NULL: no rule runs. */
    struct rule_plan *plan;
};

/* The conditions `when` requires all of: its kids under `all`, else
 * itself. */
static inline size_t cond_conjuncts(const struct cond *when,
                                    const struct cond **first)
{
    if (when->kind == COND_ALL) {
        *first = when->kids;
        return when->n_kids;
    }
    *first = when;
    return 1;
}

/* Keys fit a 64-bit mask; conditions past that are evaluated with the
 * rest of their rule. */
#define PREFILTER_MAX_KEYS 64
/* keyed_conds marks a rule's first 64 conjuncts; later ones are always
 * evaluated with the rest of their rule. */
#define PREFILTER_MARKED_CONJUNCTS 64

/* One enabled rule as evaluation runs it: the prefilter's keys every match
 * of it requires, and which of its top-level conditions they are (bit i:
 * conjunct i), so evaluation skips those. */
struct planned_rule {
    size_t rule;                    /* index in the set */
    uint64_t required_keys;
    uint64_t keyed_conds;
};

/* The enabled rules in evaluation order: those naming a cause, then the
 * fallbacks (cause `unknown`), and the prefilter's keys: distinct cheap
 * conditions that rules require, each tested at most once per record.
 * One allocation made after the rules, apart from them. */
struct rule_plan {
    const struct cond *keys[PREFILTER_MAX_KEYS];
    size_t n_keys;
    size_t n_causes, n;
    struct planned_rule rules[];
};

/* The set's plan, once it is complete (tuning applied): rules_evaluate
 * runs it. False when out of memory. */
bool prefilter_compile(struct rule_set *rs);

/* A filter: one set of one rule (only its condition) per condition. */
#define FILTER_MAX_CONDITIONS 64
struct rule_filter {
    struct rule_set *sets[FILTER_MAX_CONDITIONS];
    size_t n;
};

#endif
