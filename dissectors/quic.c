/* quic.c — a QUIC connection read from the outside (see quic.h).
 *
 * Initial packets are protected with keys anyone can derive from the
 * client's first Destination Connection ID and the version's salt, so the
 * ClientHello, the ServerHello and a CONNECTION_CLOSE sent in an Initial
 * are wire facts. The rest of the handshake travels in Handshake packets
 * under keys only the endpoints have: what they did is read from which
 * packets each side sent, and when, as TLS 1.3's encrypted records are.
 *
 * Every packet goes through the bounds-checked cursor; the header and the
 * payload are opened into per-thread scratch buffers, never in place. */
#include "quic.h"

#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "memcap.h"
#include "outcome.h"
#include "quic_crypto.h"
#include "tls.h"

#define QUIC_MAX_CID 255        /* the invariants allow this much */
#define QUIC_V1_MAX_CID 20      /* RFC 9000 §17.2 for known versions */
#define QUIC_HEADER_MAX 4096    /* longer headers (huge tokens) are not opened */
#define QUIC_DATAGRAM_MAX 65535
/* CRYPTO bytes held ahead of the first missing one, per direction, and
 * how far ahead of it an offset may be. A ClientHello is a few KB; with
 * post-quantum shares, under 16 KB. */
#define QUIC_CRYPTO_HELD_MAX (64u * 1024u)
#define QUIC_CRYPTO_AHEAD_MAX (64u * 1024u)
#define QUIC_CRYPTO_CHUNKS_MAX 64

/* Transport error codes that carry a TLS alert (RFC 9001 §4.8). */
#define QUIC_CRYPTO_ERROR_BASE 0x100u
#define QUIC_CRYPTO_ERROR_LAST 0x1ffu

enum {
    FRAME_PADDING = 0x00,
    FRAME_PING = 0x01,
    FRAME_ACK = 0x02,
    FRAME_ACK_ECN = 0x03,
    FRAME_CRYPTO = 0x06,
    FRAME_CLOSE_TRANSPORT = 0x1c,
    FRAME_CLOSE_APPLICATION = 0x1d,
};

struct crypto_chunk {
    struct crypto_chunk *next;
    uint64_t off;
    uint32_t len;
    uint8_t data[];
};

/* The CRYPTO stream of the Initial packet number space, one direction:
 * bytes go to the TLS dissector in order, first copy wins. */
struct crypto_stream {
    uint64_t delivered;
    struct crypto_chunk *held; /* sorted by offset */
    uint32_t held_bytes;
    uint32_t held_chunks;
};

/* Initial keys for one wire version. */
struct key_set {
    bool valid;
    bool confirmed;                     /* a packet opened with them */
    bool derived[2];                    /* k[side] is set (in padding) */
    uint32_t version;
    const struct quic_version_info *info;
    struct quic_keys k[2];              /* by enum tls_side */
};

struct quic_conn {
    struct tls_session *tls;
    struct handshake *h;
    struct handshake_rare *rare;    /* the record's (tls_record_rare) */
    struct quic_facts *facts;       /* rare->quic */
    int client_side;
    struct memcap *memcap;
    uint64_t charged;               /* what it holds of the memcap */

    uint8_t key_dcid[QUIC_MAX_CID]; /* the DCID the Initial keys come from */
    uint8_t key_dcid_len;
    bool have_key_dcid;
    bool rekey;                     /* after Retry or VN: the client's next
                                       Initial names the DCID */
    struct key_set keys[2];
    uint8_t next_key_set;

    uint64_t largest_pn[2];         /* Initial space, by role */
    bool have_pn[2];
    struct crypto_stream crypto[2]; /* by role */

    /* What each side sent, for the decision. */
    bool server_spoke;
    bool server_version_known;      /* a server long header (not VN) seen */
    bool vn_pending;                /* a VN the client has not moved on from */
    bool started_again;             /* ... on another flow (the pipeline
                                       saw it) */
    bool client_hs, server_hs;      /* Handshake packets */
    uint64_t client_hs_last_ts, server_hs_last_ts;
    uint16_t client_hs_last_len;
    bool client_1rtt;
    uint64_t client_1rtt_ts;
    uint64_t server_flight_end_ts;  /* its last Handshake packet before */
    bool server_hs_after_client_1rtt;
    bool datagram_has_handshake;    /* the datagram being read so far */
    bool reading_lead;              /* its first packet is being read */
    bool lead_initial_unopened;     /* see quic_lead_initial_unopened */
    uint16_t server_hs_last_len;
};

/* Per thread: the header being unmasked and the payload being opened. */
static _Thread_local uint8_t hdr_orig[QUIC_HEADER_MAX];
static _Thread_local uint8_t hdr_work[QUIC_HEADER_MAX];
static _Thread_local uint8_t plain[QUIC_DATAGRAM_MAX];

/* ---- small helpers ---- */

