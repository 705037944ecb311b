/* Simulation: reproducibility, designs of x, the distribution of y | x, task seeds.
 *
 * Distributional checks use fixed seeds, so they are deterministic; their thresholds are
 * those of proper tests: Kolmogorov-Smirnov at alpha = 0.001 (asymptotic critical value
 * sqrt(-log(alpha / 2) / 2) / sqrt(n)) and moments within 4 standard errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "testutil.h"

#define KS_C001 1.9494746844 /* sqrt(-log(0.0005) / 2) */

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

typedef double (*cdf_fn)(double y, const void *ctx);

/* Kolmogorov-Smirnov statistic of the sample v (sorted in place) against cdf. */
static double ks_stat(double *v, size_t n, cdf_fn cdf, const void *ctx)
{
    qsort(v, n, sizeof *v, cmp_double);
    double D = 0;
    for (size_t i = 0; i < n; i++) {
        double F = cdf(v[i], ctx);
        D = fmax(D, fmax(F - (double)i / (double)n, (double)(i + 1) / (double)n - F));
    }
    return D;
}

static void check_ks(double *v, size_t n, cdf_fn cdf, const void *ctx, const char *what)
{
    double D = ks_stat(v, n, cdf, ctx), crit = KS_C001 / sqrt((double)n);
    ck_assert_msg(D < crit, "%s: KS statistic %g >= critical value %g (alpha = 0.001, n = %zu)",
                  what, D, crit, n);
}

/* The sample mean and variance of v are within 4 standard errors of mean and var; mu4 is
 * the fourth central moment (for the standard error of the variance). */
static void check_moments(const double *v, size_t n, double mean, double var, double mu4,
                          const char *what)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    double mbar = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - mbar) * (v[i] - mbar);
    double s2 = ss / (double)(n - 1);
    double se_m = sqrt(var / (double)n), se_v = sqrt((mu4 - var * var) / (double)n);
    ck_assert_msg(fabs(mbar - mean) < 4 * se_m, "%s: mean %.6g, expected %.6g (se %.3g)", what,
                  mbar, mean, se_m);
    ck_assert_msg(fabs(s2 - var) < 4 * se_v, "%s: variance %.6g, expected %.6g (se %.3g)", what, s2,
                  var, se_v);
}

/* ------------------------------------------------------------------ y | x */

/* The mixture at one x, from the naive gate. */
typedef struct mix {
    size_t k;
    double w[TEST_KMAX], mu[TEST_KMAX], sd[TEST_KMAX];
} mix;

static mix mix_at(const test_params *p, const double *x)
{
    mix mx = {.k = p->k};
    test_naive_gate(p, x, mx.w);
    for (size_t j = 0; j < p->k; j++) {
        mx.mu[j] = test_expert_mean(p, j, x);
        mx.sd[j] = sqrt(p->var[j]);
    }
    return mx;
}

static double mix_cdf(double y, const void *ctx)
{
    const mix *mx = ctx;
    double F = 0;
    for (size_t j = 0; j < mx->k; j++)
        F += mx->w[j] * gsl_cdf_gaussian_P(y - mx->mu[j], mx->sd[j]);
    return F;
}

/* A sample v (sorted in place) of a one-dimensional normal mixture: mean and variance within
 * 4 standard errors, KS on the CDF. */
static void check_mix_sample(double *v, size_t n, const mix *mx, const char *what)
{
    double mean = 0, var = 0, mu4 = 0;
    for (size_t j = 0; j < mx->k; j++)
        mean += mx->w[j] * mx->mu[j];
    for (size_t j = 0; j < mx->k; j++) {
        double dl = mx->mu[j] - mean, s2 = mx->sd[j] * mx->sd[j];
        var += mx->w[j] * (s2 + dl * dl);
        mu4 += mx->w[j] * (dl * dl * dl * dl + 6 * dl * dl * s2 + 3 * s2 * s2);
    }
    check_moments(v, n, mean, var, mu4, what);
    check_ks(v, n, mix_cdf, mx, what);
}

