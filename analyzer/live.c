/* live.c — the sensor's capture loop (see live.h).
 *
 * The handle is non-blocking and the loop waits on its descriptor for at
 * most READ_TIMEOUT_MS (libpcap's own timeout does not apply in immediate
 * mode), so it notices signals and ticks the flow table in wall-clock time
 * when no packet arrives.
 * Signal handlers only set flags (lock-free atomics, so the worker threads
 * read them without a race); the work happens in the loop, between
 * packets. With --workers N, N handles join one AF_PACKET fanout group and
 * each gets a thread of its own; the main thread then only answers the
 * signals and the stats timer. Privileges are dropped right after the
 * interface is open, before any packet is parsed. */
#include "live.h"

#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "array_len.h"
#include "decode.h"
#include "workers.h"

#define READ_TIMEOUT_MS 100
#define DEFAULT_SNAPLEN 262144
/* In immediate mode libpcap uses a ring of fixed-size slots, each as large
 * as the biggest packet the interface can hand up (64 KiB with offloads):
 * its 2 MiB default holds about 30 packets, and a burst during one slow
 * certificate check overflows it. */
#define DEFAULT_BUFFER_BYTES (32 << 20)

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "signal handlers need lock-free atomic flags");
static atomic_int stop_requested, reload_requested, stats_requested;

static void on_signal(int sig)
{
    if (sig == SIGINT || sig == SIGTERM)
        stop_requested = 1;
    else if (sig == SIGHUP)
        reload_requested = 1;
    else if (sig == SIGUSR1)
        stats_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
    for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
        sigaction(sigs[i], &sa, NULL);
}

static uint64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000ULL + (uint64_t)tv.tv_usec;
}

/* Drop root for `user`, and make sure it cannot be taken back. */
static bool drop_privileges(const char *user, FILE *errs)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(errs, "tlsmon: --user %s: no such user\n", user);
        return false;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        fprintf(errs, "tlsmon: --user %s: cannot switch: %s\n", user,
                strerror(errno));
        return false;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
        fprintf(errs, "tlsmon: --user %s: root could be regained\n", user);
        return false;
    }
    return true;
}

struct live_worker {
    struct workers *ws;
    size_t index;
    struct pipeline *p;
    pcap_t *pc;
    int fd;
    int linktype;
    const char *iface;
    FILE *errs;
    enum capture_status status;
    pthread_t thread;
    bool started;
    uint64_t last_ts;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr,
                      const u_char *data)
{
    struct live_worker *lw = (struct live_worker *)user;
    uint64_t invalid = 0;
    uint64_t ts = capture_timestamp(hdr->ts.tv_sec, hdr->ts.tv_usec,
                                    &lw->last_ts, &invalid);
    if (invalid)
        pipeline_invalid_timestamp(lw->p);
    pipeline_frame(lw->p, lw->linktype, data, hdr->caplen, hdr->len, ts);
}

static pcap_t *open_interface(const struct live_config *cfg, FILE *errs,
                              enum capture_status *status)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    *status = CAPTURE_UNREADABLE;
    pcap_t *pc = pcap_create(cfg->iface, errbuf);
    if (!pc) {
        fprintf(errs, "tlsmon: -i %s: %s\n", cfg->iface, errbuf);
        return NULL;
    }
    pcap_set_snaplen(pc, cfg->snaplen > 0 ? cfg->snaplen : DEFAULT_SNAPLEN);
    pcap_set_promisc(pc, cfg->promisc);
    pcap_set_timeout(pc, READ_TIMEOUT_MS);
    pcap_set_immediate_mode(pc, 1);
    pcap_set_buffer_size(pc, cfg->buffer_bytes > 0 ? cfg->buffer_bytes
                                                   : DEFAULT_BUFFER_BYTES);
    int rc = pcap_activate(pc);
    if (rc < 0) {
        const char *why = pcap_geterr(pc);
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            fprintf(errs, "tlsmon: -i %s: no such interface\n", cfg->iface);
        else if (rc == PCAP_ERROR_PERM_DENIED)
            fprintf(errs, "tlsmon: -i %s: permission denied (run as root, "
                          "or give tlsmon CAP_NET_RAW and CAP_NET_ADMIN)\n",
                    cfg->iface);
        else
            fprintf(errs, "tlsmon: -i %s: %s\n", cfg->iface,
                    why && *why ? why : pcap_statustostr(rc));
        pcap_close(pc);
        return NULL;
    }
    int linktype = pcap_datalink(pc);
    if (!decode_linktype_supported(linktype)) {
        const char *name = pcap_datalink_val_to_name(linktype);
        fprintf(errs, "tlsmon: -i %s: unsupported link type %d (%s)\n",
                cfg->iface, linktype, name ? name : "unknown");
        pcap_close(pc);
        *status = CAPTURE_BAD_LINKTYPE;
        return NULL;
    }
    if (cfg->filter && *cfg->filter) {
        struct bpf_program prog;
        if (pcap_compile(pc, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) !=
                0 ||
            pcap_setfilter(pc, &prog) != 0) {
            fprintf(errs, "tlsmon: bad filter '%s': %s\n", cfg->filter,
                    pcap_geterr(pc));
            pcap_close(pc);
            *status = CAPTURE_BAD_FILTER;
            return NULL;
        }
        pcap_freecode(&prog);
    }
    *status = CAPTURE_OK;
    return pc;
}

