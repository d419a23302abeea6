/* dtls.c — DTLS records and handshake fragments, read from the outside
 * (see dtls.h).
 *
 * DTLS is TLS made to survive datagrams: every handshake message carries
 * its sequence number and may be cut into fragments, lost flights are
 * sent again with new record numbers, and a server may first ask for a
 * cookie. Once the fragments are rebuilt into whole messages and the
 * repeats are set aside, what remains is read by the TLS dissector
 * exactly as a TLS 1.2 (or 1.3) conversation: outcome, alerts, causes and
 * certificates are decided the same way. */
#include "dtls.h"

#include <stdlib.h>
#include <string.h>

#include "array_len.h"
#include "cursor.h"
#include "memcap.h"
#include "handshake.h"
#include "tls.h"
#include "tls_messages.h"
#include "tls_names.h"

#define DTLS_HEADER_LEN 13
#define DTLS_HS_HEADER_LEN 12
#define DTLS_MSGS_PENDING 8  /* messages of a flight rebuilt at once */
#define DTLS_MAX_RANGES 32   /* disjoint pieces of one message */
#define DTLS_HVR_TYPE 3      /* HelloVerifyRequest (RFC 6347 §4.2.1) */
#define STUN_MAGIC 0x2112a442u
#define DTLS_MAX_CID 32      /* connection IDs tried when their length is
                                not on the wire (RFC 9146, RFC 9147) */

/* Position of a piece of a flight, to tell a flight sent again from the
 * rest of the first one: handshake fragments by (message, offset), the
 * CCS, the encrypted Finished. */
#define POS_CCS (UINT64_MAX - 1)
#define POS_ENCRYPTED (UINT64_MAX)

struct range {
    uint32_t lo, hi;
};

/* One handshake message being rebuilt, in TLS form: 4-byte header, body. */
struct pending_msg {
    bool used;
    uint8_t type;
    uint16_t seq;
    uint32_t len;
    uint8_t *buf;
    uint16_t version;  /* of the record carrying its first fragment */
    uint64_t ts_us;    /* when its first fragment came */
    uint8_t n_ranges;
    bool fragmented;
    struct range ranges[DTLS_MAX_RANGES];
};

struct dtls_side {
    bool started;
    uint16_t next_seq;  /* next message to hand to the TLS dissector */
    struct pending_msg msgs[DTLS_MSGS_PENDING];
    bool ccs;           /* sent its ChangeCipherSpec */
    bool lost_bytes;    /* the capture cut some of its datagrams */
    bool encrypted_hs;  /* sent its encrypted Finished (DTLS <= 1.2) */
    uint8_t seq_type[16]; /* type of each early message handed over */
    uint16_t seq_known;   /* bit i: seq_type[i] is filled */
    /* Retransmission: a run of repeats is one flight sent again; a piece
     * repeated twice in one run means the flight went out yet again. */
    bool in_repeat;
    uint8_t n_repeated;
    uint64_t repeated[16];
    /* Exact copies of a record (same epoch and number): a duplicated
     * datagram, dropped silently. A 64-record window per side. */
    bool window_used;
    uint16_t window_epoch;
    uint64_t window_top;
    uint64_t window_bits;
};

struct dtls_conn {
    struct tls_session *tls;
    struct handshake *h;
    uint32_t max_msg;
    int client_side;
    struct memcap *memcap;
    uint64_t charged;    /* itself and the pending messages' buffers */
    struct dtls_side side[2];
};

/* ---- sniffing ---- */

static bool dtls_record_version(uint16_t v)
{
    return tls_version_is_dtls(v);
}

static bool is_stun(const uint8_t *data, uint32_t len)
{
    struct cursor c = cursor_make(data, len);
    uint16_t type, msg_len;
    uint32_t magic;
    return cursor_u16(&c, &type) && (type & 0xc000) == 0 &&
           cursor_u16(&c, &msg_len) && msg_len % 4 == 0 &&
           cursor_u32(&c, &magic) && magic == STUN_MAGIC &&
           cursor_skip(&c, 12) && cursor_left(&c) == msg_len;
}

