/* Predictive standard deviations and quantiles (gmoe_model_predict_sd,
 * gmoe_model_predict_quantiles) against independent computations: a brute-force sum of the
 * naive density of testutil.h over a fine grid of y (moments and the CDF), Monte Carlo draws
 * made here from the naive gate, and the exact quantile mu + s Phi^-1(p) of a single expert. */
#include <float.h>
#include <gsl/gsl_cdf.h>
#include "testutil.h"

#define NX 6           /* points x per family */
#define NMC 200000     /* Monte Carlo draws per point */
#define GRID_STEPS 200 /* grid steps per smallest expert sd in the brute-force sums */

static const double levels[] = {1e-6, 0.025, 0.25, 0.5, 0.75, 0.975, 1 - 1e-6};
#define NLEV (sizeof levels / sizeof levels[0])

/* One observation x as a data set (with room for y). */
static gmoe_data *one_row(const double *x, size_t d)
{
    gmoe_data *data = gmoe_data_alloc(1, d, 1);
    ck_assert_ptr_nonnull(data);
    for (size_t t = 0; t < d; t++)
        data->x[t] = x[t];
    return data;
}

/* The grid [lo, hi] around every expert that the gate selects at x, and its step. */
static void grid(const test_params *p, const double *x, double *lo, double *hi, double *h)
{
    double w[TEST_KMAX], smin = INFINITY;
    test_naive_gate(p, x, w);
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t j = 0; j < p->k; j++) {
        if (w[j] == 0) continue;
        double mu = test_expert_mean(p, j, x), s = sqrt(p->var[j]);
        if (mu - 40 * s < *lo) *lo = mu - 40 * s;
        if (mu + 40 * s > *hi) *hi = mu + 40 * s;
        if (s < smin) smin = s;
    }
    *h = smin / GRID_STEPS;
}

/* Brute force: mean and sd of p(y | x) by sums over the grid (the trapezoid rule, exact to
 * rounding for a density this smooth that vanishes at both ends). */
static void brute_moments(const test_params *p, const double *x, double *mean, double *sd)
{
    double lo, hi, h, m0 = 0, m1 = 0, m2 = 0;
    grid(p, x, &lo, &hi, &h);
    for (double y = lo; y <= hi; y += h)
        m0 += test_naive_pdf(p, x, y), m1 += y * test_naive_pdf(p, x, y);
    *mean = m1 / m0;
    for (double y = lo; y <= hi; y += h)
        m2 += (y - *mean) * (y - *mean) * test_naive_pdf(p, x, y);
    *sd = sqrt(m2 / m0);
}

/* Brute force: F(q | x) by Simpson's rule on [lo, q] with steps of at most the grid's. */
static double brute_cdf(const test_params *p, const double *x, double q)
{
    double lo, hi, h, s;
    grid(p, x, &lo, &hi, &h);
    if (q <= lo) return 0;
    size_t steps = 2 * (size_t)ceil((q - lo) / (2 * h));
    h = (q - lo) / (double)steps;
    s = test_naive_pdf(p, x, lo) + test_naive_pdf(p, x, q);
    for (size_t i = 1; i < steps; i++)
        s += (i % 2 ? 4 : 2) * test_naive_pdf(p, x, lo + (double)i * h);
    return s * h / 3;
}