/* Several workers on one interface: each handle's socket joins one fanout
 * group, and a classic BPF program picks the worker from the IP address
 * pair, XOR-ed so both directions agree. That is the file mode's sharding
 * (decode_shard_hash): every connection between two hosts and every
 * fragment of a datagram reaches one worker, so what one host pair does is
 * seen in wire order. The kernel's own flow hash (PACKET_FANOUT_HASH) would
 * spread the connections of one client over the workers, and verdicts that
 * depend on what came before (a changed issuer) would depend on thread
 * timing. Loads are relative to the network header, so VLAN tags stripped
 * by the NIC do not matter; other traffic (and anything too short to hold
 * the addresses) goes to worker 0. The kernel takes the result modulo the
 * group size. */
#define NET(off) (SKF_NET_OFF + (off))
#define IPV6_FOLD(off)                                       \
    BPF_STMT(BPF_MISC | BPF_TAX, 0),                         \
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)NET(off)), \
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0)
static struct sock_filter fanout_by_ip_pair[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
                     (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5),
    /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)NET(12)),
    /* 3 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
    /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)NET(16)),
    /* 5 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    /* 6 */ BPF_JUMP(BPF_JMP | BPF_JA, 23, 0, 0),
    /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 25),
    /* 8: source and destination, 4 words each, from offsets 8 and 24 */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)NET(8)),
    IPV6_FOLD(12), IPV6_FOLD(16), IPV6_FOLD(20), IPV6_FOLD(24),
    IPV6_FOLD(28), IPV6_FOLD(32), IPV6_FOLD(36),
    /* 30: mix, so the low bits the modulo keeps depend on every bit */
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
    BPF_STMT(BPF_RET | BPF_A, 0),
    /* 33 */ BPF_STMT(BPF_RET | BPF_K, 0),
};
_Static_assert(ARRAY_LEN(fanout_by_ip_pair) == 34,
               "the jump offsets above count the instructions");

static bool join_fanout(pcap_t *pc, uint16_t group, const char *iface,
                        FILE *errs)
{
    uint32_t arg = group | ((uint32_t)PACKET_FANOUT_CBPF << 16);
    struct sock_fprog prog = {
        (unsigned short)ARRAY_LEN(fanout_by_ip_pair),
        fanout_by_ip_pair,
    };
    int fd = pcap_fileno(pc);
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog,
                   sizeof(prog)) != 0) {
        fprintf(errs, "tlsmon: -i %s: --workers: cannot join a fanout group: "
                      "%s\n", iface, strerror(errno));
        return false;
    }
    return true;
}

static void report(struct live_worker *lw, size_t n,
                   const struct live_hooks *h)
{
    struct live_counters c[WORKERS_MAX];
    for (size_t i = 0; i < n; i++) {
        struct pcap_stat ps;
        memset(&c[i], 0, sizeof(c[i]));
        workers_busy_lock(lw[i].ws, i);
        if (pcap_stats(lw[i].pc, &ps) == 0) {
            c[i].received = ps.ps_recv;
            c[i].dropped = ps.ps_drop;
            c[i].if_dropped = ps.ps_ifdrop;
        }
        workers_busy_unlock(lw[i].ws, i);
    }
    if (h && h->stats)
        h->stats(h->ctx, c, n);
}

/* Wait for packets at most READ_TIMEOUT_MS, take what came, and let the
 * flow table see the time. False when the capture failed. */
