/* pcapng_walk.c — pcapng blocks read in memory, by libpcap's rules (see
 * pcapng_walk.h). The names of the refusals are libpcap 1.10's, so a
 * broken file reads the same whichever reader met it. */
#include "pcapng_walk.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define HOST_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_PB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define BYTE_ORDER_SWAPPED 0x4D3C2B1Au
#define SHB_INSANE_MAX (1024u * 1024u)
#define BLOCK_HEADER 8u
#define BLOCK_TRAILER 4u
#define SHB_FIXED 16u
#define IDB_FIXED 8u
#define EPB_FIXED 20u
#define PB_FIXED 20u
#define SPB_FIXED 4u
#define OPT_ENDOFOPT 0u
#define IF_TSRESOL 9u
#define IF_TSOFFSET 14u
#define USER_TSRESOL 1000000u /* microseconds, as tlsmon opens files */
#define INITIAL_MAX_BLOCKSIZE (16u * 1024u * 1024u)
/* libpcap grows its interface table without bound; a file of nothing but
 * interface blocks would make this one take gigabytes. A million (32 MB)
 * is past any capture, and refused in libpcap's words for its own limit. */
#define IFACES_MAX (1u << 20)

enum scale { PASS_THROUGH, SCALE_UP_DEC, SCALE_DOWN_DEC, SCALE_BIN };

/* One block: its type and the bytes between its header and trailer. */
struct block {
    uint32_t type;
    struct cursor body;
};

static bool u16(struct cursor *c, uint16_t *v)
{
    return cursor_uint16(c, HOST_LITTLE_ENDIAN, v);
}

static bool u32(struct cursor *c, uint32_t *v)
{
    return cursor_uint(c, 4, HOST_LITTLE_ENDIAN, v);
}

static bool u64(struct cursor *c, uint64_t *v)
{
    uint32_t a, b;
    if (!u32(c, &a) || !u32(c, &b))
        return false;
    *v = HOST_LITTLE_ENDIAN ? (uint64_t)b << 32 | a : (uint64_t)a << 32 | b;
    return true;
}

/* pcap_adjust_snapshot. */
static uint32_t adjust_snapshot(int dlt, uint32_t snaplen)
{
    if (snaplen == 0 || snaplen > INT_MAX)
        return pcap_walk_max_caplen((uint32_t)dlt);
    return snaplen;
}

/* read_block: 1 a block, 0 the end of the file, -1 a refusal in `why`. */
static int read_block(struct pcapng_walk *w, struct block *b, char *why,
                      size_t why_len)
{
    size_t left = cursor_left(&w->in);
    if (left == 0)
        return 0;
    struct cursor at = w->in;
    uint32_t total;
    if (left < BLOCK_HEADER || !u32(&at, &b->type) || !u32(&at, &total)) {
        snprintf(why, why_len,
                 "truncated pcapng dump file; tried to read %u bytes, only "
                 "got %zu", BLOCK_HEADER, left);
        return -1;
    }
    if (total < BLOCK_HEADER + BLOCK_TRAILER) {
        snprintf(why, why_len,
                 "block in pcapng dump file has a length of %u < %u", total,
                 BLOCK_HEADER + BLOCK_TRAILER);
        return -1;
    }
    if (total % 4 != 0) {
        snprintf(why, why_len,
                 "block in pcapng dump file has a length of %u that is not a "
                 "multiple of 4", total);
        return -1;
    }
    /* libpcap checks the maximum only for blocks past its first buffer
     * (which it never records as grown). */
    if (total > w->bufsize && total > w->max_blocksize) {
        snprintf(why, why_len, "pcapng block size %u > maximum %u", total,
                 w->max_blocksize);
        return -1;
    }
    size_t rest = total - BLOCK_HEADER;
    struct cursor data;
    if (!cursor_sub(&at, rest, &data)) {
        snprintf(why, why_len,
                 "truncated pcapng dump file; tried to read %zu bytes, only "
                 "got %zu", rest, cursor_left(&at));
        return -1;
    }
    b->body = cursor_split(&data, rest - BLOCK_TRAILER);
    uint32_t trailer;
    if (!u32(&data, &trailer) || trailer != total) {
        snprintf(why, why_len,
                 "block total length in header and trailer don't match");
        return -1;
    }
    w->in = at;
    return 1;
}

