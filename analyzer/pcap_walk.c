/* pcap_walk.c — classic pcap records read in memory, by libpcap's rules
 * (see pcap_walk.h). Every byte is read through the cursor. */
#include "pcap_walk.h"

#include <limits.h>
#include <stdio.h>

#define MAGIC_MICRO 0xa1b2c3d4u
#define MAGIC_NANO 0xa1b23c4du
#define HOST_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* libpcap's max_snaplen_for_dlt: a few link types carry larger frames
 * (none of them tlsmon decodes, but the walk is libpcap's for any). */
uint32_t pcap_walk_max_caplen(uint32_t linktype)
{
    switch (linktype & 0x03ffffffu) { /* without the FCS bits */
    case 231: /* D-Bus */
        return 128u * 1024u * 1024u;
    case 279: /* EBHSCR */
        return 8u * 1024u * 1024u;
    case 249: /* USBPcap */
        return 1024u * 1024u;
    default:
        return PCAP_WALK_MAX_CAPLEN;
    }
}

bool pcap_walk_format_read(const uint8_t *header, size_t len,
                           struct pcap_walk_format *fmt)
{
    struct cursor c = cursor_make(header, len);
    uint32_t magic, zone, sigfigs;
    uint16_t major, minor;
    /* In this machine's order only: libpcap "swaps" the others, and then
     * rewrites some link types' pseudo-headers too. */
    if (!cursor_uint(&c, 4, HOST_LITTLE_ENDIAN, &magic) ||
        (magic != MAGIC_MICRO && magic != MAGIC_NANO) ||
        !cursor_uint16(&c, HOST_LITTLE_ENDIAN, &major) ||
        !cursor_uint16(&c, HOST_LITTLE_ENDIAN, &minor) ||
        !cursor_uint(&c, 4, HOST_LITTLE_ENDIAN, &zone) ||
        !cursor_uint(&c, 4, HOST_LITTLE_ENDIAN, &sigfigs) ||
        !cursor_uint(&c, 4, HOST_LITTLE_ENDIAN, &fmt->snaplen) ||
        !cursor_uint(&c, 4, HOST_LITTLE_ENDIAN, &fmt->linktype))
        return false;
    /* Before 2.4 libpcap may swap a record's two lengths. */
    if (major != 2 || minor != 4)
        return false;
    fmt->nanoseconds = magic == MAGIC_NANO;
    return true;
}

void pcap_walk_start(struct pcap_walk *w, const uint8_t *records, size_t len,
                     const struct pcap_walk_format *fmt)
{
    w->in = cursor_make(records, len);
    w->origin = PCAP_WALK_FILE_HEADER;
    w->nanoseconds = fmt->nanoseconds;
    w->max_caplen = pcap_walk_max_caplen(fmt->linktype);
    /* pcap_adjust_snapshot: a bogus snaplen means the maximum. */
    w->snapshot = fmt->snaplen == 0 || fmt->snaplen > INT_MAX
                      ? w->max_caplen
                      : fmt->snaplen;
}

static bool read_u32(struct cursor *c, uint32_t *v)
{
    return cursor_uint(c, 4, HOST_LITTLE_ENDIAN, v);
}

enum pcap_walk_result pcap_walk_next(struct pcap_walk *w,
                                     struct pcap_walk_frame *frame, char *why,
                                     size_t why_len)
{
    frame->offset = w->origin + cursor_pos(&w->in);
    size_t left = cursor_left(&w->in);
    if (left == 0)
        return PCAP_WALK_END;
    /* Read on a copy: a record that breaks leaves the walk before it. */
    struct cursor at = w->in, header;
    uint32_t sec, usec, cap_len, wire_len;
    if (!cursor_sub(&at, PCAP_WALK_RECORD_HEADER, &header) ||
        !read_u32(&header, &sec) || !read_u32(&header, &usec) ||
        !read_u32(&header, &cap_len) || !read_u32(&header, &wire_len)) {
        snprintf(why, why_len,
                 "truncated dump file; tried to read %u header bytes, only "
                 "got %zu", PCAP_WALK_RECORD_HEADER, left);
        return PCAP_WALK_BROKEN;
    }
    if (cap_len > w->max_caplen) {
        if (cap_len > w->snapshot)
            snprintf(why, why_len,
                     "invalid packet capture length %u, bigger than snaplen "
                     "of %u", cap_len, w->snapshot);
        else
            snprintf(why, why_len,
                     "invalid packet capture length %u, bigger than maximum "
                     "of %u", cap_len, w->max_caplen);
        return PCAP_WALK_BROKEN;
    }
    /* A frame past the snapshot is cut to it, the rest read and dropped;
     * libpcap names the length it was reading when the file ended. */
    uint32_t keep = cap_len > w->snapshot ? w->snapshot : cap_len;
    struct cursor body;
    if (!cursor_sub(&at, cap_len, &body)) {
        left = cursor_left(&at);
        snprintf(why, why_len,
                 "truncated dump file; tried to read %u captured bytes, only "
                 "got %zu", left < keep ? keep : cap_len, left);
        return PCAP_WALK_BROKEN;
    }
    w->in = at;
    frame->data = body.base;
    frame->cap_len = keep;
    frame->wire_len = wire_len;
    frame->sec = (int32_t)sec;
    frame->usec = w->nanoseconds ? (int32_t)usec / 1000 : (int32_t)usec;
    return PCAP_WALK_FRAME;
}

const uint8_t *pcap_walk_after_next(const struct pcap_walk *w, size_t into)
{
    struct cursor ahead = w->in;
    uint32_t cap_len;
    size_t left;
    if (!cursor_skip(&ahead, 8) || !read_u32(&ahead, &cap_len) ||
        !cursor_skip(&ahead, 4) || !cursor_skip(&ahead, cap_len) ||
        !cursor_skip(&ahead, into))
        return NULL;
    const uint8_t *at = cursor_rest(&ahead, &left);
    return left ? at : NULL;
}
