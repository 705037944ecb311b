/* Evaluation module: parameters, workspace and result storage, the convenience driver. The
 * losses are in voronoi.c, the density distances in distance.c. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "eval_internal.h"

const char *gmoe_loss_name(gmoe_loss_kind kind)
{
    switch (kind) {
    case GMOE_LOSS_AUTO:
        return "auto";
    case GMOE_LOSS_D1:
        return "D1";
    case GMOE_LOSS_D2:
        return "D2";
    }
    return "unknown";
}

int gmoe_loss_parse(const char *name, gmoe_loss_kind *kind)
{
    if (strcasecmp(name, "auto") == 0)
        *kind = GMOE_LOSS_AUTO;
    else if (strcasecmp(name, "d1") == 0)
        *kind = GMOE_LOSS_D1;
    else if (strcasecmp(name, "d2") == 0)
        *kind = GMOE_LOSS_D2;
    else
        return GMOE_EINVAL;
    return GMOE_SUCCESS;
}

gmoe_eval_params gmoe_eval_default_params(void)
{
    gmoe_eval_params p;
    memset(&p, 0, sizeof p);
    p.loss = GMOE_LOSS_AUTO;
    p.rbar[2] = 4;
    p.rbar[3] = 6;
    p.translate = 1;
    p.starts = 0;
    p.opt_tol = 1e-10;
    p.opt_max_iter = 2000;
    p.design = gmoe_design_default();
    p.outer = GMOE_OUTER_AUTO;
    p.inner_epsabs = 1e-14;
    p.inner_epsrel = 1e-10;
    p.outer_epsabs = 1e-10;
    p.outer_epsrel = 1e-7;
    p.quad_limit = 1000;
    p.mc_samples = 2000;
    p.mc_seed = 1;
    return p;
}

static int check_tol(double epsabs, double epsrel, const char *what, gmoe_error *err)
{
    if (!(epsabs >= 0) || !(epsrel >= 0) || !isfinite(epsabs) || !isfinite(epsrel) ||
        (epsabs == 0 && epsrel == 0))
        return gmoe_error_set(err, GMOE_EINVAL,
                              "%s tolerances must be >= 0 and not both 0 (got %g, %g)", what,
                              epsabs, epsrel);
    return GMOE_SUCCESS;
}

int gmoe_eval_params_validate(const gmoe_eval_params *par, size_t d, gmoe_error *err)
{
    if ((unsigned)par->loss > GMOE_LOSS_D2)
        return gmoe_error_set(err, GMOE_EINVAL, "unknown loss kind %d", (int)par->loss);
    for (size_t m = 2; m <= GMOE_EVAL_RBAR_MAX; m++)
        if (!(par->rbar[m] >= 0) || !isfinite(par->rbar[m]))
            return gmoe_error_set(err, GMOE_EINVAL, "rbar(%zu) must be >= 0 (got %g)", m,
                                  par->rbar[m]);
    if (!(par->opt_tol > 0) || !isfinite(par->opt_tol))
        return gmoe_error_set(err, GMOE_EINVAL, "opt_tol must be > 0 (got %g)", par->opt_tol);
    if (par->opt_max_iter < 1)
        return gmoe_error_set(err, GMOE_EINVAL, "opt_max_iter must be at least 1");
    int rc = check_tol(par->inner_epsabs, par->inner_epsrel, "inner", err);
    if (!rc) rc = check_tol(par->outer_epsabs, par->outer_epsrel, "outer", err);
    if (rc) return rc;
    if (par->quad_limit < 2)
        return gmoe_error_set(err, GMOE_EINVAL, "quad_limit must be at least 2");
    if (par->quad_limit > 1000000)
        return gmoe_error_set(err, GMOE_EINVAL, "quad_limit must be at most 1000000");
    if (par->mc_samples < 2)
        return gmoe_error_set(err, GMOE_EINVAL, "mc_samples must be at least 2");
    if ((unsigned)par->outer > GMOE_OUTER_MONTECARLO)
        return gmoe_error_set(err, GMOE_EINVAL, "unknown outer method %d", (int)par->outer);
    if (par->outer == GMOE_OUTER_QUADRATURE && d != 1)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "quadrature over x needs d = 1 (d = %zu: use Monte Carlo)", d);
    return gmoe_design_validate(&par->design, d, err);
}

gmoe_eval_result *gmoe_eval_result_alloc(size_t kstar, size_t k, size_t d)
{
    if (kstar == 0 || k == 0 || d == 0) return NULL;
    gmoe_eval_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->kstar = kstar;
    r->k = k;
    r->d = d;
    r->t1 = calloc(d, sizeof(double));
    r->cell = calloc(k, sizeof(size_t));
    r->cell_pinned = calloc(k, sizeof(size_t));
    r->cell_size = calloc(kstar, sizeof(size_t));
    /* One block for the k*-sized doubles: mass, mass_true and the six errors. */
    double *blk = malloc(8 * kstar * sizeof(double));
    r->atom_err = malloc(k * GMOE_ATOM_NPARTS * sizeof(double));
    if (!r->t1 || !r->cell || !r->cell_pinned || !r->cell_size || !blk || !r->atom_err) {
        free(blk);
        gmoe_eval_result_free(r);
        return NULL;
    }
    r->mass = blk;
    r->mass_true = blk + kstar;
    r->err_beta0 = blk + 2 * kstar;
    r->err_beta1 = blk + 3 * kstar;
    r->err_gamma = blk + 4 * kstar;
    r->err_a = blk + 5 * kstar;
    r->err_b = blk + 6 * kstar;
    r->err_v = blk + 7 * kstar;
    for (size_t i = 0; i < 8 * kstar; i++)
        blk[i] = NAN;
    for (size_t t = 0; t < d; t++)
        r->t1[t] = NAN;
    for (size_t i = 0; i < k * GMOE_ATOM_NPARTS; i++)
        r->atom_err[i] = NAN;
    r->kind = GMOE_LOSS_AUTO;
    r->loss = r->loss_pinned = r->t0 = r->err_tau = NAN;
    r->hellinger = r->hellinger_err = r->tv = r->tv_err = NAN;
    return r;
}

