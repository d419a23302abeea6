/* array_len.h — the element count of an array whose size the compiler
 * knows (a table, a fixed buffer), written once instead of per file. */
#ifndef TLSMON_ARRAY_LEN_H
#define TLSMON_ARRAY_LEN_H

/* Only for true arrays: given a pointer it silently yields a wrong count. */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
