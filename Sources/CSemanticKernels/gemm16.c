// The sentence encoder's per-token products in integers: activations and weights rounded to
// 11-bit integers (-1023...1023) in int16, products summed exactly in int32, then scaled back to
// float. 11 bits is the widest for which a sum of 1,280 products cannot overflow int32
// (1023 · 1023 · 1280 < 2^31), and it keeps the embeddings within 6e-6 cosine of the float
// products (docs/semantic.md; scripts/quantised-products-check.py). The sums are exact, so the
// AVX-512, AVX2 and portable kernels give the same floats, on every CPU.

#include "CSemanticKernels.h"

#include <math.h>
#include <string.h>

// x clamped to the range, then rounded to the nearest integer (ties to even); NaN gives 0. The
// AVX2 version below does the same operations in the same order.
static inline int16_t quantize_one(float x) {
    if (x != x) return 0;
    x = x > BULWARK_I16_LEVEL ? BULWARK_I16_LEVEL : x < -BULWARK_I16_LEVEL ? -BULWARK_I16_LEVEL : x;
    return (int16_t)nearbyintf(x);
}

// A row of zeros (or whose largest magnitude is not finite) gets scale 1.
static inline float row_scale(float largest) {
    return largest > 0 && largest <= 3.0e38f ? largest / BULWARK_I16_LEVEL : 1.0f;
}

// The largest magnitude of a row (NaN is skipped), and a row times `inverse` rounded.
static float largest_magnitude_portable(ptrdiff_t k, const float *row) {
    float largest = 0;
    for (ptrdiff_t i = 0; i < k; i++) {
        float v = fabsf(row[i]);
        largest = v > largest ? v : largest;
    }
    return largest;
}

static void quantize_row_portable(ptrdiff_t k, const float *a, float inverse, int16_t *q) {
    for (ptrdiff_t i = 0; i < k; i++) q[i] = quantize_one(a[i] * inverse);
}

void bulwark_quantize_rows_i16_portable(
    ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, int16_t *out, ptrdiff_t ldo, float *scales) {
    for (ptrdiff_t r = 0; r < m; r++) {
        float scale = row_scale(largest_magnitude_portable(k, a + r * lda));
        quantize_row_portable(k, a + r * lda, 1.0f / scale, out + r * ldo);
        scales[r] = scale;
    }
}

// The windows of a CNN branch, quantized as bulwark_quantize_rows_i16_* would quantize them
// gathered: window row r is rows r - left ... r - left + n - 1 of `from` side by side (zeros
// outside 0..<tokens), one scale per window row from the largest magnitude of its n rows. The
// largest magnitude of each row of `from` is found once (in `largest`, tokens floats) instead of
// once per window it falls in, and no gathered copy is made.
static void quantize_windows(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *from, ptrdiff_t ld, ptrdiff_t w, int16_t *out,
    float *scales, const float *largest,
    void (*row)(ptrdiff_t k, const float *a, float inverse, int16_t *q)) {
    for (ptrdiff_t r = 0; r < tokens; r++) {
        float most = 0;
        for (ptrdiff_t o = 0; o < n; o++) {
            ptrdiff_t source = r - left + o;
            if (source >= 0 && source < tokens) most = largest[source] > most ? largest[source] : most;
        }
        float scale = row_scale(most);
        float inverse = 1.0f / scale;
        int16_t *q = out + r * n * w;
        for (ptrdiff_t o = 0; o < n; o++) {
            ptrdiff_t source = r - left + o;
            if (source >= 0 && source < tokens) {
                row(w, from + source * ld, inverse, q + o * w);
            } else {
                memset(q + o * w, 0, (size_t)w * sizeof(int16_t));
            }
        }
        scales[r] = scale;
    }
}

void bulwark_quantize_windows_i16_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *from, ptrdiff_t ld, ptrdiff_t w, int16_t *out,
    float *scales, float *largest) {
    for (ptrdiff_t t = 0; t < tokens; t++) largest[t] = largest_magnitude_portable(w, from + t * ld);
    quantize_windows(tokens, n, left, from, ld, w, out, scales, largest, quantize_row_portable);
}

void bulwark_gemm_i16_portable(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    for (ptrdiff_t p = 0; p < n / 16; p++) {
        const int16_t *panel = b + p * 16 * k;
        for (ptrdiff_t r = 0; r < m; r++) {
            const int16_t *x = a + r * lda;
            int32_t sums[16] = {0};
            for (ptrdiff_t t = 0; t < k / 2; t++) {
                const int16_t *w = panel + t * 32;
                for (int j = 0; j < 16; j++) {
                    sums[j] += (int32_t)x[2 * t] * w[2 * j] + (int32_t)x[2 * t + 1] * w[2 * j + 1];
                }
            }
            float *out = c + r * ldc + p * 16;
            for (int j = 0; j < 16; j++) out[j] = (float)sums[j] * row_scales[r] * column_scales[p * 16 + j];
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// The largest magnitude of a row; max(v, most) keeps `most` when v is NaN, as the scalar
// comparison does.
__attribute__((target("avx2,fma"))) static float largest_magnitude_avx2(ptrdiff_t k, const float *row) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 most = _mm256_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 8 <= k; i += 8) most = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(row + i), magnitude), most);
    float lanes[8];
    _mm256_storeu_ps(lanes, most);
    float largest = 0;
    for (int j = 0; j < 8; j++) largest = lanes[j] > largest ? lanes[j] : largest;
    for (; i < k; i++) {
        float v = fabsf(row[i]);
        largest = v > largest ? v : largest;
    }
    return largest;
}

