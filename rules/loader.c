/* loader.c — YAML rule files to a compiled rule set. Loading is strict:
 * anything unknown or mistyped stops it with "FILE:LINE:COLUMN: what is
 * wrong, what was expected", and nothing is half-loaded.
 *
 * Files are read with libyaml's document API. All documents (the given
 * files and their includes) are loaded first, collecting named lists and
 * rule nodes, so a rule may use a list defined in any file of the set; then
 * every rule is compiled. Aliases can make a small file describe a huge
 * tree, so compiled conditions and list items are counted against a budget
 * and nesting is limited.
 *
 * libyaml's own time is not linear in everything a file can hold: each
 * token costs as much as the flow nesting is deep ("[[[[...": a 200 KB
 * file took 30 s, a 1 MB one that never closes did not end), and each
 * alias as many anchors as came before it. So every file is scanned
 * first (prescan) and refused, with its line and column, past fixed limits
 * on nesting, anchors and aliases that no real rule file comes near. Named
 * lists and rule ids are found through a hash index, not a linear search. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#include "array_len.h"
#include "compiled.h"
#include "cursor.h"
#include "field_values.h"
#include "fnv1a.h"
#include "../dissectors/tls_names.h"

#define MAX_FILE_BYTES (4u * 1024u * 1024u)
#define MAX_INCLUDE_DEPTH 8
#define MAX_DOCUMENTS 64
#define MAX_COND_DEPTH 32
#define MAX_BUDGET 200000 /* conditions + literals per set */
#define MAX_RULES 4096
/* What prescan lets through to libyaml. Conditions 32 deep nest about 100
 * collections in block style, 70 [ and { in flow style; the shipped rules
 * nest 9. At 64 flow levels, a 4 MB file (the most a file may hold) takes
 * libyaml 2 s; a 200 KB one, 0.1 s. */
#define MAX_NESTING 128     /* block and flow collections together */
#define MAX_FLOW_NESTING 64 /* [ and { inside each other */
#define MAX_ANCHORS 1000
#define MAX_ALIASES 20000

#define MAX_SITE_CAUSES 32

extern const char rules_default_yaml[];
extern const size_t rules_default_yaml_len;
extern const char rules_fallback_yaml[];
extern const size_t rules_fallback_yaml_len;
#define DEFAULT_NAME "rules/default.yaml"
#define FALLBACK_NAME "built-in"

struct named_list {
    const char *name;
    yaml_document_t *doc;
    yaml_node_t *items; /* a sequence node */
    const char *file;
};

struct rule_node {
    yaml_document_t *doc;
    yaml_node_t *node;
    const char *file;
};

/* Names to indexes (list names, rule ids): open addressing, at most half
 * full. The names stay owned by whoever holds them. */
struct name_slot {
    const char *name; /* NULL: empty */
    size_t value;
};

struct name_index {
    struct name_slot *slots;
    size_t cap, n;
};

struct loader {
    struct rule_set *rs;
    char *err;
    size_t err_len;
    bool failed;
    yaml_document_t docs[MAX_DOCUMENTS];
    const char *doc_files[MAX_DOCUMENTS];
    size_t n_docs;
    struct named_list *lists;
    size_t n_lists, cap_lists;
    struct name_index list_index, id_index;
    struct rule_node *rule_nodes;
    size_t n_rule_nodes, cap_rule_nodes;
    struct rule_node *tune_nodes;   /* entries of tune:, in file order */
    size_t n_tune_nodes, cap_tune_nodes;
    /* causes: declared by the set's files, registered once it loaded. */
    struct rule_cause site_causes[MAX_SITE_CAUSES];
    const char *site_cause_ids[MAX_SITE_CAUSES];
    size_t n_site_causes;
    size_t budget;
    /* The file being compiled, for messages. */
    const char *file;
    yaml_document_t *doc;
};

/* ---- memory: everything belongs to the set --------------------------- */

static void *set_alloc(struct loader *ld, size_t size)
{
    struct rule_set *rs = ld->rs;
    if (rs->n_allocs == rs->cap_allocs) {
        size_t cap = rs->cap_allocs ? rs->cap_allocs * 2 : 64;
        void **a = realloc(rs->allocs, cap * sizeof(*a));
        if (!a)
            return NULL;
        rs->allocs = a;
        rs->cap_allocs = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p)
        rs->allocs[rs->n_allocs++] = p;
    return p;
}

static char *set_strdup(struct loader *ld, const char *s)
{
    size_t n = strlen(s);
    char *p = set_alloc(ld, n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *a = realloc(*arr, c * elem);
    if (!a)
        return false;
    *arr = a;
    *cap = c;
    return true;
}

/* ---- the name index ------------------------------------------------------ */

static size_t name_hash(const char *s)
{
    uint64_t h = fnv1a64_str(FNV1A64_START, s);
    return (size_t)(h ^ (h >> 29));
}

static bool index_find(const struct name_index *ix, const char *name,
                       size_t *value)
{
    if (ix->cap == 0)
        return false;
    for (size_t i = name_hash(name) & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
        if (!ix->slots[i].name)
            return false;
        if (strcmp(ix->slots[i].name, name) == 0) {
            *value = ix->slots[i].value;
            return true;
        }
    }
}

static void index_put(struct name_slot *slots, size_t cap, const char *name,
                      size_t value)
{
    size_t i = name_hash(name) & (cap - 1);
    while (slots[i].name)
        i = (i + 1) & (cap - 1);
    slots[i] = (struct name_slot){name, value};
}

/* `name` must not be in the index yet. False when out of memory. */
static bool index_add(struct name_index *ix, const char *name, size_t value)
{
    if (2 * (ix->n + 1) > ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        struct name_slot *slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return false;
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->slots[i].name)
                index_put(slots, cap, ix->slots[i].name, ix->slots[i].value);
        free(ix->slots);
        ix->slots = slots;
        ix->cap = cap;
    }
    index_put(ix->slots, ix->cap, name, value);
    ix->n++;
    return true;
}

/* ---- errors ------------------------------------------------------------ */

