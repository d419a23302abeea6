/* handshake.h — the record of one TLS handshake, in two parts by owner and
 * lifetime: struct handshake, kept per flow while the handshake is open,
 * holds the wire facts (filled by the dissectors) and the decision
 * (outcome.c); struct handshake_report, built once per decided record at
 * emit time, holds what later stages derive (certificate verdicts,
 * fingerprints, server history, findings). The field registry
 * (analyzer/fields.c) reads both for outputs and rules.
 *
 * Arrays are fixed-size so that filling a record never allocates; most
 * lists are HS_LIST: when the wire carries more entries than fit, the first
 * ones are kept in wire order, `total` counts all of them and the record
 * is marked truncated. Heap members: the certificate DER and OCSP staple,
 * which the certificate stage needs whole, the parts only some
 * handshakes have (ch2, ee), and the room for a ClientHello's ALPN names
 * and cipher suites past what a usual hello needs (alpn_spill,
 * cipher_spill). */
#ifndef TLSMON_HANDSHAKE_H
#define TLSMON_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse_fault.h"
#include "tls_wire.h"

#define HS_MAX_CIPHERS 256 /* suites kept per hello, total counts all */
#define HS_CIPHERS_INLINE 64 /* of them in the record; a usual hello offers
                                10-50, more go to cipher_spill */
#define HS_CIPHERS_SPILL \
    ((HS_MAX_CIPHERS - HS_CIPHERS_INLINE) * sizeof(uint16_t))
#define HS_MAX_EXTENSIONS 64
#define HS_MAX_GROUPS 64
#define HS_MAX_SIGALGS 64
#define HS_MAX_VERSIONS 16
#define HS_MAX_KEY_SHARES 16
#define HS_MAX_ALPN 16
#define HS_ALPN_LEN 64 /* longer protocol ids are cut, marked truncated */
#define HS_ALPN_TEXT 256 /* ALPN names kept in the record, packed */
#define HS_ALPN_SPILL (HS_MAX_ALPN * HS_ALPN_LEN) /* room for all of them */
#define HS_MAX_SSLV2_KINDS 16 /* SSLv2-only cipher specs kept per hello */
#define HS_MAX_POINT_FORMATS 8
#define HS_MAX_COMPRESSION 16
#define HS_SNI_LEN 256 /* DNS names are at most 253 octets */
#define HS_MAX_ALERTS 16
#define HS_MAX_CERTS 16
#define HS_MAX_CERT_BYTES (256u * 1024u) /* DER kept per chain */

/* A bounded list: v[0..n) are the first entries the wire carried, in wire
 * order, and total counts all of them (saturating). Only hs_list_take
 * moves n up (HS_LIST_CLEAR empties), so n <= cap holds for every reader:
 * they read n and v[i] as they are. */
#define HS_LIST(type, cap) \
    struct {               \
        type v[cap];       \
        uint16_t n;        \
        uint16_t total;    \
    }
#define HS_LIST_CAP(list) (sizeof (list).v / sizeof (list).v[0])

/* Counts one more entry the wire carried and says whether it has a place:
 * the first `cap` are kept, and once one is dropped all later ones are, so
 * that what is kept is always the start of the list. */
static inline bool hs_list_take(uint16_t *n, uint16_t *total, size_t cap)
{
    bool keep = *n == *total && *n < cap;
    if (*total < UINT16_MAX)
        (*total)++;
    if (keep)
        (*n)++;
    return keep;
}

/* The place for the next entry of `list`, or NULL when it is not kept. */
#define HS_LIST_SLOT(list)                                               \
    (hs_list_take(&(list).n, &(list).total, HS_LIST_CAP(list))           \
         ? &(list).v[(list).n - 1]                                        \
         : NULL)

/* Appends `value` to `list` if it has a place; true when it was kept. */
#define HS_LIST_PUSH(list, value)                                        \
    ((bool)(hs_list_take(&(list).n, &(list).total, HS_LIST_CAP(list))    \
                ? ((list).v[(list).n - 1] = (value), 1)                   \
                : 0))

/* Counts an entry the wire carried that the writer will not keep (it has
 * no room elsewhere); like one past the cap, no later entry is kept. */
#define HS_LIST_DROP(list) ((void)hs_list_take(&(list).n, &(list).total, 0))

/* Empties a list, for a parser that reads it again. */
#define HS_LIST_CLEAR(list) ((list).n = (list).total = 0)

/* Who sent something. Flow sides are mapped to these once roles are known. */
enum tls_side { TLS_SIDE_CLIENT = 0, TLS_SIDE_SERVER = 1 };

enum hs_outcome {
    OUTCOME_UNDECIDED = 0,
    OUTCOME_ESTABLISHED,
    OUTCOME_FAILED,
    OUTCOME_INCOMPLETE, /* capture ended or flow timed out undecided */
    OUTCOME_NOT_TLS,    /* client spoke TLS, server answered something else */
    OUTCOME_REFUSED,    /* the server refused a STARTTLS upgrade */
};

enum hs_ended_by {
    ENDED_NONE = 0,
    ENDED_ALERT,
    ENDED_FIN,
    ENDED_RST,
    ENDED_SILENCE,     /* idle timeout */
    ENDED_CAPTURE_END, /* end of input */
    ENDED_EVICTED,     /* flow memcap pushed it out */
    ENDED_NOT_TLS,     /* the server's answer was not a TLS record */
    ENDED_CLOSE,       /* QUIC CONNECTION_CLOSE that is not a TLS alert */
    ENDED_ICMP,        /* ICMP port unreachable for the flow */
    ENDED_VERSION_NEGOTIATION, /* QUIC: the server listed other versions */
};
#define ENDED_COUNT (ENDED_VERSION_NEGOTIATION + 1)

