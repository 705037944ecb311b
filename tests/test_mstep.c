/* The M-steps against independent computations: every expert's (a_j, b_j, var_j) against
 * GSL's ordinary and weighted least squares, after a hard partition and along plain EM
 * iterations; variances from the sufficient statistics against exact residual sums; the
 * Gaussian gate's closed-form M-step against weighted moments of x written out here, and its
 * covariance floor against GSL's eigensolver. Tests loop over the gate families of emtest.h;
 * the solver's private state comes from em_internal.h (tests build with -I lib). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "emtest.h"
#include "em_internal.h"

/* ------------------------------------------------------------------ experts and the Gaussian gate
 */

/* The Gaussian gate's M-step written out: with the responsibilities r[j*n + i] of the
 * E-step before it, pi_j = sum_i r_ij / n, c_j the r-weighted mean of x and Gamma_j the
 * r-weighted covariance (divisor sum_i r_ij), in long double; m's gate must match (the
 * covariance floor, 1e-6 var(x), is far below these covariances). */
static void check_gauss_moments(const char *what, size_t it, const gmoe_data *data, const double *r,
                                const gmoe_model *m)
{
    size_t n = data->n, d = data->d, k = gmoe_model_k(m);
    for (size_t j = 0; j < k; j++) {
        long double sw = 0, mean[2] = {0, 0}, cov[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            sw += r[j * n + i];
            for (size_t a = 0; a < d; a++)
                mean[a] += r[j * n + i] * data->x[a * n + i];
        }
        for (size_t a = 0; a < d; a++)
            mean[a] /= sw;
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < d; a++)
                for (size_t b = 0; b < d; b++)
                    cov[a * d + b] += r[j * n + i] * (data->x[a * n + i] - mean[a]) *
                                      (data->x[b * n + i] - mean[b]);
        double pi, c[2], G[4];
        gmoe_model_get_gauss(m, j, &pi, c, G);
        ck_assert_msg(fabs(pi - (double)(sw / (long double)n)) <= 1e-12,
                      "%s iteration %zu expert %zu: pi %.15g, mean responsibility %.15g", what, it,
                      j, pi, (double)(sw / (long double)n));
        for (size_t a = 0; a < d; a++)
            ck_assert_msg(fabs(c[a] - (double)mean[a]) <= 1e-10,
                          "%s iteration %zu expert %zu: c[%zu] %.15g, weighted mean %.15g", what,
                          it, j, a, c[a], (double)mean[a]);
        for (size_t a = 0; a < d * d; a++) {
            double ref = (double)(cov[a] / sw);
            ck_assert_msg(fabs(G[a] - ref) <= 1e-10 * fmax(1, fabs(ref)),
                          "%s iteration %zu expert %zu: Gamma[%zu] %.15g, weighted covariance "
                          "%.15g",
                          what, it, j, a, G[a], ref);
        }
    }
}

/* From a hard partition, the first M-step of every expert is the ordinary least-squares fit
 * of y on (1, x) over its own points, var = the mean squared residual (gsl_multifit_linear
 * on the expert's rows). */
