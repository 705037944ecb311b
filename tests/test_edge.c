/* Edge cases of fitting: each ends with a documented status and finite parameters, or with a
 * clear error, never with NaN or a crash. Looped over the gate families of emtest.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "emtest.h"

/* A finished fit: a final status (not running), a valid model (finite parameters, var > 0,
 * tau > 0 and finite), and a finite reported log-likelihood equal to the model's. */
static void check_sane(int f, const char *what, const gmoe_data *data, const gmoe_model *m,
                       double loglik, gmoe_fit_status status)
{
    const char *name = em_families[f].name;
    gmoe_error err;
    ck_assert_msg(status == GMOE_FIT_CONVERGED || status == GMOE_FIT_MAX_ITER ||
                      status == GMOE_FIT_DEGENERATE || status == GMOE_FIT_GATE_DIVERGENT,
                  "%s %s: status %d (%s)", name, what, (int)status, gmoe_fit_status_name(status));
    ck_assert_msg(gmoe_model_validate(m, &err) == GMOE_SUCCESS, "%s %s (status %s): %s", name, what,
                  gmoe_fit_status_name(status), err.msg);
    ck_assert_msg(isfinite(loglik), "%s %s: loglik %g", name, what, loglik);
    double ll;
    ck_assert_int_eq(gmoe_model_loglik(m, data, &ll, &err), GMOE_SUCCESS);
    ck_assert_msg(fabs(ll - loglik) <= 1e-9 * fmax(1, fabs(ll)),
                  "%s %s: reported loglik %.12g, the model's %.12g", name, what, loglik, ll);
}

/* gmoe_fit with k experts of family f, 4 data-driven starts; returns its code and fills
 * *best, res and err. */
static int fit(int f, const gmoe_data *data, size_t k, gmoe_model **best, gmoe_fit_result *res,
               gmoe_error *err)
{
    gmoe_model *templ = em_template(f, k, data->d);
    gmoe_fit_params par = gmoe_fit_default_params();
    par.em = em_params(f);
    par.starts = 4;
    par.seed = 17;
    par.threads = 1;
    int rc = gmoe_fit(data, templ, &par, best, res, err);
    gmoe_model_free(templ);
    return rc;
}

/* EM of family f with k experts started from the responsibilities resp (n*k values) and run
 * to its end (at most max_iter iterations), which must come without an error. The caller
 * frees the workspace, which holds the final model. */
static gmoe_em *em_from_resp(int f, const gmoe_data *data, size_t k, const double *resp,
                             size_t max_iter, gmoe_em_info *info)
{
    gmoe_model *gs = em_template(f, k, data->d);
    gmoe_em_params par = em_params(f);
    par.max_iter = max_iter;
    gmoe_em *w = gmoe_em_alloc(data->n, data->d, k, em_families[f].gate);
    gmoe_error err;
    int rc = gmoe_em_init_resp(w, data, gs, resp, &par, &err);
    if (rc == GMOE_SUCCESS) rc = gmoe_em_driver(w, NULL, NULL, info, &err);
    gmoe_model_free(gs);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s: %s", em_families[f].name, err.msg);
    return w;
}

