/* stats_event.c — the sensor's stats, as a line and as an event (see
 * stats_event.h). */
#include "stats_event.h"

#include <inttypes.h>

#include "observer.h"
#include "../fields.h"
#include "../../dissectors/outcome.h"

uint64_t stats_output_dropped(const struct stats_snapshot *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->n_outputs; i++) {
        struct output_counters c = {0};
        if (s->outputs[i]->ops->counters) {
            s->outputs[i]->ops->counters(s->outputs[i], &c);
            n += c.dropped;
        }
    }
    return n;
}

/* Each output's delivery: [{name, sent, dropped, queued, spooled,
 * reconnects, connected}], in the order they were given. */
static void write_outputs(struct json_writer *w, const struct stats_snapshot *s)
{
    json_key(w, "outputs");
    json_begin_array(w);
    for (size_t i = 0; i < s->n_outputs; i++) {
        struct output *o = s->outputs[i];
        struct output_counters c = {0};
        if (!o->ops->counters)
            continue;
        o->ops->counters(o, &c);
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, o->name);
        json_member_uint(w, "sent", c.sent);
        json_member_uint(w, "dropped", c.dropped);
        json_member_uint(w, "queued", c.queued);
        json_member_uint(w, "spooled", c.spooled);
        json_member_uint(w, "reconnects", c.reconnects);
        json_key(w, "connected");
        json_bool(w, c.connected);
        json_end_object(w);
    }
    json_end_array(w);
}

void stats_print_line(FILE *fp, const struct stats_snapshot *s)
{
    const struct run_stats *r = s->run;
    fprintf(fp,
            "tlsmon: stats: packets %" PRIu64 " bytes %" PRIu64
            " pcap_drop %" PRIu64 " pcap_ifdrop %" PRIu64 " flows_active %" PRIu64
            " flows_evicted %" PRIu64 " handshakes %" PRIu64,
            r->packets, r->bytes, s->pcap.dropped, s->pcap.if_dropped,
            s->flows_active, r->flows_evicted, r->handshakes);
    if (s->summary)
        for (int o = OUTCOME_ESTABLISHED; o <= OUTCOME_REFUSED; o++)
            fprintf(fp, " %s %" PRIu64, outcome_name((enum hs_outcome)o),
                    s->summary->by_outcome[o]);
    fprintf(fp,
            " alerts %" PRIu64 " alerts_suppressed %" PRIu64
            " memory %" PRIu64 " reassembly %" PRIu64
            " reassembly_max %" PRIu64 " output_dropped %" PRIu64,
            r->alerts, r->alerts_suppressed, s->memory_bytes,
            s->reassembly_bytes, r->reassembly_bytes_max,
            stats_output_dropped(s));
    if (s->n_workers > 1) {
        fprintf(fp, " workers");
        for (size_t i = 0; i < s->n_workers; i++)
            fprintf(fp, "%s%" PRIu64, i ? "/" : " ", s->workers[i].packets);
    }
    fputc('\n', fp);
    fflush(fp);
}

void stats_write_json(struct json_writer *w, const struct stats_snapshot *s)
{
    const struct run_stats *r = s->run;
    char ts[40];
    json_begin_object(w);
    json_key(w, "@timestamp");
    json_string(w, fields_time_string(s->now_us, 6, ts, sizeof(ts)));
    summary_begin_metric_event(w, "tlsmon.stats");
    json_end_object(w);
    json_write_observer(w, &s->observer);
    json_key(w, "tlsmon");
    json_begin_object(w);
    json_key(w, "stats");
    json_begin_object(w);
    json_member_uint(w, "packets", r->packets);
    json_member_uint(w, "bytes", r->bytes);
    json_member_uint(w, "pcap_received", s->pcap.received);
    json_member_uint(w, "pcap_dropped", s->pcap.dropped);
    json_member_uint(w, "pcap_if_dropped", s->pcap.if_dropped);
    json_member_uint(w, "packets_malformed", r->packets_malformed);
    json_member_uint(w, "flows_active", s->flows_active);
    json_member_uint(w, "flows", r->flows);
    json_member_uint(w, "flows_evicted", r->flows_evicted);
    json_member_uint(w, "quic_initials_skipped", r->quic_initials_skipped);
    json_member_uint(w, "flows_timed_out", r->flows_timed_out);
    json_member_uint(w, "handshakes", r->handshakes);
    if (s->summary)
        summary_write_outcomes(w, s->summary);
    json_member_uint(w, "alerts", r->alerts);
    json_member_uint(w, "alerts_suppressed", r->alerts_suppressed);
    json_member_uint(w, "memory_bytes", s->memory_bytes);
    json_member_uint(w, "memory_bytes_max", r->memory_bytes_max);
    json_member_uint(w, "memcap_refused", r->memcap_refused);
    json_member_uint(w, "reassembly_bytes", s->reassembly_bytes);
    json_member_uint(w, "reassembly_bytes_max", r->reassembly_bytes_max);
    json_member_uint(w, "tcp_cap_gaps", r->tcp_cap_gaps);
    json_member_uint(w, "tcp_late_segments", r->tcp_late_segments);
    json_member_uint(w, "rst_out_of_window", r->rst_out_of_window);
    json_member_uint(w, "stream_cap_hits", r->stream_cap_hits);
    json_member_uint(w, "timestamps_invalid", r->timestamps_invalid);
    json_member_uint(w, "packets_too_deep", r->packets_too_deep);
    json_member_uint(w, "server_profiles_evicted", r->server_profiles_evicted);
    json_member_uint(w, "output_dropped", stats_output_dropped(s));
    write_outputs(w, s);
    if (s->n_workers > 1) {
        json_key(w, "workers");
        json_begin_array(w);
        for (size_t i = 0; i < s->n_workers; i++) {
            const struct worker_snapshot *k = &s->workers[i];
            json_begin_object(w);
            json_member_uint(w, "packets", k->packets);
            json_member_uint(w, "bytes", k->bytes);
            json_member_uint(w, "pcap_dropped", k->pcap_dropped);
            json_member_uint(w, "pcap_if_dropped", k->pcap_if_dropped);
            json_member_uint(w, "flows_active", k->flows_active);
            json_member_uint(w, "handshakes", k->handshakes);
            json_member_uint(w, "memory_bytes", k->memory_bytes);
            json_end_object(w);
        }
        json_end_array(w);
    }
    json_end_object(w);
    json_end_object(w);
    json_end_object(w);
}
