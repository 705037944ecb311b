/* The passes over the data: the E-step (responsibilities, log-likelihood, expert and gate
 * statistics in one pass) and the gate pass of the line search. Everything works block by
 * block on scratch allocated with the workspace: no allocation here. */
#include <config.h>
#include <math.h>
#include <string.h>
#include "em_internal.h"

#define B GMOE_BLOCK
#define LOG_2PI 1.8378770664093454836

/* Jacobian of the gate scores s_ij in each expert's own (beta0_j, beta1_j), and in log tau. */
static void gate_features(const gmoe_em *w, const gmoe_model *gm, size_t i0, size_t mr)
{
    size_t k = w->k, d = w->d, q = w->q, n = w->n;
    const double *x = w->data->x;
    double itau = 1.0 / gm->tau;
    for (size_t j = 0; j < k; j++) {
        double *ph = w->phi + j * q * B, *ps = w->psi + j * B;
        for (size_t r = 0; r < mr; r++) ph[r] = 1.0;
        switch (w->gate) {
        case GMOE_GATE_TEMPERATURE:
            for (size_t r = 0; r < mr; r++) ps[r] = 0;
            for (size_t t = 0; t < d; t++) {
                const double *xt = x + t * n + i0;
                double bt = gm->beta1[j * d + t];
                for (size_t r = 0; r < mr; r++) {
                    ph[(1 + t) * B + r] = xt[r] * itau;
                    ps[r] -= bt * xt[r] * itau;
                }
            }
            break;
        case GMOE_GATE_ACTIVATION:
            for (size_t r = 0; r < mr; r++) ps[r] = 0;
            for (size_t t = 0; t < d; t++) {
                const double *xt = x + t * n + i0;
                double bt = gm->beta1[j * d + t];
                for (size_t r = 0; r < mr; r++) ps[r] += bt * xt[r];
            }
            for (size_t r = 0; r < mr; r++) {
                double lin = ps[r];
                double dr = gmoe__act_deriv(gm->act, lin) * itau;
                for (size_t t = 0; t < d; t++) ph[(1 + t) * B + r] = dr * x[t * n + i0 + r];
                ps[r] = -gmoe__act(gm->act, lin) * itau;
            }
            break;
        default:
            for (size_t t = 0; t < d; t++) memcpy(ph + (1 + t) * B, x + t * n + i0, mr * sizeof(double));
            break;
        }
    }
}

/* Add the block's contribution to Q, its gradient and the Fisher matrix (upper triangle).
 * rb holds the block's responsibilities with row stride rld, lw its log gate weights. */
static double gate_accumulate(gmoe_em *w, const gmoe_model *gm, size_t i0, size_t mr,
                              const double *rb, size_t rld)
{
    size_t k = w->k, q = w->q;
    em_gate_sys *g = &w->g;
    size_t P = g->P;
    double Q = 0;
    gate_features(w, gm, i0, mr);
    for (size_t j = 0; j < k; j++) {
        const double *lj = w->lw + j * B, *rj = rb + j * rld;
        double *gj = w->gb + j * B, *ej = w->eb + j * B;
        for (size_t r = 0; r < mr; r++) {
            gj[r] = exp(lj[r]);
            ej[r] = rj[r] - gj[r];
            if (rj[r] > 0) Q += rj[r] * lj[r];
        }
        for (size_t a = 0; a < q; a++) {
            const double *ph = w->phi + (j * q + a) * B;
            double s = 0;
            for (size_t r = 0; r < mr; r++) s += ej[r] * ph[r];
            g->grad[j * q + a] += s;
        }
    }
    if (g->has_tau) {
        double s = 0;
        for (size_t j = 0; j < k; j++)
            for (size_t r = 0; r < mr; r++) s += w->eb[j * B + r] * w->psi[j * B + r];
        g->grad[P - 1] += s;
    }
    double *wb = w->wb;
    for (size_t j = 0; j < k; j++) {
        const double *gj = w->gb + j * B;
        for (size_t l = j; l < k; l++) {
            const double *gl = w->gb + l * B;
            if (l == j)
                for (size_t r = 0; r < mr; r++) wb[r] = gj[r] * (1.0 - gj[r]);
            else
                for (size_t r = 0; r < mr; r++) wb[r] = -gj[r] * gl[r];
            for (size_t a = 0; a < q; a++) {
                const double *pa = w->phi + (j * q + a) * B;
                for (size_t b = (l == j ? a : 0); b < q; b++) {
                    const double *pb = w->phi + (l * q + b) * B;
                    double s = 0;
                    for (size_t r = 0; r < mr; r++) s += wb[r] * pa[r] * pb[r];
                    g->fisher[(j * q + a) * P + l * q + b] += s;
                }
                if (g->has_tau) {
                    /* F[(j,a), tau] = sum_l W_jl phi_ja psi_l; pair (j,l) and (l,j) share W. */
                    const double *psl = w->psi + l * B;
                    double s = 0;
                    for (size_t r = 0; r < mr; r++) s += wb[r] * pa[r] * psl[r];
                    g->fisher[(j * q + a) * P + P - 1] += s;
                    if (l != j) {
                        const double *pla = w->phi + (l * q + a) * B, *psj = w->psi + j * B;
                        double s2 = 0;
                        for (size_t r = 0; r < mr; r++) s2 += wb[r] * pla[r] * psj[r];
                        g->fisher[(l * q + a) * P + P - 1] += s2;
                    }
                }
            }
            if (g->has_tau) {
                const double *psj = w->psi + j * B, *psl = w->psi + l * B;
                double s = 0;
                for (size_t r = 0; r < mr; r++) s += wb[r] * psj[r] * psl[r];
                g->fisher[(P - 1) * P + P - 1] += l == j ? s : 2 * s;
            }
        }
    }
    return Q;
}

