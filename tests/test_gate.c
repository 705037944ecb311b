/* Gate weights: every family against the naive formulas of testutil.h, top-K selection and
 * sparsity, and numerical stability for scores of +-1e4. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "internal.h" /* gmoe__act, gmoe__act_deriv */

/* gmoe_model_gate_eval against the naive formula, for random parameters and points, with
 * d = 1, 2, 3 and k = 1..6. */
START_TEST(test_gate_naive)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1000 + (unsigned long)_i);
    for (size_t d = 1; d <= 3; d++)
        for (int rep = 0; rep < 40; rep++) {
            size_t k = 1 + (size_t)rep % 6;
            test_params p;
            test_params_random(&p, fam, k, d, rng);
            gmoe_model *m = test_params_model(&p);
            for (int pt = 0; pt < 5; pt++) {
                double x[TEST_DMAX], w[TEST_KMAX], want[TEST_KMAX], sum = 0;
                char ctx[128];
                test_random_x(rng, d, x);
                ck_assert_int_eq(gmoe_model_gate_eval(m, x, w), GMOE_SUCCESS);
                test_naive_gate(&p, x, want);
                for (size_t j = 0; j < k; j++) {
                    snprintf(ctx, sizeof ctx, "%s d=%zu k=%zu rep=%d j=%zu", fam->name, d, k, rep,
                             j);
                    ck_assert_close(w[j], want[j], 1e-14, 1e-12, ctx);
                    ck_assert_msg(w[j] >= 0, "%s: negative weight", ctx);
                    if (want[j] == 0) ck_assert_msg(w[j] == 0.0, "%s: not exactly 0", ctx);
                    sum += w[j];
                }
                ck_assert_close(sum, 1.0, 2.3e-16 * (double)(k + 2), 0, fam->name);
            }
            gmoe_model_free(m);
        }
    gsl_rng_free(rng);
}
END_TEST

/* Many experts (k = 70): single-point evaluations then need heap scratch. */
START_TEST(test_gate_many_experts)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1500 + (unsigned long)_i);
    size_t k = 70, d = 2;
    test_params p;
    test_params_random(&p, fam, k, d, rng);
    p.K = 7;
    gmoe_model *m = test_params_model(&p);
    for (int pt = 0; pt < 10; pt++) {
        double x[TEST_DMAX], w[TEST_KMAX], want[TEST_KMAX];
        test_random_x(rng, d, x);
        ck_assert_int_eq(gmoe_model_gate_eval(m, x, w), GMOE_SUCCESS);
        test_naive_gate(&p, x, want);
        for (size_t j = 0; j < k; j++) {
            ck_assert_close(w[j], want[j], 1e-14, 1e-12, fam->name);
            ck_assert_msg((w[j] == 0) == (want[j] == 0), "%s: selection", fam->name);
        }
        double y = gsl_ran_gaussian(rng, 2);
        ck_assert_close(gmoe_model_pdf(m, x, y), test_naive_pdf(&p, x, y), 1e-300, 1e-12,
                        fam->name);
    }
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* gmoe_model_gate_log over whole data sets (several blocks, a partial last block, n = 1):
 * exp(logw) matches the naive weights and unselected top-K experts get exactly -inf. */
