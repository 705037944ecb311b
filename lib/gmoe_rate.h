/* gmoe_rate: empirical convergence rates from replicated losses (MODELS.md section 5).
 *
 * Input: rows (n_i, value_i) of one metric over a grid of sample sizes, several replicates per
 * size. The rows are grouped by n; the rate is the least-squares slope of log(mean) on log(n).
 * Beside it come the slope of log(median), the classical OLS standard error and t-interval, a
 * percentile bootstrap interval (replicates resampled with replacement within each n, from a
 * seeded generator, so the interval is the same on every run), and the slopes on grids with
 * the smallest sizes dropped: the published over-specified slopes moved with the range fitted,
 * so a slope is worth reporting only together with how it changes under trimming.
 *
 * Rows whose value is not finite (a failed task: NaN, empty) are skipped and counted; sizes
 * whose mean is <= 0 cannot be logged and are dropped and counted. The result does not depend
 * on the order of the rows. */
#ifndef GMOE_RATE_H
#define GMOE_RATE_H

#include <stddef.h>
#include "gmoe_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gmoe_rate_params {
    size_t bootstrap;   /* bootstrap resamples B; 0: no bootstrap interval (NaN) */
    unsigned long seed; /* seed of the bootstrap generator (GSL mt19937) */
    size_t trim;        /* extra slope with the `trim` smallest sizes dropped; 0: none */
    double level;       /* confidence level of both intervals, in (0, 1) */
} gmoe_rate_params;

/* B = 1000, seed = 1, trim = 0, level = 0.95. */
gmoe_rate_params gmoe_rate_default_parameters(void);

/* Per-size summary of the finite values. sd, q10 and q90 are across replicates (sd is NaN
 * for a single replicate); the quantiles interpolate linearly between order statistics. */
typedef struct gmoe_rate_group {
    double n;
    size_t count; /* finite values at this size */
    double mean, median, sd, q10, q90;
    int used; /* 1 if the size entered the fit of the means (mean > 0) */
} gmoe_rate_group;

/* The slope on a trimmed grid: the `trim` smallest usable sizes dropped. slope and se are
 * NaN when fewer than 2 (for se: 3) sizes remain. */
typedef struct gmoe_rate_trim {
    size_t trim;
    size_t points; /* sizes left */
    double n_min;  /* the smallest size left */
    double slope, se;
} gmoe_rate_trim;

#define GMOE_RATE_NTRIM 3

/* The estimate. A public struct (like gmoe_data) since callers read every field; the groups
 * array is owned by it: release with gmoe_rate_result_free. */
typedef struct gmoe_rate_result {
    double slope, intercept; /* log(mean) = intercept + slope log(n), least squares */
    double se;               /* classical OLS standard error of the slope (NaN if points < 3) */
    double ci_ols[2];        /* slope -/+ t_{points-2} se at the level */
    double ci[2];            /* bootstrap percentile interval (NaN if bootstrap = 0) */
    size_t boot_used;        /* resamples in the interval: a resample in which some size has a
                                mean <= 0 has no slope and is left out */
    double slope_median, intercept_median; /* the same fit for log(median) (NaN if < 2 sizes
                                               have a median > 0) */
    size_t points_median;
    gmoe_rate_trim trimmed[GMOE_RATE_NTRIM]; /* user trim (if > 0), then 25 % and 50 % of the
                                                sizes dropped (rounded down) */
    size_t ntrimmed;
    double n_min, n_max;     /* range of the sizes fitted */
    size_t points;           /* sizes fitted (distinct n with mean > 0) */
    size_t rows;             /* finite values in the sizes fitted */
    size_t skipped;          /* rows with a non-finite value */
    size_t nonpositive;      /* sizes dropped because their mean is <= 0 */
    size_t ngroups;          /* distinct n with at least one finite value */
    gmoe_rate_group *groups; /* ngroups, by increasing n */
} gmoe_rate_result;

/* Estimate the rate from rows (n[i], value[i]), i < rows. The arrays are borrowed. n must be
 * finite and > 0; value may be non-finite (skipped). params NULL means the defaults. On
 * success *res owns its groups (gmoe_rate_result_free); on failure *res holds nothing to free.
 * Errors: GMOE_EINVAL for a bad parameter or n, or fewer than 2 sizes with a positive mean
 * (or left by the user trim); GMOE_ENOMEM. */
int gmoe_rate_estimate(const double *n, const double *value, size_t rows,
                       const gmoe_rate_params *params, gmoe_rate_result *res, gmoe_error *err);

/* Release the groups of a result (and zero them); NULL is a no-op. */
void gmoe_rate_result_free(gmoe_rate_result *res);

/* ------------------------------------------------------------------ accuracy
 *
 * For a column that holds a chosen number of experts (the sweep metric select: k_dsc, k_aic,
 * ...) a slope means nothing; its summary is, at each size, the share of replicates that
 * chose the true k, with an exact (Clopper-Pearson) binomial interval. */
typedef struct gmoe_accuracy_group {
    double n;
    size_t count;        /* replicates with a finite value */
    size_t correct;      /* of them, those that chose k_true */
    size_t below, above; /* those that chose fewer or more experts */
    double share;        /* correct / count */
    double ci[2];        /* Clopper-Pearson interval of the share at the level */
    double mean;         /* mean k chosen */
} gmoe_accuracy_group;

typedef struct gmoe_accuracy_result {
    size_t k_true;
    double level;
    size_t rows, skipped; /* finite values used, non-finite skipped */
    size_t ngroups;
    gmoe_accuracy_group *groups; /* by increasing n; owned (gmoe_accuracy_result_free) */
} gmoe_accuracy_result;

/* The accuracy of rows (n[i], k[i]) against k_true at the confidence level (0 < level < 1).
 * Errors: GMOE_EINVAL (a bad level, k_true = 0, an n that is not > 0), GMOE_ENOMEM. */
int gmoe_rate_accuracy(const double *n, const double *k, size_t rows, size_t k_true, double level,
                       gmoe_accuracy_result *res, gmoe_error *err);
void gmoe_accuracy_result_free(gmoe_accuracy_result *res);
/* The groups with n >= n_min pooled into one (its n is n_min); GMOE_EINVAL if none. */
int gmoe_accuracy_pool(const gmoe_accuracy_result *res, double n_min, gmoe_accuracy_group *pool);
/* The Clopper-Pearson interval of x successes in m trials: the quantiles (1 - level) / 2 and
 * (1 + level) / 2 of Beta(x, m - x + 1) and Beta(x + 1, m - x), 0 for x = 0 and 1 for x = m;
 * NaN when m = 0. */
void gmoe_binomial_interval(size_t x, size_t m, double level, double ci[2]);

#ifdef __cplusplus
}
#endif
#endif
