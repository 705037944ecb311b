/* M-steps: weighted least squares for the experts, Fisher scoring for the gate. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "em_internal.h"

/* Solve the symmetric positive semi-definite system A x = b (n*n, row-major, A and b
 * overwritten, x returned in b). Cholesky first; a singular system (an expert whose
 * responsibilities sit on too few distinct x) gets the minimum-norm least-squares solution. */
static int spd_solve(double *A, double *b, size_t n, double *Acopy)
{
    memcpy(Acopy, A, n * n * sizeof(double));
    double *bcopy = Acopy + n * n;
    memcpy(bcopy, b, n * sizeof(double));
    lapack_int info =
        LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, 1, A, (lapack_int)n, b, 1);
    if (info == 0) return GMOE_SUCCESS;
    memcpy(b, bcopy, n * sizeof(double));
    double *sv = bcopy + n;
    lapack_int rank;
    info = LAPACKE_dgelss(LAPACK_ROW_MAJOR, (lapack_int)n, (lapack_int)n, 1, Acopy, (lapack_int)n,
                          b, 1, sv, 1e-12, &rank);
    return info == 0 ? GMOE_SUCCESS : GMOE_ENUMERIC;
}

int em_mstep_experts(gmoe_em *w)
{
    size_t k = w->k, d = w->d, q = w->q;
    gmoe_model *m = w->m;
    for (size_t j = 0; j < k; j++) {
        if (!(w->Sr[j] > 0)) continue; /* an expert with no mass keeps its parameters */
        const double *S = w->Sxx + j * q * q, *s = w->Sxy + j * q, *cj = w->cref + j * q;
        memcpy(w->mat, S, q * q * sizeof(double));
        memcpy(w->coef, s, q * sizeof(double));
        if (spd_solve(w->mat, w->coef, q, w->g.A) != GMOE_SUCCESS) return GMOE_ENUMERIC;
        /* The line moves by delta = coef from the reference line; the weighted squared
         * residuals of the new line are Ssq - 2 delta's + delta'S delta (for any delta, so
         * that a least-squares solution of a singular system is covered too). */
        const double *dl = w->coef;
        double quad = 0, lin = 0;
        for (size_t a = 0; a < q; a++) {
            double Sd = 0;
            for (size_t b = 0; b < q; b++)
                Sd += S[a * q + b] * dl[b];
            quad += dl[a] * Sd;
            lin += dl[a] * s[a];
        }
        w->Ssq[j] = w->Ssq[j] - 2 * lin + quad;
        double b = w->ybar + cj[0] + dl[0];
        for (size_t t = 0; t < d; t++) {
            double at = cj[1 + t] + dl[1 + t];
            m->a[j * d + t] = at;
            b -= at * w->xbar[t];
        }
        m->b[j] = b;
    }
    return GMOE_SUCCESS;
}

void em_mstep_variances(gmoe_em *w)
{
    for (size_t j = 0; j < w->k; j++) {
        if (!(w->Sr[j] > 0)) continue;
        /* Rounding can leave a residual sum at the floor slightly negative: the floor. */
        double v = w->Ssq[j] / w->Sr[j];
        w->m->var[j] = v > w->var_floor ? v : w->var_floor;
    }
}

size_t em_gate_npack(size_t k, size_t d, gmoe_gate gate, const em_gate_sys *g)
{
    return gate == GMOE_GATE_GAUSSIAN ? k * (1 + d + d * (d + 1) / 2) : g->P;
}

/* The Gaussian gate's parameters of expert j as (log pi_j, c_j, upper triangle of Gamma_j),
 * and back. Extrapolated (SQUAREM) points get their pi normalised, so that sum_j pi_j
 * N(x; c_j, Gamma_j) stays a density of x; their Gamma_j may not be positive definite, which
 * the caller checks. */
