/* engine.c — evaluation of a compiled rule set on a handshake record, the
 * message templates, and the listings of a set.
 *
 * A comparison on a field the record does not have is false (only
 * `exists: false` is true there), so `not:` is how a rule says "absent or
 * different". Text comparisons ignore ASCII case: names on the wire (SNI,
 * cipher names) are case-insensitive in practice. Nothing here allocates:
 * values come from the registry's accessors into a stack scratch buffer.
 * Rules run in the set's plan (prefilter.c): its keys, the conditions many
 * rules require, are tested once per record, and a rule one of whose keys
 * failed is passed over. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "compiled.h"
#include "text_buf.h"
#include "../dissectors/field_format.h"
#include "../dissectors/tls_names.h"

/* ---- comparisons ------------------------------------------------------- */

static bool value_equals(const struct field_def *f,
                         const struct field_value *v,
                         const struct cond_value *c)
{
    switch (f->type) {
    case FT_STRING:
    case FT_STRING_LIST:
    case FT_IP:
        return v->str && strcasecmp(v->str, c->str) == 0;
    case FT_INT:
    case FT_INT_LIST:
    case FT_TIME:
        return v->num == c->num;
    case FT_VERSION:
        return tls_version_rank((uint16_t)v->num) == c->num;
    case FT_BOOL:
        return v->boolean == c->boolean;
    case FT_FLOAT:
        return v->real == c->real;
    case FT_ALERTS:
        if (c->num == ALERT_ENCRYPTED)
            return v->alert->encrypted;
        return !v->alert->encrypted && v->alert->description == c->num;
    }
    return false;
}

/* -1, 0, 1 into *order; false when the value has no place in the order (a
 * version without a rank). */
static bool value_order(const struct field_def *f, const struct field_value *v,
                        const struct cond_value *c, int *order)
{
    switch (f->type) {
    case FT_INT:
    case FT_TIME:
        *order = (v->num > c->num) - (v->num < c->num);
        return true;
    case FT_FLOAT:
        *order = (v->real > c->real) - (v->real < c->real);
        return true;
    case FT_VERSION: {
        int r = tls_version_rank((uint16_t)v->num);
        if (r == 0)
            return false;
        *order = (r > c->num) - (r < c->num);
        return true;
    }
    default:
        return false;
    }
}

static bool in_prefix(const char *text, const struct cond_value *c)
{
    uint8_t addr[16];
    int family = c->family == 4 ? AF_INET : AF_INET6;
    if (!text || inet_pton(family, text, addr) != 1)
        return false;
    unsigned bits = c->prefix;
    for (unsigned i = 0; bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
        uint8_t mask = (uint8_t)(bits >= 8 ? 0xffu : 0xffu << (8 - bits));
        if ((addr[i] & mask) != (c->addr[i] & mask))
            return false;
    }
    return true;
}

/* Does one value satisfy one literal under `op` (equality-like ops)? */
static bool value_matches(const struct cond *c, const struct field_value *v,
                          const struct cond_value *lit)
{
    switch (c->op) {
    case OP_REGEX:
        return v->str && regexec(lit->re, v->str, 0, NULL, 0) == 0;
    case OP_CIDR:
        return in_prefix(v->str, lit);
    default:
        return value_equals(c->field, v, lit);
    }
}

/* Longest value the glob patterns' fast shapes see; a longer one (a JA3
 * string, say: names are at most a few hundred bytes) is fnmatch's. */
#define GLOB_VALUE_MAX 1024

/* The value is lowered once for all the patterns of the list. */
static bool any_glob(const struct cond *c, const char *value)
{
    if (!value)
        return false;
    char lowered_buf[GLOB_VALUE_MAX];
    size_t len = strlen(value);
    const char *lowered = glob_lower(value, len, lowered_buf,
                                     sizeof(lowered_buf));
    for (size_t i = 0; i < c->n_values; i++)
        if (glob_match(c->values[i].glob, value, lowered, len))
            return true;
    return false;
}

static bool any_literal(const struct cond *c, const struct field_value *v)
{
    if (c->op == OP_GLOB)
        return any_glob(c, v->str);
    for (size_t i = 0; i < c->n_values; i++)
        if (value_matches(c, v, &c->values[i]))
            return true;
    return false;
}

static bool test_list(const struct cond *c, const struct handshake *h)
{
    const struct field_def *f = c->field;
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    size_t slots = field_count(f, h);
    bool present = false;
    for (size_t k = 0; k < slots; k++) {
        if (!field_item(f, h, k, &v, scratch, sizeof(scratch)))
            continue;
        present = true;
        if (c->op != OP_EXISTS && any_literal(c, &v))
            return true;
    }
    return c->op == OP_EXISTS && present == c->exists;
}

