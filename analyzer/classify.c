/* classify.c — the nDPI wrapper: one detection module per run, one nDPI
 * flow object per flow while detection runs, names copied into the flow's
 * result so nothing of nDPI outlives detection.
 *
 * nDPI's per-flow state grows with the traffic (its TLS reader keeps a
 * buffer that grows by every segment), so everything nDPI allocates while
 * working for a classifier is charged to that classifier's memcap: nDPI
 * allocates through our hooks, which charge the memcap of the classifier
 * the calling thread is working for (each worker has its own). */
#include "classify.h"
#include "escape.h"
#include "memcap.h"
#include "str_copy.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

/* nDPI decides TLS and most plaintext protocols within a handful of packets;
 * past this many it would only refine (certificate names) at a real cost. */
#define CLASSIFY_MAX_PACKETS 24

struct classifier {
    struct ndpi_detection_module_struct *ndpi;
    struct memcap *memcap;
};

/* The memcap nDPI's allocations go to on this thread, set around each call
 * into nDPI for a flow. */
static _Thread_local struct memcap *charging;

static uint64_t block_cost(void *p)
{
    return (uint64_t)malloc_usable_size(p) + sizeof(size_t);
}

static void *charged_malloc(size_t n)
{
    void *p = malloc(n);
    if (p && charging)
        memcap_force(charging, block_cost(p));
    return p;
}

static void charged_free(void *p)
{
    if (p && charging)
        memcap_release(charging, block_cost(p));
    free(p);
}

static void install_hooks(void)
{
    set_ndpi_malloc(charged_malloc);
    set_ndpi_free(charged_free);
}

/* Calls into nDPI for a flow run between these two. */
static struct memcap *charge_begin(const struct classifier *c)
{
    struct memcap *saved = charging;
    charging = c ? c->memcap : NULL;
    return saved;
}

static void charge_end(struct memcap *saved)
{
    charging = saved;
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
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (!c->ndpi) {
        free(c);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
    ndpi_finalize_initialization(c->ndpi);
    return c;
}

void classifier_free(struct classifier *c)
{
    if (!c)
        return;
    ndpi_exit_detection_module(c->ndpi);
    free(c);
}

static void copy_name(char *dst, size_t n, const char *src)
{
    str_copy(dst, n, src);
}

static void store_result(struct classifier *c, struct classify_state *st,
                         ndpi_protocol proto)
{
    char buf[64];
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

    if (proto.master_protocol == NDPI_PROTOCOL_UNKNOWN &&
        proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        copy_name(r->protocol, sizeof(r->protocol), "Unknown");
        r->app[0] = '\0';
    } else {
        copy_name(r->protocol, sizeof(r->protocol),
                  ndpi_protocol2name(c->ndpi, proto, buf, sizeof(buf)));
        /* The application is the app part when nDPI names both. */
        if (proto.master_protocol != NDPI_PROTOCOL_UNKNOWN &&
            proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
            proto.app_protocol != proto.master_protocol)
            copy_name(r->app, sizeof(r->app),
                      ndpi_get_proto_name(c->ndpi, proto.app_protocol));
        else
            r->app[0] = '\0';
    }
    copy_name(r->category, sizeof(r->category),
              ndpi_category_get_name(c->ndpi, proto.category));
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
        struct memcap *saved = charge_begin(c);
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
    struct memcap *saved = charge_begin(c);
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
        store_result(c, st, proto);
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
    struct memcap *saved = charge_begin(c);
    if (st->ndpi && c) {
        uint8_t guessed = 0;
        ndpi_protocol proto =
            ndpi_detection_giveup(c->ndpi, st->ndpi, 1, &guessed);
        store_result(c, st, proto);
    }
    classify_release(c, st);
    charge_end(saved);
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
