/* order.h — records written in capture-time order. Records leave the
 * pipeline when they are decided, which for a handshake that timed out is
 * minutes (of packet time) after handshakes that began later; an analyst
 * reading a file expects the time column to go forward. An output holds
 * each rendered record (its bytes, not the record) until the packet clock
 * is a window past its time, then writes it; a memory cap bounds what is
 * held, so a record later than the window or the cap is written late and
 * counted, never lost. Live capture writes at once (no order). */
#ifndef TLSMON_ORDER_H
#define TLSMON_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../dissectors/handshake.h"

/* Most bytes of rendered records held (text lines, NDJSON lines); main
 * holds at most an eighth of --memcap. */
#define ORDER_MAX_BYTES (16u * 1024u * 1024u)

struct record_order;

/* `window_us`: how long (packet time) a record waits for earlier ones. */
struct record_order *record_order_new(uint64_t window_us, size_t max_bytes);
void record_order_free(struct record_order *o);

/* The time a record is ordered by, the one its text line shows: its
 * ClientHello, else the flow's first packet. */
uint64_t record_order_time(const struct handshake *h);

/* Write `len` bytes of the rendered record `h` to `fp` now (o NULL), or
 * hold them and write whatever is due. The caller holds its output's lock.
 * False when a write failed. */
bool record_order_deliver(struct record_order *o, FILE *fp,
                          const struct handshake *h, const char *bytes,
                          size_t len);

/* Write everything held, in order (end of input). False on a write error. */
bool record_order_flush(struct record_order *o, FILE *fp);

/* Records written after a later one had gone out (past the window or the
 * memory cap), and the most bytes held at once. */
uint64_t record_order_late(const struct record_order *o);
uint64_t record_order_peak_bytes(const struct record_order *o);

#endif
