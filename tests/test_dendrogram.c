/* The dendrogram of mixing measures and the DSC (gmoe_dendrogram.h). Expected values come
 * from the formulas of MODELS.md section 7 written out here again (raw moments for the
 * Gaussian gate's moment matching, a brute-force search for the closest pair, the
 * log-likelihood summed from testutil.h's naive density), or from exact identities (a
 * truth with one atom split in two merges back to the truth). */
#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "testutil.h"

/* A model's parameters read back into the tests' own description. */
static void params_of(const gmoe_model *m, const test_family *fam, test_params *p)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    test_params_init(p, fam, k, d);
    p->tau = gmoe_model_tau(m);
    p->K = gmoe_model_topk(m);
    for (size_t j = 0; j < k; j++) {
        gmoe_model_get_expert(m, j, &p->beta0[j], p->beta1[j], p->a[j], &p->b[j], &p->var[j]);
        gmoe_model_get_gauss(m, j, &p->pi[j], p->c[j], p->Gamma[j]);
    }
}

/* n points uniform on [-2, 2]^d and y drawn from the model of p. */
static gmoe_data *sim_data(const test_params *p, size_t n, gsl_rng *rng)
{
    gmoe_data *data = gmoe_data_alloc(n, p->d, 1);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < n; i++) {
        double x[TEST_DMAX], w[TEST_KMAX];
        test_random_x(rng, p->d, x);
        for (size_t t = 0; t < p->d; t++)
            data->x[t * n + i] = x[t];
        test_naive_gate(p, x, w);
        double u = gsl_rng_uniform(rng), acc = 0;
        size_t j = 0;
        for (; j + 1 < p->k && (acc += w[j]) < u; j++) {
        }
        data->y[i] = test_expert_mean(p, j, x) + gsl_ran_gaussian(rng, sqrt(p->var[j]));
    }
    return data;
}

static double naive_loglik(const test_params *p, const gmoe_data *data)
{
    double s = 0;
    for (size_t i = 0; i < data->n; i++) {
        double x[TEST_DMAX];
        gmoe_data_row(data, i, x);
        s += log(test_naive_pdf(p, x, data->y[i]));
    }
    return s;
}

static gmoe_dendrogram *build(const gmoe_model *m, const gmoe_data *data, gmoe_dendrogram_mass mass)
{
    gmoe_dendrogram_params par = gmoe_dendrogram_default_params();
    par.mass = mass;
    gmoe_dendrogram *dg = NULL;
    gmoe_error err;
    int rc = gmoe_dendrogram_build(m, data, &par, &dg, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "gmoe_dendrogram_build: %s", err.msg);
    return dg;
}

static int softmax_type(gmoe_gate g)
{
    return g == GMOE_GATE_SOFTMAX || g == GMOE_GATE_TOPK || g == GMOE_GATE_TEMPERATURE ||
           g == GMOE_GATE_ACTIVATION;
}

/* Expert s of p copied to the end, the two sharing its mass: exp(beta0) halved for the
 * softmax-type gates, pi halved for the Gaussian gate; top-K keeps one more expert. */
static void split_atom(const test_params *p, size_t s, test_params *q)
{
    *q = *p;
    size_t k = p->k;
    q->k = k + 1;
    q->beta0[k] = q->beta0[s] = p->beta0[s] - log(2.0);
    q->pi[k] = q->pi[s] = p->pi[s] / 2;
    memcpy(q->beta1[k], p->beta1[s], sizeof p->beta1[s]);
    memcpy(q->a[k], p->a[s], sizeof p->a[s]);
    q->b[k] = p->b[s];
    q->var[k] = p->var[s];
    memcpy(q->c[k], p->c[s], sizeof p->c[s]);
    memcpy(q->Gamma[k], p->Gamma[s], sizeof p->Gamma[s]);
    q->K = p->K + 1;
}

