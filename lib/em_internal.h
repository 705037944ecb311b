/* Private state of the EM solver, shared by em.c (control, SQUAREM), estep.c (passes over
 * the data) and mstep.c (expert and gate M-steps). Not installed. */
#ifndef GMOE_EM_INTERNAL_H
#define GMOE_EM_INTERNAL_H

#include "internal.h"
#include "gmoe_em.h"

/* The gate parameters as one vector theta, expert-major: expert j holds q = d+1 entries
 * (beta0_j, beta1_j), then log(tau) when tau is estimated. free[] marks the entries the
 * M-step moves (the last expert's are pinned for translation-invariant gates). The Gaussian
 * gate has no such system (P = 0): its M-step is closed-form, and its parameters pack as
 * (log pi_j, c_j, upper triangle of Gamma_j) per expert for SQUAREM (em_gate_to_theta). */
typedef struct em_gate_sys {
    size_t P;       /* length of theta */
    size_t nfree;   /* number of free entries */
    size_t *free;   /* indices of the free entries (nfree) */
    size_t nfree0;  /* number of free intercepts */
    size_t *free0;  /* indices of the free intercepts beta0_j (nfree0) */
    size_t kstat;   /* the gradient and Fisher entries of experts j >= kstat are pinned and
                       never read: the passes leave them at 0 (k - 1 when the last expert's
                       (beta0, beta1) are pinned and there is no log(tau), else k) */
    int has_tau;    /* theta ends with log(tau) */
    double *grad;   /* P: dQ/dtheta */
    double *fisher; /* P*P: sum_i J_i' (diag g_i - g_i g_i') J_i */
    /* The sigmoid gate's score u_j = log sigmoid(t_j) is not linear in its parameters: minus
     * the Hessian of Q is fisher plus this block-diagonal term, k blocks of q*q (upper
     * triangles), sum_i (r_ij - g_ij) sigmoid(t_ij) sigmoid(-t_ij) z_i z_i', z = (1, x). It
     * depends on the responsibilities, so every pass recomputes it. */
    int has_curv;
    double *curv;
    double Q;      /* sum_ij r_ij log g_ij at the point the statistics belong to */
    double *A;     /* nfree*nfree scratch for the solve */
    double *rhs;   /* nfree */
    double *theta; /* P: accepted point */
    double *trial; /* P: trial point */
    double *dir;   /* P: Newton direction */
    double *safe;  /* P: last point whose Q was checked, before an unchecked step */
    /* The compact parameter set (gmoe_em_params.gate_bound, lib/bound.c): lo[s] <= theta[s]
     * <= hi[s]. With bounded = 0 (an infinite bound) every step is the unbounded one. */
    int bounded;
    double *lo, *hi; /* P */
    size_t *idx;     /* P: scratch, the entries a bounded Newton step moves */
} em_gate_sys;

typedef struct em_qn em_qn; /* quasi-Newton state (em_qn.c) */

struct gmoe_em {
    size_t n, d, k, q;
    gmoe_gate gate;
    const gmoe_data *data; /* borrowed */
    gmoe_em_params par;

    gmoe_model *m;     /* current parameters */
    gmoe_model *trial; /* gate trial point for the line search */

    double *r; /* n*k responsibilities, expert-major: r[j*n + i] */
    /* Per-block scratch (B = GMOE_BLOCK rows), allocated once with the workspace. */
    double *lw;     /* B*k log gate weights */
    double *rb;     /* B*k responsibilities of the block */
    double *gb;     /* B*k gate weights */
    double *eb;     /* B*k r - g */
    double *wb;     /* B   pair weights g_j (delta_jl - g_l) */
    double *u;      /* B   expert means */
    double *mxb;    /* B   row maxima */
    double *smb;    /* B   row log-sum-exps */
    double *xc;     /* B*d centred covariates */
    double *yc;     /* B   residuals of one expert about its reference line */
    double *phi;    /* B*k*q gate Jacobian features: phi[(j*q + a)*B + r] */
    double *psi;    /* B*k derivative of the score in log(tau) */
    int phi_shared; /* phi of expert 0 serves every expert (linear scores) */
    double *pp;     /* B*q(q+1)/2 products phi_a phi_b of the shared features */
    double *gwork;  /* gmoe__gate_work_size() scratch for gmoe__gate_log_block */
    /* (1, x) features: phi rows 1..d are x at the block (stride n), or NULL. */
    const double *phix;