/* NMC draws of y | x made here: an expert from the naive gate weights, then its normal. */
static double *draws(const test_params *p, const double *x, gsl_rng *rng)
{
    double w[TEST_KMAX], *y = malloc(NMC * sizeof(double));
    ck_assert_ptr_nonnull(y);
    test_naive_gate(p, x, w);
    for (size_t i = 0; i < NMC; i++) {
        double u = gsl_rng_uniform(rng), c = 0;
        size_t j = 0;
        while (j + 1 < p->k && (c += w[j]) <= u)
            j++;
        while (w[j] == 0) /* rounding put u past the last selected expert */
            j--;
        y[i] = test_expert_mean(p, j, x) + gsl_ran_gaussian(rng, sqrt(p->var[j]));
    }
    return y;
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

START_TEST(test_sd_brute_force)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1600 + (unsigned long)_i);
    gmoe_error err;
    for (size_t k = 1; k <= 4; k++) {
        test_params p;
        test_params_random(&p, &test_families[_i], k, 2, rng);
        gmoe_model *m = test_params_model(&p);
        for (int rep = 0; rep < NX; rep++) {
            double x[2], sd, mean, bm, bsd;
            test_random_x(rng, 2, x);
            gmoe_data *data = one_row(x, 2);
            ck_assert_int_eq(gmoe_model_predict_sd(m, data, &sd, &err), GMOE_SUCCESS);
            ck_assert_int_eq(gmoe_model_predict(m, data, NULL, NULL, &mean, NULL, &err),
                             GMOE_SUCCESS);
            brute_moments(&p, x, &bm, &bsd);
            ck_assert_close(mean, bm, 1e-9, 1e-9, test_families[_i].name);
            ck_assert_close(sd, bsd, 0, 1e-9, test_families[_i].name);
            gmoe_data_free(data);
        }
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* Monte Carlo: the sample sd within 5 standard errors (sd^2 sqrt((kurtosis - 1) / N) for the
 * variance, with the sample kurtosis), and for each level the share of draws at or below the
 * quantile within 5 binomial standard errors of the level. */
START_TEST(test_monte_carlo)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2600 + (unsigned long)_i);
    gmoe_error err;
    test_params p;
    test_params_random(&p, &test_families[_i], 3, 2, rng);
    gmoe_model *m = test_params_model(&p);
    for (int rep = 0; rep < 2; rep++) {
        double x[2], sd, q[NLEV];
        test_random_x(rng, 2, x);
        gmoe_data *data = one_row(x, 2);
        ck_assert_int_eq(gmoe_model_predict_sd(m, data, &sd, &err), GMOE_SUCCESS);
        ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, levels, NLEV, q, &err),
                         GMOE_SUCCESS);
        double *y = draws(&p, x, rng), s1 = 0, s2 = 0, s4 = 0;
        for (size_t i = 0; i < NMC; i++)
            s1 += y[i];
        s1 /= NMC;
        for (size_t i = 0; i < NMC; i++) {
            double e2 = (y[i] - s1) * (y[i] - s1);
            s2 += e2;
            s4 += e2 * e2;
        }
        s2 /= NMC;
        s4 /= NMC;
        double se_var = sqrt((s4 / (s2 * s2) - 1) / NMC) * s2;
        ck_assert_msg(fabs(s2 - sd * sd) <= 5 * se_var, "%s: sample var %g, predicted %g (se %g)",
                      test_families[_i].name, s2, sd * sd, se_var);
        qsort(y, NMC, sizeof *y, cmp_double);
        for (size_t l = 0; l < NLEV; l++) {
            size_t below = 0;
            while (below < NMC && y[below] <= q[l])
                below++;
            double share = (double)below / NMC;
            double se = sqrt(levels[l] * (1 - levels[l]) / NMC);
            ck_assert_msg(fabs(share - levels[l]) <= 5 * se + 1.0 / NMC,
                          "%s: level %g, quantile %g, share of draws below %g",
                          test_families[_i].name, levels[l], q[l], share);
        }
        free(y);
        gmoe_data_free(data);
    }
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* The CDF summed by brute force over the grid, at the quantile, is the level. */
START_TEST(test_quantiles_brute_force)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3600 + (unsigned long)_i);
    gmoe_error err;
    for (size_t k = 2; k <= 4; k++) {
        test_params p;
        test_params_random(&p, &test_families[_i], k, 2, rng);
        gmoe_model *m = test_params_model(&p);
        for (int rep = 0; rep < 3; rep++) {
            double x[2], q[NLEV];
            test_random_x(rng, 2, x);
            gmoe_data *data = one_row(x, 2);
            ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, levels, NLEV, q, &err),
                             GMOE_SUCCESS);
            for (size_t l = 0; l < NLEV; l++) {
                double F = brute_cdf(&p, x, q[l]);
                ck_assert_msg(fabs(F - levels[l]) <=
                                  1e-9 * (levels[l] < 0.5 ? 1 : levels[l]) + 1e-12,
                              "%s k=%zu: F(q_%g) = %.17g", test_families[_i].name, k, levels[l], F);
                if (l > 0) ck_assert_msg(q[l] > q[l - 1], "quantiles not increasing");
            }
            gmoe_data_free(data);
        }
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* k = 1: the exact quantile mu + s Phi^-1(p), far into both tails; and a top-1 gate, which
 * leaves a single expert at every x. */
START_TEST(test_quantiles_single_expert)
{
    static const double tails[] = {1e-300, 1e-15, 1e-4, 0.3, 0.5, 0.7, 1 - 1e-4, 1 - 1e-15};
    size_t nt = sizeof tails / sizeof tails[0];
    double x = 0.75, b1 = 2, a = -3, q[8], q3[8];
    gmoe_error err;
    gmoe_model *m = gmoe_model_alloc(1, 1, GMOE_GATE_SOFTMAX);
    gmoe_model_set_expert(m, 0, 0, &b1, &a, 1.5, 0.36);
    gmoe_data *data = one_row(&x, 1);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, tails, nt, q, &err), GMOE_SUCCESS);
    for (size_t l = 0; l < nt; l++)
        ck_assert_close(q[l], -3 * x + 1.5 + 0.6 * gsl_cdf_ugaussian_Pinv(tails[l]), 1e-14, 1e-14,
                        "k = 1");
    /* Top-1 of 3: the slope of expert 2 is the largest, so expert 2 alone. */
    gmoe_model *t = gmoe_model_alloc(3, 1, GMOE_GATE_TOPK);
    double s0 = 1, s1 = 5, s2 = -1, a0 = 1, a1 = -3, a2 = 4;
    gmoe_model_set_expert(t, 0, 0, &s0, &a0, 0, 1);
    gmoe_model_set_expert(t, 1, 0, &s1, &a1, 1.5, 0.36);
    gmoe_model_set_expert(t, 2, 0, &s2, &a2, 7, 9);
    gmoe_model_set_topk(t, 1, GMOE_TOPK_SLOPE);
    ck_assert_int_eq(gmoe_model_predict_quantiles(t, data, tails, nt, q3, &err), GMOE_SUCCESS);
    for (size_t l = 0; l < nt; l++)
        ck_assert_close(q3[l], q[l], 0, 0, "top-1");
    gmoe_data_free(data);
    gmoe_model_free(t);
    gmoe_model_free(m);
}
END_TEST

