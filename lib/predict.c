/* Per-observation predictions of a model: gate weights, posterior expert probabilities,
 * predictive means, standard deviations and quantiles, and conditional log-densities. */
#include <config.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include "internal.h"

#define LOG_2PI 1.8378770664093454836
#define QUANTILE_MAXITER 200

/* Per-block scratch shared by the predictions: the log gate weights lw, the gate weights gw
 * and the expert means u, each [j*GMOE_BLOCK + r], with the gate's own work space. */
typedef struct pblock {
    double *work, *lw, *gw, *u, *mx, *ls;
} pblock;

static int pblock_alloc(pblock *pb, const gmoe_model *m, gmoe_error *err)
{
    size_t B = GMOE_BLOCK, k = m->k, gws = gmoe__gate_work_size(m);
    pb->work = malloc((gws + 3 * B * k + 2 * B) * sizeof(double));
    if (!pb->work) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    pb->lw = pb->work + gws;
    pb->gw = pb->lw + B * k;
    pb->u = pb->gw + B * k;
    pb->mx = pb->u + B * k;
    pb->ls = pb->mx + B;
    return GMOE_SUCCESS;
}

/* Gate weights and expert means a_j'x + b_j of rows [i0, i0 + mr). */
static int pblock_fill(pblock *pb, const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mr)
{
    size_t B = GMOE_BLOCK, n = data->n;
    int rc = gmoe__gate_block(m, data, i0, mr, pb->lw, pb->gw, B, pb->work);
    if (rc) return rc;
    for (size_t j = 0; j < m->k; j++)
        for (size_t r = 0; r < mr; r++) {
            double mu = m->b[j];
            for (size_t t = 0; t < m->d; t++)
                mu += m->a[j * m->d + t] * data->x[t * n + i0 + r];
            pb->u[j * B + r] = mu;
        }
    return GMOE_SUCCESS;
}

static int check_dim(const gmoe_model *m, const gmoe_data *data, gmoe_error *err)
{
    if (data->d != m->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, m->d);
    return GMOE_SUCCESS;
}

static int mean_error(size_t i, gmoe_error *err)
{
    return gmoe_error_set_obs(err, GMOE_ENUMERIC, i,
                              "an expert mean is not finite (covariates too large for the "
                              "expert slopes)");
}

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

/* Posteriors and log-densities of a filled block; overwrites pb->u. */
static void block_posteriors(pblock *pb, const gmoe_model *m, const gmoe_data *data, size_t i0,
                             size_t mr, double *post, double *logdens)
{
    size_t B = GMOE_BLOCK, k = m->k;
    double *u = pb->u;
    /* log(g_j N(y; mu_j, v_j)) in u, then the row-wise log-sum-exp. */
    for (size_t j = 0; j < k; j++)
        for (size_t r = 0; r < mr; r++) {
            double res = data->y[i0 + r] - u[j * B + r];
            u[j * B + r] =
                pb->lw[j * B + r] - 0.5 * (LOG_2PI + log(m->var[j]) + res * res / m->var[j]);
        }
    gmoe__lse_rows(u, B, k, mr, pb->mx, pb->ls, u);
    for (size_t r = 0; r < mr; r++) {
        size_t i = i0 + r;
        if (logdens) logdens[i] = pb->mx[r] + pb->ls[r];
        if (!post) continue;
        if (pb->mx[r] == -INFINITY) {
            /* y so far out that every density underflows (log p = -inf): the posterior is
             * its limit, the widest experts' by their gate weights. */
            limit_posterior(m, pb->gw, B, r, post + i * k);
            continue;
        }
        for (size_t j = 0; j < k; j++)
            post[i * k + j] = u[j * B + r];
    }
}

int gmoe_model_predict(const gmoe_model *m, const gmoe_data *data, double *gate, double *post,
                       double *mean, double *logdens, gmoe_error *err)
{
    int rc = check_dim(m, data, err);
    if (rc) return rc;
    if ((post || logdens) && !data->y)
        return gmoe_error_set(err, GMOE_EINVAL, "posteriors and densities need the response y");
    size_t n = data->n, k = m->k, B = GMOE_BLOCK;
    pblock pb;
    if ((rc = pblock_alloc(&pb, m, err))) return rc;
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += B) {
        mr = n - i0 < B ? n - i0 : B;
        if ((rc = pblock_fill(&pb, m, data, i0, mr))) break;
        for (size_t r = 0; r < mr; r++) {
            size_t i = i0 + r;
            if (gate)
                for (size_t j = 0; j < k; j++)
                    gate[i * k + j] = pb.gw[j * B + r];
            if (mean) {
                double s = 0;
                for (size_t j = 0; j < k; j++)
                    s += pb.gw[j * B + r] * pb.u[j * B + r];
                mean[i] = s;
            }
        }
        if (post || logdens) block_posteriors(&pb, m, data, i0, mr, post, logdens);
    }
    free(pb.work);
    if (rc) return gmoe__gate_error(m, data, i0, mr, rc, err);
    return GMOE_SUCCESS;
}

