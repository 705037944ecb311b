/* %.17g without printf. The 17 correctly rounded significant digits of x = m*2^e are
 * floor(x*10^k + 1/2) for k = 16 - floor(log10 x); x*10^k is computed from a 128-bit truncated
 * table of powers of ten (dtoa_pow10.h), so the result is known to within 2^-62 of a unit.
 * Whenever that uncertainty could change the rounding (an exact or near tie: about one number
 * in 2^61) we defer to snprintf, which makes the output identical to glibc's by construction
 * rather than by a proof about ties. */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "dtoa.h"
#include "dtoa_pow10.h"

static size_t dtoa_slow(double x, char *buf)
{
    int len = snprintf(buf, GMOE__DTOA_BUFSIZE, "%.17g", x);
    /* Data files must not depend on the caller's LC_NUMERIC. */
    for (int i = 0; i < len; i++)
        if (buf[i] == ',') buf[i] = '.';
    return (size_t)len;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

static const char digit_pairs[] = "00010203040506070809"
                                  "10111213141516171819"
                                  "20212223242526272829"
                                  "30313233343536373839"
                                  "40414243444546474849"
                                  "50515253545556575859"
                                  "60616263646566676869"
                                  "70717273747576777879"
                                  "80818283848586878889"
                                  "90919293949596979899";

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

static void put_digits(char *dst, uint32_t v, int n)
{
    for (; n >= 2; n -= 2) {
        memcpy(dst + n - 2, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (n) dst[0] = (char)('0' + v);
}

size_t gmoe__dtoa17(double x, char *buf)
{
    const uint64_t lo17 = 10000000000000000u, hi17 = 100000000000000000u, half = 1ull << 63;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t frac = bits & ((1ull << 52) - 1);
    int bexp = (int)((bits >> 52) & 0x7ff);
    if (bexp == 0x7ff) return dtoa_slow(x, buf);

    char *p = buf;
    if (bits >> 63) *p++ = '-';
    if (bexp == 0 && frac == 0) {
        *p++ = '0';
        *p = '\0';
        return (size_t)(p - buf);
    }
    /* x = m * 2^e with m normalised to [2^52, 2^53), subnormals included. */
    uint64_t m;
    int e;
    if (bexp == 0) {
        int sh = __builtin_clzll(frac) - 11;
        m = frac << sh;
        e = -1074 - sh;
    } else {
        m = frac | (1ull << 52);
        e = bexp - 1075;
    }

    int E = floor_log10_pow2(e + 52);
    uint64_t D = 0;
    for (int tries = 0;; tries++) {
        int k = 16 - E;
        if (tries == 2 || k < GMOE__POW10_KMIN || k > GMOE__POW10_KMAX) return dtoa_slow(x, buf);
        uint64_t thi = gmoe__pow10[k - GMOE__POW10_KMIN].hi;
        uint64_t tlo = gmoe__pow10[k - GMOE__POW10_KMIN].lo;
        int s = -(e + gmoe__pow10[k - GMOE__POW10_KMIN].e);
        /* m*T >= 2^179 and x*10^k < 2^60 put the binary point near bit 120; anything else
         * would be a table error, and the slow path is always right. */
        if (s < 118 || s > 181) return dtoa_slow(x, buf);
        u128 plo = (u128)m * tlo, phi = (u128)m * thi;
        u128 mid = (plo >> 64) + (uint64_t)phi;
        uint64_t p0 = (uint64_t)plo, p1 = (uint64_t)mid;
        uint64_t p2 = (uint64_t)(phi >> 64) + (uint64_t)(mid >> 64);
        uint64_t I = bits64(p0, p1, p2, s);      /* integer part of x*10^k, from below */
        uint64_t F = bits64(p0, p1, p2, s - 64); /* fraction, in units of 2^-64 */
        if (I >= hi17) {
            E++;
            continue;
        }
        if (I < lo17) {
            E--;
            continue;
        }
        /* The true fraction lies in [F, F + 2): the table's truncation costs less than
         * m/2^(s-64) < 1/8 unit, the bits below F less than one. */
        if (F >= half - 2 && F <= half) return dtoa_slow(x, buf);
        D = I + (F > half);
        if (D == hi17) {
            D = lo17;
            E++;
        }
        break;
    }

    char dig[17];
    put_digits(dig + 9, (uint32_t)(D % 100000000u), 8);
    put_digits(dig, (uint32_t)(D / 100000000u), 9);
    int nd = 17;
    while (dig[nd - 1] == '0')
        nd--;

    /* %g: exponential form when the exponent is below -4 or at least the precision. */
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
        memcpy(p, digit_pairs + 2 * ae, 2);
        p += 2;
    } else if (E >= 0) {
        memcpy(p, dig, (size_t)(E + 1));
        p += E + 1;
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
    return (size_t)(p - buf);
}

#else /* no 128-bit integers: correct, just slower */
size_t gmoe__dtoa17(double x, char *buf)
{
    return dtoa_slow(x, buf);
}
#endif
