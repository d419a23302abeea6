/* test_starttls.c — the STARTTLS detector (dissectors/starttls.c) on
 * scripted exchanges: the upgrade of every protocol, lines split across
 * segments, pipelined commands, refusals, garbage and the window limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dissectors/starttls.h"

#define CLI 0
#define SRV 1

/* A fake ClientHello / ServerHello start: what must come out as TLS. */
static const char CH[] = "\x16\x03\x01\x00\x05HELLO";
static const char SH[] = "\x16\x03\x03\x00\x05WORLD";

static enum starttls_status feed(struct starttls *st, int side, const char *s)
{
    uint32_t taken;
    return starttls_feed(st, side, (const uint8_t *)s, (uint32_t)strlen(s),
                         &taken);
}

/* Feed one byte per call: every unit arrives split. */
static enum starttls_status feed_bytewise(struct starttls *st, int side,
                                          const char *s)
{
    enum starttls_status r = starttls_status(st);
    for (size_t i = 0; s[i]; i++) {
        uint32_t taken;
        r = starttls_feed(st, side, (const uint8_t *)s + i, 1, &taken);
    }
    return r;
}

/* After an upgrade, the held bytes of `side` plus data[taken..] must be
 * exactly `want`. */
static void expect_tls(struct starttls *st, int side, const char *want)
{
    const uint8_t *held;
    uint32_t n;
    starttls_held(st, side, &held, &n);
    assert_int_equal(n, strlen(want));
    if (n)
        assert_memory_equal(held, want, n);
}

/* A script: alternating client and server chunks, "" ends it. */
static struct starttls *run_script(const char *const *script, bool bytewise,
                                   enum starttls_status *last)
{
    struct starttls *st = starttls_new(CLI);
    assert_non_null(st);
    int side = SRV; /* server-first scripts start with the server */
    for (int i = 0; script[i]; i++) {
        if (script[i][0] == '\0') {
            side = 1 - side;
            continue;
        }
        *last = bytewise ? feed_bytewise(st, side, script[i])
                         : feed(st, side, script[i]);
        side = 1 - side;
    }
    return st;
}

static void upgrade_ok(const char *const *script, enum starttls_proto proto,
                       const char *client_tls, const char *server_tls)
{
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        enum starttls_status last = STARTTLS_WATCHING;
        struct starttls *st = run_script(script, bytewise, &last);
        assert_int_equal(last, STARTTLS_UPGRADED);
        assert_int_equal(starttls_proto(st), proto);
        assert_int_equal(starttls_client_side(st), CLI);
        expect_tls(st, CLI, client_tls);
        expect_tls(st, SRV, server_tls);
        starttls_free(st);
    }
}

static void refused(const char *const *script, enum starttls_proto proto,
                    const char *refusal)
{
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        enum starttls_status last = STARTTLS_WATCHING;
        struct starttls *st = run_script(script, bytewise, &last);
        assert_int_equal(last, STARTTLS_REFUSED);
        assert_int_equal(starttls_proto(st), proto);
        assert_string_equal(starttls_refusal(st), refusal);
        starttls_free(st);
    }
}

static void gives_up(const char *const *script)
{
    enum starttls_status last = STARTTLS_WATCHING;
    struct starttls *st = run_script(script, false, &last);
    assert_int_equal(last, STARTTLS_GAVE_UP);
    starttls_free(st);
}

