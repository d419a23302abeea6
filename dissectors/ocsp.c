/* ocsp.c — reads a stapled OCSP response (see ocsp.h).
 *
 * The single response for the leaf is found by its certificate id when the
 * chain carries the issuer (issuer name and key hashes, and the serial),
 * else by the serial alone. The response's signature is not verified: a
 * passive observer reports what the server stapled, and the client — who
 * does verify it — is the one whose alert says whether it believed it. */
#include "ocsp.h"

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

#include "cert_decode.h"

static X509 *chain_cert(const struct cert_chain *c, size_t i)
{
    if (!c->der || i >= c->n_certs)
        return NULL;
    uint32_t off = c->certs[i].off, len = c->certs[i].len;
    /* The dissector keeps offsets inside the DER; checked again here
     * because a certificate past them would be read out of bounds. */
    if (off > c->der_len || len > c->der_len - off || len == 0)
        return NULL;
    /* Trailing bytes: the certificate stage calls it malformed, so the
     * staple is not matched against it either. */
    return cert_decode(c->der + off, len);
}

static int64_t gentime_seconds(const ASN1_GENERALIZEDTIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

/* The leaf's single response: by certificate id, or by serial alone. */
static OCSP_SINGLERESP *leaf_response(OCSP_BASICRESP *bs, X509 *leaf,
                                      X509 *issuer)
{
    if (issuer) {
        OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
        int i = id ? OCSP_resp_find(bs, id, -1) : -1;
        OCSP_CERTID_free(id);
        if (i >= 0)
            return OCSP_resp_get0(bs, i);
        /* The responder may have hashed with another digest: fall back. */
    }
    const ASN1_INTEGER *serial = X509_get0_serialNumber(leaf);
    for (int i = 0; i < OCSP_resp_count(bs); i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
        ASN1_INTEGER *sn = NULL;
        if (OCSP_id_get0_info(NULL, NULL, NULL, &sn,
                              (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) &&
            sn && ASN1_INTEGER_cmp(sn, serial) == 0)
            return single;
    }
    return NULL;
}

void ocsp_analyze(const struct ocsp_staple *staple,
                  const struct cert_chain *chain, struct ocsp_result *out)
{
    memset(out, 0, sizeof(*out));
    out->response_status = -1;
    out->reason = -1;
    if (!staple->seen || staple->status_type != 1 || !staple->der)
        return;
    out->analyzed = true;
    const unsigned char *p = staple->der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, staple->der_len);
    if (!resp)
        return;
    out->parsed = true;
    out->response_status = (int8_t)OCSP_response_status(resp);
    OCSP_BASICRESP *bs = out->response_status ==
                                 OCSP_RESPONSE_STATUS_SUCCESSFUL
                             ? OCSP_response_get1_basic(resp)
                             : NULL;
    X509 *leaf = bs ? chain_cert(chain, 0) : NULL;
    X509 *issuer = leaf ? chain_cert(chain, 1) : NULL;
    if (issuer && X509_check_issued(issuer, leaf) != X509_V_OK) {
        X509_free(issuer);
        issuer = NULL;
    }
    OCSP_SINGLERESP *single = leaf ? leaf_response(bs, leaf, issuer) : NULL;
    if (single) {
        int reason = -1;
        ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
        int st = OCSP_single_get0_status(single, &reason, &rev, &thisupd,
                                         &nextupd);
        out->cert_status = st == V_OCSP_CERTSTATUS_GOOD      ? OCSP_CERT_GOOD
                           : st == V_OCSP_CERTSTATUS_REVOKED ? OCSP_CERT_REVOKED
                           : st == V_OCSP_CERTSTATUS_UNKNOWN ? OCSP_CERT_UNKNOWN
                                                             : OCSP_CERT_NONE;
        out->reason = st == V_OCSP_CERTSTATUS_REVOKED && reason >= 0
                          ? (int16_t)reason
                          : -1;
        out->revoked_at = gentime_seconds(rev);
        out->this_update = gentime_seconds(thisupd);
        out->next_update = gentime_seconds(nextupd);
    }
    X509_free(issuer);
    X509_free(leaf);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
}

const char *ocsp_response_status_name(int status)
{
    static const char *const names[] = {
        "successful",  "malformedRequest", "internalError", "tryLater",
        NULL,          "sigRequired",      "unauthorized",
    };
    return status >= 0 && status < 7 ? names[status] : NULL;
}

const char *ocsp_cert_status_name(enum ocsp_cert_status s)
{
    switch (s) {
    case OCSP_CERT_GOOD: return "good";
    case OCSP_CERT_REVOKED: return "revoked";
    case OCSP_CERT_UNKNOWN: return "unknown";
    default: return NULL;
    }
}

const char *ocsp_reason_name(int reason)
{
    static const char *const names[] = {
        "unspecified",          "keyCompromise",   "cACompromise",
        "affiliationChanged",   "superseded",      "cessationOfOperation",
        "certificateHold",      NULL,              "removeFromCRL",
        "privilegeWithdrawn",   "aACompromise",
    };
    return reason >= 0 && reason < 11 ? names[reason] : NULL;
}
