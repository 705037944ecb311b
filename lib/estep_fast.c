/* The E-step of the softmax gate with one covariate, in few passes per block of rows.
 *
 * The general E-step (estep.c) makes about twenty passes over per-expert block arrays for
 * every expert (gate scores, their log-sum-exp, the densities, a second log-sum-exp, the
 * expert sums one dot product at a time, the gate gradient and the Fisher matrix one pair
 * at a time), and those passes, not the arithmetic, set its cost. Here loops over the rows
 * handle all k experts of a row at once (k is a compile-time constant: one copy per k up to
 * FAST_KMAX): the shifted log weights, their exponentials in one flat loop, then the gate
 * weights g and the responsibilities r (two exponentials per expert; the log-likelihood
 * l_i = mu + log(Su / Ss), with Ss and Su the sums of exp(s - ms) and of
 * exp(s - ms + log density - mu)); a loop per expert (and per pair of experts for the Fisher
 * matrix) then forms all of that expert's sums at once.
 *
 * The statistics are those of em_estep (em_internal.h), up to rounding: the log-likelihood
 * is summed in another order, and Q (needed only by the gate M-step's line search) and the
 * stored responsibilities (needed only by gate passes) are computed only when w->fast_full
 * asks for them (Q then costs one more log per row). The quasi-Newton acceleration, which
 * needs neither, uses this E-step (em.c chooses it); SQUAREM and plain EM keep estep.c's. */
#include <config.h>
#include <math.h>
#include <string.h>
#include "em_internal.h"
#include "vmath.h"

#define B GMOE_BLOCK
#define LOG_2PI 1.8378770664093454836

/* Per-expert constants of one E-step: gate score b0 + b1 x, mean b + a x, log density
 * c0 - h (y - mean)^2, reference line e0 + e1 (x - xbar) of the residuals. */
typedef struct fast_par {
    double b0[FAST_KMAX], b1[FAST_KMAX], b[FAST_KMAX], a[FAST_KMAX], c0[FAST_KMAX], h[FAST_KMAX];
    double e0[FAST_KMAX], e1[FAST_KMAX];
    double xbar;
} fast_par;

/* The first pass over rows [0, mr) of a block (x, y at the block's start), in three loops
 * that each keep few values live (one loop doing all would spill the registers of its 2k
 * exponentials in flight): the shifted log weights s - ms into gb and s - ms + log density
 * - mu into rb (mu into mx); their exponentials (one flat loop over the k * B values of
 * each); then the normalisation of g and r and the block's log-likelihood, which is
 * returned: the sum of the mu plus the log of the product of the ratios Su / Ss, one log per
 * block instead of one per row (each ratio lies in [1/k, k], so that the product of a
 * block's rows, at most k^256, cannot overflow for k <= FAST_KMAX). The copy with FULL
 * also keeps s - ms in eb and adds sum_i sum_j r_ij log g_ij to *qsum. */
GMOE_KERNEL static void fast_exp(double *v, size_t len)
{
#pragma omp simd
    for (size_t i = 0; i < len; i++)
        v[i] = gmoe__vexp_nonpos(v[i]);
}

