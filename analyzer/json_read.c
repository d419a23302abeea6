/* json_read.c — a strict RFC 8259 reader that reports leaves (json_read.h).
 * Recursive descent over the cursor; strings are unescaped into a fixed
 * buffer, keys are appended to a fixed path buffer, so reading allocates
 * nothing and no input can make it use more than a few kilobytes. */
#include "json_read.h"

#include <string.h>

#include "cursor.h"

struct reader {
    struct cursor c;
    json_leaf_fn fn;
    void *ctx;
    int depth;
    char path[JSON_READ_MAX_PATH];
    size_t path_len;
    int cut_depth; /* >0: the path was cut at this depth, leaves are quiet */
    char str[JSON_READ_MAX_STRING + 8];
    size_t str_len;
};

static void skip_ws(struct reader *r)
{
    uint8_t b;
    while (cursor_peek_u8(&r->c, 0, &b) &&
           (b == ' ' || b == '\t' || b == '\n' || b == '\r') &&
           cursor_skip(&r->c, 1))
        ;
}

static bool expect(struct reader *r, uint8_t want)
{
    uint8_t b;
    skip_ws(r);
    if (!cursor_peek_u8(&r->c, 0, &b) || b != want)
        return false;
    return cursor_skip(&r->c, 1);
}

static void put_byte(struct reader *r, uint8_t b)
{
    if (r->str_len < JSON_READ_MAX_STRING)
        r->str[r->str_len++] = (char)b;
}

