/* classify.c — the nDPI wrapper: one detection module per run, one nDPI
 * flow object per flow while detection runs, names copied into the flow's
 * result so nothing of nDPI outlives detection.
 *
 * nDPI's per-flow state grows with the traffic (its TLS reader keeps a
 * buffer that grows by every segment), so everything nDPI allocates while
 * working for a classifier is charged to that classifier's memcap: nDPI
 * allocates through our hooks, which charge the memcap of the classifier
 * the calling thread is working for (each worker has its own).
 *
 * What nDPI builds at start-up (about 100 000 small blocks: its address
 * trees and name lists, some 5 MB) lives as long as the classifier and is
 * never charged: it is carved from one mapping instead of being malloc'd
 * and freed block by block, which was half of a classifier's start-up and
 * most of its teardown. */
#include "classify.h"
#include "cursor.h"
#include "escape.h"
#include "memcap.h"
#include "str_copy.h"

#include <ctype.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

/* nDPI decides TLS and most plaintext protocols within a handful of packets;
 * past this many it would only refine (certificate names) at a real cost. */
#define CLASSIFY_MAX_PACKETS 24

/* Room reserved (not committed: only the pages written are) for what
 * nDPI 4.2 builds at start-up, about 5 MB; past it, blocks come from
 * malloc as before. */
#define START_ARENA_SIZE (32u << 20)
#define START_ARENA_ALIGN 16u

struct classifier {
    struct ndpi_detection_module_struct *ndpi;
    struct memcap *memcap;
    /* nDPI's start-up blocks: [arena, arena + arena_used) */
    uint8_t *arena;
    size_t arena_used, arena_size;
    bool starting; /* nDPI's start-up allocations go to the arena */
    /* The flow object classify_tls_by_name hands nDPI, cleared each time:
     * its calls keep nothing in it past the call. */
    struct ndpi_flow_struct by_name;
};

/* The classifier the calling thread is working for, set around each call
 * into nDPI that may allocate or free: its memcap pays for a flow's
 * blocks, its arena holds the start-up ones. */
static _Thread_local struct classifier *working_for;

static uint64_t block_cost(void *p)
{
    return (uint64_t)malloc_usable_size(p) + sizeof(size_t);
}

static void *arena_alloc(struct classifier *c, size_t n)
{
    size_t size = (n + START_ARENA_ALIGN - 1) & ~(size_t)(START_ARENA_ALIGN - 1);
    if (!c->arena || n > c->arena_size ||
        size > c->arena_size - c->arena_used)
        return NULL;
    void *p = c->arena + c->arena_used;
    c->arena_used += size;
    return p;
}

static bool in_arena(const struct classifier *c, const void *p)
{
    const uint8_t *b = p;
    return c->arena && b >= c->arena && b < c->arena + c->arena_used;
}

static void *charged_malloc(size_t n)
{
    struct classifier *c = working_for;
    if (c && c->starting) {
        void *p = arena_alloc(c, n);
        if (p)
            return p;
    }
    void *p = malloc(n);
    if (p && c && c->memcap)
        memcap_force(c->memcap, block_cost(p));
    return p;
}

/* A start-up block is given back with the whole arena. */
static void charged_free(void *p)
{
    struct classifier *c = working_for;
    if (!p || (c && in_arena(c, p)))
        return;
    if (c && c->memcap)
        memcap_release(c->memcap, block_cost(p));
    free(p);
}

static void install_hooks(void)
{
    set_ndpi_malloc(charged_malloc);
    set_ndpi_free(charged_free);
}

/* Every call into nDPI that may allocate or free runs between these two
 * (a flow's calls, start-up and teardown): outside them a start-up block
 * would not be known for one. */
static struct classifier *charge_begin(struct classifier *c)
{
    struct classifier *saved = working_for;
    working_for = c;
    return saved;
}

static void charge_end(struct classifier *saved)
{
    working_for = saved;
}

void classifier_charge(struct classifier *c, struct memcap *m)
{
    if (c)
        c->memcap = m;
}

