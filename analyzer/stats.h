/* stats.h — counters of one run, kept by the pipeline and read by the
 * summary and stats outputs. Plain numbers, no behaviour. */
#ifndef TLSMON_STATS_H
#define TLSMON_STATS_H

#include <stddef.h>
#include <stdint.h>

/* --workers: how many a run may have (workers.h uses it as its cap). */
#define RUN_STATS_WORKERS_MAX 64

struct run_stats {
    uint64_t files;
    uint64_t files_failed;     /* could not be opened or broke mid-way */
    uint64_t packets;          /* frames read */
    uint64_t bytes;            /* frame bytes on the wire */
    uint64_t packets_ignored;  /* nothing tlsmon analyzes; by kind: */
    uint64_t ignored_not_ip;   /*   not IP (ARP, LLDP, STP ...) */
    uint64_t ignored_icmp;     /*   ICMP naming no open handshake */
    uint64_t ignored_udp;      /*   UDP that is not QUIC, DTLS or STUN */
    uint64_t ignored_other_ip; /*   other IP protocols, IPv6 fragments,
                                    tunnels nested too deep */
    uint64_t packets_malformed;
    uint64_t packets_truncated;/* snaplen shorter than the frame */
    uint64_t packets_too_deep; /* more nested layers than decode follows */
    uint64_t timestamps_invalid; /* not a time: replaced by the one before */
    uint64_t ip_fragments;
    uint64_t ip_reassembled;
    uint64_t ip_frag_dropped;
    uint64_t flows;            /* flows created */
    uint64_t flows_tls;        /* flows given a TLS dissector */
    uint64_t flows_evicted;    /* pushed out by the flow memcap */
    uint64_t quic_initials_skipped; /* QUIC connections whose Initials were
                                       not decrypted: the server's budget
                                       (--quic-decrypt-rate) was spent */
    uint64_t flows_timed_out;
    uint64_t flows_active_max;
    uint64_t tcp_gaps;
    uint64_t tcp_gap_bytes;
    uint64_t tcp_cap_gaps;     /* holes given up because a queue was full */
    uint64_t tcp_late_segments;/* acknowledged before they came, then kept */
    uint64_t rst_out_of_window;/* RSTs no stack would accept: ignored */
    uint64_t stream_cap_hits;  /* handshakes no longer read past the cap */
    uint64_t reassembly_bytes_max; /* most out-of-order bytes held at once */
    uint64_t memory_bytes_max; /* most memory charged to --memcap at once */
    uint64_t memcap_refused;   /* growths --memcap refused (data dropped) */
    uint64_t handshakes;       /* records emitted */
    uint64_t alerts;           /* rule findings sent as alert events */
    uint64_t alerts_suppressed;/* identical within the flood window */
    uint64_t server_profiles_evicted;
    uint64_t first_ts_us, last_ts_us;
    /* With --workers N > 1 (set by workers_total_stats): each worker's
     * share of the packets, to see how evenly the flow hash spread them. */
    size_t n_workers;
    uint64_t worker_packets[RUN_STATS_WORKERS_MAX];
};

#endif
