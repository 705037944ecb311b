/* gmoe_model: a Gaussian mixture of experts.
 *
 *   p(y | x) = sum_j g_j(x) N(y; a_j'x + b_j, var_j),   j = 1..k, x in R^d,
 *
 * with one of the gating families of MODELS.md section 2:
 *   softmax      g_j = softmax_j(beta1_j'x + beta0_j)
 *   topk         softmax over the K experts with the largest beta1_j'x (or, with
 *                GMOE_TOPK_SCORE, the largest beta1_j'x + beta0_j); ties to the lower index;
 *                unselected experts get weight exactly 0
 *   temperature  g_j = softmax_j(beta1_j'x / tau + beta0_j)
 *   activation   g_j = softmax_j(act(beta1_j'x) / tau + beta0_j), act = tanh or sigmoid
 *   sigmoid      g_j = sigmoid(s_j) / sum_l sigmoid(s_l), s_j = beta1_j'x + beta0_j
 *   gaussian     g_j = pi_j N(x; c_j, Gamma_j) / sum_l pi_l N(x; c_l, Gamma_l)
 * Variances are variances (never standard deviations).
 *
 * The model is opaque: parameters are set and read per expert by copy. Gate weights and
 * densities are computed in log space (log-sum-exp), so scores of +-1e4 neither overflow nor
 * lose the small weights. */
#ifndef GMOE_MODEL_H
#define GMOE_MODEL_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GMOE_GATE_SOFTMAX = 0,
    GMOE_GATE_TOPK,
    GMOE_GATE_TEMPERATURE,
    GMOE_GATE_ACTIVATION,
    GMOE_GATE_SIGMOID,
    GMOE_GATE_GAUSSIAN
} gmoe_gate;

typedef enum { GMOE_ACT_TANH = 0, GMOE_ACT_SIGMOID } gmoe_act;

typedef enum { GMOE_TOPK_SLOPE = 0, GMOE_TOPK_SCORE } gmoe_topk_select;

typedef struct gmoe_model gmoe_model;

/* Names as used in model files and on the command line ("softmax", "tanh", "slope", ...),
 * and their parsers (return GMOE_EINVAL on an unknown name). */
const char *gmoe_gate_name(gmoe_gate gate);
int gmoe_gate_parse(const char *name, gmoe_gate *gate);
const char *gmoe_act_name(gmoe_act act);
int gmoe_act_parse(const char *name, gmoe_act *act);
const char *gmoe_topk_select_name(gmoe_topk_select sel);
int gmoe_topk_select_parse(const char *name, gmoe_topk_select *sel);

/* Allocate a model with k >= 1 experts and d >= 1 covariates. Every coefficient starts at 0,
 * every variance at 1, tau at 1, K at k (top-K), act tanh, pi_j = 1/k, c_j = 0, Gamma_j = I.
 * Returns NULL on invalid sizes or allocation failure. Owned: free with gmoe_model_free. */
gmoe_model *gmoe_model_alloc(size_t k, size_t d, gmoe_gate gate);
void gmoe_model_free(gmoe_model *m);
/* A deep copy (owned by the caller), or NULL on allocation failure. */
gmoe_model *gmoe_model_clone(const gmoe_model *m);
/* Copy every parameter of src into dst; both must have the same k and d (else GMOE_EDIM). */
int gmoe_model_copy(gmoe_model *dst, const gmoe_model *src);

size_t gmoe_model_k(const gmoe_model *m);
size_t gmoe_model_d(const gmoe_model *m);
gmoe_gate gmoe_model_gate(const gmoe_model *m);
/* Change the gating family, keeping every parameter. */
void gmoe_model_set_gate(gmoe_model *m, gmoe_gate gate);

/* Expert j's parameters. beta1 and a point to d values. On get, any output may be NULL. */
void gmoe_model_set_expert(gmoe_model *m, size_t j, double beta0, const double *beta1,
                           const double *a, double b, double var);
void gmoe_model_get_expert(const gmoe_model *m, size_t j, double *beta0, double *beta1, double *a,
                           double *b, double *var);

/* Family parameters. */
void gmoe_model_set_tau(gmoe_model *m, double tau);
double gmoe_model_tau(const gmoe_model *m);
void gmoe_model_set_topk(gmoe_model *m, size_t K, gmoe_topk_select sel);
size_t gmoe_model_topk(const gmoe_model *m);
gmoe_topk_select gmoe_model_topk_select(const gmoe_model *m);
void gmoe_model_set_act(gmoe_model *m, gmoe_act act);
gmoe_act gmoe_model_act(const gmoe_model *m);

