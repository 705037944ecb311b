/* Convergence rates (gmoe_rate) and results files (gmoe_results).
 *
 * The synthetic sweeps draw values c n^slope exp(sigma Z), Z standard normal: the mean at each
 * n is c exp(sigma^2 / 2) n^slope, so the slope of log(mean) on log(n) is `slope` exactly in
 * expectation. The least-squares check recomputes the fit from the textbook sums. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_cdf.h>
#include "testutil.h"

typedef struct sweep {
    size_t m;
    double *n, *v;
} sweep;

static double grid_size(size_t g, size_t sizes)
{
    return round(100 * pow(1000, (double)g / (double)(sizes - 1))); /* 1e2 .. 1e5 */
}

/* reps replicates at each of `sizes` sizes, rows in replicate-major order (not sorted by n). */
static sweep power_law(size_t sizes, size_t reps, double c, double slope, double sigma,
                       unsigned long seed)
{
    sweep s = {sizes * reps, malloc(sizes * reps * sizeof(double)),
               malloc(sizes * reps * sizeof(double))};
    ck_assert_ptr_nonnull(s.n);
    ck_assert_ptr_nonnull(s.v);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    size_t i = 0;
    for (size_t r = 0; r < reps; r++)
        for (size_t g = 0; g < sizes; g++, i++) {
            s.n[i] = grid_size(g, sizes);
            s.v[i] = c * pow(s.n[i], slope) * (sigma > 0 ? exp(gsl_ran_gaussian(rng, sigma)) : 1);
        }
    gsl_rng_free(rng);
    return s;
}

static void sweep_free(sweep *s)
{
    free(s->n);
    free(s->v);
}

static gmoe_rate_result estimate_ok(const sweep *s, const gmoe_rate_params *p)
{
    gmoe_rate_result res;
    gmoe_error err = {0};
    int rc = gmoe_rate_estimate(s->n, s->v, s->m, p, &res, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "gmoe_rate_estimate: %s", err.msg);
    return res;
}

/* ------------------------------------------------------------------ estimates */

START_TEST(test_defaults)
{
    gmoe_rate_params p = gmoe_rate_default_parameters();
    ck_assert_uint_eq(p.bootstrap, 1000);
    ck_assert_uint_eq(p.trim, 0);
    ck_assert_double_eq(p.level, 0.95);
}
END_TEST

START_TEST(test_known_slope)
{
    sweep s = power_law(30, 40, 2.0, -0.5, 0.5, 11);
    gmoe_rate_result res = estimate_ok(&s, NULL);
    ck_assert_uint_eq(res.points, 30);
    ck_assert_uint_eq(res.ngroups, 30);
    ck_assert_uint_eq(res.rows, 1200);
    ck_assert_uint_eq(res.skipped, 0);
    ck_assert_uint_eq(res.nonpositive, 0);
    ck_assert_uint_eq(res.boot_used, 1000);
    ck_assert_double_eq(res.n_min, 100);
    ck_assert_double_eq(res.n_max, 1e5);
    ck_assert_close(res.slope, -0.5, 0.03, 0, "slope");
    ck_assert_msg(res.ci[0] < -0.5 && -0.5 < res.ci[1], "bootstrap [%g, %g] misses -0.5", res.ci[0],
                  res.ci[1]);
    ck_assert_msg(res.ci_ols[0] < -0.5 && -0.5 < res.ci_ols[1], "OLS [%g, %g] misses -0.5",
                  res.ci_ols[0], res.ci_ols[1]);
    ck_assert(res.ci[0] < res.slope && res.slope < res.ci[1]);
    /* exp(sigma Z) has median 1 and mean exp(sigma^2/2): both fits have the same slope. */
    ck_assert_close(res.slope_median, -0.5, 0.03, 0, "median slope");
    ck_assert_close(res.intercept, log(2.0) + 0.125, 0.1, 0, "intercept");
    gmoe_rate_result_free(&res);
    sweep_free(&s);
}
END_TEST

