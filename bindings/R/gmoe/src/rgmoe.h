/* Shared helpers of the R package's C layer (.Call entry points over libgmoe).
 *
 * Every entry point frees what libgmoe allocated before it raises an R error, so that the
 * error's long jump leaks nothing: failures are collected in a gmoe_error, the objects are
 * freed, and only then rg_fail calls Rf_error with the library's message. */
#ifndef RGMOE_H
#define RGMOE_H

#include <R.h>
#include <Rinternals.h>
#include <gmoe.h>

/* Raise an R error "CONTEXT: MESSAGE" from a gmoe_error (never returns). */
void rg_fail(const char *context, const gmoe_error *err) __attribute__((noreturn));

/* Model <-> R list (class "gmoe_model"): gate, k, d, beta0 (k), beta1 (k x d), a (k x d), b
 * (k), var (k), the family's tau / topk, topk_select / activation, and for the Gaussian gate
 * pi (k), c (k x d), Gamma (k x d x d). rg_model_from_list returns an owned model or NULL with
 * err set (the message names the element); rg_model_to_list a new protected-by-caller SEXP. */
gmoe_model *rg_model_from_list(SEXP list, gmoe_error *err);
SEXP rg_model_to_list(const gmoe_model *m);
/* The fit record as a named list (NULL when rec is NULL), and back (err set on a bad element). */
SEXP rg_record_to_list(const gmoe_fit_record *rec);
int rg_record_from_list(SEXP list, gmoe_fit_record *rec, gmoe_error *err);

/* A data set from an n x d numeric matrix (column-major, as libgmoe) and y (length n, or
 * R_NilValue for none), values checked with gmoe_data_check(max_abs). Owned, or NULL with err
 * set. */
gmoe_data *rg_data(SEXP x, SEXP y, double max_abs, gmoe_error *err);

/* A named list built element by element: rg_list_init protects the list (room for cap
 * elements), rg_list_add appends (value may be freshly allocated: the list protects it once
 * added), rg_list_done names it, cuts it to the elements added and unprotects it. */
typedef struct rg_list {
    SEXP list, names;
    int n, cap;
} rg_list;
void rg_list_init(rg_list *l, int cap);
void rg_list_add(rg_list *l, const char *name, SEXP value);
SEXP rg_list_done(rg_list *l);

/* A fit's parameters (par holds the caller's defaults) and template model from the options
 * list of gmoe_fit (fit.c); the truth of near-true starts is left to the caller. */
int rg_fit_params(SEXP opts, gmoe_fit_params *par, gmoe_error *err);
gmoe_model *rg_fit_template(size_t k, size_t d, SEXP gate, SEXP opts, gmoe_error *err);

/* The model of list and the data of x (n x d) and y (or R_NilValue), the data's d checked
 * against the model's; on failure an R error "CONTEXT: MESSAGE" (nothing left allocated). */
void rg_model_data(const char *context, SEXP list, SEXP x, SEXP y, gmoe_model **m,
                   gmoe_data **data);
/* Standard errors (infer.c): as a named list (method, reason when there are none, names,
 * estimate, cov when there are some, tau_free, bootstrap_failed), and computed for a fit
 * (opts$se, opts$bootstrap; the record gets se_method, se_reason and the bootstrap's
 * counts). */
SEXP rg_se_to_list(const gmoe_se *se, const gmoe_model *m);
int rg_se_fit(SEXP opts, const gmoe_model *best, const gmoe_data *data, const gmoe_fit_params *par,
              const gmoe_fit_result *res, gmoe_se **se, gmoe_fit_record *rec, gmoe_error *err);
/* The standard errors of the model m from an se list (rg_se_to_list's): owned, or NULL with
 * err set. */
gmoe_se *rg_se_from_list(SEXP l, const gmoe_model *m, gmoe_error *err);

/* Named list element, or R_NilValue. */
SEXP rg_elt(SEXP list, const char *name);
/* A C string from a length-1 character vector (NULL when it is not one). */
const char *rg_str(SEXP s);

#endif