    /* Expert sufficient statistics on centred data, per expert, with z = (1, x - xbar) and the
     * residuals e = y - ybar - cref_j'z about a reference line (the expert's line at the
     * E-step): Sr = sum r, Sxx = sum r z z' (q*q), Sxy = sum r z e (q), Ssq = sum r e^2. After
     * the expert M-step Ssq holds the weighted squared residuals of the new lines. */
    double *Sr, *Sxx, *Sxy, *Ssq;
    double *cref; /* k*q: reference lines (ybar + cref_j'z) of the last E-step */
    double *xbar, *xsd;
    double ybar, yvar, var_floor;
    double *coef; /* q: solve scratch */
    double *mat;  /* q*q: solve scratch */

    em_gate_sys g;

    /* Gaussian gate: the covariance floor per covariate (Gamma_j >= diag(gfloor) in the
     * positive semi-definite order), scratch for the eigen-decomposition that applies it,
     * and how many Gamma_j the last M-step put on it. */
    double *gfloor; /* d */
    double *gscr;   /* 2*d*d + 5*d */
    size_t gamma_floored;

    /* SQUAREM */
    size_t ngate; /* length of the packed gate parameters (g.P, or the Gaussian gate's) */
    size_t npar;  /* length of the full parameter vector */
    double *p0, *p1, *p2, *pr, *pv;
    em_qn *qn; /* quasi-Newton acceleration */

    double ll;      /* the objective of EM at m (from the last E-step): the conditional
                       log-likelihood, or for the Gaussian gate the joint one of (x, y) */
    double ll_cond; /* the conditional log-likelihood sum_i log p(y_i | x_i) at m */
    double ll_prev;
    size_t iter, maps;
    size_t passes; /* passes over the data: E-steps and gate passes */
    gmoe_fit_status status;
    int started;
    int resp_given;      /* em_estep: take w->r as given instead of computing it */
    int fast_estep;      /* em_estep runs em_estep_fast (estep_fast.c) */
    int fast_full;       /* em_estep_fast also computes Q and stores w->r */
    int gate_unchecked;  /* the last gate M-step took a step without evaluating Q */
    size_t reverts;      /* unchecked gate steps undone (the log-likelihood fell) */
    size_t refused;      /* SQUAREM points refused as invalid (non-finite, tau out of range,
                            a Gamma that is not positive definite) */
    double fisher_drift; /* RMS change of the gate scores, sqrt(decrement / n), summed over the
                            unchecked gate steps since g.fisher was computed */
    int fisher_ok;       /* g.fisher may serve the current gate of m: computed there, or at a
                            gate at most fisher_drift away after unchecked steps (set by the
                            passes; cleared whenever the gate of m is changed otherwise) */
};

/* Entry s of theta is one whose gradient and Fisher entries the passes leave at 0 (an expert
 * j >= g.kstat: pinned, never read by an M-step). */
static inline int em_stat_pinned(const gmoe_em *w, size_t s)
{
    return s < w->k * w->q && s / w->q >= w->g.kstat;
}

/* estep.c: the E-step pass at w->m: fills w->r, w->ll, the expert statistics and the gate
 * statistics (gradient, Fisher matrix, Q) at the current gate. */
int em_estep(gmoe_em *w);
/* estep.c: the parts every E-step shares: count the pass, zero the sums, set the reference
 * lines (and zero the gate statistics, the Fisher matrix if fisher); then symmetrise the
 * sums and store the log-likelihood (ll, plus llx for the Gaussian gate's joint one) and Q. */
void em_estep_prepare(gmoe_em *w, int fisher);
int em_estep_finish(gmoe_em *w, int fisher, double ll, double llx, double Q);

