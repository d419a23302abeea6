/* main.c — the tlsmon command line: options, inputs, outputs, exit codes.
 *
 * Exit codes: 0 every input was read; 1 usage error or an input that could
 * not be read at all; 2 partial: an input broke mid-way and the results up to
 * the break were written; 3 results were lost: writing an output file failed
 * (a full disk, a closed pipe), one line on stderr per file says how many
 * lines; 4 a network output dropped events. When several apply, the lowest
 * wins. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <pwd.h>
#include <strings.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "baseline.h"
#include "capture.h"
#include "fields.h"
#include "live.h"
#include "pcapng_secrets.h"
#include "output/json_writer.h"
#include "output/order.h"
#include "output/outfile.h"
#include "output/stats_event.h"
#include "output/output.h"
#include "output/redis.h"
#include "output/report.h"
#include "output/summary.h"
#include "output/syslog.h"
#include "pipeline.h"
#include "progress.h"
#include "view.h"
#include "workers.h"
#include "../dissectors/keylog.h"
#include "../dissectors/distrust.h"
#include "../rules/engine.h"
#include "tlsmon_config.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_INPUT = 1,
    EXIT_PARTIAL = 2,
    EXIT_OUTPUT = 3,  /* writing a result file failed: lines lost */
    EXIT_DROPPED = 4, /* a network output lost events */
};

enum format { FORMAT_AUTO, FORMAT_TEXT, FORMAT_NDJSON };

struct options {
    const char **inputs;
    size_t n_inputs;
    const char *filter;
    const char *out_path;
    const char *json_path;    /* --json: an NDJSON copy beside -o */
    enum format format;
    int summary; /* -1 default for the format, 0 off, 1 on */
    struct pipeline_config pipe;
    /* Rules: the built-in set unless --rules FILE replaces it; --rules
     * +FILE adds to it. */
    const char **rule_files;
    size_t n_rule_files;
    bool rules_replace_default;
    bool no_rules;
    enum { RULES_RUN, RULES_CHECK, RULES_LIST, RULES_LIST_MD,
           RULES_CAUSES_MD } rules_mode;
    struct live_config live;   /* live.iface set: capture from it */
    long stats_interval;       /* -1: default (60 live, off offline) */
    unsigned json_events;      /* OUT_EV_* for --json */
    size_t workers;            /* --workers */
    struct syslog_config syslog; /* syslog.url set: --syslog */
    struct redis_config redis;   /* redis.addr set: --redis */
    const char **keylogs;      /* --keylog files */
    size_t n_keylogs;
    /* The analyst's view (view.h): what -o shows, and how. */
    struct view view;
    bool detail;               /* --detail: every fact under each record */
    int progress;              /* -1: on when stderr is a terminal */
    const char *report_path;   /* --report FILE.html */
    const char *baseline_path; /* --baseline OLD (a capture or NDJSON) */
    const char *distrust_path;   /* --distrust-file, else built in */
};

static void usage(FILE *fp)
{
    fputs(
        "usage: tlsmon [options] FILE...   or   tlsmon [options] -i IFACE\n"
        "       tlsmon show FLOW_ID [options] FILE...   (every fact of one\n"
        "       handshake: --flow FLOW_ID --detail --no-summary)\n"
        "Passive TLS handshake analyzer: reports every TLS handshake in the\n"
        "capture files (pcap or pcapng; - reads standard input), how it ended\n"
        "and why it failed.\n"
        "\n"
        "  -r FILE               read FILE (repeatable; - is standard input)\n"
        "  -f FILTER             BPF filter applied to every input\n"
        "  -o FILE               write results to FILE (default: stdout)\n"
        "      --json FILE       also append NDJSON records, alerts and stats\n"
        "                        to FILE (- is stdout), beside -o/--format\n"
        "      --json-events LIST  what --json takes: handshakes,alerts,stats\n"
        "                        (default all)\n"
        "      --syslog URL      send events as RFC 5424 syslog messages to\n"
        "                        udp://HOST:PORT, tcp://HOST:PORT,\n"
        "                        tls://HOST:PORT (RFC 5425) or unix:PATH\n"
        "      --syslog-events LIST  what it takes (default alerts,stats)\n"
        "      --syslog-facility F  facility name or number (default local0)\n"
        "      --syslog-ca FILE  tls://: trust these CAs (PEM) for the\n"
        "                        collector (default: the system store)\n"
        "      --syslog-cert FILE, --syslog-key FILE  tls://: present this\n"
        "                        client certificate (PEM)\n"
        "      --syslog-tls-name NAME  tls://: the name the collector's\n"
        "                        certificate must have (default: its host)\n"
        "      --redis HOST:PORT send events to Redis: RPUSH to a list\n"
        "      --redis-key KEY   the list or stream (default tlsmon)\n"
        "      --redis-stream    XADD to a stream instead\n"
        "      --redis-maxlen N  trim the stream to about N entries\n"
        "      --redis-events LIST  what it takes (default alerts,stats)\n"
        "      --redis-user USER  AUTH as this ACL user\n"
        "      --redis-password-file FILE  AUTH with the password on FILE's\n"
        "                        first line (or TLSMON_REDIS_PASSWORD)\n"
        "      --output-queue N  events a network output holds while its\n"
        "                        destination is slow or down (default 100000;\n"
        "                        past it events are dropped and counted)\n"
        "      --spool DIR       keep what a network output cannot send yet\n"
        "                        on disk in DIR (one folder per destination),\n"
        "                        sent first when it is back, kept across runs\n"
        "      --spool-size SIZE  at most SIZE per destination (default 1G);\n"
        "                        past it the oldest are dropped and counted\n"
        "      --format FMT      text or ndjson (default: text on a terminal\n"
        "                        and for -o FILE.txt, else ndjson, said once\n"
        "                        on stderr)\n"
        "      --where COND      show only records matching COND, a condition\n"
        "                        of the rule language (YAML), e.g.\n"
        "                        '{tls.version: {lt: \"1.2\"}}' (repeatable:\n"
        "                        all must hold); the summary counts all\n"
        "      --failed          show only failures (event.outcome failure:\n"
        "                        failed, not_tls, refused)\n"
        "      --server S        show only handshakes to S: an IP, CIDR,\n"
        "                        IP:PORT, [IPv6]:PORT or a glob on the SNI\n"
        "                        (repeatable: any of them)\n"
        "      --since T, --until T  show only handshakes from T / before T\n"
        "                        (capture time, UTC: 2026-01-31T12:00:00Z)\n"
        "      --flow ID[,ID..]  show only these flows (tlsmon.flow_id)\n"
        "      --detail          text: every fact of each handshake shown\n"
        "                        (hellos, chain, timeline, evidence)\n"
        "      --progress, --no-progress  a progress line on stderr (default:\n"
        "                        when stderr is a terminal and files are read)\n"
        "      --report FILE.html  also write one self-contained HTML page:\n"
        "                        charts, server and client tables, and every\n"
        "                        connection (the filters choose which) with\n"
        "                        its detail\n"
        "      --baseline OLD    compare with an earlier run: OLD is a capture\n"
        "                        (analyzed with the same rules) or NDJSON\n"
        "                        tlsmon wrote; the summary and report say\n"
        "                        which servers started failing, new causes,\n"
        "                        new client fingerprints, changed certificates\n"
        "      --summary         end-of-run summary (default with text)\n"
        "      --no-summary      no summary\n"
        "      --memcap SIZE     memory for flows, dissectors and reassembly\n"
        "                        (default 512M; K, M, G suffixes)\n"
        "      --flow-timeout S  idle seconds before an open flow is ended\n"
        "                        (packet time; default 120)\n"
        "      --ca-file FILE    trust these CA certificates (PEM) instead of\n"
        "                        the system bundle when verifying chains\n"
        "      --ca-path DIR     trust a hashed CA directory (c_rehash) instead\n"
        "                        of the system bundle\n"
        "      --distrust-file FILE  browsers' CA distrust dates from FILE\n"
        "                        instead of the built-in rules/distrust.tsv\n"
        "      --emit-certificates  add the certificate chains as PEM\n"
        "                        (tls.server.certificate_chain, ...)\n"
        "      --keylog FILE     decrypt handshakes with the secrets in FILE\n"
        "                        (SSLKEYLOGFILE / NSS key log format;\n"
        "                        repeatable; with -i followed as it grows).\n"
        "                        pcapng Decryption Secrets Blocks are read\n"
        "                        without it\n"
        "      --community-id-seed N  seed of network.community_id (default\n"
        "                        0, as Zeek's and Suricata's)\n"
        "      --rules FILE      diagnose with the rules in FILE instead of the\n"
        "                        built-in set (repeatable); +FILE adds FILE to\n"
        "                        the built-in set\n"
        "      --no-rules        no diagnosis (no cause, fix or alerts)\n"
        "      --alert-window S  identical alerts (rule, server, client) within\n"
        "                        S seconds of packet time are counted, not\n"
        "                        repeated (default 60; 0 sends every one)\n"
        "      --check-rules FILE  load FILE (+FILE: with the built-in set),\n"
        "                        report the first error and exit 0 or 1\n"
        "      --list-rules      print the loaded rules and exit\n"
        "      --list-rules-md   the same as a Markdown table\n"
        "      --list-causes-md  the cause catalogue (docs/causes.md) of\n"
        "                        the loaded rules, as Markdown\n"
        "  -i IFACE              capture live from IFACE until SIGINT/SIGTERM\n"
        "      --no-promisc      do not put the interface in promiscuous mode\n"
        "      --snaplen N       bytes kept per packet (default 262144)\n"
        "      --buffer-size SIZE  kernel capture buffer per worker (default\n"
        "                        32M; K, M, G suffixes)\n"
        "      --stats-interval S  stats every S seconds on stderr (and as an\n"
        "                        NDJSON event); default 60 live, 0 off\n"
        "      --user USER       drop privileges to USER once the interface\n"
        "                        is open\n"
        "      --workers N       N analysis threads, each with its own flows:\n"
        "                        live, an AF_PACKET fanout group; files,\n"
        "                        frames shared out by address pair\n"
        "      --list-fields     print every record field and exit\n"
        "      --list-fields-md  the same as a Markdown table\n"
        "  -h, --help            this help\n"
        "  -V, --version         version\n"
        "\n"
        "Exit codes: 0 ok; 1 usage error or unreadable input; 2 an input broke\n"
        "mid-way (results up to the break were written); 3 writing results\n"
        "failed (full disk, closed pipe): stderr says how many lines were lost;\n"
        "4 a network output dropped events (stderr says how many).\n",
        fp);
}

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