/* Gaussian gate of expert j: weight pi > 0, centre c (d values), covariance Gamma (d*d,
 * row-major, symmetric positive definite). */
void gmoe_model_set_gauss(gmoe_model *m, size_t j, double pi, const double *c, const double *Gamma);
void gmoe_model_get_gauss(const gmoe_model *m, size_t j, double *pi, double *c, double *Gamma);

/* Check every parameter: finite values, var > 0, tau > 0, 1 <= K <= k, pi > 0, Gamma
 * positive definite. On failure the message names the expert and the field
 * ("expert 2: var must be > 0 (got -1)"). */
int gmoe_model_validate(const gmoe_model *m, gmoe_error *err);

/* Remove the gate's translation freedom: for softmax, topk and temperature gates subtract the
 * last expert's (beta0, beta1) from every expert's, so that the last expert's gate is 0; for
 * the activation gate only beta0 is translated (its beta1 has no such freedom); the Gaussian
 * gate's pi are scaled to sum to 1; the sigmoid gate has no translation freedom. */
void gmoe_model_canonicalize(gmoe_model *m);

/* Gate weights at one point x (d values) into w (k values). Returns GMOE_ENUMERIC if x
 * holds non-finite values. */
int gmoe_model_gate_eval(const gmoe_model *m, const double *x, double *w);

/* Log gate weights for every observation of data: logw[j*n + i] (expert-major), -INFINITY
 * for experts top-K does not select. logw must hold n*k values. */
int gmoe_model_gate_log(const gmoe_model *m, const gmoe_data *data, double *logw);

/* Expert means a_j'x + b_j for every observation: mu[j*n + i]. mu must hold n*k values. */
void gmoe_model_expert_means(const gmoe_model *m, const gmoe_data *data, double *mu);

/* Conditional log-density log p(y | x) and density at one point. */
double gmoe_model_logpdf(const gmoe_model *m, const double *x, double y);
double gmoe_model_pdf(const gmoe_model *m, const double *x, double y);

/* Conditional mean E[y | x] = sum_j g_j(x) (a_j'x + b_j). */
double gmoe_model_mean(const gmoe_model *m, const double *x);

/* Total log-likelihood sum_i log p(y_i | x_i). data must have y and d equal to the model's
 * (else GMOE_EDIM). Allocates a work buffer of n*k doubles internally. */
int gmoe_model_loglik(const gmoe_model *m, const gmoe_data *data, double *loglik, gmoe_error *err);

/* Predictions for every observation of data; each output may be NULL. gate[i*k + j]: gate
 * weights g_j(x_i); post[i*k + j]: posterior probability of expert j given (x_i, y_i);
 * mean[i]: E[y | x_i]; logdens[i]: log p(y_i | x_i). post and logdens need data->y. */
int gmoe_model_predict(const gmoe_model *m, const gmoe_data *data, double *gate, double *post,
                       double *mean, double *logdens, gmoe_error *err);

/* Predictive standard deviation sd[i] = sqrt(Var[y | x_i]) of every observation, in closed
 * form: Var[y | x] = sum_j g_j(x) (v_j + (a_j'x + b_j - E[y | x])^2). data->y is not used.
 * GMOE_EDIM for a d mismatch; GMOE_ENUMERIC (naming the observation, err->obs) when the gate
 * scores overflow or a variance is not finite. */
int gmoe_model_predict_sd(const gmoe_model *m, const gmoe_data *data, double *sd, gmoe_error *err);

/* Predictive quantiles of the mixture p(y | x_i): q[i*np + l] solves F(q | x_i) = p[l], with
 * F(y | x) = sum_j g_j(x) Phi((y - a_j'x - b_j) / sqrt(v_j)), by Brent's method (GSL) to a
 * few ulps, bracketed by the smallest and largest of the experts' own p[l]-quantiles.
 * Experts with gate weight 0 (top-K) take no part. Every p[l] must lie strictly between 0
 * and 1 (else GMOE_EINVAL, before any work); errors otherwise as gmoe_model_predict_sd. */
int gmoe_model_predict_quantiles(const gmoe_model *m, const gmoe_data *data, const double *p,
                                 size_t np, double *q, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
