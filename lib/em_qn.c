/* Quasi-Newton acceleration of EM (gmoe_em.h, accel_method GMOE_ACCEL_QN).
 *
 * Near an over-specified fit's maximum the log-likelihood l is nearly flat along the
 * directions in which two experts of one true expert trade mass and slope: EM's rate there is
 * close to 1 (its map contracts by the fraction of missing information), and SQUAREM, which
 * extrapolates along one or two of EM's steps, still crawls: on softmax-over-k4-gmoe a start
 * ends, by the per-observation rule, about a unit of log-likelihood below the maximum that
 * the same fit reaches when run to 1e-12. A Newton-type method learns those directions.
 *
 * Each step works on the free coordinates x of em_pack (gate parameters that are not pinned
 * by the canonical form, expert coefficients, log variances) with what one E-step gives:
 * the exact gradient of l (Fisher's identity: the gradient of Q at the current point), and
 * the complete-data information D = -d2Q (block diagonal: the gate's Fisher matrix, each
 * expert's weighted z z' / v and its log variance's sum r e^2 / 2v). H, a BFGS approximation
 * of the observed information -d2l, starts at D and learns the missing information from
 * the gradients (secant pairs; a pair without positive curvature is skipped, so that H stays
 * positive definite). The step solves (H + lambda D) dx = grad l (Levenberg-Marquardt in the
 * metric of D: lambda large gives a short EM-gradient step, lambda 0 the quasi-Newton step)
 * and is taken only if the E-step at x + dx finds a log-likelihood at least that at x;
 * otherwise lambda grows and the step is tried again, and after QN_TRIES refusals the step
 * falls back to one EM map (a generalised EM step, which never lowers l). lambda follows
 * the ratio of the actual to the predicted gain. So the log-likelihood never decreases.
 *
 * One iteration of an accelerated run is a cycle of QN_CYCLE steps, the work of one SQUAREM
 * cycle (three maps), so that the stopping rule |l_t - l_(t-1)| <= tol n compares the same
 * amount of progress: tested after every single step, one step that happens to gain little
 * while the steps around it gain much would stop the fit early. D is refreshed (the gate's
 * Fisher matrix built) at the first step of each cycle only: it scales the damping and seeds
 * H; the curvature that matters is H's.
 *
 * With a gate bound (the compact parameter set, bound.c) the method is a projected one: gate
 * coordinates on a bound whose gradient points out of the box are held, the step is solved
 * in the others (qn_active_set), its point is projected onto the box (em_unpack), and the
 * predicted gain that steers lambda is that of the projected step. The acceptance test is
 * unchanged, so the log-likelihood still never decreases.
 *
 * The Gaussian gate (joint likelihood, closed-form M-step) is not covered: it is accelerated
 * by SQUAREM whatever accel_method says. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "em_internal.h"

#define QN_CYCLE 3 /* steps per iteration */
#define QN_TRIES 5 /* refused steps before an EM map */

struct em_qn {
    size_t nmax;           /* coordinates the state is sized for */
    size_t N;              /* free coordinates of the current fit */
    size_t *idx;           /* N: each coordinate's index in em_pack's vector */
    double *H;             /* N*N: BFGS approximation of -d2l */
    double *D;             /* N*N: complete-data information -d2Q (block diagonal) */
    double *A;             /* N*N: H + lambda D, factored */
    double *g, *g_prev;    /* N: gradient of l at the current and the previous point */
    double *dir, *Hs, *yv; /* N: scratch */
    double *x, *x_prev;    /* npar: packed current and previous points */
    double *trial;         /* npar */
    size_t *fi;            /* N: the coordinates a step moves (not held on a bound) */
    size_t nfi;
    double lambda;
    int have_H, have_prev;
};

