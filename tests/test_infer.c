/* Standard errors (gmoe_infer.h). The analytic information, the summed score and the
 * per-observation scores (through J = sum_i s_i s_i') are checked against central finite
 * differences of the log-likelihood (gmoe_model_loglik; for the Gaussian gate plus the
 * marginal of x written out in emtest.h), with Richardson extrapolation, for every gate
 * family, d = 1 and d = 2, at a point that is not a maximum (the formulas hold anywhere).
 * The standard errors of a converged fit are checked against the inverse of a brute-force
 * numerical Hessian (inverted by GSL's LU, not the library's Cholesky), and the cases
 * without standard errors return none with their reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_linalg.h>
#include "emtest.h"
#include "sweep_internal.h"

/* The objective the information belongs to. */
static double objective(const gmoe_model *m, const gmoe_data *data)
{
    double ll = NAN;
    ck_assert_int_eq(gmoe_model_loglik(m, data, &ll, NULL), GMOE_SUCCESS);
    if (gmoe_model_gate(m) == GMOE_GATE_GAUSSIAN) ll += em_gauss_loglik_x(m, data);
    return ll;
}

typedef struct fdctx {
    gmoe_model *m;
    const gmoe_data *data;
    int tau_free;
    double *theta, *work;
    size_t p;
} fdctx;

static double obj_at(fdctx *c, const double *theta)
{
    gmoe_infer_unpack(c->m, c->tau_free, theta);
    return objective(c->m, c->data);
}

static double step(const double *theta, size_t q)
{
    return 1e-4 * (1 + fabs(theta[q]));
}

/* d/dtheta_q by central differences, Richardson-extrapolated (error O(h^4)). */
static double fd_grad(fdctx *c, size_t q)
{
    double h = step(c->theta, q), v[2];
    for (int e = 0; e < 2; e++) {
        double hh = e ? h / 2 : h;
        memcpy(c->work, c->theta, c->p * sizeof(double));
        c->work[q] += hh;
        double fp = obj_at(c, c->work);
        c->work[q] -= 2 * hh;
        v[e] = (fp - obj_at(c, c->work)) / (2 * hh);
    }
    return (4 * v[1] - v[0]) / 3;
}

/* d2/dtheta_a dtheta_b likewise. */
static double fd_hess(fdctx *c, size_t a, size_t b)
{
    double ha = step(c->theta, a), hb = step(c->theta, b), v[2];
    for (int e = 0; e < 2; e++) {
        double sa = e ? ha / 2 : ha, sb = e ? hb / 2 : hb, f[4];
        for (int s = 0; s < 4; s++) {
            memcpy(c->work, c->theta, c->p * sizeof(double));
            c->work[a] += s & 1 ? -sa : sa;
            c->work[b] += s & 2 ? -sb : sb;
            f[s] = obj_at(c, c->work);
        }
        v[e] = (f[0] - f[1] - f[2] + f[3]) / (4 * sa * sb);
    }
    return (4 * v[1] - v[0]) / 3;
}

/* A model of family f with k = 3 experts and d covariates, away from the truth (every
 * parameter moved a little), in canonical form. */
static gmoe_model *test_point(int f, size_t d)
{
    gmoe_model *t = em_truth(f, 3);
    gmoe_model *m = em_template(f, 3, d);
    gmoe_model_set_tau(m, em_families[f].tau * 1.1);
    for (size_t j = 0; j < 3; j++) {
        double b0, b1[2], a[2], b, var, pi, c[2], G[4];
        gmoe_model_get_expert(t, j, &b0, b1, a, &b, &var);
        gmoe_model_get_gauss(t, j, &pi, c, G);
        b1[1] = -0.5 * b1[0] + 0.3;
        a[1] = 0.7 - 0.2 * (double)j;
        c[1] = 0.5 * c[0] - 0.1 * (double)j;
        /* d = 2: a correlated Gamma, so that the off-diagonal entry is a parameter too */
        double off = 0.05 * ((double)j - 1), Gd[4] = {G[0], off, off, 0.3};
        for (size_t t2 = 0; t2 < d; t2++) {
            b1[t2] *= 1.05;
            a[t2] += 0.02;
        }
        gmoe_model_set_expert(m, j, b0 + 0.03, b1, a, b - 0.02, var * 1.07);
        gmoe_model_set_gauss(m, j, pi, c, Gd);
    }
    gmoe_model_free(t);
    gmoe_model_canonicalize(m);
    return m;
}

