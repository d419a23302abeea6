/* capture.c — offline input: one libpcap handle per file (read through
 * capture_stream, so compressed files need no copy), the optional BPF
 * filter, and exact reports of where a damaged file broke. */
#include "capture.h"

#include <errno.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/types.h>

#include "capture_map.h"
#include "capture_stream.h"
#include "decode.h"

/* Packets between two progress reports: cheap enough to ignore, often
 * enough that a terminal updates several times a second. */
#define PROGRESS_EVERY 4096

static struct capture_progress progress_hook;

void capture_set_progress(const struct capture_progress *progress)
{
    if (progress)
        progress_hook = *progress;
    else
        progress_hook.update = NULL;
}

static const char *display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static void to_pipeline(void *ctx, int linktype, const uint8_t *frame,
                        uint32_t cap_len, uint32_t wire_len, uint64_t ts_us)
{
    pipeline_frame(ctx, linktype, frame, cap_len, wire_len, ts_us);
}

enum capture_status capture_read_file(const char *path, const char *bpf,
                                      struct pipeline *p, FILE *errs)
{
    return capture_read_file_to(path, bpf, to_pipeline, p, pipeline_stats(p),
                                errs);
}

/* 9999-12-31T23:59:59Z: four-digit years, as ISO 8601 writes them. */
#define MAX_TIMESTAMP_SEC 253402300799LL

uint64_t capture_timestamp(long long sec, long long usec, uint64_t *last_good,
                           uint64_t *invalid)
{
    if (sec < 0 || sec > MAX_TIMESTAMP_SEC || usec < 0 || usec >= 1000000) {
        (*invalid)++;
        return *last_good;
    }
    *last_good = (uint64_t)sec * 1000000ULL + (uint64_t)usec;
    return *last_good;
}

/* A report of read_stream's on `errs`; NULL: the read is a quiet one. */
__attribute__((format(printf, 2, 3)))
static void report(FILE *errs, const char *fmt, ...)
{
    if (!errs)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(errs, fmt, ap);
    va_end(ap);
}

/* Where frames come from: libpcap's reading, or the file's mapping when
 * capture_map takes it (then libpcap only read the header and compiled the
 * filter, applied here as pcap_next_ex would). */
struct frame_source {
    pcap_t *pc;
    struct capture_stream *in;
    struct capture_map *map;
    const struct bpf_program *filter;
    struct pcap_pkthdr hdr;   /* the mapped frame's */
    struct pcap_walk_frame at; /* the mapped frame, or the broken record */
    char why[PCAP_ERRBUF_SIZE];
};

/* pcap_next_ex's contract: 1 a frame, PCAP_ERROR_BREAK the end, PCAP_ERROR
 * a record that cannot be read. */
static int next_frame(struct frame_source *src, struct pcap_pkthdr **hdr,
                      const u_char **data)
{
    if (!src->map)
        return pcap_next_ex(src->pc, hdr, data);
    for (;;) {
        switch (capture_map_next(src->map, &src->at, src->why,
                                 sizeof(src->why))) {
        case PCAP_WALK_END:
            return PCAP_ERROR_BREAK;
        case PCAP_WALK_BROKEN:
            return PCAP_ERROR;
        case PCAP_WALK_FRAME:
            break;
        }
        src->hdr.ts.tv_sec = (time_t)src->at.sec;
        src->hdr.ts.tv_usec = (suseconds_t)src->at.usec;
        src->hdr.caplen = src->at.cap_len;
        src->hdr.len = src->at.wire_len;
        if (src->filter &&
            !pcap_offline_filter(src->filter, &src->hdr, src->at.data))
            continue;
        *hdr = &src->hdr;
        *data = src->at.data;
        return 1;
    }
}

static uint64_t consumed(const struct frame_source *src)
{
    return src->map ? capture_map_consumed(src->map)
                    : capture_stream_consumed(src->in);
}

/* The byte a broken read stopped near; -1: unknown. */
static long long broken_at(const struct frame_source *src)
{
    if (src->map)
        return (long long)src->at.offset;
    FILE *fp = pcap_file(src->pc);
    return fp ? (long long)ftello(fp) : -1;
}

static const char *broken_why(const struct frame_source *src)
{
    return src->map ? src->why : pcap_geterr(src->pc);
}

/* Read the opened stream `in` (NULL: it could not be opened, `why`);
 * `errs` NULL reads quietly: no reports, no progress. */