void gmoe_eval_result_free(gmoe_eval_result *res)
{
    if (!res) return;
    free(res->t1);
    free(res->cell);
    free(res->cell_pinned);
    free(res->cell_size);
    free(res->mass); /* the k*-sized block */
    free(res->atom_err);
    free(res);
}

size_t gmoe_eval_cell_members(const gmoe_eval_result *res, size_t l, size_t *out)
{
    size_t cnt = 0;
    for (size_t j = 0; j < res->k; j++)
        if (res->cell[j] == l) out[cnt++] = j;
    return cnt;
}

static int atoms_alloc(eval_atoms *A, size_t k, size_t d)
{
    A->k = k;
    A->d = d;
    A->lm = malloc(k * sizeof(double));
    A->s = malloc(k * d * sizeof(double));
    A->G = malloc(k * d * d * sizeof(double));
    A->a = malloc(k * d * sizeof(double));
    A->b = malloc(k * sizeof(double));
    A->v = malloc(k * sizeof(double));
    return A->lm && A->s && A->G && A->a && A->b && A->v;
}

static void atoms_free(eval_atoms *A)
{
    free(A->lm);
    free(A->s);
    free(A->G);
    free(A->a);
    free(A->b);
    free(A->v);
}

static int mix_alloc(eval_mix *M, size_t k)
{
    double *blk = malloc(5 * k * sizeof(double));
    if (!blk) return 0;
    M->coef = blk;
    M->mu = blk + k;
    M->sd = blk + 2 * k;
    M->ih = blk + 3 * k;
    M->w = blk + 4 * k;
    M->n = 0;
    return 1;
}

