/* Private: exact decimal to double conversion without strtod for the usual inputs. Not
 * installed. */
#ifndef GMOE_STRTOD_H
#define GMOE_STRTOD_H

#include <stddef.h>
#include <stdint.h>

/* The double nearest to (-1)^neg * w * 10^q, as strtod rounds it, when that is a normal
 * double or zero and can be decided cheaply; inexact says that w is the truncation of a longer
 * significand (the value lies in (w, w + 1) * 10^q). Returns 1 with *out set, or 0 when the
 * caller must ask strtod (subnormal or overflowing results, near ties, |q| out of the table). */
int gmoe__decimal_to_double(uint64_t w, int q, int inexact, int neg, double *out);

/* s[0..n) as strtod reads it, when all n bytes form a decimal number
 * [+-]digits[.digits][(e|E)[+-]digits] (at least one significand digit) whose value
 * gmoe__decimal_to_double decides. Returns 1 with *out bit-identical to strtod's result, or 0:
 * then strtod, with its errno and end pointer, is the answer (also for inf, nan, hexadecimal
 * and malformed text). s need not be NUL-terminated. */
int gmoe__parse_double(const char *s, size_t n, double *out);

#endif
