/* tls_messages.c — reads single TLS handshake message bodies (ClientHello in
 * TLS and SSLv2 form, ServerHello / HelloRetryRequest, Certificate, the group
 * of an ECDHE ServerKeyExchange) into the handshake record.
 *
 * Every parser keeps the facts it read before a fault and returns false. On
 * false the body cursor is left at the offset where the fault was found, so a
 * caller can say where a message broke. Facts from extensions after a
 * malformed one are still taken when the extension framing itself holds:
 * one bad extension should not hide the SNI that follows it. */
#include <stdlib.h>
#include <string.h>

#include "ech.h"
#include "tls_messages.h"
#include "tls_names.h"
#include "escape.h"

#define SNI_HOST_NAME 0

/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A list of 8- or 16-bit values into an HS_LIST of uint8_t or uint16_t
 * (`width` 1 or 2, its entry size), read afresh: keeps the first ones in
 * wire order. False when the list is not a whole number of entries. Call
 * it through READ_LIST, which passes the list's parts. */
static bool read_list(struct cursor *list, size_t width, void *dst,
                      uint16_t *n, uint16_t *total, size_t cap,
                      bool *truncated)
{
    *n = *total = 0;
    /* One loop per width, so that each reads its entries at a fixed size
     * (a hello carries several of these lists). */
    if (width == 1) {
        uint8_t v;
        while (cursor_left(list) >= 1 && cursor_u8(list, &v)) {
            if (hs_list_take(n, total, cap))
                ((uint8_t *)dst)[*n - 1] = v;
            else
                *truncated = true;
        }
    } else {
        uint16_t v;
        while (cursor_left(list) >= 2 && cursor_u16(list, &v)) {
            if (hs_list_take(n, total, cap))
                ((uint16_t *)dst)[*n - 1] = v;
            else
                *truncated = true;
        }
    }
    return cursor_expect_end(list);
}
#define READ_LIST(cur, hs_list, truncated)                                \
    read_list(cur, sizeof (hs_list).v[0], (hs_list).v, &(hs_list).n,      \
              &(hs_list).total, HS_LIST_CAP(hs_list), truncated)

/* An extension whose body is exactly one such list, behind a `prefix`-byte
 * length. */
#define EXT_LIST(ext, prefix, hs_list, truncated)                         \
    ext_list(ext, prefix, sizeof (hs_list).v[0], (hs_list).v,             \
             &(hs_list).n, &(hs_list).total, HS_LIST_CAP(hs_list),        \
             truncated)
static bool ext_list(struct cursor *ext, size_t prefix, size_t width,
                     void *dst, uint16_t *n, uint16_t *total, size_t cap,
                     bool *truncated)
{
    struct cursor list;

    CURSOR_TRY(cursor_vec(ext, prefix, &list));
    return read_list(&list, width, dst, n, total, cap, truncated) &&
           cursor_expect_end(ext);
}

/* The 32-byte session id every hello carries; longer is malformed. */
static bool read_session_id(struct cursor *body, uint8_t *len, uint8_t *id)
{
    struct cursor sid;
    size_t save = cursor_pos(body);

    CURSOR_TRY(cursor_vec8(body, &sid));
    if (cursor_left(&sid) > 32)
        return cursor_fail_at(body, save, PARSE_FAULT_BAD_VALUE);
    *len = (uint8_t)cursor_left(&sid);
    return cursor_copy(&sid, id, *len);
}

/* The extensions block. A hello cut short (a capture gap, a small snaplen)
 * still yields the extensions that arrived whole: when the block's length
 * runs past the message, the rest of the message is read as the block and
 * the walk reports the cut. */
static bool extensions_block(struct cursor *body, struct cursor *exts,
                             size_t *start, bool *cut)
{
    uint16_t len;

    *cut = false;
    CURSOR_TRY(cursor_u16(body, &len));
    if (!cursor_has(body, len))
        *cut = true;
    *exts = cursor_take(body, len);
    *start = cursor_pos(body) - cursor_span(exts);
    return true;
}

/* ---- ClientHello extensions --------------------------------------------- */