/* "+FILE" adds to the built-in rules; "FILE" replaces them. */
static bool add_rule_file(struct options *o, const char *arg)
{
    const char **n = realloc(o->rule_files, (o->n_rule_files + 1) * sizeof(*n));
    if (!n)
        return false;
    o->rule_files = n;
    if (arg[0] == '+')
        arg++;
    else
        o->rules_replace_default = true;
    o->rule_files[o->n_rule_files++] = arg;
    return true;
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

/* Load the rule set the options ask for; NULL with a message on error, or
 * when there are to be no rules (*failed false then). */
static struct rule_set *load_rules(const struct options *o, bool *failed)
{
    *failed = false;
    if (o->no_rules && o->rules_mode == RULES_RUN)
        return NULL;
    char err[RULES_ERROR_LEN];
    struct rule_set *rs = rules_load(!o->rules_replace_default, o->rule_files,
                                     o->n_rule_files, err, sizeof(err));
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

/* What a live run's signal handlers and stats timer reach (live.h). */
struct sensor {
    struct options *opts;
    struct rule_set **rules;
    struct workers *ws;
    struct summary *summary;
    enum format fmt;
    struct output **outputs;   /* [0] writes -o, [1] --json when given */
    size_t n_outputs;
};

/* Reopen an output file (logrotate moved it away). The new file is opened
 * before the old one is closed, so a failure keeps writing where it was. */
static void reopen(const char *path, struct output *o)
{
    if (!path || strcmp(path, "-") == 0 || !o->file)
        return;
    if (!outfile_reopen(o->file, path))
        fprintf(stderr, "tlsmon: SIGHUP: %s: cannot reopen (%s), keeping "
                        "the open file\n", path, strerror(errno));
}

static void give_to(const struct options *o, const struct passwd *pw,
                    const char *path)
{
    if (chown(path, pw->pw_uid, pw->pw_gid) != 0)
        fprintf(stderr, "tlsmon: --user %s: cannot give %s to it: %s\n",
                o->live.user, path, strerror(errno));
}

/* The spool folder, its destination folders and their files. */
static void give_tree_to(const struct options *o, const struct passwd *pw,
                         const char *path, int depth)
{
    give_to(o, pw, path);
    DIR *d = depth > 0 ? opendir(path) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        if (e->d_name[0] != '.' &&
            (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) <
                sizeof(sub))
            give_tree_to(o, pw, sub, depth - 1);
    }
    if (d)
        closedir(d);
}

/* --user: the files opened as root become the user's, so that it can
 * reopen them on SIGHUP, and the spool's, so that its sender threads can
 * go on creating and removing segments. */
static void give_outputs_to(const struct options *o)
{
    struct passwd *pw = getpwnam(o->live.user);
    const char *paths[] = {o->out_path, o->json_path};
    for (size_t i = 0; pw && i < 2; i++)
        if (paths[i] && strcmp(paths[i], "-") != 0)
            give_to(o, pw, paths[i]);
    if (pw && o->syslog.spool_dir && (o->syslog.url || o->redis.addr))
        give_tree_to(o, pw, o->syslog.spool_dir, 2);
}

/* SIGHUP: new rules between records (a broken file keeps the running
 * ones), and the output file reopened for logrotate's copy-less rotation. */
/* Workers decide records under the emit lock and render them under the
 * output lock (read); the signal hooks touch what they share (rules,
 * outputs, summary) holding both, in that order. */
static void emit_lock(struct sensor *s, bool take)
{
    pthread_mutex_t *m = workers_emit_lock(s->ws);
    pthread_rwlock_t *o = workers_output_lock(s->ws);
    if (!m)
        return;
    if (take) {
        pthread_mutex_lock(m);
        pthread_rwlock_wrlock(o);
    } else {
        pthread_rwlock_unlock(o);
        pthread_mutex_unlock(m);
    }
}

static void sensor_reload(void *ctx)
{
    struct sensor *s = ctx;
    bool failed;
    struct rule_set *fresh = load_rules(s->opts, &failed);
    emit_lock(s, true);
    if (failed) {
        fputs("tlsmon: SIGHUP: keeping the running rules\n", stderr);
    } else {
        for (size_t i = 0; i < workers_count(s->ws); i++)
            pipeline_set_rules(workers_pipeline(s->ws, i), fresh);
        rules_free(*s->rules);
        *s->rules = fresh;
        fprintf(stderr, "tlsmon: SIGHUP: %zu rules loaded\n",
                rules_count(fresh));
    }
    reopen(s->opts->out_path, s->outputs[0]);
    if (s->opts->json_path)
        reopen(s->opts->json_path, s->outputs[1]);
    emit_lock(s, false);
}

static void sensor_stats(void *ctx, const struct live_counters *pc, size_t n)
{
    struct sensor *s = ctx;
    struct run_stats total;
    struct worker_snapshot per[WORKERS_MAX];
    struct stats_snapshot snap = {
        .run = &total,
        .summary = s->summary,
        .outputs = s->outputs,
        .n_outputs = s->n_outputs,
        .workers = per,
        .n_workers = n,
    };
    memset(&total, 0, sizeof(total));
    memset(per, 0, sizeof(per));
    /* Each worker's own lock first, then the shared one: a worker holds
     * its own while it decides records under the shared lock. */
    for (size_t i = 0; i < n && i < WORKERS_MAX; i++) {
        workers_busy_lock(s->ws, i);
        struct pipeline *p = workers_pipeline(s->ws, i);
        const struct run_stats *r = pipeline_stats(p);
        run_stats_add(&total, r);
        per[i] = (struct worker_snapshot){
            r->packets, r->bytes, pc[i].dropped, pc[i].if_dropped,
            pipeline_active_flows(p), r->handshakes, pipeline_memory(p)};
        snap.reassembly_bytes += pipeline_reassembly_bytes(p);
        workers_busy_unlock(s->ws, i);
        snap.pcap.received += pc[i].received;
        snap.pcap.dropped += pc[i].dropped;
        snap.pcap.if_dropped += pc[i].if_dropped;
        snap.memory_bytes += per[i].memory_bytes;
        snap.flows_active += per[i].flows_active;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snap.now_us = (uint64_t)tv.tv_sec * 1000000ULL + (uint64_t)tv.tv_usec;
    emit_lock(s, true);
    stats_print_line(stderr, &snap);
    for (size_t i = 0; i < s->n_outputs; i++)
        if (s->outputs[i]->stats)
            s->outputs[i]->stats(s->outputs[i], &snap);
    emit_lock(s, false);
}

static bool add_keylog(struct options *o, const char *path)
{
    const char **n = realloc(o->keylogs, (o->n_keylogs + 1) * sizeof(*n));
    if (!n)
        return false;
    o->keylogs = n;
    o->keylogs[o->n_keylogs++] = path;
    return true;
}

/* The key log table (always made: a pcapng may carry secrets) and the
 * --keylog files in it. False with a message when a file cannot be read;
 * a file without a usable line is only warned about. */
static struct keylog *load_keylogs(const struct options *o)
{
    /* Secrets share the memory budget: an eighth of --memcap at most. */
    struct keylog *kl = keylog_new(o->pipe.memcap / 8);
    if (!kl) {
        fputs("tlsmon: out of memory\n", stderr);
        return NULL;
    }
    bool live = o->live.iface != NULL;
    for (size_t i = 0; i < o->n_keylogs; i++) {
        char err[512];
        struct keylog_stats before, after;
        keylog_get_stats(kl, &before);
        if (!keylog_add_file(kl, o->keylogs[i], live, err, sizeof err)) {
            fprintf(stderr, "tlsmon: --keylog %s\n", err);
            keylog_free(kl);
            return NULL;
        }
        keylog_get_stats(kl, &after);
        uint64_t bad = after.malformed - before.malformed;
        if (after.secrets == before.secrets && !live)
            fprintf(stderr, "tlsmon: --keylog %s: no secrets in it (%llu "
                            "lines not in the key log format)\n",
                    o->keylogs[i], (unsigned long long)bad);
        else if (bad)
            fprintf(stderr, "tlsmon: --keylog %s: %llu lines not in the key "
                            "log format, skipped\n",
                    o->keylogs[i], (unsigned long long)bad);
    }
    return kl;
}

static bool add_input(struct options *o, const char *path)
{
    const char **n = realloc(o->inputs, (o->n_inputs + 1) * sizeof(*n));
    if (!n)
        return false;
    o->inputs = n;
    o->inputs[o->n_inputs++] = path;
    return true;
}

enum long_only {
    OPT_FORMAT = 256,
    OPT_SUMMARY,
    OPT_NO_SUMMARY,
    OPT_MEMCAP,
    OPT_FLOW_TIMEOUT,
    OPT_LIST_FIELDS,
    OPT_LIST_FIELDS_MD,
    OPT_CA_FILE,
    OPT_CA_PATH,
    OPT_EMIT_CERTIFICATES,
    OPT_DISTRUST_FILE,
    OPT_RULES,
    OPT_NO_RULES,
    OPT_ALERT_WINDOW,
    OPT_CHECK_RULES,
    OPT_LIST_RULES,
    OPT_LIST_RULES_MD,
    OPT_LIST_CAUSES_MD,
    OPT_NO_PROMISC,
    OPT_SNAPLEN,
    OPT_BUFFER_SIZE,
    OPT_STATS_INTERVAL,
    OPT_USER,
    OPT_JSON,
    OPT_JSON_EVENTS,
    OPT_SYSLOG,
    OPT_SYSLOG_EVENTS,
    OPT_SYSLOG_FACILITY,
    OPT_REDIS,
    OPT_REDIS_KEY,
    OPT_REDIS_STREAM,
    OPT_REDIS_MAXLEN,
    OPT_REDIS_EVENTS,
    OPT_OUTPUT_QUEUE,
    OPT_WORKERS,
    OPT_KEYLOG,
    OPT_WHERE,
    OPT_FAILED,
    OPT_SERVER,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_FLOW,
    OPT_DETAIL,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_REPORT,
    OPT_BASELINE,
    OPT_SYSLOG_CA,
    OPT_SYSLOG_CERT,
    OPT_SYSLOG_KEY,
    OPT_SYSLOG_TLS_NAME,
    OPT_REDIS_USER,
    OPT_REDIS_PASSWORD_FILE,
    OPT_SPOOL,
    OPT_SPOOL_SIZE,
    OPT_COMMUNITY_ID_SEED,
};

#define VIEW_HANDLED (-2)

/* The analyst's view options (view.h): VIEW_HANDLED, -1 when `c` is not
 * one of them, or the exit code of a bad one. */
static int parse_view_option(struct options *o, int c, const char *arg)
{
    char err[RULES_ERROR_LEN];
    bool ok = true;
    switch (c) {
    case OPT_WHERE:
        ok = view_where(&o->view, arg, err, sizeof(err));
        break;
    case OPT_FAILED:
        ok = view_failed(&o->view, err, sizeof(err));
        break;
    case OPT_SERVER:
        ok = view_server(&o->view, arg, err, sizeof(err));
        break;
    case OPT_SINCE:
        ok = view_since(&o->view, arg, err, sizeof(err));
        break;
    case OPT_UNTIL:
        ok = view_until(&o->view, arg, err, sizeof(err));
        break;
    case OPT_FLOW:
        ok = view_flow(&o->view, arg, err, sizeof(err));
        break;
    case OPT_DETAIL:
        o->detail = true;
        break;
    case OPT_PROGRESS:
    case OPT_NO_PROGRESS:
        o->progress = c == OPT_PROGRESS;
        break;
    case OPT_REPORT:
        o->report_path = arg;
        break;
    case OPT_BASELINE:
        o->baseline_path = arg;
        break;
    default:
        return -1;
    }
    if (ok)
        return VIEW_HANDLED;
    fprintf(stderr, "tlsmon: %s\n", err);
    return EXIT_INPUT;
}

/* Returns -1 to go on, else the exit code to leave with. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"filter", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"no-summary", no_argument, NULL, OPT_NO_SUMMARY},
        {"memcap", required_argument, NULL, OPT_MEMCAP},
        {"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
        {"list-fields", no_argument, NULL, OPT_LIST_FIELDS},
        {"list-fields-md", no_argument, NULL, OPT_LIST_FIELDS_MD},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"ca-path", required_argument, NULL, OPT_CA_PATH},
        {"emit-certificates", no_argument, NULL, OPT_EMIT_CERTIFICATES},
        {"distrust-file", required_argument, NULL, OPT_DISTRUST_FILE},
        {"rules", required_argument, NULL, OPT_RULES},
        {"no-rules", no_argument, NULL, OPT_NO_RULES},
        {"alert-window", required_argument, NULL, OPT_ALERT_WINDOW},
        {"check-rules", required_argument, NULL, OPT_CHECK_RULES},
        {"list-rules", no_argument, NULL, OPT_LIST_RULES},
        {"list-rules-md", no_argument, NULL, OPT_LIST_RULES_MD},
        {"list-causes-md", no_argument, NULL, OPT_LIST_CAUSES_MD},
        {"interface", required_argument, NULL, 'i'},
        {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
        {"snaplen", required_argument, NULL, OPT_SNAPLEN},
        {"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},
        {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
        {"user", required_argument, NULL, OPT_USER},
        {"json", required_argument, NULL, OPT_JSON},
        {"json-events", required_argument, NULL, OPT_JSON_EVENTS},
        {"syslog", required_argument, NULL, OPT_SYSLOG},
        {"syslog-events", required_argument, NULL, OPT_SYSLOG_EVENTS},
        {"syslog-facility", required_argument, NULL, OPT_SYSLOG_FACILITY},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"redis-key", required_argument, NULL, OPT_REDIS_KEY},
        {"redis-stream", no_argument, NULL, OPT_REDIS_STREAM},
        {"redis-maxlen", required_argument, NULL, OPT_REDIS_MAXLEN},
        {"redis-events", required_argument, NULL, OPT_REDIS_EVENTS},
        {"output-queue", required_argument, NULL, OPT_OUTPUT_QUEUE},
        {"syslog-ca", required_argument, NULL, OPT_SYSLOG_CA},
        {"syslog-cert", required_argument, NULL, OPT_SYSLOG_CERT},
        {"syslog-key", required_argument, NULL, OPT_SYSLOG_KEY},
        {"syslog-tls-name", required_argument, NULL, OPT_SYSLOG_TLS_NAME},
        {"redis-user", required_argument, NULL, OPT_REDIS_USER},
        {"redis-password-file", required_argument, NULL,
         OPT_REDIS_PASSWORD_FILE},
        {"spool", required_argument, NULL, OPT_SPOOL},
        {"spool-size", required_argument, NULL, OPT_SPOOL_SIZE},
        {"community-id-seed", required_argument, NULL,
         OPT_COMMUNITY_ID_SEED},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"keylog", required_argument, NULL, OPT_KEYLOG},
        {"where", required_argument, NULL, OPT_WHERE},
        {"failed", no_argument, NULL, OPT_FAILED},
        {"server", required_argument, NULL, OPT_SERVER},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"flow", required_argument, NULL, OPT_FLOW},
        {"detail", no_argument, NULL, OPT_DETAIL},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"report", required_argument, NULL, OPT_REPORT},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "r:f:o:i:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (!add_input(o, optarg))
                return EXIT_INPUT;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                o->format = FORMAT_TEXT;
            else if (strcmp(optarg, "ndjson") == 0 || strcmp(optarg, "json") == 0)
                o->format = FORMAT_NDJSON;
            else {
                fprintf(stderr, "tlsmon: --format: '%s' is not text or ndjson\n",
                        optarg);
                return EXIT_INPUT;
            }
            break;
        case OPT_SUMMARY:
            o->summary = 1;
            break;
        case OPT_NO_SUMMARY:
            o->summary = 0;
            break;
        case OPT_MEMCAP:
            if (!parse_size(optarg, &v) || v < (1ULL << 20)) {
                fprintf(stderr,
                        "tlsmon: --memcap: '%s' is not a size of at least 1M\n",
                        optarg);
                return EXIT_INPUT;
            }
            o->pipe.memcap = v;
            break;
        case OPT_FLOW_TIMEOUT:
            if (!parse_size(optarg, &v) || v == 0 || v > 86400 * 365) {
                fprintf(stderr, "tlsmon: --flow-timeout: '%s' is not a number "
                                "of seconds\n", optarg);
                return EXIT_INPUT;
            }
            o->pipe.flow_timeout_us = v * 1000000ULL;
            break;
        case OPT_CA_FILE:
        case OPT_CA_PATH:
            /* Checked now so a typo is a usage error, not a run where every
             * chain comes out untrusted. */
            if (access(optarg, R_OK) != 0) {
                fprintf(stderr, "tlsmon: %s: '%s': %s\n",
                        c == OPT_CA_FILE ? "--ca-file" : "--ca-path", optarg,
                        strerror(errno));
                return EXIT_INPUT;
            }
            if (c == OPT_CA_FILE)
                o->pipe.ca_file = optarg;
            else
                o->pipe.ca_path = optarg;
            break;
        case OPT_EMIT_CERTIFICATES:
            o->pipe.emit_certificates = true;
            break;
        case OPT_KEYLOG:
            if (!add_keylog(o, optarg))
                return EXIT_INPUT;
            break;
        case OPT_DISTRUST_FILE:
            o->distrust_path = optarg;
            break;
        case OPT_RULES:
        case OPT_CHECK_RULES:
            if (!add_rule_file(o, optarg))
                return EXIT_INPUT;
            if (c == OPT_CHECK_RULES)
                o->rules_mode = RULES_CHECK;
            break;
        case 'i':
            o->live.iface = optarg;
            break;
        case OPT_NO_PROMISC:
            o->live.promisc = false;
            break;
        case OPT_SNAPLEN:
        case OPT_BUFFER_SIZE:
            if (!parse_size(optarg, &v) || v == 0 || v > (1ULL << 30)) {
                fprintf(stderr, "tlsmon: %s: '%s' is not a size\n",
                        c == OPT_SNAPLEN ? "--snaplen" : "--buffer-size",
                        optarg);
                return EXIT_INPUT;
            }
            if (c == OPT_SNAPLEN)
                o->live.snaplen = (int)v;
            else
                o->live.buffer_bytes = (int)v;
            break;
        case OPT_STATS_INTERVAL:
            if (!parse_size(optarg, &v) || v > 86400) {
                fprintf(stderr, "tlsmon: --stats-interval: '%s' is not a "
                                "number of seconds\n", optarg);
                return EXIT_INPUT;
            }
            o->stats_interval = (long)v;
            break;
        case OPT_USER:
            o->live.user = optarg;
            break;
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_JSON_EVENTS:
        case OPT_SYSLOG_EVENTS:
        case OPT_REDIS_EVENTS: {
            unsigned *mask = c == OPT_JSON_EVENTS     ? &o->json_events
                             : c == OPT_SYSLOG_EVENTS ? &o->syslog.events
                                                      : &o->redis.events;
            if (!output_parse_events(optarg, mask)) {
                fprintf(stderr, "tlsmon: '%s' is not a list of handshakes, "
                                "alerts, stats (or all, none)\n", optarg);
                return EXIT_INPUT;
            }
            break;
        }
        case OPT_SYSLOG: {
            char err[256];
            if (!syslog_url_valid(optarg, err, sizeof(err))) {
                fprintf(stderr, "tlsmon: --syslog: %s\n", err);
                return EXIT_INPUT;
            }
            o->syslog.url = optarg;
            break;
        }
        case OPT_SYSLOG_FACILITY:
            o->syslog.facility = syslog_facility_code(optarg);
            if (o->syslog.facility < 0) {
                fprintf(stderr, "tlsmon: --syslog-facility: '%s' is not a "
                                "facility (local0..local7, daemon, ...)\n",
                        optarg);
                return EXIT_INPUT;
            }
            break;
        case OPT_REDIS: {
            char err[256];
            if (!redis_addr_valid(optarg, err, sizeof(err))) {
                fprintf(stderr, "tlsmon: --redis: %s\n", err);
                return EXIT_INPUT;
            }
            o->redis.addr = optarg;
            break;
        }
        case OPT_REDIS_KEY:
            if (*optarg == '\0' || strlen(optarg) > 500) {
                fputs("tlsmon: --redis-key: a key of 1 to 500 bytes\n",
                      stderr);
                return EXIT_INPUT;
            }
            o->redis.key = optarg;
            break;
        case OPT_WORKERS:
            if (!parse_size(optarg, &v) || v == 0 || v > WORKERS_MAX) {
                fprintf(stderr, "tlsmon: --workers: '%s' is not a number "
                                "from 1 to %d\n", optarg, WORKERS_MAX);
                return EXIT_INPUT;
            }
            o->workers = (size_t)v;
            break;
        case OPT_REDIS_STREAM:
            o->redis.stream = true;
            break;
        case OPT_REDIS_MAXLEN:
        case OPT_OUTPUT_QUEUE:
            if (!parse_size(optarg, &v) || (c == OPT_OUTPUT_QUEUE && v == 0) ||
                v > (1ULL << 32)) {
                fprintf(stderr, "tlsmon: %s: '%s' is not a count\n",
                        c == OPT_OUTPUT_QUEUE ? "--output-queue"
                                              : "--redis-maxlen", optarg);
                return EXIT_INPUT;
            }
            if (c == OPT_OUTPUT_QUEUE)
                o->syslog.queue_msgs = o->redis.queue_msgs = (size_t)v;
            else
                o->redis.maxlen = v;
            break;
        case OPT_SYSLOG_CA:
            o->syslog.tls.ca_file = optarg;
            break;
        case OPT_SYSLOG_CERT:
            o->syslog.tls.cert_file = optarg;
            break;
        case OPT_SYSLOG_KEY:
            o->syslog.tls.key_file = optarg;
            break;
        case OPT_SYSLOG_TLS_NAME:
            o->syslog.tls.name = optarg;
            break;
        case OPT_REDIS_USER:
            o->redis.user = optarg;
            break;
        case OPT_REDIS_PASSWORD_FILE:
            o->redis.password_file = optarg;
            break;
        case OPT_SPOOL:
            o->syslog.spool_dir = o->redis.spool_dir = optarg;
            break;
        case OPT_SPOOL_SIZE:
            if (!parse_size(optarg, &v) || v < (64u << 10)) {
                fprintf(stderr, "tlsmon: --spool-size: '%s' is not a size of "
                                "at least 64K\n", optarg);
                return EXIT_INPUT;
            }
            o->syslog.spool_bytes = o->redis.spool_bytes = v;
            break;
        case OPT_COMMUNITY_ID_SEED:
            if (!parse_size(optarg, &v) || v > 65535) {
                fprintf(stderr, "tlsmon: --community-id-seed: '%s' is not a "
                                "number from 0 to 65535\n", optarg);
                return EXIT_INPUT;
            }
            o->pipe.community_id_seed = (uint16_t)v;
            break;
        case OPT_NO_RULES:
            o->no_rules = true;
            break;
        case OPT_ALERT_WINDOW:
            if (!parse_size(optarg, &v) || v > 86400 * 365) {
                fprintf(stderr, "tlsmon: --alert-window: '%s' is not a number "
                                "of seconds\n", optarg);
                return EXIT_INPUT;
            }
            o->pipe.alert_window_us = v * 1000000ULL;
            break;
        case OPT_LIST_RULES:
            o->rules_mode = RULES_LIST;
            break;
        case OPT_LIST_RULES_MD:
            o->rules_mode = RULES_LIST_MD;
            break;
        case OPT_LIST_CAUSES_MD:
            o->rules_mode = RULES_CAUSES_MD;
            break;
        case OPT_LIST_FIELDS:
            fields_print_list(stdout);
            return EXIT_OK;
        case OPT_LIST_FIELDS_MD:
            fields_print_markdown(stdout);
            return EXIT_OK;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'V':
            printf("tlsmon %s\n", TLSMON_VERSION);
            return EXIT_OK;
        default: {
            int vr = parse_view_option(o, c, optarg);
            if (vr == VIEW_HANDLED)
                break;
            if (vr >= 0)
                return vr;
            fputs("tlsmon: try 'tlsmon --help'\n", stderr);
            return EXIT_INPUT;
        }
        }
    }
    {
        char err[RULES_ERROR_LEN];
        if (!view_finish(&o->view, err, sizeof(err))) {
            fprintf(stderr, "tlsmon: %s\n", err);
            return EXIT_INPUT;
        }
    }
    if (o->detail && o->format == FORMAT_NDJSON) {
        fputs("tlsmon: --detail is a text view (the NDJSON record already "
              "has every fact); drop --format ndjson\n", stderr);
        return EXIT_INPUT;
    }
    for (int i = optind; i < argc; i++)
        if (!add_input(o, argv[i]))
            return EXIT_INPUT;
    if (o->rules_mode != RULES_RUN)
        return -1;
    if (o->live.iface && o->n_inputs > 0) {
        fputs("tlsmon: -i and capture files exclude each other; try "
              "'tlsmon --help'\n", stderr);
        return EXIT_INPUT;
    }
    if (o->live.iface)
        return -1;
    if (o->n_inputs == 0) {
        fputs("tlsmon: no input: give capture files (or - for stdin); "
              "try 'tlsmon --help'\n", stderr);
        return EXIT_INPUT;
    }
    return -1;
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

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Text or NDJSON when --format is not given: text for a terminal and for
 * a file named like text, NDJSON otherwise — said once on stderr at the
 * end (`*say`), so a pipe into a pager is not a mystery. */
