/* syslog.h — the syslog output: every selected event as one RFC 5424
 * message whose MSG is the event's JSON, to udp://HOST:PORT,
 * tcp://HOST:PORT (octet-counting framing, RFC 6587), tls://HOST:PORT
 * (RFC 5425, verified with OpenSSL) or unix:PATH (a datagram socket such
 * as /dev/log), through a bounded queue, an optional on-disk spool and a
 * sender thread (sender.h). */
#ifndef TLSMON_SYSLOG_H
#define TLSMON_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_output.h"
#include "tlsmon_config.h"
#include "tls_client.h"

#define SYSLOG_DEFAULT_FACILITY 16 /* local0 */

struct syslog_config {
    const char *url;
    struct net_output_config net; /* events, queue, spool */
    int facility;        /* 0..23 */
    struct tls_client_config tls; /* tls:// only */
};

#if TLSMON_WITH_SYSLOG
/* Checks the URL's form only (the destination may be down at start).
 * False with a one-line reason in err. */
bool syslog_url_valid(const char *url, char *err, size_t errlen);
/* A facility name (kern, user, daemon, auth, local0..local7 ...) or number
 * to its code, -1 if unknown. */
int syslog_facility_code(const char *name);

/* NULL with a one-line reason in err (a TLS file that does not load, a
 * spool that cannot be opened). */
struct output *output_syslog_new(const struct syslog_config *cfg, char *err,
                                 size_t errlen);
#else
/* Built without it (meson -Dsyslog=disabled): --syslog is refused, the
 * other syslog options are read and unused. */
static inline bool syslog_url_valid(const char *url, char *err, size_t n)
{
    (void)url;
    return net_output_not_built("syslog", err, n);
}
static inline int syslog_facility_code(const char *name)
{
    (void)name;
    return SYSLOG_DEFAULT_FACILITY;
}
static inline struct output *output_syslog_new(const struct syslog_config *c,
                                               char *err, size_t n)
{
    syslog_url_valid(c->url, err, n);
    return NULL;
}
#endif

/* The RFC 5424 header and structured data for one event, for the tests:
 * writes "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD " into buf. */
struct event;
size_t syslog_format_header(char *buf, size_t n, int facility,
                            const struct event *e, uint64_t now_us,
                            const char *hostname, long pid);

#endif
