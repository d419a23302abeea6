/* cli.c — the command line as one table: a row per option gives its long
 * and short name, its argument, the typed handler that reads the value
 * into struct options, and its --help text. getopt_long's array and the
 * usage text are made from the table, so an option is added in one place
 * (as Redis's config table does). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array_len.h"
#include "fields.h"
#include "workers.h"
#include "output/output.h"
#include "../rules/engine.h"
#include "tlsmon_config.h"

struct cli_option;
/* Reads one option's value: -1 to go on, else the exit code to leave with
 * (the message already on stderr). */
typedef int (*cli_setter)(struct options *o, const struct cli_option *opt,
                          const char *arg);

/* How a number is stored. */
enum cli_num { NUM_U16, NUM_INT, NUM_LONG, NUM_SIZE, NUM_U64, NUM_BOOL };

struct cli_choice {
    const char *name;
    int value;
};

struct cli_option {
    const char *name;  /* the long name, without "--" */
    char short_name;   /* 0: none */
    const char *arg;   /* the argument's name in --help; NULL: no argument */
    cli_setter set;
    size_t at;         /* offsetof(struct options, ...) of the value */
    size_t also;       /* a second place for the same value; 0: none */
    enum cli_num type; /* numbers and flags: how the value is stored */
    uint64_t min, max; /* numbers: the range; flags: max is the value */
    uint64_t scale;    /* numbers: stored as value * scale (0: 1) */
    const char *what;  /* numbers: "'%s' is not <what>"; NULL: the range */
    const struct cli_choice *choices; /* NULL-terminated */
    bool (*check)(const char *arg, char *err, size_t n);
    bool (*view)(struct view *v, const char *arg, char *err, size_t n);
    void (*action)(void);
    /* Its lines in --help, without the indent of the second and later
     * ones; NULL: said on the line of the option before it. */
    const char *help;
};

#define AT(field) offsetof(struct options, field)
/* .also == 0 says "no second place": the first member is never one. */
_Static_assert(offsetof(struct options, inputs) == 0,
               "struct options must begin with inputs");

/* ---- the typed handlers ----------------------------------------------- */

static void *field_at(struct options *o, size_t at)
{
    return (char *)o + at;
}

/* The places a row writes: its field, and the second one when it has
 * one (--spool, --spool-size and --output-queue serve both network
 * outputs). */
static size_t places(struct options *o, const struct cli_option *opt,
                     void *out[2])
{
    out[0] = field_at(o, opt->at);
    out[1] = field_at(o, opt->also);
    return opt->also ? 2 : 1;
}

static void store(void *p, enum cli_num type, uint64_t v)
{
    switch (type) {
    case NUM_U16: *(uint16_t *)p = (uint16_t)v; break;
    case NUM_INT: *(int *)p = (int)v; break;
    case NUM_LONG: *(long *)p = (long)v; break;
    case NUM_SIZE: *(size_t *)p = (size_t)v; break;
    case NUM_U64: *(uint64_t *)p = v; break;
    case NUM_BOOL: *(bool *)p = v != 0; break;
    }
}

/* A flag: stores its value (max). */
static int set_flag(struct options *o, const struct cli_option *opt,
                    const char *arg)
{
    (void)arg;
    void *p[2];
    for (size_t i = 0, n = places(o, opt, p); i < n; i++)
        store(p[i], opt->type, opt->max);
    return -1;
}

static int set_string(struct options *o, const struct cli_option *opt,
                      const char *arg)
{
    void *p[2];
    for (size_t i = 0, n = places(o, opt, p); i < n; i++)
        *(const char **)p[i] = arg;
    return -1;
}

/* A file or folder read later: checked now so a typo is a usage error,
 * not a run where every chain comes out untrusted. */
static int set_readable(struct options *o, const struct cli_option *opt,
                        const char *arg)
{
    if (access(arg, R_OK) != 0) {
        fprintf(stderr, "tlsmon: --%s: '%s': %s\n", opt->name, arg,
                strerror(errno));
        return EXIT_INPUT;
    }
    return set_string(o, opt, arg);
}

