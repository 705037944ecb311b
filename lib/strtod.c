/* Decimal to double without strtod for the common case. A decimal w*10^q (w the first 19
 * significant digits) is bracketed by two 192-bit products with the truncated table of
 * powers of ten (pow10.c): w*T <= w*10^q/2^e < (w + 1)*(T + 1), the upper factor w + 1 only
 * when digits were dropped, T + 1 because the table never rounds up. Rounding to nearest is
 * monotone, so when both ends of the bracket round to the same double, so does the exact
 * value: no proof about ties is needed, and the rare brackets that straddle a rounding
 * boundary (ties, more than 19 digits that matter) go to strtod. So do subnormal, overflowing
 * and unusual inputs (hexadecimal, inf, nan), which keeps strtod's errno and end pointer. */
#include <config.h>
#include <float.h>
#include <string.h>
#include "dtoa_pow10.h"
#include "strtod.h"

#define MAX_DIGITS 19     /* 10^19 - 1 < 2^64 */
#define MAX_EXP10 1000000 /* beyond any double; a longer exponent goes to strtod */

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

/* The double nearest to n*2^e2 (n = p2:p1:p0, nonzero), or 0 when it is not a normal double
 * (subnormal or overflow): the caller then asks strtod. */
static uint64_t round_bits(uint64_t p0, uint64_t p1, uint64_t p2, int e2)
{
    /* top: the 64 bits below the leading one; sticky: anything nonzero below them. */
    int lead;
    uint64_t top, sticky;
    if (p2) {
        int z = __builtin_clzll(p2);
        lead = 191 - z;
        top = z ? (p2 << z) | (p1 >> (64 - z)) : p2;
        sticky = (z ? p1 << z : p1) | p0;
    } else if (p1) {
        int z = __builtin_clzll(p1);
        lead = 127 - z;
        top = z ? (p1 << z) | (p0 >> (64 - z)) : p1;
        sticky = z ? p0 << z : p0;
    } else {
        int z = __builtin_clzll(p0);
        lead = 63 - z;
        top = p0 << z;
        sticky = 0;
    }
    int be = e2 + lead; /* n*2^e2 lies in [2^be, 2^(be+1)) */
    uint64_t m = top >> 11, rem = top & 0x7ff;
    if (rem > 0x400 || (rem == 0x400 && (sticky || (m & 1)))) m++;
    if (m >> 53) {
        m >>= 1;
        be++;
    }
    if (be < -1022 || be > 1023) return 0;
    return ((uint64_t)(be + 1023) << 52) | (m & ((1ull << 52) - 1));
}

/* w*T + add as p2:p1:p0. */
static void mul_add(uint64_t w, uint64_t thi, uint64_t tlo, uint64_t add, uint64_t *p0,
                    uint64_t *p1, uint64_t *p2)
{
    u128 lo = (u128)w * tlo + add; /* < 2^128: w, tlo, add < 2^64 */
    u128 hi = (u128)w * thi + (uint64_t)(lo >> 64);
    *p0 = (uint64_t)lo;
    *p1 = (uint64_t)hi;
    *p2 = (uint64_t)(hi >> 64);
}

/* Clinger's fast path: w <= 2^53 and 10^|q| <= 10^22 are exact doubles, so one IEEE
 * multiplication or division rounds the exact value once, to nearest as strtod does. Most
 * numbers people write (15 significant digits or fewer) take it, with no 192-bit products. */
