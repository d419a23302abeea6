/* redis.c — events to a Redis list or stream (see redis.h).
 *
 * With a user or a password, every connection begins with AUTH (Redis 6
 * ACL users: AUTH user password; a password alone: the default user); a
 * refused AUTH is a failed connection, retried with the backoff and
 * logged once, so a password fixed on the server lets the queue drain.
 *
 * The sender thread pipelines a batch: every command appended, then every
 * reply read. A reply that is an error (a key of the wrong type, an
 * out-of-memory server) refuses that event only; a connection error stops
 * the batch and what had no reply is sent again after reconnecting, so an
 * event can arrive twice but is not lost to a reconnect. */
#include "redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_port.h"
#include "net_output.h"

#define REDIS_TIMEOUT_S 3

struct redis_dest {
    char host[256];
    int port;
    char key[512];
    bool stream;
    uint64_t maxlen;
    char user[256];
    char password[512];
    redisContext *c;
    char last_refusal[160]; /* logged once per distinct error */
};

static bool parse_addr(const char *addr, char *host, size_t hn, int *port,
                       char *err, size_t n)
{
    if (host_port_parse(addr, host, hn, port) == HOST_PORT_OK)
        return true;
    snprintf(err, n, "'%s' is not HOST:PORT", addr);
    return false;
}

bool redis_addr_valid(const char *addr, char *err, size_t errlen)
{
    char host[256];
    int port;
    return parse_addr(addr, host, sizeof(host), &port, err, errlen);
}

static bool redis_open(void *ctx, char *err, size_t n)
{
    struct redis_dest *d = ctx;
    struct timeval tv = {REDIS_TIMEOUT_S, 0};
    d->c = redisConnectWithTimeout(d->host, d->port, tv);
    if (!d->c || d->c->err) {
        snprintf(err, n, "%s", d->c ? d->c->errstr : "out of memory");
        if (d->c)
            redisFree(d->c);
        d->c = NULL;
        return false;
    }
    redisSetTimeout(d->c, tv);
    redisEnableKeepAlive(d->c);
    if (d->password[0]) {
        redisReply *r = d->user[0]
                            ? redisCommand(d->c, "AUTH %s %s", d->user,
                                           d->password)
                            : redisCommand(d->c, "AUTH %s", d->password);
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (!ok)
            snprintf(err, n, "AUTH%s%s: %s", d->user[0] ? " as " : "",
                     d->user, r && r->type == REDIS_REPLY_ERROR ? r->str
                              : d->c->err ? d->c->errstr : "no answer");
        if (r)
            freeReplyObject(r);
        if (!ok) {
            redisFree(d->c);
            d->c = NULL;
            return false;
        }
    }
    return true;
}

static void redis_close(void *ctx)
{
    struct redis_dest *d = ctx;
    if (d->c)
        redisFree(d->c);
    d->c = NULL;
}

static size_t redis_send(void *ctx, struct sender_msg *const *msgs, size_t n,
                         size_t *refused, char *err, size_t errlen)
{
    struct redis_dest *d = ctx;
    size_t klen = strlen(d->key);
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (!d->stream)
            rc = redisAppendCommand(d->c, "RPUSH %b %b", d->key, klen,
                                    msgs[i]->data, msgs[i]->len);
        else if (d->maxlen)
            rc = redisAppendCommand(d->c, "XADD %b MAXLEN ~ %llu * event %b",
                                    d->key, klen,
                                    (unsigned long long)d->maxlen,
                                    msgs[i]->data, msgs[i]->len);
        else
            rc = redisAppendCommand(d->c, "XADD %b * event %b", d->key, klen,
                                    msgs[i]->data, msgs[i]->len);
        if (rc != REDIS_OK) {
            snprintf(err, errlen, "%s", d->c->errstr);
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(d->c, (void **)&r) != REDIS_OK || !r) {
            snprintf(err, errlen, "%s", d->c->err ? d->c->errstr
                                                  : "no reply");
            if (r)
                freeReplyObject(r);
            return i;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            (*refused)++;
            if (strncmp(d->last_refusal, r->str, sizeof(d->last_refusal) - 1)) {
                snprintf(d->last_refusal, sizeof(d->last_refusal), "%s",
                         r->str);
                fprintf(stderr, "tlsmon: redis %s:%d key %s: refused: %s\n",
                        d->host, d->port, d->key, r->str);
            }
        }
        freeReplyObject(r);
    }
    return n;
}