static void gauss_pack(const gmoe_model *m, double *theta)
{
    size_t k = m->k, d = m->d;
    for (size_t j = 0; j < k; j++) {
        *theta++ = log(m->pi[j]);
        memcpy(theta, m->c + j * d, d * sizeof(double));
        theta += d;
        const double *G = m->Gamma + j * d * d;
        for (size_t s = 0; s < d; s++)
            for (size_t t = s; t < d; t++)
                *theta++ = G[s * d + t];
    }
}

static void gauss_unpack(const double *theta, gmoe_model *m)
{
    size_t k = m->k, d = m->d, stride = 1 + d + d * (d + 1) / 2;
    double mx = -INFINITY, sum = 0;
    for (size_t j = 0; j < k; j++)
        mx = fmax(mx, theta[j * stride]);
    for (size_t j = 0; j < k; j++) {
        const double *tj = theta + j * stride;
        sum += m->pi[j] = exp(tj[0] - mx);
        memcpy(m->c + j * d, tj + 1, d * sizeof(double));
        double *G = m->Gamma + j * d * d;
        const double *u = tj + 1 + d;
        for (size_t s = 0; s < d; s++)
            for (size_t t = s; t < d; t++, u++)
                G[s * d + t] = G[t * d + s] = *u;
    }
    for (size_t j = 0; j < k; j++)
        m->pi[j] /= sum;
}

void em_gate_to_theta(const gmoe_em *w, const gmoe_model *m, double *theta)
{
    size_t k = w->k, d = w->d, q = w->q;
    if (w->gate == GMOE_GATE_GAUSSIAN) {
        gauss_pack(m, theta);
        return;
    }
    for (size_t j = 0; j < k; j++) {
        theta[j * q] = m->beta0[j];
        memcpy(theta + j * q + 1, m->beta1 + j * d, d * sizeof(double));
    }
    if (w->g.has_tau) theta[k * q] = log(m->tau);
}

void em_theta_to_gate(const gmoe_em *w, const double *theta, gmoe_model *m)
{
    size_t k = w->k, d = w->d, q = w->q;
    if (w->gate == GMOE_GATE_GAUSSIAN) {
        gauss_unpack(theta, m);
        return;
    }
    for (size_t j = 0; j < k; j++) {
        m->beta0[j] = theta[j * q];
        memcpy(m->beta1 + j * d, theta + j * q + 1, d * sizeof(double));
    }
    if (w->g.has_tau) m->tau = exp(theta[k * q]);
}

int em_gate_sys_alloc(em_gate_sys *g, size_t k, size_t d)
{
    /* Sized for the largest system (with log tau); em_gate_sys_setup picks the layout. */
    size_t P = k * (d + 1) + 1;
    memset(g, 0, sizeof *g);
    g->free = calloc(P, sizeof(size_t));
    g->free0 = calloc(P, sizeof(size_t));
    g->grad = calloc(P, sizeof(double));
    g->fisher = calloc(P * P, sizeof(double));
    g->curv = calloc(k * (d + 1) * (d + 1), sizeof(double));
    g->A = calloc(2 * P * P + 3 * P, sizeof(double));
    g->rhs = calloc(P, sizeof(double));
    g->theta = calloc(P, sizeof(double));
    g->trial = calloc(P, sizeof(double));
    g->dir = calloc(P, sizeof(double));
    g->safe = calloc(P, sizeof(double));
    g->lo = calloc(2 * P, sizeof(double));
    g->idx = calloc(P, sizeof(size_t));
    if (!g->free || !g->free0 || !g->grad || !g->fisher || !g->curv || !g->A || !g->rhs ||
        !g->theta || !g->trial || !g->dir || !g->safe || !g->lo || !g->idx)
        return GMOE_ENOMEM;
    g->hi = g->lo + P;
    return GMOE_SUCCESS;
}

