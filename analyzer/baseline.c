/* baseline.c — run profiles and what changed between two of them
 * (baseline.h). A record is reduced to the dozen facts a comparison needs,
 * read by name: from a live record through the field registry, from an
 * NDJSON line through json_read, so both sides of a comparison are read
 * alike. */
#include "baseline.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "array_len.h"
#include "fields.h"
#include "fnv1a.h"
#include "json_read.h"
#include "output/json_writer.h"
#include "output/output.h"
#include "str_copy.h"
#include "../rules/engine.h"

#define MAX_LINE (1u << 20) /* an NDJSON line longer than this is skipped */
#define VALUE_LEN 512
#define CAUSE_SLOTS 64 /* the catalogue, plus "unknown" */

/* ---- the facts a comparison reads ------------------------------------------*/

enum fact {
    F_DATASET, F_IP, F_PORT, F_SNI, F_EVENT_OUTCOME, F_CAUSE, F_FIX, F_JA4,
    F_JA3, F_SHA256, F_ISSUER, F_NOT_AFTER, F_SUBJECT_CN, N_FACTS
};

static const char *const fact_names[N_FACTS] = {
    "event.dataset",
    "destination.ip",
    "destination.port",
    "tls.client.server_name",
    "event.outcome",
    "tlsmon.cause",
    "tlsmon.fix",
    "tlsmon.client.ja4",
    "tls.client.ja3",
    "tls.server.hash.sha256",
    "tls.server.x509.issuer.distinguished_name",
    "tls.server.x509.not_after",
    "tls.server.x509.subject.common_name",
};

struct facts {
    char v[N_FACTS][VALUE_LEN];
};

/* ---- tables ------------------------------------------------------------------*/

#define KEY_LEN (HS_SNI_LEN * 4 + 16)

struct server_entry {
    char key[KEY_LEN];
    uint64_t handshakes, failed;
    uint64_t causes;        /* bit i: cause slot i found here */
    uint8_t cause_fix[CAUSE_SLOTS];
    bool has_cert;
    char sha256[65];
    char issuer[200];
    char not_after[40];
    char cn[72];
};

struct client_entry {
    char key[48];
    char ja3[33];
    uint64_t handshakes, failed;
};

/* Entries in arrival order, found through an open-addressing index. */
struct table {
    void *entries;
    size_t entry_size, key_size, n, cap, max;
    uint32_t *slots; /* entry index + 1; 0 empty */
    size_t n_slots;
    uint64_t untracked; /* records past `max` entries */
};

static uint64_t hash_key(const char *s)
{
    return fnv1a64_str(FNV1A64_START, s);
}

static void *entry_at(const struct table *t, size_t i)
{
    return (char *)t->entries + i * t->entry_size;
}

/* Keys are the first member of every entry. */
static void *table_find(const struct table *t, const char *key)
{
    if (!t->n_slots)
        return NULL;
    size_t j = hash_key(key) & (t->n_slots - 1);
    while (t->slots[j]) {
        void *e = entry_at(t, t->slots[j] - 1);
        if (strcmp(e, key) == 0)
            return e;
        j = (j + 1) & (t->n_slots - 1);
    }
    return NULL;
}

static bool table_grow(struct table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    void *e = realloc(t->entries, cap * t->entry_size);
    uint32_t *slots = calloc(cap * 2, sizeof(*slots));
    if (!e || !slots) {
        if (e)
            t->entries = e;
        free(slots);
        return false;
    }
    t->entries = e;
    t->cap = cap;
    free(t->slots);
    t->slots = slots;
    t->n_slots = cap * 2;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = hash_key(entry_at(t, i)) & (t->n_slots - 1);
        while (t->slots[j])
            j = (j + 1) & (t->n_slots - 1);
        t->slots[j] = (uint32_t)i + 1;
    }
    return true;
}

/* The entry for `key`, added zeroed when new; NULL past the cap. */
static void *table_get(struct table *t, const char *key)
{
    void *e = table_find(t, key);
    if (e)
        return e;
    if (t->n >= t->max || (t->n == t->cap && !table_grow(t))) {
        t->untracked++;
        return NULL;
    }
    e = entry_at(t, t->n);
    memset(e, 0, t->entry_size);
    str_copy(e, t->key_size, key);
    size_t j = hash_key(key) & (t->n_slots - 1);
    while (t->slots[j])
        j = (j + 1) & (t->n_slots - 1);
    t->slots[j] = (uint32_t)++t->n;
    return e;
}

