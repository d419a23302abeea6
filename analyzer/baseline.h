/* baseline.h — `--baseline OLD`: what changed since an earlier run, the
 * question after a change window. A run profile keeps, per server (its
 * SNI and port, else its address and port), how many handshakes failed
 * and with which causes, and the certificate it showed; per client
 * fingerprint (JA4, else JA3) how often it came; and the causes of the
 * whole run. The profile of OLD (a capture, read with the same rules, or
 * NDJSON an earlier tlsmon wrote) is compared with this run's: servers
 * that started failing (or stopped), causes that are new, client
 * fingerprints never seen before, certificates that changed. Tables are
 * bounded; what does not fit is counted. */
#ifndef TLSMON_BASELINE_H
#define TLSMON_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../dissectors/handshake.h"

#define PROFILE_MAX_SERVERS 16384
#define PROFILE_MAX_CLIENTS 8192
#define CHANGES_LISTED 20 /* per kind of change; the rest are counted */

struct run_profile;
struct output;
struct json_writer;

struct run_profile *run_profile_new(void);
void run_profile_free(struct run_profile *p);

/* Every record, through the field registry (thread-safe). */
void run_profile_observe(struct run_profile *p, const struct handshake *h);
/* An output that observes every record it is given into `p`. */
struct output *run_profile_output(struct run_profile *p);

/* OLD as NDJSON (tlsmon's handshake records; other lines are skipped).
 * False, with the reason, when it is not NDJSON at all or cannot be read;
 * lines that do not parse are counted and skipped. */
bool run_profile_read_ndjson(struct run_profile *p, FILE *fp,
                             const char *name, char *err, size_t err_len);
/* Handshake records the profile has seen; lines skipped as unreadable. */
uint64_t run_profile_handshakes(const struct run_profile *p);
uint64_t run_profile_bad_lines(const struct run_profile *p);

/* What changed from `old` to `cur`; NULL when out of memory. It points
 * into both profiles, which must outlive it. */
struct run_changes;
struct run_changes *run_changes_compute(const struct run_profile *old,
                                        const struct run_profile *cur,
                                        const char *baseline_name);
void run_changes_free(struct run_changes *c);
void run_changes_print_text(FILE *fp, const struct run_changes *c,
                            bool color);
/* "baseline": {...} members, inside the summary object. */
void run_changes_write_json(struct json_writer *w,
                            const struct run_changes *c);
void run_changes_write_html(FILE *fp, const struct run_changes *c);

/* Does the file start like NDJSON ('{' after any whitespace)? The stream
 * is left where it was. */
bool baseline_looks_like_ndjson(FILE *fp);

#endif