static void test_smtp(void **state)
{
    (void)state;
    const char *const ok[] = {
        "220 mx.test ESMTP Postfix\r\n", "EHLO client.test\r\n",
        "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
        "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n", CH, SH, NULL};
    upgrade_ok(ok, STARTTLS_SMTP, "", "");

    /* The ClientHello rides in the same segment as the server's 220 is
     * answered: everything after each side's upgrade point is TLS. */
    struct starttls *st = starttls_new(-1);
    feed(st, SRV, "220 mx ESMTP\r\n");
    feed(st, CLI, "ehlo x\r\n");
    feed(st, SRV, "250 mx\r\n");
    assert_int_equal(feed(st, CLI, "starttls\r\n\x16\x03\x01"),
                     STARTTLS_WATCHING);
    uint32_t taken;
    const char tail[] = "220 go ahead\r\n\x16\x03\x03";
    assert_int_equal(starttls_feed(st, SRV, (const uint8_t *)tail,
                                   sizeof tail - 1, &taken),
                     STARTTLS_UPGRADED);
    assert_int_equal(starttls_client_side(st), CLI);
    expect_tls(st, CLI, "\x16\x03\x01");
    expect_tls(st, SRV, "\x16\x03\x03");
    starttls_free(st);

    const char *const no[] = {
        "220 mx ESMTP\r\n", "EHLO c\r\n", "250 mx\r\n", "STARTTLS\r\n",
        "454 4.7.0 TLS not available due to local problem\r\n", NULL};
    refused(no, STARTTLS_SMTP,
            "454 4.7.0 TLS not available due to local problem");
    const char *const no5[] = {"220 mx\r\n", "STARTTLS\r\n",
                               "502 5.5.1 command not implemented\r\n", NULL};
    refused(no5, STARTTLS_SMTP, "502 5.5.1 command not implemented");

    /* Mail sent in plaintext: no upgrade is coming. */
    const char *const plain[] = {"220 mx\r\n", "HELO c\r\n", "250 ok\r\n",
                                 "DATA\r\n", NULL};
    gives_up(plain);
}

static void test_smtp_pipelined(void **state)
{
    (void)state;
    /* EHLO and STARTTLS in one segment: the first 250 answers EHLO, the
     * 220 after it answers STARTTLS. */
    const char *const ok[] = {
        "220 mx\r\n", "EHLO c\r\nSTARTTLS\r\n",
        "250-mx\r\n250 STARTTLS\r\n220 ready\r\n", CH, SH, NULL};
    upgrade_ok(ok, STARTTLS_SMTP, "", "");
    /* The answer to EHLO must not be taken for the answer to STARTTLS. */
    const char *const no[] = {"220 mx\r\n", "EHLO c\r\nSTARTTLS\r\n",
                              "250 mx\r\n454 not now\r\n", NULL};
    refused(no, STARTTLS_SMTP, "454 not now");
}

static void test_ftp(void **state)
{
    (void)state;
    const char *const ok[] = {"220 (vsFTPd 3.0.3)\r\n", "AUTH TLS\r\n",
                              "234 Proceed with negotiation.\r\n", CH, SH,
                              NULL};
    upgrade_ok(ok, STARTTLS_FTP, "", "");
    const char *const multi[] = {"220-welcome\r\nhello there\r\n220 ready\r\n",
                                 "FEAT\r\n",
                                 "211-Features:\r\n AUTH TLS\r\n211 End\r\n",
                                 "AUTH SSL\r\n", "234 AUTH SSL ok\r\n", NULL};
    upgrade_ok(multi, STARTTLS_FTP, "", "");
    const char *const no[] = {"220 ftp\r\n", "AUTH TLS\r\n",
                              "530 Please login with USER and PASS.\r\n",
                              NULL};
    refused(no, STARTTLS_FTP, "530 Please login with USER and PASS.");
}

static void test_imap(void **state)
{
    (void)state;
    const char *const ok[] = {
        "* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n",
        "a1 CAPABILITY\r\n",
        "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n",
        "a2 STARTTLS\r\n", "a2 OK Begin TLS negotiation now.\r\n", CH, SH,
        NULL};
    upgrade_ok(ok, STARTTLS_IMAP, "", "");
    /* Pipelined: the OK for a1 is not the OK for a2. */
    const char *const pipe[] = {"* OK ready\r\n",
                                "a1 CAPABILITY\r\na2 STARTTLS\r\n",
                                "* CAPABILITY x\r\na1 OK done\r\n"
                                "a2 NO [UNAVAILABLE] no TLS here\r\n",
                                NULL};
    refused(pipe, STARTTLS_IMAP, "a2 NO [UNAVAILABLE] no TLS here");
    const char *const bad[] = {"* OK ready\r\n", "x STARTTLS\r\n",
                               "x BAD Unknown command\r\n", NULL};
    refused(bad, STARTTLS_IMAP, "x BAD Unknown command");
}

