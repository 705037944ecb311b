/* The accuracy of a choice of the number of experts over a sweep's sizes (gmoe_rate.h). */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "internal.h"

/* The q-quantile of Beta(a, b) by bisection on its distribution function:
 * gsl_cdf_beta_Pinv fails to converge (and calls GSL's error handler, which prints and
 * aborts) for some large counts (x = 490 of m = 500), and a library must do neither. 80
 * halvings of [0, 1] reach the resolution of a double near the quantile. */
static double beta_quantile(double q, double a, double b)
{
    double lo = 0, hi = 1;
    for (int it = 0; it < 80; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (gsl_cdf_beta_P(mid, a, b) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void gmoe_binomial_interval(size_t x, size_t m, double level, double ci[2])
{
    if (m == 0 || x > m) {
        ci[0] = ci[1] = NAN;
        return;
    }
    double a = (1 - level) / 2, xs = (double)x, ms = (double)m;
    ci[0] = x == 0 ? 0 : beta_quantile(a, xs, ms - xs + 1);
    ci[1] = x == m ? 1 : beta_quantile(1 - a, xs + 1, ms - xs);
}

typedef struct row {
    double n, k;
} row;

static int by_n(const void *a, const void *b)
{
    const row *x = a, *y = b;
    return x->n < y->n ? -1 : x->n > y->n;
}

void gmoe_accuracy_result_free(gmoe_accuracy_result *res)
{
    if (!res) return;
    free(res->groups);
    res->groups = NULL;
    res->ngroups = 0;
}

static void group_finish(gmoe_accuracy_group *g, double ksum, double level)
{
    g->share = g->count ? (double)g->correct / (double)g->count : NAN;
    g->mean = g->count ? ksum / (double)g->count : NAN;
    gmoe_binomial_interval(g->correct, g->count, level, g->ci);
}

int gmoe_rate_accuracy(const double *n, const double *k, size_t rows, size_t k_true, double level,
                       gmoe_accuracy_result *res, gmoe_error *err)
{
    memset(res, 0, sizeof *res);
    if (!(level > 0 && level < 1))
        return gmoe_error_set(err, GMOE_EINVAL, "level must be in (0, 1) (got %g)", level);
    if (k_true < 1) return gmoe_error_set(err, GMOE_EINVAL, "the true k must be at least 1");
    row *r = malloc((rows ? rows : 1) * sizeof *r);
    if (!r) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < rows; i++) {
        if (!isfinite(n[i]) || !(n[i] > 0)) {
            free(r);
            return gmoe_error_set(err, GMOE_EINVAL, "row %zu: n must be a finite number > 0",
                                  i + 1);
        }
        if (isfinite(k[i]))
            r[m].n = n[i], r[m++].k = k[i];
        else
            res->skipped++;
    }
    qsort(r, m, sizeof *r, by_n);
    gmoe_accuracy_group *g = calloc(m ? m : 1, sizeof *g);
    if (!g) {
        free(r);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    size_t ng = 0;
    double ksum = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || r[i].n != r[i - 1].n) {
            if (ng) group_finish(&g[ng - 1], ksum, level);
            g[ng++].n = r[i].n;
            ksum = 0;
        }
        gmoe_accuracy_group *cur = &g[ng - 1];
        cur->count++;
        ksum += r[i].k;
        if (r[i].k == (double)k_true)
            cur->correct++;
        else if (r[i].k < (double)k_true)
            cur->below++;
        else
            cur->above++;
    }
    if (ng) group_finish(&g[ng - 1], ksum, level);
    free(r);
    res->k_true = k_true;
    res->level = level;
    res->rows = m;
    res->ngroups = ng;
    res->groups = g;
    return GMOE_SUCCESS;
}

int gmoe_accuracy_pool(const gmoe_accuracy_result *res, double n_min, gmoe_accuracy_group *pool)
{
    memset(pool, 0, sizeof *pool);
    pool->n = n_min;
    double ksum = 0;
    for (size_t i = 0; i < res->ngroups; i++) {
        const gmoe_accuracy_group *g = &res->groups[i];
        if (g->n < n_min) continue;
        pool->count += g->count;
        pool->correct += g->correct;
        pool->below += g->below;
        pool->above += g->above;
        ksum += g->mean * (double)g->count;
    }
    group_finish(pool, ksum, res->level);
    return pool->count ? GMOE_SUCCESS : GMOE_EINVAL;
}