/* RFC 6066 §3: a list of (type, name); only host_name is defined. */
static bool ch_server_name(struct cursor *ext, struct client_hello *ch)
{
    struct cursor list, name;
    uint8_t type;

    if (cursor_left(ext) == 0)
        return true; /* what a server echoes; tolerated from a client */
    CURSOR_TRY(cursor_vec16(ext, &list));
    while (cursor_left(&list) > 0) {
        CURSOR_TRY(cursor_u8(&list, &type));
        /* Other name types have no defined layout, so nothing after one can
         * be read. */
        if (type != SNI_HOST_NAME)
            return cursor_expect_end(ext);
        CURSOR_TRY(cursor_vec16(&list, &name));
        if (!ch->has_sni) {
            ch->has_sni = true;
            ch->sni_len = (uint16_t)cursor_left(&name);
            if (!escape_copy(&name, ch->sni, sizeof(ch->sni)))
                ch->truncated = true;
        }
    }
    return cursor_expect_end(ext);
}

/* Append an escaped ALPN name to the hello's packed names; false when
 * they are full (the name and those after it are not kept, and the
 * session is asked for room for all of them). */
static bool alpn_keep(struct client_hello *ch, const char *name)
{
    size_t room, at = 0;
    char *text = (char *)client_hello_alpn_text(ch, &room);
    if (ch->n_alpn > 0)
        at = ch->alpn_at[ch->n_alpn - 1] +
             strlen(client_hello_alpn(ch, ch->n_alpn - 1)) + 1;
    size_t need = strlen(name) + 1;
    if (at + need > room) {
        ch->alpn_spill_wanted = !ch->alpn_spill;
        return false;
    }
    memcpy(text + at, name, need);
    ch->alpn_at[ch->n_alpn++] = (uint16_t)at;
    return true;
}

static bool ch_alpn(struct cursor *ext, struct client_hello *ch)
{
    struct cursor list, proto;
    struct parse_fault_at empty = {PARSE_FAULT_NONE, 0};

    ch->n_alpn = 0;
    CURSOR_TRY(cursor_vec16(ext, &list));
    while (cursor_left(&list) > 0) {
        CURSOR_TRY(cursor_vec8(&list, &proto));
        /* RFC 7301: empty names are not allowed */
        if (cursor_left(&proto) == 0 && empty.kind == PARSE_FAULT_NONE)
            empty = cursor_fault_here(&proto, PARSE_FAULT_BAD_VALUE);
        if (ch->n_alpn >= HS_MAX_ALPN || ch->alpn_truncated) {
            ch->alpn_truncated = true;
            continue;
        }
        if (ch->n_alpn == 0 && cursor_left(&proto) > 0) {
            struct cursor first = proto;
            size_t last = cursor_left(&proto) - 1;
            uint8_t b;
            if (cursor_u8(&first, &ch->alpn_first_raw[0]) &&
                cursor_skip(&first, last > 0 ? last - 1 : 0) &&
                (last == 0 || cursor_u8(&first, &b)))
                ch->alpn_first_raw[1] = last == 0 ? ch->alpn_first_raw[0] : b;
        }
        char name[HS_ALPN_LEN];
        if (!escape_copy(&proto, name, sizeof name))
            ch->truncated = true;
        if (!alpn_keep(ch, name))
            ch->alpn_truncated = true;
    }
    if (empty.kind != PARSE_FAULT_NONE)
        return cursor_refail(ext, empty);
    return cursor_expect_end(ext);
}

static bool ch_key_share(struct cursor *ext, struct client_hello *ch)
{
    struct cursor list, key;
    uint16_t group;

    HS_LIST_CLEAR(ch->key_shares);
    CURSOR_TRY(cursor_vec16(ext, &list));
    while (cursor_left(&list) > 0) {
        CURSOR_TRY(cursor_u16(&list, &group));
        CURSOR_TRY(cursor_vec16(&list, &key));
        struct key_share share = {group, (uint16_t)cursor_left(&key)};
        if (!HS_LIST_PUSH(ch->key_shares, share))
            ch->truncated = true;
    }
    return cursor_expect_end(ext);
}

static bool ch_psk_modes(struct cursor *ext, struct client_hello *ch)
{
    struct cursor list;
    uint8_t mode;

    CURSOR_TRY(cursor_vec8(ext, &list));
    while (cursor_left(&list) > 0 && cursor_u8(&list, &mode)) {
        if (mode < 8)
            ch->psk_modes |= (uint8_t)(1u << mode);
    }
    return cursor_expect_end(ext);
}

