/* floor_read: the cost of reading a capture and nothing else — a bare
 * libpcap loop, the floor the benchmark compares tlsmon's bulk path to. */
#include "floor_loop.h"

static unsigned long long bytes;

static void touch(const u_char *data, bpf_u_int32 caplen)
{
    bytes += caplen + data[0];
}

int main(int argc, char **argv)
{
    unsigned long long packets = 0;
    int rc = floor_loop(argc, argv, "floor_read", touch, &packets);
    if (rc != 1)
        printf("%llu packets %llu bytes\n", packets, bytes);
    return rc;
}
