// The two layers of the encoder's CNN branches from the pieces' kept shares (PieceCache.swift),
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
    float *h;
};

static inline struct first_layer_row begin_row(
    ptrdiff_t t, ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares,
    ptrdiff_t w, float *out, ptrdiff_t ldo) {
    struct first_layer_row r;
    window_places(t, tokens, n, left, &r.lo, &r.hi);
    prefetch_ahead(t, tokens, n, left, entries, shares, w);
    r.h = out + t * ldo;
    return r;
}

// The kept share that the token at place o of row t's window gives it.
static inline const float *share_at(
    const float *const *entries, ptrdiff_t t, ptrdiff_t left, ptrdiff_t o, ptrdiff_t shares, ptrdiff_t w) {
    return entries[t - left + o] + shares + o * w;
}

void bulwark_branch_first_layer_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t w,
    const float *bias, float *out, ptrdiff_t ldo) {
    for (ptrdiff_t t = 0; t < tokens; t++) {
        struct first_layer_row r = begin_row(t, tokens, n, left, entries, shares, w, out, ldo);
        for (ptrdiff_t j = 0; j < w; j++) {
            float acc = share_at(entries, t, left, r.lo, shares, w)[j];
            for (ptrdiff_t o = r.lo + 1; o <= r.hi; o++) acc += share_at(entries, t, left, o, shares, w)[j];
            float v = acc + bias[j];
            r.h[j] = 0.0f >= v ? 0.0f : v;
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define BULWARK_X86_KERNELS 1

__attribute__((target("avx512f"))) static void branch_first_layer_avx512(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t w,
    const float *bias, float *out, ptrdiff_t ldo) {
    const __m512 zero = _mm512_setzero_ps();
    for (ptrdiff_t t = 0; t < tokens; t++) {
        struct first_layer_row r = begin_row(t, tokens, n, left, entries, shares, w, out, ldo);
        for (ptrdiff_t j = 0; j < w; j += 16) {
            __m512 acc = _mm512_loadu_ps(share_at(entries, t, left, r.lo, shares, w) + j);
            for (ptrdiff_t o = r.lo + 1; o <= r.hi; o++)
                acc = _mm512_add_ps(acc, _mm512_loadu_ps(share_at(entries, t, left, o, shares, w) + j));
            __m512 v = _mm512_add_ps(acc, _mm512_loadu_ps(bias + j));
            // 0 where 0 >= v (ordered: a NaN stays), as `0.0f >= v ? 0.0f : v`.
            __mmask16 clipped = _mm512_cmp_ps_mask(zero, v, _CMP_GE_OQ);
            _mm512_storeu_ps(r.h + j, _mm512_mask_blend_ps(clipped, v, zero));
        }
    }
}

#endif

void bulwark_branch_first_layer(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t w,
    const float *bias, float *out, ptrdiff_t ldo) {
#ifdef BULWARK_X86_KERNELS
    if (w % 16 == 0 && bulwark_gemm_avx512_available()) {
        branch_first_layer_avx512(tokens, n, left, entries, shares, w, bias, out, ldo);
        return;
    }
#endif
    bulwark_branch_first_layer_portable(tokens, n, left, entries, shares, w, bias, out, ldo);
}

// ---- The second layer: kept shares plus the first layer's few nonzero values ----

// Row t's second-layer input is h[u] = c[u] + x[u] for the tokens u of its window, c the first
// layer's clipped values and x the tokens' branch values. Its product with the weights is the
// kept shares of x (one per place of the window) plus, for each nonzero c[u][k], c[u][k] times
// the weights' row for place o and element k. c is mostly zeros (about 96% in this model), so
// that sum reads a few rows instead of multiplying every one.

// Lists each token's nonzero first-layer values (a NaN counts), in order of k.
static void list_nonzero(
    ptrdiff_t tokens, ptrdiff_t w, const float *first, ptrdiff_t ldf, int32_t *index, float *value, int32_t *count) {
    for (ptrdiff_t u = 0; u < tokens; u++) {
        const float *c = first + u * ldf;
        int32_t m = 0;
        for (ptrdiff_t k = 0; k < w; k++) {
            if (c[k] == 0.0f) continue;
            index[u * w + m] = (int32_t)k;
            value[u * w + m] = c[k];
            m++;
        }
        count[u] = m;
    }
}

static inline void sum_shares_portable(
    float *acc, const float *const *entries, ptrdiff_t t, ptrdiff_t left, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t shares,
    ptrdiff_t w) {
    const float *s0 = share_at(entries, t, left, lo, shares, w);
    for (ptrdiff_t j = 0; j < w; j++) acc[j] = s0[j];
    for (ptrdiff_t o = lo + 1; o <= hi; o++) {
        const float *s = share_at(entries, t, left, o, shares, w);
        for (ptrdiff_t j = 0; j < w; j++) acc[j] += s[j];
    }
}

static void second_layer_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *first, ptrdiff_t ldf, const float *weights, const float *bias, float *out, ptrdiff_t ldo,
    const int32_t *index, const float *value, const int32_t *count) {
    float acc[w];
    for (ptrdiff_t t = 0; t < tokens; t++) {
        ptrdiff_t lo, hi;
        window_places(t, tokens, n, left, &lo, &hi);
        sum_shares_portable(acc, entries, t, left, lo, hi, shares, w);
        for (ptrdiff_t o = lo; o <= hi; o++) {
            ptrdiff_t u = t - left + o;
            for (int32_t i = 0; i < count[u]; i++) {
                float v = value[u * w + i];
                const float *row = weights + (o * w + index[u * w + i]) * w;
                for (ptrdiff_t j = 0; j < w; j++) acc[j] += v * row[j];
            }
        }
        const float *c = first + t * ldf;
        const float *x = entries[t] + values;
        float *h = out + t * ldo;
        for (ptrdiff_t j = 0; j < w; j++) {
            float v = acc[j] + bias[j];
            h[j] = (0.0f >= v ? 0.0f : v) + (c[j] + x[j]);
        }
    }
}

void bulwark_branch_second_layer_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *first, ptrdiff_t ldf, const float *weights, const float *bias, float *out, ptrdiff_t ldo,
    int32_t *index, float *value, int32_t *count) {
    list_nonzero(tokens, w, first, ldf, index, value, count);
    second_layer_portable(tokens, n, left, entries, shares, values, w, first, ldf, weights, bias, out, ldo, index, value, count);
}

#ifdef BULWARK_X86_KERNELS

// The same lists as list_nonzero, 16 values at a time (compressed stores keep their order).
__attribute__((target("avx512f"))) static void list_nonzero_avx512(
    ptrdiff_t tokens, ptrdiff_t w, const float *first, ptrdiff_t ldf, int32_t *index, float *value, int32_t *count) {
    const __m512 zero = _mm512_setzero_ps();
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (ptrdiff_t u = 0; u < tokens; u++) {
        const float *c = first + u * ldf;
        int32_t m = 0;
        for (ptrdiff_t k = 0; k < w; k += 16) {
            __m512 v = _mm512_loadu_ps(c + k);
            // Unordered: a NaN counts as nonzero, as `c[k] == 0.0f` is false for it.
            __mmask16 nonzero = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
            if (!nonzero) continue;
            _mm512_mask_compressstoreu_ps(value + u * w + m, nonzero, v);
            __m512i at = _mm512_add_epi32(lanes, _mm512_set1_epi32((int)k));
            _mm512_mask_compressstoreu_epi32(index + u * w + m, nonzero, at);
            m += __builtin_popcount(nonzero);
        }
        count[u] = m;
    }
}

// All 256 columns in sixteen zmm registers; each product rounded before it is added (no FMA),
// as the plain C.
__attribute__((target("avx512f"))) static void branch_second_layer_avx512_256(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    const float *first, ptrdiff_t ldf, const float *weights, const float *bias, float *out, ptrdiff_t ldo,
    const int32_t *index, const float *value, const int32_t *count) {
    enum { W = 256, Q = 16 };
    const __m512 zero = _mm512_setzero_ps();
    for (ptrdiff_t t = 0; t < tokens; t++) {
        ptrdiff_t lo, hi;
        window_places(t, tokens, n, left, &lo, &hi);
        // Asked for two rows on: the shares of the token that enters the window, and the
        // row's own values.
        prefetch_ahead(t, tokens, n, left, entries, shares, W);
        if (t + 2 < tokens) {
            const char *p = (const char *)(entries[t + 2] + values);
            for (int l = 0; l < 16; l++) __builtin_prefetch(p + 64 * l, 0, 3);
        }
        __m512 acc[Q];
        const float *s0 = share_at(entries, t, left, lo, shares, W);
        for (int q = 0; q < Q; q++) acc[q] = _mm512_loadu_ps(s0 + 16 * q);
        for (ptrdiff_t o = lo + 1; o <= hi; o++) {
            const float *s = share_at(entries, t, left, o, shares, W);
            for (int q = 0; q < Q; q++) acc[q] = _mm512_add_ps(acc[q], _mm512_loadu_ps(s + 16 * q));
        }
        for (ptrdiff_t o = lo; o <= hi; o++) {
            ptrdiff_t u = t - left + o;
            const int32_t *idx = index + u * W;
            const float *val = value + u * W;
            const float *block = weights + o * W * W;
            int32_t m = count[u];
            for (int32_t i = 0; i < m; i++) {
                const float *row = block + (ptrdiff_t)idx[i] * W;
                __m512 v = _mm512_set1_ps(val[i]);
                for (int q = 0; q < Q; q++) acc[q] = _mm512_add_ps(acc[q], _mm512_mul_ps(v, _mm512_loadu_ps(row + 16 * q)));
            }
        }
        const float *ct = first + t * ldf;
        const float *x = entries[t] + values;
        float *h = out + t * ldo;
        for (int q = 0; q < Q; q++) {
            __m512 v = _mm512_add_ps(acc[q], _mm512_loadu_ps(bias + 16 * q));
            __mmask16 clipped = _mm512_cmp_ps_mask(zero, v, _CMP_GE_OQ);
            v = _mm512_mask_blend_ps(clipped, v, zero);
            __m512 residual = _mm512_add_ps(_mm512_loadu_ps(ct + 16 * q), _mm512_loadu_ps(x + 16 * q));
            _mm512_storeu_ps(h + 16 * q, _mm512_add_ps(v, residual));
        }
    }
}

#endif

void bulwark_branch_second_layer(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *first, ptrdiff_t ldf, const float *weights, const float *bias, float *out, ptrdiff_t ldo,
    int32_t *index, float *value, int32_t *count) {
#ifdef BULWARK_X86_KERNELS
    if (w == 256 && bulwark_gemm_avx512_available()) {
        list_nonzero_avx512(tokens, w, first, ldf, index, value, count);
        branch_second_layer_avx512_256(
            tokens, n, left, entries, shares, values, first, ldf, weights, bias, out, ldo, index, value, count);
        return;
    }
#endif
    list_nonzero(tokens, w, first, ldf, index, value, count);
    second_layer_portable(tokens, n, left, entries, shares, values, w, first, ldf, weights, bias, out, ldo, index, value, count);
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
