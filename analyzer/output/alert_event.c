/* alert_event.c — renders one rule finding as an alert event (see
 * alert_event.h). Facts of the handshake come from the field registry, so
 * they read exactly as in the handshake record. */
#include <stdio.h>
#include <string.h>

#include "alert_event.h"
#include "observer.h"
#include "../fields.h"
#include "../../rules/engine.h"

/* `key`: the registry field `name` of `h`, when the record has it. */
static void registry_value(struct json_writer *w, const char *key,
                           const char *name, const struct handshake *h)
{
    const struct field_def *f = fields_find(name);
    char scratch[FIELD_SCRATCH], tmp[FIELD_SCRATCH];
    struct field_value v;
    if (!f || field_is_list(f) || !f->get(h, &v, scratch, sizeof(scratch)))
        return;
    json_key(w, key);
    switch (v.type) {
    case FT_INT:
        json_int(w, v.num);
        break;
    case FT_BOOL:
        json_bool(w, v.boolean);
        break;
    case FT_STRING:
    case FT_IP:
        json_string(w, v.str);
        break;
    default:
        json_string(w, field_value_format(&v, tmp, sizeof(tmp)));
        break;
    }
}

static void endpoint(struct json_writer *w, const char *key,
                     const char *prefix, const struct handshake *h)
{
    char ip[40], port[40];
    snprintf(ip, sizeof(ip), "%s.ip", prefix);
    snprintf(port, sizeof(port), "%s.port", prefix);
    json_key(w, key);
    json_begin_object(w);
    registry_value(w, "ip", ip, h);
    registry_value(w, "port", port, h);
    json_end_object(w);
}

void json_write_alert(struct json_writer *w, const struct handshake *h,
                      const struct finding *f)
{
    const struct rule *r = f->rule;
    char message[ALERT_MESSAGE_LEN];

    json_begin_object(w);
    registry_value(w, "@timestamp", "@timestamp", h);
    json_key(w, "event");
    json_begin_object(w);
    json_key(w, "kind");
    json_string(w, "alert");
    json_key(w, "dataset");
    json_string(w, "tlsmon.alert");
    json_key(w, "severity");
    json_int(w, rules_severity_number(r->severity));
    registry_value(w, "outcome", "event.outcome", h);
    json_end_object(w);
    json_key(w, "message");
    json_string(w, rules_message(r, h, message, sizeof(message)));
    json_key(w, "rule");
    json_begin_object(w);
    json_key(w, "id");
    json_string(w, r->id);
    json_key(w, "name");
    json_string(w, r->name);
    json_key(w, "description");
    json_string(w, r->description);
    json_key(w, "category");
    json_string(w, r->cause);
    json_key(w, "ruleset");
    json_string(w, r->file);
    json_end_object(w);
    endpoint(w, "source", "source", h);
    endpoint(w, "destination", "destination", h);
    json_write_observer(w);
    json_key(w, "tls");
    json_begin_object(w);
    registry_value(w, "version", "tls.version", h);
    registry_value(w, "cipher", "tls.cipher", h);
    json_key(w, "client");
    json_begin_object(w);
    registry_value(w, "server_name", "tls.client.server_name", h);
    json_end_object(w);
    json_end_object(w);
    if (r->n_tags) {
        json_key(w, "tags");
        json_begin_array(w);
        for (size_t i = 0; i < r->n_tags; i++)
            json_string(w, r->tags[i]);
        json_end_array(w);
    }
    json_key(w, "tlsmon");
    json_begin_object(w);
    registry_value(w, "flow_id", "tlsmon.flow_id", h);
    registry_value(w, "outcome", "tlsmon.outcome", h);
    registry_value(w, "failure_stage", "tlsmon.failure_stage", h);
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
    json_bool(w, h->primary >= 0 && &h->findings[h->primary] == f);
    if (f->repeats) {
        json_key(w, "repeats");
        json_uint(w, f->repeats);
    }
    json_end_object(w);
    json_end_object(w);
}
