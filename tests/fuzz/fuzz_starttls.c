/* fuzz_starttls.c — libFuzzer target for the STARTTLS detector.
 *
 * Input: byte 0 picks the SYN's client side (0, 1 or unknown); then
 * operations, each an op byte (bit 0: flow side; bit 1: a gap instead of
 * data; bits 2-7: chunk length - 1, so 1-64 bytes) and that many data bytes.
 * The same operations are replayed a second time one byte per call. Checked:
 * a decision never changes, *taken never exceeds the chunk, held bytes stay
 * inside the window, the refusal is NUL-terminated printable text, and both
 * replays decide alike. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct starttls *st, enum starttls_status *seen)
{
    enum starttls_status now = starttls_status(st);
    if (*seen != STARTTLS_WATCHING && now != *seen)
        abort();
    *seen = now;
    for (int side = 0; side < 2; side++) {
        const uint8_t *held;
        uint32_t n;
        starttls_held(st, side, &held, &n);
        if (n > STARTTLS_WINDOW || (n && now != STARTTLS_UPGRADED))
            abort();
        if (n)
            (void)*(volatile const uint8_t *)&held[n - 1];
    }
    const char *r = starttls_refusal(st);
    size_t len = strnlen(r, STARTTLS_REFUSAL_LEN);
    if (len >= STARTTLS_REFUSAL_LEN)
        abort();
    for (size_t i = 0; i < len; i++)
        if (r[i] < 0x20 || r[i] >= 0x7f)
            abort();
    if (now == STARTTLS_UPGRADED &&
        (starttls_proto(st) == STARTTLS_NONE || starttls_client_side(st) < 0))
        abort();
}

static struct starttls *replay(const uint8_t *data, size_t size, bool bytewise)
{
    int client = size ? data[0] % 3 : 2;
    struct starttls *st = starttls_new(client == 2 ? -1 : client);
    if (!st)
        return NULL;
    enum starttls_status seen = STARTTLS_WATCHING;
    size_t i = 1;
    while (i < size) {
        uint8_t op = data[i++];
        int side = op & 1;
        size_t want = (size_t)(op >> 2) + 1;
        size_t n = size - i < want ? size - i : want;
        if (op & 2) {
            starttls_gap(st, side);
        } else if (!bytewise) {
            uint32_t taken;
            starttls_feed(st, side, data + i, (uint32_t)n, &taken);
            if (taken > n)
                abort();
        } else {
            for (size_t k = 0; k < n; k++) {
                uint32_t taken;
                starttls_feed(st, side, data + i + k, 1, &taken);
                if (taken > 1)
                    abort();
            }
        }
        if (!(op & 2))
            i += n;
        check(st, &seen);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct starttls *a = replay(data, size, false);
    struct starttls *b = replay(data, size, true);
    if (a && b) {
        /* Chunking must not change what was decided (a window overflow in
         * one big chunk is decided at the same byte as many small ones). */
        if (starttls_status(a) != starttls_status(b) ||
            starttls_proto(a) != starttls_proto(b) ||
            strcmp(starttls_refusal(a), starttls_refusal(b)) != 0)
            abort();
    }
    starttls_free(a);
    starttls_free(b);
    return 0;
}