/* What carried the handshake. */
enum hs_transport {
    HS_OVER_TCP = 0, /* TLS records over TCP */
    HS_OVER_QUIC,    /* TLS messages in QUIC CRYPTO frames */
    HS_OVER_DTLS,    /* DTLS records over UDP */
};

/* Handshake progress, in protocol order. The failure stage is "after_" the
 * furthest stage reached (see outcome.c). */
enum hs_stage {
    STAGE_NONE = 0,
    STAGE_CLIENT_HELLO,
    STAGE_HELLO_RETRY_REQUEST,
    STAGE_CLIENT_HELLO_2, /* the ClientHello answering an HRR */
    STAGE_SERVER_HELLO,
    STAGE_SERVER_CERTIFICATE,
    STAGE_SERVER_KEY_EXCHANGE,
    STAGE_CERTIFICATE_REQUEST,
    STAGE_SERVER_HELLO_DONE,
    STAGE_SERVER_ENCRYPTED_FLIGHT, /* TLS 1.3: EE..Finished, encrypted */
    STAGE_CLIENT_CERTIFICATE,
    STAGE_CLIENT_KEY_EXCHANGE,
    STAGE_CLIENT_FINISHED,
    STAGE_SERVER_FINISHED,
    STAGE_APPLICATION_DATA,
    STAGE_COUNT
};

struct tls_alert {              /* 16 bytes: one per alert, 16 kept */
    uint64_t ts_us;
    uint16_t length;     /* record length (what an encrypted alert shows) */
    uint8_t sender;      /* enum tls_side */
    uint8_t level;       /* 1 warning, 2 fatal; 0 when encrypted */
    uint8_t description; /* alert code; 0 when encrypted */
    uint8_t stage;       /* enum hs_stage reached when it was sent */
    bool encrypted : 1;  /* description not visible */
    bool decrypted : 1;  /* read from an encrypted record with a key log */
    bool late : 1;       /* sent after the decision, after its sender had
                            finished the handshake, or answering the peer's
                            close: listed, never what decides */
};

/* The encrypted_client_hello extension of a ClientHello (RFC 9849 §5,
 * dissectors/ech.c). A GREASE ECH extension (RFC 9849 §6.2) is built to
 * look exactly like a real one, so nothing here says which it is. */
struct ech_hello {
    bool present;
    bool malformed;       /* the extension did not parse; fields partial */
    uint8_t type;         /* 0 outer, 1 inner (enum ech_hello_type) */
    uint8_t config_id;
    uint16_t kdf_id;      /* HPKE KDF (RFC 9180 §7.2) */
    uint16_t aead_id;     /* HPKE AEAD (RFC 9180 §7.3) */
    uint16_t enc_len;     /* encapsulated HPKE key */
    uint16_t payload_len; /* the encrypted inner ClientHello */
};

/* One key_share entry a ClientHello offered. */
struct key_share {
    uint16_t group;
    uint16_t len; /* key_exchange bytes */
};

struct client_hello {
    bool seen;
    bool sslv2;           /* SSLv2-compatible record format */
    bool dtls;            /* DTLS layout: a cookie follows the session id */
    uint8_t cookie_len;   /* DTLS HelloVerifyRequest cookie echoed */
    uint8_t session_id_len;
    bool truncated;       /* some list did not fit its array */
    bool alpn_truncated;  /* more ALPN names than kept (QUIC clients list
                             every draft): no fingerprint reads past the
                             first, so this alone keeps them */
    uint16_t record_version;
    uint16_t legacy_version;
    uint32_t length;      /* handshake message body length */
    uint64_t ts_us;       /* when its first byte arrived */
    char *alpn_spill;     /* ALPN names that do not fit alpn_text, below */
    uint16_t *cipher_spill; /* suites past ciphers.head, below */

    uint8_t session_id[32];
    uint8_t random[32];   /* matches the key log; SSLv2: the challenge,
                             right-aligned (unused) */

    /* The suites offered: the first HS_MAX_CIPHERS in wire order, total
     * counting all (as an HS_LIST), the first HS_CIPHERS_INLINE in head
     * and the rest in cipher_spill. The allocation-free parser sets
     * cipher_spill_wanted for a hello that offers more than head holds;
     * the session then allocates cipher_spill (HS_CIPHERS_SPILL bytes,
     * charged to --memcap) and parses the hello again. When --memcap
     * refuses it, the list stays cut at HS_CIPHERS_INLINE and the hello
     * is marked truncated (no fingerprint is made of it), as a list past
     * its room is. Read suite i with client_hello_suite(), or with
     * client_hello_cipher(): an SSLv2 cipher spec is 3 bytes, the low two
     * are in the list and the high byte of those where it is not 0 (the
     * SSLv2-only kinds, a handful per hello) in sslv2_kinds. */
    struct {
        uint16_t head[HS_CIPHERS_INLINE];
        uint16_t n;
        uint16_t total;
    } ciphers;
    bool cipher_spill_wanted; /* cipher_spill is with the 8-byte members */
    struct {
        uint8_t at; /* index in the cipher list */
        uint8_t hi; /* the spec's first byte */
    } sslv2_kinds[HS_MAX_SSLV2_KINDS];
    uint8_t n_sslv2_kinds;
    bool fallback_scsv;   /* TLS_FALLBACK_SCSV (0x5600) offered */

    HS_LIST(uint8_t, HS_MAX_COMPRESSION) compression;

    HS_LIST(uint16_t, HS_MAX_EXTENSIONS) extensions; /* types */