static bool test_scalar(const struct cond *c, const struct handshake *h)
{
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    bool present = field_get(c->field, h, &v, scratch, sizeof(scratch));
    if (c->op == OP_EXISTS)
        return present == c->exists;
    if (!present)
        return false;
    int order;
    switch (c->op) {
    case OP_NE:
    case OP_NOT_IN:
        return !any_literal(c, &v);
    case OP_LT:
        return value_order(c->field, &v, &c->values[0], &order) && order < 0;
    case OP_LE:
        return value_order(c->field, &v, &c->values[0], &order) && order <= 0;
    case OP_GT:
        return value_order(c->field, &v, &c->values[0], &order) && order > 0;
    case OP_GE:
        return value_order(c->field, &v, &c->values[0], &order) && order >= 0;
    default:
        return any_literal(c, &v);
    }
}

static bool eval(const struct cond *c, const struct handshake *h)
{
    switch (c->kind) {
    case COND_ALL:
        for (size_t i = 0; i < c->n_kids; i++)
            if (!eval(&c->kids[i], h))
                return false;
        return true;
    case COND_ANY:
        for (size_t i = 0; i < c->n_kids; i++)
            if (eval(&c->kids[i], h))
                return true;
        return false;
    case COND_NOT:
        return !eval(&c->kids[0], h);
    case COND_TEST:
        return field_is_list(c->field) ? test_list(c, h) : test_scalar(c, h);
    }
    return false;
}

/* ---- evaluation -------------------------------------------------------- */

/* Conditions a rule tests: more of them is more specific evidence. */
static size_t count_tests(const struct cond *c)
{
    if (c->kind == COND_TEST)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < c->n_kids; i++)
        n += count_tests(&c->kids[i]);
    return n;
}

/* A site suppressed the rule for records like this one (tune:). */
static bool suppressed(const struct compiled_rule *r,
                       const struct handshake *h)
{
    for (size_t i = 0; i < r->n_suppress; i++)
        if (eval(r->suppress[i], h))
            return true;
    return false;
}

/* The prefilter's keys this record was tested on, and those that failed
 * (rules requiring one of them are not visited). */
struct key_results {
    uint64_t tested, failed;
};

/* Does the record hold every key rule `p` requires? Each key is tested at
 * most once per record, however many rules require it. */
static bool keys_hold(const struct rule_plan *plan,
                      const struct planned_rule *p, const struct handshake *h,
                      struct key_results *k)
{
    for (uint64_t left = p->required_keys & ~k->tested; left;
         left &= left - 1) {
        unsigned key = (unsigned)__builtin_ctzll(left);
        uint64_t bit = UINT64_C(1) << key;
        k->tested |= bit;
        if (!eval(plan->keys[key], h)) {
            k->failed |= bit;
            return false;
        }
    }
    return true;
}

/* The conditions of the rule's `when` its keys do not already answer. */
static bool rest_holds(const struct compiled_rule *r,
                       const struct planned_rule *p,
                       const struct handshake *h)
{
    const struct cond *kids;
    size_t n = cond_conjuncts(&r->when, &kids);
    for (size_t i = 0; i < n; i++)
        if ((i >= PREFILTER_MARKED_CONJUNCTS ||
             !(p->keyed_conds >> i & 1)) &&
            !eval(&kids[i], h))
            return false;
    return true;
}

bool rules_outranks(const struct rule *a, const struct rule *b)
{
    if (a->severity != b->severity)
        return a->severity > b->severity;
    if (a->confidence != b->confidence)
        return a->confidence > b->confidence;
    size_t ra = rules_cause_rank(a->cause), rb = rules_cause_rank(b->cause);
    if (ra != rb)
        return ra < rb;
    /* The public part is the first member of the compiled rule. */
    size_t ta = count_tests(&((const struct compiled_rule *)a)->when);
    size_t tb = count_tests(&((const struct compiled_rule *)b)->when);
    if (ta != tb)
        return ta > tb;
    return strcmp(a->id, b->id) < 0;
}

static void add_finding(struct handshake *h, const struct rule *r)
{
    struct finding *f = HS_LIST_SLOT(h->report->findings);
    if (!f)
        return;
    *f = (struct finding){r, false, 0};
    if (h->report->primary < 0 ||
        rules_outranks(r, h->report->findings.v[h->report->primary].rule))
        h->report->primary = (int8_t)(h->report->findings.n - 1);
}