/* The bootstrap interval covers the true slope in about 95 % of sweeps. */
START_TEST(test_coverage)
{
    gmoe_rate_params p = gmoe_rate_default_parameters();
    p.bootstrap = 400;
    int covered = 0, trials = 100;
    for (int t = 0; t < trials; t++) {
        sweep s = power_law(30, 40, 1.0, -0.5, 0.5, 1000 + (unsigned long)t);
        gmoe_rate_result res = estimate_ok(&s, &p);
        covered += res.ci[0] <= -0.5 && -0.5 <= res.ci[1];
        gmoe_rate_result_free(&res);
        sweep_free(&s);
    }
    /* 95 % of 100: standard deviation 2.2, so 85 is more than 4 below. */
    ck_assert_msg(covered >= 85, "coverage %d of %d", covered, trials);
}
END_TEST

START_TEST(test_interval_shrinks)
{
    double width[2];
    size_t reps[2] = {10, 160};
    for (int k = 0; k < 2; k++) {
        sweep s = power_law(30, reps[k], 1.0, -0.5, 0.5, 5);
        gmoe_rate_result res = estimate_ok(&s, NULL);
        width[k] = res.ci[1] - res.ci[0];
        gmoe_rate_result_free(&res);
        sweep_free(&s);
    }
    /* 16 times the replicates: about a quarter of the width. */
    ck_assert_msg(width[1] < 0.5 * width[0] && width[1] > 0.1 * width[0],
                  "width %g with 10 replicates, %g with 160", width[0], width[1]);
}
END_TEST

START_TEST(test_exact)
{
    sweep s = power_law(30, 40, 3.0, -0.75, 0, 1);
    gmoe_rate_result res = estimate_ok(&s, NULL);
    ck_assert_close(res.slope, -0.75, 1e-12, 0, "slope");
    ck_assert_close(res.intercept, log(3.0), 1e-10, 0, "intercept");
    ck_assert_close(res.slope_median, -0.75, 1e-12, 0, "median slope");
    ck_assert_double_eq(res.ci[0], res.ci[1]); /* every resample is the data itself */
    ck_assert_close(res.ci[0], -0.75, 1e-12, 0, "ci");
    ck_assert_msg(res.se < 1e-12, "se %g", res.se);
    ck_assert_close(res.ci_ols[1] - res.ci_ols[0], 0, 1e-10, 0, "OLS width");
    for (size_t t = 0; t < res.ntrimmed; t++)
        ck_assert_close(res.trimmed[t].slope, -0.75, 1e-12, 0, "trimmed slope");
    gmoe_rate_result_free(&res);
    sweep_free(&s);
}
END_TEST

/* Three replicates {0, n^-1, 3 n^-0.5 - n^-1}: the mean is n^-0.5, the median n^-1. */
START_TEST(test_median)
{
    double n[60], v[60];
    for (size_t g = 0; g < 20; g++) {
        double m = grid_size(g, 20);
        double vals[3] = {0, 1 / m, 3 / sqrt(m) - 1 / m};
        for (size_t r = 0; r < 3; r++) {
            n[3 * g + r] = m;
            v[3 * g + r] = vals[(r + g) % 3];
        }
    }
    gmoe_rate_result res;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, 60, NULL, &res, NULL), GMOE_SUCCESS);
    ck_assert_close(res.slope, -0.5, 1e-12, 0, "mean slope");
    ck_assert_close(res.slope_median, -1, 1e-12, 0, "median slope");
    ck_assert_uint_eq(res.points_median, 20);
    ck_assert_close(res.groups[4].median, 1 / grid_size(4, 20), 0, 1e-15, "median");
    ck_assert_close(res.groups[4].mean, 1 / sqrt(grid_size(4, 20)), 0, 1e-14, "mean");
    gmoe_rate_result_free(&res);
}
END_TEST

