/* server_profile.h — what each server (IP and port) did in the earlier
 * handshakes of a run: versions, suites and groups it chose, how many of its
 * handshakes were established or failed, which issuer its certificate for
 * each name usually had. Rules use it to confirm a mismatch ("none of the
 * offered suites was ever chosen by this server") and to spot interception
 * ("the issuer for this name changed").
 *
 * Bounded: at most `max_servers` profiles, the least recently seen evicted
 * first; each profile is a fixed-size struct. */
#ifndef TLSMON_SERVER_PROFILE_H
#define TLSMON_SERVER_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../dissectors/handshake.h"

#define SERVER_PROFILES_DEFAULT 10000

struct server_profiles;

struct server_profiles *server_profiles_new(size_t max_servers);
void server_profiles_free(struct server_profiles *sp);

/* Copy the server's history into h->report->server_profile (earlier handshakes
 * only), then add `h` to it. Call once per decided record. */
void server_profiles_observe(struct server_profiles *sp, struct handshake *h);

/* Whether h is a TLS conversation, which server_profiles_observe learns
 * from and gives evidence to; any other record's evidence stays empty. */
bool server_profile_applies(const struct handshake *h);

/* Bytes held, and profiles evicted so far. */
size_t server_profiles_memory(const struct server_profiles *sp);
uint64_t server_profiles_evicted(const struct server_profiles *sp);

#endif
