/* classify.h — nDPI's view of a flow: which protocol and application it is
 * and which category. Runs on the first packets of every TCP flow, on any
 * port, and stops (freeing nDPI's per-flow state) once nDPI is sure or has
 * seen enough. */
#ifndef TLSMON_CLASSIFY_H
#define TLSMON_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct classifier;
struct ndpi_flow_struct;

/* nDPI's verdict as its ids: every flow keeps these few bytes, and the
 * names are looked up once, when the record is made (classify_names). */
struct classify_verdict {
    bool stored; /* nDPI concluded; else every name is "" */
    uint16_t master, app, category;
};

struct classify_result {
    struct classify_verdict verdict;
    uint64_t risks;    /* nDPI's flow risks: bit i is ndpi_risk_enum i */
    char server_name[80]; /* nDPI's host_server_name (its SNI reading) */
    uint16_t tls_version; /* nDPI's TLS version reading, 0 none */
};

struct classify_state {
    struct ndpi_flow_struct *ndpi; /* NULL once done */
    uint16_t packets;
    bool named; /* nDPI has named the protocol (it may still refine it) */
    bool done;
    struct classify_result result;
};

struct memcap;

struct classifier *classifier_new(void);
void classifier_free(struct classifier *c);
/* Charge what nDPI allocates for this classifier's flows to `m` (forced:
 * nDPI cannot be refused memory; the caller enforces the cap after each
 * call). Blocks count at their real size. */
void classifier_charge(struct classifier *c, struct memcap *m);

/* The most memory nDPI may take at once while it reads one more datagram
 * of `l3_len` bytes of this flow: its flow object the first time, and its
 * TLS reader's buffer, which it copies into a larger one (both exist while
 * it does), plus the strings it keeps. */
uint64_t classify_growth_bound(const struct classify_state *st,
                               uint32_t l3_len);
/* Feed one IP datagram of the flow (either direction). */
void classify_packet(struct classifier *c, struct classify_state *st,
                     const uint8_t *l3, uint32_t l3_len, uint64_t ts_us);
/* Conclude with what nDPI has (it may guess from ports) and free its state. */
void classify_finish(struct classifier *c, struct classify_state *st);
/* nDPI's reading of one datagram on its own: what a server answered a
 * ClientHello with, when that answer was not TLS. */
void classify_single(struct classifier *c, const uint8_t *l3, uint32_t l3_len,
                     uint64_t ts_us, struct classify_result *out);
/* nDPI's answer for a TCP flow whose ClientHello tlsmon's dissector read
 * with a server name, without nDPI reading any of its packets: TLS, and the
 * application nDPI's host list gives `name` (its "TLS.YouTube"), else the
 * one its address list gives `client_ip4` or `server_ip4` (IPv4, network
 * order; NULL for IPv6), as nDPI itself would name it. nDPI's own readings
 * (its server name, version, risks) stay empty: it read nothing. Call it
 * instead of classify_packet, before nDPI has seen the flow. False, and
 * nothing decided, when nDPI must read the hello after all: a name of Tor's
 * shape its host list does not know (nDPI's Tor heuristic is its own). */
bool classify_tls_by_name(struct classifier *c, struct classify_state *st,
                          const char *name, size_t len,
                          const uint8_t *client_ip4, const uint8_t *server_ip4);
/* nDPI's reading of a QUIC flow's first datagram, `l3` (payload at
 * `payload_at`, UDP ports in host order), which starts with the client's
 * first Initial that tlsmon's QUIC reader could not open with its
 * version's Initial keys of its DCID (quic_lead_initial_unopened): nDPI
 * reads it as it would, except that it does not derive those keys and fail
 * again. For the versions whose keys nDPI derives as tlsmon does (v1,
 * drafts 23 to 33, mvfst, T050/T051).
 * Call it instead of classify_packet for that datagram; false, and
 * nothing done, when nDPI must read it itself (nDPI would try another
 * protocol first, or would not take it for a QUIC Initial). */
bool classify_quic_unopened(struct classifier *c, struct classify_state *st,
                            const uint8_t *l3, uint32_t l3_len,
                            uint32_t payload_at, uint16_t sport,
                            uint16_t dport, uint64_t ts_us);
/* A verdict's names as nDPI gives them, each cut to its buffer: the
 * protocol ("TLS", "TLS.YouTube", "Unknown"), the application part alone
 * ("" when nDPI names none apart from the protocol) and the category; all
 * "" for a verdict not stored. `app` and `category` may be NULL. */
void classify_names(const struct classifier *c,
                    const struct classify_verdict *v, char *protocol,
                    size_t protocol_len, char *app, size_t app_len,
                    char *category, size_t category_len);
/* nDPI's name of flow risk `bit` (ndpi_risk2str), NULL if none. */
const char *classify_risk_name(unsigned bit);
/* Free nDPI state without concluding (flow evicted early). */
void classify_release(struct classifier *c, struct classify_state *st);

#endif