    bool has_sni;
    bool has_supported_versions; /* versions, below, was sent */
    char sni[HS_SNI_LEN]; /* always NUL-terminated (escape_copy), readers
                             rely on it; non-printable bytes escaped */
    uint16_t sni_len;     /* length on the wire */

    /* ALPN names, escaped and NUL-terminated, back to back; name i starts
     * at alpn_at[i] (read them with client_hello_alpn()). They are kept in
     * alpn_text while they fit; when they do not (a client listing many
     * long names), alpn_spill_wanted is set and the session parses the
     * hello again with all of them in alpn_spill, which it allocates
     * (HS_ALPN_SPILL bytes, charged to --memcap) and frees. */
    char alpn_text[HS_ALPN_TEXT];
    bool alpn_spill_wanted; /* alpn_spill is with the 8-byte members above */
    uint16_t alpn_at[HS_MAX_ALPN];
    uint8_t n_alpn;
    uint8_t alpn_first_raw[2]; /* first and last byte of the first ALPN
                                  value as sent (JA4 reads them raw) */

    HS_LIST(uint16_t, HS_MAX_VERSIONS) versions; /* supported_versions */

    HS_LIST(uint16_t, HS_MAX_GROUPS) groups;
    HS_LIST(struct key_share, HS_MAX_KEY_SHARES) key_shares;
    HS_LIST(uint16_t, HS_MAX_SIGALGS) sigalgs;
    HS_LIST(uint8_t, HS_MAX_POINT_FORMATS) point_formats;

    bool has_session_ticket;
    uint16_t session_ticket_len;
    bool psk_offered;
    uint8_t psk_modes; /* bit 0 psk_ke, bit 1 psk_dhe_ke */
    bool early_data;
    bool status_request;
    bool extended_master_secret;
    bool encrypt_then_mac;
    bool renegotiation_info;
    bool ech;  /* encrypted_client_hello (0xfe0d) */
    struct ech_hello ech_info;
    bool esni; /* draft encrypted_server_name (0xffce) */
    bool has_padding;
    uint16_t padding_len;
};

struct server_hello {
    bool seen;
    uint16_t record_version;
    uint16_t legacy_version;
    uint16_t version;     /* negotiated: supported_versions when present */
    uint16_t cipher;
    uint8_t compression;
    uint64_t ts_us;

    uint8_t session_id_len;
    uint8_t session_id[32];
    uint8_t random[32];

    HS_LIST(uint16_t, HS_MAX_EXTENSIONS) extensions;

    bool has_supported_versions;
    bool has_key_share;
    uint16_t group;       /* key_share group, or ServerKeyExchange curve */
    bool has_alpn;
    char alpn[HS_ALPN_LEN];
    bool psk_accepted;    /* TLS 1.3 pre_shared_key in ServerHello */
    bool extended_master_secret;
    bool encrypt_then_mac;
    bool renegotiation_info;
    bool session_ticket;  /* server will send a NewSessionTicket */
    bool status_request;
};

/* ECH retry configurations a server sent in its EncryptedExtensions when
 * it rejected ECH (RFC 9849 §7.1): read with a key log only, as that
 * message is encrypted (tls_parse_encrypted_extensions, dissectors/ech.c). */
#define HS_MAX_ECH_CONFIGS 4
struct ech_retry {
    bool has_retry_configs;
    bool malformed;
    uint8_t n_configs;    /* kept, first ones (version 0xfe0d only) */
    uint16_t n_configs_total;
    uint8_t config_ids[HS_MAX_ECH_CONFIGS];
    uint16_t kem_ids[HS_MAX_ECH_CONFIGS];
    char public_name[HS_SNI_LEN]; /* of the first config, escaped */
};

/* TLS 1.3 EncryptedExtensions, read with a key log. */
struct encrypted_extensions {
    bool seen;
    HS_LIST(uint16_t, HS_MAX_EXTENSIONS) extensions; /* types */
    bool has_alpn;
    char alpn[HS_ALPN_LEN];
    bool early_data;      /* the server accepted 0-RTT */
    struct ech_retry ech; /* encrypted_client_hello: retry configs */
};

/* What a key log opened in this handshake (keylog.c, tls_decrypt.c). */
struct decryption {
    bool attempted;       /* a key log was given and the suite can be opened */
    bool unsupported;     /* a key log was given, the suite cannot be opened */
    bool no_client_hello; /* a key log was given, but no ClientHello (and
                             so no client random) was seen */
    uint32_t records;     /* records opened */
    uint32_t failed;      /* records that did not authenticate */
    uint8_t missing;      /* bits (enum keylog_secret) needed and absent */
    uint8_t used;         /* bits that opened records */
    uint32_t messages[2]; /* bit n: handshake type n decrypted, by side */
    uint16_t cert_compression; /* RFC 8879 algorithm of a compressed
                                  certificate, 0 none */
    bool compression_failed;   /* it did not inflate */
};

struct hello_retry {
    bool seen;
    bool ech_confirmation; /* encrypted_client_hello with its 8-byte
                              accept confirmation: the server took ECH */
    uint16_t cipher;
    uint16_t group; /* key_share selected_group */
    HS_LIST(uint16_t, HS_MAX_EXTENSIONS) extensions;
};

/* Certificates as they were on the wire; the certificate stage parses them. */
struct cert_chain {
    bool seen;           /* a Certificate message was sent */
    uint8_t n_certs;     /* kept */
    uint16_t n_certs_total;
    bool truncated;      /* more certs or bytes than kept */
    uint32_t der_len;
    uint8_t *der;        /* heap, der_len bytes, all certs back to back */
    struct {
        uint32_t off, len;
    } certs[HS_MAX_CERTS];
};

