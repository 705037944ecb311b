/* gmoe_dendrogram: the dendrogram of mixing measures and the dendrogram selection criterion
 * (DSC; MODELS.md section 7).
 *
 * From one model fitted with K experts (more than the truth may need), the two closest atoms
 * of the mixing measure are merged into one, again and again, down to a single atom: levels
 * kappa = K, K-1, ..., 1, each a valid gmoe model in canonical form built without any refit.
 * Level kappa's merge height h_kappa is the dissimilarity of the pair merged to make level
 * kappa - 1; with the data, each level also gets its log-likelihood, and
 *   DSC(kappa) = -(h_kappa + omega_n lbar_kappa),  kappa = 2..K,
 * lbar_kappa the mean log-likelihood per observation and omega_n = log n (Do et al., arXiv
 * 2403.01684; for softmax-gated GMoE Hai et al., arXiv 2510.12744; a rescaled form is below,
 * gmoe_dsc_form). The chosen number of
 * experts is the level with the smallest DSC (ties to the smaller kappa); the DSC cannot
 * choose 1, for which no height exists.
 *
 * An atom is an expert's (gate slope, a, b, v) with a mass p_j summing to 1 over the atoms;
 * merging atoms i and j gives mass p = p_i + p_j, weights w_i = p_i / p, w_j = p_j / p, and
 *   gate slope, a, b:  the w-weighted means;
 *   v:                 w_i v_i + w_j v_j + w_i w_j (mu_i - mu_j)^2, mu_j = a_j'xbar + b_j the
 *                      experts' means at the data's centre xbar (the variance of the pair's
 *                      mixture of y at xbar: moment matching);
 *   d(i, j) = (p_i p_j / (p_i + p_j)) (|dslope|^2 + |db|^2 + |da| + |dv|)
 * (exponents: D2's rbar(2) = 4 for slope and b, 2 for a and v, halved). The closest pair
 * merges first (ties to the lowest (i, j)); the merged atom takes the place of i, the atoms
 * after j move down one. Per gating family:
 *   softmax, temperature, activation, topk
 *        beta0 = log(exp(beta0_i) + exp(beta0_j)): with equal slopes the merged gate weight
 *        is exactly the sum of the pair's, at every x. The slope is beta1 (beta1 / tau for the
 *        temperature gate, the identified part; tau is kept). Top-K: the merged model keeps
 *        the selection rule; its K drops by one when the pair was selected together at most
 *        of the observations where either was (the pair then held two of the K slots where
 *        one atom now suffices), and never exceeds kappa - 1.
 *   sigmoid
 *        the unnormalised weights sigmoid(s_j) play the part of exp(s_j), but a sum of two
 *        sigmoids is no sigmoid: the merged slope is the w-weighted mean, and the merged
 *        beta0 is set so that the merged atom's mean gate weight over the data equals the
 *        sum of the pair's (bisection; if no beta0 reaches it, the largest tried, 40 above
 *        the pair's).
 *   gaussian
 *        the joint Gaussian components pi_j N(x; c_j, Gamma_j) N(y; a_j'x + b_j, v_j) of
 *        (x, y) are moment-matched: pi = pi_i + pi_j, the joint mean and covariance of the
 *        pair's mixture, read back as (c, Gamma, a, b, v). The mass is pi; the slope term is
 *        |dc|^2, and |dGamma| (Frobenius) joins |da| and |dv|. With equal parameters the
 *        merge is exact.
 * Masses (the atoms' weights, MODELS.md 7 mentions two): GMOE_MASS_GATE, the mean gate weight
 * of the expert over the data (the default: measured the better of the two, see README "How
 * many experts?"), or GMOE_MASS_INTERCEPT, exp(beta0_j) normalised (sigmoid(beta0_j) for the
 * sigmoid gate), the weight at x = 0. The Gaussian gate's mass is pi either way.
 *
 * Outliers in y (README "How many experts?"): an over-fitted model spends atoms of tiny mass
 * and huge variance on them; their merge heights are small, but moment matching inflates
 * the variance of the true atom they merge into, and the DSC's log(n) lbar then keeps them
 * as experts. gmoe_dendrogram_params.var = GMOE_VAR_GEOMETRIC with a trim above the
 * outliers' share (measured: 0.01 to 0.1 for 1 % outliers) makes the DSC choose the true
 * atoms; both depart from MODELS.md 7, so the defaults stay the specification's.
 *
 * Heights: where only the slopes of the atoms differ, d is Ward's criterion and the heights
 * never decrease; in general the unsquared |da| and |dv| terms and the moment-matched v make
 * the criterion not reducible, and a later height may be below an earlier one. The DSC uses
 * them as they are.
 *
 * Where gmoe differs from the authors' prototype (arXiv 2510.12744): the prototype averages
 * the variances (no spread term, so merging two experts with different lines understates the
 * variance of the merged one) and leaves the gate slope out of d (two experts with the same
 * line but opposite gates would merge at height 0). */
