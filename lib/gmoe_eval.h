/* gmoe_eval: how far a fitted model is from the true one (MODELS.md section 4).
 *
 * Voronoi losses. Every expert is an atom (gate slope s_j, a_j, b_j, v_j) with a mass m_j.
 * Fitted expert j belongs to the cell A_l of the true atom l closest to it in the distance
 *   |s_j - s*_l| + |a_j - a*_l| + |b_j - b*_l| + |v_j - v*_l|
 * (Euclidean norms; gate intercepts excluded; ties go to the lower l). Cells may be empty.
 * With d. = fitted minus true of the cell's atom,
 *   D1 = sum_l sum_{j in A_l} m_j (|ds| + |da| + |db| + |dv|) + sum_l |sum_{j in A_l} m_j - m*_l|
 *   D2 = the same, except that inside a cell of m >= 2 fitted experts the terms are
 *        |ds|^r + |da|^(r/2) + |db|^r + |dv|^(r/2),  r = rbar(m);  single cells keep exponent 1.
 * rbar(2) = 4 and rbar(3) = 6 (the authors' values). For m >= 4 rbar is not known in closed
 * form: gmoe uses 2m and sets gmoe_eval_result.rbar_extrapolated. Every rbar(m) can be set in
 * gmoe_eval_params.rbar, which then counts as known.
 * GMOE_LOSS_AUTO takes D1 when k <= k* and D2 when k > k*.
 *
 * Fewer fitted than true experts (k < k*) is allowed: cells left empty have no parameter term
 * and contribute their whole true mass m*_l through the mass term (the formula with an empty
 * inner sum). AUTO then takes D1.
 *
 * The gate families (the fitted and the true model must share family and d; k may differ):
 *   softmax, topk  s_j = beta1_j, m_j = exp(beta0_j).
 *   temperature    s_j = beta1_j / tau, the identifiable part of (beta1, tau) (scaling both
 *                  leaves the gate unchanged); every expert's term adds |dtau| with the
 *                  exponent of the slope term (|dtau| under D1 and in single cells, |dtau|^r
 *                  in a shared D2 cell). tau does not enter the cells: it is the same for every
 *                  true atom.
 *   activation     s_j = beta1_j (act is nonlinear, so beta1 and tau are each identifiable),
 *                  plus the |dtau| term as for temperature.
 *   sigmoid        s_j = beta1_j, m_j = exp(beta0_j).
 *   gaussian       s_j = c_j (gate centre); the gate covariance Gamma_j joins the atom: it
 *                  adds |Gamma_j - Gamma*_l| (Frobenius) to the cell distance and to the
 *                  loss, with the exponent of v (r/2 in a shared D2 cell). m_j = pi_j, the pi
 *                  of each model normalised to sum to 1.
 * The true masses are taken as written (m*_l = exp(beta0*_l)): shifting every beta0* by c
 * multiplies the loss by exp(c). The published truths are in canonical form (the last
 * expert's gate at 0).
 *
 * Translation. Softmax, top-K and temperature gates are unchanged when every fitted expert's
 * (beta0, beta1) moves by the same (t0, t1); the activation gate only by t0; sigmoid and
 * Gaussian gates not at all. The reported loss is the infimum over the family's freedom of
 * the loss of the translated fit, cells recomputed for every t1. For fixed t1 the cells are
 * fixed and the loss is convex and piecewise linear in exp(t0), so t0 is minimised exactly
 * (over the kinks exp(t0) = m*_l / sum_{A_l} m_j, and the limit t0 -> -infinity, where the
 * loss is the total true mass sum_l m*_l). The infimum therefore never exceeds sum_l m*_l; a
 * fit so far off that the limit is best is reported with t0 = -INFINITY, zero cell masses,
 * infinite err_beta0, and the cells of the best start.
 * The minimisation over t1, piecewise smooth because cells change, runs Nelder-Mead (GSL
 * nmsimplex2) from several starts: no translation, the fitted slopes' mean moved onto the
 * true slopes' mean, and, for every fitted j and true l, the translation that puts s_j on
 * s*_l; the best run is polished by restarts with smaller simplices. The result can only
 * be at least as good as every start.
 * The pinned loss (loss_pinned) is the published code's variant, kept for comparison: both
 * models in canonical form (gmoe_model_canonicalize: the last expert's gate at 0), no
 * infimum. With an extra fitted expert in the reference cell it stays large at every n.
 *
 * Per-parameter errors after matching, per true expert l, at the optimal translation:
 * err_beta0 = |log sum_{j in A_l} m_j - log m*_l| (the cell's log-mass error; for singletons
 * |beta0_j + t0 - beta0*_l|); err_beta1, err_gamma, err_a, err_b, err_v: the mass-weighted
 * mean over the cell of |ds|, |dGamma|, |da|, |db|, |dv| (err_beta1 is in the units of s_j,
 * err_gamma only for Gaussian gates). Empty cells give NaN. The same parts for each fitted
 * expert on its own are in atom_err.
 *
 * Per-cell errors (MODELS.md 7): over-specified theory gives each fitted atom's parameters
 * a rate set by the size m of its Voronoi cell (beta1 and b like n^-1/(2 rbar(m)), a and v
 * like n^-1/rbar(m); m = 1: n^-1/2). gmoe_eval_cell_maxima gives, for one cell size m, the
 * largest |ds|, |da|, |db|, |dv| over the fitted atoms that sit in cells of m atoms, at the
 * optimal translation.
 *
 * Density distances between the conditional densities p = p_fit(.|x) and q = p_true(.|x):
 *   h(x)^2 = (1/2) int (sqrt p - sqrt q)^2 dy,   TV(x) = (1/2) int |p - q| dy,
 * both in [0, 1]; reported: E_X[h(X)] and E_X[TV(X)] over the design of x. The inner
 * integrals (both at once, from one evaluation of the densities per node) run adaptive
 * Gauss-Kronrod (QUADPACK's 21-point rule, as gsl_integration_qk21, with bisection of the
 * worst interval) over [min mu - 12 sd, max mu + 12 sd] of all components (beyond, each
 * component's mass is 3.6e-33), first split at every component's mu and mu +- 3, 6 sd so
 * that no narrow peak is missed, and at every crossing of the two densities found between
 * the rule's nodes (the kinks of |p - q|). The outer expectation: for d = 1 the same
 * adaptive quadrature, over [lo, hi] for the uniform and grid designs (the grid's points fill
 * [lo, hi] evenly: their average tends to the interval's), against the normal density on
 * mean +- 10 sd for the normal design, and for the gate design (x from the Gaussian gate's
 * mixture sum_j pi_j N(c_j, Gamma_j) of design.model, or of the truth when that is NULL) one
 * such normal integral per component, weighted by pi_j; for d >= 2 Monte Carlo over
 * mc_samples draws of x from the design (the gate design as gmoe_sim_x draws it), with a
 * generator seeded with mc_seed (same answer on every run). Error estimates: quadrature: the
 * outer estimate plus the largest inner error propagated to h or TV (plus the normal tail
 * beyond 10 sd); Monte Carlo: one standard error plus the largest inner error.
 * distances_converged is 0 when some integral stopped at quad_limit before its tolerance (the
 * error estimates still hold what was reached). The adaptive driver is gmoe's own, so that no
 * tolerance miss ever reaches GSL's error handler (which aborts by default) and no global
 * state is touched: evaluations may run in parallel threads, one workspace each. The distances
 * need only the same d: the families may differ. */
