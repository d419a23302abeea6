/* test_tls_decrypt.c — key-log decryption: the TLS 1.3 key schedule and
 * record protection on RFC 8448 §3 (secrets, traffic keys, every record of
 * the trace, the transcript that links them), the whole trace through the
 * TLS dissector with and without keys, wrong and missing keys, records
 * held for a followed key log; TLS 1.0–1.2 records sealed here with an
 * independent PRF (HMAC P_hash) for AES-GCM, ChaCha20-Poly1305, CCM_8 and
 * CBC with MAC-then-encrypt, encrypt-then-MAC and TLS 1.0's chained IV;
 * TLS 1.3 records of every suite; RFC 8879 certificate decompression. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <brotli/encode.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>
#include <zstd.h>

#include "dissectors/cert_decompress.h"
#include "dissectors/digest.h"
#include "dissectors/hkdf.h"
#include "dissectors/keylog.h"
#include "dissectors/outcome.h"
#include "dissectors/tls.h"
#include "dissectors/tls_decrypt.h"
#include "rfc8448.h"

#define unhex rfc8448_unhex

/* A record (header + body) as hex: the body's cursor and the header. */
struct rec {
    uint8_t bytes[1024];
    size_t len;
    uint8_t type;
    uint16_t version;
    struct cursor body;
};

static void load_record(struct rec *r, const char *hex)
{
    r->len = unhex(hex, r->bytes, sizeof r->bytes);
    assert_true(r->len > 5);
    r->type = r->bytes[0];
    r->version = (uint16_t)(r->bytes[1] << 8 | r->bytes[2]);
    assert_int_equal((size_t)(r->bytes[3] << 8 | r->bytes[4]), r->len - 5);
    r->body = cursor_make(r->bytes + 5, r->len - 5);
}

static void tls13_key(struct tls_record_key *k, const char *secret_hex)
{
    uint8_t secret[48];
    size_t n = unhex(secret_hex, secret, sizeof secret);
    assert_true(tls13_record_key(k, tls_suite_find(0x1301, 0x0304), secret, n));
}

static void assert_bytes(const uint8_t *got, size_t len, const char *hex)
{
    uint8_t want[64];
    assert_int_equal(unhex(hex, want, sizeof want), len);
    assert_memory_equal(got, want, len);
}

/* ---- RFC 8448: key schedule and records ---- */

static void test_rfc8448_traffic_keys(void **state)
{
    (void)state;
    struct tls_record_key k;
    tls13_key(&k, R8448_S_HS_TRAFFIC);
    assert_bytes(k.key, 16, R8448_S_HS_KEY);
    assert_bytes(k.iv, 12, R8448_S_HS_IV);
    tls13_key(&k, R8448_C_HS_TRAFFIC);
    assert_bytes(k.key, 16, R8448_C_HS_KEY);
    assert_bytes(k.iv, 12, R8448_C_HS_IV);
    tls13_key(&k, R8448_S_AP_TRAFFIC);
    assert_bytes(k.key, 16, R8448_S_AP_KEY);
    assert_bytes(k.iv, 12, R8448_S_AP_IV);
    tls13_key(&k, R8448_C_AP_TRAFFIC);
    assert_bytes(k.key, 16, R8448_C_AP_KEY);
    assert_bytes(k.iv, 12, R8448_C_AP_IV);
    /* A secret of the wrong hash length is refused. */
    uint8_t short_secret[20] = {0};
    assert_false(tls13_record_key(&k, tls_suite_find(0x1301, 0x0304),
                                  short_secret, sizeof short_secret));
    assert_false(k.ready);
}

static void open_ok(struct tls_record_key *k, struct rec *r, uint8_t inner,
                    uint8_t *out, size_t *n)
{
    uint8_t type;
    assert_int_equal(tls_record_open(k, r->type, r->version, &r->body, out, n,
                                     &type),
                     TLS_DEC_OK);
    assert_int_equal(type, inner);
}

/* The secret tree of RFC 8446 §7.1, linked by the transcript: the
 * decrypted server flight must hash to the RFC's value, from which the
 * application secrets follow. */