/* A string the row's check accepts. */
static int set_checked(struct options *o, const struct cli_option *opt,
                       const char *arg)
{
    char err[256];
    if (!opt->check(arg, err, sizeof(err))) {
        fprintf(stderr, "tlsmon: --%s: %s\n", opt->name, err);
        return EXIT_INPUT;
    }
    return set_string(o, opt, arg);
}

/* A decimal number with an optional K, M or G suffix (powers of 1024). */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1ULL << 10, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1ULL << 20, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1ULL << 30, end++;
    if (*end != '\0' || v > UINT64_MAX / mult)
        return false;
    *out = v * mult;
    return true;
}

/* Counts, sizes and seconds: one reader, a range per row. */
static int set_number(struct options *o, const struct cli_option *opt,
                      const char *arg)
{
    uint64_t v;
    if (!parse_size(arg, &v) || v < opt->min || v > opt->max) {
        if (opt->what)
            fprintf(stderr, "tlsmon: --%s: '%s' is not %s\n", opt->name, arg,
                    opt->what);
        else
            fprintf(stderr, "tlsmon: --%s: '%s' is not a number from %" PRIu64
                    " to %" PRIu64 "\n", opt->name, arg, opt->min, opt->max);
        return EXIT_INPUT;
    }
    void *p[2];
    for (size_t i = 0, n = places(o, opt, p); i < n; i++)
        store(p[i], opt->type, v * (opt->scale ? opt->scale : 1));
    return -1;
}

/* One name of a closed set. */
static int set_choice(struct options *o, const struct cli_option *opt,
                      const char *arg)
{
    for (const struct cli_choice *c = opt->choices; c->name; c++) {
        if (strcmp(arg, c->name) == 0) {
            store(field_at(o, opt->at), opt->type, (uint64_t)c->value);
            return -1;
        }
    }
    fprintf(stderr, "tlsmon: --%s: '%s' is not %s\n", opt->name, arg,
            opt->what);
    return EXIT_INPUT;
}

/* The events an output takes (OUT_EV_*). */
static int set_events(struct options *o, const struct cli_option *opt,
                      const char *arg)
{
    if (!output_parse_events(arg, field_at(o, opt->at))) {
        fprintf(stderr, "tlsmon: '%s' is not a list of handshakes, alerts, "
                "stats (or all, none)\n", arg);
        return EXIT_INPUT;
    }
    return -1;
}

static bool list_add(struct str_list *l, const char *s)
{
    const char **n = realloc(l->v, (l->n + 1) * sizeof(*n));
    if (!n)
        return false;
    l->v = n;
    l->v[l->n++] = s;
    return true;
}

/* A repeatable option: every value kept, in order. */
static int add_to_list(struct options *o, const struct cli_option *opt,
                       const char *arg)
{
    return list_add(field_at(o, opt->at), arg) ? -1 : EXIT_INPUT;
}

/* "+FILE" adds to the built-in rules; "FILE" replaces them. --check-rules
 * (max RULES_CHECK) also says what to do with them. */
static int add_rule_file(struct options *o, const struct cli_option *opt,
                         const char *arg)
{
    bool adds = arg[0] == '+';
    if (!list_add(&o->rule_files, adds ? arg + 1 : arg))
        return EXIT_INPUT;
    if (!adds)
        o->rules_replace_default = true;
    if (opt->max != RULES_RUN)
        o->rules_mode = (int)opt->max;
    return -1;
}

/* The analyst's view (view.h). */
static int set_view(struct options *o, const struct cli_option *opt,
                    const char *arg)
{
    char err[RULES_ERROR_LEN];
    if (opt->view(&o->view, arg, err, sizeof(err)))
        return -1;
    fprintf(stderr, "tlsmon: %s\n", err);
    return EXIT_INPUT;
}

