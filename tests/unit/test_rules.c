/* test_rules.c — the rule engine: every operator on every kind of field,
 * version order, CIDR v4/v6, absent fields, message templates, primary
 * choice, each loading error with its line and column, includes and lists,
 * size limits, the default set, server history and alert flood control. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/fields.h"
#include "rules/alert_flood.h"
#include "rules/compiled.h"
#include "rules/server_profile.h"
#include "rules/engine.h"
#include "rules/field_values.h"

static struct handshake rec;
static struct handshake_report rec_report;
static struct handshake_rare rec_rare;
static char err[RULES_ERROR_LEN];

/* A failed TLS 1.2 attempt from 10.0.0.9 to 192.0.2.5:443 (SNI
 * www.example.com): the server refused the ClientHello with
 * protocol_version. */
static struct handshake *record(void)
{
    memset(&rec, 0, sizeof rec);
    handshake_attach_report(&rec, &rec_report);
    handshake_attach_rare(&rec, &rec_rare);
    rec.client.ip_version = rec.server.ip_version = 4;
    inet_pton(AF_INET, "10.0.0.9", rec.client.addr);
    inet_pton(AF_INET, "192.0.2.5", rec.server.addr);
    rec.client.port = 51000;
    rec.server.port = 443;
    rec.ch.seen = true;
    rec.ch.ts_us = 1700000000000000ULL;
    rec.ch.legacy_version = TLS_V_1_2;
    rec.ch.has_supported_versions = true;
    rec.ch.versions.v[0] = 0x0a0a; /* GREASE */
    rec.ch.versions.v[1] = TLS_V_1_2;
    rec.ch.versions.v[2] = TLS_V_1_1;
    rec.ch.versions.n = 3;
    rec.ch.has_sni = true;
    strcpy(rec.ch.sni, "www.Example.com");
    rec.ch.ciphers.head[0] = 0xc02f;
    rec.ch.ciphers.head[1] = 0x000a;
    rec.ch.ciphers.n = rec.ch.ciphers.total = 2;
    rec_rare.alerts.v[0] = (struct tls_alert){.sender = TLS_SIDE_SERVER,
                                            .level = 2, .description = 70,
                                            .stage = STAGE_CLIENT_HELLO};
    rec_rare.alerts.n = 1;
    rec_rare.alerts.total = 1;
    rec.outcome = OUTCOME_FAILED;
    rec.ended_by = ENDED_ALERT;
    rec.ended_by_side = TLS_SIDE_SERVER;
    rec.stage = STAGE_CLIENT_HELLO;
    rec.failure_stage = STAGE_CLIENT_HELLO;
    rec.handshake_us = 2500;
    rec.server_response_us = 1200;
    rec.report->primary = -1;
    return &rec;
}

static const char *rule_with(const char *when)
{
    static char yaml[4096];
    snprintf(yaml, sizeof(yaml),
             "rules:\n"
             "  - id: r\n"
             "    name: test rule\n"
             "    severity: high\n"
             "    cause: protocol_version_mismatch\n"
             "    fix: client\n"
             "    message: m\n"
             "    remediation: r\n"
             "    when: %s\n",
             when);
    return yaml;
}

/* Does a one-rule set with condition `when` (YAML flow style) match? */
static bool matches(const char *when, const struct handshake *h)
{
    const char *yaml = rule_with(when);
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    if (!rs)
        fail_msg("did not load: %s\n%s", err, yaml);
    struct handshake copy = *h;
    struct handshake_report copy_report = *h->report;
    copy.report = &copy_report;
    rules_evaluate(rs, &copy);
    /* The built-in rule for unexplained failures answers when "r" does
     * not: only "r" counts. */
    bool hit = copy.report->findings.n == 1 &&
               strcmp(copy.report->findings.v[0].rule->id, "r") == 0;
    rules_free(rs);
    return hit;
}

/* The error loading `yaml` gives, which must be one. */
static const char *load_error(const char *yaml)
{
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    if (rs) {
        rules_free(rs);
        fail_msg("loaded, expected an error:\n%s", yaml);
    }
    return err;
}

static void assert_prefix(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", s, prefix);
}

static void assert_contains(const char *s, const char *part)
{
    if (!strstr(s, part))
        fail_msg("'%s' does not contain '%s'", s, part);
}

/* ---- operators --------------------------------------------------------- */

static void test_eq_ne_strings(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{tlsmon.outcome: failed}", h));
    assert_false(matches("{tlsmon.outcome: established}", h));
    assert_true(matches("{tlsmon.outcome: {eq: FAILED}}", h)); /* ASCII case */
    assert_true(matches("{tlsmon.outcome: {ne: established}}", h));
    assert_false(matches("{tlsmon.outcome: {ne: failed}}", h));
    assert_true(matches("{tls.client.server_name: www.example.com}", h));
}

static void test_in_not_in_and_lists(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{tlsmon.alert.description: [handshake_failure, "
                        "protocol_version]}", h));
    assert_true(matches("{tlsmon.alert.description: {in: [protocol_version]}}",
                        h));
    assert_false(matches("{tlsmon.alert.description: {not_in: "
                         "[protocol_version]}}", h));
    assert_true(matches("{tlsmon.alert.description: {not_in: [unknown_ca]}}",
                        h));
    const char *yaml =
        "lists:\n  refusals: [protocol_version, handshake_failure]\n"
        "rules:\n  - id: a\n    name: n\n    severity: low\n"
        "    cause: cipher_mismatch\n    fix: server\n    message: m\n"
        "    remediation: r\n"
        "    when: {tlsmon.alert.description: $refusals}\n";
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    assert_non_null(rs);
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    rules_free(rs);
}

static void test_numbers_and_order(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{tlsmon.alert.code: 70}", h));
    assert_true(matches("{tlsmon.alert.code: {gt: 69}}", h));
    assert_true(matches("{tlsmon.alert.code: {ge: 70}}", h));
    assert_false(matches("{tlsmon.alert.code: {lt: 70}}", h));
    assert_true(matches("{tlsmon.alert.code: {le: 70}}", h));
    assert_true(matches("{tlsmon.alert.code: {in: [40, 70]}}", h));
    assert_true(matches("{tlsmon.handshake_ms: {gt: 2.4}}", h));
    assert_false(matches("{tlsmon.handshake_ms: {gt: 2.5}}", h));
    assert_true(matches("{'@timestamp': {ge: '2023-11-14T22:13:20Z'}}", h));
    assert_false(matches("{'@timestamp': {gt: '2023-11-14T22:13:20Z'}}", h));
}

static void test_version_order(void **state)
{
    (void)state;
    struct handshake *h = record();
    /* highest offered: 1.2 (GREASE and 1.1 around it) */
    assert_true(matches("{tlsmon.client_hello.highest_version: '1.2'}", h));
    assert_true(matches("{tlsmon.client_hello.highest_version: {lt: '1.3'}}",
                        h));
    assert_true(matches("{tlsmon.client_hello.highest_version: {gt: ssl3}}",
                        h));
    assert_true(matches("{tlsmon.client_hello.highest_version: {ge: TLSv1.2}}",
                        h));
    assert_false(matches("{tlsmon.client_hello.highest_version: {gt: '1.2'}}",
                         h));
    h->ch.versions.v[1] = TLS_V_SSL3;
    h->ch.versions.v[2] = TLS_V_SSL2;
    h->ch.has_supported_versions = false;
    h->ch.legacy_version = TLS_V_SSL3;
    assert_true(matches("{tlsmon.client_hello.highest_version: {lt: '1.0'}}",
                        h));
    assert_true(matches("{tlsmon.client_hello.highest_version: {gt: ssl2}}",
                        h));
    /* A version without a place in the order compares false. */
    h->ch.legacy_version = 0x7a7a;
    assert_false(matches("{tlsmon.client_hello.highest_version: {lt: '1.3'}}",
                         h));
    assert_false(matches("{tlsmon.client_hello.highest_version: {ge: ssl2}}",
                         h));
}