#ifndef GMOE_EVAL_H
#define GMOE_EVAL_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_model.h"
#include "gmoe_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GMOE_LOSS_AUTO = 0, GMOE_LOSS_D1, GMOE_LOSS_D2 } gmoe_loss_kind;

/* "auto", "D1", "D2"; the parser also takes lower case ("d1", "d2"). */
const char *gmoe_loss_name(gmoe_loss_kind kind);
int gmoe_loss_parse(const char *name, gmoe_loss_kind *kind);

/* How the expectation over x is computed. AUTO: quadrature for d = 1, Monte Carlo otherwise. */
typedef enum {
    GMOE_OUTER_AUTO = 0,
    GMOE_OUTER_QUADRATURE, /* d = 1 only */
    GMOE_OUTER_MONTECARLO
} gmoe_outer_kind;

/* The parts of a fitted atom's error against its cell's true atom, as gmoe_eval_result's
 * atom_err holds them (row j, GMOE_ATOM_NPARTS columns). */
enum {
    GMOE_ATOM_SLOPE = 0, /* |ds| (beta1, beta1/tau or the Gaussian gate's centre c) */
    GMOE_ATOM_GAMMA,     /* |dGamma| (Frobenius; 0 but for Gaussian gates) */
    GMOE_ATOM_A,
    GMOE_ATOM_B,
    GMOE_ATOM_V,
    GMOE_ATOM_NPARTS
};