static int set_facility(struct options *o, const struct cli_option *opt,
                        const char *arg)
{
    (void)opt;
    o->syslog.facility = syslog_facility_code(arg);
    if (o->syslog.facility < 0) {
        fprintf(stderr, "tlsmon: --syslog-facility: '%s' is not a facility "
                "(local0..local7, daemon, ...)\n", arg);
        return EXIT_INPUT;
    }
    return -1;
}

/* Prints something and ends the run. */
static int run_action(struct options *o, const struct cli_option *opt,
                      const char *arg)
{
    (void)o;
    (void)arg;
    opt->action();
    return EXIT_OK;
}

/* ---- what the rows call ----------------------------------------------- */

static bool view_failed_only(struct view *v, const char *arg, char *err,
                             size_t n)
{
    (void)arg;
    return view_failed(v, err, n);
}

static bool redis_key_valid(const char *key, char *err, size_t n)
{
    if (*key != '\0' && strlen(key) <= 500)
        return true;
    snprintf(err, n, "a key of 1 to 500 bytes");
    return false;
}

static void print_help(void)
{
    cli_usage(stdout);
}

static void print_version(void)
{
    printf("tlsmon %s\n", TLSMON_VERSION);
}

static void print_fields(void)
{
    fields_print_list(stdout);
}

static void print_fields_md(void)
{
    fields_print_markdown(stdout);
}

static const struct cli_choice formats[] = {
    {"text", FORMAT_TEXT}, {"ndjson", FORMAT_NDJSON}, {"json", FORMAT_NDJSON},
    {NULL, 0},
};

#define FLAG(field, type_, value) \
    .set = set_flag, .at = AT(field), .type = type_, .max = (value)
#define STRING(field) .set = set_string, .at = AT(field)
#define NUMBER(field, type_, lo, hi) \
    .set = set_number, .at = AT(field), .type = type_, .min = (lo), \
    .max = (hi)
#define VIEW(fn) .set = set_view, .view = (fn)
#define ACTION(fn) .set = run_action, .action = (fn)
#define SECONDS_MAX (86400ULL * 365)

