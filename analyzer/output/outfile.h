/* outfile.h — the files results are written to (-o, --json, standard
 * output), with an exact account of what reached them.
 *
 * Outputs write through an ordinary buffered FILE; underneath, every
 * write(2) is checked. Every line an output writes is a whole record (an
 * NDJSON object) or a whole line of text, so the account is kept in lines:
 * when a write fails (a full disk, /dev/full, a closed pipe, a file size
 * limit), the lines that reached the file whole are known, and every line
 * after them counts as lost — nothing more is written to that file. A
 * regular file is cut back to its last whole line, so no half line is left
 * in it; on a pipe or a device, the part of a line that went out is
 * reported as cut. */
#ifndef TLSMON_OUTFILE_H
#define TLSMON_OUTFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct outfile;

/* Open `path` ("w" truncates, "a" appends) or take over `fd` (standard
 * output; it is not closed at the end). The FILE is where outputs write;
 * NULL with errno set on failure. */
FILE *outfile_open(const char *path, const char *mode, struct outfile **out);
FILE *outfile_from_fd(int fd, struct outfile **out);

/* SIGHUP: go on in a new file at `path` (appended to; the old one is
 * flushed and closed; a failure keeps the old one). False with errno. */
bool outfile_reopen(struct outfile *of, const char *path);

struct outfile_result {
    uint64_t lines_written; /* reached the file whole */
    uint64_t lines_lost;    /* handed over, never written whole */
    int error;              /* errno of the first failed write, 0 none */
    bool cut_removed;       /* a partial line was cut off the file */
    bool cut_left;          /* a partial line went out and stays */
};

/* What reached the file so far (flush first for the final account). */
void outfile_result(const struct outfile *of, struct outfile_result *r);

/* Flush and close; the result stays readable until outfile_free. */
void outfile_close(struct outfile *of);
void outfile_free(struct outfile *of);

/* One line for stderr when lines were lost: "NAME: writing failed (why):
 * N of M lines lost (...)". False (nothing written) when none were. */
bool outfile_report(const struct outfile *of, const char *name, FILE *errs);

#endif