static bool too_short(const struct block *b, size_t need, char *why,
                      size_t why_len)
{
    if (cursor_left(&b->body) >= need)
        return false;
    snprintf(why, why_len,
             "block of type %u in pcapng dump file is too short", b->type);
    return true;
}

/* An option an interface may have once, of one length. */
static bool one_option(const char *name, uint16_t length, uint16_t want,
                       bool *seen, char *why, size_t why_len)
{
    if (length != want) {
        snprintf(why, why_len,
                 "Interface Description Block has %s option with length %u "
                 "!= %u", name, length, want);
        return false;
    }
    if (*seen) {
        snprintf(why, why_len,
                 "Interface Description Block has more than one %s option",
                 name);
        return false;
    }
    *seen = true;
    return true;
}

/* process_idb_options: the interface's time resolution and offset. */
static bool idb_options(struct block *b, struct pcapng_iface *f, char *why,
                        size_t why_len)
{
    bool saw_tsresol = false, saw_tsoffset = false, binary = false;
    f->tsresol = USER_TSRESOL;
    f->tsoffset = 0;
    while (cursor_left(&b->body) != 0) {
        uint16_t code, length;
        if (too_short(b, 4, why, why_len))
            return false;
        if (!u16(&b->body, &code) || !u16(&b->body, &length))
            return false;
        size_t padded = ((size_t)length + 3) / 4 * 4;
        if (too_short(b, padded, why, why_len))
            return false;
        struct cursor value = cursor_split(&b->body, padded);
        switch (code) {
        case OPT_ENDOFOPT:
            if (length != 0) {
                snprintf(why, why_len,
                         "Interface Description Block has opt_endofopt "
                         "option with length %u != 0", length);
                return false;
            }
            goto done;
        case IF_TSRESOL: {
            if (!one_option("if_tsresol", length, 1, &saw_tsresol, why,
                            why_len))
                return false;
            uint8_t res;
            if (!cursor_u8(&value, &res))
                return false;
            if (res & 0x80) {
                unsigned shift = res & 0x7Fu;
                if (shift > 63) {
                    snprintf(why, why_len,
                             "Interface Description Block if_tsresol option "
                             "resolution 2^-%u is too high", shift);
                    return false;
                }
                binary = true;
                f->tsresol = (uint64_t)1 << shift;
            } else {
                if (res > 19) {
                    snprintf(why, why_len,
                             "Interface Description Block if_tsresol option "
                             "resolution 10^-%u is too high", res);
                    return false;
                }
                binary = false;
                f->tsresol = 1;
                for (unsigned i = 0; i < res; i++)
                    f->tsresol *= 10;
            }
            break;
        }
        case IF_TSOFFSET:
            if (!one_option("if_tsoffset", length, 8, &saw_tsoffset, why,
                            why_len))
                return false;
            if (!u64(&value, &f->tsoffset))
                return false;
            break;
        default:
            break;
        }
    }
done:
    if (f->tsresol == USER_TSRESOL) {
        f->scale_type = PASS_THROUGH;
    } else if (binary) {
        f->scale_type = SCALE_BIN;
    } else if (f->tsresol > USER_TSRESOL) {
        f->scale_type = SCALE_DOWN_DEC;
        f->scale = f->tsresol / USER_TSRESOL;
    } else {
        f->scale_type = SCALE_UP_DEC;
        f->scale = USER_TSRESOL / f->tsresol;
    }
    return true;
}

/* add_interface, after the IDB's fixed part was read. */
static bool add_interface(struct pcapng_walk *w, struct block *b, char *why,
                          size_t why_len)
{
    if (w->ifcount == IFACES_MAX) {
        snprintf(why, why_len, "more than %u interfaces in the file",
                 IFACES_MAX);
        return false;
    }
    if (w->ifcount == w->ifaces_cap) {
        size_t cap = w->ifaces_cap ? w->ifaces_cap * 2 : 4;
        struct pcapng_iface *n = realloc(w->ifaces, cap * sizeof(*n));
        if (!n) {
            snprintf(why, why_len,
                     "out of memory for per-interface information (%u "
                     "interfaces)", w->ifcount + 1);
            return false;
        }
        w->ifaces = n;
        w->ifaces_cap = cap;
    }
    w->ifcount++;
    return idb_options(b, &w->ifaces[w->ifcount - 1], why, why_len);
}

