/* x509_ext.c — a leaf certificate's extensions: basic constraints, key
 * usage, extended key usage, AIA and CRL distribution points, embedded
 * Certificate Transparency timestamps (see x509_ext.h). */
#include "x509_ext.h"

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "array_len.h"

static const char *const key_usage_names[] = {
    "digitalSignature", "nonRepudiation", "keyEncipherment",
    "dataEncipherment", "keyAgreement",   "keyCertSign",
    "cRLSign",          "encipherOnly",   "decipherOnly",
};

static const char *const eku_names[] = {
    "serverAuth",   "clientAuth",   "emailProtection",     "codeSigning",
    "OCSPSigning",  "timeStamping", "anyExtendedKeyUsage", "other",
};

const char *x509_key_usage_name(unsigned bit)
{
    return bit < ARRAY_LEN(key_usage_names) ? key_usage_names[bit] : NULL;
}

const char *x509_eku_name(unsigned bit)
{
    return bit < ARRAY_LEN(eku_names) ? eku_names[bit] : NULL;
}

/* KeyUsage as RFC 5280 numbers its bits (digitalSignature is bit 0), from
 * OpenSSL's KU_* flags, which follow the DER bit string's byte layout. */
static uint16_t key_usage_bits(uint32_t ku)
{
    static const uint32_t flags[] = {
        KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT,
        KU_DATA_ENCIPHERMENT, KU_KEY_AGREEMENT,   KU_KEY_CERT_SIGN,
        KU_CRL_SIGN,          KU_ENCIPHER_ONLY,   KU_DECIPHER_ONLY,
    };
    uint16_t bits = 0;
    for (unsigned i = 0; i < ARRAY_LEN(flags); i++)
        if (ku & flags[i])
            bits |= (uint16_t)(1u << i);
    return bits;
}

static uint16_t eku_bits(X509 *x)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL,
                                               NULL);
    if (!eku)
        return 0;
    uint16_t bits = 0;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        switch (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i))) {
        case NID_server_auth: bits |= X509_EKU_SERVER_AUTH; break;
        case NID_client_auth: bits |= X509_EKU_CLIENT_AUTH; break;
        case NID_email_protect: bits |= X509_EKU_EMAIL; break;
        case NID_code_sign: bits |= X509_EKU_CODE_SIGNING; break;
        case NID_OCSP_sign: bits |= X509_EKU_OCSP_SIGNING; break;
        case NID_time_stamp: bits |= X509_EKU_TIME_STAMPING; break;
        case NID_anyExtendedKeyUsage: bits |= X509_EKU_ANY; break;
        default: bits |= X509_EKU_OTHER; break;
        }
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return bits;
}

/* Keep a URI if there is room and it is printable ASCII that fits; the
 * rest only marks the list cut. */
static void keep_uri(const GENERAL_NAME *g, char (*urls)[HS_URL_LEN],
                     uint8_t *n, struct cert_result *r)
{
    if (g->type != GEN_URI)
        return;
    const unsigned char *d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
    int len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
    if (len <= 0)
        return;
    if (*n >= HS_MAX_URLS || (size_t)len >= HS_URL_LEN) {
        r->urls_truncated = true;
        return;
    }
    for (int i = 0; i < len; i++)
        if (d[i] < 0x21 || d[i] > 0x7e)
            return; /* not a URL anyone could fetch; never shown raw */
    memcpy(urls[*n], d, (size_t)len);
    urls[*n][len] = '\0';
    (*n)++;
}

static void access_urls(X509 *x, struct cert_result *r)
{
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL,
                                                  NULL);
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        int method = OBJ_obj2nid(ad->method);
        if (method == NID_ad_OCSP)
            keep_uri(ad->location, r->ocsp_urls, &r->n_ocsp_urls, r);
        else if (method == NID_ad_ca_issuers)
            keep_uri(ad->location, r->ca_issuers_urls, &r->n_ca_issuers_urls,
                     r);
    }
    AUTHORITY_INFO_ACCESS_free(aia);

    CRL_DIST_POINTS *crld = X509_get_ext_d2i(x, NID_crl_distribution_points,
                                             NULL, NULL);
    for (int i = 0; crld && i < sk_DIST_POINT_num(crld); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(crld, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue; /* a name relative to the issuer has no URL */
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int k = 0; k < sk_GENERAL_NAME_num(names); k++)
            keep_uri(sk_GENERAL_NAME_value(names, k), r->crl_urls,
                     &r->n_crl_urls, r);
    }
    CRL_DIST_POINTS_free(crld);
}

/* The SCT list (RFC 6962 §3.3), which OpenSSL decodes from its TLS
 * encoding inside the extension's OCTET STRING. Log ids are kept once each,
 * in list order; the earliest timestamp is what Chrome's distrust dates
 * are measured against. */
static void embedded_scts(X509 *x, struct cert_result *r)
{
    if (X509_get_ext_by_NID(x, NID_ct_precert_scts, -1) < 0)
        return;
    r->has_scts = true;
    STACK_OF(SCT) *scts = X509_get_ext_d2i(x, NID_ct_precert_scts, NULL,
                                           NULL);
    if (!scts) {
        r->scts_malformed = true;
        ERR_clear_error();
        return;
    }
    int n = sk_SCT_num(scts);
    r->n_scts = n > 0 && n < UINT16_MAX ? (uint16_t)n : 0;
    for (int i = 0; i < n; i++) {
        const SCT *sct = sk_SCT_value(scts, i);
        unsigned char *id = NULL;
        size_t id_len = SCT_get0_log_id(sct, &id);
        uint64_t ms = SCT_get_timestamp(sct);
        if (ms && ms < UINT64_MAX / 1000u &&
            (!r->sct_earliest_us || ms * 1000u < r->sct_earliest_us))
            r->sct_earliest_us = ms * 1000u;
        if (id_len != 32 || !id)
            continue;
        bool known = false;
        for (uint8_t k = 0; k < r->n_sct_logs && !known; k++)
            known = memcmp(r->sct_log_ids[k], id, 32) == 0;
        if (!known && r->n_sct_logs < HS_MAX_SCT_LOGS)
            memcpy(r->sct_log_ids[r->n_sct_logs++], id, 32);
    }
    SCT_LIST_free(scts);
}

void x509_leaf_extensions(X509 *x, bool server, struct cert_result *r)
{
    embedded_scts(x, r);
    uint32_t flags = X509_get_extension_flags(x);
    r->leaf_ca = (flags & EXFLAG_CA) != 0;
    long pathlen = X509_get_pathlen(x);
    r->path_len = pathlen >= 0 && pathlen <= INT16_MAX ? (int16_t)pathlen : -1;
    uint32_t ku = X509_get_key_usage(x);
    r->has_key_usage = ku != UINT32_MAX;
    r->key_usage = r->has_key_usage ? key_usage_bits(ku) : 0;
    r->has_eku = (flags & EXFLAG_XKUSAGE) != 0;
    r->eku = r->has_eku ? eku_bits(x) : 0;
    uint16_t purpose = server ? X509_EKU_SERVER_AUTH : X509_EKU_CLIENT_AUTH;
    r->wrong_purpose = r->leaf_ca ||
                       (r->has_eku && !(r->eku & (purpose | X509_EKU_ANY)));
    access_urls(x, r);
}