gmoe_eval *gmoe_eval_alloc(size_t kstar, size_t k, size_t d)
{
    if (kstar == 0 || k == 0 || d == 0 || kstar > 100000 || k > 100000 || d > 100000) return NULL;
    gmoe_eval *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->kstar = kstar;
    w->k = k;
    w->d = d;
    size_t nc = k * kstar + 2;
    int ok = atoms_alloc(&w->tru, kstar, d) && atoms_alloc(&w->fit, k, d);
    w->cell = malloc(k * sizeof(size_t));
    w->size = malloc(kstar * sizeof(size_t));
    w->part = malloc(k * EV_NPART * sizeof(double));
    w->term = malloc(k * sizeof(double));
    w->logM = malloc(kstar * sizeof(double));
    w->tvec = malloc(d * sizeof(double));
    w->cand = malloc(nc * d * sizeof(double));
    w->cval = malloc(nc * sizeof(double));
    w->order = malloc(nc * sizeof(size_t));
    w->nm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, d);
    w->nm_x = gsl_vector_alloc(d);
    w->nm_step = gsl_vector_alloc(d);
    w->pin_truth = gmoe_model_alloc(kstar, d, GMOE_GATE_SOFTMAX);
    w->pin_fit = gmoe_model_alloc(k, d, GMOE_GATE_SOFTMAX);
    ok = ok && mix_alloc(&w->mfit, k) && mix_alloc(&w->mtru, kstar);
    w->pts = malloc(EV_NPTS(k, kstar) * sizeof(double));
    w->x = malloc(d * sizeof(double));
    w->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!ok || !w->cell || !w->size || !w->part || !w->term || !w->logM || !w->tvec || !w->cand ||
        !w->cval || !w->order || !w->nm || !w->nm_x || !w->nm_step || !w->pin_truth ||
        !w->pin_fit || !w->pts || !w->x || !w->rng) {
        gmoe_eval_free(w);
        return NULL;
    }
    return w;
}

void gmoe_eval_free(gmoe_eval *w)
{
    if (!w) return;
    atoms_free(&w->tru);
    atoms_free(&w->fit);
    free(w->cell);
    free(w->size);
    free(w->part);
    free(w->term);
    free(w->logM);
    free(w->tvec);
    free(w->cand);
    free(w->cval);
    free(w->order);
    if (w->nm) gsl_multimin_fminimizer_free(w->nm);
    if (w->nm_x) gsl_vector_free(w->nm_x);
    if (w->nm_step) gsl_vector_free(w->nm_step);
    gmoe_model_free(w->pin_truth);
    gmoe_model_free(w->pin_fit);
    free(w->mfit.coef);
    free(w->mtru.coef);
    free(w->pts);
    free(w->x);
    free(w->outer.iv);
    free(w->inner.iv);
    if (w->rng) gsl_rng_free(w->rng);
    free(w);
}

int eval__check(const gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit, int same_family,
                gmoe_error *err)
{
    gmoe_error sub;
    if (gmoe_model_validate(truth, &sub))
        return gmoe_error_set(err, sub.code, "true model: %s", sub.msg);
    if (gmoe_model_validate(fit, &sub))
        return gmoe_error_set(err, sub.code, "fitted model: %s", sub.msg);
    if (truth->d != fit->d)
        return gmoe_error_set(err, GMOE_EDIM, "the true model has d = %zu, the fit d = %zu",
                              truth->d, fit->d);
    if (w && (w->kstar != truth->k || w->k != fit->k || w->d != fit->d))
        return gmoe_error_set(err, GMOE_EDIM,
                              "workspace sized for k* = %zu, k = %zu, d = %zu; models have "
                              "k* = %zu, k = %zu, d = %zu",
                              w->kstar, w->k, w->d, truth->k, fit->k, fit->d);
    if (same_family && truth->gate != fit->gate)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "the true model has a %s gate, the fit a %s gate: the loss "
                              "compares models of the same family",
                              gmoe_gate_name(truth->gate), gmoe_gate_name(fit->gate));
    if (same_family && truth->gate == GMOE_GATE_ACTIVATION && truth->act != fit->act)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "the true gate uses %s, the fit %s: the loss compares models "
                              "with the same activation",
                              gmoe_act_name(truth->act), gmoe_act_name(fit->act));
    return GMOE_SUCCESS;
}

gmoe_eval *eval__borrow(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit, int *owned,
                        gmoe_error *err)
{
    *owned = 0;
    if (w) return w;
    w = gmoe_eval_alloc(truth->k, fit->k, fit->d);
    if (!w) gmoe_error_set(err, GMOE_ENOMEM, "out of memory (evaluation workspace)");
    *owned = w != NULL;
    return w;
}

int gmoe_eval_run(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                  const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err)
{
    int owned;
    if (truth->d != fit->d)
        return gmoe_error_set(err, GMOE_EDIM, "the true model has d = %zu, the fit d = %zu",
                              truth->d, fit->d);
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    int rc = gmoe_eval_loss(ws, truth, fit, par, res, err);
    if (!rc) rc = gmoe_eval_distances(ws, truth, fit, par, res, err);
    if (owned) gmoe_eval_free(ws);
    return rc;
}