/* Reads one extension's body; false when it is malformed. */
static bool ch_extension(uint16_t type, struct cursor *ext,
                         struct client_hello *ch)
{
    switch (type) {
    case EXT_SERVER_NAME:
        return ch_server_name(ext, ch);
    case EXT_ALPN:
        return ch_alpn(ext, ch);
    case EXT_SUPPORTED_VERSIONS:
        ch->has_supported_versions = true;
        return EXT_LIST(ext, 1, ch->versions, &ch->truncated);
    case EXT_SUPPORTED_GROUPS:
        return EXT_LIST(ext, 2, ch->groups, &ch->truncated);
    case EXT_KEY_SHARE:
        return ch_key_share(ext, ch);
    case EXT_SIGNATURE_ALGORITHMS:
        return EXT_LIST(ext, 2, ch->sigalgs, &ch->truncated);
    case EXT_EC_POINT_FORMATS:
        return EXT_LIST(ext, 1, ch->point_formats, &ch->truncated);
    case EXT_SESSION_TICKET:
        ch->has_session_ticket = true;
        ch->session_ticket_len = (uint16_t)cursor_left(ext);
        return true;
    case EXT_PRE_SHARED_KEY:
        ch->psk_offered = true;
        return true;
    case EXT_PSK_KEY_EXCHANGE_MODES:
        return ch_psk_modes(ext, ch);
    case EXT_EARLY_DATA:
        ch->early_data = true;
        return true;
    case EXT_STATUS_REQUEST:
        ch->status_request = true;
        return true;
    case EXT_EXTENDED_MASTER_SECRET:
        ch->extended_master_secret = true;
        return true;
    case EXT_ENCRYPT_THEN_MAC:
        ch->encrypt_then_mac = true;
        return true;
    case EXT_RENEGOTIATION_INFO:
        ch->renegotiation_info = true;
        return true;
    case EXT_ENCRYPTED_CLIENT_HELLO:
        ch->ech = true;
        return ech_parse_client_hello_ext(ext, &ch->ech_info);
    case EXT_ENCRYPTED_SERVER_NAME:
        ch->esni = true;
        return true;
    case EXT_PADDING:
        ch->has_padding = true;
        ch->padding_len = (uint16_t)cursor_left(ext);
        return true;
    default:
        return true;
    }
}

/* Reads one extension of a message `msg`: notes its type where the
 * message keeps them, then its body; false when the body is malformed. */
typedef bool (*extension_reader)(void *msg, uint16_t type, struct cursor *ext);

/* Walks the extensions block. On a fault the body cursor is left at the
 * first malformed extension, and the fault recorded is the one found
 * inside it; a broken extension header ends the walk because nothing after
 * it can be located. */
static bool walk_extensions(struct cursor *body, extension_reader read,
                            void *msg)
{
    struct cursor exts, ext;
    struct parse_fault_at first = {PARSE_FAULT_NONE, 0};
    size_t start, first_at = 0;
    uint16_t type;
    bool ok = true, cut;

    CURSOR_TRY(extensions_block(body, &exts, &start, &cut));
    while (cursor_left(&exts) > 0) {
        size_t at = start + cursor_pos(&exts);
        bool framed = cursor_u16(&exts, &type) && cursor_vec16(&exts, &ext);
        if ((!framed || !read(msg, type, &ext)) && ok) {
            ok = false;
            first_at = at;
            first = cursor_last_fault(&exts);
        }
        if (!framed)
            break;
    }
    if (cut && ok) { /* more was announced than arrived */
        ok = false;
        first_at = start + cursor_span(&exts);
        first.kind = PARSE_FAULT_TRUNCATED;
        first.offset = 0;
    }
    if (ok)
        return true;
    CURSOR_TRY(cursor_seek(body, first_at));
    /* A fault found before this extension is stale: the reader failed
     * without saying why, so the extension as a whole is the fault. */
    struct parse_fault_at here = cursor_fault_here(
        body, first.kind != PARSE_FAULT_NONE ? first.kind
                                              : PARSE_FAULT_BAD_VALUE);
    if (first.kind == PARSE_FAULT_NONE || first.offset < here.offset)
        first = here;
    return cursor_refail(body, first);
}

static bool ch_read_extension(void *msg, uint16_t type, struct cursor *ext)
{
    struct client_hello *ch = msg;

    if (!HS_LIST_PUSH(ch->extensions, type))
        ch->truncated = true;
    return ch_extension(type, ext, ch);
}

/* Clears what a hello parser fills, keeping what the record layer set and
 * the room the session gave for ALPN names and cipher suites. */
