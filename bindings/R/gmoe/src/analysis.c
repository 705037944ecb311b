/* Log-likelihood, predictions, simulation and evaluation from R. */
#include <math.h>
#include <string.h>
#include "rgmoe.h"

/* Read model and data, or fail (freeing what was made) with context. */
static void model_data(const char *context, SEXP list, SEXP x, SEXP y, gmoe_model **m,
                       gmoe_data **data)
{
    gmoe_error err;
    *data = NULL;
    if (!(*m = rg_model_from_list(list, &err))) rg_fail(context, &err);
    if (!(*data = rg_data(x, y, 0, &err))) {
        gmoe_model_free(*m);
        rg_fail(context, &err);
    }
    if ((*data)->d != gmoe_model_d(*m)) {
        gmoe_error_set(&err, GMOE_EDIM, "the data have %zu covariates, the model d = %zu",
                       (*data)->d, gmoe_model_d(*m));
        gmoe_model_free(*m);
        gmoe_data_free(*data);
        rg_fail(context, &err);
    }
}

SEXP rg_loglik(SEXP list, SEXP x, SEXP y)
{
    gmoe_model *m;
    gmoe_data *data;
    gmoe_error err;
    double ll;
    model_data("gmoe_loglik", list, x, y, &m, &data);
    int rc = gmoe_model_loglik(m, data, &ll, &err);
    gmoe_model_free(m);
    gmoe_data_free(data);
    if (rc) rg_fail("gmoe_loglik", &err);
    return Rf_ScalarReal(ll);
}

/* list(gate = n x k, mean = n, posterior = n x k, logdens = n); the last two only with y. */
SEXP rg_predict(SEXP list, SEXP x, SEXP y)
{
    gmoe_model *m;
    gmoe_data *data;
    gmoe_error err;
    model_data("predict", list, x, y, &m, &data);
    size_t n = data->n, k = gmoe_model_k(m);
    int with_y = y != R_NilValue, nel = with_y ? 4 : 2;
    /* libgmoe writes row-major n x k (gate[i*k + j]); R matrices are column-major. */
    double *g = (double *)R_alloc(2 * n * k, sizeof(double)), *p = g + n * k;
    SEXP out = PROTECT(Rf_allocVector(VECSXP, nel)), names = PROTECT(Rf_allocVector(STRSXP, nel));
    SEXP gate = PROTECT(Rf_allocMatrix(REALSXP, (int)n, (int)k));
    SEXP mean = PROTECT(Rf_allocVector(REALSXP, n));
    SEXP post = PROTECT(with_y ? Rf_allocMatrix(REALSXP, (int)n, (int)k) : R_NilValue);
    SEXP logd = PROTECT(with_y ? Rf_allocVector(REALSXP, n) : R_NilValue);
    int rc = gmoe_model_predict(m, data, g, with_y ? p : NULL, REAL(mean),
                                with_y ? REAL(logd) : NULL, &err);
    gmoe_model_free(m);
    gmoe_data_free(data);
    if (rc) rg_fail("predict", &err);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            REAL(gate)[j * n + i] = g[i * k + j];
            if (with_y) REAL(post)[j * n + i] = p[i * k + j];
        }
    SET_VECTOR_ELT(out, 0, gate);
    SET_VECTOR_ELT(out, 1, mean);
    SET_STRING_ELT(names, 0, Rf_mkChar("gate"));
    SET_STRING_ELT(names, 1, Rf_mkChar("mean"));
    if (with_y) {
        SET_VECTOR_ELT(out, 2, post);
        SET_VECTOR_ELT(out, 3, logd);
        SET_STRING_ELT(names, 2, Rf_mkChar("posterior"));
        SET_STRING_ELT(names, 3, Rf_mkChar("logdens"));
    }
    Rf_setAttrib(out, R_NamesSymbol, names);
    UNPROTECT(6);
    return out;
}

/* The design of x: kind name and its two parameters (lo, hi or mean, sd), checked by libgmoe
 * for the model m. */