#ifndef GMOE_DENDROGRAM_H
#define GMOE_DENDROGRAM_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GMOE_MASS_GATE = 0, /* mean gate weight over the data (default) */
    GMOE_MASS_INTERCEPT /* exp(beta0_j) normalised: the weight at x = 0 */
} gmoe_dendrogram_mass;

const char *gmoe_dendrogram_mass_name(gmoe_dendrogram_mass mass);
int gmoe_dendrogram_mass_parse(const char *name, gmoe_dendrogram_mass *mass);

/* The DSC's two forms: plain, -(h_kappa + omega_n lbar_kappa) (MODELS.md 7), and
 * rescaled, -(h_kappa / h_max + omega_n lbar_kappa / |lbar_K|), h_max the largest height
 * (our reading of the rescaled form of 2403.01684, whose exact text could not be checked; a
 * zero h_max or lbar_K counts as 1). The plain form compares heights, in the units of the
 * parameters, with log-likelihoods per observation: below k* a height can outweigh the
 * log-likelihood lost by merging two true atoms until n is very large. */
typedef enum { GMOE_DSC_PLAIN = 0, GMOE_DSC_RESCALED } gmoe_dsc_form;

const char *gmoe_dsc_form_name(gmoe_dsc_form form);
int gmoe_dsc_form_parse(const char *name, gmoe_dsc_form *form);

/* The merged variance of two atoms (softmax-type and sigmoid gates; the Gaussian gate's
 * joint components are always moment-matched), with w_i, w_j the pair's mass weights:
 *   GMOE_VAR_MOMENT     w_i v_i + w_j v_j + w_i w_j (mu_i - mu_j)^2 (MODELS.md 7, default);
 *   GMOE_VAR_AVERAGE    w_i v_i + w_j v_j (the authors' prototype);
 *   GMOE_VAR_GEOMETRIC  v_i^w_i v_j^w_j. An atom of tiny mass w_j and huge variance v_j (one
 *                       that an over-fitted model spends on outliers) moves the other's
 *                       variance by the factor (v_j / v_i)^w_j, not by w_j v_j: merged into
 *                       a true atom, it leaves that atom nearly as it was. */
typedef enum { GMOE_VAR_MOMENT = 0, GMOE_VAR_AVERAGE, GMOE_VAR_GEOMETRIC } gmoe_dendrogram_var;

const char *gmoe_dendrogram_var_name(gmoe_dendrogram_var var);
int gmoe_dendrogram_var_parse(const char *name, gmoe_dendrogram_var *var);

typedef struct gmoe_dendrogram_params {
    gmoe_dendrogram_mass mass; /* default GMOE_MASS_GATE */
    double omega;              /* DSC weight of lbar; NaN (default) or <= 0: log n */
    gmoe_dsc_form form;        /* the DSC that gmoe_dendrogram_dsc and _choose use */
    gmoe_dendrogram_var var;   /* default GMOE_VAR_MOMENT */
    double trim;               /* share q in [0, 0.5) of the observations left out of the
                                  DSC's lbar: each level's lowest floor(q n) log-likelihoods
                                  (a trimmed mean, a departure from MODELS.md 7 for data
                                  with outliers); default 0, the plain mean */
} gmoe_dendrogram_params;

