/* tls.c — the TLS/SSL record layer of one connection: assembles records in
 * both directions, reassembles plaintext handshake messages and hands them to
 * the message parsers, tracks what each side has encrypted, and asks
 * outcome.c for a decision after every record.
 *
 * Everything here is keyed by flow side (0/1, the flow's own orientation);
 * facts are written into the record by TLS role once the hellos say which
 * side is the client. */
#include "tls.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cursor.h"
#include "escape.h"
#include "cert_decompress.h"
#include "keylog.h"
#include "memcap.h"
#include "outcome.h"
#include "tls_decrypt.h"
#include "tls_messages.h"
#include "tls_names.h"

/* TLSCiphertext may carry 2^14 + 2048 bytes (RFC 5246 §6.2.3); TLS 1.3 is
 * stricter, so this bound covers every version. */
#define TLS_RECORD_MAX (16384u + 2048u)
#define TLS_DEFAULT_MAX_HS_MSG (256u * 1024u)
#define TLS_HS_LEN_MAX 0xffffffu

/* TLS 1.3 record sizes that tell an encrypted Finished from an encrypted
 * alert (DIAGNOSES.md, "What TLS 1.3 hides"): an alert is 2 bytes, 1 byte
 * of inner type and the AEAD tag — 16 bytes, or 8 for the CCM_8 suite —
 * and the smallest Finished 4 + 32 + 1 + 16. Sizes in between are not an
 * alert: an empty client Certificate answering a CertificateRequest is 25.
 * Stacks do not pad alerts, so only the exact sizes count. */
#define TLS13_ALERT_LEN 19
#define TLS13_ALERT_LEN_CCM8 11
/* The smallest protected alert of TLS <= 1.2: two bytes and a 16-byte MAC
 * or AEAD tag. Shorter and not plaintext is simply malformed. */
#define TLS12_ENCRYPTED_ALERT_MIN_LEN 18
#define TLS13_FINISHED_MIN_LEN 40
/* The tail after a decision: records read per side, body bytes kept. */
#define TAIL_MAX_RECORDS 16
#define TAIL_KEEP 32

enum rec_state {
    RS_HEADER, /* collecting a record header */
    RS_BODY,   /* collecting a record body */
    RS_RESYNC, /* after a gap: sliding over bytes for a plausible header */
    RS_DEAD,   /* protocol error or not TLS: this side is no longer read */
    RS_NOT_TLS, /* the server's answer is not TLS: keeping a preview */
};

enum rec_format { FMT_TLS, FMT_SSL2_2, FMT_SSL2_3 };

struct side_parser {
    enum rec_state state;

    /* Header bytes accumulate in an integer so that no packet bytes are
     * ever indexed: the last `hdr_len` bytes are in the low bits. */
    uint64_t hdr;
    uint8_t hdr_len;
    uint64_t rec_ts; /* when the first byte of the current record came */

    enum rec_format fmt;
    uint8_t type;
    uint16_t version;
    /* A record that did not come whole in one feed is collected here;
     * body_want is the length of the record being read either way. */
    uint8_t *body;
    uint32_t body_cap, body_len, body_want;

    uint32_t records;       /* valid records read */
    uint32_t ssl2_records;  /* SSLv2 records after the server hello */
    bool bad_start;         /* the first bytes were not TLS */
    bool after_gap;         /* a failed header sends us back to resync */
    uint32_t good_after_gap;
    uint64_t resync_skipped;

    bool encrypted;         /* TLS <= 1.2: this side sent its CCS */
    bool ccs_unsure;        /* a CCS before any ServerHello: a key change
                             * (the server's answer was not captured) or
                             * TLS 1.3 compatibility mode; the next record
                             * tells */

    /* Handshake message reassembly. */
    uint8_t *msg;           /* 4-byte header + body */
    uint32_t msg_cap, msg_len, msg_want;
    uint32_t msg_skip;      /* bytes of an oversized message left to skip */
    uint64_t msg_ts;

    uint8_t preview_len;    /* RS_NOT_TLS: bytes in rec.not_tls_preview */
    uint64_t not_tls_ts;    /* when the non-TLS answer began */

    bool closed;            /* this side sent its FIN or RST */
    /* After the decision this side may still be read, record headers and
     * alerts only (the "tail"), until its own close or TAIL_MAX_RECORDS:
     * an alert that follows the deciding close still lands in the list. */
    bool tail;
    uint8_t tail_records;
    uint8_t tail_kept;                 /* body bytes kept in tail_body */
    uint8_t tail_body[TAIL_KEEP];      /* enough for plaintext alerts */
    /* TLS 1.3: an alert-sized record, an alert only if this side's close
     * follows it (anything else from this side and it was data). */
    bool close_alert_pending;
    uint16_t close_alert_len;
    uint8_t close_alert_stage;
    uint64_t close_alert_ts;
};

struct tls_session {
    struct handshake rec;
    struct side_parser side[2];
    int client_side;
    /* Set by the SYN (or a STARTTLS upgrade) at creation, else by the first
     * ClientHello (a ServerHello when the capture began after it); a later
     * hello never swaps them. */
    bool roles_fixed;
    uint32_t max_msg;
    struct memcap *memcap;
    uint64_t charged;  /* what this session holds of the memcap */
    uint64_t keyed_charged; /* of it, for the key-log state */
    bool tls13;        /* a real TLS 1.3 ServerHello was read */
    bool ssl2;         /* the server answered in SSLv2 */
    uint64_t now;      /* timestamp of the bytes being read */
    /* The whole body of the record record_done is reading (in the body
     * buffer or in the bytes fed), NULL outside it. */
    const struct cursor *record_now;

    /* A client that half-closes right after its hello (FIN, not RST) has
     * given up, but the server's answer may still be in flight: the
     * decision is the FIN's, taken when the flow ends, and the answer's
     * facts are read meanwhile. */
    bool ch_read_whole; /* the first ClientHello parsed without a fault:
                         * what it did not offer, it did not offer */

    /* TLS 1.3: the server's first record after the client's Finished was
     * alert-sized. A server that rejects the client's certificate sends
     * exactly that and closes; a server with a 2-byte reply sends it too,
     * and goes on. The close or the next server record tells which. After
     * the client's own closing alert it is the answer to that (`reply`). */
    bool server_alert_pending;
    bool server_alert_reply;
    int server_alert_side;
    uint16_t server_alert_len;
    uint8_t server_alert_stage;
    uint64_t server_alert_ts;

    /* Key log decryption (see the section "decrypted records"). Without a
     * key log table (`keylog` NULL) nothing below is touched; with a table
     * that holds nothing, a ServerHello costs one check. */
    struct keylog *keylog;
    struct tls_decryptor *dec;
    uint8_t *plain;          /* one record's plaintext */
    struct tls_hold hold;    /* records waiting for a followed key log */
    bool in_decrypted;       /* the messages being read were decrypted */
    uint8_t epoch_change[2]; /* by role, applied after the record */

    /* The flow side whose record was read last while undecided: a side
     * that closes after speaking last waits for the other's answer. */
    int last_speaker;

    /* A FIN from a side that waits for the other's answer: the answer may
     * still complete the handshake (a browser closing a spare connection
     * after its Finished) or refuse it. What the other side sends decides;
     * if it only closes, the first FIN does, as of its time and stage. */
    bool close_pending;
    int close_side;
    uint64_t close_ts;
    enum hs_stage close_stage;

    /* The client's records after its own Finished: data, or first an
     * alert (a client that hangs up right after the handshake). */
    bool client_post_data;
    bool client_post_alert;

    /* The server spoke first, and not TLS (an SSH banner): the client's
     * ClientHello then decides not_tls with that greeting as the preview. */
    bool greeted_not_tls;

    bool tails_started; /* after_decision() ran */
};

/* Decrypted records (defined below the record readers they feed). */
static void keyed_start(struct tls_session *s);
static bool keyed_record13(struct tls_session *s, int side,
                           struct cursor *body, uint32_t len);
static bool keyed_record12(struct tls_session *s, int side,
                           struct cursor *body, uint32_t len);
static void keyed_skip12(struct tls_session *s, int side,
                         struct cursor *body);
static bool keyed_hold(struct tls_session *s, int side, struct cursor *body);
static void keyed_flush(struct tls_session *s);
static void keyed_release_state(struct tls_session *s);
static void keyed_message(struct tls_session *s, int side, uint8_t type,
                          struct cursor *body, bool complete);
static size_t keyed_memory(const struct tls_session *s);

/* ---- small helpers ---- */

static enum tls_side role_of(const struct tls_session *s, int side)
{
    if (s->client_side < 0)
        return side == 0 ? TLS_SIDE_CLIENT : TLS_SIDE_SERVER;
    return side == s->client_side ? TLS_SIDE_CLIENT : TLS_SIDE_SERVER;
}

static bool is_server_side(const struct tls_session *s, int side)
{
    return s->client_side >= 0 && side != s->client_side;
}

static void reach(struct tls_session *s, enum hs_stage st)
{
    if (st > s->rec.stage)
        s->rec.stage = st;
}

static void note_error(struct tls_session *s, const char *what)
{
    handshake_note_error(&s->rec, what);
}

/* A message whose parser failed: the fault it left on the body's sink. */
static void note_fault(struct tls_session *s, const char *what,
                       const struct cursor *body)
{
    handshake_note_fault(&s->rec, what, cursor_last_fault(body));
}

static bool is_decided(const struct tls_session *s)
{
    return s->rec.outcome != OUTCOME_UNDECIDED;
}

/* Every buffer the session grows is charged to --memcap first; false when
 * the budget refuses it. */
static bool charge(struct tls_session *s, uint64_t bytes)
{
    if (!memcap_charge(s->memcap, bytes))
        return false;
    s->charged += bytes;
    return true;
}

static void uncharge(struct tls_session *s, uint64_t bytes)
{
    memcap_release(s->memcap, bytes);
    s->charged -= bytes;
}

/* A part of the record only some handshakes need (the ClientHello after a
 * HelloRetryRequest, what a key log opens): zeroed, charged, freed with the
 * session. NULL when the budget refuses it. */
static void *rare_part(struct tls_session *s, size_t size)
{
    void *p = memcap_calloc(s->memcap, size);
    if (p)
        s->charged += memcap_cost(size);
    return p;
}

const struct handshake_rare handshake_rare_none;

/* The record's rare part is not refused by the budget as rare_part()'s are:
 * what it holds (a HelloRetryRequest, an alert, a client chain's place, a
 * QUIC close) is already read off the wire and decides the verdict, so
 * dropping it would change the record. It is small (under 1 KiB) and
 * taken once per flow, so it is forced through like a new flow entry and
 * the pipeline brings the budget back under its cap after the packet.
 * NULL only when the allocator itself fails. */
struct handshake_rare *tls_record_rare(struct tls_session *s)
{
    struct handshake *h = &s->rec;
    if (h->rare)
        return h->rare;
    h->rare = calloc(1, sizeof *h->rare);
    if (!h->rare) {
        note_error(s, "rare facts not kept: out of memory");
        return NULL;
    }
    memcap_force(s->memcap, memcap_cost(sizeof *h->rare));
    s->charged += memcap_cost(sizeof *h->rare);
    return h->rare;
}

/* The key-log state (decryptor, plaintext buffer, records held until their
 * keys come) is charged for what it holds after each call that may grow
 * it; it is bounded per session (TLS_DEC_HOLD_MAX), so the pipeline
 * enforces the cap after the packet. */
