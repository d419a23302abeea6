/* floor_loop.h — the read loop both benchmark floors share: open the
 * capture named on the command line and hand each packet to `each`. */
#ifndef FLOOR_LOOP_H
#define FLOOR_LOOP_H

#include <pcap/pcap.h>
#include <stdio.h>

/* main's exit code: 0 read to the end, 1 usage or open error, 2 the file
 * broke. Inline, so that each floor's per-packet work is inlined into the
 * loop and the floor costs what it did as one function. */
static inline int floor_loop(int argc, char **argv, const char *name,
                             void (*each)(const u_char *, bpf_u_int32),
                             unsigned long long *packets)
{
    char err[PCAP_ERRBUF_SIZE];

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", name);
        return 1;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        (*packets)++;
        each(data, h->caplen);
    }
    pcap_close(p);
    return rc == PCAP_ERROR_BREAK ? 0 : 2;
}

#endif
