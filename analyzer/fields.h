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

/* The program's table: the record's facts, then the diagnosis the rules
 * add. main() hands it to the registry (field_registry_use) first thing,
 * as does each test and fuzz target that looks fields up. */
extern const struct field_table fields_program;

#endif
