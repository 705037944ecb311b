/* Private: 10^k ~ (hi*2^64 + lo) * 2^e with 2^127 <= hi*2^64 + lo < 2^128, truncated (never
 * rounded up), for k = GMOE__POW10_KMIN + index. Defined in pow10.c (scripts/gen-pow10.py);
 * shared by the number formatter (dtoa.c) and the number parser (strtod.c). */
#ifndef GMOE_DTOA_POW10_H
#define GMOE_DTOA_POW10_H

#include <stdint.h>

#define GMOE__POW10_KMIN (-295)
#define GMOE__POW10_KMAX 342

typedef struct {
    uint64_t hi, lo;
    int e;
} gmoe__pow10_entry;

extern const gmoe__pow10_entry gmoe__pow10[GMOE__POW10_KMAX - GMOE__POW10_KMIN + 1];

#endif