static gmoe_data *test_data(const gmoe_model *m, size_t n, unsigned long seed)
{
    return em_simulate(m, n, -2, 2, seed);
}

/* |got - want| within rel times the row's scale (the largest |entry| of the row): entries
 * that cancel to near 0 are judged against the row's size, not their own. */
static void check_row(const double *got, const double *want, size_t p, double rel, const char *what,
                      const char *fam, size_t a)
{
    double scale = 0;
    for (size_t b = 0; b < p; b++)
        if (fabs(want[b]) > scale) scale = fabs(want[b]);
    for (size_t b = 0; b < p; b++)
        ck_assert_msg(fabs(got[b] - want[b]) <= rel * scale,
                      "%s, %s[%zu][%zu]: analytic %.12g, finite differences %.12g (row scale %g)",
                      fam, what, a, b, got[b], want[b], scale);
}

static void check_information(int f, size_t d)
{
    const char *fam = em_families[f].name;
    int tau_free = !em_families[f].fix_tau;
    gmoe_model *m = test_point(f, d);
    gmoe_data *data = test_data(m, 400, 77 + (unsigned long)f);
    ck_assert_ptr_nonnull(data);
    size_t p = gmoe_infer_nparams(m, tau_free);
    double *I = malloc(3 * p * p * sizeof(double) + 4 * p * sizeof(double));
    double *Hfd = I + p * p, *J = Hfd + p * p, *grad = J + p * p, *gfd = grad + p;
    double *theta = gfd + p, *work = theta + p;
    double obj;
    ck_assert_int_eq(gmoe_infer_information(m, data, tau_free, &obj, I, J, grad, NULL),
                     GMOE_SUCCESS);
    ck_assert_close(obj, objective(m, data), 1e-9, 1e-12, fam);
    gmoe_model *mm = gmoe_model_clone(m);
    gmoe_infer_pack(m, tau_free, theta);
    fdctx c = {mm, data, tau_free, theta, work, p};
    for (size_t a = 0; a < p; a++) {
        gfd[a] = fd_grad(&c, a);
        for (size_t b = 0; b < p; b++)
            Hfd[a * p + b] = -fd_hess(&c, a, b);
    }
    check_row(grad, gfd, p, 1e-5, "gradient", fam, 0);
    for (size_t a = 0; a < p; a++)
        check_row(I + a * p, Hfd + a * p, p, 1e-5, "information", fam, a);

    /* Per-observation scores: J against the outer products of finite-difference gradients
     * of each observation's log-likelihood (the first 12 observations as a data set). */
    size_t nn = 12;
    gmoe_data *sub = gmoe_data_alloc(nn, d, 1);
    for (size_t t = 0; t < d; t++)
        memcpy(sub->x + t * nn, data->x + t * data->n, nn * sizeof(double));
    memcpy(sub->y, data->y, nn * sizeof(double));
    ck_assert_int_eq(gmoe_infer_information(m, sub, tau_free, NULL, NULL, J, NULL, NULL),
                     GMOE_SUCCESS);
    memset(Hfd, 0, p * p * sizeof(double));
    gmoe_data *one = gmoe_data_alloc(1, d, 1);
    for (size_t i = 0; i < nn; i++) {
        for (size_t t = 0; t < d; t++)
            one->x[t] = sub->x[t * nn + i];
        one->y[0] = sub->y[i];
        fdctx c1 = {mm, one, tau_free, theta, work, p};
        for (size_t a = 0; a < p; a++)
            gfd[a] = fd_grad(&c1, a);
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                Hfd[a * p + b] += gfd[a] * gfd[b];
    }
    for (size_t a = 0; a < p; a++)
        check_row(J + a * p, Hfd + a * p, p, 1e-5, "J", fam, a);
    gmoe_data_free(one);
    gmoe_data_free(sub);
    gmoe_model_free(mm);
    gmoe_model_free(m);
    gmoe_data_free(data);
    free(I);
}