static bool capture_step(struct live_worker *lw)
{
    struct pollfd pfd = {lw->fd, POLLIN, 0};
    if (poll(&pfd, 1, READ_TIMEOUT_MS) < 0 && errno != EINTR) {
        fprintf(lw->errs, "tlsmon: -i %s: poll: %s\n", lw->iface,
                strerror(errno));
        lw->status = CAPTURE_BROKEN;
        return false;
    }
    workers_busy_lock(lw->ws, lw->index);
    int n = pfd.revents ? pcap_dispatch(lw->pc, -1, on_packet, (u_char *)lw)
                        : 0;
    if (n != PCAP_ERROR)
        pipeline_tick(lw->p, now_us());
    workers_busy_unlock(lw->ws, lw->index);
    if (n == PCAP_ERROR) {
        fprintf(lw->errs, "tlsmon: -i %s: capture failed: %s\n", lw->iface,
                pcap_geterr(lw->pc));
        lw->status = CAPTURE_BROKEN;
        return false;
    }
    return true;
}

static void *capture_thread(void *arg)
{
    struct live_worker *lw = arg;
    while (!atomic_load(&stop_requested) && capture_step(lw))
        ;
    /* A broken capture stops the sensor; its status is read after join. */
    if (lw->status != CAPTURE_OK)
        atomic_store(&stop_requested, 1);
    return NULL;
}

enum capture_status live_run(const struct live_config *cfg,
                             struct workers *ws, const struct live_hooks *h,
                             FILE *errs)
{
    size_t n = workers_count(ws);
    struct live_worker lw[WORKERS_MAX];
    enum capture_status status = CAPTURE_OK;
    size_t opened = 0;
    uint16_t group = (uint16_t)(getpid() & 0xffff);
    char errbuf[PCAP_ERRBUF_SIZE] = "";

    memset(lw, 0, sizeof(lw));
    for (; opened < n; opened++) {
        struct live_worker *w = &lw[opened];
        w->ws = ws;
        w->index = opened;
        w->p = workers_pipeline(ws, opened);
        w->iface = cfg->iface;
        w->errs = errs;
        w->pc = open_interface(cfg, errs, &status);
        if (!w->pc)
            break;
        if (n > 1 && !join_fanout(w->pc, group, cfg->iface, errs)) {
            status = CAPTURE_UNREADABLE;
            pcap_close(w->pc);
            break;
        }
        w->linktype = pcap_datalink(w->pc);
        w->fd = pcap_get_selectable_fd(w->pc);
        if (w->fd < 0 || pcap_setnonblock(w->pc, 1, errbuf) != 0) {
            fprintf(errs, "tlsmon: -i %s: cannot wait on the capture: %s\n",
                    cfg->iface,
                    errbuf[0] ? errbuf : "no selectable descriptor");
            status = CAPTURE_UNREADABLE;
            pcap_close(w->pc);
            break;
        }
    }
    if (opened == n && cfg->user && !drop_privileges(cfg->user, errs))
        status = CAPTURE_UNREADABLE;
    if (opened < n || status != CAPTURE_OK) {
        for (size_t i = 0; i < opened; i++)
            pcap_close(lw[i].pc);
        return status;
    }

    install_signals();
    uint64_t interval = (uint64_t)cfg->stats_interval * 1000000ULL;
    uint64_t next_stats = now_us() + interval;
    pipeline_stats(lw[0].p)->files++;
    if (n > 1) {
        for (size_t i = 0; i < n; i++) {
            if (pthread_create(&lw[i].thread, NULL, capture_thread, &lw[i]) !=
                0) {
                fprintf(errs, "tlsmon: --workers: cannot start a thread\n");
                stop_requested = 1;
                break;
            }
            lw[i].started = true;
        }
    }
    while (!stop_requested) {
        if (n == 1) {
            if (!capture_step(&lw[0]))
                break;
        } else {
            poll(NULL, 0, READ_TIMEOUT_MS);
        }
        uint64_t now = now_us();
        if (atomic_exchange(&reload_requested, 0)) {
            if (h && h->reload)
                h->reload(h->ctx);
        }
        if (atomic_exchange(&stats_requested, 0) ||
            (interval && now >= next_stats)) {
            next_stats = now + interval;
            report(lw, n, h);
        }
    }
    stop_requested = 1;
    for (size_t i = 0; i < n; i++)
        if (lw[i].started)
            pthread_join(lw[i].thread, NULL);
    report(lw, n, h);
    for (size_t i = 0; i < n; i++) {
        if (lw[i].status != CAPTURE_OK)
            status = lw[i].status;
        pcap_close(lw[i].pc);
    }
    return status;
}
