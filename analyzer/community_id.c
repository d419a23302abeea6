/* community_id.c — Community ID v1 and event.id (see community_id.h).
 *
 * The hashed bytes, in network order: the seed (2), the lesser endpoint's
 * address (4 or 16) then the other's, the IP protocol (1), a zero byte,
 * the lesser endpoint's port (2) then the other's. "Lesser" compares the
 * addresses as bytes, then the ports, so both directions of a flow hash
 * alike. */
#include "community_id.h"

#include <openssl/evp.h>
#include <string.h>

#include "hex.h"
#include "../dissectors/digest.h"

static int endpoint_order(const struct endpoint *a, const struct endpoint *b,
                          size_t alen)
{
    int c = memcmp(a->addr, b->addr, alen);
    if (c)
        return c;
    return (a->port > b->port) - (a->port < b->port);
}

bool community_id_v1(const struct endpoint *a, const struct endpoint *b,
                     uint8_t ip_proto, uint16_t seed, char *out, size_t n)
{
    if (n)
        out[0] = '\0';
    if (n < COMMUNITY_ID_LEN || a->ip_version != b->ip_version ||
        (a->ip_version != 4 && a->ip_version != 6))
        return false;
    size_t alen = a->ip_version == 4 ? 4 : 16;
    if (endpoint_order(a, b, alen) > 0) {
        const struct endpoint *t = a;
        a = b;
        b = t;
    }
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t o = 0;
    buf[o++] = (uint8_t)(seed >> 8);
    buf[o++] = (uint8_t)seed;
    memcpy(buf + o, a->addr, alen);
    o += alen;
    memcpy(buf + o, b->addr, alen);
    o += alen;
    buf[o++] = ip_proto;
    buf[o++] = 0;
    buf[o++] = (uint8_t)(a->port >> 8);
    buf[o++] = (uint8_t)a->port;
    buf[o++] = (uint8_t)(b->port >> 8);
    buf[o++] = (uint8_t)b->port;

    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!digest_oneshot(digest_sha1(), buf, o, md, &md_len) || md_len != 20)
        return false;
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes are 28 base64 characters, NUL-terminated by OpenSSL. */
    EVP_EncodeBlock((unsigned char *)out + 2, md, 20);
    return true;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void event_id(const struct handshake *h, struct handshake_report *out)
{
    uint8_t buf[2 * (1 + 16 + 2) + 8 + 2 + 1 + 2 * 2 + 256];
    size_t o = 0;
    const struct endpoint *ends[2] = {&h->client, &h->server};
    for (int k = 0; k < 2; k++) {
        buf[o++] = ends[k]->ip_version;
        memcpy(buf + o, ends[k]->addr, 16);
        o += 16;
        buf[o++] = (uint8_t)(ends[k]->port >> 8);
        buf[o++] = (uint8_t)ends[k]->port;
    }
    put_u64(buf + o, h->flow_start_us);
    o += 8;
    buf[o++] = (uint8_t)(h->round >> 8);
    buf[o++] = (uint8_t)h->round;
    /* The flow table tells flows apart by their VLANs too (one mirror
     * port can carry the same connection on two). */
    uint8_t n_vlan = h->n_vlan < 2 ? h->n_vlan : 2;
    buf[o++] = n_vlan;
    for (uint8_t i = 0; i < n_vlan; i++) {
        buf[o++] = (uint8_t)(h->vlan[i] >> 8);
        buf[o++] = (uint8_t)h->vlan[i];
    }
    const char *sensor = out->observer.hostname;
    if (sensor) {
        size_t n = strnlen(sensor, 255);
        memcpy(buf + o, sensor, n);
        o += n;
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    out->event_id[0] = '\0';
    if (!digest_oneshot(digest_sha256(), buf, o, md, &md_len) || md_len < 10)
        return;
    hex_encode(md, 10, out->event_id, false);
}

void community_id_compute(const struct handshake *h,
                          struct handshake_report *out, uint16_t seed)
{
    /* IANA protocol numbers: QUIC and DTLS flows are UDP's. */
    uint8_t proto = h->transport == HS_OVER_TCP ? 6 : 17;
    community_id_v1(&h->client, &h->server, proto, seed,
                    out->community_id, sizeof(out->community_id));
    event_id(h, out);
}