START_TEST(test_information_d1)
{
    check_information(_i, 1);
}
END_TEST

START_TEST(test_information_d2)
{
    check_information(_i, 2);
}
END_TEST

/* The parameter vector: its length per family and a pack/unpack round trip. */
START_TEST(test_layout)
{
    /* k = 3, d = 2: gate + experts (3 * 4) + tau */
    static const size_t want[EM_NFAMILIES] = {
        6 + 12, 6 + 12, 6 + 12, 6 + 12 + 1, 2 + 6 + 12 + 1, 2 + 6 + 12 + 1, 9 + 12, 2 + 6 + 9 + 12};
    int tau_free = !em_families[_i].fix_tau;
    gmoe_model *m = test_point(_i, 2);
    size_t p = gmoe_infer_nparams(m, tau_free);
    ck_assert_uint_eq(p, want[_i]);
    double theta[64], back[64];
    gmoe_infer_pack(m, tau_free, theta);
    gmoe_model *z = em_template(_i, 3, 2);
    gmoe_infer_unpack(z, tau_free, theta);
    gmoe_infer_pack(z, tau_free, back);
    for (size_t q = 0; q < p; q++) {
        char name[64];
        gmoe_infer_param_name(m, tau_free, q, name, sizeof name);
        ck_assert_msg(name[0] != 0, "parameter %zu has no name", q);
        ck_assert_msg(theta[q] == back[q], "%s: %s does not round-trip", em_families[_i].name,
                      name);
    }
    gmoe_model_free(z);
    gmoe_model_free(m);
}
END_TEST

/* Fit family f (k = 3, d = 1, n = 3000) from the truth until converged. */
static gmoe_model *fit_truth(int f, const gmoe_data *data, gmoe_em_info *info)
{
    gmoe_model *t = em_truth(f, 3);
    gmoe_em_params par = em_params(f);
    par.tol = 1e-12;
    gmoe_em *w = gmoe_em_alloc(data->n, 1, 3, em_families[f].gate);
    ck_assert_int_eq(gmoe_em_init(w, data, t, &par, NULL), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_em_driver(w, NULL, NULL, info, NULL), GMOE_SUCCESS);
    gmoe_model *m = gmoe_model_clone(gmoe_em_model(w));
    gmoe_em_free(w);
    gmoe_model_free(t);
    return m;
}

/* Observed SEs of a converged fit against sqrt(diag(H^-1)) of the numerical Hessian H,
 * inverted by LU; the sandwich against V J V with J from the analytic scores (checked
 * above) and V from the numerical Hessian. Temperature with tau free has none (below). */
