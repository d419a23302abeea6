/* quicshim.c — LD_PRELOAD knobs for ngtcp2's example client (gtlsclient),
 * which never verifies the server and always offers its own ALPN:
 *   QUICSHIM_CAFILE=PEM   trust these CAs (added to the client's credentials)
 *   QUICSHIM_VERIFY=NAME  have GnuTLS verify the server's chain for NAME
 *   QUICSHIM_ALPN=a,b,c   offer these ALPN names instead
 *   QUICSHIM_SNI=NAME     send NAME as SNI (the client sends "localhost"
 *                         for an address)
 * GnuTLS does the verifying and ngtcp2 the QUIC; the shim only turns the
 * checks on. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>

int gnutls_server_name_set(gnutls_session_t s, gnutls_server_name_type_t t,
                           const void *name, size_t len)
{
    int (*real)(gnutls_session_t, gnutls_server_name_type_t, const void *,
                size_t) = dlsym(RTLD_NEXT, "gnutls_server_name_set");
    const char *ca = getenv("QUICSHIM_CAFILE"), *verify = getenv("QUICSHIM_VERIFY");
    void *cred = NULL;
    if (ca && *ca &&
        gnutls_credentials_get(s, GNUTLS_CRD_CERTIFICATE, &cred) == 0 && cred)
        gnutls_certificate_set_x509_trust_file(cred, ca, GNUTLS_X509_FMT_PEM);
    const char *sni = getenv("QUICSHIM_SNI");
    if (verify && *verify)
        gnutls_session_set_verify_cert(s, verify, 0);
    if (sni && *sni)
        return real(s, t, sni, strlen(sni));
    return real(s, t, name, len);
}

int gnutls_alpn_set_protocols(gnutls_session_t s, const gnutls_datum_t *p,
                              unsigned n, unsigned flags)
{
    int (*real)(gnutls_session_t, const gnutls_datum_t *, unsigned,
                unsigned) = dlsym(RTLD_NEXT, "gnutls_alpn_set_protocols");
    const char *want = getenv("QUICSHIM_ALPN");
    if (!want || !*want)
        return real(s, p, n, flags);
    gnutls_datum_t list[256];
    unsigned k = 0;
    char *copy = strdup(want), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && k < 256;
         tok = strtok_r(NULL, ",", &save)) {
        list[k].data = (unsigned char *)tok;
        list[k].size = (unsigned)strlen(tok);
        k++;
    }
    int rc = real(s, list, k, flags); /* GnuTLS copies the names */
    free(copy);
    return rc;
}
