/* redis.h — the Redis output: every selected event's JSON RPUSHed to a list
 * (what Logstash's redis input reads) or XADDed to a stream, through a
 * bounded queue, an optional on-disk spool and a sender thread (sender.h),
 * with hiredis; AUTH with an ACL user or a password. Debian 12's hiredis
 * (0.14) has no TLS: README shows a local stunnel in front. */
#ifndef TLSMON_REDIS_H
#define TLSMON_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_output.h"
#include "tlsmon_config.h"

struct redis_config {
    const char *addr;    /* HOST:PORT or [IPv6]:PORT */
    const char *key;
    bool stream;         /* XADD instead of RPUSH */
    uint64_t maxlen;     /* streams: XADD MAXLEN ~ this; 0 unbounded */
    struct net_output_config net; /* events, queue, spool */
    const char *user;          /* ACL user (AUTH user password); NULL */
    const char *password_file; /* NULL: TLSMON_REDIS_PASSWORD, if set */
};

#if TLSMON_WITH_REDIS
/* Checks the address's form. False with a one-line reason in err. */
bool redis_addr_valid(const char *addr, char *err, size_t errlen);

/* NULL with a one-line reason in err (no password file, a spool that
 * cannot be opened). */
struct output *output_redis_new(const struct redis_config *cfg, char *err,
                                size_t errlen);
#else
/* Built without it (meson -Dredis=disabled): --redis is refused, the other
 * Redis options are read and unused. */
static inline bool redis_addr_valid(const char *addr, char *err, size_t n)
{
    (void)addr;
    return net_output_not_built("redis", err, n);
}
static inline struct output *output_redis_new(const struct redis_config *c,
                                              char *err, size_t n)
{
    redis_addr_valid(c->addr, err, n);
    return NULL;
}
#endif

#endif
