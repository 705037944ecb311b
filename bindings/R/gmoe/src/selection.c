/* The dendrogram of mixing measures from R (libgmoe's gmoe_dendrogram). */
#include <math.h>
#include "rgmoe.h"

static double fin(double v)
{
    return isfinite(v) ? v : NA_REAL;
}

/* rg_dendrogram(model, x, y, mass, omega) -> list(chosen, omega, levels = list of columns
 * k, loglik, height, dsc, merged_i, merged_j (1-based), models = list of model lists), levels
 * from K down to 1. */
SEXP rg_dendrogram(SEXP list, SEXP x, SEXP y, SEXP mass, SEXP omega)
{
    gmoe_error err;
    gmoe_dendrogram_params par = gmoe_dendrogram_default_params();
    const char *ms = rg_str(mass);
    if (!ms || gmoe_dendrogram_mass_parse(ms, &par.mass))
        Rf_error("gmoe_dendrogram: mass must be gate or intercept");
    if (omega != R_NilValue) par.omega = Rf_asReal(omega);
    gmoe_model *m = rg_model_from_list(list, &err);
    if (!m) rg_fail("gmoe_dendrogram", &err);
    gmoe_data *data = rg_data(x, y, 0, &err);
    gmoe_dendrogram *dg = NULL;
    int rc = data ? gmoe_dendrogram_build(m, data, &par, &dg, &err) : err.code;
    gmoe_model_free(m);
    gmoe_data_free(data);
    if (rc) rg_fail("gmoe_dendrogram", &err);
    size_t K = gmoe_dendrogram_k(dg);
    rg_list l, cols;
    rg_list_init(&l, 4);
    rg_list_add(&l, "chosen", Rf_ScalarReal((double)gmoe_dendrogram_choose(dg)));
    rg_list_add(&l, "omega", Rf_ScalarReal(gmoe_dendrogram_omega(dg)));
    SEXP models = Rf_allocVector(VECSXP, K);
    rg_list_add(&l, "models", models);
    rg_list_init(&cols, 6);
    const char *name[] = {"k", "loglik", "height", "dsc", "merged_i", "merged_j"};
    double *v[6];
    for (int c = 0; c < 6; c++) {
        SEXP col = Rf_allocVector(REALSXP, K);
        rg_list_add(&cols, name[c], col);
        v[c] = REAL(col);
    }
    for (size_t r = 0; r < K; r++) {
        size_t kappa = K - r, i = 0, j = 0;
        int merged = kappa > 1 && gmoe_dendrogram_merged(dg, kappa, &i, &j) == GMOE_SUCCESS;
        v[0][r] = (double)kappa;
        v[1][r] = fin(gmoe_dendrogram_loglik(dg, kappa));
        v[2][r] = fin(gmoe_dendrogram_height(dg, kappa));
        v[3][r] = fin(gmoe_dendrogram_dsc(dg, kappa));
        v[4][r] = merged ? (double)i + 1 : NA_REAL;
        v[5][r] = merged ? (double)j + 1 : NA_REAL;
        SET_VECTOR_ELT(models, r, rg_model_to_list(gmoe_dendrogram_model(dg, kappa)));
    }
    gmoe_dendrogram_free(dg);
    rg_list_add(&l, "levels", rg_list_done(&cols));
    return rg_list_done(&l);
}