static void test_rfc8448_key_schedule(void **state)
{
    (void)state;
    const EVP_MD *md = digest_sha256();
    uint8_t zero[32] = {0}, early[32], derived[32], hs[32], ecdhe[32], th[32];
    uint8_t secret[32], empty[32], master[32];
    unsigned int len;

    assert_true(hkdf_extract(md, NULL, 0, zero, 32, early));
    assert_bytes(early, 32, R8448_EARLY_SECRET);
    EVP_Digest("", 0, empty, &len, md, NULL);
    assert_true(hkdf_expand_label(md, early, 32, "derived", empty, 32,
                                  derived, 32));
    unhex(R8448_ECDHE, ecdhe, sizeof ecdhe);
    assert_true(hkdf_extract(md, derived, 32, ecdhe, 32, hs));
    assert_bytes(hs, 32, R8448_HANDSHAKE_SECRET);

    /* Transcript: ClientHello and ServerHello messages. */
    static uint8_t transcript[2048];
    size_t t = 0;
    struct rec ch, sh, flight;
    load_record(&ch, R8448_CH_RECORD);
    load_record(&sh, R8448_SH_RECORD);
    memcpy(transcript + t, ch.bytes + 5, ch.len - 5);
    t += ch.len - 5;
    memcpy(transcript + t, sh.bytes + 5, sh.len - 5);
    t += sh.len - 5;
    EVP_Digest(transcript, t, th, &len, md, NULL);
    assert_true(hkdf_expand_label(md, hs, 32, "c hs traffic", th, 32, secret,
                                  32));
    assert_bytes(secret, 32, R8448_C_HS_TRAFFIC);
    assert_true(hkdf_expand_label(md, hs, 32, "s hs traffic", th, 32, secret,
                                  32));
    assert_bytes(secret, 32, R8448_S_HS_TRAFFIC);

    /* Open the server's flight; its plaintext extends the transcript. */
    struct tls_record_key k;
    static uint8_t out[TLS_DEC_MAX_RECORD];
    size_t n;
    tls13_key(&k, R8448_S_HS_TRAFFIC);
    load_record(&flight, R8448_FLIGHT_RECORD);
    open_ok(&k, &flight, 22, out, &n);
    assert_int_equal(n, 657);
    assert_int_equal(out[0], 8); /* EncryptedExtensions first */
    memcpy(transcript + t, out, n);
    t += n;
    EVP_Digest(transcript, t, th, &len, md, NULL);
    assert_true(hkdf_expand_label(md, hs, 32, "derived", empty, 32, derived,
                                  32));
    assert_true(hkdf_extract(md, derived, 32, zero, 32, master));
    assert_bytes(master, 32, R8448_MASTER_SECRET);
    assert_true(hkdf_expand_label(md, master, 32, "c ap traffic", th, 32,
                                  secret, 32));
    assert_bytes(secret, 32, R8448_C_AP_TRAFFIC);
    assert_true(hkdf_expand_label(md, master, 32, "s ap traffic", th, 32,
                                  secret, 32));
    assert_bytes(secret, 32, R8448_S_AP_TRAFFIC);
}

static void test_rfc8448_records(void **state)
{
    (void)state;
    struct tls_record_key c_hs, c_ap, s_ap;
    struct rec r;
    static uint8_t out[TLS_DEC_MAX_RECORD];
    size_t n;

    tls13_key(&c_hs, R8448_C_HS_TRAFFIC);
    load_record(&r, R8448_CFIN_RECORD);
    open_ok(&c_hs, &r, 22, out, &n);
    assert_int_equal(n, 36);
    assert_bytes(out, 4, "14 00 00 20"); /* Finished, 32 bytes */

    tls13_key(&s_ap, R8448_S_AP_TRAFFIC);
    load_record(&r, R8448_NST_RECORD);
    open_ok(&s_ap, &r, 22, out, &n);
    assert_int_equal(out[0], 4); /* NewSessionTicket */
    load_record(&r, R8448_S_APP_RECORD);
    open_ok(&s_ap, &r, 23, out, &n);
    assert_int_equal(n, 50);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i], i);
    load_record(&r, R8448_S_ALERT_RECORD);
    open_ok(&s_ap, &r, 21, out, &n);
    assert_int_equal(n, 2);
    assert_bytes(out, 2, "01 00"); /* warning close_notify */
    assert_int_equal(s_ap.seq, 3);

    tls13_key(&c_ap, R8448_C_AP_TRAFFIC);
    load_record(&r, R8448_C_APP_RECORD);
    open_ok(&c_ap, &r, 23, out, &n);
    load_record(&r, R8448_C_ALERT_RECORD);
    open_ok(&c_ap, &r, 21, out, &n);
    assert_bytes(out, 2, "01 00");
}

/* Damaged bytes, the other direction's key, and a sequence number past
 * the window all fail to authenticate; records lost before one are
 * stepped over within the window. */
static void test_rfc8448_failures(void **state)
{
    (void)state;
    struct tls_record_key k;
    struct rec r;
    static uint8_t out[TLS_DEC_MAX_RECORD];
    size_t n;
    uint8_t type;

    tls13_key(&k, R8448_S_AP_TRAFFIC);
    load_record(&r, R8448_S_APP_RECORD); /* sequence number 1 */
    open_ok(&k, &r, 23, out, &n);        /* found one past the expected */
    assert_int_equal(k.seq, 2);

    tls13_key(&k, R8448_C_AP_TRAFFIC);
    assert_int_equal(tls_record_open(&k, r.type, r.version, &r.body, out, &n,
                                     &type),
                     TLS_DEC_AUTH_FAILED);
    assert_int_equal(k.seq, 0);

    tls13_key(&k, R8448_S_AP_TRAFFIC);
    k.seq = 2; /* past it: no going back */
    assert_int_equal(tls_record_open(&k, r.type, r.version, &r.body, out, &n,
                                     &type),
                     TLS_DEC_AUTH_FAILED);

    tls13_key(&k, R8448_S_AP_TRAFFIC);
    r.bytes[20] ^= 1;
    assert_int_equal(tls_record_open(&k, r.type, r.version, &r.body, out, &n,
                                     &type),
                     TLS_DEC_AUTH_FAILED);

    /* Shorter than a tag: malformed, and nothing read past it. */
    struct cursor tiny = cursor_make(r.bytes + 5, 10);
    assert_int_equal(tls_record_open(&k, 23, 0x0303, &tiny, out, &n, &type),
                     TLS_DEC_MALFORMED);
}

