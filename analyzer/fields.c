/* fields.c — the record's rows of the field registry: the table that
 * names, types, describes and reads every fact of a handshake record, and
 * the program's field table composed of it and the rules' diagnosis rows.
 * Accessors only read the record; they never allocate, and they say
 * "absent" rather than invent a default. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fields.h"
#include "array_len.h"
#include "classify.h"
#include "decode.h"
#include "../dissectors/cert_decompress.h"
#include "../dissectors/keylog.h"
#include "../dissectors/outcome.h"
#include "../dissectors/tls_messages.h"
#include "../dissectors/fingerprint.h"
#include "../dissectors/ech.h"
#include "../dissectors/ocsp.h"
#include "../dissectors/quic_crypto.h"
#include "../dissectors/posture.h"
#include "../dissectors/starttls.h"
#include "../dissectors/tls_names.h"
#include "../dissectors/x509_ext.h"
#include "../rules/diagnosis_fields.h"
#include "../rules/server_profile.h"

/* ---- accessor helpers --------------------------------------------------- */

#define UNUSED_SCRATCH (void)scratch, (void)len

static const char *hex16(uint16_t v, char *buf, size_t n)
{
    return fields_hex_code(v, 4, true, buf, n);
}

static bool put_ip(struct field_value *v, const struct endpoint *e,
                   char *scratch, size_t len)
{
    if (e->ip_version != 4 && e->ip_version != 6)
        return false;
    v->type = FT_IP;
    v->str = fields_ip_string(e, scratch, len);
    return true;
}

/* Most getters read one member: `value`, when `present` says the record
 * has the fact. The put_* helpers report an absent string or time too. */
#define FACT(fn, put, value, present)                                         \
    static bool fn(const struct handshake *h, struct field_value *v,          \
                   char *scratch, size_t len)                                 \
    {                                                                         \
        (void)h, (void)scratch, (void)len;                                    \
        return put(v, value) && (present);                                    \
    }
/* The same for a text array of the record. */
#define TEXT_FACT(fn, member)                                                 \
    static bool fn(const struct handshake *h, struct field_value *v,          \
                   char *scratch, size_t len)                                 \
    {                                                                         \
        (void)scratch, (void)len;                                             \
        return field_put_cstr(v, h->member, sizeof(h->member));               \
    }

/* The scalar accessor of a reader whose rows are all lists. */
static bool list_reader_get(const void *arg, const struct handshake *h,
                            struct field_value *v, char *scratch, size_t len)
{
    (void)arg, (void)h, (void)v;
    UNUSED_SCRATCH;
    return false;
}

/* The rare part's facts (zero when the record has none). */
static const struct hello_retry *hrr_of(const struct handshake *h)
{
    return &hs_rare(h)->hrr;
}

static const struct quic_facts *quic_of(const struct handshake *h)
{
    return &hs_rare(h)->quic;
}

/* ---- the parts of the record ------------------------------------------
 * Each segment of the table below reads one part of the record, named by
 * one of these (struct field_segment's has_part): a record without the
 * part has no value in any of the segment's rows. The rows' getters ask the
 * same where they can; fields_part_misses checks the rest. */

static bool has_client_hello(const struct handshake *h)
{
    return h->ch.seen;
}

static bool has_server_hello(const struct handshake *h)
{
    return h->sh.seen;
}

/* How the ClientHello crossed TCP (analyzer/stream_opening.c). */
static bool hello_crossed_tcp(const struct handshake *h)
{
    return h->hello_tcp.known && h->hello_tcp.segments > 0;
}

static bool has_alerts(const struct handshake *h)
{
    return hs_rare(h)->alerts.n > 0;
}

static bool has_ech(const struct handshake *h)
{
    return h->ch.seen && h->ch.ech_info.present;
}

/* The certificate stage sets `analyzed` before any other fact of a
 * chain's result (dissectors/x509.c). */
static bool has_server_cert(const struct handshake *h)
{
    return h->report->server_cert.analyzed;
}

static bool has_client_cert(const struct handshake *h)
{
    return h->report->client_cert.analyzed;
}

/* A key log was given: what it opened, or why it could not. */
static bool keylog_applied(const struct handshake *h)
{
    const struct decryption *d = &h->decryption;
    return d->attempted || d->unsupported || d->no_client_hello;
}

/* What the certificate stage read from a stapled OCSP response: it sets
 * `analyzed` before any other fact (dissectors/ocsp.c). */
static bool has_staple_result(const struct handshake *h)
{
    return h->report->ocsp_result.analyzed;
}

/* Heartbeat records during the handshake (Heartbleed). */
static bool has_heartbeat(const struct handshake *h)
{
    return h->heartbeat.records[TLS_SIDE_CLIENT] +
               h->heartbeat.records[TLS_SIDE_SERVER] > 0;
}

static bool over_quic(const struct handshake *h)
{
    return h->transport == HS_OVER_QUIC;
}

static bool over_dtls(const struct handshake *h)
{
    return h->transport == HS_OVER_DTLS;
}

/* A stage name without its "after_" prefix. */
static const char *stage_name(enum hs_stage s)
{
    const char *name = stage_failure_name(s);
    if (name && strncmp(name, "after_", 6) == 0)
        name += 6;
    return name;
}

/* A 16-bit code by its name, or in hex where `name_of` does not know it. */
static const char *named_code16(const char *(*name_of)(uint16_t),
                                uint16_t code, char *buf, size_t n)
{
    const char *name = name_of(code);
    return name ? name : hex16(code, buf, n);
}

static const char *group_string(uint16_t g, char *buf, size_t n)
{
    return named_code16(tls_group_name, g, buf, n);
}

static const char *extension_string(uint16_t type, char *buf, size_t n)
{
    if (tls_is_grease(type))
        return "grease";
    const char *name = tls_extension_name(type);
    if (name)
        return name;
    return fields_decimal_code("", type, buf, n);
}

/* ---- @timestamp, event.* ------------------------------------------------ */

/* The ClientHello's time says when the handshake happened; a flow without
 * one is dated by its first packet. */
FACT(g_timestamp, field_put_time,
     h->ch.seen && h->ch.ts_us ? h->ch.ts_us : h->flow_start_us, true)
FACT(g_event_kind, field_put_str, "event", true)
FACT(g_event_dataset, field_put_str, "tlsmon.handshake", true)

static bool g_event_outcome(const struct handshake *h, struct field_value *v,
                            char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (h->outcome == OUTCOME_ESTABLISHED)
        return field_put_str(v, "success");
    return field_put_str(v, outcome_is_failure(h->outcome) ? "failure"
                                                           : "unknown");
}

FACT(g_event_start, field_put_time, h->flow_start_us, true)
FACT(g_event_end, field_put_time, h->flow_end_us, true)
FACT(g_ecs_version, field_put_str, TLSMON_ECS_VERSION, true)
FACT(g_event_duration, field_put_int,
     (int64_t)(h->flow_end_us - h->flow_start_us) * 1000,
     h->flow_start_us && h->flow_end_us >= h->flow_start_us)

/* A handshake is a network connection and a protocol exchange (ECS's
 * categorization for network traffic). */
static size_t c_event_category(const struct handshake *h)
{
    (void)h;
    return 1;
}
static bool i_event_category(const struct handshake *h, size_t i,
                             struct field_value *v, char *scratch, size_t len)
{
    (void)h, (void)i;
    UNUSED_SCRATCH;
    return field_put_str(v, "network");
}
static size_t c_event_type(const struct handshake *h)
{
    (void)h;
    return 2;
}
static bool i_event_type(const struct handshake *h, size_t i,
                         struct field_value *v, char *scratch, size_t len)
{
    (void)h;
    UNUSED_SCRATCH;
    return field_put_str(v, i == 0 ? "connection" : "protocol");
}

TEXT_FACT(g_event_id, report->event_id)

/* ---- source, destination, network ------------------------------------- */

FACT(g_net_transport, field_put_str,
     h->transport == HS_OVER_TCP ? "tcp" : "udp",
     true)

static bool g_protocol(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    switch (h->transport) {
    case HS_OVER_QUIC: return field_put_str(v, "quic");
    case HS_OVER_DTLS: return field_put_str(v, "dtls");
    case HS_OVER_TCP: break;
    }
    return field_put_str(v, "tls");
}

TEXT_FACT(g_community_id, report->community_id)

/* The SNI as ECS destination.domain: a name, not an address literal (some
 * clients send one) and not a name with escaped bytes. */
static bool dest_domain(const struct handshake *h, struct field_value *v,
                        char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (!h->ch.seen || !h->ch.has_sni || !h->ch.sni[0])
        return false;
    unsigned char a[16];
    if (strchr(h->ch.sni, '\\') || inet_pton(AF_INET, h->ch.sni, a) == 1 ||
        inet_pton(AF_INET6, h->ch.sni, a) == 1)
        return false;
    return field_put_str(v, h->ch.sni);
}

/* Endpoint rows are data: each names the side and the fact it reads
 * (struct endpoint_row), and one reader serves them all. */
enum endpoint_fact {
    ENDPOINT_IP,
    ENDPOINT_PORT,
    ENDPOINT_DOMAIN, /* the server's only */
    ENDPOINT_BYTES,
    ENDPOINT_PACKETS,
};

struct endpoint_row {
    enum tls_side side;
    enum endpoint_fact fact;
};

static bool endpoint_fact_get(const void *arg, const struct handshake *h,
                              struct field_value *v, char *scratch,
                              size_t len)
{
    const struct endpoint_row *row = arg;
    const struct endpoint *e =
        row->side == TLS_SIDE_CLIENT ? &h->client : &h->server;
    /* A port or a count without its address describes no endpoint. */
    bool known = e->ip_version == 4 || e->ip_version == 6;
    switch (row->fact) {
    case ENDPOINT_IP: return put_ip(v, e, scratch, len);
    case ENDPOINT_PORT: return field_put_int(v, e->port) && known;
    case ENDPOINT_DOMAIN: return dest_domain(h, v, scratch, len);
    case ENDPOINT_BYTES:
        return field_put_int(v, (int64_t)h->bytes[row->side]) && known;
    case ENDPOINT_PACKETS:
        return field_put_int(v, (int64_t)h->packets[row->side]) && known;
    }
    return false;
}

/* The list accessors of a reader whose rows are all scalars. */
static size_t scalar_reader_count(const void *arg, const struct handshake *h)
{
    (void)arg, (void)h;
    return 0;
}

static bool scalar_reader_item(const void *arg, const struct handshake *h,
                               size_t i, struct field_value *v, char *scratch,
                               size_t len)
{
    (void)arg, (void)h, (void)i, (void)v;
    UNUSED_SCRATCH;
    return false;
}

static const struct field_reader endpoint_reader = {
    endpoint_fact_get, scalar_reader_count, scalar_reader_item,
};

/* related.*: what a SIEM pivots on, gathered in one place (ECS). */
static size_t c_related_ip(const struct handshake *h)
{
    bool same = h->client.ip_version == h->server.ip_version &&
                memcmp(h->client.addr, h->server.addr, 16) == 0;
    return same ? 1 : 2;
}
static bool i_related_ip(const struct handshake *h, size_t i,
                         struct field_value *v, char *scratch, size_t len)
{
    return put_ip(v, i == 0 ? &h->client : &h->server, scratch, len);
}

/* The SNI and the server leaf's subject CN when it names another host. */
static size_t c_related_hosts(const struct handshake *h)
{
    (void)h;
    return 2;
}
static bool i_related_hosts(const struct handshake *h, size_t i,
                            struct field_value *v, char *scratch, size_t len)
{
    const char *sni = dest_domain(h, v, scratch, len) ? v->str : NULL;
    if (i == 0)
        return field_put_str(v, sni);
    const struct cert_result *c = &h->report->server_cert;
    if (!c->leaf_parsed || !c->subject_cn[0] || strchr(c->subject_cn, ' ') ||
        strchr(c->subject_cn, '\\') || (sni && !strcasecmp(sni, c->subject_cn)))
        return false;
    return field_put_str(v, c->subject_cn);
}

/* Fingerprints and certificate hashes. */
static size_t c_related_hash(const struct handshake *h)
{
    (void)h;
    return 5;
}
static bool i_related_hash(const struct handshake *h, size_t i,
                           struct field_value *v, char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    const char *s = NULL;
    size_t cap = 0;
    switch (i) {
    case 0: s = h->report->ja3, cap = sizeof(h->report->ja3); break;
    case 1: s = h->report->ja3s, cap = sizeof(h->report->ja3s); break;
    case 2: s = h->report->ja4, cap = sizeof(h->report->ja4); break;
    case 3:
        if (!h->report->server_cert.leaf_parsed)
            return false;
        s = h->report->server_cert.sha256,
        cap = sizeof(h->report->server_cert.sha256);
        break;
    default:
        if (!h->report->client_cert.leaf_parsed)
            return false;
        s = h->report->client_cert.sha256,
        cap = sizeof(h->report->client_cert.sha256);
        break;
    }
    return field_put_cstr(v, s, cap);
}

FACT(g_observer_hostname, field_put_str, h->report->observer.hostname, true)
FACT(g_observer_interface, field_put_str, h->report->observer.interface,
     true)

static bool g_net_type(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (h->client.ip_version == 4)
        return field_put_str(v, "ipv4");
    if (h->client.ip_version == 6)
        return field_put_str(v, "ipv6");
    return false;
}

/* ECS has VLAN ids as keywords. */
static bool g_net_vlan(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    return h->n_vlan >= 1 &&
           field_put_str(v, fields_decimal_code("", h->vlan[0], scratch, len));
}

static bool g_net_inner_vlan(const struct handshake *h, struct field_value *v,
                             char *scratch, size_t len)
{
    return h->n_vlan >= 2 &&
           field_put_str(v, fields_decimal_code("", h->vlan[1], scratch, len));
}

/* ---- tls.* (ECS) -------------------------------------------------------- */

/* ECS wants the number: SSL 3.0 is "3.0" with version_protocol ssl, DTLS
 * 1.2 is "1.2" with version_protocol dtls. A draft or unknown version has
 * no such number: it goes to tlsmon.version. */
static bool final_version(uint16_t v)
{
    return v == TLS_V_SSL2 || v == TLS_V_SSL3 || v == TLS_V_1_0 ||
           v == TLS_V_1_1 || v == TLS_V_1_2 || v == TLS_V_1_3 ||
           v == TLS_V_DTLS_1_0 || v == TLS_V_DTLS_1_2 || v == TLS_V_DTLS_1_3;
}

FACT(g_tls_version, field_put_version, h->sh.version,
     h->sh.seen && final_version(h->sh.version))
FACT(g_tlsmon_version, field_put_version, h->sh.version,
     h->sh.seen && h->sh.version != 0 && !final_version(h->sh.version))

FACT(g_tls_version_protocol, field_put_str,
     tls_version_protocol(h->sh.version), h->sh.seen)

static bool g_tls_cipher(const struct handshake *h, struct field_value *v,
                         char *scratch, size_t len)
{
    if (!h->sh.seen)
        return false;
    return field_put_str(v, fields_cipher_string(h->sh.cipher, scratch, len));
}

/* The number as well as the name: names differ between tools, numbers
 * do not, and the differential check against tshark compares these. */
static bool g_sh_cipher_id(const struct handshake *h, struct field_value *v,
                           char *scratch, size_t len)
{
    if (!h->sh.seen)
        return false;
    return field_put_str(v, fields_hex_code(h->sh.cipher, 4, false, scratch,
                                            len));
}

static bool g_tls_curve(const struct handshake *h, struct field_value *v,
                        char *scratch, size_t len)
{
    if (!h->sh.seen || h->sh.group == 0)
        return false;
    return field_put_str(v, group_string(h->sh.group, scratch, len));
}

FACT(g_tls_established, field_put_bool, h->outcome == OUTCOME_ESTABLISHED,
     true)
FACT(g_tls_resumed, field_put_bool, h->resumed, h->sh.seen)

static bool g_tls_next_protocol(const struct handshake *h,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    UNUSED_SCRATCH;
    if (h->sh.seen && h->ee && h->ee->has_alpn) /* TLS 1.3, key log */
        return field_put_cstr(v, h->ee->alpn, sizeof(h->ee->alpn));
    if (!h->sh.seen || !h->sh.has_alpn)
        return false;
    return field_put_cstr(v, h->sh.alpn, sizeof(h->sh.alpn));
}

static bool g_tls_server_name(const struct handshake *h,
                              struct field_value *v, char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (!h->ch.seen || !h->ch.has_sni)
        return false;
    return field_put_cstr(v, h->ch.sni, sizeof(h->ch.sni));
}

/* ---- tlsmon.*: decision ------------------------------------------------- */

FACT(g_flow_id, field_put_int, (int64_t)h->flow_id, true)
FACT(g_round, field_put_int, h->round, true)
FACT(g_outcome, field_put_str, outcome_name(h->outcome), true)
FACT(g_stage, field_put_str, stage_name(h->stage), true)
FACT(g_failure_stage, field_put_str, stage_failure_name(h->failure_stage),
     true)

static bool g_ended_by(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (h->ended_by == ENDED_NONE)
        return false;
    return field_put_str(v, ended_by_name(h->ended_by));
}

static bool g_ended_by_side(const struct handshake *h, struct field_value *v,
                            char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (h->ended_by_side != TLS_SIDE_CLIENT &&
        h->ended_by_side != TLS_SIDE_SERVER)
        return false;
    return field_put_str(v, fields_side_name(h->ended_by_side));
}

