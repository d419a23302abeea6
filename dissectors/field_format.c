/* field_format.c — the text forms of field values that the outputs and the
 * rules share: names of versions, ciphers and alerts (or their codes), IP
 * addresses, RFC 3339 times, and a value as JSON shows it. */
#include "field_format.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "hex.h"
#include "tls_names.h"

/* Written by hand: codes without a name are common enough (GREASE values
 * in every Chrome hello) that snprintf for each showed in the profile. */
const char *fields_hex_code(uint32_t v, int digits, bool upper, char *buf,
                            size_t n)
{
    if (n < (size_t)digits + 3) {
        if (n)
            buf[0] = '\0';
        return buf;
    }
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < digits; i++)
        buf[2 + i] = hex_digit(v >> (4 * (digits - 1 - i)), upper);
    buf[2 + digits] = '\0';
    return buf;
}

const char *fields_decimal_code(const char *prefix, unsigned v, char *buf,
                                size_t n)
{
    char rev[12];
    size_t k = 0, o = 0;
    do {
        rev[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t plen = strlen(prefix);
    if (n < plen + k + 1) {
        if (n)
            buf[0] = '\0';
        return buf;
    }
    memcpy(buf, prefix, plen);
    o = plen;
    while (k)
        buf[o++] = rev[--k];
    buf[o] = '\0';
    return buf;
}

const char *fields_side_name(int side)
{
    if (side == TLS_SIDE_CLIENT)
        return "client";
    if (side == TLS_SIDE_SERVER)
        return "server";
    return "unknown";
}

const char *fields_alert_description(uint8_t code, char *buf, size_t n)
{
    const char *name = tls_alert_name(code);
    if (name)
        return name;
    return fields_decimal_code("unknown_", code, buf, n);
}

const char *fields_version_string(uint16_t v, char *buf, size_t n)
{
    const char *name = tls_version_name(v);
    if (name)
        return name;
    return fields_hex_code(v, 4, true, buf, n);
}

const char *fields_version_number(uint16_t v, char *buf, size_t n)
{
    if (v == TLS_V_SSL2)
        return "2.0";
    if (v == TLS_V_SSL3)
        return "3.0";
    return fields_version_string(v, buf, n);
}

const char *fields_cipher_string(uint32_t suite, char *buf, size_t n)
{
    const char *name = tls_cipher_name(suite);
    if (name)
        return name;
    return fields_hex_code(suite,
                           suite > 0xffffff ? 8 : suite > 0xffff ? 6 : 4,
                    true, buf, n);
}

const char *fields_ip_string(const struct endpoint *e, char *buf, size_t n)
{
    int af = e->ip_version == 6 ? AF_INET6 : AF_INET;
    if (n == 0)
        return buf;
    if (af == AF_INET && n >= 16) { /* inet_ntop's sprintf per byte showed
                                       in the profile: a record has ~10 */
        size_t at = 0;
        for (int i = 0; i < 4; i++) {
            unsigned b = e->addr[i];
            if (b >= 100)
                buf[at++] = (char)('0' + b / 100);
            if (b >= 10)
                buf[at++] = (char)('0' + b / 10 % 10);
            buf[at++] = (char)('0' + b % 10);
            buf[at++] = i < 3 ? '.' : '\0';
        }
        return buf;
    }
    if (!inet_ntop(af, e->addr, buf, (socklen_t)n))
        buf[0] = '\0';
    return buf;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), after
 * Howard Hinnant's days_from_civil inverse: no locale, no table. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, uint32_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DDTHH:MM:SS" of a second since the epoch into tmp (40 bytes);
 * returns where it ends. */
static char *put_date_time(char *tmp, uint64_t secs)
{
    int64_t year;
    unsigned month, day;
    civil_from_days((int64_t)(secs / 86400u), &year, &month, &day);
    /* Past RFC 3339's four digits (only a hostile capture gets there) the
     * year grows wider, as strftime's %Y would write it; 2^64 us is in
     * year 586524, so six digits at most. */
    int width = 4;
    for (int64_t y = year; y > 9999; y /= 10)
        width++;
    uint32_t sod = (uint32_t)(secs % 86400u);
    char *p = put_digits(tmp, (uint32_t)year, width);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    return put_digits(p, sod % 60, 2);
}

/* Seconds written lately, per thread, by second modulo a prime: a
 * record's times (and its alerts') fall in one second or two neighbours,
 * records come roughly in time order, and certificate dates (often on a
 * whole hour) land in other slots, so the calendar arithmetic runs about
 * once per second of traffic. */
#define RECENT_SECONDS 7
struct recent_second {
    bool valid;
    uint64_t secs;
    size_t len;
    char text[40];
};
static _Thread_local struct recent_second recent_seconds[RECENT_SECONDS];

/* Written by hand: a record has several times, and strftime plus snprintf
 * were a visible share of writing one. */
const char *fields_time_string(uint64_t us, int digits, char *buf, size_t n)
{
    uint64_t secs = us / 1000000u;
    uint32_t frac = (uint32_t)(us % 1000000u);
    char tmp[40];
    if (n == 0)
        return buf;
    struct recent_second *last = &recent_seconds[secs % RECENT_SECONDS];
    if (!last->valid || last->secs != secs) {
        last->len = (size_t)(put_date_time(last->text, secs) - last->text);
        last->secs = secs;
        last->valid = true;
    }
    memcpy(tmp, last->text, last->len);
    char *p = tmp + last->len;
    if (digits >= 3) {
        *p++ = '.';
        p = digits >= 6 ? put_digits(p, frac, 6)
                        : put_digits(p, frac / 1000, 3);
    }
    *p++ = 'Z';
    size_t len = (size_t)(p - tmp);
    if (len >= n)
        len = n - 1;
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return buf;
}

const char *fields_printable(const char *s, char *buf, size_t n)
{
    escape_bytes((const uint8_t *)s, strlen(s), buf, n, ESCAPE_STORED);
    return buf;
}

const char *field_value_format(const struct field_value *v, char *buf,
                               size_t n)
{
    if (n == 0)
        return buf;
    switch (v->type) {
    case FT_STRING:
    case FT_IP:
    case FT_STRING_LIST:
        snprintf(buf, n, "%s", v->str ? v->str : "");
        break;
    case FT_INT:
    case FT_INT_LIST:
        snprintf(buf, n, "%" PRId64, v->num);
        break;
    case FT_BOOL:
        snprintf(buf, n, "%s", v->boolean ? "true" : "false");
        break;
    case FT_FLOAT: {
        /* Integer arithmetic keeps the output independent of the locale. */
        double r = v->real;
        const char *sign = r < 0 ? "-" : "";
        if (r < 0)
            r = -r;
        if (r > 9e15)
            r = 9e15;
        uint64_t thousandths = (uint64_t)(r * 1000.0 + 0.5);
        snprintf(buf, n, "%s%" PRIu64 ".%03" PRIu64, sign, thousandths / 1000,
                 thousandths % 1000);
        break;
    }
    case FT_TIME:
        fields_time_string((uint64_t)v->num, 6, buf, n);
        break;
    case FT_VERSION: {
        char tmp[16];
        snprintf(buf, n, "%s",
                 fields_version_string((uint16_t)v->num, tmp, sizeof(tmp)));
        break;
    }
    case FT_ALERTS:
        buf[0] = '\0';
        break;
    }
    return buf;
}