static void charge_keyed(struct tls_session *s)
{
    uint64_t now = s->keylog ? keyed_memory(s) : 0;
    if (now == s->keyed_charged)
        return; /* the common case: no key log, nothing held */
    if (now > s->keyed_charged) {
        memcap_force(s->memcap, now - s->keyed_charged);
        s->charged += now - s->keyed_charged;
    } else {
        uncharge(s, s->keyed_charged - now);
    }
    s->keyed_charged = now;
}

/* The server's first byte after the ClientHello: its response time. */
static void note_server_response(struct tls_session *s, int side,
                                 uint64_t ts_us)
{
    struct handshake *h = &s->rec;
    if (h->ch.seen && h->server_response_us < 0 && is_server_side(s, side))
        h->server_response_us = ts_us >= h->ch.ts_us
                                    ? (int64_t)(ts_us - h->ch.ts_us)
                                    : 0;
}

/* Timed where every way of seeing a Finished passes (tls_feed,
 * tls_feed_record). */
static void time_finished(struct tls_session *s, uint64_t ts_us)
{
    struct handshake *h = &s->rec;
    for (int r = 0; r < 2; r++)
        if (h->finished[r] && h->finished_ts_us[r] == 0)
            h->finished_ts_us[r] = ts_us;
}

/* A side's record body or message buffer goes back to the budget. */
static void release_buffer(struct tls_session *s, uint8_t **buf,
                           uint32_t *cap)
{
    if (*buf)
        uncharge(s, memcap_cost(*cap));
    free(*buf);
    *buf = NULL;
    *cap = 0;
}

/* Both sides' record body and message buffers. */
static void release_read_buffers(struct tls_session *s)
{
    for (int i = 0; i < 2; i++) {
        release_buffer(s, &s->side[i].body, &s->side[i].body_cap);
        release_buffer(s, &s->side[i].msg, &s->side[i].msg_cap);
    }
}

static void release_buffers(struct tls_session *s)
{
    if (s->keylog) {
        keyed_release_state(s);
        charge_keyed(s);
    }
    release_read_buffers(s);
}

/* ---- after the decision: the tail ---- */

/* Keep reading `side` after the decision, alerts only. What the parser had
 * of an unfinished record carries over (a header's first bytes, or the
 * start of a body); SSLv2 and lost sync end the reading. */
static void start_tail(struct tls_session *s, int side)
{
    struct side_parser *p = &s->side[side];

    if (p->closed || s->ssl2 || s->client_side < 0)
        return;
    if (p->state == RS_BODY && p->fmt == FMT_TLS && p->body) {
        p->tail_kept = (uint8_t)(p->body_len < TAIL_KEEP ? p->body_len
                                                         : TAIL_KEEP);
        memcpy(p->tail_body, p->body, p->tail_kept);
    } else if (p->state != RS_HEADER) {
        return;
    }
    p->tail = true;
    p->tail_records = 0;
}

static void end_tails(struct tls_session *s)
{
    s->side[0].tail = s->side[1].tail = false;
}

/* What is still worth reading once the outcome is known: after a failure
 * (or a not_tls answer), each side that speaks TLS, until its own close (a
 * late alert says why); after an established handshake, the client until
 * its first record (data, or an alert and a close: a client that hung up
 * at once). */
static void after_decision(struct tls_session *s)
{
    struct handshake *h = &s->rec;

    s->tails_started = true;
    if (h->outcome == OUTCOME_ESTABLISHED && s->client_side >= 0) {
        if (s->client_post_data)
            h->client_closed_after_handshake = EVIDENCE_NO;
        else if (s->side[s->client_side].closed && s->client_post_alert)
            h->client_closed_after_handshake = EVIDENCE_YES;
        else
            start_tail(s, s->client_side);
    } else if (h->outcome == OUTCOME_FAILED ||
               h->outcome == OUTCOME_NOT_TLS) {
        /* A side that is not TLS at all is no longer read (RS_DEAD). */
        start_tail(s, 0);
        start_tail(s, 1);
    }
    release_buffers(s);
}

/* Every path to a decision ends here once. */
static void settled(struct tls_session *s)
{
    if (is_decided(s) && !s->tails_started)
        after_decision(s);
}

static bool decide_now(struct tls_session *s)
{
    if (outcome_check(&s->rec, s->now)) {
        settled(s);
        return true;
    }
    return false;
}

/* Has this side finished its part of the handshake? Its alerts after that
 * close the connection rather than refuse the handshake. In TLS 1.3 the
 * server's Finished is in its encrypted flight, so only the client's
 * counts: a server alert after the client's Finished is a refusal. */
static bool sender_finished(const struct tls_session *s, enum tls_side r)
{
    if (s->tls13)
        return r == TLS_SIDE_CLIENT && s->rec.finished[TLS_SIDE_CLIENT];
    return s->rec.finished[r];
}

static struct tls_alert *add_alert(struct tls_session *s, int side,
                                   bool encrypted, uint8_t level,
                                   uint8_t desc, uint16_t length)
{
    struct handshake_rare *rare = tls_record_rare(s);
    enum tls_side sender = role_of(s, side);
    struct tls_alert *a =
        rare ? handshake_add_alert(&s->rec, rare, sender, encrypted, level,
                                   desc, length, s->now)
             : NULL;
    if (a)
        a->late = is_decided(s) || sender_finished(s, sender);
    return a;
}

/* ---- sniffing ---- */

static bool plausible_tls_header(uint8_t type, uint16_t version,
                                 uint16_t length, uint8_t max_type)
{
    return type >= CT_CCS && type <= max_type && (version >> 8) == 3 &&
           (version & 0xff) <= 4 && length <= TLS_RECORD_MAX;
}

enum tls_sniff tls_sniff(const uint8_t *data, uint32_t len)
{
    struct cursor c = cursor_make(data, len);
    uint8_t b0, b1, b2, hs_type;
    uint16_t version, length;

    if (len < 6)
        return TLS_SNIFF_NEED_MORE;
    if (!cursor_u8(&c, &b0) || !cursor_u8(&c, &b1) || !cursor_u8(&c, &b2))
        return TLS_SNIFF_NO;

    if (b0 & 0x80) { /* SSLv2 two-byte header: msg type, then version */
        if (!cursor_u16(&c, &version))
            return TLS_SNIFF_NO;
        if (b2 == 1 && (version == TLS_V_SSL2 || (version >> 8) == 3))
            return TLS_SNIFF_CLIENT_HELLO;
        return TLS_SNIFF_NO;
    }

    c = cursor_make(data, len);
    if (!cursor_u8(&c, &b0) || !cursor_u16(&c, &version) ||
        !cursor_u16(&c, &length) || !cursor_u8(&c, &hs_type))
        return TLS_SNIFF_NO;
    (void)b1;
    if (!plausible_tls_header(b0, version, length, CT_APP_DATA) || length == 0)
        return TLS_SNIFF_NO;
    if (b0 == CT_HANDSHAKE && hs_type == TLS_HS_CLIENT_HELLO)
        return TLS_SNIFF_CLIENT_HELLO;
    if (b0 == CT_HANDSHAKE && hs_type == TLS_HS_SERVER_HELLO)
        return TLS_SNIFF_SERVER_HELLO;
    return TLS_SNIFF_OTHER_RECORD;
}

/* ---- lifecycle ---- */

struct tls_session *tls_session_new(const struct tls_limits *lim,
                                    int client_side)
{
    struct memcap *memcap = lim ? lim->memcap : NULL;
    struct tls_session *s = memcap_calloc(memcap, sizeof *s);
    if (!s)
        return NULL;
    s->memcap = memcap;
    s->charged = memcap_cost(sizeof(struct tls_session));
    s->client_side = (client_side == 0 || client_side == 1) ? client_side : -1;
    s->roles_fixed = s->client_side >= 0;
    s->last_speaker = -1;
    s->max_msg = lim && lim->max_handshake_msg ? lim->max_handshake_msg
                                               : TLS_DEFAULT_MAX_HS_MSG;
    s->keylog = lim ? lim->keylog : NULL;
    if (s->max_msg > TLS_HS_LEN_MAX)
        s->max_msg = TLS_HS_LEN_MAX;
    s->rec.ended_by_side = -1;
    s->rec.handshake_us = -1;
    s->rec.server_response_us = -1;
    return s;
}

size_t tls_session_memory(const struct tls_session *s)
{
    return s ? (size_t)s->charged : 0;
}

void tls_session_free(struct tls_session *s)
{
    if (!s)
        return;
    release_buffers(s);
    cert_chain_free(&s->rec.server_certs);
    if (s->rec.rare)
        cert_chain_free(&s->rec.rare->client_certs);
    free(s->rec.rare);
    ocsp_staple_free(&s->rec.ocsp);
    free(s->rec.ch.alpn_spill);
    free(s->rec.ch.cipher_spill);
    if (s->rec.ch2) {
        free(s->rec.ch2->alpn_spill);
        free(s->rec.ch2->cipher_spill);
    }
    free(s->rec.ch2);
    free(s->rec.ee);
    memcap_release(s->memcap, s->charged);
    free(s);
}

uint64_t tls_session_shed(struct tls_session *s)
{
    release_read_buffers(s);
    /* What the key-log state holds is no longer charged either: the free
     * must not give it back a second time. */
    uint64_t kept = s->charged;
    memcap_release(s->memcap, s->charged);
    s->charged = 0;
    s->keyed_charged = 0;
    return kept;
}

bool tls_decided(const struct tls_session *s)
{
    return s && s->rec.outcome != OUTCOME_UNDECIDED;
}

int tls_client_side(const struct tls_session *s)
{
    return s ? s->client_side : -1;
}

bool tls_not_a_tls_flow(const struct tls_session *s)
{
    if (!s || s->rec.ch.seen || s->rec.sh.seen ||
        s->rec.outcome != OUTCOME_UNDECIDED)
        return false;
    if (s->client_side >= 0)
        return s->side[s->client_side].bad_start;
    /* Roles unknown: nothing on either side looked like TLS. */
    return (s->side[0].bad_start || s->side[1].bad_start) &&
           s->side[0].records == 0 && s->side[1].records == 0;
}

struct handshake *tls_record(struct tls_session *s)
{
    return s ? &s->rec : NULL;
}

/* ---- handshake messages ---- */

static void answer_is_hello(struct tls_session *s, int side);
static void decide_greeted(struct tls_session *s);

/* A ClientHello from `side`: may it be the client's? Without roles (no
 * SYN) the first hello sets them. With roles, only the client sends one,
 * except when it is the very first TLS of a connection whose client has
 * sent nothing: then the TCP server is the TLS client (FTP's active-mode
 * data connections, RFC 4217). */
static bool hello_from_client(struct tls_session *s, int side)
{
    const struct side_parser *other;

    if (!s->roles_fixed) {
        s->client_side = side;
        s->roles_fixed = true;
        return true;
    }
    if (side == s->client_side)
        return true;
    other = &s->side[s->client_side];
    if (!s->rec.ch.seen && !s->rec.sh.seen && other->records == 0 &&
        !other->bad_start && other->hdr_len == 0 &&
        other->state == RS_HEADER) {
        s->client_side = side;
        return true;
    }
    return false;
}

/* Room a hello's first reading asked for, charged to --memcap; refused,
 * the record says which list stays cut. */
static void *hello_room(struct tls_session *s, size_t size,
                        const char *refused)
{
    void *room = rare_part(s, size);
    if (!room)
        note_error(s, refused);
    return room;
}