/* In the order --help lists them. */
static const struct cli_option cli_options[] = {
    {"read", 'r', "FILE", .set = add_to_list, .at = AT(inputs),
     .help = "read FILE (repeatable; - is standard input)"},
    {"filter", 'f', "FILTER", STRING(filter),
     .help = "BPF filter applied to every input"},
    {"output", 'o', "FILE", STRING(out_path),
     .help = "write results to FILE (default: stdout)"},
    {"json", 0, "FILE", STRING(json_path),
     .help = "also append NDJSON records, alerts and stats\n"
             "to FILE (- is stdout), beside -o/--format"},
    {"json-events", 0, "LIST", .set = set_events, .at = AT(json_events),
     .help = "what --json takes: handshakes,alerts,stats\n"
             "(default all)"},
    {"syslog", 0, "URL", .set = set_checked, .at = AT(syslog.url),
     .check = syslog_url_valid,
     .help = "send events as RFC 5424 syslog messages to\n"
             "udp://HOST:PORT, tcp://HOST:PORT,\n"
             "tls://HOST:PORT (RFC 5425) or unix:PATH"},
    {"syslog-events", 0, "LIST", .set = set_events,
     .at = AT(syslog.net.events),
     .help = "what it takes (default alerts,stats)"},
    {"syslog-facility", 0, "F", .set = set_facility,
     .help = "facility name or number (default local0)"},
    {"syslog-ca", 0, "FILE", STRING(syslog.tls.ca_file),
     .help = "tls://: trust these CAs (PEM) for the\n"
             "collector (default: the system store)"},
    {"syslog-cert", 0, "FILE", STRING(syslog.tls.cert_file),
     .help = "tls://: present this\n"
             "client certificate (PEM)"},
    {"syslog-key", 0, "FILE", STRING(syslog.tls.key_file)},
    {"syslog-tls-name", 0, "NAME", STRING(syslog.tls.name),
     .help = "tls://: the name the collector's\n"
             "certificate must have (default: its host)"},
    {"redis", 0, "HOST:PORT", .set = set_checked, .at = AT(redis.addr),
     .check = redis_addr_valid,
     .help = "send events to Redis: RPUSH to a list"},
    {"redis-key", 0, "KEY", .set = set_checked, .at = AT(redis.key),
     .check = redis_key_valid,
     .help = "the list or stream (default tlsmon)"},
    {"redis-stream", 0, NULL, FLAG(redis.stream, NUM_BOOL, true),
     .help = "XADD to a stream instead"},
    {"redis-maxlen", 0, "N", NUMBER(redis.maxlen, NUM_U64, 0, 1ULL << 32),
     .what = "a count", .help = "trim the stream to about N entries"},
    {"redis-events", 0, "LIST", .set = set_events, .at = AT(redis.net.events),
     .help = "what it takes (default alerts,stats)"},
    {"redis-user", 0, "USER", STRING(redis.user),
     .help = "AUTH as this ACL user"},
    {"redis-password-file", 0, "FILE", STRING(redis.password_file),
     .help = "AUTH with the password on FILE's\n"
             "first line (or TLSMON_REDIS_PASSWORD)"},
    {"output-queue", 0, "N",
     NUMBER(syslog.net.queue_msgs, NUM_SIZE, 1, 1ULL << 32),
     .also = AT(redis.net.queue_msgs), .what = "a count",
     .help = "events a network output holds while its\n"
             "destination is slow or down (default 100000;\n"
             "past it events are dropped and counted)"},
    {"spool", 0, "DIR", STRING(syslog.net.spool_dir),
     .also = AT(redis.net.spool_dir),
     .help = "keep what a network output cannot send yet\n"
             "on disk in DIR (one folder per destination),\n"
             "sent first when it is back, kept across runs"},
    {"spool-size", 0, "SIZE",
     NUMBER(syslog.net.spool_bytes, NUM_U64, 64u << 10, UINT64_MAX),
     .also = AT(redis.net.spool_bytes), .what = "a size of at least 64K",
     .help = "at most SIZE per destination (default 1G);\n"
             "past it the oldest are dropped and counted"},
    {"format", 0, "FMT", .set = set_choice, .at = AT(format), .type = NUM_INT,
     .choices = formats, .what = "text or ndjson",
     .help = "text or ndjson (default: text on a terminal\n"
             "and for -o FILE.txt, else ndjson, said once\n"
             "on stderr)"},
    {"where", 0, "COND", VIEW(view_where),
     .help = "show only records matching COND, a condition\n"
             "of the rule language (YAML), e.g.\n"
             "'{tls.version: {lt: \"1.2\"}}' (repeatable:\n"
             "all must hold); the summary counts all"},
    {"failed", 0, NULL, VIEW(view_failed_only),
     .help = "show only failures (event.outcome failure:\n"
             "failed, not_tls, refused)"},
    {"server", 0, "S", VIEW(view_server),
     .help = "show only handshakes to S: an IP, CIDR,\n"
             "IP:PORT, [IPv6]:PORT or a glob on the SNI\n"
             "(repeatable: any of them)"},
    {"since", 0, "T", VIEW(view_since),
     .help = "show only handshakes from T / before T\n"
             "(capture time, UTC: 2026-01-31T12:00:00Z)"},
    {"until", 0, "T", VIEW(view_until)},
    {"flow", 0, "ID[,ID..]", VIEW(view_flow),
     .help = "show only these flows (tlsmon.flow_id)"},
    {"detail", 0, NULL, FLAG(detail, NUM_BOOL, true),
     .help = "text: every fact of each handshake shown\n"
             "(hellos, chain, timeline, evidence)"},
    {"progress", 0, NULL, FLAG(progress, NUM_INT, 1),
     .help = "a progress line on stderr (default:\n"
             "when stderr is a terminal and files are read)"},
    {"no-progress", 0, NULL, FLAG(progress, NUM_INT, 0)},
    {"report", 0, "FILE.html", STRING(report_path),
     .help = "also write one self-contained HTML page:\n"
             "charts, server and client tables, and every\n"
             "connection (the filters choose which) with\n"
             "its detail"},
    {"baseline", 0, "OLD", STRING(baseline_path),
     .help = "compare with an earlier run: OLD is a capture\n"
             "(analyzed with the same rules) or NDJSON\n"
             "tlsmon wrote; the summary and report say\n"
             "which servers started failing, new causes,\n"
             "new client fingerprints, changed certificates"},
    {"summary", 0, NULL, FLAG(summary, NUM_INT, 1),
     .help = "end-of-run summary (default with text)"},
    {"no-summary", 0, NULL, FLAG(summary, NUM_INT, 0), .help = "no summary"},
    {"memcap", 0, "SIZE", NUMBER(pipe.memcap, NUM_U64, 1ULL << 20, UINT64_MAX),
     .what = "a size of at least 1M",
     .help = "memory for flows, dissectors and reassembly\n"
             "(default 512M; K, M, G suffixes)"},
    {"flow-timeout", 0, "S",
     NUMBER(pipe.flow_timeout_us, NUM_U64, 1, SECONDS_MAX),
     .scale = 1000000, .what = "a number of seconds",
     .help = "idle seconds before an open flow is ended\n"
             "(packet time; default 120)"},
    {"quic-decrypt-rate", 0, "N",
     NUMBER(pipe.quic_decrypt_rate, NUM_U64, 0, QUIC_DECRYPT_RATE_MAX),
     .help = "new QUIC connections a second per server\n"
             "whose Initials are decrypted (packet time;\n"
             "default 1000, 0 all); past it a connection\n"
             "is reported unread (quic.initial_skipped)"},
    {"quic-decrypt-burst", 0, "N",
     NUMBER(pipe.quic_decrypt_burst, NUM_U64, 1, QUIC_DECRYPT_RATE_MAX),
     .help = "of those, how many at once (default: the rate)"},
    {"ca-file", 0, "FILE", .set = set_readable, .at = AT(pipe.ca_file),
     .help = "trust these CA certificates (PEM) instead of\n"
             "the system bundle when verifying chains"},
    {"ca-path", 0, "DIR", .set = set_readable, .at = AT(pipe.ca_path),
     .help = "trust a hashed CA directory (c_rehash) instead\n"
             "of the system bundle"},
    {"distrust-file", 0, "FILE", STRING(distrust_path),
     .help = "browsers' CA distrust dates from FILE\n"
             "instead of the built-in rules/distrust.tsv"},
    {"emit-certificates", 0, NULL,
     FLAG(pipe.emit_certificates, NUM_BOOL, true),
     .help = "add the certificate chains as PEM\n"
             "(tls.server.certificate_chain, ...)"},
    {"keylog", 0, "FILE", .set = add_to_list, .at = AT(keylogs),
     .help = "decrypt handshakes with the secrets in FILE\n"
             "(SSLKEYLOGFILE / NSS key log format;\n"
             "repeatable; with -i followed as it grows).\n"
             "pcapng Decryption Secrets Blocks are read\n"
             "without it"},
    {"community-id-seed", 0, "N",
     NUMBER(pipe.community_id_seed, NUM_U16, 0, 65535),
     .help = "seed of network.community_id (default\n"
             "0, as Zeek's and Suricata's)"},
    {"rules", 0, "FILE", .set = add_rule_file, .max = RULES_RUN,
     .help = "diagnose with the rules in FILE instead of the\n"
             "built-in set (repeatable); +FILE adds FILE to\n"
             "the built-in set"},
    {"no-rules", 0, NULL, FLAG(no_rules, NUM_BOOL, true),
     .help = "no diagnosis (no cause, fix or alerts)"},
    {"alert-window", 0, "S",
     NUMBER(pipe.alert_window_us, NUM_U64, 0, SECONDS_MAX),
     .scale = 1000000, .what = "a number of seconds",
     .help = "identical alerts (rule, server, client) within\n"
             "S seconds of packet time are counted, not\n"
             "repeated (default 60; 0 sends every one)"},
    {"check-rules", 0, "FILE", .set = add_rule_file, .max = RULES_CHECK,
     .help = "load FILE (+FILE: with the built-in set),\n"
             "report the first error and exit 0 or 1"},
    {"list-rules", 0, NULL, FLAG(rules_mode, NUM_INT, RULES_LIST),
     .help = "print the loaded rules and exit"},
    {"list-rules-md", 0, NULL, FLAG(rules_mode, NUM_INT, RULES_LIST_MD),
     .help = "the same as a Markdown table"},
    {"list-causes-md", 0, NULL, FLAG(rules_mode, NUM_INT, RULES_CAUSES_MD),
     .help = "the cause catalogue (docs/causes.md) of\n"
             "the loaded rules, as Markdown"},
    {"interface", 'i', "IFACE", STRING(live.iface),
     .help = "capture live from IFACE until SIGINT/SIGTERM"},
    {"no-promisc", 0, NULL, FLAG(live.promisc, NUM_BOOL, false),
     .help = "do not put the interface in promiscuous mode"},
    {"snaplen", 0, "N", NUMBER(live.snaplen, NUM_INT, 1, 1ULL << 30),
     .what = "a size", .help = "bytes kept per packet (default 262144)"},
    {"buffer-size", 0, "SIZE",
     NUMBER(live.buffer_bytes, NUM_INT, 1, 1ULL << 30), .what = "a size",
     .help = "kernel capture buffer per worker (default\n"
             "32M; K, M, G suffixes)"},
    {"stats-interval", 0, "S", NUMBER(stats_interval, NUM_LONG, 0, 86400),
     .what = "a number of seconds",
     .help = "stats every S seconds on stderr (and as an\n"
             "NDJSON event); default 60 live, 0 off"},
    {"user", 0, "USER", STRING(live.user),
     .help = "drop privileges to USER once the interface\n"
             "is open"},
    {"workers", 0, "N", NUMBER(workers, NUM_SIZE, 1, WORKERS_MAX),
     .help = "N analysis threads, each with its own flows:\n"
             "live, an AF_PACKET fanout group; files,\n"
             "frames shared out by address pair"},
    {"list-fields", 0, NULL, ACTION(print_fields),
     .help = "print every record field and exit"},
    {"list-fields-md", 0, NULL, ACTION(print_fields_md),
     .help = "the same as a Markdown table"},
    {"help", 'h', NULL, ACTION(print_help), .help = "this help"},
    {"version", 'V', NULL, ACTION(print_version), .help = "version"},
};

