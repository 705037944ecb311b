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
    EM_SIGMOID,
    EM_GAUSSIAN,
    EM_NFAMILIES
};

/* The families whose gate M-step is Fisher scoring on Q (gradient and Fisher tests): all but
 * the Gaussian gate, whose M-step is closed-form (weighted moments). */
#define EM_NNEWTON EM_GAUSSIAN

static const em_family em_families[EM_NFAMILIES] = {
    {"softmax", GMOE_GATE_SOFTMAX, 0, 1.0, 0, GMOE_ACT_TANH},
    {"topk", GMOE_GATE_TOPK, 2, 1.0, 0, GMOE_ACT_TANH},
    {"temperature/fixed", GMOE_GATE_TEMPERATURE, 0, 0.5, 1, GMOE_ACT_TANH},
    {"temperature/free", GMOE_GATE_TEMPERATURE, 0, 0.5, 0, GMOE_ACT_TANH},
    {"activation/tanh", GMOE_GATE_ACTIVATION, 0, 0.5, 0, GMOE_ACT_TANH},
    {"activation/sigmoid", GMOE_GATE_ACTIVATION, 0, 0.25, 0, GMOE_ACT_SIGMOID},
    {"sigmoid", GMOE_GATE_SIGMOID, 0, 1.0, 0, GMOE_ACT_TANH},
    {"gaussian", GMOE_GATE_GAUSSIAN, 0, 1.0, 0, GMOE_ACT_TANH},
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
 * x; activation: one flat reference gate, so that k = 2 is well identified; sigmoid: the
 * outer experts' scores run from saturated (near 1) to small over the range, so that the
 * gate is far from its softmax limit; Gaussian: components centred in the three regions).
 * Canonical form (last gate 0; activation: last beta0 0; sigmoid as is; pi summing to 1). */
static inline gmoe_model *em_truth(int f, size_t k)
{
    static const double a[3] = {2.0, -1.0, 0.5}, b[3] = {-3.0, 0.0, 3.0};
    static const double var[3] = {0.25, 0.16, 0.36};
    /* Gate parameters per family: beta0, beta1 (for k = 3). */
    static const double g0[EM_NFAMILIES][3] = {
        {0.5, -0.3, 0}, {0.5, -0.3, 0}, {0.5, -0.3, 0},     {0.5, -0.3, 0},
        {0.3, -0.2, 0}, {0.3, -0.2, 0}, {-2.0, -1.0, -2.0}, {0, 0, 0},
    };
    static const double g1[EM_NFAMILIES][3] = {
        {-2.0, 1.5, 0}, {-1.5, 0.5, 0}, {-1.0, 0.75, 0},  {-1.0, 0.75, 0},
        {-2.0, 1.0, 0}, {-3.0, 2.0, 0}, {-3.0, 0.0, 3.0}, {0, 0, 0},
    };
    /* Gaussian gate: pi, c, Gamma (d = 1). */
    static const double pi[3] = {0.3, 0.4, 0.3}, c[3] = {-1.2, 0.0, 1.2};
    static const double gam[3] = {0.2, 0.15, 0.25};
    int shift =
        em_families[f].gate != GMOE_GATE_ACTIVATION && em_families[f].gate != GMOE_GATE_SIGMOID;
    gmoe_model *m = gmoe_model_alloc(k, 1, em_families[f].gate);
    if (em_families[f].K)
        gmoe_model_set_topk(m, em_families[f].K < k ? em_families[f].K : k, GMOE_TOPK_SLOPE);
    gmoe_model_set_tau(m, em_families[f].tau);
    gmoe_model_set_act(m, em_families[f].act);
    for (size_t j = 0; j < k; j++) {
        size_t l = k == 3 ? j : (j == 0 ? 0 : 2);
        double b1 = g1[f][l], b0 = g0[f][l];
        if (k < 3 && shift) {
            b1 -= g1[f][2];
            b0 -= g0[f][2];
        }
        gmoe_model_set_expert(m, j, b0, &b1, &a[l], b[l], var[l]);
        gmoe_model_set_gauss(m, j, pi[l], &c[l], &gam[l]);
    }
    gmoe_model_canonicalize(m);
    return m;
}

