/* capture_map.c — pcap files read through a read-only mapping, guarded
 * against the file shrinking under it (see capture_map.h). */
#include "capture_map.h"

#include "pcapng_walk.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Passed pages are given back in steps this large: one madvise per step,
 * and at most this much of the file resident per reader. */
#define TRIM_STEP (4u * 1024u * 1024u)
/* Mappings open at once: one per worker reading a file, and a spare. */
#define GUARD_SLOTS 72

struct guard_slot {
    _Atomic uintptr_t base; /* 0: free */
    _Atomic size_t len;
    _Atomic int shrank;
};

static struct guard_slot guards[GUARD_SLOTS];
static struct sigaction previous_sigbus;
static uintptr_t page_size;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static bool guard_installed;

struct capture_map {
    const uint8_t *base;
    size_t len;
    struct guard_slot *guard;
    bool ng;                /* pcapng: `ng`; pcap: `walk` */
    struct pcap_walk walk;
    struct pcapng_walk ng_walk;
    uint64_t trimmed; /* pages before this offset are given back */
    volatile uint8_t touched;
};

/* A read of a page past the file's new end. If it is in one of our
 * mappings, zero pages take the place of the lost ones from there on (the
 * read then succeeds) and the mapping is marked; otherwise the previous
 * disposition is put back and the read faults again under it. Only
 * async-signal-safe calls: lock-free atomics and mmap. */
static void on_sigbus(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (size_t i = 0; i < GUARD_SLOTS; i++) {
        uintptr_t base = atomic_load(&guards[i].base);
        size_t len = atomic_load(&guards[i].len);
        if (!base || addr < base || addr - base >= len)
            continue;
        uintptr_t page = addr & ~(page_size - 1);
        if (mmap((void *)page, base + len - page, PROT_READ,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                 0) == MAP_FAILED)
            break;
        atomic_store(&guards[i].shrank, 1);
        return;
    }
    sigaction(SIGBUS, &previous_sigbus, NULL);
}

static void install_guard(void)
{
    page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    guard_installed = sigaction(SIGBUS, &sa, &previous_sigbus) == 0;
}

static struct guard_slot *guard_take(const uint8_t *base, size_t len)
{
    for (size_t i = 0; i < GUARD_SLOTS; i++) {
        uintptr_t none = 0;
        if (atomic_compare_exchange_strong(&guards[i].base, &none,
                                           (uintptr_t)base)) {
            atomic_store(&guards[i].shrank, 0);
            atomic_store(&guards[i].len, len);
            return &guards[i];
        }
    }
    return NULL;
}

struct capture_map *capture_map_open(int fd, uint64_t size, int dlt)
{
    struct stat st;
    uint8_t header[PCAP_WALK_FILE_HEADER];
    struct pcap_walk_format fmt;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        size > (uint64_t)st.st_size || size < PCAP_WALK_FILE_HEADER ||
        size > SIZE_MAX ||
        pread(fd, header, sizeof(header), 0) != (ssize_t)sizeof(header))
        return NULL;
    /* pcapng is tried on the mapping itself: its first blocks decide. */
    bool ng = !pcap_walk_format_read(header, sizeof(header), &fmt);
    pthread_once(&guard_once, install_guard);
    if (!guard_installed)
        return NULL;
    struct capture_map *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->len = (size_t)size;
    void *base = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) {
        free(m);
        return NULL;
    }
    m->base = base;
    m->guard = guard_take(m->base, m->len);
    if (!m->guard) {
        munmap(base, m->len);
        free(m);
        return NULL;
    }
    madvise(base, m->len, MADV_SEQUENTIAL);
    if (ng) {
        m->ng = true;
        if (!pcapng_walk_open(&m->ng_walk, m->base, m->len, dlt)) {
            capture_map_close(m);
            return NULL;
        }
        return m;
    }
    /* The header was read with pread; the walk covers the records. */
    struct cursor file = cursor_make(m->base, m->len);
    struct cursor records;
    if (!cursor_skip(&file, PCAP_WALK_FILE_HEADER) ||
        !cursor_sub(&file, cursor_left(&file), &records)) {
        capture_map_close(m);
        return NULL;
    }
    pcap_walk_start(&m->walk, records.base, cursor_span(&records), &fmt);
    return m;
}

/* Give back the pages before `offset`, a step at a time. */
static void trim_before(struct capture_map *m, uint64_t offset)
{
    if (offset < m->trimmed + TRIM_STEP)
        return;
    uint64_t upto = offset & ~(uint64_t)(page_size - 1);
    madvise((void *)((uintptr_t)m->base + m->trimmed),
            (size_t)(upto - m->trimmed), MADV_DONTNEED);
    m->trimmed = upto;
}

enum pcap_walk_result capture_map_next(struct capture_map *m,
                                       struct pcap_walk_frame *frame,
                                       char *why, size_t why_len)
{
    enum pcap_walk_result r =
        m->ng ? pcapng_walk_next(&m->ng_walk, frame, why, why_len)
              : pcap_walk_next(&m->walk, frame, why, why_len);
    if (r == PCAP_WALK_FRAME) {
        /* Fault the frame's end in here: a page lost under it is caught
         * before the frame is analyzed (a frame of several pages can still
         * meet a lost page in its middle: zeroes there, then the walk
         * stops at the next record). */
        struct cursor body = cursor_make(frame->data, frame->cap_len);
        uint8_t last;
        if (cursor_peek_u8(&body, frame->cap_len - 1, &last))
            m->touched ^= last;
        /* Records lie a kilobyte and more apart, too far for the hardware
         * to guess the next: most of a bypassed frame's cost was waiting
         * for its header. Ask for the record after the next, its header
         * and the packet headers after it (two lines), a frame early. */
        for (size_t into = 0; into < 128; into += 64) {
            const uint8_t *ahead =
                m->ng ? pcapng_walk_after_next(&m->ng_walk, into)
                      : pcap_walk_after_next(&m->walk, into);
            if (ahead)
                __builtin_prefetch(ahead);
        }
        trim_before(m, frame->offset);
    }
    if (atomic_load_explicit(&m->guard->shrank, memory_order_relaxed)) {
        snprintf(why, why_len, "the file was cut short while it was read");
        return PCAP_WALK_BROKEN;
    }
    return r;
}

uint64_t capture_map_consumed(const struct capture_map *m)
{
    if (m->ng)
        return cursor_pos(&m->ng_walk.in);
    return m->walk.origin + cursor_pos(&m->walk.in);
}

void capture_map_close(struct capture_map *m)
{
    if (!m)
        return;
    if (m->guard) {
        atomic_store(&m->guard->len, 0);
        atomic_store(&m->guard->base, 0);
    }
    munmap((void *)(uintptr_t)m->base, m->len);
    pcapng_walk_free(&m->ng_walk);
    free(m);
}
