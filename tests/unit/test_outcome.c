/* test_outcome.c — the outcome rules of outcome.c on hand-filled records:
 * established in TLS 1.2 and 1.3, failures by alert, close and reset,
 * incomplete at flow end, not_tls, resumption, timings and names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dissectors/outcome.h"

#define C TLS_SIDE_CLIENT
#define S TLS_SIDE_SERVER

static struct handshake rec;
static struct handshake_rare rec_rare;

/* A ClientHello at t=1000 answered by a ServerHello of `version`. */
static struct handshake *hello(uint16_t version)
{
    memset(&rec, 0, sizeof rec);
    handshake_attach_rare(&rec, &rec_rare);
    rec.ended_by_side = -1;
    rec.handshake_us = -1;
    rec.server_response_us = -1;
    rec.ch.seen = true;
    rec.ch.ts_us = 1000;
    rec.stage = STAGE_CLIENT_HELLO;
    if (version) {
        rec.sh.seen = true;
        rec.sh.version = version;
        rec.stage = STAGE_SERVER_HELLO;
        rec.server_response_us = 40;
    }
    return &rec;
}

static void add_alert(struct handshake *h, int sender, bool enc, int level,
                      int desc)
{
    struct tls_alert *a = &h->rare->alerts.v[h->rare->alerts.n++];
    a->sender = (uint8_t)sender;
    a->encrypted = enc;
    a->level = (uint8_t)level;
    a->description = (uint8_t)desc;
    a->stage = (uint8_t)h->stage;
    h->rare->alerts.total++;
}

static void test_tls12_established(void **state)
{
    (void)state;
    struct handshake *h = hello(TLS_V_1_2);
    h->server_certs.seen = true;
    h->ccs[C] = h->finished[C] = true;
    h->stage = STAGE_CLIENT_FINISHED;
    assert_false(outcome_check(h, 2000));
    h->ccs[S] = h->finished[S] = true;
    h->stage = STAGE_SERVER_FINISHED;
    assert_true(outcome_check(h, 2500));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(h->ended_by, ENDED_NONE);
    assert_int_equal(h->ended_by_side, -1);
    assert_int_equal(h->failure_stage, STAGE_NONE);
    assert_false(h->resumed);
    assert_int_equal(h->decided_us, 2500);
    assert_int_equal(h->handshake_us, 1500);
    assert_int_equal(h->server_response_us, 40);
    /* Decided stays decided. */
    add_alert(h, S, false, 2, 40);
    outcome_closed(h, S, true, 9000);
    outcome_finish(h, ENDED_SILENCE, 9000);
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(h->decided_us, 2500);

    /* Abbreviated: server CCS + Finished first, no certificate. */
    h = hello(TLS_V_1_2);
    h->ccs[S] = h->finished[S] = true;
    assert_false(outcome_check(h, 1100));
    h->ccs[C] = h->finished[C] = true;
    assert_true(outcome_check(h, 1200));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_true(h->resumed);

    /* Application data after both CCS, Finished not recognized. */
    h = hello(TLS_V_1_2);
    h->ccs[C] = h->ccs[S] = true;
    h->server_certs.seen = true;
    assert_false(outcome_check(h, 1100));
    h->app_data[S] = true;
    assert_true(outcome_check(h, 1300));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_false(h->resumed);

    /* Data from one side with one CCS is not enough. */
    h = hello(TLS_V_1_2);
    h->ccs[C] = true;
    h->app_data[C] = true;
    assert_false(outcome_check(h, 1100));
}

