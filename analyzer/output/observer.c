/* observer.c — writes the sensor's identity into stats events (see
 * observer.h). */
#include "observer.h"

#include "../../dissectors/handshake.h"

void json_write_observer(struct json_writer *w, const struct observer *o)
{
    const char *host = o->hostname;
    const char *iface = o->interface;
    if (!host && !iface)
        return;
    json_key(w, "observer");
    json_begin_object(w);
    if (host) {
        json_key(w, "hostname");
        json_string(w, host);
    }
    if (iface) {
        json_key(w, "ingress");
        json_begin_object(w);
        json_key(w, "interface");
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, iface);
        json_end_object(w);
        json_end_object(w);
    }
    json_end_object(w);
}
