/* alert_flood.h — flood control for alert events: an alert identical to
 * one sent within the window (same rule, same server IP:port, same client
 * IP) is counted instead of sent again; the next one sent after the window
 * carries the count. Time is packet time, like every timeout of tlsmon.
 *
 * Bounded: a fixed table; when two keys share a slot the newer one takes
 * it, which can only let an alert through, never lose one. */
#ifndef TLSMON_ALERT_FLOOD_H
#define TLSMON_ALERT_FLOOD_H

#include <stddef.h>
#include <stdint.h>

#include "../dissectors/handshake.h"

struct alert_flood;

/* window_us 0: every alert is sent. */
struct alert_flood *alert_flood_new(uint64_t window_us);
void alert_flood_free(struct alert_flood *af);

/* Mark each finding of `h` suppressed or not, at time `now_us`; returns how
 * many were suppressed. */
size_t alert_flood_filter(struct alert_flood *af, struct handshake *h,
                          uint64_t now_us);

#endif