static void gate_stats_zero(em_gate_sys *g)
{
    memset(g->grad, 0, g->P * sizeof(double));
    memset(g->fisher, 0, g->P * g->P * sizeof(double));
    g->Q = 0;
}

/* Fill the lower triangle of the Fisher matrix from the upper one. */
static void gate_stats_symmetrize(em_gate_sys *g)
{
    size_t P = g->P;
    for (size_t s = 0; s < P; s++)
        for (size_t t = 0; t < s; t++) g->fisher[s * P + t] = g->fisher[t * P + s];
}

/* Responsibilities of rows [i0, i0+mr) into rb from the log gate weights in lw; returns the
 * block's log-likelihood (NAN if some row has no positive density). */
static double block_resp(gmoe_em *w, const gmoe_model *m, size_t i0, size_t mr)
{
    size_t n = w->n, k = w->k, d = w->d;
    const double *x = w->data->x, *y = w->data->y;
    double ll = 0;
    /* log(g_j N_j) into rb, then normalise to responsibilities. */
    for (size_t j = 0; j < k; j++) {
        double c0 = -0.5 * (LOG_2PI + log(m->var[j])), h = 0.5 / m->var[j];
        double *uj = w->rb + j * B;
        const double *lj = w->lw + j * B;
        for (size_t r = 0; r < mr; r++) uj[r] = m->b[j];
        for (size_t t = 0; t < d; t++) {
            double at = m->a[j * d + t];
            const double *xt = x + t * n + i0;
            for (size_t r = 0; r < mr; r++) uj[r] += at * xt[r];
        }
        for (size_t r = 0; r < mr; r++) {
            double res = y[i0 + r] - uj[r];
            uj[r] = lj[r] + c0 - h * res * res;
        }
    }
    for (size_t r = 0; r < mr; r++) {
        double mx = -INFINITY;
        for (size_t j = 0; j < k; j++)
            if (w->rb[j * B + r] > mx) mx = w->rb[j * B + r];
        if (!isfinite(mx)) return NAN;
        double s = 0;
        for (size_t j = 0; j < k; j++) {
            double e = exp(w->rb[j * B + r] - mx);
            w->rb[j * B + r] = e;
            s += e;
        }
        double is = 1.0 / s;
        for (size_t j = 0; j < k; j++) w->rb[j * B + r] *= is;
        ll += mx + log(s);
    }
    for (size_t j = 0; j < k; j++) memcpy(w->r + j * n + i0, w->rb + j * B, mr * sizeof(double));
    return ll;
}