static void test_exists_and_absent(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{tls.version: {exists: false}}", h));
    assert_false(matches("{tls.version: {exists: true}}", h));
    /* Every comparison on an absent field is false, ne included. */
    assert_false(matches("{tls.version: {ne: '1.2'}}", h));
    assert_false(matches("{tls.version: {not_in: ['1.2']}}", h));
    assert_true(matches("{not: {tls.version: '1.2'}}", h));
    assert_true(matches("{tlsmon.client_hello.versions: {exists: true}}", h));
    h->ch.has_supported_versions = false;
    assert_true(matches("{tlsmon.client_hello.versions: {exists: false}}", h));
}

static void test_contains_on_lists(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{tlsmon.client_hello.versions: {contains: '1.1'}}",
                        h));
    assert_false(matches("{tlsmon.client_hello.versions: {contains: '1.3'}}",
                         h));
    assert_true(matches("{tlsmon.client_hello.versions: ['1.3', '1.2']}", h));
    assert_true(matches("{tls.client.supported_ciphers: {contains: "
                        "TLS_RSA_WITH_3DES_EDE_CBC_SHA}}", h));
    /* Alerts match by name, code or "encrypted". */
    assert_true(matches("{tlsmon.alerts: {contains: protocol_version}}", h));
    assert_true(matches("{tlsmon.alerts: {contains: 70}}", h));
    assert_false(matches("{tlsmon.alerts: {contains: encrypted}}", h));
    h->rare->alerts.v[0].encrypted = true;
    assert_true(matches("{tlsmon.alerts: {contains: encrypted}}", h));
    assert_false(matches("{tlsmon.alerts: {contains: protocol_version}}", h));
}

static void test_glob_regex(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{tls.client.server_name: {glob: '*.example.com'}}",
                        h));
    assert_false(matches("{tls.client.server_name: {glob: '*.example.org'}}",
                         h));
    assert_true(matches("{tls.client.server_name: {glob: ['a*', 'www.*']}}",
                        h));
    assert_true(matches("{tls.client.server_name: {regex: '^www\\.ex(am)+ple"
                        "\\.com$'}}", h));
    assert_false(matches("{tls.client.server_name: {regex: '^example'}}", h));
    assert_true(matches("{tls.client.supported_ciphers: {regex: '3DES'}}", h));
}

static void test_cidr(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{destination.ip: {cidr: 192.0.2.0/24}}", h));
    assert_true(matches("{destination.ip: {cidr: 192.0.2.5}}", h));
    assert_false(matches("{destination.ip: {cidr: 192.0.3.0/24}}", h));
    assert_true(matches("{destination.ip: {cidr: 0.0.0.0/0}}", h));
    assert_true(matches("{source.ip: {cidr: [10.0.0.0/8, 172.16.0.0/12]}}",
                        h));
    assert_true(matches("{source.ip: {cidr: 10.0.0.8/31}}", h));
    assert_false(matches("{source.ip: {cidr: 10.0.0.10/31}}", h));
    assert_false(matches("{source.ip: {cidr: '2001:db8::/32'}}", h));
    h->client.ip_version = 6;
    inet_pton(AF_INET6, "2001:db8:0:1::9", h->client.addr);
    assert_true(matches("{source.ip: {cidr: '2001:db8::/32'}}", h));
    assert_true(matches("{source.ip: {cidr: '2001:db8:0:1::/63'}}", h));
    assert_false(matches("{source.ip: {cidr: '2001:db8:0:2::/64'}}", h));
    assert_false(matches("{source.ip: {cidr: 10.0.0.0/8}}", h));
    assert_true(matches("{source.ip: '2001:DB8:0:1:0::9'}", h)); /* canonical */
}

static void test_all_any_not(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_true(matches("{all: [{tlsmon.outcome: failed}, {tlsmon.alert.code: "
                        "70}]}", h));
    assert_false(matches("{all: [{tlsmon.outcome: failed}, {tlsmon.alert.code: "
                         "40}]}", h));
    assert_true(matches("{any: [{tlsmon.outcome: established}, "
                        "{tlsmon.alert.code: 70}]}", h));
    assert_false(matches("{not: {any: [{tlsmon.outcome: established}, "
                         "{tlsmon.alert.code: 70}]}}", h));
    /* Several keys in one mapping: all of them. */
    assert_true(matches("{tlsmon.outcome: failed, tlsmon.alert.code: 70}", h));
    assert_false(matches("{tlsmon.outcome: failed, tlsmon.alert.code: 40}", h));
}

/* ---- messages and the primary finding --------------------------------- */

static void test_message_template(void **state)
{
    (void)state;
    const char *yaml =
        "rules:\n  - id: a\n    name: n\n    severity: low\n"
        "    cause: cipher_mismatch\n    fix: server\n"
        "    message: \"{{x}} {destination.ip}:{destination.port} "
        "sni={tls.client.server_name} v={tlsmon.client_hello.versions} "
        "a={tlsmon.alerts} none={tls.version} ms={tlsmon.handshake_ms}\"\n"
        "    remediation: r\n    when: {tlsmon.outcome: failed}\n";
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    assert_non_null(rs);
    struct handshake *h = record();
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    char buf[256];
    assert_string_equal(rules_message(h->report->findings.v[0].rule, h, buf,
                                      sizeof(buf)),
                        "{x} 192.0.2.5:443 sni=www.Example.com v=1.2, 1.1 "
                        "a=protocol_version none=(none) ms=2.500");
    /* Cut to fit, always terminated. */
    assert_int_equal(
        strlen(rules_message(h->report->findings.v[0].rule, h, buf, 8)), 7);
    rules_free(rs);
}

static void test_primary_and_rule_order(void **state)
{
    (void)state;
    const char *yaml =
        "rules:\n"
        "  - {id: low, name: n, severity: low, cause: weak_crypto, fix: server,"
        " message: m, remediation: r, when: {tlsmon.outcome: failed}}\n"
        "  - {id: high-medium, name: n, severity: high, cause: cipher_mismatch,"
        " fix: server, message: m, remediation: r,"
        " when: {tlsmon.outcome: failed}}\n"
        "  - {id: high-high, name: n, severity: high, confidence: high,"
        " cause: protocol_version_mismatch, fix: client, message: m,"
        " remediation: r, when: {tlsmon.outcome: failed}}\n"
        "  - {id: high-high-later, name: n, severity: high, confidence: high,"
        " cause: no_response, fix: network, message: m, remediation: r,"
        " when: {tlsmon.outcome: failed}}\n"
        "  - {id: off, name: n, severity: critical, cause: not_tls,"
        " fix: either, message: m, remediation: r, enabled: false,"
        " when: {tlsmon.outcome: failed}}\n";
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    assert_non_null(rs);
    struct handshake *h = record();
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 4);
    assert_true(h->report->diagnosed);
    assert_string_equal(rules_primary(h)->id, "high-high");
    rules_free(rs);
}

/* The ranking of docs/causes.md: severity, confidence, the cause ranking,
 * the more specific rule, the smaller id; the file order never decides. */
static const char *primary_of(const char *yaml)
{
    static char id[64];
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    if (!rs)
        fail_msg("did not load: %s", err);
    struct handshake *h = record();
    rules_evaluate(rs, h);
    snprintf(id, sizeof(id), "%s", rules_primary(h) ? rules_primary(h)->id
                                                    : "(none)");
    rules_free(rs);
    return id;
}

#define RANK_RULE(id, cause, extra)                                           \
    "  - {id: " id ", name: n, severity: high, cause: " cause ", fix: either," \
    " message: m, remediation: r, when: {tlsmon.outcome: failed" extra "}}\n"

