/* decode.h — from a captured frame to a `struct packet`: link layer
 * (Ethernet, 802.1Q/QinQ, Linux SLL/SLL2, raw IP, BSD loopback), IPv4 with
 * fragment reassembly, IPv6 with extension headers, TCP and UDP. */
#ifndef TLSMON_DECODE_H
#define TLSMON_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "ipfrag.h"

#define PKT_MAX_VLANS 2

/* TCP flag bits as on the wire. */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10

/* What an ICMP destination unreachable said about the datagram it quotes. */
enum icmp_unreach {
    ICMP_UNREACH_NONE = 0,
    ICMP_UNREACH_PORT,       /* nothing listens on the port */
    ICMP_UNREACH_HOST,
    ICMP_UNREACH_NET,
    ICMP_UNREACH_PROHIBITED, /* a filter refused it */
    ICMP_UNREACH_OTHER,
};

struct packet {
    uint64_t ts_us;
    uint32_t wire_len;
    uint32_t cap_len;

    uint16_t vlan[PKT_MAX_VLANS]; /* outer first */
    uint8_t n_vlan;

    uint8_t ip_version; /* 4 or 6 */
    uint8_t ip_proto;   /* 6 TCP, 17 UDP */
    uint8_t src[16], dst[16];
    /* The whole IP datagram (reassembled when it came in fragments), for
     * nDPI. Valid until the next decode call. */
    const uint8_t *l3;
    uint32_t l3_len;

    uint16_t sport, dport;
    uint8_t tcp_flags;
    uint32_t seq, ack;
    uint16_t window;    /* as on the wire, unscaled */
    int8_t wscale;      /* a SYN's window scale option, -1 without */

    const uint8_t *payload;
    uint32_t payload_len;
    bool payload_truncated; /* snaplen cut the payload short */
    uint32_t payload_lost;  /* TCP: payload bytes the snaplen cut off */
    /* Set for an ICMP/ICMPv6 destination unreachable: then the addresses,
     * ports and ip_proto are those of the datagram it quotes (no payload);
     * l3 is the ICMP packet itself. */
    enum icmp_unreach icmp_unreach;
};

enum decode_status {
    DECODE_OK = 0,      /* a TCP or UDP packet is in `out` */
    DECODE_IGNORED,     /* well-formed but nothing tlsmon analyzes (ARP, most ICMP…) */
    DECODE_HELD,        /* an IPv4 fragment kept until its datagram completes */
    DECODE_MALFORMED,   /* counted and skipped */
    DECODE_UNSUPPORTED_LINK,
};

struct decode_stats {
    uint64_t ok, ignored, malformed, fragments, reassembled, frag_dropped;
    uint64_t too_deep; /* ignored for nesting more layers than followed */
};

struct decoder {
    struct ipfrag_table frags;
    struct decode_stats stats;
    /* The frame being decoded: decoders entered so far, and whether the
     * limit stopped it. */
    uint32_t layers;
    bool too_deep;
};

void decoder_init(struct decoder *d, uint32_t frag_memcap);
void decoder_free(struct decoder *d);

/* `linktype` is the pcap DLT/LINKTYPE value. */
enum decode_status decode_packet(struct decoder *d, int linktype,
                                 const uint8_t *frame, uint32_t cap_len,
                                 uint32_t wire_len, uint64_t ts_us,
                                 struct packet *out);

/* For sharing packets among workers: a hash of the frame's outermost IP
 * address pair, the same in both directions and for every fragment of a
 * datagram (tunnelled traffic shares its tunnel's), 0 without an IP header.
 * Reads the frame only; no decoder state. */
uint32_t decode_shard_hash(int linktype, const uint8_t *frame,
                           uint32_t cap_len);

/* Whether tlsmon can decode this link type at all (checked once per file). */
bool decode_linktype_supported(int linktype);

#endif