static void test_key_update(void **state)
{
    (void)state;
    struct tls_record_key k;
    tls13_key(&k, R8448_S_AP_TRAFFIC);
    k.seq = 5;
    uint8_t before[16];
    memcpy(before, k.key, 16);
    assert_true(tls13_record_key_update(&k));
    assert_int_equal(k.seq, 0);
    assert_memory_not_equal(before, k.key, 16);
    /* The next secret is HKDF-Expand-Label(secret, "traffic upd", "", 32). */
    uint8_t s0[32], s1[32];
    unhex(R8448_S_AP_TRAFFIC, s0, sizeof s0);
    assert_true(hkdf_expand_label(digest_sha256(), s0, 32, "traffic upd",
                                  NULL, 0, s1, 32));
    assert_memory_equal(k.secret, s1, 32);
}

/* ---- RFC 8448 through the dissector ---- */

struct feed {
    int side;
    const char *hex;
};

static const struct feed trace[] = {
    {0, R8448_CH_RECORD},     {1, R8448_SH_RECORD}, {1, R8448_FLIGHT_RECORD},
    {0, R8448_CFIN_RECORD},   {1, R8448_NST_RECORD},
    {0, R8448_C_APP_RECORD},  {1, R8448_S_APP_RECORD},
    {0, R8448_C_ALERT_RECORD}, {1, R8448_S_ALERT_RECORD},
};

#define T0 1700000000000000ull