int gmoe_model_predict_sd(const gmoe_model *m, const gmoe_data *data, double *sd, gmoe_error *err)
{
    int rc = check_dim(m, data, err);
    if (rc) return rc;
    size_t n = data->n, k = m->k, B = GMOE_BLOCK;
    pblock pb;
    if ((rc = pblock_alloc(&pb, m, err))) return rc;
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += B) {
        mr = n - i0 < B ? n - i0 : B;
        if ((rc = pblock_fill(&pb, m, data, i0, mr))) break;
        /* Var[y | x] = sum_j g_j (v_j + (mu_j - mean)^2): the law of total variance, with
         * the spread of the means about their average rather than E[y^2] - mean^2, which
         * cancels when the means are large against the variances. */
        for (size_t r = 0; r < mr; r++) {
            double mean = 0, var = 0;
            for (size_t j = 0; j < k; j++)
                mean += pb.gw[j * B + r] * pb.u[j * B + r];
            for (size_t j = 0; j < k; j++) {
                double dev = pb.u[j * B + r] - mean;
                var += pb.gw[j * B + r] * (m->var[j] + dev * dev);
            }
            if (!isfinite(var)) {
                free(pb.work);
                return mean_error(i0 + r, err);
            }
            sd[i0 + r] = sqrt(var);
        }
    }
    free(pb.work);
    if (rc) return gmoe__gate_error(m, data, i0, mr, rc, err);
    return GMOE_SUCCESS;
}

/* The mixture sum_j w_j N(mu_j, s_j^2) of the experts with w_j > 0 at one x, and the level
 * sought. Below the median F(y) - p is solved; above it (1 - p) - S(y) with the upper tail S,
 * so that a level near 1 keeps its relative precision. Both increase with y. */
typedef struct mixture {
    size_t k;
    double *w, *mu, *s;
    double wsum, level;
    int upper;
} mixture;

static double mixture_gap(double y, void *vp)
{
    const mixture *mx = vp;
    double t = 0;
    for (size_t j = 0; j < mx->k; j++) {
        double z = (y - mx->mu[j]) / mx->s[j];
        t += mx->w[j] * (mx->upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z));
    }
    return mx->upper ? mx->level * mx->wsum - t : t - mx->level * mx->wsum;
}

/* The p-quantile of the mixture. It lies between the smallest and the largest of the
 * experts' own p-quantiles (at the smallest every expert's CDF is at most p, at the largest at
 * least p), which brackets the root for Brent's method. */
static double mixture_quantile(mixture *mx, gsl_root_fsolver *solver, double p)
{
    double z = gsl_cdf_ugaussian_Pinv(p), lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < mx->k; j++) {
        double qj = mx->mu[j] + mx->s[j] * z;
        if (qj < lo) lo = qj;
        if (qj > hi) hi = qj;
    }
    if (!(hi > lo)) return lo;
    mx->upper = p > 0.5;
    mx->level = mx->upper ? 1 - p : p;
    gsl_function f = {mixture_gap, mx};
    /* Rounding can put the root on an end of the bracket; GSL needs a strict sign change. */
    if (mixture_gap(lo, mx) >= 0) return lo;
    if (mixture_gap(hi, mx) <= 0) return hi;
    gsl_root_fsolver_set(solver, &f, lo, hi);
    for (int it = 0; it < QUANTILE_MAXITER; it++) {
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS) break;
        lo = gsl_root_fsolver_x_lower(solver);
        hi = gsl_root_fsolver_x_upper(solver);
        if (gsl_root_test_interval(lo, hi, 0, 2 * DBL_EPSILON) == GSL_SUCCESS) break;
    }
    return gsl_root_fsolver_root(solver);
}

static int check_levels(const double *p, size_t np, gmoe_error *err)
{
    for (size_t l = 0; l < np; l++)
        if (!(p[l] > 0 && p[l] < 1))
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "quantile level %.17g is not strictly between 0 and 1", p[l]);
    return GMOE_SUCCESS;
}

/* The active experts of row r of a filled block into mx; GMOE_ENUMERIC for a mean that is not
 * finite (covariates too large for the expert slopes). */
static int row_mixture(const pblock *pb, const gmoe_model *m, size_t r, mixture *mx)
{
    size_t B = GMOE_BLOCK;
    mx->k = 0;
    mx->wsum = 0;
    for (size_t j = 0; j < m->k; j++) {
        double w = pb->gw[j * B + r], mu = pb->u[j * B + r];
        if (!(w > 0)) continue; /* an expert a top-K gate leaves out */
        if (!isfinite(mu)) return GMOE_ENUMERIC;
        mx->w[mx->k] = w;
        mx->mu[mx->k] = mu;
        mx->s[mx->k] = sqrt(m->var[j]);
        mx->wsum += w;
        mx->k++;
    }
    return GMOE_SUCCESS;
}

int gmoe_model_predict_quantiles(const gmoe_model *m, const gmoe_data *data, const double *p,
                                 size_t np, double *q, gmoe_error *err)
{
    int rc = check_dim(m, data, err);
    if (rc || (rc = check_levels(p, np, err))) return rc;
    size_t n = data->n, k = m->k, B = GMOE_BLOCK;
    pblock pb;
    if ((rc = pblock_alloc(&pb, m, err))) return rc;
    mixture mx = {0};
    mx.w = malloc(3 * k * sizeof(double));
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!mx.w || !solver) {
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        goto done;
    }
    mx.mu = mx.w + k;
    mx.s = mx.mu + k;
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += B) {
        mr = n - i0 < B ? n - i0 : B;
        if ((rc = pblock_fill(&pb, m, data, i0, mr))) {
            rc = gmoe__gate_error(m, data, i0, mr, rc, err);
            goto done;
        }
        for (size_t r = 0; r < mr; r++) {
            if (row_mixture(&pb, m, r, &mx)) {
                rc = mean_error(i0 + r, err);
                goto done;
            }
            for (size_t l = 0; l < np; l++)
                q[(i0 + r) * np + l] = mixture_quantile(&mx, solver, p[l]);
        }
    }
done:
    if (solver) gsl_root_fsolver_free(solver);
    free(mx.w);
    free(pb.work);
    return rc;
}
