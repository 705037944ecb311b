/* Vectorisable exp and log for the EM kernels.
 *
 * libm's exp and log are scalar calls that stop the compiler from vectorising the loops over
 * observations, and they cost 4x more than the rest of an E-step. These branch-free versions
 * inline into `#pragma omp simd` loops. They are accurate to about an ulp (exp; log a few) over the
 * whole range the kernels use (tests/test_vmath.c compares them with libm), give the same bits on
 * every machine for the same instruction set, and handle the values the kernels produce: vexp(-inf)
 * = 0, vexp(x) = 0 below -708.74 (where exp is subnormal), vlog(0) = -inf. */
#ifndef GMOE_VMATH_H
#define GMOE_VMATH_H

#include <stdint.h>
#include <string.h>

static inline double gmoe__bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t gmoe__double_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* exp(x): x = n ln2 + r with |r| <= ln2/2, exp(r) = 1 + r + r^2 Q(r) with Q of degree 9 (the
 * minimax polynomial of degree 11 for the relative error of exp on that interval, found by
 * Remez's algorithm: 3.1e-18 = 2^-58 before rounding, where the degree-13 Taylor polynomial
 * used before cost three more operations per value), times 2^n built from the exponent bits.
 * The 1 is added last so that its rounding is the only large one: measured against mpmath
 * on 300000 points of [-708, 709] the error is at most 1.10 ulp (the Taylor version with
 * 1 + r first: 2.09 ulp; libm 0.51). n is rounded with the 1.5 * 2^52 shift trick so that
 * the whole function stays in double and 64-bit integer lanes (no double-to-integer
 * conversion, which AVX2 lacks). No clamping of x: the exponent bits are right for
 * -709.43 <= x <= 709.78 (n = -1023 gives the bits of +0, so exp is 0 below -708.74, where
 * it is subnormal; n = 1024 gives +inf, so exp is +inf above 709.43), and the callers'
 * selects replace the values outside, where the bits wrap. */

static inline double gmoe__vexp_core(double x)
{
    const double log2e = 1.4426950408889634074, ln2_hi = 6.93147180369123816490e-01,
                 ln2_lo = 1.90821492927058770002e-10, shift = 6755399441055744.0; /* 1.5*2^52 */
    const double c2 = 0.5000000000000018, c3 = 0.1666666666666617, c4 = 0.04166666666649277,
                 c5 = 0.008333333333559272, c6 = 0.0013888888951224037, c7 = 0.0001984126943267626,
                 c8 = 2.4801486521375963e-05, c9 = 2.7557622533559636e-06,
                 c10 = 2.763229329749692e-07, c11 = 2.49943040159891e-08;
    double t = x * log2e + shift;
    double nf = t - shift;
    double r = (x - nf * ln2_hi) - nf * ln2_lo;
    /* Estrin's scheme: a dependency chain of depth 6 instead of 10 for Horner's, so that
     * consecutive vectors overlap in the pipeline. */
    double r2 = r * r, r4 = r2 * r2;
    double q23 = c2 + r * c3, q45 = c4 + r * c5, q67 = c6 + r * c7, q89 = c8 + r * c9,
           qab = c10 + r * c11;
    double q25 = q23 + r2 * q45, q69 = q67 + r2 * q89;
    double q = q25 + r4 * (q69 + r4 * qab);
    double p = 1.0 + (r + r2 * q);
    /* The low bits of t hold n (two's complement within the 2^51 range). */
    uint64_t nb = gmoe__double_to_bits(t) + 1023;
    return p * gmoe__bits_to_double(nb << 52);
}

/* exp(x) for x <= 0 (or NaN), what the E-step kernels take (scores minus their maximum):
 * one select fewer than gmoe__vexp. vexp(-inf) = 0, NaN stays NaN. */

static inline double gmoe__vexp_nonpos(double x)
{
    double v = gmoe__vexp_core(x);
    return x < -709.0 ? 0.0 : v;
}

/* exp(x) for every x: 0 below -709, +inf above 709.7 (exp overflows at 709.78; the values
 * from 709.43 on are already +inf, see gmoe__vexp_core). */

static inline double gmoe__vexp(double x)
{
    double v = gmoe__vexp_nonpos(x);
    return x > 709.7 ? __builtin_inf() : v;
}

/* log(x) for x >= 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s),
 * s = (m-1)/(m+1), |s| <= 0.1716, by its odd series to s^23. Zero gives -inf, +inf gives
 * +inf; the kernels never pass a negative value or NaN. The exponent is turned into a
 * double through the 2^52 bit trick, again to stay in vector lanes. */

static inline double gmoe__vlog(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    /* Subnormals are scaled by 2^54 first. */
    double sub = x < 2.2250738585072014e-308 ? 1.0 : 0.0;
    double xs = sub != 0.0 ? x * 18014398509481984.0 : x;
    uint64_t u = gmoe__double_to_bits(xs);
    double m = gmoe__bits_to_double((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    /* Biased exponent as a double: bits of 2^52 + e_biased, minus 2^52. */
    double eb = gmoe__bits_to_double(0x4330000000000000ULL | (u >> 52)) - 4503599627370496.0;
    double big = m > 1.4142135623730951 ? 1.0 : 0.0;
    m = big != 0.0 ? 0.5 * m : m;
    double ef = eb - 1023.0 + big - 54.0 * sub;
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    /* p(z) = sum_{i=0..10} z^i / (2i + 3), z = s^2, by Estrin's scheme (see gmoe__vexp). */
    double z = s2, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    double q01 = 1.0 / 3 + z * (1.0 / 5), q23 = 1.0 / 7 + z * (1.0 / 9),
           q45 = 1.0 / 11 + z * (1.0 / 13), q67 = 1.0 / 15 + z * (1.0 / 17),
           q89 = 1.0 / 19 + z * (1.0 / 21), qa = 1.0 / 23;
    double q03 = q01 + z2 * q23, q47 = q45 + z2 * q67, q8a = q89 + z2 * qa;
    double p = (q03 + z4 * q47) + z8 * q8a;
    double lm = 2.0 * s + 2.0 * s * s2 * p;
    double v = ef * ln2_hi + (lm + ef * ln2_lo);
    v = x < __builtin_inf() ? v : x;
    return x > 0 ? v : -__builtin_inf();
}

/* tanh(t) = sign(t) (1 - e) / (1 + e) with e = exp(-2|t|): absolute error ~1e-16, which is
 * what a gate score needs (the relative error of tiny |t| is not). */

static inline double gmoe__vtanh(double t)
{
    double a = t < 0 ? -t : t;
    double e = gmoe__vexp_nonpos(-2.0 * a);
    double v = (1.0 - e) / (1.0 + e);
    return t < 0 ? -v : v;
}

/* The logistic function 1 / (1 + exp(-t)), without overflow for large |t|. */

static inline double gmoe__vsigmoid(double t)
{
    double e = gmoe__vexp_nonpos(-(t < 0 ? -t : t));
    return t < 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
}

/* act(t) and act'(t) for the activation gate; the branch is on a loop invariant. */
static inline void gmoe__vact(int sigmoid, const double *t, double *act, double *deriv, size_t m)
{
    if (sigmoid) {
#pragma omp simd
        for (size_t r = 0; r < m; r++) {
            double s = gmoe__vsigmoid(t[r]);
            if (deriv) deriv[r] = s * (1.0 - s);
            act[r] = s;
        }
    } else {
#pragma omp simd
        for (size_t r = 0; r < m; r++) {
            double h = gmoe__vtanh(t[r]);
            if (deriv) deriv[r] = 1.0 - h * h;
            act[r] = h;
        }
    }
}

#endif
