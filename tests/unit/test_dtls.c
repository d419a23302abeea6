/* test_dtls.c — the DTLS dissector on datagrams built to RFC 6347 and
 * RFC 9147: a DTLS 1.2 handshake with a HelloVerifyRequest and a
 * Certificate in fragments out of order; a flight sent again (counted
 * once) and a duplicated datagram (dropped); plaintext and encrypted
 * alerts; STUN before DTLS; DTLS 1.3 with unified-header records; bad
 * fragments and random bytes; messages held only as --memcap allows. The
 * TLS dissector behind it decides. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/memcap.h"
#include "dissectors/dtls.h"
#include "dissectors/tls.h"

struct conn {
    struct tls_session *tls;
    struct dtls_conn *d;
    struct handshake *h;
    uint64_t seq[2];
};

static uint64_t now_us = 5000000;

static void conn_open(struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->tls = tls_session_new(NULL, 0);
    assert_non_null(c->tls);
    c->d = dtls_conn_new(c->tls, 0, 0, NULL);
    assert_non_null(c->d);
    c->h = tls_record(c->tls);
}

static void conn_close(struct conn *c)
{
    dtls_conn_free(c->d);
    tls_session_free(c->tls);
}

static void from(struct conn *c, int side, const uint8_t *d, size_t n)
{
    now_us += 1000;
    dtls_datagram(c->d, side, d, (uint32_t)n, 0, now_us);
}

/* ---- records and messages ---- */

static size_t record(uint8_t *out, uint8_t type, uint16_t version,
                     uint16_t epoch, uint64_t seq, const uint8_t *body,
                     size_t len)
{
    size_t n = 0;
    out[n++] = type;
    out[n++] = (uint8_t)(version >> 8);
    out[n++] = (uint8_t)version;
    out[n++] = (uint8_t)(epoch >> 8);
    out[n++] = (uint8_t)epoch;
    for (int i = 5; i >= 0; i--)
        out[n++] = (uint8_t)(seq >> (8 * i));
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
    memcpy(out + n, body, len);
    return n + len;
}

/* One handshake fragment with its 12-byte DTLS header. */
static size_t fragment(uint8_t *out, uint8_t type, const uint8_t *msg,
                       uint32_t len, uint16_t mseq, uint32_t off,
                       uint32_t flen)
{
    size_t n = 0;
    out[n++] = type;
    out[n++] = (uint8_t)(len >> 16);
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
    out[n++] = (uint8_t)(mseq >> 8);
    out[n++] = (uint8_t)mseq;
    out[n++] = (uint8_t)(off >> 16);
    out[n++] = (uint8_t)(off >> 8);
    out[n++] = (uint8_t)off;
    out[n++] = (uint8_t)(flen >> 16);
    out[n++] = (uint8_t)(flen >> 8);
    out[n++] = (uint8_t)flen;
    memcpy(out + n, msg + off, flen);
    return n + flen;
}

/* A handshake record holding one whole message, or a fragment of it. */
static size_t hs_record(struct conn *c, int side, uint8_t *out, uint8_t type,
                        const uint8_t *msg, uint32_t len, uint16_t mseq,
                        uint32_t off, uint32_t flen)
{
    uint8_t body[2048];
    size_t bl = fragment(body, type, msg, len, mseq, off, flen);
    return record(out, 22, 0xfefd, 0, c->seq[side]++, body, bl);
}

/* A DTLS 1.2 ClientHello (cookie of `cookie_len` bytes, SNI server.test),
 * optionally offering DTLS 1.3 too. */
