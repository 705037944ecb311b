/* Convergence rates: per-size means and medians, log-log least squares, bootstrap interval. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "gmoe.h"

gmoe_rate_params gmoe_rate_default_parameters(void)
{
    return (gmoe_rate_params){.bootstrap = 1000, .seed = 1, .trim = 0, .level = 0.95};
}

void gmoe_rate_result_free(gmoe_rate_result *res)
{
    if (!res) return;
    free(res->groups);
    res->groups = NULL;
    res->ngroups = 0;
}

typedef struct row {
    double n, v;
} row;

/* By n, then by value: the grouping needs the first, and the second makes the bootstrap
 * draws (indices into each group) independent of the order the rows came in. */
static int cmp_row(const void *a, const void *b)
{
    const row *r = a, *s = b;
    if (r->n != s->n) return r->n < s->n ? -1 : 1;
    return (r->v > s->v) - (r->v < s->v);
}

/* Least squares y = c0 + c1 x over m points; se of c1 (NaN for m < 3). */
static void ols(const double *x, const double *y, size_t m, double *c1, double *c0, double *se)
{
    double cov00, cov01, cov11, sumsq;
    *c1 = *c0 = NAN;
    if (se) *se = NAN;
    if (m < 2) return;
    gsl_fit_linear(x, 1, y, 1, m, c0, c1, &cov00, &cov01, &cov11, &sumsq);
    if (se && m > 2) *se = sqrt(cov11);
}

/* The working arrays of one estimate, allocated once. */
typedef struct work {
    row *rows;     /* finite rows, sorted */
    double *vals;  /* their values, grouped by n */
    size_t *start; /* group g holds vals[start[g] .. start[g+1]) */
    double *x, *y; /* log n and log(mean or median) of the fitted sizes */
    size_t *gidx;  /* group index of each fitted size */
    double *boot;  /* bootstrap slopes */
} work;

static void work_free(work *w)
{
    free(w->rows);
    free(w->vals);
    free(w->start);
    free(w->x);
    free(w->y);
    free(w->gidx);
    free(w->boot);
}

static int validate(const gmoe_rate_params *p, gmoe_error *err)
{
    if (!(p->level > 0 && p->level < 1))
        return gmoe_error_set(err, GMOE_EINVAL, "confidence level must be in (0, 1) (got %g)",
                              p->level);
    return GMOE_SUCCESS;
}

/* Sort the finite rows and cut them into groups of equal n; fill res->groups. */
static int group_rows(const double *n, const double *value, size_t nrows, work *w,
                      gmoe_rate_result *res, gmoe_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (!(isfinite(n[i]) && n[i] > 0))
            return gmoe_error_set(err, GMOE_EINVAL, "row %zu: n must be finite and > 0 (got %g)",
                                  i + 1, n[i]);
        if (isfinite(value[i]))
            w->rows[m++] = (row){n[i], value[i]};
        else
            res->skipped++;
    }
    qsort(w->rows, m, sizeof *w->rows, cmp_row);
    size_t g = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || w->rows[i].n != w->rows[i - 1].n) w->start[g++] = i;
        w->vals[i] = w->rows[i].v;
    }
    w->start[g] = m;
    res->ngroups = g;
    res->groups = calloc(g ? g : 1, sizeof *res->groups);
    if (!res->groups) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    for (g = 0; g < res->ngroups; g++) {
        gmoe_rate_group *G = &res->groups[g];
        const double *v = w->vals + w->start[g]; /* sorted, by cmp_row */
        size_t c = w->start[g + 1] - w->start[g];
        G->n = w->rows[w->start[g]].n;
        G->count = c;
        G->mean = gsl_stats_mean(v, 1, c);
        G->median = gsl_stats_median_from_sorted_data(v, 1, c);
        G->sd = c > 1 ? gsl_stats_sd_m(v, 1, c, G->mean) : NAN;
        G->q10 = gsl_stats_quantile_from_sorted_data(v, 1, c, 0.1);
        G->q90 = gsl_stats_quantile_from_sorted_data(v, 1, c, 0.9);
    }
    return GMOE_SUCCESS;
}

/* Slopes on the grid without its `trim` smallest fitted sizes. */
static gmoe_rate_trim trimmed(const work *w, const gmoe_rate_result *res, size_t trim)
{
    size_t points = res->points;
    gmoe_rate_trim t = {.trim = trim, .slope = NAN, .se = NAN, .n_min = NAN};
    if (trim >= points) return t;
    double c0;
    t.points = points - trim;
    t.n_min = res->groups[w->gidx[trim]].n;
    ols(w->x + trim, w->y + trim, t.points, &t.slope, &c0, &t.se);
    return t;
}

