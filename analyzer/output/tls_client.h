/* tls_client.h — a verified TLS client connection over a connected TCP
 * socket (OpenSSL libssl), for the outputs that talk to a collector over
 * TLS: syslog over TLS (RFC 5425).
 *
 * The collector's certificate is always verified, against --syslog-ca or
 * the system store, and its name (DNS or IP address) must match; a client
 * certificate is presented when one is configured (mutual TLS). TLS 1.2 is
 * the lowest version offered. */
#ifndef TLSMON_TLS_CLIENT_H
#define TLSMON_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct tls_client_config {
    const char *ca_file;   /* PEM bundle; NULL: the system store */
    const char *cert_file; /* client certificate chain, PEM; NULL: none */
    const char *key_file;  /* its key; NULL: in cert_file */
    const char *name;      /* expected in the peer's certificate; NULL: host */
};

struct tls_client;      /* the settings: one per output */
struct tls_session;     /* one connection */

/* Loads the CA, certificate and key now, so that a mistake is a start-up
 * error. NULL with a one-line reason in err. */
struct tls_client *tls_client_new(const struct tls_client_config *cfg,
                                  char *err, size_t errlen);
void tls_client_free(struct tls_client *tc);

/* Handshake on `fd` (connected, blocking, with send and receive timeouts)
 * with `host` as the name to verify (unless the config names another) and
 * to send as SNI when it is not an address. NULL with the reason in err;
 * the fd is the caller's either way. */
struct tls_session *tls_session_start(struct tls_client *tc, int fd,
                                      const char *host, char *err,
                                      size_t errlen);
/* All of p, or false with the reason. */
bool tls_session_write(struct tls_session *ts, const void *p, size_t len,
                       char *err, size_t errlen);
/* The collector never talks back once the handshake is done, except for
 * TLS 1.3 session tickets: anything else readable (close_notify, FIN, an
 * error) means it is gone. Never blocks. */
bool tls_session_peer_gone(struct tls_session *ts);
/* close_notify (best effort) and free; the fd stays the caller's. */
void tls_session_end(struct tls_session *ts);

#endif
