/* test_analyst.c — the analyst's view: the NDJSON reader (leaves, escapes,
 * limits, every kind of malformation), the filters' short forms written in
 * the rule language, capture-time ordering of rendered records (window,
 * memory cap, late records), the progress line's figures, the detail
 * view's sections and escaping, and run profiles compared for --baseline. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/baseline.h"
#include "analyzer/fields.h"
#include "analyzer/json_read.h"
#include "analyzer/progress.h"
#include "analyzer/view.h"
#include "analyzer/output/detail.h"
#include "analyzer/output/order.h"
#include "rules/engine.h"

/* ---- json_read ------------------------------------------------------------ */

struct leaves {
    char text[4096];
    size_t used;
};

static void collect(void *ctx, const char *path, enum json_leaf_kind kind,
                    const char *text, size_t len)
{
    struct leaves *l = ctx;
    (void)len;
    static const char *const kinds[] = {"s", "n", "t", "f", "0"};
    int n = snprintf(l->text + l->used, sizeof(l->text) - l->used,
                     "%s=%s:%s;", path, kinds[kind], text);
    if (n > 0)
        l->used += (size_t)n;
}

static const char *leaves_of(const char *doc, bool *ok, size_t *at)
{
    static struct leaves l;
    memset(&l, 0, sizeof(l));
    *ok = json_read(doc, strlen(doc), collect, &l, at);
    return l.text;
}

static void test_json_read(void **state)
{
    (void)state;
    bool ok;
    size_t at;
    const char *s = leaves_of(
        " {\"tls\":{\"version\":\"1.2\",\"established\":true},"
        "\"n\":-12.5e+3,\"list\":[\"a\",\"b\",{\"x\":null}],"
        "\"esc\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\ud83d\\ude00\","
        "\"lone\":\"\\ud800x\",\"e\":{}} \n",
        &ok, &at);
    assert_true(ok);
    assert_string_equal(
        s, "tls.version=s:1.2;tls.established=t:true;n=n:-12.5e+3;"
           "list=s:a;list=s:b;list.x=0:null;"
           "esc=s:q\"\\/\b\f\n\r\tA\xc3\xa9\xf0\x9f\x98\x80;"
           "lone=s:\xef\xbf\xbdx;");

    static const struct {
        const char *doc;
        size_t at;
    } bad[] = {
        {"", 0},
        {"{", 1},
        {"{\"a\":1,}", 7},
        {"[1,]", 3},
        {"{\"a\" 1}", 5},
        {"01", 1},
        {"-", 1},
        {"1.", 2},
        {"1e", 2},
        {"tru", 3},
        {"nul", 3},
        {"\"a\nb\"", 3},
        {"\"\\x\"", 3},
        {"\"\\u12g4\"", 6},
        {"{} {}", 3},
        {"\"open", 5},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        leaves_of(bad[i].doc, &ok, &at);
        if (ok || at != bad[i].at)
            fail_msg("%s: ok %d at %zu, expected at %zu", bad[i].doc, ok, at,
                     bad[i].at);
    }

    /* Nesting: 32 levels are read, 33 are refused. */
    char deep[128];
    memset(deep, '[', 32);
    memset(deep + 32, ']', 32);
    deep[64] = '\0';
    leaves_of(deep, &ok, &at);
    assert_true(ok);
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    deep[66] = '\0';
    leaves_of(deep, &ok, &at);
    assert_false(ok);

    /* A path past its buffer is quiet, its neighbours are not. */
    char doc[2 * JSON_READ_MAX_PATH + 64];
    char key[JSON_READ_MAX_PATH + 8];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    snprintf(doc, sizeof(doc), "{\"%s\":{\"a\":1},\"b\":2}", key);
    s = leaves_of(doc, &ok, &at);
    assert_true(ok);
    assert_string_equal(s, "b=n:2;");
    /* A key with a NUL in it cannot be named: quiet too. */
    s = leaves_of("{\"a\\u0000b\":1,\"c\":true}", &ok, &at);
    assert_true(ok);
    assert_string_equal(s, "c=t:true;");
}

/* ---- filters --------------------------------------------------------------- */

/* The record and its report in one allocation: free(h) frees both. */
struct record_with_report {
    struct handshake h;
    struct handshake_report report;
};