static bool read_varint(struct cursor *c, uint64_t *out)
{
    uint8_t b;
    CURSOR_TRY(cursor_u8(c, &b));
    unsigned len = 1u << (b >> 6);
    uint64_t v = b & 0x3f;
    for (unsigned i = 1; i < len; i++) {
        CURSOR_TRY(cursor_u8(c, &b));
        v = (v << 8) | b;
    }
    *out = v;
    return true;
}

static enum tls_side role_of(const struct quic_conn *q, int side)
{
    if (q->client_side < 0)
        return side == 0 ? TLS_SIDE_CLIENT : TLS_SIDE_SERVER;
    return side == q->client_side ? TLS_SIDE_CLIENT : TLS_SIDE_SERVER;
}

static void reach(struct handshake *h, enum hs_stage st)
{
    if (st > h->stage)
        h->stage = st;
}

static bool decided(const struct quic_conn *q)
{
    return q->h->outcome != OUTCOME_UNDECIDED;
}

static void note_error(struct quic_conn *q, const char *what)
{
    handshake_note_error(q->h, what);
}

/* RFC 9000 Appendix A.3. */
static uint64_t decode_pn(bool have_largest, uint64_t largest,
                          uint64_t truncated, unsigned bits)
{
    uint64_t expected = have_largest ? largest + 1 : 0;
    uint64_t win = 1ull << bits, hwin = win / 2, mask = win - 1;
    uint64_t candidate = (expected & ~mask) | truncated;
    if (candidate + hwin <= expected && candidate < (1ull << 62) - win)
        return candidate + win;
    if (candidate > expected + hwin && candidate >= win)
        return candidate - win;
    return candidate;
}

/* ---- sniffing ---- */

enum quic_sniff quic_sniff(const uint8_t *data, uint32_t len)
{
    struct cursor c = cursor_make(data, len);
    uint8_t first, dcid_len, scid_len;
    uint32_t version;

    if (!cursor_u8(&c, &first) || !(first & 0x80) ||
        !cursor_u32(&c, &version) || !cursor_u8(&c, &dcid_len) ||
        !cursor_skip(&c, dcid_len) || !cursor_u8(&c, &scid_len) ||
        !cursor_skip(&c, scid_len))
        return QUIC_SNIFF_NO;
    if (version == 0) /* VN: a list of 32-bit versions follows */
        return cursor_left(&c) >= 4 && cursor_left(&c) % 4 == 0
                   ? QUIC_SNIFF_SERVER
                   : QUIC_SNIFF_NO;
    /* The fixed bit (greasable only once both sides agreed, RFC 9287,
     * which no Initial can assume). */
    if (!(first & 0x40))
        return QUIC_SNIFF_NO;
    const struct quic_version_info *info = quic_version_lookup(version);
    if (info && (dcid_len > QUIC_V1_MAX_CID || scid_len > QUIC_V1_MAX_CID))
        return QUIC_SNIFF_NO;
    /* Google's QUIC crypto (Q0xx) carries no TLS handshake. */
    if ((info && !info->tls) || (!info && (version >> 24) == 'Q'))
        return QUIC_SNIFF_NO;
    enum quic_long_type t = quic_long_type(info, first);
    if (!info && !quic_version_is_reserved(version)) {
        /* An unknown version is QUIC only when shaped like a client's
         * first Initial: a padded datagram (RFC 9000 §14.1). */
        return t == QUIC_INITIAL && len >= 1200 && dcid_len >= 8 &&
                       dcid_len <= QUIC_V1_MAX_CID
                   ? QUIC_SNIFF_CLIENT
                   : QUIC_SNIFF_NO;
    }
    switch (t) {
    case QUIC_INITIAL:
    case QUIC_0RTT:
        return QUIC_SNIFF_CLIENT;
    case QUIC_RETRY:
        return QUIC_SNIFF_SERVER;
    case QUIC_HANDSHAKE:
        return QUIC_SNIFF_OTHER;
    }
    return QUIC_SNIFF_NO;
}

/* ---- lifecycle ---- */

struct quic_conn *quic_conn_new(struct tls_session *tls, int client_side,
                                struct memcap *memcap)
{
    struct quic_conn *q = memcap_calloc(memcap, sizeof *q);
    if (!q)
        return NULL;
    /* Every QUIC flow writes its facts from the first packet on: the
     * record's rare part is taken now, once. */
    struct handshake_rare *rare = tls_record_rare(tls);
    if (!rare) {
        memcap_release(memcap, memcap_cost(sizeof *q));
        free(q);
        return NULL;
    }
    q->memcap = memcap;
    q->charged = memcap_cost(sizeof *q);
    q->tls = tls;
    q->h = tls_record(tls);
    q->rare = rare;
    q->facts = &rare->quic;
    q->client_side = (client_side == 0 || client_side == 1) ? client_side : -1;
    q->h->transport = HS_OVER_QUIC;
    return q;
}

/* What a held chunk of `len` bytes costs the memcap. */
static uint64_t chunk_cost(uint32_t len)
{
    return memcap_cost(sizeof(struct crypto_chunk) + len);
}