static void assert_same_params(const gmoe_model *got, const gmoe_model *want, const char *ctx)
{
    size_t k = gmoe_model_k(want), d = gmoe_model_d(want);
    ck_assert_uint_eq(gmoe_model_k(got), k);
    for (size_t j = 0; j < k; j++) {
        double g0, w0, g1[TEST_DMAX], w1[TEST_DMAX], ga[TEST_DMAX], wa[TEST_DMAX], gb, wb, gv, wv;
        double gp, wp, gc[TEST_DMAX], wc[TEST_DMAX], gG[9], wG[9];
        gmoe_model_get_expert(got, j, &g0, g1, ga, &gb, &gv);
        gmoe_model_get_expert(want, j, &w0, w1, wa, &wb, &wv);
        if (gmoe_model_gate(want) == GMOE_GATE_GAUSSIAN) {
            gmoe_model_get_gauss(got, j, &gp, gc, gG);
            gmoe_model_get_gauss(want, j, &wp, wc, wG);
            ck_assert_close(gp, wp, 1e-12, 1e-12, ctx);
            for (size_t t = 0; t < d; t++)
                ck_assert_close(gc[t], wc[t], 1e-12, 1e-12, ctx);
            for (size_t t = 0; t < d * d; t++)
                ck_assert_close(gG[t], wG[t], 1e-12, 1e-10, ctx);
        } else {
            ck_assert_close(g0, w0, 1e-12, 1e-12, ctx);
            for (size_t t = 0; t < d; t++)
                ck_assert_close(g1[t], w1[t], 1e-12, 1e-12, ctx);
        }
        for (size_t t = 0; t < d; t++)
            ck_assert_close(ga[t], wa[t], 1e-10, 1e-10, ctx);
        ck_assert_close(gb, wb, 1e-10, 1e-10, ctx);
        ck_assert_close(gv, wv, 1e-10, 1e-10, ctx);
    }
    if (gmoe_model_gate(want) == GMOE_GATE_TOPK)
        ck_assert_uint_eq(gmoe_model_topk(got), gmoe_model_topk(want));
}

/* ---------------------------------------------------------------- every family */

/* A truth of k* = 3 with one atom split exactly in two merges back to the truth at level 3,
 * first, at height 0; the sigmoid gate (where no split is exact) merges the copies into an
 * atom with their line and slope and their summed mean gate weight. */
START_TEST(test_exact_split)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 100 + (unsigned long)_i);
    for (size_t d = 1; d <= 2; d++)
        for (size_t s = 0; s < 3; s++)
            for (int mass = 0; mass < 2; mass++) {
                test_params p, q;
                test_params_random(&p, fam, 3, d, rng);
                /* Top-K: an atom that is selected at some x but not at others has no exact
                 * split (the copies take one more slot where it was selected, and one of
                 * them a slot where it was not): every atom selected, K = k. */
                p.K = 3;
                split_atom(&p, s, &q);
                gmoe_model *truth = test_params_model(&p), *split = test_params_model(&q);
                gmoe_data *data = sim_data(&p, 400, rng);
                gmoe_dendrogram *dg = build(split, data, (gmoe_dendrogram_mass)mass);
                size_t i, j;
                ck_assert_int_eq(gmoe_dendrogram_merged(dg, 4, &i, &j), GMOE_SUCCESS);
                ck_assert_uint_eq(i, s);
                ck_assert_uint_eq(j, 3);
                ck_assert_close(gmoe_dendrogram_height(dg, 4), 0, 1e-300, 0, fam->name);
                const gmoe_model *m3 = gmoe_dendrogram_model(dg, 3);
                if (fam->gate != GMOE_GATE_SIGMOID) {
                    gmoe_model_canonicalize(truth);
                    assert_same_params(m3, truth, fam->name);
                } else {
                    test_params r;
                    params_of(m3, fam, &r);
                    double got = 0, want = 0;
                    for (size_t o = 0; o < data->n; o++) {
                        double x[TEST_DMAX], wq[TEST_KMAX], wr[TEST_KMAX];
                        gmoe_data_row(data, o, x);
                        test_naive_gate(&q, x, wq);
                        test_naive_gate(&r, x, wr);
                        got += wr[s];
                        want += wq[s] + wq[3];
                    }
                    /* One sigmoid atom holds at most 1 / (1 + R(x)) of the weight: when the
                     * pair held more, the merged beta0 is the largest tried. */
                    test_params top = r;
                    top.beta0[s] = fmax(q.beta0[s], q.beta0[3]) + 40;
                    double sup = 0;
                    for (size_t o = 0; o < data->n; o++) {
                        double x[TEST_DMAX], wt[TEST_KMAX];
                        gmoe_data_row(data, o, x);
                        test_naive_gate(&top, x, wt);
                        sup += wt[s];
                    }
                    if (want < sup * (1 - 1e-9))
                        ck_assert_close(got, want, 1e-9, 1e-9, "sigmoid mean gate weight");
                    else
                        ck_assert_close(r.beta0[s], top.beta0[s], 0, 1e-15, "saturated beta0");
                    for (size_t t = 0; t < d; t++) {
                        ck_assert_close(r.beta1[s][t], p.beta1[s][t], 1e-12, 1e-12, "beta1");
                        ck_assert_close(r.a[s][t], p.a[s][t], 1e-12, 1e-12, "a");
                    }
                    ck_assert_close(r.b[s], p.b[s], 1e-12, 1e-12, "b");
                    ck_assert_close(r.var[s], p.var[s], 1e-12, 1e-12, "var");
                }
                gmoe_dendrogram_free(dg);
                gmoe_data_free(data);
                gmoe_model_free(truth);
                gmoe_model_free(split);
            }
    gsl_rng_free(rng);
}
END_TEST

