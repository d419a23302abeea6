/* quic_crypto.c — QUIC Initial keys, header protection and AEAD opening
 * (see quic_crypto.h) over OpenSSL's HKDF and ciphers.
 *
 * The salts are the published constants of each version: RFC 9001 §5.2
 * (v1), RFC 9369 §3.3.1 (v2), the QUIC drafts (22, 23-28, 29-32), the
 * provisional v2 of draft-ietf-quic-v2 and Google's TLS-based T050/T051. */
#include "quic_crypto.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "array_len.h"
#include "digest.h"
#include "hex.h"
#include "hkdf.h"

/* Which salt: an index into salt_digits and salts. */
enum quic_salt {
    SALT_V1, SALT_V2, SALT_V2_DRAFT, SALT_DRAFT29, SALT_DRAFT23,
    SALT_DRAFT22, SALT_T50, SALT_T51, SALT_Q50, SALT_COUNT
};

/* Written as the specifications print them, so each can be checked against
 * its source by eye; decoded once into salts[]. */
static const char *const salt_digits[SALT_COUNT] = {
    [SALT_V1] = "38762cf7f55934b34d179ae6a4c80cadccbb7f0a",
    [SALT_V2] = "0dede3def700a6db819381be6e269dcbf9bd2ed9",
    [SALT_V2_DRAFT] = "a707c203a59b47184a1d62ca570406ea7ae3e5d3",
    [SALT_DRAFT29] = "afbfec289993d24c9e9786f19c6111e04390a899",
    [SALT_DRAFT23] = "c3eef712c72ebb5a11a7d2432bb46365bef9f502",
    [SALT_DRAFT22] = "7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a",
    [SALT_T50] = "7ff579e5acd072915580304c43a2367c60488310",
    [SALT_T51] = "7a4edef4e7ccee5fa4506c19124fc8ccda6e033d",
    [SALT_Q50] = "504574efd066fe2f9d945cfcdbd3a7f0d3b56b45",
};
static uint8_t salts[SALT_COUNT][QUIC_SALT_LEN];

/* Exact versions; the draft ranges are handled in quic_version_lookup. */
static const struct quic_version_info known[] = {
    {QUIC_V1, "1", salts[SALT_V1], false, true, false},
    {QUIC_V2, "2", salts[SALT_V2], true, true, false},
    {QUIC_V2_DRAFT, "2-draft", salts[SALT_V2_DRAFT], true, true, false},
    {0xfaceb001u, "mvfst-22", salts[SALT_DRAFT22], false, true, false},
    {0xfaceb002u, "mvfst-27", salts[SALT_DRAFT23], false, true, false},
    {0xfaceb00eu, "mvfst-exp", salts[SALT_DRAFT23], false, true, false},
    {0x54303530u, "T050", salts[SALT_T50], false, true, true},
    {0x54303531u, "T051", salts[SALT_T51], false, true, true},
    {0x51303530u, "Q050", salts[SALT_Q50], false, false, true},
};

