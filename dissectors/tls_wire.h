/* tls_wire.h — TLS wire constants in one place: protocol versions, record
 * content types, handshake message types, extension numbers. Numbers only,
 * no code: every parser and output names them from here. */
#ifndef TLSMON_TLS_WIRE_H
#define TLSMON_TLS_WIRE_H

/* Wire version numbers; SSLv2 has its own marker because its hello carries
 * 0x0002. */
#define TLS_V_SSL2 0x0002
#define TLS_V_SSL3 0x0300
#define TLS_V_1_0 0x0301
#define TLS_V_1_1 0x0302
#define TLS_V_1_2 0x0303
#define TLS_V_1_3 0x0304
#define TLS_V_DTLS_1_0 0xfeff
#define TLS_V_DTLS_1_2 0xfefd
#define TLS_V_DTLS_1_3 0xfefc
#define TLS_V_DTLS_BAD 0x0100 /* OpenSSL's DTLS 1.0 before 0.9.8f */

/* Record content types (RFC 8446 §5.1, RFC 6520 for heartbeat; RFC 9146
 * and RFC 9147 for DTLS's connection-ID record and ACK). */
enum tls_content_type {
    CT_CCS = 20,
    CT_ALERT = 21,
    CT_HANDSHAKE = 22,
    CT_APP_DATA = 23,
    CT_HEARTBEAT = 24,
    CT_TLS12_CID = 25,
    CT_ACK = 26,
};

/* Handshake message types (RFC 8446 §4, RFC 5246 §7.4). */
enum tls_hs_type {
    TLS_HS_HELLO_REQUEST = 0,
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_NEW_SESSION_TICKET = 4,
    TLS_HS_END_OF_EARLY_DATA = 5,
    TLS_HS_ENCRYPTED_EXTENSIONS = 8,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TLS_HS_CERTIFICATE_REQUEST = 13,
    TLS_HS_SERVER_HELLO_DONE = 14,
    TLS_HS_CERTIFICATE_VERIFY = 15,
    TLS_HS_CLIENT_KEY_EXCHANGE = 16,
    TLS_HS_FINISHED = 20,
    TLS_HS_CERTIFICATE_STATUS = 22,
    TLS_HS_KEY_UPDATE = 24,
    TLS_HS_COMPRESSED_CERTIFICATE = 25, /* RFC 8879 */
};

/* Extension numbers tlsmon reads (IANA TLS ExtensionType registry). */
enum {
    EXT_SERVER_NAME = 0,
    EXT_STATUS_REQUEST = 5,
    EXT_SUPPORTED_GROUPS = 10,
    EXT_EC_POINT_FORMATS = 11,
    EXT_SIGNATURE_ALGORITHMS = 13,
    EXT_ALPN = 16,
    EXT_PADDING = 21,
    EXT_ENCRYPT_THEN_MAC = 22,
    EXT_EXTENDED_MASTER_SECRET = 23,
    EXT_SESSION_TICKET = 35,
    EXT_PRE_SHARED_KEY = 41,
    EXT_EARLY_DATA = 42,
    EXT_SUPPORTED_VERSIONS = 43,
    EXT_PSK_KEY_EXCHANGE_MODES = 45,
    EXT_KEY_SHARE = 51,
    EXT_ENCRYPTED_CLIENT_HELLO = 0xfe0d,
    EXT_RENEGOTIATION_INFO = 0xff01,
    EXT_ENCRYPTED_SERVER_NAME = 0xffce,
};

/* RFC 7507: the signalling cipher suite of a fallback retry. */
#define TLS_FALLBACK_SCSV 0x5600
/* RFC 5746: the signalling cipher suite standing for renegotiation_info. */
#define TLS_EMPTY_RENEGOTIATION_INFO_SCSV 0x00ff

#endif
