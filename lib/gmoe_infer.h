/* gmoe_infer: standard errors of a fitted mixture of experts (MODELS.md 7).
 *
 * Parameters. The free parameters of the canonical form (gmoe_model_canonicalize), expert by
 * expert: first the expert's gate parameters, then its a (d values), b and var; an estimated
 * tau comes last.
 *   softmax, topk, temperature  beta0_j and beta1_j (d values) for j < k (the last expert's
 *                               gate is 0)
 *   activation                  beta0_j for j < k, beta1_j for every j
 *   sigmoid                     beta0_j and beta1_j for every j
 *   gaussian                    pi_j for j < k (pi_k = 1 - the others), c_j (d values) and
 *                               the upper triangle of Gamma_j, row by row (Gamma_st, s <= t),
 *                               for every j
 * The variance is var itself (not its log or the standard deviation), so that its SE is in
 * the units the model file writes.
 *
 * Objective. The conditional log-likelihood sum_i log p(y_i | x_i) for every gate but the
 * Gaussian one, which EM fits by the joint log-likelihood sum_i log sum_j pi_j N(x_i; c_j,
 * Gamma_j) N(y_i; a_j'x_i + b_j, v_j) (gmoe_em.h): its information is that of the joint
 * one, in (pi, c, Gamma, a, b, var); p(y | x) alone does not identify (pi, c, Gamma).
 *
 * Observed information. I = minus the Hessian of the objective, analytic, in one pass over
 * the data. With f_ij = log g_j(x_i) + log N(y_i; mu_ij, v_j) and r_ij its posterior weight,
 * l_i = log sum_j exp(f_ij) has the Hessian
 *     sum_j r_ij (D2 f_ij + h_ij h_ij') - s_i s_i',   h_ij = D f_ij,  s_i = sum_j r_ij h_ij,
 * and for the gates that are a normalised exp of scores z_ij (all but the Gaussian one),
 * D2 log g_j = D2 z_j - sum_l g_l (D2 z_l + (D z_l - zbar)(D z_l - zbar)'), zbar =
 * sum_l g_l D z_l. The rank-k parts are summed with BLAS (dsyrk) over blocks of rows.
 * s_i is observation i's score; J = sum_i s_i s_i' is the sandwich's middle.
 * Top-K: the selection is held fixed (it is piecewise constant in the parameters, and the
 * log-likelihood is smooth where no observation sits on a selection boundary).
 *
 * Standard errors. observed: sqrt(diag(I^-1)); sandwich: sqrt(diag(I^-1 J I^-1));
 * bootstrap: the spread of refits on data simulated from the estimate (gmoe_se_bootstrap).
 * There are none, with a reason, when the fit is degenerate, gate-divergent or has an
 * active gate bound (not an interior maximum), for the temperature gate with tau estimated
 * (only beta1/tau is identified: I is singular along (beta1, tau)), and when I is not
 * positive definite or is ill-conditioned (an over-fitted model, two experts that coincide):
 * the reciprocal condition number of I scaled to a unit diagonal below rcond_min. Never a
 * pseudo-inverse. */
#ifndef GMOE_INFER_H
#define GMOE_INFER_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_model.h"
#include "gmoe_em.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GMOE_SE_NONE = 0, /* no standard errors asked for */
    GMOE_SE_OBSERVED, /* inverse observed information */
    GMOE_SE_SANDWICH, /* I^-1 J I^-1 */
    GMOE_SE_BOOTSTRAP /* parametric bootstrap */
} gmoe_se_method;

const char *gmoe_se_method_name(gmoe_se_method method); /* "none", "observed", ... */
int gmoe_se_method_parse(const char *name, gmoe_se_method *method);

/* Number of free parameters p of m's canonical form; tau_free: tau is estimated (temperature
 * and activation gates only; ignored for the others). */
size_t gmoe_infer_nparams(const gmoe_model *m, int tau_free);

/* The free parameters of m (canonical form assumed) into theta (p values), and back: unpack
 * writes theta into a copy of the model's structure, leaving the fixed parameters as they
 * are (pi_k is set to 1 - the others). */
void gmoe_infer_pack(const gmoe_model *m, int tau_free, double *theta);
void gmoe_infer_unpack(gmoe_model *m, int tau_free, const double *theta);

/* Name of free parameter q (1-based expert numbers, 1-based covariates): "beta0_1",
 * "beta1_1[2]", "a_2[1]", "b_2", "var_2", "pi_1", "c_1[1]", "Gamma_1[1,2]", "tau". */
void gmoe_infer_param_name(const gmoe_model *m, int tau_free, size_t q, char *buf, size_t size);

/* One pass over data at m: objective (may be NULL) the log-likelihood described above,
 * info (p*p, row-major, may be NULL) the observed information, opg (p*p, may be NULL) J =
 * sum_i s_i s_i', grad (p, may be NULL) sum_i s_i. GMOE_EDIM if data do not match m,
 * GMOE_EINVAL without y, GMOE_ENUMERIC if a gate score overflows. */
int gmoe_infer_information(const gmoe_model *m, const gmoe_data *data, int tau_free,
                           double *objective, double *info, double *opg, double *grad,
                           gmoe_error *err);

