/* Sweeps, their results files and convergence rates from R. */
#include <math.h>
#include <string.h>
#include "rgmoe.h"

/* Run the sweep of config (threads 0: the config's; output NULL: the config's); returns the
 * results file's path. */
SEXP rg_sweep(SEXP config, SEXP threads, SEXP output)
{
    gmoe_error err;
    gmoe_sweep *sw = NULL;
    const char *path = rg_str(config), *o = output == R_NilValue ? NULL : rg_str(output);
    if (!path) Rf_error("gmoe_sweep: config must be one string");
    if (gmoe_sweep_load(path, &sw, &err)) rg_fail("gmoe_sweep", &err);
    gmoe_sweep_options opt = gmoe_sweep_default_options();
    opt.threads = (int)Rf_asReal(threads);
    opt.output = o;
    opt.command = "R gmoe_sweep()";
    gmoe_sweep_summary sum;
    int rc = gmoe_sweep_run(sw, &opt, NULL, NULL, &sum, &err);
    SEXP out = R_NilValue;
    if (!rc) out = PROTECT(Rf_mkString(o ? o : gmoe_sweep_output(sw)));
    gmoe_sweep_free(sw);
    if (rc) rg_fail("gmoe_sweep", &err);
    UNPROTECT(1);
    return out;
}

/* list(columns = named list of numeric columns sorted by (n, rep), metrics = names,
 * theory = named numeric). */
SEXP rg_results(SEXP path)
{
    gmoe_error err;
    gmoe_results *res = NULL;
    const char *p = rg_str(path);
    if (!p) Rf_error("gmoe_rate: results must be one string");
    if (gmoe_results_read(p, &res, &err)) rg_fail("gmoe_results", &err);
    size_t rows = gmoe_results_nrows(res), cols = gmoe_results_ncols(res), nm = 0;
    for (size_t j = 0; j < cols; j++)
        nm += gmoe_results_is_metric(res, j) != 0;
    rg_list l;
    rg_list_init(&l, 3);
    SEXP columns = Rf_allocVector(VECSXP, cols);
    rg_list_add(&l, "columns", columns);
    SEXP metrics = Rf_allocVector(STRSXP, nm);
    rg_list_add(&l, "metrics", metrics);
    SEXP theory = Rf_allocVector(REALSXP, nm);
    rg_list_add(&l, "theory", theory);
    SEXP cn = PROTECT(Rf_allocVector(STRSXP, cols));
    for (size_t j = 0, m = 0; j < cols; j++) {
        const char *name = gmoe_results_colname(res, j);
        SEXP col = Rf_allocVector(REALSXP, rows);
        SET_VECTOR_ELT(columns, j, col);
        memcpy(REAL(col), gmoe_results_column(res, j), rows * sizeof(double));
        SET_STRING_ELT(cn, j, Rf_mkChar(name));
        if (gmoe_results_is_metric(res, j)) {
            double slope;
            SET_STRING_ELT(metrics, m, Rf_mkChar(name));
            REAL(theory)[m++] = gmoe_results_theory(res, name, &slope) ? slope : NA_REAL;
        }
    }
    gmoe_results_free(res);
    Rf_setAttrib(columns, R_NamesSymbol, cn);
    Rf_setAttrib(theory, R_NamesSymbol, metrics);
    UNPROTECT(1);
    return rg_list_done(&l);
}

static SEXP named(SEXP out, const char *const *nm, int count)
{
    SEXP names = PROTECT(Rf_allocVector(STRSXP, count));
    for (int i = 0; i < count; i++)
        SET_STRING_ELT(names, i, Rf_mkChar(nm[i]));
    Rf_setAttrib(out, R_NamesSymbol, names);
    UNPROTECT(1);
    return out;
}

static double fin(double v)
{
    return isfinite(v) ? v : NA_REAL;
}

/* gmoe_rate_estimate over (n, value): a named numeric vector of the scalar results, or a
 * character string (the library's message) when there is no estimate. */
SEXP rg_rate(SEXP n, SEXP value, SEXP bootstrap, SEXP seed, SEXP trim)
{
    gmoe_error err;
    gmoe_rate_result r;
    gmoe_rate_params p = gmoe_rate_default_parameters();
    if (TYPEOF(n) != REALSXP || TYPEOF(value) != REALSXP || XLENGTH(n) != XLENGTH(value))
        Rf_error("gmoe_rate: n and value must be numeric vectors of one length");
    if (bootstrap != R_NilValue) p.bootstrap = (size_t)Rf_asReal(bootstrap);
    p.seed = (unsigned long)Rf_asReal(seed);
    p.trim = (size_t)Rf_asReal(trim);
    if (gmoe_rate_estimate(REAL(n), REAL(value), (size_t)XLENGTH(n), &p, &r, &err)) {
        if (err.code == GMOE_ENOMEM) rg_fail("gmoe_rate", &err);
        return Rf_mkString(err.msg);
    }
    static const char *const nm[] = {
        "slope",   "ci_low",  "ci_high",   "slope_median", "n_min",      "n_max",       "points",
        "rows",    "skipped", "intercept", "se",           "ci_ols_low", "ci_ols_high", "trim_user",
        "trim_25", "trim_50", "boot_used", "bootstrap",    "level"};
    SEXP out = PROTECT(Rf_allocVector(REALSXP, 19));
    double *v = REAL(out), trims[3] = {NA_REAL, NA_REAL, NA_REAL};
    /* trimmed[]: the user's trim first (if any), then 25 % and 50 % */
    for (size_t t = 0; t < r.ntrimmed; t++)
        trims[3 - r.ntrimmed + t] = fin(r.trimmed[t].slope);
    double all[] = {fin(r.slope),
                    fin(r.ci[0]),
                    fin(r.ci[1]),
                    fin(r.slope_median),
                    fin(r.n_min),
                    fin(r.n_max),
                    (double)r.points,
                    (double)r.rows,
                    (double)r.skipped,
                    fin(r.intercept),
                    fin(r.se),
                    fin(r.ci_ols[0]),
                    fin(r.ci_ols[1]),
                    trims[0],
                    trims[1],
                    trims[2],
                    (double)r.boot_used,
                    (double)p.bootstrap,
                    p.level};
    memcpy(v, all, sizeof all);
    gmoe_rate_result_free(&r);
    named(out, nm, 19);
    UNPROTECT(1);
    return out;
}

SEXP rg_version(void)
{
    return Rf_mkString(gmoe_version());
}
