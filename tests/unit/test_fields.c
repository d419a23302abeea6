/* test_fields.c — the field registry, the JSON writer, and the NDJSON, text
 * and summary outputs, checked against exact expected text built from
 * records filled by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/fields.h"
#include "analyzer/output/alert_event.h"
#include "analyzer/output/record_json.h"
#include "analyzer/output/output.h"
#include "analyzer/output/summary.h"
#include "dissectors/outcome.h"
#include "rules/engine.h"

/* 2026-01-02T03:04:05Z */
#define T0 1767323045ull

static void set_v4(struct endpoint *e, uint8_t a, uint8_t b, uint8_t c,
                   uint8_t d, uint16_t port)
{
    memset(e, 0, sizeof(*e));
    e->ip_version = 4;
    e->addr[0] = a;
    e->addr[1] = b;
    e->addr[2] = c;
    e->addr[3] = d;
    e->port = port;
}

/* The record, its report and its rare part in one allocation: free(h)
 * frees them all. */
struct record_with_report {
    struct handshake h;
    struct handshake_report report;
    struct handshake_rare rare;
};

static struct handshake *new_record(void)
{
    struct record_with_report *rr = calloc(1, sizeof(*rr));
    assert_non_null(rr);
    struct handshake *h = &rr->h;
    h->report = &rr->report;
    h->rare = &rr->rare;
    h->flow_id = 7;
    set_v4(&h->client, 10, 0, 0, 9, 51514);
    set_v4(&h->server, 10, 0, 0, 5, 443);
    h->roles_from_syn = true;
    h->flow_start_us = T0 * 1000000ull + 100000;
    h->flow_end_us = T0 * 1000000ull + 200000;
    h->ended_by_side = -1;
    h->handshake_us = -1;
    h->server_response_us = -1;
    return h;
}

/* TLS 1.2, ECDHE-RSA-AES128-GCM, established in 12.3 ms. */
static struct handshake *tls12_established(void)
{
    struct handshake *h = new_record();
    h->ch.seen = true;
    h->ch.ts_us = T0 * 1000000ull + 123456;
    h->ch.record_version = TLS_V_1_0;
    h->ch.legacy_version = TLS_V_1_2;
    h->ch.length = 508;
    uint16_t ciphers[] = {0x3a3a, 0xc02f, 0x1301, 0xfeed};
    memcpy(h->ch.ciphers.head, ciphers, sizeof(ciphers));
    h->ch.ciphers.n = h->ch.ciphers.total = 4;
    uint16_t groups[] = {0x2a2a, 29, 23, 0x1234};
    memcpy(h->ch.groups.v, groups, sizeof(groups));
    h->ch.groups.n = 4;
    uint16_t exts[] = {0x0a0a, 0, 10, 16, 0xff01, 0x7777};
    memcpy(h->ch.extensions.v, exts, sizeof(exts));
    h->ch.extensions.n = h->ch.extensions.total = 6;
    h->ch.has_sni = true;
    strcpy(h->ch.sni, "server.test");
    h->ch.sni_len = 11;
    memcpy(h->ch.alpn_text, "h2\0http/1.1", sizeof "h2\0http/1.1");
    h->ch.alpn_at[1] = 3;
    h->ch.n_alpn = 2;
    h->ch.compression.v[0] = 0;
    h->ch.compression.n = 1;
    uint16_t sig[] = {0x0403, 0x8a8a, 0x0804, 0x0999};
    memcpy(h->ch.sigalgs.v, sig, sizeof(sig));
    h->ch.sigalgs.n = 4;

    h->sh.seen = true;
    h->sh.record_version = TLS_V_1_2;
    h->sh.legacy_version = TLS_V_1_2;
    h->sh.version = TLS_V_1_2;
    h->sh.cipher = 0xc02f;
    h->sh.group = 29;
    h->sh.has_alpn = true;
    strcpy(h->sh.alpn, "h2");
    uint16_t sexts[] = {0xff01, 16};
    memcpy(h->sh.extensions.v, sexts, sizeof(sexts));
    h->sh.extensions.n = h->sh.extensions.total = 2;
    h->server_certs.seen = true;
    h->server_certs.n_certs = 2;
    h->server_certs.n_certs_total = 2;

    h->ccs[0] = h->ccs[1] = h->finished[0] = h->finished[1] = true;
    h->outcome = OUTCOME_ESTABLISHED;
    h->stage = STAGE_SERVER_FINISHED;
    h->handshake_us = 12345;
    h->server_response_us = 1500;
    h->packets[0] = 6;
    h->packets[1] = 5;
    h->bytes[0] = 700;
    h->bytes[1] = 3000;
    strcpy(h->report->ndpi_protocol, "TLS");
    return h;
}

/* TLS 1.3; the client rejects the server's flight with an encrypted alert
 * (19 bytes) and closes. */
static struct handshake *tls13_encrypted_alert(void)
{
    struct handshake *h = new_record();
    h->ch.seen = true;
    h->ch.ts_us = T0 * 1000000ull;
    h->ch.record_version = TLS_V_1_0;
    h->ch.legacy_version = TLS_V_1_2;
    h->ch.has_supported_versions = true;
    uint16_t versions[] = {0x5a5a, TLS_V_1_3, TLS_V_1_2};
    memcpy(h->ch.versions.v, versions, sizeof(versions));
    h->ch.versions.n = 3;
    h->ch.ciphers.head[0] = 0x1301;
    h->ch.ciphers.n = h->ch.ciphers.total = 1;
    h->ch.key_shares.v[0].group = 0x1a1a;
    h->ch.key_shares.v[1].group = 29;
    h->ch.key_shares.n = 2;
    h->sh.seen = true;
    h->sh.legacy_version = TLS_V_1_2;
    h->sh.version = TLS_V_1_3;
    h->sh.cipher = 0x1301;
    h->sh.group = 29;
    h->rare->alerts.v[0] = (struct tls_alert){.sender = TLS_SIDE_CLIENT,
                                      .encrypted = true,
                                      .length = 19,
                                      .stage = STAGE_SERVER_ENCRYPTED_FLIGHT};
    h->rare->alerts.n = 1;
    h->rare->alerts.total = 1;
    h->outcome = OUTCOME_FAILED;
    h->ended_by = ENDED_ALERT;
    h->ended_by_side = TLS_SIDE_CLIENT;
    h->stage = STAGE_SERVER_ENCRYPTED_FLIGHT;
    h->failure_stage = STAGE_SERVER_ENCRYPTED_FLIGHT;
    h->handshake_us = 40000;
    return h;
}

/* IPv6; the server answered the ClientHello with HTTP. */
static struct handshake *ipv6_not_tls(void)
{
    struct handshake *h = new_record();
    static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    h->client.ip_version = h->server.ip_version = 6;
    memcpy(h->client.addr, a, 16);
    memcpy(h->server.addr, b, 16);
    h->client.port = 50000;
    h->roles_from_syn = false;
    h->midstream = true;
    h->ch.seen = true;
    h->ch.ts_us = T0 * 1000000ull;
    h->ch.legacy_version = TLS_V_1_2;
    strcpy(h->not_tls_preview, "HTTP/1.1 400 Bad");
    strcpy(h->report->ndpi_protocol, "HTTP");
    h->outcome = OUTCOME_NOT_TLS;
    h->ended_by = ENDED_NOT_TLS;
    h->ended_by_side = TLS_SIDE_SERVER;
    h->stage = STAGE_CLIENT_HELLO;
    h->failure_stage = STAGE_CLIENT_HELLO;
    return h;
}

/* Every record rendered here is also a check of the segments' parts: no
 * field the writer skips with its segment may have a value. */
static char *render(const struct handshake *h)
{
    const struct field_def *miss = fields_part_misses(h);
    if (miss)
        fail_msg("%s has a value, its segment says the part is absent",
                 miss->name);
    struct json_writer w;
    json_init(&w);
    json_write_record(&w, h);
    assert_false(w.failed);
    assert_int_equal(w.depth, 0);
    char *s = strdup(json_text(&w));
    json_free(&w);
    return s;
}

