/* Model core: conditional densities, log-likelihood, canonical form, validation, storage.
 * Every expected value comes from the naive formulas of testutil.h or from quadrature. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include "testutil.h"

/* log p(y|x), p(y|x) and E[y|x] against the naive mixture, at points y spread over the
 * bulk of the density. */
START_TEST(test_pdf_naive)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3000 + (unsigned long)_i);
    for (size_t d = 1; d <= 3; d++)
        for (int rep = 0; rep < 20; rep++) {
            size_t k = 2 + (size_t)rep % 4;
            test_params p;
            test_params_random(&p, fam, k, d, rng);
            gmoe_model *m = test_params_model(&p);
            for (int pt = 0; pt < 5; pt++) {
                double x[TEST_DMAX], w[TEST_KMAX], mean = 0;
                char ctx[128];
                test_random_x(rng, d, x);
                test_naive_gate(&p, x, w);
                for (size_t j = 0; j < k; j++)
                    mean += w[j] * test_expert_mean(&p, j, x);
                snprintf(ctx, sizeof ctx, "%s d=%zu rep=%d mean", fam->name, d, rep);
                ck_assert_close(gmoe_model_mean(m, x), mean, 1e-12, 1e-12, ctx);
                size_t j0 = gsl_rng_uniform_int(rng, k);
                double y = test_expert_mean(&p, j0, x) + gsl_ran_gaussian(rng, 2 * sqrt(p.var[j0]));
                double want = test_naive_pdf(&p, x, y);
                snprintf(ctx, sizeof ctx, "%s d=%zu rep=%d y=%g", fam->name, d, rep, y);
                ck_assert_close(gmoe_model_pdf(m, x, y), want, 1e-300, 1e-12, ctx);
                if (want > 1e-300)
                    ck_assert_close(gmoe_model_logpdf(m, x, y), log(want), 1e-12, 1e-13, ctx);
            }
            gmoe_model_free(m);
        }
    gsl_rng_free(rng);
}
END_TEST

/* Far in the tails (1e3 standard deviations and more) the naive density underflows to 0 but
 * log p stays finite: it equals the log of the dominant term, log g_J + log N(y; mu_J, v_J),
 * plus log1p of the others relative to it, all written analytically in log form here. */
START_TEST(test_logpdf_tails)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4000 + (unsigned long)_i);
    for (int rep = 0; rep < 20; rep++) {
        size_t k = 3, d = 2;
        test_params p;
        test_params_random(&p, fam, k, d, rng);
        gmoe_model *m = test_params_model(&p);
        double x[TEST_DMAX], w[TEST_KMAX];
        test_random_x(rng, d, x);
        test_naive_gate(&p, x, w);
        size_t j0 = 0;
        while (w[j0] == 0)
            j0++; /* a selected expert (top-K) */
        double sd0 = sqrt(p.var[j0]), mu0 = test_expert_mean(&p, j0, x);
        const double ys[] = {mu0 + 1e3 * sd0, mu0 - 1e3 * sd0, mu0 + 1e4 * sd0, -1e6, 1e6};
        for (size_t iy = 0; iy < sizeof ys / sizeof ys[0]; iy++) {
            double y = ys[iy], lt[TEST_KMAX], rest = 0;
            size_t J = 0;
            for (size_t j = 0; j < k; j++) {
                double r = y - test_expert_mean(&p, j, x);
                lt[j] = log(w[j]) - 0.5 * log(2 * M_PI * p.var[j]) - r * r / (2 * p.var[j]);
                if (lt[j] > lt[J]) J = j;
            }
            double dom = lt[J];
            for (size_t j = 0; j < k; j++)
                if (j != J) rest += exp(lt[j] - dom);
            double want = dom + log1p(rest);
            char ctx[128];
            snprintf(ctx, sizeof ctx, "%s rep=%d y=%g", fam->name, rep, y);
            ck_assert_msg(exp(dom) == 0.0, "%s: not in the tails", ctx);
            double got = gmoe_model_logpdf(m, x, y);
            ck_assert_msg(isfinite(got), "%s: logpdf = %g", ctx, got);
            ck_assert_close(got, want, 0, 1e-13, ctx);
            /* the log-likelihood of that single observation */
            double xs[TEST_DMAX];
            memcpy(xs, x, sizeof xs);
            gmoe_data one = {1, d, xs, &y};
            ck_assert_int_eq(gmoe_model_loglik(m, &one, &got, NULL), GMOE_SUCCESS);
            ck_assert_close(got, want, 0, 1e-13, ctx);
        }
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

typedef struct quad_ctx {
    const gmoe_model *m;
    const double *x;
    int power; /* integrate y^power p(y | x) */
} quad_ctx;

static double quad_f(double y, void *params)
{
    const quad_ctx *q = params;
    return pow(y, q->power) * gmoe_model_pdf(q->m, q->x, y);
}

static double integrate(const gmoe_model *m, const double *x, int power, const char *ctx)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    quad_ctx q = {m, x, power};
    gsl_function f = {quad_f, &q};
    double res, abserr;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_integration_qagi(&f, 1e-12, 1e-11, 2000, ws, &res, &abserr);
    gsl_set_error_handler(old);
    gsl_integration_workspace_free(ws);
    ck_assert_msg(st == GSL_SUCCESS, "%s: qagi failed (%s)", ctx, gsl_strerror(st));
    return res;
}