static void test_tls13_established(void **state)
{
    (void)state;
    struct handshake *h = hello(TLS_V_1_3);
    h->stage = STAGE_SERVER_ENCRYPTED_FLIGHT;
    h->encrypted_records[S] = 4;
    h->finished[C] = true;
    h->stage = STAGE_CLIENT_FINISHED;
    assert_false(outcome_check(h, 1500));
    h->app_data[S] = true;
    assert_true(outcome_check(h, 1600));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_false(h->resumed);

    /* The client's own data after its Finished proves nothing: an HTTP
     * request rides with the Finished that a server refusing the client's
     * certificate answers with an alert. Only the server's evidence. */
    h = hello(TLS_V_1_3);
    h->finished[C] = true;
    h->app_data[C] = true;
    assert_false(outcome_check(h, 1100));
    h->app_data[S] = true;
    assert_true(outcome_check(h, 1200));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(h->decided_us, 1200);

    /* PSK resumption. */
    h = hello(TLS_V_1_3);
    h->sh.psk_accepted = true;
    h->finished[C] = h->app_data[C] = true;
    assert_false(outcome_check(h, 1150));
    h->app_data[S] = true;
    assert_true(outcome_check(h, 1200));
    assert_true(h->resumed);

    /* TLS 1.2 rules do not apply to 1.3 compatibility CCS. */
    h = hello(TLS_V_1_3);
    h->ccs[C] = h->ccs[S] = true;
    h->app_data[S] = true;
    assert_false(outcome_check(h, 1100));

    /* Client Finished, then the connection closes: established at close. */
    h = hello(TLS_V_1_3);
    h->finished[C] = true;
    outcome_closed(h, S, false, 5000);
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(h->decided_us, 5000);
    h = hello(TLS_V_1_3);
    h->finished[C] = true;
    outcome_finish(h, ENDED_CAPTURE_END, 6000);
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(h->ended_by, ENDED_NONE);

    /* Without it, a close after the server's flight is a failure. */
    h = hello(TLS_V_1_3);
    h->stage = STAGE_SERVER_ENCRYPTED_FLIGHT;
    outcome_closed(h, C, true, 5000);
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by, ENDED_RST);
    assert_int_equal(h->ended_by_side, C);
    assert_int_equal(h->failure_stage, STAGE_SERVER_ENCRYPTED_FLIGHT);

    /* But not when bytes of the handshake were lost: what they held may
     * have completed it, so the close leaves it incomplete. */
    h = hello(TLS_V_1_2);
    h->stage = STAGE_CLIENT_CERTIFICATE;
    h->gaps = 2;
    outcome_closed(h, C, false, 5000);
    assert_int_equal(h->outcome, OUTCOME_INCOMPLETE);
    assert_int_equal(h->ended_by, ENDED_FIN);
    assert_int_equal(h->ended_by_side, C);
}

/* TLS 1.3 drafts (0x7f12 is draft 18, 0xfb1a Facebook's draft 26) follow
 * the 1.3 rules: a client Finished with data decides, a pair of
 * compatibility CCS does not, PSK acceptance is resumption. */
static void test_tls13_drafts(void **state)
{
    (void)state;
    static const uint16_t drafts[] = {0x7f12, 0x7f1c, 0xfb1a};
    for (size_t i = 0; i < 3; i++) {
        struct handshake *h = hello(drafts[i]);
        h->ccs[C] = h->ccs[S] = true;
        h->app_data[S] = true;
        assert_false(outcome_check(h, 1100));
        h->finished[C] = true;
        h->sh.psk_accepted = true;
        assert_true(outcome_check(h, 1200));
        assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
        assert_true(h->resumed);

        h = hello(drafts[i]);
        h->finished[C] = true;
        outcome_finish(h, ENDED_CAPTURE_END, 6000);
        assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    }
    /* an unknown code is no TLS 1.3: the TLS 1.2 rules apply */
    struct handshake *h = hello(0x7e01);
    h->ccs[C] = h->ccs[S] = true;
    h->app_data[S] = true;
    assert_true(outcome_check(h, 1100));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
}

