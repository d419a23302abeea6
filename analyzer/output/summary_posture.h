/* summary_posture.h — the end-of-run post-quantum and ECH posture: how many
 * hellos offered a post-quantum group and how many servers took it (and why
 * not), how ECH fared; and the same counts per server, which the summary's
 * server table (summary.c) prints under each server. Every judgement comes
 * from dissectors/posture.c, so the summary says what the records say.
 * Fixed-size counters only. */
#ifndef TLSMON_SUMMARY_POSTURE_H
#define TLSMON_SUMMARY_POSTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../dissectors/handshake.h"
#include "../../dissectors/posture.h"

struct json_writer;

#define POSTURE_GROUPS 16      /* distinct PQ groups tallied */
#define POSTURE_REASONS (PQ_REASON_PSK_ONLY + 1)
#define POSTURE_ECH (ECH_FAILED_OTHER + 1)

/* One server's (or the whole run's) counts. */
struct posture_counts {
    uint64_t hellos;
    uint64_t pq_offered, pq_negotiated, pq_after_hrr, pq_draft, pq_unanswered;
    uint16_t pq_group;         /* the last PQ group chosen */
    uint64_t pq_not_used[POSTURE_REASONS];
    uint64_t ech_offered;
    uint64_t ech[POSTURE_ECH];
};

struct posture_summary {
    struct posture_counts all;
    struct {
        uint16_t group;
        uint64_t offered, negotiated;
    } groups[POSTURE_GROUPS];
    uint8_t n_groups;
    uint64_t groups_other;
};

void posture_counts_add(struct posture_counts *c, const struct handshake *h);
void posture_summary_add(struct posture_summary *p, const struct handshake *h);

/* The run's lines, after a heading; nothing when no hello offered either. */
void posture_summary_print_text(FILE *fp, const struct posture_summary *p,
                                bool color);
/* A "posture" member: pq, ech, groups. */
void posture_summary_write_json(struct json_writer *w,
                                const struct posture_summary *p);

/* A server's line for the server table: "post-quantum X25519MLKEM768 5/5;
 * ECH 4: not_confirmed 4", indented by `indent`; nothing when its clients
 * offered neither. */
void posture_counts_print_line(FILE *fp, const struct posture_counts *c,
                               const char *indent);
/* "pq" and "ech" members for a server's JSON object. */
void posture_counts_write_json(struct json_writer *w,
                               const struct posture_counts *c);

#endif