START_TEST(test_se_numerical)
{
    if (_i == EM_TEMP_FREE) return;
    const char *fam = em_families[_i].name;
    int tau_free = !em_families[_i].fix_tau;
    gmoe_model *t = em_truth(_i, 3);
    gmoe_data *data = test_data(t, 3000, 5);
    gmoe_em_info info;
    gmoe_model *m = fit_truth(_i, data, &info);
    ck_assert_int_eq(info.status, GMOE_FIT_CONVERGED);
    size_t p = gmoe_infer_nparams(m, tau_free);
    gsl_matrix *H = gsl_matrix_alloc(p, p), *V = gsl_matrix_alloc(p, p);
    gsl_permutation *perm = gsl_permutation_alloc(p);
    double *theta = malloc(2 * p * sizeof(double)), *work = theta + p;
    gmoe_infer_pack(m, tau_free, theta);
    gmoe_model *mm = gmoe_model_clone(m);
    fdctx c = {mm, data, tau_free, theta, work, p};
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++)
            gsl_matrix_set(H, a, b, -fd_hess(&c, a, b));
    int sgn;
    gsl_linalg_LU_decomp(H, perm, &sgn);
    gsl_linalg_LU_invert(H, perm, V);
    for (int method = GMOE_SE_OBSERVED; method <= GMOE_SE_SANDWICH; method++) {
        gmoe_se_params sp = gmoe_se_default_params();
        sp.method = (gmoe_se_method)method;
        sp.tau_free = tau_free;
        gmoe_se *se = gmoe_se_alloc(m, tau_free);
        ck_assert_int_eq(gmoe_se_compute(se, m, data, &sp, &info, NULL), GMOE_SUCCESS);
        ck_assert_msg(gmoe_se_reason(se) == NULL, "%s: no SEs: %s", fam, gmoe_se_reason(se));
        const double *cov = gmoe_se_cov(se);
        double *want = malloc(p * p * sizeof(double));
        if (method == GMOE_SE_SANDWICH) {
            double *J = malloc(p * p * sizeof(double));
            gmoe_infer_information(m, data, tau_free, NULL, NULL, J, NULL, NULL);
            for (size_t a = 0; a < p; a++)
                for (size_t b = 0; b < p; b++) {
                    double s = 0;
                    for (size_t u = 0; u < p; u++)
                        for (size_t v = 0; v < p; v++)
                            s += gsl_matrix_get(V, a, u) * J[u * p + v] * gsl_matrix_get(V, v, b);
                    want[a * p + b] = s;
                }
            free(J);
        } else {
            for (size_t a = 0; a < p; a++)
                for (size_t b = 0; b < p; b++)
                    want[a * p + b] = gsl_matrix_get(V, a, b);
        }
        for (size_t a = 0; a < p; a++) {
            char name[64];
            gmoe_infer_param_name(m, tau_free, a, name, sizeof name);
            double got = sqrt(cov[a * p + a]), w = sqrt(want[a * p + a]);
            ck_assert_msg(fabs(got - w) <= 1e-5 * w, "%s, %s SE of %s: %.10g, numerical %.10g", fam,
                          gmoe_se_method_name(sp.method), name, got, w);
        }
        free(want);
        gmoe_se_free(se);
    }
    free(theta);
    gmoe_model_free(mm);
    gsl_permutation_free(perm);
    gsl_matrix_free(V);
    gsl_matrix_free(H);
    gmoe_model_free(m);
    gmoe_model_free(t);
    gmoe_data_free(data);
}
END_TEST

static void expect_none(const gmoe_model *m, const gmoe_data *data, int tau_free,
                        const gmoe_em_info *info, const char *needle)
{
    gmoe_se_params sp = gmoe_se_default_params();
    sp.tau_free = tau_free;
    gmoe_se *se = gmoe_se_alloc(m, tau_free);
    ck_assert_int_eq(gmoe_se_compute(se, m, data, &sp, info, NULL), GMOE_SUCCESS);
    const char *why = gmoe_se_reason(se);
    ck_assert_msg(why && strstr(why, needle), "expected no SEs because of \"%s\", got %s", needle,
                  why ? why : "standard errors");
    ck_assert_ptr_null(gmoe_se_cov(se));
    double b;
    gmoe_se_get_expert(se, 0, NULL, NULL, NULL, &b, NULL);
    ck_assert(isnan(b));
    gmoe_se_free(se);
}

/* None, with the reason: non-interior fits, the temperature gate's (beta1, tau) direction,
 * and a singular information (two identical covariates: beta1 and a along x1 - x2 are
 * not determined). */
