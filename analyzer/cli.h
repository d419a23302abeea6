/* cli.h — the command line: what the options ask for (struct options),
 * read from argv through one table of options (cli.c) that also writes
 * --help. */
#ifndef TLSMON_CLI_H
#define TLSMON_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "live.h"
#include "pipeline.h"
#include "view.h"
#include "output/redis.h"
#include "output/syslog.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_INPUT = 1,
    EXIT_PARTIAL = 2,
    EXIT_OUTPUT = 3,  /* writing a result file failed: lines lost */
    EXIT_DROPPED = 4, /* a network output lost events */
};

enum format { FORMAT_AUTO, FORMAT_TEXT, FORMAT_NDJSON };

enum rules_mode { RULES_RUN, RULES_CHECK, RULES_LIST, RULES_LIST_MD,
                  RULES_CAUSES_MD };

/* A repeatable option's values, in the order given. */
struct str_list {
    const char **v;
    size_t n;
};

struct options {
    struct str_list inputs;
    const char *filter;
    const char *out_path;
    const char *json_path;    /* --json: an NDJSON copy beside -o */
    int format;               /* enum format */
    int summary; /* -1 default for the format, 0 off, 1 on */
    struct pipeline_config pipe;
    /* Rules: the built-in set unless --rules FILE replaces it; --rules
     * +FILE adds to it. */
    struct str_list rule_files;
    bool rules_replace_default;
    bool no_rules;
    int rules_mode;            /* enum rules_mode */
    struct live_config live;   /* live.iface set: capture from it */
    long stats_interval;       /* -1: default (60 live, off offline) */
    unsigned json_events;      /* OUT_EV_* for --json */
    size_t workers;            /* --workers */
    struct syslog_config syslog; /* syslog.url set: --syslog */
    struct redis_config redis;   /* redis.addr set: --redis */
    struct str_list keylogs;   /* --keylog files */
    /* The analyst's view (view.h): what -o shows, and how. */
    struct view view;
    bool detail;               /* --detail: every fact under each record */
    int progress;              /* -1: on when stderr is a terminal */
    const char *report_path;   /* --report FILE.html */
    const char *baseline_path; /* --baseline OLD (a capture or NDJSON) */
    const char *distrust_path;   /* --distrust-file, else built in */
    /* `tlsmon show FLOW_ID ...`: the argv read instead, and its --flow. */
    char **show_argv;
    char *show_flow;
};

/* The defaults, before argv is read. */
void cli_defaults(struct options *o);

/* Reads argv into o. Returns -1 to go on, else the exit code to leave with
 * (what was wrong is said on stderr; --help, --version and the field
 * listings are printed and give EXIT_OK). */
int cli_parse(int argc, char **argv, struct options *o);

/* --help. */
void cli_usage(FILE *fp);

/* The rule set the options ask for; NULL with a message on error, or when
 * there are to be no rules (*failed false then). */
struct rule_set *cli_load_rules(const struct options *o, bool *failed);

/* What cli_parse allocated. */
void cli_free(struct options *o);

#endif