enum dtls_sniff dtls_sniff(const uint8_t *data, uint32_t len)
{
    struct cursor c = cursor_make(data, len);
    uint8_t type, msg;
    uint16_t version, epoch, length;

    if (is_stun(data, len))
        return DTLS_SNIFF_STUN;
    if (!cursor_u8(&c, &type) || !cursor_u16(&c, &version) ||
        !cursor_u16(&c, &epoch) || !cursor_skip(&c, 6) ||
        !cursor_u16(&c, &length))
        return DTLS_SNIFF_NO;
    if (type < CT_CCS || type > CT_ACK || !dtls_record_version(version) ||
        length > cursor_left(&c) || length == 0)
        return DTLS_SNIFF_NO;
    if (type != CT_HANDSHAKE || epoch != 0 || !cursor_u8(&c, &msg))
        return DTLS_SNIFF_OTHER;
    if (msg == TLS_HS_CLIENT_HELLO)
        return DTLS_SNIFF_CLIENT_HELLO;
    if (msg == TLS_HS_SERVER_HELLO || msg == DTLS_HVR_TYPE)
        return DTLS_SNIFF_SERVER_HELLO;
    return DTLS_SNIFF_OTHER;
}

/* ---- lifecycle ---- */

struct dtls_conn *dtls_conn_new(struct tls_session *tls, uint32_t max_msg,
                                int client_side, struct memcap *memcap)
{
    struct dtls_conn *d = memcap_calloc(memcap, sizeof *d);
    if (!d)
        return NULL;
    d->memcap = memcap;
    d->charged = memcap_cost(sizeof *d);
    d->tls = tls;
    d->h = tls_record(tls);
    d->max_msg = max_msg ? max_msg : 256u * 1024u;
    d->client_side = (client_side == 0 || client_side == 1) ? client_side
                                                             : -1;
    d->h->transport = HS_OVER_DTLS;
    return d;
}

static void drop_msg(struct dtls_conn *d, struct pending_msg *m)
{
    if (m->buf) {
        uint64_t cost = memcap_cost(4 + (size_t)m->len);
        memcap_release(d->memcap, cost);
        d->charged -= cost;
    }
    free(m->buf);
    memset(m, 0, sizeof *m);
}

void dtls_conn_free(struct dtls_conn *d)
{
    if (!d)
        return;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < DTLS_MSGS_PENDING; i++)
            drop_msg(d, &d->side[s].msgs[i]);
    memcap_release(d->memcap, d->charged);
    free(d);
}

size_t dtls_conn_memory(const struct dtls_conn *d)
{
    return d ? (size_t)d->charged : 0;
}

/* ---- helpers ---- */

static enum tls_side role_of(const struct dtls_conn *d, int side)
{
    int cs = tls_client_side(d->tls);
    if (cs < 0)
        cs = d->client_side;
    if (cs < 0)
        return side == 0 ? TLS_SIDE_CLIENT : TLS_SIDE_SERVER;
    return side == cs ? TLS_SIDE_CLIENT : TLS_SIDE_SERVER;
}

static bool decided(const struct dtls_conn *d)
{
    return d->h->outcome != OUTCOME_UNDECIDED;
}

static void note_error(struct dtls_conn *d, const char *what)
{
    handshake_note_error(d->h, what);
}

/* Something sent again: the first repeat of a run counts the flight. A
 * run ends at fresh progress; a piece seen twice within one run starts
 * another (the flight went out once more). Pieces within a flight may
 * come in any order. */
static void repeated(struct dtls_conn *d, int side, uint64_t pos)
{
    struct dtls_side *s = &d->side[side];
    bool again = false;
    for (uint8_t i = 0; i < s->n_repeated; i++)
        again |= s->repeated[i] == pos;
    if (!s->in_repeat || again) {
        d->h->dtls.retransmissions++;
        s->n_repeated = 0;
    }
    s->in_repeat = true;
    if (s->n_repeated < ARRAY_LEN(s->repeated))
        s->repeated[s->n_repeated++] = pos;
}

static void progressed(struct dtls_conn *d, int side)
{
    d->side[side].in_repeat = false;
}

