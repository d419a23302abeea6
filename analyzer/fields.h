/* fields.h — tlsmon's field table: the record's rows (fields.c) and the
 * rules' diagnosis rows, composed in output order as fields_program. The
 * mechanism (rows, lookup, listings) is dissectors/field_registry.h, the
 * value texts dissectors/field_format.h; this header brings both, for the
 * outputs. */
#ifndef TLSMON_FIELDS_H
#define TLSMON_FIELDS_H

#include "../dissectors/field_format.h"
#include "../dissectors/field_registry.h"

/* The Elastic Common Schema version the events follow (ecs.version); they
 * are checked against ECS's field table by tests/e2e/ecs_check.py. */
#define TLSMON_ECS_VERSION "8.17.0"

/* The sensor that saw the traffic (ECS observer.*), for events that reach a
 * SIEM from many sensors. Set once, before any record is written (live
 * capture only: a file has no observer); the strings must outlive the run.
 * NULL leaves the field out. */
void fields_set_observer(const char *hostname, const char *interface);
const char *fields_observer_hostname(void);
const char *fields_observer_interface(void);

#endif
