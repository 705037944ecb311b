/* The EM solver, one iteration at a time: monotonicity of plain EM and SQUAREM (of the
 * objective: the log-likelihood, or the Gaussian gate's joint one), the gate statistics
 * (gradient, Fisher matrix and Hessian of Q) against finite differences of Q computed here
 * from the responsibilities and the public gate weights, and the safeguards (unchecked gate
 * steps undone, invalid SQUAREM points refused). The M-steps are in test_mstep.c. Every test
 * loops over the gate families of emtest.h. The solver's private state comes from
 * em_internal.h (tests build with -I lib). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "emtest.h"
#include "em_internal.h"

/* ------------------------------------------------------------------ monotonicity */

/* The monotone quantity is the objective EM maximises (emtest.h's em_mono_rec): the
 * conditional log-likelihood, or for the Gaussian gate the joint log-likelihood of (x, y),
 * whose EM (Xu, Jordan and Hinton 1995) need not raise the conditional one. */

/* Plain EM (accel 0), SQUAREM (accel 1) or quasi-Newton (accel 2) from a poor start: a poor
 * model (from_resp 0), or a random hard partition with a flat gate, as gmoe_fit starts
 * (from_resp 1). */
static void check_monotone(int f, int accel, int from_resp)
{
    size_t n = 1000, k = 3;
    gmoe_model *truth = em_truth(f, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 101 + (unsigned long)f);
    ck_assert_ptr_nonnull(data);
    gmoe_model *start = from_resp ? em_template(f, k, 1) : em_poor_start(f, k);
    gmoe_em_params par = em_params(f);
    par.accel = accel > 0;
    par.accel_method = accel == 2 ? GMOE_ACCEL_QN : GMOE_ACCEL_SQUAREM;
    par.max_iter = 150;
    par.tol = 1e-10;
    gmoe_em *w = em_started(data, start, &par, from_resp, 3);
    gmoe_error err;
    const char *what = from_resp ? "partition start" : "poor model start";
    em_mono_rec rec = em_mono_start(w);
    gmoe_em_info info;
    int rc = gmoe_em_driver(w, em_mono_cb, &rec, &info, &err);
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

START_TEST(test_monotone_qn)
{
    check_monotone(_i, 2, 0);
    check_monotone(_i, 2, 1);
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
        if (em_stat_pinned(w, s)) { /* not computed: no M-step reads it */
            ck_assert_msg(w->g.grad[s] == 0, "%s: pinned dQ/dtheta[%zu] = %g", em_families[f].name,
                          s, w->g.grad[s]);
            continue;
        }
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
            if (em_stat_pinned(w, s) || em_stat_pinned(w, t)) {
                ck_assert_msg(H[s * P + t] == 0, "%s: pinned Fisher entry", em_families[f].name);
                continue;
            }
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
            if (em_stat_pinned(w, s) || em_stat_pinned(w, t)) {
                ck_assert_msg(F[s * P + t] == 0, "%s: pinned Fisher entry", em_families[f].name);
                continue;
            }
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

/* SQUAREM extrapolates the Gaussian gate's Gamma entry by entry, which can leave it not
 * positive definite: such a point is refused (w->refused) and the cycle falls back, never
 * fails. This start (the Gaussian family's partition start of check_monotone) is known to
 * extrapolate such Gammas; the objective must still never decrease and the model end
 * valid. */
START_TEST(test_squarem_refuses_gamma)
{
    size_t n = 1000, k = 3;
    gmoe_model *truth = em_truth(EM_GAUSSIAN, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 101 + EM_GAUSSIAN);
    gmoe_model *start = em_template(EM_GAUSSIAN, k, 1);
    gmoe_em_params par = em_params(EM_GAUSSIAN);
    par.max_iter = 150;
    par.tol = 1e-10;
    double *resp = malloc(n * k * sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    ck_assert_int_eq(gmoe_start_partition(data, k, rng, resp), GMOE_SUCCESS);
    gmoe_em *w = gmoe_em_alloc(n, 1, k, GMOE_GATE_GAUSSIAN);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init_resp(w, data, start, resp, &par, &err), GMOE_SUCCESS);
    em_mono_rec rec = em_mono_start(w);
    gmoe_em_info info;
    ck_assert_msg(gmoe_em_driver(w, em_mono_cb, &rec, &info, &err) == GMOE_SUCCESS, "%s", err.msg);
    ck_assert_msg(w->refused > 0, "no SQUAREM point was refused: the test no longer covers it");
    ck_assert_msg(rec.worst <= 1e-10, "objective decreased by %g at iteration %zu", rec.worst,
                  rec.worst_it);
    ck_assert_int_eq(info.status, GMOE_FIT_CONVERGED);
    ck_assert_msg(gmoe_model_validate(gmoe_em_model(w), &err) == GMOE_SUCCESS, "%s", err.msg);
    gsl_rng_free(rng);
    free(resp);
    gmoe_em_free(w);
    gmoe_model_free(start);
    gmoe_data_free(data);
    gmoe_model_free(truth);
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
    tcase_add_loop_test(tc, test_monotone_qn, 0, EM_NFAMILIES);
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
    tc = tcase_create("safeguard");
    tcase_add_test(tc, test_unchecked_gate_revert);
    tcase_add_test(tc, test_squarem_refuses_gamma);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(em_suite());
}