static void table_free(struct table *t)
{
    free(t->entries);
    free(t->slots);
}

struct run_profile {
    pthread_mutex_t lock;
    struct table servers, clients;
    uint64_t handshakes, bad_lines;
    uint64_t cause_counts[CAUSE_SLOTS];
    uint8_t cause_fix[CAUSE_SLOTS];
};

struct run_profile *run_profile_new(void)
{
    struct run_profile *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->servers.entry_size = sizeof(struct server_entry);
    p->servers.key_size = sizeof(((struct server_entry *)0)->key);
    p->servers.max = PROFILE_MAX_SERVERS;
    p->clients.entry_size = sizeof(struct client_entry);
    p->clients.key_size = sizeof(((struct client_entry *)0)->key);
    p->clients.max = PROFILE_MAX_CLIENTS;
    return p;
}

void run_profile_free(struct run_profile *p)
{
    if (!p)
        return;
    table_free(&p->servers);
    table_free(&p->clients);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

uint64_t run_profile_handshakes(const struct run_profile *p)
{
    return p->handshakes;
}

uint64_t run_profile_bad_lines(const struct run_profile *p)
{
    return p->bad_lines;
}

/* The catalogue's index of a cause, the slot after it for "unknown";
 * -1 for none. */
static int cause_slot(const char *id)
{
    if (!id[0] || strcmp(id, "none") == 0)
        return -1;
    for (size_t i = 0; i < rules_causes_count() && i + 1 < CAUSE_SLOTS; i++)
        if (strcmp(rules_cause_at(i)->id, id) == 0)
            return (int)i;
    return (int)(rules_causes_count() < CAUSE_SLOTS - 1 ? rules_causes_count()
                                                        : CAUSE_SLOTS - 1);
}

static const char *cause_name(int slot)
{
    const struct rule_cause *c = rules_cause_at((size_t)slot);
    return c ? c->id : "unknown";
}

static uint8_t fix_code(const char *fix)
{
    for (int f = FIX_CLIENT; f <= FIX_EITHER; f++)
        if (strcmp(fix, rules_fix_name((enum rule_fix)f)) == 0)
            return (uint8_t)f;
    return 0xff;
}

static const char *fix_text(uint8_t code)
{
    return code <= FIX_EITHER ? rules_fix_name((enum rule_fix)code) : "-";
}

static void server_key(const struct facts *f, char *key, size_t n)
{
    if (f->v[F_SNI][0]) {
        size_t k = 0;
        for (const char *s = f->v[F_SNI]; *s && k + 1 < n; s++)
            key[k++] = (char)tolower((unsigned char)*s);
        key[k] = '\0';
        snprintf(key + k, n - k, ":%s", f->v[F_PORT]);
    } else {
        snprintf(key, n, strchr(f->v[F_IP], ':') ? "[%s]:%s" : "%s:%s",
                 f->v[F_IP], f->v[F_PORT]);
    }
}

static void observe_facts(struct run_profile *p, const struct facts *f)
{
    char key[KEY_LEN];
    bool failed = strcmp(f->v[F_EVENT_OUTCOME], "failure") == 0;
    int slot = cause_slot(f->v[F_CAUSE]);
    if (slot >= CAUSE_SLOTS) /* never; said so that gcc's bounds check knows */
        slot = -1;
    uint8_t fix = fix_code(f->v[F_FIX]);
    pthread_mutex_lock(&p->lock);
    p->handshakes++;
    if (slot >= 0) {
        if (!p->cause_counts[slot])
            p->cause_fix[slot] = fix;
        p->cause_counts[slot]++;
    }
    if (f->v[F_PORT][0] && (f->v[F_IP][0] || f->v[F_SNI][0])) {
        server_key(f, key, sizeof(key));
        struct server_entry *e = table_get(&p->servers, key);
        if (e) {
            e->handshakes++;
            e->failed += failed;
            if (slot >= 0) {
                if (!(e->causes & (1ull << slot)))
                    e->cause_fix[slot] = fix;
                e->causes |= 1ull << slot;
            }
            if (f->v[F_SHA256][0]) {
                /* The certificate it showed last. */
                e->has_cert = true;
                str_copy(e->sha256, sizeof(e->sha256), f->v[F_SHA256]);
                str_copy(e->issuer, sizeof(e->issuer), f->v[F_ISSUER]);
                str_copy(e->not_after, sizeof(e->not_after),
                         f->v[F_NOT_AFTER]);
                str_copy(e->cn, sizeof(e->cn), f->v[F_SUBJECT_CN]);
            }
        }
    }
    const char *fp = f->v[F_JA4][0] ? f->v[F_JA4] : f->v[F_JA3];
    if (fp[0]) {
        struct client_entry *c = table_get(&p->clients, fp);
        if (c) {
            c->handshakes++;
            c->failed += failed;
            str_copy(c->ja3, sizeof(c->ja3), f->v[F_JA3]);
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void run_profile_observe(struct run_profile *p, const struct handshake *h)
{
    static __thread struct facts f;
    char scratch[FIELD_SCRATCH];
    for (int i = 0; i < N_FACTS; i++) {
        f.v[i][0] = '\0';
        const struct field_def *d = fields_find(fact_names[i]);
        struct field_value v;
        if (!d)
            continue;
        if (!field_is_list(d)) {
            if (field_get(d, h, &v, scratch, sizeof(scratch)))
                field_value_format(&v, f.v[i], sizeof(f.v[i]));
            continue;
        }
        /* A list (ECS's x509 common_name): its first entry, as the NDJSON
         * reader keeps one of an array. */
        for (size_t k = 0; k < field_count(d, h); k++)
            if (field_item(d, h, k, &v, scratch, sizeof(scratch))) {
                field_value_format(&v, f.v[i], sizeof(f.v[i]));
                break;
            }
    }
    observe_facts(p, &f);
}

/* ---- the profile as an output ------------------------------------------------*/

struct profile_output {
    struct output base;
    struct run_profile *p;
};

static void profile_handshake(struct output *o, const struct handshake *h,
                              struct output_scratch *s)
{
    (void)s;
    run_profile_observe(((struct profile_output *)o)->p, h);
}

static void profile_finish(struct output *o, const struct summary *sum,
                           const struct run_stats *st)
{
    (void)o, (void)sum, (void)st;
}

static void profile_free(struct output *o)
{
    free(o);
}

static const struct output_ops profile_ops = {
    .handshake = profile_handshake,
    .finish = profile_finish,
    .free = profile_free,
};

struct output *run_profile_output(struct run_profile *p)
{
    struct profile_output *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->p = p;
    o->base.name = "baseline profile";
    o->base.events = OUT_EV_HANDSHAKE;
    o->base.ops = &profile_ops;
    return &o->base;
}

/* ---- NDJSON ------------------------------------------------------------------*/

static void on_leaf(void *ctx, const char *path, enum json_leaf_kind kind,
                    const char *text, size_t len)
{
    struct facts *f = ctx;
    (void)len;
    if (kind == JSON_LEAF_NULL)
        return;
    for (int i = 0; i < N_FACTS; i++)
        if (strcmp(path, fact_names[i]) == 0) {
            str_copy(f->v[i], sizeof(f->v[i]), text);
            return;
        }
}

bool baseline_looks_like_ndjson(FILE *fp)
{
    int c;
    long start = ftell(fp);
    do {
        c = fgetc(fp);
    } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if (start >= 0)
        fseek(fp, start, SEEK_SET);
    return c == '{';
}

bool run_profile_read_ndjson(struct run_profile *p, FILE *fp,
                             const char *name, char *err, size_t err_len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lines = 0;
    static struct facts f; /* one reader at a time: main's thread */
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lines++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if ((size_t)len > MAX_LINE) {
            p->bad_lines++;
            continue;
        }
        memset(&f, 0, sizeof(f));
        size_t at;
        if (!json_read(line, (size_t)len, on_leaf, &f, &at)) {
            p->bad_lines++;
            continue;
        }
        if (strcmp(f.v[F_DATASET], "tlsmon.handshake") != 0)
            continue;
        observe_facts(p, &f);
    }
    bool ok = !ferror(fp);
    free(line);
    if (!ok)
        snprintf(err, err_len, "%s: read error", name);
    else if (lines > 0 && p->handshakes == 0 && p->bad_lines == lines)
        snprintf(err, err_len, "%s: not NDJSON (no line parses as JSON)",
                 name), ok = false;
    return ok;
}

/* ---- changes -----------------------------------------------------------------*/

struct server_change {
    const struct server_entry *now, *before; /* before may be NULL */
};

struct cause_change {
    int slot;
    uint64_t count;
    uint8_t fix;
    const char *where; /* a server key, or NULL for the run as a whole */
};

struct run_changes {
    char name[256];
    uint64_t old_handshakes, new_handshakes, old_bad_lines;
    struct server_change *started, *stopped, *certs;
    size_t n_started, n_stopped, n_certs;
    struct cause_change *causes;
    size_t n_causes;
    const struct client_entry **clients;
    size_t n_clients;
    size_t servers_both, servers_gone, servers_new;
    uint64_t untracked;
};

static int by_failed(const void *a, const void *b)
{
    const struct server_change *x = a, *y = b;
    if (x->now->failed != y->now->failed)
        return x->now->failed < y->now->failed ? 1 : -1;
    return strcmp(x->now->key, y->now->key);
}

static int by_failed_before(const void *a, const void *b)
{
    const struct server_change *x = a, *y = b;
    if (x->before->failed != y->before->failed)
        return x->before->failed < y->before->failed ? 1 : -1;
    return strcmp(x->now->key, y->now->key);
}

static int by_key(const void *a, const void *b)
{
    const struct server_change *x = a, *y = b;
    return strcmp(x->now->key, y->now->key);
}

static int by_cause_count(const void *a, const void *b)
{
    const struct cause_change *x = a, *y = b;
    if ((x->where == NULL) != (y->where == NULL))
        return x->where == NULL ? -1 : 1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->slot - y->slot;
}

static int by_client_count(const void *a, const void *b)
{
    const struct client_entry *x = *(const struct client_entry *const *)a;
    const struct client_entry *y = *(const struct client_entry *const *)b;
    if (x->handshakes != y->handshakes)
        return x->handshakes < y->handshakes ? 1 : -1;
    return strcmp(x->key, y->key);
}

void run_changes_free(struct run_changes *c)
{
    if (!c)
        return;
    free(c->started);
    free(c->stopped);
    free(c->certs);
    free(c->causes);
    free(c->clients);
    free(c);
}

struct run_changes *run_changes_compute(const struct run_profile *old,
                                        const struct run_profile *cur,
                                        const char *baseline_name)
{
    struct run_changes *c = calloc(1, sizeof(*c));
    size_t ns = cur->servers.n, nc = cur->clients.n;
    if (!c)
        return NULL;
    c->started = calloc(ns + 1, sizeof(*c->started));
    c->stopped = calloc(ns + 1, sizeof(*c->stopped));
    c->certs = calloc(ns + 1, sizeof(*c->certs));
    c->causes = calloc(ns * 2 + CAUSE_SLOTS + 1, sizeof(*c->causes));
    c->clients = calloc(nc + 1, sizeof(*c->clients));
    if (!c->started || !c->stopped || !c->certs || !c->causes ||
        !c->clients) {
        run_changes_free(c);
        return NULL;
    }
    str_copy(c->name, sizeof(c->name), baseline_name);
    c->old_handshakes = old->handshakes;
    c->new_handshakes = cur->handshakes;
    c->old_bad_lines = old->bad_lines;
    c->untracked = old->servers.untracked + cur->servers.untracked +
                   old->clients.untracked + cur->clients.untracked;
    for (int s = 0; s < CAUSE_SLOTS; s++)
        if (cur->cause_counts[s] && !old->cause_counts[s])
            c->causes[c->n_causes++] =
                (struct cause_change){s, cur->cause_counts[s],
                                      cur->cause_fix[s], NULL};
    for (size_t i = 0; i < ns; i++) {
        const struct server_entry *now = entry_at(&cur->servers, i);
        const struct server_entry *before = table_find(&old->servers,
                                                       now->key);
        if (!before) {
            c->servers_new++;
            if (now->failed)
                c->started[c->n_started++] =
                    (struct server_change){now, NULL};
            continue;
        }
        c->servers_both++;
        if (now->failed && !before->failed)
            c->started[c->n_started++] = (struct server_change){now, before};
        if (!now->failed && before->failed)
            c->stopped[c->n_stopped++] = (struct server_change){now, before};
        if (now->has_cert && before->has_cert &&
            strcmp(now->sha256, before->sha256) != 0)
            c->certs[c->n_certs++] = (struct server_change){now, before};
        /* Causes this server shows now and did not before, when the run
         * as a whole knew them already (else they are listed above). */
        uint64_t fresh = now->causes & ~before->causes;
        for (int s = 0; s < CAUSE_SLOTS && fresh; s++)
            if ((fresh & (1ull << s)) && old->cause_counts[s] &&
                c->n_causes < ns * 2 + CAUSE_SLOTS)
                c->causes[c->n_causes++] =
                    (struct cause_change){s, 0, now->cause_fix[s], now->key};
    }
    for (size_t i = 0; i < old->servers.n; i++)
        if (!table_find(&cur->servers,
                        ((const struct server_entry *)entry_at(&old->servers,
                                                               i))->key))
            c->servers_gone++;
    for (size_t i = 0; i < nc; i++) {
        const struct client_entry *e = entry_at(&cur->clients, i);
        if (!table_find(&old->clients, e->key))
            c->clients[c->n_clients++] = e;
    }
    qsort(c->started, c->n_started, sizeof(*c->started), by_failed);
    qsort(c->stopped, c->n_stopped, sizeof(*c->stopped), by_failed_before);
    qsort(c->certs, c->n_certs, sizeof(*c->certs), by_key);
    qsort(c->causes, c->n_causes, sizeof(*c->causes), by_cause_count);
    qsort(c->clients, c->n_clients, sizeof(*c->clients), by_client_count);
    return c;
}

/* ---- text --------------------------------------------------------------------*/

static bool nothing_changed(const struct run_changes *c)
{
    return !c->n_started && !c->n_stopped && !c->n_causes && !c->n_clients &&
           !c->n_certs;
}

static const char *printable(const char *s, char *buf, size_t n)
{
    return fields_printable(s, buf, n);
}

static void more_line(FILE *fp, size_t n)
{
    if (n > CHANGES_LISTED)
        fprintf(fp, "    %zu more\n", n - CHANGES_LISTED);
}

static void cert_text(FILE *fp, const struct server_entry *e)
{
    char a[300], b[300];
    fprintf(fp, "%s, issued by %s, until %s (SHA-256 %.16s...)",
            printable(e->cn[0] ? e->cn : "(no CN)", a, sizeof(a)),
            printable(e->issuer, b, sizeof(b)), e->not_after, e->sha256);
}

static void causes_of(FILE *fp, uint64_t bits)
{
    bool first = true;
    for (int s = 0; s < CAUSE_SLOTS; s++)
        if (bits & (1ull << s)) {
            fprintf(fp, "%s%s", first ? ": " : ", ", cause_name(s));
            first = false;
        }
}

void run_changes_print_text(FILE *fp, const struct run_changes *c,
                            bool color)
{
    char key[KEY_LEN * 4];
    fprintf(fp, "%schanges since the baseline%s (%s: %" PRIu64
            " handshakes; now %" PRIu64 ")\n", color ? "\033[1m" : "",
            color ? "\033[0m" : "", printable(c->name, key, sizeof(key)),
            c->old_handshakes, c->new_handshakes);
    if (nothing_changed(c))
        fputs("  nothing: no server started or stopped failing, no new "
              "cause, fingerprint or certificate\n", fp);
    if (c->n_started) {
        fprintf(fp, "  servers that started failing (%zu)\n", c->n_started);
        for (size_t i = 0; i < c->n_started && i < CHANGES_LISTED; i++) {
            const struct server_change *s = &c->started[i];
            fprintf(fp, "    %s  %" PRIu64 " of %" PRIu64 " failed now",
                    printable(s->now->key, key, sizeof(key)), s->now->failed,
                    s->now->handshakes);
            if (s->before)
                fprintf(fp, ", 0 of %" PRIu64 " before", s->before->handshakes);
            else
                fputs(", not in the baseline", fp);
            causes_of(fp, s->now->causes);
            fputc('\n', fp);
        }
        more_line(fp, c->n_started);
    }
    if (c->n_stopped) {
        fprintf(fp, "  servers that stopped failing (%zu)\n", c->n_stopped);
        for (size_t i = 0; i < c->n_stopped && i < CHANGES_LISTED; i++) {
            const struct server_change *s = &c->stopped[i];
            fprintf(fp, "    %s  0 of %" PRIu64 " failed now, %" PRIu64
                    " of %" PRIu64 " before\n",
                    printable(s->now->key, key, sizeof(key)),
                    s->now->handshakes, s->before->failed,
                    s->before->handshakes);
        }
        more_line(fp, c->n_stopped);
    }
    if (c->n_causes) {
        fprintf(fp, "  new causes (%zu)\n", c->n_causes);
        for (size_t i = 0; i < c->n_causes && i < CHANGES_LISTED; i++) {
            const struct cause_change *k = &c->causes[i];
            if (k->where)
                fprintf(fp, "    %s at %s (fix: %s)\n", cause_name(k->slot),
                        printable(k->where, key, sizeof(key)),
                        fix_text(k->fix));
            else
                fprintf(fp, "    %s  %" PRIu64 " handshakes (fix: %s), none "
                        "in the baseline\n", cause_name(k->slot), k->count,
                        fix_text(k->fix));
        }
        more_line(fp, c->n_causes);
    }
    if (c->n_clients) {
        fprintf(fp, "  new client fingerprints (%zu)\n", c->n_clients);
        for (size_t i = 0; i < c->n_clients && i < CHANGES_LISTED; i++) {
            const struct client_entry *e = c->clients[i];
            fprintf(fp, "    %s", printable(e->key, key, sizeof(key)));
            if (e->ja3[0] && strcmp(e->ja3, e->key) != 0)
                fprintf(fp, " (JA3 %s)", e->ja3);
            fprintf(fp, "  %" PRIu64 " handshakes, %" PRIu64 " failed\n",
                    e->handshakes, e->failed);
        }
        more_line(fp, c->n_clients);
    }
    if (c->n_certs) {
        fprintf(fp, "  certificates that changed (%zu)\n", c->n_certs);
        for (size_t i = 0; i < c->n_certs && i < CHANGES_LISTED; i++) {
            const struct server_change *s = &c->certs[i];
            fprintf(fp, "    %s\n      was ",
                    printable(s->now->key, key, sizeof(key)));
            cert_text(fp, s->before);
            fputs("\n      now ", fp);
            cert_text(fp, s->now);
            fputc('\n', fp);
        }
        more_line(fp, c->n_certs);
    }
    fprintf(fp, "  servers: %zu in both runs, %zu only now, %zu only in the "
            "baseline\n", c->servers_both, c->servers_new, c->servers_gone);
    if (c->old_bad_lines)
        fprintf(fp, "  %" PRIu64 " baseline lines were not JSON and were "
                "skipped\n", c->old_bad_lines);
    if (c->untracked)
        fprintf(fp, "  %" PRIu64 " records past the tables (%d servers, %d "
                "fingerprints kept) were not compared\n", c->untracked,
                PROFILE_MAX_SERVERS, PROFILE_MAX_CLIENTS);
}

/* ---- JSON --------------------------------------------------------------------*/

static void json_cert(struct json_writer *w, const char *key,
                      const struct server_entry *e)
{
    json_key(w, key);
    json_begin_object(w);
    json_key(w, "sha256");
    json_string(w, e->sha256);
    json_key(w, "subject_cn");
    json_string(w, e->cn);
    json_key(w, "issuer");
    json_string(w, e->issuer);
    json_key(w, "not_after");
    json_string(w, e->not_after);
    json_end_object(w);
}

static void json_causes(struct json_writer *w, uint64_t bits)
{
    json_key(w, "causes");
    json_begin_array(w);
    for (int s = 0; s < CAUSE_SLOTS; s++)
        if (bits & (1ull << s))
            json_string(w, cause_name(s));
    json_end_array(w);
}

/* What one list of changed servers says about each, after its key. */
typedef void server_change_members(struct json_writer *w,
                                   const struct server_change *s);

/* "key":[{"server":KEY, ...}, ...]: one of the lists of changed servers. */
static void json_server_changes(struct json_writer *w, const char *key,
                                const struct server_change *v, size_t n,
                                server_change_members *members)
{
    json_key(w, key);
    json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(w);
        json_key(w, "server");
        json_string(w, v[i].now->key);
        members(w, &v[i]);
        json_end_object(w);
    }
    json_end_array(w);
}

static void started_members(struct json_writer *w,
                            const struct server_change *s)
{
    json_member_uint(w, "handshakes", s->now->handshakes);
    json_member_uint(w, "failed", s->now->failed);
    json_key(w, "in_baseline");
    json_bool(w, s->before != NULL);
    if (s->before)
        json_member_uint(w, "baseline_handshakes", s->before->handshakes);
    json_causes(w, s->now->causes);
}

static void stopped_members(struct json_writer *w,
                            const struct server_change *s)
{
    json_member_uint(w, "handshakes", s->now->handshakes);
    json_member_uint(w, "baseline_failed", s->before->failed);
    json_member_uint(w, "baseline_handshakes", s->before->handshakes);
}

static void cert_members(struct json_writer *w, const struct server_change *s)
{
    json_cert(w, "before", s->before);
    json_cert(w, "now", s->now);
}

void run_changes_write_json(struct json_writer *w,
                            const struct run_changes *c)
{
    json_key(w, "baseline");
    json_begin_object(w);
    json_key(w, "name");
    json_string(w, c->name);
    json_member_uint(w, "baseline_handshakes", c->old_handshakes);
    json_server_changes(w, "servers_started_failing", c->started,
                        c->n_started, started_members);
    json_server_changes(w, "servers_stopped_failing", c->stopped,
                        c->n_stopped, stopped_members);
    json_key(w, "new_causes");
    json_begin_array(w);
    for (size_t i = 0; i < c->n_causes; i++) {
        const struct cause_change *k = &c->causes[i];
        json_begin_object(w);
        json_key(w, "cause");
        json_string(w, cause_name(k->slot));
        json_key(w, "fix");
        json_string(w, fix_text(k->fix));
        if (k->where) {
            json_key(w, "server");
            json_string(w, k->where);
        } else {
            json_member_uint(w, "handshakes", k->count);
        }
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "new_client_fingerprints");
    json_begin_array(w);
    for (size_t i = 0; i < c->n_clients; i++) {
        json_begin_object(w);
        json_key(w, "fingerprint");
        json_string(w, c->clients[i]->key);
        if (c->clients[i]->ja3[0]) {
            json_key(w, "ja3");
            json_string(w, c->clients[i]->ja3);
        }
        json_member_uint(w, "handshakes", c->clients[i]->handshakes);
        json_member_uint(w, "failed", c->clients[i]->failed);
        json_end_object(w);
    }
    json_end_array(w);
    json_server_changes(w, "certificates_changed", c->certs, c->n_certs,
                        cert_members);
    json_member_uint(w, "servers_in_both", c->servers_both);
    json_member_uint(w, "servers_only_now", c->servers_new);
    json_member_uint(w, "servers_only_in_baseline", c->servers_gone);
    json_end_object(w);
}

/* ---- HTML --------------------------------------------------------------------*/

static void html_text(FILE *fp, const char *s)
{
    char buf[KEY_LEN * 4];
    for (const char *p = fields_printable(s, buf, sizeof(buf)); *p; p++)
        switch (*p) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*p, fp);
        }
}