#if FLT_EVAL_METHOD == 0
#define EXACT_POW10 22
static const double exact_pow10[EXACT_POW10 + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int fast_path(uint64_t w, int q, int neg, double *out)
{
    if (w > (1ull << 53) || q < -EXACT_POW10 || q > EXACT_POW10) return 0;
    double v = (double)w;
    v = q < 0 ? v / exact_pow10[-q] : v * exact_pow10[q];
    *out = neg ? -v : v;
    return 1;
}
#else
static int fast_path(uint64_t w, int q, int neg, double *out)
{
    return 0;
}
#endif

int gmoe__decimal_to_double(uint64_t w, int q, int inexact, int neg, double *out)
{
    if (!inexact && fast_path(w, q, neg, out)) return 1;
    if (w == 0) {
        if (inexact) return 0;
        *out = neg ? -0.0 : 0.0;
        return 1;
    }
    if (q < GMOE__POW10_KMIN || q > GMOE__POW10_KMAX) return 0;
    const gmoe__pow10_entry *t = &gmoe__pow10[q - GMOE__POW10_KMIN];
    uint64_t a0, a1, a2, b0, b1, b2;
    mul_add(w, t->hi, t->lo, 0, &a0, &a1, &a2);
    /* (w + i)(T + 1) = (w + i)T + w + i, i = inexact. */
    mul_add(w + (uint64_t)inexact, t->hi, t->lo, w + (uint64_t)inexact, &b0, &b1, &b2);
    uint64_t lo = round_bits(a0, a1, a2, t->e), hi = round_bits(b0, b1, b2, t->e);
    if (lo == 0 || lo != hi) return 0;
    lo |= (uint64_t)neg << 63;
    memcpy(out, &lo, sizeof *out);
    return 1;
}
#else /* no 128-bit integers: strtod always */
int gmoe__decimal_to_double(uint64_t w, int q, int inexact, int neg, double *out)
{
    return 0;
}
#endif

static int is_digit(char c)
{
    return (unsigned)(c - '0') < 10;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* 8 ASCII digits at s (the first is the lowest byte) as a number: three multiply-and-shift
 * steps pair neighbours up (SWAR). */
static uint64_t eight_digits(const char *s)
{
    uint64_t v;
    memcpy(&v, s, sizeof v);
    v -= 0x3030303030303030u;
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFu;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFu;
    return (v * 10000 + (v >> 32)) & 0xFFFFFFFFu;
}
#endif

/* w = 10^n w + the n digits at s, n <= 19 in all. */
static uint64_t take_digits(uint64_t w, const char *s, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; n >= 8; s += 8, n -= 8)
        w = w * 100000000u + eight_digits(s);
#endif
    for (; n > 0; s++, n--)
        w = 10 * w + (uint64_t)(*s - '0');
    return w;
}

/* The first MAX_DIGITS significant digits of the runs a[0..na) and b[0..nb) (the point
 * between them) as w * 10^*q, *inexact when a nonzero digit was dropped. */
static uint64_t long_significand(const char *a, size_t na, const char *b, size_t nb, long *q,
                                 int *inexact)
{
    uint64_t w = 0;
    int nd = 0;
    for (size_t i = 0; i < na + nb; i++) {
        char c = i < na ? a[i] : b[i - na];
        if (nd < MAX_DIGITS) {
            w = 10 * w + (uint64_t)(c - '0');
            nd += w != 0; /* leading zeros are not significant */
            *q -= i >= na;
        } else {
            *q += i < na;
            *inexact |= c != '0';
        }
    }
    return w;
}

int gmoe__parse_double(const char *s, size_t n, double *out)
{
    const char *p = s, *end = s + n;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    const char *ip = p, *fp = p;
    while (p < end && is_digit(*p))
        p++;
    size_t ni = (size_t)(p - ip), nf = 0;
    if (p < end && *p == '.') {
        fp = ++p;
        while (p < end && is_digit(*p))
            p++;
        nf = (size_t)(p - fp);
    }
    if (ni + nf == 0) return 0;
    long q = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p == end || !is_digit(*p)) return 0;
        long x = 0;
        for (; p < end && is_digit(*p); p++) {
            x = 10 * x + (*p - '0');
            if (x > MAX_EXP10) return 0;
        }
        q = eneg ? -x : x;
    }
    if (p != end) return 0;
    uint64_t w;
    int inexact = 0;
    if (ni + nf <= MAX_DIGITS) { /* the usual case: every digit fits */
        w = take_digits(take_digits(0, ip, ni), fp, nf);
        q -= (long)nf;
    } else {
        w = long_significand(ip, ni, fp, nf, &q, &inexact);
    }
    if (q < -MAX_EXP10 || q > MAX_EXP10) return 0;
    return gmoe__decimal_to_double(w, (int)q, inexact, neg, out);
}