/* A poor start for family f: flat expert lines near the mean of y, large variances, and a
 * nearly flat gate (small slopes of both signs, so that top-K selects differently for
 * negative and positive x). */
static inline gmoe_model *em_poor_start(int f, size_t k)
{
    gmoe_model *m = em_template(f, k, 1);
    for (size_t j = 0; j < k; j++) {
        double b1 = 0.4 * ((double)(j % 2) * 2 - 1) * (j + 1 < k), a = 0;
        gmoe_model_set_expert(m, j, 0, &b1, &a, 0.5 * ((double)j - 1), 4.0);
    }
    return m;
}

/* Data of n observations from m with x_it ~ U(lo, hi), seeded; NULL on failure. A
 * Gaussian-gated m draws x from its own gate mixture sum_j pi_j N(c_j, Gamma_j) instead (lo
 * and hi unused): the design under which the joint-likelihood fit of that gate is
 * consistent. */
static inline gmoe_data *em_simulate(const gmoe_model *m, size_t n, double lo, double hi,
                                     unsigned long seed)
{
    gmoe_design des = {GMOE_DESIGN_UNIFORM, lo, hi, NULL};
    gmoe_data *data = NULL;
    if (gmoe_model_gate(m) != GMOE_GATE_GAUSSIAN) {
        gmoe_sim_data(m, &des, n, seed, &data, NULL);
        return data;
    }
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    data = gmoe_data_alloc(n, d, 1);
    double pi[16], c[16 * 4], G[16 * 16], L[16];
    for (size_t j = 0; j < k; j++)
        gmoe_model_get_gauss(m, j, &pi[j], c + j * d, G + j * d * d);
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(rng), acc = 0;
        size_t j = 0;
        while (j + 1 < k && u >= (acc += pi[j]))
            j++;
        /* x = c_j + L z with L L' = Gamma_j (Cholesky, written out: d is small). */
        const double *Gj = G + j * d * d;
        for (size_t s = 0; s < d; s++)
            for (size_t t = 0; t <= s; t++) {
                double v = Gj[s * d + t];
                for (size_t r = 0; r < t; r++)
                    v -= L[s * 4 + r] * L[t * 4 + r];
                L[s * 4 + t] = s == t ? sqrt(v) : v / L[t * 4 + t];
            }
        double z[4];
        for (size_t s = 0; s < d; s++)
            z[s] = gsl_ran_gaussian(rng, 1.0);
        for (size_t s = 0; s < d; s++) {
            double v = c[j * d + s];
            for (size_t t = 0; t <= s; t++)
                v += L[s * 4 + t] * z[t];
            data->x[s * n + i] = v;
        }
    }
    gmoe_sim_y(m, rng, data, NULL);
    gsl_rng_free(rng);
    return data;
}

/* The gate scores s_j(x) of MODELS.md section 2 written out independently of the library,
 * at one point x (d values), into s (k values), as the scores of a softmax (the sigmoid
 * gate's are log sigmoid(beta1_j'x + beta0_j)); sel[j] = 1 if expert j is in the top-K
 * selection (every expert for the other families). Not for the Gaussian gate. */
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
        case GMOE_GATE_SIGMOID:
            s[j] = -log1p(exp(-(t + beta0)));
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

/* sum_i log p(x_i) for p(x) = sum_j pi_j N(x; c_j, Gamma_j), the marginal of x of a
 * Gaussian-gated model (d = 1 or 2: explicit inverse and determinant), pi normalised here. */