static int get_design(SEXP kind, SEXP p1, SEXP p2, const gmoe_model *m, gmoe_design *des,
                      gmoe_error *err)
{
    *des = gmoe_design_default();
    const char *s = rg_str(kind);
    if (!s || gmoe_design_parse(s, &des->kind))
        return gmoe_error_set(err, GMOE_EINVAL, "design must be uniform, grid, normal or gate");
    des->p1 = Rf_asReal(p1);
    des->p2 = Rf_asReal(p2);
    des->model = m;
    return gmoe_design_validate(des, gmoe_model_d(m), err);
}

/* list(x = n x d matrix, y = n) drawn as `gmoe simulate` draws them. */
SEXP rg_simulate(SEXP list, SEXP n, SEXP seed, SEXP kind, SEXP p1, SEXP p2)
{
    gmoe_error err;
    gmoe_design des;
    gmoe_data *data = NULL;
    gmoe_model *m = rg_model_from_list(list, &err);
    if (!m) rg_fail("gmoe_simulate", &err);
    int rc = get_design(kind, p1, p2, m, &des, &err);
    if (!rc)
        rc = gmoe_sim_data(m, &des, (size_t)Rf_asReal(n), (unsigned long)Rf_asReal(seed), &data,
                           &err);
    gmoe_model_free(m);
    if (rc) rg_fail("gmoe_simulate", &err);
    size_t nn = data->n, d = data->d;
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 2)), names = PROTECT(Rf_allocVector(STRSXP, 2));
    SEXP x = PROTECT(Rf_allocMatrix(REALSXP, (int)nn, (int)d)), y = PROTECT(Rf_allocVector(REALSXP, nn));
    memcpy(REAL(x), data->x, nn * d * sizeof(double));
    memcpy(REAL(y), data->y, nn * sizeof(double));
    gmoe_data_free(data);
    SET_VECTOR_ELT(out, 0, x);
    SET_VECTOR_ELT(out, 1, y);
    SET_STRING_ELT(names, 0, Rf_mkChar("x"));
    SET_STRING_ELT(names, 1, Rf_mkChar("y"));
    Rf_setAttrib(out, R_NamesSymbol, names);
    UNPROTECT(4);
    return out;
}

static SEXP reals(const double *v, size_t n)
{
    SEXP out = Rf_allocVector(REALSXP, n);
    for (size_t i = 0; i < n; i++)
        REAL(out)[i] = isfinite(v[i]) ? v[i] : NA_REAL;
    return out;
}

/* The cells as a list of integer vectors of 1-based fitted experts (R's indexing). */
static SEXP cells(const gmoe_eval_result *r, const size_t *cell)
{
    SEXP out = PROTECT(Rf_allocVector(VECSXP, r->kstar));
    for (size_t l = 0; l < r->kstar; l++) {
        size_t count = 0;
        for (size_t j = 0; j < r->k; j++)
            count += cell[j] == l;
        SEXP c = Rf_allocVector(INTSXP, count);
        SET_VECTOR_ELT(out, l, c);
        for (size_t j = 0, i = 0; j < r->k; j++)
            if (cell[j] == l) INTEGER(c)[i++] = (int)j + 1;
    }
    UNPROTECT(1);
    return out;
}