/* A bent power law: n^-1 on the 10 smallest of 20 sizes, then c n^-0.5 (continuous). */
START_TEST(test_trim)
{
    double n[20], v[20], n10 = grid_size(10, 20);
    for (size_t g = 0; g < 20; g++) {
        n[g] = grid_size(g, 20);
        v[g] = g < 10 ? 1 / n[g] : pow(n[g] / n10, -0.5) / n10;
    }
    gmoe_rate_params p = gmoe_rate_default_parameters();
    p.trim = 12;
    p.bootstrap = 0;
    gmoe_rate_result res;
    gmoe_error err;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, 20, &p, &res, &err), GMOE_SUCCESS);
    ck_assert(isnan(res.ci[0]) && isnan(res.ci[1]) && res.boot_used == 0);
    ck_assert(res.slope < -0.5 && res.slope > -1);
    ck_assert_uint_eq(res.ntrimmed, 3);
    size_t want_trim[3] = {12, 5, 10};
    for (size_t t = 0; t < 3; t++) {
        ck_assert_uint_eq(res.trimmed[t].trim, want_trim[t]);
        ck_assert_uint_eq(res.trimmed[t].points, 20 - want_trim[t]);
        ck_assert_double_eq(res.trimmed[t].n_min, n[want_trim[t]]);
    }
    ck_assert_close(res.trimmed[0].slope, -0.5, 1e-12, 0, "trim 12");
    ck_assert_close(res.trimmed[2].slope, -0.5, 1e-12, 0, "trim 50 %");
    ck_assert_msg(res.trimmed[1].slope < -0.5 && res.trimmed[1].slope > res.slope,
                  "trim 25 %%: %g (full %g)", res.trimmed[1].slope, res.slope);
    gmoe_rate_result_free(&res);

    p.trim = 19;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, 20, &p, &res, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "trim 19 leaves fewer than 2 of the 20 sizes");
    ck_assert_ptr_null(res.groups);

    /* Two sizes: the 50 % trim leaves one, which has no slope. */
    p.trim = 0;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, 2, &p, &res, &err), GMOE_SUCCESS);
    ck_assert_uint_eq(res.ntrimmed, 2);
    ck_assert_uint_eq(res.trimmed[0].trim, 0);
    ck_assert(isnan(res.trimmed[1].slope) && res.trimmed[1].points == 1);
    ck_assert(isnan(res.se) && isnan(res.ci_ols[0]));
    gmoe_rate_result_free(&res);
}
END_TEST

/* Slope, intercept, standard error and t-interval from the textbook sums. */
START_TEST(test_ols_direct)
{
    size_t sizes = 30, reps = 40;
    sweep s = power_law(sizes, reps, 1.5, -0.4, 0.8, 77);
    gmoe_rate_result res = estimate_ok(&s, NULL);
    double x[30], y[30], sx = 0, sy = 0;
    for (size_t g = 0; g < sizes; g++) {
        double sum = 0;
        for (size_t r = 0; r < reps; r++)
            sum += s.v[r * sizes + g];
        x[g] = log(grid_size(g, sizes));
        y[g] = log(sum / (double)reps);
        sx += x[g];
        sy += y[g];
        ck_assert_close(res.groups[g].mean, sum / (double)reps, 0, 1e-13, "group mean");
    }
    double xb = sx / (double)sizes, yb = sy / (double)sizes, sxx = 0, sxy = 0, sse = 0;
    for (size_t g = 0; g < sizes; g++) {
        sxx += (x[g] - xb) * (x[g] - xb);
        sxy += (x[g] - xb) * (y[g] - yb);
    }
    double b1 = sxy / sxx, b0 = yb - b1 * xb;
    for (size_t g = 0; g < sizes; g++)
        sse += (y[g] - b0 - b1 * x[g]) * (y[g] - b0 - b1 * x[g]);
    double se = sqrt(sse / (double)(sizes - 2) / sxx);
    double t28 = 2.0484071417952445; /* 0.975 quantile of Student's t with 28 df */
    ck_assert_close(res.slope, b1, 1e-13, 1e-12, "slope");
    ck_assert_close(res.intercept, b0, 1e-12, 1e-12, "intercept");
    ck_assert_close(res.se, se, 0, 1e-10, "se");
    ck_assert_close(res.ci_ols[0], b1 - t28 * se, 1e-12, 1e-10, "t-interval low");
    ck_assert_close(res.ci_ols[1], b1 + t28 * se, 1e-12, 1e-10, "t-interval high");
    gmoe_rate_result_free(&res);
    sweep_free(&s);
}
END_TEST

/* NaN and infinite values are skipped; sizes with mean <= 0 are dropped; neither moves the
 * slope of the rest. */