static bool fail_at(struct loader *ld, const char *file, yaml_mark_t mark,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool fail_at(struct loader *ld, const char *file, yaml_mark_t mark,
                    const char *fmt, ...)
{
    if (ld->failed)
        return false;
    ld->failed = true;
    int n = snprintf(ld->err, ld->err_len, "%s:%zu:%zu: ", file,
                     mark.line + 1, mark.column + 1);
    if (n < 0 || (size_t)n >= ld->err_len)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static bool fail_node(struct loader *ld, const yaml_node_t *node,
                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail_node(struct loader *ld, const yaml_node_t *node,
                      const char *fmt, ...)
{
    if (ld->failed)
        return false;
    char msg[RULES_ERROR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fail_at(ld, ld->file, node->start_mark, "%s", msg);
}

static bool spend(struct loader *ld, const yaml_node_t *node, size_t n)
{
    ld->budget += n;
    if (ld->budget > MAX_BUDGET)
        return fail_node(ld, node, "rule set too large (more than %u "
                         "conditions and values, aliases included)",
                         MAX_BUDGET);
    return true;
}

/* ---- YAML helpers ----------------------------------------------------- */

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static yaml_node_t *node(struct loader *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

static const char *want_string(struct loader *ld, yaml_node_t *n,
                               const char *what)
{
    const char *s = scalar(n);
    if (!s || !*s) {
        fail_node(ld, n, "%s must be a non-empty string, found %s", what,
                  s ? "an empty string" : node_kind(n));
        return NULL;
    }
    return s;
}

static bool parse_bool_text(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, true;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

/* ---- literals typed by their field ------------------------------------- */

static bool parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static int version_rank_of(const char *s)
{
    static const struct {
        const char *name;
        uint16_t v;
    } names[] = {
        {"ssl2", TLS_V_SSL2}, {"sslv2", TLS_V_SSL2}, {"ssl3", TLS_V_SSL3},
        {"sslv3", TLS_V_SSL3}, {"2.0", TLS_V_SSL2}, {"3.0", TLS_V_SSL3},
        {"1.0", TLS_V_1_0}, {"1.1", TLS_V_1_1},
        {"1.2", TLS_V_1_2}, {"1.3", TLS_V_1_3}, {"tls1.0", TLS_V_1_0},
        {"tls1.1", TLS_V_1_1}, {"tls1.2", TLS_V_1_2}, {"tls1.3", TLS_V_1_3},
        {"tlsv1.0", TLS_V_1_0}, {"tlsv1.1", TLS_V_1_1},
        {"tlsv1.2", TLS_V_1_2}, {"tlsv1.3", TLS_V_1_3},
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcasecmp(s, names[i].name) == 0)
            return tls_version_rank(names[i].v);
    return 0;
}

/* RFC 3339 in UTC ("2026-01-31T12:00:00Z", fraction allowed) to µs. */
static bool parse_time(const char *s, int64_t *out)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return false;
    int64_t frac = 0, scale = 1000000;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
            p++;
        }
    }
    if (strcmp(p, "Z") != 0)
        return false;
    *out = (int64_t)timegm(&tm) * 1000000 + frac;
    return true;
}

static bool parse_alert(const char *s, int64_t *out)
{
    if (strcasecmp(s, "encrypted") == 0)
        return *out = ALERT_ENCRYPTED, true;
    int64_t code;
    if (parse_int(s, &code))
        return code >= 0 && code <= 255 && (*out = code, true);
    for (int c = 0; c < 256; c++) {
        const char *name = tls_alert_name((uint8_t)c);
        if (name && strcasecmp(name, s) == 0)
            return *out = c, true;
    }
    return false;
}

static bool parse_ip(const char *s, struct cond_value *v)
{
    char canon[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, s, v->addr) == 1) {
        v->family = 4;
        inet_ntop(AF_INET, v->addr, canon, sizeof(canon));
    } else if (inet_pton(AF_INET6, s, v->addr) == 1) {
        v->family = 6;
        inet_ntop(AF_INET6, v->addr, canon, sizeof(canon));
    } else {
        return false;
    }
    v->prefix = v->family == 4 ? 32 : 128;
    return true;
}

static bool parse_cidr(const char *s, struct cond_value *v)
{
    char addr[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= INET6_ADDRSTRLEN)
        return false;
    memcpy(addr, s, n);
    addr[n] = 0;
    if (!parse_ip(addr, v))
        return false;
    if (slash) {
        int64_t bits;
        if (!parse_int(slash + 1, &bits) || bits < 0 || bits > v->prefix)
            return false;
        v->prefix = (uint8_t)bits;
    }
    return true;
}

/* The scalar type a literal must have for field `f` under `op`. */
enum literal_kind {
    LIT_STRING, LIT_IP, LIT_INT, LIT_FLOAT, LIT_BOOL, LIT_TIME,
    LIT_VERSION, LIT_ALERT, LIT_PATTERN, LIT_REGEX, LIT_CIDR,
};

static const char *literal_expected(enum literal_kind k)
{
    switch (k) {
    case LIT_STRING: return "a string";
    case LIT_IP: return "an IPv4 or IPv6 address";
    case LIT_INT: return "an integer";
    case LIT_FLOAT: return "a number";
    case LIT_BOOL: return "true or false";
    case LIT_TIME: return "an RFC 3339 UTC time (2026-01-31T12:00:00Z)";
    case LIT_VERSION:
        return "a TLS version (ssl2, ssl3, 1.0, 1.1, 1.2, 1.3)";
    case LIT_ALERT:
        return "an alert name (handshake_failure), code (40) or encrypted";
    case LIT_PATTERN: return "a glob pattern";
    case LIT_REGEX: return "a POSIX extended regular expression";
    case LIT_CIDR: return "an address or prefix (10.0.0.0/8, 2001:db8::/32)";
    }
    return "a value";
}

static enum literal_kind literal_for(const struct field_def *f,
                                     enum cond_op op)
{
    if (op == OP_GLOB)
        return LIT_PATTERN;
    if (op == OP_REGEX)
        return LIT_REGEX;
    if (op == OP_CIDR)
        return LIT_CIDR;
    switch (f->type) {
    case FT_IP: return LIT_IP;
    case FT_INT:
    case FT_INT_LIST: return LIT_INT;
    case FT_FLOAT: return LIT_FLOAT;
    case FT_BOOL: return LIT_BOOL;
    case FT_TIME: return LIT_TIME;
    case FT_VERSION: return LIT_VERSION;
    case FT_ALERTS: return LIT_ALERT;
    default: return LIT_STRING;
    }
}

static bool compile_literal(struct loader *ld, const struct field_def *f,
                            enum cond_op op, yaml_node_t *n,
                            struct cond_value *v)
{
    enum literal_kind k = literal_for(f, op);
    const char *s = scalar(n);
    if (!s)
        return fail_node(ld, n, "%s: expected %s, found %s", f->name,
                         literal_expected(k), node_kind(n));
    /* "443" for a port is a string where a number is meant: in YAML, and
     * in the JSON a SIEM would compare with. */
    bool quoted = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                  n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (quoted && (k == LIT_INT || k == LIT_FLOAT || k == LIT_BOOL))
        return fail_node(ld, n, "%s: '%s' is quoted, expected %s written "
                         "without quotes", f->name, s, literal_expected(k));
    if (k == LIT_STRING &&
        !field_value_allowed(f, s, ld->site_cause_ids, ld->n_site_causes)) {
        char values[RULES_ERROR_LEN / 2];
        field_values_describe(f, ld->site_cause_ids, ld->n_site_causes,
                              values, sizeof(values));
        return fail_node(ld, n, "%s: unknown value '%s', expected %s",
                         f->name, s, values);
    }
    bool ok = true;
    switch (k) {
    case LIT_STRING:
        v->str = set_strdup(ld, s);
        ok = v->str != NULL;
        break;
    case LIT_PATTERN: {
        struct glob *g = set_alloc(ld, sizeof(*g));
        char *lowered = set_alloc(ld, strlen(s) + 1);
        v->str = set_strdup(ld, s);
        if (!g || !lowered || !v->str)
            return fail_node(ld, n, "out of memory");
        glob_compile(g, v->str, lowered);
        v->glob = g;
        break;
    }
    case LIT_IP: {
        char canon[INET6_ADDRSTRLEN];
        ok = parse_ip(s, v) &&
             inet_ntop(v->family == 4 ? AF_INET : AF_INET6, v->addr, canon,
                       sizeof(canon)) != NULL &&
             (v->str = set_strdup(ld, canon)) != NULL;
        break;
    }
    case LIT_INT: ok = parse_int(s, &v->num); break;
    case LIT_FLOAT: {
        char *end;
        v->real = strtod(s, &end);
        ok = end != s && !*end;
        break;
    }
    case LIT_BOOL: ok = parse_bool_text(s, &v->boolean); break;
    case LIT_TIME: ok = parse_time(s, &v->num); break;
    case LIT_VERSION: ok = (v->num = version_rank_of(s)) != 0; break;
    case LIT_ALERT: ok = parse_alert(s, &v->num); break;
    case LIT_CIDR: ok = parse_cidr(s, v); break;
    case LIT_REGEX: {
        struct rule_set *rs = ld->rs;
        if (!grow((void **)&rs->regexes, &rs->cap_regexes, rs->n_regexes,
                  sizeof(*rs->regexes)))
            return fail_node(ld, n, "out of memory");
        regex_t *re = set_alloc(ld, sizeof(*re));
        if (!re)
            return fail_node(ld, n, "out of memory");
        int rc = regcomp(re, s, REG_EXTENDED | REG_NOSUB | REG_ICASE);
        if (rc != 0) {
            char why[128];
            regerror(rc, re, why, sizeof(why));
            return fail_node(ld, n, "%s: bad regular expression '%s': %s, "
                             "expected %s", f->name, s, why,
                             literal_expected(k));
        }
        rs->regexes[rs->n_regexes++] = re;
        v->re = re;
        break;
    }
    }
    if (!ok)
        return fail_node(ld, n, "%s: wrong value '%s', expected %s", f->name,
                         s, literal_expected(k));
    return true;
}

/* ---- conditions -------------------------------------------------------- */

static const struct {
    const char *name;
    enum cond_op op;
} op_names[] = {
    {"eq", OP_EQ}, {"ne", OP_NE}, {"in", OP_IN}, {"not_in", OP_NOT_IN},
    {"exists", OP_EXISTS}, {"lt", OP_LT}, {"le", OP_LE}, {"gt", OP_GT},
    {"ge", OP_GE}, {"contains", OP_CONTAINS}, {"glob", OP_GLOB},
    {"regex", OP_REGEX}, {"cidr", OP_CIDR},
};

static const struct named_list *find_list(struct loader *ld, const char *name)
{
    size_t i;
    return index_find(&ld->list_index, name, &i) ? &ld->lists[i] : NULL;
}

static bool ordered_type(enum field_type t)
{
    return t == FT_INT || t == FT_FLOAT || t == FT_TIME || t == FT_VERSION;
}

/* Which operators a field accepts; NULL when `op` fits, else why not. */
static const char *op_misfit(const struct field_def *f, enum cond_op op)
{
    bool list = field_is_list(f);
    switch (op) {
    case OP_EXISTS: return NULL;
    case OP_CONTAINS:
        return list ? NULL : "is not a list (use eq or in)";
    case OP_EQ:
    case OP_NE:
        return list ? "is a list (use contains)" : NULL;
    case OP_IN:
    case OP_NOT_IN:
        if (list)
            return "is a list (use contains with a list of values)";
        return f->type == FT_BOOL ? "is a boolean (use eq)" : NULL;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        return ordered_type(f->type) ? NULL
               : "has no order (lt/le/gt/ge need a number, time or version)";
    case OP_GLOB:
    case OP_REGEX:
        return f->type == FT_STRING || f->type == FT_STRING_LIST ||
                       f->type == FT_IP
                   ? NULL
                   : "is not text (glob and regex need a string field)";
    case OP_CIDR:
        return f->type == FT_IP ? NULL : "is not an IP address field";
    }
    return "does not take this operator";
}

/* Values of in/not_in/contains/glob/regex/cidr: one scalar, a list, or
 * `$name` of a named list. eq/ne/lt... take exactly one scalar. */
static bool compile_values(struct loader *ld, struct cond *c, yaml_node_t *n)
{
    bool multi = c->op == OP_IN || c->op == OP_NOT_IN ||
                 c->op == OP_CONTAINS || c->op == OP_GLOB ||
                 c->op == OP_REGEX || c->op == OP_CIDR;
    yaml_document_t *doc = ld->doc;
    const char *file = ld->file;
    yaml_node_t *seq = NULL;
    const char *s = scalar(n);
    if (s && s[0] == '$') {
        const struct named_list *l = find_list(ld, s + 1);
        if (!l)
            return fail_node(ld, n, "unknown list '%s', expected the name of "
                             "an entry under lists:", s);
        if (!multi)
            return fail_node(ld, n, "%s: a list ('%s') needs in, not_in, "
                             "contains, glob, regex or cidr", c->field->name,
                             s);
        seq = l->items;
        doc = l->doc;
        file = l->file;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        if (!multi)
            return fail_node(ld, n, "%s: expected one value, found a list "
                             "(use in for alternatives)", c->field->name);
        seq = n;
    }
    if (!seq) {
        c->values = set_alloc(ld, sizeof(*c->values));
        if (!c->values)
            return fail_node(ld, n, "out of memory");
        c->n_values = 1;
        return spend(ld, n, 1) &&
               compile_literal(ld, c->field, c->op, n, &c->values[0]);
    }
    size_t count = (size_t)(seq->data.sequence.items.top -
                            seq->data.sequence.items.start);
    if (count == 0)
        return fail_node(ld, n, "%s: empty list, expected at least one value",
                         c->field->name);
    if (!spend(ld, n, count))
        return false;
    c->values = set_alloc(ld, count * sizeof(*c->values));
    if (!c->values)
        return fail_node(ld, n, "out of memory");
    /* Items of a named list are reported in the list's own file. */
    yaml_document_t *saved_doc = ld->doc;
    const char *saved_file = ld->file;
    ld->doc = doc;
    ld->file = file;
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        yaml_node_t *item = node(ld, seq->data.sequence.items.start[i]);
        ok = item && compile_literal(ld, c->field, c->op, item,
                                     &c->values[i]);
    }
    ld->doc = saved_doc;
    ld->file = saved_file;
    c->n_values = count;
    return ok;
}

static bool compile_cond_map(struct loader *ld, yaml_node_t *n,
                             struct cond *out, int depth);

/* A record field by name, or by the name it had before the ECS renames. */
static const struct field_def *lookup_field(const char *name)
{
    const struct field_def *f = fields_find(name);
    const char *now = f ? NULL : field_renamed_to(name);
    return now ? fields_find(now) : f;
}

/* One `FIELD: VALUE` or `FIELD: {OP: VALUE}` pair. */
static bool compile_test(struct loader *ld, yaml_node_t *key,
                         yaml_node_t *val, struct cond *c)
{
    const char *name = scalar(key);
    c->kind = COND_TEST;
    c->field = lookup_field(name);
    if (!c->field)
        return fail_node(ld, key, "unknown field '%s', expected a record "
                         "field (tlsmon --list-fields), all, any or not",
                         name);
    yaml_node_t *arg = val;
    if (val->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p = val->data.mapping.pairs.start;
        if (val->data.mapping.pairs.top - p != 1)
            return fail_node(ld, val, "%s: expected one operator "
                             "({eq: VALUE}, {in: [..]} ...)", name);
        yaml_node_t *opk = node(ld, p->key);
        const char *op = scalar(opk);
        size_t i;
        for (i = 0; op && i < ARRAY_LEN(op_names); i++)
            if (strcmp(op, op_names[i].name) == 0)
                break;
        if (!op || i == ARRAY_LEN(op_names))
            return fail_node(ld, opk, "unknown operator '%s', expected eq, "
                             "ne, in, not_in, exists, lt, le, gt, ge, "
                             "contains, glob, regex or cidr",
                             op ? op : node_kind(opk));
        c->op = op_names[i].op;
        arg = node(ld, p->value);
        const char *why = op_misfit(c->field, c->op);
        if (why)
            return fail_node(ld, opk, "%s %s", name, why);
    } else {
        const char *s = scalar(val);
        bool multi = val->type == YAML_SEQUENCE_NODE || (s && s[0] == '$');
        c->op = field_is_list(c->field) ? OP_CONTAINS
                : multi                 ? OP_IN
                                        : OP_EQ;
        const char *why = op_misfit(c->field, c->op);
        if (why)
            return fail_node(ld, val, "%s %s", name, why);
    }
    if (c->op == OP_EXISTS) {
        const char *s = scalar(arg);
        if (!s || !parse_bool_text(s, &c->exists))
            return fail_node(ld, arg, "%s: exists takes true or false",
                             name);
        return spend(ld, arg, 1);
    }
    return compile_values(ld, c, arg);
}

static bool compile_group(struct loader *ld, yaml_node_t *val,
                          struct cond *c, int depth, const char *what)
{
    if (val->type != YAML_SEQUENCE_NODE)
        return fail_node(ld, val, "%s: expected a list of conditions, found "
                         "%s", what, node_kind(val));
    size_t count = (size_t)(val->data.sequence.items.top -
                            val->data.sequence.items.start);
    if (count == 0)
        return fail_node(ld, val, "%s: empty list, expected at least one "
                         "condition", what);
    if (!spend(ld, val, count))
        return false;
    c->kids = set_alloc(ld, count * sizeof(*c->kids));
    if (!c->kids)
        return fail_node(ld, val, "out of memory");
    c->n_kids = count;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = node(ld, val->data.sequence.items.start[i]);
        if (!item || !compile_cond_map(ld, item, &c->kids[i], depth + 1))
            return false;
    }
    return true;
}

