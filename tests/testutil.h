/* Shared helpers for the Check test runners.
 *
 * Besides the published truth, this header holds the tests' own model description
 * (test_params) and a naive evaluation of it written straight from MODELS.md section 2:
 * plain exp() instead of log-sum-exp, a repeated arg-max instead of rank counting for top-K,
 * explicit cofactor inverses instead of a Cholesky factor for the Gaussian gate. The tests
 * compare the library against these formulas, never against its own earlier output. */
#ifndef GMOE_TESTUTIL_H
#define GMOE_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "gmoe.h"

/* The published softmax truth of MODELS.md section 6 (d = 1, k* = 2). */
static inline gmoe_model *test_softmax_truth(void)
{
    gmoe_model *m = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    double b1a = 25, b1b = 0, aa = -20, ab = 20;
    gmoe_model_set_expert(m, 0, -8, &b1a, &aa, 15, 0.09);
    gmoe_model_set_expert(m, 1, 0, &b1b, &ab, -5, 0.16);
    return m;
}

#define TEST_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Model files in the tests' JSON texts use ' for " so that they stay readable; this swaps
 * them back, in a copy to free. */
static inline char *test_json(const char *text)
{
    char *s = strdup(text);
    ck_assert_ptr_nonnull(s);
    for (char *p = s; *p; p++)
        if (*p == '\'') *p = '"';
    return s;
}