/* The predictive mean E[y | x_i] = sum_j g_j(x_i) (a_j'x_i + b_j) of every observation of data
 * (mean, n values, may be NULL) and its gradient in the free parameters (grad, n*p, row i
 * for observation i): what the delta method needs. data may lack y. */
int gmoe_infer_mean_gradient(const gmoe_model *m, const gmoe_data *data, int tau_free, double *mean,
                             double *grad, gmoe_error *err);

typedef struct gmoe_se_params {
    gmoe_se_method method; /* default GMOE_SE_OBSERVED */
    int tau_free;          /* tau was estimated (temperature, activation); default 0 */
    double rcond_min;      /* smallest acceptable reciprocal condition number of the
                              information scaled to a unit diagonal; default 1e-12 */
    /* Parametric bootstrap: replicates (default 200), seed (default 1), OpenMP threads (0:
     * the OpenMP default) and the refits' EM settings (default gmoe_em_default_params();
     * fix_tau should match tau_free). */
    size_t bootstrap;
    unsigned long seed;
    int threads;
    gmoe_em_params em;
} gmoe_se_params;

gmoe_se_params gmoe_se_default_params(void);

typedef struct gmoe_se gmoe_se;

/* Storage for the standard errors of models shaped like m. Owned: gmoe_se_free. */
gmoe_se *gmoe_se_alloc(const gmoe_model *m, int tau_free);
void gmoe_se_free(gmoe_se *se);

/* Standard errors of the fit m (canonical form) to data by par->method. info (may be NULL)
 * is the fit's record: its status and bound_active decide the non-interior cases. Returns
 * GMOE_SUCCESS also when there are no standard errors (gmoe_se_reason then says why); an
 * error code only for invalid input or an allocation failure.
 *
 * The parametric bootstrap draws par->bootstrap data sets from m: y from p(y | x) at the
 * data's x (the Gaussian gate: x too, from the gate's mixture, as its joint likelihood
 * assumes), replicate b from a generator seeded with gmoe_sim_seed(seed, b, 1) alone (fit starts
 * use (seed, s, 0)); each is refitted by EM started at m; the covariance is that of the refits'
 * free parameters, summed in replicate order, so that it is the same for any number of threads.
 * Refits that fail, end degenerate or gate-divergent are left out (gmoe_se_bootstrap_failed counts
 * them); fewer than 2 usable refits give none. */
int gmoe_se_compute(gmoe_se *se, const gmoe_model *m, const gmoe_data *data,
                    const gmoe_se_params *par, const gmoe_em_info *info, gmoe_error *err);

/* NULL when the standard errors exist, else why not (a sentence without a final period). */
const char *gmoe_se_reason(const gmoe_se *se);
gmoe_se_method gmoe_se_get_method(const gmoe_se *se);
int gmoe_se_tau_free(const gmoe_se *se); /* tau is one of the free parameters */
size_t gmoe_se_nparams(const gmoe_se *se);
/* The covariance matrix of the free parameters (p*p, row-major; borrowed), NULL if none. */
const double *gmoe_se_cov(const gmoe_se *se);
/* The reciprocal condition number of the scaled information (NAN if not computed). */
double gmoe_se_rcond(const gmoe_se *se);
/* Bootstrap refits left out (0 for the other methods). */
size_t gmoe_se_bootstrap_failed(const gmoe_se *se);

/* Expert j's standard errors, in the model's fields; NAN for a parameter the canonical form
 * fixes (or when there are none). Outputs may be NULL. For the Gaussian gate,
 * gmoe_se_get_gauss gives pi (pi_k by the delta method), c and Gamma (d*d, symmetric). */
void gmoe_se_get_expert(const gmoe_se *se, size_t j, double *beta0, double *beta1, double *a,
                        double *b, double *var);
void gmoe_se_get_gauss(const gmoe_se *se, size_t j, double *pi, double *c, double *Gamma);
double gmoe_se_get_tau(const gmoe_se *se); /* NAN unless tau was estimated */

/* Standard errors from a given covariance matrix (p*p, copied; p = gmoe_se_nparams), as a
 * model file's se_cov holds them, or none with the reason why (cov NULL). */
int gmoe_se_set_cov(gmoe_se *se, gmoe_se_method method, const double *cov, const char *reason);

/* The standard error of the predictive mean at every observation of data by the delta
 * method, sqrt(D' V D) with D = gmoe_infer_mean_gradient's row and V the covariance of se
 * (se_mean, n values; NaN throughout when se has none); mean (may be NULL) gets the means. */
int gmoe_se_predict(const gmoe_se *se, const gmoe_model *m, const gmoe_data *data, double *mean,
                    double *se_mean, gmoe_error *err);

/* The standard errors in a fitted model file (the fit object's se_method, se_cov or
 * se_reason, written by gmoe_model_write with a gmoe_se) for the model m read from it:
 * *out (owned, gmoe_se_free) or NULL when the file has none. GMOE_EPARSE naming the file
 * and the field when se_cov does not fit the model. */
int gmoe_se_read(const char *path, const gmoe_model *m, gmoe_se **out, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
