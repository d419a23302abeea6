/* json_writer.c — streaming JSON into one buffer: escaping, numbers,
 * objects and arrays with their commas. Documents are built in memory and
 * leave with a single fwrite, so a line is never interleaved or
 * half-written by stdio buffering. (A handshake record is rendered onto it
 * by record_json.c.) */
#include <inttypes.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

#include "../fields.h" /* TLSMON_ECS_VERSION */
#include "hex.h"

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
    w->has_items = 0;
    if (w->buf)
        w->buf[0] = '\0';
}

static bool grow(struct json_writer *w, size_t extra);

/* Room for `extra` more bytes plus the terminating NUL. Inline: every key
 * and value asks, and there nearly always is. */
static inline bool reserve(struct json_writer *w, size_t extra)
{
    if (w->failed)
        return false;
    if (extra < w->cap && w->len < w->cap - extra)
        return true;
    return grow(w, extra);
}

static bool grow(struct json_writer *w, size_t extra)
{
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

/* Most keys and values are short: copied as two overlapping loads and
 * stores (constant sizes the compiler turns into moves), not a call into
 * memcpy, which cost more than the copy itself. */
static inline void copy_bytes(char *dst, const char *src, size_t n)
{
    uint64_t a, b;
    uint32_t c, d;
    if (n > 32) {
        memcpy(dst, src, n);
    } else if (n > 16) {
        char head[16], tail[16];
        memcpy(head, src, 16);
        memcpy(tail, src + n - 16, 16);
        memcpy(dst, head, 16);
        memcpy(dst + n - 16, tail, 16);
    } else if (n >= 8) {
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        memcpy(&c, src, 4);
        memcpy(&d, src + n - 4, 4);
        memcpy(dst, &c, 4);
        memcpy(dst + n - 4, &d, 4);
    } else if (n > 0) {
        /* 1 to 3 bytes: first, middle and last cover them all */
        char x = src[0], y = src[n / 2], z = src[n - 1];
        dst[0] = x;
        dst[n / 2] = y;
        dst[n - 1] = z;
    }
}

static inline void put(struct json_writer *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    copy_bytes(w->buf + w->len, s, n);
    w->len += n;
}

static inline void put_char(struct json_writer *w, char c)
{
    if (!w->failed && w->len + 1 < w->cap) { /* the usual case */
        w->buf[w->len++] = c;
        return;
    }
    put(w, &c, 1);
}

/* Every value and every key goes through here: the comma, if one is due.
 * Inline, as it runs once per key and per value. */
static inline void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    uint32_t bit = 1u << w->depth;
    if (w->has_items & bit)
        put_char(w, ',');
    w->has_items |= bit;
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
    w->has_items &= ~(1u << w->depth);
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

void json_key_chain(struct json_writer *w, const char *text, size_t n,
                    int opens)
{
    before_item(w);
    if (opens < 0 || w->depth + opens > JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, text, n);
    /* each level opened holds its first key */
    w->has_items |= ((1u << opens) - 1) << (w->depth + 1);
    w->depth += opens;
    w->after_key = true;
}

void json_next_key_chain(struct json_writer *w, int close, const char *text,
                         size_t n, int opens)
{
    if (w->after_key || close < 0 || close > w->depth || opens < 0 ||
        w->depth - close + opens > JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    size_t total = (size_t)close + 1 + n;
    if (!reserve(w, total))
        return;
    char *out = w->buf + w->len;
    /* none or one close is the usual case: no memset call for those */
    if (close == 1)
        *out++ = '}';
    else if (close > 1) {
        memset(out, '}', (size_t)close);
        out += close;
    }
    *out++ = ',';
    copy_bytes(out, text, n);
    w->len += total;
    w->depth -= close;
    w->has_items |= ((1u << opens) - 1) << (w->depth + 1);
    w->depth += opens;
    w->after_key = true;
}

void json_raw_value(struct json_writer *w, const char *text, size_t n)
{
    before_item(w);
    put(w, text, n);
}

void json_end_objects(struct json_writer *w, int n)
{
    if (n <= 0)
        return;
    if (n > w->depth) {
        w->failed = true;
        return;
    }
    if (!reserve(w, (size_t)n))
        return;
    memset(w->buf + w->len, '}', (size_t)n);
    w->len += (size_t)n;
    w->depth -= n;
}

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
        if (esc) { /* every short escape is two bytes */
            put_char(w, esc[0]);
            put_char(w, esc[1]);
        } else {
            put(w, ubuf, sizeof(ubuf));
        }
        i += seq;
        run = i;
    }
    put(w, str + run, n - run);
}

/* Every key and string of every record is scanned for bytes to escape,
 * mostly plain ASCII and short: sixteen bytes a step with SSE2 (every
 * x86-64), eight with plain 64-bit arithmetic, the last step overlapping
 * the one before instead of a byte loop. */
#ifdef __SSE2__
/* Bit b set when byte b of the sixteen at s needs escaping. */
static inline unsigned escape_mask16(const unsigned char *s)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    /* Signed compares: bytes from 0x80 up are negative, so below 0x20. */
    __m128i bad = _mm_or_si128(
        _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                     _mm_cmpgt_epi8(x, _mm_set1_epi8(0x7e))),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/* True when none of the eight bytes at s needs escaping. Exact as a yes/no
 * answer: the has-zero trick's borrow only marks bytes after a real one. */