static char *keylog_text(const char *label, const char *secret_hex,
                         char *buf, size_t cap)
{
    uint8_t random[32], secret[48];
    size_t n = unhex(secret_hex, secret, sizeof secret);
    unhex(R8448_CLIENT_RANDOM, random, sizeof random);
    size_t off = (size_t)snprintf(buf, cap, "%s ", label);
    for (int i = 0; i < 32; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%02x", random[i]);
    buf[off++] = ' ';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%02x", secret[i]);
    buf[off++] = '\n';
    buf[off] = '\0';
    return buf;
}

static void add_secret(struct keylog *kl, const char *label, const char *hex)
{
    char line[256];
    keylog_text(label, hex, line, sizeof line);
    assert_int_equal(keylog_add_text(kl, (const uint8_t *)line, strlen(line),
                                     false),
                     strlen(line));
}

static struct keylog *rfc8448_keylog(bool server_hs, bool corrupt)
{
    struct keylog *kl = keylog_new(1 << 20);
    add_secret(kl, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", R8448_C_HS_TRAFFIC);
    /* One bit off the real secret. */
    static const char wrong_s_hs[] =
        "b7 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 "
        "10 5d 42 be fd 59 d3 91 ad 38";
    if (server_hs)
        add_secret(kl, "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                   corrupt ? wrong_s_hs : R8448_S_HS_TRAFFIC);
    add_secret(kl, "CLIENT_TRAFFIC_SECRET_0", R8448_C_AP_TRAFFIC);
    add_secret(kl, "SERVER_TRAFFIC_SECRET_0", R8448_S_AP_TRAFFIC);
    return kl;
}

/* Feed the trace (in `chunk`-byte pieces; 0 = whole records). */
static struct tls_session *run_trace(struct keylog *kl, size_t chunk)
{
    struct tls_limits lim = {0, kl};
    struct tls_session *s = tls_session_new(&lim, 0);
    for (size_t i = 0; i < sizeof trace / sizeof *trace; i++) {
        static uint8_t buf[1024];
        size_t n = unhex(trace[i].hex, buf, sizeof buf);
        size_t step = chunk ? chunk : n;
        for (size_t off = 0; off < n; off += step)
            tls_feed(s, trace[i].side, buf + off,
                     (uint32_t)(off + step <= n ? step : n - off),
                     T0 + i * 1000);
    }
    tls_closed(s, 0, TLS_CLOSE_FIN, T0 + 20000);
    return s;
}

static void test_rfc8448_session(void **state)
{
    (void)state;
    struct keylog *kl = rfc8448_keylog(true, false);
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        struct tls_session *s = run_trace(kl, chunk);
        struct handshake *h = tls_record(s);
        assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
        assert_true(h->decryption.attempted);
        assert_int_equal(h->decryption.records, 3); /* flight, Fin, NST */
        assert_int_equal(h->decryption.failed, 0);
        assert_int_equal(h->decryption.missing, 0);
        assert_non_null(h->ee);
        assert_true(h->ee->seen);
        assert_int_equal(h->ee->extensions.n, 3);
        assert_int_equal(h->ee->extensions.v[0], 10); /* supported_groups */
        assert_int_equal(h->ee->extensions.v[1], 28); /* record_size_limit */
        assert_int_equal(h->ee->extensions.v[2], 0);  /* server_name */
        assert_true(h->server_certs.seen);
        assert_int_equal(h->server_certs.n_certs, 1);
        assert_int_equal(h->server_certs.certs[0].len, 432);
        assert_true(h->finished[TLS_SIDE_CLIENT]);
        assert_true(h->finished[TLS_SIDE_SERVER]);
        assert_true(h->new_session_ticket);
        assert_int_equal(h->decryption.messages[TLS_SIDE_SERVER],
                         (1u << 8) | (1u << 11) | (1u << 15) | (1u << 20) |
                             (1u << 4));
        assert_int_equal(h->decryption.messages[TLS_SIDE_CLIENT], 1u << 20);
        assert_int_equal(h->stage, STAGE_APPLICATION_DATA);
        assert_int_equal(hs_rare(h)->alerts.n, 0);
        assert_false(h->parse_error);
        tls_session_free(s);
    }
    keylog_free(kl);
}

/* Without the keys the record says the same except for what they showed;
 * a key log without this handshake's secrets reports them missing. */
static void test_rfc8448_session_without_keys(void **state)
{
    (void)state;
    struct keylog *kl = rfc8448_keylog(true, false);
    struct tls_session *with = run_trace(kl, 0);
    struct tls_session *without = run_trace(NULL, 0);
    struct keylog *other = keylog_new(1 << 20);
    const char *line = "CLIENT_RANDOM "
                       "0000000000000000000000000000000000000000000000000000000000000000 "
                       "000000000000000000000000000000000000000000000000"
                       "000000000000000000000000000000000000000000000000\n";
    keylog_add_text(other, (const uint8_t *)line, strlen(line), false);
    struct tls_session *nokey = run_trace(other, 0);

    struct handshake *a = tls_record(with), *b = tls_record(without),
                     *c = tls_record(nokey);
    assert_int_equal(a->outcome, b->outcome);
    assert_int_equal(a->decided_us, b->decided_us);
    assert_int_equal(a->handshake_us, b->handshake_us);
    assert_int_equal(a->stage, b->stage);
    assert_int_equal(a->encrypted_records[0], b->encrypted_records[0]);
    assert_int_equal(a->encrypted_records[1], b->encrypted_records[1]);
    assert_int_equal(a->first_client_encrypted_len,
                     b->first_client_encrypted_len);
    assert_false(b->decryption.attempted);
    assert_false(b->server_certs.seen);

    assert_int_equal(c->outcome, b->outcome);
    assert_int_equal(c->decided_us, b->decided_us);
    assert_true(c->decryption.attempted);
    assert_int_equal(c->decryption.records, 0);
    assert_int_equal(c->decryption.missing,
                     (1u << KEYLOG_CLIENT_HANDSHAKE) |
                         (1u << KEYLOG_SERVER_HANDSHAKE));
    assert_false(c->server_certs.seen);
    tls_session_free(with);
    tls_session_free(without);
    tls_session_free(nokey);
    keylog_free(kl);
    keylog_free(other);
}

/* A wrong server secret: its record fails, is counted, and is read as
 * without keys; the client's records still open. */
static void test_rfc8448_wrong_key(void **state)
{
    (void)state;
    struct keylog *kl = rfc8448_keylog(true, true);
    struct tls_session *s = run_trace(kl, 0);
    struct handshake *h = tls_record(s);
    assert_int_equal(h->outcome, OUTCOME_ESTABLISHED);
    /* The flight and the NewSessionTicket (still waiting for the flight's
     * Finished) fail; the second in a row stops the server's side. */
    assert_int_equal(h->decryption.failed, 2);
    assert_int_equal(h->decryption.records, 1); /* the client's Finished */
    assert_false(h->server_certs.seen);
    assert_true(h->finished[TLS_SIDE_CLIENT]);
    tls_session_free(s);
    keylog_free(kl);

    /* Only the client's secrets: the server's are reported missing. */
    kl = rfc8448_keylog(false, false);
    s = run_trace(kl, 0);
    h = tls_record(s);
    assert_int_equal(h->decryption.missing, 1u << KEYLOG_SERVER_HANDSHAKE);
    assert_int_equal(h->decryption.records, 1);
    tls_session_free(s);
    keylog_free(kl);
}

/* A followed key log that gets the secrets only after the server's flight
 * arrived: the flight waits, and is read with them once they are there
 * (here at the close, which reads the file again at once). */
static void test_held_until_keys_arrive(void **state)
{
    (void)state;
    char path[] = "/tmp/tlsmon-test-keylog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    struct keylog *kl = keylog_new(1 << 20);
    char err[256];
    assert_true(keylog_add_file(kl, path, true, err, sizeof err));
    assert_true(keylog_following(kl));

    struct tls_limits lim = {0, kl};
    struct tls_session *s = tls_session_new(&lim, 0);
    static uint8_t buf[1024];
    size_t n, before = 0;
    for (size_t i = 0; i < 4; i++) { /* up to the client's Finished */
        n = unhex(trace[i].hex, buf, sizeof buf);
        tls_feed(s, trace[i].side, buf, (uint32_t)n, T0 + i * 1000);
        if (i == 1)
            before = tls_session_memory(s);
    }
    struct handshake *h = tls_record(s);
    assert_int_equal(h->outcome, OUTCOME_UNDECIDED);
    assert_false(h->server_certs.seen); /* waiting, not read without keys */
    assert_int_equal(h->encrypted_records[TLS_SIDE_SERVER], 0);
    /* What waits is charged to the session. */
    assert_true(tls_session_memory(s) >= before + 674 + 53);

    char line[256];
    const char *labels[] = {"SERVER_HANDSHAKE_TRAFFIC_SECRET",
                            "CLIENT_HANDSHAKE_TRAFFIC_SECRET"};
    const char *secrets[] = {R8448_S_HS_TRAFFIC, R8448_C_HS_TRAFFIC};
    for (int i = 0; i < 2; i++) {
        keylog_text(labels[i], secrets[i], line, sizeof line);
        assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    }
    close(fd);
    tls_closed(s, 0, TLS_CLOSE_FIN, T0 + 9000);
    assert_true(h->server_certs.seen);
    assert_true(h->finished[TLS_SIDE_CLIENT]);
    /* The client spoke last: its FIN waits for the server's answer, and
     * the decryption report is the decision's. */
    tls_closed(s, 1, TLS_CLOSE_FIN, T0 + 9100);
    assert_int_equal(h->decryption.records, 2);
    /* The records were read at their own time, not the close's. */
    assert_int_equal(h->encrypted_records[TLS_SIDE_SERVER], 1);
    tls_session_free(s);
    keylog_free(kl);
    unlink(path);
}

/* ---- TLS 1.0-1.2: records sealed here ---- */

/* P_hash of RFC 5246 §5 with one-shot HMACs: independent of the TLS1-PRF
 * KDF the decryptor uses. TLS 1.0/1.1 XOR P_MD5 and P_SHA1 over the two
 * halves of the secret. */
static void p_hash(const EVP_MD *md, const uint8_t *secret, size_t slen,
                   const uint8_t *seed, size_t seed_len, uint8_t *out,
                   size_t len)
{
    uint8_t a[64], block[64 + 256], h[64];
    unsigned int hl, al;
    HMAC(md, secret, (int)slen, seed, seed_len, a, &al);
    for (size_t off = 0; off < len;) {
        memcpy(block, a, al);
        memcpy(block + al, seed, seed_len);
        HMAC(md, secret, (int)slen, block, al + seed_len, h, &hl);
        for (unsigned i = 0; i < hl && off < len; i++)
            out[off++] ^= h[i];
        uint8_t next[64];
        HMAC(md, secret, (int)slen, a, al, next, &al);
        memcpy(a, next, al);
    }
}

static void prf(uint16_t version, const EVP_MD *md, const uint8_t *master,
                const uint8_t *cr, const uint8_t *sr, uint8_t *out, size_t len)
{
    uint8_t seed[13 + 64];
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, sr, 32);
    memcpy(seed + 45, cr, 32);
    memset(out, 0, len);
    if (version == 0x0303) {
        p_hash(md, master, 48, seed, sizeof seed, out, len);
    } else {
        p_hash(EVP_md5(), master, 24, seed, sizeof seed, out, len);
        p_hash(EVP_sha1(), master + 24, 24, seed, sizeof seed, out, len);
    }
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void hdr13(uint8_t *h, uint64_t seq, uint8_t type, uint16_t v,
                  size_t len)
{
    put64(h, seq);
    h[8] = type;
    h[9] = (uint8_t)(v >> 8);
    h[10] = (uint8_t)v;
    h[11] = (uint8_t)(len >> 8);
    h[12] = (uint8_t)len;
}

static size_t aead_seal(const char *cipher, bool ccm, const uint8_t *key,
                        const uint8_t *nonce, const uint8_t *aad,
                        size_t aad_len, const uint8_t *pt, size_t len,
                        int tag_len, uint8_t *out)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(ctx, c, NULL, NULL, NULL), 1);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
    if (ccm)
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, NULL);
    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce);
    if (ccm)
        EVP_EncryptUpdate(ctx, NULL, &n, NULL, (int)len);
    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len);
    EVP_EncryptUpdate(ctx, out, &n, pt, (int)len);
    EVP_EncryptFinal_ex(ctx, out + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_len, out + len);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
    return len + (size_t)tag_len;
}