static void client_hello_reset(struct client_hello *ch)
{
    uint16_t record_version = ch->record_version;
    uint64_t ts_us = ch->ts_us;
    char *alpn_spill = ch->alpn_spill;
    uint16_t *cipher_spill = ch->cipher_spill;

    memset(ch, 0, sizeof(*ch));
    ch->record_version = record_version;
    ch->ts_us = ts_us;
    ch->alpn_spill = alpn_spill;
    ch->cipher_spill = cipher_spill;
    ch->seen = true;
}

/* Appends a suite to the hello's cipher list as an HS_LIST does: the
 * first ones are kept, and after one is dropped all are. Without a spill
 * the list holds HS_CIPHERS_INLINE, and the session is asked for room for
 * the rest. */
static bool cipher_keep(struct client_hello *ch, uint16_t suite)
{
    size_t room = ch->cipher_spill ? HS_MAX_CIPHERS : HS_CIPHERS_INLINE;
    if (!ch->cipher_spill && ch->ciphers.n == room &&
        ch->ciphers.n == ch->ciphers.total)
        ch->cipher_spill_wanted = true;
    if (!hs_list_take(&ch->ciphers.n, &ch->ciphers.total, room))
        return false;
    size_t i = ch->ciphers.n - 1u;
    if (i < HS_CIPHERS_INLINE)
        ch->ciphers.head[i] = suite;
    else
        ch->cipher_spill[i - HS_CIPHERS_INLINE] = suite;
    return true;
}

static void add_cipher(struct client_hello *ch, uint32_t suite)
{
    uint8_t hi = (uint8_t)(suite >> 16);
    /* An SSLv2-only kind with no room in its side table is dropped like
     * one past the list's room: counted, not kept, and all after it too. */
    if (hi && ch->n_sslv2_kinds >= HS_MAX_SSLV2_KINDS) {
        ch->truncated = true;
        (void)hs_list_take(&ch->ciphers.n, &ch->ciphers.total, 0);
    } else if (!cipher_keep(ch, (uint16_t)suite)) {
        ch->truncated = true;
    } else if (hi) {
        ch->sslv2_kinds[ch->n_sslv2_kinds].at = (uint8_t)(ch->ciphers.n - 1);
        ch->sslv2_kinds[ch->n_sslv2_kinds++].hi = hi;
    }
    if (suite == TLS_FALLBACK_SCSV)
        ch->fallback_scsv = true;
}

bool tls_parse_client_hello(struct cursor *body, struct client_hello *out)
{
    struct cursor list;
    uint16_t suite;
    size_t save;

    client_hello_reset(out);
    out->length = (uint32_t)cursor_left(body);

    CURSOR_TRY(cursor_u16(body, &out->legacy_version));
    CURSOR_TRY(cursor_copy(body, out->random, sizeof out->random));
    CURSOR_TRY(read_session_id(body, &out->session_id_len, out->session_id));
    /* A DTLS hello (its version says so) carries the HelloVerifyRequest
     * cookie next (RFC 6347 §4.2.1): empty in the first hello. */
    if (tls_version_is_dtls(out->legacy_version)) {
        struct cursor cookie;
        out->dtls = true;
        CURSOR_TRY(cursor_vec8(body, &cookie));
        out->cookie_len = (uint8_t)cursor_left(&cookie);
    }

    save = cursor_pos(body);
    CURSOR_TRY(cursor_vec16(body, &list));
    while (cursor_left(&list) >= 2 && cursor_u16(&list, &suite))
        add_cipher(out, suite);
    if (!cursor_expect_end(&list)) /* odd length: not a list of suites */
        return cursor_fail_at(body, save, PARSE_FAULT_BAD_LENGTH);

    CURSOR_TRY(cursor_vec8(body, &list));
    CURSOR_TRY(READ_LIST(&list, out->compression, &out->truncated));

    /* SSLv3 and early TLS hellos end here: the block is optional. Bytes
     * after the block are left unread rather than called a fault. */
    if (cursor_left(body) == 0)
        return true;
    return walk_extensions(body, ch_read_extension, out);
}

/* SSLv2 CLIENT-HELLO (draft-hickman-netscape-ssl-00 §C.1): all lengths
 * come first, then the data they describe. */
