/* Log-likelihood, predictions, simulation and evaluation from R. */
#include <math.h>
#include <string.h>
#include "rgmoe.h"

/* Read model and data, or fail (freeing what was made) with context (rgmoe.h). */
void rg_model_data(const char *context, SEXP list, SEXP x, SEXP y, gmoe_model **m, gmoe_data **data)
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
    rg_model_data("gmoe_loglik", list, x, y, &m, &data);
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
    rg_model_data("predict", list, x, y, &m, &data);
    size_t n = data->n, k = gmoe_model_k(m);
    int with_y = y != R_NilValue;
    /* libgmoe writes row-major n x k (gate[i*k + j]); R matrices are column-major. */
    double *g = (double *)R_alloc(2 * n * k, sizeof(double)), *p = g + n * k;
    rg_list l;
    rg_list_init(&l, 4);
    SEXP gate = Rf_allocMatrix(REALSXP, (int)n, (int)k);
    rg_list_add(&l, "gate", gate);
    SEXP mean = Rf_allocVector(REALSXP, n);
    rg_list_add(&l, "mean", mean);
    SEXP post = with_y ? Rf_allocMatrix(REALSXP, (int)n, (int)k) : R_NilValue;
    if (with_y) rg_list_add(&l, "posterior", post);
    SEXP logd = with_y ? Rf_allocVector(REALSXP, n) : R_NilValue;
    if (with_y) rg_list_add(&l, "logdens", logd);
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
    return rg_list_done(&l);
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
    rg_list l;
    rg_list_init(&l, 2);
    SEXP x = Rf_allocMatrix(REALSXP, (int)nn, (int)d);
    rg_list_add(&l, "x", x);
    SEXP yy = Rf_allocVector(REALSXP, nn);
    rg_list_add(&l, "y", yy);
    memcpy(REAL(x), data->x, nn * d * sizeof(double));
    memcpy(REAL(yy), data->y, nn * sizeof(double));
    gmoe_data_free(data);
    return rg_list_done(&l);
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
    rg_list l;
    rg_list_init(&l, 23);
    rg_list_add(&l, "loss", reals(&r->loss, 1));
    rg_list_add(&l, "loss_name", Rf_mkString(gmoe_loss_name(r->kind)));
    rg_list_add(&l, "loss_pinned", reals(&r->loss_pinned, 1));
    rg_list_add(&l, "t0", reals(&r->t0, 1));
    rg_list_add(&l, "t1", reals(r->t1, r->d));
    rg_list_add(&l, "rbar_extrapolated", Rf_ScalarLogical(r->rbar_extrapolated));
    rg_list_add(&l, "hellinger", reals(&r->hellinger, 1));
    rg_list_add(&l, "hellinger_err", reals(&r->hellinger_err, 1));
    rg_list_add(&l, "tv", reals(&r->tv, 1));
    rg_list_add(&l, "tv_err", reals(&r->tv_err, 1));
    rg_list_add(&l, "distances_method",
                Rf_mkString(r->outer == GMOE_OUTER_MONTECARLO ? "monte-carlo" : "quadrature"));
    rg_list_add(&l, "distances_converged", Rf_ScalarLogical(r->distances_converged));
    rg_list_add(&l, "cells", cells(r, r->cell));
    rg_list_add(&l, "cells_pinned", cells(r, r->cell_pinned));
    rg_list_add(&l, "cell_mass", reals(r->mass, r->kstar));
    rg_list_add(&l, "cell_mass_true", reals(r->mass_true, r->kstar));
    const char *name[] = {"err_beta0", "err_beta1", "err_gamma", "err_a", "err_b", "err_v"};
    const double *err[] = {r->err_beta0, r->err_beta1, r->err_gamma, r->err_a, r->err_b, r->err_v};
    for (int i = 0; i < 6; i++)
        if (i != 2 || gate == GMOE_GATE_GAUSSIAN) rg_list_add(&l, name[i], reals(err[i], r->kstar));
    rg_list_add(&l, "err_tau", reals(&r->err_tau, 1));
    return rg_list_done(&l);
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