/* Parse a ClientHello into the record with `parse` (TLS, DTLS and QUIC
 * hellos, or SSLv2's). A hello whose ALPN names or cipher suites do not
 * fit the record's room for them is parsed again with room for all of
 * them, allocated now (rare: many long names, or more suites than a usual
 * hello offers). When --memcap refuses the room, the hello stays as the
 * first reading left it: those lists cut at the record's room, the hello
 * marked truncated. */
static bool parse_client_hello(struct tls_session *s, struct cursor *body,
                               struct client_hello *ch,
                               bool (*parse)(struct cursor *,
                                             struct client_hello *))
{
    size_t start = cursor_pos(body);
    bool ok = parse(body, ch);
    if (ch->alpn_spill_wanted)
        ch->alpn_spill = hello_room(s, HS_ALPN_SPILL,
                                    "ALPN names not kept: --memcap is full");
    if (ch->cipher_spill_wanted)
        ch->cipher_spill = hello_room(
            s, HS_CIPHERS_SPILL,
            "cipher suites not all kept: --memcap is full");
    if (!(ch->alpn_spill_wanted && ch->alpn_spill) &&
        !(ch->cipher_spill_wanted && ch->cipher_spill))
        return ok;
    /* Read again with room for every name and suite; the first reading's
     * fault, if any, is found again. */
    return cursor_seek(body, start) && parse(body, ch);
}

static void on_client_hello(struct tls_session *s, int side,
                            struct cursor *body, uint32_t len, bool complete)
{
    struct handshake *h = &s->rec;
    struct client_hello *ch;
    enum hs_stage st;

    if (!hello_from_client(s, side)) {
        /* The server answered with a ClientHello (an echo service): it
         * does not speak TLS. */
        if (h->ch.seen && !h->sh.seen && !hs_rare(h)->hrr.seen)
            answer_is_hello(s, side);
        else
            note_error(s, "client_hello from the server");
        return;
    }
    if (!h->ch.seen) {
        ch = &h->ch;
        st = STAGE_CLIENT_HELLO;
    } else if (hs_rare(h)->hrr.seen && !h->ch2) {
        st = STAGE_CLIENT_HELLO_2;
        ch = h->ch2 = rare_part(s, sizeof *h->ch2);
        if (!ch) {
            note_error(s, "second client_hello not kept: --memcap is full");
            reach(s, st);
            return;
        }
    } else {
        h->round++;
        return;
    }
    if (complete && !parse_client_hello(s, body, ch, tls_parse_client_hello))
        note_fault(s, "client_hello", body);
    else if (complete && ch == &h->ch)
        s->ch_read_whole = true;
    ch->seen = true;
    ch->length = len;
    ch->record_version = s->side[side].version;
    ch->ts_us = s->side[side].msg_ts;
    reach(s, st);
    if (s->greeted_not_tls)
        decide_greeted(s);
}

static void on_server_hello(struct tls_session *s, int side,
                            struct cursor *body, bool complete)
{
    struct handshake *h = &s->rec;
    struct server_hello sh;
    struct hello_retry hrr;
    bool is_hrr = false;

    if (!s->roles_fixed) { /* capture began after the ClientHello */
        s->client_side = !side;
        s->roles_fixed = true;
    } else if (side == s->client_side) {
        note_error(s, "server_hello from the client");
        return;
    }
    if (h->sh.seen)
        return; /* a later one belongs to a renegotiation */
    if (!complete) {
        note_error(s, "server_hello");
        return;
    }
    memset(&sh, 0, sizeof sh);
    memset(&hrr, 0, sizeof hrr);
    /* Parse into copies: a HelloRetryRequest must not disturb a ServerHello
     * slot, and vice versa. */
    if (!tls_parse_server_hello(body, &sh, &hrr, &is_hrr))
        note_fault(s, is_hrr ? "hello_retry_request" : "server_hello", body);
    if (is_hrr) {
        struct handshake_rare *rare = tls_record_rare(s);
        if (rare && !rare->hrr.seen) {
            rare->hrr = hrr;
            rare->hrr.seen = true;
        }
        reach(s, STAGE_HELLO_RETRY_REQUEST);
        return;
    }
    h->sh = sh;
    h->sh.seen = true;
    h->sh.record_version = s->side[side].version;
    h->sh.ts_us = s->side[side].msg_ts;
    reach(s, STAGE_SERVER_HELLO);
    /* Drafts (0x7fNN, Facebook's 0xfb1N) encrypt the rest of the handshake
     * exactly as the final version does. */
    if (tls_version_rank(h->sh.version) == tls_version_rank(TLS_V_1_3))
        s->tls13 = true;
    if (s->keylog)
        keyed_start(s);
}

static void on_certificate(struct tls_session *s, int side,
                           struct cursor *body, uint32_t len, bool complete)
{
    struct handshake *h = &s->rec;
    bool client = role_of(s, side) == TLS_SIDE_CLIENT;
    struct cert_chain *chain = &h->server_certs;

    reach(s, client ? STAGE_CLIENT_CERTIFICATE : STAGE_SERVER_CERTIFICATE);
    if (client) {
        struct handshake_rare *rare = tls_record_rare(s);
        if (!rare)
            return;
        chain = &rare->client_certs;
    }
    if (chain->seen)
        return; /* keep the first chain; a second one would leak the first */
    /* The DER is kept in one allocation of at most the message's size. */
    uint64_t cost = memcap_cost(len < HS_MAX_CERT_BYTES ? len
                                                        : HS_MAX_CERT_BYTES);
    if (complete && !charge(s, cost)) {
        note_error(s, "certificates not kept: --memcap is full");
        complete = false;
    }
    if (!complete) {
        chain->seen = true;
        chain->truncated = true;
        return;
    }
    if (!tls_parse_certificate(body, h->sh.version == TLS_V_1_3, chain))
        note_fault(s, "certificate", body);
    chain->seen = true;
    if (client && chain->n_certs_total == 0 && !chain->truncated)
        h->client_cert_empty = true;
}

/* One whole handshake message from `side`. `complete` is false when the
 * message was too large to keep: only what its type says is noted. */
static void on_handshake_message(struct tls_session *s, int side, uint8_t type,
                                 struct cursor *body, uint32_t len,
                                 bool complete)
{
    struct handshake *h = &s->rec;
    uint16_t group;

    if (s->in_decrypted) {
        keyed_message(s, side, type, body, complete);
        if (type != TLS_HS_FINISHED && type != TLS_HS_CERTIFICATE &&
            type != TLS_HS_CERTIFICATE_REQUEST &&
            type != TLS_HS_NEW_SESSION_TICKET)
            return;
    }
    switch (type) {
    case TLS_HS_CLIENT_HELLO:
        on_client_hello(s, side, body, len, complete);
        break;
    case TLS_HS_SERVER_HELLO:
        on_server_hello(s, side, body, complete);
        break;
    case TLS_HS_CERTIFICATE:
        on_certificate(s, side, body, len, complete);
        break;
    case TLS_HS_SERVER_KEY_EXCHANGE:
        h->server_key_exchange = true;
        reach(s, STAGE_SERVER_KEY_EXCHANGE);
        /* Only ECDHE names a group; a DHE or RSA exchange saying nothing
         * is not a fault. */
        if (complete && !h->sh.has_key_share &&
            tls_parse_server_key_exchange_group(body, &group))
            h->sh.group = group;
        break;
    case TLS_HS_CERTIFICATE_STATUS:
        /* The server's, once; a second would leak the first. */
        if (role_of(s, side) == TLS_SIDE_SERVER && !h->ocsp.seen) {
            if (!complete ||
                !charge(s, memcap_cost(len < HS_MAX_OCSP_BYTES
                                           ? len
                                           : HS_MAX_OCSP_BYTES))) {
                h->ocsp.seen = h->ocsp.truncated = true;
            } else if (!tls_parse_certificate_status(body, &h->ocsp)) {
                note_fault(s, "certificate_status", body);
            }
        }
        break;
    case TLS_HS_CERTIFICATE_REQUEST:
        h->certificate_request = true;
        reach(s, STAGE_CERTIFICATE_REQUEST);
        break;
    case TLS_HS_SERVER_HELLO_DONE:
        h->server_hello_done = true;
        reach(s, STAGE_SERVER_HELLO_DONE);
        break;
    case TLS_HS_CLIENT_KEY_EXCHANGE:
        h->client_key_exchange = true;
        reach(s, STAGE_CLIENT_KEY_EXCHANGE);
        break;
    case TLS_HS_NEW_SESSION_TICKET:
        h->new_session_ticket = true;
        break;
    case TLS_HS_FINISHED: {
        /* A plaintext Finished should not exist; note it all the same. A
         * decrypted TLS 1.3 server Finished ends the encrypted flight. */
        enum tls_side r = role_of(s, side);
        h->finished[r] = true;
        reach(s, r == TLS_SIDE_CLIENT ? STAGE_CLIENT_FINISHED
                 : s->tls13           ? STAGE_SERVER_ENCRYPTED_FLIGHT
                                      : STAGE_SERVER_FINISHED);
        break;
    }
    default:
        break;
    }
}

/* Room for `need` bytes of the message being assembled. The buffer grows
 * with the bytes that came, not with the length the header announces, so a
 * message held open costs what was sent of it (at most twice that). */
static bool grow_msg(struct tls_session *s, struct side_parser *p,
                     uint32_t need)
{
    uint32_t cap = p->msg_cap ? p->msg_cap : 512;
    uint8_t *m;

    if (need <= p->msg_cap)
        return true;
    while (cap < need)
        cap = cap > UINT32_MAX / 2 ? need : cap * 2;
    if (p->msg_want > 4 && cap > p->msg_want && need <= p->msg_want)
        cap = p->msg_want;
    uint64_t more = memcap_cost(cap) - (p->msg ? memcap_cost(p->msg_cap) : 0);
    if (!charge(s, more))
        return false;
    m = realloc(p->msg, cap);
    if (!m) {
        uncharge(s, more);
        return false;
    }
    p->msg = m;
    p->msg_cap = cap;
    return true;
}

/* The rest of the message being assembled cannot be kept (--memcap is
 * full): only what its type says is noted, and its bytes are skipped. */
static void drop_message(struct tls_session *s, int side,
                         struct side_parser *p)
{
    struct cursor m = cursor_make(p->msg, p->msg_len);
    uint8_t type;
    uint32_t body_len;

    note_error(s, "handshake message skipped: --memcap is full");
    p->msg_skip = p->msg_want - p->msg_len;
    p->msg_len = 0;
    if (cursor_u8(&m, &type) && cursor_u24(&m, &body_len))
        on_handshake_message(s, side, type, NULL, body_len, false);
}

/* A message that lies whole in the record is read where it is, no copy:
 * false (nothing read) when it does not, or is too large to read. */
static bool read_message_in_place(struct tls_session *s, int side,
                                  struct cursor *in)
{
    struct cursor peek = *in;
    uint8_t type;
    uint32_t body_len;

    if (!cursor_has(in, 4) || !cursor_u8(&peek, &type) ||
        !cursor_u24(&peek, &body_len) ||
        body_len > s->max_msg || !cursor_has(&peek, body_len))
        return false;
    struct cursor body = cursor_split(&peek, body_len);
    struct parse_fault_at fault;
    *in = peek;
    s->side[side].msg_ts = s->side[side].rec_ts;
    cursor_watch(&body, &fault);
    on_handshake_message(s, side, type, &body, body_len, true);
    return true;
}

/* Plaintext handshake bytes from one record: messages may span records and
 * several may share one. */