static bool compile_pair(struct loader *ld, yaml_node_pair_t *p,
                         struct cond *c, int depth)
{
    yaml_node_t *key = node(ld, p->key), *val = node(ld, p->value);
    const char *k = scalar(key);
    if (!k)
        return fail_node(ld, key, "expected a field name, all, any or not, "
                         "found %s", node_kind(key));
    if (strcmp(k, "all") == 0 || strcmp(k, "any") == 0) {
        c->kind = k[1] == 'l' ? COND_ALL : COND_ANY;
        return compile_group(ld, val, c, depth, k);
    }
    if (strcmp(k, "not") == 0) {
        c->kind = COND_NOT;
        c->kids = set_alloc(ld, sizeof(*c->kids));
        if (!c->kids)
            return fail_node(ld, val, "out of memory");
        c->n_kids = 1;
        return compile_cond_map(ld, val, c->kids, depth + 1);
    }
    return compile_test(ld, key, val, c);
}

/* A mapping of conditions; several keys mean all of them. */
static bool compile_cond_map(struct loader *ld, yaml_node_t *n,
                             struct cond *out, int depth)
{
    if (depth > MAX_COND_DEPTH)
        return fail_node(ld, n, "conditions nested more than %d deep",
                         MAX_COND_DEPTH);
    if (n->type != YAML_MAPPING_NODE)
        return fail_node(ld, n, "expected a mapping of conditions (FIELD: "
                         "VALUE, all:, any:, not:), found %s", node_kind(n));
    yaml_node_pair_t *start = n->data.mapping.pairs.start;
    size_t count = (size_t)(n->data.mapping.pairs.top - start);
    if (count == 0)
        return fail_node(ld, n, "empty condition, expected FIELD: VALUE, "
                         "all:, any: or not:");
    if (!spend(ld, n, count))
        return false;
    if (count == 1)
        return compile_pair(ld, start, out, depth);
    out->kind = COND_ALL;
    out->kids = set_alloc(ld, count * sizeof(*out->kids));
    if (!out->kids)
        return fail_node(ld, n, "out of memory");
    out->n_kids = count;
    for (size_t i = 0; i < count; i++)
        if (!compile_pair(ld, &start[i], &out->kids[i], depth))
            return false;
    return true;
}

