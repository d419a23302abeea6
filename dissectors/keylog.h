/* keylog.h — key log files (the NSS key log format, RFC 9850: what
 * SSLKEYLOGFILE and `openssl s_client -keylogfile` write, and what pcapng
 * Decryption Secrets Blocks carry) and the table of the secrets they give,
 * looked up by the ClientHello's random.
 *
 * The table is shared by every worker and bounded: past its size the
 * oldest client randoms are dropped (and counted). Secrets never leave this
 * module except into the caller's keylog_secrets, which the caller clears
 * with keylog_secrets_clear once done; nothing here prints a secret, and an
 * error message names the file and line, never the line's content. */
#ifndef TLSMON_KEYLOG_H
#define TLSMON_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYLOG_RANDOM_LEN 32
#define KEYLOG_SECRET_MAX 48 /* SHA-384 and the TLS <= 1.2 master secret */

/* The secrets tlsmon uses; other labels (exporter and ECH secrets) are
 * recognized and skipped. */
enum keylog_secret {
    KEYLOG_MASTER_SECRET,    /* CLIENT_RANDOM: TLS <= 1.2 master secret */
    KEYLOG_CLIENT_EARLY,     /* CLIENT_EARLY_TRAFFIC_SECRET (0-RTT) */
    KEYLOG_CLIENT_HANDSHAKE, /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    KEYLOG_SERVER_HANDSHAKE, /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    KEYLOG_CLIENT_TRAFFIC_0, /* CLIENT_TRAFFIC_SECRET_0 */
    KEYLOG_SERVER_TRAFFIC_0, /* SERVER_TRAFFIC_SECRET_0 */
    KEYLOG_SECRETS
};

/* The label of a secret as the file spells it. */
const char *keylog_label(enum keylog_secret which);

/* What one lookup copies out: the secrets known for one client random. */
struct keylog_secrets {
    uint8_t have; /* bit (1 << enum keylog_secret) per secret present */
    uint8_t len[KEYLOG_SECRETS];
    uint8_t secret[KEYLOG_SECRETS][KEYLOG_SECRET_MAX];
};

/* Overwrite the secrets (OPENSSL_cleanse) so that none outlives its use. */
void keylog_secrets_clear(struct keylog_secrets *s);

struct keylog_stats {
    uint64_t lines;      /* lines read, comments and blank ones included */
    uint64_t secrets;    /* secrets stored */
    uint64_t ignored;    /* well-formed lines with a label tlsmon skips */
    uint64_t malformed;  /* lines that are not a key log line */
    uint64_t evicted;    /* client randoms dropped to stay within the cap */
    uint64_t entries;    /* client randoms held now */
    uint64_t bytes;      /* memory the table holds now */
};

struct keylog;

/* A table holding at most about `max_bytes` (at least a few entries). */
struct keylog *keylog_new(size_t max_bytes);
void keylog_free(struct keylog *kl);

/* Has any key log been given (a file, text or a Decryption Secrets
 * Block)? Until then sessions do not look anything up. */
bool keylog_active(const struct keylog *kl);

/* Key log text: the lines in it are added. Only whole lines are taken
 * unless `final`; returns the bytes taken (the rest is a line still being
 * written). Malformed lines are counted and skipped. */
size_t keylog_add_text(struct keylog *kl, const uint8_t *text, size_t len,
                       bool final);

/* Read a key log file. With `follow` (live capture) the file is kept open
 * and what is appended to it is read whenever a lookup misses; it may not
 * exist yet. Returns false with a message in err (the path and why) when
 * the file cannot be read and is not followed. */
bool keylog_add_file(struct keylog *kl, const char *path, bool follow,
                     char *err, size_t err_len);

/* Are any files followed? Sessions then wait a little for keys that a
 * client writes while its handshake is on the wire. */
bool keylog_following(const struct keylog *kl);

/* Copy out the secrets known for `random`; false when there are none.
 * With followed files, when a secret in `want` (bits of enum
 * keylog_secret) is missing, what they gained is read first — at most
 * every few milliseconds, or now with `force`. Thread-safe. */
bool keylog_lookup(struct keylog *kl, const uint8_t random[KEYLOG_RANDOM_LEN],
                   uint8_t want, bool force, struct keylog_secrets *out);

void keylog_get_stats(struct keylog *kl, struct keylog_stats *out);

#endif