static void read_handshake_bytes(struct tls_session *s, int side,
                                 struct cursor *in)
{
    struct side_parser *p = &s->side[side];

    while (cursor_left(in) > 0 && !is_decided(s)) {
        if (p->msg_len == 0 && !p->msg_skip &&
            read_message_in_place(s, side, in))
            continue;
        if (p->msg_skip) {
            struct cursor skipped = cursor_take(in, p->msg_skip);
            size_t n = cursor_span(&skipped);
            p->msg_skip -= (uint32_t)n;
            continue;
        }
        if (p->msg_len == 0) {
            p->msg_ts = p->rec_ts;
            p->msg_want = 4;
            if (!grow_msg(s, p, 4)) {
                note_error(s, "handshake not read: --memcap is full");
                return;
            }
        }
        size_t n = p->msg_want - p->msg_len;
        if (n > cursor_left(in))
            n = cursor_left(in);
        if (!grow_msg(s, p, p->msg_len + (uint32_t)n)) {
            drop_message(s, side, p);
            continue;
        }
        if (!cursor_copy(in, p->msg + p->msg_len, n))
            return;
        p->msg_len += (uint32_t)n;
        if (p->msg_len < p->msg_want)
            return; /* the rest comes in a later record */

        struct cursor m = cursor_make(p->msg, p->msg_len);
        uint8_t type;
        uint32_t body_len;
        if (!cursor_u8(&m, &type) || !cursor_u24(&m, &body_len))
            return;
        if (p->msg_want == 4 && body_len > 0) {
            if (body_len > s->max_msg) {
                note_error(s, "handshake message too large");
                on_handshake_message(s, side, type, NULL, body_len, false);
                p->msg_skip = body_len;
                p->msg_len = 0;
                continue;
            }
            p->msg_want = 4 + body_len;
            continue;
        }
        struct cursor body;
        struct parse_fault_at fault;
        if (!cursor_sub(&m, body_len, &body))
            return;
        p->msg_len = 0;
        cursor_watch(&body, &fault);
        on_handshake_message(s, side, type, &body, body_len, true);
        /* The buffer goes back: most messages come whole and need none. */
        release_buffer(s, &p->msg, &p->msg_cap);
    }
}

/* ---- SSLv2 ---- */

static void read_ssl2_client_hello(struct tls_session *s, int side,
                                   struct cursor *body)
{
    struct handshake *h = &s->rec;

    if (!hello_from_client(s, side)) {
        note_error(s, "client_hello from the server");
        return;
    }
    /* Watched as a copy: the sink lives only as long as this call. */
    struct cursor hello = *body;
    struct parse_fault_at fault;
    cursor_watch(&hello, &fault);
    if (!parse_client_hello(s, &hello, &h->ch, tls_parse_sslv2_client_hello))
        note_fault(s, "sslv2_client_hello", &hello);
    h->ch.seen = true;
    h->ch.sslv2 = true;
    if (!h->ch.record_version)
        h->ch.record_version = TLS_V_SSL2;
    h->ch.ts_us = s->side[side].rec_ts;
    reach(s, STAGE_CLIENT_HELLO);
}

/* SERVER-HELLO: type, session-id-hit, certificate type, version, then the
 * lengths of certificate, cipher specs and connection id. */
static bool read_ssl2_server_hello(struct tls_session *s, struct cursor *body)
{
    struct handshake *h = &s->rec;
    uint8_t type, hit, cert_type;
    uint16_t version, cert_len, specs_len, conn_id_len;
    struct cursor cert;

    CURSOR_TRY(cursor_u8(body, &type) && type == 4);
    CURSOR_TRY(cursor_u8(body, &hit) && cursor_u8(body, &cert_type));
    CURSOR_TRY(cursor_u16(body, &version) && cursor_u16(body, &cert_len));
    CURSOR_TRY(cursor_u16(body, &specs_len) && cursor_u16(body, &conn_id_len));
    h->sh.seen = true;
    h->sh.record_version = TLS_V_SSL2;
    h->sh.legacy_version = version;
    h->sh.version = version;
    h->sh.ts_us = s->now;
    reach(s, STAGE_SERVER_HELLO);
    s->ssl2 = true;
    if (cert_len && cursor_sub(body, cert_len, &cert) && !h->server_certs.seen) {
        h->server_certs.seen = true;
        h->server_certs.n_certs_total = 1;
        reach(s, STAGE_SERVER_CERTIFICATE);
        if (charge(s, memcap_cost(cert_len)))
            h->server_certs.der = malloc(cert_len);
        else
            h->server_certs.truncated = true;
        if (h->server_certs.der && cursor_copy(&cert, h->server_certs.der,
                                               cert_len)) {
            h->server_certs.der_len = cert_len;
            h->server_certs.n_certs = 1;
            h->server_certs.certs[0].off = 0;
            h->server_certs.certs[0].len = cert_len;
        }
    }
    return true;
}

/* After an SSLv2 server hello the rest is counted, not read: the client
 * sends CLIENT-MASTER-KEY then its encrypted CLIENT-FINISHED, the server
 * SERVER-VERIFY then SERVER-FINISHED; anything later is data. */
static void read_ssl2_record(struct tls_session *s, int side)
{
    struct side_parser *p = &s->side[side];
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);

    p->ssl2_records++;
    if (p->ssl2_records > 1)
        h->encrypted_records[r]++;
    if (h->finished[r]) {
        h->app_data[r] = true;
        reach(s, STAGE_APPLICATION_DATA);
    } else if (r == TLS_SIDE_CLIENT && p->ssl2_records == 1) {
        h->client_key_exchange = true;
        reach(s, STAGE_CLIENT_KEY_EXCHANGE);
    } else if (p->ssl2_records == 2) {
        h->finished[r] = true;
        reach(s, r == TLS_SIDE_CLIENT ? STAGE_CLIENT_FINISHED
                                      : STAGE_SERVER_FINISHED);
    }
}

/* ---- records ---- */

/* Could these bytes be plaintext alerts? Each is a level (1 warning,
 * 2 fatal) and a description; an encrypted alert record is longer and its
 * bytes are noise. */
static bool plaintext_alerts(const struct cursor *body)
{
    struct cursor scan = *body;
    uint8_t level, desc;
    size_t len = cursor_left(body);

    if (len < 2 || len % 2 || len > 32)
        return false;
    while (cursor_u8(&scan, &level) && cursor_u8(&scan, &desc))
        if (level != 1 && level != 2)
            return false;
    return true;
}

static void read_alerts(struct tls_session *s, int side, struct cursor *body)
{
    struct side_parser *p = &s->side[side];
    uint8_t level, desc;

    if (!plaintext_alerts(body)) {
        /* Keys changed where we could not see it (a CCS not captured): an
         * encrypted alert. Not when the record is too short to be one, not
         * once bytes were lost (a false header match is likelier), and
         * never in TLS 1.3, whose encrypted alerts travel as application
         * data. */
        if (cursor_left(body) < TLS12_ENCRYPTED_ALERT_MIN_LEN || s->tls13 ||
            s->rec.gaps || p->after_gap) {
            note_error(s, "bad alert record");
            return;
        }
        s->rec.encrypted_records[role_of(s, side)]++;
        add_alert(s, side, true, 0, 0, (uint16_t)cursor_left(body));
        return;
    }
    while (cursor_u8(body, &level) && cursor_u8(body, &desc))
        add_alert(s, side, false, level, desc, 2);
}

/* After a CCS that came before any ServerHello: a plaintext handshake
 * record then can only be the second ClientHello of TLS 1.3 compatibility
 * mode (after a HelloRetryRequest). Anything else says keys changed: a
 * TLS 1.2 client's encrypted Finished, its server's flight not captured. */
static bool looks_like_client_hello(const struct cursor *body)
{
    struct cursor scan = *body;
    uint8_t type;
    uint32_t len;
    uint16_t version;

    return cursor_u8(&scan, &type) && type == TLS_HS_CLIENT_HELLO &&
           cursor_u24(&scan, &len) && len >= 38 &&
           cursor_u16(&scan, &version) && (version >> 8) == 3;
}

/* Did the ClientHello offer TLS 1.3 (or one of its drafts)? Only
 * meaningful when it was read whole. */
static bool offered_tls13(const struct handshake *h)
{
    if (!h->ch.seen || !h->ch.has_supported_versions)
        return false;
    for (size_t i = 0; i < h->ch.versions.n; i++)
        if (tls_version_rank(h->ch.versions.v[i]) ==
            tls_version_rank(TLS_V_1_3))
            return true;
    return false;
}

static bool tls13_alert_sized(uint32_t len)
{
    return len == TLS13_ALERT_LEN || len == TLS13_ALERT_LEN_CCM8;
}

/* The connection ends with the server's alert-sized record as its last
 * word: it was the server's encrypted alert (a refusal, unless it answered
 * the client's own closing alert). */
static void settle_server_alert(struct tls_session *s)
{
    if (!s->server_alert_pending)
        return;
    s->server_alert_pending = false;
    uint64_t now = s->now;
    s->now = s->server_alert_ts;
    struct tls_alert *a = add_alert(s, s->server_alert_side, true, 0, 0,
                                    s->server_alert_len);
    if (a) {
        a->stage = s->server_alert_stage;
        a->late = a->late || s->server_alert_reply;
    }
    s->now = now;
}

/* `side` closes: its last record, alert-sized, was its closing alert. */
static void settle_close_alert(struct tls_session *s, int side)
{
    struct side_parser *p = &s->side[side];

    if (!p->close_alert_pending)
        return;
    p->close_alert_pending = false;
    uint64_t now = s->now;
    s->now = p->close_alert_ts;
    struct tls_alert *a = add_alert(s, side, true, 0, 0, p->close_alert_len);
    if (a) {
        a->stage = p->close_alert_stage;
        a->late = true;
    }
    s->now = now;
    if (role_of(s, side) == TLS_SIDE_CLIENT && !s->client_post_data)
        s->client_post_alert = true;
}

static void pend_close_alert(struct tls_session *s, int side, uint32_t len)
{
    struct side_parser *p = &s->side[side];

    p->close_alert_pending = true;
    p->close_alert_len = (uint16_t)len;
    p->close_alert_stage = (uint8_t)s->rec.stage;
    p->close_alert_ts = p->rec_ts;
}

/* The client sent application data after its Finished. */
static void client_data(struct tls_session *s)
{
    s->client_post_data = true;
    s->rec.app_data[TLS_SIDE_CLIENT] = true;
}

/* Has the client, having finished, begun to close: its closing alert, or
 * its FIN? What the server sends then answers that. */
static bool client_closing(const struct tls_session *s)
{
    return s->client_post_alert ||
           (s->client_side >= 0 &&
            (s->side[s->client_side].close_alert_pending ||
             s->side[s->client_side].closed));
}

/* TLS 1.3, a server record after the client's Finished. The server's
 * evidence decides: a record that is not alert-sized, or a second one,
 * means it took the Finished (tickets, data); one alert-sized record
 * followed by the close is its refusal. */
static void tls13_server_after_finished(struct tls_session *s, int side,
                                        uint32_t len)
{
    struct handshake *h = &s->rec;

    if (s->server_alert_pending) {
        s->server_alert_pending = false;
    } else if (!h->app_data[TLS_SIDE_SERVER] && tls13_alert_sized(len)) {
        s->server_alert_pending = true;
        /* After the client's closing alert or FIN it is the server's
         * close_notify in answer, not a refusal. */
        s->server_alert_reply = client_closing(s);
        s->server_alert_side = side;
        s->server_alert_len = (uint16_t)len;
        s->server_alert_stage = (uint8_t)h->stage;
        s->server_alert_ts = s->side[side].rec_ts;
        return;
    }
    h->app_data[TLS_SIDE_SERVER] = true;
    reach(s, STAGE_APPLICATION_DATA);
}

