/* starttls.c — finds the point where a plaintext application protocol
 * switches to TLS (see starttls.h for the protocols).
 *
 * Each direction's first STARTTLS_WINDOW bytes are kept in a buffer and
 * parsed in units (lines, BER messages, packets) from a read position, so a
 * unit split across segments is parsed once it is whole. The first bytes of
 * the connection choose the protocol family; a family's client side stops
 * parsing at its upgrade request (what follows is held: it is TLS if the
 * server agrees), the server side at the answer to that request. Answers are
 * matched to requests by count (SMTP, FTP, POP3), tag (IMAP) or message id
 * (LDAP), so pipelined commands do not confuse them; a server answer whose
 * request has not been read yet waits for it. */
#include "starttls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "escape.h"

enum family {
    FAM_UNKNOWN = 0,
    FAM_LINES, /* SMTP and FTP: 220 greeting, 3-digit reply codes */
    FAM_IMAP,
    FAM_POP3,
    FAM_XMPP,
    FAM_LDAP,
    FAM_PG,
    FAM_MYSQL,
};

#define POP3_MAX_COMMANDS 64 /* one bit each: does its answer span lines? */
#define PG_MAX_REQUESTS 4
#define PG_SSL_REQUEST 80877103u
#define PG_GSSENC_REQUEST 80877104u
#define MYSQL_CLIENT_SSL 0x0800u
#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"

struct side_buf {
    uint8_t buf[STARTTLS_WINDOW];
    uint32_t len;    /* bytes kept */
    uint32_t pos;    /* start of the next unit to parse */
    uint32_t tls_at; /* where TLS begins, once `done` */
    bool done;       /* this side's plaintext part is over */
};

struct starttls {
    enum starttls_status status;
    enum family fam;
    enum starttls_proto proto;
    int client; /* flow side, -1 unknown */
    struct side_buf side[2];

    bool greeted;          /* the server's greeting was read */
    uint32_t commands;     /* client requests read */
    uint32_t replies;      /* final server answers read */
    uint32_t upgrade_cmd;  /* number of the upgrade request, 0 none yet */
    char imap_tag[32];
    uint64_t pop3_multi;   /* bit n-1: answer to command n is multi-line */
    bool pop3_in_multi;
    uint32_t ldap_id;      /* message id of the StartTLS request */
    uint8_t pg_req[PG_MAX_REQUESTS];
    uint8_t pg_n_req, pg_answered;
    char refusal[STARTTLS_REFUSAL_LEN];
};

struct starttls *starttls_new(int client_side)
{
    struct starttls *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->client = (client_side == 0 || client_side == 1) ? client_side : -1;
    return st;
}

void starttls_free(struct starttls *st)
{
    free(st);
}

size_t starttls_memory(void)
{
    return sizeof(struct starttls);
}

enum starttls_status starttls_status(const struct starttls *st)
{
    return st ? st->status : STARTTLS_GAVE_UP;
}

enum starttls_proto starttls_proto(const struct starttls *st)
{
    return st ? st->proto : STARTTLS_NONE;
}

int starttls_client_side(const struct starttls *st)
{
    return st ? st->client : -1;
}

const char *starttls_refusal(const struct starttls *st)
{
    return st ? st->refusal : "";
}

const char *starttls_proto_name(enum starttls_proto p)
{
    switch (p) {
    case STARTTLS_SMTP: return "smtp";
    case STARTTLS_IMAP: return "imap";
    case STARTTLS_POP3: return "pop3";
    case STARTTLS_FTP: return "ftp";
    case STARTTLS_XMPP: return "xmpp";
    case STARTTLS_LDAP: return "ldap";
    case STARTTLS_POSTGRESQL: return "postgresql";
    case STARTTLS_MYSQL: return "mysql";
    case STARTTLS_NONE: break;
    }
    return NULL;
}

void starttls_held(const struct starttls *st, int side, const uint8_t **data,
                   uint32_t *len)
{
    *data = NULL;
    *len = 0;
    if (!st || st->status != STARTTLS_UPGRADED || (side != 0 && side != 1))
        return;
    const struct side_buf *b = &st->side[side];
    struct cursor c = cursor_make(b->buf, b->len);
    size_t n;
    if (!cursor_seek(&c, b->tls_at))
        return;
    *data = cursor_rest(&c, &n);
    *len = (uint32_t)n;
}

