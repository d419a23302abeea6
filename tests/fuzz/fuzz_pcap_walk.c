/* fuzz_pcap_walk.c — libFuzzer target for the classic pcap reader of mapped
 * files (analyzer/pcap_walk.c): the input is a whole file. Beyond "no
 * crash", libpcap reads the same bytes and must give the same frames and
 * stop at the same record with the same words (pcap_walk_oracle.h); the
 * address it gives for prefetching is inside the input. */
#include <stddef.h>
#include <stdint.h>

#include "tests/pcap_walk_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

/* The prefetch address is inside the input or NULL, at every step. */
static void check_after_next(const uint8_t *data, size_t size)
{
    struct pcap_walk_format fmt;
    if (!pcap_walk_format_read(data, size, &fmt))
        return;
    struct pcap_walk w;
    pcap_walk_start(&w, data + PCAP_WALK_FILE_HEADER,
                    size - PCAP_WALK_FILE_HEADER, &fmt);
    struct pcap_walk_frame f;
    char why[256];
    do {
        for (size_t into = 0; into < 128; into += 64) {
            const uint8_t *ahead = pcap_walk_after_next(&w, into);
            CHECK(!ahead || (ahead >= data && ahead < data + size));
        }
    } while (pcap_walk_next(&w, &f, why, sizeof(why)) == PCAP_WALK_FRAME);
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
