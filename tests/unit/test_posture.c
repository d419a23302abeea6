/* test_posture.c — the post-quantum and ECH posture of a record
 * (dissectors/posture.c) on records built field by field for each case the
 * wire can show, and the cross-handshake ECH evidence the server history
 * (rules/server_profile.c) adds: a retry right after a rejected attempt,
 * a published config seen before, plain handshakes that get through. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "analyzer/output/json_writer.h"
#include "analyzer/output/summary_posture.h"
#include "rules/server_profile.h"
#include "dissectors/posture.h"

#include <stdio.h>
#include <stdlib.h>

#define X25519 0x001d
#define MLKEM 0x11ec
#define KYBER 0x6399
#define US 1000000ULL

static struct handshake h;
static struct handshake_report h_report;
static struct handshake_rare h_rare;

/* A TLS 1.3 client offering X25519MLKEM768 then x25519, key shares for
 * both (as Chrome and Firefox send). */
static void pq_client(void)
{
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    handshake_attach_rare(&h, &h_rare);
    h.ch.seen = true;
    h.ch.groups.v[0] = 0x3a3a; /* GREASE */
    h.ch.groups.v[1] = MLKEM;
    h.ch.groups.v[2] = X25519;
    h.ch.groups.n = 3;
    h.ch.key_shares.v[0].group = MLKEM;
    h.ch.key_shares.v[0].len = 1216;
    h.ch.key_shares.v[1].group = X25519;
    h.ch.key_shares.v[1].len = 32;
    h.ch.key_shares.n = 2;
}

static void server13(uint16_t group)
{
    h.sh.seen = true;
    h.sh.version = TLS_V_1_3;
    h.sh.has_key_share = group != 0;
    h.sh.group = group;
}

static struct pq_posture pq(void)
{
    struct pq_posture p;
    pq_posture(&h, &p);
    return p;
}

static void test_pq_negotiated(void **state)
{
    (void)state;
    pq_client();
    struct pq_posture p = pq();
    assert_int_equal(p.status, PQ_UNANSWERED);
    assert_int_equal(p.n_offered, 1);
    assert_int_equal(p.share_group, MLKEM);
    assert_int_equal(p.share_len, 1216);

    server13(MLKEM);
    p = pq();
    assert_int_equal(p.status, PQ_NEGOTIATED);
    assert_int_equal(p.group, MLKEM);
    assert_int_equal(p.kind, TLS_PQ_HYBRID);
    assert_string_equal(pq_status_name(p.status), "negotiated");

    /* The retired draft codepoint, as Chrome 124-130 and Google sent. */
    pq_client();
    h.ch.groups.v[1] = h.ch.key_shares.v[0].group = KYBER;
    server13(KYBER);
    p = pq();
    assert_int_equal(p.kind, TLS_PQ_DRAFT);

    /* Asked for by a HelloRetryRequest. */
    pq_client();
    h.ch.key_shares.n = 1;
    h.ch.key_shares.v[0].group = X25519;
    h_rare.hrr.seen = true;
    h_rare.hrr.group = MLKEM;
    p = pq();
    assert_int_equal(p.status, PQ_NEGOTIATED_AFTER_HRR);
    assert_int_equal(p.group, MLKEM);
    assert_int_equal(p.share_group, 0);
}