static void html_cert(FILE *fp, const struct server_entry *e)
{
    html_text(fp, e->cn[0] ? e->cn : "(no CN)");
    fputs("<br><small>issued by ", fp);
    html_text(fp, e->issuer);
    fputs(", until ", fp);
    html_text(fp, e->not_after);
    fprintf(fp, "<br>SHA-256 %.16s…</small>", e->sha256);
}

/* One change table's body rows. */
typedef void html_rows_fn(FILE *fp, const struct run_changes *c);

static void started_rows(FILE *fp, const struct run_changes *c)
{
    for (size_t i = 0; i < c->n_started; i++) {
        const struct server_change *s = &c->started[i];
        fputs("<tr class=\"bad\"><td>", fp);
        html_text(fp, s->now->key);
        fprintf(fp, "</td><td class=\"num\">%" PRIu64 " of %" PRIu64
                "</td><td class=\"num\">", s->now->failed,
                s->now->handshakes);
        if (s->before)
            fprintf(fp, "%" PRIu64 " (none failed)", s->before->handshakes);
        else
            fputs("not seen", fp);
        fputs("</td><td>", fp);
        for (int k = 0, first = 1; k < CAUSE_SLOTS; k++)
            if (s->now->causes & (1ull << k)) {
                fprintf(fp, "%s%s", first ? "" : ", ", cause_name(k));
                first = 0;
            }
        fputs("</td></tr>", fp);
    }
}