START_TEST(test_se_none)
{
    gmoe_model *t = em_truth(EM_SOFTMAX, 3);
    gmoe_data *data = test_data(t, 500, 9);
    gmoe_em_info info = {0};
    info.status = GMOE_FIT_DEGENERATE;
    expect_none(t, data, 0, &info, "degenerate");
    info.status = GMOE_FIT_GATE_DIVERGENT;
    expect_none(t, data, 0, &info, "gate-divergent");
    info.status = GMOE_FIT_CONVERGED;
    info.bound_active = 2;
    expect_none(t, data, 0, &info, "gate bound");
    gmoe_model *tt = em_truth(EM_TEMP_FREE, 3);
    expect_none(tt, data, 1, NULL, "beta1/tau");

    gmoe_model *m2 = test_point(EM_SOFTMAX, 2);
    gmoe_data *d2 = test_data(m2, 500, 3);
    memcpy(d2->x + d2->n, d2->x, d2->n * sizeof(double));
    expect_none(m2, d2, 0, NULL, "observed information");
    gmoe_model_free(m2);
    gmoe_data_free(d2);
    gmoe_model_free(tt);
    gmoe_model_free(t);
    gmoe_data_free(data);
}
END_TEST

/* The parametric bootstrap: the same covariance, bit for bit, with 1 and 2 threads; standard
 * errors near the observed ones (B = 100 replicates: each SE within 30 %, a spread of about
 * 4 sample standard errors of a bootstrap SE). */
START_TEST(test_se_bootstrap)
{
    gmoe_model *t = test_softmax_truth();
    gmoe_design des = {GMOE_DESIGN_UNIFORM, 0, 1, NULL};
    gmoe_data *data = NULL;
    ck_assert_int_eq(gmoe_sim_data(t, &des, 2000, 11, &data, NULL), GMOE_SUCCESS);
    gmoe_em_params emp = gmoe_em_default_params();
    gmoe_em *w = gmoe_em_alloc(data->n, 1, 2, GMOE_GATE_SOFTMAX);
    gmoe_em_info info;
    ck_assert_int_eq(gmoe_em_init(w, data, t, &emp, NULL), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_em_driver(w, NULL, NULL, &info, NULL), GMOE_SUCCESS);
    gmoe_model *m = gmoe_model_clone(gmoe_em_model(w));
    gmoe_em_free(w);
    size_t p = gmoe_infer_nparams(m, 0);
    gmoe_se *obs = gmoe_se_alloc(m, 0), *b1 = gmoe_se_alloc(m, 0), *b2 = gmoe_se_alloc(m, 0);
    gmoe_se_params sp = gmoe_se_default_params();
    ck_assert_int_eq(gmoe_se_compute(obs, m, data, &sp, &info, NULL), GMOE_SUCCESS);
    sp.method = GMOE_SE_BOOTSTRAP;
    sp.bootstrap = 100;
    sp.seed = 3;
    sp.threads = 1;
    ck_assert_int_eq(gmoe_se_compute(b1, m, data, &sp, &info, NULL), GMOE_SUCCESS);
    sp.threads = 2;
    ck_assert_int_eq(gmoe_se_compute(b2, m, data, &sp, &info, NULL), GMOE_SUCCESS);
    ck_assert_ptr_nonnull(gmoe_se_cov(b1));
    ck_assert_uint_eq(gmoe_se_bootstrap_failed(b1), 0);
    ck_assert(memcmp(gmoe_se_cov(b1), gmoe_se_cov(b2), p * p * sizeof(double)) == 0);
    for (size_t q = 0; q < p; q++) {
        double so = sqrt(gmoe_se_cov(obs)[q * p + q]), sb = sqrt(gmoe_se_cov(b1)[q * p + q]);
        char name[64];
        gmoe_infer_param_name(m, 0, q, name, sizeof name);
        ck_assert_msg(fabs(sb - so) <= 0.3 * so, "%s: bootstrap SE %g, observed %g", name, sb, so);
    }
    gmoe_se_free(obs);
    gmoe_se_free(b1);
    gmoe_se_free(b2);
    gmoe_model_free(m);
    gmoe_model_free(t);
    gmoe_data_free(data);
}
END_TEST

/* The sweep metric coverage on a fit whose experts come in the other order than the truth's:
 * the fit is the truth itself (every interval covers), then one expert's b moved by 5 SEs
 * (only that column uncovered). The matching goes through the Voronoi cells and the gate is
 * compared relative to the expert matched to the truth's reference expert. */
