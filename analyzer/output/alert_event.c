/* alert_event.c — renders one rule finding as an alert event (see
 * alert_event.h). Facts of the handshake come from the field registry, so
 * they read exactly as in the handshake record: copied from that record
 * when it was just rendered (record_json.h, struct record_facts), else
 * through the getters. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alert_event.h"
#include "array_len.h"
#include "../fields.h"
#include "../../rules/engine.h"

/* What an alert repeats of its handshake, as the record has it, so that a
 * SIEM pivots from an alert without a join: the flow's identity and ECS
 * categorization, the endpoints and their names, the join keys
 * (network.community_id, the record's event.id, the flow id), the
 * negotiated facts, the fingerprints and the certificate. Grouped by
 * prefix for json_path. */
static const char *const from_record[] = {
    "@timestamp",
    "ecs.version",
    "event.category",
    "event.outcome",
    "event.start",
    "event.end",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "destination.domain",
    "network.transport",
    "network.type",
    "network.protocol",
    "network.community_id",
    "network.vlan.id",
    "observer.hostname",
    "observer.ingress.interface.name",
    "tls.version",
    "tls.version_protocol",
    "tls.cipher",
    "tls.established",
    "tls.client.server_name",
    "tls.client.ja3",
    "tls.server.ja3s",
    "tls.server.hash.sha256",
    "tls.server.x509.subject.common_name",
    "tls.server.x509.issuer.common_name",
    "tls.server.not_after",
    "related.ip",
    "related.hosts",
    "related.hash",
};
#define N_FROM_RECORD ARRAY_LEN(from_record)

/* Facts of the record under the alert's own tlsmon object: key, name. */
static const char *const under_tlsmon[][2] = {
    {"handshake_id", "event.id"}, {"flow_id", "tlsmon.flow_id"},
    {"outcome", "tlsmon.outcome"}, {"failure_stage", "tlsmon.failure_stage"},
    {"version", "tlsmon.version"}, {"client.ja4", "tlsmon.client.ja4"},
};
#define N_UNDER_TLSMON ARRAY_LEN(under_tlsmon)

/* Slots: from_record's, then under_tlsmon's, in table order. */
static struct record_fact_set fact_set;
static pthread_once_t fact_set_once = PTHREAD_ONCE_INIT;

static void compile_fact_set(void)
{
    const char *names[N_FROM_RECORD + N_UNDER_TLSMON];
    for (size_t i = 0; i < N_FROM_RECORD; i++)
        names[i] = from_record[i];
    for (size_t i = 0; i < N_UNDER_TLSMON; i++)
        names[N_FROM_RECORD + i] = under_tlsmon[i][1];
    /* On failure the set stays empty and alerts ask the getters. */
    record_fact_set_compile(&fact_set, names,
                            N_FROM_RECORD + N_UNDER_TLSMON);
}

const struct record_fact_set *alert_fact_set(void)
{
    pthread_once(&fact_set_once, compile_fact_set);
    return &fact_set;
}

/* The ECS keys of an alert that come from the rule or are the alert's
 * own go between the record's, where their prefix is. */
void json_write_alert(struct json_writer *w, const struct handshake *h,
                      const struct finding *f, const struct record_facts *k)
{
    const struct rule *r = f->rule;
    char message[ALERT_MESSAGE_LEN], id[sizeof(h->report->event_id) + 160];
    struct json_path p;
    size_t n = N_FROM_RECORD, i = 0;

    json_begin_object(w);
    json_path_begin(&p, w);
    /* Up to event.*: @timestamp, ecs. */
    for (; i < n && strncmp(from_record[i], "event.", 6) != 0; i++)
        json_path_fact(&p, from_record[i], from_record[i], k, i, h);
    json_path_key(&p, "event.kind");
    json_string(w, "alert");
    size_t category = i; /* the first of the event.* facts */
    json_path_fact(&p, from_record[category], from_record[category], k,
                   category, h);
    json_path_key(&p, "event.type");
    json_begin_array(w);
    json_string(w, "info");
    json_end_array(w);
    json_path_key(&p, "event.dataset");
    json_string(w, "tlsmon.alert");
    /* Unique per alert: the record's id and the rule (one finding each). */
    if (h->report->event_id[0]) {
        snprintf(id, sizeof(id), "%s-%s", h->report->event_id, r->id);
        json_path_key(&p, "event.id");
        json_string(w, id);
    }
    json_path_key(&p, "event.severity");
    json_int(w, rules_severity_number(r->severity));
    for (; i < n && strncmp(from_record[i], "event.", 6) == 0; i++)
        if (i != category)
            json_path_fact(&p, from_record[i], from_record[i], k, i, h);
    json_path_key(&p, "message");
    json_string(w, rules_message(r, h, message, sizeof(message)));
    json_path_key(&p, "rule.id");
    json_string(w, r->id);
    json_path_key(&p, "rule.name");
    json_string(w, r->name);
    json_path_key(&p, "rule.description");
    json_string(w, r->description);
    json_path_key(&p, "rule.category");
    json_string(w, r->cause);
    json_path_key(&p, "rule.ruleset");
    json_string(w, r->file);
    for (; i < n; i++)
        json_path_fact(&p, from_record[i], from_record[i], k, i, h);
    json_path_end(&p);
    if (r->n_tags) {
        json_key(w, "tags");
        json_begin_array(w);
        for (size_t t = 0; t < r->n_tags; t++)
            json_string(w, r->tags[t]);
        json_end_array(w);
    }
    json_key(w, "tlsmon");
    json_begin_object(w);
    json_path_begin(&p, w);
    for (size_t t = 0; t < N_UNDER_TLSMON; t++)
        json_path_fact(&p, under_tlsmon[t][0], under_tlsmon[t][1], k,
                       N_FROM_RECORD + t, h);
    json_path_end(&p);
    json_key(w, "severity");
    json_string(w, rules_severity_name(r->severity));
    json_key(w, "cause");
    json_string(w, r->cause);
    json_key(w, "fix");
    json_string(w, rules_fix_name(r->fix));
    json_key(w, "confidence");
    json_string(w, rules_confidence_name(r->confidence));
    json_key(w, "remediation");
    json_string(w, r->remediation);
    json_key(w, "primary");
    json_bool(w, h->report->primary >= 0 &&
                     &h->report->findings.v[h->report->primary] == f);
    if (f->repeats) {
        json_key(w, "repeats");
        json_uint(w, f->repeats);
    }
    json_end_object(w);
    json_end_object(w);
}
