/* age_list.h — entries kept oldest first through links inside the
 * entries themselves: the flow table's activity order and its closed
 * connections, the certificate cache's recency, the TLS records held for
 * keys and the workers' batch queues all take from the old end and add
 * (or move what is used) at the young end. */
#ifndef TLSMON_AGE_LIST_H
#define TLSMON_AGE_LIST_H

#include <stddef.h>

struct age_link {
    struct age_link *older, *newer;
};

struct age_list {
    struct age_link *oldest, *newest;
};

/* The entry of type `type` whose member `member` is `link`; NULL stays
 * NULL, so the ends of an empty list need no test of their own. */
#define AGE_ENTRY(link, type, member)                                          \
    ((link) ? (type *)(void *)((char *)(link) - offsetof(type, member))        \
            : (type *)NULL)

static inline void age_list_unlink(struct age_list *l, struct age_link *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        l->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        l->newest = e->older;
    e->older = e->newer = NULL;
}

static inline void age_list_push_newest(struct age_list *l,
                                        struct age_link *e)
{
    e->older = l->newest;
    e->newer = NULL;
    if (l->newest)
        l->newest->newer = e;
    else
        l->oldest = e;
    l->newest = e;
}

/* `e`, already listed, was used now. */
static inline void age_list_touch(struct age_list *l, struct age_link *e)
{
    if (l->newest != e) {
        age_list_unlink(l, e);
        age_list_push_newest(l, e);
    }
}

#endif
