/* Doubles written for data files, without printf: %.17g, and the shortest decimal that reads
 * back as the same double. The P correctly rounded significant digits of x = m*2^e are
 * floor(x*10^k + 1/2) for k = P - 1 - floor(log10 x); x*10^k is computed from a 128-bit
 * truncated table of powers of ten (dtoa_pow10.h), so the result is known to within 2^-62 of a
 * unit. Whenever that uncertainty could change the rounding (an exact or near tie: about one
 * number in 2^61) we defer to snprintf, which makes the output identical to glibc's by
 * construction rather than by a proof about ties. */
#include <config.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dtoa.h"
#include "dtoa_pow10.h"
#include "strtod.h"

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

/* floor(b*log10(2)), possibly one too small near a power of ten; the caller corrects it. */
static int floor_log10_pow2(int b)
{
    return b >= 0 ? (b * 78913) >> 18 : -((-b * 78913 + (1 << 18) - 1) >> 18);
}

/* Bits j..j+63 of the 192-bit number p2:p1:p0. */
static uint64_t bits64(uint64_t p0, uint64_t p1, uint64_t p2, int j)
{
    if (j >= 128) return p2 >> (j - 128);
    if (j >= 64) return j == 64 ? p1 : (p1 >> (j - 64)) | (p2 << (128 - j));
    return j == 0 ? p0 : (p0 >> j) | (p1 << (64 - j));
}

static const uint64_t pow10_u64[18] = {1u,
                                       10u,
                                       100u,
                                       1000u,
                                       10000u,
                                       100000u,
                                       1000000u,
                                       10000000u,
                                       100000000u,
                                       1000000000u,
                                       10000000000u,
                                       100000000000u,
                                       1000000000000u,
                                       10000000000000u,
                                       100000000000000u,
                                       1000000000000000u,
                                       10000000000000000u,
                                       100000000000000000u};

/* x = m * 2^e with m normalised to [2^52, 2^53), for a finite nonzero x (subnormals too). */
static void unpack(double x, uint64_t *m, int *e)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t frac = bits & ((1ull << 52) - 1);
    int bexp = (int)((bits >> 52) & 0x7ff);
    if (bexp == 0) {
        int sh = __builtin_clzll(frac) - 11;
        *m = frac << sh;
        *e = -1074 - sh;
    } else {
        *m = frac | (1ull << 52);
        *e = bexp - 1075;
    }
}

/* The P correctly rounded significant digits D (10^(P-1) <= D < 10^P) and the decimal
 * exponent E of the first of m*2^e, P <= 17: D = floor(x*10^k + 1/2) for k = P - 1 - E.
 * Returns 0 when the table's precision cannot decide the rounding (a near tie). */
static int fast_digits(uint64_t m, int e, int P, uint64_t *Dout, int *Eout)
{
    const uint64_t lo = pow10_u64[P - 1], hi = pow10_u64[P], half = 1ull << 63;
    int E = floor_log10_pow2(e + 52);
    for (int tries = 0; tries < 2; tries++) {
        int k = P - 1 - E;
        if (k < GMOE__POW10_KMIN || k > GMOE__POW10_KMAX) return 0;
        const gmoe__pow10_entry *t = &gmoe__pow10[k - GMOE__POW10_KMIN];
        int s = -(e + t->e);
        /* m*T >= 2^179 and x*10^k < 2^60 put the binary point between bits 118 and 181;
         * anything else would be a table error, and the slow path is always right. */
        if (s < 118 || s > 181) return 0;
        u128 plo = (u128)m * t->lo, phi = (u128)m * t->hi;
        u128 mid = (plo >> 64) + (uint64_t)phi;
        uint64_t p0 = (uint64_t)plo, p1 = (uint64_t)mid;
        uint64_t p2 = (uint64_t)(phi >> 64) + (uint64_t)(mid >> 64);
        uint64_t I = bits64(p0, p1, p2, s);      /* integer part of x*10^k, from below */
        uint64_t F = bits64(p0, p1, p2, s - 64); /* fraction, in units of 2^-64 */
        if (I >= hi) {
            E++;
            continue;
        }
        if (I < lo) {
            E--;
            continue;
        }
        /* The true fraction lies in [F, F + 2): the table's truncation costs less than
         * m/2^(s-64) < 1/8 unit, the bits below F less than one. */
        if (F >= half - 2 && F <= half) return 0;
        uint64_t D = I + (F > half);
        if (D == hi) {
            D = lo;
            E++;
        }
        *Dout = D;
        *Eout = E;
        return 1;
    }
    return 0;
}
#endif