bool tls_parse_sslv2_client_hello(struct cursor *rec, struct client_hello *out)
{
    uint8_t msg_type;
    uint16_t specs_len, sid_len, challenge_len;
    uint32_t spec;
    struct cursor specs, sid;
    size_t at = cursor_pos(rec);

    client_hello_reset(out);
    out->sslv2 = true;
    out->length = (uint32_t)cursor_left(rec);

    CURSOR_TRY(cursor_u8(rec, &msg_type));
    if (msg_type != TLS_HS_CLIENT_HELLO)
        return cursor_fail_at(rec, at, PARSE_FAULT_BAD_VALUE);
    CURSOR_TRY(cursor_u16(rec, &out->legacy_version));
    CURSOR_TRY(cursor_u16(rec, &specs_len));
    CURSOR_TRY(cursor_u16(rec, &sid_len));
    CURSOR_TRY(cursor_u16(rec, &challenge_len));

    at = cursor_pos(rec);
    CURSOR_TRY(cursor_sub(rec, specs_len, &specs));
    while (cursor_left(&specs) >= 3 && cursor_u24(&specs, &spec))
        add_cipher(out, spec);
    if (!cursor_expect_end(&specs)) /* not a whole number of 3-byte specs */
        return cursor_fail_at(rec, at, PARSE_FAULT_BAD_LENGTH);

    at = cursor_pos(rec);
    CURSOR_TRY(cursor_sub(rec, sid_len, &sid));
    if (sid_len > sizeof(out->session_id))
        return cursor_fail_at(rec, at, PARSE_FAULT_BAD_VALUE);
    out->session_id_len = (uint8_t)sid_len;
    CURSOR_TRY(cursor_copy(&sid, out->session_id, sid_len));

    return cursor_skip(rec, challenge_len);
}

uint16_t client_hello_highest_version(const struct client_hello *ch)
{
    uint16_t best = 0;
    int best_rank = 0;
    if (ch->has_supported_versions) {
        for (size_t i = 0; i < ch->versions.n; i++) {
            int rank = tls_version_rank(ch->versions.v[i]);
            /* Final versions outrank drafts of the same rank. */
            if (rank > best_rank ||
                (rank == best_rank && rank > 0 &&
                 ch->versions.v[i] == TLS_V_1_3)) {
                best = ch->versions.v[i];
                best_rank = rank;
            }
        }
    }
    return best_rank > 0 ? best : ch->legacy_version;
}

/* ---- ServerHello / HelloRetryRequest ------------------------------------ */

static bool sh_extension(uint16_t type, struct cursor *ext,
                         struct server_hello *sh)
{
    struct cursor list, proto, key;

    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        CURSOR_TRY(cursor_u16(ext, &sh->version));
        sh->has_supported_versions = true;
        return cursor_expect_end(ext);
    case EXT_KEY_SHARE:
        CURSOR_TRY(cursor_u16(ext, &sh->group));
        sh->has_key_share = true;
        CURSOR_TRY(cursor_vec16(ext, &key));
        return cursor_expect_end(ext);
    case EXT_ALPN:
        /* RFC 7301 §3.1: the server's list holds exactly one name. */
        CURSOR_TRY(cursor_vec16(ext, &list));
        CURSOR_TRY(cursor_vec8(&list, &proto));
        sh->has_alpn = true;
        escape_copy(&proto, sh->alpn, sizeof(sh->alpn));
        return cursor_expect_end(&list) && cursor_expect_end(ext);
    case EXT_PRE_SHARED_KEY:
        sh->psk_accepted = true;
        return true;
    case EXT_EXTENDED_MASTER_SECRET:
        sh->extended_master_secret = true;
        return true;
    case EXT_ENCRYPT_THEN_MAC:
        sh->encrypt_then_mac = true;
        return true;
    case EXT_RENEGOTIATION_INFO:
        sh->renegotiation_info = true;
        return true;
    case EXT_SESSION_TICKET:
        sh->session_ticket = true;
        return true;
    case EXT_STATUS_REQUEST:
        sh->status_request = true;
        return true;
    default:
        return true;
    }
}

/* In a HelloRetryRequest key_share is only the group the server wants;
 * encrypted_client_hello is the server's confirmation that it took ECH. */
static bool hrr_extension(uint16_t type, struct cursor *ext,
                          struct hello_retry *hrr)
{
    if (type == EXT_ENCRYPTED_CLIENT_HELLO)
        return ech_parse_hrr_ext(ext, hrr);
    if (type != EXT_KEY_SHARE)
        return true;
    CURSOR_TRY(cursor_u16(ext, &hrr->group));
    return cursor_expect_end(ext);
}