/* A copy of a record already read (a duplicated datagram)? Marks it seen. */
static bool seen_record(struct dtls_side *s, uint16_t epoch, uint64_t seq)
{
    if (!s->window_used || epoch != s->window_epoch) {
        if (s->window_used && epoch < s->window_epoch)
            return false; /* an older epoch: a retransmitted flight */
        s->window_used = true;
        s->window_epoch = epoch;
        s->window_top = seq;
        s->window_bits = 1;
        return false;
    }
    if (seq > s->window_top) {
        uint64_t shift = seq - s->window_top;
        s->window_bits = shift >= 64 ? 0 : s->window_bits << shift;
        s->window_bits |= 1;
        s->window_top = seq;
        return false;
    }
    uint64_t back = s->window_top - seq;
    if (back >= 64)
        return false;
    if (s->window_bits & (1ull << back))
        return true;
    s->window_bits |= 1ull << back;
    return false;
}

/* ---- handshake messages ---- */

static void feed(struct dtls_conn *d, int side, uint8_t type,
                 uint16_t version, const uint8_t *body, uint32_t len,
                 uint64_t ts_us)
{
    tls_feed_record(d->tls, side, type, version, body, len, ts_us);
}

/* The HelloVerifyRequest: the server wants its cookie echoed. */
static void read_hello_verify(struct dtls_conn *d, const struct pending_msg *m)
{
    struct cursor c = cursor_make(m->buf, 4 + (size_t)m->len), cookie;
    uint16_t version;
    d->h->dtls.hello_verify_request = true;
    if (cursor_skip(&c, 4) && cursor_u16(&c, &version) &&
        cursor_vec8(&c, &cookie))
        d->h->dtls.cookie_len = (uint8_t)cursor_left(&cookie);
}

/* The cookie a second ClientHello echoes (after a HelloVerifyRequest). */
static void read_cookie_echo(struct dtls_conn *d, const struct pending_msg *m)
{
    struct cursor c = cursor_make(m->buf, 4 + (size_t)m->len), sid, cookie;
    if (cursor_skip(&c, 4 + 2 + 32) && cursor_vec8(&c, &sid) &&
        cursor_vec8(&c, &cookie))
        d->h->ch.cookie_len = (uint8_t)cursor_left(&cookie);
}

/* A whole message, in order: to the TLS dissector. The ClientHello that
 * answers a HelloVerifyRequest repeats the first with the cookie added;
 * the first one is the record's hello, so this one only gives its cookie. */
static void deliver(struct dtls_conn *d, int side, struct pending_msg *m)
{
    struct handshake *h = d->h;
    if (m->fragmented)
        h->dtls.fragmented_messages++;
    if (m->type == DTLS_HVR_TYPE)
        read_hello_verify(d, m);
    if (m->type == TLS_HS_CLIENT_HELLO && h->dtls.hello_verify_request &&
        h->ch.seen && !hs_rare(h)->hrr.seen) {
        read_cookie_echo(d, m);
        return;
    }
    feed(d, side, CT_HANDSHAKE, m->version, m->buf, 4 + m->len, m->ts_us);
}

static struct pending_msg *find_msg(struct dtls_side *s, uint16_t seq)
{
    for (int i = 0; i < DTLS_MSGS_PENDING; i++)
        if (s->msgs[i].used && s->msgs[i].seq == seq)
            return &s->msgs[i];
    return NULL;
}

static bool msg_complete(const struct pending_msg *m)
{
    return m->len == 0 || (m->n_ranges == 1 && m->ranges[0].lo == 0 &&
                           m->ranges[0].hi == m->len);
}