static void free_chunk(struct quic_conn *q, struct crypto_chunk *c)
{
    uint64_t cost = chunk_cost(c->len);
    memcap_release(q->memcap, cost);
    q->charged -= cost;
    free(c);
}

static void crypto_release(struct quic_conn *q, struct crypto_stream *cs)
{
    struct crypto_chunk *c = cs->held;
    while (c) {
        struct crypto_chunk *next = c->next;
        free_chunk(q, c);
        c = next;
    }
    cs->held = NULL;
    cs->held_bytes = 0;
    cs->held_chunks = 0;
}

void quic_conn_free(struct quic_conn *q)
{
    if (!q)
        return;
    crypto_release(q, &q->crypto[0]);
    crypto_release(q, &q->crypto[1]);
    memcap_release(q->memcap, q->charged);
    free(q);
}

size_t quic_conn_memory(const struct quic_conn *q)
{
    return q ? (size_t)q->charged : 0;
}

int quic_client_side(const struct quic_conn *q)
{
    return q ? q->client_side : -1;
}

/* ---- CRYPTO stream ---- */

static void feed_tls(struct quic_conn *q, enum tls_side role,
                     const uint8_t *data, uint32_t len, uint64_t ts_us)
{
    int side = q->client_side < 0 ? (role == TLS_SIDE_CLIENT ? 0 : 1)
               : role == TLS_SIDE_CLIENT ? q->client_side
                                         : 1 - q->client_side;
    tls_feed_record(q->tls, side, 22, 0, data, len, ts_us);
}

/* Deliver what of [off, off+len) lies past the delivered point. */
static void crypto_deliver(struct quic_conn *q, enum tls_side role,
                           uint64_t off, const uint8_t *data, uint32_t len,
                           uint64_t ts_us)
{
    struct crypto_stream *cs = &q->crypto[role];
    struct cursor c = cursor_make(data, len);
    size_t n;

    if (off + len <= cs->delivered || off > cs->delivered)
        return;
    if (!cursor_skip(&c, (size_t)(cs->delivered - off)))
        return;
    data = cursor_rest(&c, &n);
    cs->delivered += n;
    if (n)
        feed_tls(q, role, data, (uint32_t)n, ts_us);
}

/* Held chunks that the delivered point has reached, in offset order. */
static void crypto_drain(struct quic_conn *q, enum tls_side role,
                         uint64_t ts_us)
{
    struct crypto_stream *cs = &q->crypto[role];
    while (cs->held && cs->held->off <= cs->delivered && !decided(q)) {
        struct crypto_chunk *c = cs->held;
        cs->held = c->next;
        cs->held_bytes -= c->len;
        cs->held_chunks--;
        crypto_deliver(q, role, c->off, c->data, c->len, ts_us);
        free_chunk(q, c);
    }
}

static void crypto_hold(struct quic_conn *q, enum tls_side role, uint64_t off,
                        const uint8_t *data, uint32_t len)
{
    struct crypto_stream *cs = &q->crypto[role];
    if (off - cs->delivered > QUIC_CRYPTO_AHEAD_MAX ||
        cs->held_bytes + len > QUIC_CRYPTO_HELD_MAX ||
        cs->held_chunks >= QUIC_CRYPTO_CHUNKS_MAX) {
        note_error(q, "crypto data beyond the reassembly window");
        return;
    }
    /* Bytes not kept are sent again by the peer (its Initials repeat
     * until answered); a refusal is said, and the hello may stay unread. */
    if (!memcap_charge(q->memcap, chunk_cost(len))) {
        note_error(q, "crypto data not kept: --memcap is full");
        return;
    }
    struct crypto_chunk *c = malloc(sizeof *c + len);
    if (!c) {
        memcap_release(q->memcap, chunk_cost(len));
        note_error(q, "out of memory");
        return;
    }
    q->charged += chunk_cost(len);
    c->off = off;
    c->len = len;
    memcpy(c->data, data, len);
    struct crypto_chunk **at = &cs->held;
    while (*at && (*at)->off <= off)
        at = &(*at)->next;
    c->next = *at;
    *at = c;
    cs->held_bytes += len;
    cs->held_chunks++;
}

static void crypto_frame(struct quic_conn *q, enum tls_side role, uint64_t off,
                         const uint8_t *data, uint32_t len, uint64_t ts_us)
{
    struct crypto_stream *cs = &q->crypto[role];
    if (len == 0 || off + len <= cs->delivered)
        return; /* empty, or a retransmission of what was read */
    if (off > cs->delivered) {
        crypto_hold(q, role, off, data, len);
        return;
    }
    crypto_deliver(q, role, off, data, len, ts_us);
    crypto_drain(q, role, ts_us);
}

/* ---- frames ---- */

static void close_reason(struct quic_facts *facts, struct cursor *reason)
{
    size_t n = 0;
    uint8_t b;
    while (n + 1 < sizeof facts->close_reason && cursor_u8(reason, &b))
        facts->close_reason[n++] = (b >= 0x20 && b < 0x7f) ? (char)b : '.';
    facts->close_reason[n] = '\0';
}