static size_t client_hello(uint8_t *m, uint8_t cookie_len, bool dtls13)
{
    size_t n = 0;
    m[n++] = 0xfe, m[n++] = 0xfd;
    memset(m + n, 0x11, 32);
    n += 32;
    m[n++] = 0; /* session id */
    m[n++] = cookie_len;
    memset(m + n, 0xc0, cookie_len);
    n += cookie_len;
    m[n++] = 0, m[n++] = 4;
    m[n++] = 0xc0, m[n++] = 0x2f, m[n++] = 0x13, m[n++] = 0x01;
    m[n++] = 1, m[n++] = 0;
    static const uint8_t sni[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00,
                                  0x00, 0x0b, 's',  'e',  'r',  'v',  'e',
                                  'r',  '.',  't',  'e',  's',  't'};
    static const uint8_t sv[] = {0x00, 0x2b, 0x00, 0x05, 0x04,
                                 0xfe, 0xfc, 0xfe, 0xfd};
    size_t ext = sizeof sni + (dtls13 ? sizeof sv : 0);
    m[n++] = (uint8_t)(ext >> 8), m[n++] = (uint8_t)ext;
    memcpy(m + n, sni, sizeof sni);
    n += sizeof sni;
    if (dtls13) {
        memcpy(m + n, sv, sizeof sv);
        n += sizeof sv;
    }
    return n;
}

static size_t server_hello(uint8_t *m, bool dtls13)
{
    size_t n = 0;
    m[n++] = 0xfe, m[n++] = 0xfd;
    memset(m + n, 0x22, 32);
    n += 32;
    m[n++] = 0;
    m[n++] = dtls13 ? 0x13 : 0xc0, m[n++] = dtls13 ? 0x01 : 0x2f;
    m[n++] = 0;
    static const uint8_t sv[] = {0x00, 0x2b, 0x00, 0x02, 0xfe, 0xfc};
    m[n++] = 0, m[n++] = dtls13 ? sizeof sv : 0;
    if (dtls13) {
        memcpy(m + n, sv, sizeof sv);
        n += sizeof sv;
    }
    return n;
}

/* A Certificate message with one 700-byte "certificate". */
static size_t certificate(uint8_t *m)
{
    size_t n = 0, cl = 700;
    m[n++] = 0, m[n++] = (uint8_t)((cl + 3) >> 8), m[n++] = (uint8_t)(cl + 3);
    m[n++] = 0, m[n++] = (uint8_t)(cl >> 8), m[n++] = (uint8_t)cl;
    for (size_t i = 0; i < cl; i++)
        m[n++] = (uint8_t)(0x30 + i);
    return n;
}

/* ---- the handshakes ---- */

static uint8_t msg[2048], d[4096];

/* Client: CH (seq 0) -> server: HVR -> client: CH with the cookie (seq 1)
 * -> server: SH (1), Certificate (2, in three fragments, the last one
 * first), ServerHelloDone (3) -> the key change both ways. */
