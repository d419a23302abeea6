/* test_classify.c — nDPI's answer for a TLS flow from the server name
 * tlsmon read (classify_tls_by_name), without nDPI reading the hello: the
 * application its host list gives, its category, none of its readings; a
 * name of Tor's shape nDPI does not know is left to nDPI. And, against
 * nDPI itself, the answer for a QUIC Initial tlsmon could not open
 * (classify_quic_unopened) on the client Initials of captures/quic-*.pcap,
 * as they are (v1) and with their version rewritten to each other version
 * the shortcut takes: another nDPI that answers otherwise fails here. For
 * each such version the real Initial is also protected again under the
 * keys tlsmon derives for it: nDPI must open it too (its keys are
 * tlsmon's), or a packet only nDPI opens would be given the shortcut. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "analyzer/classify.h"
#include "analyzer/decode.h"
#include "common/cursor.h"
#include "common/memcap.h"
#include "dissectors/handshake.h"
#include "dissectors/quic.h"
#include "dissectors/quic_crypto.h"
#include "dissectors/tls.h"

static struct classifier *cls;

static int setup(void **state)
{
    (void)state;
    cls = classifier_new();
    return cls ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    classifier_free(cls);
    return 0;
}

/* The names of a flow's verdict, as a record gets them. */
struct names {
    char protocol[48], app[32], category[32];
};

static struct names names_of(const struct classify_state *st)
{
    struct names n;
    classify_names(cls, &st->result.verdict, n.protocol, sizeof n.protocol,
                   n.app, sizeof n.app, n.category, sizeof n.category);
    return n;
}

static void test_named_application(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    static const char name[] = "WWW.YouTube.com";
    static const uint8_t client[4] = {10, 0, 0, 1}, server[4] = {10, 0, 0, 2};
    assert_true(classify_tls_by_name(cls, &st, name, strlen(name), client,
                                     server));
    assert_true(st.done);
    assert_null(st.ndpi);
    struct names n = names_of(&st);
    assert_string_equal(n.protocol, "TLS.YouTube");
    assert_string_equal(n.app, "YouTube");
    assert_string_equal(n.category, "Media");
    assert_int_equal(st.result.risks, 0);
    assert_string_equal(st.result.server_name, "");
    assert_int_equal(st.result.tls_version, 0);
    /* Decided: a second call changes nothing. */
    assert_true(classify_tls_by_name(cls, &st, "x.test", 6, NULL, NULL));
    assert_string_equal(names_of(&st).protocol, "TLS.YouTube");
}

static void test_unknown_name_is_tls(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    assert_true(classify_tls_by_name(cls, &st, "server.test", 11, NULL, NULL));
    struct names n = names_of(&st);
    assert_string_equal(n.protocol, "TLS");
    assert_string_equal(n.app, "");
    assert_string_equal(n.category, "Web");
    /* Nothing concluded: no names at all. */
    memset(&st, 0, sizeof(st));
    n = names_of(&st);
    assert_string_equal(n.protocol, "");
    assert_string_equal(n.app, "");
    assert_string_equal(n.category, "");
}

static void test_tor_shaped_left_to_ndpi(void **state)
{
    (void)state;
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    assert_false(classify_tls_by_name(cls, &st, "www.q7zkx3vbn2.com", 18,
                                      NULL, NULL));
    assert_false(st.done);
    assert_null(st.ndpi);
    /* A known www.*.com name is not. */
    assert_true(classify_tls_by_name(cls, &st, "www.youtube.com", 15, NULL,
                                     NULL));
}

/* ---- QUIC Initials tlsmon could not open, against nDPI's own reading ---- */

static char captures_dir[4096];

/* One datagram as nDPI is given it. */
struct datagram {
    uint8_t l3[2048];
    uint32_t l3_len, payload_at;
    uint16_t sport, dport;
    uint64_t ts_us;
};

