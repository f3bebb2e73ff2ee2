#ifndef BULWARK_CTEXTKERNELS_H
#define BULWARK_CTEXTKERNELS_H

// The text engine's C helpers: cache hints (Swift has no prefetch) and the language identifier's
// half-precision rows (F16C converts eight halves in one instruction; Swift's Float16 conversions
// are library calls on baseline x86-64).

#include <stddef.h>
#include <stdint.h>

/// Asks the CPU to start loading the cache lines of [p, p + bytes) for reading, into every
/// cache level; no effect on the program's results, and no fault for any address.
static inline __attribute__((always_inline)) void bulwark_prefetch(const void *p, ptrdiff_t bytes) {
    const char *c = (const char *)p;
    for (ptrdiff_t at = 0; at < bytes; at += 64) __builtin_prefetch(c + at, 0, 3);
    __builtin_prefetch(c + bytes - 1, 0, 3);
}

/// Converts `n` floats (native byte order, at any alignment) to IEEE half precision, exactly:
/// returns the index of the first value that no half holds exactly (out of range, too many
/// mantissa bits, infinite or NaN), or `n` when every value converted.
size_t bulwark_floats_to_halves(const void *in, uint16_t *out, size_t n);

/// acc[k] = acc[k] + weights[i] · row(keys[i])[k] for i = 0 ..< n in turn, in float32 (a product
/// rounded, then a sum rounded; no fused multiply-add), for k < classes, where row(r) is the
/// `classes` halves at rows + r · classes. `acc` has room for `classes` rounded up to a multiple
/// of 8, and the table has 8 readable halves after its last row: with F16C the last eight lanes
/// are read whole, and the lanes past `classes` hold garbage. Same floats with and without F16C.
void bulwark_add_half_rows(
    const uint16_t *rows, size_t classes, const uint32_t *keys, const float *weights, size_t n, float *acc);

/// The two above without F16C, whatever the CPU (the tests compare them).
size_t bulwark_floats_to_halves_portable(const void *in, uint16_t *out, size_t n);
void bulwark_add_half_rows_portable(
    const uint16_t *rows, size_t classes, const uint32_t *keys, const float *weights, size_t n, float *acc);

#endif
