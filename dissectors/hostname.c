/* hostname.c — matches a reference host name against a certificate's
 * presented identifiers, following RFC 6125 (see hostname.h). */
#include "hostname.h"

#include <arpa/inet.h>
#include <string.h>

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Length without one trailing dot: "example.com." names the same host. */
static size_t name_len(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        n--;
    return n;
}

static bool equal_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* A name with an empty label ("a..b", ".a") or a leftover trailing dot
 * after trimming one is not a host name and matches nothing. */
static bool labels_ok(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] == '.' && s[i - 1] == '.')
            return false;
    return true;
}

static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

bool hostname_match_pattern(const char *pattern, const char *host)
{
    size_t pn = name_len(pattern), hn = name_len(host);
    if (!labels_ok(pattern, pn) || !labels_ok(host, hn))
        return false;
    /* A wildcard anywhere but as the whole first label makes the pattern
     * invalid rather than literal: it must not match a host spelling '*'. */
    size_t stars = count_char(pattern, pn, '*');
    if (stars == 0)
        return pn == hn && equal_nocase(pattern, host, pn);
    if (stars != 1 || pn < 2 || pattern[0] != '*' || pattern[1] != '.')
        return false;
    /* "*.com" would cover a whole top-level domain. */
    const char *p_rest = pattern + 1; /* ".example.com" */
    size_t p_rest_len = pn - 1;
    if (count_char(p_rest, p_rest_len, '.') < 2)
        return false;
    const char *dot = memchr(host, '.', hn);
    if (!dot || dot == host)
        return false;
    size_t first_label = (size_t)(dot - host);
    size_t h_rest_len = hn - first_label;
    if (h_rest_len != p_rest_len)
        return false;
    return equal_nocase(p_rest, dot, p_rest_len);
}

bool hostname_parse_ip(const char *host, struct hostname_ip *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->len = 4;
        return true;
    }
    /* A literal in brackets is how IPv6 appears in URLs; SNI never carries
     * IP literals legitimately, but a misbehaving client may send one. */
    char buf[64];
    size_t n = strlen(host);
    if (n >= 2 && n < sizeof(buf) + 2 && host[0] == '[' && host[n - 1] == ']') {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->len = 16;
        return true;
    }
    return false;
}

bool hostname_verify(const char *host, const struct hostname_ids *ids)
{
    struct hostname_ip ip;
    if (!host || !host[0])
        return false;
    if (hostname_parse_ip(host, &ip)) {
        for (size_t i = 0; i < ids->n_ips; i++)
            if (ids->ips[i].len == ip.len &&
                memcmp(ids->ips[i].addr, ip.addr, ip.len) == 0)
                return true;
        return false;
    }
    if (ids->n_dns > 0) {
        for (size_t i = 0; i < ids->n_dns; i++)
            if (hostname_match_pattern(ids->dns[i], host))
                return true;
        return false;
    }
    return ids->cn && hostname_match_pattern(ids->cn, host);
}