struct classifier *classifier_new(void)
{
    static pthread_once_t hooks = PTHREAD_ONCE_INIT;
    pthread_once(&hooks, install_hooks);
    struct classifier *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    void *arena = mmap(NULL, START_ARENA_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (arena != MAP_FAILED) { /* else every block is malloc'd */
        c->arena = arena;
        c->arena_size = START_ARENA_SIZE;
    }
    struct classifier *saved = charge_begin(c);
    c->starting = true;
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (c->ndpi) {
        NDPI_PROTOCOL_BITMASK all;
        NDPI_BITMASK_SET_ALL(all);
        ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
        ndpi_finalize_initialization(c->ndpi);
    }
    c->starting = false;
    charge_end(saved);
    if (!c->ndpi) {
        if (c->arena)
            munmap(c->arena, c->arena_size);
        free(c);
        return NULL;
    }
    /* The reserved room nDPI did not take is given back. */
    if (c->arena) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t kept = (c->arena_used + page - 1) / page * page;
        if (kept == 0) {
            munmap(c->arena, c->arena_size);
            c->arena = NULL;
        } else if (kept < c->arena_size &&
                   munmap(c->arena + kept, c->arena_size - kept) == 0) {
            c->arena_size = kept;
        }
    }
    return c;
}

void classifier_free(struct classifier *c)
{
    if (!c)
        return;
    /* Only the arena tells nDPI's start-up blocks from the others here;
     * the memcap is not told of what goes with the classifier. */
    c->memcap = NULL;
    struct classifier *saved = charge_begin(c);
    ndpi_exit_detection_module(c->ndpi);
    charge_end(saved);
    if (c->arena)
        munmap(c->arena, c->arena_size);
    free(c);
}

static void store_result(struct classify_state *st, ndpi_protocol proto)
{
    struct classify_result *r = &st->result;

    r->risks = st->ndpi ? st->ndpi->risk : 0;
    /* nDPI's own readings of facts tlsmon also extracts, kept only to be
     * compared: tlsmon's dissector is the one the record trusts. */
    if (st->ndpi) {
        /* nDPI keeps the SNI's bytes as they came: escaped like every
         * other name read off the wire. */
        const char *name = st->ndpi->host_server_name;
        struct cursor raw = cursor_make(
            (const uint8_t *)name, strnlen(name, sizeof(st->ndpi->host_server_name)));
        escape_copy(&raw, r->server_name, sizeof(r->server_name));
        r->tls_version = st->ndpi->protos.tls_quic.ssl_version;
    }
    r->verdict = (struct classify_verdict){
        true, proto.master_protocol, proto.app_protocol,
        (uint16_t)proto.category};
}

void classify_names(const struct classifier *c,
                    const struct classify_verdict *v, char *protocol,
                    size_t protocol_len, char *app, size_t app_len,
                    char *category, size_t category_len)
{
    ndpi_protocol proto = {v->master, v->app,
                           (ndpi_protocol_category_t)v->category};
    char buf[64];
    bool both = v->master != NDPI_PROTOCOL_UNKNOWN &&
                v->app != NDPI_PROTOCOL_UNKNOWN && v->app != v->master;

    if (!v->stored || !c)
        str_copy(protocol, protocol_len, "");
    else if (v->master == NDPI_PROTOCOL_UNKNOWN &&
             v->app == NDPI_PROTOCOL_UNKNOWN)
        str_copy(protocol, protocol_len, "Unknown");
    else
        str_copy(protocol, protocol_len,
                 ndpi_protocol2name(c->ndpi, proto, buf, sizeof(buf)));
    /* The application is the app part when nDPI names both. */
    if (app)
        str_copy(app, app_len, v->stored && c && both
                                   ? ndpi_get_proto_name(c->ndpi, v->app)
                                   : "");
    if (category)
        str_copy(category, category_len,
                 v->stored && c ? ndpi_category_get_name(c->ndpi,
                                                         proto.category)
                                : "");
}

