/* Voronoi cells and losses between a fitted and a true model, the infimum over the gate
 * translations, the pinned variant and the per-parameter errors (gmoe_eval.h). */
#include <config.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "eval_internal.h"

/* The translation freedom of a gate family. */
enum { FREE_NONE = 0, FREE_T0, FREE_T0T1 };

static int freedom(gmoe_gate gate)
{
    switch (gate) {
    case GMOE_GATE_SOFTMAX:
    case GMOE_GATE_TOPK:
    case GMOE_GATE_TEMPERATURE:
        return FREE_T0T1;
    case GMOE_GATE_ACTIVATION:
        return FREE_T0;
    default:
        return FREE_NONE;
    }
}

/* The slope unit of the translation t1: the fitted beta1 moves by t1, its slope atom by
 * t1 / tau for the temperature gate. */
static double slope_scale(const gmoe_model *fit)
{
    return fit->gate == GMOE_GATE_TEMPERATURE ? 1.0 / fit->tau : 1.0;
}

static void atoms_fill(eval_atoms *A, const gmoe_model *m)
{
    size_t k = m->k, d = m->d;
    A->gamma = m->gate == GMOE_GATE_GAUSSIAN;
    A->has_tau = m->gate == GMOE_GATE_TEMPERATURE || m->gate == GMOE_GATE_ACTIVATION;
    A->tau = m->tau;
    if (A->gamma) {
        double tot = 0;
        for (size_t j = 0; j < k; j++)
            tot += m->pi[j];
        for (size_t j = 0; j < k; j++)
            A->lm[j] = log(m->pi[j] / tot);
        memcpy(A->s, m->c, k * d * sizeof(double));
        memcpy(A->G, m->Gamma, k * d * d * sizeof(double));
    } else {
        double sc = m->gate == GMOE_GATE_TEMPERATURE ? 1.0 / m->tau : 1.0;
        memcpy(A->lm, m->beta0, k * sizeof(double));
        for (size_t i = 0; i < k * d; i++)
            A->s[i] = m->beta1[i] * sc;
    }
    memcpy(A->a, m->a, k * d * sizeof(double));
    memcpy(A->b, m->b, k * sizeof(double));
    memcpy(A->v, m->var, k * sizeof(double));
}

static double dist2(const double *x, const double *y, const double *shift, size_t n)
{
    double s = 0;
    for (size_t t = 0; t < n; t++) {
        double e = x[t] + (shift ? shift[t] : 0) - y[t];
        s += e * e;
    }
    return sqrt(s);
}

static double rbar_of(const double *rbar, size_t m, int *extrap)
{
    if (m <= GMOE_EVAL_RBAR_MAX && rbar[m] > 0) return rbar[m];
    *extrap = 1;
    return 2.0 * (double)m;
}

/* Cells of the fit translated by t1u (slope units; NULL: none), the parts of each fitted
 * expert's distance to its cell's atom, the cell sizes and each expert's loss term. */
