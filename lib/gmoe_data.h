/* gmoe_data: a data set of n observations (x_i in R^d, y_i in R).
 *
 * The covariates are stored column-major (structure of arrays): x[t*n + i] is covariate t of
 * observation i, so that every loop over observations walks contiguous memory. The struct is
 * public (like gsl_matrix) because every kernel and every caller reads the arrays directly;
 * allocate and free it only through the functions below. */
#ifndef GMOE_DATA_H
#define GMOE_DATA_H

#include <stddef.h>
#include "gmoe_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gmoe_data {
    size_t n;  /* number of observations */
    size_t d;  /* number of covariates */
    double *x; /* n*d, column-major: x[t*n + i] */
    double *y; /* n responses, or NULL when the data set has none */
} gmoe_data;

/* Allocate a data set with room for x (n*d, zeroed) and, if with_y, y (n, zeroed).
 * Returns NULL on allocation failure. Owned by the caller: release with gmoe_data_free. */
gmoe_data *gmoe_data_alloc(size_t n, size_t d, int with_y);

/* Release a data set; NULL is a no-op. */
void gmoe_data_free(gmoe_data *data);

/* Covariate t of observation i. */
static inline double gmoe_data_xget(const gmoe_data *data, size_t i, size_t t)
{
    return data->x[t * data->n + i];
}

/* Copy observation i's covariates into row[0..d-1]. */
void gmoe_data_row(const gmoe_data *data, size_t i, double *row);

/* Check the values of a data set that did not come through gmoe_csv_read (which checks them as
 * it reads), such as arrays handed over by the R and Python bindings: every value must be
 * finite and, when max_abs > 0, at most max_abs in absolute value (gmoe_fit passes
 * GMOE_FIT_MAX_ABS). The first observation that holds a bad value is named (1-based, also in
 * err->obs), with its first bad column (x1..xd, then y; y is skipped when NULL):
 *   observation 3: x2 = nan is not finite
 *   observation 6: y = 1e+300 is too large to fit (|value| > 1e+150)
 * Both are GMOE_EINVAL. */
int gmoe_data_check(const gmoe_data *data, double max_abs, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