static SEXP eval_list(const gmoe_eval_result *r, gmoe_gate gate)
{
    const char *nm[] = {"loss", "loss_name", "loss_pinned", "t0", "t1", "rbar_extrapolated",
                        "hellinger", "hellinger_err", "tv", "tv_err", "distances_method",
                        "distances_converged", "cells", "cells_pinned", "cell_mass",
                        "cell_mass_true", "err_beta0", "err_beta1", "err_a", "err_b", "err_v",
                        "err_tau", "err_gamma"};
    int nel = gate == GMOE_GATE_GAUSSIAN ? 23 : 22, i = 0;
    SEXP out = PROTECT(Rf_allocVector(VECSXP, nel)), names = PROTECT(Rf_allocVector(STRSXP, nel));
    SET_VECTOR_ELT(out, i++, reals(&r->loss, 1));
    SET_VECTOR_ELT(out, i++, Rf_mkString(gmoe_loss_name(r->kind)));
    SET_VECTOR_ELT(out, i++, reals(&r->loss_pinned, 1));
    SET_VECTOR_ELT(out, i++, reals(&r->t0, 1));
    SET_VECTOR_ELT(out, i++, reals(r->t1, r->d));
    SET_VECTOR_ELT(out, i++, Rf_ScalarLogical(r->rbar_extrapolated));
    SET_VECTOR_ELT(out, i++, reals(&r->hellinger, 1));
    SET_VECTOR_ELT(out, i++, reals(&r->hellinger_err, 1));
    SET_VECTOR_ELT(out, i++, reals(&r->tv, 1));
    SET_VECTOR_ELT(out, i++, reals(&r->tv_err, 1));
    SET_VECTOR_ELT(out, i++, Rf_mkString(r->outer == GMOE_OUTER_MONTECARLO ? "monte-carlo"
                                                                           : "quadrature"));
    SET_VECTOR_ELT(out, i++, Rf_ScalarLogical(r->distances_converged));
    SET_VECTOR_ELT(out, i++, cells(r, r->cell));
    SET_VECTOR_ELT(out, i++, cells(r, r->cell_pinned));
    SET_VECTOR_ELT(out, i++, reals(r->mass, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(r->mass_true, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(r->err_beta0, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(r->err_beta1, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(r->err_a, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(r->err_b, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(r->err_v, r->kstar));
    SET_VECTOR_ELT(out, i++, reals(&r->err_tau, 1));
    if (gate == GMOE_GATE_GAUSSIAN) SET_VECTOR_ELT(out, i++, reals(r->err_gamma, r->kstar));
    for (int j = 0; j < nel; j++)
        SET_STRING_ELT(names, j, Rf_mkChar(nm[j]));
    Rf_setAttrib(out, R_NamesSymbol, names);
    UNPROTECT(2);
    return out;
}

/* rg_eval(fit, truth, kind, p1, p2, loss, pinned, samples, seed): gmoe_eval_run as `gmoe
 * eval` runs it. */
SEXP rg_eval(SEXP fit, SEXP truth, SEXP kind, SEXP p1, SEXP p2, SEXP loss, SEXP pinned,
             SEXP samples, SEXP seed)
{
    gmoe_error err;
    gmoe_model *f = NULL, *t = NULL;
    gmoe_eval_result *res = NULL;
    gmoe_eval_params par = gmoe_eval_default_params();
    int rc = 0;
    const char *l = rg_str(loss);
    if (!(t = rg_model_from_list(truth, &err)) || !(f = rg_model_from_list(fit, &err)))
        rc = err.code;
    else if (gmoe_model_d(f) != gmoe_model_d(t))
        rc = gmoe_error_set(&err, GMOE_EDIM, "the fit has d = %zu, but the truth has d = %zu",
                            gmoe_model_d(f), gmoe_model_d(t));
    else if (gmoe_model_gate(f) != gmoe_model_gate(t))
        rc = gmoe_error_set(&err, GMOE_EINVAL,
                            "the fit has a %s gate, but the truth a %s gate (the loss compares "
                            "models of one family)",
                            gmoe_gate_name(gmoe_model_gate(f)), gmoe_gate_name(gmoe_model_gate(t)));
    else if (!l || gmoe_loss_parse(l, &par.loss))
        rc = gmoe_error_set(&err, GMOE_EINVAL, "loss must be auto, d1 or d2");
    if (!rc) rc = get_design(kind, p1, p2, t, &par.design, &err);
    if (!rc) {
        par.design.model = NULL; /* the truth's own gate, as `gmoe eval` */
        par.mc_samples = (size_t)Rf_asReal(samples);
        par.mc_seed = (unsigned long)Rf_asReal(seed);
        if (Rf_asLogical(pinned) == TRUE) {
            gmoe_model_canonicalize(t);
            gmoe_model_canonicalize(f);
            par.translate = 0;
        }
        res = gmoe_eval_result_alloc(gmoe_model_k(t), gmoe_model_k(f), gmoe_model_d(t));
        rc = res ? gmoe_eval_run(NULL, t, f, &par, res, &err)
                 : gmoe_error_set(&err, GMOE_ENOMEM, "out of memory");
    }
    gmoe_gate gate = t ? gmoe_model_gate(t) : GMOE_GATE_SOFTMAX;
    gmoe_model_free(f);
    gmoe_model_free(t);
    if (rc) {
        gmoe_eval_result_free(res);
        rg_fail("gmoe_eval", &err);
    }
    SEXP out = PROTECT(eval_list(res, gate));
    gmoe_eval_result_free(res);
    UNPROTECT(1);
    return out;
}
