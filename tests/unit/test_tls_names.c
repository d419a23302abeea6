/* test_tls_names.c — name tables: spot checks against OpenSSL 3.0's
 * `openssl ciphers -V -stdname`, whole-table counts (which also prove each
 * table is sorted, since bisection misses entries in an unsorted one), cipher
 * flags, GREASE and version ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/tls_names.h"
#include "dissectors/tls_wire.h"

static void test_cipher_names_match_openssl(void **state)
{
    /* Copied from `openssl ciphers -V -stdname ALL:COMPLEMENTOFALL`. */
    static const struct {
        uint32_t suite;
        const char *name;
    } want[] = {
        {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
        {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
        {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
        {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
        {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
        {0x1301, "TLS_AES_128_GCM_SHA256"},
        {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
        {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
        {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
        {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
        {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
        {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
        {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
        {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
        {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(tls_cipher_name(want[i].suite), want[i].name);
}

static void test_cipher_names_registry(void **state)
{
    unsigned named = 0;
    (void)state;

    assert_string_equal(tls_cipher_name(0x0000), "TLS_NULL_WITH_NULL_NULL");
    assert_string_equal(tls_cipher_name(0x0005), "TLS_RSA_WITH_RC4_128_SHA");
    assert_string_equal(tls_cipher_name(0x000a),
                        "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_string_equal(tls_cipher_name(0x00ff),
                        "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
    assert_string_equal(tls_cipher_name(0x5600), "TLS_FALLBACK_SCSV");
    assert_string_equal(tls_cipher_name(0x1305), "TLS_AES_128_CCM_8_SHA256");
    assert_string_equal(tls_cipher_name(0xc0b5), "TLS_SHA384_SHA384");
    assert_string_equal(tls_cipher_name(0xd005),
                        "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256");
    assert_string_equal(tls_cipher_name(0xc106),
                        "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S");
    assert_string_equal(tls_cipher_name(0xcc13),
                        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD");
    /* SSLv2 cipher kinds, and a TLS suite in SSLv2's 3-byte form. */
    assert_string_equal(tls_cipher_name(0x010080), "SSL2_RC4_128_WITH_MD5");
    assert_string_equal(tls_cipher_name(0x0700c0),
                        "SSL2_DES_192_EDE3_CBC_WITH_MD5");
    assert_string_equal(tls_cipher_name(0x00c02f),
                        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

    assert_null(tls_cipher_name(0x0a0a)); /* GREASE */
    assert_null(tls_cipher_name(0xd004)); /* unassigned */
    assert_null(tls_cipher_name(0xe011)); /* vendor code, left out */
    assert_null(tls_cipher_name(0x090080));
    assert_null(tls_cipher_name(0xffffffff));

    for (uint32_t v = 0; v <= 0xffff; v++)
        named += tls_cipher_name(v) != NULL;
    assert_int_equal(named, 373);
    for (uint32_t v = 0x010000; v <= 0x08ffff; v++)
        named += tls_cipher_name(v) != NULL;
    assert_int_equal(named, 381);
}

static void test_cipher_flags(void **state)
{
    (void)state;
    assert_int_equal(tls_cipher_flags(0x1301), 0);
    assert_int_equal(tls_cipher_flags(0x1303), 0);
    assert_int_equal(tls_cipher_flags(0xc02f), 0);
    assert_int_equal(tls_cipher_flags(0xcca9), 0);
    assert_int_equal(tls_cipher_flags(0x009e), 0);           /* DHE GCM */
    assert_int_equal(tls_cipher_flags(0x009c), TLS_CIPHER_NO_PFS);
    assert_int_equal(tls_cipher_flags(0xc013), TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0x002f),
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0x0005),
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_RC4);
    assert_int_equal(tls_cipher_flags(0x000a),
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_3DES | TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0x0003), /* RSA_EXPORT_WITH_RC4_40 */
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_EXPORT | TLS_CIPHER_RC4);
    assert_int_equal(tls_cipher_flags(0x0002), /* RSA_WITH_NULL_SHA */
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_NULL);
    assert_int_equal(tls_cipher_flags(0x0000), TLS_CIPHER_NULL);
    assert_int_equal(tls_cipher_flags(0x0034), /* DH_anon AES CBC */
                     TLS_CIPHER_ANON | TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0xc018), /* ECDH_anon */
                     TLS_CIPHER_ANON | TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0x0031), /* static DH_RSA */
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0xc031), /* static ECDH_RSA GCM */
                     TLS_CIPHER_NO_PFS);
    assert_int_equal(tls_cipher_flags(0x00a8), TLS_CIPHER_NO_PFS); /* PSK */
    assert_int_equal(tls_cipher_flags(0x00ac), TLS_CIPHER_NO_PFS); /* RSA_PSK */
    assert_int_equal(tls_cipher_flags(0x00aa), 0);                 /* DHE_PSK */
    assert_int_equal(tls_cipher_flags(0xd001), 0);              /* ECDHE_PSK */
    assert_int_equal(tls_cipher_flags(0xc039), TLS_CIPHER_NULL); /* ECDHE_PSK */
    assert_int_equal(tls_cipher_flags(0xc0b4), TLS_CIPHER_NULL);
    assert_int_equal(tls_cipher_flags(0x0015), /* DHE_RSA single DES */
                     TLS_CIPHER_3DES | TLS_CIPHER_CBC);
    assert_int_equal(tls_cipher_flags(0x010080),
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_RC4);
    assert_int_equal(tls_cipher_flags(0x040080),
                     TLS_CIPHER_NO_PFS | TLS_CIPHER_CBC | TLS_CIPHER_EXPORT);
    assert_int_equal(tls_cipher_flags(0x0a0a), 0);
    assert_int_equal(tls_cipher_flags(0x5600), 0);
}

static void test_grease(void **state)
{
    unsigned count = 0;
    (void)state;
    for (uint32_t v = 0; v <= 0xffff; v++)
        count += tls_is_grease((uint16_t)v);
    assert_int_equal(count, 16);
    assert_true(tls_is_grease(0x0a0a));
    assert_true(tls_is_grease(0x7a7a));
    assert_true(tls_is_grease(0xfafa));
    assert_false(tls_is_grease(0x0a1a));
    assert_false(tls_is_grease(0x1a0a));
    assert_false(tls_is_grease(0x0b0b));
    assert_false(tls_is_grease(0x0000));
}

static void test_versions(void **state)
{
    static const uint16_t order[] = {0x0002, 0x0300, 0x0301,
                                     0x0302, 0x0303, 0x0304};
    (void)state;

    assert_string_equal(tls_version_name(0x0002), "ssl2");
    assert_string_equal(tls_version_name(0x0300), "ssl3");
    assert_string_equal(tls_version_name(0x0301), "1.0");
    assert_string_equal(tls_version_name(0x0302), "1.1");
    assert_string_equal(tls_version_name(0x0303), "1.2");
    assert_string_equal(tls_version_name(0x0304), "1.3");
    assert_string_equal(tls_version_name(0x7f17), "1.3-draft-23");
    assert_string_equal(tls_version_name(0x7f1c), "1.3-draft-28");
    assert_string_equal(tls_version_name(0x7f05), "1.3-draft-05");
    assert_string_equal(tls_version_name(0x7f00), "1.3-draft-00");
    assert_string_equal(tls_version_name(0x7f64), "1.3-draft-100");
    assert_string_equal(tls_version_name(0x7fff), "1.3-draft-255");
    assert_string_equal(tls_version_name(0xfb17), "1.3-fb-draft-23");
    /* Same pointer every time: callers may keep it. */
    assert_ptr_equal(tls_version_name(0x7f12), tls_version_name(0x7f12));
    assert_null(tls_version_name(0x0305));
    /* DTLS versions are named and ranked as the TLS they are built on. */
    assert_string_equal(tls_version_name(0xfeff), "1.0");
    assert_string_equal(tls_version_name(0xfefd), "1.2");
    assert_string_equal(tls_version_name(0xfefc), "1.3");
    assert_string_equal(tls_version_name(0x0100), "1.0");
    assert_null(tls_version_name(0xfefe));
    assert_int_equal(tls_version_rank(0xfefd), tls_version_rank(0x0303));
    assert_int_equal(tls_version_rank(0xfefc), tls_version_rank(0x0304));
    assert_int_equal(tls_version_rank(0xfeff), tls_version_rank(0x0301));
    assert_string_equal(tls_version_protocol(0xfefd), "dtls");
    assert_string_equal(tls_version_protocol(0x0303), "tls");
    assert_true(tls_version_is_dtls(0xfefc));
    assert_false(tls_version_is_dtls(0x0304));
    assert_null(tls_version_name(0x0a0a));

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        assert_int_equal(tls_version_rank(order[i]), (int)i + 1);
        if (i > 0)
            assert_true(tls_version_rank(order[i - 1]) <
                        tls_version_rank(order[i]));
    }
    assert_int_equal(tls_version_rank(0x7f17), 6);
    assert_int_equal(tls_version_rank(0xfb1a), 6);
    assert_int_equal(tls_version_rank(0x0a0a), 0);
    assert_int_equal(tls_version_rank(0x0200), 0);

    assert_string_equal(tls_version_protocol(0x0002), "ssl");
    assert_string_equal(tls_version_protocol(0x0300), "ssl");
    assert_string_equal(tls_version_protocol(0x0301), "tls");
    assert_string_equal(tls_version_protocol(0x0304), "tls");
    assert_string_equal(tls_version_protocol(0x7f1a), "tls");
    assert_null(tls_version_protocol(0x1234));
}

static void test_alerts(void **state)
{
    unsigned named = 0;
    (void)state;
    assert_string_equal(tls_alert_name(0), "close_notify");
    assert_string_equal(tls_alert_name(40), "handshake_failure");
    assert_string_equal(tls_alert_name(48), "unknown_ca");
    assert_string_equal(tls_alert_name(70), "protocol_version");
    assert_string_equal(tls_alert_name(86), "inappropriate_fallback");
    assert_string_equal(tls_alert_name(112), "unrecognized_name");
    assert_string_equal(tls_alert_name(116), "certificate_required");
    assert_string_equal(tls_alert_name(120), "no_application_protocol");
    assert_string_equal(tls_alert_name(121), "ech_required");
    assert_null(tls_alert_name(1));
    assert_null(tls_alert_name(255));
    for (unsigned v = 0; v <= 255; v++)
        named += tls_alert_name((uint8_t)v) != NULL;
    assert_int_equal(named, 35); /* every code in DIAGNOSES.md */
}

static void test_extensions_groups_sigalgs(void **state)
{
    unsigned named = 0;
    (void)state;

    assert_string_equal(tls_extension_name(0), "server_name");
    assert_string_equal(tls_extension_name(10), "supported_groups");
    assert_string_equal(tls_extension_name(16),
                        "application_layer_protocol_negotiation");
    assert_string_equal(tls_extension_name(43), "supported_versions");
    assert_string_equal(tls_extension_name(51), "key_share");
    assert_string_equal(tls_extension_name(0xfe0d), "encrypted_client_hello");
    assert_string_equal(tls_extension_name(0xff01), "renegotiation_info");
    assert_null(tls_extension_name(40));
    assert_null(tls_extension_name(0x0a0a));
    for (uint32_t v = 0; v <= 0xffff; v++)
        named += tls_extension_name((uint16_t)v) != NULL;
    assert_int_equal(named, 68);

    named = 0;
    assert_string_equal(tls_group_name(23), "secp256r1");
    assert_string_equal(tls_group_name(29), "x25519");
    assert_string_equal(tls_group_name(30), "x448");
    assert_string_equal(tls_group_name(256), "ffdhe2048");
    assert_string_equal(tls_group_name(0x6399), "X25519Kyber768Draft00");
    assert_string_equal(tls_group_name(0x11ec), "X25519MLKEM768");
    /* What Zeek names and tlsmon lacked. */
    assert_string_equal(tls_group_name(0x11ee), "curveSM2MLKEM768");
    assert_string_equal(tls_group_name(0x4138), "CECPQ2");
    assert_int_equal(tls_group_pq_kind(0x11ec), TLS_PQ_HYBRID);
    assert_int_equal(tls_group_pq_kind(0x11ee), TLS_PQ_HYBRID);
    assert_int_equal(tls_group_pq_kind(0x0201), TLS_PQ_PURE);
    assert_int_equal(tls_group_pq_kind(0x6399), TLS_PQ_DRAFT);
    assert_int_equal(tls_group_pq_kind(29), TLS_PQ_NONE);
    assert_int_equal(tls_group_pq_kind(0x2a2a), TLS_PQ_NONE);
    assert_null(tls_group_name(0));
    assert_null(tls_group_name(0x2a2a));
    for (uint32_t v = 0; v <= 0xffff; v++)
        named += tls_group_name((uint16_t)v) != NULL;
    assert_int_equal(named, 58);

    named = 0;
    assert_string_equal(tls_sigalg_name(0x0401), "rsa_pkcs1_sha256");
    assert_string_equal(tls_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
    assert_string_equal(tls_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
    assert_string_equal(tls_sigalg_name(0x0807), "ed25519");
    assert_string_equal(tls_sigalg_name(0x0201), "rsa_pkcs1_sha1");
    assert_null(tls_sigalg_name(0x0000));
    for (uint32_t v = 0; v <= 0xffff; v++)
        named += tls_sigalg_name((uint16_t)v) != NULL;
    assert_int_equal(named, 45);

    assert_string_equal(tls_handshake_type_name(1), "client_hello");
    assert_string_equal(tls_handshake_type_name(11), "certificate");
    assert_string_equal(tls_handshake_type_name(254), "message_hash");
    assert_null(tls_handshake_type_name(7));
    assert_null(tls_handshake_type_name(255));
}

/* tls_wire.h's numbers and the IANA name tables were written apart: each
 * constant must name what the registry calls it. */
static void test_wire_constants_match_names(void **state)
{
    (void)state;
    static const struct {
        uint16_t v;
        const char *name;
    } versions[] = {{TLS_V_SSL3, "ssl3"}, {TLS_V_1_0, "1.0"}, {TLS_V_1_1, "1.1"},
                    {TLS_V_1_2, "1.2"}, {TLS_V_1_3, "1.3"}};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        assert_string_equal(tls_version_name(versions[i].v), versions[i].name);
    assert_int_equal(tls_version_rank(TLS_V_SSL2), 1);

    static const struct {
        uint8_t t;
        const char *name;
    } hs[] = {{TLS_HS_HELLO_REQUEST, "hello_request"},
              {TLS_HS_CLIENT_HELLO, "client_hello"},
              {TLS_HS_SERVER_HELLO, "server_hello"},
              {TLS_HS_NEW_SESSION_TICKET, "new_session_ticket"},
              {TLS_HS_END_OF_EARLY_DATA, "end_of_early_data"},
              {TLS_HS_ENCRYPTED_EXTENSIONS, "encrypted_extensions"},
              {TLS_HS_CERTIFICATE, "certificate"},
              {TLS_HS_SERVER_KEY_EXCHANGE, "server_key_exchange"},
              {TLS_HS_CERTIFICATE_REQUEST, "certificate_request"},
              {TLS_HS_SERVER_HELLO_DONE, "server_hello_done"},
              {TLS_HS_CERTIFICATE_VERIFY, "certificate_verify"},
              {TLS_HS_CLIENT_KEY_EXCHANGE, "client_key_exchange"},
              {TLS_HS_FINISHED, "finished"},
              {TLS_HS_CERTIFICATE_STATUS, "certificate_status"},
              {TLS_HS_KEY_UPDATE, "key_update"},
              {TLS_HS_COMPRESSED_CERTIFICATE, "compressed_certificate"}};
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
        assert_string_equal(tls_handshake_type_name(hs[i].t), hs[i].name);

    static const struct {
        uint16_t t;
        const char *name;
    } ext[] = {{EXT_SERVER_NAME, "server_name"},
               {EXT_STATUS_REQUEST, "status_request"},
               {EXT_SUPPORTED_GROUPS, "supported_groups"},
               {EXT_EC_POINT_FORMATS, "ec_point_formats"},
               {EXT_SIGNATURE_ALGORITHMS, "signature_algorithms"},
               {EXT_ALPN, "application_layer_protocol_negotiation"},
               {EXT_PADDING, "padding"},
               {EXT_ENCRYPT_THEN_MAC, "encrypt_then_mac"},
               {EXT_EXTENDED_MASTER_SECRET, "extended_master_secret"},
               {EXT_SESSION_TICKET, "session_ticket"},
               {EXT_PRE_SHARED_KEY, "pre_shared_key"},
               {EXT_EARLY_DATA, "early_data"},
               {EXT_SUPPORTED_VERSIONS, "supported_versions"},
               {EXT_PSK_KEY_EXCHANGE_MODES, "psk_key_exchange_modes"},
               {EXT_KEY_SHARE, "key_share"},
               {EXT_ENCRYPTED_CLIENT_HELLO, "encrypted_client_hello"},
               {EXT_RENEGOTIATION_INFO, "renegotiation_info"}};
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        assert_string_equal(tls_extension_name(ext[i].t), ext[i].name);
    assert_int_equal(CT_CCS, 20);
    assert_int_equal(CT_HEARTBEAT, 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cipher_names_match_openssl),
        cmocka_unit_test(test_wire_constants_match_names),
        cmocka_unit_test(test_cipher_names_registry),
        cmocka_unit_test(test_cipher_flags),
        cmocka_unit_test(test_grease),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_extensions_groups_sigalgs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
