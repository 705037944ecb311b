/* The quasi-Newton acceleration (em_qn.c) and the fast E-step it uses (estep_fast.c).
 *
 * - The fast E-step's statistics equal those of the general E-step (estep.c), which the EM
 *   tests check against finite differences and naive formulas, and its log-likelihood equals
 *   gmoe_model_loglik (compensated sum, libm exp and log), for every k it covers.
 * - Quasi-Newton ends where plain EM ends (the same fixed point) on well-identified fits of
 *   every gate family, and the gradient of the log-likelihood there, by central finite
 *   differences of gmoe_model_loglik in the canonical free parameters, is zero.
 * - Its log-likelihood never decreases (test_em.c's monotone tests run it for every family
 *   too), and on the over-specified published setting it ends no lower than SQUAREM.
 * - With an active gate bound it reaches SQUAREM's maximum (test_bound.c checks its KKT
 *   conditions and monotonicity in the box for every gate family). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emtest.h"
#include "em_internal.h"

/* ------------------------------------------------------------------ fast E-step */

/* Relative difference, with a floor on the scale for sums that cancel to near 0. */
static double reldiff(double a, double b, double scale)
{
    return fabs(a - b) / (fabs(b) + scale);
}

static void check_fast_estep(size_t k, unsigned long seed, double spread)
{
    size_t n = 3000; /* not a multiple of the block: a partial last block */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    test_params p;
    test_params_random(&p, &test_families[0], k, 1, rng);
    for (size_t j = 0; j < k; j++) {
        p.beta0[j] *= spread;
        p.beta1[j][0] *= spread;
        p.var[j] /= spread;
    }
    gmoe_model *m = test_params_model(&p);
    gmoe_data *data = NULL;
    gmoe_design des = {GMOE_DESIGN_UNIFORM, -2, 3, NULL};
    ck_assert_int_eq(gmoe_sim_data(m, &des, n, seed + 1, &data, NULL), GMOE_SUCCESS);
    gmoe_em *w = gmoe_em_alloc(n, 1, k, GMOE_GATE_SOFTMAX);
    gmoe_em_params par = gmoe_em_default_params();
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init(w, data, m, &par, &err), GMOE_SUCCESS);
    ck_assert(em_estep_fast_ok(w));
    size_t q = 2, P = w->g.P;
    /* The general E-step's statistics, with the Fisher matrix. */
    w->fast_estep = 0;
    w->fisher_ok = 0;
    ck_assert_int_eq(em_estep(w), GMOE_SUCCESS);
    double ll = w->ll, Q = w->g.Q, *ref = malloc((4 * k * q * q + P * P + P + k * n) * sizeof *ref);
    double *Sxx = ref, *Sxy = Sxx + k * q * q, *Ssq = Sxy + k * q, *Sr = Ssq + k;
    double *grad = Sr + k, *F = grad + P, *r = F + P * P;
    memcpy(Sxx, w->Sxx, k * q * q * sizeof *ref);
    memcpy(Sxy, w->Sxy, k * q * sizeof *ref);
    memcpy(Ssq, w->Ssq, k * sizeof *ref);
    memcpy(Sr, w->Sr, k * sizeof *ref);
    memcpy(grad, w->g.grad, P * sizeof *ref);
    memcpy(F, w->g.fisher, P * P * sizeof *ref);
    memcpy(r, w->r, k * n * sizeof *ref);
    for (int full = 0; full <= 1; full++) {
        w->fast_estep = 1;
        w->fast_full = full;
        w->fisher_ok = 0;
        memset(w->r, 0, k * n * sizeof *ref);
        ck_assert_int_eq(em_estep(w), GMOE_SUCCESS);
        char ctx[64];
        snprintf(ctx, sizeof ctx, "k %zu seed %lu spread %g full %d", k, seed, spread, full);
        ck_assert_msg(reldiff(w->ll, ll, 0) <= 1e-12, "%s: ll %.17g vs %.17g", ctx, w->ll, ll);
        double llm;
        ck_assert_int_eq(gmoe_model_loglik(m, data, &llm, &err), GMOE_SUCCESS);
        ck_assert_msg(reldiff(w->ll, llm, 0) <= 1e-12, "%s: ll %.17g, model %.17g", ctx, w->ll,
                      llm);
        if (full)
            ck_assert_msg(reldiff(w->g.Q, Q, 1e-12 * n) <= 1e-12, "%s: Q %.17g vs %.17g", ctx,
                          w->g.Q, Q);
        /* Sums over all n: the floor on their scale is n times a typical term (of order 1: the
         * covariates are standardised), for sums that cancel to near 0 in a different order. */
        for (size_t j = 0; j < k; j++) {
            ck_assert_msg(reldiff(w->Sr[j], Sr[j], (double)n) <= 1e-11, "%s: Sr", ctx);
            ck_assert_msg(reldiff(w->Ssq[j], Ssq[j], (double)n) <= 1e-11, "%s: Ssq", ctx);
            for (size_t a = 0; a < q; a++) {
                ck_assert_msg(reldiff(w->Sxy[j * q + a], Sxy[j * q + a], (double)n) <= 1e-11,
                              "%s: Sxy[%zu][%zu] %.17g vs %.17g", ctx, j, a, w->Sxy[j * q + a],
                              Sxy[j * q + a]);
                for (size_t b = 0; b < q; b++)
                    ck_assert_msg(reldiff(w->Sxx[j * q * q + a * q + b], Sxx[j * q * q + a * q + b],
                                          (double)n) <= 1e-11,
                                  "%s: Sxx", ctx);
            }
        }
        /* The pinned expert's entries: the fast E-step computes them, the reference leaves
         * them at 0 (no M-step reads them). */
        for (size_t s = 0; s < P; s++)
            ck_assert_msg(em_stat_pinned(w, s) ||
                              reldiff(w->g.grad[s], grad[s], (double)n) <= 1e-11,
                          "%s: grad[%zu] %.17g vs %.17g", ctx, s, w->g.grad[s], grad[s]);
        for (size_t s = 0; s < P * P; s++)
            ck_assert_msg(em_stat_pinned(w, s / P) || em_stat_pinned(w, s % P) ||
                              reldiff(w->g.fisher[s], F[s], (double)n) <= 1e-11,
                          "%s: fisher[%zu]", ctx, s);
        if (full)
            for (size_t s = 0; s < k * n; s++)
                ck_assert_msg(fabs(w->r[s] - r[s]) <= 1e-13, "%s: r[%zu]", ctx, s);
    }
    free(ref);
    gmoe_em_free(w);
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}