/* TLS 1.3, a client record after its Finished: data (an HTTP request rides
 * with the Finished, and proves nothing about the server), or, alert-sized
 * and followed by the client's close, its closing alert. */
static void tls13_client_after_finished(struct tls_session *s, int side,
                                        uint32_t len)
{
    struct side_parser *p = &s->side[side];

    if (p->close_alert_pending) {
        p->close_alert_pending = false;
        client_data(s);
    }
    if (!s->client_post_data && tls13_alert_sized(len)) {
        pend_close_alert(s, side, len);
        return;
    }
    client_data(s);
}

static void read_tls13_record(struct tls_session *s, int side,
                              struct cursor *body, uint32_t len)
{
    struct side_parser *p = &s->side[side];
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);

    switch (p->type) {
    case CT_CCS: /* middlebox compatibility; carries nothing */
        h->ccs[r] = true;
        return;
    case CT_ALERT: /* still plaintext when sent before keys changed */
        read_alerts(s, side, body);
        return;
    case CT_HANDSHAKE:
        read_handshake_bytes(s, side, body);
        return;
    case CT_APP_DATA:
        break;
    default:
        return;
    }

    if (s->dec && keyed_record13(s, side, body, len))
        return;
    h->encrypted_records[r]++;
    if (h->finished[TLS_SIDE_CLIENT]) {
        if (r == TLS_SIDE_SERVER)
            tls13_server_after_finished(s, side, len);
        else
            tls13_client_after_finished(s, side, len);
        return;
    }
    if (r == TLS_SIDE_SERVER) {
        reach(s, STAGE_SERVER_ENCRYPTED_FLIGHT);
        /* Its Finished closes the flight: the last record before the
         * client's Finished carries it. */
        h->finished_ts_us[TLS_SIDE_SERVER] = s->now;
        return;
    }
    if (h->encrypted_records[r] == 1) {
        h->first_client_encrypted_len = (uint16_t)len;
        if (tls13_alert_sized(len)) {
            add_alert(s, side, true, 0, 0, (uint16_t)len);
            return;
        }
    }
    if (len >= TLS13_FINISHED_MIN_LEN) {
        h->finished[r] = true;
        reach(s, STAGE_CLIENT_FINISHED);
    }
}

static void read_tls12_record(struct tls_session *s, int side,
                              struct cursor *body, uint32_t len)
{
    struct side_parser *p = &s->side[side];
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);

    switch (p->type) {
    case CT_CCS:
        h->ccs[r] = true;
        /* Before a ServerHello a CCS may be TLS 1.3 compatibility mode
         * (after an HRR, or ahead of early data), not a key change; it is
         * one after a ClientKeyExchange, or when the client never offered
         * TLS 1.3. */
        if (h->sh.seen ||
            (r == TLS_SIDE_CLIENT &&
             (h->client_key_exchange ||
              (s->ch_read_whole && !offered_tls13(h))))) {
            p->encrypted = true;
            p->msg_len = 0;
            p->msg_skip = 0;
        } else if (r == TLS_SIDE_CLIENT) {
            p->ccs_unsure = true; /* a server's CCS before its hello is
                                   * always compatibility mode (after HRR) */
        }
        break;
    case CT_ALERT:
        p->ccs_unsure = false;
        if (p->encrypted && s->dec && keyed_record12(s, side, body, len))
            break;
        if (p->encrypted) {
            h->encrypted_records[r]++;
            add_alert(s, side, true, 0, 0, (uint16_t)len);
            if (r == TLS_SIDE_CLIENT && h->finished[r] && !s->client_post_data)
                s->client_post_alert = true;
        } else {
            read_alerts(s, side, body);
        }
        break;
    case CT_HANDSHAKE:
        if (p->ccs_unsure && !h->sh.seen && p->msg_len == 0 &&
            !looks_like_client_hello(body)) {
            p->encrypted = true;
            p->msg_skip = 0;
        }
        p->ccs_unsure = false;
        if (!p->encrypted) {
            read_handshake_bytes(s, side, body);
            break;
        }
        if (s->dec && keyed_record12(s, side, body, len))
            break;
        h->encrypted_records[r]++;
        if (!h->finished[r]) {
            h->finished[r] = true;
            reach(s, r == TLS_SIDE_CLIENT ? STAGE_CLIENT_FINISHED
                                          : STAGE_SERVER_FINISHED);
        }
        break;
    case CT_APP_DATA:
        if (p->encrypted && s->dec)
            keyed_skip12(s, side, body);
        if (p->encrypted) {
            h->encrypted_records[r]++;
            h->app_data[r] = true;
            if (r == TLS_SIDE_CLIENT)
                s->client_post_data = true;
            /* Data the client sends ahead of the server's Finished (False
             * Start) does not take the handshake past it. */
            if (r == TLS_SIDE_SERVER || h->finished[TLS_SIDE_SERVER])
                reach(s, STAGE_APPLICATION_DATA);
        } else if (r == TLS_SIDE_SERVER || h->sh.seen) {
            /* Mid-connection capture: data, though no key change was seen.
             * Client data before any ServerHello is 0-RTT and decides
             * nothing. */
            h->app_data[r] = true;
            if (r == TLS_SIDE_CLIENT)
                s->client_post_data = true;
        }
        break;
    default:
        break;
    }
}

/* Heartbeat records (RFC 6520) are read for Heartbleed only: a request
 * whose payload_length runs past its record (payload, then at least 16
 * bytes of padding), and a server record longer than any the client sent
 * (the leaked memory). Encrypted ones show only their length. */
static void note_heartbeat(struct tls_session *s, int side,
                           struct cursor *body, uint32_t len)
{
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);
    uint16_t len16 = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
    if (h->heartbeat.records[r] < UINT16_MAX)
        h->heartbeat.records[r]++;
    if (len16 > h->heartbeat.largest[r])
        h->heartbeat.largest[r] = len16;
    uint8_t type;
    uint16_t payload;
    if (!s->side[side].encrypted && cursor_u8(body, &type) &&
        cursor_u16(body, &payload) && type == 1 &&
        (uint32_t)payload + 3 + 16 > len)
        h->heartbeat.overread = true;
    if (r == TLS_SIDE_SERVER && h->heartbeat.records[TLS_SIDE_CLIENT] > 0 &&
        len16 > h->heartbeat.largest[TLS_SIDE_CLIENT])
        h->heartbeat.oversized_response = true;
}

static void record_done(struct tls_session *s, int side,
                        const struct cursor *whole)
{
    struct side_parser *p = &s->side[side];
    struct cursor body = *whole;
    uint32_t len = (uint32_t)cursor_left(whole);
    bool was_tls13 = s->tls13;

    p->records++;
    s->last_speaker = side;
    if (p->after_gap && ++p->good_after_gap >= 2)
        p->after_gap = false;

    if (p->fmt != FMT_TLS) {
        if (s->ssl2)
            read_ssl2_record(s, side);
        else if (!s->rec.ch.seen && p->records == 1)
            read_ssl2_client_hello(s, side, &body);
        else if (!read_ssl2_server_hello(s, &body))
            note_error(s, "sslv2_server_hello");
    } else if (p->type == CT_HEARTBEAT) {
        note_heartbeat(s, side, &body, len);
    } else if (s->dec && keyed_hold(s, side, &body)) {
        return; /* read once its keys are known, in order */
    } else if (was_tls13) {
        s->record_now = whole;
        read_tls13_record(s, side, &body, len);
    } else {
        s->record_now = whole;
        read_tls12_record(s, side, &body, len);
    }
    s->record_now = NULL;
    decide_now(s);
}

/* A record collected in the body buffer is read; the buffer goes back, so
 * a flow that waits for its peer holds none. */
static void buffered_record_done(struct tls_session *s, int side)
{
    struct side_parser *p = &s->side[side];
    struct cursor whole = cursor_make(p->body, p->body_len);

    record_done(s, side, &whole);
    release_buffer(s, &p->body, &p->body_cap);
}

void tls_feed_record(struct tls_session *s, int side, uint8_t type,
                     uint16_t version, const uint8_t *body, uint32_t len,
                     uint64_t ts_us)
{
    if (!s || (side != 0 && side != 1) || is_decided(s))
        return;
    struct side_parser *p = &s->side[side];
    struct cursor c = cursor_make(body, len);

    s->now = ts_us;
    note_server_response(s, side, ts_us);
    p->rec_ts = ts_us;
    p->fmt = FMT_TLS;
    p->type = type;
    p->version = version;
    p->records++;
    if (s->tls13)
        read_tls13_record(s, side, &c, len);
    else
        read_tls12_record(s, side, &c, len);
    time_finished(s, ts_us);
    decide_now(s);
}

static void decide_not_tls(struct tls_session *s, int side)
{
    struct handshake *h = &s->rec;
    struct side_parser *p = &s->side[side];

    h->not_tls_preview[p->preview_len] = '\0';
    p->state = RS_DEAD;
    h->ended_by = ENDED_NOT_TLS;
    h->ended_by_side = TLS_SIDE_SERVER;
    /* Decided as of the answer's first byte, however it was segmented. */
    s->now = p->not_tls_ts;
    decide_now(s);
}

/* The server's first record is a ClientHello, most often the client's own
 * bytes sent back: the preview shows the record as it came. */
static void answer_is_hello(struct tls_session *s, int side)
{
    struct handshake *h = &s->rec;
    struct side_parser *p = &s->side[side];
    const uint8_t max = sizeof h->not_tls_preview - 1;
    const uint8_t hdr[5] = {p->type, (uint8_t)(p->version >> 8),
                            (uint8_t)p->version,
                            (uint8_t)(p->body_want >> 8),
                            (uint8_t)p->body_want};
    struct cursor body = s->record_now ? *s->record_now : cursor_make(NULL, 0);
    uint8_t n = 0, b;

    for (unsigned i = 0; i < sizeof hdr && n < max; i++)
        h->not_tls_preview[n++] = escape_preview_char(hdr[i]);
    while (n < max && cursor_u8(&body, &b))
        h->not_tls_preview[n++] = escape_preview_char(b);
    h->not_tls_preview[n] = '\0';
    /* The echo goes on in well-formed records: both sides stay readable
     * for the alerts that follow. */
    h->ended_by = ENDED_NOT_TLS;
    h->ended_by_side = TLS_SIDE_SERVER;
    s->now = p->rec_ts;
    decide_now(s);
}

/* The server greeted in another protocol before the client's ClientHello:
 * decided as of the hello. */
static void decide_greeted(struct tls_session *s)
{
    struct handshake *h = &s->rec;

    if (is_decided(s) || !h->ch.seen)
        return;
    h->ended_by = ENDED_NOT_TLS;
    h->ended_by_side = TLS_SIDE_SERVER;
    s->now = h->ch.ts_us;
    decide_now(s);
}

/* Preview bytes of a non-TLS answer; decides once the preview is full. */
static void collect_preview(struct tls_session *s, int side, struct cursor *in)
{
    struct side_parser *p = &s->side[side];
    const uint8_t max = sizeof s->rec.not_tls_preview - 1;
    uint8_t b;

    while (p->preview_len < max && cursor_u8(in, &b))
        s->rec.not_tls_preview[p->preview_len++] = escape_preview_char(b);
    if (p->preview_len == max)
        decide_not_tls(s, side);
}

