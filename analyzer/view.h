/* view.h — what an analyst asked to see: --where conditions and the short
 * forms (--failed, --server, --since, --until, --flow) turned into one
 * filter of the rule language, and the words that tell the summary what
 * was filtered. Filters choose what is printed; the analysis (server
 * history, the summary's counts) still sees every record. */
#ifndef TLSMON_VIEW_H
#define TLSMON_VIEW_H

#include <stdbool.h>
#include <stddef.h>

struct rule_filter;

#define VIEW_DESCRIPTION_LEN 512

struct view {
    struct rule_filter *filter;  /* NULL until something is asked for */
    /* --server and --flow add up to one condition each (any of them). */
    char *servers;               /* YAML flow list of alternatives */
    char *flows;                 /* YAML flow list of flow ids */
    char description[VIEW_DESCRIPTION_LEN]; /* "--failed --server x" */
};

/* Each returns false with a one-line reason in `err` (no "tlsmon: "). */
bool view_where(struct view *v, const char *yaml, char *err, size_t n);
bool view_failed(struct view *v, char *err, size_t n);
/* IP, CIDR, IP:PORT, [IPv6]:PORT, or a glob on the SNI. */
bool view_server(struct view *v, const char *arg, char *err, size_t n);
/* Capture time, UTC: 2026-01-31, 2026-01-31T12:00[:00[.frac]][Z], a
 * space for the T. */
bool view_since(struct view *v, const char *when, char *err, size_t n);
bool view_until(struct view *v, const char *when, char *err, size_t n);
/* Flow ids, comma-separated. */
bool view_flow(struct view *v, const char *ids, char *err, size_t n);
/* Compile the --server and --flow alternatives; call once after the
 * options. */
bool view_finish(struct view *v, char *err, size_t n);
void view_free(struct view *v);

/* The time text of --since/--until in the rule language's form
 * (RFC 3339, UTC, 'Z'), or false. Exposed for the unit test. */
bool view_time_text(const char *in, char *out, size_t n);

#endif
