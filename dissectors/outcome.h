/* outcome.h — how a handshake ended: established, failed, incomplete or
 * not_tls; the failure stage; who or what ended it. The rules are those of
 * DIAGNOSES.md, "What TLS 1.3 hides". */
#ifndef TLSMON_OUTCOME_H
#define TLSMON_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

#include "handshake.h"

/* Has the record, as filled so far, reached a decision? Sets outcome,
 * failure_stage, ended_by, resumed and timings when it has. Called after
 * every record the dissector reads. */
bool outcome_check(struct handshake *h, uint64_t now_us);

/* A side closed the connection (FIN or RST) while undecided. */
void outcome_closed(struct handshake *h, enum tls_side side, bool rst,
                    uint64_t now_us);

/* No more data will come (timeout, end of capture, eviction). */
void outcome_finish(struct handshake *h, enum hs_ended_by why,
                    uint64_t now_us);

/* The transport saw the handshake fail where TLS could not: a QUIC
 * CONNECTION_CLOSE that is no TLS alert, an ICMP port unreachable, a QUIC
 * Version Negotiation the client gave up on. Failed at the stage reached. */
void outcome_failed(struct handshake *h, enum hs_ended_by by,
                    enum tls_side side, uint64_t now_us);

/* The server refused a STARTTLS upgrade: no TLS handshake took place. */
void outcome_refused(struct handshake *h, uint64_t now_us);

/* What event.outcome calls a failure: failed, not_tls and refused (a
 * refused STARTTLS upgrade: the client wanted TLS and did not get it). The
 * one definition for every output, --failed, the summary and the profiles. */
bool outcome_is_failure(enum hs_outcome o);

/* The alert that says why the handshake ended: the one outcome_check ends
 * a handshake on (fatal, close_notify, or encrypted), else the first one
 * sent in time. A late alert (after the decision, or after its sender
 * finished) is listed in tlsmon.alerts but never the deciding one. NULL
 * when there is none. */
const struct tls_alert *outcome_deciding_alert(const struct handshake *h);

const char *outcome_name(enum hs_outcome o);
const char *ended_by_name(enum hs_ended_by e);
/* "after_client_hello" …; NULL for STAGE_NONE. */
const char *stage_failure_name(enum hs_stage s);

#endif
