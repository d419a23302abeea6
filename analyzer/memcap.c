/* memcap.c — charging and releasing against the --memcap budget (see
 * memcap.h for the policy). */
#include "memcap.h"

static void note_peak(struct memcap *m)
{
    if (m->used > m->peak)
        m->peak = m->used;
}

static bool fits(const struct memcap *m, uint64_t n)
{
    return m->limit == 0 || (m->used <= m->limit && n <= m->limit - m->used);
}

bool memcap_charge(struct memcap *m, uint64_t n)
{
    if (!m)
        return true;
    if (!fits(m, n) && m->reclaim && !m->reclaiming) {
        m->reclaiming = true;
        while (!fits(m, n) && m->reclaim(m->reclaim_ctx, n))
            ;
        m->reclaiming = false;
    }
    if (!fits(m, n)) {
        m->refused++;
        m->refused_bytes += n;
        return false;
    }
    m->used += n;
    note_peak(m);
    return true;
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
    if (!m || !m->reclaim || m->reclaiming)
        return;
    m->reclaiming = true;
    while (!fits(m, 0) && m->reclaim(m->reclaim_ctx, 0))
        ;
    m->reclaiming = false;
}

void memcap_release(struct memcap *m, uint64_t n)
{
    if (!m)
        return;
    m->used = n > m->used ? 0 : m->used - n;
}
