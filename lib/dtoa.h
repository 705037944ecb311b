/* Private: fast formatting of doubles for data files. Not installed. */
#ifndef GMOE_DTOA_H
#define GMOE_DTOA_H

#include <stddef.h>

/* Room for any output of gmoe__dtoa17, terminating NUL included. */
#define GMOE__DTOA_BUFSIZE 32

/* Write x into buf exactly as printf("%.17g", x) does in the C locale (so strtod reads it back
 * bit for bit), NUL-terminated; returns the length. About ten times faster than snprintf:
 * writing data files is dominated by number formatting. */
size_t gmoe__dtoa17(double x, char *buf);

#endif
