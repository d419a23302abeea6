/* pcapng_secrets.c — reads Decryption Secrets Blocks (pcapng §4.7: type
 * 0x0000000A; secrets type 0x544c534b "TLSK" is an NSS key log) with a
 * block walker over the bounds-checked cursor. Each section says its own
 * byte order; a block whose length does not add up ends the walk. */
#include "pcapng_secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dissectors/keylog.h"
#include "cursor.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_DSB 0x0000000Au
#define PCAPNG_PB 0x00000002u  /* obsolete packet block */
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_EPB 0x00000006u
#define DSB_TLS_KEY_LOG 0x544c534bu
/* A key log of this size holds a million handshakes; larger is not one. */
#define DSB_MAX (64u * 1024u * 1024u)

/* Where the walk reads from: a file, or memory. */
struct reader {
    FILE *fp;
    struct cursor mem;
    uint64_t off;
};

static bool read_at(struct reader *r, uint64_t off, void *dst, size_t n)
{
    if (!r->fp) {
        struct cursor c = r->mem;
        return off <= cursor_left(&c) && cursor_skip(&c, (size_t)off) &&
               cursor_copy(&c, dst, n);
    }
    return fseeko(r->fp, (off_t)off, SEEK_SET) == 0 &&
           fread(dst, 1, n, r->fp) == n;
}

static bool get_u32(struct cursor *c, bool le, uint32_t *v)
{
    return le ? cursor_u32le(c, v) : cursor_u32(c, v);
}

/* One DSB body (after type and length, before the trailing length). */
static void read_dsb(struct cursor body, bool le, struct keylog *kl,
                     struct pcapng_secrets *out)
{
    uint32_t type, len;
    struct cursor data;
    size_t n;
    if (!get_u32(&body, le, &type) || !get_u32(&body, le, &len) ||
        !cursor_sub(&body, len, &data))
        return;
    if (type != DSB_TLS_KEY_LOG) {
        out->other++;
        return;
    }
    const uint8_t *text = cursor_rest(&data, &n);
    keylog_add_text(kl, text, n, true);
    out->blocks++;
    out->bytes += n;
}

static void walk(struct reader *r, bool whole_file, struct keylog *kl,
                 struct pcapng_secrets *out)
{
    uint8_t head[12];
    uint64_t off = 0;
    bool le = true;

    memset(out, 0, sizeof *out);
    for (;;) {
        uint32_t type, len, bom;
        struct cursor c;
        if (!read_at(r, off, head, 8))
            return;
        c = cursor_make(head, 8);
        if (!cursor_u32(&c, &type)) /* the SHB type reads the same both ways */
            return;
        if (type == PCAPNG_SHB) {
            if (!read_at(r, off, head, 12))
                return;
            c = cursor_make(head, 12);
            if (!cursor_skip(&c, 8) || !cursor_u32le(&c, &bom))
                return;
            le = bom == PCAPNG_BOM;
            if (!le && bom != 0x4D3C2B1Au)
                return;
            out->pcapng = true;
        } else if (!out->pcapng) {
            return; /* not a pcapng: the first block is always an SHB */
        }
        c = cursor_make(head, 8);
        get_u32(&c, le, &type);
        get_u32(&c, le, &len);
        if (len < 12 || len % 4)
            return;
        if (type == PCAPNG_DSB && len - 12 <= DSB_MAX) {
            uint8_t *body = malloc(len - 12);
            if (body && read_at(r, off + 8, body, len - 12))
                read_dsb(cursor_make(body, len - 12), le, kl, out);
            free(body);
        } else if (!whole_file && (type == PCAPNG_EPB || type == PCAPNG_SPB ||
                                   type == PCAPNG_PB)) {
            return;
        }
        off += len;
    }
}

void pcapng_read_secrets(const char *path, bool whole_file, struct keylog *kl,
                         struct pcapng_secrets *out)
{
    struct reader r = {0};
    memset(out, 0, sizeof *out);
    if (!path || strcmp(path, "-") == 0 || !(r.fp = fopen(path, "rb")))
        return;
    walk(&r, whole_file, kl, out);
    fclose(r.fp);
}

void pcapng_read_secrets_mem(const uint8_t *data, size_t len, bool whole_file,
                             struct keylog *kl, struct pcapng_secrets *out)
{
    struct reader r = {0};
    r.mem = cursor_make(data, len);
    walk(&r, whole_file, kl, out);
}
