/* community_id.h — the identifiers a SIEM joins on: the Community ID of a
 * flow (version 1 of Corelight's specification,
 * github.com/corelight/community-id-spec), which Zeek, Suricata, Arkime
 * and Elastic's own pipelines put in network.community_id, so the same
 * connection gets the same id in every tool's events; and the record's own
 * event.id. */
#ifndef TLSMON_COMMUNITY_ID_H
#define TLSMON_COMMUNITY_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dissectors/handshake.h"

#define COMMUNITY_ID_LEN 31 /* "1:" + 28 base64 characters + NUL */

/* "1:" + base64(SHA-1(seed, the endpoints in canonical order, protocol,
 * ports)) into out (at least COMMUNITY_ID_LEN bytes). False, out empty,
 * when the endpoints are not both IPv4 or both IPv6. The direction does
 * not matter: a and b may be given either way round. */
bool community_id_v1(const struct endpoint *a, const struct endpoint *b,
                     uint8_t ip_proto, uint16_t seed, char *out, size_t n);

/* The report's community_id for the record's flow (TCP or UDP), and its
 * event_id: 20 hex digits of SHA-256 over the flow's endpoints and VLANs,
 * its first packet's time, the round and the sensor's host name (live:
 * out->observer, filled before).
 * Derived, not random: a second run on the same packets gives the same ids
 * (a SIEM that indexes a capture twice can tell), any other connection
 * other ids. */
void community_id_compute(const struct handshake *h,
                          struct handshake_report *out, uint16_t seed);

#endif
