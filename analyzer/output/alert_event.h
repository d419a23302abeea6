/* alert_event.h — one rule finding as an alert event: the JSON object the
 * NDJSON, syslog and Redis outputs send for each alert (ECS: event.kind
 * "alert", rule.*, message), sharing tlsmon.flow_id and the endpoints with
 * its handshake record. */
#ifndef TLSMON_ALERT_EVENT_H
#define TLSMON_ALERT_EVENT_H

#include "record_json.h"

/* The message is rendered into a buffer this long; longer ones are cut. */
#define ALERT_MESSAGE_LEN 1024

/* The facts an alert repeats of its record, for
 * json_write_record_keeping. */
const struct record_fact_set *alert_fact_set(void);

/* k: the facts of h's record as just rendered with alert_fact_set(), or
 * NULL (the record was not rendered here): each is then fetched through
 * the registry. The text is the same either way. */
void json_write_alert(struct json_writer *w, const struct handshake *h,
                      const struct finding *f, const struct record_facts *k);

#endif
