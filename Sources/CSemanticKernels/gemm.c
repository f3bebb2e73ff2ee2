// The sentence encoder's matrix products with AVX2 and FMA or with AVX-512, chosen at run time:
// the package stays buildable and runnable on baseline x86-64 (and on other CPUs, where this file
// compiles to the availability checks alone), and the Swift code falls back to its portable kernel.
// B is packed in panels of 16 columns (see the header); both kernels sum each output element's
// products in the same order (k in order, from zero or from C), so they give the same floats,
// and a product of one row gives each row the floats it gets among several.

#include "CSemanticKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int bulwark_gemm_avx2_available(void) {
    static int state = -1;
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    __builtin_cpu_init();
    int yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    __atomic_store_n(&state, yes, __ATOMIC_RELAXED);
    return yes;
}

// __builtin_cpu_supports also checks that the OS saves the vector registers (XCR0).
int bulwark_gemm_avx512_available(void) {
    static int state = -1;
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    __builtin_cpu_init();
    int yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("fma");
    __atomic_store_n(&state, yes, __ATOMIC_RELAXED);
    return yes;
}

#define KERNEL __attribute__((target("avx2,fma"))) static inline __attribute__((always_inline))

// A tile of R rows (1...6) x 16 columns (one panel, read as two halves of 8): 2R accumulators
// held across the k loop, each output element summing its k products in order.
KERNEL void tile16(
    const int R, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *p, float *c, ptrdiff_t ldc, int accumulate) {
    __m256 s0[6], s1[6];
    for (int r = 0; r < R; r++) {
        if (accumulate) {
            s0[r] = _mm256_loadu_ps(c + r * ldc);
            s1[r] = _mm256_loadu_ps(c + r * ldc + 8);
        } else {
            s0[r] = _mm256_setzero_ps();
            s1[r] = _mm256_setzero_ps();
        }
    }
    for (ptrdiff_t i = 0; i < k; i++) {
        __m256 w0 = _mm256_loadu_ps(p + i * 16);
        __m256 w1 = _mm256_loadu_ps(p + i * 16 + 8);
        for (int r = 0; r < R; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * lda + i);
            s0[r] = _mm256_fmadd_ps(x, w0, s0[r]);
            s1[r] = _mm256_fmadd_ps(x, w1, s1[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(c + r * ldc, s0[r]);
        _mm256_storeu_ps(c + r * ldc + 8, s1[r]);
    }
}

// One row (the sentence-level products, bound by reading the weights), P panels (1...4) at a
// time: each output element sums its k products in order from zero or from c, as tile16 does, so
// a sentence embedded alone gets the floats it gets in a batch; four panels, read as halves, give
// eight independent FMA chains to hide their latency.
KERNEL void row16(const int P, ptrdiff_t k, const float *a, const float *p, float *c, int accumulate) {
    __m256 s[4][2];
#pragma clang loop unroll(full)
    for (int j = 0; j < P; j++) {
        s[j][0] = accumulate ? _mm256_loadu_ps(c + 16 * j) : _mm256_setzero_ps();
        s[j][1] = accumulate ? _mm256_loadu_ps(c + 16 * j + 8) : _mm256_setzero_ps();
    }
    for (ptrdiff_t i = 0; i < k; i++) {
        __m256 x = _mm256_broadcast_ss(a + i);
#pragma clang loop unroll(full)
        for (int j = 0; j < P; j++) {
            s[j][0] = _mm256_fmadd_ps(x, _mm256_loadu_ps(p + j * 16 * k + i * 16), s[j][0]);
            s[j][1] = _mm256_fmadd_ps(x, _mm256_loadu_ps(p + j * 16 * k + i * 16 + 8), s[j][1]);
        }
    }
#pragma clang loop unroll(full)
    for (int j = 0; j < P; j++) {
        _mm256_storeu_ps(c + 16 * j, s[j][0]);
        _mm256_storeu_ps(c + 16 * j + 8, s[j][1]);
    }
}

__attribute__((target("avx2,fma"))) void bulwark_gemm_packed16_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate) {
    const ptrdiff_t panels = n / 16;
    if (m == 1) {
        ptrdiff_t p = 0;
        for (; p + 4 <= panels; p += 4) row16(4, k, a, b + p * 16 * k, c + p * 16, accumulate);
        for (; p < panels; p++) row16(1, k, a, b + p * 16 * k, c + p * 16, accumulate);
        return;
    }
    for (ptrdiff_t p = 0; p < panels; p++) {
        const float *panel = b + p * 16 * k;
        ptrdiff_t r = 0;
        for (; r + 6 <= m; r += 6) tile16(6, k, a + r * lda, lda, panel, c + r * ldc + p * 16, ldc, accumulate);
        const float *ar = a + r * lda;
        float *cr = c + r * ldc + p * 16;
        switch (m - r) {
        case 5: tile16(5, k, ar, lda, panel, cr, ldc, accumulate); break;
        case 4: tile16(4, k, ar, lda, panel, cr, ldc, accumulate); break;
        case 3: tile16(3, k, ar, lda, panel, cr, ldc, accumulate); break;
        case 2: tile16(2, k, ar, lda, panel, cr, ldc, accumulate); break;
        case 1: tile16(1, k, ar, lda, panel, cr, ldc, accumulate); break;
        default: break;
        }
    }
}

#define KERNEL512                                                                                                      \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma"))) static inline __attribute__((always_inline))

// A tile of R rows (1...12) x 16P columns (P = 1 or 2 panels for several rows; up to 8 for one
// row, the sentence-level products of a sentence alone, whose eight chains hide the FMA latency):
// RP accumulators (up to 24 of the 32 zmm registers) held across the k loop, each output element
// summing its k products in order, as tile16 does, so a row gets the same floats alone as among
// others. The loops over rows and panels must unroll for the accumulators to stay in registers;
// clang gives up on 12 rows by itself, hence the pragmas.
KERNEL512 void tile_avx512(
    const int R, const int P, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *p, float *c, ptrdiff_t ldc,
    int accumulate) {
    __m512 s[12][8];
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < P; j++) s[r][j] = accumulate ? _mm512_loadu_ps(c + r * ldc + 16 * j) : _mm512_setzero_ps();
    }
    for (ptrdiff_t i = 0; i < k; i++) {
        __m512 w[8];
#pragma clang loop unroll(full)
        for (int j = 0; j < P; j++) w[j] = _mm512_loadu_ps(p + j * 16 * k + i * 16);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + i]);
