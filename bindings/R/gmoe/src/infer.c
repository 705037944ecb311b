/* Standard errors (gmoe_infer.h) and the predictive spread (sd, quantiles, the SE of the
 * mean) from R: every number from libgmoe. */
#include <stdio.h>
#include <string.h>
#include "rgmoe.h"

SEXP rg_se_to_list(const gmoe_se *se, const gmoe_model *m)
{
    size_t p = gmoe_se_nparams(se);
    int tf = gmoe_se_tau_free(se);
    rg_list l;
    rg_list_init(&l, 7);
    rg_list_add(&l, "method", Rf_mkString(gmoe_se_method_name(gmoe_se_get_method(se))));
    const char *why = gmoe_se_reason(se);
    if (why) rg_list_add(&l, "reason", Rf_mkString(why));
    SEXP names = Rf_allocVector(STRSXP, (R_xlen_t)p);
    rg_list_add(&l, "names", names);
    char buf[96];
    for (size_t q = 0; q < p; q++) {
        gmoe_infer_param_name(m, tf, q, buf, sizeof buf);
        SET_STRING_ELT(names, (R_xlen_t)q, Rf_mkChar(buf));
    }
    SEXP est = Rf_allocVector(REALSXP, (R_xlen_t)p);
    rg_list_add(&l, "estimate", est);
    gmoe_infer_pack(m, tf, REAL(est));
    const double *cov = gmoe_se_cov(se);
    if (cov) {
        SEXP c = Rf_allocMatrix(REALSXP, (int)p, (int)p);
        rg_list_add(&l, "cov", c);
        for (size_t r = 0; r < p; r++) /* row-major into R's column-major */
            for (size_t t = 0; t < p; t++)
                REAL(c)[t * p + r] = cov[r * p + t];
    }
    rg_list_add(&l, "tau_free", Rf_ScalarLogical(tf));
    rg_list_add(&l, "bootstrap_failed", Rf_ScalarReal((double)gmoe_se_bootstrap_failed(se)));
    return rg_list_done(&l);
}

/* As `gmoe fit --se` (cli/fit_se.c): tau free unless fixed, the fit's seed, threads and EM
 * settings; opts$se the method, opts$bootstrap the replicates. *se NULL when not asked. */
int rg_se_fit(SEXP opts, const gmoe_model *best, const gmoe_data *data, const gmoe_fit_params *par,
              const gmoe_fit_result *res, gmoe_se **se, gmoe_fit_record *rec, gmoe_error *err)
{
    *se = NULL;
    const char *s = rg_str(rg_elt(opts, "se"));
    if (!s) return GMOE_SUCCESS;
    gmoe_se_params sp = gmoe_se_default_params();
    if (gmoe_se_method_parse(s, &sp.method) || sp.method == GMOE_SE_NONE)
        return gmoe_error_set(err, GMOE_EINVAL, "se must be observed, sandwich or bootstrap");
    SEXP b = rg_elt(opts, "bootstrap");
    if (b != R_NilValue) sp.bootstrap = (size_t)Rf_asReal(b);
    sp.tau_free = !par->em.fix_tau;
    sp.seed = par->seed;
    sp.threads = par->threads;
    sp.em = par->em;
    if (!(*se = gmoe_se_alloc(best, sp.tau_free)))
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    int rc = gmoe_se_compute(*se, best, data, &sp, &res->info, err);
    if (rc) return rc;
    snprintf(rec->se_method, sizeof rec->se_method, "%s", s);
    const char *why = gmoe_se_reason(*se);
    snprintf(rec->se_reason, sizeof rec->se_reason, "%s", why ? why : "");
    if (sp.method == GMOE_SE_BOOTSTRAP) {
        rec->bootstrap_b = sp.bootstrap;
        rec->bootstrap_failed = gmoe_se_bootstrap_failed(*se);
    }
    return GMOE_SUCCESS;
}

gmoe_se *rg_se_from_list(SEXP l, const gmoe_model *m, gmoe_error *err)
{
    gmoe_se_method method;
    const char *s = rg_str(rg_elt(l, "method"));
    if (!s || gmoe_se_method_parse(s, &method) || method == GMOE_SE_NONE) {
        gmoe_error_set(err, GMOE_EINVAL, "the fit's se has no valid method");
        return NULL;
    }
    int tf = Rf_asLogical(rg_elt(l, "tau_free")) == TRUE;
    gmoe_se *se = gmoe_se_alloc(m, tf);
    if (!se) {
        gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        return NULL;
    }
    size_t p = gmoe_se_nparams(se);
    SEXP c = rg_elt(l, "cov");
    double *cov = NULL;
    if (c != R_NilValue) {
        if (TYPEOF(c) != REALSXP || (size_t)XLENGTH(c) != p * p) {
            gmoe_se_free(se);
            gmoe_error_set(err, GMOE_EDIM, "se$cov must be a %zu x %zu numeric matrix", p, p);
            return NULL;
        }
        cov = (double *)R_alloc(p * p, sizeof(double));
        for (size_t r = 0; r < p; r++)
            for (size_t t = 0; t < p; t++)
                cov[r * p + t] = REAL(c)[t * p + r];
    }
    const char *why = rg_str(rg_elt(l, "reason"));
    if (gmoe_se_set_cov(se, method, cov, cov ? NULL : (why ? why : "none"))) {
        gmoe_se_free(se);
        gmoe_error_set(err, GMOE_EINVAL, "the fit's se cannot be used");
        return NULL;
    }
    return se;
}

/* rg_spread(model, x, sd, probs, se) -> list(sd = n, quantiles = n x length(probs),
 * se.fit = n), each only when asked: sd TRUE, probs non-NULL, se (an se list) non-NULL. */
SEXP rg_spread(SEXP list, SEXP x, SEXP sd, SEXP probs, SEXP selist)
{
    gmoe_model *m;
    gmoe_data *data;
    gmoe_error err;
    gmoe_se *se = NULL;
    rg_model_data("predict", list, x, R_NilValue, &m, &data);
    size_t n = data->n, np = probs == R_NilValue ? 0 : (size_t)XLENGTH(probs);
    rg_list l;
    rg_list_init(&l, 3);
    int rc = GMOE_SUCCESS;
    if (Rf_asLogical(sd) == TRUE) {
        SEXP v = Rf_allocVector(REALSXP, (R_xlen_t)n);
        rg_list_add(&l, "sd", v);
        rc = gmoe_model_predict_sd(m, data, REAL(v), &err);
    }
    if (!rc && np > 0) {
        SEXP q = Rf_allocMatrix(REALSXP, (int)n, (int)np);
        rg_list_add(&l, "quantiles", q);
        double *buf = (double *)R_alloc(n * np, sizeof(double));
        rc = gmoe_model_predict_quantiles(m, data, REAL(probs), np, buf, &err);
        for (size_t i = 0; !rc && i < n; i++) /* row-major n x np into column-major */
            for (size_t t = 0; t < np; t++)
                REAL(q)[t * n + i] = buf[i * np + t];
    }
    if (!rc && selist != R_NilValue) {
        SEXP v = Rf_allocVector(REALSXP, (R_xlen_t)n);
        rg_list_add(&l, "se.fit", v);
        if (!(se = rg_se_from_list(selist, m, &err)))
            rc = err.code;
        else
            rc = gmoe_se_predict(se, m, data, NULL, REAL(v), &err);
    }
    gmoe_se_free(se);
    gmoe_model_free(m);
    gmoe_data_free(data);
    if (rc) rg_fail("predict", &err); /* R's error unwinds the protection stack */
    return rg_list_done(&l);
}