/* What the certificate stage (dissectors/x509.c) found in one chain. Filled
 * only from what OpenSSL parsed; a fact it could not read stays empty.
 *
 * Two parts, so that a record whose chain is not analyzed (most failures,
 * TLS 1.3, QUIC floods) costs no kilobytes: the marks (flags, counts,
 * numbers) come first and cert_result_reset zeroes them; the bodies (texts
 * and arrays, from `subject` on) are not reset. A reader reads a body only
 * where a mark says it is filled (leaf_parsed, chain_checked, n_summaries,
 * ...), and the stage sets a mark only together with a whole result (its
 * cache entry's, copied at once), so no body of an earlier record shows. */
#define HS_CERT_NAME_LEN 192 /* RFC 4514 subject/issuer, cut if longer */
#define HS_CERT_CN_LEN 64
#define HS_MAX_SANS 16 /* first ones kept; sans.total counts all */
#define HS_NAME_ATTRS 2 /* O and C values kept per name (ECS arrays) */
#define HS_NAME_ATTR_LEN 64
#define HS_SAN_LEN 96
struct san_text {
    char text[HS_SAN_LEN]; /* a DNS name or an IP literal, terminated */
};

struct cert_summary {            /* one per certificate, wire order */
    bool parsed;                 /* false: OpenSSL could not parse it */
    bool self_signed;
    bool is_ca;
    char subject_cn[HS_CERT_CN_LEN];
    uint16_t key_bits;
    char key_alg[24];            /* "RSA", "EC", "Ed25519", "ML-DSA-65" ... */
    char sig_alg[32];            /* OpenSSL short name, e.g. "ecdsa-with-SHA256" */
};

/* Leaf extensions kept (x509_ext.c): a few URLs of each kind. */
#define HS_MAX_URLS 2
#define HS_URL_LEN 96
#define HS_MAX_SCT_LOGS 4  /* distinct CT log ids kept per leaf */
#define HS_MAX_DISTRUST 4  /* browsers named per distrusted chain */

struct cert_result {
    bool analyzed;               /* the stage ran on this chain */
    bool visible;                /* the certificate was sent in clear */
    bool malformed;              /* some certificate did not parse */
    bool leaf_parsed;            /* the leaf facts below are filled */
    /* Marks and scalar facts. Leaf facts, filled when leaf_parsed (their
     * texts are among the bodies). */
    uint8_t n_subject_o, n_issuer_o, n_subject_c, n_issuer_c;
    uint8_t version_number;      /* X.509 version: 1, 2 or 3 */
    int64_t not_before, not_after; /* seconds since the epoch */
    uint16_t key_bits;
    uint8_t n_summaries;         /* certificates described in `chain` */
    /* Verdicts, at the capture time. `checked` says which were decided. */
    bool times_checked;
    bool expired, not_yet_valid;
    int32_t days_to_expiry;      /* negative once expired */
    bool self_signed;
    bool hostname_checked;       /* an SNI was there to compare with */
    bool hostname_mismatch;
    bool chain_checked;          /* all certificates parsed, none dropped */
    bool chain_out_of_order;
    bool incomplete_chain;
    bool untrusted;
    int32_t verify_code;         /* OpenSSL X509_V_ERR_*, 0 = ok */
    bool weak_key, weak_signature, validity_too_long;
    int8_t weak_key_at, weak_signature_at; /* chain index of the first weak
                                              one, -1 none */
    bool trust_store_newer;      /* judged against the system bundle, which
                                    is over a year newer than the capture */
    bool custom_trust;           /* judged against --ca-file/--ca-path, not
                                    the system bundle */
    bool client_clock;           /* the client called a leaf expired (or
                                    bad) that is valid at capture time */
    /* Leaf extensions (x509_ext.c), filled when leaf_parsed. */
    bool leaf_ca;                /* basicConstraints cA */
    int16_t path_len;            /* basicConstraints pathLen, -1 none */
    bool has_key_usage, has_eku;
    uint16_t key_usage;          /* bit i: rfc 5280 KeyUsage bit i */
    uint16_t eku;                /* X509_EKU_* bits of x509_ext.h */
    bool wrong_purpose;          /* a CA as leaf, or an EKU without the
                                    role's purpose (serverAuth/clientAuth) */
    uint8_t n_ocsp_urls, n_ca_issuers_urls, n_crl_urls;
    bool urls_truncated;         /* more (or longer) URLs than kept */
    /* Certificate Transparency: the SCT list embedded in the leaf (RFC 6962
     * §3.3), decoded by OpenSSL (x509_ext.c). */
    bool has_scts;
    bool scts_malformed;         /* the extension is there, undecodable */
    uint16_t n_scts;
    uint8_t n_sct_logs;          /* distinct log ids, first ones */
    uint64_t sct_earliest_us;    /* earliest SCT timestamp, 0 none */
    /* Lifetime against the CA/Browser Forum maximum for the issue date
     * (x509.c). Days count as the Baseline Requirements do: any part of
     * a day is a day, notAfter included. */
    int32_t lifetime_days;
    int32_t max_lifetime_days;   /* 0: issued before any maximum */
    int8_t lifetime_left_pct;    /* at capture time, 0..100; -1 unknown */
    bool renewal_overdue;        /* less left than the renewal window */
    /* Browsers that refuse this chain by their distrust dates although the
     * trust store accepts it (dissectors/distrust.c, rules/distrust.tsv). */
    uint8_t n_distrusted_by;
    bool distrust_by_sct;        /* decided on the earliest SCT, else on
                                    notBefore */
    /* A certificate signed with an algorithm this OpenSSL cannot verify
     * (ML-DSA, SLH-DSA before OpenSSL 3.5): no trust verdict is given. */
    bool signature_unverifiable;
    const char *pem;             /* --emit-certificates: the chain as PEM;
                                    owned by the stage's cache, valid until
                                    the next record is analyzed */
    /* Bodies: texts and arrays, read only where a mark above says they
     * are filled. `subject` must stay the first (cert_result_reset). */
    char subject[HS_CERT_NAME_LEN]; /* leaf facts */
    char issuer[HS_CERT_NAME_LEN];
    char subject_cn[HS_CERT_CN_LEN];
    char issuer_cn[HS_CERT_CN_LEN];
    /* Organization (O) and country (C) values of the subject and issuer
     * names, in name order, the first HS_NAME_ATTRS of each. */
    char subject_o[HS_NAME_ATTRS][HS_NAME_ATTR_LEN];
    char issuer_o[HS_NAME_ATTRS][HS_NAME_ATTR_LEN];
    char subject_c[HS_NAME_ATTRS][HS_NAME_ATTR_LEN];
    char issuer_c[HS_NAME_ATTRS][HS_NAME_ATTR_LEN];
    HS_LIST(struct san_text, HS_MAX_SANS) sans;
    char serial[80];             /* uppercase hex, as `openssl x509 -serial` */
    char key_alg[24];
    char curve[24];              /* EC keys: "prime256v1" ... */
    char sig_alg[32];
    char sha256[65], sha1[41];   /* uppercase hex of the DER (ECS) */
    struct cert_summary chain[HS_MAX_CERTS];
    char verify_error[96];       /* OpenSSL's text for verify_code */
    char ocsp_urls[HS_MAX_URLS][HS_URL_LEN];
    char ca_issuers_urls[HS_MAX_URLS][HS_URL_LEN];
    char crl_urls[HS_MAX_URLS][HS_URL_LEN];
    uint8_t sct_log_ids[HS_MAX_SCT_LOGS][32];
    char distrusted_by[HS_MAX_DISTRUST][16];
    char distrusted_ca[48];
    char unverifiable_alg[32];
};

