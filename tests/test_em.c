/* The EM solver, one iteration at a time: log-likelihood monotonicity of plain EM and SQUAREM,
 * the gate statistics (gradient and Fisher matrix of Q) against finite differences of Q
 * computed here from the responsibilities and the public gate weights, and the expert M-step
 * against GSL's ordinary least squares. Every test loops over the gate families of
 * emtest.h. The solver's private state comes from em_internal.h (tests build with -I lib). */
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

/* ------------------------------------------------------------------ monotonicity */

/* The monotone quantity is the objective EM maximises: the conditional log-likelihood, or
 * for the Gaussian gate the joint log-likelihood of (x, y), whose EM (Xu, Jordan and Hinton
 * 1995) need not raise the conditional one. */
typedef struct mono_rec {
    double prev;     /* objective after the previous iteration */
    double worst;    /* largest relative decrease seen */
    size_t worst_it; /* at which iteration */
    size_t count;    /* iterations seen */
    double first, last;
} mono_rec;

static int mono_cb(const gmoe_em *w, void *data)
{
    mono_rec *rec = data;
    double ll = gmoe_em_objective(w);
    double drop = (rec->prev - ll) / fabs(rec->prev);
    if (!(drop <= rec->worst)) { /* NaN counts as the worst */
        rec->worst = isnan(drop) ? INFINITY : drop;
        rec->worst_it = gmoe_em_iterations(w);
    }
    rec->prev = ll;
    rec->last = ll;
    rec->count++;
    return 0;
}

/* A poor start for family f: flat expert lines near the mean of y, large variances, and a
 * nearly flat gate (small slopes of both signs, so that top-K selects differently for
 * negative and positive x). */
static gmoe_model *poor_start(int f, size_t k)
{
    gmoe_model *m = em_template(f, k, 1);
    for (size_t j = 0; j < k; j++) {
        double b1 = 0.4 * ((double)(j % 2) * 2 - 1) * (j + 1 < k), a = 0;
        gmoe_model_set_expert(m, j, 0, &b1, &a, 0.5 * ((double)j - 1), 4.0);
    }
    return m;
}

/* Plain EM (accel 0) or SQUAREM (accel 1) from a poor start: a poor model (from_resp 0), or
 * a random hard partition with a flat gate, as gmoe_fit starts (from_resp 1). */
static void check_monotone(int f, int accel, int from_resp)
{
    size_t n = 1000, k = 3;
    gmoe_model *truth = em_truth(f, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 101 + (unsigned long)f);
    ck_assert_ptr_nonnull(data);
    gmoe_model *start = from_resp ? em_template(f, k, 1) : poor_start(f, k);
    gmoe_em_params par = em_params(f);
    par.accel = accel;
    par.max_iter = 150;
    par.tol = 1e-10;
    gmoe_em *w = gmoe_em_alloc(n, 1, k, gmoe_model_gate(start));
    gmoe_error err;
    if (from_resp) {
        double *resp = malloc(n * k * sizeof(double));
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 3);
        ck_assert_int_eq(gmoe_start_partition(data, k, rng, resp), GMOE_SUCCESS);
        ck_assert_int_eq(gmoe_em_init_resp(w, data, start, resp, &par, &err), GMOE_SUCCESS);
        gsl_rng_free(rng);
        free(resp);
    } else {
        ck_assert_int_eq(gmoe_em_init(w, data, start, &par, &err), GMOE_SUCCESS);
    }
    const char *what = from_resp ? "partition start" : "poor model start";
    mono_rec rec = {gmoe_em_objective(w), -INFINITY, 0, 0, gmoe_em_objective(w), 0};
    gmoe_em_info info;
    int rc = gmoe_em_driver(w, mono_cb, &rec, &info, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s accel %d %s: driver failed: %s", em_families[f].name,
                  accel, what, err.msg);
    ck_assert_uint_gt(rec.count, 0);
    ck_assert_msg(rec.worst <= 1e-10,
                  "%s accel %d %s: objective decreased by %g (relative) at iteration %zu",
                  em_families[f].name, accel, what, rec.worst, rec.worst_it);
    ck_assert_msg(rec.last > rec.first, "%s %s: no progress", em_families[f].name, what);
    /* The reported log-likelihood is that of the reported model (independent pass), and the
     * objective that log-likelihood plus, for the Gaussian gate, sum_i log p(x_i). */
    double ll;
    ck_assert_int_eq(gmoe_model_loglik(gmoe_em_model(w), data, &ll, &err), GMOE_SUCCESS);
    ck_assert_msg(fabs(ll - gmoe_em_loglik(w)) <= 1e-9 * fabs(ll),
                  "%s accel %d %s: reported loglik %.12g, model's loglik %.12g",
                  em_families[f].name, accel, what, gmoe_em_loglik(w), ll);
    double obj =
        ll + (em_families[f].gate == GMOE_GATE_GAUSSIAN ? em_gauss_loglik_x(gmoe_em_model(w), data)
                                                        : 0.0);
    ck_assert_msg(fabs(obj - gmoe_em_objective(w)) <= 1e-9 * fabs(obj),
                  "%s accel %d %s: objective %.12g, recomputed %.12g", em_families[f].name, accel,
                  what, gmoe_em_objective(w), obj);
    ck_assert_msg(gmoe_model_validate(gmoe_em_model(w), &err) == GMOE_SUCCESS,
                  "%s accel %d %s: final model (status %s) invalid: %s", em_families[f].name, accel,
                  what, gmoe_fit_status_name(info.status), err.msg);
    gmoe_em_free(w);
    gmoe_model_free(start);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}