START_TEST(test_gate_log_data)
{
    const test_family *fam = &test_families[_i];
    static const size_t ns[] = {1, 256, 257, 1000};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2000 + (unsigned long)_i);
    for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
        size_t n = ns[in], k = 4, d = 1 + in % 3;
        test_params p;
        test_params_random(&p, fam, k, d, rng);
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = gmoe_data_alloc(n, d, 0);
        for (size_t i = 0; i < n; i++)
            for (size_t t = 0; t < d; t++)
                data->x[t * n + i] = -2 + 4 * gsl_rng_uniform(rng);
        double *logw = malloc(n * k * sizeof(double));
        ck_assert_int_eq(gmoe_model_gate_log(m, data, logw), GMOE_SUCCESS);
        for (size_t i = 0; i < n; i++) {
            double x[TEST_DMAX], want[TEST_KMAX];
            gmoe_data_row(data, i, x);
            test_naive_gate(&p, x, want);
            for (size_t j = 0; j < k; j++) {
                char ctx[128];
                snprintf(ctx, sizeof ctx, "%s n=%zu i=%zu j=%zu", fam->name, n, i, j);
                if (want[j] == 0)
                    ck_assert_msg(logw[j * n + i] == -INFINITY, "%s: not -inf", ctx);
                else
                    ck_assert_close(exp(logw[j * n + i]), want[j], 1e-14, 1e-12, ctx);
            }
        }
        free(logw);
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* A data set whose d does not match the model's is refused. */
START_TEST(test_gate_log_dim)
{
    gmoe_model *m = gmoe_model_alloc(2, 2, GMOE_GATE_SOFTMAX);
    gmoe_data *data = gmoe_data_alloc(3, 1, 0);
    double logw[6];
    ck_assert_int_eq(gmoe_model_gate_log(m, data, logw), GMOE_EDIM);
    gmoe_data_free(data);
    gmoe_model_free(m);
}
END_TEST

/* Non-finite covariates are reported, not turned into NaN weights. */
START_TEST(test_gate_nonfinite_x)
{
    const test_family *fam = &test_families[_i];
    test_params p;
    test_params_init(&p, fam, 3, 2);
    gmoe_model *m = test_params_model(&p);
    double w[3], x1[2] = {NAN, 0}, x2[2] = {0, INFINITY};
    ck_assert_int_eq(gmoe_model_gate_eval(m, x1, w), GMOE_ENUMERIC);
    ck_assert_int_eq(gmoe_model_gate_eval(m, x2, w), GMOE_ENUMERIC);
    ck_assert_msg(isnan(gmoe_model_logpdf(m, x1, 0.0)), "%s: logpdf at NaN x", fam->name);
    gmoe_model_free(m);
}
END_TEST

/* Ties in the selection key go to the lower index, in both selection modes. */
START_TEST(test_topk_ties)
{
    for (int mode = 0; mode < 2; mode++) {
        gmoe_topk_select sel = mode ? GMOE_TOPK_SCORE : GMOE_TOPK_SLOPE;
        gmoe_model *m = gmoe_model_alloc(4, 1, GMOE_GATE_TOPK);
        /* keys (1, 3, 3, 3) at x = 1 (slope: beta1; score: beta1 + beta0 with beta0 = 0) */
        double b1[4] = {1, 3, 3, 3}, zero = 0, w[4], x = 1;
        for (size_t j = 0; j < 4; j++)
            gmoe_model_set_expert(m, j, 0, &b1[j], &zero, 0, 1);
        gmoe_model_set_topk(m, 1, sel);
        ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
        ck_assert(w[0] == 0.0 && w[1] == 1.0 && w[2] == 0.0 && w[3] == 0.0);
        gmoe_model_set_topk(m, 2, sel);
        ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
        ck_assert(w[0] == 0.0 && w[3] == 0.0);
        ck_assert_close(w[1], 0.5, 0, 1e-15, "K=2 tie");
        ck_assert_close(w[2], 0.5, 0, 1e-15, "K=2 tie");
        /* all four tied: K = 3 keeps experts 1..3 */
        b1[0] = 3;
        gmoe_model_set_expert(m, 0, 0, &b1[0], &zero, 0, 1);
        gmoe_model_set_topk(m, 3, sel);
        ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
        ck_assert(w[3] == 0.0 && w[0] > 0 && w[1] > 0 && w[2] > 0);
        gmoe_model_free(m);
    }
    /* The two modes differ: beta0 breaks the slope tie only under `score`. */
    gmoe_model *m = gmoe_model_alloc(2, 1, GMOE_GATE_TOPK);
    double b1 = 1, zero = 0, w[2], x = 1;
    gmoe_model_set_expert(m, 0, 0, &b1, &zero, 0, 1);
    gmoe_model_set_expert(m, 1, 5, &b1, &zero, 0, 1);
    gmoe_model_set_topk(m, 1, GMOE_TOPK_SLOPE);
    ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
    ck_assert(w[0] == 1.0 && w[1] == 0.0);
    gmoe_model_set_topk(m, 1, GMOE_TOPK_SCORE);
    ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
    ck_assert(w[0] == 0.0 && w[1] == 1.0);
    gmoe_model_free(m);
}
END_TEST

