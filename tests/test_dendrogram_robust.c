/* The dendrogram's variance merges and the trimmed lbar of the DSC (gmoe_dendrogram.h,
 * gmoe_dendrogram_var and the trim of gmoe_dendrogram_params), checked against the formulas
 * written out again here: each merged variance from the pair's masses and parameters, each
 * level's lbar from the per-observation log-likelihoods of testutil.h's naive density,
 * sorted and trimmed by brute force, and the DSC's choice by a search over the levels. The
 * hand-made model is the case where the choice matters: three true experts and an atom of
 * tiny mass and huge variance that an over-fitted model spends on outliers in y. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "testutil.h"

/* Three true experts (softmax gate, d = 1) and, as expert 3 (0-based 2), an outlier atom:
 * beta0 = -4, variance 100. */
static void outlier_model(test_params *p)
{
    static const double beta0[4] = {0, 0, -4, 1.5}, beta1[4] = {3, -3, 0, 0};
    static const double a[4] = {2, -2, 0, 0.5}, b[4] = {1, 1, 0, -2},
                        var[4] = {0.25, 0.25, 100, 0.25};
    test_params_init(p, &test_families[0], 4, 1);
    for (size_t j = 0; j < 4; j++) {
        p->beta0[j] = beta0[j];
        p->beta1[j][0] = beta1[j];
        p->a[j][0] = a[j];
        p->b[j] = b[j];
        p->var[j] = var[j];
    }
}

/* n observations, x uniform on [-2, 2], y from the three true experts, and a share 0.01 of
 * them given Laplace(0, 5) noise. */
static gmoe_data *contaminated(const test_params *p, size_t n, gsl_rng *rng)
{
    test_params t;
    test_params_init(&t, &test_families[0], 3, 1);
    for (size_t j = 0, o = 0; j < 4; j++) {
        if (j == 2) continue;
        t.beta0[o] = p->beta0[j];
        t.beta1[o][0] = p->beta1[j][0];
        t.a[o][0] = p->a[j][0];
        t.b[o] = p->b[j];
        t.var[o++] = p->var[j];
    }
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < n; i++) {
        double x = gsl_ran_flat(rng, -2, 2), w[3], u = gsl_rng_uniform(rng), acc = 0;
        test_naive_gate(&t, &x, w);
        size_t j = 0;
        for (; j + 1 < 3 && (acc += w[j]) < u; j++) {
        }
        data->x[i] = x;
        data->y[i] = test_expert_mean(&t, j, &x) + gsl_ran_gaussian(rng, sqrt(t.var[j]));
        if (gsl_rng_uniform(rng) < 0.01) data->y[i] += gsl_ran_laplace(rng, 5);
    }
    return data;
}