void em_gate_sys_setup(em_gate_sys *g, size_t k, size_t d, gmoe_gate gate, int tau_free)
{
    size_t q = d + 1;
    g->has_tau = tau_free && (gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION);
    g->P = gate == GMOE_GATE_GAUSSIAN ? 0 : k * q + (g->has_tau ? 1 : 0);
    g->has_curv = gate == GMOE_GATE_SIGMOID;
    g->nfree = g->nfree0 = 0;
    g->kstat = k;
    if (g->P == 0) return;
    /* Translation-invariant gates pin the last expert's (beta0, beta1); the activation gate
     * is invariant only in beta0, the sigmoid gate not at all. */
    int shift1 =
        gate == GMOE_GATE_SOFTMAX || gate == GMOE_GATE_TOPK || gate == GMOE_GATE_TEMPERATURE;
    int shift0 = shift1 || gate == GMOE_GATE_ACTIVATION;
    size_t nf = 0;
    for (size_t j = 0; j < k; j++)
        for (size_t a = 0; a < q; a++) {
            int pinned = j == k - 1 && (a == 0 ? shift0 : shift1);
            if (!pinned) g->free[nf++] = j * q + a;
        }
    if (g->has_tau) g->free[nf++] = k * q;
    g->nfree = nf;
    g->kstat = shift1 && !g->has_tau ? k - 1 : k;
    size_t n0 = 0;
    for (size_t s = 0; s < nf; s++)
        if (g->free[s] % q == 0 && g->free[s] < k * q) g->free0[n0++] = g->free[s];
    g->nfree0 = n0;
}

void em_gate_sys_free(em_gate_sys *g)
{
    free(g->free);
    free(g->free0);
    free(g->grad);
    free(g->fisher);
    free(g->curv);
    free(g->A);
    free(g->rhs);
    free(g->theta);
    free(g->trial);
    free(g->dir);
    free(g->safe);
    free(g->lo);
    free(g->idx);
    memset(g, 0, sizeof *g);
}

/* The system matrix on the entries idx[0..ni) with ridge on its diagonal, and the gradient:
 * the Fisher (Gauss-Newton) matrix, plus the curvature term when newton is set (minus the
 * exact Hessian of Q). */
static void gate_system(em_gate_sys *g, const size_t *idx, size_t ni, double ridge, int newton,
                        size_t q)
{
    size_t P = g->P;
    for (size_t s = 0; s < ni; s++) {
        for (size_t t = 0; t < ni; t++) {
            size_t u = idx[s], v = idx[t];
            g->A[s * ni + t] = g->fisher[u * P + v];
            if (newton && u / q == v / q) { /* same expert: its block of curv */
                size_t a = u % q < v % q ? u % q : v % q, b = u % q < v % q ? v % q : u % q;
                g->A[s * ni + t] += g->curv[(u / q) * q * q + a * q + b];
            }
        }
        g->A[s * ni + s] += ridge;
        g->rhs[s] = g->grad[idx[s]];
    }
}

/* Newton direction on the entries idx[0..ni): (F + ridge) dir = grad, ridge = damping times
 * the largest diagonal entry (at least 1e-12 of it, so that exactly flat directions, such as
 * tau against beta1 in the temperature gate, cannot produce infinite steps); the ridge grows
 * until the Cholesky factorisation succeeds. The sigmoid gate takes the exact Hessian
 * instead of F when that is positive definite and the step is undamped: Gauss-Newton alone
 * converges linearly on its nearly flat directions (five gate passes per M-step where
 * Newton needs one or two); away from the maximum, where the Hessian can be indefinite,
 * Gauss-Newton's positive definite F keeps the step an ascent direction. */