/* ---- message templates ------------------------------------------------- */

static bool compile_template(struct loader *ld, yaml_node_t *n,
                             struct compiled_rule *r)
{
    const char *s = want_string(ld, n, "message");
    if (!s)
        return false;
    size_t len = strlen(s), cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == '{' ? 2 : 0;
    r->message = set_alloc(ld, cap * sizeof(*r->message));
    char *text = set_strdup(ld, s);
    if (!r->message || !text)
        return fail_node(ld, n, "out of memory");
    size_t np = 0, i = 0, lit = 0;
    /* `text` is rewritten in place: "{{" and "}}" collapse to one brace. */
    size_t out = 0;
    while (i < len) {
        if ((s[i] == '{' && s[i + 1] == '{') ||
            (s[i] == '}' && s[i + 1] == '}')) {
            text[out++] = s[i];
            i += 2;
            continue;
        }
        if (s[i] == '}')
            return fail_node(ld, n, "message: lone '}' at offset %zu, "
                             "expected '}}' for a brace", i);
        if (s[i] != '{') {
            text[out++] = s[i++];
            continue;
        }
        const char *close = strchr(s + i, '}');
        if (!close)
            return fail_node(ld, n, "message: '{' at offset %zu is not "
                             "closed, expected {field.name}", i);
        char name[128];
        size_t nl = (size_t)(close - (s + i + 1));
        if (nl == 0 || nl >= sizeof(name))
            return fail_node(ld, n, "message: bad placeholder at offset %zu, "
                             "expected {field.name}", i);
        memcpy(name, s + i + 1, nl);
        name[nl] = 0;
        const struct field_def *f = lookup_field(name);
        if (!f)
            return fail_node(ld, n, "message: unknown field '{%s}', expected "
                             "a record field (tlsmon --list-fields)", name);
        if (out > lit)
            r->message[np++] = (struct template_piece){text + lit,
                                                       out - lit, NULL};
        r->message[np++] = (struct template_piece){NULL, 0, f};
        lit = out;
        i += nl + 2;
    }
    if (out > lit)
        r->message[np++] = (struct template_piece){text + lit, out - lit,
                                                   NULL};
    r->n_pieces = np;
    return true;
}

/* ---- rules ------------------------------------------------------------- */

static const char *const rule_keys[] = {
    "id", "name", "description", "severity", "confidence", "when", "cause",
    "fix", "message", "remediation", "tags", "enabled",
};
#define RULE_KEYS "id, name, description, severity, confidence, when, " \
                  "cause, fix, message, remediation, tags, enabled"

static bool enum_value(struct loader *ld, yaml_node_t *n, const char *what,
                       const char *const *names, size_t count, int *out)
{
    const char *s = scalar(n);
    for (size_t i = 0; s && i < count; i++)
        if (strcmp(s, names[i]) == 0)
            return *out = (int)i, true;
    char expected[160] = "";
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(expected + off, sizeof(expected) - off, "%s%s",
                         i == 0 ? "" : i + 1 == count ? " or " : ", ",
                         names[i]);
        if (w < 0 || (size_t)w >= sizeof(expected) - off)
            break;
        off += (size_t)w;
    }
    return fail_node(ld, n, "%s: '%s' is not valid, expected %s", what,
                     s ? s : node_kind(n), expected);
}

static bool valid_id(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
              *p == '.'))
            return false;
    return *s != 0;
}

/* A mapping whose keys must be among `keys` (each at most once): the
 * value of keys[i] into by_key[i], NULL when absent. `expected` lists them
 * for the error. */
static bool keyed_mapping(struct loader *ld, yaml_node_t *n, const char *what,
                          const char *const *keys, size_t n_keys,
                          const char *expected, yaml_node_t **by_key)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_node(ld, n, "%s must be a mapping with %s, found %s",
                         what, expected, node_kind(n));
    for (size_t i = 0; i < n_keys; i++)
        by_key[i] = NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *key = node(ld, p->key);
        const char *k = scalar(key);
        size_t i;
        for (i = 0; k && i < n_keys; i++)
            if (strcmp(k, keys[i]) == 0)
                break;
        if (!k || i == n_keys)
            return fail_node(ld, key, "unknown key '%s' in %s, expected %s",
                             k ? k : node_kind(key), what, expected);
        if (by_key[i])
            return fail_node(ld, key, "'%s' given twice in %s", k, what);
        by_key[i] = node(ld, p->value);
    }
    return true;
}

/* A cause of the catalogue or of the set being loaded; NULL if neither. */
static const struct rule_cause *find_cause(const struct loader *ld,
                                           const char *id)
{
    for (size_t i = 0; i < ld->n_site_causes; i++)
        if (strcmp(ld->site_causes[i].id, id) == 0)
            return &ld->site_causes[i];
    return rules_cause_find(id);
}

/* Every cause a rule may name, for the error that names a wrong one. */
static void describe_causes(const struct loader *ld, char *buf, size_t n)
{
    size_t off = 0, total = rules_causes_count();
    buf[0] = 0;
    for (size_t i = 0; i < total + ld->n_site_causes; i++) {
        const char *id = i < total ? rules_cause_at(i)->id
                                   : ld->site_causes[i - total].id;
        if (i >= total && rules_cause_find(id))
            continue; /* declared again: listed once */
        int w = snprintf(buf + off, n - off, "%s%s", off ? ", " : "", id);
        if (w < 0 || (size_t)w >= n - off)
            break;
        off += (size_t)w;
    }
}

