/* json_writer.c — streaming JSON into one buffer, and a handshake record
 * rendered from the field registry as nested objects. Records are built in
 * memory and leave with a single fwrite, so a line is never interleaved or
 * half-written by stdio buffering between fields. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

#include "../fields.h"
#include "hex.h"
#include "../../dissectors/outcome.h"

void json_init(struct json_writer *w)
{
    memset(w, 0, sizeof(*w));
    w->owned = true;
}

void json_init_capacity(struct json_writer *w, size_t cap)
{
    json_init(w);
    if (cap == 0 || cap > JSON_MAX_BYTES)
        return;
    w->buf = malloc(cap);
    if (w->buf) {
        w->cap = cap;
        w->buf[0] = '\0';
    }
}

void json_init_fixed(struct json_writer *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    if (cap == 0)
        w->failed = true;
    else
        buf[0] = '\0';
}

void json_free(struct json_writer *w)
{
    if (w->owned)
        free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

void json_reset(struct json_writer *w)
{
    w->len = 0;
    w->failed = w->cap == 0 && !w->owned;
    w->after_key = false;
    w->depth = 0;
    w->has_items[0] = false;
    if (w->buf)
        w->buf[0] = '\0';
}

/* Room for `extra` more bytes plus the terminating NUL. */
static bool reserve(struct json_writer *w, size_t extra)
{
    if (w->failed)
        return false;
    if (extra < w->cap && w->len < w->cap - extra)
        return true;
    if (!w->owned || extra > JSON_MAX_BYTES ||
        w->len + extra >= JSON_MAX_BYTES) {
        w->failed = true;
        return false;
    }
    size_t cap = w->cap ? w->cap : 1024;
    while (cap <= w->len + extra)
        cap *= 2;
    if (cap > JSON_MAX_BYTES)
        cap = JSON_MAX_BYTES;
    char *nbuf = realloc(w->buf, cap);
    if (!nbuf) {
        w->failed = true;
        return false;
    }
    w->buf = nbuf;
    w->cap = cap;
    return true;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void put_char(struct json_writer *w, char c)
{
    if (!w->failed && w->len + 1 < w->cap) { /* the usual case */
        w->buf[w->len++] = c;
        return;
    }
    put(w, &c, 1);
}

/* Every value and every key goes through here: the comma, if one is due. */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->has_items[w->depth])
        put_char(w, ',');
    w->has_items[w->depth] = true;
}

static void open_level(struct json_writer *w, char c)
{
    before_item(w);
    if (w->depth >= JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put_char(w, c);
    w->depth++;
    w->has_items[w->depth] = false;
}

static void close_level(struct json_writer *w, char c)
{
    if (w->depth <= 0) {
        w->failed = true;
        return;
    }
    put_char(w, c);
    w->depth--;
}

void json_begin_object(struct json_writer *w) { open_level(w, '{'); }
void json_end_object(struct json_writer *w) { close_level(w, '}'); }
void json_begin_array(struct json_writer *w) { open_level(w, '['); }
void json_end_array(struct json_writer *w) { close_level(w, ']'); }

/* Length of a valid UTF-8 sequence starting at s[0], or 0 when it is not
 * one (then that byte is escaped on its own). Rejects overlong forms,
 * surrogates and code points past U+10FFFF, as RFC 3629 does. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (avail < need)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

/* Bytes that are copied as they are: printable ASCII but '"' and '\\'. A
 * table, as every key and string of every record is scanned with it. */
#define PLAIN(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define PLAIN4(c) PLAIN(c), PLAIN(c + 1), PLAIN(c + 2), PLAIN(c + 3)
#define PLAIN16(c) PLAIN4(c), PLAIN4(c + 4), PLAIN4(c + 8), PLAIN4(c + 12)
#define PLAIN64(c) PLAIN16(c), PLAIN16(c + 16), PLAIN16(c + 32), PLAIN16(c + 48)
static const bool plain_table[256] = {
    PLAIN64(0), PLAIN64(64), PLAIN64(128), PLAIN64(192),
};

static bool plain_byte(unsigned char c)
{
    return plain_table[c];
}

/* The string's bytes, escaped, without the quotes. */
static void put_escaped_body(struct json_writer *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* start of bytes that need no escaping */
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t seq = 1;
        const char *esc = NULL;
        char ubuf[6];
        if (c >= 0x80) {
            seq = utf8_sequence(s + i, n - i);
            if (seq > 0) {
                i += seq;
                continue;
            }
            seq = 1;
        } else if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            i++;
            continue;
        }
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            memcpy(ubuf, "\\u00", 4);
            ubuf[4] = hex_digit(c >> 4, false);
            ubuf[5] = hex_digit(c, false);
            break;
        }
        put(w, str + run, i - run);
        if (esc)
            put(w, esc, strlen(esc));
        else
            put(w, ubuf, sizeof(ubuf));
        i += seq;
        run = i;
    }
    put(w, str + run, n - run);
}