static void test_cause_ranking(void **state)
{
    (void)state;
    /* Interception explains an untrusted chain, in either file order. */
    assert_string_equal(
        primary_of("rules:\n" RANK_RULE("untrusted", "untrusted_cert", "")
                   RANK_RULE("mitm", "interception", "")),
        "mitm");
    assert_string_equal(
        primary_of("rules:\n" RANK_RULE("mitm", "interception", "")
                   RANK_RULE("untrusted", "untrusted_cert", "")),
        "mitm");
    assert_true(rules_cause_rank("interception") <
                rules_cause_rank("untrusted_cert"));
    assert_true(rules_cause_rank("client_clock") <
                rules_cause_rank("cert_expired"));
    assert_true(rules_cause_rank("split_hello_intolerance") <
                rules_cause_rank("server_reset"));
    assert_true(rules_cause_rank("path_mtu_blackhole") <
                rules_cause_rank("no_response"));
    assert_int_equal(rules_cause_rank("unknown"), rules_causes_count() - 1);
    /* Same cause: the rule testing more conditions, then the smaller id. */
    assert_string_equal(
        primary_of("rules:\n" RANK_RULE("b-plain", "cert_expired", "")
                   RANK_RULE("z-specific", "cert_expired",
                             ", not: {tlsmon.outcome: established}")),
        "z-specific");
    assert_string_equal(
        primary_of("rules:\n" RANK_RULE("b-second", "cert_expired", "")
                   RANK_RULE("a-first", "cert_expired", "")),
        "a-first");
}

/* A failed handshake no rule explains still gets a finding: the built-in
 * unexplained-failure rule, cause unknown, and only then. */
static void test_unexplained_failure(void **state)
{
    (void)state;
    const char *yaml = rule_with("{tlsmon.outcome: established}");
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    assert_non_null(rs);
    assert_int_equal(rules_count(rs), 2);
    struct handshake *h = record();
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    assert_string_equal(rules_primary(h)->id, "unexplained-failure");
    assert_string_equal(rules_primary(h)->cause, "unknown");
    rules_free(rs);

    yaml = rule_with("{tlsmon.outcome: failed}");
    rs = rules_load_string("t.yaml", yaml, strlen(yaml), err, sizeof(err));
    assert_non_null(rs);
    h = record();
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    assert_string_equal(rules_primary(h)->id, "r");
    rules_free(rs);
}

/* ---- loading errors: file:line:column and what was expected ------------ */

static void test_errors(void **state)
{
    (void)state;
    assert_prefix(load_error("rules:\n  - id: [unclosed\n"),
                  "t.yaml:3:1: YAML syntax error");
    assert_string_equal(
        load_error(rule_with("{tls.nonsense: 1}")),
        "t.yaml:9:12: unknown field 'tls.nonsense', expected a record field "
        "(tlsmon --list-fields), all, any or not");
    assert_prefix(load_error(rule_with("{tls.version: {bigger: '1.2'}}")),
                  "t.yaml:9:26: unknown operator 'bigger', expected eq");
    assert_string_equal(load_error(rule_with("{tls.version: '1.9'}")),
                        "t.yaml:9:25: tls.version: wrong value '1.9', "
                        "expected a TLS version (ssl2, ssl3, 1.0, 1.1, 1.2, "
                        "1.3)");
    assert_prefix(load_error(rule_with("{tlsmon.alert.code: abc}")),
                  "t.yaml:9:31: tlsmon.alert.code: wrong value 'abc', "
                  "expected an integer");
    assert_prefix(load_error(rule_with("{source.ip: {cidr: 10.0.0.0/33}}")),
                  "t.yaml:9:30: source.ip: wrong value '10.0.0.0/33'");
    assert_prefix(load_error(rule_with("{tls.client.server_name: {regex: "
                                       "'a('}}")),
                  "t.yaml:9:44: tls.client.server_name: bad regular "
                  "expression 'a('");
    assert_string_equal(load_error(rule_with("{tlsmon.outcome: {lt: a}}")),
                        "t.yaml:9:29: tlsmon.outcome has no order (lt/le/gt/"
                        "ge need a number, time or version)");
    assert_string_equal(load_error(rule_with("{tlsmon.alerts: {eq: 40}}")),
                        "t.yaml:9:28: tlsmon.alerts is a list (use "
                        "contains)");
    assert_string_equal(load_error(rule_with("{tls.version: $nolist}")),
                        "t.yaml:9:25: unknown list '$nolist', expected the "
                        "name of an entry under lists:");
    assert_string_equal(load_error(rule_with("[a, b]")),
                        "t.yaml:9:11: expected a mapping of conditions "
                        "(FIELD: VALUE, all:, any:, not:), found a list");
    assert_string_equal(load_error(rule_with("{all: {x: 1}}")),
                        "t.yaml:9:17: all: expected a list of conditions, "
                        "found a mapping");

    const char *unknown_cause =
        "rules:\n  - id: a\n    name: n\n    severity: low\n"
        "    cause: gremlins\n    fix: server\n    message: m\n"
        "    remediation: r\n    when: {tlsmon.outcome: failed}\n";
    assert_prefix(load_error(unknown_cause),
                  "t.yaml:5:12: unknown cause 'gremlins', expected one of "
                  "heartbleed, interception");
    const char *bad_fix =
        "rules:\n  - id: a\n    name: n\n    severity: low\n"
        "    cause: not_tls\n    fix: nobody\n    message: m\n"
        "    remediation: r\n    when: {tlsmon.outcome: failed}\n";
    assert_string_equal(load_error(bad_fix),
                        "t.yaml:6:10: fix: 'nobody' is not valid, expected "
                        "client, server, network or either");
    const char *dup =
        "rules:\n"
        "  - {id: a, name: n, severity: low, cause: not_tls, fix: client,"
        " message: m, remediation: r, when: {tlsmon.outcome: failed}}\n"
        "  - {id: a, name: n, severity: low, cause: not_tls, fix: client,"
        " message: m, remediation: r, when: {tlsmon.outcome: failed}}\n";
    assert_string_equal(load_error(dup),
                        "t.yaml:3:10: duplicate rule id 'a' (first defined at "
                        "t.yaml:2), expected a unique id");
    assert_prefix(load_error("rules:\n  - {id: a, name: n}\n"),
                  "t.yaml:2:5: rule without 'severity'");
    assert_prefix(load_error("rules:\n  - {id: a, colour: red}\n"),
                  "t.yaml:2:13: unknown key 'colour' in a rule, expected id");
    assert_prefix(load_error("rulez: []\n"),
                  "t.yaml:1:1: unknown top-level key 'rulez'");
    assert_prefix(load_error("include: [no-such-file.yaml]\n"),
                  "t.yaml:1:11: cannot open included file "
                  "no-such-file.yaml");
    const char *bad_template =
        "rules:\n  - id: a\n    name: n\n    severity: low\n"
        "    cause: not_tls\n    fix: client\n    message: 'x {nope.field}'\n"
        "    remediation: r\n    when: {tlsmon.outcome: failed}\n";
    assert_string_equal(load_error(bad_template),
                        "t.yaml:7:14: message: unknown field '{nope.field}', "
                        "expected a record field (tlsmon --list-fields)");
}

/* Aliases make a tiny file describe a huge tree: the budget stops it. */
static void test_alias_bomb(void **state)
{
    (void)state;
    /* Each level names the one before three times: 3^39 conditions. */
    char bomb[8192];
    int n = snprintf(bomb, sizeof(bomb),
                     "rules:\n  - id: a\n    name: n\n    severity: low\n"
                     "    cause: not_tls\n    fix: client\n    message: m\n"
                     "    remediation: r\n    when:\n      all:\n"
                     "        - &c0 {tlsmon.outcome: failed}\n");
    for (int i = 1; i < 40; i++)
        n += snprintf(bomb + n, sizeof(bomb) - (size_t)n,
                      "        - &c%d {all: [*c%d, *c%d, *c%d]}\n", i, i - 1,
                      i - 1, i - 1);
    assert_contains(load_error(bomb), "rule set too large");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    char when[2048] = "";
    for (int i = 0; i < 40; i++)
        strcat(when, "{not: ");
    strcat(when, "{tlsmon.outcome: failed}");
    for (int i = 0; i < 40; i++)
        strcat(when, "}");
    assert_contains(load_error(rule_with(when)), "nested more than 32 deep");
}

/* What libyaml is never handed: nesting, anchors and aliases past limits
 * no rule file comes near are refused at once, where they pass the limit
 * (libyaml's time grows with flow nesting times tokens, and with anchors
 * times aliases: "[[[[...", 200 KB of it, took 30 s, and 1 MB that never
 * closes did not end). */