/* Add [lo, hi) to the message's pieces. *fresh: some byte was new. */
static bool add_range(struct pending_msg *m, uint32_t lo, uint32_t hi,
                      bool *fresh)
{
    struct range merged = {lo, hi};
    struct range out[DTLS_MAX_RANGES + 1];
    uint8_t n = 0;
    bool placed = false;
    uint32_t covered = 0;

    for (uint8_t i = 0; i < m->n_ranges; i++) {
        struct range r = m->ranges[i];
        if (r.hi < merged.lo || r.lo > merged.hi) {
            if (!placed && r.lo > merged.hi) {
                out[n++] = merged;
                placed = true;
            }
            out[n++] = r;
            continue;
        }
        /* Overlapping or touching: bytes of [lo, hi) already held. */
        uint32_t a = r.lo > lo ? r.lo : lo, b = r.hi < hi ? r.hi : hi;
        if (b > a)
            covered += b - a;
        merged.lo = r.lo < merged.lo ? r.lo : merged.lo;
        merged.hi = r.hi > merged.hi ? r.hi : merged.hi;
    }
    if (!placed)
        out[n++] = merged;
    if (n > DTLS_MAX_RANGES)
        return false;
    memcpy(m->ranges, out, n * sizeof out[0]);
    m->n_ranges = n;
    *fresh = covered < hi - lo;
    return true;
}

/* Hand over every whole message that is next in order. */
static void deliver_ready(struct dtls_conn *d, int side)
{
    struct dtls_side *s = &d->side[side];
    struct pending_msg *m;
    while (!decided(d) && (m = find_msg(s, s->next_seq)) != NULL &&
           msg_complete(m)) {
        if (s->next_seq < sizeof s->seq_type) {
            s->seq_type[s->next_seq] = m->type;
            s->seq_known |= (uint16_t)(1u << s->next_seq);
        }
        s->next_seq++;
        deliver(d, side, m);
        drop_msg(d, m);
    }
}

/* One handshake fragment of a plaintext (epoch 0) record. */
static void read_fragment(struct dtls_conn *d, int side, uint16_t version,
                          uint8_t type, uint32_t len, uint16_t seq,
                          uint32_t off, struct cursor *frag, uint64_t ts_us)
{
    struct dtls_side *s = &d->side[side];
    uint32_t flen = (uint32_t)cursor_left(frag);

    if (!s->started) {
        /* The first message seen from a side starts its numbering; a
         * hello is where every side starts. */
        s->started = true;
        s->next_seq = seq;
    }
    if (seq < s->next_seq && seq < sizeof s->seq_type &&
        (s->seq_known & (1u << seq)) && s->seq_type[seq] != type) {
        /* Not a repeat: a side that numbers its answer to the second
         * ClientHello from 0 again. Its numbering starts over. */
        s->next_seq = seq;
    }
    if (seq < s->next_seq) {
        repeated(d, side, ((uint64_t)seq << 24) | off);
        return;
    }
    if (seq - s->next_seq >= DTLS_MSGS_PENDING)
        return; /* too far ahead to be this flight: ignored */
    if (len > d->max_msg) {
        note_error(d, "handshake message too large");
        return;
    }
    if (off > len || flen > len - off) {
        note_error(d, "dtls_fragment");
        return;
    }
    struct pending_msg *m = find_msg(s, seq);
    if (m && (m->type != type || m->len != len)) {
        note_error(d, "dtls_fragment");
        return;
    }
    if (!m) {
        for (int i = 0; i < DTLS_MSGS_PENDING && !m; i++)
            if (!s->msgs[i].used)
                m = &s->msgs[i];
        if (!m)
            return;
        /* The whole message is held until its last fragment: charged
         * first; a refused one is skipped (its flight may come again). */
        uint64_t cost = memcap_cost(4 + (size_t)len);
        if (!memcap_charge(d->memcap, cost)) {
            note_error(d, "handshake message not kept: --memcap is full");
            return;
        }
        m->buf = malloc(4 + (size_t)len);
        if (!m->buf) {
            memcap_release(d->memcap, cost);
            note_error(d, "out of memory");
            return;
        }
        d->charged += cost;
        m->used = true;
        m->type = type;
        m->seq = seq;
        m->len = len;
        m->version = version;
        m->ts_us = ts_us;
        m->buf[0] = type;
        m->buf[1] = (uint8_t)(len >> 16);
        m->buf[2] = (uint8_t)(len >> 8);
        m->buf[3] = (uint8_t)len;
    }
    if (flen < len)
        m->fragmented = true;
    bool fresh = false;
    if (flen && !add_range(m, off, off + flen, &fresh)) {
        note_error(d, "dtls_fragments");
        return;
    }
    if (flen && !fresh) {
        repeated(d, side, ((uint64_t)seq << 24) | off);
        return;
    }
    /* The first copy of a byte wins, as for TCP. */
    struct cursor dst = cursor_make(m->buf, 4 + (size_t)len);
    if (flen && (!cursor_skip(&dst, 4 + (size_t)off) ||
                 !cursor_copy(frag, m->buf + 4 + off, flen))) {
        note_error(d, "dtls_fragment");
        return;
    }
    progressed(d, side);
    deliver_ready(d, side);
}