/* ---- reading position ---------------------------------------------------- */

/* A side's bytes as a cursor at the next unit to parse. A parser reads a
 * unit from it and commits the position only when the unit is taken; a
 * unit that must wait (an answer whose request is not read yet) is left
 * uncommitted, to be read again. */
static struct cursor unread(const struct side_buf *b)
{
    struct cursor c = cursor_make(b->buf, b->len);
    if (!cursor_seek(&c, b->pos))
        return cursor_make(NULL, 0); /* pos <= len: cannot happen */
    return c;
}

/* Everything in `b` that has been read so far is taken; true, so that a
 * parser can say `return commit(b, &in);`. */
static bool commit(struct side_buf *b, const struct cursor *in)
{
    b->pos = (uint32_t)cursor_pos(in);
    return true;
}

/* ---- decisions ----------------------------------------------------------- */

/* A request already read is forgotten: whether it was read before the
 * bytes that made the detector give up depends on how the stream was cut
 * into segments, and a plain flow has no protocol to report. */
static void give_up(struct starttls *st)
{
    st->status = STARTTLS_GAVE_UP;
    st->proto = STARTTLS_NONE;
}

static struct side_buf *client_buf(struct starttls *st)
{
    return &st->side[st->client];
}

static struct side_buf *server_buf(struct starttls *st)
{
    return &st->side[1 - st->client];
}

/* This side's plaintext is over: TLS begins at its first byte not taken. */
static void side_done(struct side_buf *b)
{
    b->done = true;
    b->tls_at = b->pos;
}

/* The client asked to upgrade; its bytes after the request wait for the
 * answer. */
static void request(struct starttls *st, enum starttls_proto proto)
{
    st->proto = proto;
    st->upgrade_cmd = st->commands;
    side_done(client_buf(st));
}

/* The server agreed: TLS follows its last byte taken. */
static void upgrade(struct starttls *st)
{
    side_done(server_buf(st));
    st->status = STARTTLS_UPGRADED;
}

static void refuse(struct starttls *st, struct cursor text)
{
    size_t n = 0;
    uint8_t ch;
    while (n < sizeof st->refusal - 1 && cursor_u8(&text, &ch))
        st->refusal[n++] = escape_preview_char(ch);
    st->refusal[n] = '\0';
    st->status = STARTTLS_REFUSED;
}

/* The server's greeting decides whether the family guessed is right. */
static void greeting(struct starttls *st, bool ok)
{
    st->greeted = true;
    if (!ok)
        give_up(st);
}

/* A final answer from the server, counted against the oldest request not
 * answered yet. False while that request is not read: the answer is left
 * unread until it is. */
static bool take_answer(struct starttls *st, const struct cursor *in)
{
    if (st->replies == st->commands)
        return false;
    st->replies++;
    return commit(server_buf(st), in);
}

/* Counted answers (SMTP, FTP, POP3): is the last one taken the upgrade
 * request's? */
static bool answers_upgrade(const struct starttls *st)
{
    return st->upgrade_cmd && st->replies == st->upgrade_cmd;
}

/* The answer to the upgrade request: TLS follows it, or `text` says why
 * not. */
static void decide(struct starttls *st, bool agreed, struct cursor text)
{
    if (agreed)
        upgrade(st);
    else
        refuse(st, text);
}

/* ---- text helpers -------------------------------------------------------- */

/* Split the next LF-terminated line (CR stripped) off `in`; false when it
 * is not whole yet. */
static bool take_line(struct cursor *in, struct cursor *line)
{
    struct cursor scan = *in;
    uint8_t ch;
    while (cursor_u8(&scan, &ch)) {
        if (ch != '\n')
            continue;
        CURSOR_TRY(cursor_sub(in, cursor_pos(&scan) - cursor_pos(in) - 1,
                              line));
        CURSOR_TRY(cursor_skip(in, 1));
        if (cursor_peek_u8(line, cursor_left(line) - 1, &ch) && ch == '\r')
            CURSOR_TRY(cursor_trim_end(line, 1));
        return true;
    }
    return false;
}