static inline bool plain8(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;
    uint64_t x;
    memcpy(&x, s, 8);
#define HAS_ZERO(v) (((v) - ones) & ~(v) & highs)
    uint64_t bad = ((x - ones * 0x20) & ~x & highs) | (x & highs) |
                   HAS_ZERO(x ^ (ones * '"')) | HAS_ZERO(x ^ (ones * '\\')) |
                   HAS_ZERO(x ^ (ones * 0x7f));
#undef HAS_ZERO
    return bad == 0;
}

/* Length of the plain start of s. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    if (n >= 16) {
        for (; i + 16 <= n; i += 16) {
            unsigned m = escape_mask16(s + i);
            if (m)
                return i + (size_t)__builtin_ctz(m);
        }
        if (i == n)
            return n;
        /* Bits for the bytes before i, already plain, are clear. */
        unsigned m = escape_mask16(s + n - 16);
        return m ? n - 16 + (size_t)__builtin_ctz(m) : n;
    }
#endif
    for (; i + 8 <= n; i += 8)
        if (!plain8(s + i))
            break;
    if (i < n && i + 8 > n && n >= 8 && plain8(s + n - 8))
        return n;
    while (i < n && plain_byte(s[i]))
        i++;
    return i;
}

#ifdef __SSE2__
/* Room past a string's copy that scanning the copy may read. */
#define SCAN_SLACK 16

/* Length of the plain start of the n bytes at s, in the writer's own
 * buffer, where up to SCAN_SLACK bytes past them may be read (whatever
 * they hold, their bits are masked off). */
static inline size_t plain_prefix_of_copy(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        unsigned m = escape_mask16(s + i);
        if (n - i < 16)
            m &= (1u << (n - i)) - 1;
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    return n;
}
#endif

/* The plain start is copied with its quotes under one bounds check. */
static inline void put_escaped(struct json_writer *w, const char *str,
                               size_t n)
{
#ifdef __SSE2__
    /* The usual case, room for it all and the slack: the string is copied
     * first and its copy scanned sixteen bytes a load, so a short string
     * costs one load, and the caller's bytes are never read past n. */
    if (!w->failed && n < JSON_MAX_BYTES &&
        w->cap - w->len > n + 2 + SCAN_SLACK) {
        char *out = w->buf + w->len;
        out[0] = '"';
        copy_bytes(out + 1, str, n);
        size_t plain = plain_prefix_of_copy((unsigned char *)out + 1, n);
        if (plain == n) {
            out[n + 1] = '"';
            w->len += n + 2;
            return;
        }
        w->len += 1 + plain; /* the rest is written escaped */
        put_escaped_body(w, str + plain, n - plain);
        put_char(w, '"');
        return;
    }
#endif
    size_t plain = plain_prefix((const unsigned char *)str, n);
    if (!reserve(w, plain + 2))
        return;
    w->buf[w->len++] = '"';
    copy_bytes(w->buf + w->len, str, plain);
    w->len += plain;
    if (plain < n)
        put_escaped_body(w, str + plain, n - plain);
    put_char(w, '"'); /* room reserved when it is all plain */
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
    if (!s)
        s = "";
    before_item(w);
    put_escaped(w, s, strlen(s));
}

/* Decimal digits of n, with a '-' before them when `negative`, written
 * backwards so that they end just before `end`; returns where they start.
 * Every record has several numbers, and snprintf was a visible cost per
 * record. */
static char *digits_ending_at(char *end, uint64_t n, bool negative)
{
    /* "00" to "99": two digits per division, half the divisions */
    static const char pairs[200] =
        "0001020304050607080910111213141516171819"
        "2021222324252627282930313233343536373839"
        "4041424344454647484950515253545556575859"
        "6061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    while (n >= 100) {
        uint64_t r = n % 100;
        n /= 100;
        end -= 2;
        memcpy(end, pairs + 2 * r, 2);
    }
    if (n >= 10) {
        end -= 2;
        memcpy(end, pairs + 2 * n, 2);
    } else
        *--end = (char)('0' + n);
    if (negative)
        *--end = '-';
    return end;
}

static void put_integer(struct json_writer *w, uint64_t magnitude,
                        bool negative)
{
    char tmp[24];
    char *start = digits_ending_at(tmp + sizeof(tmp), magnitude, negative);
    before_item(w);
    put(w, start, (size_t)(tmp + sizeof(tmp) - start));
}

void json_int(struct json_writer *w, int64_t n)
{
    put_integer(w, n < 0 ? 0 - (uint64_t)n : (uint64_t)n, n < 0);
}

void json_uint(struct json_writer *w, uint64_t n)
{
    put_integer(w, n, false);
}

void json_member_uint(struct json_writer *w, const char *key, uint64_t n)
{
    json_key(w, key);
    json_uint(w, n);
}

void json_member_counters(struct json_writer *w, const void *base,
                          const struct json_counter *counters, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t count;
        memcpy(&count, (const char *)base + counters[i].offset,
               sizeof(count));
        json_member_uint(w, counters[i].key, count);
    }
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
    char *start = tmp + sizeof(tmp);
    for (int k = 0; k < 3; k++) {
        *--start = (char)('0' + thousandths % 10);
        thousandths /= 10;
    }
    *--start = '.';
    start = digits_ending_at(start, thousandths, negative);
    before_item(w);
    put(w, start, (size_t)(tmp + sizeof(tmp) - start));
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

void json_write_ecs_version(struct json_writer *w)
{
    json_key(w, "ecs");
    json_begin_object(w);
    json_key(w, "version");
    json_string(w, TLSMON_ECS_VERSION);
    json_end_object(w);
}