static void test_prescan_limits(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    char *text = test_malloc(n + 64);
    size_t off = (size_t)snprintf(text, 64, "rules: ");
    memset(text + off, '[', n);
    text[off + n] = '\n';
    text[off + n + 1] = '\0';
    assert_string_equal(load_error(text),
                        "t.yaml:1:72: flow collections ([ and {) nested too "
                        "deep, expected at most 64 (the file is not read "
                        "further)");

    /* Block style: one more level each line. */
    size_t o = (size_t)snprintf(text, 64, "rules:\n");
    for (int i = 0; i < 200; i++) {
        memset(text + o, ' ', (size_t)i + 1);
        o += (size_t)i + 1;
        o += (size_t)sprintf(text + o, "k%d:\n", i);
    }
    text[o] = '\0';
    assert_contains(load_error(text), "lists and mappings nested too deep");
    assert_prefix(load_error(text), "t.yaml:129:");

    /* Anchors and aliases. */
    o = (size_t)snprintf(text, 64, "lists:\n  a: [");
    for (int i = 0; i < 1001; i++)
        o += (size_t)sprintf(text + o, "&a%d x, ", i);
    strcpy(text + o, "]\n");
    assert_contains(load_error(text), "too many anchors (&name), expected "
                                      "at most 1000");
    o = (size_t)snprintf(text, 64, "lists:\n  a: [&a x]\n  b: [");
    for (int i = 0; i < 20001; i++)
        o += (size_t)sprintf(text + o, "*a, ");
    strcpy(text + o, "]\n");
    assert_contains(load_error(text), "too many aliases (*name)");
    test_free(text);

    /* What is quoted, commented or in a block scalar is not counted, and a
     * [ inside a plain scalar opens nothing. */
    char ok[4096];
    o = (size_t)snprintf(ok, sizeof(ok), "# %s\nlists:\n  a: ['", "[[[[");
    for (int i = 0; i < 100; i++)
        ok[o++] = '[';
    o += (size_t)snprintf(ok + o, sizeof(ok) - o, "', \"{{{{\\\"\"]\n");
    o += (size_t)snprintf(ok + o, sizeof(ok) - o, "rules:\n  - id: r\n"
                          "    name: n[0] [1] {2}\n    severity: low\n"
                          "    cause: not_tls\n    fix: client\n"
                          "    message: m\n    description: >\n");
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(ok + o, sizeof(ok) - o, "      [{ &x *y\n");
    snprintf(ok + o, sizeof(ok) - o, "    remediation: r\n"
             "    when: {tlsmon.outcome: failed}\n");
    char err2[RULES_ERROR_LEN];
    struct rule_set *rs = rules_load_string("t.yaml", ok, strlen(ok), err2,
                                            sizeof(err2));
    if (!rs)
        fail_msg("did not load: %s", err2);
    rules_free(rs);
}

/* Lists and rule ids are found by name through an index: many of each
 * load in linear time, and duplicates are still refused with the place of
 * the first. */
static void test_many_lists_and_ids(void **state)
{
    (void)state;
    enum { LISTS = 5000, REFS = 20000 };
    size_t cap = 64 + LISTS * 24 + REFS * 64 + 4096;
    char *text = test_malloc(cap);
    size_t o = (size_t)snprintf(text, cap, "lists:\n");
    for (int i = 0; i < LISTS; i++)
        o += (size_t)snprintf(text + o, cap - o, "  l%d: [x%d]\n", i, i);
    o += (size_t)snprintf(text + o, cap - o,
                          "rules:\n  - id: r\n    name: n\n"
                          "    severity: low\n    cause: not_tls\n"
                          "    fix: client\n    message: m\n"
                          "    remediation: r\n    when:\n      any:\n");
    for (int i = 0; i < REFS; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "        - tls.client.server_name: {in: $l%d}\n",
                              (i * 7) % LISTS);
    char e[RULES_ERROR_LEN];
    struct rule_set *rs = rules_load_string("t.yaml", text, o, e, sizeof(e));
    if (!rs)
        fail_msg("did not load: %s", e);
    struct handshake *h = record();
    strcpy(h->ch.sni, "x4242");
    rules_evaluate(rs, h);
    assert_true(h->report->findings.n >= 1);
    assert_string_equal(h->report->findings.v[0].rule->id, "r");
    strcpy(h->ch.sni, "y4242"); /* in no list */
    h->report->findings.n = 0;
    rules_evaluate(rs, h);
    assert_true(h->report->findings.n == 0 ||
                strcmp(h->report->findings.v[0].rule->id, "r") != 0);
    rules_free(rs);
    /* A list named twice: the second is the error. */
    o += (size_t)snprintf(text + o, cap - o, "lists:\n  l77: [y]\n");
    assert_prefix(load_error(text), "t.yaml:");
    assert_contains(err, "list 'l77' defined twice");
    test_free(text);
}

static void test_include_and_lists_across_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/tlsmon-rules-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], inc[256];
    snprintf(inc, sizeof(inc), "%s/lists.yaml", dir);
    FILE *fp = fopen(inc, "w");
    assert_non_null(fp);
    fputs("lists:\n  bad_alerts: [70]\n", fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/main.yaml", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("include: [lists.yaml]\n"
          "rules:\n  - {id: a, name: n, severity: low, cause: not_tls,"
          " fix: client, message: m, remediation: r,"
          " when: {tlsmon.alert.code: $bad_alerts}}\n",
          fp);
    fclose(fp);
    const char *files[] = {path};
    struct rule_set *rs = rules_load(false, files, 1, err, sizeof(err));
    if (!rs)
        fail_msg("%s", err);
    struct handshake *h = record();
    rules_evaluate(rs, h);
    assert_int_equal(h->report->findings.n, 1);
    rules_free(rs);

    /* A list item of the wrong type is reported in the list's own file. */
    fp = fopen(inc, "w");
    fputs("lists:\n  bad_alerts: [70, abc]\n", fp);
    fclose(fp);
    assert_null(rules_load(false, files, 1, err, sizeof(err)));
    char want[300];
    snprintf(want, sizeof(want), "%s:2:20: tlsmon.alert.code: wrong value", inc);
    assert_prefix(err, want);

    /* An include cycle ends at the depth limit. */
    fp = fopen(inc, "w");
    fputs("include: [main.yaml]\n", fp);
    fclose(fp);
    assert_null(rules_load(false, files, 1, err, sizeof(err)));
    assert_contains(err, "includes nested more than 8 deep");
    unlink(inc);
    unlink(path);
    rmdir(dir);
}

/* ---- the default set --------------------------------------------------- */

static void test_default_rules(void **state)
{
    (void)state;
    struct rule_set *rs = rules_load(true, NULL, 0, err, sizeof(err));
    if (!rs)
        fail_msg("default rules: %s", err);
    /* Every cause of the catalogue has a rule. */
    for (size_t c = 0; c < rules_causes_count(); c++) {
        if (!rules_cause_builtin(rules_cause_at(c)->id))
            continue; /* a site cause another test declared */
        bool covered = false;
        for (size_t i = 0; i < rules_count(rs); i++)
            covered |= strcmp(rules_at(rs, i)->cause,
                              rules_cause_at(c)->id) == 0;
        if (!covered)
            fail_msg("no default rule for cause %s", rules_cause_at(c)->id);
    }
    struct handshake *h = record();
    rules_evaluate(rs, h);
    assert_non_null(rules_primary(h));
    assert_string_equal(rules_primary(h)->cause, "protocol_version_mismatch");
    assert_int_equal(rules_primary(h)->fix, FIX_CLIENT);
    rules_free(rs);
}

/* ---- typos in values, empty files, all causes listed -------------------- */

