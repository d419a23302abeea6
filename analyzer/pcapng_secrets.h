/* pcapng_secrets.h — the TLS key logs a pcapng file carries in Decryption
 * Secrets Blocks (`editcap --inject-secrets tls,KEYS`), which libpcap 1.10
 * skips: a block walker reads them into the key log table before libpcap
 * reads the packets. */
#ifndef TLSMON_PCAPNG_SECRETS_H
#define TLSMON_PCAPNG_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keylog;

struct pcapng_secrets {
    bool pcapng;          /* the file is a pcapng */
    uint32_t blocks;      /* TLS key log DSBs read */
    uint32_t other;       /* DSBs of other kinds (WireGuard, SSH ...) */
    uint64_t bytes;       /* key log text read from them */
};

/* Walk the blocks of `path` (not standard input) and add every TLS key
 * log DSB to `kl`. Without `whole_file` the walk stops at the first packet
 * block: writers put their secrets first, and only a run given --keylog
 * pays for reading past that. A damaged file stops the walk quietly (the
 * packet reader reports it). The fields of `out` say what was found. */
void pcapng_read_secrets(const char *path, bool whole_file, struct keylog *kl,
                         struct pcapng_secrets *out);

/* The same over a file already in memory (tests and fuzzing). */
void pcapng_read_secrets_mem(const uint8_t *data, size_t len, bool whole_file,
                             struct keylog *kl, struct pcapng_secrets *out);

#endif
