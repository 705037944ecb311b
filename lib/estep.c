/* The passes over the data: the E-step (responsibilities, log-likelihood, expert and gate
 * statistics in one pass) and the gate pass of the line search. Everything works block by
 * block on scratch allocated with the workspace: no allocation here. Loops run over the
 * rows of a block innermost, with exp and log from vmath.h, so that they vectorise. */
#include <config.h>
#include <math.h>
#include <string.h>
#include "em_internal.h"
#include "vmath.h"

#define B GMOE_BLOCK
#define LOG_2PI 1.8378770664093454836

/* Sum of a[r] * b[r] over a block. */
static inline double dot(const double *a, const double *b, size_t mr)
{
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t r = 0; r < mr; r++)
        s += a[r] * b[r];
    return s;
}

/* Sum of a[r] * b[r] * c[r] over a block. */
static inline double dot3(const double *a, const double *b, const double *c, size_t mr)
{
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t r = 0; r < mr; r++)
        s += a[r] * b[r] * c[r];
    return s;
}

/* out[r] = c0 + coef'x_r over the block's rows [i0, i0+mr): a gate's linear score or an
 * expert's mean (coef has d entries). */
static inline void block_linear(const gmoe_em *w, double c0, const double *coef, size_t i0,
                                size_t mr, double *out)
{
    size_t n = w->n, d = w->d;
    for (size_t r = 0; r < mr; r++)
        out[r] = c0;
    for (size_t t = 0; t < d; t++) {
        const double *xt = w->data->x + t * n + i0;
        double ct = coef[t];
#pragma omp simd
        for (size_t r = 0; r < mr; r++)
            out[r] += ct * xt[r];
    }
}

/* Jacobian of the gate scores s_ij in each expert's own (beta0_j, beta1_j), and in log tau.
 * Linear-score gates share one feature vector (1, x) among the experts: phi of expert 0
 * then serves all of them (w->phi_shared). The sigmoid gate is the softmax of the scores
 * u_j = log sigmoid(t_j), t_j = beta0_j + beta1_j'x, so its features are (1, x) times
 * du_j/dt_j = sigmoid(-t_j). */
GMOE_KERNEL static void gate_features(gmoe_em *w, const gmoe_model *gm, size_t i0, size_t mr)
{
    size_t k = w->k, d = w->d, q = w->q, n = w->n;
    const double *x = w->data->x;
    double itau = 1.0 / gm->tau;
    w->phi_shared = w->gate == GMOE_GATE_SOFTMAX || w->gate == GMOE_GATE_TOPK ||
                    (w->gate == GMOE_GATE_TEMPERATURE && !w->g.has_tau);
    size_t kk = w->phi_shared ? 1 : k;
    w->phix = NULL;
    for (size_t j = 0; j < kk; j++) {
        double *ph = w->phi + j * q * B, *ps = w->psi + j * B;
        for (size_t r = 0; r < mr; r++)
            ph[r] = 1.0;
        switch (w->gate) {
        case GMOE_GATE_TEMPERATURE:
            for (size_t r = 0; r < mr; r++)
                ps[r] = 0;
            for (size_t t = 0; t < d; t++) {
                const double *xt = x + t * n + i0;
                double bt = gm->beta1[j * d + t];
                double *pt = ph + (1 + t) * B;
#pragma omp simd
                for (size_t r = 0; r < mr; r++) {
                    pt[r] = xt[r] * itau;
                    ps[r] -= bt * pt[r];
                }
            }
            break;
        case GMOE_GATE_ACTIVATION:
            block_linear(w, 0.0, gm->beta1 + j * d, i0, mr, ps);
            /* act and act' of the linear part; ph[0..B) holds act' until the ones go in. */
            gmoe__vact(gm->act == GMOE_ACT_SIGMOID, ps, ps, ph, mr);
            for (size_t t = 0; t < d; t++) {
                const double *xt = x + t * n + i0;
                double *pt = ph + (1 + t) * B;
#pragma omp simd
                for (size_t r = 0; r < mr; r++)
                    pt[r] = ph[r] * itau * xt[r];
            }
#pragma omp simd
            for (size_t r = 0; r < mr; r++) {
                ps[r] *= -itau;
                ph[r] = 1.0;
            }
            break;
        case GMOE_GATE_SIGMOID:
            block_linear(w, gm->beta0[j], gm->beta1 + j * d, i0, mr, ph);
#pragma omp simd
            for (size_t r = 0; r < mr; r++)
                ph[r] = gmoe__vsigmoid(-ph[r]);
            for (size_t t = 0; t < d; t++) {
                const double *xt = x + t * n + i0;
                double *pt = ph + (1 + t) * B;
#pragma omp simd
                for (size_t r = 0; r < mr; r++)
                    pt[r] = ph[r] * xt[r];
            }
            break;
        default: /* the features (1, x): phi_of points into the data, no copy */
            w->phix = x + i0;
            break;
        }
    }
}