static bool compile_rule(struct loader *ld, yaml_node_t *n,
                         struct compiled_rule *r)
{
    static const char *const severities[] = {"info", "low", "medium", "high",
                                             "critical"};
    static const char *const fixes[] = {"client", "server", "network",
                                        "either"};
    static const char *const confidences[] = {"low", "medium", "high"};
    yaml_node_t *by_key[ARRAY_LEN(rule_keys)] = {0};
    if (!keyed_mapping(ld, n, "a rule", rule_keys,
                       ARRAY_LEN(rule_keys), RULE_KEYS,
                       by_key))
        return false;
    /* fix may come from a site cause; checked below. */
    static const char *const required[] = {"id", "name", "severity", "when",
                                           "cause", "message",
                                           "remediation"};
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        size_t k = 0;
        while (strcmp(rule_keys[k], required[i]) != 0)
            k++;
        if (!by_key[k])
            return fail_node(ld, n, "rule without '%s', expected " RULE_KEYS
                             " (description, confidence, tags and enabled "
                             "are optional)", required[i]);
    }
    struct rule *pub = &r->pub;
    const char *id = want_string(ld, by_key[0], "id");
    if (!id)
        return false;
    if (!valid_id(id))
        return fail_node(ld, by_key[0], "id '%s': expected letters, digits, "
                         "'_', '-' or '.'", id);
    size_t first;
    if (index_find(&ld->id_index, id, &first))
        return fail_node(ld, by_key[0], "duplicate rule id '%s' (first "
                         "defined at %s:%u), expected a unique id", id,
                         ld->rs->rules[first].pub.file,
                         ld->rs->rules[first].pub.line);
    if (!index_add(&ld->id_index, id, ld->rs->n_rules))
        return fail_node(ld, by_key[0], "out of memory");
    const char *name = want_string(ld, by_key[1], "name");
    const char *remediation = want_string(ld, by_key[9], "remediation");
    const char *cause = want_string(ld, by_key[6], "cause");
    if (!name || !remediation || !cause)
        return false;
    const struct rule_cause *known = find_cause(ld, cause);
    if (!known) {
        char expected[RULES_ERROR_LEN / 2];
        describe_causes(ld, expected, sizeof(expected));
        return fail_node(ld, by_key[6], "unknown cause '%s', expected one "
                         "of %s, or a cause declared under causes:", cause,
                         expected);
    }
    int sev = 0, fix = (int)known->fix, conf = CONFIDENCE_MEDIUM;
    if (!by_key[7] && !known->has_fix)
        return fail_node(ld, n, "rule without 'fix', expected " RULE_KEYS
                         " (fix may be left out only for a cause declared "
                         "with its fix)");
    if (!enum_value(ld, by_key[3], "severity", severities, 5, &sev) ||
        (by_key[7] && !enum_value(ld, by_key[7], "fix", fixes, 4, &fix)) ||
        (by_key[4] &&
         !enum_value(ld, by_key[4], "confidence", confidences, 3, &conf)))
        return false;
    pub->enabled = true;
    if (by_key[11]) {
        const char *s = scalar(by_key[11]);
        if (!s || !parse_bool_text(s, &pub->enabled))
            return fail_node(ld, by_key[11], "enabled: expected true or "
                             "false");
    }
    if (by_key[10]) {
        yaml_node_t *t = by_key[10];
        if (t->type != YAML_SEQUENCE_NODE)
            return fail_node(ld, t, "tags: expected a list of strings");
        size_t count = (size_t)(t->data.sequence.items.top -
                                t->data.sequence.items.start);
        const char **tags = set_alloc(ld, (count + 1) * sizeof(*tags));
        if (!tags)
            return fail_node(ld, t, "out of memory");
        for (size_t i = 0; i < count; i++) {
            const char *s = want_string(
                ld, node(ld, t->data.sequence.items.start[i]), "a tag");
            if (!s || !(tags[i] = set_strdup(ld, s)))
                return false;
        }
        pub->tags = tags;
        pub->n_tags = count;
    }
    const char *description = NULL;
    if (by_key[2] && !(description = want_string(ld, by_key[2],
                                                 "description")))
        return false;
    pub->id = set_strdup(ld, id);
    pub->name = set_strdup(ld, name);
    pub->description = set_strdup(ld, description ? description : name);
    pub->remediation = set_strdup(ld, remediation);
    pub->cause = rules_cause_builtin(cause) ? known->id
                                            : set_strdup(ld, known->id);
    pub->file = ld->file;
    pub->line = (unsigned)n->start_mark.line + 1;
    pub->severity = (enum rule_severity)sev;
    pub->fix = (enum rule_fix)fix;
    pub->confidence = (enum rule_confidence)conf;
    if (!pub->id || !pub->name || !pub->description || !pub->remediation ||
        !pub->cause)
        return fail_node(ld, n, "out of memory");
    return compile_template(ld, by_key[8], r) &&
           compile_cond_map(ld, by_key[5], &r->when, 0);
}

/* ---- tuning: the built-in rules adjusted without copying them --------- */

#define TUNE_KEYS "rule, enabled, severity, confidence, suppress"

/* suppress: one condition mapping or a list of them; any that holds
 * keeps the rule from matching the record. */
static bool compile_suppress(struct loader *ld, yaml_node_t *n,
                             struct cond **out, size_t *count)
{
    bool list = n->type == YAML_SEQUENCE_NODE;
    size_t k = list ? (size_t)(n->data.sequence.items.top -
                               n->data.sequence.items.start)
                    : 1;
    if (k == 0)
        return fail_node(ld, n, "suppress: empty list, expected conditions "
                         "(FIELD: VALUE, all:, any:, not:)");
    if (!spend(ld, n, k))
        return false;
    *out = set_alloc(ld, k * sizeof(**out));
    if (!*out)
        return fail_node(ld, n, "out of memory");
    *count = k;
    for (size_t i = 0; i < k; i++) {
        yaml_node_t *c = list ? node(ld, n->data.sequence.items.start[i]) : n;
        if (!c || !compile_cond_map(ld, c, &(*out)[i], 0))
            return false;
    }
    return true;
}

static bool add_suppressions(struct loader *ld, struct compiled_rule *r,
                             struct cond *conds, size_t count)
{
    const struct cond **all =
        set_alloc(ld, (r->n_suppress + count) * sizeof(*all));
    if (!all)
        return false;
    for (size_t i = 0; i < r->n_suppress; i++)
        all[i] = r->suppress[i];
    for (size_t i = 0; i < count; i++)
        all[r->n_suppress + i] = &conds[i];
    r->suppress = all;
    r->n_suppress += count;
    r->pub.n_suppress = r->n_suppress;
    return true;
}

/* One entry of tune:, applied to every rule its `rule` names (an id, or a
 * glob over ids); naming none is an error, as a typo would be. */
static bool apply_tune(struct loader *ld, yaml_node_t *n)
{
    static const char *const keys[] = {"rule", "enabled", "severity",
                                       "confidence", "suppress"};
    static const char *const severities[] = {"info", "low", "medium", "high",
                                             "critical"};
    static const char *const confidences[] = {"low", "medium", "high"};
    yaml_node_t *by[5];
    if (!keyed_mapping(ld, n, "a tune entry", keys, 5, TUNE_KEYS, by))
        return false;
    if (!by[0])
        return fail_node(ld, n, "tune entry without 'rule', expected a rule "
                         "id or a glob over ids (weak-*)");
    const char *pattern = want_string(ld, by[0], "rule");
    if (!pattern)
        return false;
    if (!by[1] && !by[2] && !by[3] && !by[4])
        return fail_node(ld, n, "tune entry for '%s' changes nothing, "
                         "expected enabled, severity, confidence or "
                         "suppress", pattern);
    bool enabled = true;
    int sev = 0, conf = 0;
    if (by[1] && (!scalar(by[1]) || !parse_bool_text(scalar(by[1]), &enabled)))
        return fail_node(ld, by[1], "enabled: expected true or false");
    if ((by[2] && !enum_value(ld, by[2], "severity", severities, 5, &sev)) ||
        (by[3] &&
         !enum_value(ld, by[3], "confidence", confidences, 3, &conf)))
        return false;
    struct cond *conds = NULL;
    size_t n_conds = 0;
    if (by[4] && !compile_suppress(ld, by[4], &conds, &n_conds))
        return false;
    size_t matched = 0;
    for (size_t i = 0; i < ld->rs->n_rules; i++) {
        struct compiled_rule *r = &ld->rs->rules[i];
        if (fnmatch(pattern, r->pub.id, 0) != 0)
            continue;
        matched++;
        if (by[1])
            r->pub.enabled = enabled;
        if (by[2])
            r->pub.severity = (enum rule_severity)sev;
        if (by[3])
            r->pub.confidence = (enum rule_confidence)conf;
        if (n_conds && !add_suppressions(ld, r, conds, n_conds))
            return fail_node(ld, n, "out of memory");
        r->pub.tuned_file = ld->file;
        r->pub.tuned_line = (unsigned)n->start_mark.line + 1;
    }
    if (!matched)
        return fail_node(ld, by[0], "tune: no rule matches '%s', expected a "
                         "rule id (tlsmon --list-rules) or a glob over ids",
                         pattern);
    return true;
}