/* Run a suite and return the process exit status for automake's test driver. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* |got - want| <= atol + rtol |want|, with a message that names the context. */
#define ck_assert_close(got, want, atol, rtol, ctx)                                                \
    do {                                                                                           \
        double ck_g_ = (got), ck_w_ = (want);                                                      \
        ck_assert_msg(fabs(ck_g_ - ck_w_) <= (atol) + (rtol)*fabs(ck_w_),                          \
                      "%s: %s = %.17g, expected %.17g", (ctx), #got, ck_g_, ck_w_);                \
    } while (0)

/* Every gating configuration a test loops over (tcase_add_loop_test index). */
typedef struct test_family {
    const char *name;
    gmoe_gate gate;
    gmoe_act act;
    gmoe_topk_select sel;
} test_family;

static const test_family test_families[] = {
    {"softmax", GMOE_GATE_SOFTMAX, GMOE_ACT_TANH, GMOE_TOPK_SLOPE},
    {"topk-slope", GMOE_GATE_TOPK, GMOE_ACT_TANH, GMOE_TOPK_SLOPE},
    {"topk-score", GMOE_GATE_TOPK, GMOE_ACT_TANH, GMOE_TOPK_SCORE},
    {"temperature", GMOE_GATE_TEMPERATURE, GMOE_ACT_TANH, GMOE_TOPK_SLOPE},
    {"activation-tanh", GMOE_GATE_ACTIVATION, GMOE_ACT_TANH, GMOE_TOPK_SLOPE},
    {"activation-sigmoid", GMOE_GATE_ACTIVATION, GMOE_ACT_SIGMOID, GMOE_TOPK_SLOPE},
    {"sigmoid", GMOE_GATE_SIGMOID, GMOE_ACT_TANH, GMOE_TOPK_SLOPE},
    {"gaussian", GMOE_GATE_GAUSSIAN, GMOE_ACT_TANH, GMOE_TOPK_SLOPE},
};
#define TEST_NFAM ((int)(sizeof test_families / sizeof test_families[0]))

#define TEST_KMAX 80
#define TEST_DMAX 3

/* A model as the tests see it: plain arrays, set into a gmoe_model by test_params_model. */
typedef struct test_params {
    size_t k, d, K;
    test_family fam;
    double tau;
    double beta0[TEST_KMAX], beta1[TEST_KMAX][TEST_DMAX];
    double a[TEST_KMAX][TEST_DMAX], b[TEST_KMAX], var[TEST_KMAX];
    double pi[TEST_KMAX], c[TEST_KMAX][TEST_DMAX], Gamma[TEST_KMAX][TEST_DMAX * TEST_DMAX];
} test_params;

/* Plain defaults (as gmoe_model_alloc documents them): zeros, unit variances, tau 1, K = k,
 * pi = 1/k, c = 0, Gamma = I. */
static inline void test_params_init(test_params *p, const test_family *fam, size_t k, size_t d)
{
    *p = (test_params){0};
    p->k = k;
    p->d = d;
    p->K = k;
    p->fam = *fam;
    p->tau = 1;
    for (size_t j = 0; j < k; j++) {
        p->var[j] = 1;
        p->pi[j] = 1.0 / (double)k;
        for (size_t t = 0; t < d; t++)
            p->Gamma[j][t * d + t] = 1;
    }
}

/* Random parameters of moderate size (scores of a few units), K in 1..k-1 for top-K, and a
 * non-diagonal SPD Gamma = A A' + 0.3 I for the Gaussian gate. */
static inline void test_params_random(test_params *p, const test_family *fam, size_t k, size_t d,
                                      gsl_rng *rng)
{
    test_params_init(p, fam, k, d);
    p->tau = 0.5 + 1.5 * gsl_rng_uniform(rng);
    p->K = k > 1 ? 1 + gsl_rng_uniform_int(rng, k - 1) : 1;
    for (size_t j = 0; j < k; j++) {
        p->beta0[j] = gsl_ran_gaussian(rng, 1.0);
        p->b[j] = gsl_ran_gaussian(rng, 2.0);
        p->var[j] = 0.1 + 1.4 * gsl_rng_uniform(rng);
        p->pi[j] = 0.1 + 0.9 * gsl_rng_uniform(rng);
        double A[TEST_DMAX * TEST_DMAX];
        for (size_t t = 0; t < d; t++) {
            p->beta1[j][t] = gsl_ran_gaussian(rng, 1.0);
            p->a[j][t] = gsl_ran_gaussian(rng, 2.0);
            p->c[j][t] = gsl_ran_gaussian(rng, 1.0);
            for (size_t u = 0; u < d; u++)
                A[t * d + u] = gsl_ran_gaussian(rng, 0.7);
        }
        for (size_t s = 0; s < d; s++)
            for (size_t t = 0; t < d; t++) {
                double v = s == t ? 0.3 : 0.0;
                for (size_t u = 0; u < d; u++)
                    v += A[s * d + u] * A[t * d + u];
                p->Gamma[j][s * d + t] = v;
            }
    }
}

static inline gmoe_model *test_params_model(const test_params *p)
{
    gmoe_model *m = gmoe_model_alloc(p->k, p->d, p->fam.gate);
    ck_assert_ptr_nonnull(m);
    for (size_t j = 0; j < p->k; j++) {
        gmoe_model_set_expert(m, j, p->beta0[j], p->beta1[j], p->a[j], p->b[j], p->var[j]);
        gmoe_model_set_gauss(m, j, p->pi[j], p->c[j], p->Gamma[j]);
    }
    gmoe_model_set_tau(m, p->tau);
    gmoe_model_set_topk(m, p->K, p->fam.sel);
    gmoe_model_set_act(m, p->fam.act);
    return m;
}

static inline double test_dot(const double *u, const double *v, size_t d)
{
    double s = 0;
    for (size_t t = 0; t < d; t++)
        s += u[t] * v[t];
    return s;
}

/* Inverse and determinant of a d*d matrix (d <= 3) by the adjugate. */
static inline double test_inverse(const double *G, size_t d, double *inv)
{
    if (d == 1) {
        inv[0] = 1 / G[0];
        return G[0];
    }
    if (d == 2) {
        double det = G[0] * G[3] - G[1] * G[2];
        inv[0] = G[3] / det;
        inv[1] = -G[1] / det;
        inv[2] = -G[2] / det;
        inv[3] = G[0] / det;
        return det;
    }
    double a = G[0], b = G[1], c = G[2], d_ = G[3], e = G[4], f = G[5], g = G[6], h = G[7],
           i = G[8];
    double A = e * i - f * h, B = -(d_ * i - f * g), C = d_ * h - e * g;
    double det = a * A + b * B + c * C;
    inv[0] = A / det;
    inv[3] = B / det;
    inv[6] = C / det;
    inv[1] = -(b * i - c * h) / det;
    inv[4] = (a * i - c * g) / det;
    inv[7] = -(a * h - b * g) / det;
    inv[2] = (b * f - c * e) / det;
    inv[5] = -(a * f - c * d_) / det;
    inv[8] = (a * e - b * d_) / det;
    return det;
}

/* N(x; c, Gamma) in R^d by the textbook formula. */
static inline double test_mvn_pdf(const double *x, const double *c, const double *G, size_t d)
{
    double inv[TEST_DMAX * TEST_DMAX], r[TEST_DMAX], q = 0;
    double det = test_inverse(G, d, inv);
    for (size_t t = 0; t < d; t++)
        r[t] = x[t] - c[t];
    for (size_t s = 0; s < d; s++)
        for (size_t t = 0; t < d; t++)
            q += r[s] * inv[s * d + t] * r[t];
    return exp(-0.5 * q) / sqrt(pow(2 * M_PI, (double)d) * det);
}

static inline double test_act(gmoe_act act, double t)
{
    return act == GMOE_ACT_SIGMOID ? 1 / (1 + exp(-t)) : tanh(t);
}

/* Gate weights by the formulas of MODELS.md section 2, without any stabilisation. */
static inline void test_naive_gate(const test_params *p, const double *x, double *w)
{
    size_t k = p->k, d = p->d;
    double s[TEST_KMAX], key[TEST_KMAX], tot = 0;
    int sel[TEST_KMAX];
    for (size_t j = 0; j < k; j++) {
        double lin = test_dot(p->beta1[j], x, d);
        switch (p->fam.gate) {
        case GMOE_GATE_TEMPERATURE:
            s[j] = exp(lin / p->tau + p->beta0[j]);
            break;
        case GMOE_GATE_ACTIVATION:
            s[j] = exp(test_act(p->fam.act, lin) / p->tau + p->beta0[j]);
            break;
        case GMOE_GATE_SIGMOID:
            s[j] = 1 / (1 + exp(-(lin + p->beta0[j])));
            break;
        case GMOE_GATE_GAUSSIAN:
            s[j] = p->pi[j] * test_mvn_pdf(x, p->c[j], p->Gamma[j], d);
            break;
        default:
            s[j] = exp(lin + p->beta0[j]);
            break;
        }
        key[j] = p->fam.sel == GMOE_TOPK_SCORE ? lin + p->beta0[j] : lin;
        sel[j] = p->fam.gate != GMOE_GATE_TOPK;
    }
    if (p->fam.gate == GMOE_GATE_TOPK)
        for (size_t r = 0; r < p->K; r++) { /* pick the largest unpicked key; first wins ties */
            size_t best = k;
            for (size_t j = 0; j < k; j++)
                if (!sel[j] && (best == k || key[j] > key[best])) best = j;
            sel[best] = 1;
        }
    for (size_t j = 0; j < k; j++)
        tot += sel[j] ? s[j] : 0;
    for (size_t j = 0; j < k; j++)
        w[j] = sel[j] ? s[j] / tot : 0;
}

static inline double test_normal_pdf(double y, double mu, double var)
{
    return exp(-(y - mu) * (y - mu) / (2 * var)) / sqrt(2 * M_PI * var);
}

static inline double test_expert_mean(const test_params *p, size_t j, const double *x)
{
    return test_dot(p->a[j], x, p->d) + p->b[j];
}

/* p(y | x) = sum_j g_j(x) N(y; a_j'x + b_j, var_j), summed directly. */
static inline double test_naive_pdf(const test_params *p, const double *x, double y)
{
    double w[TEST_KMAX], s = 0;
    test_naive_gate(p, x, w);
    for (size_t j = 0; j < p->k; j++)
        s += w[j] * test_normal_pdf(y, test_expert_mean(p, j, x), p->var[j]);
    return s;
}

/* A random point with coordinates uniform on [-2, 2]. */
static inline void test_random_x(gsl_rng *rng, size_t d, double *x)
{
    for (size_t t = 0; t < d; t++)
        x[t] = -2 + 4 * gsl_rng_uniform(rng);
}

#endif
