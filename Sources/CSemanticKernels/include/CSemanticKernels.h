#ifndef BULWARK_CSEMANTICKERNELS_H
#define BULWARK_CSEMANTICKERNELS_H

#include <stddef.h>

/// 1 when this CPU has AVX2 and FMA (checked once, at run time), else 0. The package is built
/// for baseline x86-64; only the functions below that say so use the newer instructions, and
/// only after this check.
int bulwark_gemm_vector_available(void);

/// C[m x n] (+)= A[m x k] . B[k x n] for B packed in panels of 8 columns (panel p holds its k
/// rows of 8 floats one after another, at b + p * 8 * k). A and C are row-major with row strides
/// lda and ldc. n must be a multiple of 8. AVX2 and FMA instructions: call it only when
/// bulwark_gemm_vector_available() is 1.
void bulwark_gemm_packed8_avx2(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, float *c, ptrdiff_t ldc,
    int accumulate);

#endif