/* The client's next whole line, taken and counted as a request. */
static bool next_command(struct starttls *st, struct cursor *line)
{
    struct side_buf *b = client_buf(st);
    struct cursor in = unread(b);
    if (b->done || !take_line(&in, line))
        return false;
    st->commands++;
    return commit(b, &in);
}

/* The server's next whole line; `in` is where reading goes on once the
 * line is taken (commit or take_answer). */
static bool next_reply(struct starttls *st, struct cursor *in,
                       struct cursor *line)
{
    const struct side_buf *b = server_buf(st);
    *in = unread(b);
    return !b->done && take_line(in, line);
}

static uint8_t lower(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
}

/* Consume `word` (ASCII, case-insensitive) when the text starts with it. */
static bool eat_ci(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch;
        if (!cursor_peek_u8(c, i, &ch) || lower(ch) != lower((uint8_t)word[i]))
            return false;
    }
    return cursor_skip(c, n);
}

/* Case-sensitive: XML names. */
static bool starts_with(const struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch;
        if (!cursor_peek_u8(c, i, &ch) || ch != (uint8_t)word[i])
            return false;
    }
    return true;
}

static bool skip_spaces(struct cursor *c)
{
    uint8_t ch;
    bool any = false;
    while (cursor_peek_u8(c, 0, &ch) && (ch == ' ' || ch == '\t') &&
           cursor_skip(c, 1))
        any = true;
    return any;
}

static bool at_end(struct cursor *c)
{
    skip_spaces(c);
    return cursor_left(c) == 0;
}

/* "NNN" then ' ', '-' or the end of the line. */
static bool reply_code(struct cursor line, int *code, bool *final)
{
    int v = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t d;
        CURSOR_TRY(cursor_u8(&line, &d));
        if (d < '0' || d > '9')
            return false;
        v = v * 10 + (d - '0');
    }
    uint8_t sep;
    if (!cursor_u8(&line, &sep) || sep == '\r' || sep == '\n')
        sep = ' ';
    if (sep != ' ' && sep != '-')
        return false;
    *code = v;
    *final = sep == ' ';
    return true;
}

static bool any_newline(const struct side_buf *b)
{
    struct cursor c = unread(b);
    uint8_t ch;
    while (cursor_u8(&c, &ch))
        if (ch == '\n')
            return true;
    return false;
}

/* ---- SMTP and FTP -------------------------------------------------------- */

static bool lines_client(struct starttls *st)
{
    struct cursor line;
    if (!next_command(st, &line))
        return false;
    struct cursor cmd = line;
    if (eat_ci(&cmd, "STARTTLS") && at_end(&cmd)) {
        request(st, STARTTLS_SMTP);
        return true;
    }
    cmd = line;
    if (eat_ci(&cmd, "AUTH") && skip_spaces(&cmd) &&
        (eat_ci(&cmd, "TLS") || eat_ci(&cmd, "SSL"))) {
        request(st, STARTTLS_FTP);
        return true;
    }
    /* A mail body in plaintext: no upgrade is coming, and its lines are
     * not commands. */
    cmd = line;
    if ((eat_ci(&cmd, "DATA") && at_end(&cmd)) ||
        (cmd = line, eat_ci(&cmd, "BDAT ")))
        give_up(st);
    return true;
}

static bool lines_server(struct starttls *st)
{
    struct cursor in, line;
    int code;
    bool final;
    if (!next_reply(st, &in, &line))
        return false;
    if (!reply_code(line, &code, &final) || !final)
        return commit(server_buf(st), &in); /* continuation lines carry
                                               nothing we need */
    if (!st->greeted) {
        greeting(st, code == 220);
        return commit(server_buf(st), &in);
    }
    if (code < 200) /* FTP's preliminary replies come before the real one */
        return commit(server_buf(st), &in);
    if (!take_answer(st, &in))
        return false;
    if (answers_upgrade(st))
        decide(st, code < 300, line);
    return true;
}

/* ---- IMAP ---------------------------------------------------------------- */

