/* fuzz_pcap_walk.c — libFuzzer target for the pcap and pcapng readers of
 * mapped files (analyzer/pcap_walk.c, pcapng_walk.c): the input is a whole
 * file. Beyond "no crash", libpcap reads the same bytes and must give the
 * same frames and stop at the same record with the same words
 * (pcap_walk_oracle.h); the address either walk gives for prefetching is
 * inside the input. */
#include <stddef.h>
#include <stdint.h>

#include "tests/pcap_walk_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static void check_ahead(const uint8_t *ahead, const uint8_t *data,
                        size_t size)
{
    CHECK(!ahead || (ahead >= data && ahead < data + size));
}

/* The prefetch address is inside the input or NULL, at every step. */
static void check_after_next(const uint8_t *data, size_t size)
{
    struct pcap_walk_format fmt;
    struct pcap_walk_frame f;
    char why[PCAP_WALK_WHY];
    if (pcap_walk_format_read(data, size, &fmt)) {
        struct pcap_walk w;
        pcap_walk_start(&w, data + PCAP_WALK_FILE_HEADER,
                        size - PCAP_WALK_FILE_HEADER, &fmt);
        do {
            for (size_t into = 0; into < 128; into += 64)
                check_ahead(pcap_walk_after_next(&w, into), data, size);
        } while (pcap_walk_next(&w, &f, why, sizeof(why)) ==
                 PCAP_WALK_FRAME);
        return;
    }
    struct pcapng_walk ng;
    if (!pcapng_walk_open(&ng, data, size, 1))
        return;
    do {
        for (size_t into = 0; into < 128; into += 64)
            check_ahead(pcapng_walk_after_next(&ng, into), data, size);
    } while (pcapng_walk_next(&ng, &f, why, sizeof(why)) == PCAP_WALK_FRAME);
    pcapng_walk_free(&ng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t frames;
    char diff[512];
    CHECK(pcap_walk_oracle(data, size, &frames, diff, sizeof(diff)) !=
          ORACLE_DIFFER);
    check_after_next(data, size);
    return 0;
}