static int gate_direction(em_gate_sys *g, const size_t *idx, size_t ni, double damping, size_t q,
                          double *decrement)
{
    size_t P = g->P;
    double dmax = 0;
    for (size_t s = 0; s < ni; s++) {
        double v = g->fisher[idx[s] * P + idx[s]];
        if (v > dmax) dmax = v;
    }
    if (!(dmax > 0)) return GMOE_ENUMERIC;
    double ridge = (damping > 1e-12 ? damping : 1e-12) * dmax;
    int newton = g->has_curv && damping == 0;
    for (int attempt = 0; attempt < 12; attempt++, ridge *= 100) {
        gate_system(g, idx, ni, ridge, newton, q);
        lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)ni, 1, g->A,
                                        (lapack_int)ni, g->rhs, 1);
        if (info < 0) return GMOE_ENUMERIC;
        if (info > 0 && newton) { /* not positive definite: Gauss-Newton, same ridge */
            newton = 0;
            attempt--;
            ridge /= 100;
            continue;
        }
        if (info > 0) continue;
        double dec = 0;
        memset(g->dir, 0, P * sizeof(double));
        for (size_t s = 0; s < ni; s++) {
            g->dir[idx[s]] = g->rhs[s];
            dec += g->rhs[s] * g->grad[idx[s]];
        }
        if (!isfinite(dec)) return GMOE_ENUMERIC;
        *decrement = dec;
        return GMOE_SUCCESS;
    }
    return GMOE_ENUMERIC;
}

/* gate_direction in the box of a bounded gate: entries on a bound whose gradient points
 * outward are held, and so is any entry on a bound that the direction would move outward
 * (then the direction is recomputed without it). What remains is an ascent direction along
 * which a short step stays in the box; longer steps are projected (gate_line_search). */
static int gate_direction_boxed(em_gate_sys *g, const size_t *idx, size_t ni, double damping,
                                size_t q, double *decrement)
{
    if (!g->bounded) return gate_direction(g, idx, ni, damping, q, decrement);
    size_t nf = em_bound_release(g, idx, ni, g->idx);
    for (;;) {
        if (nf == 0) return GMOE_ENUMERIC; /* every entry held: no step */
        int rc = gate_direction(g, g->idx, nf, damping, q, decrement);
        if (rc) return rc;
        size_t kept = em_bound_drop_outward(g, g->idx, nf);
        if (kept == nf) return GMOE_SUCCESS;
        nf = kept;
    }
}

/* Top-K: the largest step along dir before the selection of some observation changes. Every
 * selected expert carries responsibility, so a step past that point drops Q to -inf; the line
 * search starts inside instead. Keys are linear in the step t: key_j(t) = key_j + t slope_j.
 * Works block by block in the workspace's scratch (lw: keys, gb: slopes, eb: ranks). */
GMOE_KERNEL static double topk_max_step(gmoe_em *w, const double *theta, const double *dir)
{
    size_t n = w->n, k = w->k, d = w->d, q = w->q, B = GMOE_BLOCK;
    double K = (double)w->m->topk, tmax = INFINITY;
    int score = w->m->topk_select == GMOE_TOPK_SCORE;
    double *key = w->lw, *slope = w->gb, *rank = w->eb;
    /* Intercepts alone never change a selection by slopes. */
    int moves = score;
    for (size_t j = 0; j < k && !moves; j++)
        for (size_t t = 0; t < d; t++)
            moves |= dir[j * q + 1 + t] != 0;
    if (!moves) return INFINITY;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t mr = n - i0 < B ? n - i0 : B;
        for (size_t j = 0; j < k; j++) {
            double *kj = key + j * B, *sj = slope + j * B;
            double k0 = score ? theta[j * q] : 0, s0 = score ? dir[j * q] : 0;
            for (size_t r = 0; r < mr; r++)
                kj[r] = k0, sj[r] = s0;
            for (size_t t = 0; t < d; t++) {
                const double *xt = w->data->x + t * n + i0;
                double bt = theta[j * q + 1 + t], dt = dir[j * q + 1 + t];
#pragma omp simd
                for (size_t r = 0; r < mr; r++) {
                    kj[r] += bt * xt[r];
                    sj[r] += dt * xt[r];
                }
            }
        }
        gmoe__topk_ranks(key, B, k, mr, rank);
        for (size_t j = 0; j < k; j++)
            for (size_t l = 0; l < k; l++) {
                if (l == j) continue;
                const double *kj = key + j * B, *kl = key + l * B, *sj = slope + j * B,
                             *sl = slope + l * B, *rj = rank + j * B, *rl = rank + l * B;
                double m = tmax;
#pragma omp simd reduction(min : m)
                for (size_t r = 0; r < mr; r++) {
                    int cross = rj[r] < K && rl[r] >= K && sl[r] > sj[r];
                    double tc = cross ? (kj[r] - kl[r]) / (sl[r] - sj[r]) : INFINITY;
                    m = tc < m ? tc : m;
                }
                tmax = m;
            }
    }
    return tmax;
}