em_qn *em_qn_alloc(size_t nmax, size_t npar)
{
    em_qn *qn = calloc(1, sizeof *qn);
    if (!qn) return NULL;
    qn->nmax = nmax;
    qn->idx = calloc(nmax, sizeof(size_t));
    qn->fi = calloc(nmax, sizeof(size_t));
    qn->H = calloc(3 * nmax * nmax + 5 * nmax + 3 * npar, sizeof(double));
    if (!qn->idx || !qn->fi || !qn->H) {
        em_qn_free(qn);
        return NULL;
    }
    qn->D = qn->H + nmax * nmax;
    qn->A = qn->D + nmax * nmax;
    qn->g = qn->A + nmax * nmax;
    qn->g_prev = qn->g + nmax;
    qn->dir = qn->g_prev + nmax;
    qn->Hs = qn->dir + nmax;
    qn->yv = qn->Hs + nmax;
    qn->x = qn->yv + nmax;
    qn->x_prev = qn->x + npar;
    qn->trial = qn->x_prev + npar;
    return qn;
}

void em_qn_free(em_qn *qn)
{
    if (!qn) return;
    free(qn->idx);
    free(qn->fi);
    free(qn->H);
    free(qn);
}

/* The coordinates of the fit in w: the free gate entries, then every a, b and log variance
 * (em_pack's order). */
void em_qn_reset(gmoe_em *w)
{
    em_qn *qn = w->qn;
    size_t nf = w->g.nfree, ne = w->k * w->d + 2 * w->k;
    qn->N = nf + ne;
    for (size_t s = 0; s < nf; s++)
        qn->idx[s] = w->g.free[s];
    for (size_t s = 0; s < ne; s++)
        qn->idx[nf + s] = w->ngate + s;
    qn->lambda = 1.0;
    qn->have_H = 0;
    qn->have_prev = 0;
}

/* The gradient of l at the current E-step, and with with_D the complete-data information D.
 * Expert j's line is b_j + a_j'x = c'z with z = (1, x); the E-step's sums are over the
 * centred zc = (1, x - xbar) = T^-1 z and the residuals e about the current line, so that
 * dl/dc = T sum r e zc / v and -d2Q/dc dc' = T (sum r zc zc') T' / v. The cross term between
 * c and log v (-sum r e z / v) vanishes at the M-step's solution and is left out of D, which
 * keeps D positive definite away from it too. */
static void qn_derivs(gmoe_em *w, int with_D)
{
    em_qn *qn = w->qn;
    size_t k = w->k, d = w->d, q = w->q, nf = w->g.nfree, P = w->g.P, N = qn->N;
    double *g = qn->g, *D = qn->D;
    for (size_t s = 0; s < nf; s++)
        g[s] = w->g.grad[w->g.free[s]];
    if (with_D) {
        memset(D, 0, N * N * sizeof(double));
        for (size_t s = 0; s < nf; s++)
            for (size_t t = 0; t < nf; t++)
                D[s * N + t] = w->g.fisher[w->g.free[s] * P + w->g.free[t]];
    }
    for (size_t j = 0; j < k; j++) {
        double v = w->m->var[j];
        const double *S = w->Sxx + j * q * q, *sy = w->Sxy + j * q;
        size_t ib = nf + k * d + j, iv = nf + k * d + k + j;
        g[ib] = sy[0] / v;
        for (size_t t = 0; t < d; t++)
            g[nf + j * d + t] = (sy[1 + t] + w->xbar[t] * sy[0]) / v;
        g[iv] = 0.5 * (w->Ssq[j] / v - w->Sr[j]);
        if (!with_D) continue;
        /* Rows/columns u of c = (b, a): coordinate ib for u = 0, nf + j d + u - 1 after. */
        for (size_t u = 0; u < q; u++) {
            size_t iu = u == 0 ? ib : nf + j * d + u - 1;
            for (size_t r = 0; r < q; r++) {
                size_t ir = r == 0 ? ib : nf + j * d + r - 1;
                double val = S[u * q + r];
                if (u > 0) val += w->xbar[u - 1] * S[r];
                if (r > 0) val += w->xbar[r - 1] * S[u * q];
                if (u > 0 && r > 0) val += w->xbar[u - 1] * w->xbar[r - 1] * S[0];
                D[iu * N + ir] = val / v;
            }
        }
        D[iv * N + iv] = 0.5 * w->Ssq[j] / v;
    }
    if (!with_D) return;
    /* An expert or a gate parameter without weight leaves a zero row: a ridge of 1e-10 of
     * the largest diagonal entry keeps D (and H + lambda D) factorable. */
    double dmax = 0;
    for (size_t s = 0; s < N; s++)
        if (D[s * N + s] > dmax) dmax = D[s * N + s];
    double ridge = dmax > 0 ? 1e-10 * dmax : 1.0;
    for (size_t s = 0; s < N; s++)
        D[s * N + s] += ridge;
}