static void check_mstep_experts(int f, size_t d)
{
    size_t n = 400, k = 3;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11 + (unsigned long)f);
    gmoe_data *data = gmoe_data_alloc(n, d, 1);
    double *resp = calloc(n * k, sizeof(double));
    size_t *lab = malloc(n * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        lab[i] = gsl_rng_uniform_int(rng, k);
        double y = 1.0 + 2.0 * (double)lab[i];
        for (size_t t = 0; t < d; t++) {
            double xv = gsl_ran_flat(rng, -2, 2);
            data->x[t * n + i] = xv;
            y += ((double)lab[i] - 1.0 + 0.5 * (double)t) * xv;
        }
        data->y[i] = y + gsl_ran_gaussian(rng, 0.3 + 0.2 * (double)lab[i]);
        resp[lab[i] * n + i] = 1.0;
    }
    gmoe_model *gs = em_template(f, k, d);
    gmoe_em_params par = em_params(f);
    gmoe_em *w = gmoe_em_alloc(n, d, k, em_families[f].gate);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init_resp(w, data, gs, resp, &par, &err), GMOE_SUCCESS);
    const gmoe_model *m = gmoe_em_model(w);
    for (size_t j = 0; j < k; j++) {
        size_t nj = 0;
        for (size_t i = 0; i < n; i++)
            nj += lab[i] == j;
        gsl_matrix *X = gsl_matrix_alloc(nj, d + 1);
        gsl_vector *yv = gsl_vector_alloc(nj), *c = gsl_vector_alloc(d + 1);
        gsl_matrix *cov = gsl_matrix_alloc(d + 1, d + 1);
        gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(nj, d + 1);
        for (size_t i = 0, r = 0; i < n; i++) {
            if (lab[i] != j) continue;
            gsl_matrix_set(X, r, 0, 1.0);
            for (size_t t = 0; t < d; t++)
                gsl_matrix_set(X, r, 1 + t, data->x[t * n + i]);
            gsl_vector_set(yv, r, data->y[i]);
            r++;
        }
        double chisq;
        ck_assert_int_eq(gsl_multifit_linear(X, yv, c, cov, &chisq, ws), 0);
        double a[2], b, v;
        gmoe_model_get_expert(m, j, NULL, NULL, a, &b, &v);
        ck_assert_msg(fabs(b - gsl_vector_get(c, 0)) <= 1e-10 * fmax(1, fabs(b)),
                      "%s d=%zu expert %zu: b = %.15g, OLS %.15g", em_families[f].name, d, j, b,
                      gsl_vector_get(c, 0));
        for (size_t t = 0; t < d; t++)
            ck_assert_msg(fabs(a[t] - gsl_vector_get(c, 1 + t)) <= 1e-10 * fmax(1, fabs(a[t])),
                          "%s d=%zu expert %zu: a[%zu] = %.15g, OLS %.15g", em_families[f].name, d,
                          j, t, a[t], gsl_vector_get(c, 1 + t));
        double vref = chisq / (double)nj;
        ck_assert_msg(fabs(v - vref) <= 1e-10 * vref, "%s d=%zu expert %zu: var = %.15g, OLS %.15g",
                      em_families[f].name, d, j, v, vref);
        gsl_multifit_linear_free(ws);
        gsl_matrix_free(cov);
        gsl_vector_free(c);
        gsl_vector_free(yv);
        gsl_matrix_free(X);
    }
    if (em_families[f].gate == GMOE_GATE_GAUSSIAN)
        check_gauss_moments("gaussian partition", 0, data, resp, m);
    gmoe_em_free(w);
    gmoe_model_free(gs);
    free(lab);
    free(resp);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}

START_TEST(test_mstep_experts_d1)
{
    check_mstep_experts(_i, 1);
}
END_TEST

START_TEST(test_mstep_experts_d2)
{
    check_mstep_experts(_i, 2);
}
END_TEST

/* Along plain EM iterations from a random partition (gmoe_fit's start), every expert's new
 * (a_j, b_j) is the weighted least-squares fit with the responsibilities of the previous
 * E-step as weights (gsl_multifit_wlinear), and var_j its weighted mean squared residual
 * (or the variance floor, 1e-6 var(y) by default). */