static enum format auto_format(const struct options *o, bool tty, bool *say)
{
    const char *path = o->out_path;
    if (tty || o->detail)
        return FORMAT_TEXT;
    if (path && (ends_with(path, ".txt") || ends_with(path, ".text") ||
                 ends_with(path, ".log")))
        return FORMAT_TEXT;
    if (path && (ends_with(path, ".ndjson") || ends_with(path, ".json") ||
                 ends_with(path, ".jsonl")))
        return FORMAT_NDJSON;
    *say = true;
    return FORMAT_NDJSON;
}

/* What the progress line counts: the summary's handshakes, read under the
 * lock workers decide records under (none with one worker). */
struct progress_source {
    const struct summary *summary;
    struct workers *ws;
};

static uint64_t decided_so_far(void *ctx)
{
    const struct progress_source *src = ctx;
    pthread_mutex_t *lock = workers_emit_lock(src->ws);
    if (lock)
        pthread_mutex_lock(lock);
    uint64_t n = src->summary->handshakes;
    if (lock)
        pthread_mutex_unlock(lock);
    return n;
}

/* What the progress line adds up to: the inputs' sizes, 0 if a pipe. */
static uint64_t inputs_size(const struct options *o)
{
    uint64_t total = 0;
    for (size_t i = 0; i < o->n_inputs; i++) {
        struct stat st;
        if (strcmp(o->inputs[i], "-") == 0 || stat(o->inputs[i], &st) != 0 ||
            !S_ISREG(st.st_mode))
            return 0;
        total += (uint64_t)st.st_size;
    }
    return total;
}

