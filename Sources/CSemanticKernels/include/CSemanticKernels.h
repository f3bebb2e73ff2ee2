#ifndef BULWARK_CSEMANTICKERNELS_H
#define BULWARK_CSEMANTICKERNELS_H

#include <stddef.h>

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

#endif