static void test_enumerated_values(void **state)
{
    (void)state;
    struct handshake *h = record();
    assert_string_equal(load_error(rule_with("{tlsmon.outcome: faild}")),
                        "t.yaml:9:28: tlsmon.outcome: unknown value 'faild', "
                        "expected undecided, established, failed, incomplete, "
                        "not_tls or refused");
    assert_true(matches("{tlsmon.outcome: FAILED}", h)); /* case, as eq */
    /* In a list, under in, not_in and ne too, and in a named list. */
    assert_prefix(load_error(rule_with("{tlsmon.failure_stage: [after_client_"
                                       "hello, after_serverhello]}")),
                  "t.yaml:9:55: tlsmon.failure_stage: unknown value "
                  "'after_serverhello', expected after_client_hello, ");
    assert_prefix(load_error(rule_with("{tlsmon.ended_by: {ne: timeout}}")),
                  "t.yaml:9:34: tlsmon.ended_by: unknown value 'timeout'");
    assert_prefix(load_error("lists:\n  sides: [client, sever]\n"
                             "rules:\n  - {id: a, name: n, severity: low, "
                             "cause: not_tls, fix: client, message: m, "
                             "remediation: r, when: {tlsmon.alert.sender: "
                             "{in: $sides}}}\n"),
                  "t.yaml:2:19: tlsmon.alert.sender: unknown value 'sever', "
                  "expected client or server");
    /* Every cause is listed, the last one and none/unknown included. */
    const char *e = load_error(rule_with("{tlsmon.cause: certexpired}"));
    assert_prefix(e, "t.yaml:9:26: tlsmon.cause: unknown value "
                     "'certexpired', expected ");
    for (size_t c = 0; c < rules_causes_count(); c++)
        assert_contains(e, rules_cause_at(c)->id);
    assert_contains(e, "none");
    assert_false(matches("{tlsmon.cause: none}", h)); /* not diagnosed */
    /* Alert names, and unknown_NN for codes without one. */
    assert_true(matches("{tlsmon.alert.description: protocol_version}", h));
    assert_false(matches("{tlsmon.alert.description: unknown_200}", h));
    e = load_error(rule_with("{tlsmon.alert.description: protocol_versoin}"));
    assert_prefix(e, "t.yaml:9:38: tlsmon.alert.description: unknown value "
                     "'protocol_versoin', expected close_notify, ");
    assert_contains(e, "ech_required");
    /* Free text fields take anything. */
    assert_false(matches("{tls.client.server_name: faild}", h));
    /* A quoted number or boolean is a string where a number is meant. */
    assert_string_equal(load_error(rule_with("{destination.port: \"443\"}")),
                        "t.yaml:9:30: destination.port: '443' is quoted, "
                        "expected an integer written without quotes");
    assert_prefix(load_error(rule_with("{tls.established: 'true'}")),
                  "t.yaml:9:29: tls.established: 'true' is quoted, expected "
                  "true or false");
    assert_true(matches("{destination.port: 443}", h));
    /* Versions are names, quoted or not. */
    assert_true(matches("{tlsmon.client_hello.highest_version: {le: '1.2'}}",
                        h));
}

/* The table of enumerated fields names fields that exist (a renamed field
 * would otherwise silently lose its check). */
static void test_enumerated_fields_exist(void **state)
{
    (void)state;
    for (size_t i = 0; i < field_values_count(); i++)
        if (!fields_find(field_values_field_at(i)))
            fail_msg("enumerated field %s is not in the registry",
                     field_values_field_at(i));
}

/* Rules written before the ECS renames keep working. */
static void test_renamed_fields(void **state)
{
    (void)state;
    struct handshake *h = record();
    h->packets[TLS_SIDE_CLIENT] = 3;
    assert_true(matches("{tlsmon.packets.client: 3}", h));
    assert_true(matches("{source.packets: 3}", h));
    assert_false(matches("{tlsmon.server.offered_version_accepted: true}",
                         h));
    const char *yaml =
        "rules:\n  - {id: a, name: n, severity: low, cause: not_tls, fix: "
        "client, message: '{server.established_count} {tlsmon.bytes.server}',"
        " remediation: r, when: {server.offered_version_accepted: {exists: "
        "false}}}\n";
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    if (!rs)
        fail_msg("%s", err);
    rules_free(rs);
    /* Versions: the ECS numbers are names too. */
    assert_true(matches("{tlsmon.client_hello.highest_version: {gt: '3.0'}}",
                        h));
    assert_false(matches("{tlsmon.client_hello.highest_version: {le: 3.0}}",
                         h));
}

static void test_unknown_cause_lists_all(void **state)
{
    (void)state;
    const char *yaml =
        "rules:\n  - id: a\n    name: n\n    severity: low\n"
        "    cause: certexpired\n    fix: server\n    message: m\n"
        "    remediation: r\n    when: {tlsmon.outcome: failed}\n";
    const char *e = load_error(yaml);
    assert_prefix(e, "t.yaml:5:12: unknown cause 'certexpired', expected one "
                     "of ");
    for (size_t c = 0; c < rules_causes_count(); c++)
        assert_contains(e, rules_cause_at(c)->id);
}

static void test_empty_files(void **state)
{
    (void)state;
    assert_string_equal(load_error(""),
                        "t.yaml:1:1: empty rules file, expected rules:, "
                        "lists:, include:, causes: or tune:");
    assert_prefix(load_error("# only a comment\n\n"),
                  "t.yaml:1:1: empty rules file");
}

/* ---- site causes -------------------------------------------------------- */

static void test_site_causes(void **state)
{
    (void)state;
    const char *yaml =
        "causes:\n"
        "  - id: legacy_terminal\n"
        "    description: a payment terminal that cannot be upgraded\n"
        "    fix: network\n"
        "rules:\n"
        "  - id: pos-tls10\n"
        "    name: Payment terminal on TLS 1.0\n"
        "    severity: low\n"
        "    cause: legacy_terminal\n"
        "    message: m\n"
        "    remediation: Isolate it.\n"
        "    when: {source.ip: {cidr: 10.0.0.0/8}}\n"
        "  - id: after-pos\n"
        "    name: n\n"
        "    severity: info\n"
        "    cause: not_tls\n"
        "    fix: client\n"
        "    message: m\n"
        "    remediation: r\n"
        "    when: {tlsmon.cause: legacy_terminal}\n";
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    if (!rs)
        fail_msg("%s", err);
    /* The rule's fix comes from its cause; the cause is in the catalogue
     * for the outputs and the summary. */
    assert_string_equal(rules_at(rs, 0)->cause, "legacy_terminal");
    assert_int_equal(rules_at(rs, 0)->fix, FIX_NETWORK);
    const struct rule_cause *c = rules_cause_find("legacy_terminal");
    assert_non_null(c);
    assert_string_equal(c->summary,
                        "a payment terminal that cannot be upgraded");
    assert_false(rules_cause_builtin("legacy_terminal"));
    struct handshake *h = record();
    rules_evaluate(rs, h);
    /* The second rule reads the cause the first gave (rule order). */
    assert_int_equal(h->report->findings.n, 2);
    assert_string_equal(rules_primary(h)->cause, "legacy_terminal");
    rules_free(rs);

    assert_string_equal(
        load_error("causes:\n  - {id: cert_expired, description: d, "
                   "fix: server}\n"),
        "t.yaml:2:10: cause 'cert_expired' is built in, expected a new id "
        "(built-in causes need no declaration)");
    assert_prefix(load_error("causes:\n  - {id: Bad-Id, description: d, "
                             "fix: server}\n"),
                  "t.yaml:2:10: cause id 'Bad-Id': expected lowercase");
    assert_string_equal(load_error("causes:\n  - {id: x1, description: d}\n"),
                        "t.yaml:2:5: cause without 'fix', expected id, "
                        "description and fix");
    assert_prefix(load_error("causes:\n  - {id: x1, description: d, fix: "
                             "server}\n  - {id: x1, description: e, fix: "
                             "client}\n"),
                  "t.yaml:3:10: cause 'x1' declared twice");
    assert_prefix(load_error("causes:\n  - {id: x2, description: d, fix: "
                             "server, color: red}\n"),
                  "t.yaml:2:43: unknown key 'color' in a cause");
    /* Without a cause that brings one, fix stays required. */
    assert_prefix(load_error("rules:\n  - {id: a, name: n, severity: low, "
                             "cause: not_tls, message: m, remediation: r, "
                             "when: {tlsmon.outcome: failed}}\n"),
                  "t.yaml:2:5: rule without 'fix'");
}

