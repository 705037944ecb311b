/* Density distances: the expected Hellinger and total-variation distances between
 * conditional densities, against closed forms and brute-force Riemann sums and Monte Carlo
 * averages over every design of x (the gate design included). Every expected value is
 * computed independently, never taken from the library's own output. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "evaltest.h"

static gmoe_model *single(double b, double var)
{
    gmoe_model *m = gmoe_model_alloc(1, 1, GMOE_GATE_SOFTMAX);
    double z = 0;
    gmoe_model_set_expert(m, 0, 0, &z, &z, b, var);
    return m;
}

/* TV of two Gaussians with different variances: the densities cross at the roots of a
 * quadratic; between crossings the sign of p - q is fixed, so TV is half the sum over the
 * three pieces of |P(piece) - Q(piece)|, from normal CDFs. */
static double tv_two_normals(double m1, double s1, double m2, double s2)
{
    double A = 1 / (2 * s2 * s2) - 1 / (2 * s1 * s1), B = m1 / (s1 * s1) - m2 / (s2 * s2);
    double C = m2 * m2 / (2 * s2 * s2) - m1 * m1 / (2 * s1 * s1) + log(s2 / s1);
    double disc = sqrt(B * B - 4 * A * C);
    double r1 = (-B - disc) / (2 * A), r2 = (-B + disc) / (2 * A);
    if (r1 > r2) {
        double t = r1;
        r1 = r2;
        r2 = t;
    }
    double P1 = gsl_cdf_gaussian_P(r1 - m1, s1), P2 = gsl_cdf_gaussian_P(r2 - m1, s1);
    double Q1 = gsl_cdf_gaussian_P(r1 - m2, s2), Q2 = gsl_cdf_gaussian_P(r2 - m2, s2);
    return 0.5 * (fabs(P1 - Q1) + fabs((P2 - P1) - (Q2 - Q1)) + fabs((1 - P2) - (1 - Q2)));
}

/* Two single Gaussians: h^2 = 1 - sqrt(2 s1 s2 / (s1^2 + s2^2)) exp(-dmu^2 / (4 (s1^2 +
 * s2^2))); with equal variances TV = 2 Phi(|dmu| / (2 s)) - 1, else tv_two_normals. */
START_TEST(test_hellinger_closed_form)
{
    const double cases[][4] = {
        {0, 1, 0.5, 1}, {0, 1, 0, 4}, {-1, 0.09, 2, 0.16}, {3, 2, 3.001, 2}, {0, 0.01, 1, 0.01}};
    gmoe_eval_params par = gmoe_eval_default_params();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gmoe_model *p = single(cases[i][0], cases[i][1]), *q = single(cases[i][2], cases[i][3]);
        double s1 = sqrt(cases[i][1]), s2 = sqrt(cases[i][3]), dm = cases[i][2] - cases[i][0];
        double ss = s1 * s1 + s2 * s2;
        /* 1 - BC loses digits when BC is near 1: use -expm1 of the log instead */
        double h2 = -expm1(0.5 * log(2 * s1 * s2 / ss) - dm * dm / (4 * ss));
        gmoe_eval_result *r = gmoe_eval_result_alloc(1, 1, 1);
        gmoe_error err;
        ck_assert_int_eq(gmoe_eval_distances(NULL, p, q, &par, r, &err), 0);
        EV_CLOSE(r->hellinger, sqrt(h2), 1e-9, 1e-8);
        ck_assert(r->hellinger_err < 1e-8);
        ck_assert(r->distances_converged);
        double tv = cases[i][1] == cases[i][3] ? 2 * gsl_cdf_ugaussian_P(fabs(dm) / (2 * s1)) - 1
                                               : tv_two_normals(cases[i][0], s1, cases[i][2], s2);
        EV_CLOSE(r->tv, tv, 1e-9, 1e-8);
        gmoe_eval_result_free(r);
        gmoe_model_free(p);
        gmoe_model_free(q);
    }
}
END_TEST

