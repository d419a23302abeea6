/* host_port.h — the one reader of HOST:PORT and [IPv6]:PORT, for every
 * network output (syslog's tcp://, udp://, tls:// and Redis). */
#ifndef TLSMON_HOST_PORT_H
#define TLSMON_HOST_PORT_H

#include <stddef.h>

enum host_port_result {
    HOST_PORT_OK = 0,
    HOST_PORT_BAD_BRACKET, /* '[' without "]:" after the address */
    HOST_PORT_NO_HOST,     /* no ':', an empty host, or one too long */
    HOST_PORT_BAD_PORT,    /* the port is not a number 1-65535 */
};

/* Splits s at its last ':' (or after "[ADDR]") into host (hn bytes,
 * terminated) and port. host is written only on success. */
enum host_port_result host_port_parse(const char *s, char *host, size_t hn,
                                      int *port);

#endif
