/* The dendrogram of mixing measures and the choice of k from R (libgmoe's gmoe_dendrogram
 * and gmoe_select). */
#include <math.h>
#include "rgmoe.h"

static double fin(double v)
{
    return isfinite(v) ? v : NA_REAL;
}

/* The dendrogram parameters: mass and DSC form by name, omega (NULL: log n). */
static void dendrogram_params(SEXP mass, SEXP form, SEXP omega, gmoe_dendrogram_params *par)
{
    *par = gmoe_dendrogram_default_params();
    const char *ms = rg_str(mass), *fs = rg_str(form);
    if (!ms || gmoe_dendrogram_mass_parse(ms, &par->mass))
        Rf_error("mass must be gate or intercept");
    if (!fs || gmoe_dsc_form_parse(fs, &par->form)) Rf_error("dsc must be plain or rescaled");
    if (omega != R_NilValue) par->omega = Rf_asReal(omega);
}

/* Add count numeric columns of rows values each to cols, named name[], their data into v[]. */
static void add_columns(rg_list *cols, const char *const *name, int count, size_t rows, double **v)
{
    for (int c = 0; c < count; c++) {
        SEXP col = Rf_allocVector(REALSXP, rows);
        rg_list_add(cols, name[c], col);
        v[c] = REAL(col);
    }
}

/* The levels K down to 1 as columns k, loglik, height, dsc, dsc_plain, dsc_rescaled,
 * merged_i, merged_j (1-based), added to l with the list of the levels' models. */
static void add_levels(rg_list *l, const gmoe_dendrogram *dg)
{
    size_t K = gmoe_dendrogram_k(dg);
    SEXP models = Rf_allocVector(VECSXP, K);
    rg_list_add(l, "models", models);
    rg_list cols;
    rg_list_init(&cols, 8);
    const char *name[] = {"k",         "loglik",       "height",   "dsc",
                          "dsc_plain", "dsc_rescaled", "merged_i", "merged_j"};
    double *v[8];
    add_columns(&cols, name, 8, K, v);
    for (size_t r = 0; r < K; r++) {
        size_t kappa = K - r, i = 0, j = 0;
        int merged = kappa > 1 && gmoe_dendrogram_merged(dg, kappa, &i, &j) == GMOE_SUCCESS;
        v[0][r] = (double)kappa;
        v[1][r] = fin(gmoe_dendrogram_loglik(dg, kappa));
        v[2][r] = fin(gmoe_dendrogram_height(dg, kappa));
        v[3][r] = fin(gmoe_dendrogram_dsc(dg, kappa));
        v[4][r] = fin(gmoe_dendrogram_dsc_form(dg, kappa, GMOE_DSC_PLAIN));
        v[5][r] = fin(gmoe_dendrogram_dsc_form(dg, kappa, GMOE_DSC_RESCALED));
        v[6][r] = merged ? (double)i + 1 : NA_REAL;
        v[7][r] = merged ? (double)j + 1 : NA_REAL;
        SET_VECTOR_ELT(models, r, rg_model_to_list(gmoe_dendrogram_model(dg, kappa)));
    }
    rg_list_add(l, "levels", rg_list_done(&cols));
}

/* rg_dendrogram(model, x, y, mass, form, omega) -> list(chosen, omega, models, levels). */
SEXP rg_dendrogram(SEXP list, SEXP x, SEXP y, SEXP mass, SEXP form, SEXP omega)
{
    gmoe_error err;
    gmoe_dendrogram_params par;
    dendrogram_params(mass, form, omega, &par);
    gmoe_model *m = rg_model_from_list(list, &err);
    if (!m) rg_fail("gmoe_dendrogram", &err);
    gmoe_data *data = rg_data(x, y, 0, &err);
    gmoe_dendrogram *dg = NULL;
    int rc = data ? gmoe_dendrogram_build(m, data, &par, &dg, &err) : err.code;
    gmoe_model_free(m);
    gmoe_data_free(data);
    if (rc) rg_fail("gmoe_dendrogram", &err);
    rg_list l;
    rg_list_init(&l, 4);
    rg_list_add(&l, "chosen", Rf_ScalarReal((double)gmoe_dendrogram_choose(dg)));
    rg_list_add(&l, "omega", Rf_ScalarReal(gmoe_dendrogram_omega(dg)));
    add_levels(&l, dg);
    gmoe_dendrogram_free(dg);
    return rg_list_done(&l);
}

