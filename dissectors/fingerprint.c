/* fingerprint.c — JA3, JA3S and JA4 (see fingerprint.h).
 *
 * JA3: "version,ciphers,extensions,groups,point formats", decimal values in
 * wire order joined by '-', GREASE left out; JA3S: "version,cipher,
 * extensions" of the ServerHello. Both are MD5'd.
 *
 * JA4: "t" (TCP), "q" (QUIC) or "d" (DTLS) + version (highest
 * supported_versions value, else the legacy version; DTLS as d1, d2, d3)
 * + "d"/"i" (an SNI extension or not) + cipher and extension
 * counts (2 digits, GREASE left out) + the first and last characters of the
 * first ALPN value ("00" without ALPN; hex digits when either byte is not
 * alphanumeric), "_", the first 12 hex digits of SHA-256 over the sorted
 * ciphers, "_", of SHA-256 over the sorted extensions without SNI and ALPN,
 * "_", the signature algorithms in wire order. Values are 4 lowercase hex
 * digits joined by ','.
 *
 * A hello whose lists did not fit the record (truncated) gets no
 * fingerprint: a hash of part of a list would be a wrong one. */
#include "fingerprint.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "text_buf.h"
#include "digest.h"
#include "hex.h"
#include "tls_names.h"

/* Digits are written by hand: every handshake builds several of these
 * lists, and snprintf per value was most of the fingerprint's cost. */
enum radix { DECIMAL, HEX4 };

/* The most a value takes in a list: a separator and "65535". */
#define LIST_VALUE_MAX 6

/* "00" to "99": decimals are written two digits per division, which
 * halves the divisions of the four- and five-digit suite codes. */
static const char digit_pairs[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* v at p, unterminated; return the end. Two small functions rather than
 * one with a radix argument, so that the compiler inlines them into the
 * list loop. */
static inline char *write_hex4(char *p, uint16_t v)
{
    p[0] = hex_digit(v >> 12, false);
    p[1] = hex_digit(v >> 8, false);
    p[2] = hex_digit(v >> 4, false);
    p[3] = hex_digit(v, false);
    return p + 4;
}

static inline char *write_decimal(char *p, uint16_t v)
{
    size_t n = v >= 10000 ? 5 : v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
    char *q = p + n;
    for (; v >= 100; v /= 100) {
        q -= 2;
        memcpy(q, digit_pairs + 2 * (v % 100), 2);
    }
    if (v >= 10)
        memcpy(q - 2, digit_pairs + 2 * v, 2);
    else
        q[-1] = (char)('0' + v);
    return p + n;
}

static inline char *write_number(char *p, uint16_t v, enum radix r)
{
    return r == HEX4 ? write_hex4(p, v) : write_decimal(p, v);
}

static void put_number(struct text_buf *t, uint16_t v, enum radix r)
{
    char tmp[LIST_VALUE_MAX];
    text_put(t, tmp, (size_t)(write_number(tmp, v, r) - tmp));
}

/* A list of 16-bit values, GREASE left out, joined by `sep`. A list that
 * surely fits is written without a bound check per value; one that may
 * not goes piece by piece, cut where the buffer ends. */
static void put_list(struct text_buf *t, const uint16_t *v, size_t n,
                     enum radix r, char sep)
{
    size_t room = t->len + 1 < t->cap ? t->cap - 1 - t->len : 0;
    if (n <= room / LIST_VALUE_MAX) {
        char *start = t->buf + t->len, *p = start;
        for (size_t i = 0; i < n; i++) {
            if (tls_is_grease(v[i]))
                continue;
            if (p != start)
                *p++ = sep;
            p = r == HEX4 ? write_hex4(p, v[i]) : write_decimal(p, v[i]);
        }
        *p = '\0';
        t->len += (size_t)(p - start);
        return;
    }
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(v[i]))
            continue;
        if (!first)
            text_put_char(t, sep);
        put_number(t, v[i], r);
        first = false;
    }
}

static bool hello_usable(const struct client_hello *ch)
{
    return ch->seen && !ch->sslv2 && !ch->truncated &&
           ch->ciphers.n == ch->ciphers.total &&
           ch->extensions.n == ch->extensions.total;
}

/* The first hex_digits digits of md(text) into `out`; false and `out`
 * empty when the digest fails, and the fingerprint is then absent, never a
 * wrong one. */
static bool digest_hex(const EVP_MD *md, const struct text_buf *text,
                       char *out, size_t hex_digits)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!digest_recent(md, text->buf, text->len, d, &n) ||
        2 * (size_t)n < hex_digits)
        return false;
    hex_encode(d, hex_digits / 2, out, false);
    return true;
}

