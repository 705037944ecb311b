/* Gate weights and conditional densities, computed block by block in log space. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "vmath.h"

#define LOG_2PI 1.8378770664093454836

double gmoe__act(gmoe_act act, double t)
{
    if (act == GMOE_ACT_SIGMOID) return 1.0 / (1.0 + exp(-t));
    return tanh(t);
}

/* In terms of e = exp(-|t|): s(1-s) and 1 - tanh^2 cancel to 0 once s or tanh round to 1
 * (|t| > 37 and > 19), while the derivative is still ~1e-16 and above. */
double gmoe__act_deriv(gmoe_act act, double t)
{
    if (act == GMOE_ACT_SIGMOID) {
        double e = exp(-fabs(t));
        return e / ((1.0 + e) * (1.0 + e));
    }
    double e = exp(-2.0 * fabs(t));
    return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

size_t gmoe__gate_work_size(const gmoe_model *m)
{
    /* Selection keys (B*k), Cholesky factors and log-determinants, one point, then top-K
     * ranks (B*k) and the row maxima and log-sum-exps (2B) at the end. */
    return 2 * GMOE_BLOCK * m->k + m->k * m->d * m->d + m->k + m->d + 2 * GMOE_BLOCK;
}

/* Plain loops: d is small and this runs once per block, not per observation. */
int gmoe__chol_logdet(double *L, size_t d, double *logdet)
{
    double ld = 0;
    for (size_t s = 0; s < d; s++) {
        for (size_t t = 0; t <= s; t++) {
            double v = L[s * d + t];
            for (size_t u = 0; u < t; u++)
                v -= L[s * d + u] * L[t * d + u];
            if (s == t) {
                if (!(v > 0)) return GMOE_ENUMERIC;
                L[s * d + s] = sqrt(v);
                ld += log(L[s * d + s]);
            } else {
                L[s * d + t] = v / L[t * d + t];
            }
        }
    }
    *logdet = 2 * ld;
    return GMOE_SUCCESS;
}

static int gauss_scores(const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mrows,
                        double *lw, size_t ld, double *work)
{
    size_t k = m->k, d = m->d, n = data->n;
    double *L = work + GMOE_BLOCK * k, *logdet = L + k * d * d, *z = logdet + k;
    memcpy(L, m->Gamma, k * d * d * sizeof(double));
    for (size_t j = 0; j < k; j++)
        if (gmoe__chol_logdet(L + j * d * d, d, logdet + j)) return GMOE_ENUMERIC;
    for (size_t j = 0; j < k; j++) {
        const double *Lj = L + j * d * d, *cj = m->c + j * d;
        double base = log(m->pi[j]) - 0.5 * (logdet[j] + (double)d * LOG_2PI);
        for (size_t r = 0; r < mrows; r++) {
            /* Solve L z = x - c by forward substitution; the Mahalanobis term is |z|^2. */
            double q = 0;
            for (size_t s = 0; s < d; s++) {
                double v = data->x[s * n + i0 + r] - cj[s];
                for (size_t u = 0; u < s; u++)
                    v -= Lj[s * d + u] * z[u];
                z[s] = v / Lj[s * d + s];
                q += z[s] * z[s];
            }
            lw[j * ld + r] = base - 0.5 * q;
        }
    }
    return GMOE_SUCCESS;
}

/* keys[j*GMOE_BLOCK + r] = the top-K selection key; unselected experts get -inf in lw. */
GMOE_KERNEL void gmoe__topk_ranks(const double *keys, size_t ld, size_t k, size_t mrows,
                                  double *rank)
{
    /* Rank by counting, pair by pair over the rows (vector lanes); a row-outer form with its
     * short inner loops cost more than the rest of a top-K E-step. */
    for (size_t j = 0; j < k; j++) {
        const double *kj = keys + j * ld;
        double *rj = rank + j * GMOE_BLOCK;
        for (size_t r = 0; r < mrows; r++)
            rj[r] = 0;
        for (size_t l = 0; l < k; l++) {
            const double *kl = keys + l * ld;
            if (l < j) {
#pragma omp simd
                for (size_t r = 0; r < mrows; r++)
                    rj[r] += kl[r] >= kj[r] ? 1.0 : 0.0;
            } else if (l > j) {
#pragma omp simd
                for (size_t r = 0; r < mrows; r++)
                    rj[r] += kl[r] > kj[r] ? 1.0 : 0.0;
            }
        }
    }
}

/* keys[j*GMOE_BLOCK + r] = the top-K selection key; unselected experts get -inf in lw. */
static void topk_mask(const gmoe_model *m, size_t mrows, double *lw, size_t ld, const double *keys,
                      double *rank)
{
    size_t k = m->k;
    double K = (double)m->topk;
    gmoe__topk_ranks(keys, GMOE_BLOCK, k, mrows, rank);
    for (size_t j = 0; j < k; j++) {
        double *lj = lw + j * ld;
        const double *rj = rank + j * GMOE_BLOCK;
#pragma omp simd
        for (size_t r = 0; r < mrows; r++)
            lj[r] = rj[r] >= K ? -INFINITY : lj[r];
    }
}

int gmoe__gate_log_block(const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mrows,
                         double *lw, size_t ld, double *work)
{
    return gmoe__gate_block(m, data, i0, mrows, lw, NULL, ld, work);
}

GMOE_KERNEL int gmoe__gate_block(const gmoe_model *m, const gmoe_data *data, size_t i0,
                                 size_t mrows, double *lw, double *gw, size_t ld, double *work)
{
    size_t k = m->k, d = m->d, n = data->n;
    gmoe_gate g = m->gate;
    if (g == GMOE_GATE_GAUSSIAN) {
        int rc = gauss_scores(m, data, i0, mrows, lw, ld, work);
        if (rc) return rc;
    } else {
        double *lin = work; /* beta1_j'x, [j*GMOE_BLOCK + r] */
        for (size_t j = 0; j < k; j++) {
            double *lj = lin + j * GMOE_BLOCK;
            for (size_t r = 0; r < mrows; r++)
                lj[r] = 0;
            for (size_t t = 0; t < d; t++) {
                double bt = m->beta1[j * d + t];
                const double *xt = data->x + t * n + i0;
#pragma omp simd
                for (size_t r = 0; r < mrows; r++)
                    lj[r] += bt * xt[r];
            }
            double b0 = m->beta0[j], itau = 1.0 / m->tau;
            double *out = lw + j * ld;
            switch (g) {
            case GMOE_GATE_TEMPERATURE:
                for (size_t r = 0; r < mrows; r++)
                    out[r] = lj[r] * itau + b0;
                break;
            case GMOE_GATE_ACTIVATION:
                gmoe__vact(m->act == GMOE_ACT_SIGMOID, lj, out, NULL, mrows);
#pragma omp simd
                for (size_t r = 0; r < mrows; r++)
                    out[r] = out[r] * itau + b0;
                break;
            case GMOE_GATE_SIGMOID:
                /* log sigmoid(s) = min(s, 0) - log(1 + exp(-|s|)), which never overflows; the
                 * log of 1 + e instead of log1p(e) costs an absolute error of 1e-16 at most,
                 * which a log gate weight can afford, and keeps the loop in vector lanes. */
#pragma omp simd
                for (size_t r = 0; r < mrows; r++) {
                    double sc = lj[r] + b0, neg = sc < 0 ? sc : -sc;
                    out[r] = (sc < 0 ? sc : 0.0) - gmoe__vlog(1.0 + gmoe__vexp(neg));
                }
                break;
            default:
                for (size_t r = 0; r < mrows; r++)
                    out[r] = lj[r] + b0;
                break;
            }
        }
        if (g == GMOE_GATE_TOPK && m->topk < k) {
            if (m->topk_select == GMOE_TOPK_SCORE)
                for (size_t j = 0; j < k; j++)
                    memcpy(lin + j * GMOE_BLOCK, lw + j * ld, mrows * sizeof(double));
            topk_mask(m, mrows, lw, ld, lin, work + gmoe__gate_work_size(m) - (k + 2) * GMOE_BLOCK);
        }
    }
    /* Normalise each row: subtract log-sum-exp over the experts, in two steps. Subtracting
     * mx + log(s) at once would round at the scale of the scores (ulp(1e4) ~ 2e-12) and the
     * weights would no longer sum to 1; s - mx is exact for the weights that matter and
     * log(s) lies in [0, log k]. Expert-outer loops over rows keep the work in vector lanes. */
    double *mx = work + gmoe__gate_work_size(m) - 2 * GMOE_BLOCK, *ls = mx + GMOE_BLOCK;
    gmoe__lse_rows(lw, ld, k, mrows, mx, ls, gw);
    int bad = 0;
#pragma omp simd reduction(| : bad)
    for (size_t r = 0; r < mrows; r++)
        bad |= !(mx[r] > -INFINITY && mx[r] < INFINITY);
    if (bad) return GMOE_ENUMERIC;
    for (size_t j = 0; j < k; j++) {
        double *lj = lw + j * ld;
#pragma omp simd
        for (size_t r = 0; r < mrows; r++)
            lj[r] = (lj[r] - mx[r]) - ls[r];
    }
    return GMOE_SUCCESS;
}

double gmoe__gate_block_lognorm(const gmoe_model *m, const double *work, size_t mrows)
{
    const double *mx = work + gmoe__gate_work_size(m) - 2 * GMOE_BLOCK, *ls = mx + GMOE_BLOCK;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t r = 0; r < mrows; r++)
        s += mx[r] + ls[r];
    return s;
}