/* The first datagram of `file` that opens a QUIC client's connection. */
static void first_client_initial(const char *file, struct datagram *out)
{
    char path[4200], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof path, "%s/%s", captures_dir, file);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        fail_msg("%s: %s", path, err);
    struct decoder dec;
    decoder_init(&dec, 1 << 20);
    struct pcap_pkthdr *hdr;
    const u_char *frame;
    bool found = false;
    while (!found && pcap_next_ex(pc, &hdr, &frame) == 1) {
        struct packet pkt;
        uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000u +
                      (uint64_t)hdr->ts.tv_usec;
        if (decode_packet(&dec, pcap_datalink(pc), frame, hdr->caplen,
                          hdr->len, ts, &pkt) != DECODE_OK ||
            pkt.ip_proto != 17 || pkt.l3_len > sizeof out->l3 ||
            quic_sniff(pkt.payload, pkt.payload_len) != QUIC_SNIFF_CLIENT)
            continue;
        memcpy(out->l3, pkt.l3, pkt.l3_len);
        out->l3_len = pkt.l3_len;
        out->payload_at = (uint32_t)(pkt.payload - pkt.l3);
        out->sport = pkt.sport;
        out->dport = pkt.dport;
        out->ts_us = ts;
        found = true;
    }
    decoder_free(&dec);
    pcap_close(pc);
    if (!found)
        fail_msg("%s: no QUIC client Initial", file);
}

/* tlsmon's QUIC reader on the datagram: does it find its Initial unopened?
 * And into `name` (when not NULL), the server name of the hello it opened
 * ("" for none). */
static bool tlsmon_reads(const struct datagram *d, char *name, size_t n)
{
    struct tls_session *tls = tls_session_new(NULL, 0);
    assert_non_null(tls);
    struct quic_conn *q = quic_conn_new(tls, 0, NULL);
    assert_non_null(q);
    quic_datagram(q, 0, d->l3 + d->payload_at, d->l3_len - d->payload_at, 0,
                  d->ts_us);
    bool unopened = quic_lead_initial_unopened(q);
    const struct handshake *h = tls_record(tls);
    if (name)
        snprintf(name, n, "%s", h->ch.seen ? h->ch.sni : "");
    quic_conn_free(q);
    tls_session_free(tls);
    return unopened;
}

static bool tlsmon_finds_unopened(const struct datagram *d)
{
    return tlsmon_reads(d, NULL, 0);
}

static void set_ports(struct datagram *d, uint16_t sport, uint16_t dport)
{
    uint8_t *udp = d->l3 + d->payload_at - 8;
    udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
    d->sport = sport;
    d->dport = dport;
}

/* The same UDP datagram from an IPv6 client to an IPv6 server. */
static void to_ipv6(struct datagram *d, const uint8_t server[16])
{
    uint32_t udp_len = d->l3_len - d->payload_at + 8;
    uint8_t l3[sizeof d->l3];
    assert_true(40 + udp_len <= sizeof l3);
    memset(l3, 0, 40);
    l3[0] = 0x60;
    l3[4] = (uint8_t)(udp_len >> 8), l3[5] = (uint8_t)udp_len;
    l3[6] = 17;
    l3[7] = 64;
    static const uint8_t client[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    memcpy(l3 + 8, client, 16);
    memcpy(l3 + 24, server, 16);
    memcpy(l3 + 40, d->l3 + d->payload_at - 8, udp_len);
    memcpy(d->l3, l3, 40 + udp_len);
    d->l3_len = 40 + udp_len;
    d->payload_at = 48;
}

/* nDPI reading the datagram and the shortcut must leave the same state. */
static void assert_same_answer(const struct datagram *d, bool taken)
{
    struct classify_state by_ndpi, by_tlsmon;
    memset(&by_ndpi, 0, sizeof by_ndpi);
    memset(&by_tlsmon, 0, sizeof by_tlsmon);
    classify_packet(cls, &by_ndpi, d->l3, d->l3_len, d->ts_us);
    bool took = classify_quic_unopened(cls, &by_tlsmon, d->l3, d->l3_len,
                                       d->payload_at, d->sport, d->dport,
                                       d->ts_us);
    assert_int_equal(took, taken);
    if (!took)
        classify_packet(cls, &by_tlsmon, d->l3, d->l3_len, d->ts_us);
    /* After the datagram, and as the record would conclude. */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(by_tlsmon.done, by_ndpi.done);
        assert_int_equal(by_tlsmon.named, by_ndpi.named);
        assert_int_equal(by_tlsmon.packets, by_ndpi.packets);
        assert_int_equal(by_tlsmon.ndpi == NULL, by_ndpi.ndpi == NULL);
        const struct classify_result *a = &by_ndpi.result,
                                     *b = &by_tlsmon.result;
        assert_int_equal(b->verdict.stored, a->verdict.stored);
        assert_int_equal(b->verdict.master, a->verdict.master);
        assert_int_equal(b->verdict.app, a->verdict.app);
        assert_int_equal(b->verdict.category, a->verdict.category);
        assert_int_equal(b->risks, a->risks);
        assert_string_equal(b->server_name, a->server_name);
        assert_int_equal(b->tls_version, a->tls_version);
        classify_finish(cls, &by_ndpi);
        classify_finish(cls, &by_tlsmon);
    }
    struct names n = names_of(&by_ndpi);
    print_message("      %s:%u>%u: %s, %s\n", d->payload_at == 48 ? "v6" : "v4",
                  d->sport, d->dport, n.protocol, n.category);
}

