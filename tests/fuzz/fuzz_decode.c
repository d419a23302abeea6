/* fuzz_decode.c — libFuzzer target for the frame decoder and IPv4
 * reassembly.
 *
 * Input: byte 0 picks the link type (low nibble, from the supported list),
 * bit 0x40 says the snaplen cut the frame (wire length larger than captured),
 * and bit 0x80 switches from "the rest is one frame" to "the rest is a run
 * of frames, each behind a 2-byte length", so fragments can meet and
 * complete within one input. Each frame is copied to a buffer of exactly its
 * size so the sanitizer sees any read past it.
 *
 * Checked on every DECODE_OK: the payload and l3 spans lie inside the frame
 * or inside the reassembled datagram, payload_len never exceeds cap_len for
 * an unfragmented frame, and the header facts are in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int LINKTYPES[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
#define N_LINKTYPES (sizeof(LINKTYPES) / sizeof(LINKTYPES[0]))

static int within(const uint8_t *p, uint32_t n, const uint8_t *base,
                  uint32_t base_len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

    return a >= b && a - b <= base_len && n <= base_len - (a - b);
}

static void check(const struct decoder *d, const struct packet *p,
                  const uint8_t *frame, uint32_t cap_len, uint32_t wire_len)
{
    int reassembled = d->frags.done && p->l3 == d->frags.done;

    if (p->cap_len != cap_len || p->wire_len != wire_len)
        abort();
    if (p->ip_version != 4 && p->ip_version != 6)
        abort();
    if (p->ip_proto != 6 && p->ip_proto != 17)
        abort();
    if (p->n_vlan > PKT_MAX_VLANS)
        abort();
    if (p->payload_len && !p->payload)
        abort();
    if (reassembled) {
        if (p->ip_version != 4 || p->l3_len != d->frags.done_len)
            abort();
        if (p->payload_len &&
            !within(p->payload, p->payload_len, d->frags.done,
                    d->frags.done_len))
            abort();
        if (p->payload_truncated)
            abort();
        return;
    }
    if (!within(p->l3, p->l3_len, frame, cap_len))
        abort();
    if (p->payload_len > cap_len)
        abort();
    if (p->payload_len &&
        !within(p->payload, p->payload_len, p->l3, p->l3_len))
        abort();
    if (p->payload_truncated && wire_len <= cap_len)
        abort();
    if (p->ip_version == 4) {
        /* the IPv6 address bytes past the IPv4 ones stay zero */
        static const uint8_t zero[12];
        if (memcmp(p->src + 4, zero, 12) || memcmp(p->dst + 4, zero, 12))
            abort();
    }
}

static void decode_one(struct decoder *d, int linktype, const uint8_t *bytes,
                       uint32_t len, int cut, uint64_t ts)
{
    uint8_t *frame = malloc(len ? len : 1);
    uint32_t wire = cut ? len + 100 : len;
    struct packet p;
    enum decode_status st;

    if (!frame)
        return;
    if (len)
        memcpy(frame, bytes, len);
    st = decode_packet(d, linktype, frame, len, wire, ts, &p);
    if (st == DECODE_UNSUPPORTED_LINK)
        abort();
    if (st == DECODE_OK)
        check(d, &p, frame, len, wire);
    if (d->frags.bytes_held > d->frags.memcap)
        abort();
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct decoder d;
    int linktype, cut;
    uint64_t ts = 1000000;

    if (size < 1)
        return 0;
    linktype = LINKTYPES[(data[0] & 0x0f) % N_LINKTYPES];
    cut = (data[0] & 0x40) != 0;
    if (!decode_linktype_supported(linktype))
        abort();

    /* a small cap so eviction is reached */
    decoder_init(&d, 16384);
    if (!(data[0] & 0x80)) {
        decode_one(&d, linktype, data + 1, (uint32_t)(size - 1), cut, ts);
    } else {
        size_t off = 1;
        while (size - off >= 2) {
            size_t n = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            if (n > size - off)
                n = size - off;
            decode_one(&d, linktype, data + off, (uint32_t)n, cut, ts);
            off += n;
            /* big steps now and then, so timeouts happen too */
            ts += (n & 1) ? 20000000 : 1000;
        }
    }
    decoder_free(&d);
    return 0;
}