static enum capture_status read_stream(struct capture_stream *in,
                                       const char *why, const char *path,
                                       const char *bpf, capture_frame_fn frame,
                                       void *ctx, struct run_stats *st,
                                       FILE *errs)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    const char *name = display_name(path);

    if (!in) {
        report(errs, "tlsmon: %s: cannot read: %s\n", name, why);
        st->files_failed++;
        return CAPTURE_UNREADABLE;
    }
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(
        capture_stream_file(in), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!pc) {
        const char *comp = capture_stream_compression(in);
        const char *cerr = capture_stream_error(in);
        if (*cerr)
            report(errs, "tlsmon: %s: cannot read: %s\n", name, cerr);
        else if (comp)
            report(errs, "tlsmon: %s: cannot read: %s-compressed, and "
                         "then: %s\n", name, comp, errbuf);
        else
            report(errs, "tlsmon: %s: cannot read: %s\n", name, errbuf);
        fclose(capture_stream_file(in));
        st->files_failed++;
        return CAPTURE_UNREADABLE;
    }
    st->files++;

    int linktype = pcap_datalink(pc);
    if (!decode_linktype_supported(linktype)) {
        const char *lname = pcap_datalink_val_to_name(linktype);
        report(errs, "tlsmon: %s: unsupported link type %d (%s)\n", name,
               linktype, lname ? lname : "unknown");
        pcap_close(pc);
        st->files_failed++;
        return CAPTURE_BAD_LINKTYPE;
    }

    struct bpf_program prog;
    bool filtered = bpf && *bpf;
    if (filtered) {
        if (pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
            pcap_setfilter(pc, &prog) != 0) {
            report(errs, "tlsmon: bad filter '%s': %s\n", bpf,
                   pcap_geterr(pc));
            pcap_close(pc);
            return CAPTURE_BAD_FILTER;
        }
    }

    struct frame_source src = {
        .pc = pc,
        .in = in,
        .map = capture_map_open(capture_stream_plain_fd(in),
                                capture_stream_size(in), linktype),
        .filter = filtered ? &prog : NULL,
    };
    enum capture_status status = CAPTURE_OK;
    uint64_t n = 0, last_ts = 0;
    struct capture_progress prog_hook = progress_hook;
    if (!errs)
        prog_hook.update = NULL;
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int rc = next_frame(&src, &hdr, &data);
        if (rc == 1) {
            n++;
            uint64_t ts = capture_timestamp(hdr->ts.tv_sec, hdr->ts.tv_usec,
                                            &last_ts, &st->timestamps_invalid);
            frame(ctx, linktype, data, hdr->caplen, hdr->len, ts);
            if (prog_hook.update && n % PROGRESS_EVERY == 0)
                prog_hook.update(prog_hook.ctx, name, consumed(&src),
                                 capture_stream_size(in), false);
            continue;
        }
        if (rc == PCAP_ERROR_BREAK)
            break; /* end of file */
        /* rc == PCAP_ERROR: a record that could not be read. libpcap's text
         * says what (truncated record, bogus length); we add where. */
        char where[48] = "";
        long long off = broken_at(&src);
        if (off >= 0)
            snprintf(where, sizeof(where), " (near byte %lld)", off);
        const char *cerr = capture_stream_error(in);
        report(errs,
               "tlsmon: %s: broken at packet %llu%s: %s%s%s; kept the %llu "
               "packets before it\n",
               name, (unsigned long long)(n + 1), where, broken_why(&src),
               *cerr ? "; " : "", cerr, (unsigned long long)n);
        st->files_failed++;
        status = CAPTURE_BROKEN;
        break;
    }
    if (prog_hook.update)
        prog_hook.update(prog_hook.ctx, name, consumed(&src),
                         capture_stream_size(in), true);
    capture_map_close(src.map);
    if (filtered)
        pcap_freecode(&prog);
    pcap_close(pc);
    return status;
}

enum capture_status capture_read_file_to(const char *path, const char *bpf,
                                         capture_frame_fn frame, void *ctx,
                                         struct run_stats *st, FILE *errs)
{
    char why[PCAP_ERRBUF_SIZE];
    struct capture_stream *in = capture_stream_open(path, why, sizeof(why));
    return read_stream(in, why, path, bpf, frame, ctx, st, errs);
}

enum capture_status capture_read_fd_to(int fd, uint64_t limit,
                                       const char *path, const char *bpf,
                                       capture_frame_fn frame, void *ctx,
                                       struct run_stats *st, FILE *errs)
{
    char why[PCAP_ERRBUF_SIZE];
    struct capture_stream *in =
        capture_stream_open_fd(fd, limit, why, sizeof(why));
    return read_stream(in, why, path, bpf, frame, ctx, st, errs);
}