int em_estep(gmoe_em *w)
{
    const gmoe_model *m = w->m;
    size_t n = w->n, k = w->k, d = w->d, q = w->q;
    const double *x = w->data->x, *y = w->data->y;
    memset(w->Sr, 0, k * sizeof(double));
    memset(w->Sxx, 0, k * q * q * sizeof(double));
    memset(w->Sxy, 0, k * q * sizeof(double));
    gate_stats_zero(&w->g);
    double ll = 0, Q = 0;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t mr = n - i0 < B ? n - i0 : B;
        int rc = gmoe__gate_log_block(m, w->data, i0, mr, w->lw, B, w->gwork);
        if (rc) return rc;
        if (w->resp_given) {
            /* Statistics of given responsibilities (a start from a partition). */
            for (size_t j = 0; j < k; j++)
                memcpy(w->rb + j * B, w->r + j * n + i0, mr * sizeof(double));
        } else {
            ll += block_resp(w, m, i0, mr);
        }
        /* Expert statistics on centred data. */
        for (size_t t = 0; t < d; t++)
            for (size_t r = 0; r < mr; r++) w->xc[t * B + r] = x[t * n + i0 + r] - w->xbar[t];
        for (size_t r = 0; r < mr; r++) w->yc[r] = y[i0 + r] - w->ybar;
        for (size_t j = 0; j < k; j++) {
            const double *rj = w->rb + j * B;
            double *Sxx = w->Sxx + j * q * q, *Sxy = w->Sxy + j * q;
            double s0 = 0, sy = 0;
            for (size_t r = 0; r < mr; r++) {
                s0 += rj[r];
                sy += rj[r] * w->yc[r];
            }
            w->Sr[j] += s0;
            Sxx[0] += s0;
            Sxy[0] += sy;
            for (size_t a = 0; a < d; a++) {
                const double *xa = w->xc + a * B;
                double sa = 0, say = 0;
                for (size_t r = 0; r < mr; r++) {
                    sa += rj[r] * xa[r];
                    say += rj[r] * xa[r] * w->yc[r];
                }
                Sxx[1 + a] += sa;
                Sxy[1 + a] += say;
                for (size_t b = a; b < d; b++) {
                    const double *xb = w->xc + b * B;
                    double sab = 0;
                    for (size_t r = 0; r < mr; r++) sab += rj[r] * xa[r] * xb[r];
                    Sxx[(1 + a) * q + 1 + b] += sab;
                }
            }
        }
        Q += gate_accumulate(w, m, i0, mr, w->rb, B);
    }
    for (size_t j = 0; j < k; j++) {
        double *S = w->Sxx + j * q * q;
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < a; b++) S[a * q + b] = S[b * q + a];
    }
    gate_stats_symmetrize(&w->g);
    w->g.Q = Q;
    w->ll = ll;
    return isfinite(ll) ? GMOE_SUCCESS : GMOE_ENUMERIC;
}

int em_gate_pass(gmoe_em *w, const gmoe_model *gm, int with_var)
{
    const gmoe_model *m = w->m;
    size_t n = w->n, k = w->k, d = w->d;
    const double *x = w->data->x, *y = w->data->y;
    gate_stats_zero(&w->g);
    if (with_var) memset(w->Ssq, 0, k * sizeof(double));
    double Q = 0;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t mr = n - i0 < B ? n - i0 : B;
        int rc = gmoe__gate_log_block(gm, w->data, i0, mr, w->lw, B, w->gwork);
        if (rc) return rc;
        Q += gate_accumulate(w, gm, i0, mr, w->r + i0, n);
        if (!with_var) continue;
        for (size_t j = 0; j < k; j++) {
            const double *rj = w->r + j * n + i0;
            double *mu = w->u;
            for (size_t r = 0; r < mr; r++) mu[r] = m->b[j];
            for (size_t t = 0; t < d; t++) {
                double at = m->a[j * d + t];
                const double *xt = x + t * n + i0;
                for (size_t r = 0; r < mr; r++) mu[r] += at * xt[r];
            }
            double s = 0;
            for (size_t r = 0; r < mr; r++) {
                double res = y[i0 + r] - mu[r];
                s += rj[r] * res * res;
            }
            w->Ssq[j] += s;
        }
    }
    gate_stats_symmetrize(&w->g);
    w->g.Q = Q;
    return isfinite(Q) ? GMOE_SUCCESS : GMOE_ENUMERIC;
}
