/* The fit record of a model file from a gmoe_fit result: one definition for the CLI and the
 * bindings, so that their model files say the same. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "gmoe_fit.h"

void gmoe_fit_record_set(gmoe_fit_record *rec, const gmoe_model *best, const gmoe_fit_result *res,
                         const gmoe_fit_params *par, size_t n)
{
    memset(rec, 0, sizeof *rec);
    rec->loglik = res->info.loglik;
    rec->n = n;
    rec->iterations = res->info.iterations;
    snprintf(rec->status, sizeof rec->status, "%s", gmoe_fit_status_name(res->info.status));
    /* The limit is what stopped a start that used all its iterations, whatever its status
     * (a degenerate start may end there too). */
    int limit = res->info.status == GMOE_FIT_MAX_ITER || res->info.iterations >= par->em.max_iter;
    snprintf(rec->stop, sizeof rec->stop, "%s",
             limit ? "max-iter" : gmoe_stop_rule_name(res->info.stop));
    rec->aic = res->aic;
    rec->bic = res->bic;
    rec->seconds = res->seconds;
    rec->nparams = res->nparams;
    rec->starts = res->starts;
    rec->seed = par->seed;
    if (isfinite(par->em.gate_bound)) {
        rec->gate_bound = par->em.gate_bound;
        rec->bound_active = res->info.bound_active;
    }
    rec->has_interior = 1;
    rec->loglik_interior = res->has_interior ? res->loglik_interior : NAN;
    if (res->best_start != res->top_start) {
        snprintf(rec->prefer, sizeof rec->prefer, "interior");
        rec->loglik_best = res->loglik_top;
    }
    if (gmoe_model_gate(best) == GMOE_GATE_GAUSSIAN) {
        snprintf(rec->objective, sizeof rec->objective, "joint");
        rec->loglik_joint = res->info.objective;
    }
}
