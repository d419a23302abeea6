/* fuzz_tls_messages.c — libFuzzer target for the handshake message parsers.
 * The first input byte picks the parser, the rest is the message body. Beyond
 * "no crash", it checks what the record promises its readers: counts within
 * their arrays, strings terminated inside their buffers, certificate spans
 * inside the DER buffer, and a typed fault inside the body for every
 * failed parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/tls_messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_client_hello(const struct client_hello *ch)
{
    CHECK(ch->seen);
    CHECK(ch->session_id_len <= sizeof(ch->session_id));
    CHECK(ch->ciphers.n <= HS_MAX_CIPHERS);
    CHECK(ch->ciphers.n <= ch->ciphers.total);
    CHECK(ch->ciphers.n == ch->ciphers.total || ch->truncated);
    /* No spill here: the list stops at the record's room and asks for
     * more when the hello offers more. */
    CHECK(ch->cipher_spill || ch->ciphers.n <= HS_CIPHERS_INLINE);
    CHECK(!ch->cipher_spill_wanted ||
          (ch->truncated && ch->ciphers.n == HS_CIPHERS_INLINE));
    CHECK(ch->compression.n <= HS_MAX_COMPRESSION);
    CHECK(ch->extensions.n <= HS_MAX_EXTENSIONS);
    CHECK(ch->extensions.n <= ch->extensions.total);
    CHECK(ch->extensions.n == ch->extensions.total || ch->truncated);
    CHECK(terminated(ch->sni, HS_SNI_LEN));
    CHECK(strlen(ch->sni) < HS_SNI_LEN);
    CHECK(ch->has_sni || ch->sni[0] == '\0');
    CHECK(ch->n_alpn <= HS_MAX_ALPN);
    size_t room;
    const char *alpn = client_hello_alpn_text(ch, &room);
    for (unsigned i = 0; i < ch->n_alpn; i++)
        CHECK(ch->alpn_at[i] < room &&
              terminated(alpn + ch->alpn_at[i], room - ch->alpn_at[i]));
    CHECK(ch->versions.n <= HS_MAX_VERSIONS);
    CHECK(ch->groups.n <= HS_MAX_GROUPS);
    CHECK(ch->key_shares.n <= HS_MAX_KEY_SHARES);
    CHECK(ch->sigalgs.n <= HS_MAX_SIGALGS);
    CHECK(ch->point_formats.n <= HS_MAX_POINT_FORMATS);
    if (!ch->sslv2)
        for (unsigned i = 0; i < ch->ciphers.n; i++)
            CHECK(client_hello_cipher(ch, i) <= 0xffff);
}

/* Until the random is read, neither record can be told apart or filled;
 * after that the chosen one is always marked seen. */
static void check_server_hello(const struct server_hello *sh,
                               const struct hello_retry *hrr, bool is_hrr,
                               size_t len)
{
    if (is_hrr) {
        CHECK(hrr->seen);
        CHECK(hrr->extensions.n <= HS_MAX_EXTENSIONS);
        return;
    }
    if (len >= 34)
        CHECK(sh->seen);
    CHECK(sh->session_id_len <= sizeof(sh->session_id));
    CHECK(sh->extensions.n <= HS_MAX_EXTENSIONS);
    CHECK(sh->extensions.n <= sh->extensions.total);
    CHECK(terminated(sh->alpn, HS_ALPN_LEN));
    CHECK(sh->has_alpn || sh->alpn[0] == '\0');
    CHECK(sh->has_supported_versions || sh->version == sh->legacy_version);
}

static void check_chain(const struct cert_chain *c, size_t input_len)
{
    uint32_t end = 0;

    CHECK(c->seen);
    CHECK(c->n_certs <= HS_MAX_CERTS);
    CHECK(c->n_certs <= c->n_certs_total);
    CHECK(c->der_len <= HS_MAX_CERT_BYTES);
    CHECK(c->der_len <= input_len);
    CHECK(c->der_len == 0 || c->der != NULL);
    /* Kept certificates lie back to back, in order, inside the buffer. */
    for (unsigned i = 0; i < c->n_certs; i++) {
        CHECK(c->certs[i].off == end);
        CHECK(c->certs[i].len > 0);
        CHECK(c->certs[i].len <= c->der_len - c->certs[i].off);
        end = c->certs[i].off + c->certs[i].len;
    }
    CHECK(end == c->der_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct client_hello ch;
    static struct server_hello sh;
    static struct hello_retry hrr;
    static struct cert_chain chain;
    struct cursor c;
    struct parse_fault_at fault;
    bool is_hrr = false, ok = true;
    uint16_t group;
    size_t len;

    if (size < 1)
        return 0;
    len = size - 1;
    c = cursor_make(data + 1, len);
    cursor_watch(&c, &fault);

    /* Selectors 0xf0 and up (rare, so the seed corpus's meaning stays)
     * reach CertificateStatus. */
    switch (data[0] >= 0xf0 ? 6 : data[0] % 6) {
    case 0:
        ok = tls_parse_client_hello(&c, &ch);
        check_client_hello(&ch);
        break;
    case 1:
        ok = tls_parse_sslv2_client_hello(&c, &ch);
        CHECK(ch.sslv2);
        check_client_hello(&ch);
        break;
    case 2:
        memset(&sh, 0, sizeof(sh));
        ok = tls_parse_server_hello(&c, &sh, &hrr, &is_hrr);
        check_server_hello(&sh, &hrr, is_hrr, len);
        break;
    case 3:
    case 4:
        tls_parse_certificate(&c, data[0] % 6 == 4, &chain);
        check_chain(&chain, len);
        /* A second message into the same chain replaces the first. */
        c = cursor_make(data + 1, len);
        cursor_watch(&c, &fault);
        ok = tls_parse_certificate(&c, data[0] % 6 == 4, &chain);
        check_chain(&chain, len);
        cert_chain_free(&chain);
        CHECK(chain.der == NULL && chain.n_certs == 0);
        break;
    case 5:
        ok = tls_parse_server_key_exchange_group(&c, &group);
        break;
    case 6: {
        struct ocsp_staple staple = {0};
        ok = tls_parse_certificate_status(&c, &staple);
        CHECK(staple.seen);
        CHECK(staple.der_len <= HS_MAX_OCSP_BYTES && staple.der_len <= len);
        CHECK((staple.der == NULL) == (staple.der_len == 0));
        CHECK(!staple.der || staple.status_type == 1);
        ocsp_staple_free(&staple);
        break;
    }
    }
    CHECK(cursor_pos(&c) <= len);
    CHECK(ok || (fault.kind != PARSE_FAULT_NONE && fault.offset <= len));
    return 0;
}