/* Line search along g->dir from g->theta: halve the step until Q does not decrease.
 * Returns 1 if a step was accepted (g->trial, statistics in g), 0 if none was, or a
 * negative error code. *clipped: 1 if a top-K selection boundary cut the step, 2 if one
 * left no room at all (nothing evaluated: the statistics in g are still those at theta). */
static int gate_line_search(gmoe_em *w, double Q0, int tiny, int *clipped)
{
    em_gate_sys *g = &w->g;
    double step = 1.0;
    *clipped = 0;
    if (w->gate == GMOE_GATE_TOPK) {
        double tmax = topk_max_step(w, g->theta, g->dir);
        *clipped = tmax < 1e-12 ? 2 : tmax <= 1.0;
        if (*clipped == 2) return 0;
        if (tmax <= 1.0) step = 0.9 * tmax;
    }
    for (int h = 0; h < 12; h++, step *= 0.5) {
        for (size_t s = 0; s < g->P; s++)
            g->trial[s] = g->theta[s] + step * g->dir[s];
        em_bound_project(g, g->trial);
        /* tau = exp(log tau) must stay a finite positive number: a flat direction of the
         * Fisher matrix can propose a huge step in log tau. */
        if (g->has_tau && !(fabs(g->trial[g->P - 1]) < 50)) continue;
        em_theta_to_gate(w, g->trial, w->trial);
        int rc = em_gate_pass(w, w->trial);
        if (rc && rc != GMOE_ENUMERIC) return -rc;
        if (rc == GMOE_ENUMERIC && w->gate == GMOE_GATE_TOPK) return 0; /* selection changed */
        if (rc == GMOE_SUCCESS && (g->Q >= Q0 || tiny)) return 1;
    }
    return 0;
}

/* Gamma = S floored: the maximiser of sum_i r_ij log N(x_i; c_j, Gamma) over the Gamma with
 * Gamma >= F = diag(f) (positive semi-definite order), S the weighted covariance. In the
 * frame whitened by F that is S with its eigenvalues raised to 1 at least: the objective
 * -N/2 (log det Gamma + tr(Gamma^-1 S)) depends on the eigenvalues alone once the
 * eigenvectors are S's, and each eigenvalue's term is maximised at max(lambda, 1). S (d*d,
 * row-major) is overwritten with Gamma; returns 1 if some eigenvalue was raised. */
static int gauss_floor_cov(double *S, const double *f, size_t d, double *scr)
{
    double *V = scr, *lam = V + d * d, *wk = lam + d, *sq = wk + 3 * d;
    for (size_t s = 0; s < d; s++)
        sq[s] = sqrt(f[s]);
    for (size_t s = 0; s < d; s++)
        for (size_t t = 0; t < d; t++)
            V[s * d + t] = S[s * d + t] / (sq[s] * sq[t]);
    /* The _work interface with scratch of the workspace: no allocation (a symmetric matrix
     * reads the same in either storage order). */
    lapack_int info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)d, V,
                                         (lapack_int)d, lam, wk, (lapack_int)(3 * d));
    if (info != 0) return -1;
    int raised = 0;
    for (size_t e = 0; e < d; e++)
        if (!(lam[e] >= 1.0)) lam[e] = 1.0, raised = 1;
    if (!raised) return 0;
    /* Column-major V: eigenvector e is V[e*d .. e*d + d). Gamma = F^1/2 V diag(lam) V' F^1/2. */
    for (size_t s = 0; s < d; s++)
        for (size_t t = 0; t < d; t++) {
            double v = 0;
            for (size_t e = 0; e < d; e++)
                v += V[e * d + s] * lam[e] * V[e * d + t];
            S[s * d + t] = v * sq[s] * sq[t];
        }
    return 1;
}