/* BFGS update of H from the step s = x - x_prev and y = -(g - g_prev), the change of minus
 * the gradient; skipped unless s'y > 0 (curvature along s that -l being convex would give),
 * which keeps H positive definite. */
static void qn_update(em_qn *qn)
{
    size_t N = qn->N;
    double sHs = 0, sy = 0;
    for (size_t a = 0; a < N; a++) {
        size_t ia = qn->idx[a];
        double sa = qn->x[ia] - qn->x_prev[ia], h = 0;
        for (size_t b = 0; b < N; b++)
            h += qn->H[a * N + b] * (qn->x[qn->idx[b]] - qn->x_prev[qn->idx[b]]);
        qn->Hs[a] = h;
        qn->yv[a] = qn->g_prev[a] - qn->g[a];
        sHs += sa * h;
        sy += sa * qn->yv[a];
    }
    if (!(sHs > 0) || !(sy > 1e-10 * sHs)) return;
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++)
            qn->H[a * N + b] += qn->yv[a] * qn->yv[b] / sy - qn->Hs[a] * qn->Hs[b] / sHs;
}

/* The active set of the box (gmoe_em_params.gate_bound): a gate coordinate on a bound whose
 * gradient points out of the box is held for the step, and the step is the quasi-Newton step
 * in the others (projected Newton, Bertsekas 1982). Without it the step solves for the held
 * coordinates too; the projection then cuts the step short in a direction the quadratic model
 * did not plan, every step gains little, and the stopping rule, which reads a small gain as
 * convergence, stops the fit far from the box's maximum. The coordinates moved are fi. A
 * coordinate counts as on its bound within a relative 1e-12 (log tau goes through exp). */
static void qn_active_set(const gmoe_em *w, em_qn *qn, const double *x)
{
    const em_gate_sys *gs = &w->g;
    size_t nf = gs->nfree;
    qn->nfi = 0;
    for (size_t a = 0; a < qn->N; a++) {
        if (a < nf && gs->bounded) {
            size_t e = qn->idx[a];
            double v = x[e], tol = 1e-12 * fmax(1.0, fabs(v));
            if ((v <= gs->lo[e] + tol && qn->g[a] <= 0) || (v >= gs->hi[e] - tol && qn->g[a] >= 0))
                continue;
        }
        qn->fi[qn->nfi++] = a;
    }
}

/* dir = (H + lambda D)^-1 g on the coordinates fi, 0 on the held ones; nonzero if the matrix
 * is not positive definite. */
static int qn_direction(em_qn *qn)
{
    size_t N = qn->N, m = qn->nfi;
    const size_t *fi = qn->fi;
    memset(qn->dir, 0, N * sizeof(double));
    if (m == 0) return 0;
    for (size_t a = 0; a < m; a++) {
        for (size_t b = 0; b < m; b++) {
            size_t ab = fi[a] * N + fi[b];
            qn->A[a * m + b] = qn->H[ab] + qn->lambda * qn->D[ab];
        }
        qn->Hs[a] = qn->g[fi[a]]; /* the reduced right-hand side */
    }
    lapack_int info =
        LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)m, 1, qn->A, (lapack_int)m, qn->Hs, 1);
    if (info != 0) return 1;
    for (size_t a = 0; a < m; a++) {
        if (!isfinite(qn->Hs[a])) return 1;
        qn->dir[fi[a]] = qn->Hs[a];
    }
    return 0;
}

/* A step that changes log tau by more than 1 (tau by a factor e) is shortened to that, the
 * whole step scaled alike. Near a flat start gate the information on log tau is nearly 0, the
 * first steps (H = D) propose a huge change, and the likelihood of a flat gate (tau of 1e5 and
 * up) can beat a poor start: the step would be accepted and the fit would end on the plateau
 * of flat gates, where every gradient vanishes, far below the maximum that EM finds. */
