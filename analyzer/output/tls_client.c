/* tls_client.c — verified TLS client sessions over OpenSSL (see
 * tls_client.h).
 *
 * The socket stays blocking with the send/receive timeouts the caller set,
 * so a handshake or a write that hangs ends as an error after them. The
 * peer-gone check switches the socket to non-blocking for one read and
 * back. SIGPIPE is the caller's concern (sender threads block it). */
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SETTLE_MS 500

struct tls_client {
    SSL_CTX *ctx;
    char name[256]; /* "" : verify the host the URL names */
    bool has_cert;
};

struct tls_session {
    SSL *ssl;
    int fd;
    bool failed; /* no close_notify after a fatal error (OpenSSL forbids) */
};

/* The first error OpenSSL queued on this thread, as one line. */
static void openssl_error(char *err, size_t n, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[200] = "unknown error";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    snprintf(err, n, "%s: %s", what, buf);
}

struct tls_client *tls_client_new(const struct tls_client_config *cfg,
                                  char *err, size_t errlen)
{
    struct tls_client *tc = calloc(1, sizeof(*tc));
    if (!tc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    tc->ctx = SSL_CTX_new(TLS_client_method());
    if (!tc->ctx) {
        openssl_error(err, errlen, "TLS");
        free(tc);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(tc->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(tc->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(tc->ctx, SSL_MODE_AUTO_RETRY);
    if (cfg->ca_file) {
        if (SSL_CTX_load_verify_locations(tc->ctx, cfg->ca_file, NULL) != 1) {
            openssl_error(err, errlen, cfg->ca_file);
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(tc->ctx) != 1) {
        openssl_error(err, errlen, "the system CA store");
        goto fail;
    }
    if (cfg->cert_file) {
        const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
        if (SSL_CTX_use_certificate_chain_file(tc->ctx, cfg->cert_file) != 1) {
            openssl_error(err, errlen, cfg->cert_file);
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(tc->ctx, key, SSL_FILETYPE_PEM) != 1) {
            openssl_error(err, errlen, key);
            goto fail;
        }
        if (SSL_CTX_check_private_key(tc->ctx) != 1) {
            openssl_error(err, errlen, "the key does not match the "
                                       "certificate");
            goto fail;
        }
        tc->has_cert = true;
    } else if (cfg->key_file) {
        snprintf(err, errlen, "a key without a certificate");
        goto fail;
    }
    if (cfg->name)
        snprintf(tc->name, sizeof(tc->name), "%s", cfg->name);
    return tc;
fail:
    SSL_CTX_free(tc->ctx);
    free(tc);
    return NULL;
}

void tls_client_free(struct tls_client *tc)
{
    if (!tc)
        return;
    SSL_CTX_free(tc->ctx);
    free(tc);
}

static bool is_address(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* In TLS 1.3 the client's handshake is over before the server has judged
 * its certificate; a collector that refuses it (rsyslog checks permitted
 * peers after the handshake) closes the connection a moment later, and
 * whatever was written meanwhile is lost. So a new session is trusted
 * only once it has stayed open for SETTLE_MS (session tickets may arrive
 * meanwhile). False: it was closed. */
static bool settled(struct tls_session *ts)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited = (now.tv_sec - start.tv_sec) * 1000L +
                      (now.tv_nsec - start.tv_nsec) / 1000000L;
        if (waited >= SETTLE_MS)
            return true;
        struct pollfd p = {ts->fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(SETTLE_MS - waited));
        if (r < 0 && errno != EINTR)
            return false;
        if (r > 0 && tls_session_peer_gone(ts))
            return false;
    }
}

struct tls_session *tls_session_start(struct tls_client *tc, int fd,
                                      const char *host, char *err,
                                      size_t errlen)
{
    const char *name = tc->name[0] ? tc->name : host;
    struct tls_session *ts = calloc(1, sizeof(*ts));
    if (!ts) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    ts->fd = fd;
    ts->ssl = SSL_new(tc->ctx);
    if (!ts->ssl || SSL_set_fd(ts->ssl, fd) != 1) {
        openssl_error(err, errlen, "TLS");
        goto fail;
    }
    if (is_address(name)) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(ts->ssl);
        if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1) {
            openssl_error(err, errlen, name);
            goto fail;
        }
    } else {
        if (SSL_set1_host(ts->ssl, name) != 1) {
            openssl_error(err, errlen, name);
            goto fail;
        }
        SSL_set_hostflags(ts->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    if (!is_address(host))
        SSL_set_tlsext_host_name(ts->ssl, host);
    if (SSL_connect(ts->ssl) != 1) {
        long v = SSL_get_verify_result(ts->ssl);
        if (v != X509_V_OK)
            snprintf(err, errlen, "TLS handshake: the collector's certificate "
                     "is not accepted: %s (expected name %s)",
                     X509_verify_cert_error_string(v), name);
        else if (ERR_peek_error())
            openssl_error(err, errlen, "TLS handshake");
        else
            snprintf(err, errlen, "TLS handshake: the connection was closed "
                     "or timed out");
        goto fail;
    }
    if (!settled(ts)) {
        snprintf(err, errlen, "the collector closed the connection right "
                 "after the TLS handshake (does it accept %s?)",
                 tc->has_cert ? "this client certificate"
                              : "clients without a certificate");
        goto fail;
    }
    return ts;
fail:
    ERR_clear_error();
    SSL_free(ts->ssl);
    free(ts);
    return NULL;
}

bool tls_session_write(struct tls_session *ts, const void *p, size_t len,
                       char *err, size_t errlen)
{
    ERR_clear_error();
    size_t done = 0;
    if (len == 0)
        return true;
    if (SSL_write_ex(ts->ssl, p, len, &done) == 1 && done == len)
        return true;
    int e = SSL_get_error(ts->ssl, 0);
    ts->failed = true;
    if (e == SSL_ERROR_SSL)
        openssl_error(err, errlen, "TLS write");
    else
        snprintf(err, errlen, "TLS write: %s",
                 e == SSL_ERROR_ZERO_RETURN ? "closed by the collector"
                 : e == SSL_ERROR_WANT_WRITE ? "timed out"
                                             : "connection broken");
    ERR_clear_error();
    return false;
}

bool tls_session_peer_gone(struct tls_session *ts)
{
    struct pollfd p = {ts->fd, POLLIN, 0};
    if (SSL_pending(ts->ssl) == 0 && poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLHUP | POLLERR)) {
        ts->failed = true;
        return true;
    }
    int flags = fcntl(ts->fd, F_GETFL);
    fcntl(ts->fd, F_SETFL, flags | O_NONBLOCK);
    bool gone = false;
    char buf[512];
    ERR_clear_error();
    for (;;) {
        int r = SSL_read(ts->ssl, buf, sizeof(buf));
        if (r > 0)
            continue; /* the collector has nothing to say: ignore it */
        int e = SSL_get_error(ts->ssl, r);
        gone = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
        break;
    }
    if (gone)
        ts->failed = true;
    ERR_clear_error();
    fcntl(ts->fd, F_SETFL, flags);
    return gone;
}

void tls_session_end(struct tls_session *ts)
{
    if (!ts)
        return;
    /* close_notify without waiting for the answer; never on a connection
     * that failed. */
    if (!ts->failed)
        SSL_shutdown(ts->ssl);
    ERR_clear_error();
    SSL_free(ts->ssl);
    free(ts);
}
