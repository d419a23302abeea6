/* classify.c — the nDPI wrapper: one detection module per run, one nDPI
 * flow object per flow while detection runs, names copied into the flow's
 * result so nothing of nDPI outlives detection. */
#include "classify.h"
#include "str_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

/* nDPI decides TLS and most plaintext protocols within a handful of packets;
 * past this many it would only refine (certificate names) at a real cost. */
#define CLASSIFY_MAX_PACKETS 24

struct classifier {
    struct ndpi_detection_module_struct *ndpi;
};

struct classifier *classifier_new(void)
{
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
        copy_name(r->server_name, sizeof(r->server_name),
                  st->ndpi->host_server_name);
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

size_t classify_flow_state_size(void)
{
    return SIZEOF_FLOW_STRUCT;
}

void classify_release(struct classify_state *st)
{
    if (st->ndpi) {
        ndpi_flow_free(st->ndpi);
        st->ndpi = NULL;
    }
}

void classify_packet(struct classifier *c, struct classify_state *st,
                     const uint8_t *l3, uint32_t l3_len, uint64_t ts_us)
{
    if (st->done || !c)
        return;
    if (!st->ndpi) {
        st->ndpi = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
        if (!st->ndpi) {
            st->done = true;
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
    if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
        !ndpi_extra_dissection_possible(c->ndpi, st->ndpi)) {
        store_result(c, st, proto);
        st->done = true;
        classify_release(st);
    } else if (st->packets >= CLASSIFY_MAX_PACKETS) {
        classify_finish(c, st);
    }
}

void classify_finish(struct classifier *c, struct classify_state *st)
{
    if (st->done)
        return;
    st->done = true;
    if (st->ndpi && c) {
        uint8_t guessed = 0;
        ndpi_protocol proto =
            ndpi_detection_giveup(c->ndpi, st->ndpi, 1, &guessed);
        store_result(c, st, proto);
    }
    classify_release(st);
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