START_TEST(test_fast_estep)
{
    size_t k = (size_t)_i;
    check_fast_estep(k, 10 + (unsigned long)k, 1.0);
    /* Steep gates and narrow experts: weights and densities that underflow for most rows. */
    check_fast_estep(k, 20 + (unsigned long)k, 30.0);
}
END_TEST

/* ------------------------------------------------------------------ fixed point */

static gmoe_em *run_to(int f, const gmoe_data *data, const gmoe_model *start, int accel,
                       gmoe_accel method, gmoe_em_info *info)
{
    gmoe_em_params par = em_params(f);
    par.accel = accel;
    par.accel_method = method;
    par.tol = 1e-13;
    par.max_iter = 100000;
    gmoe_em *w = gmoe_em_alloc(data->n, 1, gmoe_model_k(start), gmoe_model_gate(start));
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init(w, data, start, &par, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_em_driver(w, NULL, NULL, info, &err), GMOE_SUCCESS);
    return w;
}

/* The free parameters of the canonical form of m (as gmoe_em_nparams counts them) through
 * accessors: reads (set = 0) or writes them. */
static size_t free_params(gmoe_model *m, double *v, int set)
{
    size_t k = gmoe_model_k(m), nv = 0;
    gmoe_gate gate = gmoe_model_gate(m);
    for (size_t j = 0; j < k; j++) {
        double b0, b1, a, b, var;
        gmoe_model_get_expert(m, j, &b0, &b1, &a, &b, &var);
        int last = j + 1 == k;
        int pin0 = last && gate != GMOE_GATE_SIGMOID;
        int pin1 = last && gate != GMOE_GATE_SIGMOID && gate != GMOE_GATE_ACTIVATION;
        double *pv[5] = {pin0 ? NULL : &b0, pin1 ? NULL : &b1, &a, &b, &var};
        for (int s = 0; s < 5; s++) {
            if (!pv[s]) continue;
            if (set)
                *pv[s] = v[nv];
            else
                v[nv] = *pv[s];
            nv++;
        }
        if (set) gmoe_model_set_expert(m, j, b0, &b1, &a, b, var);
    }
    if (gmoe_model_tau(m) > 0 && (gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION)) {
        if (set)
            gmoe_model_set_tau(m, v[nv]);
        else
            v[nv] = gmoe_model_tau(m);
        nv++;
    }
    return nv;
}