/* k = 3 experts, but x takes only two distinct values. */
START_TEST(test_k_above_distinct_x)
{
    int f = _i;
    size_t n = 60;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    for (size_t i = 0; i < n; i++) {
        data->x[i] = (double)(i % 2);
        data->y[i] = (i % 4 < 2 ? 1.0 : -1.0) + data->x[i] + gsl_ran_gaussian(rng, 0.3);
    }
    gmoe_model *best = NULL;
    gmoe_fit_result res;
    gmoe_error err;
    int rc = fit(f, data, 3, &best, &res, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s: %s", em_families[f].name, err.msg);
    check_sane(f, "k > distinct x", data, best, res.info.loglik, res.info.status);
    gmoe_model_free(best);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}
END_TEST

/* A constant response: every variance ends on the floor, status degenerate. */
START_TEST(test_constant_y)
{
    int f = _i;
    size_t n = 50;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2);
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    for (size_t i = 0; i < n; i++) {
        data->x[i] = gsl_ran_flat(rng, -2, 2);
        data->y[i] = 3.0;
    }
    gmoe_model *best = NULL;
    gmoe_fit_result res;
    gmoe_error err;
    int rc = fit(f, data, 2, &best, &res, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s: %s", em_families[f].name, err.msg);
    check_sane(f, "constant y", data, best, res.info.loglik, res.info.status);
    ck_assert_msg(res.info.status == GMOE_FIT_DEGENERATE, "%s: constant y gives status %s",
                  em_families[f].name, gmoe_fit_status_name(res.info.status));
    gmoe_model_free(best);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}
END_TEST

/* n = 5 observations, k = 2: fewer observations than parameters (8 for softmax). Either a
 * fit or an error with a message, never a crash. */
START_TEST(test_n_below_parameters)
{
    int f = _i;
    static const double x[5] = {-1.5, -0.4, 0.3, 0.9, 1.7}, y[5] = {0.2, 1.1, -0.7, 2.5, 0.4};
    gmoe_data *data = gmoe_data_alloc(5, 1, 1);
    memcpy(data->x, x, sizeof x);
    memcpy(data->y, y, sizeof y);
    gmoe_model *best = NULL;
    gmoe_fit_result res;
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = fit(f, data, 2, &best, &res, &err);
    if (rc == GMOE_SUCCESS) {
        check_sane(f, "n = 5, k = 2", data, best, res.info.loglik, res.info.status);
    } else {
        ck_assert_ptr_null(best);
        ck_assert_msg(rc == GMOE_EINVAL || rc == GMOE_ENUMERIC, "%s: code %d", em_families[f].name,
                      rc);
        ck_assert_msg(err.msg[0] != 0, "%s: error %d without a message", em_families[f].name, rc);
    }
    gmoe_model_free(best);
    gmoe_data_free(data);
}
END_TEST

/* More experts than observations is an error that names k and n. */
START_TEST(test_k_above_n)
{
    int f = _i;
    gmoe_data *data = gmoe_data_alloc(5, 1, 1);
    for (size_t i = 0; i < 5; i++)
        data->x[i] = data->y[i] = (double)i;
    gmoe_model *templ = em_template(f, 6, 1);
    gmoe_fit_params par = gmoe_fit_default_params();
    par.em = em_params(f);
    gmoe_model *best = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    ck_assert_int_eq(gmoe_fit(data, templ, &par, &best, NULL, &err), GMOE_EINVAL);
    ck_assert_ptr_null(best);
    ck_assert_msg(strstr(err.msg, "k = 6") && strstr(err.msg, "n = 5"),
                  "message does not name k and n: \"%s\"", err.msg);
    gmoe_model_free(templ);
    gmoe_data_free(data);
}
END_TEST

/* Two well-separated clusters of x with different lines: the gate can separate them
 * perfectly, so the likelihood may have no finite maximum in the gate parameters. */
START_TEST(test_separable)
{
    int f = _i;
    size_t n = 200;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4);
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    for (size_t i = 0; i < n; i++) {
        int left = i < n / 2;
        double x = left ? gsl_ran_flat(rng, -3, -2) : gsl_ran_flat(rng, 2, 3);
        data->x[i] = x;
        data->y[i] = (left ? 1 + 2 * x : -1 - x) + gsl_ran_gaussian(rng, 0.2);
    }
    gmoe_model *best = NULL;
    gmoe_fit_result res;
    gmoe_error err;
    int rc = fit(f, data, 2, &best, &res, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s: %s", em_families[f].name, err.msg);
    check_sane(f, "separable", data, best, res.info.loglik, res.info.status);
    ck_assert_msg(res.info.status == GMOE_FIT_CONVERGED ||
                      res.info.status == GMOE_FIT_GATE_DIVERGENT,
                  "%s: separable data give status %s", em_families[f].name,
                  gmoe_fit_status_name(res.info.status));
    gmoe_model_free(best);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}
END_TEST

/* EM started from responsibilities that give expert 3 no mass at all. */
START_TEST(test_vanishing_expert)
{
    int f = _i;
    size_t n = 300, k = 3;
    gmoe_model *truth = em_truth(f, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 55 + (unsigned long)f);
    double *resp = calloc(n * k, sizeof(double));
    for (size_t i = 0; i < n; i++)
        resp[(data->x[i] < 0 ? 0 : 1) * n + i] = 1.0;
    gmoe_em_info info;
    gmoe_em *w = em_from_resp(f, data, k, resp, 500, &info);
    const gmoe_model *m = gmoe_em_model(w);
    check_sane(f, "vanishing expert", data, m, info.loglik, info.status);
    /* The expert's posterior mass at the end (sum_i P(expert | x_i, y_i), the quantity
     * gmoe-fit(1) defines "no data" by): if it stayed (numerically) empty, the status says so.
     * Its gate mass can be smaller still (a sigmoid gate drifting off keeps posterior mass
     * above 1e-8 n where its gate mass is below). */
    double *post = malloc(n * k * sizeof(double)), mass = 0;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_predict(m, data, NULL, post, NULL, NULL, &err), GMOE_SUCCESS);
    for (size_t i = 0; i < n; i++)
        mass += post[i * k + k - 1];
    if (mass < 1e-8 * (double)n)
        ck_assert_msg(info.status == GMOE_FIT_DEGENERATE,
                      "%s: expert %zu has posterior mass %g but status %s", em_families[f].name, k,
                      mass, gmoe_fit_status_name(info.status));
    free(post);
    gmoe_em_free(w);
    free(resp);
    gmoe_data_free(data);
    gmoe_model_free(truth);
}
END_TEST