static void test_pop3(void **state)
{
    (void)state;
    const char *const ok[] = {"+OK Dovecot ready.\r\n", "CAPA\r\n",
                              "+OK\r\nCAPA\r\nSTLS\r\nUSER\r\n.\r\n",
                              "STLS\r\n", "+OK Begin TLS negotiation now.\r\n",
                              CH, SH, NULL};
    upgrade_ok(ok, STARTTLS_POP3, "", "");
    /* Pipelined CAPA and STLS: the CAPA listing ends at ".", then the
     * answer to STLS. */
    const char *const pipe[] = {"+OK ready\r\n", "CAPA\r\nSTLS\r\n",
                                "+OK\r\nSTLS\r\n.\r\n-ERR no TLS\r\n", NULL};
    refused(pipe, STARTTLS_POP3, "-ERR no TLS");
}

static void test_xmpp(void **state)
{
    (void)state;
    const char *const ok[] = {
        "", /* the client speaks first */
        "<?xml version='1.0'?><stream:stream to='x.test' "
        "xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
        "<?xml version='1.0'?><stream:stream from='x.test' id='1' "
        "version='1.0'><stream:features><starttls "
        "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
        "</stream:features>",
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", CH, SH, NULL};
    upgrade_ok(ok, STARTTLS_XMPP, "", "");
    const char *const no[] = {
        "", "<stream:stream to='x'>",
        "<stream:stream><stream:features/>",
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'></starttls>",
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
        "</stream:stream>",
        NULL};
    refused(no, STARTTLS_XMPP,
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

/* LDAPMessage { id, ExtendedRequest { [0] StartTLS OID } } */
static const char LDAP_REQ[] =
    "\x30\x1d\x02\x01\x01\x77\x18\x80\x16" "1.3.6.1.4.1.1466.20037";
/* LDAPMessage { id, ExtendedResponse { success, "", "" } } */
static const char LDAP_OK[] = "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00"
                              "\x04\x00\x04\x00";
static const char LDAP_NO[] = "\x30\x13\x02\x01\x01\x78\x0e\x0a\x01\x02"
                              "\x04\x00\x04\x07" "no TLS!";

static void test_ldap(void **state)
{
    (void)state;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct starttls *st = starttls_new(-1);
        uint32_t taken;
        /* A bind first (id 1 reused is fine: answered before). */
        static const char bind[] = "\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03"
                                   "\x04\x00\x80\x00";
        static const char bound[] = "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01"
                                    "\x00\x04\x00\x04\x00";
        const struct { int side; const char *b; size_t n; } seq[] = {
            {CLI, bind, sizeof bind - 1},
            {SRV, bound, sizeof bound - 1},
            {CLI, LDAP_REQ, sizeof LDAP_REQ - 1},
            {SRV, LDAP_OK, sizeof LDAP_OK - 1},
        };
        enum starttls_status r = STARTTLS_WATCHING;
        for (size_t i = 0; i < 4; i++) {
            if (!bytewise) {
                r = starttls_feed(st, seq[i].side, (const uint8_t *)seq[i].b,
                                  (uint32_t)seq[i].n, &taken);
                continue;
            }
            for (size_t k = 0; k < seq[i].n; k++)
                r = starttls_feed(st, seq[i].side,
                                  (const uint8_t *)seq[i].b + k, 1, &taken);
        }
        assert_int_equal(r, STARTTLS_UPGRADED);
        assert_int_equal(starttls_proto(st), STARTTLS_LDAP);
        assert_int_equal(starttls_client_side(st), CLI);
        starttls_free(st);
    }

    struct starttls *st = starttls_new(-1);
    uint32_t taken;
    starttls_feed(st, CLI, (const uint8_t *)LDAP_REQ, sizeof LDAP_REQ - 1,
                  &taken);
    assert_int_equal(starttls_feed(st, SRV, (const uint8_t *)LDAP_NO,
                                   sizeof LDAP_NO - 1, &taken),
                     STARTTLS_REFUSED);
    assert_string_equal(starttls_refusal(st), "resultCode 2: no TLS!");
    starttls_free(st);

    /* The server's first byte is no LDAPMessage: given up, and the request
     * is forgotten whether it was read before that byte (one segment) or
     * not yet (byte by byte) — the fuzzer's case. */
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        st = starttls_new(CLI);
        starttls_feed(st, SRV, (const uint8_t *)"x", 1, &taken);
        size_t n = sizeof LDAP_REQ - 1, step = bytewise ? 1 : n;
        enum starttls_status r = STARTTLS_WATCHING;
        for (size_t k = 0; k < n; k += step)
            r = starttls_feed(st, CLI, (const uint8_t *)LDAP_REQ + k,
                              (uint32_t)step, &taken);
        assert_int_equal(r, STARTTLS_GAVE_UP);
        assert_int_equal(starttls_proto(st), STARTTLS_NONE);
        starttls_free(st);
    }

    /* A SEQUENCE that is not an LDAPMessage. */
    st = starttls_new(-1);
    static const char junk[] = "\x30\x06\x04\x01\x41\x04\x01\x42";
    assert_int_equal(starttls_feed(st, CLI, (const uint8_t *)junk,
                                   sizeof junk - 1, &taken),
                     STARTTLS_GAVE_UP);
    starttls_free(st);
}

static const uint8_t PG_SSL[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
static const uint8_t PG_GSS[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};

static void test_postgresql(void **state)
{
    (void)state;
    uint32_t taken;
    struct starttls *st = starttls_new(CLI);
    assert_int_equal(starttls_feed(st, CLI, PG_SSL, 8, &taken),
                     STARTTLS_WATCHING);
    assert_int_equal(feed(st, SRV, "S"), STARTTLS_UPGRADED);
    assert_int_equal(starttls_proto(st), STARTTLS_POSTGRESQL);
    expect_tls(st, SRV, "");
    starttls_free(st);

    /* GSSAPI encryption declined first, then TLS refused. */
    st = starttls_new(-1);
    starttls_feed(st, CLI, PG_GSS, 8, &taken);
    feed(st, SRV, "N");
    starttls_feed(st, CLI, PG_SSL, 8, &taken);
    assert_int_equal(feed(st, SRV, "N"), STARTTLS_REFUSED);
    assert_string_equal(starttls_refusal(st), "N");
    starttls_free(st);

    /* A startup message in plaintext. */
    st = starttls_new(-1);
    static const uint8_t startup[] = {0, 0, 0, 9, 0, 3, 0, 0, 0};
    assert_int_equal(starttls_feed(st, CLI, startup, sizeof startup, &taken),
                     STARTTLS_GAVE_UP);
    starttls_free(st);
}

static void test_mysql(void **state)
{
    (void)state;
    /* Greeting: protocol 10, "5.5.5-10.11", conn id, 8 bytes of salt,
     * filler, capabilities with CLIENT_SSL (0x0800). */
    uint8_t greet[4 + 1 + 12 + 4 + 8 + 1 + 2] = {0};
    size_t n = 0;
    greet[n++] = sizeof greet - 4; /* length, 3 bytes LE */
    n += 2;
    greet[n++] = 0; /* sequence */
    greet[n++] = 10;
    memcpy(greet + n, "5.5.5-10.11", 12);
    n += 12 + 4 + 8 + 1;
    greet[n++] = 0xff;
    greet[n++] = 0xff;
    uint8_t ssl_req[4 + 32] = {32, 0, 0, 1, 0x00, 0x0a, 0x00, 0x00};
    uint8_t tail[sizeof ssl_req + 3];
    memcpy(tail, ssl_req, sizeof ssl_req);
    memcpy(tail + sizeof ssl_req, "\x16\x03\x01", 3);

    uint32_t taken;
    struct starttls *st = starttls_new(-1);
    assert_int_equal(starttls_feed(st, SRV, greet, sizeof greet, &taken),
                     STARTTLS_WATCHING);
    assert_int_equal(starttls_feed(st, CLI, tail, sizeof tail, &taken),
                     STARTTLS_UPGRADED);
    assert_int_equal(starttls_proto(st), STARTTLS_MYSQL);
    assert_int_equal(starttls_client_side(st), CLI);
    expect_tls(st, CLI, "\x16\x03\x01");
    starttls_free(st);

    /* A greeting of 266 bytes starts with 0x0a, a line end to a line
     * protocol: byte by byte it must still be read as MySQL. */
    uint8_t long_greet[4 + 266] = {0};
    memcpy(long_greet, greet, sizeof greet);
    long_greet[0] = 0x0a;
    long_greet[1] = 0x01;
    st = starttls_new(-1);
    enum starttls_status r = STARTTLS_WATCHING;
    for (size_t k = 0; k < sizeof long_greet; k++)
        r = starttls_feed(st, SRV, long_greet + k, 1, &taken);
    assert_int_equal(r, STARTTLS_WATCHING);
    for (size_t k = 0; k < sizeof tail; k++)
        r = starttls_feed(st, CLI, tail + k, 1, &taken);
    assert_int_equal(r, STARTTLS_UPGRADED);
    assert_int_equal(starttls_proto(st), STARTTLS_MYSQL);
    starttls_free(st);

    /* No CLIENT_SSL offered: nothing to wait for. */
    greet[sizeof greet - 2] = 0;
    greet[sizeof greet - 1] = 0;
    st = starttls_new(-1);
    assert_int_equal(starttls_feed(st, SRV, greet, sizeof greet, &taken),
                     STARTTLS_GAVE_UP);
    starttls_free(st);
}

static void test_garbage_and_limits(void **state)
{
    (void)state;
    const char *const http[] = {"", "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                NULL};
    gives_up(http);
    const char *const ssh[] = {"SSH-2.0-OpenSSH_9.2\r\n", NULL};
    gives_up(ssh);
    /* The SYN says side 0 is the client, but it sent a server greeting. */
    struct starttls *st = starttls_new(SRV);
    assert_int_equal(feed(st, SRV, "220 mx ESMTP\r\n"), STARTTLS_GAVE_UP);
    starttls_free(st);
    /* A greeting that refuses service. */
    const char *const busy[] = {"554 go away\r\n", NULL};
    gives_up(busy);

    /* A server that never stops talking: the window bounds the watch. */
    st = starttls_new(CLI);
    feed(st, SRV, "220 mx\r\n");
    feed(st, CLI, "EHLO c\r\n");
    enum starttls_status r = STARTTLS_WATCHING;
    int lines = 0;
    while (r == STARTTLS_WATCHING && lines < 1000) {
        r = feed(st, SRV, "250-a rather long capability line here\r\n");
        lines++;
    }
    assert_int_equal(r, STARTTLS_GAVE_UP);
    assert_true(lines * 40 <= STARTTLS_WINDOW + 80);
    starttls_free(st);

    /* One line longer than the window. */
    st = starttls_new(CLI);
    char big[STARTTLS_WINDOW + 16];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "220 ", 4);
    assert_int_equal(feed(st, SRV, big), STARTTLS_GAVE_UP);
    starttls_free(st);

    /* A gap gives up; decisions stick. */
    st = starttls_new(CLI);
    feed(st, SRV, "220 mx\r\n");
    starttls_gap(st, CLI);
    assert_int_equal(feed(st, CLI, "STARTTLS\r\n"), STARTTLS_GAVE_UP);
    starttls_free(st);

    assert_string_equal(starttls_proto_name(STARTTLS_POSTGRESQL),
                        "postgresql");
    assert_null(starttls_proto_name(STARTTLS_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp),
        cmocka_unit_test(test_smtp_pipelined),
        cmocka_unit_test(test_ftp),
        cmocka_unit_test(test_imap),
        cmocka_unit_test(test_pop3),
        cmocka_unit_test(test_xmpp),
        cmocka_unit_test(test_ldap),
        cmocka_unit_test(test_postgresql),
        cmocka_unit_test(test_mysql),
        cmocka_unit_test(test_garbage_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