/* The rules of the plan from `from` to `to`, in order. */
static void evaluate_rules(const struct rule_set *rs, struct handshake *h,
                           size_t from, size_t to, struct key_results *keys)
{
    const struct rule_plan *plan = rs->plan;
    for (size_t i = from; i < to; i++) {
        const struct planned_rule *p = &plan->rules[i];
        if (p->required_keys & keys->failed)
            continue;
        const struct compiled_rule *r = &rs->rules[p->rule];
        if (keys_hold(plan, p, h, keys) && rest_holds(r, p, h) &&
            !suppressed(r, h))
            add_finding(h, &r->pub);
    }
}

void rules_evaluate(const struct rule_set *rs, struct handshake *h)
{
    HS_LIST_CLEAR(h->report->findings);
    h->report->primary = -1;
    h->report->diagnosed = true;
    if (!rs || !rs->plan)
        return;
    struct key_results keys = {0, 0};
    evaluate_rules(rs, h, 0, rs->plan->n_causes, &keys);
    /* Rules naming cause `unknown` speak only when nothing else did, so a
     * failure no rule explains still reaches the alert consumers. */
    if (h->report->findings.total == 0)
        evaluate_rules(rs, h, rs->plan->n_causes, rs->plan->n, &keys);
}

bool rules_filter_match(const struct rule_filter *f,
                        const struct handshake *h)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (!eval(&f->sets[i]->rules[0].when, h))
            return false;
    return true;
}

/* ---- messages ---------------------------------------------------------- */

static void put_value(struct text_buf *s, const struct field_def *f,
                      const struct field_value *v, char *scratch)
{
    char tmp[FIELD_SCRATCH];
    if (f->type == FT_ALERTS) {
        if (v->alert->encrypted)
            text_put_str(s, "encrypted alert");
        else
            text_put_str(s, fields_alert_description(v->alert->description,
                                                     tmp, sizeof(tmp)));
        return;
    }
    if (f->type == FT_STRING || f->type == FT_STRING_LIST ||
        f->type == FT_IP) {
        text_put_str(s, v->str ? v->str : "");
        return;
    }
    struct field_value scalar = *v;
    if (f->type == FT_INT_LIST)
        scalar.type = FT_INT;
    (void)scratch;
    text_put_str(s, field_value_format(&scalar, tmp, sizeof(tmp)));
}

static void put_field(struct text_buf *s, const struct field_def *f,
                      const struct handshake *h)
{
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    if (!field_is_list(f)) {
        if (field_get(f, h, &v, scratch, sizeof(scratch)))
            put_value(s, f, &v, scratch);
        else
            text_put_str(s, "(none)");
        return;
    }
    size_t slots = field_count(f, h), shown = 0;
    for (size_t k = 0; k < slots; k++) {
        if (!field_item(f, h, k, &v, scratch, sizeof(scratch)))
            continue;
        if (shown++)
            text_put_str(s, ", ");
        put_value(s, f, &v, scratch);
    }
    if (!shown)
        text_put_str(s, "(none)");
}

_Atomic(struct rule_alert_text *) *rules_alert_text_slot(const struct rule *r)
{
    /* The public part is the first member of the compiled rule; the slot
     * is written after loading, hence the const given up here. */
    struct compiled_rule *cr = (struct compiled_rule *)(uintptr_t)r;
    return &cr->alert_text;
}

const char *rules_message(const struct rule *r, const struct handshake *h,
                          char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = 0;
    /* The public part is the first member of the compiled rule. */
    const struct compiled_rule *cr = (const struct compiled_rule *)r;
    struct text_buf s = text_buf_make(buf, n);
    for (size_t i = 0; i < cr->n_pieces; i++) {
        const struct template_piece *p = &cr->message[i];
        if (p->field)
            put_field(&s, p->field, h);
        else
            text_put(&s, p->text, p->len);
    }
    return buf;
}

/* ---- names and listings ------------------------------------------------ */

const char *rules_severity_name(enum rule_severity s)
{
    static const char *const names[] = {"info", "low", "medium", "high",
                                        "critical"};
    return (unsigned)s < 5 ? names[s] : "unknown";
}

int rules_severity_number(enum rule_severity s)
{
    static const int numbers[] = {1, 21, 47, 73, 99};
    return (unsigned)s < 5 ? numbers[s] : 0;
}

const char *rules_fix_name(enum rule_fix f)
{
    static const char *const names[] = {"client", "server", "network",
                                        "either"};
    return (unsigned)f < 4 ? names[f] : "unknown";
}

const char *rules_confidence_name(enum rule_confidence c)
{
    static const char *const names[] = {"low", "medium", "high"};
    return (unsigned)c < 3 ? names[c] : "unknown";
}

size_t rules_count(const struct rule_set *rs)
{
    return rs ? rs->n_rules : 0;
}

const struct rule *rules_at(const struct rule_set *rs, size_t i)
{
    return rs && i < rs->n_rules ? &rs->rules[i].pub : NULL;
}

