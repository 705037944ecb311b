/* Private: fast formatting of doubles for data files. Not installed. */
#ifndef GMOE_DTOA_H
#define GMOE_DTOA_H

#include <stddef.h>

/* Room for any output of gmoe__dtoa17 and gmoe__dtoa_short, terminating NUL included. */
#define GMOE__DTOA_BUFSIZE 32

/* Write x into buf exactly as printf("%.17g", x) does in the C locale (so strtod reads it back
 * bit for bit), NUL-terminated; returns the length. About ten times faster than snprintf:
 * writing data files is dominated by number formatting. */
size_t gmoe__dtoa17(double x, char *buf);

/* Write the shortest decimal that strtod reads back as x (3.6, not 3.6000000000000001), laid
 * out as %.17g lays out its digits (exponential form below 1e-4 and from 1e17),
 * NUL-terminated; returns the length. Where a tie makes the fast digits uncertain it asks
 * snprintf; a 16-digit decimal can be missed (17 digits written) only at powers of two. */
size_t gmoe__dtoa_short(double x, char *buf);

#endif