// A row times `inverse`, rounded: NaN to 0, then clamped, then rounded to nearest even (MXCSR's
// default, as nearbyintf): quantize_one's operations, 16 values at a time.
__attribute__((target("avx2,fma"))) static void quantize_row_avx2(ptrdiff_t k, const float *a, float inverse, int16_t *q) {
    const __m256 hi = _mm256_set1_ps(BULWARK_I16_LEVEL), lo = _mm256_set1_ps(-BULWARK_I16_LEVEL);
    const __m256 inv = _mm256_set1_ps(inverse);
    ptrdiff_t i = 0;
    for (; i + 16 <= k; i += 16) {
        __m256 v0 = _mm256_mul_ps(_mm256_loadu_ps(a + i), inv);
        __m256 v1 = _mm256_mul_ps(_mm256_loadu_ps(a + i + 8), inv);
        v0 = _mm256_and_ps(v0, _mm256_cmp_ps(v0, v0, _CMP_ORD_Q));
        v1 = _mm256_and_ps(v1, _mm256_cmp_ps(v1, v1, _CMP_ORD_Q));
        v0 = _mm256_min_ps(_mm256_max_ps(v0, lo), hi);
        v1 = _mm256_min_ps(_mm256_max_ps(v1, lo), hi);
        __m256i packed = _mm256_packs_epi32(_mm256_cvtps_epi32(v0), _mm256_cvtps_epi32(v1));
        _mm256_storeu_si256((__m256i *)(q + i), _mm256_permute4x64_epi64(packed, 0xD8));
    }
    for (; i < k; i++) q[i] = quantize_one(a[i] * inverse);
}

__attribute__((target("avx2,fma"))) void bulwark_quantize_rows_i16_avx2(
    ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, int16_t *out, ptrdiff_t ldo, float *scales) {
    for (ptrdiff_t r = 0; r < m; r++) {
        float scale = row_scale(largest_magnitude_avx2(k, a + r * lda));
        quantize_row_avx2(k, a + r * lda, 1.0f / scale, out + r * ldo);
        scales[r] = scale;
    }
}

__attribute__((target("avx2,fma"))) void bulwark_quantize_windows_i16_avx2(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *from, ptrdiff_t ld, ptrdiff_t w, int16_t *out,
    float *scales, float *largest) {
    for (ptrdiff_t t = 0; t < tokens; t++) largest[t] = largest_magnitude_avx2(w, from + t * ld);
    quantize_windows(tokens, n, left, from, ld, w, out, scales, largest, quantize_row_avx2);
}

// A tile of R rows (1...6) x 16 columns: 2R int32 accumulators; each step takes two k at once
// (vpmaddwd: 8 columns x 2 products, summed in pairs).
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) void tile_i16(
    const int R, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *panel, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    __m256i s[6][2];
    for (int r = 0; r < R; r++) {
        s[r][0] = _mm256_setzero_si256();
        s[r][1] = _mm256_setzero_si256();
    }
    for (ptrdiff_t t = 0; t < k / 2; t++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(panel + t * 32));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(panel + t * 32 + 16));
        for (int r = 0; r < R; r++) {
            int32_t pair;
            memcpy(&pair, a + r * lda + 2 * t, 4);
            __m256i x = _mm256_set1_epi32(pair);
            s[r][0] = _mm256_add_epi32(s[r][0], _mm256_madd_epi16(x, w0));
            s[r][1] = _mm256_add_epi32(s[r][1], _mm256_madd_epi16(x, w1));
        }
    }
    __m256 cs0 = _mm256_loadu_ps(column_scales);
    __m256 cs1 = _mm256_loadu_ps(column_scales + 8);
    for (int r = 0; r < R; r++) {
        __m256 rs = _mm256_set1_ps(row_scales[r]);
        _mm256_storeu_ps(c + r * ldc, _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s[r][0]), rs), cs0));
        _mm256_storeu_ps(c + r * ldc + 8, _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s[r][1]), rs), cs1));
    }
}