int gmoe__gate_error(const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mrows, int rc,
                     gmoe_error *err)
{
    if (rc != GMOE_ENUMERIC)
        return gmoe_error_set(err, rc, "gate evaluation failed (%s)", gmoe_strerror(rc));
    /* Row by row: the error path may be slow, the blocks stay free of bookkeeping. */
    double *work = malloc((gmoe__gate_work_size(m) + m->k) * sizeof(double));
    size_t r = 0;
    if (work)
        while (r < mrows && gmoe__gate_log_block(m, data, i0 + r, 1, work + gmoe__gate_work_size(m),
                                                 1, work) == GMOE_SUCCESS)
            r++;
    free(work);
    if (!work) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    return gmoe_error_set_obs(err, rc, i0 + (r < mrows ? r : 0),
                              "the gate scores overflow (covariates too large for the gate "
                              "parameters)");
}

GMOE_KERNEL void gmoe__lse_rows(const double *v, size_t ld, size_t k, size_t mrows, double *mx,
                                double *out, double *prob)
{
    memcpy(mx, v, mrows * sizeof(double));
    for (size_t j = 1; j < k; j++) {
        const double *vj = v + j * ld;
#pragma omp simd
        for (size_t r = 0; r < mrows; r++)
            mx[r] = vj[r] > mx[r] ? vj[r] : mx[r];
    }
    for (size_t r = 0; r < mrows; r++)
        out[r] = 0;
    for (size_t j = 0; j < k; j++) {
        const double *vj = v + j * ld;
        if (prob) {
            double *pj = prob + j * ld;
#pragma omp simd
            for (size_t r = 0; r < mrows; r++)
                out[r] += pj[r] = gmoe__vexp(vj[r] - mx[r]);
        } else {
#pragma omp simd
            for (size_t r = 0; r < mrows; r++)
                out[r] += gmoe__vexp(vj[r] - mx[r]);
        }
    }
    if (prob) {
        double inv[GMOE_BLOCK]; /* one division per row, not one per expert */
#pragma omp simd
        for (size_t r = 0; r < mrows; r++)
            inv[r] = 1.0 / out[r];
        for (size_t j = 0; j < k; j++) {
            double *pj = prob + j * ld;
#pragma omp simd
            for (size_t r = 0; r < mrows; r++)
                pj[r] *= inv[r];
        }
    }
#pragma omp simd
    for (size_t r = 0; r < mrows; r++)
        out[r] = gmoe__vlog(out[r]);
}