/* IETF drafts 0xff0000NN, one row per salt. */
static struct quic_version_info drafts[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void decode_salts(void)
{
    for (int s = 0; s < SALT_COUNT; s++)
        for (int i = 0; i < QUIC_SALT_LEN; i++) {
            const char *pair = &salt_digits[s][2 * i];
            salts[s][i] = (uint8_t)(hex_digit_value((uint8_t)pair[0]) << 4 |
                                    hex_digit_value((uint8_t)pair[1]));
        }
}

static void make_tables(void)
{
    static char names[256][12];
    decode_salts();
    for (int n = 0; n < 256; n++) {
        const uint8_t *salt = NULL;
        if (n >= 33)
            salt = salts[SALT_V1]; /* drafts 33 and 34 took v1's salt */
        else if (n >= 29)
            salt = salts[SALT_DRAFT29];
        else if (n >= 23)
            salt = salts[SALT_DRAFT23];
        else if (n >= 21)
            salt = salts[SALT_DRAFT22];
        snprintf(names[n], sizeof names[n], "draft-%d", n);
        drafts[n] = (struct quic_version_info){
            0xff000000u | (uint32_t)n, names[n], salt, false, true, false};
    }
}

const struct quic_version_info *quic_version_lookup(uint32_t version)
{
    pthread_once(&tables_once, make_tables);
    for (size_t i = 0; i < ARRAY_LEN(known); i++)
        if (known[i].version == version)
            return &known[i];
    if ((version & 0xffffff00u) == 0xff000000u) {
        const struct quic_version_info *d = &drafts[version & 0xff];
        return d->salt ? d : NULL;
    }
    return NULL;
}

const struct quic_version_info *quic_version_candidate(size_t i)
{
    /* Most likely first: what deployments speak. */
    static const uint32_t order[] = {QUIC_V1,    QUIC_V2,    0xff00001du,
                                     0xff00001bu, 0xff000016u, QUIC_V2_DRAFT,
                                     0x54303531u, 0x54303530u};
    return i < ARRAY_LEN(order) ? quic_version_lookup(order[i]) : NULL;
}

bool quic_version_is_reserved(uint32_t version)
{
    return (version & 0x0f0f0f0fu) == 0x0a0a0a0au;
}

const char *quic_version_name(uint32_t version, char *buf, size_t n)
{
    const struct quic_version_info *info = quic_version_lookup(version);
    if (info)
        return info->name;
    snprintf(buf, n, "0x%08x", version);
    return buf;
}

enum quic_long_type quic_long_type(const struct quic_version_info *info,
                                   uint8_t first_byte)
{
    unsigned bits = (first_byte >> 4) & 3;
    if (info && info->v2) /* Retry 0, Initial 1, 0-RTT 2, Handshake 3 */
        return (enum quic_long_type)((bits + 3) & 3);
    return (enum quic_long_type)bits;
}

/* ---- keys ------------------------------------------------------------- */

static size_t aead_key_len(enum quic_aead a)
{
    return a == QUIC_AEAD_AES_128_GCM || a == QUIC_AEAD_AES_128_CCM ? 16 : 32;
}

bool quic_aead_of_suite(uint16_t suite, enum quic_aead *out)
{
    switch (suite) {
    case 0x1301: *out = QUIC_AEAD_AES_128_GCM; return true;
    case 0x1302: *out = QUIC_AEAD_AES_256_GCM; return true;
    case 0x1303: *out = QUIC_AEAD_CHACHA20_POLY1305; return true;
    case 0x1304: *out = QUIC_AEAD_AES_128_CCM; return true;
    }
    return false;
}

bool quic_keys_from_secret(struct quic_keys *k, enum quic_aead aead,
                           const EVP_MD *md, const uint8_t *secret,
                           size_t secret_len, bool v2)
{
    size_t kl = aead_key_len(aead);
    memset(k, 0, sizeof *k);
    k->aead = aead;
    k->key_len = (uint8_t)kl;
    return hkdf_expand_label(md, secret, secret_len,
                             v2 ? "quicv2 key" : "quic key", NULL, 0, k->key,
                             kl) &&
           hkdf_expand_label(md, secret, secret_len,
                             v2 ? "quicv2 iv" : "quic iv", NULL, 0, k->iv,
                             sizeof k->iv) &&
           hkdf_expand_label(md, secret, secret_len,
                             v2 ? "quicv2 hp" : "quic hp", NULL, 0, k->hp, kl);
}

bool quic_initial_keys(const struct quic_version_info *info,
                       const uint8_t *dcid, size_t dcid_len,
                       struct quic_keys *client, struct quic_keys *server)
{
    const EVP_MD *md = digest_sha256();
    uint8_t initial[32], secret[32];
    static const uint8_t no_cid[1];

    if (!info || !info->salt)
        return false;
    /* A zero-length CID is legal: HKDF-Extract of an empty key. */
    if (!hkdf_extract(md, info->salt, QUIC_SALT_LEN, dcid_len ? dcid : no_cid,
                      dcid_len, initial))
        return false;
    return (!client ||
            (hkdf_expand_label(md, initial, sizeof initial, "client in",
                               NULL, 0, secret, sizeof secret) &&
             quic_keys_from_secret(client, QUIC_AEAD_AES_128_GCM, md, secret,
                                   sizeof secret, info->v2))) &&
           (!server ||
            (hkdf_expand_label(md, initial, sizeof initial, "server in",
                               NULL, 0, secret, sizeof secret) &&
             quic_keys_from_secret(server, QUIC_AEAD_AES_128_GCM, md, secret,
                                   sizeof secret, info->v2)));
}

/* ---- ciphers ---------------------------------------------------------- */

static EVP_CIPHER *aes128_gcm, *aes256_gcm, *chacha_poly, *aes128_ccm,
    *aes128_ecb, *aes256_ecb, *chacha20;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;

/* The cipher each context was set up with: initializing a context with a
 * cipher makes OpenSSL build its provider state again (allocations); with
 * the same cipher only the key and IV change. */
struct cipher_ctxs {
    EVP_CIPHER_CTX *aead, *hp;
    const EVP_CIPHER *aead_cipher, *hp_cipher;
};

static void free_ctxs(void *p)
{
    struct cipher_ctxs *c = p;
    if (!c)
        return;
    EVP_CIPHER_CTX_free(c->aead);
    EVP_CIPHER_CTX_free(c->hp);
    OPENSSL_free(c);
}

static void fetch(void)
{
    aes128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    aes256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    chacha_poly = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    aes128_ccm = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
    aes128_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    aes256_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
    chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
    pthread_key_create(&ctx_key, free_ctxs);
}

/* This thread's contexts, made on first use and freed when it exits. */
static struct cipher_ctxs *thread_ctxs(void)
{
    pthread_once(&fetched, fetch);
    struct cipher_ctxs *c = pthread_getspecific(ctx_key);
    if (c)
        return c;
    c = OPENSSL_zalloc(sizeof *c);
    if (!c)
        return NULL;
    c->aead = EVP_CIPHER_CTX_new();
    c->hp = EVP_CIPHER_CTX_new();
    if (!c->aead || !c->hp || pthread_setspecific(ctx_key, c) != 0) {
        free_ctxs(c);
        return NULL;
    }
    return c;
}

static bool set_cipher(EVP_CIPHER_CTX *ctx, const EVP_CIPHER **current,
                       const EVP_CIPHER *cipher, bool encrypt)
{
    if (*current == cipher)
        return true;
    *current = NULL;
    if ((encrypt ? EVP_EncryptInit_ex(ctx, cipher, NULL, NULL, NULL)
                 : EVP_DecryptInit_ex(ctx, cipher, NULL, NULL, NULL)) != 1)
        return false;
    *current = cipher;
    return true;
}

bool quic_hp_mask(const struct quic_keys *k,
                  const uint8_t sample[QUIC_SAMPLE_LEN], uint8_t mask[5])
{
    struct cipher_ctxs *c = thread_ctxs();
    uint8_t out[QUIC_SAMPLE_LEN];
    int n = 0;

    if (!c)
        return false;
    if (k->aead == QUIC_AEAD_CHACHA20_POLY1305) {
        /* ChaCha20 with the sample as counter (4 bytes, little-endian) and
         * nonce: OpenSSL's 16-byte IV is exactly that. */
        static const uint8_t zeros[5];
        if (!chacha20 || !set_cipher(c->hp, &c->hp_cipher, chacha20, true) ||
            EVP_EncryptInit_ex(c->hp, NULL, NULL, k->hp, sample) != 1 ||
            EVP_EncryptUpdate(c->hp, out, &n, zeros, sizeof zeros) != 1 ||
            n != 5)
            return false;
    } else {
        EVP_CIPHER *ecb = k->key_len == 16 ? aes128_ecb : aes256_ecb;
        if (!ecb || !set_cipher(c->hp, &c->hp_cipher, ecb, true) ||
            EVP_EncryptInit_ex(c->hp, NULL, NULL, k->hp, NULL) != 1 ||
            EVP_CIPHER_CTX_set_padding(c->hp, 0) != 1 ||
            EVP_EncryptUpdate(c->hp, out, &n, sample, QUIC_SAMPLE_LEN) != 1 ||
            n != QUIC_SAMPLE_LEN)
            return false;
    }
    memcpy(mask, out, 5);
    return true;
}

bool quic_aead_open(const struct quic_keys *k, uint64_t packet_number,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in,
                    size_t in_len, uint8_t *out)
{
    struct cipher_ctxs *c = thread_ctxs();
    EVP_CIPHER *cipher = k->aead == QUIC_AEAD_AES_128_GCM   ? aes128_gcm
                         : k->aead == QUIC_AEAD_AES_256_GCM ? aes256_gcm
                         : k->aead == QUIC_AEAD_AES_128_CCM ? aes128_ccm
                                                            : chacha_poly;
    uint8_t nonce[12], tag[QUIC_TAG_LEN];
    int n = 0, fin = 0;

    if (!c || !cipher || in_len < QUIC_TAG_LEN || aad_len > INT32_MAX ||
        in_len > INT32_MAX)
        return false;
    /* The nonce is the IV with the packet number XORed into its end. */
    memcpy(nonce, k->iv, sizeof nonce);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(packet_number >> (8 * i));
    size_t ct_len = in_len - QUIC_TAG_LEN;
    memcpy(tag, in + ct_len, QUIC_TAG_LEN);
    if (k->aead == QUIC_AEAD_AES_128_CCM) {
        /* CCM wants its lengths before the data and opens in one call. */
        if (!set_cipher(c->aead, &c->aead_cipher, cipher, false) ||
            EVP_CIPHER_CTX_ctrl(c->aead, EVP_CTRL_AEAD_SET_IVLEN, 12,
                                NULL) != 1 ||
            EVP_CIPHER_CTX_ctrl(c->aead, EVP_CTRL_AEAD_SET_TAG, QUIC_TAG_LEN,
                                tag) != 1 ||
            EVP_DecryptInit_ex(c->aead, NULL, NULL, k->key, nonce) != 1 ||
            EVP_DecryptUpdate(c->aead, NULL, &n, NULL, (int)ct_len) != 1 ||
            EVP_DecryptUpdate(c->aead, NULL, &n, aad, (int)aad_len) != 1 ||
            EVP_DecryptUpdate(c->aead, out, &n, in, (int)ct_len) != 1)
            return false;
        return (size_t)n == ct_len;
    }
    if (!set_cipher(c->aead, &c->aead_cipher, cipher, false) ||
        EVP_DecryptInit_ex(c->aead, NULL, NULL, k->key, nonce) != 1 ||
        EVP_CIPHER_CTX_ctrl(c->aead, EVP_CTRL_AEAD_SET_TAG, QUIC_TAG_LEN,
                            tag) != 1 ||
        EVP_DecryptUpdate(c->aead, NULL, &n, aad, (int)aad_len) != 1 ||
        EVP_DecryptUpdate(c->aead, out, &n, in, (int)ct_len) != 1 ||
        EVP_DecryptFinal_ex(c->aead, out + n, &fin) != 1)
        return false;
    return (size_t)(n + fin) == ct_len;
}