gmoe_dendrogram_params gmoe_dendrogram_default_params(void);

typedef struct gmoe_dendrogram gmoe_dendrogram;

/* Build the dendrogram of fit (K experts, any gate family) on data (n >= 1 observations with
 * y and the model's d; borrowed during the call only). par NULL: the defaults. *out is owned
 * by the caller (gmoe_dendrogram_free). Errors: an invalid model or data (GMOE_EINVAL,
 * GMOE_EDIM), a trim outside [0, 0.5) or a variance merge other than moment matching for the
 * Gaussian gate (GMOE_EINVAL), GMOE_ENOMEM. */
int gmoe_dendrogram_build(const gmoe_model *fit, const gmoe_data *data,
                          const gmoe_dendrogram_params *par, gmoe_dendrogram **out,
                          gmoe_error *err);
void gmoe_dendrogram_free(gmoe_dendrogram *dg);

/* The merged model with kappa atoms (1 <= kappa <= K), as its own copy (owned by the caller;
 * kappa = K gives fit in canonical form): the one call to cut a fitted model's dendrogram at
 * a chosen number of atoms. */
int gmoe_dendrogram_cut(const gmoe_model *fit, const gmoe_data *data, size_t kappa,
                        const gmoe_dendrogram_params *par, gmoe_model **out, gmoe_error *err);

/* Accessors; kappa runs from 1 to K = gmoe_dendrogram_k(dg), and a kappa outside that range
 * gives NULL, NaN or GMOE_EINVAL. */
size_t gmoe_dendrogram_k(const gmoe_dendrogram *dg);
size_t gmoe_dendrogram_n(const gmoe_dendrogram *dg);
/* Level kappa's model, canonical (borrowed: lives as long as dg). */
const gmoe_model *gmoe_dendrogram_model(const gmoe_dendrogram *dg, size_t kappa);
/* h_kappa: the height of the merge from kappa atoms to kappa - 1 (NaN at kappa = 1). */
double gmoe_dendrogram_height(const gmoe_dendrogram *dg, size_t kappa);
/* The pair i < j (0-based experts of level kappa) merged to make level kappa - 1;
 * GMOE_EINVAL at kappa = 1. */
int gmoe_dendrogram_merged(const gmoe_dendrogram *dg, size_t kappa, size_t *i, size_t *j);
/* Level kappa's total log-likelihood on the data, the lbar of its DSC (loglik / n, or the
 * trimmed mean of the params' trim), and its DSC (NaN at kappa = 1) in the params' form or
 * in either. */
double gmoe_dendrogram_loglik(const gmoe_dendrogram *dg, size_t kappa);
double gmoe_dendrogram_lbar(const gmoe_dendrogram *dg, size_t kappa);
double gmoe_dendrogram_dsc(const gmoe_dendrogram *dg, size_t kappa);
double gmoe_dendrogram_dsc_form(const gmoe_dendrogram *dg, size_t kappa, gmoe_dsc_form form);
/* The masses of level kappa's atoms: kappa values into mass (summing to 1). */
void gmoe_dendrogram_masses(const gmoe_dendrogram *dg, size_t kappa, double *mass);
/* The atom (0-based) of level kappa that holds expert `leaf` (0-based) of the K fit. */
size_t gmoe_dendrogram_atom(const gmoe_dendrogram *dg, size_t kappa, size_t leaf);
/* omega_n as used, and the params' DSC form. */
double gmoe_dendrogram_omega(const gmoe_dendrogram *dg);
gmoe_dsc_form gmoe_dendrogram_form(const gmoe_dendrogram *dg);
/* The kappa of the smallest DSC (the params' form) among levels 2..K (1 when K = 1), and
 * of a given form among levels max(2, kmin)..K; ties to the smaller kappa. */
size_t gmoe_dendrogram_choose(const gmoe_dendrogram *dg);
size_t gmoe_dendrogram_choose_form(const gmoe_dendrogram *dg, gmoe_dsc_form form, size_t kmin);

#ifdef __cplusplus
}
#endif
#endif