static void redis_dest_free(void *ctx)
{
    struct redis_dest *d = ctx;
    redis_close(d);
    explicit_bzero(d->password, sizeof(d->password));
    free(d);
}

static const struct sender_transport redis_transport = {
    redis_open, redis_send, redis_close, redis_dest_free,
};

static void redis_event(void *ctx, const struct event *e)
{
    struct net_output *no = ctx;
    struct iovec iov = {e->w->buf, e->w->len};
    sender_push(no->sender, &iov, 1);
}

/* The password: --redis-password-file's first line, else
 * TLSMON_REDIS_PASSWORD (never an option: a command line is public). */
static bool read_password(const struct redis_config *cfg, char *out, size_t n,
                          char *err, size_t errlen)
{
    out[0] = '\0';
    if (cfg->password_file) {
        FILE *fp = fopen(cfg->password_file, "r");
        if (!fp) {
            snprintf(err, errlen, "%s: %s", cfg->password_file,
                     strerror(errno));
            return false;
        }
        bool got = fgets(out, (int)n, fp) != NULL;
        fclose(fp);
        out[strcspn(out, "\r\n")] = '\0';
        if (!got || out[0] == '\0') {
            snprintf(err, errlen, "%s: no password on its first line",
                     cfg->password_file);
            return false;
        }
        return true;
    }
    const char *env = getenv("TLSMON_REDIS_PASSWORD");
    if (env && strlen(env) >= n) {
        snprintf(err, errlen, "TLSMON_REDIS_PASSWORD is too long");
        return false;
    }
    if (env)
        snprintf(out, n, "%s", env);
    return true;
}

struct output *output_redis_new(const struct redis_config *cfg, char *err,
                                size_t errlen)
{
    struct redis_dest *d = calloc(1, sizeof(*d));
    struct net_output *no = calloc(1, sizeof(*no));
    snprintf(err, errlen, "out of memory");
    if (!d || !no ||
        !parse_addr(cfg->addr, d->host, sizeof(d->host), &d->port, err,
                    errlen))
        goto fail;
    if (strlen(cfg->key) >= sizeof(d->key) ||
        (cfg->user && strlen(cfg->user) >= sizeof(d->user))) {
        snprintf(err, errlen, "the key or user name is too long");
        goto fail;
    }
    if (!read_password(cfg, d->password, sizeof(d->password), err, errlen))
        goto fail;
    if (cfg->user && !d->password[0]) {
        snprintf(err, errlen, "--redis-user %s needs a password "
                 "(--redis-password-file or TLSMON_REDIS_PASSWORD)",
                 cfg->user);
        goto fail;
    }
    if (cfg->user)
        snprintf(d->user, sizeof(d->user), "%s", cfg->user);
    snprintf(d->key, sizeof(d->key), "%s", cfg->key);
    d->stream = cfg->stream;
    d->maxlen = cfg->maxlen;
    char label[300], spool_name[800];
    snprintf(label, sizeof(label), "redis %s key %s", cfg->addr, cfg->key);
    snprintf(spool_name, sizeof(spool_name), "redis://%s/%s", cfg->addr,
             cfg->key);
    struct net_destination dest = {"redis", label, spool_name,
                                   &redis_transport, d};
    if (!net_output_init(no, &cfg->net, &dest, redis_event, err, errlen))
        goto fail;
    return &no->base;
fail:
    if (d)
        explicit_bzero(d->password, sizeof(d->password));
    free(d);
    free(no);
    return NULL;
}