#define N_OPTIONS ARRAY_LEN(cli_options)
/* getopt_long's value of a long-only option: its row plus this. */
#define LONG_ONLY_BASE 256

/* ---- --help ------------------------------------------------------------- */

#define HELP_COLUMN 24

/* "  -r FILE", "  -h, --help" or "      --json FILE". */
static size_t option_label(const struct cli_option *opt, char *out, size_t n)
{
    int len;
    if (opt->short_name && opt->arg)
        len = snprintf(out, n, "-%c %s", opt->short_name, opt->arg);
    else if (opt->short_name)
        len = snprintf(out, n, "-%c, --%s", opt->short_name, opt->name);
    else
        len = snprintf(out, n, "--%s%s%s", opt->name, opt->arg ? " " : "",
                       opt->arg ? opt->arg : "");
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

void cli_usage(FILE *fp)
{
    fputs(
        "usage: tlsmon [options] FILE...   or   tlsmon [options] -i IFACE\n"
        "       tlsmon show FLOW_ID [options] FILE...   (every fact of one\n"
        "       handshake: --flow FLOW_ID --detail --no-summary)\n"
        "Passive TLS handshake analyzer: reports every TLS handshake in the\n"
        "capture files (pcap or pcapng; - reads standard input), how it ended\n"
        "and why it failed.\n"
        "\n", fp);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct cli_option *opt = &cli_options[i];
        if (!opt->help)
            continue;
        char label[160];
        size_t len = option_label(opt, label, sizeof(label));
        /* Rows without help of their own share this line. */
        for (size_t j = i + 1; j < N_OPTIONS && !cli_options[j].help; j++) {
            len += (size_t)snprintf(label + len, sizeof(label) - len, ", ");
            len += option_label(&cli_options[j], label + len,
                                sizeof(label) - len);
        }
        int indent = opt->short_name ? 2 : 6;
        int width = indent + (int)len;
        /* At least two spaces between the option and its text. */
        fprintf(fp, "%*s%s%*s", indent, "", label,
                width + 2 < HELP_COLUMN ? HELP_COLUMN - width : 2, "");
        for (const char *line = opt->help; *line;) {
            size_t ll = strcspn(line, "\n");
            if (line != opt->help)
                fprintf(fp, "%*s", HELP_COLUMN, "");
            fprintf(fp, "%.*s\n", (int)ll, line);
            line += ll + (line[ll] == '\n');
        }
    }
    fputs(
        "\n"
        "Exit codes: 0 ok; 1 usage error or unreadable input; 2 an input broke\n"
        "mid-way (results up to the break were written); 3 writing results\n"
        "failed (full disk, closed pipe): stderr says how many lines were lost;\n"
        "4 a network output dropped events (stderr says how many).\n",
        fp);
}