/* ---- tuning -------------------------------------------------------------- */

/* The built-in set plus `yaml` as a site file (--rules +FILE). */
static struct rule_set *default_plus(const char *yaml)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/tlsmon-tune-%d.yaml", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(yaml, fp);
    fclose(fp);
    const char *files[] = {path};
    struct rule_set *rs = rules_load(true, files, 1, err, sizeof(err));
    unlink(path);
    return rs;
}

static const struct rule *find_rule(const struct rule_set *rs, const char *id)
{
    for (size_t i = 0; i < rules_count(rs); i++)
        if (strcmp(rules_at(rs, i)->id, id) == 0)
            return rules_at(rs, i);
    fail_msg("no rule %s", id);
    return NULL;
}

static void test_tune_builtin_rules(void **state)
{
    (void)state;
    struct rule_set *base = rules_load(true, NULL, 0, err, sizeof(err));
    struct rule_set *rs = default_plus(
        "tune:\n"
        "  - rule: protocol-version-client-old\n"
        "    enabled: false\n"
        "  - rule: weak-version-tls10-11\n"
        "    severity: low\n"
        "    confidence: low\n"
        "  - rule: 'weak-cipher-*'\n"
        "    enabled: false\n"
        "  - rule: weak-cipher-3des\n"
        "    enabled: true\n");
    if (!rs)
        fail_msg("%s", err);
    /* Nothing copied: the same rules, some adjusted. */
    assert_int_equal(rules_count(rs), rules_count(base));
    assert_false(find_rule(rs, "protocol-version-client-old")->enabled);
    assert_true(find_rule(base, "protocol-version-client-old")->enabled);
    assert_int_equal(find_rule(rs, "weak-version-tls10-11")->severity,
                     SEVERITY_LOW);
    assert_int_equal(find_rule(rs, "weak-version-tls10-11")->confidence,
                     CONFIDENCE_LOW);
    assert_false(find_rule(rs, "weak-cipher-broken")->enabled);
    assert_true(find_rule(rs, "weak-cipher-3des")->enabled); /* later wins */
    assert_non_null(find_rule(rs, "weak-cipher-3des")->tuned_file);
    assert_int_equal(find_rule(rs, "weak-cipher-3des")->tuned_line, 9);
    assert_null(find_rule(rs, "self-signed")->tuned_file);

    /* The record that the disabled rule explained gets its cause from the
     * others, or none. */
    struct handshake *h = record(), *g = NULL;
    struct handshake copy = *h;
    struct handshake_report copy_report = *h->report;
    copy.report = &copy_report;
    g = &copy;
    rules_evaluate(base, h);
    rules_evaluate(rs, g);
    bool in_base = false, in_tuned = false;
    for (size_t i = 0; i < h->report->findings.n; i++)
        in_base |= !strcmp(h->report->findings.v[i].rule->id,
                           "protocol-version-client-old");
    for (size_t i = 0; i < g->report->findings.n; i++)
        in_tuned |= !strcmp(g->report->findings.v[i].rule->id,
                            "protocol-version-client-old");
    assert_true(in_base);
    assert_false(in_tuned);
    rules_free(rs);
    rules_free(base);

    assert_null(default_plus("tune:\n  - rule: weak-no-forward-secrcy\n"
                             "    enabled: false\n"));
    assert_contains(err, ":2:11: tune: no rule matches "
                         "'weak-no-forward-secrcy', expected a rule id");
    assert_null(default_plus("tune:\n  - rule: self-signed\n"));
    assert_contains(err, ":2:5: tune entry for 'self-signed' changes "
                         "nothing");
    assert_null(default_plus("tune:\n  - {rule: self-signed, severity: "
                             "hgih}\n"));
    assert_contains(err, "severity: 'hgih' is not valid, expected info, low, "
                         "medium, high or critical");
    assert_null(default_plus("tune:\n  - {rule: self-signed, suppress: "
                             "{source.ip: {cidr: 10.0.0.0/33}}}\n"));
    assert_contains(err, "source.ip: wrong value '10.0.0.0/33'");
}

static void test_tune_suppress(void **state)
{
    (void)state;
    struct handshake *h = record();
    strcpy(h->report->ja4, "t12d0202h2_aaaaaaaaaaaa_bbbbbbbbbbbb");
    const char *rule =
        "rules:\n  - {id: r, name: n, severity: high, cause: not_tls, fix: "
        "client, message: m, remediation: r, when: {tlsmon.outcome: "
        "failed}}\n";
    static const struct {
        const char *suppress;
        bool fires;
    } cases[] = {
        {"{source.ip: {cidr: 10.0.0.0/8}}", false},           /* a CIDR */
        {"{source.ip: {cidr: [192.168.0.0/16, 'fd00::/8']}}", true},
        {"{tls.client.server_name: {glob: '*.example.com'}}", false},
        {"{tls.client.server_name: {glob: '*.example.org'}}", true},
        {"{tlsmon.client.ja4: t12d0202h2_aaaaaaaaaaaa_bbbbbbbbbbbb}", false},
        {"{tlsmon.client.ja4: t13d1516h2_8daaf6152771_e5627efa2ab1}", true},
        /* a list: any of them */
        {"[{destination.port: 8443}, {destination.ip: {cidr: "
         "192.0.2.0/24}}]", false},
        /* several keys: all of them */
        {"{destination.port: 443, source.ip: {cidr: 172.16.0.0/12}}", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[1024];
        snprintf(yaml, sizeof(yaml), "%stune:\n  - rule: r\n    suppress: "
                 "%s\n", rule, cases[i].suppress);
        struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml),
                                                err, sizeof(err));
        if (!rs)
            fail_msg("%s\n%s", err, yaml);
        struct handshake copy = *h;
        struct handshake_report copy_report = *h->report;
        copy.report = &copy_report;
        rules_evaluate(rs, &copy);
        /* Suppressed, the built-in rule for unexplained failures speaks. */
        bool fired = copy.report->findings.n == 1 &&
                     strcmp(copy.report->findings.v[0].rule->id, "r") == 0;
        if (fired != cases[i].fires)
            fail_msg("suppress %s: fired %s", cases[i].suppress,
                     copy.report->findings.n
                         ? copy.report->findings.v[0].rule->id
                         : "none");
        assert_int_equal(rules_at(rs, 0)->n_suppress,
                         cases[i].suppress[0] == '[' ? 2 : 1);
        rules_free(rs);
    }
}

/* ---- server history ---------------------------------------------------- */

static void test_server_profile_evidence(void **state)
{
    (void)state;
    struct server_profiles *sp = server_profiles_new(2);
    assert_non_null(sp);
    /* An established TLS 1.3 handshake teaches the profile. */
    struct handshake ok = *record();
    struct handshake_report ok_report = *ok.report;
    ok.report = &ok_report;
    ok.outcome = OUTCOME_ESTABLISHED;
    ok.sh.seen = true;
    ok.sh.version = TLS_V_1_3;
    ok.sh.cipher = 0x1301;
    ok.sh.group = 0x001d;
    ok.report->server_cert.leaf_parsed = true;
    strcpy(ok.report->server_cert.issuer, "CN=Usual CA");
    server_profiles_observe(sp, &ok);
    assert_false(ok.report->server_profile.known); /* nothing before it */
    server_profiles_observe(sp, &ok);
    assert_true(ok.report->server_profile.known);
    assert_int_equal(ok.report->server_profile.established, 1);

    /* The failing TLS 1.2/1.1 client: none of its versions or suites was
     * ever chosen here. */
    struct handshake *h = record();
    server_profiles_observe(sp, h);
    assert_int_equal(h->report->server_profile.offered_version_accepted,
                     EVIDENCE_NO);
    assert_int_equal(h->report->server_profile.offered_cipher_accepted,
                     EVIDENCE_NO);
    assert_true(matches("{server.accepted_versions: {contains: '1.3'}}", h));
    assert_true(matches("{server.offered_version_accepted: false}", h));
    assert_true(matches("{server.established_count: 2}", h));
    assert_true(matches("{server.usual_issuer: 'CN=Usual CA'}", h));

    /* A different issuer for the same name, after two sightings. */
    struct handshake mitm = ok;
    struct handshake_report mitm_report = *ok.report;
    mitm.report = &mitm_report;
    strcpy(mitm.report->server_cert.issuer, "CN=Inspection CA");
    server_profiles_observe(sp, &mitm);
    assert_int_equal(mitm.report->server_profile.issuer_changed, EVIDENCE_YES);
    assert_true(matches("{server.issuer_changed: true}", &mitm));
    server_profiles_observe(sp, &ok);
    assert_int_equal(ok.report->server_profile.issuer_changed, EVIDENCE_NO);

    /* Two more servers evict the least recent one. */
    struct handshake other = ok;
    struct handshake_report other_report = *ok.report;
    other.report = &other_report;
    other.server.port = 8443;
    server_profiles_observe(sp, &other);
    other.server.port = 8444;
    server_profiles_observe(sp, &other);
    assert_int_equal(server_profiles_evicted(sp), 1);
    server_profiles_observe(sp, &ok); /* 443 was evicted: fresh again */
    assert_false(ok.report->server_profile.known);
    server_profiles_free(sp);
}

