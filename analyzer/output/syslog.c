/* syslog.c — RFC 5424 messages over UDP, TCP, TLS (RFC 5425) or a unix
 * datagram socket (see syslog.h).
 *
 * A message is framed completely when it is queued (header, structured
 * data, the JSON event; the octet count in front on TCP), so the sender
 * thread only writes bytes. MSG is the JSON as is: valid UTF-8 without a
 * BOM, which RFC 5424 allows as MSG-ANY and which every JSON-parsing
 * receiver expects. Structured data uses the SD-ID tlsmon@32473 (32473 is
 * the enterprise number RFC 5612 reserves for documentation; sites that
 * want their own can rewrite it in the receiver). */
#include "syslog.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "json_writer.h"
#include "net_output.h"
#include "tls_client.h"
#include "host_port.h"

#define SYSLOG_SD_ID "tlsmon@32473"
#define CONNECT_TIMEOUT_MS 3000
#define SEND_TIMEOUT_S 3
#define UDP_MAX_MESSAGE 65507 /* the largest IPv4 UDP payload */
#define HEADER_MAX 2048

enum dest_kind { DEST_UDP, DEST_TCP, DEST_TLS, DEST_UNIX };

struct dest {
    enum dest_kind kind;
    char host[256];
    char port[16];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int fd;
    struct tls_client *tls;      /* DEST_TLS: the settings */
    struct tls_session *session; /* DEST_TLS: while connected */
};

/* TCP and TLS carry a stream of octet-counted frames. */
static bool stream_kind(enum dest_kind k)
{
    return k == DEST_TCP || k == DEST_TLS;
}

/* ---- URL -----------------------------------------------------------------*/

static bool parse_url(const char *url, struct dest *d, char *err, size_t n)
{
    memset(d, 0, sizeof(*d));
    d->fd = -1;
    const char *rest;
    if (strncmp(url, "unix:", 5) == 0) {
        d->kind = DEST_UNIX;
        rest = url + 5;
        if (strncmp(rest, "//", 2) == 0)
            rest += 2;
        if (*rest == '\0' || strlen(rest) >= sizeof(d->path)) {
            snprintf(err, n, "'%s': a unix socket path is needed (unix:PATH)",
                     url);
            return false;
        }
        snprintf(d->path, sizeof(d->path), "%s", rest);
        return true;
    }
    if (strncmp(url, "udp://", 6) == 0)
        d->kind = DEST_UDP;
    else if (strncmp(url, "tcp://", 6) == 0)
        d->kind = DEST_TCP;
    else if (strncmp(url, "tls://", 6) == 0)
        d->kind = DEST_TLS;
    else {
        snprintf(err, n, "'%s' is not udp://HOST:PORT, tcp://HOST:PORT, "
                         "tls://HOST:PORT or unix:PATH", url);
        return false;
    }
    int port = 0;
    switch (host_port_parse(url + 6, d->host, sizeof(d->host), &port)) {
    case HOST_PORT_OK: break;
    case HOST_PORT_BAD_BRACKET:
        snprintf(err, n, "'%s': an IPv6 address is written [ADDR]:PORT", url);
        return false;
    case HOST_PORT_NO_HOST:
        snprintf(err, n, "'%s': HOST:PORT is needed", url);
        return false;
    case HOST_PORT_BAD_PORT:
        snprintf(err, n, "'%s': the port must be a number 1-65535", url);
        return false;
    }
    snprintf(d->port, sizeof(d->port), "%d", port);
    return true;
}

bool syslog_url_valid(const char *url, char *err, size_t errlen)
{
    struct dest d;
    return parse_url(url, &d, err, errlen);
}

int syslog_facility_code(const char *name)
{
    static const char *const names[] = {
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
        "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
        "solaris-cron", "local0", "local1", "local2", "local3", "local4",
        "local5", "local6", "local7",
    };
    for (int i = 0; i < 24; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    char *end;
    long v = strtol(name, &end, 10);
    if (*name && *end == '\0' && v >= 0 && v <= 23)
        return (int)v;
    return -1;
}

/* ---- transport (sender thread) --------------------------------------------*/

static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len,
                           char *err, size_t n)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, sa, len);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        rc = poll(&p, 1, CONNECT_TIMEOUT_MS);
        if (rc == 0) {
            snprintf(err, n, "connect timed out");
            return -1;
        }
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
            soerr != 0) {
            snprintf(err, n, "%s", strerror(soerr ? soerr : errno));
            return -1;
        }
        rc = 0;
    } else if (rc != 0) {
        snprintf(err, n, "%s", strerror(errno));
    }
    fcntl(fd, F_SETFL, flags);
    return rc;
}