/* ---- reading argv ------------------------------------------------------- */

void cli_defaults(struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->progress = -1;
    o->summary = -1;
    o->live.promisc = true;
    o->stats_interval = -1;
    o->json_events = OUT_EV_ALL;
    o->workers = 1;
    struct net_output_config *nets[] = {&o->syslog.net, &o->redis.net};
    for (size_t i = 0; i < 2; i++)
        *nets[i] = (struct net_output_config){
            .events = OUT_EV_ALERT | OUT_EV_STATS,
            .queue_msgs = 100000,
            .queue_bytes = 256u << 20,
            .spool_bytes = 1ULL << 30,
        };
    o->syslog.facility = SYSLOG_DEFAULT_FACILITY;
    o->redis.key = "tlsmon";
    pipeline_config_defaults(&o->pipe);
}

/* getopt_long's array and short-option string, made from the table. */
static void getopt_tables(struct option *longopts, char *shorts)
{
    size_t k = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct cli_option *opt = &cli_options[i];
        longopts[i] = (struct option){
            opt->name, opt->arg ? required_argument : no_argument, NULL,
            opt->short_name ? opt->short_name
                            : LONG_ONLY_BASE + (int)i};
        if (opt->short_name) {
            shorts[k++] = opt->short_name;
            if (opt->arg)
                shorts[k++] = ':';
        }
    }
    longopts[N_OPTIONS] = (struct option){NULL, 0, NULL, 0};
    shorts[k] = '\0';
}

