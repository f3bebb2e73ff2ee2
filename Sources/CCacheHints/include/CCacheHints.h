#ifndef BULWARK_CCACHEHINTS_H
#define BULWARK_CCACHEHINTS_H

#include <stddef.h>

/// Asks the CPU to start loading the cache lines of [p, p + bytes) for reading, into every
/// cache level; no effect on the program's results, and no fault for any address. (Swift has
/// no prefetch of its own.)
static inline __attribute__((always_inline)) void bulwark_prefetch(const void *p, ptrdiff_t bytes) {
    const char *c = (const char *)p;
    for (ptrdiff_t at = 0; at < bytes; at += 64) __builtin_prefetch(c + at, 0, 3);
    __builtin_prefetch(c + bytes - 1, 0, 3);
}

#endif
