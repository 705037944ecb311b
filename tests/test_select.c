/* Choosing the number of experts (gmoe_select.h): the criteria against a direct computation
 * from the naive density of testutil.h and a parameter count by hand, the fits over k against
 * separate gmoe_fit runs, the choices against an arg-min taken here, and the refit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "testutil.h"

/* The free parameters of the canonical form, counted by hand from MODELS.md 2 and 7. */
static size_t count_params(const test_family *fam, size_t k, size_t d, int tau_free)
{
    size_t experts = k * (d + 2); /* a (d), b, var */
    switch (fam->gate) {
    case GMOE_GATE_ACTIVATION: /* beta0 but the last, every beta1, tau */
        return experts + (k - 1) + k * d + (tau_free ? 1 : 0);
    case GMOE_GATE_SIGMOID: /* no translation freedom */
        return experts + k * (d + 1);
    case GMOE_GATE_GAUSSIAN: /* a softmax of (1, x, x x') */
        return experts + (k - 1) * (1 + d + d * (d + 1) / 2);
    default:
        return experts + (k - 1) * (d + 1);
    }
}

START_TEST(test_criteria_direct)
{
    const test_family *fam = &test_families[_i];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 10 + (unsigned long)_i);
    for (size_t d = 1; d <= 3; d++) {
        test_params p;
        size_t k = 1 + d, n = 150;
        test_params_random(&p, fam, k, d, rng);
        gmoe_model *m = test_params_model(&p);
        gmoe_data *data = gmoe_data_alloc(n, d, 1);
        double l = 0, en = 0;
        for (size_t i = 0; i < n; i++) {
            double x[TEST_DMAX], w[TEST_KMAX];
            test_random_x(rng, d, x);
            for (size_t t = 0; t < d; t++)
                data->x[t * n + i] = x[t];
            data->y[i] = gsl_ran_gaussian(rng, 3.0);
            test_naive_gate(&p, x, w);
            double dens = test_naive_pdf(&p, x, data->y[i]);
            l += log(dens);
            for (size_t j = 0; j < k; j++) {
                double tau =
                    w[j] * test_normal_pdf(data->y[i], test_expert_mean(&p, j, x), p.var[j]) / dens;
                if (tau > 0) en -= tau * log(tau);
            }
        }
        for (int tau_free = 0; tau_free < 2; tau_free++) {
            gmoe_criteria c;
            gmoe_error err;
            ck_assert_int_eq(gmoe_criteria_compute(m, data, tau_free, &c, &err), 0);
            size_t np = count_params(fam, k, d, tau_free);
            ck_assert_uint_eq(c.nparams, np);
            ck_assert_close(c.loglik, l, 1e-9, 1e-11, fam->name);
            ck_assert_close(c.entropy, en, 1e-9, 1e-9, fam->name);
            ck_assert_close(c.aic, -2 * l + 2.0 * (double)np, 1e-8, 1e-11, "aic");
            ck_assert_close(c.bic, -2 * l + (double)np * log((double)n), 1e-8, 1e-11, "bic");
            ck_assert_close(c.icl, -2 * l + (double)np * log((double)n) + 2 * en, 1e-8, 1e-11,
                            "icl");
        }
        gmoe_data_free(data);
        gmoe_model_free(m);
    }
    gsl_rng_free(rng);
}
END_TEST

/* With well-separated posteriors (experts far apart) EN is near 0; with identical experts
 * it is n log k. */
START_TEST(test_entropy_limits)
{
    size_t n = 200, k = 3;
    gmoe_model *m = gmoe_model_alloc(k, 1, GMOE_GATE_SOFTMAX);
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    for (size_t i = 0; i < n; i++) {
        data->x[i] = (double)i / (double)n;
        data->y[i] = (double)(i % 7) / 7.0;
    }
    gmoe_criteria c;
    ck_assert_int_eq(gmoe_criteria_compute(m, data, 1, &c, NULL), 0);
    ck_assert_close(c.entropy, (double)n * log((double)k), 1e-9, 1e-12, "identical experts");
    for (size_t j = 0; j < k; j++) {
        double b1 = 0, a = 0;
        gmoe_model_set_expert(m, j, 0, &b1, &a, 100.0 * (double)j, 0.01);
    }
    for (size_t i = 0; i < n; i++)
        data->y[i] = 100.0 * (double)(i % k);
    ck_assert_int_eq(gmoe_criteria_compute(m, data, 1, &c, NULL), 0);
    ck_assert_close(c.entropy, 0, 1e-12, 0, "separated experts");
    gmoe_data_free(data);
    gmoe_model_free(m);
}
END_TEST