static void bootstrap(work *w, const gmoe_rate_params *p, gmoe_rate_result *res, gsl_rng *rng)
{
    res->boot_used = 0;
    for (size_t b = 0; b < p->bootstrap; b++) {
        int ok = 1;
        for (size_t q = 0; q < res->points; q++) {
            size_t g = w->gidx[q], s = w->start[g], c = w->start[g + 1] - s;
            double sum = 0;
            for (size_t i = 0; i < c; i++)
                sum += w->vals[s + gsl_rng_uniform_int(rng, c)];
            /* Keep drawing even after a failure so that each resample uses the same stream
             * positions whatever happened in earlier ones. */
            if (!(sum > 0)) ok = 0;
            w->y[q] = log(sum / (double)c);
        }
        double c0, c1;
        ols(w->x, w->y, res->points, &c1, &c0, NULL);
        if (ok) w->boot[res->boot_used++] = c1;
    }
    res->ci[0] = res->ci[1] = NAN;
    if (res->boot_used == 0) return;
    gsl_sort(w->boot, 1, res->boot_used);
    res->ci[0] =
        gsl_stats_quantile_from_sorted_data(w->boot, 1, res->boot_used, (1 - p->level) / 2);
    res->ci[1] =
        gsl_stats_quantile_from_sorted_data(w->boot, 1, res->boot_used, (1 + p->level) / 2);
}

/* x, y, gidx <- the sizes whose statistic (mean if use_median is 0) is > 0. Returns the count. */
static size_t positive_points(const gmoe_rate_result *res, int use_median, work *w)
{
    size_t m = 0;
    for (size_t g = 0; g < res->ngroups; g++) {
        double s = use_median ? res->groups[g].median : res->groups[g].mean;
        if (!(s > 0)) continue;
        w->x[m] = log(res->groups[g].n);
        w->y[m] = log(s);
        w->gidx[m++] = g;
    }
    return m;
}

static int estimate(const double *n, const double *value, size_t nrows, const gmoe_rate_params *p,
                    work *w, gmoe_rate_result *res, gmoe_error *err)
{
    int rc = group_rows(n, value, nrows, w, res, err);
    if (rc) return rc;

    double c0;
    res->points_median = positive_points(res, 1, w);
    ols(w->x, w->y, res->points_median, &res->slope_median, &c0, NULL);
    res->intercept_median = c0;

    res->points = positive_points(res, 0, w);
    res->nonpositive = res->ngroups - res->points;
    if (res->points < 2)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "%zu size%s with a positive mean (%zu rows, %zu skipped); need 2",
                              res->points, res->points == 1 ? "" : "s", nrows, res->skipped);
    if (p->trim > 0 && (p->trim >= res->points || res->points - p->trim < 2))
        return gmoe_error_set(err, GMOE_EINVAL, "trim %zu leaves fewer than 2 of the %zu sizes",
                              p->trim, res->points);
    for (size_t q = 0; q < res->points; q++) {
        size_t g = w->gidx[q];
        res->groups[g].used = 1;
        res->rows += res->groups[g].count;
    }
    res->n_min = res->groups[w->gidx[0]].n;
    res->n_max = res->groups[w->gidx[res->points - 1]].n;

    ols(w->x, w->y, res->points, &res->slope, &res->intercept, &res->se);
    res->ci_ols[0] = res->ci_ols[1] = NAN;
    if (res->points > 2) {
        double t = gsl_cdf_tdist_Pinv(0.5 + p->level / 2, (double)(res->points - 2));
        res->ci_ols[0] = res->slope - t * res->se;
        res->ci_ols[1] = res->slope + t * res->se;
    }

    if (p->trim > 0) res->trimmed[res->ntrimmed++] = trimmed(w, res, p->trim);
    res->trimmed[res->ntrimmed++] = trimmed(w, res, res->points / 4);
    res->trimmed[res->ntrimmed++] = trimmed(w, res, res->points / 2);

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    gsl_rng_set(rng, p->seed);
    bootstrap(w, p, res, rng); /* overwrites w->y */
    gsl_rng_free(rng);
    return GMOE_SUCCESS;
}

int gmoe_rate_estimate(const double *n, const double *value, size_t nrows,
                       const gmoe_rate_params *params, gmoe_rate_result *res, gmoe_error *err)
{
    gmoe_rate_params p = params ? *params : gmoe_rate_default_parameters();
    memset(res, 0, sizeof *res);
    int rc = validate(&p, err);
    if (rc) return rc;

    size_t m = nrows ? nrows : 1;
    work w = {0};
    w.rows = malloc(m * sizeof *w.rows);
    w.vals = malloc(m * sizeof *w.vals);
    w.start = malloc((m + 1) * sizeof *w.start);
    w.x = malloc(m * sizeof *w.x);
    w.y = malloc(m * sizeof *w.y);
    w.gidx = malloc(m * sizeof *w.gidx);
    w.boot = malloc((p.bootstrap ? p.bootstrap : 1) * sizeof *w.boot);
    if (!w.rows || !w.vals || !w.start || !w.x || !w.y || !w.gidx || !w.boot)
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    else
        rc = estimate(n, value, nrows, &p, &w, res, err);
    work_free(&w);
    if (rc) {
        gmoe_rate_result_free(res);
        memset(res, 0, sizeof *res);
    }
    return rc;
}
