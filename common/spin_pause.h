/* spin_pause.h — one pause of a busy wait. The CPU is told it is a spin,
 * so it yields the core to a sibling thread and draws less power. */
#ifndef TLSMON_SPIN_PAUSE_H
#define TLSMON_SPIN_PAUSE_H

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