static void stopped_rows(FILE *fp, const struct run_changes *c)
{
    for (size_t i = 0; i < c->n_stopped; i++) {
        fputs("<tr><td>", fp);
        html_text(fp, c->stopped[i].now->key);
        fprintf(fp, "</td><td class=\"num\">%" PRIu64 "</td><td class="
                "\"num\">%" PRIu64 " of %" PRIu64 "</td></tr>",
                c->stopped[i].now->handshakes, c->stopped[i].before->failed,
                c->stopped[i].before->handshakes);
    }
}

static void cause_rows(FILE *fp, const struct run_changes *c)
{
    for (size_t i = 0; i < c->n_causes; i++) {
        const struct cause_change *k = &c->causes[i];
        fprintf(fp, "<tr><td>%s</td><td>%s</td><td>", cause_name(k->slot),
                fix_text(k->fix));
        if (k->where)
            html_text(fp, k->where);
        else
            fprintf(fp, "%" PRIu64 " handshakes, none in the baseline",
                    k->count);
        fputs("</td></tr>", fp);
    }
}

static void client_rows(FILE *fp, const struct run_changes *c)
{
    for (size_t i = 0; i < c->n_clients; i++) {
        fputs("<tr><td class=\"mono\">", fp);
        html_text(fp, c->clients[i]->key);
        fputs("</td><td class=\"mono\">", fp);
        html_text(fp, c->clients[i]->ja3);
        fprintf(fp, "</td><td class=\"num\">%" PRIu64 "</td><td class="
                "\"num\">%" PRIu64 "</td></tr>", c->clients[i]->handshakes,
                c->clients[i]->failed);
    }
}