static void clear_progress(void *ctx)
{
    progress_clear(ctx);
}

/* --baseline: the earlier run's profile, from its NDJSON or by analyzing
 * its capture with this run's configuration and rules. NULL (said on
 * stderr) when it cannot be read. */
static struct run_profile *load_baseline(const struct options *o)
{
    struct run_profile *p = run_profile_new();
    if (!p) {
        fputs("tlsmon: out of memory\n", stderr);
        return NULL;
    }
    FILE *fp = strcmp(o->baseline_path, "-") == 0 ? NULL
                                                   : fopen(o->baseline_path,
                                                           "r");
    if (!fp) {
        fprintf(stderr, "tlsmon: --baseline %s: cannot read: %s\n",
                o->baseline_path,
                strcmp(o->baseline_path, "-") == 0 ? "standard input is for "
                "the capture" : strerror(errno));
        run_profile_free(p);
        return NULL;
    }
    bool ok;
    if (baseline_looks_like_ndjson(fp)) {
        char err[512];
        ok = run_profile_read_ndjson(p, fp, o->baseline_path, err,
                                     sizeof(err));
        if (!ok)
            fprintf(stderr, "tlsmon: --baseline %s\n", err);
        fclose(fp);
    } else {
        fclose(fp);
        struct output *out = run_profile_output(p);
        struct workers *ws =
            out ? workers_new(1, &o->pipe, &out, 1, NULL) : NULL;
        enum capture_status st =
            ws ? workers_read_file(ws, o->baseline_path, o->filter, stderr)
               : CAPTURE_UNREADABLE;
        if (ws)
            workers_finish(ws);
        workers_free(ws);
        if (out)
            out->free(out);
        ok = st == CAPTURE_OK || st == CAPTURE_BROKEN;
        if (!ok)
            fprintf(stderr, "tlsmon: --baseline %s: not a capture tlsmon "
                    "reads, nor its NDJSON\n", o->baseline_path);
    }
    if (!ok) {
        run_profile_free(p);
        return NULL;
    }
    return p;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    char *show_flow = NULL;
    char **args = expand_show(&argc, argv, &show_flow);
    argv = args; /* a copy of our own when show_flow is set */
    o.progress = -1;
    o.summary = -1;
    o.live.promisc = true;
    o.stats_interval = -1;
    o.json_events = OUT_EV_ALL;
    o.workers = 1;
    o.syslog.events = OUT_EV_ALERT | OUT_EV_STATS;
    o.syslog.facility = SYSLOG_DEFAULT_FACILITY;
    o.syslog.queue_msgs = 100000;
    o.syslog.queue_bytes = 256u << 20;
    o.redis.events = OUT_EV_ALERT | OUT_EV_STATS;
    o.redis.key = "tlsmon";
    o.redis.queue_msgs = 100000;
    o.redis.queue_bytes = 256u << 20;
    o.syslog.spool_bytes = o.redis.spool_bytes = 1ULL << 30;
    pipeline_config_defaults(&o.pipe);

