/* posture.h — the post-quantum and ECH posture of one handshake record:
 * did the client offer a post-quantum key exchange, did the server take it
 * (and how), and if not, why; did the client send Encrypted Client Hello and
 * what does the wire say became of it. One owner for these judgements: the
 * field registry, the server history and the summary all ask here.
 *
 * Reads only the record (and the server evidence copied into it before the
 * rules run); never allocates. */
#ifndef TLSMON_POSTURE_H
#define TLSMON_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"
#include "tls_names.h"

enum pq_status {
    PQ_STATUS_NONE = 0,       /* no ClientHello: nothing to say */
    PQ_NOT_OFFERED,
    PQ_NEGOTIATED,            /* the server took the client's PQ key share */
    PQ_NEGOTIATED_AFTER_HRR,  /* the server asked for a PQ group (HRR) */
    PQ_NOT_NEGOTIATED,        /* offered, the server chose otherwise */
    PQ_UNANSWERED,            /* offered, no ServerHello or HRR seen */
};

/* Why an offered post-quantum group was not used. */
enum pq_reason {
    PQ_REASON_NONE = 0,
    PQ_REASON_SERVER_CHOSE_CLASSICAL, /* TLS 1.3: a classical key share */
    PQ_REASON_HRR_TO_CLASSICAL,       /* HRR asked for a classical group */
    PQ_REASON_CLASSICAL_UNLIKE_BEFORE,/* classical, although this server
                                         chose a PQ group earlier */
    PQ_REASON_TLS12_ANSWER,           /* TLS <= 1.2 has no PQ groups */
    PQ_REASON_TLS12_MIDDLEBOX,        /* TLS <= 1.2 from a server that
                                         spoke TLS 1.3 earlier, or whose
                                         certificate issuer changed */
    PQ_REASON_PSK_ONLY,               /* resumed with psk_ke: no key
                                         exchange at all */
};

struct pq_posture {
    enum pq_status status;
    enum pq_reason reason;
    uint16_t group;          /* the PQ group negotiated (or asked for) */
    enum tls_pq_kind kind;   /* of that group */
    uint16_t share_group;    /* first PQ group of the first key_share, 0 */
    uint16_t share_len;      /* its key_exchange length */
    uint8_t n_offered;       /* PQ groups in supported_groups or key_share */
};

void pq_posture(const struct handshake *h, struct pq_posture *out);
/* The PQ groups offered, wire order, supported_groups first then key shares
 * not listed there; false past the last. */
bool pq_offered_at(const struct handshake *h, size_t i, uint16_t *group);

const char *pq_status_name(enum pq_status s);  /* NULL for NONE */
const char *pq_reason_name(enum pq_reason r);  /* NULL for NONE */

/* What the wire says became of an Encrypted Client Hello. */
enum ech_status {
    ECH_STATUS_NONE = 0,      /* no outer ECH extension */
    ECH_ACCEPTED,             /* HRR carried the accept confirmation */
    ECH_REJECTED,             /* retry_configs (decrypted) or the client's
                                 ech_required alert */
    ECH_ABORTED_AFTER_FLIGHT, /* TLS 1.3: the client answered the server's
                                 flight with an encrypted alert; how a
                                 rejection looks without keys */
    ECH_UNANSWERED,           /* no ServerHello: reset, closed or silent */
    ECH_GREASE,               /* the server did not take ECH (TLS <= 1.2,
                                 or an HRR without the confirmation) and
                                 the client went on: a real ECH client
                                 would have aborted */
    ECH_NOT_CONFIRMED,        /* established; acceptance is encrypted */
    ECH_FAILED_OTHER,         /* failed for a reason seen elsewhere */
};

enum ech_status ech_status(const struct handshake *h);
const char *ech_status_name(enum ech_status s); /* NULL for NONE */
/* An ECH attempt that failed the way a rejection or a block looks. */
bool ech_status_rejected(enum ech_status s);
bool ech_status_blocked(enum ech_status s);

#endif