/* The shortcut against nDPI on an Initial tlsmon finds unopened: from
 * the ports and addresses it came with and from others, and cut shorter
 * than nDPI takes an Initial. */
static void check_unopened(const struct datagram *d)
{
    static const uint8_t google6[16] = {0x2a, 0x00, 0x14, 0x50, 0x40, 0x01,
                                        [15] = 1};
    assert_same_answer(d, d->dport == 443 || d->sport == 443);
    /* To a server in nDPI's address list of Google's. */
    struct datagram g = *d;
    static const uint8_t google4[4] = {142, 250, 185, 78};
    if ((g.l3[0] >> 4) == 4)
        memcpy(g.l3 + 16, google4, 4);
    assert_same_answer(&g, true);
    /* Ports nDPI knows for another protocol, or for none. */
    static const uint16_t ports[][2] = {
        {50000, 443}, {443, 50000}, {50000, 4433}, {50000, 53},
        {50000, 3478}, {50000, 80}, {1024, 8443}};
    for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
        struct datagram v = *d;
        set_ports(&v, ports[p][0], ports[p][1]);
        bool quic_first = ports[p][0] == 443 || ports[p][1] == 443;
        assert_same_answer(&v, quic_first);
    }
    struct datagram v6 = *d;
    set_ports(&v6, 50000, 443);
    to_ipv6(&v6, google6);
    assert_same_answer(&v6, true);
    /* Too short for nDPI to take it for an Initial. */
    struct datagram shortened = *d;
    shortened.l3_len = shortened.payload_at + 1199;
    assert_same_answer(&shortened, false);
}

/* Where a client's Initial keeps its parts, from the start of the UDP
 * payload. */
struct initial_layout {
    size_t dcid_at;
    uint8_t dcid_len;
    size_t pn_at;  /* its packet number */
    size_t end;    /* its end (a coalesced packet may follow) */
};

static bool read_varint(struct cursor *c, uint64_t *out)
{
    uint8_t b;
    if (!cursor_u8(c, &b))
        return false;
    unsigned len = 1u << (b >> 6);
    uint64_t v = b & 0x3f;
    for (unsigned i = 1; i < len; i++) {
        if (!cursor_u8(c, &b))
            return false;
        v = v << 8 | b;
    }
    *out = v;
    return true;
}

static struct initial_layout layout_of(const struct datagram *d)
{
    struct initial_layout at;
    struct cursor c = cursor_make(d->l3 + d->payload_at,
                                  d->l3_len - d->payload_at);
    uint8_t scid_len;
    uint64_t token_len = 0, length = 0;
    assert_true(cursor_skip(&c, 5) && cursor_u8(&c, &at.dcid_len));
    at.dcid_at = cursor_pos(&c);
    assert_true(cursor_skip(&c, at.dcid_len) && cursor_u8(&c, &scid_len) &&
                cursor_skip(&c, scid_len) && read_varint(&c, &token_len) &&
                cursor_skip(&c, (size_t)token_len) &&
                read_varint(&c, &length) && length <= cursor_left(&c));
    at.pn_at = cursor_pos(&c);
    at.end = at.pn_at + (size_t)length;
    return at;
}

