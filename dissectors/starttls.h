/* starttls.h — the STARTTLS detector of one flow: watches the plaintext
 * that opens a connection (both directions, in order) for an application
 * protocol's upgrade to TLS, and says where in each direction TLS begins,
 * or that the server refused, or that this is no upgrade at all.
 *
 * Protocols: SMTP and FTP (reply-code lines), IMAP, POP3, XMPP, LDAP
 * (StartTLS extended operation, BER), PostgreSQL (SSLRequest) and MySQL
 * (CLIENT_SSL in the greeting, SSL request packet). Detection is by content
 * only; ports play no part. Only the first STARTTLS_WINDOW bytes of each
 * direction are looked at. */
#ifndef TLSMON_STARTTLS_H
#define TLSMON_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STARTTLS_WINDOW 4096     /* plaintext bytes kept per direction */
#define STARTTLS_REFUSAL_LEN 96  /* the server's refusal, as kept */

enum starttls_proto {
    STARTTLS_NONE = 0,
    STARTTLS_SMTP,
    STARTTLS_IMAP,
    STARTTLS_POP3,
    STARTTLS_FTP,
    STARTTLS_XMPP,
    STARTTLS_LDAP,
    STARTTLS_POSTGRESQL,
    STARTTLS_MYSQL,
};

enum starttls_status {
    STARTTLS_WATCHING, /* feed more */
    STARTTLS_UPGRADED, /* TLS begins at starttls_held() in each direction */
    STARTTLS_REFUSED,  /* the server said no: starttls_refusal() */
    STARTTLS_GAVE_UP,  /* not an upgrade we know (or past the window) */
};

struct starttls; /* private */

/* `client_side` is the flow side known to be the client (from the SYN), or
 * -1; content decides roles when it is unknown. NULL when out of memory. */
struct starttls *starttls_new(int client_side);
void starttls_free(struct starttls *st);
size_t starttls_memory(void);

/* The next in-order bytes of flow side `side`. *taken is how many of them
 * the detector kept; once the status is UPGRADED, data[*taken..len) are TLS
 * bytes of that side, after what starttls_held() returns. Further calls
 * after a decision change nothing. */
enum starttls_status starttls_feed(struct starttls *st, int side,
                                   const uint8_t *data, uint32_t len,
                                   uint32_t *taken);
/* Bytes lost in `side`: the detector gives up. */
void starttls_gap(struct starttls *st, int side);

enum starttls_status starttls_status(const struct starttls *st);
/* The protocol of an upgrade asked for; STARTTLS_NONE once given up. */
enum starttls_proto starttls_proto(const struct starttls *st);
/* The client's flow side once known, else -1. */
int starttls_client_side(const struct starttls *st);
/* After UPGRADED: the bytes of `side` that the detector kept past the
 * point where TLS begins (often none). */
void starttls_held(const struct starttls *st, int side, const uint8_t **data,
                   uint32_t *len);
/* After REFUSED: the server's answer, printable ('.' for other bytes), cut
 * to STARTTLS_REFUSAL_LEN - 1; always NUL-terminated. */
const char *starttls_refusal(const struct starttls *st);

/* "smtp", "imap", ... or NULL for STARTTLS_NONE. */
const char *starttls_proto_name(enum starttls_proto p);

#endif