__attribute__((target("avx2,fma"))) void bulwark_gemm_i16_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    for (ptrdiff_t p = 0; p < n / 16; p++) {
        const int16_t *panel = b + p * 16 * k;
        const float *cs = column_scales + p * 16;
        ptrdiff_t r = 0;
        for (; r + 6 <= m; r += 6)
            tile_i16(6, k, a + r * lda, lda, panel, row_scales + r, cs, c + r * ldc + p * 16, ldc);
        const int16_t *ar = a + r * lda;
        const float *rs = row_scales + r;
        float *cr = c + r * ldc + p * 16;
        switch (m - r) {
        case 5: tile_i16(5, k, ar, lda, panel, rs, cs, cr, ldc); break;
        case 4: tile_i16(4, k, ar, lda, panel, rs, cs, cr, ldc); break;
        case 3: tile_i16(3, k, ar, lda, panel, rs, cs, cr, ldc); break;
        case 2: tile_i16(2, k, ar, lda, panel, rs, cs, cr, ldc); break;
        case 1: tile_i16(1, k, ar, lda, panel, rs, cs, cr, ldc); break;
        default: break;
        }
    }
}

#define KERNEL512                                                                                                      \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma"))) static inline __attribute__((always_inline))

// The same product with AVX-512: a step (two k) of a 16-column panel is one zmm register, so a
// tile of R rows (1...12) x P panels (1 or 2) holds RP int32 accumulators (up to 24 of the 32
// registers). vpmaddwd and vpaddd, as the AVX2 tile: on this Zen 4 they ran faster than
// AVX512-VNNI's vpdpwssd, whose accumulator chains are longer (docs/semantic.md). The loops over
// rows and panels must unroll for the accumulators to stay in registers, hence the pragmas (as
// tile_avx512 in gemm.c).
KERNEL512 void tile_i16_avx512(
    const int R, const int P, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *p, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    __m512i s[12][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < P; j++) s[r][j] = _mm512_setzero_si512();
    }
    for (ptrdiff_t t = 0; t < k / 2; t++) {
        __m512i w[2];
#pragma clang loop unroll(full)
        for (int j = 0; j < P; j++) w[j] = _mm512_loadu_si512((const void *)(p + j * 16 * k + t * 32));
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) {
            int32_t pair;
            memcpy(&pair, a + r * lda + 2 * t, 4);
            __m512i x = _mm512_set1_epi32(pair);
#pragma clang loop unroll(full)
            for (int j = 0; j < P; j++) s[r][j] = _mm512_add_epi32(s[r][j], _mm512_madd_epi16(x, w[j]));
        }
    }
#pragma clang loop unroll(full)
    for (int j = 0; j < P; j++) {
        __m512 cs = _mm512_loadu_ps(column_scales + 16 * j);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++) {
            __m512 rs = _mm512_set1_ps(row_scales[r]);
            _mm512_storeu_ps(c + r * ldc + 16 * j, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s[r][j]), rs), cs));
        }
    }
}

// All m rows for P panels, in tiles of at most 12 rows and nearly equal heights (as rows_avx512
// in gemm.c).
KERNEL512 void rows_i16_avx512(
    const int P, ptrdiff_t m, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *p, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    const ptrdiff_t tiles = (m + 11) / 12, height = m / tiles, taller = m % tiles;
    ptrdiff_t r = 0;
    for (ptrdiff_t t = 0; t < tiles; t++) {
        const ptrdiff_t h = height + (t < taller);
        const int16_t *ar = a + r * lda;
        const float *rs = row_scales + r;
        const float *cs = column_scales;
        float *cr = c + r * ldc;
        switch (h) {
        case 12: tile_i16_avx512(12, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 11: tile_i16_avx512(11, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 10: tile_i16_avx512(10, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 9: tile_i16_avx512(9, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 8: tile_i16_avx512(8, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 7: tile_i16_avx512(7, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 6: tile_i16_avx512(6, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 5: tile_i16_avx512(5, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 4: tile_i16_avx512(4, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 3: tile_i16_avx512(3, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        case 2: tile_i16_avx512(2, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        default: tile_i16_avx512(1, P, k, ar, lda, p, rs, cs, cr, ldc); break;
        }
        r += h;
    }
}

__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma"))) void bulwark_gemm_i16_avx512(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    const ptrdiff_t panels = n / 16;
    ptrdiff_t p = 0;
    for (; p + 2 <= panels; p += 2)
        rows_i16_avx512(2, m, k, a, lda, b + p * 16 * k, row_scales, column_scales + p * 16, c + p * 16, ldc);
    if (p < panels) rows_i16_avx512(1, m, k, a, lda, b + p * 16 * k, row_scales, column_scales + p * 16, c + p * 16, ldc);
}

#else

void bulwark_quantize_windows_i16_avx2(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *from, ptrdiff_t ld, ptrdiff_t w, int16_t *out,
    float *scales, float *largest) {
    (void)tokens; (void)n; (void)left; (void)from; (void)ld; (void)w; (void)out; (void)scales; (void)largest;
    __builtin_trap();
}

void bulwark_quantize_rows_i16_avx2(
    ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, int16_t *out, ptrdiff_t ldo, float *scales) {
    (void)m; (void)k; (void)a; (void)lda; (void)out; (void)ldo; (void)scales;
    __builtin_trap();
}

void bulwark_gemm_i16_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)row_scales; (void)column_scales; (void)c; (void)ldc;
    __builtin_trap();
}

void bulwark_gemm_i16_avx512(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)row_scales; (void)column_scales; (void)c; (void)ldc;
    __builtin_trap();
}

#endif
