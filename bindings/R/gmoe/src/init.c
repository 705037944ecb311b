/* Registration of the .Call entry points. */
#include <R_ext/Rdynload.h>
#include "rgmoe.h"

SEXP rg_model_check(SEXP list);
SEXP rg_read(SEXP path);
SEXP rg_write(SEXP list, SEXP fit, SEXP path, SEXP selist);
SEXP rg_fit(SEXP x, SEXP y, SEXP k, SEXP gate, SEXP opts);
SEXP rg_loglik(SEXP list, SEXP x, SEXP y);
SEXP rg_predict(SEXP list, SEXP x, SEXP y);
SEXP rg_simulate(SEXP list, SEXP n, SEXP seed, SEXP kind, SEXP p1, SEXP p2);
SEXP rg_eval(SEXP fit, SEXP truth, SEXP kind, SEXP p1, SEXP p2, SEXP loss, SEXP pinned,
             SEXP samples, SEXP seed);
SEXP rg_sweep(SEXP config, SEXP threads, SEXP output);
SEXP rg_results(SEXP path);
SEXP rg_rate(SEXP n, SEXP value, SEXP bootstrap, SEXP seed, SEXP trim);
SEXP rg_version(void);
SEXP rg_spread(SEXP list, SEXP x, SEXP sd, SEXP probs, SEXP selist);
SEXP rg_dendrogram(SEXP list, SEXP x, SEXP y, SEXP mass, SEXP form, SEXP omega);
SEXP rg_select(SEXP x, SEXP y, SEXP k, SEXP gate, SEXP opts, SEXP kmin, SEXP mass, SEXP form,
               SEXP omega);

static const R_CallMethodDef calls[] = {{"rg_model_check", (DL_FUNC)&rg_model_check, 1},
                                        {"rg_read", (DL_FUNC)&rg_read, 1},
                                        {"rg_write", (DL_FUNC)&rg_write, 4},
                                        {"rg_fit", (DL_FUNC)&rg_fit, 5},
                                        {"rg_loglik", (DL_FUNC)&rg_loglik, 3},
                                        {"rg_predict", (DL_FUNC)&rg_predict, 3},
                                        {"rg_simulate", (DL_FUNC)&rg_simulate, 6},
                                        {"rg_eval", (DL_FUNC)&rg_eval, 9},
                                        {"rg_sweep", (DL_FUNC)&rg_sweep, 3},
                                        {"rg_results", (DL_FUNC)&rg_results, 1},
                                        {"rg_rate", (DL_FUNC)&rg_rate, 5},
                                        {"rg_version", (DL_FUNC)&rg_version, 0},
                                        {"rg_dendrogram", (DL_FUNC)&rg_dendrogram, 6},
                                        {"rg_select", (DL_FUNC)&rg_select, 9},
                                        {"rg_spread", (DL_FUNC)&rg_spread, 5},
                                        {NULL, NULL, 0}};

void R_init_gmoe(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, calls, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