START_TEST(test_identical_and_far)
{
    gmoe_model *truth = test_softmax_truth();
    gmoe_eval_params par = gmoe_eval_default_params();
    gmoe_eval_result *r = gmoe_eval_result_alloc(2, 2, 1);
    gmoe_error err;
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, truth, &par, r, &err), 0);
    ck_assert(r->hellinger == 0 && r->tv == 0);
    gmoe_model *far = gmoe_model_clone(truth);
    for (size_t j = 0; j < 2; j++) {
        double beta0, beta1, a, b, var;
        gmoe_model_get_expert(far, j, &beta0, &beta1, &a, &b, &var);
        gmoe_model_set_expert(far, j, beta0, &beta1, &a, b + 200, var);
    }
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, far, &par, r, &err), 0);
    EV_CLOSE(r->hellinger, 1, 1e-9, 0);
    EV_CLOSE(r->tv, 1, 1e-9, 0);
    gmoe_eval_result_free(r);
    gmoe_model_free(far);
    gmoe_model_free(truth);
}
END_TEST

/* h^2 <= TV <= sqrt(2) h, pointwise and in expectation, on random pairs. */
START_TEST(test_h_tv_inequalities)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2024);
    gmoe_eval_params par = gmoe_eval_default_params();
    par.design.p1 = -2;
    par.design.p2 = 2;
    for (int rep = 0; rep < 12; rep++) {
        size_t k1 = 1 + gsl_rng_uniform_int(rng, 3), k2 = 1 + gsl_rng_uniform_int(rng, 3);
        gmoe_model *m[2] = {gmoe_model_alloc(k1, 1, GMOE_GATE_SOFTMAX),
                            gmoe_model_alloc(k2, 1, GMOE_GATE_SOFTMAX)};
        for (int s = 0; s < 2; s++)
            for (size_t j = 0; j < gmoe_model_k(m[s]); j++) {
                double beta1 = gsl_ran_gaussian(rng, 3), a = gsl_ran_gaussian(rng, 2);
                gmoe_model_set_expert(m[s], j, gsl_ran_gaussian(rng, 1), &beta1, &a,
                                      gsl_ran_gaussian(rng, 2), 0.05 + gsl_rng_uniform(rng));
            }
        for (int i = 0; i < 5; i++) {
            double x = -2 + 4 * gsl_rng_uniform(rng), h, tv;
            gmoe_error err;
            ck_assert_int_eq(
                gmoe_eval_distances_at(NULL, m[0], m[1], &par, &x, &h, &tv, NULL, NULL, &err), 0);
            ck_assert(h * h <= tv + 1e-12 && tv <= sqrt(2) * h + 1e-12);
        }
        gmoe_eval_result *r = gmoe_eval_result_alloc(k1, k2, 1);
        gmoe_error err;
        ck_assert_int_eq(gmoe_eval_distances(NULL, m[1], m[0], &par, r, &err), 0);
        ck_assert(r->hellinger * r->hellinger <= r->tv + 1e-9);
        ck_assert(r->tv <= sqrt(2) * r->hellinger + 1e-9);
        gmoe_eval_result_free(r);
        gmoe_model_free(m[0]);
        gmoe_model_free(m[1]);
    }
    gsl_rng_free(rng);
}
END_TEST

/* The expected Hellinger distance for d = 1 against a plain Riemann sum: midpoints in x and
 * y, densities written out here from MODELS.md (softmax gate, Gaussian experts). */
static double naive_pdf(const double *beta0, const double *beta1, const double *a, const double *b,
                        const double *v, size_t k, double x, double y)
{
    double z = 0, p = 0;
    for (size_t j = 0; j < k; j++)
        z += exp(beta0[j] + beta1[j] * x);
    for (size_t j = 0; j < k; j++) {
        double r = y - a[j] * x - b[j];
        p += exp(beta0[j] + beta1[j] * x) / z * exp(-r * r / (2 * v[j])) / sqrt(2 * M_PI * v[j]);
    }
    return p;
}

