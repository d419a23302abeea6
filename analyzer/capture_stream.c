/* capture_stream.c — capture files as stdio streams (fopencookie) that
 * libpcap reads like any file: the raw bytes come from the file descriptor
 * with read(2), through zlib or libzstd when the first bytes say the file
 * is compressed. The stream counts what it read from the file, which is
 * what a progress display can compare with the file's size. */
#include "capture_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define RAW_CHUNK (128u * 1024u)      /* compressed bytes read at once */
#define STREAM_BUFFER (256u * 1024u)  /* stdio buffer libpcap reads from */
#define MAGIC_LEN 4

enum compression { COMP_NONE, COMP_GZIP, COMP_ZSTD };

struct capture_stream {
    int fd;
    bool own_fd;          /* not standard input */
    FILE *fp;             /* the cookie stream */
    enum compression kind;
    uint64_t consumed;    /* bytes read from fd */
    uint64_t size;        /* of the file, 0 unknown */
    uint64_t limit;       /* bytes read at most, 0 no limit */
    uint64_t delivered;   /* decompressed bytes handed to stdio */
    bool raw_eof;
    bool ended;           /* the compressed data ended cleanly */
    char error[96];
    /* Bytes read to tell the kind, served first. */
    uint8_t magic[MAGIC_LEN];
    size_t magic_len, magic_off;
    /* Compressed input waiting to be decompressed. */
    uint8_t *raw;
    size_t raw_len, raw_off;
    z_stream z;
    bool z_ready;
    ZSTD_DStream *zs;
    size_t zstd_hint;     /* last ZSTD_decompressStream result: 0 at a
                             frame boundary */
};

static ssize_t read_fd(struct capture_stream *s, void *buf, size_t n)
{
    if (s->limit) {
        if (s->consumed >= s->limit)
            return 0;
        if (n > s->limit - s->consumed)
            n = (size_t)(s->limit - s->consumed);
    }
    for (;;) {
        ssize_t got = read(s->fd, buf, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got > 0)
            s->consumed += (uint64_t)got;
        return got;
    }
}

/* Raw bytes: the magic first, then the file. */
static ssize_t read_raw(struct capture_stream *s, uint8_t *buf, size_t n)
{
    if (s->magic_off < s->magic_len) {
        size_t k = s->magic_len - s->magic_off;
        if (k > n)
            k = n;
        memcpy(buf, s->magic + s->magic_off, k);
        s->magic_off += k;
        return (ssize_t)k;
    }
    return read_fd(s, buf, n);
}

/* Refill the compressed input when it is used up; false at the end of the
 * file or on a read error (then `error` says so). */
static bool refill(struct capture_stream *s)
{
    if (s->raw_off < s->raw_len)
        return true;
    if (s->raw_eof)
        return false;
    ssize_t got = read_raw(s, s->raw, RAW_CHUNK);
    if (got < 0) {
        snprintf(s->error, sizeof(s->error), "read error: %s",
                 strerror(errno));
        s->raw_eof = true;
        return false;
    }
    if (got == 0) {
        s->raw_eof = true;
        return false;
    }
    s->raw_len = (size_t)got;
    s->raw_off = 0;
    return true;
}

static ssize_t read_gzip(struct capture_stream *s, char *buf, size_t n)
{
    s->z.next_out = (Bytef *)buf;
    s->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    while (s->z.avail_out > 0) {
        if (s->ended) {
            /* gzip files may hold several members back to back (cat
             * a.gz b.gz); anything else after the end is not ours. */
            if (!refill(s))
                break;
            if (s->raw[s->raw_off] != 0x1f) {
                s->raw_off = s->raw_len;
                break;
            }
            inflateReset(&s->z);
            s->ended = false;
        }
        if (!refill(s)) {
            if (!s->error[0])
                snprintf(s->error, sizeof(s->error),
                         "gzip: the compressed data ends early");
            break;
        }
        s->z.next_in = s->raw + s->raw_off;
        s->z.avail_in = (uInt)(s->raw_len - s->raw_off);
        int rc = inflate(&s->z, Z_NO_FLUSH);
        s->raw_off = s->raw_len - s->z.avail_in;
        if (rc == Z_STREAM_END) {
            s->ended = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(s->error, sizeof(s->error), "gzip: %s",
                     s->z.msg ? s->z.msg : "corrupt data");
            break;
        }
    }
    size_t made = n - s->z.avail_out;
    if (made == 0 && s->error[0]) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)made;
}

static ssize_t read_zstd(struct capture_stream *s, char *buf, size_t n)
{
    ZSTD_outBuffer out = {buf, n, 0};
    while (out.pos < out.size) {
        if (!refill(s)) {
            if (s->zstd_hint != 0 && !s->error[0])
                snprintf(s->error, sizeof(s->error),
                         "zstd: the compressed data ends early");
            /* Data still buffered inside zstd comes out with no input. */
            ZSTD_inBuffer none = {NULL, 0, 0};
            size_t before = out.pos;
            if (s->zstd_hint != 0 && !ZSTD_isError(
                    ZSTD_decompressStream(s->zs, &out, &none)) &&
                out.pos > before)
                continue;
            break;
        }
        ZSTD_inBuffer in = {s->raw, s->raw_len, s->raw_off};
        size_t rc = ZSTD_decompressStream(s->zs, &out, &in);
        s->raw_off = in.pos;
        if (ZSTD_isError(rc)) {
            snprintf(s->error, sizeof(s->error), "zstd: %s",
                     ZSTD_getErrorName(rc));
            break;
        }
        s->zstd_hint = rc;
    }
    if (out.pos == 0 && s->error[0]) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)out.pos;
}

