/* report.h — `--report FILE.html`: one self-contained page to hand to
 * whoever must fix things. No network resource, no library: inline SVG
 * charts (outcomes over time, failures by cause and who must fix them),
 * the server and client-fingerprint tables, and every connection in a
 * table that sorts, filters and pages in a little plain JavaScript, each
 * row opening the detail view (detail.h). Built for 100 000 connections
 * and more: rows are kept in a temporary file while the run goes on, the
 * detail of each 1 000 connections is one gzip block that the page
 * decompresses (DecompressionStream) only when a row in it is opened, and
 * sections many connections share (a ClientHello, a chain) are stored
 * once. */
#ifndef TLSMON_REPORT_H
#define TLSMON_REPORT_H

#include <stddef.h>

#include "output.h"

/* Rows kept in the connection table; past it they are counted. */
#define REPORT_MAX_ROWS 2000000u
/* Connections per detail block. */
#define REPORT_CHUNK_ROWS 1000u
/* Distinct shared sections remembered; past it sections are stored with
 * each connection (larger, still complete). */
#define REPORT_MAX_SHARED 200000u

struct report_info {
    const char *version;        /* tlsmon's */
    const char *const *inputs;  /* capture files read */
    size_t n_inputs;
};

/* Writes FILE at finish. `sum` (kept by the caller, filled by the
 * pipeline) gives the tables; the report counts outcomes over time itself
 * from every record, and lists the records its `filter` lets through.
 * NULL, with errno, when the temporary files cannot be made. */
struct output *output_report_new(const char *path, const struct summary *sum,
                                 const struct report_info *info);

#endif