START_TEST(test_brute_force_riemann)
{
    const double tb0[2] = {-8, 0}, tb1[2] = {25, 0}, ta[2] = {-20, 20}, tb[2] = {15, -5},
                 tv[2] = {0.09, 0.16};
    const double fb0[3] = {-7.5, -0.7, -0.7}, fb1[3] = {24, 0.5, -0.3}, fa[3] = {-19.5, 20.3, 19.8},
                 fb[3] = {14.8, -5.2, -4.9}, fv[3] = {0.1, 0.15, 0.2};
    gmoe_model *truth = test_softmax_truth();
    gmoe_model *fit = gmoe_model_alloc(3, 1, GMOE_GATE_SOFTMAX);
    for (size_t j = 0; j < 3; j++)
        gmoe_model_set_expert(fit, j, fb0[j], fb1 + j, fa + j, fb[j], fv[j]);
    gmoe_eval_params par = gmoe_eval_default_params();
    gmoe_eval_result *r = gmoe_eval_result_alloc(2, 3, 1);
    gmoe_error err;
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, fit, &par, r, &err), 0);
    /* Riemann sums: x on 1000 midpoints of [0, 1]; y on midpoints of step 4e-3 over
     * [-10, 22], which holds every component to beyond 15 sd. */
    size_t nx = 1000, ny = 8000;
    double hx = 1.0 / (double)nx, hy = 32.0 / (double)ny, eh = 0, etv = 0;
    for (size_t i = 0; i < nx; i++) {
        double x = ((double)i + 0.5) * hx, h2 = 0, tvx = 0;
        for (size_t t = 0; t < ny; t++) {
            double y = -10 + ((double)t + 0.5) * hy;
            double p = naive_pdf(fb0, fb1, fa, fb, fv, 3, x, y);
            double q = naive_pdf(tb0, tb1, ta, tb, tv, 2, x, y);
            h2 += 0.5 * (sqrt(p) - sqrt(q)) * (sqrt(p) - sqrt(q)) * hy;
            tvx += 0.5 * fabs(p - q) * hy;
        }
        eh += sqrt(h2) * hx;
        etv += tvx * hx;
    }
    EV_CLOSE(r->hellinger, eh, 2e-5, 0);
    EV_CLOSE(r->tv, etv, 2e-5, 0);
    ck_assert(r->hellinger_err < 1e-5 && r->tv_err < 1e-5);
    /* Monte Carlo over the same design agrees within a few standard errors. */
    par.outer = GMOE_OUTER_MONTECARLO;
    par.mc_samples = 2000;
    gmoe_eval_result *mc = gmoe_eval_result_alloc(2, 3, 1);
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, fit, &par, mc, &err), 0);
    ck_assert_msg(fabs(mc->hellinger - eh) < 4 * mc->hellinger_err, "MC %g +- %g vs %g",
                  mc->hellinger, mc->hellinger_err, eh);
    ck_assert(fabs(mc->tv - etv) < 4 * mc->tv_err);
    gmoe_eval_result_free(mc);
    gmoe_eval_result_free(r);
    gmoe_model_free(fit);
    gmoe_model_free(truth);
}
END_TEST

/* A density of x (d = 1) for check_riemann_x. */
typedef double (*x_pdf)(double x, const void *ctx);

/* E[h(X)] and E[TV(X)] of r against midpoint sums of step 1e-3 over [lo, hi] weighted by
 * pdf, the inner integrals by the library at each x. */
static void check_riemann_x(const gmoe_model *truth, const gmoe_model *fit,
                            const gmoe_eval_params *par, double lo, double hi, x_pdf pdf,
                            const void *ctx, const gmoe_eval_result *r)
{
    gmoe_eval *w = gmoe_eval_alloc(gmoe_model_k(truth), gmoe_model_k(fit), 1);
    double s = 0, stv = 0, hx = 1e-3;
    for (double x = lo + hx / 2; x < hi; x += hx) {
        double h, tv, px = pdf(x, ctx);
        gmoe_error err;
        ck_assert_int_eq(gmoe_eval_distances_at(w, truth, fit, par, &x, &h, &tv, NULL, NULL, &err),
                         0);
        s += h * px * hx;
        stv += tv * px * hx;
    }
    EV_CLOSE(r->hellinger, s, 1e-6, 0);
    EV_CLOSE(r->tv, stv, 1e-6, 0);
    gmoe_eval_free(w);
}

static double normal_pdf1(double x, const void *ctx)
{
    (void)ctx;
    return gsl_ran_gaussian_pdf(x - 0.3, 0.5);
}

/* The normal design N(0.3, 0.5^2): the outer integral against the normal density, checked
 * against a Riemann sum over x on mean +- 8 sd. */