static void set_send_timeout(int fd)
{
    struct timeval tv = {SEND_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* The TLS handshake reads; a collector that never answers must not
     * hold the sender. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static bool dest_open(void *ctx, char *err, size_t n)
{
    struct dest *d = ctx;
    if (d->kind == DEST_UNIX) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, d->path, strlen(d->path));
        d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (d->fd < 0 || connect(d->fd, (struct sockaddr *)&sun,
                                 sizeof(sun)) != 0) {
            snprintf(err, n, "%s: %s", d->path, strerror(errno));
            if (d->fd >= 0)
                close(d->fd);
            d->fd = -1;
            return false;
        }
        set_send_timeout(d->fd);
        return true;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = stream_kind(d->kind) ? SOCK_STREAM : SOCK_DGRAM;
    int rc = getaddrinfo(d->host, d->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, n, "%s: %s", d->host, gai_strerror(rc));
        return false;
    }
    snprintf(err, n, "no address");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            snprintf(err, n, "%s", strerror(errno));
            continue;
        }
        if (connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, err, n) == 0) {
            set_send_timeout(fd);
            d->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (d->fd >= 0 && d->kind == DEST_TLS) {
        d->session = tls_session_start(d->tls, d->fd, d->host, err, n);
        if (!d->session) {
            close(d->fd);
            d->fd = -1;
        }
    }
    return d->fd >= 0;
}

/* A TCP receiver never talks back: readable means it closed (or reset) the
 * connection, which is better found before writing into the void. */
static bool tcp_peer_gone(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLHUP | POLLERR))
        return true;
    char buf[512];
    ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static bool send_all(int fd, const char *p, size_t len, char *err, size_t n)
{
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, n, "%s", w < 0 ? strerror(errno) : "nothing sent");
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

static size_t dest_send(void *ctx, struct sender_msg *const *msgs, size_t n,
                        size_t *refused, char *err, size_t errlen)
{
    struct dest *d = ctx;
    if ((d->kind == DEST_TCP && tcp_peer_gone(d->fd)) ||
        (d->kind == DEST_TLS && tls_session_peer_gone(d->session))) {
        snprintf(err, errlen, "closed by the receiver");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (d->kind == DEST_TLS) {
            if (!tls_session_write(d->session, msgs[i]->data, msgs[i]->len,
                                   err, errlen))
                return i;
            continue;
        }
        if (d->kind == DEST_TCP) {
            if (!send_all(d->fd, msgs[i]->data, msgs[i]->len, err, errlen))
                return i;
            continue;
        }
        ssize_t w;
        do
            w = send(d->fd, msgs[i]->data, msgs[i]->len, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w >= 0)
            continue;
        if (errno == EMSGSIZE) { /* this one can never go: drop it */
            (*refused)++;
            continue;
        }
        snprintf(err, errlen, "%s", strerror(errno));
        return i;
    }
    return n;
}

static void dest_close(void *ctx)
{
    struct dest *d = ctx;
    tls_session_end(d->session);
    d->session = NULL;
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

static void dest_free(void *ctx)
{
    struct dest *d = ctx;
    dest_close(d);
    tls_client_free(d->tls);
    free(d);
}

static const struct sender_transport syslog_transport = {
    dest_open, dest_send, dest_close, dest_free,
};

/* ---- formatting (the thread that decides records) ------------------------*/

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n >= b->cap)
        n = b->len + 1 < b->cap ? b->cap - b->len - 1 : 0;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static void put_param(struct buf *b, const char *name, const char *value)
{
    puts_(b, " ");
    puts_(b, name);
    puts_(b, "=\"");
    for (const char *s = value; *s; s++) {
        if (b->len + 3 >= b->cap)
            break;
        if (*s == '"' || *s == '\\' || *s == ']')
            put(b, "\\", 1);
        put(b, s, 1);
    }
    puts_(b, "\"");
}