/* Draw n values of y at a fixed x with gmoe_sim_y and test them against the mixture: KS on
 * the CDF, mean and variance within 4 standard errors. */
static void check_y_at(const gmoe_model *m, const test_params *p, const double *x, size_t n,
                       unsigned long seed, const char *what)
{
    size_t d = p->d;
    gmoe_data *data = gmoe_data_alloc(n, d, 1);
    for (size_t t = 0; t < d; t++)
        for (size_t i = 0; i < n; i++)
            data->x[t * n + i] = x[t];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    gmoe_error err = {0};
    ck_assert_msg(gmoe_sim_y(m, rng, data, &err) == GMOE_SUCCESS, "%s: %s", what, err.msg);
    mix mx = mix_at(p, x);
    check_mix_sample(data->y, n, &mx, what);
    gsl_rng_free(rng);
    gmoe_data_free(data);
}

/* The published softmax truth, written out here independently of test_softmax_truth. */
static void truth_params(test_params *p)
{
    test_params_init(p, &test_families[0], 2, 1);
    p->beta0[0] = -8, p->beta1[0][0] = 25, p->a[0][0] = -20, p->b[0] = 15, p->var[0] = 0.09;
    p->beta0[1] = 0, p->beta1[1][0] = 0, p->a[1][0] = 20, p->b[1] = -5, p->var[1] = 0.16;
}

START_TEST(test_sim_y_truth)
{
    static const double xs[] = {0.0, 0.1, 0.32, 0.5, 0.9};
    test_params p;
    truth_params(&p);
    gmoe_model *m = test_softmax_truth();
    for (size_t ix = 0; ix < sizeof xs / sizeof xs[0]; ix++) {
        char what[64];
        snprintf(what, sizeof what, "softmax truth at x = %g", xs[ix]);
        check_y_at(m, &p, &xs[ix], 20000, 11 + ix, what);
    }
    gmoe_model_free(m);
}
END_TEST

/* Top-K (k = 3, K = 2, d = 1): the selection flips with the sign of x; the unselected expert,
 * whose mean lies far from the others, must never be drawn. */
START_TEST(test_sim_y_topk)
{
    static const double xs[] = {-1.0, -0.2, 0.3, 1.0};
    for (int s = 0; s < 2; s++) {
        test_params p;
        test_params_init(&p, &test_families[1 + s], 3, 1);
        p.K = 2;
        const double b1[3] = {2, 0.5, -1.5}, b0[3] = {0.2, 0, -0.3};
        const double a[3] = {1, -2, 0.5}, b[3] = {-10, 0, 10}, v[3] = {0.5, 1, 0.3};
        for (size_t j = 0; j < 3; j++) {
            p.beta1[j][0] = b1[j], p.beta0[j] = b0[j], p.a[j][0] = a[j];
            p.b[j] = b[j], p.var[j] = v[j];
        }
        gmoe_model *m = test_params_model(&p);
        for (size_t ix = 0; ix < sizeof xs / sizeof xs[0]; ix++) {
            char what[64];
            snprintf(what, sizeof what, "%s at x = %g", p.fam.name, xs[ix]);
            check_y_at(m, &p, &xs[ix], 20000, 21 + ix, what);
        }
        gmoe_model_free(m);
    }
}
END_TEST

/* Every family with d = 2 (random parameters, k = 3) at two points. */
START_TEST(test_sim_y_family)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31 + (unsigned long)_i);
    test_params p;
    test_params_random(&p, fam, 3, 2, rng);
    gmoe_model *m = test_params_model(&p);
    for (int pt = 0; pt < 2; pt++) {
        double x[2];
        char what[64];
        test_random_x(rng, 2, x);
        snprintf(what, sizeof what, "%s d=2 at (%.3g, %.3g)", fam->name, x[0], x[1]);
        check_y_at(m, &p, x, 20000, 41 + (unsigned long)(10 * _i + pt), what);
    }
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* Over a whole simulated data set (x varying), the probability integral transform
 * u_i = F(y_i | x_i) is uniform: this also checks that each y_i goes with its own x_i. */