/* The density integrates to 1 over y, its first moment is gmoe_model_mean and its second is
 * sum_j g_j (v_j + mu_j^2), for every family at several x, by GSL quadrature on R. */
START_TEST(test_pdf_integral)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5000 + (unsigned long)_i);
    for (int rep = 0; rep < 3; rep++) {
        size_t k = 3, d = 1 + (size_t)rep;
        test_params p;
        test_params_random(&p, fam, k, d, rng);
        gmoe_model *m = test_params_model(&p);
        for (int pt = 0; pt < 4; pt++) {
            double x[TEST_DMAX], w[TEST_KMAX], m2 = 0;
            char ctx[128];
            test_random_x(rng, d, x);
            test_naive_gate(&p, x, w);
            for (size_t j = 0; j < k; j++) {
                double mu = test_expert_mean(&p, j, x);
                m2 += w[j] * (p.var[j] + mu * mu);
            }
            snprintf(ctx, sizeof ctx, "%s d=%zu x0=%g", fam->name, d, x[0]);
            ck_assert_close(integrate(m, x, 0, ctx), 1.0, 1e-9, 0, ctx);
            ck_assert_close(integrate(m, x, 1, ctx), gmoe_model_mean(m, x), 1e-8, 1e-9, ctx);
            ck_assert_close(integrate(m, x, 2, ctx), m2, 1e-8, 1e-9, ctx);
        }
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* The published truth: narrow experts far from 0 (means near +-20). */
START_TEST(test_pdf_integral_truth)
{
    gmoe_model *m = test_softmax_truth();
    for (double x = 0; x <= 1.0; x += 0.08) {
        double s0 = exp(25 * x - 8), g0 = s0 / (s0 + 1), g1 = 1 / (s0 + 1);
        double mean = g0 * (-20 * x + 15) + g1 * (20 * x - 5);
        ck_assert_close(integrate(m, &x, 0, "truth"), 1.0, 1e-9, 0, "truth");
        ck_assert_close(gmoe_model_mean(m, &x), mean, 1e-12, 1e-12, "truth mean");
        ck_assert_close(integrate(m, &x, 1, "truth"), mean, 1e-8, 1e-9, "truth");
    }
    gmoe_model_free(m);
}
END_TEST

/* A data set drawn from the naive model (so that no naive density underflows). */
static gmoe_data *naive_data(const test_params *p, size_t n, gsl_rng *rng)
{
    gmoe_data *data = gmoe_data_alloc(n, p->d, 1);
    for (size_t i = 0; i < n; i++) {
        double x[TEST_DMAX], w[TEST_KMAX], u = gsl_rng_uniform(rng), acc = 0;
        test_random_x(rng, p->d, x);
        for (size_t t = 0; t < p->d; t++)
            data->x[t * n + i] = x[t];
        test_naive_gate(p, x, w);
        size_t j = 0;
        while (j + 1 < p->k && (w[j] == 0 || u >= (acc += w[j])))
            j++;
        while (w[j] == 0)
            j--;
        data->y[i] = test_expert_mean(p, j, x) + gsl_ran_gaussian(rng, sqrt(p->var[j]));
    }
    return data;
}

/* gmoe_model_loglik against sum_i log sum_j g_j N(y_i; mu_j, v_j), a plain double loop, for
 * n = 1, a full block and sizes that are not multiples of the block (GMOE_BLOCK = 256). */
START_TEST(test_loglik_bruteforce)
{
    const test_family *fam = &test_families[_i];
    static const size_t ns[] = {1, 255, 256, 1000};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 6000 + (unsigned long)_i);
    for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++)
        for (size_t d = 1; d <= 3; d++) {
            size_t n = ns[in], k = 2 + (in + d) % 4;
            test_params p;
            test_params_random(&p, fam, k, d, rng);
            gmoe_model *m = test_params_model(&p);
            gmoe_data *data = naive_data(&p, n, rng);
            double want = 0, got = NAN;
            for (size_t i = 0; i < n; i++) {
                double x[TEST_DMAX], w[TEST_KMAX], s = 0;
                gmoe_data_row(data, i, x);
                test_naive_gate(&p, x, w);
                for (size_t j = 0; j < k; j++)
                    s += w[j] * test_normal_pdf(data->y[i], test_expert_mean(&p, j, x), p.var[j]);
                want += log(s);
            }
            gmoe_error err = {0};
            ck_assert_int_eq(gmoe_model_loglik(m, data, &got, &err), GMOE_SUCCESS);
            char ctx[128];
            snprintf(ctx, sizeof ctx, "%s n=%zu d=%zu k=%zu", fam->name, n, d, k);
            ck_assert_close(got, want, 1e-12, 1e-12, ctx);
            gmoe_data_free(data);
            gmoe_model_free(m);
        }
    gsl_rng_free(rng);
}
END_TEST

