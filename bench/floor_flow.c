/* floor_flow: read a capture, decode Ethernet (and VLAN tags), IPv4/IPv6 and
 * TCP minimally, and hash each packet into an open-addressing table of
 * bidirectional flows — the least any flow-aware analyzer has to do, the
 * floor the benchmark compares tlsmon's handshake path to. Benchmark-only:
 * trusts lengths no more than needed to stay inside the captured bytes. */
#include "floor_loop.h"
#include "fnv1a.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_BITS 22

struct key {
    uint8_t a[16], b[16];
    uint16_t pa, pb;
};

struct slot {
    struct key k;
    uint64_t packets;
    uint8_t used;
};

static struct slot *table;
static unsigned long long flows;

static uint64_t hash_key(const struct key *k)
{
    return fnv1a64_bytes(FNV1A64_START, k, sizeof(*k));
}

static void account(const uint8_t *src, const uint8_t *dst, size_t alen,
                    uint16_t sp, uint16_t dp)
{
    struct key k;
    memset(&k, 0, sizeof(k));
    int c = memcmp(src, dst, alen);
    if (c < 0 || (c == 0 && sp < dp)) {
        memcpy(k.a, src, alen); memcpy(k.b, dst, alen); k.pa = sp; k.pb = dp;
    } else {
        memcpy(k.a, dst, alen); memcpy(k.b, src, alen); k.pa = dp; k.pb = sp;
    }
    uint64_t mask = (1u << TABLE_BITS) - 1;
    for (uint64_t i = hash_key(&k) & mask;; i = (i + 1) & mask) {
        struct slot *s = &table[i];
        if (!s->used) {
            s->used = 1;
            s->k = k;
            flows++;
        } else if (memcmp(&s->k, &k, sizeof(k)) != 0) {
            continue;
        }
        s->packets++;
        return;
    }
}

static void packet(const u_char *d, bpf_u_int32 caplen)
{
    size_t n = caplen;
    size_t off = 12;
    if (n < 14) return;
    uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
    off = 14;
    while ((et == 0x8100 || et == 0x88a8) && off + 4 <= n) {
        et = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
        off += 4;
    }
    const uint8_t *src, *dst;
    size_t alen, l4;
    if (et == 0x0800) {
        if (off + 20 > n || d[off + 9] != 6) return;
        src = d + off + 12; dst = d + off + 16; alen = 4;
        l4 = off + (size_t)(d[off] & 15) * 4;
    } else if (et == 0x86dd) {
        if (off + 40 > n || d[off + 6] != 6) return;
        src = d + off + 8; dst = d + off + 24; alen = 16;
        l4 = off + 40;
    } else {
        return;
    }
    if (l4 + 20 > n) return;
    account(src, dst, alen, (uint16_t)(d[l4] << 8 | d[l4 + 1]),
            (uint16_t)(d[l4 + 2] << 8 | d[l4 + 3]));
}

int main(int argc, char **argv)
{
    unsigned long long packets = 0;

    table = calloc((size_t)1 << TABLE_BITS, sizeof(*table));
    if (!table) {
        fprintf(stderr, "floor_flow: out of memory\n");
        return 1;
    }
    int rc = floor_loop(argc, argv, "floor_flow", packet, &packets);
    if (rc != 1)
        printf("%llu packets %llu flows\n", packets, flows);
    free(table);
    return rc;
}