START_TEST(test_monotone_em)
{
    check_monotone(_i, 0, 0);
}
END_TEST

START_TEST(test_monotone_squarem)
{
    check_monotone(_i, 1, 0);
}
END_TEST

START_TEST(test_monotone_em_partition)
{
    check_monotone(_i, 0, 1);
}
END_TEST

START_TEST(test_monotone_squarem_partition)
{
    check_monotone(_i, 1, 1);
}
END_TEST

/* ------------------------------------------------------------------ gate statistics */

/* The theta layout of em_internal.h: expert j holds (beta0_j, beta1_j), q = d + 1 entries;
 * then log tau when tau is estimated. */
static void set_theta(gmoe_model *m, const double *theta, int has_tau)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m), q = d + 1;
    double a[8], b, v;
    for (size_t j = 0; j < k; j++) {
        gmoe_model_get_expert(m, j, NULL, NULL, a, &b, &v);
        gmoe_model_set_expert(m, j, theta[j * q], theta + j * q + 1, a, b, v);
    }
    if (has_tau) gmoe_model_set_tau(m, exp(theta[k * q]));
}

static void get_theta(const gmoe_model *m, double *theta, int has_tau)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m), q = d + 1;
    for (size_t j = 0; j < k; j++)
        gmoe_model_get_expert(m, j, theta + j * q, theta + j * q + 1, NULL, NULL, NULL);
    if (has_tau) theta[k * q] = log(gmoe_model_tau(m));
}

/* Q(theta) = sum_ij r_ij log g_ij(theta), from the public gate weights of a model holding
 * theta (terms with r_ij = 0 dropped, as 0 log 0 = 0). */
static double q_at(gmoe_model *m, const double *theta, int has_tau, const gmoe_data *data,
                   const double *r, double *logw)
{
    set_theta(m, theta, has_tau);
    ck_assert_int_eq(gmoe_model_gate_log(m, data, logw), GMOE_SUCCESS);
    size_t n = data->n, k = gmoe_model_k(m);
    double Q = 0;
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            if (r[j * n + i] > 0) Q += r[j * n + i] * logw[j * n + i];
    return Q;
}

/* A workspace initialised (one E-step) at a model near the truth of family f, d = 1 or 2. */
typedef struct gate_fixture {
    gmoe_data *data;
    gmoe_model *start;
    gmoe_em *w;
} gate_fixture;