static bool sh_read_extension(void *msg, uint16_t type, struct cursor *ext)
{
    struct server_hello *sh = msg;

    (void)HS_LIST_PUSH(sh->extensions, type);
    return sh_extension(type, ext, sh);
}

static bool hrr_read_extension(void *msg, uint16_t type, struct cursor *ext)
{
    struct hello_retry *hrr = msg;

    (void)HS_LIST_PUSH(hrr->extensions, type);
    return hrr_extension(type, ext, hrr);
}

static bool parse_hello_retry(struct cursor *body, struct hello_retry *hrr)
{
    uint8_t sid[32], sid_len, compression;

    memset(hrr, 0, sizeof(*hrr));
    hrr->seen = true;
    CURSOR_TRY(read_session_id(body, &sid_len, sid));
    CURSOR_TRY(cursor_u16(body, &hrr->cipher));
    CURSOR_TRY(cursor_u8(body, &compression));
    if (cursor_left(body) == 0)
        return true;
    return walk_extensions(body, hrr_read_extension, hrr);
}

/* Until draft 22, a TLS 1.3 ServerHello named its draft in the version field
 * and carried neither a session id nor a compression method
 * (draft-ietf-tls-tls13-21 §4.1.3); the earliest implementations put 0x0304
 * there with the same layout. From draft 22 on, and in RFC 8446, the field
 * says 0x0303 and the layout is TLS 1.2's. */
static bool draft_server_hello_layout(uint16_t version)
{
    return version == TLS_V_1_3 ||
           ((version >> 8) == 0x7f && (version & 0xff) < 22);
}

bool tls_parse_server_hello(struct cursor *body, struct server_hello *sh,
                            struct hello_retry *hrr, bool *is_hrr)
{
    uint16_t legacy_version, record_version;
    uint8_t random[32];
    uint64_t ts_us;

    *is_hrr = false;
    CURSOR_TRY(cursor_u16(body, &legacy_version));
    CURSOR_TRY(cursor_copy(body, random, sizeof(random)));
    if (memcmp(random, hrr_random, sizeof(random)) == 0) {
        *is_hrr = true;
        return parse_hello_retry(body, hrr);
    }

    record_version = sh->record_version;
    ts_us = sh->ts_us;
    memset(sh, 0, sizeof(*sh));
    sh->record_version = record_version;
    sh->ts_us = ts_us;
    sh->seen = true;
    sh->legacy_version = legacy_version;
    sh->version = legacy_version;
    memcpy(sh->random, random, sizeof sh->random);

    if (draft_server_hello_layout(legacy_version)) {
        CURSOR_TRY(cursor_u16(body, &sh->cipher));
    } else {
        CURSOR_TRY(read_session_id(body, &sh->session_id_len,
                                   sh->session_id));
        CURSOR_TRY(cursor_u16(body, &sh->cipher));
        CURSOR_TRY(cursor_u8(body, &sh->compression));
    }
    if (cursor_left(body) == 0)
        return true;
    return walk_extensions(body, sh_read_extension, sh);
}

/* ---- EncryptedExtensions (TLS 1.3, with a key log) --------------------- */

bool tls_parse_encrypted_extensions(struct cursor *body,
                                    struct encrypted_extensions *out)
{
    struct cursor exts, ext, list, proto;
    uint16_t type, len;

    memset(out, 0, sizeof *out);
    out->seen = true;
    CURSOR_TRY(cursor_u16(body, &len));
    CURSOR_TRY(cursor_sub(body, len, &exts));
    while (cursor_left(&exts) > 0) {
        CURSOR_TRY(cursor_u16(&exts, &type) && cursor_vec16(&exts, &ext));
        (void)HS_LIST_PUSH(out->extensions, type);
        if (type == EXT_EARLY_DATA) {
            out->early_data = true;
        } else if (type == EXT_ALPN) {
            /* RFC 7301 §3.1: the server's list holds exactly one name. */
            CURSOR_TRY(cursor_vec16(&ext, &list) &&
                       cursor_vec8(&list, &proto));
            out->has_alpn = true;
            escape_copy(&proto, out->alpn, sizeof(out->alpn));
        } else if (type == EXT_ENCRYPTED_CLIENT_HELLO &&
                   !out->ech.has_retry_configs) {
            /* The server rejected ECH and says what to retry with. */
            out->ech.has_retry_configs = true;
            out->ech.malformed = !ech_parse_config_list(&ext, &out->ech);
        }
    }
    return cursor_expect_end(body);
}