    int rc = parse_options(argc, argv, &o);
    bool rules_failed = false;
    struct rule_set *rules = rc < 0 ? load_rules(&o, &rules_failed) : NULL;
    if (rc < 0 && rules_failed)
        rc = EXIT_INPUT;
    if (rc < 0 && o.rules_mode != RULES_RUN) {
        if (o.rules_mode == RULES_CHECK)
            printf("%zu rules OK\n", rules_count(rules));
        else if (o.rules_mode == RULES_LIST)
            rules_print(rules, stdout);
        else if (o.rules_mode == RULES_CAUSES_MD)
            rules_print_causes_markdown(rules, stdout);
        else
            rules_print_markdown(rules, stdout);
        rc = EXIT_OK;
    }
    /* The earlier run first: a baseline that cannot be read ends the run
     * before anything is written. */
    struct run_profile *base_profile = NULL, *cur_profile = NULL;
    if (rc < 0 && o.baseline_path) {
        o.pipe.rules = rules;
        base_profile = load_baseline(&o);
        cur_profile = base_profile ? run_profile_new() : NULL;
        if (!cur_profile) {
            run_profile_free(base_profile);
            rc = EXIT_INPUT;
        }
    }
    if (rc >= 0) {
        rules_free(rules);
        free(o.rule_files);
        free(o.inputs);
        free(o.keylogs);
        view_free(&o.view);
        if (show_flow) {
            free(args);
            free(show_flow);
        }
        return rc;
    }
    o.pipe.rules = rules;
    /* What the run holds, freed in one place whether it ran or failed to
     * start. */
    int exit_code = EXIT_OK;
    struct outfile *out_file = NULL, *json_file = NULL;
    struct output *outputs[6] = {0};
    size_t n_outputs = 0, first_network = 0, end_network = 0;
    struct summary summary;
    bool summary_ready = false;
    struct record_order *order = NULL;
    struct progress *progress = NULL;
    struct workers *ws = NULL;
    struct run_changes *changes = NULL;
    bool out_is_stdout = !o.out_path || strcmp(o.out_path, "-") == 0;
    bool say_ndjson = false;
    uint64_t shown = 0;
    struct distrust_table *distrust = NULL;
    struct keylog *keylog = load_keylogs(&o);
    if (!keylog) {
        exit_code = EXIT_INPUT;
        goto release;
    }
    o.pipe.keylog = keylog;

