/* Multi-start fitting: starts in parallel (OpenMP), best log-likelihood kept. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "em_internal.h"
#include "gmoe_fit.h"
#include "gmoe_sim.h"

gmoe_fit_params gmoe_fit_default_params(void)
{
    gmoe_fit_params p;
    p.em = gmoe_em_default_params();
    p.init = GMOE_INIT_DATA;
    p.starts = 10;
    p.seed = 1;
    p.truth = NULL;
    p.threads = 0;
    p.prefer_interior = 0;
    p.progress = NULL;
    p.progress_data = NULL;
    return p;
}

typedef struct start_out {
    gmoe_model *m;
    gmoe_em_info info;
    int rc;
    gmoe_error err;
} start_out;

/* Run start s with this thread's workspace. A partition start is written straight into the
 * workspace's responsibilities (w->r), which gmoe_em_init_resp then takes as they are: no
 * second n*k buffer to fault in and copy. */
static int run_start(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
                     size_t s, gmoe_em *w, gsl_rng *rng, gmoe_model *start, start_out *out,
                     gmoe_em_callback cb, void *cbdata)
{
    size_t n = data->n, k = templ->k;
    double *resp = w->r;
    gmoe_error *err = &out->err;
    gsl_rng_set(rng, gmoe_sim_seed(par->seed, s, 0));
    gmoe_model_copy(start, templ);
    int rc;
    if (par->init == GMOE_INIT_NEAR_TRUE) {
        rc = gmoe_start_near_true(par->truth, n, s, rng, start, err);
        if (par->em.fix_tau) start->tau = templ->tau; /* held: the configured value */
        if (!rc) rc = gmoe_em_init(w, data, start, &par->em, err);
    } else {
        /* Partition starts: the gate starts flat; tau and the activation come from templ. */
        memset(start->beta0, 0, k * sizeof(double));
        memset(start->beta1, 0, k * templ->d * sizeof(double));
        int kind = par->init == GMOE_INIT_RANDOM ? 1 : (int)(s % 3);
        if (kind == 0)
            rc = gmoe_start_kmeans(data, k, rng, resp);
        else if (kind == 1)
            rc = gmoe_start_partition(data, k, rng, resp);
        else
            rc = gmoe_start_soft(data, k, rng, resp);
        if (rc) rc = gmoe_error_set(err, rc, "out of memory");
        /* A hard partition that separates the data in x would send the first gate step to
         * infinity; a little weight on every expert keeps it finite. */
        if (!rc && kind == 0)
            for (size_t i = 0; i < n * k; i++)
                resp[i] = 0.9 * resp[i] + 0.1 / (double)k;
        if (!rc) rc = gmoe_em_init_resp(w, data, start, resp, &par->em, err);
    }
    if (!rc) rc = gmoe_em_driver(w, cb, cbdata, &out->info, err);
    if (!rc) gmoe_model_copy(out->m, gmoe_em_model(w));
    return rc;
}

static int fit_check(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
                     gmoe_error *err)
{
    if (!data->y) return gmoe_error_set(err, GMOE_EINVAL, "data have no response y");
    if (data->d != templ->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model %zu", data->d,
                              templ->d);
    if (templ->k > data->n)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "k = %zu experts exceed the number of observations n = %zu", templ->k,
                              data->n);
    if (par->starts == 0) return gmoe_error_set(err, GMOE_EINVAL, "starts must be at least 1");
    if (par->init == GMOE_INIT_NEAR_TRUE && !par->truth)
        return gmoe_error_set(err, GMOE_EINVAL, "near-true starts need the true model");
    int rc = em_bound_check(par->em.gate_bound, templ->gate, err);
    if (!rc) rc = gmoe_data_check(data, GMOE_FIT_MAX_ABS, err);
    return rc ? rc : gmoe_model_validate(templ, err);
}

/* Regular fits beat degenerate ones; then the higher log-likelihood; then the lower index. */
static int better(const start_out *a, const start_out *b)
{
    int ra = a->info.status != GMOE_FIT_DEGENERATE, rb = b->info.status != GMOE_FIT_DEGENERATE;
    if (ra != rb) return ra > rb;
    return a->info.objective > b->info.objective;
}

