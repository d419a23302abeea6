/* memcap.c — charging and releasing against the --memcap budget (see
 * memcap.h for the policy). */
#include "memcap.h"

#include <stdlib.h>

static void note_peak(struct memcap *m)
{
    if (m->used > m->peak)
        m->peak = m->used;
}

static bool fits(const struct memcap *m, uint64_t n)
{
    return m->limit == 0 || (m->used <= m->limit && n <= m->limit - m->used);
}

bool memcap_reserve(struct memcap *m, uint64_t n)
{
    if (!m)
        return true;
    if (!fits(m, n) && m->reclaim && !m->reclaiming) {
        m->reclaiming = true;
        while (!fits(m, n) && m->reclaim(m->reclaim_ctx, n))
            ;
        m->reclaiming = false;
    }
    return fits(m, n);
}

bool memcap_charge(struct memcap *m, uint64_t n)
{
    if (!m)
        return true;
    if (!memcap_reserve(m, n)) {
        m->refused++;
        m->refused_bytes += n;
        return false;
    }
    m->used += n;
    note_peak(m);
    return true;
}
bool memcap_charge_spare(struct memcap *m, uint64_t n)
{
    if (!m)
        return true;
    if (!fits(m, n))
        return false;
    m->used += n;
    note_peak(m);
    return true;
}

void *memcap_calloc(struct memcap *m, size_t n)
{
    if (!memcap_charge(m, memcap_cost(n)))
        return NULL;
    void *p = calloc(1, n);
    if (!p)
        memcap_release(m, memcap_cost(n));
    return p;
}

void memcap_force(struct memcap *m, uint64_t n)
{
    if (!m)
        return;
    m->used += n;
    note_peak(m);
}

void memcap_enforce(struct memcap *m)
{
    memcap_reserve(m, 0);
}

void memcap_release(struct memcap *m, uint64_t n)
{
    if (!m)
        return;
    m->used = n > m->used ? 0 : m->used - n;
}