#define FAST_ROWS(K, FULL, NAME)                                                                   \
    GMOE_KERNEL static double NAME(const fast_par *fpp, const double *x, const double *y,          \
                                   size_t mr, double *rb, double *gb, double *eb, double *mx,      \
                                   double *qsum)                                                   \
    {                                                                                              \
        /* A local copy: the stores to rb and gb cannot touch it, so its values stay in            \
         * registers instead of being loaded again for every vector of rows. */                    \
        const fast_par c = *fpp, *fp = &c;                                                         \
        double ll = 0, qs = 0, ratio = 1;                                                          \
        _Pragma("omp simd") for (size_t r = 0; r < mr; r++)                                        \
        {                                                                                          \
            double xr = x[r], yr = y[r], s[K], u[K], ms, mu;                                       \
            _Pragma("GCC unroll 16") for (int j = 0; j < K; j++) s[j] =                            \
                fp->b0[j] + fp->b1[j] * xr;                                                        \
            ms = s[0];                                                                             \
            _Pragma("GCC unroll 16") for (int j = 1; j < K; j++) ms = s[j] > ms ? s[j] : ms;       \
            _Pragma("GCC unroll 16") for (int j = 0; j < K; j++)                                   \
            {                                                                                      \
                double res = yr - (fp->b[j] + fp->a[j] * xr);                                      \
                s[j] -= ms;                                                                        \
                u[j] = s[j] + fp->c0[j] - fp->h[j] * res * res;                                    \
            }                                                                                      \
            mu = u[0];                                                                             \
            _Pragma("GCC unroll 16") for (int j = 1; j < K; j++) mu = u[j] > mu ? u[j] : mu;       \
            _Pragma("GCC unroll 16") for (int j = 0; j < K; j++)                                   \
            {                                                                                      \
                gb[j * B + r] = s[j];                                                              \
                if (FULL) eb[j * B + r] = s[j];                                                    \
                rb[j * B + r] = u[j] - mu;                                                         \
            }                                                                                      \
            mx[r] = mu;                                                                            \
        }                                                                                          \
        fast_exp(gb, (K - 1) * B + mr);                                                            \
        fast_exp(rb, (K - 1) * B + mr);                                                            \
        _Pragma("omp simd reduction(+ : ll, qs) reduction(* : ratio)") for (size_t r = 0; r < mr;  \
                                                                            r++)                   \
        {                                                                                          \
            double ss = 0, su = 0, lq = 0;                                                         \
            _Pragma("GCC unroll 16") for (int j = 0; j < K; j++)                                   \
            {                                                                                      \
                ss += gb[j * B + r];                                                               \
                su += rb[j * B + r];                                                               \
            }                                                                                      \
            /* One division for both (ss and su lie in [1, k]: their product cannot overflow). */  \
            double isu = 1.0 / (ss * su), is = su * isu, iu = ss * isu;                            \
            ll += mx[r];                                                                           \
            ratio *= su * is;                                                                      \
            _Pragma("GCC unroll 16") for (int j = 0; j < K; j++)                                   \
            {                                                                                      \
                double gj = gb[j * B + r], rj = rb[j * B + r] * iu;                                \
                if (FULL) lq += rj * eb[j * B + r];                                                \
                rb[j * B + r] = rj;                                                                \
                gb[j * B + r] = gj * is;                                                           \
            }                                                                                      \
            /* sum_j r_j log g_j = sum_j r_j (s_j - ms) - log ss, as sum_j r_j = 1 */              \
            if (FULL) qs += lq - gmoe__vlog(ss);                                                   \
        }                                                                                          \
        *qsum += qs;                                                                               \
        return ll + log(ratio);                                                                    \
    }

/* One copy per k, and per k one that also sums Q (its log of ss is not free). */
#define FAST_ROWS_K(K) FAST_ROWS(K, 0, fast_rows_##K) FAST_ROWS(K, 1, fast_rows_q_##K)
FAST_ROWS_K(1)
FAST_ROWS_K(2)
FAST_ROWS_K(3)
FAST_ROWS_K(4)
FAST_ROWS_K(5)
FAST_ROWS_K(6)
FAST_ROWS_K(7)
FAST_ROWS_K(8)

typedef double (*fast_rows_fn)(const fast_par *, const double *, const double *, size_t, double *,
                               double *, double *, double *, double *);
static const fast_rows_fn fast_rows[2][FAST_KMAX] = {
    {fast_rows_1, fast_rows_2, fast_rows_3, fast_rows_4, fast_rows_5, fast_rows_6, fast_rows_7,
     fast_rows_8},
    {fast_rows_q_1, fast_rows_q_2, fast_rows_q_3, fast_rows_q_4, fast_rows_q_5, fast_rows_q_6,
     fast_rows_q_7, fast_rows_q_8}};

int em_estep_fast_ok(const gmoe_em *w)
{
    return w->gate == GMOE_GATE_SOFTMAX && w->d == 1 && w->k <= FAST_KMAX;
}

/* The second pass: each expert's sums for the least squares (em_internal.h: Sr, Sxx, Sxy,
 * Ssq about the reference line, with the centred x and the residuals formed here) and the
 * gate gradient sum (r - g) (1, x), all in one loop. */