START_TEST(test_skipped)
{
    sweep s = power_law(10, 5, 1.0, -0.5, 0, 1); /* rows r*10 + g */
    size_t m = s.m + 8;
    double *n = malloc(m * sizeof *n), *v = malloc(m * sizeof *v);
    memcpy(n, s.n, s.m * sizeof *n);
    memcpy(v, s.v, s.m * sizeof *v);
    v[3] = NAN; /* size 3, replicate 1 */
    v[13] = INFINITY;
    v[27] = -INFINITY;
    double extra_n[8] = {7, 7, 7, 8, 8, 9, 9, 9};
    double extra_v[8] = {0, 0, 0, 1, -2, NAN, NAN, NAN}; /* means 0 and -0.5; 9: no value */
    for (size_t i = 0; i < 8; i++) {
        n[s.m + i] = extra_n[i];
        v[s.m + i] = extra_v[i];
    }
    gmoe_rate_result res;
    gmoe_error err;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, m, NULL, &res, &err), GMOE_SUCCESS);
    ck_assert_uint_eq(res.skipped, 6);
    ck_assert_uint_eq(res.nonpositive, 2);
    ck_assert_uint_eq(res.ngroups, 12);
    ck_assert_uint_eq(res.points, 10);
    ck_assert_uint_eq(res.rows, 47);
    ck_assert_double_eq(res.n_min, 100);
    ck_assert(!res.groups[0].used && !res.groups[1].used && res.groups[2].used);
    ck_assert_uint_eq(res.groups[5].count, 3); /* grid size 3 */
    ck_assert_uint_eq(res.groups[9].count, 4); /* grid size 7 */
    ck_assert_close(res.slope, -0.5, 1e-12, 0, "slope");
    gmoe_rate_result_free(&res);

    /* Nothing left to fit. */
    ck_assert_int_eq(gmoe_rate_estimate(extra_n, extra_v, 8, NULL, &res, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "0 sizes with a positive mean (8 rows, 3 skipped); need 2");
    free(n);
    free(v);
    sweep_free(&s);
}
END_TEST

START_TEST(test_deterministic)
{
    sweep s = power_law(30, 40, 1.0, -0.5, 0.5, 3);
    gmoe_rate_params p = gmoe_rate_default_parameters();
    p.seed = 42;
    gmoe_rate_result a = estimate_ok(&s, &p), b = estimate_ok(&s, &p);
    ck_assert_double_eq(a.ci[0], b.ci[0]);
    ck_assert_double_eq(a.ci[1], b.ci[1]);
    /* The row order does not matter: reverse the rows. */
    for (size_t i = 0; i < s.m / 2; i++) {
        double t = s.n[i];
        s.n[i] = s.n[s.m - 1 - i];
        s.n[s.m - 1 - i] = t;
        t = s.v[i];
        s.v[i] = s.v[s.m - 1 - i];
        s.v[s.m - 1 - i] = t;
    }
    gmoe_rate_result c = estimate_ok(&s, &p);
    ck_assert_double_eq(a.ci[0], c.ci[0]);
    ck_assert_double_eq(a.ci[1], c.ci[1]);
    ck_assert_double_eq(a.slope, c.slope);
    p.seed = 43;
    gmoe_rate_result d = estimate_ok(&s, &p);
    ck_assert(a.ci[0] != d.ci[0] || a.ci[1] != d.ci[1]);
    ck_assert_double_eq(a.slope, d.slope);
    gmoe_rate_result_free(&a);
    gmoe_rate_result_free(&b);
    gmoe_rate_result_free(&c);
    gmoe_rate_result_free(&d);
    sweep_free(&s);
}
END_TEST