/* ---- files and documents ----------------------------------------------- */

static bool load_text(struct loader *ld, const char *file,
                      const unsigned char *text, size_t len, int depth);

static bool load_file(struct loader *ld, const char *path, int depth,
                      const char *from, yaml_mark_t mark)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (from)
            return fail_at(ld, from, mark, "cannot open included file %s: "
                           "%s", path, strerror(errno));
        snprintf(ld->err, ld->err_len, "%s: cannot open: %s", path,
                 strerror(errno));
        ld->failed = true;
        return false;
    }
    unsigned char *buf = malloc(MAX_FILE_BYTES + 1);
    size_t len = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, fp) : 0;
    bool read_error = ferror(fp);
    fclose(fp);
    if (!buf || read_error || len > MAX_FILE_BYTES) {
        free(buf);
        snprintf(ld->err, ld->err_len, "%s: %s", path,
                 !buf ? "out of memory"
                 : read_error ? "read error"
                              : "larger than 4 MB, not a rules file");
        ld->failed = true;
        return false;
    }
    const char *name = set_strdup(ld, path);
    bool ok = name && load_text(ld, name, buf, len, depth);
    free(buf);
    return ok;
}

/* An include path relative to the including file's folder. */
static void include_path(const char *from, const char *path, char *out,
                         size_t n)
{
    const char *slash = strrchr(from, '/');
    if (path[0] == '/' || !slash)
        snprintf(out, n, "%s", path);
    else
        snprintf(out, n, "%.*s/%s", (int)(slash - from), from, path);
}

static bool load_includes(struct loader *ld, yaml_node_t *val, int depth)
{
    if (val->type != YAML_SEQUENCE_NODE)
        return fail_node(ld, val, "include: expected a list of file names, "
                         "found %s", node_kind(val));
    for (yaml_node_item_t *it = val->data.sequence.items.start;
         it < val->data.sequence.items.top; it++) {
        yaml_node_t *item = node(ld, *it);
        const char *path = item ? want_string(ld, item, "include entry")
                                : NULL;
        if (!path)
            return false;
        if (depth + 1 > MAX_INCLUDE_DEPTH)
            return fail_node(ld, item, "includes nested more than %d deep "
                             "(a cycle?)", MAX_INCLUDE_DEPTH);
        char full[PATH_MAX];
        include_path(ld->file, path, full, sizeof(full));
        const char *file = ld->file;
        yaml_document_t *doc = ld->doc;
        bool ok = load_file(ld, full, depth + 1, file, item->start_mark);
        ld->file = file;
        ld->doc = doc;
        if (!ok)
            return false;
    }
    return true;
}

static bool load_lists(struct loader *ld, yaml_node_t *val)
{
    if (val->type != YAML_MAPPING_NODE)
        return fail_node(ld, val, "lists: expected a mapping of NAME: [values]"
                         ", found %s", node_kind(val));
    for (yaml_node_pair_t *p = val->data.mapping.pairs.start;
         p < val->data.mapping.pairs.top; p++) {
        yaml_node_t *key = node(ld, p->key), *items = node(ld, p->value);
        const char *name = want_string(ld, key, "a list name");
        if (!name)
            return false;
        if (find_list(ld, name))
            return fail_node(ld, key, "list '%s' defined twice, expected a "
                             "unique name", name);
        if (items->type != YAML_SEQUENCE_NODE)
            return fail_node(ld, items, "list '%s': expected a list of "
                             "values, found %s", name, node_kind(items));
        if (!grow((void **)&ld->lists, &ld->cap_lists, ld->n_lists,
                  sizeof(*ld->lists)) ||
            !index_add(&ld->list_index, name, ld->n_lists))
            return fail_node(ld, key, "out of memory");
        ld->lists[ld->n_lists++] = (struct named_list){name, ld->doc, items,
                                                       ld->file};
    }
    return true;
}

/* causes: [{id, description, fix}] — a site's own causes, which its rules
 * may name beside the built-in ones. */
static bool load_causes(struct loader *ld, yaml_node_t *val)
{
    static const char *const keys[] = {"id", "description", "fix"};
    static const char *const fixes[] = {"client", "server", "network",
                                        "either"};
    if (val->type != YAML_SEQUENCE_NODE)
        return fail_node(ld, val, "causes: expected a list of {id, "
                         "description, fix}, found %s", node_kind(val));
    for (yaml_node_item_t *it = val->data.sequence.items.start;
         it < val->data.sequence.items.top; it++) {
        yaml_node_t *item = node(ld, *it), *by[3];
        if (!item || !keyed_mapping(ld, item, "a cause", keys, 3,
                                    "id, description, fix", by))
            return false;
        for (size_t k = 0; k < 3; k++)
            if (!by[k])
                return fail_node(ld, item, "cause without '%s', expected "
                                 "id, description and fix", keys[k]);
        const char *id = want_string(ld, by[0], "a cause id");
        const char *description = want_string(ld, by[1], "description");
        if (!id || !description)
            return false;
        if (strlen(id) > 64 || strspn(id, "abcdefghijklmnopqrstuvwxyz"
                                          "0123456789_") != strlen(id))
            return fail_node(ld, by[0], "cause id '%s': expected lowercase "
                             "letters, digits and '_' (at most 64)", id);
        if (rules_cause_builtin(id) || !strcmp(id, "none") ||
            !strcmp(id, "unknown"))
            return fail_node(ld, by[0], "cause '%s' is built in, expected a "
                             "new id (built-in causes need no declaration)",
                             id);
        for (size_t k = 0; k < ld->n_site_causes; k++)
            if (strcmp(ld->site_causes[k].id, id) == 0)
                return fail_node(ld, by[0], "cause '%s' declared twice, "
                                 "expected a unique id", id);
        if (ld->n_site_causes == MAX_SITE_CAUSES)
            return fail_node(ld, by[0], "more than %d causes declared",
                             MAX_SITE_CAUSES);
        int fix = 0;
        if (!enum_value(ld, by[2], "fix", fixes, 4, &fix))
            return false;
        struct rule_cause *c = &ld->site_causes[ld->n_site_causes];
        c->id = set_strdup(ld, id);
        c->summary = set_strdup(ld, description);
        c->has_fix = true;
        c->fix = (enum rule_fix)fix;
        if (!c->id || !c->summary)
            return fail_node(ld, item, "out of memory");
        ld->site_cause_ids[ld->n_site_causes++] = c->id;
    }
    return true;
}

/* Sequence items of `val` kept for later, with their document. */
static bool collect_nodes(struct loader *ld, yaml_node_t *val,
                          const char *what, struct rule_node **arr,
                          size_t *n, size_t *cap)
{
    if (val->type != YAML_SEQUENCE_NODE)
        return fail_node(ld, val, "%s: expected a list, found %s", what,
                         node_kind(val));
    for (yaml_node_item_t *it = val->data.sequence.items.start;
         it < val->data.sequence.items.top; it++) {
        if (*n >= MAX_RULES)
            return fail_node(ld, val, "more than %d entries under %s",
                             MAX_RULES, what);
        if (!grow((void **)arr, cap, *n, sizeof(**arr)))
            return fail_node(ld, val, "out of memory");
        (*arr)[(*n)++] = (struct rule_node){ld->doc, node(ld, *it), ld->file};
    }
    return true;
}

/* ---- prescan: what libyaml is not handed ------------------------------- */

/* A YAML reading just deep enough to count what costs libyaml time:
 * collections nested (indentation levels and "- " items of block style,
 * [ and { of flow style), anchors (&name) and aliases (*name). Quoted
 * scalars, comments and block scalars (| and >) are stepped over, so what
 * they hold is not counted. Plain scalars may hold [ or { (a[0]): those
 * open a collection only where a node starts. A count can only err high,
 * on text no rules file has. */