static void on_close(struct quic_conn *q, enum tls_side role, bool app,
                     uint64_t code, uint64_t frame_type,
                     struct cursor *reason, uint64_t ts_us)
{
    struct handshake *h = q->h;
    if (!q->facts->close_seen) {
        q->facts->close_seen = true;
        q->facts->close_application = app;
        q->facts->close_sender = (uint8_t)role;
        q->facts->close_error_code = code;
        q->facts->close_frame_type = frame_type;
        close_reason(q->facts, reason);
    }
    if (decided(q))
        return;
    if (!app && code >= QUIC_CRYPTO_ERROR_BASE &&
        code <= QUIC_CRYPTO_ERROR_LAST) {
        /* TLS alert N travels as crypto error 0x100 + N: it is the alert,
         * and decides exactly as one read from a TLS record would. */
        handshake_add_alert(h, q->rare, role, false, 2,
                            (uint8_t)(code - QUIC_CRYPTO_ERROR_BASE), 2,
                            ts_us);
        outcome_check(h, ts_us);
        return;
    }
    outcome_failed(h, ENDED_CLOSE, role, ts_us);
}

static bool skip_ack(struct cursor *f, bool ecn)
{
    uint64_t largest, delay, ranges, first, gap, len, count;
    CURSOR_TRY(read_varint(f, &largest) && read_varint(f, &delay) &&
               read_varint(f, &ranges) && read_varint(f, &first));
    for (uint64_t i = 0; i < ranges; i++)
        CURSOR_TRY(read_varint(f, &gap) && read_varint(f, &len));
    if (ecn)
        for (int i = 0; i < 3; i++)
            CURSOR_TRY(read_varint(f, &count));
    return true;
}

/* gQUIC's ACK (types 0x40-0x7f, Google's T05x versions): 01NULLMM, the
 * largest acked in LL-coded bytes, a 16-bit delay, blocks of MM-coded
 * lengths, then timestamps. */
static bool skip_gquic_ack(struct cursor *f, uint8_t type)
{
    static const uint8_t widths[4] = {1, 2, 4, 6};
    size_t largest = widths[(type >> 2) & 3], block = widths[type & 3];
    uint8_t blocks = 0, stamps;
    CURSOR_TRY(cursor_skip(f, largest + 2));
    if (type & 0x20)
        CURSOR_TRY(cursor_u8(f, &blocks));
    CURSOR_TRY(cursor_skip(f, block + (size_t)blocks * (1 + block)));
    CURSOR_TRY(cursor_u8(f, &stamps));
    if (stamps)
        CURSOR_TRY(cursor_skip(f, 5 + (size_t)(stamps - 1) * 3));
    return true;
}

/* The Initial frames of Google's TLS-based gQUIC (T050, T051): gQUIC
 * frame types around an IETF-style CRYPTO frame (0x08). */
static void read_gquic_frames(struct quic_conn *q, enum tls_side role,
                              struct cursor *f, uint64_t ts_us)
{
    uint8_t type;
    uint64_t off, len;
    uint32_t code;
    uint16_t reason_len;
    struct cursor data;

    while (cursor_u8(f, &type) && !decided(q)) {
        if (type == 0x00) /* PADDING: the rest of the packet */
            return;
        if (type == 0x07) /* PING */
            continue;
        if ((type & 0xc0) == 0x40) {
            if (!skip_gquic_ack(f, type))
                break;
            continue;
        }
        if (type == 0x08) {
            if (!read_varint(f, &off) || !read_varint(f, &len) ||
                len > cursor_left(f) || !cursor_sub(f, (size_t)len, &data))
                break;
            size_t n;
            const uint8_t *p = cursor_rest(&data, &n);
            crypto_frame(q, role, off, p, (uint32_t)n, ts_us);
            continue;
        }
        if (type == 0x02) { /* CONNECTION_CLOSE: 32-bit error, reason */
            if (!cursor_u32(f, &code) || !cursor_u16(f, &reason_len) ||
                !cursor_sub(f, reason_len, &data))
                break;
            on_close(q, role, false, code, 0, &data, ts_us);
            continue;
        }
        break;
    }
    if (cursor_left(f) > 0 && !decided(q))
        note_error(q, "quic_initial_frames");
}

/* The frames of an opened Initial packet. Only PADDING, PING, ACK, CRYPTO
 * and CONNECTION_CLOSE may appear there (RFC 9000 §12.4). */
static void read_frames(struct quic_conn *q, enum tls_side role,
                        struct cursor *f, bool tls_version, uint64_t ts_us)
{
    uint64_t type, off, len, code, frame_type = 0;
    struct cursor data;