START_TEST(test_mstep_experts_weighted)
{
    int f = _i;
    size_t n = 1000, k = 3, iters = 12;
    gmoe_model *truth = em_truth(f, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 101 + (unsigned long)f);
    gmoe_model *gs = em_template(f, k, 1);
    gmoe_em_params par = em_params(f);
    par.accel = 0;
    par.tol = 0;
    par.max_iter = iters + 1;
    double *resp = malloc(n * k * sizeof(double)), *rprev = malloc(n * k * sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    ck_assert_int_eq(gmoe_start_partition(data, k, rng, resp), GMOE_SUCCESS);
    gmoe_em *w = gmoe_em_alloc(n, 1, k, em_families[f].gate);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init_resp(w, data, gs, resp, &par, &err), GMOE_SUCCESS);
    double ym = 0, yv = 0;
    for (size_t i = 0; i < n; i++)
        ym += data->y[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        yv += (data->y[i] - ym) * (data->y[i] - ym) / (double)n;
    gsl_matrix *X = gsl_matrix_alloc(n, 2), *cov = gsl_matrix_alloc(2, 2);
    gsl_vector *yvec = gsl_vector_alloc(n), *wt = gsl_vector_alloc(n), *c = gsl_vector_alloc(2);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, 2);
    for (size_t i = 0; i < n; i++) {
        gsl_matrix_set(X, i, 0, 1.0);
        gsl_matrix_set(X, i, 1, data->x[i]);
        gsl_vector_set(yvec, i, data->y[i]);
    }
    for (size_t it = 1; it <= iters; it++) {
        memcpy(rprev, w->r, n * k * sizeof(double));
        ck_assert_int_eq(gmoe_em_iterate(w, &err), GMOE_SUCCESS);
        const gmoe_model *m = gmoe_em_model(w);
        for (size_t j = 0; j < k; j++) {
            double sw = 0;
            for (size_t i = 0; i < n; i++)
                sw += rprev[j * n + i];
            if (sw < 1e-6) continue;
            for (size_t i = 0; i < n; i++)
                gsl_vector_set(wt, i, rprev[j * n + i]);
            double chisq, a, b, v;
            ck_assert_int_eq(gsl_multifit_wlinear(X, wt, yvec, c, cov, &chisq, ws), 0);
            gmoe_model_get_expert(m, j, NULL, NULL, &a, &b, &v);
            double vref = fmax(chisq / sw, 1e-6 * yv);
            ck_assert_msg(fabs(b - gsl_vector_get(c, 0)) <= 1e-8 * fmax(1, fabs(b)) &&
                              fabs(a - gsl_vector_get(c, 1)) <= 1e-8 * fmax(1, fabs(a)),
                          "%s iteration %zu expert %zu: (a, b) = (%.12g, %.12g), WLS (%.12g, "
                          "%.12g)",
                          em_families[f].name, it, j, a, b, gsl_vector_get(c, 1),
                          gsl_vector_get(c, 0));
            ck_assert_msg(fabs(v - vref) <= 1e-8 * vref,
                          "%s iteration %zu expert %zu: var = %.12g, weighted mean squared "
                          "residual %.12g",
                          em_families[f].name, it, j, v, vref);
        }
        if (em_families[f].gate == GMOE_GATE_GAUSSIAN)
            check_gauss_moments("gaussian", it, data, rprev, m);
    }
    gsl_multifit_linear_free(ws);
    gsl_vector_free(c);
    gsl_vector_free(wt);
    gsl_vector_free(yvec);
    gsl_matrix_free(cov);
    gsl_matrix_free(X);
    gmoe_em_free(w);
    gsl_rng_free(rng);
    free(rprev);
    free(resp);
    gmoe_model_free(gs);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* The Gaussian gate's covariance floor: an expert whose x lie on a line (d = 2) has a
 * singular weighted covariance S. Its Gamma must be the maximiser over Gamma >= F =
 * 1e-6 diag var(x): S with the eigenvalues of F^-1/2 S F^-1/2 raised to 1 (computed here
 * with GSL's symmetric eigensolver); the fit then ends degenerate, with a valid model. */
START_TEST(test_gauss_cov_floor)
{
    size_t n = 300, d = 2, k = 2;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 29);
    gmoe_data *data = gmoe_data_alloc(n, d, 1);
    double *resp = calloc(n * k, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        size_t j = i % 2;
        double x1 = gsl_ran_flat(rng, -2, 2);
        data->x[i] = x1;
        data->x[n + i] = j == 0 ? 2 * x1 + 0.5 : gsl_ran_flat(rng, -2, 2);
        data->y[i] = (j == 0 ? 1 + x1 : -1 - x1) + gsl_ran_gaussian(rng, 0.3);
        resp[j * n + i] = 1.0;
    }
    gmoe_model *gs = gmoe_model_alloc(k, d, GMOE_GATE_GAUSSIAN);
    gmoe_em_params par = gmoe_em_default_params();
    gmoe_em *w = gmoe_em_alloc(n, d, k, GMOE_GATE_GAUSSIAN);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init_resp(w, data, gs, resp, &par, &err), GMOE_SUCCESS);
    /* The reference: F from var(x_t) over all the data, S over expert 0's rows. */
    double f[2], S[4] = {0, 0, 0, 0}, mean[2] = {0, 0}, xm[2] = {0, 0};
    for (size_t t = 0; t < d; t++) {
        double v = 0;
        for (size_t i = 0; i < n; i++)
            xm[t] += data->x[t * n + i] / (double)n;
        for (size_t i = 0; i < n; i++)
            v += (data->x[t * n + i] - xm[t]) * (data->x[t * n + i] - xm[t]) / (double)n;
        f[t] = 1e-6 * v;
    }
    size_t n0 = n / 2;
    for (size_t i = 0; i < n; i += 2)
        for (size_t t = 0; t < d; t++)
            mean[t] += data->x[t * n + i] / (double)n0;
    for (size_t i = 0; i < n; i += 2)
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++)
                S[a * d + b] +=
                    (data->x[a * n + i] - mean[a]) * (data->x[b * n + i] - mean[b]) / (double)n0;
    gsl_matrix *A = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
    gsl_vector *ev = gsl_vector_alloc(d);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++)
            gsl_matrix_set(A, a, b, S[a * d + b] / sqrt(f[a] * f[b]));
    gsl_eigen_symmv(A, ev, V, ws);
    ck_assert_msg(gsl_vector_min(ev) < 1, "the test's covariance is not singular enough");
    double G[4];
    gmoe_model_get_gauss(gmoe_em_model(w), 0, NULL, NULL, G);
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double v = 0;
            for (size_t e = 0; e < d; e++)
                v += gsl_matrix_get(V, a, e) * fmax(gsl_vector_get(ev, e), 1.0) *
                     gsl_matrix_get(V, b, e);
            v *= sqrt(f[a] * f[b]);
            ck_assert_msg(fabs(G[a * d + b] - v) <= 1e-9 * fabs(S[a * d + b]) + 1e-6 * f[a],
                          "floored Gamma[%zu][%zu] = %.15g, expected %.15g", a, b, G[a * d + b], v);
        }
    gmoe_em_info info;
    ck_assert_int_eq(gmoe_em_driver(w, NULL, NULL, &info, &err), GMOE_SUCCESS);
    ck_assert_msg(info.status == GMOE_FIT_DEGENERATE, "status %s",
                  gmoe_fit_status_name(info.status));
    ck_assert_msg(gmoe_model_validate(gmoe_em_model(w), &err) == GMOE_SUCCESS, "%s", err.msg);
    ck_assert(isfinite(info.objective) && isfinite(info.loglik));
    gsl_eigen_symmv_free(ws);
    gsl_vector_free(ev);
    gsl_matrix_free(V);
    gsl_matrix_free(A);
    gmoe_em_free(w);
    gmoe_model_free(gs);
    free(resp);
    gmoe_data_free(data);
    gsl_rng_free(rng);
}
END_TEST