static void check_pit(const gmoe_data *data, const test_params *p, const char *what)
{
    size_t n = data->n;
    double *u = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        double x[TEST_DMAX];
        gmoe_data_row(data, i, x);
        mix mx = mix_at(p, x);
        u[i] = mix_cdf(data->y[i], &mx);
    }
    double D = 0;
    qsort(u, n, sizeof *u, cmp_double);
    for (size_t i = 0; i < n; i++)
        D = fmax(D, fmax(u[i] - (double)i / (double)n, (double)(i + 1) / (double)n - u[i]));
    ck_assert_msg(D < KS_C001 / sqrt((double)n), "%s: PIT KS statistic %g", what, D);
    free(u);
}

START_TEST(test_sim_data_pit)
{
    test_params p;
    truth_params(&p);
    gmoe_model *m = test_softmax_truth();
    gmoe_design grid = {GMOE_DESIGN_GRID, 0, 1, NULL}, unif = gmoe_design_default();
    gmoe_data *data;
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_sim_data(m, &grid, 50001, 5, &data, &err), GMOE_SUCCESS);
    check_pit(data, &p, "truth, grid design");
    gmoe_data_free(data);
    ck_assert_int_eq(gmoe_sim_data(m, &unif, 50000, 6, &data, &err), GMOE_SUCCESS);
    check_pit(data, &p, "truth, uniform design");
    gmoe_data_free(data);
    gmoe_model_free(m);

    /* a d = 2 Gaussian-gated model over a normal design */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    test_params_random(&p, &test_families[TEST_NFAM - 1], 3, 2, rng);
    m = test_params_model(&p);
    gmoe_design norm = {GMOE_DESIGN_NORMAL, 0.2, 1.1, NULL};
    ck_assert_int_eq(gmoe_sim_data(m, &norm, 50000, 8, &data, &err), GMOE_SUCCESS);
    check_pit(data, &p, "gaussian gate, normal design");
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* ------------------------------------------------------------------ reproducibility */

static int same_data(const gmoe_data *u, const gmoe_data *v)
{
    return u->n == v->n && u->d == v->d && memcmp(u->x, v->x, u->n * u->d * sizeof(double)) == 0 &&
           memcmp(u->y, v->y, u->n * sizeof(double)) == 0;
}