static const uint8_t finished12[16] = {0x14, 0, 0, 12, 1, 2, 3, 4,
                                       5,    6, 7, 8,  9, 10, 11, 12};

struct tls12_case {
    uint16_t suite, version;
    const char *cipher;
    int kind; /* 0 GCM, 1 CCM, 2 ChaCha, 3 CBC */
    size_t key_len, iv_len, mac_len;
    int tag_len;
    bool etm;
};

/* Seal `pt` as record `seq` of the client. Returns the body length. */
static size_t seal12(const struct tls12_case *tc, const uint8_t *kb,
                     uint64_t seq, uint8_t type, const uint8_t *pt, size_t len,
                     uint8_t *iv_state, uint8_t *body)
{
    const uint8_t *mac_key = kb, *key = kb + 2 * tc->mac_len;
    const uint8_t *iv = kb + 2 * tc->mac_len + 2 * tc->key_len;
    uint8_t h[13], nonce[12];
    if (tc->kind != 3) {
        size_t off = 0;
        if (tc->kind == 2) {
            memcpy(nonce, iv, 12);
            uint8_t s[8];
            put64(s, seq);
            for (int i = 0; i < 8; i++)
                nonce[4 + i] ^= s[i];
        } else {
            memcpy(nonce, iv, 4);
            put64(nonce + 4, seq ^ 0x5a5a5a5a5a5a5a5aull);
            memcpy(body, nonce + 4, 8);
            off = 8;
        }
        hdr13(h, seq, type, tc->version, len);
        return off + aead_seal(tc->cipher, tc->kind == 1, key, nonce, h, 13,
                               pt, len, tc->tag_len, body + off);
    }
    /* CBC: MAC-then-encrypt or encrypt-then-MAC. */
    const EVP_MD *md = tc->mac_len == 20 ? EVP_sha1() : EVP_sha256();
    uint8_t plain[256], ivb[16];
    unsigned int ml;
    size_t n = 0, bs = 16, iv_out = tc->version >= 0x0302 ? bs : 0;
    memcpy(plain, pt, len);
    n = len;
    if (!tc->etm) {
        uint8_t mac_in[13 + 64];
        hdr13(mac_in, seq, type, tc->version, len);
        memcpy(mac_in + 13, pt, len);
        HMAC(md, mac_key, (int)tc->mac_len, mac_in, 13 + len, plain + n, &ml);
        n += ml;
    }
    uint8_t pad = (uint8_t)(bs - 1 - n % bs);
    for (int i = 0; i <= pad; i++)
        plain[n++] = pad;
    if (iv_out) {
        for (size_t i = 0; i < bs; i++)
            ivb[i] = (uint8_t)(0xa0 + i + seq);
        memcpy(body, ivb, bs);
    } else {
        memcpy(ivb, iv_state, bs);
    }
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int o1 = 0, o2 = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, ivb);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EVP_EncryptUpdate(ctx, body + iv_out, &o1, plain, (int)n);
    EVP_EncryptFinal_ex(ctx, body + iv_out + o1, &o2);
    EVP_CIPHER_CTX_free(ctx);
    size_t total = iv_out + n;
    if (!iv_out)
        memcpy(iv_state, body + total - bs, bs);
    if (tc->etm) {
        uint8_t mac_in[13 + 256];
        hdr13(mac_in, seq, type, tc->version, total);
        memcpy(mac_in + 13, body, total);
        HMAC(md, mac_key, (int)tc->mac_len, mac_in, 13 + total, body + total,
             &ml);
        total += ml;
    }
    return total;
}

