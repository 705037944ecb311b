#include <config.h>
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