START_TEST(test_loglik_errors)
{
    gmoe_model *m = test_softmax_truth();
    gmoe_data *data = gmoe_data_alloc(10, 2, 1), *nox = gmoe_data_alloc(10, 1, 0);
    gmoe_error err = {0};
    double ll = 123;
    ck_assert_int_eq(gmoe_model_loglik(m, data, &ll, &err), GMOE_EDIM);
    ck_assert_int_eq(err.code, GMOE_EDIM);
    ck_assert_int_eq(gmoe_model_loglik(m, nox, &ll, &err), GMOE_EINVAL);
    ck_assert_double_eq(ll, 123);
    gmoe_data_free(data);
    gmoe_data_free(nox);
    gmoe_model_free(m);
}
END_TEST

/* Expert means mu[j*n + i] = a_j'x_i + b_j. */
START_TEST(test_expert_means)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 6500);
    test_params p;
    test_params_random(&p, &test_families[0], 4, 3, rng);
    gmoe_model *m = test_params_model(&p);
    gmoe_data *data = naive_data(&p, 300, rng);
    double *mu = malloc(300 * 4 * sizeof(double));
    gmoe_model_expert_means(m, data, mu);
    for (size_t i = 0; i < 300; i++) {
        double x[TEST_DMAX];
        gmoe_data_row(data, i, x);
        for (size_t j = 0; j < 4; j++)
            ck_assert_close(mu[j * 300 + i], test_expert_mean(&p, j, x), 1e-14, 1e-14, "mu");
    }
    free(mu);
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* Read a model back into test_params (for comparisons of canonical forms). */
static void read_params(const gmoe_model *m, test_params *p)
{
    p->tau = gmoe_model_tau(m);
    p->K = gmoe_model_topk(m);
    for (size_t j = 0; j < p->k; j++) {
        gmoe_model_get_expert(m, j, &p->beta0[j], p->beta1[j], p->a[j], &p->b[j], &p->var[j]);
        gmoe_model_get_gauss(m, j, &p->pi[j], p->c[j], p->Gamma[j]);
    }
}

