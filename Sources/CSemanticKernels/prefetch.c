// Hints to the CPU to bring memory into its caches ahead of use. No effect on results.

#include "CSemanticKernels.h"

void bulwark_prefetch(const void *p, ptrdiff_t bytes) {
    const char *c = (const char *)p;
    for (ptrdiff_t i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}
