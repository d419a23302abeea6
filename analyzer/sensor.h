/* sensor.h — run control of a live capture (-i): what the signals do to a
 * running sensor (SIGHUP: new rules and reopened output files; SIGUSR1 and
 * the stats timer: a stats line and event), the files handed to --user,
 * and the capture itself until SIGINT/SIGTERM. */
#ifndef TLSMON_SENSOR_H
#define TLSMON_SENSOR_H

#include <stdio.h>

#include "capture.h"
#include "cli.h"

struct output;
struct rule_set;
struct summary;
struct workers;

struct sensor {
    struct options *opts;
    struct rule_set **rules;   /* swapped by SIGHUP */
    struct workers *ws;
    struct summary *summary;
    struct output **outputs;   /* [0] writes -o, [1] --json when given */
    size_t n_outputs;
    FILE *out, *json_out;      /* -o's and --json's streams (or NULL) */
};

/* Capture from opts->live.iface until SIGINT or SIGTERM (live.h). */
enum capture_status sensor_run(struct sensor *s);

#endif