/* Largest absolute difference between two parameter sets (all fields). */
static double params_diff(const test_params *p, const test_params *q)
{
    size_t k = p->k, d = p->d;
    double e = fabs(p->tau - q->tau) + (p->K != q->K);
#define UPD(u, v) e = fmax(e, fabs((u) - (v)))
    for (size_t j = 0; j < k; j++) {
        UPD(p->beta0[j], q->beta0[j]);
        UPD(p->b[j], q->b[j]);
        UPD(p->var[j], q->var[j]);
        UPD(p->pi[j], q->pi[j]);
        for (size_t t = 0; t < d; t++) {
            UPD(p->beta1[j][t], q->beta1[j][t]);
            UPD(p->a[j][t], q->a[j][t]);
            UPD(p->c[j][t], q->c[j][t]);
        }
        for (size_t t = 0; t < d * d; t++)
            UPD(p->Gamma[j][t], q->Gamma[j][t]);
    }
#undef UPD
    return e;
}

/* Canonical form: the gate and the density are unchanged (checked against the naive formula
 * of the original parameters), the last expert's gate is pinned at 0 as documented, the
 * experts are untouched, and canonicalising again changes nothing. */
START_TEST(test_canonical)
{
    const test_family *fam = &test_families[_i];
    gmoe_gate g = fam->gate;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7000 + (unsigned long)_i);
    for (int rep = 0; rep < 20; rep++) {
        size_t k = 2 + (size_t)rep % 4, d = 1 + (size_t)rep % 3, last = k - 1;
        test_params p, q = {0}, q2;
        test_params_random(&p, fam, k, d, rng);
        gmoe_model *m = test_params_model(&p);
        gmoe_model_canonicalize(m);
        q.k = k, q.d = d, q.fam = *fam;
        read_params(m, &q);
        char ctx[128];
        snprintf(ctx, sizeof ctx, "%s k=%zu d=%zu", fam->name, k, d);
        for (int pt = 0; pt < 5; pt++) {
            double x[TEST_DMAX], w[TEST_KMAX], want[TEST_KMAX];
            test_random_x(rng, d, x);
            test_naive_gate(&p, x, want);
            ck_assert_int_eq(gmoe_model_gate_eval(m, x, w), GMOE_SUCCESS);
            for (size_t j = 0; j < k; j++) {
                ck_assert_close(w[j], want[j], 1e-13, 1e-12, ctx);
                ck_assert_msg((w[j] == 0) == (want[j] == 0), "%s: selection changed", ctx);
            }
            double y = gsl_ran_gaussian(rng, 3);
            ck_assert_close(gmoe_model_pdf(m, x, y), test_naive_pdf(&p, x, y), 1e-300, 1e-12, ctx);
        }
        for (size_t j = 0; j < k; j++) {
            ck_assert(q.b[j] == p.b[j] && q.var[j] == p.var[j]);
            for (size_t t = 0; t < d; t++)
                ck_assert(q.a[j][t] == p.a[j][t]);
        }
        if (g == GMOE_GATE_SOFTMAX || g == GMOE_GATE_TOPK || g == GMOE_GATE_TEMPERATURE ||
            g == GMOE_GATE_ACTIVATION)
            ck_assert_msg(q.beta0[last] == 0.0, "%s: last beta0 = %g", ctx, q.beta0[last]);
        if (g == GMOE_GATE_ACTIVATION || g == GMOE_GATE_SIGMOID || g == GMOE_GATE_GAUSSIAN)
            for (size_t j = 0; j < k; j++)
                for (size_t t = 0; t < d; t++)
                    ck_assert_msg(q.beta1[j][t] == p.beta1[j][t], "%s: beta1 changed", ctx);
        if (g == GMOE_GATE_ACTIVATION) /* beta0 translated by the last expert's */
            for (size_t j = 0; j < k; j++)
                ck_assert_close(q.beta0[j], p.beta0[j] - p.beta0[last], 1e-15, 1e-15, ctx);
        if (g == GMOE_GATE_SOFTMAX || g == GMOE_GATE_TOPK || g == GMOE_GATE_TEMPERATURE)
            for (size_t t = 0; t < d; t++)
                ck_assert_msg(q.beta1[last][t] == 0.0, "%s: last beta1 = %g", ctx,
                              q.beta1[last][t]);
        if (g == GMOE_GATE_SIGMOID) ck_assert(params_diff(&p, &q) == 0.0);
        if (g == GMOE_GATE_GAUSSIAN) {
            double s = 0, s0 = 0;
            for (size_t j = 0; j < k; j++)
                s += q.pi[j], s0 += p.pi[j];
            ck_assert_close(s, 1.0, 1e-15, 0, ctx);
            for (size_t j = 0; j < k; j++)
                ck_assert_close(q.pi[j], p.pi[j] / s0, 0, 1e-15, ctx);
        }
        /* Idempotent. The Gaussian pi may move by an ulp (their sum is 1 only to rounding). */
        gmoe_model_canonicalize(m);
        q2 = q;
        read_params(m, &q2);
        ck_assert_msg(params_diff(&q, &q2) <= (g == GMOE_GATE_GAUSSIAN ? 2e-16 : 0.0),
                      "%s: not idempotent (%g)", ctx, params_diff(&q, &q2));
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* The gate's translation freedom: adding a common (t0, t1) to every expert's gate (t0 only
 * for the activation gate; a common factor on pi for the Gaussian gate) changes no weight,
 * and the canonical forms of both models agree. */
START_TEST(test_canonical_translation)
{
    const test_family *fam = &test_families[_i];
    gmoe_gate g = fam->gate;
    if (g == GMOE_GATE_SIGMOID) return; /* no translation freedom: covered by test_canonical */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 8000 + (unsigned long)_i);
    for (int rep = 0; rep < 20; rep++) {
        size_t k = 2 + (size_t)rep % 4, d = 1 + (size_t)rep % 3;
        test_params p, p2, q1 = {0}, q2 = {0};
        test_params_random(&p, fam, k, d, rng);
        p2 = p;
        double t0 = gsl_ran_gaussian(rng, 3), t1[TEST_DMAX], scale = exp(t0);
        for (size_t t = 0; t < d; t++)
            t1[t] = gsl_ran_gaussian(rng, 3);
        for (size_t j = 0; j < k; j++) {
            if (g == GMOE_GATE_GAUSSIAN) {
                p2.pi[j] *= scale;
                continue;
            }
            p2.beta0[j] += t0;
            if (g != GMOE_GATE_ACTIVATION)
                for (size_t t = 0; t < d; t++)
                    p2.beta1[j][t] += t1[t];
        }
        gmoe_model *m1 = test_params_model(&p), *m2 = test_params_model(&p2);
        char ctx[128];
        snprintf(ctx, sizeof ctx, "%s k=%zu d=%zu", fam->name, k, d);
        double x[TEST_DMAX], w[TEST_KMAX], want[TEST_KMAX];
        test_random_x(rng, d, x);
        test_naive_gate(&p, x, want);
        ck_assert_int_eq(gmoe_model_gate_eval(m2, x, w), GMOE_SUCCESS);
        for (size_t j = 0; j < k; j++)
            ck_assert_close(w[j], want[j], 1e-12, 1e-11, ctx);
        gmoe_model_canonicalize(m1);
        gmoe_model_canonicalize(m2);
        q1.k = q2.k = k, q1.d = q2.d = d;
        read_params(m1, &q1);
        read_params(m2, &q2);
        ck_assert_msg(params_diff(&q1, &q2) <= 1e-12, "%s: canonical forms differ by %g", ctx,
                      params_diff(&q1, &q2));
        gmoe_model_free(m1);
        gmoe_model_free(m2);
    }
    gsl_rng_free(rng);
}
END_TEST

