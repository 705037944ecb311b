/* Decimal to double without strtod for the common case. A decimal w*10^q (w the first 19
 * significant digits) is bracketed by two 192-bit products with the truncated table of
 * powers of ten (pow10.c): w*T <= w*10^q/2^e < (w + 1)*(T + 1), the upper factor w + 1 only
 * when digits were dropped, T + 1 because the table never rounds up. Rounding to nearest is
 * monotone, so when both ends of the bracket round to the same double, so does the exact
 * value: no proof about ties is needed, and the rare brackets that straddle a rounding
 * boundary (ties, more than 19 digits that matter) go to strtod. So do subnormal, overflowing
 * and unusual inputs (hexadecimal, inf, nan), which keeps strtod's errno and end pointer. */
#include <config.h>
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

int gmoe__decimal_to_double(uint64_t w, int q, int inexact, int neg, double *out)
{
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

int gmoe__parse_double(const char *s, size_t n, double *out)
{
    const char *p = s, *end = s + n;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    uint64_t w = 0;
    int nd = 0, any = 0, inexact = 0;
    long q = 0;
    for (; p < end && is_digit(*p); p++) {
        any = 1;
        if (nd < MAX_DIGITS) {
            w = 10 * w + (uint64_t)(*p - '0');
            nd += w != 0; /* leading zeros are not significant */
        } else {
            q++;
            inexact |= *p != '0';
        }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && is_digit(*p); p++) {
            any = 1;
            if (nd < MAX_DIGITS) {
                w = 10 * w + (uint64_t)(*p - '0');
                nd += w != 0;
                q--;
            } else {
                inexact |= *p != '0';
            }
        }
    }
    if (!any) return 0;
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
        q += eneg ? -x : x;
    }
    if (p != end || q < -MAX_EXP10 || q > MAX_EXP10) return 0;
    return gmoe__decimal_to_double(w, (int)q, inexact, neg, out);
}
