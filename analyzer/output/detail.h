/* detail.h — every fact of one handshake laid out for a person, section by
 * section: the connection, how it ended, its timeline from the SYN, both
 * hellos with names, fingerprints, the certificate chains with their
 * verdicts, OCSP, what the server did before, and each matching rule with
 * its evidence. The text output prints it under a record (--detail, show),
 * the HTML report opens it from a row. Facts are read through the field
 * registry where it has them; every name from the wire is made printable. */
#ifndef TLSMON_DETAIL_H
#define TLSMON_DETAIL_H

#include <stddef.h>

#include "json_writer.h"
#include "../../dissectors/handshake.h"

/* Each section in order: its title ("client hello") and its text, lines
 * ending in '\n', indented by `indent` spaces (the title by indent - 2).
 * `text` lives until the callback returns. */
typedef void (*detail_section_fn)(void *ctx, const char *title,
                                  const char *text, size_t len);

/* `scratch` is the caller's writer to build sections in (reset here). */
void detail_sections(const struct handshake *h, struct json_writer *scratch,
                     int indent, detail_section_fn fn, void *ctx);

/* All sections appended to `out`, each under its title. */
void detail_append(struct json_writer *out, const struct handshake *h,
                   int indent);

#endif
