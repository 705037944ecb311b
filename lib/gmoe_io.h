/* gmoe_io: model files (JSON, format version 1; man gmoe-formats(5)).
 *
 *   {"gmoe_model": 1, "gate": "softmax",
 *    "experts": [{"beta0": -8, "beta1": [25], "a": [-20], "b": 15, "var": 0.09}, ...]}
 *
 * Top level: "gmoe_model" (the integer 1), "gate" (softmax | topk | temperature | activation
 * | sigmoid | gaussian), "experts" (a non-empty array of objects), the family keys of that
 * gate only: "topk" (integer in 1..k, required) and "topk_select" (slope | score, default
 * slope) for topk; "tau" (> 0, required) for temperature and activation; "activation" (tanh
 * | sigmoid, required) for activation. An optional "fit" object (gmoe_fit_record). The
 * optional names of the data's columns (gmoe_model_names): "response" (a string),
 * "covariates" (d strings, a factor's indicator columns named "col=level") and "factors"
 * (an array of {"column": name, "levels": [at least 2 distinct strings in bytewise order]},
 * needing "covariates"; the first level is the reference, which has no indicator column). The
 * strings "comment", "source", "name" and a "meta" value of any kind may be added for
 * people and other tools; they are not kept. Any other key is an error, so that a typo is
 * never silently replaced by a default; so is a key given twice (reported as a JSON error).
 *
 * Per expert: "beta0" (number), "beta1" (d numbers), "a" (d numbers), "b" (number) and
 * exactly one of "var" (> 0) or "sd" (> 0, stored as var = sd^2). d is the length of the
 * first expert's beta1 and every array must have d entries. The Gaussian gate takes "pi"
 * (> 0), "c" (d numbers) and "Gamma" (d rows of d numbers, symmetric positive definite)
 * instead of beta0 and beta1, which it then accepts but does not need (d comes from c).
 * Integers count as numbers (the integer literal must fit in 64 bits).
 *
 * Writing puts the keys in that order (gmoe_model, gate, family keys, experts, response,
 * covariates, factors, fit), one
 * expert a line, numbers with 17 significant digits so that write -> read gives back the
 * same doubles. Only the keys the gate uses are written (a Gaussian-gated model's beta0 and
 * beta1 only when not all zero). The "fit" object also records "gmoe_version".
 *
 * Errors: every message is one line, "<file>: <field path>: <problem>", paths as in the
 * file with 0-based indices; the codes are GMOE_EIO (file system), GMOE_EPARSE (content)
 * and GMOE_ENOMEM. For example:
 *   truth.json: cannot open: No such file or directory                     (GMOE_EIO)
 *   truth.json: empty file
 *   truth.json: line 3 column 5: JSON syntax error: <jansson's text>
 *   truth.json: gmoe_model: unsupported format version 2 (this gmoe reads version 1)
 *   truth.json: gate: unknown gate "softmx"
 *   truth.json: topk_selct: unknown key
 *   truth.json: tau: not a parameter of the softmax gate
 *   truth.json: tau: missing (required for the temperature gate)
 *   truth.json: tau: must be > 0 (got 0)
 *   truth.json: topk: must be between 1 and k = 2 (got 3)
 *   truth.json: experts[1].b: missing
 *   truth.json: experts[1].b: expected a number (got a string)
 *   truth.json: experts[0].beta1: expected an array of 1 numbers (got a number)
 *   truth.json: experts[1].a: d mismatch: expected an array of 1 numbers (got an array of 2)
 *   truth.json: experts[1].var: must be > 0 (got -0.5)
 *   truth.json: experts[0]: give var or sd, not both
 *   fit.json: covariates: expected an array of 2 strings (got an array of 3)
 *   fit.json: factors[0].levels: "b" after "c": levels must be distinct, in bytewise order
 *   fit.json: factors[0]: the covariates lack its indicator columns g=b..g=c, in level order
 * Problems found by gmoe_model_validate after parsing (Gamma not symmetric or not positive
 * definite) keep its wording, which counts experts from 1:
 *   truth.json: expert 1: Gamma is not positive definite
 * Writing refuses non-finite parameters (JSON has no NaN or infinity) with GMOE_EINVAL,
 *   fit.json: experts[0].var: cannot write a non-finite value (nan)
 * and reports file system errors as gmoe_outfile does ("fit.json: cannot write: ..."). */
#ifndef GMOE_IO_H
#define GMOE_IO_H

#include <stddef.h>
#include "gmoe_csv.h"
#include "gmoe_error.h"
#include "gmoe_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The "fit" object of a fitted model file. On reading, keys missing from the file are left
 * at 0 or "", unknown ones are ignored, and a null statistic (written for a non-finite
 * loglik, aic, bic or seconds) reads as NaN. status and stop hold at most 31 characters. */