static void test_tls12_records(void **state)
{
    (void)state;
    static const struct tls12_case cases[] = {
        {0xC02F, 0x0303, "AES-128-GCM", 0, 16, 4, 0, 16, false},
        {0xCCA8, 0x0303, "ChaCha20-Poly1305", 2, 32, 12, 0, 16, false},
        {0xC0A0, 0x0303, "AES-128-CCM", 1, 16, 4, 0, 8, false},
        {0xC09C, 0x0303, "AES-128-CCM", 1, 16, 4, 0, 16, false},
        {0xC013, 0x0303, NULL, 3, 16, 0, 20, 0, false},
        {0xC013, 0x0303, NULL, 3, 16, 0, 20, 0, true},
        {0x003C, 0x0303, NULL, 3, 16, 0, 32, 0, false},
        {0xC013, 0x0302, NULL, 3, 16, 0, 20, 0, false},
        {0xC013, 0x0301, NULL, 3, 16, 16, 20, 0, false},
    };
    uint8_t master[48], cr[32], sr[32];
    for (int i = 0; i < 48; i++)
        master[i] = (uint8_t)(i * 7 + 1);
    for (int i = 0; i < 32; i++) {
        cr[i] = (uint8_t)(0x10 + i);
        sr[i] = (uint8_t)(0x80 + i);
    }
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const struct tls12_case *tc = &cases[c];
        const struct tls_suite *suite = tls_suite_find(tc->suite, tc->version);
        assert_non_null(suite);
        uint8_t kb[256], iv_state[16];
        size_t kb_len = 2 * (tc->mac_len + tc->key_len + tc->iv_len);
        prf(tc->version, EVP_sha256(), master, cr, sr, kb, kb_len);
        memcpy(iv_state, kb + 2 * (tc->mac_len + tc->key_len), 16);

        struct tls_record_key client, server;
        assert_true(tls12_record_keys(&client, &server, suite, tc->version,
                                      master, cr, sr, tc->etm));
        static uint8_t out[TLS_DEC_MAX_RECORD];
        uint8_t body[512], type;
        size_t n;
        /* The Finished, then an alert: sequence numbers 0 and 1. */
        size_t len = seal12(tc, kb, 0, 22, finished12, sizeof finished12,
                            iv_state, body);
        struct cursor cb = cursor_make(body, len);
        assert_int_equal(tls_record_open(&client, 22, tc->version, &cb, out,
                                         &n, &type),
                         TLS_DEC_OK);
        assert_int_equal(n, sizeof finished12);
        assert_memory_equal(out, finished12, n);
        assert_int_equal(type, 22);
        const uint8_t alert[2] = {2, 40};
        struct tls_record_key before_alert = client;
        len = seal12(tc, kb, 1, 21, alert, 2, iv_state, body);
        cb = cursor_make(body, len);
        assert_int_equal(tls_record_open(&client, 21, tc->version, &cb, out,
                                         &n, &type),
                         TLS_DEC_OK);
        assert_int_equal(n, 2);
        assert_memory_equal(out, alert, 2);
        /* The server's keys do not open the client's records. */
        cb = cursor_make(body, len);
        assert_int_not_equal(tls_record_open(&server, 21, tc->version, &cb,
                                             out, &n, &type),
                             TLS_DEC_OK);
        /* Nor does a flipped bit, at the right sequence number. */
        body[len - 1] ^= 0x80;
        cb = cursor_make(body, len);
        assert_int_not_equal(tls_record_open(&before_alert, 21, tc->version,
                                             &cb, out, &n, &type),
                             TLS_DEC_OK);
    }
}