static void test_alert_failures(void **state)
{
    (void)state;
    /* Fatal server alert right after the ClientHello. */
    struct handshake *h = hello(0);
    add_alert(h, S, false, 2, 70);
    assert_true(outcome_check(h, 1200));
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by, ENDED_ALERT);
    assert_int_equal(h->ended_by_side, S);
    assert_int_equal(h->failure_stage, STAGE_CLIENT_HELLO);
    assert_int_equal(h->handshake_us, 200);
    assert_int_equal(h->server_response_us, -1);

    /* Warning unrecognized_name does not end it; a later fatal one does,
     * at the stage it was sent. */
    h = hello(TLS_V_1_2);
    add_alert(h, S, false, 1, 112);
    assert_false(outcome_check(h, 1100));
    h->stage = STAGE_SERVER_HELLO_DONE;
    add_alert(h, C, false, 2, 48);
    h->stage = STAGE_CLIENT_KEY_EXCHANGE; /* the stage moved on since */
    assert_true(outcome_check(h, 1300));
    assert_int_equal(h->ended_by_side, C);
    assert_int_equal(h->failure_stage, STAGE_SERVER_HELLO_DONE);

    /* close_notify, a warning, still ends an unfinished handshake. */
    h = hello(TLS_V_1_2);
    add_alert(h, C, false, 1, 0);
    assert_true(outcome_check(h, 1100));
    assert_int_equal(h->outcome, OUTCOME_FAILED);

    /* TLS 1.2 encrypted alert before established. */
    h = hello(TLS_V_1_2);
    h->ccs[C] = h->finished[C] = true;
    h->stage = STAGE_CLIENT_FINISHED;
    add_alert(h, S, true, 0, 0);
    assert_true(outcome_check(h, 1100));
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by_side, S);
    assert_int_equal(h->failure_stage, STAGE_CLIENT_FINISHED);

    /* TLS 1.3 alert-sized first client record. */
    h = hello(TLS_V_1_3);
    h->stage = STAGE_SERVER_ENCRYPTED_FLIGHT;
    h->first_client_encrypted_len = 19;
    add_alert(h, C, true, 0, 0);
    assert_true(outcome_check(h, 1100));
    assert_int_equal(h->ended_by, ENDED_ALERT);
    assert_int_equal(h->failure_stage, STAGE_SERVER_ENCRYPTED_FLIGHT);
    assert_string_equal(stage_failure_name(h->failure_stage),
                        "after_server_encrypted_flight");
}

static void test_close_failures(void **state)
{
    (void)state;
    struct handshake *h = hello(0);
    outcome_closed(h, S, true, 1010);
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by, ENDED_RST);
    assert_int_equal(h->ended_by_side, S);
    assert_int_equal(h->failure_stage, STAGE_CLIENT_HELLO);

    /* Nothing from the server, and the client gave up. */
    h = hello(0);
    outcome_closed(h, C, false, 31000);
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by, ENDED_FIN);
    assert_int_equal(h->ended_by_side, C);
    assert_int_equal(h->handshake_us, 30000);

    /* A stage of NONE with a ClientHello still reports after_client_hello. */
    h = hello(0);
    h->stage = STAGE_NONE;
    outcome_closed(h, S, false, 1010);
    assert_int_equal(h->failure_stage, STAGE_CLIENT_HELLO);

    /* No hello at all: a close decides nothing. */
    memset(&rec, 0, sizeof rec);
    rec.ended_by_side = -1;
    outcome_closed(&rec, S, false, 10);
    assert_int_equal(rec.outcome, OUTCOME_UNDECIDED);
    outcome_finish(&rec, ENDED_EVICTED, 20);
    assert_int_equal(rec.outcome, OUTCOME_INCOMPLETE);
    assert_int_equal(rec.ended_by, ENDED_EVICTED);
    assert_int_equal(rec.failure_stage, STAGE_NONE);
    assert_int_equal(rec.handshake_us, -1);
}

static void test_incomplete(void **state)
{
    (void)state;
    const enum hs_ended_by whys[] = {ENDED_SILENCE, ENDED_CAPTURE_END,
                                     ENDED_EVICTED};
    for (int i = 0; i < 3; i++) {
        struct handshake *h = hello(0);
        outcome_finish(h, whys[i], 61000);
        assert_int_equal(h->outcome, OUTCOME_INCOMPLETE);
        assert_int_equal(h->ended_by, whys[i]);
        assert_int_equal(h->ended_by_side, -1);
        assert_int_equal(h->failure_stage, STAGE_CLIENT_HELLO);
        assert_int_equal(h->decided_us, 61000);
        assert_int_equal(h->handshake_us, 60000);
    }
    /* A pending fatal alert wins over the flow end. */
    struct handshake *h = hello(TLS_V_1_2);
    add_alert(h, S, false, 2, 40);
    outcome_finish(h, ENDED_SILENCE, 5000);
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by, ENDED_ALERT);
    /* A TLS 1.2 client Finished alone is not enough. */
    h = hello(TLS_V_1_2);
    h->finished[C] = true;
    outcome_finish(h, ENDED_CAPTURE_END, 5000);
    assert_int_equal(h->outcome, OUTCOME_INCOMPLETE);
}

static void test_not_tls(void **state)
{
    (void)state;
    struct handshake *h = hello(0);
    h->ended_by = ENDED_NOT_TLS;
    h->ended_by_side = S;
    assert_true(outcome_check(h, 1400));
    assert_int_equal(h->outcome, OUTCOME_NOT_TLS);
    assert_int_equal(h->ended_by, ENDED_NOT_TLS);
    assert_int_equal(h->ended_by_side, S);
    assert_int_equal(h->handshake_us, 400);
}

