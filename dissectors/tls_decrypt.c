/* tls_decrypt.c — cipher suites, key derivation and record opening for
 * key-log decryption (see tls_decrypt.h). Ciphers, the HMAC and the TLS
 * PRF are fetched from OpenSSL once for the run, as digest.c does. */
#include "tls_decrypt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "array_len.h"
#include "digest.h"
#include "hkdf.h"
#include "tls_wire.h"

/* How many sequence numbers past the expected one are tried. */
#define TLS_DEC_SEQ_WINDOW 8
/* Records in a row that fail before a direction is given up. */
#define TLS_DEC_MAX_FAILS 2

enum cipher_id {
    C_AES128_GCM,
    C_AES256_GCM,
    C_CHACHA20_POLY1305,
    C_AES128_CCM,
    C_AES256_CCM,
    C_AES128_CBC,
    C_AES256_CBC,
    C_3DES_CBC,
    C_CAMELLIA128_CBC,
    C_CAMELLIA256_CBC,
    C_COUNT
};

static const char *const cipher_names[C_COUNT] = {
    [C_AES128_GCM] = "AES-128-GCM",
    [C_AES256_GCM] = "AES-256-GCM",
    [C_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
    [C_AES128_CCM] = "AES-128-CCM",
    [C_AES256_CCM] = "AES-256-CCM",
    [C_AES128_CBC] = "AES-128-CBC",
    [C_AES256_CBC] = "AES-256-CBC",
    [C_3DES_CBC] = "DES-EDE3-CBC",
    [C_CAMELLIA128_CBC] = "CAMELLIA-128-CBC",
    [C_CAMELLIA256_CBC] = "CAMELLIA-256-CBC",
};

enum suite_kind { K_GCM, K_CCM, K_CHACHA, K_CBC };
enum hash_id { H_NONE, H_SHA1, H_SHA256, H_SHA384 };

struct tls_suite {
    uint16_t id;
    uint8_t kind;      /* enum suite_kind */
    uint8_t cipher;    /* enum cipher_id */
    uint8_t key_len;
    uint8_t tag_len;   /* AEAD */
    uint8_t mac;       /* enum hash_id: CBC record MAC */
    uint8_t prf;       /* enum hash_id: TLS 1.2 PRF, TLS 1.3 HKDF hash */
    bool tls13;
};

/* One row per suite family; ids share a row when their record protection
 * is the same (the key exchange does not matter here). */
#define GCM128 K_GCM, C_AES128_GCM, 16, 16, H_NONE, H_SHA256
#define GCM256 K_GCM, C_AES256_GCM, 32, 16, H_NONE, H_SHA384
#define CHACHA K_CHACHA, C_CHACHA20_POLY1305, 32, 16, H_NONE, H_SHA256
#define CCM128 K_CCM, C_AES128_CCM, 16, 16, H_NONE, H_SHA256
#define CCM256 K_CCM, C_AES256_CCM, 32, 16, H_NONE, H_SHA256
#define CCM8_128 K_CCM, C_AES128_CCM, 16, 8, H_NONE, H_SHA256
#define CCM8_256 K_CCM, C_AES256_CCM, 32, 8, H_NONE, H_SHA256
#define CBC(c, k, m, p) K_CBC, c, k, 0, m, p

static const struct tls_suite suites[] = {
    /* TLS 1.3 (RFC 8446 B.4) */
    {0x1301, GCM128, true},
    {0x1302, GCM256, true},
    {0x1303, CHACHA, true},
    {0x1304, CCM128, true},
    {0x1305, CCM8_128, true},
    /* TLS 1.2 AES-GCM (RFC 5288, 5289, 5487) */
    {0x009C, GCM128, false}, {0x009E, GCM128, false}, {0x00A0, GCM128, false},
    {0x00A2, GCM128, false}, {0x00A4, GCM128, false}, {0x00A6, GCM128, false},
    {0x00A8, GCM128, false}, {0x00AA, GCM128, false}, {0x00AC, GCM128, false},
    {0xC02B, GCM128, false}, {0xC02D, GCM128, false}, {0xC02F, GCM128, false},
    {0xC031, GCM128, false},
    {0x009D, GCM256, false}, {0x009F, GCM256, false}, {0x00A1, GCM256, false},
    {0x00A3, GCM256, false}, {0x00A5, GCM256, false}, {0x00A7, GCM256, false},
    {0x00A9, GCM256, false}, {0x00AB, GCM256, false}, {0x00AD, GCM256, false},
    {0xC02C, GCM256, false}, {0xC02E, GCM256, false}, {0xC030, GCM256, false},
    {0xC032, GCM256, false},
    /* ChaCha20-Poly1305 (RFC 7905) */
    {0xCCA8, CHACHA, false}, {0xCCA9, CHACHA, false}, {0xCCAA, CHACHA, false},
    {0xCCAB, CHACHA, false}, {0xCCAC, CHACHA, false}, {0xCCAD, CHACHA, false},
    {0xCCAE, CHACHA, false},
    /* AES-CCM and CCM_8 (RFC 6655, 7251) */
    {0xC09C, CCM128, false}, {0xC09D, CCM256, false}, {0xC09E, CCM128, false},
    {0xC09F, CCM256, false}, {0xC0A0, CCM8_128, false},
    {0xC0A1, CCM8_256, false}, {0xC0A2, CCM8_128, false},
    {0xC0A3, CCM8_256, false}, {0xC0A4, CCM128, false},
    {0xC0A5, CCM256, false}, {0xC0A6, CCM128, false}, {0xC0A7, CCM256, false},
    {0xC0A8, CCM8_128, false}, {0xC0A9, CCM8_256, false},
    {0xC0AA, CCM8_128, false}, {0xC0AB, CCM8_256, false},
    {0xC0AC, CCM128, false}, {0xC0AD, CCM256, false},
    {0xC0AE, CCM8_128, false}, {0xC0AF, CCM8_256, false},
    /* AES-CBC with HMAC-SHA1 */
    {0x002F, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0030, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0031, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0032, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0033, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0034, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x008C, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0090, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0094, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0xC004, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0xC009, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0xC00E, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0xC013, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0xC018, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0xC035, CBC(C_AES128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0035, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0036, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0037, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0038, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0039, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x003A, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x008D, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0091, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0095, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0xC005, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0xC00A, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0xC00F, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0xC014, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0xC019, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    {0xC036, CBC(C_AES256_CBC, 32, H_SHA1, H_SHA256), false},
    /* AES-CBC with HMAC-SHA256 / SHA384 */
    {0x003C, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x003E, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x003F, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x0040, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x0067, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x006C, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x00AE, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x00B2, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x00B6, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC023, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC025, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC027, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC029, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC037, CBC(C_AES128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x003D, CBC(C_AES256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x0068, CBC(C_AES256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x0069, CBC(C_AES256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x006A, CBC(C_AES256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x006B, CBC(C_AES256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x006D, CBC(C_AES256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x00AF, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0x00B3, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0x00B7, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0xC024, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0xC026, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0xC028, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0xC02A, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    {0xC038, CBC(C_AES256_CBC, 32, H_SHA384, H_SHA384), false},
    /* 3DES-EDE-CBC with HMAC-SHA1 */
    {0x000A, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x000D, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x0010, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x0013, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x0016, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x001B, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x008B, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x008F, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0x0093, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0xC003, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0xC008, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0xC00D, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0xC012, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0xC017, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    {0xC034, CBC(C_3DES_CBC, 24, H_SHA1, H_SHA256), false},
    /* Camellia-CBC (RFC 5932) */
    {0x0041, CBC(C_CAMELLIA128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0045, CBC(C_CAMELLIA128_CBC, 16, H_SHA1, H_SHA256), false},
    {0x0084, CBC(C_CAMELLIA256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x0088, CBC(C_CAMELLIA256_CBC, 32, H_SHA1, H_SHA256), false},
    {0x00BA, CBC(C_CAMELLIA128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x00BE, CBC(C_CAMELLIA128_CBC, 16, H_SHA256, H_SHA256), false},
    {0x00C0, CBC(C_CAMELLIA256_CBC, 32, H_SHA256, H_SHA256), false},
    {0x00C4, CBC(C_CAMELLIA256_CBC, 32, H_SHA256, H_SHA256), false},
    {0xC072, CBC(C_CAMELLIA128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC073, CBC(C_CAMELLIA256_CBC, 32, H_SHA384, H_SHA384), false},
    {0xC076, CBC(C_CAMELLIA128_CBC, 16, H_SHA256, H_SHA256), false},
    {0xC077, CBC(C_CAMELLIA256_CBC, 32, H_SHA384, H_SHA384), false},
};

/* ---- what OpenSSL gives, fetched once ---- */

static EVP_CIPHER *ciphers[C_COUNT];
static EVP_MAC *hmac;
static EVP_KDF *tls1_prf;
static EVP_MD *sha1;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    for (int i = 0; i < C_COUNT; i++)
        ciphers[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    tls1_prf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

static const EVP_CIPHER *cipher_of(const struct tls_suite *s)
{
    pthread_once(&fetched, fetch);
    return ciphers[s->cipher];
}

static const EVP_MD *md_of(uint8_t hash)
{
    pthread_once(&fetched, fetch);
    switch (hash) {
    case H_SHA1: return sha1 ? sha1 : EVP_sha1();
    case H_SHA256: return digest_sha256();
    case H_SHA384: return digest_sha384();
    default: return NULL;
    }
}

static size_t md_len(uint8_t hash)
{
    switch (hash) {
    case H_SHA1: return 20;
    case H_SHA256: return 32;
    case H_SHA384: return 48;
    default: return 0;
    }
}

const struct tls_suite *tls_suite_find(uint16_t id, uint16_t version)
{
    /* TLS 1.3 drafts derived keys with other labels: not opened. */
    bool tls13 = version == TLS_V_1_3;
    if (!tls13 && (version < TLS_V_1_0 || version > TLS_V_1_2))
        return NULL; /* SSLv3 has its own MAC and key block */
    for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
        const struct tls_suite *s = &suites[i];
        if (s->id != id || s->tls13 != tls13)
            continue;
        /* AEAD suites need TLS 1.2; OpenSSL may lack a cipher (FIPS). */
        if (!tls13 && s->kind != K_CBC && version != TLS_V_1_2)
            return NULL;
        return cipher_of(s) ? s : NULL;
    }
    return NULL;
}

static size_t block_size(const struct tls_suite *s)
{
    return s->cipher == C_3DES_CBC ? 8 : 16;
}

/* ---- keys ---- */

void tls_record_key_clear(struct tls_record_key *k)
{
    if (k)
        OPENSSL_cleanse(k, sizeof *k);
}

bool tls13_record_key(struct tls_record_key *k, const struct tls_suite *suite,
                      const uint8_t *secret, size_t secret_len)
{
    const EVP_MD *md = md_of(suite->prf);
    tls_record_key_clear(k);
    if (!md || secret_len != md_len(suite->prf) ||
        secret_len > sizeof k->secret)
        return false;
    k->suite = suite;
    k->version = TLS_V_1_3;
    memcpy(k->secret, secret, secret_len);
    k->secret_len = (uint8_t)secret_len;
    k->ready = hkdf_expand_label(md, secret, secret_len, "key", NULL, 0,
                                 k->key, suite->key_len) &&
               hkdf_expand_label(md, secret, secret_len, "iv", NULL, 0, k->iv,
                                 12);
    if (!k->ready)
        tls_record_key_clear(k);
    return k->ready;
}

bool tls13_record_key_update(struct tls_record_key *k)
{
    uint8_t next[48];
    const struct tls_suite *suite = k->suite;
    if (!suite || !k->secret_len)
        return false;
    bool ok = hkdf_expand_label(md_of(suite->prf), k->secret, k->secret_len,
                                "traffic upd", NULL, 0, next, k->secret_len) &&
              tls13_record_key(k, suite, next, k->secret_len);
    OPENSSL_cleanse(next, sizeof next);
    return ok;
}

/* The TLS PRF: P_SHA256/P_SHA384 (TLS 1.2) or MD5 XOR SHA-1 (TLS 1.0/1.1)
 * over "key expansion" and the randoms, server first (RFC 5246 §6.3). */
static bool key_block(const struct tls_suite *suite, uint16_t version,
                      const uint8_t master[48], const uint8_t *client_random,
                      const uint8_t *server_random, uint8_t *out, size_t len)
{
    static const char label[] = "key expansion";
    uint8_t seed[sizeof label - 1 + 64];
    const char *digest = version < TLS_V_1_2 ? "MD5-SHA1"
                         : suite->prf == H_SHA384 ? "SHA384"
                                                  : "SHA256";
    pthread_once(&fetched, fetch);
    if (!tls1_prf)
        return false;
    memcpy(seed, label, sizeof label - 1);
    memcpy(seed + sizeof label - 1, server_random, 32);
    memcpy(seed + sizeof label - 1 + 32, client_random, 32);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(tls1_prf);
    if (!ctx)
        return false;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest,
                                         0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master,
                                          48),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed,
                                          sizeof seed),
        OSSL_PARAM_construct_end(),
    };
    bool ok = EVP_KDF_derive(ctx, out, len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    return ok;
}

bool tls12_record_keys(struct tls_record_key *client,
                       struct tls_record_key *server,
                       const struct tls_suite *suite, uint16_t version,
                       const uint8_t master[48], const uint8_t client_random[32],
                       const uint8_t server_random[32], bool etm)
{
    /* Fixed IVs: the implicit part of GCM/CCM nonces, ChaCha's whole one,
     * and TLS 1.0's first CBC IV; TLS 1.1+ CBC sends its IVs. */
    size_t mac = suite->kind == K_CBC ? md_len(suite->mac) : 0;
    size_t iv = suite->kind == K_CHACHA ? 12
                : suite->kind != K_CBC  ? 4
                : version == TLS_V_1_0  ? block_size(suite)
                                        : 0;
    size_t key = suite->key_len;
    uint8_t block[2 * (48 + 32 + 16)];
    size_t len = 2 * (mac + key + iv);

    tls_record_key_clear(client);
    tls_record_key_clear(server);
    if (suite->tls13 || len > sizeof block ||
        !key_block(suite, version, master, client_random, server_random, block,
                   len)) {
        OPENSSL_cleanse(block, sizeof block);
        return false;
    }
    struct cursor c = cursor_make(block, len);
    bool ok = cursor_copy(&c, client->mac_key, mac) &&
              cursor_copy(&c, server->mac_key, mac) &&
              cursor_copy(&c, client->key, key) &&
              cursor_copy(&c, server->key, key) &&
              cursor_copy(&c, client->iv, iv) && cursor_copy(&c, server->iv, iv);
    OPENSSL_cleanse(block, sizeof block);
    struct tls_record_key *both[2] = {client, server};
    for (int i = 0; i < 2; i++) {
        both[i]->suite = suite;
        both[i]->version = version;
        both[i]->etm = etm && suite->kind == K_CBC;
        both[i]->ready = ok;
    }
    if (!ok) {
        tls_record_key_clear(client);
        tls_record_key_clear(server);
    }
    return ok;
}

/* ---- opening records ---- */

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* The per-record nonce of TLS 1.3 and ChaCha20-Poly1305: the IV XOR the
 * sequence number, right-aligned (RFC 8446 §5.3, RFC 7905 §2). */
static void xor_nonce(const struct tls_record_key *k, uint64_t seq,
                      uint8_t nonce[12])
{
    uint8_t s[8];
    put_u64(s, seq);
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= s[i];
}

/* One AEAD decryption: ciphertext `ct` with its tag, nonce and AAD. */
static bool aead_open(const struct tls_record_key *k, const uint8_t *nonce,
                      const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                      size_t ct_len, const uint8_t *tag_in, uint8_t *out)
{
    const struct tls_suite *s = k->suite;
    uint8_t tag[16];
    int n = 0, fin = 0;
    bool ok = false;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || ct_len > INT32_MAX)
        goto out;
    memcpy(tag, tag_in, s->tag_len);
    if (EVP_DecryptInit_ex(ctx, cipher_of(s), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1)
        goto out;
    if (s->kind == K_CCM) {
        /* CCM wants the tag and the total length before the data. */
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, tag) !=
                1 ||
            EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) != 1 ||
            EVP_DecryptUpdate(ctx, NULL, &n, NULL, (int)ct_len) != 1 ||
            EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
            goto out;
        ok = EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) == 1;
        goto out;
    }
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
        EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, tag) != 1)
        goto out;
    ok = EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* The header of the MAC and AEAD inputs of TLS <= 1.2: sequence number,
 * type, version, length (RFC 5246 §6.2.3). */
static void pseudo_header(uint8_t out[13], uint64_t seq, uint8_t type,
                          uint16_t version, size_t len)
{
    put_u64(out, seq);
    out[8] = type;
    out[9] = (uint8_t)(version >> 8);
    out[10] = (uint8_t)version;
    out[11] = (uint8_t)(len >> 8);
    out[12] = (uint8_t)len;
}

static bool hmac_check(const struct tls_record_key *k, const uint8_t hdr[13],
                       const uint8_t *data, size_t len, const uint8_t *want)
{
    const struct tls_suite *s = k->suite;
    const EVP_MD *md = md_of(s->mac);
    size_t mac_len = md_len(s->mac), got_len = 0;
    uint8_t got[EVP_MAX_MD_SIZE];
    bool ok = false;
    if (!hmac || !md)
        return false;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)EVP_MD_get0_name(md), 0),
        OSSL_PARAM_construct_end(),
    };
    if (ctx && EVP_MAC_init(ctx, k->mac_key, mac_len, params) == 1 &&
        EVP_MAC_update(ctx, hdr, 13) == 1 &&
        (len == 0 || EVP_MAC_update(ctx, data, len) == 1) &&
        EVP_MAC_final(ctx, got, &got_len, sizeof got) == 1)
        ok = got_len == mac_len && CRYPTO_memcmp(got, want, mac_len) == 0;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

static bool cbc_decrypt(const struct tls_record_key *k, const uint8_t *iv,
                        const uint8_t *ct, size_t len, uint8_t *out)
{
    int n = 0, fin = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx && len <= INT32_MAX &&
              EVP_DecryptInit_ex(ctx, cipher_of(k->suite), NULL, k->key, iv) ==
                  1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
              EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) == 1 &&
              EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* TLS padding: the last byte says how many bytes before it pad, each
 * equal to it. Returns the length without padding, or SIZE_MAX. */
static size_t strip_cbc_padding(const uint8_t *pt, size_t len)
{
    struct cursor c = cursor_make(pt, len);
    uint8_t pad, b;
    if (len == 0 || !cursor_peek_u8(&c, len - 1, &pad) || (size_t)pad + 1 > len)
        return SIZE_MAX;
    for (size_t i = len - 1 - pad; i < len - 1; i++)
        if (!cursor_peek_u8(&c, i, &b) || b != pad)
            return SIZE_MAX;
    return len - pad - 1;
}

/* RFC 7366: the MAC covers the IV and ciphertext and is checked first. */
static enum tls_dec_result open_cbc_etm(const struct tls_record_key *k,
                                        uint64_t seq, uint8_t type,
                                        uint16_t version, const uint8_t *whole,
                                        size_t explicit_iv, const uint8_t *iv,
                                        const uint8_t *ct, size_t ct_len,
                                        const struct cursor *mac_span,
                                        uint8_t *out, size_t *out_len)
{
    uint8_t hdr[13];
    size_t n;
    const uint8_t *want = cursor_rest(mac_span, &n);
    pseudo_header(hdr, seq, type, version, explicit_iv + ct_len);
    if (!hmac_check(k, hdr, whole, explicit_iv + ct_len, want) ||
        !cbc_decrypt(k, iv, ct, ct_len, out))
        return TLS_DEC_AUTH_FAILED;
    size_t plain = strip_cbc_padding(out, ct_len);
    if (plain == SIZE_MAX)
        return TLS_DEC_MALFORMED;
    *out_len = plain;
    return TLS_DEC_OK;
}

/* MAC-then-encrypt: decrypt, strip the padding, check the MAC inside. */
static enum tls_dec_result open_cbc_mte(const struct tls_record_key *k,
                                        uint64_t seq, uint8_t type,
                                        uint16_t version, const uint8_t *iv,
                                        const uint8_t *ct, size_t ct_len,
                                        uint8_t *out, size_t *out_len)
{
    uint8_t hdr[13];
    size_t mac = md_len(k->suite->mac);
    if (!cbc_decrypt(k, iv, ct, ct_len, out))
        return TLS_DEC_AUTH_FAILED;
    size_t plain = strip_cbc_padding(out, ct_len);
    if (plain == SIZE_MAX || plain < mac)
        return TLS_DEC_AUTH_FAILED;
    pseudo_header(hdr, seq, type, version, plain - mac);
    if (!hmac_check(k, hdr, out, plain - mac, out + (plain - mac)))
        return TLS_DEC_AUTH_FAILED;
    *out_len = plain - mac;
    return TLS_DEC_OK;
}

/* A CBC record at sequence number `seq`. */
static enum tls_dec_result open_cbc(struct tls_record_key *k, uint64_t seq,
                                    uint8_t type, uint16_t version,
                                    const struct cursor *body, uint8_t *out,
                                    size_t *out_len)
{
    size_t bs = block_size(k->suite), mac = md_len(k->suite->mac);
    size_t explicit_iv = k->version >= TLS_V_1_1 ? bs : 0;
    struct cursor c = *body, iv_span, ct_span, mac_span;
    uint8_t iv[16], last[16];
    size_t total = cursor_left(&c), ct_len, n;
    const uint8_t *ct, *whole;

    size_t macs_outside = k->etm ? mac : 0;
    if (total < explicit_iv + macs_outside + bs)
        return TLS_DEC_MALFORMED;
    ct_len = total - explicit_iv - macs_outside;
    if (ct_len % bs)
        return TLS_DEC_MALFORMED;
    whole = cursor_rest(&c, &n);
    if (!cursor_sub(&c, explicit_iv, &iv_span) ||
        !cursor_sub(&c, ct_len, &ct_span) ||
        !cursor_sub(&c, macs_outside, &mac_span))
        return TLS_DEC_MALFORMED;
    if (explicit_iv) {
        if (!cursor_copy(&iv_span, iv, bs))
            return TLS_DEC_MALFORMED;
    } else {
        memcpy(iv, k->iv, bs);
    }
    ct = cursor_rest(&ct_span, &n);
    /* The next TLS 1.0 record chains from this one's last block. */
    struct cursor tail = ct_span;
    if (!cursor_skip(&tail, ct_len - bs) || !cursor_copy(&tail, last, bs))
        return TLS_DEC_MALFORMED;

    enum tls_dec_result r = k->etm ? open_cbc_etm(k, seq, type, version,
                                                  whole, explicit_iv, iv, ct,
                                                  ct_len, &mac_span, out,
                                                  out_len)
                                   : open_cbc_mte(k, seq, type, version, iv,
                                                  ct, ct_len, out, out_len);
    /* TLS 1.0 chains from the ciphertext, whatever it held. */
    if (k->version == TLS_V_1_0)
        memcpy(k->iv, last, bs);
    return r;
}

/* An AEAD record of TLS <= 1.2 at sequence number `seq`. */
static enum tls_dec_result open_aead12(const struct tls_record_key *k,
                                       uint64_t seq, uint8_t type,
                                       uint16_t version,
                                       const struct cursor *body, uint8_t *out,
                                       size_t *out_len)
{
    const struct tls_suite *s = k->suite;
    struct cursor c = *body, ct_span, tag_span;
    uint8_t nonce[12], aad[13];
    size_t explicit_len = s->kind == K_CHACHA ? 0 : 8, n;

    if (cursor_left(&c) < explicit_len + s->tag_len)
        return TLS_DEC_MALFORMED;
    size_t ct_len = cursor_left(&c) - explicit_len - s->tag_len;
    if (s->kind == K_CHACHA) {
        xor_nonce(k, seq, nonce);
    } else {
        memcpy(nonce, k->iv, 4);
        if (!cursor_copy(&c, nonce + 4, 8))
            return TLS_DEC_MALFORMED;
    }
    if (!cursor_sub(&c, ct_len, &ct_span) ||
        !cursor_sub(&c, s->tag_len, &tag_span))
        return TLS_DEC_MALFORMED;
    pseudo_header(aad, seq, type, version, ct_len);
    const uint8_t *ct = cursor_rest(&ct_span, &n);
    const uint8_t *tag = cursor_rest(&tag_span, &n);
    if (!aead_open(k, nonce, aad, sizeof aad, ct, ct_len, tag, out))
        return TLS_DEC_AUTH_FAILED;
    *out_len = ct_len;
    return TLS_DEC_OK;
}

/* A TLS 1.3 record at sequence number `seq`; the AAD is its header. */
static enum tls_dec_result open_tls13(const struct tls_record_key *k,
                                      uint64_t seq, uint8_t type,
                                      uint16_t version,
                                      const struct cursor *body, uint8_t *out,
                                      size_t *out_len, uint8_t *inner_type)
{
    const struct tls_suite *s = k->suite;
    struct cursor c = *body, ct_span, tag_span;
    uint8_t nonce[12], aad[5];
    size_t total = cursor_left(&c), n;

    if (total < (size_t)s->tag_len + 1)
        return TLS_DEC_MALFORMED;
    size_t ct_len = total - s->tag_len;
    if (!cursor_sub(&c, ct_len, &ct_span) ||
        !cursor_sub(&c, s->tag_len, &tag_span))
        return TLS_DEC_MALFORMED;
    aad[0] = type;
    aad[1] = (uint8_t)(version >> 8);
    aad[2] = (uint8_t)version;
    aad[3] = (uint8_t)(total >> 8);
    aad[4] = (uint8_t)total;
    xor_nonce(k, seq, nonce);
    const uint8_t *ct = cursor_rest(&ct_span, &n);
    const uint8_t *tag = cursor_rest(&tag_span, &n);
    if (!aead_open(k, nonce, aad, sizeof aad, ct, ct_len, tag, out))
        return TLS_DEC_AUTH_FAILED;
    /* TLSInnerPlaintext: content, the real type, then zero padding. */
    struct cursor pt = cursor_make(out, ct_len);
    size_t len = ct_len;
    uint8_t b = 0;
    while (len > 0 && cursor_peek_u8(&pt, len - 1, &b) && b == 0)
        len--;
    if (len == 0)
        return TLS_DEC_MALFORMED; /* all padding: no content type */
    *inner_type = b;
    *out_len = len - 1;
    return TLS_DEC_OK;
}

static enum tls_dec_result open_at(struct tls_record_key *k, uint64_t seq,
                                   uint8_t type, uint16_t version,
                                   const struct cursor *body, uint8_t *out,
                                   size_t *out_len, uint8_t *inner_type)
{
    *inner_type = type;
    if (k->suite->tls13)
        return open_tls13(k, seq, type, version, body, out, out_len,
                          inner_type);
    if (k->suite->kind == K_CBC)
        return open_cbc(k, seq, type, version, body, out, out_len);
    return open_aead12(k, seq, type, version, body, out, out_len);
}

enum tls_dec_result tls_record_open(struct tls_record_key *k, uint8_t type,
                                    uint16_t version, const struct cursor *body,
                                    uint8_t *out, size_t *out_len,
                                    uint8_t *inner_type)
{
    if (!k->ready || cursor_left(body) > TLS_DEC_MAX_RECORD)
        return TLS_DEC_MALFORMED;
    enum tls_dec_result r =
        open_at(k, k->seq, type, version, body, out, out_len, inner_type);
    /* TLS 1.0 CBC chains its IV from record to record: a lost record
     * cannot be stepped over. */
    bool chained = k->suite->kind == K_CBC && k->version == TLS_V_1_0;
    for (uint64_t skip = 1;
         r == TLS_DEC_AUTH_FAILED && !chained && skip <= TLS_DEC_SEQ_WINDOW;
         skip++) {
        r = open_at(k, k->seq + skip, type, version, body, out, out_len,
                    inner_type);
        if (r == TLS_DEC_OK)
            k->seq += skip;
    }
    if (r == TLS_DEC_OK)
        k->seq++;
    return r;
}

void tls_record_skip(struct tls_record_key *k, const struct cursor *body)
{
    if (!k->ready)
        return;
    k->seq++;
    if (k->suite->kind == K_CBC && k->version == TLS_V_1_0) {
        size_t bs = block_size(k->suite), len = cursor_left(body);
        struct cursor tail = *body;
        if (len >= bs && cursor_skip(&tail, len - bs) &&
            !cursor_copy(&tail, k->iv, bs))
            return; /* bs bytes are left: cannot happen */
    }
}

/* ---- QUIC ---- */

bool tls_quic_keys(uint16_t suite_id, const uint8_t *secret,
                   size_t secret_len, struct quic_keys *out)
{
    const struct tls_suite *suite = tls_suite_find(suite_id, TLS_V_1_3);
    const EVP_MD *md = suite ? md_of(suite->prf) : NULL;
    enum quic_aead aead;
    OPENSSL_cleanse(out, sizeof *out);
    if (!md || secret_len != md_len(suite->prf) ||
        !quic_aead_of_suite(suite_id, &aead))
        return false;
    /* The derivation is QUIC's own (quic_crypto.c), v1 labels. */
    if (quic_keys_from_secret(out, aead, md, secret, secret_len, false))
        return true;
    OPENSSL_cleanse(out, sizeof *out);
    return false;
}

/* ---- one connection ---- */

enum epoch { EP_EARLY, EP_HANDSHAKE, EP_APPLICATION, EP_TLS12 };

struct dir_state {
    enum epoch epoch;
    struct tls_record_key key;
    bool stopped;
    uint8_t fails;
};

struct tls_decryptor {
    struct keylog *kl;
    const struct tls_suite *suite;
    uint16_t version;
    bool etm;
    uint8_t client_random[32], server_random[32];
    struct dir_state dir[2];
    bool early_possible;         /* the client may still send 0-RTT */
    struct tls_record_key early; /* client early traffic key */
    struct tls_dec_report report;
};

static const uint8_t secret_for[4][2] = {
    [EP_EARLY] = {KEYLOG_CLIENT_EARLY, KEYLOG_CLIENT_EARLY},
    [EP_HANDSHAKE] = {KEYLOG_CLIENT_HANDSHAKE, KEYLOG_SERVER_HANDSHAKE},
    [EP_APPLICATION] = {KEYLOG_CLIENT_TRAFFIC_0, KEYLOG_SERVER_TRAFFIC_0},
    [EP_TLS12] = {KEYLOG_MASTER_SECRET, KEYLOG_MASTER_SECRET},
};

struct tls_decryptor *tls_decryptor_new(struct keylog *kl, uint16_t version,
                                        uint16_t suite,
                                        const uint8_t client_random[32],
                                        const uint8_t server_random[32],
                                        bool etm)
{
    const struct tls_suite *s = tls_suite_find(suite, version);
    if (!s || !kl)
        return NULL;
    struct tls_decryptor *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->kl = kl;
    d->suite = s;
    d->version = version;
    d->etm = etm;
    memcpy(d->client_random, client_random, 32);
    memcpy(d->server_random, server_random, 32);
    for (int i = 0; i < 2; i++)
        d->dir[i].epoch = s->tls13 ? EP_HANDSHAKE : EP_TLS12;
    return d;
}

void tls_decryptor_free(struct tls_decryptor *d)
{
    if (!d)
        return;
    OPENSSL_cleanse(d, sizeof *d);
    free(d);
}

size_t tls_decryptor_memory(void)
{
    return sizeof(struct tls_decryptor);
}

int tls_decryptor_wanted(const struct tls_decryptor *d, enum tls_dec_dir dir)
{
    const struct dir_state *ds = &d->dir[dir];
    if (ds->stopped || ds->key.ready)
        return -1;
    return secret_for[ds->epoch][dir];
}

/* Keys for `ds` from the secrets just looked up. */
static bool install(struct tls_decryptor *d, enum tls_dec_dir dir,
                    struct keylog_secrets *sec)
{
    struct dir_state *ds = &d->dir[dir];
    int which = secret_for[ds->epoch][dir];
    if (!(sec->have & (1u << which)))
        return false;
    if (ds->epoch == EP_TLS12) {
        if (sec->len[which] != 48)
            return false;
        /* One master secret gives both directions. */
        struct tls_record_key *c = &d->dir[TLS_DEC_CLIENT].key,
                              *s = &d->dir[TLS_DEC_SERVER].key;
        bool fresh_c = !c->ready, fresh_s = !s->ready;
        struct tls_record_key kc, ks;
        if (!tls12_record_keys(&kc, &ks, d->suite, d->version,
                               sec->secret[which], d->client_random,
                               d->server_random, d->etm))
            return false;
        if (fresh_c)
            *c = kc;
        if (fresh_s)
            *s = ks;
        tls_record_key_clear(&kc);
        tls_record_key_clear(&ks);
    } else if (!tls13_record_key(&ds->key, d->suite, sec->secret[which],
                                 sec->len[which])) {
        return false;
    }
    d->report.used |= (uint8_t)(1u << which);
    return true;
}

bool tls_decryptor_ready(struct tls_decryptor *d, enum tls_dec_dir dir,
                         bool force)
{
    struct dir_state *ds = &d->dir[dir];
    if (ds->stopped)
        return false;
    if (ds->key.ready)
        return true;
    int which = secret_for[ds->epoch][dir];
    struct keylog_secrets sec;
    bool ok = keylog_lookup(d->kl, d->client_random, (uint8_t)(1u << which),
                            force, &sec) &&
              install(d, dir, &sec);
    if (ok && dir == TLS_DEC_CLIENT && d->early_possible &&
        (sec.have & (1u << KEYLOG_CLIENT_EARLY)) && !d->early.ready)
        tls13_record_key(&d->early, d->suite,
                         sec.secret[KEYLOG_CLIENT_EARLY],
                         sec.len[KEYLOG_CLIENT_EARLY]);
    keylog_secrets_clear(&sec);
    return ok;
}

void tls_decryptor_give_up(struct tls_decryptor *d, enum tls_dec_dir dir)
{
    struct dir_state *ds = &d->dir[dir];
    if (ds->stopped || ds->key.ready)
        return;
    d->report.missing |= (uint8_t)(1u << secret_for[ds->epoch][dir]);
    ds->stopped = true;
}

bool tls_decryptor_stopped(const struct tls_decryptor *d, enum tls_dec_dir dir)
{
    return d->dir[dir].stopped;
}

enum tls_dec_result tls_decryptor_open(struct tls_decryptor *d,
                                       enum tls_dec_dir dir, uint8_t type,
                                       uint16_t version,
                                       const struct cursor *body, uint8_t *out,
                                       size_t *out_len, uint8_t *inner_type)
{
    struct dir_state *ds = &d->dir[dir];
    if (ds->stopped || !ds->key.ready)
        return TLS_DEC_AUTH_FAILED;
    enum tls_dec_result r = tls_record_open(&ds->key, type, version, body, out,
                                            out_len, inner_type);
    if (r != TLS_DEC_OK && dir == TLS_DEC_CLIENT && d->early_possible &&
        d->early.ready) {
        /* 0-RTT data the server may have skipped: the early key opens it. */
        r = tls_record_open(&d->early, type, version, body, out, out_len,
                            inner_type);
        if (r == TLS_DEC_OK) {
            d->report.opened++;
            d->report.used |= (uint8_t)(1u << KEYLOG_CLIENT_EARLY);
            *inner_type = 0; /* early data: no fact of the handshake */
            return TLS_DEC_OK;
        }
    }
    if (r == TLS_DEC_OK) {
        ds->fails = 0;
        d->report.opened++;
        if (dir == TLS_DEC_CLIENT)
            d->early_possible = false;
        return r;
    }
    d->report.failed++;
    if (++ds->fails >= TLS_DEC_MAX_FAILS)
        ds->stopped = true;
    return r;
}

void tls_decryptor_skip(struct tls_decryptor *d, enum tls_dec_dir dir,
                        const struct cursor *body)
{
    tls_record_skip(&d->dir[dir].key, body);
}

void tls_decryptor_finished(struct tls_decryptor *d, enum tls_dec_dir dir)
{
    struct dir_state *ds = &d->dir[dir];
    if (!d->suite->tls13 || ds->epoch != EP_HANDSHAKE)
        return;
    tls_record_key_clear(&ds->key);
    ds->epoch = EP_APPLICATION;
    ds->fails = 0;
    if (dir == TLS_DEC_CLIENT) {
        d->early_possible = false;
        tls_record_key_clear(&d->early);
    }
}

void tls_decryptor_end_of_early_data(struct tls_decryptor *d)
{
    d->early_possible = false;
    tls_record_key_clear(&d->early);
}

void tls_decryptor_key_update(struct tls_decryptor *d, enum tls_dec_dir dir)
{
    struct dir_state *ds = &d->dir[dir];
    if (ds->key.ready && !tls13_record_key_update(&ds->key))
        ds->stopped = true;
}

void tls_decryptor_expect_early(struct tls_decryptor *d)
{
    if (d->suite->tls13)
        d->early_possible = true;
}

void tls_decryptor_report(const struct tls_decryptor *d,
                          struct tls_dec_report *out)
{
    *out = d->report;
}

/* ---- records waiting for keys ---- */

bool tls_hold_push(struct tls_hold *h, int side, uint8_t type, uint16_t version,
                   uint64_t ts_us, const struct cursor *body)
{
    size_t len = cursor_left(body);
    if (h->bytes + len + sizeof(struct tls_held_record) > TLS_DEC_HOLD_MAX)
        return false;
    struct tls_held_record *r = malloc(sizeof *r + len);
    if (!r)
        return false;
    struct cursor c = *body;
    if (!cursor_copy(&c, r->body, len)) {
        free(r);
        return false;
    }
    r->side = side;
    r->type = type;
    r->version = version;
    r->ts_us = ts_us;
    r->len = (uint32_t)len;
    if (!h->records.oldest)
        h->since_us = ts_us;
    age_list_push_newest(&h->records, &r->order);
    h->bytes += (uint32_t)(len + sizeof *r);
    return true;
}

struct tls_held_record *tls_hold_pop(struct tls_hold *h)
{
    struct tls_held_record *r = tls_hold_oldest(h);
    if (!r)
        return NULL;
    age_list_unlink(&h->records, &r->order);
    h->bytes -= (uint32_t)(r->len + sizeof *r);
    return r;
}

void tls_hold_free_one(struct tls_held_record *r)
{
    free(r);
}

void tls_hold_clear(struct tls_hold *h)
{
    struct tls_held_record *r;
    while ((r = tls_hold_pop(h)) != NULL)
        free(r);
    h->bytes = 0;
}
