#ifndef BULWARK_CSEMANTICKERNELS_H
#define BULWARK_CSEMANTICKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has AVX2 and FMA (checked once, at run time), else 0. The package is built
/// for baseline x86-64; only the functions below that say so use the newer instructions, and
/// only after their check.
int bulwark_gemm_avx2_available(void);

/// 1 when this CPU has AVX-512 (F, VL, BW and DQ, as every AVX-512 CPU since Skylake-SP) and FMA,
/// and the OS saves the 512-bit registers (checked once, at run time), else 0.
int bulwark_gemm_avx512_available(void);

/// C[m x n] (+)= A[m x k] . B[k x n] for B packed in panels of 16 columns (panel p holds its k
/// rows of 16 floats one after another, at b + p * 16 * k). A and C are row-major with row
/// strides lda and ldc. n must be a multiple of 16. AVX2 and FMA instructions: call it only when
/// bulwark_gemm_avx2_available() is 1.
void bulwark_gemm_packed16_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate);

/// The same product with AVX-512 instructions (tiles of up to 12 rows x 32 columns in 24 of the
/// 32 zmm registers), giving the same floats as bulwark_gemm_packed16_avx2: call it only when
/// bulwark_gemm_avx512_available() is 1.
void bulwark_gemm_packed16_avx512(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate);

/// The integer range of the int16 products: values are rounded to -BULWARK_I16_LEVEL...BULWARK_I16_LEVEL.
#define BULWARK_I16_LEVEL 1023.0f

/// Rounds each row of A[m x k] (row stride lda) to integers of its own scale (its largest
/// magnitude / BULWARK_I16_LEVEL; 1 for a row of zeros or with no finite largest magnitude):
/// out[r][i] = a[r][i] times 1 / scales[r], clamped to the range, rounded to the nearest integer
/// with ties to even; NaN gives 0. Any CPU.
void bulwark_quantize_rows_i16_portable(
    ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, int16_t *out, ptrdiff_t ldo, float *scales);

/// The same rounding, the same integers, with AVX2: call it only when bulwark_gemm_avx2_available() is 1.
void bulwark_quantize_rows_i16_avx2(
    ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, int16_t *out, ptrdiff_t ldo, float *scales);

/// The windows of a CNN branch of order n with `left` tokens of left context, quantized as the
/// functions above quantize the gathered windows, with no gathered copy: row r of `out` (n * w
/// int16) is rows r - left ... r - left + n - 1 of `from` (`tokens` rows of w floats, row stride
/// ld; zeros outside), rounded to one scale per window row (scales[r]) from the largest magnitude
/// of its n rows. `largest` is room for `tokens` floats. The same integers and scales as
/// gathering the windows and calling bulwark_quantize_rows_i16_*. Any CPU.
void bulwark_quantize_windows_i16_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *from, ptrdiff_t ld, ptrdiff_t w, int16_t *out,
    float *scales, float *largest);

/// The same integers and scales with AVX2 (w a multiple of 16): call it only when
/// bulwark_gemm_avx2_available() is 1.
void bulwark_quantize_windows_i16_avx2(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *from, ptrdiff_t ld, ptrdiff_t w, int16_t *out,
    float *scales, float *largest);

/// C[m x n] = (A . B) scaled back: c[r][j] = (float)(sum_i a[r][i] b[i][j]) * row_scales[r] *
/// column_scales[j], the sums exact in int32. A is row-major int16 (row stride lda); B is packed
/// in panels of 16 columns, each holding k/2 steps of 16 columns x 2 consecutive rows
/// (b[2t][j], b[2t+1][j]) at b + p * 16 * k + t * 32 + 2 * j. k must be even and n a multiple of
/// 16. Any CPU.
void bulwark_gemm_i16_portable(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc);

/// The same product, the same floats, with AVX-512 (tiles of up to 12 rows x 32 columns): call it
/// only when bulwark_gemm_avx512_available() is 1.
void bulwark_gemm_i16_avx512(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc);

/// The same product, the same floats, with AVX2: call it only when bulwark_gemm_avx2_available() is 1.
void bulwark_gemm_i16_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const int16_t *a, ptrdiff_t lda, const int16_t *b, const float *row_scales,
    const float *column_scales, float *c, ptrdiff_t ldc);

/// The first layer of a CNN branch of order n with `left` tokens of left context, for one
/// sentence of `tokens` tokens, from the tokens' kept entries (`entries[u]`, one per token):
/// row t of `out` (row stride ldo, w floats) is the sum, in window order, of share o (at
/// entries[u] + shares + o * w) of each token u = t - left + o of its window inside the sentence,
/// plus bias, clipped at 0 (`0 >= v ? 0 : v`), plus the token's own branch values (entries[t] +
/// values). The entries a row two on will need are prefetched. Any CPU; with AVX-512 when this CPU
/// has it (bulwark_gemm_avx512_available) and w is a multiple of 16: the same floats either way.
void bulwark_branch_first_layer(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *bias, float *out, ptrdiff_t ldo);

/// The same floats in plain C, on any CPU.
void bulwark_branch_first_layer_portable(
    ptrdiff_t tokens, ptrdiff_t n, ptrdiff_t left, const float *const *entries, ptrdiff_t shares, ptrdiff_t values,
    ptrdiff_t w, const float *bias, float *out, ptrdiff_t ldo);

/// Adds each of the `rows` rows of x (row stride ld, `width` floats), layer-normalised, to
/// total: mean and sum of squared deviations each in eight running sums (element j to sum j mod
/// 8, combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the tail), scale
/// 1 / sqrt(squares / width + eps), total[j] += (row[j] - mean) * scale * gamma[j] + beta[j],
/// every operation rounded in that order. Any CPU; with AVX when this CPU has AVX2 and width is a
/// multiple of 8: the same floats either way.
void bulwark_layer_norm_sum(
    ptrdiff_t rows, ptrdiff_t width, const float *x, ptrdiff_t ld, const float *gamma, const float *beta, float eps,
    float *total);

/// The same floats in plain C, on any CPU.
void bulwark_layer_norm_sum_portable(
    ptrdiff_t rows, ptrdiff_t width, const float *x, ptrdiff_t ld, const float *gamma, const float *beta, float eps,
    float *total);

/// Asks the CPU to bring the `bytes` bytes from p into its caches (one hint per 64-byte line):
/// for memory read soon at addresses no hardware prefetcher can guess. No effect on results.
void bulwark_prefetch(const void *p, ptrdiff_t bytes);

#endif