START_TEST(test_sim_reproducible)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 51 + (unsigned long)_i);
    test_params p;
    test_params_random(&p, fam, 3, 2, rng);
    gmoe_model *m = test_params_model(&p);
    gmoe_design des = {GMOE_DESIGN_NORMAL, 0, 1, NULL};
    gmoe_data *d1, *d2, *d3;
    gmoe_error err = {0};
    size_t n = 1000;
    ck_assert_int_eq(gmoe_sim_data(m, &des, n, 42, &d1, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_sim_data(m, &des, n, 42, &d2, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_sim_data(m, &des, n, 43, &d3, &err), GMOE_SUCCESS);
    ck_assert_msg(same_data(d1, d2), "%s: same seed, different data", fam->name);
    size_t diff_x = 0, diff_y = 0;
    for (size_t i = 0; i < n; i++) {
        diff_y += d1->y[i] != d3->y[i];
        for (size_t t = 0; t < 2; t++)
            diff_x += d1->x[t * n + i] != d3->x[t * n + i];
    }
    ck_assert_msg(diff_x == 2 * n && diff_y == n, "%s: seeds 42 and 43 share values", fam->name);

    /* As documented: a fresh MT19937 seeded with seed, all of x, then all of y. */
    gmoe_data *d4 = gmoe_data_alloc(n, 2, 1);
    gsl_rng_set(rng, 42);
    ck_assert_int_eq(gmoe_sim_x(&des, rng, d4, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_sim_y(m, rng, d4, &err), GMOE_SUCCESS);
    ck_assert_msg(same_data(d1, d4), "%s: sim_data differs from sim_x + sim_y", fam->name);
    gmoe_data_free(d1);
    gmoe_data_free(d2);
    gmoe_data_free(d3);
    gmoe_data_free(d4);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* Many different seeds give pairwise different data. */
START_TEST(test_sim_seeds_differ)
{
    gmoe_model *m = test_softmax_truth();
    gmoe_design des = gmoe_design_default();
    double first[20];
    for (unsigned long s = 1; s <= 20; s++) {
        gmoe_data *data;
        ck_assert_int_eq(gmoe_sim_data(m, &des, 3, s, &data, NULL), GMOE_SUCCESS);
        first[s - 1] = data->y[0];
        gmoe_data_free(data);
    }
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < i; j++)
            ck_assert_msg(first[i] != first[j], "seeds %d and %d give the same y", i + 1, j + 1);
    gmoe_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ designs */

/* Grid values are exactly (i-1)/(n-1) on [0, 1] (the published code's design), both ends
 * are exactly lo and hi, and the grid is strictly increasing and equispaced to rounding. */
START_TEST(test_sim_grid)
{
    static const size_t ns[] = {2, 3, 11, 1000, 1001};
    static const double ends[][2] = {{0, 1}, {-1, 1}, {0.1, 0.7}, {-3.3, 2.9}, {1e-3, 1e3}};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
        size_t n = ns[in];
        for (size_t ie = 0; ie < sizeof ends / sizeof ends[0]; ie++) {
            double lo = ends[ie][0], hi = ends[ie][1];
            gmoe_design des = {GMOE_DESIGN_GRID, lo, hi, NULL};
            gmoe_data *data = gmoe_data_alloc(n, 1, 0);
            ck_assert_int_eq(gmoe_sim_x(&des, rng, data, NULL), GMOE_SUCCESS);
            ck_assert_msg(data->x[0] == lo, "grid [%g, %g] n=%zu: x_1 = %.17g", lo, hi, n,
                          data->x[0]);
            ck_assert_msg(data->x[n - 1] == hi, "grid [%g, %g] n=%zu: x_n = %.17g", lo, hi, n,
                          data->x[n - 1]);
            for (size_t i = 0; i < n; i++) {
                long double exact = (long double)lo + (long double)i *
                                                          ((long double)hi - (long double)lo) /
                                                          (long double)(n - 1);
                ck_assert_close(data->x[i], (double)exact, 4.5e-16 * (fabs(lo) + fabs(hi)), 0,
                                "grid");
                if (lo == 0 && hi == 1)
                    ck_assert_msg(data->x[i] == (double)i / (double)(n - 1),
                                  "grid n=%zu: x[%zu] = %.17g", n, i, data->x[i]);
                if (i) ck_assert(data->x[i] > data->x[i - 1]);
            }
            gmoe_data_free(data);
        }
    }
    /* n = 1: the midpoint; d = 2: refused */
    gmoe_design des = {GMOE_DESIGN_GRID, -1, 3, NULL};
    gmoe_data *one = gmoe_data_alloc(1, 1, 0), *two = gmoe_data_alloc(5, 2, 0);
    ck_assert_int_eq(gmoe_sim_x(&des, rng, one, NULL), GMOE_SUCCESS);
    ck_assert_double_eq(one->x[0], 1.0);
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_sim_x(&des, rng, two, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "grid"));
    gmoe_data_free(one);
    gmoe_data_free(two);
    gsl_rng_free(rng);
}
END_TEST

typedef struct uni_ctx {
    double lo, hi;
} uni_ctx;

static double uni_cdf(double x, const void *ctx)
{
    const uni_ctx *u = ctx;
    return x <= u->lo ? 0 : x >= u->hi ? 1 : (x - u->lo) / (u->hi - u->lo);
}

static double norm_cdf(double x, const void *ctx)
{
    const uni_ctx *u = ctx; /* (mean, sd) */
    return gsl_cdf_gaussian_P(x - u->lo, u->hi);
}

/* Each column of a uniform or normal design: range, mean and variance within 4 standard
 * errors, KS against the target distribution; columns are uncorrelated. */
START_TEST(test_sim_design_moments)
{
    size_t n = 100000, d = 3;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 61);
    for (int kind = 0; kind < 2; kind++) {
        double p1 = kind ? 1.5 : -2, p2 = kind ? 0.7 : 5;
        gmoe_design des = {kind ? GMOE_DESIGN_NORMAL : GMOE_DESIGN_UNIFORM, p1, p2, NULL};
        gmoe_data *data = gmoe_data_alloc(n, d, 0);
        ck_assert_int_eq(gmoe_sim_x(&des, rng, data, NULL), GMOE_SUCCESS);
        double mean, var, mu4;
        if (kind) {
            mean = p1, var = p2 * p2, mu4 = 3 * var * var;
        } else {
            double w = p2 - p1;
            mean = (p1 + p2) / 2, var = w * w / 12, mu4 = w * w * w * w / 80;
        }
        for (size_t t = 0; t < d; t++) {
            double *col = data->x + t * n;
            char what[64];
            snprintf(what, sizeof what, "%s column %zu", gmoe_design_name(des.kind), t);
            if (!kind)
                for (size_t i = 0; i < n; i++)
                    ck_assert_msg(col[i] >= p1 && col[i] < p2, "%s: %g out of range", what, col[i]);
            check_moments(col, n, mean, var, mu4, what);
        }
        /* correlation of columns 0 and 1 (before sorting) */
        double s01 = 0;
        for (size_t i = 0; i < n; i++)
            s01 += (data->x[i] - mean) * (data->x[n + i] - mean);
        ck_assert_msg(fabs(s01 / (double)n / var) < 4 / sqrt((double)n), "columns correlated");
        uni_ctx ctx = {p1, p2};
        for (size_t t = 0; t < d; t++)
            check_ks(data->x + t * n, n, kind ? norm_cdf : uni_cdf, &ctx,
                     gmoe_design_name(des.kind));
        gmoe_data_free(data);
    }
    gsl_rng_free(rng);
}
END_TEST

