/* floor_read: the cost of reading a capture and nothing else — a bare
 * libpcap loop, the floor the benchmark compares tlsmon's bulk path to. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    unsigned long long packets = 0, bytes = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: floor_read FILE\n");
        return 1;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "floor_read: %s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen + data[0];   /* touch the packet */
    }
    pcap_close(p);
    printf("%llu packets %llu bytes\n", packets, bytes);
    return rc == PCAP_ERROR_BREAK ? 0 : 2;
}