/* Empty a chain's result: its marks only (see struct cert_result). */
static inline void cert_result_reset(struct cert_result *c)
{
    memset(c, 0, offsetof(struct cert_result, subject));
}

/* What earlier handshakes of this run showed about the same server
 * (rules/server_profile.c), copied in before the rules run so that they
 * can confirm a mismatch. Only handshakes decided before this one count. */
#define HS_PROFILE_CIPHERS 32
#define HS_PROFILE_GROUPS 16
enum evidence { EVIDENCE_NONE = 0, EVIDENCE_NO, EVIDENCE_YES };

struct server_evidence {
    bool known;                  /* some earlier handshake reached it */
    uint32_t established, failed;
    uint8_t version_ranks;       /* bit tls_version_rank(v): chosen before */
    uint16_t ciphers[HS_PROFILE_CIPHERS]; /* chosen before, first ones */
    uint8_t n_ciphers;
    uint16_t groups[HS_PROFILE_GROUPS];
    uint8_t n_groups;
    char usual_issuer[HS_CERT_NAME_LEN]; /* for this SNI, most seen */
    uint32_t usual_issuer_count;
    /* The last certificate shown in clear for this SNI, for handshakes
     * that hide theirs (TLS 1.3): its verdicts and leaf name. */
    bool cert_known;
    bool cert_untrusted, cert_incomplete_chain, cert_hostname_mismatch;
    bool cert_self_signed;
    int64_t cert_not_before, cert_not_after; /* seconds, 0 unknown */
    char cert_subject_cn[HS_CERT_CN_LEN];
    /* Comparisons of this handshake with that history. */
    enum evidence offered_version_accepted; /* an offered version was chosen */
    enum evidence offered_cipher_accepted;  /* an offered suite was chosen */
    enum evidence issuer_changed;           /* leaf issuer differs from usual */
    /* ECH across handshakes: this client's ECH attempt to this server that
     * failed right before this hello (a retry follows it at once), and the
     * handshakes established without ECH (RFC 9849 deployment problems:
     * a rejection makes the client retry, a block leaves plain hellos). */
    uint64_t ech_prior_flow;      /* 0: none within the window */
    uint8_t ech_prior_failure;    /* 1 rejected, 2 blocked */
    uint8_t ech_prior_config_id;
    enum evidence ech_config_known; /* this hello's ECH config id was used
                                       in an earlier hello to this server:
                                       a published config (GREASE picks a
                                       random id each time) */
    uint32_t client_plain_established; /* by this client, without ECH */
    uint32_t plain_established;        /* by any client, without ECH */
};

/* Rule findings (rules/engine.c); `rule` points into the loaded rule set,
 * which outlives every record evaluated with it. */
#define HS_MAX_FINDINGS 16
struct rule;

struct finding {
    const struct rule *rule;
    bool suppressed;     /* flood control: an identical alert went out
                            within the window; counted, not repeated */
    uint32_t repeats;    /* identical alerts suppressed before this one */
};

/* A stapled OCSP response (CertificateStatus, TLS <= 1.2) as sent; the
 * certificate stage reads it. */
#define HS_MAX_OCSP_BYTES (64u * 1024u)

struct ocsp_staple {
    bool seen;            /* the server sent CertificateStatus */
    uint8_t status_type;  /* 1: ocsp (RFC 6066) */
    bool truncated;       /* longer than HS_MAX_OCSP_BYTES: not kept */
    uint32_t der_len;
    uint8_t *der;         /* heap: the OCSPResponse */
};