/* TLS <= 1.2 resumption is the abbreviated handshake, not a missing
 * Certificate: anonymous and PSK suites send none in a full handshake, and
 * a Certificate lost in a gap is no resumption either. */
static void test_resumed_is_abbreviated(void **state)
{
    (void)state;
    /* Full handshake of an anonymous DH suite: no Certificate. */
    struct handshake *h = hello(TLS_V_1_2);
    h->server_key_exchange = h->server_hello_done = true;
    h->client_key_exchange = true;
    h->ccs[C] = h->finished[C] = h->ccs[S] = h->finished[S] = true;
    assert_true(outcome_check(h, 1500));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    assert_false(h->resumed);

    /* PSK: ServerHelloDone and ClientKeyExchange, no key exchange from the
     * server and no Certificate. */
    h = hello(TLS_V_1_2);
    h->server_hello_done = h->client_key_exchange = true;
    h->ccs[C] = h->finished[C] = h->ccs[S] = h->finished[S] = true;
    assert_true(outcome_check(h, 1500));
    assert_false(h->resumed);

    /* Each message of a full handshake alone rules resumption out. */
    for (int i = 0; i < 4; i++) {
        h = hello(TLS_V_1_2);
        h->ccs[S] = h->finished[S] = h->ccs[C] = h->finished[C] = true;
        h->server_key_exchange = i == 0;
        h->server_hello_done = i == 1;
        h->certificate_request = i == 2;
        h->client_key_exchange = i == 3;
        assert_true(outcome_check(h, 1500));
        assert_false(h->resumed);
    }

    /* The server's flight lost in a gap: nothing says it was short. */
    h = hello(TLS_V_1_2);
    h->gaps = 1;
    h->ccs[S] = h->finished[S] = h->ccs[C] = h->finished[C] = true;
    assert_true(outcome_check(h, 1500));
    assert_false(h->resumed);

    /* The abbreviated handshake itself. */
    h = hello(TLS_V_1_2);
    h->ccs[S] = h->finished[S] = h->ccs[C] = h->finished[C] = true;
    assert_true(outcome_check(h, 1500));
    assert_true(h->resumed);
}

/* An alert its sender sent after finishing its own part, or after the
 * decision (late), is listed but never decides. */
static void test_late_alerts_do_not_decide(void **state)
{
    (void)state;
    struct handshake *h = hello(TLS_V_1_2);
    h->ccs[C] = h->finished[C] = true;
    h->stage = STAGE_CLIENT_FINISHED;
    add_alert(h, C, true, 0, 0);
    h->rare->alerts.v[0].late = true;
    assert_false(outcome_check(h, 1100));
    h->ccs[S] = h->finished[S] = true;
    assert_true(outcome_check(h, 1200));
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);

    /* Late, then a deciding one: the deciding one's stage and side. */
    h = hello(TLS_V_1_2);
    add_alert(h, S, false, 2, 50);
    h->rare->alerts.v[0].late = true;
    h->stage = STAGE_SERVER_HELLO_DONE;
    add_alert(h, C, false, 2, 48);
    assert_true(outcome_check(h, 1300));
    assert_int_equal(h->ended_by_side, C);
    assert_int_equal(h->failure_stage, STAGE_SERVER_HELLO_DONE);

    /* A FIN with only late alerts is a close, not an alert. */
    h = hello(TLS_V_1_2);
    h->stage = STAGE_SERVER_HELLO_DONE;
    add_alert(h, S, false, 2, 50);
    h->rare->alerts.v[0].late = true;
    outcome_closed(h, C, false, 2000);
    assert_int_equal(h->outcome, OUTCOME_FAILED);
    assert_int_equal(h->ended_by, ENDED_FIN);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(outcome_name(OUTCOME_UNDECIDED), "undecided");
    assert_string_equal(outcome_name(OUTCOME_ESTABLISHED), "established");
    assert_string_equal(outcome_name(OUTCOME_FAILED), "failed");
    assert_string_equal(outcome_name(OUTCOME_INCOMPLETE), "incomplete");
    assert_string_equal(outcome_name(OUTCOME_NOT_TLS), "not_tls");
    assert_string_equal(outcome_name((enum hs_outcome)99), "undecided");

    assert_null(ended_by_name(ENDED_NONE));
    assert_string_equal(ended_by_name(ENDED_ALERT), "alert");
    assert_string_equal(ended_by_name(ENDED_FIN), "fin");
    assert_string_equal(ended_by_name(ENDED_RST), "rst");
    assert_string_equal(ended_by_name(ENDED_SILENCE), "silence");
    assert_string_equal(ended_by_name(ENDED_CAPTURE_END), "capture_end");
    assert_string_equal(ended_by_name(ENDED_EVICTED), "evicted");
    assert_string_equal(ended_by_name(ENDED_NOT_TLS), "not_tls");
    assert_null(ended_by_name((enum hs_ended_by)99));

    static const char *const want[STAGE_COUNT] = {
        NULL, "after_client_hello", "after_hello_retry_request",
        "after_client_hello_2", "after_server_hello",
        "after_server_certificate", "after_server_key_exchange",
        "after_certificate_request", "after_server_hello_done",
        "after_server_encrypted_flight", "after_client_certificate",
        "after_client_key_exchange", "after_client_finished",
        "after_server_finished", "after_application_data",
    };
    assert_null(stage_failure_name(STAGE_NONE));
    for (int i = 1; i < STAGE_COUNT; i++)
        assert_string_equal(stage_failure_name((enum hs_stage)i), want[i]);
    assert_null(stage_failure_name(STAGE_COUNT));
}