/* fast_digits by snprintf: "%.*e" rounds correctly, ties included. */
static void slow_digits(double x, int P, uint64_t *Dout, int *Eout)
{
    char b[64];
    snprintf(b, sizeof b, "%.*e", P - 1, x);
    uint64_t D = 0;
    const char *p = b;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') D = 10 * D + (uint64_t)(*p - '0');
    *Dout = D;
    *Eout = (int)strtol(p + 1, NULL, 10);
}

/* D (P digits, decimal exponent E of the first) laid out as %.17g lays out its digits:
 * trailing zeros dropped, exponential form when E < -4 or E >= 17. */
static char *put_decimal(char *p, uint64_t D, int P, int E)
{
    char dig[17];
    for (int i = P - 1; i >= 0; i--) {
        dig[i] = (char)('0' + D % 10);
        D /= 10;
    }
    int nd = P;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;

    if (E < -4 || E >= 17) {
        *p++ = dig[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)(nd - 1));
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = E < 0 ? '-' : '+';
        int ae = E < 0 ? -E : E;
        if (ae >= 100) {
            *p++ = (char)('0' + ae / 100);
            ae %= 100;
        }
        *p++ = (char)('0' + ae / 10);
        *p++ = (char)('0' + ae % 10);
    } else if (E >= 0) {
        for (int i = 0; i <= E; i++)
            *p++ = i < nd ? dig[i] : '0';
        if (nd > E + 1) {
            *p++ = '.';
            memcpy(p, dig + E + 1, (size_t)(nd - E - 1));
            p += nd - E - 1;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -E - 1; i++)
            *p++ = '0';
        memcpy(p, dig, (size_t)nd);
        p += nd;
    }
    *p = '\0';
    return p;
}

/* Zero, infinities and NaN: written by snprintf (%g); returns 0 for other values. */
static size_t put_special(double x, char *buf)
{
    if (x != 0 && isfinite(x)) return 0;
    return (size_t)snprintf(buf, GMOE__DTOA_BUFSIZE, "%g", x);
}

static void digits(double x, int P, uint64_t *D, int *E)
{
#ifdef __SIZEOF_INT128__
    uint64_t m;
    int e;
    unpack(x, &m, &e);
    if (fast_digits(m, e, P, D, E)) return;
#endif
    slow_digits(x, P, D, E);
}

size_t gmoe__dtoa17(double x, char *buf)
{
    size_t len = put_special(x, buf);
    if (len) return len;
    char *p = buf;
    if (signbit(x)) *p++ = '-';
    uint64_t D;
    int E;
    digits(fabs(x), 17, &D, &E);
    return (size_t)(put_decimal(p, D, 17, E) - buf);
}

/* Whether the P-digit decimal D*10^(E-P+1) reads back as x (> 0). */
static int reads_back(double x, uint64_t D, int P, int E)
{
    double v;
    if (gmoe__decimal_to_double(D, E - P + 1, 0, 0, &v)) return v == x;
    char b[GMOE__DTOA_BUFSIZE];
    put_decimal(b, D, P, E);
    return strtod(b, NULL) == x;
}

size_t gmoe__dtoa_short(double x, char *buf)
{
    size_t len = put_special(x, buf);
    if (len) return len;
    char *p = buf;
    if (signbit(x)) *p++ = '-';
    double a = fabs(x);
    uint64_t D;
    int E;
    /* A double is within 2^-53 (relative) of the shortest decimal that reads back as it, far
     * closer than half a unit of the 15th digit, so that decimal is the 15-digit rounding of
     * the double with zeros appended when it has 15 digits or fewer; otherwise it is the 16-
     * or the 17-digit rounding. (At a power of two, where the interval of decimals that read
     * back is lopsided, a 16-digit decimal on the wide side can be missed: 17 digits are
     * written then, still exact.) Subnormals have fewer bits: there every length is tried. */
    for (int P = a < DBL_MIN ? 1 : 15; P <= 16; P++) {
        digits(a, P, &D, &E);
        if (reads_back(a, D, P, E)) return (size_t)(put_decimal(p, D, P, E) - buf);
    }
    digits(a, 17, &D, &E);
    return (size_t)(put_decimal(p, D, 17, E) - buf);
}
