/* quic_budget.h — how many new QUIC connections per second to one server
 * tlsmon derives Initial keys for: a token bucket per server, refilled in
 * packet time, in a fixed table. */
#ifndef TLSMON_QUIC_BUDGET_H
#define TLSMON_QUIC_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buckets in the table: servers whose hash meets share one. */
#define QUIC_BUDGET_SLOTS 4096

struct quic_budget;

/* `rate` tokens a second, at most `burst` held (0: as many as `rate`);
 * every bucket starts full. NULL for a rate of 0 (no limit) or out of
 * memory; a NULL budget grants every connection. */
struct quic_budget *quic_budget_new(uint32_t rate, uint32_t burst);
void quic_budget_free(struct quic_budget *b);
/* A new connection to `server` (16 bytes, IPv4 mapped as decode gives it)
 * port `port` at packet time `ts_us`: may its Initials be decrypted? Takes
 * a token when it may. */
bool quic_budget_take(struct quic_budget *b, const uint8_t server[16],
                      uint16_t port, uint64_t ts_us);
/* The bucket `server`:`port` falls in (for tests of the table's bound). */
size_t quic_budget_slot(const uint8_t server[16], uint16_t port);

#endif