/* The tag: printable characters up to the first space. */
static bool imap_tag(struct cursor *line, char *out, size_t cap)
{
    size_t n = 0;
    uint8_t ch;
    while (cursor_peek_u8(line, 0, &ch) && ch > 0x20 && ch < 0x7f) {
        if (n + 1 >= cap)
            return false;
        out[n++] = (char)ch;
        if (!cursor_skip(line, 1))
            return false;
    }
    out[n] = '\0';
    return n > 0 && skip_spaces(line);
}

static bool imap_client(struct starttls *st)
{
    struct cursor line;
    char tag[sizeof st->imap_tag];
    if (!next_command(st, &line))
        return false;
    if (imap_tag(&line, tag, sizeof tag) && eat_ci(&line, "STARTTLS") &&
        at_end(&line)) {
        memcpy(st->imap_tag, tag, sizeof tag);
        request(st, STARTTLS_IMAP);
    }
    return true;
}

static bool imap_server(struct starttls *st)
{
    struct cursor in, line;
    char tag[sizeof st->imap_tag];
    if (!next_reply(st, &in, &line))
        return false;
    struct cursor text = line;
    if (eat_ci(&text, "* ") || eat_ci(&text, "+")) {
        if (!st->greeted)
            greeting(st, eat_ci(&text, "OK") || eat_ci(&text, "PREAUTH"));
        /* untagged data and continuation requests */
        return commit(server_buf(st), &in);
    }
    if (!imap_tag(&text, tag, sizeof tag))
        return commit(server_buf(st), &in);
    if (!take_answer(st, &in))
        return false;
    if (st->upgrade_cmd && strcmp(tag, st->imap_tag) == 0)
        decide(st, eat_ci(&text, "OK"), line);
    return true;
}

/* ---- POP3 ---------------------------------------------------------------- */

static bool pop3_multiline(struct cursor cmd)
{
    struct cursor c = cmd;
    if ((eat_ci(&c, "CAPA") && at_end(&c)))
        return true;
    c = cmd;
    if ((eat_ci(&c, "LIST") || eat_ci(&c, "UIDL")) && at_end(&c))
        return true;
    c = cmd;
    return eat_ci(&c, "RETR ") || (c = cmd, eat_ci(&c, "TOP "));
}

static bool pop3_client(struct starttls *st)
{
    struct cursor line;
    if (!next_command(st, &line))
        return false;
    if (st->commands > POP3_MAX_COMMANDS) {
        give_up(st);
        return false;
    }
    if (pop3_multiline(line))
        st->pop3_multi |= 1ull << (st->commands - 1);
    if (eat_ci(&line, "STLS") && at_end(&line))
        request(st, STARTTLS_POP3);
    return true;
}

static bool pop3_server(struct starttls *st)
{
    struct cursor in, line;
    if (!next_reply(st, &in, &line))
        return false;
    if (st->pop3_in_multi) {
        uint8_t ch;
        if (cursor_left(&line) == 1 && cursor_peek_u8(&line, 0, &ch) &&
            ch == '.')
            st->pop3_in_multi = false;
        return commit(server_buf(st), &in);
    }
    struct cursor text = line;
    bool ok = eat_ci(&text, "+OK");
    if (!ok && !eat_ci(&text, "-ERR"))
        return commit(server_buf(st), &in);
    if (!st->greeted) {
        greeting(st, ok);
        return commit(server_buf(st), &in);
    }
    if (!take_answer(st, &in))
        return false;
    if (answers_upgrade(st))
        decide(st, ok, line);
    else if (ok && (st->pop3_multi >> (st->replies - 1)) & 1u)
        st->pop3_in_multi = true;
    return true;
}

/* ---- XMPP ---------------------------------------------------------------- */

/* Moves `c` to the first `<name` element (followed by space, '/' or '>');
 * false when there is none. */
static bool find_element(struct cursor *c, const char *name)
{
    size_t n = strlen(name);
    while (cursor_left(c) > n) {
        uint8_t next;
        if (starts_with(c, name) && cursor_peek_u8(c, n, &next) &&
            (next == ' ' || next == '/' || next == '>' || next == '\t' ||
             next == '\r' || next == '\n'))
            return true;
        if (!cursor_skip(c, 1))
            break;
    }
    return false;
}

/* Moves `c`, at an element's start, just past its end (self-closing, or
 * up to its closing tag `close`); false while it is not whole. */