static void put_utf8(struct reader *r, uint32_t cp)
{
    if (cp < 0x80) {
        put_byte(r, (uint8_t)cp);
    } else if (cp < 0x800) {
        put_byte(r, (uint8_t)(0xc0 | cp >> 6));
        put_byte(r, (uint8_t)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        put_byte(r, (uint8_t)(0xe0 | cp >> 12));
        put_byte(r, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
        put_byte(r, (uint8_t)(0x80 | (cp & 0x3f)));
    } else {
        put_byte(r, (uint8_t)(0xf0 | cp >> 18));
        put_byte(r, (uint8_t)(0x80 | (cp >> 12 & 0x3f)));
        put_byte(r, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
        put_byte(r, (uint8_t)(0x80 | (cp & 0x3f)));
    }
}

static bool hex4(struct reader *r, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t b;
        CURSOR_TRY(cursor_u8(&r->c, &b));
        v <<= 4;
        if (b >= '0' && b <= '9')
            v |= (uint32_t)(b - '0');
        else if (b >= 'a' && b <= 'f')
            v |= (uint32_t)(b - 'a' + 10);
        else if (b >= 'A' && b <= 'F')
            v |= (uint32_t)(b - 'A' + 10);
        else
            return false;
    }
    *out = v;
    return true;
}

/* A string after its opening quote, unescaped into r->str (cut to the
 * buffer, still read to its end). */
static bool read_string(struct reader *r)
{
    r->str_len = 0;
    for (;;) {
        uint8_t b;
        CURSOR_TRY(cursor_u8(&r->c, &b));
        if (b == '"')
            break;
        if (b < 0x20)
            return false;
        if (b != '\\') {
            put_byte(r, b);
            continue;
        }
        CURSOR_TRY(cursor_u8(&r->c, &b));
        uint32_t cp, lo;
        switch (b) {
        case '"': case '\\': case '/': put_byte(r, b); break;
        case 'b': put_byte(r, '\b'); break;
        case 'f': put_byte(r, '\f'); break;
        case 'n': put_byte(r, '\n'); break;
        case 'r': put_byte(r, '\r'); break;
        case 't': put_byte(r, '\t'); break;
        case 'u':
            CURSOR_TRY(hex4(r, &cp));
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint8_t a, u;
                struct cursor save = r->c;
                if (cursor_u8(&r->c, &a) && cursor_u8(&r->c, &u) &&
                    a == '\\' && u == 'u' && hex4(r, &lo) && lo >= 0xdc00 &&
                    lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else {
                    r->c = save;
                    cp = 0xfffd; /* a lone high surrogate */
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                cp = 0xfffd;
            }
            put_utf8(r, cp);
            break;
        default:
            return false;
        }
    }
    r->str[r->str_len] = '\0';
    return true;
}

static bool is_digit(uint8_t b)
{
    return b >= '0' && b <= '9';
}

/* Digits into r->str while they fit; at least one. */
static bool digits(struct reader *r)
{
    uint8_t b;
    size_t n = 0;
    while (cursor_peek_u8(&r->c, 0, &b) && is_digit(b) &&
           cursor_skip(&r->c, 1)) {
        put_byte(r, b);
        n++;
    }
    return n > 0;
}

static bool read_number(struct reader *r)
{
    uint8_t b;
    r->str_len = 0;
    if (cursor_peek_u8(&r->c, 0, &b) && b == '-') {
        CURSOR_TRY(cursor_skip(&r->c, 1));
        put_byte(r, b);
    }
    CURSOR_TRY(cursor_peek_u8(&r->c, 0, &b));
    if (b == '0') {
        CURSOR_TRY(cursor_skip(&r->c, 1));
        put_byte(r, b);
    } else if (!digits(r)) {
        return false;
    }
    if (cursor_peek_u8(&r->c, 0, &b) && b == '.') {
        CURSOR_TRY(cursor_skip(&r->c, 1));
        put_byte(r, b);
        CURSOR_TRY(digits(r));
    }
    if (cursor_peek_u8(&r->c, 0, &b) && (b == 'e' || b == 'E')) {
        CURSOR_TRY(cursor_skip(&r->c, 1));
        put_byte(r, b);
        if (cursor_peek_u8(&r->c, 0, &b) && (b == '+' || b == '-')) {
            CURSOR_TRY(cursor_skip(&r->c, 1));
            put_byte(r, b);
        }
        CURSOR_TRY(digits(r));
    }
    r->str[r->str_len] = '\0';
    return true;
}

static bool literal(struct reader *r, const char *word)
{
    for (const char *p = word; *p; p++) {
        uint8_t b;
        CURSOR_TRY(cursor_u8(&r->c, &b));
        if (b != (uint8_t)*p)
            return false;
    }
    return true;
}

static void leaf(struct reader *r, enum json_leaf_kind kind, const char *text,
                 size_t len)
{
    if (r->cut_depth == 0)
        r->fn(r->ctx, r->path, kind, text, len);
}

static bool read_value(struct reader *r);

static bool read_object(struct reader *r)
{
    if (expect(r, '}'))
        return true;
    for (;;) {
        CURSOR_TRY(expect(r, '"'));
        CURSOR_TRY(read_string(r));
        size_t saved = r->path_len;
        size_t need = r->str_len + (saved ? 1 : 0);
        if (r->cut_depth == 0 && saved + need < sizeof(r->path) &&
            !memchr(r->str, '\0', r->str_len)) {
            if (saved)
                r->path[r->path_len++] = '.';
            memcpy(r->path + r->path_len, r->str, r->str_len);
            r->path_len += r->str_len;
            r->path[r->path_len] = '\0';
        } else if (r->cut_depth == 0) {
            r->cut_depth = r->depth; /* too deep a path: stay quiet below */
        }
        CURSOR_TRY(expect(r, ':'));
        CURSOR_TRY(read_value(r));
        if (r->cut_depth == r->depth)
            r->cut_depth = 0;
        r->path_len = saved;
        r->path[saved] = '\0';
        if (expect(r, ','))
            continue;
        return expect(r, '}');
    }
}

static bool read_array(struct reader *r)
{
    if (expect(r, ']'))
        return true;
    for (;;) {
        CURSOR_TRY(read_value(r));
        if (expect(r, ','))
            continue;
        return expect(r, ']');
    }
}

static bool read_value(struct reader *r)
{
    uint8_t b;
    skip_ws(r);
    CURSOR_TRY(cursor_peek_u8(&r->c, 0, &b));
    switch (b) {
    case '{':
    case '[': {
        if (r->depth >= JSON_READ_MAX_DEPTH)
            return false;
        CURSOR_TRY(cursor_skip(&r->c, 1));
        r->depth++;
        bool ok = b == '{' ? read_object(r) : read_array(r);
        r->depth--;
        return ok;
    }
    case '"':
        CURSOR_TRY(cursor_skip(&r->c, 1));
        CURSOR_TRY(read_string(r));
        leaf(r, JSON_LEAF_STRING, r->str, r->str_len);
        return true;
    case 't':
        CURSOR_TRY(literal(r, "true"));
        leaf(r, JSON_LEAF_TRUE, "true", 4);
        return true;
    case 'f':
        CURSOR_TRY(literal(r, "false"));
        leaf(r, JSON_LEAF_FALSE, "false", 5);
        return true;
    case 'n':
        CURSOR_TRY(literal(r, "null"));
        leaf(r, JSON_LEAF_NULL, "null", 4);
        return true;
    default:
        CURSOR_TRY(b == '-' || is_digit(b));
        CURSOR_TRY(read_number(r));
        leaf(r, JSON_LEAF_NUMBER, r->str, r->str_len);
        return true;
    }
}

bool json_read(const char *data, size_t len, json_leaf_fn fn, void *ctx,
               size_t *error_at)
{
    struct reader r;
    memset(&r, 0, sizeof(r));
    r.c = cursor_make((const uint8_t *)data, len);
    r.fn = fn;
    r.ctx = ctx;
    bool ok = read_value(&r);
    if (ok) {
        skip_ws(&r);
        ok = cursor_expect_end(&r.c);
    }
    if (!ok && error_at)
        *error_at = cursor_pos(&r.c);
    return ok;
}