    while (cursor_left(f) > 0 && !decided(q)) {
        if (!read_varint(f, &type))
            goto bad;
        switch (type) {
        case FRAME_PADDING:
        case FRAME_PING:
            break;
        case FRAME_ACK:
        case FRAME_ACK_ECN:
            if (!skip_ack(f, type == FRAME_ACK_ECN))
                goto bad;
            break;
        case FRAME_CRYPTO:
            if (!read_varint(f, &off) || !read_varint(f, &len) ||
                len > cursor_left(f) || !cursor_sub(f, (size_t)len, &data) ||
                off > (1ull << 62))
                goto bad;
            if (tls_version) {
                size_t n;
                const uint8_t *p = cursor_rest(&data, &n);
                crypto_frame(q, role, off, p, (uint32_t)n, ts_us);
            }
            break;
        case FRAME_CLOSE_TRANSPORT:
        case FRAME_CLOSE_APPLICATION:
            if (!read_varint(f, &code) ||
                (type == FRAME_CLOSE_TRANSPORT &&
                 !read_varint(f, &frame_type)) ||
                !read_varint(f, &len) || len > cursor_left(f) ||
                !cursor_sub(f, (size_t)len, &data))
                goto bad;
            on_close(q, role, type == FRAME_CLOSE_APPLICATION, code,
                     frame_type, &data, ts_us);
            break;
        default:
            goto bad;
        }
    }
    return;
bad:
    note_error(q, "quic_initial_frames");
}

/* ---- keys ---- */

/* The key set of `version` with `role`'s keys derived. A side's keys are
 * derived when it first sends: a flood of Initials from new clients, none
 * answered, costs the client's half. */
static struct key_set *keys_for(struct quic_conn *q, uint32_t version,
                                const struct quic_version_info *info,
                                enum tls_side role)
{
    struct key_set *ks = NULL;
    for (int i = 0; i < 2 && !ks; i++)
        if (q->keys[i].valid && q->keys[i].version == version &&
            q->keys[i].info == info)
            ks = &q->keys[i];
    if (!ks) {
        if (!q->have_key_dcid || !info)
            return NULL;
        ks = &q->keys[q->next_key_set];
        q->next_key_set ^= 1;
        memset(ks, 0, sizeof *ks);
        ks->version = version;
        ks->info = info;
    }
    if (!ks->derived[role]) {
        bool client = role == TLS_SIDE_CLIENT;
        if (!quic_initial_keys(info, q->key_dcid, q->key_dcid_len,
                               client ? &ks->k[TLS_SIDE_CLIENT] : NULL,
                               client ? NULL : &ks->k[TLS_SIDE_SERVER])) {
            ks->valid = ks->derived[TLS_SIDE_CLIENT] ||
                        ks->derived[TLS_SIDE_SERVER];
            return NULL;
        }
        ks->derived[role] = true;
    }
    ks->valid = true;
    return ks;
}

static void set_key_dcid(struct quic_conn *q, struct cursor dcid)
{
    size_t n = cursor_left(&dcid);
    if (n > sizeof q->key_dcid || !cursor_copy(&dcid, q->key_dcid, n))
        return;
    q->key_dcid_len = (uint8_t)n;
    q->have_key_dcid = true;
    q->keys[0].valid = q->keys[1].valid = false;
}

/* Try to open one Initial packet (`pkt`: its first byte to its end, the
 * packet number at `pn_offset`) with `ks`. The plaintext goes to `plain`. */
static bool open_initial(struct quic_conn *q, const struct key_set *ks,
                         enum tls_side role, const struct cursor *pkt,
                         size_t pn_offset, size_t *plain_len,
                         uint64_t *pn_out, bool *tag_refused)
{
    uint8_t sample[QUIC_SAMPLE_LEN], mask[5];
    struct cursor c = *pkt;
    size_t pkt_len = cursor_left(pkt);
    const struct quic_keys *k = &ks->k[role];

    /* The sample starts 4 bytes past the packet number's start, whatever
     * its length (RFC 9001 §5.4.2). */
    CURSOR_TRY(cursor_skip(&c, pn_offset + 4) &&
               cursor_copy(&c, sample, sizeof sample));
    CURSOR_TRY(quic_hp_mask(k, sample, mask));
    memcpy(hdr_work, hdr_orig, pn_offset + 4);
    hdr_work[0] ^= mask[0] & 0x0f;
    unsigned pn_len = (hdr_work[0] & 3) + 1;
    uint64_t truncated = 0;
    for (unsigned i = 0; i < pn_len; i++) {
        hdr_work[pn_offset + i] ^= mask[1 + i];
        truncated = (truncated << 8) | hdr_work[pn_offset + i];
    }
    if (pkt_len < pn_offset + pn_len + QUIC_TAG_LEN)
        return false;
    uint64_t pn = decode_pn(q->have_pn[role], q->largest_pn[role], truncated,
                            pn_len * 8);
    c = *pkt;
    CURSOR_TRY(cursor_skip(&c, pn_offset + pn_len));
    size_t ct_len;
    const uint8_t *ct = cursor_rest(&c, &ct_len);
    if (!quic_aead_open(k, pn, hdr_work, pn_offset + pn_len, ct, ct_len,
                        plain)) {
        *tag_refused = true;
        return false;
    }
    *plain_len = ct_len - QUIC_TAG_LEN;
    *pn_out = pn;
    return true;
}

