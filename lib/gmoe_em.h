/* gmoe_em: maximum-likelihood fitting of a Gaussian mixture of experts by EM.
 *
 * The solver follows GSL's iterative-solver pattern: a workspace allocated once for
 * (n, d, k, gate) and reused across iterations and restarts; gmoe_em_init / gmoe_em_iterate /
 * gmoe_em_test; and a driver with an optional per-iteration callback. Nothing inside the
 * iteration loop allocates or prints.
 *
 * One EM iteration: an E-step in log space (responsibilities, log-likelihood and every
 * sufficient statistic in one pass over the data), the expert M-step (weighted least squares,
 * v_j = weighted mean squared residual, floored), and the gate M-step: Fisher scoring with
 * step halving on Q(beta) = sum_ij r_ij log g_j(x_i; beta), warm-started at the current gate.
 * For softmax and top-K gates the Fisher matrix is the exact Hessian (IRLS); for temperature
 * and activation gates it is the Gauss-Newton matrix (damped, Levenberg-Marquardt, when its
 * step fails). The sigmoid gate is the softmax of u_j = log sigmoid(beta0_j + beta1_j'x):
 * its step takes minus the exact Hessian of Q (the Gauss-Newton matrix plus the curvature of
 * u_j) when that is positive definite, the Gauss-Newton matrix otherwise, damped likewise.
 * A gate step is checked by a pass that evaluates Q and accepted only if Q does
 * not decrease; a step whose predicted gain is below 1e-6 per observation is taken without
 * that pass, and the next E-step undoes it if the log-likelihood fell. Either way the
 * log-likelihood never decreases (a generalised EM). Variances come from the sufficient
 * statistics (residuals about each expert's current line), not from a second pass.
 *
 * The Gaussian gate is estimated differently: by maximum likelihood for the joint density
 *   p(x, y) = sum_j pi_j N(x; c_j, Gamma_j) N(y; a_j'x + b_j, v_j)
 * (the EM of Xu, Jordan and Hinton 1995), not the conditional one. As a function of x that
 * gate is a softmax of (1, x, x_s x_t), whose parameters p(y | x) determines only up to a
 * common quadratic in x; the marginal of x fixes them, and makes the M-step closed-form:
 * pi_j the mean responsibility, c_j and Gamma_j the responsibility-weighted mean and
 * covariance of x, Gamma_j floored at var_floor diag var(x) (in the positive semi-definite
 * order: the exact maximiser under that constraint). The responsibilities are the same as
 * for the conditional model (p(x_i) cancels), so the E-step is shared. EM then never lowers
 * the joint log-likelihood (gmoe_em_objective, used by the stopping rule, SQUAREM's
 * safeguard and gmoe_fit's choice among starts); the conditional log-likelihood
 * (gmoe_em_loglik, the loglik reported everywhere) usually rises too but need not. The
 * estimates are consistent when x is drawn from the gate's mixture sum_j pi_j N(c_j,
 * Gamma_j); with another design of x, (pi, c, Gamma) describe the best Gaussian mixture for
 * x jointly with y, and p(y | x) is not the conditional maximum-likelihood fit.
 *
 * Acceleration (accel_method): SQUAREM (Varadhan and Roland 2008, scheme S3; the default)
 * on the parameter vector (gate parameters, expert coefficients, log variances, log tau; for
 * the Gaussian gate log pi, c and the upper triangle of Gamma), with the safeguard that a
 * cycle whose extrapolated point lowers the objective, or has a Gamma that is not positive
 * definite, falls back to the plain EM steps. Or quasi-Newton (GMOE_ACCEL_QN): steps
 * (H + lambda D) dx = grad l on the same vector, with the exact gradient of the
 * log-likelihood from each E-step, D the complete-data information and H a BFGS
 * approximation of the observed information started at D; a step is taken only if it does
 * not lower the log-likelihood, lambda grows until one does, and after five refusals an EM
 * map is taken instead; a step that changes log tau by more than 1 is shortened to that
 * (em_qn.c says more). Near an over-specified fit's maximum, where EM
 * and SQUAREM crawl, it needs far fewer passes over the data and stops closer to the
 * maximum; with the softmax gate and one covariate its E-step is also a faster kernel
 * (estep_fast.c). Not for the Gaussian gate, which keeps SQUAREM.
 * One "iteration" of an accelerated run is one SQUAREM cycle (up to 3 EM maps) or three
 * quasi-Newton steps; the number of maps (EM maps and quasi-Newton steps) and of passes over
 * the data are reported too.
 *
 * Identifiability and canonical form: softmax, top-K and temperature gates are fitted with
 * the last expert's (beta0, beta1) held at 0, the activation gate with the last beta0 at 0;
 * the sigmoid gate has no translation freedom (every parameter is free), and the Gaussian
 * gate's pi sum to 1.
 *
 * Compact parameter set (gate_bound B, MODELS.md 7): the MLE over the box |beta0_j| <= B,
 * |beta1_jt| <= B of the canonical form, the form the rate theorems assume (with x bounded
 * no gate weight can then vanish: an extra expert must share a true expert's cell). Per
 * family: softmax and top-K as written; temperature on beta1/tau (tau is then held at its
 * start value, which loses nothing: only beta1/tau is identified); sigmoid on every gate
 * parameter; activation on beta0 and beta1, and on 1/tau (tau >= 1/B) when tau is
 * estimated: a bounded beta1 alone does not bound the scores act(beta1'x)/tau + beta0, a
 * bounded 1/tau does (|act| <= 1). The Gaussian gate has no such box (its
 * parameters are moments of x, fixed by the data) and refuses a finite bound. The gate
 * M-step becomes a projected Newton step: entries on a bound whose gradient points outward
 * are held, the Newton direction is taken in the others (dropping any that it would move
 * out of the box from a bound), and the line search projects each trial point onto the box
 * and accepts it only if Q does not decrease, so that EM stays a generalised EM. Starts and
 * SQUAREM's extrapolated points are projected onto the box too. Quasi-Newton is a projected
 * method: gate entries on a bound whose gradient points out of the box are held for the
 * step, the step is solved in the others and its point projected onto the box, and it is
 * taken only if the log-likelihood does not decrease (a generalised EM as well). A gate
 * inside a box cannot diverge: a bounded fit is never gate-divergent, and
 * gmoe_em_info.bound_active counts the gate parameters that end on the bound. B = INFINITY
 * (the default) is the unbounded MLE, bit for bit. */
