/* causes.c — the catalogue of failure causes a rule may name: the rows of
 * DIAGNOSES.md, with the one-line summary the text output and the summary
 * use. A rule naming anything else is refused when it is loaded. */
#include <string.h>

#include "engine.h"

static const struct rule_cause causes[] = {
    {"protocol_version_mismatch", "no TLS version in common"},
    {"cipher_mismatch", "no cipher suite in common"},
    {"group_mismatch", "no key-exchange group in common"},
    {"missing_sni", "no SNI sent to a server that needs one"},
    {"hostname_mismatch", "certificate does not cover the requested name"},
    {"incomplete_chain", "server does not send its intermediates"},
    {"cert_expired", "certificate expired or not yet valid"},
    {"cert_revoked", "certificate revoked"},
    {"untrusted_cert", "certificate not trusted (self-signed or private "
                       "root)"},
    {"client_clock", "the client's clock is wrong"},
    {"client_rejected", "the client aborted the handshake"},
    {"interception", "a middlebox intercepts TLS"},
    {"client_cert_required", "server requires a client certificate"},
    {"alpn_mismatch", "no application protocol in common"},
    {"inappropriate_fallback", "downgrade retry refused by the server"},
    {"not_tls", "the server does not speak TLS on that port"},
    {"server_reset", "server closed the connection after the ClientHello"},
    {"no_response", "the ClientHello was never answered"},
    {"weak_crypto", "established with weak cryptography"},
};

size_t rules_causes_count(void)
{
    return sizeof(causes) / sizeof(causes[0]);
}

const struct rule_cause *rules_cause_at(size_t i)
{
    return i < rules_causes_count() ? &causes[i] : NULL;
}

const struct rule_cause *rules_cause_find(const char *id)
{
    for (size_t i = 0; i < rules_causes_count(); i++)
        if (strcmp(causes[i].id, id) == 0)
            return &causes[i];
    return NULL;
}