START_TEST(test_coverage_matching)
{
    char dir[] = "/tmp/gmoe-test-infer-XXXXXX", truth[128], conf[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(truth, sizeof truth, "%s/truth.json", dir);
    snprintf(conf, sizeof conf, "%s/cov.conf", dir);
    gmoe_model *t = test_softmax_truth();
    ck_assert_int_eq(gmoe_model_write(truth, t, NULL, NULL), GMOE_SUCCESS);
    FILE *fp = fopen(conf, "w");
    fprintf(fp, "truth = truth.json\ndesign = grid 0 1\nk = 2\nn = 2000\nreps = 1\n"
                "metrics = loss coverage\n");
    fclose(fp);
    gmoe_sweep *sw = NULL;
    ck_assert_int_eq(gmoe_sweep_load(conf, &sw, NULL), GMOE_SUCCESS);
    size_t nc = gmoe__sweep_coverage_count(sw);
    ck_assert_uint_eq(nc, 8);
    gmoe_design des = {GMOE_DESIGN_GRID, 0, 1, NULL};
    gmoe_data *data = NULL;
    ck_assert_int_eq(gmoe_sim_data(t, &des, 2000, 4, &data, NULL), GMOE_SUCCESS);
    /* the fit: the truth with its experts swapped, in canonical form */
    gmoe_model *f = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    for (size_t j = 0; j < 2; j++) {
        double b0, b1, a, b, v;
        gmoe_model_get_expert(t, 1 - j, &b0, &b1, &a, &b, &v);
        gmoe_model_set_expert(f, j, b0, &b1, &a, b, v);
    }
    gmoe_model_canonicalize(f);
    gmoe_eval_result *ev = gmoe_eval_result_alloc(2, 2, 1);
    gmoe_eval_params ep = gmoe_eval_default_params();
    gmoe_fit_result fr;
    memset(&fr, 0, sizeof fr);
    fr.info.status = GMOE_FIT_CONVERGED;
    double cover[8];
    for (int moved = 0; moved < 2; moved++) {
        if (moved) {
            gmoe_se *se = gmoe_se_alloc(f, 0);
            gmoe_se_params sp = gmoe_se_default_params();
            ck_assert_int_eq(gmoe_se_compute(se, f, data, &sp, NULL, NULL), GMOE_SUCCESS);
            double sb, b0, b1, a, b, v;
            gmoe_se_get_expert(se, 1, NULL, NULL, NULL, &sb, NULL);
            gmoe_model_get_expert(f, 1, &b0, &b1, &a, &b, &v);
            gmoe_model_set_expert(f, 1, b0, &b1, &a, b + 5 * sb, v);
            gmoe_se_free(se);
        }
        ck_assert_int_eq(gmoe_eval_loss(NULL, t, f, &ep, ev, NULL), GMOE_SUCCESS);
        ck_assert_uint_eq(ev->cell[0], 1);
        ck_assert_int_eq(gmoe__sweep_coverage_task(sw, data, f, &fr, ev, 1, cover), GMOE_SUCCESS);
        /* columns: beta0_1 beta1_1 a_1 b_1 v_1 a_2 b_2 v_2; fitted expert 2 is true expert 1 */
        for (size_t q = 0; q < nc; q++)
            ck_assert_msg(cover[q] == (moved && q == 3 ? 0.0 : 1.0), "moved %d: column %zu = %g",
                          moved, q, cover[q]);
    }
    gmoe_eval_result_free(ev);
    gmoe_model_free(f);
    gmoe_data_free(data);
    gmoe_sweep_free(sw);
    gmoe_model_free(t);
    remove(conf);
    remove(truth);
    rmdir(dir);
}
END_TEST

/* The predictive mean's gradient against central differences of gmoe_model_mean at a few
 * points, for every family; gmoe_se_predict against sqrt(g' V g) with that gradient; and the
 * standard errors through a model file (gmoe_model_write, gmoe_se_read) unchanged. */
START_TEST(test_predict_se)
{
    const char *fam = em_families[_i].name;
    int tau_free = !em_families[_i].fix_tau;
    gmoe_model *m = test_point(_i, 2);
    gmoe_data *data = test_data(m, 6, 21);
    size_t p = gmoe_infer_nparams(m, tau_free), n = data->n;
    double *G = malloc((n * p + 2 * p + 2 * n + p * p) * sizeof(double));
    double *theta = G + n * p, *work = theta + p, *mean = work + p, *sem = mean + n;
    double *V = sem + n;
    ck_assert_int_eq(gmoe_infer_mean_gradient(m, data, tau_free, mean, G, NULL), GMOE_SUCCESS);
    gmoe_infer_pack(m, tau_free, theta);
    gmoe_model *mm = gmoe_model_clone(m);
    for (size_t i = 0; i < n; i++) {
        double x[2] = {data->x[i], data->x[n + i]}, fd[64];
        ck_assert_close(mean[i], gmoe_model_mean(m, x), 1e-12, 1e-12, fam);
        for (size_t q = 0; q < p; q++) {
            double h = step(theta, q), v[2];
            for (int e = 0; e < 2; e++) {
                double hh = e ? h / 2 : h;
                memcpy(work, theta, p * sizeof(double));
                work[q] += hh;
                gmoe_infer_unpack(mm, tau_free, work);
                double fp = gmoe_model_mean(mm, x);
                work[q] -= 2 * hh;
                gmoe_infer_unpack(mm, tau_free, work);
                v[e] = (fp - gmoe_model_mean(mm, x)) / (2 * hh);
            }
            fd[q] = (4 * v[1] - v[0]) / 3;
        }
        check_row(G + i * p, fd, p, 1e-6, "mean gradient", fam, i);
    }
    /* any symmetric positive definite V will do for the delta method's arithmetic */
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++)
            V[a * p + b] = (a == b ? 1.0 + 0.1 * (double)a : 0.02) * 1e-3;
    gmoe_se *se = gmoe_se_alloc(m, tau_free);
    ck_assert_int_eq(gmoe_se_set_cov(se, GMOE_SE_OBSERVED, V, NULL), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_se_predict(se, m, data, NULL, sem, NULL), GMOE_SUCCESS);
    for (size_t i = 0; i < n; i++) {
        double v = 0;
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                v += G[i * p + a] * V[a * p + b] * G[i * p + b];
        ck_assert_close(sem[i], sqrt(v), 0, 1e-12, fam);
    }
    /* through a model file */
    char path[] = "/tmp/gmoe-test-se-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    gmoe_fit_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.status, sizeof rec.status, "converged");
    snprintf(rec.se_method, sizeof rec.se_method, "observed");
    rec.se = se;
    ck_assert_int_eq(gmoe_model_write(path, m, &rec, NULL), GMOE_SUCCESS);
    gmoe_model *back = NULL;
    gmoe_se *seb = NULL;
    ck_assert_int_eq(gmoe_model_read(path, &back, NULL, NULL, NULL), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_se_read(path, back, &seb, NULL), GMOE_SUCCESS);
    ck_assert_ptr_nonnull(seb);
    ck_assert_ptr_nonnull(gmoe_se_cov(seb));
    ck_assert(memcmp(gmoe_se_cov(seb), V, p * p * sizeof(double)) == 0);
    remove(path);
    gmoe_se_free(seb);
    gmoe_model_free(back);
    gmoe_se_free(se);
    gmoe_model_free(mm);
    gmoe_model_free(m);
    gmoe_data_free(data);
    free(G);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("infer");
    TCase *tc = tcase_create("information");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_layout, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_information_d1, 0, EM_NFAMILIES);
    tcase_add_loop_test(tc, test_information_d2, 0, EM_NFAMILIES);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("se");
    tcase_set_timeout(ts, 300);
    tcase_add_loop_test(ts, test_se_numerical, 0, EM_NFAMILIES);
    tcase_add_test(ts, test_se_none);
    tcase_add_test(ts, test_se_bootstrap);
    tcase_add_test(ts, test_coverage_matching);
    tcase_add_loop_test(ts, test_predict_se, 0, EM_NFAMILIES);
    suite_add_tcase(s, ts);
    return test_run_suite(s);
}