static void test_pq_not_used(void **state)
{
    (void)state;
    struct pq_posture p;
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    handshake_attach_rare(&h, &h_rare);
    h.ch.seen = true;
    h.ch.groups.v[0] = X25519;
    h.ch.groups.n = 1;
    p = pq();
    assert_int_equal(p.status, PQ_NOT_OFFERED);
    assert_null(pq_reason_name(p.reason));

    pq_client();
    server13(X25519);
    assert_int_equal(pq().reason, PQ_REASON_SERVER_CHOSE_CLASSICAL);
    /* ... although this server chose a PQ group earlier in the run. */
    h.report->server_profile.groups[0] = MLKEM;
    h.report->server_profile.n_groups = 1;
    assert_int_equal(pq().reason, PQ_REASON_CLASSICAL_UNLIKE_BEFORE);

    pq_client();
    h_rare.hrr.seen = true;
    h_rare.hrr.group = 0x0017;
    server13(0x0017);
    assert_int_equal(pq().reason, PQ_REASON_HRR_TO_CLASSICAL);

    pq_client();
    server13(0);
    h.sh.psk_accepted = true;
    assert_int_equal(pq().reason, PQ_REASON_PSK_ONLY);

    /* TLS 1.2 has no ML-KEM groups: the answer is the reason, and from a
     * server that spoke TLS 1.3 before, a middlebox's. */
    pq_client();
    h.sh.seen = true;
    h.sh.version = TLS_V_1_2;
    h.sh.group = X25519;
    p = pq();
    assert_int_equal(p.status, PQ_NOT_NEGOTIATED);
    assert_int_equal(p.reason, PQ_REASON_TLS12_ANSWER);
    h.report->server_profile.version_ranks =
        (uint8_t)(1u << tls_version_rank(TLS_V_1_3));
    assert_int_equal(pq().reason, PQ_REASON_TLS12_MIDDLEBOX);
    h.report->server_profile.version_ranks = 0;
    h.report->server_profile.issuer_changed = EVIDENCE_YES;
    assert_string_equal(pq_reason_name(pq().reason), "tls12_answer_middlebox");

    /* A key share for a group the list left out is still an offer. */
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    handshake_attach_rare(&h, &h_rare);
    h.ch.seen = true;
    h.ch.groups.v[0] = 0x11ed;
    h.ch.groups.n = 1;
    h.ch.key_shares.v[0].group = 0x11ed;
    h.ch.key_shares.v[1].group = 0x0202;
    h.ch.key_shares.n = 2;
    p = pq();
    assert_int_equal(p.n_offered, 2);
    uint16_t g;
    assert_true(pq_offered_at(&h, 1, &g));
    assert_int_equal(g, 0x0202);
    assert_false(pq_offered_at(&h, 2, &g));
}

static void ech_client(uint8_t config)
{
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    handshake_attach_rare(&h, &h_rare);
    h.ch.seen = true;
    h.ch.ts_us = 1000 * US;
    h.ch.ech = true;
    h.ch.ech_info.present = true;
    h.ch.ech_info.config_id = config;
    h.ch.ech_info.payload_len = 144;
    h.client.ip_version = h.server.ip_version = 4;
    h.client.addr[0] = 10;
    h.client.addr[3] = 9;
    h.server.addr[0] = 192;
    h.server.addr[3] = 5;
    h.server.port = 443;
}

static void aborted_after_flight(void)
{
    server13(X25519);
    h.outcome = OUTCOME_FAILED;
    h.failure_stage = STAGE_SERVER_ENCRYPTED_FLIGHT;
    h.ended_by = ENDED_ALERT;
    h.ended_by_side = TLS_SIDE_CLIENT;
    h_rare.alerts.v[0].sender = TLS_SIDE_CLIENT;
    h_rare.alerts.v[0].encrypted = true;
    h_rare.alerts.v[0].length = 19;
    h_rare.alerts.n = 1;
}

static void test_ech_status(void **state)
{
    (void)state;
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    handshake_attach_rare(&h, &h_rare);
    h.ch.seen = true;
    assert_int_equal(ech_status(&h), ECH_STATUS_NONE);
    assert_null(ech_status_name(ech_status(&h)));

    ech_client(1);
    h.outcome = OUTCOME_ESTABLISHED;
    server13(X25519);
    assert_int_equal(ech_status(&h), ECH_NOT_CONFIRMED);
    /* The server's HRR says whether it took ECH. */
    h_rare.hrr.seen = true;
    h_rare.hrr.ech_confirmation = true;
    assert_int_equal(ech_status(&h), ECH_ACCEPTED);
    h_rare.hrr.ech_confirmation = false; /* not taken; the client went on */
    assert_int_equal(ech_status(&h), ECH_GREASE);
    /* TLS 1.2 cannot carry ECH: a client that goes on sent GREASE. */
    ech_client(1);
    h.outcome = OUTCOME_ESTABLISHED;
    h.sh.seen = true;
    h.sh.version = TLS_V_1_2;
    assert_int_equal(ech_status(&h), ECH_GREASE);

    ech_client(1);
    aborted_after_flight();
    assert_int_equal(ech_status(&h), ECH_ABORTED_AFTER_FLIGHT);
    assert_true(ech_status_rejected(ech_status(&h)));
    /* Decrypted: the alert says ech_required, or retry_configs came. */
    h_rare.alerts.v[0].encrypted = false;
    h_rare.alerts.v[0].level = 2;
    h_rare.alerts.v[0].description = 121;
    assert_int_equal(ech_status(&h), ECH_REJECTED);
    ech_client(1);
    aborted_after_flight();
    static struct encrypted_extensions ee = {.seen = true,
                                             .ech.has_retry_configs = true};
    h.ee = &ee;
    assert_string_equal(ech_status_name(ech_status(&h)), "rejected");

    /* No answer at all: reset or silence. A server alert is an answer. */
    ech_client(1);
    h.outcome = OUTCOME_FAILED;
    h.ended_by = ENDED_RST;
    h.ended_by_side = TLS_SIDE_SERVER;
    h.failure_stage = STAGE_CLIENT_HELLO;
    assert_int_equal(ech_status(&h), ECH_UNANSWERED);
    assert_true(ech_status_blocked(ech_status(&h)));
    h_rare.alerts.v[0].sender = TLS_SIDE_SERVER;
    h_rare.alerts.v[0].level = 2;
    h_rare.alerts.v[0].description = 40;
    h_rare.alerts.n = 1;
    assert_int_equal(ech_status(&h), ECH_FAILED_OTHER);
    ech_client(1);
    h.outcome = OUTCOME_INCOMPLETE;
    h.ended_by = ENDED_SILENCE;
    assert_int_equal(ech_status(&h), ECH_UNANSWERED);
}

