/* flow.h — the bidirectional flow table: one entry per TCP connection or
 * UDP conversation, found from either direction by a symmetric hash of the
 * 5-tuple plus the outer VLAN. Entries sit on an LRU list by last activity so idle timeouts
 * and memcap eviction always take the oldest idle flow first. The table only
 * stores; what a flow's end means is the pipeline's business. Entries and
 * the bucket array are charged to the pipeline's memcap. */
#ifndef TLSMON_FLOW_H
#define TLSMON_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "age_list.h"
#include "classify.h"
#include "decode.h"
#include "tcp_stream.h"

struct memcap;
struct tls_session;
struct starttls;
struct quic_conn;
struct dtls_conn;

enum flow_state {
    FLOW_ACTIVE = 0, /* handshake undecided: reassembled and dissected */
    FLOW_BYPASS,     /* decided or not TLS: packets only counted */
};

/* What each entry of the flow table, live or closed, starts with: its
 * bucket's chain, its place in the age order and its hash. */
struct flow_link {
    struct flow_link *hash_next;
    struct age_link age;
    uint32_t hash;
};

/* A chained hash that also keeps its entries in age order, oldest first:
 * the live flows (by activity) and the closed connections are one each. */
struct flow_set {
    struct flow_link **buckets;
    uint32_t mask; /* buckets - 1; the count of buckets is a power of two */
    uint32_t count;
    struct age_list age;
};

struct flow {
    struct flow_link link; /* first: the live set's chains point at it */

    /* Side 0 is the source of the first packet seen. */
    uint8_t ip_version;
    uint8_t ip_proto;   /* 6 TCP, 17 UDP: part of the key */
    uint16_t vlan[PKT_MAX_VLANS];
    uint8_t n_vlan;
    uint8_t addr[2][16];
    uint16_t port[2];

    uint64_t id;
    uint64_t last_frame;     /* number of its latest frame (its age) */
    uint64_t first_ts_us, last_ts_us;
    uint64_t packets[2], bytes[2];

    enum flow_state state;
    int8_t syn_client_side; /* from SYN / SYN-ACK, -1 unknown */
    bool syn_seen;
    bool fin[2];
    bool rst;
    bool emitted;            /* its handshake record went out */
    bool decided_in_callback;/* set while reassembly is delivering */
    /* The per-direction dissection cap was reached: the handshake is no
     * longer read, but decided when the flow really ends. */
    bool capped;
    /* Window scale each side's SYN announced (RFC 7323), -1 none. */
    int8_t wscale[2];
    bool syn_from[2];

    struct tcp_stream stream[2];
    struct tls_session *tls;
    size_t tls_bytes;        /* its memory, as last counted */
    /* Watching plaintext for a STARTTLS upgrade (before `tls` exists). */
    struct starttls *starttls;
    /* UDP: the transport around the TLS session (one of them), or STUN
     * packets counted while waiting for DTLS to start (WebRTC). */
    struct quic_conn *quic;
    struct dtls_conn *dtls;
    uint16_t stun_packets;
    struct classify_state classify;
    /* nDPI's name for a server's first answer that was not TLS. */
    bool server_answer_seen;
    struct classify_verdict server_answer;
    /* The server spoke first, in plaintext: its first bytes, in case the
     * client's first bytes are a ClientHello (not_tls, with this as the
     * preview). `awaiting_hello`: the STARTTLS watch gave up on it and
     * only the client's first bytes can still make the flow a record. */
    uint8_t greeting[24];
    uint8_t greeting_len;
    int8_t greeting_side;
    bool awaiting_hello;
    uint64_t greeting_ts;
};

/* A connection that ended (both FINs, or a RST): only its endpoints, kept
 * a short while so its late packets (data the peer never acknowledged sent
 * again, the last ACKs) are known as its own and open no flow midstream. */
struct closed_flow {
    struct flow_link link; /* first: the closed set's chains point at it */
    uint8_t ip_version;
    uint16_t vlan; /* outer */
    uint8_t addr[2][16];
    uint16_t port[2];
    uint64_t last_ts_us; /* its end, or its latest late packet */
};

struct flow_table {
    struct flow_set live;   /* least recently active first */
    struct flow_set closed; /* by the same hash, oldest first */
    uint64_t next_id;
    uint64_t id_step;      /* workers number their flows apart: 1, or N */
    struct memcap *memcap; /* charged for entries and buckets; may be NULL */
};

bool flow_table_init(struct flow_table *t, uint32_t buckets_log2);
/* Frees the table and its closed connections; the caller must have removed
 * (and released) every flow. */
void flow_table_free(struct flow_table *t);
/* Charge the table (buckets now, entries and growth as they come) to `m`.
 * Making room for a new entry or a larger bucket array may end other flows
 * (the memcap's reclaim) before the table is touched. */
void flow_table_charge(struct flow_table *t, struct memcap *m);

/* Find the flow of a TCP or UDP packet; *side tells which side sent it. With
 * `create`, a missing flow is made with the packet's source as side 0. */
struct flow *flow_lookup(struct flow_table *t, const struct packet *p,
                         int *side, bool create);
/* Mark the flow active now: it moves to the young end of the LRU list. */
void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_us);
/* The least recently active flow, or NULL. */
static inline struct flow *flow_oldest(const struct flow_table *t)
{
    return AGE_ENTRY(t->live.age.oldest, struct flow, link.age);
}
/* The flow active next after f, or NULL. */
static inline struct flow *flow_newer(const struct flow *f)
{
    return AGE_ENTRY(f->link.age.newer, struct flow, link.age);
}
/* Unlink and free the entry; the caller released what it points to. */
void flow_remove(struct flow_table *t, struct flow *f);

/* Remember f's endpoints as a connection that ended at ts_us (false when
 * out of memory: its late packets will then look like a new flow). */
bool flow_closed_add(struct flow_table *t, const struct flow *f,
                     uint64_t ts_us);
/* The closed connection a packet belongs to by its endpoints, or NULL. */
struct closed_flow *flow_closed_find(const struct flow_table *t,
                                     const struct packet *p);
/* A late packet of c at ts_us: it stays remembered from then on. */
void flow_closed_touch(struct flow_table *t, struct closed_flow *c,
                       uint64_t ts_us);
/* Forget c (expired, or its endpoints reused by a new connection). */
void flow_closed_forget(struct flow_table *t, struct closed_flow *c);
static inline struct closed_flow *flow_closed_oldest(const struct flow_table *t)
{
    return AGE_ENTRY(t->closed.age.oldest, struct closed_flow, link.age);
}

/* A SYN from `side` with the window scale option `wscale` (-1 without). */
void flow_note_syn(struct flow *f, int side, int wscale);
/* The receive window `side` offers in a packet with window field
 * `window`, in bytes: scaled when both SYNs agreed to scaling (RFC 7323),
 * unscaled when a SYN refused it, and by 7 (Linux's default) when the SYNs
 * were not seen. A SYN's own window is never scaled. */
uint32_t flow_offered_window(const struct flow *f, int side, uint16_t window,
                             bool syn);

#endif