#define assert_contains(hay, needle)                                          \
    do {                                                                      \
        if (!strstr((hay), (needle)))                                         \
            fail_msg("missing %s\nin %s", (needle), (hay));                   \
    } while (0)

#define assert_lacks(hay, needle)                                             \
    do {                                                                      \
        if (strstr((hay), (needle)))                                          \
            fail_msg("unexpected %s\nin %s", (needle), (hay));                \
    } while (0)

/* ---- registry ----------------------------------------------------------- */

static size_t shared_segments(const char *a, const char *b)
{
    size_t n = 0;
    for (size_t i = 0; a[i] == b[i] && a[i]; i++)
        if (a[i] == '.')
            n++;
    return n;
}

static void test_registry_shape(void **state)
{
    (void)state;
    /* json_write_record cuts names into at most this many segments. */
    for (size_t i = 0; i < fields_count(); i++) {
        int segments = 1;
        for (const char *c = fields_at(i)->name; *c; c++)
            segments += *c == '.';
        assert_true(segments <= JSON_FIELD_MAX_SEGMENTS);
    }
    size_t n = fields_count();
    assert_true(n > 80);
    assert_null(fields_at(n));
    for (size_t i = 0; i < n; i++) {
        const struct field_def *f = fields_at(i);
        assert_non_null(f->name);
        assert_true(f->description && f->description[0]);
        assert_ptr_equal(fields_find(f->name), f);
        /* Its own accessors, or a shared reader with what it reads. */
        if (f->reader)
            assert_true(f->arg && !f->get && !f->count && !f->item &&
                        f->reader->get && f->reader->count &&
                        f->reader->item);
        else if (field_is_list(f))
            assert_true(f->count && f->item && !f->get);
        else
            assert_true(f->get && !f->count && !f->item);
        for (size_t j = i + 1; j < n; j++) {
            const char *a = f->name, *b = fields_at(j)->name;
            assert_int_not_equal(strcmp(a, b), 0);
            /* No name may also be an object holding others. */
            size_t la = strlen(a), lb = strlen(b);
            assert_false(la < lb && strncmp(a, b, la) == 0 && b[la] == '.');
            assert_false(lb < la && strncmp(a, b, lb) == 0 && a[lb] == '.');
        }
    }
    /* Every prefix is contiguous: whatever i and k share, every field
     * between them shares too. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 2; k < n; k++) {
            size_t shared = shared_segments(fields_at(i)->name,
                                            fields_at(k)->name);
            for (size_t j = i + 1; j < k; j++)
                assert_true(shared_segments(fields_at(i)->name,
                                            fields_at(j)->name) >= shared);
        }
    assert_null(fields_find("tls"));
    assert_null(fields_find("no.such.field"));
    assert_int_equal(fields_find("tls.version")->type, FT_VERSION);
    assert_int_equal(fields_find("tlsmon.alerts")->type, FT_ALERTS);
}

static void test_list_and_markdown(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    fields_print_markdown(fp);
    fclose(fp);
    assert_true(strncmp(buf, "| field | type | description |\n|---|---|---|\n"
                             "| `@timestamp` | time | ",
                        strlen("| field | type | description |\n|---|---|---|"
                               "\n| `@timestamp` | time | ")) == 0);
    assert_contains(buf, "\n| `tls.client.supported_ciphers` | string list | "
                         "cipher suites offered, wire order, GREASE left "
                         "out |\n");
    size_t rows = 0;
    for (char *p = buf; *p; p++)
        rows += *p == '\n';
    assert_int_equal(rows, fields_count() + 2);
    free(buf);

    buf = NULL;
    fp = open_memstream(&buf, &len);
    fields_print_list(fp);
    fclose(fp);
    assert_contains(buf, "\ntls.cipher ");
    assert_contains(buf, "  version      negotiated version");
    free(buf);
}

/* ---- values ------------------------------------------------------------- */

static void test_value_format(void **state)
{
    (void)state;
    char buf[64];
    struct field_value v = {.type = FT_TIME,
                            .num = (int64_t)(T0 * 1000000 + 5)};
    assert_string_equal(field_value_format(&v, buf, sizeof(buf)),
                        "2026-01-02T03:04:05.000005Z");
    assert_string_equal(fields_time_string(T0 * 1000000 + 123999, 3, buf,
                                           sizeof(buf)),
                        "2026-01-02T03:04:05.123Z");
    v = (struct field_value){.type = FT_VERSION, .num = 0x1234};
    assert_string_equal(field_value_format(&v, buf, sizeof(buf)), "0x1234");
    v.num = TLS_V_SSL3;
    assert_string_equal(field_value_format(&v, buf, sizeof(buf)), "ssl3");
    v = (struct field_value){.type = FT_FLOAT, .real = 12.3456};
    assert_string_equal(field_value_format(&v, buf, sizeof(buf)), "12.346");
    v.real = 0.0004;
    assert_string_equal(field_value_format(&v, buf, sizeof(buf)), "0.000");
    v = (struct field_value){.type = FT_INT, .num = -42};
    assert_string_equal(field_value_format(&v, buf, sizeof(buf)), "-42");
    assert_string_equal(fields_cipher_string(0xc02f, buf, sizeof(buf)),
                        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_string_equal(fields_cipher_string(0xfeed, buf, sizeof(buf)),
                        "0xFEED");
    assert_string_equal(fields_cipher_string(0x0f0f0f, buf, sizeof(buf)),
                        "0x0F0F0F");
    assert_string_equal(fields_alert_description(70, buf, sizeof(buf)),
                        "protocol_version");
    assert_string_equal(fields_alert_description(201, buf, sizeof(buf)),
                        "unknown_201");
    /* Small output buffers cut but terminate. */
    assert_string_equal(fields_printable("ab\033[31m", buf, 6), "ab");
    assert_string_equal(fields_printable("ab\033[31m", buf, sizeof(buf)),
                        "ab\\x1b[31m");
}

/* json_fixed3 writes its digits itself: the same text as the registry's
 * FT_FLOAT formatting, rounding and cap included. */
static void test_fixed3(void **state)
{
    (void)state;
    const double cases[] = {0, 1.5, 0.0004, 0.0005, -1.2345, 12345.6789,
                            -0.0001, 1e20, -1e20, 7.0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_writer w;
        char want[64];
        struct field_value v = {.type = FT_FLOAT, .real = cases[i]};
        json_init(&w);
        json_fixed3(&w, cases[i]);
        assert_string_equal(json_text(&w),
                            field_value_format(&v, want, sizeof(want)));
        json_free(&w);
    }
}

/* RFC 3339 times are written without strftime: calendar edges. */
static void test_time_string(void **state)
{
    (void)state;
    char buf[48], small[8];
    assert_string_equal(fields_time_string(0, 6, buf, sizeof(buf)),
                        "1970-01-01T00:00:00.000000Z");
    assert_string_equal(fields_time_string(951782400000000ULL + 1, 6, buf,
                                           sizeof(buf)),
                        "2000-02-29T00:00:00.000001Z"); /* 400-year leap */
    assert_string_equal(fields_time_string(4107542399000000ULL, 0, buf,
                                           sizeof(buf)),
                        "2100-02-28T23:59:59Z"); /* 100-year non-leap */
    assert_string_equal(fields_time_string(253402300799999999ULL, 3, buf,
                                           sizeof(buf)),
                        "9999-12-31T23:59:59.999Z");
    assert_string_equal(fields_time_string(253402300800000000ULL, 0, buf,
                                           sizeof(buf)),
                        "10000-01-01T00:00:00Z");
    assert_string_equal(fields_time_string(UINT64_MAX, 6, buf, sizeof(buf)),
                        "586524-01-19T08:01:49.551615Z");
    assert_string_equal(fields_time_string(0, 6, small, sizeof(small)),
                        "1970-01");
}

static void test_list_accessors(void **state)
{
    (void)state;
    struct handshake *h = tls12_established();
    const struct field_def *f = fields_find("tls.client.supported_ciphers");
    assert_int_equal(field_count(f, h), 4);
    assert_int_equal(field_list_len(f, h), 3);
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    /* Slot 0 is GREASE. */
    assert_false(field_item(f, h, 0, &v, scratch, sizeof(scratch)));
    assert_true(field_item(f, h, 3, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "0xFEED");
    /* A scalar's type is reported with its value. */
    f = fields_find("tlsmon.client_hello.highest_version");
    assert_true(field_get(f, h, &v, scratch, sizeof(scratch)));
    assert_int_equal(v.type, FT_VERSION);
    assert_int_equal(v.num, TLS_V_1_2);
    free(h);

    h = tls13_encrypted_alert();
    assert_true(field_get(f, h, &v, scratch, sizeof(scratch)));
    assert_int_equal(v.num, TLS_V_1_3);
    free(h);
}

/* Certificate rows name their certificate: the server's rows read the
 * server's, the client's the client's, and a leaf fact needs a parsed
 * leaf. */
static void test_certificate_rows(void **state)
{
    (void)state;
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    struct handshake *h = tls12_established();
    struct cert_result *s = &h->report->server_cert;
    struct cert_result *c = &h->report->client_cert;
    strcpy(s->subject_cn, "server.example");
    strcpy(c->subject_cn, "client-7");
    s->key_bits = 2048;
    s->sans.n = s->sans.total = 2;
    strcpy(s->sans.v[0].text, "a.example");
    strcpy(s->sans.v[1].text, "b.example");
    const struct field_def *scn =
        fields_find("tls.server.x509.subject.common_name");
    const struct field_def *ccn =
        fields_find("tls.client.x509.subject.common_name");
    const struct field_def *bits =
        fields_find("tls.server.x509.public_key_size");
    const struct field_def *sans =
        fields_find("tls.server.x509.alternative_names");
    /* Both sides' rows come from one row a fact: the side goes into the
     * description wherever it stands. */
    assert_string_equal(ccn->description, "client certificate (leaf) "
                                          "subject CN (the last, most "
                                          "specific)");
    assert_string_equal(fields_find("tls.server.hash.sha256")->description,
                        "SHA-256 of the server leaf DER, uppercase hex");
    assert_int_equal(field_count(scn, h), 0); /* leaf not parsed */
    assert_false(field_get(bits, h, &v, scratch, sizeof(scratch)));
    s->leaf_parsed = c->leaf_parsed = true;
    assert_int_equal(field_count(scn, h), 1);
    assert_true(field_item(scn, h, 0, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "server.example");
    assert_true(field_item(ccn, h, 0, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "client-7");
    assert_true(field_get(bits, h, &v, scratch, sizeof(scratch)));
    assert_int_equal(v.num, 2048);
    assert_int_equal(field_list_len(sans, h), 2);
    assert_true(field_item(sans, h, 1, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "b.example");
    free(h);
}

/* The endpoint rows come from one row a fact for both sides: source.*
 * and client.* read the client, destination.* and server.* the server,
 * and the client.* and server.* rows say which row they repeat. */
static void test_endpoint_rows(void **state)
{
    (void)state;
    static const char *const order[] = {
        "source.ip", "source.port", "source.bytes", "source.packets",
        "destination.ip", "destination.port", "destination.domain",
        "destination.bytes", "destination.packets",
        "client.ip", "client.port", "server.ip", "server.port",
    };
    size_t at = 0;
    while (fields_at(at) && fields_at(at) != fields_find("source.ip"))
        at++;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        assert_string_equal(fields_at(at + i)->name, order[i]);
    assert_string_equal(fields_at(at - 1)->name, "event.duration");
    assert_string_equal(fields_at(at + 13)->name, "observer.hostname");
    assert_null(fields_find("source.domain"));
    assert_null(fields_find("client.bytes"));
    assert_string_equal(fields_find("source.ip")->description,
                        "client address");
    assert_string_equal(fields_find("destination.bytes")->description,
                        "IP payload bytes from the server");
    assert_string_equal(fields_find("client.port")->description,
                        "client port (as source.port)");
    assert_string_equal(fields_find("server.ip")->description,
                        "server address (as destination.ip)");

    char scratch[FIELD_SCRATCH];
    struct field_value v;
    struct handshake *h = tls12_established();
    assert_true(field_get(fields_find("client.ip"), h, &v, scratch,
                          sizeof(scratch)));
    assert_int_equal(v.type, FT_IP);
    assert_string_equal(v.str, "10.0.0.9");
    assert_true(field_get(fields_find("server.port"), h, &v, scratch,
                          sizeof(scratch)));
    assert_int_equal(v.num, 443);
    assert_true(field_get(fields_find("source.bytes"), h, &v, scratch,
                          sizeof(scratch)));
    assert_int_equal(v.num, 700);
    assert_true(field_get(fields_find("destination.packets"), h, &v,
                          scratch, sizeof(scratch)));
    assert_int_equal(v.num, 5);
    assert_true(field_get(fields_find("destination.domain"), h, &v, scratch,
                          sizeof(scratch)));
    assert_string_equal(v.str, "server.test");
    /* Without its address a side's port and counts are not reported. */
    h->server.ip_version = 0;
    assert_false(field_get(fields_find("destination.ip"), h, &v, scratch,
                           sizeof(scratch)));
    assert_false(field_get(fields_find("server.port"), h, &v, scratch,
                           sizeof(scratch)));
    assert_false(field_get(fields_find("destination.bytes"), h, &v, scratch,
                           sizeof(scratch)));
    assert_true(field_get(fields_find("source.packets"), h, &v, scratch,
                          sizeof(scratch)));
    free(h);
}

/* A certificate verdict is there only once its stage decided it: the
 * dates for expiry, the chain for trust. */
static void test_certificate_stages(void **state)
{
    (void)state;
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    struct handshake *h = tls12_established();
    struct cert_result *s = &h->report->server_cert;
    const struct field_def *expired =
        fields_find("tlsmon.certificate.expired");
    const struct field_def *untrusted =
        fields_find("tlsmon.certificate.untrusted");
    assert_non_null(expired);
    assert_non_null(untrusted);
    s->leaf_parsed = s->expired = s->untrusted = true;
    assert_false(field_get(expired, h, &v, scratch, sizeof(scratch)));
    assert_false(field_get(untrusted, h, &v, scratch, sizeof(scratch)));
    s->times_checked = s->chain_checked = true;
    assert_true(field_get(expired, h, &v, scratch, sizeof(scratch)));
    assert_true(v.boolean);
    assert_true(field_get(untrusted, h, &v, scratch, sizeof(scratch)));
    /* Without a verifiable signature there is no trust verdict. */
    s->signature_unverifiable = true;
    assert_false(field_get(untrusted, h, &v, scratch, sizeof(scratch)));
    free(h);
}

/* Each decrypted-messages row reads its own side's messages. */
static void test_decrypted_messages_sides(void **state)
{
    (void)state;
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    struct handshake *h = tls12_established();
    const struct field_def *client =
        fields_find("tlsmon.decryption.client_messages");
    const struct field_def *server =
        fields_find("tlsmon.decryption.server_messages");
    assert_int_equal(field_count(client, h), 0);
    assert_int_equal(field_count(server, h), 0);
    h->decryption.messages[TLS_SIDE_SERVER] = 1u << 11; /* Certificate */
    assert_int_equal(field_count(client, h), 0);
    assert_int_equal(field_list_len(server, h), 1);
    assert_false(field_item(server, h, 8, &v, scratch, sizeof(scratch)));
    assert_true(field_item(server, h, 11, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "certificate");
    free(h);
}

/* The sensor is the run's, carried by the record's report: a record of a
 * file has none, a live one names the host and interface. */
static void test_observer_from_report(void **state)
{
    (void)state;
    const struct field_def *host = fields_find("observer.hostname");
    const struct field_def *iface =
        fields_find("observer.ingress.interface.name");
    char scratch[FIELD_SCRATCH];
    struct field_value v;
    struct handshake *h = tls12_established();
    assert_false(field_get(host, h, &v, scratch, sizeof(scratch)));
    assert_false(field_get(iface, h, &v, scratch, sizeof(scratch)));
    h->report->observer = (struct observer){"sensor-a", "eth1"};
    assert_true(field_get(host, h, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "sensor-a");
    assert_true(field_get(iface, h, &v, scratch, sizeof(scratch)));
    assert_string_equal(v.str, "eth1");
    free(h);
}

/* ---- JSON writer -------------------------------------------------------- */

static void test_writer_basics(void **state)
{
    (void)state;
    struct json_writer w;
    json_init(&w);
    json_begin_object(&w);
    json_key(&w, "a");
    json_int(&w, -1);
    json_key(&w, "b");
    json_begin_array(&w);
    json_uint(&w, UINT64_MAX);
    json_bool(&w, false);
    json_begin_object(&w);
    json_end_object(&w);
    json_string(&w, NULL);
    json_fixed3(&w, 1.5);
    json_end_array(&w);
    json_key(&w, "c");
    json_begin_object(&w);
    json_key(&w, "d");
    json_bool(&w, true);
    json_end_object(&w);
    json_end_object(&w);
    assert_false(w.failed);
    assert_string_equal(json_text(&w),
                        "{\"a\":-1,\"b\":[18446744073709551615,false,{},\"\","
                        "1.500],\"c\":{\"d\":true}}");
    json_free(&w);

    /* A fixed buffer that is too small fails as a whole. */
    char small[8];
    json_init_fixed(&w, small, sizeof(small));
    json_begin_object(&w);
    json_key(&w, "abcdef");
    json_int(&w, 1);
    json_end_object(&w);
    assert_true(w.failed);
    assert_string_equal(json_text(&w), "");
    json_reset(&w);
    assert_false(w.failed);
    json_begin_array(&w);
    json_end_array(&w);
    assert_string_equal(json_text(&w), "[]");

    /* Unbalanced closes and over-deep nesting are refused. */
    json_init(&w);
    json_end_object(&w);
    assert_true(w.failed);
    json_reset(&w);
    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
        json_begin_array(&w);
    assert_true(w.failed);
    json_free(&w);
}

/* A writer made with room keeps that buffer while what it holds fits. */
static void test_writer_capacity(void **state)
{
    (void)state;
    struct json_writer w;
    json_init_capacity(&w, 4096);
    assert_int_equal(w.cap, 4096);
    assert_string_equal(json_text(&w), "");
    char *buf = w.buf;
    char block[3000];
    memset(block, 'x', sizeof(block));
    assert_true(json_append_raw(&w, block, sizeof(block)));
    json_reset(&w);
    assert_true(json_append_raw(&w, block, sizeof(block)));
    assert_ptr_equal(w.buf, buf);
    assert_true(json_append_raw(&w, block, sizeof(block)));
    assert_true(w.cap > 4096);
    json_free(&w);
    json_init_capacity(&w, 0);
    assert_null(w.buf);
    json_begin_object(&w);
    json_end_object(&w);
    assert_string_equal(json_text(&w), "{}");
    json_free(&w);
}

static void test_writer_escaping(void **state)
{
    (void)state;
    struct json_writer w;
    json_init(&w);
    static const char in[] = "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f"
                             "\xc3\xa9"         /* é: valid */
                             "\xf0\x9f\x98\x80" /* U+1F600: valid */
                             "\xc0\x80"         /* overlong NUL */
                             "\xed\xa0\x80"     /* surrogate */
                             "\xf4\x90\x80\x80" /* past U+10FFFF */
                             "\xff\x80"
                             "\xe2\x82"; /* cut short at the end */
    json_string_n(&w, in, sizeof(in) - 1);
    assert_string_equal(
        json_text(&w),
        "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f"
        "\xc3\xa9\xf0\x9f\x98\x80"
        "\\u00c0\\u0080\\u00ed\\u00a0\\u0080\\u00f4\\u0090\\u0080\\u0080"
        "\\u00ff\\u0080\\u00e2\\u0082\"");
    json_reset(&w);
    /* Embedded NUL with an explicit length. */
    json_string_n(&w, "a\0b", 3);
    assert_string_equal(json_text(&w), "\"a\\u0000b\"");
    json_free(&w);
}

/* ---- records ------------------------------------------------------------ */

static void test_record_tls12(void **state)
{
    (void)state;
    struct handshake *h = tls12_established();
    char *s = render(h);
    assert_string_equal(
        s,
        "{\"@timestamp\":\"2026-01-02T03:04:05.123456Z\","
        "\"ecs\":{\"version\":\"" TLSMON_ECS_VERSION "\"},"
        "\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
        "\"type\":[\"connection\",\"protocol\"],"
        "\"dataset\":\"tlsmon.handshake\","
        "\"outcome\":\"success\",\"start\":\"2026-01-02T03:04:05.100000Z\","
        "\"end\":\"2026-01-02T03:04:05.200000Z\",\"duration\":100000000},"
        "\"source\":{\"ip\":\"10.0.0.9\",\"port\":51514,\"bytes\":700,"
        "\"packets\":6},"
        "\"destination\":{\"ip\":\"10.0.0.5\",\"port\":443,"
        "\"domain\":\"server.test\",\"bytes\":3000,\"packets\":5},"
        "\"client\":{\"ip\":\"10.0.0.9\",\"port\":51514},"
        "\"server\":{\"ip\":\"10.0.0.5\",\"port\":443},"
        "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\","
        "\"protocol\":\"tls\"},"
        "\"tls\":{\"version\":\"1.2\",\"version_protocol\":\"tls\","
        "\"cipher\":\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
        "\"curve\":\"x25519\",\"established\":true,\"resumed\":false,"
        "\"next_protocol\":\"h2\",\"client\":{\"server_name\":\"server.test\","
        "\"supported_ciphers\":[\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
        "\"TLS_AES_128_GCM_SHA256\",\"0xFEED\"]}},"
        "\"related\":{\"ip\":[\"10.0.0.9\",\"10.0.0.5\"],"
        "\"hosts\":[\"server.test\"]},"
        "\"tlsmon\":{\"flow_id\":7,\"round\":0,\"outcome\":\"established\","
        "\"stage\":\"server_finished\",\"handshake_ms\":12.345,"
        "\"server_response_ms\":1.500,\"hello_delay_ms\":23.456,\"hrr\":false,"
        "\"client_hello\":{\"version\":\"1.2\",\"record_version\":\"1.0\","
        "\"highest_version\":\"1.2\",\"length\":508,\"ciphers_count\":4,"
        "\"modern_ciphers\":2,"
        "\"groups\":[\"x25519\",\"secp256r1\",\"0x1234\"],"
        "\"alpn\":[\"h2\",\"http/1.1\"],"
        "\"signature_algorithms\":[\"ecdsa_secp256r1_sha256\","
        "\"rsa_pss_rsae_sha256\",\"0x0999\"],"
        "\"extensions\":[\"grease\",\"server_name\",\"supported_groups\","
        "\"application_layer_protocol_negotiation\",\"renegotiation_info\","
        "\"30583\"],"
        "\"session_id_length\":0,\"session_ticket\":false,\"psk\":false,"
        "\"early_data\":false,\"ech\":false,\"esni\":false,"
        "\"fallback_scsv\":false,\"sslv2\":false,\"compression\":[0]},"
        "\"server_hello\":{\"cipher_id\":\"0xc02f\",\"legacy_version\":\"1.2\",\"record_version\":"
        "\"1.2\",\"group\":\"x25519\",\"compression\":0,"
        "\"extensions\":[\"renegotiation_info\","
        "\"application_layer_protocol_negotiation\"]},"
        "\"pq\":{\"offered\":false,\"status\":\"not_offered\"},"
        "\"cipher\":{\"forward_secrecy\":true},"
        "\"server_certificates\":{\"count\":2},\"certificate_request\":false,"
        "\"new_session_ticket\":false,"
        "\"encrypted_records\":{\"client\":0,\"server\":0},"
        "\"app_data\":{\"client\":false,\"server\":false},"
        "\"ocsp\":{\"requested\":false,\"stapled\":false},"
        "\"ndpi\":{\"protocol\":\"TLS\"},\"gaps\":0,"
        "\"gap_bytes\":0,\"midstream\":false,\"roles_inferred\":false,"
        "\"resynced\":false,\"truncated\":false,\"protocol\":\"tls\"}}");
    free(s);
    free(h);
}

static void test_record_tls13_encrypted_alert(void **state)
{
    (void)state;
    struct handshake *h = tls13_encrypted_alert();
    char *s = render(h);
    assert_contains(s, "\"tls\":{\"version\":\"1.3\",\"version_protocol\":"
                       "\"tls\",\"cipher\":\"TLS_AES_128_GCM_SHA256\","
                       "\"curve\":\"x25519\",\"established\":false,"
                       "\"resumed\":false,\"client\":{\"supported_ciphers\":"
                       "[\"TLS_AES_128_GCM_SHA256\"]}},");
    assert_contains(s, "\"outcome\":\"failure\"");
    assert_contains(s, "\"outcome\":\"failed\",\"stage\":"
                       "\"server_encrypted_flight\",\"failure_stage\":"
                       "\"after_server_encrypted_flight\",\"ended_by\":"
                       "\"alert\",\"ended_by_side\":\"client\","
                       "\"alert\":{\"sender\":\"client\",\"encrypted\":true},"
                       "\"alerts\":[{\"sender\":\"client\",\"encrypted\":true,"
                       "\"length\":19,\"stage\":"
                       "\"after_server_encrypted_flight\"}],"
                       "\"handshake_ms\":40.000,\"hrr\":false,");
    assert_contains(s, "\"highest_version\":\"1.3\",\"versions\":[\"1.3\","
                       "\"1.2\"],");
    assert_contains(s, "\"key_share_groups\":[\"x25519\"],");
    /* Absent: no SNI, no ALPN, no server_response time, no certificates. */
    assert_lacks(s, "server_name");
    assert_lacks(s, "next_protocol");
    assert_lacks(s, "server_response_ms");
    assert_lacks(s, "server_certificates");
    assert_lacks(s, "\"level\"");
    assert_lacks(s, "\"groups\"");
    free(s);

    /* A plain fatal alert carries level, description and code. */
    h->rare->alerts.v[0] = (struct tls_alert){.sender = TLS_SIDE_SERVER,
                                      .level = 2,
                                      .description = 70,
                                      .stage = STAGE_CLIENT_HELLO};
    h->rare->alerts.v[1] = (struct tls_alert){.sender = TLS_SIDE_SERVER,
                                      .level = 1,
                                      .description = 250};
    h->rare->alerts.n = 2;
    h->rare->alerts.total = 3;
    s = render(h);
    assert_contains(s, "\"alert\":{\"sender\":\"server\",\"level\":\"fatal\","
                       "\"description\":\"protocol_version\",\"code\":70,"
                       "\"encrypted\":false},\"alerts\":[{\"sender\":"
                       "\"server\",\"level\":\"fatal\",\"description\":"
                       "\"protocol_version\",\"code\":70,\"stage\":"
                       "\"after_client_hello\"},{\"sender\":\"server\","
                       "\"level\":\"warning\",\"description\":\"unknown_250\","
                       "\"code\":250}],");
    assert_contains(s, "\"truncated\":true,\"protocol\":\"tls\"}}");
    free(s);
    free(h);
}

static void test_record_ipv6_not_tls(void **state)
{
    (void)state;
    struct handshake *h = ipv6_not_tls();
    h->vlan[0] = 100;
    h->vlan[1] = 7;
    h->n_vlan = 2;
    char *s = render(h);
    assert_contains(s, "\"source\":{\"ip\":\"2001:db8::1\",\"port\":50000,"
                       "\"bytes\":0,\"packets\":0},"
                       "\"destination\":{\"ip\":\"2001:db8::2\",\"port\":443,"
                       "\"bytes\":0,\"packets\":0},");
    /* VLAN ids are ECS keywords. */
    assert_contains(s, "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv6\","
                       "\"protocol\":\"tls\",\"vlan\":{\"id\":\"100\"},"
                       "\"inner\":{\"vlan\":{\"id\":\"7\"}}},"
                       "\"tls\":{\"established\":false},"
                       "\"related\":{\"ip\":[\"2001:db8::1\",\"2001:db8::2\"]},");
    assert_contains(s, "\"outcome\":\"not_tls\",\"stage\":\"client_hello\","
                       "\"failure_stage\":\"after_client_hello\","
                       "\"ended_by\":\"not_tls\",\"ended_by_side\":\"server\","
                       "\"client_hello\":{");
    assert_contains(s, "\"ndpi\":{\"protocol\":\"HTTP\"}");
    assert_contains(s, "\"midstream\":true,\"roles_inferred\":true,");
    assert_contains(s, "\"not_tls_preview\":\"HTTP/1.1 400 Bad\"");
    assert_lacks(s, "\"server_hello\"");
    assert_lacks(s, "\"hrr\"");
    assert_lacks(s, "\"certificate_request\"");
    free(s);

    /* An unset record still makes a well-formed object. */
    struct handshake_report *report = h->report;
    memset(h, 0, sizeof(*h));
    handshake_attach_report(h, report);
    h->ended_by_side = -1;
    h->handshake_us = h->server_response_us = -1;
    s = render(h);
    assert_string_equal(
        s, "{\"ecs\":{\"version\":\"" TLSMON_ECS_VERSION "\"},"
           "\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
           "\"type\":[\"connection\",\"protocol\"],"
           "\"dataset\":\"tlsmon.handshake\","
           "\"outcome\":\"unknown\"},\"network\":{\"transport\":\"tcp\","
           "\"protocol\":\"tls\"},"
           "\"tls\":{\"established\":false},\"tlsmon\":{\"flow_id\":0,"
           "\"round\":0,\"outcome\":\"undecided\",\"encrypted_records\":"
           "{\"client\":0,\"server\":0},\"app_data\":{\"client\":false,"
           "\"server\":false},\"gaps\":0,\"gap_bytes\":0,"
           "\"midstream\":false,\"roles_inferred\":true,\"resynced\":false,"
           "\"truncated\":false,\"protocol\":\"tls\"}}");
    free(s);
    free(h);
}

/* A part the record lacks costs its segment's test, and none of its
 * fields is written; one it has is written whole. */
static void test_record_parts(void **state)
{
    (void)state;
    struct handshake *h = tls12_established();
    char *s = render(h);
    assert_contains(s, "\"client_hello\":{\"version\":\"1.2\"");
    assert_lacks(s, "\"quic\":");
    assert_lacks(s, "\"dtls\":");
    assert_lacks(s, "\"certificate\":{");
    free(s);

    /* The stage saw the server's chain encrypted: that alone is a fact. */
    h->report->server_cert.analyzed = true;
    h->transport = HS_OVER_QUIC;
    h->rare->quic.client_version = 1;
    s = render(h);
    assert_contains(s, "\"certificate\":{\"visible\":false}");
    assert_contains(s, "\"quic\":{\"client_version\":\"1\","
                       "\"initial_decrypted\":false,");
    free(s);

    /* A record that breaks a part's promise (a leaf without the stage
     * having run) is caught by the check, and the writer, which trusts
     * the part, leaves the leaf's facts out. */
    h->report->server_cert.analyzed = false;
    h->report->server_cert.leaf_parsed = true;
    h->report->server_cert.self_signed = true;
    const struct field_def *miss = fields_part_misses(h);
    assert_non_null(miss);
    assert_true(strncmp(miss->name, "tls.server.", 11) == 0 ||
                strncmp(miss->name, "tlsmon.certificate.", 19) == 0);
    struct json_writer w;
    json_init(&w);
    json_write_record(&w, h);
    assert_false(w.failed);
    assert_lacks(json_text(&w), "\"self_signed\"");
    json_free(&w);
    free(h);
}

static void test_hostile_strings(void **state)
{
    (void)state;
    struct handshake *h = tls12_established();
    strcpy(h->ch.sni, "a\"b\\c\x01\x1f\xff\xc3\xa9\033[2J");
    /* No terminator at all: the field is left out, never over-read. */
    memset(&h->ch.alpn_text[h->ch.alpn_at[1]], 'x',
           sizeof h->ch.alpn_text - h->ch.alpn_at[1]);
    memset(h->report->ndpi_protocol, 'y', sizeof(h->report->ndpi_protocol));
    char *s = render(h);
    assert_contains(s, "\"server_name\":\"a\\\"b\\\\c\\u0001\\u001f\\u00ff"
                       "\xc3\xa9\\u001b[2J\"");
    assert_contains(s, "\"alpn\":[\"h2\"],");
    assert_lacks(s, "\"ndpi\"");
    assert_lacks(s, "yyyy");
    free(s);

    /* The text line shows the same name with every unsafe byte escaped. */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output *o = output_text_new(fp, false);
    struct output_scratch scratch;
    output_scratch_init(&scratch);
    o->ops->handshake(o, h, &scratch);
    output_scratch_free(&scratch);
    o->ops->free(o);
    fclose(fp);
    assert_contains(buf, " sni=a\"b\\c\\x01\\x1f\\xff\\xc3\\xa9\\x1b[2J ");
    assert_lacks(buf, "\033");
    free(buf);
    free(h);
}

/* ---- text --------------------------------------------------------------- */

static char *text_of(const struct handshake *h, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output *o = output_text_new(fp, color);
    assert_string_equal(o->name, "text");
    struct output_scratch scratch;
    output_scratch_init(&scratch);
    o->ops->handshake(o, h, &scratch);
    output_scratch_free(&scratch);
    o->ops->free(o);
    fclose(fp);
    return buf;
}

static void test_text_lines(void **state)
{
    (void)state;
    struct handshake *h = tls12_established();
    h->handshake_us = 12300;
    char *s = text_of(h, false);
    assert_string_equal(s, "2026-01-02T03:04:05.123Z #7 10.0.0.9:51514 -> "
                           "10.0.0.5:443 sni=server.test TLS1.2 "
                           "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 "
                           "established 12.3ms\n");
    free(s);
    s = text_of(h, true);
    assert_contains(s, " \033[32mestablished\033[0m 12.3ms\n");
    free(s);
    free(h);

    h = new_record();
    h->ch.seen = true;
    h->ch.ts_us = T0 * 1000000ull + 123456;
    h->ch.has_sni = true;
    strcpy(h->ch.sni, "server.test");
    h->rare->alerts.v[0] = (struct tls_alert){.sender = TLS_SIDE_SERVER,
                                      .level = 2,
                                      .description = 70};
    h->rare->alerts.n = 1;
    h->outcome = OUTCOME_FAILED;
    h->ended_by = ENDED_ALERT;
    h->ended_by_side = TLS_SIDE_SERVER;
    h->stage = h->failure_stage = STAGE_CLIENT_HELLO;
    s = text_of(h, false);
    assert_string_equal(s, "2026-01-02T03:04:05.123Z #7 10.0.0.9:51514 -> "
                           "10.0.0.5:443 sni=server.test FAILED "
                           "after_client_hello: server alert fatal "
                           "protocol_version(70)\n");
    free(s);
    s = text_of(h, true);
    assert_contains(s, " \033[31mFAILED\033[0m after_client_hello: ");
    free(s);

    /* No alert: who closed it and how. */
    h->rare->alerts.n = 0;
    h->ended_by = ENDED_RST;
    s = text_of(h, false);
    assert_contains(s, " FAILED after_client_hello: server rst\n");
    free(s);

    h->outcome = OUTCOME_INCOMPLETE;
    h->ended_by = ENDED_CAPTURE_END;
    h->ended_by_side = -1;
    h->gaps = 2;
    s = text_of(h, true);
    assert_contains(s, " \033[33mincomplete\033[0m after_client_hello: "
                       "capture_end gaps=2\n");
    free(s);
    free(h);

    h = tls13_encrypted_alert();
    s = text_of(h, false);
    assert_string_equal(s, "2026-01-02T03:04:05.000Z #7 10.0.0.9:51514 -> "
                           "10.0.0.5:443 TLS1.3 TLS_AES_128_GCM_SHA256 FAILED "
                           "after_server_encrypted_flight: client encrypted "
                           "alert (19 bytes)\n");
    free(s);
    free(h);

    h = ipv6_not_tls();
    s = text_of(h, false);
    assert_string_equal(s, "2026-01-02T03:04:05.000Z #7 [2001:db8::1]:50000 -> "
                           "[2001:db8::2]:443 NOT_TLS (HTTP): server answered "
                           "\"HTTP/1.1 400 Bad\"\n");
    free(s);

    /* The longest possible line still ends with a newline. */
    h->ch.has_sni = true;
    memset(h->ch.sni, 0x01, HS_SNI_LEN - 1);
    h->ch.sni[HS_SNI_LEN - 1] = '\0';
    memset(h->not_tls_preview, 0x02, sizeof(h->not_tls_preview) - 1);
    s = text_of(h, false);
    assert_int_equal(s[strlen(s) - 1], '\n');
    assert_int_equal(strchr(s, '\n') - s, (long)strlen(s) - 1);
    free(s);
    free(h);
}

/* ---- summary and NDJSON ------------------------------------------------- */

/* The text summary of `sum` without run statistics; the caller frees it. */
static char *summary_text(const struct summary *sum)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    summary_print_text(fp, sum, NULL, false);
    fclose(fp);
    return buf;
}

static void test_summary(void **state)
{
    (void)state;
    struct summary sum;
    assert_true(summary_init(&sum));
    struct handshake *ok = tls12_established();
    struct handshake *bad = tls13_encrypted_alert();
    struct handshake *nt = ipv6_not_tls();
    for (int i = 0; i < 3; i++)
        summary_add(&sum, ok);
    summary_add(&sum, bad);
    summary_add(&sum, bad);
    summary_add(&sum, nt);
    assert_int_equal(sum.handshakes, 6);
    assert_int_equal(sum.by_outcome[OUTCOME_ESTABLISHED], 3);
    assert_int_equal(sum.by_outcome[OUTCOME_FAILED], 2);
    assert_int_equal(sum.by_outcome[OUTCOME_NOT_TLS], 1);
    assert_int_equal(sum.failures, 3);
    assert_int_equal(sum.alerts[TLS_SIDE_CLIENT][SUMMARY_ALERT_ENCRYPTED], 2);
    assert_int_equal(sum.failures_without_alert, 1);
    assert_int_equal(sum.n_servers, 3); /* one with SNI, one without */

    struct run_stats st = {.files = 1, .packets = 100, .packets_malformed = 2,
                           .flows = 6, .flows_evicted = 1, .tcp_gaps = 3,
                           .tcp_gap_bytes = 1200, .handshakes = 6,
                           .first_ts_us = T0 * 1000000ull,
                           .last_ts_us = T0 * 1000000ull + 2000000};
    struct json_writer w;
    json_init(&w);
    summary_write_json(&w, &sum, &st);
    assert_false(w.failed);
    const char *j = json_text(&w);
    assert_contains(j, "{\"@timestamp\":\"2026-01-02T03:04:07.000000Z\","
                       "\"ecs\":{\"version\":\"" TLSMON_ECS_VERSION "\"},"
                       "\"event\":{\"kind\":\"metric\",\"dataset\":"
                       "\"tlsmon.summary\",");
    assert_contains(j, "\"tlsmon\":{\"summary\":{\"handshakes\":6,"
                       "\"outcomes\":{\"undecided\":0,\"established\":3,"
                       "\"failed\":2,\"incomplete\":0,\"not_tls\":1,"
                       "\"refused\":0},"
                       "\"versions\":{\"1.2\":3,\"1.3\":2},"
                       "\"ciphers\":[{\"name\":"
                       "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
                       "\"count\":3},"
                       "{\"name\":\"TLS_AES_128_GCM_SHA256\",\"count\":2}],"
                       "\"causes\":[],\"failures_unexplained\":0,"
                       "\"failures\":3,\"failure_alerts\":[{\"sender\":"
                       "\"client\",\"encrypted\":true,\"count\":2}],"
                       "\"failures_without_alert\":1,\"failure_stages\":{"
                       "\"after_client_hello\":1,"
                       "\"after_server_encrypted_flight\":2},"
                       "\"failures_ended_by\":{\"alert\":2,\"not_tls\":1},"
                       "\"failing_servers\":[{\"ip\":\"10.0.0.5\",\"port\":"
                       "443,\"count\":2},{\"ip\":\"2001:db8::2\",\"port\":443,"
                       "\"count\":1}],\"failing_servers_untracked\":0,"
                       "\"posture\":{\"hellos\":6,");
    assert_contains(j, "\"pq_groups\":[]},\"run\":{\"files\":1,");
    assert_contains(j, "\"packets_malformed\":2,");
    assert_contains(j, "\"flows_evicted\":1,");
    json_free(&w);

    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    summary_print_text(fp, &sum, &st, false);
    fclose(fp);
    assert_contains(buf, "  handshakes  6  established 3  failed 2  "
                         "not_tls 1\n");
    assert_contains(buf, "  versions     1.2 3  1.3 2\n");
    assert_contains(buf,
                    "         3  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n");
    assert_contains(buf, "failures by alert\n         2  client encrypted "
                         "alert\n         1  no alert\n");
    assert_contains(buf, "servers (most failures first)\n"
                         "  handshakes  failed  server\n"
                         "           2       2  10.0.0.5:443\n"
                         "           1       1  [2001:db8::2]:443\n"
                         "           3       0  10.0.0.5:443 [server.test]\n"
                         "                      established with 1.2: "
                         "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n");
    assert_contains(buf, "  files 1 (0 failed)  packets 100 (2 malformed, 0 "
                         "truncated, 0 ignored)\n");
    assert_contains(buf, "gaps 3 (1200 bytes)\n");
    assert_lacks(buf, "\033");
    free(buf);
    summary_free(&sum);

    /* The failing-server table is bounded; the rest is counted. */
    assert_true(summary_init(&sum));
    uint64_t start = bad->flow_start_us;
    for (uint32_t i = 0; i < SUMMARY_MAX_SERVERS + 76; i++) {
        bad->server.addr[2] = (uint8_t)(i >> 8);
        bad->server.addr[3] = (uint8_t)i;
        bad->flow_start_us = start + i; /* ties go to the earlier */
        summary_add(&sum, bad);
        if (i == 5) /* one server fails twice: it ranks first */
            summary_add(&sum, bad);
    }
    assert_int_equal(sum.n_servers, SUMMARY_MAX_SERVERS);
    assert_int_equal(sum.servers_untracked, 76);
    buf = summary_text(&sum);
    assert_contains(buf, "  handshakes  failed  server\n"
                         "           2       2  10.0.0.5:443\n"
                         "           1       1  10.0.0.0:443\n"
                         "           1       1  10.0.0.1:443\n");
    assert_contains(buf, "        4086    4086  4086 more servers\n"
                         "          76      76  servers past the table "
                         "(4096 kept)\n");
    free(buf);
    summary_free(&sum);

    /* So is the fingerprint table; past it only handshakes are counted,
     * so the failed column stays blank. */
    assert_true(summary_init(&sum));
    for (uint32_t i = 0; i < SUMMARY_MAX_CLIENTS + 9; i++) {
        snprintf(bad->report->ja4, sizeof(bad->report->ja4), "t13d_%06u", (unsigned)i);
        bad->flow_start_us = start + i;
        summary_add(&sum, bad);
    }
    assert_int_equal(sum.n_clients, SUMMARY_MAX_CLIENTS);
    assert_int_equal(sum.clients_untracked, 9);
    buf = summary_text(&sum);
    assert_contains(buf, "  handshakes  failed  JA4 (JA3)\n"
                         "           1       1  t13d_000000");
    assert_contains(buf, "        1014    1014  1014 more fingerprints\n"
                         "           9          fingerprints past the table "
                         "(1024 kept)\n");
    free(buf);
    summary_free(&sum);
    free(ok);
    free(bad);
    free(nt);
}

/* A server's post-quantum and ECH members when its clients offered
 * neither. */
#define POSTURE_NONE                                                          \
    "\"pq\":{\"offered\":0,\"negotiated\":0,\"negotiated_after_hrr\":0,"      \
    "\"draft\":0,\"unanswered\":0,\"not_used\":{}},\"ech\":{\"offered\":0,"   \
    "\"status\":{}}"

static void test_ndjson_output(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output *o = output_ndjson_new(fp);
    assert_string_equal(o->name, "ndjson");
    struct handshake *a = tls12_established();
    struct handshake *b = ipv6_not_tls();
    struct summary sum;
    assert_true(summary_init(&sum));
    summary_add(&sum, a);
    summary_add(&sum, b);
    struct output_scratch scratch;
    output_scratch_init(&scratch);
    o->ops->handshake(o, a, &scratch);
    o->ops->handshake(o, b, &scratch);
    output_scratch_free(&scratch);
    o->ops->finish(o, &sum, NULL);
    o->ops->free(o);
    fclose(fp);

    char *first = render(a), *second = render(b);
    size_t l1 = strlen(first), l2 = strlen(second);
    assert_memory_equal(buf, first, l1);
    assert_int_equal(buf[l1], '\n');
    assert_memory_equal(buf + l1 + 1, second, l2);
    assert_int_equal(buf[l1 + 1 + l2], '\n');
    const char *third = buf + l1 + l2 + 2;
    assert_string_equal(
        third,
        "{\"ecs\":{\"version\":\"" TLSMON_ECS_VERSION "\"},"
        "\"event\":{\"kind\":\"metric\",\"dataset\":\"tlsmon.summary\"},"
        "\"tlsmon\":{\"summary\":{\"handshakes\":2,\"outcomes\":{"
        "\"undecided\":0,\"established\":1,\"failed\":0,\"incomplete\":0,"
        "\"not_tls\":1,\"refused\":0},\"versions\":{\"1.2\":1},\"ciphers\":[{\"name\":"
        "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"count\":1}],"
        "\"causes\":[],\"failures_unexplained\":0,"
        "\"failures\":1,\"failure_alerts\":[],\"failures_without_alert\":1,"
        "\"failure_stages\":{\"after_client_hello\":1},\"failures_ended_by\":"
        "{\"not_tls\":1},\"failing_servers\":[{\"ip\":\"2001:db8::2\","
        "\"port\":443,\"count\":1}],\"failing_servers_untracked\":0,"
        "\"posture\":{\"hellos\":2,\"pq\":{\"offered\":0,\"negotiated\":0,"
        "\"negotiated_after_hrr\":0,\"draft\":0,\"unanswered\":0,"
        "\"not_used\":{}},\"ech\":{\"offered\":0,\"status\":{}},"
        "\"pq_groups\":[]},"
        "\"servers\":[{\"ip\":\"2001:db8::2\",\"port\":443,"
        "\"handshakes\":1,\"failed\":1,\"causes\":[],\"versions\":[],"
        "\"ciphers\":[]," POSTURE_NONE "},{\"ip\":\"10.0.0.5\",\"port\":443,"
        "\"server_name\":\"server.test\",\"handshakes\":1,\"failed\":0,"
        "\"causes\":[],\"versions\":[\"1.2\"],\"ciphers\":["
        "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]," POSTURE_NONE "}],"
        "\"servers_more\":{"
        "\"servers\":0,\"handshakes\":0,\"failed\":0,"
        "\"untracked_handshakes\":0},\"client_fingerprints\":[],"
        "\"client_fingerprints_more\":{\"fingerprints\":0,\"handshakes\":0,"
        "\"failed\":0,\"untracked_handshakes\":0},"
        "\"failures_refused\":0}}}\n");
    free(first);
    free(second);
    free(buf);
    summary_free(&sum);
    free(a);
    free(b);

    /* Without a summary, finish writes nothing. */
    buf = NULL;
    fp = open_memstream(&buf, &len);
    o = output_ndjson_new(fp);
    o->ops->finish(o, NULL, NULL);
    o->ops->free(o);
    fclose(fp);
    assert_int_equal(len, 0);
    free(buf);
}

/* ---- alert events ------------------------------------------------------- */

/* h's alert for a rule that always fires, rendered after its record with
 * the facts copied from it and again through the getters: the same text.
 * Returns how many facts were copied. */
static size_t alert_both_ways(struct handshake *h)
{
    static const char yaml[] =
        "rules: [{id: r, name: every flow, severity: low, fix: server,\n"
        "  cause: cert_expired, remediation: none, tags: [a, b],\n"
        "  message: \"to {tls.client.server_name}\",\n"
        "  when: {source.port: {ge: 1}}}]\n";
    char err[RULES_ERROR_LEN];
    struct rule_set *rs =
        rules_load_string("t.yaml", yaml, strlen(yaml), err, sizeof(err));
    if (!rs)
        fail_msg("%s", err);
    h->report->primary = -1;
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    const struct finding *f = &h->report->findings.v[0];

    struct json_writer w;
    json_init(&w);
    struct record_facts *k = malloc(sizeof(*k));
    assert_non_null(k);
    json_write_record_keeping(&w, h, alert_fact_set(), k);
    assert_true(k->kept);
    json_reset(&w); /* the record leaves before its alerts are rendered */
    json_write_alert(&w, h, f, k);
    char *fast = strdup(json_text(&w));
    json_reset(&w);
    json_write_alert(&w, h, f, NULL);
    assert_false(w.failed);
    assert_string_equal(fast, json_text(&w));
    size_t copied = 0;
    for (size_t i = 0; i < alert_fact_set()->n; i++) {
        assert_true(k->state[i] == FACT_COPIED ||
                    k->state[i] == FACT_ABSENT);
        copied += k->state[i] == FACT_COPIED;
    }
    /* No room for the facts: each asks its getter, the same text again. */
    json_reset(&w);
    json_write_record_keeping(&w, h, alert_fact_set(), k);
    for (size_t i = 0; i < alert_fact_set()->n; i++)
        if (k->state[i] == FACT_COPIED)
            k->state[i] = FACT_LEFT;
    json_reset(&w);
    json_write_alert(&w, h, f, k);
    assert_string_equal(fast, json_text(&w));
    free(fast);
    free(k);
    json_free(&w);
    rules_free(rs);
    return copied;
}

static void test_alert_copies_record_facts(void **state)
{
    (void)state;
    size_t n = alert_fact_set()->n;
    assert_true(n > 30);
    /* Every fact an alert repeats that an established TLS 1.2 handshake
     * has: all but tlsmon.failure_stage and tlsmon.version (a draft's). */
    struct handshake *h = tls12_established();
    strcpy(h->report->event_id, "ev-1");
    strcpy(h->report->community_id, "1:abc=");
    h->n_vlan = 1;
    h->vlan[0] = 42;
    h->report->observer.hostname = "sensor\"1";
    h->report->observer.interface = "eth0";
    strcpy(h->report->ja3, "0123456789abcdef0123456789abcdef");
    strcpy(h->report->ja3s, "fedcba9876543210fedcba9876543210");
    strcpy(h->report->ja4, "t12d0302h2_0123456789ab_ba9876543210");
    struct cert_result *c = &h->report->server_cert;
    c->analyzed = c->visible = c->leaf_parsed = c->times_checked = true;
    strcpy(c->subject_cn, "server.test");
    strcpy(c->issuer_cn, "Test CA \\ \x01");
    strcpy(c->sha256, "AB12");
    c->not_before = (int64_t)T0 - 86400;
    c->not_after = (int64_t)T0 + 86400;
    assert_int_equal(alert_both_ways(h), n - 2);
    free(h);
    /* Some absent: no server flight, no certificate, no SNI. */
    h = ipv6_not_tls();
    size_t copied = alert_both_ways(h);
    assert_true(copied > 0 && copied < n);
    free(h);
}

/* The alert for h of the one rule of `yaml` (which always fires). */
static char *alert_of_set(struct handshake *h, const char *yaml)
{
    char err[RULES_ERROR_LEN];
    struct rule_set *rs =
        rules_load_string("set.yaml", yaml, strlen(yaml), err, sizeof(err));
    if (!rs)
        fail_msg("%s", err);
    h->report->findings.n = 0;
    h->report->primary = -1;
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    struct json_writer w;
    json_init(&w);
    json_write_alert(&w, h, &h->report->findings.v[0], NULL);
    assert_false(w.failed);
    char *text = strdup(json_text(&w));
    /* Twice: the second time from the texts kept beside the rule. */
    json_reset(&w);
    json_write_alert(&w, h, &h->report->findings.v[0], NULL);
    assert_string_equal(text, json_text(&w));
    json_free(&w);
    rules_free(rs);
    return text;
}

/* A rule's texts are escaped once and kept with the rule: a second set
 * loaded after the first is freed, with a rule of the same id (and maybe
 * at the same address), writes its own texts. */
static void test_alert_rule_texts_per_set(void **state)
{
    (void)state;
    struct handshake *h = tls12_established();
    strcpy(h->report->event_id, "ev-1");
    char *a = alert_of_set(
        h, "rules: [{id: r, name: \"every \\\"flow\\\"\", "
           "description: \"tab\\there \\u00e9\", severity: high, "
           "fix: server, confidence: low, cause: cert_expired, "
           "remediation: \"back\\\\slash\", tags: [x, \"y\\\"\"],\n"
           "  message: \"m\", when: {source.port: {ge: 1}}}]\n");
    assert_non_null(strstr(
        a, "\"event\":{\"kind\":\"alert\","));
    assert_non_null(strstr(a, "\"id\":\"ev-1-r\",\"severity\":73,"));
    assert_non_null(strstr(
        a, "\"rule\":{\"id\":\"r\",\"name\":\"every \\\"flow\\\"\","
           "\"description\":\"tab\\there \xc3\xa9\","
           "\"category\":\"cert_expired\",\"ruleset\":\"set.yaml\"}"));
    assert_non_null(strstr(a, "\"tags\":[\"x\",\"y\\\"\"],\"tlsmon\":{"));
    assert_non_null(strstr(
        a, "\"severity\":\"high\",\"cause\":\"cert_expired\","
           "\"fix\":\"server\",\"confidence\":\"low\","
           "\"remediation\":\"back\\\\slash\",\"primary\":"));
    char *b = alert_of_set(
        h, "rules: [{id: r, name: other, severity: low, fix: client,\n"
           "  cause: cert_expired, remediation: none,\n"
           "  message: \"m\", when: {source.port: {ge: 1}}}]\n");
    assert_non_null(strstr(b, "\"id\":\"ev-1-r\",\"severity\":21,"));
    assert_non_null(strstr(
        b, "\"rule\":{\"id\":\"r\",\"name\":\"other\",\"description\":"
           "\"other\","));
    assert_null(strstr(b, "every"));
    assert_null(strstr(b, "\"tags\""));
    assert_non_null(strstr(
        b, "\"severity\":\"low\",\"cause\":\"cert_expired\","
           "\"fix\":\"client\",\"confidence\":"));
    free(a);
    free(b);
    free(h);
}

int main(void)
{
    /* As main() does: the program's table, before any lookup. */
    field_registry_use(&fields_program);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_shape),
        cmocka_unit_test(test_list_and_markdown),
        cmocka_unit_test(test_value_format),
        cmocka_unit_test(test_time_string),
        cmocka_unit_test(test_fixed3),
        cmocka_unit_test(test_list_accessors),
        cmocka_unit_test(test_certificate_stages),
        cmocka_unit_test(test_decrypted_messages_sides),
        cmocka_unit_test(test_observer_from_report),
        cmocka_unit_test(test_certificate_rows),
        cmocka_unit_test(test_endpoint_rows),
        cmocka_unit_test(test_writer_basics),
        cmocka_unit_test(test_writer_capacity),
        cmocka_unit_test(test_writer_escaping),
        cmocka_unit_test(test_record_tls12),
        cmocka_unit_test(test_record_tls13_encrypted_alert),
        cmocka_unit_test(test_record_ipv6_not_tls),
        cmocka_unit_test(test_record_parts),
        cmocka_unit_test(test_hostile_strings),
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_ndjson_output),
        cmocka_unit_test(test_alert_copies_record_facts),
        cmocka_unit_test(test_alert_rule_texts_per_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
