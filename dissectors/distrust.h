/* distrust.h — the browsers' distrust table: certification authorities that
 * a browser no longer trusts for TLS server certificates issued after a
 * date, although they stay in the system trust stores (Debian's included),
 * so that a chain OpenSSL verifies can still be one Chrome or Firefox
 * refuses. The table is data (rules/distrust.tsv, compiled in; --distrust-
 * file replaces it), so a new browser decision needs no rebuild.
 *
 * File format: one entry a line, six fields separated by tabs; '#' starts
 * a comment line; blank lines are skipped.
 *   ca        a label for the CA owner ("Entrust"), at most 47 bytes
 *   sha256    SHA-256 of the CA certificate (root or intermediate) as 64
 *             hex digits, colons allowed
 *   browser   who applies it ("chrome", "firefox", "apple" ...), at most
 *             15 letters, digits, '-' or '_'
 *   basis     sct: the leaf's earliest embedded SCT (notBefore when it has
 *             none); not_before: the leaf's notBefore
 *   after     the last trusted instant, UTC: YYYY-MM-DDTHH:MM:SSZ, or
 *             YYYY-MM-DD for the end of that day; later ones are distrusted
 *   source    where the decision is published (a URL), required */
#ifndef TLSMON_DISTRUST_H
#define TLSMON_DISTRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"

struct distrust_table;

/* NULL on error, with "NAME:LINE: what is wrong" in err. */
struct distrust_table *distrust_parse(const char *text, size_t len,
                                      const char *name, char *err,
                                      size_t err_len);
struct distrust_table *distrust_load_file(const char *path, char *err,
                                          size_t err_len);
/* The table compiled in from rules/distrust.tsv. */
struct distrust_table *distrust_load_builtin(char *err, size_t err_len);
void distrust_free(struct distrust_table *t);
size_t distrust_count(const struct distrust_table *t);

/* Fill r->distrusted_by / distrusted_ca for a leaf whose path holds the
 * certificates with these SHA-256 fingerprints, issued at `not_before`
 * (seconds) with its earliest embedded SCT at `sct_us` (0: none). */
void distrust_check(const struct distrust_table *t, const uint8_t (*fps)[32],
                    size_t n_fps, int64_t not_before, uint64_t sct_us,
                    struct cert_result *r);

#endif
