/* fingerprint.h — client and server fingerprints of a handshake: JA3 and
 * JA3S (Salesforce's original specification) and JA4 with its raw form
 * (FoxIO's specification, whose client fingerprint is BSD-3-Clause). JA4S
 * and JA4X are under FoxIO's non-commercial license and are not made.
 *
 * The hashes and the long strings they are hashes of are computed once
 * into the report, which is the emitting worker's scratch: flows carry
 * neither, and every output reads the same strings. */
#ifndef TLSMON_FINGERPRINT_H
#define TLSMON_FINGERPRINT_H

#include "handshake.h"

/* Fill the report's ja3, ja3s and ja4 and the strings behind them from
 * the record's hellos (empty and unmarked when not computable). */
void fingerprint_compute(const struct handshake *h,
                         struct handshake_report *out);

/* The strings behind them, from the record's report once
 * fingerprint_compute filled it; NULL when there is none. */
const char *fingerprint_ja3_string(const struct handshake *h);
const char *fingerprint_ja3s_string(const struct handshake *h);
const char *fingerprint_ja4_r(const struct handshake *h);

#endif
