/* summary.h — the end-of-run summary: counts accumulated from every decided
 * record (outcomes, versions, ciphers, why and where handshakes failed, the
 * servers that failed most), printed for a person or written as JSON.
 *
 * Memory is bounded: each table has a fixed size; what does not fit is
 * counted as "other" rather than dropped silently. */
#ifndef TLSMON_SUMMARY_H
#define TLSMON_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../dissectors/handshake.h"
#include "../stats.h"
#include "summary_posture.h"

struct json_writer;
struct run_changes; /* baseline.h */

#define SUMMARY_TOP 10
#define SUMMARY_MAX_VERSIONS 16
#define SUMMARY_MAX_CIPHERS 256
#define SUMMARY_MAX_SERVERS 4096
#define SUMMARY_SERVER_SLOTS (2 * SUMMARY_MAX_SERVERS) /* hash, half full */
#define SUMMARY_MAX_CLIENTS 1024
#define SUMMARY_CLIENT_SLOTS (2 * SUMMARY_MAX_CLIENTS)
/* Per server or client fingerprint: the causes kept by name (the rest are
 * counted together), the versions and suites kept. */
#define SUMMARY_ENTRY_CAUSES 4
#define SUMMARY_SERVER_VERSIONS 6
#define SUMMARY_SERVER_SUITES 4
#define SUMMARY_ALERT_ENCRYPTED 256 /* alert index for encrypted alerts */
#define SUMMARY_MAX_CAUSES 64       /* RULES_MAX_CAUSES: built-in and site */
#define SUMMARY_FIXES 4             /* enum rule_fix */

struct summary_tally {
    uint32_t key;   /* version or cipher suite */
    uint64_t count;
};

/* How often one primary cause was found, and who must fix it. */
struct summary_cause_count {
    uint8_t cause;  /* index in the cause catalogue */
    uint8_t fix;    /* enum rule_fix */
    uint32_t count;
};

struct summary_causes {
    struct summary_cause_count top[SUMMARY_ENTRY_CAUSES];
    uint8_t n;
    uint64_t other; /* findings of causes past the kept ones */
};

/* What a server and a client fingerprint both count. It comes first in
 * each, so one piece of code ranks, prints and writes both tables. */
struct summary_entry {
    bool used;
    uint64_t first_us;    /* packet time of its first handshake: breaks ties
                             in rankings the same whatever order workers
                             report in */
    uint64_t handshakes;
    uint64_t failed;      /* failures: failed, not_tls, refused */
    struct summary_causes causes;
};

/* One server: an address, port and SNI ("" without), every handshake. */
struct summary_server {
    struct summary_entry entry; /* first */
    uint64_t cause_us;    /* packet time of the failure `cause` is from */
    struct endpoint ep;
    char sni[HS_SNI_LEN]; /* "" without SNI */
    const char *cause;    /* primary cause of its latest failure (in packet
                             time), or NULL */
    uint8_t fix;          /* enum rule_fix of that cause */
    /* What it chose in its handshakes: versions and suites accepted. */
    uint16_t versions[SUMMARY_SERVER_VERSIONS];
    uint8_t n_versions;
    uint16_t suites[SUMMARY_SERVER_SUITES];
    uint8_t n_suites;
    bool suites_more;
    /* The soonest expiry of the leaves it showed, at capture time. */
    bool has_expiry;
    int32_t days_to_expiry;
    bool not_yet_valid;   /* some leaf it showed was not valid yet */
    struct posture_counts posture; /* post-quantum and ECH of its hellos */
};

/* One client fingerprint (JA4, else JA3). */
struct summary_client {
    struct summary_entry entry; /* first */
    char ja4[40], ja3[33];
    uint16_t highest_version; /* the highest version it offered */
    char sni[64];             /* the first server name it asked for */
};

struct summary {
    uint64_t handshakes;
    uint64_t by_outcome[OUTCOME_REFUSED + 1];

    struct summary_tally versions[SUMMARY_MAX_VERSIONS];
    size_t n_versions;
    uint64_t versions_other;
    struct summary_tally ciphers[SUMMARY_MAX_CIPHERS];
    size_t n_ciphers;
    uint64_t ciphers_other;

    /* Failures: outcome failed or not_tls. */
    uint64_t failures;
    uint64_t alerts[2][SUMMARY_ALERT_ENCRYPTED + 1]; /* [sender][code] */
    uint64_t failures_without_alert;
    uint64_t by_stage[STAGE_COUNT];
    uint64_t by_ended_by[ENDED_COUNT];

    /* Diagnosed records by primary cause (index in the cause catalogue)
     * and the side that must fix it. */
    uint64_t by_cause[SUMMARY_MAX_CAUSES][SUMMARY_FIXES];
    uint64_t failures_unexplained; /* failed, diagnosed, no cause */

    /* What the printed records were chosen by (--where, --failed ...),
     * NULL when all were printed, and how many it let through. */
    const char *view_filter;
    uint64_t view_shown;
    /* --baseline: what changed since the earlier run; NULL without. */
    const struct run_changes *changes;

    struct summary_server *servers; /* SUMMARY_SERVER_SLOTS, heap */
    size_t n_servers;
    uint64_t servers_untracked; /* failures at servers past the table */
    uint64_t servers_untracked_handshakes;
    struct summary_client *clients; /* SUMMARY_CLIENT_SLOTS, heap */
    size_t n_clients;
    uint64_t clients_untracked;     /* handshakes past the table */
    uint64_t failures_refused;      /* STARTTLS refusals among failures */
    struct posture_summary posture; /* post-quantum and ECH */
};

/* False if the server or client table could not be allocated; the
 * summary still works, without them. */
bool summary_init(struct summary *s);
void summary_add(struct summary *s, const struct handshake *h);
void summary_free(struct summary *s);

/* The slots of the server or the client table (`size` bytes apart, n of
 * them; none when the table could not be allocated). */
struct summary_slots {
    const void *slots;
    size_t size, n;
};

struct summary_slots summary_server_slots(const struct summary *s);
struct summary_slots summary_client_slots(const struct summary *s);
/* The entry in slot i, NULL when the slot is unused. */
const struct summary_entry *summary_slot_entry(struct summary_slots t,
                                               size_t i);

/* The order of client fingerprints tied on counts: JA4, then JA3 (two
 * struct summary_client, as qsort compares). */
int summary_client_key_order(const void *a, const void *b);

/* `st` may be NULL. */
void summary_print_text(FILE *fp, const struct summary *s,
                        const struct run_stats *st, bool color);
/* One complete JSON object: {"event":{"kind":"metric",...},"tlsmon":
 * {"summary":{...}}}. */
void summary_write_json(struct json_writer *w, const struct summary *s,
                        const struct run_stats *st);
/* "outcomes":{"undecided":N,...}, every outcome, in the summary and in
 * the sensor's stats events. */
void summary_write_outcomes(struct json_writer *w, const struct summary *s);
/* "ecs":{...},"event":{"kind":"metric","dataset":DATASET — the event
 * object left open for more members. The summary and the stats event are
 * both metric events. */
void summary_begin_metric_event(struct json_writer *w, const char *dataset);

#endif