/* ---- Certificate --------------------------------------------------------- */

/* Keeps certificates while both limits allow, so that what is kept is always
 * the leading part of the chain, in order. */
static void keep_cert(struct cert_chain *out, struct cursor *cert, size_t room)
{
    size_t len = cursor_left(cert);

    if (out->truncated || out->n_certs >= HS_MAX_CERTS || !out->der ||
        len > room - out->der_len) {
        out->truncated = true;
        return;
    }
    out->certs[out->n_certs].off = out->der_len;
    out->certs[out->n_certs].len = (uint32_t)len;
    if (!cursor_copy(cert, out->der + out->der_len, len)) {
        out->truncated = true; /* len is what is left: cannot happen */
        return;
    }
    out->der_len += (uint32_t)len;
    out->n_certs++;
}

bool tls_parse_certificate(struct cursor *body, bool tls13,
                           struct cert_chain *out)
{
    struct cursor context, list, cert, exts;
    struct parse_fault_at empty = {PARSE_FAULT_NONE, 0};
    size_t room;

    cert_chain_free(out);
    out->seen = true;

    if (tls13)
        CURSOR_TRY(cursor_vec8(body, &context));
    CURSOR_TRY(cursor_vec24(body, &list));

    /* One allocation sized by what the message can hold, never more than the
     * per-chain cap. */
    room = cursor_left(&list);
    if (room > HS_MAX_CERT_BYTES)
        room = HS_MAX_CERT_BYTES;
    if (room > 0) {
        out->der = malloc(room);
        if (!out->der)
            out->truncated = true;
    }

    while (cursor_left(&list) > 0) {
        if (!cursor_vec24(&list, &cert) ||
            (tls13 && !cursor_vec16(&list, &exts)))
            return cursor_abort_to(body,
                                   cursor_pos(body) - cursor_left(&list));
        if (out->n_certs_total < UINT16_MAX)
            out->n_certs_total++;
        if (cursor_left(&cert) == 0) {
            /* RFC 5246 §7.4.2: certificates are 1..2^24-1 bytes */
            if (empty.kind == PARSE_FAULT_NONE)
                empty = cursor_fault_here(&cert, PARSE_FAULT_BAD_VALUE);
            continue;
        }
        keep_cert(out, &cert, room);
    }
    return empty.kind == PARSE_FAULT_NONE || cursor_refail(body, empty);
}

bool tls_parse_certificate_status(struct cursor *body,
                                  struct ocsp_staple *out)
{
    struct cursor resp;
    ocsp_staple_free(out);
    out->seen = true;
    CURSOR_TRY(cursor_u8(body, &out->status_type));
    if (out->status_type != 1)
        return true; /* a status type we do not know: nothing to keep */
    CURSOR_TRY(cursor_vec24(body, &resp));
    size_t len = cursor_left(&resp);
    if (len == 0) /* RFC 6960 responses are never empty */
        return cursor_fail(&resp, PARSE_FAULT_BAD_VALUE);
    if (len > HS_MAX_OCSP_BYTES) {
        out->truncated = true;
        return true;
    }
    out->der = malloc(len);
    if (!out->der) {
        out->truncated = true;
        return true;
    }
    if (!cursor_copy(&resp, out->der, len)) {
        free(out->der);
        out->der = NULL;
        return false;
    }
    out->der_len = (uint32_t)len;
    return true;
}

void ocsp_staple_free(struct ocsp_staple *o)
{
    free(o->der);
    memset(o, 0, sizeof(*o));
}

void cert_chain_free(struct cert_chain *c)
{
    free(c->der);
    memset(c, 0, sizeof(*c));
}

/* ---- ServerKeyExchange --------------------------------------------------- */

/* RFC 8422 §5.4: ECParameters start with curve_type; named_curve (3) is
 * followed by the group. DHE and RSA-export parameters have no group. */
bool tls_parse_server_key_exchange_group(struct cursor *body, uint16_t *group)
{
    uint8_t curve_type;
    size_t start = cursor_pos(body);

    CURSOR_TRY(cursor_u8(body, &curve_type));
    if (curve_type != 3)
        return cursor_fail_at(body, start, PARSE_FAULT_BAD_VALUE);
    return cursor_u16(body, group) || cursor_abort_to(body, start);
}