static void gate_fixture_make(gate_fixture *fx, int f, size_t d)
{
    size_t k = 3, n = 300;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7 + (unsigned long)f);
    gmoe_model *truth = em_truth(f, k);
    fx->start = em_template(f, k, d);
    /* Every covariate carries a copy of the truth's d = 1 gate, scaled and perturbed, so that
     * the gate is far from flat and nothing sits on a symmetric point. */
    for (size_t j = 0; j < k; j++) {
        double b0, b1, a, b, v, beta1[2], av[2];
        gmoe_model_get_expert(truth, j, &b0, &b1, &a, &b, &v);
        for (size_t t = 0; t < d; t++) {
            beta1[t] = b1 * (t ? -0.5 : 1.0) + 0.1 * gsl_ran_gaussian(rng, 1.0);
            av[t] = a + 0.2 * gsl_ran_gaussian(rng, 1.0);
        }
        gmoe_model_set_expert(fx->start, j, b0 + 0.1, beta1, av, b + 0.3, v * 1.5);
    }
    if (em_families[f].gate == GMOE_GATE_TEMPERATURE || em_families[f].gate == GMOE_GATE_ACTIVATION)
        gmoe_model_set_tau(fx->start, em_families[f].tau * 1.2);
    fx->data = gmoe_data_alloc(n, d, 1);
    for (size_t i = 0; i < n * d; i++)
        fx->data->x[i] = gsl_ran_flat(rng, -2, 2);
    /* y from the start model itself plus noise: responsibilities are spread, not 0/1. */
    ck_assert_int_eq(gmoe_sim_y(fx->start, rng, fx->data, NULL), GMOE_SUCCESS);
    for (size_t i = 0; i < n; i++)
        fx->data->y[i] += 0.5 * gsl_ran_gaussian(rng, 1.0);
    gmoe_em_params par = em_params(f);
    fx->w = gmoe_em_alloc(n, d, k, em_families[f].gate);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init(fx->w, fx->data, fx->start, &par, &err), GMOE_SUCCESS);
    gmoe_model_free(truth);
    gsl_rng_free(rng);
}

static void gate_fixture_free(gate_fixture *fx)
{
    gmoe_em_free(fx->w);
    gmoe_model_free(fx->start);
    gmoe_data_free(fx->data);
}

static void check_gradient(int f, size_t d)
{
    gate_fixture fx;
    gate_fixture_make(&fx, f, d);
    gmoe_em *w = fx.w;
    size_t n = fx.data->n, k = 3, P = w->g.P;
    int has_tau = w->g.has_tau;
    ck_assert_uint_eq(P, k * (d + 1) + (size_t)has_tau);
    ck_assert_int_eq(has_tau,
                     !em_families[f].fix_tau && (em_families[f].gate == GMOE_GATE_TEMPERATURE ||
                                                 em_families[f].gate == GMOE_GATE_ACTIVATION));
    gmoe_model *m = gmoe_model_clone(gmoe_em_model(w));
    double *logw = malloc(n * k * sizeof(double));
    double theta[16], tp[16];
    get_theta(m, theta, has_tau);
    /* Q itself first: the workspace's Q at the current point. */
    double Q0 = q_at(m, theta, has_tau, fx.data, w->r, logw);
    ck_assert_msg(fabs(w->g.Q - Q0) <= 1e-10 * fabs(Q0), "%s: Q %.15g, recomputed %.15g",
                  em_families[f].name, w->g.Q, Q0);
    double gmax = 0;
    for (size_t s = 0; s < P; s++)
        gmax = fmax(gmax, fabs(w->g.grad[s]));
    ck_assert_msg(gmax > 1e-3, "%s: the gradient vanishes at the fixture", em_families[f].name);
    const double h = 1e-5;
    for (size_t s = 0; s < P; s++) {
        memcpy(tp, theta, P * sizeof(double));
        tp[s] = theta[s] + h;
        double qp = q_at(m, tp, has_tau, fx.data, w->r, logw);
        tp[s] = theta[s] - h;
        double qm = q_at(m, tp, has_tau, fx.data, w->r, logw);
        double fd = (qp - qm) / (2 * h);
        ck_assert_msg(fabs(fd - w->g.grad[s]) <= 1e-6 * fmax(1.0, gmax),
                      "%s d=%zu: dQ/dtheta[%zu] = %.10g, finite difference %.10g",
                      em_families[f].name, d, s, w->g.grad[s], fd);
    }
    free(logw);
    gmoe_model_free(m);
    gate_fixture_free(&fx);
}