static const struct cli_option *option_for(int c)
{
    if (c >= LONG_ONLY_BASE && (size_t)(c - LONG_ONLY_BASE) < N_OPTIONS)
        return &cli_options[c - LONG_ONLY_BASE];
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (c > 0 && cli_options[i].short_name == c)
            return &cli_options[i];
    return NULL;
}

/* `tlsmon show FLOW_ID [options] FILE...` is `--flow FLOW_ID --detail
 * --no-summary`: rewritten in place of argv before getopt reads it. */
static char **expand_show(int *argc, char **argv, char **flow_arg)
{
    if (*argc < 3 || strcmp(argv[1], "show") != 0 ||
        strspn(argv[2], "0123456789,") != strlen(argv[2]))
        return argv;
    char **n = calloc((size_t)*argc + 4, sizeof(*n));
    if (!n)
        return argv;
    size_t k = 0;
    n[k++] = argv[0];
    n[k++] = "--detail";
    n[k++] = "--no-summary";
    *flow_arg = malloc(strlen(argv[2]) + 8);
    if (!*flow_arg) {
        free(n);
        return argv;
    }
    sprintf(*flow_arg, "--flow=%s", argv[2]);
    n[k++] = *flow_arg;
    for (int i = 3; i < *argc; i++)
        n[k++] = argv[i];
    *argc = (int)k;
    return n;
}

