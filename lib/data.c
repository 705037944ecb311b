#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "gmoe_data.h"

gmoe_data *gmoe_data_alloc(size_t n, size_t d, int with_y)
{
    gmoe_data *data = calloc(1, sizeof *data);
    if (!data) return NULL;
    data->n = n;
    data->d = d;
    /* calloc(0) may return NULL; keep one element so that a NULL always means failure. */
    data->x = calloc(n * d > 0 ? n * d : 1, sizeof(double));
    if (with_y) data->y = calloc(n ? n : 1, sizeof(double));
    if (!data->x || (with_y && !data->y)) {
        gmoe_data_free(data);
        return NULL;
    }
    return data;
}

void gmoe_data_free(gmoe_data *data)
{
    if (!data) return;
    free(data->x);
    free(data->y);
    free(data);
}

void gmoe_data_row(const gmoe_data *data, size_t i, double *row)
{
    for (size_t t = 0; t < data->d; t++)
        row[t] = data->x[t * data->n + i];
}

static int bad_value(double v, double max_abs)
{
    return !isfinite(v) || (max_abs > 0 && fabs(v) > max_abs);
}

int gmoe_data_check(const gmoe_data *data, double max_abs, gmoe_error *err)
{
    size_t n = data->n, d = data->d, bad_i = n, bad_t = 0;
    /* Column by column (contiguous), each scan stopping at the best observation so far. */
    for (size_t t = 0; t <= d; t++) {
        const double *v = t < d ? data->x + t * n : data->y;
        for (size_t i = 0; v && i < bad_i; i++)
            if (bad_value(v[i], max_abs)) {
                bad_i = i;
                bad_t = t;
                break;
            }
    }
    if (bad_i == n) return GMOE_SUCCESS;
    char name[32];
    if (bad_t < d)
        snprintf(name, sizeof name, "x%zu", bad_t + 1);
    else
        snprintf(name, sizeof name, "y");
    double v = bad_t < d ? data->x[bad_t * n + bad_i] : data->y[bad_i];
    if (!isfinite(v))
        return gmoe_error_set_obs(err, GMOE_EINVAL, bad_i, "%s = %g is not finite", name, v);
    return gmoe_error_set_obs(err, GMOE_EINVAL, bad_i, "%s = %g is too large to fit (|value| > %g)",
                              name, v, max_abs);
}