/* What OpenSSL read from the staple (x509.c). */
enum ocsp_cert_status {
    OCSP_CERT_NONE = 0,   /* no single response for the leaf */
    OCSP_CERT_GOOD,
    OCSP_CERT_REVOKED,
    OCSP_CERT_UNKNOWN,
};

struct ocsp_result {
    bool analyzed;        /* a staple was there to read */
    bool parsed;          /* OpenSSL decoded the OCSPResponse */
    int8_t response_status; /* OCSP_RESPONSE_STATUS_*, -1 unknown */
    uint8_t cert_status;  /* enum ocsp_cert_status */
    int16_t reason;       /* CRL reason code of a revocation, -1 none */
    int64_t this_update, next_update, revoked_at; /* seconds, 0 absent */
};

/* QUIC (dissectors/quic.c): what the long headers and the Initial packets
 * showed. */
#define HS_QUIC_MAX_VERSIONS 8
#define HS_QUIC_REASON_LEN 96

struct quic_facts {
    uint32_t version;         /* of the server's Initial, else the client's */
    uint32_t client_version;  /* of the client's first Initial */
    uint8_t dcid[20];         /* the client's first Destination CID */
    uint8_t dcid_len;
    bool initial_decrypted;   /* an Initial packet's protection came off */
    bool initial_skipped;     /* not tried: the server's budget of new
                                 connections was spent (quic_budget.h) */
    bool retry;               /* the server sent a Retry */
    bool version_negotiation; /* the server sent a Version Negotiation */
    HS_LIST(uint32_t, HS_QUIC_MAX_VERSIONS) server_versions; /* listed in
                                                   it, each once */
    bool zero_rtt;            /* the client sent 0-RTT packets */
    uint32_t packets_initial[2], packets_handshake[2], packets_1rtt[2];
    uint32_t packets_0rtt;
    /* The first CONNECTION_CLOSE read (Initial packets only: later ones
     * are encrypted). */
    bool close_seen;
    bool close_application;   /* frame 0x1d */
    uint8_t close_sender;     /* enum tls_side */
    uint64_t close_error_code;
    uint64_t close_frame_type;
    char close_reason[HS_QUIC_REASON_LEN]; /* printable */
    bool tcp_fallback;        /* unanswered, and the client then reached
                                 the same server over TCP */
};

/* DTLS (dissectors/dtls.c): what its record layer showed. */
struct dtls_facts {
    bool hello_verify_request; /* the server asked for a cookie */
    uint8_t cookie_len;        /* the cookie it asked for */
    uint32_t retransmissions;  /* flights sent again, each counted once */
    uint32_t fragmented_messages; /* handshake messages sent in pieces */
    bool stun;                 /* STUN on the same 5-tuple before (WebRTC) */
    uint16_t max_epoch[2];     /* by side */
    bool unified_header;       /* DTLS 1.3 ciphertext records seen */
};

struct endpoint {
    uint8_t ip_version; /* 4 or 6 */
    uint8_t addr[16];   /* IPv4 in the first 4 bytes */
    uint16_t port;
};

/* The sensor that saw the traffic (ECS observer.*), for events that reach
 * a SIEM from many sensors: part of a live run's configuration (a file has
 * none). A NULL member is left out; the strings outlive the run. */
struct observer {
    const char *hostname;
    const char *interface;
};

/* The strings the fingerprints are hashes of (fingerprint.c), built once
 * per record so that each output and alert reads them rather than
 * building them again. HS_FP_TEXT holds every list the record can hold
 * in either form (a few kilobytes at most): nothing is ever cut. */
#define HS_FP_TEXT 4096
struct fingerprint_text {
    char ja3[HS_FP_TEXT];   /* "771,4865-4866,0-23,29-23,0" */
    char ja3s[HS_FP_TEXT];  /* "771,4865,43-51" */
    /* JA4 "a" part, '_', two lists of up to HS_FP_TEXT each, '_'. */
    char ja4_r[11 + 2 + 2 * HS_FP_TEXT];
};

/* The report: what the stages after the decision derive from a decided
 * record, not what the wire said. Enrichment (certificates, OCSP,
 * fingerprints, ids) and diagnosis (server history, rules) fill it at emit
 * time in the emitting worker's scratch (analyzer/pipeline.c), so no flow
 * carries it while its handshake is open; it lives until that worker emits
 * its next record. Outputs render the record before then (they keep bytes,
 * never records).
 *
 * A fresh report costs what the record uses: handshake_report_reset zeroes
 * the small parts and only the marks of the big ones (the findings' counts,
 * each chain's marks, struct cert_result), never their bodies, which hold
 * an earlier record's bytes (or none yet). So a stage that fills a part
 * writes each body it marks as filled, and a reader reads a body only
 * below its count or under its mark. */
struct handshake_report {
    /* Marks and small parts, zeroed whole by handshake_report_reset. */
    struct ocsp_result ocsp_result; /* certificate stage (x509.c) */

    /* Fingerprints (fingerprint.c); empty when they could not be made
     * exactly (no hello, or a hello too big for the record's arrays). */
    char ja3[33], ja3s[33];      /* MD5, lowercase hex */
    char ja4[40];                /* t13d1516h2_8daaf6152771_e5627efa2ab1 */
    /* Marks of the strings behind them (`fingerprint_text` below): set
     * with their hash, when the string is written whole. */
    bool ja3_text_made, ja3s_text_made, ja4_r_made;
    char community_id[32];       /* "1:" + base64(SHA-1), community_id.c */
    char event_id[24];           /* 20 hex digits, community_id.c */
    struct observer observer;    /* the run's sensor, copied at emit */