/* ---- TLS 1.3: every suite ---- */

static void test_tls13_suites(void **state)
{
    (void)state;
    static const struct {
        uint16_t id;
        const char *cipher;
        size_t key_len, hash_len;
        int tag;
        bool ccm;
    } suites13[] = {
        {0x1301, "AES-128-GCM", 16, 32, 16, false},
        {0x1302, "AES-256-GCM", 32, 48, 16, false},
        {0x1303, "ChaCha20-Poly1305", 32, 32, 16, false},
        {0x1304, "AES-128-CCM", 16, 32, 16, true},
        {0x1305, "AES-128-CCM", 16, 32, 8, true},
    };
    for (size_t i = 0; i < 5; i++) {
        const struct tls_suite *suite = tls_suite_find(suites13[i].id, 0x0304);
        assert_non_null(suite);
        assert_null(tls_suite_find(suites13[i].id, 0x0303));
        const EVP_MD *md =
            suites13[i].hash_len == 48 ? digest_sha384() : digest_sha256();
        uint8_t secret[48], key[32], iv[12];
        for (size_t k = 0; k < sizeof secret; k++)
            secret[k] = (uint8_t)(k + i);
        hkdf_expand_label(md, secret, suites13[i].hash_len, "key", NULL, 0,
                          key, suites13[i].key_len);
        hkdf_expand_label(md, secret, suites13[i].hash_len, "iv", NULL, 0, iv,
                          12);
        /* Record 1: an alert with two bytes of padding. */
        const uint8_t inner[5] = {2, 48, 21, 0, 0};
        uint8_t nonce[12], aad[5], body[64];
        memcpy(nonce, iv, 12);
        nonce[11] ^= 1;
        size_t len = sizeof inner + (size_t)suites13[i].tag;
        aad[0] = 23;
        aad[1] = 3;
        aad[2] = 3;
        aad[3] = 0;
        aad[4] = (uint8_t)len;
        aead_seal(suites13[i].cipher, suites13[i].ccm, key, nonce, aad, 5,
                  inner, sizeof inner, suites13[i].tag, body);
        struct tls_record_key k;
        assert_true(tls13_record_key(&k, suite, secret, suites13[i].hash_len));
        k.seq = 1;
        static uint8_t out[TLS_DEC_MAX_RECORD];
        size_t n;
        uint8_t type;
        struct cursor cb = cursor_make(body, len);
        assert_int_equal(tls_record_open(&k, 23, 0x0303, &cb, out, &n, &type),
                         TLS_DEC_OK);
        assert_int_equal(type, 21);
        assert_int_equal(n, 2);
        assert_int_equal(out[1], 48);
    }
    /* Suites tlsmon cannot open. */
    assert_null(tls_suite_find(0x0005, 0x0303)); /* RC4 */
    assert_null(tls_suite_find(0xC02F, 0x0300)); /* SSLv3 */
    assert_null(tls_suite_find(0xC02F, 0x0301)); /* GCM needs TLS 1.2 */
    assert_null(tls_suite_find(0x1301, 0x7f1c)); /* a TLS 1.3 draft */
}