int gmoe_model_gate_log(const gmoe_model *m, const gmoe_data *data, double *logw)
{
    if (data->d != m->d) return GMOE_EDIM;
    double *work = malloc(gmoe__gate_work_size(m) * sizeof(double));
    if (!work) return GMOE_ENOMEM;
    int rc = GMOE_SUCCESS;
    for (size_t i0 = 0; i0 < data->n && !rc; i0 += GMOE_BLOCK) {
        size_t mr = data->n - i0 < GMOE_BLOCK ? data->n - i0 : GMOE_BLOCK;
        rc = gmoe__gate_log_block(m, data, i0, mr, logw + i0, data->n, work);
    }
    free(work);
    return rc;
}

/* Single-point evaluations use a one-row data view; small models use stack scratch so that
 * quadrature loops do not allocate. */
#define SMALL_WORK 4096

typedef struct point_ctx {
    double stack[SMALL_WORK];
    double *work;
    double lw[64];
    double *plw;
} point_ctx;

static int point_begin(point_ctx *pc, const gmoe_model *m)
{
    size_t need = gmoe__gate_work_size(m);
    pc->work = need <= SMALL_WORK ? pc->stack : malloc(need * sizeof(double));
    pc->plw = m->k <= 64 ? pc->lw : malloc(m->k * sizeof(double));
    if (!pc->work || !pc->plw) return GMOE_ENOMEM;
    return GMOE_SUCCESS;
}

static void point_end(point_ctx *pc)
{
    if (pc->work != pc->stack) free(pc->work);
    if (pc->plw != pc->lw) free(pc->plw);
}

static int point_gate_log(const gmoe_model *m, const double *x, point_ctx *pc)
{
    for (size_t t = 0; t < m->d; t++)
        if (!isfinite(x[t])) return GMOE_ENUMERIC;
    gmoe_data view = {1, m->d, (double *)x, NULL};
    return gmoe__gate_log_block(m, &view, 0, 1, pc->plw, 1, pc->work);
}

int gmoe_model_gate_eval(const gmoe_model *m, const double *x, double *w)
{
    point_ctx pc;
    int rc = point_begin(&pc, m);
    if (!rc) rc = point_gate_log(m, x, &pc);
    if (!rc)
        for (size_t j = 0; j < m->k; j++)
            w[j] = exp(pc.plw[j]);
    point_end(&pc);
    return rc;
}