#ifndef GMOE_EM_H
#define GMOE_EM_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GMOE_STOP_PER_OBS = 0, /* |l_t - l_{t-1}| / n <= tol (gmoe's default) */
    GMOE_STOP_RELATIVE     /* |l_t - l_{t-1}| / |l_{t-1}| <= tol (the published rule) */
} gmoe_stop_rule;

typedef enum {
    GMOE_FIT_RUNNING = 0,   /* not stopped yet */
    GMOE_FIT_CONVERGED,     /* the stopping rule fired */
    GMOE_FIT_MAX_ITER,      /* the iteration limit was reached first */
    GMOE_FIT_DEGENERATE,    /* a variance (or a Gaussian gate's Gamma) ended on the floor,
                               or an expert lost all mass */
    GMOE_FIT_GATE_DIVERGENT /* the gate parameters run off to infinity (no finite maximum) */
} gmoe_fit_status;

/* How an accelerated run accelerates EM (gmoe_em_params.accel_method). */
typedef enum {
    GMOE_ACCEL_QN = 0, /* quasi-Newton steps on the log-likelihood */
    GMOE_ACCEL_SQUAREM /* SQUAREM, scheme S3 (the default) */
} gmoe_accel;

const char *gmoe_fit_status_name(gmoe_fit_status status);
const char *gmoe_accel_name(gmoe_accel method); /* "qn", "squarem" */
int gmoe_accel_parse(const char *name, gmoe_accel *method);
const char *gmoe_stop_rule_name(gmoe_stop_rule rule);
int gmoe_stop_rule_parse(const char *name, gmoe_stop_rule *rule);

typedef struct gmoe_em_params {
    gmoe_stop_rule stop; /* default GMOE_STOP_PER_OBS */
    double tol;          /* default 1e-8 (per-obs) */
    size_t max_iter;     /* default 5000 iterations (cycles when accelerated) */
    int accel;           /* accelerated (1, default: see accel_method) or plain EM (0) */
    double var_floor;    /* variance floor relative to var(y): v_j >= var_floor * var(y);
                            the Gaussian gate's Gamma_j >= var_floor * diag var(x) too;
                            default 1e-6 */
    int fix_tau;         /* temperature/activation: hold tau at its start value (default 0) */
    size_t gate_newton;  /* Fisher-scoring steps per gate M-step at most (default 5) */
    double gate_div;     /* gate steepness (slope spread in units of sd(x), or intercept
                            spread) above which the gate is declared divergent; default 50 */
    double gate_bound;   /* the box on the gate parameters (see above); > 0, default
                            INFINITY (no box) */

    /* The acceleration when accel is set: GMOE_ACCEL_SQUAREM (default) or GMOE_ACCEL_QN (the
     * Gaussian gate always takes SQUAREM). */
    gmoe_accel accel_method;
} gmoe_em_params;