/* ---- flood control ----------------------------------------------------- */

/* --where: the same condition language as a rule's when:, alone. */
static void test_filter(void **state)
{
    (void)state;
    struct handshake *h = record();
    static const struct {
        const char *text;
        bool want;
    } cases[] = {
        {"tlsmon.outcome: failed", true},
        {"{tlsmon.outcome: established}", false},
        {"{event.outcome: failure}", true},
        {"{tls.client.server_name: {glob: '*.example.com'}}", true},
        {"{destination.ip: {cidr: 192.0.2.0/24}, destination.port: 443}",
         true},
        {"{destination.ip: {cidr: 10.0.0.0/8}}", false},
        {"{tlsmon.client_hello.highest_version: {lt: \"1.3\"}}", true},
        {"{any: [{destination.port: 8443}, {tlsmon.alerts: "
         "protocol_version}]}",
         true},
        {"{not: {tlsmon.alerts: protocol_version}}", false},
        {"{\"@timestamp\": {ge: \"2023-11-14T22:13:20Z\"}}", true},
        {"{\"@timestamp\": {gt: \"2023-11-14T22:13:20Z\"}}", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rule_filter *f = rules_filter_new();
        if (!rules_filter_add(f, "--where", cases[i].text, err, sizeof(err)))
            fail_msg("%s: %s", cases[i].text, err);
        if (rules_filter_match(f, h) != cases[i].want)
            fail_msg("%s: expected %d", cases[i].text, cases[i].want);
        rules_filter_free(f);
    }
    /* No filter, or one without conditions, shows everything; several
     * conditions must all hold. */
    assert_true(rules_filter_match(NULL, h));
    struct rule_filter *all = rules_filter_new();
    assert_true(rules_filter_match(all, h));
    assert_true(rules_filter_add(all, "--failed", "{event.outcome: failure}",
                                 err, sizeof(err)));
    assert_true(rules_filter_match(all, h));
    assert_true(rules_filter_add(all, "--server", "{destination.port: 8443}",
                                 err, sizeof(err)));
    assert_false(rules_filter_match(all, h));
    assert_int_equal(rules_filter_count(all), 2);
    /* A broken condition leaves the filter as it was. */
    assert_false(rules_filter_add(all, "--where", "{nosuch: 1}", err,
                                  sizeof(err)));
    assert_int_equal(rules_filter_count(all), 2);
    rules_filter_free(all);

    static const struct {
        const char *text, *error;
    } bad[] = {
        {"tlsmon.nosuch: 1", "--where:1:1: unknown field 'tlsmon.nosuch'"},
        {"{tls.version: {lt: 1.2.3}}", "--where:1:20: "},
        {"failed", "--where:1:1: expected a mapping of conditions"},
        {"{a: [}", "--where:1:"},
        {"", "--where: empty condition"},
        {"{destination.ip: {cidr: 300.0.0.0/8}}", "--where:1:25: "},
    };
    struct rule_filter *f = rules_filter_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (rules_filter_add(f, "--where", bad[i].text, err, sizeof(err)))
            fail_msg("%s: compiled", bad[i].text);
        assert_prefix(err, bad[i].error);
    }
    rules_filter_free(f);
}

/* Which alerts are held back when keys share a slot must not depend on
 * where the rules sit in memory: two loads of one rule set, fed the same
 * alerts for more keys than there are slots, hold back the same ones. */
static void test_alert_flood_same_across_loads(void **state)
{
    (void)state;
    const char *yaml = rule_with("{tlsmon.outcome: failed}");
    struct rule_set *rs[2];
    struct alert_flood *af[2];
    for (int k = 0; k < 2; k++) {
        rs[k] = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                  sizeof(err));
        assert_non_null(rs[k]);
        af[k] = alert_flood_new(60ULL * 1000000ULL);
        assert_non_null(af[k]);
    }
    struct handshake *h = record();
    uint64_t t = 1000000000ULL;
    size_t held[2] = {0, 0};
    enum { CLIENTS = 20000 };
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t c = 0; c < CLIENTS; c++) {
            h->client.addr[2] = (uint8_t)(c >> 8);
            h->client.addr[3] = (uint8_t)c;
            size_t got[2];
            for (int k = 0; k < 2; k++) {
                rules_evaluate(rs[k], h);
                got[k] = alert_flood_filter(af[k], h, t + (uint64_t)pass);
                held[k] += got[k];
            }
            assert_int_equal(got[0], got[1]);
        }
    /* Some keys kept their slot, some lost it: the case that differed. */
    assert_true(held[0] > 0 && held[0] < CLIENTS);
    for (int k = 0; k < 2; k++) {
        alert_flood_free(af[k]);
        rules_free(rs[k]);
    }
}

static void test_alert_flood(void **state)
{
    (void)state;
    const char *yaml = rule_with("{tlsmon.outcome: failed}");
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    assert_non_null(rs);
    struct alert_flood *af = alert_flood_new(60ULL * 1000000ULL);
    uint64_t t = 1000000000ULL;
    struct handshake *h = record();
    rules_evaluate(rs, h);
    assert_int_equal(alert_flood_filter(af, h, t), 0);
    assert_int_equal(alert_flood_filter(af, h, t + 1000000), 1);
    assert_true(h->report->findings.v[0].suppressed);
    assert_int_equal(alert_flood_filter(af, h, t + 2000000), 1);
    /* Another client is another alert. */
    struct handshake other = *h;
    struct handshake_report other_report = *h->report;
    other.report = &other_report;
    other.client.addr[3] = 77;
    assert_int_equal(alert_flood_filter(af, &other, t + 2000000), 0);
    /* After the window: sent again, with the count of those held back. */
    assert_int_equal(alert_flood_filter(af, h, t + 61000000), 0);
    assert_false(h->report->findings.v[0].suppressed);
    assert_int_equal(h->report->findings.v[0].repeats, 2);
    alert_flood_free(af);
    /* Window 0: everything goes out. */
    af = alert_flood_new(0);
    assert_int_equal(alert_flood_filter(af, h, t), 0);
    assert_int_equal(alert_flood_filter(af, h, t), 0);
    alert_flood_free(af);
    rules_free(rs);
}

/* ---- the prefilter ------------------------------------------------------ */

/* What an evaluation left in the record: the ids of the findings in order,
 * the primary's index, the total. */
struct outcome_of_rules {
    const char *ids[HS_MAX_FINDINGS];
    size_t n, total;
    int primary;
};

static struct outcome_of_rules evaluated(const struct rule_set *rs,
                                         struct handshake *h)
{
    struct outcome_of_rules o = {{NULL}, 0, 0, 0};
    rules_evaluate(rs, h);
    for (size_t i = 0; i < h->report->findings.n; i++)
        o.ids[o.n++] = h->report->findings.v[i].rule->id;
    o.total = h->report->findings.total;
    o.primary = h->report->primary;
    return o;
}