void rules_print(const struct rule_set *rs, FILE *fp)
{
    for (size_t i = 0; i < rules_count(rs); i++) {
        const struct rule *r = rules_at(rs, i);
        fprintf(fp, "%-32s %-8s %-26s %-7s %s%s  (%s:%u", r->id,
                rules_severity_name(r->severity), r->cause,
                rules_fix_name(r->fix), r->name,
                r->enabled ? "" : " [disabled]", r->file, r->line);
        if (r->tuned_file)
            fprintf(fp, "; tuned at %s:%u", r->tuned_file, r->tuned_line);
        if (r->n_suppress)
            fprintf(fp, "; %zu suppress condition%s", r->n_suppress,
                    r->n_suppress == 1 ? "" : "s");
        fputs(")\n", fp);
    }
}

void rules_print_markdown(const struct rule_set *rs, FILE *fp)
{
    fputs("| id | cause | fix | severity | confidence | what it flags |\n"
          "|---|---|---|---|---|---|\n", fp);
    for (size_t i = 0; i < rules_count(rs); i++) {
        const struct rule *r = rules_at(rs, i);
        fprintf(fp, "| `%s` | `%s` | %s | %s | %s | %s |\n", r->id, r->cause,
                rules_fix_name(r->fix), rules_severity_name(r->severity),
                rules_confidence_name(r->confidence), r->name);
    }
}

/* Who fixes a cause: the fix sides of its rules, in enum order. */
static void print_fix_sides(const struct rule_set *rs, const char *cause,
                            FILE *fp)
{
    bool seen[4] = {false};
    for (size_t i = 0; i < rules_count(rs); i++) {
        const struct rule *r = rules_at(rs, i);
        if (strcmp(r->cause, cause) == 0 && (unsigned)r->fix < 4)
            seen[r->fix] = true;
    }
    const char *sep = "";
    for (int f = 0; f < 4; f++)
        if (seen[f]) {
            fprintf(fp, "%s%s", sep, rules_fix_name((enum rule_fix)f));
            sep = ", ";
        }
}

void rules_print_causes_markdown(const struct rule_set *rs, FILE *fp)
{
    fputs("# Failure causes\n\n"
          "Generated by `tlsmon --list-causes-md` from the cause catalogue "
          "(rules/causes.c) and the rules\n(rules/default.yaml); "
          "`tests/e2e/causes_doc.py` fails when this file and the rules "
          "disagree.\nEach cause: what is wrong, the rules that find it "
          "(their evidence), and who must fix it.\n\n"
          "## Ranking\n\n"
          "A record names one primary cause: of the rules that match it, "
          "the one with the highest\nseverity, then the highest "
          "confidence, then the cause listed first below (the more\n"
          "specific explanation: an interception CA before an untrusted "
          "chain, a wrong clock before\nan expired certificate), then the "
          "rule that tests more conditions, then the smaller rule\nid. "
          "The order of the rule files never decides. A rule with cause "
          "`unknown` (the built-in\n`unexplained-failure`) matches only "
          "when no other rule does.\n\n"
          "| rank | cause | summary | fix |\n|---|---|---|---|\n", fp);
    for (size_t c = 0; c < rules_causes_count(); c++) {
        const struct rule_cause *rc = rules_cause_at(c);
        fprintf(fp, "| %zu | [`%s`](#%s) | %s | ", c + 1, rc->id, rc->id,
                rc->summary);
        print_fix_sides(rs, rc->id, fp);
        fputs(" |\n", fp);
    }
    for (size_t c = 0; c < rules_causes_count(); c++) {
        const struct rule_cause *rc = rules_cause_at(c);
        /* The sentence starts with a capital in the document. */
        char first = rc->what[0] >= 'a' && rc->what[0] <= 'z'
                         ? (char)(rc->what[0] - 'a' + 'A')
                         : rc->what[0];
        fprintf(fp, "\n## %s\n\n%c%s.\n\nFix: ", rc->id, first,
                rc->what[0] ? rc->what + 1 : "");
        print_fix_sides(rs, rc->id, fp);
        fputs(".\n\n| rule | evidence | fix | severity | confidence |\n"
              "|---|---|---|---|---|\n", fp);
        for (size_t i = 0; i < rules_count(rs); i++) {
            const struct rule *r = rules_at(rs, i);
            if (strcmp(r->cause, rc->id) != 0)
                continue;
            fprintf(fp, "| `%s` | %s | %s | %s | %s |\n", r->id, r->name,
                    rules_fix_name(r->fix), rules_severity_name(r->severity),
                    rules_confidence_name(r->confidence));
        }
    }
}
