/* sensor.c — run control of a live capture: the signal hooks (reload,
 * stats), handing the output files to --user, and the run itself. */
#include "sensor.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "live.h"
#include "output/outfile.h"
#include "output/output.h"
#include "output/stats_event.h"
#include "output/summary.h"
#include "pipeline.h"
#include "workers.h"
#include "../rules/engine.h"

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
    if (pw && o->syslog.net.spool_dir && (o->syslog.url || o->redis.addr))
        give_tree_to(o, pw, o->syslog.net.spool_dir, 2);
}

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

/* SIGHUP: new rules between records (a broken file keeps the running
 * ones), and the output file reopened for logrotate's copy-less rotation. */
static void sensor_reload(void *ctx)
{
    struct sensor *s = ctx;
    bool failed;
    struct rule_set *fresh = cli_load_rules(s->opts, &failed);
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
        .observer = s->opts->pipe.observer,
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
        if (s->outputs[i]->ops->stats)
            s->outputs[i]->ops->stats(s->outputs[i], &snap);
    emit_lock(s, false);
}

enum capture_status sensor_run(struct sensor *s)
{
    struct options *o = s->opts;
    /* A shipper tails the output: every line reaches it whole and now. */
    setvbuf(s->out, NULL, _IOLBF, 0);
    if (s->json_out)
        setvbuf(s->json_out, NULL, _IOLBF, 0);
    o->live.filter = o->filter;
    o->live.stats_interval =
        o->stats_interval < 0 ? 60 : (unsigned)o->stats_interval;
    if (o->live.user)
        give_outputs_to(o);
    struct live_hooks hooks = {s, sensor_reload, sensor_stats};
    return live_run(&o->live, s->ws, &hooks, stderr);
}