/* word occurs in msg, not as part of a longer identifier. */
static int has_word(const char *msg, const char *word)
{
    size_t len = strlen(word);
    for (const char *s = strstr(msg, word); s; s = strstr(s + 1, word)) {
        int before = s == msg || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
        int after = !(isalnum((unsigned char)s[len]) || s[len] == '_');
        if (before && after) return 1;
    }
    return 0;
}

/* Validate a model expecting GMOE_EINVAL and a message naming expert (1-based; 0 = none)
 * and field. */
static void expect_invalid(const gmoe_model *m, size_t expert, const char *field, const char *ctx)
{
    gmoe_error err = {0};
    ck_assert_msg(gmoe_model_validate(m, &err) == GMOE_EINVAL, "%s: accepted", ctx);
    ck_assert_int_eq(err.code, GMOE_EINVAL);
    ck_assert_msg(has_word(err.msg, field), "%s: message \"%s\" does not name %s", ctx, err.msg,
                  field);
    if (expert) {
        char name[32];
        snprintf(name, sizeof name, "expert %zu", expert);
        ck_assert_msg(has_word(err.msg, name), "%s: message \"%s\" does not name %s", ctx, err.msg,
                      name);
    }
}

static void expect_valid(const gmoe_model *m, const char *ctx)
{
    gmoe_error err = {0};
    int rc = gmoe_model_validate(m, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s: rejected: %s", ctx, err.msg);
}

/* Every valid random model of every family passes. */
START_TEST(test_validate_accepts)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9000 + (unsigned long)_i);
    for (int rep = 0; rep < 20; rep++) {
        test_params p;
        test_params_random(&p, fam, 2 + (size_t)rep % 4, 1 + (size_t)rep % 3, rng);
        gmoe_model *m = test_params_model(&p);
        expect_valid(m, fam->name);
        gmoe_model_free(m);
    }
    /* and the freshly allocated model */
    gmoe_model *m = gmoe_model_alloc(3, 2, fam->gate);
    expect_valid(m, fam->name);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* One invalid value at a time, in expert 2 of a valid three-expert model. */