static void params_of(const gmoe_model *m, test_params *p)
{
    size_t k = gmoe_model_k(m);
    test_params_init(p, &test_families[0], k, 1);
    for (size_t j = 0; j < k; j++)
        gmoe_model_get_expert(m, j, &p->beta0[j], p->beta1[j], p->a[j], &p->b[j], &p->var[j]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The mean of the per-observation log-likelihoods of p without the lowest floor(q n). */
static double brute_lbar(const test_params *p, const gmoe_data *data, double q)
{
    size_t n = data->n, drop = (size_t)floor(q * (double)n);
    double *l = malloc(n * sizeof(double)), s = 0;
    ck_assert_ptr_nonnull(l);
    for (size_t i = 0; i < n; i++)
        l[i] = log(test_naive_pdf(p, &data->x[i], data->y[i]));
    qsort(l, n, sizeof(double), cmp_double);
    for (size_t i = drop; i < n; i++)
        s += l[i];
    free(l);
    return s / (double)(n - drop);
}

static gmoe_dendrogram *build(const gmoe_model *m, const gmoe_data *data, gmoe_dendrogram_var var,
                              double trim)
{
    gmoe_dendrogram_params par = gmoe_dendrogram_default_params();
    par.var = var;
    par.trim = trim;
    gmoe_dendrogram *dg = NULL;
    gmoe_error err;
    int rc = gmoe_dendrogram_build(m, data, &par, &dg, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "gmoe_dendrogram_build: %s", err.msg);
    return dg;
}

/* Every merge of every level: the merged atom's variance is the formula of its kind. */
static void check_var_merges(const gmoe_dendrogram *dg, gmoe_dendrogram_var var, double xbar)
{
    for (size_t kappa = gmoe_dendrogram_k(dg); kappa >= 2; kappa--) {
        test_params cur, nxt;
        params_of(gmoe_dendrogram_model(dg, kappa), &cur);
        params_of(gmoe_dendrogram_model(dg, kappa - 1), &nxt);
        double mass[4];
        gmoe_dendrogram_masses(dg, kappa, mass);
        size_t i, j;
        ck_assert_int_eq(gmoe_dendrogram_merged(dg, kappa, &i, &j), GMOE_SUCCESS);
        double wi = mass[i] / (mass[i] + mass[j]), wj = mass[j] / (mass[i] + mass[j]);
        double vi = cur.var[i], vj = cur.var[j], want;
        double mui = cur.a[i][0] * xbar + cur.b[i], muj = cur.a[j][0] * xbar + cur.b[j];
        if (var == GMOE_VAR_MOMENT)
            want = wi * vi + wj * vj + wi * wj * (mui - muj) * (mui - muj);
        else if (var == GMOE_VAR_AVERAGE)
            want = wi * vi + wj * vj;
        else
            want = pow(vi, wi) * pow(vj, wj);
        ck_assert_close(nxt.var[i], want, 0, 1e-13, "merged variance");
    }
}

/* With the outlier atom, the plain DSC keeps it (4 experts); the geometric merge and a trim
 * above the outliers' share choose the 3 true ones. Every lbar, DSC and choice is checked
 * by brute force for each variance merge and trim. */
START_TEST(test_outlier_atom)
{
    test_params p;
    outlier_model(&p);
    gmoe_model *m = test_params_model(&p);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 12);
    size_t n = 20000;
    gmoe_data *data = contaminated(&p, n, rng);
    double xbar = 0;
    for (size_t i = 0; i < n; i++)
        xbar += data->x[i] / (double)n;
    static const double trims[3] = {0, 0.02, 0.1};
    size_t chosen[3][3];
    for (int v = 0; v < 3; v++)
        for (int t = 0; t < 3; t++) {
            gmoe_dendrogram *dg = build(m, data, (gmoe_dendrogram_var)v, trims[t]);
            check_var_merges(dg, (gmoe_dendrogram_var)v, xbar);
            double best = INFINITY;
            size_t bk = 0;
            for (size_t kappa = 4; kappa >= 1; kappa--) {
                test_params lv;
                params_of(gmoe_dendrogram_model(dg, kappa), &lv);
                double lbar = brute_lbar(&lv, data, trims[t]);
                ck_assert_close(gmoe_dendrogram_lbar(dg, kappa), lbar, 1e-12, 1e-11, "lbar");
                /* The total log-likelihood is not trimmed. */
                ck_assert_close(gmoe_dendrogram_loglik(dg, kappa), n * brute_lbar(&lv, data, 0),
                                1e-8, 1e-11, "loglik");
                if (kappa < 2) continue;
                double dsc = -(gmoe_dendrogram_height(dg, kappa) + log((double)n) * lbar);
                ck_assert_close(gmoe_dendrogram_dsc(dg, kappa), dsc, 1e-12, 1e-11, "dsc");
                if (dsc < best) best = dsc, bk = kappa;
            }
            chosen[v][t] = gmoe_dendrogram_choose(dg);
            ck_assert_uint_eq(chosen[v][t], bk);
            gmoe_dendrogram_free(dg);
        }
    /* The case that matters: the outlier atom counted by the spec's DSC, not by the robust
     * one (the geometric merge needs the trim: without it the outliers cost the merged
     * level even more). */
    ck_assert_uint_eq(chosen[GMOE_VAR_MOMENT][0], 4);
    ck_assert_uint_eq(chosen[GMOE_VAR_GEOMETRIC][0], 4);
    ck_assert_uint_eq(chosen[GMOE_VAR_GEOMETRIC][1], 3);
    ck_assert_uint_eq(chosen[GMOE_VAR_GEOMETRIC][2], 3);
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* Names, and the errors: a trim outside [0, 0.5), an unknown variance merge, a variance
 * merge other than moment matching for the Gaussian gate. */
START_TEST(test_params_errors)
{
    for (int v = 0; v < 3; v++) {
        gmoe_dendrogram_var back;
        ck_assert_int_eq(
            gmoe_dendrogram_var_parse(gmoe_dendrogram_var_name((gmoe_dendrogram_var)v), &back),
            GMOE_SUCCESS);
        ck_assert_int_eq(back, v);
    }
    gmoe_dendrogram_var back;
    ck_assert_int_eq(gmoe_dendrogram_var_parse("median", &back), GMOE_EINVAL);
    ck_assert_str_eq(gmoe_dendrogram_var_name((gmoe_dendrogram_var)7), "unknown");
    gmoe_dendrogram_params def = gmoe_dendrogram_default_params();
    ck_assert_int_eq(def.var, GMOE_VAR_MOMENT);
    ck_assert(def.trim == 0);

    test_params p;
    outlier_model(&p);
    gmoe_model *m = test_params_model(&p);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    gmoe_data *data = contaminated(&p, 50, rng);
    static const double bad[] = {-0.1, 0.5, 0.9, NAN};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        gmoe_dendrogram_params par = def;
        par.trim = bad[b];
        gmoe_dendrogram *dg = NULL;
        gmoe_error err;
        ck_assert_int_eq(gmoe_dendrogram_build(m, data, &par, &dg, &err), GMOE_EINVAL);
        ck_assert_ptr_null(dg);
        ck_assert_msg(strstr(err.msg, "trim") != NULL, "%s", err.msg);
    }
    gmoe_dendrogram_params par = def;
    par.var = (gmoe_dendrogram_var)3;
    gmoe_dendrogram *dg = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_dendrogram_build(m, data, &par, &dg, &err), GMOE_EINVAL);

    test_params g;
    test_params_random(&g, &test_families[TEST_NFAM - 1], 3, 1, rng);
    ck_assert_int_eq(g.fam.gate, GMOE_GATE_GAUSSIAN);
    gmoe_model *gm = test_params_model(&g);
    par.var = GMOE_VAR_GEOMETRIC;
    ck_assert_int_eq(gmoe_dendrogram_build(gm, data, &par, &dg, &err), GMOE_EINVAL);
    ck_assert_msg(strstr(err.msg, "moment matching") != NULL, "%s", err.msg);
    par.var = GMOE_VAR_MOMENT;
    par.trim = 0.1;
    ck_assert_int_eq(gmoe_dendrogram_build(gm, data, &par, &dg, &err), GMOE_SUCCESS);
    gmoe_dendrogram_free(dg);
    gmoe_model_free(gm);
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

static Suite *robust_suite(void)
{
    Suite *s = suite_create("dendrogram_robust");
    TCase *tc = tcase_create("robust");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_outlier_atom);
    tcase_add_test(tc, test_params_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(robust_suite());
}