/* Removes (or puts back) the header protection of the Initial at `p` under
 * `k`: its packet number length, from the unprotected first byte. */
static unsigned toggle_header_protection(uint8_t *p,
                                         const struct initial_layout *at,
                                         const struct quic_keys *k,
                                         bool protected_now)
{
    uint8_t mask[5];
    assert_true(quic_hp_mask(k, p + at->pn_at + 4, mask));
    unsigned pn_len = ((protected_now ? p[0] ^ mask[0] : p[0]) & 3) + 1;
    p[0] ^= mask[0] & 0x0f;
    for (unsigned i = 0; i < pn_len; i++)
        p[at->pn_at + i] ^= mask[1 + i];
    return pn_len;
}

/* Seals `len` bytes of plaintext in place with AES-128-GCM (RFC 9001 §5.3),
 * the tag after them. */
static void seal(const struct quic_keys *k, uint64_t pn, const uint8_t *aad,
                 size_t aad_len, uint8_t *text, size_t len)
{
    assert_int_equal(k->aead, QUIC_AEAD_AES_128_GCM);
    uint8_t nonce[12];
    memcpy(nonce, k->iv, sizeof nonce);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n;
    assert_non_null(ctx);
    assert_true(
        EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) &&
        EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) &&
        EVP_EncryptUpdate(ctx, text, &n, text, (int)len) &&
        EVP_EncryptFinal_ex(ctx, text + n, &n) &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, QUIC_TAG_LEN,
                            text + len));
    EVP_CIPHER_CTX_free(ctx);
}

/* Google's T05x carry the hello in their own frame 0x08 (offset, length,
 * data, as CRYPTO's): the plaintext's first CRYPTO frame, if it holds the
 * whole hello from offset 0, rewritten so, the rest padding. */
static bool as_gquic_frames(uint8_t *plain, size_t len)
{
    struct cursor c = cursor_make(plain, len);
    uint8_t type = 0x00, msg[4];
    uint64_t off, hello_len;
    while (cursor_u8(&c, &type) && type == 0x00)
        ;
    if (type != 0x06 || !read_varint(&c, &off) || off != 0 ||
        !read_varint(&c, &hello_len) || hello_len > cursor_left(&c))
        return false;
    struct cursor hello = c;
    if (!cursor_copy(&hello, msg, 4) ||
        4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]) != hello_len)
        return false;
    /* Type, offset 0, a two-byte length. */
    const uint8_t frame[] = {0x08, 0x00, (uint8_t)(0x40 | hello_len >> 8),
                             (uint8_t)hello_len};
    size_t hello_at = cursor_pos(&c), frame_len = sizeof frame;
    if (hello_len >= 0x4000 || frame_len + hello_len > len)
        return false;
    memmove(plain + frame_len, plain + hello_at, (size_t)hello_len);
    memcpy(plain, frame, frame_len);
    memset(plain + frame_len + hello_len, 0,
           len - frame_len - (size_t)hello_len);
    return true;
}

static void set_version(struct datagram *d, uint32_t version)
{
    uint8_t *p = d->l3 + d->payload_at;
    p[1] = (uint8_t)(version >> 24), p[2] = (uint8_t)(version >> 16);
    p[3] = (uint8_t)(version >> 8), p[4] = (uint8_t)version;
}

/* The real v1 Initial `d`, opened and protected again as `version` under
 * the Initial keys tlsmon derives for it. False when its hello cannot be
 * put in that version's frames. */