static struct handshake *record(const char *client, const char *server,
                                uint16_t port, const char *sni,
                                enum hs_outcome outcome, uint64_t ts_us)
{
    struct record_with_report *rr = calloc(1, sizeof(*rr));
    struct handshake *h = &rr->h;
    h->report = &rr->report;
    bool v6 = strchr(server, ':') != NULL;
    h->client.ip_version = h->server.ip_version = v6 ? 6 : 4;
    inet_pton(v6 ? AF_INET6 : AF_INET, client, h->client.addr);
    inet_pton(v6 ? AF_INET6 : AF_INET, server, h->server.addr);
    h->client.port = 50000;
    h->server.port = port;
    h->ch.seen = true;
    h->ch.ts_us = ts_us;
    h->flow_start_us = ts_us - 1000;
    h->decided_us = ts_us + 5000;
    if (sni) {
        h->ch.has_sni = true;
        snprintf(h->ch.sni, sizeof(h->ch.sni), "%s", sni);
    }
    h->outcome = outcome;
    h->handshake_us = -1;
    h->server_response_us = -1;
    h->report->primary = -1;
    return h;
}

static void test_view_filters(void **state)
{
    (void)state;
    char err[RULES_ERROR_LEN], t[64];
    assert_true(view_time_text("2026-01-31", t, sizeof(t)));
    assert_string_equal(t, "2026-01-31T00:00:00Z");
    assert_true(view_time_text("2026-01-31 12:30", t, sizeof(t)));
    assert_string_equal(t, "2026-01-31T12:30:00Z");
    assert_true(view_time_text("2026-01-31T12:30:05.25Z", t, sizeof(t)));
    assert_string_equal(t, "2026-01-31T12:30:05.25Z");
    assert_false(view_time_text("yesterday", t, sizeof(t)));
    assert_false(view_time_text("2026-01-31T12:30:05+02:00", t, sizeof(t)));

    /* 2023-11-14T22:13:20Z */
    const uint64_t T = 1700000000ull * 1000000ull;
    struct handshake *a = record("10.0.0.9", "192.0.2.5", 443,
                                 "www.example.com", OUTCOME_FAILED, T);
    struct handshake *b = record("10.0.0.9", "198.51.100.7", 8443, NULL,
                                 OUTCOME_ESTABLISHED, T + 60000000);
    struct handshake *c = record("2001:db8::9", "2001:db8::1", 443,
                                 "api.example.org", OUTCOME_REFUSED,
                                 T + 120000000);
    static const struct {
        const char *what, *arg;
        bool a, b, c;
    } cases[] = {
        {"failed", NULL, true, false, true},
        {"server", "192.0.2.5", true, false, false},
        {"server", "198.51.100.0/24", false, true, false},
        {"server", "198.51.100.7:8443", false, true, false},
        {"server", "198.51.100.7:443", false, false, false},
        {"server", "[2001:db8::1]:443", false, false, true},
        {"server", "2001:db8::1", false, false, true},
        {"server", "*.EXAMPLE.com", true, false, false},
        {"server", "www.example.com:443", true, false, false},
        {"since", "2023-11-14T22:14:00Z", false, true, true},
        {"until", "2023-11-14 22:14", true, false, false},
        {"where", "{network.type: ipv6}", false, false, true},
        {"flow", "0", true, true, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct view v;
        memset(&v, 0, sizeof(v));
        const char *w = cases[i].what;
        bool ok = strcmp(w, "failed") == 0 ? view_failed(&v, err, sizeof(err))
                  : strcmp(w, "server") == 0
                      ? view_server(&v, cases[i].arg, err, sizeof(err))
                  : strcmp(w, "since") == 0
                      ? view_since(&v, cases[i].arg, err, sizeof(err))
                  : strcmp(w, "until") == 0
                      ? view_until(&v, cases[i].arg, err, sizeof(err))
                  : strcmp(w, "flow") == 0
                      ? view_flow(&v, cases[i].arg, err, sizeof(err))
                      : view_where(&v, cases[i].arg, err, sizeof(err));
        if (!ok || !view_finish(&v, err, sizeof(err)))
            fail_msg("--%s %s: %s", w, cases[i].arg ? cases[i].arg : "",
                     err);
        if (rules_filter_match(v.filter, a) != cases[i].a ||
            rules_filter_match(v.filter, b) != cases[i].b ||
            rules_filter_match(v.filter, c) != cases[i].c)
            fail_msg("--%s %s: matched %d %d %d", w,
                     cases[i].arg ? cases[i].arg : "",
                     rules_filter_match(v.filter, a),
                     rules_filter_match(v.filter, b),
                     rules_filter_match(v.filter, c));
        view_free(&v);
    }

    /* Several --server are alternatives, the kinds of filter add up, and
     * the description says all of it. */
    struct view v;
    memset(&v, 0, sizeof(v));
    assert_true(view_server(&v, "192.0.2.5", err, sizeof(err)));
    assert_true(view_server(&v, "2001:db8::1", err, sizeof(err)));
    assert_true(view_failed(&v, err, sizeof(err)));
    assert_true(view_finish(&v, err, sizeof(err)));
    assert_true(rules_filter_match(v.filter, a));
    assert_false(rules_filter_match(v.filter, b));
    assert_true(rules_filter_match(v.filter, c));
    assert_string_equal(v.description,
                        "--server '192.0.2.5' --server '2001:db8::1' "
                        "--failed");
    view_free(&v);

    /* Bad input: one line naming the option. */
    memset(&v, 0, sizeof(v));
    assert_false(view_since(&v, "noon", err, sizeof(err)));
    assert_string_equal(err, "--since: 'noon' is not a time (UTC: "
                             "2026-01-31, 2026-01-31T12:00:00Z, 2026-01-31 "
                             "12:00)");
    assert_false(view_server(&v, "10.0.0.0/33", err, sizeof(err)));
    assert_true(strncmp(err, "--server:1:", 11) == 0);
    assert_false(view_flow(&v, "12,x", err, sizeof(err)));
    assert_false(view_where(&v, "{nosuch.field: 1}", err, sizeof(err)));
    assert_true(strncmp(err, "--where:1:2: unknown field", 26) == 0);
    /* A hostile name is quoted, not parsed as YAML. */
    assert_true(view_server(&v, "x\"}, {tlsmon.outcome: failed", err,
                            sizeof(err)));
    assert_true(view_finish(&v, err, sizeof(err)));
    assert_false(rules_filter_match(v.filter, a));
    view_free(&v);
    free(a);
    free(b);
    free(c);
}

/* ---- capture-time order ---------------------------------------------------- */

static void put(struct record_order *o, FILE *fp, uint64_t ts_s,
                uint64_t decided_s, const char *text)
{
    struct handshake *h = record("10.0.0.1", "10.0.0.2", 443, NULL,
                                 OUTCOME_ESTABLISHED, ts_s * 1000000ull);
    h->decided_us = decided_s * 1000000ull;
    assert_true(record_order_deliver(o, fp, h, text, strlen(text)));
    free(h);
}

static void test_order(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct record_order *o = record_order_new(10 * 1000000ull, 1 << 20);
    /* Decided out of order within the window: written in order. */
    put(o, fp, 100, 101, "b ");
    put(o, fp, 99, 102, "a ");
    put(o, fp, 103, 104, "d ");
    put(o, fp, 102, 130, "c "); /* a timed-out one: late, not by much */
    fflush(fp);
    /* At 130 s, everything up to 120 s was due. */
    assert_string_equal(buf, "a b c d ");
    put(o, fp, 125, 131, "e ");
    put(o, fp, 5, 132, "z "); /* older than the window: late, counted */
    assert_true(record_order_flush(o, fp));
    fflush(fp);
    assert_string_equal(buf, "a b c d z e ");
    assert_int_equal(record_order_late(o), 1);
    record_order_free(o);
    fclose(fp);
    free(buf);

    /* The memory cap writes the earliest early, in order still. */
    buf = NULL;
    fp = open_memstream(&buf, &len);
    o = record_order_new(1000 * 1000000ull, 1024 * sizeof(void *) * 4 + 8);
    char text[8];
    for (int i = 9; i >= 0; i--) {
        snprintf(text, sizeof(text), "%d", i);
        put(o, fp, (uint64_t)(10 + i), 20, text);
    }
    assert_true(record_order_flush(o, fp));
    fflush(fp);
    assert_int_equal(strlen(buf), 10);
    assert_true(record_order_peak_bytes(o) > 0);
    record_order_free(o);
    fclose(fp);
    free(buf);

    /* Without an order, written at once. */
    buf = NULL;
    fp = open_memstream(&buf, &len);
    put(NULL, fp, 5, 6, "now");
    fflush(fp);
    assert_string_equal(buf, "now");
    fclose(fp);
    free(buf);
}

/* ---- progress ----------------------------------------------------------------*/

static void test_progress_format(void **state)
{
    (void)state;
    char line[256];
    progress_format(line, sizeof(line), "big.pcap", 412300000, 1600000000,
                    20.0, 496200, 0, 1);
    assert_string_equal(line, "tlsmon: big.pcap  412 MB of 1.6 GB (25%)  "
                              "24810 handshakes/s  ETA 0:58");
    progress_format(line, sizeof(line), "<stdin>", 12345, 0, 2.0, 10, 1, 3);
    assert_string_equal(line, "tlsmon: <stdin> (file 2 of 3)  12.3 KB read  "
                              "5 handshakes/s");
    progress_format(line, sizeof(line), "x", 1, 4000, 0.5, 0, 0, 1);
    assert_string_equal(line, "tlsmon: x  1 B of 4.0 KB (0%)  0 handshakes/s");
    progress_format(line, sizeof(line), "x", 1000, 36001000, 36.0, 0, 0, 1);
    assert_string_equal(line, "tlsmon: x  1.0 KB of 36.0 MB (0%)  0 "
                              "handshakes/s  ETA 360:00:00");
}

/* ---- detail --------------------------------------------------------------------*/

struct titles {
    char all[512];
};

static void title_of(void *ctx, const char *title, const char *text,
                     size_t len)
{
    struct titles *t = ctx;
    assert_int_equal(strlen(text), len);
    assert_null(strchr(text, '\033'));
    size_t used = strlen(t->all);
    snprintf(t->all + used, sizeof(t->all) - used, "%s|", title);
}

static void test_detail(void **state)
{
    (void)state;
    const uint64_t T = 1700000000ull * 1000000ull;
    struct handshake *h = record("10.0.0.9", "192.0.2.5", 443,
                                 "evil\033[2J.example", OUTCOME_FAILED, T);
    h->ch.legacy_version = TLS_V_1_2;
    h->ch.ciphers.head[0] = 0xc02f;
    h->ch.ciphers.n = h->ch.ciphers.total = 1;
    struct handshake_rare rare;
    handshake_attach_rare(h, &rare)->alerts.v[0] =
        (struct tls_alert){.sender = TLS_SIDE_SERVER, .level = 2,
                           .description = 40, .stage = STAGE_CLIENT_HELLO,
                           .ts_us = T + 1500};
    rare.alerts.n = 1;
    h->ended_by = ENDED_ALERT;
    h->ended_by_side = TLS_SIDE_SERVER;
    h->stage = h->failure_stage = STAGE_CLIENT_HELLO;
    struct titles t;
    memset(&t, 0, sizeof(t));
    struct json_writer w;
    json_init(&w);
    detail_sections(h, &w, 2, title_of, &t);
    /* No ServerHello, no fingerprint (the hello was not whole): those
     * sections are left out, not shown empty. */
    assert_string_equal(t.all, "connection|outcome|timeline|client hello|");
    json_reset(&w);
    detail_append(&w, h, 4);
    const char *text = json_text(&w);
    assert_non_null(strstr(text, "  timeline\n"));
    assert_non_null(strstr(text, "    +     0.000 ms  SYN (client)\n"));
    assert_non_null(strstr(text, "    +     1.000 ms  ClientHello"));
    assert_non_null(strstr(text, "    +     2.500 ms  server alert fatal "
                                 "handshake_failure(40), after_client_hello\n"));
    assert_non_null(strstr(text, "    server name         evil\\x1b[2J.example\n"));
    assert_non_null(strstr(text, "    deciding alert      server fatal "
                                 "handshake_failure(40)\n"));
    assert_null(strchr(text, '\033'));
    json_free(&w);
    free(h);
}

/* ---- baseline --------------------------------------------------------------------*/

static struct run_profile *profile_of(const char *ndjson)
{
    FILE *fp = fmemopen((void *)ndjson, strlen(ndjson), "r");
    struct run_profile *p = run_profile_new();
    char err[256];
    assert_true(run_profile_read_ndjson(p, fp, "test", err, sizeof(err)));
    fclose(fp);
    return p;
}

#define HS(ip, port, sni, outcome, cause, ja4, sha)                            \
    "{\"event\":{\"dataset\":\"tlsmon.handshake\",\"outcome\":\"" outcome      \
    "\"},\"destination\":{\"ip\":\"" ip "\",\"port\":" port "},\"tls\":{"     \
    "\"client\":{\"server_name\":\"" sni "\"},\"server\":{\"hash\":{"          \
    "\"sha256\":\"" sha "\"},\"x509\":{\"issuer\":{\"distinguished_name\":"    \
    "\"CN=CA\"},\"not_after\":\"2030-01-01T00:00:00Z\"}}},\"tlsmon\":{"       \
    "\"cause\":\"" cause "\",\"fix\":\"server\",\"client\":{\"ja4\":\""        \
    ja4 "\"}}}\n"

static void test_baseline(void **state)
{
    (void)state;
    struct run_profile *before = profile_of(
        HS("192.0.2.5", "443", "www.example.com", "success", "none", "t13a",
           "AA")
        HS("192.0.2.5", "443", "WWW.example.com", "success", "none", "t12b",
           "AA")
        HS("192.0.2.6", "443", "", "failure", "cipher_mismatch", "t12b", "")
        "{\"event\":{\"dataset\":\"tlsmon.alert\"}}\n"
        "not json at all\n");
    assert_int_equal(run_profile_handshakes(before), 3);
    assert_int_equal(run_profile_bad_lines(before), 1);
    struct run_profile *after = profile_of(
        HS("192.0.2.9", "443", "www.example.com", "failure", "untrusted_cert",
           "t13a", "BB")
        HS("192.0.2.6", "443", "", "success", "none", "t13c", "")
        HS("192.0.2.7", "443", "new.example.com", "failure", "cipher_mismatch",
           "t12b", ""));
    struct run_changes *c = run_changes_compute(before, after, "old.ndjson");
    assert_non_null(c);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    run_changes_print_text(fp, c, false);
    fclose(fp);
    assert_string_equal(
        buf,
        "changes since the baseline (old.ndjson: 3 handshakes; now 3)\n"
        "  servers that started failing (2)\n"
        "    new.example.com:443  1 of 1 failed now, not in the baseline: "
        "cipher_mismatch\n"
        "    www.example.com:443  1 of 1 failed now, 0 of 2 before: "
        "untrusted_cert\n"
        "  servers that stopped failing (1)\n"
        "    192.0.2.6:443  0 of 1 failed now, 1 of 1 before\n"
        "  new causes (1)\n"
        "    untrusted_cert  1 handshakes (fix: server), none in the "
        "baseline\n"
        "  new client fingerprints (1)\n"
        "    t13c  1 handshakes, 0 failed\n"
        "  certificates that changed (1)\n"
        "    www.example.com:443\n"
        "      was (no CN), issued by CN=CA, until "
        "2030-01-01T00:00:00Z (SHA-256 AA...)\n"
        "      now (no CN), issued by CN=CA, until "
        "2030-01-01T00:00:00Z (SHA-256 BB...)\n"
        "  servers: 2 in both runs, 1 only now, 0 only in the baseline\n"
        "  1 baseline lines were not JSON and were skipped\n");
    free(buf);
    run_changes_free(c);

    /* Nothing changed. */
    c = run_changes_compute(before, before, "same");
    buf = NULL;
    fp = open_memstream(&buf, &len);
    run_changes_print_text(fp, c, false);
    fclose(fp);
    assert_non_null(strstr(buf, "  nothing: no server started or stopped "
                                "failing"));
    free(buf);
    run_changes_free(c);
    run_profile_free(before);
    run_profile_free(after);

    /* A file of which no line is JSON is not a baseline. */
    const char *junk = "hello\nworld\n";
    FILE *jf = fmemopen((void *)junk, strlen(junk), "r");
    struct run_profile *p = run_profile_new();
    char err[256];
    assert_false(run_profile_read_ndjson(p, jf, "junk.txt", err, sizeof(err)));
    assert_string_equal(err, "junk.txt: not NDJSON (no line parses as JSON)");
    fclose(jf);
    run_profile_free(p);
}

int main(void)
{
    /* As main() does: the program's table, before any lookup. */
    field_registry_use(&fields_program);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_read),
        cmocka_unit_test(test_view_filters),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_progress_format),
        cmocka_unit_test(test_detail),
        cmocka_unit_test(test_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