static ssize_t stream_read(void *cookie, char *buf, size_t n)
{
    struct capture_stream *s = cookie;
    ssize_t got;
    switch (s->kind) {
    case COMP_GZIP:
        got = read_gzip(s, buf, n);
        break;
    case COMP_ZSTD:
        got = read_zstd(s, buf, n);
        break;
    default:
        got = read_raw(s, (uint8_t *)buf, n);
        break;
    }
    if (got > 0)
        s->delivered += (uint64_t)got;
    return got;
}

/* Only "where am I" is answered (ftello, for the "near byte N" of a broken
 * file): the stream cannot go back. */
static int stream_seek(void *cookie, off64_t *pos, int whence)
{
    struct capture_stream *s = cookie;
    if (whence == SEEK_CUR && *pos == 0) {
        *pos = (off64_t)s->delivered;
        return 0;
    }
    errno = ESPIPE;
    return -1;
}

static void stream_free(struct capture_stream *s)
{
    if (s->z_ready)
        inflateEnd(&s->z);
    if (s->zs)
        ZSTD_freeDStream(s->zs);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    free(s->raw);
    free(s);
}

static int stream_close(void *cookie)
{
    stream_free(cookie);
    return 0;
}

static enum compression kind_of(const uint8_t *m, size_t n)
{
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return COMP_GZIP;
    if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f &&
        m[3] == 0xfd)
        return COMP_ZSTD;
    return COMP_NONE;
}

static bool start_decompressor(struct capture_stream *s, char *err,
                               size_t err_len)
{
    if (s->kind == COMP_NONE)
        return true;
    s->raw = malloc(RAW_CHUNK);
    if (!s->raw) {
        snprintf(err, err_len, "out of memory");
        return false;
    }
    if (s->kind == COMP_GZIP) {
        /* 15 + 16: a gzip wrapper, the largest window. */
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
            snprintf(err, err_len, "gzip: cannot start zlib");
            return false;
        }
        s->z_ready = true;
        return true;
    }
    s->zs = ZSTD_createDStream();
    if (!s->zs || ZSTD_isError(ZSTD_initDStream(s->zs)) ||
        ZSTD_isError(ZSTD_DCtx_setParameter(s->zs, ZSTD_d_windowLogMax,
                                            CAPTURE_ZSTD_WINDOW_LOG_MAX))) {
        snprintf(err, err_len, "zstd: cannot start libzstd");
        return false;
    }
    return true;
}

static struct capture_stream *open_stream(struct capture_stream *s,
                                          char *err, size_t err_len);

struct capture_stream *capture_stream_open(const char *path, char *err,
                                           size_t err_len)
{
    struct capture_stream *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            snprintf(err, err_len, "%s", strerror(errno));
            free(s);
            return NULL;
        }
        s->own_fd = true;
    }
    return open_stream(s, err, err_len);
}

struct capture_stream *capture_stream_open_fd(int fd, uint64_t limit,
                                              char *err, size_t err_len)
{
    struct capture_stream *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_len, "out of memory");
        close(fd);
        return NULL;
    }
    s->fd = fd;
    s->own_fd = true;
    s->limit = limit;
    return open_stream(s, err, err_len);
}

int capture_stream_plain_fd(const struct capture_stream *s)
{
    return s->kind == COMP_NONE && s->own_fd && s->size ? s->fd : -1;
}

static struct capture_stream *open_stream(struct capture_stream *s,
                                          char *err, size_t err_len)
{
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode))
        s->size = (uint64_t)st.st_size;
    if (s->limit && s->size > s->limit)
        s->size = s->limit;
    else if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%s", strerror(EISDIR));
        stream_free(s);
        return NULL;
    }
    while (s->magic_len < MAGIC_LEN) {
        ssize_t got = read_fd(s, s->magic + s->magic_len,
                              MAGIC_LEN - s->magic_len);
        if (got < 0) {
            snprintf(err, err_len, "%s", strerror(errno));
            stream_free(s);
            return NULL;
        }
        if (got == 0)
            break;
        s->magic_len += (size_t)got;
    }
    s->kind = kind_of(s->magic, s->magic_len);
    if (!start_decompressor(s, err, err_len)) {
        stream_free(s);
        return NULL;
    }
    cookie_io_functions_t io = {stream_read, NULL, stream_seek, stream_close};
    s->fp = fopencookie(s, "r", io);
    if (!s->fp) {
        snprintf(err, err_len, "%s", strerror(errno));
        stream_free(s);
        return NULL;
    }
    setvbuf(s->fp, NULL, _IOFBF, STREAM_BUFFER);
    return s;
}

FILE *capture_stream_file(struct capture_stream *s)
{
    return s->fp;
}

const char *capture_stream_compression(const struct capture_stream *s)
{
    return s->kind == COMP_GZIP ? "gzip"
           : s->kind == COMP_ZSTD ? "zstd"
                                  : NULL;
}

uint64_t capture_stream_consumed(const struct capture_stream *s)
{
    return s->consumed;
}

uint64_t capture_stream_size(const struct capture_stream *s)
{
    return s->size;
}

const char *capture_stream_error(const struct capture_stream *s)
{
    return s->error;
}
