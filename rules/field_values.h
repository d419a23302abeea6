/* field_values.h — the values an enumerated record field can take
 * (tlsmon.outcome, tlsmon.stage, tlsmon.cause, tlsmon.fix …), so that the
 * rule loader refuses a rule that compares a field with a value it never
 * has ('faild', 'certexpired') instead of loading a rule that never fires.
 *
 * The values come from the same name functions the record's accessors use
 * (outcome_name, stage names, the cause catalogue …), so a value added
 * there is accepted here without a second list to keep. */
#ifndef TLSMON_RULES_FIELD_VALUES_H
#define TLSMON_RULES_FIELD_VALUES_H

#include <stdbool.h>
#include <stddef.h>

/* The field registry: see compiled.h. */
#include "../dissectors/field_registry.h"

/* Whether `f` only ever has values of a fixed set. */
bool field_values_enumerated(const struct field_def *f);

/* `value` (ASCII case ignored) is one `f` can have; always true for a
 * field that is not enumerated. `extra` are more values allowed for
 * tlsmon.cause: the causes of the rule set being loaded. */
bool field_value_allowed(const struct field_def *f, const char *value,
                         const char *const *extra, size_t n_extra);

/* Every value of `f`, "a, b, c or d", into buf (cut only if n is too
 * small for all of them). */
void field_values_describe(const struct field_def *f,
                           const char *const *extra, size_t n_extra,
                           char *buf, size_t n);

/* The name a renamed field has now (the move to ECS: server.* history
 * facts went under tlsmon.server.*, tlsmon.packets/bytes.* became
 * source/destination.packets/bytes), or NULL. Rules written with the old
 * names keep loading. */
const char *field_renamed_to(const char *old_name);

/* The enumerated fields by name, for the test that they exist. */
size_t field_values_count(void);
const char *field_values_field_at(size_t i);

#endif