typedef struct gmoe_fit_record {
    double loglik;
    size_t n;
    size_t iterations;
    char status[32]; /* converged | max-iterations | degenerate | gate-divergent */
    char stop[32];   /* the stopping rule that fired: per-obs | relative | max-iter | ... */
    double aic;
    double bic;
    double seconds;
    size_t nparams; /* free parameters counted by AIC and BIC */
    size_t starts;  /* number of starts run; the best is kept */
    unsigned long seed;
    /* What EM maximised when it is not loglik (which is always the conditional
     * log-likelihood sum_i log p(y_i | x_i)): "joint" for the Gaussian gate, whose EM
     * maximises the joint log-likelihood of (x, y), given in loglik_joint. "" otherwise;
     * both keys are written only when objective is not "". */
    char objective[32];
    double loglik_joint;
    /* A bounded fit (gmoe_em_params.gate_bound): the bound B and the number of gate
     * parameters on it. Both keys are written only when gate_bound is finite and > 0; a file
     * without them reads as gate_bound 0 (no bound). */
    double gate_bound;
    size_t bound_active;
    /* Standard errors (gmoe_infer.h, `gmoe fit --se`). se_method: observed | sandwich |
     * bootstrap, or "" when none were asked for (then none of these keys is written).
     * se_reason: why there are none ("" when there are). se: the standard errors to write
     * (borrowed; writing only, NULL after reading). With se_method set every expert object
     * gains "se" ({"beta0": x, "beta1": [..], "a": [..], "b": x, "var": x}, the Gaussian
     * gate's "pi", "c", "Gamma" instead of beta0 and beta1; null for a parameter the
     * canonical form fixes; the whole "se" null when there are none), and the fit object
     * se_method, then se_reason when there are none, else se_tau (an estimated tau),
     * se_params (the names of the free parameters, gmoe_infer_param_name) and se_cov
     * (their covariance matrix, one array per row). bootstrap_b, bootstrap_failed: the
     * bootstrap's replicates and the refits left out (written for bootstrap only). */
    char se_method[32];
    char se_reason[256];
    const struct gmoe_se *se;
    size_t bootstrap_b, bootstrap_failed;
    /* Fits by gmoe_fit (has_interior set): loglik_interior, the best log-likelihood among the
     * starts that ended converged (NaN, written null, when none did). prefer "interior" when
     * that start's model was written instead of the best start's (--prefer interior), whose
     * log-likelihood is then loglik_best; "" and no loglik_best otherwise. On reading,
     * has_interior is 1 when the file has the key loglik_interior. */
    int has_interior;
    double loglik_interior;
    char prefer[16];
    double loglik_best;
} gmoe_fit_record;

/* The names of a model's columns in the data it was fitted on, so that new data can be
 * selected and coded the same way (gmoe predict, gmoe loglik). Every string and array is
 * owned by the struct. */
typedef struct gmoe_model_names {
    char *response;           /* the response column's name, or NULL when not recorded */
    size_t d;                 /* the number of covariate names (the model's d), 0 if none */
    char **covariates;        /* d names as the fit coded them (NULL when d = 0) */
    size_t nfactors;          /* factors among the data's columns */
    gmoe_csv_factor *factors; /* nfactors columns and their levels (NULL when 0) */
} gmoe_model_names;

/* A new set holding copies of response (NULL: none), the d covariates and the nfactors
 * factors (their columns and levels). NULL when out of memory. Free with
 * gmoe_model_names_free (NULL is a no-op). */
gmoe_model_names *gmoe_model_names_alloc(const char *response, const char *const *covariates,
                                         size_t d, const gmoe_csv_factor *factors, size_t nfactors);
void gmoe_model_names_free(gmoe_model_names *nm);

/* The data columns the covariates come from, in model order: each numeric covariate, and
 * each factor's column once, in place of its indicator columns (which must follow each other
 * in level order, as gmoe_csv_read codes them). *columns is one allocation of nm->d pointers
 * at most, borrowed from nm (free() the array only). GMOE_EINVAL, with a message as above
 * without the file name, when the factors do not match the covariates; GMOE_ENOMEM. */
int gmoe_model_names_columns(const gmoe_model_names *nm, const char ***columns, size_t *ncolumns,
                             gmoe_error *err);

/* Read a model file ("-": standard input). *out is owned by the caller (gmoe_model_free)
 * and set to NULL on failure. If fit is non-NULL, it receives the file's "fit" object
 * (zeroed when there is none) and *has_fit, if has_fit is non-NULL, is set to 1 when there
 * is one, else 0. */
int gmoe_model_read(const char *path, gmoe_model **out, gmoe_fit_record *fit, int *has_fit,
                    gmoe_error *err);

/* Parse a model from a JSON text; name is used in messages in place of a file name. */
int gmoe_model_parse(const char *text, const char *name, gmoe_model **out, gmoe_fit_record *fit,
                     int *has_fit, gmoe_error *err);

/* gmoe_model_read and gmoe_model_parse that also give the names the file records: *names is
 * owned by the caller (gmoe_model_names_free), NULL when the file has none of the keys
 * response, covariates and factors (a file written before gmoe 0.2) and on failure.
 * names NULL is gmoe_model_read or gmoe_model_parse. */
int gmoe_model_read_names(const char *path, gmoe_model **out, gmoe_fit_record *fit, int *has_fit,
                          gmoe_model_names **names, gmoe_error *err);
int gmoe_model_parse_names(const char *text, const char *name, gmoe_model **out,
                           gmoe_fit_record *fit, int *has_fit, gmoe_model_names **names,
                           gmoe_error *err);

/* Serialise a model (and its fit record, if fit is non-NULL) as a JSON text, newline
 * terminated. *text is malloc'ed and owned by the caller (free()); NULL on failure.
 * Messages are those of gmoe_model_write without the file name. */
int gmoe_model_dumps(const gmoe_model *m, const gmoe_fit_record *fit, char **text, gmoe_error *err);

/* gmoe_model_dumps and gmoe_model_write that also record names (borrowed; NULL writes
 * none). Its covariates, when there are any, must be d = the model's d and match its factors
 * (gmoe_model_names_columns), else GMOE_EINVAL. */
int gmoe_model_dumps_names(const gmoe_model *m, const gmoe_fit_record *fit,
                           const gmoe_model_names *names, char **text, gmoe_error *err);
int gmoe_model_write_names(const char *path, const gmoe_model *m, const gmoe_fit_record *fit,
                           const gmoe_model_names *names, gmoe_error *err);

/* Write a model file atomically (temporary file beside path, then rename), replacing any
 * file already there. "-" is stdout. */
int gmoe_model_write(const char *path, const gmoe_model *m, const gmoe_fit_record *fit,
                     gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