/* ---- JA3 / JA3S --------------------------------------------------------- */

static bool ja3_text(const struct client_hello *ch, struct text_buf *t)
{
    if (!hello_usable(ch))
        return false;
    uint16_t formats[HS_MAX_POINT_FORMATS];
    for (size_t i = 0; i < ch->point_formats.n; i++)
        formats[i] = ch->point_formats.v[i];
    uint16_t suites[HS_MAX_CIPHERS];
    size_t n_suites = client_hello_suites(ch, suites);
    put_number(t, ch->legacy_version, DECIMAL);
    text_put_char(t, ',');
    put_list(t, suites, n_suites, DECIMAL, '-');
    text_put_char(t, ',');
    put_list(t, ch->extensions.v, ch->extensions.n, DECIMAL, '-');
    text_put_char(t, ',');
    put_list(t, ch->groups.v, ch->groups.n, DECIMAL, '-');
    text_put_char(t, ',');
    put_list(t, formats, ch->point_formats.n, DECIMAL, '-');
    return true;
}

static bool ja3s_text(const struct server_hello *sh, struct text_buf *t)
{
    if (!sh->seen || sh->extensions.n != sh->extensions.total)
        return false;
    put_number(t, sh->legacy_version, DECIMAL);
    text_put_char(t, ',');
    put_number(t, sh->cipher, DECIMAL);
    text_put_char(t, ',');
    put_list(t, sh->extensions.v, sh->extensions.n, DECIMAL, '-');
    return true;
}

/* ---- JA4 ---------------------------------------------------------------- */

static const char *ja4_version(const struct client_hello *ch)
{
    uint16_t v = 0;
    if (ch->has_supported_versions) {
        /* The numerically highest value, as JA4 defines it: a DTLS 1.3
         * hello that also offers DTLS 1.2 (0xfefd > 0xfefc) is d2, and a
         * draft code above 0x0304 is 00, as FoxIO's tools say. */
        for (size_t i = 0; i < ch->versions.n; i++)
            if (!tls_is_grease(ch->versions.v[i]) && ch->versions.v[i] > v)
                v = ch->versions.v[i];
    }
    if (v == 0)
        v = ch->legacy_version;
    switch (v) {
    case TLS_V_DTLS_1_3: return "d3";
    case TLS_V_DTLS_1_2: return "d2";
    case TLS_V_DTLS_1_0: return "d1";
    case TLS_V_1_3: return "13";
    case TLS_V_1_2: return "12";
    case TLS_V_1_1: return "11";
    case TLS_V_1_0: return "10";
    case TLS_V_SSL3: return "s3";
    case TLS_V_SSL2: return "s2";
    default: return "00";
    }
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

static int cmp16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* Sorted, GREASE left out, and (for extensions) without SNI and ALPN. */
static size_t sorted(const uint16_t *in, size_t n, bool drop_sni_alpn,
                     uint16_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (tls_is_grease(in[i]))
            continue;
        if (drop_sni_alpn && (in[i] == EXT_SERVER_NAME || in[i] == EXT_ALPN))
            continue;
        out[k++] = in[i];
    }
    /* Hellos offer a few dozen values: insertion sort beats qsort's merge
     * sort there; long (hostile) lists keep qsort's n log n. */
    if (k > 64) {
        qsort(out, k, sizeof(*out), cmp16);
        return k;
    }
    for (size_t i = 1; i < k; i++) {
        uint16_t v = out[i];
        size_t j = i;
        for (; j > 0 && out[j - 1] > v; j--)
            out[j] = out[j - 1];
        out[j] = v;
    }
    return k;
}

static size_t count_non_grease(const uint16_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !tls_is_grease(v[i]);
    return k;
}

/* The JA4 "a" part into `a` (11 bytes with NUL), and the raw lists. The
 * first letter is the transport: t (TCP), q (QUIC), d (DTLS). */