const char *classify_risk_name(unsigned bit)
{
    if (bit == NDPI_NO_RISK || bit >= NDPI_MAX_RISK)
        return NULL;
    return ndpi_risk2str((ndpi_risk_enum)bit);
}

void classify_release(struct classifier *c, struct classify_state *st)
{
    if (st->ndpi) {
        struct classifier *saved = charge_begin(c);
        ndpi_flow_free(st->ndpi);
        charge_end(saved);
        st->ndpi = NULL;
    }
}

/* nDPI's strings (names, JA3 text, certificate fields) per call. */
#define NDPI_CALL_SLACK (8u << 10)

uint64_t classify_growth_bound(const struct classify_state *st,
                               uint32_t l3_len)
{
    uint64_t n = NDPI_CALL_SLACK + 2u * (uint64_t)l3_len;
    if (!st->ndpi)
        return n + memcap_cost(SIZEOF_FLOW_STRUCT);
    return n + memcap_cost(st->ndpi->l4.tcp.tls.message.buffer_len);
}

void classify_packet(struct classifier *c, struct classify_state *st,
                     const uint8_t *l3, uint32_t l3_len, uint64_t ts_us)
{
    if (st->done || !c)
        return;
    struct classifier *saved = charge_begin(c);
    if (!st->ndpi) {
        st->ndpi = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
        if (!st->ndpi) {
            st->done = true;
            charge_end(saved);
            return;
        }
        memset(st->ndpi, 0, SIZEOF_FLOW_STRUCT);
    }
    /* nDPI takes a 16-bit length; a reassembled datagram can be longer than
     * it can be told about, and its first 64 KiB are all it needs. */
    unsigned short len = l3_len > 0xffff ? 0xffff : (unsigned short)l3_len;
    ndpi_protocol proto =
        ndpi_detection_process_packet(c->ndpi, st->ndpi, l3, len, ts_us / 1000);
    st->packets++;
    st->named = st->named || proto.app_protocol != NDPI_PROTOCOL_UNKNOWN;
    if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
        !ndpi_extra_dissection_possible(c->ndpi, st->ndpi)) {
        store_result(st, proto);
        st->done = true;
        classify_release(c, st);
    } else if (st->packets >= CLASSIFY_MAX_PACKETS) {
        classify_finish(c, st);
    }
    charge_end(saved);
}

void classify_finish(struct classifier *c, struct classify_state *st)
{
    if (st->done)
        return;
    st->done = true;
    struct classifier *saved = charge_begin(c);
    if (st->ndpi && c) {
        uint8_t guessed = 0;
        ndpi_protocol proto =
            ndpi_detection_giveup(c->ndpi, st->ndpi, 1, &guessed);
        store_result(st, proto);
    }
    classify_release(c, st);
    charge_end(saved);
}

/* nDPI's address list (its patricia tree of networks: Google's, Amazon's
 * …) for one IPv4 address; unknown for none or IPv6. */
static uint16_t protocol_of_address(const struct classifier *c,
                                    const uint8_t *ip4)
{
    struct in_addr a;
    if (!ip4)
        return NDPI_PROTOCOL_UNKNOWN;
    memcpy(&a.s_addr, ip4, 4);
    return ndpi_network_ptree_match(c->ndpi, &a);
}

/* Tor's relays present made-up names, www.<random>.com or .net; nDPI 4.2
 * tells them from real ones with a heuristic of its TLS reader that it does
 * not export. A name of that shape its host list does not know is left to
 * nDPI's reading of the hello. */
static bool tor_shaped(const char *host, size_t len)
{
    if (len < 9 || strncmp(host, "www.", 4) != 0)
        return false;
    const char *tld = host + len - 4;
    if (strcmp(tld, ".com") != 0 && strcmp(tld, ".net") != 0)
        return false;
    for (const char *c = host + 4; c < tld; c++)
        if (!isalnum((unsigned char)*c))
            return false;
    return true;
}