struct prescan {
    struct loader *ld;
    const char *file;
    struct cursor c;
    size_t line, col;         /* of the next byte, from 0 */
    size_t at;                /* column of the byte being judged */
    int indents[MAX_NESTING + 1]; /* block indentation levels */
    int n_indents;
    int flow;                 /* [ and { open */
    int dashes;               /* "- " items opened on this line */
    size_t anchors, aliases;
};

static bool prescan_fail(struct prescan *ps, const char *what, int limit)
{
    yaml_mark_t mark = {0, ps->line, ps->at};
    return fail_at(ps->ld, ps->file, mark, "%s, expected at most %d (the "
                   "file is not read further)", what, limit);
}

static bool prescan_byte(struct prescan *ps, uint8_t *b)
{
    if (!cursor_u8(&ps->c, b))
        return false;
    if (*b == '\n') {
        ps->line++;
        ps->col = 0;
    } else {
        ps->col++;
    }
    return true;
}

static bool prescan_peek(const struct prescan *ps, size_t ahead, uint8_t *b)
{
    if (!cursor_peek_u8(&ps->c, ahead, b))
        *b = '\n'; /* the end of the text ends its last line */
    return true;
}

static bool is_blank(uint8_t b)
{
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
}

/* The rest of a quoted scalar, which may run over lines. */
static void prescan_quoted(struct prescan *ps, uint8_t quote)
{
    uint8_t b, next;
    while (prescan_byte(ps, &b)) {
        if (quote == '"' && b == '\\') {
            prescan_byte(ps, &b);
            continue;
        }
        if (b != quote)
            continue;
        if (quote == '\'' && prescan_peek(ps, 0, &next) && next == '\'') {
            prescan_byte(ps, &b); /* '' is a quote inside */
            continue;
        }
        return;
    }
}

static void prescan_to_line_end(struct prescan *ps)
{
    uint8_t b;
    while (prescan_peek(ps, 0, &b) && b != '\n' && prescan_byte(ps, &b))
        ;
}

/* Leading spaces of the line about to be read; -1 when it is blank or
 * only a comment. The cursor is left at its first other byte. */
static int prescan_indent(struct prescan *ps)
{
    uint8_t b;
    int n = 0;
    while (cursor_left(&ps->c) && prescan_peek(ps, 0, &b) && b == ' ') {
        prescan_byte(ps, &b);
        n++;
    }
    prescan_peek(ps, 0, &b);
    if (b == '\n' || b == '\r' || b == '#' || !cursor_left(&ps->c))
        return -1;
    return n;
}

static bool prescan_depth_ok(struct prescan *ps)
{
    if (ps->flow > MAX_FLOW_NESTING)
        return prescan_fail(ps, "flow collections ([ and {) nested too deep", MAX_FLOW_NESTING);
    if (ps->n_indents + ps->dashes + ps->flow > MAX_NESTING)
        return prescan_fail(ps, "lists and mappings nested too deep", MAX_NESTING);
    return true;
}

/* The bytes of one line after its indentation (or of a flow collection
 * going on from an earlier line). Returns false on a limit; sets
 * *block_scalar when the line ends in a | or > header. */
static bool prescan_line(struct prescan *ps, bool *block_scalar)
{
    uint8_t b, next, prev = '\n'; /* the byte before, '\n' at line start */
    uint8_t last = '\n';           /* the last byte that was not a blank */

    *block_scalar = false;
    while (prescan_peek(ps, 0, &b) && b != '\n' && cursor_left(&ps->c)) {
        ps->at = ps->col;
        prescan_byte(ps, &b);
        prescan_peek(ps, 0, &next);
        bool token_start = is_blank(prev) || prev == '[' || prev == '{' ||
                           prev == ',';
        bool node_start = last == '\n' || last == ':' || last == '-' ||
                          last == '?' || last == ',' || last == '[' ||
                          last == '{';
        if (b == '#' && is_blank(prev)) {
            prescan_to_line_end(ps);
            return true;
        }
        if ((b == '\'' || b == '"') && token_start) {
            prescan_quoted(ps, b);
            b = last = 'x'; /* a scalar */
        } else if ((b == '[' || b == '{') && node_start) {
            ps->flow++;
            if (!prescan_depth_ok(ps))
                return false;
        } else if ((b == ']' || b == '}') && ps->flow > 0) {
            ps->flow--;
        } else if (b == '-' && is_blank(next) && ps->flow == 0 &&
                   (last == '\n' || last == '-')) {
            ps->dashes++;
            if (!prescan_depth_ok(ps))
                return false;
        } else if ((b == '&' || b == '*') && token_start && !is_blank(next)) {
            size_t *n = b == '&' ? &ps->anchors : &ps->aliases;
            if (++*n > (b == '&' ? MAX_ANCHORS : MAX_ALIASES))
                return prescan_fail(ps, b == '&' ? "too many anchors (&name)"
                                                 : "too many aliases (*name)",
                                    b == '&' ? MAX_ANCHORS : MAX_ALIASES);
        } else if ((b == '|' || b == '>') && token_start && ps->flow == 0 &&
                   (last == ':' || last == '-' || last == '\n')) {
            *block_scalar = true; /* its header: the content is below */
            prescan_to_line_end(ps);
            return true;
        }
        if (!is_blank(b))
            last = b;
        prev = b;
    }
    return true;
}

static bool prescan(struct loader *ld, const char *file,
                    const unsigned char *text, size_t len)
{
    struct prescan ps = {0};
    bool block_scalar = false;
    int scalar_parent = 0;
    uint8_t b;

    ps.ld = ld;
    ps.file = file;
    ps.c = cursor_make(text, len);
    while (cursor_left(&ps.c)) {
        int indent = ps.flow > 0 ? -2 : prescan_indent(&ps);
        if (block_scalar) {
            if (indent == -1 || indent > scalar_parent) {
                prescan_to_line_end(&ps);
                prescan_byte(&ps, &b);
                continue;
            }
            block_scalar = false;
        }
        if (indent >= 0) {
            /* Block style: a less indented line closes the levels deeper
             * than it, a more indented one opens one. */
            while (ps.n_indents > 0 && ps.indents[ps.n_indents - 1] > indent)
                ps.n_indents--;
            if (ps.n_indents == 0 || ps.indents[ps.n_indents - 1] < indent) {
                ps.at = ps.col;
                if (ps.n_indents == MAX_NESTING + 1)
                    return prescan_fail(&ps, "lists and mappings nested too deep",
                                        MAX_NESTING);
                ps.indents[ps.n_indents++] = indent;
            }
            ps.dashes = 0;
            ps.at = ps.col;
            if (!prescan_depth_ok(&ps))
                return false;
            scalar_parent = indent;
        }
        if (!prescan_line(&ps, &block_scalar))
            return false;
        prescan_byte(&ps, &b); /* the newline */
    }
    return true;
}

static bool load_text(struct loader *ld, const char *file,
                      const unsigned char *text, size_t len, int depth)
{
    if (!prescan(ld, file, text, len))
        return false;
    if (ld->n_docs == MAX_DOCUMENTS) {
        snprintf(ld->err, ld->err_len, "%s: more than %d rule files", file,
                 MAX_DOCUMENTS);
        ld->failed = true;
        return false;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(ld->err, ld->err_len, "%s: out of memory", file);
        ld->failed = true;
        return false;
    }
    yaml_parser_set_input_string(&parser, text, len);
    yaml_document_t *doc = &ld->docs[ld->n_docs];
    if (!yaml_parser_load(&parser, doc)) {
        const char *ctx = parser.context ? parser.context : "";
        fail_at(ld, file, parser.problem_mark, "YAML syntax error: %s%s%s",
                parser.problem ? parser.problem : "unknown",
                *ctx ? " " : "", ctx);
        yaml_parser_delete(&parser);
        return false;
    }
    yaml_parser_delete(&parser);
    ld->doc_files[ld->n_docs++] = file;
    ld->doc = doc;
    ld->file = file;
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root) /* a typo'd path to an empty file must not pass unnoticed */
        return fail_at(ld, file, (yaml_mark_t){0}, "empty rules file, "
                       "expected rules:, lists:, include:, causes: or "
                       "tune:");
    if (root->type != YAML_MAPPING_NODE)
        return fail_node(ld, root, "expected a mapping with rules:, lists:, "
                         "include:, causes: and tune:, found %s",
                         node_kind(root));
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        ld->doc = doc;
        ld->file = file;
        yaml_node_t *key = node(ld, p->key), *val = node(ld, p->value);
        const char *k = scalar(key);
        bool ok;
        if (k && strcmp(k, "include") == 0) {
            ok = load_includes(ld, val, depth);
        } else if (k && strcmp(k, "lists") == 0) {
            ok = load_lists(ld, val);
        } else if (k && strcmp(k, "rules") == 0) {
            ok = collect_nodes(ld, val, "rules", &ld->rule_nodes,
                               &ld->n_rule_nodes, &ld->cap_rule_nodes);
        } else if (k && strcmp(k, "causes") == 0) {
            ok = load_causes(ld, val);
        } else if (k && strcmp(k, "tune") == 0) {
            ok = collect_nodes(ld, val, "tune", &ld->tune_nodes,
                               &ld->n_tune_nodes, &ld->cap_tune_nodes);
        } else {
            return fail_node(ld, key, "unknown top-level key '%s', expected "
                             "rules, lists, include, causes or tune",
                             k ? k : node_kind(key));
        }
        if (!ok)
            return false;
    }
    return true;
}