static inline const double *phi_of(const gmoe_em *w, size_t j, size_t a)
{
    if (a > 0 && w->phix) return w->phix + (a - 1) * w->n;
    return w->phi + ((w->phi_shared ? 0 : j) * w->q + a) * B;
}

/* The sigmoid gate's curvature term (em_gate_sys.curv) of a block: eb holds r - g, phi of
 * expert j starts with sigmoid(-t_j). */
GMOE_KERNEL static void sigmoid_curvature(gmoe_em *w, size_t i0, size_t mr)
{
    size_t k = w->k, d = w->d, q = w->q, n = w->n;
    const double *x = w->data->x;
    double *wv = w->wb;
    for (size_t j = 0; j < k; j++) {
        const double *sb = phi_of(w, j, 0), *ej = w->eb + j * B;
        double *C = w->g.curv + j * q * q;
#pragma omp simd
        for (size_t r = 0; r < mr; r++)
            wv[r] = ej[r] * sb[r] * (1.0 - sb[r]);
        double s0 = 0;
#pragma omp simd reduction(+ : s0)
        for (size_t r = 0; r < mr; r++)
            s0 += wv[r];
        C[0] += s0;
        for (size_t a = 0; a < d; a++) {
            const double *xa = x + a * n + i0;
            C[1 + a] += dot(wv, xa, mr);
            for (size_t b = a; b < d; b++)
                C[(1 + a) * q + 1 + b] += dot3(wv, xa, x + b * n + i0, mr);
        }
    }
}

/* Add the block's contribution to Q, its gradient and the Fisher matrix (upper triangle).
 * rb holds the block's responsibilities with row stride rld, lw and gb its log gate weights
 * and gate weights. */