/* rbar(m) can be given for cell sizes m = 2..GMOE_EVAL_RBAR_MAX. */
#define GMOE_EVAL_RBAR_MAX 16

typedef struct gmoe_eval_params {
    gmoe_loss_kind loss;                 /* default AUTO */
    double rbar[GMOE_EVAL_RBAR_MAX + 1]; /* rbar[m], m >= 2; 0: unknown, use 2m and flag it.
                                            default rbar[2] = 4, rbar[3] = 6, others 0 */
    int translate;         /* 1 (default): infimum over the gate translations; 0: as written */
    size_t starts;         /* Nelder-Mead runs from the best-ranked starts; 0 (default): all */
    double opt_tol;        /* simplex size at which a run stops, relative to the scale of the
                              true slopes (1 + their spread); default 1e-10 */
    size_t opt_max_iter;   /* iterations per run; default 2000 */
    gmoe_design design;    /* design of x for the distances; default uniform on [0, 1];
                              the gate design without a model uses the truth's gate */
    gmoe_outer_kind outer; /* default AUTO */
    double inner_epsabs, inner_epsrel; /* inner integral over y (of h^2 and of TV);
                                          default 1e-14, 1e-10 */
    double outer_epsabs, outer_epsrel; /* outer integral over x; default 1e-10, 1e-7 */
    size_t quad_limit;                 /* subintervals per integral at most; default 1000 */
    size_t mc_samples;                 /* Monte Carlo draws of x; default 2000 */
    unsigned long mc_seed;             /* default 1 */
} gmoe_eval_params;

gmoe_eval_params gmoe_eval_default_params(void);

/* Check the parameters for models with d covariates (rbar > 0 or 0, tolerances > 0 or = 0 but
 * not both, limit >= 2, samples >= 2, a valid design, quadrature only with d = 1). */
int gmoe_eval_params_validate(const gmoe_eval_params *par, size_t d, gmoe_error *err);

/* The result of an evaluation: a public struct whose arrays are owned by it. Allocate with
 * gmoe_eval_result_alloc for k* true experts, k fitted experts and d covariates; every
 * number starts as NaN. */