/* The Gaussian gate's M-step for the joint likelihood of (x, y): pi_j the mean
 * responsibility, c_j and Gamma_j the responsibility-weighted mean and covariance of x
 * (floored), all from the expert statistics of the E-step (Sxx holds sum r z z' with
 * z = (1, x - xbar)). An exact maximiser of the expected complete-data joint
 * log-likelihood over the gate, so the joint log-likelihood never decreases. */
static int gauss_mstep(gmoe_em *w)
{
    size_t k = w->k, d = w->d, q = w->q;
    gmoe_model *m = w->m;
    double *S = w->gscr + d * d + 5 * d; /* d*d after the eigen scratch */
    w->gamma_floored = 0;
    for (size_t j = 0; j < k; j++) {
        const double *Z = w->Sxx + j * q * q;
        double N = Z[0];
        /* An expert with (almost) no weight keeps its c and Gamma, whose moments would be
         * rounding noise (its term in the objective is that small too); its pi gets at least
         * the smallest weight that keeps log pi finite. */
        double pj = N / (double)w->n;
        m->pi[j] = pj > 1e-300 ? pj : 1e-300;
        if (!(N > 1e-12)) continue;
        for (size_t a = 0; a < d; a++)
            m->c[j * d + a] = w->xbar[a] + Z[1 + a] / N;
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++)
                S[a * d + b] = Z[(1 + a) * q + 1 + b] / N - (Z[1 + a] / N) * (Z[1 + b] / N);
        int rc = w->gfloor[0] > 0 ? gauss_floor_cov(S, w->gfloor, d, w->gscr) : 0;
        if (rc < 0) return GMOE_ENUMERIC;
        w->gamma_floored += (size_t)rc;
        memcpy(m->Gamma + j * d * d, S, d * d * sizeof(double));
    }
    return GMOE_SUCCESS;
}