GMOE_KERNEL static double gate_accumulate(gmoe_em *w, const gmoe_model *gm, size_t i0, size_t mr,
                                          const double *rb, size_t rld, int fisher)
{
    size_t k = w->k, q = w->q;
    em_gate_sys *g = &w->g;
    size_t P = g->P, ks = g->kstat; /* experts j >= ks: pinned, no gradient or Fisher */
    double Q = 0;
    gate_features(w, gm, i0, mr);
    for (size_t j = 0; j < k; j++) {
        const double *lj = w->lw + j * B, *rj = rb + j * rld;
        double *gj = w->gb + j * B, *ej = w->eb + j * B;
        double qj = 0;
#pragma omp simd reduction(+ : qj)
        for (size_t r = 0; r < mr; r++) {
            ej[r] = rj[r] - gj[r];
            qj += rj[r] > 0 ? rj[r] * lj[r] : 0.0;
        }
        Q += qj;
        if (j < ks)
            for (size_t a = 0; a < q; a++)
                g->grad[j * q + a] += dot(ej, phi_of(w, j, a), mr);
    }
    if (g->has_tau)
        for (size_t j = 0; j < k; j++)
            g->grad[P - 1] += dot(w->eb + j * B, w->psi + j * B, mr);
    if (g->has_curv) sigmoid_curvature(w, i0, mr);
    if (!fisher) return Q;
    if (w->phi_shared && !g->has_tau)
        for (size_t a = 0, c = 0; a < q; a++)
            for (size_t b = a; b < q; b++, c++) {
                const double *pa = phi_of(w, 0, a), *pb = phi_of(w, 0, b);
                double *pc = w->pp + c * B;
#pragma omp simd
                for (size_t r = 0; r < mr; r++)
                    pc[r] = pa[r] * pb[r];
            }
    double *wb = w->wb;
    for (size_t j = 0; j < ks; j++) {
        const double *gj = w->gb + j * B;
        for (size_t l = j; l < ks; l++) {
            const double *gl = w->gb + l * B;
            if (l == j) {
#pragma omp simd
                for (size_t r = 0; r < mr; r++)
                    wb[r] = gj[r] * (1.0 - gj[r]);
            } else {
#pragma omp simd
                for (size_t r = 0; r < mr; r++)
                    wb[r] = -gj[r] * gl[r];
            }
            if (w->phi_shared && !g->has_tau) {
                /* One feature vector for all experts: block (j, l) is symmetric, and its
                 * entries are dot products of the pair weights with precomputed products. */
                for (size_t a = 0, c = 0; a < q; a++)
                    for (size_t b = a; b < q; b++, c++) {
                        double v = dot(wb, w->pp + c * B, mr);
                        g->fisher[(j * q + a) * P + l * q + b] += v;
                        if (l != j && b != a) g->fisher[(j * q + b) * P + l * q + a] += v;
                    }
                continue;
            }
            for (size_t a = 0; a < q; a++) {
                const double *pa = phi_of(w, j, a);
                for (size_t b = (l == j ? a : 0); b < q; b++)
                    g->fisher[(j * q + a) * P + l * q + b] += dot3(wb, pa, phi_of(w, l, b), mr);
                if (g->has_tau) {
                    /* F[(j,a), tau] = sum_l W_jl phi_ja psi_l; pairs (j,l) and (l,j) share W. */
                    g->fisher[(j * q + a) * P + P - 1] += dot3(wb, pa, w->psi + l * B, mr);
                    if (l != j)
                        g->fisher[(l * q + a) * P + P - 1] +=
                            dot3(wb, phi_of(w, l, a), w->psi + j * B, mr);
                }
            }
            if (g->has_tau) {
                double s = dot3(wb, w->psi + j * B, w->psi + l * B, mr);
                g->fisher[(P - 1) * P + P - 1] += l == j ? s : 2 * s;
            }
        }
    }
    return Q;
}

static void gate_stats_zero(em_gate_sys *g, size_t k, size_t q, int fisher)
{
    memset(g->grad, 0, g->P * sizeof(double));
    if (g->has_curv) memset(g->curv, 0, k * q * q * sizeof(double));
    if (fisher) memset(g->fisher, 0, g->P * g->P * sizeof(double));
    g->Q = 0;
}

/* Fill the lower triangle of the Fisher matrix from the upper one. */
static void gate_stats_symmetrize(em_gate_sys *g)
{
    size_t P = g->P;
    for (size_t s = 0; s < P; s++)
        for (size_t t = 0; t < s; t++)
            g->fisher[s * P + t] = g->fisher[t * P + s];
}

/* Responsibilities of rows [i0, i0+mr) into rb (and w->r) from the log gate weights in lw;
 * returns the block's log-likelihood (NAN if some row has no positive density). */