int gmoe_fit(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
             gmoe_model **best, gmoe_fit_result *res, gmoe_error *err)
{
    *best = NULL;
    int rc = fit_check(data, templ, par, err);
    if (rc) return rc;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t S = par->starts, n = data->n, k = templ->k;
    start_out *out = calloc(S, sizeof *out);
    if (!out) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    int nomem = 0;
    for (size_t s = 0; s < S; s++)
        if (!(out[s].m = gmoe_model_clone(templ))) nomem = 1;
    int threads = par->threads > 0 ? par->threads : 0;
    size_t finished = 0;
#pragma omp parallel if (S > 1 && !nomem) num_threads(threads > 0 ? threads : omp_get_max_threads())
    {
        gmoe_em *w = gmoe_em_alloc(n, templ->d, k, templ->gate);
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gmoe_model *start = gmoe_model_clone(templ);
        int ok = w && rng && start && !nomem;
#pragma omp for schedule(dynamic, 1)
        for (size_t s = 0; s < S; s++) {
            out[s].rc = ok ? run_start(data, templ, par, s, w, rng, start, out + s, NULL, NULL)
                           : gmoe_error_set(&out[s].err, GMOE_ENOMEM, "out of memory");
            if (par->progress) {
#pragma omp critical(gmoe_fit_progress)
                par->progress(++finished, S, par->progress_data);
            }
        }
        gmoe_em_free(w);
        gsl_rng_free(rng);
        gmoe_model_free(start);
    }
    /* ib: the best start; ii: the best of those that converged (interior). */
    size_t ib = S, ii = S, failed = 0;
    for (size_t s = 0; s < S; s++) {
        if (out[s].rc) {
            failed++;
            continue;
        }
        if (ib == S || better(out + s, out + ib)) ib = s;
        if (out[s].info.status == GMOE_FIT_CONVERGED &&
            (ii == S || out[s].info.objective > out[ii].info.objective))
            ii = s;
    }
    size_t top = ib;
    if (par->prefer_interior && ii < S) ib = ii;
    if (ib == S) {
        rc = gmoe_error_set(err, out[0].rc ? out[0].rc : GMOE_ENUMERIC, "every start failed: %s",
                            out[0].err.msg);
    } else {
        *best = out[ib].m;
        out[ib].m = NULL;
        gmoe_model_canonicalize(*best);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (res) {
            res->info = out[ib].info;
            res->best_start = ib;
            res->top_start = top;
            res->loglik_top = out[top].info.loglik;
            res->top_status = out[top].info.status;
            res->has_interior = ii < S;
            res->interior_start = ii < S ? ii : 0;
            res->loglik_interior = ii < S ? out[ii].info.loglik : NAN;
            res->starts = S;
            res->failed = failed;
            res->nparams = gmoe_em_nparams(*best, !par->em.fix_tau);
            res->aic = -2 * res->info.loglik + 2.0 * (double)res->nparams;
            res->bic = -2 * res->info.loglik + (double)res->nparams * log((double)n);
            res->seconds =
                (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        }
    }
    for (size_t s = 0; s < S; s++)
        gmoe_model_free(out[s].m);
    free(out);
    return rc;
}

int gmoe_fit_trace(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
                   size_t start, gmoe_em_callback cb, void *cbdata, gmoe_error *err)
{
    int rc = fit_check(data, templ, par, err);
    if (rc) return rc;
    size_t n = data->n, k = templ->k;
    gmoe_em *w = gmoe_em_alloc(n, templ->d, k, templ->gate);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gmoe_model *st = gmoe_model_clone(templ);
    start_out out;
    memset(&out, 0, sizeof out);
    out.m = gmoe_model_clone(templ);
    if (!w || !rng || !st || !out.m) rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    if (!rc) {
        rc = run_start(data, templ, par, start, w, rng, st, &out, cb, cbdata);
        if (rc) gmoe_error_set(err, rc, "%s", out.err.msg);
    }
    gmoe_em_free(w);
    gsl_rng_free(rng);
    gmoe_model_free(st);
    gmoe_model_free(out.m);
    return rc;
}