static void cells_terms(gmoe_eval *w, const double *t1u, gmoe_loss_kind kind, const double *rbar)
{
    const eval_atoms *F = &w->fit, *T = &w->tru;
    size_t k = F->k, ks = T->k, d = F->d, dd = d * d;
    for (size_t j = 0; j < k; j++) {
        double best = INFINITY, bp[EV_NPART] = {0};
        size_t bl = 0;
        for (size_t l = 0; l < ks; l++) {
            double p[EV_NPART];
            p[EV_S] = dist2(F->s + j * d, T->s + l * d, t1u, d);
            p[EV_G] = F->gamma ? dist2(F->G + j * dd, T->G + l * dd, NULL, dd) : 0;
            p[EV_A] = dist2(F->a + j * d, T->a + l * d, NULL, d);
            p[EV_B] = fabs(F->b[j] - T->b[l]);
            p[EV_V] = fabs(F->v[j] - T->v[l]);
            double tot = p[EV_S] + p[EV_G] + p[EV_A] + p[EV_B] + p[EV_V];
            if (tot < best || l == 0) { /* strict: ties stay with the lower l */
                best = tot;
                bl = l;
                memcpy(bp, p, sizeof bp);
            }
        }
        w->cell[j] = bl;
        memcpy(w->part + j * EV_NPART, bp, sizeof bp);
    }
    for (size_t l = 0; l < ks; l++)
        w->size[l] = 0;
    for (size_t j = 0; j < k; j++)
        w->size[w->cell[j]]++;
    double dtau = F->has_tau ? fabs(F->tau - T->tau) : 0;
    w->extrap = 0;
    for (size_t j = 0; j < k; j++) {
        size_t m = w->size[w->cell[j]];
        double r = 1, rh = 1;
        if (kind == GMOE_LOSS_D2 && m >= 2) {
            r = rbar_of(rbar, m, &w->extrap);
            rh = r / 2;
        }
        const double *p = w->part + j * EV_NPART;
        double t = pow(p[EV_S], r) + pow(p[EV_A], rh) + pow(p[EV_B], r) + pow(p[EV_V], rh);
        if (F->gamma) t += pow(p[EV_G], rh);
        if (F->has_tau) t += pow(dtau, r);
        w->term[j] = t;
    }
    /* log of each cell's fitted mass (log-sum-exp; -inf for an empty cell) */
    for (size_t l = 0; l < ks; l++) {
        double mx = -INFINITY, s = 0;
        for (size_t j = 0; j < k; j++)
            if (w->cell[j] == l && F->lm[j] > mx) mx = F->lm[j];
        if (mx > -INFINITY)
            for (size_t j = 0; j < k; j++)
                if (w->cell[j] == l) s += exp(F->lm[j] - mx);
        w->logM[l] = mx > -INFINITY ? mx + log(s) : -INFINITY;
    }
}

/* The loss at t0 for the cells and terms of the last cells_terms. */
static double loss_value(const gmoe_eval *w, double t0)
{
    const eval_atoms *F = &w->fit, *T = &w->tru;
    double s = 0;
    for (size_t j = 0; j < F->k; j++)
        if (w->term[j] > 0) s += exp(F->lm[j] + t0) * w->term[j];
    for (size_t l = 0; l < T->k; l++) {
        double M = w->logM[l] > -INFINITY ? exp(w->logM[l] + t0) : 0;
        s += fabs(M - exp(T->lm[l]));
    }
    return s;
}

/* Minimise the loss over t0 for fixed cells. With u = exp(t0) the loss is
 * u A + sum_l |u M_l - m*_l|: convex and piecewise linear in u >= 0, so its minimum is at a
 * kink u = m*_l / M_l or in the limit u -> 0 (value sum_l m*_l, reported as t0 = -inf).
 * With limit = 0 only the kinks count (INFINITY when there is none). */
static double best_t0(const gmoe_eval *w, double *t0, int limit)
{
    const eval_atoms *T = &w->tru;
    double best = INFINITY, bt = -INFINITY;
    for (size_t l = 0; l < T->k; l++) {
        if (w->logM[l] == -INFINITY) continue;
        double t = T->lm[l] - w->logM[l];
        double v = loss_value(w, t);
        if (v < best) {
            best = v;
            bt = t;
        }
    }
    double lim = 0;
    for (size_t l = 0; l < T->k; l++)
        lim += exp(T->lm[l]);
    if (limit && lim < best) {
        best = lim;
        bt = -INFINITY;
    }
    *t0 = bt;
    return best;
}

typedef struct opt_ctx {
    gmoe_eval *w;
    gmoe_loss_kind kind;
    const double *rbar;
} opt_ctx;

/* The loss minimised over finite t0 at the slope translation t1u, for the search over t1u:
 * the limit t0 -> -inf is a constant (the total true mass) and, counted here, would make the
 * landscape flat wherever every finite translation costs more, so that the search could not
 * find the basin where one costs less (the caller compares the optimum with the limit).
 * Always finite for the optimiser (a non-finite value would make GSL's Nelder-Mead call the
 * error handler). */
static double objective(const opt_ctx *c, const double *t1u, double *t0)
{
    double tt;
    cells_terms(c->w, t1u, c->kind, c->rbar);
    double v = best_t0(c->w, &tt, 0);
    if (t0) *t0 = tt;
    return isfinite(v) ? v : DBL_MAX;
}

static double nm_f(const gsl_vector *x, void *p)
{
    return objective(p, x->data, NULL);
}

