/* ech.c — reads the Encrypted Client Hello structures of RFC 9849 that a
 * passive observer can see (see ech.h). The ciphertext itself is never
 * touched: without the server's HPKE key it is noise, and so is a GREASE
 * extension built to look like it. */
#include "ech.h"

#include <string.h>

#include "array_len.h"
#include "code_names.h"
#include "escape.h"

#define EXT_ENCRYPTED_CLIENT_HELLO 0xfe0d
#define ECH_CONFIRMATION_LEN 8

bool ech_parse_client_hello_ext(struct cursor *ext, struct ech_hello *out)
{
    struct cursor enc, payload;
    uint8_t type;
    size_t start = cursor_pos(ext);

    memset(out, 0, sizeof(*out));
    out->present = true;
    out->malformed = true; /* until the whole body has been read */
    CURSOR_TRY(cursor_u8(ext, &type));
    out->type = type;
    if (type == ECH_INNER) {
        /* The inner form is empty; it only travels encrypted. */
        out->malformed = !cursor_expect_end(ext);
        return !out->malformed;
    }
    if (type != ECH_OUTER)
        return cursor_fail_at(ext, start, PARSE_FAULT_BAD_VALUE);
    CURSOR_TRY(cursor_u16(ext, &out->kdf_id));
    CURSOR_TRY(cursor_u16(ext, &out->aead_id));
    CURSOR_TRY(cursor_u8(ext, &out->config_id));
    CURSOR_TRY(cursor_vec16(ext, &enc));
    out->enc_len = (uint16_t)cursor_left(&enc);
    CURSOR_TRY(cursor_vec16(ext, &payload));
    out->payload_len = (uint16_t)cursor_left(&payload);
    /* payload<1..2^16-1>: an empty ciphertext cannot hold a hello. enc may
     * be empty in the second hello after a HelloRetryRequest (§6.1.5). */
    if (out->payload_len == 0)
        return cursor_fail(&payload, PARSE_FAULT_BAD_LENGTH);
    out->malformed = !cursor_expect_end(ext);
    return !out->malformed;
}

bool ech_parse_hrr_ext(struct cursor *ext, struct hello_retry *hrr)
{
    if (cursor_left(ext) != ECH_CONFIRMATION_LEN)
        return cursor_fail(ext, PARSE_FAULT_BAD_LENGTH);
    hrr->ech_confirmation = true;
    return cursor_skip(ext, ECH_CONFIRMATION_LEN);
}

/* ECHConfigContents (RFC 9849 §4): the key config, the longest name the
 * client pads to, the public name and extensions. */
static bool config_contents(struct cursor *c, struct ech_retry *out)
{
    struct cursor key, suites, name, exts;
    uint8_t config_id, max_name_len;
    uint16_t kem_id;

    CURSOR_TRY(cursor_u8(c, &config_id));
    CURSOR_TRY(cursor_u16(c, &kem_id));
    CURSOR_TRY(cursor_vec16(c, &key));
    CURSOR_TRY(cursor_vec16(c, &suites));
    /* cipher_suites<4..2^16-4>: whole (kdf, aead) pairs, at least one. */
    if (cursor_left(&suites) < 4 || cursor_left(&suites) % 4 != 0)
        return cursor_fail(&suites, PARSE_FAULT_BAD_LENGTH);
    if (cursor_left(&key) == 0)
        return cursor_fail(&key, PARSE_FAULT_BAD_LENGTH);
    CURSOR_TRY(cursor_u8(c, &max_name_len));
    CURSOR_TRY(cursor_vec8(c, &name));
    if (cursor_left(&name) == 0)
        return cursor_fail(&name, PARSE_FAULT_BAD_LENGTH);
    CURSOR_TRY(cursor_vec16(c, &exts));
    CURSOR_TRY(cursor_expect_end(c));
    if (out->n_configs < HS_MAX_ECH_CONFIGS) {
        if (out->n_configs == 0)
            escape_copy(&name, out->public_name, sizeof(out->public_name));
        out->config_ids[out->n_configs] = config_id;
        out->kem_ids[out->n_configs] = kem_id;
        out->n_configs++;
    }
    return true;
}

bool ech_parse_config_list(struct cursor *list, struct ech_retry *out)
{
    struct cursor configs, contents;
    struct parse_fault_at first = {PARSE_FAULT_NONE, 0};
    uint16_t version;
    bool ok = true;

    CURSOR_TRY(cursor_vec16(list, &configs));
    /* ECHConfig echconfigs<4..2^16-1>. */
    if (cursor_left(&configs) < 4) {
        ok = false;
        first = cursor_fault_here(&configs, PARSE_FAULT_BAD_LENGTH);
    }
    while (cursor_left(&configs) > 0) {
        if (!cursor_u16(&configs, &version) ||
            !cursor_vec16(&configs, &contents))
            return false; /* nothing after a broken header can be found */
        if (out->n_configs_total < UINT16_MAX)
            out->n_configs_total++;
        if (version != ECH_CONFIG_VERSION)
            continue; /* another draft's layout: skipped, as clients do */
        if (!config_contents(&contents, out) && ok) {
            ok = false;
            first = cursor_last_fault(&contents);
        }
    }
    if (!ok)
        return cursor_refail(list, first);
    return cursor_expect_end(list);
}

/* ---- HPKE names (RFC 9180 §7, IANA HPKE registry) ---------------------- */


const char *ech_kdf_name(uint16_t id)
{
    static const struct code_name kdfs[] = {
        {0x0001, "HKDF-SHA256"},
        {0x0002, "HKDF-SHA384"},
        {0x0003, "HKDF-SHA512"},
    };
    return code_name_find(kdfs, ARRAY_LEN(kdfs), id);
}

const char *ech_aead_name(uint16_t id)
{
    static const struct code_name aeads[] = {
        {0x0001, "AES-128-GCM"},
        {0x0002, "AES-256-GCM"},
        {0x0003, "ChaCha20Poly1305"},
        {0xffff, "Export-only"},
    };
    return code_name_find(aeads, ARRAY_LEN(aeads), id);
}

const char *ech_kem_name(uint16_t id)
{
    static const struct code_name kems[] = {
        {0x0010, "DHKEM(P-256, HKDF-SHA256)"},
        {0x0011, "DHKEM(P-384, HKDF-SHA384)"},
        {0x0012, "DHKEM(P-521, HKDF-SHA512)"},
        {0x0020, "DHKEM(X25519, HKDF-SHA256)"},
        {0x0021, "DHKEM(X448, HKDF-SHA512)"},
        {0x0030, "X25519Kyber768Draft00"},
        {0x0040, "ML-KEM-512"},
        {0x0041, "ML-KEM-768"},
        {0x0042, "ML-KEM-1024"},
        {0x647a, "X-Wing"},
    };
    return code_name_find(kems, ARRAY_LEN(kems), id);
}