/* ---- the QUIC hook (RFC 9001 A.1's client Initial secret) ---- */

static void test_quic_keys(void **state)
{
    (void)state;
    uint8_t secret[32];
    struct quic_keys k;
    unhex("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
          secret, sizeof secret);
    assert_true(tls_quic_keys(0x1301, secret, 32, &k));
    assert_int_equal(k.key_len, 16);
    assert_bytes(k.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
    assert_bytes(k.iv, 12, "fa044b2f42a3fd3b46fb255c");
    assert_bytes(k.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
    assert_false(tls_quic_keys(0x1302, secret, 32, &k)); /* SHA-384 suite */
    assert_false(tls_quic_keys(0xC02F, secret, 32, &k)); /* not TLS 1.3 */
}

/* ---- RFC 8879 ---- */

static void test_compressed_certificate(void **state)
{
    (void)state;
    static uint8_t cert_msg[3000], packed[4096], msg[5000];
    for (size_t i = 0; i < sizeof cert_msg; i++)
        cert_msg[i] = (uint8_t)(i % 97 == 0 ? i : 'A' + i % 7);
    for (uint16_t alg = 1; alg <= 3; alg++) {
        size_t plen = sizeof packed;
        if (alg == 1) {
            uLongf l = (uLongf)plen;
            assert_int_equal(compress2(packed, &l, cert_msg, sizeof cert_msg, 9),
                             Z_OK);
            plen = l;
        } else if (alg == 2) {
            assert_true(BrotliEncoderCompress(
                BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
                BROTLI_MODE_GENERIC, sizeof cert_msg, cert_msg, &plen,
                packed));
        } else {
            plen = ZSTD_compress(packed, plen, cert_msg, sizeof cert_msg, 3);
            assert_false(ZSTD_isError(plen));
        }
        /* algorithm, uncompressed_length, compressed data<1..2^24-1> */
        for (int announced = 0; announced < 3; announced++) {
            size_t want = announced == 1   ? sizeof cert_msg + 1
                          : announced == 2 ? sizeof cert_msg - 1
                                           : sizeof cert_msg;
            size_t n = 0;
            msg[n++] = 0;
            msg[n++] = (uint8_t)alg;
            msg[n++] = (uint8_t)(want >> 16);
            msg[n++] = (uint8_t)(want >> 8);
            msg[n++] = (uint8_t)want;
            msg[n++] = (uint8_t)(plen >> 16);
            msg[n++] = (uint8_t)(plen >> 8);
            msg[n++] = (uint8_t)plen;
            memcpy(msg + n, packed, plen);
            n += plen;
            struct cursor c = cursor_make(msg, n);
            uint8_t *out;
            uint32_t out_len;
            uint16_t got_alg;
            bool ok = tls_parse_compressed_certificate(&c, 1 << 20, &got_alg,
                                                       &out, &out_len);
            assert_int_equal(got_alg, alg);
            /* Exactly the announced length, or nothing. */
            assert_int_equal(ok, announced == 0);
            if (ok) {
                assert_int_equal(out_len, sizeof cert_msg);
                assert_memory_equal(out, cert_msg, out_len);
                free(out);
            }
            /* A cap below the announced length refuses before inflating. */
            c = cursor_make(msg, n);
            assert_false(tls_parse_compressed_certificate(&c, 1000, &got_alg,
                                                          &out, &out_len));
        }
    }
    const uint8_t unknown[] = {0, 9, 0, 0, 4, 0, 0, 1, 0};
    struct cursor c = cursor_make(unknown, sizeof unknown);
    uint8_t *out;
    uint32_t out_len;
    uint16_t alg;
    assert_false(
        tls_parse_compressed_certificate(&c, 1 << 20, &alg, &out, &out_len));
    assert_string_equal(cert_compression_name(3), "zstd");
    assert_null(cert_compression_name(9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8448_traffic_keys),
        cmocka_unit_test(test_rfc8448_key_schedule),
        cmocka_unit_test(test_rfc8448_records),
        cmocka_unit_test(test_rfc8448_failures),
        cmocka_unit_test(test_key_update),
        cmocka_unit_test(test_rfc8448_session),
        cmocka_unit_test(test_rfc8448_session_without_keys),
        cmocka_unit_test(test_rfc8448_wrong_key),
        cmocka_unit_test(test_held_until_keys_arrive),
        cmocka_unit_test(test_tls12_records),
        cmocka_unit_test(test_tls13_suites),
        cmocka_unit_test(test_quic_keys),
        cmocka_unit_test(test_compressed_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