/* Every level is a valid model with kappa experts, masses summing to 1, the leaves' atoms
 * consistent with the merges, and its log-likelihood as the naive density gives it; the cut
 * gives the level's model. */
START_TEST(test_levels)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 200 + (unsigned long)_i);
    for (size_t d = 1; d <= 3; d++) {
        test_params p;
        size_t K = 5;
        test_params_random(&p, fam, K, d, rng);
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = sim_data(&p, 300, rng);
        gmoe_dendrogram *dg = build(m, data, GMOE_MASS_GATE);
        ck_assert_uint_eq(gmoe_dendrogram_k(dg), K);
        ck_assert_uint_eq(gmoe_dendrogram_n(dg), 300);
        ck_assert_close(gmoe_dendrogram_omega(dg), log(300.0), 1e-15, 1e-15, "omega");
        for (size_t kappa = 1; kappa <= K; kappa++) {
            const gmoe_model *lv = gmoe_dendrogram_model(dg, kappa);
            gmoe_error err;
            ck_assert_uint_eq(gmoe_model_k(lv), kappa);
            ck_assert_int_eq(gmoe_model_gate(lv), fam->gate);
            ck_assert_msg(gmoe_model_validate(lv, &err) == 0, "%s: %s", fam->name, err.msg);
            double mass[8], tot = 0;
            gmoe_dendrogram_masses(dg, kappa, mass);
            for (size_t j = 0; j < kappa; j++) {
                ck_assert(mass[j] >= 0);
                tot += mass[j];
            }
            ck_assert_close(tot, 1, 1e-12, 0, fam->name);
            test_params r;
            params_of(lv, fam, &r);
            ck_assert_close(gmoe_dendrogram_loglik(dg, kappa), naive_loglik(&r, data), 1e-8, 1e-10,
                            fam->name);
            if (kappa >= 2) {
                size_t i, j;
                ck_assert_int_eq(gmoe_dendrogram_merged(dg, kappa, &i, &j), 0);
                ck_assert(i < j && j < kappa);
                /* Leaves in atom j move to atom i; atoms after j move down one. */
                for (size_t leaf = 0; leaf < K; leaf++) {
                    size_t a = gmoe_dendrogram_atom(dg, kappa, leaf);
                    size_t want = a == j ? i : a > j ? a - 1 : a;
                    ck_assert_uint_eq(gmoe_dendrogram_atom(dg, kappa - 1, leaf), want);
                }
                double mk[8];
                gmoe_dendrogram_masses(dg, kappa - 1, mk);
                ck_assert_close(mk[i], mass[i] + mass[j], 1e-15, 1e-13, "merged mass");
                gmoe_model *cut = NULL;
                ck_assert_int_eq(gmoe_dendrogram_cut(m, data, kappa, NULL, &cut, &err), 0);
                assert_same_params(cut, lv, "cut");
                gmoe_model_free(cut);
            } else {
                size_t i, j;
                ck_assert_int_eq(gmoe_dendrogram_merged(dg, 1, &i, &j), GMOE_EINVAL);
                ck_assert(isnan(gmoe_dendrogram_height(dg, 1)));
                ck_assert(isnan(gmoe_dendrogram_dsc(dg, 1)));
            }
        }
        ck_assert_ptr_null(gmoe_dendrogram_model(dg, 0));
        ck_assert_ptr_null(gmoe_dendrogram_model(dg, K + 1));
        gmoe_dendrogram_free(dg);
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* ---------------------------------------------------------------- merging by hand */

/* Softmax-type gates with equal slopes: the merged expert's gate weight is the sum of the
 * pair's at every x, and its line and variance are the mass-weighted ones of MODELS.md 7 with
 * the spread of the means at the data's centre. */
START_TEST(test_equal_slopes)
{
    const test_family *fam = &test_families[_i];
    if (!softmax_type(fam->gate) || fam->gate == GMOE_GATE_TOPK) return;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 300 + (unsigned long)_i);
    for (int rep = 0; rep < 10; rep++) {
        size_t d = 1 + (size_t)rep % 2;
        test_params p;
        test_params_random(&p, fam, 4, d, rng);
        /* Experts 1 and 2 close (the same slope, nearby lines); 0 and 3 far from them. */
        for (size_t t = 0; t < d; t++) {
            p.beta1[2][t] = p.beta1[1][t];
            p.a[2][t] = p.a[1][t] + 0.1;
            p.beta1[0][t] += 20;
            p.beta1[3][t] -= 20;
        }
        p.b[2] = p.b[1] - 0.2;
        p.b[0] += 30;
        p.b[3] -= 30;
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = sim_data(&p, 200, rng);
        for (int mass = 0; mass < 2; mass++) {
            gmoe_dendrogram *dg = build(m, data, (gmoe_dendrogram_mass)mass);
            size_t i, j;
            gmoe_dendrogram_merged(dg, 4, &i, &j);
            ck_assert_uint_eq(i, 1);
            ck_assert_uint_eq(j, 2);
            double pm[4];
            gmoe_dendrogram_masses(dg, 4, pm);
            double wi = pm[1] / (pm[1] + pm[2]), wj = 1 - wi;
            test_params r;
            params_of(gmoe_dendrogram_model(dg, 3), fam, &r);
            double xbar[TEST_DMAX] = {0}, mui = p.b[1], muj = p.b[2];
            for (size_t t = 0; t < d; t++) {
                for (size_t o = 0; o < data->n; o++)
                    xbar[t] += data->x[t * data->n + o] / (double)data->n;
                mui += p.a[1][t] * xbar[t];
                muj += p.a[2][t] * xbar[t];
                ck_assert_close(r.a[1][t], wi * p.a[1][t] + wj * p.a[2][t], 1e-12, 1e-12, "a");
            }
            ck_assert_close(r.b[1], wi * p.b[1] + wj * p.b[2], 1e-12, 1e-12, "b");
            ck_assert_close(r.var[1],
                            wi * p.var[1] + wj * p.var[2] + wi * wj * (mui - muj) * (mui - muj),
                            1e-12, 1e-12, "var");
            for (int pt = 0; pt < 20; pt++) {
                double x[TEST_DMAX], wp[TEST_KMAX], wr[TEST_KMAX];
                test_random_x(rng, d, x);
                test_naive_gate(&p, x, wp);
                test_naive_gate(&r, x, wr);
                ck_assert_close(wr[1], wp[1] + wp[2], 1e-13, 1e-11, fam->name);
                ck_assert_close(wr[0], wp[0], 1e-13, 1e-11, fam->name);
                ck_assert_close(wr[2], wp[3], 1e-13, 1e-11, fam->name);
            }
            gmoe_dendrogram_free(dg);
        }
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* The Gaussian gate's merge against the raw moments of the pair's joint mixture of (x, y):
 * E x, E y, E xx', E xy, E y^2 summed over the two components, then regression of y on x. */
START_TEST(test_gauss_moments)
{
    const test_family *fam = &test_families[TEST_NFAM - 1];
    ck_assert_int_eq(fam->gate, GMOE_GATE_GAUSSIAN);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 400);
    for (int rep = 0; rep < 20; rep++) {
        size_t d = 1 + (size_t)rep % 3;
        test_params p;
        test_params_random(&p, fam, 3, d, rng);
        /* Expert 2 far away, so that 0 and 1 merge first. */
        for (size_t t = 0; t < d; t++)
            p.c[2][t] += 50;
        p.b[2] += 100;
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = sim_data(&p, 50, rng);
        gmoe_dendrogram *dg = build(m, data, GMOE_MASS_GATE);
        size_t i, j;
        gmoe_dendrogram_merged(dg, 3, &i, &j);
        ck_assert(i == 0 && j == 1);
        double tot = p.pi[0] + p.pi[1] + p.pi[2], w[2] = {p.pi[0] / (p.pi[0] + p.pi[1]), 0};
        w[1] = 1 - w[0];
        double Ex[3] = {0}, Ey = 0, Exx[9] = {0}, Exy[3] = {0}, Eyy = 0;
        for (size_t l = 0; l < 2; l++) {
            double my = test_expert_mean(&p, l, p.c[l]), Ga[3] = {0};
            for (size_t s = 0; s < d; s++)
                for (size_t t = 0; t < d; t++)
                    Ga[s] += p.Gamma[l][s * d + t] * p.a[l][t];
            Ey += w[l] * my;
            Eyy += w[l] * (test_dot(p.a[l], Ga, d) + p.var[l] + my * my);
            for (size_t s = 0; s < d; s++) {
                Ex[s] += w[l] * p.c[l][s];
                Exy[s] += w[l] * (Ga[s] + p.c[l][s] * my);
                for (size_t t = 0; t < d; t++)
                    Exx[s * d + t] += w[l] * (p.Gamma[l][s * d + t] + p.c[l][s] * p.c[l][t]);
            }
        }
        double Sxx[9], Sxy[3], inv[9], a[3] = {0};
        for (size_t s = 0; s < d; s++) {
            Sxy[s] = Exy[s] - Ex[s] * Ey;
            for (size_t t = 0; t < d; t++)
                Sxx[s * d + t] = Exx[s * d + t] - Ex[s] * Ex[t];
        }
        test_inverse(Sxx, d, inv);
        for (size_t s = 0; s < d; s++)
            for (size_t t = 0; t < d; t++)
                a[s] += inv[s * d + t] * Sxy[t];
        test_params r;
        params_of(gmoe_dendrogram_model(dg, 2), fam, &r);
        ck_assert_close(r.pi[0], (p.pi[0] + p.pi[1]) / tot, 1e-14, 1e-12, "pi");
        for (size_t s = 0; s < d; s++) {
            ck_assert_close(r.c[0][s], Ex[s], 1e-12, 1e-12, "c");
            ck_assert_close(r.a[0][s], a[s], 1e-10, 1e-9, "a");
            for (size_t t = 0; t < d; t++)
                ck_assert_close(r.Gamma[0][s * d + t], Sxx[s * d + t], 1e-12, 1e-10, "Gamma");
        }
        ck_assert_close(r.b[0], Ey - test_dot(a, Ex, d), 1e-9, 1e-9, "b");
        ck_assert_close(r.var[0], Eyy - Ey * Ey - test_dot(Sxy, a, d), 1e-9, 1e-9, "var");
        gmoe_dendrogram_free(dg);
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* Where only the gate slopes differ (equal lines and variances), d is Ward's criterion on the
 * slopes with mass-weighted centroids, and the heights never decrease from one merge to the
 * next: h_K <= h_{K-1} <= ... <= h_2. */
START_TEST(test_ward_monotone)
{
    const test_family *fam = &test_families[0];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 500);
    for (int rep = 0; rep < 40; rep++) {
        size_t d = 1 + (size_t)rep % 3, K = 3 + (size_t)rep % 6;
        test_params p;
        test_params_random(&p, fam, K, d, rng);
        for (size_t j = 1; j < K; j++) {
            memcpy(p.a[j], p.a[0], sizeof p.a[0]);
            p.b[j] = p.b[0];
            p.var[j] = p.var[0];
        }
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = sim_data(&p, 100, rng);
        for (int mass = 0; mass < 2; mass++) {
            gmoe_dendrogram *dg = build(m, data, (gmoe_dendrogram_mass)mass);
            for (size_t kappa = K; kappa > 2; kappa--)
                ck_assert_msg(gmoe_dendrogram_height(dg, kappa) <=
                                  gmoe_dendrogram_height(dg, kappa - 1) * (1 + 1e-12),
                              "h_%zu = %g > h_%zu = %g", kappa, gmoe_dendrogram_height(dg, kappa),
                              kappa - 1, gmoe_dendrogram_height(dg, kappa - 1));
            gmoe_dendrogram_free(dg);
        }
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* The whole dendrogram and DSC of a small softmax model computed by hand: the intercept
 * masses, a brute-force search for the closest pair, the merge formulas, the naive
 * log-likelihood and DSC = -(h + log(n) lbar). */
START_TEST(test_dsc_by_hand)
{
    const test_family *fam = &test_families[0];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 600);
    for (int rep = 0; rep < 10; rep++) {
        test_params p;
        size_t K = 4;
        test_params_random(&p, fam, K, 1, rng);
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = sim_data(&p, 7 + (size_t)rep, rng);
        size_t n = data->n;
        double xbar = 0;
        for (size_t o = 0; o < n; o++)
            xbar += data->x[o] / (double)n;
        gmoe_dendrogram *dg = build(m, data, GMOE_MASS_INTERCEPT);
        /* Intercept masses: exp(beta0) normalised. */
        double mass[TEST_KMAX], tot = 0;
        for (size_t j = 0; j < K; j++)
            tot += mass[j] = exp(p.beta0[j]);
        for (size_t j = 0; j < K; j++)
            mass[j] /= tot;
        test_params cur = p;
        double best_dsc = INFINITY, hs[8], lls[8];
        size_t chosen = 0;
        for (size_t kappa = K; kappa >= 2; kappa--) {
            double h = INFINITY;
            size_t bi = 0, bj = 0;
            for (size_t i = 0; i < kappa; i++)
                for (size_t j = i + 1; j < kappa; j++) {
                    double ds = cur.beta1[i][0] - cur.beta1[j][0], db = cur.b[i] - cur.b[j];
                    double da = fabs(cur.a[i][0] - cur.a[j][0]);
                    double dv = fabs(cur.var[i] - cur.var[j]);
                    double dij =
                        mass[i] * mass[j] / (mass[i] + mass[j]) * (ds * ds + db * db + da + dv);
                    if (dij < h) h = dij, bi = i, bj = j;
                }
            size_t gi, gj;
            gmoe_dendrogram_merged(dg, kappa, &gi, &gj);
            ck_assert_uint_eq(gi, bi);
            ck_assert_uint_eq(gj, bj);
            ck_assert_close(gmoe_dendrogram_height(dg, kappa), h, 1e-14, 1e-11, "height");
            double ll = naive_loglik(&cur, data);
            ck_assert_close(gmoe_dendrogram_loglik(dg, kappa), ll, 1e-9, 1e-11, "loglik");
            double dsc = -(h + log((double)n) * ll / (double)n);
            ck_assert_close(gmoe_dendrogram_dsc(dg, kappa), dsc, 1e-12, 1e-11, "dsc");
            if (dsc < best_dsc) best_dsc = dsc, chosen = kappa;
            hs[kappa] = h;
            lls[kappa] = ll;
            /* Merge bi and bj into bi, drop bj. */
            double p2 = mass[bi] + mass[bj], wi = mass[bi] / p2, wj = mass[bj] / p2;
            double mui = cur.a[bi][0] * xbar + cur.b[bi], muj = cur.a[bj][0] * xbar + cur.b[bj];
            test_params nx = cur;
            nx.k = kappa - 1;
            nx.beta0[bi] = log(exp(cur.beta0[bi]) + exp(cur.beta0[bj]));
            nx.beta1[bi][0] = wi * cur.beta1[bi][0] + wj * cur.beta1[bj][0];
            nx.a[bi][0] = wi * cur.a[bi][0] + wj * cur.a[bj][0];
            nx.b[bi] = wi * cur.b[bi] + wj * cur.b[bj];
            nx.var[bi] = wi * cur.var[bi] + wj * cur.var[bj] + wi * wj * (mui - muj) * (mui - muj);
            mass[bi] = p2;
            for (size_t l = bj; l + 1 < kappa; l++) {
                nx.beta0[l] = cur.beta0[l + 1];
                nx.beta1[l][0] = cur.beta1[l + 1][0];
                nx.a[l][0] = cur.a[l + 1][0];
                nx.b[l] = cur.b[l + 1];
                nx.var[l] = cur.var[l + 1];
                mass[l] = mass[l + 1];
            }
            cur = nx;
        }
        ck_assert_close(gmoe_dendrogram_loglik(dg, 1), naive_loglik(&cur, data), 1e-9, 1e-11,
                        "loglik 1");
        ck_assert_uint_eq(gmoe_dendrogram_choose(dg), chosen);
        /* The rescaled form: heights over the largest, lbar over |lbar_K|. */
        double hmax = 0, best_r = INFINITY;
        size_t chosen_r = 0;
        for (size_t kappa = 2; kappa <= K; kappa++)
            hmax = fmax(hmax, hs[kappa]);
        for (size_t kappa = 2; kappa <= K; kappa++) {
            double r = -(hs[kappa] / hmax +
                         log((double)n) * (lls[kappa] / (double)n) / fabs(lls[K] / (double)n));
            ck_assert_close(gmoe_dendrogram_dsc_form(dg, kappa, GMOE_DSC_RESCALED), r, 1e-12, 1e-11,
                            "rescaled dsc");
            if (r < best_r) best_r = r, chosen_r = kappa;
        }
        ck_assert_uint_eq(gmoe_dendrogram_choose_form(dg, GMOE_DSC_RESCALED, 1), chosen_r);
        ck_assert_int_eq(gmoe_dendrogram_form(dg), GMOE_DSC_PLAIN);
        gmoe_dendrogram_free(dg);
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* Top-K: the merged model keeps K when the pair is rarely selected together (a slot each in
 * different regions of x), and drops one when it is. */
START_TEST(test_topk_slots)
{
    const test_family *fam = &test_families[1];
    test_params p;
    test_params_init(&p, fam, 4, 1);
    p.K = 2;
    /* Slopes 3, 2.9 (selected together for x > 0), -3, -2.9 (for x < 0). */
    const double s[4] = {3, 2.9, -3, -2.9}, b[4] = {1, 1.1, -1, -1.1};
    for (size_t j = 0; j < 4; j++) {
        p.beta1[j][0] = s[j];
        p.b[j] = b[j];
        p.a[j][0] = 0.5;
        p.var[j] = 0.2;
    }
    gmoe_model *m = test_params_model(&p);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 700);
    gmoe_data *data = sim_data(&p, 500, rng);
    gmoe_dendrogram *dg = build(m, data, GMOE_MASS_GATE);
    size_t i, j;
    gmoe_dendrogram_merged(dg, 4, &i, &j);
    ck_assert_msg((i == 0 && j == 1) || (i == 2 && j == 3), "merged %zu, %zu", i, j);
    ck_assert_uint_eq(gmoe_model_topk(gmoe_dendrogram_model(dg, 3)), 1);
    gmoe_dendrogram_free(dg);
    /* The same slopes, but 0 and 2 on one line and 1 and 3 far from every other line: 0 and
     * 2 merge first, and were never selected together (0 for x > 0, 2 for x < 0). */
    p.b[2] = p.b[0];
    p.b[1] = 40;
    p.b[3] = -40;
    gmoe_model_free(m);
    m = test_params_model(&p);
    dg = build(m, data, GMOE_MASS_GATE);
    gmoe_dendrogram_merged(dg, 4, &i, &j);
    ck_assert(i == 0 && j == 2);
    ck_assert_uint_eq(gmoe_model_topk(gmoe_dendrogram_model(dg, 3)), 2);
    gmoe_dendrogram_free(dg);
    gmoe_data_free(data);
    gmoe_model_free(m);
    gsl_rng_free(rng);
}
END_TEST

/* A fit of the published truth with four experts: the DSC chooses two, and the tree cut at
 * two atoms is close to the truth. */
START_TEST(test_published_fit)
{
    gmoe_model *truth = test_softmax_truth(), *fit = NULL;
    gmoe_design des = {GMOE_DESIGN_UNIFORM, 0, 1, NULL};
    gmoe_data *data = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_sim_data(truth, &des, 4000, 31, &data, &err), 0);
    gmoe_fit_params fp = gmoe_fit_default_params();
    fp.init = GMOE_INIT_NEAR_TRUE;
    fp.truth = truth;
    fp.starts = 2;
    gmoe_model *templ = gmoe_model_alloc(4, 1, GMOE_GATE_SOFTMAX);
    ck_assert_int_eq(gmoe_fit(data, templ, &fp, &fit, NULL, &err), 0);
    for (int mass = 0; mass < 2; mass++) {
        gmoe_dendrogram *dg = build(fit, data, (gmoe_dendrogram_mass)mass);
        ck_assert_uint_eq(gmoe_dendrogram_choose(dg), 2);
        const gmoe_model *m2 = gmoe_dendrogram_model(dg, 2);
        /* Match the merged atoms to the true ones by their line. */
        for (size_t l = 0; l < 2; l++) {
            double tb, ta, tv, fb, fa, fv;
            gmoe_model_get_expert(truth, l, NULL, NULL, &ta, &tb, &tv);
            size_t j = 0;
            gmoe_model_get_expert(m2, 0, NULL, NULL, &fa, NULL, NULL);
            if ((fa > 0) != (ta > 0)) j = 1;
            gmoe_model_get_expert(m2, j, NULL, NULL, &fa, &fb, &fv);
            ck_assert_close(fa, ta, 0.5, 0, "a");
            ck_assert_close(fb, tb, 0.3, 0, "b");
            ck_assert_close(fv, tv, 0.03, 0, "var");
        }
        gmoe_dendrogram_free(dg);
    }
    gmoe_model_free(templ);
    gmoe_model_free(fit);
    gmoe_data_free(data);
    gmoe_model_free(truth);
}
END_TEST

/* The DSC's choice honours kmin; a dendrogram of one expert chooses 1. */
START_TEST(test_dsc_choice_kmin)
{
    gmoe_model *truth = test_softmax_truth();
    gmoe_design des = {GMOE_DESIGN_UNIFORM, 0, 1, NULL};
    gmoe_data *data = NULL;
    ck_assert_int_eq(gmoe_sim_data(truth, &des, 300, 6, &data, NULL), 0);
    gmoe_model_free(truth);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    test_params p;
    test_params_random(&p, &test_families[0], 5, 1, rng);
    gmoe_model *m = test_params_model(&p);
    gmoe_dendrogram *dg;
    ck_assert_int_eq(gmoe_dendrogram_build(m, data, NULL, &dg, NULL), 0);
    for (size_t kmin = 1; kmin <= 5; kmin++) {
        size_t c = gmoe_dendrogram_choose_form(dg, GMOE_DSC_PLAIN, kmin), want = 0;
        double v = INFINITY;
        for (size_t kappa = kmin > 2 ? kmin : 2; kappa <= 5; kappa++)
            if (gmoe_dendrogram_dsc(dg, kappa) < v)
                v = gmoe_dendrogram_dsc(dg, kappa), want = kappa;
        ck_assert_uint_eq(c, want);
    }
    ck_assert_uint_eq(gmoe_dendrogram_choose_form(dg, GMOE_DSC_PLAIN, 1),
                      gmoe_dendrogram_choose(dg));
    gmoe_dendrogram_free(dg);
    gmoe_model_free(m);
    m = gmoe_model_alloc(1, 1, GMOE_GATE_SOFTMAX);
    ck_assert_int_eq(gmoe_dendrogram_build(m, data, NULL, &dg, NULL), 0);
    ck_assert_uint_eq(gmoe_dendrogram_choose_form(dg, GMOE_DSC_PLAIN, 1), 1);
    gmoe_dendrogram_free(dg);
    gmoe_model_free(m);
    gsl_rng_free(rng);
    gmoe_data_free(data);
}
END_TEST

START_TEST(test_errors)
{
    gmoe_model *m = test_softmax_truth(), *out = NULL;
    gmoe_data *data = gmoe_data_alloc(10, 1, 1), *nod = gmoe_data_alloc(10, 1, 0),
              *d2 = gmoe_data_alloc(10, 2, 1);
    gmoe_dendrogram *dg = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_dendrogram_build(m, nod, NULL, &dg, &err), GMOE_EINVAL);
    ck_assert_ptr_null(dg);
    ck_assert_int_eq(gmoe_dendrogram_build(m, NULL, NULL, &dg, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_dendrogram_build(m, d2, NULL, &dg, &err), GMOE_EDIM);
    ck_assert_int_eq(gmoe_dendrogram_cut(m, data, 0, NULL, &out, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "cannot cut 2 experts at 0 atoms");
    ck_assert_int_eq(gmoe_dendrogram_cut(m, data, 3, NULL, &out, &err), GMOE_EINVAL);
    ck_assert_ptr_null(out);
    double beta1 = NAN, a = 1;
    gmoe_model_set_expert(m, 0, 0, &beta1, &a, 0, 1);
    ck_assert_int_eq(gmoe_dendrogram_build(m, data, NULL, &dg, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "expert 1: beta1 is not finite");
    /* One expert: one level, no merge, the DSC chooses 1. */
    gmoe_model *one = gmoe_model_alloc(1, 1, GMOE_GATE_SOFTMAX);
    ck_assert_int_eq(gmoe_dendrogram_build(one, data, NULL, &dg, &err), 0);
    ck_assert_uint_eq(gmoe_dendrogram_k(dg), 1);
    ck_assert_uint_eq(gmoe_dendrogram_choose(dg), 1);
    gmoe_dendrogram_mass_name(GMOE_MASS_GATE);
    gmoe_dendrogram_mass mass;
    ck_assert_int_eq(gmoe_dendrogram_mass_parse("intercept", &mass), 0);
    ck_assert_int_eq(mass, GMOE_MASS_INTERCEPT);
    ck_assert_int_eq(gmoe_dendrogram_mass_parse("weight", &mass), GMOE_EINVAL);
    ck_assert_str_eq(gmoe_dendrogram_mass_name(GMOE_MASS_GATE), "gate");
    gmoe_dsc_form form;
    ck_assert_int_eq(gmoe_dsc_form_parse("rescaled", &form), 0);
    ck_assert_int_eq(form, GMOE_DSC_RESCALED);
    ck_assert_int_eq(gmoe_dsc_form_parse("scaled", &form), GMOE_EINVAL);
    ck_assert_str_eq(gmoe_dsc_form_name(GMOE_DSC_PLAIN), "plain");
    gmoe_dendrogram_free(dg);
    gmoe_dendrogram_free(NULL);
    gmoe_model_free(one);
    gmoe_data_free(data);
    gmoe_data_free(nod);
    gmoe_data_free(d2);
    gmoe_model_free(m);
}
END_TEST

static Suite *dendrogram_suite(void)
{
    Suite *s = suite_create("dendrogram");
    TCase *tc = tcase_create("merge");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_exact_split, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_levels, 0, TEST_NFAM);
    tcase_add_loop_test(tc, test_equal_slopes, 0, TEST_NFAM);
    tcase_add_test(tc, test_gauss_moments);
    tcase_add_test(tc, test_ward_monotone);
    tcase_add_test(tc, test_dsc_by_hand);
    tcase_add_test(tc, test_topk_slots);
    tcase_add_test(tc, test_published_fit);
    tcase_add_test(tc, test_dsc_choice_kmin);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(dendrogram_suite());
}
