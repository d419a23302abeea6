/* fields.h — the field registry: one table naming every fact of a handshake
 * record, with its type, description and accessor. The NDJSON writer, the
 * rule engine and `tlsmon --list-fields` all read it, so a field is added in
 * one place and spelled the same everywhere.
 *
 * Names are dotted NDJSON paths (ECS names where ECS has one, tlsmon.* for
 * the rest). The table is ordered so that fields sharing a dotted prefix are
 * contiguous, which lets the JSON writer nest objects in one pass.
 *
 * Accessors never allocate. A scalar getter returns false when the record
 * does not have the fact (the JSON omits the key). Strings it returns point
 * into the record, into static tables, or into the caller's scratch buffer,
 * and live until the next call with that scratch.
 *
 * List fields expose slots: count() is the number of slots and item(i)
 * returns false for a slot that is not part of the value (a GREASE entry),
 * so a reader walks all slots and skips the false ones. */
#ifndef TLSMON_FIELDS_H
#define TLSMON_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../dissectors/handshake.h"

enum field_type {
    FT_STRING,
    FT_INT,
    FT_BOOL,
    FT_FLOAT,       /* milliseconds and the like, rendered with 3 decimals */
    FT_IP,          /* rendered as a string */
    FT_TIME,        /* num: microseconds since the epoch; RFC 3339 'Z' */
    FT_VERSION,     /* num: wire version; rendered "1.2", ordered by rank */
    FT_STRING_LIST,
    FT_INT_LIST,
    FT_ALERTS,      /* list of alert objects; items carry .alert */
};

struct field_value {
    enum field_type type;
    union {
        const char *str;              /* FT_STRING, FT_IP */
        int64_t num;                  /* FT_INT, FT_TIME, FT_VERSION */
        bool boolean;                 /* FT_BOOL */
        double real;                  /* FT_FLOAT */
        const struct tls_alert *alert;/* FT_ALERTS items */
    };
};

/* Enough scratch for any accessor: an IPv6 address, a hex code, a time. */
#define FIELD_SCRATCH 64

struct field_def {
    const char *name;
    enum field_type type; /* for lists, the list type; items are scalars */
    const char *description;
    /* Scalars. */
    bool (*get)(const struct handshake *h, struct field_value *v,
                char *scratch, size_t scratch_len);
    /* Lists (FT_STRING_LIST, FT_INT_LIST, FT_ALERTS). */
    size_t (*count)(const struct handshake *h);
    bool (*item)(const struct handshake *h, size_t i, struct field_value *v,
                 char *scratch, size_t scratch_len);
};

size_t fields_count(void);
const struct field_def *fields_at(size_t i);
const struct field_def *fields_find(const char *name); /* NULL if unknown */

static inline bool field_is_list(const struct field_def *f)
{
    return f->type == FT_STRING_LIST || f->type == FT_INT_LIST ||
           f->type == FT_ALERTS;
}

/* Number of entries a list field really has in `h` (skipped slots not
 * counted); 0 for a scalar. */
size_t field_list_len(const struct field_def *f, const struct handshake *h);

/* "string", "int", "string list" … as --list-fields shows them. */
const char *field_type_name(enum field_type t);

/* Text form of a scalar value, as JSON would show it without quotes:
 * times in RFC 3339, versions as names, floats with 3 decimals. Always
 * NUL-terminates when n > 0; returns buf. */
const char *field_value_format(const struct field_value *v, char *buf,
                               size_t n);

/* `tlsmon --list-fields`: one field a line, name, type, description. */
void fields_print_list(FILE *fp);
/* The README field reference: a Markdown table. */
void fields_print_markdown(FILE *fp);

/* Helpers shared with the text output and the summary. */

/* "client", "server", or "unknown". */
const char *fields_side_name(int side);
/* An alert description's IANA name, or "unknown_NN". */
const char *fields_alert_description(uint8_t code, char *buf, size_t n);
/* "1.2", "ssl3" … or "0x7f12" for versions without a name. */
const char *fields_version_string(uint16_t v, char *buf, size_t n);
/* The same with SSL versions as numbers, "2.0" and "3.0", as ECS's
 * tls.version has them: the spelling of every version in JSON. */
const char *fields_version_number(uint16_t v, char *buf, size_t n);

/* The Elastic Common Schema version the events follow (ecs.version); they
 * are checked against ECS's field table by tests/e2e/ecs_check.py. */
#define TLSMON_ECS_VERSION "8.17.0"
/* IANA cipher name, or "0xC02F" (6 hex digits for SSLv2 specs). */
const char *fields_cipher_string(uint32_t suite, char *buf, size_t n);
/* Endpoint address as text ("10.0.0.1", "2001:db8::1"). */
const char *fields_ip_string(const struct endpoint *e, char *buf, size_t n);
/* `s` made safe for a terminal: bytes outside printable ASCII become \xNN,
 * so hostile names cannot carry escape sequences. Cut to fit n (n > 0). */
const char *fields_printable(const char *s, char *buf, size_t n);
/* RFC 3339 UTC with `digits` fractional digits (0, 3 or 6). */
const char *fields_time_string(uint64_t us, int digits, char *buf, size_t n);

/* The sensor that saw the traffic (ECS observer.*), for events that reach a
 * SIEM from many sensors. Set once, before any record is written (live
 * capture only: a file has no observer); the strings must outlive the run.
 * NULL leaves the field out. */
void fields_set_observer(const char *hostname, const char *interface);
const char *fields_observer_hostname(void);
const char *fields_observer_interface(void);

#endif