GMOE_KERNEL static double block_resp(gmoe_em *w, const gmoe_model *m, size_t i0, size_t mr)
{
    size_t n = w->n, k = w->k;
    const double *y = w->data->y + i0;
    for (size_t j = 0; j < k; j++) {
        double c0 = -0.5 * (LOG_2PI + log(m->var[j])), h = 0.5 / m->var[j];
        double *uj = w->rb + j * B;
        const double *lj = w->lw + j * B;
        block_linear(w, m->b[j], m->a + j * w->d, i0, mr, uj); /* expert means */
#pragma omp simd
        for (size_t r = 0; r < mr; r++) {
            double res = y[r] - uj[r];
            uj[r] = lj[r] + c0 - h * res * res;
        }
    }
    double *mx = w->mxb, *lse = w->smb;
    gmoe__lse_rows(w->rb, B, k, mr, mx, lse, w->rb);
    double ll = 0;
    int bad = 0;
#pragma omp simd reduction(+ : ll) reduction(| : bad)
    for (size_t r = 0; r < mr; r++) {
        ll += mx[r] + lse[r];
        bad |= !(mx[r] > -INFINITY);
    }
    if (bad) return NAN;
    for (size_t j = 0; j < k; j++)
        memcpy(w->r + j * n + i0, w->rb + j * B, mr * sizeof(double));
    return ll;
}

/* Weighted sums for the experts' least squares, from the block's responsibilities rb, with
 * z = (1, x - xbar) and each expert's residuals e = y - ybar - cref_j'z about its reference
 * line (the expert's current line): Sr, Sxx (upper triangle), Sxy = sum r z e and
 * Ssq = sum r e^2. The M-step moves the line by the solution of Sxx delta = Sxy and gets the
 * new weighted squared residuals as Ssq - 2 delta'Sxy + delta'Sxx delta, with no second pass;
 * residuals about the current line keep the cancellation small (delta -> 0 at convergence). */
GMOE_KERNEL static void block_expert_stats(gmoe_em *w, size_t i0, size_t mr)
{
    size_t n = w->n, k = w->k, d = w->d, q = w->q;
    const double *x = w->data->x, *y = w->data->y;
    for (size_t t = 0; t < d; t++) {
        double xb = w->xbar[t];
#pragma omp simd
        for (size_t r = 0; r < mr; r++)
            w->xc[t * B + r] = x[t * n + i0 + r] - xb;
    }
    double *e = w->yc;
    for (size_t j = 0; j < k; j++) {
        const double *rj = w->rb + j * B, *cj = w->cref + j * q;
        double *Sxx = w->Sxx + j * q * q, *Sxy = w->Sxy + j * q;
        double c0 = w->ybar + cj[0];
#pragma omp simd
        for (size_t r = 0; r < mr; r++)
            e[r] = y[i0 + r] - c0;
        for (size_t t = 0; t < d; t++) {
            const double *xt = w->xc + t * B;
            double ct = cj[1 + t];
#pragma omp simd
            for (size_t r = 0; r < mr; r++)
                e[r] -= ct * xt[r];
        }
        double s0 = 0, s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s0, s1, s2)
        for (size_t r = 0; r < mr; r++) {
            s0 += rj[r];
            s1 += rj[r] * e[r];
            s2 += rj[r] * e[r] * e[r];
        }
        w->Sr[j] += s0;
        w->Ssq[j] += s2;
        Sxx[0] += s0;
        Sxy[0] += s1;
        for (size_t a = 0; a < d; a++) {
            const double *xa = w->xc + a * B;
            Sxx[1 + a] += dot(rj, xa, mr);
            Sxy[1 + a] += dot3(rj, xa, e, mr);
            for (size_t b = a; b < d; b++)
                Sxx[(1 + a) * q + 1 + b] += dot3(rj, xa, w->xc + b * B, mr);
        }
    }
}

