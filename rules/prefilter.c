/* prefilter.c — the evaluation plan of a rule set, made when it loads:
 * the enabled rules in the order they run, and the conditions that many
 * rules require (the outcome, who sent the alert, whether the handshake was
 * established …), so that evaluation (engine.c) tests each of them once
 * per record and passes over every rule whose required condition failed.
 *
 * A key is a top-level conjunct of a rule's `when:` that is cheap to test:
 * `exists`, or an equality test on a boolean or enumerated field. Rules
 * share a key when their conditions are the same test. The fields the rules
 * themselves fill (tlsmon.cause, tlsmon.rules …) change while a record is
 * evaluated, so they are never keys. */
#include <stdlib.h>
#include <string.h>

#include "compiled.h"
#include "diagnosis_fields.h"
#include "field_values.h"

static bool diagnosis_field(const struct field_def *f)
{
    return f >= diagnosis_fields.rows &&
           f < diagnosis_fields.rows + diagnosis_fields.n;
}

static bool cheap_test(const struct cond *c)
{
    if (c->kind != COND_TEST || diagnosis_field(c->field))
        return false;
    if (c->op == OP_EXISTS)
        return true;
    bool few_values =
        c->field->type == FT_BOOL || field_values_enumerated(c->field);
    switch (c->op) {
    case OP_EQ:
    case OP_NE:
    case OP_IN:
    case OP_NOT_IN:
    case OP_CONTAINS:
        return few_values;
    default:
        return false;
    }
}

/* Literals compiled from the same text are equal member by member; a
 * difference of letter case only makes two keys where one would do. */
static bool same_literal(const struct cond_value *a,
                         const struct cond_value *b)
{
    bool same_str = a->str == b->str ||
                    (a->str && b->str && strcmp(a->str, b->str) == 0);
    return same_str && a->num == b->num &&
           memcmp(&a->real, &b->real, sizeof(a->real)) == 0 &&
           a->boolean == b->boolean && a->re == b->re &&
           memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 &&
           a->family == b->family && a->prefix == b->prefix;
}

static bool same_test(const struct cond *a, const struct cond *b)
{
    if (a->field != b->field || a->op != b->op || a->exists != b->exists ||
        a->n_values != b->n_values)
        return false;
    for (size_t i = 0; i < a->n_values; i++)
        if (!same_literal(&a->values[i], &b->values[i]))
            return false;
    return true;
}

/* A distinct cheap test, how many enabled rules require it, and its
 * place among the candidates. */
struct candidate {
    const struct cond *test;
    size_t rules;
    size_t first;
};

/* Distinct tests considered: bounds the load time of a huge set (each
 * conjunct is compared with every candidate), far above the default set's
 * hundred. Tests past it stay with the rest of their rule. */
#define MAX_CANDIDATES 256

static void count_test(struct candidate *cands, size_t *n,
                       const struct cond *c)
{
    for (size_t k = 0; k < *n; k++)
        if (same_test(cands[k].test, c)) {
            cands[k].rules++;
            return;
        }
    if (*n < MAX_CANDIDATES) {
        cands[*n] = (struct candidate){c, 1, *n};
        (*n)++;
    }
}

/* More rules first, so a rule tests first the key most likely already
 * tested; then first defined, for a stable order. */
static int by_rules(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->rules != y->rules)
        return x->rules < y->rules ? 1 : -1;
    return (x->first > y->first) - (x->first < y->first);
}

static size_t key_of(const struct rule_plan *plan, const struct cond *c)
{
    for (size_t k = 0; k < plan->n_keys; k++)
        if (same_test(plan->keys[k], c))
            return k;
    return PREFILTER_MAX_KEYS;
}

/* Rules naming cause `unknown` speak only when no other rule matched. */
static bool fallback(const struct compiled_rule *r)
{
    return r->pub.cause && strcmp(r->pub.cause, "unknown") == 0;
}

static struct rule_plan *plan_rules(const struct rule_set *rs)
{
    struct rule_plan *plan = calloc(
        1, sizeof(*plan) + rs->n_rules * sizeof(plan->rules[0]));
    if (!plan)
        return NULL;
    for (int fallbacks = 0; fallbacks < 2; fallbacks++) {
        for (size_t i = 0; i < rs->n_rules; i++)
            if (rs->rules[i].pub.enabled &&
                fallback(&rs->rules[i]) == (fallbacks == 1))
                plan->rules[plan->n++].rule = i;
        if (!fallbacks)
            plan->n_causes = plan->n;
    }
    return plan;
}

/* The keys: the cheap tests more than one planned rule requires, those
 * most rules require first. */
static bool choose_keys(const struct rule_set *rs, struct rule_plan *plan)
{
    struct candidate *cands = malloc(MAX_CANDIDATES * sizeof(*cands));
    if (!cands)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const struct cond *kids;
        size_t nk = cond_conjuncts(&rs->rules[plan->rules[i].rule].when, &kids);
        for (size_t c = 0; c < nk; c++)
            if (cheap_test(&kids[c]))
                count_test(cands, &n, &kids[c]);
    }
    qsort(cands, n, sizeof(*cands), by_rules);
    for (size_t k = 0; k < n && k < PREFILTER_MAX_KEYS; k++)
        if (cands[k].rules > 1)
            plan->keys[plan->n_keys++] = cands[k].test;
    free(cands);
    return true;
}

bool prefilter_compile(struct rule_set *rs)
{
    free(rs->plan);
    rs->plan = plan_rules(rs);
    if (!rs->plan || !choose_keys(rs, rs->plan))
        return false;
    struct rule_plan *plan = rs->plan;
    for (size_t i = 0; i < plan->n; i++) {
        struct planned_rule *p = &plan->rules[i];
        const struct cond *kids;
        size_t nk = cond_conjuncts(&rs->rules[p->rule].when, &kids);
        for (size_t c = 0; c < nk && c < PREFILTER_MARKED_CONJUNCTS; c++) {
            size_t k = cheap_test(&kids[c]) ? key_of(plan, &kids[c])
                                            : PREFILTER_MAX_KEYS;
            if (k == PREFILTER_MAX_KEYS)
                continue;
            p->required_keys |= UINT64_C(1) << k;
            p->keyed_conds |= UINT64_C(1) << c;
        }
    }
    return true;
}
