/* distrust.c — loads the browsers' distrust table and matches chains
 * against it (see distrust.h for the file format). Loading is strict and
 * all-or-nothing, like the rule files: a bad line stops it with its line
 * number, so a typo in a date cannot silently disable an entry. */
#include "distrust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#define MAX_FILE_BYTES (1u << 20)
#define MAX_ENTRIES 4096
#define FIELDS 6

struct distrust_entry {
    uint8_t sha256[32];
    char ca[48];
    char browser[16];
    bool by_sct;
    int64_t after; /* seconds since the epoch, last trusted instant */
};

struct distrust_table {
    struct distrust_entry *entries;
    size_t n;
};

/* A field of a line: a span of the text, not NUL-terminated. */
struct span {
    const char *p;
    size_t n;
};

static bool span_is(struct span s, const char *word)
{
    return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

static bool parse_sha256(struct span s, uint8_t out[32])
{
    size_t k = 0;
    int hi = -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == ':')
            continue;
        int d = OPENSSL_hexchar2int((unsigned char)s.p[i]);
        if (d < 0 || k == 32)
            return false;
        if (hi < 0) {
            hi = d;
        } else {
            out[k++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    return k == 32 && hi < 0;
}

static bool digits(const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* YYYY-MM-DD (the end of that day) or YYYY-MM-DDTHH:MM:SSZ, UTC. */
static bool parse_instant(struct span s, int64_t *out)
{
    int y, mo, d, h = 23, mi = 59, sec = 59;
    if (s.n != 10 && s.n != 20)
        return false;
    if (!digits(s.p, 4, &y) || s.p[4] != '-' || !digits(s.p + 5, 2, &mo) ||
        s.p[7] != '-' || !digits(s.p + 8, 2, &d))
        return false;
    if (s.n == 20 &&
        (s.p[10] != 'T' || !digits(s.p + 11, 2, &h) || s.p[13] != ':' ||
         !digits(s.p + 14, 2, &mi) || s.p[16] != ':' ||
         !digits(s.p + 17, 2, &sec) || s.p[19] != 'Z'))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    /* timegm normalizes 31 February into March: refuse what moved. */
    struct tm back;
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d ||
        back.tm_mon != mo - 1)
        return false;
    *out = (int64_t)t;
    return true;
}

static bool label_ok(struct span s, size_t cap, bool word_only)
{
    if (s.n == 0 || s.n >= cap)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (word_only && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void copy_span(char *dst, struct span s)
{
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
}

/* One data line into *e; the reason in *why on failure. */
static bool parse_line(const char *line, size_t n, struct distrust_entry *e,
                       const char **why)
{
    struct span f[FIELDS];
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && line[i] != '\t')
            continue;
        if (k == FIELDS) {
            *why = "more than 6 tab-separated fields";
            return false;
        }
        f[k].p = line + start;
        f[k].n = i - start;
        k++;
        start = i + 1;
    }
    if (k != FIELDS) {
        *why = "expected 6 tab-separated fields: ca, sha256, browser, "
               "basis, after, source";
        return false;
    }
    memset(e, 0, sizeof(*e));
    if (!label_ok(f[0], sizeof(e->ca), false)) {
        *why = "ca: a label of 1 to 47 printable bytes";
        return false;
    }
    if (!parse_sha256(f[1], e->sha256)) {
        *why = "sha256: 64 hex digits (colons allowed)";
        return false;
    }
    if (!label_ok(f[2], sizeof(e->browser), true)) {
        *why = "browser: 1 to 15 letters, digits, '-' or '_'";
        return false;
    }
    if (span_is(f[3], "sct"))
        e->by_sct = true;
    else if (!span_is(f[3], "not_before")) {
        *why = "basis: sct or not_before";
        return false;
    }
    if (!parse_instant(f[4], &e->after)) {
        *why = "after: a UTC date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ";
        return false;
    }
    if (!label_ok(f[5], 1024, false)) {
        *why = "source: where the decision is published (required)";
        return false;
    }
    copy_span(e->ca, f[0]);
    copy_span(e->browser, f[2]);
    return true;
}

struct distrust_table *distrust_parse(const char *text, size_t len,
                                      const char *name, char *err,
                                      size_t err_len)
{
    struct distrust_table *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_len, "%s: out of memory", name);
        return NULL;
    }
    size_t line_no = 0, pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        line_no++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        size_t lead = 0;
        while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == n || line[lead] == '#')
            continue;
        const char *why = NULL;
        struct distrust_entry e;
        if (memchr(line, '\0', n))
            why = "a NUL byte";
        else if (t->n == MAX_ENTRIES)
            why = "more than 4096 entries";
        else if (parse_line(line, n, &e, &why)) {
            struct distrust_entry *grown =
                realloc(t->entries, (t->n + 1) * sizeof(*grown));
            if (!grown)
                why = "out of memory";
            else {
                t->entries = grown;
                t->entries[t->n++] = e;
            }
        }
        if (why) {
            snprintf(err, err_len, "%s:%zu: %s", name, line_no, why);
            distrust_free(t);
            return NULL;
        }
    }
    return t;
}

struct distrust_table *distrust_load_file(const char *path, char *err,
                                          size_t err_len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, fp) : 0;
    bool bad = !buf || ferror(fp);
    fclose(fp);
    struct distrust_table *t = NULL;
    if (bad)
        snprintf(err, err_len, "%s: cannot read", path);
    else if (n > MAX_FILE_BYTES)
        snprintf(err, err_len, "%s: larger than 1 MiB", path);
    else
        t = distrust_parse(buf, n, path, err, err_len);
    free(buf);
    return t;
}

extern const char distrust_default_tsv[];
extern const size_t distrust_default_tsv_len;

struct distrust_table *distrust_load_builtin(char *err, size_t err_len)
{
    return distrust_parse(distrust_default_tsv, distrust_default_tsv_len,
                          "rules/distrust.tsv (built in)", err, err_len);
}

void distrust_free(struct distrust_table *t)
{
    if (!t)
        return;
    free(t->entries);
    free(t);
}

size_t distrust_count(const struct distrust_table *t)
{
    return t ? t->n : 0;
}

static bool named(const struct cert_result *r, const char *browser)
{
    for (uint8_t i = 0; i < r->n_distrusted_by; i++)
        if (strcmp(r->distrusted_by[i], browser) == 0)
            return true;
    return false;
}

void distrust_check(const struct distrust_table *t, const uint8_t (*fps)[32],
                    size_t n_fps, int64_t not_before, uint64_t sct_us,
                    struct cert_result *r)
{
    if (!t)
        return;
    /* Whole seconds: an SCT at 23:59:59.500 is still within the day a
     * browser named by its last second. */
    int64_t sct = sct_us ? (int64_t)(sct_us / 1000000u) : 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct distrust_entry *e = &t->entries[i];
        bool in_path = false;
        for (size_t k = 0; k < n_fps && !in_path; k++)
            in_path = memcmp(fps[k], e->sha256, 32) == 0;
        if (!in_path)
            continue;
        bool by_sct = e->by_sct && sct != 0;
        int64_t when = by_sct ? sct : not_before;
        if (when <= e->after || named(r, e->browser))
            continue;
        if (r->n_distrusted_by == 0) {
            snprintf(r->distrusted_ca, sizeof(r->distrusted_ca), "%s", e->ca);
            r->distrust_by_sct = by_sct;
        }
        if (r->n_distrusted_by < HS_MAX_DISTRUST)
            snprintf(r->distrusted_by[r->n_distrusted_by++],
                     sizeof(r->distrusted_by[0]), "%s", e->browser);
    }
}