/* The server did not answer the ClientHello with TLS: keep what it said as
 * a preview, then decide. */
static void start_not_tls(struct tls_session *s, int side, struct cursor *rest)
{
    struct side_parser *p = &s->side[side];
    const uint8_t max = sizeof s->rec.not_tls_preview - 1;

    p->not_tls_ts = p->rec_ts;
    p->preview_len = 0;
    for (int i = p->hdr_len - 1; i >= 0 && p->preview_len < max; i--)
        s->rec.not_tls_preview[p->preview_len++] =
            escape_preview_char((uint8_t)(p->hdr >> (8 * i)));
    p->state = RS_NOT_TLS;
    collect_preview(s, side, rest);
}

/* A server that stopped mid-preview: decide with what it sent. */
static void flush_not_tls(struct tls_session *s)
{
    for (int i = 0; i < 2; i++)
        if (s->side[i].state == RS_NOT_TLS && !is_decided(s))
            decide_not_tls(s, i);
}

/* A header that cannot be TLS. What it means depends on what came before. */
static void bad_header(struct tls_session *s, int side, struct cursor *rest,
                       const char *why)
{
    struct side_parser *p = &s->side[side];

    if (p->after_gap) { /* likely a false match while resynchronizing */
        p->state = RS_RESYNC; /* the window slides on from these bytes */
        p->resync_skipped++;
        return;
    }
    if (p->records == 0 && s->rec.ch.seen && is_server_side(s, side)) {
        start_not_tls(s, side, rest);
        return;
    }
    p->state = RS_DEAD;
    if (p->records == 0)
        p->bad_start = true;
    else
        note_error(s, why);
}

/* May the SSLv2 record format be used on this side right now? */
static bool ssl2_allowed(const struct tls_session *s, int side)
{
    const struct side_parser *p = &s->side[side];
    if (s->ssl2)
        return true;
    if (p->records != 0 || p->after_gap)
        return false;
    if (!s->rec.ch.seen)
        return true; /* an SSLv2 hello decides the roles like any other */
    return is_server_side(s, side) && s->rec.ch.sslv2;
}

/* A record split over feeds is collected in a buffer of its own length (in
 * steps of BODY_STEP), not of the largest a record may be, given back when
 * the record is read. One still held (a gap cut the last record short) is
 * reused when large enough, else replaced: what it held is done. */
#define BODY_STEP 512u

static bool start_body(struct tls_session *s, int side, uint32_t want)
{
    struct side_parser *p = &s->side[side];
    if (!p->body || want > p->body_cap) {
        uint32_t cap = want ? (want + BODY_STEP - 1) / BODY_STEP * BODY_STEP
                            : BODY_STEP;
        uint64_t more = memcap_cost(cap) -
                        (p->body ? memcap_cost(p->body_cap) : 0);
        if (!charge(s, more)) {
            note_error(s, "records not read: --memcap is full");
            p->state = RS_DEAD;
            return false;
        }
        free(p->body);
        p->body = malloc(cap);
        if (!p->body) {
            uncharge(s, memcap_cost(cap));
            p->body_cap = 0;
            note_error(s, "out of memory");
            p->state = RS_DEAD;
            return false;
        }
        p->body_cap = cap;
    }
    p->body_len = 0;
    p->body_want = want;
    p->state = RS_BODY;
    return true;
}

/* Header bytes that belong to an SSLv2 record body go back into the body. */
static void carry_into_body(struct side_parser *p, unsigned n)
{
    for (int i = (int)n - 1; i >= 0 && p->body_len < p->body_want; i--)
        p->body[p->body_len++] = (uint8_t)(p->hdr >> (8 * i));
}

/* How many header bytes this record needs before it can be judged. */
static unsigned header_need(const struct tls_session *s,
                            const struct side_parser *p)
{
    if (s->ssl2 && p->hdr_len >= 1) {
        uint8_t b0 = (uint8_t)(p->hdr >> (8 * (p->hdr_len - 1)));
        return (b0 & 0x80) ? 2 : 3;
    }
    return s->ssl2 ? 2 : 5;
}

/* Is what we have of a header still possibly valid? Lets a non-TLS answer
 * be recognized even when it is shorter than a header. */
static bool header_prefix_ok(const struct tls_session *s, int side,
                             const struct side_parser *p)
{
    uint8_t b[5];
    if (p->hdr_len > sizeof b)
        return false;
    for (unsigned i = 0; i < p->hdr_len; i++)
        b[i] = (uint8_t)(p->hdr >> (8 * (p->hdr_len - 1 - i)));
    if (s->ssl2)
        return true;
    if (ssl2_allowed(s, side) && (b[0] & 0x80))
        return true;
    if (ssl2_allowed(s, side) && !s->rec.ch.seen && p->hdr_len >= 1 &&
        (b[0] < CT_CCS || b[0] > CT_HEARTBEAT) && (b[0] & 0xc0) == 0)
        return true; /* maybe a three-byte SSLv2 header */
    if (b[0] < CT_CCS || b[0] > CT_HEARTBEAT)
        return false;
    if (p->hdr_len >= 2 && b[1] != 3)
        return false;
    if (p->hdr_len >= 3 && b[2] > 4)
        return false;
    return true;
}

/* A five-byte TLS record header has been read: the record's body is read
 * from `rest` when it is all there, else collected. */
static void tls_header_done(struct tls_session *s, int side,
                            struct cursor *rest, uint8_t type,
                            uint16_t version, uint16_t length)
{
    struct side_parser *p = &s->side[side];

    if (!plausible_tls_header(type, version, length, CT_HEARTBEAT)) {
        bad_header(s, side, rest,
                   length > TLS_RECORD_MAX ? "record too large"
                                           : "bad record header");
        return;
    }
    p->fmt = FMT_TLS;
    p->type = type;
    p->version = version;
    p->hdr_len = 0;
    if (cursor_has(rest, length)) {
        struct cursor whole = cursor_split(rest, length);
        /* All of it came in this feed: read where it lies, no copy. */
        p->body_want = length;
        p->state = RS_HEADER;
        record_done(s, side, &whole);
        return;
    }
    start_body(s, side, length);
}

static void header_done(struct tls_session *s, int side, struct cursor *rest)
{
    struct side_parser *p = &s->side[side];
    uint8_t b[5] = {0};
    unsigned n = p->hdr_len < sizeof b ? p->hdr_len : sizeof b;

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(p->hdr >> (8 * (n - 1 - i)));

    bool tls_type = b[0] >= CT_CCS && b[0] <= CT_HEARTBEAT;
    bool ssl2_shape = (b[0] & 0x80) || ((b[0] & 0xc0) == 0 && !tls_type);
    if (s->ssl2 || (ssl2_allowed(s, side) && ssl2_shape)) {
        bool two = (b[0] & 0x80) != 0;
        uint32_t len = two ? ((uint32_t)(b[0] & 0x7f) << 8 | b[1])
                           : ((uint32_t)(b[0] & 0x3f) << 8 | b[1]);
        unsigned hdr_bytes = two ? 2 : 3;
        p->fmt = two ? FMT_SSL2_2 : FMT_SSL2_3;
        if (!s->ssl2) {
            /* Only a hello may open the connection in SSLv2 form. */
            uint8_t msg = b[hdr_bytes];
            bool hello = s->rec.ch.seen ? (msg == 4 && len >= 11)
                                        : (msg == 1 && len >= 9);
            if (!hello || len > TLS_RECORD_MAX) {
                bad_header(s, side, rest, "bad record header");
                return;
            }
        }
        if (len > TLS_RECORD_MAX) {
            bad_header(s, side, rest, "record too large");
            return;
        }
        p->version = TLS_V_SSL2;
        p->type = 0;
        if (!start_body(s, side, len))
            return;
        carry_into_body(p, n - hdr_bytes);
        p->hdr_len = 0;
        if (p->body_len == p->body_want) {
            p->state = RS_HEADER;
            buffered_record_done(s, side);
        }
        return;
    }

    struct cursor h = cursor_make(b, 5);
    uint8_t type;
    uint16_t version, length;
    if (!cursor_u8(&h, &type) || !cursor_u16(&h, &version) ||
        !cursor_u16(&h, &length))
        return;
    tls_header_done(s, side, rest, type, version, length);
}

/* After a gap: slide a five-byte window over the stream until it shows a
 * plausible record header. */
static void resync_byte(struct tls_session *s, int side, uint8_t byte)
{
    struct side_parser *p = &s->side[side];
    p->hdr = ((p->hdr << 8) | byte) & 0xffffffffffull;
    if (p->hdr_len < 5)
        p->hdr_len++;
    if (p->hdr_len < 5)
        return;
    uint8_t type = (uint8_t)(p->hdr >> 32);
    uint16_t version = (uint16_t)(p->hdr >> 16);
    uint16_t length = (uint16_t)p->hdr;
    if (!plausible_tls_header(type, version, length, CT_APP_DATA)) {
        p->resync_skipped++;
        return;
    }
    if (p->resync_skipped)
        s->rec.resynced = true;
    p->resync_skipped = 0;
    p->state = RS_HEADER;
}

/* A plain TLS record header that came whole in this feed is taken in one
 * step: read a byte at a time, each of its prefixes would have been found
 * plausible (header_prefix_ok), the fifth byte would complete it
 * (header_need), and header_done would find it in the TLS format (not an
 * SSLv2 shape). Anything else (an SSLv2 shape, a header split over feeds,
 * one that is not plausible) goes the byte-at-a-time way. */
static bool whole_tls_header(struct tls_session *s, int side,
                             struct cursor *in)
{
    struct side_parser *p = &s->side[side];
    struct cursor look = *in;
    uint8_t type;
    uint16_t version, length;

    if (s->ssl2 || p->hdr_len != 0 || !cursor_u8(&look, &type) ||
        !cursor_u16(&look, &version) || !cursor_u16(&look, &length))
        return false;
    if (type < CT_CCS || type > CT_HEARTBEAT || (version >> 8) != 3 ||
        (version & 0xff) > 4)
        return false;
    *in = look;
    p->rec_ts = s->now;
    /* As the byte-at-a-time reader leaves them, for a reader of the
     * header bytes (a preview of a non-TLS answer). */
    p->hdr = (uint64_t)type << 32 | (uint64_t)version << 16 | length;
    p->hdr_len = 5;
    tls_header_done(s, side, in, type, version, length);
    return true;
}

static void read_records(struct tls_session *s, int side, struct cursor *in)
{
    struct side_parser *p = &s->side[side];
    uint8_t byte;

    while (cursor_left(in) > 0 && !is_decided(s)) {
        switch (p->state) {
        case RS_DEAD:
            return;
        case RS_NOT_TLS:
            collect_preview(s, side, in);
            return;
        case RS_RESYNC:
            if (!cursor_u8(in, &byte))
                return;
            resync_byte(s, side, byte);
            if (p->state == RS_HEADER)
                header_done(s, side, in);
            break;
        case RS_HEADER:
            if (whole_tls_header(s, side, in))
                break;
            if (p->hdr_len == 0)
                p->rec_ts = s->now;
            if (!cursor_u8(in, &byte))
                return;
            p->hdr = (p->hdr << 8) | byte;
            p->hdr_len++;
            if (!header_prefix_ok(s, side, p)) {
                bad_header(s, side, in, "bad record header");
                break;
            }
            if (p->hdr_len >= header_need(s, p))
                header_done(s, side, in);
            break;
        case RS_BODY: {
            size_t n = p->body_want - p->body_len;
            if (n > cursor_left(in))
                n = cursor_left(in);
            if (!cursor_copy(in, p->body + p->body_len, n))
                return;
            p->body_len += (uint32_t)n;
            if (p->body_len == p->body_want) {
                p->state = RS_HEADER;
                buffered_record_done(s, side);
            }
            break;
        }
        }
    }
}

