// The sentence encoder's matrix products with AVX2 and FMA, chosen at run time: the package
// stays buildable and runnable on baseline x86-64 (and on other CPUs, where this file compiles
// to the availability check alone), and the Swift code falls back to its portable kernel.

#include "CSemanticKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int bulwark_gemm_vector_available(void) {
    static int state = -1;
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    __builtin_cpu_init();
    int yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    __atomic_store_n(&state, yes, __ATOMIC_RELAXED);
    return yes;
}

#define KERNEL __attribute__((target("avx2,fma"))) static inline __attribute__((always_inline))

// A tile of R rows (1...6) x 16 columns (two panels): 2R accumulators held across the k loop,
// each output element summing its k products in order.
KERNEL void tile16(
    const int R, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *p0, const float *p1, float *c,
    ptrdiff_t ldc, int accumulate) {
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
        __m256 w0 = _mm256_loadu_ps(p0 + i * 8);
        __m256 w1 = _mm256_loadu_ps(p1 + i * 8);
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

// The same for a last single panel (n / 8 odd).
KERNEL void tile8(
    const int R, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *p0, float *c, ptrdiff_t ldc,
    int accumulate) {
    __m256 s0[6];
    for (int r = 0; r < R; r++) s0[r] = accumulate ? _mm256_loadu_ps(c + r * ldc) : _mm256_setzero_ps();
    for (ptrdiff_t i = 0; i < k; i++) {
        __m256 w0 = _mm256_loadu_ps(p0 + i * 8);
        for (int r = 0; r < R; r++) s0[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + i), w0, s0[r]);
    }
    for (int r = 0; r < R; r++) _mm256_storeu_ps(c + r * ldc, s0[r]);
}

// One row (the sentence-level products, bound by reading the weights): four panels at a time,
// even and odd k in separate sums so that eight independent FMA chains hide the latency.
KERNEL void row32(ptrdiff_t k, const float *a, const float *p, float *c, int accumulate) {
    const float *p0 = p, *p1 = p + 8 * k, *p2 = p + 16 * k, *p3 = p + 24 * k;
    __m256 e0 = _mm256_setzero_ps(), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
    ptrdiff_t i = 0;
    for (; i + 2 <= k; i += 2) {
        __m256 x = _mm256_broadcast_ss(a + i), y = _mm256_broadcast_ss(a + i + 1);
        e0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p0 + i * 8), e0);
        e1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p1 + i * 8), e1);
        e2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p2 + i * 8), e2);
        e3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p3 + i * 8), e3);
        o0 = _mm256_fmadd_ps(y, _mm256_loadu_ps(p0 + i * 8 + 8), o0);
        o1 = _mm256_fmadd_ps(y, _mm256_loadu_ps(p1 + i * 8 + 8), o1);
        o2 = _mm256_fmadd_ps(y, _mm256_loadu_ps(p2 + i * 8 + 8), o2);
        o3 = _mm256_fmadd_ps(y, _mm256_loadu_ps(p3 + i * 8 + 8), o3);
    }
    if (i < k) {
        __m256 x = _mm256_broadcast_ss(a + i);
        e0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p0 + i * 8), e0);
        e1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p1 + i * 8), e1);
        e2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p2 + i * 8), e2);
        e3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(p3 + i * 8), e3);
    }
    e0 = _mm256_add_ps(e0, o0);
    e1 = _mm256_add_ps(e1, o1);
    e2 = _mm256_add_ps(e2, o2);
    e3 = _mm256_add_ps(e3, o3);
    if (accumulate) {
        e0 = _mm256_add_ps(e0, _mm256_loadu_ps(c));
        e1 = _mm256_add_ps(e1, _mm256_loadu_ps(c + 8));
        e2 = _mm256_add_ps(e2, _mm256_loadu_ps(c + 16));
        e3 = _mm256_add_ps(e3, _mm256_loadu_ps(c + 24));
    }
    _mm256_storeu_ps(c, e0);
    _mm256_storeu_ps(c + 8, e1);
    _mm256_storeu_ps(c + 16, e2);
    _mm256_storeu_ps(c + 24, e3);
}

KERNEL void row8(ptrdiff_t k, const float *a, const float *p0, float *c, int accumulate) {
    __m256 e = _mm256_setzero_ps(), o = e;
    ptrdiff_t i = 0;
    for (; i + 2 <= k; i += 2) {
        e = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), _mm256_loadu_ps(p0 + i * 8), e);
        o = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i + 1), _mm256_loadu_ps(p0 + i * 8 + 8), o);
    }
    if (i < k) e = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), _mm256_loadu_ps(p0 + i * 8), e);
    e = _mm256_add_ps(e, o);
    if (accumulate) e = _mm256_add_ps(e, _mm256_loadu_ps(c));
    _mm256_storeu_ps(c, e);
}

__attribute__((target("avx2,fma"))) void bulwark_gemm_packed8_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate) {
    const ptrdiff_t panels = n / 8;
    if (m == 1) {
        ptrdiff_t p = 0;
        for (; p + 4 <= panels; p += 4) row32(k, a, b + p * 8 * k, c + p * 8, accumulate);
        for (; p < panels; p++) row8(k, a, b + p * 8 * k, c + p * 8, accumulate);
        return;
    }
    ptrdiff_t p = 0;
    for (; p + 2 <= panels; p += 2) {
        const float *p0 = b + p * 8 * k, *p1 = p0 + 8 * k;
        ptrdiff_t r = 0;
        for (; r + 6 <= m; r += 6) tile16(6, k, a + r * lda, lda, p0, p1, c + r * ldc + p * 8, ldc, accumulate);
        const float *ar = a + r * lda;
        float *cr = c + r * ldc + p * 8;
        switch (m - r) {
        case 5: tile16(5, k, ar, lda, p0, p1, cr, ldc, accumulate); break;
        case 4: tile16(4, k, ar, lda, p0, p1, cr, ldc, accumulate); break;
        case 3: tile16(3, k, ar, lda, p0, p1, cr, ldc, accumulate); break;
        case 2: tile16(2, k, ar, lda, p0, p1, cr, ldc, accumulate); break;
        case 1: tile16(1, k, ar, lda, p0, p1, cr, ldc, accumulate); break;
        default: break;
        }
    }
    if (p < panels) {
        const float *p0 = b + p * 8 * k;
        ptrdiff_t r = 0;
        for (; r + 6 <= m; r += 6) tile8(6, k, a + r * lda, lda, p0, c + r * ldc + p * 8, ldc, accumulate);
        for (; r < m; r++) tile8(1, k, a + r * lda, lda, p0, c + r * ldc + p * 8, ldc, accumulate);
    }
}

#else

int bulwark_gemm_vector_available(void) { return 0; }

void bulwark_gemm_packed8_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)c; (void)ldc; (void)accumulate;
    __builtin_trap();
}

#endif
