/* causes.c — the catalogue of failure causes a rule may name: the rows of
 * DIAGNOSES.md, with the one-line summary the text output and the summary
 * use, what is wrong, and the order in which causes outrank each other;
 * then the causes site rule files declare (`causes:`). A rule naming
 * anything else is refused when it is loaded.
 *
 * The order of the table is the cause ranking (docs/causes.md): when two
 * matching rules have the same severity and confidence, the cause listed
 * first here is the primary one. The more specific explanation comes
 * first: an interception CA explains an untrusted chain, a wrong client
 * clock explains an "expired" alert, a hello split over segments explains
 * a reset after it. `unknown` is last: it is what no rule explains. A
 * site's own causes rank before the built-in ones: the site knows its
 * network better than the catalogue does.
 *
 * Site causes are only ever added, for the life of the process, so that
 * the summary's per-cause counters keep their index across a SIGHUP
 * reload; workers read the table while a reload adds to it, so an entry
 * is filled before the count that publishes it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_len.h"
#include "engine.h"

static const struct rule_cause causes[] = {
    {"heartbleed", "Heartbleed attempt or vulnerable server",
     "a heartbeat request announces more payload than its record holds "
     "(CVE-2014-0160), or the server answers one with more than was asked"},
    {"interception", "a middlebox intercepts TLS",
     "a middlebox (TLS inspection, proxy) re-signs the server's "
     "certificate"},
    {"client_clock", "the client's clock is wrong",
     "the client calls a certificate expired that is valid at the capture "
     "time"},
    {"cert_revoked", "certificate revoked",
     "the server's certificate was revoked by its CA"},
    {"cert_expired", "certificate expired or not yet valid",
     "the server's certificate is outside its validity at the capture "
     "time"},
    {"cert_distrusted", "certificate from a CA browsers distrust",
     "the chain verifies against the system trust store, but its CA is one "
     "browsers distrust for certificates issued after a date "
     "(rules/distrust.tsv)"},
    {"client_cert_wrong_purpose", "client certificate not made for client "
                                  "authentication",
     "the client's certificate lacks the clientAuth extended key usage "
     "(public CAs stopped issuing it in 2026)"},
    {"client_cert_required", "server requires a client certificate",
     "the server demands a client certificate (mutual TLS) and gets none "
     "or one it refuses"},
    {"missing_sni", "no SNI sent to a server that needs one",
     "the client sent no server_name to a server that hosts several "
     "names"},
    {"hostname_mismatch", "certificate does not cover the requested name",
     "the certificate does not cover the name the client asked for"},
    {"incomplete_chain", "server does not send its intermediates",
     "the server sends its certificate without the intermediate CA "
     "certificates"},
    {"untrusted_cert", "certificate not trusted (self-signed or private "
                       "root)",
     "the chain ends at a self-signed certificate or a root the client "
     "does not trust"},
    {"ech_rejected", "the server rejected the client's Encrypted Client "
                     "Hello",
     "the client-facing server did not take the ECH config the client had "
     "(published in DNS): the client aborts after the server's flight and "
     "retries with the server's retry configs"},
    {"weak_crypto", "weak cryptography (refused, or established with it)",
     "an old protocol version, a broken suite, or a certificate with a "
     "weak key or signature hash"},
    {"protocol_version_mismatch", "no TLS version in common",
     "client and server share no TLS version"},
    {"cipher_mismatch", "no cipher suite in common",
     "client and server share no cipher suite"},
    {"group_mismatch", "no key-exchange group in common",
     "client and server share no key-exchange group (TLS 1.3)"},
    {"alpn_mismatch", "no application protocol in common",
     "client and server share no application protocol (ALPN)"},
    {"inappropriate_fallback", "downgrade retry refused by the server",
     "the client retried with a lower version and the server refused the "
     "downgrade"},
    {"split_hello_intolerance", "server or middlebox cannot read a "
                                "ClientHello over several segments",
     "a server or middlebox reads only the first segment of a ClientHello "
     "that spans several (large post-quantum key shares)"},
    {"path_mtu_blackhole", "large segments dropped on the path",
     "a full-size segment is silently dropped on the path (path MTU black "
     "hole) while small ones pass"},
    {"malformed_hello", "server could not parse the ClientHello",
     "the server refuses the ClientHello as malformed (decode_error, "
     "illegal_parameter): a client bug, a replayed hello, or a middlebox "
     "that altered it"},
    {"not_tls", "the server does not speak TLS on that port",
     "the server answers in another protocol, or refuses the STARTTLS "
     "upgrade"},
    {"quic_version_mismatch", "no QUIC version in common",
     "the server answered the client's QUIC Initial with a Version "
     "Negotiation listing none the client speaks"},
    {"port_unreachable", "nothing listens on the UDP port",
     "an ICMP port unreachable came back for the client's QUIC or DTLS "
     "hello: nothing listens there"},
    {"quic_blocked", "QUIC (UDP) blocked; the client fell back to TCP",
     "the client's QUIC Initials were never answered and it reached the "
     "same server over TCP right after: UDP is blocked on the way"},
    {"ech_blocked", "hellos carrying Encrypted Client Hello are blocked",
     "hellos with Encrypted Client Hello are reset or never answered while "
     "the same clients reach the server without it: a filter on the path"},
    {"server_reset", "server closed the connection after the ClientHello",
     "the connection is reset or closed without an alert after the "
     "ClientHello"},
    {"no_response", "the ClientHello was never answered",
     "the ClientHello was never answered"},
    {"client_rejected", "the client aborted the handshake",
     "the client aborted: its configuration, a user, or security "
     "software"},
    {"one_sided_capture", "the capture holds one direction only",
     "the capture holds the packets of one side only (asymmetric routing, "
     "a one-way mirror port, a capture filter): how the handshake ended "
     "cannot be read from it"},
    {"unknown", "failed, no rule explains it",
     "the handshake failed and no rule explains why; the alert event "
     "still says at which stage and who ended it"},
};

#define N_BUILTIN ARRAY_LEN(causes)

static struct rule_cause site[RULES_MAX_CAUSES];
static _Atomic size_t n_site;
static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;

size_t rules_causes_count(void)
{
    return N_BUILTIN + atomic_load_explicit(&n_site, memory_order_acquire);
}

const struct rule_cause *rules_cause_at(size_t i)
{
    if (i < N_BUILTIN)
        return &causes[i];
    return i < rules_causes_count() ? &site[i - N_BUILTIN] : NULL;
}

bool rules_cause_builtin(const char *id)
{
    for (size_t i = 0; i < N_BUILTIN; i++)
        if (strcmp(causes[i].id, id) == 0)
            return true;
    return false;
}

bool rules_cause_register(const struct rule_cause *c, char *err, size_t n)
{
    if (rules_cause_builtin(c->id)) {
        snprintf(err, n, "cause '%s' is built in", c->id);
        return false;
    }
    pthread_mutex_lock(&site_lock);
    size_t k = atomic_load_explicit(&n_site, memory_order_relaxed);
    bool ok = true;
    for (size_t i = 0; i < k; i++)
        if (strcmp(site[i].id, c->id) == 0)
            goto done; /* declared by an earlier load: keep its index */
    if (N_BUILTIN + k >= RULES_MAX_CAUSES) {
        snprintf(err, n, "more than %d causes in all", RULES_MAX_CAUSES);
        ok = false;
        goto done;
    }
    char *id = strdup(c->id), *summary = strdup(c->summary);
    if (!id || !summary) {
        free(id);
        free(summary);
        snprintf(err, n, "out of memory");
        ok = false;
        goto done;
    }
    site[k] = (struct rule_cause){.id = id, .summary = summary,
                                  .what = summary, .has_fix = c->has_fix,
                                  .fix = c->fix};
    atomic_store_explicit(&n_site, k + 1, memory_order_release);