START_TEST(test_gate_gradient_d1)
{
    check_gradient(_i, 1);
}
END_TEST

START_TEST(test_gate_gradient_d2)
{
    check_gradient(_i, 2);
}
END_TEST

/* For softmax and top-K, Q is sum_i sum_j r_ij log softmax_j(linear scores) with sum_j r_ij =
 * 1, whose Hessian is exactly minus the Fisher matrix. The sigmoid gate's scores are not
 * linear: minus its Hessian is the Fisher matrix plus the block-diagonal curvature term. */
static void check_hessian(int f, size_t d)
{
    gate_fixture fx;
    gate_fixture_make(&fx, f, d);
    gmoe_em *w = fx.w;
    size_t n = fx.data->n, k = 3, P = w->g.P, q = d + 1;
    gmoe_model *m = gmoe_model_clone(gmoe_em_model(w));
    double *logw = malloc(n * k * sizeof(double)), *H = malloc(P * P * sizeof(double));
    double theta[16], tp[16];
    get_theta(m, theta, 0);
    ck_assert_int_eq(w->g.has_curv, em_families[f].gate == GMOE_GATE_SIGMOID);
    double fmaxabs = 0;
    for (size_t s = 0; s < P; s++)
        for (size_t t = 0; t < P; t++) {
            size_t a = s % q < t % q ? s % q : t % q, b = s % q < t % q ? t % q : s % q;
            H[s * P + t] =
                w->g.fisher[s * P + t] +
                (w->g.has_curv && s / q == t / q ? w->g.curv[(s / q) * q * q + a * q + b] : 0.0);
            fmaxabs = fmax(fmaxabs, fabs(H[s * P + t]));
        }
    const double h = 1e-3;
    for (size_t s = 0; s < P; s++)
        for (size_t t = 0; t < P; t++) {
            double qv[4];
            for (int c = 0; c < 4; c++) {
                memcpy(tp, theta, P * sizeof(double));
                tp[s] += c & 1 ? -h : h;
                tp[t] += c & 2 ? -h : h;
                qv[c] = q_at(m, tp, 0, fx.data, w->r, logw);
            }
            double hess = (qv[0] - qv[1] - qv[2] + qv[3]) / (4 * h * h);
            ck_assert_msg(fabs(-hess - H[s * P + t]) <= 1e-5 * fmaxabs,
                          "%s d=%zu: Fisher (+ curvature)[%zu][%zu] = %.10g, -Hessian of Q %.10g",
                          em_families[f].name, d, s, t, H[s * P + t], -hess);
        }
    free(H);
    free(logw);
    gmoe_model_free(m);
    gate_fixture_free(&fx);
}

START_TEST(test_gate_fisher_hessian)
{
    check_hessian(_i, 1);
}
END_TEST

START_TEST(test_gate_sigmoid_hessian_d2)
{
    check_hessian(EM_SIGMOID, 2);
}
END_TEST

/* For every family: the Fisher matrix is symmetric positive semi-definite and equals
 * sum_i J_i' (diag g_i - g_i g_i') J_i, J_i the Jacobian of the scores (emtest.h's
 * independent formulas) by central differences, g_i the public gate weights. */