static bool element_end(struct cursor *c, const char *close)
{
    uint8_t ch = 0, prev = 0;
    while (cursor_u8(c, &ch)) {
        if (ch == '>') {
            if (prev == '/')
                return true;
            break;
        }
        prev = ch;
    }
    if (ch != '>')
        return false;
    size_t n = strlen(close);
    while (cursor_left(c) >= n) {
        if (starts_with(c, close))
            return cursor_skip(c, n);
        if (!cursor_skip(c, 1))
            break;
    }
    return false;
}

/* The whole of what `b` holds, from its first byte: XMPP elements are
 * searched for, not read in order. */
static struct cursor held(const struct side_buf *b)
{
    return cursor_make(b->buf, b->len);
}

static bool xmpp_client(struct starttls *st)
{
    struct side_buf *b = client_buf(st);
    struct cursor c = held(b);
    if (b->done || !find_element(&c, "<starttls") ||
        !element_end(&c, "</starttls>"))
        return false;
    commit(b, &c);
    st->commands++;
    request(st, STARTTLS_XMPP);
    return true;
}

static bool xmpp_server(struct starttls *st)
{
    struct side_buf *b = server_buf(st);
    if (b->done || !st->upgrade_cmd)
        return false;
    struct cursor ok = held(b), no = held(b);
    bool has_ok = find_element(&ok, "<proceed");
    bool has_no = find_element(&no, "<failure");
    if (has_ok && (!has_no || cursor_pos(&ok) < cursor_pos(&no))) {
        if (!element_end(&ok, "</proceed>"))
            return false;
        commit(b, &ok);
        upgrade(st);
        return true;
    }
    struct cursor end = no;
    if (!has_no || !element_end(&end, "</failure>"))
        return false;
    refuse(st, cursor_take(&no, cursor_pos(&end) - cursor_pos(&no)));
    return true;
}

/* ---- LDAP (BER) ---------------------------------------------------------- */

/* A definite BER length, short form or long form of at most 4 bytes. */
static bool ber_length(struct cursor *c, uint32_t *len)
{
    uint8_t first;
    CURSOR_TRY(cursor_u8(c, &first));
    if (first < 0x80) {
        *len = first;
        return true;
    }
    uint8_t n = first & 0x7f;
    if (n == 0 || n > 4)
        return false; /* indefinite, or longer than anything we keep */
    return cursor_be(c, n, len);
}

/* One single-byte-tag TLV; `val` spans its contents. */
static bool ber_tlv(struct cursor *c, uint8_t *tag, struct cursor *val)
{
    uint32_t len;
    size_t save = cursor_pos(c);
    if (cursor_u8(c, tag) && (*tag & 0x1f) != 0x1f && ber_length(c, &len) &&
        cursor_sub(c, len, val))
        return true;
    return cursor_abort_to(c, save);
}

static bool ber_uint(struct cursor val, uint32_t *out)
{
    size_t n = cursor_left(&val);
    return n > 0 && n <= 4 && cursor_be(&val, n, out);
}

enum take { TAKE_MORE, TAKE_OK, TAKE_BAD };

/* The next whole LDAPMessage from `in`: its id and protocolOp. */
static enum take ldap_message(struct cursor *in, uint32_t *id, uint8_t *op,
                              struct cursor *opval)
{
    struct cursor hdr = *in, msg, idval;
    uint8_t tag;
    uint32_t len;
    if (cursor_left(in) == 0)
        return TAKE_MORE;
    if (!cursor_u8(&hdr, &tag))
        return TAKE_MORE;
    if (tag != 0x30)
        return TAKE_BAD;
    if (!ber_length(&hdr, &len)) {
        uint8_t first;
        /* a length (or long form) whose bytes have not all come */
        if (!cursor_peek_u8(in, 1, &first) ||
            ((first & 0x7f) <= 4 && first != 0x80))
            return TAKE_MORE;
        return TAKE_BAD;
    }
    if (len > STARTTLS_WINDOW)
        return TAKE_BAD;
    if (!cursor_sub(&hdr, len, &msg))
        return TAKE_MORE;
    *in = hdr;
    if (!ber_tlv(&msg, &tag, &idval) || tag != 0x02 || !ber_uint(idval, id) ||
        !ber_tlv(&msg, op, opval) || (*op & 0xc0) != 0x40)
        return TAKE_BAD;
    return TAKE_OK;
}

