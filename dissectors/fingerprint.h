/* fingerprint.h — client and server fingerprints of a handshake: JA3 and
 * JA3S (Salesforce's original specification) and JA4 with its raw form
 * (FoxIO's specification, whose client fingerprint is BSD-3-Clause). JA4S
 * and JA4X are under FoxIO's non-commercial license and are not made.
 *
 * The hashes are computed once into the record; the long strings they are
 * hashes of are rebuilt on demand into a per-thread buffer, so records stay
 * small. */
#ifndef TLSMON_FINGERPRINT_H
#define TLSMON_FINGERPRINT_H

#include "handshake.h"

/* Fill the report's ja3, ja3s and ja4 from the record's hellos (empty
 * strings when not computable). */
void fingerprint_compute(const struct handshake *h,
                         struct handshake_report *out);

/* The strings behind them; NULL when there is none. Valid until the next
 * call of the same function on the same thread. */
const char *fingerprint_ja3_string(const struct handshake *h);
const char *fingerprint_ja3s_string(const struct handshake *h);
const char *fingerprint_ja4_r(const struct handshake *h);

#endif
