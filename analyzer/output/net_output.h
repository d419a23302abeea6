/* net_output.h — what every network output (syslog, Redis) is made of: the
 * events it takes, rendered by the thread that decides records and framed
 * by the destination, then handed to a sender (sender.h: the bounded
 * queue, its thread, reconnects with backoff, the spool); the end-of-run
 * drain and report; the drop count. A destination writes its transport
 * and its framing, nothing else. */
#ifndef TLSMON_NET_OUTPUT_H
#define TLSMON_NET_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "json_writer.h"
#include "output.h"
#include "sender.h"

/* The options every network output has. */
struct net_output_config {
    unsigned events;          /* OUT_EV_* */
    size_t queue_msgs;        /* bounds of the memory queue */
    size_t queue_bytes;
    const char *spool_dir;    /* NULL: no spool */
    uint64_t spool_bytes;
};

struct net_output {
    struct output base;
    struct json_writer w;     /* stats events */
    struct sender *sender;
    /* Events that could not be sent at all (too large to render or for
     * one datagram); workers add to it at once. */
    _Atomic uint64_t lost;
    /* Frames one event and pushes it to the sender (or counts it in
     * lost). ctx is the net_output. */
    event_sink push;
};

/* The destination as the sender and the spool know it. */
struct net_destination {
    const char *name;         /* the output's name: "syslog", "redis" */
    const char *label;        /* in messages: "syslog tcp://..." */
    const char *spool_name;   /* its folder in the spool */
    const struct sender_transport *transport;
    void *ctx;                /* the transport's, the sender's once made */
};

/* Sets up no (the first member of the destination's own output, which
 * net_output_free frees): the spool if asked for, the sender, the output's
 * methods. False with the reason in err; dest->ctx is then still the
 * caller's to free. */
bool net_output_init(struct net_output *no, const struct net_output_config *cfg,
                     const struct net_destination *dest, event_sink push,
                     char *err, size_t errlen);

/* For an output left out of the build: "this tlsmon was built without
 * the NAME output (meson -DNAME=disabled)" in err, false. */
bool net_output_not_built(const char *name, char *err, size_t n);

#endif