static bool g_alert_sender(const struct handshake *h, struct field_value *v,
                           char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    const struct tls_alert *a = outcome_deciding_alert(h);
    return a && field_put_str(v, fields_side_name(a->sender));
}

static bool g_alert_encrypted(const struct handshake *h, struct field_value *v,
                              char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    const struct tls_alert *a = outcome_deciding_alert(h);
    return a && field_put_bool(v, a->encrypted);
}

static bool g_alert_decrypted(const struct handshake *h,
                              struct field_value *v, char *scratch,
                              size_t len)
{
    UNUSED_SCRATCH;
    const struct tls_alert *a = outcome_deciding_alert(h);
    return a && a->decrypted && field_put_bool(v, true);
}

static bool g_alert_level(const struct handshake *h, struct field_value *v,
                          char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    const struct tls_alert *a = outcome_deciding_alert(h);
    if (!a || a->encrypted)
        return false;
    if (a->level == 1)
        return field_put_str(v, "warning");
    if (a->level == 2)
        return field_put_str(v, "fatal");
    return false;
}

static bool g_alert_description(const struct handshake *h,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    const struct tls_alert *a = outcome_deciding_alert(h);
    if (!a || a->encrypted)
        return false;
    return field_put_str(v, fields_alert_description(a->description, scratch,
                                                     len));
}

static bool g_alert_code(const struct handshake *h, struct field_value *v,
                         char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    const struct tls_alert *a = outcome_deciding_alert(h);
    return a && !a->encrypted && field_put_int(v, a->description);
}

static size_t c_alerts(const struct handshake *h)
{
    return hs_rare(h)->alerts.n;
}

static bool i_alerts(const struct handshake *h, size_t i,
                     struct field_value *v, char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    v->type = FT_ALERTS;
    v->alert = &hs_rare(h)->alerts.v[i];
    return true;
}

FACT(g_handshake_ms, field_put_ms, h->handshake_us, true)
FACT(g_server_response_ms, field_put_ms, h->server_response_us, true)

/* Microseconds from `from` to `to`, -1 (absent) without both or backwards. */
static int64_t span_us(uint64_t from, uint64_t to)
{
    return from && to && to >= from ? (int64_t)(to - from) : -1;
}

FACT(g_hello_delay_ms, field_put_ms,
     span_us(h->flow_start_us, h->ch.ts_us), h->ch.seen && !h->midstream)
FACT(g_client_finished_ms, field_put_ms,
     span_us(h->ch.ts_us, h->finished_ts_us[TLS_SIDE_CLIENT]), h->ch.seen)
FACT(g_server_finished_ms, field_put_ms,
     span_us(h->ch.ts_us, h->finished_ts_us[TLS_SIDE_SERVER]), h->ch.seen)
FACT(g_hrr, field_put_bool, hrr_of(h)->seen, h->sh.seen || hrr_of(h)->seen)

static bool g_hrr_group(const struct handshake *h, struct field_value *v,
                        char *scratch, size_t len)
{
    if (!hrr_of(h)->seen || hrr_of(h)->group == 0)
        return false;
    return field_put_str(v, group_string(hrr_of(h)->group, scratch, len));
}

/* The server asked for a group the client had listed: the groups met, and
 * only a second ClientHello was missing. */
static bool g_hrr_group_offered(const struct handshake *h,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    UNUSED_SCRATCH;
    if (!hrr_of(h)->seen || hrr_of(h)->group == 0 || !h->ch.seen)
        return false;
    bool offered = false;
    for (size_t i = 0; i < h->ch.groups.n; i++)
        offered |= h->ch.groups.v[i] == hrr_of(h)->group;
    return field_put_bool(v, offered);
}

/* ---- tlsmon.client_hello.* ---------------------------------------------- */

FACT(g_ch_version, field_put_version, h->ch.legacy_version, h->ch.seen)
FACT(g_ch_record_version, field_put_version, h->ch.record_version,
     h->ch.seen && h->ch.record_version != 0)

FACT(g_ch_highest_version, field_put_version,
     client_hello_highest_version(&h->ch), h->ch.seen)

FACT(g_ch_length, field_put_int, h->ch.length, h->ch.seen)

static bool g_ch_ciphers_count(const struct handshake *h,
                               struct field_value *v, char *scratch,
                               size_t len)
{
    UNUSED_SCRATCH;
    field_put_int(v, h->ch.ciphers.total);
    return h->ch.seen;
}

static size_t c_ch_alpn(const struct handshake *h)
{
    if (!h->ch.seen)
        return 0;
    return h->ch.n_alpn; /* ch_alpn keeps at most HS_MAX_ALPN */
}

static bool i_ch_alpn(const struct handshake *h, size_t i,
                      struct field_value *v, char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    size_t room;
    const char *text = client_hello_alpn_text(&h->ch, &room);
    return field_put_cstr(v, text + h->ch.alpn_at[i], room - h->ch.alpn_at[i]);
}

FACT(g_ch_session_id_length, field_put_int, h->ch.session_id_len, h->ch.seen)
FACT(g_ch_session_ticket, field_put_bool,
     h->ch.has_session_ticket && h->ch.session_ticket_len > 0, h->ch.seen)
FACT(g_ch_psk, field_put_bool, h->ch.psk_offered, h->ch.seen)
FACT(g_ch_early_data, field_put_bool, h->ch.early_data, h->ch.seen)
FACT(g_ch_ech, field_put_bool, h->ch.ech, h->ch.seen)
FACT(g_ch_esni, field_put_bool, h->ch.esni, h->ch.seen)
FACT(g_ch_fallback_scsv, field_put_bool, h->ch.fallback_scsv, h->ch.seen)
FACT(g_ch_sslv2, field_put_bool, h->ch.sslv2, h->ch.seen)

/* ---- tlsmon.server_hello.* ---------------------------------------------- */

FACT(g_sh_legacy_version, field_put_version, h->sh.legacy_version, h->sh.seen)
FACT(g_sh_record_version, field_put_version, h->sh.record_version,
     h->sh.seen && h->sh.record_version != 0)

static bool g_sh_group(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    return g_tls_curve(h, v, scratch, len);
}

FACT(g_sh_compression, field_put_int, h->sh.compression, h->sh.seen)

/* ---- hello lists -------------------------------------------------------- */

/* The hellos' list rows are data: each names the list it reads, and one
 * reader serves them all. The lists are HS_LIST, so a count is the list's
 * n as the dissector left it. */
enum hello_list {
    CH_CIPHERS,
    CH_VERSIONS,
    CH_GROUPS,
    CH_KEY_SHARES,
    CH_SIGALGS,
    CH_POINT_FORMATS,
    CH_EXTENSIONS,
    CH_COMPRESSION,
    SH_EXTENSIONS,
};

static size_t hello_list_count(const void *arg, const struct handshake *h)
{
    const struct client_hello *ch = &h->ch;
    enum hello_list list = *(const enum hello_list *)arg;
    if (list == SH_EXTENSIONS)
        return h->sh.seen ? h->sh.extensions.n : 0;
    if (!ch->seen)
        return 0;
    switch (list) {
    case CH_CIPHERS: return ch->ciphers.n;
    case CH_VERSIONS:
        return ch->has_supported_versions ? ch->versions.n : 0;
    case CH_GROUPS: return ch->groups.n;
    case CH_KEY_SHARES: return ch->key_shares.n;
    case CH_SIGALGS: return ch->sigalgs.n;
    case CH_POINT_FORMATS: return ch->point_formats.n;
    case CH_EXTENSIONS: return ch->extensions.n;
    case CH_COMPRESSION: return ch->compression.n;
    case SH_EXTENSIONS: break;
    }
    return 0;
}

/* GREASE values are no part of a list's value (but extensions name it). */
static bool hello_list_item(const void *arg, const struct handshake *h,
                            size_t i, struct field_value *v, char *scratch,
                            size_t len)
{
    const struct client_hello *ch = &h->ch;
    uint16_t code;
    switch (*(const enum hello_list *)arg) {
    case CH_CIPHERS: {
        uint32_t suite = client_hello_cipher(ch, i);
        if (suite <= 0xffff && tls_is_grease((uint16_t)suite))
            return false;
        return field_put_str(v, fields_cipher_string(suite, scratch, len));
    }
    case CH_VERSIONS:
        code = ch->versions.v[i];
        return !tls_is_grease(code) &&
               field_put_str(v, fields_version_number(code, scratch, len));
    case CH_GROUPS:
        code = ch->groups.v[i];
        return !tls_is_grease(code) &&
               field_put_str(v, group_string(code, scratch, len));
    case CH_KEY_SHARES:
        code = ch->key_shares.v[i].group;
        return !tls_is_grease(code) &&
               field_put_str(v, group_string(code, scratch, len));
    case CH_SIGALGS:
        code = ch->sigalgs.v[i];
        return !tls_is_grease(code) &&
               field_put_str(v, named_code16(tls_sigalg_name, code, scratch,
                                             len));
    case CH_POINT_FORMATS: return field_put_int(v, ch->point_formats.v[i]);
    case CH_EXTENSIONS:
        return field_put_str(v, extension_string(ch->extensions.v[i],
                                                 scratch, len));
    case CH_COMPRESSION: return field_put_int(v, ch->compression.v[i]);
    case SH_EXTENSIONS:
        return field_put_str(v, extension_string(h->sh.extensions.v[i],
                                                 scratch, len));
    }
    return false;
}

static const struct field_reader hello_list_reader = {
    list_reader_get, hello_list_count, hello_list_item,
};

/* ---- tlsmon.*: certificates and later messages -------------------------- */

/* The total counts certificates past the kept ones. */
static int64_t cert_count(const struct cert_chain *c)
{
    return c->n_certs_total > c->n_certs ? c->n_certs_total : c->n_certs;
}

FACT(g_server_certs_count, field_put_int, cert_count(&h->server_certs),
     h->server_certs.seen)
FACT(g_client_certs_count, field_put_int,
     cert_count(&hs_rare(h)->client_certs), hs_rare(h)->client_certs.seen)
FACT(g_certificate_request, field_put_bool, h->certificate_request, h->sh.seen)
FACT(g_client_cert_empty, field_put_bool, h->client_cert_empty,
     h->certificate_request || h->client_cert_empty)
FACT(g_new_session_ticket, field_put_bool, h->new_session_ticket, h->sh.seen)
FACT(g_encrypted_client, field_put_int, h->encrypted_records[TLS_SIDE_CLIENT],
     true)
FACT(g_encrypted_server, field_put_int, h->encrypted_records[TLS_SIDE_SERVER],
     true)
FACT(g_app_data_client, field_put_bool, h->app_data[TLS_SIDE_CLIENT], true)
FACT(g_client_hangup, field_put_bool,
     h->client_closed_after_handshake == EVIDENCE_YES,
     h->outcome == OUTCOME_ESTABLISHED &&
         h->client_closed_after_handshake != EVIDENCE_NONE)
FACT(g_app_data_server, field_put_bool, h->app_data[TLS_SIDE_SERVER], true)

/* ---- tlsmon.decryption.*: what a key log opened ------------------------- */

FACT(g_decrypted, field_put_bool, h->decryption.records > 0, keylog_applied(h))
FACT(g_decryption_records, field_put_int, h->decryption.records,
     h->decryption.attempted)
FACT(g_decryption_failed, field_put_int, h->decryption.failed,
     h->decryption.attempted)

static bool g_decryption_status(const struct handshake *h,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    UNUSED_SCRATCH;
    const struct decryption *d = &h->decryption;
    if (d->unsupported)
        return field_put_str(v, "unsupported_cipher");
    if (d->no_client_hello)
        return field_put_str(v, "no_client_hello");
    if (!d->attempted)
        return false;
    if (d->records > 0)
        return field_put_str(v, d->failed || d->missing ? "partial"
                                                        : "decrypted");
    if (d->failed)
        return field_put_str(v, "failed");
    return field_put_str(v, d->missing ? "no_key" : "nothing_to_decrypt");
}

static size_t c_decryption_missing(const struct handshake *h)
{
    return h->decryption.missing ? KEYLOG_SECRETS : 0;
}

static bool i_decryption_missing(const struct handshake *h, size_t i,
                                 struct field_value *v, char *scratch,
                                 size_t len)
{
    UNUSED_SCRATCH;
    if (!(h->decryption.missing & (1u << i)))
        return false;
    return field_put_str(v, keylog_label((enum keylog_secret)i));
}

/* The handshake messages read from one side's decrypted records: both
 * rows are data naming the side (an enum tls_side), and this reader serves
 * them. A slot is a handshake type. */
static size_t decrypted_messages_count(const void *arg,
                                       const struct handshake *h)
{
    enum tls_side side = *(const enum tls_side *)arg;
    return h->decryption.messages[side] ? 32 : 0;
}

static bool decrypted_messages_item(const void *arg, const struct handshake *h,
                                    size_t i, struct field_value *v,
                                    char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    enum tls_side side = *(const enum tls_side *)arg;
    if (!(h->decryption.messages[side] & (1u << i)))
        return false;
    const char *name = tls_handshake_type_name((uint8_t)i);
    return field_put_str(v, name ? name : "unknown");
}

static const struct field_reader decrypted_messages_reader = {
    list_reader_get, decrypted_messages_count, decrypted_messages_item,
};

static bool g_cert_compression(const struct handshake *h,
                               struct field_value *v, char *scratch,
                               size_t len)
{
    uint16_t alg = h->decryption.cert_compression;
    const char *name = cert_compression_name(alg);
    if (!alg)
        return false;
    return field_put_str(v, name ? name : fields_hex_code(alg, 4, false,
                                                          scratch, len));
}

/* ---- tlsmon.*: flow and stream quality ---------------------------------- */

TEXT_FACT(g_ndpi_protocol, report->ndpi_protocol)
TEXT_FACT(g_ndpi_app, report->ndpi_app)
TEXT_FACT(g_ndpi_category, report->ndpi_category)
FACT(g_gaps, field_put_int, h->gaps, true)
FACT(g_gap_bytes, field_put_int, (int64_t)h->gap_bytes, true)
FACT(g_midstream, field_put_bool, h->midstream, true)
FACT(g_roles_inferred, field_put_bool, !h->roles_from_syn, true)
FACT(g_resynced, field_put_bool, h->resynced, true)
FACT(g_stream_capped, field_put_bool, true, h->stream_capped)

static bool g_parse_error(const struct handshake *h, struct field_value *v,
                          char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    if (!h->parse_error)
        return false;
    if (!field_put_cstr(v, h->parse_error_what, sizeof(h->parse_error_what)))
        return field_put_str(v, "unknown");
    return true;
}

/* Only on records with a parse error whose parser said what it found. */
#define HAS_PARSE_FAULT                                                        \
    (h->parse_error && h->parse_fault.kind != PARSE_FAULT_NONE)
FACT(g_parse_fault, field_put_str, parse_fault_name(h->parse_fault.kind),
     HAS_PARSE_FAULT)
FACT(g_parse_fault_offset, field_put_int, (int64_t)h->parse_fault.offset,
     HAS_PARSE_FAULT)

TEXT_FACT(g_not_tls_preview, not_tls_preview)
FACT(g_starttls, field_put_str,
     starttls_proto_name((enum starttls_proto)h->starttls), true)
static bool g_starttls_refusal(const struct handshake *h,
                               struct field_value *v, char *scratch,
                               size_t len)
{
    (void)scratch, (void)len;
    const char *refusal = hs_rare(h)->starttls_refusal;
    return field_put_cstr(v, refusal, sizeof hs_rare(h)->starttls_refusal);
}

static bool g_truncated(const struct handshake *h, struct field_value *v,
                        char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    bool t = h->ch.truncated || h->ch.alpn_truncated ||
             (h->ch2 && (h->ch2->truncated || h->ch2->alpn_truncated)) ||
             h->sh.extensions.total > h->sh.extensions.n ||
             hs_rare(h)->alerts.total > hs_rare(h)->alerts.n;
    return field_put_bool(v, t);
}

/* ---- certificates (dissectors/x509.c) ----------------------------------
 * The same getters for the server's and the client's chain. A leaf fact is
 * there only when OpenSSL parsed the leaf; a verdict only when the stage
 * could decide it (see struct cert_result). */

static uint64_t cert_time_us(int64_t seconds)
{
    return seconds > 0 ? (uint64_t)seconds * 1000000u : 0;
}

/* The PEM blocks of a chain are stored back to back, each NUL-terminated. */
static const char *cert_pem_at(const struct cert_result *r, size_t i)
{
    const char *p = r->pem;
    for (size_t k = 0; p && k < i; k++)
        p += strlen(p) + 1;
    return p && p[0] ? p : NULL;
}

/* Certificate rows are data: each names the certificate and the fact it
 * reads (struct cert_row), and one reader serves them all. */
enum cert_side { CERT_OF_SERVER, CERT_OF_CLIENT };

