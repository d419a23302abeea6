/* fnv1a.h — the FNV-1a hash, 32- and 64-bit, for the bounded tables that
 * key on addresses and names. Callers choose what to feed and in which
 * order (a seed, several fields); only the primitive lives here. */
#ifndef TLSMON_FNV1A_H
#define TLSMON_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A32_START 2166136261u
#define FNV1A64_START 0xcbf29ce484222325ULL

/* One step. Plain FNV-1a feeds one byte per step; a few tables feed a
 * whole 16-bit port in one step, which is why `v` is wider than a byte. */
static inline uint32_t fnv1a32_mix(uint32_t h, uint32_t v)
{
    return (h ^ v) * 16777619u;
}

static inline uint64_t fnv1a64_mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL;
}

/* h continued over n bytes at data. */
static inline uint32_t fnv1a32_bytes(uint32_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = fnv1a32_mix(h, p[i]);
    return h;
}

static inline uint64_t fnv1a64_bytes(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = fnv1a64_mix(h, p[i]);
    return h;
}

/* h continued over the bytes of s, without its terminator. */
static inline uint32_t fnv1a32_str(uint32_t h, const char *s)
{
    for (; *s; s++)
        h = fnv1a32_mix(h, (uint8_t)*s);
    return h;
}

static inline uint64_t fnv1a64_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = fnv1a64_mix(h, (uint8_t)*s);
    return h;
}

#endif