GMOE_KERNEL static void fast_expert_sums(gmoe_em *w, const fast_par *fp, const double *x,
                                         const double *y, size_t mr)
{
    size_t k = w->k, q = w->q;
    for (size_t j = 0; j < k; j++) {
        const double *rj = w->rb + j * B, *gj = w->gb + j * B;
        double e0 = fp->e0[j], e1 = fp->e1[j], xbar = fp->xbar;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3, s4, s5, s6, s7)
        for (size_t r = 0; r < mr; r++) {
            double rr = rj[r], xx = x[r] - xbar, e = y[r] - e0 - e1 * xx;
            double re = rr * e, dg = rr - gj[r];
            s0 += rr;
            s1 += rr * xx;
            s2 += rr * xx * xx;
            s3 += re;
            s4 += re * xx;
            s5 += re * e;
            s6 += dg;
            s7 += dg * x[r];
        }
        double *S = w->Sxx + j * q * q;
        w->Sr[j] += s0;
        S[0] += s0;
        S[1] += s1;
        S[3] += s2;
        w->Sxy[j * q] += s3;
        w->Sxy[j * q + 1] += s4;
        w->Ssq[j] += s5;
        w->g.grad[j * q] += s6;
        w->g.grad[j * q + 1] += s7;
    }
}

/* The Fisher matrix sum_i (diag g - g g') (x) z z' (z = (1, x)), upper triangle of each pair
 * of experts' 2 x 2 block, from the sums P_jl = sum_i g_ij g_il z z' of the pairs j < l
 * alone: the block (j, l) is -P_jl, and as sum_l g_il = 1 the diagonal block
 * sum_i g_ij (1 - g_ij) z z' is sum_{l != j} P_jl: k (k - 1) / 2 passes instead of
 * k (k + 1) / 2, and no 1 - g_ij, which loses the relative precision of a g_ij near 1. */
GMOE_KERNEL static void fast_fisher(gmoe_em *w, const double *x, size_t mr)
{
    size_t k = w->k, q = w->q, P = w->g.P;
    double *F = w->g.fisher, d0[FAST_KMAX] = {0}, d1[FAST_KMAX] = {0}, d2[FAST_KMAX] = {0};
    for (size_t j = 0; j < k; j++) {
        const double *gj = w->gb + j * B;
        for (size_t l = j + 1; l < k; l++) {
            const double *gl = w->gb + l * B;
            double f0 = 0, f1 = 0, f2 = 0;
#pragma omp simd reduction(+ : f0, f1, f2)
            for (size_t r = 0; r < mr; r++) {
                double wv = gj[r] * gl[r];
                f0 += wv;
                f1 += wv * x[r];
                f2 += wv * x[r] * x[r];
            }
            F[(j * q) * P + l * q] -= f0;
            F[(j * q) * P + l * q + 1] -= f1;
            F[(j * q + 1) * P + l * q] -= f1;
            F[(j * q + 1) * P + l * q + 1] -= f2;
            d0[j] += f0, d1[j] += f1, d2[j] += f2;
            d0[l] += f0, d1[l] += f1, d2[l] += f2;
        }
    }
    for (size_t j = 0; j < k; j++) {
        F[(j * q) * P + j * q] += d0[j];
        F[(j * q) * P + j * q + 1] += d1[j];
        F[(j * q + 1) * P + j * q + 1] += d2[j];
    }
}

int em_estep_fast(gmoe_em *w)
{
    const gmoe_model *m = w->m;
    size_t n = w->n, k = w->k, q = w->q;
    int fisher = !w->fisher_ok, full = w->fast_full;
    em_estep_prepare(w, fisher);
    fast_par fp;
    for (size_t j = 0; j < k; j++) {
        fp.b0[j] = m->beta0[j];
        fp.b1[j] = m->beta1[j];
        fp.b[j] = m->b[j];
        fp.a[j] = m->a[j];
        fp.c0[j] = -0.5 * (LOG_2PI + log(m->var[j]));
        fp.h[j] = 0.5 / m->var[j];
        fp.e0[j] = w->ybar + w->cref[j * q];
        fp.e1[j] = w->cref[j * q + 1];
    }
    fp.xbar = w->xbar[0];
    const double *x = w->data->x, *y = w->data->y;
    double ll = 0, Q = 0;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t mr = n - i0 < B ? n - i0 : B;
        ll += fast_rows[full][k - 1](&fp, x + i0, y + i0, mr, w->rb, w->gb, w->eb, w->mxb, &Q);
        fast_expert_sums(w, &fp, x + i0, y + i0, mr);
        if (fisher) fast_fisher(w, x + i0, mr);
        if (full)
            for (size_t j = 0; j < k; j++)
                memcpy(w->r + j * n + i0, w->rb + j * B, mr * sizeof(double));
    }
    return em_estep_finish(w, fisher, ll, 0.0, Q);
}
