/* fuzz_check.h — what a fuzz target asserts: a property that fails
 * aborts, so libFuzzer keeps the input as a crash. */
#ifndef TLSMON_FUZZ_CHECK_H
#define TLSMON_FUZZ_CHECK_H

#include <stdlib.h>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

#endif