/* One Nelder-Mead run from x0 with simplex step `step`; the best point into xbest/fbest if
 * it improves on *fbest. */
static void nm_run(const opt_ctx *c, const double *x0, double step, double tol, size_t maxit,
                   double *xbest, double *fbest)
{
    gmoe_eval *w = c->w;
    size_t d = w->d;
    gsl_multimin_function F = {nm_f, d, (void *)c};
    for (size_t t = 0; t < d; t++) {
        gsl_vector_set(w->nm_x, t, x0[t]);
        gsl_vector_set(w->nm_step, t, step);
    }
    if (gsl_multimin_fminimizer_set(w->nm, &F, w->nm_x, w->nm_step) != GSL_SUCCESS) return;
    for (size_t it = 0; it < maxit; it++) {
        if (gsl_multimin_fminimizer_iterate(w->nm) != GSL_SUCCESS) break;
        if (gsl_multimin_fminimizer_size(w->nm) < tol) break;
    }
    double f = gsl_multimin_fminimizer_minimum(w->nm);
    if (f < *fbest) {
        *fbest = f;
        memcpy(xbest, gsl_multimin_fminimizer_x(w->nm)->data, d * sizeof(double));
    }
}

/* Sort indices by candidate value (insertion sort: a few dozen entries; stable). */
static void order_candidates(gmoe_eval *w, size_t nc)
{
    for (size_t i = 0; i < nc; i++)
        w->order[i] = i;
    for (size_t i = 1; i < nc; i++) {
        size_t o = w->order[i], j = i;
        while (j > 0 && w->cval[w->order[j - 1]] > w->cval[o]) {
            w->order[j] = w->order[j - 1];
            j--;
        }
        w->order[j] = o;
    }
}

/* The slope translation minimising the loss (over t0 exactly, over t1u by Nelder-Mead from
 * several starts) into w->tvec; returns the minimum. */
static double minimise_t1(const opt_ctx *c, const gmoe_eval_params *par)
{
    gmoe_eval *w = c->w;
    const eval_atoms *F = &w->fit, *T = &w->tru;
    size_t k = F->k, ks = T->k, d = F->d, nc = 0;
    /* Starts: none, the slopes' means aligned, every fitted slope on every true slope. */
    double *cand = w->cand;
    for (size_t t = 0; t < d; t++) {
        double mf = 0, mt = 0;
        for (size_t j = 0; j < k; j++)
            mf += F->s[j * d + t];
        for (size_t l = 0; l < ks; l++)
            mt += T->s[l * d + t];
        cand[t] = 0;
        cand[d + t] = mt / (double)ks - mf / (double)k;
    }
    nc = 2;
    for (size_t j = 0; j < k; j++)
        for (size_t l = 0; l < ks; l++, nc++)
            for (size_t t = 0; t < d; t++)
                cand[nc * d + t] = T->s[l * d + t] - F->s[j * d + t];
    /* The scale of the slopes: 1 + the spread of the true slopes. */
    double scale = 1;
    for (size_t l = 0; l < ks; l++)
        for (size_t l2 = 0; l2 < l; l2++) {
            double s = dist2(T->s + l * d, T->s + l2 * d, NULL, d);
            if (1 + s > scale) scale = 1 + s;
        }
    for (size_t i = 0; i < nc; i++)
        w->cval[i] = objective(c, cand + i * d, NULL);
    order_candidates(w, nc);
    double fbest = w->cval[w->order[0]];
    memcpy(w->tvec, cand + w->order[0] * d, d * sizeof(double));
    size_t runs = par->starts == 0 || par->starts > nc ? nc : par->starts;
    double tol = par->opt_tol * scale;
    for (size_t r = 0; r < runs; r++) {
        const double *x0 = cand + w->order[r] * d;
        int dup = 0;
        for (size_t q = 0; q < r && !dup; q++)
            dup = memcmp(x0, cand + w->order[q] * d, d * sizeof(double)) == 0;
        if (!dup) nm_run(c, x0, 0.1 * scale, tol, par->opt_max_iter, w->tvec, &fbest);
    }
    /* Polish: restart from the best point with smaller simplices (the candidates are no
     * longer needed: their storage holds the start). */
    for (double step = 1e-2; step >= 1e-6; step *= 1e-2) {
        memcpy(cand, w->tvec, d * sizeof(double));
        nm_run(c, cand, step * scale, tol, par->opt_max_iter, w->tvec, &fbest);
    }
    return fbest;
}

