// Half-precision rows for the language identifier (see CTextKernels.h). py3langid stores its
// log-probabilities as float16; holding them so halves the table the scores are summed from.

#include "CTextKernels.h"
#include <string.h>

#pragma STDC FP_CONTRACT OFF

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: shift the leading one into the implicit bit
            int shift = 0;
            while (!(mantissa & 0x400)) {
                mantissa <<= 1;
                shift++;
            }
            bits = sign | ((uint32_t)(113 - shift) << 23) | ((mantissa & 0x3FF) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// The half holding `f` exactly, if there is one; checked by converting back.
static int float_to_half_exactly(float f, uint16_t *out) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    int biased = (int)((bits >> 23) & 0xFF);
    uint32_t mantissa = bits & 0x7FFFFF;
    uint16_t h;
    if ((bits & 0x7FFFFFFF) == 0) {
        h = sign;
    } else if (biased == 0xFF) {
        return 0;
    } else {
        int exponent = biased - 127;
        if (exponent >= -14 && exponent <= 15) {
            h = (uint16_t)(sign | ((exponent + 15) << 10) | (mantissa >> 13));
        } else if (exponent >= -24 && exponent < -14) {
            h = (uint16_t)(sign | ((0x800000u | mantissa) >> (-exponent - 1)));
        } else {
            return 0;
        }
    }
    float back = half_to_float(h);
    uint32_t backBits;
    memcpy(&backBits, &back, sizeof backBits);
    if (backBits != bits) return 0;
    *out = h;
    return 1;
}

size_t bulwark_floats_to_halves_portable(const void *in, uint16_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float f;
        memcpy(&f, (const char *)in + 4 * i, sizeof f);
        if (!float_to_half_exactly(f, out + i)) return i;
    }
    return n;
}

void bulwark_add_half_rows_portable(
    const uint16_t *rows, size_t classes, const uint32_t *keys, const float *weights, size_t n, float *acc) {
    for (size_t i = 0; i < n; i++) {
        const uint16_t *row = rows + (size_t)keys[i] * classes;
        float w = weights[i];
        for (size_t k = 0; k < classes; k++) {
            float product = w * half_to_float(row[k]);
            acc[k] = acc[k] + product;
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

static int f16c_available(void) {
    static int state = -1;
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    __builtin_cpu_init();
    int yes = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
    __atomic_store_n(&state, yes, __ATOMIC_RELAXED);
    return yes;
}

__attribute__((target("avx,f16c"))) static void add_half_rows_f16c(
    const uint16_t *rows, size_t classes, const uint32_t *keys, const float *weights, size_t n, float *acc) {
    size_t chunks = (classes + 7) / 8;
    for (size_t i = 0; i < n; i++) {
        const uint16_t *row = rows + (size_t)keys[i] * classes;
        __m256 w = _mm256_set1_ps(weights[i]);
        for (size_t j = 0; j < chunks; j++) {
            __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 8 * j)));
            __m256 a = _mm256_loadu_ps(acc + 8 * j);
            _mm256_storeu_ps(acc + 8 * j, _mm256_add_ps(a, _mm256_mul_ps(w, v)));
        }
    }
}

// Eight at a time: rounded to halves and back, compared bit for bit; a block that does not come
// back whole is converted one by one, which finds the first value no half holds.
__attribute__((target("avx,f16c"))) static size_t floats_to_halves_f16c(const void *in, uint16_t *out, size_t n) {
    const char *bytes = (const char *)in;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps((const float *)(bytes + 4 * i));
        __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 back = _mm256_cvtph_ps(h);
        if (memcmp(&back, &v, sizeof v) != 0) {
            size_t done = bulwark_floats_to_halves_portable(bytes + 4 * i, out + i, 8);
            if (done < 8) return i + done;
            continue;
        }
        _mm_storeu_si128((__m128i *)(out + i), h);
    }
    size_t done = bulwark_floats_to_halves_portable(bytes + 4 * i, out + i, n - i);
    return i + done;
}

size_t bulwark_floats_to_halves(const void *in, uint16_t *out, size_t n) {
    return f16c_available() ? floats_to_halves_f16c(in, out, n) : bulwark_floats_to_halves_portable(in, out, n);
}

void bulwark_add_half_rows(
    const uint16_t *rows, size_t classes, const uint32_t *keys, const float *weights, size_t n, float *acc) {
    if (f16c_available()) {
        add_half_rows_f16c(rows, classes, keys, weights, n, acc);
    } else {
        bulwark_add_half_rows_portable(rows, classes, keys, weights, n, acc);
    }
}

#else

size_t bulwark_floats_to_halves(const void *in, uint16_t *out, size_t n) {
    return bulwark_floats_to_halves_portable(in, out, n);
}

void bulwark_add_half_rows(
    const uint16_t *rows, size_t classes, const uint32_t *keys, const float *weights, size_t n, float *acc) {
    bulwark_add_half_rows_portable(rows, classes, keys, weights, n, acc);
}

#endif
