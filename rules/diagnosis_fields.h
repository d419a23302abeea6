/* diagnosis_fields.h — the record fields the rules add: the primary
 * finding's cause, fix, confidence and severity, and the ids of every
 * matching rule (tlsmon.cause … tlsmon.rules). The rules own these rows;
 * the program places them in its field table (analyzer/fields.c). */
#ifndef TLSMON_RULES_DIAGNOSIS_FIELDS_H
#define TLSMON_RULES_DIAGNOSIS_FIELDS_H

#include "../dissectors/field_registry.h"

extern const struct field_segment diagnosis_fields;

#endif