static void read_handshake_record(struct dtls_conn *d, int side,
                                  uint16_t version, struct cursor *body,
                                  uint64_t ts_us)
{
    uint8_t type;
    uint32_t len, off, flen;
    uint16_t seq;
    struct cursor frag, rec = *body; /* a copy: the fault sink is local */
    struct parse_fault_at fault;

    cursor_watch(&rec, &fault);
    while (cursor_left(&rec) > 0 && !decided(d)) {
        if (!cursor_u8(&rec, &type) || !cursor_u24(&rec, &len) ||
            !cursor_u16(&rec, &seq) || !cursor_u24(&rec, &off) ||
            !cursor_u24(&rec, &flen) || !cursor_sub(&rec, flen, &frag)) {
            handshake_note_fault(d->h, "dtls_handshake_header", fault);
            return;
        }
        read_fragment(d, side, version, type, len, seq, off, &frag, ts_us);
    }
}

/* ---- records ---- */

/* A record a side sends once a flight (its encrypted Finished, its CCS):
 * only the first copy is a record, the rest are the flight sent again. */
static bool first_copy(struct dtls_conn *d, int side, bool *seen, uint64_t pos)
{
    if (*seen) {
        repeated(d, side, pos);
        return false;
    }
    *seen = true;
    return true;
}

/* A DTLSPlaintext/DTLSCiphertext record with the 13-byte header. */
static void read_record(struct dtls_conn *d, int side, uint8_t type,
                        uint16_t version, uint16_t epoch,
                        struct cursor *body, uint64_t ts_us)
{
    struct dtls_side *s = &d->side[side];
    struct handshake *h = d->h;
    enum tls_side role = role_of(d, side);
    size_t n;
    const uint8_t *p;

    if (epoch > h->dtls.max_epoch[role])
        h->dtls.max_epoch[role] = epoch;
    switch (type) {
    case CT_HANDSHAKE:
        if (epoch == 0) {
            read_handshake_record(d, side, version, body, ts_us);
            return;
        }
        /* Encrypted: the Finished (DTLS <= 1.2). */
        if (!first_copy(d, side, &s->encrypted_hs, POS_ENCRYPTED))
            return;
        break;
    case CT_CCS:
        if (!first_copy(d, side, &s->ccs, POS_CCS))
            return;
        break;
    case CT_ALERT:
        /* An encrypted alert from a side whose Finished the capture may
         * have cut: its close_notify after a finished handshake as likely
         * as a refusal. It decides nothing; the gap marks the record. */
        if (epoch > 0 && s->lost_bytes && !h->finished[role])
            return;
        break;
    case CT_APP_DATA:
        break;
    default:
        return; /* heartbeat, ACK: nothing for the handshake */
    }
    progressed(d, side);
    p = cursor_rest(body, &n);
    feed(d, side, type, version, p, (uint32_t)n, ts_us);
}

/* An encrypted record whose header does not say its length or its inner
 * type (DTLS 1.3 unified header, RFC 9146 connection IDs): to the TLS
 * dissector as the application-data record it looks like. */
static void read_ciphertext(struct dtls_conn *d, int side, uint16_t version,
                            uint16_t epoch, const struct cursor *body,
                            uint64_t ts_us)
{
    struct handshake *h = d->h;
    enum tls_side role = role_of(d, side);
    size_t n;
    const uint8_t *p = cursor_rest(body, &n);

    if (epoch > h->dtls.max_epoch[role])
        h->dtls.max_epoch[role] = epoch;
    progressed(d, side);
    feed(d, side, CT_APP_DATA, version, p, (uint32_t)n, ts_us);
}

