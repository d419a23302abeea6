/* net_output.c — the part of every network output that is not its
 * transport: events in, the sender's queue, the end of the run. */
#include "net_output.h"

#include <stdio.h>
#include <stdlib.h>

#include "spool.h"

static void net_handshake(struct output *o, const struct handshake *h,
                          struct output_scratch *s)
{
    struct net_output *no = (struct net_output *)o;
    no->lost += events_from_handshake(&s->event, h, o->events, no->push, no);
}

static void net_stats(struct output *o, const struct stats_snapshot *s)
{
    struct net_output *no = (struct net_output *)o;
    if (output_takes(o, OUT_EV_STATS))
        no->lost += events_from_stats(&no->w, s, no->push, no);
}

static void net_counters(struct output *o, struct output_counters *c)
{
    struct net_output *no = (struct net_output *)o;
    sender_counters(no->sender, c);
    c->dropped += no->lost;
}

static void net_finish(struct output *o, const struct summary *sum,
                       const struct run_stats *st)
{
    (void)sum;
    (void)st;
    struct net_output *no = (struct net_output *)o;
    sender_finish(no->sender, SENDER_DRAIN_MS);
    struct output_counters c;
    net_counters(o, &c);
    sender_report(no->sender, &c);
}

static void net_free(struct output *o)
{
    struct net_output *no = (struct net_output *)o;
    sender_free(no->sender);
    json_free(&no->w);
    free(no);
}

static const struct output_ops net_ops = {
    .handshake = net_handshake,
    .stats = net_stats,
    .counters = net_counters,
    .finish = net_finish,
    .free = net_free,
};

bool net_output_init(struct net_output *no, const struct net_output_config *cfg,
                     const struct net_destination *dest, event_sink push,
                     char *err, size_t errlen)
{
    struct spool *spool = NULL;
    if (cfg->spool_dir) {
        spool = spool_open_for(cfg->spool_dir, dest->spool_name,
                               cfg->spool_bytes, err, errlen);
        if (!spool)
            return false;
    }
    no->sender = sender_new(dest->label, dest->transport, dest->ctx,
                            cfg->queue_msgs, cfg->queue_bytes, spool);
    if (!no->sender) {
        spool_close(spool);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    json_init(&no->w);
    no->push = push;
    no->base.name = dest->name;
    no->base.events = cfg->events;
    no->base.ops = &net_ops;
    return true;
}

bool net_output_not_built(const char *name, char *err, size_t n)
{
    snprintf(err, n, "this tlsmon was built without the %s output "
             "(meson -D%s=disabled)", name, name);
    return false;
}