static void dtls12_handshake(struct conn *c, bool repeat_flight,
                             bool dup_datagram)
{
    size_t n, ml;

    ml = client_hello(msg, 0, false);
    from(c, 0, d, hs_record(c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    assert_true(c->h->ch.seen);
    uint8_t hvr[] = {0xfe, 0xff, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                     11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    from(c, 1, d, hs_record(c, 1, d, 3, hvr, sizeof hvr, 0, 0, sizeof hvr));
    assert_true(c->h->dtls.hello_verify_request);
    assert_int_equal(c->h->dtls.cookie_len, 20);
    ml = client_hello(msg, 20, false);
    from(c, 0, d, hs_record(c, 0, d, 1, msg, (uint32_t)ml, 1, 0, (uint32_t)ml));
    assert_int_equal(c->h->round, 0);
    assert_int_equal(c->h->ch.cookie_len, 20);

    for (int round = 0; round < (repeat_flight ? 2 : 1); round++) {
        uint8_t sh[128];
        size_t shl = server_hello(sh, false);
        ml = certificate(msg);
        /* Datagram 1: the certificate's last fragment, then the hello. */
        n = hs_record(c, 1, d, 11, msg, (uint32_t)ml, 2, 500,
                      (uint32_t)ml - 500);
        n += hs_record(c, 1, d + n, 2, sh, (uint32_t)shl, 1, 0,
                       (uint32_t)shl);
        from(c, 1, d, n);
        /* Datagram 2: the first two fragments (overlapping), the done. */
        n = hs_record(c, 1, d, 11, msg, (uint32_t)ml, 2, 0, 300);
        n += hs_record(c, 1, d + n, 11, msg, (uint32_t)ml, 2, 250, 300);
        n += hs_record(c, 1, d + n, 14, msg, 0, 3, 0, 0);
        from(c, 1, d, n);
        if (dup_datagram && round == 0)
            from(c, 1, d, n); /* the very same records: a duplicate */
    }
    assert_true(c->h->sh.seen);
    assert_int_equal(c->h->sh.cipher, 0xc02f);
    assert_int_equal(c->h->sh.version, 0xfefd);
    assert_int_equal(c->h->server_certs.n_certs, 1);
    assert_int_equal(c->h->server_certs.certs[0].len, 700);
    assert_true(c->h->server_hello_done);

    /* Client: CKE (seq 2), CCS, Finished (epoch 1). */
    uint8_t cke[66] = {65};
    n = hs_record(c, 0, d, 16, cke, sizeof cke, 2, 0, sizeof cke);
    uint8_t one = 1, fin[40];
    memset(fin, 0x77, sizeof fin);
    n += record(d + n, 20, 0xfefd, 0, c->seq[0]++, &one, 1);
    n += record(d + n, 22, 0xfefd, 1, 0, fin, sizeof fin);
    from(c, 0, d, n);
    assert_int_equal(c->h->outcome, OUTCOME_UNDECIDED);
    n = record(d, 20, 0xfefd, 0, c->seq[1]++, &one, 1);
    n += record(d + n, 22, 0xfefd, 1, 0, fin, sizeof fin);
    from(c, 1, d, n);
}

static void test_dtls12_handshake(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    dtls12_handshake(&c, false, false);
    assert_int_equal(c.h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(c.h->transport, HS_OVER_DTLS);
    assert_string_equal(c.h->ch.sni, "server.test");
    assert_true(c.h->ch.dtls);
    assert_int_equal(c.h->ch.record_version, 0xfefd);
    assert_int_equal(c.h->dtls.retransmissions, 0);
    assert_int_equal(c.h->dtls.fragmented_messages, 1);
    assert_int_equal(c.h->dtls.max_epoch[TLS_SIDE_CLIENT], 1);
    assert_false(c.h->parse_error);
    conn_close(&c);
}

/* A message being rebuilt is charged to the memcap when it is allocated:
 * a full cap skips it (said in the record; the flight sent again is read
 * once there is room), and all of it comes back at the end. */
static void test_memcap(void **state)
{
    (void)state;
    struct memcap budget = {0};
    struct tls_limits lim = {0, NULL, &budget};
    struct conn c;
    memset(&c, 0, sizeof c);
    c.tls = tls_session_new(&lim, 0);
    c.d = dtls_conn_new(c.tls, 0, 0, &budget);
    assert_non_null(c.d);
    c.h = tls_record(c.tls);
    assert_int_equal(budget.used,
                     tls_session_memory(c.tls) + dtls_conn_memory(c.d));

    size_t ml = client_hello(msg, 0, false), n;
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0,
                             (uint32_t)ml));
    assert_true(c.h->ch.seen);
    uint8_t sh[128];
    size_t shl = server_hello(sh, false);
    /* Room for the hello (read where it lies: the TLS session holds no
     * buffer for it), not for the chain. */
    budget.limit = budget.used + 300;
    for (int round = 0; round < 2; round++) {
        ml = certificate(msg);
        n = hs_record(&c, 1, d, 2, sh, (uint32_t)shl, 0, 0, (uint32_t)shl);
        n += hs_record(&c, 1, d + n, 11, msg, (uint32_t)ml, 1, 500,
                       (uint32_t)ml - 500);
        from(&c, 1, d, n);
        n = hs_record(&c, 1, d, 11, msg, (uint32_t)ml, 1, 0, 500);
        from(&c, 1, d, n);
        assert_int_equal(budget.used,
                         tls_session_memory(c.tls) + dtls_conn_memory(c.d));
        if (round == 0) {
            assert_true(c.h->sh.seen);
            assert_int_equal(c.h->server_certs.n_certs, 0);
            assert_non_null(strstr(c.h->parse_error_what, "--memcap"));
            assert_true(budget.refused > 0);
            budget.limit = 0;
        }
    }
    assert_int_equal(c.h->server_certs.n_certs, 1);
    assert_int_equal(c.h->server_certs.certs[0].len, 700);
    conn_close(&c);
    assert_int_equal(budget.used, 0);

    budget.limit = 1; /* no room for the connection itself */
    assert_null(dtls_conn_new(NULL, 0, 0, &budget));
    assert_int_equal(budget.used, 0);
}

/* The server's flight sent twice: one retransmission. A datagram copied
 * by the network (same record numbers): not one. */
static void test_retransmitted_flight(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    dtls12_handshake(&c, true, false);
    assert_int_equal(c.h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(c.h->dtls.retransmissions, 1);
    assert_int_equal(c.h->dtls.fragmented_messages, 1);
    assert_int_equal(c.h->server_certs.n_certs_total, 1);
    conn_close(&c);

    conn_open(&c);
    dtls12_handshake(&c, false, true);
    assert_int_equal(c.h->outcome, OUTCOME_ESTABLISHED);
    assert_int_equal(c.h->dtls.retransmissions, 0);
    conn_close(&c);
}

/* A client sending its hello again and again (no answer): each resend
 * is a flight again. */
static void test_client_repeats(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, false);
    for (int i = 0; i < 3; i++)
        from(&c, 0, d,
             hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    assert_int_equal(c.h->dtls.retransmissions, 2);
    assert_int_equal(c.h->round, 0);
    tls_finish(c.tls, ENDED_SILENCE, now_us);
    assert_int_equal(c.h->outcome, OUTCOME_INCOMPLETE);
    assert_int_equal(c.h->failure_stage, STAGE_CLIENT_HELLO);
    conn_close(&c);
}

static void test_plaintext_alert(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, false);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    uint8_t alert[2] = {2, 70};
    from(&c, 1, d, record(d, 21, 0xfefd, 0, 0, alert, 2));
    assert_int_equal(c.h->outcome, OUTCOME_FAILED);
    assert_int_equal(c.h->ended_by, ENDED_ALERT);
    assert_int_equal(hs_rare(c.h)->alerts.v[0].description, 70);
    assert_int_equal(hs_rare(c.h)->alerts.v[0].sender, TLS_SIDE_SERVER);
    assert_false(hs_rare(c.h)->alerts.v[0].encrypted);
    conn_close(&c);
}

/* After its key change, a side's alert is encrypted (epoch 1). */
static void test_encrypted_alert(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, false);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    uint8_t sh[128];
    size_t shl = server_hello(sh, false);
    size_t n = hs_record(&c, 1, d, 2, sh, (uint32_t)shl, 0, 0, (uint32_t)shl);
    n += hs_record(&c, 1, d + n, 14, msg, 0, 1, 0, 0);
    from(&c, 1, d, n);
    uint8_t one = 1, enc[26];
    memset(enc, 0x5c, sizeof enc);
    n = record(d, 20, 0xfefd, 0, c.seq[0]++, &one, 1);
    n += record(d + n, 21, 0xfefd, 1, 0, enc, sizeof enc);
    from(&c, 0, d, n);
    assert_int_equal(c.h->outcome, OUTCOME_FAILED);
    assert_true(hs_rare(c.h)->alerts.v[0].encrypted);
    assert_int_equal(hs_rare(c.h)->alerts.v[0].sender, TLS_SIDE_CLIENT);
    conn_close(&c);
}

static size_t stun(uint8_t *out)
{
    static const uint8_t m[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4,
                                  0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    memcpy(out, m, sizeof m);
    return sizeof m;
}

static void test_stun_then_dtls(void **state)
{
    (void)state;
    struct conn c;
    assert_int_equal(dtls_sniff(d, (uint32_t)stun(d)), DTLS_SNIFF_STUN);
    conn_open(&c);
    from(&c, 0, d, stun(d));
    assert_true(c.h->dtls.stun);
    assert_false(c.h->ch.seen);
    size_t ml = client_hello(msg, 0, false);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    assert_true(c.h->ch.seen);
    conn_close(&c);
}

/* DTLS 1.3 (RFC 9147): hellos in plaintext records, then unified-header
 * ciphertext — 001CSLEE, here with a 16-bit sequence and a length. */
static size_t unified(uint8_t *out, uint8_t epoch_bits, size_t len)
{
    size_t n = 0;
    out[n++] = (uint8_t)(0x20 | 0x08 | 0x04 | (epoch_bits & 3));
    out[n++] = 0, out[n++] = 1;
    out[n++] = (uint8_t)(len >> 8), out[n++] = (uint8_t)len;
    for (size_t i = 0; i < len; i++)
        out[n++] = (uint8_t)(0x99 ^ i);
    return n;
}

static void test_dtls13_unified_header(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, true);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    uint8_t sh[128];
    size_t shl = server_hello(sh, true);
    size_t n = hs_record(&c, 1, d, 2, sh, (uint32_t)shl, 0, 0, (uint32_t)shl);
    n += unified(d + n, 2, 900);
    n += unified(d + n, 2, 300);
    from(&c, 1, d, n);
    assert_int_equal(c.h->sh.version, 0xfefc);
    assert_int_equal(c.h->stage, STAGE_SERVER_ENCRYPTED_FLIGHT);
    assert_true(c.h->dtls.unified_header);
    /* The client's Finished (61 bytes of ciphertext), then the server's
     * ACK: both finished. */
    from(&c, 0, d, unified(d, 2, 61));
    from(&c, 1, d, unified(d, 3, 35));
    assert_int_equal(c.h->outcome, OUTCOME_ESTABLISHED);
    conn_close(&c);
}

/* A DTLS 1.3 client's alert-sized answer (19 bytes): a refusal. */
static void test_dtls13_client_alert(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, true);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    uint8_t sh[128];
    size_t shl = server_hello(sh, true);
    size_t n = hs_record(&c, 1, d, 2, sh, (uint32_t)shl, 0, 0, (uint32_t)shl);
    n += unified(d + n, 2, 900);
    from(&c, 1, d, n);
    from(&c, 0, d, unified(d, 2, 19));
    assert_int_equal(c.h->outcome, OUTCOME_FAILED);
    assert_true(hs_rare(c.h)->alerts.v[0].encrypted);
    assert_int_equal(c.h->failure_stage, STAGE_SERVER_ENCRYPTED_FLIGHT);
    conn_close(&c);
}

