/* alert_event.h — one rule finding as an alert event: the JSON object the
 * NDJSON, syslog and Redis outputs send for each alert (ECS: event.kind
 * "alert", rule.*, message), sharing tlsmon.flow_id and the endpoints with
 * its handshake record. */
#ifndef TLSMON_ALERT_EVENT_H
#define TLSMON_ALERT_EVENT_H

#include "record_json.h"

/* The message is rendered into a buffer this long; longer ones are cut. */
#define ALERT_MESSAGE_LEN 1024

void json_write_alert(struct json_writer *w, const struct handshake *h,
                      const struct finding *f);

#endif
