/* gmoe_fit: multi-start maximum-likelihood fitting and start strategies.
 *
 * gmoe_fit runs EM (gmoe_em.h) from several starts and keeps the best log-likelihood (the
 * objective EM maximised: for the Gaussian gate the joint log-likelihood of (x, y)).
 * Starts run in parallel with OpenMP; start s draws its random numbers from a generator
 * seeded with gmoe_sim_seed(seed, s, 0) alone, so the answer is the same for any number of
 * threads. Among the starts, those that end regular (converged or max-iterations) win over
 * degenerate ones (a variance on the floor); ties go to the lower start index. The result
 * also names the best start that converged (gmoe_fit_result.loglik_interior), which
 * gmoe_fit_params.prefer_interior returns instead.
 *
 * Start strategies:
 *   near-true  fitted expert j < k* copies true expert j, the extra experts of start s
 *              true experts s, s+1, ... (mod k*: k* starts split each true expert once; the
 *              published code drew them at random), perturbed as published (MODELS.md 3a):
 *              gate parameters + N(0, (0.005 n^-0.083)^2), expert coefficients +
 *              N(0, (0.05 n^-0.083)^2), variances + |N(0, (0.005 n^-0.25)^2)|; a Gaussian
 *              gate from a Gaussian truth: log pi_j, c_j and the log scales of Gamma_j
 *              (Gamma -> D Gamma D, D diagonal) + N(0, (0.005 n^-0.083)^2); from a truth
 *              of another family the fitted gate starts flat;
 *   random     a uniformly random hard partition of the observations;
 *   data       data-driven: start s uses, in turn, k-means++ on standardised (x, y), a random
 *              hard partition, and random soft responsibilities (Dirichlet(1)).
 * A partition start takes its first M-step from the responsibilities (gmoe_em_init_resp):
 * for the Gaussian gate that gives (pi, c, Gamma) as the partition's weighted moments of x,
 * for the others the gate steps from a flat gate. */
#ifndef GMOE_FIT_H
#define GMOE_FIT_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_model.h"
#include "gmoe_em.h"
#include "gmoe_io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GMOE_INIT_NEAR_TRUE = 0, GMOE_INIT_RANDOM, GMOE_INIT_DATA } gmoe_init;

const char *gmoe_init_name(gmoe_init init);
int gmoe_init_parse(const char *name, gmoe_init *init);

typedef struct gmoe_fit_params {
    gmoe_em_params em;
    gmoe_init init;          /* default GMOE_INIT_DATA */
    size_t starts;           /* default 10 */
    unsigned long seed;      /* default 1 */
    const gmoe_model *truth; /* near-true starts: the true model (borrowed) */
    int threads;             /* OpenMP threads for the starts; 0: the OpenMP default */
    /* Called after each finished start, from one thread at a time (may be NULL). */
    void (*progress)(size_t done, size_t total, void *data);
    void *progress_data;
    /* Nonzero: return the best start that converged (an interior maximum) rather than the
     * best start, when one converged; the best start otherwise (res->has_interior says). */
    int prefer_interior; /* default 0 */
} gmoe_fit_params;

gmoe_fit_params gmoe_fit_default_params(void);

typedef struct gmoe_fit_result {
    gmoe_em_info info; /* of the best start */
    size_t best_start; /* its index */
    size_t starts;     /* starts run */
    size_t failed;     /* starts that failed (singular or non-finite) */
    size_t nparams;    /* free parameters (gmoe_em_nparams) */
    double aic, bic;   /* -2 loglik + 2 p, -2 loglik + p log n */
    double seconds;    /* wall time of all starts */
    /* The best start by the rule above (top_start, loglik_top: best_start and info.loglik
     * unless prefer_interior chose another), and the best start that ended converged: the
     * best interior maximum, where the best start may be gate-divergent (a supremum that the
     * gate only approaches) or degenerate. has_interior 0: no start converged
     * (loglik_interior NaN). */
    size_t top_start;
    double loglik_top;
    gmoe_fit_status top_status;
    int has_interior;
    size_t interior_start;
    double loglik_interior;
} gmoe_fit_result;

/* The largest |value| of a covariate or response that gmoe_fit accepts. The fit sums squares
 * and cross products of the data over the observations (least squares, variances, the gate's
 * Newton steps); below 1e150 a square stays below 1e300, which leaves room for 1e8
 * observations before a sum overflows to inf. Standardising the data inside would hide the
 * problem in the reported parameters instead; values this large are a unit mistake or a
 * sentinel far more often than data. */
#define GMOE_FIT_MAX_ABS 1e150

/* Fit a model with the size, gate family and family parameters of templ (K, tau start
 * value, activation) to data. *best is owned by the caller; it is in canonical form.
 * Data with a non-finite value or a value beyond GMOE_FIT_MAX_ABS are GMOE_EINVAL, naming the
 * first observation (1-based) that holds one (gmoe_data_check): "observation 6: x1 = 1e+308
 * is too large to fit (|value| > 1e+150)", "observation 2: y = nan is not finite" (x2, ...
 * for further covariates, y for the response). */
int gmoe_fit(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
             gmoe_model **best, gmoe_fit_result *res, gmoe_error *err);

/* The "fit" object of a model file (gmoe_io.h) for a gmoe_fit of n observations that returned
 * best and res with the parameters par: loglik, n, iterations, status, the rule that stopped
 * the best start ("max-iter" when the iteration limit came first, else par's rule), AIC, BIC,
 * seconds, free parameters, starts, seed, for the Gaussian gate the joint log-likelihood
 * (objective "joint"), and for a bounded fit (par->em.gate_bound finite) gate_bound and
 * bound_active. What `gmoe fit` and the R and Python bindings write. */
void gmoe_fit_record_set(gmoe_fit_record *rec, const gmoe_model *best, const gmoe_fit_result *res,
                         const gmoe_fit_params *par, size_t n);

/* Run start number `start` of gmoe_fit again (the same path: it is seeded by its index),
 * calling cb after every iteration: the trace of the best start's log-likelihood. */
int gmoe_fit_trace(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
                   size_t start, gmoe_em_callback cb, void *cbdata, gmoe_error *err);

/* Near-true start number `start` for n observations: out (k experts, the gate family of out)
 * from truth (k* <= k experts, same d): fitted expert j < k* at true expert j, the extra
 * experts at true experts start, start + 1, ... (mod k*), every parameter perturbed as
 * MODELS.md section 3 says. */
int gmoe_start_near_true(const gmoe_model *truth, size_t n, size_t start, gsl_rng *rng,
                         gmoe_model *out, gmoe_error *err);

/* Start responsibilities resp[j*n + i] (n*k values) for data: a random hard partition,
 * k-means++ clusters of standardised (x, y), or Dirichlet(1) soft weights. Each returns
 * GMOE_ENOMEM or GMOE_SUCCESS. */
int gmoe_start_partition(const gmoe_data *data, size_t k, gsl_rng *rng, double *resp);
int gmoe_start_kmeans(const gmoe_data *data, size_t k, gsl_rng *rng, double *resp);
int gmoe_start_soft(const gmoe_data *data, size_t k, gsl_rng *rng, double *resp);

#ifdef __cplusplus
}
#endif
#endif