/* Quasi-Newton and plain EM, both run to 1e-13 per observation from the truth of family f
 * (k = 2, well identified), end at the same model, and the log-likelihood's gradient is zero
 * there (central differences, steps of 1e-5 relative). */
START_TEST(test_qn_fixed_point)
{
    int f = _i;
    size_t n = 2000, k = 2;
    gmoe_model *truth = em_truth(f, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 301 + (unsigned long)f);
    gmoe_em_info iq, ie;
    gmoe_em *wq = run_to(f, data, truth, 1, GMOE_ACCEL_QN, &iq);
    gmoe_em *we = run_to(f, data, truth, 0, GMOE_ACCEL_QN, &ie);
    const char *name = em_families[f].name;
    ck_assert_msg(iq.status == GMOE_FIT_CONVERGED && ie.status == GMOE_FIT_CONVERGED,
                  "%s: status qn %s, em %s", name, gmoe_fit_status_name(iq.status),
                  gmoe_fit_status_name(ie.status));
    ck_assert_msg(iq.loglik >= ie.loglik - 1e-8 * n, "%s: qn loglik %.12f below em %.12f", name,
                  iq.loglik, ie.loglik);
    gmoe_model *mq = gmoe_model_clone(gmoe_em_model(wq)), *me = gmoe_model_clone(gmoe_em_model(we));
    gmoe_model_canonicalize(mq);
    gmoe_model_canonicalize(me);
    double vq[32], ve[32];
    size_t nv = free_params(mq, vq, 0);
    ck_assert_uint_eq(free_params(me, ve, 0), nv);
    for (size_t s = 0; s < nv; s++)
        ck_assert_msg(fabs(vq[s] - ve[s]) <= 1e-4 * (1 + fabs(ve[s])),
                      "%s: parameter %zu: qn %.10g, em %.10g", name, s, vq[s], ve[s]);
    /* dl/dv_s at the quasi-Newton fit: about 1e-6 at most here (with n = 2000, a parameter
     * 1e-3 off its fitted value would give 1e-1 and more). */
    gmoe_error err;
    for (size_t s = 0; s < nv; s++) {
        double h = 1e-5 * (1 + fabs(vq[s])), v0 = vq[s], lp, lm;
        vq[s] = v0 + h;
        free_params(mq, vq, 1);
        ck_assert_int_eq(gmoe_model_loglik(mq, data, &lp, &err), GMOE_SUCCESS);
        vq[s] = v0 - h;
        free_params(mq, vq, 1);
        ck_assert_int_eq(gmoe_model_loglik(mq, data, &lm, &err), GMOE_SUCCESS);
        vq[s] = v0;
        free_params(mq, vq, 1);
        double g = (lp - lm) / (2 * h);
        ck_assert_msg(fabs(g) <= 1e-4, "%s: dl/dparameter %zu = %g at the fit", name, s, g);
    }
    gmoe_model_free(mq);
    gmoe_model_free(me);
    gmoe_em_free(wq);
    gmoe_em_free(we);
    gmoe_data_free(data);
    gmoe_model_free(truth);
}
END_TEST

/* ------------------------------------------------------------------ over-specified */