size_t syslog_format_header(char *out, size_t n, int facility,
                            const struct event *e, uint64_t now_us,
                            const char *hostname, long pid)
{
    struct buf b = {out, 0, n};
    if (n == 0)
        return 0;
    out[0] = '\0';
    char tmp[96];
    time_t secs = (time_t)(now_us / 1000000ULL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[40];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(tmp, sizeof(tmp), "<%d>1 %s.%06uZ ", facility * 8 +
             e->syslog_severity, when, (unsigned)(now_us % 1000000ULL));
    puts_(&b, tmp);
    puts_(&b, hostname && *hostname ? hostname : "-");
    snprintf(tmp, sizeof(tmp), " tlsmon %ld %s ", pid, e->kind_name);
    puts_(&b, tmp);
    if (e->kind == EVENT_ALERT) {
        puts_(&b, "[" SYSLOG_SD_ID);
        put_param(&b, "rule", e->rule_id ? e->rule_id : "");
        put_param(&b, "severity", e->rule_severity ? e->rule_severity : "");
        put_param(&b, "cause", e->cause ? e->cause : "");
        puts_(&b, "]");
    } else if (e->kind == EVENT_HANDSHAKE && e->outcome) {
        puts_(&b, "[" SYSLOG_SD_ID);
        put_param(&b, "outcome", e->outcome);
        puts_(&b, "]");
    } else {
        puts_(&b, "-");
    }
    puts_(&b, " ");
    return b.len;
}

struct syslog_output {
    struct net_output net; /* first: net_output_free frees it all */
    enum dest_kind kind;
    int facility;
    char hostname[256];
    long pid;
};

static uint64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000ULL + (uint64_t)tv.tv_usec;
}

static void syslog_event(void *ctx, const struct event *e)
{
    struct syslog_output *so = ctx;
    char header[HEADER_MAX];
    size_t hlen = syslog_format_header(header, sizeof(header), so->facility,
                                       e, wall_us(), so->hostname, so->pid);
    size_t jlen = e->w->len;
    char count[24];
    struct iovec iov[3];
    int n = 0;
    if (stream_kind(so->kind)) {
        /* Octet counting, "LEN SP SYSLOG-MSG": RFC 6587 on TCP, and the
         * only framing RFC 5425 allows on TLS. */
        int cl = snprintf(count, sizeof(count), "%zu ", hlen + jlen);
        iov[n++] = (struct iovec){count, (size_t)cl};
    } else if (hlen + jlen > UDP_MAX_MESSAGE) {
        so->net.lost++; /* too large for one datagram */
        return;
    }
    iov[n++] = (struct iovec){header, hlen};
    iov[n++] = (struct iovec){e->w->buf, jlen};
    sender_push(so->net.sender, iov, n);
}

/* RFC 5424 HOSTNAME: printable US-ASCII without spaces, at most 255. */
static void local_hostname(char *out, size_t n)
{
    char name[256] = "";
    if (gethostname(name, sizeof(name) - 1) != 0)
        name[0] = '\0';
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < n; i++)
        if (name[i] > 32 && name[i] < 127)
            out[j++] = name[i];
    out[j] = '\0';
}

struct output *output_syslog_new(const struct syslog_config *cfg, char *err,
                                 size_t errlen)
{
    struct dest *d = calloc(1, sizeof(*d));
    struct syslog_output *so = calloc(1, sizeof(*so));
    snprintf(err, errlen, "out of memory");
    if (!d || !so || !parse_url(cfg->url, d, err, errlen))
        goto fail;
    if (d->kind == DEST_TLS) {
        d->tls = tls_client_new(&cfg->tls, err, errlen);
        if (!d->tls)
            goto fail;
    } else if (cfg->tls.ca_file || cfg->tls.cert_file || cfg->tls.key_file ||
               cfg->tls.name) {
        snprintf(err, errlen, "'%s': the TLS options need a tls:// URL",
                 cfg->url);
        goto fail;
    }
    so->kind = d->kind;
    so->facility = cfg->facility;
    so->pid = (long)getpid();
    local_hostname(so->hostname, sizeof(so->hostname));
    char label[240];
    snprintf(label, sizeof(label), "syslog %s", cfg->url);
    struct net_destination dest = {"syslog", label, cfg->url,
                                   &syslog_transport, d};
    if (!net_output_init(&so->net, &cfg->net, &dest, syslog_event, err,
                         errlen))
        goto fail;
    return &so->net.base;
fail:
    if (d)
        tls_client_free(d->tls);
    free(d);
    free(so);
    return NULL;
}