START_TEST(test_validate_expert_fields)
{
    const test_family *fam = &test_families[_i];
    static const double bad_var[] = {0.0, -1.0, NAN, INFINITY};
    test_params p;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9100 + (unsigned long)_i);
    test_params_random(&p, fam, 3, 2, rng);
    for (int f = 0; f < 5; f++) {
        static const char *const fields[] = {"beta0", "beta1", "a", "b", "var"};
        for (int v = 0; v < 4; v++) {
            test_params q = p;
            double bad = f == 4 ? bad_var[v] : v % 2 ? NAN : (v ? -INFINITY : INFINITY);
            switch (f) {
            case 0:
                q.beta0[1] = bad;
                break;
            case 1:
                q.beta1[1][1] = bad;
                break;
            case 2:
                q.a[1][0] = bad;
                break;
            case 3:
                q.b[1] = bad;
                break;
            default:
                q.var[1] = bad;
                break;
            }
            gmoe_model *m = test_params_model(&q);
            char ctx[128];
            snprintf(ctx, sizeof ctx, "%s %s = %g", fam->name, fields[f], bad);
            expect_invalid(m, 2, fields[f], ctx);
            gmoe_model_free(m);
        }
    }
    gsl_rng_free(rng);
}
END_TEST

START_TEST(test_validate_family_fields)
{
    static const double bad_tau[] = {0.0, -1.0, NAN, INFINITY};
    for (int g = 0; g < 2; g++) {
        gmoe_model *m = gmoe_model_alloc(3, 2, g ? GMOE_GATE_ACTIVATION : GMOE_GATE_TEMPERATURE);
        for (int v = 0; v < 4; v++) {
            gmoe_model_set_tau(m, bad_tau[v]);
            expect_invalid(m, 0, "tau", gmoe_gate_name(gmoe_model_gate(m)));
        }
        gmoe_model_set_tau(m, 1e-3);
        expect_valid(m, "tau = 1e-3");
        gmoe_model_free(m);
    }
    gmoe_model *m = gmoe_model_alloc(4, 1, GMOE_GATE_TOPK);
    for (int s = 0; s < 2; s++) {
        gmoe_topk_select sel = s ? GMOE_TOPK_SCORE : GMOE_TOPK_SLOPE;
        gmoe_model_set_topk(m, 0, sel);
        expect_invalid(m, 0, "topk", "topk = 0");
        gmoe_model_set_topk(m, 5, sel);
        expect_invalid(m, 0, "topk", "topk = k + 1");
        for (size_t K = 1; K <= 4; K++) {
            gmoe_model_set_topk(m, K, sel);
            expect_valid(m, "topk in 1..k");
        }
    }
    gmoe_model_free(m);
}
END_TEST

