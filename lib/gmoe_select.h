/* gmoe_select: choosing the number of experts (MODELS.md section 7).
 *
 * gmoe_select_run fits every k from kmin to K separately (each with gmoe_fit and the same
 * parameters, so the fit for k is the one `gmoe fit -k k` gives with the same starts and
 * seed), scores each fit with the classical criteria (lower is better):
 *   AIC = -2 l + 2 p,   BIC = -2 l + p log n,   ICL = BIC + 2 EN,
 *   EN = -sum_i sum_j tau_ij log tau_ij   (tau_ij the posterior probability of expert j for
 *                                          observation i at the fit; 0 log 0 = 0),
 * p the free parameters of the canonical form (gmoe_em_nparams), l the conditional
 * log-likelihood; and builds the dendrogram of the K fit (gmoe_dendrogram.h), whose DSC
 * chooses among its levels kappa = max(2, kmin)..K. AIC, BIC and ICL choose among the fits
 * that are not degenerate (all of them if every fit is); ties go to the smaller k.
 *
 * The fits run one after the other, largest k first, each with its starts in parallel
 * (gmoe_fit_params.threads). Every fit is seeded from the parameters alone, so the result is
 * the same for any number of threads. */
#ifndef GMOE_SELECT_H
#define GMOE_SELECT_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_model.h"
#include "gmoe_fit.h"
#include "gmoe_dendrogram.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GMOE_CRIT_DSC = 0,
    GMOE_CRIT_AIC,
    GMOE_CRIT_BIC,
    GMOE_CRIT_ICL,
    GMOE_NCRIT
} gmoe_criterion;

/* "dsc", "aic", "bic", "icl" and back (GMOE_EINVAL for another name). */
const char *gmoe_criterion_name(gmoe_criterion c);
int gmoe_criterion_parse(const char *name, gmoe_criterion *c);

/* The criteria of one fitted model on its data. */
typedef struct gmoe_criteria {
    double loglik;  /* conditional log-likelihood */
    size_t nparams; /* p */
    double entropy; /* EN */
    double aic, bic, icl;
} gmoe_criteria;

/* Compute them for model m on data (with y); tau_free: whether tau counts as a parameter
 * (an estimated tau of the activation gate; gmoe_em_nparams). */
int gmoe_criteria_compute(const gmoe_model *m, const gmoe_data *data, int tau_free,
                          gmoe_criteria *out, gmoe_error *err);

typedef struct gmoe_select_params {
    gmoe_fit_params fit; /* starts, init, seed, EM settings, threads; progress is called
                            per finished start of any fit, with the totals over all fits.
                            The default is gmoe_fit's but for em.tol = 1e-6: over-specified
                            fits creep towards their maximum, and at n = 1e4, d = 2, k = 5
                            the per-observation rule at 1e-6 stops within half a unit of
                            log-likelihood of 1e-8's, five times sooner; the criteria differ
                            between k by tens of units */
    size_t kmin;         /* smallest k fitted (default 1) */
    gmoe_dendrogram_params dendrogram;
} gmoe_select_params;

gmoe_select_params gmoe_select_default_params(void);

typedef struct gmoe_select gmoe_select;

/* Fit k = kmin..K = gmoe_model_k(templ) experts to data with templ's gate family and family
 * parameters (top-K keeps min(K_templ, k) experts per observation), score them, build the
 * dendrogram of the K fit. *out is owned by the caller (gmoe_select_free). Errors: those of
 * gmoe_fit, prefixed with the k that failed ("k = 3: every start failed: ..."), and kmin
 * outside 1..K (GMOE_EINVAL). */
int gmoe_select_run(const gmoe_data *data, const gmoe_model *templ, const gmoe_select_params *par,
                    gmoe_select **out, gmoe_error *err);
void gmoe_select_free(gmoe_select *s);

/* Accessors (borrowed pointers live as long as s); k outside kmin..K gives NULL. */
size_t gmoe_select_kmin(const gmoe_select *s);
size_t gmoe_select_kmax(const gmoe_select *s);
const gmoe_model *gmoe_select_model(const gmoe_select *s, size_t k);
const gmoe_fit_result *gmoe_select_result(const gmoe_select *s, size_t k);
const gmoe_criteria *gmoe_select_criteria(const gmoe_select *s, size_t k);
const gmoe_dendrogram *gmoe_select_dendrogram(const gmoe_select *s);
/* The k that criterion c chooses. */
size_t gmoe_select_chosen(const gmoe_select *s, gmoe_criterion c);

/* EM started from the model start (its family and size), with the EM settings em: used to
 * refit the merged model that the DSC chooses. *out (owned) is canonical; res gets the fit's
 * info, nparams, AIC and BIC (one start; best_start 0). */
int gmoe_select_refit(const gmoe_data *data, const gmoe_model *start, const gmoe_em_params *em,
                      gmoe_model **out, gmoe_fit_result *res, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
