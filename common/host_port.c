/* host_port.c — HOST:PORT and [IPv6]:PORT split into a host and a port. */
#include "host_port.h"

#include <stdlib.h>
#include <string.h>

enum host_port_result host_port_parse(const char *s, char *host, size_t hn,
                                      int *port)
{
    const char *start = s, *stop, *colon;
    if (*s == '[') {
        stop = strchr(s, ']');
        if (!stop || stop[1] != ':')
            return HOST_PORT_BAD_BRACKET;
        start = s + 1;
        colon = stop + 1;
    } else {
        colon = stop = strrchr(s, ':');
        if (!colon)
            return HOST_PORT_NO_HOST;
    }
    size_t hlen = (size_t)(stop - start);
    if (hlen == 0 || hlen >= hn)
        return HOST_PORT_NO_HOST;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
        return HOST_PORT_BAD_PORT;
    memcpy(host, start, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return HOST_PORT_OK;
}