START_TEST(test_validate_gauss)
{
    static const double indefinite[4] = {1, 2, 2, 1}, singular[4] = {1, 1, 1, 1},
                        negdiag[4] = {-1, 0, 0, 1}, asym[4] = {2, 0.5, -0.5, 2},
                        spd[4] = {2, 0.9, 0.9, 1};
    const double *bad[] = {indefinite, singular, negdiag, asym};
    double c[2] = {0.5, -0.5}, cnan[2] = {0, NAN}, x[2] = {0.1, 0.2}, w[3];
    gmoe_model *m = gmoe_model_alloc(3, 2, GMOE_GATE_GAUSSIAN);
    gmoe_model_set_gauss(m, 1, 0.3, c, spd);
    expect_valid(m, "spd");
    for (int b = 0; b < 4; b++) {
        gmoe_model_set_gauss(m, 1, 0.3, c, bad[b]);
        expect_invalid(m, 2, "Gamma", "non-SPD Gamma");
        if (b < 3) /* the gate itself refuses a non-positive-definite Gamma */
            ck_assert_int_eq(gmoe_model_gate_eval(m, x, w), GMOE_ENUMERIC);
    }
    gmoe_model_set_gauss(m, 1, 0.0, c, spd);
    expect_invalid(m, 2, "pi", "pi = 0");
    gmoe_model_set_gauss(m, 1, -1, c, spd);
    expect_invalid(m, 2, "pi", "pi < 0");
    gmoe_model_set_gauss(m, 1, NAN, c, spd);
    expect_invalid(m, 2, "pi", "pi NaN");
    gmoe_model_set_gauss(m, 1, 0.3, cnan, spd);
    expect_invalid(m, 2, "c", "c NaN");
    gmoe_model_free(m);
}
END_TEST

static int gsl_handler_calls;

static void recording_handler(const char *reason, const char *file, int line, int gsl_errno)
{
    (void)reason, (void)file, (void)line, (void)gsl_errno;
#pragma omp atomic
    gsl_handler_calls++;
}

/* Validation from several threads at once (as in a parallel sweep) must not depend on GSL's
 * global error handler: a routine that switches the handler off and back on around a call
 * lets another thread run with the handler on (by default GSL's, which aborts), and leaves
 * it switched off at the end of an unlucky interleaving; the old code failed here in ten
 * runs out of ten. Without OpenMP the loop runs on one thread. */
START_TEST(test_validate_threads)
{
    static const double indefinite[4] = {1, 2, 2, 1}, c[2] = {0, 0};
    gmoe_model *good = gmoe_model_alloc(2, 2, GMOE_GATE_GAUSSIAN);
    gmoe_model *bad = gmoe_model_clone(good);
    gmoe_model_set_gauss(bad, 1, 0.5, c, indefinite);
    int wrong = 0;
    gsl_handler_calls = 0;
    gsl_error_handler_t *old = gsl_set_error_handler(recording_handler);
#pragma omp parallel for num_threads(4) reduction(+ : wrong)
    for (int i = 0; i < 400000; i++) {
        gmoe_error err;
        int rc = gmoe_model_validate(i % 2 ? bad : good, &err);
        wrong += rc != (i % 2 ? GMOE_EINVAL : GMOE_SUCCESS);
    }
    gsl_error_handler_t *mine = gsl_set_error_handler(old);
    ck_assert_int_eq(wrong, 0);
    ck_assert_int_eq(gsl_handler_calls, 0);
    ck_assert_msg(mine == recording_handler, "the GSL error handler was changed");
    gmoe_model_free(bad);
    gmoe_model_free(good);
}
END_TEST