    /* Diagnosis: server history, then the rules (findings below). */
    struct server_evidence server_profile;
    bool diagnosed;              /* rules ran on this record */
    int8_t primary;              /* finding naming the primary cause, -1 */

    /* nDPI's view of the flow (analyzer/classify.c), copied from the flow
     * when the record is emitted. */
    char ndpi_protocol[48]; /* nDPI master.app name, e.g. "TLS.YouTube" */
    char ndpi_app[32];
    char ndpi_category[32];
    uint64_t ndpi_risks;    /* bit i: nDPI flow risk i (ndpi_risk_enum) */
    char ndpi_server_name[80]; /* nDPI's SNI reading, for comparison */
    uint16_t ndpi_tls_version; /* nDPI's version reading, 0 none */

    /* Parts with bodies, of which the reset empties only the marks:
     * `findings` must stay the first (handshake_report_reset). */
    HS_LIST(struct finding, HS_MAX_FINDINGS) findings; /* the rules */
    struct cert_result server_cert; /* certificate stage (x509.c) */
    struct cert_result client_cert;
    struct fingerprint_text fingerprint_text; /* under the marks above */
};

/* Facts most handshakes never have, kept apart so that a flow carries
 * their bytes only once one of them is written (struct handshake's `rare`,
 * dissectors/tls.c allocates it). */
struct handshake_rare {
    struct hello_retry hrr;      /* HelloRetryRequest: ~1 % of handshakes */
    struct quic_facts quic;      /* QUIC flows only */
    struct cert_chain client_certs;
    HS_LIST(struct tls_alert, HS_MAX_ALERTS) alerts; /* mostly failures */
    char starttls_refusal[96];   /* STARTTLS: the server's refusal,
                                    printable, NUL-terminated */
};

struct handshake {
    uint64_t flow_id;
    uint32_t round;        /* 0 for the first handshake on a connection */

    /* Endpoints after role assignment. */
    struct endpoint client, server;
    uint16_t vlan[2];
    uint8_t n_vlan;
    bool roles_from_syn;   /* false: taken from the direction of the hellos */
    bool midstream;        /* no SYN seen */

    enum hs_transport transport;
    struct dtls_facts dtls;
    uint8_t icmp_unreach;  /* an ICMP unreachable for the server: enum
                              icmp_unreach of analyzer/decode.h, 0 none */

    uint64_t flow_start_us, flow_end_us;
    uint64_t packets[2];   /* indexed by enum tls_side */
    uint64_t bytes[2];     /* IP payload bytes */

    struct client_hello ch;
    /* Parts only some handshakes have, allocated when first written
     * (charged to --memcap, freed with the flow; dissectors/tls.c), NULL
     * otherwise or when the budget refused them (parse_error says so). */
    struct client_hello *ch2; /* second ClientHello, after an HRR */
    struct encrypted_extensions *ee; /* key log only */
    /* The few facts of struct handshake_rare: NULL until one is written,
     * never refused. Read it through hs_rare(). */
    struct handshake_rare *rare;
    struct server_hello sh;
    struct decryption decryption;   /* key log only */
    struct cert_chain server_certs;
    struct ocsp_staple ocsp;        /* as sent */
    bool client_cert_empty;  /* client answered a request with no certs */
    bool certificate_request;
    bool server_key_exchange;
    bool server_hello_done;
    bool client_key_exchange;
    bool new_session_ticket;
    bool ccs[2];             /* ChangeCipherSpec sent, by side */
    bool finished[2];        /* Finished sent (encrypted), by side */
    uint64_t finished_ts_us[2]; /* when each Finished was seen, 0 never */
    bool app_data[2];        /* application data sent, by side */
    uint32_t encrypted_records[2]; /* after keys changed, by side */
    uint16_t first_client_encrypted_len; /* TLS 1.3: Finished or alert? */
    /* Established handshakes: the client's first record after it was an
     * alert and the client closed without data (YES), or the client sent
     * data (NO); NONE when the watch ended before either. */
    uint8_t client_closed_after_handshake; /* enum evidence */

    /* How the client's first flight (its ClientHello) crossed TCP
     * (analyzer/stream_opening.c): for hellos split over segments and
     * segments lost on the path. */
    struct {
        bool known;              /* the stream's start was seen (SYN) */
        uint8_t segments;        /* segments carrying the hello's bytes */
        uint16_t retransmissions;/* hello segments sent again */
        uint32_t largest_segment;/* payload bytes */
        bool acked;              /* the server acknowledged the whole hello */
        bool server_reacted_early; /* server data, FIN or RST before the
                                      hello's last byte was sent */
    } hello_tcp;
    /* Heartbeat records (RFC 6520, type 24) seen during the handshake. */
    struct {
        uint16_t records[2];     /* by side */
        uint16_t largest[2];     /* longest record, by side */
        bool overread;           /* a request announces more payload than
                                    its record holds (Heartbleed) */
        bool oversized_response; /* the server's heartbeat record is longer
                                    than any the client sent */
    } heartbeat;

    /* Stream quality. */
    uint32_t gaps;          /* holes in either direction's byte stream */
    uint64_t gap_bytes;
    bool resynced;          /* parser skipped to a later record header */
    bool stream_capped;     /* the per-direction dissection cap stopped
                             * the reading before a decision */
    bool parse_error;       /* a message did not parse; facts may be partial */
    char parse_error_what[64];
    struct parse_fault_at parse_fault; /* what its parser found wrong, and
                                        * where in the message body; kind
                                        * NONE for notes that are no parse
                                        * (a cap, a message from the wrong
                                        * side) */