static bool protect_as(struct datagram *d, uint32_t version)
{
    uint8_t *p = d->l3 + d->payload_at;
    struct initial_layout at = layout_of(d);
    const struct quic_version_info *v1 = quic_version_lookup(QUIC_V1),
                                   *to = quic_version_lookup(version);
    assert_non_null(to);
    struct quic_keys k1, kx;
    assert_true(quic_initial_keys(v1, p + at.dcid_at, at.dcid_len, &k1, NULL));
    assert_true(quic_initial_keys(to, p + at.dcid_at, at.dcid_len, &kx, NULL));
    unsigned pn_len = toggle_header_protection(p, &at, &k1, true);
    uint64_t pn = 0;
    for (unsigned i = 0; i < pn_len; i++)
        pn = pn << 8 | p[at.pn_at + i];
    size_t body_at = at.pn_at + pn_len, ct_len = at.end - body_at;
    static uint8_t plain[2048];
    assert_true(ct_len >= QUIC_TAG_LEN && ct_len <= sizeof plain);
    assert_true(quic_aead_open(&k1, pn, p, body_at, p + body_at, ct_len,
                               plain));
    size_t plain_len = ct_len - QUIC_TAG_LEN;
    if (to->gquic_frames && !as_gquic_frames(plain, plain_len))
        return false;
    set_version(d, version);
    memcpy(p + body_at, plain, plain_len);
    seal(&kx, pn, p, body_at, p + body_at, plain_len);
    toggle_header_protection(p, &at, &kx, false);
    return true;
}

/* Versions the shortcut must take: their Initial keys nDPI derives as
 * tlsmon does (v1, drafts 23 to 33, mvfst, T050/T051). */
static const uint32_t taken_versions[] = {
    0xff000017u, 0xff000018u, 0xff00001bu, 0xff00001cu, 0xff00001du,
    0xff00001eu, 0xff000020u, 0xff000021u, 0xfaceb001u, 0xfaceb002u,
    0xfaceb00eu, 0x54303530u, 0x54303531u,
};
/* And some it must not: drafts nDPI does not derive keys for or derives
 * otherwise (22; 34 on, v2's provisional salt and labels), QUIC v2 and
 * its provisional number (not QUIC to nDPI 4.2), Google's Q050, versions
 * tlsmon does not know (reserved, other mvfst, v2's drafts). */
static const uint32_t refused_versions[] = {
    0xff000016u, 0xff000022u, 0xff000023u, 0xff0000ffu, QUIC_V2,
    QUIC_V2_DRAFT, 0x51303530u, 0x1a2a3a4au, 0xfaceb003u, 0xff020000u,
};

/* How many real Initials nDPI opened as each taken version. */
static size_t opened_by_both[sizeof taken_versions / sizeof taken_versions[0]];

static bool shortcut_takes(const struct datagram *d)
{
    struct classify_state st;
    memset(&st, 0, sizeof st);
    struct datagram v = *d;
    set_ports(&v, 50000, 443);
    bool took = classify_quic_unopened(cls, &st, v.l3, v.l3_len, v.payload_at,
                                       v.sport, v.dport, v.ts_us);
    classify_release(cls, &st);
    return took;
}

/* The real v1 Initial `real` and its unopened copy `unopened`, as each
 * other version: where the shortcut takes the version, nDPI must open what
 * tlsmon opens under that version's keys (the same name), and answer as
 * the shortcut where tlsmon does not. */
static void check_other_versions(const struct datagram *real,
                                 const struct datagram *unopened)
{
    char v1_name[80], tlsmon_name[300];
    struct classify_state st;
    struct datagram r = *real;
    set_ports(&r, 50000, 443);
    memset(&st, 0, sizeof st);
    classify_packet(cls, &st, r.l3, r.l3_len, r.ts_us);
    classify_finish(cls, &st);
    snprintf(v1_name, sizeof v1_name, "%s", st.result.server_name);
    classify_release(cls, &st);
    size_t n_taken = sizeof taken_versions / sizeof taken_versions[0];
    size_t n_all = n_taken + sizeof refused_versions / sizeof refused_versions[0];
    for (size_t i = 0; i < n_all; i++) {
        uint32_t version = i < n_taken ? taken_versions[i]
                                       : refused_versions[i - n_taken];
        struct datagram d = *unopened;
        set_version(&d, version);
        bool taken = quic_version_lookup(version) &&
                     tlsmon_finds_unopened(&d) && shortcut_takes(&d);
        print_message("      0x%08x: %s\n", version, taken ? "taken" : "not");
        assert_int_equal(taken, i < n_taken);
        if (!taken) {
            assert_same_answer(&d, false);
            continue;
        }
        check_unopened(&d);
        /* (A hello nDPI reads only whole, in one Initial.) */
        struct datagram sealed = r;
        if (v1_name[0] == '\0' || !protect_as(&sealed, version))
            continue;
        assert_false(tlsmon_reads(&sealed, tlsmon_name, sizeof tlsmon_name));
        assert_string_equal(tlsmon_name, v1_name);
        memset(&st, 0, sizeof st);
        classify_packet(cls, &st, sealed.l3, sealed.l3_len, sealed.ts_us);
        classify_finish(cls, &st);
        assert_string_equal(st.result.server_name, v1_name);
        classify_release(cls, &st);
        opened_by_both[i]++;
    }
}