static void qn_cap_tau(const gmoe_em *w, em_qn *qn)
{
    if (!w->g.has_tau) return;
    size_t a = w->g.nfree - 1; /* log tau is the last free gate entry */
    double dt = fabs(qn->dir[a]);
    if (qn->idx[a] != w->g.P - 1 || !(dt > 1)) return;
    for (size_t b = 0; b < qn->N; b++)
        qn->dir[b] /= dt;
}

/* One step from the current point (its E-step done). fresh_next: the E-step of the new point
 * builds the gate's Fisher matrix (the next step refreshes D). */
static int qn_step(gmoe_em *w, int with_D, int fresh_next)
{
    em_qn *qn = w->qn;
    size_t N = qn->N;
    double ll0 = w->ll;
    em_pack(w, qn->x);
    qn_derivs(w, with_D);
    if (qn->have_prev) qn_update(qn);
    if (!qn->have_H) {
        memcpy(qn->H, qn->D, N * N * sizeof(double));
        qn->have_H = 1;
    }
    memcpy(qn->x_prev, qn->x, w->npar * sizeof(double));
    memcpy(qn->g_prev, qn->g, N * sizeof(double));
    qn->have_prev = 1;
    qn_active_set(w, qn, qn->x);
    for (int tries = 0; tries < QN_TRIES; tries++, qn->lambda = 4 * qn->lambda + 1e-3) {
        if (qn_direction(qn)) continue;
        qn_cap_tau(w, qn);
        memcpy(qn->trial, qn->x, w->npar * sizeof(double));
        for (size_t a = 0; a < N; a++)
            qn->trial[qn->idx[a]] += qn->dir[a];
        /* As in the gate M-step (mstep.c): a step to |log tau| >= 50 is not a point to try.
         * Out there the scores are flat (or saturated): a plateau on which the step would be
         * accepted and every later step gain nothing, far from the maximum. */
        int tau_out = w->g.has_tau && !(fabs(qn->trial[w->g.P - 1]) < 50);
        if (tau_out || em_unpack(w, qn->trial) != GMOE_SUCCESS) { /* projects the gate */
            w->refused++;
            continue;
        }
        /* The gain the quadratic model predicts for the step actually taken (projected). */
        if (w->g.bounded)
            for (size_t a = 0; a < N; a++)
                qn->dir[a] = qn->trial[qn->idx[a]] - qn->x[qn->idx[a]];
        double pred = 0, quad = 0;
        for (size_t a = 0; a < N; a++) {
            double h = 0;
            for (size_t b = 0; b < N; b++)
                h += qn->H[a * N + b] * qn->dir[b];
            pred += qn->g[a] * qn->dir[a];
            quad += qn->dir[a] * h;
        }
        pred -= 0.5 * quad;
        /* em_unpack cleared fisher_ok: a stale Fisher matrix serves the next step's D. */
        w->fisher_ok = !fresh_next;
        if (em_estep(w) != GMOE_SUCCESS || !(w->ll >= ll0)) continue;
        w->maps++;
        if (pred > 0) {
            double rho = (w->ll - ll0) / pred;
            if (rho > 0.75)
                qn->lambda /= 3;
            else if (rho < 0.25)
                qn->lambda *= 2;
        }
        return GMOE_SUCCESS;
    }
    /* Every try lowered the log-likelihood (or was invalid): one EM map from the current
     * point, whose E-step statistics the tries overwrote. */
    qn->lambda = 1.0;
    int rc = em_unpack(w, qn->x);
    w->fisher_ok = 0;
    w->fast_full = 1; /* the gate M-step needs Q and the responsibilities */
    if (!rc) rc = em_estep(w);
    w->fast_full = 0;
    if (!rc) rc = em_map_step(w);
    return rc;
}

int em_qn_cycle(gmoe_em *w)
{
    for (int c = 0; c < QN_CYCLE; c++) {
        int rc = qn_step(w, c == 0, c == QN_CYCLE - 1);
        if (rc) return rc;
    }
    return GMOE_SUCCESS;
}