#pragma clang loop unroll(full)
            for (int j = 0; j < P; j++) s[r][j] = _mm512_fmadd_ps(x, w[j], s[r][j]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < P; j++) _mm512_storeu_ps(c + r * ldc + 16 * j, s[r][j]);
    }
}

// All m rows for P panels, in tiles of at most 12 rows and nearly equal heights (31 rows: 11, 10,
// 10): a last tile of one or two rows would have too few FMA chains to hide their latency.
KERNEL512 void rows_avx512(
    const int P, ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *p, float *c, ptrdiff_t ldc,
    int accumulate) {
    const ptrdiff_t tiles = (m + 11) / 12, height = m / tiles, taller = m % tiles;
    ptrdiff_t r = 0;
    for (ptrdiff_t t = 0; t < tiles; t++) {
        const ptrdiff_t h = height + (t < taller);
        const float *ar = a + r * lda;
        float *cr = c + r * ldc;
        switch (h) {
        case 12: tile_avx512(12, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 11: tile_avx512(11, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 10: tile_avx512(10, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 9: tile_avx512(9, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 8: tile_avx512(8, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 7: tile_avx512(7, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 6: tile_avx512(6, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 5: tile_avx512(5, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 4: tile_avx512(4, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 3: tile_avx512(3, P, k, ar, lda, p, cr, ldc, accumulate); break;
        case 2: tile_avx512(2, P, k, ar, lda, p, cr, ldc, accumulate); break;
        default: tile_avx512(1, P, k, ar, lda, p, cr, ldc, accumulate); break;
        }
        r += h;
    }
}

__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma"))) void bulwark_gemm_packed16_avx512(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate) {
    const ptrdiff_t panels = n / 16;
    if (m == 1) {
        ptrdiff_t p = 0;
        for (; p + 8 <= panels; p += 8) tile_avx512(1, 8, k, a, 0, b + p * 16 * k, c + p * 16, 0, accumulate);
        for (; p + 4 <= panels; p += 4) tile_avx512(1, 4, k, a, 0, b + p * 16 * k, c + p * 16, 0, accumulate);
        for (; p < panels; p++) tile_avx512(1, 1, k, a, 0, b + p * 16 * k, c + p * 16, 0, accumulate);
        return;
    }
    ptrdiff_t p = 0;
    for (; p + 2 <= panels; p += 2) rows_avx512(2, m, k, a, lda, b + p * 16 * k, c + p * 16, ldc, accumulate);
    if (p < panels) rows_avx512(1, m, k, a, lda, b + p * 16 * k, c + p * 16, ldc, accumulate);
}

#else

int bulwark_gemm_avx2_available(void) { return 0; }

int bulwark_gemm_avx512_available(void) { return 0; }

void bulwark_gemm_packed16_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)c; (void)ldc; (void)accumulate;
    __builtin_trap();
}

void bulwark_gemm_packed16_avx512(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)c; (void)ldc; (void)accumulate;
    __builtin_trap();
}

#endif