static void test_quic_unopened_as_ndpi_reads_it(void **state)
{
    (void)state;
    static const char *const files[] = {
        "quic-v1.pcap",         "quic-0rtt.pcap",
        "quic-retry.pcap",      "quic-hello-two-initials.pcap",
        "quic-expired.pcap",    "quic-version-negotiation.pcap",
        "quic-no-server.pcap",  "quic-alpn-mismatch.pcap",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct datagram real;
        first_client_initial(files[i], &real);
        print_message("    %s\n", files[i]);
        /* tlsmon opens the real Initial: nDPI reads it itself. */
        assert_false(tlsmon_finds_unopened(&real));
        /* The same Initial with one byte of its ciphertext changed. */
        struct datagram d = real;
        d.l3[d.payload_at + 300] ^= 0x01;
        static const uint8_t v1[4] = {0, 0, 0, 1};
        if (memcmp(d.l3 + d.payload_at + 1, v1, 4) != 0) {
            /* Another version (the one a server refuses): not for the
             * shortcut, whatever tlsmon made of it. */
            assert_same_answer(&d, false);
            continue;
        }
        assert_true(tlsmon_finds_unopened(&d));
        check_unopened(&d);
        check_other_versions(&real, &d);
    }
    for (size_t v = 0; v < sizeof opened_by_both / sizeof opened_by_both[0];
         v++)
        assert_true(opened_by_both[v] > 0);
}

/* What nDPI allocates for a flow is charged to the classifier's memcap
 * while it reads, and all of it is released with the flow; its start-up
 * blocks are not charged. */
static void test_flow_memory_charged_and_released(void **state)
{
    (void)state;
    struct datagram d;
    first_client_initial("quic-v1.pcap", &d);
    struct memcap m;
    memset(&m, 0, sizeof(m));
    classifier_charge(cls, &m);
    struct classify_state st;
    memset(&st, 0, sizeof(st));
    classify_packet(cls, &st, d.l3, d.l3_len, d.ts_us);
    /* Its flow object at least, nothing of start-up. */
    assert_true(m.peak > 0);
    assert_true(m.peak < (1u << 20));
    classify_finish(cls, &st);
    assert_null(st.ndpi);
    assert_int_equal(m.used, 0);
    classifier_charge(cls, NULL);
}

/* A datagram of another version is not for the shortcut. */
static void test_quic_unopened_refuses_other_versions(void **state)
{
    (void)state;
    struct datagram d;
    first_client_initial("quic-v2.pcap", &d);
    struct classify_state st;
    memset(&st, 0, sizeof st);
    assert_false(classify_quic_unopened(cls, &st, d.l3, d.l3_len,
                                        d.payload_at, d.sport, d.dport,
                                        d.ts_us));
    assert_null(st.ndpi);
    assert_false(st.done);
}

int main(void)
{
    const char *root = getenv("TLSMON_SOURCE_ROOT");
    if (root) {
        snprintf(captures_dir, sizeof captures_dir, "%s/captures", root);
    } else {
        /* __FILE__ ends in tests/unit/test_classify.c. */
        snprintf(captures_dir, sizeof captures_dir, "%s", __FILE__);
        char *cut = strstr(captures_dir, "tests/unit/test_classify.c");
        if (cut)
            strcpy(cut, "captures");
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_application),
        cmocka_unit_test(test_unknown_name_is_tls),
        cmocka_unit_test(test_tor_shaped_left_to_ndpi),
        cmocka_unit_test(test_quic_unopened_as_ndpi_reads_it),
        cmocka_unit_test(test_quic_unopened_refuses_other_versions),
        cmocka_unit_test(test_flow_memory_charged_and_released),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