/* The next whole LDAPMessage of side `b`, read from `in` (not committed);
 * a malformed one ends the watch. */
static bool next_ldap(struct starttls *st, const struct side_buf *b,
                      struct cursor *in, uint32_t *id, uint8_t *op,
                      struct cursor *opval)
{
    *in = unread(b);
    if (b->done)
        return false;
    enum take t = ldap_message(in, id, op, opval);
    if (t == TAKE_BAD)
        give_up(st);
    return t == TAKE_OK;
}

static bool ldap_client(struct starttls *st)
{
    struct side_buf *b = client_buf(st);
    struct cursor in, val, name;
    uint32_t id;
    uint8_t op, tag;
    if (!next_ldap(st, b, &in, &id, &op, &val))
        return false;
    commit(b, &in);
    st->commands++;
    /* ExtendedRequest: [APPLICATION 23] { requestName [0] LDAPOID } */
    if (op == 0x77 && ber_tlv(&val, &tag, &name) && tag == 0x80 &&
        cursor_left(&name) == strlen(LDAP_STARTTLS_OID) &&
        starts_with(&name, LDAP_STARTTLS_OID)) {
        st->ldap_id = id;
        request(st, STARTTLS_LDAP);
    }
    return true;
}

static bool ldap_server(struct starttls *st)
{
    struct side_buf *b = server_buf(st);
    struct cursor in, val, f;
    uint32_t id, code;
    uint8_t op, tag;
    if (!next_ldap(st, b, &in, &id, &op, &val))
        return false;
    /* ExtendedResponse: [APPLICATION 24] { resultCode, matchedDN,
     * diagnosticMessage, ... }; id 0 is an unsolicited notice. */
    if (op != 0x78 || id == 0)
        return commit(b, &in);
    if (!st->upgrade_cmd)
        return false; /* perhaps the answer to a request not read yet */
    commit(b, &in);
    if (id != st->ldap_id)
        return true;
    if (!ber_tlv(&val, &tag, &f) || tag != 0x0a || !ber_uint(f, &code)) {
        give_up(st);
        return false;
    }
    if (code == 0) {
        upgrade(st);
        return true;
    }
    /* "resultCode N: diagnosticMessage" */
    char text[STARTTLS_REFUSAL_LEN];
    struct cursor dn, diag = cursor_make(NULL, 0);
    if (ber_tlv(&val, &tag, &dn) && ber_tlv(&val, &tag, &f) && tag == 0x04)
        diag = f;
    int n = snprintf(text, sizeof text, "resultCode %u: ", (unsigned)code);
    size_t used = n > 0 ? (size_t)n : 0;
    size_t room = sizeof text - 1 - used;
    size_t take = cursor_left(&diag) < room ? cursor_left(&diag) : room;
    if (used < sizeof text - 1 && cursor_copy(&diag, text + used, take))
        used += take;
    refuse(st, cursor_make((const uint8_t *)text, used));
    return true;
}

/* ---- PostgreSQL ---------------------------------------------------------- */

static bool pg_client(struct starttls *st)
{
    struct side_buf *b = client_buf(st);
    struct cursor c = unread(b);
    uint32_t len = 0, code = 0;
    if (b->done || !cursor_u32(&c, &len) || !cursor_u32(&c, &code))
        return false;
    if (len != 8 || (code != PG_SSL_REQUEST && code != PG_GSSENC_REQUEST) ||
        st->pg_n_req >= PG_MAX_REQUESTS) {
        give_up(st); /* a startup message in plaintext: no TLS asked for */
        return false;
    }
    commit(b, &c);
    st->pg_req[st->pg_n_req++] = code == PG_SSL_REQUEST;
    if (code == PG_SSL_REQUEST) {
        st->commands++;
        request(st, STARTTLS_POSTGRESQL);
    }
    return true;
}