static gmoe_data *published_data(size_t n, unsigned long seed)
{
    gmoe_model *truth = test_softmax_truth();
    gmoe_design des = {GMOE_DESIGN_UNIFORM, 0, 1, NULL};
    gmoe_data *data = NULL;
    ck_assert_int_eq(gmoe_sim_data(truth, &des, n, seed, &data, NULL), 0);
    gmoe_model_free(truth);
    return data;
}

/* Each k's fit is gmoe_fit's with the same parameters; its criteria those of the fit; every
 * choice the arg-min over the fits (the DSC's over the dendrogram's levels). */
START_TEST(test_select_run)
{
    gmoe_data *data = published_data(1500, 5);
    gmoe_select_params par = gmoe_select_default_params();
    par.fit.starts = 4;
    par.fit.seed = 9;
    for (size_t kmin = 1; kmin <= 2; kmin++) {
        par.kmin = kmin;
        gmoe_model *templ = gmoe_model_alloc(3, 1, GMOE_GATE_SOFTMAX);
        gmoe_select *s = NULL;
        gmoe_error err;
        int rc = gmoe_select_run(data, templ, &par, &s, &err);
        ck_assert_msg(rc == 0, "gmoe_select_run: %s", err.msg);
        ck_assert_uint_eq(gmoe_select_kmin(s), kmin);
        ck_assert_uint_eq(gmoe_select_kmax(s), 3);
        ck_assert_ptr_null(gmoe_select_model(s, kmin - 1));
        ck_assert_ptr_null(gmoe_select_model(s, 4));
        size_t best[3] = {0, 0, 0};
        double bv[3] = {INFINITY, INFINITY, INFINITY};
        for (size_t k = kmin; k <= 3; k++) {
            gmoe_model *t = gmoe_model_alloc(k, 1, GMOE_GATE_SOFTMAX), *fit = NULL;
            gmoe_fit_result fr;
            ck_assert_int_eq(gmoe_fit(data, t, &par.fit, &fit, &fr, NULL), 0);
            const gmoe_model *sm = gmoe_select_model(s, k);
            ck_assert_uint_eq(gmoe_model_k(sm), k);
            for (size_t j = 0; j < k; j++) {
                double b0a, b0b, ba, bb;
                gmoe_model_get_expert(sm, j, &b0a, NULL, NULL, &ba, NULL);
                gmoe_model_get_expert(fit, j, &b0b, NULL, NULL, &bb, NULL);
                ck_assert(b0a == b0b && ba == bb);
            }
            const gmoe_fit_result *sr = gmoe_select_result(s, k);
            ck_assert(sr->info.loglik == fr.info.loglik);
            const gmoe_criteria *c = gmoe_select_criteria(s, k);
            ck_assert_close(c->loglik, fr.info.loglik, 1e-8, 1e-12, "loglik");
            ck_assert_close(c->aic, fr.aic, 1e-7, 1e-12, "aic");
            ck_assert_close(c->bic, fr.bic, 1e-7, 1e-12, "bic");
            ck_assert(c->icl >= c->bic);
            const double v[3] = {c->aic, c->bic, c->icl};
            for (int q = 0; q < 3; q++)
                if (v[q] < bv[q]) bv[q] = v[q], best[q] = k;
            gmoe_model_free(fit);
            gmoe_model_free(t);
        }
        ck_assert_uint_eq(gmoe_select_chosen(s, GMOE_CRIT_AIC), best[0]);
        ck_assert_uint_eq(gmoe_select_chosen(s, GMOE_CRIT_BIC), best[1]);
        ck_assert_uint_eq(gmoe_select_chosen(s, GMOE_CRIT_ICL), best[2]);
        ck_assert_uint_eq(gmoe_select_chosen(s, GMOE_CRIT_BIC), 2);
        const gmoe_dendrogram *dg = gmoe_select_dendrogram(s);
        ck_assert_uint_eq(gmoe_dendrogram_k(dg), 3);
        size_t dbest = 0;
        double dv = INFINITY;
        for (size_t kappa = kmin > 2 ? kmin : 2; kappa <= 3; kappa++)
            if (gmoe_dendrogram_dsc(dg, kappa) < dv)
                dv = gmoe_dendrogram_dsc(dg, kappa), dbest = kappa;
        ck_assert_uint_eq(gmoe_select_chosen(s, GMOE_CRIT_DSC), dbest);
        ck_assert_uint_eq(gmoe_select_chosen(s, GMOE_CRIT_DSC), 2);
        gmoe_select_free(s);
        gmoe_model_free(templ);
    }
    gmoe_data_free(data);
}
END_TEST

