/* write_turn.h — records written in the order they were decided while
 * workers render them side by side. Deciding a record takes a ticket (under
 * the decision lock, so tickets follow the decisions); a worker renders its
 * record in its own scratch, then waits for its ticket's turn to write it,
 * and passes the turn on. A ticket holder never waits for anything but
 * earlier tickets, each held by a worker that is writing, so the turn
 * always comes. */
#ifndef TLSMON_WRITE_TURN_H
#define TLSMON_WRITE_TURN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct write_turn {
    _Atomic uint64_t next; /* the ticket whose turn it is */
    uint64_t issued;       /* tickets handed out; under the decision lock */
    atomic_int sleepers;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

void write_turn_init(struct write_turn *t);
void write_turn_destroy(struct write_turn *t);
/* The next ticket. The caller holds the lock that orders the decisions. */
uint64_t write_turn_ticket(struct write_turn *t);
/* Returns when it is `ticket`'s turn. */
void write_turn_wait(struct write_turn *t, uint64_t ticket);
/* `ticket` has written: the next one's turn. */
void write_turn_pass(struct write_turn *t, uint64_t ticket);

#endif
