/* live.c — the sensor's capture loop (see live.h).
 *
 * The handle is non-blocking and the loop waits on its descriptor for at
 * most READ_TIMEOUT_MS (libpcap's own timeout does not apply in immediate
 * mode), so it notices signals and ticks the flow table in wall-clock time
 * when no packet arrives.
 * Signal handlers only set flags; the work happens in the loop, between
 * packets. Privileges are dropped right after the interface is open, before
 * any packet is parsed. */
#include "live.h"

#include <errno.h>
#include <grp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "decode.h"

#define READ_TIMEOUT_MS 100
#define DEFAULT_SNAPLEN 262144

static volatile sig_atomic_t stop_requested, reload_requested,
    stats_requested;

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
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
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

struct loop_ctx {
    struct pipeline *p;
    int linktype;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr,
                      const u_char *data)
{
    struct loop_ctx *lc = (struct loop_ctx *)user;
    uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000ULL +
                  (uint64_t)hdr->ts.tv_usec;
    pipeline_frame(lc->p, lc->linktype, data, hdr->caplen, hdr->len, ts);
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
    if (cfg->buffer_bytes > 0)
        pcap_set_buffer_size(pc, cfg->buffer_bytes);
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

static void report(pcap_t *pc, const struct live_hooks *h)
{
    struct pcap_stat ps;
    struct live_counters c = {0, 0, 0};
    if (pcap_stats(pc, &ps) == 0) {
        c.received = ps.ps_recv;
        c.dropped = ps.ps_drop;
        c.if_dropped = ps.ps_ifdrop;
    }
    if (h && h->stats)
        h->stats(h->ctx, &c);
}

enum capture_status live_run(const struct live_config *cfg,
                             struct pipeline *p, const struct live_hooks *h,
                             FILE *errs)
{
    enum capture_status status;
    pcap_t *pc = open_interface(cfg, errs, &status);
    if (!pc)
        return status;
    if (cfg->user && !drop_privileges(cfg->user, errs)) {
        pcap_close(pc);
        return CAPTURE_UNREADABLE;
    }
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    int fd = pcap_get_selectable_fd(pc);
    if (fd < 0 || pcap_setnonblock(pc, 1, errbuf) != 0) {
        fprintf(errs, "tlsmon: -i %s: cannot wait on the capture: %s\n",
                cfg->iface, errbuf[0] ? errbuf : "no selectable descriptor");
        pcap_close(pc);
        return CAPTURE_UNREADABLE;
    }
    install_signals();
    struct loop_ctx lc = {p, pcap_datalink(pc)};
    uint64_t interval = (uint64_t)cfg->stats_interval * 1000000ULL;
    uint64_t next_stats = now_us() + interval;
    pipeline_stats(p)->files++;
    while (!stop_requested) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, READ_TIMEOUT_MS) < 0 && errno != EINTR) {
            fprintf(errs, "tlsmon: -i %s: poll: %s\n", cfg->iface,
                    strerror(errno));
            status = CAPTURE_BROKEN;
            break;
        }
        int n = pfd.revents ? pcap_dispatch(pc, -1, on_packet, (u_char *)&lc)
                            : 0;
        if (n == PCAP_ERROR) {
            fprintf(errs, "tlsmon: -i %s: capture failed: %s\n", cfg->iface,
                    pcap_geterr(pc));
            status = CAPTURE_BROKEN;
            break;
        }
        uint64_t now = now_us();
        pipeline_tick(p, now);
        if (reload_requested) {
            reload_requested = 0;
            if (h && h->reload)
                h->reload(h->ctx);
        }
        if (stats_requested || (interval && now >= next_stats)) {
            stats_requested = 0;
            next_stats = now + interval;
            report(pc, h);
        }
    }
    report(pc, h);
    pcap_close(pc);
    return status;
}