static bool open_walk(struct pcapng_walk *w, const uint8_t *bytes,
                      size_t len, int dlt)
{
    *w = (struct pcapng_walk){0};
    w->in = cursor_make(bytes, len);
    struct cursor at = w->in;
    uint32_t type, total, magic;
    uint16_t major, minor;
    if (!u32(&at, &type) || type != BT_SHB || !u32(&at, &total) ||
        !u32(&at, &magic) || magic != BYTE_ORDER_MAGIC ||
        total < BLOCK_HEADER + SHB_FIXED + BLOCK_TRAILER ||
        total > SHB_INSANE_MAX || !u16(&at, &major) || !u16(&at, &minor) ||
        major != 1 || (minor != 0 && minor != 2))
        return false;
    w->bufsize = total > 2048 ? total : 2048;
    w->max_blocksize = INITIAL_MAX_BLOCKSIZE;
    w->dlt = dlt;
    char why[PCAP_WALK_WHY];
    /* The header block whole (its trailer is not checked here, as libpcap
     * does not), then blocks up to the first interface. */
    if (!cursor_skip(&w->in, total))
        return false;
    for (;;) {
        struct block b;
        if (read_block(w, &b, why, sizeof(why)) != 1)
            return false;
        if (b.type == BT_EPB || b.type == BT_SPB || b.type == BT_PB)
            return false;
        if (b.type != BT_IDB)
            continue;
        uint16_t linktype, reserved;
        uint32_t snaplen;
        if (!u16(&b.body, &linktype) || !u16(&b.body, &reserved) ||
            !u32(&b.body, &snaplen) || !add_interface(w, &b, why, sizeof(why)))
            return false;
        w->snapshot = adjust_snapshot(dlt, snaplen);
        uint32_t most = BLOCK_HEADER + EPB_FIXED +
                        pcap_walk_max_caplen((uint32_t)dlt) + 131072u +
                        BLOCK_TRAILER;
        if (most > w->max_blocksize)
            w->max_blocksize = most;
        return true;
    }
}

bool pcapng_walk_open(struct pcapng_walk *w, const uint8_t *bytes, size_t len,
                      int dlt)
{
    if (open_walk(w, bytes, len, dlt))
        return true;
    pcapng_walk_free(w);
    return false;
}

/* The packet's time, as libpcap scales it for microseconds. */
static void packet_time(const struct pcapng_iface *f, uint64_t t,
                        struct pcap_walk_frame *frame)
{
    uint64_t sec = t / f->tsresol + f->tsoffset;
    uint64_t frac = t % f->tsresol;
    switch (f->scale_type) {
    case SCALE_UP_DEC:
        frac *= f->scale;
        break;
    case SCALE_DOWN_DEC:
        frac /= f->scale;
        break;
    case SCALE_BIN:
        frac = frac * USER_TSRESOL / f->tsresol;
        break;
    default:
        break;
    }
    frame->sec = (long long)(int64_t)sec;
    frame->usec = (long long)(int32_t)(uint32_t)frac;
}