bool classify_tls_by_name(struct classifier *c, struct classify_state *st,
                          const char *name, size_t len,
                          const uint8_t *client_ip4, const uint8_t *server_ip4)
{
    if (st->done || !c)
        return true;
    /* The calls nDPI's TLS reader makes once it has the SNI, on a flow
     * object that has seen no packet: the name lowercased and cut to its
     * last 79 bytes (ndpi_hostname_sni_set), the host list, then the
     * categories by name and address. */
    struct ndpi_flow_struct *flow = &c->by_name;
    memset(flow, 0, sizeof(*flow));
    char *host = flow->host_server_name;
    size_t cap = sizeof(flow->host_server_name);
    if (len >= cap) {
        name += len - (cap - 1);
        len = cap - 1;
    }
    for (size_t i = 0; i < len; i++)
        host[i] = (char)tolower((unsigned char)name[i]);
    host[len] = '\0';
    if (client_ip4)
        memcpy(&flow->saddr, client_ip4, 4);
    if (server_ip4)
        memcpy(&flow->daddr, server_ip4, 4);

    struct classifier *saved = charge_begin(c);
    ndpi_protocol_match_result match;
    memset(&match, 0, sizeof(match));
    ndpi_protocol proto;
    memset(&proto, 0, sizeof(proto));
    proto.master_protocol = NDPI_PROTOCOL_TLS;
    uint16_t by_name = ndpi_match_host_subprotocol(
        c->ndpi, flow, host, (u_int)len, &match, NDPI_PROTOCOL_TLS);
    if (by_name == NDPI_PROTOCOL_UNKNOWN)
        by_name = (uint16_t)match.protocol_id;
    if (by_name == NDPI_PROTOCOL_UNKNOWN && tor_shaped(host, len)) {
        charge_end(saved);
        return false;
    }
    /* The name first, then the address lists. */
    proto.app_protocol = by_name;
    if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        proto.app_protocol = protocol_of_address(c, client_ip4);
    if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        proto.app_protocol = protocol_of_address(c, server_ip4);
    if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        proto.app_protocol = NDPI_PROTOCOL_TLS;
        proto.master_protocol = NDPI_PROTOCOL_UNKNOWN;
    }
    /* The host list's entry has its own category (Advertisement for an ad
     * server of Google's), as nDPI reports it; else the protocol's. */
    proto.category = match.protocol_category != NDPI_PROTOCOL_CATEGORY_UNSPECIFIED
                         ? match.protocol_category
                         : ndpi_get_proto_category(c->ndpi, proto);
    ndpi_fill_protocol_category(c->ndpi, flow, &proto);
    store_result(st, proto);
    charge_end(saved);
    /* It read nothing: none of its readings. */
    st->result.risks = 0;
    st->result.server_name[0] = '\0';
    st->result.tls_version = 0;
    st->named = true;
    st->done = true;
    return true;
}

/* QUIC v1's longest connection ID (RFC 9000 §17.2), which nDPI checks for
 * every version with the IETF long header. */
#define QUIC_CID_MAX 20
/* IETF drafts are 0xff0000NN; nDPI derives Initial keys for 23 and up. */
#define QUIC_DRAFT_MASK 0xffffff00u
#define QUIC_DRAFT_BASE 0xff000000u
#define NDPI_DRAFT_FIRST 23
/* Draft 34 on nDPI takes the provisional v2's salt and labels, tlsmon
 * v1's: the last draft they derive alike is 33. */
#define NDPI_DRAFT_LAST_AS_TLSMON 33

/* Does nDPI's QUIC reader (4.2) derive the Initial keys of `version` as
 * tlsmon's does (the same salt, "quic " labels, AES-128-GCM), try them on
 * a client Initial of v1's layout, and stop with QUIC once they fail or
 * once the DCID length is 0? v1, drafts 23 to 33 (salts of drafts 23, 29
 * and v1), Facebook's mvfst versions (drafts 22 and 27) and Google's
 * TLS-based T050/T051. Not QUIC v2, which 4.2 does not take for QUIC at
 * all, nor Q050 (Google's own crypto, which tlsmon does not read), nor a
 * version tlsmon does not know (no one set of keys was tried). */