static void check_fisher(int f, size_t d)
{
    gate_fixture fx;
    gate_fixture_make(&fx, f, d);
    gmoe_em *w = fx.w;
    size_t n = fx.data->n, k = 3, P = w->g.P;
    int has_tau = w->g.has_tau;
    const double *F = w->g.fisher;
    gmoe_model *m = gmoe_model_clone(gmoe_em_model(w));
    gmoe_model *mp = gmoe_model_clone(m);
    double *logw = malloc(n * k * sizeof(double));
    double *ref = calloc(P * P, sizeof(double));
    double theta[16], tp[16], J[3 * 16], s0[3], sp[3], sm[3], x[2], g[3];
    int sel[3], selp[3];
    get_theta(m, theta, has_tau);
    ck_assert_int_eq(gmoe_model_gate_log(m, fx.data, logw), GMOE_SUCCESS);
    const double h = 1e-6;
    for (size_t i = 0; i < n; i++) {
        gmoe_data_row(fx.data, i, x);
        em_scores(m, x, s0, sel);
        /* The test's scores reproduce the library's gate weights. */
        double mx = -INFINITY, z = 0;
        for (size_t j = 0; j < k; j++)
            if (sel[j]) mx = fmax(mx, s0[j]);
        for (size_t j = 0; j < k; j++)
            z += sel[j] ? exp(s0[j] - mx) : 0;
        for (size_t j = 0; j < k; j++) {
            g[j] = sel[j] ? exp(s0[j] - mx) / z : 0;
            ck_assert_double_eq_tol(g[j], exp(logw[j * n + i]), 1e-12);
        }
        for (size_t s = 0; s < P; s++) {
            memcpy(tp, theta, P * sizeof(double));
            tp[s] = theta[s] + h;
            set_theta(mp, tp, has_tau);
            em_scores(mp, x, sp, selp);
            tp[s] = theta[s] - h;
            set_theta(mp, tp, has_tau);
            em_scores(mp, x, sm, selp);
            for (size_t j = 0; j < k; j++)
                J[j * P + s] = (sp[j] - sm[j]) / (2 * h);
        }
        for (size_t s = 0; s < P; s++)
            for (size_t t = 0; t < P; t++) {
                double gj = 0, v = 0; /* J' diag(g) J - (J'g)(g'J) */
                for (size_t j = 0; j < k; j++)
                    v += g[j] * J[j * P + s] * J[j * P + t];
                double a1 = 0, a2 = 0;
                for (size_t j = 0; j < k; j++) {
                    a1 += g[j] * J[j * P + s];
                    a2 += g[j] * J[j * P + t];
                }
                gj = v - a1 * a2;
                ref[s * P + t] += gj;
            }
    }
    double fmaxabs = 0;
    for (size_t s = 0; s < P * P; s++)
        fmaxabs = fmax(fmaxabs, fabs(ref[s]));
    for (size_t s = 0; s < P; s++)
        for (size_t t = 0; t < P; t++) {
            ck_assert_msg(F[s * P + t] == F[t * P + s], "%s: Fisher not symmetric at (%zu, %zu)",
                          em_families[f].name, s, t);
            ck_assert_msg(fabs(F[s * P + t] - ref[s * P + t]) <= 1e-7 * fmaxabs,
                          "%s d=%zu: Fisher[%zu][%zu] = %.10g, sum J'(diag g - gg')J = %.10g",
                          em_families[f].name, d, s, t, F[s * P + t], ref[s * P + t]);
        }
    /* Positive semi-definite: the smallest eigenvalue is at least -rounding. */
    gsl_matrix *A = gsl_matrix_alloc(P, P);
    gsl_vector *ev = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(P);
    memcpy(A->data, F, P * P * sizeof(double));
    gsl_eigen_symm(A, ev, ws);
    ck_assert_msg(gsl_vector_min(ev) >= -1e-10 * gsl_vector_max(ev),
                  "%s: Fisher eigenvalue %g (largest %g)", em_families[f].name, gsl_vector_min(ev),
                  gsl_vector_max(ev));
    gsl_eigen_symm_free(ws);
    gsl_vector_free(ev);
    gsl_matrix_free(A);
    free(ref);
    free(logw);
    gmoe_model_free(mp);
    gmoe_model_free(m);
    gate_fixture_free(&fx);
}

START_TEST(test_gate_fisher_d1)
{
    check_fisher(_i, 1);
}
END_TEST

START_TEST(test_gate_fisher_d2)
{
    check_fisher(_i, 2);
}
END_TEST

/* ------------------------------------------------------------------ expert M-step */

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
    gmoe_model *start = poor_start(EM_SOFTMAX, 3);
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

