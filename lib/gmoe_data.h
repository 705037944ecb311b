/* gmoe_data: a data set of n observations (x_i in R^d, y_i in R).
 *
 * The covariates are stored column-major (structure of arrays): x[t*n + i] is covariate t of
 * observation i, so that every loop over observations walks contiguous memory. The struct is
 * public (like gsl_matrix) because every kernel and every caller reads the arrays directly;
 * allocate and free it only through the functions below. */
#ifndef GMOE_DATA_H
#define GMOE_DATA_H

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif
#endif