/* The gate design, k = 1..3 components in d = 1..3: every projection u'x on the axes and on
 * the diagonals (e_s +- e_t) / sqrt 2 is the normal mixture with weights pi (normalised),
 * means u'c_j and variances u'Gamma_j u; the diagonals check the covariances. */
START_TEST(test_sim_design_gate)
{
    size_t n = 50000;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t k = 1; k <= 3; k++)
        for (size_t d = 1; d <= 3; d++) {
            test_params p;
            gsl_rng_set(rng, 70 + 10 * k + d);
            test_params_random(&p, &test_families[TEST_NFAM - 1], k, d, rng);
            gmoe_model *m = test_params_model(&p);
            gmoe_design des = {GMOE_DESIGN_GATE, 0, 0, m};
            gmoe_data *data = gmoe_data_alloc(n, d, 0);
            gmoe_error err = {0};
            ck_assert_msg(gmoe_sim_x(&des, rng, data, &err) == GMOE_SUCCESS, "%s", err.msg);
            double *proj = malloc(n * sizeof(double)), tot = 0;
            for (size_t j = 0; j < k; j++)
                tot += p.pi[j];
            for (size_t s = 0; s < d; s++)
                for (size_t t = s; t < d; t++)
                    for (int sign = 1; sign >= (t > s ? -1 : 1); sign -= 2) {
                        double u[TEST_DMAX] = {0};
                        u[s] = t > s ? M_SQRT1_2 : 1;
                        if (t > s) u[t] = sign * M_SQRT1_2;
                        mix mx = {.k = k};
                        for (size_t j = 0; j < k; j++) {
                            double q = 0;
                            for (size_t a = 0; a < d; a++)
                                for (size_t b = 0; b < d; b++)
                                    q += u[a] * p.Gamma[j][a * d + b] * u[b];
                            mx.w[j] = p.pi[j] / tot;
                            mx.mu[j] = test_dot(u, p.c[j], d);
                            mx.sd[j] = sqrt(q);
                        }
                        for (size_t i = 0; i < n; i++) {
                            double x[TEST_DMAX];
                            gmoe_data_row(data, i, x);
                            proj[i] = test_dot(u, x, d);
                        }
                        char what[96];
                        snprintf(what, sizeof what, "gate design k=%zu d=%zu, u on (%zu, %zu, %+d)",
                                 k, d, s, t, sign);
                        check_mix_sample(proj, n, &mx, what);
                    }
            free(proj);
            gmoe_data_free(data);
            gmoe_model_free(m);
        }
    gsl_rng_free(rng);
}
END_TEST