/* A gate Newton step with a small predicted gain is taken without evaluating Q; the next
 * E-step checks the log-likelihood. Force a bad unchecked step at the maximum (a made-up
 * gradient along the first gate intercept) and check that the map undoes it: the gate comes
 * back, the log-likelihood does not fall, and it is that of the reported model. */
START_TEST(test_unchecked_gate_revert)
{
    size_t n = 1000, k = 3;
    gmoe_model *truth = em_truth(EM_SOFTMAX, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 23);
    gmoe_em_params par = gmoe_em_default_params();
    par.accel = 0;
    par.tol = 0;
    gmoe_em *w = gmoe_em_alloc(n, 1, k, GMOE_GATE_SOFTMAX);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init(w, data, truth, &par, &err), GMOE_SUCCESS);
    for (int it = 0; it < 300; it++)
        ck_assert_int_eq(gmoe_em_iterate(w, &err), GMOE_SUCCESS);
    /* At the maximum now; recompute the exact Fisher matrix. */
    w->fisher_ok = 0;
    ck_assert_int_eq(em_estep(w), GMOE_SUCCESS);
    double ll0 = gmoe_em_loglik(w), beta0 = w->m->beta0[0];
    size_t P = w->g.P, f0 = w->g.free[0];
    double h = sqrt(1e-7 * (double)n / w->g.fisher[f0 * P + f0]);
    for (size_t s = 0; s < P; s++)
        w->g.grad[s] = w->g.fisher[s * P + f0] * h; /* Newton direction h e_f0 */
    size_t reverts = w->reverts;
    ck_assert_int_eq(gmoe_em_iterate(w, &err), GMOE_SUCCESS);
    ck_assert_uint_eq(w->reverts, reverts + 1);
    ck_assert_msg(fabs(w->m->beta0[0] - beta0) <= 1e-9 * fmax(1, fabs(beta0)),
                  "gate not restored: beta0 %.15g, before %.15g", w->m->beta0[0], beta0);
    ck_assert_msg(gmoe_em_loglik(w) >= ll0 - 1e-12 * fabs(ll0), "loglik fell: %.15g -> %.15g", ll0,
                  gmoe_em_loglik(w));
    double ll;
    ck_assert_int_eq(gmoe_model_loglik(gmoe_em_model(w), data, &ll, &err), GMOE_SUCCESS);
    ck_assert_msg(fabs(ll - gmoe_em_loglik(w)) <= 1e-9 * fabs(ll), "loglik %.15g, model's %.15g",
                  gmoe_em_loglik(w), ll);
    gmoe_em_free(w);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

static Suite *em_suite(void)
{
    Suite *s = suite_create("em");
    TCase *tc = tcase_create("monotone");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_monotone_em, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_monotone_squarem, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_monotone_em_partition, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_monotone_squarem_partition, 0, EM_NFAMILIES);
    suite_add_tcase(s, tc);
    tc = tcase_create("gate");
    tcase_add_loop_test(tc, test_gate_gradient_d1, 0, EM_NNEWTON);
    tcase_add_loop_test(tc, test_gate_gradient_d2, 0, EM_NNEWTON);
    tcase_add_loop_test(tc, test_gate_fisher_hessian, EM_SOFTMAX, EM_TOPK + 1);
    tcase_add_loop_test(tc, test_gate_fisher_hessian, EM_SIGMOID, EM_SIGMOID + 1);
    tcase_add_test(tc, test_gate_sigmoid_hessian_d2);
    tcase_add_loop_test(tc, test_gate_fisher_d1, 0, EM_NNEWTON);
    tcase_add_loop_test(tc, test_gate_fisher_d2, 0, EM_NNEWTON);
    suite_add_tcase(s, tc);
    tc = tcase_create("mstep");
    tcase_add_loop_test(tc, test_mstep_experts_d1, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_mstep_experts_d2, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_mstep_experts_weighted, 0, EM_NFAMILIES);
    tcase_add_test(tc, test_var_exact_softmax);
    tcase_add_test(tc, test_var_exact_degenerate);
    tcase_add_test(tc, test_unchecked_gate_revert);
    tcase_add_test(tc, test_gauss_cov_floor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(em_suite());
}
