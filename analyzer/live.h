/* live.h — live capture from an interface: libpcap in immediate mode with a
 * read timeout, so that time passes for the flow table even when no packet
 * arrives, and the signals a sensor answers (SIGINT/SIGTERM stop, SIGHUP
 * reload, SIGUSR1 stats now). */
#ifndef TLSMON_LIVE_H
#define TLSMON_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture.h"
#include "pipeline.h"

struct live_config {
    const char *iface;
    const char *filter;       /* BPF, may be NULL */
    bool promisc;
    int snaplen;              /* bytes; 0: 262144 */
    int buffer_bytes;         /* kernel buffer; 0: libpcap's default */
    unsigned stats_interval;  /* seconds between stats; 0: only on SIGUSR1 */
    const char *user;         /* drop privileges to this user, or NULL */
};

/* libpcap's counters at the time of a stats report. */
struct live_counters {
    uint64_t received, dropped, if_dropped;
};

struct live_hooks {
    void *ctx;
    void (*reload)(void *ctx);                                 /* SIGHUP */
    /* Periodic and SIGUSR1: libpcap's counters of each of the n workers. */
    void (*stats)(void *ctx, const struct live_counters *pc, size_t n);
};

struct workers;

/* Capture until SIGINT or SIGTERM. Errors (no such interface, permission,
 * bad filter, privilege drop) are one line on `errs`; CAPTURE_UNREADABLE or
 * CAPTURE_BAD_FILTER is returned before any packet is read. */
enum capture_status live_run(const struct live_config *cfg,
                             struct workers *ws, const struct live_hooks *h,
                             FILE *errs);

#endif
