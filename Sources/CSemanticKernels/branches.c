// The first layer of the encoder's CNN branches from the pieces' kept shares (PieceCache.swift),
// with AVX-512 or in plain C, chosen at run time; both give the same floats. See the header.

#include "CSemanticKernels.h"

#pragma STDC FP_CONTRACT OFF

// The places of a token's window that fall inside the sentence: o_lo ... o_hi.
static inline void window_places(ptrdiff_t t, ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, ptrdiff_t *lo, ptrdiff_t *hi) {
    ptrdiff_t a = left - t;
    ptrdiff_t b = tokens - 1 - t + left;
    *lo = a > 0 ? a : 0;
    *hi = b < n - 1 ? b : n - 1;
}

static inline void prefetch_ahead(
    ptrdiff_t t, ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t w) {
    ptrdiff_t u = t + n - left + 1;  // the newest token of the window two rows on
    if (u < tokens) {
        const char *p = (const char *)(entries[u] + shares);
        for (ptrdiff_t i = 0; i < n * w * (ptrdiff_t)sizeof(float); i += 64) __builtin_prefetch(p + i, 0, 3);
    }
}

// One row of a branch's first layer: the places of its window inside the sentence, where its
// residual is read and where the row goes. Beginning a row also asks for the entries two rows on.
struct first_layer_row {
    ptrdiff_t lo, hi;
    const float *x;
    float *h;
};

static inline struct first_layer_row begin_row(
    ptrdiff_t t, ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares,
    ptrdiff_t values, ptrdiff_t w, float *out, ptrdiff_t ldo) {
    struct first_layer_row r;
    window_places(t, tokens, n, left, &r.lo, &r.hi);
    prefetch_ahead(t, tokens, n, left, entries, shares, w);
    r.x = entries[t] + values;
    r.h = out + t * ldo;
    return r;
}

// The kept share that the token at place o of row t's window gives it.
static inline const float *share_at(
    const float *const *entries, ptrdiff_t t, ptrdiff_t left, ptrdiff_t o, ptrdiff_t shares, ptrdiff_t w) {
    return entries[t - left + o] + shares + o * w;
}