static bool pg_server(struct starttls *st)
{
    struct side_buf *b = server_buf(st);
    struct cursor c = unread(b);
    uint8_t answer;
    if (b->done || st->pg_answered >= st->pg_n_req || !cursor_u8(&c, &answer))
        return false;
    bool ssl = st->pg_req[st->pg_answered++];
    commit(b, &c);
    if (!ssl) { /* GSSENCRequest: 'N' lets the client go on to ask for TLS */
        if (answer != 'N')
            give_up(st);
        return true;
    }
    if (answer == 'S') {
        upgrade(st);
    } else if (answer == 'N') {
        refuse(st, cursor_make((const uint8_t *)"N", 1));
    } else if (answer == 'E') { /* servers before 7.0: an ErrorResponse */
        refuse(st, cursor_make((const uint8_t *)"E", 1));
    } else {
        give_up(st);
    }
    return true;
}

/* ---- MySQL --------------------------------------------------------------- */

/* One MySQL packet from `in`: 3-byte little-endian length, sequence id,
 * payload. */
static enum take mysql_packet(struct cursor *in, uint8_t *seq,
                              struct cursor *payload)
{
    struct cursor c = *in;
    uint32_t len;
    if (!cursor_le(&c, 3, &len) || !cursor_u8(&c, seq))
        return TAKE_MORE;
    if (len > STARTTLS_WINDOW)
        return TAKE_BAD;
    if (!cursor_sub(&c, len, payload))
        return TAKE_MORE;
    *in = c;
    return TAKE_OK;
}

static bool mysql_server(struct starttls *st)
{
    struct side_buf *b = server_buf(st);
    struct cursor in = unread(b);
    uint8_t seq, proto, ch;
    uint16_t caps;
    struct cursor p;
    if (b->done)
        return false;
    enum take t = mysql_packet(&in, &seq, &p);
    if (t == TAKE_MORE)
        return false;
    if (t == TAKE_BAD || seq != 0 || !cursor_u8(&p, &proto) || proto != 10) {
        give_up(st);
        return false;
    }
    do { /* server version, NUL-terminated */
        if (!cursor_u8(&p, &ch) || (ch != 0 && (ch < 0x20 || ch >= 0x7f))) {
            give_up(st);
            return false;
        }
    } while (ch != 0);
    /* connection id, auth-plugin-data part 1, filler */
    if (!cursor_skip(&p, 4 + 8 + 1) || !cursor_u16le(&p, &caps) ||
        !(caps & MYSQL_CLIENT_SSL)) {
        give_up(st); /* no TLS offered: the client cannot ask for it */
        return false;
    }
    st->greeted = true;
    commit(b, &in);
    side_done(b);
    return true;
}

static bool mysql_client(struct starttls *st)
{
    struct side_buf *b = client_buf(st);
    struct cursor in = unread(b);
    uint8_t seq;
    uint32_t caps;
    struct cursor p;
    if (b->done || !st->greeted)
        return false;
    enum take t = mysql_packet(&in, &seq, &p);
    if (t == TAKE_MORE)
        return false;
    /* SSLRequest: the first 32 bytes of a HandshakeResponse41, alone. */
    if (t == TAKE_BAD || seq != 1 || cursor_left(&p) != 32 ||
        !cursor_u32le(&p, &caps) || !(caps & MYSQL_CLIENT_SSL)) {
        give_up(st);
        return false;
    }
    commit(b, &in);
    st->commands++;
    request(st, STARTTLS_MYSQL);
    upgrade(st); /* the server's side ended at its greeting */
    return true;
}

/* ---- the first bytes choose the family ----------------------------------- */

static const uint8_t PG_SSL[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
static const uint8_t PG_GSS[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};

static bool starts_bytes(const struct cursor *c, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch;
        if (!cursor_peek_u8(c, i, &ch) || ch != want[i])
            return false;
    }
    return true;
}

/* Could the bytes so far still grow into `word`? */
static bool may_become(const struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i < n && i < cursor_left(c); i++) {
        uint8_t ch;
        if (!cursor_peek_u8(c, i, &ch) || ch != (uint8_t)word[i])
            return false;
    }
    return cursor_left(c) < n;
}