typedef struct gmoe_eval_result {
    size_t kstar, k, d;    /* sizes (set by _alloc) */
    gmoe_loss_kind kind;   /* the loss computed: GMOE_LOSS_D1 or GMOE_LOSS_D2 */
    double loss;           /* the infimum over the gate translations (as written if none) */
    double loss_pinned;    /* the published code's pinned-gate variant */
    double t0;             /* the optimal translation (-INFINITY: see above) */
    double *t1;            /* d values, in units of beta1 (0 for families without t1) */
    int rbar_extrapolated; /* some shared cell had m >= 4 with an unknown rbar(m) */
    size_t *cell;          /* k: the true expert whose cell holds fitted expert j */
    size_t *cell_pinned;   /* k: the same for the pinned loss */
    size_t *cell_size;     /* k*: |A_l| */
    double *mass;          /* k*: sum_{j in A_l} m_j, translated by t0 */
    double *mass_true;     /* k*: m*_l */
    double *err_beta0, *err_beta1, *err_gamma, *err_a, *err_b, *err_v; /* k* each */
    double err_tau;   /* |tau - tau*| (temperature, activation), else NaN */
    double *atom_err; /* k*GMOE_ATOM_NPARTS: fitted expert j's errors against its cell's true
                         atom at the optimal translation, row j */
    double hellinger, hellinger_err; /* E_X[h] and its error estimate */
    double tv, tv_err;               /* E_X[TV] and its error estimate */
    gmoe_outer_kind outer;           /* how the expectation was computed */
    int distances_converged;         /* every integral met its tolerance */
} gmoe_eval_result;

/* NULL on zero sizes or allocation failure. Owned: free with gmoe_eval_result_free. */
gmoe_eval_result *gmoe_eval_result_alloc(size_t kstar, size_t k, size_t d);
void gmoe_eval_result_free(gmoe_eval_result *res);

/* The members of cell l in increasing order into out (room for k values); returns their
 * number. */
size_t gmoe_eval_cell_members(const gmoe_eval_result *res, size_t l, size_t *out);

/* Per-cell maxima after gmoe_eval_loss: out[0..3] = the largest |ds|, |da|, |db|, |dv|
 * (atom_err) over the fitted experts in cells of exactly m experts; NaN when no cell has m.
 * Returns the number of such experts. */
size_t gmoe_eval_cell_maxima(const gmoe_eval_result *res, size_t m, double out[4]);

/* Workspace for comparing fitted models of exactly k experts with true models of exactly k*
 * experts in d covariates (else GMOE_EDIM): allocated once, reused across calls (not by two
 * threads at once). NULL on zero sizes or allocation failure. Owned: free with
 * gmoe_eval_free. Every function below also accepts w = NULL and then allocates a workspace
 * for the call. */
typedef struct gmoe_eval gmoe_eval;

gmoe_eval *gmoe_eval_alloc(size_t kstar, size_t k, size_t d);
void gmoe_eval_free(gmoe_eval *w);

/* Cells for the fit translated by t1 (d values in units of beta1, or NULL for none): cell[j]
 * (k values) is the true expert whose cell holds fitted expert j. GMOE_EINVAL for a nonzero
 * t1 when the family has no slope translation. */
int gmoe_eval_cells(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit, const double *t1,
                    size_t *cell, gmoe_error *err);

/* The loss (par->loss, par->rbar) of the fit translated by (t0, t1) (t1 NULL: 0), no
 * infimum. GMOE_EINVAL for a translation the family does not have. */
int gmoe_eval_loss_at(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                      const gmoe_eval_params *par, double t0, const double *t1, double *loss,
                      gmoe_error *err);

/* The Voronoi loss and everything that goes with it: kind, loss, loss_pinned, t0, t1,
 * cells, masses, per-parameter errors, rbar_extrapolated. res must be allocated for the
 * models' sizes (else GMOE_EDIM). */
int gmoe_eval_loss(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                   const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err);

/* h(x) and TV(x) at one point x (d values), with error estimates (either may be NULL). */
int gmoe_eval_distances_at(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                           const gmoe_eval_params *par, const double *x, double *h, double *tv,
                           double *h_err, double *tv_err, gmoe_error *err);

/* E_X[h] and E_X[TV] with their error estimates into res (hellinger, hellinger_err, tv,
 * tv_err, outer, distances_converged). */
int gmoe_eval_distances(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                        const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err);

/* Everything: gmoe_eval_loss then gmoe_eval_distances. */
int gmoe_eval_run(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                  const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