int em_mstep_gate(gmoe_em *w, int unchecked)
{
    em_gate_sys *g = &w->g;
    w->gate_unchecked = 0;
    if (w->gate == GMOE_GATE_GAUSSIAN) return gauss_mstep(w);
    em_gate_to_theta(w, w->m, g->theta);
    gmoe_model_copy(w->trial, w->m);
    int jammed = 0; /* top-K: the slopes sit on a selection boundary, only intercepts move */
    for (size_t it = 0; it < w->par.gate_newton; it++) {
        double dec = 0, Q0 = g->Q;
        if (gate_direction_boxed(g, jammed ? g->free0 : g->free, jammed ? g->nfree0 : g->nfree, 0,
                                 w->q, &dec) != GMOE_SUCCESS)
            break;
        /* Below this predicted gain the change in Q is lost in rounding: the gate stays. */
        if (dec <= 1e-13 * (fabs(Q0) + 1.0)) break;
        /* A predicted gain of at most 1e-6 per observation (a mean square change of the gate
         * scores of 1e-6) is a step deep inside the region where the quadratic model of Q
         * holds, and near convergence every step is one: the line search would accept the
         * full step at the price of a pass over the data. Take it unchecked; the caller's
         * next E-step checks the log-likelihood instead. Not for top-K (a step can change the
         * selection) nor for a step in log tau out of range. */
        if (unchecked && w->gate != GMOE_GATE_TOPK && dec <= 1e-6 * (fabs(Q0) + (double)w->n) &&
            !(g->has_tau && !(fabs(g->theta[g->P - 1] + g->dir[g->P - 1]) < 50))) {
            memcpy(g->safe, g->theta, g->P * sizeof(double));
            for (size_t s = 0; s < g->P; s++)
                g->theta[s] += g->dir[s];
            em_bound_project(g, g->theta);
            w->gate_unchecked = 1;
            /* The Fisher matrix only sets the direction (any positive-definite matrix gives
             * an ascent direction; the fixed point comes from the exact gradient): after
             * such small steps the one of a nearby gate serves, and the E-step skips it
             * until the scores have moved by a summed RMS change of 1e-2. */
            w->fisher_drift += sqrt(dec / (double)w->n);
            if (w->fisher_drift > 1e-2) w->fisher_ok = 0;
            break;
        }
        int clipped, acc = gate_line_search(w, Q0, 0, &clipped);
        /* The Gauss-Newton matrix of the temperature and activation gates can be nearly
         * singular where its neglected curvature is not (tanh gates at symmetric slopes): the
         * step then runs along a flat direction and no halving helps. Levenberg-Marquardt:
         * damp it towards the gradient and try again, from the statistics at theta. */
        for (double damp = 1e-4;
             acc == 0 && damp <= 1.0 && w->gate != GMOE_GATE_SOFTMAX && w->gate != GMOE_GATE_TOPK;
             damp *= 100) {
            em_theta_to_gate(w, g->theta, w->trial);
            if (em_gate_pass(w, w->trial) != GMOE_SUCCESS) break;
            if (gate_direction_boxed(g, g->free, g->nfree, damp, w->q, &dec) != GMOE_SUCCESS) break;
            acc = gate_line_search(w, Q0, dec <= 1e-13 * (fabs(Q0) + 1.0), &clipped);
        }
        if (acc == 0 && w->gate == GMOE_GATE_TOPK && !jammed) {
            /* A top-K step that moves the slopes changes which experts are selected where
             * responsibilities are positive, so Q drops to -inf; the intercepts alone (slope
             * selection) keep the selection, for the rest of this M-step. The statistics at
             * theta are needed again if a rejected trial overwrote them. */
            jammed = 1;
            em_theta_to_gate(w, g->theta, w->trial);
            if (clipped != 2 && em_gate_pass(w, w->trial) != GMOE_SUCCESS) break;
            if (gate_direction_boxed(g, g->free0, g->nfree0, 0, w->q, &dec) == GMOE_SUCCESS)
                acc = gate_line_search(w, Q0, dec <= 1e-13 * (fabs(Q0) + 1.0), &clipped);
        }
        if (acc < 0) return -acc;
        if (acc == 0) {
            /* No step increased Q: keep the gate (a generalised EM step may leave it). The
             * statistics in g are those of a rejected trial. */
            em_theta_to_gate(w, g->theta, w->trial);
            w->fisher_ok = 0;
            break;
        }
        memcpy(g->theta, g->trial, g->P * sizeof(double));
        /* A step cut short by a top-K selection boundary: the next direction runs into the
         * same boundary, and each try costs two passes over the data for a sliver of Q. The
         * next EM iteration takes it up with fresh responsibilities. */
        if (clipped == 1) break;
        /* A step that gained no more than an unchecked one may (1e-6 per observation) ends
         * the M-step too: Q is flat here, and more steps would cost a pass each for nothing
         * (the sigmoid gate from a random partition crawls along the nearly flat ridge of a
         * common intercept, at 1e-5 per step, for all its Newton steps). */
        if (g->Q - Q0 <= 1e-6 * (fabs(Q0) + (double)w->n)) break;
    }
    em_theta_to_gate(w, g->theta, w->m);
    return GMOE_SUCCESS;
}