/* Fragments that contradict their message, messages too large, too many
 * pieces: noted, never a fault. */
static void test_bad_fragments(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, false);
    /* Offset past the length. */
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, 10, 0, 20, 5));
    assert_true(c.h->parse_error);
    conn_close(&c);

    conn_open(&c);
    /* Two fragments of one message disagreeing on its length. */
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, 10));
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml + 1, 0, 10, 10));
    assert_true(c.h->parse_error);
    assert_false(c.h->ch.seen);
    conn_close(&c);

    conn_open(&c);
    /* 4 MB announced: refused, nothing allocated for it. */
    size_t base = dtls_conn_memory(c.d);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, 4u << 20, 0, 0, 10));
    assert_int_equal(dtls_conn_memory(c.d), base);
    /* One-byte pieces with gaps: bounded pieces, then refused. */
    for (uint32_t i = 0; i < 100; i++)
        from(&c, 0, d, hs_record(&c, 0, d, 1, msg, 1000, 0, 2 * i, 1));
    assert_true(c.h->parse_error);
    conn_close(&c);
}

static void test_sniff(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c);
    size_t ml = client_hello(msg, 0, false);
    size_t n = hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml);
    assert_int_equal(dtls_sniff(d, (uint32_t)n), DTLS_SNIFF_CLIENT_HELLO);
    uint8_t sh[128];
    size_t shl = server_hello(sh, false);
    n = hs_record(&c, 1, d, 2, sh, (uint32_t)shl, 0, 0, (uint32_t)shl);
    assert_int_equal(dtls_sniff(d, (uint32_t)n), DTLS_SNIFF_SERVER_HELLO);
    uint8_t app[30] = {0};
    n = record(d, 23, 0xfefd, 1, 5, app, sizeof app);
    assert_int_equal(dtls_sniff(d, (uint32_t)n), DTLS_SNIFF_OTHER);
    /* TLS's version, a length past the datagram, RTP. */
    d[1] = 0x03, d[2] = 0x03;
    assert_int_equal(dtls_sniff(d, (uint32_t)n), DTLS_SNIFF_NO);
    n = record(d, 23, 0xfefd, 1, 5, app, sizeof app);
    assert_int_equal(dtls_sniff(d, (uint32_t)n - 1), DTLS_SNIFF_NO);
    d[0] = 0x80;
    assert_int_equal(dtls_sniff(d, (uint32_t)n), DTLS_SNIFF_NO);
    assert_int_equal(dtls_sniff(NULL, 0), DTLS_SNIFF_NO);
    conn_close(&c);
}

