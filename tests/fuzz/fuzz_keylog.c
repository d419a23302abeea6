/* fuzz_keylog.c — libFuzzer target for the key log reader and the pcapng
 * Decryption Secrets Block walker.
 *
 * Input: byte 0 picks the mode (bit 0: read as a pcapng, bit 1: the whole
 * file, bits 2-7: where the text is cut in two); the rest is key log text
 * or a pcapng file. Checked: the text is taken whole lines at a time (the
 * taken part ends at a newline), the table never holds more entries than
 * its bound, every lookup of a random from the input answers with secrets
 * of a key log's lengths, and the counts add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/pcapng_secrets.h"
#include "dissectors/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *text = data + 1;
    size_t len = size - 1;
    /* A small bound (64 entries), so that eviction is reached. */
    struct keylog *kl = keylog_new(1);
    if (!kl)
        return 0;

    if (mode & 1) {
        struct pcapng_secrets out;
        pcapng_read_secrets_mem(text, len, (mode & 2) != 0, kl, &out);
        CHECK(out.pcapng || out.blocks == 0);
    } else {
        size_t cut = len ? ((size_t)(mode >> 2) * len / 63) : 0;
        if (cut > len)
            cut = len;
        size_t used = keylog_add_text(kl, text, cut, false);
        CHECK(used <= cut);
        CHECK(used == 0 || text[used - 1] == '\n');
        /* The rest of the first part, then the second, as a follower would
         * hand them over. */
        size_t rest = cut - used + (len - cut);
        uint8_t *tail = malloc(rest + 1);
        if (tail) {
            memcpy(tail, text + used, rest);
            CHECK(keylog_add_text(kl, tail, rest, true) == rest);
            free(tail);
        }
    }

    struct keylog_stats st;
    keylog_get_stats(kl, &st);
    CHECK(st.entries <= 64);
    CHECK(st.ignored + st.malformed <= st.lines || (mode & 1));
    /* Look up every 32-byte window of the input as a random. */
    for (size_t off = 0; off + KEYLOG_RANDOM_LEN <= len && off < 4096;
         off += 7) {
        struct keylog_secrets s;
        if (keylog_lookup(kl, text + off, 0, false, &s)) {
            for (int i = 0; i < KEYLOG_SECRETS; i++) {
                if (!(s.have & (1u << i)))
                    continue;
                CHECK(s.len[i] == 32 || s.len[i] == 48);
                CHECK(i != KEYLOG_MASTER_SECRET || s.len[i] == 48);
            }
            keylog_secrets_clear(&s);
        }
    }
    keylog_free(kl);
    return 0;
}