/* The variances come from sufficient statistics (no residual pass): along plain EM
 * iterations every var_j must match the exact weighted mean squared residual of the new
 * expert line under the previous E-step's responsibilities (summed here in long double),
 * or the floor, to 1e-9 relative. */
static void check_var_exact(const gmoe_data *data, const gmoe_model *start, size_t iters,
                            const char *what)
{
    size_t n = data->n, k = gmoe_model_k(start);
    gmoe_em_params par = gmoe_em_default_params();
    par.accel = 0;
    par.tol = 0;
    par.max_iter = iters + 1;
    gmoe_em *w = gmoe_em_alloc(n, 1, k, gmoe_model_gate(start));
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init(w, data, start, &par, &err), GMOE_SUCCESS);
    long double ym = 0, yv = 0;
    for (size_t i = 0; i < n; i++)
        ym += data->y[i];
    ym /= (long double)n;
    for (size_t i = 0; i < n; i++)
        yv += (data->y[i] - ym) * (data->y[i] - ym);
    double floor = 1e-6 * (double)(yv / (long double)n);
    double *rprev = malloc(n * k * sizeof(double));
    for (size_t it = 1; it <= iters; it++) {
        memcpy(rprev, w->r, n * k * sizeof(double));
        ck_assert_int_eq(gmoe_em_iterate(w, &err), GMOE_SUCCESS);
        const gmoe_model *m = gmoe_em_model(w);
        for (size_t j = 0; j < k; j++) {
            long double sw = 0, ss = 0;
            double a, b, v;
            gmoe_model_get_expert(m, j, NULL, NULL, &a, &b, &v);
            for (size_t i = 0; i < n; i++) {
                long double res = (long double)data->y[i] - (long double)a * data->x[i] - b;
                sw += rprev[j * n + i];
                ss += rprev[j * n + i] * res * res;
            }
            if (!(sw > 0)) continue;
            double vref = fmax((double)(ss / sw), floor);
            ck_assert_msg(fabs(v - vref) <= 1e-9 * vref,
                          "%s iteration %zu expert %zu: var = %.15g, exact residual %.15g "
                          "(floor %.3g)",
                          what, it, j, v, vref, floor);
        }
    }
    free(rprev);
    gmoe_em_free(w);
}