static void classify(struct starttls *st, int side)
{
    const struct side_buf *b = &st->side[side];
    struct cursor c = unread(b);
    int code;
    bool final, server_first;
    uint8_t first = 0, seq = 1, proto = 0;

    if (cursor_left(&c) < 8 && !any_newline(b))
        return; /* too few bytes to tell */
    /* A byte not there keeps its default. */
    if (!cursor_peek_u8(&c, 0, &first))
        first = 0;
    if (!cursor_peek_u8(&c, 3, &seq))
        seq = 1;
    if (!cursor_peek_u8(&c, 4, &proto))
        proto = 0;

    struct cursor t = c;
    if (reply_code(c, &code, &final) && code == 220) {
        st->fam = FAM_LINES, server_first = true;
    } else if (eat_ci(&t, "* OK") || (t = c, eat_ci(&t, "* PREAUTH"))) {
        st->fam = FAM_IMAP, server_first = true;
    } else if (t = c, eat_ci(&t, "+OK")) {
        st->fam = FAM_POP3, server_first = true;
    } else if (starts_with(&c, "<?xml") || starts_with(&c, "<stream:stream")) {
        st->fam = FAM_XMPP, server_first = false;
    } else if (starts_bytes(&c, PG_SSL, 8) || starts_bytes(&c, PG_GSS, 8)) {
        st->fam = FAM_PG, server_first = false;
    } else if (first == 0x30) {
        st->fam = FAM_LDAP, server_first = false;
    } else if (seq == 0 && proto == 10) {
        st->fam = FAM_MYSQL, server_first = true;
    } else if (cursor_left(&c) < 8 || may_become(&c, "<stream:stream") ||
               may_become(&c, "* PREAUTH")) {
        /* Too few bytes to tell: a newline among the first few bytes lets
         * a short greeting decide early, but its absence of a match rules
         * out nothing that needs 8 bytes (a PostgreSQL request, a MySQL
         * greeting whose 0x0a byte looked like a line end). */
        return;
    } else {
        give_up(st);
        return;
    }
    int client = server_first ? 1 - side : side;
    if (st->client >= 0 && st->client != client) {
        give_up(st); /* the content contradicts the SYN */
        return;
    }
    st->client = client;
}

/* Parse what both sides hold until nothing moves. */
static void run(struct starttls *st)
{
    bool moved;
    do {
        bool c = false, s = false;
        switch (st->fam) {
        case FAM_LINES: c = lines_client(st); s = lines_server(st); break;
        case FAM_IMAP: c = imap_client(st); s = imap_server(st); break;
        case FAM_POP3: c = pop3_client(st); s = pop3_server(st); break;
        case FAM_XMPP: c = xmpp_client(st); s = xmpp_server(st); break;
        case FAM_LDAP: c = ldap_client(st); s = ldap_server(st); break;
        case FAM_PG: c = pg_client(st); s = pg_server(st); break;
        case FAM_MYSQL: s = mysql_server(st); c = mysql_client(st); break;
        case FAM_UNKNOWN: return;
        }
        moved = c || s;
    } while (moved && st->status == STARTTLS_WATCHING);
}

enum starttls_status starttls_feed(struct starttls *st, int side,
                                   const uint8_t *data, uint32_t len,
                                   uint32_t *taken)
{
    *taken = 0;
    if (!st)
        return STARTTLS_GAVE_UP;
    if (st->status != STARTTLS_WATCHING || (side != 0 && side != 1))
        return st->status;
    struct side_buf *b = &st->side[side];
    uint32_t room = STARTTLS_WINDOW - b->len;
    uint32_t n = len < room ? len : room;
    struct cursor in = cursor_make(data, len);
    if (!cursor_copy(&in, b->buf + b->len, n))
        n = 0;
    b->len += n;
    *taken = n;

    if (st->fam == FAM_UNKNOWN)
        classify(st, side);
    if (st->status == STARTTLS_WATCHING)
        run(st);
    /* Bounded: a side that filled its window without a decision (or that
     * had more to hold than fits) is not an upgrade we will see. */
    if (st->status == STARTTLS_WATCHING &&
        (n < len || (b->len == STARTTLS_WINDOW && !b->done)))
        give_up(st);
    return st->status;
}

void starttls_gap(struct starttls *st, int side)
{
    (void)side;
    if (st && st->status == STARTTLS_WATCHING)
        give_up(st);
}
