/* write_turn.c — the order records are written in (see write_turn.h). */
#include "write_turn.h"

#include "spin_pause.h"

/* Pauses a waiter spins before it sleeps: the turn usually comes within
 * one record's write (some microseconds), less than a sleep and a wake. */
#define TURN_SPIN_ROUNDS 4000u

void write_turn_init(struct write_turn *t)
{
    atomic_init(&t->next, 0);
    t->issued = 0;
    atomic_init(&t->sleepers, 0);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
}

void write_turn_destroy(struct write_turn *t)
{
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
}

uint64_t write_turn_ticket(struct write_turn *t)
{
    return t->issued++;
}

void write_turn_wait(struct write_turn *t, uint64_t ticket)
{
    for (unsigned left = TURN_SPIN_ROUNDS; left; left--) {
        if (atomic_load(&t->next) == ticket)
            return;
        spin_pause();
    }
    pthread_mutex_lock(&t->lock);
    atomic_fetch_add(&t->sleepers, 1);
    /* `next` is raised before the passer reads `sleepers` (both
     * sequentially consistent): either this sees the turn or the passer
     * sees the sleeper and wakes it under the lock. */
    while (atomic_load(&t->next) != ticket)
        pthread_cond_wait(&t->cond, &t->lock);
    atomic_fetch_sub(&t->sleepers, 1);
    pthread_mutex_unlock(&t->lock);
}

void write_turn_pass(struct write_turn *t, uint64_t ticket)
{
    atomic_store(&t->next, ticket + 1);
    if (atomic_load(&t->sleepers)) {
        pthread_mutex_lock(&t->lock);
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
    }
}