/* The server history across handshakes: a client aborts ECH config 5,
 * comes back at once with config 6; a later hello with config 5 uses a
 * config seen before; a plain success makes the next unanswered ECH hello
 * from the same client a block. */
static void test_ech_history(void **state)
{
    (void)state;
    struct server_profiles *sp = server_profiles_new(16);
    assert_non_null(sp);

    ech_client(5);
    h.flow_id = 1;
    aborted_after_flight();
    h.decided_us = 1000 * US + 40000;
    server_profiles_observe(sp, &h);
    assert_int_equal(h.report->server_profile.ech_prior_flow, 0);
    assert_int_equal(h.report->server_profile.ech_config_known, EVIDENCE_NONE);

    ech_client(6);
    h.flow_id = 2;
    h.ch.ts_us = 1000 * US + 90000;
    h.outcome = OUTCOME_ESTABLISHED;
    server13(X25519);
    server_profiles_observe(sp, &h);
    assert_int_equal(h.report->server_profile.ech_prior_flow, 1);
    assert_int_equal(h.report->server_profile.ech_prior_failure, 1);
    assert_int_equal(h.report->server_profile.ech_prior_config_id, 5);
    assert_int_equal(h.report->server_profile.ech_config_known, EVIDENCE_NO);

    /* Another client, config 5 again: published, not GREASE; and not a
     * retry of the first client's attempt. */
    ech_client(5);
    h.flow_id = 3;
    h.client.addr[3] = 77;
    h.ch.ts_us = 1001 * US;
    server_profiles_observe(sp, &h);
    assert_int_equal(h.report->server_profile.ech_config_known, EVIDENCE_YES);
    assert_int_equal(h.report->server_profile.ech_prior_flow, 0);

    /* Too late to be a retry: 11 s after. */
    ech_client(9);
    h.flow_id = 4;
    h.ch.ts_us = 1011 * US + 50000;
    server_profiles_observe(sp, &h);
    assert_int_equal(h.report->server_profile.ech_prior_flow, 0);

    /* Blocked: this client gets through without ECH, then its ECH hello is
     * reset; the plain one right after follows a block. */
    memset(&h, 0, sizeof(h));
    handshake_attach_report(&h, &h_report);
    handshake_attach_rare(&h, &h_rare);
    ech_client(0);
    h.ch.ech = false;
    memset(&h.ch.ech_info, 0, sizeof(h.ch.ech_info));
    h.flow_id = 5;
    h.ch.ts_us = 2000 * US;
    h.outcome = OUTCOME_ESTABLISHED;
    server_profiles_observe(sp, &h);
    ech_client(5);
    h.flow_id = 6;
    h.ch.ts_us = 2001 * US;
    h.outcome = OUTCOME_FAILED;
    h.ended_by = ENDED_RST;
    h.ended_by_side = TLS_SIDE_SERVER;
    h.decided_us = 2001 * US + 1000;
    server_profiles_observe(sp, &h);
    assert_int_equal(h.report->server_profile.client_plain_established, 1);
    assert_int_equal(h.report->server_profile.plain_established, 1);
    ech_client(0);
    h.ch.ech = false;
    memset(&h.ch.ech_info, 0, sizeof(h.ch.ech_info));
    h.flow_id = 7;
    h.ch.ts_us = 2001 * US + 5000;
    server_profiles_observe(sp, &h);
    assert_int_equal(h.report->server_profile.ech_prior_flow, 6);
    assert_int_equal(h.report->server_profile.ech_prior_failure, 2);
    server_profiles_free(sp);
}