/* ---- decrypted records (key log) ----
 *
 * With a key log the protected records of the handshake are opened and
 * their plaintext read by the readers of plaintext records. The flags the
 * outcome is decided on (finished, app_data, alerts) are then set from
 * what the records held, where without keys they come from record sizes;
 * everything else is set exactly as without keys, so that a record differs
 * only by what the keys revealed. A record that cannot be opened (no key,
 * a failed authentication) is read as it is read without keys. */

/* How long (packet time) records wait for the secrets a client is about
 * to write to a followed key log. */
#define KEYED_HOLD_US (2ull * 1000000ull)

enum { EPOCH_FINISHED = 1, EPOCH_KEY_UPDATE = 2 };

static enum tls_dec_dir dec_dir(const struct tls_session *s, int side)
{
    return role_of(s, side) == TLS_SIDE_CLIENT ? TLS_DEC_CLIENT
                                               : TLS_DEC_SERVER;
}

static void keyed_start(struct tls_session *s)
{
    struct handshake *h = &s->rec;

    if (s->dec || !keylog_active(s->keylog) || !h->sh.seen)
        return;
    if (!h->ch.seen || h->ch.sslv2) {
        h->decryption.no_client_hello = true;
        return;
    }
    s->dec = tls_decryptor_new(s->keylog, h->sh.version, h->sh.cipher,
                               h->ch.random, h->sh.random,
                               h->ch.encrypt_then_mac &&
                                   h->sh.encrypt_then_mac);
    if (!s->dec) {
        h->decryption.unsupported = true;
        return;
    }
    h->decryption.attempted = true;
    if (s->tls13 && h->ch.early_data)
        tls_decryptor_expect_early(s->dec);
}

static size_t keyed_memory(const struct tls_session *s)
{
    return (s->dec ? tls_decryptor_memory() : 0) +
           (s->plain ? TLS_DEC_MAX_RECORD : 0) + s->hold.bytes;
}

/* The handshake is decided: what was opened goes into the record and
 * every key, and every plaintext, is wiped. */
static void keyed_release_state(struct tls_session *s)
{
    struct decryption *d = &s->rec.decryption;
    if (s->dec) {
        struct tls_dec_report rep;
        tls_decryptor_report(s->dec, &rep);
        d->records = rep.opened;
        d->failed = rep.failed;
        d->missing = rep.missing;
        d->used = rep.used;
        tls_decryptor_free(s->dec);
        s->dec = NULL;
    }
    if (s->plain) {
        OPENSSL_cleanse(s->plain, TLS_DEC_MAX_RECORD);
        free(s->plain);
        s->plain = NULL;
    }
    tls_hold_clear(&s->hold);
}

/* Open the current record of `side`; false leaves it to be read as
 * without keys. */
static bool keyed_open(struct tls_session *s, int side, struct cursor *body,
                       uint8_t *inner, struct cursor *plain)
{
    struct side_parser *p = &s->side[side];
    enum tls_dec_dir dir = dec_dir(s, side);
    size_t n;

    if (tls_decryptor_stopped(s->dec, dir))
        return false;
    if (!tls_decryptor_ready(s->dec, dir, false)) {
        tls_decryptor_give_up(s->dec, dir);
        return false;
    }
    if (!s->plain && !(s->plain = malloc(TLS_DEC_MAX_RECORD)))
        return false;
    if (tls_decryptor_open(s->dec, dir, p->type, p->version, body, s->plain,
                           &n, inner) != TLS_DEC_OK)
        return false;
    *plain = cursor_make(s->plain, n);
    return true;
}

static void read_decrypted_alerts(struct tls_session *s, int side,
                                  struct cursor *plain, uint32_t len)
{
    enum tls_side r = role_of(s, side);
    uint8_t level, desc;

    if (cursor_left(plain) < 2 || cursor_left(plain) % 2)
        note_error(s, "bad alert record");
    while (cursor_u8(plain, &level) && cursor_u8(plain, &desc)) {
        struct tls_alert *a =
            add_alert(s, side, false, level, desc, (uint16_t)len);
        if (a) {
            a->decrypted = true;
            /* A TLS 1.3 server's alert after the client's own closing
             * alert or FIN answers it, as without keys. */
            if (s->tls13 && r == TLS_SIDE_SERVER && client_closing(s))
                a->late = true;
        }
        if (r == TLS_SIDE_CLIENT && sender_finished(s, r) &&
            !s->client_post_data)
            s->client_post_alert = true;
    }
}

static void read_decrypted_handshake(struct tls_session *s, int side,
                                     struct cursor *plain)
{
    s->in_decrypted = true;
    read_handshake_bytes(s, side, plain);
    s->in_decrypted = false;
}

/* Keys change at record boundaries: after the record with a Finished or a
 * KeyUpdate, its sender's next records use the next keys. */
static void keyed_epochs(struct tls_session *s)
{
    for (int r = 0; r < 2 && s->dec; r++) {
        if (s->epoch_change[r] & EPOCH_FINISHED)
            tls_decryptor_finished(s->dec, (enum tls_dec_dir)r);
        if (s->epoch_change[r] & EPOCH_KEY_UPDATE)
            tls_decryptor_key_update(s->dec, (enum tls_dec_dir)r);
        s->epoch_change[r] = 0;
    }
}

/* A handshake message read from decrypted bytes: what only keys show. */
static void keyed_message(struct tls_session *s, int side, uint8_t type,
                          struct cursor *body, bool complete)
{
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);

    if (type < 32)
        h->decryption.messages[r] |= 1u << type;
    switch (type) {
    case TLS_HS_ENCRYPTED_EXTENSIONS:
        if (r != TLS_SIDE_SERVER || h->ee)
            break;
        h->ee = rare_part(s, sizeof *h->ee);
        if (!h->ee)
            note_error(s, "encrypted_extensions not kept: --memcap is full");
        else if (!complete)
            h->ee->seen = true;
        else if (!tls_parse_encrypted_extensions(body, h->ee))
            note_fault(s, "encrypted_extensions", body);
        break;
    case TLS_HS_COMPRESSED_CERTIFICATE: {
        const struct cert_chain *chain = r == TLS_SIDE_CLIENT
                                             ? &hs_rare(h)->client_certs
                                             : &h->server_certs;
        uint8_t *der = NULL;
        uint32_t n = 0;
        uint16_t alg = 0;
        if (chain->seen)
            break;
        if (!complete || !tls_parse_compressed_certificate(
                             body, s->max_msg, &alg, &der, &n)) {
            h->decryption.cert_compression = alg;
            h->decryption.compression_failed = true;
            note_error(s, "compressed_certificate");
            on_certificate(s, side, NULL, 0, false);
            break;
        }
        h->decryption.cert_compression = alg;
        struct cursor c = cursor_make(der, n);
        on_certificate(s, side, &c, n, true);
        free(der);
        break;
    }
    case TLS_HS_FINISHED:
        s->epoch_change[r] |= EPOCH_FINISHED;
        break;
    case TLS_HS_KEY_UPDATE:
        s->epoch_change[r] |= EPOCH_KEY_UPDATE;
        break;
    case TLS_HS_END_OF_EARLY_DATA:
        tls_decryptor_end_of_early_data(s->dec);
        break;
    default:
        break;
    }
}

/* A TLS 1.3 record that is not an alert, as its size tells without keys:
 * after the client's Finished it is data (the proof that both sides
 * finished), before it the server's flight. */
static void keyed_progress13(struct tls_session *s, enum tls_side r,
                             bool client_done)
{
    struct handshake *h = &s->rec;
    if (client_done && r == TLS_SIDE_CLIENT) {
        client_data(s); /* no proof of the server's, as without keys */
    } else if (client_done) {
        s->server_alert_pending = false;
        h->app_data[TLS_SIDE_SERVER] = true;
        reach(s, STAGE_APPLICATION_DATA);
    } else if (r == TLS_SIDE_SERVER) {
        reach(s, STAGE_SERVER_ENCRYPTED_FLIGHT);
    }
}

static bool keyed_record13(struct tls_session *s, int side,
                           struct cursor *body, uint32_t len)
{
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);
    bool client_done = h->finished[TLS_SIDE_CLIENT];
    struct cursor plain;
    uint8_t inner;

    if (!keyed_open(s, side, body, &inner, &plain))
        return false;
    h->encrypted_records[r]++;
    if (r == TLS_SIDE_CLIENT && h->encrypted_records[r] == 1)
        h->first_client_encrypted_len = (uint16_t)len;
    switch (inner) {
    case CT_ALERT:
        read_decrypted_alerts(s, side, &plain, len);
        break;
    case CT_HANDSHAKE:
        read_decrypted_handshake(s, side, &plain);
        keyed_progress13(s, r, client_done);
        break;
    case CT_APP_DATA:
        keyed_progress13(s, r, client_done);
        break;
    default: /* 0-RTT data (0), or a type TLS 1.3 does not have */
        break;
    }
    keyed_epochs(s);
    return true;
}

static bool keyed_record12(struct tls_session *s, int side,
                           struct cursor *body, uint32_t len)
{
    struct handshake *h = &s->rec;
    enum tls_side r = role_of(s, side);
    struct cursor plain;
    uint8_t inner;

    if (!keyed_open(s, side, body, &inner, &plain))
        return false;
    h->encrypted_records[r]++;
    if (inner == CT_ALERT)
        read_decrypted_alerts(s, side, &plain, len);
    else if (!h->finished[r]) /* later ones (renegotiation): counted */
        read_decrypted_handshake(s, side, &plain);
    s->epoch_change[r] = 0;
    return true;
}

static void keyed_skip12(struct tls_session *s, int side, struct cursor *body)
{
    tls_decryptor_skip(s->dec, dec_dir(s, side), body);
}

/* Does a record of this type from `side` need keys to be read now? */
static bool needs_key(const struct tls_session *s, int side, uint8_t type)
{
    if (tls_decryptor_stopped(s->dec, dec_dir(s, side)))
        return false;
    if (s->tls13)
        return type == CT_APP_DATA;
    return s->side[side].encrypted && (type == CT_ALERT || type == CT_HANDSHAKE);
}

/* Read one held record as it would have been read when it came. */
static void replay(struct tls_session *s, const struct tls_held_record *r)
{
    struct side_parser *p = &s->side[r->side];
    uint8_t type = p->type;
    uint16_t version = p->version;
    uint64_t rec_ts = p->rec_ts, now = s->now;
    struct cursor body = cursor_make(r->body, r->len);

    p->type = r->type;
    p->version = r->version;
    p->rec_ts = s->now = r->ts_us;
    if (s->tls13)
        read_tls13_record(s, r->side, &body, r->len);
    else
        read_tls12_record(s, r->side, &body, r->len);
    decide_now(s);
    p->type = type;
    p->version = version;
    p->rec_ts = rec_ts;
    s->now = now;
}

/* Read held records, oldest first, while their keys are known; `force`
 * reads them all, without the keys that did not come. */