/* The set evaluated with and without its prefilter must find the same: a
 * key wrongly required would drop a rule's findings. Returns how many
 * findings the record had. */
static size_t same_without_prefilter(struct rule_set *rs, struct handshake *h)
{
    struct outcome_of_rules with = evaluated(rs, h);
    struct rule_plan *plan = rs->plan;
    size_t n_keys = plan->n_keys;
    uint64_t *saved = calloc(plan->n * 2, sizeof(*saved));
    assert_non_null(saved);
    for (size_t i = 0; i < plan->n; i++) {
        saved[2 * i] = plan->rules[i].required_keys;
        saved[2 * i + 1] = plan->rules[i].keyed_conds;
        plan->rules[i].required_keys = plan->rules[i].keyed_conds = 0;
    }
    plan->n_keys = 0;
    struct outcome_of_rules without = evaluated(rs, h);
    for (size_t i = 0; i < plan->n; i++) {
        plan->rules[i].required_keys = saved[2 * i];
        plan->rules[i].keyed_conds = saved[2 * i + 1];
    }
    plan->n_keys = n_keys;
    free(saved);
    assert_int_equal(with.n, without.n);
    assert_int_equal(with.total, without.total);
    assert_int_equal(with.primary, without.primary);
    for (size_t i = 0; i < with.n; i++)
        assert_string_equal(with.ids[i], without.ids[i]);
    return with.total;
}

static uint32_t lcg_next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* The example record with what the rules' keys test varied at random:
 * outcome, the ending alert, stages, who ended it, certificate facts. */
static struct handshake *random_record(uint32_t *seed)
{
    static const uint8_t alerts[] = {0,  10, 40, 42, 43, 44, 45, 46, 47, 48,
                                     49, 50, 70, 71, 80, 86, 90, 112, 116,
                                     120, 121};
    struct handshake *h = record();
    h->outcome = (enum hs_outcome)(lcg_next(seed) % 6);
    h->ended_by = (enum hs_ended_by)(lcg_next(seed) % ENDED_COUNT);
    h->ended_by_side = (uint8_t)(lcg_next(seed) % 2);
    h->stage = (enum hs_stage)(lcg_next(seed) % STAGE_COUNT);
    h->failure_stage = (enum hs_stage)(lcg_next(seed) % STAGE_COUNT);
    h->transport = (enum hs_transport)(lcg_next(seed) % 3);
    rec_rare.alerts.n = rec_rare.alerts.total = (uint8_t)(lcg_next(seed) % 2);
    rec_rare.alerts.v[0].sender = (uint8_t)(lcg_next(seed) % 2);
    rec_rare.alerts.v[0].description =
        alerts[lcg_next(seed) % (sizeof(alerts) / sizeof(alerts[0]))];
    struct cert_result *c = &h->report->server_cert;
    bool *flags[] = {&c->analyzed,       &c->visible,
                     &c->leaf_parsed,    &c->times_checked,
                     &c->expired,        &c->not_yet_valid,
                     &c->self_signed,    &c->hostname_checked,
                     &c->hostname_mismatch, &c->chain_checked,
                     &c->incomplete_chain,  &c->untrusted};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        *flags[i] = lcg_next(seed) % 2;
    h->server_response_us = lcg_next(seed) % 2 ? 1200 : -1;
    return h;
}

/* `n` random records from `seed`, each the same with and without the
 * prefilter, more than `at_least` of them with findings: the records reach
 * the rules, not only their keys. */
static void same_on_random_records(struct rule_set *rs, uint32_t seed, int n,
                                   size_t at_least)
{
    size_t with_findings = 0;
    for (int i = 0; i < n; i++)
        with_findings += same_without_prefilter(rs, random_record(&seed)) > 0;
    assert_true(with_findings > at_least);
}

static void test_prefilter_default_rules(void **state)
{
    (void)state;
    struct rule_set *rs = rules_load(true, NULL, 0, err, sizeof(err));
    if (!rs)
        fail_msg("default rules: %s", err);
    /* The conditions most rules share are keys. */
    assert_true(rs->plan->n_keys > 10);
    same_on_random_records(rs, 12345, 4000, 400);
    rules_free(rs);
}

/* Keys the prefilter must get right: shared `exists: false`, `ne`,
 * `not_in`, a rule of one condition, a disabled rule, and a field the
 * rules fill themselves (tlsmon.rules changes while a record is
 * evaluated, so it is never a key). */
static void test_prefilter_edge_keys(void **state)
{
    (void)state;
    static const char *const whens[] = {
        "{tlsmon.outcome: failed}",
        "{tlsmon.outcome: failed, tlsmon.hrr: {exists: false}}",
        "{tlsmon.hrr: {exists: false}, tlsmon.alert.sender: {ne: client}}",
        "{tlsmon.alert.sender: {ne: client},"
        " tlsmon.outcome: {not_in: [established, incomplete]}}",
        "{tlsmon.outcome: {not_in: [established, incomplete]},"
        " tlsmon.rules: {exists: false}}",
        "{tlsmon.rules: {exists: false}}",
        "{tlsmon.outcome: FAILED, tls.established: false}",
        "{tls.established: false,"
        " any: [{tlsmon.outcome: failed}, {tlsmon.outcome: incomplete}]}",
    };
    char yaml[4096];
    size_t len = (size_t)snprintf(yaml, sizeof(yaml), "rules:\n");
    for (size_t i = 0; i < sizeof(whens) / sizeof(whens[0]); i++)
        len += (size_t)snprintf(yaml + len, sizeof(yaml) - len,
                                "  - {id: r%zu, name: n, severity: low, cause:"
                                " untrusted_cert, fix: server, message: m,"
                                " remediation: r, when: %s}\n",
                                i, whens[i]);
    snprintf(yaml + len, sizeof(yaml) - len,
             "tune:\n  - {rule: r6, enabled: false}\n");
    struct rule_set *rs = rules_load_string("t.yaml", yaml, strlen(yaml), err,
                                            sizeof(err));
    if (!rs)
        fail_msg("did not load: %s", err);
    assert_true(rs->plan->n_keys >= 4);
    for (size_t i = 0; i < rs->plan->n_keys; i++)
        assert_string_not_equal(rs->plan->keys[i]->field->name,
                                "tlsmon.rules");
    same_on_random_records(rs, 99, 2000, 100);
    rules_free(rs);
}

int main(void)
{
    /* As main() does: the program's table, before any lookup. */
    field_registry_use(&fields_program);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eq_ne_strings),
        cmocka_unit_test(test_in_not_in_and_lists),
        cmocka_unit_test(test_numbers_and_order),
        cmocka_unit_test(test_version_order),
        cmocka_unit_test(test_exists_and_absent),
        cmocka_unit_test(test_contains_on_lists),
        cmocka_unit_test(test_glob_regex),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_all_any_not),
        cmocka_unit_test(test_message_template),
        cmocka_unit_test(test_primary_and_rule_order),
        cmocka_unit_test(test_cause_ranking),
        cmocka_unit_test(test_unexplained_failure),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_prescan_limits),
        cmocka_unit_test(test_many_lists_and_ids),
        cmocka_unit_test(test_include_and_lists_across_files),
        cmocka_unit_test(test_default_rules),
        cmocka_unit_test(test_enumerated_values),
        cmocka_unit_test(test_enumerated_fields_exist),
        cmocka_unit_test(test_renamed_fields),
        cmocka_unit_test(test_unknown_cause_lists_all),
        cmocka_unit_test(test_empty_files),
        cmocka_unit_test(test_site_causes),
        cmocka_unit_test(test_tune_builtin_rules),
        cmocka_unit_test(test_tune_suppress),
        cmocka_unit_test(test_server_profile_evidence),
        cmocka_unit_test(test_alert_flood),
        cmocka_unit_test(test_alert_flood_same_across_loads),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_prefilter_default_rules),
        cmocka_unit_test(test_prefilter_edge_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