static bool ndpi_tries_initial_keys_as_tlsmon(uint32_t version)
{
    if ((version & QUIC_DRAFT_MASK) == QUIC_DRAFT_BASE) {
        uint32_t draft = version & ~QUIC_DRAFT_MASK;
        return draft >= NDPI_DRAFT_FIRST && draft <= NDPI_DRAFT_LAST_AS_TLSMON;
    }
    switch (version) {
    case 0x00000001u: /* v1 */
    case 0xfaceb001u: /* mvfst-22 */
    case 0xfaceb002u: /* mvfst-27 */
    case 0xfaceb00eu: /* mvfst-exp */
    case 0x54303530u: /* T050 */
    case 0x54303531u: /* T051 */
        return true;
    default:
        return false;
    }
}
/* nDPI's QUIC reader takes no shorter datagram for an Initial (RFC 9000
 * §14.1's client minimum). */
#define NDPI_QUIC_INITIAL_MIN 1200

/* Per thread: the copy of a datagram nDPI reads instead. */
static _Thread_local uint8_t quic_stand_in[0xffff];

bool classify_quic_unopened(struct classifier *c, struct classify_state *st,
                            const uint8_t *l3, uint32_t l3_len,
                            uint32_t payload_at, uint16_t sport,
                            uint16_t dport, uint64_t ts_us)
{
    if (st->done || st->ndpi || !c || l3_len > sizeof(quic_stand_in) ||
        payload_at > l3_len ||
        l3_len - payload_at < NDPI_QUIC_INITIAL_MIN)
        return false;
    /* The ports must make QUIC the protocol nDPI tries first: then its
     * QUIC reader is the only one that sees the payload, and no other
     * reader is told of the two bytes changed below. */
    u_int8_t user_defined = 0;
    if (ndpi_guess_protocol_id(c->ndpi, NULL, IPPROTO_UDP, sport, dport,
                               &user_defined) != NDPI_PROTOCOL_QUIC ||
        user_defined)
        return false;
    /* nDPI's QUIC reader (4.2, ndpi_search_quic) names the flow QUIC once
     * the header passes its checks (a long header Initial of v1's type
     * bits, both CIDs of at most 20 bytes: the QUIC dissector's own limits
     * for the versions it knows; T050/T051's type bits it does not check),
     * then derives the keys and tries to open it, and on failure excludes
     * QUIC and stops: the answer is QUIC without a hello either way. With
     * a DCID length of 0 it stops at the same point without deriving keys
     * (get_clear_payload); an SCID length of 0 keeps its checks passing. */
    struct cursor hdr = cursor_make(l3, l3_len);
    uint8_t first, dcid_len, scid_len;
    uint32_t version;
    if (!cursor_skip(&hdr, payload_at) || !cursor_u8(&hdr, &first) ||
        !cursor_u32(&hdr, &version) || (first & 0xb0) != 0x80 ||
        !ndpi_tries_initial_keys_as_tlsmon(version))
        return false;
    size_t dcid_len_at = cursor_pos(&hdr);
    if (!cursor_u8(&hdr, &dcid_len) || dcid_len > QUIC_CID_MAX ||
        !cursor_skip(&hdr, dcid_len) || !cursor_u8(&hdr, &scid_len) ||
        scid_len > QUIC_CID_MAX)
        return false;
    memcpy(quic_stand_in, l3, l3_len);
    /* What nDPI then reads as the SCID length is the byte after the DCID
     * length. */
    quic_stand_in[dcid_len_at] = 0;
    quic_stand_in[dcid_len_at + 1] = 0;
    classify_packet(c, st, quic_stand_in, l3_len, ts_us);
    return true;
}

void classify_single(struct classifier *c, const uint8_t *l3, uint32_t l3_len,
                     uint64_t ts_us, struct classify_result *out)
{
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    classify_packet(c, &st, l3, l3_len, ts_us);
    classify_finish(c, &st);
    *out = st.result;
}