    /* Loaded once, read by every worker's certificate stage. */
    char distrust_err[512];
    distrust = o.distrust_path
                   ? distrust_load_file(o.distrust_path, distrust_err,
                                        sizeof(distrust_err))
                   : distrust_load_builtin(distrust_err, sizeof(distrust_err));
    if (!distrust) {
        fprintf(stderr, "tlsmon: --distrust-file %s\n", distrust_err);
        exit_code = EXIT_INPUT;
        goto release;
    }
    o.pipe.distrust = distrust;

    /* A closed pipe or a file past its size limit is a failed write to
     * count and report, not a signal that ends the run silently. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    bool tty = out_is_stdout && isatty(STDOUT_FILENO);
    FILE *out = out_is_stdout
                    ? outfile_from_fd(STDOUT_FILENO, &out_file)
                    : outfile_open(o.out_path, "w", &out_file);
    if (!out) {
        fprintf(stderr, "tlsmon: %s: cannot write: %s\n",
                out_is_stdout ? "standard output" : o.out_path,
                strerror(errno));
        exit_code = EXIT_INPUT;
        goto release;
    }
    enum format fmt = o.format;
    if (fmt == FORMAT_AUTO)
        fmt = auto_format(&o, tty, &say_ndjson);
    bool want_summary = o.summary == 1 || (o.summary == -1 && fmt == FORMAT_TEXT);
    bool color = tty && fmt == FORMAT_TEXT && getenv("NO_COLOR") == NULL;

    FILE *json_out = NULL;
    if (o.json_path) {
        bool json_stdout = strcmp(o.json_path, "-") == 0;
        if (json_stdout && out_is_stdout) {
            json_out = out; /* one stream: its lines stay whole */
            json_file = out_file;
        } else {
            json_out = json_stdout
                           ? outfile_from_fd(STDOUT_FILENO, &json_file)
                           : outfile_open(o.json_path, "a", &json_file);
        }
        if (!json_out) {
            fprintf(stderr, "tlsmon: --json %s: cannot write: %s\n",
                    o.json_path, strerror(errno));
            exit_code = EXIT_INPUT;
            goto release;
        }
    }
    /* [0] writes -o, [1] --json when given, then the network outputs, the
     * report and the baseline's profile of this run. */
    outputs[n_outputs++] = fmt == FORMAT_TEXT ? output_text_new(out, color)
                                              : output_ndjson_new(out);
    if (outputs[0])
        outputs[0]->file = out_file;
    if (json_out) {
        outputs[n_outputs++] = output_ndjson_new(json_out);
        if (outputs[n_outputs - 1]) {
            outputs[n_outputs - 1]->events = o.json_events;
            outputs[n_outputs - 1]->file = json_file;
        }
    }
    /* Network outputs: [first_network, end_network). */
    first_network = n_outputs;
    char err[512];
    if (o.syslog.url && outputs[n_outputs - 1]) {
        outputs[n_outputs++] = output_syslog_new(&o.syslog, err, sizeof(err));
        if (!outputs[n_outputs - 1]) {
            fprintf(stderr, "tlsmon: --syslog %s: %s\n", o.syslog.url, err);
            exit_code = EXIT_INPUT;
            goto release;
        }
    }
    if (o.redis.addr && outputs[n_outputs - 1]) {
        outputs[n_outputs++] = output_redis_new(&o.redis, err, sizeof(err));
        if (!outputs[n_outputs - 1]) {
            fprintf(stderr, "tlsmon: --redis %s: %s\n", o.redis.addr, err);
            exit_code = EXIT_INPUT;
            goto release;
        }
    }
    end_network = n_outputs;
    summary_ready = summary_init(&summary);
    if (!summary_ready) {
        fputs("tlsmon: out of memory\n", stderr);
        exit_code = EXIT_INPUT;
        goto release;
    }
    if (o.report_path && outputs[n_outputs - 1]) {
        struct report_info info = {TLSMON_VERSION, o.inputs, o.n_inputs};
        struct output *report =
            output_report_new(o.report_path, &summary, &info);
        if (!report) {
            fprintf(stderr, "tlsmon: --report %s: no temporary space: %s\n",
                    o.report_path, strerror(errno));
            exit_code = EXIT_INPUT;
            goto release;
        }
        report->filter = o.view.filter;
        outputs[n_outputs++] = report;
    }
    if (cur_profile && outputs[n_outputs - 1])
        outputs[n_outputs++] = run_profile_output(cur_profile);
    /* The -o output is what a person reads: the view's filter, its
     * detail, and offline, capture-time order. */
    if (outputs[0]) {
        outputs[0]->filter = o.view.filter;
        outputs[0]->detail = o.detail;
        if (!o.live.iface) {
            /* A flow decided by silence comes a timeout after its start,
             * and the expiry scan runs every second of packet time; what
             * is held stays within an eighth of the memory cap. */
            uint64_t hold = o.pipe.memcap / 8;
            order = record_order_new(o.pipe.flow_timeout_us + 2000000ULL,
                                     hold < ORDER_MAX_BYTES ? (size_t)hold
                                                            : ORDER_MAX_BYTES);
            outputs[0]->order = order;
        }
    }
    ws = outputs[n_outputs - 1] ? workers_new(o.workers, &o.pipe, outputs,
                                              n_outputs, &summary)
                                : NULL;
    if (!ws) {
        fputs("tlsmon: out of memory\n", stderr);
        exit_code = EXIT_INPUT;
        goto release;
    }

    struct progress_source progress_src = {&summary, ws};
    if (!o.live.iface &&
        (o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO)))) {
        progress = progress_new(stderr, inputs_size(&o), o.n_inputs,
                                decided_so_far, &progress_src);
        if (progress) {
            struct capture_progress hook = {progress_update, progress};
            capture_set_progress(&hook);
            /* Text to the same terminal takes the line away first. */
            if (tty && outputs[0]) {
                outputs[0]->before_write = clear_progress;
                outputs[0]->before_write_ctx = progress;
            }
        }
    }
    if (o.live.iface) {
        /* Events from many sensors meet in one SIEM: say which one saw it. */
        static char hostname[256];
        if (gethostname(hostname, sizeof(hostname) - 1) != 0)
            hostname[0] = '\0';
        fields_set_observer(hostname, o.live.iface);
        /* A shipper tails the output: every line reaches it whole and now. */
        setvbuf(out, NULL, _IOLBF, 0);
        if (json_out)
            setvbuf(json_out, NULL, _IOLBF, 0);
        o.live.filter = o.filter;
        o.live.stats_interval =
            o.stats_interval < 0 ? 60 : (unsigned)o.stats_interval;
        struct sensor sensor = {&o, &rules, ws, &summary, fmt, outputs,
                                n_outputs};
        if (o.live.user)
            give_outputs_to(&o);
        struct live_hooks hooks = {&sensor, sensor_reload, sensor_stats};
        enum capture_status st = live_run(&o.live, ws, &hooks, stderr);
        if (st != CAPTURE_OK && st != CAPTURE_BROKEN) {
            exit_code = EXIT_INPUT;
            want_summary = false; /* nothing was captured */
        }
        else if (st == CAPTURE_BROKEN)
            exit_code = EXIT_PARTIAL;
    }
    for (size_t i = 0; i < o.n_inputs; i++) {
        struct pcapng_secrets secrets;
        pcapng_read_secrets(o.inputs[i], o.n_keylogs > 0, keylog, &secrets);
        enum capture_status st = workers_read_file(ws, o.inputs[i], o.filter,
                                                   stderr);
        if (st == CAPTURE_BAD_FILTER) {
            exit_code = EXIT_INPUT;
            break;
        }
        if (st == CAPTURE_UNREADABLE || st == CAPTURE_BAD_LINKTYPE)
            exit_code = EXIT_INPUT;
        else if (st == CAPTURE_BROKEN && exit_code == EXIT_OK)
            exit_code = EXIT_PARTIAL;
    }
    workers_finish(ws);
    capture_set_progress(NULL);
    progress_clear(progress); /* the outputs still hold it until freed */
    struct run_stats total;
    workers_total_stats(ws, &total);
    if (rules_filter_count(o.view.filter) && outputs[0]) {
        summary.view_filter = o.view.description;
        summary.view_shown = outputs[0]->shown;
    }
    changes =
        base_profile ? run_changes_compute(base_profile, cur_profile,
                                           o.baseline_path)
                     : NULL;
    summary.changes = changes;
    for (size_t i = 0; i < n_outputs; i++)
        outputs[i]->finish(outputs[i], want_summary ? &summary : NULL,
                           &total);
    shown = outputs[0] ? outputs[0]->shown : 0;
    /* Events the SIEM will never see make the run fail, so that a batch
     * job or a supervisor notices (each output said how many above). */
    uint64_t dropped = 0;
    for (size_t i = first_network; i < end_network; i++) {
        struct output_counters c = {0};
        outputs[i]->counters(outputs[i], &c);
        dropped += c.dropped;
    }
    if (dropped) {
        fprintf(stderr, "tlsmon: %" PRIu64 " events were dropped on the way "
                "to the network outputs\n", dropped);
        if (exit_code == EXIT_OK)
            exit_code = EXIT_DROPPED;
    }
