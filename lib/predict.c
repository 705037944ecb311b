/* Per-observation predictions of a model: gate weights, posterior expert probabilities,
 * predictive means and conditional log-densities. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define LOG_2PI 1.8378770664093454836

/* Far in the tail the expert with the largest variance dominates every other: the limit of
 * the posterior as |y| grows is the gate weights restricted to the widest experts. */
static void limit_posterior(const gmoe_model *m, const double *gw, size_t ld, size_t r,
                            double *post)
{
    double vmax = 0, s = 0;
    for (size_t j = 0; j < m->k; j++)
        if (m->var[j] > vmax) vmax = m->var[j];
    for (size_t j = 0; j < m->k; j++)
        s += m->var[j] == vmax ? gw[j * ld + r] : 0;
    for (size_t j = 0; j < m->k; j++)
        post[j] = m->var[j] == vmax ? (s > 0 ? gw[j * ld + r] / s : 1.0) : 0;
}

int gmoe_model_predict(const gmoe_model *m, const gmoe_data *data, double *gate, double *post,
                       double *mean, double *logdens, gmoe_error *err)
{
    if (data->d != m->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, m->d);
    if ((post || logdens) && !data->y)
        return gmoe_error_set(err, GMOE_EINVAL, "posteriors and densities need the response y");
    size_t n = data->n, k = m->k, B = GMOE_BLOCK;
    size_t gws = gmoe__gate_work_size(m);
    double *work = malloc((gws + 3 * B * k + 2 * B) * sizeof(double));
    if (!work) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    double *lw = work + gws, *gw = lw + B * k, *u = gw + B * k, *mx = u + B * k, *ls = mx + B;
    int rc = GMOE_SUCCESS;
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += B) {
        mr = n - i0 < B ? n - i0 : B;
        rc = gmoe__gate_block(m, data, i0, mr, lw, gw, B, work);
        if (rc) break;
        /* Expert means of the block: a_j'x + b_j. */
        for (size_t j = 0; j < k; j++)
            for (size_t r = 0; r < mr; r++) {
                double mu = m->b[j];
                for (size_t t = 0; t < m->d; t++)
                    mu += m->a[j * m->d + t] * data->x[t * n + i0 + r];
                u[j * B + r] = mu;
            }
        for (size_t r = 0; r < mr; r++) {
            size_t i = i0 + r;
            if (gate)
                for (size_t j = 0; j < k; j++)
                    gate[i * k + j] = gw[j * B + r];
            if (mean) {
                double s = 0;
                for (size_t j = 0; j < k; j++)
                    s += gw[j * B + r] * u[j * B + r];
                mean[i] = s;
            }
        }
        if (!post && !logdens) continue;
        /* log(g_j N(y; mu_j, v_j)) in u, then the row-wise log-sum-exp. */
        for (size_t j = 0; j < k; j++)
            for (size_t r = 0; r < mr; r++) {
                double res = data->y[i0 + r] - u[j * B + r];
                u[j * B + r] =
                    lw[j * B + r] - 0.5 * (LOG_2PI + log(m->var[j]) + res * res / m->var[j]);
            }
        gmoe__lse_rows(u, B, k, mr, mx, ls, u);
        for (size_t r = 0; r < mr; r++) {
            size_t i = i0 + r;
            if (logdens) logdens[i] = mx[r] + ls[r];
            if (!post) continue;
            if (mx[r] == -INFINITY) {
                /* y so far out that every density underflows (log p = -inf): the posterior
                 * is its limit, the widest experts' by their gate weights. */
                limit_posterior(m, gw, B, r, post + i * k);
                continue;
            }
            for (size_t j = 0; j < k; j++)
                post[i * k + j] = u[j * B + r];
        }
    }
    free(work);
    if (rc) return gmoe__gate_error(m, data, i0, mr, rc, err);
    return GMOE_SUCCESS;
}