/* Fit k experts to n observations of the published softmax truth (x from design des, seed
 * seed) with SQUAREM (res[0]) and quasi-Newton (res[1]); fp0 sets the rest (starts, init,
 * gate bound). */
static void fit_both(gmoe_design des, size_t n, unsigned long seed, size_t k, gmoe_fit_params fp0,
                     gmoe_fit_result res[2])
{
    gmoe_model *truth = test_softmax_truth();
    gmoe_data *data = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_sim_data(truth, &des, n, seed, &data, &err), GMOE_SUCCESS);
    for (int a = 0; a < 2; a++) {
        gmoe_fit_params fp = fp0;
        fp.truth = truth;
        fp.threads = 1;
        fp.em.accel_method = a ? GMOE_ACCEL_QN : GMOE_ACCEL_SQUAREM;
        gmoe_model *templ = gmoe_model_alloc(k, 1, GMOE_GATE_SOFTMAX), *fit = NULL;
        ck_assert_int_eq(gmoe_fit(data, templ, &fp, &fit, &res[a], &err), GMOE_SUCCESS);
        gmoe_model_free(fit);
        gmoe_model_free(templ);
    }
    gmoe_data_free(data);
    gmoe_model_free(truth);
}

/* The published truth with k = 4 (two extra experts), best of 3 near-true starts, gmoe's
 * stopping rule: quasi-Newton ends at least as high as SQUAREM, with fewer passes. */
START_TEST(test_qn_overspecified)
{
    gmoe_fit_params fp = gmoe_fit_default_params();
    fp.init = GMOE_INIT_NEAR_TRUE;
    fp.starts = 3;
    gmoe_fit_result res[2];
    fit_both((gmoe_design){GMOE_DESIGN_GRID, 0, 1, NULL}, 20000, 17, 4, fp, res);
    ck_assert_msg(res[1].info.loglik >= res[0].info.loglik - 1e-3, "qn loglik %.8f, squarem %.8f",
                  res[1].info.loglik, res[0].info.loglik);
    ck_assert_msg(res[1].info.passes < res[0].info.passes, "qn %zu passes, squarem %zu",
                  res[1].info.passes, res[0].info.passes);
}
END_TEST

/* The compact parameter set (gate_bound): k = 3 on data from the 2-expert softmax truth with
 * x ~ U(0, 1), n = 5000, seed 3, 5 data starts, |beta| <= 10. The bound is active at the best
 * fit, and quasi-Newton, which holds the gate entries on a bound that the gradient pushes
 * out and steps in the others, reaches SQUAREM's maximum (a step that solved for every
 * coordinate and was then cut by the projection gained little each time, the stopping rule
 * took that for convergence, and the best start ended 2.1 units lower: -2285.686 against
 * -2283.543). */
START_TEST(test_qn_bounded)
{
    gmoe_fit_params fp = gmoe_fit_default_params();
    fp.starts = 5;
    fp.em.gate_bound = 10;
    gmoe_fit_result res[2];
    fit_both((gmoe_design){GMOE_DESIGN_UNIFORM, 0, 1, NULL}, 5000, 3, 3, fp, res);
    for (int a = 0; a < 2; a++) {
        ck_assert_int_eq(res[a].info.status, GMOE_FIT_CONVERGED);
        ck_assert_uint_gt(res[a].info.bound_active, 0);
    }
    ck_assert_msg(fabs(res[1].info.loglik - res[0].info.loglik) <= 1e-4,
                  "qn loglik %.8f, squarem %.8f", res[1].info.loglik, res[0].info.loglik);
    ck_assert_uint_eq(res[1].info.bound_active, res[0].info.bound_active);
}
END_TEST

static Suite *qn_suite(void)
{
    Suite *s = suite_create("qn");
    TCase *tc = tcase_create("fast-estep");
    tcase_add_loop_test(tc, test_fast_estep, 1, FAST_KMAX + 1);
    suite_add_tcase(s, tc);
    tc = tcase_create("qn");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_qn_fixed_point, 0, EM_NFAMILIES);
    tcase_add_test(tc, test_qn_overspecified);
    tcase_add_test(tc, test_qn_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(qn_suite());
}