/* Strings are mostly plain ASCII: their plain start is copied with one
 * bounds check for all of it, not one per byte. */
static void put_escaped(struct json_writer *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t plain = 0;
    while (plain < n && plain_byte(s[plain]))
        plain++;
    put_char(w, '"');
    put(w, str, plain);
    if (plain < n)
        put_escaped_body(w, str + plain, n - plain);
    put_char(w, '"');
}

void json_key_n(struct json_writer *w, const char *key, size_t n)
{
    before_item(w);
    put_escaped(w, key, n);
    put_char(w, ':');
    w->after_key = true;
}

void json_key(struct json_writer *w, const char *key)
{
    json_key_n(w, key, strlen(key));
}

void json_string_n(struct json_writer *w, const char *s, size_t n)
{
    before_item(w);
    put_escaped(w, s, n);
}

void json_string(struct json_writer *w, const char *s)
{
    json_string_n(w, s ? s : "", s ? strlen(s) : 0);
}

/* Decimal digits of n, written backwards from the end of tmp[24]: every
 * record has several numbers, and snprintf was a visible cost per record. */
static size_t format_u64(char tmp[24], uint64_t n, bool negative)
{
    size_t i = 24;
    do {
        tmp[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    if (negative)
        tmp[--i] = '-';
    return i;
}

void json_int(struct json_writer *w, int64_t n)
{
    char tmp[24];
    uint64_t mag = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
    size_t start = format_u64(tmp, mag, n < 0);
    before_item(w);
    put(w, tmp + start, 24 - start);
}

void json_uint(struct json_writer *w, uint64_t n)
{
    char tmp[24];
    size_t start = format_u64(tmp, n, false);
    before_item(w);
    put(w, tmp + start, 24 - start);
}

void json_member_uint(struct json_writer *w, const char *key, uint64_t n)
{
    json_key(w, key);
    json_uint(w, n);
}

void json_bool(struct json_writer *w, bool b)
{
    before_item(w);
    put(w, b ? "true" : "false", b ? 4 : 5);
}

/* The same digits as field_value_format's FT_FLOAT (rounded thousandths,
 * capped at 9e15), without snprintf: every record has a few. */
void json_fixed3(struct json_writer *w, double d)
{
    bool negative = d < 0;
    double r = negative ? -d : d;
    if (r > 9e15)
        r = 9e15;
    uint64_t thousandths = (uint64_t)(r * 1000.0 + 0.5);
    char tmp[32];
    size_t i = sizeof(tmp);
    for (int k = 0; k < 3; k++) {
        tmp[--i] = (char)('0' + thousandths % 10);
        thousandths /= 10;
    }
    tmp[--i] = '.';
    do {
        tmp[--i] = (char)('0' + thousandths % 10);
        thousandths /= 10;
    } while (thousandths);
    if (negative)
        tmp[--i] = '-';
    before_item(w);
    put(w, tmp + i, sizeof(tmp) - i);
}

const char *json_text(struct json_writer *w)
{
    if (w->failed || !w->buf)
        return "";
    w->buf[w->len] = '\0'; /* reserve() always leaves room for it */
    return w->buf;
}

bool json_append_raw(struct json_writer *w, const char *s, size_t n)
{
    if (w->failed || !reserve(w, n))
        return false;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return true;
}

bool json_append_fmt(struct json_writer *w, const char *fmt, ...)
{
    /* One formatting pass when it fits the room there is (it nearly
     * always does), a second one after growing when it does not. */
    if (w->failed || !reserve(w, 256))
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n >= w->cap - w->len) {
        if (!reserve(w, (size_t)n + 1))
            return false;
        va_start(ap, fmt);
        vsnprintf(w->buf + w->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    w->len += (size_t)n;
    return true;
}

bool json_write_line(struct json_writer *w, FILE *fp)
{
    put_char(w, '\n');
    bool ok = !w->failed && w->depth == 0 &&
              fwrite(w->buf, 1, w->len, fp) == w->len;
    json_reset(w);
    return ok;
}

/* ---- records -------------------------------------------------------------*/

static void write_alert(struct json_writer *w, const struct tls_alert *a)
{
    char scratch[FIELD_SCRATCH];
    json_begin_object(w);
    json_key(w, "sender");
    json_string(w, fields_side_name(a->sender));
    if (a->encrypted) {
        json_key(w, "encrypted");
        json_bool(w, true);
        json_key(w, "length");
        json_int(w, a->length);
    } else {
        if (a->decrypted) {
            json_key(w, "decrypted");
            json_bool(w, true);
            json_key(w, "length");
            json_int(w, a->length);
        }
        json_key(w, "level");
        if (a->level == 1)
            json_string(w, "warning");
        else if (a->level == 2)
            json_string(w, "fatal");
        else
            json_int(w, a->level);
        json_key(w, "description");
        json_string(w, fields_alert_description(a->description, scratch,
                                                sizeof(scratch)));
        json_key(w, "code");
        json_int(w, a->description);
    }
    const char *stage = stage_failure_name((enum hs_stage)a->stage);
    if (stage) {
        json_key(w, "stage");
        json_string(w, stage);
    }
    if (a->late) {
        json_key(w, "late");
        json_bool(w, true);
    }
    json_end_object(w);
}

static void write_value(struct json_writer *w, const struct field_value *v)
{
    char tmp[FIELD_SCRATCH];
    switch (v->type) {
    case FT_STRING:
    case FT_IP:
    case FT_STRING_LIST:
        json_string(w, v->str);
        break;
    case FT_INT:
    case FT_INT_LIST:
        json_int(w, v->num);
        break;
    case FT_BOOL:
        json_bool(w, v->boolean);
        break;
    case FT_FLOAT:
        json_fixed3(w, v->real);
        break;
    case FT_TIME: /* written directly: field_value_format's snprintf
                     showed in the profile */
        json_string(w, fields_time_string((uint64_t)v->num, 6, tmp,
                                          sizeof(tmp)));
        break;
    case FT_VERSION:
        json_string(w, fields_version_number((uint16_t)v->num, tmp,
                                             sizeof(tmp)));
        break;
    case FT_ALERTS:
        write_alert(w, v->alert);
        break;
    }
}

/* Each registry name cut at its dots, once: a record opens and closes its
 * nested objects from these instead of scanning names with strchr for
 * every field of every record. */

struct field_path {
    uint8_t n;  /* segments */
    bool plain; /* no byte of the name needs escaping (all of today's) */
    uint16_t start[JSON_FIELD_MAX_SEGMENTS];
    uint16_t len[JSON_FIELD_MAX_SEGMENTS];
    /* prefix[k]: the same number for every field whose segments 0..k are
     * equal, so two fields' shared parents are found without comparing
     * their names. */
    uint16_t prefix[JSON_FIELD_MAX_SEGMENTS];
};

/* NULL when out of memory or a name is deeper than JSON_FIELD_MAX_SEGMENTS
 * (test_fields checks the registry never is): records then fail. */
static struct field_path *paths;
static pthread_once_t paths_once = PTHREAD_ONCE_INIT;

static bool same_segments(size_t a, size_t b, int upto)
{
    const struct field_path *x = &paths[a], *y = &paths[b];
    const char *na = fields_at(a)->name, *nb = fields_at(b)->name;
    for (int k = 0; k <= upto; k++)
        if (k >= x->n || k >= y->n || x->len[k] != y->len[k] ||
            memcmp(na + x->start[k], nb + y->start[k], x->len[k]) != 0)
            return false;
    return true;
}

/* Quadratic in the registry's size, once per process. */
static void number_prefixes(size_t n)
{
    uint16_t next = 0;
    for (size_t i = 0; i < n; i++) {
        struct field_path *p = &paths[i];
        const char *name = fields_at(i)->name;
        p->plain = true;
        for (size_t b = 0; name[b]; b++)
            p->plain = p->plain && plain_byte((unsigned char)name[b]);
        for (int k = 0; k < p->n; k++) {
            size_t j = 0;
            while (j < i && !same_segments(i, j, k))
                j++;
            p->prefix[k] = j < i ? paths[j].prefix[k] : next++;
        }
    }
}

static void cut_paths(void)
{
    size_t n = fields_count();
    paths = calloc(n, sizeof(*paths));
    for (size_t i = 0; paths && i < n; i++) {
        const char *name = fields_at(i)->name;
        struct field_path *p = &paths[i];
        size_t at = 0;
        for (;;) {
            if (p->n == JSON_FIELD_MAX_SEGMENTS) {
                free(paths);
                paths = NULL;
                return;
            }
            const char *dot = strchr(name + at, '.');
            size_t len = dot ? (size_t)(dot - name) - at : strlen(name + at);
            p->start[p->n] = (uint16_t)at;
            p->len[p->n] = (uint16_t)len;
            p->n++;
            if (!dot)
                break;
            at += len + 1;
        }
    }
    if (paths)
        number_prefixes(n);
}

/* Parent objects (all segments but the last) fields a and b share. */
static int shared_parents(size_t a, size_t b)
{
    const struct field_path *x = &paths[a], *y = &paths[b];
    int k = 0;
    while (k + 1 < x->n && k + 1 < y->n && x->prefix[k] == y->prefix[k])
        k++;
    return k;
}

/* A key known to need no escaping: quotes and colon around one copy. */
static void path_key(struct json_writer *w, const struct field_path *p,
                     const char *name, int k)
{
    const char *seg = name + p->start[k];
    size_t n = p->len[k];
    if (!p->plain) {
        json_key_n(w, seg, n);
        return;
    }
    before_item(w);
    if (!reserve(w, n + 3))
        return;
    w->buf[w->len++] = '"';
    memcpy(w->buf + w->len, seg, n);
    w->len += n;
    w->buf[w->len++] = '"';
    w->buf[w->len++] = ':';
    w->after_key = true;
}

/* Close the objects of field `prev` (SIZE_MAX: none) that field `i` does
 * not share, open the ones it adds, and write the key of its last segment.
 * `open` tracks the depth. */
static void enter_field(struct json_writer *w, size_t prev, size_t i,
                        int *open)
{
    const struct field_path *p = &paths[i];
    const char *name = fields_at(i)->name;
    int keep = prev == SIZE_MAX ? 0 : shared_parents(prev, i);
    while (*open > keep) {
        json_end_object(w);
        (*open)--;
    }
    for (int k = keep; k + 1 < p->n; k++) {
        path_key(w, p, name, k);
        json_begin_object(w);
        (*open)++;
    }
    path_key(w, p, name, p->n - 1);
}

/* Field f of h, when h has it, after key(ctx) has written its key: a
 * scalar, or the list's kept entries as an array. A list with no entries
 * is left out, like an absent scalar: the key is written with the first
 * entry kept. */
static bool write_field(struct json_writer *w, const struct field_def *f,
                        const struct handshake *h, void (*key)(void *ctx),
                        void *ctx)
{
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    if (!field_is_list(f)) {
        if (!f->get(h, &v, scratch, sizeof(scratch)))
            return false;
        key(ctx);
        write_value(w, &v);
        return true;
    }
    size_t slots = f->count(h);
    bool started = false;
    for (size_t k = 0; k < slots; k++) {
        if (!f->item(h, k, &v, scratch, sizeof(scratch)))
            continue;
        if (!started) {
            key(ctx);
            json_begin_array(w);
            started = true;
        }
        write_value(w, &v);
    }
    if (started)
        json_end_array(w);
    return started;
}

struct record_key {
    struct json_writer *w;
    size_t prev, i;
    int open;
};

static void record_key(void *ctx)
{
    struct record_key *k = ctx;
    enter_field(k->w, k->prev, k->i, &k->open);
    k->prev = k->i;
}

void json_write_record(struct json_writer *w, const struct handshake *h)
{
    struct record_key k = {w, SIZE_MAX, 0, 0};
    size_t n = fields_count();

    pthread_once(&paths_once, cut_paths);
    if (!paths) {
        w->failed = true;
        return;
    }
    json_begin_object(w);
    for (k.i = 0; k.i < n; k.i++)
        write_field(w, fields_at(k.i), h, record_key, &k);
    while (k.open-- > 0)
        json_end_object(w);
    json_end_object(w);
}

/* ---- dotted keys by hand ------------------------------------------------ */

void json_path_begin(struct json_path *p, struct json_writer *w)
{
    p->w = w;
    p->prev[0] = '\0';
    p->open = 0;
}

/* Parent segments (all but the last) a and b share, by whole segment. */
static int shared_segments(const char *a, const char *b)
{
    int n = 0;
    for (;;) {
        const char *da = strchr(a, '.'), *db = strchr(b, '.');
        if (!da || !db || da - a != db - b || memcmp(a, b, (size_t)(da - a)))
            return n;
        n++;
        a = da + 1;
        b = db + 1;
    }
}

void json_path_key(struct json_path *p, const char *dotted)
{
    int keep = p->prev[0] ? shared_segments(p->prev, dotted) : 0;
    while (p->open > keep) {
        json_end_object(p->w);
        p->open--;
    }
    const char *seg = dotted;
    for (int k = 0; k < keep; k++)
        seg = strchr(seg, '.') + 1;
    const char *dot;
    while ((dot = strchr(seg, '.')) != NULL) {
        json_key_n(p->w, seg, (size_t)(dot - seg));
        json_begin_object(p->w);
        p->open++;
        seg = dot + 1;
    }
    json_key(p->w, seg);
    size_t n = strlen(dotted);
    if (n >= sizeof(p->prev))
        n = sizeof(p->prev) - 1;
    memcpy(p->prev, dotted, n);
    p->prev[n] = '\0';
}

struct path_key {
    struct json_path *p;
    const char *dotted;
};

static void path_key_cb(void *ctx)
{
    struct path_key *k = ctx;
    json_path_key(k->p, k->dotted);
}

bool json_path_field(struct json_path *p, const char *dotted,
                     const char *name, const struct handshake *h)
{
    const struct field_def *f = fields_find(name);
    struct path_key k = {p, dotted};
    return f && write_field(p->w, f, h, path_key_cb, &k);
}

void json_path_end(struct json_path *p)
{
    while (p->open > 0) {
        json_end_object(p->w);
        p->open--;
    }
    p->prev[0] = '\0';
}

void json_write_ecs_version(struct json_writer *w)
{
    json_key(w, "ecs");
    json_begin_object(w);
    json_key(w, "version");
    json_string(w, TLSMON_ECS_VERSION);
    json_end_object(w);
}