done:
    pthread_mutex_unlock(&site_lock);
    return ok;
}

const struct rule_cause *rules_cause_find(const char *id)
{
    for (size_t i = 0; i < rules_causes_count(); i++)
        if (strcmp(rules_cause_at(i)->id, id) == 0)
            return rules_cause_at(i);
    return NULL;
}

size_t rules_cause_rank(const char *id)
{
    size_t total = rules_causes_count(), n_sites = total - N_BUILTIN;
    for (size_t i = 0; i < total; i++)
        if (strcmp(rules_cause_at(i)->id, id) == 0)
            return i < N_BUILTIN ? n_sites + i : i - N_BUILTIN;
    return total;
}

/* Found once by every set's loader: the rule that names a failure no other
 * rule explains. Its condition only says "failed"; the engine runs it last
 * and only when nothing else matched. */
const char rules_fallback_yaml[] =
    "rules:\n"
    "  - id: unexplained-failure\n"
    "    name: Failed handshake that no rule explains\n"
    "    severity: medium\n"
    "    confidence: low\n"
    "    cause: unknown\n"
    "    fix: either\n"
    "    when:\n"
    "      tlsmon.outcome: failed\n"
    "    message: >-\n"
    "      the handshake of {source.ip} with\n"
    "      {destination.ip}:{destination.port} (SNI\n"
    "      {tls.client.server_name}) failed {tlsmon.failure_stage}, ended\n"
    "      by the {tlsmon.ended_by_side} ({tlsmon.ended_by}, alert\n"
    "      {tlsmon.alert.description}) after {tlsmon.handshake_ms} ms; no\n"
    "      rule explains it\n"
    "    remediation: >-\n"
    "      Look at both sides' logs for this connection; the record holds\n"
    "      every fact the wire showed.\n";
const size_t rules_fallback_yaml_len = sizeof(rules_fallback_yaml) - 1;