void bulwark_branch_first_layer_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *bias, float *out, ptrdiff_t ldo) {
    for (ptrdiff_t t = 0; t < tokens; t++) {
        struct first_layer_row r = begin_row(t, tokens, n, left, entries, shares, values, w, out, ldo);
        for (ptrdiff_t j = 0; j < w; j++) {
            float acc = share_at(entries, t, left, r.lo, shares, w)[j];
            for (ptrdiff_t o = r.lo + 1; o <= r.hi; o++) acc += share_at(entries, t, left, o, shares, w)[j];
            float v = acc + bias[j];
            r.h[j] = (0.0f >= v ? 0.0f : v) + r.x[j];
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define BULWARK_X86_KERNELS 1

__attribute__((target("avx512f"))) static void branch_first_layer_avx512(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *bias, float *out, ptrdiff_t ldo) {
    const __m512 zero = _mm512_setzero_ps();
    for (ptrdiff_t t = 0; t < tokens; t++) {
        struct first_layer_row r = begin_row(t, tokens, n, left, entries, shares, values, w, out, ldo);
        for (ptrdiff_t j = 0; j < w; j += 16) {
            __m512 acc = _mm512_loadu_ps(share_at(entries, t, left, r.lo, shares, w) + j);
            for (ptrdiff_t o = r.lo + 1; o <= r.hi; o++)
                acc = _mm512_add_ps(acc, _mm512_loadu_ps(share_at(entries, t, left, o, shares, w) + j));
            __m512 v = _mm512_add_ps(acc, _mm512_loadu_ps(bias + j));
            // 0 where 0 >= v (ordered: a NaN stays), as `0.0f >= v ? 0.0f : v`.
            __mmask16 clipped = _mm512_cmp_ps_mask(zero, v, _CMP_GE_OQ);
            v = _mm512_mask_blend_ps(clipped, v, zero);
            _mm512_storeu_ps(r.h + j, _mm512_add_ps(v, _mm512_loadu_ps(r.x + j)));
        }
    }
}

#endif

void bulwark_branch_first_layer(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *bias, float *out, ptrdiff_t ldo) {
#ifdef BULWARK_X86_KERNELS
    if (w % 16 == 0 && bulwark_gemm_avx512_available()) {
        branch_first_layer_avx512(tokens, n, left, entries, shares, values, w, bias, out, ldo);
        return;
    }
#endif
    bulwark_branch_first_layer_portable(tokens, n, left, entries, shares, values, w, bias, out, ldo);
}

// ---- Layer norm, added to a sentence's sum ----

static inline float lane_total(const float s[8]) {
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

void bulwark_layer_norm_sum_portable(
    ptrdiff_t rows, ptrdiff_t width, const float *x, ptrdiff_t ld, const float *gamma, const float *beta, float eps,
    float *total) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = x + r * ld;
        float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        ptrdiff_t j = 0;
        for (; j + 8 <= width; j += 8)
            for (int k = 0; k < 8; k++) s[k] += row[j + k];
        float sum = lane_total(s);
        for (; j < width; j++) sum += row[j];
        float mean = sum / (float)width;
        float q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        j = 0;
        for (; j + 8 <= width; j += 8)
            for (int k = 0; k < 8; k++) {
                float d = row[j + k] - mean;
                q[k] += d * d;
            }
        float squares = lane_total(q);
        for (; j < width; j++) {
            float d = row[j] - mean;
            squares += d * d;
        }
        float scale = 1.0f / __builtin_sqrtf(squares / (float)width + eps);
        for (j = 0; j < width; j++) {
            float d = row[j] - mean;
            float v = d * scale;
            v = v * gamma[j];
            total[j] += v + beta[j];
        }
    }
}

#ifdef BULWARK_X86_KERNELS

// Eight running sums in one ymm register's lanes, as the portable code keeps them (no FMA: the
// target has none, so every product is rounded before it is added, as there).
__attribute__((target("avx"))) static void layer_norm_sum_avx(
    ptrdiff_t rows, ptrdiff_t width, const float *x, ptrdiff_t ld, const float *gamma, const float *beta, float eps,
    float *total) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = x + r * ld;
        __m256 acc = _mm256_setzero_ps();
        for (ptrdiff_t j = 0; j < width; j += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(row + j));
        float s[8];
        _mm256_storeu_ps(s, acc);
        float mean = lane_total(s) / (float)width;
        __m256 m = _mm256_set1_ps(mean);
        acc = _mm256_setzero_ps();
        for (ptrdiff_t j = 0; j < width; j += 8) {
            __m256 d = _mm256_sub_ps(_mm256_loadu_ps(row + j), m);
            acc = _mm256_add_ps(acc, _mm256_mul_ps(d, d));
        }
        _mm256_storeu_ps(s, acc);
        float scale = 1.0f / __builtin_sqrtf(lane_total(s) / (float)width + eps);
        __m256 sc = _mm256_set1_ps(scale);
        for (ptrdiff_t j = 0; j < width; j += 8) {
            __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + j), m), sc);
            v = _mm256_add_ps(_mm256_mul_ps(v, _mm256_loadu_ps(gamma + j)), _mm256_loadu_ps(beta + j));
            _mm256_storeu_ps(total + j, _mm256_add_ps(_mm256_loadu_ps(total + j), v));
        }
    }
}

#endif

void bulwark_layer_norm_sum(
    ptrdiff_t rows, ptrdiff_t width, const float *x, ptrdiff_t ld, const float *gamma, const float *beta, float eps,
    float *total) {
#ifdef BULWARK_X86_KERNELS
    if (width % 8 == 0 && bulwark_gemm_avx2_available()) {
        layer_norm_sum_avx(rows, width, x, ld, gamma, beta, eps, total);
        return;
    }
#endif
    bulwark_layer_norm_sum_portable(rows, width, x, ld, gamma, beta, eps, total);
}