static void keyed_release(struct tls_session *s, bool force)
{
    struct tls_held_record *r;
    while (!is_decided(s) && (r = tls_hold_oldest(&s->hold)) != NULL) {
        enum tls_dec_dir dir = dec_dir(s, r->side);
        if (needs_key(s, r->side, r->type) &&
            !tls_decryptor_ready(s->dec, dir, force)) {
            if (!force)
                return;
            tls_decryptor_give_up(s->dec, dir);
        }
        r = tls_hold_pop(&s->hold);
        replay(s, r);
        tls_hold_free_one(r);
    }
}

/* Live capture with a followed key log: the client writes its secrets as
 * it reads the server's flight, which the sensor sees at the same time.
 * A record whose keys are not there yet waits (with every record after
 * it, to keep their order) until they are, or for KEYED_HOLD_US, or until
 * the connection closes. True when the record is held (or the session got
 * decided meanwhile). */
static bool keyed_hold(struct tls_session *s, int side, struct cursor *body)
{
    struct side_parser *p = &s->side[side];

    if (!keylog_following(s->keylog))
        return false;
    if (!tls_hold_oldest(&s->hold) && (!needs_key(s, side, p->type) ||
                          tls_decryptor_ready(s->dec, dec_dir(s, side),
                                              false)))
        return false;
    if (!tls_hold_push(&s->hold, side, p->type, p->version, p->rec_ts,
                       body)) {
        keyed_release(s, true); /* full: what waits goes on without keys */
        return is_decided(s);
    }
    keyed_release(s, s->now - s->hold.since_us > KEYED_HOLD_US);
    return true;
}

static void keyed_flush(struct tls_session *s)
{
    if (s->keylog && tls_hold_oldest(&s->hold))
        keyed_release(s, true);
}

/* ---- the tail: after the decision, alerts only ---- */

static void tail_data(struct tls_session *s, int side)
{
    if (role_of(s, side) != TLS_SIDE_CLIENT)
        return;
    client_data(s);
    if (s->rec.outcome == OUTCOME_ESTABLISHED) {
        s->rec.client_closed_after_handshake = EVIDENCE_NO;
        s->side[side].tail = false; /* what the watch was for */
    }
}

static void tail_alert(struct tls_session *s, int side, uint32_t len)
{
    struct side_parser *p = &s->side[side];
    struct cursor body = cursor_make(p->tail_body, p->tail_kept);
    uint8_t level, desc;

    if (len <= TAIL_KEEP && !p->encrypted && plaintext_alerts(&body)) {
        while (cursor_u8(&body, &level) && cursor_u8(&body, &desc))
            add_alert(s, side, false, level, desc, 2);
    } else if (len >= TLS12_ENCRYPTED_ALERT_MIN_LEN && !s->tls13) {
        add_alert(s, side, true, 0, 0, (uint16_t)len);
    } else {
        return;
    }
    if (role_of(s, side) == TLS_SIDE_CLIENT && !s->client_post_data)
        s->client_post_alert = true;
}

static void tail_record_done(struct tls_session *s, int side)
{
    struct side_parser *p = &s->side[side];
    uint32_t len = p->body_want;

    p->tail_records++;
    if (p->close_alert_pending) { /* not the last record: it was data */
        p->close_alert_pending = false;
        tail_data(s, side);
    }
    if (p->type == CT_ALERT)
        tail_alert(s, side, len);
    else if (p->type == CT_APP_DATA && s->tls13 && tls13_alert_sized(len))
        pend_close_alert(s, side, len);
    else if (p->type == CT_APP_DATA)
        tail_data(s, side);
    if (p->tail_records >= TAIL_MAX_RECORDS)
        p->tail = false;
}

/* Record headers and the first bytes of each body; the rest is skipped,
 * never kept. A header that is not TLS ends the reading. */
static void read_tail(struct tls_session *s, int side, struct cursor *in)
{
    struct side_parser *p = &s->side[side];
    uint8_t byte;

    while (p->tail && cursor_left(in) > 0) {
        if (p->state == RS_HEADER) {
            if (p->hdr_len == 0)
                p->rec_ts = s->now;
            if (!cursor_u8(in, &byte))
                return;
            p->hdr = (p->hdr << 8) | byte;
            if (++p->hdr_len < 5)
                continue;
            uint8_t type = (uint8_t)(p->hdr >> 32);
            uint16_t version = (uint16_t)(p->hdr >> 16);
            uint16_t length = (uint16_t)p->hdr;
            p->hdr_len = 0;
            if (!plausible_tls_header(type, version, length, CT_HEARTBEAT)) {
                p->tail = false;
                return;
            }
            p->type = type;
            p->version = version;
            p->body_want = length;
            p->body_len = 0;
            p->tail_kept = 0;
            p->state = RS_BODY;
        } else {
            size_t n = p->body_want - p->body_len;
            if (n > cursor_left(in))
                n = cursor_left(in);
            size_t keep = TAIL_KEEP - p->tail_kept;
            if (keep > n)
                keep = n;
            if (!cursor_copy(in, p->tail_body + p->tail_kept, keep) ||
                !cursor_skip(in, n - keep))
                return;
            p->tail_kept += (uint8_t)keep;
            p->body_len += (uint32_t)n;
        }
        if (p->state == RS_BODY && p->body_len == p->body_want) {
            p->state = RS_HEADER;
            tail_record_done(s, side);
        }
    }
}

/* `side` closed after the decision: its pending closing alert counts, and
 * an established handshake learns whether its client hung up at once. */
static void tail_closed(struct tls_session *s, int side)
{
    struct handshake *h = &s->rec;
    bool was_tail = s->side[side].tail;

    s->side[side].tail = false;
    if (!was_tail)
        return;
    settle_close_alert(s, side);
    if (h->outcome == OUTCOME_ESTABLISHED &&
        role_of(s, side) == TLS_SIDE_CLIENT && s->client_post_alert &&
        !s->client_post_data)
        h->client_closed_after_handshake = EVIDENCE_YES;
}

/* ---- feeding ---- */

void tls_feed(struct tls_session *s, int side, const uint8_t *data,
              uint32_t len, uint64_t ts_us)
{
    struct side_parser *p;

    if (!s || (side != 0 && side != 1) || !data || len == 0)
        return;
    p = &s->side[side];
    struct cursor in = cursor_make(data, len);
    s->now = ts_us;
    if (is_decided(s)) {
        read_tail(s, side, &in);
        return;
    }
    note_server_response(s, side, ts_us);
    if (p->state == RS_DEAD)
        return;

    read_records(s, side, &in);
    time_finished(s, ts_us);
    /* Bytes after the deciding record: this side's tail, if it has one, at
     * this feed's time (a decision may have moved the clock back to the
     * moment it is dated). */
    if (is_decided(s)) {
        s->now = ts_us;
        read_tail(s, side, &in);
    }
    charge_keyed(s);
}

void tls_gap(struct tls_session *s, int side, uint32_t len)
{
    struct side_parser *p;

    if (!s || (side != 0 && side != 1))
        return;
    p = &s->side[side];
    if (!is_decided(s))
        keyed_flush(s);
    if (is_decided(s)) {
        p->tail = false; /* no record boundary to trust any more */
        return;
    }
    s->rec.gaps++;
    s->rec.gap_bytes += len;
    if (p->state == RS_DEAD || p->state == RS_NOT_TLS)
        return;
    /* What was half-read is lost; facts already read stay. */
    p->state = RS_RESYNC;
    p->hdr = 0;
    p->hdr_len = 0;
    p->body_len = 0;
    p->msg_len = 0;
    p->msg_skip = 0;
    p->after_gap = true;
    p->good_after_gap = 0;
    p->resync_skipped = 0;
}

/* Decide as of the first FIN: its time, its side, and the stage the
 * handshake was at then (what came after it is no reason it failed). The
 * record keeps the furthest stage the bytes showed. */
static void decide_pending_close(struct tls_session *s)
{
    enum hs_stage furthest = s->rec.stage;

    s->close_pending = false;
    s->rec.stage = s->close_stage;
    s->now = s->close_ts;
    outcome_closed(&s->rec, role_of(s, s->close_side), false, s->close_ts);
    s->rec.stage = furthest;
    settled(s);
}

void tls_closed(struct tls_session *s, int side, enum tls_close how,
                uint64_t ts_us)
{
    if (!s || (side != 0 && side != 1))
        return;
    bool again = s->side[side].closed;
    s->side[side].closed = true;
    if (is_decided(s)) {
        if (!again)
            tail_closed(s, side);
        return;
    }
    if (again && how == TLS_CLOSE_FIN)
        return; /* a retransmitted FIN says nothing new */
    if (tls_not_a_tls_flow(s))
        return;
    flush_not_tls(s);
    keyed_flush(s);
    if (is_decided(s))
        return;
    if (s->greeted_not_tls) {
        decide_greeted(s);
        return;
    }
    settle_close_alert(s, side);
    settle_server_alert(s);
    if (decide_now(s))
        return;
    if (s->close_pending) { /* the other side's close, or a reset */
        decide_pending_close(s);
        return;
    }
    /* A side that spoke last and half-closes waits for the answer. */
    if (how == TLS_CLOSE_FIN && s->last_speaker == side) {
        s->close_pending = true;
        s->close_side = side;
        s->close_ts = ts_us;
        s->close_stage = s->rec.stage;
        return;
    }
    s->now = ts_us;
    outcome_closed(&s->rec, role_of(s, side), how == TLS_CLOSE_RST, ts_us);
    settled(s);
}

void tls_capped(struct tls_session *s)
{
    if (!s || is_decided(s))
        return;
    s->rec.stream_capped = true;
    release_buffers(s);
}

void tls_finish(struct tls_session *s, enum hs_ended_by why, uint64_t ts_us)
{
    if (!s)
        return;
    if (!is_decided(s)) {
        flush_not_tls(s);
        if (!is_decided(s))
            keyed_flush(s);
        if (!is_decided(s) && s->greeted_not_tls)
            decide_greeted(s);
        if (!is_decided(s)) {
            settle_server_alert(s);
            decide_now(s);
        }
        if (!is_decided(s) && s->close_pending)
            decide_pending_close(s);
        if (!is_decided(s)) {
            s->now = ts_us;
            outcome_finish(&s->rec, why, ts_us);
            settled(s);
        }
    }
    /* Nothing more comes: what was being watched stays as it is. */
    end_tails(s);
    release_buffers(s);
}

bool tls_done(const struct tls_session *s)
{
    return s && is_decided(s) && !s->side[0].tail && !s->side[1].tail;
}

bool tls_reads(const struct tls_session *s, int side)
{
    if (!s || (side != 0 && side != 1))
        return false;
    return !is_decided(s) || s->side[side].tail;
}

void tls_server_spoke_first(struct tls_session *s, int server_side,
                            const uint8_t *greeting, uint32_t len,
                            uint64_t ts_us)
{
    struct cursor in = cursor_make(greeting, len);
    uint8_t n = 0, b;

    if (!s || (server_side != 0 && server_side != 1) || is_decided(s))
        return;
    struct handshake *h = &s->rec;
    const uint8_t max = sizeof h->not_tls_preview - 1;
    s->client_side = 1 - server_side;
    s->roles_fixed = true;
    s->greeted_not_tls = true;
    s->side[server_side].state = RS_DEAD;
    s->side[server_side].not_tls_ts = ts_us;
    while (n < max && cursor_u8(&in, &b))
        h->not_tls_preview[n++] = escape_preview_char(b);
    h->not_tls_preview[n] = '\0';
}
