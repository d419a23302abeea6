/* observer.h — the sensor's identity (ECS observer.*) in the stats events.
 * Records and alerts carry the same values through the field registry. */
#ifndef TLSMON_OBSERVER_H
#define TLSMON_OBSERVER_H

#include "json_writer.h"

struct observer;

/* "observer": {...} as a member of the open object; nothing offline. */
void json_write_observer(struct json_writer *w, const struct observer *o);

#endif