START_TEST(test_normal_design)
{
    gmoe_model *truth = test_softmax_truth();
    gmoe_model *fit = near_fit(truth, 2, 0.05, 3);
    gmoe_eval_params par = gmoe_eval_default_params();
    par.design.kind = GMOE_DESIGN_NORMAL;
    par.design.p1 = 0.3;
    par.design.p2 = 0.5;
    gmoe_eval_result *r = gmoe_eval_result_alloc(2, 2, 1);
    gmoe_error err;
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, fit, &par, r, &err), 0);
    check_riemann_x(truth, fit, &par, 0.3 - 4, 0.3 + 4, normal_pdf1, NULL, r);
    gmoe_eval_result_free(r);
    gmoe_model_free(fit);
    gmoe_model_free(truth);
}
END_TEST

/* ---------------------------------------------------------------- the gate design */

/* A Gaussian-gated truth, k* = 2: d = 1 as in data/gaussian-truth.json; d = 2 with correlated
 * gate covariances. */
static gmoe_model *gauss_truth(size_t d)
{
    const double pi[2] = {0.4, 0.6}, c[2][2] = {{-1.5, 0.5}, {1, -0.3}},
                 a[2][2] = {{-2, 1}, {2, 0.5}};
    const double G1[2][4] = {{0.25}, {0.36}},
                 G2[2][4] = {{0.25, 0.1, 0.1, 0.5}, {0.36, -0.2, -0.2, 0.3}};
    const double b[2] = {1, -1}, var[2] = {0.09, 0.16}, zero[2] = {0, 0};
    gmoe_model *m = gmoe_model_alloc(2, d, GMOE_GATE_GAUSSIAN);
    for (size_t j = 0; j < 2; j++) {
        gmoe_model_set_expert(m, j, 0, zero, a[j], b[j], var[j]);
        gmoe_model_set_gauss(m, j, pi[j], c[j], d == 1 ? G1[j] : G2[j]);
    }
    return m;
}

/* The density of x under the gate design of the model ctx (d = 1), written out:
 * sum_j pi_j N(x; c_j, Gamma_j) / sum_j pi_j. */
static double gate_pdf1(double x, const void *ctx)
{
    const gmoe_model *m = ctx;
    double p = 0, tot = 0;
    for (size_t j = 0; j < gmoe_model_k(m); j++) {
        double pi, c, G;
        gmoe_model_get_gauss(m, j, &pi, &c, &G);
        p += pi * gsl_ran_gaussian_pdf(x - c, sqrt(G));
        tot += pi;
    }
    return p / tot;
}

/* d = 1: the outer quadrature against a Riemann sum over x weighted by the mixture density
 * (inner integrals by the library at each x), with the truth's gate (no model given) and
 * with another model's (design.model). */