    /* Decision (outcome.c). */
    enum hs_outcome outcome;
    enum hs_ended_by ended_by;
    int8_t ended_by_side;   /* enum tls_side, or -1 */
    enum hs_stage stage;    /* furthest stage reached */
    enum hs_stage failure_stage;
    bool resumed;
    uint64_t decided_us;
    int64_t handshake_us;        /* ClientHello to decision; -1 unknown */
    int64_t server_response_us;  /* ClientHello to first server byte; -1 */
    char not_tls_preview[24];    /* printable start of a non-TLS answer */

    /* STARTTLS (dissectors/starttls.c): the plaintext protocol that upgraded
     * (or asked to); the server's refusal is in the rare part. */
    uint8_t starttls;            /* enum starttls_proto, 0 none */

    /* What is derived from the record once it is decided (see struct
     * handshake_report): set by the pipeline while the record is emitted,
     * NULL otherwise. Readers of an emitted record reach the report only
     * through this. */
    struct handshake_report *report;
};

/* Suite i of a ClientHello's cipher list (i < ciphers.n), as the wire's
 * low two bytes. */
static inline uint16_t client_hello_suite(const struct client_hello *ch,
                                          size_t i)
{
    return i < HS_CIPHERS_INLINE ? ch->ciphers.head[i]
                                 : ch->cipher_spill[i - HS_CIPHERS_INLINE];
}

/* Copies a ClientHello's cipher list, for readers that want it in one
 * array; returns ciphers.n. */
static inline size_t client_hello_suites(const struct client_hello *ch,
                                         uint16_t out[HS_MAX_CIPHERS])
{
    for (size_t i = 0; i < ch->ciphers.n; i++)
        out[i] = client_hello_suite(ch, i);
    return ch->ciphers.n;
}

/* Cipher i of a ClientHello (i < ciphers.n), SSLv2 specs whole. */
static inline uint32_t client_hello_cipher(const struct client_hello *ch,
                                           size_t i)
{
    uint32_t v = client_hello_suite(ch, i);
    for (size_t k = 0; k < ch->n_sslv2_kinds; k++)
        if (ch->sslv2_kinds[k].at == i)
            v |= (uint32_t)ch->sslv2_kinds[k].hi << 16;
    return v;
}

/* Where a ClientHello's ALPN names are, and how many bytes that holds. */
static inline const char *client_hello_alpn_text(const struct client_hello *ch,
                                                 size_t *room)
{
    *room = ch->alpn_spill ? HS_ALPN_SPILL : HS_ALPN_TEXT;
    return ch->alpn_spill ? ch->alpn_spill : ch->alpn_text;
}

/* ALPN name i of a ClientHello (i < n_alpn), NUL-terminated. */
static inline const char *client_hello_alpn(const struct client_hello *ch,
                                            size_t i)
{
    size_t room;
    return client_hello_alpn_text(ch, &room) + ch->alpn_at[i];
}

/* Empty a report (see struct handshake_report): the small parts whole, the
 * big ones by their marks. */
static inline void handshake_report_reset(struct handshake_report *r)
{
    memset(r, 0, offsetof(struct handshake_report, findings));
    HS_LIST_CLEAR(r->findings);
    cert_result_reset(&r->server_cert);
    cert_result_reset(&r->client_cert);
}

/* Give a decided record an empty report to fill (the pipeline at emit
 * time; tests and tools that build records by hand). */
static inline void handshake_attach_report(struct handshake *h,
                                           struct handshake_report *r)
{
    handshake_report_reset(r);
    h->report = r;
}

/* Note what did not parse: the first fault is the informative one. */
static inline void handshake_note_error(struct handshake *h, const char *what)
{
    if (h->parse_error)
        return;
    h->parse_error = true;
    size_t n = 0;
    while (what[n] && n + 1 < sizeof h->parse_error_what) {
        h->parse_error_what[n] = what[n];
        n++;
    }
    h->parse_error_what[n] = '\0';
}

/* Note a message whose parser failed, with the fault it found. */
static inline void handshake_note_fault(struct handshake *h, const char *what,
                                        struct parse_fault_at fault)
{
    if (h->parse_error)
        return;
    handshake_note_error(h, what);
    h->parse_fault = fault;
}

/* Append an alert to the record (the first HS_MAX_ALERTS are kept, all
 * are counted), as the transports that see alerts outside TLS records
 * need: QUIC's CONNECTION_CLOSE, and closes inferred from encrypted
 * packets. `rare` is h's rare part, taken for writing (tls_record_rare).
 * Returns the alert kept, NULL when the list is full. */
static inline struct tls_alert *
handshake_add_alert(struct handshake *h, struct handshake_rare *rare,
                    enum tls_side sender, bool encrypted, uint8_t level,
                    uint8_t desc, uint16_t length, uint64_t ts_us)
{
    struct tls_alert *a = HS_LIST_SLOT(rare->alerts);
    if (!a)
        return NULL;
    a->sender = (uint8_t)sender;
    a->encrypted = encrypted;
    a->level = level;
    a->description = desc;
    a->length = length;
    a->stage = (uint8_t)h->stage;
    a->ts_us = ts_us;
    return a;
}

/* The rare part of a record, or one with nothing in it when none was
 * written: readers need no NULL check. */
extern const struct handshake_rare handshake_rare_none;

static inline const struct handshake_rare *hs_rare(const struct handshake *h)
{
    return h->rare ? h->rare : &handshake_rare_none;
}

/* Give a record built by hand (tests, tools) an empty rare part of the
 * caller's to write. */
static inline struct handshake_rare *
handshake_attach_rare(struct handshake *h, struct handshake_rare *r)
{
    *r = (struct handshake_rare){0};
    h->rare = r;
    return r;
}

#endif