/* estep_fast.c: em_estep for the softmax gate with d = 1 and k <= FAST_KMAX (the statistics
 * of em_estep up to rounding; Q and w->r only with w->fast_full). */
#define FAST_KMAX 8
int em_estep_fast_ok(const gmoe_em *w);
int em_estep_fast(gmoe_em *w);

/* estep.c: gate statistics (Q, gradient, Fisher) of model gm with the stored
 * responsibilities. Returns GMOE_ENUMERIC if Q is -inf (a top-K selection dropped an expert
 * that carries responsibility). */
int em_gate_pass(gmoe_em *w, const gmoe_model *gm);

/* em.c: the parameters packed into one vector for the accelerations (gate theta, a, b,
 * log var) and back (GMOE_ENUMERIC for a point that is not a valid model; with a gate bound the
 * gate entries of p are first projected onto the box, in place); one EM map (M-step from the
 * current E-step's statistics, then the E-step at the new point). */
void em_pack(const gmoe_em *w, double *p);
int em_unpack(gmoe_em *w, double *p);
int em_map_step(gmoe_em *w);

/* em_qn.c: quasi-Newton acceleration. The state is sized for nmax free coordinates and
 * parameter vectors of npar; em_qn_reset takes the coordinates of the fit set up in w. */
em_qn *em_qn_alloc(size_t nmax, size_t npar);
void em_qn_free(em_qn *qn);
void em_qn_reset(gmoe_em *w);
int em_qn_cycle(gmoe_em *w); /* one iteration */

/* mstep.c */
int em_mstep_experts(gmoe_em *w);    /* (a, b) and their squared residuals (Ssq) */
void em_mstep_variances(gmoe_em *w); /* var from Ssq, floored */
/* Fisher scoring with step halving. With unchecked != 0 a Newton step whose predicted gain is
 * small is taken without evaluating Q there (no pass over the data): w->gate_unchecked is
 * set, g.safe holds the last checked point, and the caller must check the log-likelihood of
 * the next E-step and return the gate to g.safe if it fell. */
int em_mstep_gate(gmoe_em *w, int unchecked);
/* The length of the packed gate parameters of em_gate_to_theta. */
size_t em_gate_npack(size_t k, size_t d, gmoe_gate gate, const em_gate_sys *g);
void em_gate_to_theta(const gmoe_em *w, const gmoe_model *m, double *theta);
void em_theta_to_gate(const gmoe_em *w, const double *theta, gmoe_model *m);
int em_gate_sys_alloc(em_gate_sys *g, size_t k, size_t d);
void em_gate_sys_setup(em_gate_sys *g, size_t k, size_t d, gmoe_gate gate, int tau_free);
void em_gate_sys_free(em_gate_sys *g);

/* bound.c: the box on the gate parameters (MODELS.md 7). em_bound_check validates a bound
 * for a gate family; em_bound_tau_free says whether tau is estimated (a bounded temperature
 * gate holds it); em_bound_setup fills g's box for the current model (call after
 * em_gate_sys_setup). */
int em_bound_check(double bound, gmoe_gate gate, gmoe_error *err);
int em_bound_tau_free(const gmoe_em_params *par, gmoe_gate gate);
void em_bound_setup(gmoe_em *w);
/* Clamp the gate entries of theta (layout of em_gate_to_theta) into the box. */
void em_bound_project(const em_gate_sys *g, double *theta);
/* The entries of idx[0..ni) that a Newton step may move from g->theta: all but those at a
 * bound whose gradient (dQ/dtheta, g->grad) pushes outward. Written to out; their number is
 * returned. */
size_t em_bound_release(const em_gate_sys *g, const size_t *idx, size_t ni, size_t *out);
/* Of the entries idx[0..ni), drop those at a bound that g->dir moves outward; the number
 * kept (in place). */
size_t em_bound_drop_outward(const em_gate_sys *g, size_t *idx, size_t ni);
/* The number of free gate parameters of the current model on a bound of the box (0 when
 * unbounded). */
size_t em_bound_count(const gmoe_em *w);

#endif