/* An Initial packet: remove its protection and read its frames. */
static void read_initial(struct quic_conn *q, int side, uint32_t version,
                         const struct cursor *pkt, size_t pn_offset,
                         uint64_t ts_us)
{
    enum tls_side role = role_of(q, side);
    const struct quic_version_info *info = quic_version_lookup(version);
    struct cursor c = *pkt;
    size_t plain_len = 0;
    uint64_t pn = 0;
    struct key_set *ks = NULL;
    bool opened = false, tag_refused = false;
    bool lead = q->reading_lead;

    if (q->facts->initial_skipped)
        return;
    if (pn_offset + 4 > QUIC_HEADER_MAX ||
        !cursor_copy(&c, hdr_orig, pn_offset + 4))
        return;
    if (info) {
        ks = keys_for(q, version, info, role);
        opened = ks && open_initial(q, ks, role, pkt, pn_offset, &plain_len,
                                    &pn, &tag_refused);
    } else {
        /* A version tlsmon does not know: each known protection in turn,
         * until the AEAD tag says one is right. */
        for (size_t i = 0; !opened && quic_version_candidate(i); i++) {
            ks = keys_for(q, version, quic_version_candidate(i), role);
            opened = ks && open_initial(q, ks, role, pkt, pn_offset,
                                        &plain_len, &pn, &tag_refused);
        }
    }
    if (!opened) {
        /* The connection's first client Initial, of a version tlsmon
         * knows, keys derived from that version's salt and its own DCID and
         * its packet number read with nothing before it: the very inputs
         * any other reader deriving the version's keys the same way has,
         * so its tag fails there too (classify.c relies on this). Not for
         * an unknown version: no one set of keys was tried. */
        q->lead_initial_unopened =
            lead && tag_refused && info && role == TLS_SIDE_CLIENT &&
            q->facts->packets_initial[role] == 1 && !q->have_pn[role];
        return; /* not ours to read (or damaged): counted, nothing more */
    }
    ks->confirmed = true;
    q->facts->initial_decrypted = true;
    if (!q->have_pn[role] || pn > q->largest_pn[role])
        q->largest_pn[role] = pn;
    q->have_pn[role] = true;
    struct cursor frames = cursor_make(plain, plain_len);
    if (ks->info->gquic_frames) {
        if (ks->info->tls)
            read_gquic_frames(q, role, &frames, ts_us);
    } else {
        read_frames(q, role, &frames, ks->info->tls, ts_us);
    }
}

/* ---- packets ---- */

static void note_versions(struct quic_facts *facts, struct cursor *list)
{
    uint32_t v;
    while (cursor_u32(list, &v)) {
        bool dup = false;
        for (size_t i = 0; i < facts->server_versions.n; i++)
            dup |= facts->server_versions.v[i] == v;
        if (!dup)
            (void)HS_LIST_PUSH(facts->server_versions, v);
    }
}

static void server_spoke(struct quic_conn *q, uint64_t ts_us)
{
    struct handshake *h = q->h;
    q->server_spoke = true;
    if (h->ch.seen && h->server_response_us < 0)
        h->server_response_us =
            ts_us >= h->ch.ts_us ? (int64_t)(ts_us - h->ch.ts_us) : 0;
}

/* A client's Initial that starts the connection (over): its DCID is
 * where the keys come from. */
static void client_initial_header(struct quic_conn *q, uint32_t version,
                                  struct cursor dcid)
{
    if (!q->have_key_dcid || q->rekey) {
        if (!q->have_key_dcid) {
            q->facts->client_version = version;
            size_t n = cursor_left(&dcid);
            struct cursor d = dcid;
            size_t room = sizeof q->facts->dcid;
            q->facts->dcid_len = (uint8_t)(n < room ? n : room);
            if (!cursor_copy(&d, q->facts->dcid, q->facts->dcid_len))
                q->facts->dcid_len = 0;
        }
        if (q->rekey && q->vn_pending) {
            /* After Version Negotiation the client starts over in another
             * version: a new packet number space and CRYPTO stream (its
             * new ClientHello is counted as a second round, as the TLS
             * dissector counts any). */
            q->have_pn[TLS_SIDE_CLIENT] = false;
            crypto_release(q, &q->crypto[TLS_SIDE_CLIENT]);
            q->crypto[TLS_SIDE_CLIENT].delivered = 0;
            q->vn_pending = version == q->facts->client_version;
        }
        q->rekey = false;
        set_key_dcid(q, dcid);
    }
    if (!q->server_version_known)
        q->facts->version = version;
}

/* One long-header packet at the cursor. False when the rest of the
 * datagram cannot be read as further packets. */