enum cert_fact {
    /* Lists. ECS names hold lists (subject.common_name, organization,
     * country): one CN, the most specific, and the first O and C values. */
    CERT_SUBJECT_CN,
    CERT_ISSUER_CN,
    CERT_SUBJECT_O,
    CERT_ISSUER_O,
    CERT_SUBJECT_C,
    CERT_ISSUER_C,
    CERT_SANS,
    CERT_PEM,
    CERT_CHAIN,
    CERT_KEY_USAGE,
    CERT_EKU,
    CERT_OCSP_URLS,
    CERT_CA_ISSUERS_URLS,
    CERT_CRL_URLS,
    /* Scalars. */
    CERT_X509_VERSION,
    CERT_SUBJECT,
    CERT_ISSUER,
    CERT_SERIAL,
    CERT_KEY_ALG,
    CERT_CURVE,
    CERT_SIG_ALG,
    CERT_SHA256,
    CERT_SHA1,
    CERT_KEY_SIZE,
    CERT_NOT_BEFORE,
    CERT_NOT_AFTER,
    CERT_VISIBLE,
    CERT_MALFORMED,
    CERT_EXPIRED,
    CERT_NOT_YET_VALID,
    CERT_DAYS_TO_EXPIRY,
    CERT_SELF_SIGNED,
    CERT_OUT_OF_ORDER,
    CERT_INCOMPLETE,
    CERT_UNTRUSTED,
    CERT_VERIFY_ERROR,
    CERT_UNVERIFIABLE,
    CERT_UNVERIFIABLE_ALG,
    CERT_LIFETIME_DAYS,
    CERT_MAX_LIFETIME,
    CERT_LIFETIME_LEFT,
    CERT_RENEWAL_OVERDUE,
    CERT_WEAK_KEY,
    CERT_WEAK_SIGNATURE,
    CERT_VALIDITY_TOO_LONG,
    CERT_CA,
    CERT_PATH_LEN,
    CERT_WRONG_PURPOSE,
};

struct cert_row {
    enum cert_side side;
    enum cert_fact fact;
};

static const struct cert_result *cert_of(const struct handshake *h,
                                         const struct cert_row *row)
{
    return row->side == CERT_OF_CLIENT ? &h->report->client_cert
                                       : &h->report->server_cert;
}

/* Whether the stage that decides a scalar fact ran: the dates for a date
 * verdict, the chain for a chain verdict, OpenSSL's parse of the leaf for
 * the leaf's own facts. Some facts are absent in more cases than that
 * (cert_fact_value says which). */
static bool cert_fact_decided(const struct cert_result *c,
                              enum cert_fact fact)
{
    switch (fact) {
    case CERT_VISIBLE: return c->analyzed;
    case CERT_MALFORMED: return c->visible;
    case CERT_NOT_BEFORE:
    case CERT_NOT_AFTER:
    case CERT_EXPIRED:
    case CERT_NOT_YET_VALID:
    case CERT_DAYS_TO_EXPIRY:
    case CERT_LIFETIME_DAYS:
    case CERT_MAX_LIFETIME:
    case CERT_LIFETIME_LEFT:
    case CERT_RENEWAL_OVERDUE:
        return c->times_checked;
    case CERT_OUT_OF_ORDER:
    case CERT_INCOMPLETE:
    case CERT_UNTRUSTED:
    case CERT_VERIFY_ERROR:
    case CERT_UNVERIFIABLE:
        return c->chain_checked;
    default: /* a fact of the leaf */
        return c->leaf_parsed;
    }
}

/* A text of the certificate's record. */
#define TEXT(member) field_put_cstr(v, c->member, sizeof(c->member))

/* A scalar fact's value, once its stage decided it. */
static bool cert_fact_value(const struct cert_result *c, enum cert_fact fact,
                            struct field_value *v, char *scratch, size_t len)
{
    switch (fact) {
    case CERT_X509_VERSION:
        return c->version_number &&
               field_put_str(v, fields_decimal_code("", c->version_number,
                                                    scratch, len));
    case CERT_SUBJECT: return TEXT(subject);
    case CERT_ISSUER: return TEXT(issuer);
    case CERT_SERIAL: return TEXT(serial);
    case CERT_KEY_ALG: return TEXT(key_alg);
    case CERT_CURVE: return TEXT(curve);
    case CERT_SIG_ALG: return TEXT(sig_alg);
    case CERT_SHA256: return TEXT(sha256);
    case CERT_SHA1: return TEXT(sha1);
    case CERT_UNVERIFIABLE_ALG: return TEXT(unverifiable_alg);
    case CERT_KEY_SIZE: return field_put_int(v, c->key_bits) && c->key_bits;
    case CERT_NOT_BEFORE:
        return field_put_time(v, cert_time_us(c->not_before));
    case CERT_NOT_AFTER: return field_put_time(v, cert_time_us(c->not_after));
    case CERT_VISIBLE: return field_put_bool(v, c->visible);
    case CERT_MALFORMED: return field_put_bool(v, c->malformed);
    case CERT_EXPIRED: return field_put_bool(v, c->expired);
    case CERT_NOT_YET_VALID: return field_put_bool(v, c->not_yet_valid);
    case CERT_DAYS_TO_EXPIRY: return field_put_int(v, c->days_to_expiry);
    case CERT_SELF_SIGNED: return field_put_bool(v, c->self_signed);
    case CERT_OUT_OF_ORDER: return field_put_bool(v, c->chain_out_of_order);
    /* A signature this OpenSSL cannot verify gets no trust verdict; the
     * verify error then says so. */
    case CERT_INCOMPLETE:
        return field_put_bool(v, c->incomplete_chain) &&
               !c->signature_unverifiable;
    case CERT_UNTRUSTED:
        return field_put_bool(v, c->untrusted) && !c->signature_unverifiable;
    case CERT_VERIFY_ERROR:
        return field_put_str(v, c->verify_error) &&
               (c->verify_code != 0 || c->signature_unverifiable);
    case CERT_UNVERIFIABLE:
        return field_put_bool(v, c->signature_unverifiable);
    /* 0 days: no maximum applied at the issue date; -1 %: unknown. */
    case CERT_LIFETIME_DAYS:
        return field_put_int(v, c->lifetime_days) && c->lifetime_days > 0;
    case CERT_MAX_LIFETIME:
        return field_put_int(v, c->max_lifetime_days) &&
               c->max_lifetime_days > 0;
    case CERT_LIFETIME_LEFT:
        return field_put_int(v, c->lifetime_left_pct) &&
               c->lifetime_left_pct >= 0;
    case CERT_RENEWAL_OVERDUE:
        return field_put_bool(v, c->renewal_overdue) &&
               c->lifetime_left_pct >= 0;
    case CERT_WEAK_KEY: return field_put_bool(v, c->weak_key);
    case CERT_WEAK_SIGNATURE: return field_put_bool(v, c->weak_signature);
    case CERT_VALIDITY_TOO_LONG:
        return field_put_bool(v, c->validity_too_long);
    case CERT_CA: return field_put_bool(v, c->leaf_ca);
    case CERT_PATH_LEN:
        return field_put_int(v, c->path_len) && c->path_len >= 0;
    case CERT_WRONG_PURPOSE: return field_put_bool(v, c->wrong_purpose);
    default: /* a list fact */
        return false;
    }
}

static bool cert_fact_get(const void *arg, const struct handshake *h,
                          struct field_value *v, char *scratch, size_t len)
{
    const struct cert_row *row = arg;
    const struct cert_result *c = cert_of(h, row);
    return cert_fact_decided(c, row->fact) &&
           cert_fact_value(c, row->fact, v, scratch, len);
}

static size_t cert_fact_count(const void *arg, const struct handshake *h)
{
    const struct cert_row *row = arg;
    const struct cert_result *c = cert_of(h, row);
    if (row->fact == CERT_PEM)
        return c->pem ? c->n_summaries : 0;
    if (row->fact == CERT_CHAIN)
        return c->visible ? c->n_summaries : 0;
    if (!c->leaf_parsed)
        return 0;
    switch (row->fact) {
    case CERT_SUBJECT_CN:
    case CERT_ISSUER_CN: return 1;
    case CERT_SUBJECT_O: return c->n_subject_o;
    case CERT_ISSUER_O: return c->n_issuer_o;
    case CERT_SUBJECT_C: return c->n_subject_c;
    case CERT_ISSUER_C: return c->n_issuer_c;
    case CERT_SANS: return c->sans.n;
    case CERT_KEY_USAGE: return c->has_key_usage ? 9 : 0;
    case CERT_EKU: return c->has_eku ? 8 : 0;
    case CERT_OCSP_URLS: return c->n_ocsp_urls;
    case CERT_CA_ISSUERS_URLS: return c->n_ca_issuers_urls;
    case CERT_CRL_URLS: return c->n_crl_urls;
    default: /* a scalar fact */
        return 0;
    }
}

/* Entry i of a fixed array of texts (i is below its count, which the
 * certificate stage keeps within the array). */
#define ARRAY_TEXT(array)                                                     \
    field_put_cstr(v, c->array[i], sizeof(c->array[i]))

static bool cert_fact_item(const void *arg, const struct handshake *h,
                           size_t i, struct field_value *v, char *scratch,
                           size_t len)
{
    UNUSED_SCRATCH;
    const struct cert_row *row = arg;
    const struct cert_result *c = cert_of(h, row);
    switch (row->fact) {
    case CERT_SUBJECT_CN:
        return field_put_cstr(v, c->subject_cn, sizeof(c->subject_cn));
    case CERT_ISSUER_CN:
        return field_put_cstr(v, c->issuer_cn, sizeof(c->issuer_cn));
    case CERT_SUBJECT_O: return ARRAY_TEXT(subject_o);
    case CERT_ISSUER_O: return ARRAY_TEXT(issuer_o);
    case CERT_SUBJECT_C: return ARRAY_TEXT(subject_c);
    case CERT_ISSUER_C: return ARRAY_TEXT(issuer_c);
    case CERT_SANS:
        return field_put_cstr(v, c->sans.v[i].text, sizeof c->sans.v[i].text);
    case CERT_PEM: return field_put_str(v, cert_pem_at(c, i));
    case CERT_CHAIN:
        return i < c->n_summaries && c->chain[i].parsed &&
               field_put_cstr(v, c->chain[i].subject_cn,
                              sizeof(c->chain[i].subject_cn));
    case CERT_KEY_USAGE:
        return (c->key_usage & (1u << i)) &&
               field_put_str(v, x509_key_usage_name((unsigned)i));
    case CERT_EKU:
        return (c->eku & (1u << i)) &&
               field_put_str(v, x509_eku_name((unsigned)i));
    case CERT_OCSP_URLS: return ARRAY_TEXT(ocsp_urls);
    case CERT_CA_ISSUERS_URLS:
        return ARRAY_TEXT(ca_issuers_urls);
    case CERT_CRL_URLS: return ARRAY_TEXT(crl_urls);
    default: /* a scalar fact */
        return false;
    }
}

static const struct field_reader cert_reader = {
    cert_fact_get, cert_fact_count, cert_fact_item,
};
/* Only a server is checked against a name: the SNI. */
FACT(g_scert_hostname_mismatch, field_put_bool,
     h->report->server_cert.hostname_mismatch,
     h->report->server_cert.hostname_checked)
/* Only a server leaf meets a client's clock. */
FACT(g_scert_client_clock, field_put_bool, h->report->server_cert.client_clock,
     h->report->server_cert.times_checked)

/* Certificate Transparency and the browsers' distrust dates: facts of a
 * server leaf (browsers apply neither to client certificates). */
FACT(g_scert_sct_count, field_put_int, h->report->server_cert.n_scts,
     h->report->server_cert.leaf_parsed)
FACT(g_scert_sct_earliest, field_put_time,
     h->report->server_cert.sct_earliest_us,
     h->report->server_cert.leaf_parsed)
FACT(g_scert_sct_malformed, field_put_bool,
     h->report->server_cert.scts_malformed,
     h->report->server_cert.has_scts)