/* rg_select(x, y, k, gate, opts, kmin, mass, form, omega) -> list(chosen (named: dsc, aic,
 * bic, icl), omega, fits (columns k, loglik, aic, bic, icl, nparams, entropy, iterations,
 * seconds; status), fit_models, models, levels) as `gmoe select` computes them. */
SEXP rg_select(SEXP x, SEXP y, SEXP k, SEXP gate, SEXP opts, SEXP kmin, SEXP mass, SEXP form,
               SEXP omega)
{
    gmoe_error err;
    gmoe_select_params par = gmoe_select_default_params();
    dendrogram_params(mass, form, omega, &par.dendrogram);
    par.kmin = (size_t)Rf_asReal(kmin);
    gmoe_model *templ = NULL, *truth = NULL;
    gmoe_data *data = NULL;
    gmoe_select *s = NULL;
    int rc = rg_fit_params(opts, &par.fit, &err);
    if (!rc && !(data = rg_data(x, y, GMOE_FIT_MAX_ABS, &err))) rc = err.code;
    if (!rc && rg_elt(opts, "truth") != R_NilValue) {
        if (!(truth = rg_model_from_list(rg_elt(opts, "truth"), &err))) rc = err.code;
        par.fit.truth = truth;
    }
    if (!rc && !(templ = rg_fit_template((size_t)Rf_asReal(k), data->d, gate, opts, &err)))
        rc = err.code;
    if (!rc) rc = gmoe_select_run(data, templ, &par, &s, &err);
    gmoe_model_free(templ);
    gmoe_model_free(truth);
    gmoe_data_free(data);
    if (rc) rg_fail("gmoe_select", &err);
    size_t k0 = gmoe_select_kmin(s), K = gmoe_select_kmax(s), nk = K - k0 + 1;
    const gmoe_dendrogram *dg = gmoe_select_dendrogram(s);
    rg_list l, fits;
    rg_list_init(&l, 6);
    SEXP chosen = Rf_allocVector(REALSXP, GMOE_NCRIT);
    rg_list_add(&l, "chosen", chosen);
    SEXP cn = PROTECT(Rf_allocVector(STRSXP, GMOE_NCRIT));
    for (int c = 0; c < GMOE_NCRIT; c++) {
        REAL(chosen)[c] = (double)gmoe_select_chosen(s, (gmoe_criterion)c);
        SET_STRING_ELT(cn, c, Rf_mkChar(gmoe_criterion_name((gmoe_criterion)c)));
    }
    Rf_setAttrib(chosen, R_NamesSymbol, cn);
    UNPROTECT(1);
    rg_list_add(&l, "omega", Rf_ScalarReal(gmoe_dendrogram_omega(dg)));
    SEXP fmodels = Rf_allocVector(VECSXP, nk);
    rg_list_add(&l, "fit_models", fmodels);
    rg_list_init(&fits, 11);
    const char *name[] = {"k",       "loglik",  "aic",        "bic",     "icl",
                          "nparams", "entropy", "iterations", "seconds", "bound_active"};
    double *v[10];
    add_columns(&fits, name, 10, nk, v);
    SEXP status = Rf_allocVector(STRSXP, nk);
    rg_list_add(&fits, "status", status);
    for (size_t r = 0; r < nk; r++) {
        const gmoe_criteria *c = gmoe_select_criteria(s, k0 + r);
        const gmoe_fit_result *f = gmoe_select_result(s, k0 + r);
        double row[] = {(double)(k0 + r), c->loglik,
                        c->aic,           c->bic,
                        c->icl,           (double)c->nparams,
                        c->entropy,       (double)f->info.iterations,
                        f->seconds,       (double)f->info.bound_active};
        for (int j = 0; j < 10; j++)
            v[j][r] = fin(row[j]);
        SET_STRING_ELT(status, r, Rf_mkChar(gmoe_fit_status_name(f->info.status)));
        SET_VECTOR_ELT(fmodels, r, rg_model_to_list(gmoe_select_model(s, k0 + r)));
    }
    rg_list_add(&l, "fits", rg_list_done(&fits));
    add_levels(&l, dg);
    gmoe_select_free(s);
    return rg_list_done(&l);
}
