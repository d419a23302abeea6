/* stats_event.c — the sensor's stats, as a line and as an event (see
 * stats_event.h). */
#include "stats_event.h"

#include <inttypes.h>

#include "../fields.h"
#include "../../dissectors/outcome.h"

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
            " memory %" PRIu64 " reassembly_max %" PRIu64 "\n",
            r->alerts, r->alerts_suppressed, s->memory_bytes,
            r->reassembly_bytes_max);
    fflush(fp);
}

void stats_write_json(struct json_writer *w, const struct stats_snapshot *s)
{
    const struct run_stats *r = s->run;
    char ts[40];
    json_begin_object(w);
    json_key(w, "@timestamp");
    json_string(w, fields_time_string(s->now_us, 6, ts, sizeof(ts)));
    json_key(w, "event");
    json_begin_object(w);
    json_key(w, "kind");
    json_string(w, "metric");
    json_key(w, "dataset");
    json_string(w, "tlsmon.stats");
    json_end_object(w);
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
    json_member_uint(w, "flows_timed_out", r->flows_timed_out);
    json_member_uint(w, "handshakes", r->handshakes);
    if (s->summary) {
        json_key(w, "outcomes");
        json_begin_object(w);
        for (int o = OUTCOME_UNDECIDED; o <= OUTCOME_REFUSED; o++)
            json_member_uint(w, outcome_name((enum hs_outcome)o),
                    s->summary->by_outcome[o]);
        json_end_object(w);
    }
    json_member_uint(w, "alerts", r->alerts);
    json_member_uint(w, "alerts_suppressed", r->alerts_suppressed);
    json_member_uint(w, "memory_bytes", s->memory_bytes);
    json_member_uint(w, "reassembly_bytes_max", r->reassembly_bytes_max);
    json_member_uint(w, "server_profiles_evicted", r->server_profiles_evicted);
    json_end_object(w);
    json_end_object(w);
    json_end_object(w);
}
