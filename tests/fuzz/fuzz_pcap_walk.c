/* fuzz_pcap_walk.c — libFuzzer target for the classic pcap reader of mapped
 * files (analyzer/pcap_walk.c): the input is a whole file. Beyond "no
 * crash", libpcap reads the same bytes and must give the same frames and
 * stop at the same record with the same words (pcap_walk_oracle.h). */
#include <stddef.h>
#include <stdint.h>

#include "tests/pcap_walk_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t frames;
    char diff[512];
    CHECK(pcap_walk_oracle(data, size, &frames, diff, sizeof(diff)) !=
          ORACLE_DIFFER);
    return 0;
}