/* gmoe_sim_data with the gate design and no model draws x from the simulated model's gate,
 * in the documented order (all of x, then all of y, one generator). */
START_TEST(test_sim_design_gate_data)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 91);
    test_params p;
    test_params_random(&p, &test_families[TEST_NFAM - 1], 3, 2, rng);
    gmoe_model *m = test_params_model(&p);
    gmoe_design own = {GMOE_DESIGN_GATE, 0, 0, NULL}, set = {GMOE_DESIGN_GATE, 0, 0, m};
    gmoe_data *d1, *d2 = gmoe_data_alloc(2000, 2, 1);
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_sim_data(m, &own, 2000, 42, &d1, &err), GMOE_SUCCESS);
    gsl_rng_set(rng, 42);
    ck_assert_int_eq(gmoe_sim_x(&set, rng, d2, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_sim_y(m, rng, d2, &err), GMOE_SUCCESS);
    ck_assert_msg(same_data(d1, d2), "sim_data differs from sim_x + sim_y");
    check_pit(d1, &p, "gaussian gate, gate design");
    gmoe_data_free(d1);
    gmoe_data_free(d2);

    /* refused: no model for gmoe_sim_x, a model of another family, another d */
    gmoe_data *x1 = gmoe_data_alloc(10, 1, 0), *x2 = gmoe_data_alloc(10, 2, 0);
    ck_assert_int_eq(gmoe_sim_x(&own, rng, x2, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "design gate: no model to draw x from");
    ck_assert_int_eq(gmoe_sim_x(&set, rng, x1, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "design gate: the gate's model has d = 2, the data d = 1");
    gmoe_model *sm = test_softmax_truth();
    d1 = NULL;
    ck_assert_int_eq(gmoe_sim_data(sm, &own, 10, 1, &d1, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "design gate: x is drawn from a Gaussian gate's mixture, but the "
                              "model has a softmax gate");
    ck_assert_ptr_null(d1);
    gmoe_data_free(x1);
    gmoe_data_free(x2);
    gmoe_model_free(sm);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

START_TEST(test_sim_design_names)
{
    for (int k = 0; k < 4; k++) {
        gmoe_design_kind out;
        ck_assert_int_eq(gmoe_design_parse(gmoe_design_name((gmoe_design_kind)k), &out),
                         GMOE_SUCCESS);
        ck_assert_int_eq(out, k);
    }
    gmoe_design_kind out;
    ck_assert_int_eq(gmoe_design_parse("gird", &out), GMOE_EINVAL);
    gmoe_design def = gmoe_design_default();
    ck_assert(def.kind == GMOE_DESIGN_UNIFORM && def.p1 == 0 && def.p2 == 1);
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(test_sim_errors)
{
    gmoe_model *m = test_softmax_truth();
    gmoe_design des = gmoe_design_default();
    gmoe_data dummy = {0}, *data = &dummy; /* must be reset to NULL on failure */
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_sim_data(m, &des, 0, 1, &data, &err), GMOE_EINVAL);
    ck_assert_ptr_null(data);

    static const gmoe_design bad[] = {
        {GMOE_DESIGN_UNIFORM, 1, 1, NULL}, {GMOE_DESIGN_UNIFORM, 2, 1, NULL},
        {GMOE_DESIGN_GRID, 0, NAN, NULL},  {GMOE_DESIGN_NORMAL, 0, 0, NULL},
        {GMOE_DESIGN_NORMAL, 0, -1, NULL}, {GMOE_DESIGN_NORMAL, INFINITY, 1, NULL},
        {(gmoe_design_kind)7, 0, 1, NULL}};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        ck_assert_int_eq(gmoe_design_validate(&bad[b], 1, &err), GMOE_EINVAL);
        ck_assert_int_eq(gmoe_sim_data(m, &bad[b], 10, 1, &data, &err), GMOE_EINVAL);
        ck_assert_ptr_null(data);
    }

    double v = -1, b1 = 0, a = 1;
    gmoe_model_set_expert(m, 1, 0, &b1, &a, 0, v);
    ck_assert_int_eq(gmoe_sim_data(m, &des, 10, 1, &data, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "var"));
    ck_assert_ptr_null(data);
    gmoe_model_free(m);

    m = test_softmax_truth();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gmoe_data *noy = gmoe_data_alloc(5, 1, 0), *d2 = gmoe_data_alloc(5, 2, 1);
    ck_assert_int_eq(gmoe_sim_y(m, rng, noy, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_sim_y(m, rng, d2, &err), GMOE_EDIM);
    gmoe_data_free(noy);
    gmoe_data_free(d2);
    gsl_rng_free(rng);
    gmoe_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ task seeds */

static int cmp_ulong(const void *a, const void *b)
{
    unsigned long u = *(const unsigned long *)a, v = *(const unsigned long *)b;
    return (u > v) - (u < v);
}

/* Deterministic, never 0, and distinct over a grid of (seed, a, b) that includes the
 * permutations of small values, 0 and the largest 64-bit value. */
START_TEST(test_sim_seed)
{
    static const uint64_t vals[] = {
        0, 1, 2, 3, 7, 42, 1000, 65536, 0xffffffffULL, 0x100000000ULL, UINT64_MAX};
    enum { NV = sizeof vals / sizeof vals[0] };
    static unsigned long all[NV * NV * NV];
    size_t c = 0;
    for (size_t s = 0; s < NV; s++)
        for (size_t a = 0; a < NV; a++)
            for (size_t b = 0; b < NV; b++) {
                unsigned long h = gmoe_sim_seed(vals[s], vals[a], vals[b]);
                ck_assert_msg(h != 0, "seed(%zu, %zu, %zu) = 0", s, a, b);
                ck_assert_uint_eq(h, gmoe_sim_seed(vals[s], vals[a], vals[b]));
                all[c++] = h;
            }
    qsort(all, c, sizeof all[0], cmp_ulong);
    for (size_t i = 1; i < c; i++)
        ck_assert_msg(all[i] != all[i - 1], "two (seed, a, b) share the task seed %lu", all[i]);
    /* task seeds give different data */
    gmoe_model *m = test_softmax_truth();
    gmoe_design des = gmoe_design_default();
    gmoe_data *u, *v;
    ck_assert_int_eq(gmoe_sim_data(m, &des, 5, gmoe_sim_seed(1, 100, 1), &u, NULL), 0);
    ck_assert_int_eq(gmoe_sim_data(m, &des, 5, gmoe_sim_seed(1, 100, 2), &v, NULL), 0);
    ck_assert(u->x[0] != v->x[0] && u->y[0] != v->y[0]);
    gmoe_data_free(u);
    gmoe_data_free(v);
    gmoe_model_free(m);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("distribution");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sim_y_truth);
    tcase_add_test(tc, test_sim_y_topk);
    tcase_add_loop_test(tc, test_sim_y_family, 0, TEST_NFAM);
    tcase_add_test(tc, test_sim_data_pit);
    suite_add_tcase(s, tc);
    tc = tcase_create("reproducibility");
    tcase_add_loop_test(tc, test_sim_reproducible, 0, TEST_NFAM);
    tcase_add_test(tc, test_sim_seeds_differ);
    tcase_add_test(tc, test_sim_seed);
    suite_add_tcase(s, tc);
    tc = tcase_create("design");
    tcase_add_test(tc, test_sim_grid);
    tcase_add_test(tc, test_sim_design_moments);
    tcase_add_test(tc, test_sim_design_gate);
    tcase_add_test(tc, test_sim_design_gate_data);
    tcase_add_test(tc, test_sim_design_names);
    tcase_add_test(tc, test_sim_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(sim_suite());
}