static bool ja4_parts(const struct client_hello *ch, char transport, char *a,
                      struct text_buf *ciphers, struct text_buf *exts)
{
    if (!hello_usable(ch))
        return false;
    uint16_t suites[HS_MAX_CIPHERS], buf[HS_MAX_CIPHERS];
    size_t n_suites = client_hello_suites(ch, suites);
    size_t nc = count_non_grease(suites, n_suites);
    size_t ne = count_non_grease(ch->extensions.v, ch->extensions.n);
    bool sni = false;
    for (size_t i = 0; i < ch->extensions.n; i++)
        sni |= ch->extensions.v[i] == EXT_SERVER_NAME;
    char alpn[3] = "00";
    if (ch->n_alpn > 0) {
        uint8_t f = ch->alpn_first_raw[0], l = ch->alpn_first_raw[1];
        if (alnum(f) && alnum(l)) {
            alpn[0] = (char)f;
            alpn[1] = (char)l;
        } else {
            alpn[0] = hex_digit(f >> 4, false);
            alpn[1] = hex_digit(l, false);
        }
    }
    nc = nc > 99 ? 99 : nc;
    ne = ne > 99 ? 99 : ne;
    const char *v = ja4_version(ch);
    a[0] = transport;
    a[1] = v[0];
    a[2] = v[1];
    a[3] = sni ? 'd' : 'i';
    a[4] = (char)('0' + nc / 10);
    a[5] = (char)('0' + nc % 10);
    a[6] = (char)('0' + ne / 10);
    a[7] = (char)('0' + ne % 10);
    a[8] = alpn[0];
    a[9] = alpn[1];
    a[10] = '\0';

    size_t k = sorted(suites, n_suites, false, buf);
    put_list(ciphers, buf, k, HEX4, ',');
    k = sorted(ch->extensions.v, ch->extensions.n, true, buf);
    put_list(exts, buf, k, HEX4, ',');
    if (ch->sigalgs.n > 0) {
        text_put_char(exts, '_');
        put_list(exts, ch->sigalgs.v, ch->sigalgs.n, HEX4, ',');
    }
    return true;
}

/* ---- the record --------------------------------------------------------- */

static char ja4_transport(const struct handshake *h)
{
    switch (h->transport) {
    case HS_OVER_QUIC: return 'q';
    case HS_OVER_DTLS: return 'd';
    case HS_OVER_TCP: break;
    }
    return 't';
}

/* JA4 and JA4_r alike: the "a" part and two more, joined by '_'. */
static void ja4_join(char *out, size_t cap, const char *a, const char *b,
                     const char *c)
{
    struct text_buf t = text_buf_make(out, cap);
    text_put_str(&t, a);
    text_put_char(&t, '_');
    text_put_str(&t, b);
    text_put_char(&t, '_');
    text_put_str(&t, c);
}

void fingerprint_compute(const struct handshake *h,
                         struct handshake_report *out)
{
    struct fingerprint_text *text = &out->fingerprint_text;
    out->ja3[0] = out->ja3s[0] = out->ja4[0] = '\0';
    out->ja3_text_made = out->ja3s_text_made = out->ja4_r_made = false;

    struct text_buf t = text_buf_make(text->ja3, sizeof(text->ja3));
    text->ja3[0] = '\0';
    if (ja3_text(&h->ch, &t))
        out->ja3_text_made = digest_hex(digest_md5(), &t, out->ja3, 32);
    t = text_buf_make(text->ja3s, sizeof(text->ja3s));
    text->ja3s[0] = '\0';
    if (ja3s_text(&h->sh, &t))
        out->ja3s_text_made = digest_hex(digest_md5(), &t, out->ja3s, 32);

    char a[11], cbuf[HS_FP_TEXT], ebuf[HS_FP_TEXT];
    struct text_buf c = text_buf_make(cbuf, sizeof(cbuf)),
                    e = text_buf_make(ebuf, sizeof(ebuf));
    cbuf[0] = ebuf[0] = '\0';
    if (!ja4_parts(&h->ch, ja4_transport(h), a, &c, &e))
        return;
    /* An empty list is twelve zeros, as JA4 defines it. */
    char hc[13] = "000000000000", he[13] = "000000000000";
    if ((c.len && !digest_hex(digest_sha256(), &c, hc, 12)) ||
        (e.len && !digest_hex(digest_sha256(), &e, he, 12)))
        return;
    ja4_join(out->ja4, sizeof(out->ja4), a, hc, he);
    ja4_join(text->ja4_r, sizeof(text->ja4_r), a, cbuf, ebuf);
    out->ja4_r_made = true;
}

const char *fingerprint_ja3_string(const struct handshake *h)
{
    return h->report->ja3_text_made ? h->report->fingerprint_text.ja3 : NULL;
}

const char *fingerprint_ja3s_string(const struct handshake *h)
{
    return h->report->ja3s_text_made ? h->report->fingerprint_text.ja3s
                                     : NULL;
}

const char *fingerprint_ja4_r(const struct handshake *h)
{
    return h->report->ja4_r_made ? h->report->fingerprint_text.ja4_r : NULL;
}
