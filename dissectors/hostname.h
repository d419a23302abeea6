/* hostname.h — RFC 6125 server identity check: does a certificate's set of
 * names cover the host name the client asked for (the SNI)?
 *
 * Rules (RFC 6125 §6.4, as browsers apply them):
 *  - DNS-ID (SAN dNSName) entries are checked first; the subject CN is used
 *    only when the certificate has no DNS SAN at all.
 *  - A wildcard is only the whole leftmost label ("*.example.com"); it
 *    matches exactly one non-empty label, never across dots, never a partial
 *    label ("f*o.example.com", "*oo.example.com" match nothing), and needs at
 *    least two labels after it ("*.com" matches nothing).
 *  - An IP address reference is compared only with SAN iPAddress entries,
 *    byte for byte; never with DNS names or the CN.
 *  - ASCII case-insensitive; one trailing dot on either side is ignored. */
#ifndef TLSMON_HOSTNAME_H
#define TLSMON_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One SAN iPAddress: 4 or 16 bytes. */
struct hostname_ip {
    uint8_t len;
    uint8_t addr[16];
};

struct hostname_ids {
    const char *const *dns; /* SAN dNSName entries, NUL-terminated */
    size_t n_dns;
    const struct hostname_ip *ips;
    size_t n_ips;
    const char *cn; /* subject CN, NULL if none */
};

/* Does one presented DNS pattern match `host`? (No IP handling.) */
bool hostname_match_pattern(const char *pattern, const char *host);

/* Parses an IPv4 or IPv6 literal; false if `host` is a DNS name. */
bool hostname_parse_ip(const char *host, struct hostname_ip *out);

/* The full check of `host` against a certificate's identifiers. */
bool hostname_verify(const char *host, const struct hostname_ids *ids);

#endif
