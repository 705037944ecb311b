/* Shared fixtures of the evaluation test runners (test_eval.c, test_distance.c): a
 * tolerance check and fits drawn near a true model. */
#ifndef GMOE_EVALTEST_H
#define GMOE_EVALTEST_H

#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "testutil.h"

#define EV_CLOSE(got, want, atol, rtol)                                                            \
    do {                                                                                           \
        double ev_g_ = (got), ev_w_ = (want);                                                      \
        ck_assert_msg(fabs(ev_g_ - ev_w_) <= (atol) + (rtol)*fabs(ev_w_),                          \
                      "%s = %.17g, expected %.17g", #got, ev_g_, ev_w_);                           \
    } while (0)

/* A fit with k experts near the truth: fitted j copies true expert j mod k* (its mass split
 * evenly among the copies), every parameter moved by N(0, eps^2). */
static inline gmoe_model *near_fit(const gmoe_model *truth, size_t k, double eps,
                                   unsigned long seed)
{
    size_t ks = gmoe_model_k(truth), d = gmoe_model_d(truth);
    gmoe_model *m = gmoe_model_alloc(k, d, gmoe_model_gate(truth));
    ck_assert_ptr_nonnull(m);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    gmoe_model_set_tau(m, gmoe_model_tau(truth) * (1 + eps * gsl_ran_gaussian(rng, 1)));
    gmoe_model_set_act(m, gmoe_model_act(truth));
    if (gmoe_model_gate(truth) == GMOE_GATE_TOPK) gmoe_model_set_topk(m, 2, GMOE_TOPK_SLOPE);
    for (size_t j = 0; j < k; j++) {
        size_t l = j % ks, copies = k / ks + (l < k % ks);
        double beta0, beta1[4], a[4], b, var, pi, c[4], G[16];
        gmoe_model_get_expert(truth, l, &beta0, beta1, a, &b, &var);
        gmoe_model_get_gauss(truth, l, &pi, c, G);
        for (size_t t = 0; t < d; t++) {
            beta1[t] += eps * gsl_ran_gaussian(rng, 1);
            a[t] += eps * gsl_ran_gaussian(rng, 1);
            c[t] += eps * gsl_ran_gaussian(rng, 1);
            G[t * d + t] *= 1 + eps * gsl_ran_gaussian(rng, 1);
        }
        beta0 += -log((double)copies) + eps * gsl_ran_gaussian(rng, 1);
        b += eps * gsl_ran_gaussian(rng, 1);
        var *= exp(eps * gsl_ran_gaussian(rng, 1));
        gmoe_model_set_expert(m, j, beta0, beta1, a, b, var);
        gmoe_model_set_gauss(m, j, pi / (double)copies * exp(eps * gsl_ran_gaussian(rng, 1)), c, G);
    }
    gsl_rng_free(rng);
    return m;
}

#endif