gmoe_em_params gmoe_em_default_params(void);

/* The variance floor in the units of y for the relative floor rel (gmoe_em_params.var_floor):
 * rel var(y), var(y) with divisor n. A y whose variance is 0 (a constant) or underflows falls
 * back to its mean squared, a y of zeros to 1; the floor is never below DBL_MIN, the
 * smallest normal double. */
double gmoe_em_var_floor(const gmoe_data *data, double rel);

typedef struct gmoe_em_info {
    double loglik;     /* conditional log-likelihood sum_i log p(y_i | x_i) */
    double objective;  /* what EM maximised: loglik, or the Gaussian gate's joint one */
    size_t iterations; /* EM iterations (cycles when accelerated) */
    size_t maps;       /* parameter updates: EM maps (M-step + E-step) and quasi-Newton steps */
    size_t passes;     /* passes over the data (E-steps, tried points and gate line-search
                          passes included): the cost of the fit */
    gmoe_fit_status status;
    gmoe_stop_rule stop; /* the rule that was tested */
    double seconds;
    size_t bound_active; /* gate parameters on the bound of gate_bound's box (0 without) */
} gmoe_em_info;

typedef struct gmoe_em gmoe_em;

/* Workspace for data of n observations, d covariates, k experts and a gate family.
 * Owned: free with gmoe_em_free. NULL on invalid sizes or allocation failure. */
gmoe_em *gmoe_em_alloc(size_t n, size_t d, size_t k, gmoe_gate gate);
void gmoe_em_free(gmoe_em *w);

/* Start a fit of data (borrowed: must outlive the fit) from the model start (copied; its
 * gate family, K, tau, activation are those of the fit). Runs the first E-step. */
int gmoe_em_init(gmoe_em *w, const gmoe_data *data, const gmoe_model *start,
                 const gmoe_em_params *par, gmoe_error *err);

/* Start a fit from responsibilities instead of a model: resp[j*n + i] (n*k values, rows
 * summing to 1; a hard partition or soft weights) is copied, and the first M-step is taken
 * from it, with the gate started at gate_start's gate parameters (usually 0; its expert
 * parameters only fill experts that get no weight). */
int gmoe_em_init_resp(gmoe_em *w, const gmoe_data *data, const gmoe_model *gate_start,
                      const double *resp, const gmoe_em_params *par, gmoe_error *err);

/* One iteration (a plain EM step, or a SQUAREM cycle). */
int gmoe_em_iterate(gmoe_em *w, gmoe_error *err);

/* GMOE_CONTINUE while the fit should go on, GMOE_SUCCESS once it has stopped (see
 * gmoe_em_status for why). */
int gmoe_em_test(gmoe_em *w);

/* The current model (borrowed, valid until the next call on w) and its log-likelihood. */
const gmoe_model *gmoe_em_model(const gmoe_em *w);
double gmoe_em_loglik(const gmoe_em *w);
/* The objective EM maximises and its stopping rule tests: the conditional log-likelihood,
 * except for the Gaussian gate, where it is the joint log-likelihood of (x, y). */
double gmoe_em_objective(const gmoe_em *w);
size_t gmoe_em_iterations(const gmoe_em *w);
gmoe_fit_status gmoe_em_status(const gmoe_em *w);

/* Called after every iteration; a nonzero return stops the driver (status stays running ->
 * reported as max-iterations). */
typedef int (*gmoe_em_callback)(const gmoe_em *w, void *data);

/* Iterate until gmoe_em_test says stop; fill info. */
int gmoe_em_driver(gmoe_em *w, gmoe_em_callback cb, void *cbdata, gmoe_em_info *info,
                   gmoe_error *err);

/* Number of free parameters of a fitted model (for AIC/BIC): experts k(d+2); gate
 * (k-1)(d+1) for softmax/top-K/temperature, (k-1) + kd for activation, plus 1 for an
 * estimated tau of the activation gate, k(d+1) for sigmoid, (k-1)(1 + d + d(d+1)/2) for
 * the Gaussian gate (the conditional model's: the marginal of x is not counted). */
size_t gmoe_em_nparams(const gmoe_model *m, int tau_free);

#ifdef __cplusplus
}
#endif
#endif