/* EM from the merged model: the log-likelihood does not fall below the merged level's. */
START_TEST(test_refit)
{
    gmoe_data *data = published_data(2000, 8);
    gmoe_select_params par = gmoe_select_default_params();
    par.fit.starts = 3;
    par.kmin = 3;
    gmoe_model *templ = gmoe_model_alloc(4, 1, GMOE_GATE_SOFTMAX), *out = NULL;
    gmoe_select *s = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_select_run(data, templ, &par, &s, &err), 0);
    ck_assert_ptr_null(gmoe_select_model(s, 2));
    const gmoe_dendrogram *dg = gmoe_select_dendrogram(s);
    gmoe_fit_result fr;
    ck_assert_int_eq(
        gmoe_select_refit(data, gmoe_dendrogram_model(dg, 2), &par.fit.em, &out, &fr, &err), 0);
    ck_assert_uint_eq(gmoe_model_k(out), 2);
    ck_assert(fr.info.loglik >= gmoe_dendrogram_loglik(dg, 2) - 1e-9);
    double l;
    ck_assert_int_eq(gmoe_model_loglik(out, data, &l, NULL), 0);
    ck_assert_close(fr.info.loglik, l, 1e-8, 1e-12, "refit loglik");
    ck_assert_uint_eq(fr.nparams, 8);
    ck_assert_close(fr.bic, -2 * l + 8 * log(2000.0), 1e-7, 1e-12, "refit bic");
    ck_assert_int_eq(fr.info.status, GMOE_FIT_CONVERGED);
    gmoe_model_free(out);
    gmoe_select_free(s);
    gmoe_model_free(templ);
    gmoe_data_free(data);
}
END_TEST

/* The sweep metric select: a task's k_dsc, k_aic, k_bic, k_icl, k_dsc_rescaled are what
 * gmoe_select_run chooses on the task's data (simulated, then contaminated, from the task's
 * seed) with the sweep's estimator and the seed of its starts (gmoe_sim_seed(task seed,
 * 0x5eedf17, 0), as gmoe_sweep_worker_run derives it). */