static void cert_rows(FILE *fp, const struct run_changes *c)
{
    for (size_t i = 0; i < c->n_certs; i++) {
        fputs("<tr><td>", fp);
        html_text(fp, c->certs[i].now->key);
        fputs("</td><td>", fp);
        html_cert(fp, c->certs[i].before);
        fputs("</td><td>", fp);
        html_cert(fp, c->certs[i].now);
        fputs("</td></tr>", fp);
    }
}

/* The change tables in the order the page shows them; a table whose list
 * is empty is left out. `columns` names the header cells, '|' between
 * them; a name that starts with '#' heads a column of numbers. */
static const struct change_table {
    const char *title, *id, *columns;
    size_t count_at; /* offset of the list's size_t count in run_changes */
    html_rows_fn *rows;
} change_tables[] = {
    {"Servers that started failing", "changes-started",
     "server|#failed now|#handshakes before|causes",
     offsetof(struct run_changes, n_started), started_rows},
    {"Servers that stopped failing", "changes-stopped",
     "server|#handshakes now|#failed before",
     offsetof(struct run_changes, n_stopped), stopped_rows},
    {"New causes", "changes-causes", "cause|fix|where",
     offsetof(struct run_changes, n_causes), cause_rows},
    {"New client fingerprints", "changes-clients",
     "JA4 (or JA3)|JA3|#handshakes|#failed",
     offsetof(struct run_changes, n_clients), client_rows},
    {"Certificates that changed", "changes-certs", "server|before|now",
     offsetof(struct run_changes, n_certs), cert_rows},
};

