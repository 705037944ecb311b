/* Fitting from R: gmoe_fit with the options of `gmoe fit` (checked in R first). */
#include <string.h>
#include "rgmoe.h"

static double num_opt(SEXP opts, const char *name, double dflt)
{
    SEXP v = rg_elt(opts, name);
    if (TYPEOF(v) == REALSXP && XLENGTH(v) == 1) return REAL(v)[0];
    if (TYPEOF(v) == INTSXP && XLENGTH(v) == 1 && INTEGER(v)[0] != NA_INTEGER) return INTEGER(v)[0];
    if (TYPEOF(v) == LGLSXP && XLENGTH(v) == 1 && LOGICAL(v)[0] != NA_LOGICAL) return LOGICAL(v)[0];
    return dflt;
}

/* The fit's parameters from opts (a named list): par holds the defaults (gmoe_fit's or
 * gmoe_select's), which absent names keep. Names are parsed by libgmoe; a bad one is an
 * error naming the option. */
int rg_fit_params(SEXP opts, gmoe_fit_params *par, gmoe_error *err)
{
    gmoe_em_params *em = &par->em;
    par->starts = (size_t)num_opt(opts, "starts", (double)par->starts);
    par->seed = (unsigned long)num_opt(opts, "seed", (double)par->seed);
    par->threads = (int)num_opt(opts, "threads", 0);
    em->tol = num_opt(opts, "tol", em->tol);
    em->max_iter = (size_t)num_opt(opts, "max_iter", (double)em->max_iter);
    em->var_floor = num_opt(opts, "var_floor", em->var_floor);
    em->accel = num_opt(opts, "accel", 1) != 0;
    em->fix_tau = num_opt(opts, "fix_tau", 0) != 0;
    em->gate_bound = num_opt(opts, "gate_bound", em->gate_bound);
    par->prefer_interior = num_opt(opts, "prefer_interior", 0) != 0;
    const char *s = rg_str(rg_elt(opts, "init"));
    if (s && gmoe_init_parse(s, &par->init))
        return gmoe_error_set(err, GMOE_EINVAL, "init must be data, random or near-true");
    s = rg_str(rg_elt(opts, "accel_method"));
    if (s && gmoe_accel_parse(s, &em->accel_method))
        return gmoe_error_set(err, GMOE_EINVAL, "accel must be squarem, qn or none");
    s = rg_str(rg_elt(opts, "stop"));
    if (s && gmoe_stop_rule_parse(s, &em->stop))
        return gmoe_error_set(err, GMOE_EINVAL, "stop must be per-obs or relative");
    return GMOE_SUCCESS;
}

/* The template: k experts, d covariates, the gate family and its parameters from opts. */
gmoe_model *rg_fit_template(size_t k, size_t d, SEXP gate, SEXP opts, gmoe_error *err)
{
    gmoe_gate g;
    gmoe_topk_select sel = GMOE_TOPK_SLOPE;
    gmoe_act act = GMOE_ACT_TANH;
    const char *s = rg_str(gate);
    if (!s || gmoe_gate_parse(s, &g)) {
        gmoe_error_set(err, GMOE_EINVAL, "unknown gate \"%s\"", s ? s : "?");
        return NULL;
    }
    if ((s = rg_str(rg_elt(opts, "topk_select"))) && gmoe_topk_select_parse(s, &sel)) {
        gmoe_error_set(err, GMOE_EINVAL, "topk_select must be slope or score");
        return NULL;
    }
    if ((s = rg_str(rg_elt(opts, "activation"))) && gmoe_act_parse(s, &act)) {
        gmoe_error_set(err, GMOE_EINVAL, "activation must be tanh or sigmoid");
        return NULL;
    }
    gmoe_model *m = gmoe_model_alloc(k, d, g);
    if (!m) {
        gmoe_error_set(err, GMOE_EINVAL, "cannot make a model of k = %zu, d = %zu", k, d);
        return NULL;
    }
    gmoe_model_set_topk(m, (size_t)num_opt(opts, "topk", (double)k), sel);
    gmoe_model_set_tau(m, num_opt(opts, "tau", 1.0));
    gmoe_model_set_act(m, act);
    return m;
}

/* rg_fit(x, y, k, gate, opts) -> list(model, se (with opts$se), fit, best_start, failed,
 * maps). */
SEXP rg_fit(SEXP x, SEXP y, SEXP k, SEXP gate, SEXP opts)
{
    gmoe_error err;
    gmoe_fit_params par;
    gmoe_model *templ = NULL, *truth = NULL, *best = NULL;
    gmoe_fit_result res;
    gmoe_data *data = NULL;
    gmoe_se *se = NULL;
    par = gmoe_fit_default_params();
    int rc = rg_fit_params(opts, &par, &err);
    if (!rc && !(data = rg_data(x, y, GMOE_FIT_MAX_ABS, &err))) rc = err.code;
    if (!rc && rg_elt(opts, "truth") != R_NilValue) {
        if (!(truth = rg_model_from_list(rg_elt(opts, "truth"), &err))) rc = err.code;
        par.truth = truth;
    }
    if (!rc && !(templ = rg_fit_template((size_t)Rf_asReal(k), data->d, gate, opts, &err)))
        rc = err.code;
    if (!rc) rc = gmoe_fit(data, templ, &par, &best, &res, &err);
    gmoe_fit_record rec;
    if (!rc) gmoe_fit_record_set(&rec, best, &res, &par, data->n);
    if (!rc) rc = rg_se_fit(opts, best, data, &par, &res, &se, &rec, &err);
    gmoe_model_free(templ);
    gmoe_model_free(truth);
    gmoe_data_free(data);
    if (rc) {
        gmoe_se_free(se);
        gmoe_model_free(best);
        rg_fail("gmoe_fit", &err);
    }
    rg_list l;
    rg_list_init(&l, 6);
    rg_list_add(&l, "model", rg_model_to_list(best));
    if (se) rg_list_add(&l, "se", rg_se_to_list(se, best));
    gmoe_se_free(se);
    gmoe_model_free(best);
    rg_list_add(&l, "fit", rg_record_to_list(&rec));
    rg_list_add(&l, "best_start", Rf_ScalarReal((double)res.best_start + 1));
    rg_list_add(&l, "failed", Rf_ScalarReal((double)res.failed));
    rg_list_add(&l, "maps", Rf_ScalarReal((double)res.info.maps));
    return rg_list_done(&l);
}