enum pcap_walk_result pcapng_walk_next(struct pcapng_walk *w,
                                       struct pcap_walk_frame *frame,
                                       char *why, size_t why_len)
{
    uint32_t iface = 0, cap_len = 0, wire_len = 0, t_high = 0, t_low = 0;
    struct block b;
    for (;;) {
        frame->offset = cursor_pos(&w->in);
        int r = read_block(w, &b, why, why_len);
        if (r == 0)
            return PCAP_WALK_END;
        if (r < 0)
            return PCAP_WALK_BROKEN;
        if (b.type == BT_EPB) {
            if (too_short(&b, EPB_FIXED, why, why_len) ||
                !u32(&b.body, &iface) || !u32(&b.body, &t_high) ||
                !u32(&b.body, &t_low) || !u32(&b.body, &cap_len) ||
                !u32(&b.body, &wire_len))
                return PCAP_WALK_BROKEN;
            break;
        }
        if (b.type == BT_SPB) {
            if (too_short(&b, SPB_FIXED, why, why_len) ||
                !u32(&b.body, &wire_len))
                return PCAP_WALK_BROKEN;
            iface = 0;
            cap_len = wire_len > w->snapshot ? w->snapshot : wire_len;
            break;
        }
        if (b.type == BT_PB) {
            uint16_t iface16, drops;
            if (too_short(&b, PB_FIXED, why, why_len) ||
                !u16(&b.body, &iface16) || !u16(&b.body, &drops) ||
                !u32(&b.body, &t_high) || !u32(&b.body, &t_low) ||
                !u32(&b.body, &cap_len) || !u32(&b.body, &wire_len))
                return PCAP_WALK_BROKEN;
            iface = iface16;
            break;
        }
        if (b.type == BT_IDB) {
            uint16_t linktype, reserved;
            uint32_t snaplen;
            if (too_short(&b, IDB_FIXED, why, why_len) ||
                !u16(&b.body, &linktype) || !u16(&b.body, &reserved) ||
                !u32(&b.body, &snaplen))
                return PCAP_WALK_BROKEN;
            if (w->dlt != linktype) {
                snprintf(why, why_len,
                         "an interface has a type %u different from the type "
                         "of the first interface", linktype);
                return PCAP_WALK_BROKEN;
            }
            if (w->snapshot != adjust_snapshot(w->dlt, snaplen)) {
                snprintf(why, why_len,
                         "an interface has a snapshot length %u different "
                         "from the snapshot length of the first interface",
                         snaplen);
                return PCAP_WALK_BROKEN;
            }
            if (!add_interface(w, &b, why, why_len))
                return PCAP_WALK_BROKEN;
            continue;
        }
        if (b.type == BT_SHB) {
            uint32_t magic;
            uint16_t major;
            if (too_short(&b, SHB_FIXED, why, why_len) ||
                !u32(&b.body, &magic) || !u16(&b.body, &major))
                return PCAP_WALK_BROKEN;
            if (magic == BYTE_ORDER_SWAPPED) {
                snprintf(why, why_len,
                         "the file has sections with different byte orders");
                return PCAP_WALK_BROKEN;
            }
            if (magic != BYTE_ORDER_MAGIC) {
                snprintf(why, why_len,
                         "the file has a section with a bad byte order magic "
                         "field");
                return PCAP_WALK_BROKEN;
            }
            if (major != 1) {
                snprintf(why, why_len,
                         "unknown pcapng savefile major version number %u",
                         major);
                return PCAP_WALK_BROKEN;
            }
            w->ifcount = 0;
            continue;
        }
    }
    if (iface >= w->ifcount) {
        snprintf(why, why_len,
                 "a packet arrived on interface %u, but there's no Interface "
                 "Description Block for that interface", iface);
        return PCAP_WALK_BROKEN;
    }
    if (cap_len > w->snapshot) {
        snprintf(why, why_len,
                 "invalid packet capture length %u, bigger than snaplen of %u",
                 cap_len, w->snapshot);
        return PCAP_WALK_BROKEN;
    }
    packet_time(&w->ifaces[iface], (uint64_t)t_high << 32 | t_low, frame);
    struct cursor data;
    if (too_short(&b, cap_len, why, why_len) ||
        !cursor_sub(&b.body, cap_len, &data))
        return PCAP_WALK_BROKEN;
    frame->data = data.base;
    frame->cap_len = cap_len;
    frame->wire_len = wire_len;
    return PCAP_WALK_FRAME;
}

const uint8_t *pcapng_walk_after_next(const struct pcapng_walk *w,
                                      size_t into)
{
    struct cursor ahead = w->in;
    uint32_t type, total;
    size_t left;
    if (!u32(&ahead, &type) || !u32(&ahead, &total) ||
        total < BLOCK_HEADER || !cursor_skip(&ahead, total - BLOCK_HEADER) ||
        !cursor_skip(&ahead, into))
        return NULL;
    const uint8_t *at = cursor_rest(&ahead, &left);
    return left ? at : NULL;
}

void pcapng_walk_free(struct pcapng_walk *w)
{
    free(w->ifaces);
    w->ifaces = NULL;
    w->ifaces_cap = 0;
}