static gmoe_loss_kind resolve_kind(gmoe_loss_kind kind, size_t kstar, size_t k)
{
    if (kind != GMOE_LOSS_AUTO) return kind;
    return k > kstar ? GMOE_LOSS_D2 : GMOE_LOSS_D1;
}

static int check_translation(const gmoe_model *fit, double t0, const double *t1, gmoe_error *err)
{
    int fr = freedom(fit->gate);
    int has_t1 = 0;
    for (size_t t = 0; t1 && t < fit->d; t++)
        has_t1 |= t1[t] != 0;
    if ((has_t1 && fr != FREE_T0T1) || (t0 != 0 && fr == FREE_NONE))
        return gmoe_error_set(err, GMOE_EINVAL, "the %s gate has no %s translation freedom",
                              gmoe_gate_name(fit->gate), has_t1 ? "slope" : "intercept");
    if (!isfinite(t0) && !(t0 == -INFINITY))
        return gmoe_error_set(err, GMOE_EINVAL, "t0 must be finite or -inf");
    for (size_t t = 0; t1 && t < fit->d; t++)
        if (!isfinite(t1[t])) return gmoe_error_set(err, GMOE_EINVAL, "t1 must be finite");
    return GMOE_SUCCESS;
}

/* Convert a translation of beta1 (t1, may be NULL) into slope units in w->tvec. */
static const double *slope_translation(gmoe_eval *w, const gmoe_model *fit, const double *t1)
{
    if (!t1) return NULL;
    double sc = slope_scale(fit);
    for (size_t t = 0; t < fit->d; t++)
        w->tvec[t] = t1[t] * sc;
    return w->tvec;
}

int gmoe_eval_cells(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit, const double *t1,
                    size_t *cell, gmoe_error *err)
{
    int owned, rc = eval__check(w, truth, fit, 1, err);
    if (!rc) rc = check_translation(fit, 0, t1, err);
    if (rc) return rc;
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    atoms_fill(&ws->tru, truth);
    atoms_fill(&ws->fit, fit);
    double rbar[GMOE_EVAL_RBAR_MAX + 1] = {0};
    cells_terms(ws, slope_translation(ws, fit, t1), GMOE_LOSS_D1, rbar);
    memcpy(cell, ws->cell, fit->k * sizeof(size_t));
    if (owned) gmoe_eval_free(ws);
    return GMOE_SUCCESS;
}

int gmoe_eval_loss_at(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                      const gmoe_eval_params *par, double t0, const double *t1, double *loss,
                      gmoe_error *err)
{
    int owned, rc = eval__check(w, truth, fit, 1, err);
    if (!rc) rc = gmoe_eval_params_validate(par, fit->d, err);
    if (!rc) rc = check_translation(fit, t0, t1, err);
    if (rc) return rc;
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    atoms_fill(&ws->tru, truth);
    atoms_fill(&ws->fit, fit);
    cells_terms(ws, slope_translation(ws, fit, t1), resolve_kind(par->loss, truth->k, fit->k),
                par->rbar);
    *loss = loss_value(ws, t0);
    if (owned) gmoe_eval_free(ws);
    return GMOE_SUCCESS;
}

/* Per-cell masses and per-parameter errors at translation (t0, cells of the last
 * cells_terms). */
