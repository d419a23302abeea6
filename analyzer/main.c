/* main.c — one run of tlsmon: the options read (cli.c), the inputs, the
 * outputs set up in order, the capture (files here, live in sensor.c),
 * and the exit code.
 *
 * Exit codes: 0 every input was read; 1 usage error or an input that could
 * not be read at all; 2 partial: an input broke mid-way and the results up to
 * the break were written; 3 results were lost: writing an output file failed
 * (a full disk, a closed pipe), one line on stderr per file says how many
 * lines; 4 a network output dropped events. When several apply, the lowest
 * wins. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "baseline.h"
#include "capture.h"
#include "cli.h"
#include "fields.h"
#include "pcapng_secrets.h"
#include "output/order.h"
#include "output/outfile.h"
#include "output/output.h"
#include "output/redis.h"
#include "output/report.h"
#include "output/summary.h"
#include "output/syslog.h"
#include "pipeline.h"
#include "progress.h"
#include "sensor.h"
#include "workers.h"
#include "../dissectors/keylog.h"
#include "../dissectors/distrust.h"
#include "../rules/engine.h"
#include "tlsmon_config.h"

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
    for (size_t i = 0; i < o->keylogs.n; i++) {
        char err[512];
        struct keylog_stats before, after;
        keylog_get_stats(kl, &before);
        if (!keylog_add_file(kl, o->keylogs.v[i], live, err, sizeof err)) {
            fprintf(stderr, "tlsmon: --keylog %s\n", err);
            keylog_free(kl);
            return NULL;
        }
        keylog_get_stats(kl, &after);
        uint64_t bad = after.malformed - before.malformed;
        if (after.secrets == before.secrets && !live)
            fprintf(stderr, "tlsmon: --keylog %s: no secrets in it (%llu "
                            "lines not in the key log format)\n",
                    o->keylogs.v[i], (unsigned long long)bad);
        else if (bad)
            fprintf(stderr, "tlsmon: --keylog %s: %llu lines not in the key "
                            "log format, skipped\n",
                    o->keylogs.v[i], (unsigned long long)bad);
    }
    return kl;
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
    for (size_t i = 0; i < o->inputs.n; i++) {
        struct stat st;
        if (strcmp(o->inputs.v[i], "-") == 0 || stat(o->inputs.v[i], &st) != 0 ||
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
            out->ops->free(out);
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

/* A network output joins the run's outputs; NULL (the reason in err)
 * ends the run before anything is read. */
static bool add_network_output(struct output **outputs, size_t *n,
                               struct output *made, const char *option,
                               const char *dest, const char *err)
{
    if (!made) {
        fprintf(stderr, "tlsmon: %s %s: %s\n", option, dest, err);
        return false;
    }
    outputs[(*n)++] = made;
    return true;
}

int main(int argc, char **argv)
{
    /* Before anything reads a field (--list-fields, the rule loader) and
     * before any thread starts. */
    field_registry_use(&fields_program);
    struct options o;
    cli_defaults(&o);

    int rc = cli_parse(argc, argv, &o);
    bool rules_failed = false;
    struct rule_set *rules = rc < 0 ? cli_load_rules(&o, &rules_failed) : NULL;
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
        cli_free(&o);
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

    /* Events from many sensors meet in one SIEM: a live run says which one
     * saw the traffic (ECS observer.*); a file has no observer. */
    char hostname[256] = "";
    if (o.live.iface) {
        if (gethostname(hostname, sizeof(hostname) - 1) != 0)
            hostname[0] = '\0';
        o.pipe.observer.hostname = hostname[0] ? hostname : NULL;
        o.pipe.observer.interface = o.live.iface[0] ? o.live.iface : NULL;
    }

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
    enum format fmt = (enum format)o.format;
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
    char err[512] = "";
    bool made = true;
    if (o.syslog.url && outputs[n_outputs - 1])
        made = add_network_output(
            outputs, &n_outputs, output_syslog_new(&o.syslog, err, sizeof(err)),
            "--syslog", o.syslog.url, err);
    if (made && o.redis.addr && outputs[n_outputs - 1])
        made = add_network_output(
            outputs, &n_outputs, output_redis_new(&o.redis, err, sizeof(err)),
            "--redis", o.redis.addr, err);
    if (!made) {
        exit_code = EXIT_INPUT;
        goto release;
    }
    end_network = n_outputs;
    summary_ready = summary_init(&summary);
    if (!summary_ready) {
        fputs("tlsmon: out of memory\n", stderr);
        exit_code = EXIT_INPUT;
        goto release;
    }
    if (o.report_path && outputs[n_outputs - 1]) {
        struct report_info info = {TLSMON_VERSION, o.inputs.v, o.inputs.n};
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
        progress = progress_new(stderr, inputs_size(&o), o.inputs.n,
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
        struct sensor sensor = {&o, &rules, ws, &summary, outputs,
                                n_outputs, out, json_out};
        enum capture_status st = sensor_run(&sensor);
        if (st != CAPTURE_OK && st != CAPTURE_BROKEN) {
            exit_code = EXIT_INPUT;
            want_summary = false; /* nothing was captured */
        }
        else if (st == CAPTURE_BROKEN)
            exit_code = EXIT_PARTIAL;
    }
    for (size_t i = 0; i < o.inputs.n; i++) {
        struct pcapng_secrets secrets;
        pcapng_read_secrets(o.inputs.v[i], o.keylogs.n > 0, keylog, &secrets);
        enum capture_status st = workers_read_file(ws, o.inputs.v[i], o.filter,
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
        outputs[i]->ops->finish(outputs[i], want_summary ? &summary : NULL,
                                &total);
    shown = outputs[0] ? outputs[0]->shown : 0;
    /* Events the SIEM will never see make the run fail, so that a batch
     * job or a supervisor notices (each output said how many above). */
    uint64_t dropped = 0;
    for (size_t i = first_network; i < end_network; i++) {
        struct output_counters c = {0};
        outputs[i]->ops->counters(outputs[i], &c);
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
            outputs[i]->ops->free(outputs[i]);
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
    cli_free(&o);

    return exit_code;
}