static void test_random_bytes(void **state)
{
    (void)state;
    struct conn c;
    srand(7);
    conn_open(&c);
    size_t ml = client_hello(msg, 0, false);
    from(&c, 0, d, hs_record(&c, 0, d, 1, msg, (uint32_t)ml, 0, 0, (uint32_t)ml));
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(rand() % 200);
        for (size_t k = 0; k < len; k++)
            d[k] = (uint8_t)rand();
        if (len > 3) { /* often a plausible header */
            d[0] = (uint8_t)(20 + rand() % 7);
            d[1] = 0xfe, d[2] = 0xfd;
        }
        from(&c, i & 1, d, len);
    }
    tls_finish(c.tls, ENDED_CAPTURE_END, now_us);
    assert_int_not_equal(c.h->outcome, OUTCOME_UNDECIDED);
    conn_close(&c);
}

/* A handshake fragment header whose fragment runs past its record: the
 * record is named, with the kind of fault and its byte in the record. */
static void test_bad_fragment_header(void **state)
{
    (void)state;
    struct conn c;
    /* type, length 100, message_seq 0, offset 0, fragment length 100,
     * then only 4 bytes of it. */
    static const uint8_t body[] = {0x01, 0x00, 0x00, 0x64, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x64,
                                   0x03, 0x03, 0x00, 0x00};
    uint8_t dgram[64];
    conn_open(&c);
    size_t n = record(dgram, 22, 0xfeff, 0, 0, body, sizeof body);
    from(&c, 0, dgram, n);
    assert_true(c.h->parse_error);
    assert_string_equal(c.h->parse_error_what, "dtls_handshake_header");
    assert_int_equal(c.h->parse_fault.kind, PARSE_FAULT_TRUNCATED);
    assert_int_equal(c.h->parse_fault.offset, 12); /* the fragment */
    conn_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtls12_handshake),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_retransmitted_flight),
        cmocka_unit_test(test_client_repeats),
        cmocka_unit_test(test_plaintext_alert),
        cmocka_unit_test(test_encrypted_alert),
        cmocka_unit_test(test_stun_then_dtls),
        cmocka_unit_test(test_dtls13_unified_header),
        cmocka_unit_test(test_bad_fragment_header),
        cmocka_unit_test(test_dtls13_client_alert),
        cmocka_unit_test(test_bad_fragments),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
