/* field_format.h — the text forms of field values that the outputs and the
 * rules share: a value as JSON shows it, and the names of versions,
 * ciphers, alerts and sides, with a code where there is no name. */
#ifndef TLSMON_FIELD_FORMAT_H
#define TLSMON_FIELD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "field_registry.h"

/* Text form of a scalar value, as JSON would show it without quotes:
 * times in RFC 3339, versions as names, floats with 3 decimals. Always
 * NUL-terminates when n > 0; returns buf. */
const char *field_value_format(const struct field_value *v, char *buf,
                               size_t n);

/* "client", "server", or "unknown". */
const char *fields_side_name(int side);
/* An alert description's IANA name, or "unknown_NN". */
const char *fields_alert_description(uint8_t code, char *buf, size_t n);
/* "1.2", "ssl3" … or "0x7f12" for versions without a name. */
const char *fields_version_string(uint16_t v, char *buf, size_t n);
/* The same with SSL versions as numbers, "2.0" and "3.0", as ECS's
 * tls.version has them: the spelling of every version in JSON. */
const char *fields_version_number(uint16_t v, char *buf, size_t n);
/* IANA cipher name, or "0xC02F" (6 hex digits for SSLv2 specs). */
const char *fields_cipher_string(uint32_t suite, char *buf, size_t n);
/* Endpoint address as text ("10.0.0.1", "2001:db8::1"). */
const char *fields_ip_string(const struct endpoint *e, char *buf, size_t n);
/* `s` made safe for a terminal: bytes outside printable ASCII become \xNN,
 * so hostile names cannot carry escape sequences. Cut to fit n (n > 0). */
const char *fields_printable(const char *s, char *buf, size_t n);
/* RFC 3339 UTC with `digits` fractional digits (0, 3 or 6). */
const char *fields_time_string(uint64_t us, int digits, char *buf, size_t n);
/* "0x" and `digits` hex digits of v (upper or lower case); empty when n is
 * too small. Returns buf. */
const char *fields_hex_code(uint32_t v, int digits, bool upper, char *buf,
                            size_t n);
/* `prefix` then v in decimal; empty when n is too small. Returns buf. */
const char *fields_decimal_code(const char *prefix, unsigned v, char *buf,
                                size_t n);

#endif