static void cell_errors(const gmoe_eval *w, double t0, gmoe_eval_result *res)
{
    const eval_atoms *F = &w->fit, *T = &w->tru;
    size_t k = F->k, ks = T->k;
    double *errs[EV_NPART] = {res->err_beta1, res->err_gamma, res->err_a, res->err_b, res->err_v};
    for (size_t l = 0; l < ks; l++) {
        res->cell_size[l] = w->size[l];
        res->mass_true[l] = exp(T->lm[l]);
        res->mass[l] = w->logM[l] > -INFINITY ? exp(w->logM[l] + t0) : 0;
        res->err_beta0[l] = w->size[l] ? fabs(w->logM[l] + t0 - T->lm[l]) : NAN;
        /* weights relative to the cell's largest mass, so that none underflows to 0/0 */
        double mx = -INFINITY;
        for (size_t j = 0; j < k; j++)
            if (w->cell[j] == l && F->lm[j] > mx) mx = F->lm[j];
        for (int p = 0; p < EV_NPART; p++) {
            double num = 0, den = 0;
            for (size_t j = 0; j < k; j++) {
                if (w->cell[j] != l) continue;
                double wt = exp(F->lm[j] - mx);
                num += wt * w->part[j * EV_NPART + p];
                den += wt;
            }
            errs[p][l] = den > 0 ? num / den : NAN;
        }
        if (!F->gamma) res->err_gamma[l] = NAN;
    }
    res->err_tau = F->has_tau ? fabs(F->tau - T->tau) : NAN;
    memcpy(res->atom_err, w->part, k * EV_NPART * sizeof(double));
}

size_t gmoe_eval_cell_maxima(const gmoe_eval_result *res, size_t m, double out[4])
{
    static const int part[4] = {EV_S, EV_A, EV_B, EV_V};
    size_t count = 0;
    for (int p = 0; p < 4; p++)
        out[p] = NAN;
    for (size_t j = 0; j < res->k; j++) {
        if (res->cell_size[res->cell[j]] != m) continue;
        for (int p = 0; p < 4; p++) {
            double e = res->atom_err[j * EV_NPART + part[p]];
            if (count == 0 || e > out[p]) out[p] = e;
        }
        count++;
    }
    return count;
}

/* The pinned loss of the published code: both models canonical, no infimum. */
static void pinned(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                   gmoe_loss_kind kind, const double *rbar, gmoe_eval_result *res)
{
    gmoe_model_copy(w->pin_truth, truth);
    gmoe_model_copy(w->pin_fit, fit);
    gmoe_model_canonicalize(w->pin_truth);
    gmoe_model_canonicalize(w->pin_fit);
    atoms_fill(&w->tru, w->pin_truth);
    atoms_fill(&w->fit, w->pin_fit);
    cells_terms(w, NULL, kind, rbar);
    res->loss_pinned = loss_value(w, 0);
    res->rbar_extrapolated |= w->extrap;
    memcpy(res->cell_pinned, w->cell, fit->k * sizeof(size_t));
}

int gmoe_eval_loss(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                   const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err)
{
    int owned, rc = eval__check(w, truth, fit, 1, err);
    if (!rc) rc = gmoe_eval_params_validate(par, fit->d, err);
    if (rc) return rc;
    if (res->kstar != truth->k || res->k != fit->k || res->d != fit->d)
        return gmoe_error_set(err, GMOE_EDIM,
                              "result sized for k* = %zu, k = %zu, d = %zu; models have k* = "
                              "%zu, k = %zu, d = %zu",
                              res->kstar, res->k, res->d, truth->k, fit->k, fit->d);
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    gmoe_loss_kind kind = resolve_kind(par->loss, truth->k, fit->k);
    res->kind = kind;
    res->rbar_extrapolated = 0;
    pinned(ws, truth, fit, kind, par->rbar, res);

    atoms_fill(&ws->tru, truth);
    atoms_fill(&ws->fit, fit);
    int fr = par->translate ? freedom(fit->gate) : FREE_NONE;
    opt_ctx c = {ws, kind, par->rbar};
    double t0 = 0;
    const double *t1u = NULL;
    if (fr == FREE_T0T1) {
        minimise_t1(&c, par);
        t1u = ws->tvec;
    }
    /* Recompute at the optimum: cells, terms, t0 and the loss itself. */
    cells_terms(ws, t1u, kind, par->rbar);
    if (fr == FREE_NONE)
        res->loss = loss_value(ws, 0);
    else
        res->loss = best_t0(ws, &t0, 1);
    res->t0 = t0;
    double sc = 1.0 / slope_scale(fit);
    for (size_t t = 0; t < fit->d; t++)
        res->t1[t] = t1u ? t1u[t] * sc : 0;
    res->rbar_extrapolated |= ws->extrap;
    memcpy(res->cell, ws->cell, fit->k * sizeof(size_t));
    cell_errors(ws, t0, res);
    if (owned) gmoe_eval_free(ws);
    return GMOE_SUCCESS;
}