static void header_cells(FILE *fp, const char *columns)
{
    while (*columns) {
        size_t len = strcspn(columns, "|");
        bool number = columns[0] == '#';
        fprintf(fp, "<th%s>%.*s</th>", number ? " class=\"num\"" : "",
                (int)(len - number), columns + number);
        columns += len + (columns[len] == '|');
    }
}

void run_changes_write_html(FILE *fp, const struct run_changes *c)
{
    fputs("<section id=\"changes\"><h2>Changes since the baseline</h2>"
          "<p class=\"meta\">", fp);
    html_text(fp, c->name);
    fprintf(fp, ": %" PRIu64 " handshakes; this run: %" PRIu64 ". Servers: "
            "%zu in both, %zu only now, %zu only in the baseline.</p>",
            c->old_handshakes, c->new_handshakes, c->servers_both,
            c->servers_new, c->servers_gone);
    if (nothing_changed(c))
        fputs("<p>Nothing changed: no server started or stopped failing, no "
              "new cause, fingerprint or certificate.</p>", fp);
    for (size_t t = 0; t < ARRAY_LEN(change_tables); t++) {
        const struct change_table *ct = &change_tables[t];
        size_t n;
        memcpy(&n, (const char *)c + ct->count_at, sizeof n);
        if (!n)
            continue;
        fprintf(fp, "<h3>%s</h3><table id=\"%s\"><thead><tr>", ct->title,
                ct->id);
        header_cells(fp, ct->columns);
        fputs("</tr></thead><tbody>", fp);
        ct->rows(fp, c);
        fputs("</tbody></table>", fp);
    }
    fputs("</section>\n", fp);
}
