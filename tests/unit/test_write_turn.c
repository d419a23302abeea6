/* test_write_turn.c — records are written in ticket order whatever order
 * their renderers finish in: a later ticket waits (asleep, once its spin
 * is over) until the earlier one passes, and many writers with uneven
 * work write 0, 1, 2, ... */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/output/write_turn.h"

struct later {
    struct write_turn *turn;
    atomic_bool wrote;
};

static void *write_second(void *arg)
{
    struct later *l = arg;
    write_turn_wait(l->turn, 1);
    atomic_store(&l->wrote, true);
    write_turn_pass(l->turn, 1);
    return NULL;
}

static void test_later_ticket_waits(void **state)
{
    (void)state;
    struct write_turn turn;
    write_turn_init(&turn);
    assert_int_equal(write_turn_ticket(&turn), 0);
    struct later l = {&turn, false};
    assert_int_equal(write_turn_ticket(&turn), 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_second, &l), 0);
    /* Until the second writer sleeps, or (wrongly) has written. */
    while (atomic_load(&turn.sleepers) == 0 && !atomic_load(&l.wrote))
        ;
    assert_false(atomic_load(&l.wrote));
    write_turn_wait(&turn, 0); /* ticket 0's turn is at once */
    write_turn_pass(&turn, 0);
    pthread_join(t, NULL);
    assert_true(atomic_load(&l.wrote));
    assert_int_equal(atomic_load(&turn.next), 2);
    write_turn_destroy(&turn);
}

#define WRITERS 4
#define TICKETS 4000

struct shared {
    struct write_turn turn;
    pthread_mutex_t decide; /* hands out tickets, as the decision lock */
    uint64_t log[TICKETS]; /* written only in one's turn */
    size_t logged;
    size_t issued;
};

/* Rendering of uneven length: some records take a hundred times others. */
static void render(uint64_t ticket)
{
    volatile uint64_t x = ticket;
    unsigned rounds = (unsigned)((ticket * 2654435761u) % 97u) * 40u;
    for (unsigned i = 0; i < rounds; i++)
        x = x * 31 + i;
}

static void *writer(void *arg)
{
    struct shared *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->decide);
        if (s->issued == TICKETS) {
            pthread_mutex_unlock(&s->decide);
            return NULL;
        }
        s->issued++;
        uint64_t ticket = write_turn_ticket(&s->turn);
        pthread_mutex_unlock(&s->decide);
        render(ticket);
        write_turn_wait(&s->turn, ticket);
        s->log[s->logged++] = ticket;
        write_turn_pass(&s->turn, ticket);
    }
}

static void test_writers_in_ticket_order(void **state)
{
    (void)state;
    static struct shared s;
    memset(&s, 0, sizeof(s));
    write_turn_init(&s.turn);
    pthread_mutex_init(&s.decide, NULL);
    pthread_t t[WRITERS];
    for (size_t i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, &s), 0);
    for (size_t i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.logged, TICKETS);
    for (size_t i = 0; i < TICKETS; i++)
        assert_int_equal(s.log[i], i);
    pthread_mutex_destroy(&s.decide);
    write_turn_destroy(&s.turn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_later_ticket_waits),
        cmocka_unit_test(test_writers_in_ticket_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