/* The length of a connection ID that is not on the wire: the one that
 * makes the length field that follows it end exactly at the datagram's
 * end. `fixed` bytes precede the CID, `after` follow it before the length
 * field. */
static bool guess_cid(const struct cursor *rec, size_t fixed, size_t after,
                      size_t *cid_len)
{
    for (size_t cid = 0; cid <= DTLS_MAX_CID; cid++) {
        uint16_t len;
        if (cursor_peek_u16(rec, fixed + cid + after, &len) &&
            (size_t)len + fixed + cid + after + 2 == cursor_left(rec)) {
            *cid_len = cid;
            return true;
        }
    }
    return false;
}

/* DTLS 1.3's unified header (RFC 9147 §4): 001CSLEE, then the CID (C),
 * an 8- or 16-bit sequence number (S), a 16-bit length (L). Without C the
 * layout is known; with it, only when a length follows. */
static bool read_unified(struct dtls_conn *d, int side, struct cursor *dg,
                         uint64_t ts_us)
{
    uint8_t first;
    size_t cid = 0;
    uint16_t len;
    struct cursor body;

    CURSOR_TRY(cursor_peek_u8(dg, 0, &first));
    bool has_cid = first & 0x10, seq16 = first & 0x08, has_len = first & 0x04;
    size_t seq_len = seq16 ? 2 : 1;
    d->h->dtls.unified_header = true;
    if (has_cid && !(has_len && guess_cid(dg, 1, seq_len, &cid)))
        return false; /* the record cannot be delimited */
    CURSOR_TRY(cursor_skip(dg, 1 + cid + seq_len));
    if (has_len) {
        CURSOR_TRY(cursor_u16(dg, &len) && cursor_sub(dg, len, &body));
    } else {
        CURSOR_TRY(cursor_sub(dg, cursor_left(dg), &body));
    }
    read_ciphertext(d, side, TLS_V_DTLS_1_3, first & 3, &body, ts_us);
    return true;
}

void dtls_datagram(struct dtls_conn *d, int side, const uint8_t *data,
                   uint32_t len, uint32_t cut, uint64_t ts_us)
{
    struct cursor dg = cursor_make(data, len);
    uint8_t type;
    uint16_t version, epoch, length;
    uint64_t seq;

    if (!d || (side != 0 && side != 1) || decided(d))
        return;
    if (is_stun(data, len)) {
        d->h->dtls.stun = true;
        return;
    }
    if (cut) {
        /* The record the capture cut is skipped below; the session is
         * told bytes are missing (the record's degradation marker). */
        tls_gap(d->tls, side, cut);
        d->side[side].lost_bytes = true;
    }
    while (cursor_peek_u8(&dg, 0, &type) && !decided(d)) {
        if ((type & 0xe0) == 0x20) { /* 001xxxxx: unified header */
            if (!read_unified(d, side, &dg, ts_us))
                return;
            continue;
        }
        struct cursor rec = dg, body;
        uint32_t seq_hi;
        uint16_t seq_lo;
        size_t cid = 0;
        if (type == CT_TLS12_CID &&
            !guess_cid(&dg, DTLS_HEADER_LEN - 2, 0, &cid))
            return;
        if (!cursor_u8(&rec, &type) || !cursor_u16(&rec, &version) ||
            !cursor_u16(&rec, &epoch) || !cursor_u32(&rec, &seq_hi) ||
            !cursor_u16(&rec, &seq_lo) || !cursor_skip(&rec, cid) ||
            !cursor_u16(&rec, &length) || !cursor_sub(&rec, length, &body) ||
            type < CT_CCS || type > CT_ACK || !dtls_record_version(version)) {
            /* Not a DTLS record: another protocol sharing the 5-tuple
             * (RTP, STUN) or damage. The rest of the datagram goes too. */
            return;
        }
        dg = rec;
        seq = ((uint64_t)seq_hi << 16) | seq_lo;
        if (seen_record(&d->side[side], epoch, seq))
            continue; /* the same record again: a duplicated datagram */
        if (type == CT_TLS12_CID)
            read_ciphertext(d, side, version, epoch, &body, ts_us);
        else
            read_record(d, side, type, version, epoch, &body, ts_us);
    }
}