void em_estep_prepare(gmoe_em *w, int fisher)
{
    const gmoe_model *m = w->m;
    size_t k = w->k, q = w->q, d = w->d;
    w->passes++;
    memset(w->Sr, 0, k * sizeof(double));
    memset(w->Sxx, 0, k * q * q * sizeof(double));
    memset(w->Sxy, 0, k * q * sizeof(double));
    memset(w->Ssq, 0, k * sizeof(double));
    /* Reference lines of the residuals: the experts' current lines in the centred frame;
     * given responsibilities (a start) use the mean of y, as the expert lines mean nothing. */
    for (size_t j = 0; j < k; j++) {
        double *cj = w->cref + j * q;
        memset(cj, 0, q * sizeof(double));
        if (w->resp_given) continue;
        cj[0] = m->b[j] - w->ybar;
        for (size_t t = 0; t < d; t++) {
            cj[0] += m->a[j * d + t] * w->xbar[t];
            cj[1 + t] = m->a[j * d + t];
        }
    }
    gate_stats_zero(&w->g, k, q, fisher);
}

int em_estep_finish(gmoe_em *w, int fisher, double ll, double llx, double Q)
{
    size_t k = w->k, q = w->q;
    for (size_t j = 0; j < k; j++) {
        double *S = w->Sxx + j * q * q;
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < a; b++)
                S[a * q + b] = S[b * q + a];
    }
    if (fisher) {
        gate_stats_symmetrize(&w->g);
        w->fisher_drift = 0;
    }
    w->fisher_ok = 1;
    w->g.Q = Q;
    w->ll_cond = ll;
    w->ll = ll + llx;
    return isfinite(w->ll) ? GMOE_SUCCESS : GMOE_ENUMERIC;
}

GMOE_KERNEL int em_estep(gmoe_em *w)
{
    if (w->fast_estep && !w->resp_given) return em_estep_fast(w);
    const gmoe_model *m = w->m;
    size_t n = w->n, k = w->k;
    /* The Fisher matrix depends on the gate alone: the one of the last gate pass still holds
     * when the gate has not moved since. The Gaussian gate's M-step needs no gate statistics
     * (and, from given responsibilities, no gate at all), but its objective adds the
     * marginal log-likelihood of x, the log of the gate's normaliser. */
    int fisher = !w->fisher_ok, gauss = w->gate == GMOE_GATE_GAUSSIAN;
    em_estep_prepare(w, fisher);
    double ll = 0, Q = 0, llx = 0;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t mr = n - i0 < B ? n - i0 : B;
        if (!(gauss && w->resp_given)) {
            int rc = gmoe__gate_block(m, w->data, i0, mr, w->lw, w->gb, B, w->gwork);
            if (rc) return rc;
        }
        if (gauss && !w->resp_given) llx += gmoe__gate_block_lognorm(m, w->gwork, mr);
        if (w->resp_given) {
            /* Statistics of given responsibilities (a start from a partition). */
            for (size_t j = 0; j < k; j++)
                memcpy(w->rb + j * B, w->r + j * n + i0, mr * sizeof(double));
        } else {
            ll += block_resp(w, m, i0, mr);
        }
        block_expert_stats(w, i0, mr);
        if (!gauss) Q += gate_accumulate(w, m, i0, mr, w->rb, B, fisher);
    }
    return em_estep_finish(w, fisher, ll, llx, Q);
}

GMOE_KERNEL int em_gate_pass(gmoe_em *w, const gmoe_model *gm)
{
    size_t n = w->n;
    w->passes++;
    gate_stats_zero(&w->g, w->k, w->q, 1);
    double Q = 0;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t mr = n - i0 < B ? n - i0 : B;
        int rc = gmoe__gate_block(gm, w->data, i0, mr, w->lw, w->gb, B, w->gwork);
        if (rc) return rc;
        Q += gate_accumulate(w, gm, i0, mr, w->r + i0, n, 1);
    }
    gate_stats_symmetrize(&w->g);
    w->fisher_drift = 0;
    w->g.Q = Q;
    return isfinite(Q) ? GMOE_SUCCESS : GMOE_ENUMERIC;
}