static size_t count_nonzero(const double *w, size_t k)
{
    size_t c = 0;
    for (size_t j = 0; j < k; j++)
        c += w[j] != 0.0;
    return c;
}

/* Exactly K experts get a nonzero weight, the others exactly 0.0; with d = 1 the selection
 * flips with the sign of x. */
START_TEST(test_topk_sparsity)
{
    for (int mode = 0; mode < 2; mode++) {
        gmoe_topk_select sel = mode ? GMOE_TOPK_SCORE : GMOE_TOPK_SLOPE;
        gmoe_model *m = gmoe_model_alloc(4, 1, GMOE_GATE_TOPK);
        double b1[4] = {2, 1, -1, -2}, b0[4] = {0.3, -0.2, 0.1, 0}, zero = 0, w[4];
        for (size_t j = 0; j < 4; j++)
            gmoe_model_set_expert(m, j, b0[j], &b1[j], &zero, 0, 1);
        gmoe_model_set_topk(m, 2, sel);
        double xp = 1.5, xn = -1.5;
        ck_assert_int_eq(gmoe_model_gate_eval(m, &xp, w), GMOE_SUCCESS);
        ck_assert(w[0] > 0 && w[1] > 0 && w[2] == 0.0 && w[3] == 0.0);
        double e0 = exp(2 * xp + 0.3), e1 = exp(xp - 0.2);
        ck_assert_close(w[0], e0 / (e0 + e1), 0, 1e-14, "x > 0");
        ck_assert_int_eq(gmoe_model_gate_eval(m, &xn, w), GMOE_SUCCESS);
        ck_assert(w[0] == 0.0 && w[1] == 0.0 && w[2] > 0 && w[3] > 0);
        double e2 = exp(-xn + 0.1), e3 = exp(-2 * xn);
        ck_assert_close(w[3], e3 / (e2 + e3), 0, 1e-14, "x < 0");
        gmoe_model_free(m);
    }
    /* Random models: always exactly K nonzero weights. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    for (int rep = 0; rep < 200; rep++) {
        size_t k = 2 + (size_t)rep % 6, d = 1 + (size_t)rep % 3;
        test_params p;
        test_params_random(&p, &test_families[1 + rep % 2], k, d, rng);
        p.K = 1 + gsl_rng_uniform_int(rng, k);
        gmoe_model *m = test_params_model(&p);
        double x[TEST_DMAX], w[TEST_KMAX];
        test_random_x(rng, d, x);
        ck_assert_int_eq(gmoe_model_gate_eval(m, x, w), GMOE_SUCCESS);
        ck_assert_uint_eq(count_nonzero(w, k), p.K);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* Scores of +-1e4. Three cases per family, each realised at x = 1 (d = 1, k = 3):
 *   0: scores (1e4, -1e4, 0)              one expert takes everything
 *   1: scores (1e4, 1e4, -1e4)            two experts share equally
 *   2: scores (-1e4, -1e4 + 1, -1e4)      every exp() underflows; ratios must survive
 * For the Gaussian gate the points and centres are chosen to give the same patterns. */
static gmoe_model *extreme_model(const test_family *fam, int c, double *x, double *want)
{
    static const double S[3][3] = {{1e4, -1e4, 0}, {1e4, 1e4, -1e4}, {-1e4, -1e4 + 1, -1e4}};
    const double e = M_E;
    test_params p;
    test_params_init(&p, fam, 3, 1);
    *x = 1;
    double pat[3][3] = {{1, 0, 0}, {0.5, 0.5, 0}, {1 / (2 + e), e / (2 + e), 1 / (2 + e)}};
    switch (fam->gate) {
    case GMOE_GATE_SOFTMAX:
        for (int j = 0; j < 3; j++)
            p.beta1[j][0] = S[c][j];
        break;
    case GMOE_GATE_TOPK: /* K = 2: in case 2 the tie between experts 0 and 2 keeps 0 */
        p.K = 2;
        for (int j = 0; j < 3; j++) {
            if (fam->sel == GMOE_TOPK_SCORE)
                p.beta0[j] = S[c][j];
            else
                p.beta1[j][0] = S[c][j];
        }
        pat[2][0] = 1 / (1 + e), pat[2][1] = e / (1 + e), pat[2][2] = 0;
        break;
    case GMOE_GATE_TEMPERATURE: /* tau = 1/4 keeps beta1 / tau exact */
        p.tau = 0.25;
        for (int j = 0; j < 3; j++)
            p.beta1[j][0] = S[c][j] * 0.25;
        break;
    case GMOE_GATE_ACTIVATION: /* act saturates at +-1e4; tau = 1e-4 */
        p.tau = 1e-4;
        for (int j = 0; j < 3; j++) {
            if (c == 2)
                p.beta0[j] = S[c][j];
            else
                p.beta1[j][0] = S[c][j];
        }
        break;
    case GMOE_GATE_SIGMOID:
        for (int j = 0; j < 3; j++)
            p.beta1[j][0] = S[c][j];
        /* sigmoid(1e4) = 1, sigmoid(0) = 1/2, sigmoid(-1e4 + u) = exp(-1e4 + u) */
        pat[0][0] = 2.0 / 3, pat[0][1] = 0, pat[0][2] = 1.0 / 3;
        break;
    case GMOE_GATE_GAUSSIAN: {
        /* Gamma = 1. Case 0: x = 1000, centres (10, 0, -10): log-weight gaps ~1e4.
         * Case 1: x = 200, centres (100, 100, -100). Case 2: x = 1000, centres 0,
         * pi = (1, e, 1): every density is exp(-5e5). */
        static const double C[3][3] = {{10, 0, -10}, {100, 100, -100}, {0, 0, 0}};
        static const double X[3] = {1000, 200, 1000};
        *x = X[c];
        for (int j = 0; j < 3; j++) {
            p.c[j][0] = C[c][j];
            p.pi[j] = c == 2 && j == 1 ? e : 1;
        }
        break;
    }
    }
    for (int j = 0; j < 3; j++)
        want[j] = pat[c][j];
    return test_params_model(&p);
}

START_TEST(test_gate_extreme)
{
    const test_family *fam = &test_families[_i];
    for (int c = 0; c < 3; c++) {
        double x, w[3], want[3], sum = 0;
        char ctx[128];
        gmoe_model *m = extreme_model(fam, c, &x, want);
        ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
        for (int j = 0; j < 3; j++) {
            snprintf(ctx, sizeof ctx, "%s case %d j=%d", fam->name, c, j);
            ck_assert_msg(isfinite(w[j]), "%s: weight not finite", ctx);
            ck_assert_close(w[j], want[j], 1e-300, 1e-12, ctx);
            sum += w[j];
        }
        ck_assert_close(sum, 1.0, 1e-15, 0, fam->name);
        /* The log weights keep the tiny weights (softmax: log g = s - max s exactly). */
        if (fam->gate == GMOE_GATE_SOFTMAX || fam->gate == GMOE_GATE_TEMPERATURE) {
            static const double lw0[3][3] = {
                {0, -2e4, -1e4}, {-M_LN2, -M_LN2, -2e4 - M_LN2}, {0, 0, 0}};
            gmoe_data row = {1, 1, &x, NULL};
            double lw[3];
            ck_assert_int_eq(gmoe_model_gate_log(m, &row, lw), GMOE_SUCCESS);
            for (int j = 0; j < 3 && c < 2; j++) {
                snprintf(ctx, sizeof ctx, "%s case %d log j=%d", fam->name, c, j);
                ck_assert_close(lw[j], lw0[c][j], 1e-12, 1e-14, ctx);
            }
        }
        gmoe_model_free(m);
    }
}
END_TEST

/* The activation functions and their derivatives (used by the activation gate's M-step)
 * against closed forms, with relative accuracy far into the tails: s(1-s) and 1 - tanh^2
 * cancel to 0 there. */
START_TEST(test_act_deriv)
{
    for (double t = -300; t <= 300; t += 0.37) {
        double e = exp(-fabs(t)), sig = t >= 0 ? 1 / (1 + e) : e / (1 + e);
        double dsig = e / ((1 + e) * (1 + e)), dtanh = 1 / (cosh(t) * cosh(t));
        char ctx[64];
        snprintf(ctx, sizeof ctx, "t = %g", t);
        ck_assert_close(gmoe__act(GMOE_ACT_TANH, t), tanh(t), 0, 1e-15, ctx);
        ck_assert_close(gmoe__act(GMOE_ACT_SIGMOID, t), sig, 0, 1e-14, ctx);
        ck_assert_close(gmoe__act_deriv(GMOE_ACT_SIGMOID, t), dsig, 0, 1e-13, ctx);
        ck_assert_close(gmoe__act_deriv(GMOE_ACT_TANH, t), dtanh, 0, 1e-13, ctx);
    }
    /* and the derivative is the derivative: central differences at moderate t */
    for (double t = -4; t <= 4; t += 0.25)
        for (int a = 0; a < 2; a++) {
            gmoe_act act = a ? GMOE_ACT_SIGMOID : GMOE_ACT_TANH;
            double h = 1e-5, fd = (gmoe__act(act, t + h) - gmoe__act(act, t - h)) / (2 * h);
            ck_assert_close(gmoe__act_deriv(act, t), fd, 1e-9, 0, gmoe_act_name(act));
        }
}
END_TEST

/* Names round-trip through their parsers; unknown names are refused. */
START_TEST(test_names)
{
    for (int g = 0; g <= GMOE_GATE_GAUSSIAN; g++) {
        gmoe_gate out;
        ck_assert_int_eq(gmoe_gate_parse(gmoe_gate_name((gmoe_gate)g), &out), GMOE_SUCCESS);
        ck_assert_int_eq(out, g);
    }
    gmoe_act act;
    gmoe_topk_select sel;
    gmoe_gate gate;
    ck_assert_int_eq(gmoe_act_parse("sigmoid", &act), GMOE_SUCCESS);
    ck_assert_int_eq(act, GMOE_ACT_SIGMOID);
    ck_assert_str_eq(gmoe_act_name(GMOE_ACT_TANH), "tanh");
    ck_assert_int_eq(gmoe_topk_select_parse("score", &sel), GMOE_SUCCESS);
    ck_assert_int_eq(sel, GMOE_TOPK_SCORE);
    ck_assert_str_eq(gmoe_topk_select_name(GMOE_TOPK_SLOPE), "slope");
    ck_assert_int_eq(gmoe_gate_parse("softmaxx", &gate), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_act_parse("relu", &act), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_topk_select_parse("", &sel), GMOE_EINVAL);
}
END_TEST

static Suite *gate_suite(void)
{
    Suite *s = suite_create("gate");
    TCase *tc = tcase_create("weights");
    tcase_add_loop_test(tc, test_gate_naive, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_gate_log_data, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_gate_many_experts, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_gate_nonfinite_x, 0, TEST_NFAM);
    tcase_add_test(tc, test_gate_log_dim);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_act_deriv);
    suite_add_tcase(s, tc);
    tc = tcase_create("topk");
    tcase_add_test(tc, test_topk_ties);
    tcase_add_test(tc, test_topk_sparsity);
    suite_add_tcase(s, tc);
    tc = tcase_create("stability");
    tcase_add_loop_test(tc, test_gate_extreme, 0, TEST_NFAM);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(gate_suite());
}