START_TEST(test_invalid)
{
    double n[3] = {10, 20, -5}, v[3] = {1, 2, 3};
    gmoe_rate_result res;
    gmoe_error err;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, 3, NULL, &res, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "row 3: n must be finite and > 0 (got -5)");
    gmoe_rate_params p = gmoe_rate_default_parameters();
    p.level = 1;
    ck_assert_int_eq(gmoe_rate_estimate(n, v, 2, &p, &res, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "confidence level must be in (0, 1) (got 1)");
    gmoe_rate_result_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ results files */

static char tmp_path[512];

static const char *write_tmp(const char *text)
{
    const char *dir = getenv("TMPDIR");
    snprintf(tmp_path, sizeof tmp_path, "%s/gmoe-test-rate-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs(text, fp);
    fclose(fp);
    return tmp_path;
}

static const char good_file[] =
    "\xEF\xBB\xBF# gmoe 0.1.0 sweep results\r\n"
    "# seed: 2023\n"
    "# theory: loss=-0.5 hellinger=-0.25 err_beta1_1=-0.125\n"
    "n,rep,loglik,loglik_truth,iterations,status,seconds,loss,hellinger,err_beta1_1\n"
    "2000,2,-1,-1,12,converged,0.5,0.02,0.01,nan\n"
    "\n"
    "1000,2,-2,-2,9,converged,0.5,0.04,0.02,0.3\r\n"
    "2000,1,-3,-3,10,converged,0.5, 0.03 ,0.012,\n"
    "1000,1,-4,-4,7,max-iterations,0.5,0.05,0.025,0.2\n"
    "# theory: loss=-0.4\n";

START_TEST(test_results_read)
{
    const char *path = write_tmp(good_file);
    gmoe_results *r;
    gmoe_error err;
    int rc = gmoe_results_read(path, &r, &err);
    unlink(path);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s", err.msg);
    ck_assert_uint_eq(gmoe_results_nrows(r), 4);
    ck_assert_uint_eq(gmoe_results_ncols(r), 10);
    ck_assert_str_eq(gmoe_results_colname(r, 7), "loss");
    ck_assert_ptr_null(gmoe_results_colname(r, 10));
    int want_metric[10] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    for (size_t j = 0; j < 10; j++)
        ck_assert_int_eq(gmoe_results_is_metric(r, j), want_metric[j]);
    size_t j;
    ck_assert(gmoe_results_find(r, "hellinger", &j) && j == 8);
    ck_assert(!gmoe_results_find(r, "tv", &j));
    /* Sorted by (n, rep). */
    const double *n = gmoe_results_column(r, 0), *rep = gmoe_results_column(r, 1);
    const double *loss = gmoe_results_column(r, 7), *err1 = gmoe_results_column(r, 9);
    const double *status = gmoe_results_column(r, 5);
    double want_n[4] = {1000, 1000, 2000, 2000}, want_rep[4] = {1, 2, 1, 2};
    double want_loss[4] = {0.05, 0.04, 0.03, 0.02};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_double_eq(n[i], want_n[i]);
        ck_assert_double_eq(rep[i], want_rep[i]);
        ck_assert_double_eq(loss[i], want_loss[i]);
        ck_assert(isnan(status[i]));
    }
    ck_assert_double_eq(err1[0], 0.2);
    ck_assert(isnan(err1[2]) && isnan(err1[3]));
    ck_assert_uint_eq(gmoe_results_nheader(r), 4);
    ck_assert_str_eq(gmoe_results_header(r, 0), "gmoe 0.1.0 sweep results");
    ck_assert_str_eq(gmoe_results_header(r, 3), "theory: loss=-0.4");
    double t;
    ck_assert(gmoe_results_theory(r, "loss", &t) && t == -0.4); /* the later line */
    ck_assert(gmoe_results_theory(r, "err_beta1_1", &t) && t == -0.125);
    ck_assert(!gmoe_results_theory(r, "tv", &t) && isnan(t));
    gmoe_results_free(r);
    gmoe_results_free(NULL);
}
END_TEST

typedef struct bad_file {
    const char *text;
    const char *msg; /* after "PATH" */
} bad_file;

static const bad_file bad_files[] = {
    {"", ": empty file (no header row)"},
    {"# only a comment\n\n", ": empty file (no header row)"},
    {"n,rep,loss\n# nothing else\n", ": no data rows"},
    {"# c\nrep,loss\n1,2\n", ":2: no column named \"n\""},
    {"n,loss\n1,2\n", ":1: no column named \"rep\""},
    {"n,rep,loss,loss\n", ":1: duplicate column name \"loss\""},
    {"n,rep,,loss\n", ":1: empty column name (field 3)"},
    {"n,rep,loss\n10,1,0.5\n\n10,2\n", ":4: expected 3 fields, found 2"},
    {"n,rep,loss\n10,1,0.5,7\n", ":2: expected 3 fields, found 4"},
    {"rep,n,loss\n1,abc,0.5\n", ":2: column \"n\" (field 2): not a number: \"abc\""},
    {"n,rep,loss\n,1,0.5\n", ":2: column \"n\" (field 1): not a number: \"\""},
    {"n,rep,loss\nnan,1,0.5\n", ":2: column \"n\" (field 1): not finite: \"nan\""},
    {"n,rep,loss\n0,1,0.5\n", ":2: column \"n\" (field 1): must be > 0: \"0\""},
    {"n,rep,loss\n10,x,0.5\n", ":2: column \"rep\" (field 2): not a number: \"x\""},
    {"n,rep,loss\n10,1,0.5x\n", ":2: column \"loss\" (field 3): not a number: \"0.5x\""},
    {"# theory: loss=fast\nn,rep,loss\n", ":1: theory: \"loss\": not a number: \"fast\""},
    {"# theory: -0.5\nn,rep,loss\n", ":1: theory: expected name=slope: \"-0.5\""},
};

START_TEST(test_results_errors)
{
    const bad_file *b = &bad_files[_i];
    const char *path = write_tmp(b->text);
    gmoe_results *r = (gmoe_results *)&r;
    gmoe_error err;
    int rc = gmoe_results_read(path, &r, &err);
    unlink(path);
    ck_assert_int_eq(rc, GMOE_EPARSE);
    ck_assert_ptr_null(r);
    char want[GMOE_ERRMSG_MAX];
    snprintf(want, sizeof want, "%s%s", path, b->msg);
    ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_results_missing)
{
    gmoe_results *r;
    gmoe_error err;
    ck_assert_int_eq(gmoe_results_read("/nonexistent/res.csv", &r, &err), GMOE_EIO);
    ck_assert_str_eq(err.msg, "/nonexistent/res.csv: cannot open: No such file or directory");
}
END_TEST

/* A file read back gives the estimate of the rows it was written from. */
START_TEST(test_results_rate)
{
    sweep s = power_law(8, 5, 1.0, -0.5, 0.3, 9);
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    fprintf(fp, "# theory: loss=-0.5\nn,rep,status,loss\n");
    for (size_t i = 0; i < s.m; i++)
        fprintf(fp, "%.17g,%zu,converged,%.17g\n", s.n[i], i / 8 + 1, s.v[i]);
    fclose(fp);
    const char *path = write_tmp(text);
    free(text);
    gmoe_results *r;
    ck_assert_int_eq(gmoe_results_read(path, &r, NULL), GMOE_SUCCESS);
    unlink(path);
    size_t j;
    ck_assert(gmoe_results_find(r, "loss", &j));
    gmoe_rate_result a = estimate_ok(&s, NULL), b;
    ck_assert_int_eq(gmoe_rate_estimate(gmoe_results_column(r, 0), gmoe_results_column(r, j),
                                        gmoe_results_nrows(r), NULL, &b, NULL),
                     GMOE_SUCCESS);
    ck_assert_double_eq(a.slope, b.slope);
    ck_assert_double_eq(a.ci[0], b.ci[0]);
    ck_assert_double_eq(a.ci[1], b.ci[1]);
    gmoe_rate_result_free(&a);
    gmoe_rate_result_free(&b);
    gmoe_results_free(r);
    sweep_free(&s);
}
END_TEST

static Suite *rate_suite(void)
{
    Suite *s = suite_create("rate");
    TCase *tc = tcase_create("estimate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_known_slope);
    tcase_add_test(tc, test_coverage);
    tcase_add_test(tc, test_interval_shrinks);
    tcase_add_test(tc, test_exact);
    tcase_add_test(tc, test_median);
    tcase_add_test(tc, test_trim);
    tcase_add_test(tc, test_ols_direct);
    tcase_add_test(tc, test_skipped);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_invalid);
    suite_add_tcase(s, tc);
    tc = tcase_create("results");
    tcase_add_test(tc, test_results_read);
    tcase_add_loop_test(tc, test_results_errors, 0, (int)(sizeof bad_files / sizeof bad_files[0]));
    tcase_add_test(tc, test_results_missing);
    tcase_add_test(tc, test_results_rate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(rate_suite());
}