/* The default text, a string, or nothing, then the files. */
static struct rule_set *load_all(const char *name, const char *text,
                                 size_t len, const char *const *files,
                                 size_t n_files, char *err, size_t err_len);

struct rule_set *rules_load(bool with_default, const char *const *files,
                            size_t n_files, char *err, size_t err_len)
{
    return load_all(with_default ? DEFAULT_NAME : NULL, rules_default_yaml,
                    rules_default_yaml_len, files, n_files, err, err_len);
}

struct rule_set *rules_load_string(const char *name, const char *text,
                                   size_t len, char *err, size_t err_len)
{
    return load_all(name, text, len, NULL, 0, err, err_len);
}

static struct rule_set *load_all(const char *name, const char *text,
                                 size_t len, const char *const *files,
                                 size_t n_files, char *err, size_t err_len)
{
    struct loader *ld = calloc(1, sizeof(*ld));
    struct rule_set *rs = calloc(1, sizeof(*rs));
    if (!ld || !rs) {
        snprintf(err, err_len, "rules: out of memory");
        free(ld);
        free(rs);
        return NULL;
    }
    ld->rs = rs;
    ld->err = err;
    ld->err_len = err_len;
    err[0] = 0;
    bool ok = true;
    if (name) {
        const char *owned = set_strdup(ld, name);
        if (!owned)
            snprintf(err, err_len, "rules: out of memory");
        ok = owned && load_text(ld, owned, (const unsigned char *)text, len,
                                0);
    }
    for (size_t i = 0; ok && i < n_files; i++)
        ok = load_file(ld, files[i], 0, NULL, (yaml_mark_t){0});
    /* Every set ends with the rule for failures no other rule explains
     * (causes.c; the engine runs it only then). */
    if (ok)
        ok = load_text(ld, FALLBACK_NAME,
                       (const unsigned char *)rules_fallback_yaml,
                       rules_fallback_yaml_len, 0);
    if (ok && ld->n_rule_nodes) {
        rs->rules = calloc(ld->n_rule_nodes, sizeof(*rs->rules));
        if (!rs->rules) {
            snprintf(err, err_len, "rules: out of memory");
            ok = false;
        }
    }
    for (size_t i = 0; ok && i < ld->n_rule_nodes; i++) {
        ld->doc = ld->rule_nodes[i].doc;
        ld->file = ld->rule_nodes[i].file;
        ok = compile_rule(ld, ld->rule_nodes[i].node,
                          &rs->rules[rs->n_rules]);
        if (ok)
            rs->n_rules++;
    }
    /* Tuning comes after every rule of every file, in file order: a later
     * entry overrides an earlier one. */
    for (size_t i = 0; ok && i < ld->n_tune_nodes; i++) {
        ld->doc = ld->tune_nodes[i].doc;
        ld->file = ld->tune_nodes[i].file;
        ok = ld->tune_nodes[i].node && apply_tune(ld, ld->tune_nodes[i].node);
    }
    for (size_t i = 0; ok && i < ld->n_site_causes; i++) {
        char why[160];
        ok = rules_cause_register(&ld->site_causes[i], why, sizeof(why));
        if (!ok)
            snprintf(err, err_len, "rules: %s", why);
    }
    if (ok && !prefilter_compile(rs)) {
        snprintf(err, err_len, "rules: out of memory");
        ok = false;
    }
    for (size_t i = 0; i < ld->n_docs; i++)
        yaml_document_delete(&ld->docs[i]);
    free(ld->lists);
    free(ld->list_index.slots);
    free(ld->id_index.slots);
    free(ld->rule_nodes);
    free(ld->tune_nodes);
    free(ld);
    if (!ok) {
        rules_free(rs);
        return NULL;
    }
    return rs;
}

/* One condition, alone, as a set of one rule. */
static struct rule_set *compile_condition(const char *name, const char *text,
                                          char *err, size_t err_len)
{
    struct loader *ld = calloc(1, sizeof(*ld));
    struct rule_set *rs = calloc(1, sizeof(*rs));
    if (!ld || !rs) {
        snprintf(err, err_len, "%s: out of memory", name);
        free(ld);
        free(rs);
        return NULL;
    }
    err[0] = 0;
    ld->rs = rs;
    ld->err = err;
    ld->err_len = err_len;
    ld->file = name;
    bool ok = false;
    yaml_parser_t parser;
    yaml_document_t doc;
    rs->rules = calloc(1, sizeof(*rs->rules));
    if (!rs->rules || strlen(text) > MAX_FILE_BYTES ||
        !yaml_parser_initialize(&parser)) {
        snprintf(err, err_len, "%s: out of memory, or longer than %u bytes",
                 name, MAX_FILE_BYTES);
        goto out;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                                 strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        const char *ctx = parser.context ? parser.context : "";
        fail_at(ld, name, parser.problem_mark, "YAML syntax error: %s%s%s",
                parser.problem ? parser.problem : "unknown", *ctx ? " " : "",
                ctx);
        yaml_parser_delete(&parser);
        goto out;
    }
    yaml_parser_delete(&parser);
    ld->doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        snprintf(err, err_len, "%s: empty condition, expected FIELD: VALUE, "
                 "all:, any: or not:", name);
    } else {
        struct compiled_rule *r = &rs->rules[0];
        r->pub.id = r->pub.name = r->pub.description = name;
        r->pub.enabled = true;
        ok = compile_cond_map(ld, root, &r->when, 0);
        rs->n_rules = ok ? 1 : 0;
    }
    yaml_document_delete(&doc);
out:
    free(ld);
    if (!ok) {
        rules_free(rs);
        return NULL;
    }
    return rs;
}

struct rule_filter *rules_filter_new(void)
{
    return calloc(1, sizeof(struct rule_filter));
}

bool rules_filter_add(struct rule_filter *f, const char *name,
                      const char *text, char *err, size_t err_len)
{
    if (f->n == FILTER_MAX_CONDITIONS) {
        snprintf(err, err_len, "%s: more than %d filter conditions", name,
                 FILTER_MAX_CONDITIONS);
        return false;
    }
    struct rule_set *rs = compile_condition(name, text, err, err_len);
    if (!rs)
        return false;
    f->sets[f->n++] = rs;
    return true;
}

size_t rules_filter_count(const struct rule_filter *f)
{
    return f ? f->n : 0;
}

void rules_filter_free(struct rule_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        rules_free(f->sets[i]);
    free(f);
}

void rules_free(struct rule_set *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n_rules; i++)
        free(atomic_load(&rs->rules[i].alert_text));
    for (size_t i = 0; i < rs->n_regexes; i++)
        regfree(rs->regexes[i]);
    for (size_t i = 0; i < rs->n_allocs; i++)
        free(rs->allocs[i]);
    free(rs->regexes);
    free(rs->allocs);
    free(rs->plan);
    free(rs->rules);
    free(rs);
}
