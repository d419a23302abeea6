/* view.c — the short forms of the analyst's filters written out as
 * conditions of the rule language (one language, one evaluator), so
 * `--failed` is exactly `--where '{event.outcome: failure}'`. */
#include "view.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array_len.h"
#include "host_port.h"
#include "../rules/engine.h"

/* s as a YAML double-quoted scalar: quotes and backslashes escaped, any
 * other byte outside printable ASCII as \xNN. False when it does not fit. */
static bool yaml_quote(const char *s, char *out, size_t n)
{
    size_t k = 0;
    if (n < 3)
        return false;
    out[k++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (k + 5 >= n)
            return false;
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            k += (size_t)snprintf(out + k, n - k, "\\x%02x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k++] = '"';
    out[k] = '\0';
    return true;
}

static void describe(struct view *v, const char *opt, const char *arg)
{
    size_t used = strlen(v->description);
    snprintf(v->description + used, sizeof(v->description) - used,
             "%s%s%s%s%s", used ? " " : "", opt, arg ? " '" : "",
             arg ? arg : "", arg ? "'" : "");
}

static bool add(struct view *v, const char *name, const char *yaml,
                char *err, size_t n)
{
    if (!v->filter && !(v->filter = rules_filter_new())) {
        snprintf(err, n, "out of memory");
        return false;
    }
    return rules_filter_add(v->filter, name, yaml, err, n);
}

/* Append ", item" to a growing YAML list text. */
static bool append_item(char **list, const char *item)
{
    size_t old = *list ? strlen(*list) : 0;
    char *n = realloc(*list, old + strlen(item) + 3);
    if (!n)
        return false;
    snprintf(n + old, strlen(item) + 3, "%s%s", old ? ", " : "", item);
    *list = n;
    return true;
}

bool view_where(struct view *v, const char *yaml, char *err, size_t n)
{
    if (!add(v, "--where", yaml, err, n))
        return false;
    describe(v, "--where", yaml);
    return true;
}

bool view_failed(struct view *v, char *err, size_t n)
{
    if (!add(v, "--failed", "{event.outcome: failure}", err, n))
        return false;
    describe(v, "--failed", NULL);
    return true;
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool is_port(const char *s)
{
    char *end;
    long p = strtol(s, &end, 10);
    return *s && *end == '\0' && p > 0 && p < 65536;
}

bool view_server(struct view *v, const char *arg, char *err, size_t n)
{
    char quoted[1024], host[512], cond[1200];
    const char *colon = strrchr(arg, ':');
    if (!yaml_quote(arg, quoted, sizeof(quoted))) {
        snprintf(err, n, "--server: the argument is too long");
        return false;
    }
    if (is_ip(arg)) {
        snprintf(cond, sizeof(cond), "{destination.ip: %s}", quoted);
    } else if (strchr(arg, '/')) {
        snprintf(cond, sizeof(cond), "{destination.ip: {cidr: %s}}", quoted);
    } else if (colon && (arg[0] == '[' || strchr(arg, ':') == colon) &&
               is_port(colon + 1)) {
        /* HOST:PORT, the host an address ([IPv6]) or a name glob */
        int port;
        if (host_port_parse(arg, host, sizeof(host), &port) != HOST_PORT_OK) {
            snprintf(err, n, "--server: '%s' is not HOST:PORT", arg);
            return false;
        }
        yaml_quote(host, quoted, sizeof(quoted));
        snprintf(cond, sizeof(cond),
                 is_ip(host) ? "{destination.ip: %s, destination.port: %d}"
                             : "{tls.client.server_name: {glob: %s}, "
                               "destination.port: %d}",
                 quoted, port);
    } else {
        snprintf(cond, sizeof(cond),
                 "{tls.client.server_name: {glob: %s}}", quoted);
    }
    /* Compiled alone first, so a bad one is reported as itself. */
    struct rule_filter *probe = rules_filter_new();
    bool ok = probe && rules_filter_add(probe, "--server", cond, err, n);
    rules_filter_free(probe);
    if (!ok)
        return false;
    if (!append_item(&v->servers, cond)) {
        snprintf(err, n, "out of memory");
        return false;
    }
    describe(v, "--server", arg);
    return true;
}

bool view_time_text(const char *in, char *out, size_t n)
{
    struct tm tm;
    const char *formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                             "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                             "%Y-%m-%d"};
    for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
        memset(&tm, 0, sizeof(tm));
        const char *p = strptime(in, formats[i], &tm);
        if (!p)
            continue;
        char frac[16] = "";
        if (*p == '.') {
            size_t k = 0;
            frac[k++] = '.';
            for (p++; *p >= '0' && *p <= '9'; p++)
                if (k < 7)
                    frac[k++] = *p;
            frac[k] = '\0';
            if (k == 1)
                continue;
        }
        if (*p == 'Z')
            p++;
        if (*p != '\0')
            continue;
        char date[32];
        if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            return false;
        snprintf(out, n, "%s%sZ", date, frac);
        return true;
    }
    return false;
}

static bool time_bound(struct view *v, const char *opt, const char *op,
                       const char *when, char *err, size_t n)
{
    char t[64], cond[128];
    if (!view_time_text(when, t, sizeof(t))) {
        snprintf(err, n, "%s: '%s' is not a time (UTC: 2026-01-31, "
                 "2026-01-31T12:00:00Z, 2026-01-31 12:00)", opt, when);
        return false;
    }
    snprintf(cond, sizeof(cond), "{\"@timestamp\": {%s: \"%s\"}}", op, t);
    if (!add(v, opt, cond, err, n))
        return false;
    describe(v, opt, t);
    return true;
}

bool view_since(struct view *v, const char *when, char *err, size_t n)
{
    return time_bound(v, "--since", "ge", when, err, n);
}

bool view_until(struct view *v, const char *when, char *err, size_t n)
{
    return time_bound(v, "--until", "lt", when, err, n);
}

bool view_flow(struct view *v, const char *ids, char *err, size_t n)
{
    const char *p = ids;
    while (*p) {
        char *end;
        unsigned long long id = strtoull(p, &end, 10);
        if (end == p || (*end && *end != ',') || *p == '-') {
            snprintf(err, n, "--flow: '%s' is not a flow id (or a list of "
                     "them: 3,17)", ids);
            return false;
        }
        char item[32];
        snprintf(item, sizeof(item), "%llu", id);
        if (!append_item(&v->flows, item)) {
            snprintf(err, n, "out of memory");
            return false;
        }
        p = *end ? end + 1 : end;
    }
    describe(v, "--flow", ids);
    return true;
}

/* Adds the condition `open` LIST `close` that a list option stands for. */
static bool add_list(struct view *v, const char *option, const char *open,
                     const char *list, const char *close, char *err, size_t n)
{
    size_t len = strlen(open) + strlen(list) + strlen(close) + 1;
    char *text = malloc(len);
    if (!text) {
        snprintf(err, n, "out of memory");
        return false;
    }
    snprintf(text, len, "%s%s%s", open, list, close);
    bool ok = add(v, option, text, err, n);
    free(text);
    return ok;
}

bool view_finish(struct view *v, char *err, size_t n)
{
    if (v->servers &&
        !add_list(v, "--server", "{any: [", v->servers, "]}", err, n))
        return false;
    if (v->flows && !add_list(v, "--flow", "{tlsmon.flow_id: {in: [",
                              v->flows, "]}}", err, n))
        return false;
    return true;
}

void view_free(struct view *v)
{
    rules_filter_free(v->filter);
    free(v->servers);
    free(v->flows);
    v->filter = NULL;
    v->servers = v->flows = NULL;
}