/* Allocation defaults as documented, refused sizes, deep copies. */
START_TEST(test_alloc_copy)
{
    ck_assert_ptr_null(gmoe_model_alloc(0, 1, GMOE_GATE_SOFTMAX));
    ck_assert_ptr_null(gmoe_model_alloc(1, 0, GMOE_GATE_SOFTMAX));
    ck_assert_ptr_null(gmoe_model_alloc(2, 1, (gmoe_gate)99));
    gmoe_model *m = gmoe_model_alloc(3, 2, GMOE_GATE_TOPK);
    ck_assert_uint_eq(gmoe_model_k(m), 3);
    ck_assert_uint_eq(gmoe_model_d(m), 2);
    ck_assert_uint_eq(gmoe_model_topk(m), 3);
    ck_assert_double_eq(gmoe_model_tau(m), 1);
    ck_assert_int_eq(gmoe_model_act(m), GMOE_ACT_TANH);
    ck_assert_int_eq(gmoe_model_topk_select(m), GMOE_TOPK_SLOPE);
    for (size_t j = 0; j < 3; j++) {
        double b0, b1[2], a[2], b, var, pi, c[2], G[4];
        gmoe_model_get_expert(m, j, &b0, b1, a, &b, &var);
        gmoe_model_get_gauss(m, j, &pi, c, G);
        ck_assert(b0 == 0 && b1[0] == 0 && b1[1] == 0 && a[0] == 0 && a[1] == 0 && b == 0);
        ck_assert(var == 1 && c[0] == 0 && c[1] == 0);
        ck_assert(G[0] == 1 && G[1] == 0 && G[2] == 0 && G[3] == 1);
        ck_assert_double_eq_tol(pi, 1.0 / 3, 1e-16);
    }
    gmoe_model *c = gmoe_model_clone(m);
    double one[2] = {1, 2};
    gmoe_model_set_expert(m, 0, 5, one, one, 3, 4);
    double b0;
    gmoe_model_get_expert(c, 0, &b0, NULL, NULL, NULL, NULL);
    ck_assert_double_eq(b0, 0); /* the clone does not share storage */
    ck_assert_int_eq(gmoe_model_copy(c, m), GMOE_SUCCESS);
    gmoe_model_get_expert(c, 0, &b0, NULL, NULL, NULL, NULL);
    ck_assert_double_eq(b0, 5);
    gmoe_model *other = gmoe_model_alloc(3, 1, GMOE_GATE_TOPK);
    ck_assert_int_eq(gmoe_model_copy(other, m), GMOE_EDIM);
    gmoe_model_free(other);
    gmoe_model_free(c);
    gmoe_model_free(m);
    gmoe_model_free(NULL);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("density");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_pdf_naive, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_logpdf_tails, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_pdf_integral, 0, TEST_NFAM);
    tcase_add_test(tc, test_pdf_integral_truth);
    suite_add_tcase(s, tc);
    tc = tcase_create("loglik");
    tcase_add_loop_test(tc, test_loglik_bruteforce, 0, TEST_NFAM);
    tcase_add_test(tc, test_loglik_errors);
    tcase_add_test(tc, test_expert_means);
    suite_add_tcase(s, tc);
    tc = tcase_create("canonical");
    tcase_add_loop_test(tc, test_canonical, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_canonical_translation, 0, TEST_NFAM);
    suite_add_tcase(s, tc);
    tc = tcase_create("validate");
    tcase_add_loop_test(tc, test_validate_accepts, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_validate_expert_fields, 0, TEST_NFAM);
    tcase_add_test(tc, test_validate_family_fields);
    tcase_add_test(tc, test_validate_gauss);
    tcase_add_test(tc, test_validate_threads);
    tcase_add_test(tc, test_alloc_copy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(model_suite());
}