static inline double em_gauss_loglik_x(const gmoe_model *m, const gmoe_data *data)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m), n = data->n;
    double pi[16], c[16 * 2], G[16 * 4], tot = 0, sum = 0;
    for (size_t j = 0; j < k; j++) {
        gmoe_model_get_gauss(m, j, &pi[j], c + j * d, G + j * d * d);
        sum += pi[j];
    }
    for (size_t i = 0; i < n; i++) {
        double p = 0;
        for (size_t j = 0; j < k; j++) {
            const double *g = G + j * d * d, *cj = c + j * d;
            double u = data->x[i] - cj[0], q, det;
            if (d == 1) {
                det = g[0];
                q = u * u / det;
            } else {
                double v = data->x[n + i] - cj[1];
                det = g[0] * g[3] - g[1] * g[2];
                q = (g[3] * u * u - 2 * g[1] * u * v + g[0] * v * v) / det;
            }
            p += pi[j] / sum * exp(-0.5 * q) / sqrt(pow(2 * M_PI, (double)d) * det);
        }
        tot += log(p);
    }
    return tot;
}

/* The objective EM maximises (the log-likelihood, or the Gaussian gate's joint one),
 * watched over the iterations by em_mono_cb (a gmoe_em_callback): the largest relative
 * decrease and where. check, if set, runs after every iteration too; bad counts the
 * iterations where it returned nonzero. */
typedef struct em_mono_rec {
    double prev;     /* objective after the previous iteration */
    double worst;    /* largest relative decrease seen */
    size_t worst_it; /* at which iteration */
    size_t count;    /* iterations seen */
    double first, last;
    int (*check)(const gmoe_em *w, void *ctx);
    void *ctx;
    size_t bad;
} em_mono_rec;

static inline em_mono_rec em_mono_start(const gmoe_em *w)
{
    em_mono_rec rec = {
        gmoe_em_objective(w), -INFINITY, 0, 0, gmoe_em_objective(w), 0, NULL, NULL, 0};
    return rec;
}

static inline int em_mono_cb(const gmoe_em *w, void *data)
{
    em_mono_rec *rec = data;
    double ll = gmoe_em_objective(w);
    double drop = (rec->prev - ll) / fabs(rec->prev);
    if (!(drop <= rec->worst)) { /* NaN counts as the worst */
        rec->worst = isnan(drop) ? INFINITY : drop;
        rec->worst_it = gmoe_em_iterations(w);
    }
    if (rec->check && rec->check(w, rec->ctx)) rec->bad++;
    rec->prev = ll;
    rec->last = ll;
    rec->count++;
    return 0;
}

/* A workspace for data, started as gmoe_fit starts: from the model start (from_resp 0), or
 * (from_resp 1) from a random hard partition drawn with seed, start giving the gate. */
static inline gmoe_em *em_started(const gmoe_data *data, const gmoe_model *start,
                                  const gmoe_em_params *par, int from_resp, unsigned long seed)
{
    size_t n = data->n, k = gmoe_model_k(start);
    gmoe_em *w = gmoe_em_alloc(n, data->d, k, gmoe_model_gate(start));
    gmoe_error err;
    ck_assert_ptr_nonnull(w);
    if (from_resp) {
        double *resp = malloc(n * k * sizeof(double));
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, seed);
        ck_assert_int_eq(gmoe_start_partition(data, k, rng, resp), GMOE_SUCCESS);
        ck_assert_msg(gmoe_em_init_resp(w, data, start, resp, par, &err) == GMOE_SUCCESS, "%s",
                      err.msg);
        gsl_rng_free(rng);
        free(resp);
    } else {
        ck_assert_msg(gmoe_em_init(w, data, start, par, &err) == GMOE_SUCCESS, "%s", err.msg);
    }
    return w;
}

/* Maximum absolute difference relative to max(1, |ref|). */
static inline double em_reldiff(double got, double ref)
{
    return fabs(got - ref) / (fabs(ref) > 1 ? fabs(ref) : 1);
}

#endif