static double expert_mean(const gmoe_model *m, size_t j, const double *x)
{
    double mu = m->b[j];
    for (size_t t = 0; t < m->d; t++)
        mu += m->a[j * m->d + t] * x[t];
    return mu;
}

static double log_normal(double y, double mu, double var)
{
    double r = y - mu;
    return -0.5 * (LOG_2PI + log(var) + r * r / var);
}

double gmoe_model_logpdf(const gmoe_model *m, const double *x, double y)
{
    point_ctx pc;
    double out = NAN;
    if (point_begin(&pc, m) == GMOE_SUCCESS && point_gate_log(m, x, &pc) == GMOE_SUCCESS) {
        double mx = -INFINITY;
        for (size_t j = 0; j < m->k; j++) {
            pc.plw[j] += log_normal(y, expert_mean(m, j, x), m->var[j]);
            if (pc.plw[j] > mx) mx = pc.plw[j];
        }
        if (mx == -INFINITY) {
            out = -INFINITY;
        } else {
            double s = 0;
            for (size_t j = 0; j < m->k; j++)
                s += exp(pc.plw[j] - mx);
            out = mx + log(s);
        }
    }
    point_end(&pc);
    return out;
}

double gmoe_model_pdf(const gmoe_model *m, const double *x, double y)
{
    return exp(gmoe_model_logpdf(m, x, y));
}

double gmoe_model_mean(const gmoe_model *m, const double *x)
{
    point_ctx pc;
    double out = NAN;
    if (point_begin(&pc, m) == GMOE_SUCCESS && point_gate_log(m, x, &pc) == GMOE_SUCCESS) {
        out = 0;
        for (size_t j = 0; j < m->k; j++)
            out += exp(pc.plw[j]) * expert_mean(m, j, x);
    }
    point_end(&pc);
    return out;
}

void gmoe_model_expert_means(const gmoe_model *m, const gmoe_data *data, double *mu)
{
    size_t n = data->n, d = m->d;
    for (size_t j = 0; j < m->k; j++) {
        double *mj = mu + j * n;
        for (size_t i = 0; i < n; i++)
            mj[i] = m->b[j];
        for (size_t t = 0; t < d; t++) {
            double at = m->a[j * d + t];
            const double *xt = data->x + t * n;
            for (size_t i = 0; i < n; i++)
                mj[i] += at * xt[i];
        }
    }
}

int gmoe_model_loglik(const gmoe_model *m, const gmoe_data *data, double *loglik, gmoe_error *err)
{
    if (data->d != m->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, m->d);
    if (!data->y) return gmoe_error_set(err, GMOE_EINVAL, "data have no response y");
    size_t k = m->k, d = m->d, n = data->n;
    double *work = malloc((gmoe__gate_work_size(m) + GMOE_BLOCK * k) * sizeof(double));
    if (!work) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    double *lw = work + gmoe__gate_work_size(m);
    double total = 0, comp = 0;
    int rc = GMOE_SUCCESS;
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += GMOE_BLOCK) {
        mr = n - i0 < GMOE_BLOCK ? n - i0 : GMOE_BLOCK;
        rc = gmoe__gate_log_block(m, data, i0, mr, lw, GMOE_BLOCK, work);
        if (rc) break;
        for (size_t j = 0; j < k; j++) {
            double *lj = lw + j * GMOE_BLOCK;
            double c0 = -0.5 * (LOG_2PI + log(m->var[j])), h = 0.5 / m->var[j];
            for (size_t r = 0; r < mr; r++) {
                double mu = m->b[j];
                for (size_t t = 0; t < d; t++)
                    mu += m->a[j * d + t] * data->x[t * n + i0 + r];
                double res = data->y[i0 + r] - mu;
                lj[r] += c0 - h * res * res;
            }
        }
        for (size_t r = 0; r < mr; r++) {
            double mx = -INFINITY;
            for (size_t j = 0; j < k; j++)
                if (lw[j * GMOE_BLOCK + r] > mx) mx = lw[j * GMOE_BLOCK + r];
            double s = 0;
            if (mx > -INFINITY)
                for (size_t j = 0; j < k; j++)
                    s += exp(lw[j * GMOE_BLOCK + r] - mx);
            /* Neumaier's compensated sum: over 1e7 rows a plain one drifts in the tenth
             * digit, and gmoe loglik prints seventeen. (A -inf term ends it at -inf.) */
            double v = mx + log(s), t = total + v;
            if (isfinite(t)) comp += fabs(total) >= fabs(v) ? (total - t) + v : (v - t) + total;
            total = t;
        }
    }
    free(work);
    if (rc) return gmoe__gate_error(m, data, i0, mr, rc, err);
    *loglik = total + comp;
    return GMOE_SUCCESS;
}