static bool read_long_packet(struct quic_conn *q, int side, struct cursor *d,
                             uint64_t ts_us)
{
    struct handshake *h = q->h;
    struct cursor start = *d, dcid, scid;
    uint8_t first, dcid_len, scid_len;
    uint32_t version;

    if (!cursor_u8(d, &first) || !cursor_u32(d, &version) ||
        !cursor_u8(d, &dcid_len) || !cursor_sub(d, dcid_len, &dcid) ||
        !cursor_u8(d, &scid_len) || !cursor_sub(d, scid_len, &scid))
        return false;

    if (version == 0) {
        /* Version Negotiation: always the server's, the rest of the
         * datagram (RFC 8999 §6). */
        if (q->client_side < 0)
            q->client_side = 1 - side;
        server_spoke(q, ts_us);
        q->facts->version_negotiation = true;
        note_versions(q->facts, d);
        q->vn_pending = true;
        q->rekey = true;
        return false;
    }
    const struct quic_version_info *info = quic_version_lookup(version);
    if (info && (dcid_len > QUIC_V1_MAX_CID || scid_len > QUIC_V1_MAX_CID))
        return false;
    /* Unknown versions are read with v1's numbering, as they are tried
     * with v1's protection first. */
    enum quic_long_type type = quic_long_type(info, first);

    if (type == QUIC_RETRY) {
        if (q->client_side < 0)
            q->client_side = 1 - side;
        server_spoke(q, ts_us);
        q->facts->retry = true;
        q->rekey = true; /* the client's next Initial brings the new DCID */
        return false;
    }

    uint64_t token_len = 0, length;
    if (type == QUIC_INITIAL &&
        (!read_varint(d, &token_len) || !cursor_skip(d, (size_t)token_len)))
        return false;
    if (!read_varint(d, &length) || length > cursor_left(d))
        return false;
    size_t pn_offset = cursor_pos(d) - cursor_pos(&start);
    struct cursor pkt;
    if (!cursor_sub(&start, pn_offset + (size_t)length, &pkt))
        return false;
    *d = start; /* past this packet: the next coalesced one, if any */

    if (q->client_side < 0 && type == QUIC_INITIAL)
        q->client_side = side;
    enum tls_side role = role_of(q, side);
    if (role == TLS_SIDE_SERVER) {
        server_spoke(q, ts_us);
        q->facts->version = version;
        q->server_version_known = true;
        if (type == QUIC_INITIAL)
            q->vn_pending = false;
    }

    switch (type) {
    case QUIC_INITIAL:
        q->facts->packets_initial[role]++;
        if (role == TLS_SIDE_CLIENT)
            client_initial_header(q, version, dcid);
        read_initial(q, side, version, &pkt, pn_offset, ts_us);
        break;
    case QUIC_0RTT:
        if (role == TLS_SIDE_CLIENT) {
            q->facts->packets_0rtt++;
            q->facts->zero_rtt = true;
        }
        break;
    case QUIC_HANDSHAKE:
        q->facts->packets_handshake[role]++;
        q->datagram_has_handshake = true;
        if (role == TLS_SIDE_SERVER) {
            q->server_hs = true;
            q->server_hs_last_ts = ts_us;
            q->server_hs_last_len = (uint16_t)(length > 0xffff ? 0xffff
                                                               : length);
            if (q->client_1rtt)
                q->server_hs_after_client_1rtt = true;
            reach(h, STAGE_SERVER_ENCRYPTED_FLIGHT);
        } else {
            q->client_hs = true;
            q->client_hs_last_ts = ts_us;
            q->client_hs_last_len = (uint16_t)(length > 0xffff ? 0xffff
                                                               : length);
        }
        break;
    case QUIC_RETRY:
        break;
    }
    return true;
}

/* Both sides finished: the record says what TLS 1.3 would have shown. */
static void decide_established(struct quic_conn *q, uint64_t ts_us)
{
    struct handshake *h = q->h;
    h->finished[TLS_SIDE_CLIENT] = h->finished[TLS_SIDE_SERVER] = true;
    if (!h->finished_ts_us[TLS_SIDE_SERVER])
        h->finished_ts_us[TLS_SIDE_SERVER] =
            q->server_flight_end_ts ? q->server_flight_end_ts : ts_us;
    h->app_data[TLS_SIDE_CLIENT] = h->app_data[TLS_SIDE_SERVER] = true;
    reach(h, STAGE_APPLICATION_DATA);
    outcome_check(h, ts_us);
}

/* A short-header (1-RTT) packet: only sent once a side has its
 * application keys, i.e. has finished its part of the handshake. */
static void read_short_packet(struct quic_conn *q, int side, uint64_t ts_us)
{
    struct handshake *h = q->h;
    enum tls_side role = role_of(q, side);

    q->facts->packets_1rtt[role]++;
    if (role == TLS_SIDE_CLIENT) {
        if (!q->client_1rtt) {
            q->client_1rtt = true;
            q->client_1rtt_ts = ts_us;
            /* Its Finished rode in its last Handshake packet, after the
             * server's whole encrypted flight (as TLS 1.3 times them). */
            h->finished[TLS_SIDE_CLIENT] = true;
            h->finished_ts_us[TLS_SIDE_CLIENT] =
                q->client_hs ? q->client_hs_last_ts : ts_us;
            if (q->server_hs)
                q->server_flight_end_ts = q->server_hs_last_ts;
            reach(h, STAGE_CLIENT_FINISHED);
        }
        return;
    }
    server_spoke(q, ts_us);
    /* The server's 1-RTT packets before the client's are 0.5-RTT data;
     * one after it means the server took the client's Finished — unless
     * the same datagram carries a Handshake packet: a server that
     * confirmed the handshake has dropped its Handshake keys (RFC 9001
     * §4.9.2), so that is its flight again or its CONNECTION_CLOSE, sent
     * at both levels (a refused client certificate). */
    if (q->client_1rtt && ts_us >= q->client_1rtt_ts &&
        !q->datagram_has_handshake)
        decide_established(q, ts_us);
}