/* CT log ids are written in base64, as RFC 6962 and the log lists do. */
static const char *base64_32(const uint8_t in[32], char *out, size_t n)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    if (n < 45) {
        if (n)
            out[0] = '\0';
        return out;
    }
    for (size_t i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < 32)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < 32)
            v |= in[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < 32 ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static size_t c_scert_sct_logs(const struct handshake *h)
{
    return h->report->server_cert.leaf_parsed
               ? h->report->server_cert.n_sct_logs
               : 0;
}

static bool i_scert_sct_logs(const struct handshake *h, size_t i,
                             struct field_value *v, char *scratch, size_t len)
{
    return field_put_str(v, base64_32(h->report->server_cert.sct_log_ids[i],
                                      scratch, len));
}

static size_t c_scert_distrusted_by(const struct handshake *h)
{
    return h->report->server_cert.chain_checked
               ? h->report->server_cert.n_distrusted_by
               : 0;
}

static bool i_scert_distrusted_by(const struct handshake *h, size_t i,
                                  struct field_value *v, char *scratch,
                                  size_t len)
{
    UNUSED_SCRATCH;
    return field_put_cstr(v, h->report->server_cert.distrusted_by[i],
                          sizeof(h->report->server_cert.distrusted_by[i]));
}

FACT(g_scert_distrusted_ca, field_put_str,
     h->report->server_cert.distrusted_ca,
     h->report->server_cert.chain_checked &&
         h->report->server_cert.n_distrusted_by > 0)
FACT(g_scert_distrust_basis, field_put_str,
     h->report->server_cert.distrust_by_sct ? "sct" : "not_before",
     h->report->server_cert.chain_checked &&
         h->report->server_cert.n_distrusted_by > 0)

/* ---- tlsmon.quic.*, tlsmon.dtls.*, tlsmon.icmp.* ------------------------ */

#define QUIC_FACT(fn, put, value, present)                                    \
    FACT(fn, put, value, over_quic(h) && (present))
#define DTLS_FACT(fn, put, value, present)                                    \
    FACT(fn, put, value, over_dtls(h) && (present))

static bool quic_version_value(uint32_t version, struct field_value *v,
                               char *scratch, size_t len)
{
    return field_put_str(v, quic_version_name(version, scratch, len));
}

static bool g_quic_version(const struct handshake *h, struct field_value *v,
                           char *scratch, size_t len)
{
    return over_quic(h) && quic_of(h)->version &&
           quic_version_value(quic_of(h)->version, v, scratch, len);
}

static bool g_quic_client_version(const struct handshake *h,
                                  struct field_value *v, char *scratch,
                                  size_t len)
{
    return over_quic(h) && quic_of(h)->client_version &&
           quic_version_value(quic_of(h)->client_version, v, scratch, len);
}

static bool g_quic_dcid(const struct handshake *h, struct field_value *v,
                        char *scratch, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const struct quic_facts *q = quic_of(h);
    if (!over_quic(h) || q->dcid_len == 0 ||
        len < 2u * q->dcid_len + 1)
        return false;
    for (size_t i = 0; i < q->dcid_len && i < sizeof q->dcid; i++) {
        scratch[2 * i] = hex[q->dcid[i] >> 4];
        scratch[2 * i + 1] = hex[q->dcid[i] & 15];
    }
    scratch[2 * q->dcid_len] = '\0';
    return field_put_str(v, scratch);
}

static size_t c_quic_server_versions(const struct handshake *h)
{
    if (!over_quic(h))
        return 0;
    return quic_of(h)->server_versions.n;
}

static bool i_quic_server_versions(const struct handshake *h, size_t i,
                                   struct field_value *v, char *scratch,
                                   size_t len)
{
    return quic_version_value(quic_of(h)->server_versions.v[i], v, scratch,
                              len);
}

QUIC_FACT(g_quic_initial_decrypted, field_put_bool,
          quic_of(h)->initial_decrypted, true)
QUIC_FACT(g_quic_retry, field_put_bool, quic_of(h)->retry, true)
QUIC_FACT(g_quic_vn, field_put_bool, quic_of(h)->version_negotiation, true)
/* Only when it happened: most runs never spend a budget. */
QUIC_FACT(g_quic_initial_skipped, field_put_bool,
          quic_of(h)->initial_skipped, quic_of(h)->initial_skipped)
QUIC_FACT(g_quic_zero_rtt, field_put_bool, quic_of(h)->zero_rtt, true)
QUIC_FACT(g_quic_tcp_fallback, field_put_bool, quic_of(h)->tcp_fallback, true)
QUIC_FACT(g_quic_initial_client, field_put_int,
          quic_of(h)->packets_initial[TLS_SIDE_CLIENT], true)
QUIC_FACT(g_quic_initial_server, field_put_int,
          quic_of(h)->packets_initial[TLS_SIDE_SERVER], true)
QUIC_FACT(g_quic_handshake_client, field_put_int,
          quic_of(h)->packets_handshake[TLS_SIDE_CLIENT], true)
QUIC_FACT(g_quic_handshake_server, field_put_int,
          quic_of(h)->packets_handshake[TLS_SIDE_SERVER], true)
QUIC_FACT(g_quic_short_client, field_put_int,
          quic_of(h)->packets_1rtt[TLS_SIDE_CLIENT],
          true)
QUIC_FACT(g_quic_short_server, field_put_int,
          quic_of(h)->packets_1rtt[TLS_SIDE_SERVER],
          true)
QUIC_FACT(g_quic_close_code, field_put_int,
          (int64_t)quic_of(h)->close_error_code,
          quic_of(h)->close_seen && quic_of(h)->close_error_code <= INT64_MAX)
QUIC_FACT(g_quic_close_sender, field_put_str,
          fields_side_name(quic_of(h)->close_sender), quic_of(h)->close_seen)

/* RFC 9000 §20.1, RFC 9368 §10.2; crypto errors named by their alert. */
static bool g_quic_close_error(const struct handshake *h,
                               struct field_value *v, char *scratch,
                               size_t len)
{
    static const char *const names[] = {
        "NO_ERROR", "INTERNAL_ERROR", "CONNECTION_REFUSED",
        "FLOW_CONTROL_ERROR", "STREAM_LIMIT_ERROR", "STREAM_STATE_ERROR",
        "FINAL_SIZE_ERROR", "FRAME_ENCODING_ERROR",
        "TRANSPORT_PARAMETER_ERROR", "CONNECTION_ID_LIMIT_ERROR",
        "PROTOCOL_VIOLATION", "INVALID_TOKEN", "APPLICATION_ERROR",
        "CRYPTO_BUFFER_EXCEEDED", "KEY_UPDATE_ERROR", "AEAD_LIMIT_REACHED",
        "NO_VIABLE_PATH", "VERSION_NEGOTIATION_ERROR"};
    uint64_t code = quic_of(h)->close_error_code;
    if (!over_quic(h) || !quic_of(h)->close_seen)
        return false;
    if (quic_of(h)->close_application)
        return field_put_str(v, "application");
    if (code < sizeof names / sizeof names[0])
        return field_put_str(v, names[code]);
    if (code >= 0x100 && code <= 0x1ff) {
        char alert[24];
        snprintf(scratch, len, "CRYPTO_ERROR(%s)",
                 fields_alert_description((uint8_t)(code - 0x100), alert,
                                          sizeof alert));
        return field_put_str(v, scratch);
    }
    uint32_t clamped = (uint32_t)(code > 0xffffffffu ? 0xffffffffu : code);
    return field_put_str(v, fields_hex_code(clamped, 8, false, scratch, len));
}

static bool g_quic_close_reason(const struct handshake *h,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    UNUSED_SCRATCH;
    return over_quic(h) && quic_of(h)->close_seen &&
           field_put_cstr(v, quic_of(h)->close_reason,
                          sizeof quic_of(h)->close_reason);
}

DTLS_FACT(g_dtls_hvr, field_put_bool, h->dtls.hello_verify_request, true)
DTLS_FACT(g_dtls_cookie_len, field_put_int,
          h->dtls.hello_verify_request ? h->dtls.cookie_len : h->ch.cookie_len,
          h->dtls.hello_verify_request || h->ch.cookie_len)
DTLS_FACT(g_dtls_retransmissions, field_put_int, h->dtls.retransmissions, true)
DTLS_FACT(g_dtls_fragmented, field_put_int, h->dtls.fragmented_messages, true)
DTLS_FACT(g_dtls_stun, field_put_bool, h->dtls.stun, true)
DTLS_FACT(g_dtls_unified, field_put_bool, h->dtls.unified_header, true)

static bool g_icmp_unreachable(const struct handshake *h,
                               struct field_value *v, char *scratch,
                               size_t len)
{
    UNUSED_SCRATCH;
    switch ((enum icmp_unreach)h->icmp_unreach) {
    case ICMP_UNREACH_NONE: return false;
    case ICMP_UNREACH_PORT: return field_put_str(v, "port");
    case ICMP_UNREACH_HOST: return field_put_str(v, "host");
    case ICMP_UNREACH_NET: return field_put_str(v, "network");
    case ICMP_UNREACH_PROHIBITED: return field_put_str(v, "prohibited");
    case ICMP_UNREACH_OTHER: break;
    }
    return field_put_str(v, "other");
}

static const char *const cipher_weakness_names[] = {
    "no_forward_secrecy", "rc4", "3des", "null", "export", "anonymous", "cbc",
};
static size_t c_cipher_weaknesses(const struct handshake *h)
{
    return h->sh.seen ? sizeof(cipher_weakness_names) /
                            sizeof(cipher_weakness_names[0])
                      : 0;
}
static bool i_cipher_weaknesses(const struct handshake *h, size_t i,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    UNUSED_SCRATCH;
    return (tls_cipher_flags(h->sh.cipher) & (1u << i)) &&
           field_put_str(v, cipher_weakness_names[i]);
}
FACT(g_cipher_forward_secrecy, field_put_bool,
     !(tls_cipher_flags(h->sh.cipher) & (TLS_CIPHER_NO_PFS | TLS_CIPHER_ANON |
                                         TLS_CIPHER_NULL)),
     h->sh.seen && tls_cipher_name(h->sh.cipher))

/* Suites with forward secrecy and an AEAD, none of the known weaknesses. */
static bool g_ch_modern_ciphers(const struct handshake *h,
                                struct field_value *v, char *scratch,
                                size_t len)
{
    UNUSED_SCRATCH;
    if (!h->ch.seen)
        return false;
    int64_t n = 0;
    for (size_t i = 0; i < h->ch.ciphers.n; i++)
        n += tls_cipher_is_modern(client_hello_cipher(&h->ch, i));
    return field_put_int(v, n);
}

/* Roots are not meant to be sent: a chain that stops at a CA is missing
 * its root (trust), one that stops at the leaf its intermediates. */
FACT(g_scert_ends_at_ca, field_put_bool,
     h->report->server_cert.n_summaries > 0 &&
         h->report->server_cert.chain[h->report->server_cert.n_summaries - 1]
             .is_ca,
     h->report->server_cert.chain_checked &&
         h->report->server_cert.n_summaries > 0)

/* OCSP stapling: asked for, sent, and what the response says of the leaf. */
FACT(g_ocsp_requested, field_put_bool, h->ch.status_request, h->ch.seen)
FACT(g_ocsp_stapled, field_put_bool, h->ocsp.seen,
     h->sh.seen && h->sh.version != TLS_V_1_3)
FACT(g_ocsp_response_status, field_put_str,
     ocsp_response_status_name(h->report->ocsp_result.response_status),
     h->report->ocsp_result.parsed)
FACT(g_ocsp_cert_status, field_put_str,
     ocsp_cert_status_name((enum ocsp_cert_status)
                               h->report->ocsp_result.cert_status),
     h->report->ocsp_result.cert_status != OCSP_CERT_NONE)
FACT(g_ocsp_reason, field_put_str,
     ocsp_reason_name(h->report->ocsp_result.reason),
     h->report->ocsp_result.cert_status == OCSP_CERT_REVOKED &&
         h->report->ocsp_result.reason >= 0)
FACT(g_ocsp_this_update, field_put_time,
     cert_time_us(h->report->ocsp_result.this_update),
     h->report->ocsp_result.this_update > 0)
FACT(g_ocsp_next_update, field_put_time,
     cert_time_us(h->report->ocsp_result.next_update),
     h->report->ocsp_result.next_update > 0)
FACT(g_ocsp_revoked_at, field_put_time,
     cert_time_us(h->report->ocsp_result.revoked_at),
     h->report->ocsp_result.revoked_at > 0)
/* Revoked only on the server's own stapled word; absent without it. */
FACT(g_scert_revoked, field_put_bool,
     h->report->ocsp_result.cert_status == OCSP_CERT_REVOKED,
     h->report->ocsp_result.cert_status != OCSP_CERT_NONE)

TEXT_FACT(g_ndpi_server_name, report->ndpi_server_name)
FACT(g_ndpi_tls_version, field_put_version, h->report->ndpi_tls_version,
     h->report->ndpi_tls_version != 0)

static size_t c_ndpi_risks(const struct handshake *h)
{
    return h->report->ndpi_risks ? 64 : 0;
}
static bool i_ndpi_risks(const struct handshake *h, size_t i,
                         struct field_value *v, char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    return (h->report->ndpi_risks & (1ULL << i)) &&
           field_put_str(v, classify_risk_name((unsigned)i));
}

/* Fingerprints: hashes and their strings, both made once into the report. */
TEXT_FACT(g_ja3, report->ja3)
TEXT_FACT(g_ja3s, report->ja3s)
TEXT_FACT(g_ja4, report->ja4)
FACT(g_ja3_string, field_put_str, fingerprint_ja3_string(h), true)
FACT(g_ja3s_string, field_put_str, fingerprint_ja3s_string(h), true)
FACT(g_ja4_r, field_put_str, fingerprint_ja4_r(h), true)

/* The first weak certificate of the chain by name, with what makes it
 * weak: it need not be the leaf. */
static bool g_scert_weak_key_cert(const struct handshake *h,
                                  struct field_value *v, char *scratch,
                                  size_t len)
{
    const struct cert_result *r = &h->report->server_cert;
    if (!r->weak_key || r->weak_key_at < 0 || r->weak_key_at >= r->n_summaries)
        return false;
    const struct cert_summary *c = &r->chain[r->weak_key_at];
    snprintf(scratch, len, "%s (%s %u bits, certificate %d of %u)",
             c->subject_cn[0] ? c->subject_cn : "no CN", c->key_alg,
             (unsigned)c->key_bits, r->weak_key_at + 1,
             (unsigned)r->n_summaries);
    return field_put_str(v, scratch);
}
static bool g_scert_weak_sig_cert(const struct handshake *h,
                                  struct field_value *v, char *scratch,
                                  size_t len)
{
    const struct cert_result *r = &h->report->server_cert;
    if (!r->weak_signature || r->weak_signature_at < 0 ||
        r->weak_signature_at >= r->n_summaries)
        return false;
    const struct cert_summary *c = &r->chain[r->weak_signature_at];
    snprintf(scratch, len, "%s (%s, certificate %d of %u)",
             c->subject_cn[0] ? c->subject_cn : "no CN", c->sig_alg,
             r->weak_signature_at + 1, (unsigned)r->n_summaries);
    return field_put_str(v, scratch);
}
FACT(g_scert_trust_store_newer, field_put_bool,
     h->report->server_cert.trust_store_newer,
     h->report->server_cert.chain_checked &&
         !h->report->server_cert.custom_trust)

/* How the ClientHello crossed TCP. */
FACT(g_hello_segments, field_put_int, h->hello_tcp.segments,
     hello_crossed_tcp(h))
FACT(g_hello_retrans, field_put_int, h->hello_tcp.retransmissions,
     hello_crossed_tcp(h))
FACT(g_hello_largest, field_put_int, h->hello_tcp.largest_segment,
     hello_crossed_tcp(h))
FACT(g_hello_acked, field_put_bool, h->hello_tcp.acked, hello_crossed_tcp(h))
FACT(g_hello_early, field_put_bool, h->hello_tcp.server_reacted_early,
     hello_crossed_tcp(h))

FACT(g_hb_client, field_put_int, h->heartbeat.records[TLS_SIDE_CLIENT],
     has_heartbeat(h))
FACT(g_hb_server, field_put_int, h->heartbeat.records[TLS_SIDE_SERVER],
     has_heartbeat(h))
FACT(g_hb_overread, field_put_bool, h->heartbeat.overread,
     h->heartbeat.records[TLS_SIDE_CLIENT] > 0)
FACT(g_hb_oversized, field_put_bool, h->heartbeat.oversized_response,
     h->heartbeat.records[TLS_SIDE_SERVER] > 0)

FACT(g_scert_trust_store, field_put_str,
     h->report->server_cert.custom_trust ? "custom" : "system",
     h->report->server_cert.chain_checked)

/* The certificate this server showed for the name in an earlier
 * handshake, judged at this one's time. */
#define SRV_CERT(fn, member)                                                   \
    FACT(fn, field_put_bool, h->report->server_profile.member,                \
         h->report->server_profile.cert_known)
SRV_CERT(g_srv_cert_untrusted, cert_untrusted)
SRV_CERT(g_srv_cert_incomplete, cert_incomplete_chain)
SRV_CERT(g_srv_cert_hostname_mismatch, cert_hostname_mismatch)
SRV_CERT(g_srv_cert_self_signed, cert_self_signed)
static bool g_srv_cert_expired(const struct handshake *h,
                               struct field_value *v, char *scratch,
                               size_t len)
{
    UNUSED_SCRATCH;
    const struct server_evidence *ev = &h->report->server_profile;
    uint64_t at_us = h->sh.ts_us ? h->sh.ts_us : h->flow_start_us;
    int64_t at = (int64_t)(at_us / 1000000u);
    if (!ev->cert_known || ev->cert_not_after == 0)
        return false;
    return field_put_bool(v, at > ev->cert_not_after ||
                                 at < ev->cert_not_before);
}
TEXT_FACT(g_srv_cert_subject, report->server_profile.cert_subject_cn)

FACT(g_srv_established, field_put_int, h->report->server_profile.established,
     h->report->server_profile.known)
FACT(g_srv_failed, field_put_int, h->report->server_profile.failed,
     h->report->server_profile.known)

static const uint16_t rank_versions[] = {0, TLS_V_SSL2, TLS_V_SSL3, TLS_V_1_0,
                                         TLS_V_1_1, TLS_V_1_2, TLS_V_1_3};
static size_t c_srv_versions(const struct handshake *h)
{
    return h->report->server_profile.known ? sizeof(rank_versions) /
                                         sizeof(rank_versions[0])
                                   : 0;
}
static bool i_srv_versions(const struct handshake *h, size_t i,
                           struct field_value *v, char *scratch, size_t len)
{
    return i > 0 && (h->report->server_profile.version_ranks & (1u << i)) &&
           field_put_str(v, fields_version_number(rank_versions[i], scratch,
                                                  len));
}
static size_t c_srv_ciphers(const struct handshake *h)
{
    return h->report->server_profile.n_ciphers;
}
static bool i_srv_ciphers(const struct handshake *h, size_t i,
                          struct field_value *v, char *scratch, size_t len)
{
    uint16_t suite = h->report->server_profile.ciphers[i];
    return field_put_str(v, fields_cipher_string(suite, scratch, len));
}
static size_t c_srv_groups(const struct handshake *h)
{
    return h->report->server_profile.n_groups;
}
static bool i_srv_groups(const struct handshake *h, size_t i,
                         struct field_value *v, char *scratch, size_t len)
{
    uint16_t g = h->report->server_profile.groups[i];
    const char *name = tls_group_name(g);
    return field_put_str(v, name ? name : fields_hex_code(g, 4, false, scratch,
                                                          len));
}
TEXT_FACT(g_srv_usual_issuer, report->server_profile.usual_issuer)
FACT(g_srv_usual_issuer_count, field_put_int,
     h->report->server_profile.usual_issuer_count,
     h->report->server_profile.usual_issuer_count > 0)
FACT(g_srv_version_accepted, field_put_bool,
     h->report->server_profile.offered_version_accepted == EVIDENCE_YES,
     h->report->server_profile.offered_version_accepted != EVIDENCE_NONE)
FACT(g_srv_cipher_accepted, field_put_bool,
     h->report->server_profile.offered_cipher_accepted == EVIDENCE_YES,
     h->report->server_profile.offered_cipher_accepted != EVIDENCE_NONE)
FACT(g_srv_issuer_changed, field_put_bool,
     h->report->server_profile.issuer_changed == EVIDENCE_YES,
     h->report->server_profile.issuer_changed != EVIDENCE_NONE)

/* ---- post-quantum key exchange and ECH (dissectors/posture.c) --------- */

static size_t c_pq_offered(const struct handshake *h)
{
    struct pq_posture pq;
    pq_posture(h, &pq);
    return pq.n_offered;
}

static bool i_pq_offered(const struct handshake *h, size_t i,
                         struct field_value *v, char *scratch, size_t len)
{
    uint16_t g;
    return pq_offered_at(h, i, &g) &&
           field_put_str(v, group_string(g, scratch, len));
}

static bool g_pq_offered(const struct handshake *h, struct field_value *v,
                         char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    return h->ch.seen && field_put_bool(v, c_pq_offered(h) > 0);
}

/* One getter per posture fact; `pq` is computed from the record each time
 * (a walk over at most 80 groups), so nothing is stored twice. */
#define PQ_FACT(fn, put, value, present)                                      \
    static bool fn(const struct handshake *h, struct field_value *v,          \
                   char *scratch, size_t len)                                 \
    {                                                                         \
        (void)scratch, (void)len;                                             \
        struct pq_posture pq;                                                 \
        pq_posture(h, &pq);                                                   \
        return (present) && put(v, value);                                    \
    }
PQ_FACT(g_pq_status, field_put_str, pq_status_name(pq.status),
        pq.status != PQ_STATUS_NONE)
PQ_FACT(g_pq_reason, field_put_str, pq_reason_name(pq.reason),
        pq.reason != PQ_REASON_NONE)
PQ_FACT(g_pq_kind, field_put_str, tls_pq_kind_name(pq.kind), pq.group != 0)
PQ_FACT(g_pq_share_len, field_put_int, pq.share_len, pq.share_group != 0)

static bool g_pq_group(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    struct pq_posture pq;
    pq_posture(h, &pq);
    return pq.group && field_put_str(v, group_string(pq.group, scratch, len));
}

static bool g_pq_share(const struct handshake *h, struct field_value *v,
                       char *scratch, size_t len)
{
    struct pq_posture pq;
    pq_posture(h, &pq);
    return pq.share_group &&
           field_put_str(v, group_string(pq.share_group, scratch, len));
}

/* ECH facts of the ClientHello: the outer form carries them all. */
#define ECH_OUTER(h) (has_ech(h) && (h)->ch.ech_info.type == ECH_OUTER)
FACT(g_ech_type, field_put_str,
     h->ch.ech_info.type == ECH_OUTER   ? "outer"
     : h->ch.ech_info.type == ECH_INNER ? "inner"
                                        : "unknown",
     has_ech(h))
FACT(g_ech_malformed, field_put_bool, h->ch.ech_info.malformed, has_ech(h))
FACT(g_ech_config_id, field_put_int, h->ch.ech_info.config_id, ECH_OUTER(h))
FACT(g_ech_enc_len, field_put_int, h->ch.ech_info.enc_len, ECH_OUTER(h))
FACT(g_ech_payload_len, field_put_int, h->ch.ech_info.payload_len,
     ECH_OUTER(h))

FACT(g_ech_kdf, field_put_str,
     named_code16(ech_kdf_name, h->ch.ech_info.kdf_id, scratch, len),
     ECH_OUTER(h))
FACT(g_ech_aead, field_put_str,
     named_code16(ech_aead_name, h->ch.ech_info.aead_id, scratch, len),
     ECH_OUTER(h))

/* With ECH the name in clear is the client-facing server's public name,
 * not the site the client wants (that one travels encrypted). */
static bool g_ech_outer_sni(const struct handshake *h, struct field_value *v,
                              char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    return ECH_OUTER(h) && h->ch.has_sni &&
           field_put_cstr(v, h->ch.sni, sizeof(h->ch.sni));
}

FACT(g_ech_accepted, field_put_bool, hrr_of(h)->ech_confirmation,
     ECH_OUTER(h) && hrr_of(h)->seen)
FACT(g_ech_status, field_put_str, ech_status_name(ech_status(h)),
     ech_status(h) != ECH_STATUS_NONE)
FACT(g_ech_retry_count, field_put_int, h->ee ? h->ee->ech.n_configs_total : 0,
     h->ee && h->ee->seen && h->ee->ech.has_retry_configs)

static bool g_ech_retry_public_name(const struct handshake *h,
                                    struct field_value *v, char *scratch,
                                    size_t len)
{
    UNUSED_SCRATCH;
    return h->ee && field_put_cstr(v, h->ee->ech.public_name,
                                   sizeof(h->ee->ech.public_name));
}

static size_t c_ech_retry_ids(const struct handshake *h)
{
    return h->ee && h->ee->seen ? h->ee->ech.n_configs : 0;
}

static bool i_ech_retry_ids(const struct handshake *h, size_t i,
                            struct field_value *v, char *scratch, size_t len)
{
    UNUSED_SCRATCH;
    return field_put_int(v, h->ee->ech.config_ids[i]);
}

/* The earlier ECH attempt this hello follows (server_profile.c). */
FACT(g_ech_follows_flow, field_put_int,
     (int64_t)h->report->server_profile.ech_prior_flow,
     h->report->server_profile.ech_prior_flow != 0)
FACT(g_ech_follows, field_put_str,
     h->report->server_profile.ech_prior_failure == 1 ? "rejected" : "blocked",
     h->report->server_profile.ech_prior_flow != 0)
FACT(g_ech_config_known, field_put_bool,
     h->report->server_profile.ech_config_known == EVIDENCE_YES,
     h->report->server_profile.ech_config_known != EVIDENCE_NONE)
FACT(g_ech_config_changed, field_put_bool,
     h->ch.ech_info.config_id != h->report->server_profile.ech_prior_config_id,
     h->report->server_profile.ech_prior_flow != 0 && ECH_OUTER(h))
/* How often this server established without ECH before, once it is
 * known (server_profile.c). */
#define SRV_PLAIN(fn, member)                                                  \
    FACT(fn, field_put_int, h->report->server_profile.member,                 \
         h->report->server_profile.known)
SRV_PLAIN(g_srv_plain_established, plain_established)
SRV_PLAIN(g_srv_client_plain_established, client_plain_established)

/* ---- the table ---------------------------------------------------------- */

/* Short names: the rows are long enough. */
#define SCALAR FIELD_SCALAR
#define LIST FIELD_LIST
/* A certificate row: which certificate, which fact (struct cert_row). */
#define CERT(n, t, d, side, fact)                                             \
    FIELD_READ(n, t, d, &cert_reader, (&(const struct cert_row){side, fact}))
/* A hello list row: which list (enum hello_list). */
#define HELLO_LIST(n, t, d, list)                                             \
    FIELD_READ(n, t, d, &hello_list_reader, (&(const enum hello_list){list}))

#define DECRYPTED_MESSAGES(n, d, side)                                        \
    FIELD_READ(n, FT_STRING_LIST, d, &decrypted_messages_reader,              \
               (&(const enum tls_side){side}))

/* The certificate facts ECS names for both sides, under tls.client and
 * tls.server: one row a fact, with both names and the description once,
 * "%s" standing where the side goes. Each side's rows are rendered from
 * it when the registry is first used (prepare_ecs_cert_rows) and go in as
 * a segment of their own, at their place among the record's rows. */
struct ecs_cert_fact {
    const char *client_name;
    const char *server_name;
    enum field_type type;
    const char *description;
    enum cert_fact fact;
};

static const struct ecs_cert_fact ecs_cert_facts[] = {
    {"tls.client.x509.subject.common_name",
     "tls.server.x509.subject.common_name", FT_STRING_LIST,
     "%s certificate (leaf) subject CN (the last, most specific)",
     CERT_SUBJECT_CN},
    {"tls.client.x509.subject.distinguished_name",
     "tls.server.x509.subject.distinguished_name", FT_STRING,
     "%s leaf subject, RFC 4514", CERT_SUBJECT},
    {"tls.client.x509.subject.organization",
     "tls.server.x509.subject.organization", FT_STRING_LIST,
     "%s leaf subject O values, first 2", CERT_SUBJECT_O},
    {"tls.client.x509.subject.country",
     "tls.server.x509.subject.country", FT_STRING_LIST,
     "%s leaf subject C values, first 2", CERT_SUBJECT_C},
    {"tls.client.x509.issuer.common_name",
     "tls.server.x509.issuer.common_name", FT_STRING_LIST,
     "%s leaf issuer CN", CERT_ISSUER_CN},
    {"tls.client.x509.issuer.distinguished_name",
     "tls.server.x509.issuer.distinguished_name", FT_STRING,
     "%s leaf issuer, RFC 4514", CERT_ISSUER},
    {"tls.client.x509.issuer.organization",
     "tls.server.x509.issuer.organization", FT_STRING_LIST,
     "%s leaf issuer O values, first 2", CERT_ISSUER_O},
    {"tls.client.x509.issuer.country",
     "tls.server.x509.issuer.country", FT_STRING_LIST,
     "%s leaf issuer C values, first 2", CERT_ISSUER_C},
    {"tls.client.x509.alternative_names",
     "tls.server.x509.alternative_names", FT_STRING_LIST,
     "%s leaf SANs: DNS names and IP addresses, first 16", CERT_SANS},
    {"tls.client.x509.not_before",
     "tls.server.x509.not_before", FT_TIME,
     "%s leaf valid from", CERT_NOT_BEFORE},
    {"tls.client.x509.not_after",
     "tls.server.x509.not_after", FT_TIME,
     "%s leaf valid until", CERT_NOT_AFTER},
    {"tls.client.x509.version_number",
     "tls.server.x509.version_number", FT_STRING,
     "%s leaf X.509 version (3)", CERT_X509_VERSION},
    {"tls.client.x509.serial_number",
     "tls.server.x509.serial_number", FT_STRING,
     "%s leaf serial, uppercase hex", CERT_SERIAL},
    {"tls.client.x509.public_key_algorithm",
     "tls.server.x509.public_key_algorithm", FT_STRING,
     "%s leaf key type: RSA, EC, Ed25519 ...", CERT_KEY_ALG},
    {"tls.client.x509.public_key_size",
     "tls.server.x509.public_key_size", FT_INT,
     "%s leaf key size in bits", CERT_KEY_SIZE},
    {"tls.client.x509.public_key_curve",
     "tls.server.x509.public_key_curve", FT_STRING,
     "%s leaf EC curve (OpenSSL name)", CERT_CURVE},
    {"tls.client.x509.signature_algorithm",
     "tls.server.x509.signature_algorithm", FT_STRING,
     "%s leaf signature algorithm (OpenSSL long name)", CERT_SIG_ALG},
    {"tls.client.hash.sha256",
     "tls.server.hash.sha256", FT_STRING,
     "SHA-256 of the %s leaf DER, uppercase hex", CERT_SHA256},
    {"tls.client.hash.sha1",
     "tls.server.hash.sha1", FT_STRING,
     "SHA-1 of the %s leaf DER, uppercase hex", CERT_SHA1},
    {"tls.client.subject",
     "tls.server.subject", FT_STRING,
     "%s leaf subject, RFC 4514", CERT_SUBJECT},
    {"tls.client.issuer",
     "tls.server.issuer", FT_STRING,
     "%s leaf issuer, RFC 4514", CERT_ISSUER},
    {"tls.client.not_before",
     "tls.server.not_before", FT_TIME,
     "%s leaf valid from", CERT_NOT_BEFORE},
    {"tls.client.not_after",
     "tls.server.not_after", FT_TIME,
     "%s leaf valid until", CERT_NOT_AFTER},
    {"tls.client.certificate_chain",
     "tls.server.certificate_chain", FT_STRING_LIST,
     "%s chain as sent, one PEM per certificate (--emit-certificates)",
     CERT_PEM},
};

#define N_ECS_CERT_FACTS ARRAY_LEN(ecs_cert_facts)

/* One side's rows, what each reads, and their descriptions. */
struct ecs_cert_rows {
    struct field_def rows[N_ECS_CERT_FACTS];
    struct cert_row reads[N_ECS_CERT_FACTS];
    char descriptions[N_ECS_CERT_FACTS][96];
};

static struct ecs_cert_rows client_ecs_cert, server_ecs_cert;

/* A rendered description that does not fit is the table's mistake. */
static void check_description(int n, size_t cap)
{
    if (n < 0 || (size_t)n >= cap) {
        fputs("tlsmon: a field description is too long\n", stderr);
        abort();
    }
}

/* `pattern` with its "%s" replaced by `side`. Not as a printf format: the
 * patterns are data, which -Wformat=2 rightly refuses as formats. */
static void put_side(char *out, size_t cap, const char *pattern,
                     const char *side)
{
    const char *at = strstr(pattern, "%s");
    check_description(at ? snprintf(out, cap, "%.*s%s%s",
                                    (int)(at - pattern), pattern, side,
                                    at + 2)
                         : snprintf(out, cap, "%s", pattern),
                      cap);
}

static void fill_ecs_cert_rows(struct ecs_cert_rows *r, enum cert_side side)
{
    bool client = side == CERT_OF_CLIENT;
    for (size_t i = 0; i < N_ECS_CERT_FACTS; i++) {
        const struct ecs_cert_fact *f = &ecs_cert_facts[i];
        r->reads[i] = (struct cert_row){side, f->fact};
        put_side(r->descriptions[i], sizeof(r->descriptions[i]),
                 f->description, client ? "client" : "server");
        r->rows[i] = (struct field_def)FIELD_READ(
            client ? f->client_name : f->server_name, f->type,
            r->descriptions[i], &cert_reader, &r->reads[i]);
    }
}

/* The endpoint facts ECS names for both sides of the flow: the client's
 * under source.*, the server's under destination.*, and the address and
 * port again under client.* and server.*. One row a fact, with each name
 * (NULL: the side has no such fact) and the description once, "%s"
 * standing where the side goes; they are rendered into one segment
 * (fill_ecs_endpoint_rows) in the order of endpoint_groups. */
struct ecs_endpoint_fact {
    const char *name[2];  /* source.*, destination.*: by enum tls_side */
    const char *again[2]; /* client.*, server.*: "(as source.ip)" added */
    enum field_type type;
    const char *description;
    enum endpoint_fact fact;
};

static const struct ecs_endpoint_fact ecs_endpoint_facts[] = {
    {{"source.ip", "destination.ip"}, {"client.ip", "server.ip"}, FT_IP,
     "%s address", ENDPOINT_IP},
    {{"source.port", "destination.port"}, {"client.port", "server.port"},
     FT_INT, "%s port", ENDPOINT_PORT},
    {{NULL, "destination.domain"}, {NULL, NULL}, FT_STRING,
     "the SNI, when it is a name (not an address or escaped bytes)",
     ENDPOINT_DOMAIN},
    {{"source.bytes", "destination.bytes"}, {NULL, NULL}, FT_INT,
     "IP payload bytes from the %s", ENDPOINT_BYTES},
    {{"source.packets", "destination.packets"}, {NULL, NULL}, FT_INT,
     "packets from the %s", ENDPOINT_PACKETS},
};

#define N_ECS_ENDPOINT_FACTS ARRAY_LEN(ecs_endpoint_facts)

/* The output order: source.*, destination.*, client.*, server.*. */
static const struct endpoint_group {
    bool again; /* the client.* or server.* name */
    enum tls_side side;
} endpoint_groups[] = {
    {false, TLS_SIDE_CLIENT},
    {false, TLS_SIDE_SERVER},
    {true, TLS_SIDE_CLIENT},
    {true, TLS_SIDE_SERVER},
};

#define N_ENDPOINT_GROUPS ARRAY_LEN(endpoint_groups)
#define MAX_ECS_ENDPOINT_ROWS (N_ENDPOINT_GROUPS * N_ECS_ENDPOINT_FACTS)

static struct {
    struct field_def rows[MAX_ECS_ENDPOINT_ROWS];
    struct endpoint_row reads[MAX_ECS_ENDPOINT_ROWS];
    char descriptions[MAX_ECS_ENDPOINT_ROWS][96];
} ecs_endpoint;

/* Its size is counted as its rows are rendered. */
static struct field_segment ecs_endpoint_fields = {ecs_endpoint.rows, 0};

static void fill_ecs_endpoint_rows(void)
{
    size_t n = 0;
    for (size_t g = 0; g < N_ENDPOINT_GROUPS; g++) {
        const struct endpoint_group *group = &endpoint_groups[g];
        for (size_t i = 0; i < N_ECS_ENDPOINT_FACTS; i++) {
            const struct ecs_endpoint_fact *f = &ecs_endpoint_facts[i];
            const char *name = group->again ? f->again[group->side]
                                            : f->name[group->side];
            if (!name)
                continue;
            char *d = ecs_endpoint.descriptions[n];
            size_t cap = sizeof(ecs_endpoint.descriptions[n]);
            put_side(d, cap, f->description,
                     group->side == TLS_SIDE_CLIENT ? "client" : "server");
            if (group->again) {
                size_t used = strlen(d);
                check_description(snprintf(d + used, cap - used, " (as %s)",
                                           f->name[group->side]),
                                  cap - used);
            }
            ecs_endpoint.reads[n] =
                (struct endpoint_row){group->side, f->fact};
            ecs_endpoint.rows[n] = (struct field_def)FIELD_READ(
                name, f->type, d, &endpoint_reader, &ecs_endpoint.reads[n]);
            n++;
        }
    }
    ecs_endpoint_fields.n = n;
}

/* fields_program's prepare: field_registry_use runs it at start-up,
 * before any lookup. */
static void prepare_ecs_rows(void)
{
    fill_ecs_endpoint_rows();
    fill_ecs_cert_rows(&client_ecs_cert, CERT_OF_CLIENT);
    fill_ecs_cert_rows(&server_ecs_cert, CERT_OF_SERVER);
}

/* The record's rows, in parts around the rows rendered at start-up: the
 * endpoints' and each side's certificate rows (program_segments below). */
static const struct field_def record_event_rows[] = {
    SCALAR("@timestamp", FT_TIME,
           "time of the ClientHello, or of the first packet without one",
           g_timestamp),
    SCALAR("ecs.version", FT_STRING,
           "the ECS version the events follow (" TLSMON_ECS_VERSION ")",
           g_ecs_version),
    SCALAR("event.kind", FT_STRING, "always \"event\"", g_event_kind),
    LIST("event.category", FT_STRING_LIST, "always [\"network\"]",
         c_event_category, i_event_category),
    LIST("event.type", FT_STRING_LIST, "always [\"connection\", \"protocol\"]",
         c_event_type, i_event_type),
    SCALAR("event.dataset", FT_STRING, "always \"tlsmon.handshake\"",
           g_event_dataset),
    SCALAR("event.id", FT_STRING,
           "id of this record, derived from the flow (addresses, ports, "
           "VLANs, start time), the round and the sensor: the same in every "
           "run on the same packets; alerts carry it as tlsmon.handshake_id",
           g_event_id),
    SCALAR("event.outcome", FT_STRING,
           "success (established), failure (failed, not_tls, refused) or "
           "unknown",
           g_event_outcome),
    SCALAR("event.start", FT_TIME, "first packet of the flow", g_event_start),
    SCALAR("event.end", FT_TIME, "last packet of the flow seen", g_event_end),
    SCALAR("event.duration", FT_INT,
           "event.end - event.start in nanoseconds", g_event_duration),
};

/* After source.*, destination.*, client.*, server.*: observer.*,
 * network.*, then tls.* up to the client's facts. */
static const struct field_def record_network_rows[] = {
    SCALAR("observer.hostname", FT_STRING,
           "the sensor's host name (live capture only)", g_observer_hostname),
    SCALAR("observer.ingress.interface.name", FT_STRING,
           "the interface captured on (live capture only)",
           g_observer_interface),
    SCALAR("network.transport", FT_STRING,
           "tcp, or udp (QUIC and DTLS)", g_net_transport),
    SCALAR("network.type", FT_STRING, "ipv4 or ipv6", g_net_type),
    SCALAR("network.protocol", FT_STRING,
           "tls (over TCP), quic or dtls", g_protocol),
    SCALAR("network.community_id", FT_STRING,
           "Community ID v1 of the flow (--community-id-seed)",
           g_community_id),
    SCALAR("network.vlan.id", FT_STRING, "outer VLAN id", g_net_vlan),
    SCALAR("network.inner.vlan.id", FT_STRING, "inner VLAN id (QinQ)",
           g_net_inner_vlan),
    SCALAR("tls.version", FT_VERSION,
           "negotiated version, the number only (2.0, 3.0, 1.0 .. 1.3); "
           "absent without ServerHello, or for a draft (tlsmon.version)",
           g_tls_version),
    SCALAR("tls.version_protocol", FT_STRING,
           "tls or ssl, for the negotiated version", g_tls_version_protocol),
    SCALAR("tls.cipher", FT_STRING,
           "chosen cipher suite, IANA name or hex like 0xC02F",
           g_tls_cipher),
    SCALAR("tls.curve", FT_STRING,
           "key exchange group chosen by the server", g_tls_curve),
    SCALAR("tls.established", FT_BOOL,
           "both sides finished the handshake", g_tls_established),
    SCALAR("tls.resumed", FT_BOOL, "session resumed (ticket, id or PSK)",
           g_tls_resumed),
    SCALAR("tls.next_protocol", FT_STRING,
           "application protocol chosen by the server (ALPN; TLS 1.3: from "
           "EncryptedExtensions, with a key log)",
           g_tls_next_protocol),
    SCALAR("tls.client.server_name", FT_STRING,
           "SNI sent by the client, non-printable bytes escaped",
           g_tls_server_name),
    HELLO_LIST("tls.client.supported_ciphers", FT_STRING_LIST,
               "cipher suites offered, wire order, GREASE left out",
               CH_CIPHERS),
    SCALAR("tls.client.ja3", FT_STRING,
           "JA3 of the ClientHello: MD5 of tlsmon.client.ja3_string", g_ja3),
};

static const struct field_def ja3s_rows[] = {
    SCALAR("tls.server.ja3s", FT_STRING,
           "JA3S of the ServerHello: MD5 of tlsmon.server.ja3s_string",
           g_ja3s),
};

static const struct field_def record_decision_rows[] = {
    LIST("related.ip", FT_STRING_LIST, "client and server addresses",
         c_related_ip, i_related_ip),
    LIST("related.hosts", FT_STRING_LIST,
         "the SNI, and the server leaf's CN when it names another host",
         c_related_hosts, i_related_hosts),
    LIST("related.hash", FT_STRING_LIST,
         "JA3, JA3S, JA4 and the leaf certificates' SHA-256",
         c_related_hash, i_related_hash),
    SCALAR("tlsmon.flow_id", FT_INT,
           "number of the frame that opened the flow, counted over the run "
           "(one file without -f: its frame number; live workers number "
           "apart)",
           g_flow_id),
    SCALAR("tlsmon.version", FT_VERSION,
           "negotiated version when it is a draft or unknown (tls.version "
           "is absent then), e.g. 1.3-draft-23 or 0x7E01",
           g_tlsmon_version),
    SCALAR("tlsmon.round", FT_INT,
           "handshake number on the connection, 0 for the first", g_round),
    SCALAR("tlsmon.outcome", FT_STRING,
           "established, failed, incomplete, not_tls, refused (STARTTLS) or "
           "undecided",
           g_outcome),
    SCALAR("tlsmon.stage", FT_STRING,
           "furthest handshake stage reached, e.g. server_hello", g_stage),
    SCALAR("tlsmon.failure_stage", FT_STRING,
           "where a failed handshake stopped, e.g. after_client_hello",
           g_failure_stage),
    SCALAR("tlsmon.ended_by", FT_STRING,
           "what ended it: alert, fin, rst, silence, capture_end, evicted, "
           "not_tls",
           g_ended_by),
    SCALAR("tlsmon.ended_by_side", FT_STRING,
           "client or server, the side that ended it", g_ended_by_side),
};

/* The alerts: the rare part's list. */
static const struct field_def alert_rows[] = {
    SCALAR("tlsmon.alert.sender", FT_STRING,
           "sender of the alert that ended the handshake (first fatal, "
           "encrypted or close_notify, else first)",
           g_alert_sender),
    SCALAR("tlsmon.alert.level", FT_STRING,
           "warning or fatal; absent when encrypted", g_alert_level),
    SCALAR("tlsmon.alert.description", FT_STRING,
           "alert name, or unknown_NN; absent when encrypted",
           g_alert_description),
    SCALAR("tlsmon.alert.code", FT_INT, "alert number; absent when encrypted",
           g_alert_code),
    SCALAR("tlsmon.alert.encrypted", FT_BOOL,
           "the deciding alert was encrypted", g_alert_encrypted),
    SCALAR("tlsmon.alert.decrypted", FT_BOOL,
           "the deciding alert was read from an encrypted record with a key "
           "log; absent otherwise", g_alert_decrypted),
    LIST("tlsmon.alerts", FT_ALERTS,
         "every alert in order: {sender, level, description, code, stage} "
         "(decrypted ones add decrypted and the record length) or "
         "{sender, encrypted, length, stage}, with late: true when it came "
         "after the decision or after its sender finished (never deciding)",
         c_alerts, i_alerts),
};

static const struct field_def timing_rows[] = {
    SCALAR("tlsmon.handshake_ms", FT_FLOAT,
           "ClientHello to decision, milliseconds", g_handshake_ms),
    SCALAR("tlsmon.server_response_ms", FT_FLOAT,
           "ClientHello to the server's first byte, milliseconds",
           g_server_response_ms),
    SCALAR("tlsmon.hello_delay_ms", FT_FLOAT,
           "the flow's first packet (its SYN) to the ClientHello, "
           "milliseconds; absent when the capture began mid-connection",
           g_hello_delay_ms),
    SCALAR("tlsmon.client_finished_ms", FT_FLOAT,
           "ClientHello to the client's Finished, milliseconds",
           g_client_finished_ms),
    SCALAR("tlsmon.server_finished_ms", FT_FLOAT,
           "ClientHello to the server's Finished (TLS 1.3: the last record "
           "of its encrypted flight), milliseconds", g_server_finished_ms),
    SCALAR("tlsmon.hrr", FT_BOOL, "the server sent a HelloRetryRequest",
           g_hrr),
    SCALAR("tlsmon.hrr_group", FT_STRING,
           "group the HelloRetryRequest asked for", g_hrr_group),
    SCALAR("tlsmon.hrr_group_offered", FT_BOOL,
           "the HelloRetryRequest asked for a group the client listed in "
           "supported_groups", g_hrr_group_offered),
};

/* The ClientHello; how it crossed TCP comes next, then what it offered. */
static const struct field_def client_hello_rows[] = {
    SCALAR("tlsmon.client_hello.version", FT_VERSION,
           "legacy_version field of the ClientHello", g_ch_version),
    SCALAR("tlsmon.client_hello.record_version", FT_VERSION,
           "version in the record header carrying the ClientHello",
           g_ch_record_version),
    SCALAR("tlsmon.client_hello.highest_version", FT_VERSION,
           "highest version offered (supported_versions, else legacy_version)",
           g_ch_highest_version),
    HELLO_LIST("tlsmon.client_hello.versions", FT_STRING_LIST,
               "supported_versions, wire order, GREASE left out", CH_VERSIONS),
    SCALAR("tlsmon.client_hello.length", FT_INT,
           "ClientHello message length, bytes", g_ch_length),
};

static const struct field_def hello_crossing_rows[] = {
    SCALAR("tlsmon.client_hello.segments", FT_INT,
           "TCP segments that carried the ClientHello (first copies); "
           "absent without the connection's start", g_hello_segments),
    SCALAR("tlsmon.client_hello.retransmissions", FT_INT,
           "ClientHello segments the client sent again", g_hello_retrans),
    SCALAR("tlsmon.client_hello.largest_segment", FT_INT,
           "payload bytes of the largest ClientHello segment",
           g_hello_largest),
    SCALAR("tlsmon.client_hello.acked", FT_BOOL,
           "the server's TCP acknowledged the whole ClientHello",
           g_hello_acked),
    SCALAR("tlsmon.client_hello.server_reacted_early", FT_BOOL,
           "the server sent data, FIN or RST before the ClientHello's last "
           "segment", g_hello_early),
};

static const struct field_def client_hello_offer_rows[] = {
    SCALAR("tlsmon.client_hello.ciphers_count", FT_INT,
           "cipher suites offered on the wire, GREASE included",
           g_ch_ciphers_count),
    SCALAR("tlsmon.client_hello.modern_ciphers", FT_INT,
           "offered suites with forward secrecy and an AEAD",
           g_ch_modern_ciphers),
    HELLO_LIST("tlsmon.client_hello.groups", FT_STRING_LIST,
               "supported_groups, wire order, GREASE left out, unknown as hex",
               CH_GROUPS),
    HELLO_LIST("tlsmon.client_hello.key_share_groups", FT_STRING_LIST,
               "groups with a key share, GREASE left out", CH_KEY_SHARES),
    LIST("tlsmon.client_hello.alpn", FT_STRING_LIST,
         "application protocols offered (ALPN)", c_ch_alpn, i_ch_alpn),
    HELLO_LIST("tlsmon.client_hello.signature_algorithms", FT_STRING_LIST,
               "signature schemes offered, GREASE left out, unknown as hex",
               CH_SIGALGS),
    HELLO_LIST("tlsmon.client_hello.point_formats", FT_INT_LIST,
               "EC point formats offered", CH_POINT_FORMATS),
    HELLO_LIST("tlsmon.client_hello.extensions", FT_STRING_LIST,
               "extension names (numbers when unnamed) in wire order, "
               "GREASE as \"grease\"",
               CH_EXTENSIONS),
    SCALAR("tlsmon.client_hello.session_id_length", FT_INT,
           "length of the session id offered", g_ch_session_id_length),
    SCALAR("tlsmon.client_hello.session_ticket", FT_BOOL,
           "a non-empty session ticket was offered", g_ch_session_ticket),
    SCALAR("tlsmon.client_hello.psk", FT_BOOL,
           "a TLS 1.3 pre-shared key was offered", g_ch_psk),
    SCALAR("tlsmon.client_hello.early_data", FT_BOOL,
           "0-RTT early data was announced", g_ch_early_data),
    SCALAR("tlsmon.client_hello.ech", FT_BOOL,
           "encrypted_client_hello extension present", g_ch_ech),
    SCALAR("tlsmon.client_hello.esni", FT_BOOL,
           "draft encrypted_server_name extension present", g_ch_esni),
    SCALAR("tlsmon.client_hello.fallback_scsv", FT_BOOL,
           "TLS_FALLBACK_SCSV offered (a downgraded retry)",
           g_ch_fallback_scsv),
    SCALAR("tlsmon.client_hello.sslv2", FT_BOOL,
           "sent in the SSLv2-compatible record format", g_ch_sslv2),
    HELLO_LIST("tlsmon.client_hello.compression", FT_INT_LIST,
               "compression methods offered", CH_COMPRESSION),
};

static const struct field_def server_hello_rows[] = {
    SCALAR("tlsmon.server_hello.cipher_id", FT_STRING,
           "chosen cipher suite number, hex like 0xc02f", g_sh_cipher_id),
    SCALAR("tlsmon.server_hello.legacy_version", FT_VERSION,
           "legacy_version field of the ServerHello", g_sh_legacy_version),
    SCALAR("tlsmon.server_hello.record_version", FT_VERSION,
           "version in the record header carrying the ServerHello",
           g_sh_record_version),
    SCALAR("tlsmon.server_hello.group", FT_STRING,
           "key_share group or ServerKeyExchange curve, unknown as hex",
           g_sh_group),
    SCALAR("tlsmon.server_hello.compression", FT_INT,
           "compression method chosen", g_sh_compression),
    HELLO_LIST("tlsmon.server_hello.extensions", FT_STRING_LIST,
               "extension names (numbers when unnamed) in wire order",
               SH_EXTENSIONS),
};

/* The post-quantum posture, read from the ClientHello. */
static const struct field_def pq_rows[] = {
    SCALAR("tlsmon.pq.offered", FT_BOOL,
           "the client offered a post-quantum key exchange group (hybrid "
           "ML-KEM, pure ML-KEM or a Kyber draft)", g_pq_offered),
    LIST("tlsmon.pq.offered_groups", FT_STRING_LIST,
         "post-quantum groups offered: supported_groups in wire order, then "
         "key shares for groups not listed", c_pq_offered, i_pq_offered),
    SCALAR("tlsmon.pq.key_share", FT_STRING,
           "the post-quantum group of the client's first key share",
           g_pq_share),
    SCALAR("tlsmon.pq.key_share_length", FT_INT,
           "its key_exchange length in bytes (X25519MLKEM768: 1216)",
           g_pq_share_len),
    SCALAR("tlsmon.pq.status", FT_STRING,
           "not_offered, negotiated (key share taken), negotiated_after_hrr, "
           "not_negotiated or unanswered (no ServerHello)", g_pq_status),
    SCALAR("tlsmon.pq.group", FT_STRING,
           "the post-quantum group the server chose", g_pq_group),
    SCALAR("tlsmon.pq.kind", FT_STRING,
           "hybrid, pure or draft (a retired pre-standard codepoint)",
           g_pq_kind),
    SCALAR("tlsmon.pq.not_used_reason", FT_STRING,
           "why an offered group was not used: server_chose_classical, "
           "hrr_to_classical, classical_unlike_before, tls12_answer, "
           "tls12_answer_middlebox, psk_only", g_pq_reason),
};

/* The ClientHello's encrypted_client_hello; what followed it comes next. */
static const struct field_def ech_rows[] = {
    SCALAR("tlsmon.ech.type", FT_STRING,
           "encrypted_client_hello form: outer (in clear) or inner",
           g_ech_type),
    SCALAR("tlsmon.ech.malformed", FT_BOOL,
           "the extension did not parse (RFC 9849 section 5)",
           g_ech_malformed),
    SCALAR("tlsmon.ech.config_id", FT_INT,
           "ECHConfig id the client used (random in GREASE ECH)",
           g_ech_config_id),
    SCALAR("tlsmon.ech.kdf", FT_STRING, "HPKE KDF, e.g. HKDF-SHA256",
           g_ech_kdf),
    SCALAR("tlsmon.ech.aead", FT_STRING, "HPKE AEAD, e.g. AES-128-GCM",
           g_ech_aead),
    SCALAR("tlsmon.ech.enc_length", FT_INT,
           "length of the encapsulated HPKE key (0 in a hello after HRR)",
           g_ech_enc_len),
    SCALAR("tlsmon.ech.payload_length", FT_INT,
           "length of the encrypted inner ClientHello", g_ech_payload_len),
    SCALAR("tlsmon.ech.outer_sni", FT_STRING,
           "the SNI in clear is the outer hello's: with a real ECH the "
           "client-facing server's public name, not the site asked for "
           "(GREASE ECH carries the real name)", g_ech_outer_sni),
    SCALAR("tlsmon.ech.accepted", FT_BOOL,
           "the HelloRetryRequest confirmed ECH (true) or did not (false); "
           "absent without HRR: acceptance is encrypted", g_ech_accepted),
    SCALAR("tlsmon.ech.status", FT_STRING,
           "accepted, rejected, aborted_after_server_flight, unanswered, "
           "grease, not_confirmed, failed_other", g_ech_status),
};

static const struct field_def ech_after_rows[] = {
    SCALAR("tlsmon.ech.retry_configs", FT_INT,
           "ECHConfigs the server sent to retry with (EncryptedExtensions, "
           "decrypted only)", g_ech_retry_count),
    LIST("tlsmon.ech.retry_config_ids", FT_INT_LIST,
         "their config ids, first 4", c_ech_retry_ids, i_ech_retry_ids),
    SCALAR("tlsmon.ech.retry_public_name", FT_STRING,
           "public name of the first retry config",
           g_ech_retry_public_name),
    SCALAR("tlsmon.ech.config_seen_before", FT_BOOL,
           "this config id came in an earlier ECH hello to this server: a "
           "published config, not GREASE's random one; absent without "
           "history", g_ech_config_known),
    SCALAR("tlsmon.ech.follows_flow", FT_INT,
           "flow id of this client's ECH attempt to this server that failed "
           "within 10 s before this hello", g_ech_follows_flow),
    SCALAR("tlsmon.ech.follows", FT_STRING,
           "how that attempt failed: rejected (client aborted after the "
           "server's flight) or blocked (no answer, reset)", g_ech_follows),
    SCALAR("tlsmon.ech.config_changed", FT_BOOL,
           "this hello's ECH config id differs from that attempt's",
           g_ech_config_changed),
    LIST("tlsmon.cipher.weaknesses", FT_STRING_LIST,
         "what is weak about the chosen suite: no_forward_secrecy, rc4, "
         "3des, null, export, anonymous, cbc", c_cipher_weaknesses,
         i_cipher_weaknesses),
    SCALAR("tlsmon.cipher.forward_secrecy", FT_BOOL,
           "the chosen suite has an ephemeral key exchange",
           g_cipher_forward_secrecy),
    SCALAR("tlsmon.server_certificates.count", FT_INT,
           "certificates the server sent; absent if no Certificate seen",
           g_server_certs_count),
    SCALAR("tlsmon.client_certificates.count", FT_INT,
           "certificates the client sent; absent if no Certificate seen",
           g_client_certs_count),
};

/* The server certificate's verdicts, around the OCSP staple's one. */
static const struct field_def server_cert_rows[] = {
    CERT("tlsmon.certificate.visible", FT_BOOL,
         "the server certificate was readable (false in TLS 1.3 without a "
         "key log: encrypted)", CERT_OF_SERVER, CERT_VISIBLE),
    CERT("tlsmon.certificate.malformed", FT_BOOL,
         "some server certificate could not be parsed by OpenSSL",
         CERT_OF_SERVER, CERT_MALFORMED),
    CERT("tlsmon.certificate.chain", FT_STRING_LIST,
         "subject CN of each server certificate, wire order",
         CERT_OF_SERVER, CERT_CHAIN),
    CERT("tlsmon.certificate.expired", FT_BOOL,
         "server leaf expired at capture time", CERT_OF_SERVER, CERT_EXPIRED),
    CERT("tlsmon.certificate.not_yet_valid", FT_BOOL,
         "server leaf not yet valid at capture time",
         CERT_OF_SERVER, CERT_NOT_YET_VALID),
    CERT("tlsmon.certificate.days_to_expiry", FT_INT,
         "whole days from capture time to the server leaf's notAfter "
         "(negative: expired)", CERT_OF_SERVER, CERT_DAYS_TO_EXPIRY),
    CERT("tlsmon.certificate.self_signed", FT_BOOL,
         "server leaf is self-signed", CERT_OF_SERVER, CERT_SELF_SIGNED),
    SCALAR("tlsmon.certificate.hostname_mismatch", FT_BOOL,
           "SNI not covered by the leaf (RFC 6125: SAN before CN)",
           g_scert_hostname_mismatch),
    CERT("tlsmon.certificate.chain_out_of_order", FT_BOOL,
         "a certificate's issuer is in the chain but not right after it",
         CERT_OF_SERVER, CERT_OUT_OF_ORDER),
    CERT("tlsmon.certificate.incomplete_chain", FT_BOOL,
         "the top certificate's issuer is neither sent nor trusted",
         CERT_OF_SERVER, CERT_INCOMPLETE),
    CERT("tlsmon.certificate.untrusted", FT_BOOL,
         "no path to the trust store (OpenSSL verify)",
         CERT_OF_SERVER, CERT_UNTRUSTED),
    CERT("tlsmon.certificate.verify_error", FT_STRING,
         "OpenSSL's first verify error at capture time, or \"cannot "
         "verify here\" for a signature it cannot check",
         CERT_OF_SERVER, CERT_VERIFY_ERROR),
    CERT("tlsmon.certificate.signature_unverifiable", FT_BOOL,
         "a certificate is signed with an algorithm this OpenSSL cannot "
         "verify (ML-DSA, SLH-DSA): untrusted and incomplete_chain are not "
         "judged", CERT_OF_SERVER, CERT_UNVERIFIABLE),
    CERT("tlsmon.certificate.unverifiable_algorithm", FT_STRING,
         "that signature algorithm, e.g. ML-DSA-65",
         CERT_OF_SERVER, CERT_UNVERIFIABLE_ALG),
    CERT("tlsmon.certificate.weak_key", FT_BOOL,
         "a server certificate has an RSA/DSA key < 2048 or EC < 224 bits",
         CERT_OF_SERVER, CERT_WEAK_KEY),
    CERT("tlsmon.certificate.weak_signature", FT_BOOL,
         "a server certificate is signed with MD5 or SHA-1",
         CERT_OF_SERVER, CERT_WEAK_SIGNATURE),
    SCALAR("tlsmon.certificate.weak_key_certificate", FT_STRING,
           "the first server certificate with a weak key: CN, key, "
           "position in the chain", g_scert_weak_key_cert),
    SCALAR("tlsmon.certificate.weak_signature_certificate", FT_STRING,
           "the first server certificate signed with MD5 or SHA-1: CN, "
           "signature algorithm, position in the chain",
           g_scert_weak_sig_cert),
    SCALAR("tlsmon.certificate.trust_store_newer", FT_BOOL,
           "the system trust store is over a year newer than the capture "
           "(roots may have been removed since)", g_scert_trust_store_newer),
    CERT("tlsmon.certificate.validity_too_long", FT_BOOL,
         "server leaf valid longer than the CA/B Forum maximum for its "
         "issue date (398 days from 2020-09-01, 200 from 2026-03-15, 100 "
         "from 2027-03-15, 47 from 2029-03-15)",
         CERT_OF_SERVER, CERT_VALIDITY_TOO_LONG),
    CERT("tlsmon.certificate.lifetime_days", FT_INT,
         "server leaf validity in days, notAfter included, part days "
         "counted whole", CERT_OF_SERVER, CERT_LIFETIME_DAYS),
    CERT("tlsmon.certificate.max_lifetime_days", FT_INT,
         "the CA/B Forum maximum for the leaf's issue date",
         CERT_OF_SERVER, CERT_MAX_LIFETIME),
    CERT("tlsmon.certificate.lifetime_left_pct", FT_INT,
         "share of the leaf's lifetime left at capture time, percent",
         CERT_OF_SERVER, CERT_LIFETIME_LEFT),
    CERT("tlsmon.certificate.renewal_overdue", FT_BOOL,
         "less left than a third of the lifetime (at most 30 days): "
         "automated renewal should have replaced it",
         CERT_OF_SERVER, CERT_RENEWAL_OVERDUE),
    CERT("tlsmon.certificate.ca", FT_BOOL,
         "the server leaf is a CA certificate (basicConstraints cA)",
         CERT_OF_SERVER, CERT_CA),
    CERT("tlsmon.certificate.path_length", FT_INT,
         "the server leaf's basicConstraints path length",
         CERT_OF_SERVER, CERT_PATH_LEN),
    CERT("tlsmon.certificate.key_usage", FT_STRING_LIST,
         "the server leaf's key usage (RFC 5280 names)",
         CERT_OF_SERVER, CERT_KEY_USAGE),
    CERT("tlsmon.certificate.extended_key_usage", FT_STRING_LIST,
         "the server leaf's extended key usage: serverAuth, clientAuth ...",
         CERT_OF_SERVER, CERT_EKU),
    CERT("tlsmon.certificate.wrong_purpose", FT_BOOL,
         "the server leaf is a CA, or its extended key usage lacks "
         "serverAuth", CERT_OF_SERVER, CERT_WRONG_PURPOSE),
    CERT("tlsmon.certificate.ocsp_urls", FT_STRING_LIST,
         "OCSP responder URLs of the server leaf (AIA)",
         CERT_OF_SERVER, CERT_OCSP_URLS),
    CERT("tlsmon.certificate.ca_issuers_urls", FT_STRING_LIST,
         "where the server leaf's issuer certificate is published (AIA)",
         CERT_OF_SERVER, CERT_CA_ISSUERS_URLS),
    CERT("tlsmon.certificate.crl_urls", FT_STRING_LIST,
         "CRL distribution points of the server leaf",
         CERT_OF_SERVER, CERT_CRL_URLS),
    SCALAR("tlsmon.certificate.client_clock", FT_BOOL,
           "the client rejected as expired (or bad) a leaf valid at capture "
           "time: its clock is wrong", g_scert_client_clock),
    SCALAR("tlsmon.certificate.ends_at_ca", FT_BOOL,
           "the last certificate sent is a CA certificate (an intermediate "
           "or root), not the leaf alone", g_scert_ends_at_ca),
};

static const struct field_def staple_verdict_rows[] = {
    SCALAR("tlsmon.certificate.revoked", FT_BOOL,
           "the server's stapled OCSP response says its leaf is revoked; "
           "absent without a staple for the leaf", g_scert_revoked),
};

static const struct field_def server_cert_trust_rows[] = {
    SCALAR("tlsmon.certificate.trust_store", FT_STRING,
           "what the chain was judged against: system (bundle) or custom "
           "(--ca-file/--ca-path)", g_scert_trust_store),
    SCALAR("tlsmon.certificate.sct.count", FT_INT,
           "Signed Certificate Timestamps embedded in the server leaf",
           g_scert_sct_count),
    LIST("tlsmon.certificate.sct.log_ids", FT_STRING_LIST,
         "their CT log ids, base64, first 4 distinct", c_scert_sct_logs,
         i_scert_sct_logs),
    SCALAR("tlsmon.certificate.sct.earliest", FT_TIME,
           "the earliest SCT timestamp (what Chrome's distrust dates use)",
           g_scert_sct_earliest),
    SCALAR("tlsmon.certificate.sct.malformed", FT_BOOL,
           "the SCT list extension is there but does not decode",
           g_scert_sct_malformed),
    LIST("tlsmon.certificate.distrusted_by", FT_STRING_LIST,
         "browsers that refuse this chain by their CA distrust dates "
         "(rules/distrust.tsv)", c_scert_distrusted_by,
         i_scert_distrusted_by),
    SCALAR("tlsmon.certificate.distrusted_ca", FT_STRING,
           "the distrusted CA owner, e.g. Entrust", g_scert_distrusted_ca),
    SCALAR("tlsmon.certificate.distrust_basis", FT_STRING,
           "what the date was compared with: sct (earliest SCT) or "
           "not_before", g_scert_distrust_basis),
};

static const struct field_def certificate_request_rows[] = {
    SCALAR("tlsmon.certificate_request", FT_BOOL,
           "the server asked for a client certificate (TLS 1.3: seen with a "
           "key log)",
           g_certificate_request),
    SCALAR("tlsmon.client_certificate_empty", FT_BOOL,
           "the client answered the request with no certificate",
           g_client_cert_empty),
};

static const struct field_def client_cert_rows[] = {
    CERT("tlsmon.client_certificate.visible", FT_BOOL,
         "the client certificate was readable (false in TLS 1.3 without a "
         "key log: encrypted)", CERT_OF_CLIENT, CERT_VISIBLE),
    CERT("tlsmon.client_certificate.malformed", FT_BOOL,
         "some client certificate could not be parsed by OpenSSL",
         CERT_OF_CLIENT, CERT_MALFORMED),
    CERT("tlsmon.client_certificate.chain", FT_STRING_LIST,
         "subject CN of each client certificate, wire order",
         CERT_OF_CLIENT, CERT_CHAIN),
    CERT("tlsmon.client_certificate.expired", FT_BOOL,
         "client leaf expired at capture time", CERT_OF_CLIENT, CERT_EXPIRED),
    CERT("tlsmon.client_certificate.not_yet_valid", FT_BOOL,
         "client leaf not yet valid at capture time",
         CERT_OF_CLIENT, CERT_NOT_YET_VALID),
    CERT("tlsmon.client_certificate.days_to_expiry", FT_INT,
         "whole days from capture time to the client leaf's notAfter "
         "(negative: expired)", CERT_OF_CLIENT, CERT_DAYS_TO_EXPIRY),
    CERT("tlsmon.client_certificate.self_signed", FT_BOOL,
         "client leaf is self-signed", CERT_OF_CLIENT, CERT_SELF_SIGNED),
    CERT("tlsmon.client_certificate.chain_out_of_order", FT_BOOL,
         "a certificate's issuer is in the chain but not right after it",
         CERT_OF_CLIENT, CERT_OUT_OF_ORDER),
    CERT("tlsmon.client_certificate.incomplete_chain", FT_BOOL,
         "the top certificate's issuer is neither sent nor trusted",
         CERT_OF_CLIENT, CERT_INCOMPLETE),
    CERT("tlsmon.client_certificate.untrusted", FT_BOOL,
         "no path to the trust store (OpenSSL verify)",
         CERT_OF_CLIENT, CERT_UNTRUSTED),
    CERT("tlsmon.client_certificate.verify_error", FT_STRING,
         "OpenSSL's first verify error at capture time, or \"cannot "
         "verify here\"", CERT_OF_CLIENT, CERT_VERIFY_ERROR),
    CERT("tlsmon.client_certificate.signature_unverifiable", FT_BOOL,
         "a client certificate is signed with an algorithm this OpenSSL "
         "cannot verify", CERT_OF_CLIENT, CERT_UNVERIFIABLE),
    CERT("tlsmon.client_certificate.unverifiable_algorithm", FT_STRING,
         "that signature algorithm", CERT_OF_CLIENT, CERT_UNVERIFIABLE_ALG),
    CERT("tlsmon.client_certificate.weak_key", FT_BOOL,
         "a client certificate has an RSA/DSA key < 2048 or EC < 224 bits",
         CERT_OF_CLIENT, CERT_WEAK_KEY),
    CERT("tlsmon.client_certificate.weak_signature", FT_BOOL,
         "a client certificate is signed with MD5 or SHA-1",
         CERT_OF_CLIENT, CERT_WEAK_SIGNATURE),
    CERT("tlsmon.client_certificate.validity_too_long", FT_BOOL,
         "client leaf valid longer than the CA/B Forum maximum for its "
         "issue date", CERT_OF_CLIENT, CERT_VALIDITY_TOO_LONG),
    CERT("tlsmon.client_certificate.lifetime_days", FT_INT,
         "client leaf validity in days", CERT_OF_CLIENT, CERT_LIFETIME_DAYS),
    CERT("tlsmon.client_certificate.max_lifetime_days", FT_INT,
         "the CA/B Forum maximum for its issue date",
         CERT_OF_CLIENT, CERT_MAX_LIFETIME),
    CERT("tlsmon.client_certificate.lifetime_left_pct", FT_INT,
         "share of its lifetime left at capture time, percent",
         CERT_OF_CLIENT, CERT_LIFETIME_LEFT),
    CERT("tlsmon.client_certificate.renewal_overdue", FT_BOOL,
         "less left than a third of its lifetime (at most 30 days)",
         CERT_OF_CLIENT, CERT_RENEWAL_OVERDUE),
    CERT("tlsmon.client_certificate.ca", FT_BOOL,
         "the client leaf is a CA certificate (basicConstraints cA)",
         CERT_OF_CLIENT, CERT_CA),
    CERT("tlsmon.client_certificate.path_length", FT_INT,
         "the client leaf's basicConstraints path length",
         CERT_OF_CLIENT, CERT_PATH_LEN),
    CERT("tlsmon.client_certificate.key_usage", FT_STRING_LIST,
         "the client leaf's key usage (RFC 5280 names)",
         CERT_OF_CLIENT, CERT_KEY_USAGE),
    CERT("tlsmon.client_certificate.extended_key_usage", FT_STRING_LIST,
         "the client leaf's extended key usage: serverAuth, clientAuth ...",
         CERT_OF_CLIENT, CERT_EKU),
    CERT("tlsmon.client_certificate.wrong_purpose", FT_BOOL,
         "the client leaf is a CA, or its extended key usage lacks "
         "clientAuth", CERT_OF_CLIENT, CERT_WRONG_PURPOSE),
    CERT("tlsmon.client_certificate.ocsp_urls", FT_STRING_LIST,
         "OCSP responder URLs of the client leaf (AIA)",
         CERT_OF_CLIENT, CERT_OCSP_URLS),
    CERT("tlsmon.client_certificate.ca_issuers_urls", FT_STRING_LIST,
         "where the client leaf's issuer certificate is published (AIA)",
         CERT_OF_CLIENT, CERT_CA_ISSUERS_URLS),
    CERT("tlsmon.client_certificate.crl_urls", FT_STRING_LIST,
         "CRL distribution points of the client leaf",
         CERT_OF_CLIENT, CERT_CRL_URLS),
};

static const struct field_def decryption_rows[] = {
    SCALAR("tlsmon.decrypted", FT_BOOL,
           "records of this handshake were decrypted with a key log; absent "
           "without a key log", g_decrypted),
    SCALAR("tlsmon.decryption.status", FT_STRING,
           "with a key log: decrypted, partial (some records or secrets "
           "missing), no_key, failed (records did not authenticate: a wrong "
           "key), nothing_to_decrypt, unsupported_cipher, no_client_hello",
           g_decryption_status),
    SCALAR("tlsmon.decryption.records", FT_INT,
           "records decrypted", g_decryption_records),
    SCALAR("tlsmon.decryption.failed_records", FT_INT,
           "records that did not authenticate with the key log's secret",
           g_decryption_failed),
    LIST("tlsmon.decryption.missing", FT_STRING_LIST,
         "key log labels a record needed that the key log did not have",
         c_decryption_missing, i_decryption_missing),
    DECRYPTED_MESSAGES("tlsmon.decryption.client_messages",
                       "handshake messages read from the client's decrypted "
                       "records", TLS_SIDE_CLIENT),
    DECRYPTED_MESSAGES("tlsmon.decryption.server_messages",
                       "handshake messages read from the server's decrypted "
                       "records", TLS_SIDE_SERVER),
    SCALAR("tlsmon.decryption.certificate_compression", FT_STRING,
           "RFC 8879 algorithm of a decrypted compressed certificate: zlib, "
           "brotli, zstd", g_cert_compression),
};

static const struct field_def heartbeat_rows[] = {
    SCALAR("tlsmon.heartbeat.client", FT_INT,
           "heartbeat records (RFC 6520) the client sent during the "
           "handshake", g_hb_client),
    SCALAR("tlsmon.heartbeat.server", FT_INT,
           "heartbeat records the server sent during the handshake",
           g_hb_server),
    SCALAR("tlsmon.heartbeat.overread", FT_BOOL,
           "a heartbeat request announces more payload than its record "
           "holds (Heartbleed, CVE-2014-0160)", g_hb_overread),
    SCALAR("tlsmon.heartbeat.oversized_response", FT_BOOL,
           "a server heartbeat record is longer than any the client sent "
           "(memory leaked by a vulnerable server)", g_hb_oversized),
};

static const struct field_def record_rest_rows[] = {
    SCALAR("tlsmon.new_session_ticket", FT_BOOL,
           "the server sent a NewSessionTicket (TLS 1.3: seen with a key "
           "log)",
           g_new_session_ticket),
    SCALAR("tlsmon.encrypted_records.client", FT_INT,
           "encrypted records the client sent during the handshake",
           g_encrypted_client),
    SCALAR("tlsmon.encrypted_records.server", FT_INT,
           "encrypted records the server sent during the handshake",
           g_encrypted_server),
    SCALAR("tlsmon.app_data.client", FT_BOOL,
           "the client sent application data", g_app_data_client),
    SCALAR("tlsmon.app_data.server", FT_BOOL,
           "the server sent application data", g_app_data_server),
    SCALAR("tlsmon.client_closed_after_handshake", FT_BOOL,
           "established: the client's first record after the handshake was "
           "an alert, then it closed without data (true), or it sent data "
           "(false); absent when the watch ended first",
           g_client_hangup),
    SCALAR("tlsmon.client.ja3_string", FT_STRING,
           "JA3 string: version,ciphers,extensions,groups,point formats "
           "(decimal, wire order, GREASE left out)", g_ja3_string),
    SCALAR("tlsmon.client.ja4", FT_STRING,
           "JA4 of the ClientHello (FoxIO), e.g. "
           "t13d1516h2_8daaf6152771_e5627efa2ab1", g_ja4),
    SCALAR("tlsmon.client.ja4_r", FT_STRING,
           "JA4 raw form: the sorted lists the JA4 hashes are made of",
           g_ja4_r),
    SCALAR("tlsmon.server.ja3s_string", FT_STRING,
           "JA3S string: version,cipher,extensions", g_ja3s_string),
};

/* What earlier handshakes showed of the server (rules/server_profile.c). */
static const struct field_def server_history_rows[] = {
    SCALAR("tlsmon.server.established_count", FT_INT,
           "earlier handshakes to this server (IP:port) in this run that "
           "were established", g_srv_established),
    SCALAR("tlsmon.server.failed_count", FT_INT,
           "earlier handshakes to this server in this run that failed",
           g_srv_failed),
    LIST("tlsmon.server.accepted_versions", FT_STRING_LIST,
         "versions this server chose in earlier handshakes", c_srv_versions,
         i_srv_versions),
    LIST("tlsmon.server.accepted_ciphers", FT_STRING_LIST,
         "cipher suites this server chose in earlier handshakes",
         c_srv_ciphers, i_srv_ciphers),
    LIST("tlsmon.server.accepted_groups", FT_STRING_LIST,
         "key-exchange groups this server chose in earlier handshakes",
         c_srv_groups, i_srv_groups),
    SCALAR("tlsmon.server.usual_issuer", FT_STRING,
           "issuer this server's certificate for this SNI usually had",
           g_srv_usual_issuer),
    SCALAR("tlsmon.server.usual_issuer_count", FT_INT,
           "earlier handshakes that showed that issuer",
           g_srv_usual_issuer_count),
    SCALAR("tlsmon.server.offered_version_accepted", FT_BOOL,
           "some version the client offered was chosen by this server "
           "before; absent without history", g_srv_version_accepted),
    SCALAR("tlsmon.server.offered_cipher_accepted", FT_BOOL,
           "some suite the client offered was chosen by this server before; "
           "absent without history", g_srv_cipher_accepted),
    SCALAR("tlsmon.server.certificate.subject", FT_STRING,
           "leaf CN of the chain this server last showed in clear for this "
           "SNI (for handshakes that hide theirs)", g_srv_cert_subject),
    SCALAR("tlsmon.server.certificate.untrusted", FT_BOOL,
           "that chain had no path to the trust store",
           g_srv_cert_untrusted),
    SCALAR("tlsmon.server.certificate.incomplete_chain", FT_BOOL,
           "that chain lacked its intermediates", g_srv_cert_incomplete),
    SCALAR("tlsmon.server.certificate.hostname_mismatch", FT_BOOL,
           "that leaf did not cover this SNI",
           g_srv_cert_hostname_mismatch),
    SCALAR("tlsmon.server.certificate.self_signed", FT_BOOL,
           "that leaf was self-signed", g_srv_cert_self_signed),
    SCALAR("tlsmon.server.certificate.expired", FT_BOOL,
           "that leaf is expired or not yet valid at this handshake's time",
           g_srv_cert_expired),
    SCALAR("tlsmon.server.issuer_changed", FT_BOOL,
           "the leaf's issuer differs from the one this name usually had "
           "(seen twice or more)", g_srv_issuer_changed),
    SCALAR("tlsmon.server.established_without_ech", FT_INT,
           "earlier handshakes to this server established without ECH, by "
           "any client", g_srv_plain_established),
    SCALAR("tlsmon.server.client_established_without_ech", FT_INT,
           "of those, by this client: it reaches the server without ECH",
           g_srv_client_plain_established),
};

static const struct field_def staple_request_rows[] = {
    SCALAR("tlsmon.ocsp.requested", FT_BOOL,
           "the ClientHello asked for a stapled OCSP response "
           "(status_request)", g_ocsp_requested),
    SCALAR("tlsmon.ocsp.stapled", FT_BOOL,
           "the server sent CertificateStatus (visible before TLS 1.3)",
           g_ocsp_stapled),
};

static const struct field_def staple_rows[] = {
    SCALAR("tlsmon.ocsp.response_status", FT_STRING,
           "OCSP response status: successful, tryLater, unauthorized ...",
           g_ocsp_response_status),
    SCALAR("tlsmon.ocsp.cert_status", FT_STRING,
           "the staple's status of the server leaf: good, revoked, unknown",
           g_ocsp_cert_status),
    SCALAR("tlsmon.ocsp.revocation_reason", FT_STRING,
           "CRL reason of a revocation: keyCompromise, superseded ...",
           g_ocsp_reason),
    SCALAR("tlsmon.ocsp.revoked_at", FT_TIME, "when the leaf was revoked",
           g_ocsp_revoked_at),
    SCALAR("tlsmon.ocsp.this_update", FT_TIME,
           "the staple's thisUpdate for the leaf", g_ocsp_this_update),
    SCALAR("tlsmon.ocsp.next_update", FT_TIME,
           "the staple's nextUpdate for the leaf", g_ocsp_next_update),
};

static const struct field_def flow_quality_rows[] = {
    SCALAR("tlsmon.ndpi.protocol", FT_STRING,
           "protocol nDPI detected, e.g. TLS.YouTube", g_ndpi_protocol),
    SCALAR("tlsmon.ndpi.app", FT_STRING, "application nDPI detected",
           g_ndpi_app),
    SCALAR("tlsmon.ndpi.category", FT_STRING, "nDPI category",
           g_ndpi_category),
    SCALAR("tlsmon.ndpi.server_name", FT_STRING,
           "nDPI's reading of the SNI, non-printable bytes escaped, when "
           "nDPI read the hello; tls.client.server_name is tlsmon's and the "
           "one to trust",
           g_ndpi_server_name),
    SCALAR("tlsmon.ndpi.tls_version", FT_VERSION,
           "nDPI's reading of the TLS version, when nDPI read the hello: "
           "the ClientHello's when tlsmon read one (nDPI sees no further); "
           "tls.version is tlsmon's",
           g_ndpi_tls_version),
    LIST("tlsmon.ndpi.risks", FT_STRING_LIST,
         "nDPI's flow risks (ndpi_risk2str names), e.g. \"Known Protocol "
         "on Non Standard Port\"; of a flow whose ClientHello tlsmon read, "
         "those from the client's side, none when nDPI was spared the "
         "hello (named from the SNI)", c_ndpi_risks, i_ndpi_risks),
    SCALAR("tlsmon.gaps", FT_INT, "holes in the captured byte streams",
           g_gaps),
    SCALAR("tlsmon.gap_bytes", FT_INT, "bytes missing in those holes",
           g_gap_bytes),
    SCALAR("tlsmon.midstream", FT_BOOL,
           "the capture began after the TCP handshake", g_midstream),
    SCALAR("tlsmon.roles_inferred", FT_BOOL,
           "client and server taken from the hellos, not from the SYN",
           g_roles_inferred),
    SCALAR("tlsmon.resynced", FT_BOOL,
           "the parser skipped ahead to a later record header", g_resynced),
    SCALAR("tlsmon.stream_capped", FT_BOOL,
           "reading stopped at the bytes-per-direction cap before a "
           "decision; the end is the flow's real one (absent otherwise)",
           g_stream_capped),
    SCALAR("tlsmon.parse_error", FT_STRING,
           "what did not parse; the facts may be partial", g_parse_error),
    SCALAR("tlsmon.parse_fault", FT_STRING,
           "what the parser found wrong in that message: truncated (its "
           "bytes ended inside a field), bad_length (a length runs past "
           "what holds it or is not allowed), trailing_bytes, bad_value",
           g_parse_fault),
    SCALAR("tlsmon.parse_fault_offset", FT_INT,
           "byte offset of that fault in what was parsed: the message body "
           "(after the 4-byte handshake header), an SSLv2 hello's record, "
           "a DTLS record's body (dtls_handshake_header)",
           g_parse_fault_offset),
    SCALAR("tlsmon.not_tls_preview", FT_STRING,
           "printable start of a server answer that was not TLS",
           g_not_tls_preview),
    SCALAR("tlsmon.starttls", FT_STRING,
           "plaintext protocol that upgraded to TLS (or asked to): smtp, "
           "imap, pop3, ftp, xmpp, ldap, postgresql, mysql",
           g_starttls),
    SCALAR("tlsmon.starttls_refusal", FT_STRING,
           "the server's answer refusing STARTTLS, printable, cut to 95 "
           "characters",
           g_starttls_refusal),
    SCALAR("tlsmon.truncated", FT_BOOL,
           "a hello or alert list had more entries than tlsmon keeps",
           g_truncated),
    SCALAR("tlsmon.protocol", FT_STRING,
           "what carried the handshake: tls (over TCP), quic or dtls",
           g_protocol),
};

static const struct field_def quic_rows[] = {
    SCALAR("tlsmon.quic.version", FT_STRING,
           "QUIC version of the server's long headers (else the client's): "
           "1, 2, draft-29, 2-draft, mvfst-27, T051 ... or hex",
           g_quic_version),
    SCALAR("tlsmon.quic.client_version", FT_STRING,
           "QUIC version of the client's first Initial", g_quic_client_version),
    SCALAR("tlsmon.quic.dcid", FT_STRING,
           "the client's first Destination Connection ID, hex (the Initial "
           "keys come from it)", g_quic_dcid),
    SCALAR("tlsmon.quic.initial_decrypted", FT_BOOL,
           "an Initial packet's protection came off (the hellos are wire "
           "facts)", g_quic_initial_decrypted),
    SCALAR("tlsmon.quic.initial_skipped", FT_BOOL,
           "its Initials were not decrypted: the server's budget of new "
           "QUIC connections (--quic-decrypt-rate) was spent",
           g_quic_initial_skipped),
    SCALAR("tlsmon.quic.version_negotiation", FT_BOOL,
           "the server answered with a Version Negotiation packet",
           g_quic_vn),
    LIST("tlsmon.quic.server_versions", FT_STRING_LIST,
         "versions the server listed in Version Negotiation",
         c_quic_server_versions, i_quic_server_versions),
    SCALAR("tlsmon.quic.retry", FT_BOOL,
           "the server sent a Retry (address validation)", g_quic_retry),
    SCALAR("tlsmon.quic.zero_rtt", FT_BOOL,
           "the client sent 0-RTT packets", g_quic_zero_rtt),
    SCALAR("tlsmon.quic.initial_packets.client", FT_INT,
           "Initial packets from the client (retransmissions included)",
           g_quic_initial_client),
    SCALAR("tlsmon.quic.initial_packets.server", FT_INT,
           "Initial packets from the server", g_quic_initial_server),
    SCALAR("tlsmon.quic.handshake_packets.client", FT_INT,
           "Handshake packets from the client (encrypted)",
           g_quic_handshake_client),
    SCALAR("tlsmon.quic.handshake_packets.server", FT_INT,
           "Handshake packets from the server (encrypted)",
           g_quic_handshake_server),
    SCALAR("tlsmon.quic.short_header_packets.client", FT_INT,
           "1-RTT (short header) packets from the client until the "
           "decision", g_quic_short_client),
    SCALAR("tlsmon.quic.short_header_packets.server", FT_INT,
           "1-RTT packets from the server until the decision",
           g_quic_short_server),
    SCALAR("tlsmon.quic.close_error_code", FT_INT,
           "error code of the CONNECTION_CLOSE read in an Initial packet "
           "(0x100 + N is TLS alert N)", g_quic_close_code),
    SCALAR("tlsmon.quic.close_error", FT_STRING,
           "its name: NO_ERROR, CONNECTION_REFUSED, CRYPTO_ERROR(alert) ... "
           "or application", g_quic_close_error),
    SCALAR("tlsmon.quic.close_sender", FT_STRING,
           "client or server, who sent that CONNECTION_CLOSE",
           g_quic_close_sender),
    SCALAR("tlsmon.quic.close_reason", FT_STRING,
           "its reason phrase, printable", g_quic_close_reason),
    SCALAR("tlsmon.quic.tcp_fallback", FT_BOOL,
           "unanswered, and the client opened TCP to the same server within "
           "10 s (QUIC blocked)", g_quic_tcp_fallback),
};

static const struct field_def dtls_rows[] = {
    SCALAR("tlsmon.dtls.hello_verify_request", FT_BOOL,
           "the server asked for a cookie (HelloVerifyRequest)", g_dtls_hvr),
    SCALAR("tlsmon.dtls.cookie_length", FT_INT,
           "length of that cookie (or of the one the ClientHello echoed)",
           g_dtls_cookie_len),
    SCALAR("tlsmon.dtls.retransmissions", FT_INT,
           "flights sent again (each retransmitted flight counted once)",
           g_dtls_retransmissions),
    SCALAR("tlsmon.dtls.fragmented_messages", FT_INT,
           "handshake messages that came in several fragments",
           g_dtls_fragmented),
    SCALAR("tlsmon.dtls.stun", FT_BOOL,
           "STUN came first on the same 5-tuple (WebRTC)", g_dtls_stun),
    SCALAR("tlsmon.dtls.unified_header", FT_BOOL,
           "DTLS 1.3 encrypted records (unified header) were seen",
           g_dtls_unified),
};

static const struct field_def icmp_rows[] = {
    SCALAR("tlsmon.icmp.unreachable", FT_STRING,
           "an ICMP unreachable for the server while it had not answered: "
           "port, host, network, prohibited, other", g_icmp_unreachable),
};

/* The rows of `rows`, all reading the record's part `has_part` (NULL: its
 * core). */
#define SEGMENT(rows, has_part)                                               \
    (&(const struct field_segment){rows, ARRAY_LEN(rows), has_part})

static const struct field_segment client_ecs_cert_fields = {
    client_ecs_cert.rows, N_ECS_CERT_FACTS, has_client_cert,
};
static const struct field_segment server_ecs_cert_fields = {
    server_ecs_cert.rows, N_ECS_CERT_FACTS, has_server_cert,
};

/* The record's facts, then the diagnosis the rules add: the order of the
 * JSON keys and of --list-fields. The endpoints' rows follow event.*;
 * each side's certificate rows close its tls.client or tls.server facts
 * (after the JA3, after the JA3S). */
static const struct field_segment *const program_segments[] = {
    SEGMENT(record_event_rows, NULL),
    &ecs_endpoint_fields,
    SEGMENT(record_network_rows, NULL),
    &client_ecs_cert_fields,
    SEGMENT(ja3s_rows, NULL),
    &server_ecs_cert_fields,
    SEGMENT(record_decision_rows, NULL),
    SEGMENT(alert_rows, has_alerts),
    SEGMENT(timing_rows, NULL),
    SEGMENT(client_hello_rows, has_client_hello),
    SEGMENT(hello_crossing_rows, hello_crossed_tcp),
    SEGMENT(client_hello_offer_rows, has_client_hello),
    SEGMENT(server_hello_rows, has_server_hello),
    SEGMENT(pq_rows, has_client_hello),
    SEGMENT(ech_rows, has_ech),
    SEGMENT(ech_after_rows, NULL),
    SEGMENT(server_cert_rows, has_server_cert),
    SEGMENT(staple_verdict_rows, has_staple_result),
    SEGMENT(server_cert_trust_rows, has_server_cert),
    SEGMENT(certificate_request_rows, NULL),
    SEGMENT(client_cert_rows, has_client_cert),
    SEGMENT(decryption_rows, keylog_applied),
    SEGMENT(heartbeat_rows, has_heartbeat),
    SEGMENT(record_rest_rows, NULL),
    SEGMENT(server_history_rows, server_profile_applies),
    SEGMENT(staple_request_rows, NULL),
    SEGMENT(staple_rows, has_staple_result),
    SEGMENT(flow_quality_rows, NULL),
    SEGMENT(quic_rows, over_quic),
    SEGMENT(dtls_rows, over_dtls),
    SEGMENT(icmp_rows, NULL),
    &diagnosis_fields,
};

const struct field_table fields_program = {
    program_segments, ARRAY_LEN(program_segments),
    prepare_ecs_rows,
};