START_TEST(test_gate_design_quadrature)
{
    gmoe_model *truth = gauss_truth(1);
    gmoe_model *fit = near_fit(truth, 3, 0.05, 11);
    gmoe_eval_result *r = gmoe_eval_result_alloc(2, 3, 1);
    for (int own = 0; own < 2; own++) {
        const gmoe_model *src = own ? fit : truth;
        gmoe_eval_params par = gmoe_eval_default_params();
        par.design.kind = GMOE_DESIGN_GATE;
        par.design.model = own ? fit : NULL;
        gmoe_error err;
        ck_assert_msg(gmoe_eval_distances(NULL, truth, fit, &par, r, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(r->outer, GMOE_OUTER_QUADRATURE);
        ck_assert(r->distances_converged);
        check_riemann_x(truth, fit, &par, -6, 6.5, gate_pdf1, src, r); /* 9 sd and beyond */
    }
    gmoe_eval_result_free(r);
    gmoe_model_free(fit);
    gmoe_model_free(truth);
}
END_TEST

/* Monte Carlo over the gate design: for d = 1 it agrees with the quadrature, for d = 2 with a
 * brute-force average over x drawn here (component by pi, then GSL's bivariate normal),
 * within 4 combined standard errors. */
START_TEST(test_gate_design_montecarlo)
{
    for (size_t d = 1; d <= 2; d++) {
        gmoe_model *truth = gauss_truth(d);
        gmoe_model *fit = near_fit(truth, 2, 0.1, 12 + d);
        gmoe_eval_params par = gmoe_eval_default_params();
        par.design.kind = GMOE_DESIGN_GATE;
        par.outer = GMOE_OUTER_MONTECARLO;
        par.mc_samples = 3000;
        gmoe_eval_result *mc = gmoe_eval_result_alloc(2, 2, d),
                         *ref = gmoe_eval_result_alloc(2, 2, d);
        gmoe_error err;
        ck_assert_msg(gmoe_eval_distances(NULL, truth, fit, &par, mc, &err) == 0, "%s", err.msg);
        double h_ref, tv_ref, h_se = 0, tv_se = 0;
        if (d == 1) {
            gmoe_eval_params q = par;
            q.outer = GMOE_OUTER_QUADRATURE;
            ck_assert_int_eq(gmoe_eval_distances(NULL, truth, fit, &q, ref, &err), 0);
            h_ref = ref->hellinger, tv_ref = ref->tv;
        } else {
            gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(rng, 99);
            size_t N = 4000;
            double sh = 0, sh2 = 0, st = 0, st2 = 0;
            for (size_t i = 0; i < N; i++) {
                size_t j = gsl_rng_uniform(rng) < 0.4 ? 0 : 1;
                double pi, c[2], G[4], x[2], h, tv;
                gmoe_model_get_gauss(truth, j, &pi, c, G);
                gsl_ran_bivariate_gaussian(rng, sqrt(G[0]), sqrt(G[3]), G[1] / sqrt(G[0] * G[3]),
                                           &x[0], &x[1]);
                x[0] += c[0], x[1] += c[1];
                ck_assert_int_eq(
                    gmoe_eval_distances_at(NULL, truth, fit, &par, x, &h, &tv, NULL, NULL, &err),
                    0);
                sh += h, sh2 += h * h, st += tv, st2 += tv * tv;
            }
            h_ref = sh / (double)N, tv_ref = st / (double)N;
            h_se = sqrt((sh2 / (double)N - h_ref * h_ref) / (double)N);
            tv_se = sqrt((st2 / (double)N - tv_ref * tv_ref) / (double)N);
            gsl_rng_free(rng);
        }
        double eh = 4 * hypot(mc->hellinger_err, h_se), et = 4 * hypot(mc->tv_err, tv_se);
        ck_assert_msg(fabs(mc->hellinger - h_ref) < eh, "d = %zu: MC h %g, reference %g (4 se %g)",
                      d, mc->hellinger, h_ref, eh);
        ck_assert_msg(fabs(mc->tv - tv_ref) < et, "d = %zu: MC tv %g, reference %g (4 se %g)", d,
                      mc->tv, tv_ref, et);
        gmoe_eval_result_free(ref);
        gmoe_eval_result_free(mc);
        gmoe_model_free(fit);
        gmoe_model_free(truth);
    }
}
END_TEST

/* The gate design needs a Gaussian gate of the right d: the truth's when no model is given. */
START_TEST(test_gate_design_errors)
{
    gmoe_model *truth = test_softmax_truth(), *g2 = gauss_truth(2);
    gmoe_eval_params par = gmoe_eval_default_params();
    par.design.kind = GMOE_DESIGN_GATE;
    gmoe_eval_result *r = gmoe_eval_result_alloc(2, 2, 1);
    gmoe_error err;
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, truth, &par, r, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "design gate: x is drawn from a Gaussian gate's mixture, but the "
                              "model has a softmax gate");
    par.design.model = g2;
    ck_assert_int_eq(gmoe_eval_distances(NULL, truth, truth, &par, r, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "design gate: the gate's model has d = 2, the data d = 1");
    gmoe_eval_result_free(r);
    gmoe_model_free(g2);
    gmoe_model_free(truth);
}
END_TEST

static Suite *distance_suite(void)
{
    Suite *s = suite_create("distance");
    TCase *tc = tcase_create("distances");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hellinger_closed_form);
    tcase_add_test(tc, test_identical_and_far);
    tcase_add_test(tc, test_h_tv_inequalities);
    tcase_add_test(tc, test_brute_force_riemann);
    tcase_add_test(tc, test_normal_design);
    tcase_add_test(tc, test_gate_design_quadrature);
    tcase_add_test(tc, test_gate_design_montecarlo);
    tcase_add_test(tc, test_gate_design_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(distance_suite());
}