void quic_datagram(struct quic_conn *q, int side, const uint8_t *data,
                   uint32_t len, uint32_t cut, uint64_t ts_us)
{
    uint8_t first;

    if (!q || (side != 0 && side != 1) || decided(q))
        return;
    if (cut) {
        /* A cut packet cannot be opened; its kind still counts. */
        q->h->gaps++;
        q->h->gap_bytes += cut;
    }
    struct cursor d = cursor_make(data, len);
    q->datagram_has_handshake = false;
    q->lead_initial_unopened = false;
    q->reading_lead = true;
    while (cursor_peek_u8(&d, 0, &first) && !decided(q)) {
        if (first & 0x80) {
            bool more = read_long_packet(q, side, &d, ts_us);
            q->reading_lead = false;
            if (!more)
                break;
            continue;
        }
        /* A short header is the datagram's last packet. Its fixed bit may
         * be clear: peers that both sent grease_quic_bit (RFC 9287) flip
         * it at random, as ngtcp2 does. Zero bytes after coalesced packets
         * are padding, not a packet. */
        if (first != 0)
            read_short_packet(q, side, ts_us);
        break;
    }
    /* The TLS hellos say who the client is, if the packets did not. */
    if (q->client_side < 0 && tls_client_side(q->tls) >= 0)
        q->client_side = tls_client_side(q->tls);
}

void quic_skip_initials(struct quic_conn *q)
{
    if (q)
        q->facts->initial_skipped = true;
}

bool quic_initials_skipped(const struct quic_conn *q)
{
    return q && q->facts->initial_skipped;
}

bool quic_lead_initial_unopened(const struct quic_conn *q)
{
    return q && q->lead_initial_unopened;
}

void quic_client_started_again(struct quic_conn *q)
{
    if (q)
        q->started_again = true;
}

bool quic_reportable(const struct quic_conn *q)
{
    if (!q)
        return false;
    const struct handshake *h = q->h;
    const struct quic_version_info *info =
        quic_version_lookup(q->facts->client_version ? q->facts->client_version
                                                     : q->facts->version);
    return q->facts->initial_decrypted || q->facts->version_negotiation ||
           q->facts->retry || h->outcome != OUTCOME_UNDECIDED ||
           (info && info->tls);
}

void quic_finish(struct quic_conn *q, enum hs_ended_by why, uint64_t ts_us)
{
    if (!q || decided(q) || !quic_reportable(q))
        return;
    struct handshake *h = q->h;

    if (q->client_1rtt) {
        /* Only with the server's whole flight in view: a lone Handshake
         * packet in a capture that missed the rest is an ACK as likely. */
        if (q->server_hs_after_client_1rtt && h->sh.seen) {
            /* The server's last word after the client's Finished was a
             * Handshake packet, never 1-RTT: its close (a refused client
             * certificate), as TLS 1.3's alert-sized record is. */
            reach(h, STAGE_CLIENT_FINISHED);
            handshake_add_alert(h, q->rare, TLS_SIDE_SERVER, true, 0, 0,
                                q->server_hs_last_len, q->server_hs_last_ts);
            outcome_check(h, ts_us);
        } else {
            /* The client finished; the server's confirmation was not
             * seen. */
            decide_established(q, ts_us);
        }
    } else if (q->vn_pending && !h->sh.seen) {
        /* A client that started over elsewhere negotiated; one that did
         * not gave up: no version in common. */
        if (q->started_again)
            outcome_finish(h, ENDED_VERSION_NEGOTIATION, ts_us);
        else
            outcome_failed(h, ENDED_VERSION_NEGOTIATION, TLS_SIDE_SERVER,
                           ts_us);
    } else if (q->client_hs && q->server_hs &&
               q->client_hs_last_ts >= q->server_hs_last_ts) {
        /* The client answered the server's encrypted flight, then went
         * quiet without ever sending 1-RTT: its CONNECTION_CLOSE in a
         * Handshake packet, the QUIC form of TLS 1.3's encrypted alert. */
        handshake_add_alert(h, q->rare, TLS_SIDE_CLIENT, true, 0, 0,
                            q->client_hs_last_len, q->client_hs_last_ts);
        outcome_check(h, ts_us);
    }
    /* What the evidence above cannot place (an alert with both hellos lost
     * to cut datagrams) ends as any flow does. */
    if (!decided(q))
        outcome_finish(h, why, ts_us);
}