int cli_parse(int argc, char **argv, struct options *o)
{
    argv = expand_show(&argc, argv, &o->show_flow);
    if (o->show_flow)
        o->show_argv = argv; /* the values point into it */
    struct option longopts[N_OPTIONS + 1];
    char shorts[2 * N_OPTIONS + 1];
    getopt_tables(longopts, shorts);
    int c;
    while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        const struct cli_option *opt = option_for(c);
        if (!opt) {
            fputs("tlsmon: try 'tlsmon --help'\n", stderr);
            return EXIT_INPUT;
        }
        int rc = opt->set(o, opt, optarg);
        if (rc >= 0)
            return rc;
    }
    char err[RULES_ERROR_LEN];
    if (!view_finish(&o->view, err, sizeof(err))) {
        fprintf(stderr, "tlsmon: %s\n", err);
        return EXIT_INPUT;
    }
    if (o->detail && o->format == FORMAT_NDJSON) {
        fputs("tlsmon: --detail is a text view (the NDJSON record already "
              "has every fact); drop --format ndjson\n", stderr);
        return EXIT_INPUT;
    }
    for (int i = optind; i < argc; i++)
        if (!list_add(&o->inputs, argv[i]))
            return EXIT_INPUT;
    if (o->rules_mode != RULES_RUN)
        return -1;
    if (o->live.iface && o->inputs.n > 0) {
        fputs("tlsmon: -i and capture files exclude each other; try "
              "'tlsmon --help'\n", stderr);
        return EXIT_INPUT;
    }
    if (!o->live.iface && o->inputs.n == 0) {
        fputs("tlsmon: no input: give capture files (or - for stdin); "
              "try 'tlsmon --help'\n", stderr);
        return EXIT_INPUT;
    }
    return -1;
}

/* Whether some rule names a cause: every set has the built-in rule for
 * failures nothing explains (cause unknown), which diagnoses nothing. */
static bool explains_anything(const struct rule_set *rs)
{
    for (size_t i = 0; i < rules_count(rs); i++)
        if (strcmp(rules_at(rs, i)->cause, "unknown") != 0)
            return true;
    return false;
}

struct rule_set *cli_load_rules(const struct options *o, bool *failed)
{
    *failed = false;
    if (o->no_rules && o->rules_mode == RULES_RUN)
        return NULL;
    char err[RULES_ERROR_LEN];
    struct rule_set *rs = rules_load(!o->rules_replace_default,
                                     o->rule_files.v, o->rule_files.n, err,
                                     sizeof(err));
    if (!rs) {
        fprintf(stderr, "tlsmon: %s\n", err);
        *failed = true;
    } else if (!explains_anything(rs)) {
        fputs("tlsmon: warning: the rule set has no rules: no handshake will "
              "get a cause other than unknown (--no-rules says so on "
              "purpose)\n", stderr);
    }
    return rs;
}

void cli_free(struct options *o)
{
    free(o->rule_files.v);
    free(o->inputs.v);
    free(o->keylogs.v);
    view_free(&o->view);
    free(o->show_argv);
    free(o->show_flow);
}
