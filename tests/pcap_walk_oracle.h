/* pcap_walk_oracle.h — pcap_walk against libpcap on the same bytes: the
 * differential check the unit test and the fuzz target share. libpcap
 * reads the bytes from memory (fmemopen) as it reads any file; every frame
 * it gives must come out of pcap_walk the same (lengths, times, bytes),
 * and where libpcap stops with an error pcap_walk must stop with the same
 * words at the same record. For classic pcap files pcap_walk_format_read
 * takes and pcapng files in this machine's byte order. */
#ifndef TLSMON_PCAP_WALK_ORACLE_H
#define TLSMON_PCAP_WALK_ORACLE_H

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/pcap_walk.h"
#include "analyzer/pcapng_walk.h"

enum oracle_verdict {
    ORACLE_NOT_TAKEN, /* neither walk takes these bytes */
    ORACLE_AGREE,
    ORACLE_DIFFER,
};

/* Is this a pcapng file in this machine's byte order (its first block a
 * section header whose byte-order magic reads as written here)? */
static inline bool oracle_host_pcapng(const uint8_t *bytes, size_t len)
{
    uint32_t type, magic;
    if (len < 12)
        return false;
    memcpy(&type, bytes, 4);
    memcpy(&magic, bytes + 8, 4);
    return type == 0x0A0D0D0Au && magic == 0x1A2B3C4Du;
}

/* Frames both gave, for a test that wants to see the walk went far. */
static inline enum oracle_verdict pcap_walk_oracle(const uint8_t *bytes,
                                                   size_t len,
                                                   size_t *frames,
                                                   char *diff,
                                                   size_t diff_len)
{
    struct pcap_walk_format fmt;
    *frames = 0;
    bool classic = pcap_walk_format_read(bytes, len, &fmt);
    if (!classic && !oracle_host_pcapng(bytes, len))
        return ORACLE_NOT_TAKEN;
    FILE *fp = fmemopen((void *)(uintptr_t)bytes, len, "rb");
    if (!fp)
        return ORACLE_NOT_TAKEN;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    struct pcap_walk w;
    struct pcapng_walk ng;
    if (classic) {
        if (!pc) {
            snprintf(diff, diff_len, "libpcap refused the header: %.200s",
                     errbuf);
            fclose(fp);
            return ORACLE_DIFFER;
        }
        pcap_walk_start(&w, bytes + PCAP_WALK_FILE_HEADER,
                        len - PCAP_WALK_FILE_HEADER, &fmt);
    } else {
        /* libpcap opens a pcapng file only if its first interface reads
         * well: the walk must open exactly those. */
        bool opened = pc && pcapng_walk_open(&ng, bytes, len,
                                             pcap_datalink(pc));
        if (!pc) {
            fclose(fp);
            return ORACLE_NOT_TAKEN;
        }
        if (!opened) {
            snprintf(diff, diff_len, "libpcap opened it, the walk did not");
            pcapng_walk_free(&ng);
            pcap_close(pc);
            return ORACLE_DIFFER;
        }
    }
    enum oracle_verdict verdict = ORACLE_AGREE;
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int rc = pcap_next_ex(pc, &hdr, &data);
        struct pcap_walk_frame f;
        char why[PCAP_ERRBUF_SIZE] = "";
        enum pcap_walk_result r =
            classic ? pcap_walk_next(&w, &f, why, sizeof(why))
                    : pcapng_walk_next(&ng, &f, why, sizeof(why));
        if (rc == 1 && r == PCAP_WALK_FRAME) {
            if (hdr->caplen != f.cap_len || hdr->len != f.wire_len ||
                hdr->ts.tv_sec != f.sec || hdr->ts.tv_usec != f.usec ||
                memcmp(data, f.data, f.cap_len) != 0) {
                snprintf(diff, diff_len,
                         "frame %zu: libpcap %u/%u at %lld.%06lld, walk "
                         "%u/%u at %lld.%06lld", *frames + 1, hdr->caplen,
                         hdr->len, (long long)hdr->ts.tv_sec,
                         (long long)hdr->ts.tv_usec, f.cap_len, f.wire_len,
                         f.sec, f.usec);
                verdict = ORACLE_DIFFER;
                break;
            }
            (*frames)++;
            continue;
        }
        if (rc == PCAP_ERROR_BREAK && r == PCAP_WALK_END)
            break;
        if (rc == PCAP_ERROR && r == PCAP_WALK_BROKEN &&
            strcmp(pcap_geterr(pc), why) == 0)
            break;
        snprintf(diff, diff_len,
                 "after %zu frames: libpcap %d \"%.200s\", walk %d "
                 "\"%.200s\"",
                 *frames, rc, rc == PCAP_ERROR ? pcap_geterr(pc) : "",
                 (int)r, why);
        verdict = ORACLE_DIFFER;
        break;
    }
    if (!classic)
        pcapng_walk_free(&ng);
    pcap_close(pc);
    return verdict;
}

#endif