START_TEST(test_sweep_metric)
{
    char path[] = "/tmp/gmoe-test-select-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    gmoe_model *truth = test_softmax_truth();
    char *text = NULL;
    ck_assert_int_eq(gmoe_model_dumps(truth, NULL, &text, NULL), 0);
    for (char *c = text; *c; c++)
        if (*c == '\n') *c = ' ';
    fprintf(fp,
            "truth = %s\nk = 2\nselect_kmax = 3\nn = 800\nreps = 2\nstarts = 2\n"
            "init = data\nstop = per-obs 1e-6\nmetrics = select\ncontaminate = 0.05 3\n"
            "seed = 17\noutput = /dev/null\n",
            text);
    fclose(fp);
    free(text);
    gmoe_sweep *sw = NULL;
    gmoe_error err;
    int rc = gmoe_sweep_load(path, &sw, &err);
    ck_assert_msg(rc == 0, "gmoe_sweep_load: %s", err.msg);
    gmoe_sweep_worker *w = gmoe_sweep_worker_alloc(sw);
    for (size_t rep = 1; rep <= 2; rep++) {
        gmoe_sweep_task t = {800, rep};
        const char *row = gmoe_sweep_worker_run(w, t);
        ck_assert_ptr_nonnull(row);
        /* The last five fields. */
        size_t got[5];
        const char *p = row + strlen(row);
        for (int f = 4; f >= 0; f--) {
            do
                p--;
            while (*p != ',');
            got[f] = (size_t)strtoul(p + 1, NULL, 10);
        }
        unsigned long seed = gmoe_sim_seed(17, 800, rep);
        gmoe_design des = gmoe_design_default();
        gmoe_data *data = NULL;
        ck_assert_int_eq(gmoe_sim_data(truth, &des, 800, seed, &data, NULL), 0);
        ck_assert_int_eq(gmoe_sim_contaminate(data, 0.05, 3, seed, NULL), 0);
        gmoe_select_params par = gmoe_select_default_params();
        par.fit.starts = 2;
        par.fit.init = GMOE_INIT_DATA;
        par.fit.em.tol = 1e-6;
        par.fit.em.max_iter = 2000; /* the sweep's default */
        par.fit.threads = 1;
        par.fit.seed = gmoe_sim_seed(seed, 0x5eedf17, 0);
        gmoe_model *templ = gmoe_model_alloc(3, 1, GMOE_GATE_SOFTMAX);
        gmoe_select *s = NULL;
        ck_assert_int_eq(gmoe_select_run(data, templ, &par, &s, &err), 0);
        ck_assert_uint_eq(got[0], gmoe_select_chosen(s, GMOE_CRIT_DSC));
        ck_assert_uint_eq(got[1], gmoe_select_chosen(s, GMOE_CRIT_AIC));
        ck_assert_uint_eq(got[2], gmoe_select_chosen(s, GMOE_CRIT_BIC));
        ck_assert_uint_eq(got[3], gmoe_select_chosen(s, GMOE_CRIT_ICL));
        ck_assert_uint_eq(
            got[4], gmoe_dendrogram_choose_form(gmoe_select_dendrogram(s), GMOE_DSC_RESCALED, 1));
        gmoe_select_free(s);
        gmoe_model_free(templ);
        gmoe_data_free(data);
    }
    gmoe_sweep_worker_free(w);
    gmoe_sweep_free(sw);
    gmoe_model_free(truth);
    unlink(path);
}
END_TEST

START_TEST(test_errors)
{
    gmoe_data *data = published_data(50, 9);
    gmoe_select_params par = gmoe_select_default_params();
    gmoe_model *templ = gmoe_model_alloc(3, 1, GMOE_GATE_SOFTMAX);
    gmoe_select *s = NULL;
    gmoe_error err;
    par.kmin = 4;
    ck_assert_int_eq(gmoe_select_run(data, templ, &par, &s, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "kmin must be between 1 and K = 3 (got 4)");
    par.kmin = 0;
    ck_assert_int_eq(gmoe_select_run(data, templ, &par, &s, &err), GMOE_EINVAL);
    ck_assert_ptr_null(s);
    par.kmin = 1;
    gmoe_data *small = published_data(2, 1);
    ck_assert_int_eq(gmoe_select_run(small, templ, &par, &s, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "k = 3: k = 3 experts exceed the number of observations n = 2");
    gmoe_criterion c;
    for (int i = 0; i < GMOE_NCRIT; i++) {
        ck_assert_int_eq(gmoe_criterion_parse(gmoe_criterion_name((gmoe_criterion)i), &c), 0);
        ck_assert_int_eq(c, i);
    }
    ck_assert_int_eq(gmoe_criterion_parse("hqc", &c), GMOE_EINVAL);
    gmoe_select_free(NULL);
    gmoe_data_free(small);
    gmoe_model_free(templ);
    gmoe_data_free(data);
}
END_TEST

static Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("criteria");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_criteria_direct, 0, TEST_NFAM);
    tcase_add_test(tc, test_entropy_limits);
    tcase_add_test(tc, test_select_run);
    tcase_add_test(tc, test_refit);
    tcase_add_test(tc, test_sweep_metric);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(select_suite());
}
