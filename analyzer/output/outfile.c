/* outfile.c — result files that know what reached them (see outfile.h).
 *
 * The FILE outputs write to is a glibc cookie stream over our own fd: stdio
 * keeps buffering as usual, and every buffer it flushes comes through
 * write_cookie, which sees exactly how many bytes write(2) took, and counts
 * the lines in what it took and in what it did not. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct outfile {
    FILE *fp;
    int fd;
    bool own_fd;
    bool regular;     /* a file that can be cut back */
    off_t base;       /* where our bytes start in it */
    uint64_t reached; /* bytes write(2) took */
    uint64_t whole;   /* of them, up to the end of the last whole line */
    uint64_t written, lost;
    int error;
    bool dead;        /* a write failed: nothing more is written */
    bool cut_removed, cut_left;
};

/* Lines in `n` bytes, and the offset just past the last one (0: none). */
static uint64_t count_lines(const char *buf, size_t n, size_t *after_last)
{
    uint64_t lines = 0;
    const char *p = buf, *end = buf + n;
    *after_last = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
        *after_last = (size_t)(p - buf);
    }
    return lines;
}

/* The first failed write: what did not reach the file is lost, and a
 * partial line is cut off a regular file. */
static void give_up(struct outfile *of, int error)
{
    of->dead = true;
    of->error = error;
    if (of->reached > of->whole) {
        if (of->regular &&
            ftruncate(of->fd, of->base + (off_t)of->whole) == 0)
            of->cut_removed = true;
        else
            of->cut_left = true;
    }
}

static ssize_t write_cookie(void *cookie, const char *buf, size_t size)
{
    struct outfile *of = cookie;
    size_t done = 0, after;

    while (!of->dead && done < size) {
        ssize_t n = write(of->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            of->written += count_lines(buf, done, &after);
            if (after)
                of->whole = of->reached + after;
            of->reached += done;
            give_up(of, n < 0 ? errno : EIO);
            break;
        }
        done += (size_t)n;
    }
    if (done == size) {
        of->written += count_lines(buf, size, &after);
        if (after)
            of->whole = of->reached + after;
        of->reached += size;
    } else {
        of->lost += count_lines(buf + done, size - done, &after);
    }
    /* Taken, as far as stdio is concerned: what was lost is counted here,
     * and stdio must not hold on to the bytes and retry them. */
    return (ssize_t)size;
}

static int close_cookie(void *cookie)
{
    struct outfile *of = cookie;
    int rc = 0;
    if (of->own_fd && of->fd >= 0)
        rc = close(of->fd);
    of->fd = -1;
    return rc;
}

static void start(struct outfile *of, int fd)
{
    struct stat st;
    of->fd = fd;
    of->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    of->base = of->regular ? lseek(fd, 0, SEEK_CUR) : 0;
    if (of->base < 0)
        of->base = 0;
    of->reached = of->whole = 0;
}

static FILE *wrap(int fd, bool own, struct outfile **out)
{
    struct outfile *of = calloc(1, sizeof(*of));
    if (!of)
        return NULL;
    cookie_io_functions_t io = {NULL, write_cookie, NULL, close_cookie};
    of->own_fd = own;
    start(of, fd);
    of->fp = fopencookie(of, "w", io);
    if (!of->fp) {
        free(of);
        return NULL;
    }
    *out = of;
    return of->fp;
}

FILE *outfile_open(const char *path, const char *mode, struct outfile **out)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                (mode[0] == 'a' ? O_APPEND : O_TRUNC);
    int fd = open(path, flags, 0666);
    if (fd < 0)
        return NULL;
    if (mode[0] == 'a')
        lseek(fd, 0, SEEK_END);
    FILE *fp = wrap(fd, true, out);
    if (!fp) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return fp;
}

FILE *outfile_from_fd(int fd, struct outfile **out)
{
    return wrap(fd, false, out);
}

bool outfile_reopen(struct outfile *of, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0)
        return false;
    fflush(of->fp);
    if (of->own_fd)
        close(of->fd);
    of->own_fd = true;
    lseek(fd, 0, SEEK_END);
    start(of, fd);
    /* A new file: writing resumes; what was lost stays counted. */
    of->dead = false;
    return true;
}

void outfile_result(const struct outfile *of, struct outfile_result *r)
{
    r->lines_written = of->written;
    r->lines_lost = of->lost;
    r->error = of->error;
    r->cut_removed = of->cut_removed;
    r->cut_left = of->cut_left;
}

void outfile_close(struct outfile *of)
{
    if (!of || !of->fp)
        return;
    fflush(of->fp);
    fclose(of->fp);
    of->fp = NULL;
}

void outfile_free(struct outfile *of)
{
    if (!of)
        return;
    outfile_close(of);
    free(of);
}

bool outfile_report(const struct outfile *of, const char *name, FILE *errs)
{
    if (!of || (of->lost == 0 && of->error == 0))
        return false;
    fprintf(errs,
            "tlsmon: %s: writing failed (%s): %" PRIu64 " of %" PRIu64
            " lines lost%s\n",
            name, of->error ? strerror(of->error) : "unknown error", of->lost,
            of->lost + of->written,
            of->cut_removed ? "; the file ends at the last whole line"
            : of->cut_left  ? "; the last line that went out is cut short"
                            : "");
    return true;
}