START_TEST(test_var_exact_softmax)
{
    gmoe_model *truth = em_truth(EM_SOFTMAX, 3);
    gmoe_data *data = em_simulate(truth, 2000, -2, 2, 5);
    gmoe_model *start = em_poor_start(EM_SOFTMAX, 3);
    check_var_exact(data, start, 20, "softmax poor start");
    check_var_exact(data, truth, 5, "softmax truth start");
    gmoe_model_free(start);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* An expert with a variance a few times the floor (1e-6 var(y)) on a large offset of y: the
 * cancellation case of variances from sums of squares. */
START_TEST(test_var_exact_degenerate)
{
    size_t n = 2000;
    gmoe_model *truth = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    double b1 = -4, b0 = 0, a0 = 2, a1 = -1;
    gmoe_model_set_expert(truth, 0, 0, &b1, &a0, 1000, 1.0);
    gmoe_model_set_expert(truth, 1, 0, &b0, &a1, 1000, 1.0);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 17);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 19);
    /* Expert 0's points (x < 0) get noise of sd 2e-3 (var(y) is about 1.5). */
    for (size_t i = 0; i < n; i++) {
        double x = data->x[i];
        data->y[i] = x < 0 ? 1000 + 2 * x + gsl_ran_gaussian(rng, 2e-3)
                           : 1000 - x + gsl_ran_gaussian(rng, 1.0);
    }
    gmoe_model *start = gmoe_model_clone(truth);
    gmoe_model_set_expert(start, 0, 0.2, &b1, &a0, 1000.01, 1e-4);
    check_var_exact(data, start, 20, "near-floor expert");
    gsl_rng_free(rng);
    gmoe_model_free(start);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

static Suite *mstep_suite(void)
{
    Suite *s = suite_create("mstep");
    TCase *tc = tcase_create("mstep");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_mstep_experts_d1, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_mstep_experts_d2, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_mstep_experts_weighted, 0, EM_NFAMILIES);
    tcase_add_test(tc, test_var_exact_softmax);
    tcase_add_test(tc, test_var_exact_degenerate);
    tcase_add_test(tc, test_gauss_cov_floor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(mstep_suite());
}