/* The summary's post-quantum and ECH section, in text and JSON: totals,
 * reasons, the groups, and one server's line and members (which summary.c
 * prints under that server in its server table). */
static void test_summary_section(void **state)
{
    (void)state;
    struct posture_summary ps;
    struct posture_counts server5, server6;
    memset(&ps, 0, sizeof(ps));
    memset(&server5, 0, sizeof(server5));
    memset(&server6, 0, sizeof(server6));
    pq_client(); /* negotiated, twice */
    server13(MLKEM);
    for (int i = 0; i < 2; i++) {
        posture_summary_add(&ps, &h);
        posture_counts_add(&server5, &h);
    }
    pq_client(); /* TLS 1.2 from the same server */
    h.sh.seen = true;
    h.sh.version = TLS_V_1_2;
    posture_summary_add(&ps, &h);
    posture_counts_add(&server5, &h);
    ech_client(3); /* ECH only, another server */
    aborted_after_flight();
    posture_summary_add(&ps, &h);
    posture_counts_add(&server6, &h);
    assert_int_equal(ps.all.hellos, 4);
    assert_int_equal(ps.all.pq_offered, 3);
    assert_int_equal(ps.all.pq_negotiated, 2);
    assert_int_equal(ps.all.pq_not_used[PQ_REASON_TLS12_ANSWER], 1);
    assert_int_equal(ps.all.ech_offered, 1);
    assert_int_equal(ps.all.ech[ECH_ABORTED_AFTER_FLIGHT], 1);
    assert_int_equal(ps.n_groups, 1);
    assert_int_equal(ps.groups[0].offered, 3);
    assert_int_equal(ps.groups[0].negotiated, 2);
    assert_int_equal(server5.hellos, 3);
    assert_int_equal(server6.pq_offered, 0);

    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    posture_summary_print_text(fp, &ps, false);
    posture_counts_print_line(fp, &server5, "  ");
    posture_counts_print_line(fp, &server6, "  ");
    fclose(fp);
    assert_non_null(strstr(buf, "pq offered 3 (X25519MLKEM768 3)  "
                                "negotiated 2 (after HRR 0, draft codepoint 0)"));
    assert_non_null(strstr(buf, "pq not used 1: tls12_answer 1"));
    assert_non_null(strstr(buf, "ech offered 1: aborted_after_server_flight 1"));
    assert_non_null(strstr(buf, "  post-quantum X25519MLKEM768 2/3 "
                                "(not taken: tls12_answer 1)\n"));
    assert_non_null(strstr(buf, "  post-quantum not offered; ECH 1: "
                                "aborted_after_server_flight 1\n"));
    assert_null(strstr(buf, "\033"));
    free(buf);

    struct json_writer w;
    json_init(&w);
    json_begin_object(&w);
    posture_summary_write_json(&w, &ps);
    json_end_object(&w);
    const char *j = json_text(&w);
    assert_non_null(strstr(j, "\"posture\":{\"hellos\":4,\"pq\":{\"offered\":3,"
                              "\"negotiated\":2,"));
    assert_non_null(strstr(j, "\"not_used\":{\"tls12_answer\":1}"));
    assert_non_null(strstr(j, "\"ech\":{\"offered\":1,\"status\":"
                              "{\"aborted_after_server_flight\":1}}"));
    assert_non_null(strstr(j, "\"pq_groups\":[{\"group\":\"X25519MLKEM768\","
                              "\"offered\":3,\"negotiated\":2}]"));
    json_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pq_negotiated),
        cmocka_unit_test(test_pq_not_used),
        cmocka_unit_test(test_ech_status),
        cmocka_unit_test(test_ech_history),
        cmocka_unit_test(test_summary_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