release:
    workers_free(ws);
    for (size_t i = 0; i < n_outputs; i++)
        if (outputs[i])
            outputs[i]->free(outputs[i]);
    progress_free(progress);
    /* Every record reached its file whole, or one line says how many did
     * not, and the run says so in its exit code. */
    outfile_close(out_file);
    bool lost = outfile_report(out_file, out_is_stdout ? "standard output"
                                                       : o.out_path, stderr);
    if (json_file && json_file != out_file) {
        outfile_close(json_file);
        char name[300];
        snprintf(name, sizeof(name), "--json %s", o.json_path);
        lost |= outfile_report(json_file, name, stderr);
        outfile_free(json_file);
    }
    outfile_free(out_file);
    if (lost && (exit_code == EXIT_OK || exit_code > EXIT_OUTPUT))
        exit_code = EXIT_OUTPUT;
    if (say_ndjson && shown)
        fputs("tlsmon: the output was not a terminal, so it is NDJSON "
              "(--format text for text)\n", stderr);
    if (record_order_late(order))
        fprintf(stderr, "tlsmon: note: %" PRIu64 " records came after later "
                "ones (the inputs' times go back, or a handshake was decided "
                "long after it began)\n", record_order_late(order));
    record_order_free(order);
    run_changes_free(changes);
    run_profile_free(base_profile);
    run_profile_free(cur_profile);
    if (summary_ready)
        summary_free(&summary);
    rules_free(rules);
    keylog_free(keylog);
    distrust_free(distrust);
    free(o.rule_files);
    free(o.inputs);
    free(o.keylogs);
    view_free(&o.view);
    if (show_flow) {
        free(args);
        free(show_flow);
    }

    return exit_code;
}