/* Two experts at +-1 with the same variance and equal weights: the median is exactly the
 * centre 0, and the p- and (1 - p)-quantiles are symmetric, through the root finder. */
START_TEST(test_quantiles_symmetric)
{
    double x = 0, zero = 0, one = 1, q[NLEV];
    gmoe_error err;
    gmoe_model *m = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    gmoe_model_set_expert(m, 0, 0, &zero, &zero, -1, 0.25);
    gmoe_model_set_expert(m, 1, 0, &one, &zero, 1, 0.25);
    gmoe_data *data = one_row(&x, 1);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, levels, NLEV, q, &err), GMOE_SUCCESS);
    ck_assert_close(q[3], 0, 1e-15, 0, "median");
    /* 1 - (1 - 1e-6) is 1e-6 only to about 1e-10 relative, which moves that quantile by
     * about 1e-11. */
    for (size_t l = 0; l < NLEV / 2; l++)
        ck_assert_close(q[l], -q[NLEV - 1 - l], 1e-14, 1e-10, "symmetry");
    gmoe_data_free(data);
    gmoe_model_free(m);
}
END_TEST

START_TEST(test_predict_errors)
{
    double x = 0.5, q, sd, bad[] = {0.5, 1.0}, zero[] = {0}, nan_level[] = {NAN};
    gmoe_error err;
    gmoe_model *m = test_softmax_truth();
    gmoe_data *data = one_row(&x, 1);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, bad, 2, &q, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "quantile level 1 is not strictly between 0 and 1");
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, zero, 1, &q, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, nan_level, 1, &q, &err), GMOE_EINVAL);
    gmoe_data *d2 = gmoe_data_alloc(1, 2, 0);
    ck_assert_int_eq(gmoe_model_predict_sd(m, d2, &sd, &err), GMOE_EDIM);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, d2, bad, 1, &q, &err), GMOE_EDIM);
    /* An expert mean that overflows: an error naming the observation, not inf or NaN. */
    double big = 1e300, b1 = 0;
    gmoe_model_set_expert(m, 0, 0, &b1, &big, 0, 1);
    data->x[0] = 1e10;
    ck_assert_int_eq(gmoe_model_predict_sd(m, data, &sd, &err), GMOE_ENUMERIC);
    ck_assert_uint_eq(err.obs, 1);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, bad, 1, &q, &err), GMOE_ENUMERIC);
    ck_assert_str_eq(err.msg, "observation 1: an expert mean is not finite (covariates too "
                              "large for the expert slopes)");
    gmoe_data_free(d2);
    gmoe_data_free(data);
    gmoe_model_free(m);
}
END_TEST

/* Many rows (several blocks): each row's values equal those of the row predicted alone. */
START_TEST(test_blocks)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4600);
    gmoe_error err;
    test_params p;
    test_params_random(&p, &test_families[0], 3, 2, rng);
    gmoe_model *m = test_params_model(&p);
    size_t n = 700;
    gmoe_data *data = gmoe_data_alloc(n, 2, 0);
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 2; t++)
            data->x[t * n + i] = -2 + 4 * gsl_rng_uniform(rng);
    double *sd = malloc(n * sizeof(double)), *q = malloc(n * NLEV * sizeof(double));
    ck_assert_int_eq(gmoe_model_predict_sd(m, data, sd, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_model_predict_quantiles(m, data, levels, NLEV, q, &err), GMOE_SUCCESS);
    for (size_t i = 0; i < n; i += 97) {
        double x[2] = {data->x[i], data->x[n + i]}, s1, q1[NLEV];
        gmoe_data *one = one_row(x, 2);
        gmoe_model_predict_sd(m, one, &s1, &err);
        gmoe_model_predict_quantiles(m, one, levels, NLEV, q1, &err);
        ck_assert_close(sd[i], s1, 0, 0, "sd row");
        for (size_t l = 0; l < NLEV; l++)
            ck_assert_close(q[i * NLEV + l], q1[l], 0, 0, "quantile row");
        gmoe_data_free(one);
    }
    free(sd);
    free(q);
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

static Suite *predict_suite(void)
{
    Suite *s = suite_create("predict");
    TCase *tc = tcase_create("sd-quantiles");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_sd_brute_force, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_monte_carlo, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_quantiles_brute_force, 0, TEST_NFAM);
    tcase_add_test(tc, test_quantiles_single_expert);
    tcase_add_test(tc, test_quantiles_symmetric);
    tcase_add_test(tc, test_predict_errors);
    tcase_add_test(tc, test_blocks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(predict_suite());
}