/* One definition of failure for every output: refused is one (README,
 * "A refused STARTTLS upgrade is a failure everywhere"). */
static void test_is_failure(void **state)
{
    (void)state;
    assert_true(outcome_is_failure(OUTCOME_FAILED));
    assert_true(outcome_is_failure(OUTCOME_NOT_TLS));
    assert_true(outcome_is_failure(OUTCOME_REFUSED));
    assert_false(outcome_is_failure(OUTCOME_ESTABLISHED));
    assert_false(outcome_is_failure(OUTCOME_INCOMPLETE));
    assert_false(outcome_is_failure(OUTCOME_UNDECIDED));
}

/* The deciding alert is the one outcome_check decided on; failing that,
 * the first alert sent in time; never a late one. */
static void test_deciding_alert(void **state)
{
    (void)state;
    struct handshake *h = hello(TLS_V_1_2);
    assert_null(outcome_deciding_alert(h));

    /* A warning, then a fatal one: the fatal one decides and is named. */
    add_alert(h, S, false, 1, 112);
    h->stage = STAGE_SERVER_HELLO_DONE;
    add_alert(h, C, false, 2, 48);
    assert_true(outcome_check(h, 1100));
    assert_ptr_equal(outcome_deciding_alert(h), &hs_rare(h)->alerts.v[1]);
    assert_int_equal(h->ended_by_side, C);

    /* A late fatal alert is never the deciding one; the warning is. */
    h = hello(TLS_V_1_2);
    add_alert(h, C, false, 2, 48);
    h->rare->alerts.v[0].late = true;
    add_alert(h, S, false, 1, 112);
    assert_ptr_equal(outcome_deciding_alert(h), &hs_rare(h)->alerts.v[1]);

    /* Encrypted, and close_notify (description 0), end a handshake too. */
    h = hello(TLS_V_1_3);
    add_alert(h, S, false, 1, 112);
    add_alert(h, C, true, 0, 0);
    assert_ptr_equal(outcome_deciding_alert(h), &hs_rare(h)->alerts.v[1]);
    h = hello(TLS_V_1_2);
    add_alert(h, S, false, 1, 112);
    add_alert(h, C, false, 1, 0);
    assert_ptr_equal(outcome_deciding_alert(h), &hs_rare(h)->alerts.v[1]);

    /* Only late ones: none. */
    h = hello(TLS_V_1_2);
    add_alert(h, C, false, 2, 48);
    h->rare->alerts.v[0].late = true;
    assert_null(outcome_deciding_alert(h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_established),
        cmocka_unit_test(test_tls13_established),
        cmocka_unit_test(test_tls13_drafts),
        cmocka_unit_test(test_alert_failures),
        cmocka_unit_test(test_close_failures),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_resumed_is_abbreviated),
        cmocka_unit_test(test_late_alerts_do_not_decide),
        cmocka_unit_test(test_is_failure),
        cmocka_unit_test(test_deciding_alert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