/* A third of the observations lie exactly on a line: EM started with those on expert 1 puts
 * its variance on the floor (var_floor var(y), var(y) with divisor n), and says so. */
START_TEST(test_variance_floor)
{
    int f = _i;
    size_t n = 150, k = 2;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 6);
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    double *resp = calloc(n * k, sizeof(double));
    double sum = 0, sumsq = 0;
    for (size_t i = 0; i < n; i++) {
        double x = gsl_ran_flat(rng, -2, 2);
        int exact = i % 3 == 0;
        data->x[i] = x;
        data->y[i] = exact ? 1 + 2 * x : -x + gsl_ran_gaussian(rng, 0.5);
        resp[(exact ? 0 : 1) * n + i] = 1.0;
        sum += data->y[i];
    }
    for (size_t i = 0; i < n; i++)
        sumsq += (data->y[i] - sum / (double)n) * (data->y[i] - sum / (double)n);
    gmoe_em_info info;
    gmoe_em *w = em_from_resp(f, data, k, resp, 300, &info);
    const gmoe_model *m = gmoe_em_model(w);
    check_sane(f, "variance floor", data, m, info.loglik, info.status);
    double v, floor_abs = em_params(f).var_floor * sumsq / (double)n;
    gmoe_model_get_expert(m, 0, NULL, NULL, NULL, NULL, &v);
    ck_assert_msg(v <= floor_abs * (1 + 1e-6), "%s: var %g above the floor %g", em_families[f].name,
                  v, floor_abs);
    ck_assert_msg(info.status == GMOE_FIT_DEGENERATE, "%s: a variance on the floor, status %s",
                  em_families[f].name, gmoe_fit_status_name(info.status));
    gmoe_em_free(w);
    free(resp);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}
END_TEST

/* A value beyond GMOE_FIT_MAX_ABS is refused before fitting, naming its observation. */
START_TEST(test_too_large)
{
    gmoe_data *data = gmoe_data_alloc(6, 2, 1);
    for (size_t i = 0; i < 6; i++) {
        data->x[i] = data->x[6 + i] = (double)i;
        data->y[i] = (double)(i % 2);
    }
    data->x[6 + 4] = -2e150; /* x2 of observation 5 */
    data->y[5] = 1e300;
    gmoe_model *templ = em_template(EM_SOFTMAX, 2, 2);
    gmoe_fit_params par = gmoe_fit_default_params();
    gmoe_model *best = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_fit(data, templ, &par, &best, NULL, &err), GMOE_EINVAL);
    ck_assert_ptr_null(best);
    ck_assert_uint_eq(err.obs, 5);
    ck_assert_str_eq(err.msg, "observation 5: x2 = -2e+150 is too large to fit (|value| > 1e+150)");
    data->x[6 + 4] = 1e150; /* the limit itself is accepted: now y of observation 6 */
    ck_assert_int_eq(gmoe_fit(data, templ, &par, &best, NULL, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "observation 6: y = 1e+300 is too large to fit (|value| > 1e+150)");
    gmoe_model_free(templ);
    gmoe_data_free(data);
}
END_TEST

/* Gate scores that overflow (25 x 1e308) are an error at their observation, in every
 * function that evaluates the gate over a data set. */
START_TEST(test_gate_overflow)
{
    gmoe_model *m = test_softmax_truth();
    size_t n = 300, k = gmoe_model_k(m);
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    for (size_t i = 0; i < n; i++)
        data->x[i] = (double)i / (double)n;
    data->x[260] = 1e308; /* in the second block of 256 */
    double ll, *g = malloc(n * k * sizeof(double));
    gmoe_error err;
    const char *want = "observation 261: the gate scores overflow (covariates too large for the "
                       "gate parameters)";
    ck_assert_int_eq(gmoe_model_loglik(m, data, &ll, &err), GMOE_ENUMERIC);
    ck_assert_uint_eq(err.obs, 261);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(gmoe_model_predict(m, data, g, NULL, NULL, NULL, &err), GMOE_ENUMERIC);
    ck_assert_str_eq(err.msg, want);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    ck_assert_int_eq(gmoe_sim_y(m, rng, data, &err), GMOE_ENUMERIC);
    ck_assert_str_eq(err.msg, want);
    gsl_rng_free(rng);
    free(g);
    gmoe_data_free(data);
    gmoe_model_free(m);
}
END_TEST

static Suite *edge_suite(void)
{
    Suite *s = suite_create("edge");
    TCase *tc = tcase_create("edge");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_k_above_distinct_x, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_constant_y, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_n_below_parameters, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_k_above_n, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_separable, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_vanishing_expert, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_variance_floor, 0, EM_NFAMILIES);
    tcase_add_test(tc, test_too_large);
    tcase_add_test(tc, test_gate_overflow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(edge_suite());
}
