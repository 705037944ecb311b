/* Shared fixtures of the EM and fitting test runners: the gate families every EM test loops
 * over (tcase_add_loop_test index = family), their true models, data simulation and
 * independent reference computations (gate scores written out from MODELS.md section 2). */
#ifndef GMOE_EMTEST_H
#define GMOE_EMTEST_H

#include <math.h>
#include <string.h>
#include "testutil.h"

/* One gate family of the loop tests. */
typedef struct em_family {
    const char *name;
    gmoe_gate gate;
    size_t K;    /* top-K: experts selected (0: not top-K) */
    double tau;  /* true tau (temperature, activation) */
    int fix_tau; /* hold tau at the template's value (the true one) */
    gmoe_act act;
} em_family;

enum {
    EM_SOFTMAX = 0,
    EM_TOPK,
    EM_TEMP_FIXED,
    EM_TEMP_FREE,
    EM_ACT_TANH,
    EM_ACT_SIGMOID,
    EM_NFAMILIES
};

static const em_family em_families[EM_NFAMILIES] = {
    {"softmax", GMOE_GATE_SOFTMAX, 0, 1.0, 0, GMOE_ACT_TANH},
    {"topk", GMOE_GATE_TOPK, 2, 1.0, 0, GMOE_ACT_TANH},
    {"temperature/fixed", GMOE_GATE_TEMPERATURE, 0, 0.5, 1, GMOE_ACT_TANH},
    {"temperature/free", GMOE_GATE_TEMPERATURE, 0, 0.5, 0, GMOE_ACT_TANH},
    {"activation/tanh", GMOE_GATE_ACTIVATION, 0, 0.5, 0, GMOE_ACT_TANH},
    {"activation/sigmoid", GMOE_GATE_ACTIVATION, 0, 0.25, 0, GMOE_ACT_SIGMOID},
};

/* A model of family f with k experts and d covariates, every parameter 0 (var 1), with the
 * family's K, tau and activation. The template of a fit: a free tau starts at 1, not at
 * the truth. */
static inline gmoe_model *em_template(int f, size_t k, size_t d)
{
    const em_family *fam = &em_families[f];
    gmoe_model *m = gmoe_model_alloc(k, d, fam->gate);
    if (fam->K) gmoe_model_set_topk(m, fam->K, GMOE_TOPK_SLOPE);
    gmoe_model_set_tau(m, fam->fix_tau ? fam->tau : 1.0);
    gmoe_model_set_act(m, fam->act);
    return m;
}

static inline gmoe_em_params em_params(int f)
{
    gmoe_em_params p = gmoe_em_default_params();
    p.fix_tau = em_families[f].fix_tau;
    return p;
}

/* The true model of family f, d = 1, k = 3 (k = 2 keeps the first and the last expert). The
 * experts are the same for every family; the gate parameters give every expert a region of
 * x in [-2, 2] (top-K: beta1 of both signs, so that the selection changes with the sign of
 * x; activation: one flat reference gate, so that k = 2 is well identified). Canonical
 * form (last gate 0; activation: last beta0 0). */
static inline gmoe_model *em_truth(int f, size_t k)
{
    static const double a[3] = {2.0, -1.0, 0.5}, b[3] = {-3.0, 0.0, 3.0};
    static const double var[3] = {0.25, 0.16, 0.36};
    /* Gate parameters per family: beta0, beta1 (for k = 3). */
    static const double g0[EM_NFAMILIES][3] = {
        {0.5, -0.3, 0}, {0.5, -0.3, 0}, {0.5, -0.3, 0},
        {0.5, -0.3, 0}, {0.3, -0.2, 0}, {0.3, -0.2, 0},
    };
    static const double g1[EM_NFAMILIES][3] = {
        {-2.0, 1.5, 0},  {-1.5, 0.5, 0}, {-1.0, 0.75, 0},
        {-1.0, 0.75, 0}, {-2.0, 1.0, 0}, {-3.0, 2.0, 0},
    };
    gmoe_model *m = gmoe_model_alloc(k, 1, em_families[f].gate);
    if (em_families[f].K)
        gmoe_model_set_topk(m, em_families[f].K < k ? em_families[f].K : k, GMOE_TOPK_SLOPE);
    gmoe_model_set_tau(m, em_families[f].tau);
    gmoe_model_set_act(m, em_families[f].act);
    for (size_t j = 0; j < k; j++) {
        size_t l = k == 3 ? j : (j == 0 ? 0 : 2);
        double b1 = g1[f][l], b0 = g0[f][l];
        if (k < 3 && em_families[f].gate != GMOE_GATE_ACTIVATION) {
            b1 -= g1[f][2];
            b0 -= g0[f][2];
        }
        gmoe_model_set_expert(m, j, b0, &b1, &a[l], b[l], var[l]);
    }
    gmoe_model_canonicalize(m);
    return m;
}

/* Data of n observations from m with x_it ~ U(lo, hi), seeded; NULL on failure. */
static inline gmoe_data *em_simulate(const gmoe_model *m, size_t n, double lo, double hi,
                                     unsigned long seed)
{
    gmoe_design des = {GMOE_DESIGN_UNIFORM, lo, hi};
    gmoe_data *data = NULL;
    gmoe_sim_data(m, &des, n, seed, &data, NULL);
    return data;
}

/* The gate scores s_j(x) of MODELS.md section 2 written out independently of the library,
 * at one point x (d values), into s (k values); sel[j] = 1 if expert j is in the top-K
 * selection (every expert for the other families). */
static inline void em_scores(const gmoe_model *m, const double *x, double *s, int *sel)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    double tau = gmoe_model_tau(m), beta0, beta1[8];
    double lin[64];
    for (size_t j = 0; j < k; j++) {
        gmoe_model_get_expert(m, j, &beta0, beta1, NULL, NULL, NULL);
        double t = 0;
        for (size_t c = 0; c < d; c++)
            t += beta1[c] * x[c];
        lin[j] = t;
        switch (gmoe_model_gate(m)) {
        case GMOE_GATE_TEMPERATURE:
            s[j] = t / tau + beta0;
            break;
        case GMOE_GATE_ACTIVATION:
            s[j] = (gmoe_model_act(m) == GMOE_ACT_TANH ? tanh(t) : 1 / (1 + exp(-t))) / tau + beta0;
            break;
        default:
            s[j] = t + beta0;
            break;
        }
        sel[j] = 1;
    }
    if (gmoe_model_gate(m) == GMOE_GATE_TOPK)
        for (size_t j = 0; j < k; j++) {
            size_t above = 0;
            for (size_t l = 0; l < k; l++)
                above += lin[l] > lin[j] || (lin[l] == lin[j] && l < j);
            sel[j] = above < gmoe_model_topk(m);
        }
}

/* Maximum absolute difference relative to max(1, |ref|). */
static inline double em_reldiff(double got, double ref)
{
    return fabs(got - ref) / (fabs(ref) > 1 ? fabs(ref) : 1);
}

#endif
